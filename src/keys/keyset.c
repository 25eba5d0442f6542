/*
 * keyset.c - generate, use and seal the sequencer's key set.
 *
 * Secrets live in one struct allocated with aegis_malloc and mlock()ed (best
 * effort: a failed mlock, e.g. RLIMIT_MEMLOCK, is recorded, not fatal); it
 * is wiped before it is freed.
 *
 * Sealed form (docs/internals/keys.md):
 *   "AEGK" | version 1 | epoch u64 | nonce 12 | AES-256-GCM(secrets) | tag 16
 * with the first 25 bytes as AAD and the key from the TEE's
 * derive_key("aegis/keyset/v1").
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "aegis/keys.h"

#define SEAL_MAGIC   "AEGK"
#define SEAL_VERSION 1
#define SEAL_HDR     (4 + 1 + 8 + AEGIS_AEAD_NONCE_BYTES)
#define MLKEM_EK_OFF (384 * 4)          /* dk = dk_pke || ek || H(ek) || z */

struct secrets {
    uint8_t mldsa_sk[AEGIS_MLDSA87_SK_BYTES];
    uint8_t mldsa_pk[AEGIS_MLDSA87_PK_BYTES];
    uint8_t slh_sk[AEGIS_SLHDSA_SK_BYTES];   /* SK.seed | SK.prf | PK.seed | PK.root */
    uint8_t secp_sk[AEGIS_SECP256K1_SK_BYTES];
    uint8_t mlkem_dk[AEGIS_MLKEM1024_DK_BYTES];
    uint8_t x25519_sk[AEGIS_X25519_BYTES];
};
#define SECRETS_BYTES (AEGIS_MLDSA87_SK_BYTES + AEGIS_MLDSA87_PK_BYTES + AEGIS_SLHDSA_SK_BYTES + \
                       AEGIS_SECP256K1_SK_BYTES + AEGIS_MLKEM1024_DK_BYTES + AEGIS_X25519_BYTES)
_Static_assert(sizeof(struct secrets) == SECRETS_BYTES, "no padding: the struct is the sealed plaintext");

struct aegis_keyset {
    struct secrets s;
    aegis_keyset_pub pub;
    uint8_t key_id[AEGIS_ENVELOPE_KEY_ID_BYTES];
    bool locked;
    aegis_x25519_key *x25519;   /* s.x25519_sk prepared once for envelope opening */
    aegis_mldsa87_key *mldsa;   /* s.mldsa_sk prepared once for signing */
    aegis_mlkem1024_key *mlkem; /* s.mlkem_dk checked and prepared once for envelope opening */
};

static aegis_keyset *ks_alloc(void)
{
    aegis_keyset *ks = aegis_calloc(1, sizeof(*ks));
    if (ks)
        ks->locked = mlock(ks, sizeof(*ks)) == 0;
    return ks;
}

void aegis_keyset_free(aegis_keyset *ks)
{
    if (!ks)
        return;
    bool locked = ks->locked;
    aegis_x25519_key_free(ks->x25519);
    aegis_mldsa87_key_free(ks->mldsa);
    aegis_mlkem1024_key_free(ks->mlkem);
    aegis_memzero(ks, sizeof(*ks));
    if (locked)
        munlock(ks, sizeof(*ks));
    aegis_free(ks);
}

/* Fill pub (except mldsa pk, which is stored) and key_id from the secrets;
 * check the parts that can be checked. */
static aegis_err ks_complete(aegis_keyset *ks, uint64_t epoch)
{
    ks->pub.epoch = epoch;
    memcpy(ks->pub.mldsa87, ks->s.mldsa_pk, AEGIS_MLDSA87_PK_BYTES);
    memcpy(ks->pub.slhdsa, ks->s.slh_sk + 64, AEGIS_SLHDSA_PK_BYTES);
    memcpy(ks->pub.mlkem_ek, ks->s.mlkem_dk + MLKEM_EK_OFF, AEGIS_MLKEM1024_EK_BYTES);
    aegis_err err = aegis_secp256k1_public(ks->pub.secp256k1, ks->s.secp_sk);
    if (err == AEGIS_OK)
        err = aegis_x25519_public(ks->pub.x25519, ks->s.x25519_sk);
    if (err != AEGIS_OK)
        return AEGIS_ERR_KEYS_INCONSISTENT;
    /* FIPS 203 §7.3 on dk (which includes the §7.2 check's ek) */
    err = aegis_mlkem1024_check_dk(ks->s.mlkem_dk);
    if (err == AEGIS_OK)
        err = aegis_mlkem1024_check_ek(ks->pub.mlkem_ek);
    if (err != AEGIS_OK)
        return err;
    aegis_envelope_key_id(ks->key_id, ks->pub.mlkem_ek, ks->pub.x25519);
    err = aegis_mldsa87_key_new(&ks->mldsa, ks->s.mldsa_sk);
    if (err == AEGIS_OK)
        err = aegis_x25519_key_new(&ks->x25519, ks->s.x25519_sk);
    if (err == AEGIS_OK)
        err = aegis_mlkem1024_key_new(&ks->mlkem, ks->s.mlkem_dk);
    return err;
}

