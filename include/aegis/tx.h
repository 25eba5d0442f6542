/*
 * aegis/tx.h - Ethereum transactions, checked as a node checks them
 * (Cancun rules), plus the optional Aegis extension that may follow one.
 *
 * Supported: legacy (pre-EIP-155 v = 27/28 and EIP-155 v = 2*chainid+35/36),
 * EIP-2930 (type 1) and EIP-1559 (type 2). Every other EIP-2718 type byte is
 * AEGIS_ERR_TX_TYPE_UNSUPPORTED. The format, the checks, their order and
 * the extension are documented in docs/internals/tx.md.
 *
 * Decoded transactions borrow: pointers in aegis_tx (data, raw, access
 * list, extension fields) point into the caller's input buffer and are valid
 * as long as it is. Nothing is allocated by decoding.
 *
 * Thread-safety: all functions are reentrant; no shared state.
 */
#ifndef AEGIS_TX_H
#define AEGIS_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/error.h"
#include "aegis/util.h"

/* ---------------- 256-bit unsigned integers ---------------- */
/* w[0] is the least significant 64-bit limb. */
typedef struct aegis_u256 { uint64_t w[4]; } aegis_u256;

void aegis_u256_from_u64(aegis_u256 *r, uint64_t v);
/* Big-endian bytes (n <= 32) -> value; misuse when n > 32. */
void aegis_u256_from_be(aegis_u256 *r, const uint8_t *be, size_t n);
void aegis_u256_to_be(uint8_t out[static 32], const aegis_u256 *a);
int aegis_u256_cmp(const aegis_u256 *a, const aegis_u256 *b);   /* -1, 0, 1 */
bool aegis_u256_is_zero(const aegis_u256 *a);
/* r = a + b / a - b / a * b; return true on overflow (wrapped result in r).
 * r may alias a or b. */
bool aegis_u256_add(aegis_u256 *r, const aegis_u256 *a, const aegis_u256 *b);
bool aegis_u256_sub(aegis_u256 *r, const aegis_u256 *a, const aegis_u256 *b);
bool aegis_u256_mul(aegis_u256 *r, const aegis_u256 *a, const aegis_u256 *b);
/* Decimal text (at most 78 digits + NUL). */
void aegis_u256_to_dec(char out[static 80], const aegis_u256 *a);
/* Parse decimal or 0x-hex text; AEGIS_ERR_INVAL on junk, _TOO_BIG past 2^256-1. */
aegis_err aegis_u256_parse(aegis_u256 *r, const char *s) AEGIS_WUR;

/* ---------------- limits (Cancun) ---------------- */
#define AEGIS_TX_TYPE_LEGACY       0
#define AEGIS_TX_TYPE_ACCESS_LIST  1   /* EIP-2930 */
#define AEGIS_TX_TYPE_DYNAMIC_FEE  2   /* EIP-1559 */
#define AEGIS_TX_MAX_INITCODE      49152u          /* EIP-3860: 2 * 24576 */
#define AEGIS_TX_DEFAULT_MAX_BYTES (128u * 1024u)  /* geth txMaxSize */
#define AEGIS_TX_GAS_BASE          21000u
#define AEGIS_TX_GAS_CREATE        32000u
#define AEGIS_TX_GAS_ZERO_BYTE     4u
#define AEGIS_TX_GAS_NONZERO_BYTE  16u
#define AEGIS_TX_GAS_INITCODE_WORD 2u
#define AEGIS_TX_GAS_AL_ADDRESS    2400u
#define AEGIS_TX_GAS_AL_KEY        1900u

/* ---------------- assets touched (token calldata) ---------------- */
typedef enum aegis_tx_call {
    AEGIS_TX_CALL_NONE = 0,          /* no calldata, or creation */
    AEGIS_TX_CALL_OTHER,             /* calldata with an unrecognised selector */
    AEGIS_TX_CALL_ERC20_TRANSFER,    /* transfer(address,uint256)                a9059cbb */
    AEGIS_TX_CALL_TRANSFER_FROM,     /* transferFrom(address,address,uint256)    23b872dd
                                        (ERC-20 amount or ERC-721 token id: same selector) */
    AEGIS_TX_CALL_APPROVE,           /* approve(address,uint256)                 095ea7b3
                                        (ERC-20 amount or ERC-721 token id) */
    AEGIS_TX_CALL_ERC721_SAFE_TRANSFER,      /* safeTransferFrom(address,address,uint256[,bytes])
                                                42842e0e / b88d4fde */
    AEGIS_TX_CALL_ERC1155_SAFE_TRANSFER,     /* safeTransferFrom(address,address,uint256,uint256,bytes) f242432a */
    AEGIS_TX_CALL_ERC1155_BATCH_TRANSFER,    /* safeBatchTransferFrom(address,address,uint256[],uint256[],bytes) 2eb2c2d6 */
} aegis_tx_call;

