/*
 * store_mem.c - the "memory" backend: same semantics as sqlite (dedup by
 * hash, ids 1, 2, 3, ... in append order, insert-only records), no
 * durability. For unit tests, benchmarks and fuzzers.
 *
 * One mutex guards the whole ctx. Every write allocates everything it needs
 * before it changes anything, so a failed allocation leaves no trace (the
 * same all-or-nothing rule the sqlite backend gets from transactions).
 */
#include <pthread.h>
#include <string.h>

#include "store_int.h"

struct mem_env {
    uint8_t hash[32];
    uint64_t received_ms;
    aegis_env_status status;
    char *reason;
    uint8_t *data;
    size_t len;
};

struct mem_rec {
    uint64_t key;
    uint8_t *val;
    size_t len;
};

struct mem_coll {
    char name[33];
    struct mem_rec *recs;    /* sorted by key */
    size_t n, cap;
};

struct mem_meta {
    char *key;
    uint8_t *val;
    size_t len;
};

struct mem_ctx {
    pthread_mutex_t mu;
    bool mu_ok;
    struct mem_env *envs;    /* envs[id - 1] */
    size_t n_env, cap_env;
    uint64_t *idx;           /* open addressing on hash -> id, 0 = empty */
    size_t idx_cap;          /* power of two */
    struct mem_coll *colls;
    size_t n_coll, cap_coll;
    struct mem_meta *meta;
    size_t n_meta, cap_meta;
};

/* Grow *arr (elements of size sz) to hold at least need; all-or-nothing. */
static aegis_err grow(void **arr, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return AEGIS_OK;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *p = aegis_realloc(*arr, nc * sz);
    if (!p)
        return AEGIS_ERR_NOMEM;
    *arr = p;
    *cap = nc;
    return AEGIS_OK;
}

static size_t hash_slot(const uint8_t hash[32], size_t cap)
{
    uint64_t h;
    memcpy(&h, hash, sizeof(h));
    return (size_t)h & (cap - 1);
}

/* Id for hash, 0 if absent. */
static uint64_t idx_lookup(const struct mem_ctx *c, const uint8_t hash[32])
{
    if (!c->idx_cap)
        return 0;
    for (size_t i = hash_slot(hash, c->idx_cap);; i = (i + 1) & (c->idx_cap - 1)) {
        uint64_t id = c->idx[i];
        if (id == 0)
            return 0;
        if (memcmp(c->envs[id - 1].hash, hash, 32) == 0)
            return id;
    }
}

static void idx_place(uint64_t *idx, size_t cap, const uint8_t hash[32], uint64_t id)
{
    size_t i = hash_slot(hash, cap);
    while (idx[i])
        i = (i + 1) & (cap - 1);
    idx[i] = id;
}

/* Make room for one more id in the index, keeping load <= 1/2. */
static aegis_err idx_reserve(struct mem_ctx *c)
{
    if ((c->n_env + 1) * 2 <= c->idx_cap)
        return AEGIS_OK;
    size_t nc = c->idx_cap ? c->idx_cap * 2 : 64;
    uint64_t *n = aegis_calloc(nc, sizeof(*n));
    if (!n)
        return AEGIS_ERR_NOMEM;
    for (size_t id = 1; id <= c->n_env; id++)
        idx_place(n, nc, c->envs[id - 1].hash, id);
    aegis_free(c->idx);
    c->idx = n;
    c->idx_cap = nc;
    return AEGIS_OK;
}

/* Drop envelopes past the first n (an all-or-nothing append that failed
 * part-way) and rebuild the index without them. */
static void mem_env_truncate(struct mem_ctx *c, size_t n)
{
    for (size_t i = n; i < c->n_env; i++) {
        aegis_free(c->envs[i].data);
        aegis_free(c->envs[i].reason);
    }
    c->n_env = n;
    if (c->idx_cap) {
        memset(c->idx, 0, c->idx_cap * sizeof(*c->idx));
        for (size_t id = 1; id <= c->n_env; id++)
            idx_place(c->idx, c->idx_cap, c->envs[id - 1].hash, id);
    }
}

static aegis_err mem_open(void *ctx, const char *dir, const aegis_store_opts *opts)
{
    struct mem_ctx *c = ctx;
    if (pthread_mutex_init(&c->mu, NULL) != 0)
        return AEGIS_ERR_NOMEM;
    c->mu_ok = true;
    return AEGIS_OK;
}

