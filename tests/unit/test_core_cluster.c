/* test_core_cluster.c - the trusted side of the cluster: a joiner receives
 * the key set only through an attested request, sealed to its transport key;
 * wrong measurements, tampered grants and another cluster's key set are
 * refused; co-attestations count once per worker and only for their batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "core_fixture.h"

#define FAKE_A "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11"
#define FAKE_B "bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22"

static bool file_exists(const char *dir, const char *name)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* A member (fake measurement A) and a joiner with measurement m. */
static void setup(fx_core *member, fx_core *joiner, const char *m)
{
    fx_init(member);
    member->cfg.worker_id = (char *)"w1";
    member->cfg.max_workers = 3;
    member->cfg.tee_sim_measurement = (char *)FAKE_A;
    fx_start(member);
    fx_init(joiner);
    joiner->cfg.worker_id = (char *)"w2";
    joiner->cfg.tee_sim_measurement = (char *)m;
}

/* AEGIS_CLUSTER_SEEDS=DIR writes the fuzz seeds (fuzz/corpus/cluster/):
 * the selector byte, then the message. */
static void seed(const char *name, uint8_t selector, const char *msg)
{
    const char *dir = getenv("AEGIS_CLUSTER_SEEDS");
    if (!dir)
        return;
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputc(selector, f);
    fputs(msg, f);
    fclose(f);
}

static void test_join_grant(void **state)
{
    (void)state;
    fx_core a, b;
    setup(&a, &b, FAKE_A);
    aegis_core_joiner *j = NULL;
    char *req = NULL, *grant = NULL, who[136];
    const char *why = NULL;
    assert_int_equal(aegis_core_join_new(&j, &b.cfg, b.dir, &req, &why), AEGIS_OK);
    /* the request carries public keys and a quote, never the key set */
    assert_non_null(strstr(req, "\"type\":\"join\""));
    /* granted only once admitted from the log */
    assert_int_equal(aegis_core_key_grant(a.core, req, strlen(req), &grant, who, sizeof(who), &why),
                     AEGIS_ERR_CLUSTER_NOT_ADMITTED);
    assert_null(grant);
    assert_int_equal(aegis_core_cluster_admit(a.core, req, strlen(req), who, sizeof(who), &why), AEGIS_OK);
    assert_int_equal(aegis_core_key_grant(a.core, req, strlen(req), &grant, who, sizeof(who), &why), AEGIS_OK);
    assert_string_equal(who, "w2");
    seed("join_request.json", 3, req);
    seed("grant.json", 4, grant);
    uint8_t genesis[32];
    aegis_core_keyset_hash(a.core, genesis);

    /* a flipped byte anywhere in the wrapped key set: refused, nothing saved */
    char *bad = aegis_strdup(grant);
    char *w = strstr(bad, "\"wrapped\":\"0x");
    assert_non_null(w);
    w[40] = w[40] == '0' ? '1' : '0';
    assert_int_not_equal(aegis_core_join_finish(j, bad, strlen(bad), genesis, &why), AEGIS_OK);
    assert_false(file_exists(b.dir, "keyset.sealed"));
    aegis_free(bad);
    /* another cluster's genesis: refused */
    uint8_t other[32];
    memset(other, 7, 32);
    assert_int_equal(aegis_core_join_finish(j, grant, strlen(grant), other, &why), AEGIS_ERR_CLUSTER_GENESIS);
    assert_false(file_exists(b.dir, "keyset.sealed"));

    assert_int_equal(aegis_core_join_finish(j, grant, strlen(grant), genesis, &why), AEGIS_OK);
    assert_true(file_exists(b.dir, "keyset.sealed"));
    aegis_core_join_free(j);
    /* the joiner's core now opens the cluster's key set, sealed under its own TEE */
    fx_start(&b);
    uint8_t mine[32];
    aegis_core_keyset_hash(b.core, mine);
    assert_memory_equal(mine, genesis, 32);
    uint8_t ea[AEGIS_KEYSET_PUB_BYTES], eb[AEGIS_KEYSET_PUB_BYTES];
    aegis_keyset_pub_encode(ea, &a.pub);
    aegis_keyset_pub_encode(eb, &b.pub);
    assert_memory_equal(ea, eb, sizeof(ea));
    aegis_free(req);
    aegis_free(grant);
    fx_done(&a);
    fx_done(&b);
}

