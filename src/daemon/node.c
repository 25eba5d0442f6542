/*
 * node.c - the node's own RPC methods, health entries and store metrics.
 *
 *   aegis_status          version, uptime, node id, TEE, store, config summary
 *   eth_chainId           "0x<hex>" of node.chain_id
 *   aegis_getEnvelope     [id] -> {id, hash, received_ms, status, data}
 *
 * Envelopes enter only through aegis_sendEncryptedTransaction (the one
 * sequencer, src/sequencer/methods.c); here they are read back. The bytes
 * are opaque here. A rejected envelope reads back with its hash and
 * reason and no data.
 */
#include <stdio.h>
#include <string.h>

#include "aegis/log.h"
#include "daemon.h"

static json_t *strlist_json(const aegis_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}

static const char *s_or_empty(const char *s)
{
    return s ? s : "";
}

static aegis_err m_status(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegisd *d = call->ctx;
    const aegis_config *c = &d->cfg;
    uint64_t count = 0;
    aegis_err serr = aegis_store_env_count(d->store, &count);
    if (serr) {
        *detail = "cannot count envelopes";
        return serr;
    }
    char chain[32];
    snprintf(chain, sizeof(chain), "0x%llx", (unsigned long long)c->chain_id);
    bool insecure = c->tee_primary && strcmp(c->tee_primary, "sim") == 0;
    json_t *r = json_pack(
        "{s:s, s:I, s:s, s:s, s:I,"
        " s:{s:s, s:s, s:b, s:s},"
        " s:{s:s, s:i, s:I, s:s},"
        " s:{s:s, s:s, s:s, s:I, s:I, s:o, s:b, s:I, s:I, s:I, s:I, s:s, s:b}}",
        "version", AEGIS_VERSION,
        "uptime_s", (json_int_t)((aegis_now_ns() - d->start_ns) / 1000000000ull),
        "node_id", s_or_empty(c->node_id),
        "chain_id", chain,
        "chain_id_dec", (json_int_t)c->chain_id,
        "tee",
          "backend", s_or_empty(c->tee_primary),
          "backup", s_or_empty(c->tee_backup),
          "insecure", insecure,
          "attest_mode", s_or_empty(c->tee_attest_mode),
        "store",
          "backend", aegis_store_backend_name(d->store),
          "schema_version", aegis_store_schema_version(d->store),
          "envelopes", (json_int_t)count,
          "data_dir", s_or_empty(c->data_dir),
        "config",
          "listen", s_or_empty(c->rpc_listen),
          "mode", s_or_empty(c->mode),
          "network", c->phala_enabled ? s_or_empty(c->phala_network) : "",
          "batch_max", (json_int_t)c->batch_max,
          "batch_interval_ms", (json_int_t)c->batch_interval_ms,
          "signature_algorithms", strlist_json(&c->signature_algorithms),
          "hybrid_ecdsa", c->hybrid_ecdsa,
          "risk_scheduled", (json_int_t)c->risk_scheduled,
          "risk_emergency", (json_int_t)c->risk_emergency,
          "min_workers", (json_int_t)c->min_workers,
          "max_workers", (json_int_t)c->max_workers,
          "enclave_type", s_or_empty(c->enclave_type),
          "enable_asset_protection", c->enable_asset_protection);
    if (!r)
        return AEGIS_ERR_NOMEM;
    if (d->seq)
        aegis_seq_status(d->seq, r);
    *ret = r;
    return AEGIS_OK;
}

static aegis_err m_chain_id(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegisd *d = call->ctx;
    if (params && json_array_size(params) != 0 && !json_is_object(params)) {
        *detail = "eth_chainId takes no params";
        return AEGIS_ERR_RPC_INVALID_PARAMS;
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)d->cfg.chain_id);
    *ret = json_string(buf);
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static void store_health(struct aegisd *d, aegis_err err)
{
    if (err == AEGIS_OK)
        (void)aegis_rpc_health_set(d->rpc, "store", AEGIS_HEALTH_OK, aegis_store_backend_name(d->store));
    else
        (void)aegis_rpc_health_set(d->rpc, "store", AEGIS_HEALTH_DEGRADED, aegis_strerror(err));
}

