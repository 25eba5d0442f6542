/*
 * test_risk.c - the risk feed: assessment format (sign, JSON round trip,
 * strictness), the monitor (each rejection class, forged and unlisted keys,
 * decision ring, oracle key files, file watch), levels with hysteresis, the
 * 5000 -> 6500 -> 9500 -> 4000 scenario with algorithm sets, per-tx risk and
 * the classifier.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aegis/risk.h"

#define T0 1700000000000ull

struct oracle {
    uint8_t pk[AEGIS_MLDSA87_PK_BYTES];
    uint8_t sk[AEGIS_MLDSA87_SK_BYTES];
};

static struct oracle *oracle_new(uint8_t seed_byte)
{
    struct oracle *o = aegis_calloc(1, sizeof(*o));
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof(seed));
    assert_int_equal(aegis_mldsa87_keygen_seed(o->pk, o->sk, seed), AEGIS_OK);
    return o;
}

/* Signed assessment JSON text (caller frees with free()). */
static char *make(const struct oracle *o, const char *source, uint64_t seq, uint64_t ts, uint16_t score,
                  const struct aegis_risk_asset_score *assets, size_t n_assets, uint8_t algs)
{
    aegis_risk_assessment a;
    memset(&a, 0, sizeof(a));
    strcpy(a.source, source);
    a.seq = seq;
    a.timestamp_ms = ts;
    a.score = score;
    a.algorithms = algs;
    if (n_assets) {
        a.assets = aegis_calloc(n_assets, sizeof(*a.assets));
        memcpy(a.assets, assets, n_assets * sizeof(*a.assets));
        a.n_assets = n_assets;
    }
    assert_int_equal(aegis_risk_assessment_sign(&a, o->sk, o->pk), AEGIS_OK);
    json_t *j = aegis_risk_assessment_to_json(&a);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    aegis_risk_assessment_clear(&a);
    return s;
}

static aegis_risk_monitor *monitor(const struct oracle *o, struct aegis_risk_config *rc_out)
{
    struct aegis_risk_config rc;
    aegis_risk_config_defaults(&rc);
    rc.start_ms = T0;
    if (rc_out)
        rc = *rc_out;
    aegis_risk_monitor *m = NULL;
    assert_int_equal(aegis_risk_monitor_new(&rc, &m), AEGIS_OK);
    if (o)
        assert_int_equal(aegis_risk_monitor_add_oracle(m, o->pk), AEGIS_OK);
    return m;
}

static aegis_err submit(aegis_risk_monitor *m, const char *s, uint64_t now)
{
    return aegis_risk_submit(m, s, strlen(s), now, NULL);
}

/* ---- levels ---- */

static void test_level_hysteresis(void **state)
{
    (void)state;
    struct aegis_risk_levels lv = { 6000, 9000, 500 };
    assert_int_equal(aegis_risk_level_raw(&lv, 5999), AEGIS_RISK_NORMAL);
    assert_int_equal(aegis_risk_level_raw(&lv, 6000), AEGIS_RISK_SCHEDULED);
    assert_int_equal(aegis_risk_level_raw(&lv, 9000), AEGIS_RISK_EMERGENCY);
    /* a score hovering around 6000 does not flap */
    uint8_t cur = AEGIS_RISK_NORMAL;
    int changes = 0;
    static const uint16_t hover[] = { 6000, 5990, 6010, 5700, 6001, 5501, 5999, 6000, 5600 };
    for (size_t i = 0; i < sizeof(hover) / sizeof(hover[0]); i++) {
        uint8_t n = aegis_risk_level_next(&lv, cur, hover[i]);
        changes += n != cur;
        cur = n;
    }
    assert_int_equal(changes, 1);
    assert_int_equal(cur, AEGIS_RISK_SCHEDULED);
    /* leaving needs the margin: 5500 stays, 5499 leaves */
    assert_int_equal(aegis_risk_level_next(&lv, AEGIS_RISK_SCHEDULED, 5500), AEGIS_RISK_SCHEDULED);
    assert_int_equal(aegis_risk_level_next(&lv, AEGIS_RISK_SCHEDULED, 5499), AEGIS_RISK_NORMAL);
    /* emergency: 8500 holds, 8499 drops to scheduled, a deep fall to normal */
    assert_int_equal(aegis_risk_level_next(&lv, AEGIS_RISK_EMERGENCY, 8500), AEGIS_RISK_EMERGENCY);
    assert_int_equal(aegis_risk_level_next(&lv, AEGIS_RISK_EMERGENCY, 8499), AEGIS_RISK_SCHEDULED);
    assert_int_equal(aegis_risk_level_next(&lv, AEGIS_RISK_EMERGENCY, 5600), AEGIS_RISK_SCHEDULED);
    assert_int_equal(aegis_risk_level_next(&lv, AEGIS_RISK_EMERGENCY, 4000), AEGIS_RISK_NORMAL);
    /* rising is immediate, even from normal to emergency */
    assert_int_equal(aegis_risk_level_next(&lv, AEGIS_RISK_NORMAL, 9000), AEGIS_RISK_EMERGENCY);
    /* zero margin: no hysteresis */
    struct aegis_risk_levels lv0 = { 6000, 9000, 0 };
    assert_int_equal(aegis_risk_level_next(&lv0, AEGIS_RISK_SCHEDULED, 5999), AEGIS_RISK_NORMAL);
}

