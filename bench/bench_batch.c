/*
 * bench_batch.c - `aegis bench batch [-n BATCHES]`: from cut to a durable,
 * ML-DSA-87-signed batch at 50 transactions, and SLH-DSA epoch sealing.
 *
 * Fixture: a temp data dir, the trusted core with the default config (max
 * batch 50, hybrid ordering, ECDSA on, per-batch sim attestation, SLH-DSA
 * in epoch mode, seal every 20) and a sqlite store. Before each cut the
 * core holds >= 50 admitted txs (real envelopes, logged in the store with
 * one group commit and submitted, untimed, as the daemon's ingest does; the
 * batch's envelopes are marked included after the commit, untimed: so the
 * WAL fills, and checkpoints come, at the daemon's pace).
 * Timed per batch, exactly as the daemon's cutter does it:
 *   aegis_core_cut_batch (order + header + Merkle root + ML-DSA-87 +
 *   secp256k1 + attestation + JSON), aegis_store_insert (durable),
 *   aegis_core_commit_batch.
 * Then the SLH-DSA-SHA2-256s seals over the accumulated windows of 20
 * batch hashes (aegis_core_seal_pending): seals/s and batches/s covered.
 * Wall time and process CPU time (all threads) are both shown: on a shared
 * machine wall p99 includes time slices lost to other processes and fsync
 * stalls caused by their I/O. Then each step alone (per-step breakdown).
 */
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aegis/batch.h"
#include "aegis/bench.h"
#include "aegis/chain.h"
#include "aegis/config.h"
#include "aegis/core.h"
#include "aegis/crypto.h"
#include "aegis/envelope.h"
#include "aegis/keys.h"
#include "aegis/store.h"
#include "aegis/tee.h"
#include "aegis/tx.h"

#define BATCH   50
#define SENDERS 1000

/* CPU time of the whole process: the store's checkpointer thread counts
 * too when it happens to run inside the window. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Envelope i: sender i % SENDERS at nonce i / SENDERS, sealed to rcpt. */
static int make_env(const aegis_envelope_pub *rcpt, uint64_t chain_id, const uint8_t (*sk)[32], size_t i,
                    uint8_t **ret, size_t *ret_len)
{
    return aegis_bench_seal_transfer(rcpt, chain_id, sk[i % SENDERS], i / SENDERS, 1000000000ull + (i % 89) * 1000000ull, i + 1, 0x77, ret,
                                     ret_len);
}

/* ---- per-step breakdown ----
 * Each step of the cut timed on its own, with the inputs the cut uses: 50
 * tx hashes, a default header, the batch context, the sim TEE, the JSON of
 * a real batch from the run above. The store insert is split into SQLite's
 * own work (the same table and pragmas, synchronous=OFF: no fsync) and the
 * fsync it waits for (write + fdatasync of a WAL-sized append), and the
 * checkpoint sqlite's auto-checkpoint used to run inside the commit that
 * took the WAL past 1000 frames (now on the store's checkpointer thread). */
struct steps {
    uint64_t *merkle, *header, *mldsa, *ecdsa, *quote, *json, *sq_nosync, *sq_full, *fsync, *ckpt;
};

static uint64_t *step_buf(size_t n)
{
    return calloc(n, sizeof(uint64_t));
}

