/*
 * test_core_verify.c - offline verification (aegis_chain_verify_batch) of
 * batches the core really produced, and of its SLH-DSA epoch seals: the
 * produced chain verifies; each single change fails with its own
 * AEGIS_ERR_CHAIN_* code; seals cover their batches, and restore_seal keeps
 * continuity.
 *
 * With AEGIS_WRITE_BATCH_SEEDS=DIR set, the produced batches are also
 * written to DIR (the seed corpus of fuzz/fuzz_batch_json.c came from it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core_fixture.h"

static fx_core *new_fx(void (*tweak)(aegis_config *))
{
    fx_core *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    fx_init(fx);
    fx->cfg.batch_max = 3;
    if (tweak)
        tweak(&fx->cfg);
    fx_start(fx);
    return fx;
}

static void free_fx(fx_core *fx)
{
    fx_done(fx);
    free(fx);
}

static void write_seed(const char *name, const char *json, size_t len)
{
    const char *dir = getenv("AEGIS_WRITE_BATCH_SEEDS");
    if (!dir || !dir[0])
        return;
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(aegis_file_write_atomic(path, json, len, 0644), AEGIS_OK);
}

/* Produce `count` committed batches of 2 txs each; JSON texts into json[]. */
static void produce(fx_core *fx, unsigned count, char **json, size_t *len)
{
    static unsigned sender = 1;
    for (unsigned k = 0; k < count; k++) {
        assert_int_equal(fx_submit_tx(fx, sender, 0, 5, NULL), AEGIS_OK);
        assert_int_equal(fx_submit_tx(fx, sender + 1, 0, 7, NULL), AEGIS_OK);
        sender += 2;
        aegis_core_batch *b = fx_cut_commit(fx, 1000 * (k + 1));
        json[k] = b->json;
        len[k] = b->json_len;
        b->json = NULL;
        aegis_core_batch_free(b);
    }
}

static const aegis_chain_verify_opts SIM_OK = { .allow_sim = true };

static aegis_err verify(const fx_core *fx, const aegis_chain_batch *b, const aegis_chain_batch *parent,
                        const aegis_chain_seal *seal, const aegis_chain_verify_opts *o)
{
    const char *why = NULL;
    aegis_err err = aegis_chain_verify_batch(b, &fx->pub, &fx->att, parent, seal, o ? o : &SIM_OK, &why);
    if (err)
        assert_non_null(why);
    return err;
}

/* ---------------- the produced chain verifies ---------------- */

struct two {
    fx_core *fx;
    char *json[2];
    size_t len[2];
    aegis_chain_batch b[2];
};

static void make_two(struct two *t, void (*tweak)(aegis_config *))
{
    memset(t, 0, sizeof(*t));
    t->fx = new_fx(tweak);
    produce(t->fx, 2, t->json, t->len);
    for (int i = 0; i < 2; i++)
        fx_parse_batch(t->json[i], t->len[i], &t->b[i]);
}

static void free_two(struct two *t)
{
    for (int i = 0; i < 2; i++) {
        aegis_chain_batch_clear(&t->b[i]);
        aegis_free(t->json[i]);
    }
    free_fx(t->fx);
}

