/* admin.c - authenticated admin requests: strict parsing, ML-DSA-87
 * signature over the canonical request, freshness (per-key sequence and
 * timestamp skew), then the operation and its audit record.
 *
 * Request: {"v":1,"op":..,"params":{..},"key_id":..,"seq":N,"ts":MS,"sig":HEX}
 * Signed message: canonical JSON of the same object without "sig". */
#include <string.h>

#include "aegis/keys.h"
#include "assets_int.h"

struct admin_key {
    char id[AEGIS_ADMIN_KEY_ID_CHARS + 1];
    uint8_t pk[AEGIS_MLDSA87_PK_BYTES];
    uint64_t last_seq;
};

#define ADMIN_MAX_KEYS 64

struct aegis_assets_admin {
    uint64_t skew_ms;
    struct admin_key *keys;
    size_t n;
};

aegis_err aegis_assets_admin_new(uint64_t max_skew_ms, aegis_assets_admin **ret)
{
    aegis_assets_admin *a = aegis_calloc(1, sizeof(*a));
    if (!a)
        return AEGIS_ERR_NOMEM;
    a->skew_ms = max_skew_ms ? max_skew_ms : AEGIS_ADMIN_DEFAULT_SKEW_MS;
    *ret = a;
    return AEGIS_OK;
}

void aegis_assets_admin_free(aegis_assets_admin *adm)
{
    if (!adm)
        return;
    aegis_free(adm->keys);
    aegis_free(adm);
}

void aegis_assets_admin_key_id(const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES],
                               char out[static AEGIS_ADMIN_KEY_ID_CHARS + 1])
{
    uint8_t h[32];
    aegis_keccak256(h, pk, AEGIS_MLDSA87_PK_BYTES);
    aegis_hex_encode(out, h, AEGIS_ADMIN_KEY_ID_CHARS / 2);
}

static struct admin_key *key_find(const aegis_assets_admin *adm, const char *id)
{
    for (size_t i = 0; adm && id && i < adm->n; i++)
        if (strcmp(adm->keys[i].id, id) == 0)
            return &adm->keys[i];
    return NULL;
}

const uint8_t *aegis__admin_key(const aegis_assets_admin *adm, const char *key_id)
{
    const struct admin_key *k = key_find(adm, key_id);
    return k ? k->pk : NULL;
}

aegis_err aegis_assets_admin_add_key(aegis_assets_admin *adm, const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES])
{
    char id[AEGIS_ADMIN_KEY_ID_CHARS + 1];
    aegis_assets_admin_key_id(pk, id);
    if (key_find(adm, id))
        return AEGIS_ERR_EXISTS;
    if (adm->n >= ADMIN_MAX_KEYS)
        return AEGIS_ERR_TOO_BIG;
    struct admin_key *k = aegis_realloc(adm->keys, (adm->n + 1) * sizeof(*k));
    if (!k)
        return AEGIS_ERR_NOMEM;
    adm->keys = k;
    k = &adm->keys[adm->n++];
    memset(k, 0, sizeof(*k));
    strcpy(k->id, id);
    memcpy(k->pk, pk, AEGIS_MLDSA87_PK_BYTES);
    return AEGIS_OK;
}

size_t aegis_assets_admin_key_count(const aegis_assets_admin *adm)
{
    return adm->n;
}

aegis_err aegis_assets_admin_load_keys(aegis_assets_admin *adm, const char *const *paths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *type;
        uint8_t *pk = NULL;
        size_t len;
        aegis_err err = aegis_keyfile_read(paths[i], false, &type, &pk, &len);
        if (err != AEGIS_OK)
            return err;
        if (strcmp(type, "ml-dsa-87") != 0 || len != AEGIS_MLDSA87_PK_BYTES)
            err = AEGIS_ERR_KEYS_WRONG_TYPE;
        else
            err = aegis_assets_admin_add_key(adm, pk);
        aegis_free(pk);
        if (err != AEGIS_OK)
            return err;
    }
    return AEGIS_OK;
}

void aegis_assets_admin_resume(aegis_assets_admin *adm, const aegis_audit *log)
{
    for (size_t i = 0; i < adm->n; i++)
        aegis__audit_last_seq(log, adm->keys[i].id, &adm->keys[i].last_seq);
}

void aegis_admin_result_clear(aegis_admin_result *r)
{
    if (!r)
        return;
    aegis_free(r->params_json);
    aegis_free(r->record);
    memset(r, 0, sizeof(*r));
}

/* ---------------- the signed message ---------------- */

