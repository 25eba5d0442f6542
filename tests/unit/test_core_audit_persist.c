/*
 * test_core_audit_persist.c - the host's view of the audit log when a
 * registry persist fails (docs/internals/assets.md, "Registry persistence").
 *
 * The test plays the host: a "store" of audit lines and a registry blob.
 * A write that fails confirms nothing; the next snapshot hands out the same
 * records again (plus newer ones) with the newest blob, so after the retry
 * the stored log has no gap, verifies (chain and admin signatures), and a
 * restarted core restores exactly the registry it had. A stored log with a
 * gap (what a host that lost the records would have) is refused at restore.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aegis/assets.h"
#include "core_fixture.h"

#define NOW 1700000000000ull

typedef struct tfx {
    fx_core fx;
    char pub_path[128];
    uint8_t admin_pk[AEGIS_MLDSA87_PK_BYTES], admin_sk[AEGIS_MLDSA87_SK_BYTES];
    uint64_t req_seq;
    /* the host's store */
    char *log;             /* JSON lines */
    size_t log_len;
    uint64_t stored;       /* last stored seq */
    uint8_t *blob;
    size_t blob_len;
} tfx;

static void admin_add(tfx *t, const char *id)
{
    char params[256], *req = NULL, *out = NULL, *ev = NULL;
    const char *detail = NULL;
    uint64_t f = 0, l = 0;
    snprintf(params, sizeof(params),
             "{\"asset\":{\"id\":\"%s\",\"type\":\"file\",\"locator\":{\"uri\":\"file://x/%s\"}}}", id, id);
    assert_int_equal(aegis_assets_admin_sign("add", params, ++t->req_seq, NOW, t->admin_sk, t->admin_pk, &req),
                     AEGIS_OK);
    aegis_err err = aegis_core_admin(t->fx.core, req, strlen(req), NOW, NULL, 0, &out, &ev, &f, &l, &detail);
    if (err)
        fprintf(stderr, "admin add %s: %s (%s)\n", id, aegis_err_name(err), detail ? detail : "");
    assert_int_equal(err, AEGIS_OK);
    aegis_free(req);
    aegis_free(out);
    aegis_free(ev);
}

static void start(tfx *t)
{
    t->fx.cfg.admin_keys.items[0] = t->pub_path;
    t->fx.cfg.admin_keys.n = 1;
    fx_start(&t->fx);
}

static int setup(void **state)
{
    tfx *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    fx_init(&t->fx);
    uint8_t seed[32];
    memset(seed, 0x5c, sizeof(seed));
    assert_int_equal(aegis_mldsa87_keygen_seed(t->admin_pk, t->admin_sk, seed), AEGIS_OK);
    snprintf(t->pub_path, sizeof(t->pub_path), "%s/admin.pub", t->fx.dir);
    assert_int_equal(aegis_keyfile_write(t->pub_path, "ml-dsa-87", t->admin_pk, sizeof(t->admin_pk), false), AEGIS_OK);
    start(t);
    t->req_seq = 100;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tfx *t = *state;
    t->fx.cfg.admin_keys.items[0] = NULL;
    t->fx.cfg.admin_keys.n = 0;
    fx_done(&t->fx);
    free(t->log);
    aegis_free(t->blob);
    aegis_memzero(t->admin_sk, sizeof(t->admin_sk));
    free(t);
    return 0;
}

/* reg_hash of a record line */
static void line_reg_hash(const char *line, size_t len, uint8_t out[32])
{
    json_t *j = json_loadb(line, len, 0, NULL);
    assert_non_null(j);
    const char *h = json_string_value(json_object_get(j, "reg_hash"));
    assert_non_null(h);
    assert_int_equal(aegis_hex_decode_exact(h, out, 32), AEGIS_OK);
    json_decref(j);
}

static char *registry_hash(aegis_core *core)
{
    char *s = NULL;
    assert_int_equal(aegis_core_assets_list(core, &s), AEGIS_OK);
    json_t *j = json_loads(s, 0, NULL);
    aegis_free(s);
    char *h = strdup(json_string_value(json_object_get(j, "registry_hash")));
    json_decref(j);
    return h;
}

