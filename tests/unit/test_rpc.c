/* test_rpc.c - JSON-RPC dispatch, HTTP routing, error mapping, health and
 * metrics, all without sockets (aegis_rpc_handle_body / _handle_http). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aegis/rpc.h"

static aegis_err h_echo(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    *ret = params ? json_incref(params) : json_null();
    return AEGIS_OK;
}

static aegis_err h_fail(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    *detail = "always fails";
    return AEGIS_ERR_NOT_FOUND;
}

static aegis_err h_count(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    int *n = call->ctx;
    (*n)++;
    *ret = json_integer(*n);
    return AEGIS_OK;
}

static aegis_err h_needs_str(const aegis_rpc_call *call, json_t *params, json_t **ret,
                             const char **detail)
{
    if (!json_is_array(params) || !json_is_string(json_array_get(params, 0))) {
        *detail = "params[0] must be a string";
        return AEGIS_ERR_RPC_INVALID_PARAMS;
    }
    *ret = json_string("ok");
    return AEGIS_OK;
}

static const aegis_rpc_method methods[] = {
    { "t_echo", h_echo, "any", AEGIS_RPC_PUBLIC, "echo params" },
    { "t_fail", h_fail, "[]", AEGIS_RPC_PUBLIC, "fails" },
    { "t_count", h_count, "[]", AEGIS_RPC_PUBLIC | AEGIS_RPC_WRITE, "counts calls" },
    { "t_admin", h_echo, "[]", AEGIS_RPC_ADMIN, "admin only" },
    { "t_str", h_needs_str, "[string]", AEGIS_RPC_PUBLIC, "needs a string" },
};

struct fx {
    aegis_rpc_server *srv;
    int counter;
};

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof(f));
    aegis_rpc_opts o;
    aegis_rpc_opts_default(&o);
    o.max_batch = 4;
    o.max_body = 4096;
    if (aegis_rpc_server_new(&f.srv, &o) != AEGIS_OK)
        return -1;
    if (aegis_rpc_add_methods(f.srv, methods, AEGIS_ARRAY_LEN(methods), &f.counter) != AEGIS_OK)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    aegis_rpc_server_free(f->srv);
    return 0;
}

/* Run a body; parse the reply (NULL when there is none). */
static json_t *call(struct fx *f, const char *body, bool loopback)
{
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(aegis_rpc_handle_body(f->srv, body, strlen(body), loopback, &out, &len), AEGIS_OK);
    if (!out)
        return NULL;
    json_error_t e;
    json_t *j = json_loadb(out, len, 0, &e);
    assert_non_null(j);
    aegis_free(out);
    return j;
}

static int err_code(json_t *reply)
{
    json_t *e = json_object_get(reply, "error");
    assert_non_null(e);
    return (int)json_integer_value(json_object_get(e, "code"));
}

static void test_single_ok(void **state)
{
    json_t *r = call(*state, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"t_echo\",\"params\":[1,\"a\"]}", true);
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
    json_t *res = json_object_get(r, "result");
    assert_true(json_is_array(res));
    assert_string_equal(json_string_value(json_array_get(res, 1)), "a");
    assert_null(json_object_get(r, "error"));
    json_decref(r);
    r = call(*state, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"t_echo\"}", true);
    assert_string_equal(json_string_value(json_object_get(r, "id")), "abc");
    assert_true(json_is_null(json_object_get(r, "result")));
    json_decref(r);
}

static void test_standard_errors(void **state)
{
    static const struct { const char *body; int code; } cases[] = {
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}", -32601 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_echo\"", -32700 },
        { "not json", -32700 },
        { "", -32700 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"t_echo\"}", -32700 },
        { "42", -32600 },
        { "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"t_echo\"}", -32600 },
        { "{\"id\":1,\"method\":\"t_echo\"}", -32600 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", -32600 },
        { "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"t_echo\"}", -32600 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_echo\",\"params\":\"x\"}", -32600 },
        { "[]", -32600 },
        { "[1,2,3,4,5]", -32600 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_str\",\"params\":[5]}", -32602 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_fail\"}", -33000 - AEGIS_ERR_NOT_FOUND },
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(cases); i++) {
        json_t *r = call(*state, cases[i].body, true);
        assert_non_null(r);
        assert_int_equal(err_code(r), cases[i].code);
        assert_string_equal(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
        json_t *data = json_object_get(json_object_get(r, "error"), "data");
        assert_true(json_is_integer(json_object_get(data, "aegis_code")));
        assert_true(json_is_string(json_object_get(data, "name")));
        json_decref(r);
    }
}

