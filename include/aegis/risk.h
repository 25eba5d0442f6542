/*
 * aegis/risk.h - the quantum-risk feed of the trusted core: signed risk
 * assessments, the risk monitor (score, level with hysteresis, decision
 * record, level-change events), the algorithm set per level, key-epoch
 * rotation (planner, signed hand-over records, grace window for envelopes)
 * and the per-transaction risk function behind the mempool classifier.
 * docs/internals/risk.md has the formats and formulas.
 *
 * Assessment (JSON, strict: no other keys, no duplicates, integers only):
 *   { "version": 1, "source": "qrm-1", "seq": 7, "timestamp_ms": 1700000000000,
 *     "score": 6500, "assets": { "vault-1": 9000 },            (optional)
 *     "algorithms": [ "ML-DSA-87", "SLH-DSA-256s" ],           (optional)
 *     "key": "0x<keccak256 of the oracle's ML-DSA-87 public key>",
 *     "signature": "0x<ML-DSA-87 signature, 4627 bytes>" }
 * The signature is ML-DSA-87 (pure, context "aegis-risk-v1") over the
 * canonical binary encoding (aegis_risk_assessment_encode), never over the
 * JSON text, so whitespace and key order do not matter.
 *
 * Thread-safety: pure functions are thread-safe; an aegis_risk_monitor and an
 * aegis_rotation are not (the core serialises access, like the mempool).
 */
#ifndef AEGIS_RISK_H
#define AEGIS_RISK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aegis/batch.h"     /* AEGIS_ALG_* (macros only) */
#include "aegis/config.h"    /* struct aegis_config (fields only) */
#include "aegis/crypto.h"
#include "aegis/keys.h"
#include "aegis/mempool.h"

#define AEGIS_RISK_CTX              "aegis-risk-v1"
#define AEGIS_RISK_VERSION          1
#define AEGIS_RISK_SOURCE_MAX       64      /* bytes of a source id */
#define AEGIS_RISK_ASSET_ID_MAX     64      /* bytes of an asset id */
#define AEGIS_RISK_MAX_ASSETS       256     /* per-asset overrides per assessment */
#define AEGIS_RISK_MAX_JSON         65536   /* largest assessment text accepted */
#define AEGIS_RISK_MAX_ORACLES      AEGIS_CONFIG_MAX_LIST
#define AEGIS_RISK_MAX_SOURCES      64

/* Levels (same numbers as AEGIS_ORDER_LEVEL_* and the batch header). */
#define AEGIS_RISK_NORMAL           0
#define AEGIS_RISK_SCHEDULED        1
#define AEGIS_RISK_EMERGENCY        2

/* "normal" | "scheduled" | "emergency" ("?" otherwise). */
const char *aegis_risk_level_name(uint8_t level);

/* ======================= assessments ======================= */

struct aegis_risk_asset_score {
    char id[AEGIS_RISK_ASSET_ID_MAX + 1];   /* 1..64 of [A-Za-z0-9._:/-] */
    uint16_t score;                         /* 0..10000 */
};

typedef struct aegis_risk_assessment {
    char source[AEGIS_RISK_SOURCE_MAX + 1]; /* 1..64 of [A-Za-z0-9._:/-] */
    uint64_t seq;                           /* < 2^63 */
    uint64_t timestamp_ms;                  /* < 2^63 */
    uint16_t score;                         /* 0..10000 */
    uint8_t algorithms;                     /* AEGIS_ALG_* mask, 0 = no recommendation */
    struct aegis_risk_asset_score *assets;  /* owned, sorted by id (strictly), or NULL */
    size_t n_assets;
    uint8_t key_id[32];                     /* keccak256(oracle ML-DSA-87 public key) */
    uint8_t signature[AEGIS_MLDSA87_SIG_BYTES];
} aegis_risk_assessment;

/* Free the asset list and zero *a. Accepts an already cleared struct. */
void aegis_risk_assessment_clear(aegis_risk_assessment *a);

/* keccak256 of an oracle public key: the "key" field. */
void aegis_risk_key_id(uint8_t out[static 32], const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES]);

/*
 * Canonical signing encoding (docs/internals/risk.md):
 *   "AEGR" | u8 version | key_id 32 | u8 len | source | u64 seq | u64 ts |
 *   u16 score | u8 algorithms | u16 n | n x (u8 len | id | u16 score)
 * (big-endian; assets in strictly ascending byte order of id). Writes into b
 * (capped buffer). AEGIS_ERR_RISK_MALFORMED if a field is out of range.
 */
