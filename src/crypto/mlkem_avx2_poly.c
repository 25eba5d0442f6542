/*
 * mlkem_avx2_poly.c - ML-KEM-1024 polynomial arithmetic in AVX2: sixteen
 * int16 coefficients per vector, Montgomery and Barrett reductions done
 * lane-wise with 16-bit multiply-high instructions.
 *
 * Every routine here computes exactly what its counterpart in PQClean's
 * portable ml-kem-1024/clean computes, bit for bit (the same reductions in
 * the same order, only sixteen at a time), so the two paths can be compared
 * directly on random inputs (test_crypto_mlkem_avx2, fuzz_mlkem) and give
 * identical keys, ciphertexts and shared secrets. Coefficients are kept in
 * the standard order between routines.
 *
 * Techniques (our own code, after reading the Kyber AVX2 literature):
 * - Montgomery product a*b*2^-16 as mulhi(a,b) - mulhi(mullo(a,b)*q^-1, q),
 *   which equals PQClean's montgomery_reduce(a*b) exactly; by a constant
 *   zeta the low product is mullo(a, zeta*q^-1), one multiply fewer.
 * - The NTT's first four layers pair whole vectors. For the last three
 *   (butterfly distances 8, 4, 2) the 16 vectors are transposed as a 16x16
 *   matrix, so those distances also become whole vectors, with a per-lane
 *   zeta table; then transposed back.
 * - Base multiplication pairs (2j, 2j+1) by swapping neighbours with
 *   shufflelo/hi and blending even and odd results.
 *
 * Constant time: no branch and no memory index depends on coefficient
 * values; the only data-dependent control flow in ML-KEM (rejection
 * sampling) is on public matrix bytes and lives in mlkem_avx2_kem.c.
 * Built with -mavx2 -mbmi2 (cmake/pqclean.cmake); called only when
 * aegis__cpu()->level >= AEGIS_CPU_AVX2.
 */
#include <string.h>

#include "mlkem_int.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

#define Q    3329
#define QINV (-3327)   /* q^-1 mod 2^16 */
#define BARRETT_V 20159 /* round(2^26 / q) */

typedef __m256i V;

/* zetas[i] = 17^bitrev7(i) * 2^16 mod q, centred (FIPS 203 sect. 4.3, in Montgomery form) */
static const int16_t zetas[128] = {
    -1044, -758, -359, -1517, 1493, 1422, 287, 202, -171, 622, 1577, 182, 962, -1202, -1474, 1468,
    573, -1325, 264, 383, -829, 1458, -1602, -130, -681, 1017, 732, 608, -1542, 411, -205, -1571,
    1223, 652, -552, 1015, -1293, 1491, -282, -1544, 516, -8, -320, -666, -1618, -1162, 126, 1469,
    -853, -90, -271, 830, 107, -1421, -247, -951, -398, 961, -1508, -725, 448, -1065, 677, -1275,
    -1103, 430, 555, 843, -1251, 871, 1550, 105, 422, 587, 177, -235, -291, -460, 1574, 1653,
    -246, 778, 1159, -147, -777, 1483, -602, 1119, -1590, 644, -872, 349, 418, 329, -156, -75,
    817, 1097, 603, 610, 1322, -1285, -1465, 384, -1215, -136, 1218, -1335, -874, 220, -1187, -1659,
    -1185, -1530, -1278, 794, -1510, -854, -870, 478, -108, -308, 996, 991, 958, -1460, 1522, 1628,
};
/* The last three NTT layers run on transposed blocks: lane b is block b
 * (coefficients 16b..16b+15). Rows: len 8 (one), len 4 (groups 0-1), len 2 (groups 0-3). */
static const int16_t zt_fwd[7][16] __attribute__((aligned(32))) = {
    {573, -1325, 264, 383, -829, 1458, -1602, -130, -681, 1017, 732, 608, -1542, 411, -205, -1571},
    {1223, -552, -1293, -282, 516, -320, -1618, 126, -853, -271, 107, -247, -398, -1508, 448, 677},
    {652, 1015, 1491, -1544, -8, -666, -1162, 1469, -90, 830, -1421, -951, 961, -725, -1065, -1275},
    {-1103, -1251, 422, -291, -246, -777, -1590, 418, 817, 1322, -1215, -874, -1185, -1510, -108, 958},
    {430, 871, 587, -460, 778, 1483, 644, 329, 1097, -1285, -136, 220, -1530, -854, -308, -1460},
    {555, 1550, 177, 1574, 1159, -602, -872, -156, 603, -1465, 1218, -1187, -1278, -870, 996, 1522},
    {843, 105, -235, 1653, -147, 1119, 349, -75, 610, 384, -1335, -1659, 794, 478, 991, 1628},
};