static json_t *unsigned_obj(const char *op, json_t *params, const char *key_id, uint64_t seq, uint64_t ts)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "v", json_integer(1)) || json_object_set_new(o, "op", json_string(op)) ||
        json_object_set(o, "params", params) || json_object_set_new(o, "key_id", json_string(key_id)) ||
        json_object_set_new(o, "seq", json_integer((json_int_t)seq)) ||
        json_object_set_new(o, "ts", json_integer((json_int_t)ts))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

aegis_err aegis__admin_message(const char *op, const char *canon_params, const char *key_id,
                               uint64_t seq, uint64_t ts, aegis_buf *out)
{
    json_t *p;
    aegis_err err = aegis__json_parse_object(canon_params, strlen(canon_params), &p);
    if (err != AEGIS_OK)
        return err;
    json_t *o = unsigned_obj(op, p, key_id, seq, ts);
    err = o ? aegis__json_canon(o, out) : AEGIS_ERR_NOMEM;
    json_decref(o);
    json_decref(p);
    return err;
}

aegis_err aegis_assets_admin_sign(const char *op, const char *params_json, uint64_t seq, uint64_t ts_ms,
                                  const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES],
                                  const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES], char **ret)
{
    char kid[AEGIS_ADMIN_KEY_ID_CHARS + 1];
    json_t *p = NULL, *o = NULL;
    aegis_buf m, out;
    uint8_t *sig = aegis_malloc(AEGIS_MLDSA87_SIG_BYTES);
    char *hex = aegis_malloc(2 * AEGIS_MLDSA87_SIG_BYTES + 1);
    aegis_err err = AEGIS_ERR_NOMEM;
    aegis_buf_init(&m, AEGIS_ADMIN_REQUEST_MAX);
    aegis_buf_init(&out, AEGIS_ADMIN_REQUEST_MAX);
    if (!sig || !hex)
        goto out;
    if (!op || !params_json || seq > INT64_MAX || ts_ms > INT64_MAX) {
        err = AEGIS_ERR_INVAL;
        goto out;
    }
    aegis_assets_admin_key_id(pk, kid);
    if ((err = aegis__json_parse_object(params_json, strlen(params_json), &p)) != AEGIS_OK)
        goto out;
    err = AEGIS_ERR_NOMEM;
    if (!(o = unsigned_obj(op, p, kid, seq, ts_ms)))
        goto out;
    if ((err = aegis__json_canon(o, &m)) != AEGIS_OK)
        goto out;
    if ((err = aegis_mldsa87_sign(sig, m.data, m.len, (const uint8_t *)AEGIS_ADMIN_SIG_CTX,
                                  strlen(AEGIS_ADMIN_SIG_CTX), sk, false)) != AEGIS_OK)
        goto out;
    aegis_hex_encode(hex, sig, AEGIS_MLDSA87_SIG_BYTES);
    err = AEGIS_ERR_NOMEM;
    if (json_object_set_new(o, "sig", json_string(hex)))
        goto out;
    if ((err = aegis__json_canon(o, &out)) != AEGIS_OK)
        goto out;
    *ret = (char *)out.data;
    out.data = NULL;
out:
    aegis_buf_clear(&out);
    aegis_buf_clear(&m);
    json_decref(o);
    json_decref(p);
    aegis_free(sig);
    aegis_free(hex);
    return err;
}

/* ---------------- verification and apply ---------------- */

static const char *const known_ops[] = { "add", "update_policy", "set_state", "remove", "register_pqc_key",
                                         "unregister_pqc_key", "grant_role", "revoke_role", "rollback" };

static bool op_known(const char *op)
{
    for (size_t i = 0; op && i < AEGIS_ARRAY_LEN(known_ops); i++)
        if (strcmp(op, known_ops[i]) == 0)
            return true;
    return false;
}

static bool get_u63(const json_t *o, const char *k, uint64_t *ret)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *ret = (uint64_t)json_integer_value(v);
    return true;
}

#define MSG(s) do { if (reterr_msg) *reterr_msg = (s); } while (0)

