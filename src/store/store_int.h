/*
 * store_int.h - the storage backend interface (STYLE.md section 7).
 *
 * A backend is a `static const struct aegis_store_ops` with named fields,
 * found by name in the const registry in store.c. The generic layer
 * (store.c) owns everything that is the same for every backend:
 *   - argument checks and limits (collection names, sizes, statuses),
 *   - the data dir (created 0700, refused if group/other-writable) and the
 *     exclusive LOCK file, for backends with AEGIS__STORE_CAP_DIR,
 *   - read-only refusal of writes,
 *   - chunked range walks: the backend's scan callbacks only copy rows, the
 *     caller's callback runs with no backend lock held, so it may call back
 *     into the store,
 *   - the append latency histogram.
 * Backends therefore see only valid arguments and never need to re-check
 * them. Every backend op must be thread-safe on its own ctx.
 */
#ifndef AEGIS_STORE_INT_H
#define AEGIS_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/store.h"

/* Capability flags. */
#define AEGIS__STORE_CAP_DIR     1u   /* needs a data dir (created + locked by store.c) */
#define AEGIS__STORE_CAP_DURABLE 2u   /* survives a process restart */

/* Scan callbacks used inside backends; they only copy (see store.c). */
typedef int (*aegis__env_scan_cb)(void *arg, const aegis_store_env *env);
typedef int (*aegis__rec_scan_cb)(void *arg, uint64_t key, const uint8_t *val, size_t len);

/* Envelopes whose status a record write sets in the same transaction. */
struct aegis__env_status_set {
    const uint64_t *ids;
    size_t n;
    aegis_env_status status;
};

struct aegis_store_ops {
    const char *name;
    unsigned caps;
    size_t ctx_size;          /* zeroed bytes handed to open() as ctx */

    /* required: set up ctx. dir is the (existing, locked) data dir or NULL.
     * On failure, close() is still called on ctx, so free partial state. */
    aegis_err (*open)(void *ctx, const char *dir, const aegis_store_opts *opts);
    /* required: release everything in ctx (not ctx itself). Idempotent on a
     * zeroed or partially opened ctx. */
    void (*close)(void *ctx);
    /* optional: schema version (default 0). */
    int (*schema_version)(void *ctx);

    /* required: append n envelopes durably in one commit, setting each
     * in[i].id/err (same hash already present: AEGIS_ERR_EXISTS with the
     * existing id). An error that fails the commit is returned and set in
     * every in[i].err; nothing of the call is then durable. */
    aegis_err (*env_append)(void *ctx, aegis_store_env_in *in, size_t n, uint64_t received_ms);
    /* required: copy one envelope out (data and reason via aegis_malloc). */
    aegis_err (*env_get)(void *ctx, uint64_t id, aegis_store_env *ret);
    aegis_err (*env_find)(void *ctx, const uint8_t hash[32], uint64_t *ret_id);
    /* required: visit up to max envelopes with from <= id <= to in id order;
     * cb returning non-zero stops the scan. *ret_n = how many were visited. */
    aegis_err (*env_scan)(void *ctx, uint64_t from, uint64_t to, size_t max,
                          aegis__env_scan_cb cb, void *arg, size_t *ret_n);
    /* optional: env_scan of "pending" envelopes only (an index finds them;
     * without it the generic code filters env_scan) */
    aegis_err (*env_scan_pending)(void *ctx, uint64_t from, uint64_t to, size_t max,
                                  aegis__env_scan_cb cb, void *arg, size_t *ret_n);
    /* required: all ids must exist, else AEGIS_ERR_NOT_FOUND and nothing
     * changes. reason is NULL unless status is REJECTED. */
    aegis_err (*env_set_status)(void *ctx, const uint64_t *ids, size_t n,
                                aegis_env_status status, const char *reason);
    aegis_err (*env_count)(void *ctx, uint64_t *ret_count);

    /* required: keyed records. insert_only: AEGIS_ERR_EXISTS if present.
     * env (optional): in the same durable write, set the status of these
     * envelopes (ids without an envelope are skipped; never REJECTED). */
    aegis_err (*rec_put)(void *ctx, const char *coll, uint64_t key,
                         const uint8_t *val, size_t len, bool insert_only,
                         const struct aegis__env_status_set *env);
    aegis_err (*rec_get)(void *ctx, const char *coll, uint64_t key,
                         uint8_t **ret_val, size_t *ret_len);
    aegis_err (*rec_last)(void *ctx, const char *coll, uint64_t *ret_key);
    aegis_err (*rec_scan)(void *ctx, const char *coll, uint64_t from, uint64_t to, size_t max,
                          aegis__rec_scan_cb cb, void *arg, size_t *ret_n);

    aegis_err (*meta_put)(void *ctx, const char *key, const uint8_t *val, size_t len);
    aegis_err (*meta_get)(void *ctx, const char *key, uint8_t **ret_val, size_t *ret_len);

    /* optional: a structural integrity check of the whole store (sqlite:
     * PRAGMA quick_check) if open did not already run it; AEGIS_OK when
     * absent */
    aegis_err (*quick_check)(void *ctx);

    /* optional, tests only: run backend-specific SQL/commands on the write
     * path (e.g. PRAGMA max_page_count to simulate a full disk). */
    aegis_err (*test_exec)(void *ctx, const char *cmd);
};

extern const struct aegis_store_ops aegis__store_sqlite_ops;
extern const struct aegis_store_ops aegis__store_memory_ops;

/* Tests only: dispatch to ops->test_exec (AEGIS_ERR_UNSUPPORTED if absent). */
aegis_err aegis__store_test_exec(aegis_store *st, const char *cmd);

/* Copy a blob into a fresh aegis_malloc buffer (never NULL on success, even
 * for len 0). */
aegis_err aegis__store_dup(const void *p, size_t len, uint8_t **ret);

#endif
