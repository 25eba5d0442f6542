/* rollback.c - the signed rollback event: which checkpoint was restored,
 * which batches were orphaned, why, and the admin request's signature. */
#include <string.h>

#include "migrate_int.h"

#define CTX ((const uint8_t *)AEGIS_ROLLBACK_CTX)
#define CTX_LEN (sizeof(AEGIS_ROLLBACK_CTX) - 1)

void aegis_rollback_clear(aegis_rollback *r)
{
    aegis_free(r->admin_sig);
    memset(r, 0, sizeof(*r));
}

static bool reason_ok(const char *s)
{
    size_t n = strnlen(s, AEGIS_ROLLBACK_REASON_MAX + 1);
    if (n > AEGIS_ROLLBACK_REASON_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return false;
    return true;
}

void aegis_rollback_digest(const aegis_rollback *r, uint8_t out[static 32])
{
    aegis_keccak k;
    uint8_t w[8];
    aegis_keccak256_init(&k);
    aegis_keccak256_update(&k, "AEGR1", 5);
#define U64(v) do { aegis_put_be64(w, (v)); aegis_keccak256_update(&k, w, 8); } while (0)
    U64(r->number);
    U64(r->timestamp_ms);
    U64(r->checkpoint_number);
    aegis_keccak256_update(&k, r->checkpoint_hash, 32);
    aegis_keccak256_update(&k, r->state_hash, 32);
    U64(r->orphan_first);
    U64(r->orphan_last);
    size_t rl = strnlen(r->reason, AEGIS_ROLLBACK_REASON_MAX);
    aegis_put_be16(w, (uint16_t)rl);
    aegis_keccak256_update(&k, w, 2);
    aegis_keccak256_update(&k, r->reason, rl);
    aegis_put_be32(w, (uint32_t)r->admin_sig_len);
    aegis_keccak256_update(&k, w, 4);
    aegis_keccak256_update(&k, r->admin_sig, r->admin_sig_len);
    U64(r->key_epoch);
    aegis_keccak256_update(&k, r->keyset_hash, 32);
#undef U64
    aegis_keccak256_final(&k, out);
}

aegis_err aegis_rollback_build(const aegis_checkpoint *restored, uint64_t number, uint64_t timestamp_ms,
                               uint64_t orphan_first, uint64_t orphan_last, const char *reason,
                               const uint8_t *admin_sig, size_t admin_sig_len, const aegis_keyset *ks,
                               aegis_rollback *ret)
{
    const uint64_t I63 = (uint64_t)INT64_MAX;
    if (!reason || !reason_ok(reason) || admin_sig_len > AEGIS_ROLLBACK_ADMIN_SIG_MAX ||
        (admin_sig_len && !admin_sig) || number > I63 || timestamp_ms > I63 || orphan_first > I63 ||
        orphan_last > I63)
        return AEGIS_ERR_INVAL;
    aegis_rollback r;
    memset(&r, 0, sizeof(r));
    r.number = number;
    r.timestamp_ms = timestamp_ms;
    r.checkpoint_number = restored->number;
    memcpy(r.checkpoint_hash, restored->hash, 32);
    memcpy(r.state_hash, restored->state_hash, 32);
    r.orphan_first = orphan_first;
    r.orphan_last = orphan_last;
    memcpy(r.reason, reason, strlen(reason) + 1);
    if (admin_sig_len) {
        if (!(r.admin_sig = aegis_malloc(admin_sig_len)))
            return AEGIS_ERR_NOMEM;
        memcpy(r.admin_sig, admin_sig, admin_sig_len);
        r.admin_sig_len = admin_sig_len;
    }
    r.key_epoch = aegis_keyset_epoch(ks);
    aegis_keyset_pub_hash(r.keyset_hash, aegis_keyset_public(ks));
    uint8_t d[32];
    aegis_rollback_digest(&r, d);
    aegis_err err = aegis_keyset_sign_mldsa87(ks, r.sig_mldsa, d, 32, CTX, CTX_LEN);
    if (err != AEGIS_OK) {
        aegis_rollback_clear(&r);
        return err;
    }
    *ret = r;
    return AEGIS_OK;
}

aegis_err aegis_rollback_verify(const aegis_rollback *r, const aegis_keyset_pub *pub,
                                const aegis_checkpoint *restored)
{
    uint8_t h[32], d[32];
    aegis_keyset_pub_hash(h, pub);
    aegis_rollback_digest(r, d);
    if (!reason_ok(r->reason) || memcmp(h, r->keyset_hash, 32) != 0 || pub->epoch != r->key_epoch ||
        aegis_mldsa87_verify(r->sig_mldsa, AEGIS_MLDSA87_SIG_BYTES, d, 32, CTX, CTX_LEN, pub->mldsa87))
        return AEGIS_ERR_ROLLBACK_BAD_SIG;
    if (restored && (restored->number != r->checkpoint_number || memcmp(restored->hash, r->checkpoint_hash, 32) ||
                     memcmp(restored->state_hash, r->state_hash, 32)))
        return AEGIS_ERR_ROLLBACK_MISMATCH;
    return AEGIS_OK;
}

json_t *aegis_rollback_to_json(const aegis_rollback *r)
{
    return json_pack("{s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:s, s:o, s:I, s:o, s:o}",
                     "number", (json_int_t)r->number, "timestamp_ms", (json_int_t)r->timestamp_ms,
                     "checkpoint_number", (json_int_t)r->checkpoint_number,
                     "checkpoint_hash", aegis_json_hex(r->checkpoint_hash, 32),
                     "state_hash", aegis_json_hex(r->state_hash, 32),
                     "orphan_first", (json_int_t)r->orphan_first, "orphan_last", (json_int_t)r->orphan_last,
                     "reason", r->reason, "admin_signature", aegis_json_hex(r->admin_sig, r->admin_sig_len),
                     "key_epoch", (json_int_t)r->key_epoch, "keyset_hash", aegis_json_hex(r->keyset_hash, 32),
                     "signature", aegis_json_hex(r->sig_mldsa, AEGIS_MLDSA87_SIG_BYTES));
}

aegis_err aegis_rollback_from_json(const json_t *o, aegis_rollback *ret)
{
    static const char *const keys[] = { "number", "timestamp_ms", "checkpoint_number", "checkpoint_hash",
        "state_hash", "orphan_first", "orphan_last", "reason", "admin_signature", "key_epoch", "keyset_hash",
        "signature", NULL };
    const uint64_t I63 = (uint64_t)INT64_MAX;
    aegis_rollback r;
    memset(&r, 0, sizeof(r));
    aegis_err err = AEGIS_ERR_ROLLBACK_MALFORMED;
    const json_t *rs = json_object_get(o, "reason");
    const char *reason = json_string_value(rs);
    if (!json_is_object(o) || !aegis_json_only_keys(o, keys) || !reason || strlen(reason) != json_string_length(rs) ||
        !reason_ok(reason) ||
        !aegis_json_uint(json_object_get(o, "number"), I63, &r.number) ||
        !aegis_json_uint(json_object_get(o, "timestamp_ms"), I63, &r.timestamp_ms) ||
        !aegis_json_uint(json_object_get(o, "checkpoint_number"), I63, &r.checkpoint_number) ||
        !aegis_json_uint(json_object_get(o, "orphan_first"), I63, &r.orphan_first) ||
        !aegis_json_uint(json_object_get(o, "orphan_last"), I63, &r.orphan_last) ||
        !aegis_json_uint(json_object_get(o, "key_epoch"), I63, &r.key_epoch) ||
        !aegis_json_hex_exact(json_object_get(o, "checkpoint_hash"), r.checkpoint_hash, 32) ||
        !aegis_json_hex_exact(json_object_get(o, "state_hash"), r.state_hash, 32) ||
        !aegis_json_hex_exact(json_object_get(o, "keyset_hash"), r.keyset_hash, 32) ||
        !aegis_json_hex_exact(json_object_get(o, "signature"), r.sig_mldsa, AEGIS_MLDSA87_SIG_BYTES))
        goto out;
    memcpy(r.reason, reason, strlen(reason) + 1);
    aegis_err e = aegis_json_hex_alloc(json_object_get(o, "admin_signature"), AEGIS_ROLLBACK_ADMIN_SIG_MAX,
                                           &r.admin_sig, &r.admin_sig_len);
    err = e == AEGIS_ERR_NOMEM ? e : e ? AEGIS_ERR_ROLLBACK_MALFORMED : AEGIS_OK;
out:
    if (err != AEGIS_OK) {
        aegis_rollback_clear(&r);
        return err;
    }
    *ret = r;
    return AEGIS_OK;
}
