/* test_config.c - config schema, loader and validation: defaults, the
 * shipped files (config/phala.toml, config/aegis.toml, the spec's
 * phala.toml), one test per validation rule, overrides, printing
 * round-trip and docs/config.md being in sync with the schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/config.h"
#include "aegis/util.h"

static char *path_in(const char *envvar, const char *fallback, const char *rel)
{
    const char *root = getenv(envvar);
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s/%s", root ? root : fallback, rel);
    return buf;
}

static void test_defaults(void **state)
{
    (void)state;
    aegis_config c;
    assert_int_equal(aegis_config_defaults(&c), AEGIS_OK);
    assert_string_equal(c.node_id, "aegis-node-1");
    assert_string_equal(c.data_dir, "./var");
    assert_int_equal(c.chain_id, 1);
    assert_string_equal(c.rpc_listen, "127.0.0.1:8545");
    assert_int_equal(c.rpc_max_body, 1048576);
    assert_int_equal(c.rpc_max_connections, 1024);
    assert_int_equal(c.rpc_timeout_ms, 10000);
    assert_int_equal(c.rpc_threads, 8);
    assert_int_equal(c.rpc_max_batch, 100);
    assert_string_equal(c.storage_backend, "sqlite");
    assert_int_equal(c.storage_group_commit_us, 200);
    assert_string_equal(c.tee_primary, "sim");
    assert_string_equal(c.tee_backup, "");
    assert_false(c.tee_require_backup);
    assert_string_equal(c.tee_attest_mode, "per-batch");
    assert_string_equal(c.tee_configfs_root, "/sys/kernel/config/tsm/report");
    assert_string_equal(c.tee_dstack_socket, "/var/run/dstack.sock");
    assert_int_equal(c.mempool_capacity, 10000);
    assert_int_equal(c.mempool_per_sender, 64);
    assert_int_equal(c.mempool_price_bump_pct, 10);
    assert_int_equal(c.mempool_expiry_s, 3600);
    assert_int_equal(c.mempool_max_envelope, 131072);
    assert_int_equal(c.batch_max, 50);
    assert_int_equal(c.batch_interval_ms, 1000);
    assert_string_equal(c.batch_slh_mode, "epoch");
    assert_int_equal(c.batch_seal_every, 20);
    assert_int_equal(c.batch_max_wait, 10);
    assert_int_equal(c.checkpoint_interval, 100);
    assert_string_equal(c.log_level, "info");
    assert_string_equal(c.log_format, "logfmt");
    assert_string_equal(c.log_file, "");
    assert_false(c.phala_enabled);
    assert_string_equal(c.enclave_type, "SIM");
    assert_int_equal(c.min_workers, 1);
    assert_int_equal(c.max_workers, 1);
    assert_int_equal(c.signature_algorithms.n, 2);
    assert_string_equal(c.signature_algorithms.items[0], "ML-DSA-87");
    assert_string_equal(c.signature_algorithms.items[1], "SLH-DSA-256s");
    assert_true(c.hybrid_ecdsa);
    assert_int_equal(c.risk_scheduled, 6000);
    assert_int_equal(c.risk_emergency, 9000);
    assert_int_equal(c.oracle_keys.n, 0);
    assert_string_equal(c.mode, "hybrid");
    assert_true(c.enable_asset_protection);
    assert_true(c.enable_migration);
    char *msg = NULL;
    assert_int_equal(aegis_config_validate(&c, &msg), AEGIS_OK);
    assert_null(msg);
    aegis_config_clear(&c);
    assert_null(c.node_id);
    aegis_config_clear(&c); /* twice is fine */
}