static void test_wrong_measurement(void **state)
{
    (void)state;
    fx_core a, b;
    setup(&a, &b, FAKE_B);
    aegis_core_joiner *j = NULL;
    char *req = NULL, *grant = NULL, who[136];
    const char *why = NULL;
    assert_int_equal(aegis_core_join_new(&j, &b.cfg, b.dir, &req, &why), AEGIS_OK);
    assert_int_equal(aegis_core_cluster_admit(a.core, req, strlen(req), who, sizeof(who), &why), AEGIS_OK);
    assert_int_equal(aegis_core_key_grant(a.core, req, strlen(req), &grant, who, sizeof(who), &why),
                     AEGIS_ERR_CLUSTER_JOIN_REFUSED);
    assert_null(grant);
    assert_non_null(why);
    assert_non_null(strstr(why, "measurement"));
    /* a request whose transport key was swapped after attesting: refused */
    char *swapped = aegis_strdup(req);
    char *t = strstr(swapped, "\"transport\":\"0x");
    assert_non_null(t);
    t[200] = t[200] == 'a' ? 'b' : 'a';
    assert_int_not_equal(aegis_core_key_grant(a.core, swapped, strlen(swapped), &grant, who, sizeof(who), &why),
                         AEGIS_OK);
    aegis_free(swapped);
    /* garbage */
    assert_int_equal(aegis_core_key_grant(a.core, "{}", 2, &grant, who, sizeof(who), &why), AEGIS_ERR_CLUSTER_RECORD);
    assert_int_equal(aegis_core_key_grant(a.core, "nope", 4, &grant, who, sizeof(who), &why), AEGIS_ERR_CLUSTER_RECORD);
    aegis_core_join_free(j);
    aegis_free(req);
    fx_done(&a);
    fx_done(&b);
}

/* An allow-list admits a measurement other than the member's own. */
static void test_allow_list(void **state)
{
    (void)state;
    fx_core a, b;
    fx_init(&a);
    a.cfg.worker_id = (char *)"w1";
    a.cfg.tee_sim_measurement = (char *)FAKE_A;
    a.cfg.cluster_measurements.items[0] = (char *)FAKE_A;
    a.cfg.cluster_measurements.items[1] = (char *)FAKE_B;
    a.cfg.cluster_measurements.n = 2;
    fx_start(&a);
    fx_init(&b);
    b.cfg.worker_id = (char *)"w3";
    b.cfg.tee_sim_measurement = (char *)FAKE_B;
    aegis_core_joiner *j = NULL;
    char *req = NULL, *grant = NULL, who[136];
    const char *why = NULL;
    assert_int_equal(aegis_core_join_new(&j, &b.cfg, b.dir, &req, &why), AEGIS_OK);
    assert_int_equal(aegis_core_cluster_admit(a.core, req, strlen(req), who, sizeof(who), &why), AEGIS_OK);
    assert_int_equal(aegis_core_key_grant(a.core, req, strlen(req), &grant, who, sizeof(who), &why), AEGIS_OK);
    /* but the joiner (policy: its own measurement B) does not trust A's grant */
    uint8_t genesis[32];
    aegis_core_keyset_hash(a.core, genesis);
    assert_int_equal(aegis_core_join_finish(j, grant, strlen(grant), genesis, &why), AEGIS_ERR_CLUSTER_JOIN_REFUSED);
    aegis_core_join_free(j);
    aegis_free(req);
    aegis_free(grant);
    a.cfg.cluster_measurements.n = 0;
    fx_done(&a);
    fx_done(&b);
}

