/* cluster.c - the sequencer as a cluster worker (docs/internals/cluster.md).
 *
 * The log backend is the JetStream stream instead of the local envelope log:
 *
 *   applier   reads the log in stream order from sequence 1 and applies each
 *             record to the core with the stream's timestamp: envelopes are
 *             admitted, risk assessments decided, cut records cut (and the
 *             batch persisted, indexed, committed). Every worker does the
 *             same, so every worker holds the same state at the same position.
 *   leader    holds the lease (KV create-if-absent, renewed by revision,
 *             expiring by itself); cuts by appending a cut record with the
 *             expected last cut sequence (the fence) and publishes the batches
 *             its applier cut; a new leader publishes what is missing.
 *   watcher   reads the publications: compares each published batch with its
 *             own, co-attests it or dissents; counts co-attestations to
 *             finality (cluster.attest_quorum).
 * The applier is in cluster_apply.c, the leader side in cluster_leader.c,
 * what a worker shows in cluster_status.c, grouped receipts in
 * cluster_receipts.c, their shared state in cluster_int.h. The backend
 * table is at the end of this file.
 * Host side of the TEE boundary: envelopes stay ciphertext, the core cuts.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aegis/hash.h"
#include "aegis/cluster.h"
#include "aegis/json.h"
#include "aegis/log.h"
#include "cluster_int.h"

#define MOD "cluster"

struct cl_batch *aegis_seq_cl_slot(struct aegis_seq_cluster *k, uint64_t n)
{
    if (n == 0)
        return NULL;
    if (n > k->cap_b) {
        size_t ncap = k->cap_b ? k->cap_b * 2 : 1024;
        while (ncap < n)
            ncap *= 2;
        struct cl_batch *nb = aegis_realloc(k->b, ncap * sizeof(*nb));
        if (!nb)
            return NULL;
        memset(nb + k->cap_b, 0, (ncap - k->cap_b) * sizeof(*nb));
        k->b = nb;
        k->cap_b = ncap;
    }
    return &k->b[n - 1];
}

bool aegis_seq_cl_stopping(struct aegis_seq *p)
{
    return __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE);
}

/* ---- co-attestation ---- */

/* Compare this worker's batch n with the published one, once both are
 * known: co-attest or dissent. Takes p->lock itself; publishes without it. */
void aegis_seq_cl_judge(struct aegis_seq_cluster *k, uint64_t n)
{
    struct aegis_seq *p = k->p;
    uint8_t own[32], pub[32];
    pthread_mutex_lock(&p->lock);
    struct cl_batch *b = n <= k->cap_b ? aegis_seq_cl_slot(k, n) : NULL;
    bool go = b && b->has_own && b->has_pub && !b->judged;
    if (go) {
        b->judged = true;
        memcpy(own, b->own, 32);
        memcpy(pub, b->pub, 32);
    }
    pthread_mutex_unlock(&p->lock);
    if (!go)
        return;
    char *rec = NULL;
    if (memcmp(own, pub, 32) == 0) {
        char id[200];
        snprintf(id, sizeof(id), "coattest-%s-%llu", k->worker, (unsigned long long)n);
        bool sent = aegis_core_coattest(p->core, k->worker, n, own, &rec) == AEGIS_OK &&
                    aegis_cluster_publish(k->c, AEGIS_CLUSTER_COATTEST, rec, strlen(rec), id) == AEGIS_OK;
        aegis_free(rec);
        pthread_mutex_lock(&p->lock);
        if (sent)
            k->coattests++;
        else
            aegis_seq_cl_slot(k, n)->judged = false;   /* retried by the repair pass (leader thread) */
        pthread_mutex_unlock(&p->lock);
        return;
    }
    char mine[65], theirs[65], buf[600];
    aegis_hex_encode(mine, own, 32);
    aegis_hex_encode(theirs, pub, 32);
    snprintf(buf, sizeof(buf), "{\"type\":\"dissent\",\"worker\":\"%s\",\"number\":%llu,\"mine\":\"%s\",\"published\":\"%s\"}",
             k->worker, (unsigned long long)n, mine, theirs);
    if (aegis_cluster_publish(k->c, AEGIS_CLUSTER_DISSENT, buf, strlen(buf), NULL) != AEGIS_OK)
        AEGIS_LOGW(MOD, "dissent not published", NULL);
    pthread_mutex_lock(&p->lock);
    k->dissents++;
    pthread_mutex_unlock(&p->lock);
    (void)aegis_rpc_health_set(p->rpc, "cluster_agreement", AEGIS_HEALTH_DEGRADED,
                               "a worker computed a different batch (dissent)");
    AEGIS_LOGE(MOD, "dissent: the published batch differs from this worker's", "number=%llu mine=0x%s published=0x%s",
               (unsigned long long)n, mine, theirs);
}

