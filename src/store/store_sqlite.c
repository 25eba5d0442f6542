/*
 * store_sqlite.c - the "sqlite" backend: open, pragmas, versioned schema
 * and its migrations, close.
 *
 * Durability: journal_mode=WAL + synchronous=FULL, so a COMMIT returns only
 * after the WAL is fsync()ed. Every write path in this backend reports
 * success only after sqlite3_step(COMMIT) (or an autocommit statement)
 * returned SQLITE_DONE.
 *
 * Checkpoints run off the commit path: sqlite's auto-checkpoint would copy
 * the WAL into the main file and fsync it inside whichever commit crosses
 * the threshold (a multi-millisecond stall of a batch insert or an envelope
 * append). Instead the writer's WAL hook wakes a checkpointer thread that
 * runs PASSIVE checkpoints on its own connection; commits go on appending
 * to the WAL meanwhile. Durability is unchanged: a commit is durable once
 * its WAL frames are fsynced, checkpointed or not. Close still runs a
 * TRUNCATE checkpoint on the writer.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store_sqlite_int.h"

/*
 * Schema migrations, applied in order on open inside one IMMEDIATE
 * transaction together with the new PRAGMA user_version, so a crash leaves
 * either the old or the new schema. Append only: a released migration is
 * never edited.
 *
 * Keys and ids are stored as SQLite integers (signed 64-bit); the generic
 * layer limits record keys to AEGIS_STORE_MAX_KEY.
 */
static const struct migration {
    int version;
    const char *sql;
} migrations[] = {
    { 1,
      "CREATE TABLE envelopes("
      "  id INTEGER PRIMARY KEY,"              /* dense: 1, 2, 3, ... never deleted */
      "  hash BLOB NOT NULL UNIQUE CHECK(length(hash) = 32),"
      "  received_ms INTEGER NOT NULL,"
      "  status INTEGER NOT NULL DEFAULT 0,"
      "  reason TEXT,"
      "  data BLOB NOT NULL);"
      "CREATE TABLE meta(key TEXT PRIMARY KEY, val BLOB NOT NULL) WITHOUT ROWID;" },
    { 2,
      "CREATE TABLE records("
      "  coll TEXT NOT NULL,"
      "  key INTEGER NOT NULL,"
      "  val BLOB NOT NULL,"
      "  PRIMARY KEY(coll, key)) WITHOUT ROWID;"
      /* restart recovery walks the still-pending envelopes */
      "CREATE INDEX envelopes_pending ON envelopes(id) WHERE status = 0;" },
    /* An envelope's status lives in a narrow table of its own: marking the
     * 50 envelopes of a batch included rewrote 50 pages of ~4 KB envelope
     * rows (and the checkpointer wrote them again); it now touches the one
     * or two pages holding their dense ids. envelopes.status is no longer
     * read or written (SQLite would rewrite the whole table to drop it). */
    { 3,
      "CREATE TABLE env_status("
      "  id INTEGER PRIMARY KEY,"              /* = envelopes.id, one row each */
      "  status INTEGER NOT NULL,"
      "  reason TEXT);"
      "INSERT INTO env_status(id, status, reason) SELECT id, status, reason FROM envelopes;"
      "DROP INDEX envelopes_pending;"
      "CREATE INDEX env_status_pending ON env_status(id) WHERE status = 0;"
      /* records as a rowid table with a (coll, key) index: in the WITHOUT
       * ROWID table every b-tree cell was a whole record, and SQLite reads
       * a cell that spills onto overflow pages whole to compare keys, so
       * inserting or finding a 30-60 KB batch copied several of them */
      "ALTER TABLE records RENAME TO records_v2;"
      "CREATE TABLE records("
      "  coll TEXT NOT NULL,"
      "  key INTEGER NOT NULL,"
      "  val BLOB NOT NULL,"
      "  UNIQUE(coll, key));"
      "INSERT INTO records(coll, key, val) SELECT coll, key, val FROM records_v2 ORDER BY coll, key;"
      "DROP TABLE records_v2;" },
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == AEGIS__SQ_SCHEMA_VERSION,
               "one migration per schema version");

