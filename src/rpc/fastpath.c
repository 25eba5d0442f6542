/*
 * fastpath.c - a JSON-RPC request with one string parameter, read without
 * building a JSON tree (aegis_rpc_set_str_handler).
 *
 * The request that matters for ingest is ~7.5 KB of which all but ~80
 * bytes are one hex string; jansson spends most of its parse on that
 * string (per-character UTF-8 checks, a copy into a node). This scanner
 * accepts only the plainest form of a single request:
 *
 *   { "jsonrpc": "2.0", "id": ID, "method": "NAME", "params": [ "STR" ] }
 *
 * the four members in any order, each once, with JSON whitespace anywhere
 * between tokens; ID a JSON integer of at most 18 digits (no leading zero,
 * not -0), a plain string or null; strings of printable ASCII without
 * backslashes. Everything else - escapes, other members, batches, reals,
 * other params shapes, trailing bytes - is declined, and the caller takes
 * the general path (jansson), so the fast path never decides an error and
 * never answers differently: whatever it accepts, jansson would parse to
 * exactly these values (fuzz/fuzz_jsonrpc_fast.c checks both the values and
 * the whole reply against the general path).
 */
#include <string.h>

#include "rpc_int.h"

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* A plain string at p ('"' included): printable ASCII, no '\'. Sets the
 * content span and returns the byte after the closing quote, or NULL. */
static const char *plain_string(const char *p, const char *end, const char **ret_s, size_t *ret_n)
{
    if (p >= end || *p != '"')
        return NULL;
    const char *s = ++p;
    const char *q = memchr(p, '"', (size_t)(end - p));
    if (!q)
        return NULL;
    for (const char *c = s; c < q; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e || *c == '\\')
            return NULL;
    *ret_s = s;
    *ret_n = (size_t)(q - s);
    return q + 1;
}

/* An id value: integer (canonical, <= 18 digits), plain string, or null. */
static const char *id_value(const char *p, const char *end, struct aegis__rpc_fast *f)
{
    if (p < end && *p == '"') {
        f->id_kind = AEGIS__RPC_ID_STRING;
        return plain_string(p, end, &f->id, &f->id_len);
    }
    if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
        f->id_kind = AEGIS__RPC_ID_NULL;
        f->id = p;
        f->id_len = 4;
        return p + 4;
    }
    const char *s = p;
    if (p < end && *p == '-')
        p++;
    const char *d = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    size_t nd = (size_t)(p - d);
    if (nd == 0 || nd > 18 || (nd > 1 && *d == '0') || (nd == 1 && *d == '0' && d != s))
        return NULL;
    /* a real (1.5, 1e3) continues with '.', 'e' or 'E': declined */
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
        return NULL;
    f->id_kind = AEGIS__RPC_ID_INT;
    f->id = s;
    f->id_len = (size_t)(p - s);
    return p;
}

bool aegis__rpc_fast_parse(const char *body, size_t len, struct aegis__rpc_fast *f)
{
    const char *p = body, *end = body + len;
    unsigned seen = 0;
    memset(f, 0, sizeof(*f));
    p = skip_ws(p, end);
    if (p >= end || *p++ != '{')
        return false;
    for (;;) {
        const char *k;
        size_t kn;
        p = skip_ws(p, end);
        if (!(p = plain_string(p, end, &k, &kn)))
            return false;
        p = skip_ws(p, end);
        if (p >= end || *p++ != ':')
            return false;
        p = skip_ws(p, end);
        unsigned bit;
        if (kn == 7 && memcmp(k, "jsonrpc", 7) == 0) {
            const char *v;
            size_t vn;
            bit = 1;
            if (!(p = plain_string(p, end, &v, &vn)) || vn != 3 || memcmp(v, "2.0", 3) != 0)
                return false;
        } else if (kn == 2 && memcmp(k, "id", 2) == 0) {
            bit = 2;
            if (!(p = id_value(p, end, f)))
                return false;
        } else if (kn == 6 && memcmp(k, "method", 6) == 0) {
            bit = 4;
            if (!(p = plain_string(p, end, &f->method, &f->method_len)))
                return false;
        } else if (kn == 6 && memcmp(k, "params", 6) == 0) {
            bit = 8;
            if (p >= end || *p++ != '[')
                return false;
            p = skip_ws(p, end);
            if (!(p = plain_string(p, end, &f->str, &f->str_len)))
                return false;
            p = skip_ws(p, end);
            if (p >= end || *p++ != ']')
                return false;
        } else {
            return false;
        }
        if (seen & bit)
            return false;   /* a duplicate member: the general path refuses it */
        seen |= bit;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}') {
            p++;
            break;
        }
        return false;
    }
    p = skip_ws(p, end);
    return p == end && seen == 15;
}

aegis_err aegis_rpc_set_str_handler(aegis_rpc_server *srv, const char *method, aegis_rpc_str_handler h)
{
    if (srv->started)
        return AEGIS_ERR_BUSY;
    for (size_t i = 0; i < srv->n_methods; i++) {
        if (strcmp(srv->methods[i].m->name, method) == 0) {
            srv->methods[i].str_handler = h;
            return AEGIS_OK;
        }
    }
    return AEGIS_ERR_NOT_FOUND;
}
