/*
 * aegis/chain.h - the published batch chain: its JSON export format and its
 * offline verification (what `aegis verify` runs, with no trust in the
 * sequencer's host).
 *
 * A batch as published (docs/internals/chain.md has the full format):
 *   { "number", "hash", "header": {...fields...}, "header_abi": "0x..",
 *     "txs": [ {"raw","hash","sender","nonce","envelope_id"} ... ],
 *     "signatures": { "ml-dsa-87", "secp256k1"?, "slh-dsa-sha2-256s"? },
 *     "attestation": { "primary": {...}, "backup"?: {...} },
 *       each {"backend","mode","insecure","report_data","quote","event_log"?}
 *     "seal"?: { "number", "index", "count", "path": [..] } }
 * Signatures are over the 32-byte batch hash: ML-DSA-87 and SLH-DSA with
 * context AEGIS_CHAIN_BATCH_CTX, secp256k1 directly over the hash (so a
 * contract can ecrecover it).
 */
#ifndef AEGIS_CHAIN_H
#define AEGIS_CHAIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/batch.h"
#include "aegis/json.h"
#include "aegis/crypto.h"
#include "aegis/keys.h"

#define AEGIS_CHAIN_BATCH_CTX    "aegis-batch-v1"
#define AEGIS_CHAIN_SEAL_CTX     "aegis-seal-v1"
#define AEGIS_CHAIN_RECEIPT_CTX  "aegis-receipt-v1"
/* report_data = tag (zero-padded to 24 bytes) || attestation statement
 * (8 bytes, below; zero in checkpoint records) || 32-byte value */
#define AEGIS_CHAIN_TAG_BATCH    "AEGIS-BATCH-V1"
#define AEGIS_CHAIN_TAG_KEYSET   "AEGIS-KEYSET-V1"
#define AEGIS_CHAIN_MAX_TXS      1000

typedef struct aegis_chain_tx {
    const uint8_t *raw;       /* points into the owning batch's storage */
    size_t raw_len;
    uint8_t hash[32];
    uint8_t sender[20];
    uint64_t nonce;
    uint64_t envelope_id;
} aegis_chain_tx;

typedef struct aegis_chain_attest {
    char backend[16];         /* "sim", "tdx", "dstack"; "" = absent */
    char mode[16];            /* "per-batch" | "key-binding" */
    bool insecure;
    uint8_t report_data[64];
    uint8_t *quote;           /* owned */
    size_t quote_len;
    /* Optional (record format 1.1, docs/internals/attestation-batches.md):
     * the TDX event log as the dstack agent's GetQuote returned it (its
     * "event_log" string, verbatim, NUL-terminated), or NULL. Owned; freed by
     * aegis_chain_attest_clear / aegis_chain_batch_clear. A struct copy of an
     * attestation must not keep this pointer: use aegis_chain_attest_copy. */
    char *event_log;
    size_t event_log_len;
} aegis_chain_attest;

/* Largest event log a record may carry (the recorded dstack log is 6.7 KB). */
#define AEGIS_CHAIN_EVENT_LOG_MAX (256u * 1024u)

typedef struct aegis_chain_batch {
    struct aegis_batch_header h;
    uint8_t hash[32];
    aegis_chain_tx *txs;      /* owned array */
    size_t n_txs;
    uint8_t *raw_store;       /* owned backing store of every raw tx */
    uint8_t sig_mldsa[AEGIS_MLDSA87_SIG_BYTES];
    bool has_ecdsa;
    uint8_t sig_ecdsa[AEGIS_SECP256K1_SIG_BYTES];
    uint8_t *sig_slh;         /* owned, AEGIS_SLHDSA256S_SIG_BYTES, or NULL (epoch mode) */
    aegis_chain_attest primary, backup;
    bool has_seal;            /* epoch-seal membership */
    uint64_t seal_number, seal_index, seal_count;
    uint8_t seal_path[AEGIS_MERKLE_MAX_DEPTH][32];
    size_t seal_path_len;
} aegis_chain_batch;

/* An SLH-DSA epoch seal over batches [first, first+count). */
typedef struct aegis_chain_seal {
    uint64_t number, first, count, key_epoch, chain_id;
    uint8_t root[32];
    uint8_t sig[AEGIS_SLHDSA256S_SIG_BYTES];
} aegis_chain_seal;

