/*
 * aegis/store.h - durable storage, host side (untrusted I/O).
 *
 * Holds only what may leave the TEE: ciphertext envelopes, published
 * batches, checkpoints, audit records, sealed blobs. Never a plaintext
 * transaction or a private key.
 *
 * Backends (STYLE.md section 7): "sqlite" (WAL, the embedded default) and
 * "memory" (tests, benchmarks, fuzzers). Chosen by name at open.
 *
 * Durability contract: every write function returns AEGIS_OK only once the
 * data is durable (sqlite: committed with synchronous=FULL; concurrent
 * appenders share one commit - group commit). Any error means nothing was
 * acknowledged. All functions are thread-safe.
 */
#ifndef AEGIS_STORE_H
#define AEGIS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/util.h"

typedef struct aegis_store aegis_store;

typedef enum aegis_env_status {
    AEGIS_ENV_PENDING  = 0,   /* logged; admitted or awaiting decision */
    AEGIS_ENV_INCLUDED = 1,   /* in a persisted batch */
    AEGIS_ENV_REJECTED = 2,   /* reason recorded */
    AEGIS_ENV_EVICTED  = 3,
} aegis_env_status;

/* "pending", "included", "rejected", "evicted" ("unknown" otherwise). */
const char *aegis_env_status_name(aegis_env_status s);

typedef struct aegis_store_env {
    uint64_t id;              /* 1, 2, 3, ... in append order */
    uint8_t hash[32];         /* caller-computed envelope hash */
    uint64_t received_ms;     /* wall clock at append */
    aegis_env_status status;
    const uint8_t *data;      /* valid only during the callback / until freed */
    size_t len;
    const char *reason;       /* rejection reason or NULL */
} aegis_store_env;

typedef struct aegis_store_opts {
    uint64_t group_commit_us; /* wait this long for companions before commit */
    bool read_only;
} aegis_store_opts;

/* Open (creating dir 0700 and the schema, migrating older schema versions).
 * A second open of the same dir by another process fails with AEGIS_ERR_BUSY
 * (lock file). dir may be NULL for "memory". */
aegis_err aegis_store_open(aegis_store **ret, const char *backend, const char *dir,
                           const aegis_store_opts *opts) AEGIS_WUR;
/* (added by the store module) Same as aegis_store_open; on failure also
 * stores the specific reason in *ret_detail (may be NULL) for messages:
 *   AEGIS_ERR_BUSY  -> AEGIS_ERR_STORE_LOCKED (another aegisd holds the dir)
 *   AEGIS_ERR_PERM  -> AEGIS_ERR_STORE_DIR_UNWRITABLE, _DIR_UNSAFE (group/
 *                      other-writable dir), _NOT_DIR
 *   AEGIS_ERR_INVAL -> AEGIS_ERR_STORE_NO_BACKEND (unknown name) or INVAL
 *   otherwise the same code (STORE_CORRUPT, STORE_SCHEMA_NEWER, STORE_FULL,
 *   STORE_IO, STORE_MIGRATION, NOT_FOUND for a missing read-only dir, NOMEM).
 * backend NULL means "sqlite"; opts NULL means defaults. */
aegis_err aegis_store_open_ex(aegis_store **ret, const char *backend, const char *dir,
                              const aegis_store_opts *opts, aegis_err *ret_detail) AEGIS_WUR;
/* Close cleanly (checkpoint the WAL), then release the dir lock. Accepts
 * NULL. No other call on st may be in progress or follow. */
void aegis_store_free(aegis_store *st);
const char *aegis_store_backend_name(const aegis_store *st);
/* Schema version on disk. */
int aegis_store_schema_version(const aegis_store *st);
/* (added) Outcome of the most recent write that touched the disk: AEGIS_OK,
 * or AEGIS_ERR_STORE_FULL / _IO / _CORRUPT while writes fail (for /healthz
 * "degraded"). Resets to AEGIS_OK on the next successful write. */
aegis_err aegis_store_health(const aegis_store *st);

