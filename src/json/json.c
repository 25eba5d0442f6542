/* json.c - 0x-hex byte strings, bounded integers and closed key sets. */
#include <stdio.h>
#include <string.h>

#include "aegis/json.h"

json_t *aegis_json_hex(const uint8_t *p, size_t n)
{
    char *s = aegis_malloc(2 * n + 3);
    if (!s)
        return NULL;
    s[0] = '0';
    s[1] = 'x';
    aegis_hex_encode(s + 2, p, n);
    json_t *j = json_string(s);
    aegis_free(s);
    return j;
}

bool aegis_json_hex_exact(const json_t *v, uint8_t *out, size_t n)
{
    const char *s = json_string_value(v);
    if (!s || strncmp(s, "0x", 2) != 0 || json_string_length(v) != 2 + 2 * n)
        return false;
    return aegis_hex_decode_exact(s, out, n) == AEGIS_OK;
}

aegis_err aegis_json_hex_alloc(const json_t *v, size_t max, uint8_t **ret, size_t *ret_len)
{
    const char *s = json_string_value(v);
    size_t sl = json_string_length(v);
    if (!s || sl < 2 || strncmp(s, "0x", 2) != 0 || strlen(s) != sl || (sl - 2) % 2 != 0)
        return AEGIS_ERR_INVAL;   /* also refuses an embedded NUL */
    if ((sl - 2) / 2 > max)
        return AEGIS_ERR_TOO_BIG;
    if (sl == 2) {
        *ret = NULL;
        *ret_len = 0;
        return AEGIS_OK;
    }
    aegis_err err = aegis_hex_decode_alloc(s, max, ret, ret_len);
    return err == AEGIS_ERR_NOMEM ? err : err ? AEGIS_ERR_INVAL : AEGIS_OK;
}

bool aegis_json_uint(const json_t *v, uint64_t max, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

json_t *aegis_json_u64_new(uint64_t v)
{
    if (v <= AEGIS_JSON_MAX_SAFE)
        return json_integer((json_int_t)v);
    char b[24];
    snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
    return json_string(b);
}

bool aegis_json_u64(const json_t *v, uint64_t max, uint64_t *out)
{
    if (!json_is_string(v))
        return aegis_json_uint(v, max, out);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return false;
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || r > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return false;
        r = r * 10 + (uint64_t)(s[i] - '0');
    }
    if (r > max)
        return false;
    *out = r;
    return true;
}

aegis_err aegis_json_load_object(const char *text, size_t len, size_t max, json_t **ret)
{
    if (len > max)
        return AEGIS_ERR_TOO_BIG;
    json_error_t je;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return AEGIS_ERR_BAD_JSON;
    }
    *ret = o;
    return AEGIS_OK;
}

bool aegis_json_only_keys_n(const json_t *obj, const char *const *keys, size_t n)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(k, keys[i]) == 0;
        if (!found)
            return false;
    }
    return true;
}

bool aegis_json_only_keys(const json_t *obj, const char *const *keys)
{
    size_t n = 0;
    while (keys[n])
        n++;
    return aegis_json_only_keys_n(obj, keys, n);
}
