/*
 * test_core_batch.c - the core's batch protocol: cut (force / max_batch),
 * commit, abort, the pending-cut guard, per-sender nonce order, ordering
 * determinism across two cores and arrival orders, and restoring the chain
 * from persisted batch JSON (refusing what is not ours or not in order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core_fixture.h"

static fx_core *new_fx(uint64_t max_batch)
{
    fx_core *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    fx_init(fx);
    fx->cfg.batch_max = max_batch;
    fx_start(fx);
    return fx;
}

static void free_fx(fx_core *fx)
{
    fx_done(fx);
    free(fx);
}

static const uint8_t ZERO32[32];

static void next_batch_is(fx_core *fx, uint64_t want)
{
    char *st = NULL;
    assert_int_equal(aegis_core_status(fx->core, &st), AEGIS_OK);
    json_t *j = json_loads(st, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "next_batch")), want);
    json_decref(j);
    aegis_free(st);
}

/* ---------------- cut / commit / abort ---------------- */

static void test_force_cut_one(void **state)
{
    (void)state;
    fx_core *fx = new_fx(4);
    aegis_core_batch *b = NULL;
    /* nothing waiting: nothing to cut, even forced */
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, true, &b), AEGIS_OK);
    assert_null(b);

    aegis_core_receipt r;
    assert_int_equal(fx_submit_tx_ex(fx, 1, 0, 5, NULL, 42, &r, NULL), AEGIS_OK);
    /* not forced: 1 < max_batch waits */
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, false, &b), AEGIS_OK);
    assert_null(b);
    assert_int_equal(aegis_core_cut_batch(fx->core, 1500, true, &b), AEGIS_OK);
    assert_non_null(b);
    assert_int_equal(b->number, 1);
    assert_int_equal(b->n, 1);
    assert_int_equal(b->envelope_ids[0], 42);
    assert_int_equal(strlen(b->json), b->json_len);

    aegis_chain_batch cb;
    fx_parse_batch(b->json, b->json_len, &cb);
    assert_int_equal(cb.h.number, 1);
    assert_memory_equal(cb.hash, b->hash, 32);
    assert_memory_equal(cb.h.parent_hash, ZERO32, 32);
    assert_int_equal(cb.h.tx_count, 1);
    assert_int_equal(cb.h.chain_id, fx->cfg.chain_id);
    assert_int_equal(cb.h.key_epoch, 1);
    assert_int_equal(cb.h.timestamp_ms, 1500);
    assert_int_equal(cb.n_txs, 1);
    assert_memory_equal(cb.txs[0].hash, r.tx_hash, 32);
    assert_memory_equal(cb.txs[0].sender, r.sender, 20);
    assert_int_equal(cb.txs[0].envelope_id, 42);
    uint8_t root[32];
    assert_int_equal(aegis_batch_merkle_root((const uint8_t (*)[32])r.tx_hash, 1, root), AEGIS_OK);
    assert_memory_equal(cb.h.tx_root, root, 32);
    /* default config: hybrid ECDSA on, ML-DSA always, epoch SLH (no per-batch SLH) */
    assert_true(cb.h.algorithm_set & AEGIS_ALG_MLDSA87);
    assert_true(cb.has_ecdsa);
    assert_null(cb.sig_slh);
    assert_string_equal(cb.primary.backend, "sim");
    assert_string_equal(cb.primary.mode, "per-batch");
    aegis_chain_batch_clear(&cb);

    /* until committed the tx is still pooled */
    assert_int_equal(aegis_core_pending_count(fx->core), 1);
    assert_int_equal(aegis_core_commit_batch(fx->core, b), AEGIS_OK);
    assert_int_equal(aegis_core_pending_count(fx->core), 0);
    assert_false(aegis_core_is_pending(fx->core, r.tx_hash));
    next_batch_is(fx, 2);
    /* committing twice is refused */
    assert_int_equal(aegis_core_commit_batch(fx->core, b), AEGIS_ERR_CORE_NOT_PENDING);
    aegis_core_batch_free(b);
    free_fx(fx);
}

