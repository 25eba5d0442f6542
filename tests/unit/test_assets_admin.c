/*
 * test_assets_admin.c - signed admin requests (signature, unknown key,
 * replay, stale timestamp, malformed, every op) and the hash-chained audit
 * log (byte tampering, removal, reordering, truncation, signatures, resume).
 */
/* GCC 12 reports -Wdangling-pointer at -O2 on `req` here although every use
 * follows a fresh sign() (the local's address escapes into
 * aegis_assets_admin_sign through cmocka's assert macros): a known false
 * positive of that release, valgrind- and ASan-clean. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/assets.h"

#define NOW 1700000000000ull

typedef struct fx {
    uint8_t pk[AEGIS_MLDSA87_PK_BYTES], sk[AEGIS_MLDSA87_SK_BYTES];
    uint8_t pk2[AEGIS_MLDSA87_PK_BYTES], sk2[AEGIS_MLDSA87_SK_BYTES];
    aegis_assets *reg;
    aegis_assets_admin *adm;
    aegis_audit *log;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    uint8_t seed[32];
    memset(seed, 7, 32);
    if (aegis_mldsa87_keygen_seed(f->pk, f->sk, seed) != AEGIS_OK)
        return -1;
    memset(seed, 8, 32);
    if (aegis_mldsa87_keygen_seed(f->pk2, f->sk2, seed) != AEGIS_OK)
        return -1;
    aegis_assets_config cfg = { .enable_asset_protection = true, .enable_migration = true };
    if (aegis_assets_new(&cfg, &f->reg) || aegis_assets_admin_new(0, &f->adm) || aegis_audit_new(&f->log) ||
        aegis_assets_admin_add_key(f->adm, f->pk))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    aegis_assets_free(f->reg);
    aegis_assets_admin_free(f->adm);
    aegis_audit_free(f->log);
    free(f);
    return 0;
}

static const char *ADD_USDC =
    "{\"asset\":{\"id\":\"usdc\",\"type\":\"token\",\"level\":2,\"threshold\":6000,"
    "\"locator\":{\"chain_id\":1,\"contract\":\"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\"},"
    "\"policy\":{\"ops\":[\"transfer\",\"migrate\"],\"value_limit\":\"1000000\"}}}";

static char *sign(fx *f, const char *op, const char *params, uint64_t seq, uint64_t ts, bool second_key)
{
    char *req = NULL;
    assert_int_equal(aegis_assets_admin_sign(op, params, seq, ts, second_key ? f->sk2 : f->sk,
                                             second_key ? f->pk2 : f->pk, &req), AEGIS_OK);
    return req;
}

static aegis_err submit(fx *f, const char *req, aegis_admin_result *res)
{
    const char *msg = NULL;
    aegis_admin_result tmp;
    aegis_err err = aegis_assets_admin_submit(f->adm, f->reg, f->log, req, strlen(req), NOW, res ? res : &tmp, &msg);
    if (!res && err == AEGIS_OK)
        aegis_admin_result_clear(&tmp);
    return err;
}

static aegis_err do_op(fx *f, const char *op, const char *params, uint64_t seq)
{
    char *req = sign(f, op, params, seq, NOW, false);
    aegis_err err = submit(f, req, NULL);
    aegis_free(req);
    return err;
}

static void test_admin_add_and_result(void **state)
{
    fx *f = *state;
    char *req = sign(f, "add", ADD_USDC, 1, NOW, false);
    aegis_admin_result res;
    assert_int_equal(submit(f, req, &res), AEGIS_OK);
    assert_string_equal(res.op, "add");
    assert_non_null(res.record);
    assert_int_equal(strlen(res.record), res.record_len);
    uint8_t h[32];
    assert_int_equal(aegis_assets_hash(f->reg, h), AEGIS_OK);
    assert_memory_equal(res.registry_hash, h, 32);
    aegis_asset a;
    assert_int_equal(aegis_assets_get(f->reg, "usdc", &a), AEGIS_OK);
    assert_int_equal(a.level, 2);
    assert_int_equal(a.policy.ops, AEGIS_ASSET_OP_TRANSFER | AEGIS_ASSET_OP_MIGRATE);
    assert_int_equal(aegis_audit_count(f->log), 1);
    /* the result's record is what the log exports */
    char *line;
    size_t n;
    assert_int_equal(aegis_audit_record_json(f->log, 0, &line, &n), AEGIS_OK);
    assert_string_equal(line, res.record);
    aegis_free(line);
    aegis_admin_result_clear(&res);
    /* replay of the very same request */
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_REPLAY);
    aegis_free(req);
    assert_int_equal(aegis_audit_count(f->log), 1);
}

