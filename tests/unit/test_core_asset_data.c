/*
 * test_core_asset_data.c - off-chain asset data through the core's call
 * table, only ciphertext crossing it: a put request sealed to the key set,
 * a get request sealed likewise with a signed one-time reply key, the data
 * coming back sealed to that key. Round trip; wrong signature; a reply key
 * swapped after signing; wrong id; stale blob and replayed put; an envelope
 * for another epoch; garbage; timestamps; policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aegis/assets.h"
#include "core_fixture.h"

#define NOW 1700000000000ull
#define ALICE_IDX 1
#define BOB_IDX 2
static const char SECRET[] = "customer list: alice 1000, bob 2000";

typedef struct tfx {
    fx_core fx;
    char pub_path[128];
    uint8_t admin_pk[AEGIS_MLDSA87_PK_BYTES], admin_sk[AEGIS_MLDSA87_SK_BYTES];
    /* one-time reply key pair */
    aegis_envelope_pub reply;
    uint8_t dk[AEGIS_MLKEM1024_DK_BYTES], xsk[32], kid[32];
} tfx;

static void admin(tfx *t, const char *op, const char *params, uint64_t seq)
{
    char *req = NULL, *out = NULL, *ev = NULL;
    const char *detail = NULL;
    uint64_t f = 0, l = 0;
    assert_int_equal(aegis_assets_admin_sign(op, params, seq, NOW, t->admin_sk, t->admin_pk, &req), AEGIS_OK);
    aegis_err err = aegis_core_admin(t->fx.core, req, strlen(req), NOW, NULL, 0, &out, &ev, &f, &l, &detail);
    if (err)
        fprintf(stderr, "admin %s: %s (%s)\n", op, aegis_err_name(err), detail ? detail : "");
    assert_int_equal(err, AEGIS_OK);
    aegis_free(req);
    aegis_free(out);
    aegis_free(ev);
}

static void new_reply_key(aegis_envelope_pub *pub, uint8_t dk[AEGIS_MLKEM1024_DK_BYTES], uint8_t xsk[32],
                          uint8_t kid[32])
{
    memset(pub, 0, sizeof(*pub));
    pub->epoch = AEGIS_ASSET_DATA_REPLY_EPOCH;
    assert_int_equal(aegis_mlkem1024_keygen(pub->mlkem_ek, dk), AEGIS_OK);
    assert_int_equal(aegis_x25519_keygen(pub->x25519_pk, xsk), AEGIS_OK);
    aegis_envelope_key_id(kid, pub->mlkem_ek, pub->x25519_pk);
}

static int setup(void **state)
{
    tfx *t = calloc(1, sizeof(*t));
    fx_init(&t->fx);
    uint8_t seed[32];
    memset(seed, 0x42, sizeof(seed));
    assert_int_equal(aegis_mldsa87_keygen_seed(t->admin_pk, t->admin_sk, seed), AEGIS_OK);
    snprintf(t->pub_path, sizeof(t->pub_path), "%s/admin.pub", t->fx.dir);
    assert_int_equal(aegis_keyfile_write(t->pub_path, "ml-dsa-87", t->admin_pk, sizeof(t->admin_pk), false), AEGIS_OK);
    t->fx.cfg.admin_keys.items[0] = t->pub_path;
    t->fx.cfg.admin_keys.n = 1;
    fx_start(&t->fx);
    uint8_t alice[20];
    char params[512], hex[41];
    fx_sender_addr(ALICE_IDX, alice);
    aegis_hex_encode(hex, alice, 20);
    snprintf(params, sizeof(params),
             "{\"asset\":{\"id\":\"db.customers\",\"type\":\"database\",\"level\":1,\"threshold\":10000,"
             "\"locator\":{\"uri\":\"postgres://db/customers\"},"
             "\"policy\":{\"ops\":[\"read\",\"write\"],\"senders\":[\"0x%s\"]}}}",
             hex);
    admin(t, "add", params, 1);
    admin(t, "add",
          "{\"asset\":{\"id\":\"db.other\",\"type\":\"database\",\"locator\":{\"uri\":\"s3://b/o\"},"
          "\"policy\":{\"ops\":[\"read\",\"write\"]}}}",
          2);
    new_reply_key(&t->reply, t->dk, t->xsk, t->kid);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tfx *t = *state;
    t->fx.cfg.admin_keys.items[0] = NULL;
    t->fx.cfg.admin_keys.n = 0;
    fx_done(&t->fx);
    aegis_memzero(t, sizeof(*t));
    free(t);
    return 0;
}

