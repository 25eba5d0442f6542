/*
 * metrics.c - request counters and latency histograms, rendered as
 * Prometheus text format 0.0.4 for GET /metrics.
 *
 * Counters are relaxed atomics: a scrape may see a request counted in
 * _count but not yet in a bucket, which Prometheus tolerates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rpc_int.h"

#define METRICS_MAX (4u * 1024 * 1024)

const double aegis__lat_bounds_s[AEGIS__LAT_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

const unsigned aegis__http_codes[AEGIS__HTTP_CODES] = {
    200, 204, 206, 400, 404, 405, 413, 415, 500, 503, 408,
};

void aegis__buf_put(aegis_buf *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    /* A full buffer truncates the scrape; nothing else to do about it. */
    if (aegis_buf_append(b, line, (size_t)n) != AEGIS_OK)
        return;
}

void aegis__metrics_observe(struct aegis__method_stats *st, bool ok, uint64_t ns)
{
    atomic_fetch_add_explicit(ok ? &st->ok : &st->err, 1, memory_order_relaxed);
    double s = (double)ns / 1e9;
    size_t i = 0;
    while (i < AEGIS__LAT_BUCKETS && s > aegis__lat_bounds_s[i])
        i++;
    if (i < AEGIS__LAT_BUCKETS)
        atomic_fetch_add_explicit(&st->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->sum_ns, ns, memory_order_relaxed);
}

void aegis__metrics_count_status(aegis_rpc_server *srv, unsigned status)
{
    size_t i = 0;
    while (i < AEGIS__HTTP_CODES && aegis__http_codes[i] != status)
        i++;
    atomic_fetch_add_explicit(&srv->http_status[i], 1, memory_order_relaxed);
}

void aegis_rpc_metrics_histogram(aegis_buf *out, const char *name, const char *labels,
                                 const double *bounds, const uint64_t *counts, size_t n,
                                 double sum, uint64_t total)
{
    const char *l = labels && *labels ? labels : "";
    const char *sep = *l ? "," : "";
    uint64_t cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += counts[i];
        aegis__buf_put(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, l, sep, bounds[i],
                       (unsigned long long)cum);
    }
    if (total < cum)
        total = cum;
    aegis__buf_put(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, l, sep, (unsigned long long)total);
    aegis__buf_put(out, "%s_sum%s%s%s %.9g\n", name, *l ? "{" : "", l, *l ? "}" : "", sum);
    aegis__buf_put(out, "%s_count%s%s%s %llu\n", name, *l ? "{" : "", l, *l ? "}" : "",
                   (unsigned long long)total);
}

static void render_method(aegis_buf *b, const char *name, struct aegis__method_stats *st,
                          bool counters)
{
    uint64_t ok = atomic_load_explicit(&st->ok, memory_order_relaxed);
    uint64_t err = atomic_load_explicit(&st->err, memory_order_relaxed);
    if (counters) {
        aegis__buf_put(b, "aegis_rpc_requests_total{method=\"%s\",outcome=\"ok\"} %llu\n", name,
                       (unsigned long long)ok);
        aegis__buf_put(b, "aegis_rpc_requests_total{method=\"%s\",outcome=\"error\"} %llu\n", name,
                       (unsigned long long)err);
        return;
    }
    uint64_t counts[AEGIS__LAT_BUCKETS];
    for (size_t i = 0; i < AEGIS__LAT_BUCKETS; i++)
        counts[i] = atomic_load_explicit(&st->bucket[i], memory_order_relaxed);
    char labels[160];
    snprintf(labels, sizeof(labels), "method=\"%s\"", name);
    double sum = (double)atomic_load_explicit(&st->sum_ns, memory_order_relaxed) / 1e9;
    aegis_rpc_metrics_histogram(b, "aegis_rpc_request_duration_seconds", labels,
                                aegis__lat_bounds_s, counts, AEGIS__LAT_BUCKETS, sum, ok + err);
}

