/* pipeline.c - the sequencer on the host side: restore after a restart, the
 * batch cutter and the SLH-DSA sealer threads, and the submission pipeline
 * (aegis/ingest.h: grouped durable appends and receipt signatures).
 *
 * Durability order (DESIGN.md section 8): an envelope is appended to the
 * durable log before the core sees it; a batch is inserted (insert-only, by
 * number) before the core commits it and before anyone can read it. After a
 * crash the chain is restored from the persisted batches (the core checks
 * each one continues its chain and carries its own signature), then every
 * envelope still "pending" is replayed through the core in log order. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aegis/batch.h"
#include "aegis/chain.h"
#include "aegis/log.h"
#include "pipeline_int.h"

#define MOD "pipeline"

/* ---- published-batch index ---- */

static aegis_err hashes_put(struct aegisd_pipeline *p, uint64_t number, const uint8_t hash[32])
{
    if (number > p->cap_hashes) {
        size_t ncap = p->cap_hashes ? p->cap_hashes * 2 : 1024;
        while (ncap < number)
            ncap *= 2;
        uint8_t (*n)[32] = aegis_realloc(p->hashes, ncap * 32);
        if (!n)
            return AEGIS_ERR_NOMEM;
        p->hashes = n;
        p->cap_hashes = ncap;
    }
    memcpy(p->hashes[number - 1], hash, 32);
    return AEGIS_OK;
}

/* Index a published batch (caller holds p->lock). */
aegis_err aegisd_pipeline_index_batch(struct aegisd_pipeline *p, const char *json, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(json, len, 0, &jerr);
    if (!j)
        return AEGIS_ERR_CHAIN_FORMAT;
    aegis_err err = AEGIS_ERR_CHAIN_FORMAT;
    uint8_t hash[32], key[32];
    json_int_t number = json_integer_value(json_object_get(j, "number"));
    json_t *txs = json_object_get(j, "txs");
    if (number <= 0 || !json_is_array(txs) || aegis_chain_get_hex(j, "hash", hash, 32))
        goto out;
    for (size_t i = 0; i < json_array_size(txs); i++) {
        json_t *t = json_array_get(txs, i);
        if (aegis_chain_get_hex(t, "hash", key, 32))
            goto out;
        err = aegisd_pindex_put(&p->index, key, (uint64_t)number, (uint32_t)i);
        if (err)
            goto out;
        aegisd_pindex_id_key(key, (uint64_t)json_integer_value(json_object_get(t, "envelope_id")));
        err = aegisd_pindex_put(&p->index, key, (uint64_t)number, (uint32_t)i);
        if (err)
            goto out;
    }
    err = hashes_put(p, (uint64_t)number, hash);
    if (!err && (uint64_t)number > p->last_batch)
        p->last_batch = (uint64_t)number;
out:
    json_decref(j);
    return err;
}

void aegisd_pipeline_add_seal(struct aegisd_pipeline *p, uint64_t number, uint64_t first, uint64_t count)
{
    if (p->n_seals == p->cap_seals) {
        size_t ncap = p->cap_seals ? p->cap_seals * 2 : 64;
        struct seal_span *n = aegis_realloc(p->seals, ncap * sizeof(*n));
        if (!n)
            return;   /* membership then simply is not attached; the seal stays readable */
        p->seals = n;
        p->cap_seals = ncap;
    }
    p->seals[p->n_seals++] = (struct seal_span){ number, first, count };
}

/* ---- submissions (aegis/ingest.h does the work) ---- */

/* After each admitted group: wake the cutter once a batch is full, persist
 * a registry change (a PQC account registered by a witness tx). */
static void on_ingest_group(void *arg, size_t admitted, size_t rejected, aegis_err store_err)
{
    struct aegisd_pipeline *p = arg;
    (void)rejected;
    aegisd_pipeline_store_written(p, store_err);
    if (store_err)
        return;
    if (!admitted)
        return;
    if (aegis_core_pending_count(p->core) >= p->max_batch) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    if (aegisd_pipeline_persist_registry(p, NULL) != AEGIS_OK)
        AEGIS_LOGW(MOD, "registry change not persisted", NULL);
}

/* ---- cutting ---- */