/* inverse: len 2 (groups 0-3), len 4 (groups 0-1), len 8 */
static const int16_t zt_inv[7][16] __attribute__((aligned(32))) = {
    {1628, 991, 478, 794, -1659, -1335, 384, 610, -75, 349, 1119, -147, 1653, -235, 105, 843},
    {1522, 996, -870, -1278, -1187, 1218, -1465, 603, -156, -872, -602, 1159, 1574, 177, 1550, 555},
    {-1460, -308, -854, -1530, 220, -136, -1285, 1097, 329, 644, 1483, 778, -460, 587, 871, 430},
    {958, -108, -1510, -1185, -874, -1215, 1322, 817, 418, -1590, -777, -246, -291, 422, -1251, -1103},
    {-1275, -1065, -725, 961, -951, -1421, 830, -90, 1469, -1162, -666, -8, -1544, 1491, 1015, 652},
    {677, 448, -1508, -398, -247, 107, -271, -853, 126, -1618, -320, 516, -282, -1293, -552, 1223},
    {-1571, -205, 411, -1542, 608, 732, 1017, -681, -130, -1602, 1458, -829, 383, 264, -1325, 573},
};

/* basemul: coefficient pair (2j, 2j+1) of vector v uses +-zetas[64 + 4v + j/2] */
static const int16_t zt_basemul[16][16] __attribute__((aligned(32))) = {
    {-1103, -1103, 1103, 1103, 430, 430, -430, -430, 555, 555, -555, -555, 843, 843, -843, -843},
    {-1251, -1251, 1251, 1251, 871, 871, -871, -871, 1550, 1550, -1550, -1550, 105, 105, -105, -105},
    {422, 422, -422, -422, 587, 587, -587, -587, 177, 177, -177, -177, -235, -235, 235, 235},
    {-291, -291, 291, 291, -460, -460, 460, 460, 1574, 1574, -1574, -1574, 1653, 1653, -1653, -1653},
    {-246, -246, 246, 246, 778, 778, -778, -778, 1159, 1159, -1159, -1159, -147, -147, 147, 147},
    {-777, -777, 777, 777, 1483, 1483, -1483, -1483, -602, -602, 602, 602, 1119, 1119, -1119, -1119},
    {-1590, -1590, 1590, 1590, 644, 644, -644, -644, -872, -872, 872, 872, 349, 349, -349, -349},
    {418, 418, -418, -418, 329, 329, -329, -329, -156, -156, 156, 156, -75, -75, 75, 75},
    {817, 817, -817, -817, 1097, 1097, -1097, -1097, 603, 603, -603, -603, 610, 610, -610, -610},
    {1322, 1322, -1322, -1322, -1285, -1285, 1285, 1285, -1465, -1465, 1465, 1465, 384, 384, -384, -384},
    {-1215, -1215, 1215, 1215, -136, -136, 136, 136, 1218, 1218, -1218, -1218, -1335, -1335, 1335, 1335},
    {-874, -874, 874, 874, 220, 220, -220, -220, -1187, -1187, 1187, 1187, -1659, -1659, 1659, 1659},
    {-1185, -1185, 1185, 1185, -1530, -1530, 1530, 1530, -1278, -1278, 1278, 1278, 794, 794, -794, -794},
    {-1510, -1510, 1510, 1510, -854, -854, 854, 854, -870, -870, 870, 870, 478, 478, -478, -478},
    {-108, -108, 108, 108, -308, -308, 308, 308, 996, 996, -996, -996, 991, 991, -991, -991},
    {958, 958, -958, -958, -1460, -1460, 1460, 1460, 1522, 1522, -1522, -1522, 1628, 1628, -1628, -1628},
};


static inline V load(const int16_t *p) { return _mm256_loadu_si256((const V *)p); }
static inline void store(int16_t *p, V v) { _mm256_storeu_si256((V *)p, v); }
static inline V set1(int16_t x) { return _mm256_set1_epi16(x); }

