/* test_rpc_http.c - the server over real sockets with the aegis HTTP client:
 * round trip, limits, idle connections, drain on stop, URL parsing, and
 * aegis_http_conn's framing against a raw server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "aegis/http.h"
#include "aegis/rpc.h"

static aegis_err h_ping(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    *ret = json_string("pong");
    return AEGIS_OK;
}

static aegis_err h_slow(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct timespec ts = { 0, 300 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    *ret = json_string("done");
    return AEGIS_OK;
}

static const aegis_rpc_method methods[] = {
    { "t_ping", h_ping, "[]", AEGIS_RPC_PUBLIC, "pong" },
    { "t_slow", h_slow, "[]", AEGIS_RPC_PUBLIC, "sleeps 300 ms" },
};

struct fx {
    aegis_rpc_server *srv;
    char url[64];
};

static int setup(void **state)
{
    static struct fx f;
    aegis_rpc_opts o;
    aegis_rpc_opts_default(&o);
    o.port = 0;
    o.max_body = 2048;
    o.max_connections = 600;
    o.max_per_address = 0; /* 500 idle connections from one address below */
    o.timeout_ms = 5000;
    if (aegis_rpc_server_new(&f.srv, &o) || aegis_rpc_add_methods(f.srv, methods, 2, NULL))
        return -1;
    if (aegis_rpc_health_set(f.srv, "test", AEGIS_HEALTH_OK, "up"))
        return -1;
    const char *detail = NULL;
    if (aegis_rpc_server_start(f.srv, &detail) != AEGIS_OK)
        return -1;
    snprintf(f.url, sizeof(f.url), "http://127.0.0.1:%u", aegis_rpc_server_port(f.srv));
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    aegis_rpc_server_free(f->srv);
    return 0;
}

static void post(struct fx *f, const char *ct, const char *body, size_t len, int want, const char *needle)
{
    aegis_http_response r = { 0 };
    assert_int_equal(aegis_http_request(f->url, "POST", ct, body, len, 5000, &r), AEGIS_OK);
    assert_int_equal(r.status, want);
    if (needle)
        assert_non_null(strstr(r.body, needle));
    aegis_http_response_clear(&r);
}

static void test_roundtrip(void **state)
{
    struct fx *f = *state;
    const char *b = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_ping\"}";
    post(f, "application/json", b, strlen(b), 200, "\"pong\"");
    post(f, "text/plain", b, strlen(b), 415, "-33256");
    post(f, "application/json", "{bad", 4, 200, "-32700");
    aegis_http_response r = { 0 };
    assert_int_equal(aegis_http_get(f->url, 2000, &r), AEGIS_OK);
    assert_int_equal(r.status, 405);
    aegis_http_response_clear(&r);
    char url[128];
    snprintf(url, sizeof(url), "%s/healthz", f->url);
    assert_int_equal(aegis_http_get(url, 2000, &r), AEGIS_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    aegis_http_response_clear(&r);
}

/* aegis_rpc_connections_total from /metrics. */
static long connections_total(struct fx *f)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/metrics", f->url);
    aegis_http_response r = { 0 };
    assert_int_equal(aegis_http_get(url, 2000, &r), AEGIS_OK);
    const char *p = strstr(r.body, "\naegis_rpc_connections_total ");
    assert_non_null(p);
    long n = strtol(p + strlen("\naegis_rpc_connections_total "), NULL, 10);
    aegis_http_response_clear(&r);
    return n;
}

/* A keep-alive connection carries many requests on one TCP connection,
 * its answers in order; a refused dial is a clear error. */
