/* json.c - canonical JSON (what admin signatures and audit hashes cover) and
 * the JSON form of registry entries. Canonical: object keys sorted bytewise,
 * no whitespace, integers only (reals are refused, so no float formatting
 * ever enters a signed message), strings escaped minimally (", \, and
 * control characters), UTF-8 passed through as jansson validated it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets_int.h"

#define CANON_MAX_DEPTH 8

static aegis_err canon_str(const char *s, size_t n, aegis_buf *out)
{
    aegis_err err = aegis_buf_append(out, "\"", 1);
    for (size_t i = 0; err == AEGIS_OK && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char tmp[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(tmp, sizeof(tmp), "\\u%04x", c);
                esc = tmp;
            }
        }
        err = esc ? aegis_buf_append(out, esc, strlen(esc)) : aegis_buf_append(out, &s[i], 1);
    }
    return err ? err : aegis_buf_append(out, "\"", 1);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static aegis_err canon(const json_t *v, aegis_buf *out, int depth)
{
    aegis_err err = AEGIS_OK;
    if (depth > CANON_MAX_DEPTH)
        return AEGIS_ERR_BAD_JSON;
    switch (json_typeof(v)) {
    case JSON_NULL: return aegis_buf_append(out, "null", 4);
    case JSON_TRUE: return aegis_buf_append(out, "true", 4);
    case JSON_FALSE: return aegis_buf_append(out, "false", 5);
    case JSON_INTEGER: return aegis_buf_printf(out, "%lld", (long long)json_integer_value(v));
    case JSON_REAL: return AEGIS_ERR_BAD_JSON;
    case JSON_STRING: return canon_str(json_string_value(v), json_string_length(v), out);
    case JSON_ARRAY:
        err = aegis_buf_append(out, "[", 1);
        for (size_t i = 0; err == AEGIS_OK && i < json_array_size(v); i++) {
            if (i)
                err = aegis_buf_append(out, ",", 1);
            if (err == AEGIS_OK)
                err = canon(json_array_get(v, i), out, depth + 1);
        }
        return err ? err : aegis_buf_append(out, "]", 1);
    case JSON_OBJECT: {
        size_t n = json_object_size(v), k = 0;
        const char **keys = n ? aegis_malloc(n * sizeof(*keys)) : NULL;
        const char *key;
        json_t *val;
        if (n && !keys)
            return AEGIS_ERR_NOMEM;
        json_object_foreach((json_t *)v, key, val) keys[k++] = key;
        if (k)
            qsort(keys, k, sizeof(*keys), key_cmp);
        err = aegis_buf_append(out, "{", 1);
        for (size_t i = 0; err == AEGIS_OK && i < k; i++) {
            if (i)
                err = aegis_buf_append(out, ",", 1);
            if (err == AEGIS_OK)
                err = canon_str(keys[i], strlen(keys[i]), out);
            if (err == AEGIS_OK)
                err = aegis_buf_append(out, ":", 1);
            if (err == AEGIS_OK)
                err = canon(json_object_get(v, keys[i]), out, depth + 1);
        }
        aegis_free(keys);
        return err ? err : aegis_buf_append(out, "}", 1);
    }
    }
    return AEGIS_ERR_BAD_JSON;
}

aegis_err aegis__json_canon(const json_t *v, aegis_buf *out)
{
    aegis_err err = canon(v, out, 0);
    return err ? err : aegis_buf_cstr(out);
}

aegis_err aegis__json_parse_object(const char *text, size_t len, json_t **ret)
{
    json_error_t jerr;
    if (!text || len > AEGIS_AUDIT_LINE_MAX)
        return len > AEGIS_AUDIT_LINE_MAX ? AEGIS_ERR_TOO_BIG : AEGIS_ERR_BAD_JSON;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return AEGIS_ERR_BAD_JSON;
    if (!json_is_object(o)) {
        json_decref(o);
        return AEGIS_ERR_BAD_JSON;
    }
    *ret = o;
    return AEGIS_OK;
}

/* ---------------- field helpers ---------------- */

