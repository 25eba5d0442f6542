/*
 * test_loadgen.c - `aegis loadgen --preseal` (its event loop,
 * src/cli/cli_loadgen_loop.c) against a real aegisd on loopback, through a
 * small HTTP proxy in this test that watches every request and can change
 * the answers to aegis_sendEncryptedTransaction:
 *   - forwarded (every third answer in three pieces with pauses between,
 *     so the loop reads it in parts), several connections, --rate, one and
 *     three loop threads: every envelope acknowledged and included exactly once
 *     (loadgen's summary, and the node's batches read back here: no tx hash
 *     twice), no failure, the rate held (the timed phase lasts at least
 *     count / rate), and a sender's next envelope never reaches the proxy
 *     before its previous one was answered (nonce order per sender); the
 *     last answer is held back until its envelope is already included, and
 *     loadgen still counts it (600 acknowledged, not 599);
 *   - every first attempt answered AEGIS_ERR_MEMPOOL_FULL: retried after
 *     the backoff on the same connection, all included, one retry each;
 *     sender 0's answers held back 200 ms, and still its next envelope
 *     waits for the previous answer while the other connections go on;
 *   - every send answered with a chunked response: refused with a clear
 *     error, every job failed, and none sent twice (a connection error
 *     must not repeat an envelope the node may have taken).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "harness.h"

static struct daemon D, C;

/* ---- the proxy ---- */

enum { FORWARD, BUSY_ONCE, CHUNKED };

#define MAXJ 4096

static struct proxy {
    int lfd, port, mode;
    uint64_t senders;
    pthread_mutex_t mu;
    unsigned sends[MAXJ];       /* aegis_sendEncryptedTransaction requests per job id */
    bool answered[MAXJ];        /* the proxy has answered job id (a result) */
    unsigned order_violations;  /* a sender's nonce n before n - 1 was answered */
    unsigned total_sends;
    int slow0_ms;               /* hold sender 0's envelopes this long before forwarding */
    long slow_job;              /* hold this job's answer (after the node gave it) ... */
    int slow_job_ms;            /* ... this long: its envelope is in a batch before loadgen has its answer */
} P = { .mu = PTHREAD_MUTEX_INITIALIZER };

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The answer in one write, or (split) cut in the middle of its header and
 * of its body with pauses between, so the client reads it in pieces. */
static bool respond(int fd, int status, const char *body, size_t len, bool split)
{
    char h[256];
    int n = snprintf(h, sizeof(h), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     status, len);
    if (!split) {
        char *all = malloc((size_t)n + len);
        bool ok = all != NULL;
        if (ok) {
            memcpy(all, h, (size_t)n);
            memcpy(all + n, body, len);
            ok = send_all(fd, all, (size_t)n + len);
        }
        free(all);
        return ok;
    }
    struct timespec pause = { 0, 2000000L };
    bool ok = send_all(fd, h, 20);
    nanosleep(&pause, NULL);
    ok = ok && send_all(fd, h + 20, (size_t)n - 20) && send_all(fd, body, len / 2);
    nanosleep(&pause, NULL);
    return ok && send_all(fd, body + len / 2, len - len / 2);
}

