/*
 * mlkem_avx2_kem.c - ML-KEM-1024 (FIPS 203) on the AVX2 polynomial layer
 * (mlkem_avx2_poly.c) and the four-way Keccak (keccak4x.c): all the Keccak
 * work of an operation - G, H or J, the matrix streams, the noise PRFs - is
 * one run of the four-lane job scheduler, each job starting as soon as its
 * input exists.
 *
 * The results equal PQClean's kem.c / indcpa.c byte for byte (the same
 * streams, the same arithmetic); mlkem.c picks this path when the CPU has
 * AVX2 and AEGIS_CPU allows it, and keeps PQClean as the portable path and
 * the reference the tests compare with.
 *
 * Decapsulation works on a prepared key (struct aegis__mlkem_prepared):
 * the decoded NTT-form secret, t-hat, the expanded A^T and H(ek) are
 * computed once per key, so a decapsulation does no SHAKE128 at all.
 *
 * Constant time: the only branches on data are in rejection sampling, on
 * the public matrix seed's output, and the scheduler's, which follow those
 * and the (public) input lengths. The re-encryption check compares the
 * whole ciphertext with OR-accumulated XOR and selects the shared secret
 * with a mask. Secrets in our arrays are wiped where they live; what the
 * leaf routines below a function may have spilled, by
 * aegis__pq_scrub_stack_small() at that function's end.
 */
#include <string.h>

#include "mlkem_int.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

#define Q 3329
#define POLYBYTES 384
#define POLYVECBYTES (AEGIS_MLKEM_K * POLYBYTES)
#define EKBYTES (POLYVECBYTES + 32)
#define CTBYTES (AEGIS_MLKEM_K * 352 + 160)
#define DK_EK_OFF POLYVECBYTES
#define DK_H_OFF (DK_EK_OFF + EKBYTES)
#define DK_Z_OFF (DK_H_OFF + 32)

#include "pq_rej_idx.h"

/* ByteDecode12 of 24 bytes: sixteen 12-bit candidates in order */
static inline __m256i decode16(const uint8_t *p)
{
    const __m256i perm = _mm256_setr_epi32(0, 1, 2, 0, 3, 4, 5, 0);
    const __m256i shuf = _mm256_setr_epi8(0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11,
                                          0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11);
    __m128i lo = _mm_loadu_si128((const __m128i *)p);
    __m128i hi = _mm_loadl_epi64((const __m128i *)(p + 16));
    __m256i x = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(_mm256_set_m128i(hi, lo), perm), shuf);
    return _mm256_blend_epi16(_mm256_and_si256(x, _mm256_set1_epi16(0xFFF)), _mm256_srli_epi16(x, 4), 0xAA);
}

/* left-pack the int16 lanes of x selected by mask (8 bits) */
static inline __m128i pack8(__m128i x, unsigned mask)
{
    __m128i idx = _mm_cvtsi64_si128((long long)rej_idx[mask]);
    idx = _mm_unpacklo_epi8(idx, idx);                           /* k k: lane k's two bytes */
    idx = _mm_add_epi8(_mm_add_epi8(idx, idx), _mm_set1_epi16(0x0100));   /* 2k, 2k+1 */
    return _mm_shuffle_epi8(x, idx);
}

/* Sixteen candidates per 24 bytes: compare with q, turn the comparison
 * into two 8-bit masks, left-pack each half through a table of lane
 * positions. The output may be overwritten up to 16 entries past ctr, so
 * the vector loop stops 16 short of len and the scalar loop (PQClean's, the
 * same order) finishes. The bytes are the public matrix seed's SHAKE128
 * output: branching and indexing on them leaks nothing secret. */
