/*
 * assets.c - which assets a call touches: the `to` contract, plus the
 * token ids / amounts of standard ERC-20, ERC-721 and ERC-1155 transfer
 * calldata, decoded with strict Solidity ABI rules (addresses zero-padded,
 * dynamic offsets and lengths in bounds and word-aligned). The EVM would
 * revert on calldata that breaks these rules, so args_ok = false is a hint
 * for the risk policy, never a reason to reject the transaction here.
 *
 * Detection must not be evadable: contracts compiled with the old ABI
 * decoder ignore extra calldata and the high bytes of address words, so
 * extra trailing bytes are accepted and an address word with dirty high
 * bytes still yields its low 20 bytes (with args_ok = false).
 */
#include <string.h>

#include "tx_int.h"

#define SEL_TRANSFER            0xa9059cbbu  /* transfer(address,uint256) */
#define SEL_TRANSFER_FROM       0x23b872ddu  /* transferFrom(address,address,uint256) */
#define SEL_APPROVE             0x095ea7b3u  /* approve(address,uint256) */
#define SEL_721_SAFE            0x42842e0eu  /* safeTransferFrom(address,address,uint256) */
#define SEL_721_SAFE_DATA       0xb88d4fdeu  /* safeTransferFrom(address,address,uint256,bytes) */
#define SEL_1155_SAFE           0xf242432au  /* safeTransferFrom(address,address,uint256,uint256,bytes) */
#define SEL_1155_BATCH          0x2eb2c2d6u  /* safeBatchTransferFrom(address,address,uint256[],uint256[],bytes) */

/* Calldata arguments after the selector. */
typedef struct abi {
    const uint8_t *p;
    size_t n;
    bool dirty;     /* an address word had non-zero high bytes */
} abi;

static const uint8_t *word(const abi *a, size_t i)
{
    if (i >= a->n / 32)
        return NULL;
    return a->p + 32 * i;
}

static bool get_addr(abi *a, size_t i, uint8_t out[20])
{
    static const uint8_t zero12[12];
    const uint8_t *w = word(a, i);
    if (!w)
        return false;
    if (memcmp(w, zero12, 12) != 0)
        a->dirty = true;
    memcpy(out, w + 12, 20);
    return true;
}

static bool get_u256w(const abi *a, size_t i, aegis_u256 *out)
{
    const uint8_t *w = word(a, i);
    if (!w)
        return false;
    aegis_u256_from_be(out, w, 32);
    return true;
}

/* A word that must be a small offset/length: fits in 32 bits. */
static bool get_size(const uint8_t *w, size_t *out)
{
    static const uint8_t zero28[28];
    if (memcmp(w, zero28, 28) != 0)
        return false;
    *out = aegis_get_be32(w + 28);
    return true;
}

/* Dynamic uint256[] at head slot `slot`: returns its element count and a
 * pointer to the first element, bounds-checked. */
static bool get_array(const abi *a, size_t slot, const uint8_t **elems, size_t *count)
{
    const uint8_t *w = word(a, slot);
    size_t off, len;
    if (!w || !get_size(w, &off) || off % 32 != 0 || off > a->n || a->n - off < 32)
        return false;
    if (!get_size(a->p + off, &len))
        return false;
    size_t avail = (a->n - off - 32) / 32;
    if (len > avail)
        return false;
    *elems = a->p + off + 32;
    *count = len;
    return true;
}

/* Dynamic bytes at head slot `slot`: only bounds are checked. */
static bool check_bytes(const abi *a, size_t slot)
{
    const uint8_t *w = word(a, slot);
    size_t off, len;
    if (!w || !get_size(w, &off) || off % 32 != 0 || off > a->n || a->n - off < 32)
        return false;
    if (!get_size(a->p + off, &len))
        return false;
    return len <= a->n - off - 32;
}

static bool decode_1155_batch(abi *a, aegis_tx_assets *r)
{
    const uint8_t *ids, *amounts;
    size_t nid, nam;
    if (!get_addr(a, 0, r->from) || !get_addr(a, 1, r->to))
        return false;
    r->has_from = r->has_to = true;
    if (!get_array(a, 2, &ids, &nid) || !get_array(a, 3, &amounts, &nam) || nid != nam ||
        !check_bytes(a, 4))
        return false;
    r->n_ids_total = nid;
    r->n_ids = nid < AEGIS_TX_MAX_TOKEN_IDS ? nid : AEGIS_TX_MAX_TOKEN_IDS;
    for (size_t i = 0; i < r->n_ids; i++) {
        aegis_u256_from_be(&r->ids[i], ids + 32 * i, 32);
        aegis_u256_from_be(&r->amounts[i], amounts + 32 * i, 32);
    }
    return true;
}