static const char *const stmt_sql[SQ__COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_ENV_INSERT] = "INSERT INTO envelopes(hash, received_ms, data) VALUES(?1, ?2, ?3)"
                      " ON CONFLICT(hash) DO NOTHING",
    [SQ_ENV_STATUS_INSERT] = "INSERT INTO env_status(id, status) VALUES(?1, 0)",
    [SQ_ENV_FIND] = "SELECT id FROM envelopes WHERE hash = ?1",
    [SQ_ENV_GET] = "SELECT e.id, e.hash, e.received_ms, s.status, s.reason, e.data"
                   " FROM envelopes e JOIN env_status s ON s.id = e.id WHERE e.id = ?1",
    [SQ_ENV_SCAN] = "SELECT e.id, e.hash, e.received_ms, s.status, s.reason, e.data"
                    " FROM envelopes e JOIN env_status s ON s.id = e.id"
                    " WHERE e.id BETWEEN ?1 AND ?2 ORDER BY e.id LIMIT ?3",
    /* the partial index env_status_pending finds them */
    [SQ_ENV_SCAN_PENDING] = "SELECT e.id, e.hash, e.received_ms, s.status, s.reason, e.data"
                            " FROM env_status s JOIN envelopes e ON e.id = s.id"
                            " WHERE s.status = 0 AND s.id BETWEEN ?1 AND ?2 ORDER BY s.id LIMIT ?3",
    [SQ_ENV_SET_STATUS] = "UPDATE env_status SET status = ?1, reason = ?2 WHERE id = ?3",
    /* a rejected envelope keeps its hash and reason, not its bytes (issue 12:
     * refused envelopes must not fill the disk) */
    [SQ_ENV_DROP_DATA] = "UPDATE envelopes SET data = x'' WHERE id = ?1",
    /* ids are dense (insert-only, rolled-back rowids were never visible) */
    [SQ_ENV_COUNT] = "SELECT coalesce(max(id), 0) FROM envelopes",
    [SQ_REC_PUT] = "INSERT INTO records(coll, key, val) VALUES(?1, ?2, ?3)"
                   " ON CONFLICT(coll, key) DO UPDATE SET val = excluded.val",
    [SQ_REC_INSERT] = "INSERT INTO records(coll, key, val) VALUES(?1, ?2, ?3)"
                      " ON CONFLICT(coll, key) DO NOTHING",
    [SQ_REC_GET] = "SELECT val FROM records WHERE coll = ?1 AND key = ?2",
    [SQ_REC_LAST] = "SELECT key FROM records WHERE coll = ?1 ORDER BY key DESC LIMIT 1",
    [SQ_REC_SCAN] = "SELECT key, val FROM records WHERE coll = ?1 AND key BETWEEN ?2 AND ?3"
                    " ORDER BY key LIMIT ?4",
    [SQ_META_PUT] = "INSERT INTO meta(key, val) VALUES(?1, ?2)"
                    " ON CONFLICT(key) DO UPDATE SET val = excluded.val",
    [SQ_META_GET] = "SELECT val FROM meta WHERE key = ?1",
};

aegis_err aegis__sq_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return AEGIS_OK;
    case SQLITE_FULL:
        return AEGIS_ERR_STORE_FULL;
    case SQLITE_IOERR:
        return (rc == SQLITE_IOERR_NOMEM) ? AEGIS_ERR_NOMEM : AEGIS_ERR_STORE_IO;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return AEGIS_ERR_STORE_READONLY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return AEGIS_ERR_STORE_CORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AEGIS_ERR_BUSY;
    case SQLITE_NOMEM:
        return AEGIS_ERR_NOMEM;
    case SQLITE_TOOBIG:
        return AEGIS_ERR_TOO_BIG;
    case SQLITE_CONSTRAINT:
        return AEGIS_ERR_EXISTS;
    case SQLITE_CANTOPEN:
        return AEGIS_ERR_STORE_IO;
    default:
        return AEGIS_ERR_INTERNAL;
    }
}