static void test_wait_for_max_batch(void **state)
{
    (void)state;
    fx_core *fx = new_fx(4);
    aegis_core_batch *b = NULL;
    for (unsigned s = 0; s < 3; s++) {
        assert_int_equal(fx_submit_tx(fx, s, 0, 5, NULL), AEGIS_OK);
        assert_int_equal(aegis_core_cut_batch(fx->core, 1000, false, &b), AEGIS_OK);
        assert_null(b);
    }
    assert_int_equal(fx_submit_tx(fx, 3, 0, 5, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 4, 0, 5, NULL), AEGIS_OK);
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, false, &b), AEGIS_OK);
    assert_non_null(b);
    assert_int_equal(b->n, 4);   /* never more than max_batch */
    assert_int_equal(aegis_core_commit_batch(fx->core, b), AEGIS_OK);
    aegis_core_batch_free(b);
    assert_int_equal(aegis_core_pending_count(fx->core), 1);
    /* a nonce gap stalls a sender: 4 pooled, only 2 ready (sender 4, sender 9 nonce 0) */
    assert_int_equal(fx_submit_tx(fx, 9, 0, 5, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 9, 2, 5, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 9, 3, 5, NULL), AEGIS_OK);
    assert_int_equal(aegis_core_pending_count(fx->core), 4);
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, false, &b), AEGIS_OK);
    assert_null(b);
    free_fx(fx);
}

static void test_commit_chains_batches(void **state)
{
    (void)state;
    fx_core *fx = new_fx(4);
    uint8_t prev[32];
    memset(prev, 0, 32);
    uint64_t prev_ts = 0;
    for (uint64_t k = 1; k <= 3; k++) {
        assert_int_equal(fx_submit_tx(fx, 1, k - 1, 5, NULL), AEGIS_OK);
        /* the clock going backwards never makes a timestamp go backwards */
        aegis_core_batch *b = fx_cut_commit(fx, k == 3 ? 100 : 5000 * k);
        assert_int_equal(b->number, k);
        aegis_chain_batch cb;
        fx_parse_batch(b->json, b->json_len, &cb);
        assert_int_equal(cb.h.number, k);
        assert_memory_equal(cb.h.parent_hash, prev, 32);
        assert_true(cb.h.timestamp_ms >= prev_ts);
        prev_ts = cb.h.timestamp_ms;
        memcpy(prev, b->hash, 32);
        aegis_chain_batch_clear(&cb);
        aegis_core_batch_free(b);
        next_batch_is(fx, k + 1);
    }
    free_fx(fx);
}

static void tx_hashes(const aegis_core_batch *b, uint8_t (*out)[32], size_t cap, size_t *n)
{
    aegis_chain_batch cb;
    fx_parse_batch(b->json, b->json_len, &cb);
    assert_true(cb.n_txs <= cap);
    for (size_t i = 0; i < cb.n_txs; i++)
        memcpy(out[i], cb.txs[i].hash, 32);
    *n = cb.n_txs;
    aegis_chain_batch_clear(&cb);
}

