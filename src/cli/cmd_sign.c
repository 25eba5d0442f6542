/* cmd_sign.c - `aegis sign --key K [--ctx C] [--alg A] FILE|-`: print
 * "<alg> <hex signature>" lines. ML-DSA-87 / SLH-DSA sign the message (pure,
 * hedged, context C); secp256k1 signs keccak256(message). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/keys.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis sign --key KEY [--ctx CTX] [--alg ALG] [--data-dir DIR] [--tee NAME] FILE|-\n\n"
               "Sign FILE (or stdin) and print one line \"<alg> <hex signature>\" per algorithm.\n"
               "  --key       a secret key file from aegis keygen (single key, or a sealed key set)\n"
               "  --ctx       FIPS 204/205 context string (at most 255 bytes; default empty)\n"
               "  --alg       for a key set: ml-dsa-87 | slh-dsa-sha2-256s | secp256k1 | all (default all)\n"
               "  --data-dir, --tee   TEE that unseals a key set (default $AEGIS_DATA_DIR or ./var, sim)\n"
               "secp256k1 signs keccak256(message): r || s || recid, 65 bytes.\n");
}

static void print_sig(const char *alg, const uint8_t *sig, size_t n)
{
    char *hex = aegis_malloc(2 * n + 1);
    if (!hex)
        return;
    aegis_hex_encode(hex, sig, n);
    printf("%s %s\n", alg, hex);
    aegis_free(hex);
}

/* Sign with one single-algorithm secret key. */
static aegis_err sign_single(const char *type, const uint8_t *sk, const uint8_t *msg, size_t n,
                             const uint8_t *ctx, size_t cl)
{
    aegis_err err;
    uint8_t *sig = aegis_malloc(AEGIS_SLHDSA256S_SIG_BYTES);
    if (!sig)
        return AEGIS_ERR_NOMEM;
    if (strcmp(type, "ml-dsa-87") == 0) {
        if ((err = aegis_mldsa87_sign(sig, msg, n, ctx, cl, sk, false)) == AEGIS_OK)
            print_sig(type, sig, AEGIS_MLDSA87_SIG_BYTES);
    } else if (strcmp(type, "slh-dsa-sha2-256s") == 0) {
        if ((err = aegis_slhdsa_sign(AEGIS_SLHDSA_SHA2_256S, sig, msg, n, ctx, cl, sk, false)) == AEGIS_OK)
            print_sig(type, sig, AEGIS_SLHDSA256S_SIG_BYTES);
    } else if (strcmp(type, "secp256k1") == 0) {
        uint8_t d[32];
        aegis_keccak256(d, msg, n);
        if ((err = aegis_secp256k1_sign(sig, d, sk)) == AEGIS_OK)
            print_sig(type, sig, AEGIS_SECP256K1_SIG_BYTES);
    } else {
        err = AEGIS_ERR_KEYS_WRONG_TYPE;
    }
    aegis_free(sig);
    return err;
}

static aegis_err sign_keyset(const aegis_keyset *ks, const char *alg, const uint8_t *msg, size_t n,
                             const uint8_t *ctx, size_t cl)
{
    bool all = strcmp(alg, "all") == 0, any = false;
    aegis_err err = AEGIS_OK;
    uint8_t *sig = aegis_malloc(AEGIS_SLHDSA256S_SIG_BYTES);
    if (!sig)
        return AEGIS_ERR_NOMEM;
    if (err == AEGIS_OK && (all || strcmp(alg, "ml-dsa-87") == 0)) {
        any = true;
        if ((err = aegis_keyset_sign_mldsa87(ks, sig, msg, n, ctx, cl)) == AEGIS_OK)
            print_sig("ml-dsa-87", sig, AEGIS_MLDSA87_SIG_BYTES);
    }
    if (err == AEGIS_OK && (all || strcmp(alg, "slh-dsa-sha2-256s") == 0)) {
        any = true;
        if ((err = aegis_keyset_sign_slhdsa(ks, sig, msg, n, ctx, cl)) == AEGIS_OK)
            print_sig("slh-dsa-sha2-256s", sig, AEGIS_SLHDSA256S_SIG_BYTES);
    }
    if (err == AEGIS_OK && (all || strcmp(alg, "secp256k1") == 0)) {
        any = true;
        uint8_t d[32];
        aegis_keccak256(d, msg, n);
        if ((err = aegis_keyset_sign_secp256k1(ks, sig, d)) == AEGIS_OK)
            print_sig("secp256k1", sig, AEGIS_SECP256K1_SIG_BYTES);
    }
    aegis_free(sig);
    return any ? err : AEGIS_ERR_INVAL;
}

static int sign_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *key = NULL, *ctx = "", *alg = "all", *input = NULL, *tee_name = "sim";
    const char *data_dir = getenv("AEGIS_DATA_DIR") ? getenv("AEGIS_DATA_DIR") : "var";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **dst = strcmp(a, "--key") == 0 ? &key : strcmp(a, "--ctx") == 0 ? &ctx
                         : strcmp(a, "--alg") == 0 ? &alg : strcmp(a, "--data-dir") == 0 ? &data_dir
                         : strcmp(a, "--tee") == 0 ? &tee_name : NULL;
        if (dst && v) {
            *dst = v;
            i++;
        } else if (!dst && !input && (a[0] != '-' || strcmp(a, "-") == 0)) {
            input = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!key || !input) {
        usage(stderr);
        return 2;
    }
    size_t cl = strlen(ctx);
    if (cl > AEGIS_MAX_CTX_BYTES) {
        fprintf(stderr, "aegis sign: context longer than 255 bytes\n");
        return 2;
    }
    uint8_t *msg = NULL, *head = NULL, *sk = NULL;
    size_t n = 0, hn = 0, skl = 0;
    const char *type = NULL;
    aegis_tee *tee = NULL;
    aegis_keyset *ks = NULL;
    aegis_err err = aegis_file_read(strcmp(input, "-") == 0 ? "/dev/stdin" : input, 1u << 30, &msg, &n);
    if (err != AEGIS_OK)
        goto out;
    err = aegis_file_read(key, 1u << 20, &head, &hn);
    if (err != AEGIS_OK)
        goto out;
    if (hn >= 4 && memcmp(head, "AEGK", 4) == 0) {
        aegis_tee_option o[] = { { "data_dir", data_dir } };
        if ((err = aegis_tee_open(tee_name, o, 1, &tee)) != AEGIS_OK)
            goto out;
        if (aegis_tee_is_insecure(tee))
            fprintf(stderr, "aegis sign: WARNING: key set unsealed by the INSECURE '%s' TEE backend\n", tee_name);
        if ((err = aegis_keyset_load(tee, key, &ks)) == AEGIS_OK)
            err = sign_keyset(ks, alg, msg, n, (const uint8_t *)ctx, cl);
    } else if ((err = aegis_keyfile_read(key, true, &type, &sk, &skl)) == AEGIS_OK) {
        err = sign_single(type, sk, msg, n, (const uint8_t *)ctx, cl);
    }
out:
    if (err != AEGIS_OK)
        fprintf(stderr, "aegis sign: %s (%s)\n", aegis_strerror(err), aegis_err_name(err));
    aegis_free_secret(sk, skl);
    aegis_free_secret(head, hn);
    aegis_free(msg);
    aegis_keyset_free(ks);
    aegis_tee_free(tee);
    return err == AEGIS_OK ? 0 : 1;
}

const struct aegis_cli_cmd aegis_cli_cmd_sign = { "sign", sign_main,
                                                  "sign a file with a key file or a sealed key set" };
