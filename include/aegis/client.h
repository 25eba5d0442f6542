/*
 * aegis/client.h - libaegis-client: what a wallet, an app or the `aegis` CLI
 * needs to talk to a sequencer: JSON-RPC calls with structured errors, the
 * sequencer's key set (fetched, parsed, cross-checked, attestation-checked),
 * sealing a transaction to it, submitting it, signed receipts, waiting for
 * inclusion and verifying the batch, and the encrypting wallet proxy.
 * Built as libaegis-client.so / .a with a pkg-config file (aegis-client);
 * docs/wallets.md shows a complete program.
 *
 * Nothing here trusts the node: every key set is checked against its own
 * attestation (sim quotes only when the caller allows them), every receipt
 * against the key set's ML-DSA-87 key, every inclusion against a verified
 * batch header. Formats: include/aegis/chain.h, src/core/core_submit.c.
 *
 * Thread-safety: all functions are reentrant (loadgen calls them from
 * several threads); none keeps state between calls.
 */
#ifndef AEGIS_CLIENT_H
#define AEGIS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aegis/chain.h"
#include "aegis/keys.h"

/* ---- JSON-RPC with structured errors ---- */

typedef struct aegis_client_rpc_err {
    int code;            /* JSON-RPC error code; 0 when the call never got an answer */
    int aegis_code;      /* error.data.aegis_code, 0 when absent */
    char name[64];       /* error.data.name ("AEGIS_ERR_..."), "" when absent */
    char message[256];   /* error.message, or the transport failure */
} aegis_client_rpc_err;

/* Call method with params (borrowed; NULL = []), waiting at most
 * timeout_ms. Returns 0 and *ret (new reference, may be JSON null) on a
 * result; 1 on a JSON-RPC error object; -1 on a transport or protocol
 * failure. *err (optional) is filled on 1 and -1. Prints nothing. */
int aegis_client_call(const char *url, const char *method, json_t *params, int timeout_ms,
                   json_t **ret, aegis_client_rpc_err *err);


/* ---- the published key set ---- */

typedef struct aegis_client_keyset {
    aegis_keyset_pub pub;
    aegis_chain_attest att;  /* att.quote owned */
    uint8_t hash[32];        /* SHA-256 of the encoding: what the attestation binds */
} aegis_client_keyset;

void aegis_client_keyset_clear(aegis_client_keyset *k);

/* Parse a key set JSON (aegis_chain_keyset_to_json format), check that every
 * redundant field (epoch, each public key, key_id, eth_address) matches the
 * encoding and that the attestation is in key-binding mode and binds
 * keyset_hash (sim quotes refused unless allow_sim). On failure *why gets
 * static text and the error is AEGIS_ERR_CHAIN_FORMAT / _ATTEST /
 * _SIM_REFUSED. *ret written only on success. */
aegis_err aegis_client_keyset_load(const json_t *j, bool allow_sim, aegis_client_keyset *ret,
                                const char **why) AEGIS_WUR;

/* Fetch (aegis_getEncryptionKey when epoch is 0, else aegis_getKeySet
 * [epoch]) and load (aegis_client_keyset_load). *ret_json (optional) gets
 * the published JSON (new reference). Errors: AEGIS_ERR_RPC_CONNECT (no
 * answer) or AEGIS_ERR_RPC_REMOTE (an error object; *rpc_err, optional,
 * says which), the load's errors, AEGIS_ERR_CHAIN_EPOCH (another epoch than
 * asked). timeout_ms 0 = 30 s. Prints nothing. */
aegis_err aegis_client_keyset_fetch(const char *url, uint64_t epoch, bool allow_sim, int timeout_ms,
                                    aegis_client_keyset *ret, json_t **ret_json, aegis_client_rpc_err *rpc_err,
                                    const char **why) AEGIS_WUR;

/* Encrypt a transaction to the key set (aegis_envelope_seal to
 * aegis_keyset_pub_envelope). *ret: aegis_free. */
aegis_err aegis_client_seal(const aegis_client_keyset *k, const uint8_t *tx, size_t len, uint8_t **ret,
                         size_t *ret_len) AEGIS_WUR;

/* "0x" + hex of p as a new JSON string / as a malloc'd C string (aegis_free). */
char *aegis_client_hex(const uint8_t *p, size_t n);

/* ---- signed receipts (aegis_sendEncryptedTransaction) ---- */

typedef struct aegis_client_receipt {
    uint8_t envelope_hash[32], tx_hash[32], receipt_hash[32];
    uint8_t sender[20];
    uint64_t nonce, seq, envelope_id, key_epoch;
    uint8_t root[32];
    uint64_t index, count;
    uint8_t path[AEGIS_MERKLE_MAX_DEPTH][32];
    size_t path_len;
    uint8_t sig[AEGIS_MLDSA87_SIG_BYTES];
} aegis_client_receipt;

aegis_err aegis_client_receipt_parse(const json_t *j, aegis_client_receipt *ret, const char **why) AEGIS_WUR;

/* Check a receipt: receipt_hash recomputed from its fields, its Merkle path
 * to the signed root, the ML-DSA-87 signature (ctx "aegis-receipt-v1") under
 * the key set, the key epoch, and that it names this envelope (SHA-256 of
 * env) and, when tx_hash is not NULL, this transaction. */
aegis_err aegis_client_receipt_verify(const aegis_client_receipt *r, const aegis_keyset_pub *pub,
                                   const uint8_t *env, size_t env_len, const uint8_t *tx_hash,
                                   const char **why) AEGIS_WUR;

