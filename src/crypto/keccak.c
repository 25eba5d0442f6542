/*
 * keccak.c - keccak-256 as Ethereum uses it: Keccak-f[1600], rate 136 bytes,
 * capacity 512 bits, original Keccak padding (0x01 ... 0x80), NOT the FIPS 202
 * SHA3-256 domain byte 0x06.
 *
 * The state is kept as 25 little-endian lanes; input is XORed in byte by byte
 * through the lane view only when unaligned, and lane by lane otherwise.
 */
#include <string.h>

#include "aegis/crypto.h"

#define KECCAK_RATE 136u

static const uint64_t keccak_rc[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808Aull, 0x8000000080008000ull,
    0x000000000000808Bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008Aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000Aull,
    0x000000008000808Bull, 0x800000000000008Bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800Aull, 0x800000008000000Aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

static inline uint64_t rol64(uint64_t x, unsigned n)
{
    return (x << n) | (x >> ((64 - n) & 63));
}

/* Keccak-f[1600]: theta, rho+pi, chi, iota, with the 25 lanes in locals so
 * the compiler keeps them in registers; the rho/pi step is written out. */
static void keccak_f1600(uint64_t s[25])
{
    uint64_t a00 = s[0], a01 = s[1], a02 = s[2], a03 = s[3], a04 = s[4];
    uint64_t a05 = s[5], a06 = s[6], a07 = s[7], a08 = s[8], a09 = s[9];
    uint64_t a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13], a14 = s[14];
    uint64_t a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19];
    uint64_t a20 = s[20], a21 = s[21], a22 = s[22], a23 = s[23], a24 = s[24];

    for (int r = 0; r < 24; r++) {
        /* theta */
        uint64_t c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
        uint64_t c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
        uint64_t c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
        uint64_t c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
        uint64_t c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
        uint64_t d0 = c4 ^ rol64(c1, 1);
        uint64_t d1 = c0 ^ rol64(c2, 1);
        uint64_t d2 = c1 ^ rol64(c3, 1);
        uint64_t d3 = c2 ^ rol64(c4, 1);
        uint64_t d4 = c3 ^ rol64(c0, 1);

        /* rho + pi: b[y][2x+3y] = rol(a[x][y] ^ d[x], r[x][y]) (index = x + 5y) */
        uint64_t b00 = a00 ^ d0;
        uint64_t b10 = rol64(a01 ^ d1, 1);
        uint64_t b20 = rol64(a02 ^ d2, 62);
        uint64_t b05 = rol64(a03 ^ d3, 28);
        uint64_t b15 = rol64(a04 ^ d4, 27);
        uint64_t b16 = rol64(a05 ^ d0, 36);
        uint64_t b01 = rol64(a06 ^ d1, 44);
        uint64_t b11 = rol64(a07 ^ d2, 6);
        uint64_t b21 = rol64(a08 ^ d3, 55);
        uint64_t b06 = rol64(a09 ^ d4, 20);
        uint64_t b07 = rol64(a10 ^ d0, 3);
        uint64_t b17 = rol64(a11 ^ d1, 10);
        uint64_t b02 = rol64(a12 ^ d2, 43);
        uint64_t b12 = rol64(a13 ^ d3, 25);
        uint64_t b22 = rol64(a14 ^ d4, 39);
        uint64_t b23 = rol64(a15 ^ d0, 41);
        uint64_t b08 = rol64(a16 ^ d1, 45);
        uint64_t b18 = rol64(a17 ^ d2, 15);
        uint64_t b03 = rol64(a18 ^ d3, 21);
        uint64_t b13 = rol64(a19 ^ d4, 8);
        uint64_t b14 = rol64(a20 ^ d0, 18);
        uint64_t b24 = rol64(a21 ^ d1, 2);
        uint64_t b09 = rol64(a22 ^ d2, 61);
        uint64_t b19 = rol64(a23 ^ d3, 56);
        uint64_t b04 = rol64(a24 ^ d4, 14);

        /* chi */
        a00 = b00 ^ (~b01 & b02); a01 = b01 ^ (~b02 & b03); a02 = b02 ^ (~b03 & b04);
        a03 = b03 ^ (~b04 & b00); a04 = b04 ^ (~b00 & b01);
        a05 = b05 ^ (~b06 & b07); a06 = b06 ^ (~b07 & b08); a07 = b07 ^ (~b08 & b09);
        a08 = b08 ^ (~b09 & b05); a09 = b09 ^ (~b05 & b06);
        a10 = b10 ^ (~b11 & b12); a11 = b11 ^ (~b12 & b13); a12 = b12 ^ (~b13 & b14);
        a13 = b13 ^ (~b14 & b10); a14 = b14 ^ (~b10 & b11);
        a15 = b15 ^ (~b16 & b17); a16 = b16 ^ (~b17 & b18); a17 = b17 ^ (~b18 & b19);
        a18 = b18 ^ (~b19 & b15); a19 = b19 ^ (~b15 & b16);
        a20 = b20 ^ (~b21 & b22); a21 = b21 ^ (~b22 & b23); a22 = b22 ^ (~b23 & b24);
        a23 = b23 ^ (~b24 & b20); a24 = b24 ^ (~b20 & b21);

        /* iota */
        a00 ^= keccak_rc[r];
    }

    s[0] = a00; s[1] = a01; s[2] = a02; s[3] = a03; s[4] = a04;
    s[5] = a05; s[6] = a06; s[7] = a07; s[8] = a08; s[9] = a09;
    s[10] = a10; s[11] = a11; s[12] = a12; s[13] = a13; s[14] = a14;
    s[15] = a15; s[16] = a16; s[17] = a17; s[18] = a18; s[19] = a19;
    s[20] = a20; s[21] = a21; s[22] = a22; s[23] = a23; s[24] = a24;
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void xor_byte(uint64_t s[25], size_t pos, uint8_t b)
{
    s[pos >> 3] ^= (uint64_t)b << (8 * (pos & 7));
}

