/* test_store.c - the store contract, run against every backend (table at
 * the bottom): envelope log, records, meta, limits, concurrency, latency
 * histogram and allocation failures. sqlite-only behaviour (reopen, schema
 * migration, lock, full disk) is in test_store_sqlite.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <cmocka.h>

#include "test_store_fixture.h"

static const char *const backend_sqlite = "sqlite";
static const char *const backend_memory = "memory";

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->backend = *state;
    fx_tmpdir(f->dir, sizeof(f->dir));
    aegis_store_opts o = { .group_commit_us = 200 };
    if (aegis_store_open(&f->st, f->backend, f->dir, &o) != AEGIS_OK) {
        fx_rmdir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    aegis_store_free(f->st);
    fx_rmdir(f->dir);
    free(f);
    return 0;
}

static uint64_t append_n(aegis_store *st, uint64_t i)
{
    uint8_t h[32], d[128];
    fx_hash(h, i);
    size_t n = fx_data(d, sizeof(d), i);
    uint64_t id = 0;
    assert_int_equal(aegis_store_env_append(st, d, n, h, &id), AEGIS_OK);
    return id;
}

static void check_env(aegis_store *st, uint64_t id, uint64_t i)
{
    uint8_t h[32], d[128];
    fx_hash(h, i);
    size_t n = fx_data(d, sizeof(d), i);
    aegis_store_env e;
    assert_int_equal(aegis_store_env_get(st, id, &e), AEGIS_OK);
    assert_int_equal(e.id, id);
    assert_memory_equal(e.hash, h, 32);
    assert_int_equal(e.len, n);
    assert_memory_equal(e.data, d, n);
    aegis_free((void *)e.data);
    aegis_free((void *)e.reason);
}

static void test_append_get(void **state)
{
    struct fx *f = *state;
    uint64_t before = aegis_wall_ms();
    for (uint64_t i = 1; i <= 5; i++)
        assert_int_equal(append_n(f->st, i + 100), i);   /* ids 1, 2, 3, ... */
    for (uint64_t i = 1; i <= 5; i++)
        check_env(f->st, i, i + 100);

    aegis_store_env e;
    assert_int_equal(aegis_store_env_get(f->st, 3, &e), AEGIS_OK);
    assert_int_equal(e.status, AEGIS_ENV_PENDING);
    assert_null(e.reason);
    assert_true(e.received_ms >= before && e.received_ms <= aegis_wall_ms());
    aegis_free((void *)e.data);

    /* empty envelope */
    uint8_t h[32];
    fx_hash(h, 999);
    uint64_t id = 0;
    assert_int_equal(aegis_store_env_append(f->st, NULL, 0, h, &id), AEGIS_OK);
    assert_int_equal(id, 6);
    assert_int_equal(aegis_store_env_get(f->st, 6, &e), AEGIS_OK);
    assert_int_equal(e.len, 0);
    assert_non_null(e.data);
    aegis_free((void *)e.data);

    assert_int_equal(aegis_store_env_get(f->st, 0, &e), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_store_env_get(f->st, 7, &e), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_store_env_get(f->st, UINT64_MAX, &e), AEGIS_ERR_NOT_FOUND);
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->st, &count), AEGIS_OK);
    assert_int_equal(count, 6);
}

static void test_dedup_find(void **state)
{
    struct fx *f = *state;
    uint64_t a = append_n(f->st, 1), b = append_n(f->st, 2);
    uint8_t h[32], other[4] = { 1, 2, 3, 4 };
    fx_hash(h, 1);
    uint64_t id = 77;
    /* same hash, different bytes: still a duplicate, reports the first id */
    assert_int_equal(aegis_store_env_append(f->st, other, 4, h, &id), AEGIS_ERR_EXISTS);
    assert_int_equal(id, a);
    check_env(f->st, a, 1);   /* unchanged */
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->st, &count), AEGIS_OK);
    assert_int_equal(count, 2);

    assert_int_equal(aegis_store_env_find(f->st, h, &id), AEGIS_OK);
    assert_int_equal(id, a);
    fx_hash(h, 2);
    assert_int_equal(aegis_store_env_find(f->st, h, &id), AEGIS_OK);
    assert_int_equal(id, b);
    fx_hash(h, 3);
    assert_int_equal(aegis_store_env_find(f->st, h, &id), AEGIS_ERR_NOT_FOUND);
    /* the next fresh append continues the sequence without a gap */
    assert_int_equal(append_n(f->st, 3), 3);
}

