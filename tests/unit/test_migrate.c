/*
 * test_migrate.c - checkpoints (build, verify, tamper of every field, chain
 * links, key set binding, strict JSON), rollback events, and the migration
 * state machine (the whole transition table, apply, set hash).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/checkpoint.h"

#define T0 1700000000000ull

struct fx {
    aegis_keyset *ks, *other;
    aegis_checkpoint c0, c1;
    uint8_t h[8][32];
    uint8_t state0[300], state1[40];
};

static void fill_input(struct fx *f, struct aegis_checkpoint_input *in, uint64_t number, const uint8_t *prev,
                       const uint8_t *state, size_t n)
{
    memset(in, 0, sizeof(*in));
    in->number = number;
    in->batch_number = 100 * (number + 1);
    in->timestamp_ms = T0 + number * 1000;
    in->prev_hash = prev;
    in->last_batch_hash = f->h[0];
    in->risk_score = (uint16_t)(6500 + number);
    in->risk_level = 1;
    in->registry_hash = f->h[1];
    in->asset_state_hash = f->h[2];
    in->migration_hash = f->h[3];
    in->audit_head = f->h[4];
    in->state = state;
    in->state_len = n;
}

static int setup(void **state)
{
    struct fx *f = aegis_calloc(1, sizeof(*f));
    if (aegis_keyset_generate(4, &f->ks) || aegis_keyset_generate(4, &f->other))
        return -1;
    for (int i = 0; i < 8; i++)
        memset(f->h[i], 0x10 + i, 32);
    for (size_t i = 0; i < sizeof(f->state0); i++)
        f->state0[i] = (uint8_t)(i * 7);
    memset(f->state1, 0x5a, sizeof(f->state1));
    struct aegis_checkpoint_input in;
    fill_input(f, &in, 0, NULL, f->state0, sizeof(f->state0));
    uint64_t t = aegis_now_ns();
    if (aegis_checkpoint_build(&in, f->ks, &f->c0))
        return -1;
    fprintf(stderr, "# checkpoint build (ML-DSA-87 + SLH-DSA-256s): %.1f ms\n", (double)(aegis_now_ns() - t) / 1e6);
    fill_input(f, &in, 1, f->c0.hash, f->state1, sizeof(f->state1));
    if (aegis_checkpoint_build(&in, f->ks, &f->c1))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    aegis_checkpoint_clear(&f->c0);
    aegis_checkpoint_clear(&f->c1);
    aegis_keyset_free(f->ks);
    aegis_keyset_free(f->other);
    aegis_free(f);
    return 0;
}

/* Deep copy (the owned buffers too). */
static void copy(aegis_checkpoint *dst, const aegis_checkpoint *src)
{
    *dst = *src;
    dst->state = src->state ? aegis_malloc(src->state_len ? src->state_len : 1) : NULL;
    if (src->state_len)
        memcpy(dst->state, src->state, src->state_len);
    dst->sig_slh = aegis_malloc(AEGIS_SLHDSA256S_SIG_BYTES);
    memcpy(dst->sig_slh, src->sig_slh, AEGIS_SLHDSA256S_SIG_BYTES);
}

#define PUB(k) aegis_keyset_public(k)