static void test_produced_batches_verify(void **state)
{
    (void)state;
    struct two t;
    make_two(&t, NULL);
    write_seed("batch1_epoch.json", t.json[0], t.len[0]);
    write_seed("batch2_epoch.json", t.json[1], t.len[1]);
    assert_int_equal(verify(t.fx, &t.b[0], NULL, NULL, NULL), AEGIS_OK);
    assert_int_equal(verify(t.fx, &t.b[1], &t.b[0], NULL, NULL), AEGIS_OK);
    assert_int_equal(verify(t.fx, &t.b[1], NULL, NULL, NULL), AEGIS_OK);
    /* the export format round-trips byte for byte */
    for (int i = 0; i < 2; i++) {
        char *s = fx_batch_dump(&t.b[i]);
        assert_string_equal(s, t.json[i]);
        free(s);
    }
    /* the header_abi decodes to the header, strictly */
    json_t *j = json_loadb(t.json[0], t.len[0], 0, NULL);
    uint8_t *abi = NULL;
    size_t abi_len = 0;
    assert_int_equal(aegis_chain_get_hex_alloc(j, "header_abi", 4096, &abi, &abi_len), AEGIS_OK);
    struct aegis_batch_header h;
    assert_int_equal(aegis_batch_header_decode(abi, abi_len, &h), AEGIS_OK);
    assert_int_equal(h.number, 1);
    assert_memory_equal(h.tx_root, t.b[0].h.tx_root, 32);
    uint8_t hash[32];
    aegis_keccak256(hash, abi, abi_len);
    assert_memory_equal(hash, t.b[0].hash, 32);
    aegis_free(abi);
    json_decref(j);
    free_two(&t);
}

/* ---------------- every single change fails with its code ---------------- */

enum mut {
    M_HEADER_TS, M_HEADER_RISK, M_HEADER_REHASHED, M_TX_RAW, M_TX_HASH, M_TX_DROPPED, M_SIG_MLDSA,
    M_SIG_ECDSA, M_ECDSA_MISSING, M_ECDSA_RECID, M_PARENT_REHASHED, M_ATT_REPORT_DATA, M_ATT_QUOTE,
    M_ATT_MODE, M_ATT_MISSING, M_ATT_BACKEND, M_COUNT
};

static const aegis_err mut_want[M_COUNT] = {
    [M_HEADER_TS] = AEGIS_ERR_CHAIN_HEADER,
    [M_HEADER_RISK] = AEGIS_ERR_CHAIN_HEADER,
    [M_HEADER_REHASHED] = AEGIS_ERR_CHAIN_SIG_MLDSA,
    [M_TX_RAW] = AEGIS_ERR_CHAIN_TX_ROOT,
    [M_TX_HASH] = AEGIS_ERR_CHAIN_TX_ROOT,
    [M_TX_DROPPED] = AEGIS_ERR_CHAIN_TX_ROOT,
    [M_SIG_MLDSA] = AEGIS_ERR_CHAIN_SIG_MLDSA,
    [M_SIG_ECDSA] = AEGIS_ERR_CHAIN_SIG_ECDSA,
    [M_ECDSA_MISSING] = AEGIS_ERR_CHAIN_SIG_ECDSA,
    [M_ECDSA_RECID] = AEGIS_ERR_CHAIN_SIG_ECDSA,
    [M_PARENT_REHASHED] = AEGIS_ERR_CHAIN_PARENT,
    [M_ATT_REPORT_DATA] = AEGIS_ERR_CHAIN_ATTEST,
    [M_ATT_QUOTE] = AEGIS_ERR_CHAIN_ATTEST,
    [M_ATT_MODE] = AEGIS_ERR_CHAIN_ATTEST,
    [M_ATT_MISSING] = AEGIS_ERR_CHAIN_ATTEST,
    [M_ATT_BACKEND] = AEGIS_ERR_CHAIN_ATTEST,
};

