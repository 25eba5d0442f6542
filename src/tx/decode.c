/*
 * decode.c - one signed Ethereum transaction, checked as a node checks it.
 *
 * Order of checks (the first failure is reported):
 *   1. size limit, envelope (legacy list or supported EIP-2718 type byte);
 *   2. canonical RLP of the list and its fields, exact field count, nothing
 *      after the list (unless an Aegis extension is allowed and follows);
 *   3. field shapes: canonical integers within their widths, `to` empty or
 *      20 bytes, access-list structure;
 *   4. chain id / v, r and s ranges, low s;
 *   5. stateless limits: nonce < 2^64-1, priority fee <= max fee,
 *      gas * price < 2^256, initcode size, intrinsic gas;
 *   6. signing hash, secp256k1 recovery of the sender, tx hash.
 * (Steps 4 and 5 follow the upstream filling client: signature shape is
 * judged before gas, so error codes match its exception names more often.)
 * Every check needs only the input: hashing streams over the input's own
 * canonical field encodings, so decoding never allocates.
 */
#include <string.h>

#include "aegis/crypto.h"
#include "aegis/rlp.h"
#include "tx_int.h"

const uint8_t aegis__secp256k1_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};
const uint8_t aegis__secp256k1_half_n[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};

static const uint8_t zero32[32];

aegis_err aegis__tx_check_rs(const uint8_t r[static 32], const uint8_t s[static 32])
{
    if (memcmp(r, zero32, 32) == 0 || memcmp(s, zero32, 32) == 0)
        return AEGIS_ERR_TX_SIG_RANGE;
    if (memcmp(r, aegis__secp256k1_n, 32) >= 0 || memcmp(s, aegis__secp256k1_n, 32) >= 0)
        return AEGIS_ERR_TX_SIG_RANGE;
    if (memcmp(s, aegis__secp256k1_half_n, 32) > 0)
        return AEGIS_ERR_TX_SIG_HIGH_S;
    return AEGIS_OK;
}

void aegis_tx_config_default(aegis_tx_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->chain_id = 1;
    cfg->max_bytes = AEGIS_TX_DEFAULT_MAX_BYTES;
}

uint64_t aegis_tx_intrinsic_gas(bool is_create, const uint8_t *data, size_t data_len,
                                size_t al_addresses, size_t al_keys)
{
    uint64_t g = AEGIS_TX_GAS_BASE;
    size_t zeros = 0;
    for (size_t i = 0; i < data_len; i++)
        zeros += data[i] == 0;
    g += (uint64_t)zeros * AEGIS_TX_GAS_ZERO_BYTE;
    g += (uint64_t)(data_len - zeros) * AEGIS_TX_GAS_NONZERO_BYTE;
    if (is_create) {
        g += AEGIS_TX_GAS_CREATE;
        g += (((uint64_t)data_len + 31) / 32) * AEGIS_TX_GAS_INITCODE_WORD;
    }
    g += (uint64_t)al_addresses * AEGIS_TX_GAS_AL_ADDRESS;
    g += (uint64_t)al_keys * AEGIS_TX_GAS_AL_KEY;
    return g;
}

/* Field decoding context: records a static message for the first error. */
typedef struct field_ctx {
    const char *msg;
} field_ctx;

static aegis_err fail(field_ctx *fc, aegis_err err, const char *msg)
{
    fc->msg = msg;
    return err;
}

/* Canonical integer of at most `width` bytes into a u256; over-wide gives
 * too_big_err (a field-specific code). */
static aegis_err get_u256(field_ctx *fc, const aegis_rlp_item *it, size_t width,
                          aegis_err too_big_err, aegis_u256 *out, const char *name)
{
    uint8_t be[32];
    aegis_err err = aegis_rlp_get_be(it, be, width);
    if (err == AEGIS_ERR_RLP_INT_TOO_BIG)
        err = too_big_err;
    if (err)
        return fail(fc, err, name);
    aegis_u256_from_be(out, be, width);
    return AEGIS_OK;
}

static aegis_err get_u64(field_ctx *fc, const aegis_rlp_item *it, aegis_err too_big_err,
                         uint64_t *out, const char *name)
{
    aegis_err err = aegis_rlp_get_uint(it, out);
    if (err == AEGIS_ERR_RLP_INT_TOO_BIG)
        err = too_big_err;
    return err ? fail(fc, err, name) : AEGIS_OK;
}

