/*
 * cli_publish.h - the parts of `aegis chain publish` (cmd_chain.c): the
 * publisher's context, key epochs (cli_publish_epochs.c: key set
 * registration and hand-overs) and SLH-DSA epoch seals (cli_publish_seal.c).
 * Functions print their errors ("aegis chain publish: ...") and return 0 or -1.
 */
#ifndef AEGIS_CLI_PUBLISH_H
#define AEGIS_CLI_PUBLISH_H

#include <jansson.h>
#include <stdint.h>

#include "cli_l1.h"

#define AEGIS_CLI_PUBLISH_PROG "aegis chain publish"

/* --proof: at emergency, auto takes a batch's SLH-DSA seal when the contract
 * holds it already or it covers at least AEGIS_CLI_SEAL_WORTH batches (one
 * seal verification, ~15M gas, against ~4.6M per ML-DSA-87 batch), ML-DSA-87
 * otherwise; ml-dsa never seals while there is an ML-DSA-87 signature; seal
 * always seals (a batch not sealed yet waits). */
enum { AEGIS_CLI_PROOF_AUTO = 0, AEGIS_CLI_PROOF_MLDSA = 1, AEGIS_CLI_PROOF_SEAL = 2 };
#define AEGIS_CLI_SEAL_WORTH 4

typedef struct aegis_cli_pub {
    aegis_cli_l1 l;
    const char *rpc_url;        /* aegisd */
    const char *contract;       /* SequencerAttestation */
    char pqc[43], oracle[43];   /* PQCVerifier and QRMSOracle, read from the contract */
    int proof;                  /* AEGIS_CLI_PROOF_*: what goes at emergency */
} aegis_cli_pub;

/* An aegisd call with params stolen: 0, 1 (AEGIS_ERR_NOT_FOUND; quiet) or -1 (printed). */
int aegis_cli_pub_aegisd(const aegis_cli_pub *p, const char *method, json_t *params, json_t **ret);
/* The bytes of a "0x..." JSON string member (NULL and 0 when absent; -1 when malformed). */
int aegis_cli_pub_member(json_t *obj, const char *key, size_t max, uint8_t **ret, size_t *ret_len);
/* Send data (owned: freed here) to `to`; adds the gas used to *gas_sum and one to *txs. */
int aegis_cli_pub_send(const aegis_cli_pub *p, const char *to, uint8_t *data, size_t n, uint64_t *gas_sum,
                       unsigned *txs, char txh[67]);

/* Bring the contract's key epoch from cur up to want (one line per epoch). */
int aegis_cli_pub_follow_epochs(const aegis_cli_pub *p, uint64_t cur, uint64_t want);
/* Register an ML-DSA-87 public key in PQCVerifier (resumes a half-done session). */
int aegis_cli_pub_ensure_mldsa(const aegis_cli_pub *p, const uint8_t *pk, size_t pk_len, uint64_t *gas,
                               unsigned *txs);

/* Post batch `number` (its aegis_getBatch object b, header_abi decoded) by
 * its place in an SLH-DSA epoch seal: the seal's SLH-DSA session and
 * registerSeal first when the contract does not hold it - unless the seal
 * covers fewer than min_count batches. 0 posted, 1 the batch has no seal yet
 * (quiet), 2 the seal is not held and too small (quiet), -1 failed. */
int aegis_cli_pub_sealed(const aegis_cli_pub *p, json_t *b, uint64_t number, const uint8_t *header, size_t hl,
                         uint64_t min_count);

#endif
