/*
 * test_core_snapshot.c - the core's restart snapshot (core_snapshot.c):
 * saved only with no cut pending, applied only over the very batch it was
 * taken at, and then the restarted core is where the full walk would have
 * left it: next number and parent, every included nonce refused again, the
 * SLH-DSA seal window, the latest checkpoint. Another TEE's snapshot does
 * not unseal.
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

struct chain {
    char *json[4];
    size_t len[4];
    uint8_t hash[4][32];
};

static void keep(struct chain *c, int k, aegis_core_batch *b)
{
    c->json[k] = b->json;
    c->len[k] = b->json_len;
    memcpy(c->hash[k], b->hash, 32);
    b->json = NULL;
    aegis_core_batch_free(b);
}

static void test_snapshot_roundtrip(void **state)
{
    (void)state;
    struct chain c = { 0 };
    fx_core *fx = new_fx(2);
    uint64_t s = 0;
    assert_int_equal(aegis_core_snapshot_save(fx->core, &s), AEGIS_ERR_NOT_FOUND);   /* no batch yet */
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(fx_submit_tx(fx, 1, k, 5, NULL), AEGIS_OK);
        assert_int_equal(fx_submit_tx(fx, 2 + k, 0, 5, NULL), AEGIS_OK);
        keep(&c, (int)k, fx_cut_commit(fx, 1000 * (k + 1)));
    }
    /* batch 4 cut but not committed: no snapshot, also after an abort */
    assert_int_equal(fx_submit_tx(fx, 9, 0, 5, NULL), AEGIS_OK);
    aegis_core_batch *b4 = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, 4000, true, &b4), AEGIS_OK);
    assert_int_equal(aegis_core_snapshot_save(fx->core, &s), AEGIS_ERR_CORE_CUT_PENDING);
    aegis_core_abort_batch(fx->core, b4);
    assert_int_equal(aegis_core_snapshot_save(fx->core, &s), AEGIS_ERR_CORE_CUT_PENDING);
    aegis_core_batch_free(b4);
    assert_int_equal(aegis_core_cut_batch(fx->core, 4001, true, &b4), AEGIS_OK);
    assert_int_equal(aegis_core_commit_batch(fx->core, b4), AEGIS_OK);
    keep(&c, 3, b4);
    assert_int_equal(aegis_core_snapshot_save(fx->core, &s), AEGIS_OK);
    assert_int_equal(s, 4);

    /* restart on the same data dir */
    fx_stop(fx);
    fx_start(fx);
    aegis_core_snapshot_info info;
    assert_int_equal(aegis_core_snapshot_open(fx->core, &s), AEGIS_OK);
    assert_int_equal(s, 4);
    /* not the batch it was taken at: nothing applied (and it is dropped) */
    assert_int_not_equal(aegis_core_snapshot_apply(fx->core, c.json[2], c.len[2], &info), AEGIS_OK);
    next_batch_is(fx, 1);
    assert_int_equal(aegis_core_snapshot_apply(fx->core, c.json[3], c.len[3], &info), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_core_snapshot_open(fx->core, &s), AEGIS_OK);
    /* batch 4 with one byte of its hash changed is not it either */
    char *bad = strndup(c.json[3], c.len[3]);
    char *h = strstr(bad, "\"hash\":\"0x");
    assert_non_null(h);
    h[10] = h[10] == '0' ? '1' : '0';
    assert_int_not_equal(aegis_core_snapshot_apply(fx->core, bad, strlen(bad), &info), AEGIS_OK);
    free(bad);
    next_batch_is(fx, 1);
    assert_int_equal(aegis_core_snapshot_open(fx->core, &s), AEGIS_OK);
    assert_int_equal(aegis_core_snapshot_apply(fx->core, c.json[3], c.len[3], &info), AEGIS_OK);
    assert_int_equal(info.batch, 4);
    assert_int_equal(info.next_seal, 1);
    next_batch_is(fx, 5);

    /* every included nonce is refused again, as after the full walk */
    aegis_core_receipt r;
    const char *reason = NULL;
    for (uint64_t k = 0; k < 3; k++) {
        assert_int_equal(fx_submit_tx_ex(fx, 1, k, 5, NULL, 0, &r, &reason), AEGIS_ERR_MEMPOOL_NONCE_USED);
        assert_int_equal(fx_submit_tx_ex(fx, 2 + (unsigned)k, 0, 5, NULL, 0, &r, &reason),
                         AEGIS_ERR_MEMPOOL_NONCE_USED);
    }
    assert_int_equal(fx_submit_tx_ex(fx, 9, 0, 5, NULL, 0, &r, &reason), AEGIS_ERR_MEMPOOL_NONCE_USED);

    /* the seal window survived: a forced seal covers batches 1..4 */
    uint64_t sn = 0;
    char *seal = NULL;
    assert_int_equal(aegis_core_seal_pending(fx->core, true, &sn, &seal), AEGIS_OK);
    assert_non_null(seal);
    assert_int_equal(sn, 1);
    json_t *sj = json_loads(seal, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(sj, "first")), 1);
    assert_int_equal(json_integer_value(json_object_get(sj, "count")), 4);
    uint8_t root[32], want[32];
    assert_int_equal(aegis_chain_get_hex(sj, "root", root, 32), AEGIS_OK);
    assert_int_equal(aegis_batch_merkle_root((const uint8_t (*)[32])c.hash, 4, want), AEGIS_OK);
    assert_memory_equal(root, want, 32);
    json_decref(sj);
    assert_int_equal(aegis_core_seal_commit(fx->core, seal, strlen(seal)), AEGIS_OK);
    aegis_free(seal);

    /* the chain continues after batch 4 */
    assert_int_equal(fx_submit_tx(fx, 1, 3, 5, &r), AEGIS_OK);
    aegis_core_batch *b5 = fx_cut_commit(fx, 10000);
    assert_int_equal(b5->number, 5);
    aegis_chain_batch cb;
    fx_parse_batch(b5->json, b5->json_len, &cb);
    assert_memory_equal(cb.h.parent_hash, c.hash[3], 32);
    assert_true(cb.h.timestamp_ms >= 4001);
    aegis_chain_batch_clear(&cb);
    aegis_core_batch_free(b5);
    for (int k = 0; k < 4; k++)
        aegis_free(c.json[k]);
    free_fx(fx);
}

/* Another sequencer's snapshot (another sim TEE secret) does not unseal,
 * and a garbled file is refused the same way: the full walk runs. */
static void test_snapshot_foreign_refused(void **state)
{
    (void)state;
    fx_core *a = new_fx(1), *o = new_fx(1);
    assert_int_equal(fx_submit_tx(a, 1, 0, 5, NULL), AEGIS_OK);
    aegis_core_batch_free(fx_cut_commit(a, 1000));
    assert_int_equal(aegis_core_snapshot_save(a->core, NULL), AEGIS_OK);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "cp '%s/restore.sealed' '%s/restore.sealed'", a->dir, o->dir);
    assert_int_equal(system(cmd), 0);
    uint64_t s = 99;
    assert_int_equal(aegis_core_snapshot_open(o->core, &s), AEGIS_ERR_CORE_MARK);
    snprintf(cmd, sizeof(cmd), "printf 'AEGR garbage' > '%s/restore.sealed'", o->dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(aegis_core_snapshot_open(o->core, &s), AEGIS_ERR_CORE_MARK);
    free_fx(a);
    free_fx(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_roundtrip),
        cmocka_unit_test(test_snapshot_foreign_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
