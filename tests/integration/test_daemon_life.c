/* test_daemon_life.c - aegisd's life cycle: SIGTERM exits 0, envelopes
 * survive a restart, SIGHUP keeps serving, and the refusals at start
 * (second daemon on the same data dir, unusable data dir, bad config). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* A secp256k1 key file for `aegis submit --key` (mode 0600). */
static void write_key(const struct daemon *d, char *path, size_t cap)
{
    snprintf(path, cap, "%.250s/sender.key", d->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("secp256k1 4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n", f);
    fclose(f);
    chmod(path, 0600);
}

/* Submit one real encrypted transaction through the one pipeline (`aegis
 * submit`): returns its envelope id from the signed receipt, or 0 when the
 * node refused it (the CLI's stderr is then in <dir>/cli.err). The CLI's
 * output goes to files of its own: the daemon's captures stay whole. */
static json_int_t submit_tx(struct daemon *d, const char *key, unsigned nonce, const char *data_hex)
{
    struct daemon c = *d;
    snprintf(c.out, sizeof(c.out), "%.250s/cli.out", d->dir);
    snprintf(c.err, sizeof(c.err), "%.250s/cli.err", d->dir);
    char n[16];
    snprintf(n, sizeof(n), "%u", nonce);
    const char *args[] = { "submit", "--rpc", d->url, "--key", key, "--to", "0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
                           "--nonce", n, "--allow-sim", "--json", data_hex ? "--data" : NULL, data_hex, NULL };
    if (run_aegis(&c, args) != 0)
        return 0;
    json_t *r = json_loads(slurp(c.out), JSON_DISABLE_EOF_CHECK, NULL); /* a summary line follows */
    json_int_t id = json_integer_value(json_object_get(r, "envelope_id"));
    json_decref(r);
    return id;
}

static void test_sigterm_and_durability(void **state)
{
    struct daemon d;
    daemon_init(&d, NULL);
    assert_true(daemon_start(&d));
    /* The line `make run` shows. */
    char want[128];
    snprintf(want, sizeof(want), "aegisd listening on %s\n", d.url);
    /* printed right after the socket listens, so /healthz may answer first */
    for (int i = 0; i < 100 && !strstr(slurp(d.out), want); i++)
        usleep(50000);
    assert_non_null(strstr(slurp(d.out), want));
    assert_non_null(strstr(slurp(d.err), "msg=\"listening\" addr=127.0.0.1"));

    char key[300];
    write_key(&d, key, sizeof(key));
    json_int_t ids[3];
    for (int i = 0; i < 3; i++) {
        ids[i] = submit_tx(&d, key, (unsigned)i, NULL);
        assert_true(ids[i] >= 1);
    }
    char envs[3][8192];
    for (int i = 0; i < 3; i++) {
        char p[32];
        snprintf(p, sizeof(p), "[%lld]", (long long)ids[i]);
        json_t *r = rpc_call(&d, "aegis_getEnvelope", p);
        const char *data = json_string_value(json_object_get(json_object_get(r, "result"), "data"));
        assert_non_null(data);
        assert_true(strlen(data) > 2 && strlen(data) < sizeof(envs[i]));
        strcpy(envs[i], data);
        json_decref(r);
    }
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    assert_non_null(strstr(slurp(d.err), "msg=\"stopped\""));

    /* Restart on the same data dir (new port): every acknowledged envelope is there. */
    d.port = free_port();
    snprintf(d.url, sizeof(d.url), "http://127.0.0.1:%d", d.port);
    assert_true(daemon_start(&d));
    for (int i = 0; i < 3; i++) {
        char p[32];
        snprintf(p, sizeof(p), "[%lld]", (long long)ids[i]);
        json_t *r = rpc_call(&d, "aegis_getEnvelope", p);
        assert_string_equal(json_string_value(json_object_get(json_object_get(r, "result"), "data")), envs[i]);
        json_decref(r);
    }
    json_t *r = rpc_call(&d, "aegis_status", NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(r, "result"), "store"),
                                                        "envelopes")), 3);
    json_decref(r);
    /* SIGINT behaves like SIGTERM. */
    assert_int_equal(daemon_stop(&d, SIGINT), 0);
    daemon_cleanup(&d);
}

/* A client long-polling aegis_waitBatch does not hold up SIGTERM: it gets
 * its (empty) answer and the daemon stops well inside the drain window,
 * not after the poll's 60 s. */
struct poll_arg {
    const struct daemon *d;
    json_t *reply;
};

static void *long_poll(void *arg)
{
    struct poll_arg *a = arg;
    a->reply = rpc_call(a->d, "aegis_waitBatch", "[1000000, 60000]");
    return NULL;
}

