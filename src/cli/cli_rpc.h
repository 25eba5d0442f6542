/*
 * cli_rpc.h - shared helper for CLI commands that talk JSON-RPC to aegisd.
 *
 *   const char *url = aegis_cli_rpc_url(&argc, argv);   // consumes --rpc URL
 *   json_t *res;
 *   if (aegis_cli_rpc_call(url, "aegis_status", NULL, &res) != 0) return 1;
 *
 * Errors (connection, HTTP, JSON-RPC error objects) are printed to stderr
 * as "aegis: ..." lines by the helper itself.
 */
#ifndef AEGIS_CLI_RPC_H
#define AEGIS_CLI_RPC_H

#include <jansson.h>

#define AEGIS_CLI_RPC_DEFAULT_URL "http://127.0.0.1:8545"

/* The URL from --rpc URL / --rpc=URL (removed from argv, argc updated),
 * else $AEGIS_RPC, else the default. */
const char *aegis_cli_rpc_url(int *argc, char **argv);

/* Call method with params (borrowed; NULL = []). On success returns 0 and
 * *ret_result gets a new reference. On failure prints the error and
 * returns 1; *ret_error_code gets the JSON-RPC error code if the server
 * answered with one (pass NULL if not needed). */
int aegis_cli_rpc_call(const char *url, const char *method, json_t *params, json_t **ret_result,
                       int *ret_error_code);

#endif
