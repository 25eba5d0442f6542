/* client.c - libaegis-client: JSON-RPC with structured errors, key sets,
 * envelopes, receipts and inclusion proofs (see aegis/client.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/envelope.h"
#include "aegis/http.h"
#include "aegis/tx.h"
#include "aegis/client.h"

/* ---- JSON-RPC ---- */

static void set_err(aegis_client_rpc_err *e, int code, const char *msg)
{
    if (!e)
        return;
    memset(e, 0, sizeof(*e));
    e->code = code;
    snprintf(e->message, sizeof(e->message), "%s", msg);
}

int aegis_client_call(const char *url, const char *method, json_t *params, int timeout_ms,
                   json_t **ret, aegis_client_rpc_err *err)
{
    int rc = -1;
    char *body = NULL;
    json_t *reply = NULL;
    aegis_http_response resp = { 0 };
    json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method,
                            "params", params ? json_incref(params) : json_array());
    if (!req || !(body = json_dumps(req, JSON_COMPACT))) {
        set_err(err, 0, "out of memory");
        goto out;
    }
    aegis_err e = aegis_http_post_json(url, body, strlen(body), timeout_ms, &resp);
    if (e) {
        char m[256];
        snprintf(m, sizeof(m), "%s: %s (%s)", url, aegis_strerror(e), aegis_err_name(e));
        set_err(err, 0, m);
        goto out;
    }
    reply = json_loadb(resp.body, resp.len, 0, NULL);
    if (!json_is_object(reply)) {
        char m[128];
        snprintf(m, sizeof(m), "HTTP %d with a non-JSON-RPC body", resp.status);
        set_err(err, 0, m);
        goto out;
    }
    json_t *eo = json_object_get(reply, "error");
    if (eo) {
        json_t *data = json_object_get(eo, "data");
        const char *msg = json_string_value(json_object_get(eo, "message"));
        set_err(err, (int)json_integer_value(json_object_get(eo, "code")), msg ? msg : "error");
        if (err) {
            err->aegis_code = (int)json_integer_value(json_object_get(data, "aegis_code"));
            const char *name = json_string_value(json_object_get(data, "name"));
            snprintf(err->name, sizeof(err->name), "%s", name ? name : "");
        }
        rc = 1;
        goto out;
    }
    json_t *res = json_object_get(reply, "result");
    if (!res) {
        set_err(err, 0, "reply has neither result nor error");
        goto out;
    }
    *ret = json_incref(res);
    rc = 0;
out:
    json_decref(reply);
    aegis_http_response_clear(&resp);
    free(body);
    json_decref(req);
    return rc;
}

char *aegis_client_hex(const uint8_t *p, size_t n)
{
    char *s = aegis_malloc(2 * n + 3);
    if (!s)
        return NULL;
    s[0] = '0';
    s[1] = 'x';
    aegis_hex_encode(s + 2, p, n);
    return s;
}

static aegis_err get_u64(const json_t *o, const char *key, uint64_t *out)
{
    /* integers up to 2^53 - 1, decimal strings above (aegis/json.h) */
    return aegis_json_u64(json_object_get(o, key), UINT64_MAX, out) ? AEGIS_OK : AEGIS_ERR_CHAIN_FORMAT;
}

static aegis_err get_path(const json_t *arr, uint8_t (*path)[32], size_t *len)
{
    if (!json_is_array(arr) || json_array_size(arr) > AEGIS_MERKLE_MAX_DEPTH)
        return AEGIS_ERR_CHAIN_FORMAT;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s || strncmp(s, "0x", 2) != 0 || aegis_hex_decode_exact(s, path[i], 32))
            return AEGIS_ERR_CHAIN_FORMAT;
    }
    *len = json_array_size(arr);
    return AEGIS_OK;
}

/* ---- key sets ---- */

void aegis_client_keyset_clear(aegis_client_keyset *k)
{
    aegis_chain_attest_clear(&k->att);   /* quote and event log */
    memset(k, 0, sizeof(*k));
}

/* A redundant hex field must equal the decoded value byte for byte. */
static bool same_hex(const json_t *o, const char *key, const uint8_t *want, size_t n)
{
    uint8_t *got = NULL;
    size_t len = 0;
    if (aegis_chain_get_hex_alloc(o, key, n + 1, &got, &len) != AEGIS_OK)
        return false;
    bool ok = len == n && aegis_ct_eq(got, want, n);
    aegis_free(got);
    return ok;
}