void aegis_keccak256_init(aegis_keccak *k)
{
    memset(k, 0, sizeof(*k));
}

void aegis_keccak256_update(aegis_keccak *k, const void *in, size_t n)
{
    const uint8_t *p = in;
    /* finish a partial lane / partial block byte by byte */
    while (n > 0 && (k->pos & 7) != 0) {
        xor_byte(k->s, k->pos++, *p++);
        n--;
        if (k->pos == KECCAK_RATE) {
            keccak_f1600(k->s);
            k->pos = 0;
        }
    }
    /* whole lanes */
    while (n >= 8) {
        k->s[k->pos >> 3] ^= load_le64(p);
        k->pos += 8;
        p += 8;
        n -= 8;
        if (k->pos == KECCAK_RATE) {
            keccak_f1600(k->s);
            k->pos = 0;
        }
    }
    while (n > 0) {
        xor_byte(k->s, k->pos++, *p++);
        n--;
        /* pos < 136 here: 136 is a multiple of 8 and fewer than 8 bytes remain */
    }
}

void aegis_keccak256_final(aegis_keccak *k, uint8_t out[static 32])
{
    xor_byte(k->s, k->pos, 0x01);
    xor_byte(k->s, KECCAK_RATE - 1, 0x80);
    keccak_f1600(k->s);
    for (int i = 0; i < 4; i++) {
        uint64_t v = k->s[i];
        for (int j = 0; j < 8; j++)
            out[8 * i + j] = (uint8_t)(v >> (8 * j));
    }
    aegis_memzero(k, sizeof(*k));
}

void aegis_keccak256(uint8_t out[static 32], const void *in, size_t n)
{
    aegis_keccak k;
    aegis_keccak256_init(&k);
    aegis_keccak256_update(&k, in, n);
    aegis_keccak256_final(&k, out);
}