static void record_dropped(struct aegisd_pipeline *p)
{
    uint64_t ids[256];
    size_t n;
    while ((n = aegis_core_take_dropped(p->core, ids, AEGIS_ARRAY_LEN(ids))) > 0)
        if (aegis_store_env_set_status(p->d->store, ids, n, AEGIS_ENV_EVICTED, NULL) != AEGIS_OK)
            AEGIS_LOGW(MOD, "cannot record evicted envelopes", "n=%zu", n);
}

/* The per-asset migration set, persisted whenever a commit changed it
 * (a lost update after a crash is rebuilt from the next migration txs and
 * is covered by the latest checkpoint). */
static void persist_migrations(struct aegisd_pipeline *p)
{
    uint64_t version = 0;
    char *json = NULL;
    if (aegis_core_migration_state(p->core, &version, &json) != AEGIS_OK)
        return;
    if (version != p->migs_version &&
        aegis_store_meta_put(p->d->store, "migrations", (const uint8_t *)json, strlen(json)) == AEGIS_OK)
        p->migs_version = version;
    aegis_free(json);
}

/* Cut, persist, commit and publish one batch. Returns true if one was cut. */
static bool cut_one(struct aegisd_pipeline *p, bool force)
{
    aegis_core_batch *b = NULL;
    aegis_err err = aegis_core_cut_batch(p->core, aegis_wall_ms(), force, &b);
    aegisd_pipeline_tee_health(p, !err && b);
    if (err || !b) {
        if (err && err != AEGIS_ERR_CORE_CUT_PENDING)
            AEGIS_LOGE(MOD, "cut failed", "err=%s", aegis_err_name(err));
        record_dropped(p);
        return false;
    }
    err = aegis_store_insert(p->d->store, "batch", b->number, (const uint8_t *)b->json, b->json_len);
    if (err) {
        /* Not persisted: not published, nothing committed; the txs stay. */
        aegis_core_abort_batch(p->core, b);
        p->batch_failures++;
        (void)aegis_rpc_health_set(p->d->rpc, "pipeline", AEGIS_HEALTH_DEGRADED, "cannot persist batches");
        AEGIS_LOGE(MOD, "batch not persisted", "number=%llu err=%s", (unsigned long long)b->number,
                   aegis_err_name(err));
        aegis_core_batch_free(b);
        return false;
    }
    /* Persisted = published: index it before anything else, so a receipt
     * query never sees a committed batch it cannot find. */
    pthread_mutex_lock(&p->lock);
    if (aegisd_pipeline_index_batch(p, b->json, b->json_len) != AEGIS_OK)
        AEGIS_LOGW(MOD, "cannot index batch", "number=%llu", (unsigned long long)b->number);
    pthread_mutex_unlock(&p->lock);
    err = aegis_core_commit_batch(p->core, b);
    if (err)
        AEGIS_LOGE(MOD, "commit failed", "number=%llu err=%s", (unsigned long long)b->number, aegis_err_name(err));
    if (aegis_store_env_set_status(p->d->store, b->envelope_ids, b->n, AEGIS_ENV_INCLUDED, NULL) != AEGIS_OK) {
        AEGIS_LOGW(MOD, "cannot mark envelopes included (restart repairs it)", "number=%llu",
                   (unsigned long long)b->number);
        p->snapshot_blocked = true;   /* the repair needs the full walk */
    } else {
        aegisd_pipeline_snapshot_save(p, false);
    }
    pthread_mutex_lock(&p->lock);
    p->batches++;
    pthread_cond_broadcast(&p->published);
    pthread_mutex_unlock(&p->lock);
    persist_migrations(p);
    (void)aegis_rpc_health_set(p->d->rpc, "pipeline", AEGIS_HEALTH_OK, "cutting batches");
    char hex[65];
    aegis_hex_encode(hex, b->hash, 32);
    AEGIS_LOGI(MOD, "batch", "number=%llu txs=%zu hash=0x%s", (unsigned long long)b->number, b->n, hex);
    aegis_core_batch_free(b);
    record_dropped(p);
    return true;
}

