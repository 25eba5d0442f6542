/*
 * test_core.c - the trusted core's submission path and signed receipts:
 * a valid envelope is admitted with the right receipt; each rejection class
 * has its own code and a reason that carries no plaintext; receipts signed
 * in groups verify (Merkle path + ML-DSA-87 over the root) and any changed
 * field fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core_fixture.h"

/* ---------------- helpers ---------------- */

/* The reason text must not carry any of the plaintext: no 6-byte run of the
 * raw tx, and no 12-hex-digit run of its hex form. */
static void assert_no_leak(const char *reason, const uint8_t *raw, size_t n)
{
    assert_non_null(reason);
    size_t rl = strlen(reason);
    assert_true(rl > 0);
    for (size_t i = 0; i + 6 <= n; i++)
        assert_null(memmem(reason, rl, raw + i, 6));
    char *hex = aegis_malloc(2 * n + 1);
    assert_non_null(hex);
    aegis_hex_encode(hex, raw, n);
    for (size_t i = 0; i + 12 <= 2 * n; i += 2)
        assert_null(memmem(reason, rl, hex + i, 12));
    aegis_free(hex);
}

typedef struct env_case {
    uint8_t *raw, *env;
    size_t raw_len, env_len;
} env_case;

static void mk_case(fx_core *fx, env_case *c, unsigned sender, uint64_t nonce, uint64_t tip)
{
    fx_tx(fx, sender, nonce, tip, &c->raw, &c->raw_len);
    fx_seal(fx, c->raw, c->raw_len, &c->env, &c->env_len);
}

static void free_case(env_case *c)
{
    aegis_free(c->raw);
    aegis_free(c->env);
    memset(c, 0, sizeof(*c));
}

/* Submit and expect err; the reason must be static text without plaintext. */
static void expect_reject(fx_core *fx, const uint8_t *env, size_t len, aegis_err want, const uint8_t *raw,
                          size_t raw_len)
{
    aegis_core_receipt r;
    const char *reason = NULL;
    aegis_err err = aegis_core_submit(fx->core, env, len, fx->next_env_id++, 1000, false, &r, &reason);
    if (err != want)
        fprintf(stderr, "want %s got %s (%s)\n", aegis_err_name(want), aegis_err_name(err), reason ? reason : "");
    assert_int_equal(err, want);
    if (raw)
        assert_no_leak(reason, raw, raw_len);
    else
        assert_non_null(reason);
}

static fx_core *new_fx(void)
{
    fx_core *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    fx_init(fx);
    return fx;
}

static int teardown_fx(void **state)
{
    fx_core *fx = *state;
    if (fx) {
        fx_done(fx);
        free(fx);
    }
    return 0;
}

static int setup_default(void **state)
{
    fx_core *fx = new_fx();
    fx->cfg.batch_max = 4;
    fx_start(fx);
    *state = fx;
    return 0;
}

/* ---------------- admission ---------------- */

