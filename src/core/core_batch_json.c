/* core_batch_json.c - the published batch JSON as the cut writes it:
 * directly, in one pass, byte for byte what src/chain/chain_json.c's
 * encoder gives. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core_attest.h"
#include "core_int.h"

/*
 * ---- the published batch JSON, written directly ----
 * The same bytes as json_dumps(aegis_chain_batch_to_json(cb), JSON_COMPACT)
 * (src/chain/chain_json.c: keys in that order, integers as json_int_t,
 * 0x-hex strings), without building a jansson tree: one pass into one
 * buffer sized up front. Building and dumping the tree cost ~260 us per
 * 50-tx batch, this ~20 us. Strings other than hex (backend, mode) must be
 * plain printable ASCII without quote or backslash, an attestation's
 * event_log printable ASCII with quotes, backslashes, \n or \t escaped as
 * jansson does, else the writer refuses and the caller falls back to
 * jansson. test_batchjson compares both
 * encoders on real batches.
 */
struct jw {
    char *p;
    size_t len, cap;
    bool bad;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
    if (w->bad || n > w->cap - w->len) {
        w->bad = true;
        return;
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

#define JW_LIT(w, lit) jw_raw((w), (lit), sizeof(lit) - 1)

static void jw_hex(struct jw *w, const uint8_t *b, size_t n)
{
    if (w->bad || 2 * n + 4 > w->cap - w->len) {
        w->bad = true;
        return;
    }
    w->p[w->len++] = '"';
    w->p[w->len++] = '0';
    w->p[w->len++] = 'x';
    aegis_hex_encode(w->p + w->len, b, n);   /* its NUL is overwritten next */
    w->len += 2 * n;
    w->p[w->len++] = '"';
}

static void jw_int(struct jw *w, long long v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", v);
    jw_raw(w, tmp, (size_t)n);
}

/* A u64 a JavaScript client must read exactly: an integer up to 2^53 - 1,
 * a decimal string above (aegis/json.h). */
static void jw_u64(struct jw *w, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), v <= AEGIS_JSON_MAX_SAFE ? "%llu" : "\"%llu\"", (unsigned long long)v);
    jw_raw(w, tmp, (size_t)n);
}

static void jw_str(struct jw *w, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            w->bad = true;
    jw_raw(w, "\"", 1);
    jw_raw(w, s, n);
    jw_raw(w, "\"", 1);
}

/* A JSON string as jansson's json_dumps writes it, for printable ASCII plus
 * the escapes the dstack event log needs (quote, backslash, \n, \t).
 * Anything else (other control bytes, non-ASCII) sets bad: the caller falls
 * back to jansson, so the bytes stay identical whatever the input. */
