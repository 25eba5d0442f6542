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
 *   3: bytes: ExpandS's eta = 2 rejection sampling, at every length up to 256
 *   4: bytes: z unpacking (640 bytes, zero-padded); coefficients: the norm
 *      check at the signing loop's bounds
 *   5: coefficients: t1 / t0 / eta packing (values brought into range)
 *   6: bytes: the one-lane SHAKE256 (input cut where the first byte says,
 *      squeezed in two parts) against PQClean's, and SampleInBall; also the
 *      A-hat row product against its definition
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
#include "../src/crypto/keccak4x.h"

unsigned aegis__mldsa87_avx2_rej(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen);
unsigned aegis__mldsa87_avx2_rej_eta(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen);
void aegis__mldsa87_avx2_polyz_unpack(int32_t r[256], const uint8_t *a);
int aegis__mldsa87_avx2_chknorm(const int32_t a[256], int32_t B);
void aegis__mldsa87_avx2_pack(uint8_t *r, const int32_t a[256], int32_t off, int b);
void aegis__mldsa87_avx2_pointwise_acc(int32_t w[256], const int32_t *u, const int32_t *v, unsigned l);
void aegis__mldsa87_avx2_challenge(int32_t c[256], const uint8_t seed[64]);
/* PQClean's portable ones (a poly is exactly int32_t coeffs[256]) */
void PQCLEAN_MLDSA87_CLEAN_polyz_unpack(int32_t r[256], const uint8_t *a);
int PQCLEAN_MLDSA87_CLEAN_poly_chknorm(const int32_t a[256], int32_t B);
void PQCLEAN_MLDSA87_CLEAN_polyt1_pack(uint8_t *r, const int32_t a[256]);
void PQCLEAN_MLDSA87_CLEAN_polyt0_pack(uint8_t *r, const int32_t a[256]);
void PQCLEAN_MLDSA87_CLEAN_polyeta_pack(uint8_t *r, const int32_t a[256]);
void PQCLEAN_MLDSA87_CLEAN_poly_challenge(int32_t c[256], const uint8_t seed[64]);
void shake256(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen);

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

static void rejection_eta(const uint8_t *data, size_t size)
{
    int32_t r1[256], r2[256 + 8];
    unsigned len = size ? data[0] + 1 : 0;
    const uint8_t *buf = size ? data + 1 : data;
    unsigned buflen = size ? (unsigned)(size - 1) : 0;
    unsigned ctr = 0, pos = 0;
    if (len > 256)
        len = 256;
    while (ctr < len && pos < buflen) {   /* PQClean's rej_eta, eta = 2 */
        uint32_t t0 = buf[pos] & 0x0F, t1 = buf[pos++] >> 4;
        if (t0 < 15)
            r1[ctr++] = 2 - (int32_t)(t0 - (205 * t0 >> 10) * 5);
        if (t1 < 15 && ctr < len)
            r1[ctr++] = 2 - (int32_t)(t1 - (205 * t1 >> 10) * 5);
    }
    if (aegis__mldsa87_avx2_rej_eta(r2, len, buf, buflen) != ctr)
        abort();
    SAME(r1, r2, ctr * sizeof(int32_t));
}

static void unpack_norm(const uint8_t *data, size_t size)
{
    uint8_t buf[640] = {0};
    int32_t r1[256], r2[256];
    memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
    PQCLEAN_MLDSA87_CLEAN_polyz_unpack(r1, buf);
    aegis__mldsa87_avx2_polyz_unpack(r2, buf);
    SAME(r1, r2, sizeof(r1));
    static const int32_t bounds[] = {(1 << 19) - 120, 261888 - 120, 261888, (Q - 1) / 8, (Q - 1) / 8 + 1, 0};
    coeffs(r1, data, size, 0);
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        for (int k = 0; k < 256; k++)   /* also values near the bound */
            r2[k] = (size > 0 && (data[0] & 1)) ? r1[k] % (bounds[i] + 2) : r1[k];
        if (PQCLEAN_MLDSA87_CLEAN_poly_chknorm(r2, bounds[i]) != aegis__mldsa87_avx2_chknorm(r2, bounds[i]))
            abort();
    }
}

