/*
 * pq_mldsa_avx2_ntt.h - ML-DSA-87's NTT, inverse NTT and pointwise product
 * in AVX2, eight int32 coefficients per vector. Included by pq_mldsa_avx2.c
 * after PQClean's ntt.c (whose zetas table it uses), and bit for bit equal
 * to PQClean's ntt / invntt_tomont / poly_pointwise_montgomery (compared in
 * test_crypto_mldsa and through every ML-DSA known-answer file per path).
 *
 * Montgomery reduction of a 64-bit product a*b: t = (a*b mod 2^32)*q^-1 mod
 * 2^32 comes from two 32-bit low multiplies (one with zeta*q^-1 precomputed
 * by constant), and the result is hi(a*b) - hi(t*q), the high halves taken
 * from 32x32->64 multiplies of the even and the odd lanes. This is exactly
 * PQClean's montgomery_reduce: the low halves of a*b and t*q are equal.
 * The first five layers pair whole vectors; for the last three the 32
 * vectors are transposed as four 8x8 blocks (lane l = block l), with
 * per-lane zetas gathered from PQClean's table (public, fixed indices).
 * No branch or index depends on coefficient values.
 */
#include <immintrin.h>

typedef __m256i W;

#define DQ 8380417
#define DQINV 58728449   /* q^-1 mod 2^32 */

static inline W w_load(const int32_t *p) { return _mm256_loadu_si256((const W *)p); }
static inline void w_store(int32_t *p, W v) { _mm256_storeu_si256((W *)p, v); }

/* hi(a*b) - hi(t*q) with t = lo(a*b)*q^-1: bq is b*q^-1 mod 2^32 */
static inline W mont_mul(W a, W b, W bq)
{
    const W q = _mm256_set1_epi32(DQ);
    W t = _mm256_mullo_epi32(a, bq);
    W ab_e = _mm256_mul_epi32(a, b);
    W ab_o = _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32));
    W tq_e = _mm256_mul_epi32(t, q);
    W tq_o = _mm256_mul_epi32(_mm256_srli_epi64(t, 32), q);
    W r_e = _mm256_srli_epi64(_mm256_sub_epi64(ab_e, tq_e), 32);
    W r_o = _mm256_sub_epi64(ab_o, tq_o);
    return _mm256_blend_epi32(r_e, r_o, 0xAA);
}

static inline W qinv_of(W z)
{
    return _mm256_mullo_epi32(z, _mm256_set1_epi32(DQINV));
}

#define DFWD(a, b, z, zq) do { W t_ = mont_mul(b, z, zq); b = _mm256_sub_epi32(a, t_); a = _mm256_add_epi32(a, t_); } while (0)
#define DINV(a, b, z, zq) do { W t_ = a; a = _mm256_add_epi32(t_, b); b = mont_mul(_mm256_sub_epi32(t_, b), z, zq); } while (0)

/* 8x8 int32 transpose of v[0..7] */
static inline void transpose8x8(W v[8])
{
    W a[8], b[8];
    for (int i = 0; i < 4; i++) {
        a[2 * i] = _mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]);
        a[2 * i + 1] = _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]);
    }
    b[0] = _mm256_unpacklo_epi64(a[0], a[2]);
    b[1] = _mm256_unpackhi_epi64(a[0], a[2]);
    b[2] = _mm256_unpacklo_epi64(a[1], a[3]);
    b[3] = _mm256_unpackhi_epi64(a[1], a[3]);
    b[4] = _mm256_unpacklo_epi64(a[4], a[6]);
    b[5] = _mm256_unpackhi_epi64(a[4], a[6]);
    b[6] = _mm256_unpacklo_epi64(a[5], a[7]);
    b[7] = _mm256_unpackhi_epi64(a[5], a[7]);
    for (int i = 0; i < 4; i++) {
        v[i] = _mm256_permute2x128_si256(b[i], b[i + 4], 0x20);
        v[i + 4] = _mm256_permute2x128_si256(b[i], b[i + 4], 0x31);
    }
}