/* a*b*2^-16 mod q in (-q, q): PQClean's fqmul, sixteen lanes */
static inline V fqmul(V a, V b)
{
    V lo = _mm256_mullo_epi16(a, b);
    V hi = _mm256_mulhi_epi16(a, b);
    V t = _mm256_mulhi_epi16(_mm256_mullo_epi16(lo, set1(QINV)), set1(Q));
    return _mm256_sub_epi16(hi, t);
}

/* the same by a zeta vector z with zq = z*q^-1 (mod 2^16) precomputed */
static inline V fqmul_z(V a, V z, V zq)
{
    V hi = _mm256_mulhi_epi16(a, z);
    V t = _mm256_mulhi_epi16(_mm256_mullo_epi16(a, zq), set1(Q));
    return _mm256_sub_epi16(hi, t);
}

static inline V zq_of(V z)
{
    return _mm256_mullo_epi16(z, set1(QINV));
}

/* PQClean's barrett_reduce: a - q*floor((v*a + 2^25) / 2^26). floor of a
 * floor: (v*a)>>16 first, then (+2^9)>>10, which mulhrs by 32 does. */
static inline V barrett(V a)
{
    V t = _mm256_mulhi_epi16(a, set1(BARRETT_V));
    t = _mm256_mulhrs_epi16(t, set1(32));
    return _mm256_sub_epi16(a, _mm256_mullo_epi16(t, set1(Q)));
}

/* forward butterfly: t = zeta*b; (a, b) <- (a + t, a - t) */
#define FWD(a, b, z, zq) do { V t_ = fqmul_z(b, z, zq); b = _mm256_sub_epi16(a, t_); a = _mm256_add_epi16(a, t_); } while (0)
/* inverse butterfly: (a, b) <- (barrett(a + b), zeta*(b - a)) */
#define INV(a, b, z, zq) do { V t_ = a; a = barrett(_mm256_add_epi16(t_, b)); b = fqmul_z(_mm256_sub_epi16(b, t_), z, zq); } while (0)

/* 16x16 transpose of int16 (its own inverse): three rounds of in-lane
 * unpacks transpose the two 8x8 halves of each half of the rows, one
 * round of 128-bit permutes exchanges the halves. */
static inline void transpose8(V c[8], const V r[8])
{
    V a[8], b[8];
    for (int i = 0; i < 4; i++) {
        a[2 * i] = _mm256_unpacklo_epi16(r[2 * i], r[2 * i + 1]);
        a[2 * i + 1] = _mm256_unpackhi_epi16(r[2 * i], r[2 * i + 1]);
    }
    b[0] = _mm256_unpacklo_epi32(a[0], a[2]);
    b[1] = _mm256_unpackhi_epi32(a[0], a[2]);
    b[2] = _mm256_unpacklo_epi32(a[1], a[3]);
    b[3] = _mm256_unpackhi_epi32(a[1], a[3]);
    b[4] = _mm256_unpacklo_epi32(a[4], a[6]);
    b[5] = _mm256_unpackhi_epi32(a[4], a[6]);
    b[6] = _mm256_unpacklo_epi32(a[5], a[7]);
    b[7] = _mm256_unpackhi_epi32(a[5], a[7]);
    for (int i = 0; i < 4; i++) {
        c[2 * i] = _mm256_unpacklo_epi64(b[i], b[i + 4]);
        c[2 * i + 1] = _mm256_unpackhi_epi64(b[i], b[i + 4]);
    }
}

static inline void transpose16(V v[16])
{
    V c[8], d[8];
    transpose8(c, v);
    transpose8(d, v + 8);
    for (int k = 0; k < 8; k++) {
        v[k] = _mm256_permute2x128_si256(c[k], d[k], 0x20);
        v[8 + k] = _mm256_permute2x128_si256(c[k], d[k], 0x31);
    }
}

