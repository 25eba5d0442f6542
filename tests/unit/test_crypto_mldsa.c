/* test_crypto_mldsa.c - the AVX2 ML-DSA-87 NTT, inverse NTT and pointwise
 * product (src/crypto/pq_mldsa_avx2_ntt.h) against PQClean's portable ones,
 * bit for bit, on random coefficients; and the AVX2 core (four-way SHAKE
 * expansions, vector NTT) against the generic core on whole keygen / sign /
 * verify. Skipped without AVX2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/crypto.h"

#include "../src/crypto/keccak4x.h"
#include "../src/crypto/pq_int.h"

/* PQClean's portable ML-DSA-87 (aegis_pqclean) and our AVX2 routines */
void PQCLEAN_MLDSA87_CLEAN_ntt(int32_t a[256]);
void PQCLEAN_MLDSA87_CLEAN_invntt_tomont(int32_t a[256]);
int32_t PQCLEAN_MLDSA87_CLEAN_montgomery_reduce(int64_t a);
void aegis__mldsa87_avx2_ntt(int32_t a[256]);
void aegis__mldsa87_avx2_invntt(int32_t a[256]);
void aegis__mldsa87_avx2_pointwise(int32_t c[256], const int32_t a[256], const int32_t b[256]);
void aegis__mldsa87_avx2_pointwise_acc(int32_t w[256], const int32_t *u, const int32_t *v, unsigned l);
unsigned aegis__mldsa87_avx2_rej(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen);
unsigned aegis__mldsa87_avx2_rej_eta(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen);
void aegis__mldsa87_avx2_polyz_unpack(int32_t r[256], const uint8_t *a);
int aegis__mldsa87_avx2_chknorm(const int32_t a[256], int32_t B);
/* PQClean's take a poly *, a struct of exactly int32_t coeffs[256] */
void PQCLEAN_MLDSA87_CLEAN_polyz_unpack(int32_t r[256], const uint8_t *a);
int PQCLEAN_MLDSA87_CLEAN_poly_chknorm(const int32_t a[256], int32_t B);
void PQCLEAN_MLDSA87_CLEAN_poly_challenge(int32_t c[256], const uint8_t seed[64]);
void PQCLEAN_MLDSA87_CLEAN_polyt1_pack(uint8_t *r, const int32_t a[256]);
void PQCLEAN_MLDSA87_CLEAN_polyt0_pack(uint8_t *r, const int32_t a[256]);
void PQCLEAN_MLDSA87_CLEAN_polyeta_pack(uint8_t *r, const int32_t a[256]);
void aegis__mldsa87_avx2_pack(uint8_t *r, const int32_t a[256], int32_t off, int b);
void aegis__mldsa87_avx2_challenge(int32_t c[256], const uint8_t seed[64]);
/* PQClean's portable SHAKE256 (common/fips202.c) */
void shake256(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen);

#define Q 8380417

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd64(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}
static void rnd_poly(int32_t *r, int64_t bound)   /* uniform in (-bound, bound) */
{
    for (int i = 0; i < 256; i++)
        r[i] = (int32_t)((int64_t)(rnd64() % (uint64_t)(2 * bound - 1)) - (bound - 1));
}

static void need_avx2(void)
{
    if (!aegis__mldsa87_avx2())
        skip();
}

static void test_ntt(void **state)
{
    (void)state;
    need_avx2();
    for (int n = 0; n < 500; n++) {
        int32_t a[256], b[256], c[256], r1[256], r2[256];
        rnd_poly(a, Q);   /* NTT inputs are reduced: |a| < q */
        memcpy(b, a, sizeof(a));
        PQCLEAN_MLDSA87_CLEAN_ntt(a);
        aegis__mldsa87_avx2_ntt(b);
        assert_memory_equal(a, b, sizeof(a));
        rnd_poly(a, Q);   /* inverse NTT inputs: reduced products, |a| < q */
        memcpy(b, a, sizeof(a));
        PQCLEAN_MLDSA87_CLEAN_invntt_tomont(a);
        aegis__mldsa87_avx2_invntt(b);
        assert_memory_equal(a, b, sizeof(a));
        rnd_poly(a, INT32_MAX);   /* pointwise: any int32 */
        rnd_poly(c, Q);
        for (int i = 0; i < 256; i++)
            r1[i] = PQCLEAN_MLDSA87_CLEAN_montgomery_reduce((int64_t)a[i] * c[i]);
        aegis__mldsa87_avx2_pointwise(r2, a, c);
        assert_memory_equal(r1, r2, sizeof(r1));
    }
}

