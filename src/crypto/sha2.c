/*
 * sha2.c - SHA-256 / SHA-512 one-shot, on OpenSSL's low-level functions
 * (SHA-NI / AVX2 code picked by OpenSSL at run time).
 *
 * Not the one-shot SHA256()/SHA512(): in OpenSSL 3 they are EVP_Q_digest,
 * which fetches the digest from the provider store on every call (a lookup
 * under the store's lock: ~0.25 us a call alone, more with eight RPC threads
 * opening envelopes, each hashing the envelope and its header). The
 * low-level calls are deprecated in 3.0 but stable, hence
 * OPENSSL_API_COMPAT for this file, as in pq_sha2.c. The context is wiped:
 * some inputs are secrets (the key-set rotation hashes private keys).
 */
#define OPENSSL_API_COMPAT 10101
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "aegis/crypto.h"

void aegis_sha256(uint8_t out[static 32], const void *in, size_t n)
{
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, in, n);
    SHA256_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof(c));
}

void aegis_sha512(uint8_t out[static 64], const void *in, size_t n)
{
    SHA512_CTX c;
    SHA512_Init(&c);
    SHA512_Update(&c, in, n);
    SHA512_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof(c));
}