static void apply(aegis_chain_batch *b, enum mut m, uint8_t *scratch)
{
    switch (m) {
    case M_HEADER_TS: b->h.timestamp_ms++; break;
    case M_HEADER_RISK: b->h.risk_score = 1; break;
    case M_HEADER_REHASHED:
        b->h.strategy_id ^= 1;
        assert_int_equal(aegis_batch_header_hash(&b->h, b->hash), AEGIS_OK);
        break;
    case M_TX_RAW:
        memcpy(scratch, b->txs[1].raw, b->txs[1].raw_len);
        scratch[3] ^= 0x80;
        b->txs[1].raw = scratch;
        break;
    case M_TX_HASH: b->txs[0].hash[31] ^= 1; break;
    case M_TX_DROPPED: b->n_txs--; break;
    case M_SIG_MLDSA: b->sig_mldsa[AEGIS_MLDSA87_SIG_BYTES / 2] ^= 4; break;
    case M_SIG_ECDSA: b->sig_ecdsa[10] ^= 1; break;
    case M_ECDSA_MISSING: b->has_ecdsa = false; break;
    case M_ECDSA_RECID: b->sig_ecdsa[64] = 2; break;
    case M_PARENT_REHASHED:
        b->h.parent_hash[7] ^= 1;
        assert_int_equal(aegis_batch_header_hash(&b->h, b->hash), AEGIS_OK);
        break;
    case M_ATT_REPORT_DATA: b->primary.report_data[40] ^= 1; break;
    case M_ATT_QUOTE: b->primary.quote[b->primary.quote_len - 5] ^= 1; break;
    case M_ATT_MODE: snprintf(b->primary.mode, sizeof(b->primary.mode), "key-binding"); break;
    case M_ATT_MISSING: b->primary.backend[0] = 0; break;
    case M_ATT_BACKEND: snprintf(b->primary.backend, sizeof(b->primary.backend), "nosuch"); break;
    default: fail();
    }
}

static void test_each_change_fails(void **state)
{
    (void)state;
    struct two t;
    make_two(&t, NULL);
    assert_true(t.b[1].has_ecdsa);
    for (int m = 0; m < M_COUNT; m++) {
        /* batch 2 with batch 1 as its parent, through the JSON form */
        aegis_chain_batch b;
        fx_parse_batch(t.json[1], t.len[1], &b);
        uint8_t *scratch = aegis_malloc(b.txs[1].raw_len);
        assert_non_null(scratch);
        apply(&b, (enum mut)m, scratch);
        aegis_err err = verify(t.fx, &b, &t.b[0], NULL, NULL);
        if (err != mut_want[m])
            fprintf(stderr, "mutation %d: want %s got %s\n", m, aegis_err_name(mut_want[m]), aegis_err_name(err));
        assert_int_equal(err, mut_want[m]);
        aegis_free(scratch);
        aegis_chain_batch_clear(&b);
    }
    free_two(&t);
}

static void test_parent_keyset_sim(void **state)
{
    (void)state;
    struct two t;
    make_two(&t, NULL);
    /* the wrong parent: batch 2 as its own parent, batch 1 after batch 2 */
    assert_int_equal(verify(t.fx, &t.b[1], &t.b[1], NULL, NULL), AEGIS_ERR_CHAIN_PARENT);
    assert_int_equal(verify(t.fx, &t.b[0], &t.b[1], NULL, NULL), AEGIS_ERR_CHAIN_PARENT);
    /* a parent with another chain id */
    aegis_chain_batch p;
    fx_parse_batch(t.json[0], t.len[0], &p);
    p.h.chain_id++;
    assert_int_equal(verify(t.fx, &t.b[1], &p, NULL, NULL), AEGIS_ERR_CHAIN_PARENT);
    aegis_chain_batch_clear(&p);
    /* batch 1 with a non-zero parent hash (re-hashed) */
    fx_parse_batch(t.json[0], t.len[0], &p);
    p.h.parent_hash[0] = 1;
    assert_int_equal(aegis_batch_header_hash(&p.h, p.hash), AEGIS_OK);
    assert_int_equal(verify(t.fx, &p, NULL, NULL, NULL), AEGIS_ERR_CHAIN_PARENT);
    aegis_chain_batch_clear(&p);

    /* another key set (another data dir, same epoch) */
    fx_core *o = new_fx(NULL);
    const char *why = NULL;
    assert_int_equal(aegis_chain_verify_batch(&t.b[0], &o->pub, &o->att, NULL, NULL, &SIM_OK, &why),
                     AEGIS_ERR_CHAIN_SIG_MLDSA);
    /* only the ECDSA key swapped: ML-DSA passes, ECDSA does not */
    aegis_keyset_pub mixed = t.fx->pub;
    memcpy(mixed.secp256k1, o->pub.secp256k1, sizeof(mixed.secp256k1));
    assert_int_equal(aegis_chain_verify_batch(&t.b[0], &mixed, NULL, NULL, NULL, &SIM_OK, &why),
                     AEGIS_ERR_CHAIN_SIG_ECDSA);
    /* a key set of another epoch */
    aegis_keyset_pub e2 = t.fx->pub;
    e2.epoch = 2;
    assert_int_equal(aegis_chain_verify_batch(&t.b[0], &e2, NULL, NULL, NULL, &SIM_OK, &why),
                     AEGIS_ERR_CHAIN_EPOCH);
    free_fx(o);

    /* sim attestations need allow_sim */
    aegis_chain_verify_opts strict = { .allow_sim = false };
    assert_int_equal(verify(t.fx, &t.b[0], NULL, NULL, &strict), AEGIS_ERR_CHAIN_SIM_REFUSED);
    /* epoch mode without a seal: refused when SLH-DSA is required */
    aegis_chain_verify_opts slh = { .allow_sim = true, .require_slh = true };
    assert_int_equal(verify(t.fx, &t.b[0], NULL, NULL, &slh), AEGIS_ERR_CHAIN_SIG_SLH);
    free_two(&t);
}