static void test_coattest(void **state)
{
    (void)state;
    fx_core a;
    fx_init(&a);
    a.cfg.worker_id = (char *)"w1";
    fx_start(&a);
    uint8_t h[32], other[32];
    memset(h, 0x5a, 32);
    memset(other, 0x5b, 32);
    char *c1 = NULL, *c2 = NULL, *c3 = NULL;
    assert_int_equal(aegis_core_coattest(a.core, "w1", 7, h, &c1), AEGIS_OK);
    assert_int_equal(aegis_core_coattest(a.core, "w2", 7, h, &c2), AEGIS_OK);
    assert_int_equal(aegis_core_coattest(a.core, "w3", 8, h, &c3), AEGIS_OK);   /* another number */
    seed("coattest.json", 1, c2);
    json_t *arr = json_array();
    json_array_append_new(arr, json_loads(c1, 0, NULL));
    json_array_append_new(arr, json_loads(c1, 0, NULL));   /* the same worker twice counts once */
    json_array_append_new(arr, json_loads(c2, 0, NULL));
    json_array_append_new(arr, json_loads(c3, 0, NULL));
    aegis_chain_verify_opts o = { .allow_sim = true };
    const char *why = NULL;
    assert_int_equal(aegis_chain_count_coattests(arr, 7, h, &o, &why), 2);
    assert_non_null(why);   /* the one for batch 8 */
    assert_int_equal(aegis_chain_count_coattests(arr, 7, other, &o, &why), 0);
    assert_int_equal(aegis_chain_count_coattests(arr, 8, h, &o, &why), 1);
    /* sim refused without allow_sim */
    aegis_chain_verify_opts strict = { .allow_sim = false };
    assert_int_equal(aegis_chain_count_coattests(arr, 7, h, &strict, &why), 0);
    /* a co-attestation relabelled to another worker no longer verifies */
    json_t *forged = json_loads(c2, 0, NULL);
    json_object_set_new(forged, "worker", json_string("w9"));
    json_t *arr2 = json_array();
    json_array_append_new(arr2, forged);
    assert_int_equal(aegis_chain_count_coattests(arr2, 7, h, &o, &why), 0);
    json_decref(arr);
    json_decref(arr2);
    aegis_free(c1);
    aegis_free(c2);
    aegis_free(c3);
    fx_done(&a);
}

/* The member set, applied from the log's join records: at most max_workers
 * distinct workers (the founder first), a worker joining again is the same
 * member, malformed records and ids that could name subjects are refused. */
