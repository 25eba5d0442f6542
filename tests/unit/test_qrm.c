/* test_qrm.c - the QRM Monitor's model (aegis/qrm.h): transforms, the
 * weighted score, override, levels, the built-in signals, the shipped
 * example file, and the parser's refusals (each with its line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/batch.h"
#include "aegis/qrm.h"
#include "aegis/util.h"

static aegis_err parse(const char *text, aegis_qrm_signals *s, char *msg, size_t cap)
{
    return aegis_qrm_signals_parse(text, strlen(text), s, msg, cap);
}

static uint16_t score_of(const char *text)
{
    aegis_qrm_signals s;
    char msg[256];
    aegis_err err = parse(text, &s, msg, sizeof(msg));
    if (err)
        fail_msg("parse: %s", msg);
    struct aegis_qrm_result r;
    aegis_qrm_score(&s, &r);
    return r.score;
}

static void test_transforms(void **state)
{
    (void)state;
    struct aegis_qrm_signal s = { "x", 0, AEGIS_QRM_LINEAR, 10, 20, 0, 10000, false };
    double v[] = { -5, 10, 12.5, 15, 20, 1e300 };
    uint16_t want[] = { 0, 0, 2500, 5000, 10000, 10000 };
    for (size_t i = 0; i < 6; i++) {
        s.value = v[i];
        assert_int_equal(aegis_qrm_risk(&s), want[i]);
    }
    s.transform = AEGIS_QRM_LOG10;
    s.lo = 1e3;
    s.hi = 1e6;
    double lv[] = { 0, -1, 999, 1e3, 31622.7766, 1e5, 1e6, 1e9 };
    uint16_t lw[] = { 0, 0, 0, 0, 5000, 6667, 10000, 10000 };
    for (size_t i = 0; i < 8; i++) {
        s.value = lv[i];
        assert_int_equal(aegis_qrm_risk(&s), lw[i]);
    }
    s.transform = AEGIS_QRM_STEP;
    s.at = 1;
    s.value = 0.999;
    assert_int_equal(aegis_qrm_risk(&s), 0);
    s.value = 1;
    assert_int_equal(aegis_qrm_risk(&s), 10000);
}

static void test_builtins(void **state)
{
    (void)state;
    struct aegis_qrm_signal s;
    const char *names[] = { "physical_qubits", "logical_qubits", "algorithm_break", "advisory", "crqc_10y_percent" };
    for (size_t i = 0; i < 5; i++) {
        assert_true(aegis_qrm_builtin(names[i], &s));
        assert_string_equal(s.name, names[i]);
        assert_true(s.builtin);
    }
    assert_false(aegis_qrm_builtin("ecdlp_record_bits", &s));
    assert_true(aegis_qrm_builtin("algorithm_break", &s));
    assert_int_equal(s.weight, 10000); /* alone it reaches emergency */
    assert_true(aegis_qrm_builtin("advisory", &s));
    assert_int_equal(s.weight, 9000);
}

/* physical 10^4.5 -> r 5000 x 2500; logical 10 -> 0; advisory 2 -> 6667 x
 * 9000 = 6000; crqc 50 -> 5000 x 3000 = 1500: 8750, scheduled. */
static const char *const model_doc = "version = 1\n"
                                     "[signals.physical_qubits]\nvalue = 31622.7766\n"
                                     "[signals.logical_qubits]\nvalue = 10\n"
                                     "[signals.advisory]\nvalue = 2\n"
                                     "[signals.crqc_10y_percent]\nvalue = 50\n"
                                     "[signals.algorithm_break]\nvalue = %s\n";