aegis_err aegis_assets_admin_submit(aegis_assets_admin *adm, aegis_assets *reg, aegis_audit *log,
                                    const char *req, size_t len, uint64_t now_ms,
                                    aegis_admin_result *ret, const char **reterr_msg)
{
    json_t *o = NULL;
    aegis_buf m, canon_params;
    uint8_t *sig = aegis_malloc(AEGIS_MLDSA87_SIG_BYTES);
    uint8_t *before = NULL;
    size_t before_len = 0;
    char *line = NULL;
    size_t line_len = 0;
    uint64_t seq, ts;
    aegis_err err = AEGIS_ERR_NOMEM;
    aegis_buf_init(&m, AEGIS_ADMIN_REQUEST_MAX);
    aegis_buf_init(&canon_params, AEGIS_ADMIN_REQUEST_MAX);
    if (!sig)
        goto out;
    err = AEGIS_ERR_ADMIN_MALFORMED;
    if (!req || len > AEGIS_ADMIN_REQUEST_MAX || aegis__json_parse_object(req, len, &o) != AEGIS_OK) {
        MSG("request is not a JSON object within the size limit");
        goto out;
    }
    const char *op = json_string_value(json_object_get(o, "op"));
    const char *kid = json_string_value(json_object_get(o, "key_id"));
    const char *sig_hex = json_string_value(json_object_get(o, "sig"));
    json_t *params = json_object_get(o, "params");
    const json_t *v = json_object_get(o, "v");
    if (json_object_size(o) != 7 || !json_is_integer(v) || json_integer_value(v) != 1 || !op || !kid ||
        !sig_hex || !json_is_object(params) || !get_u63(o, "seq", &seq) || !get_u63(o, "ts", &ts)) {
        MSG("request needs exactly v=1, op, params (object), key_id, seq, ts and sig");
        goto out;
    }
    if (strlen(sig_hex) != 2 * AEGIS_MLDSA87_SIG_BYTES ||
        aegis_hex_decode_exact(sig_hex, sig, AEGIS_MLDSA87_SIG_BYTES) != AEGIS_OK) {
        MSG("sig must be the hex of one ML-DSA-87 signature");
        goto out;
    }
    if (aegis__json_canon(params, &canon_params) != AEGIS_OK) {
        MSG("params must be plain JSON (no reals, nesting at most 8)");
        goto out;
    }
    if (!op_known(op)) {
        err = AEGIS_ERR_ADMIN_UNKNOWN_OP;
        MSG("op is not one of add, update_policy, set_state, remove, register_pqc_key, "
            "unregister_pqc_key, grant_role, revoke_role, rollback");
        goto out;
    }
    struct admin_key *k = key_find(adm, kid);
    if (!k) {
        err = AEGIS_ERR_ADMIN_UNKNOWN_KEY;
        MSG("key_id names no admin key of this node");
        goto out;
    }
    if ((err = aegis__admin_message(op, (const char *)canon_params.data, kid, seq, ts, &m)) != AEGIS_OK)
        goto out;
    if (aegis_mldsa87_verify(sig, AEGIS_MLDSA87_SIG_BYTES, m.data, m.len, (const uint8_t *)AEGIS_ADMIN_SIG_CTX,
                             strlen(AEGIS_ADMIN_SIG_CTX), k->pk) != AEGIS_OK) {
        err = AEGIS_ERR_ADMIN_BAD_SIG;
        MSG("ML-DSA-87 signature (ctx aegis-admin-v1) over the canonical request does not verify");
        goto out;
    }
    /* Freshness only after authentication: an attacker must not be able to
     * burn a key's sequence numbers with unsigned junk. */
    if ((ts > now_ms ? ts - now_ms : now_ms - ts) > adm->skew_ms) {
        err = AEGIS_ERR_ADMIN_STALE;
        MSG("ts is further from the node's clock than the allowed skew");
        goto out;
    }
    if (seq <= k->last_seq) {
        err = AEGIS_ERR_ADMIN_REPLAY;
        MSG("seq must be above the last sequence accepted from this key");
        goto out;
    }
    k->last_seq = seq;
    /* Snapshot so a failed audit append can undo the change: no change
     * without its record. */
    if ((err = aegis_assets_serialize(reg, &before, &before_len)) != AEGIS_OK)
        goto out;
    if ((err = aegis_assets_apply_op(reg, op, (const char *)canon_params.data, canon_params.len, reterr_msg)) != AEGIS_OK)
        goto out;
    err = aegis__audit_append(log, reg, op, (const char *)canon_params.data, kid, seq, ts, sig,
                              AEGIS_MLDSA87_SIG_BYTES, &line, &line_len);
    if (err != AEGIS_OK) {
        if (aegis_assets_restore(reg, before, before_len) != AEGIS_OK)
            aegis_misuse("assets: cannot restore the registry after a failed audit append");
        goto out;
    }
    if (ret) {
        memset(ret, 0, sizeof(*ret));
        strcpy(ret->op, op);
        ret->params_json = (char *)canon_params.data;
        canon_params.data = NULL;
        ret->record = line;
        ret->record_len = line_len;
        line = NULL;
        aegis__audit_last_reg_hash(log, ret->registry_hash);
    }
out:
    aegis_free(line);
    aegis_free(before);
    aegis_buf_clear(&m);
    aegis_buf_clear(&canon_params);
    json_decref(o);
    aegis_free(sig);
    return err;
}
