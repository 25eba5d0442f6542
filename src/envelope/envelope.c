/*
 * envelope.c - suite 1 hybrid envelope: seal, zero-copy parse, open.
 *
 * Key schedule (docs/internals/envelope.md):
 *   ikm  = ss_mlkem (32) || ss_x25519 (32)
 *   salt = "AEGIS-ENVELOPE-V1"
 *   info = "aegis/envelope/v1/suite1" || SHA-256(header)
 *   key  = HKDF-SHA-256(ikm, salt, info, 32)
 *   ct, tag = AES-256-GCM(key, nonce, aad = header, pt)
 * The header carries version, suite, epoch, recipient key id, both KEM
 * ciphertexts / public values, the nonce and the length, so every one of
 * them is bound twice: into the key and as AAD.
 */
#include <string.h>

#include "aegis/envelope.h"

#define OFF_MAGIC    0
#define OFF_VERSION  4
#define OFF_SUITE    5
#define OFF_EPOCH    7
#define OFF_KEYID    15
#define OFF_KEMCT    (OFF_KEYID + AEGIS_ENVELOPE_KEY_ID_BYTES)
#define OFF_EPH      (OFF_KEMCT + AEGIS_MLKEM1024_CT_BYTES)
#define OFF_NONCE    (OFF_EPH + AEGIS_X25519_BYTES)
#define OFF_CTLEN    (OFF_NONCE + AEGIS_AEAD_NONCE_BYTES)
#define OFF_CT       (OFF_CTLEN + 4)

_Static_assert(OFF_CT == AEGIS_ENVELOPE_HEADER_BYTES, "envelope header layout");

static const char kdf_salt[] = "AEGIS-ENVELOPE-V1";
static const char kdf_info_label[] = "aegis/envelope/v1/suite1";

void aegis_envelope_key_id(uint8_t out[static AEGIS_ENVELOPE_KEY_ID_BYTES],
                           const uint8_t mlkem_ek[static AEGIS_MLKEM1024_EK_BYTES],
                           const uint8_t x25519_pk[static AEGIS_X25519_BYTES])
{
    uint8_t buf[AEGIS_MLKEM1024_EK_BYTES + AEGIS_X25519_BYTES];
    memcpy(buf, mlkem_ek, AEGIS_MLKEM1024_EK_BYTES);
    memcpy(buf + AEGIS_MLKEM1024_EK_BYTES, x25519_pk, AEGIS_X25519_BYTES);
    aegis_sha256(out, buf, sizeof(buf));
}

size_t aegis_envelope_sealed_size(size_t pt_len)
{
    return AEGIS_ENVELOPE_OVERHEAD + pt_len;
}

/* key = HKDF(ss_kem || ss_x, salt, label || SHA-256(header)); wipes ikm. */
static aegis_err derive_key(uint8_t key[static 32], const uint8_t ss_kem[static 32],
                            const uint8_t ss_x[static 32], const uint8_t *header)
{
    uint8_t ikm[64];
    uint8_t info[sizeof(kdf_info_label) - 1 + 32];
    memcpy(ikm, ss_kem, 32);
    memcpy(ikm + 32, ss_x, 32);
    memcpy(info, kdf_info_label, sizeof(kdf_info_label) - 1);
    aegis_sha256(info + sizeof(kdf_info_label) - 1, header, AEGIS_ENVELOPE_HEADER_BYTES);
    aegis_err err = aegis_hkdf_sha256(key, 32, ikm, sizeof(ikm), (const uint8_t *)kdf_salt,
                                      sizeof(kdf_salt) - 1, info, sizeof(info));
    aegis_memzero(ikm, sizeof(ikm));
    return err;
}