aegis_err aegis_client_keyset_load(const json_t *j, bool allow_sim, aegis_client_keyset *ret, const char **why)
{
    aegis_client_keyset k;
    memset(&k, 0, sizeof(k));
    aegis_err err = aegis_chain_keyset_from_json(j, &k.pub, &k.att, why);
    if (err)
        return err;
    aegis_keyset_pub_hash(k.hash, &k.pub);
    uint8_t key_id[32], addr[20];
    aegis_envelope_key_id(key_id, k.pub.mlkem_ek, k.pub.x25519);
    aegis_eth_address(addr, k.pub.secp256k1);
    const json_t *sg = json_object_get(j, "signing");
    uint64_t epoch = 0;
    err = AEGIS_ERR_CHAIN_FORMAT;
    *why = "key set fields disagree with its encoding (epoch, keys, key_id or eth_address)";
    if (get_u64(j, "epoch", &epoch) || epoch != k.pub.epoch ||
        !same_hex(j, "ml-kem-1024", k.pub.mlkem_ek, sizeof(k.pub.mlkem_ek)) ||
        !same_hex(j, "x25519", k.pub.x25519, sizeof(k.pub.x25519)) ||
        !same_hex(j, "key_id", key_id, 32) ||
        !same_hex(sg, "ml-dsa-87", k.pub.mldsa87, sizeof(k.pub.mldsa87)) ||
        !same_hex(sg, "slh-dsa-sha2-256s", k.pub.slhdsa, sizeof(k.pub.slhdsa)) ||
        !same_hex(sg, "secp256k1", k.pub.secp256k1, sizeof(k.pub.secp256k1)) ||
        !same_hex(sg, "eth_address", addr, 20))
        goto fail;
    /* The attestation must bind exactly this key set. */
    err = AEGIS_ERR_CHAIN_ATTEST;
    if (!k.att.backend[0]) {
        *why = "key set carries no attestation";
        goto fail;
    }
    if (strcmp(k.att.mode, "key-binding") != 0) {
        *why = "key set attestation is not in key-binding mode";
        goto fail;
    }
    if (strcmp(k.att.backend, "sim") == 0 && !k.att.insecure) {
        *why = "sim attestation does not declare itself insecure";
        goto fail;
    }
    uint8_t rd[64];
    aegis_chain_report_data(rd, AEGIS_CHAIN_TAG_KEYSET, k.hash);
    aegis_chain_verify_opts opts = { .allow_sim = allow_sim };
    err = aegis_chain_verify_attest(&k.att, rd, &opts, why);
    if (err)
        goto fail;
    *ret = k;
    return AEGIS_OK;
fail:
    aegis_client_keyset_clear(&k);
    return err;
}

aegis_err aegis_client_keyset_fetch(const char *url, uint64_t epoch, bool allow_sim, int timeout_ms,
                                    aegis_client_keyset *ret, json_t **ret_json, aegis_client_rpc_err *rpc_err,
                                    const char **why)
{
    json_t *res = NULL, *params = NULL;
    aegis_client_rpc_err e;
    const char *method = epoch ? "aegis_getKeySet" : "aegis_getEncryptionKey";
    if (epoch && !(params = json_pack("[o]", aegis_json_u64_new(epoch))))
        return AEGIS_ERR_NOMEM;
    int rc = aegis_client_call(url, method, params, timeout_ms ? timeout_ms : 30000, &res, &e);
    json_decref(params);
    if (rc != 0) {
        if (rpc_err)
            *rpc_err = e;
        *why = rc == 1 ? "the node answered the key request with an error" : "the node did not answer";
        return rc == 1 ? AEGIS_ERR_RPC_REMOTE : AEGIS_ERR_RPC_CONNECT;
    }
    aegis_client_keyset k;
    aegis_err err = aegis_client_keyset_load(res, allow_sim, &k, why);
    if (!err && epoch && k.pub.epoch != epoch) {
        aegis_client_keyset_clear(&k);
        *why = "the node answered with the key set of another epoch";
        err = AEGIS_ERR_CHAIN_EPOCH;
    }
    if (err) {
        json_decref(res);
        return err;
    }
    *ret = k;
    if (ret_json)
        *ret_json = res;
    else
        json_decref(res);
    return AEGIS_OK;
}

