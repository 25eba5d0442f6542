/*
 * test_envelope_vectors.c - reads the committed tests/vectors/envelope/
 * envelope.json and checks every value in it as a third-party client would
 * use it: the recipient keys from their seeds, each documented step from the
 * primitives, the envelope from aegis_envelope_seal_derand(), the plaintext
 * back from aegis_envelope_open(), and each negative case's stable error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "aegis/envelope.h"

static json_t *vectors;

static const char *vec_path(void)
{
    static char p[4096];
    const char *root = getenv("AEGIS_ROOT");
    snprintf(p, sizeof(p), "%s/tests/vectors/envelope/envelope.json", root ? root : ".");
    return p;
}

/* Decode the 0x-hex string o[key]; returns malloc'd bytes, *n the length. */
static uint8_t *hexval(const json_t *o, const char *key, size_t *n)
{
    const char *s = json_string_value(json_object_get(o, key));
    assert_non_null(s);
    assert_true(strncmp(s, "0x", 2) == 0);
    size_t len = (strlen(s) - 2) / 2;
    uint8_t *b = malloc(len + 1);
    assert_non_null(b);
    assert_int_equal(aegis_hex_decode_exact(s, b, len), AEGIS_OK);
    *n = len;
    return b;
}

static void expect_hex(const json_t *o, const char *key, const uint8_t *want, size_t n)
{
    size_t len;
    uint8_t *b = hexval(o, key, &len);
    if (len != n || memcmp(b, want, n) != 0)
        fail_msg("vector field %s differs from what the code computes", key);
    free(b);
}

static void fixed(const json_t *o, const char *key, uint8_t *out, size_t n)
{
    size_t len;
    uint8_t *b = hexval(o, key, &len);
    assert_int_equal(len, n);
    memcpy(out, b, n);
    free(b);
}

static uint64_t u64s(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    assert_non_null(s);   /* epochs are decimal strings: they may exceed 2^53 */
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    assert_true(*s && !*end);
    return v;
}

typedef struct rcpt {
    aegis_envelope_pub pub;
    uint8_t dk[AEGIS_MLKEM1024_DK_BYTES], xsk[32], key_id[32];
} rcpt;

static void load_rcpt(const json_t *r, rcpt *k)
{
    uint8_t d[32], z[32];
    fixed(r, "mlkem_d", d, 32);
    fixed(r, "mlkem_z", z, 32);
    fixed(r, "x25519_sk", k->xsk, 32);
    k->pub.epoch = u64s(r, "epoch");
    assert_int_equal(aegis_mlkem1024_keygen_dz(k->pub.mlkem_ek, k->dk, d, z), AEGIS_OK);
    assert_int_equal(aegis_x25519_public(k->pub.x25519_pk, k->xsk), AEGIS_OK);
    aegis_envelope_key_id(k->key_id, k->pub.mlkem_ek, k->pub.x25519_pk);
    expect_hex(r, "mlkem_ek", k->pub.mlkem_ek, sizeof(k->pub.mlkem_ek));
    expect_hex(r, "mlkem_dk", k->dk, sizeof(k->dk));
    expect_hex(r, "x25519_pk", k->pub.x25519_pk, 32);
    expect_hex(r, "key_id", k->key_id, 32);
}

static const json_t *find_valid(const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(vectors, "valid"), i, c)
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    fail_msg("no valid case %s", name);
    return NULL;
}