/* ---- applying the log ---- */

void aegis_seq_cl_publish_own(struct aegis_seq_cluster *k, uint64_t n)
{
    uint8_t *val = NULL;
    size_t len = 0;
    char id[40];
    /* one publication of a number in flight at a time (the applier right
     * after the cut, the leader's repair pass, a new leader's completion) */
    pthread_mutex_lock(&k->p->lock);
    struct cl_batch *b = aegis_seq_cl_slot(k, n);
    bool go = b && !b->sending && !b->sent;
    if (go)
        b->sending = true;
    pthread_mutex_unlock(&k->p->lock);
    if (!go)
        return;
    bool sent = false;
    if (aegis_store_get(k->p->store, "batch", n, &val, &len) == AEGIS_OK) {
        snprintf(id, sizeof(id), "batch-%llu", (unsigned long long)n);
        sent = aegis_cluster_publish(k->c, AEGIS_CLUSTER_BATCH, val, len, id) == AEGIS_OK;
        if (!sent)
            AEGIS_LOGW(MOD, "batch not published (the leader's repair pass publishes it again)", "number=%llu",
                       (unsigned long long)n);
        aegis_free(val);
    }
    pthread_mutex_lock(&k->p->lock);
    b = aegis_seq_cl_slot(k, n);
    if (b) {
        b->sending = false;
        b->sent = sent;
    }
    pthread_mutex_unlock(&k->p->lock);
}

/* ---- the publications ---- */

static void count_coattest(struct aegis_seq_cluster *k, const aegis_cluster_msg *m)
{
    aegis_cluster_coatt ca;
    bool ok = aegis_cluster_coattest_parse(m->data, m->len, m->tail, &ca) == AEGIS_OK;
    json_t *j = ok ? json_loadb((const char *)m->data, m->len, 0, NULL) : NULL;
    pthread_mutex_lock(&k->p->lock);
    struct cl_batch *b = j ? aegis_seq_cl_slot(k, ca.number) : NULL;
    if (!b) {
        k->garbage++;
        pthread_mutex_unlock(&k->p->lock);
        json_decref(j);
        AEGIS_LOGW(MOD, "malformed co-attestation skipped", "seq=%llu", (unsigned long long)m->seq);
        return;
    }
    if (!b->coatts)
        b->coatts = json_array();
    bool seen = false;
    size_t i;
    json_t *v;
    json_array_foreach(b->coatts, i, v)
        if (strcmp(json_string_value(json_object_get(v, "worker")), ca.worker) == 0)
            seen = true;
    if (!seen && b->coatts)
        json_array_append(b->coatts, j);
    if (json_array_size(b->coatts) >= k->quorum && ca.number > k->last_final)
        k->last_final = ca.number;
    pthread_mutex_unlock(&k->p->lock);
    json_decref(j);
}

