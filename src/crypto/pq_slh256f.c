/* pq_slh256f.c - SLH-DSA-SHA2-256f instance of pq_slh_impl.h, compiled
 * against PQClean's sphincs-sha2-256f-simple/clean (include path set by
 * cmake/pqclean.cmake). */
#define OPENSSL_API_COMPAT 10101
#define AEGIS_SLH_OPS aegis__slh_sha2_256f

#include "pq_slh_impl.h"
