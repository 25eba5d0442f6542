/*
 * pq_sha256x2.c - two independent SHA-256 compressions at once with the x86
 * SHA extensions, for SLH-DSA's WOTS+ chains (pq_slh_impl.h).
 *
 * One SHA-256 block with SHA-NI is latency-bound: each sha256rnds2 waits for
 * the previous one. Two unrelated blocks interleaved keep the unit busy, so
 * two chains advance for little more than the price of one. Callers check
 * aegis__sha256x2_available() once per operation and otherwise fall back to
 * OpenSSL (the result is identical; test_crypto_pq compares both).
 *
 * State words are in FIPS 180-4 order (a..h), host endian.
 */
#include <string.h>

#include "pq_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

bool aegis__sha256x2_available(void)
{
    return aegis__cpu()->sha_ni;   /* CPUID read once per process (cpu.c) */
}

static const uint32_t K256[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define NI __attribute__((target("sha,sse4.1,ssse3")))

/* (a,b,c,d),(e,f,g,h) -> the ABEF / CDGH register layout sha256rnds2 wants */
static inline NI void ni_load(__m128i *abef, __m128i *cdgh, const uint32_t s[8])
{
    __m128i t = _mm_loadu_si128((const __m128i *)s);        /* d c b a (high..low) */
    __m128i u = _mm_loadu_si128((const __m128i *)(s + 4));  /* h g f e */
    t = _mm_shuffle_epi32(t, 0xB1);                          /* c d a b */
    u = _mm_shuffle_epi32(u, 0x1B);                          /* e f g h */
    *abef = _mm_alignr_epi8(t, u, 8);                        /* a b e f */
    *cdgh = _mm_blend_epi16(u, t, 0xF0);                     /* c d g h */
}

static inline NI void ni_store(uint32_t s[8], __m128i abef, __m128i cdgh)
{
    __m128i t = _mm_shuffle_epi32(abef, 0x1B);               /* f e b a */
    __m128i u = _mm_shuffle_epi32(cdgh, 0xB1);               /* d c h g */
    __m128i lo = _mm_blend_epi16(t, u, 0xF0);                /* d c b a */
    __m128i hi = _mm_alignr_epi8(u, t, 8);                   /* h g f e */
    _mm_storeu_si128((__m128i *)s, lo);
    _mm_storeu_si128((__m128i *)(s + 4), hi);
}

NI void aegis__sha256x2_compress(uint32_t s0[8], uint32_t s1[8], const uint8_t b0[64], const uint8_t b1[64])
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i a0, c0, a1, c1;
    ni_load(&a0, &c0, s0);
    ni_load(&a1, &c1, s1);
    const __m128i sa0 = a0, sc0 = c0, sa1 = a1, sc1 = c1;
    __m128i w0[4], w1[4];

#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) {
        __m128i x0, x1;
        if (g < 4) {
            x0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b0 + 16 * g)), bswap);
            x1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b1 + 16 * g)), bswap);
        } else {
            /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
            x0 = _mm_sha256msg1_epu32(w0[g & 3], w0[(g - 3) & 3]);
            x1 = _mm_sha256msg1_epu32(w1[g & 3], w1[(g - 3) & 3]);
            x0 = _mm_add_epi32(x0, _mm_alignr_epi8(w0[(g - 1) & 3], w0[(g - 2) & 3], 4));
            x1 = _mm_add_epi32(x1, _mm_alignr_epi8(w1[(g - 1) & 3], w1[(g - 2) & 3], 4));
            x0 = _mm_sha256msg2_epu32(x0, w0[(g - 1) & 3]);
            x1 = _mm_sha256msg2_epu32(x1, w1[(g - 1) & 3]);
        }
        w0[g & 3] = x0;
        w1[g & 3] = x1;
        const __m128i k = _mm_load_si128((const __m128i *)(K256 + 4 * g));
        __m128i m0 = _mm_add_epi32(x0, k), m1 = _mm_add_epi32(x1, k);
        c0 = _mm_sha256rnds2_epu32(c0, a0, m0);
        c1 = _mm_sha256rnds2_epu32(c1, a1, m1);
        m0 = _mm_shuffle_epi32(m0, 0x0E);
        m1 = _mm_shuffle_epi32(m1, 0x0E);
        a0 = _mm_sha256rnds2_epu32(a0, c0, m0);
        a1 = _mm_sha256rnds2_epu32(a1, c1, m1);
    }
    ni_store(s0, _mm_add_epi32(a0, sa0), _mm_add_epi32(c0, sc0));
    ni_store(s1, _mm_add_epi32(a1, sa1), _mm_add_epi32(c1, sc1));
}

#else

bool aegis__sha256x2_available(void)
{
    return false;
}

void aegis__sha256x2_compress(uint32_t s0[8], uint32_t s1[8], const uint8_t b0[64], const uint8_t b1[64])
{
    (void)s0; (void)s1; (void)b0; (void)b1;
    aegis_misuse("aegis__sha256x2_compress without SHA extensions");
}

#endif
