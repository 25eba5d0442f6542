/*
 * aegis/assets.h - the asset registry of the trusted core: protected assets
 * with their policies and states, PQC account keys, authenticated admin
 * requests, the hash-chained audit log, transaction enforcement and
 * encrypted off-chain asset data. docs/internals/assets.md has the formats.
 *
 * Objects:
 *   aegis_assets        the registry (entries, roles, PQC account keys)
 *   aegis_assets_admin  admin public keys and their last accepted sequence
 *   aegis_audit         the append-only, hash-chained log of every change
 *   aegis_assets_batch  per-batch value accumulator used during a cut
 *
 * Time: nothing here reads a clock; callers pass now_ms.
 * Thread-safety: none of the objects is thread-safe; the core serialises
 * access. Functions taking only const objects may run concurrently.
 */
#ifndef AEGIS_ASSETS_H
#define AEGIS_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/crypto.h"
#include "aegis/envelope.h"
#include "aegis/tee.h"
#include "aegis/tx.h"
#include "aegis/util.h"

/* ---------------- limits ---------------- */
#define AEGIS_ASSET_ID_MAX          64      /* [a-z0-9._-]{1,64} */
#define AEGIS_ASSET_URI_MAX         256     /* printable ASCII, no spaces */
#define AEGIS_ASSET_MAX_SENDERS     32      /* allowed senders per policy */
#define AEGIS_ASSET_MAX_ROLES       8       /* allowed roles per policy */
#define AEGIS_ASSET_ROLE_MAX        32      /* role names: same alphabet as ids */
#define AEGIS_ASSET_LEVEL_MAX       3
#define AEGIS_ASSET_THRESHOLD_MAX   10000
#define AEGIS_ASSETS_MAX_ENTRIES    4096
#define AEGIS_ASSETS_MAX_ROLES      64      /* distinct roles in the registry */
#define AEGIS_ASSETS_MAX_MEMBERS    256     /* members of one role */
#define AEGIS_ASSETS_MAX_ACCOUNTS   16384   /* registered PQC account keys */

typedef enum aegis_asset_type {
    AEGIS_ASSET_TOKEN = 0,          /* on-chain fungible token */
    AEGIS_ASSET_NFT,                /* on-chain non-fungible token */
    AEGIS_ASSET_CONTRACT_DATA,      /* smart contract state */
    AEGIS_ASSET_DATABASE,           /* off-chain */
    AEGIS_ASSET_FILE,               /* off-chain */
    AEGIS_ASSET_DATA_STREAM,        /* off-chain */
    AEGIS_ASSET_BRIDGE,             /* cross-chain bridge asset (on-chain locator) */
    AEGIS_ASSET_TYPE_COUNT
} aegis_asset_type;

/*
 * States and transitions (anything else is AEGIS_ERR_ASSET_BAD_TRANSITION):
 *   active    -> protected, migrating, frozen
 *   protected -> active, migrating, frozen
 *   migrating -> migrated, protected, active (abort), frozen
 *   migrated  -> frozen
 *   frozen    -> active, protected, migrating
 */
typedef enum aegis_asset_state {
    AEGIS_ASSET_ACTIVE = 0,
    AEGIS_ASSET_PROTECTED,
    AEGIS_ASSET_MIGRATING,
    AEGIS_ASSET_MIGRATED,
    AEGIS_ASSET_FROZEN,
    AEGIS_ASSET_STATE_COUNT
} aegis_asset_state;

/* Operations (bit mask of a policy). */
#define AEGIS_ASSET_OP_TRANSFER  0x01u
#define AEGIS_ASSET_OP_APPROVE   0x02u
#define AEGIS_ASSET_OP_CALL      0x04u
#define AEGIS_ASSET_OP_MIGRATE   0x08u
#define AEGIS_ASSET_OP_READ      0x10u
#define AEGIS_ASSET_OP_WRITE     0x20u
#define AEGIS_ASSET_OP_ALL       0x3fu

typedef struct aegis_asset_locator {
    bool onchain;                   /* true: chain_id/contract[/token id]; false: uri */
    uint64_t chain_id;
    uint8_t contract[20];
    bool has_token_id;
    aegis_u256 token_id;
    char uri[AEGIS_ASSET_URI_MAX + 1];
} aegis_asset_locator;