static void deadline_after(struct timespec *ts, uint64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Cut when max_batch txs are ready (woken by submissions) or every
 * batch_interval_ms when at least one is waiting. */
static void *cutter_main(void *arg)
{
    struct aegisd_pipeline *p = arg;
    uint64_t next_tick = aegis_now_ns() + p->interval_ms * 1000000ull;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec ts;
        uint64_t now = aegis_now_ns();
        uint64_t left_ms = next_tick > now ? (next_tick - now) / 1000000ull : 0;
        deadline_after(&ts, left_ms);
        pthread_cond_timedwait(&p->wake, &p->lock, &ts);
        if (p->stop)
            break;
        bool tick = aegis_now_ns() >= next_tick;
        pthread_mutex_unlock(&p->lock);
        /* full batches first, as many as are ready */
        while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE) && aegis_core_pending_count(p->core) >= p->max_batch &&
               cut_one(p, false))
            ;
        if (tick) {
            cut_one(p, true);
            next_tick = aegis_now_ns() + p->interval_ms * 1000000ull;
        }
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Insert-only, as every signed record. A cluster worker rebuilds its state
 * from the replicated log at start, so it signs again what its cache already
 * holds from an earlier run (the same batches, new signatures): it replaces
 * its own cached copy. */
static aegis_err persist_record(struct aegisd_pipeline *p, const char *coll, uint64_t key, const char *json)
{
    aegis_err err = aegis_store_insert(p->d->store, coll, key, (const uint8_t *)json, strlen(json));
    if (err == AEGIS_ERR_EXISTS && p->cl)
        err = aegis_store_put(p->d->store, coll, key, (const uint8_t *)json, strlen(json));
    return err;
}

/* A checkpoint when due (interval or risk level change): make (slow, SLH-DSA)
 * -> persist insert-only -> commit. */
void aegisd_pipeline_checkpoint_at(struct aegisd_pipeline *p, uint64_t now_ms)
{
    if (!aegis_core_checkpoint_due(p->core))
        return;
    char *json = NULL;
    uint64_t number = 0;
    aegis_err err = aegis_core_checkpoint_make(p->core, now_ms, &number, &json);
    if (err || !json) {
        if (err)
            AEGIS_LOGE(MOD, "checkpoint failed", "err=%s", aegis_err_name(err));
        return;
    }
    err = persist_record(p, "checkpoint", number + 1, json);
    if (!err)
        err = aegis_core_checkpoint_commit(p->core, json, strlen(json));
    else
        aegis_core_checkpoint_abort(p->core);
    if (err)
        AEGIS_LOGE(MOD, "checkpoint not persisted", "checkpoint=%llu err=%s", (unsigned long long)number,
                   aegis_err_name(err));
    else {
        pthread_mutex_lock(&p->lock);
        p->n_checkpoints++;
        pthread_mutex_unlock(&p->lock);
        AEGIS_LOGI(MOD, "checkpoint", "checkpoint=%llu", (unsigned long long)number);
    }
    aegis_free(json);
}

/* A key rotation when due: prepare (new key set, hand-over signed by old
 * and new keys) -> persist the hand-over insert-only -> commit the switch. */
void aegisd_pipeline_rotate_at(struct aegisd_pipeline *p, uint64_t now_ms)
{
    char *json = NULL;
    uint64_t epoch = 0;
    aegis_err err = aegis_core_rotate_prepare(p->core, now_ms, &epoch, &json);
    if (err || !json) {
        if (err)
            AEGIS_LOGE(MOD, "key rotation failed", "err=%s", aegis_err_name(err));
        return;
    }
    err = persist_record(p, "handover", epoch, json);
    if (!err)
        err = aegis_core_rotate_commit(p->core, epoch);
    else
        aegis_core_rotate_abort(p->core);
    if (err)
        AEGIS_LOGE(MOD, "key rotation not persisted", "epoch=%llu err=%s", (unsigned long long)epoch,
                   aegis_err_name(err));
    else
        AEGIS_LOGW(MOD, "key epoch rotated", "epoch=%llu", (unsigned long long)epoch);
    aegis_free(json);
}

static void rotate_if_due(struct aegisd_pipeline *p)
{
    aegisd_pipeline_rotate_at(p, aegis_wall_ms());
}

