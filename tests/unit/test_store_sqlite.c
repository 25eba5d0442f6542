/* test_store_sqlite.c - what only the durable backend has: persistence
 * across reopen and crashes, schema migration, the data dir lock and
 * permission policy, and write failures (full disk, I/O error) that must
 * never be acknowledged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "test_store_fixture.h"
#include "../../src/store/store_int.h"
#include "../../src/store/store_sqlite_int.h"

static int setup_dir(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->backend = "sqlite";
    fx_tmpdir(f->dir, sizeof(f->dir));
    *state = f;
    return 0;
}

static int teardown_dir(void **state)
{
    struct fx *f = *state;
    aegis_store_free(f->st);
    fx_rmdir(f->dir);
    free(f);
    return 0;
}

static void db_path(const struct fx *f, char *out, size_t cap)
{
    snprintf(out, cap, "%s/aegis.db", f->dir);
}

static aegis_err append_i(aegis_store *st, uint64_t i, uint64_t *ret_id)
{
    uint8_t h[32], d[128];
    fx_hash(h, i);
    size_t n = fx_data(d, sizeof(d), i);
    return aegis_store_env_append(st, d, n, h, ret_id);
}

static off_t file_size(const struct fx *f, const char *name)
{
    char path[300];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/* Run SQL directly on the file (schema fixtures). */
static void raw_sql(const struct fx *f, const char *sql)
{
    char path[300];
    db_path(f, path, sizeof(path));
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("sql failed: %s", msg ? msg : "?");
    sqlite3_close(db);
}

static int64_t raw_int(const struct fx *f, const char *sql)
{
    char path[300];
    db_path(f, path, sizeof(path));
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void test_reopen_persists(void **state)
{
    struct fx *f = *state;
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    assert_int_equal(aegis_store_schema_version(f->st), 3);
    uint64_t id;
    for (uint64_t i = 1; i <= 20; i++) {
        assert_int_equal(append_i(f->st, i, &id), AEGIS_OK);
        assert_int_equal(id, i);
    }
    const uint64_t rej[] = { 4 };
    assert_int_equal(aegis_store_env_set_status(f->st, rej, 1, AEGIS_ENV_REJECTED, "fee too low"), AEGIS_OK);
    assert_int_equal(aegis_store_insert(f->st, "batch", 1, (const uint8_t *)"b1", 2), AEGIS_OK);
    assert_int_equal(aegis_store_meta_put(f->st, "node_id", (const uint8_t *)"n7", 2), AEGIS_OK);
    aegis_store_free(f->st);
    f->st = NULL;

    /* clean close checkpointed the WAL into the main file */
    char wal[300];
    snprintf(wal, sizeof(wal), "%s/aegis.db-wal", f->dir);
    struct stat sb;
    assert_true(stat(wal, &sb) != 0 || sb.st_size == 0);

    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->st, &count), AEGIS_OK);
    assert_int_equal(count, 20);
    aegis_store_env e;
    assert_int_equal(aegis_store_env_get(f->st, 4, &e), AEGIS_OK);
    assert_int_equal(e.status, AEGIS_ENV_REJECTED);
    assert_string_equal(e.reason, "fee too low");
    aegis_free((void *)e.data);
    aegis_free((void *)e.reason);
    uint8_t *v = NULL;
    size_t len = 0;
    assert_int_equal(aegis_store_get(f->st, "batch", 1, &v, &len), AEGIS_OK);
    assert_memory_equal(v, "b1", 2);
    aegis_free(v);
    assert_int_equal(aegis_store_insert(f->st, "batch", 1, (const uint8_t *)"x", 1), AEGIS_ERR_EXISTS);
    assert_int_equal(aegis_store_meta_get(f->st, "node_id", &v, &len), AEGIS_OK);
    assert_memory_equal(v, "n7", 2);
    aegis_free(v);
    /* the sequence continues where it was */
    assert_int_equal(append_i(f->st, 21, &id), AEGIS_OK);
    assert_int_equal(id, 21);
}

/* A damaged b-tree page (the file still opens as a database) is found by
 * the quick_check at open: refused as corrupt, not served. */