static void check_phala(const char *path)
{
    aegis_config c;
    char *msg = NULL;
    aegis_err err = aegis_config_load_file(&c, path, &msg);
    if (err)
        print_error("%s\n", msg);
    assert_int_equal(err, AEGIS_OK);
    assert_true(c.phala_enabled);
    assert_string_equal(c.phala_network, "mainnet");
    assert_string_equal(c.worker_id, "quantumaegis-sequencer");
    assert_string_equal(c.enclave_type, "TDX");
    assert_int_equal(c.min_workers, 3);
    assert_int_equal(c.max_workers, 10);
    assert_int_equal(c.signature_algorithms.n, 2);
    assert_string_equal(c.signature_algorithms.items[1], "SLH-DSA-256s");
    assert_true(c.hybrid_ecdsa);
    assert_int_equal(c.risk_scheduled, 6000);
    assert_int_equal(c.risk_emergency, 9000);
    assert_string_equal(c.mode, "hybrid");
    assert_true(c.enable_asset_protection);
    assert_true(c.enable_migration);
    /* [phala] selects dstack as the backup TEE */
    assert_string_equal(c.tee_primary, "sim");
    assert_string_equal(c.tee_backup, "dstack");
    /* TDX enclave on the sim backend: allowed, with a warning */
    const char *w[8];
    size_t nw = aegis_config_warnings(&c, w, 8);
    assert_true(nw >= 1);
    assert_non_null(strstr(w[0], "simulated"));
    assert_int_equal(aegis_config_validate(&c, &msg), AEGIS_OK);
    aegis_config_clear(&c);
}

static void test_phala_files(void **state)
{
    (void)state;
    check_phala(path_in("AEGIS_ROOT", ".", "config/phala.toml"));
    FILE *f = fopen(path_in("AEGIS_SHARED", "../shared", "spec/phala.toml"), "r");
    if (f) {
        fclose(f);
        check_phala(path_in("AEGIS_SHARED", "../shared", "spec/phala.toml"));
    }
}

static void test_aegis_toml(void **state)
{
    (void)state;
    aegis_config c, d;
    char *msg = NULL;
    aegis_err err = aegis_config_load_file(&c, path_in("AEGIS_ROOT", ".", "config/aegis.toml"), &msg);
    if (err)
        print_error("%s\n", msg);
    assert_int_equal(err, AEGIS_OK);
    assert_string_equal(c.storage_backend, "sqlite");
    assert_string_equal(c.tee_primary, "sim");
    /* "../var" relative to config/: ./var at the top of the repository */
    size_t dl = strlen(c.data_dir);
    assert_true(dl >= 13 && strcmp(c.data_dir + dl - 13, "config/../var") == 0);
    assert_string_equal(c.rpc_listen, "127.0.0.1:8545");
    assert_int_equal(c.min_workers, 1);
    assert_int_equal(c.max_workers, 1);
    assert_false(c.phala_enabled);
    const char *w[4];
    assert_int_equal(aegis_config_warnings(&c, w, 4), 0);
    /* the shipped default file says exactly what the built-in defaults say
     * (its data_dir is the defaults' ./var, written relative to config/) */
    assert_int_equal(aegis_config_defaults(&d), AEGIS_OK);
    aegis_free(c.data_dir);
    c.data_dir = aegis_strdup(d.data_dir);
    char *a = NULL, *b = NULL;
    size_t al = 0, bl = 0;
    FILE *fa = open_memstream(&a, &al), *fb = open_memstream(&b, &bl);
    aegis_config_print(&c, fa);
    aegis_config_print(&d, fb);
    fclose(fa);
    fclose(fb);
    assert_string_equal(a, b);
    free(a);
    free(b);
    aegis_config_clear(&c);
    aegis_config_clear(&d);
}

/* Issue 12: relative paths in a config file are relative to its folder
 * (defaults included); absolute ones and a file in the working directory
 * are left alone. */
static void test_paths_relative_to_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/aegis-cfgpath-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/my.toml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[quantum]\noracle_keys = [\"keys/oracle.pub\", \"/abs/o.pub\"]\nrisk_file = \"./risk.json\"\n"
          "[logging]\nfile = \"\"\n", f);
    fclose(f);
    aegis_config c;
    char *msg = NULL, want[200];
    assert_int_equal(aegis_config_load_file(&c, path, &msg), AEGIS_OK);
    snprintf(want, sizeof(want), "%s/keys/oracle.pub", dir);
    assert_string_equal(c.oracle_keys.items[0], want);
    assert_string_equal(c.oracle_keys.items[1], "/abs/o.pub");
    snprintf(want, sizeof(want), "%s/risk.json", dir);
    assert_string_equal(c.risk_file, want);
    snprintf(want, sizeof(want), "%s/var", dir);
    assert_string_equal(c.data_dir, want);      /* the default ./var, next to the file */
    assert_string_equal(c.log_file, "");        /* empty stays empty */
    assert_string_equal(c.tee_dstack_socket, "/var/run/dstack.sock");
    aegis_config_clear(&c);
    unlink(path);
    rmdir(dir);
}

