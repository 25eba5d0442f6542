/*
 * test_keys.c - key sets: generate, public encoding, signing with each
 * algorithm, envelopes, seal/unseal under the sim TEE (tampering at every
 * byte, another TEE secret, file mode), single-key files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "aegis/keys.h"

struct fx {
    char dir[64], dir2[64];
    aegis_tee *tee, *tee2;
    aegis_keyset *ks;
};

static aegis_tee *sim(const char *dir)
{
    aegis_tee_option o[] = { { "data_dir", dir } };
    aegis_tee *t = NULL;
    assert_int_equal(aegis_tee_open("sim", o, 1, &t), AEGIS_OK);
    return t;
}

static int setup(void **state)
{
    struct fx *f = aegis_calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/aegis-test-keys-XXXXXX");
    strcpy(f->dir2, "/tmp/aegis-test-keys-XXXXXX");
    if (!mkdtemp(f->dir) || !mkdtemp(f->dir2))
        return -1;
    f->tee = sim(f->dir);
    f->tee2 = sim(f->dir2);
    if (aegis_keyset_generate(42, &f->ks) != AEGIS_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[256];
    aegis_keyset_free(f->ks);
    aegis_tee_free(f->tee);
    aegis_tee_free(f->tee2);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", f->dir, f->dir2);
    if (system(cmd) != 0)
        return -1;
    aegis_free(f);
    return 0;
}

static void test_public_encoding(void **state)
{
    struct fx *f = *state;
    const aegis_keyset_pub *pub = aegis_keyset_public(f->ks);
    assert_int_equal(pub->epoch, 42);
    assert_int_equal(aegis_keyset_epoch(f->ks), 42);
    uint8_t enc[AEGIS_KEYSET_PUB_BYTES], h1[32], h2[32];
    aegis_keyset_pub_encode(enc, pub);
    aegis_keyset_pub dec;
    assert_int_equal(aegis_keyset_pub_decode(&dec, enc, sizeof(enc)), AEGIS_OK);
    assert_memory_equal(&dec.mldsa87, pub->mldsa87, sizeof(dec.mldsa87));
    assert_memory_equal(&dec.mlkem_ek, pub->mlkem_ek, sizeof(dec.mlkem_ek));
    assert_int_equal(dec.epoch, 42);
    aegis_keyset_pub_hash(h1, pub);
    aegis_keyset_pub_hash(h2, &dec);
    assert_memory_equal(h1, h2, 32);

    assert_int_equal(aegis_keyset_pub_decode(&dec, enc, sizeof(enc) - 1), AEGIS_ERR_KEYS_BAD_PUBLIC);
    enc[0] ^= 1;
    assert_int_equal(aegis_keyset_pub_decode(&dec, enc, sizeof(enc)), AEGIS_ERR_KEYS_BAD_PUBLIC);
    enc[0] ^= 1;
    /* an ML-KEM ek with coefficients >= q fails the §7.2 check */
    size_t ek_off = 13 + AEGIS_MLDSA87_PK_BYTES + AEGIS_SLHDSA_PK_BYTES + AEGIS_SECP256K1_PK_BYTES;
    uint8_t save[3];
    memcpy(save, enc + ek_off, 3);
    memset(enc + ek_off, 0xff, 3);
    assert_int_equal(aegis_keyset_pub_decode(&dec, enc, sizeof(enc)), AEGIS_ERR_MLKEM_EK_CHECK);
    memcpy(enc + ek_off, save, 3);
    /* a secp256k1 point off the curve */
    enc[ek_off - 1] ^= 1;
    assert_int_equal(aegis_keyset_pub_decode(&dec, enc, sizeof(enc)), AEGIS_ERR_KEYS_BAD_PUBLIC);
    enc[ek_off - 1] ^= 1;
    /* a small-order X25519 key */
    memset(enc + AEGIS_KEYSET_PUB_BYTES - 32, 0, 32);
    assert_int_equal(aegis_keyset_pub_decode(&dec, enc, sizeof(enc)), AEGIS_ERR_KEYS_BAD_PUBLIC);
}