static void test_algorithm_sets(void **state)
{
    (void)state;
    /* the [quantum] defaults, set by hand (the config module is not linked here) */
    aegis_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    char a1[] = "ML-DSA-87", a2[] = "SLH-DSA-256s", a3[] = "RSA-4096";
    cfg.signature_algorithms.items[0] = a1;
    cfg.signature_algorithms.items[1] = a2;
    cfg.signature_algorithms.n = 2;
    cfg.hybrid_ecdsa = true;
    cfg.risk_scheduled = 6000;
    cfg.risk_emergency = 9000;
    struct aegis_risk_alg_policy p;
    assert_int_equal(aegis_risk_alg_policy_from_config(&cfg, &p), AEGIS_OK);
    const uint8_t pqc = AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S;
    assert_int_equal(aegis_risk_algorithms_for(&p, AEGIS_RISK_NORMAL), pqc | AEGIS_ALG_ECDSA);
    assert_int_equal(aegis_risk_algorithms_for(&p, AEGIS_RISK_SCHEDULED), pqc | AEGIS_ALG_ECDSA);
    assert_int_equal(aegis_risk_algorithms_for(&p, AEGIS_RISK_EMERGENCY), pqc);
    assert_false(aegis_risk_pqc_witness_required(AEGIS_RISK_SCHEDULED));
    assert_true(aegis_risk_pqc_witness_required(AEGIS_RISK_EMERGENCY));
    p.hybrid_ecdsa = false;
    assert_int_equal(aegis_risk_algorithms_for(&p, AEGIS_RISK_NORMAL), pqc);
    /* ML-DSA-87 is always in the set */
    p.pqc = AEGIS_ALG_SLHDSA256S;
    assert_int_equal(aegis_risk_algorithms_for(&p, AEGIS_RISK_EMERGENCY), pqc);
    struct aegis_risk_config rc;
    cfg.risk_scheduled = 5000;
    cfg.risk_emergency = 8000;
    assert_int_equal(aegis_risk_config_from(&cfg, &rc), AEGIS_OK);
    assert_int_equal(rc.levels.scheduled, 5000);
    assert_int_equal(rc.levels.emergency, 8000);
    assert_int_equal(rc.levels.hysteresis, 500);
    cfg.risk_emergency = 5000;
    assert_int_equal(aegis_risk_config_from(&cfg, &rc), AEGIS_ERR_RISK_BAD_CONFIG);
    cfg.risk_emergency = 8000;
    cfg.signature_algorithms.items[1] = a3;
    assert_int_equal(aegis_risk_alg_policy_from_config(&cfg, &p), AEGIS_ERR_RISK_BAD_CONFIG);
}

/* ---- the scenario ---- */

