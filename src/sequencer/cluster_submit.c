/*
 * cluster_submit.c - a cluster worker's envelope submissions, answered by
 * submitter threads instead of the RPC server's.
 *
 * A submission on a cluster worker waits for JetStream's publish
 * acknowledgement and then for this worker's applier: milliseconds as a
 * rule, but up to ~22 s while the stream elects a new leader (the append's
 * retries, then the applier's wait). Done on a libmicrohttpd thread, that
 * wait held the thread, and the connections that thread had accepted sat
 * unread behind it; once it returned, libmicrohttpd's idle timeout
 * (rpc.timeout_ms) closed the ones that had waited longer than that, with
 * no answer at all - a request that was never read, so never logged, and
 * for a sender a nonce gap that held its later transactions back
 * (test_nats_one_down, 2026-12-07). Now the handler defers the call
 * (aegis_rpc_defer: the connection is suspended and holds no thread) and
 * queues it here; SUBMITTERS threads take the queue in order and finish
 * each call with its receipt or its error. A full queue answers
 * AEGIS_ERR_INGEST_BUSY at once (retry later), as the single-node
 * pipeline does. The RPC server's stop comes first and waits (rpc.drain_ms)
 * for the calls in flight, which the submitters go on answering; at the
 * sequencer's drain each submitter finishes the call it holds, and the
 * calls still queued, never appended, are refused (their clients were
 * already told to retry), so a stop never waits out a queue of appends to
 * a hanging log.
 *
 * Host side: envelopes are ciphertext here.
 */
#include <stdio.h>
#include <string.h>

#include "cluster_int.h"

#define SUBMITTERS   32     /* calls waiting on the log at once (each mostly sleeps) */
#define SUBMIT_QUEUE 8192   /* as the single-node pipeline's bound */

static const char stopping[] = "this worker is stopping: not accepted, send it again";

struct cl_job {
    aegis_rpc_deferred *dr;
    uint8_t *env;
    size_t len;
    char peer[64];
    struct cl_job *next;
};

static void job_run(struct aegis_seq_cluster *k, struct cl_job *j)
{
    struct aegis_seq *p = k->p;
    json_t *res = NULL;
    const char *detail = NULL;
    size_t len = j->len;
    aegis_err err = aegis_seq_cl_submit_now(k, j->env, len, &res, &detail);   /* takes env */
    if (j->peer[0] && aegis_seq_refused_by_content(err))
        aegis_rpc_budget_charge(p->refused, j->peer, len, aegis_seq_mono_ms());
    aegis_rpc_finish(j->dr, err, res, detail);
    aegis_free(j);
}

static void *submitter_main(void *arg)
{
    struct aegis_seq_cluster *k = arg;
    aegis_thread_name("cl-submit");
    pthread_mutex_lock(&k->sub_lock);
    for (;;) {
        while (!k->sub_head && !k->sub_stop)
            pthread_cond_wait(&k->sub_cv, &k->sub_lock);
        struct cl_job *j = k->sub_stop ? NULL : k->sub_head;
        if (!j)
            break;   /* stopping: what is left is refused by the stop */
        k->sub_head = j->next;
        if (!k->sub_head)
            k->sub_tail = NULL;
        k->sub_queued--;
        pthread_mutex_unlock(&k->sub_lock);
        job_run(k, j);
        pthread_mutex_lock(&k->sub_lock);
    }
    pthread_mutex_unlock(&k->sub_lock);
    return NULL;
}

aegis_err aegis_seq_cl_submitters_start(struct aegis_seq_cluster *k)
{
    pthread_mutex_init(&k->sub_lock, NULL);
    pthread_cond_init(&k->sub_cv, NULL);
    k->sub_init = true;
    k->sub_threads = aegis_calloc(SUBMITTERS, sizeof(*k->sub_threads));
    if (!k->sub_threads)
        return AEGIS_ERR_NOMEM;
    for (; k->sub_started < SUBMITTERS; k->sub_started++)
        if (pthread_create(&k->sub_threads[k->sub_started], NULL, submitter_main, k) != 0)
            return AEGIS_ERR_INTERNAL;
    return AEGIS_OK;
}

void aegis_seq_cl_submitters_stop(struct aegis_seq_cluster *k)
{
    if (!k->sub_init)
        return;
    pthread_mutex_lock(&k->sub_lock);
    k->sub_stop = true;
    pthread_cond_broadcast(&k->sub_cv);
    pthread_mutex_unlock(&k->sub_lock);
    for (size_t i = 0; i < k->sub_started; i++)
        pthread_join(k->sub_threads[i], NULL);
    /* not started: never appended, so refused (the RPC server's stop, which
     * comes first, already answered these calls "not ready, retry" after
     * its drain; this reply is dropped, but the call must be finished) */
    for (struct cl_job *j = k->sub_head, *next; j; j = next) {
        next = j->next;
        aegis_free(j->env);
        aegis_rpc_finish(j->dr, AEGIS_ERR_INGEST_CLOSED, NULL, stopping);
        aegis_free(j);
    }
    k->sub_head = k->sub_tail = NULL;
    k->sub_queued = 0;
    aegis_free(k->sub_threads);
    k->sub_threads = NULL;
    k->sub_started = 0;
    pthread_cond_destroy(&k->sub_cv);
    pthread_mutex_destroy(&k->sub_lock);
    k->sub_init = false;
}

aegis_err aegis_seq_cl_submit_queue(struct aegis_seq_cluster *k, aegis_rpc_deferred *dr, uint8_t *env, size_t len,
                                    const char *peer, const char **detail)
{
    /* not started (its mutex neither; the RPC server stops before the drain) */
    struct cl_job *j = k->sub_init ? aegis_calloc(1, sizeof(*j)) : NULL;
    if (!j) {
        aegis_free(env);
        *detail = k->sub_init ? "out of memory: not accepted" : stopping;
        return k->sub_init ? AEGIS_ERR_NOMEM : AEGIS_ERR_INGEST_CLOSED;
    }
    *j = (struct cl_job){ .dr = dr, .env = env, .len = len };
    if (peer)
        snprintf(j->peer, sizeof(j->peer), "%s", peer);
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&k->sub_lock);
    if (k->sub_stop || !k->sub_started) {
        err = AEGIS_ERR_INGEST_CLOSED;
        *detail = stopping;
    } else if (k->sub_queued >= SUBMIT_QUEUE) {
        err = AEGIS_ERR_INGEST_BUSY;
        *detail = "too many submissions waiting for the replicated log: not accepted, retry";
    } else {
        if (k->sub_tail)
            k->sub_tail->next = j;
        else
            k->sub_head = j;
        k->sub_tail = j;
        k->sub_queued++;
        pthread_cond_signal(&k->sub_cv);
    }
    pthread_mutex_unlock(&k->sub_lock);
    if (err) {
        aegis_free(env);
        aegis_free(j);
    }
    return err;
}
