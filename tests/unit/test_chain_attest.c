/*
 * test_chain_attest.c - verification of published attestations and the
 * primary/backup cross-validation: sim (allowed, refused, pinned by policy,
 * lying record), real TDX and dstack quotes through DCAP with collateral
 * (time windows, policy), pairs binding different values, whole batches with
 * primary + backup, and the core's backup path (degraded / required); the
 * attestation statement in report_data (codec; a removed backup or primary
 * record fails; degraded, failover and halt; key-binding; old records).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aegis/attest.h"
#include "aegis/chain.h"
#include "aegis/tee.h"
#include "core_attest.h"
#include "core_int.h"

#define VEC "tests/vectors/attestation"
#define TDX_TIME 1752919234
#define DSTACK_TIME 1774003274

static char g_root[512];
static char g_dir1[64], g_dir2[64];

static void path_of(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", g_root, rel);
}

static void load_quote(const char *sample, aegis_chain_attest *a, const char *backend)
{
    char p[700];
    snprintf(p, sizeof(p), "%s/" VEC "/%s/quote.bin", g_root, sample);
    memset(a, 0, sizeof(*a));
    assert_int_equal(aegis_file_read(p, 1 << 20, &a->quote, &a->quote_len), AEGIS_OK);
    aegis_quote q;
    assert_int_equal(aegis_quote_parse(a->quote, a->quote_len, &q, NULL), AEGIS_OK);
    memcpy(a->report_data, q.td.report_data, 64);
    snprintf(a->backend, sizeof(a->backend), "%s", backend);
    snprintf(a->mode, sizeof(a->mode), "per-batch");
}

static aegis_tee *open_sim(const char *dir)
{
    aegis_tee_option o[] = { { "data_dir", dir } };
    aegis_tee *t = NULL;
    assert_int_equal(aegis_tee_open("sim", o, 1, &t), AEGIS_OK);
    return t;
}

static void sim_attest(aegis_tee *t, const uint8_t rd[64], aegis_chain_attest *a)
{
    memset(a, 0, sizeof(*a));
    memcpy(a->report_data, rd, 64);
    assert_int_equal(aegis_tee_quote(t, rd, &a->quote, &a->quote_len), AEGIS_OK);
    snprintf(a->backend, sizeof(a->backend), "sim");
    snprintf(a->mode, sizeof(a->mode), "per-batch");
    a->insecure = true;
}

static void rm_sim_dir(const char *d)
{
    char p[300];
    snprintf(p, sizeof(p), "%s/sim-tee.secret", d);
    unlink(p);
    snprintf(p, sizeof(p), "%s/backup-tee/sim-tee.secret", d);
    unlink(p);
    snprintf(p, sizeof(p), "%s/backup-tee", d);
    rmdir(p);
    rmdir(d);
}

static int setup(void **state)
{
    (void)state;
    const char *r = getenv("AEGIS_ROOT");
    snprintf(g_root, sizeof(g_root), "%s", r ? r : ".");
    snprintf(g_dir1, sizeof(g_dir1), "/tmp/aegis-test-ca1-XXXXXX");
    snprintf(g_dir2, sizeof(g_dir2), "/tmp/aegis-test-ca2-XXXXXX");
    return mkdtemp(g_dir1) && mkdtemp(g_dir2) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rm_sim_dir(g_dir1);
    rm_sim_dir(g_dir2);
    return 0;
}

static void test_sim(void **state)
{
    (void)state;
    uint8_t value[32], rd[64];
    memset(value, 7, sizeof(value));
    aegis_chain_report_data(rd, AEGIS_CHAIN_TAG_BATCH, value);
    aegis_tee *t = open_sim(g_dir1);
    aegis_chain_attest a;
    sim_attest(t, rd, &a);
    aegis_chain_verify_opts opts = { .allow_sim = true };
    const char *why = NULL;
    assert_int_equal(aegis_chain_verify_attest(&a, rd, &opts, &why), AEGIS_OK);
    /* refused without --allow-sim */
    opts.allow_sim = false;
    assert_int_equal(aegis_chain_verify_attest(&a, rd, &opts, &why), AEGIS_ERR_CHAIN_SIM_REFUSED);
    /* a policy pinning the measurement: this sim's passes, another's not */
    aegis_attest_policy pol;
    aegis_attest_policy_init(&pol);
    pol.mrtd.n = 1;
    assert_int_equal(aegis_tee_measurement(t, pol.mrtd.v[0]), AEGIS_OK);
    opts = (aegis_chain_verify_opts){ .allow_sim = true, .policy = &pol };
    assert_int_equal(aegis_chain_verify_attest(&a, rd, &opts, &why), AEGIS_OK);
    pol.mrtd.v[0][0] ^= 1;
    assert_int_equal(aegis_chain_verify_attest(&a, rd, &opts, &why), AEGIS_ERR_POLICY_MEASUREMENT);
    /* a lying record: the field says rd, the quote binds something else */
    uint8_t other[64];
    memcpy(other, rd, 64);
    other[40] ^= 1;
    aegis_chain_attest lie;
    sim_attest(t, other, &lie);
    memcpy(lie.report_data, rd, 64);
    opts = (aegis_chain_verify_opts){ .allow_sim = true };
    assert_int_equal(aegis_chain_verify_attest(&lie, rd, &opts, &why), AEGIS_ERR_CHAIN_ATTEST);
    /* the expected value differs from the bound one */
    assert_int_equal(aegis_chain_verify_attest(&a, other, &opts, &why), AEGIS_ERR_CHAIN_ATTEST);
    aegis_free(a.quote);
    aegis_free(lie.quote);
    aegis_tee_free(t);
}

