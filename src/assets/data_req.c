/* data_req.c - the off-chain data requests and replies that travel sealed
 * in envelopes (formats in include/aegis/assets.h and
 * docs/internals/assets.md). Pure encoding and signature checks: no clock,
 * no keys but the requester's, no state. */
#include <string.h>

#include "assets_int.h"

#define PUT_DOMAIN "aegis/asset-data/put/v2"   /* + its NUL */
#define GET_DOMAIN "aegis/asset-data/get/v2"
#define HEAD_MIN   (4 + 1 + 1 + 1 + 8)          /* magic, version, id_len, id >= 1, ts */
#define SIG_BYTES  65

static void put_digest(const char *id, const uint8_t *data, size_t len, uint64_t ts, uint64_t base,
                       uint8_t out[32])
{
    uint8_t dh[32], b[16], n = (uint8_t)strlen(id);
    aegis_keccak256(dh, data, len);
    aegis_put_be64(b, ts);
    aegis_put_be64(b + 8, base);
    aegis_keccak k;
    aegis_keccak256_init(&k);
    aegis_keccak256_update(&k, PUT_DOMAIN, sizeof(PUT_DOMAIN));
    aegis_keccak256_update(&k, &n, 1);
    aegis_keccak256_update(&k, id, n);
    aegis_keccak256_update(&k, dh, 32);
    aegis_keccak256_update(&k, b, 16);
    aegis_keccak256_final(&k, out);
}

static void get_digest(const char *id, uint64_t ts, const uint8_t nonce[32], const aegis_envelope_pub *reply,
                       uint8_t out[32])
{
    uint8_t kid[AEGIS_ENVELOPE_KEY_ID_BYTES], b[8], n = (uint8_t)strlen(id);
    aegis_envelope_key_id(kid, reply->mlkem_ek, reply->x25519_pk);
    aegis_put_be64(b, ts);
    aegis_keccak k;
    aegis_keccak256_init(&k);
    aegis_keccak256_update(&k, GET_DOMAIN, sizeof(GET_DOMAIN));
    aegis_keccak256_update(&k, &n, 1);
    aegis_keccak256_update(&k, id, n);
    aegis_keccak256_update(&k, b, 8);
    aegis_keccak256_update(&k, nonce, AEGIS_ASSET_DATA_NONCE_BYTES);
    aegis_keccak256_update(&k, kid, sizeof(kid));
    aegis_keccak256_final(&k, out);
}

/* magic | version | id_len | id | ts; returns the bytes written. */
static size_t put_head(uint8_t *p, const char *magic, const char *id, uint64_t ts)
{
    size_t n = strlen(id);
    memcpy(p, magic, 4);
    p[4] = AEGIS_ASSET_DATA_REQ_VERSION;
    p[5] = (uint8_t)n;
    memcpy(p + 6, id, n);
    aegis_put_be64(p + 6 + n, ts);
    return 6 + n + 8;
}

aegis_err aegis_asset_data_put_request(const char *id, const uint8_t *data, size_t len, uint64_t base_version,
                                       uint64_t ts_ms, const uint8_t sk[static 32], uint8_t **ret, size_t *ret_len)
{
    if (!aegis_asset_id_is_valid(id))
        return AEGIS_ERR_ASSET_BAD_ID;
    if (len > AEGIS_ASSET_DATA_MAX || (len && !data))
        return len > AEGIS_ASSET_DATA_MAX ? AEGIS_ERR_TOO_BIG : AEGIS_ERR_INVAL;
    size_t total = 6 + strlen(id) + 8 + 8 + 4 + len + SIG_BYTES;
    uint8_t *b = aegis_malloc(total), digest[32];
    if (!b)
        return AEGIS_ERR_NOMEM;
    size_t o = put_head(b, AEGIS_ASSET_DATA_PUT_MAGIC, id, ts_ms);
    aegis_put_be64(b + o, base_version);
    aegis_put_be32(b + o + 8, (uint32_t)len);
    o += 12;
    if (len)
        memcpy(b + o, data, len);
    o += len;
    put_digest(id, data, len, ts_ms, base_version, digest);
    aegis_err err = aegis_secp256k1_sign(b + o, digest, sk);
    if (err) {
        aegis_free_secret(b, total);
        return err;
    }
    *ret = b;
    *ret_len = total;
    return AEGIS_OK;
}