void aegis_chain_batch_clear(aegis_chain_batch *b);
/* Free an attestation's quote and event log and zero it. Accepts NULL. */
void aegis_chain_attest_clear(aegis_chain_attest *a);
/* One attestation record as JSON (format 1.1: event_log when present), and
 * back (into a zeroed *a; free with aegis_chain_attest_clear, also after a
 * failure): AEGIS_ERR_CHAIN_FORMAT, AEGIS_ERR_NOMEM. */
json_t *aegis_chain_attest_to_json(const aegis_chain_attest *a);
aegis_err aegis_chain_attest_from_json(const json_t *j, aegis_chain_attest *a) AEGIS_WUR;
/* Deep copy of src into *dst (quote and event log duplicated). On failure
 * (AEGIS_ERR_NOMEM) *dst is zeroed. */
aegis_err aegis_chain_attest_copy(aegis_chain_attest *dst, const aegis_chain_attest *src) AEGIS_WUR;

/* report_data for a tag and a 32-byte value (statement bytes zero). */
void aegis_chain_report_data(uint8_t out[static 64], const char *tag, const uint8_t value[static 32]);

/*
 * The attestation statement (chain_statement.c,
 * docs/internals/attestation-batches.md): bytes 24..31 of report_data,
 * between the tag (at most 24 bytes) and the value, say under which
 * attestation policy the sequencer attested, so every quote carries it and
 * no host can change it:
 *   [24] version (1; 0 = no statement: records made before statements)
 *   [25] primary backend, [26] backup backend (0 none, 1 sim, 2 tdx, 3 dstack)
 *   [27] flags (AEGIS_CHAIN_STMT_*), [28..31] zero
 * A batch cut with a backup attestation says so (BACKUP_ATTESTED) in the
 * very quotes it carries: dropping the backup record leaves a primary quote
 * that names a backup the batch no longer has, and verification fails.
 */
#define AEGIS_CHAIN_STMT_OFF             24
#define AEGIS_CHAIN_STMT_VERSION         1
#define AEGIS_CHAIN_STMT_BACKUP_REQUIRED 0x01  /* tee.require_backup */
#define AEGIS_CHAIN_STMT_BACKUP_ATTESTED 0x02  /* the backup attested this value */
#define AEGIS_CHAIN_STMT_PRIMARY_FAILED  0x04  /* failover: the backup attested alone */
#define AEGIS_CHAIN_STMT_FAILOVER        0x08  /* tee.on_primary_failure = "backup" */
#define AEGIS_CHAIN_STMT_FLAGS           0x0f

typedef struct aegis_chain_statement {
    uint8_t version;          /* 0: none */
    char primary[16];         /* backend name, "" = none */
    char backup[16];
    uint8_t flags;            /* AEGIS_CHAIN_STMT_* */
} aegis_chain_statement;

/* report_data = tag || statement || value. AEGIS_ERR_INVAL: a tag longer
 * than 24 bytes or a backend name without a code. */
aegis_err aegis_chain_report_data_stmt(uint8_t out[static 64], const char *tag, const uint8_t value[static 32],
                                       const aegis_chain_statement *st) AEGIS_WUR;
/* Decode the statement bytes of rd. AEGIS_ERR_CHAIN_ATTEST: unknown
 * version, backend code or flag, or non-zero reserved bytes. */
aegis_err aegis_chain_statement_decode(const uint8_t rd[static 64], aegis_chain_statement *ret) AEGIS_WUR;
/* The report_data a record must carry for tag and value: tag and value
 * fixed, the statement taken from the record (and decoded into *st when
 * st is not NULL). AEGIS_ERR_CHAIN_ATTEST when a's report_data binds
 * another tag or value or its statement is malformed. */
aegis_err aegis_chain_expect_rd(const aegis_chain_attest *a, const char *tag, const uint8_t value[static 32],
                                uint8_t out[static 64], aegis_chain_statement *st) AEGIS_WUR;

