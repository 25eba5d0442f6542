/*
 * test_scenario.c - issue 6 end to end on the real aegisd, driven by the
 * aegis CLI (and, where the exact reply codes matter, in-process JSON-RPC):
 *   - signed risk assessments 5000 -> 6500 -> 9500 -> 4000 give the levels
 *     normal, scheduled, emergency, normal in aegis_status and the algorithm
 *     sets 7, 7, 3, 7 in the headers of the batches cut after each step;
 *   - a checkpoint at every level change (and every checkpoint_interval
 *     batches); later headers reference the latest one;
 *   - `aegis checkpoint list|show|verify --all --allow-sim` pass; sim quotes
 *     are refused without --allow-sim; every single-field change of a
 *     fetched checkpoint record fails verification, as does a re-hashed
 *     (unsigned) change and a broken chain;
 *   - forged (unlisted key), re-keyed, tampered, stale, future, duplicate,
 *     out-of-order and malformed assessments are rejected with their codes
 *     and recorded in aegis_getRiskDecisions;
 *   - the keys rotate on entering emergency (hand-over published);
 *   - (scenario_assets.c) an asset's protection activates at its risk
 *     threshold, bad admin signatures are refused, the audit log verifies
 *     and tampered copies do not, a rollback restores exactly a checkpoint's
 *     state hash (signed event, later batches orphaned), and after a restart
 *     risk state, decisions, checkpoints, registry, audit log and rollbacks
 *     persist and replays are still refused.
 * Shared helpers and setup: scenario_util.c (scenario.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aegis/checkpoint.h"
#include "scenario.h"

static void test_risk_levels(void **state)
{
    (void)state;
    /* batches exist before the first step, so a level change can checkpoint */
    uint64_t bn[16];
    assert_true(submit_and_include(3, bn, 16) >= 1);
    json_t *core = status_core();
    assert_string_equal(json_string_value(json_object_get(json_object_get(core, "risk"), "level")), "normal");
    json_int_t epoch0 = json_integer_value(json_object_get(core, "key_epoch"));
    json_decref(core);

    static const struct step steps[] = {
        { 5000, "normal", 0, 7 }, { 6500, "scheduled", 1, 7 }, { 9500, "emergency", 2, 3 }, { 4000, "normal", 0, 7 },
    };
    const char *prev_level = "normal";
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(steps); i++) {
        const struct step *s = &steps[i];
        size_t before = checkpoint_count();
        char score[16], seq[24];
        snprintf(score, sizeof(score), "%u", s->score);
        snprintf(seq, sizeof(seq), "%llu", (unsigned long long)next_seq++);
        int rc = cli("risk", "submit", "--rpc", D.url, "--key", oracle_key, "--score", score, "--source", SOURCE,
                     "--seq", seq, NULL);
        if (rc)
            show_cli();
        assert_int_equal(rc, 0);
        json_error_t je;
        json_t *dec = json_loads(slurp(C.out), 0, &je);
        assert_non_null(dec);
        assert_true(json_is_true(json_object_get(dec, "accepted")));
        assert_string_equal(json_string_value(json_object_get(dec, "level_before")), prev_level);
        assert_string_equal(json_string_value(json_object_get(dec, "level_after")), s->level);
        json_decref(dec);

        core = status_core();
        json_t *risk = json_object_get(core, "risk");
        assert_int_equal(json_integer_value(json_object_get(risk, "score")), s->score);
        assert_string_equal(json_string_value(json_object_get(risk, "level")), s->level);
        assert_true(json_integer_value(json_object_get(risk, "since")) > 0);
        assert_int_equal(has_ecdsa(json_object_get(core, "algorithms")), (s->algs & 4) != 0);
        assert_true(json_integer_value(json_object_get(core, "key_epoch")) >= epoch0);
        fprintf(stderr, "score %u: level %s, algorithms %s, key epoch %lld\n", s->score, s->level,
                (s->algs & 4) ? "ML-DSA-87+SLH-DSA+ECDSA" : "ML-DSA-87+SLH-DSA",
                (long long)json_integer_value(json_object_get(core, "key_epoch")));
        json_decref(core);

        bool changed = strcmp(prev_level, s->level) != 0;
        uint64_t min_ckpt = 0;
        if (changed) {
            /* a checkpoint of the new level is taken (off the hot path: poll) */
            bool found = false;
            for (int t = 0; t < 300 && !found; t++) {
                json_t *l = list_checkpoints();
                for (size_t k = before; k < json_array_size(l); k++) {
                    json_t *c = json_object_get(json_array_get(l, k), "checkpoint");
                    if (json_integer_value(json_object_get(c, "risk_level")) == s->level_num &&
                        json_integer_value(json_object_get(c, "risk_score")) == s->score) {
                        found = true;
                        min_ckpt = (uint64_t)json_integer_value(json_object_get(c, "number"));
                    }
                }
                json_decref(l);
                if (!found)
                    sleep_ms(50);
            }
            assert_true(found);
            fprintf(stderr, "  level change checkpoint %llu\n", (unsigned long long)min_ckpt);
            /* status names the latest committed checkpoint */
            core = status_core();
            json_t *ck = json_object_get(core, "checkpoint");
            assert_true(json_is_object(ck));
            assert_true((uint64_t)json_integer_value(json_object_get(ck, "number")) >= min_ckpt);
            json_decref(core);
        }
        if (s->level_num == 2) {
            /* entering emergency rotates the keys (hand-over published) */
            json_int_t ep = epoch0;
            for (int t = 0; t < 300 && ep == epoch0; t++) {
                core = status_core();
                ep = json_integer_value(json_object_get(core, "key_epoch"));
                json_decref(core);
                if (ep == epoch0)
                    sleep_ms(50);
            }
            assert_int_equal(ep, epoch0 + 1);
            json_t *hp = json_pack("[I]", (json_int_t)ep);
            json_t *ho = call_ok("aegis_getHandover", hp);
            assert_true(json_is_object(ho));
            json_decref(ho);
            json_decref(hp);
            fprintf(stderr, "  emergency key rotation: epoch %lld -> %lld\n", (long long)epoch0, (long long)ep);
        }
        check_batches_after(s, min_ckpt, changed || checkpoint_count() > 0);
        prev_level = s->level;
    }
    /* interval checkpoints too: checkpoint_interval (3) more batches at the
     * same level make one */
    json_t *l = list_checkpoints();
    size_t n1 = json_array_size(l);
    json_int_t last_batch =
        json_integer_value(json_object_get(json_object_get(json_array_get(l, n1 - 1), "checkpoint"), "batch_number"));
    json_decref(l);
    for (int round = 0; round < 4 && checkpoint_count() == n1; round++) {
        submit_and_include(12, bn, 16);
        for (int t = 0; t < 100 && checkpoint_count() == n1; t++)
            sleep_ms(50);
    }
    l = list_checkpoints();
    assert_true(json_array_size(l) > n1);
    json_t *c = json_object_get(json_array_get(l, n1), "checkpoint");
    assert_int_equal(json_integer_value(json_object_get(c, "risk_level")), 0);
    assert_true(json_integer_value(json_object_get(c, "batch_number")) >= last_batch + 3);
    fprintf(stderr, "interval checkpoint %zu at batch %lld (previous at %lld)\n", n1,
            (long long)json_integer_value(json_object_get(c, "batch_number")), (long long)last_batch);
    json_decref(l);
}