/* Empty senders and roles: any sender. ops = 0: no operation allowed. */
typedef struct aegis_asset_policy {
    size_t n_senders;
    uint8_t senders[AEGIS_ASSET_MAX_SENDERS][20];
    size_t n_roles;
    char roles[AEGIS_ASSET_MAX_ROLES][AEGIS_ASSET_ROLE_MAX + 1];
    uint32_t ops;                   /* AEGIS_ASSET_OP_* */
    bool has_value_limit;
    aegis_u256 value_limit;         /* per batch (per tx at admission) */
    bool witness_required;          /* PQC witness against the sender's registered key */
} aegis_asset_policy;

/* One registry entry (plain data, copied in and out). */
typedef struct aegis_asset {
    char id[AEGIS_ASSET_ID_MAX + 1];
    aegis_asset_type type;
    aegis_asset_locator locator;
    uint8_t level;                  /* 0: monitor only (policy never enforced), 1..3 */
    uint16_t threshold;             /* protection activates when risk >= threshold */
    aegis_asset_policy policy;
    aegis_asset_state state;
    uint64_t data_version;          /* off-chain data version (0: none written) */
} aegis_asset;

/* Names ("token", "nft", "contract_data", "database", "file", "data_stream",
 * "bridge"; "active", "protected", "migrating", "migrated", "frozen";
 * "transfer", "approve", "call", "migrate", "read", "write"). The parsers
 * return AEGIS_ERR_ASSET_BAD_FIELD for unknown names. */
const char *aegis_asset_type_name(aegis_asset_type t);
const char *aegis_asset_state_name(aegis_asset_state s);
const char *aegis_asset_op_name(uint32_t op_bit);
aegis_err aegis_asset_type_parse(const char *s, aegis_asset_type *ret) AEGIS_WUR;
aegis_err aegis_asset_state_parse(const char *s, aegis_asset_state *ret) AEGIS_WUR;
aegis_err aegis_asset_op_parse(const char *s, uint32_t *ret_bit) AEGIS_WUR;
bool aegis_asset_id_is_valid(const char *id);
bool aegis_asset_transition_is_allowed(aegis_asset_state from, aegis_asset_state to);
/* Full validation of an entry (id, type/locator agreement, level,
 * threshold, policy fields, state). AEGIS_ERR_ASSET_BAD_ID / _BAD_FIELD. */
aegis_err aegis_asset_validate(const aegis_asset *a) AEGIS_WUR;
/* A default entry: ops all, no limits, no witness, threshold 10000, level 1,
 * state active, on-chain chain 1. Fill id and locator afterwards. */
void aegis_asset_init(aegis_asset *a);
/* Non-zero 64-bit group id of an asset (first 8 bytes of keccak(id), BE),
 * for struct aegis_tx_class.migration_group. */
uint64_t aegis_asset_group_id(const char *id);

/* ---------------- the registry ---------------- */
typedef struct aegis_assets aegis_assets;

typedef struct aegis_assets_config {
    bool enable_asset_protection;   /* [intelligence]: false -> check_tx never rejects */
    bool enable_migration;          /* false -> migration txs get no special treatment */
    const uint8_t (*migration_contracts)[20];   /* calls to these are migration txs */
    size_t n_migration_contracts;
} aegis_assets_config;

/* New empty registry (copies cfg). Errors: AEGIS_ERR_NOMEM, _INVAL. */
aegis_err aegis_assets_new(const aegis_assets_config *cfg, aegis_assets **ret) AEGIS_WUR;
void aegis_assets_free(aegis_assets *reg);   /* accepts NULL */

/* CRUD. add: AEGIS_ERR_ASSET_EXISTS, _REGISTRY_FULL, validation errors.
 * update_policy: level / threshold < 0 keep the current value.
 * set_state: AEGIS_ERR_ASSET_BAD_TRANSITION. Missing ids: _ASSET_NOT_FOUND. */
aegis_err aegis_assets_add(aegis_assets *reg, const aegis_asset *a) AEGIS_WUR;
aegis_err aegis_assets_remove(aegis_assets *reg, const char *id) AEGIS_WUR;
aegis_err aegis_assets_update_policy(aegis_assets *reg, const char *id, const aegis_asset_policy *p,
                                     int level, int threshold) AEGIS_WUR;