static void mem_close(void *ctx)
{
    struct mem_ctx *c = ctx;
    for (size_t i = 0; i < c->n_env; i++) {
        aegis_free(c->envs[i].data);
        aegis_free(c->envs[i].reason);
    }
    aegis_free(c->envs);
    aegis_free(c->idx);
    for (size_t i = 0; i < c->n_coll; i++) {
        for (size_t j = 0; j < c->colls[i].n; j++)
            aegis_free(c->colls[i].recs[j].val);
        aegis_free(c->colls[i].recs);
    }
    aegis_free(c->colls);
    for (size_t i = 0; i < c->n_meta; i++) {
        aegis_free(c->meta[i].key);
        aegis_free(c->meta[i].val);
    }
    aegis_free(c->meta);
    if (c->mu_ok)
        pthread_mutex_destroy(&c->mu);
    memset(c, 0, sizeof(*c));
}

/* One envelope; the caller holds c->mu. */
static aegis_err mem_env_append_one(struct mem_ctx *c, const uint8_t *data, size_t len,
                                    const uint8_t hash[32], uint64_t received_ms, uint64_t *ret_id)
{
    uint8_t *copy = NULL;
    aegis_err err;
    uint64_t id = idx_lookup(c, hash);
    if (id) {
        *ret_id = id;
        err = AEGIS_ERR_EXISTS;
        goto out;
    }
    err = aegis__store_dup(data, len, &copy);
    if (err == AEGIS_OK)
        err = grow((void **)&c->envs, &c->cap_env, c->n_env + 1, sizeof(*c->envs));
    if (err == AEGIS_OK)
        err = idx_reserve(c);
    if (err != AEGIS_OK)
        goto out;
    struct mem_env *e = &c->envs[c->n_env];
    memcpy(e->hash, hash, 32);
    e->received_ms = received_ms;
    e->status = AEGIS_ENV_PENDING;
    e->reason = NULL;
    e->data = copy;
    e->len = len;
    copy = NULL;
    id = ++c->n_env;
    idx_place(c->idx, c->idx_cap, hash, id);
    *ret_id = id;
out:
    aegis_free(copy);
    return err;
}

/* All or nothing, as the sqlite backend: an allocation failure part-way
 * removes what this call appended. */
static aegis_err mem_env_append(void *ctx, aegis_store_env_in *in, size_t n, uint64_t received_ms)
{
    struct mem_ctx *c = ctx;
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&c->mu);
    size_t first = c->n_env;
    for (size_t i = 0; i < n && !err; i++) {
        in[i].err = mem_env_append_one(c, in[i].data, in[i].len, in[i].hash, received_ms, &in[i].id);
        if (in[i].err != AEGIS_OK && in[i].err != AEGIS_ERR_EXISTS)
            err = in[i].err;
    }
    if (err)
        mem_env_truncate(c, first);
    pthread_mutex_unlock(&c->mu);
    return err;
}

static void env_view(const struct mem_env *e, uint64_t id, aegis_store_env *v)
{
    v->id = id;
    memcpy(v->hash, e->hash, 32);
    v->received_ms = e->received_ms;
    v->status = e->status;
    v->data = e->data;
    v->len = e->len;
    v->reason = e->reason;
}

static aegis_err mem_env_get(void *ctx, uint64_t id, aegis_store_env *ret)
{
    struct mem_ctx *c = ctx;
    uint8_t *data = NULL;
    char *reason = NULL;
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&c->mu);
    if (id == 0 || id > c->n_env) {
        err = AEGIS_ERR_NOT_FOUND;
        goto out;
    }
    const struct mem_env *e = &c->envs[id - 1];
    err = aegis__store_dup(e->data, e->len, &data);
    if (err == AEGIS_OK && e->reason && !(reason = aegis_strdup(e->reason)))
        err = AEGIS_ERR_NOMEM;
    if (err != AEGIS_OK)
        goto out;
    env_view(e, id, ret);
    ret->data = data;
    ret->reason = reason;
    data = NULL;
    reason = NULL;
out:
    pthread_mutex_unlock(&c->mu);
    aegis_free(data);
    aegis_free(reason);
    return err;
}

static aegis_err mem_env_find(void *ctx, const uint8_t hash[32], uint64_t *ret_id)
{
    struct mem_ctx *c = ctx;
    pthread_mutex_lock(&c->mu);
    uint64_t id = idx_lookup(c, hash);
    pthread_mutex_unlock(&c->mu);
    if (!id)
        return AEGIS_ERR_NOT_FOUND;
    *ret_id = id;
    return AEGIS_OK;
}

