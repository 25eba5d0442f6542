/*
 * cli_proxy.h - the encrypting wallet proxy behind `aegis proxy`: an
 * Ethereum JSON-RPC endpoint that seals eth_sendRawTransaction to the
 * sequencer's attested key and forwards every other eth_* call to an
 * execution client. docs/wallets.md describes it for wallet developers.
 *
 * aegis_cli_proxy_handle() takes one HTTP request body (a JSON-RPC request
 * or a batch) and returns the reply text; it does no socket I/O of its own
 * except its calls to the sequencer and the upstream, so tests and the
 * fuzzer drive it directly. Thread-safe: the HTTP server calls it from
 * several threads.
 */
#ifndef AEGIS_CLI_PROXY_H
#define AEGIS_CLI_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct aegis_cli_proxy aegis_cli_proxy;

typedef struct aegis_cli_proxy_opts {
    const char *sequencer;     /* aegisd JSON-RPC URL (required) */
    const char *upstream;      /* execution client URL, or NULL */
    bool allow_sim;            /* accept the INSECURE sim attestation */
    uint64_t key_max_age_ms;   /* refetch the key set after this long (0: 30 s) */
    int timeout_ms;            /* per outgoing call (0: 30 s) */
    uint64_t chain_id;         /* 0: ask the sequencer (eth_chainId) at start */
} aegis_cli_proxy_opts;

/* Create the proxy: checks that the sequencer answers and that its key set
 * verifies (attestation included). On failure returns NULL with *why set to
 * a message (static or in why_buf). */
aegis_cli_proxy *aegis_cli_proxy_new(const aegis_cli_proxy_opts *opts, char *why_buf, size_t why_len);
void aegis_cli_proxy_free(aegis_cli_proxy *p);

/* Answer one HTTP body. Returns a malloc'd (free()) JSON text, or NULL when
 * nothing is to be sent back (notifications only). Never fails otherwise:
 * malformed input gets a JSON-RPC error. */
char *aegis_cli_proxy_handle(aegis_cli_proxy *p, const char *body, size_t len);

#endif
