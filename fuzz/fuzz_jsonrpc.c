/* fuzz_jsonrpc.c - bytes as the body of POST / through the same request
 * path the daemon uses (aegis_rpc_handle_http: Content-Type, size limit,
 * JSON-RPC parsing, batches, dispatch, error replies), plus GET /metrics
 * and /healthz after it. The first byte picks a few HTTP-level variants.
 * Every reply must be valid JSON (or absent for notifications only). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/rpc.h"

static aegis_err f_echo(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    *ret = params ? json_incref(params) : json_null();
    return AEGIS_OK;
}

static aegis_err f_hex(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    const char *s = json_string_value(json_array_get(params, 0));
    uint8_t *b = NULL;
    size_t n = 0;
    if (!s) {
        *detail = "params[0] must be a hex string";
        return AEGIS_ERR_RPC_INVALID_PARAMS;
    }
    aegis_err err = aegis_hex_decode_alloc(s, 1024, &b, &n);
    if (err)
        return err;
    aegis_free(b);
    *ret = json_integer((json_int_t)n);
    return AEGIS_OK;
}

static const aegis_rpc_method methods[] = {
    { "f_echo", f_echo, "any", AEGIS_RPC_PUBLIC, "echo" },
    { "f_hex", f_hex, "[hex]", AEGIS_RPC_PUBLIC | AEGIS_RPC_WRITE, "hex length" },
    { "f_admin", f_echo, "any", AEGIS_RPC_ADMIN, "admin echo" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aegis_rpc_server *srv = NULL;
    aegis_rpc_opts o;
    aegis_rpc_opts_default(&o);
    o.max_body = 64 * 1024;
    o.max_batch = 16;
    if (aegis_rpc_server_new(&srv, &o) != AEGIS_OK)
        return 0;
    if (aegis_rpc_add_methods(srv, methods, AEGIS_ARRAY_LEN(methods), NULL) != AEGIS_OK)
        abort();
    (void)aegis_rpc_health_set(srv, "fuzz", AEGIS_HEALTH_OK, "");

    uint8_t mode = size ? data[0] : 0;
    const char *ct = (mode & 3) == 1 ? "text/plain" : (mode & 3) == 2 ? "application/json; charset=utf-8"
                                                                      : "application/json";
    bool loopback = (mode & 4) != 0;
    aegis_rpc_http_reply r;
    if (aegis_rpc_handle_http(srv, "POST", "/", ct, (const char *)data, size, false, loopback, &r) == AEGIS_OK) {
        if (r.body) {
            json_t *j = json_loadb(r.body, r.len, 0, NULL);
            if (!j)
                abort(); /* a reply must always be valid JSON */
            json_decref(j);
        } else if (r.status != 204) {
            abort();
        }
        aegis_rpc_http_reply_clear(&r);
    }
    if (aegis_rpc_handle_http(srv, "GET", "/metrics", NULL, NULL, 0, false, true, &r) == AEGIS_OK)
        aegis_rpc_http_reply_clear(&r);
    aegis_rpc_server_free(srv);
    return 0;
}