void aegis__mlkem_avx2_ntt(int16_t r[256])
{
    V v[16];
    for (int i = 0; i < 16; i++)
        v[i] = load(r + 16 * i);
    unsigned k = 1;
    for (unsigned len = 8; len >= 1; len >>= 1) {   /* distances 128..16 coefficients, in vectors */
        for (unsigned start = 0; start < 16; start += 2 * len) {
            V z = set1(zetas[k++]), zq = zq_of(z);
            for (unsigned j = start; j < start + len; j++)
                FWD(v[j], v[j + len], z, zq);
        }
    }
    transpose16(v);
    {   /* distance 8: lane b holds block b, one zeta per block */
        V z = load(zt_fwd[0]), zq = zq_of(z);
        for (int j = 0; j < 8; j++)
            FWD(v[j], v[j + 8], z, zq);
    }
    for (int g = 0; g < 2; g++) {   /* distance 4 */
        V z = load(zt_fwd[1 + g]), zq = zq_of(z);
        for (int j = 8 * g; j < 8 * g + 4; j++)
            FWD(v[j], v[j + 4], z, zq);
    }
    for (int g = 0; g < 4; g++) {   /* distance 2 */
        V z = load(zt_fwd[3 + g]), zq = zq_of(z);
        for (int j = 4 * g; j < 4 * g + 2; j++)
            FWD(v[j], v[j + 2], z, zq);
    }
    for (int i = 0; i < 16; i++)   /* poly_ntt's poly_reduce */
        v[i] = barrett(v[i]);
    transpose16(v);
    for (int i = 0; i < 16; i++)
        store(r + 16 * i, v[i]);
}

void aegis__mlkem_avx2_invntt(int16_t r[256])
{
    V v[16];
    for (int i = 0; i < 16; i++)
        v[i] = load(r + 16 * i);
    transpose16(v);
    for (int g = 0; g < 4; g++) {   /* distance 2 */
        V z = load(zt_inv[g]), zq = zq_of(z);
        for (int j = 4 * g; j < 4 * g + 2; j++)
            INV(v[j], v[j + 2], z, zq);
    }
    for (int g = 0; g < 2; g++) {   /* distance 4 */
        V z = load(zt_inv[4 + g]), zq = zq_of(z);
        for (int j = 8 * g; j < 8 * g + 4; j++)
            INV(v[j], v[j + 4], z, zq);
    }
    {   /* distance 8 */
        V z = load(zt_inv[6]), zq = zq_of(z);
        for (int j = 0; j < 8; j++)
            INV(v[j], v[j + 8], z, zq);
    }
    transpose16(v);
    unsigned k = 15;   /* PQClean walks zetas down from 127; 16..127 went to the transposed layers */
    for (unsigned len = 1; len <= 8; len <<= 1) {
        for (unsigned start = 0; start < 16; start += 2 * len) {
            V z = set1(zetas[k--]), zq = zq_of(z);
            for (unsigned j = start; j < start + len; j++)
                INV(v[j], v[j + len], z, zq);
        }
    }
    V f = set1(1441), fq = zq_of(f);   /* mont^2 / 128 */
    for (int i = 0; i < 16; i++)
        store(r + 16 * i, fqmul_z(v[i], f, fq));
}

/* swap neighbours: (x0 x1 x2 x3 ...) -> (x1 x0 x3 x2 ...) */
static inline V swap_pairs(V x)
{
    return _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(x, 0xB1), 0xB1);
}

/* PQClean's basemul on sixteen coefficients (four pairs with +zeta, four with -zeta) */
static inline V basemul16(V a, V b, V z, V zq)
{
    V p = fqmul(a, b);                  /* a0b0, a1b1 */
    V s = fqmul(a, swap_pairs(b));      /* a0b1, a1b0 */
    V even = _mm256_add_epi16(fqmul_z(swap_pairs(p), z, zq), p);   /* fqmul(a1b1, zeta) + a0b0 */
    V odd = _mm256_add_epi16(s, swap_pairs(s));                     /* a0b1 + a1b0 */
    return _mm256_blend_epi16(even, odd, 0xAA);
}

void aegis__mlkem_avx2_basemul(int16_t r[256], const int16_t a[256], const int16_t b[256])
{
    for (int i = 0; i < 16; i++) {
        V z = load(zt_basemul[i]);
        store(r + 16 * i, basemul16(load(a + 16 * i), load(b + 16 * i), z, zq_of(z)));
    }
}

/* PQClean's polyvec_basemul_acc_montgomery: sum of K base products, then poly_reduce */
void aegis__mlkem_avx2_basemul_acc(int16_t r[256], const int16_t (*a)[256], const int16_t (*b)[256])
{
    for (int i = 0; i < 16; i++) {
        V z = load(zt_basemul[i]), zq = zq_of(z);
        V acc = basemul16(load(a[0] + 16 * i), load(b[0] + 16 * i), z, zq);
        for (int k = 1; k < AEGIS_MLKEM_K; k++)
            acc = _mm256_add_epi16(acc, basemul16(load(a[k] + 16 * i), load(b[k] + 16 * i), z, zq));
        store(r + 16 * i, barrett(acc));
    }
}