/* ---------------- rejected assessments ---------------- */

static void test_rejected_assessments(void **state)
{
    (void)state;
    aegis_client_rpc_err e;
    char seq[24], at[32];
    json_t *before = decisions();
    size_t n_before = json_array_size(before);
    json_decref(before);
    json_t *core = status_core();
    json_int_t score0 = json_integer_value(json_object_get(json_object_get(core, "risk"), "score"));
    json_int_t since0 = json_integer_value(json_object_get(json_object_get(core, "risk"), "since"));
    json_decref(core);
    int want[16];
    size_t nw = 0;

    /* forged: a well-formed assessment signed by a key not in oracle_keys */
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)next_seq + 100);
    json_t *forged = sign_assessment(rogue_key, "9999", seq, NULL);
    expect_code("unlisted key", submit_assessment(forged, &e, NULL), &e, AEGIS_ERR_RISK_UNKNOWN_KEY);
    want[nw++] = AEGIS_ERR_RISK_UNKNOWN_KEY;
    /* ... the same through the CLI */
    assert_int_equal(cli("risk", "submit", "--rpc", D.url, "--key", rogue_key, "--score", "9999", "--source", SOURCE,
                         "--seq", seq, NULL), 1);
    assert_non_null(strstr(slurp(C.err), "AEGIS_ERR_RISK_UNKNOWN_KEY"));
    want[nw++] = AEGIS_ERR_RISK_UNKNOWN_KEY;

    /* forged claiming the listed oracle's key id: the signature fails */
    json_t *good = sign_assessment(oracle_key, "9999", seq, NULL);
    json_object_set(forged, "key", json_object_get(good, "key"));
    expect_code("rogue signature under the oracle's key id", submit_assessment(forged, &e, NULL), &e,
                AEGIS_ERR_RISK_BAD_SIGNATURE);
    want[nw++] = AEGIS_ERR_RISK_BAD_SIGNATURE;
    json_decref(forged);

    /* tampered: a genuine assessment with its score changed */
    json_object_set_new(good, "score", json_integer(10));
    expect_code("tampered score", submit_assessment(good, &e, NULL), &e, AEGIS_ERR_RISK_BAD_SIGNATURE);
    want[nw++] = AEGIS_ERR_RISK_BAD_SIGNATURE;
    json_decref(good);

    /* stale (11 minutes old) and future-dated (5 minutes ahead), correctly signed */
    snprintf(at, sizeof(at), "%llu", (unsigned long long)(aegis_wall_ms() - 11 * 60 * 1000));
    json_t *stale = sign_assessment(oracle_key, "9999", seq, at);
    expect_code("stale", submit_assessment(stale, &e, NULL), &e, AEGIS_ERR_RISK_STALE);
    want[nw++] = AEGIS_ERR_RISK_STALE;
    json_decref(stale);
    snprintf(at, sizeof(at), "%llu", (unsigned long long)(aegis_wall_ms() + 5 * 60 * 1000));
    json_t *future = sign_assessment(oracle_key, "9999", seq, at);
    expect_code("future", submit_assessment(future, &e, NULL), &e, AEGIS_ERR_RISK_FUTURE);
    want[nw++] = AEGIS_ERR_RISK_FUTURE;
    json_decref(future);

    /* duplicate: the last accepted one again; out of order: an older sequence */
    assert_non_null(last_accepted);
    expect_code("duplicate", submit_assessment(last_accepted, &e, NULL), &e, AEGIS_ERR_RISK_DUPLICATE);
    want[nw++] = AEGIS_ERR_RISK_DUPLICATE;
    json_t *old = sign_assessment(oracle_key, "9999", "1", NULL);
    expect_code("out of order", submit_assessment(old, &e, NULL), &e, AEGIS_ERR_RISK_OUT_OF_ORDER);
    want[nw++] = AEGIS_ERR_RISK_OUT_OF_ORDER;
    json_decref(old);

    /* malformed: an unknown field (strict format) */
    json_t *bad = json_pack("{s:i, s:s}", "version", 1, "source", SOURCE);
    expect_code("malformed", submit_assessment(bad, &e, NULL), &e, AEGIS_ERR_RISK_MALFORMED);
    want[nw++] = AEGIS_ERR_RISK_MALFORMED;
    json_decref(bad);

    /* nothing changed */
    core = status_core();
    assert_int_equal(json_integer_value(json_object_get(json_object_get(core, "risk"), "score")), score0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(core, "risk"), "since")), since0);
    json_decref(core);

    /* each rejection is recorded, in order, with its code */
    json_t *after = decisions();
    assert_int_equal(json_array_size(after), n_before + nw);
    for (size_t i = 0; i < nw; i++) {
        json_t *d = json_array_get(after, n_before + i);
        assert_false(json_is_true(json_object_get(d, "accepted")));
        assert_int_equal(json_integer_value(json_object_get(d, "code")), want[i]);
        assert_string_equal(json_string_value(json_object_get(d, "result")), aegis_err_name((aegis_err)want[i]));
    }
    /* and the accepted ones before them */
    size_t accepted = 0;
    for (size_t i = 0; i < n_before; i++)
        accepted += json_is_true(json_object_get(json_array_get(after, i), "accepted"));
    assert_int_equal(accepted, next_seq - 1);   /* every sequence used so far was accepted */
    json_decref(after);
    fprintf(stderr, "%zu rejected assessments recorded with their codes\n", nw);
}