sqlite3_stmt *aegis__sq_stmt(struct aegis__sq_conn *conn, enum aegis__sq_stmt idx, aegis_err *ret_err)
{
    sqlite3_stmt *s = conn->stmt[idx];
    if (!s) {
        int rc = sqlite3_prepare_v3(conn->db, stmt_sql[idx], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
        if (rc != SQLITE_OK) {
            *ret_err = aegis__sq_err(rc);
            if (*ret_err == AEGIS_OK || *ret_err == AEGIS_ERR_EXISTS)
                *ret_err = AEGIS_ERR_INTERNAL;
            return NULL;
        }
        conn->stmt[idx] = s;
    }
    return s;
}

aegis_err aegis__sq_run(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? AEGIS_OK : aegis__sq_err(rc);
}

void aegis__sq_rollback(struct aegis__sq_conn *conn)
{
    if (sqlite3_get_autocommit(conn->db))
        return;   /* sqlite already rolled back (FULL, IOERR, ...) */
    aegis_err err;
    sqlite3_stmt *s = aegis__sq_stmt(conn, SQ_ROLLBACK, &err);
    if (s)
        (void)aegis__sq_run(s);
    else
        sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
}

aegis_err aegis__sq_bind_blob(sqlite3_stmt *s, int col, const void *p, size_t len)
{
    /* SQLITE_STATIC: every caller keeps p alive until the statement is reset. */
    int rc = sqlite3_bind_blob64(s, col, len ? p : "", len, SQLITE_STATIC);
    return rc == SQLITE_OK ? AEGIS_OK : aegis__sq_err(rc);
}

/* Run one PRAGMA or statement that returns a single integer. */
static aegis_err query_int(sqlite3 *db, const char *sql, int64_t *ret)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *ret = sqlite3_column_int64(s, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? AEGIS_OK : aegis__sq_err(rc);
}

static aegis_err exec_sql(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? AEGIS_OK : aegis__sq_err(rc);
}

/*
 * Bring the schema to AEGIS__SQ_SCHEMA_VERSION. A database with another
 * application id, or with tables but no version, is not ours: refused
 * rather than "migrated" into.
 */
static aegis_err migrate(struct aegis__sq_ctx *c)
{
    sqlite3 *db = c->w.db;
    int64_t version = 0, app = 0, tables = 0;
    aegis_err err = exec_sql(db, "BEGIN IMMEDIATE");
    if (err != AEGIS_OK)
        return err;
    if ((err = query_int(db, "PRAGMA user_version", &version)) != AEGIS_OK ||
        (err = query_int(db, "PRAGMA application_id", &app)) != AEGIS_OK ||
        (err = query_int(db, "SELECT count(*) FROM sqlite_schema", &tables)) != AEGIS_OK)
        goto fail;
    if (version > AEGIS__SQ_SCHEMA_VERSION) {
        err = AEGIS_ERR_STORE_SCHEMA_NEWER;
        goto fail;
    }
    if ((app != 0 && app != AEGIS__SQ_APP_ID) || (version == 0 && tables > 0) || version < 0) {
        err = AEGIS_ERR_STORE_CORRUPT;
        goto fail;
    }
    for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
        if (migrations[i].version <= version)
            continue;
        err = exec_sql(db, migrations[i].sql);
        if (err != AEGIS_OK) {
            if (err != AEGIS_ERR_STORE_FULL && err != AEGIS_ERR_STORE_IO && err != AEGIS_ERR_NOMEM)
                err = AEGIS_ERR_STORE_MIGRATION;
            goto fail;
        }
    }
    if (version < AEGIS__SQ_SCHEMA_VERSION) {
        char sql[96];
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
                 AEGIS__SQ_SCHEMA_VERSION, AEGIS__SQ_APP_ID);
        if ((err = exec_sql(db, sql)) != AEGIS_OK)
            goto fail;
    }
    if ((err = exec_sql(db, "COMMIT")) != AEGIS_OK)
        goto fail;
    c->schema_version = AEGIS__SQ_SCHEMA_VERSION;
    return AEGIS_OK;
fail:
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