static void test_quick_check_at_open(void **state)
{
    struct fx *f = *state;
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    uint64_t id;
    for (uint64_t i = 1; i <= 300; i++)
        assert_int_equal(append_i(f->st, i, &id), AEGIS_OK);
    aegis_store_free(f->st);
    f->st = NULL;
    int64_t root = raw_int(f, "SELECT rootpage FROM sqlite_master WHERE name = 'envelopes'");
    int64_t psize = raw_int(f, "PRAGMA page_size");
    assert_true(root > 1);
    char path[300];
    db_path(f, path, sizeof(path));
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, (long)((root - 1) * psize), SEEK_SET), 0);
    assert_int_equal(fputc(0x07, fp), 0x07);   /* no such b-tree page type */
    assert_int_equal(fclose(fp), 0);
    aegis_err detail = AEGIS_OK;
    aegis_err err = aegis_store_open_ex(&f->st, "sqlite", f->dir, NULL, &detail);
    assert_int_equal(err, AEGIS_ERR_STORE_CORRUPT);
    assert_null(f->st);
}

/* On a store too large to check at open, aegis_store_quick_check finds
 * the same damage later (on its own connection). */
static void test_quick_check_deferred(void **state)
{
    struct fx *f = *state;
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    uint64_t id;
    for (uint64_t i = 1; i <= 300; i++)
        assert_int_equal(append_i(f->st, i, &id), AEGIS_OK);
    aegis_store_free(f->st);
    f->st = NULL;
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    assert_int_equal(aegis__store_test_exec(f->st, "aegis:unchecked"), AEGIS_OK);
    assert_int_equal(aegis_store_quick_check(f->st), AEGIS_OK);   /* intact */
    assert_int_equal(aegis__store_test_exec(f->st, "aegis:unchecked"), AEGIS_OK);
    int64_t root = raw_int(f, "SELECT rootpage FROM sqlite_master WHERE name = 'envelopes'");
    int64_t psize = raw_int(f, "PRAGMA page_size");
    char path[300];
    db_path(f, path, sizeof(path));
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, (long)((root - 1) * psize), SEEK_SET), 0);
    assert_int_equal(fputc(0x07, fp), 0x07);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(aegis_store_quick_check(f->st), AEGIS_ERR_STORE_CORRUPT);
}

/* A process that dies without closing (no checkpoint, lock never released
 * by hand) loses nothing it acknowledged, and does not keep the dir locked. */
static void test_crash_keeps_acknowledged(void **state)
{
    struct fx *f = *state;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        aegis_store *st = NULL;
        if (aegis_store_open(&st, "sqlite", f->dir, NULL) != AEGIS_OK)
            _exit(2);
        for (uint64_t i = 1; i <= 60; i++) {
            uint64_t id = 0;
            if (append_i(st, i, &id) != AEGIS_OK)
                _exit(3);
            if (write(pfd[1], &id, sizeof(id)) != sizeof(id))
                _exit(4);
        }
        kill(getpid(), SIGKILL);   /* no free, no checkpoint */
        _exit(5);
    }
    close(pfd[1]);
    uint64_t acked[64], id;
    size_t n = 0;
    while (n < 64 && read(pfd[0], &id, sizeof(id)) == sizeof(id))
        acked[n++] = id;
    close(pfd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(n, 60);

    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    for (size_t k = 0; k < n; k++) {
        aegis_store_env e;
        assert_int_equal(aegis_store_env_get(f->st, acked[k], &e), AEGIS_OK);
        uint8_t h[32];
        fx_hash(h, k + 1);
        assert_memory_equal(e.hash, h, 32);
        aegis_free((void *)e.data);
    }
}

static const char *const schema_v1 =
    "CREATE TABLE envelopes(id INTEGER PRIMARY KEY,"
    " hash BLOB NOT NULL UNIQUE CHECK(length(hash) = 32), received_ms INTEGER NOT NULL,"
    " status INTEGER NOT NULL DEFAULT 0, reason TEXT, data BLOB NOT NULL);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, val BLOB NOT NULL) WITHOUT ROWID;"
    "INSERT INTO envelopes(hash, received_ms, status, data)"
    " VALUES(zeroblob(32), 1700000000000, 1, x'c0ffee');"
    "INSERT INTO meta VALUES('node_id', x'6e31');"
    "PRAGMA application_id = 1095059283;"   /* 0x41454753 */
    "PRAGMA user_version = 1;";