/* Many in one call: ids in order, duplicates (earlier or within the call)
 * reported per item with the first id, the rest appended; all readable. */
static void test_append_many(void **state)
{
    struct fx *f = *state;
    uint64_t a = append_n(f->st, 1);
    uint8_t h[6][32], d[6][128];
    aegis_store_env_in in[6];
    const uint64_t which[6] = { 2, 1, 3, 2, 4, 5 };   /* 1 logged before; 2 twice */
    for (size_t i = 0; i < 6; i++) {
        fx_hash(h[i], which[i]);
        in[i] = (aegis_store_env_in){ .data = d[i], .len = fx_data(d[i], sizeof(d[i]), which[i]), .hash = h[i] };
    }
    assert_int_equal(aegis_store_env_append_many(f->st, in, 6), AEGIS_OK);
    assert_int_equal(in[0].err, AEGIS_OK);
    assert_int_equal(in[0].id, 2);
    assert_int_equal(in[1].err, AEGIS_ERR_EXISTS);
    assert_int_equal(in[1].id, a);
    assert_int_equal(in[2].err, AEGIS_OK);
    assert_int_equal(in[2].id, 3);
    assert_int_equal(in[3].err, AEGIS_ERR_EXISTS);
    assert_int_equal(in[3].id, 2);
    assert_int_equal(in[4].id, 4);
    assert_int_equal(in[5].id, 5);
    for (size_t i = 0; i < 6; i++)
        check_env(f->st, in[i].id, which[i]);
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->st, &count), AEGIS_OK);
    assert_int_equal(count, 5);
    /* bad items refuse the whole call before anything is written */
    in[2].hash = NULL;
    assert_int_equal(aegis_store_env_append_many(f->st, in, 6), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_store_env_append_many(f->st, NULL, 0), AEGIS_OK);
    assert_int_equal(aegis_store_env_count(f->st, &count), AEGIS_OK);
    assert_int_equal(count, 5);
}

struct walk {
    uint64_t ids[1024];
    size_t n;
    size_t stop_after;        /* 0: never */
    aegis_store *reenter;     /* call back into the store from the callback */
};

static int walk_cb(void *arg, const aegis_store_env *env)
{
    struct walk *w = arg;
    if (w->reenter) {
        aegis_store_env e;
        assert_int_equal(aegis_store_env_get(w->reenter, env->id, &e), AEGIS_OK);
        assert_int_equal(e.len, env->len);
        assert_memory_equal(e.data, env->data, env->len);
        aegis_free((void *)e.data);
        aegis_free((void *)e.reason);
    }
    w->ids[w->n++] = env->id;
    return w->stop_after && w->n >= w->stop_after;
}

