/*
 * test_attest.c - DCAP verification against the real Intel quotes and
 * collateral in tests/vectors/attestation (see its README for origin):
 * expected outcomes at verify_time, validity-window edges, one error code per
 * single-byte corruption class, the collateral provider/cache, and parser
 * bounds. Expectations come from each sample's expected.json, never from
 * this verifier's own output.
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

static const char *const samples[] = { "sgx_v3_dcapqvl", "tdx_v4_dcapqvl", "tdx_v5_td15_dcapqvl",
                                       "dstack_getquote_tdx_v4" };

static char *vpath(const char *sample, const char *file)
{
    static char buf[4][1024];
    static int k;
    const char *root = getenv("AEGIS_ROOT");
    char *b = buf[k++ & 3];
    snprintf(b, 1024, "%s/tests/vectors/attestation/%s%s%s", root ? root : ".", sample, file ? "/" : "",
             file ? file : "");
    return b;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    uint8_t *p = NULL;
    assert_int_equal(aegis_file_read(path, 1 << 20, &p, len), AEGIS_OK);
    return p;
}

typedef struct sample {
    const char *name;
    uint8_t *quote;
    size_t quote_len;
    char *coll_json;
    size_t coll_len;
    aegis_collateral *coll;
    json_t *exp;      /* expected.json */
    json_t *exp_coll; /* expected.json collaterals[0] */
    int64_t t, from, until;
} sample;

static void sample_load(sample *s, const char *name)
{
    json_error_t jerr;
    const char *msg = NULL;
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->quote = slurp(vpath(name, "quote.bin"), &s->quote_len);
    s->coll_json = (char *)slurp(vpath(name, "collateral.json"), &s->coll_len);
    assert_int_equal(aegis_collateral_load_json(s->coll_json, s->coll_len, &s->coll, &msg), AEGIS_OK);
    s->exp = json_load_file(vpath(name, "expected.json"), 0, &jerr);
    assert_non_null(s->exp);
    s->exp_coll = json_array_get(json_object_get(s->exp, "collaterals"), 0);
    s->t = json_integer_value(json_object_get(s->exp_coll, "verify_time"));
    json_t *w = json_object_get(s->exp_coll, "valid_window");
    s->from = json_integer_value(json_object_get(w, "from"));
    s->until = json_integer_value(json_object_get(w, "until"));
    assert_true(s->t > 0 && s->from > 0 && s->until > s->from);
}

static void sample_free(sample *s)
{
    aegis_free(s->quote);
    aegis_free(s->coll_json);
    aegis_collateral_unref(s->coll);
    json_decref(s->exp);
}

static void assert_hex(const char *want, const uint8_t *got, size_t n)
{
    char buf[2 * 128 + 1];
    assert_non_null(want);
    aegis_hex_encode(buf, got, n);
    assert_string_equal(buf, want);
}

static const char *qfield(const sample *s, const char *obj, const char *key)
{
    json_t *o = json_object_get(s->exp, "quote");
    if (obj)
        o = json_object_get(o, obj);
    return json_string_value(json_object_get(o, key));
}

/* The outcome expected.json records for verify_time. */
static void assert_expected_outcome(const sample *s, const aegis_attest_result *r)
{
    json_t *e = json_object_get(s->exp_coll, "expected");
    if (json_is_true(json_object_get(e, "verifies"))) {
        assert_int_equal(r->err, AEGIS_OK);
        assert_true(r->verified);
        assert_string_equal(aegis_tcb_status_name(r->tcb_status),
                            json_string_value(json_object_get(e, "tcb_status")));
        json_t *adv = json_object_get(e, "advisory_ids");
        assert_int_equal(r->n_advisories, json_array_size(adv));
        for (size_t i = 0; i < r->n_advisories; i++)
            assert_string_equal(r->advisory_ids[i], json_string_value(json_array_get(adv, i)));
    } else {
        /* the only failing sample: every signature valid, no TCB level */
        assert_non_null(strstr(json_string_value(json_object_get(e, "failure")), "TCB_NOT_SUPPORTED"));
        assert_false(r->verified);
        assert_int_equal(r->err, AEGIS_ERR_TCB_NOT_SUPPORTED);
        assert_int_equal(r->tcb_status, AEGIS_TCB_NOT_SUPPORTED);
        assert_int_equal(r->qe_status, AEGIS_TCB_UP_TO_DATE); /* got past QE identity */
    }
}