static aegis_err mem_env_scan(void *ctx, uint64_t from, uint64_t to, size_t max,
                              aegis__env_scan_cb cb, void *arg, size_t *ret_n)
{
    struct mem_ctx *c = ctx;
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    for (uint64_t id = from; id >= 1 && id <= to && id <= c->n_env && n < max; id++) {
        aegis_store_env v;
        env_view(&c->envs[id - 1], id, &v);
        n++;
        if (cb(arg, &v))
            break;
    }
    pthread_mutex_unlock(&c->mu);
    *ret_n = n;
    return AEGIS_OK;
}

static aegis_err mem_env_set_status(void *ctx, const uint64_t *ids, size_t n,
                                    aegis_env_status status, const char *reason)
{
    struct mem_ctx *c = ctx;
    char **reasons = NULL;
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == 0 || ids[i] > c->n_env) {
            err = AEGIS_ERR_NOT_FOUND;
            goto out;
        }
    }
    reasons = aegis_calloc(n, sizeof(*reasons));
    if (!reasons) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; reason && i < n; i++) {
        if (!(reasons[i] = aegis_strdup(reason))) {
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct mem_env *e = &c->envs[ids[i] - 1];
        aegis_free(e->reason);
        e->reason = reasons[i];
        reasons[i] = NULL;
        e->status = status;
        if (status == AEGIS_ENV_REJECTED) {
            /* the hash and the reason stay, the bytes go (as in sqlite) */
            aegis_free(e->data);
            e->data = NULL;
            e->len = 0;
        }
    }
out:
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; reasons && i < n; i++)
        aegis_free(reasons[i]);
    aegis_free(reasons);
    return err;
}

static aegis_err mem_env_count(void *ctx, uint64_t *ret_count)
{
    struct mem_ctx *c = ctx;
    pthread_mutex_lock(&c->mu);
    *ret_count = c->n_env;
    pthread_mutex_unlock(&c->mu);
    return AEGIS_OK;
}

/* ---- records ---- */

static struct mem_coll *coll_find(struct mem_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->n_coll; i++)
        if (strcmp(c->colls[i].name, name) == 0)
            return &c->colls[i];
    return NULL;
}