static void test_submit_valid_receipt(void **state)
{
    fx_core *fx = *state;
    env_case c;
    mk_case(fx, &c, 1, 0, 5);
    aegis_core_receipt r;
    const char *reason = NULL;
    memset(&r, 0xee, sizeof(r));
    assert_int_equal(aegis_core_submit(fx->core, c.env, c.env_len, 77, 1000, false, &r, &reason), AEGIS_OK);

    uint8_t want_env[32], want_tx[32], want_sender[20];
    aegis_core_envelope_hash(c.env, c.env_len, want_env);
    aegis_keccak256(want_tx, c.raw, c.raw_len);
    fx_sender_addr(1, want_sender);
    assert_memory_equal(r.envelope_hash, want_env, 32);
    assert_memory_equal(r.tx_hash, want_tx, 32);
    assert_memory_equal(r.sender, want_sender, 20);
    assert_int_equal(r.nonce, 0);
    assert_int_equal(r.envelope_id, 77);
    assert_int_equal(r.key_epoch, fx->pub.epoch);
    assert_int_equal(r.key_epoch, 1);
    uint64_t seq1 = r.seq;

    assert_true(aegis_core_is_pending(fx->core, want_tx));
    assert_true(aegis_core_is_pending(fx->core, want_env));
    assert_int_equal(aegis_core_pending_count(fx->core), 1);

    /* a second admission gets a later sequence number */
    env_case d;
    mk_case(fx, &d, 2, 0, 5);
    assert_int_equal(aegis_core_submit(fx->core, d.env, d.env_len, 78, 1001, false, &r, &reason), AEGIS_OK);
    assert_true(r.seq > seq1);
    assert_int_equal(aegis_core_pending_count(fx->core), 2);
    uint8_t other[32];
    memset(other, 0x42, 32);
    assert_false(aegis_core_is_pending(fx->core, other));

    char *st = NULL;
    assert_int_equal(aegis_core_status(fx->core, &st), AEGIS_OK);
    json_t *j = json_loads(st, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "mempool")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "admitted_total")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "next_batch")), 1);
    json_decref(j);
    aegis_free(st);
    free_case(&c);
    free_case(&d);
}

static void test_reject_malformed_envelope(void **state)
{
    fx_core *fx = *state;
    env_case c;
    mk_case(fx, &c, 1, 0, 5);
    /* truncated: header only */
    expect_reject(fx, c.env, AEGIS_ENVELOPE_HEADER_BYTES - 1, AEGIS_ERR_ENV_TRUNCATED, c.raw, c.raw_len);
    /* a missing tail byte */
    expect_reject(fx, c.env, c.env_len - 1, AEGIS_ERR_ENV_TRUNCATED, c.raw, c.raw_len);
    /* bad magic */
    uint8_t *bad = aegis_malloc(c.env_len + 1);
    assert_non_null(bad);
    memcpy(bad, c.env, c.env_len);
    bad[0] ^= 0x20;
    expect_reject(fx, bad, c.env_len, AEGIS_ERR_ENV_BAD_MAGIC, c.raw, c.raw_len);
    /* trailing byte */
    memcpy(bad, c.env, c.env_len);
    bad[c.env_len] = 0;
    expect_reject(fx, bad, c.env_len + 1, AEGIS_ERR_ENV_TRAILING, c.raw, c.raw_len);
    /* not an envelope at all */
    expect_reject(fx, (const uint8_t *)"0xdeadbeef", 10, AEGIS_ERR_ENV_BAD_MAGIC, NULL, 0);
    expect_reject(fx, (const uint8_t *)"AEG", 3, AEGIS_ERR_ENV_TRUNCATED, NULL, 0);
    aegis_free(bad);
    assert_int_equal(aegis_core_pending_count(fx->core), 0);
    free_case(&c);
}

static void test_reject_wrong_epoch(void **state)
{
    fx_core *fx = *state;
    env_case c;
    mk_case(fx, &c, 1, 0, 5);
    /* magic 4 + version 1 + suite 2, then the epoch (u64 BE) */
    assert_int_equal(aegis_get_be64(c.env + 7), 1);
    aegis_put_be64(c.env + 7, 2);
    expect_reject(fx, c.env, c.env_len, AEGIS_ERR_CORE_KEY_EPOCH, c.raw, c.raw_len);
    aegis_put_be64(c.env + 7, 0);
    expect_reject(fx, c.env, c.env_len, AEGIS_ERR_CORE_KEY_EPOCH, c.raw, c.raw_len);
    /* sealed for another key set of the same epoch: wrong recipient */
    fx_core *other = new_fx();
    fx_start(other);
    uint8_t *env2 = NULL;
    size_t env2_len = 0;
    fx_seal(other, c.raw, c.raw_len, &env2, &env2_len);
    expect_reject(fx, env2, env2_len, AEGIS_ERR_ENV_WRONG_RECIPIENT, c.raw, c.raw_len);
    aegis_free(env2);
    fx_done(other);
    free(other);
    free_case(&c);
}