/* one Montgomery reduction of the 64-bit sum of seven products: against
 * that definition on PQClean's montgomery_reduce, and congruent to PQClean's
 * polyvecl_pointwise_acc_montgomery (reduce each product, add) */
static void test_pointwise_acc(void **state)
{
    (void)state;
    need_avx2();
    static int32_t u[7][256], v[7][256];
    for (int n = 0; n < 300; n++) {
        int32_t w[256];
        for (int j = 0; j < 7; j++) {
            for (int i = 0; i < 256; i++)
                u[j][i] = (int32_t)(rnd64() % Q);   /* A-hat: from rejection sampling, in [0, q) */
            rnd_poly(v[j], n % 3 == 0 ? 9 * (int64_t)Q : Q);   /* NTT outputs: |v| < 9q */
        }
        if (n == 1)   /* extremes */
            for (int j = 0; j < 7; j++)
                for (int i = 0; i < 256; i++) {
                    u[j][i] = Q - 1;
                    v[j][i] = (i & 1) ? 9 * Q - 1 : -(9 * Q - 1);
                }
        aegis__mldsa87_avx2_pointwise_acc(w, u[0], v[0], 7);
        for (int i = 0; i < 256; i++) {
            int64_t sum = 0, acc = 0;
            for (int j = 0; j < 7; j++) {
                sum += (int64_t)u[j][i] * v[j][i];
                acc += PQCLEAN_MLDSA87_CLEAN_montgomery_reduce((int64_t)u[j][i] * v[j][i]);
            }
            assert_int_equal(w[i], PQCLEAN_MLDSA87_CLEAN_montgomery_reduce(sum));
            assert_true(w[i] > -2 * Q && w[i] < 2 * Q);
            assert_int_equal(((int64_t)w[i] - acc) % Q, 0);
        }
    }
}

/* PQClean's rej_uniform (static there), the reference */
static unsigned rej_ref(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen)
{
    unsigned ctr = 0, pos = 0;
    while (ctr < len && pos + 3 <= buflen) {
        uint32_t t = buf[pos] | (uint32_t)buf[pos + 1] << 8 | (uint32_t)buf[pos + 2] << 16;
        pos += 3;
        t &= 0x7FFFFF;
        if (t < Q)
            a[ctr++] = (int32_t)t;
    }
    return ctr;
}

static void test_rej(void **state)
{
    (void)state;
    need_avx2();
    for (int n = 0; n < 3000; n++) {
        uint8_t buf[900];
        int32_t r1[300], r2[300 + 8];
        unsigned buflen = (unsigned)(rnd64() % sizeof(buf)), len = (unsigned)(rnd64() % 300);
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)rnd64();
        if (n & 1)   /* many candidates >= q (0x7FE001..0x7FFFFF) */
            for (unsigned i = 2; i < buflen; i += 3) {
                buf[i] |= 0x7F;
                buf[i - 1] |= (n & 2) ? 0xE0 : 0;
            }
        unsigned c1 = rej_ref(r1, len, buf, buflen), c2 = aegis__mldsa87_avx2_rej(r2, len, buf, buflen);
        assert_int_equal(c1, c2);
        assert_memory_equal(r1, r2, c1 * sizeof(int32_t));
    }
}

/* PQClean's rej_eta for eta = 2 (static there), the reference */
static unsigned rej_eta_ref(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen)
{
    unsigned ctr = 0, pos = 0;
    while (ctr < len && pos < buflen) {
        uint32_t t0 = buf[pos] & 0x0F, t1 = buf[pos++] >> 4;
        if (t0 < 15)
            a[ctr++] = 2 - (int32_t)(t0 - (205 * t0 >> 10) * 5);
        if (t1 < 15 && ctr < len)
            a[ctr++] = 2 - (int32_t)(t1 - (205 * t1 >> 10) * 5);
    }
    return ctr;
}

static void test_rej_eta(void **state)
{
    (void)state;
    need_avx2();
    for (int n = 0; n < 3000; n++) {
        uint8_t buf[300];
        int32_t r1[300], r2[300 + 8];
        unsigned buflen = (unsigned)(rnd64() % sizeof(buf)), len = (unsigned)(rnd64() % 300);
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)rnd64();
        if (n % 3 == 1)   /* many rejected nibbles */
            for (unsigned i = 0; i < buflen; i++)
                buf[i] |= (rnd64() & 1) ? 0x0F : 0xF0;
        if (n % 3 == 2)   /* only nibbles 13..15 */
            for (unsigned i = 0; i < buflen; i++)
                buf[i] = (uint8_t)(0xDD + (buf[i] & 0x22));
        unsigned c1 = rej_eta_ref(r1, len, buf, buflen), c2 = aegis__mldsa87_avx2_rej_eta(r2, len, buf, buflen);
        assert_int_equal(c1, c2);
        assert_memory_equal(r1, r2, c1 * sizeof(int32_t));
    }
}