void aegis__mlkem_avx2_reduce(int16_t r[256])
{
    for (int i = 0; i < 16; i++)
        store(r + 16 * i, barrett(load(r + 16 * i)));
}

void aegis__mlkem_avx2_tomont(int16_t r[256])
{
    V f = set1(1353), fq = zq_of(f);   /* 2^32 mod q */
    for (int i = 0; i < 16; i++)
        store(r + 16 * i, fqmul_z(load(r + 16 * i), f, fq));
}

/* r = reduce(a + b) and friends, as the indcpa layer combines them */
void aegis__mlkem_avx2_add_reduce(int16_t r[256], const int16_t a[256], const int16_t b[256])
{
    for (int i = 0; i < 16; i++)
        store(r + 16 * i, barrett(_mm256_add_epi16(load(a + 16 * i), load(b + 16 * i))));
}

void aegis__mlkem_avx2_add3_reduce(int16_t r[256], const int16_t a[256], const int16_t b[256],
                                   const int16_t c[256])
{
    for (int i = 0; i < 16; i++) {
        V s = _mm256_add_epi16(_mm256_add_epi16(load(a + 16 * i), load(b + 16 * i)), load(c + 16 * i));
        store(r + 16 * i, barrett(s));
    }
}

void aegis__mlkem_avx2_sub_reduce(int16_t r[256], const int16_t a[256], const int16_t b[256])
{
    for (int i = 0; i < 16; i++)
        store(r + 16 * i, barrett(_mm256_sub_epi16(load(a + 16 * i), load(b + 16 * i))));
}

/* coefficients in (-q, q) to [0, q) */
static inline V to_positive(V a)
{
    return _mm256_add_epi16(a, _mm256_and_si256(_mm256_srai_epi16(a, 15), set1(Q)));
}

/* ByteEncode12: sixteen coefficients to 24 bytes. Pairs become one 24-bit
 * value per 32-bit lane (madd by 1, 2^12); a byte shuffle keeps three bytes
 * of each; a dword permute closes the gap between the two 128-bit lanes. */
void aegis__mlkem_avx2_tobytes(uint8_t out[384], const int16_t a[256])
{
    const V mul = _mm256_set1_epi32(1 | (4096 << 16));
    const V shuf = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                                    0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    const V perm = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    for (int i = 0; i < 16; i++) {
        V w = _mm256_madd_epi16(to_positive(load(a + 16 * i)), mul);
        w = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(w, shuf), perm);
        _mm_storeu_si128((__m128i *)(out + 24 * i), _mm256_castsi256_si128(w));
        _mm_storel_epi64((__m128i *)(out + 24 * i + 16), _mm256_extracti128_si256(w, 1));
    }
}

/* ByteDecode12 (no reduction mod q, like PQClean: the key checks do that) */
void aegis__mlkem_avx2_frombytes(int16_t r[256], const uint8_t in[384])
{
    const V perm = _mm256_setr_epi32(0, 1, 2, 0, 3, 4, 5, 0);
    const V shuf = _mm256_setr_epi8(0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11,
                                    0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11);
    for (int i = 0; i < 16; i++) {
        __m128i lo = _mm_loadu_si128((const __m128i *)(in + 24 * i));
        __m128i hi = _mm_loadl_epi64((const __m128i *)(in + 24 * i + 16));
        V x = _mm256_permutevar8x32_epi32(_mm256_set_m128i(hi, lo), perm);
        x = _mm256_shuffle_epi8(x, shuf);
        V even = _mm256_and_si256(x, set1(0xFFF));
        V odd = _mm256_srli_epi16(x, 4);
        store(r + 16 * i, _mm256_blend_epi16(even, odd, 0xAA));
    }
}

/* Compress_11 of one polynomial's coefficients, as PQClean computes it:
 * ((u << 11) + 1664) * 645084 >> 31 in 64 bits, on even and odd dwords */
static inline V compress11_32(V u)
{
    const V m = _mm256_set1_epi64x(645084);
    V d = _mm256_add_epi32(_mm256_slli_epi32(u, 11), _mm256_set1_epi32(1664));
    V ev = _mm256_srli_epi64(_mm256_mul_epu32(d, m), 31);
    V od = _mm256_srli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(d, 32), m), 31);
    return _mm256_and_si256(_mm256_blend_epi32(ev, _mm256_slli_epi64(od, 32), 0xAA), _mm256_set1_epi32(0x7ff));
}

