/*
 * fuzz_mlkem.c - the vectorised ML-KEM-1024 (src/crypto/mlkem_avx2_*.c)
 * against PQClean's portable code on fuzzer-chosen inputs: any difference
 * aborts. Every vector routine equals its PQClean counterpart for every
 * int16 input (the same wrapping arithmetic), so raw bytes are used as
 * coefficients without range limits.
 *
 * The first byte picks what the rest feeds:
 *   0: a ciphertext (zero-padded to 1568 bytes) decapsulated under a fixed
 *      key by both (implicit rejection included), prepared key too
 *   1: coefficients: NTT, inverse NTT, base multiplication, reductions
 *   2: bytes: ByteDecode12, Decompress_11 / _5, CBD_2, rejection sampling,
 *      then ByteEncode12 / Compress_11 / _5 / message of the decoded values
 *   3: seeds d, z, m (zero-padded): keygen and encaps by both
 *   4: a matrix seed rho: gen_matrix (both orders) and noise sampling
 * Does nothing on CPUs without AVX2.
 */
#include <stdlib.h>
#include <string.h>

#include "aegis/crypto.h"

#include "../src/crypto/mlkem_int.h"

#include "cbd.h"
#include "indcpa.h"
#include "kem.h"
#include "poly.h"
#include "polyvec.h"

#define SAME(a, b, n) do { if (memcmp((a), (b), (n)) != 0) abort(); } while (0)

static void take(uint8_t *out, size_t n, const uint8_t *data, size_t size)
{
    memset(out, 0, n);
    memcpy(out, data, size < n ? size : n);
}

static void ciphertext(const uint8_t *data, size_t size)
{
    static uint8_t ek[AEGIS_MLKEM1024_EK_BYTES], dk[AEGIS_MLKEM1024_DK_BYTES];
    static struct aegis__mlkem_prepared prep;
    static bool ready;
    if (!ready) {
        uint8_t dz[64];
        for (int i = 0; i < 64; i++)
            dz[i] = (uint8_t)(i * 37 + 1);
        PQCLEAN_MLKEM1024_CLEAN_crypto_kem_keypair_derand(ek, dk, dz);
        aegis__mlkem_avx2_prepare(&prep, dk);
        ready = true;
    }
    uint8_t ct[AEGIS_MLKEM1024_CT_BYTES], s1[32], s2[32];
    take(ct, sizeof(ct), data, size);
    PQCLEAN_MLKEM1024_CLEAN_crypto_kem_dec(s1, ct, dk);
    aegis__mlkem_avx2_dec(s2, ct, &prep);
    SAME(s1, s2, 32);
    aegis__mlkem_avx2_dec_dk(s2, ct, dk);
    SAME(s1, s2, 32);
}

static void arithmetic(const uint8_t *data, size_t size)
{
    poly a, b, r1;
    _Alignas(32) int16_t x[256], y[256], r2[256];
    take((uint8_t *)a.coeffs, sizeof(a.coeffs), data, size);
    take((uint8_t *)b.coeffs, sizeof(b.coeffs), size > 512 ? data + 512 : data, size > 512 ? size - 512 : size);
    memcpy(x, a.coeffs, 512);
    memcpy(y, b.coeffs, 512);
    r1 = a;
    memcpy(r2, x, 512);
    PQCLEAN_MLKEM1024_CLEAN_poly_ntt(&r1);
    aegis__mlkem_avx2_ntt(r2);
    SAME(r1.coeffs, r2, 512);
    r1 = a;
    memcpy(r2, x, 512);
    PQCLEAN_MLKEM1024_CLEAN_poly_invntt_tomont(&r1);
    aegis__mlkem_avx2_invntt(r2);
    SAME(r1.coeffs, r2, 512);
    PQCLEAN_MLKEM1024_CLEAN_poly_basemul_montgomery(&r1, &a, &b);
    aegis__mlkem_avx2_basemul(r2, x, y);
    SAME(r1.coeffs, r2, 512);
    r1 = a;
    memcpy(r2, x, 512);
    PQCLEAN_MLKEM1024_CLEAN_poly_reduce(&r1);
    aegis__mlkem_avx2_reduce(r2);
    SAME(r1.coeffs, r2, 512);
    r1 = a;
    memcpy(r2, x, 512);
    PQCLEAN_MLKEM1024_CLEAN_poly_tomont(&r1);
    aegis__mlkem_avx2_tomont(r2);
    SAME(r1.coeffs, r2, 512);
    PQCLEAN_MLKEM1024_CLEAN_poly_sub(&r1, &a, &b);
    PQCLEAN_MLKEM1024_CLEAN_poly_reduce(&r1);
    aegis__mlkem_avx2_sub_reduce(r2, x, y);
    SAME(r1.coeffs, r2, 512);
}

