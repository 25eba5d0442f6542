/*
 * server.c - the aegis_rpc_server object and its libmicrohttpd glue.
 *
 * Threading: MHD runs an internal epoll thread pool (opts.threads); each
 * request is handled on the thread that read it. A single request whose
 * handler deferred (aegis_rpc_defer, defer.c) has its connection suspended
 * instead, holding no thread, until the finish resumes it; MHD then calls
 * on_request again and the reply is queued. epoll has
 * no FD_SETSIZE ceiling, so thousands of idle keep-alive connections cost
 * only memory, and MHD_OPTION_CONNECTION_LIMIT / _TIMEOUT bound them.
 *
 * Shutdown: MHD_quiesce_daemon() closes the listening socket, then we wait
 * (up to opts.drain_ms) until no request is in flight (deferred ones
 * included), answer deferred calls still outstanding with an error and
 * resume their connections (MHD refuses to stop with suspended ones), and
 * MHD_stop_daemon() closes the remaining connections.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "rpc_int.h"

void aegis_rpc_opts_default(aegis_rpc_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->port = 8545;
    o->max_body = 1024 * 1024;
    o->max_connections = 1024;
    o->timeout_ms = 10000;
    o->read_timeout_ms = 10000;
    o->max_per_address = 128;
    o->reserved_connections = 64;
    o->threads = 2;
    o->max_batch = 100;
    o->request_time_ms = 30000;
    o->drain_ms = 5000;
    o->version = AEGIS_VERSION;
}

/* ---- built-in methods ---- */

static aegis_err list_methods(const aegis_rpc_call *call, json_t *params, json_t **ret,
                              const char **detail)
{
    const aegis_rpc_server *srv = call->ctx;
    json_t *arr = json_array();
    if (!arr)
        return AEGIS_ERR_NOMEM;
    for (size_t i = 0; i < srv->n_methods; i++) {
        const aegis_rpc_method *m = srv->methods[i].m;
        json_t *flags = json_array();
        if (flags && (m->flags & AEGIS_RPC_PUBLIC))
            json_array_append_new(flags, json_string("public"));
        if (flags && (m->flags & AEGIS_RPC_ADMIN))
            json_array_append_new(flags, json_string("admin"));
        if (flags && (m->flags & AEGIS_RPC_WRITE))
            json_array_append_new(flags, json_string("write"));
        json_t *o = json_pack("{s:s, s:s, s:o?, s:s}", "name", m->name, "params",
                              m->params ? m->params : "", "flags", flags, "summary",
                              m->summary ? m->summary : "");
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return AEGIS_ERR_NOMEM;
        }
    }
    *ret = arr;
    return AEGIS_OK;
}

const aegis_rpc_method aegis__builtin_methods[] = {
    { "aegis_listMethods", list_methods, "[]", AEGIS_RPC_PUBLIC,
      "the method table: name, params, flags, summary" },
};
const size_t aegis__n_builtin_methods = AEGIS_ARRAY_LEN(aegis__builtin_methods);

/* ---- object ---- */

aegis_err aegis_rpc_server_new(aegis_rpc_server **ret, const aegis_rpc_opts *opts)
{
    aegis_rpc_server *srv = NULL;
    aegis_err err = AEGIS_ERR_NOMEM;
    aegis_rpc_opts def;
    if (!opts) {
        aegis_rpc_opts_default(&def);
        opts = &def;
    }
    if (!opts->host || opts->max_batch == 0 || opts->max_body == 0 || opts->threads == 0 ||
        opts->max_connections == 0)
        return AEGIS_ERR_INVAL;
    srv = aegis_calloc(1, sizeof(*srv));
    if (!srv)
        return AEGIS_ERR_NOMEM;
    pthread_mutex_init(&srv->health_lock, NULL);
    aegis__defer_init(srv);
    aegis__guard_init(&srv->guard, opts);
    srv->opts = *opts;
    srv->host = aegis_strdup(opts->host);
    srv->version = aegis_strdup(opts->version ? opts->version : AEGIS_VERSION);
    if (!srv->host || !srv->version)
        goto fail;
    srv->opts.host = srv->host;
    srv->opts.version = srv->version;
    srv->created_ns = aegis_now_ns();
    err = aegis_rpc_add_methods(srv, aegis__builtin_methods, aegis__n_builtin_methods, srv);
    if (err)
        goto fail;
    *ret = srv;
    return AEGIS_OK;
fail:
    aegis_rpc_server_free(srv);
    return err;
}