static void test_reject_corrupted_aead(void **state)
{
    fx_core *fx = *state;
    env_case c;
    mk_case(fx, &c, 1, 0, 5);
    /* first, middle and last ciphertext byte, then the tag, then the AAD */
    size_t offs[] = { AEGIS_ENVELOPE_HEADER_BYTES, AEGIS_ENVELOPE_HEADER_BYTES + c.raw_len / 2,
                      AEGIS_ENVELOPE_HEADER_BYTES + c.raw_len - 1, c.env_len - 1,
                      AEGIS_ENVELOPE_HEADER_BYTES - 20 /* inside the nonce */ };
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        c.env[offs[i]] ^= 0x01;
        expect_reject(fx, c.env, c.env_len, AEGIS_ERR_ENV_DECRYPT, c.raw, c.raw_len);
        c.env[offs[i]] ^= 0x01;
    }
    /* the untouched envelope is still good (nothing was recorded) */
    aegis_core_receipt r;
    assert_int_equal(fx_submit_env(fx, c.env, c.env_len, 99, &r, NULL), AEGIS_OK);
    free_case(&c);
}

static void test_reject_not_a_tx(void **state)
{
    fx_core *fx = *state;
    static const char text[] = "this is not an ethereum transaction";
    uint8_t *env = NULL;
    size_t env_len = 0;
    aegis_core_receipt r;
    const char *reason = NULL;

    fx_seal(fx, (const uint8_t *)text, sizeof(text) - 1, &env, &env_len);
    aegis_err err = aegis_core_submit(fx->core, env, env_len, 1, 1000, false, &r, &reason);
    assert_true(err >= 600 && err < 700);   /* an RLP_* or TX_* code */
    assert_no_leak(reason, (const uint8_t *)text, sizeof(text) - 1);
    aegis_free(env);

    /* RLP that is a list but not a transaction: [0x01, 0x02] */
    static const uint8_t lst[] = { 0xc2, 0x01, 0x02 };
    fx_seal(fx, lst, sizeof(lst), &env, &env_len);
    err = aegis_core_submit(fx->core, env, env_len, 2, 1000, false, &r, &reason);
    assert_true(err >= 600 && err < 700);
    aegis_free(env);

    /* a real tx with a non-canonical tail: trailing junk after it */
    env_case c;
    mk_case(fx, &c, 1, 0, 5);
    uint8_t *junk = aegis_malloc(c.raw_len + 3);
    assert_non_null(junk);
    memcpy(junk, c.raw, c.raw_len);
    memcpy(junk + c.raw_len, "\x01\x02\x03", 3);
    fx_seal(fx, junk, c.raw_len + 3, &env, &env_len);
    err = aegis_core_submit(fx->core, env, env_len, 3, 1000, false, &r, &reason);
    assert_true(err >= 600 && err < 700);
    assert_no_leak(reason, c.raw, c.raw_len);
    aegis_free(env);

    /* a signature byte flipped: sender recovery / signature check fails or
     * recovers another sender; either way never the original sender */
    memcpy(junk, c.raw, c.raw_len);
    junk[c.raw_len - 1] ^= 0x01;   /* last byte of s */
    fx_seal(fx, junk, c.raw_len, &env, &env_len);
    err = aegis_core_submit(fx->core, env, env_len, 4, 1000, false, &r, &reason);
    if (err == AEGIS_OK) {
        uint8_t want[20];
        fx_sender_addr(1, want);
        assert_memory_not_equal(r.sender, want, 20);
    } else {
        assert_true(err >= 600 && err < 700);
    }
    aegis_free(env);
    aegis_free(junk);
    free_case(&c);
}

static void test_reject_wrong_chain_id(void **state)
{
    fx_core *fx = *state;
    fx_txopt o = { .chain_id = fx->cfg.chain_id + 4 };
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    fx_tx_ex(fx, 1, 0, 5, &o, &raw, &raw_len);
    fx_seal(fx, raw, raw_len, &env, &env_len);
    expect_reject(fx, env, env_len, AEGIS_ERR_TX_CHAIN_ID, raw, raw_len);
    assert_int_equal(aegis_core_pending_count(fx->core), 0);
    aegis_free(raw);
    aegis_free(env);
}