aegis_err aegis_assets_set_state(aegis_assets *reg, const char *id, aegis_asset_state to) AEGIS_WUR;
aegis_err aegis_assets_get(const aegis_assets *reg, const char *id, aegis_asset *ret) AEGIS_WUR;
size_t aegis_assets_count(const aegis_assets *reg);
/* The i-th entry in id order (AEGIS_ERR_NOT_FOUND past the end). */
aegis_err aegis_assets_at(const aegis_assets *reg, size_t i, aegis_asset *ret) AEGIS_WUR;

/* Roles: named sets of sender addresses, referenced by policies. */
aegis_err aegis_assets_role_grant(aegis_assets *reg, const char *role, const uint8_t addr[static 20]) AEGIS_WUR;
aegis_err aegis_assets_role_revoke(aegis_assets *reg, const char *role, const uint8_t addr[static 20]) AEGIS_WUR;
bool aegis_assets_role_has(const aegis_assets *reg, const char *role, const uint8_t addr[static 20]);

/* PQC accounts: address -> ML-DSA-87 public key. replace = false refuses
 * an address that already has a different key (AEGIS_ERR_ASSET_PQC_KEY_EXISTS);
 * the same key again is a no-op. */
aegis_err aegis_assets_pqc_register(aegis_assets *reg, const uint8_t addr[static 20],
                                    const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES], bool replace) AEGIS_WUR;
aegis_err aegis_assets_pqc_unregister(aegis_assets *reg, const uint8_t addr[static 20]) AEGIS_WUR;
/* The key of addr or NULL; valid until the registry next changes. */
const uint8_t *aegis_assets_pqc_key(const aegis_assets *reg, const uint8_t addr[static 20]);
/* A registration transaction: tx carries a witness with its public key that
 * verifies under that key; registers it for tx->sender (first use only).
 * Errors: AEGIS_ERR_TX_WITNESS_*, AEGIS_ERR_ASSET_PQC_KEY_EXISTS. Call when
 * the transaction is committed in a batch, and audit it with
 * aegis_audit_append_event(..., "register_pqc_key", ...). */
aegis_err aegis_assets_pqc_register_tx(aegis_assets *reg, const aegis_tx *tx) AEGIS_WUR;

/* Canonical serialization of the whole registry (entries, roles, accounts;
 * not the config switches): the checkpoint state blob. *ret: aegis_free.
 * Equal registries give equal bytes. */
