/* pq_mldsa_avx2_ours.h - included where PQClean's names must mean our vector
 * routines (pq_mldsa_avx2.c, before packing.c and after poly.c; between the
 * two, poly.c defines PQClean's own under _c names). No include guard: it
 * is meant to be included more than once. */
#undef PQCLEAN_MLDSA87_CLEAN_polyz_unpack
#undef PQCLEAN_MLDSA87_CLEAN_poly_chknorm
#undef PQCLEAN_MLDSA87_CLEAN_poly_challenge
#define PQCLEAN_MLDSA87_CLEAN_polyz_unpack aegis__mldsa87_avx2_poly_z_unpack
#define PQCLEAN_MLDSA87_CLEAN_poly_chknorm aegis__mldsa87_avx2_poly_chknorm
#define PQCLEAN_MLDSA87_CLEAN_poly_challenge aegis__mldsa87_avx2_challenge
#undef PQCLEAN_MLDSA87_CLEAN_polyt1_pack
#define PQCLEAN_MLDSA87_CLEAN_polyt1_pack aegis__mldsa87_avx2_polyt1_pack
#undef PQCLEAN_MLDSA87_CLEAN_polyt0_pack
#define PQCLEAN_MLDSA87_CLEAN_polyt0_pack aegis__mldsa87_avx2_polyt0_pack
#undef PQCLEAN_MLDSA87_CLEAN_polyeta_pack
#define PQCLEAN_MLDSA87_CLEAN_polyeta_pack aegis__mldsa87_avx2_polyeta_pack
