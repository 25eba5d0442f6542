/* cmd_decrypt.c - `aegis decrypt --key KEYSET.key [FILE|-]`: open an
 * envelope with a sealed key set; plaintext on stdout, nothing on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/keys.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis decrypt --key KEYSET.key [--data-dir DIR] [--tee NAME] [FILE|-] > plaintext\n\n"
               "Open an envelope made by aegis encrypt with a sealed key set (unsealed by the TEE\n"
               "backend: default sim, INSECURE, with $AEGIS_DATA_DIR or ./var). No output on failure.\n");
}

static int decrypt_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *key = NULL, *input = "-", *tee_name = "sim";
    const char *data_dir = getenv("AEGIS_DATA_DIR") ? getenv("AEGIS_DATA_DIR") : "var";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            key = argv[++i];
        else if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc)
            data_dir = argv[++i];
        else if (strcmp(argv[i], "--tee") == 0 && i + 1 < argc)
            tee_name = argv[++i];
        else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)
            input = argv[i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!key) {
        usage(stderr);
        return 2;
    }
    uint8_t *env = NULL, *pt = NULL;
    size_t en = 0, n = 0, cap = 0;
    aegis_tee *tee = NULL;
    aegis_keyset *ks = NULL;
    aegis_tee_option o[] = { { "data_dir", data_dir } };
    aegis_err err = aegis_tee_open(tee_name, o, 1, &tee);
    if (err == AEGIS_OK && aegis_tee_is_insecure(tee))
        fprintf(stderr, "aegis decrypt: WARNING: key set unsealed by the INSECURE '%s' TEE backend\n", tee_name);
    if (err == AEGIS_OK)
        err = aegis_keyset_load(tee, key, &ks);
    if (err == AEGIS_OK)
        err = aegis_file_read(strcmp(input, "-") == 0 ? "/dev/stdin" : input, AEGIS_ENVELOPE_MAX_BYTES + 1,
                              &env, &en);
    if (err == AEGIS_ERR_TOO_BIG)
        err = AEGIS_ERR_ENV_TOO_BIG;
    if (err == AEGIS_OK) {
        cap = en > AEGIS_ENVELOPE_OVERHEAD ? en - AEGIS_ENVELOPE_OVERHEAD : 1;
        pt = aegis_malloc(cap);
        err = pt ? aegis_keyset_open_envelope(ks, pt, cap, &n, env, en) : AEGIS_ERR_NOMEM;
    }
    if (err == AEGIS_OK && (fwrite(pt, 1, n, stdout) != n || fflush(stdout) != 0))
        err = AEGIS_ERR_IO;
    if (err != AEGIS_OK)
        fprintf(stderr, "aegis decrypt: %s (%s)\n", aegis_strerror(err), aegis_err_name(err));
    aegis_free_secret(pt, cap);
    aegis_free(env);
    aegis_keyset_free(ks);
    aegis_tee_free(tee);
    return err == AEGIS_OK ? 0 : 1;
}

const struct aegis_cli_cmd aegis_cli_cmd_decrypt = { "decrypt", decrypt_main,
                                                     "decrypt an envelope with a sealed key set" };
