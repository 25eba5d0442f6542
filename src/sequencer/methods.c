/* methods.c - the sequencer's JSON-RPC methods.
 *
 *   aegis_getEncryptionKey         [] -> key set (public) + attestation
 *   aegis_getKeySet                [epoch] -> the same for that epoch
 *   aegis_sendEncryptedTransaction ["0x<envelope>"] -> signed receipt
 *   aegis_getReceipt               ["0x<tx hash | envelope hash>"] -> status
 *   aegis_getBatch                 [number | "0x<hash>"] -> batch (+ seal membership)
 *   aegis_getBatches               [from, to] -> [batch...] (at most 100)
 *   aegis_waitBatch                [after, timeout_ms] -> next batch or null
 *   aegis_getSeal                  [seal number] -> SLH-DSA seal record
 */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "aegis/batch.h"
#include "aegis/json.h"
#include "aegis/log.h"
#include "seq_int.h"

#define MAX_RANGE 100

static aegis_err bad_params(const char **detail, const char *what)
{
    *detail = what;
    return AEGIS_ERR_RPC_INVALID_PARAMS;
}

static aegis_err json_text(const char *s, json_t **ret)
{
    json_error_t jerr;
    *ret = json_loads(s, 0, &jerr);
    return *ret ? AEGIS_OK : AEGIS_ERR_INTERNAL;
}

static aegis_err m_get_key(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    char *s = NULL;
    aegis_err err = aegis_core_key_info(p->core, &s);
    if (!err)
        err = json_text(s, ret);
    aegis_free(s);
    return err;
}

static aegis_err m_get_keyset(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *e = json_array_get(params, 0);
    uint64_t epoch = 0;   /* an integer, or a decimal string (docs/internals/rpc.md "Numbers") */
    if (!json_is_array(params) || json_array_size(params) != 1 || !aegis_json_u64(e, UINT64_MAX, &epoch))
        return bad_params(detail, "params must be [epoch]");
    char *s = NULL;
    aegis_err err = epoch < 1 ? AEGIS_ERR_NOT_FOUND : aegis_core_key_info_epoch(p->core, epoch, &s);
    if (!err)
        err = json_text(s, ret);
    aegis_free(s);
    if (err == AEGIS_ERR_NOT_FOUND)
        *detail = "no key set for that epoch";
    return err;
}

/* The refusal budget's clock: monotonic milliseconds. */
uint64_t aegis_seq_mono_ms(void)
{
    return aegis_now_ns() / 1000000ull;
}

/* Whether a submission's failure is the envelope's own fault (and so costs
 * its sender refused bytes), not the node's (busy, closing, store, memory). */
bool aegis_seq_refused_by_content(aegis_err err)
{
    switch (err) {
    case AEGIS_OK:
    case AEGIS_ERR_INGEST_BUSY:
    case AEGIS_ERR_INGEST_CLOSED:
    case AEGIS_ERR_NOMEM:
    case AEGIS_ERR_INTERNAL:
        return false;
    default:
        return !(err >= 200 && err < 250); /* store errors (err/store.def) */
    }
}

/* aegis_sendEncryptedTransaction with params[0] as hex_len bytes of text:
 * from the JSON tree (m_send) or straight from the request body (m_send_str,
 * the RPC server's string fast path: no JSON tree for the ~7 KB of hex). */
static aegis_err send_hex(const aegis_rpc_call *call, const char *hex, size_t hex_len, json_t **ret,
                          const char **detail)
{
    struct aegis_seq *p = call->ctx;
    if (hex_len < 2 || strncmp(hex, "0x", 2) != 0) {
        *detail = "envelope must be 0x-prefixed hex";
        return AEGIS_ERR_BAD_HEX;
    }
    /* an address whose envelopes were refused too often waits, before we
     * decode, check or write anything of its */
    if (!aegis_rpc_budget_allows(p->refused, call->peer, aegis_seq_mono_ms(), NULL)) {
        *detail = "too many refused envelope bytes from this address in the last minute (rpc.refused_bytes_per_minute)";
        return AEGIS_ERR_RPC_REFUSED_BUDGET;
    }
    uint8_t *env = NULL;
    size_t len = 0;
    aegis_err err = aegis_hex_decode_allocn(hex, hex_len, p->cfg->mempool_max_envelope, &env, &len);
    if (err) {
        *detail = err == AEGIS_ERR_TOO_BIG ? "envelope larger than mempool.max_envelope" : "malformed hex";
        aegis_rpc_budget_charge(p->refused, call->peer, hex_len / 2, aegis_seq_mono_ms());
        return err;
    }
    if (len == 0) {
        aegis_free(env);
        *detail = "empty envelope";
        return AEGIS_ERR_ENV_TRUNCATED;
    }
    /* durable in the log, admitted, answered with a signed receipt (or
     * deferred: the log's backend answers through call) */
    err = p->log->submit(p, call, env, len, ret, detail);   /* takes env */
    if (aegis_seq_refused_by_content(err))
        aegis_rpc_budget_charge(p->refused, call->peer, len, aegis_seq_mono_ms());
    return err;
}

