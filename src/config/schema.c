/* schema.c - every configuration key of aegisd, in one table.
 *
 * Parsing (config.c), validation, --print-default-config and
 * docs/config.md (aegis_config_print_docs) all read this table; adding a
 * key means adding a field to aegis_config and one line here.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define OFF(f) offsetof(aegis_config, f)
#define KIB 1024ull
#define MIB (1024ull * 1024ull)
#define STRMAX 4096

/* "HOST:PORT" with a numeric port 1..65535; IPv6 hosts in brackets. */
static const char *check_listen(const char *v)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v)
        return "must be HOST:PORT";
    if (v[0] == '[' && colon[-1] != ']')
        return "an IPv6 host must be written [ADDR]:PORT";
    if (v[0] != '[' && memchr(v, ':', (size_t)(colon - v)))
        return "an IPv6 host must be written [ADDR]:PORT";
    const char *port = colon + 1;
    if (*port == '\0' || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port))
        return "port must be a number 1..65535";
    long n = strtol(port, NULL, 10);
    if (n < 1 || n > 65535)
        return "port must be a number 1..65535";
    return NULL;
}

static const char *check_nonempty_path(const char *v)
{
    return v[0] == '\0' ? "must not be empty" : NULL;
}

const struct aegis__cfg_key aegis__cfg_schema[] = {
    /* [node] */
    { "node", "id", AEGIS__CFG_STR, "aegis-node-1", 1, 128, NULL,
      "Name of this node (logs, aegis_status, metrics).", OFF(node_id), NULL },
    { "node", "data_dir", AEGIS__CFG_STR, "./var", 1, STRMAX, NULL,
      "Directory for the store and lock file; created 0700. Overridden by --data-dir.",
      OFF(data_dir), check_nonempty_path },
    { "node", "chain_id", AEGIS__CFG_U64, "1", 1, (uint64_t)INT64_MAX, NULL,
      "EIP-155 chain id served by eth_chainId and required in transactions.", OFF(chain_id), NULL },

    /* [rpc] */
    { "rpc", "listen", AEGIS__CFG_STR, "127.0.0.1:8545", 3, 300, NULL,
      "JSON-RPC HTTP listen address HOST:PORT. Overridden by --listen.", OFF(rpc_listen), check_listen },
    { "rpc", "max_body", AEGIS__CFG_U64, "1048576", 1 * KIB, 64 * MIB, NULL,
      "Largest request body in bytes; larger requests get HTTP 413.", OFF(rpc_max_body), NULL },
    { "rpc", "max_connections", AEGIS__CFG_U64, "1024", 1, 65536, NULL,
      "Concurrent HTTP connections accepted.", OFF(rpc_max_connections), NULL },
    { "rpc", "timeout_ms", AEGIS__CFG_U64, "10000", 100, 600000, NULL,
      "Idle timeout per connection, milliseconds.", OFF(rpc_timeout_ms), NULL },
    { "rpc", "read_timeout_ms", AEGIS__CFG_U64, "10000", 100, 600000, NULL,
      "A request's header and body must arrive within this many milliseconds of the "
      "connection's accept (or the previous reply); bytes arriving do not extend it.",
      OFF(rpc_read_timeout_ms), NULL },
    { "rpc", "max_connections_per_address", AEGIS__CFG_U64, "128", 0, 65536, NULL,
      "Concurrent HTTP connections from one client address (0: no limit).",
      OFF(rpc_max_per_address), NULL },
    { "rpc", "reserved_connections", AEGIS__CFG_U64, "64", 0, 65536, NULL,
      "Connection slots kept free for new clients: past max_connections minus this, "
      "the connections that have been reading their request longest are closed.",
      OFF(rpc_reserved_connections), NULL },
    { "rpc", "refused_bytes_per_minute", AEGIS__CFG_U64, "8388608", 0, (uint64_t)INT64_MAX, NULL,
      "Envelope bytes one client address may have refused (malformed, wrong epoch or key, "
      "undecryptable, invalid) per minute before its submissions are turned away for the "
      "rest of the minute (AEGIS_ERR_RPC_REFUSED_BUDGET); 0: no limit.",
      OFF(rpc_refused_bytes_per_minute), NULL },
    { "rpc", "threads", AEGIS__CFG_U64, "8", 1, 64, NULL,
      "HTTP worker threads.", OFF(rpc_threads), NULL },
    { "rpc", "max_batch", AEGIS__CFG_U64, "100", 1, 10000, NULL,
      "Most entries in one JSON-RPC batch request.", OFF(rpc_max_batch), NULL },

    /* [storage] */
    { "storage", "backend", AEGIS__CFG_STR, "sqlite", 1, 32, "sqlite|memory",
      "Store backend: sqlite (WAL, durable) or memory (tests; lost on exit).",
      OFF(storage_backend), NULL },
    { "storage", "group_commit_us", AEGIS__CFG_U64, "200", 0, 1000000, NULL,
      "Group-commit window in microseconds (0: fsync every append).",
      OFF(storage_group_commit_us), NULL },
    { "storage", "ingest_interval_us", AEGIS__CFG_U64, "1000", 0, 100000, NULL,
      "Submissions: under load the envelope log commits at most once per this many microseconds "
      "(a full group of 256 goes at once), and the group shares one fsync and one receipt signature. "
      "0: commit as soon as anything is queued.",
      OFF(storage_ingest_interval_us), NULL },
    { "storage", "ingest_open_threads", AEGIS__CFG_U64, "0", 0, 256, NULL,
      "Restart replay and a cluster worker's log apply: threads that open envelopes (decrypt, decode, "
      "recover senders), one run at a time; admission stays in log order on one thread, so the results "
      "do not depend on it. "
      "(Live submissions are opened on the RPC server's threads, rpc.threads.) "
      "0: one per online CPU.",
      OFF(storage_ingest_open_threads), NULL },

    /* [tee] */
    { "tee", "primary", AEGIS__CFG_STR, "sim", 1, 32, "sim|tdx|dstack",
      "Primary attestation backend: sim (development), tdx (configfs-tsm) or dstack.",
      OFF(tee_primary), NULL },
    { "tee", "backup", AEGIS__CFG_STR, "", 0, 32, "|sim|tdx|dstack",
      "Backup attestation backend, \"\" for none. A [phala] section makes it \"dstack\" unless set.",
      OFF(tee_backup), NULL },
    { "tee", "require_backup", AEGIS__CFG_BOOL, "false", 0, 0, NULL,
      "If true a failing backup stops batches; if false it only degrades health.",
      OFF(tee_require_backup), NULL },
    { "tee", "attest_mode", AEGIS__CFG_STR, "per-batch", 1, 32, "per-batch|key-binding",
      "Quote every batch, or quote once binding the signing keys.", OFF(tee_attest_mode), NULL },
    { "tee", "configfs_root", AEGIS__CFG_STR, "/sys/kernel/config/tsm/report", 1, STRMAX, NULL,
      "configfs-tsm report directory (tdx backend).", OFF(tee_configfs_root), NULL },
    { "tee", "dstack_socket", AEGIS__CFG_STR, "/var/run/dstack.sock", 1, STRMAX, NULL,
      "dstack guest-agent socket (dstack backend).", OFF(tee_dstack_socket), NULL },
    { "tee", "on_primary_failure", AEGIS__CFG_STR, "halt", 1, 16, "halt|backup",
      "When the primary TEE fails to attest a batch while running: halt (no batch until it attests "
      "again; /healthz 503) or backup (the backup TEE attests batches alone, marked in their quotes; "
      "/healthz 206). Key sets always need the primary.",
      OFF(tee_on_primary_failure), NULL },
    { "tee", "sim_fault_file", AEGIS__CFG_STR, "", 0, STRMAX, NULL,
      "TEST ONLY (sim primary): while this file exists every primary quote fails, to exercise "
      "on_primary_failure. \"\" = off; logged as a warning when set.",
      OFF(tee_sim_fault_file), NULL },
    { "tee", "sim_measurement", AEGIS__CFG_STR, "", 0, 96, NULL,
      "sim backend only (INSECURE, tests): a fixed fake measurement, 96 hex digits; \"\" = computed.",
      OFF(tee_sim_measurement), NULL },

    /* [mempool] */
    { "mempool", "capacity", AEGIS__CFG_U64, "10000", 1, 10000000, NULL,
      "Most pending transactions held.", OFF(mempool_capacity), NULL },
    { "mempool", "per_sender", AEGIS__CFG_U64, "64", 1, 100000, NULL,
      "Most pending transactions per sender.", OFF(mempool_per_sender), NULL },
    { "mempool", "price_bump_pct", AEGIS__CFG_U64, "10", 0, 1000, NULL,
      "Minimum fee increase, percent, to replace a pending transaction.",
      OFF(mempool_price_bump_pct), NULL },
    { "mempool", "expiry_s", AEGIS__CFG_U64, "3600", 1, 604800, NULL,
      "Seconds before an unsequenced transaction expires.", OFF(mempool_expiry_s), NULL },
    { "mempool", "max_envelope", AEGIS__CFG_U64, "131072", 256, 16 * MIB, NULL,
      "Largest encrypted envelope in bytes.", OFF(mempool_max_envelope), NULL },

    /* [batch] */
    { "batch", "max", AEGIS__CFG_U64, "50", 1, 1000, NULL,
      "Most transactions per batch (max_batch).", OFF(batch_max), NULL },
    { "batch", "interval_ms", AEGIS__CFG_U64, "1000", 10, 3600000, NULL,
      "Cut a batch at least this often, milliseconds.", OFF(batch_interval_ms), NULL },
    { "batch", "slh_mode", AEGIS__CFG_STR, "epoch", 1, 16, "every|epoch",
      "SLH-DSA signature on every batch, or a seal every seal_every batches.",
      OFF(batch_slh_mode), NULL },
    { "batch", "seal_every", AEGIS__CFG_U64, "20", 1, 100000, NULL,
      "Epoch mode: an SLH-DSA seal once this many batches wait (a slow trickle is sealed at least "
      "this often; a partial window is sealed after 5 batch intervals without a seal).",
      OFF(batch_seal_every), NULL },
    { "batch", "seal_interval_ms", AEGIS__CFG_U64, "1000", 0, 3600000, NULL,
      "Epoch mode: at most one seal per this many milliseconds; a seal covers every batch since the "
      "previous one, so under load seals cost less per transaction as the rate rises. After a seal that "
      "took t, the next waits at least 20 t, never longer than 5 batch intervals (0: no limit).",
      OFF(batch_seal_interval_ms), NULL },
    { "batch", "max_wait", AEGIS__CFG_U64, "10", 1, 1000, NULL,
      "Hybrid ordering aging bound: a transaction waits at most this many batches.",
      OFF(batch_max_wait), NULL },
    { "batch", "checkpoint_interval", AEGIS__CFG_U64, "100", 1, 1000000, NULL,
      "Write a checkpoint every this many batches.", OFF(checkpoint_interval), NULL },
    { "batch", "checkpoint_min_interval_ms", AEGIS__CFG_U64, "10000", 0, 86400000, NULL,
      "At most one interval checkpoint per this many milliseconds (risk level changes, key rotations "
      "and rollbacks checkpoint at once; 0: no limit).",
      OFF(checkpoint_min_interval_ms), NULL },

    /* [logging] */
    { "logging", "level", AEGIS__CFG_STR, "info", 1, 16, "trace|debug|info|warn|error",
      "Least severe level written.", OFF(log_level), NULL },
    { "logging", "format", AEGIS__CFG_STR, "logfmt", 1, 16, "logfmt|json",
      "Log line format.", OFF(log_format), NULL },
    { "logging", "file", AEGIS__CFG_STR, "", 0, STRMAX, NULL,
      "Log file (reopened on SIGHUP); \"\" writes to stderr.", OFF(log_file), NULL },

    /* [phala] (spec) */
    { "phala", "network", AEGIS__CFG_STR, "mainnet", 1, 16, "mainnet|testnet|local",
      "Phala network the deployment runs on. Informational: reported in the start-up log and "
      "aegis_status; it selects nothing (the dstack agent at tee.dstack_socket is the network's "
      "interface). A present [phala] section makes dstack the TEE backup.",
      OFF(phala_network), NULL },

    /* [worker] (spec) */
    { "worker", "id", AEGIS__CFG_STR, "aegis-worker-1", 1, 128, NULL,
      "Worker identity: unique in a cluster; named in co-attestations, the lease and heartbeats.",
      OFF(worker_id), NULL },
    { "worker", "enclave_type", AEGIS__CFG_STR, "SIM", 1, 8, "TDX|SGX|SIM",
      "Enclave the workers run in.", OFF(enclave_type), NULL },
    { "worker", "min_workers", AEGIS__CFG_U64, "1", 1, 10, NULL,
      "Live workers below which the cluster reports degraded (/healthz 206); > 1 needs [cluster].",
      OFF(min_workers), NULL },
    { "worker", "max_workers", AEGIS__CFG_U64, "1", 1, 10, NULL,
      "Most workers admitted to the key set (>= min_workers).", OFF(max_workers), NULL },

    /* [cluster] */
    { "cluster", "nats_urls", AEGIS__CFG_LIST, "", 0, 16, NULL,
      "NATS servers of the JetStream cluster (nats://HOST:PORT). Empty: one node, no NATS.",
      OFF(cluster_nats_urls), NULL },
    { "cluster", "stream", AEGIS__CFG_STR, "AEGIS", 1, 64, NULL,
      "JetStream stream holding the replicated log (envelopes, control records, cut records).",
      OFF(cluster_stream), NULL },
    { "cluster", "batch_stream", AEGIS__CFG_STR, "AEGIS_BATCHES", 1, 64, NULL,
      "JetStream stream holding published batches, co-attestations and dissents.",
      OFF(cluster_batch_stream), NULL },
    { "cluster", "bucket", AEGIS__CFG_STR, "aegis_cluster", 1, 64, NULL,
      "JetStream key-value bucket holding the leader lease and the cluster's genesis key set hash.",
      OFF(cluster_bucket), NULL },
    { "cluster", "replicas", AEGIS__CFG_U64, "3", 1, 5, NULL,
      "Replicas of the streams and the bucket (3: survives the loss of one nats-server).",
      OFF(cluster_replicas), NULL },
    { "cluster", "lease_ms", AEGIS__CFG_U64, "1000", 200, 60000, NULL,
      "Leader lease lifetime: a leader that stops renewing is replaced after this long.",
      OFF(cluster_lease_ms), NULL },
    { "cluster", "heartbeat_ms", AEGIS__CFG_U64, "200", 20, 10000, NULL,
      "Lease renewal and member heartbeat period (at most lease_ms / 3).",
      OFF(cluster_heartbeat_ms), NULL },
    { "cluster", "attest_quorum", AEGIS__CFG_U64, "0", 0, 10, NULL,
      "Workers (leader included) whose identical batch makes it final; 0 = a majority of min_workers.",
      OFF(cluster_attest_quorum), NULL },
    { "cluster", "user", AEGIS__CFG_STR, "", 0, 128, NULL,
      "NATS user name (production: required; the servers accept only the workers).",
      OFF(cluster_user), NULL },
    { "cluster", "password_file", AEGIS__CFG_STR, "", 0, STRMAX, NULL,
      "File holding the NATS password (mode 0600).", OFF(cluster_password_file), NULL },
    { "cluster", "allowed_measurements", AEGIS__CFG_LIST, "", 0, 16, NULL,
      "TEE measurements (hex) of workers allowed to receive the key set; empty = this worker's own.",
      OFF(cluster_measurements), NULL },
    { "cluster", "collateral", AEGIS__CFG_STR, "", 0, STRMAX, NULL,
      "Intel DCAP collateral (a collateral JSON file or a directory of them) with which a member verifies a "
      "hardware (tdx, dstack) worker's join attestation and a joiner its grant; required on tdx or dstack "
      "(refresh it: Intel collateral expires in about 30 days).",
      OFF(cluster_collateral), NULL },

    /* [quantum] (spec) */
    { "quantum", "signature_algorithms", AEGIS__CFG_LIST, "ML-DSA-87,SLH-DSA-256s", 1, 4,
      "ML-DSA-87|SLH-DSA-256s|SLH-DSA-SHA2-256s",
      "Post-quantum signatures accepted and produced (SLH-DSA-256s = SLH-DSA-SHA2-256s).",
      OFF(signature_algorithms), NULL },
    { "quantum", "hybrid_ecdsa", AEGIS__CFG_BOOL, "true", 0, 0, NULL,
      "Also require the classic secp256k1 ECDSA signature (hybrid mode).", OFF(hybrid_ecdsa), NULL },
    { "quantum", "risk_scheduled", AEGIS__CFG_U64, "6000", 0, 10000, NULL,
      "Quantum-risk score (basis points) at which scheduled migration starts.",
      OFF(risk_scheduled), NULL },
    { "quantum", "risk_emergency", AEGIS__CFG_U64, "9000", 0, 10000, NULL,
      "Risk score at which emergency migration starts (> risk_scheduled).",
      OFF(risk_emergency), NULL },
    { "quantum", "oracle_keys", AEGIS__CFG_LIST, "", 0, AEGIS_CONFIG_MAX_LIST, NULL,
      "Paths of ML-DSA-87 public keys of the risk oracles.", OFF(oracle_keys), NULL },
    { "quantum", "key_rotation_batches", AEGIS__CFG_U64, "0", 0, 1000000000, NULL,
      "Scheduled key rotation every this many batches (0 = off).", OFF(key_rotation_batches), NULL },
    { "quantum", "key_rotation_s", AEGIS__CFG_U64, "86400", 0, 31536000, NULL,
      "Scheduled key rotation every this many seconds (0 = off).", OFF(key_rotation_s), NULL },
    { "quantum", "rotate_on_emergency", AEGIS__CFG_BOOL, "true", 0, 0, NULL,
      "Rotate signing and encryption keys when the risk level enters emergency.", OFF(rotate_on_emergency), NULL },
    { "quantum", "key_grace_s", AEGIS__CFG_U64, "600", 0, 604800, NULL,
      "Envelopes to the previous key epoch are accepted this long after a rotation, seconds.",
      OFF(key_grace_s), NULL },
    { "quantum", "risk_file", AEGIS__CFG_STR, "", 0, 4096, NULL,
      "A file holding the latest signed risk assessment (JSON), watched and submitted when it changes; \"\" = none.",
      OFF(risk_file), NULL },
    { "assets", "admin_keys", AEGIS__CFG_LIST, "", 0, AEGIS_CONFIG_MAX_LIST, NULL,
      "Paths of ML-DSA-87 public keys allowed to sign admin requests (asset registry, rollback).",
      OFF(admin_keys), NULL },
    { "assets", "admin_skew_ms", AEGIS__CFG_U64, "300000", 1000, 86400000, NULL,
      "How far an admin request's timestamp may be from the sequencer's clock, milliseconds.",
      OFF(admin_skew_ms), NULL },
    { "assets", "migration_contracts", AEGIS__CFG_LIST, "", 0, AEGIS_CONFIG_MAX_LIST, NULL,
      "Addresses (0x + 40 hex) of migration contracts: calls to them are migration transactions.",
      OFF(migration_contracts), NULL },

    /* [intelligence] (spec) */
    { "intelligence", "mode", AEGIS__CFG_STR, "hybrid", 1, 16, "fifo|risk|asset|migration|hybrid",
      "Ordering policy.", OFF(mode), NULL },
    { "intelligence", "enable_asset_protection", AEGIS__CFG_BOOL, "true", 0, 0, NULL,
      "Prioritise transactions that move high-value assets.", OFF(enable_asset_protection), NULL },
    { "intelligence", "enable_migration", AEGIS__CFG_BOOL, "true", 0, 0, NULL,
      "Run scheduled/emergency key migration.", OFF(enable_migration), NULL },
};