/* ---- JSON ---- */
json_t *aegis_chain_batch_to_json(const aegis_chain_batch *b);
/* Strict parse: every field present with the right shape (AEGIS_ERR_CHAIN_FORMAT). */
aegis_err aegis_chain_batch_from_json(const json_t *j, aegis_chain_batch *ret, const char **why) AEGIS_WUR;
json_t *aegis_chain_seal_to_json(const aegis_chain_seal *s);
aegis_err aegis_chain_seal_from_json(const json_t *j, aegis_chain_seal *ret, const char **why) AEGIS_WUR;
json_t *aegis_chain_keyset_to_json(const aegis_keyset_pub *pub, const aegis_chain_attest *att);
aegis_err aegis_chain_keyset_from_json(const json_t *j, aegis_keyset_pub *pub, aegis_chain_attest *att,
                                       const char **why) AEGIS_WUR;
void aegis_chain_seal_digest(const aegis_chain_seal *s, uint8_t out[static 32]);

/* ---- key-based getters for the JSON format (shapes of aegis/json.h) ---- */
aegis_err aegis_chain_get_hex(const json_t *obj, const char *key, uint8_t *out, size_t n) AEGIS_WUR;
aegis_err aegis_chain_get_hex_alloc(const json_t *obj, const char *key, size_t max,
                                    uint8_t **ret, size_t *ret_len) AEGIS_WUR;

/* A signed receipt's hash: keccak256("AEGIS-RECEIPT-V1" || envelope hash ||
 * tx hash || seq || envelope id || key epoch), integers u64 big-endian. A
 * group of receipts is signed once (ML-DSA-87, AEGIS_CHAIN_RECEIPT_CTX) over
 * the Merkle root of their hashes. */
void aegis_chain_receipt_hash(uint8_t out[static 32], const uint8_t envelope_hash[static 32],
                              const uint8_t tx_hash[static 32], uint64_t seq, uint64_t envelope_id,
                              uint64_t key_epoch);

/* ---- verification ---- */
struct aegis_collateral_cache;
struct aegis_attest_policy;

typedef struct aegis_chain_verify_opts {
    bool allow_sim;           /* accept sim (insecure) attestations */
    bool require_slh;         /* every batch must carry SLH-DSA (sig or seal) */
    /* Hardware attestations (tdx, dstack): DCAP verification
     * (src/chain/chain_attest.c, docs/internals/attestation-batches.md). */
    const char *collateral_dir;  /* collateral JSON file or directory (aegis/attest.h provider) */
    struct aegis_collateral_cache *collateral_cache; /* optional; preferred over collateral_dir */
    int64_t verify_at;        /* verification time, Unix seconds; 0 = the current time */
    const char *policy_file;  /* acceptance policy JSON; NULL = aegis_attest_policy_init defaults */
    const struct aegis_attest_policy *policy; /* optional; preferred over policy_file */
    /* Each platform its own policy: records of the tdx / dstack backend are
     * checked against these when set (else policy / policy_file / defaults). */
    const struct aegis_attest_policy *tdx_policy;
    const struct aegis_attest_policy *dstack_policy;
    /* Attestation pair (chain_pair.c): */
    bool require_backup;      /* every batch must carry a verified backup attestation */
    bool require_primary;     /* refuse batches the backup attested alone (failover) */
} aegis_chain_verify_opts;

/*
 * A verifier's attestation policy file (chain_policy.c): either one flat
 * aegis_attest_policy JSON object (applies to every platform), or
 *   { "require_backup": bool, "require_primary": bool,
 *     "tdx": {policy}, "dstack": {policy}, "sim": {policy} }
 * with every key optional; a platform without a section gets the defaults.
 */
typedef struct aegis_chain_policy {
    bool require_backup, require_primary;
    bool has_tdx, has_dstack;            /* the file had that section */
    struct aegis_attest_policy *all;     /* flat file, or the "sim" section (owned) */
    struct aegis_attest_policy *tdx;     /* sectioned file: its section or the defaults; flat: NULL */
    struct aegis_attest_policy *dstack;  /* likewise */
} aegis_chain_policy;
/* Load path into a zeroed *ret (free with aegis_chain_policy_clear, also
 * after a failure). AEGIS_ERR_POLICY_MALFORMED (*why names the part),
 * AEGIS_ERR_IO, AEGIS_ERR_NOMEM. */
aegis_err aegis_chain_policy_load_file(const char *path, aegis_chain_policy *ret, const char **why) AEGIS_WUR;
aegis_err aegis_chain_policy_load_json(const char *json, size_t len, aegis_chain_policy *ret,
                                       const char **why) AEGIS_WUR;
