/*
 * mlkem.c - ML-KEM-1024 (FIPS 203) on PQClean's ml-kem-1024/clean, plus the
 * input checks PQClean lacks:
 *   7.2 encapsulation key: ByteEncode12(ByteDecode12(t-hat)) == t-hat, i.e.
 *       every 12-bit coefficient of the 1536-byte t-hat is < q (the modulus
 *       check); the length is fixed by the type.
 *   7.3 decapsulation key: H(ek embedded in dk) equals the H(ek) stored in dk.
 * encaps runs 7.2 first, decaps 7.3 first; both are exported for key load.
 * Randomness is drawn here (failures are errors) and passed to PQClean's
 * _derand functions, or, when aegis__cpu() allows AVX2, to our vectorised
 * implementation (mlkem_avx2_*.c), which gives the same bytes. Decaps uses
 * implicit rejection (a wrong ciphertext yields J(z || c), not an error), as
 * FIPS 203 requires.
 *
 * aegis_mlkem1024_key is a decapsulation key checked and prepared once: on
 * the vector path it holds the decoded secret, t-hat, the expanded A^T and
 * H(ek) (as OpenSSL keeps a loaded key), so decapsulation skips the matrix
 * expansion; on the portable path it holds the checked dk.
 */
#include <string.h>
#include <sys/mman.h>

#include "aegis/crypto.h"
#include "mlkem_int.h"
#include "pq_int.h"

#include "fips202.h"
#include "kem.h"
#include "params.h"

_Static_assert(AEGIS_MLKEM1024_EK_BYTES == KYBER_PUBLICKEYBYTES, "ek size");
_Static_assert(AEGIS_MLKEM1024_DK_BYTES == KYBER_SECRETKEYBYTES, "dk size");
_Static_assert(AEGIS_MLKEM1024_CT_BYTES == KYBER_CIPHERTEXTBYTES, "ct size");

/* dk = dk_pke (384k) || ek (384k + 32) || H(ek) (32) || z (32) */
#define DK_EK_OFFSET KYBER_INDCPA_SECRETKEYBYTES
#define DK_H_OFFSET  (DK_EK_OFFSET + KYBER_PUBLICKEYBYTES)

#if defined(__x86_64__) && defined(__GNUC__)
#define AEGIS_MLKEM_VECTOR 1
static bool use_vector(void)
{
    return aegis__cpu()->level >= AEGIS_CPU_AVX2;
}
#else
static bool use_vector(void)
{
    return false;
}
#define aegis__mlkem_avx2_keypair(ek, dk, d, z) aegis_misuse("no vector ML-KEM")
#define aegis__mlkem_avx2_enc(ct, k, ek, m) aegis_misuse("no vector ML-KEM")
#endif

aegis_err aegis_mlkem1024_check_ek(const uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES])
{
#ifdef AEGIS_MLKEM_VECTOR
    if (use_vector())
        return aegis__mlkem_avx2_ek_in_range(ek) ? AEGIS_OK : AEGIS_ERR_MLKEM_EK_CHECK;
#endif
    /* Two 12-bit little-endian coefficients per 3 bytes (ByteDecode12). */
    for (size_t i = 0; i < KYBER_POLYVECBYTES; i += 3) {
        uint16_t a = (uint16_t)(ek[i] | ((ek[i + 1] & 0x0f) << 8));
        uint16_t b = (uint16_t)((ek[i + 1] >> 4) | (ek[i + 2] << 4));
        if (a >= KYBER_Q || b >= KYBER_Q)
            return AEGIS_ERR_MLKEM_EK_CHECK;
    }
    return AEGIS_OK;
}

aegis_err aegis_mlkem1024_check_dk(const uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES])
{
    uint8_t h[KYBER_SYMBYTES];
    sha3_256(h, dk + DK_EK_OFFSET, KYBER_PUBLICKEYBYTES);
    return aegis_ct_eq(h, dk + DK_H_OFFSET, sizeof(h)) ? AEGIS_OK : AEGIS_ERR_MLKEM_DK_CHECK;
}

aegis_err aegis_mlkem1024_keygen_dz(uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES],
                                    uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES],
                                    const uint8_t d[static 32], const uint8_t z[static 32])
{
    uint8_t coins[2 * KYBER_SYMBYTES];
    memcpy(coins, d, KYBER_SYMBYTES);
    memcpy(coins + KYBER_SYMBYTES, z, KYBER_SYMBYTES);
    if (use_vector()) {
        aegis__mlkem_avx2_keypair(ek, dk, d, z);
    } else {
        PQCLEAN_MLKEM1024_CLEAN_crypto_kem_keypair_derand(ek, dk, coins);
        aegis__pq_scrub_stack();
    }
    aegis_memzero(coins, sizeof(coins));
    return AEGIS_OK;
}

