/* test_crypto_pq.c - ML-DSA-87, SLH-DSA-SHA2-256s/256f, ML-KEM-1024: round
 * trips, tampering, lengths, context limits, determinism, the FIPS 203
 * 7.2 / 7.3 key checks, implicit rejection, random-source failures.
 * Known answers are the ACVP files (ctest label "vectors"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/crypto.h"

/* internals: ops tables and the SHA-NI helper */
#include "../src/crypto/pq_int.h"

static const uint8_t MSG[] = "batch 42: 17 transactions";
static const uint8_t CTX[] = "aegis-test";

static aegis_err failing_source(void *ctx, uint8_t *out, size_t n)
{
    (void)ctx; (void)out; (void)n;
    return AEGIS_ERR_CRYPTO_RANDOM;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

/* ---------------- ML-DSA-87 ---------------- */

struct mldsa_keys {
    uint8_t pk[AEGIS_MLDSA87_PK_BYTES], sk[AEGIS_MLDSA87_SK_BYTES];
};

static void test_mldsa_roundtrip(void **state)
{
    (void)state;
    struct mldsa_keys *k = malloc(sizeof(*k));
    uint8_t sig[AEGIS_MLDSA87_SIG_BYTES];
    assert_non_null(k);
    assert_int_equal(aegis_mldsa87_keygen(k->pk, k->sk), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_sign(sig, MSG, sizeof(MSG), CTX, sizeof(CTX), k->sk, false), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), MSG, sizeof(MSG), CTX, sizeof(CTX), k->pk), AEGIS_OK);
    /* other context, no context, other message */
    assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), MSG, sizeof(MSG), CTX, sizeof(CTX) - 1, k->pk),
                     AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), MSG, sizeof(MSG), NULL, 0, k->pk), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), MSG, sizeof(MSG) - 1, CTX, sizeof(CTX), k->pk),
                     AEGIS_ERR_BAD_SIG);
    /* empty message and context */
    assert_int_equal(aegis_mldsa87_sign(sig, NULL, 0, NULL, 0, k->sk, true), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), NULL, 0, NULL, 0, k->pk), AEGIS_OK);
    /* another key */
    struct mldsa_keys *k2 = malloc(sizeof(*k2));
    assert_non_null(k2);
    assert_int_equal(aegis_mldsa87_keygen(k2->pk, k2->sk), AEGIS_OK);
    assert_memory_not_equal(k->pk, k2->pk, sizeof(k->pk));
    assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), NULL, 0, NULL, 0, k2->pk), AEGIS_ERR_BAD_SIG);
    free(k);
    free(k2);
}

static void test_mldsa_tamper_and_lengths(void **state)
{
    (void)state;
    struct mldsa_keys *k = malloc(sizeof(*k));
    uint8_t sig[AEGIS_MLDSA87_SIG_BYTES + 1];
    assert_non_null(k);
    assert_int_equal(aegis_mldsa87_keygen(k->pk, k->sk), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_sign(sig, MSG, sizeof(MSG), NULL, 0, k->sk, true), AEGIS_OK);
    /* c~ (64), z (7 x 640), h (75 + 8): flip a bit in every 61st byte, and
     * the first / last byte of each part. */
    size_t pos[AEGIS_MLDSA87_SIG_BYTES / 61 + 8], np = 0;
    static const size_t marks[] = { 0, 63, 64, 64 + 4480 - 1, 64 + 4480, AEGIS_MLDSA87_SIG_BYTES - 1 };
    for (size_t i = 0; i < AEGIS_MLDSA87_SIG_BYTES; i += 61)
        pos[np++] = i;
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(marks); i++)
        pos[np++] = marks[i];
    for (size_t i = 0; i < np; i++) {
        for (unsigned bit = 1; bit < 256; bit <<= 3) {
            sig[pos[i]] ^= (uint8_t)bit;
            assert_int_equal(aegis_mldsa87_verify(sig, AEGIS_MLDSA87_SIG_BYTES, MSG, sizeof(MSG), NULL, 0, k->pk),
                             AEGIS_ERR_BAD_SIG);
            sig[pos[i]] ^= (uint8_t)bit;
        }
    }
    assert_int_equal(aegis_mldsa87_verify(sig, AEGIS_MLDSA87_SIG_BYTES, MSG, sizeof(MSG), NULL, 0, k->pk), AEGIS_OK);
    /* wrong lengths */
    assert_int_equal(aegis_mldsa87_verify(sig, AEGIS_MLDSA87_SIG_BYTES - 1, MSG, sizeof(MSG), NULL, 0, k->pk),
                     AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_mldsa87_verify(sig, AEGIS_MLDSA87_SIG_BYTES + 1, MSG, sizeof(MSG), NULL, 0, k->pk),
                     AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_mldsa87_verify(sig, 0, MSG, sizeof(MSG), NULL, 0, k->pk), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_mldsa87_verify(NULL, AEGIS_MLDSA87_SIG_BYTES, MSG, sizeof(MSG), NULL, 0, k->pk),
                     AEGIS_ERR_BAD_SIG);
    /* tampered public key */
    k->pk[100] ^= 1;
    assert_int_equal(aegis_mldsa87_verify(sig, AEGIS_MLDSA87_SIG_BYTES, MSG, sizeof(MSG), NULL, 0, k->pk),
                     AEGIS_ERR_BAD_SIG);
    free(k);
}