static void test_abort_keeps_number(void **state)
{
    (void)state;
    fx_core *fx = new_fx(4);
    for (unsigned s = 0; s < 3; s++)
        assert_int_equal(fx_submit_tx(fx, s, 0, 5 + s, NULL), AEGIS_OK);
    aegis_core_batch *b1 = NULL, *b2 = NULL, *b3 = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, true, &b1), AEGIS_OK);
    assert_non_null(b1);
    assert_int_equal(b1->number, 1);

    /* a second cut while one is pending */
    assert_int_equal(aegis_core_cut_batch(fx->core, 1001, true, &b2), AEGIS_ERR_CORE_CUT_PENDING);
    assert_null(b2);
    /* commit of something that is not the pending batch */
    aegis_core_batch fake = *b1;
    fake.hash[0] ^= 1;
    assert_int_equal(aegis_core_commit_batch(fx->core, &fake), AEGIS_ERR_CORE_NOT_PENDING);
    fake = *b1;
    fake.number = 2;
    assert_int_equal(aegis_core_commit_batch(fx->core, &fake), AEGIS_ERR_CORE_NOT_PENDING);
    /* aborting a batch of another number does nothing */
    aegis_core_abort_batch(fx->core, &fake);
    assert_int_equal(aegis_core_cut_batch(fx->core, 1001, true, &b2), AEGIS_ERR_CORE_CUT_PENDING);

    /* abort: the txs stay, and the next cut offers the very same signed
     * batch (a number is never signed with two contents) */
    aegis_core_abort_batch(fx->core, b1);
    assert_int_equal(aegis_core_pending_count(fx->core), 3);
    next_batch_is(fx, 1);
    assert_int_equal(aegis_core_commit_batch(fx->core, b1), AEGIS_ERR_CORE_NOT_PENDING);
    assert_int_equal(aegis_core_cut_batch(fx->core, 2000, true, &b2), AEGIS_OK);
    assert_non_null(b2);
    assert_int_equal(b2->number, 1);
    assert_memory_equal(b1->hash, b2->hash, 32);
    assert_int_equal(b1->json_len, b2->json_len);
    assert_memory_equal(b1->json, b2->json, b1->json_len);
    uint8_t h1[8][32], h2[8][32];
    size_t n1 = 0, n2 = 0;
    tx_hashes(b1, h1, 8, &n1);
    tx_hashes(b2, h2, 8, &n2);
    assert_int_equal(n1, 3);
    assert_int_equal(n2, 3);
    assert_memory_equal(h1, h2, 3 * 32);
    assert_int_equal(aegis_core_commit_batch(fx->core, b2), AEGIS_OK);
    next_batch_is(fx, 2);
    /* the next batch links to the committed one, not to the aborted one */
    assert_int_equal(fx_submit_tx(fx, 7, 0, 5, NULL), AEGIS_OK);
    b3 = fx_cut_commit(fx, 3000);
    aegis_chain_batch cb;
    fx_parse_batch(b3->json, b3->json_len, &cb);
    assert_int_equal(cb.h.number, 2);
    assert_memory_equal(cb.h.parent_hash, b2->hash, 32);
    aegis_chain_batch_clear(&cb);
    aegis_core_batch_free(b1);
    aegis_core_batch_free(b2);
    aegis_core_batch_free(b3);
    free_fx(fx);
}

static void test_sender_nonce_order(void **state)
{
    (void)state;
    fx_core *fx = new_fx(50);
    /* sender 1: nonces arrive 3, 2, 1, 0 with the later nonces paying far
     * more; other senders in between */
    assert_int_equal(fx_submit_tx(fx, 1, 3, 900, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 2, 0, 50, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 1, 2, 600, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 1, 1, 300, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 3, 1, 70, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 3, 0, 1, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 1, 0, 1, NULL), AEGIS_OK);
    aegis_core_batch *b = fx_cut_commit(fx, 1000);
    assert_int_equal(b->n, 7);
    aegis_chain_batch cb;
    fx_parse_batch(b->json, b->json_len, &cb);
    for (unsigned s = 1; s <= 3; s++) {
        uint8_t addr[20];
        fx_sender_addr(s, addr);
        uint64_t expect = 0;
        for (size_t i = 0; i < cb.n_txs; i++)
            if (memcmp(cb.txs[i].sender, addr, 20) == 0)
                assert_int_equal(cb.txs[i].nonce, expect++);
        assert_int_equal(expect, s == 1 ? 4 : 1 + (s == 3));
    }
    aegis_chain_batch_clear(&cb);
    aegis_core_batch_free(b);
    free_fx(fx);
}

/* ---------------- determinism ---------------- */

#define DET_N 14

