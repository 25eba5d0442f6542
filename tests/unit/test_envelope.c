/*
 * test_envelope.c - hybrid envelope: round trip, every single-byte
 * corruption and every truncation fails with its stable code, wrong epoch,
 * wrong recipient, unknown suite/version, oversize, small-order ephemeral,
 * and the plaintext buffer is wiped on every failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/envelope.h"

struct fixture {
    aegis_envelope_pub pub;
    uint8_t dk[AEGIS_MLKEM1024_DK_BYTES];
    uint8_t xsk[32];
    uint8_t key_id[32];
};

static struct fixture *fx_new(uint64_t epoch)
{
    struct fixture *f = aegis_calloc(1, sizeof(*f));
    assert_non_null(f);
    f->pub.epoch = epoch;
    assert_int_equal(aegis_mlkem1024_keygen(f->pub.mlkem_ek, f->dk), AEGIS_OK);
    assert_int_equal(aegis_x25519_keygen(f->pub.x25519_pk, f->xsk), AEGIS_OK);
    aegis_envelope_key_id(f->key_id, f->pub.mlkem_ek, f->pub.x25519_pk);
    return f;
}

static aegis_err lookup(void *ctx, uint64_t epoch, aegis_envelope_keys *keys)
{
    const struct fixture *f = ctx;
    if (epoch != f->pub.epoch)
        return AEGIS_ERR_NOT_FOUND;
    keys->epoch = epoch;
    keys->mlkem_dk = f->dk;
    keys->x25519_sk = f->xsk;
    keys->key_id = f->key_id;
    return AEGIS_OK;
}

static int setup(void **state)
{
    *state = fx_new(7);
    return 0;
}

static int teardown(void **state)
{
    aegis_free_secret(*state, sizeof(struct fixture));
    return 0;
}

static uint8_t *seal(const struct fixture *f, const uint8_t *pt, size_t n, size_t *len)
{
    size_t cap = aegis_envelope_sealed_size(n);
    uint8_t *env = aegis_malloc(cap);
    assert_non_null(env);
    assert_int_equal(aegis_envelope_seal(env, cap, len, &f->pub, pt, n), AEGIS_OK);
    assert_int_equal(*len, cap);
    return env;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static void test_roundtrip(void **state)
{
    struct fixture *f = *state;
    static const size_t sizes[] = { 0, 1, 100, 4096 };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(sizes); i++) {
        size_t n = sizes[i], len = 0, got = 0;
        uint8_t *pt = aegis_malloc(n + 1), *back = aegis_malloc(n + 1);
        for (size_t j = 0; j < n; j++)
            pt[j] = (uint8_t)(j * 13 + i);
        uint8_t *env = seal(f, pt, n, &len);
        assert_memory_equal(env, "AEGE", 4);
        aegis_envelope_view v;
        assert_int_equal(aegis_envelope_parse(&v, env, len), AEGIS_OK);
        assert_int_equal(v.epoch, 7);
        assert_int_equal(v.suite, AEGIS_ENVELOPE_SUITE_HYBRID1);
        assert_int_equal(v.ct_len, n);
        assert_memory_equal(v.key_id, f->key_id, 32);
        assert_int_equal(aegis_envelope_open_lookup(back, n, &got, env, len, lookup, f), AEGIS_OK);
        assert_int_equal(got, n);
        if (n)
            assert_memory_equal(back, pt, n);
        /* two seals of the same plaintext differ (fresh KEM + ephemeral) */
        size_t len2;
        uint8_t *env2 = seal(f, pt, n, &len2);
        assert_memory_not_equal(env, env2, len);
        aegis_free(env2);
        aegis_free(env);
        aegis_free(pt);
        aegis_free(back);
    }
}

/* The code each header region must produce when one of its bytes changes. */
static aegis_err expected_for_offset(size_t off, size_t pt_len)
{
    if (off < 4) return AEGIS_ERR_ENV_BAD_MAGIC;
    if (off < 5) return AEGIS_ERR_ENV_BAD_VERSION;
    if (off < 7) return AEGIS_ERR_ENV_UNKNOWN_SUITE;
    if (off < 15) return AEGIS_ERR_ENV_UNKNOWN_EPOCH;
    if (off < 47) return AEGIS_ERR_ENV_WRONG_RECIPIENT;
    if (off >= AEGIS_ENVELOPE_HEADER_BYTES - 4 && off < AEGIS_ENVELOPE_HEADER_BYTES)
        return AEGIS_ERR_INTERNAL;   /* length field: several codes, checked below */
    (void)pt_len;
    return AEGIS_ERR_ENV_DECRYPT;
}

