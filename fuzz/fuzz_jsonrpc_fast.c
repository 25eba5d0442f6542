/* fuzz_jsonrpc_fast.c - the string fast path (src/rpc/fastpath.c) against
 * the general JSON-RPC path, differentially:
 *   - whenever the scanner accepts a body, jansson (with the server's own
 *     flags) parses it to exactly the scanned values: a single object with
 *     jsonrpc "2.0", the same id, method and one-string params, nothing else;
 *   - two servers with the same method, one with a string fast path and one
 *     without, give byte-identical replies to every body (results, errors,
 *     batches, notifications). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/rpc.h"
#include "../src/rpc/rpc_int.h"

/* The method's answer depends on the string: its length and hex value, or
 * an error with a detail when it is not hex. */
static aegis_err answer(const char *s, size_t n, json_t **ret, const char **detail)
{
    uint8_t *b = NULL;
    size_t len = 0;
    aegis_err err = aegis_hex_decode_allocn(s, n, 512, &b, &len);
    if (err) {
        *detail = err == AEGIS_ERR_TOO_BIG ? "too big" : "not hex";
        return err;
    }
    *ret = json_pack("{s:I, s:s%}", "bytes", (json_int_t)len, "text", s, n);
    aegis_free(b);
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static aegis_err f_tree(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    (void)call;
    const char *s = json_string_value(json_array_get(params, 0));
    if (!json_is_array(params) || json_array_size(params) != 1 || !s) {
        *detail = "params must be [string]";
        return AEGIS_ERR_RPC_INVALID_PARAMS;
    }
    return answer(s, strlen(s), ret, detail);
}

static aegis_err f_str(const aegis_rpc_call *call, const char *s, size_t n, json_t **ret, const char **detail)
{
    (void)call;
    if (memchr(s, '\0', n))
        abort();   /* the scanner never hands over a NUL */
    return answer(s, n, ret, detail);
}

static const aegis_rpc_method methods[] = {
    { "f_hex", f_tree, "[hex]", AEGIS_RPC_PUBLIC | AEGIS_RPC_WRITE, "hex" },
    { "f_admin", f_tree, "[hex]", AEGIS_RPC_ADMIN, "admin hex" },
};

static aegis_rpc_server *server(bool fast)
{
    aegis_rpc_server *srv = NULL;
    aegis_rpc_opts o;
    aegis_rpc_opts_default(&o);
    o.max_batch = 16;
    if (aegis_rpc_server_new(&srv, &o) != AEGIS_OK)
        abort();
    if (aegis_rpc_add_methods(srv, methods, AEGIS_ARRAY_LEN(methods), NULL) != AEGIS_OK)
        abort();
    if (fast && (aegis_rpc_set_str_handler(srv, "f_hex", f_str) != AEGIS_OK ||
                 aegis_rpc_set_str_handler(srv, "f_admin", f_str) != AEGIS_OK))
        abort();
    return srv;
}

static void check_scan(const uint8_t *data, size_t size)
{
    struct aegis__rpc_fast f;
    if (!aegis__rpc_fast_parse((const char *)data, size, &f))
        return;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j) || json_object_size(j) != 4)
        abort();
    json_t *v = json_object_get(j, "jsonrpc"), *m = json_object_get(j, "method"), *p = json_object_get(j, "params");
    json_t *id = json_object_get(j, "id"), *s = json_array_get(p, 0);
    if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0 || json_string_length(v) != 3)
        abort();
    if (!json_is_string(m) || json_string_length(m) != f.method_len ||
        memcmp(json_string_value(m), f.method, f.method_len) != 0)
        abort();
    if (!json_is_array(p) || json_array_size(p) != 1 || !json_is_string(s) || json_string_length(s) != f.str_len ||
        memcmp(json_string_value(s), f.str, f.str_len) != 0)
        abort();
    if (f.id_kind == AEGIS__RPC_ID_NULL) {
        if (!json_is_null(id))
            abort();
    } else if (f.id_kind == AEGIS__RPC_ID_STRING) {
        if (!json_is_string(id) || json_string_length(id) != f.id_len || memcmp(json_string_value(id), f.id, f.id_len))
            abort();
    } else {
        char num[24];
        memcpy(num, f.id, f.id_len);
        num[f.id_len] = '\0';
        if (!json_is_integer(id) || json_integer_value(id) != strtoll(num, NULL, 10))
            abort();
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_scan(data, size);
    static aegis_rpc_server *fast, *slow;
    if (!fast) {
        fast = server(true);
        slow = server(false);
    }
    bool loopback = size && (data[size - 1] & 1);
    char *a = NULL, *b = NULL;
    size_t an = 0, bn = 0;
    aegis_err ea = aegis_rpc_handle_body(fast, (const char *)data, size, loopback, &a, &an);
    aegis_err eb = aegis_rpc_handle_body(slow, (const char *)data, size, loopback, &b, &bn);
    if (ea != eb || an != bn || (an && memcmp(a, b, an) != 0))
        abort();
    aegis_free(a);
    aegis_free(b);
    return 0;
}