static void test_admin_rejections(void **state)
{
    fx *f = *state;
    const char *msg = NULL;
    aegis_admin_result res;
    /* unknown key: valid signature by a key not listed */
    char *req = sign(f, "add", ADD_USDC, 1, NOW, true);
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_UNKNOWN_KEY);
    aegis_free(req);
    /* stale and future timestamps */
    req = sign(f, "add", ADD_USDC, 1, NOW - AEGIS_ADMIN_DEFAULT_SKEW_MS - 1, false);
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_STALE);
    aegis_free(req);
    req = sign(f, "add", ADD_USDC, 1, NOW + AEGIS_ADMIN_DEFAULT_SKEW_MS + 1, false);
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_STALE);
    aegis_free(req);
    /* at the edge of the skew: accepted */
    req = sign(f, "add", ADD_USDC, 5, NOW - AEGIS_ADMIN_DEFAULT_SKEW_MS, false);
    assert_int_equal(submit(f, req, NULL), AEGIS_OK);
    aegis_free(req);
    /* lower sequence after 5 */
    req = sign(f, "remove", "{\"id\":\"usdc\"}", 4, NOW, false);
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_REPLAY);
    aegis_free(req);
    req = sign(f, "remove", "{\"id\":\"usdc\"}", 5, NOW, false);
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_REPLAY);
    aegis_free(req);
    /* bad signature: one signature nibble changed */
    req = sign(f, "remove", "{\"id\":\"usdc\"}", 6, NOW, false);
    size_t off = (size_t)(strstr(req, "\"sig\":\"") - req) + 7 + 100;
    req[off] = req[off] == '0' ? '1' : '0';
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_BAD_SIG);
    aegis_free(req);
    /* params changed after signing */
    req = sign(f, "set_state", "{\"id\":\"usdc\",\"state\":\"frozen\"}", 6, NOW, false);
    off = (size_t)(strstr(req, "frozen") - req);
    memcpy(req + off, "active", 6);
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_BAD_SIG);
    aegis_free(req);
    /* seq changed after signing */
    req = sign(f, "remove", "{\"id\":\"usdc\"}", 6, NOW, false);
    off = (size_t)(strstr(req, "\"seq\":6") - req);
    req[off + 6] = '9';
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_BAD_SIG);
    aegis_free(req);
    /* failed attempts consumed nothing: seq 6 still works */
    req = sign(f, "set_state", "{\"id\":\"usdc\",\"state\":\"protected\"}", 6, NOW, false);
    assert_int_equal(submit(f, req, NULL), AEGIS_OK);
    aegis_free(req);
    /* malformed */
    const char *junk[] = { "", "[]", "{}", "{\"v\":1}", "nope", "{\"v\":1,\"op\":\"add\"}" };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(junk); i++)
        assert_int_equal(aegis_assets_admin_submit(f->adm, f->reg, f->log, junk[i], strlen(junk[i]), NOW, &res, &msg),
                         AEGIS_ERR_ADMIN_MALFORMED);
    /* an extra top-level key */
    req = sign(f, "remove", "{\"id\":\"usdc\"}", 7, NOW, false);
    char *x = malloc(strlen(req) + 16);
    sprintf(x, "{\"x\":1,%s", req + 1);
    assert_int_equal(submit(f, x, NULL), AEGIS_ERR_ADMIN_MALFORMED);
    free(x);
    aegis_free(req);
    /* unknown op (signed) */
    req = sign(f, "destroy", "{}", 8, NOW, false);
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_UNKNOWN_OP);
    aegis_free(req);
    /* authenticated but failing op: error, sequence consumed, nothing audited */
    size_t before = aegis_audit_count(f->log);
    req = sign(f, "set_state", "{\"id\":\"usdc\",\"state\":\"migrated\"}", 9, NOW, false);
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ASSET_BAD_TRANSITION);
    assert_int_equal(submit(f, req, NULL), AEGIS_ERR_ADMIN_REPLAY);
    aegis_free(req);
    assert_int_equal(aegis_audit_count(f->log), before);
}

