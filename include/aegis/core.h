/*
 * aegis/core.h - the narrow call table between host and trusted core.
 *
 * Like an enclave's ECALLs: the host (rpc/, store/, daemon glue) hands the
 * core opaque envelope bytes and persisted public records; the core hands
 * back only public data (receipts, batches, public keys, quotes). No
 * plaintext transaction and no private key ever crosses this header.
 *
 * Thread-safety: every function may be called from any thread; the core
 * serialises what must be serialised (admission, cutting) and runs
 * decryption and signature recovery outside its locks.
 */
#ifndef AEGIS_CORE_H
#define AEGIS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/config.h"
#include "aegis/util.h"

typedef struct aegis_core aegis_core;

/* Create the core: TEE backend, sealed key set (created on first start in
 * data_dir), mempool, ordering strategy. *detail: static text on failure. */
aegis_err aegis_core_new(aegis_core **ret, const aegis_config *cfg, const char *data_dir,
                         const char **detail) AEGIS_WUR;
void aegis_core_free(aegis_core *core);

/* ---- public information (JSON text, caller frees with aegis_free) ---- */
/* aegis_getEncryptionKey: epoch, ML-KEM-1024 + X25519 public keys, the
 * signing key set, its hash, and the attestation binding that hash. */
aegis_err aegis_core_key_info(aegis_core *core, char **ret_json) AEGIS_WUR;
/* Status fields: tee backend, insecure flag, epoch, mempool size, next batch,
 * risk, algorithms. */
aegis_err aegis_core_status(aegis_core *core, char **ret_json) AEGIS_WUR;

/* ---- submission ---- */
typedef struct aegis_core_receipt {
    uint8_t envelope_hash[32];
    uint8_t tx_hash[32];
    uint64_t seq;            /* admission sequence */
    uint64_t envelope_id;    /* durable log id */
    uint64_t key_epoch;
    uint8_t sender[20];      /* public: recovered from the signed tx */
    uint64_t nonce;
} aegis_core_receipt;

/* Envelope hash used by the host for the durable log and receipts. */
void aegis_core_envelope_hash(const uint8_t *env, size_t len, uint8_t out[static 32]);
/* The largest envelope the format allows (the largest plaintext sealed). */
size_t aegis_core_envelope_max(void);
/* Read path as the core will read an oracle or admin key: an ML-DSA-87
 * public key file. AEGIS_OK, or the reader's error (*ret_type then names
 * the type found when the file is a key of another kind, else NULL). For
 * the daemon's --check-config; no secret is read. */
aegis_err aegis_core_check_pubkey_file(const char *path, const char **ret_type);

/* The checks that need no secret, for the host to make BEFORE it writes an
 * envelope: framing (aegis_envelope_parse), the key epoch (the current one,
 * or the previous one inside its grace window: the rule of
 * aegis_core_submit) and the recipient key id of that epoch. No decryption.
 * Errors: AEGIS_ERR_ENV_* (framing, _WRONG_RECIPIENT), AEGIS_ERR_CORE_KEY_EPOCH;
 * *reason gets static (or per-thread) text. */
aegis_err aegis_core_envelope_check(aegis_core *core, const uint8_t *env, size_t len, uint64_t now_ms,
                                    const char **reason) AEGIS_WUR;

/* Decrypt, decode, validate, classify and admit an envelope the host has
 * already made durable under env_id. On rejection returns the specific
 * error; *reason gets static text. replay = true during restart recovery
 * (no receipt needed, included nonces already known). */
aegis_err aegis_core_submit(aegis_core *core, const uint8_t *env, size_t len, uint64_t env_id,
                            uint64_t now_ms, bool replay, aegis_core_receipt *ret,
                            const char **reason) AEGIS_WUR;