static void test_mldsa_ctx_limit(void **state)
{
    (void)state;
    struct mldsa_keys *k = malloc(sizeof(*k));
    uint8_t ctx[256], sig[AEGIS_MLDSA87_SIG_BYTES];
    assert_non_null(k);
    fill(ctx, sizeof(ctx), 3);
    assert_int_equal(aegis_mldsa87_keygen(k->pk, k->sk), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_sign(sig, MSG, sizeof(MSG), ctx, 256, k->sk, true), AEGIS_ERR_CTX_TOO_LONG);
    assert_int_equal(aegis_mldsa87_sign(sig, MSG, sizeof(MSG), ctx, 255, k->sk, true), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), MSG, sizeof(MSG), ctx, 255, k->pk), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), MSG, sizeof(MSG), ctx, 256, k->pk),
                     AEGIS_ERR_CTX_TOO_LONG);
    free(k);
}

static void test_mldsa_determinism(void **state)
{
    (void)state;
    struct mldsa_keys *k = malloc(sizeof(*k)), *k2 = malloc(sizeof(*k2));
    uint8_t seed[32], s1[AEGIS_MLDSA87_SIG_BYTES], s2[AEGIS_MLDSA87_SIG_BYTES];
    uint8_t mp[2 + sizeof(CTX) + sizeof(MSG)];
    size_t mpl;
    assert_non_null(k);
    assert_non_null(k2);
    fill(seed, sizeof(seed), 9);
    /* keygen from a seed is a function of the seed; keygen draws exactly the seed */
    assert_int_equal(aegis_mldsa87_keygen_seed(k->pk, k->sk, seed), AEGIS_OK);
    aegis_random_set_fixed_thread(seed, sizeof(seed));
    assert_int_equal(aegis_mldsa87_keygen(k2->pk, k2->sk), AEGIS_OK);
    aegis_random_set_fixed_thread(NULL, 0);
    assert_memory_equal(k->pk, k2->pk, sizeof(k->pk));
    assert_memory_equal(k->sk, k2->sk, sizeof(k->sk));
    seed[0] ^= 1;
    assert_int_equal(aegis_mldsa87_keygen_seed(k2->pk, k2->sk, seed), AEGIS_OK);
    assert_memory_not_equal(k->pk, k2->pk, sizeof(k->pk));

    /* deterministic: same signature twice, equal to the internal interface on M' */
    assert_int_equal(aegis_mldsa87_sign(s1, MSG, sizeof(MSG), CTX, sizeof(CTX), k->sk, true), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_sign(s2, MSG, sizeof(MSG), CTX, sizeof(CTX), k->sk, true), AEGIS_OK);
    assert_memory_equal(s1, s2, sizeof(s1));
    assert_int_equal(aegis_pq_build_mprime(mp, sizeof(mp), &mpl, AEGIS_PH_NONE, MSG, sizeof(MSG), CTX,
                                           sizeof(CTX)), AEGIS_OK);
    assert_int_equal(mpl, sizeof(mp));
    assert_int_equal(aegis_mldsa87_sign_internal(s2, mp, mpl, NULL, k->sk), AEGIS_OK);
    assert_memory_equal(s1, s2, sizeof(s1));
    assert_int_equal(aegis_mldsa87_verify_internal(s2, sizeof(s2), mp, mpl, k->pk), AEGIS_OK);

    /* hedged: differs from deterministic and between calls; a fixed rnd
     * reproduces sign_internal with that rnd */
    assert_int_equal(aegis_mldsa87_sign(s2, MSG, sizeof(MSG), CTX, sizeof(CTX), k->sk, false), AEGIS_OK);
    assert_memory_not_equal(s1, s2, sizeof(s1));
    uint8_t rnd[32];
    fill(rnd, sizeof(rnd), 77);
    aegis_random_set_fixed_thread(rnd, sizeof(rnd));
    assert_int_equal(aegis_mldsa87_sign(s1, MSG, sizeof(MSG), CTX, sizeof(CTX), k->sk, false), AEGIS_OK);
    aegis_random_set_fixed_thread(NULL, 0);
    assert_int_equal(aegis_mldsa87_sign_internal(s2, mp, mpl, rnd, k->sk), AEGIS_OK);
    assert_memory_equal(s1, s2, sizeof(s1));
    free(k);
    free(k2);
}