static void set_one_id(aegis_tx_assets *r, const aegis_u256 *id, uint64_t amount)
{
    r->ids[0] = *id;
    aegis_u256_from_u64(&r->amounts[0], amount);
    r->n_ids = r->n_ids_total = 1;
}

static bool decode_args(uint32_t sel, abi *a, aegis_tx_assets *r)
{
    switch (sel) {
    case SEL_TRANSFER:
    case SEL_APPROVE:
        if (a->n < 64 || !get_addr(a, 0, r->to) || !get_u256w(a, 1, &r->amount))
            return false;
        r->has_to = r->has_amount = true;
        if (sel == SEL_APPROVE)
            set_one_id(r, &r->amount, 1);
        return true;
    case SEL_TRANSFER_FROM:
        if (a->n < 96 || !get_addr(a, 0, r->from) || !get_addr(a, 1, r->to) ||
            !get_u256w(a, 2, &r->amount))
            return false;
        r->has_from = r->has_to = r->has_amount = true;
        set_one_id(r, &r->amount, 1);
        return true;
    case SEL_721_SAFE:
        if (a->n < 96 || !get_addr(a, 0, r->from) || !get_addr(a, 1, r->to) ||
            !get_u256w(a, 2, &r->ids[0]))
            return false;
        r->has_from = r->has_to = true;
        set_one_id(r, &r->ids[0], 1);
        return true;
    case SEL_721_SAFE_DATA:
        if (!get_addr(a, 0, r->from) || !get_addr(a, 1, r->to) || !get_u256w(a, 2, &r->ids[0]) ||
            !check_bytes(a, 3))
            return false;
        r->has_from = r->has_to = true;
        set_one_id(r, &r->ids[0], 1);
        return true;
    case SEL_1155_SAFE: {
        aegis_u256 id, amount;
        if (!get_addr(a, 0, r->from) || !get_addr(a, 1, r->to) || !get_u256w(a, 2, &id) ||
            !get_u256w(a, 3, &amount) || !check_bytes(a, 4))
            return false;
        r->has_from = r->has_to = true;
        r->ids[0] = id;
        r->amounts[0] = amount;
        r->n_ids = r->n_ids_total = 1;
        return true;
    }
    case SEL_1155_BATCH:
        return decode_1155_batch(a, r);
    default:
        return false;
    }
}

static aegis_tx_call call_kind(uint32_t sel)
{
    switch (sel) {
    case SEL_TRANSFER: return AEGIS_TX_CALL_ERC20_TRANSFER;
    case SEL_TRANSFER_FROM: return AEGIS_TX_CALL_TRANSFER_FROM;
    case SEL_APPROVE: return AEGIS_TX_CALL_APPROVE;
    case SEL_721_SAFE:
    case SEL_721_SAFE_DATA: return AEGIS_TX_CALL_ERC721_SAFE_TRANSFER;
    case SEL_1155_SAFE: return AEGIS_TX_CALL_ERC1155_SAFE_TRANSFER;
    case SEL_1155_BATCH: return AEGIS_TX_CALL_ERC1155_BATCH_TRANSFER;
    default: return AEGIS_TX_CALL_OTHER;
    }
}

void aegis_tx_assets_decode(aegis_tx_assets *ret, const uint8_t *to, const uint8_t *data,
                            size_t data_len)
{
    aegis_tx_assets r;
    memset(&r, 0, sizeof(r));
    if (to) {
        r.has_contract = true;
        memcpy(r.contract, to, 20);
    }
    if (!to || data_len == 0) {
        *ret = r;
        return;
    }
    if (data_len < 4) {
        r.call = AEGIS_TX_CALL_OTHER;
        *ret = r;
        return;
    }
    r.selector = aegis_get_be32(data);
    r.call = call_kind(r.selector);
    if (r.call != AEGIS_TX_CALL_OTHER) {
        /* Keep whatever decoded (e.g. from/to before a bad array). */
        abi a = { data + 4, data_len - 4, false };
        bool ok = decode_args(r.selector, &a, &r);
        r.args_ok = ok && !a.dirty;
    }
    *ret = r;
}
