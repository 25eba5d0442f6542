/*
 * test_chain_policy.c - each platform its own attestation policy
 * (docs/internals/attestation-batches.md): the verifier's policy file
 * (flat, or sectioned per platform with require_backup / require_primary),
 * and records of the real quotes in tests/vectors/attestation checked each
 * against its own platform's policy: the TDX v4 quote against TDX
 * measurements, the dstack GetQuote (with its event log) against the
 * dstack app id, compose hash and OS image (MRTD, RTMR0-2).
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

#define VEC "tests/vectors/attestation"
#define TDX_TIME 1752919234
#define DSTACK_TIME 1774003274

static struct {
    char root[512];
    aegis_chain_attest tdx, dst;   /* real records: TDX v4 quote; dstack quote + event log */
    aegis_quote qt, qd;            /* their parsed quotes */
    uint8_t app_id[20], compose_hash[32];
    char coll_dir[700];
} G;

static void hex(char *out, const uint8_t *v, size_t n)
{
    aegis_hex_encode(out, v, n);
}

static int setup(void **state)
{
    (void)state;
    const char *r = getenv("AEGIS_ROOT");
    char p[700];
    snprintf(G.root, sizeof(G.root), "%s", r ? r : ".");
    snprintf(G.coll_dir, sizeof(G.coll_dir), "%s/" VEC, G.root);

    snprintf(p, sizeof(p), "%s/" VEC "/tdx_v4_dcapqvl/quote.bin", G.root);
    if (aegis_file_read(p, 1 << 20, &G.tdx.quote, &G.tdx.quote_len) != AEGIS_OK ||
        aegis_quote_parse(G.tdx.quote, G.tdx.quote_len, &G.qt, NULL) != AEGIS_OK)
        return -1;
    memcpy(G.tdx.report_data, G.qt.td.report_data, 64);
    snprintf(G.tdx.backend, sizeof(G.tdx.backend), "tdx");
    snprintf(G.tdx.mode, sizeof(G.tdx.mode), "per-batch");

    snprintf(p, sizeof(p), "%s/" VEC "/dstack_getquote_tdx_v4/getquote_response.json", G.root);
    json_t *resp = json_load_file(p, 0, NULL);
    const char *qhex = json_string_value(json_object_get(resp, "quote"));
    const char *ev = json_string_value(json_object_get(resp, "event_log"));
    if (!qhex || !ev || aegis_hex_decode_alloc(qhex, 1 << 20, &G.dst.quote, &G.dst.quote_len) != AEGIS_OK ||
        aegis_quote_parse(G.dst.quote, G.dst.quote_len, &G.qd, NULL) != AEGIS_OK)
        return -1;
    G.dst.quote_len = G.qd.parsed_len;
    memcpy(G.dst.report_data, G.qd.td.report_data, 64);
    snprintf(G.dst.backend, sizeof(G.dst.backend), "dstack");
    snprintf(G.dst.mode, sizeof(G.dst.mode), "per-batch");
    G.dst.event_log = aegis_strndup(ev, strlen(ev));
    G.dst.event_log_len = strlen(ev);
    json_decref(resp);
    aegis_chain_app_info info;
    if (aegis_chain_attest_app(&G.dst, &info) != AEGIS_OK || !info.has_app_id || !info.has_compose_hash)
        return -1;
    memcpy(G.app_id, info.app_id, 20);
    memcpy(G.compose_hash, info.compose_hash, 32);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    aegis_chain_attest_clear(&G.tdx);
    aegis_chain_attest_clear(&G.dst);
    return 0;
}

/* A sectioned policy naming the real measurements; `flip` changes one
 * byte of the named value ("tdx.mrtd", "dstack.app_id", "dstack.os_image",
 * "dstack.compose_hash") so it no longer matches. */
static char *policy_text(const char *flip)
{
    uint8_t mrtd_t[48], app[20], ch[32], img[4][48];
    memcpy(mrtd_t, G.qt.td.mr_td, 48);
    memcpy(app, G.app_id, 20);
    memcpy(ch, G.compose_hash, 32);
    memcpy(img[0], G.qd.td.mr_td, 48);
    for (int i = 0; i < 3; i++)
        memcpy(img[i + 1], G.qd.td.rtmr[i], 48);
    if (flip && strcmp(flip, "tdx.mrtd") == 0)
        mrtd_t[5] ^= 1;
    if (flip && strcmp(flip, "dstack.app_id") == 0)
        app[0] ^= 1;
    if (flip && strcmp(flip, "dstack.compose_hash") == 0)
        ch[31] ^= 1;
    if (flip && strcmp(flip, "dstack.os_image") == 0)
        img[2][10] ^= 1;   /* RTMR1 of the image */
    char h_mrtd[97], h_app[41], h_ch[65], h_img[4][97];
    hex(h_mrtd, mrtd_t, 48);
    hex(h_app, app, 20);
    hex(h_ch, ch, 32);
    for (int i = 0; i < 4; i++)
        hex(h_img[i], img[i], 48);
    char *s = aegis_malloc(4096);
    snprintf(s, 4096,
             "{\"require_backup\": true,"
             " \"tdx\": {\"mrtd\": [\"%s\"]},"
             " \"dstack\": {\"app_id\": [\"%s\"], \"compose_hash\": [\"%s\"],"
             "   \"os_image\": [{\"mrtd\": \"%s\", \"rtmr0\": \"%s\", \"rtmr1\": \"%s\", \"rtmr2\": \"%s\"}]}}",
             h_mrtd, h_app, h_ch, h_img[0], h_img[1], h_img[2], h_img[3]);
    return s;
}

