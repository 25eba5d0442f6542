/*
 * cluster_state.c - a cluster worker restarts from its own sealed state and
 * catches up from the log after it (docs/internals/cluster.md, "Restart").
 *
 * The applier saves the core's state (aegis_core_state_save) right after it
 * applied a cut record that made a batch, every STATE_EVERY batches or
 * STATE_MS, and at a clean stop when the last record applied is a cut. The
 * host's facts of that position go inside the same sealed file: the log
 * sequence P of that cut record and the hash of its bytes, and how many risk
 * decisions were recorded. At start the worker checks that the log still
 * holds that very record at P (a log reset or another stream is refused:
 * the state would skip records), that its store holds the state's batch S
 * and the key hand-overs up to the state's epoch, restores the hand-overs,
 * applies the state, and reads the log from P + 1. Batches 1..S are indexed
 * in the background as on a single node's snapshot restart; this worker does
 * not co-attest them again. Without a usable state the worker applies the
 * log from its first record, as before. Host side: the state is sealed.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aegis/hash.h"
#include "aegis/log.h"
#include "cluster_int.h"

#define MOD "cluster"
#define STATE_EVERY 500                    /* batches */
#define STATE_NS (5000ull * 1000000ull)    /* or this long, with a batch since */

#define FACTS_MAGIC "AEGH"
#define FACTS_LEN (4 + 8 + 32 + 8)

void aegis_seq_cl_state_save(struct aegis_seq_cluster *k, bool now)
{
    struct aegis_seq *p = k->p;
    uint8_t facts[FACTS_LEN];
    uint64_t t = aegis_now_ns();
    pthread_mutex_lock(&p->lock);
    uint64_t last = p->last_batch;
    bool due = !k->diverged && k->applied == k->last_cut_seq && k->last_cut_seq > 0 && last > k->state_batch &&
               (now || last >= k->state_batch + STATE_EVERY || t - k->state_ns >= STATE_NS);
    memcpy(facts, FACTS_MAGIC, 4);
    aegis_put_be64(facts + 4, k->applied);
    memcpy(facts + 12, k->last_cut_hash, 32);
    aegis_put_be64(facts + 44, p->n_decisions);
    pthread_mutex_unlock(&p->lock);
    if (!due)
        return;
    uint64_t s = 0;
    aegis_err err = aegis_core_state_save(p->core, facts, sizeof(facts), &s);
    k->state_ns = t;   /* a failure is retried after STATE_NS, not on every cut */
    if (err) {
        AEGIS_LOGW(MOD, "worker state not saved", "err=%s", aegis_err_name(err));
        return;
    }
    pthread_mutex_lock(&p->lock);
    k->state_batch = s;
    k->state_seq = aegis_get_be64(facts + 4);
    pthread_mutex_unlock(&p->lock);
    AEGIS_LOGI(MOD, "worker state saved", "batch=%llu seq=%llu ms=%llu", (unsigned long long)s,
               (unsigned long long)aegis_get_be64(facts + 4), (unsigned long long)((aegis_now_ns() - t) / 1000000));
}

aegis_err aegis_seq_cl_leader_holds(struct aegis_seq_cluster *k, uint64_t seq, const uint8_t hash[32], unsigned tries)
{
    for (unsigned i = 0; tries == 0 || i < tries; i++) {
        uint8_t h[32];
        aegis_cluster_kind kind = AEGIS_CLUSTER_OTHER;
        if (i)
            nanosleep(&(struct timespec){ 0, 200 * 1000000L }, NULL);   /* a stream electing its leader */
        aegis_err err = aegis_cluster_log_at(k->c, seq, h, &kind);
        if (err == AEGIS_ERR_NOT_FOUND || (!err && (kind != AEGIS_CLUSTER_CUT || memcmp(h, hash, 32) != 0)))
            return AEGIS_ERR_CLUSTER_GENESIS;
        if (!err)
            return AEGIS_OK;
        if (aegis_seq_cl_stopping(k->p))
            break;
    }
    return AEGIS_ERR_CLUSTER_NO_QUORUM;
}

/* The marker and the state's file, under data_dir. */
static bool data_path(const struct aegis_seq *p, const char *name, char *out, size_t cap)
{
    const char *dir = p->cfg->data_dir ? p->cfg->data_dir : ".";
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap;
}

void aegis_seq_cl_rebuild(struct aegis_seq_cluster *k)
{
    char from[4096], to[4096], marker[4096];
    if (data_path(k->p, "state.sealed", from, sizeof(from)) && data_path(k->p, "state.sealed.diverged", to, sizeof(to)))
        (void)rename(from, to);   /* absent: nothing to set aside */
    FILE *f = data_path(k->p, "cluster-read-leader", marker, sizeof(marker)) ? fopen(marker, "w") : NULL;
    if (f) {
        fputs("the copy of the log this worker read diverged from the stream leader's: read it from the leader\n", f);
        fclose(f);
    } else {
        AEGIS_LOGE(MOD, "cannot write the marker file: the restarted worker reads from a consumer again", NULL);
    }
    AEGIS_LOGW(MOD, "restarting in place to rebuild from the log", NULL);
    (void)kill(getpid(), SIGUSR2);
}

