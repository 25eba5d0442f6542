/*
 * cli_loadgen_loop.c - `aegis loadgen --preseal`'s sender: the pre-sealed
 * requests over keep-alive connections from one epoll loop thread (or
 * --loops N of them), so the load generator costs the machine little of
 * the CPU the server it measures needs.
 *
 * Connection c (0 <= c < --concurrency) owns the senders s with
 * s % concurrency == c and sends their jobs in nonce order, one request in
 * flight: a sender's next envelope goes only after its previous one was
 * answered. Connections are spread over the loop threads (c % loops).
 *
 * Per request: one send() of the whole request (headers and body were
 * written when it was sealed; TCP_NODELAY), then recv() straight into the
 * connection's buffer until aegis_http_frame finds one whole response
 * framed by Content-Length (anything else is refused with its reason),
 * and the body is checked in place: HTTP 200 with a JSON-RPC "result"
 * naming the job's tx hash is an acknowledgement. MEMPOOL_FULL,
 * MEMPOOL_SENDER_LIMIT and INGEST_BUSY answers are retried on the same
 * connection after a backoff (20 ms doubling to 1 s); any other answer
 * fails the job. A connection error (refused, reset, closed before the
 * answer, a malformed or unframed response, 30 s without one) fails the
 * job in flight and it is never sent again - the server may have taken
 * it, and a repeat would be a duplicate; the connection's next job dials
 * a new one. A connection the server closes while idle is simply
 * re-dialled for the next job.
 *
 * Pacing (--rate): each job takes the next global ticket when its
 * connection is ready for it and waits until the ticket's due time
 * (aegis_lg_due_ns); the loop sleeps in epoll_wait until the earliest due
 * time, backoff end or request deadline (millisecond resolution).
 */
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aegis/http.h"
#include "cli_loadgen.h"

#define REQ_TIMEOUT_NS (30ull * 1000000000ull)
#define IN_CAP0        (32u * 1024)
#define IN_CAP_MAX     ((size_t)AEGIS_HTTP_MAX_RESPONSE + AEGIS_HTTP_FRAME_MAX_HEADER)

enum { C_NEXT, C_WAIT, C_CONNECTING, C_SENDING, C_RECV, C_DONE };

struct lg_loop;

typedef struct lg_conn {
    struct lg_loop *lp;
    int fd;
    int state;
    uint32_t events;          /* epoll interest while fd is open */
    uint64_t idx;             /* owns the senders s with s % conc == idx */
    uint64_t round, s;        /* the next job: round * senders + s */
    uint64_t j;               /* the job being sent (C_WAIT .. C_RECV) */
    bool started;             /* j's first attempt began: counted as sent, start_ns set */
    uint64_t wake_ns;         /* C_WAIT: the ticket's due time or the backoff's end */
    uint64_t deadline_ns;     /* in flight: the request's time limit */
    uint64_t start_ns, backoff_ms;
    size_t out_off;           /* bytes of the request sent */
    uint8_t *in;              /* the response being read */
    size_t in_len, in_cap;
    char want[80];            /* "\"tx_hash\":\"0x<64 hex digits>" */
    size_t want_len;
} lg_conn;

typedef struct lg_loop {
    struct aegis_lg_loops *all;
    int ep;
    lg_conn **conns;
    size_t n, live;           /* connections, those not done */
    pthread_t th;
} lg_loop;

struct aegis_lg_loops {
    aegis_lg *g;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    lg_conn *conn;            /* g->conc */
    lg_loop *loop;            /* g->loops */
    size_t n_loops, started;
};

static void conn_next(lg_conn *c, uint64_t now);
static void attempt(lg_conn *c, uint64_t now);

static bool in_flight(const lg_conn *c)
{
    return c->state == C_CONNECTING || c->state == C_SENDING || c->state == C_RECV;
}

static void set_events(lg_conn *c, uint32_t ev)
{
    if (c->fd < 0 || c->events == ev)
        return;
    struct epoll_event e = { .events = ev, .data.ptr = c };
    if (epoll_ctl(c->lp->ep, EPOLL_CTL_MOD, c->fd, &e) == 0)
        c->events = ev;
}

static void conn_close(lg_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);   /* leaves the epoll set with it */
    c->fd = -1;
    c->events = 0;
    c->in_len = 0;
}

/* The job in flight failed on its connection: never resent. The loop's
 * timer pass takes the connection's next job (C_NEXT), not this call: a
 * node that refuses every connect would otherwise recurse once per job. */
