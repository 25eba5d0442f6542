/*
 * pq_sha3.c - SHAKE256 over pieces for ML-DSA (tr = H(pk), mu, rho',
 * c-tilde) on OpenSSL 3, whose Keccak is assembly (about 280 ns a
 * permutation here against 475 ns in PQClean's portable C; tr alone is 20).
 * The digest is fetched once (pthread_once); the context is per call and
 * OpenSSL clears it when freed. Should OpenSSL fail (no memory, a provider
 * missing) the same hash runs on PQClean's fips202, so there is no error
 * to return: the bytes are the same either way. (The vector ML-KEM does its
 * hashing on the four-way Keccak, keccak4x.c.) With AVX-512VL the hash runs
 * on one lane of our four-way Keccak instead (aegis__shake256x1, faster
 * there: keccak4x.h); AEGIS_CPU=avx2 or portable keeps OpenSSL.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "pq_int.h"

#include "fips202.h"
#include "keccak4x.h"

static EVP_MD *md_shake256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
    md_shake256 = EVP_MD_fetch(NULL, "SHAKE256", NULL);
}

/* out = md(pieces), outlen bytes (XOF: any length; fixed digests: theirs) */
static bool evp_hash_pieces(const EVP_MD *md, uint8_t *out, size_t outlen, const struct aegis__piece *pc,
                            size_t count)
{
    if (!md)
        return false;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = c && EVP_DigestInit_ex(c, md, NULL) == 1;
    for (size_t i = 0; ok && i < count; i++)
        ok = pc[i].n == 0 || EVP_DigestUpdate(c, pc[i].p, pc[i].n) == 1;
    if (ok && EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF)
        ok = EVP_DigestFinalXOF(c, out, outlen) == 1;
    else if (ok)
        ok = EVP_DigestFinal_ex(c, out, NULL) == 1;
    EVP_MD_CTX_free(c);
    return ok;
}


void aegis__shake256_pieces(uint8_t *out, size_t outlen, const struct aegis__piece *pc, size_t count)
{
#if defined(__x86_64__)
    if (aegis__cpu()->level >= AEGIS_CPU_AVX512) {
        aegis__shake256x1 c;
        aegis__shake256x1_init(&c);
        for (size_t i = 0; i < count; i++)
            aegis__shake256x1_absorb(&c, pc[i].p, pc[i].n);
        aegis__shake256x1_finalize(&c);
        aegis__shake256x1_squeeze(&c, out, outlen);
        aegis__shake256x1_clear(&c);
        return;
    }
#endif
    pthread_once(&md_once, md_fetch);
    if (evp_hash_pieces(md_shake256, out, outlen, pc, count))
        return;
    shake256incctx st;
    shake256_inc_init(&st);
    for (size_t i = 0; i < count; i++)
        if (pc[i].n)
            shake256_inc_absorb(&st, pc[i].p, pc[i].n);
    shake256_inc_finalize(&st);
    shake256_inc_squeeze(out, outlen, &st);
    shake256_inc_ctx_release(&st);
}

void aegis__shake256_2(uint8_t *out, size_t outlen, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    const struct aegis__piece pc[2] = {{a, alen}, {b, blen}};
    aegis__shake256_pieces(out, outlen, pc, 2);
}
