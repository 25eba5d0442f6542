/* snapshot.c - restart in time independent of the chain's length
 * (docs/internals/crash-safety.md, "Restart time").
 *
 * The core's sealed restart snapshot (aegis_core_snapshot_*) stands for
 * batches 1..S, so restore verifies only batches after S. What the host
 * builds from the old batches - the receipt index (tx hash / envelope id
 * -> batch, position) and the batch-hash table - is filled by a background
 * thread while the node already serves; until it is done, aegis_status
 * shows "index_loading" and an old transaction's receipt may read
 * "unknown".
 *
 * The snapshot is saved by the cutter after a batch's envelope statuses
 * are durable (every AEGISD_SNAPSHOT_EVERY batches) and at a clean stop, so
 * no "pending" envelope of a batch at or below S is left to replay (the
 * replay then needs no index of those batches). A failed status write
 * stops the saving until the next start, whose full walk repairs it.
 */
#include <jansson.h>
#include <string.h>

#include "aegis/log.h"
#include "seq_int.h"

#define MOD "pipeline"
#define AEGISD_SNAPSHOT_EVERY 1000

aegis_err aegis_seq_snapshot_restore(struct aegis_seq *p, uint64_t *ret_from)
{
    *ret_from = 1;
    uint64_t s = 0;
    aegis_err err = aegis_core_snapshot_open(p->core, &s);
    if (err) {
        AEGIS_LOGW(MOD, "restart snapshot does not unseal: verifying every batch", "err=%s", aegis_err_name(err));
        return AEGIS_OK;
    }
    if (s == 0)
        return AEGIS_OK;
    uint8_t *json = NULL;
    size_t len = 0;
    aegis_core_snapshot_info info;
    err = aegis_store_get(p->store, "batch", s, &json, &len);
    if (!err)
        err = aegis_core_snapshot_apply(p->core, (const char *)json, len, &info);
    else if (aegis_core_snapshot_apply(p->core, "", 0, &info) == AEGIS_OK)   /* drops it */
        err = AEGIS_ERR_INTERNAL;   /* cannot happen: an empty batch matches nothing */
    aegis_free(json);
    if (err == AEGIS_ERR_CORE_FORK)
        return err;   /* batch S is not the one signed: restore refuses below */
    if (err) {
        AEGIS_LOGW(MOD, "restart snapshot does not match the store: verifying every batch", "batch=%llu err=%s",
                   (unsigned long long)s, aegis_err_name(err));
        return AEGIS_OK;
    }
    p->snap = info;
    p->last_batch = info.batch;
    p->snap_last = info.batch;
    *ret_from = info.batch + 1;
    return AEGIS_OK;
}

static int index_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegis_seq *p = arg;
    pthread_mutex_lock(&p->lock);
    bool stop = p->stop;
    if (!stop && aegis_seq_index_stored(p, (const char *)val, len) != AEGIS_OK)
        AEGIS_LOGW(MOD, "cannot index a persisted batch", "number=%llu", (unsigned long long)key);
    pthread_mutex_unlock(&p->lock);
    return stop;
}

static int seal_span_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegis_seq *p = arg;
    json_t *j = json_loadb((const char *)val, len, 0, NULL);
    pthread_mutex_lock(&p->lock);
    bool stop = p->stop;
    if (!stop)
        aegis_seq_add_seal(p, key, (uint64_t)json_integer_value(json_object_get(j, "first")),
                                 (uint64_t)json_integer_value(json_object_get(j, "count")));
    pthread_mutex_unlock(&p->lock);
    json_decref(j);
    return stop;
}

static void *indexer_main(void *arg)
{
    struct aegis_seq *p = arg;
    aegis_thread_name("seq-indexer");
    uint64_t t0 = aegis_now_ns();
    /* a large store's integrity check, which open left to us */
    aegis_err err = aegis_store_quick_check(p->store);
    if (err) {
        AEGIS_LOGE(MOD, "STORE CORRUPT: the database fails its integrity check (restore it from a copy)", "err=%s",
                   aegis_err_name(err));
        (void)aegis_rpc_health_set(p->rpc, "store_integrity", AEGIS_HEALTH_DOWN, aegis_strerror(err));
    }
    err = p->snap.batch ? aegis_store_range(p->store, "batch", 1, p->snap.batch, index_cb, p) : AEGIS_OK;
    if (!err && p->snap.next_seal > 1)
        err = aegis_store_range(p->store, "seal", 1, p->snap.next_seal - 1, seal_span_cb, p);
    pthread_mutex_lock(&p->lock);
    p->indexing = false;
    bool stopped = p->stop;
    pthread_mutex_unlock(&p->lock);
    if (err)
        AEGIS_LOGE(MOD, "receipt index of the snapshot's batches incomplete", "err=%s", aegis_err_name(err));
    else if (!stopped && p->snap.batch)
        AEGIS_LOGI(MOD, "receipt index loaded", "batches=%llu ms=%llu", (unsigned long long)p->snap.batch,
                   (unsigned long long)((aegis_now_ns() - t0) / 1000000));
    return NULL;
}

aegis_err aegis_seq_index_start(struct aegis_seq *p)
{
    p->indexing = p->snap.batch > 0;
    if (pthread_create(&p->indexer, NULL, indexer_main, p) != 0) {
        p->indexing = false;
        return AEGIS_ERR_INTERNAL;
    }
    p->indexer_started = true;
    return AEGIS_OK;
}

void aegis_seq_index_join(struct aegis_seq *p)
{
    if (p->indexer_started)
        pthread_join(p->indexer, NULL);
    p->indexer_started = false;
}

void aegis_seq_snapshot_save(struct aegis_seq *p, bool now)
{
    uint64_t last = __atomic_load_n(&p->last_batch, __ATOMIC_RELAXED);
    if (!now && last < p->snap_last + AEGISD_SNAPSHOT_EVERY)
        return;
    uint64_t s = 0;
    aegis_err err = aegis_core_snapshot_save(p->core, &s);
    if (!err)
        p->snap_last = s;
    else if (err != AEGIS_ERR_CORE_CUT_PENDING && err != AEGIS_ERR_NOT_FOUND)
        AEGIS_LOGW(MOD, "restart snapshot not saved", "err=%s", aegis_err_name(err));
}