/* Read-only open: the schema must already be current (we cannot migrate). */
static aegis_err check_schema_ro(struct aegis__sq_ctx *c)
{
    int64_t version = 0, app = 0;
    aegis_err err = query_int(c->r.db, "PRAGMA user_version", &version);
    if (err == AEGIS_OK)
        err = query_int(c->r.db, "PRAGMA application_id", &app);
    if (err != AEGIS_OK)
        return err;
    if (app != AEGIS__SQ_APP_ID)
        return AEGIS_ERR_STORE_CORRUPT;
    if (version > AEGIS__SQ_SCHEMA_VERSION)
        return AEGIS_ERR_STORE_SCHEMA_NEWER;
    if (version < AEGIS__SQ_SCHEMA_VERSION)
        return AEGIS_ERR_STORE_READONLY;   /* needs a read-write open to migrate */
    c->schema_version = (int)version;
    return AEGIS_OK;
}

static aegis_err conn_open(struct aegis__sq_conn *conn, const char *path, bool writer)
{
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
    if (pthread_mutex_init(&conn->mu, NULL) != 0)
        return AEGIS_ERR_NOMEM;
    conn->mu_ok = true;
    int rc = sqlite3_open_v2(path, &conn->db, flags, NULL);
    if (rc != SQLITE_OK)
        return aegis__sq_err(rc);
    sqlite3_extended_result_codes(conn->db, 1);
    sqlite3_busy_timeout(conn->db, AEGIS__SQ_BUSY_MS);
    sqlite3_db_config(conn->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(conn->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    if (!writer)
        return exec_sql(conn->db, "PRAGMA query_only = 1");
    /* The first statement reads the header: a non-database fails here. */
    sqlite3_stmt *s = NULL;
    rc = sqlite3_prepare_v2(conn->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(s, 0);
        rc = (mode && strcmp((const char *)mode, "wal") == 0) ? SQLITE_OK : SQLITE_IOERR;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_OK)
        return aegis__sq_err(rc);
    return exec_sql(conn->db, "PRAGMA synchronous = FULL");
}

static void conn_close(struct aegis__sq_conn *conn, bool checkpoint)
{
    for (size_t i = 0; i < SQ__COUNT; i++) {
        sqlite3_finalize(conn->stmt[i]);
        conn->stmt[i] = NULL;
    }
    if (conn->db) {
        if (checkpoint)
            sqlite3_wal_checkpoint_v2(conn->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        sqlite3_close_v2(conn->db);
        conn->db = NULL;
    }
    if (conn->mu_ok) {
        pthread_mutex_destroy(&conn->mu);
        conn->mu_ok = false;
    }
}

/* ---- background checkpoints ---- */

/* The writer's WAL hook, called after each commit with the WAL's size in
 * frames. Installing it replaces sqlite's auto-checkpoint. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)name;
    struct aegis__sq_ctx *c = arg;
    if (frames >= AEGIS__SQ_CKPT_HARD_FRAMES) {
        /* the background checkpointer fell far behind (sustained
         * overload): bound the WAL here, as sqlite's auto-checkpoint would */
        (void)sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (frames >= AEGIS__SQ_CKPT_FRAMES) {
        pthread_mutex_lock(&c->ck_mu);
        c->ck_frames = frames;
        int grown = frames >= c->ck_base ? frames - c->ck_base : frames;   /* smaller: the WAL restarted */
        bool urgent = grown >= AEGIS__SQ_CKPT_URGENT_FRAMES;
        if (!c->ck_wanted || (urgent && !c->ck_urgent)) {
            c->ck_wanted = true;
            c->ck_urgent = c->ck_urgent || urgent;
            pthread_cond_signal(&c->ck_cv);
        }
        pthread_mutex_unlock(&c->ck_mu);
    }
    return SQLITE_OK;
}

/* PASSIVE: copies what no reader still needs, never waits for or blocks the
 * writer; what is left over is taken by the next run (the hook fires again
 * on the next commit while the WAL is still past the threshold). */
static void *ck_main(void *arg)
{
    struct aegis__sq_ctx *c = arg;
    aegis_thread_name("sqlite-ckpt");
    /* Idle priority: a checkpoint only uses a cpu nothing else wants, so it
     * never stalls the threads that acknowledge envelopes or cut batches
     * (on a busy core a 1000-frame checkpoint is milliseconds of their
     * time). Under sustained overload it may fall behind: the writer's hook
     * then checkpoints inline (AEGIS__SQ_CKPT_HARD_FRAMES). */
    struct sched_param sp = { 0 };
    (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    pthread_mutex_lock(&c->ck_mu);
    for (;;) {
        while (!c->ck_wanted && !c->ck_stop)
            pthread_cond_wait(&c->ck_cv, &c->ck_mu);
        if (c->ck_stop)
            break;
        c->ck_wanted = false;
        c->ck_urgent = false;
        c->ck_base = c->ck_frames;
        pthread_mutex_unlock(&c->ck_mu);
        int rc = sqlite3_wal_checkpoint_v2(c->ck.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->ck_mu);
        if (rc == SQLITE_OK)
            c->ck_runs++;
        /* the frames committed meanwhile wait for the next run: one larger
         * copy instead of one per commit (wakes from the hook only set
         * ck_wanted here) */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += AEGIS__SQ_CKPT_GAP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!c->ck_stop && !c->ck_urgent && pthread_cond_timedwait(&c->ck_cv, &c->ck_mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&c->ck_mu);
    return NULL;
}

/* Start the checkpointer. If anything fails the writer simply keeps
 * sqlite's auto-checkpoint: slower tails, same durability. */
static void ck_start(struct aegis__sq_ctx *c, const char *path)
{
    if (pthread_mutex_init(&c->ck_mu, NULL) != 0)
        return;
    if (pthread_cond_init(&c->ck_cv, NULL) != 0) {
        pthread_mutex_destroy(&c->ck_mu);
        return;
    }
    c->ck_ok = true;
    if (conn_open(&c->ck, path, true) != AEGIS_OK) {
        conn_close(&c->ck, false);
        return;
    }
    if (pthread_create(&c->ck_thread, NULL, ck_main, c) != 0) {
        conn_close(&c->ck, false);
        return;
    }
    c->ck_running = true;
    sqlite3_wal_hook(c->w.db, wal_hook, c);
}

static void ck_stop(struct aegis__sq_ctx *c)
{
    if (c->ck_running) {
        sqlite3_wal_hook(c->w.db, NULL, NULL);
        pthread_mutex_lock(&c->ck_mu);
        c->ck_stop = true;
        pthread_cond_signal(&c->ck_cv);
        pthread_mutex_unlock(&c->ck_mu);
        pthread_join(c->ck_thread, NULL);
        c->ck_running = false;
        conn_close(&c->ck, false);
    }
    if (c->ck_ok) {
        pthread_cond_destroy(&c->ck_cv);
        pthread_mutex_destroy(&c->ck_mu);
        c->ck_ok = false;
    }
}

/* PRAGMA quick_check at open: a flipped byte in a b-tree page (a record
 * that still decodes) is found before anything is read from it or written
 * over it. It reads every page (O(file size), no index cross-check). */
static aegis_err quick_check(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL);
    aegis_err err = AEGIS_OK;
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(s, 0);
        if (!v || strcmp((const char *)v, "ok") != 0)
            err = AEGIS_ERR_STORE_CORRUPT;
    } else {
        err = rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? AEGIS_ERR_STORE_CORRUPT : aegis__sq_err(rc);
    }
    sqlite3_finalize(s);
    return err;
}

static aegis_err sq_open(void *ctx, const char *dir, const aegis_store_opts *opts)
{
    struct aegis__sq_ctx *c = ctx;
    char path[4096];
    aegis_err err;
    struct stat sb;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, AEGIS__SQ_DB_NAME) >= sizeof(path))
        return AEGIS_ERR_TOO_BIG;
    c->read_only = opts->read_only;
    if (c->read_only) {
        if (stat(path, &sb) != 0)
            return errno == ENOENT ? AEGIS_ERR_NOT_FOUND : AEGIS_ERR_STORE_IO;
        err = conn_open(&c->r, path, false);
        return err == AEGIS_OK ? check_schema_ro(c) : err;
    }
    if ((err = conn_open(&c->w, path, true)) != AEGIS_OK)
        return err;
    if ((err = migrate(c)) != AEGIS_OK)
        return err;
    snprintf(c->path, sizeof(c->path), "%s", path);
    if (stat(path, &sb) == 0 && (uint64_t)sb.st_size <= AEGIS_STORE_QUICK_CHECK_AT_OPEN) {
        if ((err = quick_check(c->w.db)) != AEGIS_OK)
            return err;
        c->checked = true;
    }
    if ((err = conn_open(&c->r, path, false)) != AEGIS_OK)
        return err;
    if ((err = aegis__sq_gc_init(c, opts->group_commit_us)) != AEGIS_OK)
        return err;
    ck_start(c, path);
    return AEGIS_OK;
}