struct cb_log { int n; struct aegis_risk_level_event ev[8]; };
static void on_level(void *ctx, const struct aegis_risk_level_event *ev)
{
    struct cb_log *l = ctx;
    if (l->n < 8)
        l->ev[l->n] = *ev;
    l->n++;
}

static void test_scenario(void **state)
{
    (void)state;
    struct oracle *o = oracle_new(1);
    struct cb_log log = { 0 };
    struct aegis_risk_config rc;
    aegis_risk_config_defaults(&rc);
    rc.start_ms = T0;
    rc.on_level = on_level;
    rc.on_level_ctx = &log;
    aegis_risk_monitor *m = monitor(o, &rc);
    const uint8_t pqc = AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S, hyb = pqc | AEGIS_ALG_ECDSA;
    static const struct { uint16_t score; uint8_t level; } steps[] = {
        { 5000, AEGIS_RISK_NORMAL }, { 6500, AEGIS_RISK_SCHEDULED },
        { 9500, AEGIS_RISK_EMERGENCY }, { 4000, AEGIS_RISK_NORMAL },
    };
    assert_int_equal(aegis_risk_level(m), AEGIS_RISK_NORMAL);
    assert_int_equal(aegis_risk_since(m), T0);
    for (size_t i = 0; i < 4; i++) {
        uint64_t now = T0 + 1000 * (i + 1);
        char *s = make(o, "qrm-1", i + 1, now, steps[i].score, NULL, 0, 0);
        struct aegis_risk_decision d;
        assert_int_equal(aegis_risk_submit(m, s, strlen(s), now, &d), AEGIS_OK);
        free(s);
        assert_int_equal(d.result, AEGIS_OK);
        assert_int_equal(d.level_after, steps[i].level);
        assert_int_equal(aegis_risk_score(m), steps[i].score);
        assert_int_equal(aegis_risk_level(m), steps[i].level);
        assert_int_equal(aegis_risk_algorithms(m), steps[i].level == AEGIS_RISK_EMERGENCY ? pqc : hyb);
        if (i > 0)
            assert_int_equal(aegis_risk_since(m), now);   /* each later step changes level */
    }
    assert_int_equal(aegis_risk_since(m), T0 + 4000);
    /* events: normal->scheduled, scheduled->emergency, emergency->normal */
    struct aegis_risk_level_event ev[8];
    size_t n = aegis_risk_events_take(m, ev, 8);
    assert_int_equal(n, 3);
    assert_int_equal(ev[0].old_level, AEGIS_RISK_NORMAL);
    assert_int_equal(ev[0].new_level, AEGIS_RISK_SCHEDULED);
    assert_int_equal(ev[0].score, 6500);
    assert_int_equal(ev[1].new_level, AEGIS_RISK_EMERGENCY);
    assert_int_equal(ev[1].old_algorithms, hyb);
    assert_int_equal(ev[1].new_algorithms, pqc);
    assert_int_equal(ev[2].old_level, AEGIS_RISK_EMERGENCY);
    assert_int_equal(ev[2].new_level, AEGIS_RISK_NORMAL);
    assert_int_equal(ev[2].new_algorithms, hyb);
    assert_int_equal(ev[2].decision_index, 3);
    assert_int_equal(aegis_risk_events_take(m, ev, 8), 0);       /* drained */
    assert_int_equal(log.n, 3);                                  /* callback saw the same */
    assert_int_equal(log.ev[1].new_level, AEGIS_RISK_EMERGENCY);
    json_t *st = aegis_risk_status_json(m);
    assert_string_equal(json_string_value(json_object_get(st, "level")), "normal");
    assert_int_equal(json_integer_value(json_object_get(st, "score")), 4000);
    assert_int_equal(json_array_size(json_object_get(st, "algorithms")), 3);
    json_decref(st);
    aegis_risk_monitor_free(m);
    aegis_free(o);
}

/* ---- the monitor's rejections ---- */