static void *watcher_main(void *arg)
{
    aegis_thread_name("cl-watcher");
    struct aegis_seq_cluster *k = arg;
    struct aegis_seq *p = k->p;
    aegis_cluster_sub *sub = NULL;
    struct stall_check sc = { 0 };
    uint64_t next = 1, target = 0;
    if (aegis_cluster_last_seq(k->c, true, &target) != AEGIS_OK)
        target = 0;
    while (!aegis_seq_cl_stopping(p)) {
        if (next > target && !k->pub_caught_up) {
            /* a leader must know what is published before it completes
             * what is not (become_leader) */
            pthread_mutex_lock(&p->lock);
            k->pub_caught_up = true;
            pthread_mutex_unlock(&p->lock);
        }
        if (!sub && aegis_cluster_sub_new(&sub, k->c, true, next) != AEGIS_OK) {
            struct timespec ts = { 0, 200 * 1000000L };
            nanosleep(&ts, NULL);
            continue;
        }
        aegis_cluster_msg m;
        aegis_err err = aegis_cluster_next(sub, 100, &m);
        if (err == AEGIS_ERR_TIMEOUT && !aegis_seq_cl_stalled(k, true, next - 1, &sc))
            continue;
        if (err) {
            aegis_cluster_sub_free(sub);
            sub = NULL;
            continue;
        }
        if (m.seq < next)
            continue;
        next = m.seq + 1;
        if (m.kind == AEGIS_CLUSTER_BATCH) {
            uint64_t n = 0;
            uint8_t h[32];
            bool ok = aegis_cluster_batch_parse(m.data, m.len, &n, h) == AEGIS_OK;
            pthread_mutex_lock(&p->lock);
            struct cl_batch *b = ok ? aegis_seq_cl_slot(k, n) : NULL;
            bool fresh = false;
            if (!b) {
                k->garbage++;
            } else if (!b->has_pub) {
                memcpy(b->pub, h, 32);
                b->has_pub = true;
                if (n > k->pub_max)
                    k->pub_max = n;
                fresh = true;
            } else if (memcmp(b->pub, h, 32) != 0) {
                /* one number published with two contents: never by honest workers */
                k->dissents++;
                (void)aegis_rpc_health_set(p->rpc, "cluster_agreement", AEGIS_HEALTH_DEGRADED,
                                           "a batch number was published with two contents");
                AEGIS_LOGE(MOD, "batch number published twice with different contents", "number=%llu",
                           (unsigned long long)n);
            }
            pthread_mutex_unlock(&p->lock);
            if (fresh)
                aegis_seq_cl_judge(k, n);
        } else if (m.kind == AEGIS_CLUSTER_COATTEST) {
            count_coattest(k, &m);
        } else if (m.kind == AEGIS_CLUSTER_DISSENT) {
            uint64_t dn = 0;
            bool valid = aegis_cluster_dissent_parse(m.data, m.len, m.tail, &dn) == AEGIS_OK;
            pthread_mutex_lock(&p->lock);
            if (valid)
                k->dissents++;
            else
                k->garbage++;
            pthread_mutex_unlock(&p->lock);
            if (valid) {
                (void)aegis_rpc_health_set(p->rpc, "cluster_agreement", AEGIS_HEALTH_DEGRADED,
                                           "a worker dissented from a published batch");
                AEGIS_LOGW(MOD, "dissent published", "worker=%s number=%llu", m.tail, (unsigned long long)dn);
            } else {
                AEGIS_LOGW(MOD, "malformed dissent skipped", "seq=%llu", (unsigned long long)m.seq);
            }
        } else {
            pthread_mutex_lock(&p->lock);
            k->garbage++;
            pthread_mutex_unlock(&p->lock);
            AEGIS_LOGW(MOD, "unknown publication skipped", "seq=%llu", (unsigned long long)m.seq);
        }
    }
    aegis_cluster_sub_free(sub);
    return NULL;
}

/* ---- start / stop ---- */

static aegis_err read_password(const char *path, char *out, size_t cap)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    out[0] = 0;
    if (!path || !path[0])
        return AEGIS_OK;
    if (aegis_file_read(path, cap - 1, &buf, &n) != AEGIS_OK)
        return AEGIS_ERR_IO;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    memcpy(out, buf, n);
    out[n] = 0;
    aegis_free_secret(buf, n);
    return AEGIS_OK;
}

