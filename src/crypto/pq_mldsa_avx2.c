/*
 * pq_mldsa_avx2.c - a second ML-DSA-87 core for CPUs with AVX2: PQClean's
 * ml-dsa-87/clean sources and pq_mldsa_core.h in one translation unit built
 * with -mavx2 -mbmi2 (cmake/pqclean.cmake). Every PQCLEAN_MLDSA87_CLEAN_*
 * name is renamed by a header generated at configure time
 * (<build>/_pqclean/mldsa87_avx2_rename.h, forced in with -include), so
 * these objects coexist with the portable ones in aegis_pqclean. The compiler
 * vectorises the NTT and pointwise loops (about a quarter off signing time),
 * and the SHAKE expansions (ExpandA, ExpandS, ExpandMask) run four streams
 * at once on our four-way Keccak (keccak4x.c);
 * the arithmetic is integer and exact, so results are identical (compared in
 * test_crypto_pq). Upstream code is compiled with -w here, as in
 * aegis_pqclean; our core is also compiled warning-clean as the generic copy.
 */
#include "pq_int.h"

#if defined(__x86_64__) && defined(AEGIS_PQ_AVX2_BUILD)

/* PQClean's C NTT is compiled here under other names (unused), and every
 * call in poly.c / polyvec.c goes to the AVX2 versions instead
 * (pq_mldsa_avx2_ntt.h, equal bit for bit). */
#undef PQCLEAN_MLDSA87_CLEAN_ntt
#undef PQCLEAN_MLDSA87_CLEAN_invntt_tomont
#define PQCLEAN_MLDSA87_CLEAN_ntt AEGIS_MLDSA87_AVX2_ntt_c
#define PQCLEAN_MLDSA87_CLEAN_invntt_tomont AEGIS_MLDSA87_AVX2_invntt_tomont_c
#include "ntt.c"
#include "reduce.h"
#include <stdbool.h>
void aegis__mldsa87_avx2_ntt(int32_t a[N]);
void aegis__mldsa87_avx2_invntt(int32_t a[N]);
void aegis__mldsa87_avx2_pointwise(int32_t c[N], const int32_t a[N], const int32_t b[N]);
#include "pq_mldsa_avx2_ntt.h"
#undef PQCLEAN_MLDSA87_CLEAN_ntt
#undef PQCLEAN_MLDSA87_CLEAN_invntt_tomont
#define PQCLEAN_MLDSA87_CLEAN_ntt aegis__mldsa87_avx2_ntt
#define PQCLEAN_MLDSA87_CLEAN_invntt_tomont aegis__mldsa87_avx2_invntt
#undef PQCLEAN_MLDSA87_CLEAN_poly_pointwise_montgomery
#define PQCLEAN_MLDSA87_CLEAN_poly_pointwise_montgomery AEGIS_MLDSA87_AVX2_poly_pointwise_montgomery_c
/* polyz_unpack (unpack_sig in packing.c, ExpandMask here), poly_chknorm
 * (polyvec.c), polyt1/t0/eta_pack (pack_pk, pack_sk) go to the vector
 * versions in pq_mldsa_avx2_poly.h too, and poly_challenge to the one below
 * (SampleInBall on the one-lane SHAKE256); the names are the wrappers' from
 * the first sight of poly.h on, and PQClean's own definitions in poly.c get
 * a _c suffix (unused, but for poly_challenge at level avx2). */
