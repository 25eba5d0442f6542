/* checkpoint.c - checkpoint records: canonical encoding, build (sign with
 * ML-DSA-87 + SLH-DSA-SHA2-256s), verify (hash, state, key set, signatures,
 * chain link) and the strict JSON form. */
#include <stdlib.h>
#include <string.h>

#include "migrate_int.h"

#define CTX ((const uint8_t *)AEGIS_CHECKPOINT_CTX)
#define CTX_LEN (sizeof(AEGIS_CHECKPOINT_CTX) - 1)

static const uint8_t zero32[32];

/* ---- JSON helpers (shared with rollback.c) ---- */

/* ---- record ---- */

void aegis_checkpoint_clear(aegis_checkpoint *c)
{
    aegis_free(c->state);
    aegis_free(c->sig_slh);
    memset(c, 0, sizeof(*c));
}

void aegis_checkpoint_encode(const aegis_checkpoint *c, uint8_t out[static AEGIS_CHECKPOINT_ENC_BYTES])
{
    uint8_t *p = out;
    memcpy(p, "AEGC", 4);
    p[4] = AEGIS_CHECKPOINT_VERSION;
    p += 5;
    aegis_put_be64(p, c->number);
    aegis_put_be64(p + 8, c->batch_number);
    aegis_put_be64(p + 16, c->timestamp_ms);
    p += 24;
    memcpy(p, c->prev_hash, 32);
    memcpy(p + 32, c->last_batch_hash, 32);
    p += 64;
    aegis_put_be16(p, c->risk_score);
    p[2] = c->risk_level;
    aegis_put_be64(p + 3, c->key_epoch);
    p += 11;
    const uint8_t *h[6] = { c->keyset_hash, c->registry_hash, c->asset_state_hash, c->migration_hash,
                            c->audit_head, c->state_hash };
    for (size_t i = 0; i < 6; i++, p += 32)
        memcpy(p, h[i], 32);
}

void aegis_checkpoint_compute_hash(const aegis_checkpoint *c, uint8_t out[static 32])
{
    uint8_t enc[AEGIS_CHECKPOINT_ENC_BYTES];
    aegis_checkpoint_encode(c, enc);
    aegis_keccak256(out, enc, sizeof(enc));
}

/* The unsigned fields of the checkpoint in builds under the key set pub
 * (c->state stays NULL); false when in is invalid. */
static aegis_err fill(const struct aegis_checkpoint_input *in, const aegis_keyset_pub *pub, aegis_checkpoint *c)
{
    if (!in->last_batch_hash || !in->registry_hash || !in->asset_state_hash || !in->migration_hash ||
        !in->audit_head || in->risk_score > 10000 || in->risk_level > 2 || (in->state_len && !in->state) ||
        (in->number == 0) != (in->prev_hash == NULL) || in->number > (uint64_t)INT64_MAX ||
        in->batch_number > (uint64_t)INT64_MAX || in->timestamp_ms > (uint64_t)INT64_MAX)
        return AEGIS_ERR_INVAL;
    if (in->state_len > AEGIS_CHECKPOINT_MAX_STATE)
        return AEGIS_ERR_TOO_BIG;
    memset(c, 0, sizeof(*c));
    c->number = in->number;
    c->batch_number = in->batch_number;
    c->timestamp_ms = in->timestamp_ms;
    memcpy(c->prev_hash, in->prev_hash ? in->prev_hash : zero32, 32);
    memcpy(c->last_batch_hash, in->last_batch_hash, 32);
    c->risk_score = in->risk_score;
    c->risk_level = in->risk_level;
    c->key_epoch = pub->epoch;
    aegis_keyset_pub_hash(c->keyset_hash, pub);
    memcpy(c->registry_hash, in->registry_hash, 32);
    memcpy(c->asset_state_hash, in->asset_state_hash, 32);
    memcpy(c->migration_hash, in->migration_hash, 32);
    memcpy(c->audit_head, in->audit_head, 32);
    aegis_keccak256(c->state_hash, in->state, in->state_len);
    aegis_checkpoint_compute_hash(c, c->hash);
    return AEGIS_OK;
}

aegis_err aegis_checkpoint_build(const struct aegis_checkpoint_input *in, const aegis_keyset *ks,
                                 aegis_checkpoint *ret)
{
    aegis_checkpoint c;
    aegis_err err = fill(in, aegis_keyset_public(ks), &c);
    if (err)
        return err;
    err = AEGIS_ERR_NOMEM;
    c.state = aegis_malloc(in->state_len ? in->state_len : 1);   /* non-NULL: the blob is present */
    c.sig_slh = aegis_malloc(AEGIS_SLHDSA256S_SIG_BYTES);
    if (!c.state || !c.sig_slh)
        goto out;
    if (in->state_len)
        memcpy(c.state, in->state, in->state_len);
    c.state_len = in->state_len;
    err = aegis_keyset_sign_mldsa87(ks, c.sig_mldsa, c.hash, 32, CTX, CTX_LEN);
    if (err == AEGIS_OK)
        err = aegis_keyset_sign_slhdsa(ks, c.sig_slh, c.hash, 32, CTX, CTX_LEN);
out:
    if (err != AEGIS_OK) {
        aegis_checkpoint_clear(&c);
        return err;
    }
    *ret = c;
    return AEGIS_OK;
}