unsigned aegis__mlkem_avx2_rej(int16_t *r, unsigned len, const uint8_t *buf, unsigned buflen)
{
    unsigned ctr = 0, pos = 0;
    const __m256i q = _mm256_set1_epi16(Q);
    while (ctr + 16 <= len && pos + 24 <= buflen) {
        __m256i v = decode16(buf + pos);
        __m256i ok = _mm256_cmpgt_epi16(q, v);
        unsigned bits = (unsigned)_mm256_movemask_epi8(_mm256_packs_epi16(ok, _mm256_setzero_si256()));
        unsigned mlo = bits & 0xFF, mhi = (bits >> 16) & 0xFF;
        _mm_storeu_si128((__m128i *)(r + ctr), pack8(_mm256_castsi256_si128(v), mlo));
        ctr += (unsigned)__builtin_popcount(mlo);
        _mm_storeu_si128((__m128i *)(r + ctr), pack8(_mm256_extracti128_si256(v, 1), mhi));
        ctr += (unsigned)__builtin_popcount(mhi);
        pos += 24;
    }
    while (ctr < len && pos + 3 <= buflen) {
        uint16_t v0 = (uint16_t)((buf[pos] | (uint16_t)buf[pos + 1] << 8) & 0xFFF);
        uint16_t v1 = (uint16_t)((buf[pos + 1] >> 4 | (uint16_t)buf[pos + 2] << 4) & 0xFFF);
        pos += 3;
        if (v0 < Q)
            r[ctr++] = (int16_t)v0;
        if (ctr < len && v1 < Q)
            r[ctr++] = (int16_t)v1;
    }
    return ctr;
}

bool aegis__mlkem_avx2_ek_in_range(const uint8_t *ek)
{
    __m256i bad = _mm256_setzero_si256();
    const __m256i qm1 = _mm256_set1_epi16(Q - 1);
    for (unsigned pos = 0; pos < POLYVECBYTES; pos += 24)
        bad = _mm256_or_si256(bad, _mm256_cmpgt_epi16(decode16(ek + pos), qm1));
    return _mm256_testz_si256(bad, bad);
}

/* One matrix stream's rejection sampling, a SHAKE128 block at a time (168
 * bytes hold whole 3-byte groups, so per block equals PQClean's three
 * blocks at once) */
struct rej_ctx {
    int16_t *poly;
    unsigned ctr;
};

static bool take_rej(void *ctx, const uint8_t *block, size_t rate)
{
    struct rej_ctx *c = ctx;
    c->ctr += aegis__mlkem_avx2_rej(c->poly + c->ctr, 256 - c->ctr, block, (unsigned)rate);
    return c->ctr >= 256;
}

/* The 16 streams of A (or A^T) as jobs of the four-way scheduler
 * (keccak4x.c), after an optional long hash (H(ek) in encapsulation,
 * J(z || c) in raw-key decapsulation: 12 permutations one after another),
 * which then runs on one lane while the others expand the matrix: ~16
 * four-way permutations instead of 12 plus 12 single ones. */
struct lane_hash {
    const uint8_t *in;
    size_t len;
    uint8_t domain;   /* 0x06 SHA3-256, 0x1F SHAKE256; rate 136, 32 bytes out */
    uint8_t *out;
};

static void gen_matrix_with_hash(int16_t a[AEGIS_MLKEM_K][AEGIS_MLKEM_K][256], const uint8_t rho[32],
                                 int transposed, const struct lane_hash *h)
{
    enum { NS = AEGIS_MLKEM_K * AEGIS_MLKEM_K };
    struct aegis__x4_job jobs[NS + 1];
    struct rej_ctx ctx[NS];
    uint8_t seeds[NS][34];
    size_t n = 0;
    if (h)
        jobs[n++] = (struct aegis__x4_job){.in = h->in, .len = h->len, .rate = AEGIS_SHAKE256_RATE,
                                           .domain = h->domain, .out = h->out, .outlen = 32};
    for (unsigned j = 0; j < NS; j++) {
        unsigned i = j / AEGIS_MLKEM_K, c = j % AEGIS_MLKEM_K;
        memcpy(seeds[j], rho, 32);
        seeds[j][32] = (uint8_t)(transposed ? i : c);
        seeds[j][33] = (uint8_t)(transposed ? c : i);
        ctx[j] = (struct rej_ctx){a[i][c], 0};
        jobs[n++] = (struct aegis__x4_job){.in = seeds[j], .len = 34, .rate = AEGIS_SHAKE128_RATE,
                                           .domain = 0x1F, .take = take_rej, .ctx = &ctx[j]};
    }
    aegis__keccakx4_run(jobs, n);
}