aegis_err aegis_risk_assessment_encode(const aegis_risk_assessment *a, aegis_buf *b) AEGIS_WUR;
/* keccak256 of the canonical encoding: the assessment's identity. */
aegis_err aegis_risk_assessment_digest(const aegis_risk_assessment *a, uint8_t out[static 32]) AEGIS_WUR;

/* Sort the assets, set key_id from pk and sign (hedged). The fields must be
 * in range (AEGIS_ERR_RISK_MALFORMED). Thread-safe. */
aegis_err aegis_risk_assessment_sign(aegis_risk_assessment *a, const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES],
                                     const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES]) AEGIS_WUR;
/* AEGIS_OK, AEGIS_ERR_RISK_UNKNOWN_KEY (key_id is not pk's) or
 * AEGIS_ERR_RISK_BAD_SIGNATURE. */
aegis_err aegis_risk_assessment_verify(const aegis_risk_assessment *a,
                                       const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES]) AEGIS_WUR;

/* Strict parse of the JSON text (at most AEGIS_RISK_MAX_JSON bytes, one
 * object, nothing after it). *ret is written only on success (clear it with
 * aegis_risk_assessment_clear). AEGIS_ERR_RISK_MALFORMED, AEGIS_ERR_TOO_BIG,
 * AEGIS_ERR_NOMEM. */
aegis_err aegis_risk_assessment_parse(const char *json, size_t len, aegis_risk_assessment *ret) AEGIS_WUR;
/* Same from an already parsed object (the RPC's params[0]). */
aegis_err aegis_risk_assessment_from_json(const json_t *obj, aegis_risk_assessment *ret) AEGIS_WUR;
/* The JSON object (new reference, NULL on NOMEM / out-of-range fields). */
json_t *aegis_risk_assessment_to_json(const aegis_risk_assessment *a);

/* ======================= levels and algorithm sets ======================= */

struct aegis_risk_levels {
    uint16_t scheduled;     /* risk_scheduled, default 6000 */
    uint16_t emergency;     /* risk_emergency, default 9000, > scheduled */
    uint16_t hysteresis;    /* leaving a level needs score < threshold - hysteresis; default 500 */
};

/* The level without hysteresis: emergency from `emergency`, scheduled from
 * `scheduled`, normal below. */
uint8_t aegis_risk_level_raw(const struct aegis_risk_levels *lv, uint16_t score);
/*
 * The level after observing score at level cur: rising is immediate
 * (raw(score) > cur); falling goes to min(cur, raw(score + hysteresis)), so a
 * level is left only once the score is more than `hysteresis` below its
 * threshold. Pure.
 */
uint8_t aegis_risk_level_next(const struct aegis_risk_levels *lv, uint8_t cur, uint16_t score);

/* Which algorithms sign new batches at each level. */
struct aegis_risk_alg_policy {
    uint8_t pqc;            /* AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S from signature_algorithms */
    bool hybrid_ecdsa;      /* add AEGIS_ALG_ECDSA at normal and scheduled */
};
/* From config: signature_algorithms (ML-DSA-87 always included: batches need
 * it) and hybrid_ecdsa. AEGIS_ERR_RISK_BAD_CONFIG on an unknown name. */
aegis_err aegis_risk_alg_policy_from_config(const struct aegis_config *cfg, struct aegis_risk_alg_policy *ret) AEGIS_WUR;
/* normal, scheduled: pqc (+ ECDSA when hybrid); emergency: pqc only. */
uint8_t aegis_risk_algorithms_for(const struct aegis_risk_alg_policy *p, uint8_t level);
/* Emergency requires PQC witnesses on transactions touching protected assets. */
static inline bool aegis_risk_pqc_witness_required(uint8_t level) { return level >= AEGIS_RISK_EMERGENCY; }
/* Names of a mask: "ML-DSA-87", "SLH-DSA-256s", "ECDSA" as a JSON array (new ref). */
json_t *aegis_risk_algorithms_json(uint8_t mask);

/* ======================= the monitor ======================= */

typedef struct aegis_risk_monitor aegis_risk_monitor;

struct aegis_risk_level_event {
    uint64_t at_ms;
    uint8_t old_level, new_level;
    uint8_t old_algorithms, new_algorithms;
    uint16_t score;                 /* the score that caused it */
    uint64_t decision_index;        /* the decision that caused it */
};
typedef void (*aegis_risk_level_cb)(void *ctx, const struct aegis_risk_level_event *ev);