/* The deferred check, on a connection of its own (read-only). */
static aegis_err sq_quick_check(void *ctx)
{
    struct aegis__sq_ctx *c = ctx;
    if (c->checked || c->read_only)
        return AEGIS_OK;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    aegis_err err = rc == SQLITE_OK ? quick_check(db) : aegis__sq_err(rc);
    sqlite3_close(db);
    if (err == AEGIS_OK)
        c->checked = true;
    return err;
}

static void sq_close(void *ctx)
{
    struct aegis__sq_ctx *c = ctx;
    ck_stop(c);
    aegis__sq_gc_clear(c);
    conn_close(&c->r, false);
    /* The writer closes last: checkpoint the WAL into the main file. */
    conn_close(&c->w, true);
}

static int sq_schema_version(void *ctx)
{
    return ((struct aegis__sq_ctx *)ctx)->schema_version;
}

/* Test hook: "aegis:checkpoints>=N" waits up to 5 s for N background
 * checkpoints (AEGIS_ERR_BUSY if they do not come, AEGIS_ERR_UNSUPPORTED
 * without a checkpointer); "aegis:unchecked" leaves the quick_check to
 * aegis_store_quick_check; anything else is SQL run on the writer. */
static aegis_err ck_wait_runs(struct aegis__sq_ctx *c, uint64_t want)
{
    if (!c->ck_running)
        return AEGIS_ERR_UNSUPPORTED;
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&c->ck_mu);
        uint64_t runs = c->ck_runs;
        pthread_mutex_unlock(&c->ck_mu);
        if (runs >= want)
            return AEGIS_OK;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return AEGIS_ERR_BUSY;
}