static void test_range(void **state)
{
    struct fx *f = *state;
    const uint64_t total = 600;   /* crosses the walker's 256-row chunks */
    for (uint64_t i = 1; i <= total; i++)
        append_n(f->st, i);
    struct walk *w = calloc(1, sizeof(*w));
    assert_non_null(w);

    assert_int_equal(aegis_store_env_range(f->st, 0, UINT64_MAX, walk_cb, w), AEGIS_OK);
    assert_int_equal(w->n, total);
    for (size_t k = 0; k < w->n; k++)
        assert_int_equal(w->ids[k], k + 1);

    memset(w, 0, sizeof(*w));
    assert_int_equal(aegis_store_env_range(f->st, 250, 260, walk_cb, w), AEGIS_OK);
    assert_int_equal(w->n, 11);
    assert_int_equal(w->ids[0], 250);
    assert_int_equal(w->ids[10], 260);

    memset(w, 0, sizeof(*w));
    w->stop_after = 3;
    assert_int_equal(aegis_store_env_range(f->st, 10, UINT64_MAX, walk_cb, w), AEGIS_OK);
    assert_int_equal(w->n, 3);
    assert_int_equal(w->ids[2], 12);

    memset(w, 0, sizeof(*w));
    assert_int_equal(aegis_store_env_range(f->st, total + 1, UINT64_MAX, walk_cb, w), AEGIS_OK);
    assert_int_equal(w->n, 0);
    assert_int_equal(aegis_store_env_range(f->st, 9, 8, walk_cb, w), AEGIS_OK);
    assert_int_equal(w->n, 0);

    /* the callback may call into the store (no lock held) */
    memset(w, 0, sizeof(*w));
    w->reenter = f->st;
    assert_int_equal(aegis_store_env_range(f->st, 1, 300, walk_cb, w), AEGIS_OK);
    assert_int_equal(w->n, 300);
    free(w);
}

static void test_status(void **state)
{
    struct fx *f = *state;
    for (uint64_t i = 1; i <= 4; i++)
        append_n(f->st, i);
    const uint64_t rej[] = { 1, 3 };
    assert_int_equal(aegis_store_env_set_status(f->st, rej, 2, AEGIS_ENV_REJECTED, "bad nonce"), AEGIS_OK);
    aegis_store_env e;
    assert_int_equal(aegis_store_env_get(f->st, 3, &e), AEGIS_OK);
    assert_int_equal(e.status, AEGIS_ENV_REJECTED);
    assert_string_equal(e.reason, "bad nonce");
    aegis_free((void *)e.data);
    aegis_free((void *)e.reason);

    /* a later non-rejected status clears the reason */
    assert_int_equal(aegis_store_env_set_status(f->st, rej, 1, AEGIS_ENV_INCLUDED, "ignored"), AEGIS_OK);
    assert_int_equal(aegis_store_env_get(f->st, 1, &e), AEGIS_OK);
    assert_int_equal(e.status, AEGIS_ENV_INCLUDED);
    assert_null(e.reason);
    aegis_free((void *)e.data);

    /* one unknown id: nothing changes */
    const uint64_t mixed[] = { 2, 99 };
    assert_int_equal(aegis_store_env_set_status(f->st, mixed, 2, AEGIS_ENV_EVICTED, NULL),
                     AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_store_env_get(f->st, 2, &e), AEGIS_OK);
    assert_int_equal(e.status, AEGIS_ENV_PENDING);
    aegis_free((void *)e.data);

    assert_int_equal(aegis_store_env_set_status(f->st, mixed, 1, (aegis_env_status)7, NULL),
                     AEGIS_ERR_INVAL);
    char longr[AEGIS_STORE_MAX_REASON + 2];
    memset(longr, 'x', sizeof(longr) - 1);
    longr[sizeof(longr) - 1] = '\0';
    assert_int_equal(aegis_store_env_set_status(f->st, mixed, 1, AEGIS_ENV_REJECTED, longr),
                     AEGIS_ERR_TOO_BIG);
    assert_int_equal(aegis_store_env_set_status(f->st, NULL, 0, AEGIS_ENV_EVICTED, NULL), AEGIS_OK);
}