aegis_err aegis_assets_serialize(const aegis_assets *reg, uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* keccak-256 of the serialization. */
aegis_err aegis_assets_hash(const aegis_assets *reg, uint8_t out[static 32]) AEGIS_WUR;
/* Replace the registry's contents with a serialized state (rollback). The
 * blob must be canonical (sorted, no duplicates, valid entries); on any
 * error the registry is unchanged. AEGIS_ERR_ASSET_BAD_STATE_BLOB. */
aegis_err aegis_assets_restore(aegis_assets *reg, const uint8_t *blob, size_t len) AEGIS_WUR;

/* JSON views (text; *ret is NUL-terminated, aegis_free). Entry format in
 * docs/internals/assets.md; list: {"count":N,"registry_hash":"0x..","assets":[...]}. */
aegis_err aegis_asset_to_json(const aegis_asset *a, char **ret) AEGIS_WUR;
aegis_err aegis_asset_from_json(const char *text, size_t len, aegis_asset *ret) AEGIS_WUR;
aegis_err aegis_assets_list_json(const aegis_assets *reg, char **ret) AEGIS_WUR;

/* ---------------- audit log ---------------- */
typedef struct aegis_audit aegis_audit;

#define AEGIS_AUDIT_LINE_MAX  (64u * 1024u)

aegis_err aegis_audit_new(aegis_audit **ret) AEGIS_WUR;
void aegis_audit_free(aegis_audit *log);
size_t aegis_audit_count(const aegis_audit *log);
/* Sequence number and hash of the last record (0 and zeros when empty). */
void aegis_audit_head(const aegis_audit *log, uint64_t *ret_seq, uint8_t ret_hash[static 32]);
/* Record i (0-based) as one canonical JSON line without newline. aegis_free. */
aegis_err aegis_audit_record_json(const aegis_audit *log, size_t i, char **ret, size_t *ret_len) AEGIS_WUR;
/* Every record, one JSON line each ("\n"-terminated). aegis_free. */
aegis_err aegis_audit_export(const aegis_audit *log, char **ret, size_t *ret_len) AEGIS_WUR;
/* Parse and verify JSON lines (see aegis_audit_verify); *ret owns the log. */
aegis_err aegis_audit_import(const char *text, size_t len, aegis_audit **ret, const char **reterr_msg) AEGIS_WUR;
/*
 * A core event that is not an admin request (automatic protection,
 * registration transaction, checkpoint restore): params_json is any JSON
 * object; the record carries key_id "core" and no signature and binds the
 * current registry hash. *ret_line (optional, aegis_free) gets the record.
 */
aegis_err aegis_audit_append_event(aegis_audit *log, const aegis_assets *reg, const char *op,
                                   const char *params_json, uint64_t now_ms,
                                   char **ret_line, size_t *ret_len) AEGIS_WUR;

typedef struct aegis_assets_admin aegis_assets_admin;

/*
 * Verify JSON-lines audit records: each line must be exactly the canonical
 * form of its record; hashes recompute; seq runs 1, 2, ... and prev links
 * each record to the one before (genesis: zeros). With admin (optional), every
 * admin record's signature must verify under the listed key. With
 * expected_head (optional), the last hash must equal it (detects truncation).
 * *ret_count gets the number of records, *ret_bad_line (1-based) the failing
 * line. Errors: AEGIS_ERR_AUDIT_MALFORMED, _BAD_HASH, _BROKEN_CHAIN,
 * _BAD_SIG, _HEAD_MISMATCH, ADMIN_UNKNOWN_KEY.
 */
aegis_err aegis_audit_verify(const char *text, size_t len, const aegis_assets_admin *admin,
                             const uint8_t *expected_head, uint64_t *ret_count, size_t *ret_bad_line,
                             const char **reterr_msg) AEGIS_WUR;

/* ---------------- admin requests ---------------- */
#define AEGIS_ADMIN_SIG_CTX          "aegis-admin-v1"
#define AEGIS_ADMIN_KEY_ID_CHARS     16                 /* hex of keccak(pk)[0..8) */
#define AEGIS_ADMIN_REQUEST_MAX      (64u * 1024u)
#define AEGIS_ADMIN_DEFAULT_SKEW_MS  300000u

/* New verifier with no keys; max_skew_ms 0 = the default. */
aegis_err aegis_assets_admin_new(uint64_t max_skew_ms, aegis_assets_admin **ret) AEGIS_WUR;
void aegis_assets_admin_free(aegis_assets_admin *adm);
/* Add a key (AEGIS_ERR_EXISTS if listed already). */
aegis_err aegis_assets_admin_add_key(aegis_assets_admin *adm, const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES]) AEGIS_WUR;
/* Add the ML-DSA-87 public key files (aegis keygen --type ml-dsa-87 PREFIX.pub). */
aegis_err aegis_assets_admin_load_keys(aegis_assets_admin *adm, const char *const *paths, size_t n) AEGIS_WUR;
size_t aegis_assets_admin_key_count(const aegis_assets_admin *adm);
void aegis_assets_admin_key_id(const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES],
                               char out[static AEGIS_ADMIN_KEY_ID_CHARS + 1]);
/* Continue sequences after a restart: each key's last sequence from log. */
void aegis_assets_admin_resume(aegis_assets_admin *adm, const aegis_audit *log);

/*
 * Client side: build and sign a request. op and params_json (a JSON object)
 * as in docs/internals/assets.md; *ret gets the request text (aegis_free).
 */
aegis_err aegis_assets_admin_sign(const char *op, const char *params_json, uint64_t seq, uint64_t ts_ms,
                                  const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES],
                                  const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES], char **ret) AEGIS_WUR;

typedef struct aegis_admin_result {
    char op[24];
    char *params_json;              /* canonical params (rollback: what to restore) */
    char *record;                   /* the new audit record line, for the store */
    size_t record_len;
    uint8_t registry_hash[32];      /* after the change */
} aegis_admin_result;
void aegis_admin_result_clear(aegis_admin_result *r);

