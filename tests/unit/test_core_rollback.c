/*
 * test_core_rollback.c - what a rollback does to the pending transactions,
 * and the risk feed's replay protection across a restart, on a real core:
 *  - txs admitted after a checkpoint that the restored state refuses (an
 *    asset frozen again; a protected asset at emergency without a witness)
 *    leave the pool, are reported as dropped in admission order, and never
 *    reach a batch; the still-valid ones stay, in admission order, and a
 *    witnessed tx from a registered account survives the emergency;
 *  - the very same signed assessment submitted after a restart (risk state
 *    persisted with aegis_core_risk_state, restored with
 *    aegis_core_restore_risk) is a duplicate, an older one out of order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "aegis/assets.h"
#include "aegis/risk.h"
#include "core_fixture.h"
/* white box: a pooled record with its extension bytes placed directly, so
 * the test controls the witness independently of admission (place_with_ext) */
#include "../../src/core/core_int.h"

#define CONTRACT 0x35   /* the protected asset's contract: 0x3535.. */
#define OTHER    0x44   /* an unregistered contract */

typedef struct rb {
    fx_core fx;
    char admin_pub[96], oracle_pub[96];
    uint8_t admin_pk[AEGIS_MLDSA87_PK_BYTES], admin_sk[AEGIS_MLDSA87_SK_BYTES];
    uint8_t oracle_pk[AEGIS_MLDSA87_PK_BYTES], oracle_sk[AEGIS_MLDSA87_SK_BYTES];
    uint8_t acct_pk[AEGIS_MLDSA87_PK_BYTES], acct_sk[AEGIS_MLDSA87_SK_BYTES];
    uint64_t admin_seq;
    uint64_t risk_seq;
    uint64_t cut_ms;    /* batch times: the fixture admits at 1000 (expiry 1 h) */
} rb;

static void keypair(uint8_t b, uint8_t *pk, uint8_t *sk)
{
    uint8_t seed[32];
    memset(seed, b, sizeof(seed));
    assert_int_equal(aegis_mldsa87_keygen_seed(pk, sk, seed), AEGIS_OK);
}

static rb *rb_new(void)
{
    rb *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    fx_init(&r->fx);
    keypair(0x11, r->admin_pk, r->admin_sk);
    keypair(0x22, r->oracle_pk, r->oracle_sk);
    keypair(0x33, r->acct_pk, r->acct_sk);
    snprintf(r->admin_pub, sizeof(r->admin_pub), "%s/admin.pub", r->fx.dir);
    snprintf(r->oracle_pub, sizeof(r->oracle_pub), "%s/oracle.pub", r->fx.dir);
    assert_int_equal(aegis_keyfile_write(r->admin_pub, "ml-dsa-87", r->admin_pk, sizeof(r->admin_pk), false), AEGIS_OK);
    assert_int_equal(aegis_keyfile_write(r->oracle_pub, "ml-dsa-87", r->oracle_pk, sizeof(r->oracle_pk), false),
                     AEGIS_OK);
    r->fx.cfg.admin_keys.items[0] = r->admin_pub;
    r->fx.cfg.admin_keys.n = 1;
    r->fx.cfg.oracle_keys.items[0] = r->oracle_pub;
    r->fx.cfg.oracle_keys.n = 1;
    r->fx.cfg.batch_max = 16;
    fx_start(&r->fx);
    return r;
}

static void rb_free(rb *r)
{
    fx_done(&r->fx);
    free(r);
}

/* One signed admin request through the core (ckpt: the checkpoint record
 * of a rollback). */
static aegis_err admin(rb *r, const char *op, const char *params, const char *ckpt)
{
    uint64_t now = aegis_wall_ms();
    char *req = NULL, *out = NULL, *ev = NULL;
    uint64_t first = 0, last = 0;
    const char *detail = NULL;
    assert_int_equal(aegis_assets_admin_sign(op, params, ++r->admin_seq, now, r->admin_sk, r->admin_pk, &req),
                     AEGIS_OK);
    aegis_err err = aegis_core_admin(r->fx.core, req, strlen(req), now, ckpt, ckpt ? strlen(ckpt) : 0, &out, &ev,
                                     &first, &last, &detail);
    if (err)
        fprintf(stderr, "admin %s: %s (%s)\n", op, aegis_err_name(err), detail ? detail : "");
    else if (ckpt)
        assert_non_null(ev);   /* the signed rollback event */
    aegis_free(req);
    aegis_free(out);
    aegis_free(ev);
    return err;
}