struct aegis_risk_config {
    struct aegis_risk_levels levels;
    struct aegis_risk_alg_policy algs;
    uint64_t max_age_ms;            /* older assessments are stale; default 600000 (10 min) */
    uint64_t max_skew_ms;           /* allowed future dating; default 30000 */
    size_t history;                 /* decision ring size, default 256 (1..65536) */
    size_t max_events;              /* pending level events kept, default 64 (1..4096) */
    uint16_t initial_score;         /* default 0 */
    uint64_t start_ms;              /* "since" of the initial level */
    aegis_risk_level_cb on_level;   /* optional; called inside submit */
    void *on_level_ctx;
};
/* Defaults (6000 / 9000 / 500, PQC = ML-DSA-87 + SLH-DSA-256s, hybrid ECDSA). */
void aegis_risk_config_defaults(struct aegis_risk_config *rc);
/* Defaults overridden by [quantum] of cfg (thresholds, algorithms). */
aegis_err aegis_risk_config_from(const struct aegis_config *cfg, struct aegis_risk_config *rc) AEGIS_WUR;

/* AEGIS_ERR_RISK_BAD_CONFIG (thresholds, hysteresis > scheduled, sizes),
 * AEGIS_ERR_NOMEM. The initial level is level_raw(initial_score). */
aegis_err aegis_risk_monitor_new(const struct aegis_risk_config *rc, aegis_risk_monitor **ret) AEGIS_WUR;
void aegis_risk_monitor_free(aegis_risk_monitor *mon);

/* Trust an oracle public key. AEGIS_ERR_EXISTS, AEGIS_ERR_TOO_BIG. */
aegis_err aegis_risk_monitor_add_oracle(aegis_risk_monitor *mon, const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES]) AEGIS_WUR;
/* Read each path with aegis_keyfile_read (type "ml-dsa-87", public) and
 * trust it. On failure *ret_bad (optional) points at the failing path:
 * AEGIS_ERR_NOT_FOUND/IO/KEYS_*, AEGIS_ERR_RISK_BAD_ORACLE_KEY (other type). */
aegis_err aegis_risk_monitor_load_oracles(aegis_risk_monitor *mon, const aegis_strlist *paths,
                                          const char **ret_bad) AEGIS_WUR;
size_t aegis_risk_monitor_oracle_count(const aegis_risk_monitor *mon);

/* One decision of the monitor (accepted or rejected), in the record ring. */
struct aegis_risk_decision {
    uint64_t index;                 /* 0, 1, 2, ...: position in the total record */
    uint64_t at_ms;                 /* now_ms of the submission */
    aegis_err result;               /* AEGIS_OK = accepted */
    bool parsed;                    /* the fields below come from the assessment */
    char source[AEGIS_RISK_SOURCE_MAX + 1];
    uint64_t seq, timestamp_ms;
    uint16_t score;
    uint8_t key_id[32];
    uint8_t digest[32];             /* assessment digest; keccak of the raw text if not parsed */
    uint8_t level_before, level_after;
};

/*
 * Validate and apply an assessment received at now_ms. Checks, in order:
 * size + strict JSON (RISK_MALFORMED / TOO_BIG), oracle key listed
 * (RISK_UNKNOWN_KEY), signature (RISK_BAD_SIGNATURE), future dating beyond
 * max_skew_ms (RISK_FUTURE), age beyond max_age_ms (RISK_STALE), then per
 * source: same seq and content as the last accepted (RISK_DUPLICATE), seq or
 * timestamp not increasing (RISK_OUT_OF_ORDER), new source past the limit
 * (RISK_TOO_MANY_SOURCES). On acceptance the global score, per-asset
 * overrides and recommendations become the assessment's, and the level moves
 * (aegis_risk_level_next); a level change queues an event and calls
 * on_level. Every outcome except AEGIS_ERR_NOMEM is recorded; *ret (optional)
 * gets the decision. Returns the decision's result.
 */
aegis_err aegis_risk_submit(aegis_risk_monitor *mon, const char *json, size_t len, uint64_t now_ms,
                            struct aegis_risk_decision *ret);
/* Same for an already parsed object (its compact dump is what is hashed
 * when it is malformed). */
aegis_err aegis_risk_submit_json(aegis_risk_monitor *mon, const json_t *obj, uint64_t now_ms,
                                 struct aegis_risk_decision *ret);

