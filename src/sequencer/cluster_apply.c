/* cluster_apply.c - a cluster worker's applier (docs/internals/cluster.md):
 * it reads the log in stream order from sequence 1 and applies each record
 * with the stream's timestamp, the same on every worker: envelopes admitted
 * (consecutive ones opened in parallel runs, admitted in order), control
 * records applied (control.c), cut records cut, the batch landed locally and
 * published by the leader, and a rotation or checkpoint due at that
 * position made there. Also the stall check both stream readers use. Host
 * side: envelopes stay ciphertext, the core cuts. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aegis/cluster.h"
#include "aegis/hash.h"
#include "aegis/ingest.h"
#include "aegis/log.h"
#include "cluster_int.h"

#define MOD "cluster"

/* This worker's copy of the log is not the stream leader's (a nats-server
 * replica lost or reordered a message; seen with nats-server 2.9 after a
 * quorum loss): what it applied since cannot be trusted. It stops applying,
 * gives the lease up (cluster_leader.c), and rebuilds in place reading the
 * leader's copy (cluster_state.c). */
static void diverged(struct aegis_seq_cluster *k, const aegis_cluster_msg *m, uint64_t after, uint64_t prev)
{
    struct aegis_seq *p = k->p;
    pthread_mutex_lock(&p->lock);
    k->diverged = true;
    pthread_mutex_unlock(&p->lock);
    AEGIS_LOGE(MOD, "this worker's copy of the log diverged from the stream leader's: rebuilding from the leader's copy",
               "seq=%llu cut_after=%llu last_cut_read=%llu", (unsigned long long)m->seq, (unsigned long long)after,
               (unsigned long long)prev);
    (void)aegis_rpc_health_set(p->rpc, "cluster_log", AEGIS_HEALTH_DOWN,
                               "this worker's copy of the replicated log diverged from the stream leader's: rebuilding");
    aegis_seq_cl_rebuild(k);
}

/* Returns the batch's timestamp when a batch was cut, else 0. */
static uint64_t apply_cut(struct aegis_seq_cluster *k, const aegis_cluster_msg *m)
{
    struct aegis_seq *p = k->p;
    aegis_cluster_cut cut;
    bool ok = aegis_cluster_cut_parse(m->data, m->len, &cut) == AEGIS_OK;
    uint64_t number = cut.number, ts = cut.ts_ms;
    pthread_mutex_lock(&p->lock);
    uint64_t prev = k->last_cut_seq;
    bool mine = ok && number && number == k->my_cut_number && k->my_cut_seq && strcmp(cut.leader, k->worker) == 0;
    bool moved = mine && k->my_cut_seq != m->seq;
    pthread_mutex_unlock(&p->lock);
    /* Every cut record in the stream passed the fence on the stream
     * leader's copy: it names the sequence of the cut record before it
     * there. Read elsewhere (our own at another sequence than acknowledged,
     * or after another predecessor than ours), either this copy is not the
     * leader's, or the record did not come through the fence. */
    bool fenced_elsewhere = ok && number && cut.after != prev;
    uint8_t h[32];
    aegis_sha256(h, m->data, m->len);
    if ((fenced_elsewhere || moved) && !k->read_leader &&
        aegis_seq_cl_leader_holds(k, m->seq, h, 0) == AEGIS_ERR_CLUSTER_GENESIS) {
        diverged(k, m, cut.after, prev);
        return 0;
    }
    pthread_mutex_lock(&p->lock);
    /* anything on the cut subject moves JetStream's expectation, the fence:
     * also a malformed message (skipped) and a cut that cuts nothing */
    k->last_cut_seq = m->seq;
    memcpy(k->last_cut_hash, h, 32);
    if (!ok || fenced_elsewhere) {
        k->garbage++;
        pthread_mutex_unlock(&p->lock);
        AEGIS_LOGW(MOD, ok ? "cut record that did not pass the fence skipped" : "malformed cut record skipped",
                   "seq=%llu after=%llu last_cut=%llu", (unsigned long long)m->seq, (unsigned long long)cut.after,
                   (unsigned long long)prev);
        return 0;
    }
    uint64_t expect = p->last_batch + 1;
    pthread_mutex_unlock(&p->lock);
    if (number == 0)
        return 0;   /* the genesis marker */
    if (number != expect) {
        AEGIS_LOGW(MOD, "cut record for another number skipped", "seq=%llu number=%llu expected=%llu",
                   (unsigned long long)m->seq, (unsigned long long)number, (unsigned long long)expect);
        return 0;
    }
    /* the cut record's timestamp, never this machine's clock */
    aegis_core_batch *b = NULL;
    aegis_err err = aegis_core_cut_batch(p->core, ts, true, &b);
    aegis_seq_tee_health(p, !err && b);
    if (err || !b) {
        if (err)
            AEGIS_LOGE(MOD, "cut failed", "number=%llu err=%s", (unsigned long long)number, aegis_err_name(err));
        return 0;
    }
    err = aegis_seq_land_batch(p, b, false);
    if (err) {
        aegis_core_batch_free(b);
        AEGIS_LOGE(MOD, "batch not persisted locally (or this worker cached another batch under that number): "
                   "worker stops cutting", "number=%llu err=%s", (unsigned long long)number, aegis_err_name(err));
        (void)aegis_rpc_health_set(p->rpc, "pipeline", AEGIS_HEALTH_DOWN, "cannot persist batches");
        return 0;
    }
    pthread_mutex_lock(&p->lock);
    struct cl_batch *cb = aegis_seq_cl_slot(k, b->number);
    if (cb) {
        memcpy(cb->own, b->hash, 32);
        cb->has_own = true;
    }
    bool publish = k->leader;
    pthread_mutex_unlock(&p->lock);
    aegis_seq_published(p);
    if (publish)
        aegis_seq_cl_publish_own(k, b->number);
    aegis_seq_cl_judge(k, b->number);
    char hex[65];
    aegis_hex_encode(hex, b->hash, 32);
    AEGIS_LOGI(MOD, "batch", "number=%llu txs=%zu hash=0x%s seq=%llu", (unsigned long long)b->number, b->n, hex,
               (unsigned long long)m->seq);
    aegis_core_batch_free(b);
    return ts;
}