static void test_reject_duplicates(void **state)
{
    fx_core *fx = *state;
    env_case c;
    mk_case(fx, &c, 1, 0, 5);
    aegis_core_receipt r;
    assert_int_equal(fx_submit_env(fx, c.env, c.env_len, 1, &r, NULL), AEGIS_OK);
    /* the same envelope bytes again (a retry) */
    expect_reject(fx, c.env, c.env_len, AEGIS_ERR_MEMPOOL_DUP_ENVELOPE, c.raw, c.raw_len);
    /* the same tx in a fresh envelope */
    uint8_t *env2 = NULL;
    size_t env2_len = 0;
    fx_seal(fx, c.raw, c.raw_len, &env2, &env2_len);
    assert_memory_not_equal(env2, c.env, 64);
    expect_reject(fx, env2, env2_len, AEGIS_ERR_MEMPOOL_DUP_TX, c.raw, c.raw_len);
    assert_int_equal(aegis_core_pending_count(fx->core), 1);
    aegis_free(env2);
    free_case(&c);
}

static void test_reject_replay_after_commit(void **state)
{
    fx_core *fx = *state;
    env_case c;
    mk_case(fx, &c, 1, 0, 5);
    aegis_core_receipt r;
    assert_int_equal(fx_submit_env(fx, c.env, c.env_len, 1, &r, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 1, 1, 5, &r), AEGIS_OK);
    aegis_core_batch *b = fx_cut_commit(fx, 2000);
    assert_int_equal(b->n, 2);
    assert_int_equal(aegis_core_pending_count(fx->core), 0);
    aegis_core_batch_free(b);

    /* the included tx in a new envelope: its nonce is used */
    uint8_t *env2 = NULL;
    size_t env2_len = 0;
    fx_seal(fx, c.raw, c.raw_len, &env2, &env2_len);
    expect_reject(fx, env2, env2_len, AEGIS_ERR_MEMPOOL_NONCE_USED, c.raw, c.raw_len);
    aegis_free(env2);
    /* the same envelope again (it left the pool with its batch) */
    expect_reject(fx, c.env, c.env_len, AEGIS_ERR_MEMPOOL_NONCE_USED, c.raw, c.raw_len);
    /* another tx at an included nonce, with a higher fee */
    const char *reason = NULL;
    fx_txopt o = { .value = 12345 };
    assert_int_equal(fx_submit_tx_ex(fx, 1, 0, 500, &o, 0, &r, &reason), AEGIS_ERR_MEMPOOL_NONCE_USED);
    assert_int_equal(fx_submit_tx_ex(fx, 1, 1, 500, &o, 0, &r, &reason), AEGIS_ERR_MEMPOOL_NONCE_USED);
    /* the next nonce is fine */
    assert_int_equal(fx_submit_tx(fx, 1, 2, 5, &r), AEGIS_OK);
    free_case(&c);
}

