/*
 * crash_client.h - a small wallet-side client for the crash test: fetch the
 * sequencer's key set, build a signed EIP-1559 transaction, seal it into an
 * envelope and submit it over JSON-RPC. Independent of the aegis CLI on
 * purpose (the test must not depend on `aegis submit`).
 *
 * Header-only (static functions): the test is a single translation unit
 * plus harness.c. Every function is reentrant (no shared state), so the
 * submitter threads call them concurrently.
 */
#ifndef AEGIS_TEST_CRASH_CLIENT_H
#define AEGIS_TEST_CRASH_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aegis/chain.h"
#include "aegis/crypto.h"
#include "aegis/envelope.h"
#include "aegis/http.h"
#include "aegis/keys.h"
#include "aegis/tx.h"

/* Outcome of one JSON-RPC call. */
enum cc_outcome {
    CC_RESULT = 0,     /* *ret_result set (new reference) */
    CC_RPC_ERROR = 1,  /* JSON-RPC error object: code / message filled */
    CC_TRANSPORT = -1, /* no HTTP answer (connection refused, reset, timeout) */
};

struct cc_error {
    long long code;
    char message[160];
};

/* One JSON-RPC call with a raw params text. */
static enum cc_outcome cc_rpc(const char *url, const char *method, const char *params,
                              int timeout_ms, json_t **ret_result, struct cc_error *ret_err)
{
    char *body = NULL;
    int blen = asprintf(&body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method,
                        params ? params : "[]");
    if (blen < 0)
        return CC_TRANSPORT;
    aegis_http_response r = { 0 };
    aegis_err err = aegis_http_request(url, "POST", "application/json", body, (size_t)blen, timeout_ms, &r);
    free(body);
    if (err)
        return CC_TRANSPORT;
    json_t *j = r.len ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    int status = r.status;
    aegis_http_response_clear(&r);
    if (!j || status != 200) {
        if (ret_err) {
            ret_err->code = status;
            snprintf(ret_err->message, sizeof(ret_err->message), "HTTP %d without a JSON-RPC reply", status);
        }
        json_decref(j);
        return j || status ? CC_RPC_ERROR : CC_TRANSPORT;
    }
    json_t *res = json_object_get(j, "result");
    if (res) {
        *ret_result = json_incref(res);
        json_decref(j);
        return CC_RESULT;
    }
    if (ret_err) {
        json_t *e = json_object_get(j, "error");
        ret_err->code = json_integer_value(json_object_get(e, "code"));
        const char *m = json_string_value(json_object_get(e, "message"));
        const char *nm = json_string_value(json_object_get(json_object_get(e, "data"), "name"));
        snprintf(ret_err->message, sizeof(ret_err->message), "%s (%s)", m ? m : "?", nm ? nm : "-");
    }
    json_decref(j);
    return CC_RPC_ERROR;
}

/* The sequencer's published key set (aegis_getEncryptionKey). */
struct cc_key {
    aegis_keyset_pub pub;
    aegis_chain_attest att;   /* att.quote owned: cc_key_clear */
    aegis_envelope_pub rcpt;
    uint8_t keyset_hash[32];
};

static void cc_key_clear(struct cc_key *k)
{
    aegis_free(k->att.quote);
    memset(k, 0, sizeof(*k));
}

/* Fetch and parse the key set; 0 on success. */
static int cc_fetch_key(const char *url, struct cc_key *k)
{
    json_t *res = NULL;
    memset(k, 0, sizeof(*k));
    if (cc_rpc(url, "aegis_getEncryptionKey", "[]", 10000, &res, NULL) != CC_RESULT)
        return -1;
    const char *why = NULL;
    aegis_err err = aegis_chain_keyset_from_json(res, &k->pub, &k->att, &why);
    json_decref(res);
    if (err) {
        fprintf(stderr, "crash_client: key set: %s\n", why ? why : aegis_strerror(err));
        return -1;
    }
    aegis_keyset_pub_envelope(&k->rcpt, &k->pub);
    aegis_keyset_pub_hash(k->keyset_hash, &k->pub);
    return 0;
}

/* A funded-looking wallet: a random secp256k1 key and its next nonce. */
struct cc_sender {
    uint8_t sk[32];
    uint64_t next_nonce;
};