/* Printing the effective config gives TOML that loads back to the same. */
static void test_print_roundtrip(void **state)
{
    (void)state;
    const char *src = "[phala]\nnetwork = \"testnet\"\n[node]\nid = \"n \\\"q\\\" \\\\ \\t\"\n"
                      "[quantum]\noracle_keys = [\"/k/a.pub\", \"/k/b.pub\"]\nsignature_algorithms = [\"ML-DSA-87\"]\n"
                      "[worker]\nenclave_type = \"TDX\"\nmin_workers = 2\nmax_workers = 5\n";
    aegis_config c, r;
    char *msg = NULL, *out = NULL, *out2 = NULL;
    size_t ol = 0, ol2 = 0;
    assert_int_equal(aegis_config_load_buffer(&c, "rt.toml", src, strlen(src), &msg), AEGIS_OK);
    assert_string_equal(c.node_id, "n \"q\" \\ \t");
    FILE *f = open_memstream(&out, &ol);
    aegis_config_print(&c, f);
    fclose(f);
    assert_non_null(strstr(out, "[phala]\nnetwork = \"testnet\""));
    assert_int_equal(aegis_config_load_buffer(&r, "printed", out, ol, &msg), AEGIS_OK);
    f = open_memstream(&out2, &ol2);
    aegis_config_print(&r, f);
    fclose(f);
    assert_string_equal(out, out2);
    assert_int_equal(r.oracle_keys.n, 2);
    assert_string_equal(r.oracle_keys.items[1], "/k/b.pub");
    assert_true(r.phala_enabled);
    free(out);
    free(out2);
    aegis_config_clear(&c);
    aegis_config_clear(&r);

    /* without [phala], the printed section is commented out */
    assert_int_equal(aegis_config_defaults(&c), AEGIS_OK);
    f = open_memstream(&out, &ol);
    aegis_config_print(&c, f);
    fclose(f);
    assert_non_null(strstr(out, "# [phala]\n# network = \"mainnet\""));
    assert_int_equal(aegis_config_load_buffer(&r, "printed", out, ol, &msg), AEGIS_OK);
    assert_false(r.phala_enabled);
    free(out);
    aegis_config_clear(&c);
    aegis_config_clear(&r);
}

/* Load text that must fail with code; the message must name the file, the
 * position (when given) and the key. The config is left cleared. */
static void bad(const char *text, aegis_err code, const char *where, const char *key)
{
    aegis_config c;
    char *msg = NULL;
    memset(&c, 0xA5, sizeof(c));
    aegis_err err = aegis_config_load_buffer(&c, "t.toml", text, strlen(text), &msg);
    if (err != code || !msg || (where && !strstr(msg, where)) || (key && !strstr(msg, key)))
        print_error("input: %s\n -> %s: %s\n", text, aegis_err_name(err), msg ? msg : "(no message)");
    assert_int_equal(err, code);
    assert_non_null(msg);
    assert_true(strncmp(msg, "t.toml:", 7) == 0);
    if (where)
        assert_non_null(strstr(msg, where));
    if (key)
        assert_non_null(strstr(msg, key));
    assert_null(c.node_id);
    assert_int_equal(c.signature_algorithms.n, 0);
    aegis_free(msg);
}

#define UNK AEGIS_ERR_CONFIG_UNKNOWN_KEY
#define TYP AEGIS_ERR_CONFIG_TYPE
#define RNG AEGIS_ERR_CONFIG_RANGE
#define CHO AEGIS_ERR_CONFIG_CHOICE
#define CON AEGIS_ERR_CONFIG_CONFLICT

static void test_syntax_errors(void **state)
{
    (void)state;
    bad("[node]\nid = \"x\n", AEGIS_ERR_CONFIG_SYNTAX, "t.toml:2:8:", NULL);
    bad("[node]\n[node]\n", AEGIS_ERR_CONFIG_SYNTAX, "t.toml:2:2:", NULL);
    bad("[rpc]\nthreads = 01\n", AEGIS_ERR_CONFIG_SYNTAX, "t.toml:2:11:", NULL);
}