static aegis_err cl_prepare(struct aegis_seq *p, const char **detail)
{
    const aegis_config *cfg = p->cfg;
    struct aegis_seq_cluster *k = aegis_calloc(1, sizeof(*k));
    if (!k || !(k->ring = aegis_calloc(RING, sizeof(*k->ring)))) {
        aegis_free(k);
        *detail = "out of memory";
        return AEGIS_ERR_NOMEM;
    }
    p->cl = k;
    k->p = p;
    snprintf(k->worker, sizeof(k->worker), "%s", cfg->worker_id);
    k->heartbeat_ms = cfg->cluster_heartbeat_ms;
    k->lease_ms = cfg->cluster_lease_ms;
    k->quorum = cfg->cluster_attest_quorum ? cfg->cluster_attest_quorum : cfg->min_workers / 2 + 1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->applied_cv, &ca);
    pthread_condattr_destroy(&ca);
    char pw[256];
    if (read_password(cfg->cluster_password_file, pw, sizeof(pw)) != AEGIS_OK) {
        *detail = "cannot read cluster.password_file";
        return AEGIS_ERR_IO;
    }
    aegis_cluster_opts o = {
        .urls = (const char *const *)cfg->cluster_nats_urls.items, .n_urls = cfg->cluster_nats_urls.n,
        .user = cfg->cluster_user, .password = pw, .stream = cfg->cluster_stream,
        .batch_stream = cfg->cluster_batch_stream, .bucket = cfg->cluster_bucket,
        .replicas = (int)cfg->cluster_replicas, .lease_ms = cfg->cluster_lease_ms, .worker = k->worker,
    };
    aegis_err err = aegis_cluster_open(&k->c, &o, detail);
    aegis_memzero(pw, sizeof(pw));
    if (err)
        return err;
    /* No key set here yet: ask a member for the cluster's, sealed to this
     * worker's attested transport key. The first worker makes it. */
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/keyset.sealed", cfg->data_dir);
    uint8_t genesis[32];
    /* a JetStream that just formed (or lost a server) may not answer yet */
    for (int i = 0; i < 40; i++) {
        err = aegis_cluster_genesis_get(k->c, genesis);
        if (err == AEGIS_OK || err == AEGIS_ERR_NOT_FOUND)
            break;
        struct timespec ts = { 0, 250 * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (err == AEGIS_ERR_NOT_FOUND || stat(path, &st) == 0)
        return AEGIS_OK;
    if (err) {
        *detail = "cannot read the cluster's genesis key set hash";
        return err;
    }
    aegis_core_joiner *j = NULL;
    char *req = NULL;
    err = aegis_core_join_new(&j, cfg, cfg->data_dir, &req, detail);
    if (err)
        return err;
    AEGIS_LOGI(MOD, "joining: asking a member for the key set", "worker=%s", k->worker);
    err = AEGIS_ERR_CLUSTER_NO_GRANT;
    *detail = "no member granted the key set within 30 s";
    uint64_t join_deadline = aegis_now_ns() + 30ull * 1000000000ull;
    while (err == AEGIS_ERR_CLUSTER_NO_GRANT && aegis_now_ns() < join_deadline) {
        char *reply = NULL;
        size_t rlen = 0;
        if (aegis_cluster_join_request(k->c, req, strlen(req), 2000, &reply, &rlen) != AEGIS_OK) {
            /* no member serving yet (no responders answers at once) */
            struct timespec ts = { 0, 250 * 1000000L };
            nanosleep(&ts, NULL);
            continue;
        }
        json_t *r = json_loadb(reply, rlen, 0, NULL);
        const char *type = json_string_value(json_object_get(r, "type"));
        if (type && strcmp(type, "refused") == 0) {
            AEGIS_LOGE(MOD, "join refused by the cluster", "reason=\"%s\"",
                       json_string_value(json_object_get(r, "reason")) ?: "");
            *detail = "the cluster refused this worker: its attestation does not meet the measurement policy";
            err = AEGIS_ERR_CLUSTER_JOIN_REFUSED;
        } else {
            err = aegis_core_join_finish(j, reply, rlen, genesis, detail);
        }
        json_decref(r);
        aegis_free(reply);
    }
    aegis_free(req);
    aegis_core_join_free(j);
    if (!err)
        AEGIS_LOGW(MOD, "key set received and sealed", "worker=%s", k->worker);
    return err;
}

static aegis_err cl_start(struct aegis_seq *p, const char **detail)
{
    struct aegis_seq_cluster *k = p->cl;
    uint8_t mine[32], cur[32];
    aegis_core_keyset_hash(p->core, mine);
    aegis_err err = aegis_cluster_genesis_set(k->c, mine, cur);
    if (err == AEGIS_OK) {
        /* this worker founded the cluster: the first cut record (number 0)
         * gives every later cut an expected predecessor to be fenced on */
        char g[AEGIS_CLUSTER_CUT_MAX];
        aegis_cluster_cut genesis = { .number = 0 };
        size_t glen = aegis_cluster_cut_encode(g, sizeof(g), &genesis);
        err = aegis_cluster_append_cut(k->c, g, glen, 0, NULL);
        if (err) {
            *detail = "cannot append the genesis cut record";
            return err;
        }
        /* and the founder is the first member (join records: control.c) */
        char rec[200];
        int rn = snprintf(rec, sizeof(rec), "{\"type\":\"join\",\"worker\":\"%s\"}", k->worker);
        uint8_t rh[32];
        aegis_sha256(rh, rec, (size_t)rn);
        char rid[65];
        aegis_hex_encode(rid, rh, 32);
        err = aegis_cluster_append(k->c, AEGIS_CLUSTER_CTL, "join", rec, (size_t)rn, rid, NULL, NULL);
        if (err) {
            *detail = "cannot append the founder's join record";
            return err;
        }
        AEGIS_LOGW(MOD, "cluster founded with this worker's key set", "worker=%s", k->worker);
    } else if (err == AEGIS_ERR_EXISTS) {
        if (memcmp(mine, cur, 32) != 0) {
            *detail = "this worker's key set is not the cluster's (remove keyset.sealed to join as a new worker)";
            return AEGIS_ERR_CLUSTER_GENESIS;
        }
    } else {
        *detail = "cannot read or set the cluster's genesis key set hash";
        return err;
    }
    /* the last process found its copy of the log diverged: read the
     * stream leader's (the state it saved was set aside) */
    k->read_leader = aegis_seq_cl_read_leader_marker(p);
    if (k->read_leader)
        AEGIS_LOGW(MOD, "reading the log from the stream leader, message by message (the last run's copy diverged)",
                   "worker=%s", k->worker);
    err = aegis_seq_cl_state_restore(k, detail);
    if (err)
        return err;
    (void)aegis_rpc_health_set(p->rpc, "cluster_log", AEGIS_HEALTH_DEGRADED, "catching up with the replicated log");
    if (aegis_seq_cl_receipts_start(k) != AEGIS_OK) {
        *detail = "cannot start the receipt signer";
        return AEGIS_ERR_INTERNAL;
    }
    if (aegis_seq_cl_submitters_start(k) != AEGIS_OK) {
        *detail = "cannot start the submitter threads";
        return AEGIS_ERR_INTERNAL;
    }
    if (aegis_cluster_join_serve(k->c, aegis_seq_cl_on_join, k) != AEGIS_OK) {
        *detail = "cannot serve join requests";
        return AEGIS_ERR_CLUSTER_CONNECT;
    }
    if (pthread_create(&k->applier, NULL, aegis_seq_cl_applier_main, k) != 0)
        goto fail;
    k->applier_started = true;
    if (pthread_create(&k->watcher, NULL, watcher_main, k) != 0)
        goto fail;
    k->watcher_started = true;
    if (pthread_create(&k->leader_thr, NULL, aegis_seq_cl_leader_main, k) != 0)
        goto fail;
    k->leader_started = true;
    if (pthread_create(&k->status_thr, NULL, aegis_seq_cl_status_main, k) != 0)
        goto fail;
    k->status_started = true;
    return AEGIS_OK;
fail:
    *detail = "cannot start the cluster threads";
    return AEGIS_ERR_INTERNAL;
}

/* After p->stop is set: join the threads, give the lease up, free. */
static void cl_stop(struct aegis_seq *p)
{
    struct aegis_seq_cluster *k = p->cl;
    if (!k)
        return;
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&k->applied_cv);
    pthread_mutex_unlock(&p->lock);
    if (k->leader_started)
        pthread_join(k->leader_thr, NULL);
    if (k->applier_started)
        pthread_join(k->applier, NULL);
    if (k->watcher_started)
        pthread_join(k->watcher, NULL);
    if (k->status_started)
        pthread_join(k->status_thr, NULL);
    aegis_seq_cl_submitters_stop(k);   /* when the drain did not run (a failed start) */
    aegis_seq_cl_receipts_stop(k);
    if (k->c && k->leader)
        aegis_cluster_lease_release(k->c, k->lease_rev);
    aegis_cluster_free(k->c);
    for (size_t i = 0; i < RING; i++)
        aegis_free(k->ring[i].json);
    aegis_free(k->ring);
    for (size_t i = 0; i < k->cap_b; i++)
        json_decref(k->b[i].coatts);
    aegis_free(k->b);
    json_decref(k->st_members);
    pthread_cond_destroy(&k->applied_cv);
    aegis_free(k);
    p->cl = NULL;
}

