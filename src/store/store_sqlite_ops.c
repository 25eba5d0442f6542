/*
 * store_sqlite_ops.c - sqlite backend: reads (reader connection) and the
 * writes that are not appends (writer connection, one transaction each).
 */
#include <string.h>

#include "store_sqlite_int.h"

/* sqlite integers are signed: ids and keys live in [0, INT64_MAX]. */
/* Step a one-column integer query: its value, AEGIS_ERR_NOT_FOUND for no row. */
static aegis_err step_u64(sqlite3_stmt *s, uint64_t *out)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = (uint64_t)sqlite3_column_int64(s, 0);
        return AEGIS_OK;
    }
    return rc == SQLITE_DONE ? AEGIS_ERR_NOT_FOUND : aegis__sq_err(rc);
}

static int64_t clamp_i64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static sqlite3_stmt *rd_begin(struct aegis__sq_ctx *c, enum aegis__sq_stmt idx, aegis_err *err)
{
    pthread_mutex_lock(&c->r.mu);
    sqlite3_stmt *s = aegis__sq_stmt(&c->r, idx, err);
    if (!s)
        pthread_mutex_unlock(&c->r.mu);
    return s;
}

static void rd_end(struct aegis__sq_ctx *c, sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    pthread_mutex_unlock(&c->r.mu);
}

/* Fill env from a row of SQ_ENV_GET / SQ_ENV_SCAN; pointers are sqlite's. */
static aegis_err env_from_row(sqlite3_stmt *s, aegis_store_env *env)
{
    const void *hash = sqlite3_column_blob(s, 1);
    if (sqlite3_column_bytes(s, 1) != 32 || !hash)
        return AEGIS_ERR_STORE_CORRUPT;
    env->id = (uint64_t)sqlite3_column_int64(s, 0);
    memcpy(env->hash, hash, 32);
    env->received_ms = (uint64_t)sqlite3_column_int64(s, 2);
    env->status = (aegis_env_status)sqlite3_column_int(s, 3);
    env->reason = (const char *)sqlite3_column_text(s, 4);
    env->data = sqlite3_column_blob(s, 5);
    env->len = (size_t)sqlite3_column_bytes(s, 5);
    if (!env->data && sqlite3_errcode(sqlite3_db_handle(s)) == SQLITE_NOMEM)
        return AEGIS_ERR_NOMEM;
    return AEGIS_OK;
}

aegis_err aegis__sq_env_get(void *ctx, uint64_t id, aegis_store_env *ret)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    uint8_t *data = NULL;
    char *reason = NULL;
    if (id > (uint64_t)INT64_MAX)
        return AEGIS_ERR_NOT_FOUND;
    sqlite3_stmt *s = rd_begin(c, SQ_ENV_GET, &err);
    if (!s)
        return err;
    sqlite3_bind_int64(s, 1, (int64_t)id);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        err = rc == SQLITE_DONE ? AEGIS_ERR_NOT_FOUND : aegis__sq_err(rc);
        goto out;
    }
    aegis_store_env e;
    if ((err = env_from_row(s, &e)) != AEGIS_OK)
        goto out;
    if ((err = aegis__store_dup(e.data, e.len, &data)) != AEGIS_OK)
        goto out;
    if (e.reason && !(reason = aegis_strdup(e.reason))) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    e.data = data;
    e.reason = reason;
    *ret = e;
    data = NULL;
    reason = NULL;
out:
    rd_end(c, s);
    aegis_free(data);
    aegis_free(reason);
    return err;
}

aegis_err aegis__sq_env_find(void *ctx, const uint8_t hash[32], uint64_t *ret_id)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    sqlite3_stmt *s = rd_begin(c, SQ_ENV_FIND, &err);
    if (!s)
        return err;
    if ((err = aegis__sq_bind_blob(s, 1, hash, 32)) == AEGIS_OK)
        err = step_u64(s, ret_id);
    rd_end(c, s);
    return err;
}

static aegis_err env_scan_stmt(void *ctx, enum aegis__sq_stmt stmt, uint64_t from, uint64_t to, size_t max,
                               aegis__env_scan_cb cb, void *arg, size_t *ret_n);

aegis_err aegis__sq_env_scan(void *ctx, uint64_t from, uint64_t to, size_t max,
                             aegis__env_scan_cb cb, void *arg, size_t *ret_n)
{
    return env_scan_stmt(ctx, SQ_ENV_SCAN, from, to, max, cb, arg, ret_n);
}

aegis_err aegis__sq_env_scan_pending(void *ctx, uint64_t from, uint64_t to, size_t max,
                                     aegis__env_scan_cb cb, void *arg, size_t *ret_n)
{
    return env_scan_stmt(ctx, SQ_ENV_SCAN_PENDING, from, to, max, cb, arg, ret_n);
}

