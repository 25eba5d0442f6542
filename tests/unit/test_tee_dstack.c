/*
 * test_tee_dstack.c - the "dstack" backend against a local unix-socket HTTP
 * server (a thread) that replays the real recorded GetQuote response of
 * tests/vectors/attestation/dstack_getquote_tdx_v4 (origin in its README),
 * answers GetKey with a key derived from the path, and Info with fixed app
 * facts. Round trip: the quote comes back intact, parses, its event log
 * replays to its RTMRs and it verifies with DCAP at the sample's time.
 * Also: chunked replies, report_data mismatch, a tampered event log, agent
 * errors, the legacy tappd API, derive_key (dstack and tdx via GetKey),
 * and the quote_eventlog op (quote + the agent's event log, verbatim).
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "aegis/attest.h"
#include "aegis/crypto.h"
#include "aegis/tee.h"
#include "../../src/tee/tee_int.h"   /* the backend's quote_eventlog op */

#define SAMPLE "tests/vectors/attestation/dstack_getquote_tdx_v4"
#define VERIFY_TIME 1774003274

enum smode { S_PLAIN, S_CHUNKED, S_TAMPER, S_ERROR };

static struct {
    char dir[128];
    char sock[256];
    int lfd;
    pthread_t th;
    enum smode mode;
    char *recorded;          /* getquote_response.json */
    size_t recorded_len;
    char last_path[128];     /* last HTTP path requested */
    char last_body[1024];
    unsigned requests;
} S;

static char *read_text(const char *rel, size_t *len)
{
    const char *root = getenv("AEGIS_ROOT");
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root ? root : ".", rel);
    uint8_t *b = NULL;
    size_t n = 0;
    assert_int_equal(aegis_file_read(p, 1 << 22, &b, &n), AEGIS_OK);
    char *s = aegis_malloc(n + 1);
    memcpy(s, b, n);
    s[n] = 0;
    aegis_free(b);
    if (len)
        *len = n;
    return s;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void reply(int fd, int status, const char *body)
{
    char hdr[256];
    size_t n = strlen(body);
    if (S.mode == S_CHUNKED) {
        snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n", status);
        send_all(fd, hdr, strlen(hdr));
        for (size_t off = 0; off < n; off += 1000) {   /* several chunks */
            size_t c = n - off < 1000 ? n - off : 1000;
            snprintf(hdr, sizeof(hdr), "%zx\r\n", c);
            send_all(fd, hdr, strlen(hdr));
            send_all(fd, body + off, c);
            send_all(fd, "\r\n", 2);
        }
        send_all(fd, "0\r\n\r\n", 5);
    } else {
        snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n", status, n);
        send_all(fd, hdr, strlen(hdr));
        send_all(fd, body, n);
    }
}

/* The recorded response with the digest of the first RTMR0 event changed. */
static char *tampered(void)
{
    json_t *r = json_loadb(S.recorded, S.recorded_len, 0, NULL);
    const char *ev = json_string_value(json_object_get(r, "event_log"));
    json_t *arr = json_loads(ev, 0, NULL);
    json_t *e0 = json_array_get(arr, 0);
    char d[97];
    snprintf(d, sizeof(d), "%s", json_string_value(json_object_get(e0, "digest")));
    d[0] = d[0] == '0' ? '1' : '0';
    json_object_set_new(e0, "digest", json_string(d));
    char *evs = json_dumps(arr, JSON_COMPACT);
    json_object_set_new(r, "event_log", json_string(evs));
    char *out = json_dumps(r, JSON_COMPACT);
    free(evs);
    json_decref(arr);
    json_decref(r);
    return out;
}