static aegis_err m_send(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    const char *hex = json_string_value(json_array_get(params, 0));
    if (!json_is_array(params) || json_array_size(params) != 1 || !hex)
        return bad_params(detail, "params must be [\"0x<hex envelope>\"]");
    /* a string with an escaped NUL ends at it, as it always did */
    return send_hex(call, hex, strlen(hex), ret, detail);
}

static aegis_err m_send_str(const aegis_rpc_call *call, const char *s, size_t len, json_t **ret, const char **detail)
{
    return send_hex(call, s, len, ret, detail);
}

/* Load a persisted batch as JSON, with its seal membership when sealed. */
aegis_err aegis_seq_load_batch(struct aegis_seq *p, uint64_t number, json_t **ret)
{
    uint8_t *val = NULL;
    size_t len = 0;
    aegis_err err = aegis_store_get(p->store, "batch", number, &val, &len);
    if (err)
        return err;
    json_t *j = json_loadb((const char *)val, len, 0, NULL);
    aegis_free(val);
    if (!j)
        return AEGIS_ERR_INTERNAL;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_seals; i++) {
        const struct seal_span *s = &p->seals[i];
        if (number < s->first || number >= s->first + s->count || s->first + s->count - 1 > p->last_batch)
            continue;
        uint8_t path[AEGIS_MERKLE_MAX_DEPTH][32];
        size_t plen = 0;
        if (aegis_batch_merkle_proof((const uint8_t (*)[32])p->hashes + (s->first - 1), s->count,
                                     number - s->first, path, AEGIS_MERKLE_MAX_DEPTH, &plen) == AEGIS_OK) {
            json_t *pj = json_array();
            for (size_t k = 0; k < plen; k++)
                json_array_append_new(pj, aegis_json_hex(path[k], 32));
            json_object_set_new(j, "seal", json_pack("{s:I, s:I, s:I, s:o}", "number", (json_int_t)s->number,
                                                     "index", (json_int_t)(number - s->first),
                                                     "count", (json_int_t)s->count, "path", pj));
        }
        break;
    }
    pthread_mutex_unlock(&p->lock);
    if (aegis_seq_is_orphaned(p, number))
        json_object_set_new(j, "orphaned", json_true());
    if (p->log->batch_extras)
        p->log->batch_extras(p, number, j);
    *ret = j;
    return AEGIS_OK;
}

static aegis_err m_get_batch(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *a = json_array_get(params, 0);
    uint64_t number = 0;
    if (!json_is_array(params) || json_array_size(params) != 1)
        return bad_params(detail, "params must be [number] or [\"0x<batch hash>\"]");
    if ((json_is_integer(a) || (json_is_string(a) && strncmp(json_string_value(a), "0x", 2) != 0)) &&
        aegis_json_u64(a, UINT64_MAX, &number) && number > 0) {
        /* a number, or its decimal string */
    } else if (json_is_string(a)) {
        uint8_t h[32];
        if (aegis_hex_decode_exact(json_string_value(a), h, 32))
            return bad_params(detail, "batch hash must be 0x + 64 hex digits");
        pthread_mutex_lock(&p->lock);
        for (uint64_t n = 1; n <= p->last_batch; n++)
            if (memcmp(p->hashes[n - 1], h, 32) == 0) {
                number = n;
                break;
            }
        pthread_mutex_unlock(&p->lock);
    } else {
        return bad_params(detail, "params must be [number] or [\"0x<batch hash>\"]");
    }
    aegis_err err = number ? aegis_seq_load_batch(p, number, ret) : AEGIS_ERR_NOT_FOUND;
    if (err == AEGIS_ERR_NOT_FOUND)
        *detail = "no such batch";
    return err;
}

