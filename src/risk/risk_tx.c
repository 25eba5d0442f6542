/* risk_tx.c - per-transaction risk (the formula in risk.h and
 * docs/internals/risk.md) and the mempool classifier built on it. */
#include <string.h>

#include "risk_int.h"

/* Number of significant bits of a 256-bit big-endian value (0 for 0). */
static unsigned bitlen256(const uint8_t v[32])
{
    for (unsigned i = 0; i < 32; i++)
        if (v[i]) {
            unsigned b = 8;
            while (!(v[i] & 0x80u >> (8 - b)))
                b--;
            return (31 - i) * 8 + b;
        }
    return 0;
}

uint16_t aegis_risk_tx_score(const struct aegis_risk_tx_input *in)
{
    uint32_t g = in->global_score > AEGIS_RISK_SCORE_MAX ? AEGIS_RISK_SCORE_MAX : in->global_score;
    uint32_t lvl = in->asset_level > AEGIS_ASSET_LEVEL_MAX ? AEGIS_ASSET_LEVEL_MAX : in->asset_level;
    uint32_t s = g * (in->sender_pqc ? 2500u : 10000u) / 10000u;
    s += 1000u * lvl;
    unsigned bits = in->value ? bitlen256(in->value) : 0;
    if (bits > 50) {
        uint32_t v = 100u * (bits - 50);
        s += v > 2000 ? 2000 : v;
    }
    if (in->migration)
        s += 1000u + g / 5u;
    return (uint16_t)(s > AEGIS_RISK_SCORE_MAX ? AEGIS_RISK_SCORE_MAX : s);
}

static aegis_err classify(void *ctx, const struct aegis_mempool_tx *tx, struct aegis_tx_class *out)
{
    const aegis_risk_classifier *rc = ctx;
    struct aegis_risk_tx_facts f;
    memset(&f, 0, sizeof(f));
    if (rc->lookup) {
        aegis_err err = rc->lookup(rc->lookup_ctx, tx, &f);
        if (err != AEGIS_OK)
            return err;
        f.asset_id[AEGIS_RISK_ASSET_ID_MAX] = '\0';
    }
    if (tx->flags & AEGIS_MEMPOOL_TX_DECLARED_MIGRATION) {
        f.migration = true;
        if (!f.migration_group)
            f.migration_group = tx->declared_group;
    }
    uint16_t g = 0;
    if (rc->mon)
        (void)aegis_risk_asset_score(rc->mon, f.asset_id, &g);   /* global when no override */
    struct aegis_risk_tx_input in = {
        .global_score = g, .sender_pqc = f.sender_pqc, .asset_level = f.asset_level,
        .value = tx->value, .migration = f.migration,
    };
    out->risk_score = aegis_risk_tx_score(&in);
    out->asset_level = f.asset_level > AEGIS_ASSET_LEVEL_MAX ? AEGIS_ASSET_LEVEL_MAX : f.asset_level;
    out->migration = f.migration;
    out->migration_group = f.migration ? f.migration_group : 0;
    return AEGIS_OK;
}

struct aegis_classifier aegis_risk_classifier_iface(aegis_risk_classifier *rc)
{
    struct aegis_classifier c = { rc, classify };
    return c;
}
