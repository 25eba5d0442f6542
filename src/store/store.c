/*
 * store.c - the generic store: backend registry, argument checks, the data
 * dir and its lock, chunked range walks and the append latency histogram.
 * Backends live in store_sqlite*.c and store_mem.c.
 */
#include <errno.h>
#include <string.h>

#include "store_int.h"
#include "store_dir.h"

/* Non-cumulative buckets: counts[i] holds appends with
 * bounds[i-1] < latency <= bounds[i]; slower ones only count in total. */
const double aegis_store_latency_bounds_us[AEGIS_STORE_LAT_BUCKETS] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 500000, 2000000,
};

static const struct aegis_store_ops *const backends[] = {
    &aegis__store_sqlite_ops,
    &aegis__store_memory_ops,
};

/* Rows copied per chunk of a range walk, and bytes after which a chunk is
 * cut early, so a walk over huge envelopes does not buffer them all. */
#define RANGE_CHUNK_ROWS 256
#define RANGE_CHUNK_BYTES (4u << 20)

struct aegis_store {
    const struct aegis_store_ops *ops;
    void *ctx;
    struct aegis__store_dir dir;
    bool read_only;
    aegis_err last_write;            /* __atomic: outcome of the latest write */
    uint64_t lat_counts[AEGIS_STORE_LAT_BUCKETS];   /* __atomic */
    uint64_t lat_sum_ns;             /* __atomic */
    uint64_t lat_total;              /* __atomic */
};

aegis_err aegis__store_dup(const void *p, size_t len, uint8_t **ret)
{
    uint8_t *d = aegis_malloc(len ? len : 1);
    if (!d)
        return AEGIS_ERR_NOMEM;
    if (len)
        memcpy(d, p, len);
    *ret = d;
    return AEGIS_OK;
}

static const struct aegis_store_ops *find_backend(const char *name)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(backends); i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

aegis_err aegis_store_open_ex(aegis_store **ret, const char *backend, const char *dir,
                              const aegis_store_opts *opts, aegis_err *ret_detail)
{
    static const aegis_store_opts defaults = { .group_commit_us = 0, .read_only = false };
    aegis_store *st = NULL;
    aegis_err err, detail;

    if (!ret)
        aegis_misuse("aegis_store_open: ret is NULL");
    if (!opts)
        opts = &defaults;
    if (!backend)
        backend = "sqlite";
    const struct aegis_store_ops *ops = find_backend(backend);
    if (!ops) {
        err = AEGIS_ERR_INVAL;
        detail = AEGIS_ERR_STORE_NO_BACKEND;
        goto out;
    }
    if ((ops->caps & AEGIS__STORE_CAP_DIR) && (!dir || !*dir)) {
        err = detail = AEGIS_ERR_INVAL;
        goto out;
    }
    st = aegis_calloc(1, sizeof(*st));
    if (!st) {
        err = detail = AEGIS_ERR_NOMEM;
        goto out;
    }
    st->ops = ops;
    st->read_only = opts->read_only;
    aegis__store_dir_init(&st->dir);
    if (ops->caps & AEGIS__STORE_CAP_DIR) {
        err = aegis__store_dir_acquire(&st->dir, dir, opts->read_only, &detail);
        if (err != AEGIS_OK)
            goto out;
    }
    st->ctx = aegis_calloc(1, ops->ctx_size);
    if (!st->ctx) {
        err = detail = AEGIS_ERR_NOMEM;
        goto out;
    }
    err = ops->open(st->ctx, (ops->caps & AEGIS__STORE_CAP_DIR) ? st->dir.path : NULL, opts);
    detail = err;
    if (err != AEGIS_OK)
        goto out;
    *ret = st;
    st = NULL;
out:
    if (err != AEGIS_OK && ret_detail)
        *ret_detail = detail;
    aegis_store_free(st);
    return err;
}

aegis_err aegis_store_open(aegis_store **ret, const char *backend, const char *dir,
                           const aegis_store_opts *opts)
{
    return aegis_store_open_ex(ret, backend, dir, opts, NULL);
}

void aegis_store_free(aegis_store *st)
{
    if (!st)
        return;
    if (st->ctx) {
        st->ops->close(st->ctx);
        aegis_free(st->ctx);
    }
    /* The lock goes last: nobody may open the dir while we still write. */
    aegis__store_dir_release(&st->dir);
    aegis_free(st);
}