static void test_checkpoint_cli(void **state)
{
    (void)state;
    size_t n = checkpoint_count();
    assert_true(n >= 3);
    /* list: one line per checkpoint */
    assert_int_equal(cli("checkpoint", "list", "--rpc", D.url, NULL), 0);
    const char *out = slurp(C.out), *tail = strstr(out, " checkpoints\n");
    unsigned listed = 0, lines = count_str(out, "checkpoint ");
    assert_non_null(tail);
    while (tail > out && tail[-1] != '\n')
        tail--;
    assert_int_equal(sscanf(tail, "%u checkpoints", &listed), 1);
    assert_true(listed >= n);   /* one may be added meanwhile */
    assert_int_equal(lines, listed);
    assert_true(count_str(slurp(C.out), "emergency") >= 1);
    /* verify --all: every one passes (a checkpoint may be added meanwhile) */
    int rc = cli("checkpoint", "verify", "--rpc", D.url, "--all", "--allow-sim", NULL);
    if (rc)
        show_cli();
    assert_int_equal(rc, 0);
    assert_true(count_str(slurp(C.out), " ok ") >= n);
    assert_non_null(strstr(slurp(C.out), " passed, 0 failed"));
    fprintf(stderr, "checkpoint verify --all: %s", strstr(slurp(C.out), "checkpoint 0"));
    /* sim quotes refused without --allow-sim */
    assert_int_equal(cli("checkpoint", "verify", "--rpc", D.url, "--all", NULL), 1);
    assert_non_null(strstr(slurp(C.err), "AEGIS_ERR_CHAIN_SIM_REFUSED"));
    /* single numbers, linked to their predecessor */
    assert_int_equal(cli("checkpoint", "verify", "--rpc", D.url, "1", "2", "--allow-sim", NULL), 0);
    assert_non_null(strstr(slurp(C.out), "2 passed, 0 failed"));
    /* one the node does not have */
    assert_int_equal(cli("checkpoint", "verify", "--rpc", D.url, "99999", "--allow-sim", NULL), 1);
    assert_non_null(strstr(slurp(C.out), "0 passed, 1 failed"));
    /* show: the record with its state */
    char file[400];
    snprintf(file, sizeof(file), "%s/show.json", D.dir);
    assert_int_equal(cli("checkpoint", "show", "1", "--rpc", D.url, "--out", file, NULL), 0);
    json_error_t je;
    json_t *rec = json_load_file(file, 0, &je);
    assert_non_null(rec);
    assert_non_null(json_object_get(json_object_get(rec, "checkpoint"), "state"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "attestation"), "mode")), "checkpoint");
    json_decref(rec);
    /* usage */
    assert_int_equal(cli("checkpoint", "--rpc", D.url, NULL), 2);
    assert_int_equal(cli("checkpoint", "verify", "--rpc", D.url, NULL), 2);
    assert_int_equal(cli("checkpoint", "show", "--rpc", D.url, NULL), 2);
    assert_int_equal(cli("checkpoint", "rollback", "1", "--rpc", D.url, NULL), 2);
    assert_int_equal(cli("checkpoint", "frobnicate", "--rpc", D.url, NULL), 2);
}

