/*
 * aegis/crypto.h - every primitive Aegis uses, behind one narrow header.
 *
 * Post-quantum: ML-DSA-87 (FIPS 204), SLH-DSA-SHA2-256s/256f (FIPS 205),
 * ML-KEM-1024 (FIPS 203), built from PQClean by our build.
 * Classical: secp256k1 ECDSA (libsecp256k1), X25519, HKDF-SHA-256,
 * AES-256-GCM, SHA-256/512 (OpenSSL 3), keccak-256 (Ethereum padding).
 *
 * Conventions: sized arrays in, error code out; nothing allocates behind the
 * caller; outputs are written only on success and secret outputs are wiped on
 * failure. All functions are thread-safe. Verification returns AEGIS_OK or
 * AEGIS_ERR_BAD_SIG, never a partial answer.
 */
#ifndef AEGIS_CRYPTO_H
#define AEGIS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/hash.h"
#include "aegis/util.h"

/* ---------------- sizes ---------------- */
#define AEGIS_MLDSA87_PK_BYTES      2592
#define AEGIS_MLDSA87_SK_BYTES      4896
#define AEGIS_MLDSA87_SIG_BYTES     4627
#define AEGIS_MLDSA87_SEED_BYTES    32

#define AEGIS_SLHDSA_N              32      /* both 256s and 256f */
#define AEGIS_SLHDSA_PK_BYTES       64
#define AEGIS_SLHDSA_SK_BYTES       128
#define AEGIS_SLHDSA256S_SIG_BYTES  29792
#define AEGIS_SLHDSA256F_SIG_BYTES  49856

#define AEGIS_MLKEM1024_EK_BYTES    1568
#define AEGIS_MLKEM1024_DK_BYTES    3168
#define AEGIS_MLKEM1024_CT_BYTES    1568
#define AEGIS_MLKEM_SS_BYTES        32

#define AEGIS_X25519_BYTES          32
#define AEGIS_SECP256K1_SK_BYTES    32
#define AEGIS_SECP256K1_PK_BYTES    65      /* uncompressed 0x04 || X || Y */
#define AEGIS_SECP256K1_SIG_BYTES   65      /* r || s || recid (0/1) */
#define AEGIS_ETH_ADDR_BYTES        20
#define AEGIS_HASH_BYTES            32      /* keccak-256 and SHA-256 */
#define AEGIS_AEAD_KEY_BYTES        32
#define AEGIS_AEAD_NONCE_BYTES      12
#define AEGIS_AEAD_TAG_BYTES        16
#define AEGIS_MAX_CTX_BYTES         255     /* FIPS 204/205 context strings */

/* ---------------- randomness ----------------
 * One hook, fed by the TEE backend (OpenSSL's RAND by default / for sim).
 * The deterministic source is for known-answer vectors only: it applies to
 * the calling thread alone, so other threads keep real randomness. */
typedef aegis_err (*aegis_random_fn)(void *ctx, uint8_t *out, size_t n);
void aegis_random_set_source(aegis_random_fn fn, void *ctx);   /* NULL: OpenSSL RAND */
aegis_err aegis_random_bytes(uint8_t *out, size_t n) AEGIS_WUR;
/* Calling thread only: serve exactly these bytes (then fail with
 * AEGIS_ERR_INTERNAL if more are asked). NULL restores the real source. */
void aegis_random_set_fixed_thread(const uint8_t *bytes, size_t n);

/* ---------------- ML-DSA-87 (FIPS 204) ----------------
 * sign: ctx up to 255 bytes; deterministic = true uses rnd = 0^32, otherwise
 * hedged (rnd from aegis_random_bytes). */
aegis_err aegis_mldsa87_keygen(uint8_t pk[static AEGIS_MLDSA87_PK_BYTES],
                               uint8_t sk[static AEGIS_MLDSA87_SK_BYTES]) AEGIS_WUR;
aegis_err aegis_mldsa87_keygen_seed(uint8_t pk[static AEGIS_MLDSA87_PK_BYTES],
                                    uint8_t sk[static AEGIS_MLDSA87_SK_BYTES],
                                    const uint8_t seed[static AEGIS_MLDSA87_SEED_BYTES]) AEGIS_WUR;
aegis_err aegis_mldsa87_sign(uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                             const uint8_t *msg, size_t msg_len,
                             const uint8_t *ctx, size_t ctx_len,
                             const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES],
                             bool deterministic) AEGIS_WUR;
/* A signing key prepared once for many signatures: the matrix A-hat and
 * the NTT forms of s1, s2, t0 are kept (FIPS 204 3.6.3), which takes about
 * a third off each signature. Secret: aegis_mldsa87_key_free wipes it.
 * Signatures are the ones aegis_mldsa87_sign makes with the same sk. */