static aegis_err verify(const aegis_chain_attest *a, const aegis_chain_verify_opts *base)
{
    aegis_chain_verify_opts o = *base;
    o.collateral_dir = G.coll_dir;
    o.verify_at = strcmp(a->backend, "tdx") == 0 && a->quote == G.tdx.quote ? TDX_TIME : DSTACK_TIME;
    const char *why = NULL;
    return aegis_chain_verify_attest(a, a->report_data, &o, &why);
}

static void test_policy_file_forms(void **state)
{
    (void)state;
    aegis_chain_policy p;
    const char *why = NULL;
    /* flat: one policy for every platform, no requirements */
    const char *flat = "{\"allow_debug\": false, \"mrtd\": []}";
    assert_int_equal(aegis_chain_policy_load_json(flat, strlen(flat), &p, &why), AEGIS_OK);
    assert_non_null(p.all);
    assert_null(p.tdx);
    assert_null(p.dstack);
    assert_false(p.require_backup);
    aegis_chain_policy_clear(&p);
    /* sectioned */
    char *s = policy_text(NULL);
    assert_int_equal(aegis_chain_policy_load_json(s, strlen(s), &p, &why), AEGIS_OK);
    assert_true(p.require_backup);
    assert_false(p.require_primary);
    assert_true(p.has_tdx && p.has_dstack);
    assert_int_equal(p.tdx->mrtd.n, 1);
    assert_int_equal(p.dstack->app_id.n, 1);
    assert_int_equal(p.dstack->n_os_image, 1);
    assert_int_equal(p.all->mrtd.n, 0);   /* sim: defaults */
    aegis_chain_policy_clear(&p);
    /* a sectioned file: a platform without a section gets the defaults, not
     * another section (here the sim section's MRTD pin must not reach tdx) */
    const char *only_sim = "{\"require_primary\": true, \"sim\": {\"mrtd\": [\""
                           "000000000000000000000000000000000000000000000000"
                           "000000000000000000000000000000000000000000000000\"]}}";
    assert_int_equal(aegis_chain_policy_load_json(only_sim, strlen(only_sim), &p, &why), AEGIS_OK);
    assert_false(p.has_tdx || p.has_dstack);
    assert_true(p.require_primary);
    assert_int_equal(p.all->mrtd.n, 1);
    assert_non_null(p.tdx);
    assert_int_equal(p.tdx->mrtd.n, 0);
    aegis_chain_verify_opts os = { 0 };
    aegis_chain_policy_apply(&p, &os);
    assert_int_equal(verify(&G.tdx, &os), AEGIS_OK);
    assert_int_equal(verify(&G.dst, &os), AEGIS_OK);
    aegis_chain_policy_clear(&p);
    aegis_free(s);
    s = policy_text(NULL);
    assert_int_equal(aegis_chain_policy_load_json(s, strlen(s), &p, &why), AEGIS_OK);
    aegis_chain_verify_opts o = { 0 };
    aegis_chain_policy_apply(&p, &o);
    assert_true(o.require_backup);
    assert_ptr_equal(o.tdx_policy, p.tdx);
    assert_ptr_equal(o.dstack_policy, p.dstack);
    aegis_chain_policy_clear(&p);
    aegis_free(s);
    /* errors: each names what is wrong */
    static const char *const bad[] = {
        "[]",
        "{\"require_backup\": 1}",
        "{\"tdx\": {}, \"mrtd\": []}",                        /* flat key beside sections */
        "{\"tdx\": {\"no_such_key\": 1}}",
        "{\"dstack\": {\"os_image\": [{\"mrtd\": \"00\"}]}}",    /* incomplete tuple */
        "{\"dstack\": []}",
        "{\"require_primary\": true, \"require_primary\": true}",
        "{\"nonsense\": true}",                               /* flat, unknown key */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        assert_int_equal(aegis_chain_policy_load_json(bad[i], strlen(bad[i]), &p, &why), AEGIS_ERR_POLICY_MALFORMED);
        assert_non_null(why);
        aegis_chain_policy_clear(&p);
    }
    assert_int_not_equal(aegis_chain_policy_load_file("/nonexistent/policy.json", &p, &why), AEGIS_OK);
    aegis_chain_policy_clear(&p);
}