/* The same in two steps, so the expensive part runs on many threads while
 * admission stays in log order on one:
 * aegis_core_open: hash, decrypt, decode, recover the sender, verify a PQC
 * witness. Stateless (reads only the key sets): safe on any number of
 * threads at once. *ret is an opaque handle holding the plaintext inside
 * the core; a refused envelope still gets one, carrying the refusal for
 * aegis_core_admit to report, so the outcomes in log order are exactly
 * aegis_core_submit's. Errors: AEGIS_ERR_NOMEM only (no handle).
 * aegis_core_admit: admission (serialised; call in log order). Takes
 * ownership of o and frees it in every case; same results as
 * aegis_core_submit. aegis_core_opened_free: for a handle never admitted
 * (wipes the plaintext); NULL is fine. */
typedef struct aegis_core_opened aegis_core_opened;
aegis_err aegis_core_open(aegis_core *core, const uint8_t *env, size_t len, uint64_t now_ms,
                          aegis_core_opened **ret) AEGIS_WUR;
aegis_err aegis_core_admit(aegis_core *core, aegis_core_opened *o, uint64_t env_id, uint64_t now_ms, bool replay,
                           aegis_core_receipt *ret, const char **reason) AEGIS_WUR;
void aegis_core_opened_free(aegis_core_opened *o);
/* The envelope hash the open step computed (a public fact: the SHA-256 of
 * the ciphertext envelope), so the host's log need not hash it again. */
void aegis_core_opened_env_hash(const aegis_core_opened *o, uint8_t out[32]);

/* Sign n receipts at once: one ML-DSA-87 signature over the keccak Merkle
 * root of the receipt hashes (amortised under load). Returns a JSON array
 * text of signed receipts, one per input, in order. */
aegis_err aegis_core_sign_receipts(aegis_core *core, const aegis_core_receipt *r, size_t n,
                                   char ***ret_json) AEGIS_WUR;

/* Whether a tx hash or an envelope hash is waiting in the mempool. */
bool aegis_core_is_pending(aegis_core *core, const uint8_t hash[static 32]);
/* Transactions waiting in the mempool. */
size_t aegis_core_pending_count(aegis_core *core);

/* Redundant attestation: true once a batch was produced without the backup
 * TEE's attestation (it failed and tee.require_backup is off). */
bool aegis_core_is_degraded(aegis_core *core);
uint64_t aegis_core_degraded_batches(aegis_core *core);
/* The primary TEE failed its last attestation and has not attested since
 * (tee.on_primary_failure: "halt" stops batches meanwhile, "backup" lets the
 * backup attest them alone). Lock-free. */
bool aegis_core_primary_failed(aegis_core *core);
/* Batches the backup TEE attested alone since start (failover). */
uint64_t aegis_core_failover_batches(aegis_core *core);

/* ---- batches ---- */
typedef struct aegis_core_batch {
    uint64_t number;
    uint8_t hash[32];
    char *json;              /* the published batch (export format), aegis_free */
    size_t json_len;
    uint64_t *envelope_ids;  /* included envelopes */
    uint8_t (*tx_hashes)[32]; /* their transactions' hashes (public), same order */
    size_t n;
} aegis_core_batch;
void aegis_core_batch_free(aegis_core_batch *b);

/* Order the next batch if max_batch txs are ready or force and at least one
 * is waiting; *ret = NULL when there is nothing to cut. The batch is signed
 * and attested but NOT yet committed: the host persists it, then calls
 * aegis_core_commit_batch (or aegis_core_abort_batch if persisting failed). */
aegis_err aegis_core_cut_batch(aegis_core *core, uint64_t now_ms, bool force,
                               aegis_core_batch **ret) AEGIS_WUR;
aegis_err aegis_core_commit_batch(aegis_core *core, const aegis_core_batch *b) AEGIS_WUR;
void aegis_core_abort_batch(aegis_core *core, const aegis_core_batch *b);

/* Recovery: feed every persisted batch (in order) before replaying envelopes. */
aegis_err aegis_core_restore_batch(aegis_core *core, const char *json, size_t len) AEGIS_WUR;
/* The same, and *ret (when not NULL) the restored batch's index facts:
 * number, hash, envelope ids and tx hashes (json NULL); free with
 * aegis_core_batch_free. So the host indexes without parsing the batch. */
aegis_err aegis_core_restore_batch_indexed(aegis_core *core, const char *json, size_t len,
                                           aegis_core_batch **ret) AEGIS_WUR;
