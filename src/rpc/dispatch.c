/*
 * dispatch.c - one JSON-RPC 2.0 body in, one reply body out.
 *
 * No sockets here: the MHD glue (server.c), the unit tests and the fuzzer
 * all come through aegis_rpc_handle_body(). Every malformed input becomes
 * an error object in the reply; the only failure return is out-of-memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_int.h"

const struct aegis__method_slot *aegis__rpc_find(const aegis_rpc_server *srv, const char *name)
{
    for (size_t i = 0; i < srv->n_methods; i++)
        if (strcmp(srv->methods[i].m->name, name) == 0)
            return &srv->methods[i];
    return NULL;
}

static json_t *error_reply(json_t *id, aegis_err err, const char *detail)
{
    char msg[512];
    if (detail && *detail)
        snprintf(msg, sizeof(msg), "%s: %s", aegis_strerror(err), detail);
    else
        snprintf(msg, sizeof(msg), "%s", aegis_strerror(err));
    const char *name = aegis_err_name(err);
    return json_pack("{s:s, s:O?, s:{s:i, s:s, s:{s:i, s:s}}}",
                     "jsonrpc", "2.0",
                     "id", id,
                     "error",
                       "code", aegis_rpc_err_code(err),
                       "message", msg,
                       "data", "aegis_code", (int)err, "name", name ? name : "AEGIS_ERR_UNKNOWN");
}

json_t *aegis__rpc_error_reply(json_t *id, aegis_err err, const char *detail)
{
    json_t *r = error_reply(id, err, detail);
    /* A detail quoting client bytes may be invalid UTF-8 (or cut inside a
     * sequence): jansson refuses it, so fall back to the static message. */
    if (!r && detail)
        r = error_reply(id, err, NULL);
    return r;
}

