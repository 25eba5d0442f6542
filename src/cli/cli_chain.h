/*
 * cli_chain.h - client-side helpers shared by `aegis submit`, `loadgen`,
 * `verify` and `batch`: quiet JSON-RPC calls with structured errors, the
 * sequencer's key set (fetched, parsed, cross-checked, attestation-checked),
 * sealing an envelope to it, and signed receipts / inclusion proofs.
 *
 * Nothing here trusts the node: every key set is checked against its own
 * attestation (sim quotes only when the caller allows them), every receipt
 * against the key set's ML-DSA-87 key, every inclusion against a verified
 * batch header. Formats: include/aegis/chain.h, src/core/core_submit.c.
 *
 * Thread-safety: all functions are reentrant (loadgen calls them from
 * several threads); none keeps state between calls.
 */
#ifndef AEGIS_CLI_CHAIN_H
#define AEGIS_CLI_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aegis/chain.h"
#include "aegis/keys.h"

/* ---- JSON-RPC with structured errors ---- */

typedef struct aegis_cli_rpc_err {
    int code;            /* JSON-RPC error code; 0 when the call never got an answer */
    int aegis_code;      /* error.data.aegis_code, 0 when absent */
    char name[64];       /* error.data.name ("AEGIS_ERR_..."), "" when absent */
    char message[256];   /* error.message, or the transport failure */
} aegis_cli_rpc_err;

/* Call method with params (borrowed; NULL = []), waiting at most
 * timeout_ms. Returns 0 and *ret (new reference, may be JSON null) on a
 * result; 1 on a JSON-RPC error object; -1 on a transport or protocol
 * failure. *err (optional) is filled on 1 and -1. Prints nothing. */
int aegis_cli_call(const char *url, const char *method, json_t *params, int timeout_ms,
                   json_t **ret, aegis_cli_rpc_err *err);

/* "aegis: <method>: <message> (NAME, code N)" on stderr. */
void aegis_cli_print_rpc_err(const char *prog, const char *method, const aegis_cli_rpc_err *err);

/* ---- the published key set ---- */

typedef struct aegis_cli_keyset {
    aegis_keyset_pub pub;
    aegis_chain_attest att;  /* att.quote owned */
    uint8_t hash[32];        /* SHA-256 of the encoding: what the attestation binds */
} aegis_cli_keyset;

void aegis_cli_keyset_clear(aegis_cli_keyset *k);

/* Parse a key set JSON (aegis_chain_keyset_to_json format), check that every
 * redundant field (epoch, each public key, key_id, eth_address) matches the
 * encoding and that the attestation is in key-binding mode and binds
 * keyset_hash (sim quotes refused unless allow_sim). On failure *why gets
 * static text and the error is AEGIS_ERR_CHAIN_FORMAT / _ATTEST /
 * _SIM_REFUSED. *ret written only on success. */
aegis_err aegis_cli_keyset_load(const json_t *j, bool allow_sim, aegis_cli_keyset *ret,
                                const char **why) AEGIS_WUR;

/* Fetch (aegis_getEncryptionKey when epoch is 0, else aegis_getKeySet
 * [epoch]) and load. *ret_json (optional) gets the published JSON (new
 * reference). Returns 0, or 1 with a message printed to stderr. */
int aegis_cli_keyset_fetch(const char *prog, const char *url, uint64_t epoch, bool allow_sim,
                           aegis_cli_keyset *ret, json_t **ret_json);

/* Encrypt a transaction to the key set (aegis_envelope_seal to
 * aegis_keyset_pub_envelope). *ret: aegis_free. */
aegis_err aegis_cli_seal(const aegis_cli_keyset *k, const uint8_t *tx, size_t len, uint8_t **ret,
                         size_t *ret_len) AEGIS_WUR;

/* "0x" + hex of p as a new JSON string / as a malloc'd C string (aegis_free). */
char *aegis_cli_hex(const uint8_t *p, size_t n);

/* ---- signed receipts (aegis_sendEncryptedTransaction) ---- */

typedef struct aegis_cli_receipt {
    uint8_t envelope_hash[32], tx_hash[32], receipt_hash[32];
    uint8_t sender[20];
    uint64_t nonce, seq, envelope_id, key_epoch;
    uint8_t root[32];
    uint64_t index, count;
    uint8_t path[AEGIS_MERKLE_MAX_DEPTH][32];
    size_t path_len;
    uint8_t sig[AEGIS_MLDSA87_SIG_BYTES];
} aegis_cli_receipt;

aegis_err aegis_cli_receipt_parse(const json_t *j, aegis_cli_receipt *ret, const char **why) AEGIS_WUR;

/* Check a receipt: receipt_hash recomputed from its fields, its Merkle path
 * to the signed root, the ML-DSA-87 signature (ctx "aegis-receipt-v1") under
 * the key set, the key epoch, and that it names this envelope (SHA-256 of
 * env) and, when tx_hash is not NULL, this transaction. */
aegis_err aegis_cli_receipt_verify(const aegis_cli_receipt *r, const aegis_keyset_pub *pub,
                                   const uint8_t *env, size_t env_len, const uint8_t *tx_hash,
                                   const char **why) AEGIS_WUR;

/* ---- transaction status (aegis_getReceipt) ---- */

typedef struct aegis_cli_txstatus {
    char status[16];         /* pending | included | rejected | evicted | unknown */
    char reason[160];
    uint64_t batch, index;
    uint8_t tx_root[32];
    uint8_t proof[AEGIS_MERKLE_MAX_DEPTH][32];
    size_t proof_len;
} aegis_cli_txstatus;

aegis_err aegis_cli_txstatus_parse(const json_t *j, aegis_cli_txstatus *ret, const char **why) AEGIS_WUR;

/* An included status against its batch b (already verified by the caller
 * with aegis_chain_verify_batch): same number and tx_root, tx_hash at index,
 * and the Merkle proof from tx_hash to the header's tx_root. */
aegis_err aegis_cli_inclusion_verify(const aegis_cli_txstatus *st, const uint8_t tx_hash[static 32],
                                     const aegis_chain_batch *b, const char **why) AEGIS_WUR;

/* ---- batches ---- */

/* Checks on top of aegis_chain_verify_batch, for what it does not cover:
 * each tx's listed sender and nonce (decoded from its raw bytes for the
 * header's chain id), attestation flags (a sim quote must say insecure),
 * and the secp256k1 recovery id (ecrecover of the batch hash must give the
 * key set's address, as a contract would check it). */
aegis_err aegis_cli_batch_check_extra(const aegis_chain_batch *b, const aegis_keyset_pub *pub,
                                      const char **why) AEGIS_WUR;

/* Parse a uint64 (decimal or 0x-hex); -1 on error. */
int aegis_cli_parse_u64(const char *s, uint64_t *out);

#endif
