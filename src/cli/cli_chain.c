/* cli_chain.c - the CLI's printing wrappers around libaegis-client. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_chain.h"

void aegis_cli_print_rpc_err(const char *prog, const char *method, const aegis_client_rpc_err *err)
{
    if (err->code == 0)
        fprintf(stderr, "%s: %s: %s\n", prog, method, err->message);
    else
        fprintf(stderr, "%s: %s: %s (%s%scode %d)\n", prog, method, err->message, err->name,
                err->name[0] ? ", " : "", err->code);
}

int aegis_cli_parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !end || *end)
        return -1;
    *out = v;
    return 0;
}

int aegis_cli_keyset_fetch(const char *prog, const char *url, uint64_t epoch, bool allow_sim,
                           aegis_client_keyset *ret, json_t **ret_json)
{
    aegis_client_rpc_err e;
    const char *why = NULL;
    memset(&e, 0, sizeof(e));
    aegis_err err = aegis_client_keyset_fetch(url, epoch, allow_sim, 30000, ret, ret_json, &e, &why);
    if (err == AEGIS_ERR_RPC_REMOTE || err == AEGIS_ERR_RPC_CONNECT) {
        aegis_cli_print_rpc_err(prog, epoch ? "aegis_getKeySet" : "aegis_getEncryptionKey", &e);
        return 1;
    }
    if (err) {
        fprintf(stderr, "%s: the node's key set%s is not acceptable: %s (%s)\n", prog,
                epoch ? " for that epoch" : "", why ? why : aegis_strerror(err), aegis_err_name(err));
        return 1;
    }
    return 0;
}
