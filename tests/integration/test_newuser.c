/* test_newuser.c - the first ten minutes of a new user (issue 12): the
 * keys `aegis keygen` writes are accepted by every command that takes such
 * a key, `aegis status` against something that is not Aegis says so, the
 * development oracle of `make run` (aegisd --oracle-key) moves the risk
 * level, and /metrics shows risk, key epoch and the process. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* `aegis tx new --key-file` reads the file `aegis keygen --type secp256k1`
 * writes (it refused it: "the key must be 32 bytes of hex"), the same
 * file `aegis submit --key` reads. */
static void test_tx_new_reads_keygen_file(void **state)
{
    (void)state;
    struct daemon d;
    daemon_init(&d, NULL);
    char prefix[320], key[330];
    snprintf(prefix, sizeof(prefix), "%.250s/wallet", d.dir);
    snprintf(key, sizeof(key), "%s.key", prefix);
    const char *kg[] = { "keygen", "--type", "secp256k1", "--out", prefix, NULL };
    assert_int_equal(run_aegis(&d, kg), 0);
    const char *tx[] = { "tx", "new", "--key-file", key, "--to", "0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", NULL };
    assert_int_equal(run_aegis(&d, tx), 0);
    assert_true(strncmp(slurp(d.out), "0x02", 4) == 0);   /* an EIP-1559 transaction */
    /* a file that is not a secp256k1 key is refused, naming it */
    char other[320];
    snprintf(other, sizeof(other), "%.250s/oracle", d.dir);
    const char *kg2[] = { "keygen", "--type", "ml-dsa-87", "--out", other, NULL };
    assert_int_equal(run_aegis(&d, kg2), 0);
    strcat(other, ".key");
    const char *bad[] = { "tx", "new", "--key-file", other, NULL };
    assert_int_not_equal(run_aegis(&d, bad), 0);
    assert_non_null(strstr(slurp(d.err), "not a secp256k1 secret key"));
    daemon_cleanup(&d);
}

/* A JSON-RPC service that is not Aegis: every call is "Method not found". */
struct fake {
    int fd, port;
    volatile int stop;
    pthread_t th;
};

static void *fake_main(void *p)
{
    struct fake *f = p;
    static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}";
    while (!f->stop) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        char buf[4096];
        (void)!recv(c, buf, sizeof(buf), 0);
        char resp[512];
        int n = snprintf(resp, sizeof(resp),
                         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n%s", sizeof(body) - 1, body);
        (void)!send(c, resp, (size_t)n, MSG_NOSIGNAL);
        close(c);
    }
    return NULL;
}

