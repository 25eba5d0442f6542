/*
 * mlkem.c - ML-KEM-1024 (FIPS 203) on PQClean's ml-kem-1024/clean, plus the
 * input checks PQClean lacks:
 *   7.2 encapsulation key: ByteEncode12(ByteDecode12(t-hat)) == t-hat, i.e.
 *       every 12-bit coefficient of the 1536-byte t-hat is < q (the modulus
 *       check); the length is fixed by the type.
 *   7.3 decapsulation key: H(ek embedded in dk) equals the H(ek) stored in dk.
 * encaps runs 7.2 first, decaps 7.3 first; both are exported for key load.
 * Randomness is drawn here (failures are errors) and passed to PQClean's
 * _derand functions. (An AVX2 build like ML-DSA's was measured and gave
 * nothing: ML-KEM's time is Keccak and 16-bit base multiplication.) Decaps uses implicit rejection (a wrong ciphertext yields
 * J(z || c), not an error), as FIPS 203 requires.
 */
#include <string.h>

#include "aegis/crypto.h"
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

aegis_err aegis_mlkem1024_check_ek(const uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES])
{
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
    PQCLEAN_MLKEM1024_CLEAN_crypto_kem_keypair_derand(ek, dk, coins);
    aegis__pq_scrub_stack();
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

aegis_err aegis_mlkem1024_encaps_m(uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                   uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                   const uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES],
                                   const uint8_t m[static 32])
{
    aegis_err err = aegis_mlkem1024_check_ek(ek);
    if (err != AEGIS_OK)
        return err;
    uint8_t k[KYBER_SSBYTES];
    PQCLEAN_MLKEM1024_CLEAN_crypto_kem_enc_derand(ct, k, ek, m);
    aegis__pq_scrub_stack();
    memcpy(ss, k, sizeof(k));
    aegis_memzero(k, sizeof(k));
    return AEGIS_OK;
}

aegis_err aegis_mlkem1024_encaps(uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                 uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                 const uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES])
{
    uint8_t m[KYBER_SYMBYTES];
    /* encaps_m runs the 7.2 check; check first anyway so a bad key costs no
     * randomness and reports the key error even if the source is failing. */
    aegis_err err = aegis_mlkem1024_check_ek(ek);
    if (err == AEGIS_OK)
        err = aegis_random_bytes(m, sizeof(m));
    if (err == AEGIS_OK)
        err = aegis_mlkem1024_encaps_m(ct, ss, ek, m);
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
    PQCLEAN_MLKEM1024_CLEAN_crypto_kem_dec(k, ct, dk);
    aegis__pq_scrub_stack();
    memcpy(ss, k, sizeof(k));
    aegis_memzero(k, sizeof(k));
    return AEGIS_OK;
}
