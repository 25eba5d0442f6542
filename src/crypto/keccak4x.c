/*
 * keccak4x.c - four SHAKE / SHA-3 sponges at once on the four-way
 * Keccak-f[1600] (keccak4x_avx2.c, or keccak4x_avx512.c when aegis__cpu()
 * says AVX-512 is usable). Used by the vector ML-KEM (matrix expansion,
 * noise) and the AVX2 ML-DSA core (ExpandA, ExpandS, ExpandMask): the
 * streams of one operation are independent, so four advance for about
 * the price of one.
 *
 * Call only when aegis__cpu()->level >= AEGIS_CPU_AVX2. The states may hold
 * secret seeds: aegis__keccakx4_clear() wipes one.
 */
#include <string.h>

#include "keccak4x.h"
#include "mlkem_int.h"

#if defined(__x86_64__) && defined(__AVX2__)

void aegis__keccakx4_permute(aegis__keccakx4 *st)
{
    if (aegis__cpu()->level >= AEGIS_CPU_AVX512)
        aegis__keccakx4_permute_avx512(st->s);
    else
        aegis__keccakx4_permute_avx2(st->s);
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;   /* x86-64: little-endian */
}

void aegis__keccakx4_absorb(aegis__keccakx4 *st, const uint8_t *const in[4], size_t len, size_t rate,
                            uint8_t domain)
{
    uint8_t blk[AEGIS_KECCAK_MAX_RATE];
    memset(st->s, 0, sizeof(st->s));
    size_t off = 0;
    for (; len - off >= rate; off += rate) {   /* whole blocks */
        for (int k = 0; k < 4; k++)
            for (size_t i = 0; i < rate / 8; i++)
                st->s[4 * i + k] ^= load64(in[k] + off + 8 * i);
        aegis__keccakx4_permute(st);
    }
    for (int k = 0; k < 4; k++) {   /* the last, padded block */
        memset(blk, 0, rate);
        memcpy(blk, in[k] + off, len - off);
        blk[len - off] ^= domain;
        blk[rate - 1] ^= 0x80;
        for (size_t i = 0; i < rate / 8; i++)
            st->s[4 * i + k] ^= load64(blk + 8 * i);
    }
    aegis_memzero(blk, sizeof(blk));
}

void aegis__keccakx4_squeeze(aegis__keccakx4 *st, uint8_t *const out[4], size_t nblocks, size_t rate)
{
    for (size_t b = 0; b < nblocks; b++) {
        aegis__keccakx4_permute(st);
        for (int k = 0; k < 4; k++)
            for (size_t i = 0; i < rate / 8; i++)
                memcpy(out[k] + b * rate + 8 * i, &st->s[4 * i + k], 8);
    }
}

void aegis__keccakx4_clear(aegis__keccakx4 *st)
{
    aegis_memzero(st->s, sizeof(st->s));
}

/* ---- one SHAKE256 sponge on lane 0 (keccak4x.h) ---- */
void aegis__shake256x1_init(aegis__shake256x1 *c)
{
    memset(c->st.s, 0, sizeof(c->st.s));
    c->pos = 0;
}

static inline void x1_xor_byte(aegis__shake256x1 *c, size_t p, uint8_t b)
{
    c->st.s[4 * (p / 8)] ^= (uint64_t)b << (8 * (p % 8));
}

void aegis__shake256x1_absorb(aegis__shake256x1 *c, const uint8_t *in, size_t len)
{
    while (len) {
        size_t n = AEGIS_SHAKE256_RATE - c->pos;
        if (n > len)
            n = len;
        size_t i = 0;
        if (c->pos % 8 == 0)   /* whole words while aligned in the block */
            for (; i + 8 <= n; i += 8)
                c->st.s[4 * ((c->pos + i) / 8)] ^= load64(in + i);
        for (; i < n; i++)
            x1_xor_byte(c, c->pos + i, in[i]);
        c->pos += n;
        in += n;
        len -= n;
        if (c->pos == AEGIS_SHAKE256_RATE) {
            aegis__keccakx4_permute(&c->st);
            c->pos = 0;
        }
    }
}

void aegis__shake256x1_finalize(aegis__shake256x1 *c)
{
    x1_xor_byte(c, c->pos, 0x1F);
    x1_xor_byte(c, AEGIS_SHAKE256_RATE - 1, 0x80);
    c->pos = AEGIS_SHAKE256_RATE;   /* squeezing: permute before the first byte */
}

void aegis__shake256x1_squeeze(aegis__shake256x1 *c, uint8_t *out, size_t len)
{
    while (len) {
        if (c->pos == AEGIS_SHAKE256_RATE) {
            aegis__keccakx4_permute(&c->st);
            c->pos = 0;
        }
        size_t n = AEGIS_SHAKE256_RATE - c->pos;
        if (n > len)
            n = len;
        size_t i = 0;
        if (c->pos % 8 == 0)
            for (; i + 8 <= n; i += 8)
                memcpy(out + i, &c->st.s[4 * ((c->pos + i) / 8)], 8);
        for (; i < n; i++)
            out[i] = (uint8_t)(c->st.s[4 * ((c->pos + i) / 8)] >> (8 * ((c->pos + i) % 8)));
        c->pos += n;
        out += n;
        len -= n;
    }
}

