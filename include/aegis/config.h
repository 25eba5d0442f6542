/*
 * aegis/config.h - the effective configuration of aegisd.
 *
 * Loaded from TOML (our own parser, aegis/toml.h) against one schema table
 * (src/config/schema.c) of {section, key, type, default, min, max, doc}
 * that drives parsing, validation, --print-default-config and
 * docs/config.md. The spec's phala.toml sections ([phala], [worker],
 * [quantum], [intelligence]) keep their names and meanings; Aegis adds
 * [node], [rpc], [storage], [tee], [mempool], [batch], [logging].
 *
 * The struct is plain data the caller owns; strings and lists inside are
 * owned by it and released by aegis_config_clear().
 */
#ifndef AEGIS_CONFIG_H
#define AEGIS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aegis/error.h"

#define AEGIS_CONFIG_MAX_LIST 32

typedef struct aegis_strlist {
    char *items[AEGIS_CONFIG_MAX_LIST];
    size_t n;
} aegis_strlist;

typedef struct aegis_config {
    /* [node] */
    char *node_id;              /* default "aegis-node-1" */
    char *data_dir;             /* default "./var" */
    uint64_t chain_id;          /* default 1 */

    /* [rpc] */
    char *rpc_listen;           /* "HOST:PORT", default "127.0.0.1:8545" */
    uint64_t rpc_max_body;      /* bytes, default 1 MiB */
    uint64_t rpc_max_connections; /* default 1024 */
    uint64_t rpc_timeout_ms;    /* per-connection idle timeout, default 10000 */
    uint64_t rpc_read_timeout_ms; /* header + body deadline per request, default 10000 */
    uint64_t rpc_max_per_address; /* connections per client address, default 128 (0: none) */
    uint64_t rpc_reserved_connections; /* slots kept for new clients, default 64 */
    uint64_t rpc_refused_bytes_per_minute; /* per client address, default 8 MiB (0: none) */
    uint64_t rpc_threads;       /* HTTP worker threads, default 8 (requests block on fsync and signing) */
    uint64_t rpc_max_batch;     /* JSON-RPC batch entries, default 100 */

    /* [storage] */
    char *storage_backend;      /* "sqlite" (default) | "memory" */
    uint64_t storage_group_commit_us; /* group-commit window, default 200 */
    uint64_t storage_ingest_interval_us; /* submission commit pacing, default 1000 */
    uint64_t storage_ingest_open_threads; /* threads opening envelopes, 0 = one per online CPU */

    /* [tee] */
    char *tee_primary;          /* "sim" (default) | "tdx" | "dstack" */
    char *tee_backup;           /* "" (none, default) | "dstack" | ... */
    bool tee_require_backup;    /* default false: a failing backup degrades */
    char *tee_attest_mode;      /* "per-batch" (default) | "key-binding" */
    char *tee_configfs_root;    /* default "/sys/kernel/config/tsm/report" */
    char *tee_dstack_socket;    /* default "/var/run/dstack.sock" */
    char *tee_on_primary_failure; /* "halt" (default) | "backup" */
    char *tee_sim_fault_file;   /* TEST ONLY: sim primary quotes fail while it exists; "" off */
    char *tee_sim_measurement;  /* sim only: a fixed fake measurement (hex, 48 bytes), "" = computed */

    /* [mempool] */
    uint64_t mempool_capacity;  /* default 10000 */
    uint64_t mempool_per_sender;/* default 64 */
    uint64_t mempool_price_bump_pct; /* replacement bump, default 10 */
    uint64_t mempool_expiry_s;  /* default 3600 */
    uint64_t mempool_max_envelope; /* bytes, default 131072 */

    /* [batch] */
    uint64_t batch_max;         /* max_batch, default 50, range 1..1000 */
    uint64_t batch_interval_ms; /* default 1000 */
    char *batch_slh_mode;       /* "every" | "epoch" (default) */
    uint64_t batch_seal_every;  /* epoch mode: seal after this many batches, default 20 */
    uint64_t batch_max_wait;    /* hybrid aging bound in batches, default 10 */
    uint64_t checkpoint_interval; /* batches, default 100 */
    uint64_t batch_seal_interval_ms;      /* epoch mode: at most one seal per this, default 1000 */
    uint64_t checkpoint_min_interval_ms;  /* at most one interval checkpoint per this, default 10000 */

    /* [logging] */
    char *log_level;            /* "info" */
    char *log_format;           /* "logfmt" | "json" */
    char *log_file;             /* "" = stderr */

    /* [phala] */
    char *phala_network;        /* "mainnet" | "testnet" | "local": informational (status, logs); presence of [phala] enables dstack backup */
    bool phala_enabled;         /* true when a [phala] section was given */

    /* [worker] */
    char *worker_id;
    char *enclave_type;         /* "TDX" | "SGX" | "SIM" */
    uint64_t min_workers;       /* 1..10 */
    uint64_t max_workers;       /* 1..10, >= min_workers */

    /* [cluster] (docs/internals/cluster.md): empty nats_urls = single node */
    aegis_strlist cluster_nats_urls;   /* nats://HOST:PORT of the JetStream cluster */
    char *cluster_stream;              /* the replicated log (envelopes, control, cut records) */
    char *cluster_batch_stream;        /* published batches, co-attestations, dissents */
    char *cluster_bucket;              /* KV bucket: leader lease, genesis key set hash */
    uint64_t cluster_replicas;         /* JetStream replicas of the streams and the bucket */
    uint64_t cluster_lease_ms;         /* leader lease lifetime */
    uint64_t cluster_heartbeat_ms;     /* lease renewal and member heartbeat */
    uint64_t cluster_attest_quorum;    /* workers agreeing for a final batch (0: majority of min_workers) */
    char *cluster_user;                /* NATS user ("" = none) */
    char *cluster_password_file;       /* file holding the NATS password */
    aegis_strlist cluster_measurements; /* hex TEE measurements allowed to receive the key set ("" = own) */
    char *cluster_collateral;          /* DCAP collateral for hardware join attestations */

    /* [quantum] */
    aegis_strlist signature_algorithms; /* "ML-DSA-87", "SLH-DSA-256s" */
    bool hybrid_ecdsa;
    uint64_t risk_scheduled;    /* 0..10000, default 6000 */
    uint64_t risk_emergency;    /* 0..10000, default 9000, > risk_scheduled */
    aegis_strlist oracle_keys;  /* paths to ML-DSA-87 public keys */
    char *risk_file;            /* watched signed assessment file, "" = none */
    uint64_t key_rotation_batches; /* scheduled rotation interval in batches (0 off) */
    uint64_t key_rotation_s;    /* scheduled rotation interval in seconds (0 off), default 86400 */
    bool rotate_on_emergency;   /* rotate when entering emergency, default true */
    uint64_t key_grace_s;       /* previous epoch accepted this long, default 600 */


    /* [assets] */
    aegis_strlist admin_keys;   /* paths to ML-DSA-87 admin public keys */
    uint64_t admin_skew_ms;     /* admin request timestamp skew, default 300000 */
    aegis_strlist migration_contracts; /* 0x addresses */

    /* [intelligence] */
    char *mode;                 /* "fifo" | "risk" | "asset" | "migration" | "hybrid" */
    bool enable_asset_protection;
    bool enable_migration;
} aegis_config;

