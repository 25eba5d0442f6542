/*
 * test_batchjson.c - the cut's batch JSON (written directly in one pass,
 * src/core/core_batch_json.c) is byte for byte the published format of
 * src/chain/chain_json.c: each cut batch is parsed, re-encoded with
 * aegis_chain_batch_to_json + json_dumps (JSON_COMPACT) and compared, and
 * it is verified against the published key set. Several configurations cover every optional part:
 * ECDSA on/off, per-batch vs key-binding attestation, a backup TEE, SLH-DSA
 * on every batch, full and partial batches. Each batch is also written with
 * event logs attached to its attestations (record format 1.1): the recorded
 * dstack log, escapes, and strings the direct writer leaves to jansson.
 *
 * Registered by src/batch/module.cmake (it links the core).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core_fixture.h"

/* src/core/core_attest.h (not on this test's include path): the cut's
 * direct writer of the published batch JSON. */
aegis_err aegis__core_batch_json(const aegis_chain_batch *cb, char **ret, size_t *ret_len);

/* Both encoders of cb, compared; then parsed back: the logs survive. */
static void compare_encoders(const aegis_chain_batch *cb)
{
    char *direct = NULL;
    size_t len = 0;
    assert_int_equal(aegis__core_batch_json(cb, &direct, &len), AEGIS_OK);
    json_t *j = aegis_chain_batch_to_json(cb);
    assert_non_null(j);
    char *ref = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    assert_non_null(ref);
    assert_int_equal(strlen(ref), len);
    assert_string_equal(ref, direct);
    free(ref);
    j = json_loadb(direct, len, 0, NULL);
    assert_non_null(j);
    aegis_chain_batch back;
    const char *why = NULL;
    assert_int_equal(aegis_chain_batch_from_json(j, &back, &why), AEGIS_OK);
    json_decref(j);
    const aegis_chain_attest *a[2] = { &cb->primary, &cb->backup }, *b[2] = { &back.primary, &back.backup };
    for (int i = 0; i < 2; i++) {
        assert_int_equal(a[i]->event_log != NULL, b[i]->event_log != NULL);
        if (a[i]->event_log) {
            assert_int_equal(a[i]->event_log_len, b[i]->event_log_len);
            assert_memory_equal(a[i]->event_log, b[i]->event_log, a[i]->event_log_len);
        }
    }
    aegis_chain_batch_clear(&back);
    aegis_free(direct);
}

static void set_log(aegis_chain_attest *a, const char *s, size_t n)
{
    aegis_free(a->event_log);
    a->event_log = aegis_malloc(n + 1);
    assert_non_null(a->event_log);
    memcpy(a->event_log, s, n);
    a->event_log[n] = '\0';
    a->event_log_len = n;
}

static void check_event_logs(aegis_chain_batch *cb)
{
    const char *root = getenv("AEGIS_ROOT");
    char p[700];
    snprintf(p, sizeof(p), "%s/tests/vectors/attestation/dstack_getquote_tdx_v4/getquote_response.json",
             root ? root : ".");
    json_t *resp = json_load_file(p, 0, NULL);
    assert_non_null(resp);
    const char *ev = json_string_value(json_object_get(resp, "event_log"));
    assert_non_null(ev);
    /* the recorded log (quotes escaped by the direct writer) */
    set_log(&cb->primary, ev, strlen(ev));
    compare_encoders(cb);
    /* escapes the writer does itself, then bytes it leaves to jansson */
    static const char *const odd[] = { "[\"a\\\\b\\n\\t/\"]", "line\nbreak\ttab", "\x01" "ctl", "caf\xc3\xa9",
                                       "del\x7f", "\x1f" };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        set_log(cb->backup.backend[0] ? &cb->backup : &cb->primary, odd[i], strlen(odd[i]));
        compare_encoders(cb);
    }
    json_decref(resp);
}

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
    check_event_logs(&cb);
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
