/*
 * store_sqlite_int.h - shared state of the sqlite backend's files:
 *   store_sqlite.c     open, pragmas, schema migrations, close, helpers
 *   store_sqlite_ops.c reads and the ordinary (single-transaction) writes
 *   store_sqlite_gc.c  env_append with group commit
 *
 * Two connections to <dir>/aegis.db: the writer (all writes, serialised by
 * w.mu) and a read-only reader (r.mu), so reads never wait behind a commit's
 * fsync (WAL lets a reader see the last committed state while a write is in
 * flight). Each connection caches its prepared statements by index.
 */
#ifndef AEGIS_STORE_SQLITE_INT_H
#define AEGIS_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store_int.h"

#define AEGIS__SQ_SCHEMA_VERSION 3
#define AEGIS__SQ_APP_ID 0x41454753   /* "AEGS" in the file header */
#define AEGIS__SQ_BUSY_MS 5000
#define AEGIS__SQ_DB_NAME "aegis.db"
/* WAL frames after which the background checkpointer copies the WAL into
 * the main file (sqlite's own default auto-checkpoint size). */
#define AEGIS__SQ_CKPT_FRAMES 1000
/* the writer checkpoints inline past this (the background one fell behind) */
#define AEGIS__SQ_CKPT_HARD_FRAMES (8 * AEGIS__SQ_CKPT_FRAMES)
/* at least this long between two background checkpoints: under steady load
 * the WAL stays past the threshold and the hook asks again after every
 * commit, so without a gap each commit's few frames got a checkpoint of
 * their own (two fsyncs each, hundreds a second) */
#define AEGIS__SQ_CKPT_GAP_MS 50
/* ... unless the WAL grew by this many frames since the last run started (a
 * burst of large commits): then the next run starts at once, so the WAL
 * seldom reaches the writer's inline bound. Steady load (a few frames per
 * commit) keeps the gap. */
#define AEGIS__SQ_CKPT_URGENT_FRAMES AEGIS__SQ_CKPT_FRAMES

enum aegis__sq_stmt {
    SQ_BEGIN,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_ENV_INSERT,
    SQ_ENV_STATUS_INSERT,
    SQ_ENV_FIND,
    SQ_ENV_GET,
    SQ_ENV_SCAN,
    SQ_ENV_SCAN_PENDING,
    SQ_ENV_SET_STATUS,
    SQ_ENV_DROP_DATA,
    SQ_ENV_COUNT,
    SQ_REC_PUT,
    SQ_REC_INSERT,
    SQ_REC_GET,
    SQ_REC_LAST,
    SQ_REC_SCAN,
    SQ_META_PUT,
    SQ_META_GET,
    SQ__COUNT
};

struct aegis__sq_conn {
    sqlite3 *db;
    pthread_mutex_t mu;
    bool mu_ok;
    sqlite3_stmt *stmt[SQ__COUNT];
};

/* One queued append (lives on the appender's stack until done). */
struct aegis__sq_gc_req {
    const uint8_t *data;
    size_t len;
    const uint8_t *hash;
    uint64_t received_ms;
    uint64_t id;
    aegis_err err;
    bool done;
    struct aegis__sq_gc_req *next;
};

struct aegis__sq_ctx {
    struct aegis__sq_conn w;      /* writer; db NULL when read_only */
    struct aegis__sq_conn r;      /* reader */
    bool read_only;
    int schema_version;
    bool checked;                 /* quick_check ran at open */
    char path[4096];              /* the database file (deferred quick_check) */

    /* group commit (store_sqlite_gc.c) */
    pthread_mutex_t q_mu;
    pthread_cond_t q_cv;          /* "your request is done" / "leader gone" */
    pthread_cond_t lead_cv;       /* "a companion arrived" (leader waits) */
    bool q_ok;
    struct aegis__sq_gc_req *q_head, *q_tail;
    size_t q_len;
    bool q_leader;                /* a leader is collecting or committing */
    size_t q_last_batch;          /* size of the previous batch */
    uint64_t gc_wait_us;

