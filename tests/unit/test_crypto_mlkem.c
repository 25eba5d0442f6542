/* test_crypto_mlkem.c - the vectorised ML-KEM-1024 (src/crypto/mlkem_avx2_*.c,
 * keccak4x_*.c) against PQClean's portable ml-kem-1024/clean, bit for bit:
 * every vector routine on random inputs over the ranges it meets in the
 * scheme (and wider where the routine allows), the four-way Keccak's AVX2
 * and AVX-512VL builds against each other, and whole keygen / encaps /
 * decaps (valid, tampered and random ciphertexts, prepared keys) against
 * PQClean's kem.c. Also the AEGIS_CPU cap. Skipped on CPUs without AVX2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/crypto.h"

#include "../src/crypto/mlkem_int.h"

/* PQClean's portable ML-KEM-1024 (include path set in cmake/pqclean.cmake) */
#include "cbd.h"
#include "indcpa.h"
#include "kem.h"
#include "ntt.h"
#include "poly.h"
#include "polyvec.h"
#include "reduce.h"

#define ROUNDS 300

/* xorshift64*: reproducible inputs (the seed is printed on failure) */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd64(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static void rnd_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rnd64() >> 56);
}
/* uniform in [lo, hi] */
static void rnd_poly(int16_t *r, int lo, int hi)
{
    for (int i = 0; i < 256; i++)
        r[i] = (int16_t)(lo + (int)(rnd64() % (uint64_t)(hi - lo + 1)));
}

static int need_avx2(void **state)
{
    (void)state;
    if (aegis__cpu()->level < AEGIS_CPU_AVX2)
        skip();
    return 0;
}

#define Q 3329

static void test_ntt_invntt(void **state)
{
    need_avx2(state);
    for (int n = 0; n < ROUNDS; n++) {
        poly a, b;
        rnd_poly(a.coeffs, -(Q - 1), Q - 1);
        b = a;
        PQCLEAN_MLKEM1024_CLEAN_poly_ntt(&a);
        aegis__mlkem_avx2_ntt(b.coeffs);
        assert_memory_equal(a.coeffs, b.coeffs, sizeof(a.coeffs));
        rnd_poly(a.coeffs, -32768, 32767);   /* invntt reduces in every layer: any input */
        b = a;
        PQCLEAN_MLKEM1024_CLEAN_poly_invntt_tomont(&a);
        aegis__mlkem_avx2_invntt(b.coeffs);
        assert_memory_equal(a.coeffs, b.coeffs, sizeof(a.coeffs));
    }
}

static void test_basemul_reduce_tomont(void **state)
{
    need_avx2(state);
    for (int n = 0; n < ROUNDS; n++) {
        poly a, b, r1;
        _Alignas(32) int16_t r2[256];
        rnd_poly(a.coeffs, -32768, 32767);
        rnd_poly(b.coeffs, -(Q - 1), Q - 1);
        PQCLEAN_MLKEM1024_CLEAN_poly_basemul_montgomery(&r1, &a, &b);
        aegis__mlkem_avx2_basemul(r2, a.coeffs, b.coeffs);
        assert_memory_equal(r1.coeffs, r2, sizeof(r2));

        polyvec va, vb;
        for (int k = 0; k < AEGIS_MLKEM_K; k++) {
            rnd_poly(va.vec[k].coeffs, -(Q - 1), Q - 1);
            rnd_poly(vb.vec[k].coeffs, -(Q - 1), Q - 1);
        }
        int16_t ta[4][256], tb[4][256];
        for (int k = 0; k < 4; k++) {
            memcpy(ta[k], va.vec[k].coeffs, 512);
            memcpy(tb[k], vb.vec[k].coeffs, 512);
        }
        PQCLEAN_MLKEM1024_CLEAN_polyvec_basemul_acc_montgomery(&r1, &va, &vb);
        aegis__mlkem_avx2_basemul_acc(r2, (const int16_t (*)[256])ta, (const int16_t (*)[256])tb);
        assert_memory_equal(r1.coeffs, r2, sizeof(r2));

        rnd_poly(a.coeffs, -32768, 32767);
        memcpy(r2, a.coeffs, sizeof(r2));
        PQCLEAN_MLKEM1024_CLEAN_poly_reduce(&a);
        aegis__mlkem_avx2_reduce(r2);
        assert_memory_equal(a.coeffs, r2, sizeof(r2));

        rnd_poly(a.coeffs, -32768, 32767);
        memcpy(r2, a.coeffs, sizeof(r2));
        PQCLEAN_MLKEM1024_CLEAN_poly_tomont(&a);
        aegis__mlkem_avx2_tomont(r2);
        assert_memory_equal(a.coeffs, r2, sizeof(r2));
    }
}