/* A sealed put request (optionally corrupting the plaintext at byte flip). */
static void put_env(tfx *t, const aegis_envelope_pub *to, const char *id, const char *data, uint64_t base, uint64_t ts,
                    unsigned who, long flip, uint8_t **env, size_t *env_len)
{
    uint8_t sk[32], *req = NULL;
    size_t n = 0;
    fx_sender_sk(who, sk);
    assert_int_equal(aegis_asset_data_put_request(id, (const uint8_t *)data, strlen(data), base, ts, sk, &req, &n),
                     AEGIS_OK);
    if (flip >= 0)
        req[flip < 0 ? 0 : (size_t)flip % n] ^= 0x01;
    fx_seal_to(to ? to : &t->fx.env_pub, req, n, env, env_len);
    aegis_free_secret(req, n);
}

static aegis_err put(tfx *t, const char *id, const uint8_t *env, size_t len, uint8_t **blob, size_t *blob_len,
                     uint64_t *ver)
{
    const char *detail = NULL;
    return aegis_core_asset_data_put(t->fx.core, id, env, len, NOW, blob, blob_len, ver, &detail);
}

static void get_env(tfx *t, const char *id, uint64_t ts, const uint8_t nonce[32], const aegis_envelope_pub *reply,
                    unsigned who, uint8_t **env, size_t *env_len, uint8_t **req_out, size_t *req_len)
{
    uint8_t sk[32], *req = NULL;
    size_t n = 0;
    fx_sender_sk(who, sk);
    assert_int_equal(aegis_asset_data_get_request(id, ts, nonce, reply, sk, &req, &n), AEGIS_OK);
    fx_seal(&t->fx, req, n, env, env_len);
    if (req_out) {
        *req_out = req;
        *req_len = n;
    } else {
        aegis_free(req);
    }
}

static aegis_err get(tfx *t, const char *id, const uint8_t *env, size_t len, const uint8_t *blob, size_t blob_len,
                     uint8_t **reply, size_t *reply_len, uint64_t *ver)
{
    const char *detail = NULL;
    return aegis_core_asset_data_get(t->fx.core, id, env, len, blob, blob_len, NOW, reply, reply_len, ver, &detail);
}

/* Open a reply envelope with the reply key; returns the plaintext (caller frees). */
static aegis_err open_reply(tfx *t, const uint8_t *env, size_t len, uint8_t **pt, size_t *pt_len)
{
    aegis_envelope_view v;
    aegis_err err = aegis_envelope_parse(&v, env, len);
    if (err)
        return err;
    aegis_envelope_keys k = { .epoch = AEGIS_ASSET_DATA_REPLY_EPOCH, .mlkem_dk = t->dk, .x25519_sk = t->xsk,
                              .key_id = t->kid };
    *pt = aegis_malloc(v.ct_len + 1);
    *pt_len = v.ct_len;
    err = aegis_envelope_open(*pt, v.ct_len + 1, &v, &k);
    if (err) {
        aegis_free(*pt);
        *pt = NULL;
    }
    return err;
}