/* ---------------- tampered checkpoints ---------------- */

struct mut {
    json_t *root;
    char file[400];
    unsigned tried, survived;
};

static int verify_file(const char *file)
{
    return cli("checkpoint", "verify", file, "--keyset", keyset_file, "--allow-sim", "--rpc", D.url, NULL);
}

static void try_one(struct mut *m, json_t *parent, const char *key, json_t *nv, const char *path)
{
    json_t *old = json_incref(json_object_get(parent, key));
    json_object_set_new(parent, key, nv);
    assert_int_equal(json_dump_file(m->root, m->file, JSON_COMPACT), 0);
    int rc = verify_file(m->file);
    m->tried++;
    if (rc != 1) {
        m->survived++;
        fprintf(stderr, "mutation of %s was NOT detected (rc %d)\n", path, rc);
    }
    json_object_set_new(parent, key, old);
}

static void walk(struct mut *m, json_t *obj, const char *path)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v) {
        char sub[256];
        snprintf(sub, sizeof(sub), "%s.%s", path, k);
        if (json_is_object(v)) {
            walk(m, v, sub);
        } else if (json_is_boolean(v)) {
            try_one(m, obj, k, json_boolean(!json_is_true(v)), sub);
        } else if (json_is_integer(v)) {
            try_one(m, obj, k, json_integer(json_integer_value(v) + 1), sub);
        } else if (json_is_string(v)) {
            const char *s = json_string_value(v);
            size_t n = strlen(s);
            if (n > 2 && strncmp(s, "0x", 2) == 0) {
                size_t pos[3] = { 2, 2 + (n - 2) / 2, n - 1 };
                for (int i = 0; i < 3; i++) {
                    if (i && pos[i] == pos[i - 1])
                        continue;
                    char *c = strdup(s);
                    c[pos[i]] = c[pos[i]] == '0' ? '1' : '0';
                    try_one(m, obj, k, json_string(c), sub);
                    free(c);
                }
            } else {
                char *c = NULL;
                assert_true(asprintf(&c, "%sx", s) > 0);
                try_one(m, obj, k, json_string(c), sub);
                free(c);
            }
        }
    }
}

