/* test_host_faults.c - a host that loses or rolls back the store never makes
 * aegisd sign a published batch number again (issue 12): an old aegis.db
 * put back after a SIGKILL under load is refused against the sealed
 * high-water mark (so is a store whose WAL was deleted after the kill),
 * `aegis recover` brings the store back up to it from the
 * batches exported before, and the chain then continues where it was; a
 * missing keyset.sealed over a used store (pending envelopes only, or
 * batches) is refused before anything is written; /healthz leaves "storage
 * full" once writes succeed again; an envelope whose bytes no longer match
 * its hash is "corrupted" (logged, counted), never replayed or "rejected";
 * a restart from the core's sealed snapshot verifies no old batch again,
 * serves old receipts once its background index is loaded, and continues
 * the chain; another node's snapshot does not unseal (the full walk). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

static const char *CONF = "[batch]\nmax = 10\ninterval_ms = 100\n";

static void new_port(struct daemon *d)
{
    d->port = free_port();
    snprintf(d->url, sizeof(d->url), "http://127.0.0.1:%d", d->port);
}

static uint64_t last_batch(const struct daemon *d)
{
    json_t *r = rpc_call(d, "aegis_status", NULL);
    uint64_t n = (uint64_t)json_integer_value(json_object_get(json_object_get(r, "result"), "last_batch"));
    json_decref(r);
    return n;
}

/* count encrypted txs from fresh senders; with wait, until all are included */
static int load(const struct daemon *d, struct daemon *cli, const char *count, const char *timeout)
{
    const char *args[] = { "loadgen", "--rpc", d->url, "--count", count, "--senders", "8", "--concurrency", "4",
                           "--timeout", timeout, "--allow-sim", NULL };
    return run_aegis(cli, args);
}

/* Every published batch in [from, to] as one JSON array file. */
static void export_batches(const struct daemon *d, uint64_t from, uint64_t to, const char *path)
{
    json_t *all = json_array();
    for (uint64_t f = from; f <= to; f += 100) {
        uint64_t t = f + 99 < to ? f + 99 : to;
        char p[64];
        snprintf(p, sizeof(p), "[%llu, %llu]", (unsigned long long)f, (unsigned long long)t);
        json_t *r = rpc_call(d, "aegis_getBatches", p);
        json_t *res = json_object_get(r, "result");
        assert_int_equal(json_array_size(res), t - f + 1);
        json_array_extend(all, res);
        json_decref(r);
    }
    assert_int_equal(json_dump_file(all, path, JSON_COMPACT), 0);
    json_decref(all);
}

static char *batch_hash(const struct daemon *d, uint64_t n)
{
    char p[32];
    snprintf(p, sizeof(p), "[%llu]", (unsigned long long)n);
    json_t *r = rpc_call(d, "aegis_getBatch", p);
    const char *h = json_string_value(json_object_get(json_object_get(r, "result"), "hash"));
    char *out = h ? strdup(h) : NULL;
    json_decref(r);
    assert_non_null(out);
    return out;
}