const size_t aegis__cfg_schema_len = sizeof(aegis__cfg_schema) / sizeof(aegis__cfg_schema[0]);

const char *const aegis__cfg_sections[][2] = {
    { "node", "This node and where it keeps its data." },
    { "rpc", "The JSON-RPC 2.0 HTTP server and its limits." },
    { "storage", "The store backend." },
    { "tee", "Attestation backends." },
    { "mempool", "Pending-transaction pool." },
    { "batch", "Batch building, signing and checkpoints." },
    { "logging", "Structured logs on stderr or a file." },
    { "phala", "From the original spec: Phala Cloud deployment." },
    { "worker", "From the original spec: the sequencer workers." },
    { "cluster", "3-10 workers on a NATS JetStream cluster (docs/internals/cluster.md); leave nats_urls empty for one node." },
    { "quantum", "From the original spec: post-quantum signatures and risk thresholds." },
    { "intelligence", "From the original spec: ordering policy." },
    { "assets", "The asset-protection registry: who may administer it, migration contracts." },
};

const size_t aegis__cfg_sections_len = sizeof(aegis__cfg_sections) / sizeof(aegis__cfg_sections[0]);

const char *const aegis__cfg_rules[] = {
    "Relative paths in a config file (`node.data_dir`, `tee.configfs_root`, `tee.dstack_socket`, "
    "`logging.file`, `quantum.risk_file`, `quantum.oracle_keys`, `assets.admin_keys`) are relative to "
    "the folder of that file, defaults included (`./var` next to the file); paths on the command line "
    "(`--data-dir`, `--oracle-key`) are relative to the working directory. `aegisd --check-config` reads "
    "every key file the config names and names the one that fails.",
    "`quantum.risk_emergency` must be greater than `quantum.risk_scheduled`.",
    "`worker.min_workers` must not exceed `worker.max_workers` (both 1..10).",
    "A cluster (`cluster.nats_urls` set) needs `worker.max_workers` of at least 2: it caps the "
    "workers admitted to the key set (the founder and every worker that joined, counted in the "
    "replicated log).",
    "A cluster worker on `tee.primary = \"tdx\"` or `\"dstack\"` needs `cluster.collateral`: the "
    "other workers' join attestations (and its own grant) are verified with it.",
    "A worker count the deployment cannot provide is an error: `storage.backend = \"memory\"` keeps "
    "the log inside one process and `worker.enclave_type = \"SIM\"` is a single-process simulation, "
    "so either requires `min_workers = max_workers = 1`.",
    "`worker.enclave_type = \"SIM\"` requires `tee.primary = \"sim\"`; `\"SGX\"` cannot be attested "
    "by the `tdx` or `dstack` backends. `\"TDX\"` or `\"SGX\"` with `tee.primary = \"sim\"` is allowed "
    "(development) and reported as a warning.",
    "`tee.backup` must differ from `tee.primary`; `tee.require_backup = true` and "
    "`tee.on_primary_failure = \"backup\"` need a `tee.backup`; `tee.sim_fault_file` needs "
    "`tee.primary = \"sim\"`.",
    "Warnings (logged at start and printed by `--check-config`): `tee.primary = \"dstack\"` with no "
    "`tee.backup` is the spec's legacy Phala-only mode, deprecated; `tee.sim_fault_file` set; "
    "`on_primary_failure = \"backup\"` in key-binding mode (batches reuse the key-set quotes).",
    "`intelligence.mode = \"asset\"` needs `enable_asset_protection = true`; `mode = \"migration\"` "
    "needs `enable_migration = true`.",
    "`quantum.signature_algorithms` lists each algorithm once (`SLH-DSA-256s` and "
    "`SLH-DSA-SHA2-256s` are the same algorithm).",
    "`mempool.per_sender` must not exceed `mempool.capacity`; `mempool.max_envelope` must not "
    "exceed `rpc.max_body`.",
    NULL,
};

const struct aegis__cfg_key *aegis__cfg_find(const char *section, const char *key)
{
    for (size_t i = 0; i < aegis__cfg_schema_len; i++)
        if (strcmp(aegis__cfg_schema[i].section, section) == 0 &&
            strcmp(aegis__cfg_schema[i].key, key) == 0)
            return &aegis__cfg_schema[i];
    return NULL;
}