static void test_each_platform_its_own(void **state)
{
    (void)state;
    aegis_chain_policy p;
    const char *why = NULL;
    char *s = policy_text(NULL);
    assert_int_equal(aegis_chain_policy_load_json(s, strlen(s), &p, &why), AEGIS_OK);
    aegis_free(s);
    aegis_chain_verify_opts o = { 0 };
    aegis_chain_policy_apply(&p, &o);
    /* both real records pass, each under its own platform's policy */
    assert_int_equal(verify(&G.tdx, &o), AEGIS_OK);
    assert_int_equal(verify(&G.dst, &o), AEGIS_OK);
    /* one shared policy (the old behaviour) cannot express this: the dstack
     * policy's OS image (and app lists: no event log) refuse the TDX primary */
    aegis_chain_verify_opts shared = { .policy = p.dstack };
    assert_int_equal(verify(&G.tdx, &shared), AEGIS_ERR_POLICY_MEASUREMENT);
    /* a dstack record relabelled "tdx" meets the TDX policy, and fails it */
    aegis_chain_attest relabel = G.dst;
    snprintf(relabel.backend, sizeof(relabel.backend), "tdx");
    assert_int_equal(verify(&relabel, &o), AEGIS_ERR_POLICY_MEASUREMENT);
    /* the TDX quote labelled "dstack" is not the dstack OS image (and has
     * no event log for the app lists) */
    relabel = G.tdx;
    relabel.event_log = NULL;
    snprintf(relabel.backend, sizeof(relabel.backend), "dstack");
    assert_int_equal(aegis_chain_verify_attest(&relabel, relabel.report_data,
                                               &(aegis_chain_verify_opts){ .collateral_dir = G.coll_dir,
                                                                           .verify_at = TDX_TIME,
                                                                           .dstack_policy = p.dstack },
                                               &why),
                     AEGIS_ERR_POLICY_MEASUREMENT);
    aegis_chain_policy_clear(&p);

    /* one value off in one platform's policy fails that platform only */
    static const struct { const char *flip; aegis_err tdx, dst; } cases[] = {
        { "tdx.mrtd", AEGIS_ERR_POLICY_MEASUREMENT, AEGIS_OK },
        { "dstack.app_id", AEGIS_OK, AEGIS_ERR_POLICY_APP },
        { "dstack.compose_hash", AEGIS_OK, AEGIS_ERR_POLICY_APP },
        { "dstack.os_image", AEGIS_OK, AEGIS_ERR_POLICY_MEASUREMENT },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s = policy_text(cases[i].flip);
        assert_int_equal(aegis_chain_policy_load_json(s, strlen(s), &p, &why), AEGIS_OK);
        aegis_free(s);
        aegis_chain_verify_opts oc = { 0 };
        aegis_chain_policy_apply(&p, &oc);
        assert_int_equal(verify(&G.tdx, &oc), cases[i].tdx);
        assert_int_equal(verify(&G.dst, &oc), cases[i].dst);
        aegis_chain_policy_clear(&p);
    }
}

static void test_os_image_policy(void **state)
{
    (void)state;
    /* the flat attest policy's os_image: all four registers must match one
     * entry; the dstack quote's own image passes, the TDX sample's fails */
    aegis_attest_policy pol;
    aegis_attest_policy_init(&pol);
    pol.n_os_image = 1;
    memcpy(pol.os_image[0].mrtd, G.qd.td.mr_td, 48);
    for (int i = 0; i < 3; i++)
        memcpy(pol.os_image[0].rtmr[i], G.qd.td.rtmr[i], 48);
    aegis_chain_verify_opts o = { .policy = &pol };
    assert_int_equal(verify(&G.dst, &o), AEGIS_OK);
    assert_int_equal(verify(&G.tdx, &o), AEGIS_ERR_POLICY_MEASUREMENT);
    /* the same registers spread over two entries do not combine */
    pol.n_os_image = 2;
    memcpy(&pol.os_image[1], &pol.os_image[0], sizeof(pol.os_image[0]));
    pol.os_image[0].rtmr[2][0] ^= 1;
    pol.os_image[1].mrtd[0] ^= 1;
    assert_int_equal(verify(&G.dst, &o), AEGIS_ERR_POLICY_MEASUREMENT);
    /* the image's registers only (RTMR3, the app's runtime events, is not one) */
    pol.n_os_image = 1;
    pol.os_image[0].rtmr[2][0] ^= 1;
    assert_int_equal(verify(&G.dst, &o), AEGIS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_file_forms),
        cmocka_unit_test(test_each_platform_its_own),
        cmocka_unit_test(test_os_image_policy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
