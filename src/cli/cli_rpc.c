/* cli_rpc.c - JSON-RPC for CLI commands: libaegis-client's call, errors printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/client.h"
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
    aegis_client_rpc_err e;
    int rc = aegis_client_call(url, method, params, CLI_RPC_TIMEOUT_MS, ret_result, &e);
    if (rc == 0)
        return 0;
    if (rc == 1) {
        if (ret_error_code)
            *ret_error_code = e.code;
        fprintf(stderr, "aegis: %s failed: %s (code %d%s%s)\n", method, e.message, e.code, e.name[0] ? ", " : "",
                e.name);
        /* an aegis_* method unknown, and no Aegis error name: another kind of node */
        if (e.code == -32601 && strncmp(method, "aegis_", 6) == 0 && !e.name[0])
            fprintf(stderr, "aegis: %s does not look like an Aegis node: it has no %s (an Ethereum "
                            "client or another JSON-RPC service? check --rpc / $AEGIS_RPC)\n", url, method);
    } else if (strncmp(e.message, "HTTP ", 5) == 0) {
        fprintf(stderr, "aegis: %s: %s: this does not look like an Aegis node (check --rpc / $AEGIS_RPC)\n", url,
                e.message);
    } else {
        fprintf(stderr, "aegis: %s\n", e.message);
    }
    return 1;
}
