/* audit.c - the append-only, hash-chained audit log of registry changes.
 *
 * Each record binds the previous record's hash, so changing, removing,
 * inserting or reordering records breaks the chain; the exported form of a
 * record is its canonical JSON, and import/verify demand byte equality with
 * it, so not even an equivalent re-encoding of a line passes unnoticed. */
#include <string.h>

#include "assets_int.h"

#define AUDIT_DOMAIN "aegis-audit-v1"
#define AUDIT_CORE_KEY "core"
#define AUDIT_MAX_RECORDS (1u << 24)

typedef struct rec {
    uint64_t seq, ts, req_seq;
    char op[24];
    char key_id[AEGIS_ADMIN_KEY_ID_CHARS + 1];
    char *params;                   /* canonical JSON */
    uint8_t *sig;
    size_t sig_len;
    uint8_t prev[32], reg_hash[32], hash[32];
} rec;

struct aegis_audit {
    rec *v;
    size_t n, cap;
};

aegis_err aegis_audit_new(aegis_audit **ret)
{
    aegis_audit *l = aegis_calloc(1, sizeof(*l));
    if (!l)
        return AEGIS_ERR_NOMEM;
    *ret = l;
    return AEGIS_OK;
}

static void rec_clear(rec *r)
{
    aegis_free(r->params);
    aegis_free(r->sig);
    r->params = NULL;
    r->sig = NULL;
}

void aegis_audit_free(aegis_audit *log)
{
    if (!log)
        return;
    for (size_t i = 0; i < log->n; i++)
        rec_clear(&log->v[i]);
    aegis_free(log->v);
    aegis_free(log);
}

size_t aegis_audit_count(const aegis_audit *log) { return log->n; }
size_t aegis__audit_n(const aegis_audit *log) { return log->n; }

void aegis__audit_last_reg_hash(const aegis_audit *log, uint8_t out[32])
{
    if (log->n)
        memcpy(out, log->v[log->n - 1].reg_hash, 32);
    else
        memset(out, 0, 32);
}

const char *aegis__audit_key_id(const aegis_audit *log, size_t i, uint64_t *req_seq)
{
    *req_seq = log->v[i].req_seq;
    return log->v[i].key_id;
}

void aegis_audit_head(const aegis_audit *log, uint64_t *ret_seq, uint8_t ret_hash[static 32])
{
    if (log->n == 0) {
        *ret_seq = 0;
        memset(ret_hash, 0, 32);
        return;
    }
    *ret_seq = log->v[log->n - 1].seq;
    memcpy(ret_hash, log->v[log->n - 1].hash, 32);
}

static void h_u64(aegis_keccak *k, uint64_t v)
{
    uint8_t b[8];
    aegis_put_be64(b, v);
    aegis_keccak256_update(k, b, 8);
}

static void h_bytes(aegis_keccak *k, const void *p, size_t n)
{
    uint8_t b[4];
    aegis_put_be32(b, (uint32_t)n);
    aegis_keccak256_update(k, b, 4);
    aegis_keccak256_update(k, p, n);
}

static void rec_hash(const rec *r, uint8_t out[32])
{
    aegis_keccak k;
    aegis_keccak256_init(&k);
    aegis_keccak256_update(&k, AUDIT_DOMAIN, sizeof(AUDIT_DOMAIN));   /* with NUL: domain separator */
    h_u64(&k, r->seq);
    h_u64(&k, r->ts);
    h_u64(&k, r->req_seq);
    h_bytes(&k, r->op, strlen(r->op));
    h_bytes(&k, r->params, strlen(r->params));
    h_bytes(&k, r->key_id, strlen(r->key_id));
    h_bytes(&k, r->sig, r->sig_len);
    aegis_keccak256_update(&k, r->prev, 32);
    aegis_keccak256_update(&k, r->reg_hash, 32);
    aegis_keccak256_final(&k, out);
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char *s = aegis_malloc(2 * n + 1);
    if (!s)
        return NULL;
    aegis_hex_encode(s, p, n);
    json_t *j = json_string(s);
    aegis_free(s);
    return j;
}

