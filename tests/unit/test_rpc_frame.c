/* test_rpc_frame.c - aegis_http_frame: where one HTTP/1.1 response ends in
 * a keep-alive byte stream (aegis loadgen's event loop reads with it):
 * whole, split at every byte, pipelined, Connection: close, and refused
 * framings (chunked, no or two Content-Length) and malformed responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aegis/http.h"

static const char ok_resp[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
    "Date: Mon, 07 Dec 2026 19:00:00 GMT\r\n\r\n"
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"r\"";

static aegis_err frame(const char *s, aegis_http_frame_info *f)
{
    const char *why = NULL;
    aegis_err err = aegis_http_frame(s, strlen(s), f, &why);
    if (err)
        assert_non_null(why);   /* every refusal says why */
    return err;
}

static void test_whole(void **state)
{
    (void)state;
    aegis_http_frame_info f;
    assert_int_equal(frame(ok_resp, &f), AEGIS_OK);
    assert_int_equal(f.status, 200);
    assert_int_equal(f.body_len, 27);
    assert_int_equal(f.total, strlen(ok_resp));
    assert_int_equal(f.header_len, strlen(ok_resp) - 27);
    assert_memory_equal(ok_resp + f.header_len, "{\"jsonrpc\"", 10);
    assert_false(f.close);
    /* header names are case-insensitive; spaces around the value */
    assert_int_equal(frame("HTTP/1.1 404 Not Found\r\ncontent-length:   3  \r\n\r\nabc", &f), AEGIS_OK);
    assert_int_equal(f.status, 404);
    assert_int_equal(f.body_len, 3);
    assert_int_equal(frame("HTTP/1.1 204\r\nContent-Length: 0\r\n\r\n", &f), AEGIS_OK);
    assert_int_equal(f.body_len, 0);
}

/* Every prefix short of the whole response asks for more; the whole one
 * (and nothing less) is a frame. */
static void test_split(void **state)
{
    (void)state;
    size_t n = strlen(ok_resp);
    for (size_t i = 0; i < n; i++) {
        aegis_http_frame_info f;
        assert_int_equal(aegis_http_frame(ok_resp, i, &f, NULL), AEGIS_ERR_TRUNCATED);
    }
    aegis_http_frame_info f;
    assert_int_equal(aegis_http_frame(ok_resp, n, &f, NULL), AEGIS_OK);
}

static void test_pipelined(void **state)
{
    (void)state;
    char two[1024];
    const char *second = "HTTP/1.1 503 Busy\r\nConnection: keep-alive, Close\r\nContent-Length: 5\r\n\r\nbusy!";
    snprintf(two, sizeof(two), "%s%s", ok_resp, second);
    aegis_http_frame_info f;
    assert_int_equal(frame(two, &f), AEGIS_OK);
    assert_int_equal(f.total, strlen(ok_resp));   /* the first only: the rest is not its */
    assert_false(f.close);
    assert_int_equal(frame(two + f.total, &f), AEGIS_OK);
    assert_int_equal(f.status, 503);
    assert_int_equal(f.body_len, 5);
    assert_true(f.close);
    /* HTTP/1.0 ends the connection */
    assert_int_equal(frame("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", &f), AEGIS_OK);
    assert_true(f.close);
    /* "closed" is not "close" */
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 1\r\n\r\nx", &f), AEGIS_OK);
    assert_false(f.close);
}

static void test_unframed(void **state)
{
    (void)state;
    aegis_http_frame_info f;
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", &f),
                     AEGIS_ERR_RPC_UNFRAMED);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", &f),
                     AEGIS_ERR_RPC_UNFRAMED);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nread until close", &f),
                     AEGIS_ERR_RPC_UNFRAMED);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", &f),
                     AEGIS_ERR_RPC_UNFRAMED);
    const char *why = NULL;
    const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(aegis_http_frame(chunked, strlen(chunked), &f, &why), AEGIS_ERR_RPC_UNFRAMED);
    assert_non_null(strstr(why, "chunked"));
}

static void test_malformed(void **state)
{
    (void)state;
    aegis_http_frame_info f;
    /* refused from the first bytes, not after waiting for a blank line */
    assert_int_equal(frame("SSH-2.0-OpenSSH", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/2 200", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 2x0 OK", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\nContent-Length: 0\n\n", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 100 Continue\r\n\r\n", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nContent-Length 3\r\n\r\nabc", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\n: 3\r\nContent-Length: 3\r\n\r\nabc", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\n Folded: x\r\nContent-Length: 3\r\n\r\nabc", &f),
                     AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 3\r\n\r\nabc", &f),
                     AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    assert_int_equal(frame("HTTP/1.1 200 OK\r\nContent-Length: 4294967295\r\n\r\n", &f), AEGIS_ERR_TOO_BIG);
    /* a header block that never ends */
    size_t big = AEGIS_HTTP_FRAME_MAX_HEADER + 100;
    char *h = malloc(big + 1);
    assert_non_null(h);
    memset(h, 'a', big);
    memcpy(h, "HTTP/1.1 200 OK\r\nX-Long: ", 25);
    h[big] = '\0';
    assert_int_equal(frame(h, &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    memcpy(h + big - 30, "\r\nContent-Length: 0\r\n\r\n", 23);
    h[big - 7] = '\0';
    assert_int_equal(frame(h, &f), AEGIS_ERR_RPC_BAD_RESPONSE);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),   cmocka_unit_test(test_split),     cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_unframed), cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