void aegis__addr_hex(char out[43], const uint8_t addr[20])
{
    out[0] = '0';
    out[1] = 'x';
    aegis_hex_encode(out + 2, addr, 20);
}

aegis_err aegis__addr_from_json(const json_t *v, uint8_t out[20])
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    return aegis_hex_decode_exact(s, out, 20) == AEGIS_OK ? AEGIS_OK : AEGIS_ERR_ASSET_BAD_FIELD;
}

static int addr_cmp(const void *a, const void *b) { return memcmp(a, b, 20); }
static int role_cmp(const void *a, const void *b) { return strcmp(a, b); }

aegis_err aegis__policy_from_jobj(const json_t *o, aegis_asset_policy *ret)
{
    static const char *const keys[] = { "senders", "roles", "ops", "value_limit", "witness_required" };
    aegis_asset_policy p;
    memset(&p, 0, sizeof(p));
    if (!json_is_object(o) || !aegis_json_only_keys_n(o, keys, AEGIS_ARRAY_LEN(keys)))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    const json_t *s = json_object_get(o, "senders"), *r = json_object_get(o, "roles");
    const json_t *ops = json_object_get(o, "ops"), *lim = json_object_get(o, "value_limit");
    const json_t *w = json_object_get(o, "witness_required");
    if ((s && (!json_is_array(s) || json_array_size(s) > AEGIS_ASSET_MAX_SENDERS)) ||
        (r && (!json_is_array(r) || json_array_size(r) > AEGIS_ASSET_MAX_ROLES)) ||
        (ops && !json_is_array(ops)) || (w && !json_is_boolean(w)))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    for (size_t i = 0; i < json_array_size(s); i++)
        if (aegis__addr_from_json(json_array_get(s, i), p.senders[p.n_senders++]) != AEGIS_OK)
            return AEGIS_ERR_ASSET_BAD_FIELD;
    for (size_t i = 0; i < json_array_size(r); i++) {
        const char *name = json_string_value(json_array_get(r, i));
        if (!aegis__name_is_valid(name, AEGIS_ASSET_ROLE_MAX))
            return AEGIS_ERR_ASSET_BAD_FIELD;
        strcpy(p.roles[p.n_roles++], name);
    }
    /* sets: sort into the canonical order; a duplicate is an error */
    qsort(p.senders, p.n_senders, 20, addr_cmp);
    qsort(p.roles, p.n_roles, sizeof(p.roles[0]), role_cmp);
    if (ops) {
        for (size_t i = 0; i < json_array_size(ops); i++) {
            uint32_t bit;
            if (aegis_asset_op_parse(json_string_value(json_array_get(ops, i)), &bit) != AEGIS_OK ||
                (p.ops & bit))
                return AEGIS_ERR_ASSET_BAD_FIELD;
            p.ops |= bit;
        }
    } else {
        p.ops = AEGIS_ASSET_OP_ALL;
    }
    if (lim && !json_is_null(lim)) {
        if (!json_is_string(lim) || aegis_u256_parse(&p.value_limit, json_string_value(lim)) != AEGIS_OK)
            return AEGIS_ERR_ASSET_BAD_FIELD;
        p.has_value_limit = true;
    }
    p.witness_required = json_is_true(w);
    aegis_asset tmp;
    aegis_asset_init(&tmp);
    strcpy(tmp.id, "x");
    tmp.policy = p;
    aegis_err err = aegis_asset_validate(&tmp);   /* catches duplicates after sorting */
    if (err != AEGIS_OK)
        return AEGIS_ERR_ASSET_BAD_FIELD;
    *ret = p;
    return AEGIS_OK;
}

