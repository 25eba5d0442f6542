/*
 * defer.c - deferred JSON-RPC replies: a handler takes its call's
 * deferral (aegis_rpc_defer), returns, and finishes it later from any
 * thread (aegis_rpc_finish / _finish_text).
 *
 * The object is shared by two parties and reference counted:
 *   - the handler, until its one finish call;
 *   - the HTTP request, until MHD's completion callback
 *     (aegis__defer_request_done) - while it lives, the object is also on
 *     srv->defer_head so that stop can find it.
 *
 * The reply is built once ("answered"): by the finish, or - if the server
 * gives up first (stop, or the connection vanished) - by the server, in
 * which case the later finish only drops its reference. Once the server
 * gave up, the object no longer points into the server (stats = NULL), so a
 * finish after aegis_rpc_server_free() is safe.
 *
 * Suspend / resume: the access handler suspends the connection only if the
 * call is not yet answered, and the finish resumes it only if it was
 * suspended; both happen under d->lock, which settles the race in which
 * the finish comes before (or while) the access handler returns.
 *
 * Deadline: one thread per server sleeps until the earliest deadline of
 * an unanswered deferred call (at most 1 s) and answers the calls past
 * theirs with AEGIS_ERR_RPC_DEADLINE - the same as stop does with
 * AEGIS_ERR_NOT_READY; the handler's later finish is then dropped.
 *
 * Locks: srv->defer_lock before d->lock before MHD's internal mutexes
 * (MHD_suspend_connection / MHD_resume_connection take one; MHD never calls
 * our callbacks holding it, and never for a suspended connection).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "rpc_int.h"

struct aegis_rpc_deferred {
    pthread_mutex_t lock;
    unsigned refs;                     /* under lock */
    /* Fixed at creation. */
    char *id_text;                     /* the request id as JSON text */
    size_t id_len;
    uint64_t t0;
    uint64_t deadline_ns;
    struct MHD_Connection *conn;
    /* Under lock. */
    struct aegis__method_stats *stats; /* NULL once the server let go */
    bool answered;                     /* body holds the reply (or none is due) */
    bool suspended;                    /* the connection is suspended */
    char *body;
    size_t len;
    /* srv->defer_head list, under srv->defer_lock. */
    aegis_rpc_deferred *prev, *next;
};

static const char env_head[] = "{\"jsonrpc\":\"2.0\",\"id\":";

/* {"jsonrpc":"2.0","id":<id>,"<member>":<val>} - the key order of the
 * synchronous path. NULL when out of memory. */
static char *build_body(const aegis_rpc_deferred *d, const char *member, const char *val,
                        size_t vlen, size_t *ret_len)
{
    size_t mlen = strlen(member);
    size_t n = sizeof(env_head) - 1 + d->id_len + 2 + mlen + 2 + vlen + 1;
    char *out = aegis_malloc(n + 1);
    if (!out)
        return NULL;
    char *p = out;
    memcpy(p, env_head, sizeof(env_head) - 1);
    p += sizeof(env_head) - 1;
    memcpy(p, d->id_text, d->id_len);
    p += d->id_len;
    *p++ = ',';
    *p++ = '"';
    memcpy(p, member, mlen);
    p += mlen;
    *p++ = '"';
    *p++ = ':';
    memcpy(p, val, vlen);
    p += vlen;
    *p++ = '}';
    *p = '\0';
    *ret_len = (size_t)(p - out);
    return out;
}

/* The error object of dispatch.c's error path, in the envelope. */
static char *build_error(const aegis_rpc_deferred *d, aegis_err err, const char *detail,
                         size_t *ret_len)
{
    char *body = NULL;
    json_t *doc = aegis__rpc_error_reply(NULL, err, detail);
    json_t *eo = doc ? json_object_get(doc, "error") : NULL;
    char *s = eo ? json_dumps(eo, JSON_COMPACT) : NULL;
    if (s)
        body = build_body(d, "error", s, strlen(s), ret_len);
    free(s);
    json_decref(doc);
    return body;
}

