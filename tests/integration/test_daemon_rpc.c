/* test_daemon_rpc.c - JSON-RPC against a real aegisd: a table of request ->
 * (HTTP status, result or error code) cases, then envelopes, limits,
 * idle connections, /metrics, /healthz and the CLI. One daemon serves all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "harness.h"

static const char config_toml[] =
    "[node]\nid = \"it-node\"\nchain_id = 31337\n"
    "[rpc]\nmax_body = 65536\nmax_connections = 4096\ntimeout_ms = 30000\nmax_batch = 10\n"
    "max_connections_per_address = 0\n" /* test_idle_connections holds 2000 from 127.0.0.1 */
    "[mempool]\nmax_envelope = 1024\n";

static struct daemon D;

static int group_setup(void **state)
{
    daemon_init(&D, config_toml);
    if (!daemon_start(&D)) {
        harness_reap_all(state);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    int rc = daemon_stop(&D, SIGTERM);
    daemon_cleanup(&D);
    harness_reap_all(state);
    return rc == 0 ? 0 : -1;
}

/* expect: a JSON-RPC error code, or 0 for a result, or 1 for "no body". */
struct rpc_case {
    const char *name;
    const char *content_type;
    const char *body;
    int http_status;
    int expect;
};

static const struct rpc_case cases[] = {
    { "status", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_status\"}", 200, 0 },
    { "chainId", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}", 200, 0 },
    { "listMethods", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_listMethods\"}", 200, 0 },
    { "charset ok", "application/json; charset=utf-8", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"}", 200, 0 },
    { "malformed json", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":", 200, -32700 },
    { "garbage", "application/json", "\x01\x02\xff", 200, -32700 },
    { "empty body", "application/json", "", 200, -32700 },
    { "wrong content type", "text/plain", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_status\"}", 415, -33256 },
    { "form content type", "application/x-www-form-urlencoded", "a=b", 415, -33256 },
    { "unknown method", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_nope\"}", 200, -32601 },
    { "no jsonrpc", "application/json", "{\"id\":1,\"method\":\"aegis_status\"}", 200, -32600 },
    { "scalar request", "application/json", "17", 200, -32600 },
    { "params string", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_status\",\"params\":\"x\"}", 200, -32600 },
    { "submit no params", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_sendEncryptedTransaction\"}", 200, -32602 },
    { "submit int param", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_sendEncryptedTransaction\",\"params\":[5]}", 200, -32602 },
    { "submit object", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_sendEncryptedTransaction\",\"params\":{\"a\":1}}", 200, -32602 },
    { "submit no 0x", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_sendEncryptedTransaction\",\"params\":[\"abcd\"]}", 200, -32602 },
    { "submit bad hex", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_sendEncryptedTransaction\",\"params\":[\"0xzz\"]}", 200, -32602 },
    { "submit odd hex", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_sendEncryptedTransaction\",\"params\":[\"0xabc\"]}", 200, -32602 },
    { "submit empty", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_sendEncryptedTransaction\",\"params\":[\"0x\"]}", 200, -33000 - AEGIS_ERR_ENV_TRUNCATED },
    { "submit two", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_sendEncryptedTransaction\",\"params\":[\"0x00\",\"0x01\"]}", 200, -32602 },
    { "get string id", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_getEnvelope\",\"params\":[\"1\"]}", 200, -32602 },
    { "get missing", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_getEnvelope\",\"params\":[999999]}", 200, -33006 },
    { "empty batch", "application/json", "[]", 200, -32600 },
    { "batch too big", "application/json", "[1,2,3,4,5,6,7,8,9,10,11]", 200, -32600 },
    { "notification", "application/json", "{\"jsonrpc\":\"2.0\",\"method\":\"aegis_status\"}", 204, 1 },
    { "notification unknown", "application/json", "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}", 204, 1 },
    { "batch of notifications", "application/json",
      "[{\"jsonrpc\":\"2.0\",\"method\":\"aegis_status\"},{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\"}]", 204, 1 },
};

static void test_table(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct rpc_case *c = &cases[i];
        json_t *r = NULL;
        int status = rpc_post(&D, c->content_type, c->body, strlen(c->body), &r);
        if (status != c->http_status)
            fail_msg("case '%s': HTTP %d, want %d", c->name, status, c->http_status);
        if (c->expect == 1) {
            if (r)
                fail_msg("case '%s': expected no body", c->name);
            continue;
        }
        if (!json_is_object(r))
            fail_msg("case '%s': body is not a JSON object", c->name);
        if (strcmp(json_string_value(json_object_get(r, "jsonrpc")) ?: "", "2.0") != 0)
            fail_msg("case '%s': no jsonrpc 2.0", c->name);
        json_t *e = json_object_get(r, "error");
        if (c->expect == 0) {
            if (e || !json_object_get(r, "result"))
                fail_msg("case '%s': expected a result", c->name);
        } else {
            int code = (int)json_integer_value(json_object_get(e, "code"));
            if (code != c->expect)
                fail_msg("case '%s': error code %d, want %d", c->name, code, c->expect);
            json_t *data = json_object_get(e, "data");
            if (!json_is_integer(json_object_get(data, "aegis_code")) ||
                !json_is_string(json_object_get(e, "message")))
                fail_msg("case '%s': error without message / data.aegis_code", c->name);
        }
        json_decref(r);
    }
}