/* ---------------- modes ---------------- */

static void tweak_every(aegis_config *c)
{
    c->batch_slh_mode = (char *)"every";
}

static void tweak_keybinding_no_ecdsa(aegis_config *c)
{
    c->tee_attest_mode = (char *)"key-binding";
    c->hybrid_ecdsa = false;
}

static void test_slh_every(void **state)
{
    (void)state;
    fx_core *fx = new_fx(tweak_every);
    char *json[1];
    size_t len[1];
    produce(fx, 1, json, len);
    write_seed("batch1_slh_every.json", json[0], len[0]);
    aegis_chain_batch b;
    fx_parse_batch(json[0], len[0], &b);
    assert_non_null(b.sig_slh);
    aegis_chain_verify_opts slh = { .allow_sim = true, .require_slh = true };
    assert_int_equal(verify(fx, &b, NULL, NULL, &slh), AEGIS_OK);
    b.sig_slh[1000] ^= 0x20;
    assert_int_equal(verify(fx, &b, NULL, NULL, &slh), AEGIS_ERR_CHAIN_SIG_SLH);
    b.sig_slh[1000] ^= 0x20;
    /* another key set's SLH-DSA key */
    aegis_keyset_pub other = fx->pub;
    other.slhdsa[5] ^= 1;
    const char *why = NULL;
    assert_int_equal(aegis_chain_verify_batch(&b, &other, NULL, NULL, NULL, &slh, &why), AEGIS_ERR_CHAIN_SIG_SLH);
    /* no seal in "every" mode */
    uint64_t sn = 0;
    char *seal = NULL;
    assert_int_equal(aegis_core_seal_pending(fx->core, true, &sn, &seal), AEGIS_OK);
    assert_null(seal);
    aegis_chain_batch_clear(&b);
    aegis_free(json[0]);
    free_fx(fx);
}