static void test_round_trip(void **state)
{
    tfx *t = *state;
    uint8_t *env = NULL, *blob = NULL, *genv = NULL, *reply = NULL, *pt = NULL, nonce[32];
    size_t env_len = 0, blob_len = 0, genv_len = 0, reply_len = 0, pt_len = 0;
    uint64_t ver = 0, v2 = 0;
    /* nothing written yet: the authorised reader learns so */
    memset(nonce, 7, sizeof(nonce));
    get_env(t, "db.customers", NOW, nonce, &t->reply, ALICE_IDX, &genv, &genv_len, NULL, NULL);
    assert_int_equal(get(t, "db.customers", genv, genv_len, NULL, 0, &reply, &reply_len, &ver), AEGIS_ERR_NOT_FOUND);
    aegis_free(genv);

    put_env(t, NULL, "db.customers", SECRET, 0, NOW - 1000, ALICE_IDX, -1, &env, &env_len);
    assert_null(memmem(env, env_len, "customer", 8));   /* the host carries ciphertext */
    assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_OK);
    assert_int_equal(ver, 1);
    assert_null(memmem(blob, blob_len, "customer", 8));
    assert_int_equal(aegis_core_asset_data_version(t->fx.core, "db.customers", &v2), AEGIS_OK);
    assert_int_equal(v2, 1);
    /* the put is an audit record like any other registry change */
    bool seen = false;
    uint64_t seq;
    char *line;
    size_t line_len;
    while (aegis_core_audit_take(t->fx.core, &seq, &line, &line_len) == AEGIS_OK) {
        if (strstr(line, "\"op\":\"data_put\"") && strstr(line, "\"version\":1"))
            seen = true;
        assert_null(strstr(line, "customer list"));
        aegis_core_audit_persisted(t->fx.core, seq);
        aegis_free(line);
    }
    assert_true(seen);

    assert_int_equal(aegis_random_bytes(nonce, sizeof(nonce)), AEGIS_OK);
    get_env(t, "db.customers", NOW + 2000, nonce, &t->reply, ALICE_IDX, &genv, &genv_len, NULL, NULL);
    assert_int_equal(get(t, "db.customers", genv, genv_len, blob, blob_len, &reply, &reply_len, &ver), AEGIS_OK);
    assert_int_equal(ver, 1);
    assert_null(memmem(reply, reply_len, "customer", 8));
    assert_int_equal(open_reply(t, reply, reply_len, &pt, &pt_len), AEGIS_OK);
    const uint8_t *data = NULL;
    size_t n = 0;
    uint64_t rv = 0;
    assert_int_equal(aegis_asset_data_reply_parse(pt, pt_len, "db.customers", nonce, &rv, &data, &n), AEGIS_OK);
    assert_int_equal(rv, 1);
    assert_int_equal(n, strlen(SECRET));
    assert_memory_equal(data, SECRET, n);
    /* a reply is bound to its request: another nonce or id is refused */
    uint8_t other[32];
    memcpy(other, nonce, 32);
    other[0] ^= 1;
    assert_int_equal(aegis_asset_data_reply_parse(pt, pt_len, "db.customers", other, &rv, &data, &n),
                     AEGIS_ERR_ASSET_DATA_MALFORMED);
    assert_int_equal(aegis_asset_data_reply_parse(pt, pt_len, "db.other", nonce, &rv, &data, &n),
                     AEGIS_ERR_ASSET_DATA_MALFORMED);
    aegis_free_secret(pt, pt_len);
    /* only the reply key opens it */
    aegis_envelope_pub other_pub;
    uint8_t dk2[AEGIS_MLKEM1024_DK_BYTES], xsk2[32], kid2[32];
    new_reply_key(&other_pub, dk2, xsk2, kid2);
    aegis_envelope_view v;
    assert_int_equal(aegis_envelope_parse(&v, reply, reply_len), AEGIS_OK);
    aegis_envelope_keys k2 = { .epoch = 0, .mlkem_dk = dk2, .x25519_sk = xsk2, .key_id = kid2 };
    uint8_t *junk = aegis_malloc(v.ct_len + 1);
    assert_int_not_equal(aegis_envelope_open(junk, v.ct_len + 1, &v, &k2), AEGIS_OK);
    aegis_free(junk);
    /* a reader outside the policy */
    aegis_free(reply);
    aegis_free(genv);
    get_env(t, "db.customers", NOW, nonce, &t->reply, BOB_IDX, &genv, &genv_len, NULL, NULL);
    assert_int_equal(get(t, "db.customers", genv, genv_len, blob, blob_len, &reply, &reply_len, &ver),
                     AEGIS_ERR_ASSET_DATA_DENIED);
    aegis_free(genv);
    aegis_free(env);
    put_env(t, NULL, "db.customers", "bob was here", 1, NOW, BOB_IDX, -1, &env, &env_len);
    assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_DENIED);
    aegis_free(env);
    aegis_free(blob);
}