static void packing(const uint8_t *data, size_t size)
{
    int32_t c[256], a[256];
    uint8_t r1[416], r2[416];
    coeffs(c, data, size, 0);
    for (int i = 0; i < 256; i++)
        a[i] = (int32_t)((uint32_t)c[i] % 1024);
    PQCLEAN_MLDSA87_CLEAN_polyt1_pack(r1, a);
    aegis__mldsa87_avx2_pack(r2, a, 0, 10);
    SAME(r1, r2, 320);
    for (int i = 0; i < 256; i++)
        a[i] = (int32_t)((uint32_t)c[i] % 8192) - 4095;
    PQCLEAN_MLDSA87_CLEAN_polyt0_pack(r1, a);
    aegis__mldsa87_avx2_pack(r2, a, 1 << 12, 13);
    SAME(r1, r2, 416);
    for (int i = 0; i < 256; i++)
        a[i] = (int32_t)((uint32_t)c[i] % 5) - 2;
    PQCLEAN_MLDSA87_CLEAN_polyeta_pack(r1, a);
    aegis__mldsa87_avx2_pack(r2, a, 2, 3);
    SAME(r1, r2, 96);
}

static void hashing(const uint8_t *data, size_t size)
{
    uint8_t h1[300], h2[300], seed[64] = {0};
    size_t cut = size ? data[0] % (size + 1) : 0, outlen = size > 1 ? 1 + (size_t)data[1] : 64;
    shake256(h1, outlen, data, size);
    aegis__shake256x1 c;
    aegis__shake256x1_init(&c);
    aegis__shake256x1_absorb(&c, data, cut);
    aegis__shake256x1_absorb(&c, data + cut, size - cut);
    aegis__shake256x1_finalize(&c);
    aegis__shake256x1_squeeze(&c, h2, outlen / 3);
    aegis__shake256x1_squeeze(&c, h2 + outlen / 3, outlen - outlen / 3);
    aegis__shake256x1_clear(&c);
    SAME(h1, h2, outlen);

    int32_t c1[256], c2[256];
    memcpy(seed, data, size < sizeof(seed) ? size : sizeof(seed));
    PQCLEAN_MLDSA87_CLEAN_poly_challenge(c1, seed);
    aegis__mldsa87_avx2_challenge(c2, seed);
    SAME(c1, c2, sizeof(c1));

    static int32_t u[7][256], v[7][256];
    for (int j = 0; j < 7; j++) {
        coeffs(u[j], data, size, (size_t)j * 64);
        coeffs(v[j], data, size, (size_t)j * 64 + 32);
        for (int i = 0; i < 256; i++)
            u[j][i] = (int32_t)((uint32_t)u[j][i] % Q);   /* A-hat entries are in [0, q) */
    }
    aegis__mldsa87_avx2_pointwise_acc(c2, u[0], v[0], 7);
    for (int i = 0; i < 256; i++) {
        int64_t sum = 0;
        for (int j = 0; j < 7; j++)
            sum += (int64_t)u[j][i] * v[j][i];
        if (c2[i] != PQCLEAN_MLDSA87_CLEAN_montgomery_reduce(sum))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || !aegis__mldsa87_avx2())
        return 0;
    switch (data[0] % 7) {
    case 0: arithmetic(data + 1, size - 1); break;
    case 1: rejection(data + 1, size - 1); break;
    case 2: scheme(data + 1, size - 1); break;
    case 3: rejection_eta(data + 1, size - 1); break;
    case 4: unpack_norm(data + 1, size - 1); break;
    case 5: packing(data + 1, size - 1); break;
    default: hashing(data + 1, size - 1); break;
    }
    return 0;
}
