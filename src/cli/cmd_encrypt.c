/* cmd_encrypt.c - `aegis encrypt --to PUB [FILE|-]`: seal an envelope to a
 * key set's public keys; envelope bytes on stdout. */
#include <stdio.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/keys.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis encrypt --to KEYSET.pub [FILE|-] > envelope\n\n"
               "Encrypt FILE (default stdin, at most 256 KiB) into a hybrid ML-KEM-1024 + X25519\n"
               "envelope (docs/internals/envelope.md) for the key set's epoch; binary on stdout.\n");
}

static int encrypt_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *to = NULL, *input = "-";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            to = argv[++i];
        else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)
            input = argv[i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!to) {
        usage(stderr);
        return 2;
    }
    uint8_t *pk = NULL, *pt = NULL, *env = NULL;
    size_t pkl = 0, n = 0, en = 0;
    const char *type = NULL;
    aegis_keyset_pub pub;
    aegis_envelope_pub ep;
    aegis_err err = aegis_keyfile_read(to, false, &type, &pk, &pkl);
    if (err == AEGIS_OK && strcmp(type, "keyset") != 0)
        err = AEGIS_ERR_KEYS_WRONG_TYPE;
    if (err == AEGIS_OK)
        err = aegis_keyset_pub_decode(&pub, pk, pkl);
    if (err == AEGIS_OK)
        err = aegis_file_read(strcmp(input, "-") == 0 ? "/dev/stdin" : input, AEGIS_ENVELOPE_MAX_PLAINTEXT,
                              &pt, &n);
    if (err == AEGIS_ERR_TOO_BIG)
        err = AEGIS_ERR_ENV_TOO_BIG;
    if (err == AEGIS_OK) {
        aegis_keyset_pub_envelope(&ep, &pub);
        env = aegis_malloc(aegis_envelope_sealed_size(n));
        err = env ? aegis_envelope_seal(env, aegis_envelope_sealed_size(n), &en, &ep, pt, n) : AEGIS_ERR_NOMEM;
    }
    if (err == AEGIS_OK && (fwrite(env, 1, en, stdout) != en || fflush(stdout) != 0))
        err = AEGIS_ERR_IO;
    if (err != AEGIS_OK)
        fprintf(stderr, "aegis encrypt: %s (%s)\n", aegis_strerror(err), aegis_err_name(err));
    aegis_free(pk);
    aegis_free_secret(pt, n);
    aegis_free(env);
    return err == AEGIS_OK ? 0 : 1;
}

const struct aegis_cli_cmd aegis_cli_cmd_encrypt = { "encrypt", encrypt_main,
                                                     "encrypt stdin to a key set (hybrid PQ envelope)" };