static void test_determinism_two_cores(void **state)
{
    (void)state;
    fx_core *a = new_fx(6), *b = new_fx(6);
    /* different data dirs: different key sets */
    assert_memory_not_equal(a->pub.mldsa87, b->pub.mldsa87, 64);
    uint8_t *raw[DET_N];
    size_t raw_len[DET_N];
    uint64_t env_id[DET_N];
    /* 5 senders, some with 2-3 nonces; several equal tips (ties) */
    static const struct { unsigned s; uint64_t nonce, tip; } spec[DET_N] = {
        { 1, 0, 5 }, { 1, 1, 5 }, { 1, 2, 50 }, { 2, 0, 5 }, { 2, 1, 7 }, { 3, 0, 5 }, { 3, 1, 5 },
        { 4, 0, 100 }, { 4, 1, 1 }, { 5, 0, 5 }, { 5, 1, 5 }, { 5, 2, 5 }, { 6, 0, 7 }, { 7, 0, 5 },
    };
    for (size_t i = 0; i < DET_N; i++) {
        fx_tx(a, spec[i].s, spec[i].nonce, spec[i].tip, &raw[i], &raw_len[i]);
        env_id[i] = 100 + i;   /* the replicated envelope-log id of each tx */
    }
    /* a: in order; b: reversed, then odd before even */
    size_t order_b[DET_N];
    size_t k = 0;
    for (size_t i = DET_N; i-- > 0;)
        if (i % 2)
            order_b[k++] = i;
    for (size_t i = DET_N; i-- > 0;)
        if (!(i % 2))
            order_b[k++] = i;
    for (size_t i = 0; i < DET_N; i++) {
        uint8_t *env = NULL;
        size_t env_len = 0;
        fx_seal(a, raw[i], raw_len[i], &env, &env_len);
        assert_int_equal(aegis_core_submit(a->core, env, env_len, env_id[i], 1000 + i, false, NULL, NULL), AEGIS_OK);
        aegis_free(env);
        size_t j = order_b[i];
        fx_seal(b, raw[j], raw_len[j], &env, &env_len);
        assert_int_equal(aegis_core_submit(b->core, env, env_len, env_id[j], 5000 + 3 * i, false, NULL, NULL),
                         AEGIS_OK);
        aegis_free(env);
    }
    uint8_t ha[DET_N][32], hb[DET_N][32];
    size_t na = 0, nb = 0;
    for (int round = 0; round < 3; round++) {
        aegis_core_batch *ba = fx_cut_commit(a, 9000 + round), *bb = fx_cut_commit(b, 9000 + round);
        tx_hashes(ba, ha, DET_N, &na);
        tx_hashes(bb, hb, DET_N, &nb);
        assert_int_equal(na, nb);
        assert_int_equal(na, round < 2 ? 6 : 2);
        assert_memory_equal(ha, hb, na * 32);
        aegis_chain_batch ca, cb;
        fx_parse_batch(ba->json, ba->json_len, &ca);
        fx_parse_batch(bb->json, bb->json_len, &cb);
        assert_memory_equal(ca.h.tx_root, cb.h.tx_root, 32);
        assert_int_equal(ca.h.strategy_id, cb.h.strategy_id);
        assert_memory_equal(ca.h.policy_hash, cb.h.policy_hash, 32);
        /* same header (same clock), so the same batch hash, but signed by
         * different keys */
        assert_memory_equal(ca.hash, cb.hash, 32);
        assert_memory_not_equal(ca.sig_mldsa, cb.sig_mldsa, 64);
        aegis_chain_batch_clear(&ca);
        aegis_chain_batch_clear(&cb);
        aegis_core_batch_free(ba);
        aegis_core_batch_free(bb);
    }
    assert_int_equal(aegis_core_pending_count(a->core), 0);
    assert_int_equal(aegis_core_pending_count(b->core), 0);
    for (size_t i = 0; i < DET_N; i++)
        aegis_free(raw[i]);
    free_fx(a);
    free_fx(b);
}

/* ---------------- restore ---------------- */

typedef struct chain3 {
    fx_core *a;
    char *json[3];
    size_t len[3];
    uint8_t hash[3][32];
    aegis_core_receipt r[3];   /* one tx of each batch */
} chain3;

/* Core a produces 3 committed batches (2 txs each); then it is stopped. */
static void make_chain3(chain3 *c)
{
    memset(c, 0, sizeof(*c));
    c->a = new_fx(2);
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(fx_submit_tx(c->a, 1, k, 5, &c->r[k]), AEGIS_OK);
        assert_int_equal(fx_submit_tx(c->a, 2 + k, 0, 5, NULL), AEGIS_OK);
        aegis_core_batch *b = fx_cut_commit(c->a, 1000 * (k + 1));
        assert_int_equal(b->n, 2);
        c->json[k] = b->json;
        c->len[k] = b->json_len;
        memcpy(c->hash[k], b->hash, 32);
        b->json = NULL;
        aegis_core_batch_free(b);
    }
    fx_stop(c->a);
}

static void free_chain3(chain3 *c)
{
    for (int k = 0; k < 3; k++)
        aegis_free(c->json[k]);
    free_fx(c->a);
}

static aegis_err restore_str(fx_core *fx, const char *s)
{
    return aegis_core_restore_batch(fx->core, s, strlen(s));
}

