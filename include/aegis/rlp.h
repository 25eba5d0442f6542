/*
 * aegis/rlp.h - strict, canonical Recursive Length Prefix (Ethereum yellow
 * paper, appendix B): a zero-copy decoder and a small encoder.
 *
 * Decoder: items point into the caller's input (nothing is copied or
 * allocated), so they are valid as long as that input is. Only the canonical
 * encoding of every item is accepted:
 *   - a single byte below 0x80 must be encoded as itself (not 0x81 xx);
 *   - the long forms (0xb8.., 0xf8..) only for payloads of 56 bytes or more;
 *   - long-form length prefixes without leading zero bytes;
 *   - every item lies inside its enclosing item / input (no overrun), and
 *     aegis_rlp_decode() rejects bytes after the top-level item.
 * Integers (aegis_rlp_get_uint / _get_be) additionally reject leading zero
 * bytes; zero is the empty string 0x80.
 *
 * Encoder: appends to a capped aegis_buf; errors are sticky, so a sequence
 * of calls can be checked once at aegis_rlp_enc_finish().
 *
 * Thread-safety: no shared state; distinct objects may be used concurrently.
 */
#ifndef AEGIS_RLP_H
#define AEGIS_RLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/error.h"
#include "aegis/util.h"

/* Default and hard limits on list nesting for aegis_rlp_validate(). */
#define AEGIS_RLP_DEFAULT_DEPTH 16
#define AEGIS_RLP_MAX_DEPTH     64

/* One decoded item. */
typedef struct aegis_rlp_item {
    const uint8_t *raw;      /* whole encoding, header included */
    size_t raw_len;
    const uint8_t *payload;  /* content: string bytes, or the list's concatenated items */
    size_t len;
    bool is_list;
} aegis_rlp_item;

/* Iterator over the direct children of a list item. */
typedef struct aegis_rlp_iter {
    const uint8_t *p;
    size_t left;
} aegis_rlp_iter;

/* Decode the item at the start of in[0..n) (canonical header checks; the
 * item must fit in n). *consumed gets its encoded size; bytes after it are
 * the caller's business. Nested items are not inspected. Errors:
 * AEGIS_ERR_RLP_EMPTY, _TRUNCATED, _LEADING_ZEROS, _NONCANONICAL, _TOO_LONG. */
aegis_err aegis_rlp_decode_prefix(const uint8_t *in, size_t n, aegis_rlp_item *ret,
                                  size_t *consumed) AEGIS_WUR;

/* Decode exactly one item spanning all of in[0..n): as above plus
 * AEGIS_ERR_RLP_TRAILING. Nested items are not inspected. */
aegis_err aegis_rlp_decode(const uint8_t *in, size_t n, aegis_rlp_item *ret) AEGIS_WUR;

/* Check a whole tree: exactly one canonical item, every nested item
 * canonical and inside its parent, nesting at most max_depth lists
 * (0 = AEGIS_RLP_DEFAULT_DEPTH, capped at AEGIS_RLP_MAX_DEPTH).
 * AEGIS_ERR_RLP_TOO_DEEP when deeper. Uses no heap. */
aegis_err aegis_rlp_validate(const uint8_t *in, size_t n, unsigned max_depth) AEGIS_WUR;

/* Iterate the children of a list (misuse if item is not a list). */
void aegis_rlp_iter_init(aegis_rlp_iter *it, const aegis_rlp_item *list);
/* True while children remain. */
bool aegis_rlp_iter_more(const aegis_rlp_iter *it);
/* Next child; a child that overruns the list gives AEGIS_ERR_RLP_TRUNCATED. */
aegis_err aegis_rlp_iter_next(aegis_rlp_iter *it, aegis_rlp_item *ret) AEGIS_WUR;

/* Split a list into exactly `count` children (AEGIS_ERR_RLP_EXPECTED_LIST,
 * AEGIS_ERR_RLP_FIELD_COUNT, or a child's decode error). */
aegis_err aegis_rlp_split(const aegis_rlp_item *list, aegis_rlp_item *items, size_t count) AEGIS_WUR;

/* Number of children of a list, each canonical-checked (not recursively). */
aegis_err aegis_rlp_count(const aegis_rlp_item *list, size_t *ret_count) AEGIS_WUR;

/* Integer string -> uint64: AEGIS_ERR_RLP_EXPECTED_STRING,
 * AEGIS_ERR_RLP_INT_LEADING_ZERO, AEGIS_ERR_RLP_INT_TOO_BIG (over 8 bytes). */
aegis_err aegis_rlp_get_uint(const aegis_rlp_item *it, uint64_t *ret) AEGIS_WUR;
/* Integer string -> right-aligned big-endian out[width] (zero-padded):
 * same errors, _INT_TOO_BIG when over width bytes. */
aegis_err aegis_rlp_get_be(const aegis_rlp_item *it, uint8_t *out, size_t width) AEGIS_WUR;

/* ---------------- encoder ---------------- */
#define AEGIS_RLP_ENC_MAX_NEST 16

typedef struct aegis_rlp_enc {
    aegis_buf buf;
    size_t open[AEGIS_RLP_ENC_MAX_NEST];  /* payload start of each open list */
    unsigned depth;
    aegis_err err;                        /* first error, sticky */
} aegis_rlp_enc;

/* Start encoding into a fresh buffer capped at max bytes. */
void aegis_rlp_enc_init(aegis_rlp_enc *e, size_t max);
/* A byte string (canonical: single byte < 0x80 as itself). */
void aegis_rlp_enc_bytes(aegis_rlp_enc *e, const void *p, size_t n);
/* An integer: minimal big-endian, zero as 0x80. */
void aegis_rlp_enc_uint(aegis_rlp_enc *e, uint64_t v);
/* A big-endian integer of n bytes (leading zeros stripped). */
void aegis_rlp_enc_be(aegis_rlp_enc *e, const uint8_t *be, size_t n);
/* Already-encoded RLP, appended verbatim. */
void aegis_rlp_enc_raw(aegis_rlp_enc *e, const void *p, size_t n);
/* Open / close a list (at most AEGIS_RLP_ENC_MAX_NEST open at once). */
void aegis_rlp_enc_list_begin(aegis_rlp_enc *e);
void aegis_rlp_enc_list_end(aegis_rlp_enc *e);
/* Finish: on success the caller owns *ret (aegis_free) of *ret_len bytes;
 * lists still open give AEGIS_ERR_INVAL. The encoder is reset either way. */
aegis_err aegis_rlp_enc_finish(aegis_rlp_enc *e, uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* Discard everything (safe after finish). */
void aegis_rlp_enc_clear(aegis_rlp_enc *e);

/* Size of the header for a payload of n bytes (1 or 1 + length bytes). */
size_t aegis_rlp_header_len(size_t n);
/* Write the header of a string (is_list false) or list payload of n bytes
 * into out (at least 9 bytes); returns its length. */
size_t aegis_rlp_put_header(uint8_t *out, size_t n, bool is_list);

#endif