static aegis_err sq_test_exec(void *ctx, const char *cmd)
{
    struct aegis__sq_ctx *c = ctx;
    static const char ck_cmd[] = "aegis:checkpoints>=";
    if (!c->w.db)
        return AEGIS_ERR_STORE_READONLY;
    if (strncmp(cmd, ck_cmd, sizeof(ck_cmd) - 1) == 0)
        return ck_wait_runs(c, strtoull(cmd + sizeof(ck_cmd) - 1, NULL, 10));
    if (strcmp(cmd, "aegis:unchecked") == 0) {   /* as if the file were too large to check at open */
        c->checked = false;
        return AEGIS_OK;
    }
    pthread_mutex_lock(&c->w.mu);
    aegis_err err = exec_sql(c->w.db, cmd);
    pthread_mutex_unlock(&c->w.mu);
    return err;
}

const struct aegis_store_ops aegis__store_sqlite_ops = {
    .name = "sqlite",
    .caps = AEGIS__STORE_CAP_DIR | AEGIS__STORE_CAP_DURABLE,
    .ctx_size = sizeof(struct aegis__sq_ctx),
    .open = sq_open,
    .close = sq_close,
    .schema_version = sq_schema_version,
    .env_append = aegis__sq_env_append,
    .env_get = aegis__sq_env_get,
    .env_find = aegis__sq_env_find,
    .env_scan = aegis__sq_env_scan,
    .env_scan_pending = aegis__sq_env_scan_pending,
    .quick_check = sq_quick_check,
    .env_set_status = aegis__sq_env_set_status,
    .env_count = aegis__sq_env_count,
    .rec_put = aegis__sq_rec_put,
    .rec_get = aegis__sq_rec_get,
    .rec_last = aegis__sq_rec_last,
    .rec_scan = aegis__sq_rec_scan,
    .meta_put = aegis__sq_meta_put,
    .meta_get = aegis__sq_meta_get,
    .test_exec = sq_test_exec,
};
