/*
 * aegis/order.h - deterministic, pluggable ordering strategies.
 *
 * A strategy is an entry of a const ops table chosen by name ([intelligence]
 * mode): fifo, risk, asset, migration, hybrid. Each maps an admitted record
 * to a fixed rank key (struct aegis_mempool_rank) that it installs in the
 * mempool; the mempool then selects the next batch greedily by rank, keeping
 * per-sender nonce order, with tx hash as the final tie-break. The order is
 * therefore a function of the admitted set, the strategy parameters and the
 * global risk level only: no wall clock, pointer order, hash-table order or
 * admission sequence (which differs between workers) enters it. The
 * replicated inputs a rank may use are the record's fields, its class,
 * envelope_id (the durable log position) and admitted_batch.
 *
 * Policy: each strategy has an id (u8) and parameters; the canonical policy
 * encoding is abi.encode(uint8 id, uint256 n, uint64 p_1, ..., uint64 p_n),
 * i.e. 2+n big-endian 32-byte words, and the policy hash the batch header
 * commits to is keccak-256 of it. See docs/internals/ordering.md.
 *
 * Thread-safety: an aegis_order is immutable after creation except for the
 * ranker it installs in a mempool; use it from the thread that owns the pool.
 */
#ifndef AEGIS_ORDER_H
#define AEGIS_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "aegis/mempool.h"
#include "aegis/util.h"

/* Strategy ids (committed in batch headers: never renumber). */
#define AEGIS_ORDER_FIFO        1
#define AEGIS_ORDER_RISK        2
#define AEGIS_ORDER_ASSET       3
#define AEGIS_ORDER_MIGRATION   4
#define AEGIS_ORDER_HYBRID      5

/* Global quantum-risk levels as the ordering sees them. */
#define AEGIS_ORDER_LEVEL_NORMAL     0
#define AEGIS_ORDER_LEVEL_SCHEDULED  1
#define AEGIS_ORDER_LEVEL_EMERGENCY  2

#define AEGIS_ORDER_MAX_PARAMS       8
#define AEGIS_ORDER_POLICY_MAX_BYTES (32 * (2 + AEGIS_ORDER_MAX_PARAMS))

/* Parameters; only hybrid has any. Weights are integers (no floating point
 * anywhere in ordering). */
struct aegis_order_params {
    uint32_t w_risk;        /* default 3, per risk point (0..10000) */
    uint32_t w_asset;       /* default 4, per asset point (level * 10000 / 3) */
    uint32_t w_migration;   /* default 2, per migration point (10000 if migration) */
    uint32_t w_fee;         /* default 1, per fee point (min(fee / fee_unit, 10000)) */
    uint64_t fee_unit_wei;  /* default 100000000 (0.1 gwei): 10000 points = 1000 gwei */
    uint32_t max_wait;      /* aging bound in batches, default 10 ([batch] max_wait) */
};
void aegis_order_params_defaults(struct aegis_order_params *p);

typedef struct aegis_order aegis_order;

/*
 * Create a strategy by name ("fifo", "risk", "asset", "migration",
 * "hybrid"); p may be NULL for the defaults. Errors:
 * AEGIS_ERR_ORDER_UNKNOWN_STRATEGY, AEGIS_ERR_ORDER_BAD_PARAMS (hybrid:
 * max_wait 0 or > 1000000, a weight > 1000000, fee_unit 0, all weights 0),
 * AEGIS_ERR_NOMEM.
 */
aegis_err aegis_order_new(const char *name, const struct aegis_order_params *p, aegis_order **ret) AEGIS_WUR;
/* Free; accepts NULL. A mempool that has this order's ranker installed must
 * get another one (or be freed) before the next admission. */
void aegis_order_free(aegis_order *o);

const char *aegis_order_name(const aegis_order *o);
uint8_t aegis_order_strategy_id(const aegis_order *o);
/* Hybrid: the aging weight per batch waited (derived from the weights and
 * max_wait, see ordering.md); 0 for the other strategies. */
uint64_t aegis_order_age_weight(const aegis_order *o);

/* The canonical policy encoding (2+n words) into out; returns its length or
 * 0 when cap is too small. */
size_t aegis_order_policy_encode(const aegis_order *o, uint8_t *out, size_t cap);
/* keccak-256 of the policy encoding (what the batch header commits to). */
void aegis_order_policy_hash(const aegis_order *o, uint8_t out[static 32]);
/* Rebuild a strategy from its canonical encoding (strict: exact length,
 * zero padding, known id, valid params). AEGIS_ERR_ORDER_BAD_POLICY,
 * AEGIS_ERR_ORDER_BAD_PARAMS, AEGIS_ERR_NOMEM. */
aegis_err aegis_order_policy_decode(const uint8_t *enc, size_t len, aegis_order **ret) AEGIS_WUR;

/* Install this strategy's ranker for the given global risk level in mp
 * (O(n) the first time or when the level changes the ranking; otherwise a
 * no-op). The order must outlive its use by mp. */
void aegis_order_attach(aegis_order *o, aegis_mempool *mp, unsigned risk_level);

/*
 * The next batch: attach (as above), then aegis_mempool_select(): up to max
 * records, borrowed from the pool (valid until they leave it).
 * Errors: AEGIS_ERR_INVAL (level > 2), AEGIS_ERR_NOMEM.
 */
aegis_err aegis_order_cut(aegis_order *o, aegis_mempool *mp, unsigned risk_level, size_t max,
                          const struct aegis_mempool_tx **out, size_t *ret_n) AEGIS_WUR;
/* Same, removing the records (marked included) into *out (caller frees). */
aegis_err aegis_order_take(aegis_order *o, aegis_mempool *mp, unsigned risk_level, size_t max,
                           struct aegis_mempool_txlist *out) AEGIS_WUR;

/* The rank a strategy gives a record (tests, tools). */
void aegis_order_rank(const aegis_order *o, unsigned risk_level, const struct aegis_mempool_tx *tx,
                      struct aegis_mempool_rank *out);

#endif
