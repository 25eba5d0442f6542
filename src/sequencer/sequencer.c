/* sequencer.c - the sequencer on the host side, over either log
 * (seq_int.h, struct aegis_seq_log): the published-batch index, landing a
 * cut batch (persist, index, commit), checkpoints, rotations and seals, the
 * sealer thread, start and stop.
 *
 * Durability order (DESIGN.md section 8): an envelope is durable in the log
 * before the core sees it; a batch is inserted (insert-only, by number)
 * before the core commits it and before anyone can read it. After a crash
 * the state is rebuilt from the log: a single node restores its persisted
 * batches and replays pending envelopes (log_local.c), a cluster worker
 * applies the replicated stream again (cluster.c). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aegis/json.h"
#include "aegis/log.h"
#include "seq_int.h"

#define MOD "pipeline"

/* ---- published-batch index ---- */

static aegis_err hashes_put(struct aegis_seq *p, uint64_t number, const uint8_t hash[32])
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

/* Index a published batch from the core's facts (caller holds p->lock). */
aegis_err aegis_seq_index_batch(struct aegis_seq *p, const aegis_core_batch *b)
{
    uint8_t key[32];
    if (b->number == 0)
        return AEGIS_ERR_CHAIN_FORMAT;
    for (size_t i = 0; i < b->n; i++) {
        aegis_err err = aegis_seq_pindex_put(&p->index, b->tx_hashes[i], b->number, (uint32_t)i);
        if (err)
            return err;
        aegis_seq_pindex_id_key(key, b->envelope_ids[i]);
        err = aegis_seq_pindex_put(&p->index, key, b->number, (uint32_t)i);
        if (err)
            return err;
    }
    aegis_err err = hashes_put(p, b->number, b->hash);
    if (!err && b->number > p->last_batch)
        p->last_batch = b->number;
    return err;
}

/* The same facts read back from a batch this node persisted (and the core
 * verified when it was made, or at the snapshot it belongs to). */
aegis_err aegis_seq_index_stored(struct aegis_seq *p, const char *json, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(json, len, 0, &jerr);
    json_t *txs = json_object_get(j, "txs");
    uint64_t number = 0;
    size_t n = json_array_size(txs);
    aegis_core_batch b = { 0 };
    aegis_err err = AEGIS_ERR_CHAIN_FORMAT;
    if (!j || !json_is_array(txs) || !aegis_json_u64(json_object_get(j, "number"), UINT64_MAX, &number) ||
        !aegis_json_hex_exact(json_object_get(j, "hash"), b.hash, 32))
        goto out;
    err = AEGIS_ERR_NOMEM;
    b.envelope_ids = aegis_malloc(n ? n * sizeof(uint64_t) : 1);
    b.tx_hashes = aegis_malloc(n ? n * 32 : 1);
    if (!b.envelope_ids || !b.tx_hashes)
        goto out;
    err = AEGIS_ERR_CHAIN_FORMAT;
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(txs, i);
        if (!aegis_json_hex_exact(json_object_get(t, "hash"), b.tx_hashes[i], 32) ||
            !aegis_json_u64(json_object_get(t, "envelope_id"), UINT64_MAX, &b.envelope_ids[i]))
            goto out;
    }
    b.number = number;
    b.n = n;
    err = aegis_seq_index_batch(p, &b);
out:
    aegis_free(b.envelope_ids);
    aegis_free(b.tx_hashes);
    json_decref(j);
    return err;
}

void aegis_seq_add_seal(struct aegis_seq *p, uint64_t number, uint64_t first, uint64_t count)
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

/* ---- cutting ---- */

/* The per-asset migration set, persisted whenever a commit changed it
 * (a lost update after a crash is rebuilt from the next migration txs and
 * is covered by the latest checkpoint). */
