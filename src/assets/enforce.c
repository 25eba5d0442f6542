/* enforce.c - what a transaction may do to registered assets, checked at
 * admission (batch = NULL) and again while a batch is cut (with the batch's
 * running totals). Pure function of (registry, tx, env, batch totals), so
 * every worker reaches the same verdict. */
#include <stdio.h>
#include <string.h>

#include "assets_int.h"

struct batch_total {
    char id[AEGIS_ASSET_ID_MAX + 1];
    aegis_u256 total;
};

struct aegis_assets_batch {
    struct batch_total *v;
    size_t n, cap;
};

aegis_err aegis_assets_batch_new(aegis_assets_batch **ret)
{
    aegis_assets_batch *b = aegis_calloc(1, sizeof(*b));
    if (!b)
        return AEGIS_ERR_NOMEM;
    *ret = b;
    return AEGIS_OK;
}

void aegis_assets_batch_reset(aegis_assets_batch *b)
{
    b->n = 0;
}

void aegis_assets_batch_free(aegis_assets_batch *b)
{
    if (!b)
        return;
    aegis_free(b->v);
    aegis_free(b);
}

static struct batch_total *batch_find(aegis_assets_batch *b, const char *id)
{
    for (size_t i = 0; b && i < b->n; i++)
        if (strcmp(b->v[i].id, id) == 0)
            return &b->v[i];
    return NULL;
}

static aegis_err batch_add(aegis_assets_batch *b, const char *id, const aegis_u256 *v)
{
    struct batch_total *t = batch_find(b, id);
    if (t) {
        (void)aegis_u256_add(&t->total, &t->total, v);   /* checked against the limit before */
        return AEGIS_OK;
    }
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 8;
        struct batch_total *nv = aegis_realloc(b->v, nc * sizeof(*nv));
        if (!nv)
            return AEGIS_ERR_NOMEM;
        b->v = nv;
        b->cap = nc;
    }
    t = &b->v[b->n++];
    snprintf(t->id, sizeof(t->id), "%s", id);
    t->total = *v;
    return AEGIS_OK;
}

/* ---------------- what the tx does ---------------- */

static void u256_max(aegis_u256 *r)
{
    for (int i = 0; i < 4; i++)
        r->w[i] = UINT64_MAX;
}

static bool is_token_call(aegis_tx_call c)
{
    return c != AEGIS_TX_CALL_NONE && c != AEGIS_TX_CALL_OTHER;
}

static uint32_t op_of(const aegis_tx *tx)
{
    switch (tx->assets.call) {
    case AEGIS_TX_CALL_APPROVE:
        return AEGIS_ASSET_OP_APPROVE;
    case AEGIS_TX_CALL_ERC20_TRANSFER:
    case AEGIS_TX_CALL_TRANSFER_FROM:
    case AEGIS_TX_CALL_ERC721_SAFE_TRANSFER:
    case AEGIS_TX_CALL_ERC1155_SAFE_TRANSFER:
    case AEGIS_TX_CALL_ERC1155_BATCH_TRANSFER:
        return AEGIS_ASSET_OP_TRANSFER;
    case AEGIS_TX_CALL_NONE:
        return aegis_u256_is_zero(&tx->value) ? AEGIS_ASSET_OP_CALL : AEGIS_ASSET_OP_TRANSFER;
    default:
        return AEGIS_ASSET_OP_CALL;
    }
}

/* Does the calldata touch this specific token id? Unknown shapes count as
 * touching: a protected NFT must not slip through a custom selector. */
static bool token_touched(const aegis_tx *tx, const aegis_u256 *id)
{
    const aegis_tx_assets *a = &tx->assets;
    if (!is_token_call(a->call) || !a->args_ok)
        return true;
    if (a->call == AEGIS_TX_CALL_ERC20_TRANSFER)   /* some ERC-721s use transfer(to, id) */
        return a->has_amount && aegis_u256_cmp(&a->amount, id) == 0;
    if (a->n_ids_total > a->n_ids)
        return true;
    for (size_t i = 0; i < a->n_ids; i++)
        if (aegis_u256_cmp(&a->ids[i], id) == 0)
            return true;
    return false;
}

