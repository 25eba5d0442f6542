/*
 * wait.c - aegis_waitBatch, the long-poll for the next batch,
 * without a server thread per waiting client.
 *
 * A long-poll defers its call (aegis_rpc_defer: the HTTP connection is
 * suspended and holds no server thread) and joins p->waiters. One thread
 * here sleeps on p->published until the earliest waiter's due time, and
 * answers every waiter whose batch exists (the batch), whose time is up
 * (null), or all of them when the daemon is closing (null). So any number
 * of long-polls cost a list entry each, and the server's threads stay free
 * for every other call (issue 12: eight 60 s polls used to stall the
 * default eight threads).
 *
 * A call that cannot be deferred - an entry of a JSON-RPC batch array, a
 * notification, an in-process caller - does not wait: it gets the batch if
 * it exists, else null at once.
 *
 * The wait is capped at 60 s and at the server's time limit for a request
 * (rpc request time, 30 s): past that the server itself would answer
 * AEGIS_ERR_RPC_DEADLINE, so the poll answers null just before.
 *
 * Locks: p->lock guards p->waiters and p->waiter_wake_ns; a waiter leaves the
 * list under it and is answered (aegis_rpc_finish, a store read) outside it.
 */
#include <string.h>
#include <time.h>

#include "seq_int.h"

#define MAX_WAIT_MS 60000
#define DEADLINE_MARGIN_NS (200ull * 1000000ull)

struct aegis_seq_waiter {
    aegis_rpc_deferred *dr;
    uint64_t after;
    uint64_t due_ns;             /* aegis_now_ns() clock */
    struct aegis_seq_waiter *next;
};

/* True when batch `number` is answered exactly as stored: no seal covers it
 * yet, it is not orphaned and the backend adds nothing. The stored text is
 * json_dumps(JSON_COMPACT) of the batch (core_batch_json.c), so it is the very
 * reply aegis_seq_load_batch would rebuild by parsing and dumping it. */
static bool as_stored(struct aegis_seq *p, uint64_t number)
{
    if (p->log->batch_extras)
        return false;
    bool covered = false;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_seals && !covered; i++)
        covered = number >= p->seals[i].first && number < p->seals[i].first + p->seals[i].count;
    pthread_mutex_unlock(&p->lock);
    return !covered && !aegis_seq_is_orphaned(p, number);
}

/* Answer dr (or, with dr NULL, the call when it can be deferred) with batch
 * `number` as stored. False when it is not sent that way: then nothing is
 * deferred and the caller answers as usual. */
static bool send_as_stored(struct aegis_seq *p, aegis_rpc_deferred *dr, const aegis_rpc_call *call, uint64_t number)
{
    if (!as_stored(p, number))
        return false;
    uint8_t *val = NULL;
    size_t len = 0;
    if (aegis_store_get(p->store, "batch", number, &val, &len) != AEGIS_OK || len == 0 ||
        (!dr && !(dr = aegis_rpc_defer(call)))) {
        aegis_free(val);
        return false;
    }
    aegis_rpc_finish_text(dr, (const char *)val, len);
    aegis_free(val);
    return true;
}

static void answer(struct aegis_seq *p, struct aegis_seq_waiter *w, bool ready)
{
    /* a fresh batch (the usual answer to a long-poll) goes out as stored:
     * no JSON tree is built and dumped again for every follower */
    if (ready && send_as_stored(p, w->dr, NULL, w->after + 1)) {
        aegis_free(w);
        return;
    }
    json_t *b = NULL;
    aegis_err err = ready ? aegis_seq_load_batch(p, w->after + 1, &b) : AEGIS_OK;
    aegis_rpc_finish(w->dr, err, b, err ? "batch could not be loaded" : NULL);
    aegis_free(w);
}

static void *waiter_main(void *arg)
{
    struct aegis_seq *p = arg;
    aegis_thread_name("seq-waitbatch");
    pthread_mutex_lock(&p->lock);
    for (;;) {
        bool stop = p->stop;
        uint64_t now = aegis_now_ns(), next = now + 1000000000ull;
        struct aegis_seq_waiter *done = NULL, **pp = &p->waiters;
        while (*pp) {
            struct aegis_seq_waiter *w = *pp;
            if (stop || p->closing || p->last_batch > w->after || now >= w->due_ns) {
                *pp = w->next;
                w->next = done;
                done = w;
                continue;
            }
            if (w->due_ns < next)
                next = w->due_ns;
            pp = &w->next;
        }
        if (done) {
            uint64_t last = p->last_batch;
            pthread_mutex_unlock(&p->lock);
            for (struct aegis_seq_waiter *w = done, *nx; w; w = nx) {
                nx = w->next;
                answer(p, w, last > w->after);
            }
            pthread_mutex_lock(&p->lock);
            continue;
        }
        if (stop)
            break;
        p->waiter_wake_ns = next;
        struct timespec ts = { (time_t)(next / 1000000000ull), (long)(next % 1000000000ull) };
        pthread_cond_timedwait(&p->published, &p->lock, &ts);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

aegis_err aegis_seq_m_wait_batch(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *a = json_array_get(params, 0), *t = json_array_get(params, 1);
    if (!json_is_array(params) || json_array_size(params) != 2 || !json_is_integer(a) || !json_is_integer(t) ||
        json_integer_value(a) < 0 || json_integer_value(t) < 0) {
        *detail = "params must be [after_number, timeout_ms]";
        return AEGIS_ERR_RPC_INVALID_PARAMS;
    }
    uint64_t after = (uint64_t)json_integer_value(a);
    uint64_t ms = (uint64_t)json_integer_value(t);
    if (ms > MAX_WAIT_MS)
        ms = MAX_WAIT_MS;
    uint64_t due = aegis_now_ns() + ms * 1000000ull;
    if (call->deadline_ns > DEADLINE_MARGIN_NS && due > call->deadline_ns - DEADLINE_MARGIN_NS)
        due = call->deadline_ns - DEADLINE_MARGIN_NS;

    pthread_mutex_lock(&p->lock);
    bool ready = p->last_batch > after;
    bool wait = !ready && ms > 0 && !p->stop && !p->closing && p->waiter_started;
    struct aegis_seq_waiter *w = NULL;
    if (wait && (w = aegis_calloc(1, sizeof(*w))) && (w->dr = aegis_rpc_defer(call))) {
        w->after = after;
        w->due_ns = due;
        w->next = p->waiters;
        p->waiters = w;
        if (due < p->waiter_wake_ns)
            pthread_cond_broadcast(&p->published); /* wake the waiting thread earlier */
        pthread_mutex_unlock(&p->lock);
        return AEGIS_OK;
    }
    pthread_mutex_unlock(&p->lock);
    aegis_free(w);
    if (!ready) {
        *ret = json_null();
        return AEGIS_OK;
    }
    /* a follower that is behind: the batch exists already */
    if (send_as_stored(p, NULL, call, after + 1))
        return AEGIS_OK;
    return aegis_seq_load_batch(p, after + 1, ret);
}

aegis_err aegis_seq_wait_start(struct aegis_seq *p)
{
    if (pthread_create(&p->waiter_thread, NULL, waiter_main, p) != 0)
        return AEGIS_ERR_NOMEM;
    p->waiter_started = true;
    return AEGIS_OK;
}

void aegis_seq_wait_stop(struct aegis_seq *p)
{
    if (p->waiter_started)
        pthread_join(p->waiter_thread, NULL);
    p->waiter_started = false;
    aegis_rpc_budget_free(p->refused);
    p->refused = NULL;
}
