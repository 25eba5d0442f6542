/*
 * rpc_int.h - internals shared by the files of src/rpc/.
 *
 * server.c   the aegis_rpc_server object, registries, MHD glue
 * dispatch.c body -> JSON-RPC reply (single, batch, notifications)
 * http.c     HTTP-level routing (paths, Content-Type, size) without sockets
 * errmap.c   the one aegis_err -> JSON-RPC code table
 * metrics.c  per-method counters and histograms, Prometheus rendering
 * health.c   the health-component registry and /healthz
 */
#ifndef AEGIS_RPC_INT_H
#define AEGIS_RPC_INT_H

#include <pthread.h>
#include <stdatomic.h>

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

    void *mhd;               /* struct MHD_Daemon * */
    uint16_t port;
    bool started;
    bool stopped;
    uint64_t created_ns;
};

/* dispatch.c */
const struct aegis__method_slot *aegis__rpc_find(const aegis_rpc_server *srv, const char *name);
/* A JSON-RPC error response object for id (borrowed; NULL = null id). */
json_t *aegis__rpc_error_reply(json_t *id, aegis_err err, const char *detail);
/* Serialize a reply into an aegis_malloc'd string. */
aegis_err aegis__rpc_dump(json_t *reply, char **ret, size_t *ret_len);

/* metrics.c */
void aegis__metrics_observe(struct aegis__method_stats *st, bool ok, uint64_t ns);
void aegis__metrics_count_status(aegis_rpc_server *srv, unsigned status);
aegis_err aegis__metrics_render(aegis_rpc_server *srv, char **ret, size_t *ret_len);
void aegis__buf_put(aegis_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* health.c */
/* Render /healthz; returns the HTTP status. */
unsigned aegis__health_render(aegis_rpc_server *srv, char **ret, size_t *ret_len);

/* the built-in methods (server.c) */
extern const aegis_rpc_method aegis__builtin_methods[];
extern const size_t aegis__n_builtin_methods;

#endif
