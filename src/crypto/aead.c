/*
 * aead.c - AES-256-GCM (96-bit nonce, 128-bit tag) through OpenSSL 3's EVP.
 *
 * The cipher is fetched once (pthread_once) and shared read-only; every call
 * has its own EVP_CIPHER_CTX, freed (and cleansed by OpenSSL) before return.
 * EVP takes int lengths, so long inputs are fed in chunks.
 */
#include <limits.h>
#include <pthread.h>

#include <openssl/evp.h>

#include "aegis/crypto.h"

#define CHUNK ((size_t)1 << 30)

static pthread_once_t gcm_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *gcm_cipher;   /* written once under gcm_once */

static void gcm_fetch(void)
{
    gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static aegis_err feed_aad(EVP_CIPHER_CTX *c, const uint8_t *aad, size_t n)
{
    while (n > 0) {
        size_t k = n > CHUNK ? CHUNK : n;
        int outl = 0;
        if (EVP_CipherUpdate(c, NULL, &outl, aad, (int)k) != 1)
            return AEGIS_ERR_CRYPTO_BACKEND;
        aad += k;
        n -= k;
    }
    return AEGIS_OK;
}

static aegis_err feed_data(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in, size_t n)
{
    while (n > 0) {
        size_t k = n > CHUNK ? CHUNK : n;
        int outl = 0;
        if (EVP_CipherUpdate(c, out, &outl, in, (int)k) != 1 || (size_t)outl != k)
            return AEGIS_ERR_CRYPTO_BACKEND;
        in += k;
        out += k;
        n -= k;
    }
    return AEGIS_OK;
}

static EVP_CIPHER_CTX *gcm_start(const uint8_t key[static 32], const uint8_t nonce[static 12], int enc)
{
    pthread_once(&gcm_once, gcm_fetch);
    if (!gcm_cipher)
        return NULL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return NULL;
    /* default GCM IV length is 12 bytes */
    if (EVP_CipherInit_ex2(c, gcm_cipher, key, nonce, enc, NULL) != 1) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

aegis_err aegis_aead_seal(uint8_t *ct, uint8_t tag[static 16], const uint8_t key[static 32],
                          const uint8_t nonce[static 12], const uint8_t *aad, size_t aad_len,
                          const uint8_t *pt, size_t pt_len)
{
    EVP_CIPHER_CTX *c = gcm_start(key, nonce, 1);
    if (!c)
        return AEGIS_ERR_CRYPTO_BACKEND;
    aegis_err err = feed_aad(c, aad, aad_len);
    if (err == AEGIS_OK)
        err = feed_data(c, ct, pt, pt_len);
    int outl = 0;
    uint8_t dummy[16];
    if (err == AEGIS_OK && (EVP_CipherFinal_ex(c, dummy, &outl) != 1 ||
                            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1))
        err = AEGIS_ERR_CRYPTO_BACKEND;
    EVP_CIPHER_CTX_free(c);
    if (err != AEGIS_OK && pt_len)
        aegis_memzero(ct, pt_len);
    return err;
}

aegis_err aegis_aead_open(uint8_t *pt, const uint8_t key[static 32], const uint8_t nonce[static 12],
                          const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
                          const uint8_t tag[static 16])
{
    EVP_CIPHER_CTX *c = gcm_start(key, nonce, 0);
    if (!c)
        return AEGIS_ERR_CRYPTO_BACKEND;
    aegis_err err = feed_aad(c, aad, aad_len);
    if (err == AEGIS_OK)
        err = feed_data(c, pt, ct, ct_len);
    if (err == AEGIS_OK && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1)
        err = AEGIS_ERR_CRYPTO_BACKEND;
    int outl = 0;
    uint8_t dummy[16];
    /* OpenSSL compares the tag in constant time (CRYPTO_memcmp). */
    if (err == AEGIS_OK && EVP_CipherFinal_ex(c, dummy, &outl) != 1)
        err = AEGIS_ERR_CRYPTO_AEAD;
    EVP_CIPHER_CTX_free(c);
    if (err != AEGIS_OK && ct_len)
        aegis_memzero(pt, ct_len);
    return err;
}
