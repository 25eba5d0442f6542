/*
 * aegis/envelope.h - the hybrid-encrypted transaction envelope.
 *
 * Suite 1: ML-KEM-1024 + X25519, both shared secrets combined with
 * HKDF-SHA-256 over a transcript hash of the whole header (which holds both
 * KEM ciphertexts / public values and the recipient key id), then
 * AES-256-GCM with the header as associated data. Secure while either KEM
 * holds. Byte layout and derivation: docs/internals/envelope.md.
 *
 * Flow: sender aegis_envelope_seal(); receiver aegis_envelope_parse() (zero
 * copy, validates framing only), looks up the secret keys of view.epoch, then
 * aegis_envelope_open(). All functions are thread-safe and keep no state.
 */
#ifndef AEGIS_ENVELOPE_H
#define AEGIS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "aegis/crypto.h"

#define AEGIS_ENVELOPE_MAGIC          "AEGE"
#define AEGIS_ENVELOPE_VERSION        1
#define AEGIS_ENVELOPE_SUITE_HYBRID1  1   /* ML-KEM-1024 + X25519 + HKDF-SHA-256 + AES-256-GCM */
#define AEGIS_ENVELOPE_KEY_ID_BYTES   32
/* magic 4 + version 1 + suite 2 + epoch 8 + key id 32 + ML-KEM ct 1568 +
 * X25519 ephemeral 32 + nonce 12 + ciphertext length 4 */
#define AEGIS_ENVELOPE_HEADER_BYTES   1663
#define AEGIS_ENVELOPE_OVERHEAD       (AEGIS_ENVELOPE_HEADER_BYTES + AEGIS_AEAD_TAG_BYTES)
/* Largest plaintext an envelope may carry (an Ethereum transaction is at
 * most 128 KiB on the wire; we allow twice that). */
#define AEGIS_ENVELOPE_MAX_PLAINTEXT  (256u * 1024u)
#define AEGIS_ENVELOPE_MAX_BYTES      (AEGIS_ENVELOPE_OVERHEAD + AEGIS_ENVELOPE_MAX_PLAINTEXT)

/* The recipient's public encryption keys for one epoch. */
typedef struct aegis_envelope_pub {
    uint64_t epoch;
    uint8_t mlkem_ek[AEGIS_MLKEM1024_EK_BYTES];
    uint8_t x25519_pk[AEGIS_X25519_BYTES];
} aegis_envelope_pub;

/* The recipient's secret keys for one epoch (borrowed pointers). key_id is
 * aegis_envelope_key_id() of the matching public keys. */
typedef struct aegis_envelope_keys {
    uint64_t epoch;
    const uint8_t *mlkem_dk;   /* AEGIS_MLKEM1024_DK_BYTES */
    const uint8_t *x25519_sk;  /* 32 */
    const uint8_t *key_id;     /* 32 */
    const struct aegis_x25519_key *x25519_key; /* optional: x25519_sk prepared once (faster) */
    bool dk_checked;           /* mlkem_dk passed FIPS 203 §7.3 at load: not re-checked */
    const struct aegis_mlkem1024_key *mlkem_key; /* optional: mlkem_dk checked and prepared once (faster) */
} aegis_envelope_keys;

/* A parsed envelope: every pointer points into the caller's buffer and is
 * valid as long as it is. */
typedef struct aegis_envelope_view {
    uint8_t version;
    uint16_t suite;
    uint64_t epoch;
    const uint8_t *header;     /* AEGIS_ENVELOPE_HEADER_BYTES: the AEAD's AAD */
    const uint8_t *key_id;     /* 32 */
    const uint8_t *kem_ct;     /* AEGIS_MLKEM1024_CT_BYTES */
    const uint8_t *eph_pk;     /* 32 */
    const uint8_t *nonce;      /* 12 */
    const uint8_t *ct;         /* ct_len */
    size_t ct_len;             /* = plaintext length */
    const uint8_t *tag;        /* 16 */
} aegis_envelope_view;