/* vault-1: a token at 0x3535.. on chain 1, protection level 1, in `state`. */
static void add_vault(rb *r, const char *state, bool witness_required)
{
    char p[512];
    snprintf(p, sizeof(p),
             "{\"asset\":{\"id\":\"vault-1\",\"type\":\"token\",\"locator\":{\"chain_id\":1,\"contract\":"
             "\"0x3535353535353535353535353535353535353535\"},\"level\":1,\"threshold\":10000,"
             "\"policy\":{\"witness_required\":%s},\"state\":\"%s\"}}",
             witness_required ? "true" : "false", state);
    assert_int_equal(admin(r, "add", p, NULL), AEGIS_OK);
}

/* Cut (force) and commit; returns the envelope ids in batch order. */
static size_t cut(rb *r, uint64_t *ids, size_t cap)
{
    r->cut_ms += 1000;
    aegis_core_batch *b = fx_cut_commit(&r->fx, 1000 + r->cut_ms);
    size_t n = b->n < cap ? b->n : cap;
    memcpy(ids, b->envelope_ids, n * sizeof(*ids));
    aegis_core_batch_free(b);
    return n;
}

/* Make and commit a checkpoint; returns its record (aegis_free). */
static char *checkpoint(rb *r, uint64_t *number)
{
    char *ck = NULL;
    assert_int_equal(aegis_core_checkpoint_make(r->fx.core, aegis_wall_ms(), number, &ck), AEGIS_OK);
    assert_non_null(ck);
    assert_int_equal(aegis_core_checkpoint_commit(r->fx.core, ck, strlen(ck)), AEGIS_OK);
    return ck;
}

static aegis_err rollback(rb *r, uint64_t number, const char *ck)
{
    char p[64];
    snprintf(p, sizeof(p), "{\"checkpoint\":%llu}", (unsigned long long)number);
    return admin(r, "rollback", p, ck);
}

/* A signed plaintext tx from sender to 0xTT..TT (value distinguishes),
 * optionally followed by a PQC witness of the test account. */
static void plaintext(rb *r, unsigned sender, uint64_t nonce, uint8_t to, bool witness, aegis_buf *out)
{
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.chain_id = r->fx.cfg.chain_id;
    p.nonce = nonce;
    p.gas_limit = 21000;
    aegis_u256_from_u64(&p.max_priority_fee, 2 * FX_GWEI);
    aegis_u256_from_u64(&p.max_fee, 1002 * FX_GWEI);
    memset(p.to, to, 20);
    aegis_u256_from_u64(&p.value, 1000 + sender);
    uint8_t sk[32], *raw = NULL;
    size_t raw_len = 0;
    fx_sender_sk(sender, sk);
    assert_int_equal(aegis_tx_build(&p, sk, &raw, &raw_len), AEGIS_OK);
    aegis_buf_init(out, 1 << 16);
    assert_int_equal(aegis_buf_append(out, raw, raw_len), AEGIS_OK);
    if (witness) {
        uint8_t h[32], sig[AEGIS_MLDSA87_SIG_BYTES];
        aegis_keccak256(h, raw, raw_len);
        assert_int_equal(aegis_mldsa87_sign(sig, h, 32, (const uint8_t *)AEGIS_TX_WITNESS_CTX,
                                            strlen(AEGIS_TX_WITNESS_CTX), r->acct_sk, true),
                         AEGIS_OK);
        assert_int_equal(aegis_tx_ext_append(out, sig, NULL, 0, NULL, 0), AEGIS_OK);
    }
    aegis_free(raw);
}

