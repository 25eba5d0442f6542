/*
 * proxy.c - the encrypting wallet proxy (aegis/client.h, docs/wallets.md).
 *
 * Runs on the user's side: the plaintext transaction exists only here and,
 * sealed, inside the sequencer's TEE. Local methods:
 *   eth_sendRawTransaction   decode + check (chain id, signature) locally,
 *                            seal to the attested key, submit, verify the
 *                            signed receipt, answer the tx hash
 *   eth_getTransactionReceipt / eth_getTransactionByHash
 *                            the upstream's answer when it has one, else
 *                            from Aegis's receipt and verified batch
 *   eth_getTransactionCount  ("pending": not below the proxy's own sends)
 *   eth_blockNumber          (not below a batch number it reported)
 *   eth_chainId, net_version the sequencer's chain
 * Everything else under eth_ / net_ / web3_ goes to the upstream verbatim.
 *
 * Errors are shaped as wallets expect (EIP-1474 codes, a readable message,
 * data.aegis_code / data.name when Aegis said no): -32602 the raw
 * transaction does not decode, -32000 wrong chain id, -32003 the sequencer
 * refused it, -32002 the sequencer (or upstream) is unreachable or its key
 * or receipt does not verify, -32601 a method that needs --upstream.
 *
 * The key set is cached for key_max_age_ms and fetched again when the
 * sequencer reports an unknown epoch, another recipient or an epoch whose
 * grace window ended (a rotation), then the transaction is sealed again
 * once; a receipt signed by a newer epoch is checked under that epoch's key.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aegis/http.h"
#include "aegis/rlp.h"
#include "aegis/tx.h"
#include "aegis/client.h"

#define MAX_SENT   4096            /* transactions remembered (oldest dropped) */
#define MAX_BODY   (1u << 20)

/* Wallet-facing codes (EIP-1474 / geth). */
#define E_PARSE    (-32700)
#define E_REQUEST  (-32600)
#define E_METHOD   (-32601)
#define E_PARAMS   (-32602)
#define E_SERVER   (-32000)
#define E_UNAVAIL  (-32002)
#define E_REJECTED (-32003)

typedef struct sent_tx {
    uint8_t hash[32], env_hash[32], sender[20];
    uint64_t nonce, key_epoch, seq;
    json_t *tx;                /* eth_getTransactionByHash object (block fields null) */
    json_t *receipt;           /* built once the inclusion verified, else NULL */
} sent_tx;

struct aegis_client_proxy {
    char *seq_url, *up_url;
    bool allow_sim;
    uint64_t key_max_age_ns;
    int timeout_ms;
    uint64_t chain_id;

    pthread_mutex_t mu;        /* everything below */
    aegis_client_keyset ks;
    bool have_ks;
    uint64_t ks_at_ns;
    sent_tx *sent;             /* ring of MAX_SENT */
    size_t n_sent, next_sent;
    uint64_t max_block;        /* highest batch number a receipt named */
};

/* ---- replies ---- */

static json_t *err_obj(int code, const char *msg, int aegis_code, const char *name)
{
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message", msg);
    if (e && aegis_code)
        json_object_set_new(e, "data", json_pack("{s:i, s:s}", "aegis_code", aegis_code, "name", name ? name : ""));
    return e;
}

static json_t *err_aegis(int code, const char *prefix, aegis_err err, const char *detail)
{
    char m[512];
    snprintf(m, sizeof(m), "%s: %s", prefix, detail ? detail : aegis_strerror(err));
    return err_obj(code, m, (int)err, aegis_err_name(err));
}

static json_t *jhex(const uint8_t *p, size_t n)
{
    char *s = aegis_client_hex(p, n);
    json_t *j = s ? json_string(s) : NULL;
    aegis_free(s);
    return j;
}

static json_t *jqty(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
    return json_string(b);
}

static json_t *jqty256(const aegis_u256 *a)
{
    uint8_t be[32];
    char b[67];
    aegis_u256_to_be(be, a);
    size_t i = 0;
    while (i < 31 && be[i] == 0)
        i++;
    char h[65];
    aegis_hex_encode(h, be + i, 32 - i);
    const char *s = h;
    if (s[0] == '0' && s[1])
        s++;   /* quantities have no leading zero digit */
    snprintf(b, sizeof(b), "0x%s", s);
    return json_string(b);
}

/* ---- outgoing calls ---- */