void aegis__mlkem_avx2_gen_matrix(int16_t a[AEGIS_MLKEM_K][AEGIS_MLKEM_K][256], const uint8_t rho[32],
                                  int transposed)
{
    gen_matrix_with_hash(a, rho, transposed, NULL);
}

/* PRF_eta(seed, n+k) for k = 0..3 and CBD_2 of each (secret: wiped) */
void aegis__mlkem_avx2_noise4(int16_t r[4][256], const uint8_t seed[32], uint8_t n)
{
    aegis__keccakx4 st;
    uint8_t in[4][33];
    _Alignas(32) uint8_t buf[4][AEGIS_SHAKE256_RATE];
    const uint8_t *const inp[4] = {in[0], in[1], in[2], in[3]};
    uint8_t *const out[4] = {buf[0], buf[1], buf[2], buf[3]};
    for (int k = 0; k < 4; k++) {
        memcpy(in[k], seed, 32);
        in[k][32] = (uint8_t)(n + k);
    }
    aegis__keccakx4_absorb(&st, inp, 33, AEGIS_SHAKE256_RATE, 0x1F);
    aegis__keccakx4_squeeze(&st, out, 1, AEGIS_SHAKE256_RATE);
    for (int k = 0; k < 4; k++)
        aegis__mlkem_avx2_cbd2(r[k], buf[k]);
    aegis__keccakx4_clear(&st);
    aegis_memzero(in, sizeof(in));
    aegis_memzero(buf, sizeof(buf));
}

/* the noise of one K-PKE.Encrypt: r (nonces 0-3), e1 (4-7), e2 (8) */
struct pke_noise {
    _Alignas(32) int16_t r[4][256];
    _Alignas(32) int16_t e1[4][256];
    _Alignas(32) int16_t e2[256];
};

/* K-PKE.Encrypt (FIPS 203 Alg. 14) on decoded t-hat, expanded A^T and
 * sampled noise (wiped here) */
static void pke_enc(uint8_t ct[CTBYTES], const uint8_t m[32], const int16_t (*t)[256],
                    const int16_t (*at)[AEGIS_MLKEM_K][256], struct pke_noise *nz)
{
    _Alignas(32) int16_t u[4][256], v[256], k[256];
    for (int i = 0; i < AEGIS_MLKEM_K; i++)
        aegis__mlkem_avx2_ntt(nz->r[i]);
    for (int i = 0; i < AEGIS_MLKEM_K; i++) {
        aegis__mlkem_avx2_basemul_acc(u[i], at[i], (const int16_t (*)[256])nz->r);
        aegis__mlkem_avx2_invntt(u[i]);
        aegis__mlkem_avx2_add_reduce(u[i], u[i], nz->e1[i]);
        aegis__mlkem_avx2_compress11(ct + 352 * i, u[i]);
    }
    aegis__mlkem_avx2_basemul_acc(v, t, (const int16_t (*)[256])nz->r);
    aegis__mlkem_avx2_invntt(v);
    aegis__mlkem_avx2_frommsg(k, m);
    aegis__mlkem_avx2_add3_reduce(v, v, nz->e2, k);
    aegis__mlkem_avx2_compress5(ct + 352 * AEGIS_MLKEM_K, v);
    aegis_memzero(nz, sizeof(*nz));
    aegis_memzero(u, sizeof(u));
    aegis_memzero(v, sizeof(v));
    aegis_memzero(k, sizeof(k));
    aegis__pq_scrub_stack_small();
}

/* G's output to kr, and the nine PRF seeds kr+32 || nonce for the noise */
struct g_ctx {
    uint8_t *kr;
    uint8_t (*seeds)[33];
};