/* The AVX2 build of the ML-DSA core must agree bit for bit with the generic one. */
static void test_mldsa_avx2_matches_generic(void **state)
{
    (void)state;
    const struct aegis__mldsa_ops *g = &aegis__mldsa87_generic, *v = aegis__mldsa87_avx2();
    if (!v)
        skip();
    struct mldsa_keys *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    uint8_t xi[32], mu[64], rnd[32], s1[AEGIS_MLDSA87_SIG_BYTES], s2[AEGIS_MLDSA87_SIG_BYTES];
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 5; i++) {
        fill(xi, sizeof(xi), (uint8_t)(40 + i));
        fill(mu, sizeof(mu), (uint8_t)(90 + i));
        fill(rnd, sizeof(rnd), (uint8_t)(7 * i));
        g->keygen(a->pk, a->sk, xi);
        v->keygen(b->pk, b->sk, xi);
        assert_memory_equal(a->pk, b->pk, sizeof(a->pk));
        assert_memory_equal(a->sk, b->sk, sizeof(a->sk));
        g->sign_mu(s1, mu, rnd, a->sk);
        v->sign_mu(s2, mu, rnd, a->sk);
        assert_memory_equal(s1, s2, sizeof(s1));
        assert_true(g->verify_mu(s2, mu, a->pk));
        assert_true(v->verify_mu(s1, mu, a->pk));
        s1[100] ^= 4;
        assert_false(g->verify_mu(s1, mu, a->pk));
        assert_false(v->verify_mu(s1, mu, a->pk));
    }
    free(a);
    free(b);
}

/* A prepared key signs exactly as the encoded one: the same deterministic
 * and fixed-rnd signatures, over several keys, messages and contexts, for
 * the generic and the AVX2 core alike (prepared with the one in use). */
static void test_mldsa_prepared_key(void **state)
{
    (void)state;
    struct mldsa_keys *k = malloc(sizeof(*k));
    uint8_t xi[32], rnd[32], s1[AEGIS_MLDSA87_SIG_BYTES], s2[AEGIS_MLDSA87_SIG_BYTES];
    assert_non_null(k);
    for (int i = 0; i < 4; i++) {
        fill(xi, sizeof(xi), (uint8_t)(200 + i));
        assert_int_equal(aegis_mldsa87_keygen_seed(k->pk, k->sk, xi), AEGIS_OK);
        aegis_mldsa87_key *pk = NULL;
        assert_int_equal(aegis_mldsa87_key_new(&pk, k->sk), AEGIS_OK);
        size_t ctx_len = (size_t)i * 7 % sizeof(CTX);
        assert_int_equal(aegis_mldsa87_sign(s1, MSG, sizeof(MSG) - (size_t)i, CTX, ctx_len, k->sk, true), AEGIS_OK);
        assert_int_equal(aegis_mldsa87_sign_key(s2, MSG, sizeof(MSG) - (size_t)i, CTX, ctx_len, pk, true), AEGIS_OK);
        assert_memory_equal(s1, s2, sizeof(s1));
        fill(rnd, sizeof(rnd), (uint8_t)(31 * i + 5));
        aegis_random_set_fixed_thread(rnd, sizeof(rnd));
        assert_int_equal(aegis_mldsa87_sign(s1, MSG, sizeof(MSG), CTX, ctx_len, k->sk, false), AEGIS_OK);
        aegis_random_set_fixed_thread(rnd, sizeof(rnd));
        assert_int_equal(aegis_mldsa87_sign_key(s2, MSG, sizeof(MSG), CTX, ctx_len, pk, false), AEGIS_OK);
        aegis_random_set_fixed_thread(NULL, 0);
        assert_memory_equal(s1, s2, sizeof(s1));
        /* hedged signatures with fresh randomness verify and differ */
        assert_int_equal(aegis_mldsa87_sign_key(s1, MSG, sizeof(MSG), CTX, ctx_len, pk, false), AEGIS_OK);
        assert_int_equal(aegis_mldsa87_verify(s1, sizeof(s1), MSG, sizeof(MSG), CTX, ctx_len, k->pk), AEGIS_OK);
        assert_memory_not_equal(s1, s2, sizeof(s1));
        assert_int_equal(aegis_mldsa87_sign_key(s1, MSG, 1, CTX, AEGIS_MAX_CTX_BYTES + 1, pk, true),
                         AEGIS_ERR_CTX_TOO_LONG);
        aegis_mldsa87_key_free(pk);
    }
    aegis_mldsa87_key_free(NULL);
    free(k);
}

/* Raced signing: every signature verifies under the key, whichever thread
 * made it; both threads win some races; no racer = signing alone. */
