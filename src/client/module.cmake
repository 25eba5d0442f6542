# AEGIS_ORDER 7
# libaegis-client: the public client API (include/aegis/client.h) that the
# aegis CLI, wallets and apps use; also built as libaegis-client.so / .a
# with a pkg-config file (src/client/CMakeLists.txt).
aegis_module(client DEPS chain envelope keys tx rpc batch crypto util LIBS PkgConfig::JANSSON Threads::Threads)

# The library for use outside this tree: libaegis-client.so (only the public
# client API exported, client.map) and libaegis-client.a (every object it
# needs in one archive), a pkg-config file, and install rules:
#   cmake --install build --prefix /usr/local
#   cc app.c $(pkg-config --cflags --libs aegis-client)
# Static archives linked into a shared object must be position independent.
set(_client_dir ${CMAKE_SOURCE_DIR}/src/client)
set(_client_deps aegis_client aegis_chain aegis_attest aegis_tee aegis_json aegis_envelope aegis_keys
    aegis_tx aegis_rpc aegis_batch aegis_crypto aegis_pqclean aegis_util)
add_library(aegis_client_shared SHARED ${_client_dir}/client.c ${_client_dir}/ops.c ${_client_dir}/proxy.c)
set_target_properties(aegis_client_shared PROPERTIES OUTPUT_NAME aegis-client VERSION ${PROJECT_VERSION}
  SOVERSION 0 LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib C_VISIBILITY_PRESET default
  LINK_DEPENDS ${_client_dir}/client.map)
target_include_directories(aegis_client_shared PUBLIC ${CMAKE_SOURCE_DIR}/include)
target_compile_options(aegis_client_shared PRIVATE ${AEGIS_WARN})
target_link_libraries(aegis_client_shared PRIVATE aegis_chain aegis_envelope aegis_keys aegis_tx aegis_rpc
  aegis_batch aegis_crypto aegis_util PkgConfig::JANSSON)
target_link_options(aegis_client_shared PRIVATE -Wl,--version-script=${_client_dir}/client.map)
if(NOT AEGIS_SANITIZE AND NOT AEGIS_FUZZ)
  # sanitizer runtimes are not linked into shared objects: their symbols stay undefined there
  target_link_options(aegis_client_shared PRIVATE -Wl,--no-undefined)
endif()

set(_mri "CREATE ${CMAKE_BINARY_DIR}/lib/libaegis-client.a\n")
foreach(t ${_client_deps})
  string(APPEND _mri "ADDLIB $<TARGET_FILE:${t}>\n")
endforeach()
string(APPEND _mri "SAVE\nEND\n")
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/lib/aegis-client.mri CONTENT "${_mri}")
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/lib/libaegis-client.a
  COMMAND ${CMAKE_COMMAND} -E rm -f ${CMAKE_BINARY_DIR}/lib/libaegis-client.a
  COMMAND ${CMAKE_AR} -M < ${CMAKE_BINARY_DIR}/lib/aegis-client.mri
  DEPENDS ${_client_deps} ${CMAKE_BINARY_DIR}/lib/aegis-client.mri
  COMMENT "libaegis-client.a (one archive of every object the client needs)")
add_custom_target(aegis_client_static ALL DEPENDS ${CMAKE_BINARY_DIR}/lib/libaegis-client.a)

configure_file(${_client_dir}/aegis-client.pc.in ${CMAKE_BINARY_DIR}/lib/pkgconfig/aegis-client.pc @ONLY)
install(TARGETS aegis_client_shared LIBRARY DESTINATION lib)
install(FILES ${CMAKE_BINARY_DIR}/lib/libaegis-client.a DESTINATION lib)
install(FILES ${CMAKE_BINARY_DIR}/lib/pkgconfig/aegis-client.pc DESTINATION lib/pkgconfig)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/aegis DESTINATION include)