static void test_rejections(void **state)
{
    (void)state;
    struct oracle *o = oracle_new(2), *other = oracle_new(3);
    aegis_risk_monitor *m = monitor(o, NULL);
    uint64_t now = T0 + 100000;
    char *s;

    s = make(o, "qrm-1", 10, now, 6500, NULL, 0, 0);
    assert_int_equal(submit(m, s, now), AEGIS_OK);
    assert_int_equal(submit(m, s, now + 10), AEGIS_ERR_RISK_DUPLICATE);
    free(s);
    /* same seq, other content: out of order (equivocation) */
    s = make(o, "qrm-1", 10, now, 7000, NULL, 0, 0);
    assert_int_equal(submit(m, s, now), AEGIS_ERR_RISK_OUT_OF_ORDER);
    free(s);
    s = make(o, "qrm-1", 9, now, 6500, NULL, 0, 0);
    assert_int_equal(submit(m, s, now), AEGIS_ERR_RISK_OUT_OF_ORDER);
    free(s);
    /* higher seq but an older timestamp than the last accepted */
    s = make(o, "qrm-1", 11, now - 1, 6500, NULL, 0, 0);
    assert_int_equal(submit(m, s, now), AEGIS_ERR_RISK_OUT_OF_ORDER);
    free(s);
    /* stale: older than max_age (600 s) */
    s = make(o, "qrm-2", 1, now - 600001, 6500, NULL, 0, 0);
    assert_int_equal(submit(m, s, now), AEGIS_ERR_RISK_STALE);
    free(s);
    s = make(o, "qrm-2", 1, now - 600000, 6500, NULL, 0, 0);   /* exactly max age: accepted */
    assert_int_equal(submit(m, s, now), AEGIS_OK);
    free(s);
    /* future-dated beyond the 30 s skew */
    s = make(o, "qrm-3", 1, now + 30001, 6500, NULL, 0, 0);
    assert_int_equal(submit(m, s, now), AEGIS_ERR_RISK_FUTURE);
    free(s);
    /* unlisted key */
    s = make(other, "qrm-1", 12, now, 9900, NULL, 0, 0);
    assert_int_equal(submit(m, s, now), AEGIS_ERR_RISK_UNKNOWN_KEY);
    free(s);
    /* forged: signed by another key but claiming the listed key id */
    {
        aegis_risk_assessment a;
        memset(&a, 0, sizeof(a));
        strcpy(a.source, "qrm-1");
        a.seq = 13;
        a.timestamp_ms = now;
        a.score = 9900;
        assert_int_equal(aegis_risk_assessment_sign(&a, other->sk, other->pk), AEGIS_OK);
        aegis_risk_key_id(a.key_id, o->pk);
        json_t *j = aegis_risk_assessment_to_json(&a);
        s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        assert_int_equal(submit(m, s, now), AEGIS_ERR_RISK_BAD_SIGNATURE);
        free(s);
    }
    /* a valid assessment with one field changed after signing */
    s = make(o, "qrm-1", 14, now, 1000, NULL, 0, 0);
    char *p = strstr(s, "\"score\":1000");
    assert_non_null(p);
    p[9] = '9';
    assert_int_equal(submit(m, s, now), AEGIS_ERR_RISK_BAD_SIGNATURE);
    free(s);
    /* malformed */
    static const char *const bad[] = {
        "", "{", "[]", "null", "{}", "{\"version\":1}", "{\"score\":1} trailing",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(submit(m, bad[i], now), AEGIS_ERR_RISK_MALFORMED);
    /* the score only moved on accepted assessments */
    assert_int_equal(aegis_risk_score(m), 6500);
    assert_int_equal(aegis_risk_level(m), AEGIS_RISK_SCHEDULED);

    /* every decision was recorded, in order */
    uint64_t total = aegis_risk_decision_count(m);
    assert_int_equal(total, 11 + sizeof(bad) / sizeof(bad[0]));
    struct aegis_risk_decision d[32];
    size_t n = aegis_risk_decisions(m, 0, d, 32);
    assert_int_equal(n, total);
    static const aegis_err want[] = {
        AEGIS_OK, AEGIS_ERR_RISK_DUPLICATE, AEGIS_ERR_RISK_OUT_OF_ORDER, AEGIS_ERR_RISK_OUT_OF_ORDER,
        AEGIS_ERR_RISK_OUT_OF_ORDER, AEGIS_ERR_RISK_STALE, AEGIS_OK, AEGIS_ERR_RISK_FUTURE,
        AEGIS_ERR_RISK_UNKNOWN_KEY, AEGIS_ERR_RISK_BAD_SIGNATURE, AEGIS_ERR_RISK_BAD_SIGNATURE,
        AEGIS_ERR_RISK_MALFORMED,
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(d[i].index, i);
        assert_int_equal(d[i].result, want[i]);
    }
    assert_true(d[0].parsed);
    assert_string_equal(d[0].source, "qrm-1");
    assert_int_equal(d[0].seq, 10);
    assert_false(d[11].parsed);
    json_t *dj = aegis_risk_decision_json(&d[8]);
    assert_string_equal(json_string_value(json_object_get(dj, "result")), "AEGIS_ERR_RISK_UNKNOWN_KEY");
    assert_false(json_is_true(json_object_get(dj, "accepted")));
    json_decref(dj);
    aegis_risk_monitor_free(m);
    aegis_free(o);
    aegis_free(other);
}

static void test_decision_ring_bounded(void **state)
{
    (void)state;
    struct aegis_risk_config rc;
    aegis_risk_config_defaults(&rc);
    rc.history = 4;
    rc.start_ms = T0;
    aegis_risk_monitor *m = monitor(NULL, &rc);
    for (int i = 0; i < 10; i++)
        assert_int_equal(submit(m, "x", T0), AEGIS_ERR_RISK_MALFORMED);
    assert_int_equal(aegis_risk_decision_count(m), 10);
    struct aegis_risk_decision d[8];
    size_t n = aegis_risk_decisions(m, 0, d, 8);
    assert_int_equal(n, 4);
    assert_int_equal(d[0].index, 6);
    assert_int_equal(d[3].index, 9);
    assert_int_equal(aegis_risk_decisions(m, 8, d, 8), 2);
    aegis_risk_monitor_free(m);
}

static void test_bad_config(void **state)
{
    (void)state;
    struct aegis_risk_config rc;
    aegis_risk_monitor *m = NULL;
    aegis_risk_config_defaults(&rc);
    rc.levels.emergency = rc.levels.scheduled;
    assert_int_equal(aegis_risk_monitor_new(&rc, &m), AEGIS_ERR_RISK_BAD_CONFIG);
    aegis_risk_config_defaults(&rc);
    rc.levels.hysteresis = 7000;
    assert_int_equal(aegis_risk_monitor_new(&rc, &m), AEGIS_ERR_RISK_BAD_CONFIG);
    aegis_risk_config_defaults(&rc);
    rc.history = 0;
    assert_int_equal(aegis_risk_monitor_new(&rc, &m), AEGIS_ERR_RISK_BAD_CONFIG);
    assert_null(m);
}

/* ---- format ---- */

static void test_format_roundtrip_and_strictness(void **state)
{
    (void)state;
    struct oracle *o = oracle_new(4);
    struct aegis_risk_asset_score assets[2] = { { "vault-2", 9100 }, { "bridge:eth/1", 7000 } };
    char *s = make(o, "qrm-1", 5, T0, 4200, assets, 2, AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S);
    aegis_risk_assessment a;
    assert_int_equal(aegis_risk_assessment_parse(s, strlen(s), &a), AEGIS_OK);
    assert_int_equal(a.n_assets, 2);
    assert_string_equal(a.assets[0].id, "bridge:eth/1");    /* sorted */
    assert_int_equal(a.algorithms, AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S);
    assert_int_equal(aegis_risk_assessment_verify(&a, o->pk), AEGIS_OK);
    /* key order and whitespace do not matter: re-serialise pretty + sorted */
    json_t *j = json_loads(s, 0, NULL);
    char *s2 = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    aegis_risk_assessment b;
    assert_int_equal(aegis_risk_assessment_parse(s2, strlen(s2), &b), AEGIS_OK);
    uint8_t d1[32], d2[32];
    assert_int_equal(aegis_risk_assessment_digest(&a, d1), AEGIS_OK);
    assert_int_equal(aegis_risk_assessment_digest(&b, d2), AEGIS_OK);
    assert_memory_equal(d1, d2, 32);
    aegis_risk_assessment_clear(&b);
    free(s2);

    /* strictness: each mutation of a valid object is malformed */
    static const struct { const char *key; const char *val; } muts[] = {
        { "extra", "1" }, { "version", "2" }, { "score", "10001" }, { "score", "-1" }, { "score", "1.5" },
        { "score", "\"1\"" }, { "seq", "-3" }, { "source", "\"\"" }, { "source", "\"a b\"" },
        { "key", "\"0x00\"" }, { "signature", "\"00\"" }, { "assets", "{}" }, { "assets", "{\"a\":10001}" },
        { "assets", "[]" }, { "algorithms", "[]" }, { "algorithms", "[\"RSA\"]" },
        { "algorithms", "[\"ML-DSA-87\",\"ML-DSA-87\"]" },
        { "algorithms", "[\"SLH-DSA-256s\",\"SLH-DSA-SHA2-256s\"]" }, { "timestamp_ms", "null" },
    };
    for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
        json_t *c = json_deep_copy(j);
        json_t *v = json_loads(muts[i].val, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        json_object_set_new(c, muts[i].key, v);
        char *t = json_dumps(c, JSON_COMPACT);
        aegis_risk_assessment x;
        assert_int_equal(aegis_risk_assessment_parse(t, strlen(t), &x), AEGIS_ERR_RISK_MALFORMED);
        free(t);
        json_decref(c);
    }
    /* missing required keys */
    static const char *const req[] = { "version", "source", "seq", "timestamp_ms", "score", "key", "signature" };
    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
        json_t *c = json_deep_copy(j);
        json_object_del(c, req[i]);
        aegis_risk_assessment x;
        assert_int_equal(aegis_risk_assessment_from_json(c, &x), AEGIS_ERR_RISK_MALFORMED);
        json_decref(c);
    }
    /* duplicate keys in the text */
    const char *dup = "{\"score\":1,\"score\":2}";
    assert_int_equal(aegis_risk_assessment_parse(dup, strlen(dup), &b), AEGIS_ERR_RISK_MALFORMED);
    json_decref(j);

    /* per-asset overrides reach the monitor */
    aegis_risk_monitor *m = monitor(o, NULL);
    assert_int_equal(submit(m, s, T0), AEGIS_OK);
    uint16_t sc;
    assert_true(aegis_risk_asset_score(m, "vault-2", &sc));
    assert_int_equal(sc, 9100);
    assert_false(aegis_risk_asset_score(m, "vault-3", &sc));
    assert_int_equal(sc, 4200);
    assert_int_equal(aegis_risk_recommended(m), AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S);
    aegis_risk_monitor_free(m);
    aegis_risk_assessment_clear(&a);
    free(s);
    aegis_free(o);
}

