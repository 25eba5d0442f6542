/*
 * keccak4x.c - four SHAKE / SHA-3 sponges at once on the four-way
 * Keccak-f[1600] (keccak4x_avx2.c, or keccak4x_avx512.c when aegis__cpu()
 * says AVX-512 is usable). Used by the vector ML-KEM (matrix expansion,
 * noise) and the AVX2 ML-DSA core (ExpandA, ExpandS, ExpandMask): the
 * streams of one operation are independent, so four advance for about
 * the price of one.
 *
 * Call only when aegis__cpu()->level >= AEGIS_CPU_AVX2. The states may hold
 * secret seeds: aegis__keccakx4_clear() wipes one.
 */
#include <string.h>

#include "keccak4x.h"
#include "mlkem_int.h"

#if defined(__x86_64__) && defined(__AVX2__)

void aegis__keccakx4_permute(aegis__keccakx4 *st)
{
    if (aegis__cpu()->level >= AEGIS_CPU_AVX512)
        aegis__keccakx4_permute_avx512(st->s);
    else
        aegis__keccakx4_permute_avx2(st->s);
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;   /* x86-64: little-endian */
}

void aegis__keccakx4_absorb(aegis__keccakx4 *st, const uint8_t *const in[4], size_t len, size_t rate,
                            uint8_t domain)
{
    uint8_t blk[AEGIS_KECCAK_MAX_RATE];
    memset(st->s, 0, sizeof(st->s));
    size_t off = 0;
    for (; len - off >= rate; off += rate) {   /* whole blocks */
        for (int k = 0; k < 4; k++)
            for (size_t i = 0; i < rate / 8; i++)
                st->s[4 * i + k] ^= load64(in[k] + off + 8 * i);
        aegis__keccakx4_permute(st);
    }
    for (int k = 0; k < 4; k++) {   /* the last, padded block */
        memset(blk, 0, rate);
        memcpy(blk, in[k] + off, len - off);
        blk[len - off] ^= domain;
        blk[rate - 1] ^= 0x80;
        for (size_t i = 0; i < rate / 8; i++)
            st->s[4 * i + k] ^= load64(blk + 8 * i);
    }
    aegis_memzero(blk, sizeof(blk));
}

void aegis__keccakx4_squeeze(aegis__keccakx4 *st, uint8_t *const out[4], size_t nblocks, size_t rate)
{
    for (size_t b = 0; b < nblocks; b++) {
        aegis__keccakx4_permute(st);
        for (int k = 0; k < 4; k++)
            for (size_t i = 0; i < rate / 8; i++)
                memcpy(out[k] + b * rate + 8 * i, &st->s[4 * i + k], 8);
    }
}

void aegis__keccakx4_clear(aegis__keccakx4 *st)
{
    aegis_memzero(st->s, sizeof(st->s));
}

#endif
