/* cmd_verify_sig.c - `aegis verify-sig --pub P --sig S [--ctx C] FILE|-`:
 * check every "<alg> <hex>" line of S against the public key file P. */
#include <stdio.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/keys.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis verify-sig --pub PUB --sig SIGFILE [--ctx CTX] FILE|-\n\n"
               "Verify the signatures in SIGFILE (lines \"<alg> <hex>\", as printed by aegis sign)\n"
               "over FILE (or stdin) with PUB (a .pub file: single key or key set). Every line must\n"
               "verify; exit 0 only then. secp256k1 signatures are over keccak256(message).\n");
}

/* Verify one line with the matching public key. */
static aegis_err verify_one(const char *alg, const uint8_t *sig, size_t sl, const char *ptype,
                            const uint8_t *pk, const uint8_t *msg, size_t n, const uint8_t *ctx, size_t cl)
{
    const uint8_t *k = NULL;
    aegis_keyset_pub kp;
    if (strcmp(ptype, "keyset") == 0) {
        aegis_err err = aegis_keyset_pub_decode(&kp, pk, AEGIS_KEYSET_PUB_BYTES);
        if (err != AEGIS_OK)
            return err;
        k = strcmp(alg, "ml-dsa-87") == 0 ? kp.mldsa87 : strcmp(alg, "slh-dsa-sha2-256s") == 0 ? kp.slhdsa
          : strcmp(alg, "secp256k1") == 0 ? kp.secp256k1 : NULL;
    } else if (strcmp(ptype, alg) == 0) {
        k = pk;
    }
    if (!k)
        return AEGIS_ERR_KEYS_WRONG_TYPE;
    if (strcmp(alg, "ml-dsa-87") == 0)
        return aegis_mldsa87_verify(sig, sl, msg, n, ctx, cl, k);
    if (strcmp(alg, "slh-dsa-sha2-256s") == 0)
        return aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256S, sig, sl, msg, n, ctx, cl, k);
    /* secp256k1 */
    if (sl != AEGIS_SECP256K1_SIG_BYTES)
        return AEGIS_ERR_BAD_LENGTH;
    uint8_t d[32];
    aegis_keccak256(d, msg, n);
    return aegis_secp256k1_verify(sig, d, k);
}

static int verify_sig_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *pub = NULL, *sigf = NULL, *ctx = "", *input = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **dst = strcmp(a, "--pub") == 0 ? &pub : strcmp(a, "--sig") == 0 ? &sigf
                         : strcmp(a, "--ctx") == 0 ? &ctx : NULL;
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
    if (!pub || !sigf || !input || strlen(ctx) > AEGIS_MAX_CTX_BYTES) {
        usage(stderr);
        return 2;
    }
    uint8_t *msg = NULL, *pk = NULL, *sigs = NULL;
    size_t n = 0, pkl = 0, sn = 0;
    const char *ptype = NULL;
    int checked = 0;
    aegis_err err = aegis_keyfile_read(pub, false, &ptype, &pk, &pkl);
    if (err == AEGIS_OK)
        err = aegis_file_read(sigf, 1u << 24, &sigs, &sn);
    if (err == AEGIS_OK)
        err = aegis_file_read(strcmp(input, "-") == 0 ? "/dev/stdin" : input, 1u << 30, &msg, &n);
    char *save = NULL;
    for (char *line = err == AEGIS_OK ? strtok_r((char *)sigs, "\n", &save) : NULL; line && err == AEGIS_OK;
         line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        uint8_t *sig = NULL;
        size_t sl = 0;
        if (!sp) {
            err = AEGIS_ERR_BAD_SIG;
            break;
        }
        *sp = '\0';
        err = aegis_hex_decode_alloc(sp + 1, 1u << 20, &sig, &sl);
        if (err == AEGIS_OK)
            err = verify_one(line, sig, sl, ptype, pk, msg, n, (const uint8_t *)ctx, strlen(ctx));
        if (err == AEGIS_OK) {
            printf("%s: OK\n", line);
            checked++;
        } else {
            printf("%s: FAILED\n", line);
        }
        aegis_free(sig);
    }
    if (err == AEGIS_OK && checked == 0)
        err = AEGIS_ERR_BAD_SIG;
    if (err != AEGIS_OK)
        fprintf(stderr, "aegis verify-sig: %s (%s)\n", aegis_strerror(err), aegis_err_name(err));
    aegis_free(msg);
    aegis_free(pk);
    aegis_free(sigs);
    return err == AEGIS_OK ? 0 : 1;
}

const struct aegis_cli_cmd aegis_cli_cmd_verify_sig = { "verify-sig", verify_sig_main,
                                                        "verify signatures made by aegis sign" };
