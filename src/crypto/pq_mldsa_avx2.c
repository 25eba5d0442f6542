/*
 * pq_mldsa_avx2.c - a second ML-DSA-87 core for CPUs with AVX2: PQClean's
 * ml-dsa-87/clean sources and pq_mldsa_core.h in one translation unit built
 * with -mavx2 -mbmi2 (cmake/pqclean.cmake). Every PQCLEAN_MLDSA87_CLEAN_*
 * name is renamed by a header generated at configure time
 * (<build>/_pqclean/mldsa87_avx2_rename.h, forced in with -include), so
 * these objects coexist with the portable ones in aegis_pqclean. The compiler
 * vectorises the NTT and pointwise loops (about a quarter off signing time);
 * the arithmetic is integer and exact, so results are identical (compared in
 * test_crypto_pq). Upstream code is compiled with -w here, as in
 * aegis_pqclean; our core is also compiled warning-clean as the generic copy.
 */
#include "pq_int.h"

#if defined(__x86_64__) && defined(AEGIS_PQ_AVX2_BUILD)

#include "ntt.c"
#include "packing.c"
#include "poly.c"
#include "polyvec.c"
#include "reduce.c"
#include "rounding.c"
#include "symmetric-shake.c"

#define MLDSA_OPS aegis__mldsa87_avx2_ops
#include "pq_mldsa_core.h"

const struct aegis__mldsa_ops *aegis__mldsa87_avx2(void)
{
    return aegis__cpu()->level >= AEGIS_CPU_AVX2 ? &aegis__mldsa87_avx2_ops : NULL;
}

#else

const struct aegis__mldsa_ops *aegis__mldsa87_avx2(void)
{
    return NULL;
}

#endif