/* A rotation due after this record (an emergency assessment, an interval in
 * batches) happens here, at this log position, on every worker alike: the
 * SLH-DSA window is closed under the old key, then the derived key set
 * takes over from the next batch (aegis_keyset_derive_next). */
static void after_record(struct aegis_seq_cluster *k, uint64_t ts)
{
    struct aegis_seq *p = k->p;
    for (int i = 0; i < 3 && aegis_core_rotation_due(p->core, ts); i++) {
        aegis_seq_rotate_at(p, ts);
        if (aegis_core_rotation_due(p->core, ts))
            (void)aegis_seq_seal(p, true);
    }
    /* a due checkpoint (every checkpoint_interval batches, a level change, a
     * new key epoch) too: the next header names it, so its content and time
     * must be the same on every worker */
    aegis_seq_checkpoint_at(p, ts);
}

/* A record applied: its result where its submitter finds it, the position. */
static void record_applied(struct aegis_seq_cluster *k, const struct cl_result *res)
{
    struct aegis_seq *p = k->p;
    pthread_mutex_lock(&p->lock);
    struct cl_result *slotp = &k->ring[res->seq % RING];
    aegis_free(slotp->json);
    *slotp = *res;
    k->applied = res->seq;
    pthread_cond_broadcast(&k->applied_cv);
    pthread_mutex_unlock(&p->lock);
}

/* A run of consecutive envelope records, opened in parallel with each
 * record's own stream timestamp and admitted in log order
 * (aegis_ingest_opener): the outcomes are one aegis_core_submit after
 * another's, so every worker reaches the same state whatever its runs were
 * (a worker catching up has long runs; a live one, runs of one). */
#define RUN_MAX 256
struct env_run {
    aegis_ingest_opener *op;
    size_t n;
    uint8_t *env[RUN_MAX];
    size_t len[RUN_MAX];
    uint64_t seq[RUN_MAX], ts[RUN_MAX];
    aegis_core_opened *opened[RUN_MAX];
};

