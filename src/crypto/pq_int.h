/*
 * pq_int.h - internals shared by the post-quantum wrappers (mldsa.c,
 * slhdsa.c, mlkem.c, pq_slh256s.c / pq_slh256f.c, pq_glue.c, pq_prehash.c).
 * Not a public header.
 */
#ifndef AEGIS_PQ_INT_H
#define AEGIS_PQ_INT_H

#include <stddef.h>
#include <stdint.h>

#include "aegis/crypto.h"

/* Bytes of stack below the caller's frame that aegis__pq_scrub_stack() wipes:
 * enough for the deepest PQClean call chain we make (ML-DSA-87 signing holds
 * the 8x7 matrix, ~57 KiB, in our own frame, which we wipe separately). */
#define AEGIS_PQ_SCRUB_BYTES (32 * 1024)

/* Wipe the stack area PQClean's callees just used (their frames lie below the
 * calling function's). Call right after a PQClean call that handled secrets. */
void aegis__pq_scrub_stack(void);

/* SLH-DSA cores, one instance per parameter set (pq_slh_impl.h compiled by
 * pq_slh256s.c / pq_slh256f.c). M' = pre || msg (pre may be NULL): the pure
 * interface passes 0x00 || len || ctx as pre, so M' is never copied.
 * opt_rand: 32 bytes (PK.seed for the deterministic variant). */
struct aegis__slh_ops {
    size_t sig_bytes;
    void (*keygen)(uint8_t pk[64], uint8_t sk[128], const uint8_t seeds[96]);
    aegis_err (*sign)(uint8_t *sig, const uint8_t *pre, size_t pre_len,
                      const uint8_t *msg, size_t msg_len, const uint8_t sk[128],
                      const uint8_t opt_rand[32]);
    bool (*verify)(const uint8_t *sig, const uint8_t *pre, size_t pre_len,
                   const uint8_t *msg, size_t msg_len, const uint8_t pk[64]);
};
extern const struct aegis__slh_ops aegis__slh_sha2_256s;
extern const struct aegis__slh_ops aegis__slh_sha2_256f;

#endif