static void test_unknown(void **state)
{
    (void)state;
    bad("[nodes]\nid = \"x\"\n", UNK, "t.toml:1:2:", "[nodes]");
    bad("[node]\nid = \"x\"\ncolour = 1\n", UNK, "t.toml:3:1:", "node.colour");
    bad("id = \"x\"\n", UNK, "t.toml:1:1:", "id");
    bad("[[node]]\nid = \"x\"\n", UNK, "t.toml:1:3:", "node");
    bad("[node.extra]\nx = 1\n", UNK, "t.toml:1:7:", "node.extra");
    bad("[quantum]\nrisk = 1\n", UNK, "t.toml:2:1:", "quantum.risk");
    bad("[worker]\nMin_workers = 1\n", UNK, "t.toml:2:1:", "worker.Min_workers");
}

static void test_types(void **state)
{
    (void)state;
    bad("[rpc]\nthreads = \"2\"\n", TYP, "t.toml:2:11:", "rpc.threads");
    bad("[rpc]\nthreads = 2.0\n", TYP, "t.toml:2:11:", "rpc.threads");
    bad("[rpc]\nthreads = true\n", TYP, NULL, "rpc.threads");
    bad("[rpc]\nlisten = 8545\n", TYP, "t.toml:2:10:", "rpc.listen");
    bad("[node]\nid = [\"a\"]\n", TYP, NULL, "node.id");
    bad("[quantum]\nhybrid_ecdsa = \"yes\"\n", TYP, "t.toml:2:16:", "quantum.hybrid_ecdsa");
    bad("[quantum]\nhybrid_ecdsa = 1\n", TYP, NULL, "quantum.hybrid_ecdsa");
    bad("[quantum]\nsignature_algorithms = \"ML-DSA-87\"\n", TYP, NULL, "quantum.signature_algorithms");
    bad("[quantum]\nsignature_algorithms = [\"ML-DSA-87\", 5]\n", TYP, NULL, "quantum.signature_algorithms");
    bad("[quantum]\noracle_keys = [[\"x\"]]\n", TYP, NULL, "quantum.oracle_keys");
    bad("[node]\ndata_dir = 1979-05-27\n", TYP, NULL, "node.data_dir");
    bad("[tee]\nprimary = { name = \"sim\" }\n", TYP, NULL, "tee.primary");
}

static void test_ranges(void **state)
{
    (void)state;
    bad("[worker]\nmax_workers = 11\n", RNG, "t.toml:2:15:", "worker.max_workers");
    bad("[worker]\nmin_workers = 0\n", RNG, NULL, "worker.min_workers");
    bad("[worker]\nmin_workers = -1\n", RNG, NULL, "worker.min_workers");
    bad("[quantum]\nrisk_emergency = 10001\n", RNG, NULL, "quantum.risk_emergency");
    bad("[batch]\nmax = 0\n", RNG, NULL, "batch.max");
    bad("[batch]\nmax = 1001\n", RNG, NULL, "batch.max");
    bad("[rpc]\nmax_body = 10\n", RNG, NULL, "rpc.max_body");
    bad("[rpc]\nthreads = 9223372036854775807\n", RNG, NULL, "rpc.threads");
    bad("[node]\nchain_id = 0\n", RNG, NULL, "node.chain_id");
    bad("[node]\nid = \"\"\n", RNG, NULL, "node.id");
    bad("[node]\ndata_dir = \"\"\n", RNG, NULL, "node.data_dir");
    bad("[node]\nid = \"a\\u0000b\"\n", RNG, NULL, "node.id");
    bad("[quantum]\nsignature_algorithms = []\n", RNG, NULL, "quantum.signature_algorithms");
    bad("[rpc]\nlisten = \"localhost\"\n", RNG, "t.toml:2:10:", "rpc.listen");
    bad("[rpc]\nlisten = \"127.0.0.1:0\"\n", RNG, NULL, "rpc.listen");
    bad("[rpc]\nlisten = \"127.0.0.1:65536\"\n", RNG, NULL, "rpc.listen");
    bad("[rpc]\nlisten = \"127.0.0.1:80a\"\n", RNG, NULL, "rpc.listen");
    bad("[rpc]\nlisten = \":8545\"\n", RNG, NULL, "rpc.listen");
    bad("[rpc]\nlisten = \"::1:8545\"\n", RNG, NULL, "rpc.listen");
    /* IPv6 in brackets is fine */
    aegis_config c;
    const char *ok = "[rpc]\nlisten = \"[::1]:9000\"\n";
    assert_int_equal(aegis_config_load_buffer(&c, "t", ok, strlen(ok), NULL), AEGIS_OK);
    assert_string_equal(c.rpc_listen, "[::1]:9000");
    aegis_config_clear(&c);
}