static void test_samples_expected(void **state)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(samples); i++) {
        sample s;
        aegis_attest_result r;
        sample_load(&s, samples[i]);
        aegis_attest_verify(s.quote, s.quote_len, s.coll, s.t, &r);
        assert_expected_outcome(&s, &r);

        /* parsed fields against expected.json */
        const aegis_quote *q = &r.quote;
        json_t *qj = json_object_get(s.exp, "quote");
        assert_true(r.quote_parsed);
        assert_int_equal(q->version, json_integer_value(json_object_get(qj, "version")));
        assert_int_equal(q->signed_len, json_integer_value(json_object_get(qj, "signed_len")));
        assert_int_equal(q->parsed_len, json_integer_value(json_object_get(qj, "sig_data_end")));
        assert_int_equal(q->qe_auth_len, json_integer_value(json_object_get(qj, "qe_auth_data_len")));
        assert_int_equal(q->cert_len, json_integer_value(json_object_get(qj, "cert_chain_len")));
        assert_int_equal(q->cert_type, json_integer_value(json_object_get(qj, "inner_cert_type")));
        assert_hex(qfield(&s, NULL, "user_data"), q->user_data, 20);
        assert_hex(qfield(&s, "qe_report", "mr_signer"), q->qe_report.mr_signer, 32);
        assert_hex(qfield(&s, "qe_report", "cpu_svn"), q->qe_report.cpu_svn, 16);
        assert_int_equal(q->qe_report.isv_svn,
                         json_integer_value(json_object_get(json_object_get(qj, "qe_report"), "isv_svn")));
        assert_true(r.pck_parsed);
        char fm[13];
        aegis_hex_encode(fm, r.pck.fmspc, 6);
        for (char *c = fm; *c; c++)
            *c = (char)(*c >= 'a' ? *c - 32 : *c);
        assert_string_equal(fm, qfield(&s, "pck", "fmspc"));
        assert_hex(qfield(&s, "pck", "cpusvn"), r.pck.cpusvn, 16);
        assert_hex(qfield(&s, "pck", "ppid"), r.pck.ppid, 16);
        assert_hex(qfield(&s, "pck", "pceid"), r.pck.pceid, 2);
        assert_string_equal(r.pck.ca, qfield(&s, "pck", "ca"));
        assert_int_equal(r.pck.pcesvn, json_integer_value(json_object_get(json_object_get(qj, "pck"), "pcesvn")));
        if (q->tee_type == AEGIS_QUOTE_TEE_SGX) {
            assert_string_equal(aegis_quote_tee_name(q), "SGX");
            assert_hex(qfield(&s, "report", "mr_enclave"), q->sgx.mr_enclave, 32);
            assert_hex(qfield(&s, "report", "mr_signer"), q->sgx.mr_signer, 32);
            assert_hex(qfield(&s, "report", "attributes"), q->sgx.attributes, 16);
            assert_hex(qfield(&s, "report", "report_data"), q->sgx.report_data, 64);
        } else {
            const aegis_td_report *td = &q->td;
            assert_string_equal(aegis_quote_tee_name(q), "TDX");
            assert_hex(qfield(&s, "report", "mr_td"), td->mr_td, 48);
            assert_hex(qfield(&s, "report", "mr_seam"), td->mr_seam, 48);
            assert_hex(qfield(&s, "report", "tee_tcb_svn"), td->tee_tcb_svn, 16);
            assert_hex(qfield(&s, "report", "td_attributes"), td->td_attributes, 8);
            assert_hex(qfield(&s, "report", "xfam"), td->xfam, 8);
            assert_hex(qfield(&s, "report", "mr_config_id"), td->mr_config_id, 48);
            assert_hex(qfield(&s, "report", "rtmr0"), td->rtmr[0], 48);
            assert_hex(qfield(&s, "report", "rtmr1"), td->rtmr[1], 48);
            assert_hex(qfield(&s, "report", "rtmr2"), td->rtmr[2], 48);
            assert_hex(qfield(&s, "report", "rtmr3"), td->rtmr[3], 48);
            assert_hex(qfield(&s, "report", "report_data"), td->report_data, 64);
            if (q->body_type == AEGIS_QUOTE_BODY_TD15) {
                assert_hex(qfield(&s, "report", "tee_tcb_svn2"), td->tee_tcb_svn2, 16);
                assert_hex(qfield(&s, "report", "mr_service_td"), td->mr_service_td, 48);
            }
        }
        sample_free(&s);
    }
}