#include "pq_mldsa_avx2_ours.h"
#include "packing.c"
#undef PQCLEAN_MLDSA87_CLEAN_polyz_unpack
#undef PQCLEAN_MLDSA87_CLEAN_poly_chknorm
#undef PQCLEAN_MLDSA87_CLEAN_poly_challenge
#define PQCLEAN_MLDSA87_CLEAN_polyz_unpack AEGIS_MLDSA87_AVX2_polyz_unpack_c
#define PQCLEAN_MLDSA87_CLEAN_poly_chknorm AEGIS_MLDSA87_AVX2_poly_chknorm_c
#define PQCLEAN_MLDSA87_CLEAN_poly_challenge AEGIS_MLDSA87_AVX2_poly_challenge_c
#undef PQCLEAN_MLDSA87_CLEAN_polyt1_pack
#define PQCLEAN_MLDSA87_CLEAN_polyt1_pack AEGIS_MLDSA87_AVX2_polyt1_pack_c
#undef PQCLEAN_MLDSA87_CLEAN_polyt0_pack
#define PQCLEAN_MLDSA87_CLEAN_polyt0_pack AEGIS_MLDSA87_AVX2_polyt0_pack_c
#undef PQCLEAN_MLDSA87_CLEAN_polyeta_pack
#define PQCLEAN_MLDSA87_CLEAN_polyeta_pack AEGIS_MLDSA87_AVX2_polyeta_pack_c
/* PQClean's own versions, now under these names: declared first, as
 * poly.c calls polyz_unpack before defining it */
void AEGIS_MLDSA87_AVX2_polyz_unpack_c(poly *r, const uint8_t *a);
int AEGIS_MLDSA87_AVX2_poly_chknorm_c(const poly *a, int32_t B);
void AEGIS_MLDSA87_AVX2_poly_challenge_c(poly *c, const uint8_t seed[CTILDEBYTES]);
void AEGIS_MLDSA87_AVX2_polyt1_pack_c(uint8_t *r, const poly *a);
void AEGIS_MLDSA87_AVX2_polyt0_pack_c(uint8_t *r, const poly *a);
void AEGIS_MLDSA87_AVX2_polyeta_pack_c(uint8_t *r, const poly *a);
#include "poly.c"
#include "pq_mldsa_avx2_ours.h"
#undef PQCLEAN_MLDSA87_CLEAN_poly_pointwise_montgomery
#define PQCLEAN_MLDSA87_CLEAN_poly_pointwise_montgomery aegis__mldsa87_avx2_poly_pointwise
void aegis__mldsa87_avx2_poly_pointwise(poly *c, const poly *a, const poly *b);
void aegis__mldsa87_avx2_poly_pointwise(poly *c, const poly *a, const poly *b)
{
    aegis__mldsa87_avx2_pointwise(c->coeffs, a->coeffs, b->coeffs);
}

#include "pq_rej_idx.h"
#include "pq_mldsa_avx2_poly.h"

void aegis__mldsa87_avx2_poly_z_unpack(poly *r, const uint8_t *a)
{
    aegis__mldsa87_avx2_polyz_unpack(r->coeffs, a);
}

int aegis__mldsa87_avx2_poly_chknorm(const poly *a, int32_t B)
{
    return aegis__mldsa87_avx2_chknorm(a->coeffs, B);
}

void aegis__mldsa87_avx2_polyt1_pack(uint8_t *r, const poly *a)
{
    aegis__mldsa87_avx2_pack(r, a->coeffs, 0, 10);
}

void aegis__mldsa87_avx2_polyt0_pack(uint8_t *r, const poly *a)
{
    aegis__mldsa87_avx2_pack(r, a->coeffs, 1 << (D - 1), D);
}

void aegis__mldsa87_avx2_polyeta_pack(uint8_t *r, const poly *a)
{
    aegis__mldsa87_avx2_pack(r, a->coeffs, ETA, 3);
}

#include "keccak4x.h"

/* SampleInBall: PQClean's poly_challenge step for step, its SHAKE256 on one
 * lane of the four-way Keccak when AVX-512 makes that faster (keccak4x.h),
 * else PQClean's own (portable Keccak). c is public (it is in the
 * signature); the loop branches on the stream as PQClean's does. */