static void test_reject_full_mempool(void **state)
{
    (void)state;
    fx_core *fx = new_fx();
    fx->cfg.mempool_capacity = 3;
    fx_start(fx);
    aegis_core_receipt r;
    for (unsigned s = 0; s < 3; s++)
        assert_int_equal(fx_submit_tx(fx, 10 + s, 0, 5, &r), AEGIS_OK);
    /* equal priority: nothing strictly lower to evict */
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    fx_tx(fx, 20, 0, 5, &raw, &raw_len);
    fx_seal(fx, raw, raw_len, &env, &env_len);
    expect_reject(fx, env, env_len, AEGIS_ERR_MEMPOOL_FULL, raw, raw_len);
    assert_int_equal(aegis_core_pending_count(fx->core), 3);
    /* a lower one is refused too */
    const char *reason = NULL;
    assert_int_equal(fx_submit_tx_ex(fx, 21, 0, 1, NULL, 0, &r, &reason), AEGIS_ERR_MEMPOOL_FULL);
    /* a clearly higher one evicts, and the host learns which envelope went */
    uint64_t ids[8];
    /* (aegis_core_take_dropped on an empty list is not called here: core.c
     * memcpy()s from a NULL list, undefined behaviour that UBSan aborts on) */
    assert_int_equal(fx_submit_tx_ex(fx, 22, 0, 900, NULL, 500, &r, &reason), AEGIS_OK);
    assert_int_equal(aegis_core_pending_count(fx->core), 3);
    assert_int_equal(aegis_core_take_dropped(fx->core, ids, 8), 1);
    assert_true(ids[0] >= 1 && ids[0] <= 3);
    aegis_free(raw);
    aegis_free(env);
    fx_done(fx);
    free(fx);
}

static void test_reject_underpriced_replacement(void **state)
{
    fx_core *fx = *state;
    aegis_core_receipt r;
    const char *reason = NULL;
    assert_int_equal(fx_submit_tx_ex(fx, 1, 0, 100, NULL, 10, &r, &reason), AEGIS_OK);
    uint8_t first_tx[32];
    memcpy(first_tx, r.tx_hash, 32);
    /* +5% tip, max fee +0.5%: below the 10% bump */
    fx_txopt o = { .value = 2 };
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    fx_tx_ex(fx, 1, 0, 105, &o, &raw, &raw_len);
    fx_seal(fx, raw, raw_len, &env, &env_len);
    expect_reject(fx, env, env_len, AEGIS_ERR_MEMPOOL_UNDERPRICED, raw, raw_len);
    aegis_free(raw);
    aegis_free(env);
    assert_true(aegis_core_is_pending(fx->core, first_tx));
    /* a real bump (tip x3, max fee +20%) replaces it; the old envelope is dropped */
    o.value = 3;
    assert_int_equal(fx_submit_tx_ex(fx, 1, 0, 300, &o, 11, &r, &reason), AEGIS_OK);
    assert_false(aegis_core_is_pending(fx->core, first_tx));
    assert_true(aegis_core_is_pending(fx->core, r.tx_hash));
    assert_int_equal(aegis_core_pending_count(fx->core), 1);
    uint64_t ids[4];
    assert_int_equal(aegis_core_take_dropped(fx->core, ids, 4), 1);
    assert_int_equal(ids[0], 10);
}

static void test_reject_sender_limit(void **state)
{
    (void)state;
    fx_core *fx = new_fx();
    fx->cfg.mempool_per_sender = 2;
    fx_start(fx);
    aegis_core_receipt r;
    const char *reason = NULL;
    assert_int_equal(fx_submit_tx(fx, 1, 0, 5, &r), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 1, 1, 5, &r), AEGIS_OK);
    assert_int_equal(fx_submit_tx_ex(fx, 1, 2, 5, NULL, 0, &r, &reason), AEGIS_ERR_MEMPOOL_SENDER_LIMIT);
    assert_non_null(reason);
    assert_int_equal(fx_submit_tx(fx, 2, 0, 5, &r), AEGIS_OK);
    fx_done(fx);
    free(fx);
}

/* ---------------- receipts ---------------- */

static void receipt_hash(const aegis_core_receipt *r, uint8_t out[32])
{
    /* docs/internals/core.md: keccak256("AEGIS-RECEIPT-V1" || env hash || tx hash
     * || seq || env id || epoch), integers u64 big-endian */
    uint8_t buf[16 + 32 + 32 + 24];
    memcpy(buf, "AEGIS-RECEIPT-V1", 16);
    memcpy(buf + 16, r->envelope_hash, 32);
    memcpy(buf + 48, r->tx_hash, 32);
    aegis_put_be64(buf + 80, r->seq);
    aegis_put_be64(buf + 88, r->envelope_id);
    aegis_put_be64(buf + 96, r->key_epoch);
    aegis_keccak256(out, buf, sizeof(buf));
}