static void test_migrate_v1(void **state)
{
    struct fx *f = *state;
    raw_sql(f, schema_v1);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    assert_int_equal(aegis_store_schema_version(f->st), 3);
    aegis_store_env e;
    assert_int_equal(aegis_store_env_get(f->st, 1, &e), AEGIS_OK);
    assert_int_equal(e.status, AEGIS_ENV_INCLUDED);
    assert_int_equal(e.received_ms, 1700000000000ull);
    assert_int_equal(e.len, 3);
    assert_memory_equal(e.data, "\xc0\xff\xee", 3);
    aegis_free((void *)e.data);
    /* the v2 table exists and works */
    assert_int_equal(aegis_store_insert(f->st, "batch", 1, (const uint8_t *)"b", 1), AEGIS_OK);
    uint64_t id;
    assert_int_equal(append_i(f->st, 5, &id), AEGIS_OK);
    assert_int_equal(id, 2);
    aegis_store_free(f->st);
    f->st = NULL;
    assert_int_equal(raw_int(f, "PRAGMA user_version"), 3);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM sqlite_schema WHERE name = 'envelopes_pending'"), 0);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM sqlite_schema WHERE name = 'env_status_pending'"), 1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM env_status"), 2);
}

/* A version-2 store: statuses and reasons in the envelope rows, pending
 * ones found by the partial index envelopes_pending. */
static const char *const schema_v2 =
    "CREATE TABLE envelopes(id INTEGER PRIMARY KEY,"
    " hash BLOB NOT NULL UNIQUE CHECK(length(hash) = 32), received_ms INTEGER NOT NULL,"
    " status INTEGER NOT NULL DEFAULT 0, reason TEXT, data BLOB NOT NULL);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, val BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE records(coll TEXT NOT NULL, key INTEGER NOT NULL, val BLOB NOT NULL,"
    " PRIMARY KEY(coll, key)) WITHOUT ROWID;"
    "CREATE INDEX envelopes_pending ON envelopes(id) WHERE status = 0;"
    "INSERT INTO envelopes(hash, received_ms, status, data) VALUES(randomblob(32), 1, 1, x'01');"
    "INSERT INTO envelopes(hash, received_ms, status, data) VALUES(randomblob(32), 2, 0, x'02');"
    "INSERT INTO envelopes(hash, received_ms, status, reason, data) VALUES(randomblob(32), 3, 2, 'gap', x'');"
    "INSERT INTO envelopes(hash, received_ms, status, data) VALUES(randomblob(32), 4, 0, x'04');"
    "INSERT INTO records VALUES('batch', 1, x'62');"
    "PRAGMA application_id = 1095059283;"
    "PRAGMA user_version = 2;";

static int collect_id(void *arg, const aegis_store_env *e)
{
    uint64_t *ids = arg;
    ids[++ids[0]] = e->id;
    return 0;
}

