/*
 * x25519.c - X25519 (RFC 7748) through OpenSSL 3's EVP_PKEY.
 *
 * Private keys are used as given (OpenSSL clamps internally); the shared
 * secret is refused when it is all zero, which is what a small-order peer
 * public key produces (RFC 7748 §6.1 "check").
 *
 * A prepared key (aegis_x25519_key, one per envelope key set) keeps the
 * contexts it made in a small pool: EVP_PKEY_CTX_new + EVP_PKEY_derive_init
 * and EVP_PKEY_new_raw_public_key fetch from the provider store on every
 * call (~4 + ~3 us of a ~40 us derive on one thread), and every envelope
 * opening derives once. A slot (a derive context on the key and a context
 * that imports the peer's public key) is taken from the pool and put back
 * after a successful derive (one that failed is freed, so a bad peer never
 * leaves state behind). The pooled contexts hold a reference to the key's
 * EVP_PKEY and nothing else secret; they are freed with the key, so the
 * private key lives no longer than before.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

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

/* What one derive needs besides the peer's bytes: a derive context on the
 * key, and a context that imports the peer's public key (EVP_PKEY_fromdata
 * on it skips the key-management fetch of EVP_PKEY_new_raw_public_key). */
struct slot {
    EVP_PKEY_CTX *derive, *import;
};

struct ctx_pool {
    pthread_mutex_t mu;
    size_t n;
    struct slot s[CTX_POOL];
};

struct aegis_x25519_key {
    EVP_PKEY *pkey;
    struct ctx_pool *pool;   /* mutable behind a const key */
};

static void slot_free(struct slot *s)
{
    EVP_PKEY_CTX_free(s->derive);
    EVP_PKEY_CTX_free(s->import);
    s->derive = s->import = NULL;
}

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
        slot_free(&k->pool->s[i]);
    pthread_mutex_destroy(&k->pool->mu);
    aegis_free(k->pool);
    EVP_PKEY_free(k->pkey);   /* OpenSSL cleanses raw private key storage on free */
    aegis_free(k);
}

/* A slot for key: from the pool when one is there, else a new one. */
static aegis_err slot_take(EVP_PKEY *key, struct ctx_pool *pool, struct slot *ret)
{
    bool got = false;
    pthread_mutex_lock(&pool->mu);
    if (pool->n) {
        *ret = pool->s[--pool->n];
        got = true;
    }
    pthread_mutex_unlock(&pool->mu);
    if (got)
        return AEGIS_OK;
    ret->derive = EVP_PKEY_CTX_new(key, NULL);
    ret->import = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
    aegis_err err = !ret->derive || !ret->import              ? AEGIS_ERR_NOMEM
                    : EVP_PKEY_derive_init(ret->derive) != 1 ? AEGIS_ERR_CRYPTO_BACKEND
                                                             : AEGIS_OK;
    if (err)
        slot_free(ret);
    return err;
}

/* Back to the pool after a successful derive; freed otherwise. */
static void slot_put(struct slot *s, struct ctx_pool *pool, bool ok)
{
    if (ok) {
        pthread_mutex_lock(&pool->mu);
        if (pool->n < CTX_POOL) {
            pool->s[pool->n++] = *s;
            s->derive = s->import = NULL;
        }
        pthread_mutex_unlock(&pool->mu);
    }
    slot_free(s);
}

/* ss = X25519(key, peer) on the contexts given; the all-zero result of a
 * small-order peer is AEGIS_ERR_BAD_KEY (OpenSSL's own check may already
 * fail derive_set_peer or derive: the same error). */
static aegis_err derive_on(uint8_t ss[static 32], EVP_PKEY_CTX *derive, EVP_PKEY *pub)
{
    uint8_t out[32];
    size_t len = sizeof(out);
    static const uint8_t zero[32];
    aegis_err err = AEGIS_ERR_BAD_KEY;
    if (EVP_PKEY_derive_set_peer(derive, pub) == 1 && EVP_PKEY_derive(derive, out, &len) == 1 && len == 32 &&
        !aegis_ct_eq(out, zero, 32)) {
        memcpy(ss, out, 32);
        err = AEGIS_OK;
    }
    aegis_memzero(out, sizeof(out));
    return err;
}

aegis_err aegis_x25519_derive(uint8_t ss[static 32], const aegis_x25519_key *k, const uint8_t peer[static 32])
{
    struct slot sl;
    aegis_err err = slot_take(k->pkey, k->pool, &sl);
    if (err)
        return err;
    EVP_PKEY *pub = NULL;
    OSSL_PARAM prm[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer, 32),
        OSSL_PARAM_construct_end(),
    };
    err = EVP_PKEY_fromdata_init(sl.import) == 1 &&
                            EVP_PKEY_fromdata(sl.import, &pub, EVP_PKEY_PUBLIC_KEY, prm) == 1
                        ? derive_on(ss, sl.derive, pub)
                        : AEGIS_ERR_CRYPTO_BACKEND;
    slot_put(&sl, k->pool, err == AEGIS_OK);
    EVP_PKEY_free(pub);
    return err;
}

aegis_err aegis_x25519(uint8_t ss[static 32], const uint8_t sk[static 32], const uint8_t peer[static 32])
{
    aegis_err err = AEGIS_ERR_CRYPTO_BACKEND;
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
    EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
    EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
    if (pub && ctx && EVP_PKEY_derive_init(ctx) == 1)
        err = derive_on(ss, ctx, pub);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(key);   /* OpenSSL cleanses raw private key storage on free */
    return err;
}