static void jw_json_str(struct jw *w, const char *s, size_t n)
{
    if (w->bad || 2 * n + 2 > w->cap - w->len) {
        w->bad = true;
        return;
    }
    char *o = w->p + w->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (c == '\t') {
            *o++ = '\\';
            *o++ = 't';
        } else if (c < 0x20 || c > 0x7e) {
            w->bad = true;
            return;
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    w->len = (size_t)(o - w->p);
}

static void jw_attest(struct jw *w, const aegis_chain_attest *a)
{
    JW_LIT(w, "{\"backend\":");
    jw_str(w, a->backend);
    JW_LIT(w, ",\"mode\":");
    jw_str(w, a->mode);
    if (a->insecure)
        JW_LIT(w, ",\"insecure\":true,\"report_data\":");
    else
        JW_LIT(w, ",\"insecure\":false,\"report_data\":");
    jw_hex(w, a->report_data, 64);
    JW_LIT(w, ",\"quote\":");
    jw_hex(w, a->quote, a->quote_len);
    if (a->event_log) {   /* record format 1.1 (chain_json.c) */
        JW_LIT(w, ",\"event_log\":");
        jw_json_str(w, a->event_log, a->event_log_len);
    }
    JW_LIT(w, "}");
}

static void jw_header(struct jw *w, const struct aegis_batch_header *h)
{
    JW_LIT(w, "{\"version\":");
    jw_int(w, (int)h->version);
    JW_LIT(w, ",\"chain_id\":");
    jw_int(w, (json_int_t)h->chain_id);
    JW_LIT(w, ",\"number\":");
    jw_int(w, (json_int_t)h->number);
    JW_LIT(w, ",\"parent_hash\":");
    jw_hex(w, h->parent_hash, 32);
    JW_LIT(w, ",\"timestamp_ms\":");
    jw_int(w, (json_int_t)h->timestamp_ms);
    JW_LIT(w, ",\"tx_count\":");
    jw_int(w, (int)h->tx_count);
    JW_LIT(w, ",\"tx_root\":");
    jw_hex(w, h->tx_root, 32);
    JW_LIT(w, ",\"strategy_id\":");
    jw_int(w, (int)h->strategy_id);
    JW_LIT(w, ",\"policy_hash\":");
    jw_hex(w, h->policy_hash, 32);
    JW_LIT(w, ",\"risk_score\":");
    jw_int(w, (int)h->risk_score);
    JW_LIT(w, ",\"risk_level\":");
    jw_int(w, (int)h->risk_level);
    JW_LIT(w, ",\"algorithm_set\":");
    jw_int(w, (int)h->algorithm_set);
    JW_LIT(w, ",\"key_epoch\":");
    jw_int(w, (json_int_t)h->key_epoch);
    JW_LIT(w, ",\"protected_count\":");
    jw_int(w, (int)h->protected_count);
    JW_LIT(w, ",\"protected_hash\":");
    jw_hex(w, h->protected_hash, 32);
    JW_LIT(w, ",\"checkpoint_number\":");
    jw_int(w, (json_int_t)h->checkpoint_number);
    JW_LIT(w, ",\"checkpoint_hash\":");
    jw_hex(w, h->checkpoint_hash, 32);
    JW_LIT(w, "}");
}

/* An upper bound of the encoding's length. */
static size_t jw_bound(const aegis_chain_batch *cb)
{
    size_t n = 4096 + 2 * AEGIS_BATCH_HEADER_BYTES + 2 * (AEGIS_MLDSA87_SIG_BYTES + AEGIS_SECP256K1_SIG_BYTES);
    for (size_t i = 0; i < cb->n_txs; i++)
        n += 2 * cb->txs[i].raw_len + 256;
    if (cb->sig_slh)
        n += 2 * AEGIS_SLHDSA256S_SIG_BYTES + 64;
    n += 2 * (cb->primary.quote_len + cb->backup.quote_len) + 2 * 512;
    n += 2 * (cb->primary.event_log_len + cb->backup.event_log_len) + 2 * 32;
    n += cb->seal_path_len * 72 + 128;
    return n;
}

/* AEGIS_ERR_UNSUPPORTED: a string the writer does not encode (use jansson). */
static aegis_err write_batch(const aegis_chain_batch *cb, char **ret, size_t *ret_len)
{
    uint8_t abi[AEGIS_BATCH_HEADER_BYTES];
    if (aegis_batch_header_encode(&cb->h, abi))
        return AEGIS_ERR_UNSUPPORTED;
    struct jw w = { .cap = jw_bound(cb) };
    if (!(w.p = aegis_malloc(w.cap + 1)))
        return AEGIS_ERR_NOMEM;
    JW_LIT(&w, "{\"number\":");
    jw_int(&w, (json_int_t)cb->h.number);
    JW_LIT(&w, ",\"hash\":");
    jw_hex(&w, cb->hash, 32);
    JW_LIT(&w, ",\"header\":");
    jw_header(&w, &cb->h);
    JW_LIT(&w, ",\"header_abi\":");
    jw_hex(&w, abi, sizeof(abi));
    JW_LIT(&w, ",\"txs\":[");
    for (size_t i = 0; i < cb->n_txs; i++) {
        const aegis_chain_tx *t = &cb->txs[i];
        if (i)
            JW_LIT(&w, ",");
        JW_LIT(&w, "{\"raw\":");
        jw_hex(&w, t->raw, t->raw_len);
        JW_LIT(&w, ",\"hash\":");
        jw_hex(&w, t->hash, 32);
        JW_LIT(&w, ",\"sender\":");
        jw_hex(&w, t->sender, 20);
        JW_LIT(&w, ",\"nonce\":");
        jw_u64(&w, t->nonce);
        JW_LIT(&w, ",\"envelope_id\":");
        jw_u64(&w, t->envelope_id);
        JW_LIT(&w, "}");
    }
    JW_LIT(&w, "],\"signatures\":{\"ml-dsa-87\":");
    jw_hex(&w, cb->sig_mldsa, sizeof(cb->sig_mldsa));
    if (cb->has_ecdsa) {
        JW_LIT(&w, ",\"secp256k1\":");
        jw_hex(&w, cb->sig_ecdsa, sizeof(cb->sig_ecdsa));
    }
    if (cb->sig_slh) {
        JW_LIT(&w, ",\"slh-dsa-sha2-256s\":");
        jw_hex(&w, cb->sig_slh, AEGIS_SLHDSA256S_SIG_BYTES);
    }
    JW_LIT(&w, "},\"attestation\":{");
    if (cb->primary.backend[0]) {
        JW_LIT(&w, "\"primary\":");
        jw_attest(&w, &cb->primary);
    }
    if (cb->backup.backend[0]) {
        if (cb->primary.backend[0])
            JW_LIT(&w, ",");
        JW_LIT(&w, "\"backup\":");
        jw_attest(&w, &cb->backup);
    }
    JW_LIT(&w, "}");
    if (cb->has_seal) {
        JW_LIT(&w, ",\"seal\":{\"number\":");
        jw_int(&w, (json_int_t)cb->seal_number);
        JW_LIT(&w, ",\"index\":");
        jw_int(&w, (json_int_t)cb->seal_index);
        JW_LIT(&w, ",\"count\":");
        jw_int(&w, (json_int_t)cb->seal_count);
        JW_LIT(&w, ",\"path\":[");
        for (size_t i = 0; i < cb->seal_path_len; i++) {
            if (i)
                JW_LIT(&w, ",");
            jw_hex(&w, cb->seal_path[i], 32);
        }
        JW_LIT(&w, "]}");
    }
    JW_LIT(&w, "}");
    if (w.bad) {
        aegis_free(w.p);
        return AEGIS_ERR_UNSUPPORTED;
    }
    w.p[w.len] = '\0';
    *ret = w.p;
    *ret_len = w.len;
    return AEGIS_OK;
}

/* The published JSON of cb (compact), in a buffer for aegis_free. */
aegis_err aegis__core_batch_json(const aegis_chain_batch *cb, char **ret, size_t *ret_len)
{
    aegis_err err = write_batch(cb, ret, ret_len);
    if (err != AEGIS_ERR_UNSUPPORTED)
        return err;
    json_t *j = aegis_chain_batch_to_json(cb);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s)
        return AEGIS_ERR_NOMEM;
    size_t len = strlen(s);
    *ret = aegis_strndup(s, len);
    free(s);
    if (!*ret)
        return AEGIS_ERR_NOMEM;
    *ret_len = len;
    return AEGIS_OK;
}