/* (AEGIS_ERR_CORE_FORK when the batch under the mark's number is not the one signed) */

/* ---- the sealed high-water mark (docs/internals/crash-safety.md) ---- */
/* What this core has released, kept in data_dir/hwm.sealed and written
 * before each batch and each receipt group leaves the core. */
#define AEGIS_CORE_MARK_MAX_BATCH (64u << 20)
typedef struct aegis_core_mark_info {
    bool found;              /* a mark was read at start or written since */
    uint64_t batch;          /* last batch number signed and released */
    uint8_t hash[32];
    uint64_t acked_env;      /* highest envelope id a receipt acknowledged */
} aegis_core_mark_info;
void aegis_core_mark_get(aegis_core *core, aegis_core_mark_info *ret);
/* The host's envelope log durably holds every id up to env_id (its commit
 * returned): write it into the mark now, so the receipt group that follows
 * finds it there (aegis_core_sign_receipts writes it itself otherwise).
 * Only ever after the commit: a mark ahead of the log refuses the next
 * start. AEGIS_ERR_CORE_MARK, AEGIS_ERR_NOMEM. */
aegis_err aegis_core_mark_logged(aegis_core *core, uint64_t env_id) AEGIS_WUR;
/* After every persisted batch was restored and the envelope log replayed
 * (env_last: the log's highest id): AEGIS_ERR_CORE_STORE_BEHIND when the
 * store lost batches or acknowledged envelopes the mark records (nothing
 * may be cut then). When only the last signed batch never reached the
 * store, the next aegis_core_cut_batch offers that same batch again. */
aegis_err aegis_core_restore_finish(aegis_core *core, uint64_t env_last, bool accept_env_loss,
                                    const char **detail) AEGIS_WUR;

/* ---- the restart snapshot (src/core/core_snapshot.c) ---- */
/* Save the chain state as of the last committed batch to
 * data_dir/restore.sealed (sealed, atomic replace). The host calls it only
 * once every batch up to that one has its envelope statuses durable.
 * AEGIS_ERR_CORE_CUT_PENDING while a cut awaits commit (try later),
 * AEGIS_ERR_NOT_FOUND before the first batch. *ret_batch (optional): S. */
aegis_err aegis_core_snapshot_save(aegis_core *core, uint64_t *ret_batch) AEGIS_WUR;
/* At start, after the hand-overs and before any batch: open the snapshot
 * (*ret_batch = S, 0 when there is none; AEGIS_ERR_CORE_MARK when it does
 * not unseal). Then hand the store's batch S to aegis_core_snapshot_apply:
 * if it is the batch the snapshot was taken at, the chain state is restored
 * as of S and the host restores batches from S + 1, seals from
 * info.next_seal and checkpoints from info.checkpoints; any error means
 * nothing was applied (restore every batch as before). */
typedef struct aegis_core_snapshot_info {
    uint64_t batch;          /* S */
    uint64_t next_seal;      /* the first seal number still to restore */
    uint64_t checkpoints;    /* checkpoints covered (numbers 0 .. checkpoints - 1) */
} aegis_core_snapshot_info;
aegis_err aegis_core_snapshot_open(aegis_core *core, uint64_t *ret_batch) AEGIS_WUR;
aegis_err aegis_core_snapshot_apply(aegis_core *core, const char *batch_json, size_t len,
                                    aegis_core_snapshot_info *ret) AEGIS_WUR;

/* ---- a cluster worker's state at a log position (src/core/core_state.c) ----
 * Everything the replicated log built in this core as of the last record
 * applied (chain, key epoch, every pooled transaction, risk, registry and
 * audit log, migrations, rollbacks, members), plus the host's own facts of
 * that position (opaque bytes), sealed together to data_dir/state.sealed.
 * Save only from the thread that applies the log, between records.
 * AEGIS_ERR_CORE_CUT_PENDING while a cut, rotation or checkpoint is under
 * way; AEGIS_ERR_NOT_FOUND before the first batch. */
