# pqclean.cmake - PQClean 0.8.1 (npm package pqclean@0.8.1), fetched at
# configure time by scripts/fetch-pqclean: sha512 integrity checked before
# unpacking, only the parts we compile are extracted, patches/*.patch applied.
# Offline: -DAEGIS_PQCLEAN_TARBALL=/path/pqclean-0.8.1.tgz or the env variable
# AEGIS_PQCLEAN_TARBALL. See docs/internals/pqclean.md.
#
# Defines aegis_pqclean (static, upstream code only) and sets per-source
# include paths for our wrappers in src/crypto/ that call into it. Also
# registers one ctest case per ACVP vector file (label "vectors").

set(AEGIS_PQCLEAN_DIR ${CMAKE_BINARY_DIR}/_pqclean)
set(_pq_tarball "${AEGIS_PQCLEAN_TARBALL}")
if(NOT _pq_tarball AND DEFINED ENV{AEGIS_PQCLEAN_TARBALL})
  set(_pq_tarball "$ENV{AEGIS_PQCLEAN_TARBALL}")
endif()
execute_process(
  COMMAND sh ${CMAKE_SOURCE_DIR}/scripts/fetch-pqclean ${AEGIS_PQCLEAN_DIR} ${_pq_tarball}
  RESULT_VARIABLE _pq_rc)
if(NOT _pq_rc EQUAL 0)
  message(FATAL_ERROR "PQClean fetch/verify/patch failed (see above). Offline? "
                      "-DAEGIS_PQCLEAN_TARBALL=/path/to/pqclean-0.8.1.tgz")
endif()
# Re-run configure (and so the fetch script) when a patch or the script changes.
file(GLOB _pq_patches CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/patches/*.patch)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${_pq_patches} ${CMAKE_SOURCE_DIR}/scripts/fetch-pqclean)

set(_pq ${AEGIS_PQCLEAN_DIR}/PQClean)
set(_pq_mldsa ${_pq}/crypto_sign/ml-dsa-87/clean)
set(_pq_mlkem ${_pq}/crypto_kem/ml-kem-1024/clean)
set(_pq_slh_s ${_pq}/crypto_sign/sphincs-sha2-256s-simple/clean)
set(_pq_slh_f ${_pq}/crypto_sign/sphincs-sha2-256f-simple/clean)

# Only what we call. Not compiled: the ML-DSA and SPHINCS+ sign.c (our
# src/crypto/mldsa.c and pq_slh_impl.h are the FIPS 204/205 top levels),
# thash_sha2_simple.c (pq_slh_impl.h has a faster thash for SHA2),
# common/sha2.c (replaced by src/crypto/pq_sha2.c on OpenSSL),
# common/randombytes.c (src/crypto/pq_glue.c), AES, SP 800-185, seed expander.
set(_pq_srcs ${_pq}/common/fips202.c)
foreach(f ntt packing poly polyvec reduce rounding symmetric-shake)
  list(APPEND _pq_srcs ${_pq_mldsa}/${f}.c)
endforeach()
foreach(f cbd indcpa kem ntt poly polyvec reduce symmetric-shake verify)
  list(APPEND _pq_srcs ${_pq_mlkem}/${f}.c)
endforeach()
foreach(d ${_pq_slh_s} ${_pq_slh_f})
  foreach(f address context_sha2 fors hash_sha2 merkle utils utilsx1 wots wotsx1)
    list(APPEND _pq_srcs ${d}/${f}.c)
  endforeach()
endforeach()

add_library(aegis_pqclean STATIC ${_pq_srcs})
# One translation unit per scheme (CMake unity groups), so small helpers such
# as ML-DSA's montgomery_reduce() inline into the NTT and pointwise loops:
# ML-DSA-87 signing spent a third of its time in that call. The schemes stay
# apart: the two SPHINCS+ sets share static names.
set_target_properties(aegis_pqclean PROPERTIES UNITY_BUILD ON UNITY_BUILD_MODE GROUP)
foreach(f ${_pq_srcs})
  string(REGEX REPLACE "^${_pq}/([^/]+/[^/]+)/.*$" "\\1" _grp "${f}")
  string(MAKE_C_IDENTIFIER "${_grp}" _grp)
  set_source_files_properties(${f} PROPERTIES UNITY_GROUP ${_grp})
endforeach()
# Upstream code: its own warnings are not ours to fix; optimise the hot loops.
target_compile_options(aegis_pqclean PRIVATE -w -O3)
target_include_directories(aegis_pqclean PRIVATE ${_pq}/common)
# pq_sha2.c (SHA-2 on OpenSSL) and pq_glue.c (randombytes) live in aegis_crypto:
# the two static libraries depend on each other; CMake repeats them on the link line.
target_link_libraries(aegis_pqclean PUBLIC OpenSSL::Crypto aegis_crypto)

# Our wrappers see exactly one PQClean parameter set each (their headers share
# names like params.h), as system headers so -Werror applies to our code only.
set(_src ${CMAKE_SOURCE_DIR}/src/crypto)
set_source_files_properties(${_src}/mldsa.c PROPERTIES
  COMPILE_OPTIONS "-isystem;${_pq_mldsa};-isystem;${_pq}/common")
set_source_files_properties(${_src}/mlkem.c PROPERTIES
  COMPILE_OPTIONS "-isystem;${_pq_mlkem};-isystem;${_pq}/common")
set_source_files_properties(${_src}/pq_slh256s.c PROPERTIES
  COMPILE_OPTIONS "-isystem;${_pq_slh_s};-isystem;${_pq}/common;-O3")
set_source_files_properties(${_src}/pq_slh256f.c PROPERTIES
  COMPILE_OPTIONS "-isystem;${_pq_slh_f};-isystem;${_pq}/common;-O3")
set_source_files_properties(${_src}/pq_sha2.c ${_src}/pq_glue.c PROPERTIES
  COMPILE_OPTIONS "-isystem;${_pq}/common;-O3")

# ACVP vectors: one ctest case per file, run through the CLI.
file(GLOB _acvp_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/vectors/acvp/*.json)
foreach(f ${_acvp_files})
  get_filename_component(n ${f} NAME_WE)
  add_test(NAME acvp_${n} COMMAND $<TARGET_FILE:aegis> acvp ${f})
  set(_to 300)
  if(n MATCHES "SLH-DSA-SHA2-256s-sigGen")
    set(_to 900)
  endif()
  set_tests_properties(acvp_${n} PROPERTIES LABELS vectors TIMEOUT ${_to})
endforeach()
