/*
 * rpc_int.h - internals shared by the files of src/rpc/.
 *
 * server.c   the aegis_rpc_server object, registries, MHD glue
 * defer.c    deferred replies (aegis_rpc_defer / _finish), suspend/resume
 * dispatch.c body -> JSON-RPC reply (single, batch, notifications)
 * fastpath.c one-string-parameter requests without a JSON tree
 * route.c    HTTP-level routing (paths, Content-Type, size) without sockets
 * errmap.c   the one aegis_err -> JSON-RPC code table
 * metrics.c  per-method counters and histograms, Prometheus rendering
 * health.c   the health-component registry and /healthz
 * conn_guard.c read deadline and room for new clients (slow clients)
 */
#ifndef AEGIS_RPC_INT_H
#define AEGIS_RPC_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "aegis/rpc.h"

#define AEGIS__LAT_BUCKETS 16
extern const double aegis__lat_bounds_s[AEGIS__LAT_BUCKETS];

/* Per-method statistics; updated lock-free from server threads. */
struct aegis__method_stats {
    atomic_uint_fast64_t ok;
    atomic_uint_fast64_t err;
    atomic_uint_fast64_t bucket[AEGIS__LAT_BUCKETS]; /* non-cumulative */
    atomic_uint_fast64_t sum_ns;
};

struct aegis__method_slot {
    const aegis_rpc_method *m;
    void *ctx;
    struct aegis__method_stats *stats;
    aegis_rpc_str_handler str_handler;   /* optional fast path (fastpath.c) */
};

struct aegis__health {
    char name[64];
    aegis_health_state state;
    char detail[256];
};

struct aegis__metrics_src {
    aegis_rpc_metrics_cb cb;
    void *arg;
};

#define AEGIS__MAX_METRICS_SRC 16
/* HTTP status codes we count (anything else lands in "other"). */
#define AEGIS__HTTP_CODES 11
extern const unsigned aegis__http_codes[AEGIS__HTTP_CODES];

/* conn_guard.c: every open connection, oldest read phase first. */
struct aegis__conn;
struct aegis__conn_guard {
    pthread_mutex_t lock;
    pthread_cond_t cond;             /* wakes the guard thread */
    struct aegis__conn *head, *tail; /* under lock */
    unsigned n_open, n_shut;         /* under lock */
    unsigned high_water;             /* max_connections - reserved */
    uint64_t read_timeout_ns;        /* 0: no read deadline */
    bool stopping;                   /* under lock */
    bool started;
    pthread_t thread;
    atomic_uint_fast64_t closed_deadline, closed_pressure;
};

struct aegis_rpc_server {
    aegis_rpc_opts opts;
    char *host;
    char *version;

    struct aegis__method_slot *methods;
    size_t n_methods, cap_methods;
    struct aegis__method_stats unknown_stats;

    pthread_mutex_t health_lock;
    struct aegis__health health[AEGIS_RPC_MAX_HEALTH];
    size_t n_health;

    struct aegis__metrics_src msrc[AEGIS__MAX_METRICS_SRC];
    size_t n_msrc;

    atomic_uint_fast64_t http_status[AEGIS__HTTP_CODES + 1];
    atomic_uint inflight;
    atomic_uint connections;
    atomic_uint_fast64_t connections_total;

    /* Deferred calls whose HTTP request is still alive (defer.c). */
    pthread_mutex_t defer_lock;
    aegis_rpc_deferred *defer_head;  /* under defer_lock */
    bool defer_closed;               /* under defer_lock: stopping, refuse new */
    pthread_cond_t defer_cond;       /* wakes the deadline thread */
    uint64_t defer_wake_ns;          /* under defer_lock: when it wakes next */
    pthread_t defer_reaper;
    bool defer_reaper_started;

    struct aegis__conn_guard guard;

    void *mhd;               /* struct MHD_Daemon * */
    uint16_t port;
    bool started;
    bool stopped;
    atomic_bool draining;      /* stop began: new connections are closed at accept */
    uint64_t created_ns;
};

/*
 * What the server path hands down to a single (non-batch) request so its
 * handler may defer. Lives on the MHD thread's stack for one dispatch.
 */
struct aegis__rpc_defer_slot {
    aegis_rpc_server *srv;
    void *conn;                         /* struct MHD_Connection * */
    char peer[64];                      /* the client's address key (aegis_rpc_call.peer), or "" */
    /* filled by dispatch before the handler runs */
    json_t *id;                         /* borrowed request id */
    struct aegis__method_stats *stats;
    uint64_t t0;
    uint64_t deadline_ns;
    /* set by aegis_rpc_defer() */
    aegis_rpc_deferred *d;
};

/* defer.c */
/* The access handler, after a dispatch that deferred: true when the reply
 * is already there (finished before we got here: take it now), false when
 * the connection was suspended until the finish resumes it. */