/* One host persist attempt: snapshot, then (if the write "succeeds") store
 * the records beyond the last stored one and the blob, and confirm.
 * Returns the number of records the snapshot held. */
static size_t persist(tfx *t, bool write_ok)
{
    aegis_core_audit_rec *v = NULL;
    size_t n = 0, blob_len = 0;
    uint8_t *blob = NULL;
    uint64_t pending = 0;
    assert_int_equal(aegis_core_audit_snapshot(t->fx.core, 0, &v, &n, &blob, &blob_len, &pending), AEGIS_OK);
    assert_int_equal(pending, n);
    if (n == 0) {
        assert_null(blob);
        assert_null(v);
        return 0;
    }
    /* contiguous, starting right after what the host confirmed, and the
     * blob is the state the last record ends in */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i].seq, v[0].seq + i);
    uint8_t want[32], got[32];
    line_reg_hash(v[n - 1].line, v[n - 1].len, want);
    aegis_keccak256(got, blob, blob_len);
    assert_memory_equal(want, got, 32);
    if (write_ok) {
        for (size_t i = 0; i < n; i++) {
            if (v[i].seq <= t->stored)
                continue;
            assert_int_equal(v[i].seq, t->stored + 1);   /* no gap, ever */
            t->log = realloc(t->log, t->log_len + v[i].len + 1);
            memcpy(t->log + t->log_len, v[i].line, v[i].len);
            t->log_len += v[i].len;
            t->log[t->log_len++] = '\n';
            t->stored = v[i].seq;
        }
        aegis_free(t->blob);
        t->blob = blob;
        t->blob_len = blob_len;
        blob = NULL;
        aegis_core_audit_persisted(t->fx.core, v[n - 1].seq);
    }
    aegis_core_audit_recs_free(v, n);
    aegis_free(blob);
    return n;
}

static void verify_log(tfx *t, const char *text, size_t len, aegis_err want)
{
    aegis_assets_admin *adm = NULL;
    const char *keys[] = { t->pub_path };
    assert_int_equal(aegis_assets_admin_new(AEGIS_ADMIN_DEFAULT_SKEW_MS, &adm), AEGIS_OK);
    assert_int_equal(aegis_assets_admin_load_keys(adm, keys, 1), AEGIS_OK);
    uint64_t count = 0;
    size_t bad = 0;
    const char *why = NULL;
    aegis_err err = aegis_audit_verify(text, len, adm, NULL, &count, &bad, &why);
    if (err != want)
        fprintf(stderr, "verify: %s (%s) line %zu\n", aegis_err_name(err), why ? why : "", bad);
    assert_int_equal(err, want);
    if (!want)
        assert_int_equal(count, t->stored);
    aegis_assets_admin_free(adm);
}

