/*
 * cli_l1.h - the CLI's L1 client: eth_call views and EIP-1559 transactions
 * to a contract, built and signed here (aegis_tx_build: our RLP and
 * secp256k1), sent over JSON-RPC with the CLI's HTTP helpers, receipt awaited.
 * Used by `aegis chain publish` and `aegis risk watch`. Errors are printed to
 * stderr as "<prog>: ..." lines; functions return 0 or -1.
 */
#ifndef AEGIS_CLI_L1_H
#define AEGIS_CLI_L1_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AEGIS_CLI_L1_TX_GAS_CAP 16777216u   /* EIP-7825 */

typedef struct aegis_cli_l1 {
    const char *prog;       /* prefix of messages */
    const char *url;
    char from[43];          /* 0x address of the paying key */
    uint8_t sk[32];         /* secp256k1 secret: wipe with aegis_cli_l1_close */
    uint64_t chain_id;
} aegis_cli_l1;

/* Load the secp256k1 key file, derive the address, ask eth_chainId. */
int aegis_cli_l1_open(aegis_cli_l1 *l, const char *prog, const char *url, const char *keyfile);
void aegis_cli_l1_close(aegis_cli_l1 *l);

/* "0x" + 40 hex into 20 bytes; -1 if not. */
int aegis_cli_l1_address(const char *s, uint8_t out[20]);

/* One ABI argument: a static word, dynamic bytes, an empty bytes[], or a
 * bytes32[] (p: n words of 32 bytes). */
enum { AEGIS_ABI_WORD = 0, AEGIS_ABI_BYTES = 1, AEGIS_ABI_EMPTY_ARRAY = 2, AEGIS_ABI_WORDS = 3 };
struct aegis_cli_abi_arg {
    int kind;
    uint8_t word[32];       /* AEGIS_ABI_WORD */
    const uint8_t *p;       /* AEGIS_ABI_BYTES, AEGIS_ABI_WORDS */
    size_t n;               /* bytes, or words */
};
/* selector(sig) || head || tail; aegis_free the result. */
uint8_t *aegis_cli_abi_encode(const char *sig, const struct aegis_cli_abi_arg *args, size_t nargs, size_t *ret_len);
void aegis_cli_abi_u64(struct aegis_cli_abi_arg *a, uint64_t v);
void aegis_cli_abi_bytes(struct aegis_cli_abi_arg *a, const uint8_t *p, size_t n);
void aegis_cli_abi_word(struct aegis_cli_abi_arg *a, const uint8_t w[32]);
void aegis_cli_abi_empty_array(struct aegis_cli_abi_arg *a);
void aegis_cli_abi_words(struct aegis_cli_abi_arg *a, const uint8_t *words, size_t n);

/* eth_call to `to` (0x address); the returned bytes (aegis_free). */
int aegis_cli_l1_call(const aegis_cli_l1 *l, const char *to, const uint8_t *data, size_t n, uint8_t **ret,
                      size_t *ret_len);
/* eth_call that may revert: 0 (it would succeed), 1 (it reverts; quiet), -1
 * (no answer, printed). */
int aegis_cli_l1_try(const aegis_cli_l1 *l, const char *to, const uint8_t *data, size_t n);
/* A view with calldata returning at least nwords words (copied to out). */
int aegis_cli_l1_view(const aegis_cli_l1 *l, const char *to, const uint8_t *data, size_t n, uint8_t *out,
                      size_t nwords);
/* A no-argument view by its signature ("head()"). */
int aegis_cli_l1_view0(const aegis_cli_l1 *l, const char *to, const char *sig, uint8_t *out, size_t nwords);
/* The low 64 bits of a word. */
uint64_t aegis_cli_l1_word_u64(const uint8_t w[32]);

/* Sign and send calldata to `to`, wait for the receipt (two minutes at most).
 * gas limit = eth_estimateGas + 25%, capped at 2^24 (a refusal shows as the
 * node's estimate error, printed with its data). *ret_gas: gas used;
 * txhash: "0x..." (67 bytes with NUL). 0, or -1 (printed). */
int aegis_cli_l1_send(const aegis_cli_l1 *l, const char *to, const uint8_t *data, size_t n, uint64_t *ret_gas,
                      char txhash[67]);

#endif