aegis_err aegis_checkpoint_is_built(const aegis_checkpoint *c, const struct aegis_checkpoint_input *in,
                                    const aegis_keyset_pub *pub)
{
    aegis_checkpoint want;
    aegis_err err = fill(in, pub, &want);
    if (!err && !aegis_ct_eq(want.hash, c->hash, 32))
        err = AEGIS_ERR_CKPT_HASH_MISMATCH;
    if (!err)
        err = aegis_checkpoint_verify(c, pub, NULL, true);
    return err;
}

aegis_err aegis_checkpoint_verify(const aegis_checkpoint *c, const aegis_keyset_pub *pub,
                                  const aegis_checkpoint *prev, bool require_state)
{
    uint8_t h[32];
    aegis_checkpoint_compute_hash(c, h);
    if (memcmp(h, c->hash, 32) != 0 || c->risk_score > 10000 || c->risk_level > 2)
        return AEGIS_ERR_CKPT_HASH_MISMATCH;
    if (c->state) {
        aegis_keccak256(h, c->state, c->state_len);
        if (memcmp(h, c->state_hash, 32) != 0)
            return AEGIS_ERR_CKPT_STATE_HASH;
    } else if (require_state) {
        return AEGIS_ERR_CKPT_STATE_HASH;
    }
    aegis_keyset_pub_hash(h, pub);
    if (memcmp(h, c->keyset_hash, 32) != 0 || pub->epoch != c->key_epoch)
        return AEGIS_ERR_CKPT_KEYSET;
    if (!c->sig_slh ||
        aegis_mldsa87_verify(c->sig_mldsa, AEGIS_MLDSA87_SIG_BYTES, c->hash, 32, CTX, CTX_LEN, pub->mldsa87) ||
        aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256S, c->sig_slh, AEGIS_SLHDSA256S_SIG_BYTES, c->hash, 32, CTX,
                            CTX_LEN, pub->slhdsa))
        return AEGIS_ERR_CKPT_BAD_SIG;
    if (prev) {
        if (prev->number == UINT64_MAX || c->number != prev->number + 1 ||
            memcmp(c->prev_hash, prev->hash, 32) != 0 || c->batch_number < prev->batch_number ||
            c->timestamp_ms < prev->timestamp_ms)
            return AEGIS_ERR_CKPT_CHAIN;
    } else if (c->number == 0 && memcmp(c->prev_hash, zero32, 32) != 0) {
        return AEGIS_ERR_CKPT_CHAIN;
    }
    return AEGIS_OK;
}

/* ---- JSON ---- */

