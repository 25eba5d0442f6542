/*
 * test_chain_evlog.c - a published attestation record carrying the dstack
 * event log (record format 1.1, docs/internals/attestation-batches.md),
 * verified as `aegis verify` does (aegis_chain_verify_attest): the real
 * recorded GetQuote of tests/vectors/attestation/dstack_getquote_tdx_v4
 * (quote + event_log) with its collateral at the sample's time.
 *
 * Cases: the log replays and passes the default policy and a policy naming
 * its app id and compose hash; a different app id or compose hash is
 * refused; every event's digest changed by one hex digit, and one payload
 * byte of the compose-hash event, each fail with their stable codes; a
 * record without a log verifies as before but not under an app policy; a
 * sim record with a log and a garbage log are refused.
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
#include "aegis/chain.h"

#define SAMPLE "tests/vectors/attestation/dstack_getquote_tdx_v4"
#define DSTACK_TIME 1774003274

static struct {
    aegis_chain_attest att;        /* the record with its event log */
    json_t *events;                /* the log parsed independently, for expectations */
    aegis_collateral_provider prov;
    aegis_collateral_cache *cache;
} G;

static int setup(void **state)
{
    (void)state;
    const char *r = getenv("AEGIS_ROOT");
    char p[700];
    snprintf(p, sizeof(p), "%s/" SAMPLE "/getquote_response.json", r ? r : ".");
    json_t *resp = json_load_file(p, 0, NULL);
    if (!resp)
        return -1;
    const char *qhex = json_string_value(json_object_get(resp, "quote"));
    const char *ev = json_string_value(json_object_get(resp, "event_log"));
    memset(&G.att, 0, sizeof(G.att));
    if (!qhex || !ev || aegis_hex_decode_alloc(qhex, 1 << 20, &G.att.quote, &G.att.quote_len) != AEGIS_OK)
        return -1;
    aegis_quote q;
    if (aegis_quote_parse(G.att.quote, G.att.quote_len, &q, NULL) != AEGIS_OK)
        return -1;
    G.att.quote_len = q.parsed_len;   /* as the backend publishes it: padding trimmed */
    memcpy(G.att.report_data, q.td.report_data, 64);
    snprintf(G.att.backend, sizeof(G.att.backend), "dstack");
    snprintf(G.att.mode, sizeof(G.att.mode), "per-batch");
    G.att.event_log = aegis_strndup(ev, strlen(ev));
    G.att.event_log_len = strlen(ev);
    G.events = json_loads(ev, 0, NULL);
    json_decref(resp);
    snprintf(p, sizeof(p), "%s/" SAMPLE "/collateral.json", r ? r : ".");
    if (!G.att.event_log || !json_is_array(G.events) ||
        aegis_collateral_provider_path(p, &G.prov, NULL) != AEGIS_OK ||
        aegis_collateral_cache_new(&G.prov, &G.cache) != AEGIS_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    aegis_chain_attest_clear(&G.att);
    json_decref(G.events);
    aegis_collateral_cache_free(G.cache);
    aegis_collateral_provider_clear(&G.prov);
    return 0;
}

/* The payload of the logged event `name`, from the independent parse. */
static void payload_of(const char *name, uint8_t *out, size_t n)
{
    size_t i;
    json_t *e;
    json_array_foreach(G.events, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "event")), name) == 0) {
            const char *h = json_string_value(json_object_get(e, "event_payload"));
            assert_int_equal(strlen(h), 2 * n);
            assert_int_equal(aegis_hex_decode_exact(h, out, n), AEGIS_OK);
            return;
        }
    }
    fail_msg("event %s not in the log", name);
}

static aegis_err verify(const aegis_chain_attest *a, const aegis_attest_policy *pol)
{
    aegis_chain_verify_opts opts = { .collateral_cache = G.cache, .verify_at = DSTACK_TIME, .policy = pol };
    const char *why = NULL;
    aegis_err err = aegis_chain_verify_attest(a, a->report_data, &opts, &why);
    if (err)
        assert_non_null(why);   /* every refusal names its check */
    return err;
}

/* A copy of the record whose event log has byte `at` replaced by c. */
static void with_log_byte(aegis_chain_attest *out, size_t at, char c)
{
    assert_int_equal(aegis_chain_attest_copy(out, &G.att), AEGIS_OK);
    assert_true(at < out->event_log_len);
    assert_int_not_equal(out->event_log[at], c);
    out->event_log[at] = c;
}