/* Seal and submit; returns the envelope id used. */
static uint64_t submit(rb *r, unsigned sender, uint64_t nonce, uint8_t to, aegis_err want)
{
    aegis_buf pt;
    plaintext(r, sender, nonce, to, false, &pt);
    uint8_t *env = NULL;
    size_t env_len = 0;
    fx_seal(&r->fx, pt.data, pt.len, &env, &env_len);
    uint64_t id = r->fx.next_env_id++;
    const char *why = NULL;
    aegis_err err = fx_submit_env(&r->fx, env, env_len, id, NULL, &why);
    if (err != want)
        fprintf(stderr, "submit %u/%llu: %s (%s)\n", sender, (unsigned long long)nonce, aegis_err_name(err),
                why ? why : "");
    assert_int_equal(err, want);
    aegis_free(env);
    aegis_buf_clear(&pt);
    return id;
}

/* A tx with its witness placed in the pool as aegis_core_submit places it
 * (rec.ext = pt + raw_len): the same record fields, the extension bytes
 * after raw. */
static uint64_t place_with_ext(rb *r, unsigned sender, uint64_t nonce, uint8_t to)
{
    aegis_buf pt;
    plaintext(r, sender, nonce, to, true, &pt);
    aegis_core *core = r->fx.core;
    aegis_tx tx;
    assert_int_equal(aegis_tx_decode(&core->txcfg, pt.data, pt.len, &tx, NULL), AEGIS_OK);
    assert_true(tx.ext.present && tx.ext.witness_sig);
    struct aegis_mempool_tx rec;
    memset(&rec, 0, sizeof(rec));
    memcpy(rec.tx_hash, tx.hash, 32);
    aegis_sha256(rec.envelope_hash, pt.data, pt.len);
    rec.envelope_id = r->fx.next_env_id++;
    memcpy(rec.sender, tx.sender, 20);
    memcpy(rec.to, tx.to, 20);
    rec.flags = AEGIS_MEMPOOL_TX_HAS_TO;
    rec.nonce = tx.nonce;
    aegis_u256_to_be(rec.max_fee, &tx.max_fee);
    aegis_u256_to_be(rec.priority_fee, &tx.max_priority_fee);
    rec.gas_limit = tx.gas_limit;
    aegis_u256_to_be(rec.value, &tx.value);
    rec.raw = tx.raw;
    rec.raw_len = tx.raw_len;
    rec.ext = pt.data + tx.raw_len;
    rec.ext_len = pt.len - tx.raw_len;
    aegis_assets_env env;
    struct aegis_mempool_admit ad;
    pthread_mutex_lock(&core->lock);
    aegis__core_assets_env(core, &env);
    assert_int_equal(aegis_assets_check_tx(core->reg, &tx, &env, NULL, NULL), AEGIS_OK);
    assert_int_equal(aegis_mempool_add(core->mp, &rec, 1000, &ad), AEGIS_OK);
    pthread_mutex_unlock(&core->lock);
    assert_null(ad.dropped);
    aegis_buf_clear(&pt);
    return rec.envelope_id;
}

/* A signed assessment (JSON text, free()) from the test oracle. */
static char *assessment(rb *r, uint64_t seq, uint16_t score)
{
    aegis_risk_assessment a;
    memset(&a, 0, sizeof(a));
    strcpy(a.source, "qrm-test");
    a.seq = seq;
    a.timestamp_ms = aegis_wall_ms();
    a.score = score;
    assert_int_equal(aegis_risk_assessment_sign(&a, r->oracle_sk, r->oracle_pk), AEGIS_OK);
    json_t *j = aegis_risk_assessment_to_json(&a);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    aegis_risk_assessment_clear(&a);
    return s;
}

static aegis_err risk(rb *r, const char *text)
{
    return aegis_core_submit_risk(r->fx.core, text, strlen(text), aegis_wall_ms(), NULL);
}

static void set_risk(rb *r, uint16_t score)
{
    char *s = assessment(r, ++r->risk_seq, score);
    assert_int_equal(risk(r, s), AEGIS_OK);
    free(s);
}

static size_t take_dropped(rb *r, uint64_t *ids, size_t cap)
{
    return aegis_core_take_dropped(r->fx.core, ids, cap);
}

/* ---- tests ---- */