static void coding(const uint8_t *data, size_t size)
{
    uint8_t in[384 + 16], o1[384], o2[384];
    poly r1;
    polyvec v;
    _Alignas(32) int16_t r2[256];
    take(in, sizeof(in), data, size);
    PQCLEAN_MLKEM1024_CLEAN_poly_frombytes(&r1, in);
    aegis__mlkem_avx2_frombytes(r2, in);
    SAME(r1.coeffs, r2, 512);
    /* re-encode the decoded values (12-bit, any of them) */
    PQCLEAN_MLKEM1024_CLEAN_poly_tobytes(o1, &r1);
    aegis__mlkem_avx2_tobytes(o2, r2);
    SAME(o1, o2, 384);
    for (int k = 0; k < 4; k++)
        v.vec[k] = r1;
    uint8_t c1[4 * 352];
    PQCLEAN_MLKEM1024_CLEAN_polyvec_compress(c1, &v);
    aegis__mlkem_avx2_compress11(o2, r2);
    SAME(c1, o2, 352);
    PQCLEAN_MLKEM1024_CLEAN_poly_compress(o1, &r1);
    aegis__mlkem_avx2_compress5(o2, r2);
    SAME(o1, o2, 160);
    PQCLEAN_MLKEM1024_CLEAN_poly_tomsg(o1, &r1);
    aegis__mlkem_avx2_tomsg(o2, r2);
    SAME(o1, o2, 32);
    /* decoders on the raw bytes */
    uint8_t cin[4 * 352 + 16];
    take(cin, sizeof(cin), data, size);
    PQCLEAN_MLKEM1024_CLEAN_polyvec_decompress(&v, cin);
    aegis__mlkem_avx2_decompress11(r2, cin);
    SAME(v.vec[0].coeffs, r2, 512);
    PQCLEAN_MLKEM1024_CLEAN_poly_decompress(&r1, in);
    aegis__mlkem_avx2_decompress5(r2, in);
    SAME(r1.coeffs, r2, 512);
    PQCLEAN_MLKEM1024_CLEAN_poly_frommsg(&r1, in);
    aegis__mlkem_avx2_frommsg(r2, in);
    SAME(r1.coeffs, r2, 512);
    PQCLEAN_MLKEM1024_CLEAN_poly_cbd_eta1(&r1, in);
    aegis__mlkem_avx2_cbd2(r2, in);
    SAME(r1.coeffs, r2, 512);
    (void)aegis__mlkem_avx2_ek_in_range;   /* covered through encaps in mode 3 */
}

static void scheme(const uint8_t *data, size_t size)
{
    uint8_t seeds[96];
    take(seeds, sizeof(seeds), data, size);
    static uint8_t ek1[AEGIS_MLKEM1024_EK_BYTES], dk1[AEGIS_MLKEM1024_DK_BYTES];
    static uint8_t ek2[AEGIS_MLKEM1024_EK_BYTES], dk2[AEGIS_MLKEM1024_DK_BYTES];
    static uint8_t ct1[AEGIS_MLKEM1024_CT_BYTES], ct2[AEGIS_MLKEM1024_CT_BYTES];
    uint8_t s1[32], s2[32];
    PQCLEAN_MLKEM1024_CLEAN_crypto_kem_keypair_derand(ek1, dk1, seeds);
    aegis__mlkem_avx2_keypair(ek2, dk2, seeds, seeds + 32);
    SAME(ek1, ek2, sizeof(ek1));
    SAME(dk1, dk2, sizeof(dk1));
    PQCLEAN_MLKEM1024_CLEAN_crypto_kem_enc_derand(ct1, s1, ek1, seeds + 64);
    aegis__mlkem_avx2_enc(ct2, s2, ek1, seeds + 64);
    SAME(ct1, ct2, sizeof(ct1));
    SAME(s1, s2, 32);
}

static void sampling(const uint8_t *data, size_t size)
{
    static polyvec a1[4];
    static int16_t a2[4][4][256];
    uint8_t rho[33];
    take(rho, sizeof(rho), data, size);
    for (int tr = 0; tr < 2; tr++) {
        PQCLEAN_MLKEM1024_CLEAN_gen_matrix(a1, rho, tr);
        aegis__mlkem_avx2_gen_matrix(a2, rho, tr);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                SAME(a1[i].vec[j].coeffs, a2[i][j], 512);
    }
    int16_t r[4][256];
    aegis__mlkem_avx2_noise4(r, rho, rho[32]);
    for (int k = 0; k < 4; k++) {
        poly p;
        PQCLEAN_MLKEM1024_CLEAN_poly_getnoise_eta1(&p, rho, (uint8_t)(rho[32] + k));
        SAME(p.coeffs, r[k], 512);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || aegis__cpu()->level < AEGIS_CPU_AVX2)
        return 0;
    switch (data[0] % 5) {
    case 0: ciphertext(data + 1, size - 1); break;
    case 1: arithmetic(data + 1, size - 1); break;
    case 2: coding(data + 1, size - 1); break;
    case 3: scheme(data + 1, size - 1); break;
    default: sampling(data + 1, size - 1); break;
    }
    return 0;
}