static aegis_err get_to(field_ctx *fc, const aegis_rlp_item *it, aegis_tx *tx)
{
    if (it->is_list)
        return fail(fc, AEGIS_ERR_RLP_EXPECTED_STRING, "to: is a list");
    if (it->len == 0) {
        tx->is_create = true;
        memset(tx->to, 0, 20);
        return AEGIS_OK;
    }
    if (it->len != 20)
        return fail(fc, AEGIS_ERR_TX_ADDRESS_LENGTH,
                    it->len < 20 ? "to: shorter than 20 bytes" : "to: longer than 20 bytes");
    tx->is_create = false;
    memcpy(tx->to, it->payload, 20);
    return AEGIS_OK;
}

/* accessList = [[address(20), [storageKey(32), ...]], ...] */
static aegis_err get_access_list(field_ctx *fc, const aegis_rlp_item *al, aegis_tx *tx)
{
    if (!al->is_list)
        return fail(fc, AEGIS_ERR_TX_ACCESS_LIST, "accessList: not a list");
    size_t addrs = 0, keys = 0;
    aegis_rlp_iter it;
    aegis_rlp_iter_init(&it, al);
    while (aegis_rlp_iter_more(&it)) {
        aegis_rlp_item entry, pair[2];
        aegis_err err = aegis_rlp_iter_next(&it, &entry);
        if (err)
            return fail(fc, err, "accessList: entry");
        if (!entry.is_list)
            return fail(fc, AEGIS_ERR_TX_ACCESS_LIST, "accessList: entry is not a list");
        err = aegis_rlp_split(&entry, pair, 2);
        if (err == AEGIS_ERR_RLP_FIELD_COUNT)
            return fail(fc, AEGIS_ERR_TX_ACCESS_LIST, "accessList: entry is not [address, keys]");
        if (err)
            return fail(fc, err, "accessList: entry");
        if (pair[0].is_list || pair[0].len != 20)
            return fail(fc, AEGIS_ERR_TX_ACCESS_LIST, "accessList: address is not 20 bytes");
        if (!pair[1].is_list)
            return fail(fc, AEGIS_ERR_TX_ACCESS_LIST, "accessList: storage keys not a list");
        aegis_rlp_iter kit;
        aegis_rlp_iter_init(&kit, &pair[1]);
        while (aegis_rlp_iter_more(&kit)) {
            aegis_rlp_item key;
            err = aegis_rlp_iter_next(&kit, &key);
            if (err)
                return fail(fc, err, "accessList: storage key");
            if (key.is_list || key.len != 32)
                return fail(fc, AEGIS_ERR_TX_ACCESS_LIST, "accessList: storage key is not 32 bytes");
            keys++;
        }
        addrs++;
    }
    tx->access_list_addresses = addrs;
    tx->access_list_keys = keys;
    tx->access_list_rlp = al->raw;
    tx->access_list_rlp_len = al->raw_len;
    return AEGIS_OK;
}

static aegis_err get_sig(field_ctx *fc, const aegis_rlp_item *r, const aegis_rlp_item *s, aegis_tx *tx)
{
    aegis_err err = aegis_rlp_get_be(r, tx->r, 32);
    if (err)
        return fail(fc, err == AEGIS_ERR_RLP_INT_TOO_BIG ? AEGIS_ERR_TX_SIG_RANGE : err, "r");
    err = aegis_rlp_get_be(s, tx->s, 32);
    if (err)
        return fail(fc, err == AEGIS_ERR_RLP_INT_TOO_BIG ? AEGIS_ERR_TX_SIG_RANGE : err, "s");
    return AEGIS_OK;
}

