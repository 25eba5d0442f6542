/*
 * mlkem_int.h - internals of the vectorised ML-KEM-1024 (mlkem_avx2_poly.c,
 * mlkem_avx2_kem.c) shared with mlkem.c, the tests and the fuzz target.
 * Not a public header.
 *
 * Polynomials are int16_t[256] in the standard coefficient order, exactly
 * as PQClean's ml-kem-1024/clean holds them; each aegis__mlkem_avx2_*
 * routine equals the PQClean routine named in its comment, bit for bit.
 * Call them only when aegis__cpu()->level >= AEGIS_CPU_AVX2.
 */
#ifndef AEGIS_MLKEM_INT_H
#define AEGIS_MLKEM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/util.h"
#include "pq_int.h"

#define AEGIS_MLKEM_K 4
#define AEGIS_MLKEM_N 256

/* A decapsulation key with the per-key work done once (FIPS 203 Alg. 18
 * inputs decoded, the matrix expanded): NTT-form secret, t-hat, A^T for
 * the re-encryption, H(ek), z. Vector path only. */
struct aegis__mlkem_prepared {
    _Alignas(32) int16_t s[AEGIS_MLKEM_K][AEGIS_MLKEM_N];
    _Alignas(32) int16_t t[AEGIS_MLKEM_K][AEGIS_MLKEM_N];
    _Alignas(32) int16_t at[AEGIS_MLKEM_K][AEGIS_MLKEM_K][AEGIS_MLKEM_N];
    uint8_t h[32];
    uint8_t z[32];
};

/* polynomial layer (mlkem_avx2_poly.c) */
void aegis__mlkem_avx2_ntt(int16_t r[256]);                  /* poly_ntt (ntt + reduce) */
void aegis__mlkem_avx2_invntt(int16_t r[256]);               /* poly_invntt_tomont */
void aegis__mlkem_avx2_basemul(int16_t r[256], const int16_t a[256], const int16_t b[256]); /* poly_basemul_montgomery */
void aegis__mlkem_avx2_basemul_acc(int16_t r[256], const int16_t (*a)[256], const int16_t (*b)[256]); /* polyvec_basemul_acc_montgomery */
void aegis__mlkem_avx2_reduce(int16_t r[256]);               /* poly_reduce */
void aegis__mlkem_avx2_tomont(int16_t r[256]);               /* poly_tomont */
void aegis__mlkem_avx2_add_reduce(int16_t r[256], const int16_t a[256], const int16_t b[256]);
void aegis__mlkem_avx2_add3_reduce(int16_t r[256], const int16_t a[256], const int16_t b[256], const int16_t c[256]);
void aegis__mlkem_avx2_sub_reduce(int16_t r[256], const int16_t a[256], const int16_t b[256]);
void aegis__mlkem_avx2_tobytes(uint8_t out[384], const int16_t a[256]);      /* poly_tobytes */
void aegis__mlkem_avx2_frombytes(int16_t r[256], const uint8_t in[384]);     /* poly_frombytes */
void aegis__mlkem_avx2_compress11(uint8_t out[352], const int16_t a[256]);   /* one poly of polyvec_compress */
/* one poly of polyvec_decompress; reads up to 5 bytes past in[351] */
void aegis__mlkem_avx2_decompress11(int16_t r[256], const uint8_t *in);
void aegis__mlkem_avx2_compress5(uint8_t out[160], const int16_t a[256]);    /* poly_compress */
void aegis__mlkem_avx2_decompress5(int16_t r[256], const uint8_t in[160]);   /* poly_decompress */
void aegis__mlkem_avx2_frommsg(int16_t r[256], const uint8_t msg[32]);       /* poly_frommsg */
void aegis__mlkem_avx2_tomsg(uint8_t msg[32], const int16_t a[256]);         /* poly_tomsg */
void aegis__mlkem_avx2_cbd2(int16_t r[256], const uint8_t buf[128]);         /* poly_cbd_eta1/eta2 */

/* sampling and the scheme (mlkem_avx2_kem.c) */
/* rej_uniform: coefficients < q from 12-bit pairs; returns how many */
unsigned aegis__mlkem_avx2_rej(int16_t *r, unsigned len, const uint8_t *buf, unsigned buflen);
/* FIPS 203 7.2 modulus check: every 12-bit coefficient of t-hat < q */
bool aegis__mlkem_avx2_ek_in_range(const uint8_t *ek);
void aegis__mlkem_avx2_gen_matrix(int16_t a[AEGIS_MLKEM_K][AEGIS_MLKEM_K][256], const uint8_t rho[32],
                                  int transposed);                           /* gen_matrix */
/* poly_getnoise_eta1 for nonces n..n+3 (the scheme samples its noise as scheduler
 * jobs, the same PRF and CBD; this batch form serves tests and the fuzzer) */
void aegis__mlkem_avx2_noise4(int16_t r[4][256], const uint8_t seed[32], uint8_t n);
void aegis__mlkem_avx2_keypair(uint8_t *ek, uint8_t *dk, const uint8_t d[32], const uint8_t z[32]);
void aegis__mlkem_avx2_enc(uint8_t *ct, uint8_t ss[32], const uint8_t *ek, const uint8_t m[32]);
void aegis__mlkem_avx2_prepare(struct aegis__mlkem_prepared *p, const uint8_t *dk);
void aegis__mlkem_avx2_dec(uint8_t ss[32], const uint8_t *ct, const struct aegis__mlkem_prepared *p);
/* the same from a raw dk (the key expanded on this call) */
void aegis__mlkem_avx2_dec_dk(uint8_t ss[32], const uint8_t *ct, const uint8_t *dk);

#include "keccak4x.h"

#endif