static void test_status_and_chain(void **state)
{
    json_t *r = rpc_call(&D, "aegis_status", NULL);
    json_t *res = json_object_get(r, "result");
    assert_string_equal(json_string_value(json_object_get(res, "node_id")), "it-node");
    assert_string_equal(json_string_value(json_object_get(res, "version")), AEGIS_VERSION);
    assert_true(json_is_integer(json_object_get(res, "uptime_s")));
    json_t *tee = json_object_get(res, "tee");
    assert_string_equal(json_string_value(json_object_get(tee, "backend")), "sim");
    assert_true(json_is_true(json_object_get(tee, "insecure")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(res, "store"), "backend")), "sqlite");
    json_decref(r);
    r = rpc_call(&D, "eth_chainId", NULL);
    assert_string_equal(json_string_value(json_object_get(r, "result")), "0x7a69"); /* 31337 */
    json_decref(r);
}

static void test_batch_mixed(void **state)
{
    const char *b = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"aegis_status\"},"
                    "{\"jsonrpc\":\"2.0\",\"id\":\"two\",\"method\":\"nope\"},"
                    "{\"foo\":1},"
                    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"aegis_sendEncryptedTransaction\",\"params\":[7]}]";
    json_t *r = NULL;
    assert_int_equal(rpc_post(&D, "application/json", b, strlen(b), &r), 200);
    assert_true(json_is_array(r));
    assert_int_equal(json_array_size(r), 4); /* the notification gets no entry */
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "result")), "0x7a69");
    json_t *e1 = json_array_get(r, 1);
    assert_string_equal(json_string_value(json_object_get(e1, "id")), "two");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e1, "error"), "code")), -32601);
    json_t *e2 = json_array_get(r, 2);
    assert_true(json_is_null(json_object_get(e2, "id")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e2, "error"), "code")), -32600);
    json_t *e3 = json_array_get(r, 3);
    assert_int_equal(json_integer_value(json_object_get(e3, "id")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e3, "error"), "code")), -32602);
    json_decref(r);
}

static void hexify(char *out, const uint8_t *p, size_t n)
{
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 + 2 * i, "%02x", p[i]);
}

/* Issue 12: aegis_submitEnvelope logged bytes outside the submission
 * pipeline (answered OK, left the transaction unsequenced until a restart
 * replayed it). It is gone: one way in, aegis_sendEncryptedTransaction,
 * which refuses what is not an envelope for this node before writing it. */
static void test_one_submission_pipeline(void **state)
{
    uint8_t env[200];
    for (size_t i = 0; i < sizeof(env); i++)
        env[i] = (uint8_t)(i * 7 + 3);
    char hex[2 + 2 * sizeof(env) + 1], params[600];
    hexify(hex, env, sizeof(env));
    snprintf(params, sizeof(params), "[\"%s\"]", hex);

    json_t *r = rpc_call(&D, "aegis_submitEnvelope", params);
    json_t *e = json_object_get(r, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "code")), -32601);
    json_decref(r);

    r = rpc_call(&D, "aegis_status", NULL);
    json_int_t before = json_integer_value(json_object_get(json_object_get(json_object_get(r, "result"), "store"),
                                                           "envelopes"));
    json_decref(r);
    r = rpc_call(&D, "aegis_sendEncryptedTransaction", params);
    e = json_object_get(r, "error");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "data"), "name")),
                        "AEGIS_ERR_ENV_BAD_MAGIC");
    json_decref(r);
    r = rpc_call(&D, "aegis_status", NULL);
    json_int_t after = json_integer_value(json_object_get(json_object_get(json_object_get(r, "result"), "store"),
                                                          "envelopes"));
    json_decref(r);
    assert_int_equal(after, before);   /* nothing was written */
    r = rpc_call(&D, "aegis_listMethods", NULL);
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(r, "result"), i, m)
        assert_string_not_equal(json_string_value(json_object_get(m, "name")), "aegis_submitEnvelope");
    json_decref(r);
}