uint16_t aegis_risk_score(const aegis_risk_monitor *mon);
uint8_t aegis_risk_level(const aegis_risk_monitor *mon);
uint64_t aegis_risk_since(const aegis_risk_monitor *mon);         /* ms of the last level change */
uint8_t aegis_risk_algorithms(const aegis_risk_monitor *mon);     /* set for the current level */
uint8_t aegis_risk_recommended(const aegis_risk_monitor *mon);    /* latest recommendation (advisory), 0 none */
/* The latest per-asset override for id, if any (else the global score and
 * false). */
bool aegis_risk_asset_score(const aegis_risk_monitor *mon, const char *id, uint16_t *ret);
/* {"score","level","since","algorithms":[..],"recommended":[..]?} (new ref). */
json_t *aegis_risk_status_json(const aegis_risk_monitor *mon);

/* Decisions: total ever made, and a copy of those still in the ring with
 * index >= from (oldest first), at most max; returns how many were copied. */
uint64_t aegis_risk_decision_count(const aegis_risk_monitor *mon);
size_t aegis_risk_decisions(const aegis_risk_monitor *mon, uint64_t from, struct aegis_risk_decision *out, size_t max);
json_t *aegis_risk_decision_json(const struct aegis_risk_decision *d);

/* Move up to max pending level events (oldest first) to out. When more than
 * max_events pile up the oldest are dropped (counted in *ret_dropped). */
size_t aegis_risk_events_take(aegis_risk_monitor *mon, struct aegis_risk_level_event *out, size_t max);
uint64_t aegis_risk_events_dropped(const aegis_risk_monitor *mon);

/*
 * Restore the level state after a restart (from a checkpoint or persisted
 * status): score, level, since. Per-source sequence state is restored with
 * aegis_risk_monitor_restore_source. No event is emitted. AEGIS_ERR_INVAL.
 */
aegis_err aegis_risk_monitor_restore(aegis_risk_monitor *mon, uint16_t score, uint8_t level, uint64_t since_ms) AEGIS_WUR;
/*
 * Restore one source's last accepted assessment: seq, timestamp and digest
 * (aegis_risk_assessment_digest). With the digest, an exact replay of that
 * assessment is still AEGIS_ERR_RISK_DUPLICATE after a restart; digest NULL
 * (state persisted without it) makes it AEGIS_ERR_RISK_OUT_OF_ORDER. Replaces
 * what the monitor held for that source.
 * Errors: AEGIS_ERR_INVAL (bad source name), AEGIS_ERR_RISK_TOO_MANY_SOURCES.
 */
aegis_err aegis_risk_monitor_restore_source(aegis_risk_monitor *mon, const char *source, uint64_t seq,
                                            uint64_t timestamp_ms, const uint8_t *digest) AEGIS_WUR;

/* A source's last accepted assessment, as the monitor holds it (the state a
 * host persists and gives back to aegis_risk_monitor_restore_source). */
struct aegis_risk_source {
    char name[AEGIS_RISK_SOURCE_MAX + 1];
    uint64_t seq, timestamp_ms;
    uint8_t digest[32];             /* zeros when restored without one */
    bool has_digest;
};
/* Number of sources with an accepted assessment, and the i-th of them
 * (0 <= i < count, in first-accepted order; false past the end). */
size_t aegis_risk_monitor_source_count(const aegis_risk_monitor *mon);
bool aegis_risk_monitor_source_at(const aegis_risk_monitor *mon, size_t i, struct aegis_risk_source *ret);

/* ---- file watch: the daemon polls a file and submits it when it changes ---- */
typedef struct aegis_risk_watch {
    char *path;
    bool seen;                      /* a version was observed */
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_sec, mtime_nsec;
} aegis_risk_watch;
aegis_err aegis_risk_watch_init(aegis_risk_watch *w, const char *path) AEGIS_WUR;
void aegis_risk_watch_clear(aegis_risk_watch *w);
/*
 * stat() the file; when (device, inode, size, mtime) differs from the last
 * poll, read it and aegis_risk_submit() its content. *ret_changed (optional)
 * says whether a submission happened; *ret (optional) gets its decision.
 * Returns AEGIS_OK when unchanged, the submission's result when changed, or
 * AEGIS_ERR_NOT_FOUND / AEGIS_ERR_IO (nothing recorded) when unreadable.
 */
aegis_err aegis_risk_watch_poll(aegis_risk_monitor *mon, aegis_risk_watch *w, uint64_t now_ms,
                                bool *ret_changed, struct aegis_risk_decision *ret);

/* ======================= key epochs ======================= */

