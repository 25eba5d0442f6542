/*
 * merkle_tree.c - every level of the Merkle tree of merkle.c kept, so that
 * all n proofs of a group cost O(n log n) instead of O(n^2): receipts are
 * signed in groups of hundreds, each carrying its own path.
 *
 * Same tree as aegis_batch_merkle_root/_proof (leaf and node prefixes, odd
 * node promoted); the unit test checks every root and path against them.
 */
#include <string.h>

#include "aegis/batch.h"

struct aegis_batch_merkle_tree {
    size_t n;                  /* items */
    size_t levels;             /* level 0 = leaves, levels - 1 = root */
    size_t off[64];            /* first hash of each level in h[] */
    size_t width[64];
    uint8_t (*h)[32];
};

aegis_err aegis_batch_merkle_tree_new(const uint8_t (*items)[32], size_t n, aegis_batch_merkle_tree **ret)
{
    if (!items || n == 0 || !ret)
        return AEGIS_ERR_INVAL;
    aegis_batch_merkle_tree *t = aegis_calloc(1, sizeof(*t));
    size_t total = 0, levels = 0;
    for (size_t w = n;; w = (w + 1) / 2) {
        total += w;
        levels++;
        if (w == 1)
            break;
    }
    if (t)
        t->h = aegis_malloc(total * 32);
    if (!t || !t->h) {
        aegis_batch_merkle_tree_free(t);
        return AEGIS_ERR_NOMEM;
    }
    t->n = n;
    t->levels = levels;
    for (size_t i = 0; i < n; i++)
        aegis_batch_merkle_leaf(t->h[i], items[i]);
    t->width[0] = n;
    for (size_t l = 1; l < levels; l++) {
        size_t pw = t->width[l - 1];
        const uint8_t (*prev)[32] = (const uint8_t (*)[32])t->h + t->off[l - 1];
        t->off[l] = t->off[l - 1] + pw;
        t->width[l] = (pw + 1) / 2;
        uint8_t (*cur)[32] = t->h + t->off[l];
        for (size_t i = 0; i < pw; i += 2) {
            if (i + 1 < pw)
                aegis_batch_merkle_node(cur[i / 2], prev[i], prev[i + 1]);
            else
                memcpy(cur[i / 2], prev[i], 32);
        }
    }
    *ret = t;
    return AEGIS_OK;
}

void aegis_batch_merkle_tree_root(const aegis_batch_merkle_tree *t, uint8_t root[static 32])
{
    memcpy(root, t->h[t->off[t->levels - 1]], 32);
}


aegis_err aegis_batch_merkle_tree_proof(const aegis_batch_merkle_tree *t, size_t index, uint8_t (*path)[32],
                                        size_t cap, size_t *ret_len)
{
    if (!t || !ret_len || index >= t->n)
        return AEGIS_ERR_INVAL;
    size_t need = aegis_batch_merkle_proof_len(index, t->n);
    if (need > cap || (need && !path))
        return AEGIS_ERR_TOO_BIG;
    size_t k = 0;
    for (size_t l = 0; l + 1 < t->levels; l++, index >>= 1) {
        size_t sib = index ^ 1;
        if (sib < t->width[l])
            memcpy(path[k++], t->h[t->off[l] + sib], 32);
    }
    *ret_len = k;
    return AEGIS_OK;
}

void aegis_batch_merkle_tree_free(aegis_batch_merkle_tree *t)
{
    if (!t)
        return;
    aegis_free(t->h);
    aegis_free(t);
}