static void test_restore_refuses_foreign_and_disorder(void **state)
{
    (void)state;
    chain3 c;
    make_chain3(&c);
    /* another sequencer (another data dir, another key set) */
    fx_core *o = new_fx(2);
    assert_int_equal(fx_submit_tx(o, 1, 0, 5, NULL), AEGIS_OK);
    aegis_core_batch *ob = fx_cut_commit(o, 1000);
    assert_int_equal(ob->number, 1);

    fx_start(c.a);   /* a restart on a's data dir: same key set */
    assert_int_equal(aegis_core_restore_batch(c.a->core, ob->json, ob->json_len), AEGIS_ERR_CORE_RESTORE);
    /* reordering / gap: batch 2 or 3 first */
    assert_int_equal(aegis_core_restore_batch(c.a->core, c.json[1], c.len[1]), AEGIS_ERR_CORE_RESTORE);
    assert_int_equal(aegis_core_restore_batch(c.a->core, c.json[2], c.len[2]), AEGIS_ERR_CORE_RESTORE);
    next_batch_is(c.a, 1);
    assert_int_equal(aegis_core_restore_batch(c.a->core, c.json[0], c.len[0]), AEGIS_OK);
    /* batch 1 again, then a gap (3 after 1) */
    assert_int_equal(aegis_core_restore_batch(c.a->core, c.json[0], c.len[0]), AEGIS_ERR_CORE_RESTORE);
    assert_int_equal(aegis_core_restore_batch(c.a->core, c.json[2], c.len[2]), AEGIS_ERR_CORE_RESTORE);
    /* not JSON at all, empty */
    assert_int_equal(aegis_core_restore_batch(c.a->core, "{", 1), AEGIS_ERR_CORE_RESTORE);
    assert_int_equal(aegis_core_restore_batch(c.a->core, "", 0), AEGIS_ERR_CORE_RESTORE);
    next_batch_is(c.a, 2);
    assert_int_equal(aegis_core_restore_batch(c.a->core, c.json[1], c.len[1]), AEGIS_OK);
    assert_int_equal(aegis_core_restore_batch(c.a->core, c.json[2], c.len[2]), AEGIS_OK);
    next_batch_is(c.a, 4);
    aegis_core_batch_free(ob);
    free_fx(o);
    free_chain3(&c);
}

/* Mutations of batch 1 that still parse; each must be refused. */
enum mut {
    M_HASH_BYTE, M_HEADER_FIELD, M_HEADER_REHASHED, M_SIG, M_TX_NONCE, M_TX_SENDER, M_TX_RAW, M_TX_HASH,
    M_TX_DROPPED, M_EPOCH_REHASHED, M_PARENT_REHASHED, M_COUNT
};

static char *mutate(const char *json, size_t len, enum mut m)
{
    aegis_chain_batch cb;
    fx_parse_batch(json, len, &cb);
    uint8_t *raw0 = NULL;
    switch (m) {
    case M_HASH_BYTE: cb.hash[5] ^= 0x10; break;
    case M_HEADER_FIELD: cb.h.timestamp_ms += 1; break;
    case M_HEADER_REHASHED:
        cb.h.timestamp_ms += 1;
        assert_int_equal(aegis_batch_header_hash(&cb.h, cb.hash), AEGIS_OK);
        break;
    case M_SIG: cb.sig_mldsa[100] ^= 0x01; break;
    case M_TX_NONCE: cb.txs[0].nonce += 5; break;
    case M_TX_SENDER: cb.txs[0].sender[3] ^= 0x01; break;
    case M_TX_RAW:
        raw0 = aegis_malloc(cb.txs[0].raw_len);
        assert_non_null(raw0);
        memcpy(raw0, cb.txs[0].raw, cb.txs[0].raw_len);
        raw0[cb.txs[0].raw_len / 2] ^= 0x01;
        cb.txs[0].raw = raw0;
        break;
    case M_TX_HASH: cb.txs[1].hash[0] ^= 0x01; break;
    case M_TX_DROPPED: cb.n_txs = 1; break;
    case M_EPOCH_REHASHED:
        cb.h.key_epoch = 2;
        assert_int_equal(aegis_batch_header_hash(&cb.h, cb.hash), AEGIS_OK);
        break;
    case M_PARENT_REHASHED:
        cb.h.parent_hash[0] ^= 1;
        assert_int_equal(aegis_batch_header_hash(&cb.h, cb.hash), AEGIS_OK);
        break;
    default: fail();
    }
    char *s = fx_batch_dump(&cb);
    aegis_free(raw0);
    aegis_chain_batch_clear(&cb);
    return s;
}