bool aegisd_pipeline_seal(struct aegisd_pipeline *p, bool force)
{
    char *json = NULL;
    uint64_t number = 0;
    pthread_mutex_lock(&p->seal_mu);
    aegis_err err = aegis_core_seal_pending(p->core, force, &number, &json);
    if (!err && json) {
        err = persist_record(p, "seal", number, json);
        if (!err)
            err = aegis_core_seal_commit(p->core, json, strlen(json));
        if (err) {
            AEGIS_LOGE(MOD, "seal not persisted", "seal=%llu err=%s", (unsigned long long)number,
                       aegis_err_name(err));
        } else {
            json_t *j = json_loads(json, 0, NULL);
            pthread_mutex_lock(&p->lock);
            aegisd_pipeline_add_seal(p, number, (uint64_t)json_integer_value(json_object_get(j, "first")),
                                     (uint64_t)json_integer_value(json_object_get(j, "count")));
            pthread_mutex_unlock(&p->lock);
            json_decref(j);
            AEGIS_LOGI(MOD, "seal", "seal=%llu", (unsigned long long)number);
        }
    } else if (err) {
        AEGIS_LOGE(MOD, "seal failed", "err=%s", aegis_err_name(err));
    }
    pthread_mutex_unlock(&p->seal_mu);
    bool made = json != NULL;
    aegis_free(json);
    return made;
}

/* SLH-DSA epoch seals and checkpoints, off the hot path, on the cadence of
 * pipeline_cadence.c (a cluster's checkpoints come at log positions). */
static void *sealer_main(void *arg)
{
    struct aegisd_pipeline *p = arg;
    struct aegisd_cadence cad;
    aegisd_cadence_init(&cad, &p->d->cfg, aegis_now_ns());
    aegisd_cadence_background();
    unsigned tick = 0;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec ts;
        deadline_after(&ts, 100);
        pthread_cond_timedwait(&p->published, &p->lock, &ts);
        if (p->stop)
            break;
        pthread_mutex_unlock(&p->lock);
        if (!p->cl) {
            /* a cluster changes risk and keys, and checkpoints, only at
             * positions of its log (pipeline_cluster.c): the checkpoint
             * is named by the next batch header, the same on every worker */
            aegisd_pipeline_poll_risk_file(p);
            rotate_if_due(p);
            if (aegis_core_checkpoint_due(p->core) &&
                aegisd_cadence_checkpoint(&cad, aegis_now_ns(), aegis_core_checkpoint_urgent(p->core))) {
                cad.last_ckpt_ns = aegis_now_ns();
                cad.have_ckpt = true;
                aegisd_pipeline_checkpoint_at(p, aegis_wall_ms());
            }
        }
        /* about once a second: audit records a failed registry write left
         * behind are written again (a no-op when none are pending) */
        if (++tick % 10 == 0) {
            (void)aegisd_pipeline_persist_registry(p, NULL);
            aegisd_pipeline_store_probe(p, false);
        }
        /* a key rotation under way waits for the seal window to close:
         * seal it now, whatever the cadence */
        bool force = !p->cl && aegis_core_rotation_due(p->core, aegis_wall_ms());
        if ((force || aegisd_cadence_seal(&cad, aegis_now_ns(), &force)) && (aegisd_pipeline_seal(p, force) || force))
            cad.last_seal_ns = aegis_now_ns();
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* ---- restore ---- */

static int restore_batch_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegisd_pipeline *p = arg;
    aegis_err err = aegis_core_restore_batch(p->core, (const char *)val, len);
    if (!err)
        err = aegisd_pipeline_index_batch(p, (const char *)val, len);
    if (err == AEGIS_ERR_CORE_FORK)
        p->restore_err = err;
    if (!err)
        p->restored++;
    if (err) {
        AEGIS_LOGE(MOD, "persisted batch refused", "number=%llu err=%s", (unsigned long long)key,
                   aegis_err_name(err));
        return 1;
    }
    return 0;
}

static int restore_handover_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegisd_pipeline *p = arg;
    if (aegis_core_restore_handover(p->core, (const char *)val, len) != AEGIS_OK) {
        AEGIS_LOGE(MOD, "persisted key hand-over refused", "epoch=%llu", (unsigned long long)key);
        return 1;
    }
    p->n_handovers++;
    return 0;
}

static int restore_ckpt_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegisd_pipeline *p = arg;
    if (aegis_core_restore_checkpoint(p->core, (const char *)val, len) != AEGIS_OK) {
        AEGIS_LOGE(MOD, "persisted checkpoint refused", "key=%llu", (unsigned long long)key);
        return 1;
    }
    p->n_checkpoints++;
    return 0;
}