static void test_error_detail_and_data(void **state)
{
    json_t *r = call(*state, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"t_fail\"}", true);
    json_t *e = json_object_get(r, "error");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "always fails"));
    json_t *data = json_object_get(e, "data");
    assert_int_equal(json_integer_value(json_object_get(data, "aegis_code")), AEGIS_ERR_NOT_FOUND);
    assert_string_equal(json_string_value(json_object_get(data, "name")), "AEGIS_ERR_NOT_FOUND");
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
    json_decref(r);
}

static void test_notifications(void **state)
{
    struct fx *f = *state;
    int before = f->counter;
    assert_null(call(f, "{\"jsonrpc\":\"2.0\",\"method\":\"t_count\"}", true));
    assert_int_equal(f->counter, before + 1);
    /* Unknown-method notification: still no reply. */
    assert_null(call(f, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}", true));
    /* Batch of notifications only: no reply at all. */
    assert_null(call(f, "[{\"jsonrpc\":\"2.0\",\"method\":\"t_count\"},{\"jsonrpc\":\"2.0\",\"method\":\"t_count\"}]", true));
    assert_int_equal(f->counter, before + 3);
}

static void test_batch_mixed(void **state)
{
    json_t *r = call(*state,
                     "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_echo\",\"params\":[1]},"
                     " {\"jsonrpc\":\"2.0\",\"method\":\"t_count\"},"
                     " 5,"
                     " {\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"nope\"}]", true);
    assert_true(json_is_array(r));
    assert_int_equal(json_array_size(r), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "id")), 1);
    assert_non_null(json_object_get(json_array_get(r, 0), "result"));
    assert_int_equal(err_code(json_array_get(r, 1)), -32600);
    assert_true(json_is_null(json_object_get(json_array_get(r, 1), "id")));
    assert_int_equal(err_code(json_array_get(r, 2)), -32601);
    json_decref(r);
}

static void test_admin_and_readonly(void **state)
{
    json_t *r = call(*state, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_admin\"}", false);
    assert_int_equal(err_code(r), aegis_rpc_err_code(AEGIS_ERR_RPC_FORBIDDEN));
    json_decref(r);
    r = call(*state, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_admin\"}", true);
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);

    aegis_rpc_server *ro;
    aegis_rpc_opts o;
    aegis_rpc_opts_default(&o);
    o.read_only = true;
    int n = 0;
    assert_int_equal(aegis_rpc_server_new(&ro, &o), AEGIS_OK);
    assert_int_equal(aegis_rpc_add_methods(ro, methods, AEGIS_ARRAY_LEN(methods), &n), AEGIS_OK);
    char *out;
    size_t len;
    const char *b = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_count\"}";
    assert_int_equal(aegis_rpc_handle_body(ro, b, strlen(b), true, &out, &len), AEGIS_OK);
    assert_non_null(strstr(out, "AEGIS_ERR_RPC_READ_ONLY"));
    assert_int_equal(n, 0);
    aegis_free(out);
    aegis_rpc_server_free(ro);
}

static void test_registration(void **state)
{
    struct fx *f = *state;
    assert_int_equal(aegis_rpc_add_methods(f->srv, methods, 1, NULL), AEGIS_ERR_EXISTS);
    static const aegis_rpc_method dup[] = {
        { "t_new", h_echo, "", AEGIS_RPC_PUBLIC, "" },
        { "t_new", h_echo, "", AEGIS_RPC_PUBLIC, "" },
    };
    assert_int_equal(aegis_rpc_add_methods(f->srv, dup, 2, NULL), AEGIS_ERR_EXISTS);
    json_t *r = call(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_listMethods\"}", true);
    json_t *res = json_object_get(r, "result");
    assert_int_equal(json_array_size(res), 1 + AEGIS_ARRAY_LEN(methods));
    json_decref(r);
}