static void test_key_binding_without_ecdsa(void **state)
{
    (void)state;
    struct two t;
    make_two(&t, tweak_keybinding_no_ecdsa);
    write_seed("batch1_keybinding.json", t.json[0], t.len[0]);
    assert_false(t.b[0].has_ecdsa);
    assert_false(t.b[0].h.algorithm_set & AEGIS_ALG_ECDSA);
    assert_string_equal(t.b[0].primary.mode, "key-binding");
    assert_int_equal(verify(t.fx, &t.b[0], NULL, NULL, NULL), AEGIS_OK);
    assert_int_equal(verify(t.fx, &t.b[1], &t.b[0], NULL, NULL), AEGIS_OK);
    /* the key-binding attestation binds the key set: another key set fails
     * already at ML-DSA; the attestation alone is checked by swapping only
     * what it binds */
    aegis_chain_batch b;
    fx_parse_batch(t.json[0], t.len[0], &b);
    /* an ECDSA signature appended although the algorithm set excludes it */
    b.has_ecdsa = true;
    assert_int_equal(verify(t.fx, &b, NULL, NULL, NULL), AEGIS_ERR_CHAIN_SIG_ECDSA);
    b.has_ecdsa = false;
    /* a per-batch claim on a key-binding quote */
    snprintf(b.primary.mode, sizeof(b.primary.mode), "per-batch");
    assert_int_equal(verify(t.fx, &b, NULL, NULL, NULL), AEGIS_ERR_CHAIN_ATTEST);
    aegis_chain_batch_clear(&b);
    free_two(&t);
}

/* ---------------- SLH-DSA epoch seals ---------------- */

static void tweak_seal3(aegis_config *c)
{
    c->batch_seal_every = 3;
    c->batch_max = 2;
}

static void seal_membership(aegis_chain_batch *b, const aegis_chain_seal *s, const uint8_t (*hashes)[32])
{
    size_t idx = b->h.number - s->first, plen = 0;
    assert_int_equal(aegis_batch_merkle_proof(hashes, s->count, idx, b->seal_path, AEGIS_MERKLE_MAX_DEPTH, &plen),
                     AEGIS_OK);
    b->has_seal = true;
    b->seal_number = s->number;
    b->seal_index = idx;
    b->seal_count = s->count;
    b->seal_path_len = plen;
}

static void parse_seal(const char *json, aegis_chain_seal *s)
{
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    assert_int_equal(aegis_chain_seal_from_json(j, s, NULL), AEGIS_OK);
    json_decref(j);
}