/* A structural integrity check of the whole store (sqlite: PRAGMA
 * quick_check, which reads every page). Open runs it itself on a file of
 * up to AEGIS_STORE_QUICK_CHECK_AT_OPEN bytes (refusing a damaged one with
 * AEGIS_ERR_STORE_CORRUPT); on a larger one it would cost seconds at
 * start, so open leaves it to this call, which the caller runs off the
 * start path. AEGIS_OK when it already ran or found nothing;
 * AEGIS_ERR_STORE_CORRUPT when the file is damaged. Thread-safe (its own
 * connection). */
#define AEGIS_STORE_QUICK_CHECK_AT_OPEN (256ull << 20)
aegis_err aegis_store_quick_check(aegis_store *st) AEGIS_WUR;

/* (added) Limits enforced by every backend: AEGIS_ERR_TOO_BIG past them. */
#define AEGIS_STORE_MAX_VALUE    (64u << 20)  /* envelope / record / meta blob */
#define AEGIS_STORE_MAX_REASON   1024         /* rejection reason, bytes */
#define AEGIS_STORE_MAX_META_KEY 128          /* meta key, bytes (INVAL past it) */
#define AEGIS_STORE_MAX_KEY      ((uint64_t)INT64_MAX) /* record keys (INVAL past it) */

/* Write errors (any write function): AEGIS_ERR_STORE_FULL (disk or quota
 * full), AEGIS_ERR_STORE_IO (write/fsync failed), AEGIS_ERR_STORE_READONLY
 * (opened read_only, or the files became read-only), AEGIS_ERR_BUSY (lock
 * contention past the busy timeout). In each case nothing was acknowledged
 * and nothing of that call is visible, now or after a restart. */

/* ---- the envelope log ---- */
/* Append; durable on return. AEGIS_ERR_EXISTS (and *ret_id = existing id)
 * if an envelope with that hash is already logged. */
aegis_err aegis_store_env_append(aegis_store *st, const uint8_t *data, size_t len,
                                 const uint8_t hash[static 32], uint64_t *ret_id) AEGIS_WUR;
/* One envelope of aegis_store_env_append_many: data/len/hash in, id/err out. */
typedef struct aegis_store_env_in {
    const uint8_t *data;
    size_t len;
    const uint8_t *hash;       /* 32 bytes */
    uint64_t id;               /* out: the new id, or the earlier one (EXISTS) */
    aegis_err err;             /* out: OK, EXISTS, or the call's failure */
} aegis_store_env_in;
/* Append n envelopes in one commit (one fsync): durable on return. A hash
 * already logged (or repeated within in[]) is a per-item AEGIS_ERR_EXISTS.
 * Any other error fails the whole call: it is returned, set in every
 * in[i].err, and nothing of the call is durable. */
aegis_err aegis_store_env_append_many(aegis_store *st, aegis_store_env_in *in, size_t n) AEGIS_WUR;
/* Fetch one envelope; the caller frees ret->data (cast) with aegis_free and
 * ret->reason likewise. */
aegis_err aegis_store_env_get(aegis_store *st, uint64_t id, aegis_store_env *ret) AEGIS_WUR;
aegis_err aegis_store_env_find(aegis_store *st, const uint8_t hash[static 32], uint64_t *ret_id) AEGIS_WUR;
/* Visit ids in [from, to] in order (to = UINT64_MAX for all). A callback
 * returning non-zero stops the walk (not an error). The callback runs with
 * no store lock held (rows are copied in chunks first), so it may call any
 * store function; env->data/reason are valid only during the call. Rows
 * appended during a walk may or may not be visited. */
typedef int (*aegis_store_env_cb)(void *arg, const aegis_store_env *env);
aegis_err aegis_store_env_range(aegis_store *st, uint64_t from, uint64_t to,
                                aegis_store_env_cb cb, void *arg) AEGIS_WUR;
/* The same walk over the envelopes whose status is "pending" only (the
 * restart's replay: an index finds them without reading the others). */
aegis_err aegis_store_env_range_pending(aegis_store *st, uint64_t from, uint64_t to,
                                        aegis_store_env_cb cb, void *arg) AEGIS_WUR;