static void test_errmap(void **state)
{
    assert_int_equal(aegis_rpc_err_code(AEGIS_ERR_RPC_PARSE), -32700);
    assert_int_equal(aegis_rpc_err_code(AEGIS_ERR_RPC_INVALID_REQUEST), -32600);
    assert_int_equal(aegis_rpc_err_code(AEGIS_ERR_RPC_METHOD_NOT_FOUND), -32601);
    assert_int_equal(aegis_rpc_err_code(AEGIS_ERR_RPC_INVALID_PARAMS), -32602);
    assert_int_equal(aegis_rpc_err_code(AEGIS_ERR_INTERNAL), -32603);
    assert_int_equal(aegis_rpc_err_code(AEGIS_ERR_TOO_BIG), -33004);
    assert_int_equal(aegis_rpc_err_code(AEGIS_ERR_BUSY), -33008);
}

static void http(struct fx *f, const char *m, const char *path, const char *ct, const char *body,
                 bool too_big, unsigned want)
{
    aegis_rpc_http_reply r;
    assert_int_equal(aegis_rpc_handle_http(f->srv, m, path, ct, body, body ? strlen(body) : 0,
                                           too_big, true, &r), AEGIS_OK);
    assert_int_equal(r.status, want);
    aegis_rpc_http_reply_clear(&r);
}

static void test_http_routing(void **state)
{
    struct fx *f = *state;
    const char *ok = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_echo\"}";
    http(f, "POST", "/", "application/json", ok, false, 200);
    http(f, "POST", "/", "application/json; charset=utf-8", ok, false, 200);
    http(f, "POST", "/", "Application/JSON", ok, false, 200);
    http(f, "POST", "/", "text/plain", ok, false, 415);
    http(f, "POST", "/", "application/jsonx", ok, false, 415);
    http(f, "POST", "/", NULL, ok, false, 415);
    http(f, "POST", "/", "application/json", ok, true, 413);
    http(f, "POST", "/", "application/json", "{\"jsonrpc\":\"2.0\",\"method\":\"t_echo\"}", false, 204);
    http(f, "GET", "/", NULL, NULL, false, 405);
    http(f, "POST", "/nope", "application/json", ok, false, 404);
    http(f, "POST", "/healthz", "application/json", ok, false, 405);
    /* A body over max_body even without the flag. */
    char big[5000];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    http(f, "POST", "/", "application/json", big, false, 413);
}

static void test_health(void **state)
{
    struct fx *f = *state;
    aegis_rpc_http_reply r;
    assert_int_equal(aegis_rpc_handle_http(f->srv, "GET", "/healthz", NULL, NULL, 0, false, true, &r), AEGIS_OK);
    assert_int_equal(r.status, 503); /* nothing registered yet: not ready */
    aegis_rpc_http_reply_clear(&r);
    assert_int_equal(aegis_rpc_health_set(f->srv, "store", AEGIS_HEALTH_OK, "sqlite"), AEGIS_OK);
    assert_int_equal(aegis_rpc_health_set(f->srv, "tee", AEGIS_HEALTH_OK, "sim"), AEGIS_OK);
    http(f, "GET", "/healthz", NULL, NULL, false, 200);
    assert_int_equal(aegis_rpc_health_set(f->srv, "tee", AEGIS_HEALTH_DEGRADED, "backup failed"), AEGIS_OK);
    assert_int_equal(aegis_rpc_handle_http(f->srv, "GET", "/healthz", NULL, NULL, 0, false, true, &r), AEGIS_OK);
    assert_int_equal(r.status, 206);
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "degraded");
    json_t *tee = json_object_get(json_object_get(j, "components"), "tee");
    assert_string_equal(json_string_value(json_object_get(tee, "state")), "degraded");
    assert_string_equal(json_string_value(json_object_get(tee, "detail")), "backup failed");
    json_decref(j);
    aegis_rpc_http_reply_clear(&r);
    assert_int_equal(aegis_rpc_health_set(f->srv, "store", AEGIS_HEALTH_DOWN, "disk"), AEGIS_OK);
    http(f, "GET", "/healthz", NULL, NULL, false, 503);
    assert_int_equal(aegis_rpc_health_set(f->srv, "store", AEGIS_HEALTH_OK, ""), AEGIS_OK);
    assert_int_equal(aegis_rpc_health_set(f->srv, "tee", AEGIS_HEALTH_OK, ""), AEGIS_OK);
    http(f, "GET", "/healthz", NULL, NULL, false, 200);
}