/* ---- oracle key files and the file watch ---- */

static void test_oracle_files_and_watch(void **state)
{
    (void)state;
    char dir[] = "/tmp/aegis-test-risk-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char kp[128], bad[128], fp[128];
    snprintf(kp, sizeof(kp), "%s/oracle.pub", dir);
    snprintf(bad, sizeof(bad), "%s/x25519.pub", dir);
    snprintf(fp, sizeof(fp), "%s/risk.json", dir);
    struct oracle *o = oracle_new(5);
    uint8_t x[32] = { 9 };
    assert_int_equal(aegis_keyfile_write(kp, "ml-dsa-87", o->pk, sizeof(o->pk), false), AEGIS_OK);
    assert_int_equal(aegis_keyfile_write(bad, "x25519", x, 32, false), AEGIS_OK);

    aegis_risk_monitor *m = monitor(NULL, NULL);
    aegis_strlist l = { { bad }, 1 };
    const char *which = NULL;
    assert_int_equal(aegis_risk_monitor_load_oracles(m, &l, &which), AEGIS_ERR_RISK_BAD_ORACLE_KEY);
    assert_ptr_equal(which, bad);
    l.items[0] = kp;
    assert_int_equal(aegis_risk_monitor_load_oracles(m, &l, &which), AEGIS_OK);
    assert_int_equal(aegis_risk_monitor_oracle_count(m), 1);
    assert_int_equal(aegis_risk_monitor_load_oracles(m, &l, &which), AEGIS_ERR_EXISTS);

    aegis_risk_watch w;
    assert_int_equal(aegis_risk_watch_init(&w, fp), AEGIS_OK);
    bool changed = true;
    assert_int_equal(aegis_risk_watch_poll(m, &w, T0, &changed, NULL), AEGIS_ERR_NOT_FOUND);
    assert_false(changed);
    char *s = make(o, "file", 1, T0, 9500, NULL, 0, 0);
    assert_int_equal(aegis_file_write_atomic(fp, s, strlen(s), 0644), AEGIS_OK);
    free(s);
    struct aegis_risk_decision d;
    assert_int_equal(aegis_risk_watch_poll(m, &w, T0, &changed, &d), AEGIS_OK);
    assert_true(changed);
    assert_int_equal(aegis_risk_level(m), AEGIS_RISK_EMERGENCY);
    assert_int_equal(aegis_risk_watch_poll(m, &w, T0 + 5, &changed, NULL), AEGIS_OK);   /* unchanged */
    assert_false(changed);
    assert_int_equal(aegis_risk_decision_count(m), 1);
    s = make(o, "file", 2, T0 + 10, 3000, NULL, 0, 0);
    assert_int_equal(aegis_file_write_atomic(fp, s, strlen(s), 0644), AEGIS_OK);   /* new inode */
    free(s);
    assert_int_equal(aegis_risk_watch_poll(m, &w, T0 + 10, &changed, NULL), AEGIS_OK);
    assert_true(changed);
    assert_int_equal(aegis_risk_level(m), AEGIS_RISK_NORMAL);
    assert_int_equal(aegis_file_write_atomic(fp, "garbage", 7, 0644), AEGIS_OK);
    assert_int_equal(aegis_risk_watch_poll(m, &w, T0 + 20, &changed, NULL), AEGIS_ERR_RISK_MALFORMED);
    assert_true(changed);
    assert_int_equal(aegis_risk_decision_count(m), 3);
    aegis_risk_watch_clear(&w);
    aegis_risk_monitor_free(m);
    unlink(kp);
    unlink(bad);
    unlink(fp);
    rmdir(dir);
    aegis_free(o);
}