aegis_err aegis__asset_from_jobj(const json_t *o, aegis_asset *ret)
{
    static const char *const keys[] = { "id", "type", "locator", "level", "threshold", "policy", "state",
                                        "data_version" };
    static const char *const lkeys[] = { "chain_id", "contract", "token_id", "uri" };
    aegis_asset a;
    uint64_t u;
    aegis_asset_init(&a);
    if (!json_is_object(o) || !aegis_json_only_keys_n(o, keys, AEGIS_ARRAY_LEN(keys)))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    const char *id = json_string_value(json_object_get(o, "id"));
    if (!aegis_asset_id_is_valid(id))
        return AEGIS_ERR_ASSET_BAD_ID;
    strcpy(a.id, id);
    if (aegis_asset_type_parse(json_string_value(json_object_get(o, "type")), &a.type) != AEGIS_OK)
        return AEGIS_ERR_ASSET_BAD_FIELD;
    const json_t *l = json_object_get(o, "locator");
    if (!json_is_object(l) || !aegis_json_only_keys_n(l, lkeys, AEGIS_ARRAY_LEN(lkeys)))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    const json_t *uri = json_object_get(l, "uri");
    if (uri) {
        const char *us = json_string_value(uri);
        if (!us || strlen(us) > AEGIS_ASSET_URI_MAX || json_object_size(l) != 1)
            return AEGIS_ERR_ASSET_BAD_FIELD;
        a.locator.onchain = false;
        a.locator.chain_id = 0;
        strcpy(a.locator.uri, us);
    } else {
        if (!aegis_json_uint(json_object_get(l, "chain_id"), INT64_MAX, &a.locator.chain_id) ||
            aegis__addr_from_json(json_object_get(l, "contract"), a.locator.contract) != AEGIS_OK)
            return AEGIS_ERR_ASSET_BAD_FIELD;
        const json_t *tid = json_object_get(l, "token_id");
        if (tid) {
            if (!json_is_string(tid) || aegis_u256_parse(&a.locator.token_id, json_string_value(tid)) != AEGIS_OK)
                return AEGIS_ERR_ASSET_BAD_FIELD;
            a.locator.has_token_id = true;
        }
    }
    if (json_object_get(o, "level")) {
        if (!aegis_json_uint(json_object_get(o, "level"), AEGIS_ASSET_LEVEL_MAX, &u))
            return AEGIS_ERR_ASSET_BAD_FIELD;
        a.level = (uint8_t)u;
    }
    if (json_object_get(o, "threshold")) {
        if (!aegis_json_uint(json_object_get(o, "threshold"), AEGIS_ASSET_THRESHOLD_MAX, &u))
            return AEGIS_ERR_ASSET_BAD_FIELD;
        a.threshold = (uint16_t)u;
    }
    if (json_object_get(o, "data_version") && !aegis_json_uint(json_object_get(o, "data_version"), INT64_MAX, &a.data_version))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    const json_t *st = json_object_get(o, "state");
    if (st && aegis_asset_state_parse(json_string_value(st), &a.state) != AEGIS_OK)
        return AEGIS_ERR_ASSET_BAD_FIELD;
    const json_t *p = json_object_get(o, "policy");
    if (p && aegis__policy_from_jobj(p, &a.policy) != AEGIS_OK)
        return AEGIS_ERR_ASSET_BAD_FIELD;
    aegis_err err = aegis_asset_validate(&a);
    if (err != AEGIS_OK)
        return err;
    *ret = a;
    return AEGIS_OK;
}

static json_t *u256_json(const aegis_u256 *v)
{
    char dec[80];
    aegis_u256_to_dec(dec, v);
    return json_string(dec);
}