static void test_score(void **state)
{
    (void)state;
    char doc[1024];
    snprintf(doc, sizeof(doc), model_doc, "false");
    aegis_qrm_signals s;
    assert_int_equal(parse(doc, &s, NULL, 0), AEGIS_OK);
    assert_int_equal(s.n, 5);
    struct aegis_qrm_result r;
    aegis_qrm_score(&s, &r);
    assert_int_equal(r.part[0], 1250);
    assert_int_equal(r.part[1], 0);
    assert_int_equal(r.risk[2], 6667);
    assert_int_equal(r.part[2], 6000);
    assert_int_equal(r.part[3], 1500);
    assert_int_equal(r.part[4], 0);
    assert_int_equal(r.score, 8750);
    assert_int_equal(r.level, 1);
    assert_false(r.overridden);
    /* a break alone saturates */
    snprintf(doc, sizeof(doc), model_doc, "true");
    assert_int_equal(score_of(doc), 10000);
    /* a weight from the file replaces the built-in one */
    assert_int_equal(score_of("version = 1\n[signals.advisory]\nvalue = 3\nweight = 4000\n"), 4000);
    /* new bounds for a built-in */
    assert_int_equal(score_of("version = 1\n[signals.advisory]\nvalue = 3\nhi = 6\n"), 4500);
    /* a signal of one's own */
    assert_int_equal(score_of("version = 1\n[signals.ecdlp_record_bits]\nvalue = 136\ntransform = \"linear\"\n"
                              "lo = 112\nhi = 160\nweight = 2000\n"),
                     1000);
    /* a built-in with another transform needs its own bounds */
    assert_int_equal(score_of("version = 1\n[signals.logical_qubits]\nvalue = 600\ntransform = \"step\"\nat = 500\n"),
                     4500);
}

static void test_override_levels(void **state)
{
    (void)state;
    aegis_qrm_signals s;
    struct aegis_qrm_result r;
    assert_int_equal(parse("version = 1\noverride = 9500\nmin_change = 50\nalgorithms = [\"ML-DSA-87\", \"SLH-DSA-256s\"]\n"
                           "[signals.advisory]\nvalue = 0\n",
                           &s, NULL, 0),
                     AEGIS_OK);
    aegis_qrm_score(&s, &r);
    assert_true(r.overridden);
    assert_int_equal(r.score, 9500);
    assert_int_equal(r.level, 2);
    assert_int_equal(s.min_change, 50);
    assert_int_equal(s.algorithms, AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S);
    /* an override alone is a valid file; thresholds from [levels] */
    assert_int_equal(parse("version = 1\noverride = 5000\n[levels]\nscheduled = 4000\nemergency = 8000\n", &s, NULL, 0),
                     AEGIS_OK);
    aegis_qrm_score(&s, &r);
    assert_int_equal(r.level, 1);
    assert_int_equal(aegis_qrm_level(&s, 3999), 0);
    assert_int_equal(aegis_qrm_level(&s, 8000), 2);
    assert_int_equal(s.min_change, 1);
    assert_int_equal(s.algorithms, 0);
}

