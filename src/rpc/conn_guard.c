/*
 * conn_guard.c - slow clients cannot hold the server's connection slots.
 *
 * libmicrohttpd's connection timeout is an idle timeout: every byte a
 * client sends restarts it, so a client sending one header byte every few
 * seconds keeps its slot forever, and 1,100 of them take every slot. Three
 * rules close that (docs/internals/rpc.md, "Slow and hostile clients"):
 *
 *   1. Read deadline. A request's header and body must arrive within
 *      read_timeout_ms of the start of its read phase (the connection's
 *      accept, or the end of the previous request on a keep-alive
 *      connection). Bytes arriving do not extend it.
 *   2. Per-address cap: MHD_OPTION_PER_IP_CONNECTION_LIMIT (server.c).
 *   3. Room for new clients. Once more than max_connections -
 *      reserved_connections are open, the connections that have been in
 *      their read phase longest are closed until the reserve is free
 *      again, so a new client (whose request arrives in milliseconds) finds
 *      a slot, and a trickler loses its slot to it.
 *
 * A connection is closed by shutdown(2) on its socket from the guard
 * thread: libmicrohttpd then sees the end of the stream on its own thread
 * and closes the connection in its usual way (the completion and close
 * callbacks run as for a client that went away).
 *
 * Ownership and races: an entry is created by the connection-started
 * notification and freed by the connection-closed one, both on MHD's
 * thread of that connection; the access handler and the completion
 * callback only flip its read phase. Every field is read and written under
 * g->lock, and the shutdown(2) happens under it too: libmicrohttpd calls the
 * closed notification before it closes the socket, so the guard never
 * shuts down a descriptor number that was already reused.
 *
 * Entries sit on one list in order of the start of their read phase
 * (a keep-alive connection moves to the tail when its next read phase
 * starts), so the oldest readers are at the head: the deadline scan and
 * the eviction both stop at the first entry that is young enough.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "rpc_int.h"

struct aegis__conn {
    int fd;
    bool reading;           /* header or body still arriving */
    bool shut;              /* the guard closed it; waiting for MHD */
    uint64_t since_ns;      /* start of the current read phase */
    struct aegis__conn *prev, *next;
};

static void unlink_entry(struct aegis__conn_guard *g, struct aegis__conn *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        g->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        g->tail = e->prev;
    e->prev = e->next = NULL;
}

static void append_entry(struct aegis__conn_guard *g, struct aegis__conn *e)
{
    e->prev = g->tail;
    e->next = NULL;
    if (g->tail)
        g->tail->next = e;
    else
        g->head = e;
    g->tail = e;
}

/* Close one connection (under g->lock). */
static void shut_locked(struct aegis__conn_guard *g, struct aegis__conn *e, atomic_uint_fast64_t *counter)
{
    e->shut = true;
    g->n_shut++;
    shutdown(e->fd, SHUT_RDWR);
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* One pass: deadlines, then pressure. Returns when the next deadline is due. */
static uint64_t sweep_locked(struct aegis__conn_guard *g, uint64_t now)
{
    uint64_t next = now + 1000000000ull;
    uint64_t limit = g->read_timeout_ns;
    for (struct aegis__conn *e = g->head; e; e = e->next) {
        if (!e->reading || e->shut)
            continue;
        if (limit && now - e->since_ns >= limit) {
            shut_locked(g, e, &g->closed_deadline);
            continue;
        }
        if (limit && e->since_ns + limit < next)
            next = e->since_ns + limit;
        break; /* later entries started later */
    }
    /* Keep the reserve free: the longest readers go first. */
    for (struct aegis__conn *e = g->head; e && g->n_open - g->n_shut > g->high_water; e = e->next)
        if (e->reading && !e->shut)
            shut_locked(g, e, &g->closed_pressure);
    return next;
}

static void *guard_main(void *arg)
{
    struct aegis__conn_guard *g = arg;
    aegis_thread_name("rpc-connguard");
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        uint64_t next = sweep_locked(g, aegis_now_ns());
        struct timespec ts = { (time_t)(next / 1000000000ull), (long)(next % 1000000000ull) };
        pthread_cond_timedwait(&g->cond, &g->lock, &ts);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

void aegis__guard_init(struct aegis__conn_guard *g, const aegis_rpc_opts *o)
{
    pthread_condattr_t ca;
    pthread_mutex_init(&g->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the clock of aegis_now_ns() */
    pthread_cond_init(&g->cond, &ca);
    pthread_condattr_destroy(&ca);
    g->read_timeout_ns = (uint64_t)o->read_timeout_ms * 1000000ull;
    unsigned reserve = o->reserved_connections < o->max_connections ? o->reserved_connections : 0;
    g->high_water = o->max_connections - reserve;
}

void aegis__guard_destroy(struct aegis__conn_guard *g)
{
    /* MHD_stop_daemon closed every connection: the list is empty. */
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

aegis_err aegis__guard_start(struct aegis__conn_guard *g)
{
    if (pthread_create(&g->thread, NULL, guard_main, g) != 0)
        return AEGIS_ERR_NOMEM;
    g->started = true;
    return AEGIS_OK;
}

void aegis__guard_stop(struct aegis__conn_guard *g)
{
    if (!g->started)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_signal(&g->cond);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    g->started = false;
}

struct aegis__conn *aegis__guard_open(struct aegis__conn_guard *g, int fd)
{
    struct aegis__conn *e = aegis_calloc(1, sizeof(*e));
    if (!e)
        return NULL; /* unguarded: MHD's own timeout still applies */
    e->fd = fd;
    e->reading = true;
    e->since_ns = aegis_now_ns();
    pthread_mutex_lock(&g->lock);
    append_entry(g, e);
    g->n_open++;
    if (g->n_open - g->n_shut > g->high_water)
        pthread_cond_signal(&g->cond); /* make room now, not at the next tick */
    pthread_mutex_unlock(&g->lock);
    return e;
}

void aegis__guard_close(struct aegis__conn_guard *g, struct aegis__conn *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&g->lock);
    unlink_entry(g, e);
    g->n_open--;
    if (e->shut)
        g->n_shut--;
    pthread_mutex_unlock(&g->lock);
    aegis_free(e);
}

void aegis__guard_read_done(struct aegis__conn_guard *g, struct aegis__conn *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&g->lock);
    e->reading = false;
    pthread_mutex_unlock(&g->lock);
}

void aegis__guard_read_again(struct aegis__conn_guard *g, struct aegis__conn *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&g->lock);
    if (!e->reading) {
        e->reading = true;
        e->since_ns = aegis_now_ns();
        unlink_entry(g, e);
        append_entry(g, e);
    }
    pthread_mutex_unlock(&g->lock);
}