/* ---- transaction status (aegis_getReceipt) ---- */

typedef struct aegis_client_txstatus {
    char status[16];         /* pending | included | rejected | evicted | unknown */
    char reason[160];
    uint64_t batch, index;
    uint8_t tx_root[32];
    uint8_t proof[AEGIS_MERKLE_MAX_DEPTH][32];
    size_t proof_len;
} aegis_client_txstatus;

aegis_err aegis_client_txstatus_parse(const json_t *j, aegis_client_txstatus *ret, const char **why) AEGIS_WUR;

/* An included status against its batch b (already verified by the caller
 * with aegis_chain_verify_batch): same number and tx_root, tx_hash at index,
 * and the Merkle proof from tx_hash to the header's tx_root. */
aegis_err aegis_client_inclusion_verify(const aegis_client_txstatus *st, const uint8_t tx_hash[static 32],
                                     const aegis_chain_batch *b, const char **why) AEGIS_WUR;

/* ---- batches ---- */

/* Checks on top of aegis_chain_verify_batch, for what it does not cover:
 * each tx's listed sender and nonce (decoded from its raw bytes for the
 * header's chain id), attestation flags (a sim quote must say insecure),
 * and the secp256k1 recovery id (ecrecover of the batch hash must give the
 * key set's address, as a contract would check it). */
aegis_err aegis_client_batch_check_extra(const aegis_chain_batch *b, const aegis_keyset_pub *pub,
                                      const char **why) AEGIS_WUR;

/* ---- the operations, whole ---- */

/* Seal tx to k, submit it (aegis_sendEncryptedTransaction), and verify the
 * signed receipt against k, this envelope and - when tx_hash is not NULL -
 * this transaction. *ret_receipt gets the verified receipt. Errors:
 * AEGIS_ERR_RPC_REMOTE (the node refused: *rpc_err has its code, name and
 * message), AEGIS_ERR_RPC_CONNECT, AEGIS_ERR_BAD_SIG / _CHAIN_FORMAT (a
 * receipt that does not verify), sealing errors. */
aegis_err aegis_client_submit(const char *url, const aegis_client_keyset *k, const uint8_t *tx, size_t len,
                              const uint8_t *tx_hash, int timeout_ms, aegis_client_receipt *ret_receipt,
                              aegis_client_rpc_err *rpc_err, const char **why) AEGIS_WUR;

/* Fetch batch `number` and verify it against the attested key set of its
 * epoch (cur when it is that epoch's, else fetched), with the extra checks
 * of aegis_client_batch_check_extra, then the inclusion described by st.
 * *ret_batch (optional) gets the verified batch (aegis_chain_batch_clear). */
aegis_err aegis_client_verify_inclusion(const char *url, const aegis_client_keyset *cur, bool allow_sim,
                                        const aegis_client_txstatus *st, const uint8_t tx_hash[static 32],
                                        aegis_chain_batch *ret_batch, const char **why) AEGIS_WUR;

/* Poll aegis_getReceipt for tx_hash until a batch includes it (then verify
 * as aegis_client_verify_inclusion; *ret_status gets the status) or
 * timeout_ms passes. Errors: AEGIS_ERR_CLIENT_TX_REJECTED / _TX_EVICTED
 * (*ret_status has the reason), AEGIS_ERR_CLIENT_WAIT_TIMEOUT, RPC and
 * verification errors. */
aegis_err aegis_client_wait_included(const char *url, const aegis_client_keyset *cur, bool allow_sim,
                                     const uint8_t tx_hash[static 32], uint64_t timeout_ms,
                                     aegis_client_txstatus *ret_status, aegis_chain_batch *ret_batch,
                                     const char **why) AEGIS_WUR;

/* ---- the encrypting wallet proxy (`aegis proxy`, docs/wallets.md) ----
 *
 * An Ethereum JSON-RPC endpoint that seals eth_sendRawTransaction to the
 * sequencer's attested key and forwards every other eth_* call to an
 * execution client. aegis_client_proxy_handle() takes one HTTP request body
 * (a JSON-RPC request or a batch) and returns the reply text; the HTTP
 * server is the caller's (the CLI uses libmicrohttpd). Thread-safe. */

typedef struct aegis_client_proxy aegis_client_proxy;

typedef struct aegis_client_proxy_opts {
    const char *sequencer;     /* aegisd JSON-RPC URL (required) */
    const char *upstream;      /* execution client URL, or NULL */
    bool allow_sim;            /* accept the INSECURE sim attestation */
    uint64_t key_max_age_ms;   /* refetch the key set after this long (0: 30 s) */
    int timeout_ms;            /* per outgoing call (0: 30 s) */
    uint64_t chain_id;         /* 0: ask the sequencer (eth_chainId) at start */
    bool lazy;                 /* contact the sequencer only when a call needs it
                                  (chain_id must be given; tests and fuzzers) */
} aegis_client_proxy_opts;

/* Create the proxy: checks that the sequencer answers and that its key set
 * verifies (attestation included). On failure returns NULL with *why set to
 * a message (static or in why_buf). */
aegis_client_proxy *aegis_client_proxy_new(const aegis_client_proxy_opts *opts, char *why_buf, size_t why_len);
void aegis_client_proxy_free(aegis_client_proxy *p);

/* Answer one HTTP body. Returns a malloc'd (free()) JSON text, or NULL when
 * nothing is to be sent back (notifications only). Never fails otherwise:
 * malformed input gets a JSON-RPC error. */
char *aegis_client_proxy_handle(aegis_client_proxy *p, const char *body, size_t len);

#endif