static void test_mldsa_raced(void **state)
{
    (void)state;
    struct mldsa_keys *k = malloc(sizeof(*k));
    uint8_t xi[32], sig[AEGIS_MLDSA87_SIG_BYTES], msg[32];
    assert_non_null(k);
    fill(xi, sizeof(xi), 61);
    assert_int_equal(aegis_mldsa87_keygen_seed(k->pk, k->sk, xi), AEGIS_OK);
    aegis_mldsa87_key *key = NULL;
    aegis_mldsa87_racer *r = NULL;
    assert_int_equal(aegis_mldsa87_key_new(&key, k->sk), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_racer_new(&r), AEGIS_OK);
    const int n = 300;
    for (int i = 0; i < n; i++) {
        fill(msg, sizeof(msg), (uint8_t)i);
        assert_int_equal(aegis_mldsa87_sign_key_raced(r, sig, msg, sizeof(msg), CTX, sizeof(CTX), key), AEGIS_OK);
        assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), msg, sizeof(msg), CTX, sizeof(CTX), k->pk), AEGIS_OK);
        msg[0] ^= 1;
        assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), msg, sizeof(msg), CTX, sizeof(CTX), k->pk),
                         AEGIS_ERR_BAD_SIG);
    }
    uint64_t races = 0, racer_wins = 0;
    aegis_mldsa87_racer_stats(r, &races, &racer_wins);
    assert_int_equal(races, (uint64_t)n);   /* the slot is free again after every call */
    assert_true(racer_wins > 0 && racer_wins < races);
    assert_int_equal(aegis_mldsa87_sign_key_raced(r, sig, msg, 1, CTX, AEGIS_MAX_CTX_BYTES + 1, key),
                     AEGIS_ERR_CTX_TOO_LONG);
    aegis_mldsa87_racer_free(r);
    assert_int_equal(aegis_mldsa87_sign_key_raced(NULL, sig, msg, sizeof(msg), NULL, 0, key), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_verify(sig, sizeof(sig), msg, sizeof(msg), NULL, 0, k->pk), AEGIS_OK);
    aegis_mldsa87_key_free(key);
    aegis_mldsa87_racer_free(NULL);
    free(k);
}

static void test_mldsa_random_failure(void **state)
{
    (void)state;
    struct mldsa_keys *k = malloc(sizeof(*k));
    uint8_t sig[AEGIS_MLDSA87_SIG_BYTES];
    assert_non_null(k);
    assert_int_equal(aegis_mldsa87_keygen(k->pk, k->sk), AEGIS_OK);
    aegis_random_set_source(failing_source, NULL);
    assert_int_equal(aegis_mldsa87_keygen(k->pk, k->sk), AEGIS_ERR_CRYPTO_RANDOM);
    assert_int_equal(aegis_mldsa87_sign(sig, MSG, sizeof(MSG), NULL, 0, k->sk, false), AEGIS_ERR_CRYPTO_RANDOM);
    /* deterministic signing needs no randomness */
    assert_int_equal(aegis_mldsa87_sign(sig, MSG, sizeof(MSG), NULL, 0, k->sk, true), AEGIS_OK);
    aegis_random_set_source(NULL, NULL);
    free(k);
}

/* ---------------- pre-hash M' ---------------- */

static void test_prehash_mprime(void **state)
{
    (void)state;
    uint8_t out[AEGIS_PQ_MPRIME_PREHASH_MAX], want[32];
    size_t n;
    aegis_prehash ph;
    assert_int_equal(aegis_prehash_from_name("SHA2-256", &ph), AEGIS_OK);
    assert_int_equal(ph, AEGIS_PH_SHA2_256);
    assert_int_equal(aegis_prehash_from_name("SHAKE-256", &ph), AEGIS_OK);
    assert_int_equal(ph, AEGIS_PH_SHAKE256);
    assert_int_equal(aegis_prehash_from_name("MD5", &ph), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_pq_build_mprime(out, sizeof(out), &n, AEGIS_PH_SHA2_256, MSG, sizeof(MSG), CTX,
                                           sizeof(CTX)), AEGIS_OK);
    assert_int_equal(n, 2 + sizeof(CTX) + 11 + 32);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], sizeof(CTX));
    assert_memory_equal(out + 2, CTX, sizeof(CTX));
    static const uint8_t oid[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };
    assert_memory_equal(out + 2 + sizeof(CTX), oid, sizeof(oid));
    aegis_sha256(want, MSG, sizeof(MSG));
    assert_memory_equal(out + 2 + sizeof(CTX) + 11, want, 32);
    /* short buffers, long context */
    assert_int_equal(aegis_pq_build_mprime(out, 10, &n, AEGIS_PH_SHA2_512, MSG, sizeof(MSG), NULL, 0),
                     AEGIS_ERR_TOO_BIG);
    assert_int_equal(aegis_pq_build_mprime(out, 5, &n, AEGIS_PH_NONE, MSG, sizeof(MSG), NULL, 0),
                     AEGIS_ERR_TOO_BIG);
    uint8_t ctx[256] = { 0 };
    assert_int_equal(aegis_pq_build_mprime(out, sizeof(out), &n, AEGIS_PH_SHA2_256, MSG, 1, ctx, 256),
                     AEGIS_ERR_CTX_TOO_LONG);
}

/* ---------------- SLH-DSA ---------------- */

