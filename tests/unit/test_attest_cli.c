/*
 * test_attest_cli.c - every shared sample through `aegis quote verify --json`
 * (the binary from $AEGIS_BIN): verified flag, tcb_status, advisory_ids or
 * the error code, and the exit status, against each expected.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "aegis/attest.h"

static const char *const samples[] = { "sgx_v3_dcapqvl", "tdx_v4_dcapqvl", "tdx_v5_td15_dcapqvl",
                                       "dstack_getquote_tdx_v4" };

/* Run the CLI; returns its exit status, *out = parsed stdout JSON. */
static int run(const char *args, json_t **out)
{
    char cmd[4096];
    const char *bin = getenv("AEGIS_BIN");
    snprintf(cmd, sizeof(cmd), "%s/aegis quote verify --json %s 2>/dev/null", bin ? bin : ".", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t jerr;
    *out = json_loadf(p, 0, &jerr);
    int st = pclose(p);
    assert_non_null(*out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_samples(void **state)
{
    const char *root = getenv("AEGIS_ROOT");
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        char d[1024], args[3072];
        json_error_t jerr;
        snprintf(d, sizeof(d), "%s/tests/vectors/attestation/%s", root ? root : ".", samples[i]);
        snprintf(args, sizeof(args), "%s/expected.json", d);
        json_t *exp = json_load_file(args, 0, &jerr);
        assert_non_null(exp);
        json_t *c0 = json_array_get(json_object_get(exp, "collaterals"), 0);
        json_t *e = json_object_get(c0, "expected");
        long long t = json_integer_value(json_object_get(c0, "verify_time"));
        json_t *o;
        snprintf(args, sizeof(args), "--quote %s/quote.bin --collateral %s/collateral.json --at %lld", d, d, t);
        int rc = run(args, &o);
        assert_string_equal(json_string_value(json_object_get(o, "tee_type")),
                            strcmp(json_string_value(json_object_get(json_object_get(exp, "quote"), "tee_type")), "0x81")
                                ? "SGX" : "TDX");
        if (json_is_true(json_object_get(e, "verifies"))) {
            assert_int_equal(rc, 0);
            assert_true(json_is_true(json_object_get(o, "verified")));
            assert_string_equal(json_string_value(json_object_get(o, "tcb_status")),
                                json_string_value(json_object_get(e, "tcb_status")));
            assert_true(json_equal(json_object_get(o, "advisory_ids"), json_object_get(e, "advisory_ids")));
            assert_null(json_object_get(o, "error"));
            assert_string_equal(json_string_value(json_object_get(o, "report_data")),
                                json_string_value(json_object_get(json_object_get(json_object_get(exp, "quote"), "report"), "report_data")));
        } else {
            assert_int_equal(rc, 1);
            assert_true(json_is_false(json_object_get(o, "verified")));
            assert_string_equal(json_string_value(json_object_get(o, "error")), "AEGIS_ERR_TCB_NOT_SUPPORTED");
            assert_string_equal(json_string_value(json_object_get(o, "tcb_status")), "TCBNotSupported");
        }
        json_decref(o);
        /* one second past the window: refused with a stable code */
        long long until = json_integer_value(json_object_get(json_object_get(c0, "valid_window"), "until"));
        snprintf(args, sizeof(args), "--quote %s/quote.bin --collateral %s/collateral.json --at %lld", d, d, until + 1);
        assert_int_equal(run(args, &o), 1);
        assert_string_equal(json_string_value(json_object_get(o, "error")), "AEGIS_ERR_ATTEST_EXPIRED");
        json_decref(o);
        json_decref(exp);
    }
}

static void test_cli_directory_and_event_log(void **state)
{
    const char *root = getenv("AEGIS_ROOT");
    char v[1024], args[4096];
    json_t *o;
    snprintf(v, sizeof(v), "%s/tests/vectors/attestation", root ? root : ".");
    snprintf(args, sizeof(args),
             "--quote %s/dstack_getquote_tdx_v4/quote.bin --collateral %s --at 1774003274 "
             "--event-log %s/dstack_getquote_tdx_v4/getquote_response.json", v, v, v);
    assert_int_equal(run(args, &o), 0);
    assert_true(json_is_true(json_object_get(o, "verified")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "event_log"), "app_id")),
                        "3763bc34552cf3a27ff71ad5f7a90471562a1a2d");
    json_decref(o);
    /* the dstack event log does not replay to another TD's RTMRs */
    snprintf(args, sizeof(args),
             "--quote %s/tdx_v4_dcapqvl/quote.bin --collateral %s --at 1752919234 "
             "--event-log %s/dstack_getquote_tdx_v4/getquote_response.json", v, v, v);
    assert_int_equal(run(args, &o), 1);
    assert_true(json_is_true(json_object_get(o, "quote_verified")));
    assert_string_equal(json_string_value(json_object_get(o, "error")), "AEGIS_ERR_EVENTLOG_MISMATCH");
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_samples),
        cmocka_unit_test(test_cli_directory_and_event_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