static void test_policy(void **state)
{
    (void)state;
    uint8_t app_id[20], compose[32], instance[20];
    payload_of("app-id", app_id, sizeof(app_id));
    payload_of("compose-hash", compose, sizeof(compose));
    payload_of("instance-id", instance, sizeof(instance));

    /* default policy: the log is replayed to the quote's RTMRs and passes */
    assert_int_equal(verify(&G.att, NULL), AEGIS_OK);
    aegis_chain_app_info info;
    assert_int_equal(aegis_chain_attest_app(&G.att, &info), AEGIS_OK);
    assert_true(info.has_event_log && info.has_app_id && info.has_compose_hash && info.has_instance_id);
    assert_memory_equal(info.app_id, app_id, 20);
    assert_memory_equal(info.compose_hash, compose, 32);
    assert_memory_equal(info.instance_id, instance, 20);

    /* the right app id and compose hash (listed second, after another) */
    aegis_attest_policy pol;
    aegis_attest_policy_init(&pol);
    pol.app_id.n = 2;
    memset(pol.app_id.v[0], 0x5a, 20);
    memcpy(pol.app_id.v[1], app_id, 20);
    pol.compose_hash.n = 1;
    memcpy(pol.compose_hash.v[0], compose, 32);
    assert_int_equal(verify(&G.att, &pol), AEGIS_OK);
    /* a different compose hash */
    pol.compose_hash.v[0][31] ^= 1;
    assert_int_equal(verify(&G.att, &pol), AEGIS_ERR_POLICY_APP);
    pol.compose_hash.v[0][31] ^= 1;
    /* a different app id */
    pol.app_id.n = 1;
    memcpy(pol.app_id.v[0], app_id, 20);
    pol.app_id.v[0][0] ^= 0x80;
    assert_int_equal(verify(&G.att, &pol), AEGIS_ERR_POLICY_APP);
    pol.app_id.v[0][0] ^= 0x80;
    assert_int_equal(verify(&G.att, &pol), AEGIS_OK);

    /* the same quote without its log: verifies as before under a policy
     * without app fields; an app policy cannot be met by stripping the log */
    aegis_chain_attest bare;
    assert_int_equal(aegis_chain_attest_copy(&bare, &G.att), AEGIS_OK);
    aegis_free(bare.event_log);
    bare.event_log = NULL;
    bare.event_log_len = 0;
    assert_int_equal(verify(&bare, NULL), AEGIS_OK);
    assert_int_equal(aegis_chain_attest_app(&bare, &info), AEGIS_OK);
    assert_false(info.has_event_log || info.has_app_id);
    assert_int_equal(verify(&bare, &pol), AEGIS_ERR_POLICY_APP);
    aegis_chain_attest_clear(&bare);
}

static void test_tampered_events(void **state)
{
    (void)state;
    /* one hex digit of every event's digest: boot events (replayed as
     * logged) no longer reach the quote's RTMR; runtime events (type
     * 0x08000001, digest recomputed from name and payload) disagree with
     * their recomputed digest */
    size_t i, n_boot = 0, n_runtime = 0;
    json_t *e;
    const char *at = G.att.event_log;
    json_array_foreach(G.events, i, e) {
        /* the i-th "digest" key of the text is event i's */
        at = strstr(at, "\"digest\":\"");
        assert_non_null(at);
        at += strlen("\"digest\":\"");
        const char *d = json_string_value(json_object_get(e, "digest"));
        assert_non_null(d);
        assert_memory_equal(at, d, strlen(d));
        size_t off = (size_t)(at - G.att.event_log) + 7;
        aegis_chain_attest t;
        with_log_byte(&t, off, G.att.event_log[off] == '0' ? '1' : '0');
        aegis_err err = verify(&t, NULL);
        if (json_integer_value(json_object_get(e, "event_type")) == 0x08000001) {
            assert_int_equal(err, AEGIS_ERR_EVENTLOG_MALFORMED);
            n_runtime++;
        } else {
            assert_int_equal(err, AEGIS_ERR_EVENTLOG_MISMATCH);
            n_boot++;
        }
        aegis_chain_attest_clear(&t);
    }
    assert_int_equal(n_boot + n_runtime, json_array_size(G.events));
    assert_true(n_boot >= 20 && n_runtime >= 8);

    /* one payload byte of the compose-hash event: its logged digest no
     * longer matches */
    const char *ch = strstr(G.att.event_log, "\"compose-hash\"");
    assert_non_null(ch);
    const char *pl = strstr(ch, "\"event_payload\":\"");
    assert_non_null(pl);
    size_t off = (size_t)(pl - G.att.event_log) + strlen("\"event_payload\":\"") + 10;
    aegis_chain_attest t;
    with_log_byte(&t, off, G.att.event_log[off] == 'a' ? 'b' : 'a');
    assert_int_equal(verify(&t, NULL), AEGIS_ERR_EVENTLOG_MALFORMED);
    aegis_chain_attest_clear(&t);
}

static void test_refused_records(void **state)
{
    (void)state;
    /* not JSON */
    aegis_chain_attest t;
    with_log_byte(&t, 0, '{');
    assert_int_equal(verify(&t, NULL), AEGIS_ERR_EVENTLOG_MALFORMED);
    aegis_chain_app_info info;
    assert_int_equal(aegis_chain_attest_app(&t, &info), AEGIS_ERR_EVENTLOG_MALFORMED);
    aegis_chain_attest_clear(&t);
    /* a sim record cannot carry a log (refused before the sim checks) */
    assert_int_equal(aegis_chain_attest_copy(&t, &G.att), AEGIS_OK);
    snprintf(t.backend, sizeof(t.backend), "sim");
    aegis_chain_verify_opts opts = { .allow_sim = true };
    const char *why = NULL;
    assert_int_equal(aegis_chain_verify_attest(&t, t.report_data, &opts, &why), AEGIS_ERR_CHAIN_ATTEST);
    assert_non_null(strstr(why, "event log"));
    aegis_chain_attest_clear(&t);
    /* the same log on a tdx record verifies (any TDX quote's RTMRs) */
    assert_int_equal(aegis_chain_attest_copy(&t, &G.att), AEGIS_OK);
    snprintf(t.backend, sizeof(t.backend), "tdx");
    assert_int_equal(verify(&t, NULL), AEGIS_OK);
    aegis_chain_attest_clear(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_tampered_events),
        cmocka_unit_test(test_refused_records),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