aegis_err aegis_core_state_save(aegis_core *core, const uint8_t *host, size_t host_len, uint64_t *ret_batch) AEGIS_WUR;
typedef struct aegis_core_state_info {
    uint64_t batch;          /* S, the chain tip of the state */
    uint8_t hash[32];        /* its hash */
    uint64_t epoch;          /* its key epoch: restore hand-overs up to it first */
    uint64_t next_seal;      /* seals 1 .. next_seal - 1 are covered */
    uint64_t checkpoints;    /* checkpoints covered (numbers 0 .. checkpoints - 1) */
    uint64_t rollbacks;      /* rollback events covered (after apply) */
    uint8_t *host;           /* the host's bytes as saved (aegis_core_state_info_clear) */
    size_t host_len;
} aegis_core_state_info;
/* At start, before anything is applied: open the state (AEGIS_ERR_NOT_FOUND
 * when there is none, AEGIS_ERR_CORE_MARK when it does not unseal). */
aegis_err aegis_core_state_open(aegis_core *core, aegis_core_state_info *ret) AEGIS_WUR;
/* Then, with the hand-overs up to info->epoch restored: apply it. The store's
 * batch S (batch_json) must be the state's tip, and the core at its epoch,
 * else AEGIS_ERR_CORE_RESTORE (or CORE_FORK against the high-water mark)
 * with nothing changed. A later error leaves the core half restored: the
 * caller must not use it. *detail: static text. */
aegis_err aegis_core_state_apply(aegis_core *core, const char *batch_json, size_t len, aegis_core_state_info *info,
                                 const char **detail) AEGIS_WUR;
void aegis_core_state_info_clear(aegis_core_state_info *info);

/* Envelopes evicted or expired since the last call (host records status). */
size_t aegis_core_take_dropped(aegis_core *core, uint64_t *ids, size_t cap);

/* ---- SLH-DSA epoch seal ---- */
#define AEGIS_CORE_SEAL_MAX 65536   /* most batches under one seal */
/* In epoch mode, seal every batch not yet sealed (up to AEGIS_CORE_SEAL_MAX;
 * off the hot path; one caller at a time) once seal_every of them wait, or
 * any number when force. Returns the seal record JSON or *ret_json = NULL
 * when nothing is due. Nothing changes until the host persists the record and
 * hands it back to aegis_core_seal_commit. */
aegis_err aegis_core_seal_pending(aegis_core *core, bool force, uint64_t *ret_seal_number,
                                  char **ret_json) AEGIS_WUR;
aegis_err aegis_core_seal_commit(aegis_core *core, const char *json, size_t len) AEGIS_WUR;
aegis_err aegis_core_restore_seal(aegis_core *core, const char *json, size_t len) AEGIS_WUR;
/* The last seal committed or restored: its number and the batches it
 * covers (first, count); false before any. For the host's seal index. */
bool aegis_core_last_seal(aegis_core *core, uint64_t *ret_number, uint64_t *ret_first, uint64_t *ret_count);

/* ---- quantum risk ---- */
/* A signed risk assessment (JSON text, docs/internals/risk.md). Returns the
 * decision's result (AEGIS_OK = accepted, else the specific AEGIS_ERR_RISK_*)
 * and *ret_json (optional, aegis_free) the decision record. */
aegis_err aegis_core_submit_risk(aegis_core *core, const char *json, size_t len, uint64_t now_ms,
                                 char **ret_json);
/* Persistable risk state (score, level, since, per-source sequence) and its restore. */
aegis_err aegis_core_risk_state(aegis_core *core, char **ret_json) AEGIS_WUR;
aegis_err aegis_core_restore_risk(aegis_core *core, const char *json, size_t len) AEGIS_WUR;

/* ---- checkpoints ---- */
/* Due every checkpoint_interval batches and after every risk level change. */
bool aegis_core_checkpoint_due(aegis_core *core);
/* Due for a reason other than the batch count (a risk level change, a key
 * rotation, a rollback): the host should not defer it. */
bool aegis_core_checkpoint_urgent(aegis_core *core);
/* Build, sign (ML-DSA-87 + SLH-DSA) and attest the next checkpoint; slow
 * (SLH-DSA), call off the hot path. *ret_json = NULL when none can be made.
 * The host persists it, then commits (or aborts). */