/* A batch record and its envelopes' status in one write: both or neither. */
static void test_put_with_status(void **state)
{
    struct fx *f = *state;
    for (uint64_t i = 1; i <= 4; i++)
        append_n(f->st, i);
    const uint64_t ids[] = { 1, 3, 99 };   /* 99: no such envelope, skipped */
    assert_int_equal(aegis_store_put_with_status(f->st, "batch", 1, (const uint8_t *)"b1", 2, true, ids, 3,
                                                 AEGIS_ENV_INCLUDED),
                     AEGIS_OK);
    static const aegis_env_status want[] = { AEGIS_ENV_INCLUDED, AEGIS_ENV_PENDING, AEGIS_ENV_INCLUDED,
                                             AEGIS_ENV_PENDING };
    for (uint64_t i = 1; i <= 4; i++) {
        aegis_store_env e;
        assert_int_equal(aegis_store_env_get(f->st, i, &e), AEGIS_OK);
        assert_int_equal(e.status, want[i - 1]);
        aegis_free((void *)e.data);
    }
    uint8_t *v = NULL;
    size_t len = 0;
    assert_int_equal(aegis_store_get(f->st, "batch", 1, &v, &len), AEGIS_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(v, "b1", 2);
    aegis_free(v);
    /* the insert is refused (the number exists): no status changes either */
    const uint64_t two[] = { 2 };
    assert_int_equal(aegis_store_put_with_status(f->st, "batch", 1, (const uint8_t *)"b2", 2, true, two, 1,
                                                 AEGIS_ENV_INCLUDED),
                     AEGIS_ERR_EXISTS);
    aegis_store_env e;
    assert_int_equal(aegis_store_env_get(f->st, 2, &e), AEGIS_OK);
    assert_int_equal(e.status, AEGIS_ENV_PENDING);
    aegis_free((void *)e.data);
    /* a replacing put marks too; REJECTED (needs a reason) is refused */
    assert_int_equal(aegis_store_put_with_status(f->st, "batch", 1, (const uint8_t *)"b3", 2, false, two, 1,
                                                 AEGIS_ENV_INCLUDED),
                     AEGIS_OK);
    assert_int_equal(aegis_store_env_get(f->st, 2, &e), AEGIS_OK);
    assert_int_equal(e.status, AEGIS_ENV_INCLUDED);
    aegis_free((void *)e.data);
    assert_int_equal(aegis_store_put_with_status(f->st, "batch", 2, (const uint8_t *)"x", 1, true, two, 1,
                                                 AEGIS_ENV_REJECTED),
                     AEGIS_ERR_INVAL);
    assert_int_equal(aegis_store_put_with_status(f->st, "batch", 2, (const uint8_t *)"x", 1, true, NULL, 1,
                                                 AEGIS_ENV_INCLUDED),
                     AEGIS_ERR_INVAL);
    /* no ids: a plain insert */
    assert_int_equal(aegis_store_put_with_status(f->st, "batch", 2, (const uint8_t *)"x", 1, true, NULL, 0,
                                                 AEGIS_ENV_INCLUDED),
                     AEGIS_OK);
}

struct recs {
    uint64_t keys[16];
    size_t n;
};

static int rec_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct recs *r = arg;
    assert_int_equal(len, 8);
    assert_int_equal(aegis_get_be64(val), key * 10);
    r->keys[r->n++] = key;
    return 0;
}

