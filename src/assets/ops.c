/* ops.c - the admin operations on the registry, from their JSON params.
 * Every op takes an object with exactly its known keys (docs/internals/assets.md). */
#include <string.h>

#include "assets_int.h"

#define MSG(s) do { if (reterr_msg) *reterr_msg = (s); } while (0)

static const char *id_of(const json_t *p)
{
    const char *id = json_string_value(json_object_get(p, "id"));
    return aegis_asset_id_is_valid(id) ? id : NULL;
}

static aegis_err op_add(aegis_assets *reg, const json_t *p, const char **reterr_msg)
{
    static const char *const k[] = { "asset" };
    aegis_asset a;
    if (!aegis_json_only_keys_n(p, k, 1)) {
        MSG("add takes {\"asset\": {...}}");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    aegis_err err = aegis__asset_from_jobj(json_object_get(p, "asset"), &a);
    if (err != AEGIS_OK) {
        MSG("asset object: id, type, locator required; see docs/internals/assets.md");
        return err;
    }
    if (a.data_version != 0) {
        MSG("data_version is maintained by the node");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    return aegis_assets_add(reg, &a);
}

static aegis_err op_update_policy(aegis_assets *reg, const json_t *p, const char **reterr_msg)
{
    static const char *const k[] = { "id", "policy", "level", "threshold" };
    const char *id = id_of(p);
    aegis_asset_policy pol;
    const json_t *jp = json_object_get(p, "policy"), *jl = json_object_get(p, "level"),
                 *jt = json_object_get(p, "threshold");
    if (!aegis_json_only_keys_n(p, k, 4) || !id || (!jp && !jl && !jt)) {
        MSG("update_policy takes {id, policy?, level?, threshold?} with at least one change");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    if (jp && aegis__policy_from_jobj(jp, &pol) != AEGIS_OK) {
        MSG("policy: senders, roles, ops, value_limit, witness_required");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    if ((jl && (!json_is_integer(jl) || json_integer_value(jl) < 0 || json_integer_value(jl) > AEGIS_ASSET_LEVEL_MAX)) ||
        (jt && (!json_is_integer(jt) || json_integer_value(jt) < 0 ||
                json_integer_value(jt) > AEGIS_ASSET_THRESHOLD_MAX))) {
        MSG("level 0-3, threshold 0-10000");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    return aegis_assets_update_policy(reg, id, jp ? &pol : NULL, jl ? (int)json_integer_value(jl) : -1,
                                      jt ? (int)json_integer_value(jt) : -1);
}

static aegis_err op_set_state(aegis_assets *reg, const json_t *p, const char **reterr_msg)
{
    static const char *const k[] = { "id", "state" };
    const char *id = id_of(p);
    aegis_asset_state st;
    if (!aegis_json_only_keys_n(p, k, 2) || !id ||
        aegis_asset_state_parse(json_string_value(json_object_get(p, "state")), &st) != AEGIS_OK) {
        MSG("set_state takes {id, state: active|protected|migrating|migrated|frozen}");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    return aegis_assets_set_state(reg, id, st);
}

static aegis_err op_remove(aegis_assets *reg, const json_t *p, const char **reterr_msg)
{
    static const char *const k[] = { "id" };
    const char *id = id_of(p);
    if (!aegis_json_only_keys_n(p, k, 1) || !id) {
        MSG("remove takes {id}");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    return aegis_assets_remove(reg, id);
}

static aegis_err op_pqc(aegis_assets *reg, const json_t *p, bool reg_op, const char **reterr_msg)
{
    static const char *const k[] = { "account", "pk", "replace" };
    uint8_t addr[20];
    const json_t *rep = json_object_get(p, "replace");
    if (!aegis_json_only_keys_n(p, k, reg_op ? 3 : 1) || aegis__addr_from_json(json_object_get(p, "account"), addr) != AEGIS_OK ||
        (rep && !json_is_boolean(rep))) {
        MSG(reg_op ? "register_pqc_key takes {account: 0x address, pk: hex ML-DSA-87 key, replace?: bool}"
                   : "unregister_pqc_key takes {account}");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    if (!reg_op)
        return aegis_assets_pqc_unregister(reg, addr);
    const char *hex = json_string_value(json_object_get(p, "pk"));
    uint8_t *pk = aegis_malloc(AEGIS_MLDSA87_PK_BYTES);
    if (!pk)
        return AEGIS_ERR_NOMEM;
    aegis_err err = AEGIS_ERR_ASSET_BAD_FIELD;
    if (hex && strlen(hex) == 2 * AEGIS_MLDSA87_PK_BYTES &&
        aegis_hex_decode_exact(hex, pk, AEGIS_MLDSA87_PK_BYTES) == AEGIS_OK)
        err = aegis_assets_pqc_register(reg, addr, pk, !rep || json_is_true(rep));
    else
        MSG("pk must be the hex of an ML-DSA-87 public key (2592 bytes)");
    aegis_free(pk);
    return err;
}

static aegis_err op_role(aegis_assets *reg, const json_t *p, bool grant, const char **reterr_msg)
{
    static const char *const k[] = { "role", "account" };
    uint8_t addr[20];
    const char *role = json_string_value(json_object_get(p, "role"));
    if (!aegis_json_only_keys_n(p, k, 2) || !aegis__name_is_valid(role, AEGIS_ASSET_ROLE_MAX) ||
        aegis__addr_from_json(json_object_get(p, "account"), addr) != AEGIS_OK) {
        MSG("grant_role / revoke_role take {role, account}");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    return grant ? aegis_assets_role_grant(reg, role, addr) : aegis_assets_role_revoke(reg, role, addr);
}

static aegis_err op_rollback(const json_t *p, const char **reterr_msg)
{
    static const char *const k[] = { "checkpoint", "state_hash" };
    const json_t *c = json_object_get(p, "checkpoint"), *h = json_object_get(p, "state_hash");
    uint8_t hash[32];
    bool ok = aegis_json_only_keys_n(p, k, 2) &&
              ((json_is_integer(c) && json_integer_value(c) >= 0) ||
               (json_is_string(c) && json_string_length(c) > 0 && json_string_length(c) <= 128));
    if (ok && h) {
        const char *s = json_string_value(h);
        ok = s && strlen(s) == 66 && s[0] == '0' && s[1] == 'x' && aegis_hex_decode_exact(s, hash, 32) == AEGIS_OK;
    }
    if (!ok) {
        MSG("rollback takes {checkpoint: id, state_hash?: 0x + 64 hex}");
        return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    return AEGIS_OK;
}

aegis_err aegis_assets_apply_op(aegis_assets *reg, const char *op, const char *params_json, size_t len,
                                const char **reterr_msg)
{
    json_t *p;
    if (!op)
        return AEGIS_ERR_ADMIN_UNKNOWN_OP;
    aegis_err err = aegis__json_parse_object(params_json, len, &p);
    if (err != AEGIS_OK) {
        MSG("params must be a JSON object");
        return AEGIS_ERR_ADMIN_MALFORMED;
    }
    if (strcmp(op, "add") == 0)
        err = op_add(reg, p, reterr_msg);
    else if (strcmp(op, "update_policy") == 0)
        err = op_update_policy(reg, p, reterr_msg);
    else if (strcmp(op, "set_state") == 0)
        err = op_set_state(reg, p, reterr_msg);
    else if (strcmp(op, "remove") == 0)
        err = op_remove(reg, p, reterr_msg);
    else if (strcmp(op, "register_pqc_key") == 0)
        err = op_pqc(reg, p, true, reterr_msg);
    else if (strcmp(op, "unregister_pqc_key") == 0)
        err = op_pqc(reg, p, false, reterr_msg);
    else if (strcmp(op, "grant_role") == 0)
        err = op_role(reg, p, true, reterr_msg);
    else if (strcmp(op, "revoke_role") == 0)
        err = op_role(reg, p, false, reterr_msg);
    else if (strcmp(op, "rollback") == 0)
        err = op_rollback(p, reterr_msg);
    else
        err = AEGIS_ERR_ADMIN_UNKNOWN_OP;
    json_decref(p);
    return err;
}