void aegis__mldsa87_avx2_challenge(poly *c, const uint8_t seed[CTILDEBYTES])
{
    if (aegis__cpu()->level < AEGIS_CPU_AVX512) {
        AEGIS_MLDSA87_AVX2_poly_challenge_c(c, seed);
        return;
    }
    aegis__shake256x1 st;
    uint8_t buf[AEGIS_SHAKE256_RATE];
    unsigned pos = 8;
    uint64_t signs = 0;
    aegis__shake256x1_init(&st);
    aegis__shake256x1_absorb(&st, seed, CTILDEBYTES);
    aegis__shake256x1_finalize(&st);
    aegis__shake256x1_squeeze(&st, buf, sizeof(buf));
    for (unsigned i = 0; i < 8; i++)
        signs |= (uint64_t)buf[i] << 8 * i;
    memset(c->coeffs, 0, sizeof(c->coeffs));
    for (unsigned i = N - TAU; i < N; i++) {
        unsigned b;
        do {
            if (pos >= sizeof(buf)) {
                aegis__shake256x1_squeeze(&st, buf, sizeof(buf));
                pos = 0;
            }
            b = buf[pos++];
        } while (b > i);
        c->coeffs[i] = c->coeffs[b];
        c->coeffs[b] = 1 - 2 * (int32_t)(signs & 1);
        signs >>= 1;
    }
}
#include "polyvec.c"
/* A-hat * v with one reduction per coefficient (pq_mldsa_avx2_ntt.h) */
#undef PQCLEAN_MLDSA87_CLEAN_polyvec_matrix_pointwise_montgomery
#define PQCLEAN_MLDSA87_CLEAN_polyvec_matrix_pointwise_montgomery aegis__mldsa87_avx2_matrix_pointwise
void aegis__mldsa87_avx2_matrix_pointwise(polyveck *t, const polyvecl mat[K], const polyvecl *v);
void aegis__mldsa87_avx2_matrix_pointwise(polyveck *t, const polyvecl mat[K], const polyvecl *v)
{
    for (unsigned i = 0; i < K; i++)
        aegis__mldsa87_avx2_pointwise_acc(t->vec[i].coeffs, mat[i].vec[0].coeffs, v->vec[0].coeffs, L);
}
#include "reduce.c"
#include "rounding.c"
#include "symmetric-shake.c"

/* PQClean's rej_uniform eight candidates at a time: three bytes to a dword
 * (permute + byte shuffle), mask to 23 bits, compare with q, and move the
 * accepted ones to the front with a permute from the position table; the
 * vector loop stops 8 short of len (it stores 8 at a time) and PQClean's
 * scalar loop finishes, in the same order. Public data (ExpandA). */
unsigned aegis__mldsa87_avx2_rej(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen);
unsigned aegis__mldsa87_avx2_rej(int32_t *a, unsigned len, const uint8_t *buf, unsigned buflen)
{
    const __m256i perm = _mm256_setr_epi32(0, 1, 2, 0, 3, 4, 5, 0);
    const __m256i shuf = _mm256_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1,
                                          0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
    const __m256i mask = _mm256_set1_epi32(0x7FFFFF), q = _mm256_set1_epi32(Q);
    unsigned ctr = 0, pos = 0;
    while (ctr + 8 <= len && pos + 24 <= buflen) {
        /* three 8-byte loads, not 16 + 8: the block was just written a
         * word at a time (the Keccak lanes), and a load spanning two stores
         * waits for them to retire instead of being forwarded */
        __m128i lo = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(buf + pos)),
                                        _mm_loadl_epi64((const __m128i *)(buf + pos + 8)));
        __m128i hi = _mm_loadl_epi64((const __m128i *)(buf + pos + 16));
        __m256i v = _mm256_permutevar8x32_epi32(_mm256_set_m128i(hi, lo), perm);
        v = _mm256_and_si256(_mm256_shuffle_epi8(v, shuf), mask);
        unsigned m = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(q, v)));
        if (m == 0xFF) {   /* all eight below q: the usual case (q is just under 2^23) */
            _mm256_storeu_si256((__m256i *)(a + ctr), v);
            ctr += 8;
        } else {
            __m256i idx = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)rej_idx[m]));
            _mm256_storeu_si256((__m256i *)(a + ctr), _mm256_permutevar8x32_epi32(v, idx));
            ctr += (unsigned)__builtin_popcount(m);
        }
        pos += 24;
    }
    return ctr + rej_uniform(a + ctr, len - ctr, buf + pos, buflen - pos);
}