static void test_epoch_seal(void **state)
{
    (void)state;
    fx_core *fx = new_fx(tweak_seal3);
    char *json[6];
    size_t len[6];
    uint64_t sn = 0;
    char *seal1 = NULL, *seal2 = NULL, *none = NULL;

    produce(fx, 2, json, len);
    assert_int_equal(aegis_core_seal_pending(fx->core, false, &sn, &none), AEGIS_OK);
    assert_null(none);   /* 2 < seal_every */
    produce(fx, 1, json + 2, len + 2);
    assert_int_equal(aegis_core_seal_pending(fx->core, false, &sn, &seal1), AEGIS_OK);
    assert_non_null(seal1);
    assert_int_equal(sn, 1);
    /* not persisted yet: the same window is offered again, nothing moved */
    assert_int_equal(aegis_core_seal_pending(fx->core, false, &sn, &none), AEGIS_OK);
    assert_non_null(none);
    assert_int_equal(sn, 1);
    aegis_free(none);
    none = NULL;
    /* the host persisted it and hands it back */
    assert_int_equal(aegis_core_seal_commit(fx->core, seal1, strlen(seal1)), AEGIS_OK);
    assert_int_equal(aegis_core_seal_commit(fx->core, seal1, strlen(seal1)), AEGIS_ERR_CORE_RESTORE);
    assert_int_equal(aegis_core_seal_pending(fx->core, false, &sn, &none), AEGIS_OK);
    assert_null(none);   /* nothing left to seal */

    aegis_chain_seal s;
    parse_seal(seal1, &s);
    assert_int_equal(s.number, 1);
    assert_int_equal(s.first, 1);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.key_epoch, 1);
    assert_int_equal(s.chain_id, fx->cfg.chain_id);
    const char *why = NULL;
    assert_int_equal(aegis_chain_verify_seal(&s, &fx->pub, &why), AEGIS_OK);

    aegis_chain_batch b[3];
    uint8_t hashes[3][32];
    for (int i = 0; i < 3; i++) {
        fx_parse_batch(json[i], len[i], &b[i]);
        memcpy(hashes[i], b[i].hash, 32);
    }
    uint8_t root[32];
    assert_int_equal(aegis_batch_merkle_root((const uint8_t (*)[32])hashes, 3, root), AEGIS_OK);
    assert_memory_equal(root, s.root, 32);
    aegis_chain_verify_opts slh = { .allow_sim = true, .require_slh = true };
    for (int i = 0; i < 3; i++) {
        seal_membership(&b[i], &s, (const uint8_t (*)[32])hashes);
        assert_int_equal(verify(fx, &b[i], i ? &b[i - 1] : NULL, &s, &slh), AEGIS_OK);
        /* the membership survives the JSON form */
        char *txt = fx_batch_dump(&b[i]);
        if (i == 1)
            write_seed("batch2_sealed.json", txt, strlen(txt));
        aegis_chain_batch r;
        fx_parse_batch(txt, strlen(txt), &r);
        assert_int_equal(verify(fx, &r, NULL, &s, &slh), AEGIS_OK);
        aegis_chain_batch_clear(&r);
        free(txt);
    }
    write_seed("seal1.json", seal1, strlen(seal1));
    /* a changed path, index or seal fails */
    b[1].seal_path[0][3] ^= 1;
    assert_int_equal(verify(fx, &b[1], &b[0], &s, &slh), AEGIS_ERR_CHAIN_SIG_SLH);
    b[1].seal_path[0][3] ^= 1;
    b[1].seal_index = 2;
    assert_int_equal(verify(fx, &b[1], &b[0], &s, &slh), AEGIS_ERR_CHAIN_SIG_SLH);
    b[1].seal_index = 1;
    aegis_chain_seal bad = s;
    bad.sig[77] ^= 1;
    assert_int_equal(verify(fx, &b[1], &b[0], &bad, &slh), AEGIS_ERR_CHAIN_SEAL);
    bad = s;
    bad.root[0] ^= 1;
    assert_int_equal(verify(fx, &b[1], &b[0], &bad, &slh), AEGIS_ERR_CHAIN_SIG_SLH);
    bad = s;
    bad.key_epoch = 2;
    assert_int_equal(aegis_chain_verify_seal(&bad, &fx->pub, &why), AEGIS_ERR_CHAIN_EPOCH);
    bad = s;
    bad.first = 2;   /* the digest covers first: signature and position fail */
    assert_int_equal(aegis_chain_verify_seal(&bad, &fx->pub, &why), AEGIS_ERR_CHAIN_SEAL);
    assert_int_equal(verify(fx, &b[1], &b[0], &bad, &slh), AEGIS_ERR_CHAIN_SIG_SLH);

    /* three more batches: seal 2 over 4..6 */
    produce(fx, 3, json + 3, len + 3);
    assert_int_equal(aegis_core_seal_pending(fx->core, false, &sn, &seal2), AEGIS_OK);
    assert_non_null(seal2);
    assert_int_equal(sn, 2);
    assert_int_equal(aegis_core_seal_commit(fx->core, seal2, strlen(seal2)), AEGIS_OK);
    aegis_chain_seal s2;
    parse_seal(seal2, &s2);
    assert_int_equal(s2.first, 4);
    assert_int_equal(s2.count, 3);

    /* restart: batches 1..6 restored; seals only in order */
    fx_stop(fx);
    fx_start(fx);
    for (int i = 0; i < 6; i++)
        assert_int_equal(aegis_core_restore_batch(fx->core, json[i], len[i]), AEGIS_OK);
    assert_int_equal(aegis_core_restore_seal(fx->core, seal2, strlen(seal2)), AEGIS_ERR_CORE_RESTORE);
    assert_int_equal(aegis_core_restore_seal(fx->core, "{}", 2), AEGIS_ERR_CHAIN_FORMAT);
    assert_int_equal(aegis_core_restore_seal(fx->core, seal1, strlen(seal1)), AEGIS_OK);
    assert_int_equal(aegis_core_restore_seal(fx->core, seal1, strlen(seal1)), AEGIS_ERR_CORE_RESTORE);
    assert_int_equal(aegis_core_restore_seal(fx->core, seal2, strlen(seal2)), AEGIS_OK);
    assert_int_equal(aegis_core_seal_pending(fx->core, true, &sn, &none), AEGIS_OK);
    assert_null(none);   /* everything restored is sealed */
    /* the next seal continues: number 3 from batch 7, forced with one batch */
    aegis_free(json[0]);
    produce(fx, 1, json, len);
    aegis_free(json[0]);
    json[0] = NULL;
    char *seal3 = NULL;
    assert_int_equal(aegis_core_seal_pending(fx->core, true, &sn, &seal3), AEGIS_OK);
    assert_non_null(seal3);
    assert_int_equal(sn, 3);
    aegis_chain_seal s3;
    parse_seal(seal3, &s3);
    assert_int_equal(s3.first, 7);
    assert_int_equal(s3.count, 1);
    assert_int_equal(aegis_chain_verify_seal(&s3, &fx->pub, &why), AEGIS_OK);

    for (int i = 0; i < 3; i++)
        aegis_chain_batch_clear(&b[i]);
    for (int i = 0; i < 6; i++)
        aegis_free(json[i]);
    aegis_free(seal1);
    aegis_free(seal2);
    aegis_free(seal3);
    free_fx(fx);
}

