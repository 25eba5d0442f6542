/*
 * test_tee.c - the TEE interface and its sim backend: registry, options,
 * the secret file (creation, mode, size), derive_key, measurement, quote
 * sign/verify (every byte flip fails), info, random hook.
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

#include "aegis/crypto.h"
#include "aegis/tee.h"

static char *mkdtemp_dir(void)
{
    char tmpl[] = "/tmp/aegis-test-tee-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return aegis_strdup(d);
}

static void rm_dir(char *dir)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/sim-tee.secret", dir);
    unlink(p);
    rmdir(dir);
    aegis_free(dir);
}

static aegis_tee *open_sim(const char *dir, const char *config)
{
    aegis_tee_option o[] = { { "data_dir", dir }, { "config_text", config } };
    aegis_tee *t = NULL;
    assert_int_equal(aegis_tee_open("sim", o, 2, &t), AEGIS_OK);
    return t;
}

static void test_registry_and_options(void **state)
{
    (void)state;
    const char *const *names = aegis_tee_backend_names();
    assert_string_equal(names[0], "sim");
    aegis_tee *t = NULL;
    assert_int_equal(aegis_tee_open("nope", NULL, 0, &t), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_tee_open("sim", NULL, 0, &t), AEGIS_ERR_INVAL);
    aegis_tee_option bad[] = { { "data_dir", "/tmp" }, { "colour", "blue" } };
    assert_int_equal(aegis_tee_open("sim", bad, 2, &t), AEGIS_ERR_INVAL);
    assert_null(t);
    aegis_tee_free(NULL);
}

static void test_secret_file(void **state)
{
    (void)state;
    char *dir = mkdtemp_dir();
    aegis_tee *t = open_sim(dir, "");
    assert_true(aegis_tee_is_insecure(t));
    assert_string_equal(aegis_tee_name(t), "sim");
    char path[512];
    snprintf(path, sizeof(path), "%s/sim-tee.secret", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 32);

    uint8_t k1[32], k2[32], k3[32];
    assert_int_equal(aegis_tee_derive_key(t, "aegis/keyset/v1", k1), AEGIS_OK);
    assert_int_equal(aegis_tee_derive_key(t, "aegis/other", k2), AEGIS_OK);
    assert_memory_not_equal(k1, k2, 32);
    assert_int_equal(aegis_tee_derive_key(t, "", k2), AEGIS_ERR_INVAL);
    aegis_tee_free(t);

    /* reopening finds the same secret -> the same keys */
    t = open_sim(dir, "");
    assert_int_equal(aegis_tee_derive_key(t, "aegis/keyset/v1", k3), AEGIS_OK);
    assert_memory_equal(k1, k3, 32);
    aegis_tee_free(t);

    /* another data dir -> another secret -> other keys */
    char *dir2 = mkdtemp_dir();
    t = open_sim(dir2, "");
    assert_int_equal(aegis_tee_derive_key(t, "aegis/keyset/v1", k3), AEGIS_OK);
    assert_memory_not_equal(k1, k3, 32);
    aegis_tee_free(t);
    rm_dir(dir2);

    /* a group/world-readable secret is refused; so is one of the wrong size */
    aegis_tee_option o[] = { { "data_dir", dir } };
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(aegis_tee_open("sim", o, 1, &t), AEGIS_ERR_PERM);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(truncate(path, 31), 0);
    assert_int_equal(aegis_tee_open("sim", o, 1, &t), AEGIS_ERR_BAD_LENGTH);
    rm_dir(dir);
}

static void test_measurement(void **state)
{
    (void)state;
    char *dir = mkdtemp_dir();
    aegis_tee *a = open_sim(dir, "[tee]\nprimary = \"sim\"\n");
    aegis_tee *b = open_sim(dir, "[tee]\nprimary = \"sim\"\n");
    aegis_tee *c = open_sim(dir, "[tee]\nprimary = \"tdx\"\n");
    uint8_t ma[48], mb[48], mc[48];
    assert_int_equal(aegis_tee_measurement(a, ma), AEGIS_OK);
    assert_int_equal(aegis_tee_measurement(b, mb), AEGIS_OK);
    assert_int_equal(aegis_tee_measurement(c, mc), AEGIS_OK);
    assert_memory_equal(ma, mb, 48);
    assert_memory_not_equal(ma, mc, 48);
    /* a different binary measures differently */
    aegis_tee_option o[] = { { "data_dir", dir }, { "config_text", "[tee]\nprimary = \"sim\"\n" },
                             { "binary", "/bin/sh" } };
    aegis_tee *d = NULL;
    assert_int_equal(aegis_tee_open("sim", o, 3, &d), AEGIS_OK);
    assert_int_equal(aegis_tee_measurement(d, mc), AEGIS_OK);
    assert_memory_not_equal(ma, mc, 48);
    o[2].value = "/nonexistent/binary";
    aegis_tee *e = NULL;
    assert_int_equal(aegis_tee_open("sim", o, 3, &e), AEGIS_ERR_IO);
    aegis_tee_free(a);
    aegis_tee_free(b);
    aegis_tee_free(c);
    aegis_tee_free(d);
    rm_dir(dir);
}