aegis_err aegis_keyset_generate(uint64_t epoch, aegis_keyset **ret)
{
    aegis_keyset *ks = ks_alloc();
    if (!ks)
        return AEGIS_ERR_NOMEM;
    uint8_t slh_pk[AEGIS_SLHDSA_PK_BYTES], secp_pk[65], ek[AEGIS_MLKEM1024_EK_BYTES], xpk[32];
    aegis_err err = aegis_mldsa87_keygen(ks->s.mldsa_pk, ks->s.mldsa_sk);
    if (err == AEGIS_OK)
        err = aegis_slhdsa_keygen(AEGIS_SLHDSA_SHA2_256S, slh_pk, ks->s.slh_sk);
    if (err == AEGIS_OK)
        err = aegis_secp256k1_keygen(secp_pk, ks->s.secp_sk);
    if (err == AEGIS_OK)
        err = aegis_mlkem1024_keygen(ek, ks->s.mlkem_dk);
    if (err == AEGIS_OK)
        err = aegis_x25519_keygen(xpk, ks->s.x25519_sk);
    if (err == AEGIS_OK)
        err = ks_complete(ks, epoch);
    if (err != AEGIS_OK) {
        aegis_keyset_free(ks);
        return err;
    }
    *ret = ks;
    return AEGIS_OK;
}

uint64_t aegis_keyset_epoch(const aegis_keyset *ks)
{
    return ks->pub.epoch;
}

const aegis_keyset_pub *aegis_keyset_public(const aegis_keyset *ks)
{
    return &ks->pub;
}

void aegis_keyset_pub_encode(uint8_t out[static AEGIS_KEYSET_PUB_BYTES], const aegis_keyset_pub *pub)
{
    uint8_t *p = out;
    memcpy(p, "AEGP", 4);
    p += 4;
    *p++ = 1;
    aegis_put_be64(p, pub->epoch);
    p += 8;
    memcpy(p, pub->mldsa87, sizeof(pub->mldsa87));
    p += sizeof(pub->mldsa87);
    memcpy(p, pub->slhdsa, sizeof(pub->slhdsa));
    p += sizeof(pub->slhdsa);
    memcpy(p, pub->secp256k1, sizeof(pub->secp256k1));
    p += sizeof(pub->secp256k1);
    memcpy(p, pub->mlkem_ek, sizeof(pub->mlkem_ek));
    p += sizeof(pub->mlkem_ek);
    memcpy(p, pub->x25519, sizeof(pub->x25519));
}

aegis_err aegis_keyset_pub_decode(aegis_keyset_pub *pub, const uint8_t *in, size_t len)
{
    if (len != AEGIS_KEYSET_PUB_BYTES || memcmp(in, "AEGP", 4) != 0 || in[4] != 1)
        return AEGIS_ERR_KEYS_BAD_PUBLIC;
    aegis_keyset_pub p;
    const uint8_t *q = in + 5;
    p.epoch = aegis_get_be64(q);
    q += 8;
    memcpy(p.mldsa87, q, sizeof(p.mldsa87));
    q += sizeof(p.mldsa87);
    memcpy(p.slhdsa, q, sizeof(p.slhdsa));
    q += sizeof(p.slhdsa);
    memcpy(p.secp256k1, q, sizeof(p.secp256k1));
    q += sizeof(p.secp256k1);
    memcpy(p.mlkem_ek, q, sizeof(p.mlkem_ek));
    q += sizeof(p.mlkem_ek);
    memcpy(p.x25519, q, sizeof(p.x25519));

    /* secp256k1: a valid point (verify of a zero signature fails with
     * BAD_KEY first for an invalid key) */
    static const uint8_t zsig[64], zd[32];
    if (aegis_secp256k1_verify(zsig, zd, p.secp256k1) == AEGIS_ERR_BAD_KEY)
        return AEGIS_ERR_KEYS_BAD_PUBLIC;
    aegis_err err = aegis_mlkem1024_check_ek(p.mlkem_ek);
    if (err != AEGIS_OK)
        return err;
    /* X25519: a small-order key would make every envelope fail */
    uint8_t one[32] = { 9 }, ss[32];
    if (aegis_x25519(ss, one, p.x25519) != AEGIS_OK)
        return AEGIS_ERR_KEYS_BAD_PUBLIC;
    *pub = p;
    return AEGIS_OK;
}

