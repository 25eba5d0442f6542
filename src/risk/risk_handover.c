/* risk_handover.c - the key-epoch hand-over record: signed by the old and
 * the new key set (ML-DSA-87 + SLH-DSA-SHA2-256s each) over one canonical
 * encoding, so a verifier holding the old epoch's public keys can accept
 * the new ones, and one holding the new keys sees they agreed. */
#include <string.h>

#include "risk_int.h"

#define CTX ((const uint8_t *)AEGIS_HANDOVER_CTX)
#define CTX_LEN (sizeof(AEGIS_HANDOVER_CTX) - 1)

void aegis_handover_encode(const aegis_handover *h, uint8_t out[static AEGIS_HANDOVER_ENC_BYTES])
{
    uint8_t *p = out;
    memcpy(p, "AEGH", 4);
    p[4] = 1;
    p += 5;
    aegis_put_be64(p, h->old_epoch);
    aegis_put_be64(p + 8, h->new_epoch);
    p += 16;
    memcpy(p, h->old_keyset_hash, 32);
    memcpy(p + 32, h->new_keyset_hash, 32);
    p += 64;
    aegis_put_be64(p, h->batch_number);
    p[8] = h->reason;
    aegis_put_be64(p + 9, h->timestamp_ms);
}

static bool reason_known(uint8_t r)
{
    return r >= AEGIS_ROTATE_SCHEDULED && r <= AEGIS_ROTATE_MANUAL;
}

aegis_err aegis_handover_build(const aegis_keyset *old_ks, const aegis_keyset *new_ks, uint64_t batch_number,
                               uint8_t reason, uint64_t timestamp_ms, aegis_handover *ret)
{
    uint64_t oe = aegis_keyset_epoch(old_ks), ne = aegis_keyset_epoch(new_ks);
    if (oe == UINT64_MAX || ne != oe + 1 || !reason_known(reason))
        return AEGIS_ERR_INVAL;
    aegis_handover *h = aegis_calloc(1, sizeof(*h));
    if (!h)
        return AEGIS_ERR_NOMEM;
    h->old_epoch = oe;
    h->new_epoch = ne;
    aegis_keyset_pub_hash(h->old_keyset_hash, aegis_keyset_public(old_ks));
    aegis_keyset_pub_hash(h->new_keyset_hash, aegis_keyset_public(new_ks));
    h->batch_number = batch_number;
    h->reason = reason;
    h->timestamp_ms = timestamp_ms;
    uint8_t enc[AEGIS_HANDOVER_ENC_BYTES];
    aegis_handover_encode(h, enc);
    aegis_err err = aegis_keyset_sign_mldsa87(old_ks, h->old_mldsa, enc, sizeof(enc), CTX, CTX_LEN);
    if (err == AEGIS_OK)
        err = aegis_keyset_sign_mldsa87(new_ks, h->new_mldsa, enc, sizeof(enc), CTX, CTX_LEN);
    if (err == AEGIS_OK)
        err = aegis_keyset_sign_slhdsa(old_ks, h->old_slhdsa, enc, sizeof(enc), CTX, CTX_LEN);
    if (err == AEGIS_OK)
        err = aegis_keyset_sign_slhdsa(new_ks, h->new_slhdsa, enc, sizeof(enc), CTX, CTX_LEN);
    if (err == AEGIS_OK)
        memcpy(ret, h, sizeof(*h));
    aegis_free(h);
    return err;
}

aegis_err aegis_handover_verify(const aegis_handover *h, const aegis_keyset_pub *old_pub,
                                const aegis_keyset_pub *new_pub)
{
    uint8_t oh[32], nh[32];
    aegis_keyset_pub_hash(oh, old_pub);
    aegis_keyset_pub_hash(nh, new_pub);
    if (h->new_epoch != h->old_epoch + 1 || h->old_epoch != old_pub->epoch || h->new_epoch != new_pub->epoch ||
        !reason_known(h->reason) || memcmp(oh, h->old_keyset_hash, 32) != 0 ||
        memcmp(nh, h->new_keyset_hash, 32) != 0)
        return AEGIS_ERR_HANDOVER_MISMATCH;
    uint8_t enc[AEGIS_HANDOVER_ENC_BYTES];
    aegis_handover_encode(h, enc);
    if (aegis_mldsa87_verify(h->old_mldsa, sizeof(h->old_mldsa), enc, sizeof(enc), CTX, CTX_LEN, old_pub->mldsa87) ||
        aegis_mldsa87_verify(h->new_mldsa, sizeof(h->new_mldsa), enc, sizeof(enc), CTX, CTX_LEN, new_pub->mldsa87) ||
        aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256S, h->old_slhdsa, sizeof(h->old_slhdsa), enc, sizeof(enc), CTX,
                            CTX_LEN, old_pub->slhdsa) ||
        aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256S, h->new_slhdsa, sizeof(h->new_slhdsa), enc, sizeof(enc), CTX,
                            CTX_LEN, new_pub->slhdsa))
        return AEGIS_ERR_HANDOVER_BAD_SIG;
    return AEGIS_OK;
}