static void test_status_not_aegis(void **state)
{
    (void)state;
    struct fake f = { 0 };
    f.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(0x7f000001u);
    assert_int_equal(bind(f.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(f.fd, (struct sockaddr *)&a, &al);
    f.port = ntohs(a.sin_port);
    assert_int_equal(listen(f.fd, 8), 0);
    struct timeval tv = { 0, 200 * 1000 };
    setsockopt(f.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(pthread_create(&f.th, NULL, fake_main, &f), 0);

    struct daemon d;
    daemon_init(&d, NULL);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", f.port);
    const char *st[] = { "status", "--rpc", url, NULL };
    assert_int_equal(run_aegis(&d, st), 1);
    print_message("    %s", slurp(d.err));
    assert_non_null(strstr(slurp(d.err), "does not look like an Aegis node"));
    f.stop = 1;
    pthread_join(f.th, NULL);
    close(f.fd);
    daemon_cleanup(&d);
}

static double metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return atof(p + n + 1);
    return -1;
}

static char *scrape(const struct daemon *d)
{
    aegis_http_response r = { 0 };
    char url[128];
    snprintf(url, sizeof(url), "%s/metrics", d->url);
    assert_int_equal(aegis_http_get(url, 5000, &r), AEGIS_OK);
    return r.body;
}

/* /metrics: risk score and level, key epoch, process metrics; the
 * development oracle (--oracle-key, what `make run` passes) moves the
 * risk; the status field for policy refusals is named apart from the
 * log's rejections. */
static void test_metrics_and_dev_oracle(void **state)
{
    (void)state;
    struct daemon d;
    daemon_init(&d, NULL);
    char prefix[320], pub[330], key[330];
    snprintf(prefix, sizeof(prefix), "%.250s/dev-oracle", d.dir);
    snprintf(pub, sizeof(pub), "%s.pub", prefix);
    snprintf(key, sizeof(key), "%s.key", prefix);
    const char *kg[] = { "keygen", "--type", "ml-dsa-87", "--out", prefix, NULL };
    assert_int_equal(run_aegis(&d, kg), 0);
    /* --oracle-key adds to quantum.oracle_keys (and is checked like them) */
    snprintf(d.config, sizeof(d.config), "%.250s/aegis.toml", d.dir);
    FILE *f = fopen(d.config, "w");
    assert_non_null(f);
    fputs("[node]\nid = \"newuser\"\n", f);
    fclose(f);
    const char *check[] = { "--check-config", d.config, "--oracle-key", pub, NULL };
    assert_int_equal(run_aegisd(&d, check), 0);
    assert_non_null(strstr(slurp(d.out), pub));
    const char *bad[] = { "--check-config", d.config, "--oracle-key", "/nonexistent.pub", NULL };
    assert_int_equal(run_aegisd(&d, bad), 1);
    assert_non_null(strstr(slurp(d.err), "/nonexistent.pub"));
    /* the daemon with the oracle given as make run gives it: through the config here */
    f = fopen(d.config, "w");
    fprintf(f, "[node]\nid = \"newuser\"\n[quantum]\noracle_keys = [\"%s\"]\n", pub);
    fclose(f);
    assert_true(daemon_start(&d));

    char *m = scrape(&d);
    assert_true(metric(m, "aegis_risk_score") == 0);
    assert_true(metric(m, "aegis_risk_level") == 0);
    assert_true(metric(m, "aegis_key_epoch") == 1);
    assert_true(metric(m, "process_cpu_seconds_total") >= 0);
    assert_true(metric(m, "process_resident_memory_bytes") > 1024 * 1024);
    assert_true(metric(m, "process_open_fds") > 3);
    assert_true(metric(m, "process_max_fds") > 0);
    double start = metric(m, "process_start_time_seconds");
    double now = (double)time(NULL);
    assert_true(start > now - 600 && start <= now + 1);
    assert_true(metric(m, "aegis_envelopes_refused_total") == 0);
    assert_true(metric(m, "aegis_policy_rejected_total") == 0);
    aegis_free(m);

    struct daemon c = d;
    snprintf(c.out, sizeof(c.out), "%.250s/cli.out", d.dir);
    snprintf(c.err, sizeof(c.err), "%.250s/cli.err", d.dir);
    const char *rs[] = { "risk", "submit", "--rpc", d.url, "--key", key, "--score", "9500", NULL };
    assert_int_equal(run_aegis(&c, rs), 0);
    m = scrape(&d);
    assert_true(metric(m, "aegis_risk_score") == 9500);
    assert_true(metric(m, "aegis_risk_level") == 2);
    aegis_free(m);

    json_t *r = rpc_call(&d, "aegis_status", NULL);
    json_t *core = json_object_get(json_object_get(r, "result"), "core");
    assert_non_null(json_object_get(core, "policy_rejected_total"));
    assert_null(json_object_get(core, "rejected_total"));
    json_decref(r);
    assert_int_equal(daemon_stop(&d, SIGTERM), 0);
    daemon_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_tx_new_reads_keygen_file, harness_reap_all),
        cmocka_unit_test_teardown(test_status_not_aegis, harness_reap_all),
        cmocka_unit_test_teardown(test_metrics_and_dev_oracle, harness_reap_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