static aegis_err env_scan_stmt(void *ctx, enum aegis__sq_stmt stmt, uint64_t from, uint64_t to, size_t max,
                               aegis__env_scan_cb cb, void *arg, size_t *ret_n)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    size_t n = 0;
    if (from > (uint64_t)INT64_MAX) {
        *ret_n = 0;
        return AEGIS_OK;
    }
    sqlite3_stmt *s = rd_begin(c, stmt, &err);
    if (!s)
        return err;
    sqlite3_bind_int64(s, 1, clamp_i64(from));
    sqlite3_bind_int64(s, 2, clamp_i64(to));
    sqlite3_bind_int64(s, 3, clamp_i64(max));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        aegis_store_env e;
        if ((err = env_from_row(s, &e)) != AEGIS_OK)
            break;
        n++;
        if (cb(arg, &e))
            break;
    }
    if (err == AEGIS_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = aegis__sq_err(rc);
    rd_end(c, s);
    *ret_n = n;
    return err;
}

aegis_err aegis__sq_env_count(void *ctx, uint64_t *ret_count)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    sqlite3_stmt *s = rd_begin(c, SQ_ENV_COUNT, &err);
    if (!s)
        return err;
    err = step_u64(s, ret_count);
    if (err == AEGIS_ERR_NOT_FOUND)
        err = AEGIS_ERR_INTERNAL;   /* COUNT(*) always yields a row */
    rd_end(c, s);
    return err;
}

/* Copy column col (a blob) of the current row into a fresh buffer. */
static aegis_err dup_col(sqlite3_stmt *s, int col, uint8_t **ret_val, size_t *ret_len)
{
    const void *p = sqlite3_column_blob(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);
    aegis_err err = aegis__store_dup(p, n, ret_val);
    if (err == AEGIS_OK)
        *ret_len = n;
    return err;
}

/* Step a bound single-row read: its first column copied out (NOT_FOUND
 * when there is no row); ends the read either way. */
static aegis_err step_blob(struct aegis__sq_ctx *c, sqlite3_stmt *s, uint8_t **ret_val, size_t *ret_len)
{
    aegis_err err;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        err = dup_col(s, 0, ret_val, ret_len);
    else
        err = rc == SQLITE_DONE ? AEGIS_ERR_NOT_FOUND : aegis__sq_err(rc);
    rd_end(c, s);
    return err;
}

aegis_err aegis__sq_rec_get(void *ctx, const char *coll, uint64_t key,
                            uint8_t **ret_val, size_t *ret_len)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    sqlite3_stmt *s = rd_begin(c, SQ_REC_GET, &err);
    if (!s)
        return err;
    sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (int64_t)key);
    return step_blob(c, s, ret_val, ret_len);
}

aegis_err aegis__sq_rec_last(void *ctx, const char *coll, uint64_t *ret_key)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    sqlite3_stmt *s = rd_begin(c, SQ_REC_LAST, &err);
    if (!s)
        return err;
    sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
    err = step_u64(s, ret_key);
    rd_end(c, s);
    return err;
}

aegis_err aegis__sq_rec_scan(void *ctx, const char *coll, uint64_t from, uint64_t to, size_t max,
                             aegis__rec_scan_cb cb, void *arg, size_t *ret_n)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    size_t n = 0;
    *ret_n = 0;
    if (from > (uint64_t)INT64_MAX)
        return AEGIS_OK;
    sqlite3_stmt *s = rd_begin(c, SQ_REC_SCAN, &err);
    if (!s)
        return err;
    sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, clamp_i64(from));
    sqlite3_bind_int64(s, 3, clamp_i64(to));
    sqlite3_bind_int64(s, 4, clamp_i64(max));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const uint8_t *v = sqlite3_column_blob(s, 1);
        size_t len = (size_t)sqlite3_column_bytes(s, 1);
        n++;
        if (cb(arg, (uint64_t)sqlite3_column_int64(s, 0), v ? v : (const uint8_t *)"", len))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = aegis__sq_err(rc);
    rd_end(c, s);
    *ret_n = n;
    return err;
}

aegis_err aegis__sq_meta_get(void *ctx, const char *key, uint8_t **ret_val, size_t *ret_len)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    sqlite3_stmt *s = rd_begin(c, SQ_META_GET, &err);
    if (!s)
        return err;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    return step_blob(c, s, ret_val, ret_len);
}

/* ---- writes: each is one durable transaction on the writer ---- */

/* Inside an open transaction on the writer: set the status of ids[0..n)
 * (REJECTED also drops the bytes). An id with no envelope is NOT_FOUND, or
 * skipped when missing_ok. */