const char *aegis_store_backend_name(const aegis_store *st)
{
    return st->ops->name;
}

int aegis_store_schema_version(const aegis_store *st)
{
    return st->ops->schema_version ? st->ops->schema_version(st->ctx) : 0;
}

aegis_err aegis_store_health(const aegis_store *st)
{
    return __atomic_load_n(&st->last_write, __ATOMIC_RELAXED);
}

aegis_err aegis_store_quick_check(aegis_store *st)
{
    return st->ops->quick_check ? st->ops->quick_check(st->ctx) : AEGIS_OK;
}

aegis_err aegis__store_test_exec(aegis_store *st, const char *cmd)
{
    return st->ops->test_exec ? st->ops->test_exec(st->ctx, cmd) : AEGIS_ERR_UNSUPPORTED;
}

/* Remember the outcome of a write for aegis_store_health(). Outcomes that
 * say nothing about the disk (EXISTS, NOT_FOUND, bad arguments) are not
 * recorded. */
static aegis_err note_write(aegis_store *st, aegis_err err)
{
    switch (err) {
    case AEGIS_OK:
    case AEGIS_ERR_STORE_FULL:
    case AEGIS_ERR_STORE_IO:
    case AEGIS_ERR_STORE_CORRUPT:
        __atomic_store_n(&st->last_write, err, __ATOMIC_RELAXED);
        break;
    default:
        break;
    }
    return err;
}

static void record_latency(aegis_store *st, uint64_t ns)
{
    double us = (double)ns / 1000.0;
    for (size_t i = 0; i < AEGIS_STORE_LAT_BUCKETS; i++) {
        if (us <= aegis_store_latency_bounds_us[i]) {
            __atomic_fetch_add(&st->lat_counts[i], 1, __ATOMIC_RELAXED);
            break;
        }
    }
    __atomic_fetch_add(&st->lat_sum_ns, ns, __ATOMIC_RELAXED);
    __atomic_fetch_add(&st->lat_total, 1, __ATOMIC_RELAXED);
}

void aegis_store_latency_snapshot(const aegis_store *st, uint64_t counts[AEGIS_STORE_LAT_BUCKETS],
                                  double *sum_us, uint64_t *total)
{
    for (size_t i = 0; i < AEGIS_STORE_LAT_BUCKETS; i++)
        counts[i] = __atomic_load_n(&st->lat_counts[i], __ATOMIC_RELAXED);
    if (sum_us)
        *sum_us = (double)__atomic_load_n(&st->lat_sum_ns, __ATOMIC_RELAXED) / 1000.0;
    if (total)
        *total = __atomic_load_n(&st->lat_total, __ATOMIC_RELAXED);
}

/* ---- the envelope log ---- */

aegis_err aegis_store_env_append(aegis_store *st, const uint8_t *data, size_t len,
                                 const uint8_t hash[static 32], uint64_t *ret_id)
{
    if (!data && len)
        return AEGIS_ERR_INVAL;
    aegis_store_env_in in = { .data = data, .len = len, .hash = hash };
    aegis_err err = aegis_store_env_append_many(st, &in, 1);
    if (!err)
        err = in.err;
    /* EXISTS also reports the id (store.h); the row it names is durable. */
    if ((err == AEGIS_OK || err == AEGIS_ERR_EXISTS) && ret_id)
        *ret_id = in.id;
    return err;
}

aegis_err aegis_store_env_append_many(aegis_store *st, aegis_store_env_in *in, size_t n)
{
    if (!in && n)
        return AEGIS_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if ((!in[i].data && in[i].len) || !in[i].hash)
            return AEGIS_ERR_INVAL;
        if (in[i].len > AEGIS_STORE_MAX_VALUE)
            return AEGIS_ERR_TOO_BIG;
        if (!in[i].data)
            in[i].data = (const uint8_t *)"";
        in[i].id = 0;
        in[i].err = AEGIS_ERR_INTERNAL;
    }
    if (st->read_only)
        return AEGIS_ERR_STORE_READONLY;
    if (n == 0)
        return AEGIS_OK;
    uint64_t t0 = aegis_now_ns();
    aegis_err err = st->ops->env_append(st->ctx, in, n, aegis_wall_ms());
    record_latency(st, aegis_now_ns() - t0);
    note_write(st, err);
    if (err)
        for (size_t i = 0; i < n; i++) {
            in[i].id = 0;
            in[i].err = err;
        }
    return err;
}

