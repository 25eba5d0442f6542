/*
 * pq_prehash.c - M' for the external FIPS 204 / FIPS 205 interfaces, pure and
 * pre-hash (HashML-DSA, HashSLH-DSA), with the pre-hash functions by their
 * ACVP names. Hashing through OpenSSL 3 EVP (SHA-2, SHA-3, SHAKE).
 */
#include <openssl/evp.h>
#include <string.h>

#include "aegis/crypto.h"
#include "pq_int.h"

static const struct prehash_def {
    aegis_prehash id;
    const char *acvp;     /* ACVP hashAlg */
    const char *evp;      /* OpenSSL name */
    uint8_t oid_last;     /* 2.16.840.1.101.3.4.2.x */
    uint8_t out_len;      /* SHAKE: 256 / 512 bits as FIPS 204 / 205 fix them */
} prehash_defs[] = {
    { AEGIS_PH_SHA2_256, "SHA2-256", "SHA256", 0x01, 32 },
    { AEGIS_PH_SHA2_384, "SHA2-384", "SHA384", 0x02, 48 },
    { AEGIS_PH_SHA2_512, "SHA2-512", "SHA512", 0x03, 64 },
    { AEGIS_PH_SHA2_224, "SHA2-224", "SHA224", 0x04, 28 },
    { AEGIS_PH_SHA2_512_224, "SHA2-512/224", "SHA512-224", 0x05, 28 },
    { AEGIS_PH_SHA2_512_256, "SHA2-512/256", "SHA512-256", 0x06, 32 },
    { AEGIS_PH_SHA3_224, "SHA3-224", "SHA3-224", 0x07, 28 },
    { AEGIS_PH_SHA3_256, "SHA3-256", "SHA3-256", 0x08, 32 },
    { AEGIS_PH_SHA3_384, "SHA3-384", "SHA3-384", 0x09, 48 },
    { AEGIS_PH_SHA3_512, "SHA3-512", "SHA3-512", 0x0a, 64 },
    { AEGIS_PH_SHAKE128, "SHAKE-128", "SHAKE128", 0x0b, 32 },
    { AEGIS_PH_SHAKE256, "SHAKE-256", "SHAKE256", 0x0c, 64 },
};

static const struct prehash_def *prehash_find(aegis_prehash id)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(prehash_defs); i++)
        if (prehash_defs[i].id == id)
            return &prehash_defs[i];
    return NULL;
}

aegis_err aegis_prehash_from_name(const char *name, aegis_prehash *ret)
{
    if (!name)
        return AEGIS_ERR_INVAL;
    if (strcmp(name, "none") == 0 || name[0] == '\0') {
        *ret = AEGIS_PH_NONE;
        return AEGIS_OK;
    }
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(prehash_defs); i++)
        if (strcmp(name, prehash_defs[i].acvp) == 0) {
            *ret = prehash_defs[i].id;
            return AEGIS_OK;
        }
    return AEGIS_ERR_INVAL;
}

static aegis_err prehash_digest(const struct prehash_def *d, uint8_t *out,
                                const uint8_t *msg, size_t msg_len)
{
    aegis_err err = AEGIS_ERR_CRYPTO_BACKEND;
    EVP_MD *md = EVP_MD_fetch(NULL, d->evp, NULL);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!md || !c)
        goto out;
    if (EVP_DigestInit_ex2(c, md, NULL) != 1 || EVP_DigestUpdate(c, msg, msg_len) != 1)
        goto out;
    if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) {
        if (EVP_DigestFinalXOF(c, out, d->out_len) != 1)
            goto out;
    } else {
        unsigned int n = 0;
        if (EVP_DigestFinal_ex(c, out, &n) != 1 || n != d->out_len)
            goto out;
    }
    err = AEGIS_OK;
out:
    EVP_MD_CTX_free(c);
    EVP_MD_free(md);
    return err;
}

aegis_err aegis_pq_build_mprime(uint8_t *out, size_t cap, size_t *out_len, aegis_prehash ph,
                                const uint8_t *msg, size_t msg_len,
                                const uint8_t *ctx, size_t ctx_len)
{
    if (!out || !out_len || (msg_len && !msg) || (ctx_len && !ctx))
        return AEGIS_ERR_INVAL;
    if (ctx_len > AEGIS_MAX_CTX_BYTES)
        return AEGIS_ERR_CTX_TOO_LONG;
    if (ph == AEGIS_PH_NONE) {
        if (msg_len > SIZE_MAX - 2 - ctx_len || cap < 2 + ctx_len + msg_len)
            return AEGIS_ERR_TOO_BIG;
        out[0] = 0;
        out[1] = (uint8_t)ctx_len;
        if (ctx_len)
            memcpy(out + 2, ctx, ctx_len);
        if (msg_len)
            memcpy(out + 2 + ctx_len, msg, msg_len);
        *out_len = 2 + ctx_len + msg_len;
        return AEGIS_OK;
    }
    const struct prehash_def *d = prehash_find(ph);
    if (!d)
        return AEGIS_ERR_INVAL;
    size_t need = 2 + ctx_len + 11 + d->out_len;
    if (cap < need)
        return AEGIS_ERR_TOO_BIG;
    static const uint8_t oid_prefix[10] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02 };
    out[0] = 1;
    out[1] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(out + 2, ctx, ctx_len);
    memcpy(out + 2 + ctx_len, oid_prefix, sizeof(oid_prefix));
    out[2 + ctx_len + 10] = d->oid_last;
    aegis_err err = prehash_digest(d, out + 2 + ctx_len + 11, msg, msg_len);
    if (err != AEGIS_OK)
        return err;
    *out_len = need;
    return AEGIS_OK;
}
