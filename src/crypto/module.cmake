# AEGIS_ORDER 1
# Crypto: our wrappers in src/crypto/*.c plus PQClean (fetched, verified,
# patched by cmake/pqclean.cmake when present).
if(EXISTS ${CMAKE_SOURCE_DIR}/cmake/pqclean.cmake)
  include(${CMAKE_SOURCE_DIR}/cmake/pqclean.cmake)
endif()
aegis_module(crypto DEPS util LIBS OpenSSL::Crypto PkgConfig::SECP256K1 Threads::Threads)
if(TARGET aegis_pqclean)
  target_link_libraries(aegis_crypto PUBLIC aegis_pqclean)
endif()