static void test_migrate_v2(void **state)
{
    struct fx *f = *state;
    raw_sql(f, schema_v2);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    assert_int_equal(aegis_store_schema_version(f->st), 3);
    static const aegis_env_status want[] = { AEGIS_ENV_INCLUDED, AEGIS_ENV_PENDING, AEGIS_ENV_REJECTED,
                                             AEGIS_ENV_PENDING };
    for (uint64_t id = 1; id <= 4; id++) {
        aegis_store_env e;
        assert_int_equal(aegis_store_env_get(f->st, id, &e), AEGIS_OK);
        assert_int_equal(e.status, want[id - 1]);
        assert_int_equal(e.received_ms, id);
        if (id == 3)
            assert_string_equal(e.reason, "gap");
        aegis_free((void *)e.data);
        aegis_free((void *)e.reason);
    }
    /* pending: 2 and 4, found through the new index; then 4 is included */
    uint64_t ids[8] = { 0 };
    assert_int_equal(aegis_store_env_range_pending(f->st, 1, 100, collect_id, ids), AEGIS_OK);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 4);
    uint64_t four = 4;
    assert_int_equal(aegis_store_env_set_status(f->st, &four, 1, AEGIS_ENV_INCLUDED, NULL), AEGIS_OK);
    memset(ids, 0, sizeof(ids));
    assert_int_equal(aegis_store_env_range_pending(f->st, 1, 100, collect_id, ids), AEGIS_OK);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 2);
    /* the record came along, and records take new keys and updates */
    uint8_t *v = NULL;
    size_t vlen = 0;
    assert_int_equal(aegis_store_get(f->st, "batch", 1, &v, &vlen), AEGIS_OK);
    assert_int_equal(vlen, 1);
    assert_int_equal(v[0], 'b');
    aegis_free(v);
    assert_int_equal(aegis_store_insert(f->st, "batch", 1, (const uint8_t *)"x", 1), AEGIS_ERR_EXISTS);
    assert_int_equal(aegis_store_insert(f->st, "batch", 2, (const uint8_t *)"c", 1), AEGIS_OK);
    assert_int_equal(aegis_store_put(f->st, "batch", 2, (const uint8_t *)"d", 1), AEGIS_OK);
    uint64_t last = 0;
    assert_int_equal(aegis_store_last(f->st, "batch", &last), AEGIS_OK);
    assert_int_equal(last, 2);
    /* a new envelope after the migration is pending, with a status row */
    uint64_t id;
    assert_int_equal(append_i(f->st, 9, &id), AEGIS_OK);
    assert_int_equal(id, 5);
    aegis_store_free(f->st);
    f->st = NULL;
    assert_int_equal(raw_int(f, "PRAGMA user_version"), 3);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM env_status WHERE status = 0"), 2);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM sqlite_schema WHERE name = 'envelopes_pending'"), 0);
    /* records: a rowid table now, (coll, key) in an index of its own */
    assert_int_equal(raw_int(f, "SELECT count(*) FROM sqlite_schema WHERE name = 'records'"
                                " AND sql LIKE '%WITHOUT ROWID%'"), 0);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM pragma_index_list('records') WHERE origin = 'u'"), 1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM records"), 2);
    /* the planner reads pending envelopes through the partial index, not a scan of every envelope */
    char path[300];
    db_path(f, path, sizeof(path));
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "EXPLAIN QUERY PLAN SELECT e.id FROM env_status s JOIN envelopes e ON e.id = s.id"
                                        " WHERE s.status = 0 AND s.id BETWEEN 1 AND 9 ORDER BY s.id LIMIT 5",
                                        -1, &s, NULL),
                     SQLITE_OK);
    bool uses_index = false;
    while (sqlite3_step(s) == SQLITE_ROW)
        if (strstr((const char *)sqlite3_column_text(s, 3), "env_status_pending"))
            uses_index = true;
    sqlite3_finalize(s);
    sqlite3_close(db);
    assert_true(uses_index);
}

/* Marking envelopes included must not rewrite their (large) rows: the WAL
 * grows by the narrow status pages only. On schema 2 the update rewrote
 * every envelope's page (50 x 4 KB frames for 50 envelopes of 3 KB). */
static void test_status_does_not_rewrite_envelopes(void **state)
{
    struct fx *f = *state;
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    static uint8_t big[3000];
    uint64_t ids[50];
    aegis_store_env_in in[50];
    uint8_t h[50][32];
    for (int i = 0; i < 50; i++) {
        fx_hash(h[i], 1000 + (uint64_t)i);
        big[0] = (uint8_t)i;
        in[i] = (aegis_store_env_in){ .data = big, .len = sizeof(big), .hash = h[i] };
    }
    assert_int_equal(aegis_store_env_append_many(f->st, in, 50), AEGIS_OK);
    for (int i = 0; i < 50; i++)
        ids[i] = in[i].id;
    /* a clean close folds the WAL into the database and empties it */
    aegis_store_free(f->st);
    f->st = NULL;
    assert_int_equal(file_size(f, "aegis.db-wal"), 0);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    off_t before = file_size(f, "aegis.db-wal");
    assert_int_equal(aegis_store_env_set_status(f->st, ids, 50, AEGIS_ENV_INCLUDED, NULL), AEGIS_OK);
    off_t grew = file_size(f, "aegis.db-wal") - before;
    print_message("    50 envelopes of 3,000 bytes marked included: WAL +%lld bytes\n", (long long)grew);
    assert_true(grew < 8 * 4120);
    aegis_store_env e;
    assert_int_equal(aegis_store_env_get(f->st, ids[49], &e), AEGIS_OK);
    assert_int_equal(e.status, AEGIS_ENV_INCLUDED);
    assert_int_equal(e.len, sizeof(big));
    aegis_free((void *)e.data);
}