bool aegis__defer_suspend(aegis_rpc_deferred *d);
/* Move the reply body out (NULL if none could be built: out of memory). */
void aegis__defer_take_body(aegis_rpc_deferred *d, char **ret, size_t *ret_len);
/* MHD's completion callback: the request is gone; drop its reference. */
void aegis__defer_request_done(aegis_rpc_server *srv, aegis_rpc_deferred *d);
/* Init / destroy the deferral state of a server (mutex, condition). */
void aegis__defer_init(aegis_rpc_server *srv);
void aegis__defer_destroy(aegis_rpc_server *srv);
/* Start the thread that answers deferred calls past their deadline with
 * AEGIS_ERR_RPC_DEADLINE. Errors: NOMEM. */
aegis_err aegis__defer_start(aegis_rpc_server *srv);
/* Stop: refuse new deferrals, answer every outstanding one with an error,
 * resume suspended connections (MHD_stop_daemon must see none). Returns
 * how many calls it answered. */
unsigned aegis__defer_shutdown(aegis_rpc_server *srv);
/* After shutdown: join the deadline thread. */
void aegis__defer_join(aegis_rpc_server *srv);

/* conn_guard.c */
void aegis__guard_init(struct aegis__conn_guard *g, const aegis_rpc_opts *o);
void aegis__guard_destroy(struct aegis__conn_guard *g);
/* Start / stop (join) the guard thread. Errors: NOMEM. */
aegis_err aegis__guard_start(struct aegis__conn_guard *g);
void aegis__guard_stop(struct aegis__conn_guard *g);
/* A connection opened (its read phase starts) / closed (NULL-safe). NULL
 * when out of memory: the connection is then unguarded. */
struct aegis__conn *aegis__guard_open(struct aegis__conn_guard *g, int fd);
void aegis__guard_close(struct aegis__conn_guard *g, struct aegis__conn *e);
/* The request's header and body are in / the next request's read phase
 * starts (keep-alive). NULL-safe. */
void aegis__guard_read_done(struct aegis__conn_guard *g, struct aegis__conn *e);
void aegis__guard_read_again(struct aegis__conn_guard *g, struct aegis__conn *e);

/* budget.c: the address key of a client (IPv4 dotted, IPv6 /64 prefix). */
void aegis__rpc_peer_key(const struct sockaddr *sa, char out[64]);

/* dispatch.c */
/* aegis_rpc_handle_body with a deferral slot (NULL: no deferral). When the
 * handler deferred, slot->d is set and *ret_body is NULL. */
aegis_err aegis__rpc_handle_body_ex(aegis_rpc_server *srv, const char *body, size_t len,
                                    bool peer_is_loopback, struct aegis__rpc_defer_slot *slot,
                                    char **ret_body, size_t *ret_len);
/* route.c: aegis_rpc_handle_http with a deferral slot; when the call was
 * deferred (slot->d set) ret->status is 0 and nothing was counted. */
aegis_err aegis__rpc_handle_http_ex(aegis_rpc_server *srv, const char *http_method,
                                    const char *path, const char *content_type,
                                    const char *body, size_t len, bool body_too_big,
                                    bool peer_is_loopback, struct aegis__rpc_defer_slot *slot,
                                    aegis_rpc_http_reply *ret);

const struct aegis__method_slot *aegis__rpc_find(const aegis_rpc_server *srv, const char *name);
/* A JSON-RPC error response object for id (borrowed; NULL = null id). */
json_t *aegis__rpc_error_reply(json_t *id, aegis_err err, const char *detail);
/* Serialize a reply into an aegis_malloc'd string. */
aegis_err aegis__rpc_dump(json_t *reply, char **ret, size_t *ret_len);

/* fastpath.c: a single request whose params are one plain string, read
 * without a JSON tree. Spans point into the body. */
enum { AEGIS__RPC_ID_INT = 1, AEGIS__RPC_ID_STRING, AEGIS__RPC_ID_NULL };
struct aegis__rpc_fast {
    const char *method;
    size_t method_len;
    int id_kind;
    const char *id;            /* integer text, string content, or "null" */
    size_t id_len;
    const char *str;           /* params[0] content (no escapes in it) */
    size_t str_len;
};
/* true: body is exactly such a request (see fastpath.c); false: use the
 * general path, which decides every error. */
bool aegis__rpc_fast_parse(const char *body, size_t len, struct aegis__rpc_fast *ret);

/* metrics.c */
void aegis__metrics_observe(struct aegis__method_stats *st, bool ok, uint64_t ns);
void aegis__metrics_count_status(aegis_rpc_server *srv, unsigned status);
aegis_err aegis__metrics_render(aegis_rpc_server *srv, char **ret, size_t *ret_len);
void aegis__buf_put(aegis_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* metrics_process.c: process_* metrics from /proc */
void aegis__metrics_process(aegis_buf *b);

/* health.c */
/* Render /healthz; returns the HTTP status. */
unsigned aegis__health_render(aegis_rpc_server *srv, char **ret, size_t *ret_len);

/* the built-in methods (server.c) */
extern const aegis_rpc_method aegis__builtin_methods[];
extern const size_t aegis__n_builtin_methods;

#endif