aegis_err aegis_mlkem1024_keygen(uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES],
                                 uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES])
{
    uint8_t dz[2 * KYBER_SYMBYTES];
    aegis_err err = aegis_random_bytes(dz, sizeof(dz));
    if (err == AEGIS_OK)
        err = aegis_mlkem1024_keygen_dz(ek, dk, dz, dz + KYBER_SYMBYTES);
    aegis_memzero(dz, sizeof(dz));
    return err;
}

/* Encaps_internal on an ek that passed the 7.2 check. The vector code
 * scrubs what its own callees leave; PQClean's frames get the 32 KiB scrub. */
static void encaps_checked(uint8_t *ct, uint8_t *ss, const uint8_t *ek, const uint8_t *m)
{
    uint8_t k[KYBER_SSBYTES];
    if (use_vector()) {
        aegis__mlkem_avx2_enc(ct, k, ek, m);
    } else {
        PQCLEAN_MLKEM1024_CLEAN_crypto_kem_enc_derand(ct, k, ek, m);
        aegis__pq_scrub_stack();
    }
    memcpy(ss, k, sizeof(k));
    aegis_memzero(k, sizeof(k));
}

aegis_err aegis_mlkem1024_encaps_m(uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                   uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                   const uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES],
                                   const uint8_t m[static 32])
{
    aegis_err err = aegis_mlkem1024_check_ek(ek);
    if (err != AEGIS_OK)
        return err;
    encaps_checked(ct, ss, ek, m);
    return AEGIS_OK;
}

aegis_err aegis_mlkem1024_encaps(uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                 uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                 const uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES])
{
    uint8_t m[KYBER_SYMBYTES];
    /* the 7.2 check first, so a bad key costs no randomness and reports the
     * key error even if the source is failing */
    aegis_err err = aegis_mlkem1024_check_ek(ek);
    if (err == AEGIS_OK)
        err = aegis_random_bytes(m, sizeof(m));
    if (err == AEGIS_OK)
        encaps_checked(ct, ss, ek, m);
    aegis_memzero(m, sizeof(m));
    return err;
}

aegis_err aegis_mlkem1024_decaps(uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                 const uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                 const uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES])
{
    aegis_err err = aegis_mlkem1024_check_dk(dk);
    if (err != AEGIS_OK)
        return err;
    return aegis_mlkem1024_decaps_checked(ss, ct, dk);
}

aegis_err aegis_mlkem1024_decaps_checked(uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                         const uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                         const uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES])
{
    uint8_t k[KYBER_SSBYTES];
#ifdef AEGIS_MLKEM_VECTOR
    if (use_vector()) {
        aegis__mlkem_avx2_dec_dk(k, ct, dk);
        memcpy(ss, k, sizeof(k));
        aegis_memzero(k, sizeof(k));
        return AEGIS_OK;
    }
#endif
    PQCLEAN_MLKEM1024_CLEAN_crypto_kem_dec(k, ct, dk);
    aegis__pq_scrub_stack();
    memcpy(ss, k, sizeof(k));
    aegis_memzero(k, sizeof(k));
    return AEGIS_OK;
}

struct aegis_mlkem1024_key {
    bool vector;    /* prepared for the AVX2 path (prep valid) */
    bool locked;
    uint8_t dk[AEGIS_MLKEM1024_DK_BYTES];
    struct aegis__mlkem_prepared prep;
};

aegis_err aegis_mlkem1024_key_new(aegis_mlkem1024_key **ret, const uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES])
{
    aegis_err err = aegis_mlkem1024_check_dk(dk);
    if (err != AEGIS_OK)
        return err;
    aegis_mlkem1024_key *k = aegis_calloc(1, sizeof(*k));
    if (!k)
        return AEGIS_ERR_NOMEM;
    k->locked = mlock(k, sizeof(*k)) == 0;
    memcpy(k->dk, dk, sizeof(k->dk));
    k->vector = use_vector();
#ifdef AEGIS_MLKEM_VECTOR
    if (k->vector)
        aegis__mlkem_avx2_prepare(&k->prep, dk);
#endif
    *ret = k;
    return AEGIS_OK;
}

void aegis_mlkem1024_key_free(aegis_mlkem1024_key *k)
{
    if (!k)
        return;
    bool locked = k->locked;
    aegis_memzero(k, sizeof(*k));
    if (locked)
        munlock(k, sizeof(*k));
    aegis_free(k);
}

aegis_err aegis_mlkem1024_decaps_key(uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                     const uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                     const aegis_mlkem1024_key *k)
{
#ifdef AEGIS_MLKEM_VECTOR
    if (k->vector) {
        uint8_t s[KYBER_SSBYTES];
        aegis__mlkem_avx2_dec(s, ct, &k->prep);
        memcpy(ss, s, sizeof(s));
        aegis_memzero(s, sizeof(s));
        return AEGIS_OK;
    }
#endif
    return aegis_mlkem1024_decaps_checked(ss, ct, k->dk);
}