/* A seal record the core did not make is refused on restore: its root must
 * be the Merkle root of the restored batch hashes and its SLH-DSA signature
 * must verify under the core's key. */
static void test_restore_seal_refuses_forgery(void **state)
{
    (void)state;
    fx_core *fx = new_fx(tweak_seal3);
    char *json[3];
    size_t len[3];
    produce(fx, 3, json, len);
    uint64_t sn = 0;
    char *seal1 = NULL;
    assert_int_equal(aegis_core_seal_pending(fx->core, false, &sn, &seal1), AEGIS_OK);
    assert_non_null(seal1);
    aegis_chain_seal s;
    parse_seal(seal1, &s);

    fx_stop(fx);
    fx_start(fx);
    for (int i = 0; i < 3; i++)
        assert_int_equal(aegis_core_restore_batch(fx->core, json[i], len[i]), AEGIS_OK);
    /* root changed, signature changed, count changed, another chain */
    for (int m = 0; m < 4; m++) {
        aegis_chain_seal f = s;
        if (m == 0)
            f.root[1] ^= 1;
        else if (m == 1)
            f.sig[9] ^= 1;
        else if (m == 2)
            f.count = 2;
        else
            f.chain_id++;
        json_t *j = aegis_chain_seal_to_json(&f);
        char *txt = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        aegis_err err = aegis_core_restore_seal(fx->core, txt, strlen(txt));
        if (err == AEGIS_OK)
            fprintf(stderr, "forged seal %d accepted\n", m);
        assert_int_not_equal(err, AEGIS_OK);
        free(txt);
    }
    assert_int_equal(aegis_core_restore_seal(fx->core, seal1, strlen(seal1)), AEGIS_OK);
    for (int i = 0; i < 3; i++)
        aegis_free(json[i]);
    aegis_free(seal1);
    free_fx(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_produced_batches_verify),
        cmocka_unit_test(test_each_change_fails),
        cmocka_unit_test(test_parent_keyset_sim),
        cmocka_unit_test(test_slh_every),
        cmocka_unit_test(test_key_binding_without_ecdsa),
        cmocka_unit_test(test_epoch_seal),
        cmocka_unit_test(test_restore_seal_refuses_forgery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