static void slh_roundtrip(aegis_slhdsa_param p, bool full_tamper)
{
    uint8_t pk[AEGIS_SLHDSA_PK_BYTES], sk[AEGIS_SLHDSA_SK_BYTES];
    size_t sl = aegis_slhdsa_sig_bytes(p);
    uint8_t *sig = malloc(sl + 1), *sig2 = malloc(sl);
    assert_non_null(sig);
    assert_non_null(sig2);
    assert_int_equal(aegis_slhdsa_keygen(p, pk, sk), AEGIS_OK);
    assert_memory_equal(pk, sk + 64, 64);   /* sk = SK.seed || SK.prf || PK.seed || PK.root */

    assert_int_equal(aegis_slhdsa_sign(p, sig, MSG, sizeof(MSG), CTX, sizeof(CTX), sk, true), AEGIS_OK);
    assert_int_equal(aegis_slhdsa_verify(p, sig, sl, MSG, sizeof(MSG), CTX, sizeof(CTX), pk), AEGIS_OK);
    assert_int_equal(aegis_slhdsa_verify(p, sig, sl, MSG, sizeof(MSG), NULL, 0, pk), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_slhdsa_verify(p, sig, sl, MSG, sizeof(MSG) - 1, CTX, sizeof(CTX), pk),
                     AEGIS_ERR_BAD_SIG);
    /* wrong lengths */
    assert_int_equal(aegis_slhdsa_verify(p, sig, sl - 1, MSG, sizeof(MSG), CTX, sizeof(CTX), pk), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_slhdsa_verify(p, sig, sl + 1, MSG, sizeof(MSG), CTX, sizeof(CTX), pk), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_slhdsa_verify(p, NULL, sl, MSG, sizeof(MSG), CTX, sizeof(CTX), pk), AEGIS_ERR_BAD_SIG);

    /* deterministic = internal interface on M' with opt_rand = PK.seed */
    uint8_t mp[2 + sizeof(CTX) + sizeof(MSG)];
    size_t mpl;
    assert_int_equal(aegis_pq_build_mprime(mp, sizeof(mp), &mpl, AEGIS_PH_NONE, MSG, sizeof(MSG), CTX,
                                           sizeof(CTX)), AEGIS_OK);
    assert_int_equal(aegis_slhdsa_sign_internal(p, sig2, mp, mpl, sk, sk + 64), AEGIS_OK);
    assert_memory_equal(sig, sig2, sl);
    assert_int_equal(aegis_slhdsa_verify_internal(p, sig2, sl, mp, mpl, pk), AEGIS_OK);

    /* tampering: R, FORS part, every hypertree layer (WOTS+ and auth path) */
    size_t step = full_tamper ? 97 : 997;
    for (size_t pos = 0; pos < sl; pos += step) {
        sig[pos] ^= 0x10;
        assert_int_equal(aegis_slhdsa_verify(p, sig, sl, MSG, sizeof(MSG), CTX, sizeof(CTX), pk),
                         AEGIS_ERR_BAD_SIG);
        sig[pos] ^= 0x10;
    }
    sig[sl - 1] ^= 0x80;
    assert_int_equal(aegis_slhdsa_verify(p, sig, sl, MSG, sizeof(MSG), CTX, sizeof(CTX), pk), AEGIS_ERR_BAD_SIG);
    sig[sl - 1] ^= 0x80;
    pk[40] ^= 1;
    assert_int_equal(aegis_slhdsa_verify(p, sig, sl, MSG, sizeof(MSG), CTX, sizeof(CTX), pk), AEGIS_ERR_BAD_SIG);
    pk[40] ^= 1;

    /* hedged: valid, and different from the deterministic signature */
    assert_int_equal(aegis_slhdsa_sign(p, sig2, MSG, sizeof(MSG), CTX, sizeof(CTX), sk, false), AEGIS_OK);
    assert_memory_not_equal(sig, sig2, 32);
    assert_int_equal(aegis_slhdsa_verify(p, sig2, sl, MSG, sizeof(MSG), CTX, sizeof(CTX), pk), AEGIS_OK);
    free(sig);
    free(sig2);
}

static void test_slhdsa_256f(void **state)
{
    (void)state;
    slh_roundtrip(AEGIS_SLHDSA_SHA2_256F, true);
}

static void test_slhdsa_256s(void **state)
{
    (void)state;
    slh_roundtrip(AEGIS_SLHDSA_SHA2_256S, false);
}


