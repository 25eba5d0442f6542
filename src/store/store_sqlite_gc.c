/*
 * store_sqlite_gc.c - env_append with group commit.
 *
 * Every appender queues a request on its own stack and sleeps. Whoever
 * finds no leader becomes one: it optionally lingers up to gc_wait_us for
 * companions, takes the whole queue, and writes all of it in ONE
 * transaction - one WAL fsync for the lot - then marks each request done
 * and wakes everyone. Requests queued while a leader commits form the next
 * batch, led by one of their own threads. So under load the fsync cost is
 * shared, and with a single appender there is no extra wait at all.
 *
 * aegis_store_env_append_many queues its n requests as one run, so they
 * always share one transaction; such a leader does not linger.
 *
 * The linger is adaptive (PostgreSQL's commit_delay/commit_siblings idea):
 * a leader waits only while the queue is shorter than the previous batch
 * (companions are plausible) and stops as soon as it is as long. A linger
 * that times out yields a smaller batch, which lowers the next target, so a
 * lone appender never waits.
 *
 * Invariant: a request's id/err are written by the leader before `done` is
 * set under q_mu, and the owner reads them only after seeing `done` under
 * q_mu. An error anywhere in the batch fails every request in it: nothing
 * in a rolled-back transaction is acknowledged.
 */
#include <errno.h>
#include <time.h>

#include "store_sqlite_int.h"

aegis_err aegis__sq_gc_init(struct aegis__sq_ctx *c, uint64_t wait_us)
{
    pthread_condattr_t ca;
    if (pthread_mutex_init(&c->q_mu, NULL) != 0)
        return AEGIS_ERR_NOMEM;
    if (pthread_condattr_init(&ca) != 0)
        goto fail_mu;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_cond_init(&c->q_cv, &ca) != 0)
        goto fail_attr;
    if (pthread_cond_init(&c->lead_cv, &ca) != 0)
        goto fail_cv;
    pthread_condattr_destroy(&ca);
    c->gc_wait_us = wait_us > 1000000 ? 1000000 : wait_us;   /* at most 1 s */
    c->q_ok = true;
    return AEGIS_OK;
fail_cv:
    pthread_cond_destroy(&c->q_cv);
fail_attr:
    pthread_condattr_destroy(&ca);
fail_mu:
    pthread_mutex_destroy(&c->q_mu);
    return AEGIS_ERR_NOMEM;
}

void aegis__sq_gc_clear(struct aegis__sq_ctx *c)
{
    if (!c->q_ok)
        return;
    pthread_cond_destroy(&c->lead_cv);
    pthread_cond_destroy(&c->q_cv);
    pthread_mutex_destroy(&c->q_mu);
    c->q_ok = false;
}

/* Insert one request inside the open transaction. Returns an error only for
 * failures that doom the transaction; a duplicate hash is a per-request
 * outcome (EXISTS with the existing id). */
static aegis_err insert_one(struct aegis__sq_ctx *c, sqlite3_stmt *ins, sqlite3_stmt *status,
                            sqlite3_stmt *find, struct aegis__sq_gc_req *r)
{
    aegis_err err;
    if ((err = aegis__sq_bind_blob(ins, 1, r->hash, 32)) != AEGIS_OK ||
        (err = aegis__sq_bind_blob(ins, 3, r->data, r->len)) != AEGIS_OK) {
        sqlite3_clear_bindings(ins);
        return err;
    }
    sqlite3_bind_int64(ins, 2, (int64_t)(r->received_ms & (uint64_t)INT64_MAX));
    if ((err = aegis__sq_run(ins)) != AEGIS_OK)
        return err == AEGIS_ERR_EXISTS ? AEGIS_ERR_STORE_CORRUPT : err;
    if (sqlite3_changes(c->w.db) == 1) {
        r->id = (uint64_t)sqlite3_last_insert_rowid(c->w.db);
        sqlite3_bind_int64(status, 1, (int64_t)r->id);
        if ((err = aegis__sq_run(status)) != AEGIS_OK)
            return err == AEGIS_ERR_EXISTS ? AEGIS_ERR_STORE_CORRUPT : err;
        r->err = AEGIS_OK;
        return AEGIS_OK;
    }
    /* ON CONFLICT DO NOTHING: the hash is logged already (maybe earlier in
     * this very batch); report its id. */
    if ((err = aegis__sq_bind_blob(find, 1, r->hash, 32)) != AEGIS_OK)
        return err;
    int rc = sqlite3_step(find);
    if (rc == SQLITE_ROW) {
        r->id = (uint64_t)sqlite3_column_int64(find, 0);
        r->err = AEGIS_ERR_EXISTS;
    } else {
        err = rc == SQLITE_DONE ? AEGIS_ERR_INTERNAL : aegis__sq_err(rc);
    }
    sqlite3_reset(find);
    sqlite3_clear_bindings(find);
    return err;
}