/* Legacy v: 27/28 (pre-EIP-155) or chain_id * 2 + 35/36 for our chain. */
static aegis_err legacy_v(field_ctx *fc, const aegis_tx_config *cfg, aegis_tx *tx)
{
    aegis_u256 k27, k28, want, want1, one, two, c35;
    aegis_u256_from_u64(&k27, 27);
    aegis_u256_from_u64(&k28, 28);
    if (aegis_u256_cmp(&tx->v, &k27) == 0 || aegis_u256_cmp(&tx->v, &k28) == 0) {
        if (cfg->require_eip155)
            return fail(fc, AEGIS_ERR_TX_UNPROTECTED, "v: 27/28 without chain id");
        tx->eip155 = false;
        tx->chain_id = 0;
        tx->y_parity = (uint8_t)(tx->v.w[0] - 27);
        return AEGIS_OK;
    }
    aegis_u256_from_u64(&want, cfg->chain_id);
    aegis_u256_from_u64(&one, 1);
    aegis_u256_from_u64(&two, 2);
    aegis_u256_from_u64(&c35, 35);
    (void)aegis_u256_mul(&want, &want, &two);     /* < 2^65: no overflow */
    (void)aegis_u256_add(&want, &want, &c35);
    (void)aegis_u256_add(&want1, &want, &one);
    if (aegis_u256_cmp(&tx->v, &want) == 0)
        tx->y_parity = 0;
    else if (aegis_u256_cmp(&tx->v, &want1) == 0)
        tx->y_parity = 1;
    else
        return fail(fc, AEGIS_ERR_TX_CHAIN_ID, "v: not 27/28 nor EIP-155 for the configured chain");
    tx->eip155 = true;
    tx->chain_id = cfg->chain_id;
    return AEGIS_OK;
}

/* RLP of an integer into out (at most 9 bytes). */
static size_t put_uint(uint8_t *out, uint64_t v)
{
    if (v == 0) {
        out[0] = 0x80;
        return 1;
    }
    if (v < 0x80) {
        out[0] = (uint8_t)v;
        return 1;
    }
    size_t nb = 0;
    for (uint64_t t = v; t; t >>= 8)
        nb++;
    out[0] = (uint8_t)(0x80 + nb);
    for (size_t i = 0; i < nb; i++)
        out[nb - i] = (uint8_t)(v >> (8 * i));
    return 1 + nb;
}

/* keccak(prefix || rlp_list_header(len(span) + len(tail)) || span || tail) */
static void hash_list(uint8_t out[32], int type, const uint8_t *span, size_t span_len,
                      const uint8_t *tail, size_t tail_len)
{
    aegis_keccak k;
    uint8_t hdr[9];
    aegis_keccak256_init(&k);
    if (type > 0) {
        uint8_t t = (uint8_t)type;
        aegis_keccak256_update(&k, &t, 1);
    }
    size_t h = aegis_rlp_put_header(hdr, span_len + tail_len, true);
    aegis_keccak256_update(&k, hdr, h);
    aegis_keccak256_update(&k, span, span_len);
    if (tail_len)
        aegis_keccak256_update(&k, tail, tail_len);
    aegis_keccak256_final(&k, out);
}

static void compute_priority(const aegis_tx_config *cfg, aegis_tx *tx)
{
    aegis_u256 room;
    /* Effective tip per gas = min(max priority fee, max fee - base fee),
     * zero when the max fee is under the base fee (not includable now). */
    if (aegis_u256_sub(&room, &tx->max_fee, &cfg->base_fee)) {
        aegis_u256_from_u64(&tx->priority, 0);
        return;
    }
    tx->priority = aegis_u256_cmp(&tx->max_priority_fee, &room) < 0 ? tx->max_priority_fee : room;
}

/* Field positions for each type: indexes into the item array, -1 = absent. */
typedef struct layout {
    size_t count;
    int chain_id, nonce, gas_price, max_prio, max_fee, gas, to, value, data, al, v, r, s;
} layout;

static const layout layouts[3] = {
    { 9, -1, 0, 1, -1, -1, 2, 3, 4, 5, -1, 6, 7, 8 },
    { 11, 0, 1, 2, -1, -1, 3, 4, 5, 6, 7, 8, 9, 10 },
    { 12, 0, 1, -1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 },
};

