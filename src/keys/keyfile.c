/*
 * keyfile.c - single-key text files for the CLI: "<type> <hex>\n".
 * Secret files are 0600 and refused when group/other can access them.
 */
#include <string.h>
#include <sys/stat.h>

#include "aegis/keys.h"

static const struct { const char *type; size_t sk, pk; } key_types[] = {
    { "ml-dsa-87", AEGIS_MLDSA87_SK_BYTES, AEGIS_MLDSA87_PK_BYTES },
    { "slh-dsa-sha2-256s", AEGIS_SLHDSA_SK_BYTES, AEGIS_SLHDSA_PK_BYTES },
    { "secp256k1", AEGIS_SECP256K1_SK_BYTES, AEGIS_SECP256K1_PK_BYTES },
    { "ml-kem-1024", AEGIS_MLKEM1024_DK_BYTES, AEGIS_MLKEM1024_EK_BYTES },
    { "x25519", AEGIS_X25519_BYTES, AEGIS_X25519_BYTES },
    { "keyset", 0, AEGIS_KEYSET_PUB_BYTES },
};

static int type_index(const char *type, size_t n)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(key_types); i++)
        if (strlen(key_types[i].type) == n && memcmp(key_types[i].type, type, n) == 0)
            return (int)i;
    return -1;
}

size_t aegis_keyfile_key_len(const char *type, bool secret)
{
    int i = type_index(type, strlen(type));
    if (i < 0)
        return 0;
    return secret ? key_types[i].sk : key_types[i].pk;
}

aegis_err aegis_keyfile_write(const char *path, const char *type, const uint8_t *key, size_t len, bool secret)
{
    size_t want = aegis_keyfile_key_len(type, secret);
    if (want == 0 || want != len)
        return AEGIS_ERR_BAD_LENGTH;
    size_t tl = strlen(type), total = tl + 1 + 2 * len + 1;
    char *buf = aegis_malloc(total + 1);
    if (!buf)
        return AEGIS_ERR_NOMEM;
    memcpy(buf, type, tl);
    buf[tl] = ' ';
    aegis_hex_encode(buf + tl + 1, key, len);
    buf[total - 1] = '\n';
    aegis_err err = aegis_file_write_atomic(path, buf, total, secret ? 0600 : 0644);
    aegis_free_secret(buf, total + 1);
    return err;
}

aegis_err aegis_keyfile_read(const char *path, bool secret, const char **type, uint8_t **ret, size_t *ret_len)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return AEGIS_ERR_NOT_FOUND;
    if (secret && (st.st_mode & 077))
        return AEGIS_ERR_KEYS_FILE_MODE;
    uint8_t *buf = NULL;
    size_t n = 0;
    aegis_err err = aegis_file_read(path, 64 * 1024, &buf, &n);
    if (err != AEGIS_OK)
        return err == AEGIS_ERR_TOO_BIG ? AEGIS_ERR_KEYS_BAD_FORMAT : err;
    char *s = (char *)buf;   /* aegis_file_read NUL-terminates */
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
    char *sp = memchr(s, ' ', n);
    int ti = sp ? type_index(s, (size_t)(sp - s)) : -1;
    size_t want = ti < 0 ? 0 : (secret ? key_types[ti].sk : key_types[ti].pk);
    uint8_t *key = NULL;
    err = AEGIS_ERR_KEYS_BAD_FORMAT;
    if (want > 0 && strlen(sp + 1) == 2 * want) {
        key = aegis_malloc(want);
        if (!key)
            err = AEGIS_ERR_NOMEM;
        else if (aegis_hex_decode_exact(sp + 1, key, want) == AEGIS_OK)
            err = AEGIS_OK;
    }
    aegis_free_secret(buf, n + 1);
    if (err != AEGIS_OK) {
        aegis_free_secret(key, want);
        return err;
    }
    *type = key_types[ti].type;
    *ret = key;
    *ret_len = want;
    return AEGIS_OK;
}