static void test_frozen_again_drops_in_admission_order(void **state)
{
    (void)state;
    rb *r = rb_new();
    uint64_t ids[16];
    /* a batch (a checkpoint needs one), then vault-1 frozen, checkpointed */
    submit(r, 9, 0, OTHER, AEGIS_OK);
    assert_int_equal(cut(r, ids, 16), 1);
    add_vault(r, "frozen", false);
    submit(r, 1, 0, CONTRACT, AEGIS_ERR_ASSET_FROZEN);
    uint64_t cn = 0;
    char *ck = checkpoint(r, &cn);

    /* later: vault-1 active again; txs to it are admitted among others */
    assert_int_equal(admin(r, "set_state", "{\"id\":\"vault-1\",\"state\":\"active\"}", NULL), AEGIS_OK);
    uint64_t s1 = submit(r, 1, 0, OTHER, AEGIS_OK);
    uint64_t a1 = submit(r, 2, 0, CONTRACT, AEGIS_OK);
    uint64_t s2 = submit(r, 3, 0, OTHER, AEGIS_OK);
    uint64_t a2 = submit(r, 4, 0, CONTRACT, AEGIS_OK);
    uint64_t s3 = submit(r, 1, 1, OTHER, AEGIS_OK);
    uint64_t a3 = submit(r, 5, 0, CONTRACT, AEGIS_OK);
    assert_int_equal(aegis_core_pending_count(r->fx.core), 6);
    assert_int_equal(take_dropped(r, ids, 16), 0);

    /* rollback: frozen again; the three txs to it leave, in admission order */
    assert_int_equal(rollback(r, cn, ck), AEGIS_OK);
    assert_int_equal(aegis_core_pending_count(r->fx.core), 3);
    assert_int_equal(take_dropped(r, ids, 16), 3);
    assert_int_equal(ids[0], a1);
    assert_int_equal(ids[1], a2);
    assert_int_equal(ids[2], a3);
    assert_int_equal(take_dropped(r, ids, 16), 0);
    /* the restored state refuses a new one the same way */
    submit(r, 6, 0, CONTRACT, AEGIS_ERR_ASSET_FROZEN);
    /* the next batch holds exactly the still-valid ones */
    size_t n = cut(r, ids, 16);
    assert_int_equal(n, 3);
    bool seen1 = false, seen2 = false, seen3 = false;
    for (size_t i = 0; i < n; i++) {
        seen1 |= ids[i] == s1;
        seen2 |= ids[i] == s2;
        seen3 |= ids[i] == s3;
    }
    assert_true(seen1 && seen2 && seen3);
    aegis_free(ck);
    rb_free(r);
}

static void test_nothing_refused_nothing_dropped(void **state)
{
    (void)state;
    rb *r = rb_new();
    uint64_t ids[16];
    submit(r, 9, 0, OTHER, AEGIS_OK);
    assert_int_equal(cut(r, ids, 16), 1);
    add_vault(r, "active", false);
    uint64_t cn = 0;
    char *ck = checkpoint(r, &cn);
    /* after the checkpoint: another asset registered, txs to both */
    assert_int_equal(admin(r, "add",
                           "{\"asset\":{\"id\":\"vault-2\",\"type\":\"token\",\"locator\":{\"chain_id\":1,"
                           "\"contract\":\"0x4444444444444444444444444444444444444444\"},\"level\":1,"
                           "\"threshold\":10000,\"state\":\"active\"}}",
                           NULL),
                     AEGIS_OK);
    submit(r, 1, 0, CONTRACT, AEGIS_OK);
    submit(r, 2, 0, OTHER, AEGIS_OK);
    assert_int_equal(rollback(r, cn, ck), AEGIS_OK);
    assert_int_equal(aegis_core_pending_count(r->fx.core), 2);
    assert_int_equal(take_dropped(r, ids, 16), 0);
    assert_int_equal(cut(r, ids, 16), 2);
    aegis_free(ck);
    rb_free(r);
}