static int sq_mirror(sqlite3 **db, const char *path, bool sync)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
             "CREATE TABLE records(coll TEXT NOT NULL, key INTEGER NOT NULL, val BLOB NOT NULL,"
             " PRIMARY KEY(coll, key)) WITHOUT ROWID;", sync ? "FULL" : "OFF");
    return sqlite3_open(path, db) == SQLITE_OK && sqlite3_exec(*db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int sq_mirror_insert(sqlite3 *db, uint64_t key, const char *val, size_t len)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO records(coll, key, val) VALUES('batch', ?1, ?2)", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, (int64_t)key);
        sqlite3_bind_blob64(s, 2, val, len, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int frames_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    *(int *)arg = frames;
    return SQLITE_OK;
}

static int step_breakdown(const char *root, const char *batch_json, size_t json_len, size_t n, size_t n_sign)
{
    int rc = -1;
    char path[160];
    aegis_keyset *ks = NULL;
    aegis_tee *tee = NULL;
    json_t *j = NULL;
    aegis_chain_batch cb;
    bool have_cb = false;
    sqlite3 *db_off = NULL, *db_full = NULL;
    int fd = -1;
    struct steps s = { step_buf(n), step_buf(n), step_buf(n_sign), step_buf(n), step_buf(n),
                       step_buf(n), step_buf(n), step_buf(n), step_buf(n), step_buf(n) };
    size_t n_ckpt = 0;
    int wal_frames = 0;
    uint8_t (*items)[32] = malloc(BATCH * 32);
    uint8_t *sig = malloc(AEGIS_MLDSA87_SIG_BYTES);
    char *page = malloc(json_len + 4096);
    if (!s.merkle || !s.header || !s.mldsa || !s.ecdsa || !s.quote || !s.json || !s.sq_nosync ||
        !s.sq_full || !s.fsync || !s.ckpt || !items || !sig || !page)
        goto out;
    snprintf(path, sizeof(path), "%s/step-tee", root);
    aegis_tee_option topt[] = { { "data_dir", path } };
    if (aegis_keyset_generate(1, &ks) != AEGIS_OK || aegis_tee_open("sim", topt, 1, &tee) != AEGIS_OK)
        goto out;
    if (!(j = json_loadb(batch_json, json_len, 0, NULL)) || aegis_chain_batch_from_json(j, &cb, NULL) != AEGIS_OK)
        goto out;
    have_cb = true;
    const uint8_t *ctx = (const uint8_t *)AEGIS_CHAIN_BATCH_CTX;
    size_t ctx_len = strlen(AEGIS_CHAIN_BATCH_CTX);
    uint8_t hash[32], ecdsa[AEGIS_SECP256K1_SIG_BYTES];
    for (size_t i = 0; i < n_sign; i++) {
        if (aegis_random_bytes(hash, 32) != AEGIS_OK)
            goto out;
        uint64_t t0 = aegis_now_ns();
        if (aegis_keyset_sign_mldsa87(ks, sig, hash, 32, ctx, ctx_len) != AEGIS_OK)
            goto out;
        s.mldsa[i] = aegis_now_ns() - t0;
    }
    for (size_t i = 0; i < n; i++) {
        if (aegis_random_bytes(&items[0][0], BATCH * 32) != AEGIS_OK)
            goto out;
        uint64_t t0 = aegis_now_ns();
        if (aegis_batch_merkle_root((const uint8_t (*)[32])items, BATCH, cb.h.tx_root) != AEGIS_OK)
            goto out;
        uint64_t t1 = aegis_now_ns();
        if (aegis_batch_header_hash(&cb.h, hash) != AEGIS_OK)
            goto out;
        uint64_t t2 = aegis_now_ns();
        if (aegis_keyset_sign_secp256k1(ks, ecdsa, hash) != AEGIS_OK)
            goto out;
        uint64_t t3 = aegis_now_ns();
        uint8_t rd[64], *q = NULL;
        size_t qlen = 0;
        aegis_chain_report_data(rd, AEGIS_CHAIN_TAG_BATCH, hash);
        if (aegis_tee_quote(tee, rd, &q, &qlen) != AEGIS_OK)
            goto out;
        aegis_free(q);
        uint64_t t4 = aegis_now_ns();
        json_t *bj = aegis_chain_batch_to_json(&cb);
        char *str = bj ? json_dumps(bj, JSON_COMPACT) : NULL;
        json_decref(bj);
        char *copy = str ? aegis_strdup(str) : NULL;
        free(str);
        aegis_free(copy);
        uint64_t t5 = aegis_now_ns();
        if (!copy)
            goto out;
        s.merkle[i] = t1 - t0;
        s.header[i] = t2 - t1;
        s.ecdsa[i] = t3 - t2;
        s.quote[i] = t4 - t3;
        s.json[i] = t5 - t4;
    }
    snprintf(path, sizeof(path), "%s/mirror-off.db", root);
    if (sq_mirror(&db_off, path, false))
        goto out;
    snprintf(path, sizeof(path), "%s/mirror-full.db", root);
    if (sq_mirror(&db_full, path, true))
        goto out;
    sqlite3_wal_hook(db_full, frames_hook, &wal_frames);   /* replaces auto-checkpoint */
    snprintf(path, sizeof(path), "%s/fsync.bin", root);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        goto out;
    memset(page, 0x5a, json_len + 4096);
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = aegis_now_ns();
        if (sq_mirror_insert(db_off, i + 1, batch_json, json_len))
            goto out;
        uint64_t t1 = aegis_now_ns();
        if (sq_mirror_insert(db_full, i + 1, batch_json, json_len))
            goto out;
        uint64_t t2 = aegis_now_ns();
        /* a WAL commit appends the record's pages plus frame headers */
        if (write(fd, page, json_len + 4096) != (ssize_t)(json_len + 4096) || fdatasync(fd) != 0)
            goto out;
        uint64_t t3 = aegis_now_ns();
        s.sq_nosync[i] = t1 - t0;
        s.sq_full[i] = t2 - t1;
        s.fsync[i] = t3 - t2;
        /* what sqlite's auto-checkpoint (1000 frames, PASSIVE) did inside
         * the commit that crossed the threshold; the store now runs it on
         * its checkpointer thread */
        if (wal_frames >= 1000) {
            uint64_t t4 = aegis_now_ns();
            if (sqlite3_wal_checkpoint_v2(db_full, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) != SQLITE_OK)
                goto out;
            s.ckpt[n_ckpt++] = aegis_now_ns() - t4;
            wal_frames = 0;
        }
    }
    printf("  per-step breakdown (each step alone, %zu runs; ML-DSA %zu runs; batch JSON %zu bytes):\n", n, n_sign,
           json_len);
    aegis_bench_report(" merkle root (50 tx hashes)", s.merkle, n);
    aegis_bench_report(" header encode + keccak", s.header, n);
    aegis_bench_report(" ML-DSA-87 sign", s.mldsa, n_sign);
    aegis_bench_report(" secp256k1 ECDSA sign", s.ecdsa, n);
    aegis_bench_report(" attestation (sim quote)", s.quote, n);
    aegis_bench_report(" JSON encode, jansson (before)", s.json, n);
    aegis_bench_report(" sqlite insert, synchronous=OFF", s.sq_nosync, n);
    aegis_bench_report(" sqlite insert, synchronous=FULL", s.sq_full, n);
    aegis_bench_report(" write+fdatasync of that size", s.fsync, n);
    aegis_bench_report(" checkpoint of 1000 WAL frames", s.ckpt, n_ckpt);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    sqlite3_close(db_off);
    sqlite3_close(db_full);
    if (have_cb)
        aegis_chain_batch_clear(&cb);
    json_decref(j);
    aegis_tee_free(tee);
    aegis_keyset_free(ks);
    free(s.merkle);
    free(s.header);
    free(s.mldsa);
    free(s.ecdsa);
    free(s.quote);
    free(s.json);
    free(s.sq_nosync);
    free(s.sq_full);
    free(s.fsync);
    free(s.ckpt);
    free(items);
    free(sig);
    free(page);
    return rc;
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
    char *last_json = NULL;
    size_t last_len = 0;
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
        /* as the daemon: envelopes logged durably (one group commit), then
         * admitted under their log ids; untimed, but they fill the WAL */
        size_t want = b == 0 ? 2 * BATCH : BATCH, got = 0;
        uint8_t *envs[2 * BATCH] = { 0 };
        uint8_t ehash[2 * BATCH][32];
        aegis_store_env_in in[2 * BATCH];
        bool ok = true;
        for (; got < want && next + got < total && ok; got++) {
            size_t len = 0;
            ok = make_env(&rcpt, cfg.chain_id, (const uint8_t (*)[32])sk, next + got, &envs[got], &len) == 0;
            if (ok) {
                aegis_keccak256(ehash[got], envs[got], len);
                in[got] = (aegis_store_env_in){ .data = envs[got], .len = len, .hash = ehash[got] };
            }
        }
        ok = ok && aegis_store_env_append_many(st, in, got) == AEGIS_OK;
        for (size_t k = 0; k < got && ok; k++) {
            aegis_core_receipt r;
            const char *why = NULL;
            if (aegis_core_submit(core, envs[k], in[k].len, in[k].id, aegis_wall_ms(), false, &r, &why) != AEGIS_OK) {
                fprintf(stderr, "bench batch: admission failed (%s)\n", why ? why : "?");
                ok = false;
            }
        }
        for (size_t k = 0; k < got; k++)
            free(envs[k]);
        next += got;
        if (!ok) {
            fprintf(stderr, "bench batch: building or logging envelopes failed\n");
            goto out;
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
        /* untimed, as the daemon does after publishing */
        if (!err)
            err = aegis_store_env_set_status(st, cb->envelope_ids, cb->n, AEGIS_ENV_INCLUDED, NULL);
        if (!err && b + 1 == iters && !(last_json = malloc(cb->json_len)))
            err = AEGIS_ERR_NOMEM;
        if (!err && b + 1 == iters) {
            memcpy(last_json, cb->json, cb->json_len);
            last_len = cb->json_len;
        }
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
    aegis_bench_report("cut -> durable (cpu, all threads)", all_cpu, iters);
    if (step_breakdown(root, last_json, last_len, iters, iters < 1000 ? 1000 : iters)) {
        fprintf(stderr, "bench batch: step breakdown failed\n");
        goto out;
    }

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
    free(last_json);
    if (made_root)
        aegis_bench_rmtree(root);
    return rc;
}

const struct aegis_bench aegis_bench_batch = {
    "batch", batch_main,
    "cut -> durable ML-DSA-signed batch at 50 txs (p50/p99), SLH-DSA epoch seals/s",
};