/* The canonical JSON line of a record (no newline). */
static aegis_err rec_line(const rec *r, aegis_buf *out)
{
    json_t *params = NULL, *o = json_object();
    aegis_err err = AEGIS_ERR_NOMEM;
    if (!o)
        return err;
    if ((err = aegis__json_parse_object(r->params, strlen(r->params), &params)) != AEGIS_OK)
        goto out;
    err = AEGIS_ERR_NOMEM;
    if (json_object_set_new(o, "seq", json_integer((json_int_t)r->seq)) ||
        json_object_set_new(o, "ts", json_integer((json_int_t)r->ts)) ||
        json_object_set_new(o, "req_seq", json_integer((json_int_t)r->req_seq)) ||
        json_object_set_new(o, "op", json_string(r->op)) || json_object_set(o, "params", params) ||
        json_object_set_new(o, "key_id", json_string(r->key_id)) ||
        json_object_set_new(o, "sig", hex_json(r->sig, r->sig_len)) ||
        json_object_set_new(o, "prev", hex_json(r->prev, 32)) ||
        json_object_set_new(o, "reg_hash", hex_json(r->reg_hash, 32)) ||
        json_object_set_new(o, "hash", hex_json(r->hash, 32)))
        goto out;
    err = aegis__json_canon(o, out);
out:
    json_decref(params);
    json_decref(o);
    return err;
}

static aegis_err push(aegis_audit *log, rec *r)
{
    if (log->n >= AUDIT_MAX_RECORDS)
        return AEGIS_ERR_TOO_BIG;
    if (log->n == log->cap) {
        size_t nc = log->cap ? log->cap * 2 : 16;
        rec *v = aegis_realloc(log->v, nc * sizeof(*v));
        if (!v)
            return AEGIS_ERR_NOMEM;
        log->v = v;
        log->cap = nc;
    }
    log->v[log->n++] = *r;
    return AEGIS_OK;
}

static aegis_err line_out(const rec *r, char **ret_line, size_t *ret_len)
{
    aegis_buf b;
    aegis_buf_init(&b, AEGIS_AUDIT_LINE_MAX);
    aegis_err err = rec_line(r, &b);
    if (err != AEGIS_OK) {
        aegis_buf_clear(&b);
        return err;
    }
    *ret_line = (char *)b.data;
    if (ret_len)
        *ret_len = b.len;
    return AEGIS_OK;
}

aegis_err aegis__audit_append(aegis_audit *log, const aegis_assets *reg, const char *op,
                              const char *canon_params, const char *key_id, uint64_t req_seq,
                              uint64_t ts, const uint8_t *sig, size_t sig_len,
                              char **ret_line, size_t *ret_len)
{
    rec r;
    memset(&r, 0, sizeof(r));
    uint64_t head_seq;
    aegis_err err;
    if (strlen(op) >= sizeof(r.op) || strlen(key_id) > AEGIS_ADMIN_KEY_ID_CHARS || ts > INT64_MAX ||
        req_seq > INT64_MAX)
        return AEGIS_ERR_INVAL;
    aegis_audit_head(log, &head_seq, r.prev);
    r.seq = head_seq + 1;
    r.ts = ts;
    r.req_seq = req_seq;
    strcpy(r.op, op);
    strcpy(r.key_id, key_id);
    if ((err = aegis_assets_hash(reg, r.reg_hash)) != AEGIS_OK)
        return err;
    r.params = aegis_strdup(canon_params);
    r.sig = aegis_malloc(sig_len ? sig_len : 1);
    if (!r.params || !r.sig) {
        rec_clear(&r);
        return AEGIS_ERR_NOMEM;
    }
    if (sig_len)
        memcpy(r.sig, sig, sig_len);
    r.sig_len = sig_len;
    rec_hash(&r, r.hash);
    char *line = NULL;
    if (ret_line && (err = line_out(&r, &line, ret_len)) != AEGIS_OK) {
        rec_clear(&r);
        return err;
    }
    if ((err = push(log, &r)) != AEGIS_OK) {
        aegis_free(line);
        rec_clear(&r);
        return err;
    }
    if (ret_line)
        *ret_line = line;
    return AEGIS_OK;
}

aegis_err aegis_audit_append_event(aegis_audit *log, const aegis_assets *reg, const char *op,
                                   const char *params_json, uint64_t now_ms, char **ret_line, size_t *ret_len)
{
    json_t *p;
    aegis_buf b;
    if (!op || !*op || !params_json)
        return AEGIS_ERR_INVAL;
    aegis_err err = aegis__json_parse_object(params_json, strlen(params_json), &p);
    if (err != AEGIS_OK)
        return err;
    aegis_buf_init(&b, AEGIS_AUDIT_LINE_MAX);
    err = aegis__json_canon(p, &b);
    json_decref(p);
    if (err == AEGIS_OK)
        err = aegis__audit_append(log, reg, op, (const char *)b.data, AUDIT_CORE_KEY, 0, now_ms, NULL, 0,
                                  ret_line, ret_len);
    aegis_buf_clear(&b);
    return err;
}