static void persist_migrations(struct aegis_seq *p)
{
    uint64_t version = 0;
    char *json = NULL;
    if (aegis_core_migration_state(p->core, &version, &json) != AEGIS_OK)
        return;
    if (version != p->migs_version &&
        aegis_store_meta_put(p->store, "migrations", (const uint8_t *)json, strlen(json)) == AEGIS_OK)
        p->migs_version = version;
    aegis_free(json);
}

void aegis_seq_deadline_after(struct timespec *ts, uint64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

bool aegis_seq_batch_json_hash_is(const uint8_t *json, size_t len, const uint8_t hash[32])
{
    uint8_t h[32];
    json_t *j = json_loadb((const char *)json, len, 0, NULL);
    bool same = j && aegis_json_hex_exact(json_object_get(j, "hash"), h, 32) && memcmp(h, hash, 32) == 0;
    json_decref(j);
    return same;
}

bool aegis_seq_stored_hash_is(struct aegis_seq *p, uint64_t number, const uint8_t hash[32])
{
    uint8_t *val = NULL;
    size_t len = 0;
    if (aegis_store_get(p->store, "batch", number, &val, &len) != AEGIS_OK)
        return false;
    bool same = aegis_seq_batch_json_hash_is(val, len, hash);
    aegis_free(val);
    return same;
}

aegis_err aegis_seq_land_batch(struct aegis_seq *p, aegis_core_batch *b, bool include)
{
    aegis_err err = aegis_store_put_with_status(p->store, "batch", b->number, (const uint8_t *)b->json, b->json_len,
                                                true, b->envelope_ids, include ? b->n : 0, AEGIS_ENV_INCLUDED);
    if (err == AEGIS_ERR_EXISTS && p->log->replicated) {
        /* this worker's cache from an earlier run, rebuilt from the log:
         * the same header, new signatures (the seals re-signed to match).
         * A different header would be a second content for a number this
         * worker published before (a reset log): refused, nothing released. */
        err = aegis_seq_stored_hash_is(p, b->number, b->hash)
                  ? aegis_store_put(p->store, "batch", b->number, (const uint8_t *)b->json, b->json_len)
                  : AEGIS_ERR_CLUSTER_GENESIS;
    }
    if (err) {
        /* not persisted: not published, nothing committed; the txs stay */
        aegis_core_abort_batch(p->core, b);
        return err;
    }
    /* persisted = published: index it before anything else, so a receipt
     * query never sees a committed batch it cannot find */
    pthread_mutex_lock(&p->lock);
    if (aegis_seq_index_batch(p, b) != AEGIS_OK)
        AEGIS_LOGW(MOD, "cannot index batch", "number=%llu", (unsigned long long)b->number);
    pthread_mutex_unlock(&p->lock);
    err = aegis_core_commit_batch(p->core, b);
    if (err)
        AEGIS_LOGE(MOD, "commit failed", "number=%llu err=%s", (unsigned long long)b->number, aegis_err_name(err));
    persist_migrations(p);
    return AEGIS_OK;
}

void aegis_seq_published(struct aegis_seq *p)
{
    pthread_mutex_lock(&p->lock);
    p->batches++;
    pthread_cond_broadcast(&p->published);
    pthread_mutex_unlock(&p->lock);
}

/* Insert-only, as every signed record. A cluster worker rebuilds its state
 * from the replicated log at start, so it signs again what its cache already
 * holds from an earlier run (the same batches, new signatures): it replaces
 * its own cached copy. */
aegis_err aegis_seq_persist_record(struct aegis_seq *p, const char *coll, uint64_t key, const char *json)
{
    aegis_err err = aegis_store_insert(p->store, coll, key, (const uint8_t *)json, strlen(json));
    if (err == AEGIS_ERR_EXISTS && p->log->replicated)
        err = aegis_store_put(p->store, coll, key, (const uint8_t *)json, strlen(json));
    return err;
}

/* A checkpoint when due (interval or risk level change): make (slow, SLH-DSA)
 * -> persist insert-only -> commit. */
void aegis_seq_checkpoint_at(struct aegis_seq *p, uint64_t now_ms)
{
    if (!aegis_core_checkpoint_due(p->core))
        return;
    char *json = NULL;
    uint64_t number = 0;
    /* a replicated log's worker rebuilding: its cached checkpoint of that
     * number is taken back when it is exactly the one due (not signed again) */
    uint8_t *cached = NULL;
    size_t cached_len = 0;
    if (p->log->replicated &&
        aegis_store_get(p->store, "checkpoint", __atomic_load_n(&p->n_checkpoints, __ATOMIC_RELAXED) + 1, &cached,
                        &cached_len) != AEGIS_OK)
        cached = NULL;
    aegis_err err = aegis_core_checkpoint_make_cached(p->core, now_ms, (const char *)cached, cached_len, &number, &json);
    aegis_free(cached);
    if (err || !json) {
        if (err)
            AEGIS_LOGE(MOD, "checkpoint failed", "err=%s", aegis_err_name(err));
        return;
    }
    err = aegis_seq_persist_record(p, "checkpoint", number + 1, json);
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
void aegis_seq_rotate_at(struct aegis_seq *p, uint64_t now_ms)
{
    char *json = NULL;
    uint64_t epoch = 0;
    aegis_err err = aegis_core_rotate_prepare(p->core, now_ms, &epoch, &json);
    if (err || !json) {
        if (err)
            AEGIS_LOGE(MOD, "key rotation failed", "err=%s", aegis_err_name(err));
        return;
    }
    err = aegis_seq_persist_record(p, "handover", epoch, json);
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

/* The seal the core committed last, in the seal index (membership of the
 * batches it covers is attached when they are read). */
void aegis_seq_add_last_seal(struct aegis_seq *p)
{
    uint64_t number, first, count;
    if (!aegis_core_last_seal(p->core, &number, &first, &count))
        return;
    pthread_mutex_lock(&p->lock);
    aegis_seq_add_seal(p, number, first, count);
    pthread_mutex_unlock(&p->lock);
}

/* A replicated log's worker rebuilds batches its cache already sealed. It
 * takes its own cached seal of the next number back (the core checks our
 * signature and that it covers exactly the next unsealed batches) instead
 * of sealing those batches under a window of its own, so a seal number
 * keeps its content across restarts. Returns 1 adopted, 0 none cached or it
 * does not fit (seal anew, replacing it), -1 wait: it covers batches not
 * rebuilt yet. Caller holds seal_mu. */
static int adopt_cached_seal(struct aegis_seq *p, bool force)
{
    uint64_t number = 0, first = 0, count = 0, cf = 0, cc = 0;
    (void)aegis_core_last_seal(p->core, &number, &first, &count);
    uint8_t *val = NULL;
    size_t len = 0;
    if (aegis_store_get(p->store, "seal", number + 1, &val, &len) != AEGIS_OK)
        return 0;
    int r = 0;
    if (aegis_core_restore_seal(p->core, (const char *)val, len) == AEGIS_OK) {
        aegis_seq_add_last_seal(p);
        r = 1;
    } else {
        json_t *j = json_loadb((const char *)val, len, 0, NULL);
        bool ahead = aegis_json_u64(json_object_get(j, "first"), UINT64_MAX / 2, &cf) &&
                     aegis_json_u64(json_object_get(j, "count"), UINT64_MAX / 2, &cc) && cc > 0 &&
                     cf + cc - 1 > __atomic_load_n(&p->last_batch, __ATOMIC_RELAXED);
        json_decref(j);
        r = ahead && !force ? -1 : 0;
    }
    aegis_free(val);
    return r;
}

bool aegis_seq_seal(struct aegis_seq *p, bool force)
{
    char *json = NULL;
    uint64_t number = 0;
    pthread_mutex_lock(&p->seal_mu);
    int adopted = 0, r = 0;
    while (p->log->replicated && adopted < 4096 && (r = adopt_cached_seal(p, force)) > 0)
        adopted++;
    if (adopted || r < 0) {
        pthread_mutex_unlock(&p->seal_mu);
        if (adopted)
            AEGIS_LOGI(MOD, "cached seals taken back", "seals=%d", adopted);
        return adopted > 0;
    }
    uint64_t t0 = aegis_now_ns();
    aegis_err err = aegis_core_seal_pending(p->core, force, &number, &json);
    if (!err && json) {
        err = aegis_seq_persist_record(p, "seal", number, json);
        if (!err)
            err = aegis_core_seal_commit(p->core, json, strlen(json));
        if (err) {
            AEGIS_LOGE(MOD, "seal not persisted", "seal=%llu err=%s", (unsigned long long)number,
                       aegis_err_name(err));
        } else {
            aegis_seq_add_last_seal(p);
            AEGIS_LOGI(MOD, "seal", "seal=%llu took_ms=%llu", (unsigned long long)number,
                       (unsigned long long)((aegis_now_ns() - t0) / 1000000));
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
 * cadence.c (a cluster's checkpoints come at log positions). */
static void *sealer_main(void *arg)
{
    struct aegis_seq *p = arg;
    aegis_thread_name("seq-sealer");
    struct aegis_seq_cadence cad;
    aegis_seq_cadence_init(&cad, p->cfg, aegis_now_ns());
    aegis_seq_cadence_background();
    unsigned tick = 0;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec ts;
        aegis_seq_deadline_after(&ts, 100);
        pthread_cond_timedwait(&p->published, &p->lock, &ts);
        if (p->stop)
            break;
        pthread_mutex_unlock(&p->lock);
        /* the watched risk file: an assessment through the log */
        aegis_seq_poll_risk_file(p);
        if (!p->log->replicated) {
            /* a cluster changes keys, and checkpoints, only at positions
             * of its log (cluster.c): the checkpoint is named by the next
             * batch header, the same on every worker */
            aegis_seq_rotate_at(p, aegis_wall_ms());
            if (aegis_core_checkpoint_due(p->core) &&
                aegis_seq_cadence_checkpoint(&cad, aegis_now_ns(), aegis_core_checkpoint_urgent(p->core))) {
                cad.last_ckpt_ns = aegis_now_ns();
                cad.have_ckpt = true;
                aegis_seq_checkpoint_at(p, aegis_wall_ms());
            }
        }
        /* about once a second: audit records a failed registry write left
         * behind are written again (a no-op when none are pending) */
        if (++tick % 10 == 0) {
            (void)aegis_seq_persist_registry(p, NULL);
            aegis_seq_store_probe(p, false);
        }
        /* a key rotation under way waits for the seal window to close:
         * seal it now, whatever the cadence */
        bool force = !p->log->replicated && aegis_core_rotation_due(p->core, aegis_wall_ms());
        uint64_t t0 = aegis_now_ns();
        if ((force || aegis_seq_cadence_seal(&cad, t0, &force)) && (aegis_seq_seal(p, force) || force))
            aegis_seq_cadence_sealed(&cad, t0, aegis_now_ns());
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* ---- lifecycle ---- */

static void pipeline_free(struct aegis_seq *p)
{
    if (!p)
        return;
    aegis_core_free(p->core);
    aegis_seq_pindex_clear(&p->index);
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
    struct aegis_seq *p = arg;
    pthread_mutex_lock(&p->lock);
    uint64_t last = p->last_batch, batches = p->batches, fails = p->batch_failures;
    pthread_mutex_unlock(&p->lock);
    aegis_ingest_stats is = { 0 };
    if (p->ingest)
        aegis_ingest_get_stats(p->ingest, &is);
    is.groups += __atomic_load_n(&p->receipt_groups, __ATOMIC_RELAXED);
    is.admitted += __atomic_load_n(&p->receipts_signed, __ATOMIC_RELAXED);
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
        p->cfg->tee_primary && strcmp(p->cfg->tee_primary, "sim") == 0) != AEGIS_OK)
        return;   /* the scrape shows what fitted */
    if (p->log->metrics)
        p->log->metrics(p, out);
}

aegis_err aegis_seq_start(const aegis_config *cfg, aegis_store *store, aegis_rpc_server *rpc, aegis_seq **ret,
                          const char **detail)
{
    *ret = NULL;
    struct aegis_seq *p = aegis_calloc(1, sizeof(*p));
    if (!p) {
        *detail = "out of memory";
        return AEGIS_ERR_NOMEM;
    }
    p->cfg = cfg;
    p->store = store;
    p->rpc = rpc;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->reg_lock, NULL);
    pthread_mutex_init(&p->seal_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->published, &ca);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    p->interval_ms = cfg->batch_interval_ms ? cfg->batch_interval_ms : 1000;
    p->max_batch = cfg->batch_max;

    p->log = cfg->cluster_nats_urls.n > 0 ? &aegis_seq_log_jetstream : &aegis_seq_log_local;

    aegis_err err = p->log->prepare(p, detail);
    if (!err)
        err = aegis_core_new(&p->core, cfg, cfg->data_dir, detail);
    if (!err)
        err = p->log->start(p, detail);
    if (err)
        goto fail;
    err = aegis_seq_register(p);
    if (!err)
        err = aegis_seq_register_assets(p);
    if (!err)
        err = aegis_rpc_add_metrics_source(rpc, metrics_cb, p);
    if (!err)
        err = aegis_seq_tee_register(p);
    if (err) {
        *detail = "cannot register pipeline methods";
        goto fail;
    }
    if (pthread_create(&p->sealer, NULL, sealer_main, p) != 0) {
        *detail = "cannot start the sealer";
        err = AEGIS_ERR_INTERNAL;
        goto fail;
    }
    p->sealer_started = true;
    aegis_seq_store_probe(p, true);   /* a read-only store shows at once */
    (void)aegis_rpc_health_set(rpc, "pipeline", AEGIS_HEALTH_OK, "cutting batches");
    (void)aegis_rpc_health_set(rpc, "tee", AEGIS_HEALTH_OK,
                               strcmp(cfg->tee_primary, "sim") == 0 ? "sim: INSECURE, no hardware protection"
                                                                     : cfg->tee_primary);
    if (aegis_core_is_degraded(p->core))
        (void)aegis_rpc_health_set(rpc, "tee_backup", AEGIS_HEALTH_DEGRADED,
                                   "the backup TEE did not attest: batches carry the primary attestation only");
    p->started = true;   /* restored and running: from now on stop may persist */
    *ret = p;
    return AEGIS_OK;
fail:
    aegis_seq_stop(p);
    return err;
}

void aegis_seq_closing(aegis_seq *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->closing = true;
    pthread_cond_broadcast(&p->published);
    pthread_mutex_unlock(&p->lock);
}

void aegis_seq_stop(aegis_seq *p)
{
    if (!p)
        return;
    /* answer every submission already accepted before the cutter stops */
    p->log->drain(p);
    pthread_mutex_lock(&p->lock);
    __atomic_store_n(&p->stop, true, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->wake);
    pthread_cond_broadcast(&p->published);
    pthread_mutex_unlock(&p->lock);
    if (p->sealer_started)
        pthread_join(p->sealer, NULL);
    aegis_seq_wait_stop(p);
    aegis_seq_index_join(p);
    p->log->stop(p);
    /* a last try for registry changes a failed write left unpersisted */
    if (p->started && aegis_seq_persist_registry(p, NULL) != AEGIS_OK)
        AEGIS_LOGW(MOD, "registry changes not persisted at shutdown", NULL);
    pipeline_free(p);
}

void aegis_seq_status(aegis_seq *p, json_t *out)
{
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
    if (p->log->status)
        p->log->status(p, out);
}