aegis_err aegis_asset_data_get_request(const char *id, uint64_t ts_ms,
                                       const uint8_t nonce[static AEGIS_ASSET_DATA_NONCE_BYTES],
                                       const aegis_envelope_pub *reply, const uint8_t sk[static 32],
                                       uint8_t **ret, size_t *ret_len)
{
    if (!aegis_asset_id_is_valid(id))
        return AEGIS_ERR_ASSET_BAD_ID;
    size_t total = 6 + strlen(id) + 8 + AEGIS_ASSET_DATA_NONCE_BYTES + AEGIS_MLKEM1024_EK_BYTES +
                   AEGIS_X25519_BYTES + SIG_BYTES;
    uint8_t *b = aegis_malloc(total), digest[32];
    if (!b)
        return AEGIS_ERR_NOMEM;
    size_t o = put_head(b, AEGIS_ASSET_DATA_GET_MAGIC, id, ts_ms);
    memcpy(b + o, nonce, AEGIS_ASSET_DATA_NONCE_BYTES);
    o += AEGIS_ASSET_DATA_NONCE_BYTES;
    memcpy(b + o, reply->mlkem_ek, AEGIS_MLKEM1024_EK_BYTES);
    o += AEGIS_MLKEM1024_EK_BYTES;
    memcpy(b + o, reply->x25519_pk, AEGIS_X25519_BYTES);
    o += AEGIS_X25519_BYTES;
    get_digest(id, ts_ms, nonce, reply, digest);
    aegis_err err = aegis_secp256k1_sign(b + o, digest, sk);
    if (err) {
        aegis_free_secret(b, total);
        return err;
    }
    *ret = b;
    *ret_len = total;
    return AEGIS_OK;
}

/* magic, version, id; *off after the id. */
static aegis_err parse_head(const uint8_t *buf, size_t len, const char *magic, char id[AEGIS_ASSET_ID_MAX + 1],
                            size_t *off)
{
    if (len < HEAD_MIN || memcmp(buf, magic, 4) != 0 || buf[4] != AEGIS_ASSET_DATA_REQ_VERSION)
        return AEGIS_ERR_ASSET_DATA_MALFORMED;
    size_t n = buf[5];
    if (n == 0 || n > AEGIS_ASSET_ID_MAX || len < 6 + n)
        return AEGIS_ERR_ASSET_DATA_MALFORMED;
    memcpy(id, buf + 6, n);
    id[n] = '\0';
    if (!aegis_asset_id_is_valid(id))
        return AEGIS_ERR_ASSET_DATA_MALFORMED;
    *off = 6 + n;
    return AEGIS_OK;
}

aegis_err aegis_asset_data_request_parse(const uint8_t *buf, size_t len, aegis_asset_data_req *ret)
{
    aegis_asset_data_req r;
    memset(&r, 0, sizeof(r));
    size_t o = 0;
    if (!buf || len < 4)
        return AEGIS_ERR_ASSET_DATA_MALFORMED;
    r.is_put = memcmp(buf, AEGIS_ASSET_DATA_PUT_MAGIC, 4) == 0;
    aegis_err err = parse_head(buf, len, r.is_put ? AEGIS_ASSET_DATA_PUT_MAGIC : AEGIS_ASSET_DATA_GET_MAGIC, r.id, &o);
    if (err)
        return err;
    if (len - o < 8)
        return AEGIS_ERR_ASSET_DATA_MALFORMED;
    r.ts_ms = aegis_get_be64(buf + o);
    o += 8;
    if (r.is_put) {
        if (len - o < 12 + SIG_BYTES)
            return AEGIS_ERR_ASSET_DATA_MALFORMED;
        r.base_version = aegis_get_be64(buf + o);
        r.data_len = aegis_get_be32(buf + o + 8);
        o += 12;
        if (r.data_len > AEGIS_ASSET_DATA_MAX || len - o != r.data_len + SIG_BYTES)
            return AEGIS_ERR_ASSET_DATA_MALFORMED;
        r.data = buf + o;
        o += r.data_len;
        put_digest(r.id, r.data, r.data_len, r.ts_ms, r.base_version, r.digest);
    } else {
        if (len - o != AEGIS_ASSET_DATA_NONCE_BYTES + AEGIS_MLKEM1024_EK_BYTES + AEGIS_X25519_BYTES + SIG_BYTES)
            return AEGIS_ERR_ASSET_DATA_MALFORMED;
        r.nonce = buf + o;
        o += AEGIS_ASSET_DATA_NONCE_BYTES;
        r.reply.epoch = AEGIS_ASSET_DATA_REPLY_EPOCH;
        memcpy(r.reply.mlkem_ek, buf + o, AEGIS_MLKEM1024_EK_BYTES);
        o += AEGIS_MLKEM1024_EK_BYTES;
        memcpy(r.reply.x25519_pk, buf + o, AEGIS_X25519_BYTES);
        o += AEGIS_X25519_BYTES;
        get_digest(r.id, r.ts_ms, r.nonce, &r.reply, r.digest);
    }
    r.sig = buf + o;
    *ret = r;
    return AEGIS_OK;
}

