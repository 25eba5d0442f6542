/* cli_keys.c - key pairs and secrets from key files (cli_keys.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "aegis/crypto.h"
#include "aegis/keys.h"
#include "cli_keys.h"

static aegis_err read_mldsa(const char *path, bool secret, uint8_t **ret)
{
    const char *type = NULL;
    uint8_t *k = NULL;
    size_t n = 0;
    aegis_err err = aegis_keyfile_read(path, secret, &type, &k, &n);
    if (err)
        return err;
    if (strcmp(type, "ml-dsa-87") != 0 || n != (secret ? AEGIS_MLDSA87_SK_BYTES : AEGIS_MLDSA87_PK_BYTES)) {
        secret ? aegis_free_secret(k, n) : aegis_free(k);
        return AEGIS_ERR_KEYS_WRONG_TYPE;
    }
    *ret = k;
    return AEGIS_OK;
}

aegis_err aegis_cli_mldsa_keypair(const char *key_path, const char *pub_path, uint8_t **ret_sk, uint8_t **ret_pk,
                                  const char **ret_failed)
{
    static char derived[4096];
    if (!pub_path) {
        size_t n = strlen(key_path);
        if (n > 4 && strcmp(key_path + n - 4, ".key") == 0)
            snprintf(derived, sizeof(derived), "%.*s.pub", (int)(n - 4), key_path);
        else
            snprintf(derived, sizeof(derived), "%s.pub", key_path);
        pub_path = derived;
    }
    uint8_t *sk = NULL, *pk = NULL;
    aegis_err err = read_mldsa(key_path, true, &sk);
    if (err) {
        if (ret_failed)
            *ret_failed = key_path;
        return err;
    }
    err = read_mldsa(pub_path, false, &pk);
    if (err) {
        aegis_free_secret(sk, AEGIS_MLDSA87_SK_BYTES);
        if (ret_failed)
            *ret_failed = pub_path;
        return err;
    }
    *ret_sk = sk;
    *ret_pk = pk;
    return AEGIS_OK;
}

/* secp256k1 secret from a key file: "secp256k1 <hex>" or bare hex. */
int aegis_cli_secp256k1_secret(const char *prog, const char *path, uint8_t sk[32])
{
    const char *type = NULL;
    uint8_t *key = NULL;
    size_t len = 0;
    aegis_err err = aegis_keyfile_read(path, true, &type, &key, &len);
    if (err == AEGIS_OK) {
        int ok = strcmp(type, "secp256k1") == 0 && len == 32;
        if (ok)
            memcpy(sk, key, 32);
        aegis_free_secret(key, len);
        if (!ok)
            fprintf(stderr, "%s: %s: not a secp256k1 secret key (type %s)\n", prog, path, type);
        return ok ? 0 : -1;
    }
    if (err == AEGIS_ERR_KEYS_FILE_MODE) {
        fprintf(stderr, "%s: %s: group/other can read this secret key; chmod 600 it\n", prog, path);
        return -1;
    }
    if (aegis_file_read(path, 256, &key, &len) == AEGIS_OK) {
        char buf[80];
        size_t n = 0;
        for (size_t i = 0; i < len && n < sizeof(buf) - 1; i++)
            if (key[i] != '\n' && key[i] != '\r' && key[i] != ' ')
                buf[n++] = (char)key[i];
        buf[n] = '\0';
        err = aegis_hex_decode_exact(buf, sk, 32);
        aegis_memzero(buf, sizeof(buf));
        aegis_free_secret(key, len);
        if (err == AEGIS_OK)
            return 0;
    }
    fprintf(stderr, "%s: %s: cannot read a secp256k1 secret key\n", prog, path);
    return -1;
}