/* The first of three consecutive checkpoints in one key epoch (--keyset
 * names one key set). Which checkpoints land in which epoch depends on the
 * race between the emergency checkpoint and the key rotation, so the
 * window is found in the list, not assumed by number; when none exists
 * yet, batches are cut until interval checkpoints make one in the current
 * epoch. */
static uint64_t same_epoch_window(json_int_t *ret_epoch)
{
    uint64_t bn[16];
    for (int round = 0; round < 12; round++) {
        json_t *l = list_checkpoints();
        size_t n = json_array_size(l);
        for (size_t k = 0; k + 2 < n; k++) {
            json_int_t e[3], num[3];
            for (size_t i = 0; i < 3; i++) {
                json_t *c = json_object_get(json_array_get(l, k + i), "checkpoint");
                e[i] = json_integer_value(json_object_get(c, "key_epoch"));
                num[i] = json_integer_value(json_object_get(c, "number"));
            }
            if (e[0] == e[1] && e[1] == e[2] && num[1] == num[0] + 1 && num[2] == num[1] + 1) {
                json_decref(l);
                *ret_epoch = e[0];
                return (uint64_t)num[0];
            }
        }
        json_decref(l);
        submit_and_include(12, bn, 16);
        for (int t = 0; t < 100 && checkpoint_count() == n; t++)
            sleep_ms(50);
    }
    fail_msg("no three consecutive checkpoints in one key epoch");
    return 0;
}