aegis_err aegis_audit_record_json(const aegis_audit *log, size_t i, char **ret, size_t *ret_len)
{
    if (i >= log->n)
        return AEGIS_ERR_NOT_FOUND;
    return line_out(&log->v[i], ret, ret_len);
}

aegis_err aegis_audit_export(const aegis_audit *log, char **ret, size_t *ret_len)
{
    aegis_buf b;
    aegis_buf_init(&b, (size_t)1 << 34);
    aegis_err err = AEGIS_OK;
    for (size_t i = 0; err == AEGIS_OK && i < log->n; i++) {
        err = rec_line(&log->v[i], &b);
        if (err == AEGIS_OK)
            err = aegis_buf_append(&b, "\n", 1);
    }
    if (err == AEGIS_OK)
        err = aegis_buf_cstr(&b);
    if (err != AEGIS_OK) {
        aegis_buf_clear(&b);
        return err;
    }
    *ret = (char *)b.data;
    *ret_len = b.len;
    return AEGIS_OK;
}

void aegis__audit_last_seq(const aegis_audit *log, const char *key_id, uint64_t *ret)
{
    for (size_t i = 0; i < log->n; i++)
        if (strcmp(log->v[i].key_id, key_id) == 0 && log->v[i].req_seq > *ret)
            *ret = log->v[i].req_seq;
}

/* ---------------- parse and verify ---------------- */

static bool get_hex(const json_t *o, const char *k, uint8_t *out, size_t n)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && strlen(s) == 2 * n && aegis_hex_decode_exact(s, out, n) == AEGIS_OK;
}

static bool get_u64(const json_t *o, const char *k, uint64_t *ret)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *ret = (uint64_t)json_integer_value(v);
    return true;
}

/* One line -> record; byte equality with the canonical form is required. */
static aegis_err rec_parse(const char *line, size_t len, rec *r)
{
    json_t *o = NULL;
    aegis_buf b;
    aegis_buf_init(&b, AEGIS_AUDIT_LINE_MAX);
    memset(r, 0, sizeof(*r));
    aegis_err err = aegis__json_parse_object(line, len, &o);
    if (err != AEGIS_OK) {
        err = AEGIS_ERR_AUDIT_MALFORMED;
        goto out;
    }
    err = AEGIS_ERR_AUDIT_MALFORMED;
    const char *op = json_string_value(json_object_get(o, "op"));
    const char *kid = json_string_value(json_object_get(o, "key_id"));
    const char *sig = json_string_value(json_object_get(o, "sig"));
    const json_t *params = json_object_get(o, "params");
    if (json_object_size(o) != 10 || !op || !*op || strlen(op) >= sizeof(r->op) || !kid || !*kid ||
        strlen(kid) > AEGIS_ADMIN_KEY_ID_CHARS || !sig || !json_is_object(params) ||
        !get_u64(o, "seq", &r->seq) || !get_u64(o, "ts", &r->ts) || !get_u64(o, "req_seq", &r->req_seq) ||
        !get_hex(o, "prev", r->prev, 32) || !get_hex(o, "reg_hash", r->reg_hash, 32) ||
        !get_hex(o, "hash", r->hash, 32))
        goto out;
    strcpy(r->op, op);
    strcpy(r->key_id, kid);
    if (aegis__json_canon(params, &b) != AEGIS_OK || !(r->params = aegis_strdup((const char *)b.data)))
        goto out;
    size_t sl = strlen(sig);
    if (sl % 2 || !(r->sig = aegis_malloc(sl / 2 + 1)) || (sl && aegis_hex_decode_exact(sig, r->sig, sl / 2)))
        goto out;
    r->sig_len = sl / 2;
    aegis_buf_reset(&b);
    if (rec_line(r, &b) != AEGIS_OK || b.len != len || memcmp(b.data, line, len) != 0)
        goto out;
    err = AEGIS_OK;
out:
    if (err != AEGIS_OK)
        rec_clear(r);
    aegis_buf_clear(&b);
    json_decref(o);
    return err;
}