static void test_migrate_v0(void **state)
{
    struct fx *f = *state;
    /* an existing, empty database file: version 0 */
    raw_sql(f, "CREATE TABLE x(y); DROP TABLE x;");
    assert_int_equal(raw_int(f, "PRAGMA user_version"), 0);
    assert_int_equal(raw_int(f, "PRAGMA page_count"), 2);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    assert_int_equal(aegis_store_schema_version(f->st), 3);
    uint64_t id;
    assert_int_equal(append_i(f->st, 1, &id), AEGIS_OK);
    aegis_store_free(f->st);
    f->st = NULL;
    assert_int_equal(raw_int(f, "PRAGMA user_version"), 3);
    assert_int_equal(raw_int(f, "PRAGMA application_id"), 0x41454753);
}

static void test_refuse_foreign_and_newer(void **state)
{
    struct fx *f = *state;
    char path[300];
    db_path(f, path, sizeof(path));

    /* newer schema than this build */
    raw_sql(f, "CREATE TABLE t(x); PRAGMA application_id = 1095059283; PRAGMA user_version = 99;");
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_ERR_STORE_SCHEMA_NEWER);
    assert_null(f->st);
    assert_int_equal(raw_int(f, "PRAGMA user_version"), 99);   /* untouched */
    remove(path);

    /* someone else's database */
    raw_sql(f, "CREATE TABLE accounts(x);");
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_ERR_STORE_CORRUPT);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM sqlite_schema"), 1);
    remove(path);

    /* not a database at all */
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    for (int i = 0; i < 4096; i++)
        fputc(i * 7, fp);
    fclose(fp);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_ERR_STORE_CORRUPT);
    assert_null(f->st);
}

/* In a child: try to open dir; exit 0 if the outcome is `want` (and, for
 * BUSY, the detail says the dir is locked). */
static int child_open(const char *dir, aegis_err want, bool read_only)
{
    pid_t pid = fork();
    if (pid == 0) {
        aegis_store *st = NULL;
        aegis_err detail = AEGIS_OK;
        aegis_store_opts o = { .read_only = read_only };
        aegis_err err = aegis_store_open_ex(&st, "sqlite", dir, &o, &detail);
        int ok = err == want && (err != AEGIS_ERR_BUSY || detail == AEGIS_ERR_STORE_LOCKED);
        aegis_store_free(st);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static void test_lock(void **state)
{
    struct fx *f = *state;
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    uint64_t id;
    assert_int_equal(append_i(f->st, 1, &id), AEGIS_OK);
    /* another process: refused, and told why */
    assert_int_equal(child_open(f->dir, AEGIS_ERR_BUSY, false), 0);
    assert_int_equal(child_open(f->dir, AEGIS_ERR_BUSY, true), 0);
    /* a second open in the same process is refused as well */
    aegis_store *st2 = NULL;
    aegis_err detail = AEGIS_OK;
    assert_int_equal(aegis_store_open_ex(&st2, "sqlite", f->dir, NULL, &detail), AEGIS_ERR_BUSY);
    assert_int_equal(detail, AEGIS_ERR_STORE_LOCKED);
    assert_null(st2);
    /* the refused opens did not disturb the holder */
    assert_int_equal(append_i(f->st, 2, &id), AEGIS_OK);
    assert_int_equal(id, 2);

    aegis_store_free(f->st);
    f->st = NULL;
    assert_int_equal(child_open(f->dir, AEGIS_OK, false), 0);

    /* read-only openers share; a writer is refused while one reads */
    aegis_store_opts ro = { .read_only = true };
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, &ro), AEGIS_OK);
    assert_int_equal(child_open(f->dir, AEGIS_OK, true), 0);
    assert_int_equal(child_open(f->dir, AEGIS_ERR_BUSY, false), 0);
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->st, &count), AEGIS_OK);
    assert_int_equal(count, 2);
    assert_int_equal(append_i(f->st, 3, &id), AEGIS_ERR_STORE_READONLY);
    assert_int_equal(aegis_store_put(f->st, "batch", 1, (const uint8_t *)"x", 1), AEGIS_ERR_STORE_READONLY);
}