aegis_err aegis_rpc_add_methods(aegis_rpc_server *srv, const aegis_rpc_method *tbl, size_t n,
                                void *ctx)
{
    if (srv->started)
        return AEGIS_ERR_BUSY;
    for (size_t i = 0; i < n; i++) {
        if (!tbl[i].name || !tbl[i].handler)
            return AEGIS_ERR_INVAL;
        if (aegis__rpc_find(srv, tbl[i].name))
            return AEGIS_ERR_EXISTS;
        for (size_t j = 0; j < i; j++)
            if (strcmp(tbl[i].name, tbl[j].name) == 0)
                return AEGIS_ERR_EXISTS;
    }
    if (srv->n_methods + n > srv->cap_methods) {
        size_t ncap = srv->cap_methods ? srv->cap_methods : 16;
        while (ncap < srv->n_methods + n)
            ncap *= 2;
        struct aegis__method_slot *ns = aegis_realloc(srv->methods, ncap * sizeof(*ns));
        if (!ns)
            return AEGIS_ERR_NOMEM;
        srv->methods = ns;
        srv->cap_methods = ncap;
    }
    size_t base = srv->n_methods;
    for (size_t i = 0; i < n; i++) {
        struct aegis__method_stats *st = aegis_calloc(1, sizeof(*st));
        if (!st) {
            for (size_t j = base; j < base + i; j++)
                aegis_free(srv->methods[j].stats);
            return AEGIS_ERR_NOMEM;
        }
        srv->methods[base + i] = (struct aegis__method_slot){ .m = &tbl[i], .ctx = ctx, .stats = st };
    }
    srv->n_methods += n;
    return AEGIS_OK;
}

aegis_err aegis_rpc_add_metrics_source(aegis_rpc_server *srv, aegis_rpc_metrics_cb cb, void *arg)
{
    if (srv->started)
        return AEGIS_ERR_BUSY;
    if (srv->n_msrc == AEGIS__MAX_METRICS_SRC)
        return AEGIS_ERR_TOO_BIG;
    srv->msrc[srv->n_msrc++] = (struct aegis__metrics_src){ cb, arg };
    return AEGIS_OK;
}

/* ---- MHD glue ---- */

static const char ctype_json[] = "application/json";

struct request {
    aegis_buf body;
    bool too_big;
    bool responded;
    aegis_rpc_deferred *deferred; /* the call deferred; we hold a reference */
    bool deferred_sent;           /* its reply was queued */
};

static bool addr_is_loopback(const struct sockaddr *sa)
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, aegis_rpc_http_reply *r, bool close_conn)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(r->len, r->body, aegis_free);
    if (!resp) {
        aegis_rpc_http_reply_clear(r);
        return MHD_NO;
    }
    r->body = NULL; /* owned by the response now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    if (close_conn)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Queue the reply of a deferred call (it is answered). */
static enum MHD_Result send_deferred(aegis_rpc_server *srv, struct MHD_Connection *c,
                                     struct request *rq)
{
    aegis_rpc_http_reply r = { 200, NULL, 0, ctype_json };
    rq->deferred_sent = true;
    aegis__defer_take_body(rq->deferred, &r.body, &r.len);
    if (!r.body)
        r.status = 500; /* the reply could not be built (out of memory): empty body */
    aegis__metrics_count_status(srv, r.status);
    return send_reply(c, &r, false);
}

/* The guard entry of a connection (conn_guard.c), or NULL. */
static struct aegis__conn *guard_entry(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    aegis_rpc_server *srv = cls;
    struct request *rq = *con_cls;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    bool loopback = ci && addr_is_loopback(ci->client_addr);

    if (!rq) {
        rq = aegis_calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        aegis_buf_init(&rq->body, srv->opts.max_body);
        *con_cls = rq;
        atomic_fetch_add(&srv->inflight, 1);
        /* Refuse an announced oversize body before reading any of it. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->opts.max_body) {
            aegis_rpc_http_reply r;
            rq->responded = true;
            aegis__guard_read_done(&srv->guard, guard_entry(c));
            if (aegis_rpc_handle_http(srv, method, url, NULL, NULL, 0, true, loopback, &r) != AEGIS_OK)
                return MHD_NO;
            return send_reply(c, &r, true);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_big && !rq->responded &&
            aegis_buf_append(&rq->body, upload, *upload_size) != AEGIS_OK) {
            rq->too_big = true;
            aegis_buf_clear(&rq->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->responded) {
        /* Called again after the finish resumed the connection. */
        if (rq->deferred && !rq->deferred_sent)
            return send_deferred(srv, c, rq);
        return MHD_YES;
    }
    rq->responded = true;
    aegis__guard_read_done(&srv->guard, guard_entry(c));
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    aegis_rpc_http_reply r;
    struct aegis__rpc_defer_slot slot = { .srv = srv, .conn = c };
    if (ci)
        aegis__rpc_peer_key(ci->client_addr, slot.peer);
    if (aegis__rpc_handle_http_ex(srv, method, url, ct, (const char *)rq->body.data, rq->body.len,
                                  rq->too_big, loopback, &slot, &r) != AEGIS_OK)
        return MHD_NO;
    if (!slot.d)
        return send_reply(c, &r, rq->too_big);
    rq->deferred = slot.d;
    aegis_buf_clear(&rq->body);
    if (!aegis__defer_suspend(rq->deferred))
        return MHD_YES; /* suspended until the finish resumes it */
    return send_deferred(srv, c, rq); /* finished before we could suspend */
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    aegis_rpc_server *srv = cls;
    struct request *rq = *con_cls;
    if (!rq)
        return;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        aegis__guard_read_again(&srv->guard, guard_entry(c)); /* keep-alive: the next request */
    if (rq->deferred)
        aegis__defer_request_done(srv, rq->deferred);
    aegis_buf_clear(&rq->body);
    aegis_free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    aegis_rpc_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&srv->connections, 1);
        atomic_fetch_add(&srv->connections_total, 1);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_ctx = ci ? aegis__guard_open(&srv->guard, ci->connect_fd) : NULL;
    } else {
        aegis__guard_close(&srv->guard, *socket_ctx);
        *socket_ctx = NULL;
        atomic_fetch_sub(&srv->connections, 1);
    }
}