static bool take_g(void *ctx, const uint8_t *block, size_t rate)
{
    struct g_ctx *g = ctx;
    (void)rate;
    memcpy(g->kr, block, 64);
    for (int k = 0; k < 9; k++) {
        memcpy(g->seeds[k], g->kr + 32, 32);
        g->seeds[k][32] = (uint8_t)k;
    }
    return true;
}

static bool take_cbd(void *ctx, const uint8_t *block, size_t rate)
{
    (void)rate;
    aegis__mlkem_avx2_cbd2(ctx, block);
    return true;
}

/* All the Keccak work around one K-PKE.Encrypt in one run of the four-way
 * scheduler: an optional long hash (12 permutations: H(ek) into gin + 32,
 * or J(z || c)), the 16 streams of A^T (if at), G(gin) -> kr (after the
 * hash when the hash feeds gin), and the nine noise PRFs once G is done.
 * Lanes take whatever is ready, so the hash overlaps the matrix and the
 * noise follows G at once. */
struct kem_work {
    const struct lane_hash *h;
    bool g_after_h;
    int16_t (*at)[AEGIS_MLKEM_K][256];
    const uint8_t *rho;
    const uint8_t *gin;   /* 64 bytes */
    uint8_t *kr;          /* 64 bytes out: (K, r) */
    struct pke_noise *nz;
};

static void run_kem_work(const struct kem_work *w)
{
    enum { NS = AEGIS_MLKEM_K * AEGIS_MLKEM_K };
    struct aegis__x4_job jobs[1 + 1 + 9 + NS];
    struct rej_ctx rctx[NS];
    uint8_t seeds[NS][34], nseeds[9][33];
    struct g_ctx g = {w->kr, nseeds};
    struct aegis__x4_job *hj = NULL, *gj;
    size_t n = 0;
    if (w->h) {
        hj = &jobs[n];
        jobs[n++] = (struct aegis__x4_job){.in = w->h->in, .len = w->h->len, .rate = AEGIS_SHAKE256_RATE,
                                           .domain = w->h->domain, .out = w->h->out, .outlen = 32};
    }
    gj = &jobs[n];
    jobs[n++] = (struct aegis__x4_job){.in = w->gin, .len = 64, .rate = 72, .domain = 0x06, .take = take_g,
                                       .ctx = &g, .after = w->g_after_h ? hj : NULL};
    for (int k = 0; k < 9; k++) {
        int16_t *poly = k < 4 ? w->nz->r[k] : k < 8 ? w->nz->e1[k - 4] : w->nz->e2;
        jobs[n++] = (struct aegis__x4_job){.in = nseeds[k], .len = 33, .rate = AEGIS_SHAKE256_RATE,
                                           .domain = 0x1F, .take = take_cbd, .ctx = poly, .after = gj};
    }
    if (w->at) {
        for (unsigned j = 0; j < NS; j++) {
            unsigned i = j / AEGIS_MLKEM_K, c = j % AEGIS_MLKEM_K;
            memcpy(seeds[j], w->rho, 32);
            seeds[j][32] = (uint8_t)i;   /* A^T: transposed */
            seeds[j][33] = (uint8_t)c;
            rctx[j] = (struct rej_ctx){w->at[i][c], 0};
            jobs[n++] = (struct aegis__x4_job){.in = seeds[j], .len = 34, .rate = AEGIS_SHAKE128_RATE,
                                               .domain = 0x1F, .take = take_rej, .ctx = &rctx[j]};
        }
    }
    aegis__keccakx4_run(jobs, n);
    aegis_memzero(nseeds, sizeof(nseeds));
}

/* keygen's G(d || k) -> (rho, sigma), then the seeds of the matrix
 * streams (rho || j || i) and of the noise PRFs (sigma || nonce) */
struct kg_ctx {
    uint8_t *rs;              /* 64 bytes: rho || sigma */
    uint8_t (*mseeds)[34];
    uint8_t (*nseeds)[33];
};

