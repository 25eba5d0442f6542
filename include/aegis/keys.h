/*
 * aegis/keys.h - the sequencer's key set: signing keys (ML-DSA-87,
 * SLH-DSA-SHA2-256s, secp256k1) and encryption keys (ML-KEM-1024 + X25519)
 * under one epoch number, sealed at rest by the TEE. docs/internals/keys.md.
 *
 * An aegis_keyset holds secret keys in locked memory (mlock, best effort)
 * and wipes them in aegis_keyset_free. A keyset is immutable after creation,
 * so all functions are thread-safe on a shared keyset.
 */
#ifndef AEGIS_KEYS_H
#define AEGIS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "aegis/crypto.h"
#include "aegis/envelope.h"
#include "aegis/tee.h"

typedef struct aegis_keyset aegis_keyset;

#define AEGIS_KEYSET_SEAL_LABEL "aegis/keyset/v1"

/* The public half, serialisable. */
typedef struct aegis_keyset_pub {
    uint64_t epoch;
    uint8_t mldsa87[AEGIS_MLDSA87_PK_BYTES];
    uint8_t slhdsa[AEGIS_SLHDSA_PK_BYTES];          /* SLH-DSA-SHA2-256s */
    uint8_t secp256k1[AEGIS_SECP256K1_PK_BYTES];
    uint8_t mlkem_ek[AEGIS_MLKEM1024_EK_BYTES];
    uint8_t x25519[AEGIS_X25519_BYTES];
} aegis_keyset_pub;

/* "AEGP" | version 1 | epoch u64 BE | ML-DSA pk | SLH-DSA pk | secp256k1 pk
 * (65, uncompressed) | ML-KEM ek | X25519 pk */
#define AEGIS_KEYSET_PUB_BYTES (4 + 1 + 8 + AEGIS_MLDSA87_PK_BYTES + AEGIS_SLHDSA_PK_BYTES + \
                                AEGIS_SECP256K1_PK_BYTES + AEGIS_MLKEM1024_EK_BYTES + AEGIS_X25519_BYTES)

/* Generate a fresh key set (randomness from aegis_random_bytes). */
aegis_err aegis_keyset_generate(uint64_t epoch, aegis_keyset **ret) AEGIS_WUR;
/* Wipe and free. Accepts NULL. */
void aegis_keyset_free(aegis_keyset *ks);

uint64_t aegis_keyset_epoch(const aegis_keyset *ks);
/* Valid as long as ks. */
const aegis_keyset_pub *aegis_keyset_public(const aegis_keyset *ks);

void aegis_keyset_pub_encode(uint8_t out[static AEGIS_KEYSET_PUB_BYTES], const aegis_keyset_pub *pub);
/* Parse and validate (length, magic, version, secp256k1 point, ML-KEM §7.2
 * check, X25519 not small order). AEGIS_ERR_KEYS_BAD_PUBLIC or
 * AEGIS_ERR_MLKEM_EK_CHECK. */
aegis_err aegis_keyset_pub_decode(aegis_keyset_pub *pub, const uint8_t *in, size_t len) AEGIS_WUR;
/* SHA-256 of the encoding: what quotes bind in key-binding mode. */
void aegis_keyset_pub_hash(uint8_t out[static 32], const aegis_keyset_pub *pub);
/* The envelope recipient keys of a public key set. */
void aegis_keyset_pub_envelope(aegis_envelope_pub *out, const aegis_keyset_pub *pub);

/* Signing helpers. ML-DSA / SLH-DSA sign msg (pure, context up to 255
 * bytes, hedged); secp256k1 signs a 32-byte digest (r || s || recid). */
aegis_err aegis_keyset_sign_mldsa87(const aegis_keyset *ks, uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                    const uint8_t *msg, size_t len, const uint8_t *ctx, size_t ctx_len) AEGIS_WUR;
/* The same, raced on a second core (aegis_mldsa87_sign_key_raced; racer
 * NULL: alone), for the signature whose latency matters. */
aegis_err aegis_keyset_sign_mldsa87_raced(const aegis_keyset *ks, aegis_mldsa87_racer *racer,
                                          uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES], const uint8_t *msg,
                                          size_t len, const uint8_t *ctx, size_t ctx_len) AEGIS_WUR;
aegis_err aegis_keyset_sign_slhdsa(const aegis_keyset *ks, uint8_t sig[static AEGIS_SLHDSA256S_SIG_BYTES],
                                   const uint8_t *msg, size_t len, const uint8_t *ctx, size_t ctx_len) AEGIS_WUR;
