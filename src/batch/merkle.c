/*
 * merkle.c - keccak-256 Merkle tree with domain-separated leaves and nodes
 * and odd-node promotion (see aegis/batch.h and docs/internals/batch.md).
 *
 * Promotion instead of duplication: with duplication, the lists [a, b, c]
 * and [a, b, c, c] share a root (Bitcoin's CVE-2012-2459). The 0x00 / 0x01
 * prefixes keep a leaf from ever being read as an inner node. A proof is
 * verified against (index, n): the shape of the tree decides at which levels
 * a sibling exists, so a path of the wrong length is rejected.
 */
#include <string.h>

#include "aegis/batch.h"
#include "aegis/crypto.h"

void aegis_batch_merkle_leaf(uint8_t out[static 32], const uint8_t item[static 32])
{
    uint8_t buf[33];
    buf[0] = 0x00;
    memcpy(buf + 1, item, 32);
    aegis_keccak256(out, buf, sizeof(buf));
}

void aegis_batch_merkle_node(uint8_t out[static 32], const uint8_t left[static 32],
                             const uint8_t right[static 32])
{
    uint8_t buf[65];
    buf[0] = 0x01;
    memcpy(buf + 1, left, 32);
    memcpy(buf + 33, right, 32);
    aegis_keccak256(out, buf, sizeof(buf));
}

/* Reduce a level of w hashes in place to (w + 1) / 2. */
static size_t reduce(uint8_t (*lv)[32], size_t w)
{
    size_t o = 0;
    for (size_t i = 0; i < w; i += 2, o++) {
        if (i + 1 < w)
            aegis_batch_merkle_node(lv[o], lv[i], lv[i + 1]);
        else
            memmove(lv[o], lv[i], 32);
    }
    return o;
}

aegis_err aegis_batch_merkle_root(const uint8_t (*items)[32], size_t n, uint8_t root[static 32])
{
    if (n == 0) {
        memset(root, 0, 32);
        return AEGIS_OK;
    }
    if (!items)
        return AEGIS_ERR_INVAL;
    if (n == 1) {
        aegis_batch_merkle_leaf(root, items[0]);
        return AEGIS_OK;
    }
    size_t w = (n + 1) / 2;
    uint8_t (*lv)[32] = aegis_malloc(w * 32);
    if (!lv)
        return AEGIS_ERR_NOMEM;
    for (size_t i = 0; i < n; i += 2) {
        uint8_t a[32], b[32];
        aegis_batch_merkle_leaf(a, items[i]);
        if (i + 1 < n) {
            aegis_batch_merkle_leaf(b, items[i + 1]);
            aegis_batch_merkle_node(lv[i / 2], a, b);
        } else {
            memcpy(lv[i / 2], a, 32);
        }
    }
    while (w > 1)
        w = reduce(lv, w);
    memcpy(root, lv[0], 32);
    aegis_free(lv);
    return AEGIS_OK;
}

size_t aegis_batch_merkle_proof_len(size_t index, size_t n)
{
    size_t len = 0;
    for (size_t w = n; w > 1; w = (w + 1) / 2, index >>= 1)
        if (!(index == w - 1 && (w & 1)))
            len++;
    return len;
}

aegis_err aegis_batch_merkle_proof(const uint8_t (*items)[32], size_t n, size_t index,
                                   uint8_t (*path)[32], size_t cap, size_t *ret_len)
{
    if (!items || !ret_len || index >= n)
        return AEGIS_ERR_INVAL;
    size_t need = aegis_batch_merkle_proof_len(index, n);
    if (need > cap || (need && !path))
        return AEGIS_ERR_TOO_BIG;
    uint8_t (*lv)[32] = aegis_malloc(n * 32);
    if (!lv)
        return AEGIS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        aegis_batch_merkle_leaf(lv[i], items[i]);
    size_t k = 0;
    for (size_t w = n; w > 1; index >>= 1) {
        size_t sib = index ^ 1;
        if (sib < w)
            memcpy(path[k++], lv[sib], 32);
        w = reduce(lv, w);
    }
    aegis_free(lv);
    *ret_len = k;
    return AEGIS_OK;
}

aegis_err aegis_batch_merkle_verify(const uint8_t item[static 32], size_t index, size_t n,
                                    const uint8_t (*path)[32], size_t path_len,
                                    const uint8_t root[static 32])
{
    if (index >= n || path_len != aegis_batch_merkle_proof_len(index, n) || (path_len && !path))
        return AEGIS_ERR_BATCH_BAD_PROOF;
    uint8_t cur[32];
    aegis_batch_merkle_leaf(cur, item);
    size_t k = 0;
    for (size_t w = n; w > 1; w = (w + 1) / 2, index >>= 1) {
        if (index == w - 1 && (w & 1))
            continue; /* promoted */
        if (index & 1)
            aegis_batch_merkle_node(cur, path[k], cur);
        else
            aegis_batch_merkle_node(cur, cur, path[k]);
        k++;
    }
    /* The root is public: an ordinary compare is fine, but ct_eq costs nothing. */
    return aegis_ct_eq(cur, root, 32) ? AEGIS_OK : AEGIS_ERR_BATCH_BAD_PROOF;
}
