/*
 * aegis/rpc.h - the JSON-RPC 2.0 over HTTP server of aegisd (host side).
 *
 * One server object owns a libmicrohttpd daemon (internal epoll thread
 * pool), a method registry built from const tables, a health-component
 * registry behind GET /healthz and the counters behind GET /metrics.
 *
 *   POST /        JSON-RPC 2.0 (single, batch, notifications)
 *   GET  /healthz 200 healthy, 206 degraded, 503 not ready / down
 *   GET  /metrics Prometheus text format 0.0.4
 *
 * Methods come from tables registered before start:
 *
 *   static const aegis_rpc_method my_methods[] = {
 *       { "aegis_status", status_handler, "[]", AEGIS_RPC_PUBLIC, "node status" },
 *   };
 *   aegis_rpc_add_methods(srv, my_methods, AEGIS_ARRAY_LEN(my_methods), my_ctx);
 *
 * A handler returns AEGIS_OK with *ret_result set (a new reference the
 * server takes), or an aegis_err with an optional static detail string.
 * aegis_err codes map to JSON-RPC error codes in exactly one table
 * (src/rpc/errmap.c, see aegis_rpc_err_code() and docs/errors.md).
 *
 * This is host code: it sees only opaque bytes, never plaintext
 * transactions or keys.
 */
#ifndef AEGIS_RPC_H
#define AEGIS_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aegis/util.h"

typedef struct aegis_rpc_server aegis_rpc_server;

/* ---- the method table ---- */

enum {
    AEGIS_RPC_PUBLIC = 1u << 0, /* anyone may call */
    AEGIS_RPC_ADMIN  = 1u << 1, /* only clients on a loopback address */
    AEGIS_RPC_WRITE  = 1u << 2, /* changes state; refused when the server is read-only */
};

struct aegis__rpc_defer_slot; /* server-internal */

/* Per-request context handed to a handler. Valid only during the call. */
typedef struct aegis_rpc_call {
    void *ctx;                 /* the ctx given to aegis_rpc_add_methods */
    const char *method;        /* method name */
    bool peer_is_loopback;     /* request came from 127.0.0.0/8 or ::1 */
    const char *peer;          /* the client's address key ("192.0.2.7", or the /64
                                * "2001:db8:1:2::/64" of an IPv6 client), NULL
                                * for in-process callers (tests, fuzzers) */
    uint64_t start_ns;         /* aegis_now_ns() when the HTTP request was complete */
    uint64_t deadline_ns;      /* handlers doing long work should stop past this */
    struct aegis__rpc_defer_slot *defer; /* internal: set by the server, else NULL */
} aegis_rpc_call;

/* params is the request's "params" (array or object) or NULL when absent.
 * On success set *ret_result to a new reference (ownership passes to the
 * server). On failure return the error and optionally point *ret_detail at
 * static text naming what was wrong ("params[0] must be a hex string"). */
typedef aegis_err (*aegis_rpc_handler)(const aegis_rpc_call *call, json_t *params,
                                       json_t **ret_result, const char **ret_detail);

/* ---- deferred replies: answer a call later, from any thread ---- */

/* A call whose reply comes later. Owned by the server and the handler
 * jointly (reference counted); the handler's part ends with its one
 * aegis_rpc_finish*() call. */
typedef struct aegis_rpc_deferred aegis_rpc_deferred;

/* Take the call's deferral. The handler then returns AEGIS_OK (its return
 * value and *ret_result are ignored once it has deferred) and must call
 * exactly one of aegis_rpc_finish / aegis_rpc_finish_text exactly once,
 * from any thread, at any time - also after aegis_rpc_server_stop() or
 * aegis_rpc_server_free() (the reply is then dropped). params and call
 * are only valid until the handler returns: copy what the later reply
 * needs. Meanwhile the HTTP connection is suspended (it holds no server
 * thread) and counts as in flight, so stop's drain waits for it. If the
 * call is not finished by call->deadline_ns the server answers it with
 * AEGIS_ERR_RPC_DEADLINE (at stop: AEGIS_ERR_NOT_READY) and the late
 * finish is dropped - but must still be made, to free the handler's part.
 *
 * Returns NULL when the call cannot be deferred: an entry of a JSON-RPC
 * batch array, a notification, an in-process caller (aegis_rpc_handle_body
 * / aegis_rpc_handle_http: tests, fuzzers), a server that is stopping, or
 * out of memory. The handler then answers synchronously as usual.
 * Calling it twice in one call returns the same object. */
aegis_rpc_deferred *aegis_rpc_defer(const aegis_rpc_call *call);

/* Finish with an error (err != AEGIS_OK; detail is optional static text,
 * as a handler's *ret_detail) or with a result (err == AEGIS_OK; result is
 * stolen, NULL means JSON null). The reply is the same JSON-RPC envelope
 * and error object a synchronous handler would produce. d == NULL only
 * frees result. After this call d is gone. Thread-safe. */
