/*
 * aegis/hash.h - the hash functions (SHA-256, SHA-512, Ethereum's
 * keccak-256) over public data. Host-safe: host code hashes envelopes,
 * records and ids with these, and nothing here holds a key
 * (tests/checks/boundary.sh allows this header; aegis/crypto.h, which has
 * the signing and decryption, it does not).
 */
#ifndef AEGIS_HASH_H
#define AEGIS_HASH_H

#include <stddef.h>
#include <stdint.h>

void aegis_sha256(uint8_t out[static 32], const void *in, size_t n);
void aegis_sha512(uint8_t out[static 64], const void *in, size_t n);
void aegis_keccak256(uint8_t out[static 32], const void *in, size_t n);
/* Incremental keccak-256 (Ethereum). */
typedef struct aegis_keccak { uint64_t s[25]; size_t pos; } aegis_keccak;
void aegis_keccak256_init(aegis_keccak *k);
void aegis_keccak256_update(aegis_keccak *k, const void *in, size_t n);
void aegis_keccak256_final(aegis_keccak *k, uint8_t out[static 32]);

#endif