/*
 * Parse, authenticate and apply one admin request: strict JSON (known keys
 * only, no duplicates), known key id, ML-DSA-87 signature (ctx
 * "aegis-admin-v1") over the canonical request without "sig", timestamp
 * within the skew of now_ms, sequence above the key's last one. The sequence
 * is consumed once the request authenticates, even if the operation then
 * fails. On success the change is in reg and its audit record in log, and
 * *ret is filled (aegis_admin_result_clear). The op "rollback" changes
 * nothing here: the caller performs it with ret->params_json.
 * Errors: AEGIS_ERR_ADMIN_*, and the operation's own errors.
 */
aegis_err aegis_assets_admin_submit(aegis_assets_admin *adm, aegis_assets *reg, aegis_audit *log,
                                    const char *req, size_t len, uint64_t now_ms,
                                    aegis_admin_result *ret, const char **reterr_msg) AEGIS_WUR;

/* Apply an already authorised operation to reg (also used by the fuzzer).
 * Ops: add, update_policy, set_state, remove, register_pqc_key, grant_role,
 * revoke_role, rollback (validates params only). */
aegis_err aegis_assets_apply_op(aegis_assets *reg, const char *op, const char *params_json, size_t len,
                                const char **reterr_msg) AEGIS_WUR;

/* ---------------- enforcement ---------------- */
typedef enum aegis_assets_risk_level {
    AEGIS_ASSETS_RISK_NORMAL = 0,
    AEGIS_ASSETS_RISK_SCHEDULED,
    AEGIS_ASSETS_RISK_EMERGENCY,
} aegis_assets_risk_level;

/* Per-asset override of the global score (true: *ret_score set). */
typedef bool (*aegis_assets_risk_override_fn)(void *arg, const char *asset_id, uint16_t *ret_score);

typedef struct aegis_assets_env {
    uint16_t global_risk;           /* 0..10000 */
    aegis_assets_risk_level level;  /* emergency: witnesses on every protected asset */
    aegis_assets_risk_override_fn risk_override;   /* optional */
    void *risk_arg;
} aegis_assets_env;

typedef struct aegis_assets_verdict {
    size_t n_touched;               /* registry entries the tx touches */
    uint8_t asset_level;            /* highest level among effectively protected ones */
    bool migration;                 /* treated as a migration tx */
    uint64_t migration_group;       /* aegis_asset_group_id of the migrated asset */
    char asset[AEGIS_ASSET_ID_MAX + 1];   /* on rejection: the asset that refused */
} aegis_assets_verdict;

typedef struct aegis_assets_batch aegis_assets_batch;
aegis_err aegis_assets_batch_new(aegis_assets_batch **ret) AEGIS_WUR;
void aegis_assets_batch_reset(aegis_assets_batch *b);   /* start a new batch */
void aegis_assets_batch_free(aegis_assets_batch *b);

/*
 * Check a decoded transaction against the registry. Touched assets: on-chain
 * entries whose chain (tx chain 0 matches any) and contract equal tx->to and,
 * for entries with a token id, whose id appears in the calldata (or the
 * calldata lists more ids than decoded); plus the asset named by a migration
 * intent. An asset is effectively protected when its level >= 1 and it is
 * protected/migrating, or active with risk (override or global) >= threshold.
 * Rules: frozen / migrated assets accept only migration txs; protected ones
 * check op, sender (list or role), value limit (against batch totals when
 * batch != NULL; the tx's amounts are added on success), and a witness
 * (policy flag, or any protected asset in emergency) verifying against the
 * sender's registered key. ret (optional) is filled on success and failure.
 * Errors: AEGIS_ERR_ASSET_FROZEN, _MIGRATED, _OP_DENIED, _SENDER_DENIED,
 * _VALUE_LIMIT, _WITNESS_REQUIRED, _NO_PQC_KEY, _WITNESS_BAD.
 */
aegis_err aegis_assets_check_tx(const aegis_assets *reg, const aegis_tx *tx, const aegis_assets_env *env,
                                aegis_assets_batch *batch, aegis_assets_verdict *ret) AEGIS_WUR;

/*
 * Move active entries (level >= 1) whose risk reached their threshold to
 * protected, with one audit event each ("auto_protect") when log != NULL.
 * *ret_changed (optional) gets the count.
 */
