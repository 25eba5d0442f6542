/*
 * order_int.h - the strategy ops table shared by order.c and strategies.c.
 */
#ifndef AEGIS_ORDER_INT_H
#define AEGIS_ORDER_INT_H

#include <stdbool.h>

#include "aegis/order.h"

struct aegis__order_ops {
    const char *name;           /* [intelligence] mode */
    uint8_t id;                 /* AEGIS_ORDER_* (committed in headers) */
    bool level_sensitive;       /* ranking depends on the global risk level */
    size_t n_params;            /* words in the policy encoding after id, n */
    /* required: the rank of tx (pure function of o, variant, tx) */
    void (*rank)(const aegis_order *o, unsigned variant, const struct aegis_mempool_tx *tx,
                 struct aegis_mempool_rank *out);
};

/* What the mempool holds as ranker context: the order and the variant. */
struct aegis__order_rctx {
    const aegis_order *o;
    unsigned variant;           /* 0: normal, 1: scheduled or worse */
};

struct aegis_order {
    const struct aegis__order_ops *ops;
    struct aegis_order_params p;
    uint64_t age_weight;        /* hybrid */
    uint64_t tag;               /* first 8 bytes of the policy hash */
    struct aegis__order_rctx rctx[2];
};

/* The registry, NULL-terminated. */
extern const struct aegis__order_ops *const aegis__order_registry[];

/* Saturate a big-endian u256 to u64. */
uint64_t aegis__order_u256_sat64(const uint8_t v[32]);

#endif