static int restore_seal_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegisd_pipeline *p = arg;
    if (aegis_core_restore_seal(p->core, (const char *)val, len) != AEGIS_OK) {
        AEGIS_LOGE(MOD, "persisted seal refused", "seal=%llu", (unsigned long long)key);
        return 1;
    }
    json_t *j = json_loadb((const char *)val, len, 0, NULL);
    aegisd_pipeline_add_seal(p, key, (uint64_t)json_integer_value(json_object_get(j, "first")),
                             (uint64_t)json_integer_value(json_object_get(j, "count")));
    json_decref(j);
    return 0;
}

struct replay_ctx {
    struct aegisd_pipeline *p;
    uint64_t replayed, included, rejected;
};

static int replay_cb(void *arg, const aegis_store_env *env)
{
    struct replay_ctx *rc = arg;
    struct aegisd_pipeline *p = rc->p;
    if (env->status != AEGIS_ENV_PENDING)
        return 0;
    uint8_t key[32];
    uint64_t b;
    uint32_t pos;
    aegisd_pindex_id_key(key, env->id);
    if (aegisd_pindex_get(&p->index, key, &b, &pos)) {
        /* included in a persisted batch before the crash: repair the status */
        if (aegis_store_env_set_status(p->d->store, &env->id, 1, AEGIS_ENV_INCLUDED, NULL) != AEGIS_OK)
            AEGIS_LOGW(MOD, "cannot repair an envelope status", "id=%llu", (unsigned long long)env->id);
        rc->included++;
        return 0;
    }
    if (!aegisd_pipeline_envelope_intact(p, env))
        return 0;   /* corrupted: stays "pending" in the log, never "rejected" */
    const char *reason = NULL;
    aegis_err err = aegis_core_submit(p->core, env->data, env->len, env->id, aegis_wall_ms(), true, NULL, &reason);
    if (err) {
        if (aegis_store_env_set_status(p->d->store, &env->id, 1, AEGIS_ENV_REJECTED, reason) != AEGIS_OK)
            AEGIS_LOGW(MOD, "cannot record a replay rejection", "id=%llu", (unsigned long long)env->id);
        rc->rejected++;
    } else {
        rc->replayed++;
    }
    return 0;
}