static void test_dir_policy(void **state)
{
    struct fx *f = *state;
    char sub[400];
    struct stat sb;
    aegis_err detail = AEGIS_OK;

    /* created 0700, parents too */
    snprintf(sub, sizeof(sub), "%s/a/b/data", f->dir);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", sub, NULL), AEGIS_OK);
    assert_int_equal(stat(sub, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(sub, sizeof(sub), "%s/a", f->dir);
    assert_int_equal(stat(sub, &sb), 0);
    assert_int_equal(sb.st_mode & 0077, 0);
    aegis_store_free(f->st);
    f->st = NULL;

    /* group/other-writable: refused (chmod is our own check, so this holds
     * for root as well) */
    snprintf(sub, sizeof(sub), "%s/open", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(chmod(sub, 0777), 0);
    assert_int_equal(aegis_store_open_ex(&f->st, "sqlite", sub, NULL, &detail), AEGIS_ERR_PERM);
    assert_int_equal(detail, AEGIS_ERR_STORE_DIR_UNSAFE);
    assert_int_equal(chmod(sub, 0755), 0);   /* readable by others is fine */
    assert_int_equal(aegis_store_open(&f->st, "sqlite", sub, NULL), AEGIS_OK);
    aegis_store_free(f->st);
    f->st = NULL;

    /* a file where the dir should be, or on the path */
    snprintf(sub, sizeof(sub), "%s/file", f->dir);
    FILE *fp = fopen(sub, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(aegis_store_open_ex(&f->st, "sqlite", sub, NULL, &detail), AEGIS_ERR_PERM);
    assert_int_equal(detail, AEGIS_ERR_STORE_NOT_DIR);
    snprintf(sub, sizeof(sub), "%s/file/data", f->dir);
    assert_int_equal(aegis_store_open_ex(&f->st, "sqlite", sub, NULL, &detail), AEGIS_ERR_PERM);
    assert_int_equal(detail, AEGIS_ERR_STORE_NOT_DIR);

    /* read-only open of a dir that does not exist */
    aegis_store_opts ro = { .read_only = true };
    snprintf(sub, sizeof(sub), "%s/nothing", f->dir);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", sub, &ro), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(stat(sub, &sb), -1);   /* and it was not created */

    /* unwritable dir: permissions do not stop root, so only as a user */
    if (geteuid() != 0) {
        snprintf(sub, sizeof(sub), "%s/ro", f->dir);
        assert_int_equal(mkdir(sub, 0500), 0);
        assert_int_equal(aegis_store_open_ex(&f->st, "sqlite", sub, NULL, &detail), AEGIS_ERR_PERM);
        assert_int_equal(detail, AEGIS_ERR_STORE_DIR_UNWRITABLE);
        snprintf(sub, sizeof(sub), "%s/ro/data", f->dir);
        assert_int_equal(aegis_store_open_ex(&f->st, "sqlite", sub, NULL, &detail), AEGIS_ERR_PERM);
        assert_int_equal(detail, AEGIS_ERR_STORE_DIR_UNWRITABLE);
        snprintf(sub, sizeof(sub), "%s/ro", f->dir);
        chmod(sub, 0700);
    } else {
        print_message("  (running as root: unwritable-dir check covered by the full-disk and "
                      "I/O-error tests instead)\n");
    }
}

/* Disk full, simulated with max_page_count (works as root): the append
 * fails with STORE_FULL, is not visible, and nothing later reuses its id. */
static void test_full_disk(void **state)
{
    struct fx *f = *state;
    aegis_store_opts o = { .group_commit_us = 100 };
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, &o), AEGIS_OK);
    uint64_t id;
    for (uint64_t i = 1; i <= 3; i++)
        assert_int_equal(append_i(f->st, i, &id), AEGIS_OK);
    /* clamp the file to its current size */
    assert_int_equal(aegis__store_test_exec(f->st, "PRAGMA max_page_count = 1"), AEGIS_OK);

    static uint8_t big[256 * 1024];
    memset(big, 0x5a, sizeof(big));
    uint8_t h[32];
    fx_hash(h, 500);
    id = 12345;
    assert_int_equal(aegis_store_env_append(f->st, big, sizeof(big), h, &id), AEGIS_ERR_STORE_FULL);
    assert_int_equal(id, 12345);   /* no id handed out */
    assert_int_equal(aegis_store_health(f->st), AEGIS_ERR_STORE_FULL);
    assert_int_equal(aegis_store_env_find(f->st, h, &id), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_store_put(f->st, "batch", 1, big, sizeof(big)), AEGIS_ERR_STORE_FULL);
    uint8_t *v = NULL;
    size_t len = 0;
    assert_int_equal(aegis_store_get(f->st, "batch", 1, &v, &len), AEGIS_ERR_NOT_FOUND);
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->st, &count), AEGIS_OK);
    assert_int_equal(count, 3);
    /* reads keep working */
    aegis_store_env e;
    assert_int_equal(aegis_store_env_get(f->st, 2, &e), AEGIS_OK);
    aegis_free((void *)e.data);

    /* space comes back: writes resume, the sequence has no gap */
    assert_int_equal(aegis__store_test_exec(f->st, "PRAGMA max_page_count = 1000000"), AEGIS_OK);
    assert_int_equal(aegis_store_env_append(f->st, big, sizeof(big), h, &id), AEGIS_OK);
    assert_int_equal(id, 4);
    assert_int_equal(aegis_store_health(f->st), AEGIS_OK);
    aegis_store_free(f->st);
    f->st = NULL;
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    assert_int_equal(aegis_store_env_count(f->st, &count), AEGIS_OK);
    assert_int_equal(count, 4);
}

