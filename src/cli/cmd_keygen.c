/* cmd_keygen.c - `aegis keygen --type T --out PREFIX`: write PREFIX.key and
 * PREFIX.pub (formats: docs/internals/keys.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/keys.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis keygen --type TYPE --out PREFIX [--epoch N] [--data-dir DIR] [--tee NAME]\n\n"
               "Generate a key and write PREFIX.key (secret, mode 0600) and PREFIX.pub.\n"
               "  --type      ml-dsa-87 | slh-dsa-sha2-256s | secp256k1 | ml-kem-1024 | x25519 | keyset\n"
               "  --out       output prefix\n"
               "  --epoch     key set epoch (keyset only, default 1)\n"
               "  --data-dir  TEE data directory for sealing (keyset only; default $AEGIS_DATA_DIR or ./var)\n"
               "  --tee       TEE backend that seals the key set (default sim: INSECURE)\n");
}

static aegis_err gen_single(const char *type, uint8_t *sk, uint8_t *pk)
{
    if (strcmp(type, "ml-dsa-87") == 0)
        return aegis_mldsa87_keygen(pk, sk);
    if (strcmp(type, "slh-dsa-sha2-256s") == 0)
        return aegis_slhdsa_keygen(AEGIS_SLHDSA_SHA2_256S, pk, sk);
    if (strcmp(type, "secp256k1") == 0)
        return aegis_secp256k1_keygen(pk, sk);
    if (strcmp(type, "ml-kem-1024") == 0)
        return aegis_mlkem1024_keygen(pk, sk);
    if (strcmp(type, "x25519") == 0)
        return aegis_x25519_keygen(pk, sk);
    return AEGIS_ERR_INVAL;
}

static int fail(const char *what, aegis_err err)
{
    fprintf(stderr, "aegis keygen: %s: %s (%s)\n", what, aegis_strerror(err), aegis_err_name(err));
    return 1;
}

static int keygen_keyset(const char *prefix, uint64_t epoch, const char *data_dir, const char *tee_name)
{
    char kpath[4096], ppath[4096];
    snprintf(kpath, sizeof(kpath), "%s.key", prefix);
    snprintf(ppath, sizeof(ppath), "%s.pub", prefix);
    aegis_tee_option o[] = { { "data_dir", data_dir } };
    aegis_tee *tee = NULL;
    aegis_keyset *ks = NULL;
    int rc = 1;
    aegis_err err = aegis_tee_open(tee_name, o, 1, &tee);
    if (err != AEGIS_OK)
        return fail("opening the TEE backend", err);
    if (aegis_tee_is_insecure(tee))
        fprintf(stderr, "aegis keygen: WARNING: sealing with the INSECURE '%s' TEE backend "
                        "(software simulation, secret in %s/sim-tee.secret)\n", tee_name, data_dir);
    aegis_tee_install_random(tee);
    err = aegis_keyset_generate(epoch, &ks);
    if (err != AEGIS_OK) {
        fail("generating the key set", err);
        goto out;
    }
    err = aegis_keyset_save(ks, tee, kpath);
    if (err != AEGIS_OK) {
        fail(kpath, err);
        goto out;
    }
    uint8_t enc[AEGIS_KEYSET_PUB_BYTES];
    aegis_keyset_pub_encode(enc, aegis_keyset_public(ks));
    err = aegis_keyfile_write(ppath, "keyset", enc, sizeof(enc), false);
    if (err != AEGIS_OK) {
        fail(ppath, err);
        goto out;
    }
    uint8_t h[32], addr[20];
    char hex[65], ahex[41];
    aegis_keyset_pub_hash(h, aegis_keyset_public(ks));
    aegis_hex_encode(hex, h, 32);
    aegis_eth_address(addr, aegis_keyset_public(ks)->secp256k1);
    aegis_hex_encode(ahex, addr, 20);
    printf("keyset epoch %llu\npublic key set hash %s\nsecp256k1 address 0x%s\nwrote %s (sealed) and %s\n",
           (unsigned long long)epoch, hex, ahex, kpath, ppath);
    rc = 0;
out:
    aegis_keyset_free(ks);
    aegis_tee_free(tee);
    return rc;
}

static int keygen_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *type = NULL, *prefix = NULL, *tee_name = "sim";
    const char *data_dir = getenv("AEGIS_DATA_DIR") ? getenv("AEGIS_DATA_DIR") : "var";
    uint64_t epoch = 1;
    for (int i = 1; i < argc; i += 2) {   /* every option takes a value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage(stderr);
            return 2;
        }
        if (strcmp(a, "--type") == 0)
            type = v;
        else if (strcmp(a, "--out") == 0)
            prefix = v;
        else if (strcmp(a, "--data-dir") == 0)
            data_dir = v;
        else if (strcmp(a, "--tee") == 0)
            tee_name = v;
        else if (strcmp(a, "--epoch") == 0) {
            char *end = NULL;
            epoch = strtoull(v, &end, 10);
            if (!*v || *end) {
                usage(stderr);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!type || !prefix) {
        usage(stderr);
        return 2;
    }
    if (strcmp(type, "keyset") == 0)
        return keygen_keyset(prefix, epoch, data_dir, tee_name);

    size_t skl = aegis_keyfile_key_len(type, true), pkl = aegis_keyfile_key_len(type, false);
    if (skl == 0) {
        fprintf(stderr, "aegis keygen: unknown key type '%s'\n", type);
        return 2;
    }
    uint8_t *sk = aegis_malloc(skl), *pk = aegis_malloc(pkl);
    char kpath[4096], ppath[4096];
    snprintf(kpath, sizeof(kpath), "%s.key", prefix);
    snprintf(ppath, sizeof(ppath), "%s.pub", prefix);
    int rc = 1;
    aegis_err err = sk && pk ? gen_single(type, sk, pk) : AEGIS_ERR_NOMEM;
    if (err != AEGIS_OK)
        fail("generating the key", err);
    else if ((err = aegis_keyfile_write(kpath, type, sk, skl, true)) != AEGIS_OK)
        fail(kpath, err);
    else if ((err = aegis_keyfile_write(ppath, type, pk, pkl, false)) != AEGIS_OK)
        fail(ppath, err);
    else {
        printf("%s key: wrote %s (0600) and %s\n", type, kpath, ppath);
        rc = 0;
    }
    aegis_free_secret(sk, skl);
    aegis_free(pk);
    return rc;
}

const struct aegis_cli_cmd aegis_cli_cmd_keygen = { "keygen", keygen_main,
                                                    "generate a key or a sealed key set (PREFIX.key, PREFIX.pub)" };