static void run_flush(struct aegis_seq_cluster *k, struct env_run *r)
{
    struct aegis_seq *p = k->p;
    if (r->n == 1) {
        if (aegis_core_open(p->core, r->env[0], r->len[0], r->ts[0], &r->opened[0]) != AEGIS_OK)
            r->opened[0] = NULL;
    } else if (r->n > 1) {
        aegis_ingest_opener_run_each(r->op, (const uint8_t *const *)r->env, r->len, r->ts, r->n, r->opened);
    }
    for (size_t i = 0; i < r->n; i++) {
        struct cl_result res = { .seq = r->seq[i] };
        res.err = r->opened[i] ? aegis_core_admit(p->core, r->opened[i], r->seq[i], r->ts[i], false, &res.r,
                                                  &res.reason)
                               : AEGIS_ERR_NOMEM;
        r->opened[i] = NULL;
        aegis_free(r->env[i]);
        r->env[i] = NULL;
        record_applied(k, &res);
    }
    r->n = 0;
}

/* Take an envelope record into the run (its bytes copied: they live until
 * the next read); false when out of memory (then apply it alone). */
static bool run_take(struct aegis_seq_cluster *k, struct env_run *r, const aegis_cluster_msg *m)
{
    uint8_t *copy = aegis_malloc(m->len ? m->len : 1);
    if (!copy)
        return false;
    memcpy(copy, m->data, m->len);
    r->env[r->n] = copy;
    r->len[r->n] = m->len;
    r->seq[r->n] = m->seq;
    r->ts[r->n] = m->ts_ms;
    if (++r->n == RUN_MAX)
        run_flush(k, r);
    return true;
}

static void apply(struct aegis_seq_cluster *k, const aegis_cluster_msg *m)
{
    struct aegis_seq *p = k->p;
    struct cl_result res = { .seq = m->seq };
    switch (m->kind) {
    case AEGIS_CLUSTER_ENV:
        res.err = aegis_core_submit(p->core, m->data, m->len, m->seq, m->ts_ms, false, &res.r, &res.reason);
        break;
    case AEGIS_CLUSTER_CTL:
        if (aegis_seq_control_known(m->tail)) {
            /* control.c: the same code a single node runs, at this
             * position, with the record's time */
            json_t *out = NULL;
            res.err = aegis_seq_apply_control(p, m->tail, (const char *)m->data, m->len, m->ts_ms, &out,
                                              &res.reason);
            char *txt = out ? json_dumps(out, JSON_COMPACT) : NULL;
            res.json = txt ? aegis_strdup(txt) : NULL;
            free(txt);
            json_decref(out);
            if (res.err) {
                /* refused alike on every worker; a malformed one is garbage */
                bool malformed = res.err == AEGIS_ERR_CLUSTER_RECORD || res.err == AEGIS_ERR_RPC_INVALID_PARAMS ||
                                 res.err == AEGIS_ERR_RISK_MALFORMED;
                if (malformed) {
                    pthread_mutex_lock(&p->lock);
                    k->garbage++;
                    pthread_mutex_unlock(&p->lock);
                }
                AEGIS_LOGW(MOD, malformed ? "malformed control record skipped" : "control record refused",
                           "seq=%llu kind=%s err=%s", (unsigned long long)m->seq, m->tail, aegis_err_name(res.err));
            }
            after_record(k, m->ts_ms);
        } else {
            res.err = AEGIS_ERR_CLUSTER_RECORD;
            pthread_mutex_lock(&p->lock);
            k->garbage++;
            pthread_mutex_unlock(&p->lock);
            AEGIS_LOGW(MOD, "unknown control record skipped", "seq=%llu kind=%s", (unsigned long long)m->seq, m->tail);
        }
        break;
    case AEGIS_CLUSTER_CUT: {
        uint64_t ts = apply_cut(k, m);
        if (ts)
            after_record(k, ts);
        break;
    }
    default:
        pthread_mutex_lock(&p->lock);
        k->garbage++;
        pthread_mutex_unlock(&p->lock);
        AEGIS_LOGW(MOD, "message on an unknown subject skipped", "seq=%llu", (unsigned long long)m->seq);
        break;
    }
    record_applied(k, &res);
}

/* A reader that went quiet while its stream moved on: its consumer was lost
 * with the stream's leader (servers down, a quorum lost and back) and the
 * client did not notice. Checked on idle reads at most every 2 s: stalled
 * when the stream holds more than `have` and nothing arrived since the last
 * check. The caller makes the subscription again from have + 1. */