/* Set status (and reason for REJECTED) of several envelopes in one durable
 * write. REJECTED also drops the envelope's bytes: the row keeps its id,
 * hash, time and reason, and reads back with len 0. */
aegis_err aegis_store_env_set_status(aegis_store *st, const uint64_t *ids, size_t n,
                                     aegis_env_status status, const char *reason) AEGIS_WUR;
aegis_err aegis_store_env_count(aegis_store *st, uint64_t *ret_count) AEGIS_WUR;

/* ---- keyed records: named collections of u64 key -> blob ----
 * Used for batches ("batch"), checkpoints ("checkpoint"), audit ("audit"),
 * receipts, registry entries. Collection names are [a-z_]{1,32}. */
/* (added) true if coll is a valid collection name ([a-z_]{1,32}); the
 * record functions return AEGIS_ERR_STORE_BAD_COLL otherwise. */
bool aegis_store_coll_is_valid(const char *coll);
aegis_err aegis_store_put(aegis_store *st, const char *coll, uint64_t key,
                          const uint8_t *val, size_t len) AEGIS_WUR;
/* Insert only if absent: AEGIS_ERR_EXISTS otherwise (batch numbers are never reused). */
aegis_err aegis_store_insert(aegis_store *st, const char *coll, uint64_t key,
                             const uint8_t *val, size_t len) AEGIS_WUR;
/* aegis_store_insert (insert_only) or aegis_store_put, and in the same
 * durable write the status of envelopes ids[0..n): a batch and the
 * envelopes it includes are never written one without the other. An id
 * with no envelope is skipped; status must not be REJECTED (no reason). */
aegis_err aegis_store_put_with_status(aegis_store *st, const char *coll, uint64_t key, const uint8_t *val,
                                      size_t len, bool insert_only, const uint64_t *ids, size_t n,
                                      aegis_env_status status) AEGIS_WUR;
aegis_err aegis_store_get(aegis_store *st, const char *coll, uint64_t key,
                          uint8_t **ret_val, size_t *ret_len) AEGIS_WUR;
/* Highest key in the collection; AEGIS_ERR_NOT_FOUND when empty. */
aegis_err aegis_store_last(aegis_store *st, const char *coll, uint64_t *ret_key) AEGIS_WUR;
/* Same callback rules as aegis_store_env_range. */
typedef int (*aegis_store_rec_cb)(void *arg, uint64_t key, const uint8_t *val, size_t len);
aegis_err aegis_store_range(aegis_store *st, const char *coll, uint64_t from, uint64_t to,
                            aegis_store_rec_cb cb, void *arg) AEGIS_WUR;

/* ---- small metadata (string key -> blob) ---- */
/* Meta key: "1" once the operator accepted lost acknowledged envelopes
 * (aegis recover --accept-lost-envelopes); aegisd clears it at start. */
#define AEGIS_RECOVER_ACCEPT_KEY "recover_accept_lost_envelopes"
aegis_err aegis_store_meta_put(aegis_store *st, const char *key, const uint8_t *val, size_t len) AEGIS_WUR;
aegis_err aegis_store_meta_get(aegis_store *st, const char *key, uint8_t **ret_val, size_t *ret_len) AEGIS_WUR;

/* Append latency histogram for /metrics: counts per bucket (microseconds
 * upper bounds in aegis_store_latency_bounds_us). Buckets are NOT cumulative:
 * counts[i] = appends with bounds[i-1] < latency <= bounds[i]; appends slower
 * than the last bound appear only in *total (Prometheus +Inf). *sum_us is the
 * sum of all latencies. Either pointer may be NULL. Every append call that
 * reached the backend counts, whatever its outcome. */
#define AEGIS_STORE_LAT_BUCKETS 12
extern const double aegis_store_latency_bounds_us[AEGIS_STORE_LAT_BUCKETS];
void aegis_store_latency_snapshot(const aegis_store *st, uint64_t counts[AEGIS_STORE_LAT_BUCKETS],
                                  double *sum_us, uint64_t *total);

#endif