/* The upstream's reply to one request object, verbatim (id kept). */
static json_t *forward(aegis_client_proxy *p, const json_t *req)
{
    if (!p->up_url) {
        const char *m = json_string_value(json_object_get(req, "method"));
        char msg[256];
        snprintf(msg, sizeof(msg), "%s needs an execution client: start the proxy with --upstream URL",
                 m ? m : "this method");
        return err_obj(E_METHOD, msg, 0, NULL);
    }
    char *body = json_dumps(req, JSON_COMPACT);
    aegis_http_response resp = { 0 };
    json_t *out = NULL;
    aegis_err err = body ? aegis_http_post_json(p->up_url, body, strlen(body), p->timeout_ms, &resp)
                         : AEGIS_ERR_NOMEM;
    free(body);
    if (err) {
        out = err_aegis(E_UNAVAIL, "upstream execution client unavailable", err, NULL);
    } else {
        json_t *r = json_loadb(resp.body, resp.len, 0, NULL);
        if (json_is_object(r) && (json_object_get(r, "result") || json_object_get(r, "error")))
            out = r;
        else {
            json_decref(r);
            out = err_obj(E_UNAVAIL, "upstream execution client answered something that is not JSON-RPC", 0, NULL);
        }
    }
    aegis_http_response_clear(&resp);
    return out;
}

/* A method's result from the upstream, or NULL (no upstream, error, null). */
static json_t *upstream_result(aegis_client_proxy *p, const char *method, json_t *params)
{
    if (!p->up_url)
        return NULL;
    json_t *req = json_pack("{s:s, s:i, s:s, s:O}", "jsonrpc", "2.0", "id", 1, "method", method, "params", params);
    json_t *r = req ? forward(p, req) : NULL;
    json_decref(req);
    json_t *res = json_incref(json_object_get(r, "result"));
    json_decref(r);
    if (json_is_null(res)) {
        json_decref(res);
        res = NULL;
    }
    return res;
}