static void test_emergency_again_requires_witnesses(void **state)
{
    (void)state;
    rb *r = rb_new();
    uint64_t ids[16];
    submit(r, 9, 0, OTHER, AEGIS_OK);
    assert_int_equal(cut(r, ids, 16), 1);
    /* vault-1 protected; the test account's PQC key registered; emergency */
    add_vault(r, "protected", false);
    char p[2 * AEGIS_MLDSA87_PK_BYTES + 128];
    uint8_t acct[20];
    fx_sender_addr(7, acct);
    int k = snprintf(p, sizeof(p), "{\"account\":\"0x");
    aegis_hex_encode(p + k, acct, 20);
    k += 40;
    k += snprintf(p + k, sizeof(p) - (size_t)k, "\",\"pk\":\"");
    aegis_hex_encode(p + k, r->acct_pk, AEGIS_MLDSA87_PK_BYTES);
    strcat(p, "\"}");
    assert_int_equal(admin(r, "register_pqc_key", p, NULL), AEGIS_OK);
    set_risk(r, 9500);
    submit(r, 1, 0, CONTRACT, AEGIS_ERR_ASSET_WITNESS_REQUIRED);
    uint64_t cn = 0;
    char *ck = checkpoint(r, &cn);

    /* the score falls to normal: no witness needed, txs admitted without */
    set_risk(r, 4000);
    uint64_t s1 = submit(r, 1, 0, OTHER, AEGIS_OK);
    uint64_t a1 = submit(r, 2, 0, CONTRACT, AEGIS_OK);
    uint64_t w1 = place_with_ext(r, 7, 0, CONTRACT);   /* witnessed, registered key */
    uint64_t a2 = submit(r, 3, 0, CONTRACT, AEGIS_OK);
    assert_int_equal(aegis_core_pending_count(r->fx.core), 4);

    /* back to the emergency: the unwitnessed ones go, the witnessed stays */
    assert_int_equal(rollback(r, cn, ck), AEGIS_OK);
    char *st = NULL;
    assert_int_equal(aegis_core_risk_state(r->fx.core, &st), AEGIS_OK);
    json_t *j = json_loads(st, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "score")), 9500);
    json_decref(j);
    aegis_free(st);
    assert_int_equal(take_dropped(r, ids, 16), 2);
    assert_int_equal(ids[0], a1);
    assert_int_equal(ids[1], a2);
    assert_int_equal(aegis_core_pending_count(r->fx.core), 2);
    size_t n = cut(r, ids, 16);
    assert_int_equal(n, 2);
    assert_true((ids[0] == s1 && ids[1] == w1) || (ids[0] == w1 && ids[1] == s1));
    aegis_free(ck);
    rb_free(r);
}

/* Without a rollback: an admin freeze holds for what already waits. */
static void test_freeze_drops_pending(void **state)
{
    (void)state;
    rb *r = rb_new();
    uint64_t ids[16];
    add_vault(r, "active", false);
    uint64_t s1 = submit(r, 1, 0, OTHER, AEGIS_OK);
    uint64_t a1 = submit(r, 2, 0, CONTRACT, AEGIS_OK);
    uint64_t a2 = submit(r, 3, 0, CONTRACT, AEGIS_OK);
    uint64_t s2 = submit(r, 4, 0, OTHER, AEGIS_OK);
    assert_int_equal(take_dropped(r, ids, 16), 0);
    assert_int_equal(admin(r, "set_state", "{\"id\":\"vault-1\",\"state\":\"frozen\"}", NULL), AEGIS_OK);
    assert_int_equal(take_dropped(r, ids, 16), 2);
    assert_int_equal(ids[0], a1);
    assert_int_equal(ids[1], a2);
    size_t n = cut(r, ids, 16);
    assert_int_equal(n, 2);
    assert_true((ids[0] == s1 && ids[1] == s2) || (ids[0] == s2 && ids[1] == s1));
    /* a change that refuses nothing drops nothing */
    uint64_t a3 = submit(r, 5, 0, OTHER, AEGIS_OK);
    assert_int_equal(admin(r, "set_state", "{\"id\":\"vault-1\",\"state\":\"active\"}", NULL), AEGIS_OK);
    assert_int_equal(take_dropped(r, ids, 16), 0);
    assert_int_equal(cut(r, ids, 16), 1);
    assert_int_equal(ids[0], a3);
    rb_free(r);
}

/* Without a rollback: the level rising to emergency requires witnesses of
 * what already waits; the level falling re-checks nothing. */
