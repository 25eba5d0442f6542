/*
 * aegis/batch.h - the batch header (Solidity abi.encode layout), its hash,
 * and the keccak-256 Merkle tree used for the transaction root, inclusion
 * proofs in receipts, and SLH-DSA epoch seals over batch hashes.
 *
 * Header encoding: abi.encode of a static tuple of 17 fields, each one
 * 32-byte big-endian word, uintN left-padded with zeros, bytes32 as is:
 *
 *   word off  field               Solidity type  notes
 *    0     0  version             uint8          AEGIS_BATCH_VERSION (1)
 *    1    32  chainId             uint64
 *    2    64  number              uint64         first batch is 0
 *    3    96  parentHash          bytes32        zero for batch 0
 *    4   128  timestampMs         uint64         milliseconds since the epoch
 *    5   160  txCount             uint32
 *    6   192  txRoot              bytes32        Merkle root (below)
 *    7   224  strategyId          uint8          AEGIS_ORDER_* (order.h)
 *    8   256  policyHash          bytes32        keccak of the policy encoding
 *    9   288  riskScore           uint16         0..10000
 *   10   320  riskLevel           uint8          0 normal, 1 scheduled, 2 emergency
 *   11   352  algorithmSet        uint8          bit 1 ML-DSA-87, 2 SLH-DSA-256s, 4 ECDSA
 *   12   384  keyEpoch            uint64
 *   13   416  protectedCount      uint32         protected-asset summary: count
 *   14   448  protectedHash       bytes32        protected-asset summary: hash
 *   15   480  checkpointNumber    uint64         checkpoint reference: number
 *   16   512  checkpointHash      bytes32        checkpoint reference: hash
 *
 * 544 bytes; batch hash = keccak-256 of those bytes, so a contract computes
 * it as keccak256(abi.encode(...)) with the same field list.
 *
 * Merkle tree (docs/internals/batch.md): leaf = keccak256(0x00 || item),
 * inner node = keccak256(0x01 || left || right); an odd node at the end of
 * a level is promoted unchanged (never duplicated); the root of zero items
 * is 32 zero bytes. For transactions the items are the tx hashes in batch
 * order; for epoch seals, the batch hashes of the sealed window in order.
 *
 * Thread-safety: all functions are pure and thread-safe.
 */
#ifndef AEGIS_BATCH_H
#define AEGIS_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/util.h"

#define AEGIS_BATCH_VERSION         1
#define AEGIS_BATCH_HEADER_WORDS    17
#define AEGIS_BATCH_HEADER_BYTES    (32 * AEGIS_BATCH_HEADER_WORDS)
#define AEGIS_MERKLE_MAX_DEPTH      64

#define AEGIS_ALG_MLDSA87           0x01
#define AEGIS_ALG_SLHDSA256S        0x02
#define AEGIS_ALG_ECDSA             0x04
#define AEGIS_ALG_ALL               0x07

struct aegis_batch_header {
    uint8_t version;
    uint64_t chain_id;
    uint64_t number;
    uint8_t parent_hash[32];
    uint64_t timestamp_ms;
    uint32_t tx_count;
    uint8_t tx_root[32];
    uint8_t strategy_id;
    uint8_t policy_hash[32];
    uint16_t risk_score;
    uint8_t risk_level;
    uint8_t algorithm_set;
    uint64_t key_epoch;
    uint32_t protected_count;
    uint8_t protected_hash[32];
    uint64_t checkpoint_number;
    uint8_t checkpoint_hash[32];
};

/* Byte offset of field word i in the encoding (the table above). */
#define AEGIS_BATCH_OFF(word) ((size_t)(word) * 32)

/* Encode h. AEGIS_ERR_BATCH_BAD_FIELD if a field is out of its range
 * (version != 1, risk_score > 10000, risk_level > 2, algorithm_set 0 or
 * with unknown bits); out is untouched then. */
aegis_err aegis_batch_header_encode(const struct aegis_batch_header *h,
                                    uint8_t out[static AEGIS_BATCH_HEADER_BYTES]) AEGIS_WUR;

