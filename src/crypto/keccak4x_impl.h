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

/* one Keccak-f[1600] round on the lanes a0..a24 (index x + 5y); generated once, by hand-checked rule:
 * theta, then rho+pi (B[y + 5((2x+3y) mod 5)] = rot(A[x+5y] ^ D[x], r[x+5y])), chi, iota */
#define KX4_ROUND(rc) do { \
    V c0 = XOR5(a0, a5, a10, a15, a20); \
    V c1 = XOR5(a1, a6, a11, a16, a21); \
    V c2 = XOR5(a2, a7, a12, a17, a22); \
    V c3 = XOR5(a3, a8, a13, a18, a23); \
    V c4 = XOR5(a4, a9, a14, a19, a24); \
    V d0 = XOR(c4, ROL(c1, 1)); \
    V d1 = XOR(c0, ROL(c2, 1)); \
    V d2 = XOR(c1, ROL(c3, 1)); \
    V d3 = XOR(c2, ROL(c4, 1)); \
    V d4 = XOR(c3, ROL(c0, 1)); \
    V b0 = XOR(a0, d0); \
    V b10 = ROL(XOR(a1, d1), 1); \
    V b20 = ROL(XOR(a2, d2), 62); \
    V b5 = ROL(XOR(a3, d3), 28); \
    V b15 = ROL(XOR(a4, d4), 27); \
    V b16 = ROL(XOR(a5, d0), 36); \
    V b1 = ROL(XOR(a6, d1), 44); \
    V b11 = ROL(XOR(a7, d2), 6); \
    V b21 = ROL(XOR(a8, d3), 55); \
    V b6 = ROL(XOR(a9, d4), 20); \
    V b7 = ROL(XOR(a10, d0), 3); \
    V b17 = ROL(XOR(a11, d1), 10); \
    V b2 = ROL(XOR(a12, d2), 43); \
    V b12 = ROL(XOR(a13, d3), 25); \
    V b22 = ROL(XOR(a14, d4), 39); \
    V b23 = ROL(XOR(a15, d0), 41); \
    V b8 = ROL(XOR(a16, d1), 45); \
    V b18 = ROL(XOR(a17, d2), 15); \
    V b3 = ROL(XOR(a18, d3), 21); \
    V b13 = ROL(XOR(a19, d4), 8); \
    V b14 = ROL(XOR(a20, d0), 18); \
    V b24 = ROL(XOR(a21, d1), 2); \
    V b9 = ROL(XOR(a22, d2), 61); \
    V b19 = ROL(XOR(a23, d3), 56); \
    V b4 = ROL(XOR(a24, d4), 14); \
    a0 = CHI(b0, b1, b2); \
    a1 = CHI(b1, b2, b3); \
    a2 = CHI(b2, b3, b4); \
    a3 = CHI(b3, b4, b0); \
    a4 = CHI(b4, b0, b1); \
    a5 = CHI(b5, b6, b7); \
    a6 = CHI(b6, b7, b8); \
    a7 = CHI(b7, b8, b9); \
    a8 = CHI(b8, b9, b5); \
    a9 = CHI(b9, b5, b6); \
    a10 = CHI(b10, b11, b12); \
    a11 = CHI(b11, b12, b13); \
    a12 = CHI(b12, b13, b14); \
    a13 = CHI(b13, b14, b10); \
    a14 = CHI(b14, b10, b11); \
    a15 = CHI(b15, b16, b17); \
    a16 = CHI(b16, b17, b18); \
    a17 = CHI(b17, b18, b19); \
    a18 = CHI(b18, b19, b15); \
    a19 = CHI(b19, b15, b16); \
    a20 = CHI(b20, b21, b22); \
    a21 = CHI(b21, b22, b23); \
    a22 = CHI(b22, b23, b24); \
    a23 = CHI(b23, b24, b20); \
    a24 = CHI(b24, b20, b21); \
    a0 = XOR(a0, rc); \
} while (0)

void KX4_NAME(uint64_t s[100])
{
    __m256i *p = (__m256i *)s;
    V a0 = p[0], a1 = p[1], a2 = p[2], a3 = p[3], a4 = p[4];
    V a5 = p[5], a6 = p[6], a7 = p[7], a8 = p[8], a9 = p[9];
    V a10 = p[10], a11 = p[11], a12 = p[12], a13 = p[13], a14 = p[14];
    V a15 = p[15], a16 = p[16], a17 = p[17], a18 = p[18], a19 = p[19];
    V a20 = p[20], a21 = p[21], a22 = p[22], a23 = p[23], a24 = p[24];
    for (int r = 0; r < 24; r++)
        KX4_ROUND(_mm256_set1_epi64x((long long)kx4_rc[r]));
    p[0] = a0; p[1] = a1; p[2] = a2; p[3] = a3; p[4] = a4;
    p[5] = a5; p[6] = a6; p[7] = a7; p[8] = a8; p[9] = a9;
    p[10] = a10; p[11] = a11; p[12] = a12; p[13] = a13; p[14] = a14;
    p[15] = a15; p[16] = a16; p[17] = a17; p[18] = a18; p[19] = a19;
    p[20] = a20; p[21] = a21; p[22] = a22; p[23] = a23; p[24] = a24;
}
