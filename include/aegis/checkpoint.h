/*
 * aegis/checkpoint.h - PQC-signed checkpoints of protected state, signed
 * rollback events, and the per-asset migration state machine.
 * docs/internals/checkpoints.md has the formats.
 *
 * A checkpoint commits to: its number, the batch it follows, the last batch
 * hash, the risk level/score, the key epoch and key set hash, the registry,
 * asset-state and migration-state hashes, the audit-log head, and the state
 * blob (the registry's canonical serialisation) through state_hash =
 * keccak256(blob). Its hash is keccak256 of the canonical encoding
 * (aegis_checkpoint_encode); ML-DSA-87 and SLH-DSA-SHA2-256s sign that hash
 * with context AEGIS_CHECKPOINT_CTX, and each checkpoint names the hash of
 * its predecessor (zero for checkpoint 0), so checkpoints form a chain.
 *
 * Thread-safety: all functions are pure over their arguments.
 */
#ifndef AEGIS_CHECKPOINT_H
#define AEGIS_CHECKPOINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/crypto.h"
#include "aegis/keys.h"

#define AEGIS_CHECKPOINT_CTX        "aegis-checkpoint-v1"
#define AEGIS_ROLLBACK_CTX          "aegis-rollback-v1"
#define AEGIS_CHECKPOINT_VERSION    1
#define AEGIS_CHECKPOINT_ENC_BYTES  (4 + 1 + 8 * 4 + 2 + 1 + 32 * 8)
#define AEGIS_CHECKPOINT_MAX_STATE  (16u << 20)   /* largest state blob */
#define AEGIS_CHECKPOINT_MAX_JSON   (2 * AEGIS_CHECKPOINT_MAX_STATE + 131072)
/* report_data for a quote over a checkpoint = tag zero-padded to 32 || hash */
#define AEGIS_CHECKPOINT_TAG        "AEGIS-CHECKPOINT-V1"

typedef struct aegis_checkpoint {
    uint64_t number;                /* 0, 1, 2, ... */
    uint64_t batch_number;          /* the last batch covered */
    uint64_t timestamp_ms;
    uint8_t prev_hash[32];          /* hash of checkpoint number-1; zero for 0 */
    uint8_t last_batch_hash[32];
    uint16_t risk_score;            /* 0..10000 */
    uint8_t risk_level;             /* 0..2 */
    uint64_t key_epoch;
    uint8_t keyset_hash[32];        /* aegis_keyset_pub_hash of the signing key set */
    uint8_t registry_hash[32];      /* asset registry (entries and policies) */
    uint8_t asset_state_hash[32];   /* asset states (active, protected, ...) */
    uint8_t migration_hash[32];     /* aegis_migration_set_hash of the migrations */
    uint8_t audit_head[32];         /* audit log head hash */
    uint8_t state_hash[32];         /* keccak256(state) */
    uint8_t *state;                 /* owned; NULL when the blob is absent (a listing) */
    size_t state_len;
    uint8_t hash[32];               /* keccak256(encoding): the checkpoint id */
    uint8_t sig_mldsa[AEGIS_MLDSA87_SIG_BYTES];
    uint8_t *sig_slh;               /* owned, AEGIS_SLHDSA256S_SIG_BYTES */
} aegis_checkpoint;

/* Free the owned buffers and zero *c. */
void aegis_checkpoint_clear(aegis_checkpoint *c);

/* The fields a caller supplies to build a checkpoint. */
struct aegis_checkpoint_input {
    uint64_t number, batch_number, timestamp_ms;
    const uint8_t *prev_hash;       /* 32 bytes; NULL = zero (only for number 0) */
    const uint8_t *last_batch_hash; /* 32 bytes */
    uint16_t risk_score;
    uint8_t risk_level;
    const uint8_t *registry_hash, *asset_state_hash, *migration_hash, *audit_head; /* 32 each */
    const uint8_t *state;           /* borrowed, copied */
    size_t state_len;
};

/*
 * Canonical encoding (big-endian): "AEGC" | u8 version | u64 number |
 * u64 batch_number | u64 timestamp_ms | prev_hash | last_batch_hash |
 * u16 risk_score | u8 risk_level | u64 key_epoch | keyset_hash |
 * registry_hash | asset_state_hash | migration_hash | audit_head | state_hash.
 */
