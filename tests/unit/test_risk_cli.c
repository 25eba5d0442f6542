/*
 * test_risk_cli.c - `aegis risk sign` (the binary from $AEGIS_BIN) with a
 * key from `aegis keygen --type ml-dsa-87`: its output is accepted by a
 * monitor that trusts the .pub file, overrides and recommendations arrive,
 * and bad arguments exit 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "aegis/risk.h"

static int run(const char *args, char *out, size_t cap)
{
    const char *bin = getenv("AEGIS_BIN");
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/aegis %s 2>/dev/null", bin ? bin : "build/bin", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_sign_accepted(void **state)
{
    (void)state;
    char dir[] = "/tmp/aegis-test-riskcli-XXXXXX", args[512], keyp[128], pubp[128];
    static char out[65536];
    assert_non_null(mkdtemp(dir));
    snprintf(args, sizeof(args), "keygen --type ml-dsa-87 --out %s/oracle", dir);
    assert_int_equal(run(args, out, sizeof(out)), 0);
    snprintf(keyp, sizeof(keyp), "%s/oracle.key", dir);
    snprintf(pubp, sizeof(pubp), "%s/oracle.pub", dir);

    uint64_t now = aegis_wall_ms();
    snprintf(args, sizeof(args), "risk sign --key %s --score 9500 --seq 7 --source qrm-9 --at %llu "
             "--asset vault-1=9900 --alg ML-DSA-87", keyp, (unsigned long long)now);
    assert_int_equal(run(args, out, sizeof(out)), 0);

    struct aegis_risk_config rc;
    aegis_risk_config_defaults(&rc);
    aegis_risk_monitor *m = NULL;
    assert_int_equal(aegis_risk_monitor_new(&rc, &m), AEGIS_OK);
    char *paths[1] = { pubp };
    aegis_strlist l = { { paths[0] }, 1 };
    assert_int_equal(aegis_risk_monitor_load_oracles(m, &l, NULL), AEGIS_OK);
    struct aegis_risk_decision d;
    assert_int_equal(aegis_risk_submit(m, out, strlen(out), now + 5, &d), AEGIS_OK);
    assert_string_equal(d.source, "qrm-9");
    assert_int_equal(d.seq, 7);
    assert_int_equal(aegis_risk_level(m), AEGIS_RISK_EMERGENCY);
    uint16_t s;
    assert_true(aegis_risk_asset_score(m, "vault-1", &s));
    assert_int_equal(s, 9900);
    assert_int_equal(aegis_risk_recommended(m), AEGIS_ALG_MLDSA87);
    aegis_risk_monitor_free(m);

    /* usage errors */
    snprintf(args, sizeof(args), "risk sign --key %s --score 10001", keyp);
    assert_int_equal(run(args, out, sizeof(out)), 2);
    snprintf(args, sizeof(args), "risk sign --key %s", keyp);
    assert_int_equal(run(args, out, sizeof(out)), 2);
    assert_int_equal(run("risk frobnicate", out, sizeof(out)), 2);
    /* a public key where the secret one belongs */
    snprintf(args, sizeof(args), "risk sign --key %s --pub %s --score 1", pubp, pubp);
    assert_int_equal(run(args, out, sizeof(out)), 1);
    unlink(keyp);
    unlink(pubp);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_sign_accepted) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