bool aegis_seq_cl_read_leader_marker(struct aegis_seq *p)
{
    char marker[4096];
    return data_path(p, "cluster-read-leader", marker, sizeof(marker)) && unlink(marker) == 0;
}

/* The store holds batch S with the state's hash and hand-overs 2..epoch. */
static bool store_matches(struct aegis_seq *p, const aegis_core_state_info *info, uint8_t **ret_json,
                          size_t *ret_len)
{
    uint64_t last = 0;
    return aegis_store_get(p->store, "batch", info->batch, ret_json, ret_len) == AEGIS_OK &&
           aegis_seq_batch_json_hash_is(*ret_json, *ret_len, info->hash) &&
           (info->epoch <= 1 || (aegis_store_last(p->store, "handover", &last) == AEGIS_OK && last >= info->epoch));
}

aegis_err aegis_seq_cl_state_restore(struct aegis_seq_cluster *k, const char **detail)
{
    struct aegis_seq *p = k->p;
    aegis_core_state_info info;
    aegis_err err = aegis_core_state_open(p->core, &info);
    if (err == AEGIS_ERR_NOT_FOUND)
        return AEGIS_OK;
    uint8_t *batch = NULL;
    size_t batch_len = 0;
    if (err || info.host_len != FACTS_LEN || memcmp(info.host, FACTS_MAGIC, 4) != 0) {
        AEGIS_LOGW(MOD, "worker state does not unseal: applying the log from its start", "err=%s",
                   aegis_err_name(err ? err : AEGIS_ERR_CORE_MARK));
        err = AEGIS_OK;
        goto out;
    }
    uint64_t seq = aegis_get_be64(info.host + 4);
    if (!store_matches(p, &info, &batch, &batch_len)) {
        AEGIS_LOGW(MOD, "the store does not hold the worker state's batch or hand-overs: applying the log from its start",
                   "batch=%llu", (unsigned long long)info.batch);
        goto out;
    }
    err = aegis_seq_cl_leader_holds(k, seq, info.host + 12, 25);
    if (err) {
        *detail = err == AEGIS_ERR_CLUSTER_GENESIS
                      ? "the replicated log does not hold the record this worker's sealed state was taken at "
                        "(a reset or another stream): refused"
                      : "cannot read the replicated log at this worker's sealed state";
        AEGIS_LOGE(MOD, *detail, "seq=%llu err=%s", (unsigned long long)seq, aegis_err_name(err));
        goto out;
    }
    /* from here the core changes: a failure stops the worker */
    for (uint64_t e = 2; e <= info.epoch && !err; e++) {
        uint8_t *h = NULL;
        size_t hl = 0;
        err = aegis_store_get(p->store, "handover", e, &h, &hl);
        if (!err)
            err = aegis_core_restore_handover(p->core, (const char *)h, hl);
        aegis_free(h);
    }
    if (err)
        *detail = "the key hand-overs up to the sealed state's epoch do not restore";
    if (!err)
        err = aegis_core_state_apply(p->core, (const char *)batch, batch_len, &info, detail);
    if (!err)
        err = aegis_seq_restore_orphans(p, info.rollbacks);
    if (err) {
        AEGIS_LOGE(MOD, "worker state not applied: remove state.sealed to rebuild from the log", "err=%s detail=\"%s\"",
                   aegis_err_name(err), *detail ? *detail : "");
        goto out;
    }
    pthread_mutex_lock(&p->lock);
    p->last_batch = info.batch;
    p->snap = (aegis_core_snapshot_info){ .batch = info.batch, .next_seal = info.next_seal,
                                          .checkpoints = info.checkpoints };
    p->snap_last = info.batch;
    p->n_checkpoints = info.checkpoints;
    p->n_handovers = info.epoch ? info.epoch - 1 : 0;
    p->n_decisions = aegis_get_be64(info.host + 44);
    k->applied = seq;
    k->last_cut_seq = seq;
    memcpy(k->last_cut_hash, info.host + 12, 32);
    k->state_batch = info.batch;
    k->state_seq = seq;
    k->state_ns = aegis_now_ns();
    /* batches 1..S were judged before the state was taken */
    for (uint64_t n = info.batch; n >= 1; n--) {
        struct cl_batch *b = aegis_seq_cl_slot(k, n);
        if (!b)
            break;
        b->judged = true;
    }
    pthread_mutex_unlock(&p->lock);
    if (aegis_seq_index_start(p) != AEGIS_OK)
        AEGIS_LOGW(MOD, "cannot start the receipt indexer: old receipts read unknown until restart", NULL);
    AEGIS_LOGI(MOD, "restored from the sealed worker state", "batch=%llu seq=%llu epoch=%llu pending=%zu",
               (unsigned long long)info.batch, (unsigned long long)seq, (unsigned long long)info.epoch,
               aegis_core_pending_count(p->core));
out:
    aegis_free(batch);
    aegis_core_state_info_clear(&info);
    return err;
}