/* The cached key set, fetched again when stale or when `refresh`. */
static json_t *get_keyset(aegis_client_proxy *p, bool refresh, aegis_client_keyset *out)
{
    pthread_mutex_lock(&p->mu);
    bool fresh = p->have_ks && !refresh && aegis_now_ns() - p->ks_at_ns < p->key_max_age_ns;
    if (fresh) {
        *out = p->ks;
        out->att.quote = NULL;   /* the copy is for envelope and receipt keys only */
        out->att.event_log = NULL;
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    pthread_mutex_unlock(&p->mu);
    json_t *res = NULL;
    aegis_client_rpc_err e;
    if (aegis_client_call(p->seq_url, "aegis_getEncryptionKey", NULL, p->timeout_ms, &res, &e) != 0)
        return err_obj(E_UNAVAIL, e.code ? e.message : "sequencer unavailable", e.aegis_code, e.name);
    aegis_client_keyset k;
    const char *why = NULL;
    aegis_err err = aegis_client_keyset_load(res, p->allow_sim, &k, &why);
    json_decref(res);
    if (err)
        return err_aegis(E_UNAVAIL, "the sequencer's key is not acceptable", err, why);
    pthread_mutex_lock(&p->mu);
    if (p->have_ks)
        aegis_client_keyset_clear(&p->ks);
    p->ks = k;
    p->have_ks = true;
    p->ks_at_ns = aegis_now_ns();
    *out = k;
    out->att.quote = NULL;
    out->att.event_log = NULL;
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- remembered transactions ---- */

static sent_tx *find_sent(aegis_client_proxy *p, const uint8_t hash[32])
{
    for (size_t i = 0; i < p->n_sent; i++)
        if (memcmp(p->sent[i].hash, hash, 32) == 0)
            return &p->sent[i];
    return NULL;
}

static void remember(aegis_client_proxy *p, const aegis_tx *tx, const aegis_client_receipt *r, json_t *txj)
{
    pthread_mutex_lock(&p->mu);
    sent_tx *s = find_sent(p, tx->hash);
    if (!s) {
        s = &p->sent[p->next_sent];
        p->next_sent = (p->next_sent + 1) % MAX_SENT;
        if (p->n_sent < MAX_SENT)
            p->n_sent++;
        json_decref(s->tx);
        json_decref(s->receipt);
    } else {
        json_decref(s->tx);
        json_decref(s->receipt);
    }
    memset(s, 0, sizeof(*s));
    memcpy(s->hash, tx->hash, 32);
    memcpy(s->env_hash, r->envelope_hash, 32);
    memcpy(s->sender, tx->sender, 20);
    s->nonce = tx->nonce;
    s->key_epoch = r->key_epoch;
    s->seq = r->seq;
    s->tx = txj;
    pthread_mutex_unlock(&p->mu);
}

/* [{address, storageKeys[]}] from the access list item the decoder checked
 * (canonical, addresses 20 bytes, keys 32); [] if it cannot be listed. */
static json_t *access_list_json(const aegis_tx *tx)
{
    json_t *out = json_array();
    aegis_rlp_item list, entry, parts[2], key;
    if (!out || !tx->access_list_rlp || aegis_rlp_decode(tx->access_list_rlp, tx->access_list_rlp_len, &list) ||
        !list.is_list)
        return out;
    aegis_rlp_iter it, kit;
    aegis_rlp_iter_init(&it, &list);
    while (aegis_rlp_iter_more(&it)) {
        if (aegis_rlp_iter_next(&it, &entry) || aegis_rlp_split(&entry, parts, 2) || parts[0].len != 20 ||
            !parts[1].is_list)
            break;
        json_t *keys = json_array();
        aegis_rlp_iter_init(&kit, &parts[1]);
        while (keys && aegis_rlp_iter_more(&kit) && aegis_rlp_iter_next(&kit, &key) == AEGIS_OK && key.len == 32)
            json_array_append_new(keys, jhex(key.payload, 32));
        json_array_append_new(out, json_pack("{s:o, s:o}", "address", jhex(parts[0].payload, 20), "storageKeys",
                                             keys ? keys : json_array()));
    }
    return out;
}

/* eth_getTransactionByHash shape of a decoded transaction. */
static json_t *tx_json(const aegis_tx *tx)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    json_object_set_new(j, "hash", jhex(tx->hash, 32));
    json_object_set_new(j, "type", jqty(tx->type));
    json_object_set_new(j, "from", jhex(tx->sender, 20));
    json_object_set_new(j, "to", tx->is_create ? json_null() : jhex(tx->to, 20));
    json_object_set_new(j, "nonce", jqty(tx->nonce));
    json_object_set_new(j, "gas", jqty(tx->gas_limit));
    json_object_set_new(j, "value", jqty256(&tx->value));
    json_object_set_new(j, "input", jhex(tx->data, tx->data_len));
    json_object_set_new(j, "gasPrice", jqty256(&tx->gas_price));
    if (tx->type == AEGIS_TX_TYPE_DYNAMIC_FEE) {
        json_object_set_new(j, "maxFeePerGas", jqty256(&tx->max_fee));
        json_object_set_new(j, "maxPriorityFeePerGas", jqty256(&tx->max_priority_fee));
    }
    if (tx->eip155)
        json_object_set_new(j, "chainId", jqty(tx->chain_id));
    if (tx->type != AEGIS_TX_TYPE_LEGACY) {
        json_object_set_new(j, "accessList", access_list_json(tx));
        json_object_set_new(j, "yParity", jqty(tx->y_parity));
    }
    json_object_set_new(j, "v", jqty256(&tx->v));
    uint8_t r[32], s[32];
    memcpy(r, tx->r, 32);
    memcpy(s, tx->s, 32);
    aegis_u256 ur, us;
    aegis_u256_from_be(&ur, r, 32);
    aegis_u256_from_be(&us, s, 32);
    json_object_set_new(j, "r", jqty256(&ur));
    json_object_set_new(j, "s", jqty256(&us));
    json_object_set_new(j, "blockHash", json_null());
    json_object_set_new(j, "blockNumber", json_null());
    json_object_set_new(j, "transactionIndex", json_null());
    return j;
}

/* ---- eth_sendRawTransaction ---- */

static json_t *send_raw(aegis_client_proxy *p, json_t *params, json_t **ret)
{
    const char *hex = json_string_value(json_array_get(params, 0));
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    char *env_hex = NULL;
    json_t *e = NULL, *res = NULL;
    aegis_client_keyset ks;
    memset(&ks, 0, sizeof(ks));
    if (!json_is_array(params) || json_array_size(params) != 1 || !hex ||
        aegis_hex_decode_alloc(hex, AEGIS_ENVELOPE_MAX_PLAINTEXT, &raw, &raw_len) != AEGIS_OK || raw_len == 0) {
        aegis_free(raw);   /* "0x" decodes to an empty allocation */
        return err_obj(E_PARAMS, "invalid raw transaction: params must be [\"0x<signed transaction>\"]", 0, NULL);
    }
    aegis_tx_config cfg;
    aegis_tx tx;
    const char *msg = NULL;
    aegis_tx_config_default(&cfg);
    cfg.chain_id = p->chain_id;
    cfg.max_bytes = AEGIS_ENVELOPE_MAX_PLAINTEXT;
    aegis_err err = aegis_tx_decode(&cfg, raw, raw_len, &tx, &msg);
    if (err == AEGIS_ERR_TX_CHAIN_ID) {
        char m[160];
        snprintf(m, sizeof(m), "invalid chain id: the sequencer's chain is %llu", (unsigned long long)p->chain_id);
        e = err_obj(E_SERVER, m, (int)err, aegis_err_name(err));
        goto out;
    }
    if (err) {
        e = err_aegis(E_PARAMS, "invalid raw transaction", err, msg);
        goto out;
    }
    for (int attempt = 0;; attempt++) {
        if ((e = get_keyset(p, attempt > 0, &ks)))
            goto out;
        aegis_free(env);
        aegis_free(env_hex);
        env = NULL;
        env_hex = NULL;
        err = aegis_client_seal(&ks, raw, raw_len, &env, &env_len);
        if (err) {
            e = err_aegis(E_UNAVAIL, "cannot encrypt to the sequencer's key", err, NULL);
            goto out;
        }
        json_t *pp = (env_hex = aegis_client_hex(env, env_len)) ? json_pack("[s]", env_hex) : NULL;
        aegis_client_rpc_err re;
        int rc = pp ? aegis_client_call(p->seq_url, "aegis_sendEncryptedTransaction", pp, p->timeout_ms, &res, &re) : -1;
        json_decref(pp);
        if (rc == 0)
            break;
        if (rc == 1 && attempt == 0 &&
            (strcmp(re.name, "AEGIS_ERR_ENV_UNKNOWN_EPOCH") == 0 || strcmp(re.name, "AEGIS_ERR_ENV_WRONG_RECIPIENT") == 0 ||
             strcmp(re.name, "AEGIS_ERR_RISK_EPOCH_EXPIRED") == 0))
            continue;   /* the key rotated under us: fetch it, seal again */
        if (rc == 1) {
            char m[400];
            snprintf(m, sizeof(m), "transaction rejected by the sequencer: %s", re.message);
            e = err_obj(E_REJECTED, m, re.aegis_code, re.name);
        } else {
            char m[400];
            snprintf(m, sizeof(m), "sequencer unavailable: %s", re.message);
            e = err_obj(E_UNAVAIL, m, 0, NULL);
        }
        goto out;
    }
    aegis_client_receipt rc;
    const char *why = NULL;
    err = aegis_client_receipt_parse(res, &rc, &why);
    if (!err && rc.key_epoch != ks.pub.epoch) {
        /* sealed to the previous epoch inside its grace window: the receipt
         * is signed by the current one, which we fetch (and then use) */
        json_t *ke = get_keyset(p, true, &ks);
        if (ke) {
            e = ke;
            goto out;
        }
    }
    if (!err)
        err = aegis_client_receipt_verify(&rc, &ks.pub, env, env_len, tx.hash, &why);
    if (err) {
        e = err_aegis(E_UNAVAIL, "the sequencer's receipt does not verify", err, why);
        goto out;
    }
    remember(p, &tx, &rc, tx_json(&tx));
    *ret = jhex(tx.hash, 32);
out:
    json_decref(res);
    aegis_free(env_hex);
    aegis_free(env);
    aegis_free(raw);
    return e;
}

/* ---- receipts from Aegis data ---- */

/* Fetch and verify batch st->batch and the inclusion; build the receipt. */
static json_t *aegis_receipt(aegis_client_proxy *p, const sent_tx *s, const aegis_client_txstatus *st, json_t **ret)
{
    json_t *params = json_pack("[o]", aegis_json_u64_new(st->batch)), *res = NULL, *e = NULL;
    aegis_client_rpc_err re;
    aegis_chain_batch b;
    aegis_client_keyset ks;
    memset(&b, 0, sizeof(b));
    memset(&ks, 0, sizeof(ks));
    const char *why = NULL;
    int rc = aegis_client_call(p->seq_url, "aegis_getBatch", params, p->timeout_ms, &res, &re);
    json_decref(params);
    if (rc != 0)
        return err_obj(E_UNAVAIL, re.message, re.aegis_code, re.name);
    aegis_err err = aegis_chain_batch_from_json(res, &b, &why);
    if (!err) {
        /* the key set of the batch's epoch, verified against its attestation */
        json_t *kp = json_pack("[o]", aegis_json_u64_new(b.h.key_epoch)), *kr = NULL;
        if (aegis_client_call(p->seq_url, "aegis_getKeySet", kp, p->timeout_ms, &kr, &re) != 0) {
            json_decref(kp);
            e = err_obj(E_UNAVAIL, re.message, re.aegis_code, re.name);
            goto out;
        }
        json_decref(kp);
        err = aegis_client_keyset_load(kr, p->allow_sim, &ks, &why);
        json_decref(kr);
    }
    aegis_chain_verify_opts opts = { .allow_sim = p->allow_sim };
    if (!err)
        err = aegis_chain_verify_batch(&b, &ks.pub, &ks.att, NULL, NULL, &opts, &why);
    if (!err)
        err = aegis_client_batch_check_extra(&b, &ks.pub, &why);
    if (!err)
        err = aegis_client_inclusion_verify(st, s->hash, &b, &why);
    if (err) {
        e = err_aegis(E_UNAVAIL, "the sequencer's batch does not prove the inclusion", err, why);
        goto out;
    }
    json_t *txj = json_object_get(s->tx, "to");
    json_t *r = json_object();
    json_object_set_new(r, "transactionHash", jhex(s->hash, 32));
    json_object_set_new(r, "transactionIndex", jqty(st->index));
    json_object_set_new(r, "blockHash", jhex(b.hash, 32));
    json_object_set_new(r, "blockNumber", jqty(b.h.number));
    json_object_set_new(r, "from", jhex(s->sender, 20));
    json_object_set_new(r, "to", json_incref(txj ? txj : json_null()));
    json_object_set_new(r, "cumulativeGasUsed", json_incref(json_object_get(s->tx, "gas")));
    json_object_set_new(r, "gasUsed", json_incref(json_object_get(s->tx, "gas")));
    json_object_set_new(r, "effectiveGasPrice", json_incref(json_object_get(s->tx, "gasPrice")));
    json_object_set_new(r, "contractAddress", json_null());
    json_object_set_new(r, "logs", json_array());
    char bloom[2 + 512 + 1];
    memset(bloom, '0', sizeof(bloom) - 1);
    bloom[1] = 'x';
    bloom[sizeof(bloom) - 1] = '\0';
    json_object_set_new(r, "logsBloom", json_string(bloom));
    json_object_set_new(r, "status", json_string("0x1"));
    json_object_set_new(r, "type", json_incref(json_object_get(s->tx, "type")));
    char num[24];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)b.h.number);
    json_object_set_new(r, "aegis", json_pack("{s:s, s:o, s:o, s:I, s:b}", "batch", num, "batchHash",
                                              jhex(b.hash, 32), "envelopeHash", jhex(s->env_hash, 32),
                                              "keyEpoch", (json_int_t)b.h.key_epoch, "verified", 1));
    *ret = r;