void aegis__mlkem_avx2_compress11(uint8_t out[352], const int16_t a[256])
{
    _Alignas(32) uint16_t t[256];
    for (int i = 0; i < 16; i++) {
        V u = to_positive(load(a + 16 * i));
        V lo = compress11_32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(u)));
        V hi = compress11_32(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(u, 1)));
        store((int16_t *)t + 16 * i, _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xD8));
    }
    /* 8 x 11 bits = 88 bits: two 44-bit halves from a 64-bit word each */
    for (int j = 0; j < 32; j++) {
        const uint16_t *s = t + 8 * j;
        uint64_t w0 = s[0] | (uint64_t)s[1] << 11 | (uint64_t)s[2] << 22 | (uint64_t)s[3] << 33;
        uint64_t w1 = s[4] | (uint64_t)s[5] << 11 | (uint64_t)s[6] << 22 | (uint64_t)s[7] << 33;
        uint64_t lo = w0 | w1 << 44;
        uint32_t hi = (uint32_t)(w1 >> 20);
        memcpy(out + 11 * j, &lo, 8);
        out[11 * j + 8] = (uint8_t)hi;
        out[11 * j + 9] = (uint8_t)(hi >> 8);
        out[11 * j + 10] = (uint8_t)(hi >> 16);
    }
    aegis_memzero(t, sizeof(t));
}

/* Decompress_11: 8 coefficients per 11 bytes; each dword gathers the four
 * bytes from floor(11j/8), a variable shift and mask isolate the field,
 * then (x*q + 1024) >> 11 is mulhrs(x << 4, q). in must allow 16-byte reads
 * at offset 11j for every j < 32 (it is inside a ciphertext, or padded). */
void aegis__mlkem_avx2_decompress11(int16_t r[256], const uint8_t *in)
{
    const V shuf = _mm256_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 4, 5, 6, 7,
                                    5, 6, 7, 8, 6, 7, 8, 9, 8, 9, 10, 11, 9, 10, 11, 12);
    const V sh = _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5);
    for (int i = 0; i < 16; i++) {
        V x0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(in + 22 * i)));
        V x1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(in + 22 * i + 11)));
        x0 = _mm256_and_si256(_mm256_srlv_epi32(_mm256_shuffle_epi8(x0, shuf), sh), _mm256_set1_epi32(0x7ff));
        x1 = _mm256_and_si256(_mm256_srlv_epi32(_mm256_shuffle_epi8(x1, shuf), sh), _mm256_set1_epi32(0x7ff));
        V x = _mm256_permute4x64_epi64(_mm256_packus_epi32(x0, x1), 0xD8);
        store(r + 16 * i, _mm256_mulhrs_epi16(_mm256_slli_epi16(x, 4), set1(Q)));
    }
}

/* Compress_5 (PQClean's 32-bit arithmetic, wrap included) and packing */
void aegis__mlkem_avx2_compress5(uint8_t out[160], const int16_t a[256])
{
    _Alignas(32) uint16_t t[256];
    for (int i = 0; i < 16; i++) {
        V u = to_positive(load(a + 16 * i));
        V w[2] = {_mm256_cvtepu16_epi32(_mm256_castsi256_si128(u)), _mm256_cvtepu16_epi32(_mm256_extracti128_si256(u, 1))};
        for (int h = 0; h < 2; h++) {
            V d = _mm256_add_epi32(_mm256_slli_epi32(w[h], 5), _mm256_set1_epi32(1664));
            d = _mm256_mullo_epi32(d, _mm256_set1_epi32(40318));
            w[h] = _mm256_and_si256(_mm256_srli_epi32(d, 27), _mm256_set1_epi32(31));
        }
        store((int16_t *)t + 16 * i, _mm256_permute4x64_epi64(_mm256_packus_epi32(w[0], w[1]), 0xD8));
    }
    for (int j = 0; j < 32; j++) {
        const uint16_t *s = t + 8 * j;
        uint64_t w = 0;
        for (int k = 0; k < 8; k++)
            w |= (uint64_t)s[k] << (5 * k);
        for (int k = 0; k < 5; k++)
            out[5 * j + k] = (uint8_t)(w >> (8 * k));
    }
    aegis_memzero(t, sizeof(t));
}

