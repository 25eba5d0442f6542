/*
 * aegis/mempool.h - the admitted-transaction pool of the trusted core.
 *
 * The mempool holds decoded, validated transactions (plaintext: it lives only
 * in core memory and every raw copy is wiped when freed). It enforces the
 * admission rules of issue 4: capacity, a per-sender limit, duplicate
 * rejection (envelope hash, tx hash), replay rejection (nonce already
 * included), replacement by fee with a minimum bump, expiry, and eviction of
 * the lowest-priority transaction when full, never evicting a protected-asset
 * or migration transaction for a lower one. Every rejection is its own
 * aegis_err code (err/mempool.def).
 *
 * Ordering is not decided here: an ordering strategy (aegis/order.h) installs
 * a ranker, a pure function from a record to a fixed-size key, and
 * aegis_mempool_select() returns the next batch under it: the greedy
 * highest-key order over each sender's next eligible nonce. Ties are broken by
 * tx hash, so the result depends only on the admitted set and the ranker,
 * never on arrival order, pointers or hash-table layout. See
 * docs/internals/mempool.md.
 *
 * Time: the mempool never reads a clock. The caller passes now_ms (expiry)
 * and the number of the next batch to be cut (aging).
 *
 * Thread-safety: an aegis_mempool is not thread-safe; the core serialises
 * access (one admission / cut at a time). Records are plain data.
 */
#ifndef AEGIS_MEMPOOL_H
#define AEGIS_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/util.h"

#define AEGIS_U256_BYTES            32
#define AEGIS_MEMPOOL_ADDR_BYTES    20
#define AEGIS_MEMPOOL_HASH_BYTES    32
#define AEGIS_RISK_SCORE_MAX        10000
#define AEGIS_ASSET_LEVEL_MAX       3

/* Flags of struct aegis_mempool_tx. */
#define AEGIS_MEMPOOL_TX_HAS_TO               0x01u /* `to` is set (not a contract creation) */
#define AEGIS_MEMPOOL_TX_DECLARED_MIGRATION   0x02u /* Aegis extension declared migration intent */

/* Classification of one transaction (the risk / asset registry's answer). */
struct aegis_tx_class {
    uint16_t risk_score;        /* 0..10000 */
    uint8_t asset_level;        /* 0 none, 1..3 protected (3 highest) */
    bool migration;             /* part of an asset migration */
    uint64_t migration_group;   /* asset id being migrated (0: none) */
};

/*
 * One admitted transaction. The caller fills the "input" fields and passes
 * the struct to aegis_mempool_add(), which copies it (raw bytes included);
 * the mempool fills the "assigned" fields. Records handed back to the caller
 * (replaced, evicted, expired, included) are owned by it: free them with
 * aegis_mempool_tx_free().
 */
struct aegis_mempool_tx {
    /* input */
    uint8_t tx_hash[AEGIS_MEMPOOL_HASH_BYTES];       /* keccak-256 of raw */
    uint8_t envelope_hash[AEGIS_MEMPOOL_HASH_BYTES];
    uint64_t envelope_id;          /* durable envelope-log id (replicated) */
    uint8_t sender[AEGIS_MEMPOOL_ADDR_BYTES];
    uint8_t to[AEGIS_MEMPOOL_ADDR_BYTES];            /* valid with FLAG_HAS_TO */
    uint32_t flags;                /* AEGIS_MEMPOOL_TX_* */
    uint64_t declared_group;       /* migration group declared by the extension */
    uint64_t nonce;
    uint8_t max_fee[AEGIS_U256_BYTES];       /* big-endian; legacy: gas price */
    uint8_t priority_fee[AEGIS_U256_BYTES];  /* big-endian; legacy: gas price */
    uint64_t gas_limit;
    uint8_t value[AEGIS_U256_BYTES];         /* big-endian */
    const uint8_t *raw;            /* input: borrowed; in the pool: owned copy */
    size_t raw_len;
    /* The Aegis extension that followed raw in the plaintext (witness,
     * declared intent), or NULL/0. Input: borrowed; in the pool: copied right
     * after raw in the same buffer, so raw[0 .. raw_len + ext_len) is the
     * plaintext again (re-checks decode it, aegis_mempool_recheck). */
    const uint8_t *ext;
    size_t ext_len;
    uint64_t expires_ms;           /* 0: now_ms + configured expiry */