static void test_old_db_put_back_is_refused_then_recovered(void **state)
{
    (void)state;
    struct daemon d, c;
    daemon_init(&d, CONF);
    daemon_init(&c, NULL);
    assert_true(daemon_start(&d));
    assert_int_equal(load(&d, &c, "120", "60"), 0);
    uint64_t last1 = last_batch(&d);
    assert_true(last1 > 0);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    /* the operator's "backup" */
    sh("cp '%s/aegis.db' '%s/old.db'", d.data_dir, d.dir);

    new_port(&d);
    assert_true(daemon_start(&d));
    assert_int_equal(load(&d, &c, "200", "60"), 0);
    uint64_t last2 = last_batch(&d);
    assert_true(last2 > last1);
    char *hash2 = batch_hash(&d, last2);
    char exported[400];
    snprintf(exported, sizeof(exported), "%s/published.json", d.dir);
    export_batches(&d, last1 + 1, last2, exported);
    assert_int_equal(daemon_stop(&d, SIGKILL), 128 + SIGKILL);

    /* the host puts the old database back (and loses the WAL) */
    sh("cp '%s/old.db' '%s/aegis.db' && rm -f '%s/aegis.db-wal' '%s/aegis.db-shm'", d.dir, d.data_dir, d.data_dir,
       d.data_dir);
    new_port(&d);
    assert_false(daemon_start(&d));   /* refused: today's code started at last1 and signed last1+1 again */
    const char *err = slurp(d.err);
    assert_non_null(strstr(err, "AEGIS_ERR_CORE_STORE_BEHIND"));
    char want[160];
    snprintf(want, sizeof(want), "the store ends at batch %llu", (unsigned long long)last1);
    assert_non_null(strstr(err, want));
    snprintf(want, sizeof(want), "this sequencer has signed batch %llu", (unsigned long long)last2);
    assert_non_null(strstr(err, want));
    /* refused again: nothing was signed meanwhile */
    new_port(&d);
    assert_false(daemon_start(&d));

    /* the operator's path: the published batches back, the lost pending
     * envelopes accepted as lost */
    const char *rec[] = { "recover", "--data-dir", d.data_dir, "--accept-lost-envelopes", exported, NULL };
    int rc = run_aegis(&c, rec);
    if (rc != 0)
        fprintf(stderr, "%s\n%s\n", slurp(c.out), slurp(c.err));
    assert_int_equal(rc, 0);
    snprintf(want, sizeof(want), "now end at %llu", (unsigned long long)last2);
    assert_non_null(strstr(slurp(c.out), want));

    new_port(&d);
    assert_true(daemon_start(&d));
    assert_int_equal(last_batch(&d), last2);
    char *h = batch_hash(&d, last2);
    assert_string_equal(h, hash2);   /* one hash per number */
    free(h);
    assert_int_equal(load(&d, &c, "30", "60"), 0);
    uint64_t last3 = last_batch(&d);
    assert_true(last3 > last2);
    char p[32];
    snprintf(p, sizeof(p), "[%llu]", (unsigned long long)(last2 + 1));
    json_t *r = rpc_call(&d, "aegis_getBatch", p);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(r, "result"), "header"), "parent_hash")),
                        hash2);
    json_decref(r);
    free(hash2);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    daemon_cleanup(&c);
    daemon_cleanup(&d);
}

/* aegis recover --from: the lost batches fetched from a node that serves
 * them (here a replica: a copy of this node's data dir, started on its own). */
static void test_recover_from_node(void **state)
{
    (void)state;
    struct daemon d, e, c;
    daemon_init(&d, CONF);
    daemon_init(&c, NULL);
    assert_true(daemon_start(&d));
    assert_int_equal(load(&d, &c, "60", "60"), 0);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    sh("cp '%s/aegis.db' '%s/old.db'", d.data_dir, d.dir);
    new_port(&d);
    assert_true(daemon_start(&d));
    assert_int_equal(load(&d, &c, "100", "60"), 0);
    uint64_t last2 = last_batch(&d);
    char *hash2 = batch_hash(&d, last2);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    daemon_init(&e, CONF);
    sh("rm -rf '%s' && cp -a '%s' '%s'", e.data_dir, d.data_dir, e.data_dir);
    assert_true(daemon_start(&e));
    /* this node's store rolled back: refused, then recovered from the replica */
    sh("cp '%s/old.db' '%s/aegis.db' && rm -f '%s/aegis.db-wal' '%s/aegis.db-shm'", d.dir, d.data_dir, d.data_dir,
       d.data_dir);
    new_port(&d);
    assert_false(daemon_start(&d));
    const char *bad[] = { "recover", "--data-dir", d.dir, "--from", e.url, NULL };   /* not a data dir */
    assert_int_equal(run_aegis(&c, bad), 1);
    assert_non_null(strstr(slurp(c.err), "no aegis.db in"));
    const char *rec[] = { "recover", "--data-dir", d.data_dir, "--from", e.url, "--accept-lost-envelopes", NULL };
    int rc = run_aegis(&c, rec);
    if (rc != 0)
        fprintf(stderr, "%s\n%s\n", slurp(c.out), slurp(c.err));
    assert_int_equal(rc, 0);
    new_port(&d);
    if (!daemon_start(&d))
        fail_msg("restart after recover --from refused: %s", slurp(d.err));
    assert_int_equal(last_batch(&d), last2);
    char *h = batch_hash(&d, last2);
    assert_string_equal(h, hash2);
    free(h);
    free(hash2);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    assert_int_equal(daemon_stop(&e, SIGTERM), 0);
    daemon_cleanup(&e);
    daemon_cleanup(&c);
    daemon_cleanup(&d);
}