static void test_admin_ops(void **state)
{
    fx *f = *state;
    uint64_t seq = 1;
    assert_int_equal(do_op(f, "add", ADD_USDC, seq++), AEGIS_OK);
    assert_int_equal(do_op(f, "add", ADD_USDC, seq++), AEGIS_ERR_ASSET_EXISTS);
    assert_int_equal(do_op(f, "update_policy",
                           "{\"id\":\"usdc\",\"level\":3,\"policy\":{\"ops\":[\"approve\"],\"witness_required\":true,"
                           "\"roles\":[\"treasury\"]}}", seq++), AEGIS_OK);
    aegis_asset a;
    assert_int_equal(aegis_assets_get(f->reg, "usdc", &a), AEGIS_OK);
    assert_int_equal(a.level, 3);
    assert_int_equal(a.threshold, 6000);
    assert_int_equal(a.policy.ops, AEGIS_ASSET_OP_APPROVE);
    assert_true(a.policy.witness_required);
    assert_false(a.policy.has_value_limit);
    assert_int_equal(do_op(f, "update_policy", "{\"id\":\"usdc\"}", seq++), AEGIS_ERR_ASSET_BAD_FIELD);
    assert_int_equal(do_op(f, "set_state", "{\"id\":\"usdc\",\"state\":\"frozen\"}", seq++), AEGIS_OK);
    assert_int_equal(aegis_assets_get(f->reg, "usdc", &a), AEGIS_OK);
    assert_int_equal(a.state, AEGIS_ASSET_FROZEN);
    const char *acct = "0x1111111111111111111111111111111111111111";
    char params[200];
    snprintf(params, sizeof(params), "{\"role\":\"treasury\",\"account\":\"%s\"}", acct);
    assert_int_equal(do_op(f, "grant_role", params, seq++), AEGIS_OK);
    uint8_t addr[20];
    memset(addr, 0x11, 20);
    assert_true(aegis_assets_role_has(f->reg, "treasury", addr));
    assert_int_equal(do_op(f, "revoke_role", params, seq++), AEGIS_OK);
    assert_false(aegis_assets_role_has(f->reg, "treasury", addr));
    /* register a PQC key through the admin path */
    char *pkreq = malloc(2 * AEGIS_MLDSA87_PK_BYTES + 200);
    char *hex = malloc(2 * AEGIS_MLDSA87_PK_BYTES + 1);
    aegis_hex_encode(hex, f->pk2, AEGIS_MLDSA87_PK_BYTES);
    sprintf(pkreq, "{\"account\":\"%s\",\"pk\":\"%s\"}", acct, hex);
    assert_int_equal(do_op(f, "register_pqc_key", pkreq, seq++), AEGIS_OK);
    assert_non_null(aegis_assets_pqc_key(f->reg, addr));
    assert_memory_equal(aegis_assets_pqc_key(f->reg, addr), f->pk2, AEGIS_MLDSA87_PK_BYTES);
    hex[10] = 'g';
    sprintf(pkreq, "{\"account\":\"%s\",\"pk\":\"%s\"}", acct, hex);
    assert_int_equal(do_op(f, "register_pqc_key", pkreq, seq++), AEGIS_ERR_ASSET_BAD_FIELD);
    free(hex);
    free(pkreq);
    snprintf(params, sizeof(params), "{\"account\":\"%s\"}", acct);
    assert_int_equal(do_op(f, "unregister_pqc_key", params, seq++), AEGIS_OK);
    assert_null(aegis_assets_pqc_key(f->reg, addr));
    /* rollback passes through: params validated, registry unchanged, audited */
    uint8_t h0[32], h1[32];
    assert_int_equal(aegis_assets_hash(f->reg, h0), AEGIS_OK);
    size_t n = aegis_audit_count(f->log);
    char *req = sign(f, "rollback", "{\"checkpoint\":12,\"state_hash\":\"0x"
                     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}", seq++, NOW, false);
    aegis_admin_result res;
    assert_int_equal(submit(f, req, &res), AEGIS_OK);
    assert_string_equal(res.op, "rollback");
    assert_non_null(strstr(res.params_json, "\"checkpoint\":12"));
    aegis_admin_result_clear(&res);
    aegis_free(req);
    assert_int_equal(aegis_assets_hash(f->reg, h1), AEGIS_OK);
    assert_memory_equal(h0, h1, 32);
    assert_int_equal(aegis_audit_count(f->log), n + 1);
    assert_int_equal(do_op(f, "rollback", "{\"checkpoint\":-1}", seq++), AEGIS_ERR_ASSET_BAD_FIELD);
    assert_int_equal(do_op(f, "remove", "{\"id\":\"usdc\"}", seq++), AEGIS_OK);
    assert_int_equal(aegis_assets_count(f->reg), 0);
    assert_int_equal(do_op(f, "remove", "{\"id\":\"usdc\",\"x\":1}", seq++), AEGIS_ERR_ASSET_BAD_FIELD);
}