/* The SHAKE expansions four streams at once (keccak4x.c), giving exactly
 * PQClean's polyvec_matrix_expand / polyvec{l,k}_uniform_eta /
 * polyvecl_uniform_gamma1 (the same streams, PQClean's own rejection and
 * unpacking): ExpandA's 56 SHAKE128 streams were most of verification. */
struct rej_ctx {
    int32_t *coeffs;
    unsigned ctr;
};

static bool take_rej(void *ctx, const uint8_t *block, size_t rate)
{
    struct rej_ctx *c = ctx;
    c->ctr += aegis__mldsa87_avx2_rej(c->coeffs + c->ctr, N - c->ctr, block, (unsigned)rate);
    return c->ctr >= N;
}

/* ExpandA's K*L SHAKE128 streams as jobs of the four-way scheduler, a block
 * at a time (168 and PQClean's 840 bytes both hold whole 3-byte groups, so
 * sampling per block equals PQClean's); with tr != NULL, tr = H(pk, 64)
 * (20 permutations one after another) goes first and runs on one lane
 * alongside the streams. */
static void x4_expand_a_tr(polyvecl mat[K], const uint8_t rho[SEEDBYTES], uint8_t *tr, const uint8_t *pk)
{
    struct aegis__x4_job jobs[K * L + 1];
    struct rej_ctx ctx[K * L];
    uint8_t seeds[K * L][SEEDBYTES + 2];
    size_t n = 0;
    _Static_assert(STREAM128_BLOCKBYTES % 3 == 0, "no candidate spans a block");
    if (tr)
        jobs[n++] = (struct aegis__x4_job){.in = pk, .len = AEGIS_MLDSA87_PK_BYTES, .rate = STREAM256_BLOCKBYTES,
                                           .domain = 0x1F, .out = tr, .outlen = TRBYTES};
    for (unsigned t = 0; t < K * L; t++) {
        unsigned i = t / L, j = t % L;
        uint16_t nonce = (uint16_t)((i << 8) + j);
        memcpy(seeds[t], rho, SEEDBYTES);
        seeds[t][SEEDBYTES] = (uint8_t)nonce;
        seeds[t][SEEDBYTES + 1] = (uint8_t)(nonce >> 8);
        ctx[t] = (struct rej_ctx){mat[i].vec[j].coeffs, 0};
        jobs[n++] = (struct aegis__x4_job){.in = seeds[t], .len = SEEDBYTES + 2, .rate = STREAM128_BLOCKBYTES,
                                           .domain = 0x1F, .take = take_rej, .ctx = &ctx[t]};
    }
    aegis__keccakx4_run(jobs, n);
}

static void x4_expand_a(polyvecl mat[K], const uint8_t rho[SEEDBYTES])
{
    x4_expand_a_tr(mat, rho, NULL, NULL);
}