static void extra_metrics(void *arg, aegis_buf *out)
{
    const double bounds[2] = { 0.001, 0.01 };
    const uint64_t counts[2] = { 3, 1 };
    aegis_rpc_metrics_histogram(out, "aegis_test_seconds", NULL, bounds, counts, 2, 0.5, 5);
}

static void test_metrics(void **state)
{
    aegis_rpc_server *srv;
    assert_int_equal(aegis_rpc_server_new(&srv, NULL), AEGIS_OK);
    int n = 0;
    assert_int_equal(aegis_rpc_add_methods(srv, methods, AEGIS_ARRAY_LEN(methods), &n), AEGIS_OK);
    assert_int_equal(aegis_rpc_add_metrics_source(srv, extra_metrics, NULL), AEGIS_OK);
    char *out;
    size_t len;
    const char *b = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t_echo\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"t_fail\"},"
                    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"t_echo\"}]";
    assert_int_equal(aegis_rpc_handle_body(srv, b, strlen(b), true, &out, &len), AEGIS_OK);
    aegis_free(out);
    aegis_rpc_http_reply r;
    assert_int_equal(aegis_rpc_handle_http(srv, "GET", "/metrics", NULL, NULL, 0, false, true, &r), AEGIS_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/plain"));
    assert_non_null(strstr(r.body, "aegis_up 1\n"));
    assert_non_null(strstr(r.body, "aegis_build_info{version=\"" AEGIS_VERSION "\"} 1\n"));
    assert_non_null(strstr(r.body, "aegis_rpc_requests_total{method=\"t_echo\",outcome=\"ok\"} 2\n"));
    assert_non_null(strstr(r.body, "aegis_rpc_requests_total{method=\"t_fail\",outcome=\"error\"} 1\n"));
    assert_non_null(strstr(r.body, "aegis_rpc_request_duration_seconds_count{method=\"t_echo\"} 2\n"));
    assert_non_null(strstr(r.body, "aegis_rpc_request_duration_seconds_bucket{method=\"t_echo\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(r.body, "# TYPE aegis_rpc_request_duration_seconds histogram\n"));
    /* Cumulative buckets from the extra source. */
    assert_non_null(strstr(r.body, "aegis_test_seconds_bucket{le=\"0.001\"} 3\n"));
    assert_non_null(strstr(r.body, "aegis_test_seconds_bucket{le=\"0.01\"} 4\n"));
    assert_non_null(strstr(r.body, "aegis_test_seconds_bucket{le=\"+Inf\"} 5\n"));
    assert_non_null(strstr(r.body, "aegis_test_seconds_count 5\n"));
    /* Every non-comment line is "name[{labels}] value". */
    char *save = NULL;
    for (char *line = strtok_r(r.body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *sp = strrchr(line, ' ');
        assert_non_null(sp);
        assert_true(sp[1] >= '0' && sp[1] <= '9');
        assert_true((line[0] >= 'a' && line[0] <= 'z') || line[0] == '_');
    }
    aegis_rpc_http_reply_clear(&r);
    aegis_rpc_server_free(srv);
}

static void test_invalid_utf8_in_parse_error(void **state)
{
    /* jansson quotes the bad token; the reply must still be valid JSON. */
    const char body[] = "{\"a\": \xff\xfe }";
    char *out = NULL;
    size_t len;
    struct fx *f = *state;
    assert_int_equal(aegis_rpc_handle_body(f->srv, body, sizeof(body) - 1, true, &out, &len), AEGIS_OK);
    assert_non_null(out);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(err_code(j), -32700);
    json_decref(j);
    aegis_free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_single_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_standard_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_detail_and_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_mixed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_and_readonly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registration, setup, teardown),
        cmocka_unit_test(test_errmap),
        cmocka_unit_test_setup_teardown(test_http_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health, setup, teardown),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_in_parse_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
