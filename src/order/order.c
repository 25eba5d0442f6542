/*
 * order.c - strategy lifecycle, canonical policy encoding and hash, and the
 * glue that installs a strategy's ranker in the mempool.
 */
#include <string.h>

#include "aegis/crypto.h"
#include "order_int.h"

#define PARAM_MAX 1000000u

void aegis_order_params_defaults(struct aegis_order_params *p)
{
    memset(p, 0, sizeof(*p));
    p->w_risk = 3;
    p->w_asset = 4;
    p->w_migration = 2;
    p->w_fee = 1;
    p->fee_unit_wei = 100000000ull;
    p->max_wait = 10;
}

/* Parameter words of the policy encoding, in order. */
static void params_words(const aegis_order *o, uint64_t w[AEGIS_ORDER_MAX_PARAMS])
{
    const struct aegis_order_params *p = &o->p;
    w[0] = p->w_risk;
    w[1] = p->w_asset;
    w[2] = p->w_migration;
    w[3] = p->w_fee;
    w[4] = p->fee_unit_wei;
    w[5] = p->max_wait;
}

static aegis_err check_params(const struct aegis_order_params *p)
{
    if (p->max_wait == 0 || p->max_wait > PARAM_MAX || p->fee_unit_wei == 0 ||
        p->w_risk > PARAM_MAX || p->w_asset > PARAM_MAX || p->w_migration > PARAM_MAX ||
        p->w_fee > PARAM_MAX)
        return AEGIS_ERR_ORDER_BAD_PARAMS;
    if (p->w_risk + p->w_asset + p->w_migration + p->w_fee == 0)
        return AEGIS_ERR_ORDER_BAD_PARAMS;
    return AEGIS_OK;
}

static aegis_err order_make(const struct aegis__order_ops *ops, const struct aegis_order_params *p,
                            aegis_order **ret)
{
    struct aegis_order_params params;
    aegis_order_params_defaults(&params);
    if (ops->n_params == 0) {
        /* Parameterless strategies: the defaults are kept only for the
         * record; the policy encoding carries no parameter. */
    } else {
        if (p)
            params = *p;
        aegis_err err = check_params(&params);
        if (err != AEGIS_OK)
            return err;
    }
    aegis_order *o = aegis_calloc(1, sizeof(*o));
    if (!o)
        return AEGIS_ERR_NOMEM;
    o->ops = ops;
    o->p = params;
    if (ops->id == AEGIS_ORDER_HYBRID) {
        /* S_max / w < max_wait: see ordering.md for the bound it gives. */
        uint64_t s_max = 10000ull * ((uint64_t)params.w_risk + params.w_asset + params.w_migration +
                                     params.w_fee);
        o->age_weight = s_max / params.max_wait + 1;
    }
    uint8_t h[32];
    aegis_order_policy_hash(o, h);
    o->tag = aegis_get_be64(h);
    for (unsigned v = 0; v < 2; v++) {
        o->rctx[v].o = o;
        o->rctx[v].variant = v;
    }
    *ret = o;
    return AEGIS_OK;
}

aegis_err aegis_order_new(const char *name, const struct aegis_order_params *p, aegis_order **ret)
{
    if (!name || !ret)
        return AEGIS_ERR_INVAL;
    for (size_t i = 0; aegis__order_registry[i]; i++)
        if (strcmp(aegis__order_registry[i]->name, name) == 0)
            return order_make(aegis__order_registry[i], p, ret);
    return AEGIS_ERR_ORDER_UNKNOWN_STRATEGY;
}

void aegis_order_free(aegis_order *o)
{
    aegis_free(o);
}

const char *aegis_order_name(const aegis_order *o) { return o->ops->name; }
uint8_t aegis_order_strategy_id(const aegis_order *o) { return o->ops->id; }
uint64_t aegis_order_age_weight(const aegis_order *o) { return o->age_weight; }

static void put_word(uint8_t *w, uint64_t v)
{
    memset(w, 0, 24);
    aegis_put_be64(w + 24, v);
}

size_t aegis_order_policy_encode(const aegis_order *o, uint8_t *out, size_t cap)
{
    size_t n = o->ops->n_params, len = 32 * (2 + n);
    if (!out || cap < len)
        return 0;
    uint64_t w[AEGIS_ORDER_MAX_PARAMS];
    params_words(o, w);
    put_word(out, o->ops->id);
    put_word(out + 32, n);
    for (size_t i = 0; i < n; i++)
        put_word(out + 64 + 32 * i, w[i]);
    return len;
}

