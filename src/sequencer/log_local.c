/* log_local.c - the sequencer's local log (a single node): the store's
 * SQLite envelope log, written by the submission pipeline (aegis/ingest.h:
 * grouped durable appends, admission in log order, grouped receipts), and
 * the cutter thread deciding when to cut. The store is the truth: at start
 * the chain is restored from the persisted batches (the core checks each
 * continues its chain and carries its own signature), then every envelope
 * still "pending" is replayed through the core in log order.
 * docs/internals/pipeline.md, crash-safety.md. */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "aegis/log.h"
#include "seq_int.h"

#define MOD "pipeline"

/* After each admitted group: wake the cutter once a batch is full, persist
 * a registry change (a PQC account registered by a witness tx). */
static void on_ingest_group(void *arg, size_t admitted, size_t rejected, aegis_err store_err)
{
    struct aegis_seq *p = arg;
    (void)rejected;
    aegis_seq_store_written(p, store_err);
    if (store_err)
        return;
    if (!admitted)
        return;
    if (aegis_core_pending_count(p->core) >= p->max_batch) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    if (aegis_seq_persist_registry(p, NULL) != AEGIS_OK)
        AEGIS_LOGW(MOD, "registry change not persisted", NULL);
}

static void record_dropped(struct aegis_seq *p)
{
    uint64_t ids[256];
    size_t n;
    while ((n = aegis_core_take_dropped(p->core, ids, AEGIS_ARRAY_LEN(ids))) > 0)
        if (aegis_store_env_set_status(p->store, ids, n, AEGIS_ENV_EVICTED, NULL) != AEGIS_OK)
            AEGIS_LOGW(MOD, "cannot record evicted envelopes", "n=%zu", n);
}

/* Cut, persist, commit and publish one batch. Returns true if one was cut. */
static bool cut_one(struct aegis_seq *p, bool force)
{
    aegis_core_batch *b = NULL;
    aegis_err err = aegis_core_cut_batch(p->core, aegis_wall_ms(), force, &b);
    aegis_seq_tee_health(p, !err && b);
    if (err || !b) {
        if (err && err != AEGIS_ERR_CORE_CUT_PENDING)
            AEGIS_LOGE(MOD, "cut failed", "err=%s", aegis_err_name(err));
        record_dropped(p);
        return false;
    }
    /* the batch and its envelopes' "included" in one store write */
    err = aegis_seq_land_batch(p, b, true);
    if (err) {
        p->batch_failures++;
        (void)aegis_rpc_health_set(p->rpc, "pipeline", AEGIS_HEALTH_DEGRADED, "cannot persist batches");
        AEGIS_LOGE(MOD, "batch not persisted", "number=%llu err=%s", (unsigned long long)b->number,
                   aegis_err_name(err));
        aegis_core_batch_free(b);
        return false;
    }
    aegis_seq_snapshot_save(p, false);
    aegis_seq_published(p);
    (void)aegis_rpc_health_set(p->rpc, "pipeline", AEGIS_HEALTH_OK, "cutting batches");
    char hex[65];
    aegis_hex_encode(hex, b->hash, 32);
    AEGIS_LOGI(MOD, "batch", "number=%llu txs=%zu hash=0x%s", (unsigned long long)b->number, b->n, hex);
    aegis_core_batch_free(b);
    record_dropped(p);
    return true;
}

/* Cut when max_batch txs are ready (woken by submissions) or every
 * batch_interval_ms when at least one is waiting. */