static void test_polyz_unpack_chknorm(void **state)
{
    (void)state;
    need_avx2();
    for (int n = 0; n < 2000; n++) {
        uint8_t buf[640];
        int32_t r1[256], r2[256];
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)rnd64();
        PQCLEAN_MLDSA87_CLEAN_polyz_unpack(r1, buf);
        aegis__mldsa87_avx2_polyz_unpack(r2, buf);
        assert_memory_equal(r1, r2, sizeof(r1));
        /* chknorm: bounds of the signing loop and around them, values near them */
        static const int32_t bounds[] = {(1 << 19) - 120, 261888 - 120, 261888, 1, 0, (Q - 1) / 8, (Q - 1) / 8 + 1};
        int32_t b = bounds[n % 7];
        rnd_poly(r1, n & 1 ? Q : b + 2);
        if (n % 5 == 0) {   /* exactly at the bound, positive or negative, anywhere */
            rnd_poly(r1, b > 0 ? b : 1);
            r1[rnd64() % 256] = (n & 2) ? b : -b;
        }
        assert_int_equal(PQCLEAN_MLDSA87_CLEAN_poly_chknorm(r1, b), aegis__mldsa87_avx2_chknorm(r1, b));
    }
}

/* the one-lane SHAKE256 (keccak4x.c) against PQClean's: inputs cut into
 * random pieces (0 to 3 rates long, across block edges), output squeezed in
 * random chunks; and through aegis__shake256_pieces (which picks it with
 * AVX-512, else OpenSSL) */
static void test_shake256x1(void **state)
{
    (void)state;
    need_avx2();
    static uint8_t in[3000], ref[700], out[700];
    for (int n = 0; n < 400; n++) {
        size_t len = (size_t)(rnd64() % (n < 200 ? 300 : sizeof(in))), outlen = 1 + (size_t)(rnd64() % sizeof(out));
        for (size_t i = 0; i < len; i++)
            in[i] = (uint8_t)rnd64();
        shake256(ref, outlen, in, len);
        aegis__shake256x1 c;
        aegis__shake256x1_init(&c);
        for (size_t off = 0; off < len;) {
            size_t k = (size_t)(rnd64() % (n & 1 ? 9 : 3 * 136 + 1));
            if (k > len - off)
                k = len - off;
            aegis__shake256x1_absorb(&c, in + off, k);
            off += k;
        }
        aegis__shake256x1_finalize(&c);
        for (size_t off = 0; off < outlen;) {
            size_t k = 1 + (size_t)(rnd64() % (n & 2 ? 17 : 300));
            if (k > outlen - off)
                k = outlen - off;
            aegis__shake256x1_squeeze(&c, out + off, k);
            off += k;
        }
        aegis__shake256x1_clear(&c);
        assert_memory_equal(ref, out, outlen);
        size_t cut = len ? (size_t)(rnd64() % len) : 0;
        const struct aegis__piece pc[3] = {{in, cut}, {NULL, 0}, {in + cut, len - cut}};
        memset(out, 0, sizeof(out));
        aegis__shake256_pieces(out, outlen, pc, 3);
        assert_memory_equal(ref, out, outlen);
    }
}

static void test_challenge(void **state)
{
    (void)state;
    need_avx2();
    for (int n = 0; n < 500; n++) {
        uint8_t seed[64];
        int32_t c1[256], c2[256];
        for (int i = 0; i < 64; i++)
            seed[i] = (uint8_t)rnd64();
        PQCLEAN_MLDSA87_CLEAN_poly_challenge(c1, seed);
        aegis__mldsa87_avx2_challenge(c2, seed);
        assert_memory_equal(c1, c2, sizeof(c1));
    }
}

/* t1 (10 bits, [0, 1024)), t0 (13 bits, 2^12 - t0 for t0 in (-2^12, 2^12])
 * and eta (3 bits, 2 - s for s in [-2, 2]) against PQClean's, with a guard
 * byte after the output */