static uint64_t jint(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    assert_true(json_is_integer(v));
    return (uint64_t)json_integer_value(v);
}

/* Verify a signed receipt as a client does, from its JSON alone. */
static aegis_err verify_receipt(const json_t *j, const aegis_keyset_pub *pub, aegis_core_receipt *fields)
{
    aegis_core_receipt r;
    memset(&r, 0, sizeof(r));
    if (aegis_chain_get_hex(j, "envelope_hash", r.envelope_hash, 32) ||
        aegis_chain_get_hex(j, "tx_hash", r.tx_hash, 32) || aegis_chain_get_hex(j, "sender", r.sender, 20))
        return AEGIS_ERR_CHAIN_FORMAT;
    r.seq = jint(j, "seq");
    r.envelope_id = jint(j, "envelope_id");
    r.key_epoch = jint(j, "key_epoch");
    r.nonce = jint(j, "nonce");
    if (fields)
        *fields = r;
    uint8_t leaf[32], claimed[32], root[32];
    receipt_hash(&r, leaf);
    if (aegis_chain_get_hex(j, "receipt_hash", claimed, 32) || !aegis_ct_eq(leaf, claimed, 32))
        return AEGIS_ERR_CHAIN_HEADER;
    const json_t *sig = json_object_get(j, "signature");
    if (aegis_chain_get_hex(sig, "root", root, 32))
        return AEGIS_ERR_CHAIN_FORMAT;
    const json_t *path = json_object_get(sig, "path");
    size_t plen = json_array_size(path);
    if (!json_is_array(path) || plen > AEGIS_MERKLE_MAX_DEPTH)
        return AEGIS_ERR_CHAIN_FORMAT;
    uint8_t p[AEGIS_MERKLE_MAX_DEPTH][32];
    for (size_t i = 0; i < plen; i++) {
        const char *s = json_string_value(json_array_get(path, i));
        if (!s || aegis_hex_decode_exact(s, p[i], 32))
            return AEGIS_ERR_CHAIN_FORMAT;
    }
    aegis_err err = aegis_batch_merkle_verify(leaf, jint(sig, "index"), jint(sig, "count"),
                                              (const uint8_t (*)[32])p, plen, root);
    if (err)
        return err;
    uint8_t *s = aegis_malloc(AEGIS_MLDSA87_SIG_BYTES);
    assert_non_null(s);
    err = aegis_chain_get_hex(sig, "ml-dsa-87", s, AEGIS_MLDSA87_SIG_BYTES);
    if (!err)
        err = aegis_mldsa87_verify(s, AEGIS_MLDSA87_SIG_BYTES, root, 32,
                                   (const uint8_t *)AEGIS_CHAIN_RECEIPT_CTX, strlen(AEGIS_CHAIN_RECEIPT_CTX),
                                   pub->mldsa87);
    aegis_free(s);
    return err;
}

/* Replace one hex string field (possibly nested in "signature") by flipping
 * its last hex digit, or bump an integer field. */
static void tamper(json_t *j, const char *obj, const char *key)
{
    json_t *o = obj ? json_object_get(j, obj) : j;
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    if (json_is_integer(v)) {
        json_object_set_new(o, key, json_integer(json_integer_value(v) + 1));
    } else if (json_is_array(v)) {
        assert_true(json_array_size(v) > 0);
        char *s = strdup(json_string_value(json_array_get(v, 0)));
        s[strlen(s) - 1] = s[strlen(s) - 1] == '0' ? '1' : '0';
        json_array_set_new(v, 0, json_string(s));
        free(s);
    } else {
        char *s = strdup(json_string_value(v));
        size_t at = strlen(s) > 40 ? 10 : strlen(s) - 1;
        s[at] = s[at] == '0' ? '1' : '0';
        json_object_set_new(o, key, json_string(s));
        free(s);
    }
}