bool aegis_seq_cl_stalled(struct aegis_seq_cluster *k, bool publications, uint64_t have, struct stall_check *s)
{
    uint64_t now = aegis_now_ns(), last = 0;
    if (now < s->next_ns)
        return false;
    bool was = s->next_ns != 0 && s->have == have;
    s->next_ns = now + 2000000000ull;
    s->have = have;
    if (!was || aegis_cluster_last_seq(k->c, publications, &last) != AEGIS_OK || last <= have)
        return false;
    AEGIS_LOGW(MOD, "a stream reader stalled behind the stream: subscribing again", "stream=%s have=%llu last=%llu",
               publications ? "publications" : "log", (unsigned long long)have, (unsigned long long)last);
    s->next_ns = 0;
    return true;
}

void *aegis_seq_cl_applier_main(void *arg)
{
    aegis_thread_name("cl-applier");
    struct aegis_seq_cluster *k = arg;
    struct aegis_seq *p = k->p;
    aegis_cluster_sub *sub = NULL;
    struct stall_check sc = { 0 };
    uint64_t target = 0, taken = k->applied;
    struct env_run *run = aegis_calloc(1, sizeof(*run));
    size_t threads = p->cfg->storage_ingest_open_threads ? p->cfg->storage_ingest_open_threads
                                                         : (size_t)aegis_online_cpus();
    if (run && aegis_ingest_opener_new(&run->op, p->core, threads) != AEGIS_OK) {
        aegis_free(run);
        run = NULL;   /* one record at a time */
    }
    if (aegis_cluster_last_seq(k->c, false, &target) != AEGIS_OK)
        target = 0;   /* caught up once the stream answers with nothing new */
    while (!aegis_seq_cl_stopping(p) && !k->diverged) {
        if (!sub) {
            aegis_err serr = k->read_leader ? aegis_cluster_sub_new_leader(&sub, k->c, k->applied + 1)
                                            : aegis_cluster_sub_new(&sub, k->c, false, k->applied + 1);
            if (serr != AEGIS_OK) {
                struct timespec ts = { 0, 200 * 1000000L };
                nanosleep(&ts, NULL);
                continue;
            }
        }
        aegis_cluster_msg m;
        /* with a run waiting, only what is already here joins it */
        aegis_err err = aegis_cluster_next(sub, run && run->n ? 0 : 100, &m);
        if (run && run->n && err) {
            run_flush(k, run);
            if (err == AEGIS_ERR_TIMEOUT)
                continue;
        }
        /* caught up: everything the stream held when this worker started is
         * applied (under load the stream never goes quiet) */
        if (!k->caught_up && (k->applied >= target || err == AEGIS_ERR_TIMEOUT)) {
            pthread_mutex_lock(&p->lock);
            if (k->applied >= target) {
                k->caught_up = true;
                (void)aegis_rpc_health_set(p->rpc, "cluster_log", AEGIS_HEALTH_OK, "applying the replicated log");
                AEGIS_LOGI(MOD, "caught up with the replicated log", "applied=%llu", (unsigned long long)k->applied);
            }
            pthread_mutex_unlock(&p->lock);
        }
        if (err == AEGIS_ERR_TIMEOUT && !aegis_seq_cl_stalled(k, false, k->applied, &sc))
            continue;
        if (err) {
            aegis_cluster_sub_free(sub);
            sub = NULL;
            continue;
        }
        if (m.seq <= k->applied || m.seq <= taken)
            continue;   /* redelivered after a consumer reset */
        taken = m.seq;
        if (run && m.kind == AEGIS_CLUSTER_ENV && run_take(k, run, &m))
            continue;
        if (run)
            run_flush(k, run);   /* everything before this record first */
        apply(k, &m);
        if (m.kind == AEGIS_CLUSTER_CUT)
            aegis_seq_cl_state_save(k, false);
    }
    if (run) {
        if (!k->diverged)
            run_flush(k, run);
        for (size_t i = 0; i < run->n; i++)
            aegis_free(run->env[i]);
        aegis_ingest_opener_free(run->op);
        aegis_free(run);
    }
    aegis_seq_cl_state_save(k, true);   /* a clean stop: the next start reads on from here */
    aegis_cluster_sub_free(sub);
    return NULL;
}
