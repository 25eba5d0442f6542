/*
 * keccak4x.h - four SHAKE / SHA-3 sponges at once (keccak4x.c on the
 * permutations of keccak4x_avx2.c / keccak4x_avx512.c), for the vector
 * ML-KEM and the AVX2 ML-DSA core. Not a public header. Call only when
 * aegis__cpu()->level >= AEGIS_CPU_AVX2.
 */
#ifndef AEGIS_KECCAK4X_H
#define AEGIS_KECCAK4X_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Four SHAKE / SHA-3 sponges at once (keccak4x.c): absorb len bytes of
 * each of four inputs (one shot, padded with domain: 0x1F SHAKE, 0x06
 * SHA-3), then squeeze nblocks blocks of rate bytes into each out[k]
 * (repeatable). Lane-interleaved state: s[4 * lane + instance]. */
#define AEGIS_KECCAK_MAX_RATE 168
#define AEGIS_SHAKE128_RATE 168
#define AEGIS_SHAKE256_RATE 136
typedef struct aegis__keccakx4 {
    _Alignas(32) uint64_t s[100];
} aegis__keccakx4;
void aegis__keccakx4_absorb(aegis__keccakx4 *st, const uint8_t *const in[4], size_t len, size_t rate,
                            uint8_t domain);
void aegis__keccakx4_squeeze(aegis__keccakx4 *st, uint8_t *const out[4], size_t nblocks, size_t rate);
void aegis__keccakx4_clear(aegis__keccakx4 *st);
/* one four-way permutation of st (AVX-512VL or AVX2, as aegis__cpu() allows) */
void aegis__keccakx4_permute(aegis__keccakx4 *st);
/* Independent sponges of any input lengths, four at a time
 * (aegis__keccakx4_run): a free lane takes the first job not yet taken
 * whose dependency is done, so put a long job first to overlap it with
 * the short ones. A job absorbs in (len bytes,
 * padded with domain, at rate bytes per block), then either writes
 * outlen <= rate bytes to out (take == NULL) or hands each squeezed block
 * to take(ctx, block, rate) until that returns true. */
struct aegis__x4_job {
    const uint8_t *in;
    size_t len;
    size_t rate;
    uint8_t domain;
    uint8_t *out;
    size_t outlen;
    bool (*take)(void *ctx, const uint8_t *block, size_t rate);
    void *ctx;
    /* optional: start only once that (earlier) job is done, e.g. when its
     * output is this job's input */
    const struct aegis__x4_job *after;
    bool taken, done;   /* the scheduler's */
};
void aegis__keccakx4_run(struct aegis__x4_job *jobs, size_t n);

/* One SHAKE256 sponge on lane 0 of the four-way permutation: with AVX-512VL
 * a four-way permutation (about 240 ns here) costs less than OpenSSL's
 * single one (280 ns, plus ~150 ns of EVP set-up per hash), so the short
 * hashes of ML-DSA (tr, mu, rho', c-tilde, SampleInBall) run here when
 * aegis__cpu() says AVX-512 (with AVX2 alone the four-way one takes ~390 ns
 * and OpenSSL stays). Incremental: absorb any pieces, finalize once, then
 * squeeze any lengths. Secret inputs: aegis__shake256x1_clear() wipes. */
typedef struct aegis__shake256x1 {
    aegis__keccakx4 st;
    size_t pos;   /* absorbing: bytes in the current block; squeezing: bytes read from it */
} aegis__shake256x1;
void aegis__shake256x1_init(aegis__shake256x1 *c);
void aegis__shake256x1_absorb(aegis__shake256x1 *c, const uint8_t *in, size_t len);
void aegis__shake256x1_finalize(aegis__shake256x1 *c);
void aegis__shake256x1_squeeze(aegis__shake256x1 *c, uint8_t *out, size_t len);
void aegis__shake256x1_clear(aegis__shake256x1 *c);

/* the permutations (keccak4x_avx2.c, keccak4x_avx512.c; the latter leaves with vzeroupper) */
void aegis__keccakx4_permute_avx2(uint64_t s[100]);
void aegis__keccakx4_permute_avx512(uint64_t s[100]);

#endif
