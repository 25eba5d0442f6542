/* cluster_status.c - what a cluster worker shows: co-attestations
 * beside a batch, the "cluster" object of aegis_status, aegis_cluster_*
 * metrics. Host side. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aegis/cluster.h"
#include "aegis/json.h"
#include "aegis/log.h"
#include "cluster_int.h"

/* ---- reads ---- */

void aegis_seq_cluster_batch_extras(struct aegis_seq *p, uint64_t number, json_t *batch)
{
    struct aegis_seq_cluster *k = p->cl;
    pthread_mutex_lock(&p->lock);
    struct cl_batch *b = number <= k->cap_b ? aegis_seq_cl_slot(k, number) : NULL;
    if (b && b->coatts)
        json_object_set_new(batch, "coattestations", json_deep_copy(b->coatts));
    pthread_mutex_unlock(&p->lock);
}

struct members_ctx {
    json_t *arr;
};
static void add_member(void *arg, const char *worker, const char *json)
{
    struct members_ctx *mc = arg;
    json_t *o = json_loads(json ? json : "{}", 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    json_object_set_new(o, "worker", json_string(worker));
    json_t *ts = json_object_get(o, "ts");
    if (json_is_integer(ts))
        json_object_set_new(o, "heartbeat_age_ms", json_integer((json_int_t)(aegis_wall_ms() - (uint64_t)json_integer_value(ts))));
    json_array_append_new(mc->arr, o);
}

#define STATUS_REFRESH_MS 250

/* cl-status: what aegis_status shows of NATS, read here every
 * STATUS_REFRESH_MS. The method used to read it itself, on the RPC
 * server's thread: two NATS requests of up to 2 s each when a nats-server
 * hangs, holding that thread (and the connections it had accepted, which
 * libmicrohttpd's idle timeout then closed unanswered). The same read
 * counts the live workers for /healthz "cluster_workers" (the lease
 * thread used to scan the members again for it). */
void *aegis_seq_cl_status_main(void *arg)
{
    struct aegis_seq_cluster *k = arg;
    struct aegis_seq *p = k->p;
    aegis_thread_name("cl-status");
    while (!aegis_seq_cl_stopping(p)) {
        struct members_ctx mc = { json_array() };
        uint64_t last = 0;
        bool ok = mc.arr && aegis_cluster_members(k->c, add_member, &mc) == AEGIS_OK &&
                  aegis_cluster_last_seq(k->c, false, &last) == AEGIS_OK;
        pthread_mutex_lock(&p->lock);
        if (ok) {
            json_decref(k->st_members);
            k->st_members = mc.arr;
            mc.arr = NULL;
            k->st_last = last;
            k->st_ns = aegis_now_ns();
        }
        k->st_ok = ok;
        size_t live = ok ? json_array_size(k->st_members) : 0;
        pthread_mutex_unlock(&p->lock);
        json_decref(mc.arr);
        if (ok)
            (void)aegis_rpc_health_set(p->rpc, "cluster_workers",
                                       live >= p->cfg->min_workers ? AEGIS_HEALTH_OK : AEGIS_HEALTH_DEGRADED,
                                       live >= p->cfg->min_workers ? "enough live workers"
                                                                   : "fewer live workers than worker.min_workers");
        for (int i = 0; i < STATUS_REFRESH_MS / 50 && !aegis_seq_cl_stopping(p); i++) {
            struct timespec ts = { 0, 50 * 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

void aegis_seq_cluster_status(struct aegis_seq *p, json_t *out)
{
    struct aegis_seq_cluster *k = p->cl;
    pthread_mutex_lock(&p->lock);
    if (!k->st_ok)
        json_object_set_new(out, "cluster_error", json_string("NATS did not answer: members or log position unknown"));
    uint64_t last = k->st_last, age_ms = k->st_ns ? (aegis_now_ns() - k->st_ns) / 1000000ull : 0;
    json_t *members = k->st_members ? json_deep_copy(k->st_members) : json_array();
    json_t *o = json_pack("{s:s, s:s, s:b, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
                          "worker", k->worker, "leader", k->leader ? k->worker : k->holder, "leading", k->leader,
                          "members", members, "log_applied", (json_int_t)k->applied, "log_last", (json_int_t)last,
                          "lag", (json_int_t)(last > k->applied ? last - k->applied : 0),
                          "last_final", (json_int_t)k->last_final, "attest_quorum", (json_int_t)k->quorum,
                          "failovers", (json_int_t)k->failovers, "fenced_appends", (json_int_t)k->fenced,
                          "dissents", (json_int_t)k->dissents, "skipped_messages", (json_int_t)k->garbage,
                          "refused_joins", (json_int_t)k->refused_joins, "caught_up", k->caught_up);
    pthread_mutex_unlock(&p->lock);
    if (o) {
        /* the member set the log admitted (worker.max_workers caps it) */
        json_object_set_new(o, "members_admitted", json_integer((json_int_t)aegis_core_cluster_members(p->core)));
        json_object_set_new(o, "max_workers", json_integer((json_int_t)p->cfg->max_workers));
        /* where a restart would start: the last sealed worker state (cluster_state.c) */
        pthread_mutex_lock(&p->lock);
        json_object_set_new(o, "state_batch", json_integer((json_int_t)k->state_batch));
        json_object_set_new(o, "state_log_seq", json_integer((json_int_t)k->state_seq));
        /* "consumer": an ordered consumer on whichever replica; "stream leader":
         * message by message from the stream leader, after a divergence */
        json_object_set_new(o, "log_reader", json_string(k->read_leader ? "stream leader" : "consumer"));
        json_object_set_new(o, "log_diverged", json_boolean(k->diverged));
        pthread_mutex_unlock(&p->lock);
        /* how old members and log_last are (cl-status reads them) */
        json_object_set_new(o, "nats_view_age_ms", json_integer((json_int_t)age_ms));
        json_object_set_new(out, "cluster", o);
    }
}

void aegis_seq_cluster_metrics(struct aegis_seq *p, aegis_buf *out)
{
    struct aegis_seq_cluster *k = p->cl;
    pthread_mutex_lock(&p->lock);
    uint64_t v[] = { k->applied, k->last_final, k->failovers, k->fenced, k->dissents, k->garbage, k->refused_joins,
                     k->grants, k->coattests, k->leader ? 1u : 0u, k->state_batch, k->read_leader ? 1u : 0u };
    uint64_t an = k->append_n, ans = k->append_ns, amax = k->append_max_ns, aw = k->apply_wait_ns;
    pthread_mutex_unlock(&p->lock);
    if (aegis_buf_printf(out,
        "# HELP aegis_cluster_append_seconds Envelope appends: time to JetStream's publish acknowledgement.\n"
        "# TYPE aegis_cluster_append_seconds summary\naegis_cluster_append_seconds_sum %.6f\naegis_cluster_append_seconds_count %llu\n"
        "# HELP aegis_cluster_append_max_seconds Slowest envelope append acknowledged.\n# TYPE aegis_cluster_append_max_seconds gauge\naegis_cluster_append_max_seconds %.6f\n"
        "# HELP aegis_cluster_apply_wait_seconds_sum After the acknowledgement, waiting for this worker's applier to admit.\n# TYPE aegis_cluster_apply_wait_seconds_sum counter\naegis_cluster_apply_wait_seconds_sum %.6f\n",
        (double)ans / 1e9, (unsigned long long)an, (double)amax / 1e9, (double)aw / 1e9) != AEGIS_OK)
        return;
    if (aegis_buf_printf(out,
        "# HELP aegis_cluster_log_applied Last replicated-log sequence applied by this worker.\n# TYPE aegis_cluster_log_applied gauge\naegis_cluster_log_applied %llu\n"
        "# HELP aegis_cluster_last_final Highest batch co-attested by attest_quorum workers.\n# TYPE aegis_cluster_last_final gauge\naegis_cluster_last_final %llu\n"
        "# HELP aegis_cluster_failovers_total Leader changes this worker saw.\n# TYPE aegis_cluster_failovers_total counter\naegis_cluster_failovers_total %llu\n"
        "# HELP aegis_cluster_fenced_appends_total Cut records refused by the fence.\n# TYPE aegis_cluster_fenced_appends_total counter\naegis_cluster_fenced_appends_total %llu\n"
        "# HELP aegis_cluster_dissents_total Dissents (a worker computed another batch).\n# TYPE aegis_cluster_dissents_total counter\naegis_cluster_dissents_total %llu\n"
        "# HELP aegis_cluster_skipped_messages_total Malformed or unknown cluster messages skipped.\n# TYPE aegis_cluster_skipped_messages_total counter\naegis_cluster_skipped_messages_total %llu\n"
        "# HELP aegis_cluster_joins_refused_total Join requests refused by the measurement policy.\n# TYPE aegis_cluster_joins_refused_total counter\naegis_cluster_joins_refused_total %llu\n"
        "# HELP aegis_cluster_grants_total Key sets granted to attested workers.\n# TYPE aegis_cluster_grants_total counter\naegis_cluster_grants_total %llu\n"
        "# HELP aegis_cluster_coattestations_total Co-attestations this worker published.\n# TYPE aegis_cluster_coattestations_total counter\naegis_cluster_coattestations_total %llu\n"
        "# HELP aegis_cluster_leader 1 while this worker holds the lease.\n# TYPE aegis_cluster_leader gauge\naegis_cluster_leader %llu\n"
        "# HELP aegis_cluster_members_admitted Workers admitted to the key set by the log's join records (at most worker.max_workers).\n# TYPE aegis_cluster_members_admitted gauge\naegis_cluster_members_admitted %zu\n"
        "# HELP aegis_cluster_state_batch Chain tip of the last sealed worker state saved or restored (a restart starts there).\n# TYPE aegis_cluster_state_batch gauge\naegis_cluster_state_batch %llu\n"
        "# HELP aegis_cluster_log_read_from_leader 1 when this worker reads the log from the stream leader (its replica's copy diverged).\n# TYPE aegis_cluster_log_read_from_leader gauge\naegis_cluster_log_read_from_leader %llu\n",
        (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2], (unsigned long long)v[3],
        (unsigned long long)v[4], (unsigned long long)v[5], (unsigned long long)v[6], (unsigned long long)v[7],
        (unsigned long long)v[8], (unsigned long long)v[9], aegis_core_cluster_members(p->core),
        (unsigned long long)v[10], (unsigned long long)v[11]) != AEGIS_OK)
        return;   /* the scrape shows what fitted */
}