aegis_err aegis_client_seal(const aegis_client_keyset *k, const uint8_t *tx, size_t len, uint8_t **ret,
                         size_t *ret_len)
{
    aegis_envelope_pub rcpt;
    aegis_keyset_pub_envelope(&rcpt, &k->pub);
    size_t cap = aegis_envelope_sealed_size(len);
    uint8_t *env = aegis_malloc(cap);
    if (!env)
        return AEGIS_ERR_NOMEM;
    size_t n = 0;
    aegis_err err = aegis_envelope_seal(env, cap, &n, &rcpt, tx, len);
    if (err) {
        aegis_free(env);
        return err;
    }
    *ret = env;
    *ret_len = n;
    return AEGIS_OK;
}

/* ---- receipts ---- */

aegis_err aegis_client_receipt_parse(const json_t *j, aegis_client_receipt *ret, const char **why)
{
    aegis_client_receipt r;
    memset(&r, 0, sizeof(r));
    const json_t *sg = json_object_get(j, "signature");
    *why = "receipt fields";
    if (aegis_chain_get_hex(j, "envelope_hash", r.envelope_hash, 32) ||
        aegis_chain_get_hex(j, "tx_hash", r.tx_hash, 32) ||
        aegis_chain_get_hex(j, "receipt_hash", r.receipt_hash, 32) ||
        aegis_chain_get_hex(j, "sender", r.sender, 20) || get_u64(j, "nonce", &r.nonce) ||
        get_u64(j, "seq", &r.seq) || get_u64(j, "envelope_id", &r.envelope_id) ||
        get_u64(j, "key_epoch", &r.key_epoch) || aegis_chain_get_hex(sg, "root", r.root, 32) ||
        get_u64(sg, "index", &r.index) || get_u64(sg, "count", &r.count) ||
        get_path(json_object_get(sg, "path"), r.path, &r.path_len) ||
        aegis_chain_get_hex(sg, "ml-dsa-87", r.sig, sizeof(r.sig)))
        return AEGIS_ERR_CHAIN_FORMAT;
    *ret = r;
    return AEGIS_OK;
}

aegis_err aegis_client_receipt_verify(const aegis_client_receipt *r, const aegis_keyset_pub *pub,
                                   const uint8_t *env, size_t env_len, const uint8_t *tx_hash,
                                   const char **why)
{
    uint8_t h[32];
    aegis_chain_receipt_hash(h, r->envelope_hash, r->tx_hash, r->seq, r->envelope_id, r->key_epoch);
    if (!aegis_ct_eq(h, r->receipt_hash, 32)) {
        *why = "receipt_hash is not the hash of the receipt fields";
        return AEGIS_ERR_BAD_SIG;
    }
    if (aegis_batch_merkle_verify(r->receipt_hash, r->index, r->count, (const uint8_t (*)[32])r->path,
                                  r->path_len, r->root) != AEGIS_OK) {
        *why = "receipt is not under the signed root (Merkle path)";
        return AEGIS_ERR_BAD_SIG;
    }
    if (aegis_mldsa87_verify(r->sig, sizeof(r->sig), r->root, 32, (const uint8_t *)AEGIS_CHAIN_RECEIPT_CTX,
                             strlen(AEGIS_CHAIN_RECEIPT_CTX), pub->mldsa87) != AEGIS_OK) {
        *why = "ML-DSA-87 receipt signature does not verify under the key set";
        return AEGIS_ERR_BAD_SIG;
    }
    if (r->key_epoch != pub->epoch) {
        *why = "receipt key epoch differs from the key set's";
        return AEGIS_ERR_BAD_SIG;
    }
    if (env) {
        aegis_sha256(h, env, env_len);   /* the envelope hash (aegis_core_envelope_hash) */
        if (!aegis_ct_eq(h, r->envelope_hash, 32)) {
            *why = "receipt names another envelope";
            return AEGIS_ERR_BAD_SIG;
        }
    }
    if (tx_hash && !aegis_ct_eq(tx_hash, r->tx_hash, 32)) {
        *why = "receipt names another transaction";
        return AEGIS_ERR_BAD_SIG;
    }
    return AEGIS_OK;
}

/* ---- status and inclusion ---- */