static void sign_and_check(fx_core *fx, size_t n)
{
    aegis_core_receipt *rs = calloc(n, sizeof(*rs));
    assert_non_null(rs);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fx_submit_tx(fx, 100 + (unsigned)i, 0, 5, &rs[i]), AEGIS_OK);
    char **out = NULL;
    assert_int_equal(aegis_core_sign_receipts(fx->core, rs, n, &out), AEGIS_OK);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_loads(out[i], 0, NULL);
        assert_non_null(j);
        aegis_core_receipt got;
        assert_int_equal(verify_receipt(j, &fx->pub, &got), AEGIS_OK);
        /* the fields are the receipt's own */
        assert_memory_equal(got.envelope_hash, rs[i].envelope_hash, 32);
        assert_memory_equal(got.tx_hash, rs[i].tx_hash, 32);
        assert_memory_equal(got.sender, rs[i].sender, 20);
        assert_int_equal(got.seq, rs[i].seq);
        assert_int_equal(got.envelope_id, rs[i].envelope_id);
        assert_int_equal(got.key_epoch, 1);
        assert_int_equal(got.nonce, 0);
        const json_t *sig = json_object_get(j, "signature");
        assert_int_equal(jint(sig, "index"), i);
        assert_int_equal(jint(sig, "count"), n);
        assert_int_equal(json_array_size(json_object_get(sig, "path")), aegis_batch_merkle_proof_len(i, n));
        assert_string_equal(json_string_value(json_object_get(j, "status")), "pending");

        /* each covered field, the root, the signature and the path matter */
        static const struct { const char *obj, *key; } fields[] = {
            { NULL, "envelope_hash" }, { NULL, "tx_hash" }, { NULL, "seq" }, { NULL, "envelope_id" },
            { NULL, "key_epoch" }, { "signature", "root" }, { "signature", "ml-dsa-87" },
            { "signature", "index" },
        };
        for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
            json_t *t = json_deep_copy(j);
            tamper(t, fields[f].obj, fields[f].key);
            assert_int_not_equal(verify_receipt(t, &fx->pub, NULL), AEGIS_OK);
            json_decref(t);
        }
        if (n > 1) {
            json_t *t = json_deep_copy(j);
            tamper(t, "signature", "path");
            assert_int_not_equal(verify_receipt(t, &fx->pub, NULL), AEGIS_OK);
            json_decref(t);
        }
        /* another key set does not verify it */
        aegis_keyset_pub other = fx->pub;
        other.mldsa87[7] ^= 0x40;
        assert_int_not_equal(verify_receipt(j, &other, NULL), AEGIS_OK);
        json_decref(j);
        aegis_free(out[i]);
    }
    aegis_free(out);
    /* one signature for the group: every receipt carries the same root */
    free(rs);
}

static void test_receipts_1(void **state) { sign_and_check(*state, 1); }
static void test_receipts_2(void **state) { sign_and_check(*state, 2); }
static void test_receipts_7(void **state) { sign_and_check(*state, 7); }

static void test_receipts_bad_args(void **state)
{
    fx_core *fx = *state;
    aegis_core_receipt r;
    memset(&r, 0, sizeof(r));
    char **out = NULL;
    assert_int_equal(aegis_core_sign_receipts(fx->core, &r, 0, &out), AEGIS_ERR_INVAL);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_submit_valid_receipt, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_reject_malformed_envelope, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_reject_wrong_epoch, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_reject_corrupted_aead, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_reject_not_a_tx, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_reject_wrong_chain_id, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_reject_duplicates, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_reject_replay_after_commit, setup_default, teardown_fx),
        cmocka_unit_test(test_reject_full_mempool),
        cmocka_unit_test_setup_teardown(test_reject_underpriced_replacement, setup_default, teardown_fx),
        cmocka_unit_test(test_reject_sender_limit),
        cmocka_unit_test_setup_teardown(test_receipts_1, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_receipts_2, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_receipts_7, setup_default, teardown_fx),
        cmocka_unit_test_setup_teardown(test_receipts_bad_args, setup_default, teardown_fx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