static void test_choices(void **state)
{
    (void)state;
    bad("[intelligence]\nmode = \"random\"\n", CHO, "t.toml:2:8:", "intelligence.mode");
    bad("[intelligence]\nmode = \"FIFO\"\n", CHO, NULL, "intelligence.mode");
    bad("[quantum]\nsignature_algorithms = [\"ML-DSA-87\", \"Falcon-1024\"]\n", CHO, NULL,
        "quantum.signature_algorithms");
    bad("[quantum]\nsignature_algorithms = [\"ml-dsa-87\"]\n", CHO, NULL, "quantum.signature_algorithms");
    bad("[storage]\nbackend = \"lmdb\"\n", CHO, NULL, "storage.backend");
    bad("[tee]\nprimary = \"sev\"\n", CHO, NULL, "tee.primary");
    bad("[tee]\nattest_mode = \"never\"\n", CHO, NULL, "tee.attest_mode");
    bad("[worker]\nenclave_type = \"tdx\"\n", CHO, NULL, "worker.enclave_type");
    bad("[phala]\nnetwork = \"devnet\"\n", CHO, NULL, "phala.network");
    bad("[logging]\nlevel = \"verbose\"\n", CHO, NULL, "logging.level");
    bad("[logging]\nformat = \"xml\"\n", CHO, NULL, "logging.format");
    bad("[batch]\nslh_mode = \"sometimes\"\n", CHO, NULL, "batch.slh_mode");
    /* every mode and algorithm name the spec allows */
    const char *modes[] = { "fifo", "risk", "asset", "migration", "hybrid" };
    for (size_t i = 0; i < 5; i++) {
        char buf[128];
        aegis_config c;
        snprintf(buf, sizeof(buf), "[intelligence]\nmode = \"%s\"\n", modes[i]);
        assert_int_equal(aegis_config_load_buffer(&c, "t", buf, strlen(buf), NULL), AEGIS_OK);
        assert_string_equal(c.mode, modes[i]);
        aegis_config_clear(&c);
    }
    const char *algs = "[quantum]\nsignature_algorithms = [\"SLH-DSA-SHA2-256s\", \"ML-DSA-87\"]\n";
    aegis_config c;
    assert_int_equal(aegis_config_load_buffer(&c, "t", algs, strlen(algs), NULL), AEGIS_OK);
    assert_string_equal(c.signature_algorithms.items[0], "SLH-DSA-SHA2-256s");
    aegis_config_clear(&c);
}