    /* assigned by the mempool at admission */
    uint64_t seq;                  /* admission sequence (local, monotonic) */
    uint64_t admitted_ms;          /* now_ms at admission */
    uint64_t admitted_batch;       /* next batch number at admission (replicated) */
    struct aegis_tx_class cls;     /* from the classifier */
};

/* Batches a record has waited when batch `batch_number` is being cut. */
static inline uint64_t aegis_mempool_tx_waited(const struct aegis_mempool_tx *tx,
                                               uint64_t batch_number)
{
    return batch_number > tx->admitted_batch ? batch_number - tx->admitted_batch : 0;
}

/* Free a record returned by the mempool: wipes the raw and extension bytes. Accepts NULL. */
void aegis_mempool_tx_free(struct aegis_mempool_tx *tx);

/* A growable list of owned records (expired, included, ...). */
struct aegis_mempool_txlist {
    struct aegis_mempool_tx **v;
    size_t n, cap;
};
/* Free every record in the list and the list storage; the list can be reused. */
void aegis_mempool_txlist_clear(struct aegis_mempool_txlist *l);

/* ---------------- classification ---------------- */

/*
 * The plug point for the risk and asset registry. classify() sees the input
 * fields of the record and fills *out; an error rejects the transaction with
 * that code. It must be a pure function of the record and the classifier's
 * state (determinism across workers).
 */
struct aegis_classifier {
    void *ctx;
    aegis_err (*classify)(void *ctx, const struct aegis_mempool_tx *tx, struct aegis_tx_class *out);
};

/* The default classifier, fed from simple configuration lists. */
struct aegis_class_protected { uint8_t addr[20]; uint8_t level; };           /* level 1..3 */
struct aegis_class_migration { uint8_t addr[20]; uint64_t group; };          /* group != 0 */
struct aegis_class_sender    { uint8_t addr[20]; uint16_t risk_score; };     /* high-risk sender */
struct aegis_class_lists {
    const struct aegis_class_protected *protected_contracts; size_t n_protected;
    const struct aegis_class_migration *migration_contracts; size_t n_migration;
    const struct aegis_class_sender *risky_senders;          size_t n_risky;
    uint16_t default_risk;         /* score of an unlisted sender */
    uint16_t protected_risk;       /* minimum score of a tx touching a protected contract */
};
typedef struct aegis_list_classifier aegis_list_classifier;

/*
 * Build the default classifier (copies the lists). Rules: asset_level = the
 * level of `to` among protected contracts (0 otherwise); migration = `to` is
 * a migration contract (group from the list) or the extension declared it
 * (group = declared_group); risk_score = the listed score of the sender, else
 * default_risk, raised to protected_risk when asset_level > 0.
 * Errors: AEGIS_ERR_INVAL (level 0 or > 3, score > 10000, duplicate
 * address in one list, migration group 0), AEGIS_ERR_NOMEM.
 */
aegis_err aegis_list_classifier_new(const struct aegis_class_lists *lists,
                                    aegis_list_classifier **ret) AEGIS_WUR;
void aegis_list_classifier_free(aegis_list_classifier *c);
/* The classifier interface of c (valid while c lives). */
struct aegis_classifier aegis_list_classifier_iface(aegis_list_classifier *c);

/* ---------------- the pool ---------------- */

typedef struct aegis_mempool aegis_mempool;

struct aegis_mempool_config {
    size_t capacity;               /* default 10000 */
    size_t per_sender;             /* default 64 */
    unsigned price_bump_pct;       /* default 10 */
    uint64_t expiry_ms;            /* default 3600000 */
    size_t max_raw;                /* largest raw tx, default 131072 */
    struct aegis_classifier classifier; /* NULL classify: everything class 0 */
};
void aegis_mempool_config_defaults(struct aegis_mempool_config *cfg);

/* Create an empty pool (cfg copied; the classifier ctx is borrowed).
 * Errors: AEGIS_ERR_INVAL (capacity or per_sender 0), AEGIS_ERR_NOMEM. */
aegis_err aegis_mempool_new(const struct aegis_mempool_config *cfg, aegis_mempool **ret) AEGIS_WUR;
/* Free the pool and every record in it (wiped). Accepts NULL. */
void aegis_mempool_free(aegis_mempool *mp);

size_t aegis_mempool_count(const aegis_mempool *mp);