static void test_add_sub(void **state)
{
    need_avx2(state);
    for (int n = 0; n < ROUNDS; n++) {
        poly a, b, c, r1;
        _Alignas(32) int16_t r2[256];
        rnd_poly(a.coeffs, -(Q - 1), Q - 1);
        rnd_poly(b.coeffs, -(Q - 1), Q - 1);
        rnd_poly(c.coeffs, 0, Q - 1);
        PQCLEAN_MLKEM1024_CLEAN_poly_add(&r1, &a, &b);
        PQCLEAN_MLKEM1024_CLEAN_poly_reduce(&r1);
        aegis__mlkem_avx2_add_reduce(r2, a.coeffs, b.coeffs);
        assert_memory_equal(r1.coeffs, r2, sizeof(r2));
        PQCLEAN_MLKEM1024_CLEAN_poly_add(&r1, &a, &b);
        PQCLEAN_MLKEM1024_CLEAN_poly_add(&r1, &r1, &c);
        PQCLEAN_MLKEM1024_CLEAN_poly_reduce(&r1);
        aegis__mlkem_avx2_add3_reduce(r2, a.coeffs, b.coeffs, c.coeffs);
        assert_memory_equal(r1.coeffs, r2, sizeof(r2));
        PQCLEAN_MLKEM1024_CLEAN_poly_sub(&r1, &a, &b);
        PQCLEAN_MLKEM1024_CLEAN_poly_reduce(&r1);
        aegis__mlkem_avx2_sub_reduce(r2, a.coeffs, b.coeffs);
        assert_memory_equal(r1.coeffs, r2, sizeof(r2));
    }
}

static void test_encode_compress(void **state)
{
    need_avx2(state);
    for (int n = 0; n < ROUNDS; n++) {
        poly a, r1;
        _Alignas(32) int16_t r2[256];
        uint8_t b1[384 + 16], b2[384 + 16];
        /* ByteEncode12 / ByteDecode12 */
        rnd_poly(a.coeffs, -(Q - 1), Q - 1);
        PQCLEAN_MLKEM1024_CLEAN_poly_tobytes(b1, &a);
        aegis__mlkem_avx2_tobytes(b2, a.coeffs);
        assert_memory_equal(b1, b2, 384);
        rnd_bytes(b1, 384);
        PQCLEAN_MLKEM1024_CLEAN_poly_frombytes(&r1, b1);
        aegis__mlkem_avx2_frombytes(r2, b1);
        assert_memory_equal(r1.coeffs, r2, sizeof(r2));
        /* Compress_11 / Decompress_11: one poly of a polyvec */
        polyvec v;
        for (int k = 0; k < 4; k++)
            rnd_poly(v.vec[k].coeffs, -(Q - 1), Q - 1);
        uint8_t c1[4 * 352 + 16], c2[352];
        PQCLEAN_MLKEM1024_CLEAN_polyvec_compress(c1, &v);
        for (int k = 0; k < 4; k++) {
            aegis__mlkem_avx2_compress11(c2, v.vec[k].coeffs);
            assert_memory_equal(c1 + 352 * k, c2, 352);
        }
        rnd_bytes(c1, sizeof(c1));
        PQCLEAN_MLKEM1024_CLEAN_polyvec_decompress(&v, c1);
        for (int k = 0; k < 4; k++) {
            aegis__mlkem_avx2_decompress11(r2, c1 + 352 * k);
            assert_memory_equal(v.vec[k].coeffs, r2, sizeof(r2));
        }
        /* Compress_5 / Decompress_5 */
        rnd_poly(a.coeffs, -(Q - 1), Q - 1);
        PQCLEAN_MLKEM1024_CLEAN_poly_compress(b1, &a);
        aegis__mlkem_avx2_compress5(b2, a.coeffs);
        assert_memory_equal(b1, b2, 160);
        rnd_bytes(b1, 160);
        PQCLEAN_MLKEM1024_CLEAN_poly_decompress(&r1, b1);
        aegis__mlkem_avx2_decompress5(r2, b1);
        assert_memory_equal(r1.coeffs, r2, sizeof(r2));
        /* messages */
        rnd_bytes(b1, 32);
        PQCLEAN_MLKEM1024_CLEAN_poly_frommsg(&r1, b1);
        aegis__mlkem_avx2_frommsg(r2, b1);
        assert_memory_equal(r1.coeffs, r2, sizeof(r2));
        rnd_poly(a.coeffs, -Q, Q);
        PQCLEAN_MLKEM1024_CLEAN_poly_tomsg(b1, &a);
        aegis__mlkem_avx2_tomsg(b2, a.coeffs);
        assert_memory_equal(b1, b2, 32);
        /* CBD_2 */
        rnd_bytes(b1, 128);
        PQCLEAN_MLKEM1024_CLEAN_poly_cbd_eta1(&r1, b1);
        aegis__mlkem_avx2_cbd2(r2, b1);
        assert_memory_equal(r1.coeffs, r2, sizeof(r2));
    }
}