static void test_example_file(void **state)
{
    (void)state;
    const char *root = getenv("AEGIS_ROOT");
    char path[4096];
    snprintf(path, sizeof(path), "%s/config/qrm-signals.example.toml", root ? root : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[AEGIS_QRM_MAX_BYTES];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    aegis_qrm_signals s;
    char msg[256];
    assert_int_equal(aegis_qrm_signals_parse(buf, n, &s, msg, sizeof(msg)), AEGIS_OK);
    struct aegis_qrm_result r;
    aegis_qrm_score(&s, &r);
    /* 1121 physical -> 165 x 2500 = 41; 48 logical -> 2878 x 4500 = 1295;
     * advisory 1 -> 3333 x 9000 = 3000; crqc 30 -> 3000 x 3000 = 900 */
    assert_int_equal(r.score, 41 + 1295 + 3000 + 900);
    assert_int_equal(r.level, 0);
}

static void refused(const char *doc, const char *want_in_msg)
{
    aegis_qrm_signals s;
    char msg[256];
    aegis_err err = parse(doc, &s, msg, sizeof(msg));
    if (err != AEGIS_ERR_QRM_SIGNALS)
        fail_msg("accepted (%d): %s", (int)err, doc);
    if (!strstr(msg, want_in_msg))
        fail_msg("message \"%s\" lacks \"%s\"", msg, want_in_msg);
}

static void test_refusals(void **state)
{
    (void)state;
    refused("", "version = 1 is missing");
    refused("version = 2\n", "line 1: version: must be 1");
    refused("version = 1\n", "nothing to score");
    refused("version = 1\nfoo = 1\n", "unknown key `foo`");
    refused("version = 1\noverride = 10001\n", "override");
    refused("version = 1\noverride = -1\n", "override");
    refused("version = 1\noverride = 5.0\n", "override");
    refused("version = 1\nmin_change = 0\noverride = 1\n", "min_change");
    refused("version = 1\nalgorithms = [\"RSA\"]\noverride = 1\n", "algorithms");
    refused("version = 1\nalgorithms = \"ML-DSA-87\"\noverride = 1\n", "algorithms");
    refused("version = 1\noverride = 1\n[levels]\nscheduled = 9000\nemergency = 9000\n", "below emergency");
    refused("version = 1\noverride = 1\n[levels]\nsoon = 1\n", "unknown key `soon`");
    refused("version = 1\nsignals = 3\n", "signals: must be a table");
    refused("version = 1\n[signals]\nadvisory = 3\n", "must be a table with at least `value`");
    refused("version = 1\n[signals.advisory]\nweight = 1\n", "line 2: signals.advisory: `value` is missing");
    refused("version = 1\n[signals.advisory]\nvalue = \"high\"\n", "line 3: signals.advisory.value");
    refused("version = 1\n[signals.advisory]\nvalue = nan\n", "signals.advisory.value");
    refused("version = 1\n[signals.advisory]\nvalue = inf\n", "signals.advisory.value");
    refused("version = 1\n[signals.advisory]\nvalue = 1\nweight = 10001\n", "weight");
    refused("version = 1\n[signals.advisory]\nvalue = 1\ntransform = \"cubic\"\n", "transform");
    refused("version = 1\n[signals.advisory]\nvalue = 1\nlo = 5\n", "lo < hi");
    refused("version = 1\n[signals.advisory]\nvalue = 1\nat = 5\n", "`at` is for the step");
    refused("version = 1\n[signals.advisory]\nvalue = 1\nlo = true\n", "finite number");
    refused("version = 1\n[signals.advisory]\nvalue = 1\ncolour = 1\n", "unknown key `colour`");
    refused("version = 1\n[signals.advisory]\nvalue = 1\nnote = 1\n", "note");
    refused("version = 1\n[signals.algorithm_break]\nvalue = 1\nlo = 0\n", "takes `at`");
    refused("version = 1\n[signals.physical_qubits]\nvalue = 1\nlo = 0\n", "lo > 0");
    refused("version = 1\n[signals.physical_qubits]\nvalue = 1\ntransform = \"linear\"\nlo = 1\n", "needs `lo` and `hi`");
    refused("version = 1\n[signals.advisory]\nvalue = 1\ntransform = \"step\"\n", "needs `at`");
    refused("version = 1\n[signals.mine]\nvalue = 1\n", "`transform` and `weight` are required");
    refused("version = 1\n[signals.mine]\nvalue = 1\ntransform = \"linear\"\nweight = 5\n", "needs `lo` and `hi`");
    refused("version = 1\n[signals.Mine]\nvalue = 1\n", "signal name");
    refused("version = 1\n[signals.\"\"]\nvalue = 1\n", "signal name");
    refused("version = 1\n[signals.advisory\nvalue = 1\n", "line 2");   /* TOML syntax */
    refused("version = 1\nversion = 1\n", "line 2");                     /* duplicate key */
    char big[4096] = "version = 1\n";
    for (int i = 0; i <= AEGIS_QRM_MAX_SIGNALS; i++) {
        char line[64];
        snprintf(line, sizeof(line), "[signals.s%d]\nvalue = 1\ntransform = \"step\"\nat = 1\nweight = 1\n", i);
        strcat(big, line);
    }
    refused(big, "more than 32 signals");
    aegis_qrm_signals s;
    char *huge = calloc(1, AEGIS_QRM_MAX_BYTES + 2);
    assert_non_null(huge);
    memset(huge, '#', AEGIS_QRM_MAX_BYTES + 1);
    assert_int_equal(aegis_qrm_signals_parse(huge, AEGIS_QRM_MAX_BYTES + 1, &s, NULL, 0), AEGIS_ERR_TOO_BIG);
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transforms),    cmocka_unit_test(test_builtins), cmocka_unit_test(test_score),
        cmocka_unit_test(test_override_levels), cmocka_unit_test(test_example_file), cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
