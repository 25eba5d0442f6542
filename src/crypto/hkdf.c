/*
 * hkdf.c - HKDF-SHA-256 (RFC 5869) through OpenSSL 3's EVP_KDF.
 *
 * The "HKDF" implementation is fetched once (pthread_once) and then only
 * shared read-only, which OpenSSL allows across threads; each call gets its
 * own EVP_KDF_CTX.
 */
#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "aegis/crypto.h"

static pthread_once_t kdf_once = PTHREAD_ONCE_INIT;
static EVP_KDF *kdf_hkdf;   /* written once under kdf_once */

static void kdf_fetch(void)
{
    kdf_hkdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
}

aegis_err aegis_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm, size_t ikm_len,
                            const uint8_t *salt, size_t salt_len,
                            const uint8_t *info, size_t info_len)
{
    if (out_len == 0 || out_len > 255 * 32)
        return AEGIS_ERR_BAD_LENGTH;
    pthread_once(&kdf_once, kdf_fetch);
    if (!kdf_hkdf)
        return AEGIS_ERR_CRYPTO_BACKEND;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf_hkdf);
    if (!ctx)
        return AEGIS_ERR_NOMEM;
    static const uint8_t empty[1];
    OSSL_PARAM params[5], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(ikm_len ? ikm : empty), ikm_len);
    if (salt_len)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info_len)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    aegis_err err = EVP_KDF_derive(ctx, out, out_len, params) == 1 ? AEGIS_OK : AEGIS_ERR_CRYPTO_BACKEND;
    EVP_KDF_CTX_free(ctx);   /* cleanses its copies of key and salt */
    if (err != AEGIS_OK)
        aegis_memzero(out, out_len);
    return err;
}