aegis_err aegis_assets_activate(aegis_assets *reg, const aegis_assets_env *env, aegis_audit *log,
                                uint64_t now_ms, size_t *ret_changed) AEGIS_WUR;

/* What the per-tx risk function needs about a (to, sender) pair. */
typedef struct aegis_assets_class {
    uint8_t asset_level;            /* highest level of non-migrated entries at `to` */
    bool sender_has_pqc_key;
    bool migration;                 /* `to` is a migration contract (enable_migration) */
} aegis_assets_class;
/* to NULL: contract creation. Never fails. Usable as a callback with
 * ctx = the registry. */
void aegis_assets_classify(const void *reg, const uint8_t *to, const uint8_t sender[static 20],
                           aegis_assets_class *ret);

/* ---------------- off-chain asset data ---------------- */
#define AEGIS_ASSET_DATA_LABEL   "aegis/asset-data/v1"
#define AEGIS_ASSET_DATA_MAGIC   "AGD1"
#define AEGIS_ASSET_DATA_OVERHEAD (4 + 8 + AEGIS_AEAD_NONCE_BYTES + AEGIS_AEAD_TAG_BYTES)

/*
 * Seal pt as the next version of asset id's data. The requester (already
 * authenticated by the caller) must pass the policy for "write"; the asset
 * must not be frozen or migrated; base_version must be the current
 * data_version (compare-and-swap). Key: HKDF-SHA-256(TEE key
 * "aegis/asset-data/v1", info "aegis/asset-data/v1/<id>"); AES-256-GCM with
 * AAD (id, version). The registry's data_version is bumped on success and,
 * with log, recorded as the core event "data_put" {id, version} (no change
 * without its record). *ret (aegis_free): the blob the host stores. Errors:
 * _ASSET_NOT_FOUND, _ASSET_DATA_DENIED, _ASSET_FROZEN, _ASSET_MIGRATED,
 * _ASSET_DATA_CONFLICT, AEGIS_ERR_TOO_BIG.
 */
aegis_err aegis_assets_data_put(aegis_assets *reg, aegis_tee *tee, aegis_audit *log, const char *id,
                                const uint8_t requester[static 20], uint64_t base_version, const uint8_t *pt,
                                size_t len, uint64_t now_ms, uint8_t **ret, size_t *ret_len,
                                uint64_t *ret_version) AEGIS_WUR;
/* Open a blob for a "read" requester. AEGIS_ERR_NOT_FOUND when nothing was
 * written yet; the blob must be the current version
 * (AEGIS_ERR_ASSET_DATA_STALE) and authentic (AEGIS_ERR_ASSET_DATA_BAD).
 * *ret: aegis_free_secret(p, len). */
aegis_err aegis_assets_data_get(const aegis_assets *reg, aegis_tee *tee, const char *id,
                                const uint8_t requester[static 20], const uint8_t *blob, size_t len,
                                uint8_t **ret, size_t *ret_len, uint64_t *ret_version) AEGIS_WUR;

/*
 * Requests and replies (data_req.c; docs/internals/assets.md "Off-chain
 * data"). The host only ever carries them encrypted: a put or get request
 * is the plaintext of an envelope to the sequencer's key set
 * (aegis_envelope_seal), a reply the plaintext of an envelope to the
 * requester's one-time reply key (epoch 0). All integers big-endian.
 *
 *   put   "AGDP" | 1 | u8 id_len | id | u64 ts_ms | u64 base_version |
 *         u32 data_len | data | sig[65]
 *   get   "AGDG" | 1 | u8 id_len | id | u64 ts_ms | nonce[32] |
 *         reply ML-KEM-1024 ek[1568] | reply X25519 pk[32] | sig[65]
 *   reply "AGDR" | 1 | u8 id_len | id | u64 version | nonce[32] |
 *         u32 data_len | data
 *
 * sig: secp256k1 (r | s | recovery id, low s) by the requester over
 *   put: keccak256("aegis/asset-data/put/v2\0" | u8 id_len | id |
 *                  keccak256(data) | u64 ts_ms | u64 base_version)
 *   get: keccak256("aegis/asset-data/get/v2\0" | u8 id_len | id | u64 ts_ms |
 *                  nonce | reply key id)
 * with reply key id = aegis_envelope_key_id(ek, x25519 pk): the host cannot
 * swap in its own reply key. base_version is the data version the put
 * replaces (compare-and-swap: a replayed put is refused). The reply echoes
 * the request's secret nonce, so only the core (which read it inside the
 * request envelope) can produce a reply the requester accepts.
 */