static void *cutter_main(void *arg)
{
    struct aegis_seq *p = arg;
    aegis_thread_name("seq-cutter");
    uint64_t next_tick = aegis_now_ns() + p->interval_ms * 1000000ull;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec ts;
        uint64_t now = aegis_now_ns();
        uint64_t left_ms = next_tick > now ? (next_tick - now) / 1000000ull : 0;
        aegis_seq_deadline_after(&ts, left_ms);
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

static int restore_batch_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegis_seq *p = arg;
    aegis_core_batch *facts = NULL;
    aegis_err err = aegis_core_restore_batch_indexed(p->core, (const char *)val, len, &facts);
    if (!err)
        err = aegis_seq_index_batch(p, facts);
    aegis_core_batch_free(facts);
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
    struct aegis_seq *p = arg;
    if (aegis_core_restore_handover(p->core, (const char *)val, len) != AEGIS_OK) {
        AEGIS_LOGE(MOD, "persisted key hand-over refused", "epoch=%llu", (unsigned long long)key);
        return 1;
    }
    p->n_handovers++;
    return 0;
}

static int restore_ckpt_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegis_seq *p = arg;
    if (aegis_core_restore_checkpoint(p->core, (const char *)val, len) != AEGIS_OK) {
        AEGIS_LOGE(MOD, "persisted checkpoint refused", "key=%llu", (unsigned long long)key);
        return 1;
    }
    p->n_checkpoints++;
    return 0;
}

static int restore_seal_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegis_seq *p = arg;
    if (aegis_core_restore_seal(p->core, (const char *)val, len) != AEGIS_OK) {
        AEGIS_LOGE(MOD, "persisted seal refused", "seal=%llu", (unsigned long long)key);
        return 1;
    }
    aegis_seq_add_last_seal(p);
    return 0;
}

struct replay_ctx {
    struct aegis_seq *p;
    struct aegis_seq_replay *r;   /* opens in parallel, admits in log order (replay.c) */
    uint64_t replayed, included, rejected;
    aegis_err err;                /* the walk stopped: out of memory */
};

/* storage.ingest_open_threads, 0 = one per online CPU: submissions and replay */
static size_t open_threads(const struct aegis_seq *p)
{
    return p->cfg->storage_ingest_open_threads ? p->cfg->storage_ingest_open_threads : (size_t)aegis_online_cpus();
}

static int replay_cb(void *arg, const aegis_store_env *env)
{
    struct replay_ctx *rc = arg;
    struct aegis_seq *p = rc->p;
    if (env->status != AEGIS_ENV_PENDING)
        return 0;
    uint8_t key[32];
    uint64_t b;
    uint32_t pos;
    aegis_seq_pindex_id_key(key, env->id);
    if (aegis_seq_pindex_get(&p->index, key, &b, &pos)) {
        /* included in a persisted batch before the crash: repair the status */
        if (aegis_store_env_set_status(p->store, &env->id, 1, AEGIS_ENV_INCLUDED, NULL) != AEGIS_OK)
            AEGIS_LOGW(MOD, "cannot repair an envelope status", "id=%llu", (unsigned long long)env->id);
        rc->included++;
        return 0;
    }
    if (!aegis_seq_envelope_intact(p, env))
        return 0;   /* corrupted: stays "pending" in the log, never "rejected" */
    rc->err = aegis_seq_replay_add(rc->r, env);
    return rc->err ? 1 : 0;
}

