/*
 * header.c - the batch header's abi.encode layout, driven by one field table
 * (the order of the table is the order of the words; see aegis/batch.h).
 */
#include <stddef.h>
#include <string.h>

#include "aegis/batch.h"
#include "aegis/crypto.h"

/* bits: width of a uintN field (8..64), or 0 for bytes32. */
struct field {
    const char *name;
    size_t off;      /* offsetof in struct aegis_batch_header */
    unsigned bits;
};

#define U(name, member, bits) { name, offsetof(struct aegis_batch_header, member), bits }
#define B(name, member) { name, offsetof(struct aegis_batch_header, member), 0 }
static const struct field fields[AEGIS_BATCH_HEADER_WORDS] = {
    U("version", version, 8),
    U("chainId", chain_id, 64),
    U("number", number, 64),
    B("parentHash", parent_hash),
    U("timestampMs", timestamp_ms, 64),
    U("txCount", tx_count, 32),
    B("txRoot", tx_root),
    U("strategyId", strategy_id, 8),
    B("policyHash", policy_hash),
    U("riskScore", risk_score, 16),
    U("riskLevel", risk_level, 8),
    U("algorithmSet", algorithm_set, 8),
    U("keyEpoch", key_epoch, 64),
    U("protectedCount", protected_count, 32),
    B("protectedHash", protected_hash),
    U("checkpointNumber", checkpoint_number, 64),
    B("checkpointHash", checkpoint_hash),
};
#undef U
#undef B

static uint64_t load_uint(const struct aegis_batch_header *h, const struct field *f)
{
    const uint8_t *p = (const uint8_t *)h + f->off;
    switch (f->bits) {
    case 8: return *p;
    case 16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 32: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static void store_uint(struct aegis_batch_header *h, const struct field *f, uint64_t v)
{
    uint8_t *p = (uint8_t *)h + f->off;
    switch (f->bits) {
    case 8: *p = (uint8_t)v; break;
    case 16: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case 32: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

static aegis_err check_ranges(const struct aegis_batch_header *h)
{
    if (h->risk_score > 10000 || h->risk_level > 2 || h->algorithm_set == 0 ||
        (h->algorithm_set & ~AEGIS_ALG_ALL))
        return AEGIS_ERR_BATCH_BAD_FIELD;
    return AEGIS_OK;
}

aegis_err aegis_batch_header_encode(const struct aegis_batch_header *h,
                                    uint8_t out[static AEGIS_BATCH_HEADER_BYTES])
{
    if (!h)
        return AEGIS_ERR_INVAL;
    if (h->version != AEGIS_BATCH_VERSION)
        return AEGIS_ERR_BATCH_BAD_FIELD;
    aegis_err err = check_ranges(h);
    if (err != AEGIS_OK)
        return err;
    for (size_t i = 0; i < AEGIS_BATCH_HEADER_WORDS; i++) {
        uint8_t *w = out + AEGIS_BATCH_OFF(i);
        if (fields[i].bits == 0) {
            memcpy(w, (const uint8_t *)h + fields[i].off, 32);
        } else {
            memset(w, 0, 24);
            aegis_put_be64(w + 24, load_uint(h, &fields[i]));
        }
    }
    return AEGIS_OK;
}

aegis_err aegis_batch_header_decode(const uint8_t *in, size_t len, struct aegis_batch_header *ret)
{
    if (!in || !ret || len != AEGIS_BATCH_HEADER_BYTES)
        return AEGIS_ERR_BATCH_BAD_ENCODING;
    struct aegis_batch_header h;
    memset(&h, 0, sizeof(h));
    for (size_t i = 0; i < AEGIS_BATCH_HEADER_WORDS; i++) {
        const uint8_t *w = in + AEGIS_BATCH_OFF(i);
        if (fields[i].bits == 0) {
            memcpy((uint8_t *)&h + fields[i].off, w, 32);
            continue;
        }
        /* uintN: the 32 - N/8 leading bytes must be zero. */
        size_t pad = 32 - fields[i].bits / 8;
        for (size_t j = 0; j < pad; j++)
            if (w[j])
                return AEGIS_ERR_BATCH_NONCANONICAL;
        store_uint(&h, &fields[i], aegis_get_be64(w + 24));
    }
    if (h.version != AEGIS_BATCH_VERSION)
        return AEGIS_ERR_BATCH_BAD_VERSION;
    aegis_err err = check_ranges(&h);
    if (err != AEGIS_OK)
        return err;
    *ret = h;
    return AEGIS_OK;
}

aegis_err aegis_batch_header_hash(const struct aegis_batch_header *h, uint8_t out[static 32])
{
    uint8_t enc[AEGIS_BATCH_HEADER_BYTES];
    aegis_err err = aegis_batch_header_encode(h, enc);
    if (err != AEGIS_OK)
        return err;
    aegis_keccak256(out, enc, sizeof(enc));
    return AEGIS_OK;
}

void aegis_batch_seal_digest(uint64_t chain_id, uint64_t first, uint64_t count,
                             const uint8_t root[static 32], uint8_t out[static 32])
{
    static const char tag[] = "AEGIS-EPOCH-SEAL-V1";
    uint8_t enc[5 * 32];
    memset(enc, 0, sizeof(enc));
    memcpy(enc, tag, sizeof(tag) - 1);
    aegis_put_be64(enc + 32 + 24, chain_id);
    aegis_put_be64(enc + 64 + 24, first);
    aegis_put_be64(enc + 96 + 24, count);
    memcpy(enc + 128, root, 32);
    aegis_keccak256(out, enc, sizeof(enc));
}