static void test_wrong_signature(void **state)
{
    tfx *t = *state;
    uint8_t *env = NULL, *blob = NULL;
    size_t env_len, blob_len;
    uint64_t ver;
    size_t req_len = 6 + strlen("db.customers") + 8 + 8 + 4 + strlen(SECRET) + 65;
    /* A byte changed after signing (data, s, recovery id): secp256k1
     * recovery gives some other address, which the policy does not list. */
    long flips[] = { 6 + 12 + 8 + 8 + 4 + 3, (long)req_len - 10, (long)req_len - 1 };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(flips); i++) {
        put_env(t, NULL, "db.customers", SECRET, 0, NOW, ALICE_IDX, flips[i], &env, &env_len);
        aegis_err err = put(t, "db.customers", env, env_len, &blob, &blob_len, &ver);
        assert_true(err == AEGIS_ERR_ASSET_DATA_BAD_SIG || err == AEGIS_ERR_ASSET_DATA_DENIED);
        aegis_free(env);
    }
    /* a signature that recovers nothing: r = 0, a recovery id > 1 */
    uint8_t sk[32], *req = NULL;
    size_t n = 0;
    fx_sender_sk(ALICE_IDX, sk);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(aegis_asset_data_put_request("db.customers", (const uint8_t *)SECRET, strlen(SECRET), 0, NOW,
                                                      sk, &req, &n),
                         AEGIS_OK);
        assert_int_equal(n, req_len);
        if (k == 0)
            memset(req + n - 65, 0, 32);
        else
            req[n - 1] = 5;
        fx_seal(&t->fx, req, n, &env, &env_len);
        assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_BAD_SIG);
        aegis_free(env);
        aegis_free(req);
    }
    assert_int_equal(aegis_core_asset_data_version(t->fx.core, "db.customers", &ver), AEGIS_OK);
    assert_int_equal(ver, 0);
    /* a get whose signature was made by someone else's digest: recovered address is not Alice */
    uint8_t nonce[32] = { 1 }, *genv = NULL, *reply = NULL;
    size_t genv_len, reply_len, rl;
    get_env(t, "db.customers", NOW, nonce, &t->reply, ALICE_IDX, &genv, &genv_len, &req, &rl);
    req[rl - 65 + 5] ^= 0x20;   /* r changed */
    aegis_free(genv);
    fx_seal(&t->fx, req, rl, &genv, &genv_len);
    aegis_err err = get(t, "db.customers", genv, genv_len, NULL, 0, &reply, &reply_len, &ver);
    assert_true(err == AEGIS_ERR_ASSET_DATA_BAD_SIG || err == AEGIS_ERR_ASSET_DATA_DENIED);
    aegis_free(genv);
    aegis_free(req);
}

/* The requester signs reply key A; the request then carries key B: refused. */
static void test_swapped_reply_key(void **state)
{
    tfx *t = *state;
    uint8_t *env = NULL, *blob = NULL, *genv = NULL, *reply = NULL, *req = NULL, nonce[32];
    size_t env_len, blob_len, genv_len, reply_len, rl;
    uint64_t ver;
    put_env(t, NULL, "db.customers", SECRET, 0, NOW, ALICE_IDX, -1, &env, &env_len);
    assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_OK);
    memset(nonce, 9, sizeof(nonce));
    get_env(t, "db.customers", NOW, nonce, &t->reply, ALICE_IDX, &genv, &genv_len, &req, &rl);
    aegis_free(genv);
    aegis_envelope_pub host_pub;
    uint8_t dk2[AEGIS_MLKEM1024_DK_BYTES], xsk2[32], kid2[32];
    new_reply_key(&host_pub, dk2, xsk2, kid2);
    size_t off = 6 + strlen("db.customers") + 8 + 32;
    assert_memory_equal(req + off, t->reply.mlkem_ek, AEGIS_MLKEM1024_EK_BYTES);
    /* only the X25519 half, only the ML-KEM half, both */
    for (int which = 0; which < 3; which++) {
        uint8_t *r2 = aegis_malloc(rl);
        memcpy(r2, req, rl);
        if (which != 0)
            memcpy(r2 + off, host_pub.mlkem_ek, AEGIS_MLKEM1024_EK_BYTES);
        if (which != 1)
            memcpy(r2 + off + AEGIS_MLKEM1024_EK_BYTES, host_pub.x25519_pk, 32);
        fx_seal(&t->fx, r2, rl, &genv, &genv_len);
        aegis_err err = get(t, "db.customers", genv, genv_len, blob, blob_len, &reply, &reply_len, &ver);
        /* the signature no longer covers the key: it recovers another address */
        assert_true(err == AEGIS_ERR_ASSET_DATA_BAD_SIG || err == AEGIS_ERR_ASSET_DATA_DENIED);
        assert_int_not_equal(err, AEGIS_OK);
        aegis_free(genv);
        aegis_free(r2);
    }
    /* unmodified it works */
    fx_seal(&t->fx, req, rl, &genv, &genv_len);
    assert_int_equal(get(t, "db.customers", genv, genv_len, blob, blob_len, &reply, &reply_len, &ver), AEGIS_OK);
    aegis_free(reply);
    aegis_free(genv);
    aegis_free(req);
    aegis_free(env);
    aegis_free(blob);
}

