/*
 * ct_mlkem.c - constant-time check of the vectorised ML-KEM-1024 under
 * valgrind memcheck (the "ctgrind" method): secret inputs are marked
 * undefined, so any branch or memory index computed from them is reported
 * as a use of uninitialised data, and ctest fails (--error-exitcode).
 * Arithmetic on them is allowed: memcheck tracks definedness through it.
 *
 * Covered with secrets marked: every polynomial routine (NTT, inverse NTT,
 * base multiplication, reductions, encode/decode, compression, messages,
 * CBD), noise sampling from a secret seed, encapsulation with a secret m,
 * decapsulation with a secret prepared key on a valid and a tampered
 * ciphertext (implicit rejection), prepared and raw, and preparation of a
 * secret dk. Not
 * marked: the matrix seed rho, which is public (part of ek) and which
 * rejection sampling branches on by design.
 * Runs on the AVX2 path (valgrind does not emulate AVX-512).
 */
#include <stdio.h>
#include <string.h>
#include <valgrind/memcheck.h>

#include "aegis/crypto.h"

#include "../../src/crypto/mlkem_int.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static uint8_t ek[AEGIS_MLKEM1024_EK_BYTES], dk[AEGIS_MLKEM1024_DK_BYTES];
static uint8_t ct[AEGIS_MLKEM1024_CT_BYTES];
static struct aegis__mlkem_prepared prep;

int main(void)
{
    if (aegis__cpu()->level < AEGIS_CPU_AVX2) {
        puts("ct_mlkem: no AVX2 path on this CPU, nothing to check");
        return 77;
    }
    uint8_t d[32], z[32], m[32], ss[32], buf[400];
    _Alignas(32) int16_t a[256], b[256], r[256], v[4][256], w[4][256];
    for (int i = 0; i < 32; i++) {
        d[i] = (uint8_t)(i + 1);
        z[i] = (uint8_t)(3 * i);
        m[i] = (uint8_t)(7 * i + 5);
    }
    for (int i = 0; i < 256; i++) {
        a[i] = (int16_t)(i * 13 - 1600);
        b[i] = (int16_t)(1664 - i * 11);
    }
    for (int i = 0; i < (int)sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 101);

    /* the polynomial layer on secret data */
    SECRET(a, sizeof(a));
    SECRET(b, sizeof(b));
    SECRET(buf, sizeof(buf));
    memcpy(r, a, sizeof(r));
    aegis__mlkem_avx2_ntt(r);
    aegis__mlkem_avx2_invntt(r);
    aegis__mlkem_avx2_basemul(r, a, b);
    for (int k = 0; k < 4; k++) {
        memcpy(v[k], a, sizeof(a));
        memcpy(w[k], b, sizeof(b));
    }
    aegis__mlkem_avx2_basemul_acc(r, (const int16_t (*)[256])v, (const int16_t (*)[256])w);
    aegis__mlkem_avx2_reduce(r);
    aegis__mlkem_avx2_tomont(r);
    aegis__mlkem_avx2_add_reduce(r, a, b);
    aegis__mlkem_avx2_add3_reduce(r, a, b, r);
    aegis__mlkem_avx2_sub_reduce(r, a, b);
    aegis__mlkem_avx2_tobytes(buf, r);
    aegis__mlkem_avx2_frombytes(r, buf);
    aegis__mlkem_avx2_compress11(buf, a);
    aegis__mlkem_avx2_decompress11(r, buf);
    aegis__mlkem_avx2_compress5(buf, a);
    aegis__mlkem_avx2_decompress5(r, buf);
    aegis__mlkem_avx2_tomsg(buf, a);
    aegis__mlkem_avx2_frommsg(r, buf);
    aegis__mlkem_avx2_cbd2(r, buf);
    aegis__mlkem_avx2_noise4(v, buf, 0);

    /* a key pair from public seeds, then the scheme with its secrets marked */
    aegis__mlkem_avx2_keypair(ek, dk, d, z);
    SECRET(m, sizeof(m));
    aegis__mlkem_avx2_enc(ct, ss, ek, m);
    PUBLIC(ct, sizeof(ct));   /* a ciphertext is public once sent */
    SECRET(dk, AEGIS_MLKEM_K * 384);                  /* dk_pke */
    SECRET(dk + AEGIS_MLKEM1024_DK_BYTES - 32, 32);   /* z */
    aegis__mlkem_avx2_prepare(&prep, dk);
    aegis__mlkem_avx2_dec(ss, ct, &prep);
    aegis__mlkem_avx2_dec_dk(ss, ct, dk);
    ct[100] ^= 1;
    aegis__mlkem_avx2_dec(ss, ct, &prep);
    aegis__mlkem_avx2_dec_dk(ss, ct, dk);
    PUBLIC(ss, sizeof(ss));
    printf("ct_mlkem: done (memcheck reports any secret-dependent branch or index above)\n");
    return 0;
}