aegis_err aegis_core_checkpoint_make(aegis_core *core, uint64_t now_ms, uint64_t *ret_number,
                                     char **ret_json) AEGIS_WUR;
/* The same, given this worker's cached record of that number (a replicated
 * log's worker rebuilding what it made before a restart): when it is exactly
 * the checkpoint that would be built now, signed by this key set, its text
 * is returned and nothing is signed (SLH-DSA: ~0.1 s each); else one is built. */
aegis_err aegis_core_checkpoint_make_cached(aegis_core *core, uint64_t now_ms, const char *cached, size_t cached_len,
                                            uint64_t *ret_number, char **ret_json) AEGIS_WUR;
aegis_err aegis_core_checkpoint_commit(aegis_core *core, const char *json, size_t len) AEGIS_WUR;
void aegis_core_checkpoint_abort(aegis_core *core);
aegis_err aegis_core_restore_checkpoint(aegis_core *core, const char *json, size_t len) AEGIS_WUR;
/* At start: how many rollback events were persisted (numbering continues). */
void aegis_core_restore_rollbacks(aegis_core *core, uint64_t count);

/* ---- key epochs ---- */
/* When a rotation is due (interval or entering emergency): generate and seal
 * the next key set, sign the hand-over with old and new keys; cutting pauses
 * until commit/abort. *ret_json = NULL when none is due. The host persists
 * the hand-over (insert-only under the new epoch), then commits. */
aegis_err aegis_core_rotate_prepare(aegis_core *core, uint64_t now_ms, uint64_t *ret_epoch, char **ret_json) AEGIS_WUR;
aegis_err aegis_core_rotate_commit(aegis_core *core, uint64_t epoch) AEGIS_WUR;
void aegis_core_rotate_abort(aegis_core *core);
/* Whether a rotation is due at now_ms (or under way): a cluster worker asks
 * after each record it applies and rotates at once, at that log position. In
 * a cluster the next key set is derived from the current one
 * (aegis_keyset_derive_next), so every worker rotates to the same keys. */
bool aegis_core_rotation_due(aegis_core *core, uint64_t now_ms);
/* At start, every persisted hand-over in order, before the batches. */
aegis_err aegis_core_restore_handover(aegis_core *core, const char *json, size_t len) AEGIS_WUR;
/* The published key set of any epoch so far. */
aegis_err aegis_core_key_info_epoch(aegis_core *core, uint64_t epoch, char **ret_json) AEGIS_WUR;

/* ---- migrations ---- */
/* The per-asset migration set (JSON) and a version bumped on every change,
 * so the host persists it after a commit only when it changed. */
aegis_err aegis_core_migration_state(aegis_core *core, uint64_t *ret_version, char **ret_json) AEGIS_WUR;
aegis_err aegis_core_restore_migrations(aegis_core *core, const char *json, size_t len) AEGIS_WUR;

/* ---- asset registry ---- */
/* A signed admin request (docs/internals/assets.md). Returns {op,
 * registry_hash, params}. For op "rollback" the host passes the persisted
 * checkpoint record the request names (ckpt_json, else NULL): it is verified
 * (our signature, its state hash, the state hash the admin pinned) before the
 * request is applied, and under one lock the request is logged and exactly
 * that state restored (registry, risk). Then *ret_rollback (aegis_free) is
 * the signed rollback event carrying the admin's signature, and
 * [*ret_orphan_first, *ret_orphan_last] the batches it orphans. */
aegis_err aegis_core_admin(aegis_core *core, const char *req, size_t len, uint64_t now_ms,
                           const char *ckpt_json, size_t ckpt_len, char **ret_json, char **ret_rollback,
                           uint64_t *ret_orphan_first, uint64_t *ret_orphan_last, const char **detail) AEGIS_WUR;
aegis_err aegis_core_assets_list(aegis_core *core, char **ret_json) AEGIS_WUR;
aegis_err aegis_core_asset_get(aegis_core *core, const char *id, char **ret_json) AEGIS_WUR;
/* The next audit record the host has not confirmed yet (AEGIS_ERR_NOT_FOUND
 * when none). Taking does not move anything: the same record comes back
 * until the host confirms it with aegis_core_audit_persisted. */