static void test_member_cap(void **state)
{
    (void)state;
    fx_core a;
    fx_init(&a);
    a.cfg.worker_id = (char *)"w1";
    a.cfg.max_workers = 3;
    fx_start(&a);
    char who[136];
    const char *why = NULL;
    const char *w1 = "{\"type\":\"join\",\"worker\":\"w1\"}", *w2 = "{\"type\":\"join\",\"worker\":\"w2\"}",
               *w3 = "{\"type\":\"join\",\"worker\":\"w3\"}", *w4 = "{\"type\":\"join\",\"worker\":\"w4\"}";
    assert_int_equal(aegis_core_cluster_admit(a.core, w1, strlen(w1), who, sizeof(who), &why), AEGIS_OK);
    assert_string_equal(who, "w1");
    assert_int_equal(aegis_core_cluster_admit(a.core, w2, strlen(w2), who, sizeof(who), &why), AEGIS_OK);
    assert_int_equal(aegis_core_cluster_admit(a.core, w2, strlen(w2), who, sizeof(who), &why), AEGIS_OK);
    assert_int_equal(aegis_core_cluster_members(a.core), 2);
    assert_int_equal(aegis_core_cluster_admit(a.core, w3, strlen(w3), who, sizeof(who), &why), AEGIS_OK);
    assert_int_equal(aegis_core_cluster_admit(a.core, w4, strlen(w4), who, sizeof(who), &why), AEGIS_ERR_CLUSTER_FULL);
    assert_non_null(why);
    assert_int_equal(aegis_core_cluster_members(a.core), 3);
    assert_int_equal(aegis_core_cluster_admit(a.core, w1, strlen(w1), who, sizeof(who), &why), AEGIS_OK);
    static const char *const bad[] = { "{}", "nope", "{\"type\":\"join\"}", "{\"type\":\"grant\",\"worker\":\"w9\"}",
                                       "{\"type\":\"join\",\"worker\":\"a.b\"}", "{\"type\":\"join\",\"worker\":\"a b\"}",
                                       "{\"type\":\"join\",\"worker\":\"\"}", "{\"type\":\"join\",\"worker\":7}" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(aegis_core_cluster_admit(a.core, bad[i], strlen(bad[i]), who, sizeof(who), &why),
                         AEGIS_ERR_CLUSTER_RECORD);
    fx_done(&a);
}

/* A hardware (tdx) join attestation is verified with cluster.collateral: a
 * real Intel TDX quote (tests/vectors/attestation/tdx_v4_dcapqvl) put in a
 * join request is refused for want of collateral without it; with it, the
 * quote goes through DCAP verification (which refuses it here, at the wall
 * clock: that collateral expired in 2025, and the quote binds no transport
 * key of ours). A tdx or dstack cluster config without it is refused. */
static void test_hardware_join(void **state)
{
    (void)state;
    fx_core a, b;
    setup(&a, &b, FAKE_A);
    aegis_core_joiner *j = NULL;
    char *req = NULL, who[136], path[700], coll[700];
    const char *why = NULL, *root = getenv("AEGIS_ROOT");
    assert_int_equal(aegis_core_join_new(&j, &b.cfg, b.dir, &req, &why), AEGIS_OK);
    snprintf(path, sizeof(path), "%s/tests/vectors/attestation/tdx_v4_dcapqvl/quote.bin", root ? root : ".");
    snprintf(coll, sizeof(coll), "%s/tests/vectors/attestation/tdx_v4_dcapqvl/collateral.json", root ? root : ".");
    uint8_t *quote = NULL;
    size_t qlen = 0;
    assert_int_equal(aegis_file_read(path, 1 << 20, &quote, &qlen), AEGIS_OK);
    json_t *r = json_loads(req, 0, NULL);
    json_t *att = json_object_get(r, "attestation");
    assert_non_null(att);
    json_object_set_new(att, "backend", json_string("tdx"));
    json_object_set_new(att, "insecure", json_false());
    json_object_set_new(att, "quote", aegis_json_hex(quote, qlen));
    char *hw = json_dumps(r, JSON_COMPACT);
    assert_non_null(hw);
    assert_int_equal(aegis_core_join_check(a.core, hw, strlen(hw), who, sizeof(who), &why),
                     AEGIS_ERR_CLUSTER_JOIN_REFUSED);
    assert_non_null(why);
    assert_non_null(strstr(why, "needs collateral"));
    fx_done(&a);

    fx_init(&a);
    a.cfg.worker_id = (char *)"w1";
    a.cfg.max_workers = 3;
    a.cfg.tee_sim_measurement = (char *)FAKE_A;
    a.cfg.cluster_collateral = coll;
    fx_start(&a);
    why = NULL;
    assert_int_equal(aegis_core_join_check(a.core, hw, strlen(hw), who, sizeof(who), &why),
                     AEGIS_ERR_CLUSTER_JOIN_REFUSED);
    assert_non_null(why);
    assert_null(strstr(why, "needs collateral"));   /* DCAP ran: it refused on its own grounds */
    assert_string_equal(who, "w2");

    /* a tdx cluster worker without cluster.collateral: the config is refused */
    static const char toml[] = "[worker]\nid = \"w1\"\nmax_workers = 3\n[tee]\nprimary = \"tdx\"\n"
                               "[cluster]\nnats_urls = [\"nats://127.0.0.1:4222\"]\nuser = \"u\"\n"
                               "password_file = \"pw\"\n";
    aegis_config cfg;
    char *msg = NULL;
    assert_int_equal(aegis_config_load_buffer(&cfg, "t.toml", toml, sizeof(toml) - 1, &msg),
                     AEGIS_ERR_CONFIG_CONFLICT);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "cluster.collateral"));
    aegis_free(msg);
    free(hw);
    json_decref(r);
    aegis_free(quote);
    aegis_free(req);
    aegis_core_join_free(j);
    fx_done(&a);
    fx_done(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_grant),
        cmocka_unit_test(test_wrong_measurement),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_coattest),
        cmocka_unit_test(test_member_cap),
        cmocka_unit_test(test_hardware_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