/* Number of the next batch to be cut; stamped on admissions (aging). */
void aegis_mempool_set_next_batch(aegis_mempool *mp, uint64_t batch_number);
uint64_t aegis_mempool_next_batch(const aegis_mempool *mp);

enum aegis_mempool_drop {
    AEGIS_MEMPOOL_DROP_NONE = 0,
    AEGIS_MEMPOOL_DROP_REPLACED = 1,   /* same sender + nonce, outbid */
    AEGIS_MEMPOOL_DROP_EVICTED = 2,    /* lowest priority, pool full */
};

struct aegis_mempool_admit {
    uint64_t seq;                          /* admission sequence of the new record */
    const struct aegis_mempool_tx *tx;     /* the pooled record; valid until it leaves */
    struct aegis_mempool_tx *dropped;      /* owned by the caller (free it), or NULL */
    enum aegis_mempool_drop drop;
};

/*
 * Admit a copy of *in at time now_ms. Classifies it, then checks in this
 * order: raw + ext size (MEMPOOL_TX_TOO_BIG), expiry (MEMPOOL_EXPIRED), nonce
 * (MEMPOOL_NONCE_MAX, MEMPOOL_NONCE_USED), duplicate envelope (DUP_ENVELOPE),
 * duplicate tx (DUP_TX), replacement (UNDERPRICED unless both fee fields
 * rise by price_bump_pct), per-sender limit (SENDER_LIMIT), capacity
 * (MEMPOOL_FULL unless a strictly lower-priority record can be evicted).
 * On success *ret describes the outcome; on error nothing changes.
 */
aegis_err aegis_mempool_add(aegis_mempool *mp, const struct aegis_mempool_tx *in, uint64_t now_ms,
                            struct aegis_mempool_admit *ret) AEGIS_WUR;

/* Look up a pooled record (borrowed, valid until it leaves), or NULL. */
const struct aegis_mempool_tx *aegis_mempool_get(const aegis_mempool *mp, const uint8_t tx_hash[32]);
const struct aegis_mempool_tx *aegis_mempool_get_envelope(const aegis_mempool *mp,
                                                          const uint8_t envelope_hash[32]);

/* Remove one record by tx hash and hand it to the caller. AEGIS_ERR_NOT_FOUND. */
aegis_err aegis_mempool_remove(aegis_mempool *mp, const uint8_t tx_hash[32],
                               struct aegis_mempool_tx **ret) AEGIS_WUR;

/*
 * Record that sender's nonce was included in a batch: the next acceptable
 * nonce becomes nonce + 1 (never lowered), and every pooled record of the
 * sender below it is removed and appended to *out (caller frees).
 * Errors: AEGIS_ERR_NOMEM (nothing removed).
 */
aegis_err aegis_mempool_mark_included(aegis_mempool *mp, const uint8_t sender[20], uint64_t nonce,
                                      struct aegis_mempool_txlist *out) AEGIS_WUR;

/* Set a sender's next nonce (chain state or restart); same effect on the
 * pool as mark_included(next - 1). next == 0 only records the sender. */
aegis_err aegis_mempool_set_sender_nonce(aegis_mempool *mp, const uint8_t sender[20], uint64_t next,
                                         struct aegis_mempool_txlist *out) AEGIS_WUR;

/* Every sender whose next nonce is known (from inclusions or
 * set_sender_nonce), in table order: fn(ctx, sender, next). The nonce
 * state a restart snapshot carries (src/core/core_snapshot.c). Returns how
 * many were visited. */
typedef void (*aegis_mempool_nonce_fn)(void *ctx, const uint8_t sender[20], uint64_t next);
size_t aegis_mempool_each_sender_nonce(const aegis_mempool *mp, aegis_mempool_nonce_fn fn, void *ctx);

/* Remove every record with expires_ms <= now_ms, appended to *out in
 * (expires_ms, envelope_id, tx hash) order. AEGIS_ERR_NOMEM. */
aegis_err aegis_mempool_expire(aegis_mempool *mp, uint64_t now_ms,
                               struct aegis_mempool_txlist *out) AEGIS_WUR;