static void test_sign_each(void **state)
{
    struct fx *f = *state;
    const aegis_keyset_pub *pub = aegis_keyset_public(f->ks);
    static const uint8_t msg[] = "batch header bytes";
    static const uint8_t ctx[] = "aegis/batch";
    uint8_t *sig = aegis_malloc(AEGIS_SLHDSA256S_SIG_BYTES);
    assert_int_equal(aegis_keyset_sign_mldsa87(f->ks, sig, msg, sizeof(msg), ctx, sizeof(ctx)), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_verify(sig, AEGIS_MLDSA87_SIG_BYTES, msg, sizeof(msg), ctx, sizeof(ctx),
                                          pub->mldsa87), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_verify(sig, AEGIS_MLDSA87_SIG_BYTES, msg, sizeof(msg), NULL, 0,
                                          pub->mldsa87), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_keyset_sign_slhdsa(f->ks, sig, msg, sizeof(msg), ctx, sizeof(ctx)), AEGIS_OK);
    assert_int_equal(aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256S, sig, AEGIS_SLHDSA256S_SIG_BYTES, msg,
                                         sizeof(msg), ctx, sizeof(ctx), pub->slhdsa), AEGIS_OK);
    uint8_t d[32], rec[65];
    aegis_keccak256(d, msg, sizeof(msg));
    assert_int_equal(aegis_keyset_sign_secp256k1(f->ks, sig, d), AEGIS_OK);
    assert_int_equal(aegis_secp256k1_verify(sig, d, pub->secp256k1), AEGIS_OK);
    assert_int_equal(aegis_secp256k1_recover(rec, sig, sig[64], d, true), AEGIS_OK);
    assert_memory_equal(rec, pub->secp256k1, 65);
    aegis_free(sig);
}

static void test_envelope(void **state)
{
    struct fx *f = *state;
    aegis_envelope_pub ep;
    aegis_keyset_pub_envelope(&ep, aegis_keyset_public(f->ks));
    uint8_t env[AEGIS_ENVELOPE_OVERHEAD + 5], pt[5];
    size_t n = 0, m = 0;
    assert_int_equal(aegis_envelope_seal(env, sizeof(env), &n, &ep, (const uint8_t *)"hello", 5), AEGIS_OK);
    assert_int_equal(aegis_keyset_open_envelope(f->ks, pt, sizeof(pt), &m, env, n), AEGIS_OK);
    assert_int_equal(m, 5);
    assert_memory_equal(pt, "hello", 5);
    ep.epoch = 43;
    assert_int_equal(aegis_envelope_seal(env, sizeof(env), &n, &ep, (const uint8_t *)"hello", 5), AEGIS_OK);
    assert_int_equal(aegis_keyset_open_envelope(f->ks, pt, sizeof(pt), &m, env, n), AEGIS_ERR_ENV_UNKNOWN_EPOCH);
}

