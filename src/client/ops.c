/* ops.c - libaegis-client's whole operations: submit (seal, send, verify
 * the receipt), verify an inclusion against its batch, wait for inclusion. */
#include <string.h>
#include <time.h>

#include "aegis/client.h"
#include "aegis/tx.h"

aegis_err aegis_client_submit(const char *url, const aegis_client_keyset *k, const uint8_t *tx, size_t len,
                              const uint8_t *tx_hash, int timeout_ms, aegis_client_receipt *ret_receipt,
                              aegis_client_rpc_err *rpc_err, const char **why)
{
    uint8_t *env = NULL;
    size_t env_len = 0;
    char *hex = NULL;
    json_t *params = NULL, *res = NULL;
    aegis_client_receipt r;
    aegis_client_rpc_err e;
    aegis_err err = aegis_client_seal(k, tx, len, &env, &env_len);
    if (err) {
        *why = "cannot encrypt to the key set";
        goto out;
    }
    err = AEGIS_ERR_NOMEM;
    *why = "out of memory";
    if (!(hex = aegis_client_hex(env, env_len)) || !(params = json_pack("[s]", hex)))
        goto out;
    int rc = aegis_client_call(url, "aegis_sendEncryptedTransaction", params, timeout_ms ? timeout_ms : 30000,
                               &res, &e);
    if (rc != 0) {
        if (rpc_err)
            *rpc_err = e;
        err = rc == 1 ? AEGIS_ERR_RPC_REMOTE : AEGIS_ERR_RPC_CONNECT;
        *why = rc == 1 ? "the node refused the envelope" : "the node did not answer";
        goto out;
    }
    err = aegis_client_receipt_parse(res, &r, why);
    if (!err)
        err = aegis_client_receipt_verify(&r, &k->pub, env, env_len, tx_hash, why);
    if (!err)
        *ret_receipt = r;
out:
    json_decref(res);
    json_decref(params);
    aegis_free(hex);
    aegis_free(env);
    return err;
}

aegis_err aegis_client_verify_inclusion(const char *url, const aegis_client_keyset *cur, bool allow_sim,
                                        const aegis_client_txstatus *st, const uint8_t tx_hash[static 32],
                                        aegis_chain_batch *ret_batch, const char **why)
{
    json_t *params = json_pack("[o]", aegis_json_u64_new(st->batch)), *res = NULL;
    aegis_client_rpc_err e;
    aegis_chain_batch b;
    aegis_client_keyset other;
    memset(&b, 0, sizeof(b));
    memset(&other, 0, sizeof(other));
    if (!params)
        return AEGIS_ERR_NOMEM;
    int rc = aegis_client_call(url, "aegis_getBatch", params, 30000, &res, &e);
    json_decref(params);
    if (rc != 0) {
        *why = "aegis_getBatch failed";
        return rc == 1 ? AEGIS_ERR_RPC_REMOTE : AEGIS_ERR_RPC_CONNECT;
    }
    aegis_err err = aegis_chain_batch_from_json(res, &b, why);
    const aegis_client_keyset *ks = cur;
    if (!err && (!cur || b.h.key_epoch != cur->pub.epoch)) {
        err = aegis_client_keyset_fetch(url, b.h.key_epoch, allow_sim, 30000, &other, NULL, NULL, why);
        ks = &other;
    }
    aegis_chain_verify_opts opts = { .allow_sim = allow_sim };
    if (!err)
        err = aegis_chain_verify_batch(&b, &ks->pub, &ks->att, NULL, NULL, &opts, why);
    if (!err)
        err = aegis_client_batch_check_extra(&b, &ks->pub, why);
    if (!err)
        err = aegis_client_inclusion_verify(st, tx_hash, &b, why);
    if (!err && ret_batch) {
        *ret_batch = b;
        memset(&b, 0, sizeof(b));
    }
    aegis_chain_batch_clear(&b);
    aegis_client_keyset_clear(&other);
    json_decref(res);
    return err;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

aegis_err aegis_client_wait_included(const char *url, const aegis_client_keyset *cur, bool allow_sim,
                                     const uint8_t tx_hash[static 32], uint64_t timeout_ms,
                                     aegis_client_txstatus *ret_status, aegis_chain_batch *ret_batch,
                                     const char **why)
{
    char *h = aegis_client_hex(tx_hash, 32);
    if (!h)
        return AEGIS_ERR_NOMEM;
    uint64_t deadline = aegis_now_ns() + timeout_ms * 1000000ull;
    unsigned delay = 50;
    aegis_err err;
    for (;;) {
        json_t *params = json_pack("[s]", h), *res = NULL;
        aegis_client_rpc_err e;
        int rc = params ? aegis_client_call(url, "aegis_getReceipt", params, 30000, &res, &e) : -1;
        json_decref(params);
        if (rc != 0) {
            *why = "aegis_getReceipt failed";
            err = rc == 1 ? AEGIS_ERR_RPC_REMOTE : AEGIS_ERR_RPC_CONNECT;
            break;
        }
        aegis_client_txstatus st;
        err = aegis_client_txstatus_parse(res, &st, why);
        json_decref(res);
        if (err)
            break;
        if (strcmp(st.status, "included") == 0) {
            err = aegis_client_verify_inclusion(url, cur, allow_sim, &st, tx_hash, ret_batch, why);
            if (!err)
                *ret_status = st;
            break;
        }
        if (strcmp(st.status, "pending") != 0) {
            *ret_status = st;
            *why = st.status;
            err = strcmp(st.status, "rejected") == 0 ? AEGIS_ERR_CLIENT_TX_REJECTED : AEGIS_ERR_CLIENT_TX_EVICTED;
            break;
        }
        if (aegis_now_ns() > deadline) {
            *why = "still pending";
            err = AEGIS_ERR_CLIENT_WAIT_TIMEOUT;
            break;
        }
        sleep_ms(delay);
        delay = delay < 400 ? delay * 2 : 500;
    }
    aegis_free(h);
    return err;
}