#define AEGIS_ASSET_DATA_PUT_MAGIC    "AGDP"
#define AEGIS_ASSET_DATA_GET_MAGIC    "AGDG"
#define AEGIS_ASSET_DATA_REPLY_MAGIC  "AGDR"
#define AEGIS_ASSET_DATA_REQ_VERSION  1
#define AEGIS_ASSET_DATA_NONCE_BYTES  32
#define AEGIS_ASSET_DATA_SKEW_MS      300000u   /* |ts_ms - now| allowed */
#define AEGIS_ASSET_DATA_REPLY_EPOCH  0         /* epoch field of reply envelopes */
/* Largest data: a put request and a reply both fit in one envelope. */
#define AEGIS_ASSET_DATA_MAX          (AEGIS_ENVELOPE_MAX_PLAINTEXT - 256u)

/* A parsed request: pointers into the caller's buffer (valid as long as it). */
typedef struct aegis_asset_data_req {
    bool is_put;
    char id[AEGIS_ASSET_ID_MAX + 1];
    uint64_t ts_ms;
    uint64_t base_version;                 /* put */
    const uint8_t *data;                   /* put */
    size_t data_len;
    const uint8_t *nonce;                  /* get: 32 */
    aegis_envelope_pub reply;              /* get: epoch AEGIS_ASSET_DATA_REPLY_EPOCH */
    const uint8_t *sig;                    /* 65 */
    uint8_t digest[32];                    /* what sig signs */
} aegis_asset_data_req;

/* Client side: build a signed request (sk: the requester's secp256k1
 * secret key). *ret: aegis_free_secret(p, len) for puts (holds the data).
 * Errors: AEGIS_ERR_ASSET_BAD_ID, AEGIS_ERR_TOO_BIG, AEGIS_ERR_NOMEM. */
aegis_err aegis_asset_data_put_request(const char *id, const uint8_t *data, size_t len, uint64_t base_version,
                                       uint64_t ts_ms, const uint8_t sk[static 32], uint8_t **ret,
                                       size_t *ret_len) AEGIS_WUR;
aegis_err aegis_asset_data_get_request(const char *id, uint64_t ts_ms,
                                       const uint8_t nonce[static AEGIS_ASSET_DATA_NONCE_BYTES],
                                       const aegis_envelope_pub *reply, const uint8_t sk[static 32],
                                       uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* Core side: parse a request (framing, id syntax, lengths; computes the
 * digest). AEGIS_ERR_ASSET_DATA_MALFORMED on anything else. */
aegis_err aegis_asset_data_request_parse(const uint8_t *buf, size_t len, aegis_asset_data_req *ret) AEGIS_WUR;
/* The requester's address: the signature recovers (low s) over the digest
 * (AEGIS_ERR_ASSET_DATA_BAD_SIG) and ts_ms is within
 * AEGIS_ASSET_DATA_SKEW_MS of now_ms (AEGIS_ERR_ASSET_DATA_TIME). */
aegis_err aegis_asset_data_request_verify(const aegis_asset_data_req *req, uint64_t now_ms,
                                          uint8_t ret_addr[static 20]) AEGIS_WUR;
/* Core side: the reply plaintext. *ret: aegis_free_secret(p, len). */
aegis_err aegis_asset_data_reply_build(const char *id, uint64_t version,
                                       const uint8_t nonce[static AEGIS_ASSET_DATA_NONCE_BYTES],
                                       const uint8_t *data, size_t len, uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* Client side: check a reply plaintext names id and echoes nonce; *data
 * points into buf. AEGIS_ERR_ASSET_DATA_MALFORMED otherwise. */
aegis_err aegis_asset_data_reply_parse(const uint8_t *buf, size_t len, const char *id,
                                       const uint8_t nonce[static AEGIS_ASSET_DATA_NONCE_BYTES],
                                       uint64_t *ret_version, const uint8_t **ret_data,
                                       size_t *ret_len) AEGIS_WUR;

#endif