aegis_err aegis_store_env_get(aegis_store *st, uint64_t id, aegis_store_env *ret)
{
    if (!ret)
        return AEGIS_ERR_INVAL;
    if (id == 0)
        return AEGIS_ERR_NOT_FOUND;
    aegis_store_env e;
    memset(&e, 0, sizeof(e));
    aegis_err err = st->ops->env_get(st->ctx, id, &e);
    if (err == AEGIS_OK)
        *ret = e;
    return err;
}

aegis_err aegis_store_env_find(aegis_store *st, const uint8_t hash[static 32], uint64_t *ret_id)
{
    uint64_t id = 0;
    aegis_err err = st->ops->env_find(st->ctx, hash, &id);
    if (err == AEGIS_OK && ret_id)
        *ret_id = id;
    return err;
}

/* One chunk of a walk: copies made under the backend's lock. */
struct env_chunk {
    aegis_store_env rows[RANGE_CHUNK_ROWS];
    size_t n;
    size_t bytes;
    aegis_err err;
};

static int env_chunk_add(void *arg, const aegis_store_env *env)
{
    struct env_chunk *c = arg;
    aegis_store_env *r = &c->rows[c->n];
    *r = *env;
    r->data = NULL;
    r->reason = NULL;
    uint8_t *d = NULL;
    c->err = aegis__store_dup(env->data, env->len, &d);
    if (c->err != AEGIS_OK)
        return 1;
    r->data = d;
    if (env->reason) {
        r->reason = aegis_strdup(env->reason);
        if (!r->reason) {
            aegis_free(d);
            c->err = AEGIS_ERR_NOMEM;
            return 1;
        }
    }
    c->n++;
    c->bytes += env->len;
    return c->n >= RANGE_CHUNK_ROWS || c->bytes >= RANGE_CHUNK_BYTES;
}

static void env_chunk_clear(struct env_chunk *c)
{
    for (size_t i = 0; i < c->n; i++) {
        aegis_free((void *)c->rows[i].data);
        aegis_free((void *)c->rows[i].reason);
    }
    c->n = 0;
    c->bytes = 0;
}

static aegis_err env_range(aegis_store *st, uint64_t from, uint64_t to, bool pending_only,
                           aegis_store_env_cb cb, void *arg)
{
    if (!cb)
        return AEGIS_ERR_INVAL;
    struct env_chunk *c = aegis_calloc(1, sizeof(*c));
    if (!c)
        return AEGIS_ERR_NOMEM;
    aegis_err err = AEGIS_OK;
    bool stop = false;
    if (from == 0)
        from = 1;
    while (!stop && from <= to) {
        size_t seen = 0;
        c->err = AEGIS_OK;
        if (pending_only && st->ops->env_scan_pending)
            err = st->ops->env_scan_pending(st->ctx, from, to, RANGE_CHUNK_ROWS, env_chunk_add, c, &seen);
        else
            err = st->ops->env_scan(st->ctx, from, to, RANGE_CHUNK_ROWS, env_chunk_add, c, &seen);
        if (err == AEGIS_OK)
            err = c->err;
        if (err != AEGIS_OK)
            break;
        if (c->n == 0)
            break;
        /* The callback runs with no backend lock held. */
        for (size_t i = 0; i < c->n && !stop; i++)
            if (!pending_only || c->rows[i].status == AEGIS_ENV_PENDING)
                stop = cb(arg, &c->rows[i]) != 0;
        uint64_t last = c->rows[c->n - 1].id;
        env_chunk_clear(c);
        if (last == UINT64_MAX)
            break;
        from = last + 1;
    }
    env_chunk_clear(c);
    aegis_free(c);
    return err;
}

aegis_err aegis_store_env_range(aegis_store *st, uint64_t from, uint64_t to,
                                aegis_store_env_cb cb, void *arg)
{
    return env_range(st, from, to, false, cb, arg);
}

