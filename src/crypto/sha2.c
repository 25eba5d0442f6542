/* sha2.c - SHA-256 / SHA-512 one-shot through OpenSSL 3 (SHA-NI when present). */
#include <openssl/sha.h>

#include "aegis/crypto.h"

/* The legacy one-shot SHA256()/SHA512() are not deprecated in OpenSSL 3 and
 * avoid the EVP fetch per call; they cannot fail for in-memory input. */
void aegis_sha256(uint8_t out[static 32], const void *in, size_t n)
{
    SHA256(in, n, out);
}

void aegis_sha512(uint8_t out[static 64], const void *in, size_t n)
{
    SHA512(in, n, out);
}
