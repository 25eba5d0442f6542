/*
 * x25519.c - X25519 (RFC 7748) through OpenSSL 3's EVP_PKEY.
 *
 * Private keys are used as given (OpenSSL clamps internally); the shared
 * secret is refused when it is all zero, which is what a small-order peer
 * public key produces (RFC 7748 §6.1 "check").
 *
 * A prepared key (aegis_x25519_key, one per envelope key set) keeps the
 * derive contexts it made in a small pool: EVP_PKEY_CTX_new and
 * EVP_PKEY_derive_init fetch the key exchange from the provider store on
 * every call (~4 us of a ~37 us derive on one thread), and every envelope
 * opening derives once. A context is taken from the pool, given the peer,
 * and put back after a successful derive (one that failed is freed, so a
 * bad peer never leaves state behind). The pooled contexts hold a
 * reference to the key's EVP_PKEY and nothing else secret; they are freed
 * with the key, so the private key lives no longer than before.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "aegis/crypto.h"

aegis_err aegis_x25519_public(uint8_t pk[static 32], const uint8_t sk[static 32])
{
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
    if (!key)
        return AEGIS_ERR_CRYPTO_BACKEND;
    size_t len = 32;
    aegis_err err = EVP_PKEY_get_raw_public_key(key, pk, &len) == 1 && len == 32
                        ? AEGIS_OK : AEGIS_ERR_CRYPTO_BACKEND;
    EVP_PKEY_free(key);   /* OpenSSL cleanses raw private key storage on free */
    return err;
}

aegis_err aegis_x25519_keygen(uint8_t pk[static 32], uint8_t sk[static 32])
{
    uint8_t k[32], p[32];
    aegis_err err = aegis_random_bytes(k, sizeof(k));
    if (err == AEGIS_OK)
        err = aegis_x25519_public(p, k);
    if (err == AEGIS_OK) {
        memcpy(sk, k, 32);
        memcpy(pk, p, 32);
    }
    aegis_memzero(k, sizeof(k));
    return err;
}

#define CTX_POOL 16   /* above the RPC threads that open envelopes at once */

struct ctx_pool {
    pthread_mutex_t mu;
    size_t n;
    EVP_PKEY_CTX *c[CTX_POOL];
};

struct aegis_x25519_key {
    EVP_PKEY *pkey;
    struct ctx_pool *pool;   /* mutable behind a const key */
};

aegis_err aegis_x25519_key_new(aegis_x25519_key **ret, const uint8_t sk[static 32])
{
    aegis_x25519_key *k = aegis_calloc(1, sizeof(*k));
    if (!k)
        return AEGIS_ERR_NOMEM;
    k->pool = aegis_calloc(1, sizeof(*k->pool));
    k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
    if (!k->pool || !k->pkey) {
        aegis_err err = k->pool ? AEGIS_ERR_CRYPTO_BACKEND : AEGIS_ERR_NOMEM;
        EVP_PKEY_free(k->pkey);
        aegis_free(k->pool);
        aegis_free(k);
        return err;
    }
    pthread_mutex_init(&k->pool->mu, NULL);
    *ret = k;
    return AEGIS_OK;
}

void aegis_x25519_key_free(aegis_x25519_key *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->pool->n; i++)
        EVP_PKEY_CTX_free(k->pool->c[i]);
    pthread_mutex_destroy(&k->pool->mu);
    aegis_free(k->pool);
    EVP_PKEY_free(k->pkey);   /* OpenSSL cleanses raw private key storage on free */
    aegis_free(k);
}

/* A derive context for key: from the pool when one is there. */
static EVP_PKEY_CTX *ctx_take(EVP_PKEY *key, struct ctx_pool *pool)
{
    EVP_PKEY_CTX *ctx = NULL;
    if (pool) {
        pthread_mutex_lock(&pool->mu);
        if (pool->n)
            ctx = pool->c[--pool->n];
        pthread_mutex_unlock(&pool->mu);
        if (ctx)
            return ctx;
    }
    ctx = EVP_PKEY_CTX_new(key, NULL);
    if (ctx && EVP_PKEY_derive_init(ctx) != 1) {
        EVP_PKEY_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/* Back to the pool after a successful derive; freed otherwise. */
static void ctx_put(EVP_PKEY_CTX *ctx, struct ctx_pool *pool, bool ok)
{
    if (ctx && ok && pool) {
        pthread_mutex_lock(&pool->mu);
        if (pool->n < CTX_POOL) {
            pool->c[pool->n++] = ctx;
            ctx = NULL;
        }
        pthread_mutex_unlock(&pool->mu);
    }
    EVP_PKEY_CTX_free(ctx);
}

static aegis_err derive_with(uint8_t ss[static 32], EVP_PKEY *key, struct ctx_pool *pool,
                             const uint8_t peer[static 32])
{
    aegis_err err = AEGIS_ERR_CRYPTO_BACKEND;
    EVP_PKEY *pub = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    uint8_t out[32];
    size_t len = sizeof(out);

    pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
    if (!pub)
        goto out;
    ctx = ctx_take(key, pool);
    if (!ctx)
        goto out;
    /* OpenSSL's own all-zero check fails derive_set_peer/derive; either way
     * we map a small-order peer to BAD_KEY below. */
    if (EVP_PKEY_derive_set_peer(ctx, pub) != 1 || EVP_PKEY_derive(ctx, out, &len) != 1 || len != 32) {
        err = AEGIS_ERR_BAD_KEY;
        goto out;
    }
    static const uint8_t zero[32];
    if (aegis_ct_eq(out, zero, 32)) {
        err = AEGIS_ERR_BAD_KEY;
        goto out;
    }
    memcpy(ss, out, 32);
    err = AEGIS_OK;
out:
    aegis_memzero(out, sizeof(out));
    ctx_put(ctx, pool, err == AEGIS_OK);
    EVP_PKEY_free(pub);
    return err;
}

aegis_err aegis_x25519_derive(uint8_t ss[static 32], const aegis_x25519_key *k, const uint8_t peer[static 32])
{
    return derive_with(ss, k->pkey, k->pool, peer);
}

aegis_err aegis_x25519(uint8_t ss[static 32], const uint8_t sk[static 32], const uint8_t peer[static 32])
{
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
    if (!key)
        return AEGIS_ERR_CRYPTO_BACKEND;
    aegis_err err = derive_with(ss, key, NULL, peer);
    EVP_PKEY_free(key);
    return err;
}