aegis_err aegis_asset_data_request_verify(const aegis_asset_data_req *req, uint64_t now_ms,
                                          uint8_t ret_addr[static 20])
{
    uint8_t pk[65];
    /* the signature first: unsigned junk learns nothing about the clock */
    if (req->sig[64] > 1 || aegis_secp256k1_recover(pk, req->sig, req->sig[64], req->digest, true) != AEGIS_OK)
        return AEGIS_ERR_ASSET_DATA_BAD_SIG;
    if (req->ts_ms > now_ms + AEGIS_ASSET_DATA_SKEW_MS || req->ts_ms + AEGIS_ASSET_DATA_SKEW_MS < now_ms)
        return AEGIS_ERR_ASSET_DATA_TIME;
    aegis_eth_address(ret_addr, pk);
    return AEGIS_OK;
}

aegis_err aegis_asset_data_reply_build(const char *id, uint64_t version,
                                       const uint8_t nonce[static AEGIS_ASSET_DATA_NONCE_BYTES],
                                       const uint8_t *data, size_t len, uint8_t **ret, size_t *ret_len)
{
    if (!aegis_asset_id_is_valid(id))
        return AEGIS_ERR_ASSET_BAD_ID;
    if (len > AEGIS_ASSET_DATA_MAX || (len && !data))
        return len > AEGIS_ASSET_DATA_MAX ? AEGIS_ERR_TOO_BIG : AEGIS_ERR_INVAL;
    size_t total = 6 + strlen(id) + 8 + AEGIS_ASSET_DATA_NONCE_BYTES + 4 + len;
    uint8_t *b = aegis_malloc(total);
    if (!b)
        return AEGIS_ERR_NOMEM;
    size_t o = put_head(b, AEGIS_ASSET_DATA_REPLY_MAGIC, id, version);
    memcpy(b + o, nonce, AEGIS_ASSET_DATA_NONCE_BYTES);
    o += AEGIS_ASSET_DATA_NONCE_BYTES;
    aegis_put_be32(b + o, (uint32_t)len);
    o += 4;
    if (len)
        memcpy(b + o, data, len);
    *ret = b;
    *ret_len = total;
    return AEGIS_OK;
}

aegis_err aegis_asset_data_reply_parse(const uint8_t *buf, size_t len, const char *id,
                                       const uint8_t nonce[static AEGIS_ASSET_DATA_NONCE_BYTES],
                                       uint64_t *ret_version, const uint8_t **ret_data, size_t *ret_len)
{
    char got[AEGIS_ASSET_ID_MAX + 1];
    size_t o = 0;
    if (!buf || parse_head(buf, len, AEGIS_ASSET_DATA_REPLY_MAGIC, got, &o) != AEGIS_OK || !id ||
        strcmp(got, id) != 0 || len - o < 8 + AEGIS_ASSET_DATA_NONCE_BYTES + 4)
        return AEGIS_ERR_ASSET_DATA_MALFORMED;
    uint64_t version = aegis_get_be64(buf + o);
    o += 8;
    if (!aegis_ct_eq(buf + o, nonce, AEGIS_ASSET_DATA_NONCE_BYTES))
        return AEGIS_ERR_ASSET_DATA_MALFORMED;
    o += AEGIS_ASSET_DATA_NONCE_BYTES;
    size_t n = aegis_get_be32(buf + o);
    o += 4;
    if (len - o != n)
        return AEGIS_ERR_ASSET_DATA_MALFORMED;
    *ret_version = version;
    *ret_data = buf + o;
    *ret_len = n;
    return AEGIS_OK;
}