/* One second outside each valid_window fails; its edges behave. */
static void test_window_edges(void **state)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(samples); i++) {
        sample s;
        aegis_attest_result r;
        sample_load(&s, samples[i]);
        assert_int_equal(aegis_attest_verify(s.quote, s.quote_len, s.coll, s.from - 1, &r),
                         AEGIS_ERR_ATTEST_NOT_YET_VALID);
        assert_false(r.verified);
        assert_int_equal(aegis_attest_verify(s.quote, s.quote_len, s.coll, s.until + 1, &r),
                         AEGIS_ERR_ATTEST_EXPIRED);
        assert_false(r.verified);
        /* windows are [from, until): `from` is inside, `until` is not */
        aegis_attest_verify(s.quote, s.quote_len, s.coll, s.from, &r);
        assert_expected_outcome(&s, &r);
        assert_int_equal(aegis_attest_verify(s.quote, s.quote_len, s.coll, s.until, &r),
                         AEGIS_ERR_ATTEST_EXPIRED);
        /* years away: the certificates too */
        assert_int_equal(aegis_attest_verify(s.quote, s.quote_len, s.coll, 0, &r), AEGIS_ERR_ATTEST_NOT_YET_VALID);
        assert_int_equal(aegis_attest_verify(s.quote, s.quote_len, s.coll, 4102444800ll, &r),
                         AEGIS_ERR_ATTEST_EXPIRED);
        sample_free(&s);
    }
}

static aegis_err verify_mutated(const sample *s, size_t off, uint8_t xor_mask)
{
    aegis_attest_result r;
    uint8_t *q = aegis_malloc(s->quote_len);
    assert_non_null(q);
    memcpy(q, s->quote, s->quote_len);
    q[off] ^= xor_mask;
    aegis_err err = aegis_attest_verify(q, s->quote_len, s->coll, s->t, &r);
    assert_false(r.verified);
    aegis_free(q);
    return err;
}

/* Load the sample's collateral with one character of one string field changed. */
static aegis_err load_mutated_collateral(const sample *s, const char *key, size_t pos)
{
    json_error_t jerr;
    json_t *o = json_loadb(s->coll_json, s->coll_len, 0, &jerr);
    assert_non_null(o);
    char *v = aegis_strdup(json_string_value(json_object_get(o, key)));
    assert_non_null(v);
    assert_true(pos < strlen(v));
    /* stay inside the alphabet of the field (hex digit, base64 or JSON digit) */
    v[pos] = v[pos] == '1' ? '2' : v[pos] == 'A' ? 'B' : v[pos] == 'a' ? 'b' : '1';
    json_object_set_new(o, key, json_string(v));
    char *txt = json_dumps(o, 0);
    aegis_collateral *c = NULL;
    const char *msg;
    aegis_err err = aegis_collateral_load_json(txt, strlen(txt), &c, &msg);
    aegis_collateral_unref(c);
    free(txt);
    aegis_free(v);
    json_decref(o);
    return err;
}

