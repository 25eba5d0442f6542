/* cluster_leader.c - a cluster worker's leader side (docs/internals/cluster.md):
 * the lease (create-if-absent, renewed by revision), fenced cut records,
 * completing what a previous leader cut but did not publish, the repair pass,
 * heartbeats and NATS health, and the join service (live-worker health is
 * cl-status's, cluster_status.c). Host side. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aegis/cluster.h"
#include "aegis/json.h"
#include "aegis/log.h"
#include "cluster_int.h"

#define MOD "cluster"

/* ---- the leader ---- */

static void become_leader(struct aegis_seq_cluster *k)
{
    struct aegis_seq *p = k->p;
    pthread_mutex_lock(&p->lock);
    k->leader = true;
    uint64_t from = k->pub_max + 1, to = p->last_batch;
    pthread_mutex_unlock(&p->lock);
    AEGIS_LOGW(MOD, "leading", "worker=%s", k->worker);
    /* complete what the previous leader cut but did not publish */
    for (uint64_t n = from; n <= to; n++)
        aegis_seq_cl_publish_own(k, n);
}

/* The lease holder seen (caller holds p->lock): a change from one worker to
 * another is a failover, seen the same by every worker. */
static void note_holder(struct aegis_seq_cluster *k, const char *holder)
{
    snprintf(k->holder, sizeof(k->holder), "%s", holder);
    if (!holder[0])
        return;
    if (k->last_leader[0] && strcmp(k->last_leader, holder) != 0)
        k->failovers++;
    snprintf(k->last_leader, sizeof(k->last_leader), "%s", holder);
}

static void lease_step(struct aegis_seq_cluster *k)
{
    struct aegis_seq *p = k->p;
    /* what this worker applied is not the stream leader's log: it must not
     * cut (its fence would never hold); the next worker takes over */
    pthread_mutex_lock(&p->lock);
    bool give_up = k->leader && k->diverged;
    if (give_up)
        k->leader = false;
    pthread_mutex_unlock(&p->lock);
    if (give_up) {
        aegis_cluster_lease_release(k->c, k->lease_rev);
        AEGIS_LOGW(MOD, "lease given up: this worker's copy of the log diverged", "worker=%s", k->worker);
        return;
    }
    if (k->leader) {
        if (aegis_cluster_lease_renew(k->c, &k->lease_rev) == AEGIS_OK) {
            pthread_mutex_lock(&p->lock);
            k->renewed_ns = aegis_now_ns();
            pthread_mutex_unlock(&p->lock);
        } else {
            pthread_mutex_lock(&p->lock);
            k->leader = false;
            pthread_mutex_unlock(&p->lock);
            AEGIS_LOGW(MOD, "lease lost: following", "worker=%s", k->worker);
        }
        return;
    }
    char holder[136] = "";
    if (aegis_cluster_lease_holder(k->c, holder, sizeof(holder)) != AEGIS_OK)
        return;
    pthread_mutex_lock(&p->lock);
    note_holder(k, holder);
    bool ready = k->caught_up && k->pub_caught_up && !k->diverged && aegis_now_ns() >= k->no_lead_until;
    pthread_mutex_unlock(&p->lock);
    if (holder[0] || !ready)
        return;
    if (aegis_cluster_lease_take(k->c, &k->lease_rev) == AEGIS_OK) {
        pthread_mutex_lock(&p->lock);
        k->renewed_ns = aegis_now_ns();
        note_holder(k, k->worker);
        pthread_mutex_unlock(&p->lock);
        become_leader(k);
    }
}