typedef struct aegis_mldsa87_key aegis_mldsa87_key;
aegis_err aegis_mldsa87_key_new(aegis_mldsa87_key **ret,
                                const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES]) AEGIS_WUR;
void aegis_mldsa87_key_free(aegis_mldsa87_key *k);
aegis_err aegis_mldsa87_sign_key(uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                 const uint8_t *msg, size_t msg_len,
                                 const uint8_t *ctx, size_t ctx_len,
                                 const aegis_mldsa87_key *k, bool deterministic) AEGIS_WUR;
/* Signing raced on two cores (mldsa_race.c): the caller's thread and a
 * standing racer thread sign the same message with independent hedging
 * randomness; the first signature finished is returned, the other run is
 * abandoned. Cuts the rejection-sampling tail (p99) roughly in half for
 * ~15% more CPU. One job at a time: a busy racer means signing alone.
 * aegis_mldsa87_sign_key_raced with r == NULL signs alone. */
typedef struct aegis_mldsa87_racer aegis_mldsa87_racer;
aegis_err aegis_mldsa87_racer_new(aegis_mldsa87_racer **ret) AEGIS_WUR;
void aegis_mldsa87_racer_free(aegis_mldsa87_racer *r);
void aegis_mldsa87_racer_stats(aegis_mldsa87_racer *r, uint64_t *ret_races, uint64_t *ret_racer_wins);
aegis_err aegis_mldsa87_sign_key_raced(aegis_mldsa87_racer *r, uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                       const uint8_t *msg, size_t msg_len, const uint8_t *ctx, size_t ctx_len,
                                       const aegis_mldsa87_key *k) AEGIS_WUR;
aegis_err aegis_mldsa87_verify(const uint8_t *sig, size_t sig_len,
                               const uint8_t *msg, size_t msg_len,
                               const uint8_t *ctx, size_t ctx_len,
                               const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES]) AEGIS_WUR;

/* FIPS 204/205 lower-level interfaces (ACVP and interop; added by the PQ layer).
 * Pre-hash functions for HashML-DSA / HashSLH-DSA, by ACVP name. */
typedef enum aegis_prehash {
    AEGIS_PH_NONE = 0,
    AEGIS_PH_SHA2_224, AEGIS_PH_SHA2_256, AEGIS_PH_SHA2_384, AEGIS_PH_SHA2_512,
    AEGIS_PH_SHA2_512_224, AEGIS_PH_SHA2_512_256,
    AEGIS_PH_SHA3_224, AEGIS_PH_SHA3_256, AEGIS_PH_SHA3_384, AEGIS_PH_SHA3_512,
    AEGIS_PH_SHAKE128, AEGIS_PH_SHAKE256,
} aegis_prehash;
#define AEGIS_MLDSA87_MU_BYTES      64
#define AEGIS_PQ_MPRIME_PREHASH_MAX (2 + 255 + 11 + 64)
/* "SHA2-256", "SHA2-512/224", "SHA3-384", "SHAKE-128", ... ("none": AEGIS_PH_NONE).
 * AEGIS_ERR_INVAL for an unknown name. */
aegis_err aegis_prehash_from_name(const char *name, aegis_prehash *ret) AEGIS_WUR;
/* M' of the external interfaces (FIPS 204 Alg. 2/4, FIPS 205 Alg. 22/23):
 * AEGIS_PH_NONE: 0x00 || len(ctx) || ctx || msg; otherwise
 * 0x01 || len(ctx) || ctx || DER OID(ph) || ph(msg). Writes *out_len bytes into
 * out (cap bytes; AEGIS_ERR_TOO_BIG if short: pure needs 2 + ctx_len + msg_len,
 * pre-hash at most AEGIS_PQ_MPRIME_PREHASH_MAX). AEGIS_ERR_CTX_TOO_LONG. */
aegis_err aegis_pq_build_mprime(uint8_t *out, size_t cap, size_t *out_len, aegis_prehash ph,
                                const uint8_t *msg, size_t msg_len,
                                const uint8_t *ctx, size_t ctx_len) AEGIS_WUR;
/* ML-DSA.Sign_internal / Verify_internal (FIPS 204 Alg. 7/8) on M' as given;
 * the _mu variants take mu = H(tr || M', 64) directly ("external mu").
 * rnd: 32 bytes, or NULL for the deterministic variant (rnd = 0^32). */
aegis_err aegis_mldsa87_sign_internal(uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                      const uint8_t *mprime, size_t mprime_len, const uint8_t *rnd,
                                      const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES]) AEGIS_WUR;
aegis_err aegis_mldsa87_sign_mu(uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                const uint8_t mu[static AEGIS_MLDSA87_MU_BYTES], const uint8_t *rnd,
                                const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES]) AEGIS_WUR;