static void test_dcap_tdx_and_dstack(void **state)
{
    (void)state;
    char coll_file[700], coll_dir[700];
    path_of(coll_file, sizeof(coll_file), VEC "/tdx_v4_dcapqvl/collateral.json");
    path_of(coll_dir, sizeof(coll_dir), VEC);
    aegis_chain_attest tdx, dst;
    load_quote("tdx_v4_dcapqvl", &tdx, "tdx");
    load_quote("dstack_getquote_tdx_v4", &dst, "dstack");
    const char *why = NULL;
    aegis_chain_verify_opts opts = { .collateral_dir = coll_file, .verify_at = TDX_TIME };
    assert_int_equal(aegis_chain_verify_attest(&tdx, tdx.report_data, &opts, &why), AEGIS_OK);
    /* collateral missing */
    aegis_chain_verify_opts none = { .verify_at = TDX_TIME };
    assert_int_equal(aegis_chain_verify_attest(&tdx, tdx.report_data, &none, &why), AEGIS_ERR_CHAIN_ATTEST);
    /* far outside the collateral's validity window */
    opts.verify_at = TDX_TIME + 400LL * 86400;
    assert_int_equal(aegis_chain_verify_attest(&tdx, tdx.report_data, &opts, &why), AEGIS_ERR_ATTEST_EXPIRED);
    /* a directory of collateral serves both platforms (looked up by FMSPC) */
    opts = (aegis_chain_verify_opts){ .collateral_dir = coll_dir, .verify_at = TDX_TIME };
    assert_int_equal(aegis_chain_verify_attest(&tdx, tdx.report_data, &opts, &why), AEGIS_OK);
    opts.verify_at = DSTACK_TIME;
    assert_int_equal(aegis_chain_verify_attest(&dst, dst.report_data, &opts, &why), AEGIS_OK);
    /* policy: measurements and statuses */
    aegis_attest_policy pol;
    aegis_attest_policy_init(&pol);
    pol.mrtd.n = 1;
    memset(pol.mrtd.v[0], 0x11, 48);
    opts.policy = &pol;
    assert_int_equal(aegis_chain_verify_attest(&dst, dst.report_data, &opts, &why), AEGIS_ERR_POLICY_MEASUREMENT);
    aegis_quote q;
    assert_int_equal(aegis_quote_parse(dst.quote, dst.quote_len, &q, NULL), AEGIS_OK);
    memcpy(pol.mrtd.v[0], q.td.mr_td, 48);
    assert_int_equal(aegis_chain_verify_attest(&dst, dst.report_data, &opts, &why), AEGIS_OK);
    pol.accept_status[AEGIS_TCB_UP_TO_DATE] = false;
    assert_int_equal(aegis_chain_verify_attest(&dst, dst.report_data, &opts, &why), AEGIS_ERR_POLICY_TCB_STATUS);
    /* a policy file that does not exist */
    opts.policy = NULL;
    opts.policy_file = "/nonexistent/policy.json";
    assert_int_not_equal(aegis_chain_verify_attest(&dst, dst.report_data, &opts, &why), AEGIS_OK);
    /* a tdx record whose quote is corrupted in the body */
    opts = (aegis_chain_verify_opts){ .collateral_dir = coll_dir, .verify_at = TDX_TIME };
    tdx.quote[200] ^= 1;
    assert_int_not_equal(aegis_chain_verify_attest(&tdx, tdx.report_data, &opts, &why), AEGIS_OK);
    tdx.quote[200] ^= 1;
    /* the sim quote's format is not accepted under a hardware backend name */
    aegis_tee *t = open_sim(g_dir1);
    aegis_chain_attest fake;
    sim_attest(t, tdx.report_data, &fake);
    snprintf(fake.backend, sizeof(fake.backend), "tdx");
    assert_int_not_equal(aegis_chain_verify_attest(&fake, tdx.report_data, &opts, &why), AEGIS_OK);
    aegis_free(fake.quote);
    aegis_tee_free(t);
    aegis_free(tdx.quote);
    aegis_free(dst.quote);
}