/* A log of 4 records: 3 admin changes and 1 core event. */
static char *make_log(fx *f, size_t *len)
{
    assert_int_equal(do_op(f, "add", ADD_USDC, 1), AEGIS_OK);
    assert_int_equal(do_op(f, "set_state", "{\"id\":\"usdc\",\"state\":\"protected\"}", 2), AEGIS_OK);
    assert_int_equal(aegis_audit_append_event(f->log, f->reg, "auto_protect", "{\"id\":\"usdc\",\"risk\":6500}",
                                              NOW + 1, NULL, NULL), AEGIS_OK);
    assert_int_equal(do_op(f, "grant_role", "{\"role\":\"ops\",\"account\":\"0x2222222222222222222222222222222222222222\"}", 3),
                     AEGIS_OK);
    char *text;
    assert_int_equal(aegis_audit_export(f->log, &text, len), AEGIS_OK);
    assert_int_equal(strlen(text), *len);
    return text;
}

static void test_audit_verify_and_import(void **state)
{
    fx *f = *state;
    size_t len, bad = 0;
    uint64_t count = 0;
    char *text = make_log(f, &len);
    uint8_t head[32];
    uint64_t hseq;
    aegis_audit_head(f->log, &hseq, head);
    assert_int_equal(hseq, 4);
    assert_int_equal(aegis_audit_verify(text, len, NULL, NULL, &count, &bad, NULL), AEGIS_OK);
    assert_int_equal(count, 4);
    assert_int_equal(aegis_audit_verify(text, len, f->adm, head, &count, &bad, NULL), AEGIS_OK);
    /* records hold the registry hash after each change: the last one is the current one */
    uint8_t h[32];
    assert_int_equal(aegis_assets_hash(f->reg, h), AEGIS_OK);
    char hh[65];
    aegis_hex_encode(hh, h, 32);
    char *last = text;
    for (char *p = text; p < text + len - 1; p++)
        if (*p == '\n')
            last = p + 1;
    assert_non_null(strstr(last, hh));
    /* import -> export is the identity; resume continues sequences */
    aegis_audit *log2;
    assert_int_equal(aegis_audit_import(text, len, &log2, NULL), AEGIS_OK);
    char *text2;
    size_t len2;
    assert_int_equal(aegis_audit_export(log2, &text2, &len2), AEGIS_OK);
    assert_int_equal(len2, len);
    assert_memory_equal(text2, text, len);
    aegis_assets_admin *adm2;
    assert_int_equal(aegis_assets_admin_new(0, &adm2), AEGIS_OK);
    assert_int_equal(aegis_assets_admin_add_key(adm2, f->pk), AEGIS_OK);
    assert_int_equal(aegis_assets_admin_add_key(adm2, f->pk), AEGIS_ERR_EXISTS);
    aegis_assets_admin_resume(adm2, log2);
    char *req = sign(f, "remove", "{\"id\":\"usdc\"}", 3, NOW, false);
    assert_int_equal(aegis_assets_admin_submit(adm2, f->reg, log2, req, strlen(req), NOW, &(aegis_admin_result){ 0 }, NULL),
                     AEGIS_ERR_ADMIN_REPLAY);
    aegis_free(req);
    /* an admin set without the signing key: unknown key in the log */
    aegis_assets_admin *adm3;
    assert_int_equal(aegis_assets_admin_new(0, &adm3), AEGIS_OK);
    assert_int_equal(aegis_assets_admin_add_key(adm3, f->pk2), AEGIS_OK);
    assert_int_equal(aegis_audit_verify(text, len, adm3, NULL, &count, &bad, NULL), AEGIS_ERR_ADMIN_UNKNOWN_KEY);
    assert_int_equal(bad, 1);
    aegis_assets_admin_free(adm3);
    aegis_assets_admin_free(adm2);
    aegis_free(text2);
    aegis_audit_free(log2);
    aegis_free(text);
}