static aegis_err rec_check_sig(const rec *r, const aegis_assets_admin *admin)
{
    if (strcmp(r->key_id, AUDIT_CORE_KEY) == 0)
        return r->sig_len == 0 ? AEGIS_OK : AEGIS_ERR_AUDIT_BAD_SIG;
    const uint8_t *pk = aegis__admin_key(admin, r->key_id);
    if (!pk)
        return AEGIS_ERR_ADMIN_UNKNOWN_KEY;
    aegis_buf m;
    aegis_buf_init(&m, AEGIS_ADMIN_REQUEST_MAX);
    aegis_err err = aegis__admin_message(r->op, r->params, r->key_id, r->req_seq, r->ts, &m);
    if (err == AEGIS_OK)
        err = aegis_mldsa87_verify(r->sig, r->sig_len, m.data, m.len, (const uint8_t *)AEGIS_ADMIN_SIG_CTX,
                                   strlen(AEGIS_ADMIN_SIG_CTX), pk) == AEGIS_OK ? AEGIS_OK : AEGIS_ERR_AUDIT_BAD_SIG;
    aegis_buf_clear(&m);
    return err;
}

/* Shared by import and verify: walk the lines; keep them in log if given. */
static aegis_err walk(const char *text, size_t len, const aegis_assets_admin *admin, aegis_audit *log,
                      uint64_t *ret_count, size_t *ret_bad_line, uint8_t head[32], const char **reterr_msg)
{
    size_t off = 0, line_no = 0;
    uint64_t seq = 0;
    uint8_t prev[32] = { 0 };
    aegis_err err = AEGIS_OK;
    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;
        rec r;
        line_no++;
        if (ll > AEGIS_AUDIT_LINE_MAX) {
            err = AEGIS_ERR_AUDIT_MALFORMED;
            if (reterr_msg) *reterr_msg = "record line too long";
            break;
        }
        if ((err = rec_parse(text + off, ll, &r)) != AEGIS_OK) {
            if (reterr_msg) *reterr_msg = "record is not canonical JSON with the audit fields";
            break;
        }
        uint8_t h[32];
        rec_hash(&r, h);
        if (!aegis_ct_eq(h, r.hash, 32)) {
            err = AEGIS_ERR_AUDIT_BAD_HASH;
            if (reterr_msg) *reterr_msg = "record hash does not match its contents";
        } else if (r.seq != seq + 1 || !aegis_ct_eq(r.prev, prev, 32)) {
            err = AEGIS_ERR_AUDIT_BROKEN_CHAIN;
            if (reterr_msg) *reterr_msg = "sequence gap or previous-hash mismatch";
        } else if (admin && (err = rec_check_sig(&r, admin)) != AEGIS_OK) {
            if (reterr_msg) *reterr_msg = "admin signature of the record";
        }
        if (err == AEGIS_OK && log && (err = push(log, &r)) == AEGIS_OK)
            r.params = NULL, r.sig = NULL;   /* now owned by log */
        seq = r.seq;
        memcpy(prev, r.hash, 32);
        rec_clear(&r);
        if (err != AEGIS_OK)
            break;
        off += ll + (nl ? 1 : 0);
    }
    if (err != AEGIS_OK) {
        if (ret_bad_line)
            *ret_bad_line = line_no;
        return err;
    }
    if (ret_count)
        *ret_count = seq;
    memcpy(head, prev, 32);
    return AEGIS_OK;
}

aegis_err aegis_audit_verify(const char *text, size_t len, const aegis_assets_admin *admin,
                             const uint8_t *expected_head, uint64_t *ret_count, size_t *ret_bad_line,
                             const char **reterr_msg)
{
    uint8_t head[32];
    aegis_err err = walk(text, len, admin, NULL, ret_count, ret_bad_line, head, reterr_msg);
    if (err == AEGIS_OK && expected_head && !aegis_ct_eq(head, expected_head, 32)) {
        if (reterr_msg)
            *reterr_msg = "last record hash differs from the expected head";
        return AEGIS_ERR_AUDIT_HEAD_MISMATCH;
    }
    return err;
}

aegis_err aegis_audit_import(const char *text, size_t len, aegis_audit **ret, const char **reterr_msg)
{
    aegis_audit *log;
    uint8_t head[32];
    aegis_err err = aegis_audit_new(&log);
    if (err != AEGIS_OK)
        return err;
    err = walk(text, len, NULL, log, NULL, NULL, head, reterr_msg);
    if (err != AEGIS_OK) {
        aegis_audit_free(log);
        return err;
    }
    *ret = log;
    return AEGIS_OK;
}