/* A real failed write(2): RLIMIT_FSIZE makes the kernel refuse to grow the
 * WAL (EFBIG, even for root). Run in a child so the limit and SIGXFSZ stay
 * there. Exit code names the first failed check. */
static void test_io_error(void **state)
{
    struct fx *f = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        aegis_store *st = NULL;
        if (aegis_store_open(&st, "sqlite", f->dir, NULL) != AEGIS_OK)
            _exit(10);
        uint64_t id = 0;
        if (append_i(st, 1, &id) != AEGIS_OK || id != 1)
            _exit(11);
        struct rlimit old, lim;
        getrlimit(RLIMIT_FSIZE, &old);
        lim = old;
        lim.rlim_cur = 512 * 1024;
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(12);
        static uint8_t big[2 * 1024 * 1024];
        memset(big, 0x77, sizeof(big));
        uint8_t h[32];
        fx_hash(h, 900);
        aegis_err err = aegis_store_env_append(st, big, sizeof(big), h, &id);
        if (err != AEGIS_ERR_STORE_IO && err != AEGIS_ERR_STORE_FULL)
            _exit(13);
        if (aegis_store_health(st) != err)
            _exit(14);
        if (aegis_store_env_find(st, h, &id) != AEGIS_ERR_NOT_FOUND)
            _exit(15);
        setrlimit(RLIMIT_FSIZE, &old);
        if (append_i(st, 2, &id) != AEGIS_OK || id != 2)
            _exit(16);
        aegis_store_free(st);
        st = NULL;
        if (aegis_store_open(&st, "sqlite", f->dir, NULL) != AEGIS_OK)
            _exit(17);
        uint64_t count = 0;
        if (aegis_store_env_count(st, &count) != AEGIS_OK || count != 2)
            _exit(18);
        if (aegis_store_env_find(st, h, &id) != AEGIS_ERR_NOT_FOUND)
            _exit(19);
        aegis_store_free(st);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- background checkpoints ---- */

#define CK_REC  (32 * 1024)   /* a batch record's size */
#define CK_RECS 300           /* ~2.4x AEGIS__SQ_CKPT_FRAMES pages of WAL */

static void ck_record(uint8_t *v, uint64_t key)
{
    for (size_t i = 0; i < CK_REC; i++)
        v[i] = (uint8_t)(key * 131 + i * 7 + (i >> 8));
}

static void check_ck_records(aegis_store *st, uint64_t from, uint64_t to)
{
    uint8_t *want = malloc(CK_REC);
    assert_non_null(want);
    for (uint64_t k = from; k <= to; k++) {
        uint8_t *v = NULL;
        size_t len = 0;
        assert_int_equal(aegis_store_get(st, "batch", k, &v, &len), AEGIS_OK);
        ck_record(want, k);
        assert_int_equal(len, CK_REC);
        assert_memory_equal(v, want, CK_REC);
        aegis_free(v);
    }
    free(want);
}

/* Past the WAL threshold a checkpointer thread copies the WAL into the main
 * file while the store stays open (no store call running); close still
 * truncates the WAL, and everything reads back after a reopen. */
static void test_background_checkpoint(void **state)
{
    struct fx *f = *state;
    uint8_t *v = malloc(CK_REC);
    assert_non_null(v);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    off_t db_before = file_size(f, "aegis.db");
    /* below the threshold: no checkpoint is asked for */
    for (uint64_t k = 1; k <= 20; k++) {
        ck_record(v, k);
        assert_int_equal(aegis_store_insert(f->st, "batch", k, v, CK_REC), AEGIS_OK);
    }
    assert_int_equal(file_size(f, "aegis.db"), db_before);
    for (uint64_t k = 21; k <= CK_RECS; k++) {
        ck_record(v, k);
        assert_int_equal(aegis_store_insert(f->st, "batch", k, v, CK_REC), AEGIS_OK);
    }
    assert_int_equal(aegis__store_test_exec(f->st, "aegis:checkpoints>=1"), AEGIS_OK);
    /* the main file now holds (at least) a threshold's worth of pages */
    assert_true(file_size(f, "aegis.db") >= (off_t)AEGIS__SQ_CKPT_FRAMES * 4096 / 2);
    check_ck_records(f->st, 1, CK_RECS);
    aegis_store_free(f->st);
    f->st = NULL;
    assert_int_equal(file_size(f, "aegis.db-wal"), 0);
    assert_true(file_size(f, "aegis.db") >= (off_t)CK_RECS * CK_REC);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    check_ck_records(f->st, 1, CK_RECS);
    free(v);
}

/* Killed while background checkpoints run: every acknowledged insert is
 * there after a reopen, byte for byte. */
static void test_crash_during_checkpoints(void **state)
{
    struct fx *f = *state;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        aegis_store *st = NULL;
        uint8_t *v = malloc(CK_REC);
        if (!v || aegis_store_open(&st, "sqlite", f->dir, NULL) != AEGIS_OK)
            _exit(2);
        for (uint64_t k = 1; k <= 2 * CK_RECS; k++) {
            ck_record(v, k);
            if (aegis_store_insert(st, "batch", k, v, CK_REC) != AEGIS_OK)
                _exit(3);
            if (write(pfd[1], &k, sizeof(k)) != sizeof(k))
                _exit(4);
        }
        kill(getpid(), SIGKILL);   /* mid-run: no close, no final checkpoint */
        _exit(5);
    }
    close(pfd[1]);
    uint64_t k = 0, last = 0;
    while (read(pfd[0], &k, sizeof(k)) == sizeof(k))
        last = k;
    close(pfd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(last, 2 * CK_RECS);
    assert_int_equal(aegis_store_open(&f->st, "sqlite", f->dir, NULL), AEGIS_OK);
    check_ck_records(f->st, 1, last);
    uint64_t top = 0;
    assert_int_equal(aegis_store_last(f->st, "batch", &top), AEGIS_OK);
    assert_int_equal(top, last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reopen_persists, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_crash_keeps_acknowledged, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_quick_check_at_open, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_quick_check_deferred, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_migrate_v1, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_migrate_v0, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_migrate_v2, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_status_does_not_rewrite_envelopes, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_refuse_foreign_and_newer, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_lock, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_dir_policy, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_full_disk, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_io_error, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_background_checkpoint, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_crash_during_checkpoints, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