void aegis_keyset_pub_hash(uint8_t out[static 32], const aegis_keyset_pub *pub)
{
    uint8_t enc[AEGIS_KEYSET_PUB_BYTES];
    aegis_keyset_pub_encode(enc, pub);
    aegis_sha256(out, enc, sizeof(enc));
}

void aegis_keyset_pub_envelope(aegis_envelope_pub *out, const aegis_keyset_pub *pub)
{
    out->epoch = pub->epoch;
    memcpy(out->mlkem_ek, pub->mlkem_ek, sizeof(out->mlkem_ek));
    memcpy(out->x25519_pk, pub->x25519, sizeof(out->x25519_pk));
}

aegis_err aegis_keyset_sign_mldsa87_raced(const aegis_keyset *ks, aegis_mldsa87_racer *racer,
                                          uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES], const uint8_t *msg,
                                          size_t len, const uint8_t *ctx, size_t ctx_len)
{
    return aegis_mldsa87_sign_key_raced(racer, sig, msg, len, ctx, ctx_len, ks->mldsa);
}

aegis_err aegis_keyset_sign_mldsa87(const aegis_keyset *ks, uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                    const uint8_t *msg, size_t len, const uint8_t *ctx, size_t ctx_len)
{
    return aegis_mldsa87_sign_key(sig, msg, len, ctx, ctx_len, ks->mldsa, false);
}

aegis_err aegis_keyset_sign_slhdsa(const aegis_keyset *ks, uint8_t sig[static AEGIS_SLHDSA256S_SIG_BYTES],
                                   const uint8_t *msg, size_t len, const uint8_t *ctx, size_t ctx_len)
{
    return aegis_slhdsa_sign(AEGIS_SLHDSA_SHA2_256S, sig, msg, len, ctx, ctx_len, ks->s.slh_sk, false);
}

aegis_err aegis_keyset_sign_secp256k1(const aegis_keyset *ks, uint8_t sig[static AEGIS_SECP256K1_SIG_BYTES],
                                      const uint8_t digest[static 32])
{
    return aegis_secp256k1_sign(sig, digest, ks->s.secp_sk);
}

void aegis_keyset_envelope_keys(const aegis_keyset *ks, aegis_envelope_keys *out)
{
    out->epoch = ks->pub.epoch;
    out->mlkem_dk = ks->s.mlkem_dk;
    out->x25519_sk = ks->s.x25519_sk;
    out->x25519_key = ks->x25519;
    out->dk_checked = true;   /* ks_complete ran aegis_mlkem1024_check_dk */
    out->mlkem_key = ks->mlkem;
    out->key_id = ks->key_id;
}

const uint8_t *aegis_keyset_key_id(const aegis_keyset *ks)
{
    return ks->key_id;
}

static aegis_err ks_lookup(void *ctx, uint64_t epoch, aegis_envelope_keys *keys)
{
    const aegis_keyset *ks = ctx;
    if (epoch != ks->pub.epoch)
        return AEGIS_ERR_ENV_UNKNOWN_EPOCH;
    aegis_keyset_envelope_keys(ks, keys);
    return AEGIS_OK;
}

aegis_err aegis_keyset_open_envelope(const aegis_keyset *ks, uint8_t *pt, size_t pt_cap, size_t *pt_len,
                                     const uint8_t *env, size_t env_len)
{
    return aegis_envelope_open_lookup(pt, pt_cap, pt_len, env, env_len, ks_lookup, (void *)ks);
}

/* ---------------- sealing ---------------- */

aegis_err aegis_keyset_seal(const aegis_keyset *ks, aegis_tee *tee, uint8_t **ret, size_t *ret_len)
{
    size_t total = SEAL_HDR + SECRETS_BYTES + AEGIS_AEAD_TAG_BYTES;
    uint8_t key[32];
    uint8_t *out = aegis_malloc(total);
    if (!out)
        return AEGIS_ERR_NOMEM;
    memcpy(out, SEAL_MAGIC, 4);
    out[4] = SEAL_VERSION;
    aegis_put_be64(out + 5, ks->pub.epoch);
    aegis_err err = aegis_tee_derive_key(tee, AEGIS_KEYSET_SEAL_LABEL, key);
    if (err == AEGIS_OK)
        err = aegis_tee_random(tee, out + 13, AEGIS_AEAD_NONCE_BYTES);
    if (err == AEGIS_OK)
        err = aegis_aead_seal(out + SEAL_HDR, out + SEAL_HDR + SECRETS_BYTES, key, out + 13, out, SEAL_HDR,
                              (const uint8_t *)&ks->s, SECRETS_BYTES);
    aegis_memzero(key, sizeof(key));
    if (err != AEGIS_OK) {
        aegis_free_secret(out, total);
        return err;
    }
    *ret = out;
    *ret_len = total;
    return AEGIS_OK;
}