static aegis_err restore(struct aegisd_pipeline *p, const char **detail)
{
    uint64_t last = 0;
    /* key epochs first: every batch is checked under its epoch's key */
    aegis_err err = aegis_store_range(p->d->store, "handover", 2, UINT64_MAX, restore_handover_cb, p);
    if (!err && aegis_store_last(p->d->store, "handover", &last) == AEGIS_OK && last != p->n_handovers + 1) {
        *detail = "persisted key hand-overs do not continue each other or do not verify";
        return AEGIS_ERR_CORE_RESTORE;
    }
    last = 0;
    /* the restart snapshot stands for batches 1..S (verified when saved) */
    uint64_t from = 1;
    if (!err)
        err = aegisd_pipeline_snapshot_restore(p, &from);
    if (err == AEGIS_ERR_CORE_FORK) {
        *detail = "the store holds another batch under a number this sequencer signed (hwm.sealed)";
        return err;
    }
    if (!err)
        err = aegis_store_range(p->d->store, "batch", from, UINT64_MAX, restore_batch_cb, p);
    if (!err && aegis_store_last(p->d->store, "batch", &last) == AEGIS_OK && last != p->last_batch) {
        if (p->restore_err == AEGIS_ERR_CORE_FORK) {
            AEGIS_LOGE(MOD, "the store's batch differs from the one this sequencer signed", "number=%llu",
                       (unsigned long long)p->last_batch + 1);
            *detail = "the store holds another batch under a number this sequencer signed (hwm.sealed)";
            return p->restore_err;
        }
        *detail = "persisted batches do not continue the chain, or are not signed by this sequencer's key";
        return AEGIS_ERR_CORE_RESTORE;
    }
    uint64_t seals_before = p->snap.next_seal ? p->snap.next_seal - 1 : 0;   /* spans: the indexer */
    if (!err)
        err = aegis_store_range(p->d->store, "seal", seals_before + 1, UINT64_MAX, restore_seal_cb, p);
    if (!err && aegis_store_last(p->d->store, "seal", &last) != AEGIS_OK)
        last = 0;   /* none: fine unless the snapshot covers some */
    if (!err && last != seals_before + p->n_seals) {
        *detail = last < seals_before
                      ? "the store lost seals the restart snapshot covers: bring them back with aegis recover"
                      : "persisted seals do not continue each other or are not signed by this sequencer's key";
        return AEGIS_ERR_CORE_RESTORE;
    }
    p->n_checkpoints = p->snap.checkpoints;   /* covered by the snapshot */
    if (!err)
        err = aegis_store_range(p->d->store, "checkpoint", p->snap.checkpoints + 1, UINT64_MAX, restore_ckpt_cb, p);
    if (!err && aegis_store_last(p->d->store, "checkpoint", &last) != AEGIS_OK)
        last = 0;
    if (!err && last != p->n_checkpoints) {
        *detail = last < p->snap.checkpoints
                      ? "the store lost checkpoints the restart snapshot covers: bring them back with aegis recover"
                      : "persisted checkpoints do not continue each other or are not signed by this sequencer's key";
        return AEGIS_ERR_CORE_RESTORE;
    }
    if (err) {
        *detail = "cannot read persisted batches";
        return err;
    }
    aegisd_pipeline_restore_decisions(p);
    uint8_t *migs = NULL;
    size_t migs_len = 0;
    if (aegis_store_meta_get(p->d->store, "migrations", &migs, &migs_len) == AEGIS_OK) {
        err = aegis_core_restore_migrations(p->core, (const char *)migs, migs_len);
        aegis_free(migs);
        if (err) {
            *detail = "persisted migration state is malformed";
            return err;
        }
    }
    err = aegisd_pipeline_restore_registry(p, detail);
    if (err)
        return err;
    uint8_t *risk = NULL;
    size_t risk_len = 0;
    if (aegis_store_meta_get(p->d->store, "risk_state", &risk, &risk_len) == AEGIS_OK) {
        err = aegis_core_restore_risk(p->core, (const char *)risk, risk_len);
        aegis_free(risk);
        if (err) {
            *detail = "persisted risk state is malformed";
            return err;
        }
    }
    struct replay_ctx rc = { .p = p };
    err = aegis_store_env_range_pending(p->d->store, 1, UINT64_MAX, replay_cb, &rc);
    if (err) {
        *detail = "cannot replay the envelope log";
        return err;
    }
    record_dropped(p);
    err = aegisd_pipeline_finish_restore(p, detail);
    if (err)
        return err;
    AEGIS_LOGI(MOD, "restored", "batches=%llu snapshot=%llu seals=%zu replayed=%llu included=%llu rejected=%llu",
               (unsigned long long)p->restored, (unsigned long long)p->snap.batch, p->n_seals, (unsigned long long)rc.replayed,
               (unsigned long long)rc.included, (unsigned long long)rc.rejected);
    return AEGIS_OK;
}

/* ---- lifecycle ---- */

static void pipeline_free(struct aegisd_pipeline *p)
{
    if (!p)
        return;
    aegis_core_free(p->core);
    aegisd_pindex_clear(&p->index);
    aegis_free(p->hashes);
    aegis_free(p->seals);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->reg_lock);
    pthread_mutex_destroy(&p->seal_mu);
    aegis_free(p->orphans);
    pthread_cond_destroy(&p->published);
    pthread_cond_destroy(&p->wake);
    aegis_free(p);
}

