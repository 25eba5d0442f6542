/*
 * route.c - the HTTP-level decision for one request, without sockets:
 * which path, which method, Content-Type and size checks, and the status
 * code. server.c only moves bytes between libmicrohttpd and this function,
 * so the fuzzer and the unit tests exercise the same path as the network.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "rpc_int.h"

static const char ctype_json[] = "application/json";
static const char ctype_prom[] = "text/plain; version=0.0.4; charset=utf-8";

/* "application/json" optionally followed by parameters ("; charset=utf-8"). */
static bool is_json_content_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = sizeof(ctype_json) - 1;
    if (strncasecmp(ct, ctype_json, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

static aegis_err error_body(aegis_rpc_http_reply *r, unsigned status, aegis_err code)
{
    json_t *doc = aegis__rpc_error_reply(NULL, code, NULL);
    if (!doc)
        return AEGIS_ERR_NOMEM;
    aegis_err err = aegis__rpc_dump(doc, &r->body, &r->len);
    json_decref(doc);
    if (err)
        return err;
    r->status = status;
    r->content_type = ctype_json;
    return AEGIS_OK;
}

void aegis_rpc_http_reply_clear(aegis_rpc_http_reply *r)
{
    if (!r)
        return;
    aegis_free(r->body);
    r->body = NULL;
    r->len = 0;
}

aegis_err aegis_rpc_handle_http(aegis_rpc_server *srv, const char *http_method, const char *path,
                                const char *content_type, const char *body, size_t len,
                                bool body_too_big, bool peer_is_loopback,
                                aegis_rpc_http_reply *ret)
{
    return aegis__rpc_handle_http_ex(srv, http_method, path, content_type, body, len, body_too_big,
                                     peer_is_loopback, NULL, ret);
}

aegis_err aegis__rpc_handle_http_ex(aegis_rpc_server *srv, const char *http_method,
                                    const char *path, const char *content_type,
                                    const char *body, size_t len, bool body_too_big,
                                    bool peer_is_loopback, struct aegis__rpc_defer_slot *slot,
                                    aegis_rpc_http_reply *ret)
{
    aegis_err err = AEGIS_OK;
    aegis_rpc_http_reply r = { 0, NULL, 0, ctype_json };
    bool is_get = strcmp(http_method, "GET") == 0 || strcmp(http_method, "HEAD") == 0;

    if (strcmp(path, "/healthz") == 0) {
        if (!is_get) {
            err = error_body(&r, 405, AEGIS_ERR_RPC_BAD_HTTP_METHOD);
            goto out;
        }
        r.status = aegis__health_render(srv, &r.body, &r.len);
        goto out;
    }
    if (strcmp(path, "/metrics") == 0) {
        if (!is_get) {
            err = error_body(&r, 405, AEGIS_ERR_RPC_BAD_HTTP_METHOD);
            goto out;
        }
        err = aegis__metrics_render(srv, &r.body, &r.len);
        r.status = 200;
        r.content_type = ctype_prom;
        goto out;
    }
    if (strcmp(path, "/") != 0) {
        err = error_body(&r, 404, AEGIS_ERR_RPC_NOT_FOUND);
        goto out;
    }
    if (strcmp(http_method, "POST") != 0) {
        err = error_body(&r, 405, AEGIS_ERR_RPC_BAD_HTTP_METHOD);
        goto out;
    }
    if (body_too_big || len > srv->opts.max_body) {
        err = error_body(&r, 413, AEGIS_ERR_RPC_BODY_TOO_BIG);
        goto out;
    }
    if (!is_json_content_type(content_type)) {
        err = error_body(&r, 415, AEGIS_ERR_RPC_CONTENT_TYPE);
        goto out;
    }
    err = aegis__rpc_handle_body_ex(srv, body ? body : "", len, peer_is_loopback, slot, &r.body,
                                    &r.len);
    if (!err && slot && slot->d) {
        /* Deferred: server.c sends (and counts) the reply when it comes. */
        *ret = r;
        return AEGIS_OK;
    }
    /* Only notifications: nothing to say (JSON-RPC 2.0 section 6). */
    r.status = r.body ? 200 : 204;

out:
    if (err) {
        aegis_free(r.body);
        return err;
    }
    aegis__metrics_count_status(srv, r.status);
    *ret = r;
    return AEGIS_OK;
}
