/*
 * bench_order.c - `aegis bench order [-n ITERATIONS]`: a 10,000-transaction
 * mempool (random senders, nonces in order, random fees and classes), cut a
 * 50-transaction batch under each strategy, refill, repeat. Reports the cut
 * (select only, and select + removal), admission into a full-size pool, and
 * the batch's Merkle root + header hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aegis/batch.h"
#include "aegis/bench.h"
#include "aegis/crypto.h"
#include "aegis/order.h"

#define POOL      10000
#define BATCH     50
#define SENDERS   2500

struct gen {
    uint64_t rng;
    uint64_t env;
    uint64_t next_nonce[SENDERS];
};

static uint64_t rnd(struct gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

/* Class rides in `to`, as the test classifier reads it. */
static aegis_err bench_classify(void *ctx, const struct aegis_mempool_tx *tx, struct aegis_tx_class *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->asset_level = tx->to[0];
    out->migration = tx->to[1] != 0;
    out->migration_group = tx->to[1];
    out->risk_score = aegis_get_be16(tx->to + 2);
    return AEGIS_OK;
}

static void gen_tx(struct gen *g, struct aegis_mempool_tx *t)
{
    static const uint8_t raw[120] = { 0x02 };
    memset(t, 0, sizeof(*t));
    unsigned s = (unsigned)(rnd(g) % SENDERS);
    t->sender[0] = 0xbe;
    aegis_put_be32(t->sender + 16, s);
    t->nonce = g->next_nonce[s]++;
    uint64_t tip = 1000000000ull * (1 + rnd(g) % 200);
    aegis_put_be64(t->priority_fee + 24, tip);
    aegis_put_be64(t->max_fee + 24, tip * 2);
    t->envelope_id = ++g->env;
    t->gas_limit = 21000;
    t->flags = AEGIS_MEMPOOL_TX_HAS_TO;
    uint64_t r = rnd(g);
    t->to[0] = (uint8_t)(r % 10 == 0 ? 1 + (r >> 8) % 3 : 0);
    t->to[1] = (uint8_t)((r >> 16) % 20 == 0 ? 1 + (r >> 24) % 4 : 0);
    aegis_put_be16(t->to + 2, (uint16_t)((r >> 32) % 10001));
    uint8_t seed[16];
    aegis_put_be64(seed, g->env);
    aegis_put_be64(seed + 8, g->rng);
    aegis_keccak256(t->tx_hash, seed, sizeof(seed));
    seed[0] ^= 0xff;
    aegis_keccak256(t->envelope_hash, seed, sizeof(seed));
    t->raw = raw;
    t->raw_len = sizeof(raw);
}

/* Thread CPU time: on a shared machine, wall-clock p99 includes time slices
 * lost to other processes; CPU time shows the cost of the cut itself. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fill(aegis_mempool *mp, struct gen *g, size_t target, uint64_t *admit_ns, size_t *n_admit)
{
    while (aegis_mempool_count(mp) < target) {
        struct aegis_mempool_tx t;
        struct aegis_mempool_admit ad;
        gen_tx(g, &t);
        uint64_t t0 = aegis_now_ns();
        aegis_err err = aegis_mempool_add(mp, &t, 1, &ad);
        uint64_t t1 = aegis_now_ns();
        if (err == AEGIS_ERR_MEMPOOL_SENDER_LIMIT) {
            /* That sender is saturated (strategies that starve it): give
             * its nonce back and draw another sender. */
            g->next_nonce[aegis_get_be32(t.sender + 16)]--;
            continue;
        }
        if (err != AEGIS_OK) {
            fprintf(stderr, "bench order: admission failed: %s\n", aegis_strerror(err));
            return -1;
        }
        aegis_mempool_tx_free(ad.dropped);
        if (admit_ns && *n_admit < 100000)
            admit_ns[(*n_admit)++] = t1 - t0;
    }
    return 0;
}