aegis_err aegis_store_env_range_pending(aegis_store *st, uint64_t from, uint64_t to,
                                        aegis_store_env_cb cb, void *arg)
{
    return env_range(st, from, to, true, cb, arg);
}

aegis_err aegis_store_env_set_status(aegis_store *st, const uint64_t *ids, size_t n,
                                     aegis_env_status status, const char *reason)
{
    if (n && !ids)
        return AEGIS_ERR_INVAL;
    if (status < AEGIS_ENV_PENDING || status > AEGIS_ENV_EVICTED)
        return AEGIS_ERR_INVAL;
    if (status != AEGIS_ENV_REJECTED)
        reason = NULL;
    if (reason && strlen(reason) > AEGIS_STORE_MAX_REASON)
        return AEGIS_ERR_TOO_BIG;
    if (st->read_only)
        return AEGIS_ERR_STORE_READONLY;
    if (n == 0)
        return AEGIS_OK;
    return note_write(st, st->ops->env_set_status(st->ctx, ids, n, status, reason));
}

aegis_err aegis_store_env_count(aegis_store *st, uint64_t *ret_count)
{
    uint64_t n = 0;
    aegis_err err = st->ops->env_count(st->ctx, &n);
    if (err == AEGIS_OK && ret_count)
        *ret_count = n;
    return err;
}

/* ---- keyed records ---- */

bool aegis_store_coll_is_valid(const char *coll)
{
    if (!coll)
        return false;
    size_t n = 0;
    for (; coll[n]; n++) {
        if (n >= 32)
            return false;
        if (!((coll[n] >= 'a' && coll[n] <= 'z') || coll[n] == '_'))
            return false;
    }
    return n >= 1;
}

static aegis_err put_common(aegis_store *st, const char *coll, uint64_t key,
                            const uint8_t *val, size_t len, bool insert_only,
                            const struct aegis__env_status_set *env)
{
    if (!aegis_store_coll_is_valid(coll))
        return AEGIS_ERR_STORE_BAD_COLL;
    if ((!val && len) || key > AEGIS_STORE_MAX_KEY)
        return AEGIS_ERR_INVAL;
    if (len > AEGIS_STORE_MAX_VALUE)
        return AEGIS_ERR_TOO_BIG;
    if (st->read_only)
        return AEGIS_ERR_STORE_READONLY;
    return note_write(st, st->ops->rec_put(st->ctx, coll, key, val ? val : (const uint8_t *)"",
                                           len, insert_only, env));
}

aegis_err aegis_store_put(aegis_store *st, const char *coll, uint64_t key,
                          const uint8_t *val, size_t len)
{
    return put_common(st, coll, key, val, len, false, NULL);
}

aegis_err aegis_store_insert(aegis_store *st, const char *coll, uint64_t key,
                             const uint8_t *val, size_t len)
{
    return put_common(st, coll, key, val, len, true, NULL);
}

aegis_err aegis_store_put_with_status(aegis_store *st, const char *coll, uint64_t key, const uint8_t *val,
                                      size_t len, bool insert_only, const uint64_t *ids, size_t n,
                                      aegis_env_status status)
{
    if ((n && !ids) || status < AEGIS_ENV_PENDING || status > AEGIS_ENV_EVICTED || status == AEGIS_ENV_REJECTED)
        return AEGIS_ERR_INVAL;
    struct aegis__env_status_set env = { .ids = ids, .n = n, .status = status };
    return put_common(st, coll, key, val, len, insert_only, n ? &env : NULL);
}

aegis_err aegis_store_get(aegis_store *st, const char *coll, uint64_t key,
                          uint8_t **ret_val, size_t *ret_len)
{
    if (!aegis_store_coll_is_valid(coll))
        return AEGIS_ERR_STORE_BAD_COLL;
    if (!ret_val || !ret_len)
        return AEGIS_ERR_INVAL;
    uint8_t *v = NULL;
    size_t n = 0;
    aegis_err err = st->ops->rec_get(st->ctx, coll, key, &v, &n);
    if (err == AEGIS_OK) {
        *ret_val = v;
        *ret_len = n;
    }
    return err;
}