static void test_records(void **state)
{
    struct fx *f = *state;
    uint8_t v[8];
    uint64_t last = 0;
    assert_int_equal(aegis_store_last(f->st, "batch", &last), AEGIS_ERR_NOT_FOUND);
    const uint64_t keys[] = { 5, 1, 9, 3, AEGIS_STORE_MAX_KEY };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(keys); i++) {
        aegis_put_be64(v, keys[i] * 10);
        assert_int_equal(aegis_store_insert(f->st, "batch", keys[i], v, 8), AEGIS_OK);
    }
    assert_int_equal(aegis_store_insert(f->st, "batch", 5, v, 8), AEGIS_ERR_EXISTS);
    assert_int_equal(aegis_store_last(f->st, "batch", &last), AEGIS_OK);
    assert_int_equal(last, AEGIS_STORE_MAX_KEY);

    uint8_t *got = NULL;
    size_t len = 0;
    assert_int_equal(aegis_store_get(f->st, "batch", 5, &got, &len), AEGIS_OK);
    assert_int_equal(len, 8);
    assert_int_equal(aegis_get_be64(got), 50);   /* the failed insert changed nothing */
    aegis_free(got);
    assert_int_equal(aegis_store_get(f->st, "batch", 2, &got, &len), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_store_get(f->st, "checkpoint", 5, &got, &len), AEGIS_ERR_NOT_FOUND);

    /* put overwrites */
    assert_int_equal(aegis_store_put(f->st, "audit", 1, (const uint8_t *)"one", 3), AEGIS_OK);
    assert_int_equal(aegis_store_put(f->st, "audit", 1, (const uint8_t *)"uno!", 4), AEGIS_OK);
    assert_int_equal(aegis_store_get(f->st, "audit", 1, &got, &len), AEGIS_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(got, "uno!", 4);
    aegis_free(got);

    struct recs r = { .n = 0 };
    assert_int_equal(aegis_store_range(f->st, "batch", 2, 9, rec_cb, &r), AEGIS_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.keys[0], 3);
    assert_int_equal(r.keys[1], 5);
    assert_int_equal(r.keys[2], 9);
    r.n = 0;
    assert_int_equal(aegis_store_range(f->st, "batch", 0, UINT64_MAX, rec_cb, &r), AEGIS_OK);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.keys[4], AEGIS_STORE_MAX_KEY);

    assert_int_equal(aegis_store_put(f->st, "Batch", 1, v, 8), AEGIS_ERR_STORE_BAD_COLL);
    assert_int_equal(aegis_store_put(f->st, "", 1, v, 8), AEGIS_ERR_STORE_BAD_COLL);
    assert_int_equal(aegis_store_put(f->st, "a_very_long_collection_name_xyzwv", 1, v, 8),
                     AEGIS_ERR_STORE_BAD_COLL);
    assert_int_equal(aegis_store_put(f->st, "a_very_long_collection_name_xyzw", 1, v, 8), AEGIS_OK);
    assert_int_equal(aegis_store_get(f->st, "x;drop", 1, &got, &len), AEGIS_ERR_STORE_BAD_COLL);
    assert_int_equal(aegis_store_put(f->st, "batch", AEGIS_STORE_MAX_KEY + 1, v, 8), AEGIS_ERR_INVAL);
}