static void test_keep_alive(void **state)
{
    struct fx *f = *state;
    aegis_http_conn *c = NULL;
    assert_int_equal(aegis_http_conn_open(&c, f->url), AEGIS_OK);
    long before = connections_total(f);
    for (int i = 0; i < 20; i++) {
        char body[128];
        int n = snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"t_ping\"}", i);
        aegis_http_response r = { 0 };
        assert_int_equal(aegis_http_conn_post_json(c, body, (size_t)n, 5000, false, &r), AEGIS_OK);
        assert_int_equal(r.status, 200);
        char want[32];
        snprintf(want, sizeof(want), "\"id\":%d", i);
        assert_non_null(strstr(r.body, want));
        assert_non_null(strstr(r.body, "\"pong\""));
        aegis_http_response_clear(&r);
    }
    /* one connection for the 20, one for each /metrics scrape */
    assert_int_equal(connections_total(f) - before, 2);
    const char *b = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"t_ping\"}";
    aegis_http_response r = { 0 };
    aegis_http_conn_free(c);
    aegis_http_conn_free(NULL);
    /* nobody listening: a clear error, no crash */
    assert_int_equal(aegis_http_conn_open(&c, "http://127.0.0.1:1"), AEGIS_OK);
    assert_int_equal(aegis_http_conn_post_json(c, b, strlen(b), 1000, true, &r), AEGIS_ERR_RPC_CONNECT);
    aegis_http_conn_free(c);
    assert_int_equal(aegis_http_conn_open(&c, "https://x"), AEGIS_ERR_RPC_BAD_URL);
}

static void test_oversize(void **state)
{
    struct fx *f = *state;
    size_t n = 100000;
    char *big = malloc(n);
    memset(big, ' ', n);
    post(f, "application/json", big, n, 413, "AEGIS_ERR_RPC_BODY_TOO_BIG");
    free(big);
    /* The server still serves afterwards. */
    const char *b = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_ping\"}";
    post(f, "application/json", b, strlen(b), 200, "pong");
}

static void test_idle_connections(void **state)
{
    struct fx *f = *state;
    enum { N = 500 };
    int fds[N];
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(aegis_rpc_server_port(f->srv)) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    for (int i = 0; i < N; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fds[i] >= 0);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
    }
    const char *b = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_ping\"}";
    post(f, "application/json", b, strlen(b), 200, "pong");
    for (int i = 0; i < N; i++)
        close(fds[i]);
}

struct slow_arg {
    const char *url;
    int status;
    char body[256];
};

static void *slow_thread(void *p)
{
    struct slow_arg *a = p;
    const char *b = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"t_slow\"}";
    aegis_http_response r = { 0 };
    if (aegis_http_post_json(a->url, b, strlen(b), 5000, &r) == AEGIS_OK) {
        a->status = r.status;
        snprintf(a->body, sizeof(a->body), "%s", r.body);
        aegis_http_response_clear(&r);
    }
    return NULL;
}

static void *stop_thread(void *p)
{
    aegis_rpc_server_stop(p);
    return NULL;
}

static void test_stop_drains(void **state)
{
    struct fx *f = *state;
    struct slow_arg a = { f->url, 0, "" };
    pthread_t t, st;
    pthread_create(&t, NULL, slow_thread, &a);
    while (aegis_rpc_server_inflight(f->srv) == 0) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    pthread_create(&st, NULL, stop_thread, f->srv);
    /* while the slow call drains (300 ms), a new connection is not served */
    const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_ping\"}";
    bool turned_away = false;
    for (int i = 0; i < 100 && !turned_away; i++) {
        aegis_http_response r = { 0 };
        aegis_err err = aegis_http_post_json(f->url, ping, strlen(ping), 1000, &r);
        turned_away = err != AEGIS_OK;
        aegis_http_response_clear(&r);
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
    }
    assert_true(turned_away);
    assert_true(aegis_rpc_server_inflight(f->srv) > 0);   /* still draining then */
    pthread_join(st, NULL);
    pthread_join(t, NULL);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "done"));
    /* Nothing listens any more. */
    aegis_http_response r = { 0 };
    assert_int_not_equal(aegis_http_get(f->url, 1000, &r), AEGIS_OK);
}

