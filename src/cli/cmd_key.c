/*
 * cmd_key.c - `aegis key fetch`: the node's current key set (or an epoch's)
 * fetched with libaegis-client, its attestation checked (sim quotes only
 * with --allow-sim), written in the form `aegis encrypt --to` takes.
 */
#include <stdio.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/keys.h"
#include "cli_chain.h"
#include "cli_rpc.h"

#define PROG "aegis key fetch"

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegis key fetch [--rpc URL] --out FILE.pub [--epoch N] [--json FILE] [--allow-sim]\n\n"
        "Fetch the node's key set (aegis_getEncryptionKey, or aegis_getKeySet for --epoch),\n"
        "check every field against its encoding and its attestation (key-binding mode, report\n"
        "data = \"AEGIS-KEYSET-V1\" || SHA-256(encoding)), and write it as 'keyset <hex>' for\n"
        "'aegis encrypt --to FILE.pub'. --json also keeps the published JSON (with the quote).\n"
        "  --allow-sim   accept a simulated (insecure) TEE attestation - development only\n"
        "Exit: 0 written, 1 not fetched or not acceptable, 2 usage.\n");
}

static int fetch_main(const char *url, int argc, char **argv)
{
    const char *out = NULL, *json_out = NULL;
    uint64_t epoch = 0;
    bool allow_sim = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--allow-sim") == 0) {
            allow_sim = true;
        } else if (strcmp(a, "--out") == 0 && v) {
            out = v, i++;
        } else if (strcmp(a, "--json") == 0 && v) {
            json_out = v, i++;
        } else if (strcmp(a, "--epoch") == 0 && v) {
            if (aegis_cli_parse_u64(v, &epoch) || epoch == 0) {
                fprintf(stderr, PROG ": bad --epoch '%s'\n", v);
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, PROG ": unknown or incomplete option '%s' (try --help)\n", a);
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, PROG ": --out FILE.pub is required\n");
        return 2;
    }
    aegis_client_keyset ks;
    json_t *j = NULL;
    if (aegis_cli_keyset_fetch(PROG, url, epoch, allow_sim, &ks, &j) != 0)
        return 1;
    int rc = 1;
    uint8_t enc[AEGIS_KEYSET_PUB_BYTES];
    aegis_keyset_pub_encode(enc, &ks.pub);
    aegis_err err = aegis_keyfile_write(out, "keyset", enc, sizeof(enc), false);
    if (err) {
        fprintf(stderr, PROG ": %s: %s (%s)\n", out, aegis_strerror(err), aegis_err_name(err));
        goto done;
    }
    if (json_out && json_dump_file(j, json_out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
        fprintf(stderr, PROG ": cannot write %s\n", json_out);
        goto done;
    }
    char *h = aegis_client_hex(ks.hash, 32);
    printf("key set epoch %llu sha256 %s attested by %s%s -> %s\n", (unsigned long long)ks.pub.epoch,
           h ? h : "?", ks.att.backend, ks.att.insecure ? " (INSECURE simulated TEE)" : "", out);
    aegis_free(h);
    rc = 0;
done:
    json_decref(j);
    aegis_client_keyset_clear(&ks);
    return rc;
}

static int key_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *url = aegis_cli_rpc_url(&argc, argv);
    if (argc < 2 || strcmp(argv[1], "fetch") != 0) {
        usage(stderr);
        return 2;
    }
    return fetch_main(url, argc, argv);
}

const struct aegis_cli_cmd aegis_cli_cmd_key = { "key", key_main,
                                                 "key fetch: the node's attested key set, for aegis encrypt" };