/* Append the next cut record when the mempool has work (fenced). */
static void cut_step(struct aegis_seq_cluster *k, bool force)
{
    struct aegis_seq *p = k->p;
    size_t pending = aegis_core_pending_count(p->core);
    if (!pending || (!force && pending < p->max_batch))
        return;
    pthread_mutex_lock(&p->lock);
    /* a leader whose last renewal is older than 2/3 of the lease may already
     * be replaced (a slow or partitioned NATS): it stops cutting before
     * the lease can have lapsed (the fence still holds if it did not) */
    bool fresh = aegis_now_ns() - k->renewed_ns < k->lease_ms * 2000000ull / 3;
    bool ok = k->leader && fresh && k->caught_up && !k->diverged && k->last_cut_seq > 0 && k->my_cut_seq <= k->applied;
    uint64_t expect = k->last_cut_seq, number = p->last_batch + 1;
    bool step_down = false;
    if (ok && k->my_cut_seq && number <= k->my_cut_number) {
        /* our last cut record was applied and made no batch here (nothing
         * cuttable, or this worker cannot persist): retry only on the tick,
         * and give the lease up when it keeps failing */
        if (!force)
            ok = false;
        else if (++k->cut_failures >= 3 && pending > 0)
            step_down = true;
    } else if (ok) {
        k->cut_failures = 0;
    }
    /* fenced again and again while this worker has applied everything it
     * read: its view of the cut records is not the stream's (the applier
     * finds out why: cluster_apply.c); another worker leads meanwhile */
    if (ok && k->fence_streak >= 10) {
        k->fence_streak = 0;
        step_down = true;
    }
    if (step_down) {
        k->leader = false;
        k->cut_failures = 0;
        k->no_lead_until = aegis_now_ns() + 10 * k->lease_ms * 1000000ull;
        ok = false;
    }
    uint64_t ts = aegis_wall_ms();
    if (ts < k->last_cut_ts)
        ts = k->last_cut_ts;
    pthread_mutex_unlock(&p->lock);
    if (step_down) {
        AEGIS_LOGE(MOD, "this worker's cuts make no batch or are fenced again and again: giving the lease up",
                   "number=%llu", (unsigned long long)number);
        aegis_cluster_lease_release(k->c, k->lease_rev);
        return;
    }
    if (!ok)
        return;
    char rec[AEGIS_CLUSTER_CUT_MAX];
    aegis_cluster_cut cut = { .number = number, .ts_ms = ts, .after = expect };
    snprintf(cut.leader, sizeof(cut.leader), "%s", k->worker);
    size_t rlen = aegis_cluster_cut_encode(rec, sizeof(rec), &cut);
    uint64_t seq = 0;
    aegis_err err = rlen ? aegis_cluster_append_cut(k->c, rec, rlen, expect, &seq) : AEGIS_ERR_INVAL;
    pthread_mutex_lock(&p->lock);
    if (!err) {
        k->my_cut_seq = seq;
        k->my_cut_number = number;
        k->last_cut_ts = ts;
        k->fence_streak = 0;
    } else if (err == AEGIS_ERR_CLUSTER_FENCED) {
        k->fenced++;
        k->fence_streak++;
    }
    pthread_mutex_unlock(&p->lock);
    if (err == AEGIS_ERR_CLUSTER_FENCED)
        AEGIS_LOGW(MOD, "cut record fenced (another cut is newer): nothing signed", "number=%llu",
                   (unsigned long long)number);
}

/* About once a second: co-attestations whose publication failed are made
 * again; a leader publishes its batches the publications lack (a failed
 * publish, a leader change in between). Both are de-duplicated by id. */
static void repair(struct aegis_seq_cluster *k)
{
    struct aegis_seq *p = k->p;
    pthread_mutex_lock(&p->lock);
    uint64_t last = p->last_batch, from = last > 256 ? last - 256 : 1;
    bool lead = k->leader && k->pub_caught_up;
    uint64_t pub_from = k->pub_max + 1;
    pthread_mutex_unlock(&p->lock);
    for (uint64_t n = from; n <= last; n++)
        aegis_seq_cl_judge(k, n);
    if (!lead)
        return;
    if (pub_from + 256 < last)
        pub_from = last - 256;
    /* the newest too: a publication that failed (the publications' stream
     * without a leader for longer than the retries) has no later batch to
     * come after it; one still in flight is skipped */
    for (uint64_t n = pub_from; n <= last; n++)
        aegis_seq_cl_publish_own(k, n);
}