/* Cross-validation of a pair as aegis_chain_verify_batch does it: each
 * attestation must bind the one expected value. */
static aegis_err verify_pair(const aegis_chain_attest *p, const aegis_chain_attest *b,
                             const uint8_t rd[64], const aegis_chain_verify_opts *o)
{
    const char *why = NULL;
    aegis_err err = aegis_chain_verify_attest(p, rd, o, &why);
    if (!err && b->backend[0])
        err = aegis_chain_verify_attest(b, rd, o, &why);
    return err;
}

static void test_pairs(void **state)
{
    (void)state;
    char coll_dir[700];
    path_of(coll_dir, sizeof(coll_dir), VEC);
    aegis_chain_attest tdx, dst, sim, none;
    memset(&none, 0, sizeof(none));
    load_quote("tdx_v4_dcapqvl", &tdx, "tdx");
    load_quote("dstack_getquote_tdx_v4", &dst, "dstack");
    aegis_tee *t = open_sim(g_dir1);
    sim_attest(t, tdx.report_data, &sim);
    aegis_chain_verify_opts opts = { .allow_sim = true, .collateral_dir = coll_dir, .verify_at = TDX_TIME };
    /* accept: real TDX primary + sim backup over the same value */
    assert_int_equal(verify_pair(&tdx, &sim, tdx.report_data, &opts), AEGIS_OK);
    /* degraded: the primary alone still verifies */
    assert_int_equal(verify_pair(&tdx, &none, tdx.report_data, &opts), AEGIS_OK);
    /* reject: the backup is a sim and sims are refused */
    opts.allow_sim = false;
    assert_int_equal(verify_pair(&tdx, &sim, tdx.report_data, &opts), AEGIS_ERR_CHAIN_SIM_REFUSED);
    /* reject: both genuine, but they bind different values */
    opts.allow_sim = true;
    assert_int_equal(verify_pair(&tdx, &dst, tdx.report_data, &opts), AEGIS_ERR_CHAIN_ATTEST);
    aegis_free(tdx.quote);
    aegis_free(dst.quote);
    aegis_free(sim.quote);
    aegis_tee_free(t);
}