static int64_t sql_int(const char *data_dir, const char *sql)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/aegis.db", data_dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    int64_t v = 0;   /* no such table: even the schema was only in the WAL */
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* SIGKILL under load, then the WAL deleted: whatever batches it held are
 * gone from the store, and aegisd must refuse rather than sign them again.
 * (Should the checkpointer have copied everything already, nothing is lost
 * and it must start, continuing under the same hashes.) */
static void test_dropped_wal_is_refused(void **state)
{
    (void)state;
    struct daemon d, c;
    daemon_init(&d, CONF);
    daemon_init(&c, NULL);
    assert_true(daemon_start(&d));
    assert_int_equal(load(&d, &c, "150", "60"), 0);
    assert_int_equal(load(&d, &c, "30", "60"), 0);
    uint64_t last = last_batch(&d);
    char *hash_first = batch_hash(&d, 1);
    assert_int_equal(daemon_stop(&d, SIGKILL), 128 + SIGKILL);
    sh("rm -f '%s/aegis.db-wal' '%s/aegis.db-shm'", d.data_dir, d.data_dir);
    int64_t kept = sql_int(d.data_dir, "SELECT coalesce(max(key), 0) FROM records WHERE coll = 'batch'");
    print_message("    batches published %llu, left in the store without its WAL %lld\n", (unsigned long long)last,
                  (long long)kept);
    new_port(&d);
    if ((uint64_t)kept < last) {
        assert_false(daemon_start(&d));
        assert_non_null(strstr(slurp(d.err), "AEGIS_ERR_CORE_STORE_BEHIND"));
    } else {
        assert_true(daemon_start(&d));
        char *h = batch_hash(&d, 1);
        assert_string_equal(h, hash_first);
        free(h);
        assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    }
    free(hash_first);
    daemon_cleanup(&c);
    daemon_cleanup(&d);
}

/* keyset.sealed gone, the store not empty: refuse, and write no new key. */
static void missing_keyset_refused(const char *toml, const char *timeout, int want_load_rc0)
{
    struct daemon d, c;
    daemon_init(&d, toml);
    daemon_init(&c, NULL);
    assert_true(daemon_start(&d));
    int rc = load(&d, &c, "40", timeout);
    if (want_load_rc0)
        assert_int_equal(rc, 0);
    assert_int_equal(daemon_stop(&d, SIGKILL), 128 + SIGKILL);
    char ks[400];
    snprintf(ks, sizeof(ks), "%s/keyset.sealed", d.data_dir);
    assert_int_equal(unlink(ks), 0);
    new_port(&d);
    assert_false(daemon_start(&d));
    assert_non_null(strstr(slurp(d.err), "keyset.sealed is missing"));
    struct stat st;
    assert_int_not_equal(stat(ks, &st), 0);   /* nothing written */
    daemon_cleanup(&c);
    daemon_cleanup(&d);
}

static void test_missing_keyset_with_pending_envelopes(void **state)
{
    (void)state;
    /* no batch is ever cut: every acknowledged envelope is pending */
    missing_keyset_refused("[batch]\nmax = 1000\ninterval_ms = 3600000\n", "2", 0);
}

static void test_missing_keyset_with_batches(void **state)
{
    (void)state;
    missing_keyset_refused(CONF, "60", 1);
}

static int healthz(const struct daemon *d)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/healthz", d->url);
    aegis_http_response hr = { 0 };
    int status = aegis_http_get(url, 5000, &hr) == AEGIS_OK ? hr.status : -1;
    aegis_http_response_clear(&hr);
    return status;
}

/* A disk-full episode: degraded while writes fail, healthy again (200) once
 * they succeed. Needs a small tmpfs: root with mount(2); skipped otherwise. */