/* Fill cfg with every default. */
aegis_err aegis_config_defaults(aegis_config *cfg);

/* Load and validate a TOML file (unknown keys, wrong types, out-of-range
 * values and contradictions are errors). On failure *ret_msg (optional)
 * receives a heap string "FILE:LINE:COL: key: what" that the caller frees
 * with aegis_free; cfg is left cleared. Relative paths in the file are
 * made relative to its folder (aegis_config_resolve_paths). */
aegis_err aegis_config_load_file(aegis_config *cfg, const char *path, char **ret_msg);
/* Same, from a buffer; name is used in messages. */
aegis_err aegis_config_load_buffer(aegis_config *cfg, const char *name, const char *text,
                                   size_t len, char **ret_msg);

/* Re-run cross-field validation (after command-line overrides). */
aegis_err aegis_config_validate(const aegis_config *cfg, char **ret_msg);

/* Make the relative paths of cfg (node.data_dir, tee.configfs_root,
 * tee.dstack_socket, logging.file, quantum.risk_file, quantum.oracle_keys,
 * assets.admin_keys) relative to the folder of config_path, as
 * aegis_config_load_file does. A config_path without a '/' (a file in the
 * working directory) changes nothing. Errors: NOMEM. */
aegis_err aegis_config_resolve_paths(aegis_config *cfg, const char *config_path) __attribute__((warn_unused_result));

/* Set one key from a string, e.g. ("rpc", "listen", "127.0.0.1:9000"). */
aegis_err aegis_config_set(aegis_config *cfg, const char *section, const char *key,
                           const char *value, char **ret_msg);

/* Print the effective config as TOML. */
void aegis_config_print(const aegis_config *cfg, FILE *out);
/* Print the schema as a Markdown table (docs/config.md). */
void aegis_config_print_docs(FILE *out);

/* Non-fatal oddities of a valid config (e.g. a hardware enclave_type with
 * the sim TEE backend). Stores up to max static strings in out and returns
 * how many there are in total. Thread-safe. */
size_t aegis_config_warnings(const aegis_config *cfg, const char **out, size_t max);

void aegis_config_clear(aegis_config *cfg);

#endif