/* Each corruption class has its own, stable code. */
static void test_corruption_classes(void **state)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(samples); i++) {
        sample s;
        aegis_attest_result r;
        sample_load(&s, samples[i]);
        aegis_attest_verify(s.quote, s.quote_len, s.coll, s.t, &r);
        const aegis_quote *q = &r.quote;
        size_t sig_off = q->signed_len + 4;                         /* ECDSA signature */
        size_t qe_off = sig_off + 128 + (q->version >= 4 ? 6 : 0);  /* QE report */
        size_t body = q->version == 5 ? 54 : 48;
        size_t cert_off = (size_t)(q->cert_data - s.quote);

        aegis_err codes[9];
        codes[0] = verify_mutated(&s, 12, 0x01); /* header: QE vendor id */
        assert_int_equal(codes[0], AEGIS_ERR_QUOTE_HEADER);
        /* body: SGX ATTRIBUTES.INIT cleared / TD_ATTRIBUTES reserved bit 8 set */
        codes[1] = q->tee_type == AEGIS_QUOTE_TEE_SGX ? verify_mutated(&s, body + 48, 0x01)
                                                      : verify_mutated(&s, body + 121, 0x01);
        assert_int_equal(codes[1], AEGIS_ERR_QUOTE_BODY);
        codes[2] = verify_mutated(&s, sig_off + 10, 0x40); /* quote signature */
        assert_int_equal(codes[2], AEGIS_ERR_QUOTE_BAD_SIG);
        codes[3] = verify_mutated(&s, qe_off + 320 + 5, 0x01); /* QE report (report_data) */
        assert_int_equal(codes[3], AEGIS_ERR_QE_REPORT_BINDING);
        codes[4] = verify_mutated(&s, qe_off + 384 + 7, 0x01); /* QE report signature */
        assert_int_equal(codes[4], AEGIS_ERR_QE_REPORT_BAD_SIG);
        /* certificate: one base64 character inside the PCK leaf's signed part */
        {
            uint8_t c = s.quote[cert_off + 300];
            assert_true((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
            uint8_t flip = (c == 'A') ? ('A' ^ 'B') : (c ^ 'A');
            codes[5] = verify_mutated(&s, cert_off + 300, flip);
            assert_int_equal(codes[5], AEGIS_ERR_PCK_CHAIN);
        }
        codes[6] = load_mutated_collateral(&s, "pck_crl", 300); /* CRL */
        assert_int_equal(codes[6], AEGIS_ERR_CRL);
        assert_int_equal(load_mutated_collateral(&s, "root_ca_crl", 200), AEGIS_ERR_CRL);
        codes[7] = load_mutated_collateral(&s, "tcb_info", 150); /* TCB info */
        assert_int_equal(codes[7], AEGIS_ERR_TCB_INFO_BAD_SIG);
        assert_int_equal(load_mutated_collateral(&s, "tcb_info_signature", 20), AEGIS_ERR_TCB_INFO_BAD_SIG);
        codes[8] = load_mutated_collateral(&s, "qe_identity", 100); /* QE identity */
        assert_int_equal(codes[8], AEGIS_ERR_QE_IDENTITY_BAD_SIG);
        assert_int_equal(load_mutated_collateral(&s, "tcb_info_issuer_chain", 400), AEGIS_ERR_COLLATERAL_CHAIN);
        for (int a = 0; a < 9; a++)
            for (int b = a + 1; b < 9; b++)
                assert_int_not_equal(codes[a], codes[b]);

        /* Any single-byte change of the signed region, signature data (the
         * PEM text aside) or the padding fails. */
        for (size_t off = 0; off < s.quote_len; off += 3) {
            if (off >= cert_off && off < cert_off + q->cert_len)
                continue;
            assert_int_not_equal(verify_mutated(&s, off, 0x10), AEGIS_OK);
        }
        sample_free(&s);
    }
}

static void test_mismatched_collateral(void **state)
{
    sample sgx, tdx, td15;
    aegis_attest_result r;
    sample_load(&sgx, "sgx_v3_dcapqvl");
    sample_load(&tdx, "tdx_v4_dcapqvl");
    sample_load(&td15, "tdx_v5_td15_dcapqvl");
    assert_int_equal(aegis_attest_verify(sgx.quote, sgx.quote_len, tdx.coll, tdx.t, &r), AEGIS_ERR_COLLATERAL_MISMATCH);
    /* same PCK CA, other FMSPC: the chain is fine, the platform is not */
    assert_int_equal(aegis_attest_verify(tdx.quote, tdx.quote_len, td15.coll, td15.t, &r), AEGIS_ERR_FMSPC_MISMATCH);
    aegis_collateral_info info;
    aegis_collateral_get_info(sgx.coll, &info);
    assert_int_equal(info.tee_type, AEGIS_QUOTE_TEE_SGX);
    assert_string_equal(info.ca, "processor");
    assert_int_equal(info.valid_from, sgx.from);
    assert_int_equal(info.valid_until, sgx.until);
    assert_int_equal(info.tcb_eval_number, 17);
    sample_free(&sgx);
    sample_free(&tdx);
    sample_free(&td15);
}

static void test_provider_cache(void **state)
{
    aegis_collateral_provider prov;
    aegis_collateral_cache *cache = NULL;
    const char *msg;
    assert_int_equal(aegis_collateral_provider_path(vpath("", NULL), &prov, &msg), AEGIS_OK);
    assert_int_equal(aegis_collateral_cache_new(&prov, &cache), AEGIS_OK);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < AEGIS_ARRAY_LEN(samples); i++) {
            sample s;
            aegis_attest_result r;
            sample_load(&s, samples[i]);
            aegis_attest_verify_cached(s.quote, s.quote_len, cache, s.t, &r);
            assert_expected_outcome(&s, &r);
            sample_free(&s);
        }
    uint8_t fmspc[6] = { 0xde, 0xad, 0, 0, 0, 0 };
    aegis_collateral *c = NULL;
    assert_int_equal(aegis_collateral_cache_get(cache, AEGIS_QUOTE_TEE_TDX, fmspc, "platform", 1774003274, &c, &msg),
                     AEGIS_ERR_COLLATERAL_NOT_FOUND);
    aegis_collateral_cache_free(cache);
    aegis_collateral_provider_clear(&prov);

    /* a single file is a provider too */
    assert_int_equal(aegis_collateral_provider_path(vpath("sgx_v3_dcapqvl", "collateral.json"), &prov, &msg), AEGIS_OK);
    uint8_t sgx_fmspc[6] = { 0x00, 0xa0, 0x67, 0x11, 0x00, 0x00 };
    assert_int_equal(prov.ops->get(prov.ctx, AEGIS_QUOTE_TEE_SGX, sgx_fmspc, "processor", &c, &msg), AEGIS_OK);
    aegis_collateral_unref(c);
    assert_int_equal(prov.ops->get(prov.ctx, AEGIS_QUOTE_TEE_SGX, sgx_fmspc, "platform", &c, &msg),
                     AEGIS_ERR_COLLATERAL_NOT_FOUND);
    aegis_collateral_provider_clear(&prov);
    assert_int_equal(aegis_collateral_provider_path("/nonexistent/x", &prov, &msg), AEGIS_ERR_IO);
}