static void test_healthz_recovers_after_disk_full(void **state)
{
    (void)state;
    struct daemon d, c;
    daemon_init(&d, CONF);
    daemon_init(&c, NULL);
    char mnt[300];
    snprintf(mnt, sizeof(mnt), "%.250s/small", d.dir);
    assert_int_equal(mkdir(mnt, 0700), 0);
    if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=4m,mode=0700") != 0) {
        daemon_cleanup(&c);
        daemon_cleanup(&d);
        skip();
    }
    snprintf(d.data_dir, sizeof(d.data_dir), "%s/data", mnt);
    assert_true(daemon_start(&d));
    assert_int_equal(healthz(&d), 200);
    /* fill the disk, then submit: the writes fail */
    char filler[400];
    snprintf(filler, sizeof(filler), "%s/filler", mnt);
    sh("dd if=/dev/zero of='%s' bs=64k 2>/dev/null || true", filler);
    int degraded = 200;
    for (int i = 0; i < 10 && degraded == 200; i++) {
        (void)load(&d, &c, "50", "2");
        degraded = healthz(&d);
    }
    assert_true(degraded == 206 || degraded == 503);
    /* space again: healthy within a few seconds, and submissions go through */
    assert_int_equal(unlink(filler), 0);
    int status = 0;
    for (int i = 0; i < 50 && (status = healthz(&d)) != 200; i++)
        usleep(100000);
    assert_int_equal(status, 200);
    assert_int_equal(load(&d, &c, "10", "30"), 0);
    assert_int_equal(healthz(&d), 200);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    umount(mnt);
    daemon_cleanup(&c);
    daemon_cleanup(&d);
}

/* Flip one byte of envelope id's data in the database file. */
static void flip_envelope_byte(const char *data_dir, int64_t id)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/aegis.db", data_dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM envelopes WHERE id = ?1", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, id);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int n = sqlite3_column_bytes(s, 0);
    assert_true(n > 100);
    unsigned char *b = malloc((size_t)n);
    memcpy(b, sqlite3_column_blob(s, 0), (size_t)n);
    sqlite3_finalize(s);
    b[n / 2] ^= 0x01;
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE envelopes SET data = ?1 WHERE id = ?2", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_blob(s, 1, b, n, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, id);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    free(b);
}

static void test_corrupted_envelope_is_not_rejected(void **state)
{
    (void)state;
    struct daemon d, c;
    daemon_init(&d, "[batch]\nmax = 1000\ninterval_ms = 3600000\n");
    daemon_init(&c, NULL);
    assert_true(daemon_start(&d));
    (void)load(&d, &c, "12", "2");   /* acknowledged, pending: no batch is cut */
    assert_int_equal(daemon_stop(&d, SIGKILL), 128 + SIGKILL);
    flip_envelope_byte(d.data_dir, 5);
    new_port(&d);
    assert_false(daemon_start(&d));   /* up, but not healthy: the store's integrity is degraded */
    assert_true(d.pid > 0);
    char url[128];
    snprintf(url, sizeof(url), "%s/healthz", d.url);
    aegis_http_response hr = { 0 };
    assert_int_equal(aegis_http_get(url, 5000, &hr), AEGIS_OK);
    assert_int_equal(hr.status, 206);
    aegis_http_response_clear(&hr);
    const char *err = slurp(d.err);
    assert_non_null(strstr(err, "CORRUPTED envelope"));
    assert_non_null(strstr(err, "id=5 "));
    json_t *r = rpc_call(&d, "aegis_getEnvelope", "[5]");
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "result"), "status")), "pending");
    json_decref(r);
    r = rpc_call(&d, "aegis_getEnvelope", "[6]");   /* its neighbours were replayed as usual */
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "result"), "status")), "pending");
    json_decref(r);
    snprintf(url, sizeof(url), "%s/metrics", d.url);
    assert_int_equal(aegis_http_get(url, 5000, &hr), AEGIS_OK);
    assert_non_null(strstr((const char *)hr.body, "aegis_envelopes_corrupted_total 1\n"));
    aegis_http_response_clear(&hr);
    r = rpc_call(&d, "aegis_status", NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(r, "result"), "core"),
                                                        "mempool")), 11);
    json_decref(r);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    daemon_cleanup(&c);
    daemon_cleanup(&d);
}

static char *tx_of_batch(const struct daemon *d, uint64_t n)
{
    char p[32];
    snprintf(p, sizeof(p), "[%llu]", (unsigned long long)n);
    json_t *r = rpc_call(d, "aegis_getBatch", p);
    const char *h = json_string_value(json_object_get(
        json_array_get(json_object_get(json_object_get(r, "result"), "txs"), 0), "hash"));
    char *out = h ? strdup(h) : NULL;
    json_decref(r);
    assert_non_null(out);
    return out;
}

