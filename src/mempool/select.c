/*
 * select.c - the next batch under the installed ranker, without mutating.
 *
 * The ready heap holds every sender's eligible head. Reading it in rank order
 * without popping uses the classic lazy walk: a small frontier heap starts
 * with the root; each step takes the frontier's best entry, emits it and
 * pushes its two heap children. Emitting a record also makes the same
 * sender's next nonce eligible, so that record joins the frontier directly.
 * Every frontier entry is a candidate no better than what was already
 * emitted, and every eligible record is reachable from an entry, so each step
 * emits the best eligible record: the greedy order. The frontier never holds
 * more than 1 + 3*max entries, so a cut costs O(max log max) whatever the
 * pool size. The result depends on ranks and tx hashes only (a total order),
 * not on the heap's layout.
 */
#include <string.h>

#include "mempool_int.h"

struct frontier_ent {
    const struct aegis__mp_node *node;
    size_t idx;          /* index in the ready heap, or NOPOS for a successor */
};

static bool ent_before(const struct frontier_ent *a, const struct frontier_ent *b)
{
    return aegis__mp_rank_before(a->node, b->node);
}

static void fr_push(struct frontier_ent *h, size_t *n, struct frontier_ent e)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ent_before(&e, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static struct frontier_ent fr_pop(struct frontier_ent *h, size_t *n)
{
    struct frontier_ent top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && ent_before(&h[c + 1], &h[c]))
            c++;
        if (!ent_before(&h[c], &last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0)
        h[i] = last;
    return top;
}

/* The sender's record right after node, if its nonce follows without a gap. */
static const struct aegis__mp_node *successor(const struct aegis__mp_node *node)
{
    const struct aegis__mp_sender *s = node->sender;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->txs[mid]->pub.nonce <= node->pub.nonce)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n && s->txs[lo]->pub.nonce == node->pub.nonce + 1)
        return s->txs[lo];
    return NULL;
}

aegis_err aegis_mempool_select(const aegis_mempool *mp, size_t max,
                               const struct aegis_mempool_tx **out, size_t *ret_n)
{
    if (!mp || (max && !out) || !ret_n)
        return AEGIS_ERR_INVAL;
    const struct aegis__heap *ready = aegis__mempool_ready(mp);
    size_t total = aegis_mempool_count(mp);
    if (max > total)
        max = total;
    if (max == 0 || ready->n == 0) {
        *ret_n = 0;
        return AEGIS_OK;
    }
    struct frontier_ent *fr = aegis_malloc((1 + 3 * max) * sizeof(*fr));
    if (!fr)
        return AEGIS_ERR_NOMEM;
    size_t fn = 0, k = 0;
    fr_push(fr, &fn, (struct frontier_ent){ ready->v[0], 0 });
    while (k < max && fn > 0) {
        struct frontier_ent e = fr_pop(fr, &fn);
        out[k++] = &e.node->pub;
        if (e.idx != AEGIS__NOPOS) {
            for (size_t c = 2 * e.idx + 1; c <= 2 * e.idx + 2 && c < ready->n; c++)
                fr_push(fr, &fn, (struct frontier_ent){ ready->v[c], c });
        }
        const struct aegis__mp_node *next = successor(e.node);
        if (next)
            fr_push(fr, &fn, (struct frontier_ent){ next, AEGIS__NOPOS });
    }
    aegis_free(fr);
    *ret_n = k;
    return AEGIS_OK;
}

aegis_err aegis_mempool_take(aegis_mempool *mp, size_t max, struct aegis_mempool_txlist *out)
{
    if (!mp || !out)
        return AEGIS_ERR_INVAL;
    size_t total = aegis_mempool_count(mp);
    if (max > total)
        max = total;
    if (max == 0)
        return AEGIS_OK;
    const struct aegis_mempool_tx **sel = aegis_malloc(max * sizeof(*sel));
    if (!sel)
        return AEGIS_ERR_NOMEM;
    size_t n = 0;
    aegis_err err = aegis_mempool_select(mp, max, sel, &n);
    if (err != AEGIS_OK)
        goto out;
    /* Reserve up front so the removals below cannot fail half-way. */
    if (out->n + n > out->cap) {
        void *v = aegis_realloc(out->v, (out->n + n) * sizeof(*out->v));
        if (!v) {
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
        out->v = v;
        out->cap = out->n + n;
    }
    for (size_t i = 0; i < n; i++) {
        /* Each selected record is its sender's lowest pending nonce by now,
         * so marking it included removes exactly that record. */
        uint8_t sender[AEGIS_MEMPOOL_ADDR_BYTES];
        memcpy(sender, sel[i]->sender, sizeof(sender));
        err = aegis_mempool_mark_included(mp, sender, sel[i]->nonce, out);
        if (err != AEGIS_OK)
            aegis_misuse("aegis_mempool_take: reserved removal failed");
    }
out:
    aegis_free(sel);
    return err;
}