static void test_parser_bounds(void **state)
{
    sample s;
    aegis_quote q;
    const char *msg;
    sample_load(&s, "tdx_v5_td15_dcapqvl");
    assert_int_equal(aegis_quote_parse(s.quote, s.quote_len, &q, &msg), AEGIS_OK);
    assert_int_equal(q.body_type, AEGIS_QUOTE_BODY_TD15);
    assert_int_equal(q.body_size, 648);
    /* every truncation fails cleanly */
    for (size_t n = 0; n < s.quote_len; n++)
        assert_int_not_equal(aegis_quote_parse(s.quote, n, &q, &msg), AEGIS_OK);
    uint8_t *b = aegis_malloc(s.quote_len + 16);
    assert_non_null(b);
    memcpy(b, s.quote, s.quote_len);
    memset(b + s.quote_len, 0, 16); /* zero padding is fine */
    assert_int_equal(aegis_quote_parse(b, s.quote_len + 16, &q, &msg), AEGIS_OK);
    b[s.quote_len + 15] = 1; /* non-zero trailing bytes are not */
    assert_int_equal(aegis_quote_parse(b, s.quote_len + 16, &q, &msg), AEGIS_ERR_QUOTE_MALFORMED);
    b[s.quote_len + 15] = 0;
    b[50] = 0x49; /* v5 body size no longer matches body type 3 */
    assert_int_equal(aegis_quote_parse(b, s.quote_len, &q, &msg), AEGIS_ERR_QUOTE_MALFORMED);
    b[50] = 0x88;
    b[48] = 4; /* unknown body type */
    assert_int_equal(aegis_quote_parse(b, s.quote_len, &q, &msg), AEGIS_ERR_QUOTE_UNSUPPORTED);
    b[48] = 3;
    b[0] = 6; /* version */
    assert_int_equal(aegis_quote_parse(b, s.quote_len, &q, &msg), AEGIS_ERR_QUOTE_UNSUPPORTED);
    b[0] = 5;
    b[2] = 3; /* attestation key type */
    assert_int_equal(aegis_quote_parse(b, s.quote_len, &q, &msg), AEGIS_ERR_QUOTE_UNSUPPORTED);
    b[2] = 2;
    /* signature data length one larger than what is there */
    size_t sl = q.signed_len;
    b[sl] = (uint8_t)(b[sl] + 1);
    assert_int_equal(aegis_quote_parse(b, s.quote_len, &q, &msg), AEGIS_ERR_QUOTE_MALFORMED);
    aegis_free(b);
    sample_free(&s);

    /* status names round-trip */
    for (int i = 0; i < AEGIS_TCB__COUNT; i++) {
        aegis_tcb_status st;
        assert_int_equal(aegis_tcb_status_parse(aegis_tcb_status_name((aegis_tcb_status)i), &st), AEGIS_OK);
        assert_int_equal(st, i);
    }
    size_t rl;
    aegis_attest_intel_root_der(&rl);
    assert_int_equal(rl, 659);
}