aegis_err aegis_envelope_seal_derand(uint8_t *out, size_t out_cap, size_t *out_len,
                                     const aegis_envelope_pub *rcpt, const uint8_t *pt,
                                     size_t pt_len, const aegis_envelope_coins *coins)
{
    if (pt_len > AEGIS_ENVELOPE_MAX_PLAINTEXT)
        return AEGIS_ERR_ENV_TOO_BIG;
    size_t total = aegis_envelope_sealed_size(pt_len);
    if (out_cap < total)
        return AEGIS_ERR_ENV_OUTPUT_SPACE;

    uint8_t ss_kem[32], ss_x[32], key[32];
    aegis_err err;

    memcpy(out + OFF_MAGIC, AEGIS_ENVELOPE_MAGIC, 4);
    out[OFF_VERSION] = AEGIS_ENVELOPE_VERSION;
    aegis_put_be16(out + OFF_SUITE, AEGIS_ENVELOPE_SUITE_HYBRID1);
    aegis_put_be64(out + OFF_EPOCH, rcpt->epoch);
    aegis_envelope_key_id(out + OFF_KEYID, rcpt->mlkem_ek, rcpt->x25519_pk);
    /* encaps_m runs the FIPS 203 §7.2 check on the recipient's ek */
    err = aegis_mlkem1024_encaps_m(out + OFF_KEMCT, ss_kem, rcpt->mlkem_ek, coins->mlkem_m);
    if (err != AEGIS_OK)
        goto fail;
    err = aegis_x25519_public(out + OFF_EPH, coins->eph_sk);
    if (err != AEGIS_OK)
        goto fail;
    err = aegis_x25519(ss_x, coins->eph_sk, rcpt->x25519_pk);
    if (err != AEGIS_OK)
        goto fail;
    /* The key is fresh per envelope, so the nonce need not be random; a
     * random one costs nothing and keeps GCM safe even if a KEM output ever
     * repeated. */
    memcpy(out + OFF_NONCE, coins->nonce, AEGIS_AEAD_NONCE_BYTES);
    aegis_put_be32(out + OFF_CTLEN, (uint32_t)pt_len);
    err = derive_key(key, ss_kem, ss_x, out);
    if (err != AEGIS_OK)
        goto fail;
    err = aegis_aead_seal(out + OFF_CT, out + OFF_CT + pt_len, key, out + OFF_NONCE,
                          out, AEGIS_ENVELOPE_HEADER_BYTES, pt, pt_len);
    if (err != AEGIS_OK)
        goto fail;
    *out_len = total;
    goto out;
fail:
    aegis_memzero(out, total);
out:
    aegis_memzero(ss_kem, sizeof(ss_kem));
    aegis_memzero(ss_x, sizeof(ss_x));
    aegis_memzero(key, sizeof(key));
    return err;
}

aegis_err aegis_envelope_seal(uint8_t *out, size_t out_cap, size_t *out_len,
                              const aegis_envelope_pub *rcpt,
                              const uint8_t *pt, size_t pt_len)
{
    if (pt_len > AEGIS_ENVELOPE_MAX_PLAINTEXT)
        return AEGIS_ERR_ENV_TOO_BIG;
    if (out_cap < aegis_envelope_sealed_size(pt_len))
        return AEGIS_ERR_ENV_OUTPUT_SPACE;
    aegis_envelope_coins coins;
    /* A bad recipient key reports itself even when the random source fails,
     * and costs no randomness. */
    aegis_err err = aegis_mlkem1024_check_ek(rcpt->mlkem_ek);
    if (err == AEGIS_OK)
        err = aegis_random_bytes((uint8_t *)&coins, sizeof(coins));
    if (err == AEGIS_OK)
        err = aegis_envelope_seal_derand(out, out_cap, out_len, rcpt, pt, pt_len, &coins);
    else
        aegis_memzero(out, aegis_envelope_sealed_size(pt_len));
    aegis_memzero(&coins, sizeof(coins));
    return err;
}

aegis_err aegis_envelope_parse(aegis_envelope_view *view, const uint8_t *buf, size_t len)
{
    /* Each check reads only bytes it has verified are present, so a
     * truncation is reported as such whatever the cut point. */
    if (len < OFF_VERSION)
        return AEGIS_ERR_ENV_TRUNCATED;
    if (memcmp(buf + OFF_MAGIC, AEGIS_ENVELOPE_MAGIC, 4) != 0)
        return AEGIS_ERR_ENV_BAD_MAGIC;
    if (len < OFF_SUITE)
        return AEGIS_ERR_ENV_TRUNCATED;
    if (buf[OFF_VERSION] != AEGIS_ENVELOPE_VERSION)
        return AEGIS_ERR_ENV_BAD_VERSION;
    if (len < OFF_EPOCH)
        return AEGIS_ERR_ENV_TRUNCATED;
    uint16_t suite = aegis_get_be16(buf + OFF_SUITE);
    if (suite != AEGIS_ENVELOPE_SUITE_HYBRID1)
        return AEGIS_ERR_ENV_UNKNOWN_SUITE;
    if (len < AEGIS_ENVELOPE_OVERHEAD)
        return AEGIS_ERR_ENV_TRUNCATED;
    uint32_t ct_len = aegis_get_be32(buf + OFF_CTLEN);
    if (ct_len > AEGIS_ENVELOPE_MAX_PLAINTEXT)
        return AEGIS_ERR_ENV_TOO_BIG;
    size_t total = AEGIS_ENVELOPE_OVERHEAD + (size_t)ct_len;
    if (len < total)
        return AEGIS_ERR_ENV_TRUNCATED;
    if (len > total)
        return AEGIS_ERR_ENV_TRAILING;

    view->version = buf[OFF_VERSION];
    view->suite = suite;
    view->epoch = aegis_get_be64(buf + OFF_EPOCH);
    view->header = buf;
    view->key_id = buf + OFF_KEYID;
    view->kem_ct = buf + OFF_KEMCT;
    view->eph_pk = buf + OFF_EPH;
    view->nonce = buf + OFF_NONCE;
    view->ct = buf + OFF_CT;
    view->ct_len = ct_len;
    view->tag = buf + OFF_CT + ct_len;
    return AEGIS_OK;
}