/* One request from the client: a send of job j (-1: anything else). */
static bool handle(int fd, const char *method, const char *path, const char *body, size_t blen)
{
    long j = -1;
    const char *m = blen ? strstr(body, "\"aegis_sendEncryptedTransaction\"") : NULL;
    if (m) {
        const char *id = strstr(body, "\"id\":");
        j = id ? strtol(id + 5, NULL, 10) : -1;
        if (j < 0 || j >= MAXJ)
            return false;   /* not one of the test's: the client sees the connection end */
        pthread_mutex_lock(&P.mu);
        P.sends[j]++;
        P.total_sends++;
        if ((uint64_t)j >= P.senders && !P.answered[j - (long)P.senders])
            P.order_violations++;
        unsigned nth = P.sends[j];
        pthread_mutex_unlock(&P.mu);
        if (P.slow0_ms && (uint64_t)j % P.senders == 0) {
            struct timespec ts = { 0, (long)P.slow0_ms * 1000000L };
            nanosleep(&ts, NULL);
        }
        if (P.mode == CHUNKED) {
            const char *r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n";
            return send_all(fd, r, strlen(r));
        }
        if (P.mode == BUSY_ONCE && nth == 1) {
            char e[256];
            int n = snprintf(e, sizeof(e),
                             "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"error\":{\"code\":-32000,\"message\":\"mempool full\","
                             "\"data\":{\"aegis_code\":%d,\"name\":\"AEGIS_ERR_MEMPOOL_FULL\"}}}",
                             j, (int)AEGIS_ERR_MEMPOOL_FULL);
            return respond(fd, 200, e, (size_t)n, false);
        }
    }
    char url[128];
    snprintf(url, sizeof(url), "%s%s", D.url, path);
    aegis_http_response r = { 0 };
    aegis_err err = strcmp(method, "GET") == 0 ? aegis_http_get(url, 30000, &r)
                                              : aegis_http_post_json(url, body, blen, 30000, &r);
    if (err)
        return false;
    if (j >= 0 && r.status == 200 && strstr(r.body, "\"result\"")) {
        pthread_mutex_lock(&P.mu);
        P.answered[j] = true;   /* before the client can see it */
        pthread_mutex_unlock(&P.mu);
    }
    if (j >= 0 && j == P.slow_job && P.slow_job_ms) {
        struct timespec ts = { P.slow_job_ms / 1000, (long)(P.slow_job_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    /* every third answer to a send arrives in pieces */
    bool ok = respond(fd, r.status, r.body, r.len, j >= 0 && j % 3 == 0);
    aegis_http_response_clear(&r);
    return ok;
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    for (bool open = buf != NULL; open;) {
        char *end;
        while (!(buf[len] = '\0', end = strstr(buf, "\r\n\r\n"))) {
            ssize_t r = len < cap ? recv(fd, buf + len, cap - len, 0) : 0;
            if (r <= 0)
                goto out;
            len += (size_t)r;
        }
        size_t hl = (size_t)(end - buf) + 4, cl = 0;
        const char *p = strcasestr(buf, "\r\nContent-Length:");
        if (p && p < end)
            cl = strtoul(p + 17, NULL, 10);
        if (hl + cl > cap)
            goto out;
        while (len < hl + cl) {
            ssize_t r = recv(fd, buf + len, cap - len, 0);
            if (r <= 0)
                goto out;
            len += (size_t)r;
        }
        char method[8] = "", path[64] = "/";
        sscanf(buf, "%7s %63s", method, path);
        const char *c = strcasestr(buf, "\r\nConnection: close");
        bool close_after = c && c < end;
        char save = buf[hl + cl];
        buf[hl + cl] = '\0';
        open = handle(fd, method, path, buf + hl, cl) && !close_after;
        buf[hl + cl] = save;
        memmove(buf, buf + hl + cl, len - hl - cl);
        len -= hl + cl;
    }
out:
    free(buf);
    close(fd);
    return NULL;
}

static void *accept_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(P.lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_t th;
        if (pthread_create(&th, NULL, conn_main, (void *)(intptr_t)fd) == 0)
            pthread_detach(th);
        else
            close(fd);
    }
}

static void proxy_reset(int mode, uint64_t senders)
{
    pthread_mutex_lock(&P.mu);
    P.mode = mode;
    P.senders = senders;
    memset(P.sends, 0, sizeof(P.sends));
    memset(P.answered, 0, sizeof(P.answered));
    P.order_violations = P.total_sends = 0;
    P.slow0_ms = 0;
    P.slow_job = -1;
    P.slow_job_ms = 0;
    pthread_mutex_unlock(&P.mu);
}

/* ---- the tests ---- */

static int loadgen(const char *count, const char *senders, const char *conc, const char *rate, const char *loops)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", P.port);
    const char *args[] = { "loadgen", "--rpc", url, "--count", count, "--senders", senders, "--concurrency", conc,
                           "--preseal", "--allow-sim", "--timeout", "30", "--loops", loops,
                           rate ? "--rate" : NULL, rate, NULL };
    int rc = run_aegis(&C, args);
    if (rc != 0 && P.mode != CHUNKED)
        fprintf(stderr, "%s\n%s\n", slurp(C.out), slurp(C.err));
    return rc;
}

static double after_num(const char *s, const char *key)
{
    const char *p = s ? strstr(s, key) : NULL;
    return p ? strtod(p + strlen(key), NULL) : -1;
}

/* Every tx hash in the node's batches after `from`: none twice; returns
 * how many. */
static size_t node_txs_once(uint64_t from)
{
    json_t *st = rpc_call(&D, "aegis_status", "[]");
    uint64_t last = (uint64_t)json_integer_value(json_object_get(json_object_get(st, "result"), "last_batch"));
    json_decref(st);
    json_t *seen = json_object();
    size_t n = 0;
    for (uint64_t b = from + 1; b <= last; b++) {
        char params[32];
        snprintf(params, sizeof(params), "[%llu]", (unsigned long long)b);
        json_t *r = rpc_call(&D, "aegis_getBatch", params);
        json_t *txs = json_object_get(json_object_get(r, "result"), "txs");
        assert_true(json_is_array(txs));
        for (size_t i = 0; i < json_array_size(txs); i++) {
            const char *h = json_string_value(json_object_get(json_array_get(txs, i), "hash"));
            assert_non_null(h);
            assert_null(json_object_get(seen, h));   /* included once */
            json_object_set_new(seen, h, json_true());
            n++;
        }
        json_decref(r);
    }
    json_decref(seen);
    return n;
}

static uint64_t last_batch(void)
{
    json_t *st = rpc_call(&D, "aegis_status", "[]");
    uint64_t last = (uint64_t)json_integer_value(json_object_get(json_object_get(st, "result"), "last_batch"));
    json_decref(st);
    return last;
}

static void check_forwarded(const char *loops)
{
    proxy_reset(FORWARD, 30);
    /* the last envelope's answer held 2.5 s after the node gave it: its
     * batch is cut meanwhile (every 50 ms) and loadgen's follower sees it
     * (within ~1 s), so every envelope is included before loadgen has read
     * every answer - it must wait for that answer (it stopped at "all
     * included" and counted 599 acknowledged) */
    P.slow_job = 599;
    P.slow_job_ms = 2500;
    uint64_t before = last_batch();
    assert_int_equal(loadgen("600", "30", "8", "300", loops), 0);
    const char *out = slurp(C.out);
    if (!strstr(out, "preseal: 600 acknowledged") || !strstr(out, " 0 failed, 0 retries")) {
        print_message("    loadgen's output:\n%s\n", out);
        print_message("    its stderr:\n%s\n", slurp(C.err));
        out = slurp(C.out);   /* slurp's buffer is shared */
    }
    assert_non_null(strstr(out, "600/600 included"));
    assert_non_null(strstr(out, "preseal: 600 acknowledged"));
    assert_non_null(strstr(out, " 0 failed, 0 retries"));
    assert_non_null(strstr(out, "load generator CPU"));
    assert_true(after_num(strstr(out, "load generator CPU"), "s = ") > 0);
    /* paced: 600 at 300/s take about two seconds, not a burst */
    double el = after_num(out, "acknowledged in ");
    assert_true(el >= 1.8);
    assert_true(el < 20);
    /* the proxy saw each envelope once, each sender's in nonce order */
    assert_int_equal(P.total_sends, 600);
    for (int j = 0; j < 600; j++)
        assert_int_equal(P.sends[j], 1);
    assert_int_equal(P.order_violations, 0);
    /* and the node included each exactly once */
    assert_int_equal(node_txs_once(before), 600);
}

static void test_forwarded(void **state)
{
    (void)state;
    check_forwarded("1");
}

static void test_forwarded_three_loops(void **state)
{
    (void)state;
    check_forwarded("3");
}

static void test_busy_retried(void **state)
{
    (void)state;
    proxy_reset(BUSY_ONCE, 10);
    /* sender 0's envelopes answered late: its next one must still wait
     * (the other connections go on with their own senders) */
    P.slow0_ms = 200;
    assert_int_equal(loadgen("80", "10", "4", NULL, "1"), 0);
    const char *out = slurp(C.out);
    assert_non_null(strstr(out, "80/80 included"));
    assert_non_null(strstr(out, " 0 failed, 80 retries"));
    for (int j = 0; j < 80; j++)
        assert_int_equal(P.sends[j], 2);   /* refused once, then taken */
    assert_int_equal(P.order_violations, 0);
}

static void test_unframed_not_resent(void **state)
{
    (void)state;
    proxy_reset(CHUNKED, 10);
    assert_int_equal(loadgen("40", "10", "4", NULL, "1"), 1);
    assert_non_null(strstr(slurp(C.out), "0/40 included"));
    assert_non_null(strstr(slurp(C.out), " 40 failed"));
    const char *err = slurp(C.err);
    assert_non_null(strstr(err, "first failure"));
    assert_non_null(strstr(err, "chunked"));
    assert_non_null(strstr(err, "not resent"));
    for (int j = 0; j < 40; j++)
        assert_int_equal(P.sends[j], 1);   /* a connection error never repeats an envelope */
}

static void test_bad_args(void **state)
{
    (void)state;
    const char *no_preseal[] = { "loadgen", "--rpc", D.url, "--count", "5", "--loops", "2", "--allow-sim", NULL };
    assert_int_equal(run_aegis(&C, no_preseal), 2);
    assert_non_null(strstr(slurp(C.err), "--loops needs --preseal"));
    const char *zero[] = { "loadgen", "--rpc", D.url, "--count", "5", "--preseal", "--loops", "0", "--allow-sim", NULL };
    assert_int_equal(run_aegis(&C, zero), 2);
    const char *many[] = { "loadgen", "--rpc", D.url, "--count", "5", "--preseal", "--loops", "17", "--allow-sim", NULL };
    assert_int_equal(run_aegis(&C, many), 2);
}

static int group_setup(void **state)
{
    daemon_init(&D, "[node]\nid = \"it-loadgen\"\n[batch]\nmax = 20\ninterval_ms = 50\n");
    if (!daemon_start(&D)) {
        harness_reap_all(state);
        return -1;
    }
    C = D;
    C.pid = -1;
    snprintf(C.out, sizeof(C.out), "%s/cli.out", D.dir);
    snprintf(C.err, sizeof(C.err), "%s/cli.err", D.dir);
    P.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof(a);
    if (P.lfd < 0 || bind(P.lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(P.lfd, 128) != 0 ||
        getsockname(P.lfd, (struct sockaddr *)&a, &al) != 0)
        return -1;
    P.port = ntohs(a.sin_port);
    pthread_t th;
    if (pthread_create(&th, NULL, accept_main, NULL) != 0)
        return -1;
    pthread_detach(th);
    return 0;
}

static int group_teardown(void **state)
{
    int rc = daemon_stop(&D, SIGTERM);
    daemon_cleanup(&D);
    harness_reap_all(state);
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forwarded),
        cmocka_unit_test(test_forwarded_three_loops),
        cmocka_unit_test(test_busy_retried),
        cmocka_unit_test(test_unframed_not_resent),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