#define AEGIS_TX_MAX_TOKEN_IDS 16

typedef struct aegis_tx_assets {
    bool has_contract;               /* `to` of a call (absent for creation) */
    uint8_t contract[20];
    aegis_tx_call call;
    uint32_t selector;               /* first 4 calldata bytes (when >= 4) */
    bool args_ok;                    /* arguments decoded under strict ABI rules */
    bool has_from;                   /* transferFrom-style calls */
    uint8_t from[20];
    bool has_to;                     /* recipient, or spender for approve */
    uint8_t to[20];
    /* ERC-20 transfer / approve / transferFrom: `amount` is the value.
     * approve and transferFrom share their selector with ERC-721, so the
     * same word is also ids[0] (with amounts[0] = 1). ERC-721 safe
     * transfers: ids[0], amounts[0] = 1. ERC-1155: ids[i] with amounts[i]. */
    bool has_amount;
    aegis_u256 amount;
    size_t n_ids;                    /* entries stored (<= AEGIS_TX_MAX_TOKEN_IDS) */
    size_t n_ids_total;              /* entries in the calldata */
    aegis_u256 ids[AEGIS_TX_MAX_TOKEN_IDS];
    aegis_u256 amounts[AEGIS_TX_MAX_TOKEN_IDS];
} aegis_tx_assets;

/* Decode the assets a call touches (never fails: unknown or malformed
 * calldata is reported through call / args_ok). */
void aegis_tx_assets_decode(aegis_tx_assets *ret, const uint8_t *to /* NULL: creation */,
                            const uint8_t *data, size_t data_len);

/* ---------------- Aegis extension ---------------- */
#define AEGIS_TX_EXT_MAGIC         "AGX1"
#define AEGIS_TX_EXT_MAGIC_LEN     4
#define AEGIS_TX_EXT_WITNESS       0x01
#define AEGIS_TX_EXT_INTENT        0x02
#define AEGIS_TX_INTENT_MIGRATION  0x01
#define AEGIS_TX_INTENT_MAX_ASSET  64
#define AEGIS_TX_WITNESS_CTX       "aegis-pqc-witness-v1"

typedef struct aegis_tx_ext {
    bool present;                    /* trailer found */
    const uint8_t *witness_sig;      /* ML-DSA-87 signature over the tx hash, or NULL */
    const uint8_t *witness_pk;       /* ML-DSA-87 public key (registration), or NULL */
    bool has_intent;
    uint8_t intent;                  /* AEGIS_TX_INTENT_* */
    const uint8_t *intent_asset;     /* asset id bytes (may be empty) */
    size_t intent_asset_len;
} aegis_tx_ext;

/* Parse an extension (starting at the magic) spanning exactly in[0..n).
 * Errors: AEGIS_ERR_TX_EXT_*. ret written only on success. */
aegis_err aegis_tx_ext_parse(const uint8_t *in, size_t n, aegis_tx_ext *ret) AEGIS_WUR;

/* ---------------- decoded transaction ---------------- */
typedef struct aegis_tx {
    uint8_t type;                    /* AEGIS_TX_TYPE_* */
    bool eip155;                     /* chain id bound (EIP-155 legacy or typed) */
    uint64_t chain_id;               /* 0 for pre-EIP-155 legacy */
    uint64_t nonce;
    uint64_t gas_limit;
    aegis_u256 gas_price;            /* legacy/2930; for 1559 = max_fee */
    aegis_u256 max_fee;              /* 1559; = gas_price otherwise */
    aegis_u256 max_priority_fee;     /* 1559; = gas_price otherwise */
    bool is_create;
    uint8_t to[20];                  /* zero when is_create */
    aegis_u256 value;
    const uint8_t *data;             /* calldata / initcode, borrowed */
    size_t data_len;
    size_t access_list_addresses;
    size_t access_list_keys;
    const uint8_t *access_list_rlp;  /* whole access-list item (typed only), borrowed */
    size_t access_list_rlp_len;
    aegis_u256 v;                    /* legacy v, or y-parity for typed */
    uint8_t y_parity;
    uint8_t r[32], s[32];
    uint8_t sender[20];
    uint8_t hash[32];                /* keccak-256 of raw */
    uint8_t signing_hash[32];
    uint64_t intrinsic_gas;
    aegis_u256 priority;             /* effective tip per gas, for ordering */
    const uint8_t *raw;              /* the transaction bytes (no extension), borrowed */
    size_t raw_len;
    aegis_tx_assets assets;
    aegis_tx_ext ext;                /* present = false unless decoded with extension */
} aegis_tx;