void aegis__shake256x1_clear(aegis__shake256x1 *c)
{
    aegis_memzero(c, sizeof(*c));
}

/* ---- the job scheduler: independent sponges of any lengths on four lanes ----
 * A lane absorbs its job's input one block per step (the last block padded),
 * then either reads the hash output or hands one squeezed block per step to
 * take(). When a job is done the lane is zeroed and takes the first job not
 * yet taken whose dependency (after) is done; the loop ends when all lanes
 * are idle. The schedule depends
 * on input lengths and on what take() returns (rejection sampling on public
 * streams), never on secret data. */
struct lane {
    struct aegis__x4_job *job;   /* NULL: idle */
    size_t absorbed;             /* input bytes absorbed (blocks, last padded) */
    bool squeezing;
};

static void lane_xor(aegis__keccakx4 *st, unsigned k, const uint8_t *blk, size_t words)
{
    for (size_t i = 0; i < words; i++)
        st->s[4 * i + k] ^= load64(blk + 8 * i);
}

/* n bytes (a multiple of 8: rates and hash outputs here are) of lane k.
 * GCC 12 vectorises the copy and then misreads the destination's size
 * after inlining (-Wstringop-overflow false positive): silenced here only. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
static inline void lane_read(const aegis__keccakx4 *st, unsigned k, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n / 8; i++) {
        uint64_t w = st->s[4 * i + k];
        memcpy(out, &w, 8);
        out += 8;
    }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* one block of the job's input into lane k (the last one padded) */
static void lane_absorb_block(aegis__keccakx4 *st, unsigned k, struct lane *l)
{
    const struct aegis__x4_job *j = l->job;
    const uint8_t *in = j->in + l->absorbed;
    size_t n = j->len - l->absorbed;
    if (n >= j->rate) {   /* a whole block straight from the input */
        lane_xor(st, k, in, j->rate / 8);
        l->absorbed += j->rate;
        return;
    }
    /* the last block, padded, without a buffer: whole words, then the
     * partial word with the domain byte after it, then the final 0x80 */
    size_t w = n / 8, r = n % 8;
    lane_xor(st, k, in, w);
    uint64_t t = (uint64_t)j->domain << (8 * r);
    for (size_t i = 0; i < r; i++)
        t |= (uint64_t)in[8 * w + i] << (8 * i);
    st->s[4 * w + k] ^= t;
    st->s[4 * (j->rate / 8 - 1) + k] ^= 0x80ull << 56;
    l->absorbed = j->len + 1;   /* past the end: all in */
}

/* lane k takes the first job not yet taken whose dependency is done (or
 * stays idle) */
static void lane_take_next(aegis__keccakx4 *st, unsigned k, struct lane *l, struct aegis__x4_job *jobs,
                           size_t n, size_t *first)
{
    for (unsigned i = 0; i < 25; i++)
        st->s[4 * i + k] = 0;
    l->job = NULL;
    while (*first < n && jobs[*first].taken)
        (*first)++;
    for (size_t i = *first; i < n; i++) {
        if (jobs[i].taken || (jobs[i].after && !jobs[i].after->done))
            continue;
        jobs[i].taken = true;
        l->job = &jobs[i];
        l->absorbed = 0;
        l->squeezing = false;
        lane_absorb_block(st, k, l);
        return;
    }
}

void aegis__keccakx4_run(struct aegis__x4_job *jobs, size_t n)
{
    aegis__keccakx4 st;
    struct lane lanes[4];
    uint8_t blk[AEGIS_KECCAK_MAX_RATE];   /* the block handed to take(); wiped at the end */
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].after && jobs[i].after >= &jobs[i])
            aegis_misuse("aegis__keccakx4_run: a job may only wait for an earlier one");
        jobs[i].taken = jobs[i].done = false;
    }
    memset(st.s, 0, sizeof(st.s));
    for (unsigned k = 0; k < 4; k++)
        lane_take_next(&st, k, &lanes[k], jobs, n, &first);
    while (lanes[0].job || lanes[1].job || lanes[2].job || lanes[3].job) {
        aegis__keccakx4_permute(&st);
        for (unsigned k = 0; k < 4; k++) {
            struct lane *l = &lanes[k];
            struct aegis__x4_job *j = l->job;
            if (!j)
                continue;
            if (!l->squeezing && l->absorbed <= j->len) {   /* more input */
                lane_absorb_block(&st, k, l);
                continue;
            }
            l->squeezing = true;
            bool done;
            if (j->take) {
                lane_read(&st, k, blk, j->rate);
                done = j->take(j->ctx, blk, j->rate);
            } else {
                lane_read(&st, k, j->out, j->outlen);
                done = true;
            }
            if (done) {
                j->done = true;
                lane_take_next(&st, k, l, jobs, n, &first);
            }
        }
        for (unsigned k = 0; k < 4; k++)   /* idle lanes: a dependency may have finished */
            if (!lanes[k].job)
                lane_take_next(&st, k, &lanes[k], jobs, n, &first);
    }
    aegis__keccakx4_clear(&st);
    aegis_memzero(blk, sizeof(blk));
}

#endif