static void test_restore_refuses_changes(void **state)
{
    (void)state;
    chain3 c;
    make_chain3(&c);
    fx_start(c.a);
    for (int m = 0; m < M_COUNT; m++) {
        char *s = mutate(c.json[0], c.len[0], (enum mut)m);
        aegis_err err = restore_str(c.a, s);
        if (err != AEGIS_ERR_CORE_RESTORE)
            fprintf(stderr, "mutation %d accepted: %s\n", m, aegis_err_name(err));
        assert_int_equal(err, AEGIS_ERR_CORE_RESTORE);
        free(s);
        next_batch_is(c.a, 1);
    }
    /* a changed character in the text itself, anywhere in the hash or the
     * signature */
    char *t = strdup(c.json[0]);
    char *p = strstr(t, "\"ml-dsa-87\":\"0x");
    assert_non_null(p);
    p += 20;
    *p = *p == 'a' ? 'b' : 'a';
    assert_int_equal(restore_str(c.a, t), AEGIS_ERR_CORE_RESTORE);
    free(t);
    /* nothing refused left a trace: the real sequence restores */
    for (int k = 0; k < 3; k++)
        assert_int_equal(aegis_core_restore_batch(c.a->core, c.json[k], c.len[k]), AEGIS_OK);
    next_batch_is(c.a, 4);
    free_chain3(&c);
}

static void test_restore_then_replay_rejected(void **state)
{
    (void)state;
    chain3 c;
    make_chain3(&c);
    fx_start(c.a);
    for (int k = 0; k < 3; k++)
        assert_int_equal(aegis_core_restore_batch(c.a->core, c.json[k], c.len[k]), AEGIS_OK);
    /* every included (sender 1, nonce k) is a replay now */
    const char *reason = NULL;
    aegis_core_receipt r;
    for (uint64_t k = 0; k < 3; k++) {
        assert_int_equal(fx_submit_tx_ex(c.a, 1, k, 5, NULL, 0, &r, &reason), AEGIS_ERR_MEMPOOL_NONCE_USED);
        assert_int_equal(fx_submit_tx_ex(c.a, 2 + (unsigned)k, 0, 5, NULL, 0, &r, &reason),
                         AEGIS_ERR_MEMPOOL_NONCE_USED);
    }
    /* the envelope replay of restart recovery agrees */
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    fx_tx(c.a, 1, 1, 5, &raw, &raw_len);
    fx_seal(c.a, raw, raw_len, &env, &env_len);
    assert_int_equal(aegis_core_submit(c.a->core, env, env_len, 2, 1000, true, &r, &reason),
                     AEGIS_ERR_MEMPOOL_NONCE_USED);
    aegis_free(raw);
    aegis_free(env);
    /* the chain continues after batch 3 */
    assert_int_equal(fx_submit_tx(c.a, 1, 3, 5, &r), AEGIS_OK);
    aegis_core_batch *b = fx_cut_commit(c.a, 10000);
    assert_int_equal(b->number, 4);
    aegis_chain_batch cb;
    fx_parse_batch(b->json, b->json_len, &cb);
    assert_memory_equal(cb.h.parent_hash, c.hash[2], 32);
    assert_true(cb.h.timestamp_ms >= 3000);
    aegis_chain_batch_clear(&cb);
    aegis_core_batch_free(b);
    free_chain3(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_force_cut_one),
        cmocka_unit_test(test_wait_for_max_batch),
        cmocka_unit_test(test_commit_chains_batches),
        cmocka_unit_test(test_abort_keeps_number),
        cmocka_unit_test(test_sender_nonce_order),
        cmocka_unit_test(test_determinism_two_cores),
        cmocka_unit_test(test_restore_refuses_foreign_and_disorder),
        cmocka_unit_test(test_restore_refuses_changes),
        cmocka_unit_test(test_restore_then_replay_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