aegis_err aegis_mldsa87_verify_internal(const uint8_t *sig, size_t sig_len,
                                        const uint8_t *mprime, size_t mprime_len,
                                        const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES]) AEGIS_WUR;
aegis_err aegis_mldsa87_verify_mu(const uint8_t *sig, size_t sig_len,
                                  const uint8_t mu[static AEGIS_MLDSA87_MU_BYTES],
                                  const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES]) AEGIS_WUR;

/* ---------------- SLH-DSA-SHA2-256s / 256f (FIPS 205) ---------------- */
typedef enum aegis_slhdsa_param {
    AEGIS_SLHDSA_SHA2_256S = 0,
    AEGIS_SLHDSA_SHA2_256F = 1,
} aegis_slhdsa_param;
size_t aegis_slhdsa_sig_bytes(aegis_slhdsa_param p);
/* keygen from fresh randomness, or from (SK.seed, SK.prf, PK.seed). */
aegis_err aegis_slhdsa_keygen(aegis_slhdsa_param p, uint8_t pk[static AEGIS_SLHDSA_PK_BYTES],
                              uint8_t sk[static AEGIS_SLHDSA_SK_BYTES]) AEGIS_WUR;
aegis_err aegis_slhdsa_keygen_seeds(aegis_slhdsa_param p, uint8_t pk[static AEGIS_SLHDSA_PK_BYTES],
                                    uint8_t sk[static AEGIS_SLHDSA_SK_BYTES],
                                    const uint8_t sk_seed[static 32], const uint8_t sk_prf[static 32],
                                    const uint8_t pk_seed[static 32]) AEGIS_WUR;
/* Pure interface with context: M' = 0x00 || len(ctx) || ctx || M.
 * deterministic: opt_rand = PK.seed; else hedged. sig holds aegis_slhdsa_sig_bytes(p). */
aegis_err aegis_slhdsa_sign(aegis_slhdsa_param p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                            const uint8_t *ctx, size_t ctx_len,
                            const uint8_t sk[static AEGIS_SLHDSA_SK_BYTES], bool deterministic) AEGIS_WUR;
aegis_err aegis_slhdsa_verify(aegis_slhdsa_param p, const uint8_t *sig, size_t sig_len,
                              const uint8_t *msg, size_t msg_len, const uint8_t *ctx, size_t ctx_len,
                              const uint8_t pk[static AEGIS_SLHDSA_PK_BYTES]) AEGIS_WUR;
/* Signing (all SLH-DSA sign functions) runs on the calling thread plus one
 * helper thread it starts and joins (FORS / hypertree trees are independent
 * work); it falls back to the calling thread alone if no thread can start.
 * slh_sign_internal / slh_verify_internal (FIPS 205 Alg. 19/20) on M' as given.
 * addrnd: n = 32 bytes of opt_rand, or NULL for the deterministic variant
 * (opt_rand = PK.seed). */
aegis_err aegis_slhdsa_sign_internal(aegis_slhdsa_param p, uint8_t *sig,
                                     const uint8_t *mprime, size_t mprime_len,
                                     const uint8_t sk[static AEGIS_SLHDSA_SK_BYTES],
                                     const uint8_t *addrnd) AEGIS_WUR;
aegis_err aegis_slhdsa_verify_internal(aegis_slhdsa_param p, const uint8_t *sig, size_t sig_len,
                                       const uint8_t *mprime, size_t mprime_len,
                                       const uint8_t pk[static AEGIS_SLHDSA_PK_BYTES]) AEGIS_WUR;

/* ---------------- ML-KEM-1024 (FIPS 203) ----------------
 * encaps checks ek (§7.2) first; decaps checks dk (§7.3) first. */
aegis_err aegis_mlkem1024_keygen(uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES],
                                 uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES]) AEGIS_WUR;
aegis_err aegis_mlkem1024_keygen_dz(uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES],
                                    uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES],
                                    const uint8_t d[static 32], const uint8_t z[static 32]) AEGIS_WUR;
aegis_err aegis_mlkem1024_encaps(uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                 uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                 const uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES]) AEGIS_WUR;
aegis_err aegis_mlkem1024_decaps(uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                 const uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                 const uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES]) AEGIS_WUR;
/* decaps for a dk that already passed the §7.3 check when it was loaded
 * (a key set holds its dk; FIPS 203 asks the check once per key). */
aegis_err aegis_mlkem1024_decaps_checked(uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                         const uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                         const uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES]) AEGIS_WUR;
aegis_err aegis_mlkem1024_check_ek(const uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES]) AEGIS_WUR;
aegis_err aegis_mlkem1024_check_dk(const uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES]) AEGIS_WUR;
/* A decapsulation key checked (§7.3) and prepared once: the decoded
 * NTT-form secret, t-hat, the expanded matrix and H(ek), as OpenSSL keeps a
 * loaded key, so each decapsulation skips the matrix expansion. Held in
 * locked memory (best effort); free wipes it. Thread-safe to use
 * concurrently. decaps_key gives exactly what decaps gives for the same dk. */
