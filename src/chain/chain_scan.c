/*
 * chain_scan.c - a batch's transactions read from a JSON-RPC reply
 * without a JSON tree (aegis/chain_scan.h).
 *
 * A follower of every batch (aegis loadgen) spent more CPU in jansson
 * building the tree of each ~32 KB batch reply (hex strings of raw txs,
 * signatures, the attestation) than its event loop spent sending the
 * requests. This walks the text once: a recursive skipper for values it
 * does not need, and on the way "result" -> "txs" -> each tx's "hash",
 * "sender", "nonce". It accepts a strict subset of JSON (see the header)
 * and declines everything else, so its answers are jansson's.
 */
#include <string.h>

#include "aegis/chain_scan.h"

#define MAX_DEPTH 32

struct sc {
    const char *p, *end;
    aegis_chain_scan *out;
    size_t cap;
    aegis_err err;            /* AEGIS_OK while the scan may go on */
};

static void decline(struct sc *s)
{
    if (!s->err)
        s->err = AEGIS_ERR_UNSUPPORTED;
}

static void ws(struct sc *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool eat(struct sc *s, char c)
{
    ws(s);
    if (s->err || s->p >= s->end || *s->p != c)
        return false;
    s->p++;
    return true;
}

/* A plain string: its content span; printable ASCII, no backslash. */
static bool string(struct sc *s, const char **ret, size_t *ret_n)
{
    ws(s);
    if (s->err || s->p >= s->end || *s->p != '"') {
        decline(s);
        return false;
    }
    const char *b = ++s->p;
    const char *q = memchr(b, '"', (size_t)(s->end - b));
    if (!q) {
        decline(s);
        return false;
    }
    for (const char *c = b; c < q; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e || *c == '\\') {
            decline(s);
            return false;
        }
    s->p = q + 1;
    *ret = b;
    *ret_n = (size_t)(q - b);
    return true;
}

/* A non-negative or negative integer of at most 18 digits, no fraction or
 * exponent (so it fits jansson's json_int_t exactly). */
static bool integer(struct sc *s, bool *ret_neg, uint64_t *ret)
{
    ws(s);
    bool neg = s->p < s->end && *s->p == '-';
    const char *d = s->p + neg, *c = d;
    uint64_t v = 0;
    while (c < s->end && *c >= '0' && *c <= '9' && c - d <= 18)
        v = v * 10 + (uint64_t)(*c++ - '0');
    size_t n = (size_t)(c - d);
    if (n == 0 || n > 18 || (n > 1 && *d == '0') ||
        (c < s->end && (*c == '.' || *c == 'e' || *c == 'E' || (*c >= '0' && *c <= '9')))) {
        decline(s);
        return false;
    }
    s->p = c;
    *ret_neg = neg;
    *ret = v;
    return true;
}

static void value(struct sc *s, int depth);

static bool key_is(const char *k, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(k, want, n) == 0;
}

/* "0x" + 2n lowercase hex digits. */
static bool hex_field(struct sc *s, uint8_t *out, size_t n)
{
    const char *v;
    size_t vl;
    if (!string(s, &v, &vl))
        return false;
    if (vl != 2 + 2 * n || v[0] != '0' || v[1] != 'x') {
        decline(s);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t b = 0;
        for (int h = 0; h < 2; h++) {
            char c = v[2 + 2 * i + (size_t)h];
            int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (x < 0) {
                decline(s);
                return false;
            }
            b = (uint8_t)(b << 4 | x);
        }
        out[i] = b;
    }
    return true;
}

/* Members of an object after its '{': fn(s, key, depth) reads each value. */
typedef void (*member_fn)(struct sc *s, const char *k, size_t kn, int depth, void *arg);

static void object(struct sc *s, int depth, member_fn fn, void *arg)
{
    if (depth > MAX_DEPTH) {
        decline(s);
        return;
    }
    if (eat(s, '}'))
        return;
    for (;;) {
        const char *k;
        size_t kn;
        if (!string(s, &k, &kn))
            return;
        if (!eat(s, ':')) {
            decline(s);
            return;
        }
        fn(s, k, kn, depth, arg);
        if (s->err)
            return;
        if (eat(s, ','))
            continue;
        if (!eat(s, '}'))
            decline(s);
        return;
    }
}

static void skip_member(struct sc *s, const char *k, size_t kn, int depth, void *arg)
{
    (void)k, (void)kn, (void)arg;
    value(s, depth + 1);
}

static void value(struct sc *s, int depth)
{
    ws(s);
    if (s->err || s->p >= s->end || depth > MAX_DEPTH) {
        decline(s);
        return;
    }
    const char *v;
    size_t vl;
    bool neg;
    uint64_t n;
    switch (*s->p) {
    case '"':
        string(s, &v, &vl);
        return;
    case '{':
        s->p++;
        object(s, depth, skip_member, NULL);
        return;
    case '[':
        s->p++;
        if (eat(s, ']'))
            return;
        do
            value(s, depth + 1);
        while (!s->err && eat(s, ','));
        if (!s->err && !eat(s, ']'))
            decline(s);
        return;
    case 't':
    case 'f':
    case 'n': {
        const char *lit = *s->p == 't' ? "true" : *s->p == 'f' ? "false" : "null";
        size_t ll = strlen(lit);
        if ((size_t)(s->end - s->p) < ll || memcmp(s->p, lit, ll) != 0) {
            decline(s);
            return;
        }
        s->p += ll;
        return;
    }
    default:
        integer(s, &neg, &n);
        return;
    }
}

struct tx_seen {
    aegis_chain_scan_tx tx;
    bool hash, sender, nonce;
};

static void tx_member(struct sc *s, const char *k, size_t kn, int depth, void *arg)
{
    struct tx_seen *t = arg;
    bool neg;
    if (key_is(k, kn, "hash")) {
        if (t->hash)
            decline(s);
        else
            t->hash = hex_field(s, t->tx.hash, 32);
    } else if (key_is(k, kn, "sender")) {
        if (t->sender)
            decline(s);
        else
            t->sender = hex_field(s, t->tx.sender, 20);
    } else if (key_is(k, kn, "nonce")) {
        if (t->nonce || !integer(s, &neg, &t->tx.nonce) || neg)
            decline(s);
        t->nonce = true;
    } else {
        value(s, depth + 1);
    }
}

static void txs(struct sc *s, int depth)
{
    if (!eat(s, '[')) {
        decline(s);
        return;
    }
    if (eat(s, ']'))
        return;
    do {
        struct tx_seen t = { 0 };
        if (!eat(s, '{')) {
            decline(s);
            return;
        }
        object(s, depth + 1, tx_member, &t);
        if (s->err)
            return;
        if (!t.hash || !t.sender || !t.nonce) {
            decline(s);
            return;
        }
        aegis_chain_scan *o = s->out;
        if (o->n_txs >= AEGIS_CHAIN_SCAN_MAX_TXS) {
            s->err = AEGIS_ERR_TOO_BIG;
            return;
        }
        if (o->n_txs == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            if (cap > AEGIS_CHAIN_SCAN_MAX_TXS)
                cap = AEGIS_CHAIN_SCAN_MAX_TXS;
            aegis_chain_scan_tx *p = aegis_realloc(o->txs, cap * sizeof(*p));
            if (!p) {
                s->err = AEGIS_ERR_NOMEM;
                return;
            }
            o->txs = p;
            s->cap = cap;
        }
        o->txs[o->n_txs++] = t.tx;
    } while (eat(s, ','));
    if (!s->err && !eat(s, ']'))
        decline(s);
}

static void batch_member(struct sc *s, const char *k, size_t kn, int depth, void *arg)
{
    bool *seen_txs = arg;
    if (!key_is(k, kn, "txs")) {
        value(s, depth + 1);
        return;
    }
    if (*seen_txs) {
        decline(s);
        return;
    }
    *seen_txs = true;
    txs(s, depth + 1);
}

static void reply_member(struct sc *s, const char *k, size_t kn, int depth, void *arg)
{
    (void)arg;
    if (key_is(k, kn, "error"))
        s->out->has_error = true;   /* a repeated "error" is still an error */
    if (!key_is(k, kn, "result")) {
        value(s, depth + 1);
        return;
    }
    if (s->out->result != AEGIS_CHAIN_SCAN_NO_RESULT) {
        decline(s);
        return;
    }
    ws(s);
    if (s->p < s->end && *s->p == 'n') {
        value(s, depth + 1);
        s->out->result = AEGIS_CHAIN_SCAN_NULL;
        return;
    }
    if (!eat(s, '{')) {
        decline(s);   /* a result that is neither a batch nor null */
        return;
    }
    bool seen_txs = false;
    object(s, depth + 1, batch_member, &seen_txs);
    s->out->result = AEGIS_CHAIN_SCAN_BATCH;
}

aegis_err aegis_chain_scan_reply(const char *text, size_t len, aegis_chain_scan *ret)
{
    aegis_chain_scan out = { 0 };
    struct sc s = { .p = text, .end = text + len, .out = &out };
    if (!eat(&s, '{'))
        decline(&s);
    else
        object(&s, 0, reply_member, NULL);
    ws(&s);
    if (!s.err && s.p != s.end)
        decline(&s);   /* trailing bytes */
    if (s.err) {
        aegis_free(out.txs);
        return s.err;
    }
    *ret = out;
    return AEGIS_OK;
}

void aegis_chain_scan_clear(aegis_chain_scan *s)
{
    if (!s)
        return;
    aegis_free(s->txs);
    s->txs = NULL;
    s->n_txs = 0;
}