aegis_err aegis_store_last(aegis_store *st, const char *coll, uint64_t *ret_key)
{
    if (!aegis_store_coll_is_valid(coll))
        return AEGIS_ERR_STORE_BAD_COLL;
    uint64_t k = 0;
    aegis_err err = st->ops->rec_last(st->ctx, coll, &k);
    if (err == AEGIS_OK && ret_key)
        *ret_key = k;
    return err;
}

struct rec_row {
    uint64_t key;
    uint8_t *val;
    size_t len;
};

struct rec_chunk {
    struct rec_row rows[RANGE_CHUNK_ROWS];
    size_t n;
    size_t bytes;
    aegis_err err;
};

static int rec_chunk_add(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct rec_chunk *c = arg;
    struct rec_row *r = &c->rows[c->n];
    c->err = aegis__store_dup(val, len, &r->val);
    if (c->err != AEGIS_OK)
        return 1;
    r->key = key;
    r->len = len;
    c->n++;
    c->bytes += len;
    return c->n >= RANGE_CHUNK_ROWS || c->bytes >= RANGE_CHUNK_BYTES;
}

static void rec_chunk_clear(struct rec_chunk *c)
{
    for (size_t i = 0; i < c->n; i++)
        aegis_free(c->rows[i].val);
    c->n = 0;
    c->bytes = 0;
}

aegis_err aegis_store_range(aegis_store *st, const char *coll, uint64_t from, uint64_t to,
                            aegis_store_rec_cb cb, void *arg)
{
    if (!aegis_store_coll_is_valid(coll))
        return AEGIS_ERR_STORE_BAD_COLL;
    if (!cb)
        return AEGIS_ERR_INVAL;
    struct rec_chunk *c = aegis_calloc(1, sizeof(*c));
    if (!c)
        return AEGIS_ERR_NOMEM;
    aegis_err err = AEGIS_OK;
    bool stop = false;
    while (!stop && from <= to) {
        size_t seen = 0;
        c->err = AEGIS_OK;
        err = st->ops->rec_scan(st->ctx, coll, from, to, RANGE_CHUNK_ROWS, rec_chunk_add, c, &seen);
        if (err == AEGIS_OK)
            err = c->err;
        if (err != AEGIS_OK || c->n == 0)
            break;
        for (size_t i = 0; i < c->n && !stop; i++)
            stop = cb(arg, c->rows[i].key, c->rows[i].val, c->rows[i].len) != 0;
        uint64_t last = c->rows[c->n - 1].key;
        rec_chunk_clear(c);
        if (last == UINT64_MAX)
            break;
        from = last + 1;
    }
    rec_chunk_clear(c);
    aegis_free(c);
    return err;
}

/* ---- metadata ---- */

static bool meta_key_is_valid(const char *key)
{
    if (!key || !*key)
        return false;
    size_t n = strnlen(key, AEGIS_STORE_MAX_META_KEY + 1);
    return n <= AEGIS_STORE_MAX_META_KEY;
}

aegis_err aegis_store_meta_put(aegis_store *st, const char *key, const uint8_t *val, size_t len)
{
    if (!meta_key_is_valid(key) || (!val && len))
        return AEGIS_ERR_INVAL;
    if (len > AEGIS_STORE_MAX_VALUE)
        return AEGIS_ERR_TOO_BIG;
    if (st->read_only)
        return AEGIS_ERR_STORE_READONLY;
    return note_write(st, st->ops->meta_put(st->ctx, key, val ? val : (const uint8_t *)"", len));
}

aegis_err aegis_store_meta_get(aegis_store *st, const char *key, uint8_t **ret_val, size_t *ret_len)
{
    if (!meta_key_is_valid(key) || !ret_val || !ret_len)
        return AEGIS_ERR_INVAL;
    uint8_t *v = NULL;
    size_t n = 0;
    aegis_err err = st->ops->meta_get(st->ctx, key, &v, &n);
    if (err == AEGIS_OK) {
        *ret_val = v;
        *ret_len = n;
    }
    return err;
}

const char *aegis_env_status_name(aegis_env_status s)
{
    switch (s) {
    case AEGIS_ENV_PENDING: return "pending";
    case AEGIS_ENV_INCLUDED: return "included";
    case AEGIS_ENV_REJECTED: return "rejected";
    case AEGIS_ENV_EVICTED: return "evicted";
    }
    return "unknown";
}