aegis_err aegis_rpc_server_start(aegis_rpc_server *srv, const char **ret_detail)
{
    const char *detail = NULL;
    if (srv->started) {
        detail = "server already started";
        goto fail_busy;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    /* ITC: a resume from another thread wakes the polling thread at once.
     * TURBO: with epoll, MHD reads and writes a socket optimistically
     * instead of waiting for the event loop to report it ready, and skips
     * the shutdown() before close (3-5% more acknowledgements per CPU in
     * `aegis bench ingest --http`, docs/benchmarks.md). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, srv->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(srv->opts.port);
    } else if (inet_pton(AF_INET6, srv->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(srv->opts.port);
        flags |= MHD_USE_IPv6;
    } else {
        detail = "listen host must be a numeric IPv4 or IPv6 address";
        if (ret_detail)
            *ret_detail = detail;
        return AEGIS_ERR_INVAL;
    }
    if (aegis__defer_start(srv) != AEGIS_OK) {
        if (ret_detail)
            *ret_detail = "cannot start the deferred-call deadline thread";
        return AEGIS_ERR_NOMEM;
    }
    if (aegis__guard_start(&srv->guard) != AEGIS_OK) {
        aegis__defer_shutdown(srv);
        aegis__defer_join(srv);
        if (ret_detail)
            *ret_detail = "cannot start the connection guard thread";
        return AEGIS_ERR_NOMEM;
    }
    unsigned timeout_s = (srv->opts.timeout_ms + 999) / 1000;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, srv->opts.port, NULL, NULL, on_request, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)srv->opts.threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)srv->opts.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)timeout_s,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)srv->opts.max_per_address,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_END);
    if (!d) {
        aegis__guard_stop(&srv->guard);
        aegis__defer_shutdown(srv);
        aegis__defer_join(srv);
        detail = "cannot listen (address in use, or not a local address?)";
        if (ret_detail)
            *ret_detail = detail;
        return AEGIS_ERR_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : srv->opts.port;
    srv->mhd = d;
    srv->started = true;
    return AEGIS_OK;
fail_busy:
    if (ret_detail)
        *ret_detail = detail;
    return AEGIS_ERR_BUSY;
}

uint16_t aegis_rpc_server_port(const aegis_rpc_server *srv)
{
    return srv->port;
}

unsigned aegis_rpc_server_inflight(const aegis_rpc_server *srv)
{
    return atomic_load(&((aegis_rpc_server *)srv)->inflight);
}

void aegis_rpc_server_stop(aegis_rpc_server *srv)
{
    if (!srv || !srv->started || srv->stopped)
        return;
    srv->stopped = true;
    struct MHD_Daemon *d = srv->mhd;
    /* The quiesced listening socket: stop listening now (Linux refuses new
     * connections after shutdown() on it), but close the descriptor only
     * after MHD_stop_daemon - a pool thread may still be taking it off its
     * epoll set (ThreadSanitizer saw close() race that epoll_ctl()). */
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET)
        shutdown(ls, SHUT_RDWR);
    uint64_t until = aegis_now_ns() + (uint64_t)srv->opts.drain_ms * 1000000ull;
    while (atomic_load(&srv->inflight) > 0 && aegis_now_ns() < until) {
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    /* Deferred calls still outstanding get a shutdown error; give the
     * resumed connections a moment (at most 100 ms) to send it. */
    if (aegis__defer_shutdown(srv) > 0) {
        until = aegis_now_ns() + 100ull * 1000000ull;
        while (atomic_load(&srv->inflight) > 0 && aegis_now_ns() < until) {
            struct timespec ts = { 0, 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    aegis__defer_join(srv);
    /* The guard stops first: MHD_stop_daemon closes the sockets. */
    aegis__guard_stop(&srv->guard);
    MHD_stop_daemon(d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    srv->mhd = NULL;
}

void aegis_rpc_server_free(aegis_rpc_server *srv)
{
    if (!srv)
        return;
    aegis_rpc_server_stop(srv);
    for (size_t i = 0; i < srv->n_methods; i++)
        aegis_free(srv->methods[i].stats);
    aegis_free(srv->methods);
    aegis_free(srv->host);
    aegis_free(srv->version);
    pthread_mutex_destroy(&srv->health_lock);
    aegis__defer_destroy(srv);
    aegis__guard_destroy(&srv->guard);
    aegis_free(srv);
}