static void test_url_parse(void **state)
{
    aegis_http_url u;
    assert_int_equal(aegis_http_url_parse("http://127.0.0.1:8545", &u), AEGIS_OK);
    assert_string_equal(u.host, "127.0.0.1");
    assert_string_equal(u.port, "8545");
    assert_string_equal(u.path, "/");
    assert_int_equal(aegis_http_url_parse("localhost:9/x", &u), AEGIS_OK);
    assert_string_equal(u.host, "localhost");
    assert_string_equal(u.path, "/x");
    assert_int_equal(aegis_http_url_parse("http://[::1]:80/", &u), AEGIS_OK);
    assert_string_equal(u.host, "::1");
    assert_int_equal(aegis_http_url_parse("https://x:1", &u), AEGIS_ERR_RPC_BAD_URL);
    assert_int_equal(aegis_http_url_parse("http://:1", &u), AEGIS_ERR_RPC_BAD_URL);
    assert_int_equal(aegis_http_url_parse("http://h:99999", &u), AEGIS_ERR_RPC_BAD_URL);
    assert_int_equal(aegis_http_url_parse("http://h:1x", &u), AEGIS_ERR_RPC_BAD_URL);
    /* Nothing listening: a connect error, not a hang. */
    aegis_http_response r = { 0 };
    assert_int_equal(aegis_http_get("http://127.0.0.1:1/", 1000, &r), AEGIS_ERR_RPC_CONNECT);
}

/* A raw server for aegis_http_conn: answers each request on one accepted
 * connection with the next canned reply, each reply in two writes with a
 * pause between (so the client reads it in pieces). */
struct canned {
    int lfd, port;
    const char *const *replies;
    size_t n;
};

static void *canned_main(void *arg)
{
    struct canned *cs = arg;
    int fd = accept(cs->lfd, NULL, NULL);
    char buf[4096];
    size_t have = 0;
    for (size_t i = 0; fd >= 0 && i < cs->n; i++) {
        /* one whole request: headers, then Content-Length bytes */
        char *end = NULL;
        size_t need = 0;
        while (!end || have < need) {
            ssize_t r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
            if (r <= 0)
                goto out;
            have += (size_t)r;
            buf[have] = '\0';
            if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
                const char *cl = strstr(buf, "Content-Length: ");
                need = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
            }
        }
        memmove(buf, buf + need, have - need);
        have -= need;
        size_t len = strlen(cs->replies[i]), half = len / 2;
        struct timespec ts = { 0, 5000000 };
        if (send(fd, cs->replies[i], half, MSG_NOSIGNAL) < 0)
            break;
        nanosleep(&ts, NULL);
        if (send(fd, cs->replies[i] + half, len - half, MSG_NOSIGNAL) < 0)
            break;
    }
out:
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* aegis_http_conn frames responses with aegis_http_frame: a reply read in
 * pieces comes back whole, and one it cannot frame (chunked, two lengths)
 * is refused with AEGIS_ERR_RPC_UNFRAMED and ends the connection - it
 * never guesses where a keep-alive response ends. */
static void test_conn_framing(void **state)
{
    (void)state;
    static const char *const replies[] = {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"result\":1}\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    };
    static const char *const doubled[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{} ",
    };
    struct { const char *const *r; size_t n; aegis_err last; } cases[] = {
        { replies, 3, AEGIS_ERR_RPC_UNFRAMED },
        { doubled, 1, AEGIS_ERR_RPC_UNFRAMED },
    };
    for (size_t k = 0; k < 2; k++) {
        struct canned cs = { .replies = cases[k].r, .n = cases[k].n };
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        cs.lfd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(cs.lfd >= 0);
        assert_int_equal(bind(cs.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(cs.lfd, 4), 0);
        assert_int_equal(getsockname(cs.lfd, (struct sockaddr *)&a, &al), 0);
        char url[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, canned_main, &cs), 0);
        aegis_http_conn *c = NULL;
        assert_int_equal(aegis_http_conn_open(&c, url), AEGIS_OK);
        const char *b = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}";
        aegis_http_response r = { 0 };
        for (size_t i = 0; i + 1 < cs.n; i++) {
            assert_int_equal(aegis_http_conn_post_json(c, b, strlen(b), 5000, false, &r), AEGIS_OK);
            assert_int_equal(r.status, 200);
            assert_string_equal(r.body, i == 0 ? "{\"result\":1}\n" : "{}");
            if (i == 0)
                assert_string_equal(r.content_type, "application/json");
            aegis_http_response_clear(&r);
        }
        assert_int_equal(aegis_http_conn_post_json(c, b, strlen(b), 5000, false, &r), cases[k].last);
        assert_null(r.body);
        aegis_http_conn_free(c);
        pthread_join(th, NULL);
        close(cs.lfd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_drains, setup, teardown),
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_conn_framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