void aegis_rpc_finish(aegis_rpc_deferred *d, aegis_err err, json_t *result, const char *detail);

/* Finish with a result already serialised as JSON text (len bytes,
 * copied; need not be NUL-terminated). It is spliced into the reply as is,
 * without being parsed again, so it must be one valid JSON value (len 0
 * means null). After this call d is gone. Thread-safe. */
void aegis_rpc_finish_text(aegis_rpc_deferred *d, const char *result_json, size_t len);

/* ---- per-address budgets (e.g. refused bytes per minute) ----
 *
 * What one client address may cost in some unit per window. A fixed
 * table (max_addrs entries; when it is full the entry with the oldest
 * window is reused), so memory is bounded whatever the clients do.
 * Thread-safe. */
typedef struct aegis_rpc_budget aegis_rpc_budget;
/* limit per window_ms per address; limit 0 means no limit. Errors: NOMEM, INVAL. */
aegis_err aegis_rpc_budget_new(aegis_rpc_budget **ret, uint64_t limit, uint64_t window_ms,
                               size_t max_addrs) AEGIS_WUR;
void aegis_rpc_budget_free(aegis_rpc_budget *b);
/* Whether addr is still within its budget at now_ms; when not, *ret_retry_ms
 * (optional) gets the milliseconds until its window ends. NULL addr: true. */
bool aegis_rpc_budget_allows(aegis_rpc_budget *b, const char *addr, uint64_t now_ms, uint64_t *ret_retry_ms);
/* Charge amount to addr's current window. NULL addr: nothing. */
void aegis_rpc_budget_charge(aegis_rpc_budget *b, const char *addr, uint64_t amount, uint64_t now_ms);

typedef struct aegis_rpc_method {
    const char *name;          /* e.g. "aegis_status" */
    aegis_rpc_handler handler;
    const char *params;        /* human description of params, e.g. "[\"0x<hex>\"]" */
    unsigned flags;            /* AEGIS_RPC_PUBLIC / ADMIN / WRITE */
    const char *summary;       /* one line for docs and aegis_listMethods */
} aegis_rpc_method;

/* A fast path for a method whose params are one JSON string (a hex
 * envelope): the server may hand that string to h as the raw bytes between
 * its quotes (printable ASCII, no escapes, not NUL-terminated) instead of
 * parsing the request into a JSON tree and calling the table's handler. It
 * does so only for a single request of the plainest form (src/rpc/
 * fastpath.c); every other request, and every malformed one, takes the
 * table's handler. h must therefore answer exactly as the handler would
 * for params = [s]; it may defer like any handler. Set before start.
 * Errors: AEGIS_ERR_NOT_FOUND (no such method), AEGIS_ERR_BUSY (started). */
typedef aegis_err (*aegis_rpc_str_handler)(const aegis_rpc_call *call, const char *s, size_t len,
                                           json_t **ret_result, const char **ret_detail);
aegis_err aegis_rpc_set_str_handler(aegis_rpc_server *srv, const char *method, aegis_rpc_str_handler h) AEGIS_WUR;

/* ---- server ---- */

typedef struct aegis_rpc_opts {
    const char *host;          /* listen address, e.g. "127.0.0.1" (copied) */
    uint16_t port;             /* 0 = pick a free port (see aegis_rpc_server_port) */
    size_t max_body;           /* bytes; larger bodies get HTTP 413 */
    unsigned max_connections;  /* MHD_OPTION_CONNECTION_LIMIT */
    unsigned timeout_ms;       /* idle connection timeout (rounded up to seconds) */
    unsigned read_timeout_ms;  /* a request's header + body must arrive within this
                                * (bytes arriving do not extend it); 0: no limit */
    unsigned max_per_address;  /* connections from one client address; 0: no limit */
    unsigned reserved_connections; /* kept free for new clients: past max_connections
                                    * minus this, the longest-reading connections close */
    unsigned threads;          /* polling threads (thread pool size) */
    unsigned max_batch;        /* entries per JSON-RPC batch */
    unsigned request_time_ms;  /* time limit for one request (batch entries past it fail) */
    unsigned drain_ms;         /* on stop: wait this long for in-flight requests */
    bool read_only;            /* refuse AEGIS_RPC_WRITE methods */
    const char *version;       /* for aegis_build_info (copied) */
} aegis_rpc_opts;

/* Fill opts with defaults (127.0.0.1:8545, 1 MiB, 1024 conns, 10 s idle,
 * 10 s read deadline, 128 per address, 64 reserved, 2 threads, batch 100,
 * 30 s request time, 5 s drain). */
void aegis_rpc_opts_default(aegis_rpc_opts *opts);

/* Create a server (not yet listening). The built-in method
 * aegis_listMethods is registered. Caller owns *ret; free with
 * aegis_rpc_server_free. Errors: NOMEM, INVAL. */