#define AEGIS_HANDOVER_CTX          "aegis-handover-v1"
#define AEGIS_HANDOVER_ENC_BYTES    (4 + 1 + 8 + 8 + 32 + 32 + 8 + 1 + 8)

enum aegis_rotation_reason {
    AEGIS_ROTATE_NONE = 0,
    AEGIS_ROTATE_SCHEDULED = 1,     /* interval elapsed */
    AEGIS_ROTATE_EMERGENCY = 2,     /* entered the emergency level */
    AEGIS_ROTATE_MANUAL = 3,        /* operator request */
};
/* "scheduled" | "emergency" | "manual" ("none"). */
const char *aegis_rotation_reason_name(uint8_t reason);

struct aegis_rotation_config {
    uint64_t interval_batches;      /* 0: off; default 0 */
    uint64_t interval_ms;           /* 0: off; default 86400000 (1 day) */
    bool on_emergency;              /* rotate on entering emergency; default true */
    uint64_t grace_ms;              /* previous epoch accepted this long; default 600000 */
    uint64_t grace_batches;         /* ... or this many batches (0: time only); default 0 */
};
void aegis_rotation_config_defaults(struct aegis_rotation_config *rc);

/* Plain state: the caller may persist it (all fields) and restore it. */
typedef struct aegis_rotation {
    struct aegis_rotation_config cfg;
    uint64_t epoch;                 /* current epoch */
    uint64_t epoch_start_batch;     /* first batch number of the current epoch */
    uint64_t epoch_start_ms;
    bool has_prev;                  /* a previous epoch exists */
    uint64_t prev_epoch;
    uint64_t grace_until_ms;        /* previous epoch accepted while now < this */
    uint64_t grace_until_batch;     /* ... and batch < this (when grace_batches > 0) */
    bool emergency_pending;         /* entered emergency, rotation not done yet */
} aegis_rotation;

/* Start at epoch (first batch, time). */
void aegis_rotation_init(aegis_rotation *r, const struct aegis_rotation_config *cfg, uint64_t epoch,
                         uint64_t batch_number, uint64_t now_ms);
/* Feed a level change (marks an emergency rotation due when entering
 * emergency and cfg.on_emergency). */
void aegis_rotation_on_level(aegis_rotation *r, uint8_t old_level, uint8_t new_level);
/* Is a rotation due before cutting batch_number at now_ms? Emergency first,
 * then the batch and time intervals; returns the reason or AEGIS_ROTATE_NONE. */
uint8_t aegis_rotation_due(const aegis_rotation *r, uint64_t batch_number, uint64_t now_ms);
/* Record that epoch epoch+1 starts at batch_number / now_ms (after the
 * hand-over is built and published): the old epoch enters its grace window. */
void aegis_rotation_commit(aegis_rotation *r, uint64_t batch_number, uint64_t now_ms);
/*
 * May an envelope addressed to env_epoch be opened now? AEGIS_OK for the
 * current epoch and for the previous one inside its grace window;
 * AEGIS_ERR_RISK_EPOCH_EXPIRED after it; AEGIS_ERR_RISK_EPOCH_UNKNOWN for any
 * other epoch. msg (optional, cap bytes) gets a sentence naming the current
 * epoch, e.g. "envelope is for key epoch 3, whose grace window ended at
 * 1700000600000 ms; the current key epoch is 4".
 */
aegis_err aegis_rotation_check_epoch(const aegis_rotation *r, uint64_t env_epoch, uint64_t batch_number,
                                     uint64_t now_ms, char *msg, size_t cap);

/* The hand-over record from one key epoch to the next. */
typedef struct aegis_handover {
    uint64_t old_epoch, new_epoch;          /* new = old + 1 */
    uint8_t old_keyset_hash[32];            /* aegis_keyset_pub_hash */
    uint8_t new_keyset_hash[32];
    uint64_t batch_number;                  /* first batch signed by the new epoch */
    uint8_t reason;                         /* enum aegis_rotation_reason */
    uint64_t timestamp_ms;
    uint8_t old_mldsa[AEGIS_MLDSA87_SIG_BYTES];
    uint8_t new_mldsa[AEGIS_MLDSA87_SIG_BYTES];
    uint8_t old_slhdsa[AEGIS_SLHDSA256S_SIG_BYTES];
    uint8_t new_slhdsa[AEGIS_SLHDSA256S_SIG_BYTES];
} aegis_handover;   /* ~68 KB: allocate it, don't put it on a small stack */

