/*
 * pq_sha2.c - the SHA-2 functions PQClean's common/sha2.h declares, on
 * OpenSSL 3's SHA-256 / SHA-512 (SHA-NI / AVX2 code paths picked by OpenSSL at
 * run time) instead of PQClean's portable common/sha2.c, which we do not
 * compile. patches/0002 makes the state an inline SHA256_CTX / SHA512_CTX, so
 * nothing here allocates and clone is a struct copy.
 *
 * SLH-DSA spends nearly all its time in F/PRF/H: one clone of the PK.seed-
 * seeded state and one short final block. The finalize functions therefore
 * pad a final block that fits into one compression themselves and call the
 * one-block transform directly, skipping OpenSSL's buffering and cleanse.
 * The low-level SHA*_Init/Update/Final/Transform calls are deprecated in 3.0
 * but stable and much faster than EVP for this access pattern (measured in
 * docs/internals/pqclean.md), hence OPENSSL_API_COMPAT for this file only.
 *
 * Names are PQClean's (unprefixed) because PQClean's objects link against
 * them; nothing else in Aegis should call them.
 */
#define OPENSSL_API_COMPAT 10101
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#include "sha2.h"

/* The prototypes live in PQClean's sha2.h, which -Wmissing-prototypes sees. */

void sha256_inc_init(sha256ctx *state)
{
    SHA256_Init(&state->ctx);
}

void sha256_inc_ctx_clone(sha256ctx *stateout, const sha256ctx *statein)
{
    stateout->ctx = statein->ctx;
}

void sha256_inc_blocks(sha256ctx *state, const uint8_t *in, size_t inblocks)
{
    SHA256_Update(&state->ctx, in, inblocks * 64);
}

void sha256_inc_finalize(uint8_t *out, sha256ctx *state, const uint8_t *in, size_t inlen)
{
    SHA256_CTX *c = &state->ctx;
    if (c->num == 0 && inlen <= 55) {
        uint8_t block[64];
        uint64_t bits = (((uint64_t)c->Nh << 32) | c->Nl) + (uint64_t)inlen * 8;
        memcpy(block, in, inlen);
        block[inlen] = 0x80;
        memset(block + inlen + 1, 0, 56 - inlen - 1);
        for (int i = 0; i < 8; i++)
            block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
        SHA256_Transform(c, block);
        for (int i = 0; i < 8; i++) {
            out[4 * i] = (uint8_t)(c->h[i] >> 24);
            out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
            out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
            out[4 * i + 3] = (uint8_t)c->h[i];
        }
        return;
    }
    SHA256_Update(c, in, inlen);
    SHA256_Final(out, c);
}

void sha256_inc_ctx_release(sha256ctx *state)
{
    OPENSSL_cleanse(&state->ctx, sizeof(state->ctx));
}

void sha256(uint8_t *out, const uint8_t *in, size_t inlen)
{
    SHA256(in, inlen, out);
}

void sha512_inc_init(sha512ctx *state)
{
    SHA512_Init(&state->ctx);
}

void sha512_inc_ctx_clone(sha512ctx *stateout, const sha512ctx *statein)
{
    stateout->ctx = statein->ctx;
}

void sha512_inc_blocks(sha512ctx *state, const uint8_t *in, size_t inblocks)
{
    SHA512_Update(&state->ctx, in, inblocks * 128);
}

void sha512_inc_finalize(uint8_t *out, sha512ctx *state, const uint8_t *in, size_t inlen)
{
    SHA512_CTX *c = &state->ctx;
    if (c->num == 0 && c->Nh == 0 && inlen <= 111) {
        uint8_t block[128];
        uint64_t bits = c->Nl + (uint64_t)inlen * 8;   /* < 2^64: Nh == 0 */
        memcpy(block, in, inlen);
        block[inlen] = 0x80;
        memset(block + inlen + 1, 0, 120 - inlen - 1);
        for (int i = 0; i < 8; i++)
            block[120 + i] = (uint8_t)(bits >> (56 - 8 * i));
        SHA512_Transform(c, block);
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
                out[8 * i + j] = (uint8_t)(c->h[i] >> (56 - 8 * j));
        return;
    }
    SHA512_Update(c, in, inlen);
    SHA512_Final(out, c);
}

void sha512_inc_ctx_release(sha512ctx *state)
{
    OPENSSL_cleanse(&state->ctx, sizeof(state->ctx));
}

void sha512(uint8_t *out, const uint8_t *in, size_t inlen)
{
    SHA512(in, inlen, out);
}