static int run_strategy(const char *name, size_t iters, bool with_batch)
{
    int rc = -1;
    aegis_order *o = NULL;
    aegis_mempool *mp = NULL;
    struct gen *g = calloc(1, sizeof(*g));
    uint64_t *sel = calloc(iters, sizeof(uint64_t)), *take = calloc(iters, sizeof(uint64_t));
    uint64_t *mk = calloc(iters, sizeof(uint64_t)), *admit = calloc(100000, sizeof(uint64_t));
    uint64_t *take_cpu = calloc(iters, sizeof(uint64_t));
    size_t n_admit = 0;
    if (!g || !sel || !take || !mk || !admit || !take_cpu)
        goto out;
    g->rng = 0x2545f4914f6cdd1dull;
    struct aegis_mempool_config cfg;
    aegis_mempool_config_defaults(&cfg);
    cfg.capacity = POOL;
    cfg.per_sender = 64;
    cfg.classifier.classify = bench_classify;
    if (aegis_mempool_new(&cfg, &mp) != AEGIS_OK || aegis_order_new(name, NULL, &o) != AEGIS_OK)
        goto out;
    if (fill(mp, g, POOL, NULL, NULL) != 0)
        goto out;
    aegis_order_attach(o, mp, AEGIS_ORDER_LEVEL_SCHEDULED);
    for (size_t i = 0; i < iters; i++) {
        aegis_mempool_set_next_batch(mp, i + 1);
        const struct aegis_mempool_tx *out[BATCH];
        size_t n = 0;
        uint64_t t0 = aegis_now_ns();
        if (aegis_order_cut(o, mp, AEGIS_ORDER_LEVEL_SCHEDULED, BATCH, out, &n) != AEGIS_OK)
            goto out;
        uint64_t t1 = aegis_now_ns();
        struct aegis_mempool_txlist l = { 0 };
        uint64_t c2 = cpu_ns(), t2 = aegis_now_ns();
        if (aegis_order_take(o, mp, AEGIS_ORDER_LEVEL_SCHEDULED, BATCH, &l) != AEGIS_OK || l.n != BATCH)
            goto out;
        uint64_t t3 = aegis_now_ns(), c3 = cpu_ns();
        sel[i] = t1 - t0;
        take[i] = t3 - t2;
        take_cpu[i] = c3 - c2;
        if (with_batch) {
            uint8_t items[BATCH][32];
            struct aegis_batch_header h;
            memset(&h, 0, sizeof(h));
            for (size_t k = 0; k < l.n; k++)
                memcpy(items[k], l.v[k]->tx_hash, 32);
            uint64_t t4 = aegis_now_ns();
            h.version = AEGIS_BATCH_VERSION;
            h.number = i;
            h.tx_count = BATCH;
            h.algorithm_set = AEGIS_ALG_MLDSA87;
            h.strategy_id = aegis_order_strategy_id(o);
            uint8_t hash[32];
            if (aegis_batch_merkle_root((const uint8_t (*)[32])items, l.n, h.tx_root) != AEGIS_OK ||
                aegis_batch_header_hash(&h, hash) != AEGIS_OK)
                goto out;
            mk[i] = aegis_now_ns() - t4;
        }
        aegis_mempool_txlist_clear(&l);
        if (fill(mp, g, POOL, admit, &n_admit) != 0)
            goto out;
    }
    char label[96];
    snprintf(label, sizeof(label), "%s: select %d of %d", name, BATCH, POOL);
    aegis_bench_report(label, sel, iters);
    snprintf(label, sizeof(label), "%s: cut %d of %d (select+remove)", name, BATCH, POOL);
    aegis_bench_report(label, take, iters);
    snprintf(label, sizeof(label), "%s: cut %d of %d, thread CPU time", name, BATCH, POOL);
    aegis_bench_report(label, take_cpu, iters);
    snprintf(label, sizeof(label), "%s: admit 1 into %d", name, POOL);
    aegis_bench_report(label, admit, n_admit);
    if (with_batch)
        aegis_bench_report("batch: merkle root + header hash (50)", mk, iters);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench order: %s failed\n", name);
    aegis_order_free(o);
    aegis_mempool_free(mp);
    free(g);
    free(sel);
    free(take);
    free(mk);
    free(admit);
    free(take_cpu);
    return rc;
}

static int order_bench(int argc, char **argv)
{
    size_t iters = 2000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            iters = strtoull(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: aegis bench order [-n ITERATIONS]\n");
            return 2;
        }
    }
    if (iters == 0)
        iters = 1;
    static const char *const names[] = { "hybrid", "fifo", "risk", "asset", "migration" };
    int rc = 0;
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(names); i++)
        if (run_strategy(names[i], iters, i == 0) != 0)
            rc = 1;
    return rc;
}

const struct aegis_bench aegis_bench_order = {
    "order", order_bench, "ordering: cut 50 from a 10,000-tx mempool (each strategy)"
};