static void test_sigterm_releases_long_polls(void **state)
{
    (void)state;
    struct daemon d;
    daemon_init(&d, NULL);
    assert_true(daemon_start(&d));
    struct poll_arg a = { &d, NULL };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, long_poll, &a), 0);
    usleep(500000);   /* the poll is waiting inside the daemon */
    uint64_t t0 = aegis_now_ns();
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    uint64_t took_ms = (aegis_now_ns() - t0) / 1000000;
    pthread_join(th, NULL);
    assert_true(took_ms < 4000);   /* the RPC drain window is 5 s, the poll 60 s */
    assert_non_null(a.reply);
    assert_true(json_is_null(json_object_get(a.reply, "result")));
    json_decref(a.reply);
    daemon_cleanup(&d);
}

static void test_sighup_keeps_serving(void **state)
{
    struct daemon d;
    daemon_init(&d, NULL);
    assert_true(daemon_start(&d));
    kill(d.pid, SIGHUP);
    usleep(100000);
    json_t *r = rpc_call(&d, "eth_chainId", NULL);
    assert_string_equal(json_string_value(json_object_get(r, "result")), "0x1");
    json_decref(r);
    assert_non_null(strstr(slurp(d.err), "logs reopened"));
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    daemon_cleanup(&d);
}

static void test_second_daemon_refused(void **state)
{
    struct daemon a, b;
    daemon_init(&a, NULL);
    daemon_init(&b, NULL);
    assert_true(daemon_start(&a));
    char port[64];
    snprintf(port, sizeof(port), "127.0.0.1:%d", b.port);
    const char *args[] = { "--listen", port, "--data-dir", a.data_dir, NULL };
    assert_int_equal(run_aegisd(&b, args), 1);
    assert_non_null(strstr(slurp(b.err), "held by another aegisd"));
    /* The first one is unaffected. */
    json_t *r = rpc_call(&a, "eth_chainId", NULL);
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    assert_int_equal(daemon_stop(&a, SIGTERM), 0);
    daemon_cleanup(&a);
    daemon_cleanup(&b);
}