static void test_build_verify(void **state)
{
    struct fx *f = *state;
    uint8_t h[32];
    aegis_keccak256(h, f->state0, sizeof(f->state0));
    assert_memory_equal(f->c0.state_hash, h, 32);
    assert_int_equal(f->c0.key_epoch, 4);
    aegis_keyset_pub_hash(h, PUB(f->ks));
    assert_memory_equal(f->c0.keyset_hash, h, 32);
    assert_memory_equal(f->c1.prev_hash, f->c0.hash, 32);
    assert_int_equal(aegis_checkpoint_verify(&f->c0, PUB(f->ks), NULL, true), AEGIS_OK);
    assert_int_equal(aegis_checkpoint_verify(&f->c1, PUB(f->ks), &f->c0, true), AEGIS_OK);
    /* another key set (same epoch) is refused */
    assert_int_equal(aegis_checkpoint_verify(&f->c0, PUB(f->other), NULL, true), AEGIS_ERR_CKPT_KEYSET);
    /* chain: c1 does not follow itself, c0 does not follow c1 */
    assert_int_equal(aegis_checkpoint_verify(&f->c1, PUB(f->ks), &f->c1, true), AEGIS_ERR_CKPT_CHAIN);
    assert_int_equal(aegis_checkpoint_verify(&f->c0, PUB(f->ks), &f->c1, true), AEGIS_ERR_CKPT_CHAIN);
    /* build rules */
    struct aegis_checkpoint_input in;
    aegis_checkpoint x;
    fill_input(f, &in, 1, NULL, NULL, 0);
    assert_int_equal(aegis_checkpoint_build(&in, f->ks, &x), AEGIS_ERR_INVAL);     /* number 1 needs prev */
    fill_input(f, &in, 0, f->h[5], NULL, 0);
    assert_int_equal(aegis_checkpoint_build(&in, f->ks, &x), AEGIS_ERR_INVAL);     /* number 0 has none */
    fill_input(f, &in, 0, NULL, NULL, 0);
    in.risk_level = 3;
    assert_int_equal(aegis_checkpoint_build(&in, f->ks, &x), AEGIS_ERR_INVAL);
}

static void test_tamper_each_field(void **state)
{
    struct fx *f = *state;
    aegis_checkpoint t;
    /* every byte range of the canonical encoding is covered by the hash: flip
     * each field and re-verify (the stored hash no longer matches) */
    for (int field = 0; field < 17; field++) {
        copy(&t, &f->c1);
        switch (field) {
        case 0: t.number++; break;
        case 1: t.batch_number++; break;
        case 2: t.timestamp_ms++; break;
        case 3: t.prev_hash[0] ^= 1; break;
        case 4: t.last_batch_hash[31] ^= 1; break;
        case 5: t.risk_score++; break;
        case 6: t.risk_level = 2; break;
        case 7: t.key_epoch++; break;
        case 8: t.keyset_hash[3] ^= 1; break;
        case 9: t.registry_hash[3] ^= 1; break;
        case 10: t.asset_state_hash[3] ^= 1; break;
        case 11: t.migration_hash[3] ^= 1; break;
        case 12: t.audit_head[3] ^= 1; break;
        case 13: t.state_hash[3] ^= 1; break;
        case 14: t.state[0] ^= 1; break;
        case 15: t.sig_mldsa[77] ^= 1; break;
        case 16: t.sig_slh[77] ^= 1; break;
        }
        aegis_err want = field == 14 ? AEGIS_ERR_CKPT_STATE_HASH
                       : field >= 15 ? AEGIS_ERR_CKPT_BAD_SIG : AEGIS_ERR_CKPT_HASH_MISMATCH;
        assert_int_equal(aegis_checkpoint_verify(&t, PUB(f->ks), &f->c0, true), want);
        /* re-hashing after the change does not help: the signatures fail
         * (or the key set / state / chain check does) */
        if (field < 14) {
            aegis_checkpoint_compute_hash(&t, t.hash);
            assert_int_not_equal(aegis_checkpoint_verify(&t, PUB(f->ks), &f->c0, true), AEGIS_OK);
        }
        aegis_checkpoint_clear(&t);
    }
    /* missing blob: fine for a listing, not when the state is required */
    copy(&t, &f->c1);
    aegis_free(t.state);
    t.state = NULL;
    assert_int_equal(aegis_checkpoint_verify(&t, PUB(f->ks), &f->c0, false), AEGIS_OK);
    assert_int_equal(aegis_checkpoint_verify(&t, PUB(f->ks), &f->c0, true), AEGIS_ERR_CKPT_STATE_HASH);
    aegis_checkpoint_clear(&t);
}