/* A signed one-tx batch for whole-batch verification. */
static void make_batch(aegis_keyset *ks, aegis_chain_batch *b, uint8_t *raw, size_t raw_len)
{
    const aegis_keyset_pub *pub = aegis_keyset_public(ks);
    memset(b, 0, sizeof(*b));
    b->txs = aegis_calloc(1, sizeof(*b->txs));
    b->n_txs = 1;
    b->txs[0].raw = raw;
    b->txs[0].raw_len = raw_len;
    aegis_keccak256(b->txs[0].hash, raw, raw_len);
    struct aegis_batch_header *h = &b->h;
    h->version = AEGIS_BATCH_VERSION;
    h->chain_id = 1;
    h->number = 1;
    h->timestamp_ms = 1000;
    h->tx_count = 1;
    assert_int_equal(aegis_batch_merkle_root((const uint8_t (*)[32])b->txs[0].hash, 1, h->tx_root), AEGIS_OK);
    h->algorithm_set = AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S;
    h->key_epoch = pub->epoch;
    assert_int_equal(aegis_batch_header_hash(h, b->hash), AEGIS_OK);
    assert_int_equal(aegis_keyset_sign_mldsa87(ks, b->sig_mldsa, b->hash, 32,
                                               (const uint8_t *)AEGIS_CHAIN_BATCH_CTX,
                                               strlen(AEGIS_CHAIN_BATCH_CTX)), AEGIS_OK);
}

static void test_core_backup_and_batches(void **state)
{
    (void)state;
    /* The core's attestation with a backup, on a core holding only what
     * core_attest.c uses. */
    aegis_core *core = aegis_calloc(1, sizeof(*core));
    core->tee = open_sim(g_dir1);
    aegis_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.tee_primary = "sim";
    cfg.tee_backup = "dstack";
    cfg.tee_dstack_socket = "/nonexistent/dstack.sock";   /* the backup will fail */
    const char *d = NULL;
    assert_int_equal(aegis__core_attest_open_backup(core, &cfg, g_dir1, &d), AEGIS_OK);
    assert_non_null(core->backup);

    aegis_keyset *ks = NULL;
    assert_int_equal(aegis_keyset_generate(1, &ks), AEGIS_OK);
    uint8_t raw[] = { 0xc0, 1, 2, 3 };
    aegis_chain_batch b;
    make_batch(ks, &b, raw, sizeof(raw));
    aegis_chain_verify_opts opts = { .allow_sim = true };
    const char *why = NULL;

    /* backup failing, not required: produced degraded, primary only */
    assert_false(aegis_core_is_degraded(core));
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_BATCH, b.hash, &b.primary, &b.backup), AEGIS_OK);
    assert_string_equal(b.backup.backend, "");
    assert_null(b.backup.quote);
    assert_true(aegis_core_is_degraded(core));
    assert_int_equal(aegis_core_degraded_batches(core), 1);
    assert_int_equal(aegis_chain_verify_batch(&b, aegis_keyset_public(ks), NULL, NULL, NULL, &opts, &why), AEGIS_OK);
    aegis_free(b.primary.quote);

    /* required: the cut fails, nothing produced, no degraded count */
    core->require_backup = true;
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_BATCH, b.hash, &b.primary, &b.backup),
                     AEGIS_ERR_CORE_ATTEST);
    assert_null(b.primary.quote);
    assert_string_equal(b.primary.backend, "");
    assert_int_equal(aegis_core_degraded_batches(core), 1);
    aegis_tee_free(core->backup);
    core->backup = NULL;

    /* a working backup (a second sim with its own secret): both attest the
     * same value and the batch cross-validates */
    cfg.tee_primary = "dstack";   /* anything but the backup's name */
    cfg.tee_backup = "sim";
    assert_int_equal(aegis__core_attest_open_backup(core, &cfg, g_dir1, &d), AEGIS_OK);
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_BATCH, b.hash, &b.primary, &b.backup), AEGIS_OK);
    assert_string_equal(b.backup.backend, "sim");
    assert_string_equal(b.backup.mode, "per-batch");
    assert_memory_equal(b.primary.report_data, b.backup.report_data, 64);
    assert_memory_not_equal(b.primary.quote + 130, b.backup.quote + 130, 65);   /* two quote keys */
    assert_int_equal(aegis_chain_verify_batch(&b, aegis_keyset_public(ks), NULL, NULL, NULL, &opts, &why), AEGIS_OK);
    /* sims refused: the batch fails */
    opts.allow_sim = false;
    assert_int_equal(aegis_chain_verify_batch(&b, aegis_keyset_public(ks), NULL, NULL, NULL, &opts, &why),
                     AEGIS_ERR_CHAIN_SIM_REFUSED);
    opts.allow_sim = true;
    /* a backup binding another value (the key set tag) is rejected */
    aegis_free(b.backup.quote);
    uint8_t krd[64];
    aegis_chain_report_data(krd, AEGIS_CHAIN_TAG_KEYSET, b.hash);
    sim_attest(core->backup, krd, &b.backup);
    assert_int_equal(aegis_chain_verify_batch(&b, aegis_keyset_public(ks), NULL, NULL, NULL, &opts, &why),
                     AEGIS_ERR_CHAIN_ATTEST);
    assert_int_equal(aegis_core_degraded_batches(core), 1);

    /* configuration errors are errors whatever require_backup says */
    aegis_tee_free(core->backup);
    core->backup = NULL;
    cfg.tee_backup = "nosuch";
    assert_int_equal(aegis__core_attest_open_backup(core, &cfg, g_dir1, &d), AEGIS_ERR_NOT_FOUND);
    cfg.tee_backup = "";
    cfg.tee_require_backup = true;
    assert_int_equal(aegis__core_attest_open_backup(core, &cfg, g_dir1, &d), AEGIS_ERR_INVAL);
    cfg.tee_require_backup = false;
    assert_int_equal(aegis__core_attest_open_backup(core, &cfg, g_dir1, &d), AEGIS_OK);
    assert_null(core->backup);

    aegis_chain_batch_clear(&b);
    aegis_keyset_free(ks);
    aegis_tee_free(core->tee);
    aegis_free(core);
}


