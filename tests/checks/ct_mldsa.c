/*
 * ct_mldsa.c - constant-time check of the AVX2 ML-DSA-87 routines under
 * valgrind memcheck, as ct_mlkem.c does for ML-KEM: inputs marked
 * undefined, so a branch or memory index computed from them is reported
 * and ctest fails (--error-exitcode).
 *
 * Covered, with every input secret: NTT, inverse NTT, pointwise product and
 * the A-hat row product (s1-hat, y-hat, c are secret in keygen and signing),
 * z unpacking (ExpandMask's y), the infinity-norm check (z, w0 - cs2, ct0 of
 * a round not yet accepted: its result is made public here, as the signing
 * loop's reject-or-not is), t0/eta/t1 packing (secret t0, s1, s2), and the
 * one-lane SHAKE256 absorbing and squeezing a secret (rho', K || rnd || mu).
 * Not marked: rej_eta (ExpandS), which branches on rejected nibbles by design
 * (FIPS 204 and PQClean do too; which nibbles are rejected says nothing about
 * the accepted ones), and SampleInBall / the rejection loop's outcome, which
 * are public. Runs on the AVX2 path (valgrind emulates no AVX-512).
 */
#include <stdio.h>
#include <string.h>
#include <valgrind/memcheck.h>

#include "aegis/crypto.h"

#include "../../src/crypto/keccak4x.h"
#include "../../src/crypto/pq_int.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

void aegis__mldsa87_avx2_ntt(int32_t a[256]);
void aegis__mldsa87_avx2_invntt(int32_t a[256]);
void aegis__mldsa87_avx2_pointwise(int32_t c[256], const int32_t a[256], const int32_t b[256]);
void aegis__mldsa87_avx2_pointwise_acc(int32_t w[256], const int32_t *u, const int32_t *v, unsigned l);
void aegis__mldsa87_avx2_polyz_unpack(int32_t r[256], const uint8_t *a);
int aegis__mldsa87_avx2_chknorm(const int32_t a[256], int32_t B);
void aegis__mldsa87_avx2_pack(uint8_t *r, const int32_t a[256], int32_t off, int b);

static int32_t u[7][256], v[7][256];

int main(void)
{
    if (aegis__cpu()->level < AEGIS_CPU_AVX2 || !aegis__mldsa87_avx2()) {
        puts("ct_mldsa: no AVX2 path on this CPU, nothing to check");
        return 77;
    }
    int32_t a[256], r[256];
    uint8_t buf[700], out[416], h[64];
    for (int j = 0; j < 7; j++)
        for (int i = 0; i < 256; i++) {
            u[j][i] = (i * 7919 + j) % 8380417;
            v[j][i] = (i * 31 - 4000) * (j + 1);
        }
    for (int i = 0; i < 256; i++)
        a[i] = (i * 37) % 8191 - 4095;
    for (int i = 0; i < (int)sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 101 + 7);

    SECRET(u, sizeof(u));
    SECRET(v, sizeof(v));
    SECRET(a, sizeof(a));
    SECRET(buf, sizeof(buf));

    memcpy(r, v[0], sizeof(r));
    aegis__mldsa87_avx2_ntt(r);
    aegis__mldsa87_avx2_invntt(r);
    aegis__mldsa87_avx2_pointwise(r, u[0], v[1]);
    aegis__mldsa87_avx2_pointwise_acc(r, u[0], v[0], 7);
    aegis__mldsa87_avx2_polyz_unpack(r, buf);

    int over = aegis__mldsa87_avx2_chknorm(r, (1 << 19) - 120);
    PUBLIC(&over, sizeof(over));   /* reject the round or not: public by design */

    aegis__mldsa87_avx2_pack(out, a, 1 << 12, 13);   /* t0 */
    aegis__mldsa87_avx2_pack(out, a, 2, 3);          /* s1, s2 (eta) */
    aegis__mldsa87_avx2_pack(out, a, 0, 10);         /* t1 */

    aegis__shake256x1 c;
    aegis__shake256x1_init(&c);
    aegis__shake256x1_absorb(&c, buf, 3);     /* partial words */
    aegis__shake256x1_absorb(&c, buf + 3, 600);
    aegis__shake256x1_finalize(&c);
    aegis__shake256x1_squeeze(&c, h, 5);
    aegis__shake256x1_squeeze(&c, h + 5, sizeof(h) - 5);
    aegis__shake256x1_clear(&c);

    PUBLIC(r, sizeof(r));
    PUBLIC(out, sizeof(out));
    PUBLIC(h, sizeof(h));
    printf("ct_mldsa: checked (over=%d, r[0]=%d, out[0]=%u, h[0]=%u)\n", over, r[0], out[0], h[0]);
    return 0;
}