aegis_err aegis_rpc_server_new(aegis_rpc_server **ret, const aegis_rpc_opts *opts) AEGIS_WUR;

/* Register a const table of n methods; each handler gets ctx. The table
 * is borrowed and must outlive the server. Only before start (BUSY after);
 * a name registered twice is AEGIS_ERR_EXISTS. Not thread-safe. */
aegis_err aegis_rpc_add_methods(aegis_rpc_server *srv, const aegis_rpc_method *tbl, size_t n,
                                void *ctx) AEGIS_WUR;

/* Start listening. Errors: IO (bind failed; *ret_detail static text). */
aegis_err aegis_rpc_server_start(aegis_rpc_server *srv, const char **ret_detail) AEGIS_WUR;
/* Port actually bound (after start). */
uint16_t aegis_rpc_server_port(const aegis_rpc_server *srv);
/* Stop accepting, let in-flight requests finish (up to drain_ms), then
 * close every connection. Idempotent. */
void aegis_rpc_server_stop(aegis_rpc_server *srv);
/* Stops if needed, then frees. Accepts NULL. */
void aegis_rpc_server_free(aegis_rpc_server *srv);

/* Requests currently being processed (received, reply not yet sent). */
unsigned aegis_rpc_server_inflight(const aegis_rpc_server *srv);

/* ---- request handling without sockets (fuzzers, unit tests) ---- */

/* Process one JSON-RPC body. *ret_body receives the reply (aegis_malloc'd,
 * NUL-terminated) or NULL when nothing is to be sent (notifications only).
 * Always returns AEGIS_OK unless out of memory: protocol errors are
 * encoded in the reply. Thread-safe once methods are registered. */
aegis_err aegis_rpc_handle_body(aegis_rpc_server *srv, const char *body, size_t len,
                                bool peer_is_loopback, char **ret_body, size_t *ret_len) AEGIS_WUR;

/* The full HTTP-level decision for a request (method, path, Content-Type,
 * body): sets *ret_status (200, 204, 206, 404, 405, 413, 415, 503) and the
 * body and its content type (static string). The MHD glue only moves bytes
 * to and from this function. body_too_big tells it the body was cut at
 * max_body. */
typedef struct aegis_rpc_http_reply {
    unsigned status;
    char *body;                /* aegis_malloc'd, may be NULL */
    size_t len;
    const char *content_type;
} aegis_rpc_http_reply;
aegis_err aegis_rpc_handle_http(aegis_rpc_server *srv, const char *http_method, const char *path,
                                const char *content_type, const char *body, size_t len,
                                bool body_too_big, bool peer_is_loopback,
                                aegis_rpc_http_reply *ret) AEGIS_WUR;
void aegis_rpc_http_reply_clear(aegis_rpc_http_reply *r);

/* ---- errors: the one aegis_err -> JSON-RPC code table ---- */

/* JSON-RPC error code for an aegis_err: the standard codes for the
 * protocol errors (-32700 .. -32603) and -33000 - code otherwise. */
int aegis_rpc_err_code(aegis_err err);

/* ---- health ---- */

typedef enum aegis_health_state {
    AEGIS_HEALTH_OK = 0,
    AEGIS_HEALTH_DEGRADED = 1,
    AEGIS_HEALTH_DOWN = 2,
} aegis_health_state;

#define AEGIS_RPC_MAX_HEALTH 32

/* Create or update a component (name and detail are copied, truncated to
 * 63 / 255 bytes). /healthz is 503 while no component is registered or
 * any is DOWN, 206 if any is DEGRADED, 200 otherwise. Thread-safe.
 * Errors: TOO_BIG past AEGIS_RPC_MAX_HEALTH components. */
aegis_err aegis_rpc_health_set(aegis_rpc_server *srv, const char *name, aegis_health_state state,
                               const char *detail);
const char *aegis_health_state_name(aegis_health_state s);

/* ---- metrics ---- */

/* A metrics source appends complete Prometheus text lines (with their
 * # HELP / # TYPE lines) to out. Called from a server thread on each
 * GET /metrics; it must be thread-safe. Register before start. */
typedef void (*aegis_rpc_metrics_cb)(void *arg, aegis_buf *out);
aegis_err aegis_rpc_add_metrics_source(aegis_rpc_server *srv, aegis_rpc_metrics_cb cb, void *arg) AEGIS_WUR;

/* Helper for sources: write a Prometheus histogram from cumulative-or-not
 * bucket counts. bounds has n upper bounds (already in the unit of the
 * metric); counts has n per-bucket (non-cumulative) counts; total counts
 * everything including observations above the last bound. labels may be
 * NULL or e.g. "method=\"x\"". */
void aegis_rpc_metrics_histogram(aegis_buf *out, const char *name, const char *labels,
                                 const double *bounds, const uint64_t *counts, size_t n,
                                 double sum, uint64_t total);

#endif