/* SLH-DSA's SHA-NI paths (two-lane WOTS+ / FORS) against the portable ones. */
static void test_slhdsa_fast_matches_portable(void **state)
{
    (void)state;
    if (!aegis__sha256x2_available())
        skip();
    const struct aegis__slh_ops *ops = &aegis__slh_sha2_256f;
    uint8_t seeds[96], pk1[64], sk1[128], pk2[64], sk2[128], rnd[32];
    uint8_t *s1 = malloc(ops->sig_bytes), *s2 = malloc(ops->sig_bytes);
    assert_non_null(s1);
    assert_non_null(s2);
    fill(seeds, sizeof(seeds), 11);
    fill(rnd, sizeof(rnd), 12);
    ops->keygen(pk1, sk1, seeds);
    ops->keygen_portable(pk2, sk2, seeds);
    assert_memory_equal(pk1, pk2, 64);
    assert_memory_equal(sk1, sk2, 128);
    assert_int_equal(ops->sign(s1, NULL, 0, MSG, sizeof(MSG), sk1, rnd), AEGIS_OK);
    assert_int_equal(ops->sign_portable(s2, NULL, 0, MSG, sizeof(MSG), sk1, rnd), AEGIS_OK);
    assert_memory_equal(s1, s2, ops->sig_bytes);
    assert_true(ops->verify(s1, NULL, 0, MSG, sizeof(MSG), pk1));
    assert_true(ops->verify_portable(s1, NULL, 0, MSG, sizeof(MSG), pk1));
    s1[ops->sig_bytes - 100] ^= 2;
    assert_false(ops->verify(s1, NULL, 0, MSG, sizeof(MSG), pk1));
    assert_false(ops->verify_portable(s1, NULL, 0, MSG, sizeof(MSG), pk1));
    free(s1);
    free(s2);
}

static void test_slhdsa_misc(void **state)
{
    (void)state;
    uint8_t pk[64], sk[128], pk2[64], sk2[128], s1[32], s2[32], s3[32], ctx[256] = { 0 };
    fill(s1, 32, 1);
    fill(s2, 32, 2);
    fill(s3, 32, 3);
    assert_int_equal(aegis_slhdsa_keygen_seeds(AEGIS_SLHDSA_SHA2_256F, pk, sk, s1, s2, s3), AEGIS_OK);
    assert_int_equal(aegis_slhdsa_keygen_seeds(AEGIS_SLHDSA_SHA2_256F, pk2, sk2, s1, s2, s3), AEGIS_OK);
    assert_memory_equal(sk, sk2, sizeof(sk));
    assert_memory_equal(sk, s1, 32);
    assert_memory_equal(sk + 32, s2, 32);
    assert_memory_equal(pk, s3, 32);
    /* SK.prf does not enter the root; SK.seed does */
    s2[0] ^= 1;
    assert_int_equal(aegis_slhdsa_keygen_seeds(AEGIS_SLHDSA_SHA2_256F, pk2, sk2, s1, s2, s3), AEGIS_OK);
    assert_memory_equal(pk, pk2, 64);
    s1[0] ^= 1;
    assert_int_equal(aegis_slhdsa_keygen_seeds(AEGIS_SLHDSA_SHA2_256F, pk2, sk2, s1, s2, s3), AEGIS_OK);
    assert_memory_not_equal(pk + 32, pk2 + 32, 32);
    /* sizes, bad parameter, context limit, random failure */
    assert_int_equal(aegis_slhdsa_sig_bytes(AEGIS_SLHDSA_SHA2_256S), AEGIS_SLHDSA256S_SIG_BYTES);
    assert_int_equal(aegis_slhdsa_sig_bytes(AEGIS_SLHDSA_SHA2_256F), AEGIS_SLHDSA256F_SIG_BYTES);
    assert_int_equal(aegis_slhdsa_sig_bytes((aegis_slhdsa_param)7), 0);
    uint8_t *sig = malloc(AEGIS_SLHDSA256F_SIG_BYTES);
    assert_non_null(sig);
    assert_int_equal(aegis_slhdsa_sign((aegis_slhdsa_param)7, sig, MSG, 1, NULL, 0, sk, true), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_slhdsa_sign(AEGIS_SLHDSA_SHA2_256F, sig, MSG, 1, ctx, 256, sk, true),
                     AEGIS_ERR_CTX_TOO_LONG);
    assert_int_equal(aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256F, sig, AEGIS_SLHDSA256F_SIG_BYTES, MSG, 1, ctx, 256,
                                         pk), AEGIS_ERR_CTX_TOO_LONG);
    aegis_random_set_source(failing_source, NULL);
    assert_int_equal(aegis_slhdsa_keygen(AEGIS_SLHDSA_SHA2_256F, pk2, sk2), AEGIS_ERR_CRYPTO_RANDOM);
    assert_int_equal(aegis_slhdsa_sign(AEGIS_SLHDSA_SHA2_256F, sig, MSG, 1, NULL, 0, sk, false),
                     AEGIS_ERR_CRYPTO_RANDOM);
    aegis_random_set_source(NULL, NULL);
    /* a secret key whose PK.root does not match its seeds is refused */
    sk[127] ^= 1;
    assert_int_equal(aegis_slhdsa_sign(AEGIS_SLHDSA_SHA2_256F, sig, MSG, 1, NULL, 0, sk, true), AEGIS_ERR_BAD_KEY);
    free(sig);
}

/* ---------------- ML-KEM-1024 ---------------- */