static void handle(int fd)
{
    char req[8192];
    size_t n = 0;
    for (;;) {   /* the client half-closes after the request */
        ssize_t r = recv(fd, req + n, sizeof(req) - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    req[n] = 0;
    char path[128] = "";
    sscanf(req, "POST %127s HTTP/1.1", path);
    const char *body = strstr(req, "\r\n\r\n");
    body = body ? body + 4 : "";
    snprintf(S.last_path, sizeof(S.last_path), "%s", path);
    snprintf(S.last_body, sizeof(S.last_body), "%s", body);
    S.requests++;
    if (S.mode == S_ERROR) {
        reply(fd, 500, "{\"error\":\"quote generation failed\"}");
        return;
    }
    if (strcmp(path, "/GetQuote") == 0 || strcmp(path, "/prpc/Tappd.TdxQuote") == 0) {
        if (S.mode == S_TAMPER) {
            char *t = tampered();
            reply(fd, 200, t);
            free(t);
        } else {
            reply(fd, 200, S.recorded);
        }
    } else if (strcmp(path, "/GetKey") == 0 || strcmp(path, "/prpc/Tappd.DeriveKey") == 0) {
        json_t *j = json_loads(body, 0, NULL);
        const char *p = json_string_value(json_object_get(j, "path"));
        uint8_t k[32];
        char hex[65], out[200];
        aegis_sha256(k, p ? p : "", p ? strlen(p) : 0);
        aegis_hex_encode(hex, k, 32);
        snprintf(out, sizeof(out), "{\"key\":\"%s\",\"signature_chain\":[]}", hex);
        json_decref(j);
        reply(fd, 200, out);
    } else if (strcmp(path, "/Info") == 0 || strcmp(path, "/prpc/Tappd.Info") == 0) {
        reply(fd, 200, "{\"app_id\":\"ea549f02e1a25fabd1cb788380e033ec5461b2ff\",\"instance_id\":\"i-1\","
                       "\"app_name\":\"aegis\",\"compose_hash\":\"00\",\"tcb_info\":\"{}\"}");
    } else {
        reply(fd, 404, "{\"error\":\"no such method\"}");
    }
}

static void *server(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(S.lfd, NULL, NULL);
        if (c < 0)
            return NULL;   /* listening socket shut down */
        handle(c);
        close(c);
    }
}

static void start_server(const char *sockname)
{
    snprintf(S.sock, sizeof(S.sock), "%s/%s", S.dir, sockname);
    S.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(S.lfd >= 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    assert_true(strlen(S.sock) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, S.sock, strlen(S.sock) + 1);
    assert_int_equal(bind(S.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(S.lfd, 8), 0);
    assert_int_equal(pthread_create(&S.th, NULL, server, NULL), 0);
}

static int setup(void **state)
{
    (void)state;
    memset(&S, 0, sizeof(S));
    snprintf(S.dir, sizeof(S.dir), "/tmp/aegis-test-dstack-XXXXXX");
    if (!mkdtemp(S.dir))
        return -1;
    S.recorded = read_text(SAMPLE "/getquote_response.json", &S.recorded_len);
    start_server("dstack.sock");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    shutdown(S.lfd, SHUT_RDWR);
    close(S.lfd);
    pthread_join(S.th, NULL);
    unlink(S.sock);
    rmdir(S.dir);
    aegis_free(S.recorded);
    return 0;
}

static aegis_tee *open_dstack(const char *sock)
{
    aegis_tee_option o[] = { { "socket", sock }, { "timeout_ms", "5000" }, { "configfs_root", "" } };
    aegis_tee *t = NULL;
    assert_int_equal(aegis_tee_open("dstack", o, 3, &t), AEGIS_OK);
    assert_false(aegis_tee_is_insecure(t));
    return t;
}

/* The recorded report_data: "1234" then zeros. */
static void recorded_rd(uint8_t rd[64])
{
    memset(rd, 0, 64);
    rd[0] = 0x12;
    rd[1] = 0x34;
}

static void check_round_trip(aegis_tee *t)
{
    uint8_t rd[64], *q = NULL;
    size_t qlen = 0;
    recorded_rd(rd);
    assert_int_equal(aegis_tee_quote(t, rd, &q, &qlen), AEGIS_OK);
    /* the request carried our 64 bytes as plain hex */
    char hex[129];
    aegis_hex_encode(hex, rd, 64);
    assert_non_null(strstr(S.last_body, hex));
    /* the quote is the recorded one, padding trimmed */
    size_t blen = 0;
    char *bin = read_text(SAMPLE "/quote.bin", &blen);
    assert_int_equal(qlen, 4936);
    assert_memory_equal(q, bin, qlen);
    aegis_free(bin);
    /* its event log replays to its RTMRs (independent of the backend) */
    aegis_quote pq;
    assert_int_equal(aegis_quote_parse(q, qlen, &pq, NULL), AEGIS_OK);
    aegis_eventlog log;
    assert_int_equal(aegis_eventlog_parse(S.recorded, S.recorded_len, &log, NULL), AEGIS_OK);
    assert_int_equal(aegis_eventlog_check(&log, &pq.td, NULL), AEGIS_OK);
    assert_non_null(aegis_eventlog_find(&log, "compose-hash"));
    aegis_eventlog_clear(&log);
    /* and it verifies with DCAP at the sample's time */
    aegis_collateral *coll = NULL;
    size_t cl = 0;
    char *cj = read_text(SAMPLE "/collateral.json", &cl);
    assert_int_equal(aegis_collateral_load_json(cj, cl, &coll, NULL), AEGIS_OK);
    aegis_free(cj);
    aegis_attest_result res;
    assert_int_equal(aegis_attest_verify(q, qlen, coll, VERIFY_TIME, &res), AEGIS_OK);
    assert_true(res.verified);
    assert_int_equal(res.tcb_status, AEGIS_TCB_UP_TO_DATE);
    aegis_collateral_unref(coll);
    aegis_free(q);
}

static void test_round_trip(void **state)
{
    (void)state;
    aegis_tee *t = open_dstack(S.sock);
    check_round_trip(t);
    assert_string_equal(S.last_path, "/GetQuote");
    aegis_tee_free(t);
}

static void test_round_trip_chunked(void **state)
{
    (void)state;
    S.mode = S_CHUNKED;
    aegis_tee *t = open_dstack(S.sock);
    check_round_trip(t);
    aegis_tee_free(t);
}

static void test_report_data_mismatch(void **state)
{
    (void)state;
    aegis_tee *t = open_dstack(S.sock);
    uint8_t rd[64], *q = NULL;
    size_t qlen = 0;
    recorded_rd(rd);
    rd[2] = 0x56;
    assert_int_equal(aegis_tee_quote(t, rd, &q, &qlen), AEGIS_ERR_POLICY_REPORT_DATA);
    assert_null(q);
    aegis_tee_free(t);
}

static void test_tampered_event_log(void **state)
{
    (void)state;
    S.mode = S_TAMPER;
    aegis_tee *t = open_dstack(S.sock);
    uint8_t rd[64], *q = NULL;
    size_t qlen = 0;
    recorded_rd(rd);
    assert_int_equal(aegis_tee_quote(t, rd, &q, &qlen), AEGIS_ERR_EVENTLOG_MISMATCH);
    assert_null(q);
    aegis_tee_free(t);
}

extern const struct aegis_tee_ops aegis_tee_dstack_ops;   /* tee_dstack.c */

/* The backend op behind the published record's event_log: the agent's
 * string, byte for byte, with the same quote; none on a tampered log. */
static void test_quote_eventlog(void **state)
{
    (void)state;
    const struct aegis_tee_ops *ops = &aegis_tee_dstack_ops;
    assert_non_null(ops->quote_eventlog);
    void *ctx = aegis_calloc(1, ops->ctx_size);
    assert_non_null(ctx);
    aegis_tee_option o[] = { { "socket", S.sock }, { "timeout_ms", "5000" } };
    assert_int_equal(ops->init(ctx, o, 2), AEGIS_OK);
    uint8_t rd[64], *q = NULL;
    size_t qlen = 0, loglen = 0;
    char *log = NULL;
    recorded_rd(rd);
    assert_int_equal(ops->quote_eventlog(ctx, rd, &q, &qlen, &log, &loglen), AEGIS_OK);
    assert_int_equal(qlen, 4936);
    json_t *r = json_loadb(S.recorded, S.recorded_len, 0, NULL);
    const char *want = json_string_value(json_object_get(r, "event_log"));
    assert_non_null(want);
    assert_non_null(log);
    assert_int_equal(loglen, strlen(want));
    assert_string_equal(log, want);
    aegis_free(q);
    aegis_free(log);
    /* a log that does not replay: no quote, no log */
    S.mode = S_TAMPER;
    q = NULL;
    log = NULL;
    assert_int_equal(ops->quote_eventlog(ctx, rd, &q, &qlen, &log, &loglen), AEGIS_ERR_EVENTLOG_MISMATCH);
    assert_null(q);
    assert_null(log);
    json_decref(r);
    ops->free(ctx);
    aegis_free_secret(ctx, ops->ctx_size);
}

static void test_agent_errors(void **state)
{
    (void)state;
    S.mode = S_ERROR;
    aegis_tee *t = open_dstack(S.sock);
    uint8_t rd[64], *q = NULL, k[32];
    size_t qlen = 0;
    recorded_rd(rd);
    assert_int_equal(aegis_tee_quote(t, rd, &q, &qlen), AEGIS_ERR_UNSUPPORTED);
    assert_int_equal(aegis_tee_derive_key(t, "x", k), AEGIS_ERR_UNSUPPORTED);
    aegis_tee_free(t);
    /* no agent at all: opening works (lazy), calls fail */
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/none.sock", S.dir);
    t = open_dstack(missing);
    assert_int_equal(aegis_tee_quote(t, rd, &q, &qlen), AEGIS_ERR_IO);
    aegis_tee_free(t);
    aegis_tee_option bad[] = { { "socket", S.sock }, { "timeout_ms", "0" } };
    assert_int_equal(aegis_tee_open("dstack", bad, 2, &t), AEGIS_ERR_INVAL);
}

static void expect_key(const char *path, const char *salt, const char *label, uint8_t out[32])
{
    uint8_t ikm[32];
    aegis_sha256(ikm, path, strlen(path));
    assert_int_equal(aegis_hkdf_sha256(out, 32, ikm, 32, (const uint8_t *)salt, strlen(salt),
                                       (const uint8_t *)label, strlen(label)), AEGIS_OK);
}

static void test_derive_key(void **state)
{
    (void)state;
    aegis_tee *t = open_dstack(S.sock);
    uint8_t k1[32], k2[32], want[32];
    assert_int_equal(aegis_tee_derive_key(t, "aegis/keyset/v1", k1), AEGIS_OK);
    assert_string_equal(S.last_path, "/GetKey");
    assert_non_null(strstr(S.last_body, "\"path\":\"aegis/dstack/aegis/keyset/v1\""));
    expect_key("aegis/dstack/aegis/keyset/v1", "AEGIS-DSTACK-TEE-V1", "aegis/keyset/v1", want);
    assert_memory_equal(k1, want, 32);
    assert_int_equal(aegis_tee_derive_key(t, "other", k2), AEGIS_OK);
    assert_memory_not_equal(k1, k2, 32);
    aegis_tee_free(t);

    /* the tdx backend borrows the agent's GetKey for its sealing key */
    aegis_tee_option o[] = { { "socket", S.sock } };
    assert_int_equal(aegis_tee_open("tdx", o, 1, &t), AEGIS_OK);
    assert_int_equal(aegis_tee_derive_key(t, "aegis/keyset/v1", k2), AEGIS_OK);
    expect_key("aegis/tdx/aegis/keyset/v1", "AEGIS-TDX-TEE-V1", "aegis/keyset/v1", want);
    assert_memory_equal(k2, want, 32);
    assert_memory_not_equal(k1, k2, 32);
    aegis_tee_free(t);
}

struct info_seen {
    char app_id[64];
    char security[32];
};

static void on_info(void *arg, const char *k, const char *v)
{
    struct info_seen *s = arg;
    if (strcmp(k, "app_id") == 0)
        snprintf(s->app_id, sizeof(s->app_id), "%s", v);
    if (strcmp(k, "security") == 0)
        snprintf(s->security, sizeof(s->security), "%s", v);
}

static void test_info_and_measurement(void **state)
{
    (void)state;
    aegis_tee *t = open_dstack(S.sock);
    struct info_seen s = { "", "" };
    aegis_tee_info(t, on_info, &s);
    assert_string_equal(s.app_id, "ea549f02e1a25fabd1cb788380e033ec5461b2ff");
    assert_string_equal(s.security, "hardware");
    assert_string_equal(S.last_path, "/Info");
    /* the measurement quote binds a tag the recording does not: refused */
    uint8_t m[48];
    assert_int_equal(aegis_tee_measurement(t, m), AEGIS_ERR_POLICY_REPORT_DATA);
    aegis_tee_free(t);
}

static void test_legacy_tappd(void **state)
{
    (void)state;
    /* a second server socket named like the legacy agent's */
    shutdown(S.lfd, SHUT_RDWR);
    close(S.lfd);
    pthread_join(S.th, NULL);
    unlink(S.sock);
    start_server("tappd.sock");
    aegis_tee *t = open_dstack(S.sock);
    check_round_trip(t);
    assert_string_equal(S.last_path, "/prpc/Tappd.TdxQuote");
    assert_non_null(strstr(S.last_body, "\"hash_algorithm\":\"raw\""));
    aegis_tee_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_chunked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_data_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_event_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quote_eventlog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agent_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_derive_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info_and_measurement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_tappd, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