/* lane l: zetas[base + stride * l] (negated for the inverse) */
static inline W zeta_lanes(int base, int stride, bool negate)
{
    W idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(stride));
    W z = _mm256_i32gather_epi32(zetas + base, idx, 4);
    return negate ? _mm256_sub_epi32(_mm256_setzero_si256(), z) : z;
}

void aegis__mldsa87_avx2_ntt(int32_t a[N])
{
    W v[32];
    for (int i = 0; i < 32; i++)
        v[i] = w_load(a + 8 * i);
    unsigned k = 0;
    for (unsigned len = 16; len >= 1; len >>= 1) {   /* distances 128..8 coefficients, in vectors */
        for (unsigned start = 0; start < 32; start += 2 * len) {
            W z = _mm256_set1_epi32(zetas[++k]), zq = qinv_of(z);
            for (unsigned j = start; j < start + len; j++)
                DFWD(v[j], v[j + len], z, zq);
        }
    }
    for (int g = 0; g < 4; g++) {   /* blocks 8g..8g+7, transposed */
        W *u = v + 8 * g;
        transpose8x8(u);
        W z = zeta_lanes(32 + 8 * g, 1, false), zq = qinv_of(z);   /* distance 4 */
        for (int j = 0; j < 4; j++)
            DFWD(u[j], u[j + 4], z, zq);
        for (int p = 0; p < 2; p++) {   /* distance 2: groups (0-3), (4-7) */
            z = zeta_lanes(64 + 16 * g + p, 2, false), zq = qinv_of(z);
            for (int j = 4 * p; j < 4 * p + 2; j++)
                DFWD(u[j], u[j + 2], z, zq);
        }
        for (int p = 0; p < 4; p++) {   /* distance 1 */
            z = zeta_lanes(128 + 32 * g + p, 4, false), zq = qinv_of(z);
            DFWD(u[2 * p], u[2 * p + 1], z, zq);
        }
        transpose8x8(u);
    }
    for (int i = 0; i < 32; i++)
        w_store(a + 8 * i, v[i]);
}

void aegis__mldsa87_avx2_invntt(int32_t a[N])
{
    W v[32];
    for (int i = 0; i < 32; i++)
        v[i] = w_load(a + 8 * i);
    for (int g = 0; g < 4; g++) {
        W *u = v + 8 * g;
        transpose8x8(u);
        for (int p = 0; p < 4; p++) {   /* distance 1: -zetas[255 - 4b - p], b = 8g + l */
            W z = zeta_lanes(255 - 32 * g - p, -4, true), zq = qinv_of(z);
            DINV(u[2 * p], u[2 * p + 1], z, zq);
        }
        for (int p = 0; p < 2; p++) {   /* distance 2: -zetas[127 - 2b - p] */
            W z = zeta_lanes(127 - 16 * g - p, -2, true), zq = qinv_of(z);
            for (int j = 4 * p; j < 4 * p + 2; j++)
                DINV(u[j], u[j + 2], z, zq);
        }
        {   /* distance 4: -zetas[63 - b] */
            W z = zeta_lanes(63 - 8 * g, -1, true), zq = qinv_of(z);
            for (int j = 0; j < 4; j++)
                DINV(u[j], u[j + 4], z, zq);
        }
        transpose8x8(u);
    }
    unsigned k = 32;   /* 255..32 went to the transposed layers */
    for (unsigned len = 1; len <= 16; len <<= 1) {
        for (unsigned start = 0; start < 32; start += 2 * len) {
            W z = _mm256_set1_epi32(-zetas[--k]), zq = qinv_of(z);
            for (unsigned j = start; j < start + len; j++)
                DINV(v[j], v[j + len], z, zq);
        }
    }
    const W f = _mm256_set1_epi32(41978), fq = qinv_of(f);   /* mont^2 / 256 */
    for (int i = 0; i < 32; i++)
        w_store(a + 8 * i, mont_mul(v[i], f, fq));
}

void aegis__mldsa87_avx2_pointwise(int32_t c[N], const int32_t a[N], const int32_t b[N])
{
    for (int i = 0; i < 32; i++) {
        W y = w_load(b + 8 * i);
        w_store(c + 8 * i, mont_mul(w_load(a + 8 * i), y, qinv_of(y)));
    }
}