static void test_contradictions(void **state)
{
    (void)state;
    bad("[quantum]\nrisk_scheduled = 9000\nrisk_emergency = 9000\n", CON, "t.toml:3:1:", "quantum.risk_emergency");
    bad("[quantum]\nrisk_scheduled = 9500\n", CON, "t.toml:", "quantum.risk_emergency");
    bad("[worker]\nenclave_type = \"TDX\"\nmin_workers = 5\nmax_workers = 3\n", CON, "t.toml:3:1:",
        "worker.min_workers");
    bad("[worker]\nenclave_type = \"TDX\"\nmin_workers = 2\nmax_workers = 2\n[storage]\nbackend = \"memory\"\n", CON,
        "t.toml:3:1:", "worker.min_workers");
    bad("[worker]\nenclave_type = \"TDX\"\nmax_workers = 4\n[storage]\nbackend = \"memory\"\n", CON, "t.toml:3:1:",
        "worker.max_workers");
    bad("[cluster]\nnats_urls = [\"nats://127.0.0.1:4222\"]\nattest_quorum = 4\n[worker]\nmin_workers = 3\nmax_workers = 3\n",
        CON, NULL, "cluster.attest_quorum");
    bad("[cluster]\nnats_urls = [\"127.0.0.1:4222\"]\n", CON, NULL, "cluster.nats_urls");
    bad("[cluster]\nnats_urls = [\"nats://127.0.0.1:4222\"]\n", CON, NULL, "worker.max_workers");
    bad("[cluster]\nnats_urls = [\"nats://127.0.0.1:4222\"]\nlease_ms = 300\nheartbeat_ms = 200\n", CON, NULL,
        "cluster.heartbeat_ms");
    bad("[cluster]\nnats_urls = [\"nats://127.0.0.1:4222\"]\nuser = \"w\"\n", CON, NULL, "cluster.password_file");
    bad("[cluster]\nnats_urls = [\"nats://127.0.0.1:4222\"]\nallowed_measurements = [\"abcd\"]\n", CON, NULL,
        "cluster.allowed_measurements");
    bad("[tee]\nsim_measurement = \"00\"\n", CON, NULL, "tee.sim_measurement");
    bad("[cluster]\nnats_urls = [\"nats://127.0.0.1:4222\"]\n[storage]\nbackend = \"memory\"\n", CON, NULL,
        "storage.backend \"memory\"");
    bad("[worker]\nenclave_type = \"SIM\"\n[tee]\nprimary = \"tdx\"\n", CON, "t.toml:2:1:", "worker.enclave_type");
    bad("[worker]\nenclave_type = \"SGX\"\n[tee]\nprimary = \"tdx\"\n", CON, NULL, "worker.enclave_type");
    bad("[worker]\nenclave_type = \"SGX\"\n[tee]\nprimary = \"dstack\"\n", CON, NULL, "worker.enclave_type");
    bad("[worker]\nenclave_type = \"TDX\"\n[tee]\nprimary = \"tdx\"\nbackup = \"tdx\"\n", CON, "t.toml:5:1:", "tee.backup");
    bad("[tee]\nrequire_backup = true\n", CON, "t.toml:2:1:", "tee.require_backup");
    {   /* two simulated TEEs (independent keys) may cross-validate in development */
        aegis_config c;
        const char *ok = "[tee]\nbackup = \"sim\"\nrequire_backup = true\n";
        assert_int_equal(aegis_config_load_buffer(&c, "t", ok, strlen(ok), NULL), AEGIS_OK);
        assert_string_equal(c.tee_backup, "sim");
        aegis_config_clear(&c);
    }
    bad("[worker]\nenclave_type = \"TDX\"\n[tee]\nprimary = \"dstack\"\nbackup = \"dstack\"\n", CON, "t.toml:5:1:",
        "tee.backup");
    bad("[intelligence]\nmode = \"asset\"\nenable_asset_protection = false\n", CON, "t.toml:2:1:", "intelligence.mode");
    bad("[intelligence]\nmode = \"migration\"\nenable_migration = false\n", CON, NULL, "intelligence.mode");
    bad("[quantum]\nsignature_algorithms = [\"ML-DSA-87\", \"ML-DSA-87\"]\n", CON, NULL, "quantum.signature_algorithms");
    bad("[quantum]\nsignature_algorithms = [\"SLH-DSA-256s\", \"SLH-DSA-SHA2-256s\"]\n", CON, NULL,
        "quantum.signature_algorithms");
    bad("[mempool]\ncapacity = 10\nper_sender = 11\n", CON, "t.toml:3:1:", "mempool.per_sender");
    bad("[rpc]\nmax_body = 4096\n", CON, "t.toml:", "mempool.max_envelope");

    /* the limits themselves are fine */
    const char *ok = "[quantum]\nrisk_scheduled = 0\nrisk_emergency = 1\n[worker]\nenclave_type = \"TDX\"\n"
                     "min_workers = 10\nmax_workers = 10\n[tee]\nprimary = \"tdx\"\nbackup = \"dstack\"\n"
                     "require_backup = true\n";
    aegis_config c;
    char *msg = NULL;
    assert_int_equal(aegis_config_load_buffer(&c, "t", ok, strlen(ok), &msg), AEGIS_OK);
    const char *w[4];
    /* several workers without a [cluster]: loads (the spec's phala.toml does), warns */
    assert_int_equal(aegis_config_warnings(&c, w, 4), 1);
    assert_non_null(strstr(w[0], "no [cluster]"));
    aegis_config_clear(&c);
    /* [phala] with dstack as primary does not pick dstack as backup too */
    const char *ph = "[phala]\nnetwork = \"local\"\n[worker]\nenclave_type = \"TDX\"\n[tee]\nprimary = \"dstack\"\n";
    assert_int_equal(aegis_config_load_buffer(&c, "t", ph, strlen(ph), &msg), AEGIS_OK);
    assert_string_equal(c.tee_backup, "");
    aegis_config_clear(&c);
    /* an explicit backup wins over the [phala] default */
    const char *ph2 = "[phala]\nnetwork = \"local\"\n[tee]\nbackup = \"\"\n";
    assert_int_equal(aegis_config_load_buffer(&c, "t", ph2, strlen(ph2), &msg), AEGIS_OK);
    assert_string_equal(c.tee_backup, "");
    aegis_config_clear(&c);
}