static void heartbeat(struct aegis_seq_cluster *k)
{
    struct aegis_seq *p = k->p;
    char hb[256];
    pthread_mutex_lock(&p->lock);
    snprintf(hb, sizeof(hb), "{\"applied\":%llu,\"last_batch\":%llu,\"leader\":%s,\"ts\":%llu}",
             (unsigned long long)k->applied, (unsigned long long)p->last_batch, k->leader ? "true" : "false",
             (unsigned long long)aegis_wall_ms());
    pthread_mutex_unlock(&p->lock);
    if (aegis_cluster_heartbeat(k->c, hb) != AEGIS_OK)
        AEGIS_LOGD(MOD, "heartbeat not written", NULL);
}

void *aegis_seq_cl_leader_main(void *arg)
{
    aegis_thread_name("cl-leader");
    struct aegis_seq_cluster *k = arg;
    struct aegis_seq *p = k->p;
    uint64_t next_tick = aegis_now_ns() + p->interval_ms * 1000000ull;
    uint64_t next_hb = 0;
    unsigned beat = 0;
    while (!aegis_seq_cl_stopping(p)) {
        uint64_t t = aegis_now_ns();
        if (t >= next_hb) {
            lease_step(k);
            heartbeat(k);
            if (beat % 6 == 5)
                repair(k);
            beat++;
            (void)aegis_rpc_health_set(p->rpc, "cluster_nats",
                                       aegis_cluster_connected(k->c) ? AEGIS_HEALTH_OK : AEGIS_HEALTH_DEGRADED,
                                       aegis_cluster_connected(k->c) ? "connected" : "reconnecting to NATS");
            next_hb = t + k->heartbeat_ms * 1000000ull;
        }
        bool tick = t >= next_tick;
        cut_step(k, tick);
        if (tick)
            next_tick = t + p->interval_ms * 1000000ull;
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* ---- join service ---- */

/* A join record applied from the log (control.c, kind "join"): the worker
 * it names is admitted to the member set, at most worker.max_workers. */
aegis_err aegis_seq_apply_join(struct aegis_seq *p, const char *json, size_t len, uint64_t now_ms, json_t **ret,
                               const char **detail)
{
    (void)now_ms;
    char who[136] = "?";
    aegis_err err = aegis_core_cluster_admit(p->core, json, len, who, sizeof(who), detail);
    if (err == AEGIS_ERR_CLUSTER_FULL)
        AEGIS_LOGW(MOD, "worker not admitted: the cluster has worker.max_workers members", "worker=%s max=%llu", who,
                   (unsigned long long)p->cfg->max_workers);
    else if (!err)
        AEGIS_LOGI(MOD, "member admitted", "worker=%s members=%zu", who, aegis_core_cluster_members(p->core));
    if (!err && ret)
        *ret = json_pack("{s:s, s:I}", "worker", who, "members", (json_int_t)aegis_core_cluster_members(p->core));
    return err;
}

/* A join request (NATS request/reply): first through the log as a join
 * record, so every worker admits the joiner at the same position under the
 * cap; then, admitted, the key set wrapped to its attested transport key. */
char *aegis_seq_cl_on_join(void *arg, const char *req, size_t len)
{
    struct aegis_seq_cluster *k = arg;
    char *grant = NULL, who[136] = "?";
    const char *why = NULL;
    aegis_err err = aegis_core_join_check(k->p->core, req, len, who, sizeof(who), &why);
    if (!err)
        err = k->p->log->submit_control(k->p, "join", req, len, NULL, &why);
    if (!err)
        err = aegis_core_key_grant(k->p->core, req, len, &grant, who, sizeof(who), &why);
    pthread_mutex_lock(&k->p->lock);
    if (err)
        k->refused_joins++;
    else
        k->grants++;
    pthread_mutex_unlock(&k->p->lock);
    if (!err) {
        AEGIS_LOGW(MOD, "key set granted to an attested worker", "worker=%s", who);
        return grant;
    }
    AEGIS_LOGE(MOD, "join refused", "worker=%s err=%s why=\"%s\"", who, aegis_err_name(err), why ? why : "");
    json_t *o = json_pack("{s:s, s:s, s:s}", "type", "refused", "error", aegis_err_name(err), "reason",
                          why ? why : aegis_strerror(err));
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    char *r = s ? aegis_strdup(s) : NULL;
    free(s);
    return r;
}
