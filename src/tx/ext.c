/*
 * ext.c - the Aegis extension that may follow a transaction:
 *
 *   "AGX1" || item+        item = type (1 byte) || len (2 bytes, BE) || value
 *
 * Items appear in strictly increasing type order (so at most once each):
 *   0x01 PQC witness: ML-DSA-87 signature (4627 bytes), optionally followed
 *        by the ML-DSA-87 public key (2592 bytes) for registration.
 *   0x02 declared intent: kind (1 byte, 0x01 = migration) || asset id
 *        (0..64 bytes).
 * Anything else (unknown type, other lengths, trailing bytes, no items) is
 * an error. See docs/internals/tx.md.
 */
#include <string.h>

#include "aegis/crypto.h"
#include "tx_int.h"

#define WITNESS_SIG_LEN  AEGIS_MLDSA87_SIG_BYTES
#define WITNESS_FULL_LEN (AEGIS_MLDSA87_SIG_BYTES + AEGIS_MLDSA87_PK_BYTES)

aegis_err aegis_tx_ext_parse(const uint8_t *in, size_t n, aegis_tx_ext *ret)
{
    aegis_tx_ext x;
    memset(&x, 0, sizeof(x));
    if (n < AEGIS_TX_EXT_MAGIC_LEN || memcmp(in, AEGIS_TX_EXT_MAGIC, AEGIS_TX_EXT_MAGIC_LEN) != 0)
        return AEGIS_ERR_TX_EXT_MAGIC;
    size_t off = AEGIS_TX_EXT_MAGIC_LEN;
    int last_type = 0;
    if (off == n)
        return AEGIS_ERR_TX_EXT_EMPTY;
    while (off < n) {
        if (n - off < 3)
            return AEGIS_ERR_TX_EXT_TRUNCATED;
        uint8_t type = in[off];
        size_t len = aegis_get_be16(in + off + 1);
        off += 3;
        if (len > n - off)
            return AEGIS_ERR_TX_EXT_TRUNCATED;
        const uint8_t *v = in + off;
        off += len;
        if (type != AEGIS_TX_EXT_WITNESS && type != AEGIS_TX_EXT_INTENT)
            return AEGIS_ERR_TX_EXT_UNKNOWN;
        if (type <= last_type)
            return AEGIS_ERR_TX_EXT_ORDER;
        last_type = type;
        if (type == AEGIS_TX_EXT_WITNESS) {
            if (len != WITNESS_SIG_LEN && len != WITNESS_FULL_LEN)
                return AEGIS_ERR_TX_EXT_LENGTH;
            x.witness_sig = v;
            x.witness_pk = len == WITNESS_FULL_LEN ? v + WITNESS_SIG_LEN : NULL;
        } else {
            if (len < 1 || len > 1 + AEGIS_TX_INTENT_MAX_ASSET)
                return AEGIS_ERR_TX_EXT_LENGTH;
            if (v[0] != AEGIS_TX_INTENT_MIGRATION)
                return AEGIS_ERR_TX_EXT_INTENT;
            x.has_intent = true;
            x.intent = v[0];
            x.intent_asset = v + 1;
            x.intent_asset_len = len - 1;
        }
    }
    x.present = true;
    *ret = x;
    return AEGIS_OK;
}

static aegis_err put_item(aegis_buf *b, uint8_t type, const uint8_t *a, size_t alen,
                          const uint8_t *c, size_t clen)
{
    uint8_t hdr[3];
    hdr[0] = type;
    aegis_put_be16(hdr + 1, (uint16_t)(alen + clen));
    aegis_err err = aegis_buf_append(b, hdr, 3);
    if (!err)
        err = aegis_buf_append(b, a, alen);
    if (!err && clen)
        err = aegis_buf_append(b, c, clen);
    return err;
}

aegis_err aegis_tx_ext_append(aegis_buf *buf, const uint8_t *witness_sig, const uint8_t *witness_pk,
                              uint8_t intent, const uint8_t *asset, size_t asset_len)
{
    if ((!witness_sig && witness_pk) || (!witness_sig && intent == 0) ||
        asset_len > AEGIS_TX_INTENT_MAX_ASSET || (asset_len && !asset))
        return AEGIS_ERR_INVAL;
    size_t mark = buf->len;
    aegis_err err = aegis_buf_append(buf, AEGIS_TX_EXT_MAGIC, AEGIS_TX_EXT_MAGIC_LEN);
    if (!err && witness_sig)
        err = put_item(buf, AEGIS_TX_EXT_WITNESS, witness_sig, WITNESS_SIG_LEN, witness_pk,
                       witness_pk ? AEGIS_MLDSA87_PK_BYTES : 0);
    if (!err && intent)
        err = put_item(buf, AEGIS_TX_EXT_INTENT, &intent, 1, asset, asset_len);
    if (err)
        buf->len = mark;
    return err;
}