static void test_envelope_too_big(void **state)
{
    /* 1025 bytes > mempool.max_envelope = 1024, but the body fits max_body. */
    size_t n = 1025;
    char *p = malloc(2 * n + 16);
    strcpy(p, "[\"0x");
    memset(p + 4, 'a', 2 * n);
    strcpy(p + 4 + 2 * n, "\"]");
    json_t *r = rpc_call(&D, "aegis_sendEncryptedTransaction", p);
    json_t *e = json_object_get(r, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "code")), -33000 - AEGIS_ERR_TOO_BIG);
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "data"), "name")),
                        "AEGIS_ERR_TOO_BIG");
    json_decref(r);
    free(p);
}

static void test_oversize_body(void **state)
{
    size_t n = 200000; /* > rpc.max_body = 65536 */
    char *b = malloc(n);
    memset(b, ' ', n);
    json_t *r = NULL;
    assert_int_equal(rpc_post(&D, "application/json", b, n, &r), 413);
    json_t *e = json_object_get(r, "error");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "data"), "name")),
                        "AEGIS_ERR_RPC_BODY_TOO_BIG");
    json_decref(r);
    free(b);
    /* And it keeps serving. */
    r = rpc_call(&D, "eth_chainId", NULL);
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
}

static void test_http_paths(void **state)
{
    aegis_http_response r = { 0 };
    char url[128];
    assert_int_equal(aegis_http_get(D.url, 5000, &r), AEGIS_OK);
    assert_int_equal(r.status, 405);
    aegis_http_response_clear(&r);
    snprintf(url, sizeof(url), "%s/nope", D.url);
    assert_int_equal(aegis_http_get(url, 5000, &r), AEGIS_OK);
    assert_int_equal(r.status, 404);
    aegis_http_response_clear(&r);
}

static void test_healthz(void **state)
{
    aegis_http_response r = { 0 };
    char url[128];
    snprintf(url, sizeof(url), "%s/healthz", D.url);
    assert_int_equal(aegis_http_get(url, 5000, &r), AEGIS_OK);
    assert_int_equal(r.status, 200);
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "healthy");
    json_t *comps = json_object_get(j, "components");
    assert_string_equal(json_string_value(json_object_get(json_object_get(comps, "store"), "state")), "ok");
    assert_string_equal(json_string_value(json_object_get(json_object_get(comps, "rpc"), "state")), "ok");
    json_decref(j);
    aegis_http_response_clear(&r);
}

/* The value of the first sample line starting with prefix, or -1. */
static double metric(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
            return atof(p + n + 1);
    return -1;
}