/* The amount of this asset the tx moves (saturating at 2^256-1). */
static void value_of(const aegis_tx *tx, const aegis_asset *e, aegis_u256 *r)
{
    const aegis_tx_assets *a = &tx->assets;
    if (!is_token_call(a->call)) {
        *r = tx->value;
        return;
    }
    if (!a->args_ok || a->n_ids_total > a->n_ids) {
        u256_max(r);   /* cannot be bounded: exceeds any limit */
        return;
    }
    aegis_u256_from_u64(r, 0);
    if (a->call == AEGIS_TX_CALL_ERC20_TRANSFER || a->call == AEGIS_TX_CALL_APPROVE ||
        (a->call == AEGIS_TX_CALL_TRANSFER_FROM && e->type != AEGIS_ASSET_NFT)) {
        if (e->type == AEGIS_ASSET_NFT || e->locator.has_token_id)
            aegis_u256_from_u64(r, 1);
        else if (a->has_amount)
            *r = a->amount;
        return;
    }
    for (size_t i = 0; i < a->n_ids; i++) {
        if (e->locator.has_token_id && aegis_u256_cmp(&a->ids[i], &e->locator.token_id) != 0)
            continue;
        aegis_u256 one;
        aegis_u256_from_u64(&one, 1);
        const aegis_u256 *amt = e->type == AEGIS_ASSET_NFT ? &one : &a->amounts[i];
        if (aegis_u256_add(r, r, amt)) {
            u256_max(r);
            return;
        }
    }
}

static uint16_t risk_of(const aegis_assets_env *env, const char *id)
{
    uint16_t s;
    if (env->risk_override && env->risk_override(env->risk_arg, id, &s))
        return s;
    return env->global_risk;
}

static bool effectively_protected(const aegis_asset *e, const aegis_assets_env *env)
{
    if (e->level == 0)
        return false;
    if (e->state == AEGIS_ASSET_ACTIVE)
        return risk_of(env, e->id) >= e->threshold;
    return true;   /* protected, migrating, frozen and migrated are all locked down */
}

static bool touches(const aegis_tx *tx, const aegis_asset *e)
{
    const aegis_asset_locator *l = &e->locator;
    if (!l->onchain || tx->is_create)
        return false;
    if (tx->chain_id != 0 && l->chain_id != tx->chain_id)   /* chain 0: replayable anywhere */
        return false;
    if (memcmp(l->contract, tx->to, 20) != 0)
        return false;
    return !l->has_token_id || token_touched(tx, &l->token_id);
}

static bool intent_names(const aegis_tx *tx, const char *id)
{
    size_t n = strlen(id);
    return tx->ext.present && tx->ext.has_intent && tx->ext.intent == AEGIS_TX_INTENT_MIGRATION &&
           tx->ext.intent_asset_len == n && memcmp(tx->ext.intent_asset, id, n) == 0;
}

#define FAIL(code) do { err = (code); snprintf(v.asset, sizeof(v.asset), "%s", e->id); goto out; } while (0)

