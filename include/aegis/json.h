/*
 * aegis/json.h - the few JSON shapes every published Aegis record uses
 * (jansson underneath): byte strings as "0x" + lowercase hex, unsigned
 * integers with a bound, objects with a closed set of keys.
 *
 * Thread-safety: all functions are; they allocate only what they return.
 */
#ifndef AEGIS_JSON_H
#define AEGIS_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/util.h"

/* "0x" + lowercase hex of n bytes as a new JSON string (NULL: out of memory). */
json_t *aegis_json_hex(const uint8_t *p, size_t n);
/* v is "0x" followed by exactly 2n hex digits: decode into out. */
bool aegis_json_hex_exact(const json_t *v, uint8_t *out, size_t n);
/* v is "0x" + hex of at most max bytes: a fresh buffer (caller frees;
 * "0x" alone gives NULL, 0). AEGIS_ERR_INVAL when malformed (an embedded NUL
 * too), AEGIS_ERR_TOO_BIG past max, AEGIS_ERR_NOMEM. */
aegis_err aegis_json_hex_alloc(const json_t *v, size_t max, uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* v is an integer in [0, max]. */
bool aegis_json_uint(const json_t *v, uint64_t max, uint64_t *out);
/* A u64 quantity a JavaScript client must read exactly (nonces, sequence
 * numbers, ids; docs/internals/rpc.md "Numbers"): a JSON integer while it
 * is at most 2^53 - 1 (AEGIS_JSON_MAX_SAFE), a decimal string above.
 * aegis_json_u64 reads either form (a string: digits only, no leading
 * zero, at most max). */
#define AEGIS_JSON_MAX_SAFE 9007199254740991ull
json_t *aegis_json_u64_new(uint64_t v);
bool aegis_json_u64(const json_t *v, uint64_t max, uint64_t *out);
/* Parse len bytes of JSON text into an object, refusing duplicate keys:
 * AEGIS_ERR_TOO_BIG past max bytes, AEGIS_ERR_BAD_JSON when it is not one
 * well-formed object. */
aegis_err aegis_json_load_object(const char *text, size_t len, size_t max, json_t **ret) AEGIS_WUR;
/* Every key of obj is one of keys (NULL-terminated) / of the first n keys. */
bool aegis_json_only_keys(const json_t *obj, const char *const *keys);
bool aegis_json_only_keys_n(const json_t *obj, const char *const *keys, size_t n);

#endif