static void release(aegis_rpc_deferred *d)
{
    pthread_mutex_lock(&d->lock);
    unsigned left = --d->refs;
    pthread_mutex_unlock(&d->lock);
    if (left)
        return;
    pthread_mutex_destroy(&d->lock);
    aegis_free(d->body);
    aegis_free(d->id_text);
    aegis_free(d);
}

/* Record the reply (takes body, which may be NULL after out of memory).
 * Caller holds d->lock. Returns false if the call was already answered. */
static bool answer_locked(aegis_rpc_deferred *d, char *body, size_t len, bool ok)
{
    if (d->answered) {
        aegis_free(body);
        return false;
    }
    d->answered = true;
    d->body = body;
    d->len = body ? len : 0;
    if (d->stats)
        aegis__metrics_observe(d->stats, ok && body, aegis_now_ns() - d->t0);
    if (d->suspended) {
        d->suspended = false;
        MHD_resume_connection(d->conn);
    }
    return true;
}

aegis_rpc_deferred *aegis_rpc_defer(const aegis_rpc_call *call)
{
    struct aegis__rpc_defer_slot *slot = call ? call->defer : NULL;
    if (!slot)
        return NULL;
    if (slot->d)
        return slot->d;
    aegis_rpc_deferred *d = aegis_calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    char *s = json_dumps(slot->id, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s) {
        d->id_len = strlen(s);
        d->id_text = aegis_malloc(d->id_len + 1);
        if (d->id_text)
            memcpy(d->id_text, s, d->id_len + 1);
        free(s);
    }
    if (!d->id_text) {
        aegis_free(d);
        return NULL;
    }
    pthread_mutex_init(&d->lock, NULL);
    d->refs = 2; /* the handler's and the request's */
    d->t0 = slot->t0;
    d->deadline_ns = slot->deadline_ns;
    d->stats = slot->stats;
    d->conn = slot->conn;

    aegis_rpc_server *srv = slot->srv;
    pthread_mutex_lock(&srv->defer_lock);
    if (srv->defer_closed) {
        pthread_mutex_unlock(&srv->defer_lock);
        pthread_mutex_destroy(&d->lock);
        aegis_free(d->id_text);
        aegis_free(d);
        return NULL;
    }
    d->next = srv->defer_head;
    if (d->next)
        d->next->prev = d;
    srv->defer_head = d;
    if (d->deadline_ns < srv->defer_wake_ns)
        pthread_cond_signal(&srv->defer_cond);
    pthread_mutex_unlock(&srv->defer_lock);
    slot->d = d;
    return d;
}