aegis_err aegis_core_audit_take(aegis_core *core, uint64_t *ret_seq, char **ret_line, size_t *ret_len) AEGIS_WUR;
/* The host made every audit record up to seq durable: the confirmed mark
 * moves to seq (a seq at or below the mark, or beyond the last record, is
 * ignored). Records are handed out again until confirmed, so a failed store
 * write loses nothing (aegis_core_audit_snapshot). */
void aegis_core_audit_persisted(aegis_core *core, uint64_t seq);

/* One public audit record (canonical JSON line, docs/internals/assets.md). */
typedef struct aegis_core_audit_rec {
    uint64_t seq;
    char *line;   /* aegis_free (aegis_core_audit_recs_free) */
    size_t len;
} aegis_core_audit_rec;
void aegis_core_audit_recs_free(aegis_core_audit_rec *v, size_t n);

/* Everything a registry persist needs, taken under one lock: the audit
 * records from from_seq to the last one (from_seq 0: from the first record
 * the host has not confirmed), and the registry blob of the state the last
 * record ends in (its keccak-256 is that record's reg_hash). *ret_n = 0 and
 * *ret_blob = NULL when there is nothing from from_seq on (not an error).
 * Only public data: audit lines and the canonical registry blob. The host
 * writes them, then confirms with aegis_core_audit_persisted(last seq); after
 * a failed write it simply calls again and gets the same records (plus any
 * newer ones) with the newest blob. *ret_pending (optional): records not
 * confirmed (behind the mark), 0 when the host is caught up.
 * Errors: NOMEM (nothing returned). */
aegis_err aegis_core_audit_snapshot(aegis_core *core, uint64_t from_seq, aegis_core_audit_rec **ret, size_t *ret_n,
                                    uint8_t **ret_blob, size_t *ret_blob_len, uint64_t *ret_pending) AEGIS_WUR;