void aegis_chain_policy_clear(aegis_chain_policy *p);
/* Point opts at p's policies and OR in its require flags (p must outlive
 * the use of opts). */
void aegis_chain_policy_apply(const aegis_chain_policy *p, aegis_chain_verify_opts *opts);

/*
 * Cross-validation of a batch's attestation pair (chain_pair.c): the
 * statement the records carry (identical report_data in both) must match
 * the records present: a primary unless PRIMARY_FAILED, a backup exactly
 * when BACKUP_ATTESTED, each of the backend the statement names; then the
 * verifier's require_backup / require_primary. Records without a statement
 * (version 0) need a primary and may lack the backup. Called by
 * aegis_chain_verify_batch after each record verified.
 * AEGIS_ERR_CHAIN_ATTEST_STATEMENT (records contradict their statement),
 * AEGIS_ERR_CHAIN_ATTEST_REQUIRED (the verifier requires what the batch was
 * not cut with), AEGIS_ERR_CHAIN_ATTEST.
 */
aegis_err aegis_chain_verify_pair(const aegis_chain_attest *primary, const aegis_chain_attest *backup,
                                  const aegis_chain_verify_opts *opts, aegis_chain_statement *ret_st,
                                  const char **why) AEGIS_WUR;

/* Verify one batch against the published key set of its epoch: header
 * encoding and hash, tx hashes and Merkle root, tx count, ML-DSA-87,
 * secp256k1 (when the algorithm set has ECDSA), SLH-DSA (per-batch or via
 * the seal when given), attestation binding. parent: the previous batch
 * (NULL for number 1 or when unknown: then continuity is not checked).
 * *why: static text naming the failed check. */
aegis_err aegis_chain_verify_batch(const aegis_chain_batch *b, const aegis_keyset_pub *pub,
                                   const aegis_chain_attest *keyset_att,
                                   const aegis_chain_batch *parent, const aegis_chain_seal *seal,
                                   const aegis_chain_verify_opts *opts, const char **why) AEGIS_WUR;
aegis_err aegis_chain_verify_seal(const aegis_chain_seal *s, const aegis_keyset_pub *pub,
                                  const char **why) AEGIS_WUR;
/* ---- cluster co-attestations (docs/internals/cluster.md) ----
 * A co-attestation {"type":"coattest","worker","number","hash","attestation"}
 * is a worker's TEE attestation binding (tag AEGIS-COATTEST-V1) the value
 * SHA-256(worker || 0x00 || number u64 BE || batch hash): that worker
 * recomputed the batch from the replicated log and got the same hash. */
#define AEGIS_CHAIN_TAG_COATTEST "AEGIS-COATTEST-V1"
void aegis_chain_coattest_value(uint8_t out[static 32], const char *worker, uint64_t number,
                                const uint8_t hash[static 32]);
/* Count the valid co-attestations of b in arr (a JSON array, NULL = none):
 * each must name b's number and hash, each worker counts once, and each
 * attestation must verify under opts (sim only with allow_sim). *ret_why
 * (optional) names the first invalid one's fault. */
size_t aegis_chain_count_coattests(const json_t *arr, uint64_t number, const uint8_t hash[static 32],
                                   const aegis_chain_verify_opts *opts, const char **ret_why);
aegis_err aegis_chain_verify_attest(const aegis_chain_attest *a, const uint8_t expect_rd[static 64],
                                    const aegis_chain_verify_opts *opts, const char **why) AEGIS_WUR;

/* What a verified attestation's event log says about the dstack app
 * (RTMR3 runtime events). Filled by aegis_chain_attest_app. */
typedef struct aegis_chain_app_info {
    bool has_event_log;
    bool has_app_id, has_compose_hash, has_instance_id;
    uint8_t app_id[20];
    uint8_t compose_hash[32];
    uint8_t instance_id[20];
} aegis_chain_app_info;

/* Parse a's event log (when it carries one) and report its app id, compose
 * hash and instance id. This does NOT verify: call it on an attestation that
 * aegis_chain_verify_attest accepted (which replayed the log to the quote's
 * RTMRs). No event log: AEGIS_OK with has_event_log false. Errors: the
 * AEGIS_ERR_EVENTLOG_* code of a malformed log. */
aegis_err aegis_chain_attest_app(const aegis_chain_attest *a, aegis_chain_app_info *ret) AEGIS_WUR;

#endif
