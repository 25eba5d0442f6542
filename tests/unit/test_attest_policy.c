/*
 * test_attest_policy.c - dstack event-log replay (against expected.json's
 * dstack_event_log and the quote's RTMRs) and acceptance-policy cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "aegis/attest.h"

#define DSTACK "dstack_getquote_tdx_v4"

static char *vpath(const char *sample, const char *file)
{
    static char buf[4][1024];
    static int k;
    const char *root = getenv("AEGIS_ROOT");
    char *b = buf[k++ & 3];
    snprintf(b, 1024, "%s/tests/vectors/attestation/%s/%s", root ? root : ".", sample, file);
    return b;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    uint8_t *p = NULL;
    assert_int_equal(aegis_file_read(path, 1 << 20, &p, len), AEGIS_OK);
    return p;
}

typedef struct fixture {
    uint8_t *quote;
    size_t quote_len;
    aegis_collateral *coll;
    aegis_attest_result res;
    json_t *exp;
} fixture;

static void fx_load(fixture *f, const char *sample)
{
    json_error_t jerr;
    const char *msg;
    size_t n;
    memset(f, 0, sizeof(*f));
    f->quote = slurp(vpath(sample, "quote.bin"), &f->quote_len);
    uint8_t *cj = slurp(vpath(sample, "collateral.json"), &n);
    assert_int_equal(aegis_collateral_load_json((char *)cj, n, &f->coll, &msg), AEGIS_OK);
    aegis_free(cj);
    f->exp = json_load_file(vpath(sample, "expected.json"), 0, &jerr);
    assert_non_null(f->exp);
    json_t *c0 = json_array_get(json_object_get(f->exp, "collaterals"), 0);
    int64_t t = json_integer_value(json_object_get(c0, "verify_time"));
    aegis_attest_verify(f->quote, f->quote_len, f->coll, t, &f->res);
}

static void fx_free(fixture *f)
{
    aegis_free(f->quote);
    aegis_collateral_unref(f->coll);
    json_decref(f->exp);
}

static void load_log(aegis_eventlog *log)
{
    size_t n;
    const char *msg = NULL;
    uint8_t *j = slurp(vpath(DSTACK, "getquote_response.json"), &n);
    assert_int_equal(aegis_eventlog_parse((char *)j, n, log, &msg), AEGIS_OK);
    aegis_free(j);
}

static void test_eventlog_replay(void **state)
{
    fixture f;
    aegis_eventlog log;
    const char *msg;
    fx_load(&f, DSTACK);
    assert_true(f.res.verified);
    load_log(&log);

    json_t *el = json_object_get(f.exp, "dstack_event_log");
    assert_int_equal(log.n_events, json_integer_value(json_object_get(el, "event_count")));
    size_t per[4] = { 0 };
    for (size_t i = 0; i < log.n_events; i++)
        per[log.events[i].imr]++;
    for (int i = 0; i < 4; i++)
        assert_int_equal(per[i], json_integer_value(json_array_get(json_object_get(el, "counts_per_imr"), i)));
    /* the recomputed RTMR3 digests are the ones recorded */
    json_t *r3 = json_object_get(el, "rtmr3_events");
    size_t k = 0;
    for (size_t i = 0; i < log.n_events; i++) {
        if (log.events[i].imr != 3)
            continue;
        json_t *e = json_array_get(r3, k++);
        char hex[97];
        aegis_hex_encode(hex, log.events[i].digest, 48);
        assert_string_equal(hex, json_string_value(json_object_get(e, "digest")));
        assert_string_equal(log.events[i].name, json_string_value(json_object_get(e, "event")));
    }
    assert_int_equal(k, json_array_size(r3));
    /* replay equals the quote's RTMR0-3 */
    assert_int_equal(aegis_eventlog_check(&log, &f.res.quote.td, &msg), AEGIS_OK);
    const aegis_eventlog_event *app = aegis_eventlog_find(&log, "app-id");
    assert_non_null(app);
    assert_int_equal(app->payload_len, 20);
    assert_null(aegis_eventlog_find(&log, "no-such-event"));

    /* a different RTMR3 in the quote is caught */
    aegis_td_report td = f.res.quote.td;
    td.rtmr[3][0] ^= 1;
    assert_int_equal(aegis_eventlog_check(&log, &td, &msg), AEGIS_ERR_EVENTLOG_MISMATCH);
    aegis_eventlog_clear(&log);

    /* tampering: a payload that no longer matches its digest, a dropped event */
    size_t n;
    json_error_t jerr;
    uint8_t *raw = slurp(vpath(DSTACK, "getquote_response.json"), &n);
    json_t *resp = json_loadb((char *)raw, n, 0, &jerr);
    json_t *arr = json_loads(json_string_value(json_object_get(resp, "event_log")), 0, &jerr);
    assert_non_null(arr);
    json_t *last = json_array_get(arr, json_array_size(arr) - 1);
    json_object_set_new(last, "event_payload", json_string("00"));
    char *txt = json_dumps(arr, 0);
    assert_int_equal(aegis_eventlog_parse(txt, strlen(txt), &log, &msg), AEGIS_ERR_EVENTLOG_MALFORMED);
    free(txt);
    json_array_remove(arr, json_array_size(arr) - 1);
    txt = json_dumps(arr, 0);
    assert_int_equal(aegis_eventlog_parse(txt, strlen(txt), &log, &msg), AEGIS_OK); /* a bare array */
    assert_int_equal(aegis_eventlog_check(&log, &f.res.quote.td, &msg), AEGIS_ERR_EVENTLOG_MISMATCH);
    aegis_eventlog_clear(&log);
    free(txt);
    assert_int_equal(aegis_eventlog_parse("{\"x\":1}", 7, &log, &msg), AEGIS_ERR_EVENTLOG_MALFORMED);
    assert_int_equal(aegis_eventlog_parse("[{\"imr\":4,\"event_type\":1,\"digest\":\"00\"}]", 41, &log, &msg),
                     AEGIS_ERR_EVENTLOG_MALFORMED);
    json_decref(arr);
    json_decref(resp);
    aegis_free(raw);
    fx_free(&f);
}