static aegis_err restore(struct aegis_seq *p, const char **detail)
{
    uint64_t last = 0;
    /* key epochs first: every batch is checked under its epoch's key */
    aegis_err err = aegis_store_range(p->store, "handover", 2, UINT64_MAX, restore_handover_cb, p);
    if (!err && aegis_store_last(p->store, "handover", &last) == AEGIS_OK && last != p->n_handovers + 1) {
        *detail = "persisted key hand-overs do not continue each other or do not verify";
        return AEGIS_ERR_CORE_RESTORE;
    }
    last = 0;
    /* the restart snapshot stands for batches 1..S (verified when saved) */
    uint64_t from = 1;
    if (!err)
        err = aegis_seq_snapshot_restore(p, &from);
    if (err == AEGIS_ERR_CORE_FORK) {
        *detail = "the store holds another batch under a number this sequencer signed (hwm.sealed)";
        return err;
    }
    if (!err)
        err = aegis_store_range(p->store, "batch", from, UINT64_MAX, restore_batch_cb, p);
    if (!err && aegis_store_last(p->store, "batch", &last) == AEGIS_OK && last != p->last_batch) {
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
        err = aegis_store_range(p->store, "seal", seals_before + 1, UINT64_MAX, restore_seal_cb, p);
    if (!err && aegis_store_last(p->store, "seal", &last) != AEGIS_OK)
        last = 0;   /* none: fine unless the snapshot covers some */
    if (!err && last != seals_before + p->n_seals) {
        *detail = last < seals_before
                      ? "the store lost seals the restart snapshot covers: bring them back with aegis recover"
                      : "persisted seals do not continue each other or are not signed by this sequencer's key";
        return AEGIS_ERR_CORE_RESTORE;
    }
    p->n_checkpoints = p->snap.checkpoints;   /* covered by the snapshot */
    if (!err)
        err = aegis_store_range(p->store, "checkpoint", p->snap.checkpoints + 1, UINT64_MAX, restore_ckpt_cb, p);
    if (!err && aegis_store_last(p->store, "checkpoint", &last) != AEGIS_OK)
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
    aegis_seq_restore_decisions(p);
    uint8_t *migs = NULL;
    size_t migs_len = 0;
    if (aegis_store_meta_get(p->store, "migrations", &migs, &migs_len) == AEGIS_OK) {
        err = aegis_core_restore_migrations(p->core, (const char *)migs, migs_len);
        aegis_free(migs);
        if (err) {
            *detail = "persisted migration state is malformed";
            return err;
        }
    }
    err = aegis_seq_restore_registry(p, detail);
    if (err)
        return err;
    uint8_t *risk = NULL;
    size_t risk_len = 0;
    if (aegis_store_meta_get(p->store, "risk_state", &risk, &risk_len) == AEGIS_OK) {
        err = aegis_core_restore_risk(p->core, (const char *)risk, risk_len);
        aegis_free(risk);
        if (err) {
            *detail = "persisted risk state is malformed";
            return err;
        }
    }
    struct replay_ctx rc = { .p = p };
    err = aegis_seq_replay_new(p, open_threads(p), &rc.r);
    if (!err)
        err = aegis_store_env_range_pending(p->store, 1, UINT64_MAX, replay_cb, &rc);
    if (!err)
        err = rc.err;
    if (!err)
        aegis_seq_replay_finish(rc.r, &rc.replayed, &rc.rejected);
    aegis_seq_replay_free(rc.r);
    if (err) {
        *detail = "cannot replay the envelope log";
        return err;
    }
    record_dropped(p);
    err = aegis_seq_finish_restore(p, detail);
    if (err)
        return err;
    AEGIS_LOGI(MOD, "restored", "batches=%llu snapshot=%llu seals=%zu replayed=%llu included=%llu rejected=%llu",
               (unsigned long long)p->restored, (unsigned long long)p->snap.batch, p->n_seals, (unsigned long long)rc.replayed,
               (unsigned long long)rc.included, (unsigned long long)rc.rejected);
    return AEGIS_OK;
}

/* One deferred aegis_sendEncryptedTransaction: what the reply needs. */
struct send_ctx {
    aegis_rpc_deferred *dr;
    aegis_rpc_budget *refused;
    size_t len;
    char peer[64];
};

/* The reply to a deferred aegis_sendEncryptedTransaction (ingest thread, or
 * the handler's own when the envelope check refused it at once). */
static void send_done(void *arg, const aegis_ingest_result *res)
{
    struct send_ctx *sc = arg;
    if (aegis_seq_refused_by_content(res->err))
        aegis_rpc_budget_charge(sc->refused, sc->peer, sc->len, aegis_seq_mono_ms());
    if (res->err)
        aegis_rpc_finish(sc->dr, res->err, NULL, res->detail);
    else
        aegis_rpc_finish_text(sc->dr, res->receipt, strlen(res->receipt));
    aegis_free(sc);
}

/* aegis_sendEncryptedTransaction: durable append, admission and a signed
 * receipt, grouped with the submissions around it; nothing is acknowledged
 * that is not in the log. Deferred when the server allows it: the HTTP
 * connection waits suspended, no server thread does. */
static aegis_err local_submit(struct aegis_seq *p, const aegis_rpc_call *call, uint8_t *env, size_t len,
                              json_t **ret, const char **detail)
{
    aegis_rpc_deferred *dr = aegis_rpc_defer(call);
    struct send_ctx *sc = dr ? aegis_calloc(1, sizeof(*sc)) : NULL;
    if (sc) {
        *sc = (struct send_ctx){ .dr = dr, .refused = p->refused, .len = len };
        if (call->peer)
            snprintf(sc->peer, sizeof(sc->peer), "%s", call->peer);
        aegis_err err = aegis_ingest_submit(p->ingest, env, len, send_done, sc);
        if (err) {
            aegis_free(sc);
            aegis_rpc_finish(dr, err, NULL, NULL);
        }
        return AEGIS_OK;
    }
    if (dr) {
        aegis_free(env);
        aegis_rpc_finish(dr, AEGIS_ERR_NOMEM, NULL, NULL);
        return AEGIS_OK;
    }
    uint64_t id = 0;
    char *receipt = NULL;
    aegis_err err = aegis_ingest_submit_wait(p->ingest, env, len, &id, &receipt, detail);
    if (!err) {
        *ret = json_loads(receipt, 0, NULL);
        if (!*ret) {
            err = AEGIS_ERR_INTERNAL;
            *detail = "admitted, but the receipt could not be returned; query aegis_getReceipt";
        }
    }
    aegis_free(receipt);
    return err;
}

/* a control record: applied at once, with this node's clock */
static aegis_err local_control(struct aegis_seq *p, const char *kind, const char *json, size_t len, json_t **ret,
                               const char **detail)
{
    return aegis_seq_apply_control(p, kind, json, len, aegis_wall_ms(), ret, detail);
}

/* ---- the backend ---- */

/* a single node's store is the truth: no new keys over a used one */
static aegis_err local_prepare(struct aegis_seq *p, const char **detail)
{
    return aegis_seq_check_keys(p, detail);
}

static aegis_err local_start(struct aegis_seq *p, const char **detail)
{
    aegis_err err = restore(p, detail);
    if (err)
        return err;
    if (aegis_seq_index_start(p) != AEGIS_OK)
        AEGIS_LOGW(MOD, "cannot start the receipt indexer: old receipts read unknown until restart", NULL);
    aegis_ingest_opts io = {
        .commit_interval_us = p->cfg->storage_ingest_interval_us ? p->cfg->storage_ingest_interval_us
                                                                 : AEGIS_INGEST_NO_PACING,
        .open_threads = open_threads(p),
        .open_on_submit = true,   /* on the RPC server's threads */
        .on_group = on_ingest_group, .on_group_arg = p,
    };
    err = aegis_ingest_new(&p->ingest, p->core, p->store, &io);
    if (err) {
        *detail = "cannot start the submission pipeline";
        return err;
    }
    if (pthread_create(&p->cutter, NULL, cutter_main, p) != 0) {
        *detail = "cannot start the batch cutter";
        return AEGIS_ERR_INTERNAL;
    }
    p->cutter_started = true;
    return AEGIS_OK;
}

static void local_drain(struct aegis_seq *p)
{
    aegis_ingest_free(p->ingest);
    p->ingest = NULL;
}

static void local_stop(struct aegis_seq *p)
{
    if (p->cutter_started)
        pthread_join(p->cutter, NULL);
    p->cutter_started = false;
    if (p->started)
        aegis_seq_snapshot_save(p, true);
}

const struct aegis_seq_log aegis_seq_log_local = {
    .name = "local",
    .replicated = false,
    .prepare = local_prepare,
    .start = local_start,
    .drain = local_drain,
    .stop = local_stop,
    .submit = local_submit,
    .submit_control = local_control,
};