static void test_set_and_validate(void **state)
{
    (void)state;
    aegis_config c;
    char *msg = NULL;
    assert_int_equal(aegis_config_defaults(&c), AEGIS_OK);
    assert_int_equal(aegis_config_set(&c, "rpc", "listen", "127.0.0.1:9000", &msg), AEGIS_OK);
    assert_string_equal(c.rpc_listen, "127.0.0.1:9000");
    assert_int_equal(aegis_config_set(&c, "node", "data_dir", "/tmp/aegis-x", &msg), AEGIS_OK);
    assert_string_equal(c.data_dir, "/tmp/aegis-x");
    assert_int_equal(aegis_config_set(&c, "rpc", "listen", "nope", &msg), AEGIS_ERR_CONFIG_RANGE);
    assert_non_null(strstr(msg, "rpc.listen"));
    assert_string_equal(c.rpc_listen, "127.0.0.1:9000"); /* unchanged on error */
    assert_int_equal(aegis_config_set(&c, "rpc", "colour", "x", &msg), AEGIS_ERR_CONFIG_UNKNOWN_KEY);
    assert_non_null(strstr(msg, "rpc.colour"));
    assert_int_equal(aegis_config_set(&c, "rpc", "threads", "4", &msg), AEGIS_OK);
    assert_int_equal(c.rpc_threads, 4);
    assert_int_equal(aegis_config_set(&c, "rpc", "threads", "-4", &msg), AEGIS_ERR_CONFIG_TYPE);
    assert_int_equal(aegis_config_set(&c, "rpc", "threads", "4x", &msg), AEGIS_ERR_CONFIG_TYPE);
    assert_int_equal(aegis_config_set(&c, "rpc", "threads", "65", &msg), AEGIS_ERR_CONFIG_RANGE);
    assert_int_equal(aegis_config_set(&c, "rpc", "threads", "99999999999999999999999", &msg), AEGIS_ERR_CONFIG_RANGE);
    assert_int_equal(c.rpc_threads, 4);
    assert_int_equal(aegis_config_set(&c, "quantum", "hybrid_ecdsa", "false", &msg), AEGIS_OK);
    assert_false(c.hybrid_ecdsa);
    assert_int_equal(aegis_config_set(&c, "quantum", "hybrid_ecdsa", "no", &msg), AEGIS_ERR_CONFIG_TYPE);
    assert_int_equal(aegis_config_set(&c, "quantum", "signature_algorithms", " ML-DSA-87 , SLH-DSA-SHA2-256s ", &msg),
                     AEGIS_OK);
    assert_int_equal(c.signature_algorithms.n, 2);
    assert_string_equal(c.signature_algorithms.items[1], "SLH-DSA-SHA2-256s");
    assert_int_equal(aegis_config_set(&c, "quantum", "signature_algorithms", "ML-DSA-87,RSA", &msg),
                     AEGIS_ERR_CONFIG_CHOICE);
    assert_int_equal(c.signature_algorithms.n, 2);
    assert_int_equal(aegis_config_set(&c, "intelligence", "mode", "fifo", &msg), AEGIS_OK);
    assert_int_equal(aegis_config_validate(&c, &msg), AEGIS_OK);
    /* cross-field rules re-checked after overrides */
    assert_int_equal(aegis_config_set(&c, "quantum", "risk_scheduled", "9500", &msg), AEGIS_OK);
    assert_int_equal(aegis_config_validate(&c, &msg), AEGIS_ERR_CONFIG_CONFLICT);
    assert_non_null(strstr(msg, "quantum.risk_emergency"));
    assert_int_equal(aegis_config_set(&c, "quantum", "risk_scheduled", "100", &msg), AEGIS_OK);
    assert_int_equal(aegis_config_set(&c, "cluster", "attest_quorum", "3", &msg), AEGIS_OK);
    assert_int_equal(aegis_config_set(&c, "worker", "max_workers", "2", &msg), AEGIS_OK);
    assert_int_equal(aegis_config_validate(&c, &msg), AEGIS_ERR_CONFIG_CONFLICT);
    assert_non_null(strstr(msg, "cluster.attest_quorum"));
    assert_int_equal(aegis_config_set(&c, "cluster", "attest_quorum", "2", &msg), AEGIS_OK);
    assert_int_equal(aegis_config_set(&c, "worker", "enclave_type", "TDX", &msg), AEGIS_OK);
    assert_int_equal(aegis_config_validate(&c, &msg), AEGIS_OK);
    /* direct edits that break a field's own range are caught too */
    c.batch_max = 0;
    assert_int_equal(aegis_config_validate(&c, &msg), AEGIS_ERR_CONFIG_RANGE);
    assert_non_null(strstr(msg, "batch.max"));
    aegis_free(msg);
    aegis_config_clear(&c);
}