json_t *aegis_checkpoint_to_json(const aegis_checkpoint *c, bool with_state)
{
    json_t *o = json_pack(
        "{s:i, s:I, s:I, s:I, s:o, s:o, s:i, s:i, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o}",
        "version", AEGIS_CHECKPOINT_VERSION, "number", (json_int_t)c->number,
        "batch_number", (json_int_t)c->batch_number, "timestamp_ms", (json_int_t)c->timestamp_ms,
        "prev_hash", aegis_json_hex(c->prev_hash, 32), "last_batch_hash", aegis_json_hex(c->last_batch_hash, 32),
        "risk_score", (int)c->risk_score, "risk_level", (int)c->risk_level, "key_epoch", (json_int_t)c->key_epoch,
        "keyset_hash", aegis_json_hex(c->keyset_hash, 32), "registry_hash", aegis_json_hex(c->registry_hash, 32),
        "asset_state_hash", aegis_json_hex(c->asset_state_hash, 32),
        "migration_hash", aegis_json_hex(c->migration_hash, 32), "audit_head", aegis_json_hex(c->audit_head, 32),
        "state_hash", aegis_json_hex(c->state_hash, 32), "state_len", (json_int_t)c->state_len,
        "hash", aegis_json_hex(c->hash, 32));
    if (!o)
        return NULL;
    json_t *sigs = json_pack("{s:o}", "ml-dsa-87", aegis_json_hex(c->sig_mldsa, AEGIS_MLDSA87_SIG_BYTES));
    if (!sigs || json_object_set_new(o, "signatures", sigs) != 0)
        goto fail;
    if (c->sig_slh &&
        json_object_set_new(sigs, "slh-dsa-sha2-256s", aegis_json_hex(c->sig_slh, AEGIS_SLHDSA256S_SIG_BYTES)) != 0)
        goto fail;
    if (with_state && c->state &&
        json_object_set_new(o, "state", aegis_json_hex(c->state, c->state_len)) != 0)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

aegis_err aegis_checkpoint_from_json(const json_t *o, aegis_checkpoint *ret)
{
    static const char *const keys[] = { "version", "number", "batch_number", "timestamp_ms", "prev_hash",
        "last_batch_hash", "risk_score", "risk_level", "key_epoch", "keyset_hash", "registry_hash",
        "asset_state_hash", "migration_hash", "audit_head", "state_hash", "state_len", "hash", "signatures",
        "state", NULL };
    static const char *const sig_keys[] = { "ml-dsa-87", "slh-dsa-sha2-256s", NULL };
    const uint64_t I63 = (uint64_t)INT64_MAX;
    aegis_checkpoint c;
    memset(&c, 0, sizeof(c));
    aegis_err err = AEGIS_ERR_CKPT_MALFORMED;
    uint64_t v, sl;
    const json_t *sigs = json_object_get(o, "signatures");
    if (!json_is_object(o) || !aegis_json_only_keys(o, keys) || !json_is_object(sigs) ||
        !aegis_json_only_keys(sigs, sig_keys))
        goto out;
    if (!aegis_json_uint(json_object_get(o, "version"), 255, &v) || v != AEGIS_CHECKPOINT_VERSION ||
        !aegis_json_uint(json_object_get(o, "number"), I63, &c.number) ||
        !aegis_json_uint(json_object_get(o, "batch_number"), I63, &c.batch_number) ||
        !aegis_json_uint(json_object_get(o, "timestamp_ms"), I63, &c.timestamp_ms) ||
        !aegis_json_uint(json_object_get(o, "key_epoch"), I63, &c.key_epoch) ||
        !aegis_json_uint(json_object_get(o, "state_len"), AEGIS_CHECKPOINT_MAX_STATE, &sl))
        goto out;
    if (!aegis_json_uint(json_object_get(o, "risk_score"), 10000, &v))
        goto out;
    c.risk_score = (uint16_t)v;
    if (!aegis_json_uint(json_object_get(o, "risk_level"), 2, &v))
        goto out;
    c.risk_level = (uint8_t)v;
    static const struct { const char *k; size_t off; } hashes[] = {
        { "prev_hash", offsetof(aegis_checkpoint, prev_hash) },
        { "last_batch_hash", offsetof(aegis_checkpoint, last_batch_hash) },
        { "keyset_hash", offsetof(aegis_checkpoint, keyset_hash) },
        { "registry_hash", offsetof(aegis_checkpoint, registry_hash) },
        { "asset_state_hash", offsetof(aegis_checkpoint, asset_state_hash) },
        { "migration_hash", offsetof(aegis_checkpoint, migration_hash) },
        { "audit_head", offsetof(aegis_checkpoint, audit_head) },
        { "state_hash", offsetof(aegis_checkpoint, state_hash) },
        { "hash", offsetof(aegis_checkpoint, hash) },
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(hashes); i++)
        if (!aegis_json_hex_exact(json_object_get(o, hashes[i].k), (uint8_t *)&c + hashes[i].off, 32))
            goto out;
    if (!aegis_json_hex_exact(json_object_get(sigs, "ml-dsa-87"), c.sig_mldsa, AEGIS_MLDSA87_SIG_BYTES))
        goto out;
    const json_t *slh = json_object_get(sigs, "slh-dsa-sha2-256s");
    if (slh) {
        if (!(c.sig_slh = aegis_malloc(AEGIS_SLHDSA256S_SIG_BYTES))) {
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
        if (!aegis_json_hex_exact(slh, c.sig_slh, AEGIS_SLHDSA256S_SIG_BYTES))
            goto out;
    }
    const json_t *st = json_object_get(o, "state");
    if (st) {
        aegis_err e = aegis_json_hex_alloc(st, AEGIS_CHECKPOINT_MAX_STATE, &c.state, &c.state_len);
        if (e == AEGIS_ERR_NOMEM)
            err = e;
        if (e != AEGIS_OK || c.state_len != sl)
            goto out;
        if (sl == 0 && !(c.state = aegis_malloc(1))) {   /* present but empty: non-NULL */
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
    } else {
        c.state_len = sl;    /* listing without the blob: length only */
    }
    uint8_t h[32];
    aegis_checkpoint_compute_hash(&c, h);
    if (memcmp(h, c.hash, 32) != 0) {
        err = AEGIS_ERR_CKPT_HASH_MISMATCH;
        goto out;
    }
    err = AEGIS_OK;
out:
    if (err != AEGIS_OK) {
        aegis_checkpoint_clear(&c);
        return err;
    }
    *ret = c;
    return AEGIS_OK;
}

aegis_err aegis_checkpoint_parse(const char *json, size_t len, aegis_checkpoint *ret)
{
    json_t *o = NULL;
    aegis_err err = aegis_json_load_object(json, len, AEGIS_CHECKPOINT_MAX_JSON, &o);
    if (err)
        return err == AEGIS_ERR_BAD_JSON ? AEGIS_ERR_CKPT_MALFORMED : err;
    err = aegis_checkpoint_from_json(o, ret);
    json_decref(o);
    return err;
}