    /* background checkpoints (store_sqlite.c): the writer's WAL hook wakes
     * ck_thread, which checkpoints (PASSIVE) on its own connection, so no
     * committing thread ever copies the WAL or fsyncs the main file. */
    struct aegis__sq_conn ck;     /* the checkpointer's connection */
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cv;
    pthread_t ck_thread;
    bool ck_ok;                   /* ck_mu/ck_cv initialised */
    bool ck_running;              /* ck_thread started (else sqlite auto-checkpoints) */
    bool ck_wanted;               /* the WAL passed AEGIS__SQ_CKPT_FRAMES */
    bool ck_urgent;               /* ... and grew by AEGIS__SQ_CKPT_URGENT_FRAMES since the last run: no gap */
    int ck_frames;                /* the WAL's size at the last commit (the hook's) */
    int ck_base;                  /* ... when the last checkpoint run started */
    bool ck_stop;
    uint64_t ck_runs;             /* background checkpoints completed (tests) */
};

/* Map a sqlite result code to an aegis_err. */
aegis_err aegis__sq_err(int rc);
/* The cached statement idx of conn (prepared on first use), reset and
 * unbound; NULL on failure with *ret_err set. Caller holds conn->mu. */
sqlite3_stmt *aegis__sq_stmt(struct aegis__sq_conn *conn, enum aegis__sq_stmt idx, aegis_err *ret_err);
/* Step a statement to completion (no rows expected), then reset it. */
aegis_err aegis__sq_run(sqlite3_stmt *s);
/* Roll back the writer's open transaction, if any (after an error). */
void aegis__sq_rollback(struct aegis__sq_conn *conn);
/* Bind helpers returning aegis_err. */
aegis_err aegis__sq_bind_blob(sqlite3_stmt *s, int col, const void *p, size_t len);

aegis_err aegis__sq_gc_init(struct aegis__sq_ctx *c, uint64_t wait_us);
void aegis__sq_gc_clear(struct aegis__sq_ctx *c);

/* ops implemented in store_sqlite_ops.c / store_sqlite_gc.c */
aegis_err aegis__sq_env_append(void *ctx, aegis_store_env_in *in, size_t n, uint64_t received_ms);
aegis_err aegis__sq_env_get(void *ctx, uint64_t id, aegis_store_env *ret);
aegis_err aegis__sq_env_find(void *ctx, const uint8_t hash[32], uint64_t *ret_id);
aegis_err aegis__sq_env_scan_pending(void *ctx, uint64_t from, uint64_t to, size_t max,
                                     aegis__env_scan_cb cb, void *arg, size_t *ret_n);
aegis_err aegis__sq_env_scan(void *ctx, uint64_t from, uint64_t to, size_t max,
                             aegis__env_scan_cb cb, void *arg, size_t *ret_n);
aegis_err aegis__sq_env_set_status(void *ctx, const uint64_t *ids, size_t n,
                                   aegis_env_status status, const char *reason);
aegis_err aegis__sq_env_count(void *ctx, uint64_t *ret_count);
struct aegis__env_status_set;
aegis_err aegis__sq_rec_put(void *ctx, const char *coll, uint64_t key,
                            const uint8_t *val, size_t len, bool insert_only,
                            const struct aegis__env_status_set *env);
aegis_err aegis__sq_rec_get(void *ctx, const char *coll, uint64_t key,
                            uint8_t **ret_val, size_t *ret_len);
aegis_err aegis__sq_rec_last(void *ctx, const char *coll, uint64_t *ret_key);
aegis_err aegis__sq_rec_scan(void *ctx, const char *coll, uint64_t from, uint64_t to, size_t max,
                             aegis__rec_scan_cb cb, void *arg, size_t *ret_n);
aegis_err aegis__sq_meta_put(void *ctx, const char *key, const uint8_t *val, size_t len);
aegis_err aegis__sq_meta_get(void *ctx, const char *key, uint8_t **ret_val, size_t *ret_len);

#endif