/* Strict decode: exactly AEGIS_BATCH_HEADER_BYTES (else
 * AEGIS_ERR_BATCH_BAD_ENCODING), zero padding in every uintN word (else
 * AEGIS_ERR_BATCH_NONCANONICAL), version (AEGIS_ERR_BATCH_BAD_VERSION) and
 * field ranges (AEGIS_ERR_BATCH_BAD_FIELD). *ret written only on success. */
aegis_err aegis_batch_header_decode(const uint8_t *in, size_t len, struct aegis_batch_header *ret) AEGIS_WUR;

/* keccak-256 of the encoding. Fails as encode does. */
aegis_err aegis_batch_header_hash(const struct aegis_batch_header *h, uint8_t out[static 32]) AEGIS_WUR;

/* ---------------- Merkle tree ---------------- */

/* Leaf and inner-node hashes (exposed for verifiers and tests). */
void aegis_batch_merkle_leaf(uint8_t out[static 32], const uint8_t item[static 32]);
void aegis_batch_merkle_node(uint8_t out[static 32], const uint8_t left[static 32],
                             const uint8_t right[static 32]);

/* Root over n 32-byte items. AEGIS_ERR_NOMEM (scratch of n/2+1 hashes). */
aegis_err aegis_batch_merkle_root(const uint8_t (*items)[32], size_t n, uint8_t root[static 32]) AEGIS_WUR;

/* Number of sibling hashes in the proof of item index of n (0 if n <= 1). */
size_t aegis_batch_merkle_proof_len(size_t index, size_t n);

/* Proof of items[index]: the siblings from leaf level up, into path[]
 * (cap entries), *ret_len = aegis_batch_merkle_proof_len(index, n).
 * AEGIS_ERR_INVAL (index >= n), AEGIS_ERR_TOO_BIG (cap too small),
 * AEGIS_ERR_NOMEM. */
aegis_err aegis_batch_merkle_proof(const uint8_t (*items)[32], size_t n, size_t index,
                                   uint8_t (*path)[32], size_t cap, size_t *ret_len) AEGIS_WUR;

/* Check that item is at index of an n-item tree with this root: AEGIS_OK or
 * AEGIS_ERR_BATCH_BAD_PROOF (wrong hash, index >= n, wrong path length). */
aegis_err aegis_batch_merkle_verify(const uint8_t item[static 32], size_t index, size_t n,
                                    const uint8_t (*path)[32], size_t path_len,
                                    const uint8_t root[static 32]) AEGIS_WUR;

/* The same tree with every level kept, for many proofs over one set:
 * O(n) to build, O(log n) per proof (merkle_tree.c). _new: AEGIS_ERR_INVAL
 * (n == 0), AEGIS_ERR_NOMEM. _proof fails as aegis_batch_merkle_proof. */
typedef struct aegis_batch_merkle_tree aegis_batch_merkle_tree;
aegis_err aegis_batch_merkle_tree_new(const uint8_t (*items)[32], size_t n,
                                      aegis_batch_merkle_tree **ret) AEGIS_WUR;
void aegis_batch_merkle_tree_root(const aegis_batch_merkle_tree *t, uint8_t root[static 32]);
aegis_err aegis_batch_merkle_tree_proof(const aegis_batch_merkle_tree *t, size_t index, uint8_t (*path)[32],
                                        size_t cap, size_t *ret_len) AEGIS_WUR;
void aegis_batch_merkle_tree_free(aegis_batch_merkle_tree *t);

/* ---------------- SLH-DSA epoch seal ---------------- */

/*
 * The message an epoch seal signs over batches first .. first+count-1 whose
 * batch hashes have Merkle root `root`: keccak256(abi.encode(bytes32
 * "AEGIS-EPOCH-SEAL-V1" right-padded, uint64 chainId, uint64 first,
 * uint64 count, bytes32 root)). Each sealed batch proves membership with
 * aegis_batch_merkle_proof over the window's batch hashes (index =
 * number - first).
 */
void aegis_batch_seal_digest(uint64_t chain_id, uint64_t first, uint64_t count,
                             const uint8_t root[static 32], uint8_t out[static 32]);

#endif