/* ---- submissions ---- */

/* Wait (RPC thread) until the applier has applied seq; copy its result. */
static aegis_err wait_applied(struct aegis_seq_cluster *k, uint64_t seq, struct cl_result *out)
{
    struct aegis_seq *p = k->p;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += SUBMIT_WAIT_MS / 1000;
    pthread_mutex_lock(&p->lock);
    while (k->applied < seq && !p->stop)
        if (pthread_cond_timedwait(&k->applied_cv, &p->lock, &dl) != 0)
            break;
    aegis_err err = AEGIS_ERR_CLUSTER_CATCHING_UP;
    struct cl_result *r = &k->ring[seq % RING];
    if (k->applied >= seq && r->seq == seq) {
        *out = *r;
        out->json = r->json ? aegis_strdup(r->json) : NULL;
        err = AEGIS_OK;
    }
    pthread_mutex_unlock(&p->lock);
    return err;
}

/* Append a record to the log under its hash as message id (a retry is
 * de-duplicated), wait for this worker's applier to apply it, and hand back
 * what it produced. what: "envelope" / "assessment", for the errors. */
static aegis_err append_applied(struct aegis_seq_cluster *k, aegis_cluster_kind kind, const char *ctl,
                                const uint8_t hash[32], const void *data, size_t len, const char *what,
                                struct cl_result *r, const char **detail)
{
    struct aegis_seq *p = k->p;
    static _Thread_local char msg[200];
    char id[65];
    uint64_t seq = 0;
    aegis_hex_encode(id, hash, 32);
    uint64_t t0 = aegis_now_ns();
    aegis_err err = aegis_cluster_append(k->c, kind, ctl, data, len, id, &seq, NULL);
    uint64_t t1 = aegis_now_ns();
    if (err) {
        snprintf(msg, sizeof(msg), "%s not acknowledged", what);
        *detail = msg;
        return err;
    }
    err = wait_applied(k, seq, r);
    pthread_mutex_lock(&p->lock);
    k->append_n++;
    k->append_ns += t1 - t0;
    if (t1 - t0 > k->append_max_ns)
        k->append_max_ns = t1 - t0;
    k->apply_wait_ns += aegis_now_ns() - t1;
    pthread_mutex_unlock(&p->lock);
    if (err) {
        snprintf(msg, sizeof(msg), "the %s is in the replicated log, but this worker has not applied it yet: "
                 "query its outcome", what);
        *detail = msg;
    }
    return err;
}