static aegis_err m_get_batches(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *f = json_array_get(params, 0), *t = json_array_get(params, 1);
    if (!json_is_array(params) || json_array_size(params) != 2 || !json_is_integer(f) || !json_is_integer(t) ||
        json_integer_value(f) < 1 || json_integer_value(t) < json_integer_value(f))
        return bad_params(detail, "params must be [from, to] with 1 <= from <= to");
    uint64_t from = (uint64_t)json_integer_value(f), to = (uint64_t)json_integer_value(t);
    if (to - from >= MAX_RANGE)
        return bad_params(detail, "at most 100 batches per call");
    json_t *arr = json_array();
    for (uint64_t n = from; arr && n <= to; n++) {
        json_t *b = NULL;
        aegis_err err = aegis_seq_load_batch(p, n, &b);
        if (err == AEGIS_ERR_NOT_FOUND)
            break;
        if (err) {
            json_decref(arr);
            return err;
        }
        json_array_append_new(arr, b);
    }
    *ret = arr;
    return arr ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static aegis_err m_get_seal(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *a = json_array_get(params, 0);
    if (!json_is_array(params) || json_array_size(params) != 1 || !json_is_integer(a) || json_integer_value(a) < 1)
        return bad_params(detail, "params must be [seal_number]");
    uint8_t *val = NULL;
    size_t len = 0;
    aegis_err err = aegis_store_get(p->store, "seal", (uint64_t)json_integer_value(a), &val, &len);
    if (err) {
        *detail = "no such seal";
        return err;
    }
    *ret = json_loadb((const char *)val, len, 0, NULL);
    aegis_free(val);
    return *ret ? AEGIS_OK : AEGIS_ERR_INTERNAL;
}

static aegis_err m_get_handover(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *a = json_array_get(params, 0);
    if (!json_is_array(params) || json_array_size(params) != 1 || !json_is_integer(a) || json_integer_value(a) < 2)
        return bad_params(detail, "params must be [new_epoch] (2 or more)");
    uint8_t *val = NULL;
    size_t len = 0;
    aegis_err err = aegis_store_get(p->store, "handover", (uint64_t)json_integer_value(a), &val, &len);
    if (err) {
        *detail = "no hand-over into that epoch";
        return err;
    }
    *ret = json_loadb((const char *)val, len, 0, NULL);
    aegis_free(val);
    return *ret ? AEGIS_OK : AEGIS_ERR_INTERNAL;
}

/* Inclusion: batch number, position and Merkle proof of the tx hash. */
static aegis_err included_reply(struct aegis_seq *p, uint64_t number, uint32_t pos, json_t **ret)
{
    json_t *b = NULL;
    aegis_err err = aegis_seq_load_batch(p, number, &b);
    if (err)
        return err;
    json_t *txs = json_object_get(b, "txs");
    size_t n = json_array_size(txs);
    uint8_t (*hashes)[32] = aegis_malloc((n ? n : 1) * 32);
    uint8_t path[AEGIS_MERKLE_MAX_DEPTH][32];
    size_t plen = 0;
    err = hashes ? AEGIS_OK : AEGIS_ERR_NOMEM;
    for (size_t i = 0; !err && i < n; i++)
        err = aegis_json_hex_exact(json_object_get(json_array_get(txs, i), "hash"), hashes[i], 32)
                  ? AEGIS_OK
                  : AEGIS_ERR_CHAIN_FORMAT;
    if (!err && pos >= n)
        err = AEGIS_ERR_INTERNAL;
    if (!err)
        err = aegis_batch_merkle_proof((const uint8_t (*)[32])hashes, n, pos, path, AEGIS_MERKLE_MAX_DEPTH, &plen);
    if (!err) {
        json_t *pj = json_array();
        for (size_t k = 0; k < plen; k++)
            json_array_append_new(pj, aegis_json_hex(path[k], 32));
        json_t *tx = json_array_get(txs, pos);
        *ret = json_pack("{s:s, s:O, s:I, s:O, s:I, s:i, s:I, s:o, s:O, s:O}", "status", "included",
                         "tx_hash", json_object_get(tx, "hash"), "envelope_id",
                         json_integer_value(json_object_get(tx, "envelope_id")), "sender",
                         json_object_get(tx, "sender"), "batch", (json_int_t)number, "index", (int)pos,
                         "count", (json_int_t)n, "proof", pj,
                         "tx_root", json_object_get(json_object_get(b, "header"), "tx_root"),
                         "batch_hash", json_object_get(b, "hash"));
        err = *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
    }
    aegis_free(hashes);
    json_decref(b);
    return err;
}

/* After a restart from a snapshot the old batches are indexed in the
 * background: a receipt not found yet may be in one of them. */
static bool receipt_index_loading(struct aegis_seq *p, const char **detail)
{
    pthread_mutex_lock(&p->lock);
    bool loading = p->indexing;
    pthread_mutex_unlock(&p->lock);
    if (loading)
        *detail = "the receipt index is loading after a restart: retry in a few seconds";
    return loading;
}

static aegis_err m_get_receipt(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    const char *hex = json_string_value(json_array_get(params, 0));
    uint8_t h[32], key[32];
    if (!json_is_array(params) || json_array_size(params) != 1 || !hex || aegis_hex_decode_exact(hex, h, 32))
        return bad_params(detail, "params must be [\"0x<tx hash or envelope hash>\"]");
    uint64_t number, id = 0;
    uint32_t pos;
    /* asked first: a transaction leaves the pool only after its batch is
     * indexed (aegis_seq_land_batch), so one not pending here is found in
     * the index below if it was included. Asked last, a batch indexed after
     * the index lookup and committed before this one read "unknown". */
    bool pending = aegis_core_is_pending(p->core, h);
    pthread_mutex_lock(&p->lock);
    bool inc = aegis_seq_pindex_get(&p->index, h, &number, &pos);
    pthread_mutex_unlock(&p->lock);
    if (inc)
        return included_reply(p, number, pos, ret);
    if (aegis_store_env_find(p->store, h, &id) == AEGIS_OK) {
        aegis_store_env env;
        aegis_err err = aegis_store_env_get(p->store, id, &env);
        if (err)
            return err;
        /* the index after the status row: a batch is indexed before its
         * envelopes' status is written, so one read "included" is there */
        aegis_seq_pindex_id_key(key, id);
        pthread_mutex_lock(&p->lock);
        inc = aegis_seq_pindex_get(&p->index, key, &number, &pos);
        pthread_mutex_unlock(&p->lock);
        if (inc || (env.status == AEGIS_ENV_INCLUDED && receipt_index_loading(p, detail))) {
            aegis_free((void *)env.data);
            aegis_free((void *)env.reason);
            return inc ? included_reply(p, number, pos, ret) : AEGIS_ERR_NOT_READY;
        }
        *ret = json_pack("{s:s, s:o, s:I, s:s?}", "status", aegis_env_status_name(env.status), "envelope_hash",
                         aegis_json_hex(h, 32), "envelope_id", (json_int_t)id, "reason", env.reason);
        aegis_free((void *)env.data);
        aegis_free((void *)env.reason);
        return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
    }
    if (pending) {
        *ret = json_pack("{s:s, s:o}", "status", "pending", "tx_hash", aegis_json_hex(h, 32));
        return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
    }
    if (receipt_index_loading(p, detail))
        return AEGIS_ERR_NOT_READY;
    *ret = json_pack("{s:s, s:o}", "status", "unknown", "hash", aegis_json_hex(h, 32));
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static aegis_err m_submit_risk(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *a = json_array_get(params, 0);
    if (!json_is_array(params) || json_array_size(params) != 1 || !json_is_object(a))
        return bad_params(detail, "params must be [assessment object] (aegis risk sign)");
    char *s = json_dumps(a, JSON_COMPACT);
    if (!s)
        return AEGIS_ERR_NOMEM;
    json_t *dec = NULL;
    aegis_err err = p->log->submit_control(p, "risk", s, strlen(s), &dec, detail);
    free(s);
    if (err) {
        json_decref(dec);
        return err;
    }
    char *state = NULL;
    if (aegis_core_risk_state(p->core, &state) == AEGIS_OK) {
        json_object_set_new(dec, "state", json_loads(state, 0, NULL));
        aegis_free(state);
    }
    *ret = dec;
    return dec ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static aegis_err load_coll(struct aegis_seq *p, const char *coll, uint64_t key, json_t **ret,
                           const char **detail)
{
    uint8_t *val = NULL;
    size_t len = 0;
    aegis_err err = aegis_store_get(p->store, coll, key, &val, &len);
    if (err) {
        *detail = "not found";
        return err;
    }
    *ret = json_loadb((const char *)val, len, 0, NULL);
    aegis_free(val);
    return *ret ? AEGIS_OK : AEGIS_ERR_INTERNAL;
}

static aegis_err m_get_checkpoint(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    json_t *a = json_array_get(params, 0);
    if (!json_is_array(params) || json_array_size(params) != 1 || !json_is_integer(a) || json_integer_value(a) < 0)
        return bad_params(detail, "params must be [checkpoint number]");
    return load_coll(call->ctx, "checkpoint", (uint64_t)json_integer_value(a) + 1, ret, detail);
}

/* A listing: every checkpoint without its state blob. */
static int list_ckpt_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    json_t *j = json_loadb((const char *)val, len, 0, NULL);
    if (j) {
        json_object_del(json_object_get(j, "checkpoint"), "state");
        json_array_append_new(arg, j);
    }
    return 0;
}

static aegis_err m_list_checkpoints(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *arr = json_array();
    aegis_err err = arr ? aegis_store_range(p->store, "checkpoint", 1, UINT64_MAX, list_ckpt_cb, arr)
                        : AEGIS_ERR_NOMEM;
    if (err) {
        json_decref(arr);
        return err;
    }
    *ret = arr;
    return AEGIS_OK;
}

static int list_json_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    json_t *j = json_loadb((const char *)val, len, 0, NULL);
    if (j)
        json_array_append_new(arg, j);
    return 0;
}

static aegis_err m_risk_decisions(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    uint64_t last = 0, from = 1;
    if (aegis_store_last(p->store, "risk", &last) == AEGIS_OK && last > 100)
        from = last - 99;
    json_t *arr = json_array();
    aegis_err err = arr ? aegis_store_range(p->store, "risk", from, UINT64_MAX, list_json_cb, arr)
                        : AEGIS_ERR_NOMEM;
    if (err) {
        json_decref(arr);
        return err;
    }
    *ret = arr;
    return AEGIS_OK;
}

static const aegis_rpc_method methods[] = {
    { "aegis_submitRiskAssessment", m_submit_risk, "[assessment]", AEGIS_RPC_PUBLIC | AEGIS_RPC_WRITE,
      "a signed quantum-risk assessment from a listed oracle key; replies the decision and the risk state" },
    { "aegis_getRiskDecisions", m_risk_decisions, "[]", AEGIS_RPC_PUBLIC,
      "the last 100 risk decisions (accepted and rejected, with reasons)" },
    { "aegis_getCheckpoint", m_get_checkpoint, "[number]", AEGIS_RPC_PUBLIC,
      "a PQC-signed, attested checkpoint with its state" },
    { "aegis_listCheckpoints", m_list_checkpoints, "[]", AEGIS_RPC_PUBLIC, "every checkpoint, without state" },
    { "aegis_getEncryptionKey", m_get_key, "[]", AEGIS_RPC_PUBLIC,
      "key epoch, ML-KEM-1024 + X25519 keys, signing keys and the attestation binding them" },
    { "aegis_getKeySet", m_get_keyset, "[epoch]", AEGIS_RPC_PUBLIC, "the published key set of an epoch" },
    { "aegis_sendEncryptedTransaction", m_send, "[\"0x<envelope hex>\"]", AEGIS_RPC_PUBLIC | AEGIS_RPC_WRITE,
      "submit an encrypted transaction; replies a signed receipt once durable and admitted" },
    { "aegis_getReceipt", m_get_receipt, "[\"0x<tx or envelope hash>\"]", AEGIS_RPC_PUBLIC,
      "pending / included (batch, index, Merkle proof) / rejected (reason) / evicted" },
    { "aegis_getBatch", m_get_batch, "[number | \"0x<hash>\"]", AEGIS_RPC_PUBLIC,
      "a published batch with its signatures, attestation and seal membership" },
    { "aegis_getBatches", m_get_batches, "[from, to]", AEGIS_RPC_PUBLIC, "up to 100 published batches" },
    { "aegis_waitBatch", aegis_seq_m_wait_batch, "[after_number, timeout_ms]", AEGIS_RPC_PUBLIC,
      "long-poll: the first batch after a number, or null on timeout" },
    { "aegis_getHandover", m_get_handover, "[new_epoch]", AEGIS_RPC_PUBLIC,
      "the key hand-over into an epoch, signed by the old and the new key set" },
    { "aegis_getSeal", m_get_seal, "[seal_number]", AEGIS_RPC_PUBLIC, "an SLH-DSA epoch seal record" },
};

aegis_err aegis_seq_register(struct aegis_seq *p)
{
    const aegis_config *c = p->cfg;
    aegis_err err = aegis_rpc_budget_new(&p->refused, c->rpc_refused_bytes_per_minute, 60000, 4096);
    if (!err)
        err = aegis_seq_wait_start(p);
    if (!err)
        err = aegis_seq_metrics_register(p);
    if (!err)
        err = aegis_rpc_add_methods(p->rpc, methods, AEGIS_ARRAY_LEN(methods), p);
    if (!err)
        err = aegis_rpc_set_str_handler(p->rpc, "aegis_sendEncryptedTransaction", m_send_str);
    return err;
}
