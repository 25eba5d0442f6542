/*
 * pq_mldsa_avx2_poly.h - ML-DSA-87 coefficient routines in eight int32 lanes,
 * each equal bit for bit to PQClean's (test_crypto_mldsa.c compares them on
 * random inputs). Included once by pq_mldsa_avx2.c (built for AVX2); needs
 * N, Q, GAMMA1 and rej_idx (pq_rej_idx.h).
 *
 *   aegis__mldsa87_avx2_rej_eta       PQClean's rej_eta (eta = 2, ExpandS)
 *   aegis__mldsa87_avx2_polyz_unpack  PQClean's polyz_unpack (gamma1 = 2^19)
 *   aegis__mldsa87_avx2_chknorm       PQClean's poly_chknorm
 *   aegis__mldsa87_avx2_pack          PQClean's polyt1_pack, polyt0_pack and
 *                                     polyeta_pack (b = 10, 13, 3 bits)
 *
 * Constant time: rej_eta's output positions and count depend on which
 * nibbles are rejected (>= 15), as in FIPS 204 and PQClean's scalar loop
 * (which branches on them); the rejected nibbles are independent of the
 * accepted coefficients, so this reveals nothing about s1 or s2. The
 * accepted values only pass through lanes: no branch or index on them.
 * chknorm's result (reject the round or not) is public by design; it does
 * not look at a coefficient's sign or stop early at the first one over the
 * bound. polyz_unpack and the packers have no data-dependent control flow
 * or memory index at all (t0, s1 and s2 are secret).
 */
#include <immintrin.h>

/* 2 - (t mod 5) for nibbles t = 0..14 (15 is rejected) */
#define ETA2_TABLE _mm_setr_epi8(2, 1, 0, -1, -2, 2, 1, 0, -1, -2, 2, 1, 0, -1, -2, 0)

/* Eight bytes (sixteen nibbles, low nibble first) a step while sixteen more
 * outputs fit in len; each half of eight goes to the front with rej_idx and
 * one permute. PQClean's loop finishes from the same byte, so the order and
 * the stopping point are the same. */
unsigned aegis__mldsa87_avx2_rej_eta(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen);
unsigned aegis__mldsa87_avx2_rej_eta(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen)
{
    const __m128i low = _mm_set1_epi8(0x0F), fifteen = _mm_set1_epi8(15), tbl = ETA2_TABLE;
    unsigned ctr = 0, pos = 0;
    while (ctr + 16 <= len && pos + 8 <= buflen) {
        __m128i x = _mm_loadl_epi64((const __m128i *)(buf + pos));
        __m128i nib = _mm_unpacklo_epi8(_mm_and_si128(x, low), _mm_and_si128(_mm_srli_epi16(x, 4), low));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(fifteen, nib));
        __m128i val = _mm_shuffle_epi8(tbl, nib);
        for (unsigned h = 0; h < 2; h++) {
            unsigned mh = (m >> (8 * h)) & 0xFF;
            __m256i v = _mm256_cvtepi8_epi32(h ? _mm_srli_si128(val, 8) : val);
            __m256i idx = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)rej_idx[mh]));
            _mm256_storeu_si256((__m256i *)(a + ctr), _mm256_permutevar8x32_epi32(v, idx));
            ctr += (unsigned)__builtin_popcount(mh);
        }
        pos += 8;
    }
    return ctr + rej_eta(a + ctr, len - ctr, buf + pos, buflen - pos);
}

/* Eight 20-bit values from 20 bytes: four per 128-bit half (bytes 0-9 and
 * 10-19), three bytes to a dword by shuffle, every other one shifted by 4,
 * masked, then gamma1 - t. The last group is read from a copy so that
 * nothing past the 640 input bytes is loaded. */
static inline __m256i z_unpack8(const uint8_t *p)
{
    const __m256i shuf = _mm256_setr_epi8(0, 1, 2, -1, 2, 3, 4, -1, 5, 6, 7, -1, 7, 8, 9, -1,
                                          0, 1, 2, -1, 2, 3, 4, -1, 5, 6, 7, -1, 7, 8, 9, -1);
    const __m256i shift = _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4);
    __m256i v = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(p + 10)), _mm_loadu_si128((const __m128i *)p));
    v = _mm256_and_si256(_mm256_srlv_epi32(_mm256_shuffle_epi8(v, shuf), shift), _mm256_set1_epi32(0xFFFFF));
    return _mm256_sub_epi32(_mm256_set1_epi32(GAMMA1), v);
}