aegis_err aegis_envelope_open(uint8_t *pt, size_t pt_cap, const aegis_envelope_view *view,
                              const aegis_envelope_keys *keys)
{
    if (pt_cap < view->ct_len)
        return AEGIS_ERR_ENV_OUTPUT_SPACE;
    if (view->epoch != keys->epoch)
        return AEGIS_ERR_ENV_UNKNOWN_EPOCH;
    /* key ids are public: an ordinary compare would do, but keep it uniform */
    if (!aegis_ct_eq(view->key_id, keys->key_id, AEGIS_ENVELOPE_KEY_ID_BYTES))
        return AEGIS_ERR_ENV_WRONG_RECIPIENT;

    uint8_t ss_kem[32], ss_x[32], key[32];
    aegis_err err = keys->x25519_key ? aegis_x25519_derive(ss_x, keys->x25519_key, view->eph_pk)
                                     : aegis_x25519(ss_x, keys->x25519_sk, view->eph_pk);
    if (err == AEGIS_ERR_BAD_KEY)
        err = AEGIS_ERR_ENV_BAD_EPHEMERAL;
    if (err != AEGIS_OK)
        goto out;
    /* decaps runs the §7.3 check on dk, then implicit rejection: a corrupted
     * ciphertext yields an unrelated secret and fails at the tag below. */
    if (keys->mlkem_key)
        err = aegis_mlkem1024_decaps_key(ss_kem, view->kem_ct, keys->mlkem_key);
    else
        err = keys->dk_checked ? aegis_mlkem1024_decaps_checked(ss_kem, view->kem_ct, keys->mlkem_dk)
                               : aegis_mlkem1024_decaps(ss_kem, view->kem_ct, keys->mlkem_dk);
    if (err != AEGIS_OK)
        goto out;
    err = derive_key(key, ss_kem, ss_x, view->header);
    if (err != AEGIS_OK)
        goto out;
    err = aegis_aead_open(pt, key, view->nonce, view->header, AEGIS_ENVELOPE_HEADER_BYTES,
                          view->ct, view->ct_len, view->tag);
    if (err == AEGIS_ERR_CRYPTO_AEAD)
        err = AEGIS_ERR_ENV_DECRYPT;
out:
    if (err != AEGIS_OK)
        aegis_memzero(pt, view->ct_len);
    aegis_memzero(ss_kem, sizeof(ss_kem));
    aegis_memzero(ss_x, sizeof(ss_x));
    aegis_memzero(key, sizeof(key));
    return err;
}

aegis_err aegis_envelope_open_lookup(uint8_t *pt, size_t pt_cap, size_t *pt_len,
                                     const uint8_t *buf, size_t len,
                                     aegis_envelope_lookup_fn lookup, void *ctx)
{
    aegis_envelope_view v;
    aegis_err err = aegis_envelope_parse(&v, buf, len);
    if (err != AEGIS_OK)
        return err;
    aegis_envelope_keys keys = { 0 };   /* lookup fills what it knows; the rest stays off */
    err = lookup(ctx, v.epoch, &keys);
    if (err != AEGIS_OK)
        return err == AEGIS_ERR_NOT_FOUND ? AEGIS_ERR_ENV_UNKNOWN_EPOCH : err;
    err = aegis_envelope_open(pt, pt_cap, &v, &keys);
    if (err == AEGIS_OK)
        *pt_len = v.ct_len;
    return err;
}