/* ---- per-transaction risk ---- */

static void test_tx_score(void **state)
{
    (void)state;
    uint8_t v[32] = { 0 };
    struct aegis_risk_tx_input in = { .global_score = 8000, .value = v };
    assert_int_equal(aegis_risk_tx_score(&in), 8000);           /* ECDSA-only: full exposure */
    in.sender_pqc = true;
    assert_int_equal(aegis_risk_tx_score(&in), 2000);           /* PQC key: a quarter */
    in.asset_level = 3;
    assert_int_equal(aegis_risk_tx_score(&in), 5000);
    v[31] = 1;                                                  /* 1 wei: 1 bit, no value points */
    assert_int_equal(aegis_risk_tx_score(&in), 5000);
    memset(v, 0, 32);
    v[24] = 0x04;                                               /* 2^58: 59 bits -> 900 */
    assert_int_equal(aegis_risk_tx_score(&in), 5900);
    v[0] = 0x80;                                                /* 256 bits: capped 2000 */
    assert_int_equal(aegis_risk_tx_score(&in), 7000);
    in.migration = true;                                        /* + 1000 + 8000/5 */
    assert_int_equal(aegis_risk_tx_score(&in), 9600);
    in.sender_pqc = false;
    assert_int_equal(aegis_risk_tx_score(&in), 10000);          /* clamped */
    struct aegis_risk_tx_input zero = { 0 };
    assert_int_equal(aegis_risk_tx_score(&zero), 0);
    /* monotone in the global score */
    uint16_t prev = 0;
    for (uint32_t g = 0; g <= 10000; g += 250) {
        struct aegis_risk_tx_input t = { .global_score = (uint16_t)g, .asset_level = 1 };
        uint16_t sc = aegis_risk_tx_score(&t);
        assert_true(sc >= prev);
        prev = sc;
    }
}

