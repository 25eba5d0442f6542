/*
 * test_risk_restart.c - the per-source state a host persists and restores
 * (aegis_risk_monitor_source_at -> aegis_risk_monitor_restore_source): after
 * a restart an exact replay of the last accepted assessment is still a
 * duplicate, an older one out of order, a newer one accepted; a state
 * restored without the digest still refuses the replay (out of order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/risk.h"

#define T0 1700000000000ull

static uint8_t pk[AEGIS_MLDSA87_PK_BYTES], sk[AEGIS_MLDSA87_SK_BYTES];

static int setup(void **state)
{
    (void)state;
    uint8_t seed[32];
    memset(seed, 0x5a, sizeof(seed));
    return aegis_mldsa87_keygen_seed(pk, sk, seed) == AEGIS_OK ? 0 : -1;
}

/* Signed assessment JSON text (caller frees with free()). */
static char *make(const char *source, uint64_t seq, uint64_t ts, uint16_t score)
{
    aegis_risk_assessment a;
    memset(&a, 0, sizeof(a));
    snprintf(a.source, sizeof(a.source), "%s", source);
    a.seq = seq;
    a.timestamp_ms = ts;
    a.score = score;
    assert_int_equal(aegis_risk_assessment_sign(&a, sk, pk), AEGIS_OK);
    json_t *j = aegis_risk_assessment_to_json(&a);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    aegis_risk_assessment_clear(&a);
    return s;
}

static aegis_risk_monitor *monitor(void)
{
    struct aegis_risk_config rc;
    aegis_risk_config_defaults(&rc);
    rc.start_ms = T0;
    aegis_risk_monitor *m = NULL;
    assert_int_equal(aegis_risk_monitor_new(&rc, &m), AEGIS_OK);
    assert_int_equal(aegis_risk_monitor_add_oracle(m, pk), AEGIS_OK);
    return m;
}

static aegis_err submit(aegis_risk_monitor *m, const char *s, uint64_t now)
{
    return aegis_risk_submit(m, s, strlen(s), now, NULL);
}

/* Copy every source of `from` into a fresh monitor (what persisting and
 * restoring does); with_digest false drops the digests (older states). */
static aegis_risk_monitor *restart(const aegis_risk_monitor *from, bool with_digest)
{
    aegis_risk_monitor *m = monitor();
    struct aegis_risk_source s;
    size_t n = 0;
    for (size_t i = 0; aegis_risk_monitor_source_at(from, i, &s); i++, n++)
        assert_int_equal(aegis_risk_monitor_restore_source(m, s.name, s.seq, s.timestamp_ms,
                                                           with_digest && s.has_digest ? s.digest : NULL),
                         AEGIS_OK);
    assert_int_equal(n, aegis_risk_monitor_source_count(from));
    assert_int_equal(aegis_risk_monitor_source_count(m), n);
    return m;
}

static void test_sources_reported(void **state)
{
    (void)state;
    aegis_risk_monitor *m = monitor();
    struct aegis_risk_source s;
    assert_int_equal(aegis_risk_monitor_source_count(m), 0);
    assert_false(aegis_risk_monitor_source_at(m, 0, &s));
    char *a = make("qrm-1", 3, T0, 5000), *b = make("qrm-2", 9, T0 + 5, 6100), *a2 = make("qrm-1", 4, T0 + 7, 5200);
    assert_int_equal(submit(m, a, T0 + 10), AEGIS_OK);
    assert_int_equal(submit(m, b, T0 + 10), AEGIS_OK);
    assert_int_equal(submit(m, a2, T0 + 10), AEGIS_OK);
    assert_int_equal(submit(m, a, T0 + 10), AEGIS_ERR_RISK_OUT_OF_ORDER);   /* rejections change nothing */
    assert_int_equal(aegis_risk_monitor_source_count(m), 2);
    struct aegis_risk_decision d[8];
    assert_int_equal(aegis_risk_decisions(m, 0, d, 8), 4);
    assert_true(aegis_risk_monitor_source_at(m, 0, &s));
    assert_string_equal(s.name, "qrm-1");
    assert_int_equal(s.seq, 4);
    assert_int_equal(s.timestamp_ms, T0 + 7);
    assert_true(s.has_digest);
    assert_memory_equal(s.digest, d[2].digest, 32);    /* the accepted a2's digest */
    assert_true(aegis_risk_monitor_source_at(m, 1, &s));
    assert_string_equal(s.name, "qrm-2");
    assert_int_equal(s.seq, 9);
    assert_memory_equal(s.digest, d[1].digest, 32);
    assert_false(aegis_risk_monitor_source_at(m, 2, &s));
    free(a);
    free(b);
    free(a2);
    aegis_risk_monitor_free(m);
}