aegis_err aegis_assets_check_tx(const aegis_assets *reg, const aegis_tx *tx, const aegis_assets_env *env,
                                aegis_assets_batch *batch, aegis_assets_verdict *ret)
{
    aegis_assets_verdict v;
    aegis_err err = AEGIS_OK;
    bool need_witness = false;
    /* value-limited assets and this tx's amounts, committed only if all pass */
    size_t n_pending = 0;
    struct { const char *id; aegis_u256 v; } pending[16];
    memset(&v, 0, sizeof(v));
    if (!reg->enable_asset_protection)
        goto out;
    bool declared = tx->ext.present && tx->ext.has_intent && tx->ext.intent == AEGIS_TX_INTENT_MIGRATION;
    v.migration = reg->enable_migration && (declared || (!tx->is_create && aegis__is_migration_contract(reg, tx->to)));
    const char *first = NULL;
    for (size_t i = 0; i < reg->n; i++) {
        const aegis_asset *e = &reg->v[i];
        if (!touches(tx, e) && !(v.migration && intent_names(tx, e->id)))
            continue;
        v.n_touched++;
        if (!first || intent_names(tx, e->id))
            first = e->id;
        if (e->state == AEGIS_ASSET_FROZEN && !v.migration)
            FAIL(AEGIS_ERR_ASSET_FROZEN);
        if (e->state == AEGIS_ASSET_MIGRATED && !v.migration)
            FAIL(AEGIS_ERR_ASSET_MIGRATED);
        if (!effectively_protected(e, env))
            continue;
        if (e->level > v.asset_level)
            v.asset_level = e->level;
        const aegis_asset_policy *p = &e->policy;
        if (!(p->ops & (v.migration ? AEGIS_ASSET_OP_MIGRATE : op_of(tx))))
            FAIL(AEGIS_ERR_ASSET_OP_DENIED);
        if (!aegis__policy_allows_sender(reg, p, tx->sender))
            FAIL(AEGIS_ERR_ASSET_SENDER_DENIED);
        if (p->has_value_limit) {
            aegis_u256 amt, total;
            value_of(tx, e, &amt);
            const struct batch_total *t = batch_find(batch, e->id);
            total = amt;
            bool ovf = t ? aegis_u256_add(&total, &t->total, &amt) : false;
            if (ovf || aegis_u256_cmp(&total, &p->value_limit) > 0)
                FAIL(AEGIS_ERR_ASSET_VALUE_LIMIT);
            if (n_pending == AEGIS_ARRAY_LEN(pending))
                FAIL(AEGIS_ERR_ASSET_VALUE_LIMIT);   /* 16 limited assets in one tx: refuse */
            pending[n_pending].id = e->id;
            pending[n_pending++].v = amt;
        }
        if (p->witness_required || env->level == AEGIS_ASSETS_RISK_EMERGENCY)
            need_witness = true;
    }
    if (need_witness) {
        const uint8_t *pk = aegis_assets_pqc_key(reg, tx->sender);
        if (!tx->ext.present || !tx->ext.witness_sig)
            err = AEGIS_ERR_ASSET_WITNESS_REQUIRED;
        else if (!pk)
            err = AEGIS_ERR_ASSET_NO_PQC_KEY;
        else if (aegis_tx_verify_witness(tx, pk) != AEGIS_OK)
            err = AEGIS_ERR_ASSET_WITNESS_BAD;
        if (err != AEGIS_OK)
            goto out;
    }
    for (size_t i = 0; batch && i < n_pending; i++)
        if ((err = batch_add(batch, pending[i].id, &pending[i].v)) != AEGIS_OK)
            goto out;
    if (v.migration) {
        if (first) {
            v.migration_group = aegis_asset_group_id(first);
        } else {
            uint8_t h[32];
            aegis_keccak256(h, tx->to, 20);
            v.migration_group = aegis_get_be64(h) ? aegis_get_be64(h) : 1;
        }
    }
out:
    if (ret)
        *ret = v;
    return err;
}

aegis_err aegis_assets_activate(aegis_assets *reg, const aegis_assets_env *env, aegis_audit *log,
                                uint64_t now_ms, size_t *ret_changed)
{
    size_t changed = 0;
    aegis_err err = AEGIS_OK;
    for (size_t i = 0; i < reg->n; i++) {
        aegis_asset *e = &reg->v[i];
        uint16_t risk = risk_of(env, e->id);
        if (e->level == 0 || e->state != AEGIS_ASSET_ACTIVE || risk < e->threshold)
            continue;
        e->state = AEGIS_ASSET_PROTECTED;
        changed++;
        if (log) {
            char params[160];
            snprintf(params, sizeof(params), "{\"id\":\"%s\",\"risk\":%u,\"threshold\":%u}", e->id,
                     (unsigned)risk, (unsigned)e->threshold);
            if ((err = aegis_audit_append_event(log, reg, "auto_protect", params, now_ms, NULL, NULL)) != AEGIS_OK) {
                e->state = AEGIS_ASSET_ACTIVE;   /* no change without its record */
                changed--;
                break;
            }
        }
    }
    if (ret_changed)
        *ret_changed = changed;
    return err;
}

void aegis_assets_classify(const void *ctx, const uint8_t *to, const uint8_t sender[static 20],
                           aegis_assets_class *ret)
{
    const aegis_assets *reg = ctx;
    memset(ret, 0, sizeof(*ret));
    ret->sender_has_pqc_key = aegis_assets_pqc_key(reg, sender) != NULL;
    if (!to)
        return;
    ret->migration = reg->enable_migration && aegis__is_migration_contract(reg, to);
    for (size_t i = 0; i < reg->n; i++) {
        const aegis_asset *e = &reg->v[i];
        if (e->locator.onchain && e->state != AEGIS_ASSET_MIGRATED && memcmp(e->locator.contract, to, 20) == 0 &&
            e->level > ret->asset_level)
            ret->asset_level = e->level;
    }
}