/* Split into lines (each with its newline). */
static size_t split(const char *text, size_t len, const char **lines, size_t *lens, size_t max)
{
    size_t n = 0, off = 0;
    while (off < len && n < max) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t l = (size_t)(nl - (text + off)) + 1;
        lines[n] = text + off;
        lens[n++] = l;
        off += l;
    }
    return n;
}

static void test_audit_tamper(void **state)
{
    fx *f = *state;
    size_t len, bad;
    uint64_t count;
    char *text = make_log(f, &len);
    char *t = malloc(len + 1);
    uint8_t head[32];
    uint64_t hseq;
    aegis_audit_head(f->log, &hseq, head);
    /* every byte outside signature hex, and every 61st inside it, changed
     * in two ways: each makes verification fail */
    size_t tested = 0;
    const char *sig_s[8], *sig_e[8];
    size_t n_sig = 0;
    for (const char *p = text; n_sig < 8 && (p = strstr(p, "\"sig\":\"")); p = sig_e[n_sig++]) {
        sig_s[n_sig] = p + 7;
        sig_e[n_sig] = strchr(p + 7, '"');
    }
    assert_int_equal(n_sig, 4);
    for (size_t i = 0; i < len; i++) {
        bool in_sig = false;
        for (size_t k = 0; k < n_sig; k++)
            in_sig |= text + i >= sig_s[k] && text + i < sig_e[k];
        if (in_sig && i % 61)
            continue;
        for (int k = 0; k < 2; k++) {
            memcpy(t, text, len);
            t[i] = (char)(k == 0 ? t[i] ^ 0x01 : (t[i] == '0' ? '1' : '0'));
            if (t[i] == text[i])
                continue;
            assert_int_not_equal(aegis_audit_verify(t, len, NULL, NULL, &count, &bad, NULL), AEGIS_OK);
            tested++;
        }
    }
    assert_true(tested > 1000);
    /* specific errors: a digit of seq in record 2, a hash nibble */
    memcpy(t, text, len);
    char *p = strstr(strchr(t, '\n') + 1, "\"seq\":2");
    p[6] = '7';
    assert_int_equal(aegis_audit_verify(t, len, NULL, NULL, &count, &bad, NULL), AEGIS_ERR_AUDIT_BAD_HASH);
    assert_int_equal(bad, 2);
    memcpy(t, text, len);
    p = strstr(t, "\"hash\":\"") + 8;
    *p = *p == 'a' ? 'b' : 'a';
    assert_int_equal(aegis_audit_verify(t, len, NULL, NULL, &count, &bad, NULL), AEGIS_ERR_AUDIT_BAD_HASH);
    assert_int_equal(bad, 1);
    /* uppercase hex is an equivalent value but not the canonical line */
    memcpy(t, text, len);
    p = strstr(t, "\"reg_hash\":\"") + 12;
    while (!(*p >= 'a' && *p <= 'f'))
        p++;
    *p = (char)(*p - 32);
    assert_int_equal(aegis_audit_verify(t, len, NULL, NULL, &count, &bad, NULL), AEGIS_ERR_AUDIT_MALFORMED);

    const char *lines[8];
    size_t lens[8];
    size_t n = split(text, len, lines, lens, 8);
    assert_int_equal(n, 4);
    /* removal of any record but the last breaks the chain */
    for (size_t drop = 0; drop < n; drop++) {
        size_t off = 0;
        for (size_t i = 0; i < n; i++)
            if (i != drop) {
                memcpy(t + off, lines[i], lens[i]);
                off += lens[i];
            }
        aegis_err e = aegis_audit_verify(t, off, NULL, NULL, &count, &bad, NULL);
        if (drop + 1 < n) {
            assert_int_equal(e, AEGIS_ERR_AUDIT_BROKEN_CHAIN);
            assert_int_equal(bad, drop + 1);
        } else {
            /* truncation at the end is only visible against the expected head */
            assert_int_equal(e, AEGIS_OK);
            assert_int_equal(count, 3);
            assert_int_equal(aegis_audit_verify(t, off, NULL, head, &count, &bad, NULL), AEGIS_ERR_AUDIT_HEAD_MISMATCH);
        }
    }
    /* every swap of two records breaks the chain */
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            size_t off = 0;
            for (size_t i = 0; i < n; i++) {
                size_t j = i == a ? b : i == b ? a : i;
                memcpy(t + off, lines[j], lens[j]);
                off += lens[j];
            }
            assert_int_equal(aegis_audit_verify(t, off, NULL, NULL, &count, &bad, NULL), AEGIS_ERR_AUDIT_BROKEN_CHAIN);
        }
    /* a duplicated record */
    memcpy(t, text, len);
    char *dup = malloc(len + lens[1]);
    memcpy(dup, text, len);
    memcpy(dup + len, lines[1], lens[1]);
    assert_int_equal(aegis_audit_verify(dup, len + lens[1], NULL, NULL, &count, &bad, NULL), AEGIS_ERR_AUDIT_BROKEN_CHAIN);
    assert_int_equal(bad, 5);
    free(dup);
    /* empty input is a valid empty log; import of a tampered log fails */
    assert_int_equal(aegis_audit_verify("", 0, NULL, NULL, &count, &bad, NULL), AEGIS_OK);
    assert_int_equal(count, 0);
    memcpy(t, text, len);
    t[20] ^= 1;
    aegis_audit *l2 = NULL;
    assert_int_not_equal(aegis_audit_import(t, len, &l2, NULL), AEGIS_OK);
    assert_null(l2);
    free(t);
    aegis_free(text);
}

static void test_audit_signature_anchor(void **state)
{
    fx *f = *state;
    size_t len, bad;
    uint64_t count;
    char *text = make_log(f, &len);
    /* admin records verify under the admin keys; core events carry key_id "core", no signature */
    assert_int_equal(aegis_audit_verify(text, len, f->adm, NULL, &count, &bad, NULL), AEGIS_OK);
    assert_non_null(strstr(text, "\"key_id\":\"core\""));
    char kid[AEGIS_ADMIN_KEY_ID_CHARS + 1];
    aegis_assets_admin_key_id(f->pk, kid);
    assert_non_null(strstr(text, kid));
    aegis_free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_admin_add_and_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_verify_and_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_tamper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_signature_anchor, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