static char *get_metrics(void)
{
    aegis_http_response r = { 0 };
    char url[128];
    snprintf(url, sizeof(url), "%s/metrics", D.url);
    assert_int_equal(aegis_http_get(url, 5000, &r), AEGIS_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/plain"));
    assert_non_null(strstr(r.content_type, "version=0.0.4"));
    return r.body;
}

static void test_metrics(void **state)
{
    json_decref(rpc_call(&D, "aegis_status", NULL));
    json_decref(rpc_call(&D, "aegis_sendEncryptedTransaction", "[\"0x0102030405\"]"));
    char *m = get_metrics();
    assert_true(metric(m, "aegis_up") == 1);
    assert_true(metric(m, "aegis_build_info{version=\"" AEGIS_VERSION "\"}") == 1);
    assert_true(metric(m, "aegis_rpc_requests_total{method=\"aegis_status\",outcome=\"ok\"}") >= 1);
    assert_true(metric(m, "aegis_rpc_requests_total{method=\"aegis_sendEncryptedTransaction\",outcome=\"error\"}") >= 1);
    assert_true(metric(m, "aegis_rpc_request_duration_seconds_count{method=\"aegis_status\"}") >= 1);
    assert_true(metric(m, "aegis_rpc_request_duration_seconds_bucket{method=\"aegis_status\",le=\"+Inf\"}") >= 1);
    /* present (no envelope fits this node's max_envelope, so none was appended) */
    assert_true(metric(m, "aegis_store_append_duration_seconds_count") >= 0);
    assert_true(metric(m, "aegis_store_append_duration_seconds_bucket{le=\"+Inf\"}") >= 0);
    assert_true(metric(m, "aegis_http_responses_total{code=\"415\"}") >= 1);
    assert_non_null(strstr(m, "# TYPE aegis_rpc_request_duration_seconds histogram\n"));
    assert_non_null(strstr(m, "# TYPE aegis_store_append_duration_seconds histogram\n"));
    /* Exposition format: comments, or "name{labels} value" with a numeric value;
     * histogram buckets are cumulative (non-decreasing). */
    double prev = -1;
    char prev_series[256] = "";
    char *save = NULL;
    for (char *line = strtok_r(m, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            assert_true(strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0);
            continue;
        }
        char *sp = strrchr(line, ' ');
        assert_non_null(sp);
        char *end;
        double v = strtod(sp + 1, &end);
        assert_true(*end == '\0');
        assert_true((line[0] >= 'a' && line[0] <= 'z') || line[0] == '_');
        char *b = strstr(line, "_bucket{");
        if (b) {
            char series[256];
            char *le = strstr(line, "le=\"");
            snprintf(series, sizeof(series), "%.*s", (int)(le - line), line);
            if (strcmp(series, prev_series) == 0)
                assert_true(v >= prev);
            snprintf(prev_series, sizeof(prev_series), "%s", series);
            prev = v;
        }
    }
    aegis_free(m);
}

static void test_idle_connections(void **state)
{
    enum { N = 2000 };
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < N + 100) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > N + 100 ? N + 100 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    static int fds[N];
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)D.port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int opened = 0;
    for (int i = 0; i < N; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0)
            break;
        if (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            close(fds[i]);
            break;
        }
        opened++;
    }
    assert_int_equal(opened, N);
    /* Let the server accept them all, then check it still answers. */
    double conns = 0;
    for (int tries = 0; tries < 200 && conns < N; tries++) {
        char *m = get_metrics();
        conns = metric(m, "aegis_rpc_connections");
        aegis_free(m);
        if (conns < N)
            usleep(20000);
    }
    assert_true(conns >= N);
    uint64_t t0 = aegis_now_ns();
    json_t *r = rpc_call(&D, "aegis_status", NULL);
    uint64_t dt = aegis_now_ns() - t0;
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    print_message("    2000 idle connections held; aegis_status took %.2f ms\n", (double)dt / 1e6);
    for (int i = 0; i < opened; i++)
        close(fds[i]);
}

static void test_cli_status(void **state)
{
    const char *args[] = { "status", "--rpc", D.url, NULL };
    assert_int_equal(run_aegis(&D, args), 0);
    const char *out = slurp(D.out);
    assert_non_null(strstr(out, "it-node"));
    assert_non_null(strstr(out, "INSECURE"));
    const char *jargs[] = { "status", "--json", "--rpc", D.url, NULL };
    assert_int_equal(run_aegis(&D, jargs), 0);
    json_t *j = json_loads(slurp(D.out), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "chain_id")), "0x7a69");
    json_decref(j);
    /* Nothing listening there: a clear error and exit 1. */
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", free_port());
    const char *bad[] = { "status", "--rpc", url, NULL };
    assert_int_equal(run_aegis(&D, bad), 1);
    assert_non_null(strstr(slurp(D.err), "cannot connect"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_status_and_chain),
        cmocka_unit_test(test_batch_mixed),
        cmocka_unit_test(test_one_submission_pipeline),
        cmocka_unit_test(test_envelope_too_big),
        cmocka_unit_test(test_oversize_body),
        cmocka_unit_test(test_http_paths),
        cmocka_unit_test(test_healthz),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_idle_connections),
        cmocka_unit_test(test_cli_status),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