/* An envelope checked by cl_submit: acknowledged after JetStream's publish
 * acknowledgement and this worker's own admission (the receipt is signed
 * here). Blocks for up to ~22 s when the stream has no leader (append
 * retries, then the wait for this worker's applier): a submitter thread's
 * work (cluster_submit.c), never an RPC server thread's. Takes env. */
aegis_err aegis_seq_cl_submit_now(struct aegis_seq_cluster *k, uint8_t *env, size_t len, json_t **ret,
                                  const char **detail)
{
    uint8_t h[32];
    struct cl_result r;
    aegis_core_envelope_hash(env, len, h);
    aegis_err err = append_applied(k, AEGIS_CLUSTER_ENV, NULL, h, env, len, "envelope", &r, detail);
    aegis_free(env);
    if (err)
        return err;
    aegis_free(r.json);
    if (r.err) {
        *detail = r.reason;
        return r.err;
    }
    char *receipt = NULL;
    err = aegis_seq_cl_receipt(k, &r.r, &receipt);   /* signed with the others of its moment */
    if (err) {
        *detail = "admitted, but the receipt could not be signed; query aegis_getReceipt";
        return err;
    }
    *ret = json_loads(receipt, 0, NULL);
    aegis_free(receipt);
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

/* An envelope: refused at once when its framing, key epoch or key id is
 * wrong (the replicated log, too, takes only what could be opened), else
 * deferred to a submitter thread, so the RPC server's thread goes back to
 * its other connections at once (one blocked behind a slow append had its
 * idle connections closed unanswered by libmicrohttpd's timeout). A call
 * that cannot be deferred (a JSON-RPC batch entry) is done here. */
static aegis_err cl_submit(struct aegis_seq *p, const aegis_rpc_call *call, uint8_t *env, size_t len, json_t **ret,
                           const char **detail)
{
    struct aegis_seq_cluster *k = p->cl;
    aegis_err err = aegis_core_envelope_check(p->core, env, len, aegis_wall_ms(), detail);
    if (err) {
        aegis_free(env);
        return err;
    }
    aegis_rpc_deferred *dr = aegis_rpc_defer(call);
    if (!dr)
        return aegis_seq_cl_submit_now(k, env, len, ret, detail);
    err = aegis_seq_cl_submit_queue(k, dr, env, len, call->peer, detail);
    if (err)
        aegis_rpc_finish(dr, err, NULL, *detail);   /* not queued: env freed */
    return AEGIS_OK;
}

/* A control record: appended under the hash of its text (a retry, or the
 * same risk file read by every worker, is one record), acknowledged once
 * this worker has applied it; its result is this worker's. */
static aegis_err cl_submit_control(struct aegis_seq *p, const char *kind, const char *json, size_t len, json_t **ret,
                                   const char **detail)
{
    struct aegis_seq_cluster *k = p->cl;
    uint8_t h[32];
    struct cl_result r;
    aegis_sha256(h, json, len);
    aegis_err err = append_applied(k, AEGIS_CLUSTER_CTL, kind, h, json, len,
                                   strcmp(kind, "risk") == 0 ? "assessment" : "request", &r, detail);
    if (err)
        return err;
    json_t *out = r.json ? json_loads(r.json, 0, NULL) : NULL;
    aegis_free(r.json);
    if (r.err) {
        *detail = r.reason ? r.reason : aegis_strerror(r.err);
        if (ret)
            *ret = out;
        else
            json_decref(out);
        return r.err;
    }
    if (!out)
        out = json_object();
    if (ret)
        *ret = out;
    else
        json_decref(out);
    return out ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

/* Before the stop (after the RPC server's, which waited for the calls in
 * flight): the submitters finish the calls they hold, the queued ones are
 * refused, and the threads exit. */
static void cl_drain(struct aegis_seq *p)
{
    if (p->cl)
        aegis_seq_cl_submitters_stop(p->cl);
}

const struct aegis_seq_log aegis_seq_log_jetstream = {
    .name = "jetstream",
    .replicated = true,
    .prepare = cl_prepare,
    .start = cl_start,
    .drain = cl_drain,
    .stop = cl_stop,
    .submit = cl_submit,
    .submit_control = cl_submit_control,
    .status = aegis_seq_cluster_status,
    .metrics = aegis_seq_cluster_metrics,
    .batch_extras = aegis_seq_cluster_batch_extras,
};