static void test_meta(void **state)
{
    struct fx *f = *state;
    uint8_t *got = NULL;
    size_t len = 0;
    assert_int_equal(aegis_store_meta_get(f->st, "node_id", &got, &len), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_store_meta_put(f->st, "node_id", (const uint8_t *)"n1", 2), AEGIS_OK);
    assert_int_equal(aegis_store_meta_put(f->st, "epoch", (const uint8_t *)"\x00\x07", 2), AEGIS_OK);
    assert_int_equal(aegis_store_meta_put(f->st, "node_id", (const uint8_t *)"node-2", 6), AEGIS_OK);
    assert_int_equal(aegis_store_meta_get(f->st, "node_id", &got, &len), AEGIS_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(got, "node-2", 6);
    aegis_free(got);
    assert_int_equal(aegis_store_meta_get(f->st, "epoch", &got, &len), AEGIS_OK);
    assert_memory_equal(got, "\x00\x07", 2);
    aegis_free(got);
    assert_int_equal(aegis_store_meta_put(f->st, "", (const uint8_t *)"x", 1), AEGIS_ERR_INVAL);
    char big[AEGIS_STORE_MAX_META_KEY + 2];
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(aegis_store_meta_put(f->st, big, (const uint8_t *)"x", 1), AEGIS_ERR_INVAL);
}

static void test_limits(void **state)
{
    struct fx *f = *state;
    uint8_t h[32], b[1] = { 0 };
    fx_hash(h, 5);
    uint64_t id = 0;
    /* length checks come before any byte is read */
    assert_int_equal(aegis_store_env_append(f->st, b, AEGIS_STORE_MAX_VALUE + 1, h, &id),
                     AEGIS_ERR_TOO_BIG);
    assert_int_equal(aegis_store_put(f->st, "batch", 1, b, AEGIS_STORE_MAX_VALUE + 1),
                     AEGIS_ERR_TOO_BIG);
    assert_int_equal(aegis_store_env_append(f->st, NULL, 3, h, &id), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_store_env_find(f->st, h, &id), AEGIS_ERR_NOT_FOUND);
}

/* ---- concurrency ---- */

#define N_THREADS 8
#define PER_THREAD 40

struct worker {
    aegis_store *st;
    unsigned t;
    uint64_t ids[PER_THREAD];
    uint64_t dup_id;
    aegis_err err;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->err = AEGIS_OK;
    for (unsigned k = 0; k < PER_THREAD; k++) {
        uint64_t i = 1000 + (uint64_t)w->t * PER_THREAD + k;
        uint8_t h[32], d[128];
        fx_hash(h, i);
        size_t n = fx_data(d, sizeof(d), i);
        aegis_err e = aegis_store_env_append(w->st, d, n, h, &w->ids[k]);
        if (e != AEGIS_OK && w->err == AEGIS_OK)
            w->err = e;
    }
    /* every thread races on one shared hash: exactly one wins */
    uint8_t h[32];
    fx_hash(h, 1);
    aegis_err e = aegis_store_env_append(w->st, (const uint8_t *)"dup", 3, h, &w->dup_id);
    if (e != AEGIS_OK && e != AEGIS_ERR_EXISTS && w->err == AEGIS_OK)
        w->err = e;
    return NULL;
}

/* All ids 1..N_THREADS*PER_THREAD+1 present exactly once, each with the
 * right content; usable again after a reopen. */
static void check_concurrent_result(aegis_store *st, struct worker *w)
{
    const uint64_t total = N_THREADS * PER_THREAD + 1;
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(st, &count), AEGIS_OK);
    assert_int_equal(count, total);
    uint8_t *seen = calloc(total + 1, 1);
    assert_non_null(seen);
    for (unsigned t = 0; t < N_THREADS; t++) {
        for (unsigned k = 0; k < PER_THREAD; k++) {
            uint64_t id = w[t].ids[k];
            assert_true(id >= 1 && id <= total);
            assert_false(seen[id]);
            seen[id] = 1;
            check_env(st, id, 1000 + (uint64_t)t * PER_THREAD + k);
        }
    }
    uint64_t dup = w[0].dup_id;
    assert_false(seen[dup]);
    for (unsigned t = 1; t < N_THREADS; t++)
        assert_int_equal(w[t].dup_id, dup);
    free(seen);
}

static void test_concurrent_append(void **state)
{
    struct fx *f = *state;
    struct worker w[N_THREADS];
    pthread_t th[N_THREADS];
    for (unsigned t = 0; t < N_THREADS; t++) {
        w[t] = (struct worker){ .st = f->st, .t = t };
        assert_int_equal(pthread_create(&th[t], NULL, worker_main, &w[t]), 0);
    }
    for (unsigned t = 0; t < N_THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(w[t].err, AEGIS_OK);
    }
    check_concurrent_result(f->st, w);
    uint64_t counts[AEGIS_STORE_LAT_BUCKETS], total = 0, sum = 0;
    double sum_us = 0;
    aegis_store_latency_snapshot(f->st, counts, &sum_us, &total);
    assert_int_equal(total, N_THREADS * (PER_THREAD + 1));
    for (size_t i = 0; i < AEGIS_STORE_LAT_BUCKETS; i++)
        sum += counts[i];
    assert_true(sum <= total);
    assert_true(sum_us > 0);

    if (strcmp(f->backend, "sqlite") == 0) {
        /* durable: a fresh open sees the same log */
        aegis_store_free(f->st);
        f->st = NULL;
        assert_int_equal(aegis_store_open(&f->st, f->backend, f->dir, NULL), AEGIS_OK);
        check_concurrent_result(f->st, w);
    }
}