aegis_err aegis__metrics_render(aegis_rpc_server *srv, char **ret, size_t *ret_len)
{
    aegis_buf b;
    aegis_buf_init(&b, METRICS_MAX);

    aegis__buf_put(&b, "# HELP aegis_up 1 while the node serves requests.\n# TYPE aegis_up gauge\naegis_up 1\n");
    aegis__buf_put(&b, "# HELP aegis_build_info Build of this node.\n# TYPE aegis_build_info gauge\n"
                       "aegis_build_info{version=\"%s\"} 1\n", srv->version);
    aegis__buf_put(&b, "# HELP aegis_uptime_seconds Seconds since the RPC server was created.\n"
                       "# TYPE aegis_uptime_seconds gauge\naegis_uptime_seconds %.3f\n",
                   (double)(aegis_now_ns() - srv->created_ns) / 1e9);
    aegis__metrics_process(&b);

    aegis__buf_put(&b, "# HELP aegis_rpc_requests_total JSON-RPC calls by method and outcome.\n"
                       "# TYPE aegis_rpc_requests_total counter\n");
    for (size_t i = 0; i < srv->n_methods; i++)
        render_method(&b, srv->methods[i].m->name, srv->methods[i].stats, true);
    render_method(&b, "_unknown", &srv->unknown_stats, true);

    aegis__buf_put(&b, "# HELP aegis_rpc_request_duration_seconds JSON-RPC handler latency.\n"
                       "# TYPE aegis_rpc_request_duration_seconds histogram\n");
    for (size_t i = 0; i < srv->n_methods; i++)
        render_method(&b, srv->methods[i].m->name, srv->methods[i].stats, false);

    aegis__buf_put(&b, "# HELP aegis_http_responses_total HTTP responses by status code.\n"
                       "# TYPE aegis_http_responses_total counter\n");
    for (size_t i = 0; i <= AEGIS__HTTP_CODES; i++) {
        char code[16];
        if (i < AEGIS__HTTP_CODES)
            snprintf(code, sizeof(code), "%u", aegis__http_codes[i]);
        else
            snprintf(code, sizeof(code), "other");
        aegis__buf_put(&b, "aegis_http_responses_total{code=\"%s\"} %llu\n", code,
                       (unsigned long long)atomic_load(&srv->http_status[i]));
    }
    aegis__buf_put(&b, "# HELP aegis_rpc_inflight_requests Requests being processed.\n"
                       "# TYPE aegis_rpc_inflight_requests gauge\naegis_rpc_inflight_requests %u\n",
                   atomic_load(&srv->inflight));
    aegis__buf_put(&b, "# HELP aegis_rpc_connections Open HTTP connections.\n"
                       "# TYPE aegis_rpc_connections gauge\naegis_rpc_connections %u\n",
                   atomic_load(&srv->connections));
    aegis__buf_put(&b, "# HELP aegis_rpc_connections_closed_total Connections the server closed: "
                       "read deadline passed, or to keep room for new clients.\n"
                       "# TYPE aegis_rpc_connections_closed_total counter\n"
                       "aegis_rpc_connections_closed_total{reason=\"read_deadline\"} %llu\n"
                       "aegis_rpc_connections_closed_total{reason=\"make_room\"} %llu\n",
                   (unsigned long long)atomic_load(&srv->guard.closed_deadline),
                   (unsigned long long)atomic_load(&srv->guard.closed_pressure));
    aegis__buf_put(&b, "# HELP aegis_rpc_connections_total HTTP connections accepted.\n"
                       "# TYPE aegis_rpc_connections_total counter\naegis_rpc_connections_total %llu\n",
                   (unsigned long long)atomic_load(&srv->connections_total));

    for (size_t i = 0; i < srv->n_msrc; i++)
        srv->msrc[i].cb(srv->msrc[i].arg, &b);

    aegis_err err = aegis_buf_cstr(&b);
    if (err) {
        aegis_buf_clear(&b);
        return err;
    }
    *ret = (char *)b.data;
    *ret_len = b.len;
    return AEGIS_OK;
}