static void test_pack(void **state)
{
    (void)state;
    need_avx2();
    for (int n = 0; n < 1500; n++) {
        int32_t a[256];
        uint8_t r1[416 + 1], r2[416 + 1];
        int kind = n % 3, bytes = kind == 0 ? 320 : kind == 1 ? 416 : 96;
        for (int i = 0; i < 256; i++) {
            uint64_t x = rnd64();
            a[i] = kind == 0 ? (int32_t)(x % 1024) : kind == 1 ? (int32_t)(x % 8192) - 4095 : (int32_t)(x % 5) - 2;
        }
        if (n < 6)   /* the extremes */
            for (int i = 0; i < 256; i++)
                a[i] = kind == 0 ? (n < 3 ? 1023 : 0) : kind == 1 ? (n < 3 ? 4096 : -4095) : (n < 3 ? 2 : -2);
        memset(r1, 0xA5, sizeof(r1));
        memset(r2, 0xA5, sizeof(r2));
        if (kind == 0) {
            PQCLEAN_MLDSA87_CLEAN_polyt1_pack(r1, a);
            aegis__mldsa87_avx2_pack(r2, a, 0, 10);
        } else if (kind == 1) {
            PQCLEAN_MLDSA87_CLEAN_polyt0_pack(r1, a);
            aegis__mldsa87_avx2_pack(r2, a, 1 << 12, 13);
        } else {
            PQCLEAN_MLDSA87_CLEAN_polyeta_pack(r1, a);
            aegis__mldsa87_avx2_pack(r2, a, 2, 3);
        }
        assert_memory_equal(r1, r2, (size_t)bytes + 1);
    }
}

static void test_core_matches_generic(void **state)
{
    (void)state;
    need_avx2();
    const struct aegis__mldsa_ops *g = &aegis__mldsa87_generic, *v = aegis__mldsa87_avx2();
    static uint8_t pk1[AEGIS_MLDSA87_PK_BYTES], sk1[AEGIS_MLDSA87_SK_BYTES];
    static uint8_t pk2[AEGIS_MLDSA87_PK_BYTES], sk2[AEGIS_MLDSA87_SK_BYTES];
    static uint8_t s1[AEGIS_MLDSA87_SIG_BYTES], s2[AEGIS_MLDSA87_SIG_BYTES];
    for (int n = 0; n < 20; n++) {
        uint8_t xi[32], mu[64], rnd[32];
        for (int i = 0; i < 32; i++) {
            xi[i] = (uint8_t)rnd64();
            rnd[i] = (uint8_t)rnd64();
        }
        for (int i = 0; i < 64; i++)
            mu[i] = (uint8_t)rnd64();
        g->keygen(pk1, sk1, xi);
        v->keygen(pk2, sk2, xi);
        assert_memory_equal(pk1, pk2, sizeof(pk1));
        assert_memory_equal(sk1, sk2, sizeof(sk1));
        g->sign_mu(s1, mu, rnd, sk1);
        v->sign_mu(s2, mu, rnd, sk1);
        assert_memory_equal(s1, s2, sizeof(s1));
        assert_true(v->verify_mu(s1, mu, pk1));
        {   /* from the message: mu = H(H(pk) || pre || msg) inside, tr hashed beside ExpandA */
            static const uint8_t pre[2] = {0, 0};
            uint8_t tr[64], mu2[64], sig[AEGIS_MLDSA87_SIG_BYTES];
            aegis__shake256_2(tr, 64, pk1, sizeof(pk1), NULL, 0);
            const struct aegis__piece pc[3] = {{tr, 64}, {pre, 2}, {xi, 32}};
            aegis__shake256_pieces(mu2, 64, pc, 3);
            g->sign_mu(sig, mu2, rnd, sk1);
            assert_true(g->verify_msg(sig, pre, 2, xi, 32, pk1));
            assert_true(v->verify_msg(sig, pre, 2, xi, 32, pk1));
            assert_false(v->verify_msg(sig, pre, 2, xi, 31, pk1));
            assert_false(g->verify_msg(sig, pre, 2, xi, 31, pk1));
        }
        s1[n * 37 % sizeof(s1)] ^= 1;
        assert_int_equal(g->verify_mu(s1, mu, pk1), v->verify_mu(s1, mu, pk1));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntt),
        cmocka_unit_test(test_pointwise_acc),
        cmocka_unit_test(test_rej),
        cmocka_unit_test(test_rej_eta),
        cmocka_unit_test(test_polyz_unpack_chknorm),
        cmocka_unit_test(test_shake256x1),
        cmocka_unit_test(test_challenge),
        cmocka_unit_test(test_pack),
        cmocka_unit_test(test_core_matches_generic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