static void test_quote(void **state)
{
    (void)state;
    char *dir = mkdtemp_dir();
    aegis_tee *t = open_sim(dir, "cfg");
    uint8_t rd[64], meas[48], got_meas[48], got_rd[64], pk[65];
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)(i * 3);
    uint8_t *q = NULL;
    size_t qn = 0;
    assert_int_equal(aegis_tee_quote(t, rd, &q, &qn), AEGIS_OK);
    assert_int_equal(qn, AEGIS_TEE_SIM_QUOTE_BYTES);
    assert_memory_equal(q, AEGIS_TEE_SIM_QUOTE_MAGIC, 18);
    assert_int_equal(aegis_tee_measurement(t, meas), AEGIS_OK);
    assert_int_equal(aegis_tee_sim_verify_quote(q, qn, got_meas, got_rd, pk), AEGIS_OK);
    assert_memory_equal(got_meas, meas, 48);
    assert_memory_equal(got_rd, rd, 64);
    assert_int_equal(pk[0], 0x04);

    /* the quote key is stable for a given secret */
    uint8_t *q2 = NULL;
    size_t qn2 = 0;
    aegis_tee *t2 = open_sim(dir, "cfg");
    assert_int_equal(aegis_tee_quote(t2, rd, &q2, &qn2), AEGIS_OK);
    assert_memory_equal(q2 + 130, q + 130, 65);
    aegis_free(q2);
    aegis_tee_free(t2);

    /* every byte matters */
    for (size_t i = 0; i < qn; i++) {
        q[i] ^= 0x01;
        aegis_err e = aegis_tee_sim_verify_quote(q, qn, NULL, NULL, NULL);
        if (i < 18)
            assert_int_equal(e, AEGIS_ERR_UNSUPPORTED);
        else if (i >= 130 && i < 195)
            assert_true(e == AEGIS_ERR_BAD_KEY || e == AEGIS_ERR_BAD_SIG);
        else
            assert_int_equal(e, AEGIS_ERR_BAD_SIG);
        q[i] ^= 0x01;
    }
    assert_int_equal(aegis_tee_sim_verify_quote(q, qn - 1, NULL, NULL, NULL), AEGIS_ERR_TRUNCATED);
    assert_int_equal(aegis_tee_sim_verify_quote(q, 5, NULL, NULL, NULL), AEGIS_ERR_TRUNCATED);
    uint8_t *longer = aegis_malloc(qn + 1);
    memcpy(longer, q, qn);
    longer[qn] = 0;
    assert_int_equal(aegis_tee_sim_verify_quote(longer, qn + 1, NULL, NULL, NULL), AEGIS_ERR_BAD_LENGTH);
    aegis_free(longer);
    aegis_free(q);
    aegis_tee_free(t);
    rm_dir(dir);
}

struct info_acc { int n; bool insecure, warned; };

static void info_cb(void *arg, const char *k, const char *v)
{
    struct info_acc *a = arg;
    a->n++;
    if (strcmp(k, "security") == 0 && strcmp(v, "INSECURE-SIMULATED") == 0)
        a->insecure = true;
    if (strcmp(k, "warning") == 0 && strstr(v, "SIMULATED"))
        a->warned = true;
}

static void test_info_and_random(void **state)
{
    (void)state;
    char *dir = mkdtemp_dir();
    aegis_tee *t = open_sim(dir, "");
    struct info_acc acc = { 0 };
    aegis_tee_info(t, info_cb, &acc);
    assert_true(acc.n >= 4);
    assert_true(acc.insecure);
    assert_true(acc.warned);

    uint8_t a[32], b[32];
    assert_int_equal(aegis_tee_random(t, a, 32), AEGIS_OK);
    assert_int_equal(aegis_tee_random(t, b, 32), AEGIS_OK);
    assert_memory_not_equal(a, b, 32);
    aegis_tee_install_random(t);
    assert_int_equal(aegis_random_bytes(a, 32), AEGIS_OK);
    assert_memory_not_equal(a, b, 32);
    aegis_tee_free(t);   /* uninstalls */
    assert_int_equal(aegis_random_bytes(b, 32), AEGIS_OK);
    assert_memory_not_equal(a, b, 32);
    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_and_options),
        cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_measurement),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_info_and_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