/* every 12-bit value through compress / decompress, not only random ones */
static void test_compress_exhaustive(void **state)
{
    need_avx2(state);
    for (int base = -Q + 1; base < Q; base += 256) {
        poly a;
        for (int i = 0; i < 256; i++)
            a.coeffs[i] = (int16_t)(base + i < Q ? base + i : Q - 1);
        polyvec v = {.vec = {a, a, a, a}};
        uint8_t c1[4 * 352], c2[352], d1[160], d2[160];
        PQCLEAN_MLKEM1024_CLEAN_polyvec_compress(c1, &v);
        aegis__mlkem_avx2_compress11(c2, a.coeffs);
        assert_memory_equal(c1, c2, 352);
        PQCLEAN_MLKEM1024_CLEAN_poly_compress(d1, &a);
        aegis__mlkem_avx2_compress5(d2, a.coeffs);
        assert_memory_equal(d1, d2, 160);
    }
}

static void test_sampling(void **state)
{
    need_avx2(state);
    static polyvec a1[4];
    static int16_t a2[4][4][256];
    for (int n = 0; n < 40; n++) {
        uint8_t seed[32];
        rnd_bytes(seed, 32);
        int tr = n & 1;
        PQCLEAN_MLKEM1024_CLEAN_gen_matrix(a1, seed, tr);
        aegis__mlkem_avx2_gen_matrix(a2, seed, tr);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                assert_memory_equal(a1[i].vec[j].coeffs, a2[i][j], 512);
        int16_t r[4][256];
        uint8_t nonce = (uint8_t)rnd64();
        aegis__mlkem_avx2_noise4(r, seed, nonce);
        for (int k = 0; k < 4; k++) {
            poly p;
            PQCLEAN_MLKEM1024_CLEAN_poly_getnoise_eta1(&p, seed, (uint8_t)(nonce + k));
            assert_memory_equal(p.coeffs, r[k], 512);
        }
    }
    /* a short buffer: rejection stops at the end of the input */
    uint8_t buf[6] = {0xff, 0xff, 0xff, 0x01, 0x20, 0x00};   /* 4095, 4095 rejected; 1, 2 taken */
    int16_t out[4] = {0};
    assert_int_equal(aegis__mlkem_avx2_rej(out, 4, buf, sizeof(buf)), 2);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 2);
}

/* PQClean's rej_uniform (static there), the reference for the vector one */
static unsigned rej_ref(int16_t *r, unsigned len, const uint8_t *buf, unsigned buflen)
{
    unsigned ctr = 0, pos = 0;
    while (ctr < len && pos + 3 <= buflen) {
        uint16_t v0 = (uint16_t)((buf[pos] | (uint16_t)buf[pos + 1] << 8) & 0xFFF);
        uint16_t v1 = (uint16_t)((buf[pos + 1] >> 4 | (uint16_t)buf[pos + 2] << 4) & 0xFFF);
        pos += 3;
        if (v0 < Q)
            r[ctr++] = (int16_t)v0;
        if (ctr < len && v1 < Q)
            r[ctr++] = (int16_t)v1;
    }
    return ctr;
}

