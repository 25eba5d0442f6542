/* cli_keys.c - ML-DSA-87 key pairs from key files (cli_keys.h). */
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