/* Recipient key id = SHA-256(mlkem_ek || x25519_pk). */
void aegis_envelope_key_id(uint8_t out[static AEGIS_ENVELOPE_KEY_ID_BYTES],
                           const uint8_t mlkem_ek[static AEGIS_MLKEM1024_EK_BYTES],
                           const uint8_t x25519_pk[static AEGIS_X25519_BYTES]);

/* Bytes aegis_envelope_seal writes for pt_len bytes of plaintext. */
size_t aegis_envelope_sealed_size(size_t pt_len);

/* Encrypt pt to rcpt. out must hold aegis_envelope_sealed_size(pt_len)
 * bytes (AEGIS_ERR_ENV_OUTPUT_SPACE otherwise); *out_len gets the size.
 * Errors: AEGIS_ERR_ENV_TOO_BIG past AEGIS_ENVELOPE_MAX_PLAINTEXT,
 * AEGIS_ERR_MLKEM_EK_CHECK / AEGIS_ERR_BAD_KEY for bad recipient keys,
 * AEGIS_ERR_CRYPTO_RANDOM. On failure out is wiped. */
aegis_err aegis_envelope_seal(uint8_t *out, size_t out_cap, size_t *out_len,
                              const aegis_envelope_pub *rcpt,
                              const uint8_t *pt, size_t pt_len) AEGIS_WUR;

/* The sender's per-envelope randomness: ML-KEM-1024 encapsulation seed m
 * (FIPS 203 Alg. 17), the X25519 ephemeral secret (clamped by X25519) and
 * the AES-GCM nonce. */
typedef struct aegis_envelope_coins {
    uint8_t mlkem_m[32];
    uint8_t eph_sk[AEGIS_X25519_BYTES];
    uint8_t nonce[AEGIS_AEAD_NONCE_BYTES];
} aegis_envelope_coins;

/* aegis_envelope_seal with the caller's randomness instead of fresh random
 * bytes: the same inputs give the same envelope byte for byte. For known-
 * answer vectors (tests/vectors/envelope/) and clients that bring their own
 * random source; coins must never be reused. Same errors as seal. */
aegis_err aegis_envelope_seal_derand(uint8_t *out, size_t out_cap, size_t *out_len,
                                     const aegis_envelope_pub *rcpt, const uint8_t *pt,
                                     size_t pt_len, const aegis_envelope_coins *coins) AEGIS_WUR;

/* Validate the framing of buf (magic, version, suite, lengths) without any
 * cryptography and fill *view. Errors: AEGIS_ERR_ENV_TRUNCATED,
 * _BAD_MAGIC, _BAD_VERSION, _UNKNOWN_SUITE, _TOO_BIG, _TRAILING. */
aegis_err aegis_envelope_parse(aegis_envelope_view *view, const uint8_t *buf, size_t len) AEGIS_WUR;

/* Decrypt a parsed envelope with the epoch's secret keys. pt must hold
 * view->ct_len bytes (AEGIS_ERR_ENV_OUTPUT_SPACE otherwise). Errors:
 * AEGIS_ERR_ENV_UNKNOWN_EPOCH (keys->epoch differs), _WRONG_RECIPIENT,
 * _BAD_EPHEMERAL, _DECRYPT, AEGIS_ERR_MLKEM_DK_CHECK. pt is wiped on every
 * failure: no partial plaintext is ever released. */
aegis_err aegis_envelope_open(uint8_t *pt, size_t pt_cap, const aegis_envelope_view *view,
                              const aegis_envelope_keys *keys) AEGIS_WUR;

/* Key lookup by epoch for aegis_envelope_open_lookup(): fill *keys and
 * return AEGIS_OK, or return AEGIS_ERR_ENV_UNKNOWN_EPOCH. */
typedef aegis_err (*aegis_envelope_lookup_fn)(void *ctx, uint64_t epoch, aegis_envelope_keys *keys);

/* parse + lookup(view.epoch) + open; *pt_len gets the plaintext length. */
aegis_err aegis_envelope_open_lookup(uint8_t *pt, size_t pt_cap, size_t *pt_len,
                                     const uint8_t *buf, size_t len,
                                     aegis_envelope_lookup_fn lookup, void *ctx) AEGIS_WUR;

#endif
