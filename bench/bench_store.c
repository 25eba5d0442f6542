/* bench_store.c - `aegis bench store`: durable envelope appends on the
 * sqlite backend in a temp dir, with 1 and 4 appending threads, group
 * commit on (and, for comparison, the 4-thread run without the linger
 * window and on the memory backend). Prints throughput and latency. */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aegis/bench.h"
#include "aegis/store.h"

#define ENV_BYTES 1024

struct run {
    aegis_store *st;
    unsigned thread;
    size_t n;
    uint64_t *samples;   /* this thread's slice */
    aegis_err err;
};

static void *append_loop(void *arg)
{
    struct run *r = arg;
    uint8_t data[ENV_BYTES], hash[32];
    memset(data, 0xab, sizeof(data));
    r->err = AEGIS_OK;
    for (size_t i = 0; i < r->n; i++) {
        memset(hash, 0, sizeof(hash));
        aegis_put_be64(hash, ((uint64_t)r->thread << 40) | i);
        aegis_put_be64(hash + 8, aegis_now_ns());
        uint64_t id;
        uint64_t t0 = aegis_now_ns();
        aegis_err err = aegis_store_env_append(r->st, data, sizeof(data), hash, &id);
        r->samples[i] = aegis_now_ns() - t0;
        if (err != AEGIS_OK) {
            r->err = err;
            return NULL;
        }
    }
    return NULL;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static int bench_case(const char *backend, unsigned threads, size_t total, uint64_t gc_us)
{
    char dir[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/aegis-bench-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("aegis bench store: mkdtemp");
        return 1;
    }
    int rc = 1;
    aegis_store *st = NULL;
    uint64_t *samples = calloc(total, sizeof(*samples));
    struct run runs[16];
    pthread_t th[16];
    aegis_store_opts o = { .group_commit_us = gc_us };
    aegis_err err = aegis_store_open(&st, backend, dir, &o);
    if (err != AEGIS_OK || !samples || threads > 16) {
        fprintf(stderr, "aegis bench store: open: %s\n", aegis_strerror(err));
        goto out;
    }
    size_t per = total / threads;
    uint64_t t0 = aegis_now_ns();
    for (unsigned t = 0; t < threads; t++) {
        runs[t] = (struct run){ .st = st, .thread = t, .n = per, .samples = samples + t * per };
        if (pthread_create(&th[t], NULL, append_loop, &runs[t]) != 0) {
            threads = t;
            break;
        }
    }
    for (unsigned t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    uint64_t elapsed = aegis_now_ns() - t0;
    for (unsigned t = 0; t < threads; t++) {
        if (runs[t].err != AEGIS_OK) {
            fprintf(stderr, "aegis bench store: append: %s\n", aegis_strerror(runs[t].err));
            goto out;
        }
    }
    size_t n = per * threads;
    char op[96];
    snprintf(op, sizeof(op), "append %s %ut gc=%lluus", backend, threads, (unsigned long long)gc_us);
    aegis_bench_report(op, samples, n);
    printf("  %-34s %.0f appends/s (%zu x %d B in %.2f s)\n", "", (double)n * 1e9 / (double)elapsed,
           n, ENV_BYTES, (double)elapsed / 1e9);
    rc = 0;
out:
    aegis_store_free(st);
    free(samples);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

static int store_bench_main(int argc, char **argv)
{
    size_t n = 1000;
    uint64_t gc_us = 200;   /* the [storage] group_commit_us default */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            n = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--gc-us") == 0 && i + 1 < argc) {
            gc_us = strtoull(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: aegis bench store [--n APPENDS] [--gc-us MICROS]\n");
            return 2;
        }
    }
    if (n < 4)
        n = 4;
    int rc = 0;
    rc |= bench_case("sqlite", 1, n, gc_us);
    rc |= bench_case("sqlite", 4, n * 2, gc_us);
    rc |= bench_case("sqlite", 4, n * 2, 0);
    rc |= bench_case("memory", 4, n * 2, 0);
    return rc;
}

const struct aegis_bench aegis_bench_store = {
    "store", store_bench_main,
    "durable envelope appends (sqlite, group commit) with 1 and 4 threads",
};
