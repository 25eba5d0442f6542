/*
 * pq_int.h - internals shared by the post-quantum wrappers (mldsa.c,
 * slhdsa.c, mlkem.c, pq_mldsa_*.c, pq_slh256s.c / pq_slh256f.c, pq_sha256x2.c,
 * pq_glue.c, pq_prehash.c).
 * Not a public header.
 */
#ifndef AEGIS_PQ_INT_H
#define AEGIS_PQ_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/crypto.h"

/* What the vector code may use (cpu.c): CPUID read once per process, capped
 * by the environment variable AEGIS_CPU=portable|avx2|avx512 (tests run the
 * known-answer files once per path). avx2 means AVX2+BMI2 with OS support;
 * avx512 adds AVX-512F+VL with the ZMM state enabled by the OS. */
enum aegis__cpu_level { AEGIS_CPU_PORTABLE = 0, AEGIS_CPU_AVX2 = 1, AEGIS_CPU_AVX512 = 2 };
struct aegis__cpu {
    enum aegis__cpu_level level;     /* after the AEGIS_CPU cap */
    enum aegis__cpu_level hw_level;  /* what the CPU has */
    bool sha_ni;                     /* SHA + SSSE3 + SSE4.1 (off when capped to portable) */
};
const struct aegis__cpu *aegis__cpu(void);
const char *aegis__cpu_level_name(enum aegis__cpu_level l);

/* Bytes of stack below the caller's frame that aegis__pq_scrub_stack() wipes:
 * enough for the deepest PQClean call chain we make (ML-DSA-87 signing holds
 * the 8x7 matrix, ~57 KiB, in our own frame, which we wipe separately). */
#define AEGIS_PQ_SCRUB_BYTES (32 * 1024)

/* Wipe the stack area PQClean's callees just used (their frames lie below the
 * calling function's). Call right after a PQClean call that handled secrets. */
void aegis__pq_scrub_stack(void);
/* The same for our own vector code, whose callees are leaf routines with
 * frames well under this (their large arrays are wiped where they live):
 * called at the end of each function whose callees touched secrets. */
#define AEGIS_PQ_SCRUB_SMALL_BYTES (4 * 1024)
void aegis__pq_scrub_stack_small(void);

/* ML-DSA-87 cores (pq_mldsa_core.h): FIPS 204 Alg. 6 from xi, Alg. 7 from mu
 * on (rnd: 32 bytes), Alg. 8 from mu on. Two builds of the same code: generic,
 * and (x86-64) PQClean's arithmetic compiled for AVX2 in pq_mldsa_avx2.c;
 * aegis__mldsa87_ops() picks by CPU. Results are bit-identical. */
#define AEGIS_MLDSA87_TR_BYTES 64
struct aegis__mldsa_ops {
    void (*keygen)(uint8_t *pk, uint8_t *sk, const uint8_t *xi);
    void (*sign_mu)(uint8_t *sig, const uint8_t *mu, const uint8_t *rnd, const uint8_t *sk);
    bool (*verify_mu)(const uint8_t *sig, const uint8_t *mu, const uint8_t *pk);
    /* the same from M' = pre || msg (mu = H(H(pk) || M') computed inside) */
    bool (*verify_msg)(const uint8_t *sig, const uint8_t *pre, size_t pre_len, const uint8_t *msg,
                       size_t msg_len, const uint8_t *pk);
    /* a key with the message-independent work done once (aegis_mldsa87_key) */
    size_t prepared_size;
    void (*prepare)(void *out, const uint8_t *sk);
    /* false: abandoned (abandon became non-zero), no signature */
    bool (*sign_prepared)(uint8_t *sig, const uint8_t *mu, const uint8_t *rnd, const void *prepared,
                          const atomic_int *abandon);
};
extern const struct aegis__mldsa_ops aegis__mldsa87_generic;

/* A prepared ML-DSA-87 signing key (mldsa.c; aegis_mldsa87_key). */
struct aegis_mldsa87_key {
    const struct aegis__mldsa_ops *ops;   /* the core that prepared it signs with it */
    size_t size;
    bool locked;                          /* mlock()ed (best effort, like key sets) */
    uint8_t tr[AEGIS_MLDSA87_TR_BYTES];
    _Alignas(max_align_t) unsigned char prepared[];
};
/* mu = H(tr || 0 || len(ctx) || ctx || msg, 64) (FIPS 204 Algorithm 2). */
void aegis__mldsa87_message_mu(uint8_t mu[AEGIS_MLDSA87_MU_BYTES], const uint8_t tr[AEGIS_MLDSA87_TR_BYTES],
                               const uint8_t *ctx, size_t ctx_len, const uint8_t *msg, size_t msg_len);
/* 32 fresh random bytes (hedged) or zeros (deterministic); wiped on failure. */
aegis_err aegis__mldsa87_signing_rnd(uint8_t rnd[32], bool deterministic);
/* NULL where not built (non-x86-64) or not usable (CPU without AVX2). */
const struct aegis__mldsa_ops *aegis__mldsa87_avx2(void);
const struct aegis__mldsa_ops *aegis__mldsa87_ops(void);

/* SHAKE256(a || b) and over pieces on OpenSSL (pq_sha3.c), with PQClean's
 * fips202 as the fallback should OpenSSL fail: never an error. */
void aegis__shake256_2(uint8_t *out, size_t outlen, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
struct aegis__piece {
    const uint8_t *p;
    size_t n;
};
/* SHAKE256(piece_0 || piece_1 || ...), outlen bytes (empty pieces allowed) */
void aegis__shake256_pieces(uint8_t *out, size_t outlen, const struct aegis__piece *pc, size_t count);

/* Two SHA-256 compressions at once with SHA-NI (pq_sha256x2.c): s0/s1 are
 * chaining values a..h (host-endian words), updated in place by one 64-byte
 * block each. Only if aegis__sha256x2_available() (x86 SHA + SSE4.1). */
bool aegis__sha256x2_available(void);
void aegis__sha256x2_compress(uint32_t s0[8], uint32_t s1[8], const uint8_t b0[64], const uint8_t b1[64]);

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
    /* the same without the SHA-NI two-lane code (for tests) */
    void (*keygen_portable)(uint8_t pk[64], uint8_t sk[128], const uint8_t seeds[96]);
    aegis_err (*sign_portable)(uint8_t *sig, const uint8_t *pre, size_t pre_len,
                               const uint8_t *msg, size_t msg_len, const uint8_t sk[128],
                               const uint8_t opt_rand[32]);
    bool (*verify_portable)(const uint8_t *sig, const uint8_t *pre, size_t pre_len,
                            const uint8_t *msg, size_t msg_len, const uint8_t pk[64]);
};
extern const struct aegis__slh_ops aegis__slh_sha2_256s;
extern const struct aegis__slh_ops aegis__slh_sha2_256f;

#endif