static void test_latency_health(void **state)
{
    struct fx *f = *state;
    uint64_t counts[AEGIS_STORE_LAT_BUCKETS], total = 99;
    double sum_us = -1;
    aegis_store_latency_snapshot(f->st, counts, &sum_us, &total);
    assert_int_equal(total, 0);
    assert_true(sum_us == 0);
    for (uint64_t i = 1; i <= 5; i++)
        append_n(f->st, i);
    uint8_t h[32];
    fx_hash(h, 1);
    uint64_t id;
    assert_int_equal(aegis_store_env_append(f->st, (const uint8_t *)"x", 1, h, &id), AEGIS_ERR_EXISTS);
    aegis_store_latency_snapshot(f->st, counts, &sum_us, &total);
    assert_int_equal(total, 6);
    uint64_t in_buckets = 0;
    for (size_t i = 0; i < AEGIS_STORE_LAT_BUCKETS; i++)
        in_buckets += counts[i];
    assert_true(in_buckets <= 6 && in_buckets >= 5);
    for (size_t i = 1; i < AEGIS_STORE_LAT_BUCKETS; i++)
        assert_true(aegis_store_latency_bounds_us[i] > aegis_store_latency_bounds_us[i - 1]);
    assert_int_equal(aegis_store_health(f->st), AEGIS_OK);
    assert_string_equal(aegis_store_backend_name(f->st), f->backend);
}

/* ---- allocation failure injection ---- */

static void test_alloc_fail(void **state)
{
    struct fx *f = *state;
    append_n(f->st, 1);
    assert_int_equal(aegis_store_put(f->st, "batch", 1, (const uint8_t *)"v", 1), AEGIS_OK);

    /* get / meta_get / range: fail the nth allocation until one succeeds */
    for (long n = 1;; n++) {
        aegis_store_env e;
        aegis_alloc_fail_after(n);
        aegis_err err = aegis_store_env_get(f->st, 1, &e);
        aegis_alloc_fail_after(0);
        if (err == AEGIS_OK) {
            aegis_free((void *)e.data);
            break;
        }
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        assert_true(n < 10);
    }
    for (long n = 1;; n++) {
        struct walk *w = calloc(1, sizeof(*w));
        assert_non_null(w);
        aegis_alloc_fail_after(n);
        aegis_err err = aegis_store_env_range(f->st, 1, UINT64_MAX, walk_cb, w);
        aegis_alloc_fail_after(0);
        size_t got = w->n;
        free(w);
        if (err == AEGIS_OK) {
            assert_int_equal(got, 1);
            break;
        }
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        assert_int_equal(got, 0);   /* nothing delivered from a failed chunk */
        assert_true(n < 10);
    }
    for (long n = 1;; n++) {
        uint8_t *v = NULL;
        size_t len = 0;
        aegis_alloc_fail_after(n);
        aegis_err err = aegis_store_get(f->st, "batch", 1, &v, &len);
        aegis_alloc_fail_after(0);
        if (err == AEGIS_OK) {
            aegis_free(v);
            break;
        }
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        assert_null(v);
        assert_true(n < 10);
    }
    /* writes: a failed write leaves no trace, a retry succeeds */
    for (long n = 1;; n++) {
        uint8_t h[32];
        fx_hash(h, 2);
        uint64_t id = 0, count = 0;
        aegis_alloc_fail_after(n);
        aegis_err err = aegis_store_env_append(f->st, (const uint8_t *)"abc", 3, h, &id);
        aegis_alloc_fail_after(0);
        assert_int_equal(aegis_store_env_count(f->st, &count), AEGIS_OK);
        if (err == AEGIS_OK) {
            assert_int_equal(id, 2);
            assert_int_equal(count, 2);
            break;
        }
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        assert_int_equal(count, 1);
        assert_int_equal(aegis_store_env_find(f->st, h, &id), AEGIS_ERR_NOT_FOUND);
        assert_true(n < 10);
    }
    for (long n = 1;; n++) {
        aegis_alloc_fail_after(n);
        aegis_err err = aegis_store_insert(f->st, "batch", 2, (const uint8_t *)"w", 1);
        aegis_alloc_fail_after(0);
        uint64_t last = 0;
        assert_int_equal(aegis_store_last(f->st, "batch", &last), AEGIS_OK);
        if (err == AEGIS_OK) {
            assert_int_equal(last, 2);
            break;
        }
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        assert_int_equal(last, 1);
        assert_true(n < 10);
    }
    const uint64_t ids[] = { 1, 2 };
    for (long n = 1;; n++) {
        aegis_alloc_fail_after(n);
        aegis_err err = aegis_store_env_set_status(f->st, ids, 2, AEGIS_ENV_REJECTED, "r");
        aegis_alloc_fail_after(0);
        aegis_store_env e;
        assert_int_equal(aegis_store_env_get(f->st, 2, &e), AEGIS_OK);
        aegis_env_status s = e.status;
        aegis_free((void *)e.data);
        aegis_free((void *)e.reason);
        if (err == AEGIS_OK) {
            assert_int_equal(s, AEGIS_ENV_REJECTED);
            break;
        }
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        assert_int_equal(s, AEGIS_ENV_PENDING);
        assert_true(n < 10);
    }
}