/* "AEGH" | u8 1 | u64 old | u64 new | old hash | new hash | u64 batch |
 * u8 reason | u64 ts: what all four signatures sign (context
 * AEGIS_HANDOVER_CTX). */
void aegis_handover_encode(const aegis_handover *h, uint8_t out[static AEGIS_HANDOVER_ENC_BYTES]);
/* Fill and sign with both key sets (ML-DSA-87 + SLH-DSA each; two SLH-DSA
 * signatures take a while). AEGIS_ERR_INVAL unless new epoch = old + 1 and
 * reason is known. *ret written only on success. */
aegis_err aegis_handover_build(const aegis_keyset *old_ks, const aegis_keyset *new_ks, uint64_t batch_number,
                               uint8_t reason, uint64_t timestamp_ms, aegis_handover *ret) AEGIS_WUR;
/* Check epochs and key set hashes against the two public key sets, then all
 * four signatures: AEGIS_ERR_HANDOVER_MISMATCH, AEGIS_ERR_HANDOVER_BAD_SIG. */
aegis_err aegis_handover_verify(const aegis_handover *h, const aegis_keyset_pub *old_pub,
                                const aegis_keyset_pub *new_pub) AEGIS_WUR;
/* Link check for `aegis verify`: next continues prev (epochs consecutive,
 * next.old hash = prev.new hash, batch numbers not decreasing):
 * AEGIS_OK or AEGIS_ERR_HANDOVER_CHAIN. */
aegis_err aegis_handover_link(const aegis_handover *prev, const aegis_handover *next) AEGIS_WUR;
/* {"old_epoch","new_epoch","old_keyset_hash","new_keyset_hash","batch_number",
 *  "reason","timestamp_ms","signatures":{"old":{"ml-dsa-87","slh-dsa-sha2-256s"},"new":{..}}} */
json_t *aegis_handover_to_json(const aegis_handover *h);
/* Strict parse (AEGIS_ERR_HANDOVER_MALFORMED); signatures not checked. */
aegis_err aegis_handover_from_json(const json_t *obj, aegis_handover *ret) AEGIS_WUR;

/* ======================= per-transaction risk ======================= */

struct aegis_risk_tx_input {
    uint16_t global_score;          /* 0..10000 (or the asset's override) */
    bool sender_pqc;                /* sender registered an ML-DSA-87 key */
    uint8_t asset_level;            /* 0..3 */
    const uint8_t *value;           /* u256 big-endian, 32 bytes (NULL: 0) */
    bool migration;                 /* migration intent */
};
/*
 * score = min(10000, E + A + V + M), integers only:
 *   E = global * (sender_pqc ? 2500 : 10000) / 10000     exposure
 *   A = 1000 * asset_level                               protection
 *   V = min(2000, 100 * max(0, bitlen(value) - 50))      value (2^50 wei ~ 0.001 ETH)
 *   M = migration ? 1000 + global / 5 : 0                 migration urgency
 * Pure and thread-safe.
 */
uint16_t aegis_risk_tx_score(const struct aegis_risk_tx_input *in);

/* What the asset registry knows about a transaction. */
struct aegis_risk_tx_facts {
    uint8_t asset_level;            /* 0 none, 1..3 */
    bool sender_pqc;
    bool migration;                 /* calls the migration contract (declared intent is added by us) */
    uint64_t migration_group;       /* asset being migrated (0: none) */
    char asset_id[AEGIS_RISK_ASSET_ID_MAX + 1]; /* "" or the asset, for per-asset overrides */
};
/* Registry lookup: fill *out (zeroed before the call); an error rejects the tx. */
typedef aegis_err (*aegis_risk_lookup_fn)(void *ctx, const struct aegis_mempool_tx *tx,
                                          struct aegis_risk_tx_facts *out);

typedef struct aegis_risk_classifier {
    const aegis_risk_monitor *mon;  /* borrowed; NULL: global score 0 */
    aegis_risk_lookup_fn lookup;    /* NULL: level 0, no PQC key, no migration */
    void *lookup_ctx;
} aegis_risk_classifier;
/*
 * The aegis_classifier view of rc (rc must outlive the mempool's use of it):
 * facts from lookup, migration |= AEGIS_MEMPOOL_TX_DECLARED_MIGRATION (group
 * = declared_group when lookup gave none), global score = the asset's
 * override when present else the monitor's score, risk_score =
 * aegis_risk_tx_score.
 */
struct aegis_classifier aegis_risk_classifier_iface(aegis_risk_classifier *rc);

#endif
