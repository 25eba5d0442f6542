/*
 * cmd_ethtx.c - `aegis ethtx FILE.jsonl... [--chain-id N] [-v]`: run the
 * Ethereum transaction vector format (tests/vectors/ethtx/README.md).
 *
 * A valid row must decode, with the given hash and sender (and intrinsic
 * gas); an invalid row must be rejected. Exception names are not matched:
 * upstream names are the filling client's, not a checking order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aegis/cli.h"
#include "aegis/tx.h"
#include "aegis/util.h"

#define LINE_MAX_BYTES (1u << 20)

typedef struct run_opts {
    aegis_tx_config cfg;
    int verbose;
    size_t passed, failed;
} run_opts;

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis ethtx FILE.jsonl... [--chain-id N] [--require-eip155] [-v]\n\n"
               "Run Ethereum transaction vectors (one JSON object per line: txbytes, valid,\n"
               "hash, sender, intrinsicGas). Prints 'N passed, M failed'; exits 1 on failure.\n"
               "  --chain-id N       chain id to validate against (default 1, as upstream)\n"
               "  --require-eip155   reject pre-EIP-155 legacy transactions\n"
               "  -v, --verbose      one line per row\n");
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Compare our bytes with a 0x-hex field; returns 1 when equal. */
static int hex_eq(const char *want, const uint8_t *got, size_t n)
{
    char buf[2 * 32 + 1];
    if (!want || n > 32)
        return 0;
    aegis_hex_encode(buf, got, n);
    if (want[0] == '0' && (want[1] == 'x' || want[1] == 'X'))
        want += 2;
    return strcasecmp(want, buf) == 0;
}

/* One row: returns 1 pass, 0 fail, and a static reason on failure. */
static int run_row(run_opts *o, json_t *row, const char **why, const char **detail)
{
    const char *txhex = jstr(row, "txbytes");
    json_t *valid = json_object_get(row, "valid");
    uint8_t *tx_bytes = NULL;
    size_t n = 0;
    aegis_tx tx;
    *detail = "";
    if (!txhex || !json_is_boolean(valid)) {
        *why = "row lacks txbytes or valid";
        return 0;
    }
    aegis_err err = aegis_hex_decode_alloc(txhex, LINE_MAX_BYTES, &tx_bytes, &n);
    if (err) {
        /* Unparseable hex can only be an invalid transaction. */
        *why = json_is_true(valid) ? "txbytes is not hex" : "rejected (bad hex)";
        return !json_is_true(valid);
    }
    const char *msg = NULL;
    err = aegis_tx_decode(&o->cfg, tx_bytes, n, &tx, &msg);
    aegis_free(tx_bytes);
    if (!json_is_true(valid)) {
        if (err == AEGIS_OK) {
            *why = "accepted an invalid transaction";
            return 0;
        }
        *why = aegis_err_name(err);
        *detail = msg ? msg : "";
        return 1;
    }
    if (err) {
        *why = aegis_err_name(err);
        *detail = msg ? msg : "";
        return 0;
    }
    if (!hex_eq(jstr(row, "hash"), tx.hash, 32)) {
        *why = "hash differs";
        return 0;
    }
    if (!hex_eq(jstr(row, "sender"), tx.sender, 20)) {
        *why = "sender differs";
        return 0;
    }
    const char *ig = jstr(row, "intrinsicGas");
    if (ig) {
        char *end = NULL;
        errno = 0;
        unsigned long long want = strtoull(ig, &end, 16);
        if (errno || !end || *end || want != tx.intrinsic_gas) {
            *why = "intrinsic gas differs";
            return 0;
        }
    }
    *why = "ok";
    return 1;
}

static int run_file(run_opts *o, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "aegis ethtx: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    size_t lineno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len <= 1)
            continue;
        json_error_t jerr;
        json_t *row = json_loads(line, 0, &jerr);
        const char *why = "not a JSON object", *detail = "";
        int ok = 0;
        if (row && json_is_object(row))
            ok = run_row(o, row, &why, &detail);
        const char *name = row ? jstr(row, "name") : NULL;
        const char *src = row ? jstr(row, "source") : NULL;
        if (ok)
            o->passed++;
        else
            o->failed++;
        const char *exc = row ? jstr(row, "exception") : NULL;
        if (o->verbose || !ok)
            printf("%s %s:%zu %s (%s): %s%s%s%s%s\n", ok ? "PASS" : "FAIL", path, lineno,
                   name ? name : "?", src ? src : "?", why ? why : "?", *detail ? ": " : "", detail,
                   exc ? " | upstream " : "", exc ? exc : "");
        json_decref(row);
    }
    free(line);
    fclose(f);
    return 0;
}

static int ethtx_main(int argc, char **argv)
{
    run_opts o;
    memset(&o, 0, sizeof(o));
    aegis_tx_config_default(&o.cfg);
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *files[64];
    size_t nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--chain-id") == 0 && i + 1 < argc) {
            char *end = NULL;
            errno = 0;
            o.cfg.chain_id = strtoull(argv[++i], &end, 0);
            if (errno || !end || *end || argv[i][0] == '-') {
                fprintf(stderr, "aegis ethtx: bad --chain-id '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--require-eip155") == 0) {
            o.cfg.require_eip155 = true;
        } else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
            o.verbose = 1;
        } else if (argv[i][0] == '-' || nfiles == AEGIS_ARRAY_LEN(files)) {
            usage(stderr);
            return 2;
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (nfiles == 0) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < nfiles; i++)
        if (run_file(&o, files[i]) != 0)
            return 1;
    printf("%zu passed, %zu failed\n", o.passed, o.failed);
    return o.failed == 0 && o.passed > 0 ? 0 : 1;
}

const struct aegis_cli_cmd aegis_cli_cmd_ethtx = {
    "ethtx", ethtx_main, "run Ethereum transaction test vectors (JSONL)"
};