static bool take_kg(void *ctx, const uint8_t *block, size_t rate)
{
    struct kg_ctx *g = ctx;
    (void)rate;
    memcpy(g->rs, block, 64);
    for (unsigned j = 0; j < AEGIS_MLKEM_K * AEGIS_MLKEM_K; j++) {
        memcpy(g->mseeds[j], g->rs, 32);
        g->mseeds[j][32] = (uint8_t)(j % AEGIS_MLKEM_K);   /* A (not transposed): x = column */
        g->mseeds[j][33] = (uint8_t)(j / AEGIS_MLKEM_K);
    }
    for (unsigned k = 0; k < 2 * AEGIS_MLKEM_K; k++) {
        memcpy(g->nseeds[k], g->rs + 32, 32);
        g->nseeds[k][32] = (uint8_t)k;
    }
    return true;
}

/* K-PKE.KeyGen + ML-KEM.KeyGen_internal (FIPS 203 Alg. 13, 16). The
 * Keccak work is two runs of the four-way scheduler: G, then A's 16 streams
 * and the 8 noise PRFs as soon as G is done; at the end H(ek). */
void aegis__mlkem_avx2_keypair(uint8_t *ek, uint8_t *dk, const uint8_t d[32], const uint8_t z[32])
{
    enum { NS = AEGIS_MLKEM_K * AEGIS_MLKEM_K, NN = 2 * AEGIS_MLKEM_K };
    uint8_t rs[64], in[33], mseeds[NS][34], nseeds[NN][33];
    _Alignas(32) int16_t a[4][4][256], se[NN][256], t[4][256];
    int16_t (*s)[256] = se, (*e)[256] = se + AEGIS_MLKEM_K;
    struct aegis__x4_job jobs[1 + NN + NS];
    struct rej_ctx rctx[NS];
    struct kg_ctx g = {rs, mseeds, nseeds};
    size_t n = 0;
    memcpy(in, d, 32);
    in[32] = AEGIS_MLKEM_K;
    jobs[n++] = (struct aegis__x4_job){.in = in, .len = sizeof(in), .rate = 72, .domain = 0x06,
                                       .take = take_kg, .ctx = &g};   /* (rho, sigma) = G(d || k) */
    for (unsigned k = 0; k < NN; k++)
        jobs[n++] = (struct aegis__x4_job){.in = nseeds[k], .len = 33, .rate = AEGIS_SHAKE256_RATE,
                                           .domain = 0x1F, .take = take_cbd, .ctx = se[k], .after = &jobs[0]};
    for (unsigned j = 0; j < NS; j++) {
        rctx[j] = (struct rej_ctx){a[j / AEGIS_MLKEM_K][j % AEGIS_MLKEM_K], 0};
        jobs[n++] = (struct aegis__x4_job){.in = mseeds[j], .len = 34, .rate = AEGIS_SHAKE128_RATE,
                                           .domain = 0x1F, .take = take_rej, .ctx = &rctx[j], .after = &jobs[0]};
    }
    aegis__keccakx4_run(jobs, n);
    for (int i = 0; i < AEGIS_MLKEM_K; i++) {
        aegis__mlkem_avx2_ntt(s[i]);
        aegis__mlkem_avx2_ntt(e[i]);
    }
    for (int i = 0; i < AEGIS_MLKEM_K; i++) {
        aegis__mlkem_avx2_basemul_acc(t[i], (const int16_t (*)[256])a[i], (const int16_t (*)[256])s);
        aegis__mlkem_avx2_tomont(t[i]);
        aegis__mlkem_avx2_add_reduce(t[i], t[i], e[i]);
        aegis__mlkem_avx2_tobytes(ek + POLYBYTES * i, t[i]);
        aegis__mlkem_avx2_tobytes(dk + POLYBYTES * i, s[i]);
    }
    memcpy(ek + POLYVECBYTES, rs, 32);
    memcpy(dk + DK_EK_OFF, ek, EKBYTES);
    struct aegis__x4_job hj = {.in = ek, .len = EKBYTES, .rate = AEGIS_SHAKE256_RATE, .domain = 0x06,
                               .out = dk + DK_H_OFF, .outlen = 32};   /* H(ek) */
    aegis__keccakx4_run(&hj, 1);
    memcpy(dk + DK_Z_OFF, z, 32);
    aegis_memzero(rs, sizeof(rs));
    aegis_memzero(in, sizeof(in));
    aegis_memzero(nseeds, sizeof(nseeds));
    aegis_memzero(se, sizeof(se));
    aegis__pq_scrub_stack_small();
}