static void test_level_rise_drops_unwitnessed(void **state)
{
    (void)state;
    rb *r = rb_new();
    uint64_t ids[16];
    add_vault(r, "protected", false);
    set_risk(r, 4000);
    uint64_t s1 = submit(r, 1, 0, OTHER, AEGIS_OK);
    uint64_t a1 = submit(r, 2, 0, CONTRACT, AEGIS_OK);
    set_risk(r, 5000);   /* same level: nothing re-checked */
    assert_int_equal(take_dropped(r, ids, 16), 0);
    set_risk(r, 9500);
    assert_int_equal(take_dropped(r, ids, 16), 1);
    assert_int_equal(ids[0], a1);
    assert_int_equal(aegis_core_pending_count(r->fx.core), 1);
    assert_int_equal(cut(r, ids, 16), 1);
    assert_int_equal(ids[0], s1);
    rb_free(r);
}

static void test_replayed_assessment_after_restart_is_duplicate(void **state)
{
    (void)state;
    rb *r = rb_new();
    char *old = assessment(r, 1, 5000), *last = assessment(r, 2, 6500);
    assert_int_equal(risk(r, old), AEGIS_OK);
    assert_int_equal(risk(r, last), AEGIS_OK);
    assert_int_equal(risk(r, last), AEGIS_ERR_RISK_DUPLICATE);
    char *persisted = NULL;
    assert_int_equal(aegis_core_risk_state(r->fx.core, &persisted), AEGIS_OK);

    /* restart: a fresh core on the same data dir, state restored */
    fx_stop(&r->fx);
    fx_start(&r->fx);
    assert_int_equal(aegis_core_restore_risk(r->fx.core, persisted, strlen(persisted)), AEGIS_OK);
    assert_int_equal(risk(r, last), AEGIS_ERR_RISK_DUPLICATE);
    assert_int_equal(risk(r, old), AEGIS_ERR_RISK_OUT_OF_ORDER);

    /* persisted again after the restart (no decision about `last` in this
     * core's record): a second restart still knows it */
    char *again = NULL;
    assert_int_equal(aegis_core_risk_state(r->fx.core, &again), AEGIS_OK);
    fx_stop(&r->fx);
    fx_start(&r->fx);
    assert_int_equal(aegis_core_restore_risk(r->fx.core, again, strlen(again)), AEGIS_OK);
    assert_int_equal(risk(r, last), AEGIS_ERR_RISK_DUPLICATE);
    /* a newer assessment is accepted */
    char *next = assessment(r, 3, 7000);
    assert_int_equal(risk(r, next), AEGIS_OK);

    /* a state persisted before digests were kept: the replay is still
     * refused (out of order); a malformed digest is refused */
    json_t *j = json_loads(persisted, 0, NULL);
    json_t *src = json_object_get(json_object_get(j, "sources"), "qrm-test");
    assert_non_null(json_object_get(src, "digest"));
    json_object_del(src, "digest");
    char *nodigest = json_dumps(j, JSON_COMPACT);
    json_object_set_new(src, "digest", json_string("0x1234"));
    char *bad = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    fx_stop(&r->fx);
    fx_start(&r->fx);
    assert_int_equal(aegis_core_restore_risk(r->fx.core, bad, strlen(bad)), AEGIS_ERR_CHAIN_FORMAT);
    assert_int_equal(aegis_core_restore_risk(r->fx.core, nodigest, strlen(nodigest)), AEGIS_OK);
    assert_int_equal(risk(r, last), AEGIS_ERR_RISK_OUT_OF_ORDER);

    free(old);
    free(last);
    free(next);
    free(nodigest);
    free(bad);
    aegis_free(persisted);
    aegis_free(again);
    rb_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frozen_again_drops_in_admission_order),
        cmocka_unit_test(test_nothing_refused_nothing_dropped),
        cmocka_unit_test(test_emergency_again_requires_witnesses),
        cmocka_unit_test(test_replayed_assessment_after_restart_is_duplicate),
        cmocka_unit_test(test_freeze_drops_pending),
        cmocka_unit_test(test_level_rise_drops_unwitnessed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