aegis_err aegis_client_txstatus_parse(const json_t *j, aegis_client_txstatus *ret, const char **why)
{
    aegis_client_txstatus s;
    memset(&s, 0, sizeof(s));
    const char *st = json_string_value(json_object_get(j, "status"));
    *why = "receipt status fields";
    if (!st || strlen(st) >= sizeof(s.status))
        return AEGIS_ERR_CHAIN_FORMAT;
    snprintf(s.status, sizeof(s.status), "%s", st);
    const char *reason = json_string_value(json_object_get(j, "reason"));
    snprintf(s.reason, sizeof(s.reason), "%s", reason ? reason : "");
    if (strcmp(st, "included") == 0) {
        if (get_u64(j, "batch", &s.batch) || get_u64(j, "index", &s.index) ||
            aegis_chain_get_hex(j, "tx_root", s.tx_root, 32) ||
            get_path(json_object_get(j, "proof"), s.proof, &s.proof_len))
            return AEGIS_ERR_CHAIN_FORMAT;
    }
    *ret = s;
    return AEGIS_OK;
}

aegis_err aegis_client_inclusion_verify(const aegis_client_txstatus *st, const uint8_t tx_hash[static 32],
                                     const aegis_chain_batch *b, const char **why)
{
    if (strcmp(st->status, "included") != 0) {
        *why = "not included";
        return AEGIS_ERR_NOT_FOUND;
    }
    if (st->batch != b->h.number || !aegis_ct_eq(st->tx_root, b->h.tx_root, 32)) {
        *why = "receipt's batch number or tx_root differs from the signed batch header";
        return AEGIS_ERR_CHAIN_TX_ROOT;
    }
    if (st->index >= b->n_txs || !aegis_ct_eq(b->txs[st->index].hash, tx_hash, 32)) {
        *why = "the batch does not hold this transaction at the receipt's index";
        return AEGIS_ERR_CHAIN_TX_ROOT;
    }
    if (aegis_batch_merkle_verify(tx_hash, st->index, b->h.tx_count, (const uint8_t (*)[32])st->proof,
                                  st->proof_len, b->h.tx_root) != AEGIS_OK) {
        *why = "inclusion Merkle proof does not lead to the batch's tx_root";
        return AEGIS_ERR_CHAIN_TX_ROOT;
    }
    return AEGIS_OK;
}

/* ---- batches ---- */

aegis_err aegis_client_batch_check_extra(const aegis_chain_batch *b, const aegis_keyset_pub *pub,
                                      const char **why)
{
    aegis_tx_config cfg;
    aegis_tx_config_default(&cfg);
    cfg.chain_id = b->h.chain_id;
    cfg.allow_extension = true;
    for (size_t i = 0; i < b->n_txs; i++) {
        aegis_tx tx;
        const char *msg = NULL;
        if (aegis_tx_decode(&cfg, b->txs[i].raw, b->txs[i].raw_len, &tx, &msg) != AEGIS_OK) {
            *why = "a transaction in the batch does not decode as a valid transaction for this chain";
            return AEGIS_ERR_CHAIN_TX_ROOT;
        }
        if (memcmp(tx.sender, b->txs[i].sender, 20) != 0 || tx.nonce != b->txs[i].nonce) {
            *why = "a transaction's listed sender or nonce differs from its signed bytes";
            return AEGIS_ERR_CHAIN_TX_ROOT;
        }
    }
    const aegis_chain_attest *atts[2] = { &b->primary, &b->backup };
    for (int i = 0; i < 2; i++) {
        if (strcmp(atts[i]->backend, "sim") == 0 && !atts[i]->insecure) {
            *why = "sim attestation does not declare itself insecure";
            return AEGIS_ERR_CHAIN_ATTEST;
        }
    }
    if (b->has_ecdsa) {
        /* aegis_chain_verify_batch checks r, s against the key; the recovery
         * id is what ecrecover uses, so it must name the same key. */
        uint8_t pk[65];
        if (aegis_secp256k1_recover(pk, b->sig_ecdsa, b->sig_ecdsa[64], b->hash, true) != AEGIS_OK ||
            !aegis_ct_eq(pk, pub->secp256k1, 65)) {
            *why = "secp256k1 recovery id does not recover the key set's address (ecrecover would fail)";
            return AEGIS_ERR_CHAIN_SIG_ECDSA;
        }
    }
    return AEGIS_OK;
}