aegis_err aegis_keyset_unseal(aegis_tee *tee, const uint8_t *in, size_t len, aegis_keyset **ret)
{
    if (len != SEAL_HDR + SECRETS_BYTES + AEGIS_AEAD_TAG_BYTES || memcmp(in, SEAL_MAGIC, 4) != 0 ||
        in[4] != SEAL_VERSION)
        return AEGIS_ERR_KEYS_BAD_FORMAT;
    uint8_t key[32];
    aegis_keyset *ks = ks_alloc();
    if (!ks)
        return AEGIS_ERR_NOMEM;
    aegis_err err = aegis_tee_derive_key(tee, AEGIS_KEYSET_SEAL_LABEL, key);
    if (err == AEGIS_OK) {
        err = aegis_aead_open((uint8_t *)&ks->s, key, in + 13, in, SEAL_HDR, in + SEAL_HDR, SECRETS_BYTES,
                              in + SEAL_HDR + SECRETS_BYTES);
        if (err == AEGIS_ERR_CRYPTO_AEAD)
            err = AEGIS_ERR_KEYS_UNSEAL;
    }
    aegis_memzero(key, sizeof(key));
    if (err == AEGIS_OK)
        err = ks_complete(ks, aegis_get_be64(in + 5));
    if (err != AEGIS_OK) {
        aegis_keyset_free(ks);
        return err;
    }
    *ret = ks;
    return AEGIS_OK;
}

aegis_err aegis_keyset_save(const aegis_keyset *ks, aegis_tee *tee, const char *path)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    aegis_err err = aegis_keyset_seal(ks, tee, &buf, &n);
    if (err != AEGIS_OK)
        return err;
    err = aegis_file_write_atomic(path, buf, n, 0600);
    aegis_free(buf);
    return err;
}

aegis_err aegis_keyset_load(aegis_tee *tee, const char *path, aegis_keyset **ret)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return AEGIS_ERR_NOT_FOUND;
    if (st.st_mode & 077)
        return AEGIS_ERR_KEYS_FILE_MODE;
    uint8_t *buf = NULL;
    size_t n = 0;
    aegis_err err = aegis_file_read(path, 1u << 20, &buf, &n);
    if (err == AEGIS_ERR_TOO_BIG)
        return AEGIS_ERR_KEYS_BAD_FORMAT;
    if (err != AEGIS_OK)
        return err;
    err = aegis_keyset_unseal(tee, buf, n, ret);
    aegis_free(buf);
    return err;
}

/* ---------------- hand-over to an attested worker ---------------- */

#define WRAP_PT_BYTES (8 + SECRETS_BYTES)

aegis_err aegis_keyset_wrap(const aegis_keyset *ks, const aegis_envelope_pub *rcpt, uint8_t **ret, size_t *ret_len)
{
    size_t cap = aegis_envelope_sealed_size(WRAP_PT_BYTES), n = 0;
    uint8_t *pt = aegis_malloc(WRAP_PT_BYTES);
    uint8_t *out = aegis_malloc(cap);
    aegis_err err = AEGIS_ERR_NOMEM;
    if (!pt || !out)
        goto out;
    aegis_put_be64(pt, ks->pub.epoch);
    memcpy(pt + 8, &ks->s, SECRETS_BYTES);
    err = aegis_envelope_seal(out, cap, &n, rcpt, pt, WRAP_PT_BYTES);
out:
    if (pt)
        aegis_free_secret(pt, WRAP_PT_BYTES);
    if (err != AEGIS_OK) {
        aegis_free(out);
        return err;
    }
    *ret = out;
    *ret_len = n;
    return AEGIS_OK;
}

