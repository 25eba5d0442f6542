/* test_cluster.c - the cluster's records (host side): cut records round-trip
 * and are parsed strictly; co-attestations must name the worker of their
 * subject; published batches give their number and hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aegis/cluster.h"

static aegis_err cut(const char *s, aegis_cluster_cut *c)
{
    return aegis_cluster_cut_parse((const uint8_t *)s, strlen(s), c);
}

static void test_cut_round_trip(void **state)
{
    (void)state;
    aegis_cluster_cut c = { .number = 42, .ts_ms = 1796631105051ull, .after = 977 }, r;
    strcpy(c.leader, "worker-2");
    char buf[AEGIS_CLUSTER_CUT_MAX];
    size_t n = aegis_cluster_cut_encode(buf, sizeof(buf), &c);
    assert_true(n > 0);
    assert_int_equal(aegis_cluster_cut_parse((const uint8_t *)buf, n, &r), AEGIS_OK);
    assert_int_equal(r.number, 42);
    assert_int_equal(r.ts_ms, 1796631105051ull);
    assert_string_equal(r.leader, "worker-2");
    assert_int_equal(r.after, 977);
    aegis_cluster_cut g = { .number = 0 };
    n = aegis_cluster_cut_encode(buf, sizeof(buf), &g);
    assert_int_equal(aegis_cluster_cut_parse((const uint8_t *)buf, n, &r), AEGIS_OK);
    assert_int_equal(r.number, 0);
    /* a leader id that would break a NATS subject is never encoded */
    strcpy(c.leader, "w.1");
    assert_int_equal(aegis_cluster_cut_encode(buf, sizeof(buf), &c), 0);
    assert_int_equal(aegis_cluster_cut_encode(buf, 10, &g), 0);
}

static void test_cut_strict(void **state)
{
    (void)state;
    aegis_cluster_cut c;
    const char *bad[] = {
        "", "null", "[]", "{}", "{\"type\":\"cut\"}",
        "{\"type\":\"cut\",\"number\":-1}",
        "{\"type\":\"cut\",\"number\":1.5,\"ts\":1,\"leader\":\"w\"}",
        "{\"type\":\"cut\",\"number\":\"3\",\"ts\":1,\"leader\":\"w\"}",
        "{\"type\":\"cut\",\"number\":3,\"leader\":\"w\"}",
        "{\"type\":\"cut\",\"number\":3,\"ts\":0,\"leader\":\"w\"}",
        "{\"type\":\"cut\",\"number\":3,\"ts\":5}",
        "{\"type\":\"cut\",\"number\":3,\"ts\":5,\"leader\":\"\"}",
        "{\"type\":\"cut\",\"number\":3,\"ts\":5,\"leader\":\"a b\"}",
        "{\"type\":\"cut\",\"number\":3,\"ts\":5,\"leader\":\"w\",\"extra\":1}",
        "{\"type\":\"cut\",\"number\":3,\"ts\":5,\"leader\":\"w\"}",
        "{\"type\":\"cut\",\"number\":3,\"ts\":5,\"leader\":\"w\",\"after\":0}",
        "{\"type\":\"cut\",\"number\":3,\"ts\":5,\"leader\":\"w\",\"after\":\"7\"}",
        "{\"type\":\"cut\",\"number\":3,\"ts\":5,\"leader\":\"w\",\"after\":7,\"extra\":1}",
        "{\"type\":\"cut\",\"number\":3,\"number\":4,\"ts\":5,\"leader\":\"w\"}",
        "{\"type\":\"cut\",\"number\":0,\"ts\":5}",
        "{\"type\":\"batch\",\"number\":3,\"ts\":5,\"leader\":\"w\"}",
        "{\"type\":\"cut\",\"number\":99999999999999999999,\"ts\":5,\"leader\":\"w\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cut(bad[i], &c) != AEGIS_ERR_CLUSTER_RECORD)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(c.number, 0);
    }
    assert_int_equal(aegis_cluster_cut_parse(NULL, 0, &c), AEGIS_ERR_CLUSTER_RECORD);
}

static void test_coattest_and_batch(void **state)
{
    (void)state;
    const char *ok = "{\"type\":\"coattest\",\"worker\":\"w2\",\"number\":5,\"hash\":\"0x"
                     "0101010101010101010101010101010101010101010101010101010101010101\",\"attestation\":{}}";
    aegis_cluster_coatt ca;
    assert_int_equal(aegis_cluster_coattest_parse((const uint8_t *)ok, strlen(ok), "w2", &ca), AEGIS_OK);
    assert_int_equal(ca.number, 5);
    assert_string_equal(ca.worker, "w2");
    assert_int_equal(ca.hash[31], 1);
    /* published under another worker's subject: refused */
    assert_int_equal(aegis_cluster_coattest_parse((const uint8_t *)ok, strlen(ok), "w3", &ca), AEGIS_ERR_CLUSTER_RECORD);
    const char *nohash = "{\"type\":\"coattest\",\"worker\":\"w2\",\"number\":5,\"hash\":\"0x01\",\"attestation\":{}}";
    assert_int_equal(aegis_cluster_coattest_parse((const uint8_t *)nohash, strlen(nohash), "w2", &ca),
                     AEGIS_ERR_CLUSTER_RECORD);
    uint64_t n = 0;
    uint8_t h[32];
    const char *dis = "{\"type\":\"dissent\",\"worker\":\"w2\",\"number\":4,\"mine\":\""
                      "0101010101010101010101010101010101010101010101010101010101010101\",\"published\":\""
                      "0202020202020202020202020202020202020202020202020202020202020202\"}";
    assert_int_equal(aegis_cluster_dissent_parse((const uint8_t *)dis, strlen(dis), "w2", &n), AEGIS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(aegis_cluster_dissent_parse((const uint8_t *)dis, strlen(dis), "w1", &n), AEGIS_ERR_CLUSTER_RECORD);
    assert_int_equal(aegis_cluster_dissent_parse((const uint8_t *)"{\"type\":\"dissent\"}", 18, "w2", &n),
                     AEGIS_ERR_CLUSTER_RECORD);
    const char *b = "{\"number\":9,\"hash\":\"0x0202020202020202020202020202020202020202020202020202020202020202\"}";
    assert_int_equal(aegis_cluster_batch_parse((const uint8_t *)b, strlen(b), &n, h), AEGIS_OK);
    assert_int_equal(n, 9);
    assert_int_equal(h[0], 2);
    assert_int_equal(aegis_cluster_batch_parse((const uint8_t *)"{\"number\":0}", 12, &n, h), AEGIS_ERR_CLUSTER_RECORD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_round_trip),
        cmocka_unit_test(test_cut_strict),
        cmocka_unit_test(test_coattest_and_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
