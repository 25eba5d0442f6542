/*
 * bench_batch.c - `aegis bench batch [-n BATCHES]`: from cut to a durable,
 * ML-DSA-87-signed batch at 50 transactions, and SLH-DSA epoch sealing.
 *
 * Fixture: a temp data dir, the trusted core with the default config (max
 * batch 50, hybrid ordering, ECDSA on, per-batch sim attestation, SLH-DSA
 * in epoch mode, seal every 20) and a sqlite store. Before each cut the
 * core holds >= 50 admitted txs (real envelopes, submitted untimed).
 * Timed per batch, exactly as the daemon's cutter does it:
 *   aegis_core_cut_batch (order + header + Merkle root + ML-DSA-87 +
 *   secp256k1 + attestation + JSON), aegis_store_insert (durable),
 *   aegis_core_commit_batch.
 * Then the SLH-DSA-SHA2-256s seals over the accumulated windows of 20
 * batch hashes (aegis_core_seal_pending): seals/s and batches/s covered.
 * Wall time and thread-CPU time are both shown: on a shared machine wall
 * p99 includes time slices lost to other processes.
 */
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aegis/bench.h"
#include "aegis/chain.h"
#include "aegis/config.h"
#include "aegis/core.h"
#include "aegis/crypto.h"
#include "aegis/envelope.h"
#include "aegis/keys.h"
#include "aegis/store.h"
#include "aegis/tx.h"

#define BATCH   50
#define SENDERS 1000

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Envelope i: sender i % SENDERS at nonce i / SENDERS, sealed to rcpt. */
static int make_env(const aegis_envelope_pub *rcpt, uint64_t chain_id, const uint8_t (*sk)[32], size_t i,
                    uint8_t **ret, size_t *ret_len)
{
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.eip155 = true;
    p.chain_id = chain_id;
    p.nonce = i / SENDERS;
    p.gas_limit = 21000;
    aegis_u256_from_u64(&p.max_fee, 30000000000ull);
    aegis_u256_from_u64(&p.max_priority_fee, 1000000000ull + (i % 89) * 1000000ull);
    aegis_u256_from_u64(&p.value, i + 1);
    memset(p.to, 0x77, 20);
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (aegis_tx_build(&p, sk[i % SENDERS], &raw, &raw_len) != AEGIS_OK)
        return -1;
    size_t cap = aegis_envelope_sealed_size(raw_len);
    uint8_t *env = malloc(cap);
    aegis_err err = env ? aegis_envelope_seal(env, cap, ret_len, rcpt, raw, raw_len) : AEGIS_ERR_NOMEM;
    aegis_free(raw);
    if (err) {
        free(env);
        return -1;
    }
    *ret = env;
    return 0;
}

