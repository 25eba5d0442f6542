/* data.c - off-chain asset data sealed under a per-asset key.
 *
 * key  = HKDF-SHA-256(ikm = TEE key "aegis/asset-data/v1", no salt,
 *                     info = "aegis/asset-data/v1/<id>")
 * blob = "AGD1" | version u64 BE | nonce (12) | AES-256-GCM ct | tag (16)
 * AAD  = "AGD1" | version u64 BE | id length u8 | id
 * The host stores only blobs; the registry remembers the current version so
 * an old (authentic) blob handed back is refused as stale. A put names the
 * version it replaces and is audited ("data_put": id, version). */
#include <stdio.h>
#include <string.h>

#include "assets_int.h"

static aegis_err asset_key(aegis_tee *tee, const char *id, uint8_t key[32])
{
    uint8_t base[AEGIS_TEE_KEY_BYTES];
    char info[sizeof(AEGIS_ASSET_DATA_LABEL) + AEGIS_ASSET_ID_MAX + 2];
    int n = snprintf(info, sizeof(info), "%s/%s", AEGIS_ASSET_DATA_LABEL, id);
    aegis_err err = aegis_tee_derive_key(tee, AEGIS_ASSET_DATA_LABEL, base);
    if (err == AEGIS_OK)
        err = aegis_hkdf_sha256(key, 32, base, sizeof(base), NULL, 0, (const uint8_t *)info, (size_t)n);
    aegis_memzero(base, sizeof(base));
    return err;
}

static size_t build_aad(uint8_t *aad, uint64_t version, const char *id)
{
    size_t n = strlen(id);
    memcpy(aad, AEGIS_ASSET_DATA_MAGIC, 4);
    aegis_put_be64(aad + 4, version);
    aad[12] = (uint8_t)n;
    memcpy(aad + 13, id, n);
    return 13 + n;
}

static bool allowed(const aegis_assets *reg, const aegis_asset *e, uint32_t op, const uint8_t who[20])
{
    return (e->policy.ops & op) && aegis__policy_allows_sender(reg, &e->policy, who);
}

aegis_err aegis_assets_data_put(aegis_assets *reg, aegis_tee *tee, aegis_audit *log, const char *id,
                                const uint8_t requester[static 20], uint64_t base_version, const uint8_t *pt,
                                size_t len, uint64_t now_ms, uint8_t **ret, size_t *ret_len, uint64_t *ret_version)
{
    aegis_asset *e = id ? aegis__assets_find(reg, id) : NULL;
    uint8_t key[32], aad[13 + AEGIS_ASSET_ID_MAX];
    if (!e)
        return AEGIS_ERR_ASSET_NOT_FOUND;
    if (len > AEGIS_ASSET_DATA_MAX || (len && !pt))
        return len > AEGIS_ASSET_DATA_MAX ? AEGIS_ERR_TOO_BIG : AEGIS_ERR_INVAL;
    if (!allowed(reg, e, AEGIS_ASSET_OP_WRITE, requester))
        return AEGIS_ERR_ASSET_DATA_DENIED;
    if (e->state == AEGIS_ASSET_FROZEN)
        return AEGIS_ERR_ASSET_FROZEN;
    if (e->state == AEGIS_ASSET_MIGRATED)
        return AEGIS_ERR_ASSET_MIGRATED;
    if (e->data_version != base_version)
        return AEGIS_ERR_ASSET_DATA_CONFLICT;
    if (e->data_version == UINT64_MAX)
        return AEGIS_ERR_TOO_BIG;
    uint64_t version = e->data_version + 1;
    size_t total = AEGIS_ASSET_DATA_OVERHEAD + len;
    uint8_t *blob = aegis_malloc(total);
    if (!blob)
        return AEGIS_ERR_NOMEM;
    memcpy(blob, AEGIS_ASSET_DATA_MAGIC, 4);
    aegis_put_be64(blob + 4, version);
    uint8_t *nonce = blob + 12, *ct = blob + 12 + AEGIS_AEAD_NONCE_BYTES, *tag = ct + len;
    size_t aad_len = build_aad(aad, version, e->id);
    aegis_err err = aegis_tee_random(tee, nonce, AEGIS_AEAD_NONCE_BYTES);
    if (err == AEGIS_OK)
        err = asset_key(tee, e->id, key);
    if (err == AEGIS_OK)
        err = aegis_aead_seal(ct, tag, key, nonce, aad, aad_len, pt, len);
    aegis_memzero(key, sizeof(key));
    if (err != AEGIS_OK) {
        aegis_free_secret(blob, total);
        return err;
    }
    e->data_version = version;
    if (log) {
        /* a recorded change like any other: the new version survives a
         * restart, and the audit log's registry hashes stay those of the
         * registry */
        char params[64 + AEGIS_ASSET_ID_MAX];   /* {"id":"<id>","version":<u64>} */
        snprintf(params, sizeof(params), "{\"id\":\"%s\",\"version\":%llu}", e->id, (unsigned long long)version);
        err = aegis_audit_append_event(log, reg, "data_put", params, now_ms, NULL, NULL);
        if (err != AEGIS_OK) {
            e->data_version = version - 1;   /* no change without its record */
            aegis_free_secret(blob, total);
            return err;
        }
    }
    *ret = blob;
    *ret_len = total;
    if (ret_version)
        *ret_version = version;
    return AEGIS_OK;
}