aegis_err aegis_handover_link(const aegis_handover *prev, const aegis_handover *next)
{
    if (next->old_epoch != prev->new_epoch || memcmp(next->old_keyset_hash, prev->new_keyset_hash, 32) != 0 ||
        next->batch_number < prev->batch_number)
        return AEGIS_ERR_HANDOVER_CHAIN;
    return AEGIS_OK;
}

/* ---- JSON ---- */

json_t *aegis_handover_to_json(const aegis_handover *h)
{
    return json_pack("{s:I, s:I, s:o, s:o, s:I, s:s, s:I, s:{s:{s:o, s:o}, s:{s:o, s:o}}}",
                     "old_epoch", (json_int_t)h->old_epoch, "new_epoch", (json_int_t)h->new_epoch,
                     "old_keyset_hash", aegis_json_hex(h->old_keyset_hash, 32),
                     "new_keyset_hash", aegis_json_hex(h->new_keyset_hash, 32),
                     "batch_number", (json_int_t)h->batch_number, "reason", aegis_rotation_reason_name(h->reason),
                     "timestamp_ms", (json_int_t)h->timestamp_ms, "signatures",
                     "old", "ml-dsa-87", aegis_json_hex(h->old_mldsa, sizeof(h->old_mldsa)),
                     "slh-dsa-sha2-256s", aegis_json_hex(h->old_slhdsa, sizeof(h->old_slhdsa)),
                     "new", "ml-dsa-87", aegis_json_hex(h->new_mldsa, sizeof(h->new_mldsa)),
                     "slh-dsa-sha2-256s", aegis_json_hex(h->new_slhdsa, sizeof(h->new_slhdsa)));
}

static bool get_sigs(const json_t *o, uint8_t *mldsa, uint8_t *slh)
{
    static const char *const keys[] = { "ml-dsa-87", "slh-dsa-sha2-256s", NULL };
    return json_is_object(o) && aegis_json_only_keys(o, keys) &&
           aegis_json_hex_exact(json_object_get(o, "ml-dsa-87"), mldsa, AEGIS_MLDSA87_SIG_BYTES) &&
           aegis_json_hex_exact(json_object_get(o, "slh-dsa-sha2-256s"), slh, AEGIS_SLHDSA256S_SIG_BYTES);
}

aegis_err aegis_handover_from_json(const json_t *o, aegis_handover *ret)
{
    static const char *const keys[] = { "old_epoch", "new_epoch", "old_keyset_hash", "new_keyset_hash",
                                        "batch_number", "reason", "timestamp_ms", "signatures", NULL };
    static const char *const sig_keys[] = { "old", "new", NULL };
    const uint64_t I63 = (uint64_t)INT64_MAX;
    aegis_handover *h = aegis_calloc(1, sizeof(*h));
    if (!h)
        return AEGIS_ERR_NOMEM;
    aegis_err err = AEGIS_ERR_HANDOVER_MALFORMED;
    const json_t *sigs = json_object_get(o, "signatures");
    const char *reason = json_string_value(json_object_get(o, "reason"));
    if (!json_is_object(o) || !aegis_json_only_keys(o, keys) || !json_is_object(sigs) ||
        !aegis_json_only_keys(sigs, sig_keys) || !reason ||
        !aegis_json_uint(json_object_get(o, "old_epoch"), I63, &h->old_epoch) ||
        !aegis_json_uint(json_object_get(o, "new_epoch"), I63, &h->new_epoch) ||
        !aegis_json_uint(json_object_get(o, "batch_number"), I63, &h->batch_number) ||
        !aegis_json_uint(json_object_get(o, "timestamp_ms"), I63, &h->timestamp_ms) ||
        !aegis_json_hex_exact(json_object_get(o, "old_keyset_hash"), h->old_keyset_hash, 32) ||
        !aegis_json_hex_exact(json_object_get(o, "new_keyset_hash"), h->new_keyset_hash, 32) ||
        !get_sigs(json_object_get(sigs, "old"), h->old_mldsa, h->old_slhdsa) ||
        !get_sigs(json_object_get(sigs, "new"), h->new_mldsa, h->new_slhdsa))
        goto out;
    for (uint8_t r = AEGIS_ROTATE_SCHEDULED; r <= AEGIS_ROTATE_MANUAL; r++)
        if (strcmp(reason, aegis_rotation_reason_name(r)) == 0)
            h->reason = r;
    if (!h->reason || h->new_epoch != h->old_epoch + 1)
        goto out;
    memcpy(ret, h, sizeof(*h));
    err = AEGIS_OK;
out:
    aegis_free(h);
    return err;
}