aegis_err aegis_keyset_sign_secp256k1(const aegis_keyset *ks, uint8_t sig[static AEGIS_SECP256K1_SIG_BYTES],
                                      const uint8_t digest[static 32]) AEGIS_WUR;

/* The secret envelope keys of this epoch (pointers valid as long as ks). */
void aegis_keyset_envelope_keys(const aegis_keyset *ks, aegis_envelope_keys *out);
/* The recipient key id envelopes to this key set carry (public; computed
 * once when the key set is loaded). Valid as long as ks. */
const uint8_t *aegis_keyset_key_id(const aegis_keyset *ks);
/* parse + open an envelope addressed to this key set (see envelope.h). */
aegis_err aegis_keyset_open_envelope(const aegis_keyset *ks, uint8_t *pt, size_t pt_cap, size_t *pt_len,
                                     const uint8_t *env, size_t env_len) AEGIS_WUR;

/* ---- at rest ----
 * Sealed with AES-256-GCM under aegis_tee_derive_key(tee, "aegis/keyset/v1").
 * seal: *ret gets the sealed bytes (ciphertext; free with aegis_free).
 * unseal errors: AEGIS_ERR_KEYS_BAD_FORMAT,
 * AEGIS_ERR_KEYS_UNSEAL (modified, or sealed by another TEE secret),
 * AEGIS_ERR_MLKEM_DK_CHECK / _EK_CHECK, AEGIS_ERR_KEYS_INCONSISTENT. */
aegis_err aegis_keyset_seal(const aegis_keyset *ks, aegis_tee *tee, uint8_t **ret, size_t *ret_len) AEGIS_WUR;
aegis_err aegis_keyset_unseal(aegis_tee *tee, const uint8_t *in, size_t len, aegis_keyset **ret) AEGIS_WUR;
/* File forms: written atomically with mode 0600; load refuses a file that
 * group/other can access (AEGIS_ERR_KEYS_FILE_MODE). */
aegis_err aegis_keyset_save(const aegis_keyset *ks, aegis_tee *tee, const char *path) AEGIS_WUR;
aegis_err aegis_keyset_load(aegis_tee *tee, const char *path, aegis_keyset **ret) AEGIS_WUR;

/* ---- hand-over to another attested worker (cluster join) ----
 * wrap: the key set's secrets (epoch u64 BE || secrets) sealed as an
 * envelope to rcpt (a joiner's transport keys, held in its TEE); only the
 * holder of the matching transport secret keys can unwrap. *ret for
 * aegis_free. unwrap: AEGIS_ERR_KEYS_WRAP (framing, recipient, decryption),
 * or the same checks as unseal (AEGIS_ERR_KEYS_INCONSISTENT, ML-KEM checks). */
aegis_err aegis_keyset_wrap(const aegis_keyset *ks, const aegis_envelope_pub *rcpt, uint8_t **ret,
                            size_t *ret_len) AEGIS_WUR;
aegis_err aegis_keyset_unwrap(const aegis_keyset *transport, const uint8_t *in, size_t len,
                              aegis_keyset **ret) AEGIS_WUR;

/* ---- deterministic successor (a cluster's key rotation) ----
 * The key set of epoch `epoch` derived from ks's post-quantum secrets
 * (ML-DSA-87 secret key and ML-KEM-1024 decapsulation key): every worker
 * holding ks derives the same successor, with no randomness and no message.
 * HKDF-SHA-256(ikm = SHA-512(mldsa_sk || mlkem_dk), salt "aegis/keyset/next/v1",
 * info = epoch u64 BE || label) per key; docs/internals/keys.md. A quantum
 * attacker who recovers ks's classical keys learns nothing of the successor. */
aegis_err aegis_keyset_derive_next(const aegis_keyset *ks, uint64_t epoch, aegis_keyset **ret) AEGIS_WUR;

/* ---- single-key files (CLI) ----
 * Text, one line: "<type> <lowercase hex>\n", type one of ml-dsa-87,
 * slh-dsa-sha2-256s, secp256k1, ml-kem-1024, x25519, keyset (public only).
 * Secret files are written 0600 and refused when group/other can read them.
 * read: *type gets a static type name; *ret (aegis_free_secret(p, len) for
 * secrets) gets the bytes. */
aegis_err aegis_keyfile_write(const char *path, const char *type, const uint8_t *key, size_t len,
                              bool secret) AEGIS_WUR;
aegis_err aegis_keyfile_read(const char *path, bool secret, const char **type, uint8_t **ret,
                             size_t *ret_len) AEGIS_WUR;
/* Expected key length for a type name (0 if unknown). */
size_t aegis_keyfile_key_len(const char *type, bool secret);

#endif