aegis_err aegis__rpc_dump(json_t *reply, char **ret, size_t *ret_len)
{
    char *s = json_dumps(reply, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return AEGIS_ERR_NOMEM;
    size_t n = strlen(s);
    char *out = aegis_malloc(n + 1);
    if (!out) {
        free(s);
        return AEGIS_ERR_NOMEM;
    }
    memcpy(out, s, n + 1);
    free(s);
    *ret = out;
    *ret_len = n;
    return AEGIS_OK;
}

/* A valid id is a string, a number or null (JSON-RPC 2.0 section 4). */
static bool id_is_valid(const json_t *id)
{
    return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

static json_t *invoke(const struct aegis__method_slot *slot, json_t *id, bool notification, json_t *params,
                      const char *str, size_t str_len, bool loopback, const char *peer, aegis_rpc_server *srv,
                      uint64_t start_ns, struct aegis__rpc_defer_slot *dslot, bool *oom);

/*
 * Process one request object. Returns the reply object (new reference),
 * or NULL for a notification (no reply), when the handler deferred
 * (slot->d set; slot is NULL for batch entries) - or when out of memory,
 * which *oom reports.
 */
static json_t *process_one(aegis_rpc_server *srv, json_t *req, bool loopback, const char *peer,
                           uint64_t start_ns, struct aegis__rpc_defer_slot *dslot, bool *oom)
{
    json_t *id = NULL, *reply = NULL;
    const char *detail = NULL;
    aegis_err err = AEGIS_OK;

    if (!json_is_object(req)) {
        err = AEGIS_ERR_RPC_INVALID_REQUEST;
        detail = "a request must be a JSON object";
        goto fail;
    }
    json_t *jid = json_object_get(req, "id");
    bool notification = jid == NULL;
    if (jid && !id_is_valid(jid)) {
        err = AEGIS_ERR_RPC_INVALID_REQUEST;
        detail = "id must be a string, a number or null";
        goto fail;
    }
    id = jid;
    json_t *ver = json_object_get(req, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        err = AEGIS_ERR_RPC_INVALID_REQUEST;
        detail = "jsonrpc must be \"2.0\"";
        goto fail;
    }
    json_t *jm = json_object_get(req, "method");
    if (!json_is_string(jm)) {
        err = AEGIS_ERR_RPC_INVALID_REQUEST;
        detail = "method must be a string";
        goto fail;
    }
    json_t *params = json_object_get(req, "params");
    if (params && !json_is_array(params) && !json_is_object(params)) {
        err = AEGIS_ERR_RPC_INVALID_REQUEST;
        detail = "params must be an array or an object";
        goto fail;
    }
    const char *name = json_string_value(jm);
    const struct aegis__method_slot *slot =
        strlen(name) == json_string_length(jm) ? aegis__rpc_find(srv, name) : NULL;
    if (!slot) {
        aegis__metrics_observe(&srv->unknown_stats, false, aegis_now_ns() - start_ns);
        if (notification)
            return NULL;
        err = AEGIS_ERR_RPC_METHOD_NOT_FOUND;
        goto fail;
    }
    return invoke(slot, id, notification, params, NULL, 0, loopback, peer, srv, start_ns, dslot, oom);

fail:
    if (err == AEGIS_ERR_RPC_METHOD_NOT_FOUND && notification)
        return NULL;
    reply = aegis__rpc_error_reply(id, err, detail);
    if (!reply)
        *oom = true;
    return reply;
}

/*
 * Call a method found for a valid request: either its handler with params
 * (a JSON tree) or, when str is set, its string fast path with the raw
 * params[0]. Same checks, metrics, deferral and reply either way.
 */
static json_t *invoke(const struct aegis__method_slot *slot, json_t *id, bool notification, json_t *params,
                      const char *str, size_t str_len, bool loopback, const char *peer, aegis_rpc_server *srv,
                      uint64_t start_ns, struct aegis__rpc_defer_slot *dslot, bool *oom)
{
    json_t *reply = NULL, *result = NULL;
    const char *detail = NULL;
    aegis_err err = AEGIS_OK;
    uint64_t t0 = aegis_now_ns();
    aegis_rpc_call call = {
        .ctx = slot->ctx,
        .method = slot->m->name,
        .peer_is_loopback = loopback,
        .peer = peer,
        .start_ns = start_ns,
        .deadline_ns = start_ns + (uint64_t)srv->opts.request_time_ms * 1000000ull,
    };
    if ((slot->m->flags & AEGIS_RPC_ADMIN) && !loopback) {
        err = AEGIS_ERR_RPC_FORBIDDEN;
    } else if ((slot->m->flags & AEGIS_RPC_WRITE) && srv->opts.read_only) {
        err = AEGIS_ERR_RPC_READ_ONLY;
    } else if (t0 > call.deadline_ns) {
        err = AEGIS_ERR_RPC_DEADLINE;
    } else {
        if (dslot && !notification) {
            dslot->id = id;
            dslot->stats = slot->stats;
            dslot->t0 = t0;
            dslot->deadline_ns = call.deadline_ns;
            call.defer = dslot;
        }
        err = str ? slot->str_handler(&call, str, str_len, &result, &detail)
                  : slot->m->handler(&call, params, &result, &detail);
        if (dslot && dslot->d) {
            /* Deferred: the reply and the metrics come with the finish. */
            json_decref(result);
            return NULL;
        }
    }
    aegis__metrics_observe(slot->stats, err == AEGIS_OK, aegis_now_ns() - t0);
    if (err) {
        json_decref(result);
        result = NULL;
        goto fail;
    }
    if (notification) {
        json_decref(result);
        return NULL;
    }
    if (!result)
        result = json_null();
    reply = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result);
    if (!reply)
        *oom = true;
    return reply;

fail:
    reply = aegis__rpc_error_reply(id, err, detail);
    if (!reply)
        *oom = true;
    return reply;
}

/* The string fast path (fastpath.c): the reply, or NULL with *taken =
 * false when the body is not for it (then nothing happened). */
static json_t *process_fast(aegis_rpc_server *srv, const char *body, size_t len, bool loopback, const char *peer,
                            uint64_t start_ns, struct aegis__rpc_defer_slot *dslot, bool *taken, bool *oom)
{
    struct aegis__rpc_fast f;
    *taken = false;
    if (!aegis__rpc_fast_parse(body, len, &f))
        return NULL;
    char name[128];
    if (f.method_len >= sizeof(name))
        return NULL;
    memcpy(name, f.method, f.method_len);
    name[f.method_len] = '\0';
    const struct aegis__method_slot *slot = aegis__rpc_find(srv, name);
    if (!slot || !slot->str_handler)
        return NULL;
    json_t *id = NULL;
    if (f.id_kind == AEGIS__RPC_ID_INT) {
        char num[24];
        memcpy(num, f.id, f.id_len);
        num[f.id_len] = '\0';
        id = json_integer((json_int_t)strtoll(num, NULL, 10));
    } else if (f.id_kind == AEGIS__RPC_ID_STRING) {
        id = json_stringn(f.id, f.id_len);
    } else {
        id = json_null();
    }
    if (!id) {
        *oom = true;
        *taken = true;
        return NULL;
    }
    *taken = true;
    json_t *reply = invoke(slot, id, false, NULL, f.str, f.str_len, loopback, peer, srv, start_ns, dslot, oom);
    /* a deferred call copied the id (aegis_rpc_defer keeps its text) */
    json_decref(id);
    return reply;
}

aegis_err aegis_rpc_handle_body(aegis_rpc_server *srv, const char *body, size_t len,
                                bool peer_is_loopback, char **ret_body, size_t *ret_len)
{
    return aegis__rpc_handle_body_ex(srv, body, len, peer_is_loopback, NULL, ret_body, ret_len);
}

aegis_err aegis__rpc_handle_body_ex(aegis_rpc_server *srv, const char *body, size_t len,
                                    bool peer_is_loopback, struct aegis__rpc_defer_slot *slot,
                                    char **ret_body, size_t *ret_len)
{
    uint64_t start_ns = aegis_now_ns();
    json_t *doc = NULL, *reply = NULL;
    aegis_err err = AEGIS_OK;
    bool oom = false;
    json_error_t jerr;
    const char *peer = slot && slot->peer[0] ? slot->peer : NULL;

    bool taken = false;
    reply = process_fast(srv, body, len, peer_is_loopback, peer, start_ns, slot, &taken, &oom);
    if (taken) {
        if (oom)
            err = AEGIS_ERR_NOMEM;
        goto out;
    }
    doc = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        char detail[256];
        snprintf(detail, sizeof(detail), "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        /* The detail is built per request, so pass it through the message. */
        reply = aegis__rpc_error_reply(NULL, AEGIS_ERR_RPC_PARSE, detail);
        goto out;
    }
    if (json_is_array(doc)) {
        size_t n = json_array_size(doc);
        if (n == 0) {
            reply = aegis__rpc_error_reply(NULL, AEGIS_ERR_RPC_INVALID_REQUEST, "empty batch");
            goto out;
        }
        if (n > srv->opts.max_batch) {
            reply = aegis__rpc_error_reply(NULL, AEGIS_ERR_RPC_BATCH_TOO_BIG, NULL);
            goto out;
        }
        reply = json_array();
        if (!reply) {
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *r = process_one(srv, json_array_get(doc, i), peer_is_loopback, peer, start_ns, NULL,
                                    &oom);
            if (oom) {
                err = AEGIS_ERR_NOMEM;
                goto out;
            }
            if (r && json_array_append_new(reply, r) != 0) {
                err = AEGIS_ERR_NOMEM;
                goto out;
            }
        }
        if (json_array_size(reply) == 0) {
            json_decref(reply);
            reply = NULL;
        }
        goto out;
    }
    reply = process_one(srv, doc, peer_is_loopback, peer, start_ns, slot, &oom);
    if (oom)
        err = AEGIS_ERR_NOMEM;

out:
    if (!err && reply) {
        err = aegis__rpc_dump(reply, ret_body, ret_len);
    } else if (!err) {
        *ret_body = NULL;
        *ret_len = 0;
    }
    json_decref(reply);
    json_decref(doc);
    return err;
}
