/* cli_rpc.c - JSON-RPC over the aegis HTTP client, for CLI commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/http.h"
#include "cli_rpc.h"

#define CLI_RPC_TIMEOUT_MS 30000

const char *aegis_cli_rpc_url(int *argc, char **argv)
{
    const char *url = NULL;
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--rpc") == 0) {
            /* A missing value leaves "" so the call fails with a clear URL error. */
            url = i + 1 < *argc ? argv[++i] : "";
            continue;
        }
        if (strncmp(argv[i], "--rpc=", 6) == 0) {
            url = argv[i] + 6;
            continue;
        }
        argv[out++] = argv[i];
    }
    *argc = out;
    argv[out] = NULL;
    if (!url)
        url = getenv("AEGIS_RPC");
    return url ? url : AEGIS_CLI_RPC_DEFAULT_URL;
}

int aegis_cli_rpc_call(const char *url, const char *method, json_t *params, json_t **ret_result,
                       int *ret_error_code)
{
    int rc = 1;
    char *body = NULL;
    json_t *reply = NULL;
    aegis_http_response resp = { 0 };
    json_t *req = params ? json_pack("{s:s, s:i, s:s, s:O}", "jsonrpc", "2.0", "id", 1, "method",
                                     method, "params", params)
                         : json_pack("{s:s, s:i, s:s, s:[]}", "jsonrpc", "2.0", "id", 1, "method",
                                     method, "params");
    if (!req || !(body = json_dumps(req, JSON_COMPACT))) {
        fprintf(stderr, "aegis: out of memory\n");
        goto out;
    }
    aegis_err err = aegis_http_post_json(url, body, strlen(body), CLI_RPC_TIMEOUT_MS, &resp);
    if (err) {
        fprintf(stderr, "aegis: %s: %s (%s)\n", url, aegis_strerror(err), aegis_err_name(err));
        goto out;
    }
    json_error_t jerr;
    reply = json_loadb(resp.body, resp.len, 0, &jerr);
    if (!json_is_object(reply)) {
        fprintf(stderr, "aegis: %s: HTTP %d with a non-JSON-RPC body: this does not look like an Aegis node "
                        "(check --rpc / $AEGIS_RPC)\n", url, resp.status);
        goto out;
    }
    json_t *e = json_object_get(reply, "error");
    if (e) {
        json_t *data = json_object_get(e, "data");
        const char *name = json_string_value(json_object_get(data, "name"));
        int code = (int)json_integer_value(json_object_get(e, "code"));
        if (ret_error_code)
            *ret_error_code = code;
        fprintf(stderr, "aegis: %s failed: %s (code %d%s%s)\n", method,
                json_string_value(json_object_get(e, "message")) ?: "error", code,
                name ? ", " : "", name ? name : "");
        /* an aegis_* method unknown, and no Aegis error name: another kind of node */
        if (code == -32601 && strncmp(method, "aegis_", 6) == 0 && !name)
            fprintf(stderr, "aegis: %s does not look like an Aegis node: it has no %s (an Ethereum "
                            "client or another JSON-RPC service? check --rpc / $AEGIS_RPC)\n", url, method);
        goto out;
    }
    json_t *res = json_object_get(reply, "result");
    if (!res) {
        fprintf(stderr, "aegis: %s: reply has neither result nor error\n", url);
        goto out;
    }
    *ret_result = json_incref(res);
    rc = 0;
out:
    json_decref(reply);
    aegis_http_response_clear(&resp);
    free(body);
    json_decref(req);
    return rc;
}