static void conn_error(lg_conn *c, const char *what, const char *detail)
{
    char m[300];
    snprintf(m, sizeof(m), "%s%s%s (connection error: not resent)", what, detail ? ": " : "", detail ? detail : "");
    aegis_lg_job_failed(c->lp->all->g, c->j, m);
    conn_close(c);
    c->state = C_NEXT;
}

/* A non-blocking TCP connection to the node; false with errno on failure. */
static bool dial(lg_conn *c)
{
    struct aegis_lg_loops *all = c->lp->all;
    int fd = socket(all->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    bool now = connect(fd, (const struct sockaddr *)&all->addr, all->addr_len) == 0;
    if (!now && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return false;
    }
    /* readable (an answer, or the server closing an idle connection) is
     * always of interest; writable only while connecting or sending */
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (now ? 0u : EPOLLOUT), .data.ptr = c };
    if (epoll_ctl(c->lp->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return false;
    }
    c->fd = fd;
    c->events = ev.events;
    c->state = now ? C_SENDING : C_CONNECTING;
    return true;
}

/* Send what is left of the request: all of it in one send() as a rule. */
static void do_send(lg_conn *c, uint64_t now)
{
    const aegis_lg_job *job = &c->lp->all->g->jobs[c->j];
    while (c->out_off < job->req_len) {
        ssize_t w = send(c->fd, job->req + c->out_off, job->req_len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->state = C_SENDING;
            set_events(c, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
            return;
        }
        conn_error(c, "send", strerror(errno));
        return;
    }
    c->state = C_RECV;
    set_events(c, EPOLLIN | EPOLLRDHUP);
}

/* Send job c->j (its first attempt or a retry after a transient answer). */
static void attempt(lg_conn *c, uint64_t now)
{
    aegis_lg *g = c->lp->all->g;
    aegis_lg_job *job = &g->jobs[c->j];
    if (!c->started) {
        c->started = true;
        c->start_ns = now;
        c->backoff_ms = 20;
        memcpy(c->want, "\"tx_hash\":\"0x", 13);
        aegis_hex_encode(c->want + 13, job->hash, 32);
        c->want_len = 13 + 64;
        pthread_mutex_lock(&g->lock);
        job->state = AEGIS_LG_JOB_SENT;
        g->sent++;
        pthread_mutex_unlock(&g->lock);
    }
    c->deadline_ns = now + REQ_TIMEOUT_NS;
    c->out_off = 0;
    c->in_len = 0;
    if (c->fd < 0) {
        if (!dial(c)) {
            conn_error(c, "cannot connect to the node", strerror(errno));
            return;
        }
        if (c->state == C_CONNECTING)
            return;
    }
    do_send(c, now);
}

/* The next job of this connection, paced; C_DONE when it has no more. */
static void conn_next(lg_conn *c, uint64_t now)
{
    aegis_lg *g = c->lp->all->g;
    uint64_t per_sender = (g->count + g->senders - 1) / g->senders;
    c->started = false;
    for (;;) {
        if (c->s >= g->senders) {
            c->round++;
            c->s = c->idx;
        }
        if (c->round >= per_sender || __atomic_load_n(&g->stop, __ATOMIC_RELAXED)) {
            conn_close(c);
            c->state = C_DONE;
            c->lp->live--;
            return;
        }
        uint64_t j = c->round * g->senders + c->s;
        c->s += g->conc;
        if (j < g->count) {
            c->j = j;
            break;
        }
    }
    uint64_t t = __atomic_fetch_add(&g->ticket, 1, __ATOMIC_RELAXED);
    uint64_t due = aegis_lg_due_ns(g, t);
    if (due > now) {
        c->state = C_WAIT;
        c->wake_ns = due;
        return;
    }
    attempt(c, now);
}

/* The error of a JSON-RPC answer (parsed only on this rare path). */
static void answer_error(const aegis_http_frame_info *f, const char *body, int *ret_aegis_code, char *msg, size_t cap)
{
    json_t *j = json_loadb(body, f->body_len, 0, NULL);
    json_t *e = json_object_get(j, "error");
    *ret_aegis_code = (int)json_integer_value(json_object_get(json_object_get(e, "data"), "aegis_code"));
    const char *m = json_string_value(json_object_get(e, "message"));
    snprintf(msg, cap, "HTTP %d: %.200s", f->status, m ? m : "no JSON-RPC error in the answer");
    json_decref(j);
}

/* One whole response to c->j is in c->in. */
static void answered(lg_conn *c, const aegis_http_frame_info *f, uint64_t now)
{
    aegis_lg *g = c->lp->all->g;
    const char *body = (const char *)c->in + f->header_len;
    bool ok = f->status == 200 && memmem(body, f->body_len, "\"result\"", 8) &&
              memmem(body, f->body_len, c->want, c->want_len);
    int code = 0;
    char m[300] = "";
    if (!ok)
        answer_error(f, body, &code, m, sizeof(m));
    c->in_len = 0;
    if (f->close)
        conn_close(c);   /* the next request dials again: this one was answered */
    if (ok) {
        aegis_lg_job_acked(g, c->j, now - c->start_ns);
        conn_next(c, now);
        return;
    }
    bool transient = code == AEGIS_ERR_MEMPOOL_FULL || code == AEGIS_ERR_MEMPOOL_SENDER_LIMIT ||
                     code == AEGIS_ERR_INGEST_BUSY;
    if (!transient || __atomic_load_n(&g->stop, __ATOMIC_RELAXED)) {
        aegis_lg_job_failed(g, c->j, m);
        conn_next(c, now);
        return;
    }
    /* back-pressure, not a verdict: the same request again after a while */
    __atomic_add_fetch(&g->retries, 1, __ATOMIC_RELAXED);
    c->state = C_WAIT;
    c->wake_ns = now + c->backoff_ms * 1000000ull;
    c->backoff_ms = c->backoff_ms < 500 ? c->backoff_ms * 2 : 1000;
}

/* Read what arrived; act on a whole response. */
static void on_readable(lg_conn *c, uint64_t now)
{
    if (c->state != C_RECV) {
        /* nothing asked: the server closed an idle connection (or sent
         * bytes nobody asked for); the next job dials a new one */
        if (!in_flight(c)) {
            conn_close(c);
            return;
        }
        if (c->state == C_CONNECTING)
            return;   /* the connect's outcome comes with EPOLLOUT */
    }
    if (c->in_cap - c->in_len < 4096) {
        size_t cap = c->in_cap ? c->in_cap * 2 : IN_CAP0;
        if (cap > IN_CAP_MAX)
            cap = IN_CAP_MAX;
        uint8_t *p = cap > c->in_cap ? aegis_realloc(c->in, cap) : NULL;
        if (!p) {
            conn_error(c, "response", cap > c->in_cap ? "out of memory" : "too large");
            return;
        }
        c->in = p;
        c->in_cap = cap;
    }
    ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (r <= 0) {
        conn_error(c, "the connection ended before a whole answer", r < 0 ? strerror(errno) : NULL);
        return;
    }
    c->in_len += (size_t)r;
    if (c->state != C_RECV) {
        conn_error(c, "an answer before the whole request was sent", NULL);
        return;
    }
    aegis_http_frame_info f;
    const char *why = NULL;
    aegis_err err = aegis_http_frame(c->in, c->in_len, &f, &why);
    if (err == AEGIS_ERR_TRUNCATED)
        return;   /* more to come */
    if (err) {
        conn_error(c, aegis_strerror(err), why);
        return;
    }
    if (c->in_len > f.total) {
        conn_error(c, "bytes after the answer (one request was in flight)", NULL);
        return;
    }
    answered(c, &f, now);
}

static void on_event(lg_conn *c, uint32_t ev, uint64_t now)
{
    if (c->fd < 0 || c->state == C_DONE)
        return;
    if (c->state == C_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = errno;
        if (soerr) {
            conn_error(c, "cannot connect to the node", strerror(soerr));
            return;
        }
        do_send(c, now);
        return;
    }
    if (c->state == C_SENDING && (ev & EPOLLOUT)) {
        do_send(c, now);
        if (c->fd < 0 || c->state != C_RECV)
            return;
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        on_readable(c, now);
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *loop_main(void *arg)
{
    lg_loop *lp = arg;
    aegis_lg *g = lp->all->g;
    uint64_t now;   /* every connection starts in C_NEXT: the first pass gives it a job */
    struct epoll_event evs[64];
    while (lp->live > 0 && !__atomic_load_n(&g->stop, __ATOMIC_RELAXED)) {
        /* timers: due tickets, ended backoffs, request deadlines */
        now = aegis_now_ns();
        uint64_t next = now + 100000000ull;
        for (size_t i = 0; i < lp->n; i++) {
            lg_conn *c = lp->conns[i];
            if (c->state == C_NEXT)
                conn_next(c, now);
            else if (c->state == C_WAIT && c->wake_ns <= now)
                attempt(c, now);
            else if (in_flight(c) && c->deadline_ns <= now)
                conn_error(c, "no answer within 30 s", NULL);
            if (c->state == C_NEXT)
                next = now;   /* a connection error: its next job at once */
            else if (c->state == C_WAIT && c->wake_ns < next)
                next = c->wake_ns;
            else if (in_flight(c) && c->deadline_ns < next)
                next = c->deadline_ns;
        }
        if (lp->live == 0)
            break;
        int ms = next > now ? (int)((next - now + 999999) / 1000000) : 0;
        int n = epoll_wait(lp->ep, evs, (int)AEGIS_ARRAY_LEN(evs), ms);
        if (n < 0 && errno != EINTR) {
            pthread_mutex_lock(&g->lock);
            if (!g->first_err[0])
                snprintf(g->first_err, sizeof(g->first_err), "epoll_wait: %s", strerror(errno));
            pthread_mutex_unlock(&g->lock);
            __atomic_store_n(&g->stop, 1, __ATOMIC_RELAXED);
            break;
        }
        now = aegis_now_ns();
        for (int i = 0; i < n; i++)
            on_event(evs[i].data.ptr, evs[i].events, now);
    }
    for (size_t i = 0; i < lp->n; i++)
        conn_close(lp->conns[i]);
    __atomic_add_fetch(&g->loop_cpu_ns, thread_cpu_ns(), __ATOMIC_RELAXED);
    pthread_mutex_lock(&g->lock);
    if (--g->loops_running == 0)
        g->cpu_end_s = aegis_lg_cpu_seconds();   /* the timed phase is over */
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/* The node's address, resolved once. */
static aegis_err resolve(struct aegis_lg_loops *l, const char *url)
{
    aegis_http_url u;
    aegis_err err = aegis_http_url_parse(url, &u);
    if (err)
        return err;
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(u.host, u.port, &hints, &res) != 0 || !res)
        return AEGIS_ERR_RPC_CONNECT;
    memcpy(&l->addr, res->ai_addr, res->ai_addrlen);
    l->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return AEGIS_OK;
}

void aegis_lg_loops_join(aegis_lg_loops *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->started; i++)
        pthread_join(l->loop[i].th, NULL);
    for (size_t i = 0; i < l->n_loops; i++) {
        if (l->loop[i].ep >= 0)
            close(l->loop[i].ep);
        aegis_free(l->loop[i].conns);
    }
    for (uint64_t c = 0; l->conn && c < l->g->conc; c++) {
        conn_close(&l->conn[c]);
        aegis_free(l->conn[c].in);
    }
    aegis_free(l->conn);
    aegis_free(l->loop);
    aegis_free(l);
}

aegis_err aegis_lg_loops_start(aegis_lg *g, aegis_lg_loops **ret)
{
    aegis_lg_loops *l = aegis_calloc(1, sizeof(*l));
    if (!l)
        return AEGIS_ERR_NOMEM;
    l->g = g;
    l->n_loops = g->loops < g->conc ? g->loops : g->conc;
    aegis_err err = resolve(l, g->url);
    l->conn = aegis_calloc(g->conc, sizeof(*l->conn));
    for (uint64_t c = 0; l->conn && c < g->conc; c++)
        l->conn[c].fd = -1;   /* the error path below closes them */
    l->loop = aegis_calloc(l->n_loops, sizeof(*l->loop));
    if (!err && (!l->conn || !l->loop))
        err = AEGIS_ERR_NOMEM;
    for (size_t i = 0; l->loop && i < l->n_loops; i++) {
        l->loop[i].ep = -1;
        l->loop[i].all = l;
        if (!err && !(l->loop[i].conns = aegis_calloc(g->conc / l->n_loops + 1, sizeof(lg_conn *))))
            err = AEGIS_ERR_NOMEM;
        if (!err && (l->loop[i].ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
            err = AEGIS_ERR_IO;
    }
    if (err) {
        aegis_lg_loops_join(l);
        return err;
    }
    for (uint64_t c = 0; c < g->conc; c++) {
        lg_loop *lp = &l->loop[c % l->n_loops];
        lg_conn *cn = &l->conn[c];
        cn->lp = lp;
        cn->idx = c;
        cn->s = c;
        cn->state = C_NEXT;
        lp->conns[lp->n++] = cn;
        lp->live++;
    }
    g->loops_running = (int)l->n_loops;
    for (; l->started < l->n_loops; l->started++)
        if (pthread_create(&l->loop[l->started].th, NULL, loop_main, &l->loop[l->started]) != 0)
            break;
    if (l->started < l->n_loops) {
        __atomic_store_n(&g->stop, 1, __ATOMIC_RELAXED);
        pthread_mutex_lock(&g->lock);
        g->loops_running -= (int)(l->n_loops - l->started);
        pthread_mutex_unlock(&g->lock);
        aegis_lg_loops_join(l);
        return AEGIS_ERR_INTERNAL;
    }
    *ret = l;
    return AEGIS_OK;
}