static aegis_err decode_fields(field_ctx *fc, const layout *L,
                               const aegis_rlp_item *f, aegis_tx *tx)
{
    aegis_err err;
    if (L->chain_id >= 0) {
        uint64_t cid = 0;
        err = get_u64(fc, &f[L->chain_id], AEGIS_ERR_TX_CHAIN_ID, &cid, "chainId");
        if (err)
            return err;
        tx->chain_id = cid;
        tx->eip155 = true;
    }
    if ((err = get_u64(fc, &f[L->nonce], AEGIS_ERR_TX_NONCE_TOO_BIG, &tx->nonce, "nonce")))
        return err;
    if (L->gas_price >= 0) {
        if ((err = get_u256(fc, &f[L->gas_price], 32, AEGIS_ERR_TX_FEE_TOO_BIG, &tx->gas_price,
                            "gasPrice")))
            return err;
        tx->max_fee = tx->max_priority_fee = tx->gas_price;
    } else {
        if ((err = get_u256(fc, &f[L->max_prio], 32, AEGIS_ERR_TX_FEE_TOO_BIG,
                            &tx->max_priority_fee, "maxPriorityFeePerGas")))
            return err;
        if ((err = get_u256(fc, &f[L->max_fee], 32, AEGIS_ERR_TX_FEE_TOO_BIG, &tx->max_fee,
                            "maxFeePerGas")))
            return err;
        tx->gas_price = tx->max_fee;
    }
    if ((err = get_u64(fc, &f[L->gas], AEGIS_ERR_TX_GAS_LIMIT_TOO_BIG, &tx->gas_limit, "gasLimit")))
        return err;
    if ((err = get_to(fc, &f[L->to], tx)))
        return err;
    if ((err = get_u256(fc, &f[L->value], 32, AEGIS_ERR_TX_VALUE_TOO_BIG, &tx->value, "value")))
        return err;
    if (f[L->data].is_list)
        return fail(fc, AEGIS_ERR_RLP_EXPECTED_STRING, "data: is a list");
    tx->data = f[L->data].payload;
    tx->data_len = f[L->data].len;
    if (L->al >= 0 && (err = get_access_list(fc, &f[L->al], tx)))
        return err;
    if ((err = get_u256(fc, &f[L->v], 32, AEGIS_ERR_TX_SIG_V, &tx->v, L->al >= 0 ? "yParity" : "v")))
        return err;
    if ((err = get_sig(fc, &f[L->r], &f[L->s], tx)))
        return err;
    return AEGIS_OK;
}

static aegis_err check_limits(field_ctx *fc, aegis_tx *tx)
{
    if (tx->nonce == UINT64_MAX)
        return fail(fc, AEGIS_ERR_TX_NONCE_TOO_BIG, "nonce: 2^64-1 is reserved (EIP-2681)");
    if (aegis_u256_cmp(&tx->max_priority_fee, &tx->max_fee) > 0)
        return fail(fc, AEGIS_ERR_TX_PRIORITY_ABOVE_MAX_FEE, "maxPriorityFeePerGas > maxFeePerGas");
    aegis_u256 gas, product;
    aegis_u256_from_u64(&gas, tx->gas_limit);
    if (aegis_u256_mul(&product, &gas, &tx->max_fee))
        return fail(fc, AEGIS_ERR_TX_FEE_PRODUCT_OVERFLOW, "gasLimit * price >= 2^256");
    if (tx->is_create && tx->data_len > AEGIS_TX_MAX_INITCODE)
        return fail(fc, AEGIS_ERR_TX_INITCODE_TOO_BIG, "initcode over 49152 bytes");
    tx->intrinsic_gas = aegis_tx_intrinsic_gas(tx->is_create, tx->data, tx->data_len,
                                               tx->access_list_addresses, tx->access_list_keys);
    if (tx->gas_limit < tx->intrinsic_gas)
        return fail(fc, AEGIS_ERR_TX_INTRINSIC_GAS, "gasLimit below intrinsic gas");
    return AEGIS_OK;
}

/* Locate the tx in the input: type byte (or none) and its RLP list. */
static aegis_err envelope(field_ctx *fc, const uint8_t *in, size_t n, int *type,
                          aegis_rlp_item *list, size_t *tx_len)
{
    if (n == 0)
        return fail(fc, AEGIS_ERR_RLP_EMPTY, "empty input");
    size_t off = 0;
    if (in[0] >= 0xc0) {
        *type = AEGIS_TX_TYPE_LEGACY;
    } else if (in[0] == AEGIS_TX_TYPE_ACCESS_LIST || in[0] == AEGIS_TX_TYPE_DYNAMIC_FEE) {
        *type = in[0];
        off = 1;
    } else {
        return fail(fc, AEGIS_ERR_TX_TYPE_UNSUPPORTED,
                    in[0] >= 0x80 ? "an RLP string, not a transaction" : "unsupported EIP-2718 type");
    }
    size_t used = 0;
    aegis_err err = aegis_rlp_decode_prefix(in + off, n - off, list, &used);
    if (err)
        return fail(fc, err, "transaction list");
    if (!list->is_list)
        return fail(fc, AEGIS_ERR_RLP_EXPECTED_LIST, "typed payload is not a list");
    *tx_len = off + used;
    return AEGIS_OK;
}