static int batch_main(int argc, char **argv)
{
    size_t iters = 100;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            iters = strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: aegis bench batch [-n BATCHES]\n");
            return 2;
        }
    }
    if (iters < 20 || iters > 2000) {
        fprintf(stderr, "bench batch: -n 20..2000\n");
        return 2;
    }
    int rc = 1;
    char root[64] = "/tmp/aegis-bench-XXXXXX", dir[96];
    aegis_config cfg;
    aegis_core *core = NULL;
    aegis_store *st = NULL;
    char *kj = NULL;
    json_t *j = NULL;
    const char *detail = NULL;
    aegis_keyset_pub pub;
    aegis_envelope_pub rcpt;
    size_t total = (iters + 2) * BATCH;
    uint8_t (*sk)[32] = malloc(SENDERS * 32);
    uint64_t *cut = calloc(iters, 8), *ins = calloc(iters, 8), *com = calloc(iters, 8);
    uint64_t *all = calloc(iters, 8), *all_cpu = calloc(iters, 8), *seal = calloc(iters, 8);
    size_t n_seal = 0;
    bool made_root = mkdtemp(root) != NULL;
    memset(&cfg, 0, sizeof(cfg));
    if (!made_root || !sk || !cut || !ins || !com || !all || !all_cpu || !seal ||
        aegis_random_bytes(&sk[0][0], SENDERS * 32) != AEGIS_OK)
        goto out;
    snprintf(dir, sizeof(dir), "%s/data", root);
    if (aegis_config_defaults(&cfg) != AEGIS_OK || aegis_config_set(&cfg, "node", "data_dir", dir, NULL) != AEGIS_OK)
        goto out;
    if (aegis_core_new(&core, &cfg, dir, &detail) != AEGIS_OK) {
        fprintf(stderr, "bench batch: core: %s\n", detail ? detail : "?");
        goto out;
    }
    aegis_store_opts so = { .group_commit_us = cfg.storage_group_commit_us };
    if (aegis_store_open(&st, "sqlite", dir, &so) != AEGIS_OK || aegis_core_key_info(core, &kj) != AEGIS_OK ||
        !(j = json_loads(kj, 0, NULL)) || aegis_chain_keyset_from_json(j, &pub, NULL, NULL) != AEGIS_OK)
        goto out;
    aegis_keyset_pub_envelope(&rcpt, &pub);
    printf("  fixture: core defaults (max batch %llu, %s, slh_mode %s, seal every %llu, attest %s), sqlite store\n",
           (unsigned long long)cfg.batch_max, cfg.mode, cfg.batch_slh_mode,
           (unsigned long long)cfg.batch_seal_every, cfg.tee_attest_mode);
    if (cfg.batch_max != BATCH) {
        fprintf(stderr, "bench batch: expected the default max batch of %d\n", BATCH);
        goto out;
    }

    /* Keep >= 50 admitted before every cut: 100 to start, 50 more per cut. */
    size_t next = 0;
    for (size_t b = 0; b < iters; b++) {
        size_t want = b == 0 ? 2 * BATCH : BATCH;
        for (size_t k = 0; k < want && next < total; k++, next++) {
            uint8_t *env = NULL;
            size_t len = 0;
            aegis_core_receipt r;
            const char *why = NULL;
            if (make_env(&rcpt, cfg.chain_id, (const uint8_t (*)[32])sk, next, &env, &len) ||
                aegis_core_submit(core, env, len, next + 1, aegis_wall_ms(), false, &r, &why) != AEGIS_OK) {
                fprintf(stderr, "bench batch: admission failed (%s)\n", why ? why : "build");
                free(env);
                goto out;
            }
            free(env);
        }
        aegis_core_batch *cb = NULL;
        uint64_t c0 = cpu_ns(), t0 = aegis_now_ns();
        aegis_err err = aegis_core_cut_batch(core, aegis_wall_ms(), false, &cb);
        uint64_t t1 = aegis_now_ns();
        if (err || !cb || cb->n != BATCH) {
            fprintf(stderr, "bench batch: cut: %s\n", err ? aegis_strerror(err) : "not a full batch");
            aegis_core_batch_free(cb);
            goto out;
        }
        err = aegis_store_insert(st, "batch", cb->number, (const uint8_t *)cb->json, cb->json_len);
        uint64_t t2 = aegis_now_ns();
        if (!err)
            err = aegis_core_commit_batch(core, cb);
        uint64_t t3 = aegis_now_ns(), c3 = cpu_ns();
        aegis_core_batch_free(cb);
        if (err) {
            fprintf(stderr, "bench batch: persist/commit: %s\n", aegis_strerror(err));
            goto out;
        }
        cut[b] = t1 - t0;
        ins[b] = t2 - t1;
        com[b] = t3 - t2;
        all[b] = t3 - t0;
        all_cpu[b] = c3 - c0;
    }
    aegis_bench_report("cut (order+sign+attest+json)", cut, iters);
    aegis_bench_report("store insert (durable)", ins, iters);
    aegis_bench_report("commit", com, iters);
    aegis_bench_report("cut -> durable signed batch (wall)", all, iters);
    aegis_bench_report("cut -> durable signed batch (cpu)", all_cpu, iters);

    /* Epoch seals: every full window of seal_every hashes accumulated above. */
    uint64_t seal_ns = 0;
    for (;;) {
        char *sj = NULL;
        uint64_t number = 0;
        uint64_t t0 = aegis_now_ns();
        aegis_err err = aegis_core_seal_pending(core, false, &number, &sj);
        uint64_t t1 = aegis_now_ns();
        if (err) {
            fprintf(stderr, "bench batch: seal: %s\n", aegis_strerror(err));
            goto out;
        }
        if (!sj)
            break;
        err = aegis_store_insert(st, "seal", number, (const uint8_t *)sj, strlen(sj));
        if (!err)
            err = aegis_core_seal_commit(core, sj, strlen(sj));
        aegis_free(sj);
        if (err)
            goto out;
        seal[n_seal++] = t1 - t0;
        seal_ns += t1 - t0;
    }
    if (n_seal == 0) {
        fprintf(stderr, "bench batch: no seal produced (need >= seal_every batches)\n");
        goto out;
    }
    aegis_bench_report("SLH-DSA epoch seal (window of 20)", seal, n_seal);
    double per_seal = (double)seal_ns / (double)n_seal / 1e9;
    printf("  => %.2f seals/s = %.0f batches/s covered by one sealer thread (target >= 20 batches/s)\n",
           1.0 / per_seal, (double)cfg.batch_seal_every / per_seal);
    rc = 0;
out:
    json_decref(j);
    aegis_free(kj);
    aegis_store_free(st);
    aegis_core_free(core);
    aegis_config_clear(&cfg);
    if (sk)
        aegis_memzero(sk, SENDERS * 32);
    free(sk);
    free(cut);
    free(ins);
    free(com);
    free(all);
    free(all_cpu);
    free(seal);
    if (made_root)
        nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

const struct aegis_bench aegis_bench_batch = {
    "batch", batch_main,
    "cut -> durable ML-DSA-signed batch at 50 txs (p50/p99), SLH-DSA epoch seals/s",
};