void aegis__mlkem_avx2_enc(uint8_t *ct, uint8_t ss[32], const uint8_t *ek, const uint8_t m[32])
{
    uint8_t buf[64], kr[64];
    _Alignas(32) int16_t t[4][256], at[4][4][256];
    struct pke_noise nz;
    memcpy(buf, m, 32);
    /* H(ek) -> buf + 32 beside A^T; then (K, r) = G(m || H(ek)); then the noise */
    const struct lane_hash h = {ek, EKBYTES, 0x06, buf + 32};
    const struct kem_work w = {.h = &h, .g_after_h = true, .at = at, .rho = ek + POLYVECBYTES, .gin = buf,
                               .kr = kr, .nz = &nz};
    run_kem_work(&w);
    for (int i = 0; i < AEGIS_MLKEM_K; i++)
        aegis__mlkem_avx2_frombytes(t[i], ek + POLYBYTES * i);
    pke_enc(ct, m, (const int16_t (*)[256])t, (const int16_t (*)[4][256])at, &nz);
    memcpy(ss, kr, 32);
    aegis_memzero(buf, sizeof(buf));
    aegis_memzero(kr, sizeof(kr));
    aegis__pq_scrub_stack_small();
}

void aegis__mlkem_avx2_prepare(struct aegis__mlkem_prepared *p, const uint8_t *dk)
{
    for (int i = 0; i < AEGIS_MLKEM_K; i++) {
        aegis__mlkem_avx2_frombytes(p->s[i], dk + POLYBYTES * i);
        aegis__mlkem_avx2_frombytes(p->t[i], dk + DK_EK_OFF + POLYBYTES * i);
    }
    aegis__mlkem_avx2_gen_matrix(p->at, dk + DK_EK_OFF + POLYVECBYTES, 1);
    memcpy(p->h, dk + DK_H_OFF, 32);
    memcpy(p->z, dk + DK_Z_OFF, 32);
}

/* 0 if equal, 1 if not, without a data-dependent branch */
static uint64_t ct_differs(const uint8_t *a, const uint8_t *b, size_t n)
{
    __m256i acc = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        acc = _mm256_or_si256(acc, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + i)),
                                                     _mm256_loadu_si256((const __m256i *)(b + i))));
    uint64_t d = (uint64_t)_mm256_extract_epi64(acc, 0) | (uint64_t)_mm256_extract_epi64(acc, 1) |
                 (uint64_t)_mm256_extract_epi64(acc, 2) | (uint64_t)_mm256_extract_epi64(acc, 3);
    for (; i < n; i++)
        d |= (uint64_t)(a[i] ^ b[i]);
    return (d | (0 - d)) >> 63;
}

/* K-PKE.Decrypt (FIPS 203 Alg. 15): m' from c and the NTT-form secret */
static void pke_dec(uint8_t m[32], const uint8_t *ct, const int16_t (*s)[256])
{
    _Alignas(32) int16_t u[4][256], v[256], mp[256];
    for (int i = 0; i < AEGIS_MLKEM_K; i++) {
        aegis__mlkem_avx2_decompress11(u[i], ct + 352 * i);   /* reads stay inside ct */
        aegis__mlkem_avx2_ntt(u[i]);
    }
    aegis__mlkem_avx2_decompress5(v, ct + 352 * AEGIS_MLKEM_K);
    aegis__mlkem_avx2_basemul_acc(mp, s, (const int16_t (*)[256])u);
    aegis__mlkem_avx2_invntt(mp);
    aegis__mlkem_avx2_sub_reduce(mp, v, mp);
    aegis__mlkem_avx2_tomsg(m, mp);
    aegis_memzero(u, sizeof(u));
    aegis_memzero(v, sizeof(v));
    aegis_memzero(mp, sizeof(mp));
    aegis__pq_scrub_stack_small();
}