static void metrics_cb(void *arg, aegis_buf *out)
{
    struct aegisd_pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    uint64_t last = p->last_batch, batches = p->batches, fails = p->batch_failures;
    pthread_mutex_unlock(&p->lock);
    aegis_ingest_stats is = { 0 };
    if (p->ingest)
        aegis_ingest_get_stats(p->ingest, &is);
    if (aegis_buf_printf(out,
        "# HELP aegis_batch_last Highest persisted batch number.\n# TYPE aegis_batch_last gauge\naegis_batch_last %llu\n"
        "# HELP aegis_batches_cut_total Batches cut and persisted by this process.\n# TYPE aegis_batches_cut_total counter\naegis_batches_cut_total %llu\n"
        "# HELP aegis_batch_persist_failures_total Batches that could not be persisted.\n# TYPE aegis_batch_persist_failures_total counter\naegis_batch_persist_failures_total %llu\n"
        "# HELP aegis_mempool_size Transactions waiting in the mempool.\n# TYPE aegis_mempool_size gauge\naegis_mempool_size %zu\n"
        "# HELP aegis_receipt_groups_total ML-DSA-87 signatures over receipt groups.\n# TYPE aegis_receipt_groups_total counter\naegis_receipt_groups_total %llu\n"
        "# HELP aegis_receipts_signed_total Receipts signed.\n# TYPE aegis_receipts_signed_total counter\naegis_receipts_signed_total %llu\n"
        "# HELP aegis_envelopes_rejected_total Envelopes logged and then rejected at admission, any reason (decryption, decoding, policy).\n# TYPE aegis_envelopes_rejected_total counter\naegis_envelopes_rejected_total %llu\n"
        "# HELP aegis_envelope_commits_total Envelope-log commits (one fsync each) made by submissions.\n# TYPE aegis_envelope_commits_total counter\naegis_envelope_commits_total %llu\n"
        "# HELP aegis_ingest_queued Submissions accepted and not yet answered.\n# TYPE aegis_ingest_queued gauge\naegis_ingest_queued %zu\n"
        "# HELP aegis_batches_degraded_total Batches produced without the backup TEE attestation.\n# TYPE aegis_batches_degraded_total counter\naegis_batches_degraded_total %llu\n"
        "# HELP aegis_envelopes_corrupted_total Logged envelopes whose bytes do not match their hash (never replayed, never rejected).\n# TYPE aegis_envelopes_corrupted_total counter\naegis_envelopes_corrupted_total %llu\n"
        "# HELP aegis_tee_insecure 1 when the primary TEE is the simulator (no hardware protection).\n# TYPE aegis_tee_insecure gauge\naegis_tee_insecure %d\n",
        (unsigned long long)last, (unsigned long long)batches, (unsigned long long)fails,
        aegis_core_pending_count(p->core), (unsigned long long)is.groups, (unsigned long long)is.admitted,
        (unsigned long long)is.rejected, (unsigned long long)is.appends, is.in_flight,
        (unsigned long long)aegis_core_degraded_batches(p->core),
        (unsigned long long)__atomic_load_n(&p->corrupted, __ATOMIC_RELAXED),
        p->d->cfg.tee_primary && strcmp(p->d->cfg.tee_primary, "sim") == 0) != AEGIS_OK)
        return;   /* the scrape shows what fitted */
    if (p->cl)
        aegisd_cluster_metrics(p, out);
}

aegis_err aegisd_pipeline_start(struct aegisd *d, const char **detail)
{
    struct aegisd_pipeline *p = aegis_calloc(1, sizeof(*p));
    if (!p) {
        *detail = "out of memory";
        return AEGIS_ERR_NOMEM;
    }
    p->d = d;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->reg_lock, NULL);
    pthread_mutex_init(&p->seal_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->published, &ca);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    p->interval_ms = d->cfg.batch_interval_ms ? d->cfg.batch_interval_ms : 1000;
    p->max_batch = d->cfg.batch_max;

    aegis_err err = AEGIS_OK;
    if (d->cfg.cluster_nats_urls.n > 0) {
        err = aegisd_cluster_prepare(p, detail);
        if (err)
            goto fail;
    }
    /* a single node's store is the truth: no new keys over a used one */
    if (!p->cl)
        err = aegisd_pipeline_check_keys(d, detail);
    if (!err)
        err = aegis_core_new(&p->core, &d->cfg, d->cfg.data_dir, detail);
    if (err)
        goto fail;
    if (p->cl) {
        /* the replicated log is the source of truth: state is rebuilt by
         * applying it, the local store is this worker's cache */
        err = aegisd_cluster_start(p, detail);
        if (err)
            goto fail;
        goto rpc;
    }
    err = restore(p, detail);
    if (err)
        goto fail;
    if (aegisd_pipeline_index_start(p) != AEGIS_OK)
        AEGIS_LOGW(MOD, "cannot start the receipt indexer: old receipts read unknown until restart", NULL);
    aegis_ingest_opts io = {
        .commit_interval_us = d->cfg.storage_ingest_interval_us ? d->cfg.storage_ingest_interval_us
                                                                : AEGIS_INGEST_NO_PACING,
        .open_threads = d->cfg.storage_ingest_open_threads ? d->cfg.storage_ingest_open_threads
                                                           : (size_t)aegisd_online_cpus(),
        .on_group = on_ingest_group, .on_group_arg = p,
    };
    err = aegis_ingest_new(&p->ingest, p->core, d->store, &io);
    if (err) {
        *detail = "cannot start the submission pipeline";
        goto fail;
    }