static void test_json(void **state)
{
    struct fx *f = *state;
    json_t *j = aegis_checkpoint_to_json(&f->c1, true);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_COMPACT);
    aegis_checkpoint p;
    assert_int_equal(aegis_checkpoint_parse(s, strlen(s), &p), AEGIS_OK);
    assert_memory_equal(p.hash, f->c1.hash, 32);
    assert_int_equal(p.state_len, sizeof(f->state1));
    assert_memory_equal(p.state, f->state1, sizeof(f->state1));
    assert_int_equal(aegis_checkpoint_verify(&p, PUB(f->ks), &f->c0, true), AEGIS_OK);
    aegis_checkpoint_clear(&p);
    free(s);
    /* without the blob */
    json_t *l = aegis_checkpoint_to_json(&f->c1, false);
    assert_null(json_object_get(l, "state"));
    assert_int_equal(aegis_checkpoint_from_json(l, &p), AEGIS_OK);
    assert_null(p.state);
    assert_int_equal(p.state_len, sizeof(f->state1));
    assert_int_equal(aegis_checkpoint_verify(&p, PUB(f->ks), &f->c0, false), AEGIS_OK);
    aegis_checkpoint_clear(&p);
    json_decref(l);
    /* a changed field in JSON: the hash check catches it at parse time */
    json_t *c = json_deep_copy(j);
    json_object_set_new(c, "risk_score", json_integer(9999));
    assert_int_equal(aegis_checkpoint_from_json(c, &p), AEGIS_ERR_CKPT_HASH_MISMATCH);
    json_decref(c);
    /* malformed */
    static const struct { const char *k; const char *v; } muts[] = {
        { "extra", "1" }, { "version", "2" }, { "risk_level", "3" }, { "risk_score", "10001" },
        { "number", "-1" }, { "hash", "\"0x00\"" }, { "state", "\"0x0\"" }, { "state", "\"0x0102\"" },
        { "signatures", "{}" }, { "signatures", "[]" }, { "state_len", "\"40\"" },
    };
    for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
        c = json_deep_copy(j);
        json_object_set_new(c, muts[i].k, json_loads(muts[i].v, JSON_DECODE_ANY, NULL));
        aegis_err e = aegis_checkpoint_from_json(c, &p);
        assert_int_equal(e, AEGIS_ERR_CKPT_MALFORMED);
        json_decref(c);
    }
    const char *dup = "{\"number\":1,\"number\":1}";
    assert_int_equal(aegis_checkpoint_parse(dup, strlen(dup), &p), AEGIS_ERR_CKPT_MALFORMED);
    json_decref(j);
}

