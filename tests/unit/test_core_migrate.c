/*
 * test_core_migrate.c - per-asset migrations driven by included migration
 * transactions: declared and started by the first included one, counted,
 * completed once the registry marks the asset migrated; persisted as JSON and
 * restored; carried (hash and state) by checkpoints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "aegis/checkpoint.h"
#include "core_fixture.h"

/* The fixture's transactions all call 0x3535..35: make it the migration contract. */
static fx_core *new_fx(bool contract_is_migration)
{
    fx_core *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    fx_init(fx);
    fx->cfg.batch_max = 4;
    fx->cfg.checkpoint_interval = 1;
    if (contract_is_migration) {
        fx->cfg.migration_contracts.items[0] = (char *)"0x3535353535353535353535353535353535353535";
        fx->cfg.migration_contracts.n = 1;
    }
    fx_start(fx);
    return fx;
}

static json_t *migrations(fx_core *fx, uint64_t *version)
{
    char *s = NULL;
    assert_int_equal(aegis_core_migration_state(fx->core, version, &s), AEGIS_OK);
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    aegis_free(s);
    return j;
}

static void test_contract_calls_drive_a_migration(void **state)
{
    (void)state;
    fx_core *fx = new_fx(true);
    uint64_t v0 = 0, v1 = 0, v2 = 0;
    json_t *m = migrations(fx, &v0);
    assert_int_equal(json_array_size(m), 0);
    json_decref(m);

    assert_int_equal(fx_submit_tx(fx, 1, 0, 2, NULL), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 2, 0, 3, NULL), AEGIS_OK);
    aegis_core_batch_free(fx_cut_commit(fx, 2000));
    m = migrations(fx, &v1);
    assert_true(v1 > v0);
    assert_int_equal(json_array_size(m), 1);
    json_t *e = json_array_get(m, 0);
    assert_string_equal(json_string_value(json_object_get(e, "asset")),
                        "contract:0x3535353535353535353535353535353535353535");
    assert_string_equal(json_string_value(json_object_get(e, "state")), "in_progress");
    assert_int_equal(json_integer_value(json_object_get(e, "tx_count")), 2);
    assert_int_equal(json_integer_value(json_object_get(e, "started_batch")), 1);

    /* a second batch counts on, same migration */
    assert_int_equal(fx_submit_tx(fx, 1, 1, 2, NULL), AEGIS_OK);
    aegis_core_batch_free(fx_cut_commit(fx, 3000));
    json_decref(m);
    m = migrations(fx, &v2);
    assert_true(v2 > v1);
    e = json_array_get(m, 0);
    assert_int_equal(json_integer_value(json_object_get(e, "tx_count")), 3);
    assert_int_equal(json_integer_value(json_object_get(e, "updated_batch")), 2);

    /* the checkpoint carries the set: non-zero migration hash, state included */
    assert_true(aegis_core_checkpoint_due(fx->core));
    uint64_t n = 0;
    char *ck = NULL;
    assert_int_equal(aegis_core_checkpoint_make(fx->core, 4000, &n, &ck), AEGIS_OK);
    assert_non_null(ck);
    json_t *cj = json_loads(ck, 0, NULL);
    aegis_checkpoint c;
    assert_int_equal(aegis_checkpoint_from_json(json_object_get(cj, "checkpoint"), &c), AEGIS_OK);
    static const uint8_t zero[32];
    assert_memory_not_equal(c.migration_hash, zero, 32);
    json_t *st = json_loadb((const char *)c.state, c.state_len, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(st, "migrations")), 1);
    json_decref(st);
    aegis_checkpoint_clear(&c);
    json_decref(cj);
    assert_int_equal(aegis_core_checkpoint_commit(fx->core, ck, strlen(ck)), AEGIS_OK);
    aegis_free(ck);

    /* persisted form restores into a fresh core (restart) */
    char *saved = json_dumps(m, JSON_COMPACT);
    fx_stop(fx);
    fx_start(fx);
    uint64_t v3 = 0;
    json_t *empty = migrations(fx, &v3);
    assert_int_equal(json_array_size(empty), 0);
    json_decref(empty);
    assert_int_equal(aegis_core_restore_migrations(fx->core, saved, strlen(saved)), AEGIS_OK);
    json_t *back = migrations(fx, &v3);
    assert_true(json_equal(back, m));
    json_decref(back);
    assert_int_equal(aegis_core_restore_migrations(fx->core, "[{\"asset\":\"x\"}]", 16), AEGIS_ERR_CHAIN_FORMAT);
    assert_int_equal(aegis_core_restore_migrations(fx->core, "{}", 2), AEGIS_ERR_CHAIN_FORMAT);
    free(saved);
    json_decref(m);
    fx_done(fx);
    free(fx);
}

static void test_ordinary_calls_are_not_migrations(void **state)
{
    (void)state;
    fx_core *fx = new_fx(false);
    assert_int_equal(fx_submit_tx(fx, 1, 0, 2, NULL), AEGIS_OK);
    aegis_core_batch_free(fx_cut_commit(fx, 2000));
    uint64_t v = 0;
    json_t *m = migrations(fx, &v);
    assert_int_equal(json_array_size(m), 0);
    json_decref(m);
    fx_done(fx);
    free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contract_calls_drive_a_migration),
        cmocka_unit_test(test_ordinary_calls_are_not_migrations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