/* The registry's canonical blob (persisted beside the audit log). */
aegis_err aegis_core_registry_blob(aegis_core *core, uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* Off-chain asset data (docs/internals/assets.md). The host carries only
 * ciphertext: env is an envelope to the current key set (or the previous
 * one in its grace window) holding a put or get request for asset id,
 * signed by the requester (secp256k1); the asset's write/read policy is
 * checked on every call.
 * put: returns the sealed blob (aegis_free) for the host to store as
 * version *ret_version, before persisting the registry (the put is an audit
 * record). get: the host passes the stored blob of the current version
 * (aegis_core_asset_data_version; NULL when none) and gets back an envelope
 * (aegis_free) sealed to the requester's signed reply key.
 * Errors: envelope (AEGIS_ERR_ENV_*, AEGIS_ERR_CORE_KEY_EPOCH),
 * AEGIS_ERR_ASSET_DATA_* (MALFORMED, ID_MISMATCH, BAD_SIG, TIME, DENIED,
 * CONFLICT, STALE, BAD), AEGIS_ERR_ASSET_NOT_FOUND, AEGIS_ERR_NOT_FOUND
 * (nothing written yet). *detail: static text. */
aegis_err aegis_core_asset_data_put(aegis_core *core, const char *id, const uint8_t *env, size_t env_len,
                                    uint64_t now_ms, uint8_t **ret_blob, size_t *ret_len, uint64_t *ret_version,
                                    const char **detail) AEGIS_WUR;
aegis_err aegis_core_asset_data_version(aegis_core *core, const char *id, uint64_t *ret_version) AEGIS_WUR;
aegis_err aegis_core_asset_data_get(aegis_core *core, const char *id, const uint8_t *env, size_t env_len,
                                    const uint8_t *blob, size_t blob_len, uint64_t now_ms, uint8_t **ret_reply,
                                    size_t *ret_len, uint64_t *ret_version, const char **detail) AEGIS_WUR;
/* At start: the persisted audit log (JSON lines) and registry blob; the log
 * is verified (chain, admin signatures) and must end in the blob's hash. */
aegis_err aegis_core_restore_registry(aegis_core *core, const char *audit_jsonl, size_t audit_len,
                                      const uint8_t *blob, size_t blob_len, const char **detail) AEGIS_WUR;

/* ---- cluster (docs/internals/cluster.md) ----
 * Key hand-over to attested workers and co-attestation of batches. The host
 * carries only the JSON records below: public keys, quotes, and the key set
 * wrapped to a joiner's transport key that never leaves the joiner's core.
 *
 * Measurement policy: a worker's attestation must verify (sim only when this
 * worker runs on sim) and its measurement (TDX MRTD; the sim's fake one) must
 * be in cluster.allowed_measurements, or equal this worker's own when that
 * list is empty. */
#define AEGIS_CORE_TAG_JOIN     "AEGIS-JOIN-V1"
#define AEGIS_CORE_TAG_GRANT    "AEGIS-GRANT-V1"
#define AEGIS_CORE_TAG_COATTEST AEGIS_CHAIN_TAG_COATTEST   /* aegis/chain.h */

typedef struct aegis_core_joiner aegis_core_joiner;
/* A worker without a key set: open its TEE, make a transport key pair inside
 * it and the join request {"type":"join","worker","transport","attestation"}
 * (*ret_request, aegis_free) whose attestation binds the transport key and
 * the worker id. */
aegis_err aegis_core_join_new(aegis_core_joiner **ret, const aegis_config *cfg, const char *data_dir,
                              char **ret_request, const char **detail) AEGIS_WUR;
/* A grant answering the request: the granter's attestation is checked under
 * the measurement policy, the key set unwrapped with the transport key, its
 * hash compared with genesis (the cluster's, from the host: a mismatch is
 * refused), and the key set sealed to data_dir/keyset.sealed under this
 * worker's TEE. Then aegis_core_new loads it. */
aegis_err aegis_core_join_finish(aegis_core_joiner *j, const char *grant, size_t len,
                                 const uint8_t genesis[static 32], const char **detail) AEGIS_WUR;
void aegis_core_join_free(aegis_core_joiner *j);
/* Admit the worker a join record names (a join request, or a founder's
 * {"type":"join","worker":ID}) to the cluster's member set, applied from
 * the replicated log (control record "join") in the same order on every
 * worker: at most worker.max_workers distinct members
 * (AEGIS_ERR_CLUSTER_FULL); a member joining again is the same member.
 * Only admitted members are granted the key set. */
aegis_err aegis_core_cluster_admit(aegis_core *core, const char *request, size_t len, char *ret_worker,
                                   size_t worker_cap, const char **detail) AEGIS_WUR;
size_t aegis_core_cluster_members(aegis_core *core);
/* A join request's attestation checked under the cluster's measurement
 * policy (AEGIS_ERR_CLUSTER_JOIN_REFUSED), before a member puts it in the
 * log: only attested workers take a place in the member set. */
aegis_err aegis_core_join_check(aegis_core *core, const char *request, size_t len, char *ret_worker,
                                size_t worker_cap, const char **detail) AEGIS_WUR;
/* Answer a join request (a member holding the key set): the joiner must be
 * admitted (AEGIS_ERR_CLUSTER_NOT_ADMITTED); verify its
 * attestation under the policy (AEGIS_ERR_CLUSTER_JOIN_REFUSED, *detail
 * names why), wrap the genesis key set (epoch 1: the joiner replays the log
 * and derives later epochs where every member did) to its transport key and
 * attest the grant. */
aegis_err aegis_core_key_grant(aegis_core *core, const char *request, size_t len, char **ret_grant,
                               char *ret_worker, size_t worker_cap, const char **detail) AEGIS_WUR;
/* SHA-256 of the current public key set (the cluster's genesis value). */
void aegis_core_keyset_hash(aegis_core *core, uint8_t out[static 32]);
/* A co-attestation: {"type":"coattest","worker","number","hash","attestation"}
 * whose attestation binds SHA-256(worker || 0 || number u64 BE || hash). */
aegis_err aegis_core_coattest(aegis_core *core, const char *worker, uint64_t number, const uint8_t hash[static 32],
                              char **ret_json) AEGIS_WUR;

#endif