out:
    aegis_chain_batch_clear(&b);
    aegis_client_keyset_clear(&ks);
    json_decref(res);
    return e;
}

/* Our own transaction's state: *ret gets the receipt (or null while pending). */
static json_t *own_receipt(aegis_client_proxy *p, const uint8_t hash[32], json_t **ret)
{
    pthread_mutex_lock(&p->mu);
    sent_tx *s = find_sent(p, hash), copy;
    if (s && s->receipt) {
        *ret = json_incref(s->receipt);
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    if (s) {
        copy = *s;
        json_incref(copy.tx);
    }
    pthread_mutex_unlock(&p->mu);
    if (!s)
        return NULL;
    json_t *e = NULL, *res = NULL, *r = NULL;
    char *h = aegis_client_hex(hash, 32);
    json_t *params = json_pack("[s]", h);
    aegis_client_rpc_err re;
    int rc = aegis_client_call(p->seq_url, "aegis_getReceipt", params, p->timeout_ms, &res, &re);
    json_decref(params);
    aegis_free(h);
    aegis_client_txstatus st;
    const char *why = NULL;
    if (rc != 0) {
        e = err_obj(E_UNAVAIL, re.message, re.aegis_code, re.name);
    } else if (aegis_client_txstatus_parse(res, &st, &why) != AEGIS_OK) {
        e = err_obj(E_UNAVAIL, "the sequencer's status reply is malformed", 0, NULL);
    } else if (strcmp(st.status, "included") == 0) {
        e = aegis_receipt(p, &copy, &st, &r);
    }
    json_decref(res);
    json_decref(copy.tx);
    if (e)
        return e;
    if (r) {
        pthread_mutex_lock(&p->mu);
        if ((s = find_sent(p, hash)) && !s->receipt)
            s->receipt = json_incref(r);
        uint64_t bn = strtoull(json_string_value(json_object_get(r, "blockNumber")) + 2, NULL, 16);
        if (bn > p->max_block)
            p->max_block = bn;
        if (s) {
            /* the transaction object gets its block fields too */
            json_object_set(s->tx, "blockHash", json_object_get(r, "blockHash"));
            json_object_set(s->tx, "blockNumber", json_object_get(r, "blockNumber"));
            json_object_set(s->tx, "transactionIndex", json_object_get(r, "transactionIndex"));
        }
        pthread_mutex_unlock(&p->mu);
    }
    *ret = r ? r : json_null();
    return NULL;
}

static json_t *get_receipt(aegis_client_proxy *p, const json_t *req, json_t *params, json_t **ret)
{
    uint8_t h[32];
    const char *hex = json_string_value(json_array_get(params, 0));
    if (!hex || aegis_hex_decode_exact(hex, h, 32) != AEGIS_OK)
        return err_obj(E_PARAMS, "params must be [\"0x<32-byte transaction hash>\"]", 0, NULL);
    /* the execution client is the authority once it has executed it */
    json_t *up = upstream_result(p, "eth_getTransactionReceipt", params);
    if (up) {
        *ret = up;
        return NULL;
    }
    (void)req;
    *ret = NULL;
    json_t *e = own_receipt(p, h, ret);
    if (!e && !*ret)
        *ret = json_null();
    return e;
}

static json_t *get_tx(aegis_client_proxy *p, json_t *params, json_t **ret)
{
    uint8_t h[32];
    const char *hex = json_string_value(json_array_get(params, 0));
    if (!hex || aegis_hex_decode_exact(hex, h, 32) != AEGIS_OK)
        return err_obj(E_PARAMS, "params must be [\"0x<32-byte transaction hash>\"]", 0, NULL);
    json_t *up = upstream_result(p, "eth_getTransactionByHash", params);
    if (up) {
        *ret = up;
        return NULL;
    }
    json_t *r = NULL;
    json_t *e = own_receipt(p, h, &r);   /* fills the block fields when included */
    json_decref(r);
    if (e)
        json_decref(e);   /* still answer what we know */
    pthread_mutex_lock(&p->mu);
    sent_tx *s = find_sent(p, h);
    *ret = s ? json_deep_copy(s->tx) : json_null();
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static json_t *tx_count(aegis_client_proxy *p, json_t *params, json_t **ret)
{
    uint8_t a[20];
    const char *addr = json_string_value(json_array_get(params, 0));
    const char *tag = json_string_value(json_array_get(params, 1));
    if (!addr || aegis_hex_decode_exact(addr, a, 20) != AEGIS_OK)
        return err_obj(E_PARAMS, "params must be [\"0x<address>\", block]", 0, NULL);
    uint64_t n = 0;
    json_t *up = upstream_result(p, "eth_getTransactionCount", params);
    if (up && json_is_string(up))
        n = strtoull(json_string_value(up) + (strncmp(json_string_value(up), "0x", 2) == 0 ? 2 : 0), NULL, 16);
    json_decref(up);
    /* The upstream executes Aegis's batches later (if at all in a test
     * set-up): "pending" counts every transaction this proxy sent, "latest"
     * those a verified batch includes, so a wallet never reuses a nonce. */
    bool pending = !tag || strcmp(tag, "pending") == 0, latest = tag && strcmp(tag, "latest") == 0;
    if (pending || latest) {
        pthread_mutex_lock(&p->mu);
        for (size_t i = 0; i < p->n_sent; i++)
            if (memcmp(p->sent[i].sender, a, 20) == 0 && p->sent[i].nonce + 1 > n &&
                (pending || p->sent[i].receipt))
                n = p->sent[i].nonce + 1;
        pthread_mutex_unlock(&p->mu);
    }
    *ret = jqty(n);
    return NULL;
}

/* eth_blockNumber: the upstream's or the sequencer's last batch number,
 * and at least one more than the batch of any receipt this proxy built.
 * Wallets (ethers' wait(), viem's waitForTransactionReceipt) count
 * confirmations as blockNumber - receipt.blockNumber + 1 and look again only
 * when the number changes, while Aegis cuts a batch only when there is
 * something to cut: so the number moves on once one of our transactions is
 * included (checked here for the latest few still open), and a receipt
 * always has at least one confirmation. It never decreases. */
static json_t *block_number(aegis_client_proxy *p, json_t *params, json_t **ret)
{
    uint64_t n = 0;
    json_t *up = upstream_result(p, "eth_blockNumber", params);
    if (up && json_is_string(up))
        n = strtoull(json_string_value(up) + 2, NULL, 16);
    json_decref(up);
    json_t *st = NULL;
    if (aegis_client_call(p->seq_url, "aegis_status", NULL, p->timeout_ms, &st, NULL) == 0) {
        json_t *lb = json_object_get(st, "last_batch");
        if (json_is_integer(lb) && json_integer_value(lb) > 0 && (uint64_t)json_integer_value(lb) > n)
            n = (uint64_t)json_integer_value(lb);
    }
    json_decref(st);
    /* the most recent of our transactions still without a receipt */
    uint8_t open[8][32];
    size_t n_open = 0;
    pthread_mutex_lock(&p->mu);
    for (size_t k = 0; k < p->n_sent && n_open < 8; k++) {
        const sent_tx *s = &p->sent[(p->next_sent + MAX_SENT - 1 - k) % MAX_SENT];
        if (!s->receipt && s->tx)
            memcpy(open[n_open++], s->hash, 32);
    }
    pthread_mutex_unlock(&p->mu);
    for (size_t k = 0; k < n_open; k++) {
        json_t *r = NULL, *e = own_receipt(p, open[k], &r);   /* builds it once included */
        json_decref(r);
        json_decref(e);
    }
    pthread_mutex_lock(&p->mu);
    if (p->max_block && p->max_block + 1 > n)
        n = p->max_block + 1;
    pthread_mutex_unlock(&p->mu);
    *ret = jqty(n);
    return NULL;
}

/* ---- dispatch ---- */

static json_t *reply(const json_t *id, json_t *result, json_t *error)
{
    json_t *r = json_pack("{s:s, s:O}", "jsonrpc", "2.0", "id", id ? id : json_null());
    if (!r) {
        json_decref(result);
        json_decref(error);
        return NULL;
    }
    if (error)
        json_object_set_new(r, "error", error);
    else
        json_object_set_new(r, "result", result ? result : json_null());
    return r;
}

static json_t *handle_one(aegis_client_proxy *p, json_t *req)
{
    const json_t *id = json_object_get(req, "id");
    const char *m = json_string_value(json_object_get(req, "method"));
    json_t *params = json_object_get(req, "params");
    if (!json_is_object(req) || !m || (params && !json_is_array(params) && !json_is_object(params)) ||
        (id && !json_is_string(id) && !json_is_integer(id) && !json_is_null(id)))
        return reply(NULL, NULL, err_obj(E_REQUEST, "invalid JSON-RPC request", 0, NULL));
    json_t *empty = NULL;
    if (!params)
        params = empty = json_array();
    json_t *res = NULL, *e = NULL;
    char b[32];
    if (strcmp(m, "eth_chainId") == 0) {
        res = jqty(p->chain_id);
    } else if (strcmp(m, "net_version") == 0) {
        snprintf(b, sizeof(b), "%llu", (unsigned long long)p->chain_id);
        res = json_string(b);
    } else if (strcmp(m, "eth_sendRawTransaction") == 0) {
        e = send_raw(p, params, &res);
    } else if (strcmp(m, "eth_getTransactionReceipt") == 0) {
        e = get_receipt(p, req, params, &res);
    } else if (strcmp(m, "eth_getTransactionByHash") == 0) {
        e = get_tx(p, params, &res);
    } else if (strcmp(m, "eth_getTransactionCount") == 0) {
        e = tx_count(p, params, &res);
    } else if (strcmp(m, "eth_blockNumber") == 0) {
        e = block_number(p, params, &res);
    } else if (strncmp(m, "eth_", 4) == 0 || strncmp(m, "net_", 4) == 0 || strncmp(m, "web3_", 5) == 0) {
        json_decref(empty);
        json_t *f = forward(p, req);
        if (json_object_get(f, "jsonrpc"))
            return f;   /* the upstream's reply, verbatim */
        return reply(id, NULL, f);   /* forward() said why it could not */
    } else {
        char msg[160];
        snprintf(msg, sizeof(msg), "the method %.100s does not exist here (an Aegis wallet proxy)", m);
        e = err_obj(E_METHOD, msg, 0, NULL);
    }
    json_decref(empty);
    return reply(id, res, e);
}

char *aegis_client_proxy_handle(aegis_client_proxy *p, const char *body, size_t len)
{
    json_t *req = len <= MAX_BODY ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL, *out = NULL;
    if (!req) {
        out = reply(NULL, NULL, err_obj(E_PARSE, "parse error: the body is not JSON", 0, NULL));
    } else if (json_is_array(req)) {
        out = json_array();
        size_t i;
        json_t *r;
        if (json_array_size(req) == 0 || json_array_size(req) > 100) {
            json_decref(out);
            out = reply(NULL, NULL, err_obj(E_REQUEST, "a batch holds 1 to 100 requests", 0, NULL));
        } else {
            json_array_foreach(req, i, r)
                json_array_append_new(out, handle_one(p, r));
        }
    } else {
        out = handle_one(p, req);
    }
    json_decref(req);
    char *s = out ? json_dumps(out, JSON_COMPACT) : NULL;
    json_decref(out);
    if (!s)
        s = strdup("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"out of memory\"}}");
    return s;
}

/* ---- life ---- */

aegis_client_proxy *aegis_client_proxy_new(const aegis_client_proxy_opts *o, char *why, size_t why_len)
{
    aegis_client_proxy *p = aegis_calloc(1, sizeof(*p));
    if (!p) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    p->seq_url = strdup(o->sequencer);
    p->up_url = o->upstream ? strdup(o->upstream) : NULL;
    p->allow_sim = o->allow_sim;
    p->key_max_age_ns = (o->key_max_age_ms ? o->key_max_age_ms : 30000) * 1000000ull;
    p->timeout_ms = o->timeout_ms ? o->timeout_ms : 30000;
    p->chain_id = o->chain_id;
    p->sent = aegis_calloc(MAX_SENT, sizeof(*p->sent));
    if (!p->seq_url || (o->upstream && !p->up_url) || !p->sent) {
        snprintf(why, why_len, "out of memory");
        goto fail;
    }
    if (!p->chain_id) {
        json_t *res = NULL;
        aegis_client_rpc_err e;
        if (aegis_client_call(p->seq_url, "eth_chainId", NULL, p->timeout_ms, &res, &e) != 0) {
            snprintf(why, why_len, "sequencer %s: eth_chainId: %s", p->seq_url, e.message);
            goto fail;
        }
        const char *cs = json_string_value(res);
        char *end = NULL;
        int bad = !cs || strncmp(cs, "0x", 2) != 0;
        if (!bad)
            p->chain_id = strtoull(cs + 2, &end, 16), bad = !end || *end;
        json_decref(res);
        if (bad || !p->chain_id) {
            snprintf(why, why_len, "sequencer %s: eth_chainId is not a chain id", p->seq_url);
            goto fail;
        }
    }
    if (o->lazy) {
        if (!p->chain_id) {
            snprintf(why, why_len, "a lazy proxy needs the chain id");
            goto fail;
        }
        return p;
    }
    aegis_client_keyset k;
    json_t *e = get_keyset(p, true, &k);
    if (e) {
        snprintf(why, why_len, "sequencer %s: %s", p->seq_url, json_string_value(json_object_get(e, "message")));
        json_decref(e);
        goto fail;
    }
    return p;
fail:
    aegis_client_proxy_free(p);
    return NULL;
}

void aegis_client_proxy_free(aegis_client_proxy *p)
{
    if (!p)
        return;
    if (p->have_ks)
        aegis_client_keyset_clear(&p->ks);
    for (size_t i = 0; p->sent && i < MAX_SENT; i++) {
        json_decref(p->sent[i].tx);
        json_decref(p->sent[i].receipt);
    }
    aegis_free(p->sent);
    free(p->seq_url);
    free(p->up_url);
    pthread_mutex_destroy(&p->mu);
    aegis_free(p);
}
