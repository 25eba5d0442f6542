/*
 * test_sequencer_cadence.c - the sealer's time cadence (src/sequencer/
 * cadence.c): at most one seal per batch.seal_interval_ms; after a seal
 * the gap grows to AEGIS_SEQ_SEAL_SPACING (20) times the seal's wall time, but
 * never past the idle bound (5 batch intervals), so the worst-case time
 * until a batch is sealed stays what docs/internals/pipeline.md says;
 * seal_interval_ms = 0 keeps "no limit"; a partial window is forced after
 * the idle bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "aegis/config.h"
#include "../../src/sequencer/seq_int.h"

#define MS 1000000ull

static void cadence_for(struct aegis_seq_cadence *c, const char *seal_interval_ms, const char *batch_interval_ms)
{
    aegis_config cfg;
    assert_int_equal(aegis_config_defaults(&cfg), AEGIS_OK);
    assert_int_equal(aegis_config_set(&cfg, "batch", "seal_interval_ms", seal_interval_ms, NULL), AEGIS_OK);
    assert_int_equal(aegis_config_set(&cfg, "batch", "interval_ms", batch_interval_ms, NULL), AEGIS_OK);
    aegis_seq_cadence_init(c, &cfg, 1000 * MS);
    aegis_config_clear(&cfg);
}

static void test_quick_seals_keep_the_interval(void **state)
{
    (void)state;
    struct aegis_seq_cadence c;
    cadence_for(&c, "1000", "1000");
    bool force = true;
    assert_false(aegis_seq_cadence_seal(&c, 1999 * MS, &force));
    assert_false(force);
    assert_true(aegis_seq_cadence_seal(&c, 2000 * MS, &force));
    assert_false(force);
    /* a 40 ms seal (an idle machine): 20 x 40 ms is under the interval */
    aegis_seq_cadence_sealed(&c, 2000 * MS, 2040 * MS);
    assert_false(aegis_seq_cadence_seal(&c, 3039 * MS, &force));
    assert_true(aegis_seq_cadence_seal(&c, 3040 * MS, &force));
}

static void test_slow_seal_spaces_the_next(void **state)
{
    (void)state;
    struct aegis_seq_cadence c;
    cadence_for(&c, "1000", "1000");
    bool force = true;
    /* a 150 ms seal (the sealer got a small share of a busy machine): the
     * next one waits 20 x 150 ms after it ended */
    aegis_seq_cadence_sealed(&c, 2000 * MS, 2150 * MS);
    assert_false(aegis_seq_cadence_seal(&c, 4000 * MS, &force));
    assert_false(aegis_seq_cadence_seal(&c, 5149 * MS, &force));
    assert_true(aegis_seq_cadence_seal(&c, 5150 * MS, &force));
    assert_false(force);
    /* a 2 s seal: capped at the idle bound (5 x 1000 ms), where a partial
     * window is forced anyway */
    aegis_seq_cadence_sealed(&c, 6000 * MS, 8000 * MS);
    assert_false(aegis_seq_cadence_seal(&c, 12999 * MS, &force));
    assert_true(aegis_seq_cadence_seal(&c, 13000 * MS, &force));
    assert_false(force);
    assert_true(aegis_seq_cadence_seal(&c, 13001 * MS, &force));
    assert_true(force);
    /* a quick seal after that brings the gap back to the interval */
    aegis_seq_cadence_sealed(&c, 13001 * MS, 13031 * MS);
    assert_false(aegis_seq_cadence_seal(&c, 14030 * MS, &force));
    assert_true(aegis_seq_cadence_seal(&c, 14031 * MS, &force));
}

static void test_long_interval_is_the_bound(void **state)
{
    (void)state;
    struct aegis_seq_cadence c;
    /* seal_interval_ms above 5 batch intervals: it is the idle bound too,
     * and a slow seal does not push past it */
    cadence_for(&c, "8000", "100");
    bool force = false;
    aegis_seq_cadence_sealed(&c, 1000 * MS, 3000 * MS);
    assert_false(aegis_seq_cadence_seal(&c, 10999 * MS, &force));
    assert_true(aegis_seq_cadence_seal(&c, 11000 * MS, &force));
}

static void test_no_limit_stays_no_limit(void **state)
{
    (void)state;
    struct aegis_seq_cadence c;
    cadence_for(&c, "0", "1000");
    bool force = true;
    assert_true(aegis_seq_cadence_seal(&c, 1000 * MS, &force));
    assert_false(force);
    aegis_seq_cadence_sealed(&c, 1000 * MS, 1500 * MS);
    assert_true(aegis_seq_cadence_seal(&c, 1500 * MS, &force));
    assert_false(force);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quick_seals_keep_the_interval),
        cmocka_unit_test(test_slow_seal_spaces_the_next),
        cmocka_unit_test(test_long_interval_is_the_bound),
        cmocka_unit_test(test_no_limit_stays_no_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