static void test_unusable_data_dir_refused(void **state)
{
    struct daemon d;
    daemon_init(&d, NULL);
    char port[64], file[400], under[420];
    snprintf(port, sizeof(port), "127.0.0.1:%d", d.port);
    snprintf(file, sizeof(file), "%s/plainfile", d.dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    /* The data dir is a regular file. */
    const char *a1[] = { "--listen", port, "--data-dir", file, NULL };
    assert_int_equal(run_aegisd(&d, a1), 1);
    assert_non_null(strstr(slurp(d.err), "cannot use data dir"));
    /* The data dir would have to be created under a regular file. */
    snprintf(under, sizeof(under), "%s/sub", file);
    const char *a2[] = { "--listen", port, "--data-dir", under, NULL };
    assert_int_equal(run_aegisd(&d, a2), 1);
    assert_non_null(strstr(slurp(d.err), "cannot use data dir"));
    /* A read-only directory (meaningful only without CAP_DAC_OVERRIDE). */
    if (geteuid() != 0) {
        char ro[420];
        snprintf(ro, sizeof(ro), "%s/ro", d.dir);
        assert_int_equal(mkdir(ro, 0500), 0);
        const char *a3[] = { "--listen", port, "--data-dir", ro, NULL };
        assert_int_equal(run_aegisd(&d, a3), 1);
        assert_non_null(strstr(slurp(d.err), "cannot use data dir"));
    }
    /* A group-writable data dir is refused too (another user could swap files). */
    char gw[420];
    snprintf(gw, sizeof(gw), "%s/gw", d.dir);
    assert_int_equal(mkdir(gw, 0700), 0);
    assert_int_equal(chmod(gw, 0770), 0);
    const char *a4[] = { "--listen", port, "--data-dir", gw, NULL };
    assert_int_equal(run_aegisd(&d, a4), 1);
    assert_non_null(strstr(slurp(d.err), "cannot use data dir"));
    daemon_cleanup(&d);
}

static void test_bad_config_refused(void **state)
{
    static const struct { const char *name; const char *toml; const char *needle; } bad[] = {
        { "unknown key", "[rpc]\nlisten = \"127.0.0.1:1\"\nbogus = 1\n", "bogus" },
        { "wrong type", "[rpc]\nmax_body = \"big\"\n", "max_body" },
        { "out of range", "[batch]\nmax = 0\n", "max" },
        { "risk contradiction", "[quantum]\nrisk_scheduled = 9000\nrisk_emergency = 100\n", "risk_emergency" },
        { "bad toml", "[rpc\nlisten = 1\n", "aegis.toml" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct daemon d;
        daemon_init(&d, bad[i].toml);
        char port[64];
        snprintf(port, sizeof(port), "127.0.0.1:%d", d.port);
        const char *args[] = { "--config", d.config, "--listen", port, "--data-dir", d.data_dir, NULL };
        int rc = run_aegisd(&d, args);
        if (rc != 1)
            fail_msg("case '%s': exit %d, want 1", bad[i].name, rc);
        const char *err = slurp(d.err);
        if (!strstr(err, bad[i].needle) || !strstr(err, "bad config"))
            fail_msg("case '%s': message lacks '%s': %s", bad[i].name, bad[i].needle, err);
        /* Nothing was started: the data dir was never created. */
        struct stat sb;
        if (stat(d.data_dir, &sb) == 0)
            fail_msg("case '%s': data dir created despite the bad config", bad[i].name);
        const char *check[] = { "--check-config", d.config, NULL };
        if (run_aegisd(&d, check) != 1)
            fail_msg("case '%s': --check-config did not fail", bad[i].name);
        daemon_cleanup(&d);
    }
    /* A bad --listen override is refused as well. */
    struct daemon d;
    daemon_init(&d, NULL);
    const char *args[] = { "--listen", "nonsense", "--data-dir", d.data_dir, NULL };
    assert_int_equal(run_aegisd(&d, args), 1);
    daemon_cleanup(&d);
}

static void test_check_config_ok(void **state)
{
    struct daemon d;
    daemon_init(&d, "[node]\nid = \"checked\"\n");
    const char *args[] = { "--check-config", d.config, NULL };
    assert_int_equal(run_aegisd(&d, args), 0);
    assert_non_null(strstr(slurp(d.out), "id = \"checked\""));
    const char *def[] = { "--print-default-config", NULL };
    assert_int_equal(run_aegisd(&d, def), 0);
    assert_non_null(strstr(slurp(d.out), "[rpc]"));
    /* The spec's own phala.toml loads unchanged. */
    const char *shared = getenv("AEGIS_SHARED");
    char spec[512];
    snprintf(spec, sizeof(spec), "%s/spec/phala.toml", shared ? shared : "../shared");
    if (access(spec, R_OK) == 0) {
        const char *ph[] = { "--check-config", spec, NULL };
        assert_int_equal(run_aegisd(&d, ph), 0);
    }
    const char *ver[] = { "--version", NULL };
    assert_int_equal(run_aegisd(&d, ver), 0);
    assert_non_null(strstr(slurp(d.out), AEGIS_VERSION));
    const char *bogus[] = { "--bogus", NULL };
    assert_int_equal(run_aegisd(&d, bogus), 2);
    daemon_cleanup(&d);
}

/* A full disk at run time: error replies, never an acknowledgment without
 * the durable write, and the node keeps serving (degraded). Needs a small
 * tmpfs, so root with mount(2) allowed; skipped otherwise. */
static void test_disk_full_at_runtime(void **state)
{
    struct daemon d;
    daemon_init(&d, "[rpc]\nmax_body = 1048576\n[mempool]\nmax_envelope = 65536\n");
    char mnt[300];
    snprintf(mnt, sizeof(mnt), "%.250s/small", d.dir);
    assert_int_equal(mkdir(mnt, 0700), 0);
    if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=768k,mode=0700") != 0) {
        daemon_cleanup(&d);
        skip();
    }
    snprintf(d.data_dir, sizeof(d.data_dir), "%s/data", mnt);
    if (!daemon_start(&d)) {
        umount(mnt);
        daemon_cleanup(&d);
        fail_msg("daemon did not start on the small tmpfs");
    }
    enum { DATA = 16384, MAXN = 96 };
    char key[300];
    write_key(&d, key, sizeof(key));
    char *data = malloc(2 * DATA + 3);
    json_int_t acked[MAXN];
    int n_acked = 0, errors = 0, degraded = 0;
    char hurl[128];
    snprintf(hurl, sizeof(hurl), "%s/healthz", d.url);
    for (int i = 0; i < MAXN && errors < 3; i++) {
        strcpy(data, "0x");
        for (int k = 0; k < DATA; k++)
            sprintf(data + 2 + 2 * k, "%02x", (unsigned)((k * 31 + i * 7 + (k >> 8)) & 0xff));
        json_int_t id = submit_tx(&d, key, (unsigned)n_acked, data);
        if (id) {
            acked[n_acked++] = id;
        } else {
            char cerr[320];
            snprintf(cerr, sizeof(cerr), "%.250s/cli.err", d.dir);
            print_message("    submit %d refused: %.200s\n", i, slurp(cerr));
            errors++;
            /* /healthz reports the store degraded after a failed write (until
             * a later write succeeds: the background probe's 1-byte write may,
             * in freed pages, so it is read right after each failure) */
            aegis_http_response fr = { 0 };
            if (aegis_http_get(hurl, 5000, &fr) == AEGIS_OK && fr.status == 206)
                degraded++;
            aegis_http_response_clear(&fr);
        }
    }
    free(data);
    assert_true(errors > 0);
    assert_true(n_acked > 0);
    assert_true(degraded > 0);
    /* Still serving. */
    json_t *r = rpc_call(&d, "eth_chainId", NULL);
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    /* Every acknowledged envelope survives a restart. */
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    d.port = free_port();
    snprintf(d.url, sizeof(d.url), "http://127.0.0.1:%d", d.port);
    bool up = daemon_start(&d);
    if (up) {
        for (int i = 0; i < n_acked; i++) {
            char p[32];
            snprintf(p, sizeof(p), "[%lld]", (long long)acked[i]);
            json_t *g = rpc_call(&d, "aegis_getEnvelope", p);
            assert_non_null(json_object_get(g, "result"));
            json_decref(g);
        }
        assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    } else {
        print_message("    restart on the full tmpfs refused: %s\n", slurp(d.err));
    }
    umount(mnt);
    daemon_cleanup(&d);
}

/* Issue 12: `--check-config` reads every file the config names and names
 * the one that fails (it used to say "config OK" for a missing oracle key,
 * and the daemon then failed without the path); relative paths are
 * relative to the config file's folder, whatever the working directory. */
static void test_check_config_reads_files(void **state)
{
    struct daemon d;
    daemon_init(&d, "[quantum]\noracle_keys = [\"/nonexistent.pub\"]\n");
    const char *args[] = { "--check-config", d.config, NULL };
    assert_int_equal(run_aegisd(&d, args), 1);
    const char *err = slurp(d.err);
    assert_non_null(strstr(err, "quantum.oracle_keys[0] = \"/nonexistent.pub\""));
    assert_null(strstr(err, "config OK"));
    /* the daemon refuses likewise, naming the path */
    const char *run[] = { "--config", d.config, "--data-dir", d.data_dir, NULL };
    assert_int_equal(run_aegisd(&d, run), 1);
    assert_non_null(strstr(slurp(d.err), "/nonexistent.pub"));

    /* a key next to the config, named relative to it; and a file that is not a key */
    char keys[400], cfg[400];
    snprintf(keys, sizeof(keys), "%.250s/keys", d.dir);
    assert_int_equal(mkdir(keys, 0700), 0);
    snprintf(keys, sizeof(keys), "%.250s/keys/oracle", d.dir);
    const char *kg[] = { "keygen", "--type", "ml-dsa-87", "--out", keys, NULL };
    assert_int_equal(run_aegis(&d, kg), 0);
    snprintf(cfg, sizeof(cfg), "%.250s/rel.toml", d.dir);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fputs("[quantum]\noracle_keys = [\"keys/oracle.pub\"]\n", f);
    fclose(f);
    const char *ok[] = { "--check-config", cfg, NULL };
    assert_int_equal(run_aegisd(&d, ok), 0);
    assert_non_null(strstr(slurp(d.out), "keys/oracle.pub"));
    f = fopen(cfg, "w");
    fputs("[assets]\nadmin_keys = [\"rel.toml\"]\n", f);
    fclose(f);
    assert_int_equal(run_aegisd(&d, ok), 1);
    assert_non_null(strstr(slurp(d.err), "assets.admin_keys[0]"));
    daemon_cleanup(&d);
}

/* Issue 12: the data directory is 0700 and the store's files 0600. */
static void test_data_files_private(void **state)
{
    struct daemon d;
    daemon_init(&d, NULL);
    assert_true(daemon_start(&d));
    char p[400];
    struct stat st;
    assert_int_equal(stat(d.data_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    const char *files[] = { "aegis.db", "aegis.db-wal", "aegis.db-shm" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%.300s/%s", d.data_dir, files[i]);
        assert_int_equal(stat(p, &st), 0);
        print_message("    %s %o\n", files[i], st.st_mode & 0777);
        assert_int_equal(st.st_mode & 077, 0);
    }
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    daemon_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sigterm_and_durability, harness_reap_all),
        cmocka_unit_test_teardown(test_sigterm_releases_long_polls, harness_reap_all),
        cmocka_unit_test_teardown(test_sighup_keeps_serving, harness_reap_all),
        cmocka_unit_test_teardown(test_second_daemon_refused, harness_reap_all),
        cmocka_unit_test_teardown(test_unusable_data_dir_refused, harness_reap_all),
        cmocka_unit_test_teardown(test_bad_config_refused, harness_reap_all),
        cmocka_unit_test_teardown(test_check_config_ok, harness_reap_all),
        cmocka_unit_test_teardown(test_check_config_reads_files, harness_reap_all),
        cmocka_unit_test_teardown(test_data_files_private, harness_reap_all),
        cmocka_unit_test_teardown(test_disk_full_at_runtime, harness_reap_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