void aegis_checkpoint_encode(const aegis_checkpoint *c, uint8_t out[static AEGIS_CHECKPOINT_ENC_BYTES]);
void aegis_checkpoint_compute_hash(const aegis_checkpoint *c, uint8_t out[static 32]);

/* Build and sign with the key set (epoch and key set hash from it).
 * AEGIS_ERR_INVAL (missing hash, score/level out of range, number 0 with a
 * prev hash, number > 0 without one), AEGIS_ERR_TOO_BIG (state), NOMEM.
 * *ret written only on success (clear it). */
aegis_err aegis_checkpoint_build(const struct aegis_checkpoint_input *in, const aegis_keyset *ks,
                                 aegis_checkpoint *ret) AEGIS_WUR;
/* Whether c is the checkpoint aegis_checkpoint_build(in) makes under the
 * key set pub (same hash, state blob present and matching, signed by pub),
 * without signing anything: AEGIS_OK, AEGIS_ERR_CKPT_HASH_MISMATCH (another
 * content) or aegis_checkpoint_verify's error. */
aegis_err aegis_checkpoint_is_built(const aegis_checkpoint *c, const struct aegis_checkpoint_input *in,
                                    const aegis_keyset_pub *pub) AEGIS_WUR;

/*
 * Verify c with the public key set that signed it, in this order: hash
 * recomputed (CKPT_HASH_MISMATCH), state blob vs state_hash when the blob is
 * present (CKPT_STATE_HASH; require_state makes a missing blob
 * CKPT_STATE_HASH too), key set hash and epoch vs pub (CKPT_KEYSET),
 * signatures (CKPT_BAD_SIG), then the chain link when prev is given:
 * number = prev.number + 1, prev_hash = prev.hash, batch and time not
 * decreasing (CKPT_CHAIN). Without prev, number 0 must have a zero
 * prev_hash (CKPT_CHAIN).
 */
aegis_err aegis_checkpoint_verify(const aegis_checkpoint *c, const aegis_keyset_pub *pub,
                                  const aegis_checkpoint *prev, bool require_state) AEGIS_WUR;

/* JSON form (docs/internals/checkpoints.md); the blob is included when
 * with_state and present. New reference or NULL (NOMEM). */
json_t *aegis_checkpoint_to_json(const aegis_checkpoint *c, bool with_state);
/* Strict parse: only the documented keys, exact hex lengths, ranges, and the
 * "hash" field must equal the recomputed hash (CKPT_HASH_MISMATCH).
 * Signatures are not checked. AEGIS_ERR_CKPT_MALFORMED, AEGIS_ERR_NOMEM. */
aegis_err aegis_checkpoint_from_json(const json_t *obj, aegis_checkpoint *ret) AEGIS_WUR;
/* Same from text (at most AEGIS_CHECKPOINT_MAX_JSON bytes). */
aegis_err aegis_checkpoint_parse(const char *json, size_t len, aegis_checkpoint *ret) AEGIS_WUR;

/* ---------------- rollback events ---------------- */

#define AEGIS_ROLLBACK_REASON_MAX   256
#define AEGIS_ROLLBACK_ADMIN_SIG_MAX 65536

/* A rollback to a checkpoint: batches [orphan_first, orphan_last] become
 * orphaned (kept, never deleted). orphan_last < orphan_first: none. */
typedef struct aegis_rollback {
    uint64_t number;                /* rollback event sequence */
    uint64_t timestamp_ms;
    uint64_t checkpoint_number;
    uint8_t checkpoint_hash[32];
    uint8_t state_hash[32];         /* the restored state's hash */
    uint64_t orphan_first, orphan_last;
    char reason[AEGIS_ROLLBACK_REASON_MAX + 1];   /* printable ASCII */
    uint8_t *admin_sig;             /* owned, opaque (the admin request's signature) */
    size_t admin_sig_len;
    uint64_t key_epoch;
    uint8_t keyset_hash[32];
    uint8_t sig_mldsa[AEGIS_MLDSA87_SIG_BYTES];   /* sequencer, over the digest */
} aegis_rollback;
void aegis_rollback_clear(aegis_rollback *r);

/* keccak256("AEGR1" | u64 number | u64 ts | u64 ckpt number | ckpt hash |
 * state hash | u64 first | u64 last | u16 len | reason | u32 len | admin sig |
 * u64 key_epoch | keyset_hash): what the sequencer signs. */