void aegis__mldsa87_avx2_polyz_unpack(int32_t r[N], const uint8_t *a);
void aegis__mldsa87_avx2_polyz_unpack(int32_t r[N], const uint8_t *a)
{
    uint8_t last[32] = {0};
    for (unsigned i = 0; i < N / 8 - 1; i++)
        _mm256_storeu_si256((__m256i *)(r + 8 * i), z_unpack8(a + 20 * i));
    memcpy(last, a + 20 * (N / 8 - 1), 20);
    _mm256_storeu_si256((__m256i *)(r + N - 8), z_unpack8(last));
    aegis_memzero(last, sizeof(last));   /* y's last bytes when called from ExpandMask */
}

/* 1 if some |a[i]| >= B or B > (Q-1)/8, else 0 */
int aegis__mldsa87_avx2_chknorm(const int32_t a[N], int32_t B);
int aegis__mldsa87_avx2_chknorm(const int32_t a[N], int32_t B)
{
    if (B > (Q - 1) / 8)
        return 1;
    const __m256i bound = _mm256_set1_epi32(B - 1);
    __m256i over = _mm256_setzero_si256();
    for (unsigned i = 0; i < N; i += 8) {
        __m256i t = _mm256_abs_epi32(_mm256_loadu_si256((const __m256i *)(a + i)));
        over = _mm256_or_si256(over, _mm256_cmpgt_epi32(t, bound));
    }
    return !_mm256_testz_si256(over, over);
}

/* The low b bits (b <= 13) of eight int32 lanes, concatenated little-endian
 * as FIPS 204's SimpleBitPack/BitPack: pairs in each 64-bit lane, pairs of
 * those in each 128-bit half, then the two halves; 8b bits in the result's
 * low bytes. */
static inline __m128i pack8(__m256i x, int b)
{
    const __m256i lo32 = _mm256_set1_epi64x(0xFFFFFFFF);
    x = _mm256_and_si256(x, _mm256_set1_epi32((1 << b) - 1));
    __m256i y = _mm256_or_si256(_mm256_and_si256(x, lo32), _mm256_srli_epi64(x, 32 - b));   /* 2b bits */
    y = _mm256_sllv_epi64(y, _mm256_setr_epi64x(0, 2 * b, 0, 2 * b));
    y = _mm256_or_si256(y, _mm256_bsrli_epi128(y, 8));   /* low qwords: 4b bits */
    __m128i l = _mm_move_epi64(_mm256_castsi256_si128(y)), h = _mm_move_epi64(_mm256_extracti128_si256(y, 1));
    __m128i r = _mm_or_si128(l, _mm_slli_epi64(h, 4 * b));
    return _mm_or_si128(r, _mm_bslli_si128(_mm_srli_epi64(h, 64 - 4 * b), 8));
}

/* r = the b-bit values off - a[i] (off 0: a[i] itself), 32b bytes; the
 * 16-byte stores overlap forward, the groups whose store would pass the
 * end go through a copy */
void aegis__mldsa87_avx2_pack(uint8_t *r, const int32_t a[N], int32_t off, int b);
void aegis__mldsa87_avx2_pack(uint8_t *r, const int32_t a[N], int32_t off, int b)
{
    const __m256i o = _mm256_set1_epi32(off);
    uint8_t last[16];
    for (unsigned i = 0; i < N / 8; i++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(a + 8 * i));
        __m128i p = pack8(off ? _mm256_sub_epi32(o, v) : v, b);
        if ((size_t)b * i + 16 <= (size_t)b * (N / 8)) {
            _mm_storeu_si128((__m128i *)(r + (size_t)b * i), p);
        } else {
            _mm_storeu_si128((__m128i *)last, p);
            memcpy(r + (size_t)b * i, last, (size_t)b);
        }
    }
    aegis_memzero(last, sizeof(last));
}