/* open under allocation failure: clean NOMEM, and nothing (not even the
 * dir lock) stays held */
static void test_open_alloc_fail(void **state)
{
    struct fx *f = *state;
    char dir[256];
    fx_tmpdir(dir, sizeof(dir));
    for (long n = 1;; n++) {
        aegis_store *st = NULL;
        aegis_alloc_fail_after(n);
        aegis_err err = aegis_store_open(&st, f->backend, dir, NULL);
        aegis_alloc_fail_after(0);
        if (err == AEGIS_OK) {
            append_n(st, 1);
            aegis_store_free(st);
            break;
        }
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        assert_null(st);
        assert_true(n < 20);
    }
    fx_rmdir(dir);
}

static void test_open_args(void **state)
{
    struct fx *f = *state;
    aegis_store *st = NULL;
    aegis_err detail = AEGIS_OK;
    assert_int_equal(aegis_store_open_ex(&st, "lmdb", f->dir, NULL, &detail), AEGIS_ERR_INVAL);
    assert_int_equal(detail, AEGIS_ERR_STORE_NO_BACKEND);
    assert_null(st);
    if (strcmp(f->backend, "sqlite") == 0)
        assert_int_equal(aegis_store_open(&st, f->backend, NULL, NULL), AEGIS_ERR_INVAL);
    /* read-only memory store refuses writes */
    aegis_store_opts ro = { .read_only = true };
    if (strcmp(f->backend, "memory") == 0) {
        assert_int_equal(aegis_store_open(&st, "memory", NULL, &ro), AEGIS_OK);
        uint8_t h[32];
        fx_hash(h, 1);
        uint64_t id;
        assert_int_equal(aegis_store_env_append(st, (const uint8_t *)"a", 1, h, &id),
                         AEGIS_ERR_STORE_READONLY);
        assert_int_equal(aegis_store_meta_put(st, "k", (const uint8_t *)"a", 1),
                         AEGIS_ERR_STORE_READONLY);
        aegis_store_free(st);
    }
    aegis_store_free(NULL);
}

/* Each test once per backend, named "<test>[<backend>]". */
#define BOTH(fn)                                                              \
    { #fn "[sqlite]", fn, setup, teardown, (void *)backend_sqlite },          \
    { #fn "[memory]", fn, setup, teardown, (void *)backend_memory }

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_append_get),
        BOTH(test_dedup_find),
        BOTH(test_append_many),
        BOTH(test_range),
        BOTH(test_status),
        BOTH(test_put_with_status),
        BOTH(test_records),
        BOTH(test_meta),
        BOTH(test_limits),
        BOTH(test_concurrent_append),
        BOTH(test_latency_health),
        BOTH(test_alloc_fail),
        BOTH(test_open_alloc_fail),
        BOTH(test_open_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
