/* cmd_audit.c - `aegis audit verify (--rpc URL | FILE)`: check the asset
 * registry's hash-chained audit log (format: docs/internals/assets.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/assets.h"
#include "aegis/cli.h"
#include "cli_rpc.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis audit verify (--rpc URL | FILE|-) [--admin-pub FILE]... [--head 0xHASH]\n\n"
               "Verify the audit log of the asset registry: canonical records, record hashes,\n"
               "the chain (no record removed, inserted or reordered), and with --admin-pub the\n"
               "ML-DSA-87 signature of every admin record. --rpc fetches the log and its head with\n"
               "aegis_getAuditLog and checks the last record against the head; --head does the\n"
               "same for a file. Exit 0 when the log verifies, 1 otherwise.\n");
}

static int fail(const char *what, aegis_err err, size_t line, const char *msg)
{
    fprintf(stderr, "aegis audit: %s: %s (%s)", what, aegis_strerror(err), aegis_err_name(err));
    if (line)
        fprintf(stderr, " at record %zu", line);
    if (msg)
        fprintf(stderr, ": %s", msg);
    fputc('\n', stderr);
    return 1;
}

/* aegis_getAuditLog result {"records":[line...],"head":{"seq":N,"hash":"0x.."}}
 * -> JSON lines and the head hash. */
static int fetch(const char *url, aegis_buf *text, uint8_t head[32], int *have_head)
{
    json_t *res = NULL;
    if (aegis_cli_rpc_call(url, "aegis_getAuditLog", NULL, &res, NULL) != 0)
        return 1;
    json_t *recs = json_object_get(res, "records");
    int rc = 1;
    if (!json_is_array(recs)) {
        fprintf(stderr, "aegis audit: aegis_getAuditLog: no records array in the reply\n");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(recs); i++) {
        const char *l = json_string_value(json_array_get(recs, i));
        if (!l || aegis_buf_append(text, l, strlen(l)) || aegis_buf_append(text, "\n", 1)) {
            fprintf(stderr, "aegis audit: record %zu is not a string\n", i + 1);
            goto out;
        }
    }
    const char *h = json_string_value(json_object_get(json_object_get(res, "head"), "hash"));
    if (h && aegis_hex_decode_exact(h, head, 32) == AEGIS_OK)
        *have_head = 1;
    rc = 0;
out:
    json_decref(res);
    return rc;
}

static int audit_main(int argc, char **argv)
{
    if (argc < 2 || aegis_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    int rpc = 0;
    for (int i = 1; i < argc; i++)
        rpc |= strncmp(argv[i], "--rpc", 5) == 0;
    const char *url = aegis_cli_rpc_url(&argc, argv);
    if (argc < 2) {   /* only --rpc was given */
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "verify") != 0) {
        fprintf(stderr, "aegis audit: unknown subcommand '%s' (try --help)\n", argv[1]);
        return 2;
    }
    const char *file = NULL;
    const char *pubs[64];
    size_t n_pubs = 0;
    uint8_t head[32];
    int have_head = 0, rc = 1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--admin-pub") == 0 && i + 1 < argc && n_pubs < 64) {
            pubs[n_pubs++] = argv[++i];
        } else if (strcmp(argv[i], "--head") == 0 && i + 1 < argc) {
            if (aegis_hex_decode_exact(argv[++i], head, 32) != AEGIS_OK) {
                fprintf(stderr, "aegis audit: --head takes 32 bytes of hex\n");
                return 2;
            }
            have_head = 1;
        } else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
            file = argv[i];
        } else {
            fprintf(stderr, "aegis audit: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (!file == !rpc) {
        fprintf(stderr, "aegis audit verify: give exactly one of --rpc URL or FILE\n");
        return 2;
    }
    aegis_buf text;
    aegis_buf_init(&text, (size_t)1 << 32);
    aegis_assets_admin *adm = NULL;
    aegis_err err;
    if (n_pubs) {
        if ((err = aegis_assets_admin_new(0, &adm)) != AEGIS_OK ||
            (err = aegis_assets_admin_load_keys(adm, pubs, n_pubs)) != AEGIS_OK) {
            rc = fail("admin public keys", err, 0, NULL);
            goto out;
        }
    }
    if (rpc) {
        if (fetch(url, &text, head, &have_head) != 0)
            goto out;
    } else {
        uint8_t *data = NULL;
        size_t n = 0;
        if (strcmp(file, "-") == 0) {
            char chunk[65536];
            size_t r;
            while ((r = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
                if (aegis_buf_append(&text, chunk, r) != AEGIS_OK)
                    break;
        } else if ((err = aegis_file_read(file, (size_t)1 << 32, &data, &n)) != AEGIS_OK) {
            rc = fail(file, err, 0, NULL);
            goto out;
        } else {
            err = aegis_buf_append(&text, data, n);
            aegis_free(data);
            if (err != AEGIS_OK) {
                rc = fail(file, err, 0, NULL);
                goto out;
            }
        }
    }
    uint64_t count = 0;
    size_t bad = 0;
    const char *msg = NULL;
    err = aegis_audit_verify((const char *)text.data, text.len, adm, have_head ? head : NULL, &count, &bad, &msg);
    if (err != AEGIS_OK) {
        rc = fail("verification failed", err, bad, msg);
        goto out;
    }
    printf("audit log OK: %llu records%s%s\n", (unsigned long long)count,
           adm ? ", admin signatures verified" : ", signatures not checked (no --admin-pub)",
           have_head ? ", head matches" : "");
    rc = 0;
out:
    aegis_assets_admin_free(adm);
    aegis_buf_clear(&text);
    return rc;
}

const struct aegis_cli_cmd aegis_cli_cmd_audit = { "audit", audit_main,
                                                   "verify the asset registry's audit log (verify --rpc URL | FILE)" };