static aegis_err load_policy(const char *json, aegis_attest_policy *p)
{
    const char *msg;
    return aegis_attest_policy_load_json(json, strlen(json), p, &msg);
}

static void test_policy_tdx(void **state)
{
    fixture f;
    aegis_eventlog log;
    aegis_attest_policy p;
    const char *msg;
    char js[2048];
    fx_load(&f, DSTACK);
    load_log(&log);
    const char *mrtd = json_string_value(
        json_object_get(json_object_get(json_object_get(f.exp, "quote"), "report"), "mr_td"));

    aegis_attest_policy_init(&p);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, &log, &msg), AEGIS_OK);

    snprintf(js, sizeof(js),
             "{\"accept_tcb_status\":[\"UpToDate\"],\"mrtd\":[\"%s\"],"
             "\"app_id\":[\"3763bc34552cf3a27ff71ad5f7a90471562a1a2d\"],"
             "\"compose_hash\":[\"3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7\"],"
             "\"report_data\":\"1234%0124d\"}", mrtd, 0);
    assert_int_equal(load_policy(js, &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, &log, &msg), AEGIS_OK);
    /* app checks need the event log */
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_ERR_POLICY_APP);

    /* other MRTD / RTMR / app id / report_data */
    snprintf(js, sizeof(js), "{\"mrtd\":[\"%096d\"]}", 0);
    assert_int_equal(load_policy(js, &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_ERR_POLICY_MEASUREMENT);
    snprintf(js, sizeof(js), "{\"rtmr3\":[\"%096d\"]}", 0);
    assert_int_equal(load_policy(js, &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_ERR_POLICY_MEASUREMENT);
    assert_int_equal(load_policy("{\"app_id\":[\"0000000000000000000000000000000000000000\"]}", &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, &log, &msg), AEGIS_ERR_POLICY_APP);
    snprintf(js, sizeof(js), "{\"report_data\":\"1235%0124d\"}", 0);
    assert_int_equal(load_policy(js, &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_ERR_POLICY_REPORT_DATA);

    /* debug TD and MRSERVICETD (the struct is edited: no signed debug quote exists) */
    aegis_attest_result dbg = f.res;
    dbg.quote.td.td_attributes[0] |= 1;
    aegis_attest_policy_init(&p);
    assert_int_equal(aegis_attest_policy_check(&p, &dbg, NULL, &msg), AEGIS_ERR_POLICY_DEBUG);
    assert_int_equal(load_policy("{\"allow_debug\":true}", &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &dbg, NULL, &msg), AEGIS_OK);
    aegis_attest_result svc = f.res;
    svc.quote.body_type = AEGIS_QUOTE_BODY_TD15;
    svc.quote.td.mr_service_td[7] = 1;
    aegis_attest_policy_init(&p);
    assert_int_equal(aegis_attest_policy_check(&p, &svc, NULL, &msg), AEGIS_ERR_POLICY_SERVICE_TD);
    assert_int_equal(load_policy("{\"allow_service_td\":true}", &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &svc, NULL, &msg), AEGIS_OK);

    /* a result that did not verify never passes */
    fixture td15;
    fx_load(&td15, "tdx_v5_td15_dcapqvl");
    aegis_attest_policy_init(&p);
    assert_int_equal(aegis_attest_policy_check(&p, &td15.res, NULL, &msg), AEGIS_ERR_TCB_NOT_SUPPORTED);
    fx_free(&td15);

    aegis_eventlog_clear(&log);
    fx_free(&f);
}

static void test_policy_sgx(void **state)
{
    fixture f;
    aegis_attest_policy p;
    const char *msg;
    fx_load(&f, "sgx_v3_dcapqvl");
    assert_true(f.res.verified);
    aegis_attest_policy_init(&p); /* default accepts ConfigurationAndSWHardeningNeeded */
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_OK);
    assert_int_equal(load_policy("{\"accept_tcb_status\":[\"UpToDate\",\"SWHardeningNeeded\"]}", &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_ERR_POLICY_TCB_STATUS);
    assert_int_equal(load_policy("{\"mrenclave\":[\"33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb\"],"
                                 "\"mrsigner\":[\"815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6\"],"
                                 "\"isv_prod_id\":0,\"min_isv_svn\":0}", &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_OK);
    assert_int_equal(load_policy("{\"min_isv_svn\":1}", &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_ERR_POLICY_MEASUREMENT);
    assert_int_equal(load_policy("{\"isv_prod_id\":3}", &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_ERR_POLICY_MEASUREMENT);
    assert_int_equal(load_policy("{\"mrsigner\":[\"815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e7\"]}", &p),
                     AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_ERR_POLICY_MEASUREMENT);
    aegis_attest_result dbg = f.res;
    dbg.quote.sgx.attributes[0] |= 0x02;
    aegis_attest_policy_init(&p);
    assert_int_equal(aegis_attest_policy_check(&p, &dbg, NULL, &msg), AEGIS_ERR_POLICY_DEBUG);
    /* report_data "Hello, world!" */
    char js[256];
    snprintf(js, sizeof(js), "{\"report_data\":\"48656c6c6f2c20776f726c6421%0102d\"}", 0);
    assert_int_equal(load_policy(js, &p), AEGIS_OK);
    assert_int_equal(aegis_attest_policy_check(&p, &f.res, NULL, &msg), AEGIS_OK);
    fx_free(&f);
}

static void test_policy_malformed(void **state)
{
    aegis_attest_policy p;
    static const char *const bad[] = {
        "[]",
        "{\"mrtd\":[\"00\"]}",                           /* wrong length */
        "{\"mrtd\":\"not-a-list\"}",
        "{\"accept_tcb_status\":[\"Revoked\"]}",         /* can never be accepted */
        "{\"accept_tcb_status\":[\"Fine\"]}",
        "{\"allow_debug\":1}",
        "{\"isv_prod_id\":70000}",
        "{\"mr_td\":[]}",                                /* unknown key (typo) */
        "{\"rtmr4\":[]}",
        "{\"report_data\":\"zz\"}",
        "{\"allow_debug\":true,\"allow_debug\":false}",  /* duplicate */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(load_policy(bad[i], &p), AEGIS_ERR_POLICY_MALFORMED);
    assert_int_equal(load_policy("{}", &p), AEGIS_OK);
    assert_true(p.accept_status[AEGIS_TCB_UP_TO_DATE]);
    assert_false(p.accept_status[AEGIS_TCB_OUT_OF_DATE]);
    assert_false(p.accept_status[AEGIS_TCB_REVOKED]);
    assert_false(p.allow_debug);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eventlog_replay),
        cmocka_unit_test(test_policy_tdx),
        cmocka_unit_test(test_policy_sgx),
        cmocka_unit_test(test_policy_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
