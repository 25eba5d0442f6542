/*
 * secp256k1.c - ECDSA over secp256k1 through libsecp256k1, plus the Ethereum
 * address of a public key.
 *
 * One signing/verifying context is created on first use (pthread_once) and
 * randomized once for side-channel blinding; after that it is only read, which
 * libsecp256k1 documents as thread-safe. Signatures are r || s || recid with s
 * normalised to the lower half of the order (EIP-2); verification and
 * (optionally) recovery reject high s.
 */
#include <pthread.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "aegis/crypto.h"

static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static secp256k1_context *ctx_shared;   /* written once under ctx_once, then read-only */

static void ctx_create(void)
{
    secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    if (!c)
        return;
    uint8_t seed[32];
    /* Blinding is defence in depth: an unrandomized context is still correct,
     * so a failed seed draw or a rejected seed leaves it unblinded. */
    if (aegis_random_bytes(seed, sizeof(seed)) == AEGIS_OK && !secp256k1_context_randomize(c, seed))
        seed[0] = 0;
    aegis_memzero(seed, sizeof(seed));
    ctx_shared = c;
}

static const secp256k1_context *ctx_get(void)
{
    pthread_once(&ctx_once, ctx_create);
    return ctx_shared;
}

static aegis_err serialize_pk(uint8_t pk[static 65], const secp256k1_context *c, const secp256k1_pubkey *p)
{
    size_t len = 65;
    if (!secp256k1_ec_pubkey_serialize(c, pk, &len, p, SECP256K1_EC_UNCOMPRESSED) || len != 65)
        return AEGIS_ERR_CRYPTO_BACKEND;
    return AEGIS_OK;
}

aegis_err aegis_secp256k1_public(uint8_t pk[static 65], const uint8_t sk[static 32])
{
    const secp256k1_context *c = ctx_get();
    if (!c)
        return AEGIS_ERR_CRYPTO_BACKEND;
    secp256k1_pubkey p;
    if (!secp256k1_ec_pubkey_create(c, &p, sk))
        return AEGIS_ERR_BAD_KEY;
    return serialize_pk(pk, c, &p);
}

aegis_err aegis_secp256k1_keygen(uint8_t pk[static 65], uint8_t sk[static 32])
{
    const secp256k1_context *c = ctx_get();
    if (!c)
        return AEGIS_ERR_CRYPTO_BACKEND;
    uint8_t k[32];
    aegis_err err = AEGIS_ERR_CRYPTO_RANDOM;
    /* A uniformly random 32-byte string is a valid scalar except with
     * probability ~2^-128; retry a few times rather than loop forever on a
     * broken source. */
    for (int tries = 0; tries < 16; tries++) {
        err = aegis_random_bytes(k, sizeof(k));
        if (err != AEGIS_OK)
            goto out;
        if (secp256k1_ec_seckey_verify(c, k)) {
            uint8_t p[65];
            err = aegis_secp256k1_public(p, k);
            if (err == AEGIS_OK) {
                memcpy(pk, p, 65);
                memcpy(sk, k, 32);
            }
            goto out;
        }
        err = AEGIS_ERR_CRYPTO_RANDOM;
    }
out:
    aegis_memzero(k, sizeof(k));
    return err;
}

aegis_err aegis_secp256k1_sign(uint8_t sig[static 65], const uint8_t digest[static 32],
                               const uint8_t sk[static 32])
{
    const secp256k1_context *c = ctx_get();
    if (!c)
        return AEGIS_ERR_CRYPTO_BACKEND;
    secp256k1_ecdsa_recoverable_signature rs;
    /* NULL nonce function = RFC 6979; libsecp256k1 always emits low s. */
    if (!secp256k1_ecdsa_sign_recoverable(c, &rs, digest, sk, NULL, NULL))
        return AEGIS_ERR_BAD_KEY;
    int recid = 0;
    uint8_t out[64];
    secp256k1_ecdsa_recoverable_signature_serialize_compact(c, out, &recid, &rs);
    memcpy(sig, out, 64);
    sig[64] = (uint8_t)recid;
    return AEGIS_OK;
}

static bool pk_parse(const secp256k1_context *c, secp256k1_pubkey *p, const uint8_t pk[static 65])
{
    return pk[0] == 0x04 && secp256k1_ec_pubkey_parse(c, p, pk, 65);
}

aegis_err aegis_secp256k1_verify(const uint8_t sig[static 64], const uint8_t digest[static 32],
                                 const uint8_t pk[static 65])
{
    const secp256k1_context *c = ctx_get();
    if (!c)
        return AEGIS_ERR_CRYPTO_BACKEND;
    secp256k1_pubkey p;
    secp256k1_ecdsa_signature s;
    if (!pk_parse(c, &p, pk))
        return AEGIS_ERR_BAD_KEY;
    if (!secp256k1_ecdsa_signature_parse_compact(c, &s, sig))
        return AEGIS_ERR_BAD_SIG;
    /* secp256k1_ecdsa_verify itself refuses high s. */
    return secp256k1_ecdsa_verify(c, &s, digest, &p) ? AEGIS_OK : AEGIS_ERR_BAD_SIG;
}

aegis_err aegis_secp256k1_recover(uint8_t pk[static 65], const uint8_t rs[static 64], int recid,
                                  const uint8_t digest[static 32], bool require_low_s)
{
    const secp256k1_context *c = ctx_get();
    if (!c)
        return AEGIS_ERR_CRYPTO_BACKEND;
    if (recid < 0 || recid > 3)
        return AEGIS_ERR_BAD_SIG;
    secp256k1_ecdsa_signature plain;
    if (!secp256k1_ecdsa_signature_parse_compact(c, &plain, rs))
        return AEGIS_ERR_BAD_SIG;
    if (require_low_s) {
        secp256k1_ecdsa_signature norm;
        /* normalize returns 1 when the input was high-s */
        if (secp256k1_ecdsa_signature_normalize(c, &norm, &plain))
            return AEGIS_ERR_BAD_SIG;   /* per crypto.h: high s is a bad signature */
    }
    secp256k1_ecdsa_recoverable_signature rsig;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(c, &rsig, rs, recid))
        return AEGIS_ERR_BAD_SIG;
    secp256k1_pubkey p;
    if (!secp256k1_ecdsa_recover(c, &p, &rsig, digest))
        return AEGIS_ERR_BAD_SIG;
    return serialize_pk(pk, c, &p);
}

void aegis_eth_address(uint8_t addr[static 20], const uint8_t pk[static 65])
{
    uint8_t h[32];
    aegis_keccak256(h, pk + 1, 64);
    memcpy(addr, h + 12, 20);
}