aegis_err aegis_keyset_unwrap(const aegis_keyset *transport, const uint8_t *in, size_t len, aegis_keyset **ret)
{
    aegis_envelope_view v;
    if (aegis_envelope_parse(&v, in, len) != AEGIS_OK || v.ct_len != WRAP_PT_BYTES)
        return AEGIS_ERR_KEYS_WRAP;
    uint8_t *pt = aegis_malloc(WRAP_PT_BYTES);
    aegis_keyset *ks = ks_alloc();
    aegis_err err = AEGIS_ERR_NOMEM;
    if (!pt || !ks)
        goto out;
    aegis_envelope_keys keys;
    aegis_keyset_envelope_keys(transport, &keys);
    err = aegis_envelope_open(pt, WRAP_PT_BYTES, &v, &keys);
    if (err != AEGIS_OK) {
        err = AEGIS_ERR_KEYS_WRAP;
        goto out;
    }
    memcpy(&ks->s, pt + 8, SECRETS_BYTES);
    err = ks_complete(ks, aegis_get_be64(pt));
out:
    if (pt)
        aegis_free_secret(pt, WRAP_PT_BYTES);
    if (err != AEGIS_OK) {
        aegis_keyset_free(ks);
        return err;
    }
    *ret = ks;
    return AEGIS_OK;
}

/* ---------------- deterministic successor ---------------- */

static aegis_err derive(uint8_t *out, size_t n, const uint8_t ikm[64], uint64_t epoch, const char *label)
{
    static const char salt[] = "aegis/keyset/next/v1";
    uint8_t info[8 + 32];
    size_t ll = strlen(label);
    if (ll > 32)
        return AEGIS_ERR_INVAL;
    aegis_put_be64(info, epoch);
    memcpy(info + 8, label, ll);
    aegis_err err = aegis_hkdf_sha256(out, n, ikm, 64, (const uint8_t *)salt, sizeof(salt) - 1, info, 8 + ll);
    aegis_memzero(info, sizeof(info));
    return err;
}

aegis_err aegis_keyset_derive_next(const aegis_keyset *ks, uint64_t epoch, aegis_keyset **ret)
{
    struct {
        uint8_t in[AEGIS_MLDSA87_SK_BYTES + AEGIS_MLKEM1024_DK_BYTES];
        uint8_t ikm[64];
        uint8_t mldsa[AEGIS_MLDSA87_SEED_BYTES], slh[96], secp[32], kem[64], pk[AEGIS_SLHDSA_PK_BYTES];
        uint8_t ek[AEGIS_MLKEM1024_EK_BYTES];
    } *t = aegis_malloc(sizeof(*t));
    aegis_keyset *next = ks_alloc();
    aegis_err err = AEGIS_ERR_NOMEM;
    if (!t || !next)
        goto out;
    memcpy(t->in, ks->s.mldsa_sk, AEGIS_MLDSA87_SK_BYTES);
    memcpy(t->in + AEGIS_MLDSA87_SK_BYTES, ks->s.mlkem_dk, AEGIS_MLKEM1024_DK_BYTES);
    aegis_sha512(t->ikm, t->in, sizeof(t->in));
    err = derive(t->mldsa, sizeof(t->mldsa), t->ikm, epoch, "ml-dsa-87");
    if (!err)
        err = aegis_mldsa87_keygen_seed(next->s.mldsa_pk, next->s.mldsa_sk, t->mldsa);
    if (!err)
        err = derive(t->slh, sizeof(t->slh), t->ikm, epoch, "slh-dsa-sha2-256s");
    if (!err)
        err = aegis_slhdsa_keygen_seeds(AEGIS_SLHDSA_SHA2_256S, t->pk, next->s.slh_sk, t->slh, t->slh + 32,
                                        t->slh + 64);
    if (!err)
        err = derive(t->kem, sizeof(t->kem), t->ikm, epoch, "ml-kem-1024");
    if (!err)
        err = aegis_mlkem1024_keygen_dz(t->ek, next->s.mlkem_dk, t->kem, t->kem + 32);
    if (!err)
        err = derive(next->s.x25519_sk, 32, t->ikm, epoch, "x25519");
    /* secp256k1: the first derived scalar that is a valid secret key */
    for (unsigned i = 0; !err && i < 16; i++) {
        char label[24];
        snprintf(label, sizeof(label), "secp256k1/%u", i);
        err = derive(next->s.secp_sk, 32, t->ikm, epoch, label);
        uint8_t pk[65];
        if (!err && aegis_secp256k1_public(pk, next->s.secp_sk) == AEGIS_OK)
            break;
        if (!err && i == 15)
            err = AEGIS_ERR_KEYS_INCONSISTENT;
    }
    if (!err)
        err = ks_complete(next, epoch);
out:
    if (t)
        aegis_free_secret(t, sizeof(*t));
    if (err) {
        aegis_keyset_free(next);
        return err;
    }
    *ret = next;
    return AEGIS_OK;
}