static void test_seal_unseal(void **state)
{
    struct fx *f = *state;
    uint8_t *sealed = NULL;
    size_t n = 0;
    assert_int_equal(aegis_keyset_seal(f->ks, f->tee, &sealed, &n), AEGIS_OK);
    aegis_keyset *back = NULL;
    assert_int_equal(aegis_keyset_unseal(f->tee, sealed, n, &back), AEGIS_OK);
    uint8_t h1[32], h2[32];
    aegis_keyset_pub_hash(h1, aegis_keyset_public(f->ks));
    aegis_keyset_pub_hash(h2, aegis_keyset_public(back));
    assert_memory_equal(h1, h2, 32);
    /* the unsealed keys decrypt what was sent to the original */
    aegis_envelope_pub ep;
    aegis_keyset_pub_envelope(&ep, aegis_keyset_public(f->ks));
    uint8_t env[AEGIS_ENVELOPE_OVERHEAD + 3], pt[3];
    size_t en = 0, m = 0;
    assert_int_equal(aegis_envelope_seal(env, sizeof(env), &en, &ep, (const uint8_t *)"abc", 3), AEGIS_OK);
    assert_int_equal(aegis_keyset_open_envelope(back, pt, 3, &m, env, en), AEGIS_OK);
    aegis_keyset_free(back);

    /* another TEE secret cannot unseal */
    back = NULL;
    assert_int_equal(aegis_keyset_unseal(f->tee2, sealed, n, &back), AEGIS_ERR_KEYS_UNSEAL);
    assert_null(back);

    /* every byte of the sealed form is protected */
    for (size_t i = 0; i < n; i++) {
        sealed[i] ^= 0x04;
        aegis_err e = aegis_keyset_unseal(f->tee, sealed, n, &back);
        assert_int_equal(e, i < 5 ? AEGIS_ERR_KEYS_BAD_FORMAT : AEGIS_ERR_KEYS_UNSEAL);
        sealed[i] ^= 0x04;
    }
    assert_int_equal(aegis_keyset_unseal(f->tee, sealed, n - 1, &back), AEGIS_ERR_KEYS_BAD_FORMAT);
    assert_int_equal(aegis_keyset_unseal(f->tee, sealed, 0, &back), AEGIS_ERR_KEYS_BAD_FORMAT);
    aegis_free(sealed);
}

static void test_files(void **state)
{
    struct fx *f = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/keyset.key", f->dir);
    assert_int_equal(aegis_keyset_save(f->ks, f->tee, path), AEGIS_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    aegis_keyset *back = NULL;
    assert_int_equal(aegis_keyset_load(f->tee, path, &back), AEGIS_OK);
    assert_int_equal(aegis_keyset_epoch(back), 42);
    aegis_keyset_free(back);
    assert_int_equal(aegis_keyset_load(f->tee2, path, &back), AEGIS_ERR_KEYS_UNSEAL);

    /* modify one byte in the file */
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, 500, SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, 500, SEEK_SET);
    fputc(c ^ 0x20, fp);
    fclose(fp);
    assert_int_equal(aegis_keyset_load(f->tee, path, &back), AEGIS_ERR_KEYS_UNSEAL);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(aegis_keyset_load(f->tee, path, &back), AEGIS_ERR_KEYS_FILE_MODE);
    snprintf(path, sizeof(path), "%s/missing.key", f->dir);
    assert_int_equal(aegis_keyset_load(f->tee, path, &back), AEGIS_ERR_NOT_FOUND);

    /* single-key files */
    uint8_t sk[32], pk[32];
    assert_int_equal(aegis_x25519_keygen(pk, sk), AEGIS_OK);
    snprintf(path, sizeof(path), "%s/x.key", f->dir);
    assert_int_equal(aegis_keyfile_write(path, "x25519", sk, 32, true), AEGIS_OK);
    assert_int_equal(aegis_keyfile_write(path, "x25519", sk, 31, true), AEGIS_ERR_BAD_LENGTH);
    assert_int_equal(aegis_keyfile_write(path, "rsa", sk, 32, true), AEGIS_ERR_BAD_LENGTH);
    const char *type = NULL;
    uint8_t *got = NULL;
    size_t gl = 0;
    assert_int_equal(aegis_keyfile_read(path, true, &type, &got, &gl), AEGIS_OK);
    assert_string_equal(type, "x25519");
    assert_int_equal(gl, 32);
    assert_memory_equal(got, sk, 32);
    aegis_free_secret(got, gl);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(aegis_keyfile_read(path, true, &type, &got, &gl), AEGIS_ERR_KEYS_FILE_MODE);
    /* malformed contents */
    static const char *bad[] = { "", "x25519", "x25519 zz", "x25519 00", "rsa 00", "keyset 00" };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(bad); i++) {
        assert_int_equal(aegis_file_write_atomic(path, bad[i], strlen(bad[i]), 0600), AEGIS_OK);
        assert_int_equal(aegis_keyfile_read(path, true, &type, &got, &gl), AEGIS_ERR_KEYS_BAD_FORMAT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_encoding),
        cmocka_unit_test(test_sign_each),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_seal_unseal),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