static aegis_err verify_b(const aegis_chain_batch *b, aegis_keyset *ks, const aegis_chain_verify_opts *o)
{
    const char *why = NULL;
    return aegis_chain_verify_batch(b, aegis_keyset_public(ks), NULL, NULL, NULL, o, &why);
}

/* Swap a record out of the batch (owned by the caller afterwards). */
static aegis_chain_attest take(aegis_chain_attest *a)
{
    aegis_chain_attest t = *a;
    memset(a, 0, sizeof(*a));
    return t;
}

static void test_statement_codec(void **state)
{
    (void)state;
    uint8_t v[32], rd[64];
    memset(v, 0x5a, sizeof(v));
    aegis_chain_statement st = { .version = 1, .primary = "tdx", .backup = "dstack",
                                 .flags = AEGIS_CHAIN_STMT_BACKUP_ATTESTED | AEGIS_CHAIN_STMT_FAILOVER };
    assert_int_equal(aegis_chain_report_data_stmt(rd, AEGIS_CHAIN_TAG_BATCH, v, &st), AEGIS_OK);
    static const uint8_t want[8] = { 1, 2, 3, 0x0a, 0, 0, 0, 0 };
    assert_memory_equal(rd + 24, want, 8);
    assert_memory_equal(rd, AEGIS_CHAIN_TAG_BATCH, strlen(AEGIS_CHAIN_TAG_BATCH));
    assert_memory_equal(rd + 32, v, 32);
    aegis_chain_statement back;
    assert_int_equal(aegis_chain_statement_decode(rd, &back), AEGIS_OK);
    assert_int_equal(back.version, 1);
    assert_string_equal(back.primary, "tdx");
    assert_string_equal(back.backup, "dstack");
    assert_int_equal(back.flags, st.flags);
    /* the expected value of a record: tag and value fixed, statement its own */
    aegis_chain_attest a = { .backend = "tdx" };
    memcpy(a.report_data, rd, 64);
    uint8_t out[64];
    assert_int_equal(aegis_chain_expect_rd(&a, AEGIS_CHAIN_TAG_BATCH, v, out, &back), AEGIS_OK);
    assert_memory_equal(out, rd, 64);
    assert_int_equal(aegis_chain_expect_rd(&a, AEGIS_CHAIN_TAG_KEYSET, v, out, NULL), AEGIS_ERR_CHAIN_ATTEST);
    v[0] ^= 1;
    assert_int_equal(aegis_chain_expect_rd(&a, AEGIS_CHAIN_TAG_BATCH, v, out, NULL), AEGIS_ERR_CHAIN_ATTEST);
    /* malformed statements: version, backend code, flags, reserved bytes,
     * a backup flag with no backup, bytes after a zero version */
    static const uint8_t bad[][8] = {
        { 2, 2, 3, 2, 0, 0, 0, 0 }, { 1, 0, 3, 2, 0, 0, 0, 0 }, { 1, 9, 3, 2, 0, 0, 0, 0 },
        { 1, 2, 7, 2, 0, 0, 0, 0 }, { 1, 2, 3, 0x12, 0, 0, 0, 0 }, { 1, 2, 3, 2, 0, 0, 1, 0 },
        { 1, 2, 0, 2, 0, 0, 0, 0 }, { 0, 2, 0, 0, 0, 0, 0, 0 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(rd + 24, bad[i], 8);
        assert_int_equal(aegis_chain_statement_decode(rd, &back), AEGIS_ERR_CHAIN_ATTEST);
    }
    /* names without a code, a tag too long for the layout */
    st.backup[0] = 'x';
    assert_int_equal(aegis_chain_report_data_stmt(rd, AEGIS_CHAIN_TAG_BATCH, v, &st), AEGIS_ERR_INVAL);
    st.backup[0] = 'd';
    assert_int_equal(aegis_chain_report_data_stmt(rd, "AEGIS-A-TAG-LONGER-THAN-24", v, &st), AEGIS_ERR_INVAL);
}

/*
 * The statement end to end on signed batches from the core's pair: a batch
 * cut with its backup fails once the backup record is removed (the
 * primary's quote says it was there); a degraded batch passes unless the
 * verifier requires the backup; a failover batch (the primary failing at
 * run time, sim fault injection) passes unless the verifier requires the
 * primary; halt refuses to produce one; key-binding batches carry it too.
 */
static void test_statement_on_batches(void **state)
{
    (void)state;
    char fault[128];
    snprintf(fault, sizeof(fault), "%s/primary.fault", g_dir2);
    aegis_tee_option po[] = { { "data_dir", g_dir2 }, { "fault_file", fault } };
    aegis_core *core = aegis_calloc(1, sizeof(*core));
    assert_int_equal(aegis_tee_open("sim", po, 2, &core->tee), AEGIS_OK);
    aegis_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.tee_primary = "sim";
    cfg.tee_backup = "sim";
    const char *d = NULL;
    assert_int_equal(aegis__core_attest_open_backup(core, &cfg, g_dir2, &d), AEGIS_OK);

    aegis_keyset *ks = NULL;
    assert_int_equal(aegis_keyset_generate(1, &ks), AEGIS_OK);
    uint8_t raw[] = { 0xc0, 9, 8, 7 };
    aegis_chain_batch b;
    make_batch(ks, &b, raw, sizeof(raw));
    aegis_chain_verify_opts opts = { .allow_sim = true };
    aegis_chain_verify_opts req_b = { .allow_sim = true, .require_backup = true };
    aegis_chain_verify_opts req_p = { .allow_sim = true, .require_primary = true };
    aegis_chain_statement st;
    const char *why = NULL;

    /* 1. both attest: the statement names both and says the backup attested */
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_BATCH, b.hash, &b.primary, &b.backup), AEGIS_OK);
    assert_int_equal(aegis_chain_statement_decode(b.primary.report_data, &st), AEGIS_OK);
    assert_int_equal(st.version, 1);
    assert_string_equal(st.primary, "sim");
    assert_string_equal(st.backup, "sim");
    assert_int_equal(st.flags, AEGIS_CHAIN_STMT_BACKUP_ATTESTED);
    assert_int_equal(verify_b(&b, ks, &opts), AEGIS_OK);
    assert_int_equal(verify_b(&b, ks, &req_b), AEGIS_OK);
    assert_int_equal(verify_b(&b, ks, &req_p), AEGIS_OK);
    /* the backup removed: fails whatever the verifier requires */
    aegis_chain_attest saved_backup = take(&b.backup);
    assert_int_equal(verify_b(&b, ks, &opts), AEGIS_ERR_CHAIN_ATTEST_STATEMENT);
    assert_int_equal(aegis_chain_verify_batch(&b, aegis_keyset_public(ks), NULL, NULL, NULL, &opts, &why),
                     AEGIS_ERR_CHAIN_ATTEST_STATEMENT);
    assert_non_null(strstr(why, "missing"));
    /* the primary removed instead */
    b.backup = saved_backup;
    aegis_chain_attest saved_primary = take(&b.primary);
    assert_int_equal(verify_b(&b, ks, &opts), AEGIS_ERR_CHAIN_ATTEST_STATEMENT);
    b.primary = saved_primary;
    /* a record relabelled to another backend than its quote names */
    snprintf(b.primary.backend, sizeof(b.primary.backend), "dstack");
    assert_int_not_equal(verify_b(&b, ks, &opts), AEGIS_OK);
    snprintf(b.primary.backend, sizeof(b.primary.backend), "sim");
    assert_int_equal(verify_b(&b, ks, &opts), AEGIS_OK);

    /* 2. failover: the primary fails at run time, tee.on_primary_failure = backup */
    core->failover = true;
    FILE *f = fopen(fault, "w");
    assert_non_null(f);
    fclose(f);
    aegis_chain_attest old_primary = take(&b.primary), old_backup = take(&b.backup);
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_BATCH, b.hash, &b.primary, &b.backup), AEGIS_OK);
    assert_true(aegis_core_primary_failed(core));
    assert_int_equal(aegis_core_failover_batches(core), 1);
    assert_string_equal(b.primary.backend, "");
    assert_string_equal(b.backup.backend, "sim");
    assert_int_equal(aegis_chain_statement_decode(b.backup.report_data, &st), AEGIS_OK);
    assert_int_equal(st.flags, AEGIS_CHAIN_STMT_BACKUP_ATTESTED | AEGIS_CHAIN_STMT_PRIMARY_FAILED |
                                   AEGIS_CHAIN_STMT_FAILOVER);
    assert_int_equal(verify_b(&b, ks, &opts), AEGIS_OK);
    assert_int_equal(verify_b(&b, ks, &req_b), AEGIS_OK);
    assert_int_equal(verify_b(&b, ks, &req_p), AEGIS_ERR_CHAIN_ATTEST_REQUIRED);
    /* a primary record added back (from the normal cut): binds another statement */
    b.primary = old_primary;
    assert_int_equal(verify_b(&b, ks, &opts), AEGIS_ERR_CHAIN_ATTEST);
    old_primary = take(&b.primary);
    /* key sets never fail over: start and rotation wait for the primary */
    aegis_chain_attest kp, kb;
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_KEYSET, b.hash, &kp, &kb), AEGIS_ERR_CORE_ATTEST);
    assert_string_equal(kp.backend, "");
    assert_string_equal(kb.backend, "");
    assert_int_equal(aegis_core_failover_batches(core), 1);
    /* halt: the same failure produces nothing */
    core->failover = false;
    aegis_chain_batch_clear(&b);
    make_batch(ks, &b, raw, sizeof(raw));
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_BATCH, b.hash, &b.primary, &b.backup),
                     AEGIS_ERR_CORE_ATTEST);
    assert_string_equal(b.primary.backend, "");
    assert_string_equal(b.backup.backend, "");
    assert_true(aegis_core_primary_failed(core));
    /* the primary recovers: pairs again, the failure state clears */
    unlink(fault);
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_BATCH, b.hash, &b.primary, &b.backup), AEGIS_OK);
    assert_false(aegis_core_primary_failed(core));
    assert_string_equal(b.backup.backend, "sim");
    assert_int_equal(verify_b(&b, ks, &req_b), AEGIS_OK);
    aegis_chain_attest_clear(&old_primary);
    aegis_chain_attest_clear(&old_backup);

    /* 3. degraded: a backup that fails (dstack, no agent): the primary is
     * asked again with a statement naming no backup attestation */
    aegis_tee_free(core->backup);
    core->backup = NULL;
    cfg.tee_backup = "dstack";
    cfg.tee_dstack_socket = "/nonexistent/dstack.sock";
    assert_int_equal(aegis__core_attest_open_backup(core, &cfg, g_dir2, &d), AEGIS_OK);
    saved_backup = take(&b.backup);
    aegis_chain_attest_clear(&b.primary);
    uint64_t degraded = aegis_core_degraded_batches(core);
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_BATCH, b.hash, &b.primary, &b.backup), AEGIS_OK);
    assert_int_equal(aegis_core_degraded_batches(core), degraded + 1);
    assert_int_equal(aegis_chain_statement_decode(b.primary.report_data, &st), AEGIS_OK);
    assert_string_equal(st.backup, "dstack");
    assert_int_equal(st.flags, 0);
    assert_int_equal(verify_b(&b, ks, &opts), AEGIS_OK);
    assert_int_equal(aegis_chain_verify_batch(&b, aegis_keyset_public(ks), NULL, NULL, NULL, &req_b, &why),
                     AEGIS_ERR_CHAIN_ATTEST_REQUIRED);
    assert_non_null(strstr(why, "degraded"));
    /* a backup record pasted in (from the sim pair): the quotes disagree */
    b.backup = saved_backup;
    assert_int_not_equal(verify_b(&b, ks, &opts), AEGIS_OK);
    aegis_chain_attest_clear(&b.backup);

    /* 4. records from before statements (all eight bytes zero) still verify,
     * on the primary alone, unless the verifier requires the backup */
    aegis_chain_attest_clear(&b.primary);
    uint8_t rd[64];
    aegis_chain_report_data(rd, AEGIS_CHAIN_TAG_BATCH, b.hash);
    sim_attest(core->tee, rd, &b.primary);
    assert_int_equal(verify_b(&b, ks, &opts), AEGIS_OK);
    assert_int_equal(verify_b(&b, ks, &req_b), AEGIS_ERR_CHAIN_ATTEST_REQUIRED);

    /* 5. key-binding: batches carry the key set's pair; removing the backup
     * from one fails like a per-batch batch */
    aegis_tee_free(core->backup);
    core->backup = NULL;
    cfg.tee_backup = "sim";
    assert_int_equal(aegis__core_attest_open_backup(core, &cfg, g_dir2, &d), AEGIS_OK);
    aegis_chain_attest_clear(&b.primary);
    uint8_t kh[32];
    aegis_keyset_pub_hash(kh, aegis_keyset_public(ks));
    assert_int_equal(aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_KEYSET, kh, &b.primary, &b.backup), AEGIS_OK);
    assert_string_equal(b.primary.mode, "key-binding");
    assert_int_equal(verify_b(&b, ks, &req_b), AEGIS_OK);
    saved_backup = take(&b.backup);
    assert_int_equal(verify_b(&b, ks, &opts), AEGIS_ERR_CHAIN_ATTEST_STATEMENT);
    aegis_chain_attest_clear(&saved_backup);

    aegis_chain_batch_clear(&b);
    aegis_keyset_free(ks);
    aegis_tee_free(core->backup);
    aegis_tee_free(core->tee);
    aegis_free(core);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim),
        cmocka_unit_test(test_dcap_tdx_and_dstack),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_core_backup_and_batches),
        cmocka_unit_test(test_statement_codec),
        cmocka_unit_test(test_statement_on_batches),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