aegis_err aegis_tx_decode(const aegis_tx_config *cfg, const uint8_t *in, size_t n,
                          aegis_tx *ret, const char **reterr_msg)
{
    field_ctx fc = { NULL };
    aegis_tx tx;
    aegis_rlp_item list, f[12];
    size_t tx_len = 0;
    int type = 0;
    aegis_err err;

    memset(&tx, 0, sizeof(tx));
    size_t max = cfg->max_bytes ? cfg->max_bytes : AEGIS_TX_DEFAULT_MAX_BYTES;
    if (n > max) {
        err = fail(&fc, AEGIS_ERR_TX_TOO_BIG, "input over the size limit");
        goto out;
    }
    if ((err = envelope(&fc, in, n, &type, &list, &tx_len)))
        goto out;
    if (tx_len < n) {
        if (!cfg->allow_extension) {
            err = fail(&fc, AEGIS_ERR_RLP_TRAILING, "bytes after the transaction");
            goto out;
        }
        if (n - tx_len < AEGIS_TX_EXT_MAGIC_LEN ||
            memcmp(in + tx_len, AEGIS_TX_EXT_MAGIC, AEGIS_TX_EXT_MAGIC_LEN) != 0) {
            err = fail(&fc, AEGIS_ERR_TX_TRAILING, "bytes after the transaction are not \"AGX1\"");
            goto out;
        }
        if ((err = aegis_tx_ext_parse(in + tx_len, n - tx_len, &tx.ext))) {
            fc.msg = "Aegis extension";
            goto out;
        }
    }
    tx.type = (uint8_t)type;
    const layout *L = &layouts[type];
    err = aegis_rlp_split(&list, f, L->count);
    if (err) {
        fc.msg = err == AEGIS_ERR_RLP_FIELD_COUNT ? "wrong number of fields" : "field encoding";
        goto out;
    }
    if ((err = decode_fields(&fc, L, f, &tx)))
        goto out;

    /* chain id, v / y-parity */
    if (type == AEGIS_TX_TYPE_LEGACY) {
        err = legacy_v(&fc, cfg, &tx);
    } else {
        if (tx.chain_id != cfg->chain_id)
            err = fail(&fc, AEGIS_ERR_TX_CHAIN_ID, "chainId differs from the configured chain");
        else if (tx.v.w[1] | tx.v.w[2] | tx.v.w[3] || tx.v.w[0] > 1)
            err = fail(&fc, AEGIS_ERR_TX_SIG_V, "yParity is not 0 or 1");
        else
            tx.y_parity = (uint8_t)tx.v.w[0];
    }
    if (err)
        goto out;
    if ((err = aegis__tx_check_rs(tx.r, tx.s))) {
        fc.msg = err == AEGIS_ERR_TX_SIG_HIGH_S ? "s above n/2" : "r or s out of [1, n-1]";
        goto out;
    }

    if ((err = check_limits(&fc, &tx)))
        goto out;

    /* Signing payload: the unsigned fields are a contiguous span of the
     * input, already canonical, so hash them in place. */
    const uint8_t *span = f[0].raw;
    size_t span_len = (size_t)(f[L->v].raw - span);
    if (type == AEGIS_TX_TYPE_LEGACY && tx.eip155) {
        uint8_t tail[11];
        size_t tail_len = put_uint(tail, tx.chain_id);
        tail[tail_len++] = 0x80;
        tail[tail_len++] = 0x80;
        hash_list(tx.signing_hash, 0, span, span_len, tail, tail_len);
    } else {
        hash_list(tx.signing_hash, type, span, span_len, NULL, 0);
    }
    uint8_t rs[64], pk[65];
    memcpy(rs, tx.r, 32);
    memcpy(rs + 32, tx.s, 32);
    if (aegis_secp256k1_recover(pk, rs, tx.y_parity, tx.signing_hash, true) != AEGIS_OK) {
        err = fail(&fc, AEGIS_ERR_TX_RECOVERY, "no public key recovers from this signature");
        goto out;
    }
    aegis_eth_address(tx.sender, pk);
    tx.raw = in;
    tx.raw_len = tx_len;
    aegis_keccak256(tx.hash, in, tx_len);
    compute_priority(cfg, &tx);
    aegis_tx_assets_decode(&tx.assets, tx.is_create ? NULL : tx.to, tx.data, tx.data_len);
    *ret = tx;
out:
    if (err && reterr_msg)
        *reterr_msg = fc.msg ? fc.msg : aegis_strerror(err);
    return err;
}