/* SGX in the v4 and v5 layouts: the v3 sample re-wrapped (type-6
 * certification data; v5 body descriptor type 1). Everything parses to the
 * same values; verification then fails only on the quote signature, which
 * covered the original v3 header. */
static void test_parser_sgx_v4_v5(void **state)
{
    sample s;
    aegis_quote q3, q;
    aegis_attest_result r;
    const char *msg;
    sample_load(&s, "sgx_v3_dcapqvl");
    assert_int_equal(aegis_quote_parse(s.quote, s.quote_len, &q3, &msg), AEGIS_OK);
    const uint8_t *sd = s.quote + 436;
    size_t sdl = s.quote_len - 436, inner = sdl - 128;
    for (int v = 4; v <= 5; v++) {
        size_t hdr = v == 5 ? 54 : 48, n = hdr + 384 + 4 + sdl + 6;
        uint8_t *b = aegis_calloc(1, n);
        assert_non_null(b);
        memcpy(b, s.quote, 48);
        b[0] = (uint8_t)v;
        if (v == 5) {
            b[48] = 1;
            b[50] = 384 & 0xff;
            b[51] = 384 >> 8;
        }
        memcpy(b + hdr, s.quote + 48, 384);
        size_t o = hdr + 384;
        uint32_t l = (uint32_t)(sdl + 6);
        memcpy(b + o, &l, 4); /* little-endian host */
        memcpy(b + o + 4, sd, 128);
        b[o + 4 + 128] = 6;
        uint32_t il = (uint32_t)inner;
        memcpy(b + o + 4 + 130, &il, 4);
        memcpy(b + o + 4 + 134, sd + 128, inner);
        assert_int_equal(aegis_quote_parse(b, n, &q, &msg), AEGIS_OK);
        assert_int_equal(q.version, v);
        assert_int_equal(q.body_type, AEGIS_QUOTE_BODY_SGX);
        assert_memory_equal(&q.sgx, &q3.sgx, sizeof(q.sgx));
        assert_memory_equal(q.qe_report_raw, q3.qe_report_raw, 384);
        assert_int_equal(q.cert_len, q3.cert_len);
        assert_int_equal(q.signed_len, hdr + 384);
        assert_int_equal(aegis_attest_verify(b, n, s.coll, s.t, &r), AEGIS_ERR_QUOTE_BAD_SIG);
        aegis_free(b);
    }
    sample_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_expected),
        cmocka_unit_test(test_window_edges),
        cmocka_unit_test(test_corruption_classes),
        cmocka_unit_test(test_mismatched_collateral),
        cmocka_unit_test(test_provider_cache),
        cmocka_unit_test(test_parser_bounds),
        cmocka_unit_test(test_parser_sgx_v4_v5),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