void aegis_order_policy_hash(const aegis_order *o, uint8_t out[static 32])
{
    uint8_t enc[AEGIS_ORDER_POLICY_MAX_BYTES];
    size_t len = aegis_order_policy_encode(o, enc, sizeof(enc));
    aegis_keccak256(out, enc, len);
}

/* A word that must hold a value below 2^64: 24 zero bytes, then the value. */
static bool get_word(const uint8_t *w, uint64_t *v)
{
    for (int i = 0; i < 24; i++)
        if (w[i])
            return false;
    *v = aegis_get_be64(w + 24);
    return true;
}

aegis_err aegis_order_policy_decode(const uint8_t *enc, size_t len, aegis_order **ret)
{
    uint64_t id, n;
    if (!enc || !ret || len < 64 || len % 32 || !get_word(enc, &id) || !get_word(enc + 32, &n))
        return AEGIS_ERR_ORDER_BAD_POLICY;
    const struct aegis__order_ops *ops = NULL;
    for (size_t i = 0; aegis__order_registry[i]; i++)
        if (aegis__order_registry[i]->id == id)
            ops = aegis__order_registry[i];
    if (!ops || n != ops->n_params || len != 32 * (2 + n))
        return AEGIS_ERR_ORDER_BAD_POLICY;
    uint64_t w[AEGIS_ORDER_MAX_PARAMS] = { 0 };
    for (size_t i = 0; i < n; i++)
        if (!get_word(enc + 64 + 32 * i, &w[i]))
            return AEGIS_ERR_ORDER_BAD_POLICY;
    struct aegis_order_params p;
    aegis_order_params_defaults(&p);
    if (n) {
        for (size_t i = 0; i < 4; i++)
            if (w[i] > PARAM_MAX)
                return AEGIS_ERR_ORDER_BAD_PARAMS;
        if (w[5] > PARAM_MAX)
            return AEGIS_ERR_ORDER_BAD_PARAMS;
        p.w_risk = (uint32_t)w[0];
        p.w_asset = (uint32_t)w[1];
        p.w_migration = (uint32_t)w[2];
        p.w_fee = (uint32_t)w[3];
        p.fee_unit_wei = w[4];
        p.max_wait = (uint32_t)w[5];
    }
    return order_make(ops, &p, ret);
}

/* ---------------- mempool glue ---------------- */

static unsigned variant_of(const aegis_order *o, unsigned level)
{
    return o->ops->level_sensitive && level >= AEGIS_ORDER_LEVEL_SCHEDULED ? 1 : 0;
}

static void mempool_rank(const void *ctx, const struct aegis_mempool_tx *tx, struct aegis_mempool_rank *out)
{
    const struct aegis__order_rctx *rc = ctx;
    rc->o->ops->rank(rc->o, rc->variant, tx, out);
}

void aegis_order_rank(const aegis_order *o, unsigned risk_level, const struct aegis_mempool_tx *tx,
                      struct aegis_mempool_rank *out)
{
    o->ops->rank(o, variant_of(o, risk_level), tx, out);
}

void aegis_order_attach(aegis_order *o, aegis_mempool *mp, unsigned risk_level)
{
    unsigned v = variant_of(o, risk_level);
    uint64_t tag = o->tag ^ v;
    if (!aegis_mempool_ranker_is(mp, mempool_rank, &o->rctx[v], tag))
        aegis_mempool_set_ranker(mp, mempool_rank, &o->rctx[v], tag);
}

aegis_err aegis_order_cut(aegis_order *o, aegis_mempool *mp, unsigned risk_level, size_t max,
                          const struct aegis_mempool_tx **out, size_t *ret_n)
{
    if (!o || !mp || risk_level > AEGIS_ORDER_LEVEL_EMERGENCY)
        return AEGIS_ERR_INVAL;
    aegis_order_attach(o, mp, risk_level);
    return aegis_mempool_select(mp, max, out, ret_n);
}

aegis_err aegis_order_take(aegis_order *o, aegis_mempool *mp, unsigned risk_level, size_t max,
                           struct aegis_mempool_txlist *out)
{
    if (!o || !mp || risk_level > AEGIS_ORDER_LEVEL_EMERGENCY)
        return AEGIS_ERR_INVAL;
    aegis_order_attach(o, mp, risk_level);
    return aegis_mempool_take(mp, max, out);
}
