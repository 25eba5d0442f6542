/*
 * cli_chain.h - the CLI's printing wrappers around libaegis-client
 * (aegis/client.h): errors go to stderr as "<prog>: ..." lines.
 */
#ifndef AEGIS_CLI_CHAIN_H
#define AEGIS_CLI_CHAIN_H

#include "aegis/client.h"

/* "<prog>: <method>: <message> (NAME, code N)" on stderr. */
void aegis_cli_print_rpc_err(const char *prog, const char *method, const aegis_client_rpc_err *err);

/* aegis_client_keyset_fetch; returns 0, or 1 with a message printed. */
int aegis_cli_keyset_fetch(const char *prog, const char *url, uint64_t epoch, bool allow_sim,
                           aegis_client_keyset *ret, json_t **ret_json);

/* Parse a uint64 (decimal or 0x-hex); -1 on error. */
int aegis_cli_parse_u64(const char *s, uint64_t *out);

#endif