static void test_restart_from_snapshot(void **state)
{
    (void)state;
    struct daemon d, e, c;
    daemon_init(&d, CONF);
    daemon_init(&c, NULL);
    assert_true(daemon_start(&d));
    assert_int_equal(load(&d, &c, "150", "60"), 0);
    uint64_t last1 = last_batch(&d);
    char *tx1 = tx_of_batch(&d, 1), *hash_last = batch_hash(&d, last1);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);   /* saves the snapshot */
    char path[400];
    struct stat st;
    snprintf(path, sizeof(path), "%s/restore.sealed", d.data_dir);
    assert_int_equal(stat(path, &st), 0);

    new_port(&d);
    assert_true(daemon_start(&d));
    assert_non_null(strstr(slurp(d.err), "msg=\"restored\" batches=0 "));   /* none verified again */
    assert_int_equal(last_batch(&d), last1);
    /* batch 1's receipt: "not ready" while the index loads, then included */
    char p[96];
    snprintf(p, sizeof(p), "[\"%s\"]", tx1);
    const char *status = NULL;
    json_t *r = NULL;
    for (int i = 0; i < 200; i++) {
        json_decref(r);
        r = rpc_call(&d, "aegis_getReceipt", p);
        json_t *res = json_object_get(r, "result");
        if (res) {
            status = json_string_value(json_object_get(res, "status"));
            break;
        }
        assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(r, "error"), "data"),
                                                              "name")),
                            "AEGIS_ERR_NOT_READY");
        usleep(50000);
    }
    assert_non_null(status);
    assert_string_equal(status, "included");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "batch")), 1);
    json_decref(r);
    bool loading = true;
    for (int i = 0; i < 200 && loading; i++) {   /* the rest of the index follows */
        r = rpc_call(&d, "aegis_status", NULL);
        loading = json_is_true(json_object_get(json_object_get(r, "result"), "index_loading"));
        json_decref(r);
        if (loading)
            usleep(50000);
    }
    assert_false(loading);
    /* the chain continues from the snapshot's tip */
    assert_int_equal(load(&d, &c, "30", "60"), 0);
    uint64_t last2 = last_batch(&d);
    assert_true(last2 > last1);
    snprintf(p, sizeof(p), "[%llu]", (unsigned long long)(last1 + 1));
    r = rpc_call(&d, "aegis_getBatch", p);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(r, "result"), "header"),
                                                          "parent_hash")),
                        hash_last);
    json_decref(r);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);

    /* another node's snapshot in its place: does not unseal, every batch is verified */
    daemon_init(&e, CONF);
    assert_true(daemon_start(&e));
    assert_int_equal(load(&e, &c, "20", "60"), 0);
    assert_int_equal(daemon_stop(&e, SIGTERM), 0);
    sh("cp '%s/restore.sealed' '%s/restore.sealed'", e.data_dir, d.data_dir);
    new_port(&d);
    assert_true(daemon_start(&d));
    assert_non_null(strstr(slurp(d.err), "restart snapshot does not unseal"));
    char want[64];
    snprintf(want, sizeof(want), "msg=\"restored\" batches=%llu ", (unsigned long long)last2);
    assert_non_null(strstr(slurp(d.err), want));
    assert_int_equal(last_batch(&d), last2);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    free(tx1);
    free(hash_last);
    daemon_cleanup(&e);
    daemon_cleanup(&c);
    daemon_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_old_db_put_back_is_refused_then_recovered, harness_reap_all),
        cmocka_unit_test_teardown(test_recover_from_node, harness_reap_all),
        cmocka_unit_test_teardown(test_dropped_wal_is_refused, harness_reap_all),
        cmocka_unit_test_teardown(test_missing_keyset_with_pending_envelopes, harness_reap_all),
        cmocka_unit_test_teardown(test_missing_keyset_with_batches, harness_reap_all),
        cmocka_unit_test_teardown(test_healthz_recovers_after_disk_full, harness_reap_all),
        cmocka_unit_test_teardown(test_corrupted_envelope_is_not_rejected, harness_reap_all),
        cmocka_unit_test_teardown(test_restart_from_snapshot, harness_reap_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