/* ML-KEM.Decaps_internal (FIPS 203 Alg. 18) with implicit rejection. With
 * a prepared key (at == NULL) the four-way run is J(z || c) beside G and the
 * noise; with a raw key (at given) it also expands A^T into at. */
static void decaps(uint8_t ss[32], const uint8_t *ct, const int16_t (*s)[256], const int16_t (*t)[256],
                   const int16_t (*at_prep)[AEGIS_MLKEM_K][256], int16_t (*at_fill)[AEGIS_MLKEM_K][256],
                   const uint8_t *rho, const uint8_t h[32], const uint8_t z[32])
{
    uint8_t buf[64], kr[64], cmp[CTBYTES], jin[32 + CTBYTES], rej[32];
    struct pke_noise nz;
    pke_dec(buf, ct, s);                       /* m' */
    memcpy(buf + 32, h, 32);
    memcpy(jin, z, 32);
    memcpy(jin + 32, ct, CTBYTES);
    const struct lane_hash jh = {jin, sizeof(jin), 0x1F, rej};   /* K-bar = J(z || c) */
    const struct kem_work w = {.h = &jh, .g_after_h = false, .at = at_fill, .rho = rho, .gin = buf,
                               .kr = kr, .nz = &nz};   /* (K', r') = G(m' || h) */
    run_kem_work(&w);
    pke_enc(cmp, buf, t, at_fill ? (const int16_t (*)[AEGIS_MLKEM_K][256])at_fill : at_prep, &nz);
    uint8_t ok = (uint8_t)(ct_differs(ct, cmp, CTBYTES) ^ 1);
    uint8_t mask = (uint8_t)(0 - ok);
    __asm__("" : "+r"(mask));                  /* keep the select branch-free */
    for (int i = 0; i < 32; i++)
        ss[i] = (uint8_t)(rej[i] ^ (mask & (rej[i] ^ kr[i])));
    aegis_memzero(buf, sizeof(buf));
    aegis_memzero(kr, sizeof(kr));
    aegis_memzero(cmp, sizeof(cmp));
    aegis_memzero(jin, 32);
    aegis_memzero(rej, sizeof(rej));
    aegis__pq_scrub_stack_small();
}

void aegis__mlkem_avx2_dec(uint8_t ss[32], const uint8_t *ct, const struct aegis__mlkem_prepared *p)
{
    decaps(ss, ct, p->s, p->t, p->at, NULL, NULL, p->h, p->z);
}

/* decapsulation with a raw dk: the key is decoded here (the secret part
 * on this frame, wiped) and A^T expanded in the same four-way run as J, G
 * and the noise */
void aegis__mlkem_avx2_dec_dk(uint8_t ss[32], const uint8_t *ct, const uint8_t *dk)
{
    _Alignas(32) int16_t s[4][256], t[4][256], at[4][4][256];
    for (int i = 0; i < AEGIS_MLKEM_K; i++) {
        aegis__mlkem_avx2_frombytes(s[i], dk + POLYBYTES * i);
        aegis__mlkem_avx2_frombytes(t[i], dk + DK_EK_OFF + POLYBYTES * i);
    }
    decaps(ss, ct, (const int16_t (*)[256])s, (const int16_t (*)[256])t, NULL, at,
           dk + DK_EK_OFF + POLYVECBYTES, dk + DK_H_OFF, dk + DK_Z_OFF);
    aegis_memzero(s, sizeof(s));
}

#endif