static void test_rollback(void **state)
{
    struct fx *f = *state;
    const uint8_t admin[] = { 1, 2, 3, 4, 5 };
    aegis_rollback r;
    assert_int_equal(aegis_rollback_build(&f->c0, 1, T0 + 9000, 101, 250, "operator: bad batch 101",
                                          admin, sizeof(admin), f->ks, &r), AEGIS_OK);
    assert_int_equal(aegis_rollback_verify(&r, PUB(f->ks), &f->c0), AEGIS_OK);
    assert_int_equal(aegis_rollback_verify(&r, PUB(f->ks), &f->c1), AEGIS_ERR_ROLLBACK_MISMATCH);
    assert_int_equal(aegis_rollback_verify(&r, PUB(f->other), NULL), AEGIS_ERR_ROLLBACK_BAD_SIG);
    /* JSON round trip */
    json_t *j = aegis_rollback_to_json(&r);
    aegis_rollback p;
    assert_int_equal(aegis_rollback_from_json(j, &p), AEGIS_OK);
    assert_int_equal(p.admin_sig_len, sizeof(admin));
    assert_string_equal(p.reason, r.reason);
    assert_int_equal(aegis_rollback_verify(&p, PUB(f->ks), &f->c0), AEGIS_OK);
    /* tamper: each covered field */
    for (int field = 0; field < 6; field++) {
        aegis_rollback_clear(&p);
        assert_int_equal(aegis_rollback_from_json(j, &p), AEGIS_OK);
        switch (field) {
        case 0: p.orphan_first++; break;
        case 1: p.orphan_last--; break;
        case 2: p.reason[0] = 'O'; break;
        case 3: p.admin_sig[0] ^= 1; break;
        case 4: p.timestamp_ms++; break;
        case 5: p.sig_mldsa[9] ^= 1; break;
        }
        assert_int_equal(aegis_rollback_verify(&p, PUB(f->ks), NULL), AEGIS_ERR_ROLLBACK_BAD_SIG);
    }
    aegis_rollback_clear(&p);
    json_t *c = json_deep_copy(j);
    json_object_set_new(c, "reason", json_string("tab\there"));
    assert_int_equal(aegis_rollback_from_json(c, &p), AEGIS_ERR_ROLLBACK_MALFORMED);
    json_decref(c);
    json_decref(j);
    aegis_rollback x;
    assert_int_equal(aegis_rollback_build(&f->c0, 2, T0, 1, 0, "bad\n", NULL, 0, f->ks, &x), AEGIS_ERR_INVAL);
    aegis_rollback_clear(&r);
}

/* ---- migration state machine ---- */

static void test_migration_table(void **state)
{
    (void)state;
    /* the complete allowed set; everything else must be refused */
    static const uint8_t allowed[][3] = {
        { AEGIS_MIG_NONE, AEGIS_MIG_EV_DECLARE, AEGIS_MIG_PENDING },
        { AEGIS_MIG_PENDING, AEGIS_MIG_EV_TX, AEGIS_MIG_IN_PROGRESS },
        { AEGIS_MIG_PENDING, AEGIS_MIG_EV_FAIL, AEGIS_MIG_FAILED },
        { AEGIS_MIG_PENDING, AEGIS_MIG_EV_ROLLBACK, AEGIS_MIG_ROLLED_BACK },
        { AEGIS_MIG_IN_PROGRESS, AEGIS_MIG_EV_TX, AEGIS_MIG_IN_PROGRESS },
        { AEGIS_MIG_IN_PROGRESS, AEGIS_MIG_EV_FINISH, AEGIS_MIG_COMPLETE },
        { AEGIS_MIG_IN_PROGRESS, AEGIS_MIG_EV_FAIL, AEGIS_MIG_FAILED },
        { AEGIS_MIG_IN_PROGRESS, AEGIS_MIG_EV_ROLLBACK, AEGIS_MIG_ROLLED_BACK },
        { AEGIS_MIG_COMPLETE, AEGIS_MIG_EV_ROLLBACK, AEGIS_MIG_ROLLED_BACK },
        { AEGIS_MIG_FAILED, AEGIS_MIG_EV_RETRY, AEGIS_MIG_PENDING },
        { AEGIS_MIG_FAILED, AEGIS_MIG_EV_ROLLBACK, AEGIS_MIG_ROLLED_BACK },
        { AEGIS_MIG_ROLLED_BACK, AEGIS_MIG_EV_RETRY, AEGIS_MIG_PENDING },
    };
    int ok = 0;
    for (uint8_t s = 0; s <= AEGIS_MIG_ROLLED_BACK; s++)
        for (uint8_t e = AEGIS_MIG_EV_DECLARE; e <= AEGIS_MIG_EV_RETRY; e++) {
            uint8_t want = 0xff, got = 0xee;
            for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
                if (allowed[i][0] == s && allowed[i][1] == e)
                    want = allowed[i][2];
            aegis_err err = aegis_migration_next(s, e, &got);
            if (want == 0xff) {
                assert_int_equal(err, AEGIS_ERR_MIGRATION_TRANSITION);
                assert_int_equal(got, 0xee);
            } else {
                assert_int_equal(err, AEGIS_OK);
                assert_int_equal(got, want);
                ok++;
            }
        }
    assert_int_equal(ok, 12);
    uint8_t r;
    assert_int_equal(aegis_migration_next(6, AEGIS_MIG_EV_TX, &r), AEGIS_ERR_MIGRATION_UNKNOWN);
    assert_int_equal(aegis_migration_next(AEGIS_MIG_NONE, 0, &r), AEGIS_ERR_MIGRATION_UNKNOWN);
    assert_int_equal(aegis_migration_next(AEGIS_MIG_NONE, 7, &r), AEGIS_ERR_MIGRATION_UNKNOWN);
    assert_string_equal(aegis_migration_state_name(AEGIS_MIG_IN_PROGRESS), "in_progress");
}