/* Index of the first record with key >= key. */
static size_t rec_lower(const struct mem_coll *co, uint64_t key)
{
    size_t lo = 0, hi = co->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (co->recs[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static aegis_err mem_rec_put(void *ctx, const char *coll, uint64_t key,
                             const uint8_t *val, size_t len, bool insert_only,
                             const struct aegis__env_status_set *env)
{
    struct mem_ctx *c = ctx;
    uint8_t *copy = NULL;
    aegis_err err;
    pthread_mutex_lock(&c->mu);
    struct mem_coll *co = coll_find(c, coll);
    size_t pos = co ? rec_lower(co, key) : 0;
    bool present = co && pos < co->n && co->recs[pos].key == key;
    if (present && insert_only) {
        err = AEGIS_ERR_EXISTS;
        goto out;
    }
    err = aegis__store_dup(val, len, &copy);
    if (err != AEGIS_OK)
        goto out;
    if (present) {
        aegis_free(co->recs[pos].val);
        co->recs[pos].val = copy;
        co->recs[pos].len = len;
        copy = NULL;
        goto set_env;
    }
    if (!co) {
        err = grow((void **)&c->colls, &c->cap_coll, c->n_coll + 1, sizeof(*c->colls));
        if (err != AEGIS_OK)
            goto out;
        co = &c->colls[c->n_coll++];
        memset(co, 0, sizeof(*co));
        strcpy(co->name, coll);   /* validated: at most 32 chars */
    }
    err = grow((void **)&co->recs, &co->cap, co->n + 1, sizeof(*co->recs));
    if (err != AEGIS_OK)
        goto out;
    memmove(&co->recs[pos + 1], &co->recs[pos], (co->n - pos) * sizeof(*co->recs));
    co->recs[pos] = (struct mem_rec){ .key = key, .val = copy, .len = len };
    co->n++;
    copy = NULL;
set_env:
    /* under the same lock: nobody sees the record without the statuses */
    for (size_t k = 0; env && k < env->n; k++)
        if (env->ids[k] && env->ids[k] <= c->n_env)
            c->envs[env->ids[k] - 1].status = env->status;
out:
    pthread_mutex_unlock(&c->mu);
    aegis_free(copy);
    return err;
}

static aegis_err mem_rec_get(void *ctx, const char *coll, uint64_t key,
                             uint8_t **ret_val, size_t *ret_len)
{
    struct mem_ctx *c = ctx;
    aegis_err err = AEGIS_ERR_NOT_FOUND;
    pthread_mutex_lock(&c->mu);
    struct mem_coll *co = coll_find(c, coll);
    size_t pos = co ? rec_lower(co, key) : 0;
    if (co && pos < co->n && co->recs[pos].key == key) {
        err = aegis__store_dup(co->recs[pos].val, co->recs[pos].len, ret_val);
        if (err == AEGIS_OK)
            *ret_len = co->recs[pos].len;
    }
    pthread_mutex_unlock(&c->mu);
    return err;
}

static aegis_err mem_rec_last(void *ctx, const char *coll, uint64_t *ret_key)
{
    struct mem_ctx *c = ctx;
    aegis_err err = AEGIS_ERR_NOT_FOUND;
    pthread_mutex_lock(&c->mu);
    struct mem_coll *co = coll_find(c, coll);
    if (co && co->n) {
        *ret_key = co->recs[co->n - 1].key;
        err = AEGIS_OK;
    }
    pthread_mutex_unlock(&c->mu);
    return err;
}

static aegis_err mem_rec_scan(void *ctx, const char *coll, uint64_t from, uint64_t to, size_t max,
                              aegis__rec_scan_cb cb, void *arg, size_t *ret_n)
{
    struct mem_ctx *c = ctx;
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    struct mem_coll *co = coll_find(c, coll);
    for (size_t i = co ? rec_lower(co, from) : 0; co && i < co->n && n < max; i++) {
        const struct mem_rec *r = &co->recs[i];
        if (r->key > to)
            break;
        n++;
        if (cb(arg, r->key, r->val, r->len))
            break;
    }
    pthread_mutex_unlock(&c->mu);
    *ret_n = n;
    return AEGIS_OK;
}

/* ---- meta ---- */

static aegis_err mem_meta_put(void *ctx, const char *key, const uint8_t *val, size_t len)
{
    struct mem_ctx *c = ctx;
    uint8_t *copy = NULL;
    char *kcopy = NULL;
    aegis_err err;
    pthread_mutex_lock(&c->mu);
    err = aegis__store_dup(val, len, &copy);
    if (err != AEGIS_OK)
        goto out;
    for (size_t i = 0; i < c->n_meta; i++) {
        if (strcmp(c->meta[i].key, key) == 0) {
            aegis_free(c->meta[i].val);
            c->meta[i].val = copy;
            c->meta[i].len = len;
            copy = NULL;
            goto out;
        }
    }
    if (!(kcopy = aegis_strdup(key))) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    err = grow((void **)&c->meta, &c->cap_meta, c->n_meta + 1, sizeof(*c->meta));
    if (err != AEGIS_OK)
        goto out;
    c->meta[c->n_meta++] = (struct mem_meta){ .key = kcopy, .val = copy, .len = len };
    kcopy = NULL;
    copy = NULL;
out:
    pthread_mutex_unlock(&c->mu);
    aegis_free(copy);
    aegis_free(kcopy);
    return err;
}

static aegis_err mem_meta_get(void *ctx, const char *key, uint8_t **ret_val, size_t *ret_len)
{
    struct mem_ctx *c = ctx;
    aegis_err err = AEGIS_ERR_NOT_FOUND;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_meta; i++) {
        if (strcmp(c->meta[i].key, key) == 0) {
            err = aegis__store_dup(c->meta[i].val, c->meta[i].len, ret_val);
            if (err == AEGIS_OK)
                *ret_len = c->meta[i].len;
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return err;
}

const struct aegis_store_ops aegis__store_memory_ops = {
    .name = "memory",
    .caps = 0,
    .ctx_size = sizeof(struct mem_ctx),
    .open = mem_open,
    .close = mem_close,
    .schema_version = NULL,
    .env_append = mem_env_append,
    .env_get = mem_env_get,
    .env_find = mem_env_find,
    .env_scan = mem_env_scan,
    .env_set_status = mem_env_set_status,
    .env_count = mem_env_count,
    .rec_put = mem_rec_put,
    .rec_get = mem_rec_get,
    .rec_last = mem_rec_last,
    .rec_scan = mem_rec_scan,
    .meta_put = mem_meta_put,
    .meta_get = mem_meta_get,
    .test_exec = NULL,
};