struct kem {
    uint8_t ek[AEGIS_MLKEM1024_EK_BYTES], dk[AEGIS_MLKEM1024_DK_BYTES], ct[AEGIS_MLKEM1024_CT_BYTES];
    uint8_t ek2[AEGIS_MLKEM1024_EK_BYTES], dk2[AEGIS_MLKEM1024_DK_BYTES];
};

static void test_mlkem_roundtrip_and_rejection(void **state)
{
    (void)state;
    struct kem *k = malloc(sizeof(*k));
    uint8_t ss1[32], ss2[32], ss3[32];
    assert_non_null(k);
    assert_int_equal(aegis_mlkem1024_keygen(k->ek, k->dk), AEGIS_OK);
    assert_int_equal(aegis_mlkem1024_check_ek(k->ek), AEGIS_OK);
    assert_int_equal(aegis_mlkem1024_check_dk(k->dk), AEGIS_OK);
    assert_int_equal(aegis_mlkem1024_encaps(k->ct, ss1, k->ek), AEGIS_OK);
    assert_int_equal(aegis_mlkem1024_decaps(ss2, k->ct, k->dk), AEGIS_OK);
    assert_memory_equal(ss1, ss2, 32);
    /* implicit rejection: a modified ciphertext decapsulates without error to
     * a different key, the same one every time (J(z || c)) */
    k->ct[5] ^= 1;
    assert_int_equal(aegis_mlkem1024_decaps(ss2, k->ct, k->dk), AEGIS_OK);
    assert_memory_not_equal(ss1, ss2, 32);
    assert_int_equal(aegis_mlkem1024_decaps(ss3, k->ct, k->dk), AEGIS_OK);
    assert_memory_equal(ss2, ss3, 32);
    /* ... and depends on z (the last 32 bytes of dk) */
    k->dk[AEGIS_MLKEM1024_DK_BYTES - 1] ^= 1;
    assert_int_equal(aegis_mlkem1024_decaps(ss3, k->ct, k->dk), AEGIS_OK);
    assert_memory_not_equal(ss2, ss3, 32);
    free(k);
}

static void test_mlkem_key_checks(void **state)
{
    (void)state;
    struct kem *k = malloc(sizeof(*k));
    uint8_t ss[32];
    assert_non_null(k);
    assert_int_equal(aegis_mlkem1024_keygen(k->ek, k->dk), AEGIS_OK);
    /* 7.2: coefficient 0 := 0xfff >= q; and the largest valid value q-1 */
    memcpy(k->ek2, k->ek, sizeof(k->ek));
    k->ek2[0] = 0xff;
    k->ek2[1] |= 0x0f;
    assert_int_equal(aegis_mlkem1024_check_ek(k->ek2), AEGIS_ERR_MLKEM_EK_CHECK);
    memset(ss, 0xaa, sizeof(ss));
    assert_int_equal(aegis_mlkem1024_encaps(k->ct, ss, k->ek2), AEGIS_ERR_MLKEM_EK_CHECK);
    uint8_t m[32] = { 0 };
    assert_int_equal(aegis_mlkem1024_encaps_m(k->ct, ss, k->ek2, m), AEGIS_ERR_MLKEM_EK_CHECK);
    /* last coefficient (high nibble layout) := 3329 exactly */
    memcpy(k->ek2, k->ek, sizeof(k->ek));
    k->ek2[1534] = (uint8_t)((k->ek2[1534] & 0x0f) | ((3329 & 0x0f) << 4));
    k->ek2[1535] = (uint8_t)(3329 >> 4);
    assert_int_equal(aegis_mlkem1024_check_ek(k->ek2), AEGIS_ERR_MLKEM_EK_CHECK);
    k->ek2[1534] = (uint8_t)((k->ek2[1534] & 0x0f) | ((3328 & 0x0f) << 4));
    k->ek2[1535] = (uint8_t)(3328 >> 4);
    assert_int_equal(aegis_mlkem1024_check_ek(k->ek2), AEGIS_OK);
    /* the rho part (last 32 bytes) is not range-checked */
    memcpy(k->ek2, k->ek, sizeof(k->ek));
    k->ek2[AEGIS_MLKEM1024_EK_BYTES - 1] ^= 0xff;
    assert_int_equal(aegis_mlkem1024_check_ek(k->ek2), AEGIS_OK);

    /* 7.3: modified H(ek), modified embedded ek */
    memcpy(k->dk2, k->dk, sizeof(k->dk));
    k->dk2[AEGIS_MLKEM1024_DK_BYTES - 64] ^= 1;
    assert_int_equal(aegis_mlkem1024_check_dk(k->dk2), AEGIS_ERR_MLKEM_DK_CHECK);
    assert_int_equal(aegis_mlkem1024_decaps(ss, k->ct, k->dk2), AEGIS_ERR_MLKEM_DK_CHECK);
    memcpy(k->dk2, k->dk, sizeof(k->dk));
    k->dk2[1536 + 10] ^= 1;
    assert_int_equal(aegis_mlkem1024_check_dk(k->dk2), AEGIS_ERR_MLKEM_DK_CHECK);
    free(k);
}

