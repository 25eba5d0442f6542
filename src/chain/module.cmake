# AEGIS_ORDER 6
# The published batch chain: JSON export format and offline verification.
aegis_module(chain DEPS json crypto batch keys tee attest LIBS PkgConfig::JANSSON)
# tests/unit/test_chain_attest.c also drives the core's backup attestation
# (src/core/core_attest.c): once the auto-registered target exists, give it
# the core library and its private headers.
function(_aegis_chain_attest_test_extras)
  if(TARGET test_chain_attest AND TARGET aegis_core)
    target_link_libraries(test_chain_attest PRIVATE aegis_core)
    target_include_directories(test_chain_attest PRIVATE ${CMAKE_SOURCE_DIR}/src/core)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _aegis_chain_attest_test_extras)