/*
 * Re-check every pooled record against rules that may have changed since it
 * was admitted (the core after a state rollback). Records are visited in
 * admission order (seq ascending; a replacement counts from its own
 * admission). check(ctx, rec) returns AEGIS_OK to keep the record; any
 * error removes it from the pool and hands it to drop(ctx, rec, err), which
 * owns it (free it with aegis_mempool_tx_free). So drops happen in admission
 * order too. Survivors are untouched: seq, admission time and batch, class
 * and rank stay, and so does their relative order. A sender's later nonces
 * stay pooled when an earlier one is dropped (they wait for the gap, like
 * any gap). Neither check nor drop may change the pool. Allocates nothing and cannot
 * fail; returns the number of records removed.
 */
typedef aegis_err (*aegis_mempool_check_fn)(void *ctx, const struct aegis_mempool_tx *tx);
typedef void (*aegis_mempool_drop_fn)(void *ctx, struct aegis_mempool_tx *tx, aegis_err why);
size_t aegis_mempool_recheck(aegis_mempool *mp, aegis_mempool_check_fn check, aegis_mempool_drop_fn drop,
                             void *ctx);

/* ---------------- state (a restart puts the pool back) ---------------- */

/* Every pooled record in admission order (seq ascending); returns how many. */
typedef void (*aegis_mempool_tx_fn)(void *ctx, const struct aegis_mempool_tx *tx);
size_t aegis_mempool_each(const aegis_mempool *mp, aegis_mempool_tx_fn fn, void *ctx);
/* The admission sequence the next record gets, and raising it. */
uint64_t aegis_mempool_next_seq(const aegis_mempool *mp);
void aegis_mempool_set_next_seq(aegis_mempool *mp, uint64_t next_seq);
/*
 * Put back a record exactly as it was pooled: its assigned fields (seq,
 * admission time and batch, class) and expiry are kept and no admission
 * rule runs again, so a pool rebuilt from aegis_mempool_each's records (in
 * that order, after the senders' nonces) selects, evicts and expires as the
 * original did. The raw bytes are copied. Errors: AEGIS_ERR_INVAL (seq not
 * above the newest record's, a duplicate envelope, tx or sender nonce, a
 * nonce below the sender's next, bad sizes or class),
 * AEGIS_ERR_MEMPOOL_FULL, AEGIS_ERR_MEMPOOL_SENDER_LIMIT, AEGIS_ERR_NOMEM.
 */
aegis_err aegis_mempool_restore(aegis_mempool *mp, const struct aegis_mempool_tx *rec) AEGIS_WUR;

/* ---------------- ranking and selection ---------------- */

/* Ordering key: larger k[0] first, then k[1], then k[2]; then tx hash
 * ascending (unique), which makes the order total. */
struct aegis_mempool_rank { uint64_t k[3]; };
typedef void (*aegis_mempool_rank_fn)(const void *ctx, const struct aegis_mempool_tx *tx,
                                      struct aegis_mempool_rank *out);

/*
 * Install the ranker (ctx borrowed, must outlive its use) and re-rank the
 * pool: O(n). The key must be a pure function of the record and ctx and
 * must not change while the record is pooled (aging is folded into the key
 * through admitted_batch, see docs/internals/ordering.md). tag identifies
 * the ranker so callers can skip reinstalling it. fn NULL restores the
 * default (envelope_id ascending).
 */
void aegis_mempool_set_ranker(aegis_mempool *mp, aegis_mempool_rank_fn fn, const void *ctx, uint64_t tag);
uint64_t aegis_mempool_ranker_tag(const aegis_mempool *mp);
/* Whether (fn, ctx, tag) is the installed ranker. */
bool aegis_mempool_ranker_is(const aegis_mempool *mp, aegis_mempool_rank_fn fn, const void *ctx, uint64_t tag);

/*
 * The next batch without removing it: up to max records, in order, into
 * out[] (borrowed, valid until they leave the pool). Greedy: each step takes
 * the highest-ranked eligible record, where a sender's record is eligible
 * when every lower nonce of that sender is either included or already taken
 * in this batch (a nonce gap stalls the sender). O(max log max).
 * Errors: AEGIS_ERR_NOMEM.
 */
aegis_err aegis_mempool_select(const aegis_mempool *mp, size_t max,
                               const struct aegis_mempool_tx **out, size_t *ret_n) AEGIS_WUR;

/* select() then mark_included() for each record: the records move, in
 * batch order, to *out (caller frees). Errors: AEGIS_ERR_NOMEM (pool unchanged). */
aegis_err aegis_mempool_take(aegis_mempool *mp, size_t max, struct aegis_mempool_txlist *out) AEGIS_WUR;

#endif