static void test_rej_and_ek_check(void **state)
{
    need_avx2(state);
    for (int n = 0; n < 2000; n++) {
        uint8_t buf[600];
        int16_t r1[300], r2[300 + 16];
        unsigned buflen = (unsigned)(rnd64() % sizeof(buf)), len = (unsigned)(rnd64() % 300);
        rnd_bytes(buf, sizeof(buf));
        if (n & 1)   /* mostly large candidates: many rejections */
            for (unsigned i = 1; i < buflen; i += 3)
                buf[i] |= 0xC0;
        unsigned c1 = rej_ref(r1, len, buf, buflen), c2 = aegis__mlkem_avx2_rej(r2, len, buf, buflen);
        assert_int_equal(c1, c2);
        assert_memory_equal(r1, r2, c1 * sizeof(int16_t));
    }
    uint8_t ek[AEGIS_MLKEM1024_EK_BYTES], dk[AEGIS_MLKEM1024_DK_BYTES];
    assert_int_equal(aegis_mlkem1024_keygen(ek, dk), AEGIS_OK);
    assert_true(aegis__mlkem_avx2_ek_in_range(ek));
    for (int n = 0; n < 200; n++) {   /* one coefficient >= q anywhere */
        uint8_t bad[AEGIS_MLKEM1024_EK_BYTES];
        memcpy(bad, ek, sizeof(bad));
        unsigned c = (unsigned)(rnd64() % 1024), v = Q + (unsigned)(rnd64() % (4096 - Q));
        uint8_t *p = bad + 3 * (c / 2);
        if (c & 1) {
            p[1] = (uint8_t)((p[1] & 0x0f) | (v << 4));
            p[2] = (uint8_t)(v >> 4);
        } else {
            p[0] = (uint8_t)v;
            p[1] = (uint8_t)((p[1] & 0xf0) | (v >> 8));
        }
        assert_false(aegis__mlkem_avx2_ek_in_range(bad));
        assert_int_equal(aegis_mlkem1024_check_ek(bad), AEGIS_ERR_MLKEM_EK_CHECK);
    }
}

static void test_keccak_avx512_matches_avx2(void **state)
{
    need_avx2(state);
    if (aegis__cpu()->level < AEGIS_CPU_AVX512)
        skip();
    for (int n = 0; n < 50; n++) {
        _Alignas(32) uint64_t s1[100], s2[100];
        rnd_bytes((uint8_t *)s1, sizeof(s1));
        memcpy(s2, s1, sizeof(s1));
        aegis__keccakx4_permute_avx2(s1);
        aegis__keccakx4_permute_avx512(s2);
        assert_memory_equal(s1, s2, sizeof(s1));
    }
}