static void test_every_byte_corruption(void **state)
{
    struct fixture *f = *state;
    uint8_t pt[48], back[48];
    memset(pt, 0x42, sizeof(pt));
    size_t len = 0, got = 0;
    uint8_t *env = seal(f, pt, sizeof(pt), &len);
    for (size_t off = 0; off < len; off++) {
        for (int flip = 0; flip < 2; flip++) {
            uint8_t mask = flip ? 0x80 : 0x01;
            env[off] ^= mask;
            memset(back, 0x5a, sizeof(back));
            aegis_err e = aegis_envelope_open_lookup(back, sizeof(back), &got, env, len, lookup, f);
            aegis_err want = expected_for_offset(off, sizeof(pt));
            if (want == AEGIS_ERR_INTERNAL)
                assert_true(e == AEGIS_ERR_ENV_TOO_BIG || e == AEGIS_ERR_ENV_TRUNCATED ||
                            e == AEGIS_ERR_ENV_TRAILING);
            else if (off >= 47 + AEGIS_MLKEM1024_CT_BYTES && off < 47 + AEGIS_MLKEM1024_CT_BYTES + 32)
                /* the ephemeral key may land on a small-order point */
                assert_true(e == AEGIS_ERR_ENV_DECRYPT || e == AEGIS_ERR_ENV_BAD_EPHEMERAL);
            else
                assert_int_equal(e, want);
            /* never a partial plaintext: the buffer is either untouched
             * (failed before decrypting) or wiped */
            bool untouched = true;
            for (size_t j = 0; j < sizeof(back); j++)
                untouched &= back[j] == 0x5a;
            assert_true(untouched || all_zero(back, sizeof(back)));
            env[off] ^= mask;
        }
    }
    assert_int_equal(aegis_envelope_open_lookup(back, sizeof(back), &got, env, len, lookup, f), AEGIS_OK);
    assert_memory_equal(back, pt, sizeof(pt));
    aegis_free(env);
}

static void test_every_truncation(void **state)
{
    struct fixture *f = *state;
    uint8_t pt[32] = { 1, 2, 3 }, back[32];
    size_t len = 0, got = 0;
    uint8_t *env = seal(f, pt, sizeof(pt), &len);
    for (size_t cut = 0; cut < len; cut++) {
        /* copy so that reading past cut would be caught by ASan */
        uint8_t *p = aegis_malloc(cut ? cut : 1);
        memcpy(p, env, cut);
        aegis_envelope_view v;
        assert_int_equal(aegis_envelope_parse(&v, p, cut), AEGIS_ERR_ENV_TRUNCATED);
        assert_int_equal(aegis_envelope_open_lookup(back, sizeof(back), &got, p, cut, lookup, f),
                         AEGIS_ERR_ENV_TRUNCATED);
        aegis_free(p);
    }
    /* one trailing byte */
    uint8_t *longer = aegis_malloc(len + 1);
    memcpy(longer, env, len);
    longer[len] = 0;
    aegis_envelope_view v;
    assert_int_equal(aegis_envelope_parse(&v, longer, len + 1), AEGIS_ERR_ENV_TRAILING);
    aegis_free(longer);
    aegis_free(env);
}

static void test_epoch_suite_version(void **state)
{
    struct fixture *f = *state;
    uint8_t pt[8] = "payload", back[8];
    size_t len = 0, got = 0;
    uint8_t *env = seal(f, pt, sizeof(pt), &len);
    aegis_envelope_view v;
    assert_int_equal(aegis_envelope_parse(&v, env, len), AEGIS_OK);

    /* keys of another epoch */
    aegis_envelope_keys k = { 0 };
    assert_int_equal(lookup(f, 7, &k), AEGIS_OK);
    k.epoch = 8;
    assert_int_equal(aegis_envelope_open(back, sizeof(back), &v, &k), AEGIS_ERR_ENV_UNKNOWN_EPOCH);

    /* sealed to epoch 9: the lookup does not know it */
    f->pub.epoch = 9;
    size_t len9;
    uint8_t *env9 = seal(f, pt, sizeof(pt), &len9);
    f->pub.epoch = 7;
    assert_int_equal(aegis_envelope_open_lookup(back, sizeof(back), &got, env9, len9, lookup, f),
                     AEGIS_ERR_ENV_UNKNOWN_EPOCH);
    aegis_free(env9);

    /* another recipient's keys under the same epoch */
    struct fixture *other = fx_new(7);
    assert_int_equal(aegis_envelope_open_lookup(back, sizeof(back), &got, env, len, lookup, other),
                     AEGIS_ERR_ENV_WRONG_RECIPIENT);
    /* ... even when the key id is forged to match: the KEMs fail */
    memcpy(env + 15, other->key_id, 32);
    assert_int_equal(aegis_envelope_open_lookup(back, sizeof(back), &got, env, len, lookup, other),
                     AEGIS_ERR_ENV_DECRYPT);
    memcpy(env + 15, f->key_id, 32);
    aegis_free_secret(other, sizeof(*other));

    /* unknown suite / version */
    env[6] = 2;
    assert_int_equal(aegis_envelope_parse(&v, env, len), AEGIS_ERR_ENV_UNKNOWN_SUITE);
    env[6] = 1;
    env[4] = 2;
    assert_int_equal(aegis_envelope_parse(&v, env, len), AEGIS_ERR_ENV_BAD_VERSION);
    env[4] = 1;

    /* small-order ephemeral key */
    memset(env + 47 + AEGIS_MLKEM1024_CT_BYTES, 0, 32);
    assert_int_equal(aegis_envelope_open_lookup(back, sizeof(back), &got, env, len, lookup, f),
                     AEGIS_ERR_ENV_BAD_EPHEMERAL);
    aegis_free(env);
}