/* s1 (nonces 0..L-1) and s2 (L..L+K-1) from rho' (secret: wiped) */
static void x4_expand_s(polyvecl *s1, polyveck *s2, const uint8_t rhoprime[CRHBYTES])
{
    aegis__keccakx4 st;
    uint8_t in[4][CRHBYTES + 2];
    uint8_t buf[4][STREAM256_BLOCKBYTES];
    const uint8_t *const inp[4] = {in[0], in[1], in[2], in[3]};
    uint8_t *const out[4] = {buf[0], buf[1], buf[2], buf[3]};
    poly *p[L + K];
    for (unsigned i = 0; i < L; i++)
        p[i] = &s1->vec[i];
    for (unsigned i = 0; i < K; i++)
        p[L + i] = &s2->vec[i];
    _Static_assert(POLY_UNIFORM_ETA_NBLOCKS == 1, "one block first");
    for (unsigned t = 0; t < L + K; t += 4) {
        unsigned ctr[4];
        for (unsigned k = 0; k < 4; k++) {
            memcpy(in[k], rhoprime, CRHBYTES);
            in[k][CRHBYTES] = (uint8_t)(t + k);   /* the last batch's spare lane is discarded */
            in[k][CRHBYTES + 1] = 0;
        }
        aegis__keccakx4_absorb(&st, inp, CRHBYTES + 2, STREAM256_BLOCKBYTES, 0x1F);
        aegis__keccakx4_squeeze(&st, out, 1, STREAM256_BLOCKBYTES);
        for (unsigned k = 0; k < 4; k++)
            ctr[k] = t + k < L + K ? aegis__mldsa87_avx2_rej_eta(p[t + k]->coeffs, N, buf[k], STREAM256_BLOCKBYTES) : N;
        while (ctr[0] < N || ctr[1] < N || ctr[2] < N || ctr[3] < N) {
            aegis__keccakx4_squeeze(&st, out, 1, STREAM256_BLOCKBYTES);
            for (unsigned k = 0; k < 4; k++)
                if (ctr[k] < N)
                    ctr[k] += aegis__mldsa87_avx2_rej_eta(p[t + k]->coeffs + ctr[k], N - ctr[k], buf[k],
                                                           STREAM256_BLOCKBYTES);
        }
    }
    aegis__keccakx4_clear(&st);
    aegis_memzero(in, sizeof(in));
    aegis_memzero(buf, sizeof(buf));
}

/* y = ExpandMask(rho', kappa = L * nonce): L streams, the last batch one short */
static void x4_expand_mask(polyvecl *y, const uint8_t rhoprime[CRHBYTES], uint16_t nonce)
{
    aegis__keccakx4 st;
    uint8_t in[4][CRHBYTES + 2];
    uint8_t buf[4][POLY_UNIFORM_GAMMA1_NBLOCKS * STREAM256_BLOCKBYTES];
    const uint8_t *const inp[4] = {in[0], in[1], in[2], in[3]};
    uint8_t *const out[4] = {buf[0], buf[1], buf[2], buf[3]};
    for (unsigned t = 0; t < L; t += 4) {
        for (unsigned k = 0; k < 4; k++) {
            uint16_t n = (uint16_t)(L * nonce + t + k);
            memcpy(in[k], rhoprime, CRHBYTES);
            in[k][CRHBYTES] = (uint8_t)n;
            in[k][CRHBYTES + 1] = (uint8_t)(n >> 8);
        }
        aegis__keccakx4_absorb(&st, inp, CRHBYTES + 2, STREAM256_BLOCKBYTES, 0x1F);
        aegis__keccakx4_squeeze(&st, out, POLY_UNIFORM_GAMMA1_NBLOCKS, STREAM256_BLOCKBYTES);
        for (unsigned k = 0; k < 4 && t + k < L; k++)
            PQCLEAN_MLDSA87_CLEAN_polyz_unpack(&y->vec[t + k], buf[k]);
    }
    aegis__keccakx4_clear(&st);
    aegis_memzero(in, sizeof(in));
    aegis_memzero(buf, sizeof(buf));
}

#define MLDSA_EXPAND_A(mat, rho) x4_expand_a(mat, rho)
#define MLDSA_EXPAND_S(s1, s2, rhoprime) x4_expand_s(s1, s2, rhoprime)
#define MLDSA_EXPAND_MASK(y, rhoprime, nonce) x4_expand_mask(y, rhoprime, nonce)
#define MLDSA_EXPAND_A_TR(mat, rho, tr, pk) x4_expand_a_tr(mat, rho, tr, pk)

#define MLDSA_OPS aegis__mldsa87_avx2_ops
#include "pq_mldsa_core.h"

const struct aegis__mldsa_ops *aegis__mldsa87_avx2(void)
{
    return aegis__cpu()->level >= AEGIS_CPU_AVX2 ? &aegis__mldsa87_avx2_ops : NULL;
}

#else

const struct aegis__mldsa_ops *aegis__mldsa87_avx2(void)
{
    return NULL;
}

#endif