rpc:
    err = aegisd_pipeline_register(p);
    if (!err)
        err = aegisd_pipeline_register_assets(p);
    if (!err)
        err = aegis_rpc_add_metrics_source(d->rpc, metrics_cb, p);
    if (!err)
        err = aegisd_pipeline_tee_register(p);
    if (err) {
        *detail = "cannot register pipeline methods";
        goto fail;
    }
    if (!p->cl && pthread_create(&p->cutter, NULL, cutter_main, p) != 0) {
        *detail = "cannot start the batch cutter";
        err = AEGIS_ERR_INTERNAL;
        goto fail;
    }
    p->cutter_started = !p->cl;
    if (pthread_create(&p->sealer, NULL, sealer_main, p) != 0) {
        *detail = "cannot start the sealer";
        err = AEGIS_ERR_INTERNAL;
        goto fail;
    }
    p->sealer_started = true;
    aegisd_pipeline_store_probe(p, true);   /* a read-only store shows at once */
    (void)aegis_rpc_health_set(d->rpc, "pipeline", AEGIS_HEALTH_OK, "cutting batches");
    (void)aegis_rpc_health_set(d->rpc, "tee", AEGIS_HEALTH_OK,
                               strcmp(d->cfg.tee_primary, "sim") == 0 ? "sim: INSECURE, no hardware protection"
                                                                       : d->cfg.tee_primary);
    if (aegis_core_is_degraded(p->core))
        (void)aegis_rpc_health_set(d->rpc, "tee_backup", AEGIS_HEALTH_DEGRADED,
                                   "the backup TEE did not attest: batches carry the primary attestation only");
    d->pipe = p;
    p->started = true;   /* restored and running: from now on stop may persist */
    return AEGIS_OK;
fail:
    d->pipe = p;
    aegisd_pipeline_stop(d);
    return err;
}

void aegisd_pipeline_closing(struct aegisd *d)
{
    struct aegisd_pipeline *p = d->pipe;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->closing = true;
    pthread_cond_broadcast(&p->published);
    pthread_mutex_unlock(&p->lock);
}

void aegisd_pipeline_stop(struct aegisd *d)
{
    struct aegisd_pipeline *p = d->pipe;
    if (!p)
        return;
    /* answer every submission already accepted before the cutter stops */
    aegis_ingest_free(p->ingest);
    p->ingest = NULL;
    pthread_mutex_lock(&p->lock);
    __atomic_store_n(&p->stop, true, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->wake);
    pthread_cond_broadcast(&p->published);
    pthread_mutex_unlock(&p->lock);
    if (p->cutter_started)
        pthread_join(p->cutter, NULL);
    if (p->sealer_started)
        pthread_join(p->sealer, NULL);
    aegisd_pipeline_wait_stop(p);
    aegisd_pipeline_index_join(p);
    if (p->started && !p->cl)
        aegisd_pipeline_snapshot_save(p, true);
    aegisd_cluster_stop(p);
    /* a last try for registry changes a failed write left unpersisted */
    if (p->started && aegisd_pipeline_persist_registry(p, NULL) != AEGIS_OK)
        AEGIS_LOGW(MOD, "registry changes not persisted at shutdown", NULL);
    d->pipe = NULL;
    pipeline_free(p);
}

void aegisd_pipeline_status(struct aegisd *d, json_t *out)
{
    struct aegisd_pipeline *p = d->pipe;
    char *s = NULL;
    if (aegis_core_status(p->core, &s) == AEGIS_OK) {
        json_t *j = json_loads(s, 0, NULL);
        if (j)
            json_object_set_new(out, "core", j);
        aegis_free(s);
    }
    pthread_mutex_lock(&p->lock);
    json_object_set_new(out, "last_batch", json_integer((json_int_t)p->last_batch));
    json_object_set_new(out, "index_loading", json_boolean(p->indexing));
    pthread_mutex_unlock(&p->lock);
    if (p->cl)
        aegisd_cluster_status(p, out);
}
