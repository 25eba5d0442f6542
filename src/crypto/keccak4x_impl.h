/*
 * keccak4x_impl.h - four Keccak-f[1600] permutations at once, one instance per
 * 64-bit lane of a 256-bit vector. Included by keccak4x_avx2.c (shifts and
 * and-not) and keccak4x_avx512.c (AVX-512VL rotate and three-input logic on
 * the same 256-bit vectors, and 32 vector registers so the 25 lanes plus
 * temporaries mostly stay in registers). Each includer defines V, XOR, XOR5,
 * ROL, CHI and KX4_NAME first.
 *
 * The state is lane-interleaved: s[4 * i + k] is lane i (x + 5y) of
 * instance k, so loading lane i of all four is one aligned vector load.
 * The data is public or secret alike (seeds of secret noise pass through
 * here): the code has no branch and no memory index that depends on it.
 */

static const uint64_t kx4_rc[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808Aull, 0x8000000080008000ull,
    0x000000000000808Bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008Aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000Aull,
    0x000000008000808Bull, 0x800000000000008Bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800Aull, 0x800000008000000Aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

/* One Keccak-f[1600] round from the lanes S##0..S##24 (index x + 5y) into
 * D##0..D##24: theta's column parities and D values, then for each output
 * row the five rho+pi inputs (B[y + 5((2x+3y) mod 5)] = rot(A[x+5y] ^ D[x],
 * r[x+5y])) and chi at once, so only five B values are live; iota last.
 * Rounds alternate S and D, so no state is copied. */
#define KX4_ROUND(S, D, rc) do { \
    V c0 = XOR5(S##0, S##5, S##10, S##15, S##20); \
    V c1 = XOR5(S##1, S##6, S##11, S##16, S##21); \
    V c2 = XOR5(S##2, S##7, S##12, S##17, S##22); \
    V c3 = XOR5(S##3, S##8, S##13, S##18, S##23); \
    V c4 = XOR5(S##4, S##9, S##14, S##19, S##24); \
    V d0 = XOR(c4, ROL(c1, 1)); \
    V d1 = XOR(c0, ROL(c2, 1)); \
    V d2 = XOR(c1, ROL(c3, 1)); \
    V d3 = XOR(c2, ROL(c4, 1)); \
    V d4 = XOR(c3, ROL(c0, 1)); \
    { \
        V b0 = XOR(S##0, d0); \
        V b1 = ROL(XOR(S##6, d1), 44); \
        V b2 = ROL(XOR(S##12, d2), 43); \
        V b3 = ROL(XOR(S##18, d3), 21); \
        V b4 = ROL(XOR(S##24, d4), 14); \
        D##0 = CHI(b0, b1, b2); \
        D##1 = CHI(b1, b2, b3); \
        D##2 = CHI(b2, b3, b4); \
        D##3 = CHI(b3, b4, b0); \
        D##4 = CHI(b4, b0, b1); \
    } \
    { \
        V b0 = ROL(XOR(S##3, d3), 28); \
        V b1 = ROL(XOR(S##9, d4), 20); \
        V b2 = ROL(XOR(S##10, d0), 3); \
        V b3 = ROL(XOR(S##16, d1), 45); \
        V b4 = ROL(XOR(S##22, d2), 61); \
        D##5 = CHI(b0, b1, b2); \
        D##6 = CHI(b1, b2, b3); \
        D##7 = CHI(b2, b3, b4); \
        D##8 = CHI(b3, b4, b0); \
        D##9 = CHI(b4, b0, b1); \
    } \
    { \
        V b0 = ROL(XOR(S##1, d1), 1); \
        V b1 = ROL(XOR(S##7, d2), 6); \
        V b2 = ROL(XOR(S##13, d3), 25); \
        V b3 = ROL(XOR(S##19, d4), 8); \
        V b4 = ROL(XOR(S##20, d0), 18); \
        D##10 = CHI(b0, b1, b2); \
        D##11 = CHI(b1, b2, b3); \
        D##12 = CHI(b2, b3, b4); \
        D##13 = CHI(b3, b4, b0); \
        D##14 = CHI(b4, b0, b1); \
    } \
    { \
        V b0 = ROL(XOR(S##4, d4), 27); \
        V b1 = ROL(XOR(S##5, d0), 36); \
        V b2 = ROL(XOR(S##11, d1), 10); \
        V b3 = ROL(XOR(S##17, d2), 15); \
        V b4 = ROL(XOR(S##23, d3), 56); \
        D##15 = CHI(b0, b1, b2); \
        D##16 = CHI(b1, b2, b3); \
        D##17 = CHI(b2, b3, b4); \
        D##18 = CHI(b3, b4, b0); \
        D##19 = CHI(b4, b0, b1); \
    } \
    { \
        V b0 = ROL(XOR(S##2, d2), 62); \
        V b1 = ROL(XOR(S##8, d3), 55); \
        V b2 = ROL(XOR(S##14, d4), 39); \
        V b3 = ROL(XOR(S##15, d0), 41); \
        V b4 = ROL(XOR(S##21, d1), 2); \
        D##20 = CHI(b0, b1, b2); \
        D##21 = CHI(b1, b2, b3); \
        D##22 = CHI(b2, b3, b4); \
        D##23 = CHI(b3, b4, b0); \
        D##24 = CHI(b4, b0, b1); \
    } \
    D##0 = XOR(D##0, rc); \
} while (0)

void KX4_NAME(uint64_t s[100])
{
    __m256i *p = (__m256i *)s;
    V a0 = p[0], a1 = p[1], a2 = p[2], a3 = p[3], a4 = p[4];
    V a5 = p[5], a6 = p[6], a7 = p[7], a8 = p[8], a9 = p[9];
    V a10 = p[10], a11 = p[11], a12 = p[12], a13 = p[13], a14 = p[14];
    V a15 = p[15], a16 = p[16], a17 = p[17], a18 = p[18], a19 = p[19];
    V a20 = p[20], a21 = p[21], a22 = p[22], a23 = p[23], a24 = p[24];
    V e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15, e16, e17, e18, e19, e20, e21,
        e22, e23, e24;
    for (int r = 0; r < 24; r += 6) {   /* six rounds a step: see keccak4x_avx512.c */
        KX4_ROUND(a, e, _mm256_set1_epi64x((long long)kx4_rc[r]));
        KX4_ROUND(e, a, _mm256_set1_epi64x((long long)kx4_rc[r + 1]));
        KX4_ROUND(a, e, _mm256_set1_epi64x((long long)kx4_rc[r + 2]));
        KX4_ROUND(e, a, _mm256_set1_epi64x((long long)kx4_rc[r + 3]));
        KX4_ROUND(a, e, _mm256_set1_epi64x((long long)kx4_rc[r + 4]));
        KX4_ROUND(e, a, _mm256_set1_epi64x((long long)kx4_rc[r + 5]));
    }
    p[0] = a0; p[1] = a1; p[2] = a2; p[3] = a3; p[4] = a4;
    p[5] = a5; p[6] = a6; p[7] = a7; p[8] = a8; p[9] = a9;
    p[10] = a10; p[11] = a11; p[12] = a12; p[13] = a13; p[14] = a14;
    p[15] = a15; p[16] = a16; p[17] = a17; p[18] = a18; p[19] = a19;
    p[20] = a20; p[21] = a21; p[22] = a22; p[23] = a23; p[24] = a24;
}