static void test_load_file_errors(void **state)
{
    (void)state;
    aegis_config c;
    char *msg = NULL;
    assert_int_not_equal(aegis_config_load_file(&c, "/nonexistent/aegis.toml", &msg), AEGIS_OK);
    assert_non_null(strstr(msg, "/nonexistent/aegis.toml"));
    assert_null(c.node_id);
    aegis_free(msg);
    msg = NULL;
    /* messages are optional */
    assert_int_equal(aegis_config_load_buffer(&c, "t", "[x]\n", 4, NULL), AEGIS_ERR_CONFIG_UNKNOWN_KEY);
    /* an empty file is the defaults */
    assert_int_equal(aegis_config_load_buffer(&c, "t", "", 0, &msg), AEGIS_OK);
    assert_string_equal(c.node_id, "aegis-node-1");
    aegis_config_clear(&c);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    const char *src = "[phala]\nnetwork = \"mainnet\"\n[quantum]\noracle_keys = [\"a\", \"b\"]\n"
                      "[worker]\nenclave_type = \"TDX\"\n";
    int failures = 0;
    for (long n = 1; n < 400; n++) {
        aegis_config c;
        char *msg = NULL;
        aegis_alloc_fail_after(n);
        aegis_err err = aegis_config_load_buffer(&c, "t", src, strlen(src), &msg);
        aegis_alloc_fail_after(0);
        aegis_free(msg);
        if (err == AEGIS_OK) {
            aegis_config_clear(&c);
            break;
        }
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        assert_null(c.node_id);
        failures++;
    }
    assert_true(failures > 10);
}

/* docs/config.md is the committed output of aegis_config_print_docs. */
static void test_docs_in_sync(void **state)
{
    (void)state;
    char *gen = NULL;
    size_t gl = 0;
    FILE *f = open_memstream(&gen, &gl);
    aegis_config_print_docs(f);
    fclose(f);
    assert_non_null(strstr(gen, "| `min_workers` | integer | `1` | 1..10 |"));
    assert_non_null(strstr(gen, "`\"ML-DSA-87\"`, `\"SLH-DSA-256s\"`, `\"SLH-DSA-SHA2-256s\"`"));
    assert_non_null(strstr(gen, "## Rules across keys"));
    const char *path = path_in("AEGIS_ROOT", ".", "docs/config.md");
    if (getenv("AEGIS_REGEN_DOCS")) {
        FILE *o = fopen(path, "w");
        assert_non_null(o);
        fwrite(gen, 1, gl, o);
        fclose(o);
    }
    uint8_t *doc = NULL;
    size_t dl = 0;
    assert_int_equal(aegis_file_read(path, 1 << 20, &doc, &dl), AEGIS_OK);
    if (dl != gl || memcmp(doc, gen, gl) != 0)
        print_error("docs/config.md is stale: run AEGIS_REGEN_DOCS=1 build/tests/test_config\n");
    assert_int_equal(dl, gl);
    assert_memory_equal(doc, gen, gl);
    aegis_free(doc);
    free(gen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_phala_files),
        cmocka_unit_test(test_aegis_toml),
        cmocka_unit_test(test_paths_relative_to_file),
        cmocka_unit_test(test_print_roundtrip),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_choices),
        cmocka_unit_test(test_contradictions),
        cmocka_unit_test(test_set_and_validate),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_docs_in_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
