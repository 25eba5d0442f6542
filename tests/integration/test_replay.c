/*
 * test_replay.c - restart replay opens the pending envelopes in parallel
 * runs and admits them in log order (src/sequencer/replay.c): the outcome
 * does not depend on the thread count.
 *
 * A real aegisd that never cuts takes acknowledged envelopes from `aegis
 * loadgen` and is killed (SIGKILL): they stay "pending" in its log. The log
 * then gets envelopes that fail at admission (a copy with a flipped
 * ciphertext byte under its own hash: undecryptable) and gaps (envelopes in
 * the middle marked rejected, so their senders' later nonces wait). Copies
 * of that data dir restart with storage.ingest_open_threads = 1, 2, 3 and 8
 * and cut everything they replayed: every copy ends with the same
 * envelope statuses and reasons, the same batches (transaction hashes and
 * envelope ids in order) and the same replay counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "aegis/hash.h"
#include "harness.h"

#define N_ENV 300

static sqlite3 *db_open(const char *data_dir)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/aegis.db", data_dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* Append, as pending, envelope `from`'s bytes with one ciphertext byte
 * flipped, under the hash of the new bytes: logged, undecryptable. */
static void append_tampered(sqlite3 *db, int64_t from, int at)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT data, received_ms FROM envelopes WHERE id = ?1", -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, from);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int n = sqlite3_column_bytes(s, 0);
    assert_true(n > 200);
    uint8_t *b = malloc((size_t)n);
    memcpy(b, sqlite3_column_blob(s, 0), (size_t)n);
    int64_t ms = sqlite3_column_int64(s, 1);
    sqlite3_finalize(s);
    b[n - at] ^= 0x40;   /* in the AEAD ciphertext / tag, after the header */
    uint8_t h[32];
    aegis_sha256(h, b, (size_t)n);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO envelopes(id, hash, received_ms, status, data) "
                                            "VALUES((SELECT max(id) + 1 FROM envelopes), ?1, ?2, 0, ?3)",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(s, 1, h, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, ms);
    sqlite3_bind_blob(s, 3, b, n, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    exec(db, "INSERT INTO env_status(id, status) VALUES((SELECT max(id) FROM envelopes), 0)");
    free(b);
}

/* Every envelope's id, status and reason, then every batch's transactions
 * (hash and envelope id, in order): one text to compare. */
static char *outcome(const char *data_dir)
{
    sqlite3 *db = db_open(data_dir);
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, status, coalesce(reason, '') FROM env_status ORDER BY id", -1,
                                        &s, NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        assert_true(len + 300 < cap);
        len += (size_t)snprintf(out + len, cap - len, "env %lld %d %s\n", (long long)sqlite3_column_int64(s, 0),
                                sqlite3_column_int(s, 1), (const char *)sqlite3_column_text(s, 2));
    }
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT key, val FROM records WHERE coll = 'batch' ORDER BY key", -1, &s,
                                        NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *b = json_loadb(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), 0, NULL);
        assert_non_null(b);
        json_t *txs = json_object_get(b, "txs");
        len += (size_t)snprintf(out + len, cap - len, "batch %lld:", (long long)sqlite3_column_int64(s, 0));
        for (size_t i = 0; i < json_array_size(txs); i++) {
            json_t *t = json_array_get(txs, i);
            assert_true(len + 100 < cap);
            len += (size_t)snprintf(out + len, cap - len, " %s/%lld", json_string_value(json_object_get(t, "hash")),
                                    (long long)json_integer_value(json_object_get(t, "envelope_id")));
        }
        len += (size_t)snprintf(out + len, cap - len, "\n");
        json_decref(b);
    }
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return out;
}

static uint64_t status_u64(const struct daemon *d, const char *key)
{
    json_t *r = rpc_call(d, "aegis_status", NULL);
    uint64_t n = (uint64_t)json_integer_value(json_object_get(json_object_get(r, "result"), key));
    json_decref(r);
    return n;
}

/* The "restored" log line's replay counts. */
static void restored_counts(const char *err_path, char *buf, size_t cap)
{
    const char *log = slurp(err_path);
    const char *r = strstr(log, "replayed=");
    assert_non_null(r);
    size_t n = strcspn(r, "\n");
    snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), r);
}

static void test_replay_same_for_any_thread_count(void **state)
{
    (void)state;
    struct daemon d, c;
    daemon_init(&d, "[batch]\nmax = 1000\ninterval_ms = 3600000\n");
    daemon_init(&c, NULL);
    assert_true(daemon_start(&d));
    char count[16];
    snprintf(count, sizeof(count), "%d", N_ENV);
    const char *args[] = { "loadgen", "--rpc", d.url, "--count", count, "--senders", "12", "--concurrency", "4",
                           "--timeout", "3", "--allow-sim", NULL };
    (void)run_aegis(&c, args);   /* acknowledged, never included: no batch is cut */
    assert_int_equal(status_u64(&d, "last_batch"), 0);
    assert_int_equal(daemon_stop(&d, SIGKILL), 128 + SIGKILL);

    sqlite3 *db = db_open(d.data_dir);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM env_status WHERE status = 0", -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), N_ENV);
    sqlite3_finalize(s);
    for (int i = 0; i < 5; i++)
        append_tampered(db, 7 + 31 * i, 5 + i);
    /* gaps: these senders' later nonces cannot be admitted for sequencing */
    exec(db, "UPDATE env_status SET status = 2, reason = 'test gap' WHERE id IN (40, 41, 130)");
    assert_int_equal(sqlite3_close(db), SQLITE_OK);

    static const int threads[] = { 1, 2, 3, 8 };
    char *first = NULL, first_counts[200] = "";
    for (size_t k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
        char toml[200];
        snprintf(toml, sizeof(toml), "[batch]\nmax = 1000\ninterval_ms = 100\n[storage]\ningest_open_threads = %d\n",
                 threads[k]);
        struct daemon r;
        daemon_init(&r, toml);
        snprintf(r.data_dir, sizeof(r.data_dir), "%s/copy", r.dir);
        sh("cp -a '%s' '%s'", d.data_dir, r.data_dir);
        assert_true(daemon_start(&r));
        /* everything admissible is cut: the batch count stops moving */
        uint64_t last = 0, stable = 0;
        for (int i = 0; i < 200 && stable < 5; i++) {
            usleep(100000);
            uint64_t now = status_u64(&r, "last_batch");
            stable = now == last && now > 0 ? stable + 1 : 0;
            last = now;
        }
        assert_true(last > 0);
        assert_int_equal(daemon_stop(&r, SIGTERM), 0);
        char counts[200];
        restored_counts(r.err, counts, sizeof(counts));
        char *got = outcome(r.data_dir);
        if (!first) {
            first = got;
            snprintf(first_counts, sizeof(first_counts), "%s", counts);
            /* the tampered ones were rejected at replay, the rest replayed */
            assert_non_null(strstr(counts, "rejected=5"));
            assert_null(strstr(counts, "replayed=0 "));
            assert_non_null(strstr(got, " 2 test gap\n"));
        } else {
            if (strcmp(first, got) != 0)
                fail_msg("replay with %d opener threads differs from 1 thread", threads[k]);
            assert_string_equal(first_counts, counts);
            free(got);
        }
        daemon_cleanup(&r);
    }
    free(first);
    daemon_cleanup(&c);
    daemon_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_replay_same_for_any_thread_count, harness_reap_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