struct registry { uint8_t protected_to[20]; uint8_t pqc_sender[20]; };
static aegis_err lookup(void *ctx, const struct aegis_mempool_tx *tx, struct aegis_risk_tx_facts *out)
{
    const struct registry *r = ctx;
    if ((tx->flags & AEGIS_MEMPOOL_TX_HAS_TO) && memcmp(tx->to, r->protected_to, 20) == 0) {
        out->asset_level = 2;
        strcpy(out->asset_id, "vault-2");
    }
    out->sender_pqc = memcmp(tx->sender, r->pqc_sender, 20) == 0;
    if (tx->nonce == 666)
        return AEGIS_ERR_PERM;
    return AEGIS_OK;
}

static void test_classifier(void **state)
{
    (void)state;
    struct oracle *o = oracle_new(6);
    aegis_risk_monitor *m = monitor(o, NULL);
    struct aegis_risk_asset_score ov[1] = { { "vault-2", 9000 } };
    char *s = make(o, "qrm-1", 1, T0, 6000, ov, 1, 0);
    assert_int_equal(submit(m, s, T0), AEGIS_OK);
    free(s);
    struct registry reg;
    memset(reg.protected_to, 0xaa, 20);
    memset(reg.pqc_sender, 0xbb, 20);
    aegis_risk_classifier rc = { m, lookup, &reg };
    struct aegis_classifier c = aegis_risk_classifier_iface(&rc);
    struct aegis_mempool_tx tx;
    memset(&tx, 0, sizeof(tx));
    memset(tx.sender, 0x11, 20);
    struct aegis_tx_class out;
    assert_int_equal(c.classify(c.ctx, &tx, &out), AEGIS_OK);
    assert_int_equal(out.risk_score, 6000);
    assert_int_equal(out.asset_level, 0);
    assert_false(out.migration);
    /* protected asset with an override: global 9000 for this tx, level 2 */
    tx.flags = AEGIS_MEMPOOL_TX_HAS_TO;
    memset(tx.to, 0xaa, 20);
    assert_int_equal(c.classify(c.ctx, &tx, &out), AEGIS_OK);
    assert_int_equal(out.risk_score, 10000);   /* 9000 + 2000, clamped */
    assert_int_equal(out.asset_level, 2);
    /* PQC sender: a quarter of 9000 + 2000 */
    memset(tx.sender, 0xbb, 20);
    assert_int_equal(c.classify(c.ctx, &tx, &out), AEGIS_OK);
    assert_int_equal(out.risk_score, 2250 + 2000);
    /* declared migration intent */
    tx.flags |= AEGIS_MEMPOOL_TX_DECLARED_MIGRATION;
    tx.declared_group = 77;
    assert_int_equal(c.classify(c.ctx, &tx, &out), AEGIS_OK);
    assert_true(out.migration);
    assert_int_equal(out.migration_group, 77);
    assert_int_equal(out.risk_score, 2250 + 2000 + 1000 + 1800);
    /* a registry error rejects */
    tx.nonce = 666;
    assert_int_equal(c.classify(c.ctx, &tx, &out), AEGIS_ERR_PERM);
    /* no monitor, no lookup: everything 0 */
    aegis_risk_classifier bare = { 0 };
    c = aegis_risk_classifier_iface(&bare);
    tx.flags = 0;
    assert_int_equal(c.classify(c.ctx, &tx, &out), AEGIS_OK);
    assert_int_equal(out.risk_score, 0);
    aegis_risk_monitor_free(m);
    aegis_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_hysteresis),
        cmocka_unit_test(test_algorithm_sets),
        cmocka_unit_test(test_scenario),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_decision_ring_bounded),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_format_roundtrip_and_strictness),
        cmocka_unit_test(test_oracle_files_and_watch),
        cmocka_unit_test(test_tx_score),
        cmocka_unit_test(test_classifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