static aegis_err m_get(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegisd *d = call->ctx;
    json_t *jid = json_array_get(params, 0);
    if (!json_is_array(params) || json_array_size(params) != 1 || !json_is_integer(jid) ||
        json_integer_value(jid) < 1) {
        *detail = "params must be [id] with id >= 1";
        return AEGIS_ERR_RPC_INVALID_PARAMS;
    }
    aegis_store_env e;
    aegis_err err = aegis_store_env_get(d->store, (uint64_t)json_integer_value(jid), &e);
    if (err)
        return err;
    char *hex = aegis_malloc(2 * e.len + 3);
    char hash[2 + 64 + 1] = "0x";
    if (hex) {
        hex[0] = '0';
        hex[1] = 'x';
        aegis_hex_encode(hex + 2, e.data, e.len);
        aegis_hex_encode(hash + 2, e.hash, sizeof(e.hash));
        *ret = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s?}", "id", (json_int_t)e.id, "hash", hash,
                         "received_ms", (json_int_t)e.received_ms, "status", aegis_env_status_name(e.status),
                         "data", hex, "reason", e.reason);
    }
    aegis_free(hex);
    aegis_free((void *)e.data);
    aegis_free((void *)e.reason);
    return hex && *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static const aegis_rpc_method node_methods[] = {
    { "aegis_status", m_status, "[]", AEGIS_RPC_PUBLIC,
      "node status: version, uptime, node id, TEE backend, store, config summary" },
    { "eth_chainId", m_chain_id, "[]", AEGIS_RPC_PUBLIC, "chain id as a 0x hex quantity" },
    { "aegis_getEnvelope", m_get, "[id]", AEGIS_RPC_PUBLIC,
      "read back a logged envelope by id" },
};

/* /metrics: store append latency (the store keeps the histogram). */
static void store_metrics(void *arg, aegis_buf *out)
{
    struct aegisd *d = arg;
    uint64_t counts[AEGIS_STORE_LAT_BUCKETS], total = 0, n = 0;
    double sum_us = 0, bounds[AEGIS_STORE_LAT_BUCKETS];
    aegis_store_latency_snapshot(d->store, counts, &sum_us, &total);
    for (size_t i = 0; i < AEGIS_STORE_LAT_BUCKETS; i++)
        bounds[i] = aegis_store_latency_bounds_us[i] / 1e6;
    static const char head[] =
        "# HELP aegis_store_append_duration_seconds Envelope log append latency (durable).\n"
        "# TYPE aegis_store_append_duration_seconds histogram\n";
    if (aegis_buf_append(out, head, sizeof(head) - 1) != AEGIS_OK)
        return;
    aegis_rpc_metrics_histogram(out, "aegis_store_append_duration_seconds", NULL, bounds, counts,
                                AEGIS_STORE_LAT_BUCKETS, sum_us / 1e6, total);
    if (aegis_store_env_count(d->store, &n) == AEGIS_OK) {
        char line[160];
        int k = snprintf(line, sizeof(line),
                         "# HELP aegis_store_envelopes Envelopes in the log.\n"
                         "# TYPE aegis_store_envelopes gauge\naegis_store_envelopes %llu\n",
                         (unsigned long long)n);
        if (k > 0 && (size_t)k < sizeof(line) && aegis_buf_append(out, line, (size_t)k) != AEGIS_OK)
            return;
    }
}

aegis_err aegisd_node_start(struct aegisd *d, const char **detail)
{
    aegis_err err = aegis_rpc_add_methods(d->rpc, node_methods, AEGIS_ARRAY_LEN(node_methods), d);
    if (err) {
        *detail = "cannot register node methods";
        return err;
    }
    err = aegis_rpc_add_metrics_source(d->rpc, store_metrics, d);
    if (err) {
        *detail = "cannot register store metrics";
        return err;
    }
    store_health(d, AEGIS_OK);
    return AEGIS_OK;
}
