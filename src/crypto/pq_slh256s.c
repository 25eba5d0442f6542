/* pq_slh256s.c - SLH-DSA-SHA2-256s instance of pq_slh_impl.h, compiled
 * against PQClean's sphincs-sha2-256s-simple/clean (include path set by
 * cmake/pqclean.cmake). OPENSSL_API_COMPAT: PRF_msg/H_msg use the low-level
 * SHA512_* calls (see pq_sha2.c). */
#define OPENSSL_API_COMPAT 10101
#define AEGIS_SLH_OPS aegis__slh_sha2_256s

#include "pq_slh_impl.h"