/* Write a batch in one transaction; sets id/err of every request. */
static void commit_batch(struct aegis__sq_ctx *c, struct aegis__sq_gc_req *batch)
{
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&c->w.mu);
    sqlite3_stmt *begin = aegis__sq_stmt(&c->w, SQ_BEGIN, &err);
    sqlite3_stmt *ins = begin ? aegis__sq_stmt(&c->w, SQ_ENV_INSERT, &err) : NULL;
    sqlite3_stmt *status = ins ? aegis__sq_stmt(&c->w, SQ_ENV_STATUS_INSERT, &err) : NULL;
    sqlite3_stmt *find = status ? aegis__sq_stmt(&c->w, SQ_ENV_FIND, &err) : NULL;
    sqlite3_stmt *commit = find ? aegis__sq_stmt(&c->w, SQ_COMMIT, &err) : NULL;
    if (!commit)
        goto fail;
    if ((err = aegis__sq_run(begin)) != AEGIS_OK)
        goto fail;
    for (struct aegis__sq_gc_req *r = batch; r; r = r->next)
        if ((err = insert_one(c, ins, status, find, r)) != AEGIS_OK)
            goto fail_rollback;
    if ((err = aegis__sq_run(commit)) == AEGIS_OK)
        goto out;
fail_rollback:
    aegis__sq_rollback(&c->w);
fail:
    for (struct aegis__sq_gc_req *r = batch; r; r = r->next) {
        r->id = 0;
        r->err = err;
    }
out:
    pthread_mutex_unlock(&c->w.mu);
}

static void deadline_after_us(struct timespec *ts, uint64_t us)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    uint64_t ns = (uint64_t)ts->tv_nsec + us * 1000u;
    ts->tv_sec += (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

aegis_err aegis__sq_env_append(void *ctx, aegis_store_env_in *in, size_t n, uint64_t received_ms)
{
    struct aegis__sq_ctx *c = ctx;
    struct aegis__sq_gc_req one, *reqs = &one;
    if (n > 1 && !(reqs = aegis_calloc(n, sizeof(*reqs))))
        return AEGIS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        reqs[i] = (struct aegis__sq_gc_req){
            .data = in[i].data, .len = in[i].len, .hash = in[i].hash, .received_ms = received_ms,
            .err = AEGIS_ERR_INTERNAL, .next = i + 1 < n ? &reqs[i + 1] : NULL,
        };
    struct aegis__sq_gc_req *last = &reqs[n - 1];

    /* The n requests join the queue as one run, so one leader takes them
     * all: they share a transaction. */
    pthread_mutex_lock(&c->q_mu);
    if (c->q_tail)
        c->q_tail->next = reqs;
    else
        c->q_head = reqs;
    c->q_tail = last;
    c->q_len += n;
    if (c->q_leader)
        pthread_cond_signal(&c->lead_cv);

    while (!last->done) {
        if (c->q_leader) {
            pthread_cond_wait(&c->q_cv, &c->q_mu);
            continue;
        }
        c->q_leader = true;
        /* a caller that brings its own batch (n > 1) has grouped already */
        if (c->gc_wait_us && n == 1 && c->q_len < c->q_last_batch) {
            struct timespec dl;
            deadline_after_us(&dl, c->gc_wait_us);
            while (c->q_len < c->q_last_batch &&
                   pthread_cond_timedwait(&c->lead_cv, &c->q_mu, &dl) != ETIMEDOUT)
                ;
        }
        struct aegis__sq_gc_req *batch = c->q_head;
        size_t len = c->q_len;
        c->q_head = c->q_tail = NULL;
        c->q_len = 0;
        pthread_mutex_unlock(&c->q_mu);

        commit_batch(c, batch);

        pthread_mutex_lock(&c->q_mu);
        c->q_last_batch = len;
        for (struct aegis__sq_gc_req *r = batch, *next; r; r = next) {
            next = r->next;
            r->done = true;
        }
        c->q_leader = false;
        pthread_cond_broadcast(&c->q_cv);
    }
    pthread_mutex_unlock(&c->q_mu);
    aegis_err err = AEGIS_OK;
    for (size_t i = 0; i < n; i++) {
        in[i].id = reqs[i].id;
        in[i].err = reqs[i].err;
        if (reqs[i].err != AEGIS_OK && reqs[i].err != AEGIS_ERR_EXISTS)
            err = reqs[i].err;
    }
    if (reqs != &one)
        aegis_free(reqs);
    return err;
}