static int cc_sender_init(struct cc_sender *s)
{
    memset(s, 0, sizeof(*s));
    return aegis_random_bytes(s->sk, sizeof(s->sk)) == AEGIS_OK ? 0 : -1;
}

/* A signed EIP-1559 transfer from s at nonce, sealed to the key set.
 * *ret_env: aegis_malloc'd envelope; env_hash = SHA-256 of it (the daemon's
 * envelope hash), tx_hash = keccak-256 of the raw tx. 0 on success. */
static int cc_make_envelope(const struct cc_key *k, const struct cc_sender *s, uint64_t chain_id,
                            uint64_t nonce, uint8_t **ret_env, size_t *ret_len, uint8_t env_hash[32],
                            uint8_t tx_hash[32])
{
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.eip155 = true;
    p.chain_id = chain_id;
    p.nonce = nonce;
    p.gas_limit = 21000;
    aegis_u256_from_u64(&p.max_fee, 2000000000);
    aegis_u256_from_u64(&p.max_priority_fee, 1000000000);
    aegis_u256_from_u64(&p.value, 1 + nonce);
    memset(p.to, 0x42, sizeof(p.to));
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    if (aegis_tx_build(&p, s->sk, &raw, &raw_len) != AEGIS_OK)
        return -1;
    size_t cap = aegis_envelope_sealed_size(raw_len);
    env = aegis_malloc(cap);
    int rc = -1;
    if (env && aegis_envelope_seal(env, cap, &env_len, &k->rcpt, raw, raw_len) == AEGIS_OK) {
        aegis_keccak256(tx_hash, raw, raw_len);
        aegis_sha256(env_hash, env, env_len);
        *ret_env = env;
        *ret_len = env_len;
        env = NULL;
        rc = 0;
    }
    aegis_free(env);
    aegis_free(raw);
    return rc;
}

/* "0x" + hex of n bytes; caller frees with free(). */
static char *cc_hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 3);
    if (!s)
        return NULL;
    s[0] = '0';
    s[1] = 'x';
    aegis_hex_encode(s + 2, p, n);
    return s;
}

/* Submit an envelope; on CC_RESULT *ret_receipt is the signed receipt. */
static enum cc_outcome cc_submit(const char *url, const uint8_t *env, size_t len, json_t **ret_receipt,
                                 struct cc_error *ret_err)
{
    char *hex = cc_hex(env, len);
    if (!hex)
        return CC_TRANSPORT;
    size_t plen = strlen(hex) + 8;
    char *params = malloc(plen);
    enum cc_outcome o = CC_TRANSPORT;
    if (params) {
        snprintf(params, plen, "[\"%s\"]", hex);
        o = cc_rpc(url, "aegis_sendEncryptedTransaction", params, 10000, ret_receipt, ret_err);
    }
    free(params);
    free(hex);
    return o;
}

/* aegis_getReceipt for a 32-byte hash: the status text (static buffer owned
 * by the caller: st, 16 bytes) and, when included, the batch number and the
 * tx hash. Returns the call outcome. */
static enum cc_outcome cc_receipt(const char *url, const uint8_t hash[32], char st[16], uint64_t *ret_batch,
                                  uint8_t ret_tx_hash[32])
{
    char *hex = cc_hex(hash, 32);
    char params[96];
    snprintf(params, sizeof(params), "[\"%s\"]", hex ? hex : "");
    free(hex);
    json_t *res = NULL;
    struct cc_error e;
    enum cc_outcome o = cc_rpc(url, "aegis_getReceipt", params, 10000, &res, &e);
    st[0] = '\0';
    if (o != CC_RESULT)
        return o;
    const char *s = json_string_value(json_object_get(res, "status"));
    snprintf(st, 16, "%s", s ? s : "?");
    if (ret_batch)
        *ret_batch = (uint64_t)json_integer_value(json_object_get(res, "batch"));
    if (ret_tx_hash) {
        if (aegis_chain_get_hex(res, "tx_hash", ret_tx_hash, 32) != AEGIS_OK)
            memset(ret_tx_hash, 0, 32);
    }
    json_decref(res);
    return o;
}

#endif
