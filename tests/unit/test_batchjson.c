/*
 * test_batchjson.c - the cut's batch JSON (written directly in one pass,
 * src/core/core_batch_json.c) is byte for byte the published format of
 * src/chain/chain_json.c: each cut batch is parsed, re-encoded with
 * aegis_chain_batch_to_json + json_dumps (JSON_COMPACT) and compared, and
 * it is verified against the published key set. Several configurations cover every optional part:
 * ECDSA on/off, per-batch vs key-binding attestation, a backup TEE, SLH-DSA
 * on every batch, full and partial batches.
 *
 * Registered by src/batch/module.cmake (it links the core).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core_fixture.h"

/* Cut (forced if n < 50), compare the encodings, verify, commit. */
static void cut_and_check(fx_core *fx, size_t n, unsigned *sender, uint64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        /* tips vary so the order is not the submission order */
        assert_int_equal(fx_submit_tx(fx, (*sender)++, 0, 1 + (i * 7) % 13, NULL), AEGIS_OK);
    }
    aegis_core_batch *b = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, now_ms, n < 50, &b), AEGIS_OK);
    assert_non_null(b);
    assert_int_equal(b->n, n);
    assert_int_equal(strlen(b->json), b->json_len);

    json_t *j = json_loadb(b->json, b->json_len, 0, NULL);
    assert_non_null(j);
    aegis_chain_batch cb;
    const char *why = NULL;
    assert_int_equal(aegis_chain_batch_from_json(j, &cb, &why), AEGIS_OK);
    json_decref(j);
    json_t *again = aegis_chain_batch_to_json(&cb);
    assert_non_null(again);
    char *ref = json_dumps(again, JSON_COMPACT);
    json_decref(again);
    assert_non_null(ref);
    assert_int_equal(strlen(ref), b->json_len);
    assert_string_equal(ref, b->json);
    free(ref);

    /* the ML-DSA-87 signature is over the batch hash */
    assert_memory_equal(cb.hash, b->hash, 32);
    assert_int_equal(cb.n_txs, n);
    assert_int_equal(aegis_mldsa87_verify(cb.sig_mldsa, sizeof(cb.sig_mldsa), cb.hash, 32,
                                          (const uint8_t *)AEGIS_CHAIN_BATCH_CTX, strlen(AEGIS_CHAIN_BATCH_CTX),
                                          fx->pub.mldsa87),
                     AEGIS_OK);
    bool ecdsa = fx->cfg.hybrid_ecdsa;
    assert_int_equal(cb.has_ecdsa, ecdsa);
    assert_int_equal(cb.sig_slh != NULL, strcmp(fx->cfg.batch_slh_mode, "every") == 0);
    assert_true(cb.primary.backend[0] != '\0');
    assert_int_equal(cb.backup.backend[0] != '\0', fx->cfg.tee_backup[0] != '\0');
    /* the whole record verifies as `aegis verify FILE` checks it */
    aegis_chain_verify_opts opts = { .allow_sim = true };
    why = NULL;
    aegis_err verr = aegis_chain_verify_batch(&cb, &fx->pub, &fx->att, NULL, NULL, &opts, &why);
    if (verr)
        fprintf(stderr, "verify: %s\n", why ? why : "?");
    assert_int_equal(verr, AEGIS_OK);
    aegis_chain_batch_clear(&cb);

    assert_int_equal(aegis_core_commit_batch(fx->core, b), AEGIS_OK);
    aegis_core_batch_free(b);
}

static void run_config(void (*tweak)(aegis_config *), size_t rounds)
{
    fx_core fx;
    fx_init(&fx);
    if (tweak)
        tweak(&fx.cfg);
    fx_start(&fx);
    unsigned sender = 1;
    for (size_t r = 0; r < rounds; r++)
        cut_and_check(&fx, 50, &sender, 1000 + r);
    cut_and_check(&fx, 3, &sender, 2000);   /* a forced partial batch */
    cut_and_check(&fx, 1, &sender, 2001);
    fx_done(&fx);
}

static void test_defaults(void **state)
{
    (void)state;
    run_config(NULL, 3);
}

static void no_ecdsa_key_binding(aegis_config *c)
{
    c->hybrid_ecdsa = false;
    c->tee_attest_mode = (char *)"key-binding";
}

static void test_no_ecdsa_key_binding(void **state)
{
    (void)state;
    run_config(no_ecdsa_key_binding, 2);
}

static void sim_backup(aegis_config *c)
{
    c->tee_backup = (char *)"sim";
}

static void test_backup_tee(void **state)
{
    (void)state;
    run_config(sim_backup, 2);
}

static void slh_every(aegis_config *c)
{
    c->batch_slh_mode = (char *)"every";
}

static void test_slh_every(void **state)
{
    (void)state;
    run_config(slh_every, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_no_ecdsa_key_binding),
        cmocka_unit_test(test_backup_tee),
        cmocka_unit_test(test_slh_every),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
