/*
 * fuzz_mldsa.c - the AVX2 ML-DSA-87 routines (src/crypto/pq_mldsa_avx2_ntt.h,
 * the four-way expansions and vector rejection in pq_mldsa_avx2.c) against
 * PQClean's portable ones on fuzzer-chosen inputs: any difference aborts.
 *
 * The first byte picks what the rest feeds:
 *   0: coefficients (reduced into (-q, q)): NTT, inverse NTT, pointwise product
 *   1: bytes: ExpandA's rejection sampling, at every length up to 256
 *   2: seeds xi, mu, rnd (zero-padded): keygen, sign, verify by the AVX2 core
 *      and the generic core, plus verification of a corrupted signature
 * Does nothing on CPUs without AVX2.
 */
#include <stdlib.h>
#include <string.h>

#include "aegis/crypto.h"

#include "../src/crypto/pq_int.h"

void PQCLEAN_MLDSA87_CLEAN_ntt(int32_t a[256]);
void PQCLEAN_MLDSA87_CLEAN_invntt_tomont(int32_t a[256]);
int32_t PQCLEAN_MLDSA87_CLEAN_montgomery_reduce(int64_t a);
void aegis__mldsa87_avx2_ntt(int32_t a[256]);
void aegis__mldsa87_avx2_invntt(int32_t a[256]);
void aegis__mldsa87_avx2_pointwise(int32_t c[256], const int32_t a[256], const int32_t b[256]);
unsigned aegis__mldsa87_avx2_rej(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen);

#define Q 8380417
#define SAME(a, b, n) do { if (memcmp((a), (b), (n)) != 0) abort(); } while (0)

static void coeffs(int32_t out[256], const uint8_t *data, size_t size, size_t off)
{
    for (int i = 0; i < 256; i++) {
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            size_t j = off + 4 * (size_t)i + (size_t)k;
            v = v << 8 | (j < size ? data[j] : 0);
        }
        out[i] = (int32_t)(v % (2 * Q - 1)) - (Q - 1);
    }
}

static void arithmetic(const uint8_t *data, size_t size)
{
    int32_t a[256], b[256], c[256], r1[256], r2[256];
    coeffs(a, data, size, 0);
    coeffs(c, data, size, 1024);
    memcpy(b, a, sizeof(a));
    PQCLEAN_MLDSA87_CLEAN_ntt(a);
    aegis__mldsa87_avx2_ntt(b);
    SAME(a, b, sizeof(a));
    coeffs(a, data, size, 0);
    memcpy(b, a, sizeof(a));
    PQCLEAN_MLDSA87_CLEAN_invntt_tomont(a);
    aegis__mldsa87_avx2_invntt(b);
    SAME(a, b, sizeof(a));
    for (int i = 0; i < 256; i++)
        r1[i] = PQCLEAN_MLDSA87_CLEAN_montgomery_reduce((int64_t)a[i] * c[i]);
    aegis__mldsa87_avx2_pointwise(r2, a, c);
    SAME(r1, r2, sizeof(r1));
}

static void rejection(const uint8_t *data, size_t size)
{
    int32_t r1[256], r2[256 + 8];
    unsigned len = size ? data[0] : 0;
    const uint8_t *buf = size ? data + 1 : data;
    unsigned buflen = size ? (unsigned)(size - 1) : 0;
    unsigned ctr = 0, pos = 0;
    while (ctr < len && pos + 3 <= buflen) {   /* PQClean's rej_uniform */
        uint32_t t = (buf[pos] | (uint32_t)buf[pos + 1] << 8 | (uint32_t)buf[pos + 2] << 16) & 0x7FFFFF;
        pos += 3;
        if (t < Q)
            r1[ctr++] = (int32_t)t;
    }
    unsigned c2 = aegis__mldsa87_avx2_rej(r2, len, buf, buflen);
    if (c2 != ctr)
        abort();
    SAME(r1, r2, ctr * sizeof(int32_t));
}

static void scheme(const uint8_t *data, size_t size)
{
    const struct aegis__mldsa_ops *g = &aegis__mldsa87_generic, *v = aegis__mldsa87_avx2();
    static uint8_t pk1[AEGIS_MLDSA87_PK_BYTES], sk1[AEGIS_MLDSA87_SK_BYTES];
    static uint8_t pk2[AEGIS_MLDSA87_PK_BYTES], sk2[AEGIS_MLDSA87_SK_BYTES];
    static uint8_t s1[AEGIS_MLDSA87_SIG_BYTES], s2[AEGIS_MLDSA87_SIG_BYTES];
    uint8_t seeds[32 + 64 + 32] = {0};
    memcpy(seeds, data, size < sizeof(seeds) ? size : sizeof(seeds));
    g->keygen(pk1, sk1, seeds);
    v->keygen(pk2, sk2, seeds);
    SAME(pk1, pk2, sizeof(pk1));
    SAME(sk1, sk2, sizeof(sk1));
    g->sign_mu(s1, seeds + 32, seeds + 96, sk1);
    v->sign_mu(s2, seeds + 32, seeds + 96, sk1);
    SAME(s1, s2, sizeof(s1));
    if (!v->verify_mu(s1, seeds + 32, pk1))
        abort();
    s1[(seeds[0] * 131u + seeds[1]) % sizeof(s1)] ^= (uint8_t)(1u << (seeds[2] & 7));
    if (g->verify_mu(s1, seeds + 32, pk1) != v->verify_mu(s1, seeds + 32, pk1))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || !aegis__mldsa87_avx2())
        return 0;
    switch (data[0] % 3) {
    case 0: arithmetic(data + 1, size - 1); break;
    case 1: rejection(data + 1, size - 1); break;
    default: scheme(data + 1, size - 1); break;
    }
    return 0;
}