static void test_valid(void **state)
{
    (void)state;
    const json_t *k = json_object_get(vectors, "constants");
    assert_int_equal(json_integer_value(json_object_get(k, "header_bytes")), AEGIS_ENVELOPE_HEADER_BYTES);
    assert_int_equal(json_integer_value(json_object_get(k, "overhead_bytes")), AEGIS_ENVELOPE_OVERHEAD);
    size_t i;
    json_t *c;
    size_t n_cases = 0;
    json_array_foreach(json_object_get(vectors, "valid"), i, c) {
        rcpt k1;
        load_rcpt(json_object_get(c, "recipient"), &k1);
        aegis_envelope_coins coins;
        const json_t *co = json_object_get(c, "coins");
        fixed(co, "mlkem_m", coins.mlkem_m, 32);
        fixed(co, "eph_sk", coins.eph_sk, 32);
        fixed(co, "nonce", coins.nonce, 12);
        size_t pt_len, env_len;
        uint8_t *pt = hexval(c, "plaintext", &pt_len);
        uint8_t *want_env = hexval(c, "envelope", &env_len);
        assert_int_equal(env_len, aegis_envelope_sealed_size(pt_len));

        /* steps, from the primitives */
        const json_t *s = json_object_get(c, "steps");
        uint8_t kem_ct[AEGIS_MLKEM1024_CT_BYTES], ss_kem[32], eph_pk[32], ss_x[32], h[32], key[32];
        assert_int_equal(aegis_mlkem1024_encaps_m(kem_ct, ss_kem, k1.pub.mlkem_ek, coins.mlkem_m), AEGIS_OK);
        expect_hex(s, "kem_ct", kem_ct, sizeof(kem_ct));
        expect_hex(s, "ss_mlkem", ss_kem, 32);
        assert_int_equal(aegis_x25519_public(eph_pk, coins.eph_sk), AEGIS_OK);
        expect_hex(s, "eph_pk", eph_pk, 32);
        assert_int_equal(aegis_x25519(ss_x, coins.eph_sk, k1.pub.x25519_pk), AEGIS_OK);
        expect_hex(s, "ss_x25519", ss_x, 32);
        /* the recipient's side agrees on both shared secrets */
        uint8_t ss2[32];
        assert_int_equal(aegis_mlkem1024_decaps(ss2, kem_ct, k1.dk), AEGIS_OK);
        assert_memory_equal(ss2, ss_kem, 32);
        assert_int_equal(aegis_x25519(ss2, k1.xsk, eph_pk), AEGIS_OK);
        assert_memory_equal(ss2, ss_x, 32);
        expect_hex(s, "header", want_env, AEGIS_ENVELOPE_HEADER_BYTES);
        aegis_sha256(h, want_env, AEGIS_ENVELOPE_HEADER_BYTES);
        expect_hex(s, "header_sha256", h, 32);
        size_t ikm_len, salt_len, info_len;
        uint8_t *ikm = hexval(s, "hkdf_ikm", &ikm_len), *salt = hexval(s, "hkdf_salt", &salt_len),
                *info = hexval(s, "hkdf_info", &info_len);
        assert_int_equal(ikm_len, 64);
        assert_memory_equal(ikm, ss_kem, 32);
        assert_memory_equal(ikm + 32, ss_x, 32);
        assert_int_equal(salt_len, 17);
        assert_memory_equal(salt, "AEGIS-ENVELOPE-V1", 17);
        assert_int_equal(info_len, 24 + 32);
        assert_memory_equal(info, "aegis/envelope/v1/suite1", 24);
        assert_memory_equal(info + 24, h, 32);
        assert_int_equal(aegis_hkdf_sha256(key, 32, ikm, 64, salt, salt_len, info, info_len), AEGIS_OK);
        expect_hex(s, "aead_key", key, 32);
        uint8_t *ct = malloc(pt_len + 1), tag[16];
        assert_int_equal(aegis_aead_seal(ct, tag, key, coins.nonce, want_env, AEGIS_ENVELOPE_HEADER_BYTES,
                                         pt, pt_len), AEGIS_OK);
        expect_hex(s, "ciphertext", ct, pt_len);
        expect_hex(s, "tag", tag, 16);

        /* the library, whole */
        uint8_t *env = malloc(env_len);
        size_t n = 0;
        assert_int_equal(aegis_envelope_seal_derand(env, env_len, &n, &k1.pub, pt, pt_len, &coins), AEGIS_OK);
        assert_int_equal(n, env_len);
        assert_memory_equal(env, want_env, env_len);
        aegis_sha256(h, env, env_len);
        expect_hex(c, "envelope_sha256", h, 32);
        aegis_envelope_view v;
        aegis_envelope_keys keys = { .epoch = k1.pub.epoch, .mlkem_dk = k1.dk, .x25519_sk = k1.xsk,
                                     .key_id = k1.key_id };
        uint8_t *back = malloc(pt_len + 1);
        assert_int_equal(aegis_envelope_parse(&v, env, env_len), AEGIS_OK);
        assert_int_equal(v.epoch, k1.pub.epoch);
        assert_int_equal(aegis_envelope_open(back, pt_len, &v, &keys), AEGIS_OK);
        assert_memory_equal(back, pt, pt_len);
        free(back), free(env), free(ct), free(ikm), free(salt), free(info), free(pt), free(want_env);
        n_cases++;
    }
    assert_true(n_cases >= 3);
}