void aegis_rollback_digest(const aegis_rollback *r, uint8_t out[static 32]);
/* Fill from the checkpoint restored and sign with ML-DSA-87 of ks (context
 * AEGIS_ROLLBACK_CTX). admin_sig is copied. AEGIS_ERR_INVAL (reason not
 * printable ASCII or too long, admin sig too big). */
aegis_err aegis_rollback_build(const aegis_checkpoint *restored, uint64_t number, uint64_t timestamp_ms,
                               uint64_t orphan_first, uint64_t orphan_last, const char *reason,
                               const uint8_t *admin_sig, size_t admin_sig_len, const aegis_keyset *ks,
                               aegis_rollback *ret) AEGIS_WUR;
/* Signature and key set (ROLLBACK_BAD_SIG), and when restored is given, that
 * the event names it (number, hash, state hash: ROLLBACK_MISMATCH). */
aegis_err aegis_rollback_verify(const aegis_rollback *r, const aegis_keyset_pub *pub,
                                const aegis_checkpoint *restored) AEGIS_WUR;
json_t *aegis_rollback_to_json(const aegis_rollback *r);
aegis_err aegis_rollback_from_json(const json_t *obj, aegis_rollback *ret) AEGIS_WUR;

/* ---------------- migration state machine ---------------- */

enum aegis_migration_state {
    AEGIS_MIG_NONE = 0,             /* no migration */
    AEGIS_MIG_PENDING = 1,          /* intent declared / scheduled */
    AEGIS_MIG_IN_PROGRESS = 2,      /* migration transactions being included */
    AEGIS_MIG_COMPLETE = 3,
    AEGIS_MIG_FAILED = 4,
    AEGIS_MIG_ROLLED_BACK = 5,
};
enum aegis_migration_event {
    AEGIS_MIG_EV_DECLARE = 1,       /* intent declared (tx extension, admin, emergency) */
    AEGIS_MIG_EV_TX = 2,            /* a migration transaction was included */
    AEGIS_MIG_EV_FINISH = 3,        /* the final migration transaction was included */
    AEGIS_MIG_EV_FAIL = 4,          /* a migration transaction reverted / timed out */
    AEGIS_MIG_EV_ROLLBACK = 5,      /* a checkpoint rollback undid it */
    AEGIS_MIG_EV_RETRY = 6,         /* start again after failure / rollback */
};
const char *aegis_migration_state_name(uint8_t s);   /* "none", "pending", "in_progress", ... */
const char *aegis_migration_event_name(uint8_t e);

/*
 * The transition table: the state after event ev in state s, or
 * AEGIS_ERR_MIGRATION_TRANSITION (not allowed) / AEGIS_ERR_MIGRATION_UNKNOWN
 * (s or ev out of range). Allowed:
 *   none        --declare--> pending
 *   pending     --tx--> in_progress, --fail--> failed, --rollback--> rolled_back
 *   in_progress --tx--> in_progress, --finish--> complete, --fail--> failed,
 *               --rollback--> rolled_back
 *   complete    --rollback--> rolled_back
 *   failed      --retry--> pending, --rollback--> rolled_back
 *   rolled_back --retry--> pending
 * Pure.
 */
aegis_err aegis_migration_next(uint8_t s, uint8_t ev, uint8_t *ret) AEGIS_WUR;

/* One asset's migration record. */
struct aegis_migration {
    char asset_id[65];              /* 1..64 of [A-Za-z0-9._:/-] */
    uint8_t state;
    uint64_t tx_count;              /* migration txs included */
    uint64_t started_batch;         /* batch of the declare event */
    uint64_t updated_batch;         /* batch of the last event */
};
/* Apply ev at batch_number: state via aegis_migration_next, counters
 * updated (tx and finish count a transaction). m unchanged on error. */
aegis_err aegis_migration_apply(struct aegis_migration *m, uint8_t ev, uint64_t batch_number) AEGIS_WUR;

/* keccak256 over the records sorted by asset id: "AEGM" | u32 n | n x
 * (u8 len | id | u8 state | u64 tx_count | u64 started | u64 updated).
 * AEGIS_ERR_INVAL on a bad id or state or a duplicate id; NOMEM. */
aegis_err aegis_migration_set_hash(const struct aegis_migration *v, size_t n, uint8_t out[static 32]) AEGIS_WUR;

#endif
