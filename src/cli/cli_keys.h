/*
 * cli_keys.h - ML-DSA-87 key pairs from key files, for the CLI commands
 * that sign admin requests and risk assessments (aegis assets, checkpoint
 * rollback, risk).
 */
#ifndef AEGIS_CLI_KEYS_H
#define AEGIS_CLI_KEYS_H

#include <stdint.h>

#include "aegis/error.h"

/* The secret key at key_path and the public key at pub_path, or, when
 * pub_path is NULL, at key_path with ".key" replaced by ".pub" (or ".pub"
 * appended). Both must be ML-DSA-87 files of the right length
 * (AEGIS_ERR_KEYS_WRONG_TYPE otherwise). On success *ret_sk is freed with
 * aegis_free_secret(sk, AEGIS_MLDSA87_SK_BYTES), *ret_pk with aegis_free.
 * On failure *ret_failed (optional) names the file that failed (valid until
 * the next call). */
aegis_err aegis_cli_mldsa_keypair(const char *key_path, const char *pub_path, uint8_t **ret_sk, uint8_t **ret_pk,
                                  const char **ret_failed);

/* A secp256k1 secret from a key file as `aegis keygen --type secp256k1`
 * writes it ("secp256k1 <hex>", mode 0600), or a file of bare hex. Shared
 * by every command taking a secp256k1 key file (submit --key, tx new
 * --key-file), so they accept the same files. Prints what is wrong to
 * stderr, prefixed with prog. 0 or -1. */
int aegis_cli_secp256k1_secret(const char *prog, const char *path, uint8_t sk[32]);

#endif