/* Apply a documented mutation to buf (len bytes, room for 64 more). */
static size_t apply(const json_t *m, uint8_t *buf, size_t len)
{
    const char *kind = json_string_value(json_object_get(m, "kind"));
    if (strcmp(kind, "truncate") == 0) {
        size_t n = (size_t)json_integer_value(json_object_get(m, "length"));
        assert_true(n < len);
        return n;
    }
    size_t bl;
    if (strcmp(kind, "append") == 0) {
        uint8_t *b = hexval(m, "bytes", &bl);
        memcpy(buf + len, b, bl);
        free(b);
        return len + bl;
    }
    size_t off = (size_t)json_integer_value(json_object_get(m, "offset"));
    bool x = strcmp(kind, "xor") == 0;
    uint8_t *b = hexval(m, x ? "xor" : "bytes", &bl);
    assert_true(off + bl <= len);
    for (size_t i = 0; i < bl; i++)
        buf[off + i] = x ? buf[off + i] ^ b[i] : b[i];
    free(b);
    return len;
}

static aegis_err lookup(void *ctx, uint64_t epoch, aegis_envelope_keys *keys)
{
    const rcpt *k = ctx;
    if (epoch != k->pub.epoch)
        return AEGIS_ERR_NOT_FOUND;
    keys->epoch = epoch;
    keys->mlkem_dk = k->dk;
    keys->x25519_sk = k->xsk;
    keys->key_id = k->key_id;
    return AEGIS_OK;
}

static void test_invalid(void **state)
{
    (void)state;
    size_t i;
    json_t *c;
    size_t n_cases = 0;
    json_array_foreach(json_object_get(vectors, "invalid"), i, c) {
        const json_t *base = find_valid(json_string_value(json_object_get(c, "base")));
        const json_t *m = json_object_get(c, "mutation");
        const char *target = json_string_value(json_object_get(m, "target"));
        const char *want = json_string_value(json_object_get(c, "error"));
        rcpt k1;
        load_rcpt(json_object_get(base, "recipient"), &k1);
        size_t env_len, pt_len;
        uint8_t *env = hexval(base, "envelope", &env_len);
        uint8_t *pt = hexval(base, "plaintext", &pt_len);
        uint8_t *buf = malloc(env_len + 64);
        aegis_err got;
        if (strcmp(target, "envelope") == 0) {
            memcpy(buf, env, env_len);
            size_t len = apply(m, buf, env_len);
            uint8_t *out = calloc(1, AEGIS_ENVELOPE_MAX_PLAINTEXT);
            size_t out_len = 0;
            got = aegis_envelope_open_lookup(out, AEGIS_ENVELOPE_MAX_PLAINTEXT, &out_len, buf, len, lookup, &k1);
            /* nothing of the plaintext is released on failure */
            if (got != AEGIS_OK && pt_len > 0)
                assert_true(memcmp(out, pt, pt_len) != 0);
            free(out);
        } else {
            aegis_envelope_pub pub = k1.pub;
            bool ek = strcmp(target, "mlkem_ek") == 0;
            apply(m, ek ? pub.mlkem_ek : pub.x25519_pk, ek ? sizeof(pub.mlkem_ek) : sizeof(pub.x25519_pk));
            aegis_envelope_coins coins;
            memset(&coins, 0x5a, sizeof(coins));
            size_t n = 0;
            got = aegis_envelope_seal_derand(buf, env_len, &n, &pub, pt, pt_len, &coins);
        }
        if (strcmp(aegis_err_name(got), want) != 0)
            fail_msg("%s: vectors say %s, the code says %s", json_string_value(json_object_get(c, "name")), want,
                     aegis_err_name(got));
        assert_int_equal((int)got, (int)json_integer_value(json_object_get(c, "aegis_code")));
        free(buf), free(env), free(pt);
        n_cases++;
    }
    assert_true(n_cases >= 15);
}

static int setup(void **state)
{
    (void)state;
    json_error_t e;
    vectors = json_load_file(vec_path(), 0, &e);
    if (!vectors)
        fprintf(stderr, "%s: %s\n", vec_path(), e.text);
    return vectors ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(vectors);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
