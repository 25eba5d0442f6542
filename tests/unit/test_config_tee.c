/*
 * test_config_tee.c - the [tee] keys of the redundant TEE and the
 * warnings aegisd logs (and --check-config prints) about them:
 * on_primary_failure (halt | backup, backup needs a tee.backup),
 * sim_fault_file (test only, warned), the deprecated legacy Phala-only mode
 * (dstack primary, no backup), failover in key-binding mode, and the
 * informational [phala] network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/config.h"
#include "aegis/util.h"

static aegis_err load(aegis_config *c, const char *text, char **msg)
{
    return aegis_config_load_buffer(c, "t.toml", text, strlen(text), msg);
}

/* Index of the warning containing needle, or -1. */
static int find_warning(const aegis_config *c, const char *needle)
{
    const char *w[16];
    size_t n = aegis_config_warnings(c, w, 16);
    for (size_t i = 0; i < n && i < 16; i++)
        if (strstr(w[i], needle))
            return (int)i;
    return -1;
}

static void test_on_primary_failure(void **state)
{
    (void)state;
    aegis_config c;
    char *msg = NULL;
    assert_int_equal(load(&c, "[tee]\nprimary = \"sim\"\n", &msg), AEGIS_OK);
    assert_string_equal(c.tee_on_primary_failure, "halt");   /* the default */
    assert_string_equal(c.tee_sim_fault_file, "");
    aegis_config_clear(&c);
    assert_int_equal(load(&c, "[tee]\nprimary = \"sim\"\nbackup = \"sim\"\non_primary_failure = \"backup\"\n", &msg),
                     AEGIS_OK);
    assert_string_equal(c.tee_on_primary_failure, "backup");
    assert_int_equal(find_warning(&c, "on_primary_failure"), -1);
    aegis_config_clear(&c);
    /* failover needs a backup */
    assert_int_equal(load(&c, "[tee]\nprimary = \"sim\"\non_primary_failure = \"backup\"\n", &msg),
                     AEGIS_ERR_CONFIG_CONFLICT);
    assert_non_null(strstr(msg, "t.toml:3:"));
    assert_non_null(strstr(msg, "tee.on_primary_failure"));
    aegis_free(msg);
    msg = NULL;
    /* only the two behaviours */
    assert_int_not_equal(load(&c, "[tee]\non_primary_failure = \"continue\"\n", &msg), AEGIS_OK);
    aegis_free(msg);
    msg = NULL;
    /* in key-binding mode it changes nothing for batches: warned */
    assert_int_equal(load(&c, "[tee]\nbackup = \"sim\"\non_primary_failure = \"backup\"\nattest_mode = \"key-binding\"\n",
                          &msg),
                     AEGIS_OK);
    assert_true(find_warning(&c, "key-binding") >= 0);
    aegis_config_clear(&c);
}

static void test_fault_file_warned(void **state)
{
    (void)state;
    aegis_config c;
    char *msg = NULL;
    assert_int_equal(load(&c, "[tee]\nsim_fault_file = \"/tmp/x\"\n", &msg), AEGIS_OK);
    assert_true(find_warning(&c, "TEST ONLY") >= 0);
    aegis_config_clear(&c);
    /* a knob of the sim backend only */
    assert_int_equal(load(&c, "[worker]\nenclave_type = \"TDX\"\n[tee]\nprimary = \"tdx\"\n"
                              "sim_fault_file = \"/tmp/x\"\n",
                          &msg),
                     AEGIS_ERR_CONFIG_CONFLICT);
    assert_non_null(strstr(msg, "tee.sim_fault_file"));
    aegis_free(msg);
}

static void test_legacy_phala_only(void **state)
{
    (void)state;
    aegis_config c;
    char *msg = NULL;
    /* dstack primary, no backup: valid, deprecated */
    assert_int_equal(load(&c, "[phala]\nnetwork = \"testnet\"\n[worker]\nenclave_type = \"TDX\"\n"
                              "[tee]\nprimary = \"dstack\"\n",
                          &msg),
                     AEGIS_OK);
    assert_string_equal(c.tee_backup, "");   /* [phala] does not add dstack as its own backup */
    assert_string_equal(c.phala_network, "testnet");
    int i = find_warning(&c, "DEPRECATED");
    assert_true(i >= 0);
    assert_true(find_warning(&c, "tee.primary = \"dstack\" with no tee.backup") == i);
    aegis_config_clear(&c);
    /* a dstack primary with a backup is not the legacy mode */
    assert_int_equal(load(&c, "[worker]\nenclave_type = \"TDX\"\n[tee]\nprimary = \"dstack\"\nbackup = \"tdx\"\n", &msg), AEGIS_OK);
    assert_int_equal(find_warning(&c, "DEPRECATED"), -1);
    aegis_config_clear(&c);
    /* the recommended shape: tdx primary, [phala] adds the dstack backup */
    assert_int_equal(load(&c, "[phala]\nnetwork = \"mainnet\"\n[worker]\nenclave_type = \"TDX\"\n"
                              "[tee]\nprimary = \"tdx\"\n",
                          &msg),
                     AEGIS_OK);
    assert_string_equal(c.tee_backup, "dstack");
    assert_int_equal(find_warning(&c, "DEPRECATED"), -1);
    aegis_config_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_on_primary_failure),
        cmocka_unit_test(test_fault_file_warned),
        cmocka_unit_test(test_legacy_phala_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
