/*
 * hkdf.c - HKDF-SHA-256 (RFC 5869) on HMAC-SHA-256 (RFC 2104) written
 * here over OpenSSL's low-level SHA-256.
 *
 * Every envelope opening derives its AEAD key with it. Through EVP_KDF it
 * cost a context, a parameter array, a digest fetch per call and four
 * one-shot HMACs that each fetched again (~2.2 us on one thread, more with
 * eight RPC threads sharing the provider store's lock); here it is six
 * SHA-256 compressions and no allocation. The HMAC key's inner and outer
 * states are computed once per key (the salt for the extract, the PRK for
 * the expand) and copied per block. Every intermediate (padded keys, PRK,
 * the previous block, hash states) is wiped before return.
 */
#define OPENSSL_API_COMPAT 10101   /* SHA256_Init & co, see sha2.c */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "aegis/crypto.h"

/* An HMAC-SHA-256 key: the states after (key ^ ipad) and (key ^ opad). */
typedef struct hmac_key {
    SHA256_CTX in, out;
} hmac_key;

static void hmac_key_init(hmac_key *k, const uint8_t *key, size_t n)
{
    uint8_t kb[64] = { 0 }, pad[64];
    if (n > sizeof(kb))
        aegis_sha256(kb, key, n);   /* longer than a block: its hash is the key */
    else if (n)
        memcpy(kb, key, n);
    for (size_t i = 0; i < 64; i++)
        pad[i] = kb[i] ^ 0x36;
    SHA256_Init(&k->in);
    SHA256_Update(&k->in, pad, 64);
    for (size_t i = 0; i < 64; i++)
        pad[i] = kb[i] ^ 0x5c;
    SHA256_Init(&k->out);
    SHA256_Update(&k->out, pad, 64);
    OPENSSL_cleanse(kb, sizeof(kb));
    OPENSSL_cleanse(pad, sizeof(pad));
}

/* HMAC(k, a || b || c) into out; any part may be empty. */
static void hmac3(const hmac_key *k, const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
                  const uint8_t *c, size_t cn, uint8_t out[32])
{
    SHA256_CTX h = k->in;
    SHA256_Update(&h, a, an);
    SHA256_Update(&h, b, bn);
    SHA256_Update(&h, c, cn);
    SHA256_Final(out, &h);
    h = k->out;
    SHA256_Update(&h, out, 32);
    SHA256_Final(out, &h);
    OPENSSL_cleanse(&h, sizeof(h));
}

aegis_err aegis_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm, size_t ikm_len,
                            const uint8_t *salt, size_t salt_len,
                            const uint8_t *info, size_t info_len)
{
    if (out_len == 0 || out_len > 255 * 32)
        return AEGIS_ERR_BAD_LENGTH;
    hmac_key k;
    uint8_t prk[32], t[32];
    /* extract: PRK = HMAC(salt, IKM); no salt is HashLen zero bytes, which
     * as an HMAC key is the same as an empty one */
    hmac_key_init(&k, salt, salt_len);
    hmac3(&k, ikm, ikm_len, NULL, 0, NULL, 0, prk);
    /* expand: T(i) = HMAC(PRK, T(i-1) || info || i), T(0) empty */
    hmac_key_init(&k, prk, sizeof(prk));
    size_t done = 0;
    for (uint8_t i = 1; done < out_len; i++) {
        hmac3(&k, t, i == 1 ? 0 : 32, info, info_len, &i, 1, t);
        size_t take = out_len - done < 32 ? out_len - done : 32;
        memcpy(out + done, t, take);
        done += take;
    }
    OPENSSL_cleanse(&k, sizeof(k));
    OPENSSL_cleanse(prk, sizeof(prk));
    OPENSSL_cleanse(t, sizeof(t));
    return AEGIS_OK;
}