static void test_sizes_and_bad_keys(void **state)
{
    struct fixture *f = *state;
    size_t len = 0;
    /* oversize plaintext */
    uint8_t *big = aegis_calloc(1, AEGIS_ENVELOPE_MAX_PLAINTEXT + 1);
    size_t cap = aegis_envelope_sealed_size(AEGIS_ENVELOPE_MAX_PLAINTEXT + 1);
    uint8_t *out = aegis_malloc(cap);
    assert_int_equal(aegis_envelope_seal(out, cap, &len, &f->pub, big, AEGIS_ENVELOPE_MAX_PLAINTEXT + 1),
                     AEGIS_ERR_ENV_TOO_BIG);
    /* the largest allowed plaintext round-trips */
    assert_int_equal(aegis_envelope_seal(out, cap, &len, &f->pub, big, AEGIS_ENVELOPE_MAX_PLAINTEXT), AEGIS_OK);
    size_t got;
    uint8_t *back = aegis_malloc(AEGIS_ENVELOPE_MAX_PLAINTEXT);
    assert_int_equal(aegis_envelope_open_lookup(back, AEGIS_ENVELOPE_MAX_PLAINTEXT, &got, out, len, lookup, f),
                     AEGIS_OK);
    assert_int_equal(got, AEGIS_ENVELOPE_MAX_PLAINTEXT);
    /* too small output buffers */
    assert_int_equal(aegis_envelope_open_lookup(back, AEGIS_ENVELOPE_MAX_PLAINTEXT - 1, &got, out, len, lookup, f),
                     AEGIS_ERR_ENV_OUTPUT_SPACE);
    assert_int_equal(aegis_envelope_seal(out, aegis_envelope_sealed_size(10) - 1, &len, &f->pub, big, 10),
                     AEGIS_ERR_ENV_OUTPUT_SPACE);
    /* a length field past the limit is refused before anything else */
    aegis_put_be32(out + AEGIS_ENVELOPE_HEADER_BYTES - 4, AEGIS_ENVELOPE_MAX_PLAINTEXT + 1);
    aegis_envelope_view v;
    assert_int_equal(aegis_envelope_parse(&v, out, len), AEGIS_ERR_ENV_TOO_BIG);
    aegis_put_be32(out + AEGIS_ENVELOPE_HEADER_BYTES - 4, 0xffffffffu);
    assert_int_equal(aegis_envelope_parse(&v, out, len), AEGIS_ERR_ENV_TOO_BIG);

    /* a recipient ML-KEM key failing the FIPS 203 §7.2 check: nothing is written */
    aegis_envelope_pub bad = f->pub;
    memset(bad.mlkem_ek, 0xff, 384 * 4);
    memset(out, 0x77, 64);
    assert_int_equal(aegis_envelope_seal(out, cap, &len, &bad, big, 10), AEGIS_ERR_MLKEM_EK_CHECK);
    assert_true(all_zero(out, aegis_envelope_sealed_size(10)));
    /* a small-order recipient X25519 key */
    bad = f->pub;
    memset(bad.x25519_pk, 0, 32);
    assert_int_equal(aegis_envelope_seal(out, cap, &len, &bad, big, 10), AEGIS_ERR_BAD_KEY);
    aegis_free(big);
    aegis_free(out);
    aegis_free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_byte_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_suite_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sizes_and_bad_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