void aegis_rpc_finish(aegis_rpc_deferred *d, aegis_err err, json_t *result, const char *detail)
{
    if (!d) {
        json_decref(result);
        return;
    }
    char *body = NULL;
    size_t len = 0;
    if (err) {
        json_decref(result);
        body = build_error(d, err, detail, &len);
    } else {
        char *s = json_dumps(result ? result : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(result);
        if (s)
            body = build_body(d, "result", s, strlen(s), &len);
        else
            body = build_error(d, AEGIS_ERR_NOMEM, "cannot serialise the result", &len);
        free(s);
    }
    pthread_mutex_lock(&d->lock);
    answer_locked(d, body, len, err == AEGIS_OK);
    pthread_mutex_unlock(&d->lock);
    release(d);
}

void aegis_rpc_finish_text(aegis_rpc_deferred *d, const char *result_json, size_t len)
{
    if (!d)
        return;
    size_t blen = 0;
    char *body = len ? build_body(d, "result", result_json, len, &blen)
                     : build_body(d, "result", "null", 4, &blen);
    pthread_mutex_lock(&d->lock);
    answer_locked(d, body, blen, true);
    pthread_mutex_unlock(&d->lock);
    release(d);
}

/* ---- the server's side ---- */

bool aegis__defer_suspend(aegis_rpc_deferred *d)
{
    pthread_mutex_lock(&d->lock);
    bool ready = d->answered;
    if (!ready) {
        MHD_suspend_connection(d->conn);
        d->suspended = true;
    }
    pthread_mutex_unlock(&d->lock);
    return ready;
}

void aegis__defer_take_body(aegis_rpc_deferred *d, char **ret, size_t *ret_len)
{
    pthread_mutex_lock(&d->lock);
    *ret = d->body;
    *ret_len = d->len;
    d->body = NULL;
    d->len = 0;
    pthread_mutex_unlock(&d->lock);
}

void aegis__defer_request_done(aegis_rpc_server *srv, aegis_rpc_deferred *d)
{
    pthread_mutex_lock(&srv->defer_lock);
    if (d->prev)
        d->prev->next = d->next;
    else
        srv->defer_head = d->next;
    if (d->next)
        d->next->prev = d->prev;
    d->prev = d->next = NULL;
    pthread_mutex_unlock(&srv->defer_lock);

    pthread_mutex_lock(&d->lock);
    /* Nobody is left to read a reply; a suspended connection is never
     * completed, so there is nothing to resume either. */
    d->suspended = false;
    if (!d->answered) {
        d->answered = true;
        if (d->stats)
            aegis__metrics_observe(d->stats, false, aegis_now_ns() - d->t0);
    }
    d->stats = NULL;
    d->conn = NULL;
    pthread_mutex_unlock(&d->lock);
    release(d);
}

unsigned aegis__defer_shutdown(aegis_rpc_server *srv)
{
    unsigned n = 0;
    pthread_mutex_lock(&srv->defer_lock);
    srv->defer_closed = true;
    pthread_cond_broadcast(&srv->defer_cond);
    for (aegis_rpc_deferred *d = srv->defer_head; d; d = d->next) {
        size_t len = 0;
        char *body = build_error(d, AEGIS_ERR_NOT_READY, "server is shutting down", &len);
        pthread_mutex_lock(&d->lock);
        if (answer_locked(d, body, len, false))
            n++;
        d->stats = NULL;
        pthread_mutex_unlock(&d->lock);
    }
    pthread_mutex_unlock(&srv->defer_lock);
    return n;
}

/* ---- the deadline thread ---- */

void aegis__defer_init(aegis_rpc_server *srv)
{
    pthread_condattr_t ca;
    pthread_mutex_init(&srv->defer_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the clock of aegis_now_ns() */
    pthread_cond_init(&srv->defer_cond, &ca);
    pthread_condattr_destroy(&ca);
    srv->defer_wake_ns = UINT64_MAX;
}

void aegis__defer_destroy(aegis_rpc_server *srv)
{
    pthread_cond_destroy(&srv->defer_cond);
    pthread_mutex_destroy(&srv->defer_lock);
}

static void *reaper(void *arg)
{
    aegis_rpc_server *srv = arg;
    aegis_thread_name("rpc-reaper");
    pthread_mutex_lock(&srv->defer_lock);
    while (!srv->defer_closed) {
        uint64_t now = aegis_now_ns();
        uint64_t next = now + 1000000000ull;
        for (aegis_rpc_deferred *d = srv->defer_head; d; d = d->next) {
            pthread_mutex_lock(&d->lock);
            if (!d->answered && d->deadline_ns <= now) {
                size_t len = 0;
                char *body = build_error(d, AEGIS_ERR_RPC_DEADLINE, "deferred call not finished in time",
                                         &len);
                answer_locked(d, body, len, false);
            } else if (!d->answered && d->deadline_ns < next) {
                next = d->deadline_ns;
            }
            pthread_mutex_unlock(&d->lock);
        }
        srv->defer_wake_ns = next;
        struct timespec ts = { (time_t)(next / 1000000000ull), (long)(next % 1000000000ull) };
        pthread_cond_timedwait(&srv->defer_cond, &srv->defer_lock, &ts);
    }
    pthread_mutex_unlock(&srv->defer_lock);
    return NULL;
}

aegis_err aegis__defer_start(aegis_rpc_server *srv)
{
    if (pthread_create(&srv->defer_reaper, NULL, reaper, srv) != 0)
        return AEGIS_ERR_NOMEM;
    srv->defer_reaper_started = true;
    return AEGIS_OK;
}

void aegis__defer_join(aegis_rpc_server *srv)
{
    if (!srv->defer_reaper_started)
        return;
    pthread_join(srv->defer_reaper, NULL);
    srv->defer_reaper_started = false;
}
