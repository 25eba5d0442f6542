/*
 * cmd_batch.c - `aegis batch get N|0xHASH [--out FILE]`: export one
 * published batch as JSON for offline verification. The export is the
 * batch as published (include/aegis/chain.h) plus, so that `aegis verify
 * FILE` needs nothing else, the key set of its epoch under "keyset" and
 * its SLH-DSA epoch seal under "seal_record" (once sealed).
 * Nothing is verified here: the export is what the node says, verbatim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cli.h"
#include "cli_chain.h"
#include "cli_rpc.h"

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegis batch get N|0xHASH [--rpc URL] [--out FILE]\n\n"
        "Export a published batch as JSON (with its key set and seal record embedded)\n"
        "for 'aegis verify FILE'.\n"
        "  --rpc URL   node endpoint (default $AEGIS_RPC or %s)\n"
        "  --out FILE  write there (atomically) instead of stdout\n", AEGIS_CLI_RPC_DEFAULT_URL);
}

static json_t *call(const char *url, const char *method, json_t *params)
{
    json_t *res = NULL;
    aegis_client_rpc_err e;
    int rc = aegis_client_call(url, method, params, 30000, &res, &e);
    json_decref(params);
    if (rc != 0) {
        aegis_cli_print_rpc_err("aegis batch", method, &e);
        return NULL;
    }
    return res;
}

static int batch_get(const char *url, const char *which, const char *out)
{
    uint64_t number = 0;
    json_t *params;
    if (strncmp(which, "0x", 2) == 0 && strlen(which) == 66) {
        params = json_pack("[s]", which);
    } else if (aegis_cli_parse_u64(which, &number) == 0 && number > 0) {
        params = json_pack("[I]", (json_int_t)number);
    } else {
        fprintf(stderr, "aegis batch get: '%s' is neither a batch number nor a 0x batch hash\n", which);
        return 2;
    }
    int rc = 1;
    char *text = NULL;
    json_t *b = call(url, "aegis_getBatch", params), *ks = NULL, *seal = NULL;
    if (!b)
        goto out;
    if (!json_is_object(b)) {
        fprintf(stderr, "aegis batch get: no such batch: %s\n", which);
        goto out;
    }
    json_int_t epoch = json_integer_value(json_object_get(json_object_get(b, "header"), "key_epoch"));
    if (epoch <= 0) {
        fprintf(stderr, "aegis batch get: the batch has no header.key_epoch\n");
        goto out;
    }
    if (!(ks = call(url, "aegis_getKeySet", json_pack("[I]", epoch))))
        goto out;
    json_object_set(b, "keyset", ks);
    json_t *sref = json_object_get(b, "seal");
    if (sref) {
        json_int_t sn = json_integer_value(json_object_get(sref, "number"));
        if (!(seal = call(url, "aegis_getSeal", json_pack("[I]", sn))))
            goto out;
        json_object_set(b, "seal_record", seal);
    }
    text = json_dumps(b, JSON_INDENT(2));
    if (!text) {
        fprintf(stderr, "aegis batch get: out of memory\n");
        goto out;
    }
    if (out) {
        aegis_err err = aegis_file_write_atomic(out, text, strlen(text), 0644);
        if (err) {
            fprintf(stderr, "aegis batch get: %s: %s\n", out, aegis_strerror(err));
            goto out;
        }
    } else {
        puts(text);
    }
    rc = 0;
out:
    free(text);
    json_decref(seal);
    json_decref(ks);
    json_decref(b);
    return rc;
}

static int batch_main(int argc, char **argv)
{
    if (argc < 2 || aegis_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *url = aegis_cli_rpc_url(&argc, argv);
    if (argc < 2) {   /* only --rpc was given */
        usage(stderr);
        return 2;
    }
    const char *which = NULL, *out = NULL;
    if (strcmp(argv[1], "get") != 0) {
        fprintf(stderr, "aegis batch: unknown subcommand '%s' (try --help)\n", argv[1]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] != '-' && !which) {
            which = argv[i];
        } else {
            fprintf(stderr, "aegis batch get: unknown or incomplete option '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!which) {
        fprintf(stderr, "aegis batch get: which batch? (N or 0xHASH)\n");
        return 2;
    }
    return batch_get(url, which, out);
}

const struct aegis_cli_cmd aegis_cli_cmd_batch = {
    "batch", batch_main, "export a published batch as JSON for offline verify (batch get N|0xHASH)"
};