/* Failure, then recovery: nothing is lost from the host's view. */
static void test_failed_write_then_retry(void **state)
{
    tfx *t = *state;
    admin_add(t, "a1");
    assert_int_equal(persist(t, true), 1);
    assert_int_equal(t->stored, 1);
    assert_int_equal(persist(t, true), 0);   /* caught up: nothing to do */

    /* the disk is full: two changes, two failed writes */
    admin_add(t, "a2");
    assert_int_equal(persist(t, false), 1);
    admin_add(t, "a3");
    assert_int_equal(persist(t, false), 2);  /* the lost record 2 comes back with 3 */
    /* taking does not move the cursor either */
    uint64_t seq = 0, seq2 = 0;
    char *line = NULL, *line2 = NULL;
    size_t len = 0, len2 = 0;
    assert_int_equal(aegis_core_audit_take(t->fx.core, &seq, &line, &len), AEGIS_OK);
    assert_int_equal(aegis_core_audit_take(t->fx.core, &seq2, &line2, &len2), AEGIS_OK);
    assert_int_equal(seq, 2);
    assert_int_equal(seq2, 2);
    assert_int_equal(len, len2);
    assert_memory_equal(line, line2, len);
    aegis_free(line);
    aegis_free(line2);
    /* confirmations out of range are ignored */
    aegis_core_audit_persisted(t->fx.core, 99);
    aegis_core_audit_persisted(t->fx.core, 1);
    uint64_t pending = 0;
    aegis_core_audit_rec *v = NULL;
    size_t n = 0, bl = 0;
    uint8_t *b = NULL;
    assert_int_equal(aegis_core_audit_snapshot(t->fx.core, 0, &v, &n, &b, &bl, &pending), AEGIS_OK);
    assert_int_equal(pending, 2);
    assert_int_equal(n, 2);
    aegis_core_audit_recs_free(v, n);
    aegis_free(b);
    /* an explicit start: from record 1 (what a host re-reading everything gets) */
    assert_int_equal(aegis_core_audit_snapshot(t->fx.core, 1, &v, &n, &b, &bl, &pending), AEGIS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].seq, 1);
    aegis_core_audit_recs_free(v, n);
    aegis_free(b);
    assert_int_equal(aegis_core_audit_snapshot(t->fx.core, 4, &v, &n, &b, &bl, &pending), AEGIS_OK);
    assert_int_equal(n, 0);
    assert_null(b);

    /* space comes back: the next persist writes 2 and 3 */
    assert_int_equal(persist(t, true), 2);
    assert_int_equal(t->stored, 3);
    assert_int_equal(persist(t, true), 0);
    admin_add(t, "a4");
    assert_int_equal(persist(t, true), 1);
    assert_int_equal(t->stored, 4);
    verify_log(t, t->log, t->log_len, AEGIS_OK);

    /* a restart restores exactly this registry from what the host stored */
    char *h0 = registry_hash(t->fx.core);
    fx_stop(&t->fx);
    start(t);
    const char *detail = NULL;
    aegis_err err = aegis_core_restore_registry(t->fx.core, t->log, t->log_len, t->blob, t->blob_len, &detail);
    if (err)
        fprintf(stderr, "restore: %s (%s)\n", aegis_err_name(err), detail ? detail : "");
    assert_int_equal(err, AEGIS_OK);
    char *h1 = registry_hash(t->fx.core);
    assert_string_equal(h0, h1);
    /* everything restored counts as persisted; numbering continues */
    assert_int_equal(persist(t, true), 0);
    admin_add(t, "a5");
    assert_int_equal(persist(t, true), 1);
    assert_int_equal(t->stored, 5);
    verify_log(t, t->log, t->log_len, AEGIS_OK);
    free(h0);
    free(h1);
}

/* What a host that dropped the records of a failed write would hold: a log
 * with a gap. It does not verify and the core refuses to restore it. */
static void test_gap_refused(void **state)
{
    tfx *t = *state;
    admin_add(t, "g1");
    assert_int_equal(persist(t, true), 1);
    admin_add(t, "g2");
    admin_add(t, "g3");
    /* drop record 2 by hand: take record 3 from a snapshot starting there */
    aegis_core_audit_rec *v = NULL;
    size_t n = 0, bl = 0;
    uint8_t *b = NULL;
    assert_int_equal(aegis_core_audit_snapshot(t->fx.core, 3, &v, &n, &b, &bl, NULL), AEGIS_OK);
    assert_int_equal(n, 1);
    size_t len = t->log_len + v[0].len + 1;
    char *gap = malloc(len);
    memcpy(gap, t->log, t->log_len);
    memcpy(gap + t->log_len, v[0].line, v[0].len);
    gap[len - 1] = '\n';
    aegis_core_audit_recs_free(v, n);
    verify_log(t, gap, len, AEGIS_ERR_AUDIT_BROKEN_CHAIN);
    fx_stop(&t->fx);
    start(t);
    const char *detail = NULL;
    assert_int_not_equal(aegis_core_restore_registry(t->fx.core, gap, len, b, bl, &detail), AEGIS_OK);
    free(gap);
    aegis_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failed_write_then_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