aegis_err aegis__asset_to_jobj(const aegis_asset *a, json_t **ret)
{
    char hex[43];
    json_t *o = json_object(), *l = json_object(), *p = json_object();
    json_t *s = json_array(), *r = json_array(), *ops = json_array();
    bool ok = o && l && p && s && r && ops;
    ok = ok && !json_object_set_new(o, "id", json_string(a->id)) &&
         !json_object_set_new(o, "type", json_string(aegis_asset_type_name(a->type))) &&
         !json_object_set_new(o, "state", json_string(aegis_asset_state_name(a->state))) &&
         !json_object_set_new(o, "level", json_integer(a->level)) &&
         !json_object_set_new(o, "threshold", json_integer(a->threshold)) &&
         !json_object_set_new(o, "data_version", json_integer((json_int_t)a->data_version));
    if (ok && a->locator.onchain) {
        aegis__addr_hex(hex, a->locator.contract);
        ok = !json_object_set_new(l, "chain_id", json_integer((json_int_t)a->locator.chain_id)) &&
             !json_object_set_new(l, "contract", json_string(hex)) &&
             (!a->locator.has_token_id || !json_object_set_new(l, "token_id", u256_json(&a->locator.token_id)));
    } else if (ok) {
        ok = !json_object_set_new(l, "uri", json_string(a->locator.uri));
    }
    for (size_t i = 0; ok && i < a->policy.n_senders; i++) {
        aegis__addr_hex(hex, a->policy.senders[i]);
        ok = !json_array_append_new(s, json_string(hex));
    }
    for (size_t i = 0; ok && i < a->policy.n_roles; i++)
        ok = !json_array_append_new(r, json_string(a->policy.roles[i]));
    for (uint32_t bit = 1; ok && bit <= AEGIS_ASSET_OP_ALL; bit <<= 1)
        if (a->policy.ops & bit)
            ok = !json_array_append_new(ops, json_string(aegis_asset_op_name(bit)));
    ok = ok && !json_object_set(p, "senders", s) && !json_object_set(p, "roles", r) &&
         !json_object_set(p, "ops", ops) &&
         !json_object_set_new(p, "value_limit", a->policy.has_value_limit ? u256_json(&a->policy.value_limit)
                                                                           : json_null()) &&
         !json_object_set_new(p, "witness_required", json_boolean(a->policy.witness_required)) &&
         !json_object_set(o, "locator", l) && !json_object_set(o, "policy", p);
    json_decref(l);
    json_decref(p);
    json_decref(s);
    json_decref(r);
    json_decref(ops);
    if (!ok) {
        json_decref(o);
        return AEGIS_ERR_NOMEM;
    }
    *ret = o;
    return AEGIS_OK;
}

static aegis_err dump(const json_t *o, char **ret)
{
    aegis_buf b;
    aegis_buf_init(&b, 256u * 1024u * 1024u);
    aegis_err err = aegis__json_canon(o, &b);
    if (err != AEGIS_OK) {
        aegis_buf_clear(&b);
        return err;
    }
    *ret = (char *)b.data;
    return AEGIS_OK;
}

aegis_err aegis_asset_to_json(const aegis_asset *a, char **ret)
{
    json_t *o;
    aegis_err err = aegis__asset_to_jobj(a, &o);
    if (err != AEGIS_OK)
        return err;
    err = dump(o, ret);
    json_decref(o);
    return err;
}

aegis_err aegis_asset_from_json(const char *text, size_t len, aegis_asset *ret)
{
    json_t *o;
    aegis_err err = aegis__json_parse_object(text, len, &o);
    if (err != AEGIS_OK)
        return err;
    err = aegis__asset_from_jobj(o, ret);
    json_decref(o);
    return err;
}

aegis_err aegis_assets_list_json(const aegis_assets *reg, char **ret)
{
    uint8_t h[32];
    char hex[67] = "0x";
    aegis_err err = aegis_assets_hash(reg, h);
    if (err != AEGIS_OK)
        return err;
    aegis_hex_encode(hex + 2, h, 32);
    json_t *o = json_object(), *arr = json_array();
    bool ok = o && arr;
    for (size_t i = 0; ok && i < reg->n; i++) {
        json_t *e;
        if ((err = aegis__asset_to_jobj(&reg->v[i], &e)) != AEGIS_OK)
            ok = false;
        else
            ok = !json_array_append_new(arr, e);
    }
    ok = ok && !json_object_set_new(o, "count", json_integer((json_int_t)reg->n)) &&
         !json_object_set_new(o, "registry_hash", json_string(hex)) && !json_object_set(o, "assets", arr);
    json_decref(arr);
    err = ok ? dump(o, ret) : AEGIS_ERR_NOMEM;
    json_decref(o);
    return err;
}
