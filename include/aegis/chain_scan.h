/*
 * aegis/chain_scan.h - the transactions of a batch read from a JSON-RPC
 * reply without building a JSON tree (src/chain/chain_scan.c), for a
 * client that follows every batch (aegis loadgen's inclusion follower).
 *
 * The scanner accepts only the plain form the node writes: one JSON
 * object, strings of printable ASCII without escapes, integers of at most
 * 18 digits, no reals, nesting at most 32 deep, "result" / "txs" / a tx's
 * "hash", "sender", "nonce" each at most once, every tx carrying the
 * three as "0x" + lowercase hex of the exact length and a non-negative
 * integer. Anything else is declined (AEGIS_ERR_UNSUPPORTED) and the
 * caller parses the reply with jansson as before, so the scanner never
 * decides differently: whatever it accepts, jansson reads to the same
 * values (fuzz/fuzz_batch_scan.c checks it).
 */
#ifndef AEGIS_CHAIN_SCAN_H
#define AEGIS_CHAIN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/util.h"

typedef struct aegis_chain_scan_tx {
    uint8_t hash[32];
    uint8_t sender[20];
    uint64_t nonce;
} aegis_chain_scan_tx;

enum { AEGIS_CHAIN_SCAN_NO_RESULT, AEGIS_CHAIN_SCAN_NULL, AEGIS_CHAIN_SCAN_BATCH };

typedef struct aegis_chain_scan {
    int result;                  /* AEGIS_CHAIN_SCAN_*: no "result" member, null, a batch object */
    bool has_error;              /* the reply has an "error" member */
    aegis_chain_scan_tx *txs;    /* the batch's "txs", in order (aegis_malloc'd) */
    size_t n_txs;
} aegis_chain_scan;

/* Scan a JSON-RPC reply text[0, len) whose result is a batch, null or
 * absent. AEGIS_ERR_UNSUPPORTED: declined (not the plain form: use
 * jansson); NOMEM; TOO_BIG for more than AEGIS_CHAIN_SCAN_MAX_TXS txs.
 * On success free *ret with aegis_chain_scan_clear. */
#define AEGIS_CHAIN_SCAN_MAX_TXS 100000
aegis_err aegis_chain_scan_reply(const char *text, size_t len, aegis_chain_scan *ret) AEGIS_WUR;
void aegis_chain_scan_clear(aegis_chain_scan *s);

#endif