static void test_mlkem_determinism(void **state)
{
    (void)state;
    struct kem *k = malloc(sizeof(*k));
    uint8_t dz[64], m[32], ss1[32], ss2[32], ct2[AEGIS_MLKEM1024_CT_BYTES];
    assert_non_null(k);
    fill(dz, sizeof(dz), 5);
    fill(m, sizeof(m), 6);
    assert_int_equal(aegis_mlkem1024_keygen_dz(k->ek, k->dk, dz, dz + 32), AEGIS_OK);
    aegis_random_set_fixed_thread(dz, sizeof(dz));
    assert_int_equal(aegis_mlkem1024_keygen(k->ek2, k->dk2), AEGIS_OK);
    aegis_random_set_fixed_thread(NULL, 0);
    assert_memory_equal(k->ek, k->ek2, sizeof(k->ek));
    assert_memory_equal(k->dk, k->dk2, sizeof(k->dk));
    assert_memory_equal(k->dk + AEGIS_MLKEM1024_DK_BYTES - 32, dz + 32, 32);   /* z stored last */
    assert_int_equal(aegis_mlkem1024_encaps_m(k->ct, ss1, k->ek, m), AEGIS_OK);
    aegis_random_set_fixed_thread(m, sizeof(m));
    assert_int_equal(aegis_mlkem1024_encaps(ct2, ss2, k->ek), AEGIS_OK);
    aegis_random_set_fixed_thread(NULL, 0);
    assert_memory_equal(k->ct, ct2, sizeof(ct2));
    assert_memory_equal(ss1, ss2, 32);
    m[0] ^= 1;
    assert_int_equal(aegis_mlkem1024_encaps_m(ct2, ss2, k->ek, m), AEGIS_OK);
    assert_memory_not_equal(ss1, ss2, 32);
    aegis_random_set_source(failing_source, NULL);
    assert_int_equal(aegis_mlkem1024_keygen(k->ek2, k->dk2), AEGIS_ERR_CRYPTO_RANDOM);
    assert_int_equal(aegis_mlkem1024_encaps(ct2, ss2, k->ek), AEGIS_ERR_CRYPTO_RANDOM);
    aegis_random_set_source(NULL, NULL);
    free(k);
}


/* ---------------- two-lane SHA-NI compression ---------------- */

static void pad_block(uint8_t b[64], const uint8_t *m, size_t n)   /* n <= 55 */
{
    memset(b, 0, 64);
    memcpy(b, m, n);
    b[n] = 0x80;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        b[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
}

static void test_sha256x2(void **state)
{
    (void)state;
    if (!aegis__sha256x2_available())
        skip();
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    for (size_t n0 = 0; n0 <= 55; n0 += 5) {
        uint8_t m0[55], m1[55], b0[64], b1[64], want0[32], want1[32], got[32];
        size_t n1 = 55 - n0;
        fill(m0, sizeof(m0), (uint8_t)n0);
        fill(m1, sizeof(m1), (uint8_t)(n0 + 100));
        pad_block(b0, m0, n0);
        pad_block(b1, m1, n1);
        uint32_t s0[8], s1[8];
        memcpy(s0, iv, sizeof(iv));
        memcpy(s1, iv, sizeof(iv));
        aegis__sha256x2_compress(s0, s1, b0, b1);
        aegis_sha256(want0, m0, n0);
        aegis_sha256(want1, m1, n1);
        for (int i = 0; i < 8; i++)
            aegis_put_be32(got + 4 * i, s0[i]);
        assert_memory_equal(got, want0, 32);
        for (int i = 0; i < 8; i++)
            aegis_put_be32(got + 4 * i, s1[i]);
        assert_memory_equal(got, want1, 32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mldsa_roundtrip),
        cmocka_unit_test(test_mldsa_tamper_and_lengths),
        cmocka_unit_test(test_mldsa_ctx_limit),
        cmocka_unit_test(test_mldsa_determinism),
        cmocka_unit_test(test_mldsa_prepared_key),
        cmocka_unit_test(test_mldsa_raced),
        cmocka_unit_test(test_mldsa_random_failure),
        cmocka_unit_test(test_mldsa_avx2_matches_generic),
        cmocka_unit_test(test_prehash_mprime),
        cmocka_unit_test(test_slhdsa_256f),
        cmocka_unit_test(test_slhdsa_256s),
        cmocka_unit_test(test_slhdsa_misc),
        cmocka_unit_test(test_slhdsa_fast_matches_portable),
        cmocka_unit_test(test_mlkem_roundtrip_and_rejection),
        cmocka_unit_test(test_mlkem_key_checks),
        cmocka_unit_test(test_mlkem_determinism),
        cmocka_unit_test(test_sha256x2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