typedef struct aegis_tx_config {
    uint64_t chain_id;               /* required for EIP-155 legacy and typed txs */
    bool require_eip155;             /* reject pre-EIP-155 legacy (v = 27/28) */
    bool allow_extension;            /* aegis_tx_decode: accept an Aegis trailer */
    size_t max_bytes;                /* whole input; 0 = AEGIS_TX_DEFAULT_MAX_BYTES */
    aegis_u256 base_fee;             /* for the effective tip of 1559 txs; 0 = none */
} aegis_tx_config;

/* Defaults: chain id 1, unprotected legacy allowed (as geth's protocol
 * level and the upstream vectors), no extension, 128 KiB. */
void aegis_tx_config_default(aegis_tx_config *cfg);

/*
 * Decode and fully check one signed transaction in in[0..n): canonical RLP,
 * field shapes, numeric limits, intrinsic gas, chain id, signature, sender
 * recovery, hashes, assets. With cfg->allow_extension, an Aegis extension
 * may follow the transaction (tx->ext); otherwise trailing bytes are
 * AEGIS_ERR_RLP_TRAILING.
 * Errors: AEGIS_ERR_RLP_*, AEGIS_ERR_TX_*. *reterr_msg (optional) gets a
 * static description of the failing field. ret written only on success.
 */
aegis_err aegis_tx_decode(const aegis_tx_config *cfg, const uint8_t *in, size_t n,
                          aegis_tx *ret, const char **reterr_msg) AEGIS_WUR;

/* Intrinsic gas (Cancun) of a call or creation with this data and access
 * list size. Fits in 64 bits for any data_len a tx can have. */
uint64_t aegis_tx_intrinsic_gas(bool is_create, const uint8_t *data, size_t data_len,
                                size_t al_addresses, size_t al_keys);

/*
 * PQC witness. registered_pk: the sender's registered ML-DSA-87 key, or
 * NULL to check a registration (the witness must then carry its key and
 * verify under it). When both are given and the witness carries a key, it
 * must equal registered_pk (AEGIS_ERR_TX_WITNESS_KEY_MISMATCH).
 * Errors: AEGIS_ERR_TX_WITNESS_MISSING, AEGIS_ERR_TX_WITNESS_BAD.
 */
aegis_err aegis_tx_verify_witness(const aegis_tx *tx, const uint8_t *registered_pk) AEGIS_WUR;

/* ---------------- building (tests, `aegis tx new`, loadgen) ---------------- */
typedef struct aegis_tx_al_entry {
    uint8_t address[20];
    size_t n_keys;
    const uint8_t (*keys)[32];
} aegis_tx_al_entry;

typedef struct aegis_tx_params {
    uint8_t type;                    /* AEGIS_TX_TYPE_* */
    bool eip155;                     /* legacy only: bind chain_id */
    uint64_t chain_id;
    uint64_t nonce;
    uint64_t gas_limit;
    aegis_u256 gas_price;            /* legacy / 2930 */
    aegis_u256 max_fee;              /* 1559 */
    aegis_u256 max_priority_fee;     /* 1559 */
    bool is_create;
    uint8_t to[20];
    aegis_u256 value;
    const uint8_t *data;
    size_t data_len;
    const aegis_tx_al_entry *access_list;
    size_t access_list_len;
} aegis_tx_params;

/* Encode and sign a transaction with a secp256k1 key (low s). The caller
 * owns *ret (aegis_free). Errors: AEGIS_ERR_INVAL, _NOMEM, crypto errors. */
aegis_err aegis_tx_build(const aegis_tx_params *p, const uint8_t sk[static 32],
                         uint8_t **ret, size_t *ret_len) AEGIS_WUR;

/* Signing hash of params (what aegis_tx_build signs). */
aegis_err aegis_tx_params_signing_hash(const aegis_tx_params *p, uint8_t out[static 32]) AEGIS_WUR;

/* Append an extension to buf: a witness (sig, optional pk) and/or an
 * intent (intent 0 = none). */
aegis_err aegis_tx_ext_append(aegis_buf *buf, const uint8_t *witness_sig, const uint8_t *witness_pk,
                              uint8_t intent, const uint8_t *asset, size_t asset_len) AEGIS_WUR;

/* An Ethereum JSON-RPC QUANTITY ("0x" + hex digits, no leading zero but
 * "0x0", at most 64 bits) of len bytes: AEGIS_OK or AEGIS_ERR_INVAL. */
aegis_err aegis_eth_quantity_parse(const char *s, size_t len, uint64_t *ret) AEGIS_WUR;

#endif
