/*
 * strategies.c - the rank functions of the five strategies and the registry.
 *
 * A rank is three u64 words compared lexicographically, larger first; the
 * mempool breaks remaining ties by tx hash ascending. ~envelope_id puts the
 * earlier envelope (durable log position, identical on every worker) first.
 * Ranks must not change while a record is pooled: hybrid aging is folded into
 * the key as score - w * admitted_batch (see docs/internals/ordering.md).
 */
#include <string.h>

#include "order_int.h"

uint64_t aegis__order_u256_sat64(const uint8_t v[32])
{
    for (int i = 0; i < 24; i++)
        if (v[i])
            return UINT64_MAX;
    return aegis_get_be64(v + 24);
}

static void rank_fifo(const aegis_order *o, unsigned variant, const struct aegis_mempool_tx *tx,
                      struct aegis_mempool_rank *out)
{
    (void)o;
    (void)variant;
    out->k[0] = 0;
    out->k[1] = 0;
    out->k[2] = ~tx->envelope_id;
}

/* risk: highest risk score first, then the higher tip, then arrival. */
static void rank_risk(const aegis_order *o, unsigned variant, const struct aegis_mempool_tx *tx,
                      struct aegis_mempool_rank *out)
{
    (void)o;
    (void)variant;
    out->k[0] = tx->cls.risk_score;
    out->k[1] = aegis__order_u256_sat64(tx->priority_fee);
    out->k[2] = ~tx->envelope_id;
}

/* asset: highest protection level first, then risk score, then arrival. */
static void rank_asset(const aegis_order *o, unsigned variant, const struct aegis_mempool_tx *tx,
                       struct aegis_mempool_rank *out)
{
    (void)o;
    (void)variant;
    out->k[0] = tx->cls.asset_level;
    out->k[1] = tx->cls.risk_score;
    out->k[2] = ~tx->envelope_id;
}

/* migration: at scheduled or worse, migration records first, grouped by
 * group id ascending, each group in arrival order; otherwise plain fifo. */
static void rank_migration(const aegis_order *o, unsigned variant, const struct aegis_mempool_tx *tx,
                           struct aegis_mempool_rank *out)
{
    (void)o;
    bool mig = variant >= 1 && tx->cls.migration;
    out->k[0] = mig ? 1 : 0;
    out->k[1] = mig ? ~tx->cls.migration_group : 0;
    out->k[2] = ~tx->envelope_id;
}

/* hybrid: static weighted score S (0..S_max) minus w * admitted_batch. */
static void rank_hybrid(const aegis_order *o, unsigned variant, const struct aegis_mempool_tx *tx,
                        struct aegis_mempool_rank *out)
{
    (void)variant;
    const struct aegis_order_params *p = &o->p;
    uint64_t fee = aegis__order_u256_sat64(tx->priority_fee) / p->fee_unit_wei;
    if (fee > 10000)
        fee = 10000;
    uint64_t s = (uint64_t)p->w_risk * tx->cls.risk_score +
                 (uint64_t)p->w_asset * ((uint64_t)tx->cls.asset_level * 10000 / AEGIS_ASSET_LEVEL_MAX) +
                 (uint64_t)p->w_migration * (tx->cls.migration ? 10000u : 0u) +
                 (uint64_t)p->w_fee * fee;
    __int128 key = (__int128)s - (__int128)o->age_weight * (__int128)tx->admitted_batch;
    if (key < (__int128)INT64_MIN)
        key = INT64_MIN;
    /* Bias the signed key into unsigned order. */
    out->k[0] = (uint64_t)(int64_t)key ^ (1ull << 63);
    out->k[1] = aegis__order_u256_sat64(tx->priority_fee);
    out->k[2] = ~tx->envelope_id;
}

static const struct aegis__order_ops ops_fifo = {
    .name = "fifo", .id = AEGIS_ORDER_FIFO, .rank = rank_fifo,
};
static const struct aegis__order_ops ops_risk = {
    .name = "risk", .id = AEGIS_ORDER_RISK, .rank = rank_risk,
};
static const struct aegis__order_ops ops_asset = {
    .name = "asset", .id = AEGIS_ORDER_ASSET, .rank = rank_asset,
};
static const struct aegis__order_ops ops_migration = {
    .name = "migration", .id = AEGIS_ORDER_MIGRATION, .level_sensitive = true, .rank = rank_migration,
};
static const struct aegis__order_ops ops_hybrid = {
    .name = "hybrid", .id = AEGIS_ORDER_HYBRID, .n_params = 6, .rank = rank_hybrid,
};

const struct aegis__order_ops *const aegis__order_registry[] = {
    &ops_fifo, &ops_risk, &ops_asset, &ops_migration, &ops_hybrid, NULL,
};