static aegis_err update_statuses(struct aegis__sq_ctx *c, const uint64_t *ids, size_t n, aegis_env_status status,
                                 const char *reason, bool missing_ok)
{
    aegis_err err = AEGIS_OK;
    sqlite3_stmt *upd = aegis__sq_stmt(&c->w, SQ_ENV_SET_STATUS, &err);
    sqlite3_stmt *drop = upd ? aegis__sq_stmt(&c->w, SQ_ENV_DROP_DATA, &err) : NULL;
    if (!drop)
        return err;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] > (uint64_t)INT64_MAX) {
            if (missing_ok)
                continue;
            return AEGIS_ERR_NOT_FOUND;
        }
        sqlite3_bind_int(upd, 1, (int)status);
        if (reason)
            sqlite3_bind_text(upd, 2, reason, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(upd, 2);
        sqlite3_bind_int64(upd, 3, (int64_t)ids[i]);
        if ((err = aegis__sq_run(upd)) != AEGIS_OK)
            return err;
        if (sqlite3_changes(c->w.db) == 0) {
            if (missing_ok)
                continue;
            return AEGIS_ERR_NOT_FOUND;
        }
        if (status == AEGIS_ENV_REJECTED) {
            sqlite3_bind_int64(drop, 1, (int64_t)ids[i]);
            if ((err = aegis__sq_run(drop)) != AEGIS_OK)
                return err;
        }
    }
    return AEGIS_OK;
}

aegis_err aegis__sq_env_set_status(void *ctx, const uint64_t *ids, size_t n,
                                   aegis_env_status status, const char *reason)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&c->w.mu);
    sqlite3_stmt *begin = aegis__sq_stmt(&c->w, SQ_BEGIN, &err);
    sqlite3_stmt *commit = begin ? aegis__sq_stmt(&c->w, SQ_COMMIT, &err) : NULL;
    if (!commit || (err = aegis__sq_run(begin)) != AEGIS_OK)
        goto out;
    if ((err = update_statuses(c, ids, n, status, reason, false)) != AEGIS_OK)
        goto fail;
    if ((err = aegis__sq_run(commit)) == AEGIS_OK)
        goto out;
fail:
    aegis__sq_rollback(&c->w);
out:
    pthread_mutex_unlock(&c->w.mu);
    return err;
}

static aegis_err rec_put_locked(struct aegis__sq_ctx *c, const char *coll, uint64_t key,
                                const uint8_t *val, size_t len, bool insert_only)
{
    aegis_err err = AEGIS_OK;
    sqlite3_stmt *s = aegis__sq_stmt(&c->w, insert_only ? SQ_REC_INSERT : SQ_REC_PUT, &err);
    if (!s)
        return err;
    sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (int64_t)key);
    err = aegis__sq_bind_blob(s, 3, val, len);
    if (err == AEGIS_OK)
        err = aegis__sq_run(s);
    else
        sqlite3_reset(s);
    if (err == AEGIS_OK && insert_only && sqlite3_changes(c->w.db) == 0)
        err = AEGIS_ERR_EXISTS;
    return err;
}

/* One autocommit statement: durable (synchronous=FULL) once it is DONE.
 * With env, one transaction that also sets those envelopes' status (one
 * fsync for a batch and its envelopes, not two). */
aegis_err aegis__sq_rec_put(void *ctx, const char *coll, uint64_t key,
                            const uint8_t *val, size_t len, bool insert_only,
                            const struct aegis__env_status_set *env)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&c->w.mu);
    if (!env) {
        err = rec_put_locked(c, coll, key, val, len, insert_only);
        goto out;
    }
    sqlite3_stmt *begin = aegis__sq_stmt(&c->w, SQ_BEGIN, &err);
    sqlite3_stmt *commit = begin ? aegis__sq_stmt(&c->w, SQ_COMMIT, &err) : NULL;
    if (!commit || (err = aegis__sq_run(begin)) != AEGIS_OK)
        goto out;
    if ((err = rec_put_locked(c, coll, key, val, len, insert_only)) != AEGIS_OK ||
        (err = update_statuses(c, env->ids, env->n, env->status, NULL, true)) != AEGIS_OK)
        goto fail;
    if ((err = aegis__sq_run(commit)) == AEGIS_OK)
        goto out;
fail:
    aegis__sq_rollback(&c->w);
out:
    pthread_mutex_unlock(&c->w.mu);
    return err;
}

aegis_err aegis__sq_meta_put(void *ctx, const char *key, const uint8_t *val, size_t len)
{
    struct aegis__sq_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&c->w.mu);
    sqlite3_stmt *s = aegis__sq_stmt(&c->w, SQ_META_PUT, &err);
    if (s) {
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        err = aegis__sq_bind_blob(s, 2, val, len);
        if (err == AEGIS_OK)
            err = aegis__sq_run(s);
        else
            sqlite3_reset(s);
    }
    pthread_mutex_unlock(&c->w.mu);
    return err;
}