static void test_wrong_id(void **state)
{
    tfx *t = *state;
    uint8_t *env = NULL, *blob = NULL, *genv = NULL, *reply = NULL, nonce[32] = { 3 };
    size_t env_len, blob_len, genv_len, reply_len;
    uint64_t ver;
    put_env(t, NULL, "db.customers", SECRET, 0, NOW, ALICE_IDX, -1, &env, &env_len);
    assert_int_equal(put(t, "db.other", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_ID_MISMATCH);
    assert_int_equal(put(t, "nope", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_ID_MISMATCH);
    /* a put request where a get is expected, and the reverse */
    get_env(t, "db.customers", NOW, nonce, &t->reply, ALICE_IDX, &genv, &genv_len, NULL, NULL);
    assert_int_equal(put(t, "db.customers", genv, genv_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_MALFORMED);
    assert_int_equal(get(t, "db.customers", env, env_len, NULL, 0, &reply, &reply_len, &ver),
                     AEGIS_ERR_ASSET_DATA_MALFORMED);
    assert_int_equal(get(t, "db.other", genv, genv_len, NULL, 0, &reply, &reply_len, &ver),
                     AEGIS_ERR_ASSET_DATA_ID_MISMATCH);
    aegis_free(genv);
    aegis_free(env);
    /* an unknown asset, correctly named */
    put_env(t, NULL, "nope", SECRET, 0, NOW, ALICE_IDX, -1, &env, &env_len);
    assert_int_equal(put(t, "nope", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_NOT_FOUND);
    aegis_free(env);
}

static void test_stale_version(void **state)
{
    tfx *t = *state;
    uint8_t *e1 = NULL, *e2 = NULL, *b1 = NULL, *b2 = NULL, *genv = NULL, *reply = NULL, nonce[32] = { 5 };
    size_t l1, l2, bl1, bl2, genv_len, reply_len;
    uint64_t ver;
    put_env(t, NULL, "db.customers", "version one", 0, NOW, ALICE_IDX, -1, &e1, &l1);
    assert_int_equal(put(t, "db.customers", e1, l1, &b1, &bl1, &ver), AEGIS_OK);
    put_env(t, NULL, "db.customers", "version two", 1, NOW, ALICE_IDX, -1, &e2, &l2);
    assert_int_equal(put(t, "db.customers", e2, l2, &b2, &bl2, &ver), AEGIS_OK);
    assert_int_equal(ver, 2);
    /* the host replays the first put: refused, the version stays */
    uint8_t *b3 = NULL;
    size_t bl3;
    assert_int_equal(put(t, "db.customers", e1, l1, &b3, &bl3, &ver), AEGIS_ERR_ASSET_DATA_CONFLICT);
    assert_int_equal(aegis_core_asset_data_version(t->fx.core, "db.customers", &ver), AEGIS_OK);
    assert_int_equal(ver, 2);
    /* the host serves the old (authentic) blob */
    get_env(t, "db.customers", NOW, nonce, &t->reply, ALICE_IDX, &genv, &genv_len, NULL, NULL);
    assert_int_equal(get(t, "db.customers", genv, genv_len, b1, bl1, &reply, &reply_len, &ver),
                     AEGIS_ERR_ASSET_DATA_STALE);
    /* or a truncated one */
    assert_int_equal(get(t, "db.customers", genv, genv_len, b2, bl2 - 1, &reply, &reply_len, &ver),
                     AEGIS_ERR_ASSET_DATA_BAD);
    assert_int_equal(get(t, "db.customers", genv, genv_len, b2, bl2, &reply, &reply_len, &ver), AEGIS_OK);
    assert_int_equal(ver, 2);
    aegis_free(reply);
    aegis_free(genv);
    aegis_free(e1);
    aegis_free(e2);
    aegis_free(b1);
    aegis_free(b2);
}

static void test_other_epoch(void **state)
{
    tfx *t = *state;
    uint8_t *env = NULL, *blob = NULL;
    size_t env_len, blob_len;
    uint64_t ver;
    aegis_envelope_pub later = t->fx.env_pub;
    later.epoch += 5;
    put_env(t, &later, "db.customers", SECRET, 0, NOW, ALICE_IDX, -1, &env, &env_len);
    assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_CORE_KEY_EPOCH);
    aegis_free(env);
    /* right epoch, someone else's key (a fresh key pair): does not decrypt */
    aegis_envelope_pub stranger;
    uint8_t dk[AEGIS_MLKEM1024_DK_BYTES], xsk[32], kid[32];
    new_reply_key(&stranger, dk, xsk, kid);
    stranger.epoch = t->fx.env_pub.epoch;
    put_env(t, &stranger, "db.customers", SECRET, 0, NOW, ALICE_IDX, -1, &env, &env_len);
    assert_int_not_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_OK);
    aegis_free(env);
    assert_int_equal(aegis_core_asset_data_version(t->fx.core, "db.customers", &ver), AEGIS_OK);
    assert_int_equal(ver, 0);
}

static void test_garbage_and_time(void **state)
{
    tfx *t = *state;
    uint8_t *env = NULL, *blob = NULL, junk[2000];
    size_t env_len, blob_len;
    uint64_t ver;
    const char *detail = NULL;
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 131 + 7);
    assert_int_not_equal(put(t, "db.customers", junk, sizeof(junk), &blob, &blob_len, &ver), AEGIS_OK);
    assert_int_not_equal(put(t, "db.customers", NULL, 0, &blob, &blob_len, &ver), AEGIS_OK);
    assert_int_not_equal(aegis_core_asset_data_put(t->fx.core, NULL, junk, 10, NOW, &blob, &blob_len, &ver, &detail),
                         AEGIS_OK);
    /* a well-formed envelope around garbage, around a truncated request, around a longer one */
    fx_seal(&t->fx, junk, 300, &env, &env_len);
    assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_MALFORMED);
    aegis_free(env);
    uint8_t sk[32], *req = NULL;
    size_t n;
    fx_sender_sk(ALICE_IDX, sk);
    assert_int_equal(aegis_asset_data_put_request("db.customers", (const uint8_t *)SECRET, strlen(SECRET), 0, NOW, sk,
                                                  &req, &n),
                     AEGIS_OK);
    for (size_t cut = 0; cut < n; cut += 7) {
        fx_seal(&t->fx, req, cut, &env, &env_len);
        assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_MALFORMED);
        aegis_free(env);
    }
    uint8_t *longer = aegis_malloc(n + 1);
    memcpy(longer, req, n);
    longer[n] = 0;
    fx_seal(&t->fx, longer, n + 1, &env, &env_len);
    assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_MALFORMED);
    aegis_free(env);
    aegis_free(longer);
    /* a bit flipped in the envelope itself */
    fx_seal(&t->fx, req, n, &env, &env_len);
    for (size_t i = 0; i < env_len; i += env_len / 13) {
        env[i] ^= 0x10;
        assert_int_not_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_OK);
        env[i] ^= 0x10;
    }
    aegis_free(env);
    aegis_free(req);
    /* timestamps outside the skew, either side */
    put_env(t, NULL, "db.customers", SECRET, 0, NOW - AEGIS_ASSET_DATA_SKEW_MS - 1, ALICE_IDX, -1, &env, &env_len);
    assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_TIME);
    aegis_free(env);
    put_env(t, NULL, "db.customers", SECRET, 0, NOW + AEGIS_ASSET_DATA_SKEW_MS + 1, ALICE_IDX, -1, &env, &env_len);
    assert_int_equal(put(t, "db.customers", env, env_len, &blob, &blob_len, &ver), AEGIS_ERR_ASSET_DATA_TIME);
    aegis_free(env);
    assert_int_equal(aegis_core_asset_data_version(t->fx.core, "db.customers", &ver), AEGIS_OK);
    assert_int_equal(ver, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swapped_reply_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_epoch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_and_time, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