aegis_err aegis_assets_data_get(const aegis_assets *reg, aegis_tee *tee, const char *id,
                                const uint8_t requester[static 20], const uint8_t *blob, size_t len,
                                uint8_t **ret, size_t *ret_len, uint64_t *ret_version)
{
    const aegis_asset *e = id ? aegis__assets_find(reg, id) : NULL;
    uint8_t key[32], aad[13 + AEGIS_ASSET_ID_MAX];
    if (!e)
        return AEGIS_ERR_ASSET_NOT_FOUND;
    if (!allowed(reg, e, AEGIS_ASSET_OP_READ, requester))
        return AEGIS_ERR_ASSET_DATA_DENIED;
    if (e->data_version == 0)
        return AEGIS_ERR_NOT_FOUND;   /* nothing written yet */
    if (!blob || len < AEGIS_ASSET_DATA_OVERHEAD || len - AEGIS_ASSET_DATA_OVERHEAD > AEGIS_ASSET_DATA_MAX ||
        memcmp(blob, AEGIS_ASSET_DATA_MAGIC, 4) != 0)
        return AEGIS_ERR_ASSET_DATA_BAD;
    uint64_t version = aegis_get_be64(blob + 4);
    if (version != e->data_version)
        return AEGIS_ERR_ASSET_DATA_STALE;
    size_t n = len - AEGIS_ASSET_DATA_OVERHEAD;
    const uint8_t *nonce = blob + 12, *ct = nonce + AEGIS_AEAD_NONCE_BYTES, *tag = ct + n;
    uint8_t *pt = aegis_malloc(n ? n : 1);
    if (!pt)
        return AEGIS_ERR_NOMEM;
    size_t aad_len = build_aad(aad, version, e->id);
    aegis_err err = asset_key(tee, e->id, key);
    if (err == AEGIS_OK)
        err = aegis_aead_open(pt, key, nonce, aad, aad_len, ct, n, tag) == AEGIS_OK ? AEGIS_OK
                                                                                   : AEGIS_ERR_ASSET_DATA_BAD;
    aegis_memzero(key, sizeof(key));
    if (err != AEGIS_OK) {
        aegis_free_secret(pt, n ? n : 1);
        return err;
    }
    *ret = pt;
    *ret_len = n;
    if (ret_version)
        *ret_version = version;
    return AEGIS_OK;
}