static void test_migration_apply_and_hash(void **state)
{
    (void)state;
    struct aegis_migration m = { .asset_id = "vault-1" };
    assert_int_equal(aegis_migration_apply(&m, AEGIS_MIG_EV_TX, 5), AEGIS_ERR_MIGRATION_TRANSITION);
    assert_int_equal(m.state, AEGIS_MIG_NONE);
    assert_int_equal(aegis_migration_apply(&m, AEGIS_MIG_EV_DECLARE, 10), AEGIS_OK);
    assert_int_equal(aegis_migration_apply(&m, AEGIS_MIG_EV_TX, 11), AEGIS_OK);
    assert_int_equal(aegis_migration_apply(&m, AEGIS_MIG_EV_TX, 12), AEGIS_OK);
    assert_int_equal(m.state, AEGIS_MIG_IN_PROGRESS);
    assert_int_equal(aegis_migration_apply(&m, AEGIS_MIG_EV_FINISH, 13), AEGIS_OK);
    assert_int_equal(m.state, AEGIS_MIG_COMPLETE);
    assert_int_equal(m.tx_count, 3);
    assert_int_equal(m.started_batch, 10);
    assert_int_equal(m.updated_batch, 13);
    assert_int_equal(aegis_migration_apply(&m, AEGIS_MIG_EV_TX, 14), AEGIS_ERR_MIGRATION_TRANSITION);
    assert_int_equal(m.updated_batch, 13);

    struct aegis_migration set[3] = { m, { .asset_id = "nft-7", .state = AEGIS_MIG_PENDING },
                                      { .asset_id = "db:users", .state = AEGIS_MIG_FAILED } };
    struct aegis_migration rev[3] = { set[2], set[0], set[1] };
    uint8_t h1[32], h2[32];
    assert_int_equal(aegis_migration_set_hash(set, 3, h1), AEGIS_OK);
    assert_int_equal(aegis_migration_set_hash(rev, 3, h2), AEGIS_OK);
    assert_memory_equal(h1, h2, 32);                 /* order-independent */
    rev[0].tx_count++;
    assert_int_equal(aegis_migration_set_hash(rev, 3, h2), AEGIS_OK);
    assert_memory_not_equal(h1, h2, 32);             /* content-dependent */
    rev[0] = rev[1];
    assert_int_equal(aegis_migration_set_hash(rev, 3, h2), AEGIS_ERR_INVAL);   /* duplicate id */
    rev[0] = set[2];
    rev[0].state = 9;
    assert_int_equal(aegis_migration_set_hash(rev, 3, h2), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_migration_set_hash(NULL, 0, h2), AEGIS_OK);
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_migration_table),
        cmocka_unit_test(test_migration_apply_and_hash),
    };
    const struct CMUnitTest signed_[] = {
        cmocka_unit_test(test_build_verify),
        cmocka_unit_test(test_tamper_each_field),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_rollback),
    };
    int rc = cmocka_run_group_tests(plain, NULL, NULL);
    return rc | cmocka_run_group_tests(signed_, setup, teardown);
}