static void test_kem_against_pqclean(void **state)
{
    need_avx2(state);
    static uint8_t ek1[AEGIS_MLKEM1024_EK_BYTES], dk1[AEGIS_MLKEM1024_DK_BYTES];
    static uint8_t ek2[AEGIS_MLKEM1024_EK_BYTES], dk2[AEGIS_MLKEM1024_DK_BYTES];
    static uint8_t ct1[AEGIS_MLKEM1024_CT_BYTES], ct2[AEGIS_MLKEM1024_CT_BYTES];
    static struct aegis__mlkem_prepared prep;
    for (int n = 0; n < 60; n++) {
        uint8_t dz[64], m[32], ss1[32], ss2[32];
        rnd_bytes(dz, 64);
        PQCLEAN_MLKEM1024_CLEAN_crypto_kem_keypair_derand(ek1, dk1, dz);
        aegis__mlkem_avx2_keypair(ek2, dk2, dz, dz + 32);
        assert_memory_equal(ek1, ek2, sizeof(ek1));
        assert_memory_equal(dk1, dk2, sizeof(dk1));
        rnd_bytes(m, 32);
        PQCLEAN_MLKEM1024_CLEAN_crypto_kem_enc_derand(ct1, ss1, ek1, m);
        aegis__mlkem_avx2_enc(ct2, ss2, ek1, m);
        assert_memory_equal(ct1, ct2, sizeof(ct1));
        assert_memory_equal(ss1, ss2, 32);
        aegis__mlkem_avx2_prepare(&prep, dk1);
        /* valid, one bit flipped, and all random */
        for (int v = 0; v < 3; v++) {
            if (v == 1)
                ct1[rnd64() % sizeof(ct1)] ^= (uint8_t)(1u << (rnd64() % 8));
            if (v == 2)
                rnd_bytes(ct1, sizeof(ct1));
            PQCLEAN_MLKEM1024_CLEAN_crypto_kem_dec(ss1, ct1, dk1);
            aegis__mlkem_avx2_dec(ss2, ct1, &prep);
            assert_memory_equal(ss1, ss2, 32);
            aegis__mlkem_avx2_dec_dk(ss2, ct1, dk1);
            assert_memory_equal(ss1, ss2, 32);
        }
    }
}

/* the public API on whichever path is active, prepared key included */
static void test_prepared_key(void **state)
{
    (void)state;
    uint8_t ek[AEGIS_MLKEM1024_EK_BYTES], dk[AEGIS_MLKEM1024_DK_BYTES], ct[AEGIS_MLKEM1024_CT_BYTES];
    uint8_t ss1[32], ss2[32], ss3[32];
    assert_int_equal(aegis_mlkem1024_keygen(ek, dk), AEGIS_OK);
    aegis_mlkem1024_key *k = NULL;
    assert_int_equal(aegis_mlkem1024_key_new(&k, dk), AEGIS_OK);
    for (int v = 0; v < 2; v++) {
        assert_int_equal(aegis_mlkem1024_encaps(ct, ss1, ek), AEGIS_OK);
        if (v == 1)
            ct[17] ^= 4;
        assert_int_equal(aegis_mlkem1024_decaps(ss2, ct, dk), AEGIS_OK);
        assert_int_equal(aegis_mlkem1024_decaps_key(ss3, ct, k), AEGIS_OK);
        assert_memory_equal(ss2, ss3, 32);
        if (v == 0)
            assert_memory_equal(ss1, ss2, 32);
        else
            assert_memory_not_equal(ss1, ss2, 32);
    }
    aegis_mlkem1024_key_free(k);
    /* a dk failing the 7.3 check is refused at preparation */
    dk[AEGIS_MLKEM1024_DK_BYTES - 40] ^= 1;
    k = NULL;
    assert_int_equal(aegis_mlkem1024_key_new(&k, dk), AEGIS_ERR_MLKEM_DK_CHECK);
    assert_null(k);
    aegis_mlkem1024_key_free(NULL);
}

static void test_cpu_level(void **state)
{
    (void)state;
    const struct aegis__cpu *c = aegis__cpu();
    assert_true(c->level <= c->hw_level);
    assert_ptr_equal(c, aegis__cpu());   /* detected once */
    const char *cap = getenv("AEGIS_CPU");
    if (cap && strcmp(cap, "portable") == 0) {
        assert_int_equal(c->level, AEGIS_CPU_PORTABLE);
        assert_false(c->sha_ni);
    }
    if (cap && strcmp(cap, "avx2") == 0)
        assert_true(c->level <= AEGIS_CPU_AVX2);
    assert_string_equal(aegis__cpu_level_name(AEGIS_CPU_AVX2), "avx2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntt_invntt),
        cmocka_unit_test(test_basemul_reduce_tomont),
        cmocka_unit_test(test_add_sub),
        cmocka_unit_test(test_encode_compress),
        cmocka_unit_test(test_compress_exhaustive),
        cmocka_unit_test(test_sampling),
        cmocka_unit_test(test_rej_and_ek_check),
        cmocka_unit_test(test_keccak_avx512_matches_avx2),
        cmocka_unit_test(test_kem_against_pqclean),
        cmocka_unit_test(test_prepared_key),
        cmocka_unit_test(test_cpu_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