/* Decompress_5 of 160 bytes (copied into a padded buffer: the 16-byte reads
 * would run past the ciphertext's end) */
void aegis__mlkem_avx2_decompress5(int16_t r[256], const uint8_t in[160])
{
    uint8_t buf[176] = {0};
    memcpy(buf, in, 160);
    const V shuf = _mm256_setr_epi8(0, 1, 2, 3, 0, 1, 2, 3, 1, 2, 3, 4, 1, 2, 3, 4,
                                    2, 3, 4, 5, 3, 4, 5, 6, 3, 4, 5, 6, 4, 5, 6, 7);
    const V sh = _mm256_setr_epi32(0, 5, 2, 7, 4, 1, 6, 3);
    for (int i = 0; i < 16; i++) {
        V x0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(buf + 10 * i)));
        V x1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(buf + 10 * i + 5)));
        x0 = _mm256_and_si256(_mm256_srlv_epi32(_mm256_shuffle_epi8(x0, shuf), sh), _mm256_set1_epi32(31));
        x1 = _mm256_and_si256(_mm256_srlv_epi32(_mm256_shuffle_epi8(x1, shuf), sh), _mm256_set1_epi32(31));
        V x = _mm256_permute4x64_epi64(_mm256_packus_epi32(x0, x1), 0xD8);
        store(r + 16 * i, _mm256_mulhrs_epi16(_mm256_slli_epi16(x, 10), set1(Q)));
    }
}

/* poly_frommsg: bit j of the message -> (q+1)/2 or 0, by mask, no branch */
void aegis__mlkem_avx2_frommsg(int16_t r[256], const uint8_t msg[32])
{
    const V bits = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
    for (int i = 0; i < 16; i++) {
        V b = _mm256_set_m128i(_mm_set1_epi16(msg[2 * i + 1]), _mm_set1_epi16(msg[2 * i]));
        V m = _mm256_cmpeq_epi16(_mm256_and_si256(b, bits), bits);
        store(r + 16 * i, _mm256_and_si256(m, set1((Q + 1) / 2)));
    }
}

/* poly_tomsg with PQClean's uint32 arithmetic on the sign-extended
 * coefficient: ((u << 1) + 1665) * 80635 >> 28 & 1; movemask packs bits */
void aegis__mlkem_avx2_tomsg(uint8_t msg[32], const int16_t a[256])
{
    for (int i = 0; i < 32; i++) {
        V u = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(a + 8 * i)));
        V t = _mm256_add_epi32(_mm256_slli_epi32(u, 1), _mm256_set1_epi32(1665));
        t = _mm256_mullo_epi32(t, _mm256_set1_epi32(80635));
        t = _mm256_slli_epi32(_mm256_srli_epi32(t, 28), 31);   /* bit 0 to the sign bit */
        msg[i] = (uint8_t)_mm256_movemask_ps(_mm256_castsi256_ps(t));
    }
}

/* CBD_2 from 128 bytes: per byte, the two-bit sums a, b of each nibble give
 * a - b; low nibble is coefficient 2k, high nibble 2k+1 */
void aegis__mlkem_avx2_cbd2(int16_t r[256], const uint8_t buf[128])
{
    const V m55 = _mm256_set1_epi8(0x55), m3 = _mm256_set1_epi8(3);
    for (int i = 0; i < 4; i++) {
        V x = _mm256_loadu_si256((const V *)(buf + 32 * i));
        V d = _mm256_add_epi8(_mm256_and_si256(x, m55), _mm256_and_si256(_mm256_srli_epi16(x, 1), m55));
        V lo = _mm256_sub_epi8(_mm256_and_si256(d, m3), _mm256_and_si256(_mm256_srli_epi16(d, 2), m3));
        V hi = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(d, 4), m3),
                               _mm256_and_si256(_mm256_srli_epi16(d, 6), m3));
        V u0 = _mm256_unpacklo_epi8(lo, hi), u1 = _mm256_unpackhi_epi8(lo, hi);
        int16_t *o = r + 64 * i;
        store(o, _mm256_cvtepi8_epi16(_mm256_castsi256_si128(u0)));
        store(o + 16, _mm256_cvtepi8_epi16(_mm256_castsi256_si128(u1)));
        store(o + 32, _mm256_cvtepi8_epi16(_mm256_extracti128_si256(u0, 1)));
        store(o + 48, _mm256_cvtepi8_epi16(_mm256_extracti128_si256(u1, 1)));
    }
}

#endif