static void test_checkpoint_tamper(void **state)
{
    (void)state;
    json_int_t epoch = 0;
    uint64_t k0 = same_epoch_window(&epoch), k1 = k0 + 1;
    fprintf(stderr, "checkpoint tamper: checkpoints %llu..%llu, key epoch %lld\n", (unsigned long long)k0,
            (unsigned long long)k0 + 2, (long long)epoch);
    /* the key set once, as a file (each mutation run then stays offline) */
    json_t *ep = json_pack("[I]", epoch);
    json_t *ks = call_ok("aegis_getKeySet", ep);
    assert_int_equal(json_dump_file(ks, keyset_file, 0), 0);
    json_decref(ks);
    json_decref(ep);

    char file[400], num[24];
    snprintf(file, sizeof(file), "%s/ckpt1.json", D.dir);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)k1);
    assert_int_equal(cli("checkpoint", "show", num, "--rpc", D.url, "--out", file, NULL), 0);
    int rc = verify_file(file);
    if (rc)
        show_cli();
    assert_int_equal(rc, 0);
    assert_non_null(strstr(slurp(C.out), "1 passed, 0 failed"));

    json_error_t je;
    struct mut m = { 0 };
    m.root = json_load_file(file, 0, &je);
    assert_non_null(m.root);
    snprintf(m.file, sizeof(m.file), "%s/mutated.json", D.dir);
    walk(&m, m.root, "record");
    fprintf(stderr, "checkpoint tamper: %u single-field mutations, %u undetected\n", m.tried, m.survived);
    assert_true(m.tried >= 40);
    assert_int_equal(m.survived, 0);

    /* a field changed and the hash recomputed: the signatures no longer verify */
    aegis_checkpoint c;
    assert_int_equal(aegis_checkpoint_from_json(json_object_get(m.root, "checkpoint"), &c), AEGIS_OK);
    c.risk_score = c.risk_score == 10000 ? 9999 : c.risk_score + 1;
    aegis_checkpoint_compute_hash(&c, c.hash);
    json_t *rehashed = json_pack("{s:o, s:O}", "checkpoint", aegis_checkpoint_to_json(&c, true), "attestation",
                                 json_object_get(m.root, "attestation"));
    assert_int_equal(json_dump_file(rehashed, m.file, 0), 0);
    assert_int_equal(verify_file(m.file), 1);
    assert_non_null(strstr(slurp(C.out), "AEGIS_ERR_CKPT_BAD_SIG"));
    json_decref(rehashed);
    /* the state blob swapped for another (state_hash and hash recomputed too) */
    aegis_checkpoint_clear(&c);
    assert_int_equal(aegis_checkpoint_from_json(json_object_get(m.root, "checkpoint"), &c), AEGIS_OK);
    assert_true(c.state_len > 0);
    c.state[0] ^= 1;
    aegis_keccak256(c.state_hash, c.state, c.state_len);
    aegis_checkpoint_compute_hash(&c, c.hash);
    rehashed = json_pack("{s:o, s:O}", "checkpoint", aegis_checkpoint_to_json(&c, true), "attestation",
                         json_object_get(m.root, "attestation"));
    assert_int_equal(json_dump_file(rehashed, m.file, 0), 0);
    assert_int_equal(verify_file(m.file), 1);
    json_decref(rehashed);
    aegis_checkpoint_clear(&c);
    /* the state blob removed: a full verification needs it */
    json_object_del(json_object_get(m.root, "checkpoint"), "state");
    assert_int_equal(json_dump_file(m.root, m.file, 0), 0);
    assert_int_equal(verify_file(m.file), 1);
    assert_non_null(strstr(slurp(C.out), "AEGIS_ERR_CKPT_STATE_HASH"));
    json_decref(m.root);

    /* the chain: k0,k0+1,k0+2 passes; a gap, a swap or a foreign first link fails */
    json_t *arr = json_array();
    for (uint64_t k = k0; k < k0 + 3; k++)
        json_array_append_new(arr, fetch_record(k));
    assert_int_equal(json_dump_file(arr, m.file, 0), 0);
    assert_int_equal(verify_file(m.file), 0);
    assert_non_null(strstr(slurp(C.out), "3 passed, 0 failed"));
    json_t *r1 = json_incref(json_array_get(arr, 1));
    json_array_remove(arr, 1);   /* 0, 2 */
    assert_int_equal(json_dump_file(arr, m.file, 0), 0);
    assert_int_equal(verify_file(m.file), 1);
    assert_non_null(strstr(slurp(C.out), "AEGIS_ERR_CKPT_CHAIN"));
    json_array_insert_new(arr, 0, r1);   /* 1, 0, 2 */
    assert_int_equal(json_dump_file(arr, m.file, 0), 0);
    assert_int_equal(verify_file(m.file), 1);
    json_decref(arr);
    /* the listing served by the node matches the records it serves */
    json_t *list = list_checkpoints();
    for (size_t k = 0; k < json_array_size(list); k++) {
        json_t *full = fetch_record(k);
        assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(list, k), "checkpoint"), "hash")),
                            json_string_value(json_object_get(json_object_get(full, "checkpoint"), "hash")));
        json_decref(full);
    }
    json_decref(list);
}

/* scenario_assets.c */
void remember_last_accepted(void **state);
void test_assets_audit(void **state);
void test_rollback(void **state);
void test_restart_persists(void **state);

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_risk_levels),
        cmocka_unit_test(remember_last_accepted),
        cmocka_unit_test(test_rejected_assessments),
        cmocka_unit_test(test_checkpoint_cli),
        cmocka_unit_test(test_checkpoint_tamper),
        cmocka_unit_test(test_assets_audit),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_restart_persists),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