typedef struct aegis_mlkem1024_key aegis_mlkem1024_key;
aegis_err aegis_mlkem1024_key_new(aegis_mlkem1024_key **ret,
                                  const uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES]) AEGIS_WUR;
void aegis_mlkem1024_key_free(aegis_mlkem1024_key *k);
aegis_err aegis_mlkem1024_decaps_key(uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                     const uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                     const aegis_mlkem1024_key *k) AEGIS_WUR;
/* ML-KEM.Encaps_internal (FIPS 203 Alg. 17) with the caller's m (known-answer
 * tests only); checks ek (7.2) first like encaps. */
aegis_err aegis_mlkem1024_encaps_m(uint8_t ct[static AEGIS_MLKEM1024_CT_BYTES],
                                   uint8_t ss[static AEGIS_MLKEM_SS_BYTES],
                                   const uint8_t ek[static AEGIS_MLKEM1024_EK_BYTES],
                                   const uint8_t m[static 32]) AEGIS_WUR;

/* ---------------- X25519 ---------------- */
aegis_err aegis_x25519_keygen(uint8_t pk[static 32], uint8_t sk[static 32]) AEGIS_WUR;
aegis_err aegis_x25519_public(uint8_t pk[static 32], const uint8_t sk[static 32]) AEGIS_WUR;
/* Rejects an all-zero shared secret (small-order peer key). */
aegis_err aegis_x25519(uint8_t ss[static 32], const uint8_t sk[static 32], const uint8_t peer[static 32]) AEGIS_WUR;
/* A long-lived private key prepared once (OpenSSL derives its public key
 * when a raw key is loaded: doing it per call costs a second scalar
 * multiplication). Thread-safe to use concurrently; free wipes it. */
typedef struct aegis_x25519_key aegis_x25519_key;
aegis_err aegis_x25519_key_new(aegis_x25519_key **ret, const uint8_t sk[static 32]) AEGIS_WUR;
void aegis_x25519_key_free(aegis_x25519_key *k);
aegis_err aegis_x25519_derive(uint8_t ss[static 32], const aegis_x25519_key *k,
                              const uint8_t peer[static 32]) AEGIS_WUR;

/* ---------------- secp256k1 (libsecp256k1) ----------------
 * Signatures are over a 32-byte digest; low-s is produced and required. */
aegis_err aegis_secp256k1_keygen(uint8_t pk[static 65], uint8_t sk[static 32]) AEGIS_WUR;
aegis_err aegis_secp256k1_public(uint8_t pk[static 65], const uint8_t sk[static 32]) AEGIS_WUR;
aegis_err aegis_secp256k1_sign(uint8_t sig[static 65], const uint8_t digest[static 32],
                               const uint8_t sk[static 32]) AEGIS_WUR;
aegis_err aegis_secp256k1_verify(const uint8_t sig[static 64], const uint8_t digest[static 32],
                                 const uint8_t pk[static 65]) AEGIS_WUR;
/* r||s (64 bytes, big-endian) + recid 0..3 -> uncompressed public key.
 * Rejects high s (AEGIS_ERR_BAD_SIG) when require_low_s. */
aegis_err aegis_secp256k1_recover(uint8_t pk[static 65], const uint8_t rs[static 64], int recid,
                                  const uint8_t digest[static 32], bool require_low_s) AEGIS_WUR;
/* Ethereum address = last 20 bytes of keccak256(X || Y). */
void aegis_eth_address(uint8_t addr[static 20], const uint8_t pk[static 65]);

/* ---------------- HKDF-SHA-256 and AES-256-GCM (OpenSSL 3) ---------------- */
aegis_err aegis_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm, size_t ikm_len,
                            const uint8_t *salt, size_t salt_len,
                            const uint8_t *info, size_t info_len) AEGIS_WUR;
/* ct gets pt_len bytes, then tag. */
aegis_err aegis_aead_seal(uint8_t *ct, uint8_t tag[static 16], const uint8_t key[static 32],
                          const uint8_t nonce[static 12], const uint8_t *aad, size_t aad_len,
                          const uint8_t *pt, size_t pt_len) AEGIS_WUR;
/* AEGIS_ERR_BAD_TAG-style failure is AEGIS_ERR_CRYPTO_AEAD; pt wiped on failure. */
aegis_err aegis_aead_open(uint8_t *pt, const uint8_t key[static 32], const uint8_t nonce[static 12],
                          const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
                          const uint8_t tag[static 16]) AEGIS_WUR;

#endif