static void test_replay_after_restart_is_duplicate(void **state)
{
    (void)state;
    aegis_risk_monitor *m = monitor();
    char *old = make("qrm-1", 6, T0, 4000), *last = make("qrm-1", 7, T0 + 1, 6500);
    assert_int_equal(submit(m, old, T0 + 2), AEGIS_OK);
    assert_int_equal(submit(m, last, T0 + 2), AEGIS_OK);
    assert_int_equal(submit(m, last, T0 + 3), AEGIS_ERR_RISK_DUPLICATE);

    aegis_risk_monitor *r = restart(m, true);
    assert_int_equal(submit(r, last, T0 + 4), AEGIS_ERR_RISK_DUPLICATE);
    assert_int_equal(submit(r, old, T0 + 4), AEGIS_ERR_RISK_OUT_OF_ORDER);
    /* same seq, other content: not a duplicate, out of order */
    char *forked = make("qrm-1", 7, T0 + 1, 6600);
    assert_int_equal(submit(r, forked, T0 + 4), AEGIS_ERR_RISK_OUT_OF_ORDER);
    /* a newer one is accepted and becomes the one a replay is compared with */
    char *next = make("qrm-1", 8, T0 + 2, 7000);
    assert_int_equal(submit(r, next, T0 + 4), AEGIS_OK);
    assert_int_equal(submit(r, next, T0 + 5), AEGIS_ERR_RISK_DUPLICATE);
    assert_int_equal(submit(r, last, T0 + 5), AEGIS_ERR_RISK_OUT_OF_ORDER);
    /* and a second restart, from the restarted monitor, keeps it */
    aegis_risk_monitor *r2 = restart(r, true);
    assert_int_equal(submit(r2, next, T0 + 6), AEGIS_ERR_RISK_DUPLICATE);

    /* restored without a digest (older persisted state): still refused */
    aegis_risk_monitor *nd = restart(m, false);
    struct aegis_risk_source s;
    assert_true(aegis_risk_monitor_source_at(nd, 0, &s));
    assert_false(s.has_digest);
    assert_int_equal(submit(nd, last, T0 + 4), AEGIS_ERR_RISK_OUT_OF_ORDER);
    free(old);
    free(last);
    free(forked);
    free(next);
    aegis_risk_monitor_free(m);
    aegis_risk_monitor_free(r);
    aegis_risk_monitor_free(r2);
    aegis_risk_monitor_free(nd);
}

static void test_restore_source_replaces(void **state)
{
    (void)state;
    aegis_risk_monitor *m = monitor();
    char *a = make("qrm-1", 5, T0, 4000);
    assert_int_equal(submit(m, a, T0 + 1), AEGIS_OK);
    uint8_t zero[32] = { 0 };
    /* restoring replaces seq, time and digest of a known source */
    assert_int_equal(aegis_risk_monitor_restore_source(m, "qrm-1", 4, T0 - 1, zero), AEGIS_OK);
    assert_int_equal(aegis_risk_monitor_source_count(m), 1);
    assert_int_equal(submit(m, a, T0 + 2), AEGIS_OK);   /* seq 5 > 4 again */
    assert_int_equal(aegis_risk_monitor_restore_source(m, "bad name!", 1, 1, NULL), AEGIS_ERR_INVAL);
    free(a);
    aegis_risk_monitor_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sources_reported),
        cmocka_unit_test(test_replay_after_restart_is_duplicate),
        cmocka_unit_test(test_restore_source_replaces),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
