/*
 * bench_ingest.c - `aegis bench ingest [-n N] [--threads T] [--quick]`:
 * acknowledged envelopes per second with durability on, in process (no
 * HTTP): what aegisd does per aegis_sendEncryptedTransaction.
 *
 * Fixture: a temp data dir, the trusted core (aegis_core_new, default
 * config) and a sqlite store with group commit (200 us, the default), N
 * valid EIP-1559 transactions from many senders sealed to the core's key
 * beforehand. Per envelope: durable append to the envelope log, then
 * aegis_core_submit (open + decode + recover + admit), then a signed
 * receipt (aegis_core_sign_receipts) - one ML-DSA-87 signature per receipt,
 * or per group of up to 16 / 64 queued receipts as the daemon groups them
 * under load (whoever finds no signer running signs everything queued).
 *
 * Reported:
 *   - the per-tx crypto cost alone (envelope open + tx decode with sender
 *     recovery, one thread): the ceiling ingest is compared against;
 *   - closed-loop runs: 1 thread; T threads pinned to ONE cpu (the "one
 *     core" figure: concurrency only overlaps fsync waits); T threads on
 *     two cpus. Envelopes/s, cpu-seconds used, ack latency p50/p99;
 *   - a paced run at half the crypto-only rate on one cpu: ack latency
 *     measured from each envelope's scheduled arrival (open loop, so
 *     queueing delay counts);
 *   - over real HTTP with every feature on (--http, or after the others):
 *     aegisd on `make run`'s config (config/aegis.toml: SLH-DSA seals,
 *     checkpoints, per-batch attestation) on a temporary data dir, driven by
 *     `aegis loadgen --preseal` saturated and then paced at half the
 *     saturated rate for ~12 s; acknowledged/s as a ratio to the one-core crypto-only
 *     rate measured just before, the daemon's CPU per acknowledgement, p99
 *     at half rate, and the load generator's own CPU per acknowledgement
 *     over its timed phase (all its threads: what it took from the two
 *     CPUs the node needed); loadgen fails the run unless every
 *     acknowledged envelope is included exactly once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "aegis/bench.h"
#include "aegis/chain.h"
#include "aegis/config.h"
#include "aegis/core.h"
#include "aegis/crypto.h"
#include "aegis/envelope.h"
#include "aegis/http.h"
#include "aegis/ingest.h"
#include "aegis/keys.h"
#include "aegis/store.h"
#include "aegis/tee.h"
#include "aegis/tx.h"

#define SENDERS 300

struct fixture {
    char root[64];             /* mkdtemp */
    char keydir[96];           /* the core's data dir: sealed key set */
    aegis_config cfg;
    aegis_keyset_pub pub;
    aegis_envelope_pub rcpt;
    uint8_t **env;
    size_t *env_len;
    size_t n, cap;             /* built, allocated */
    unsigned runs;             /* store dirs used */
    uint64_t commit_us;        /* aegis_ingest_opts.commit_interval_us (0: its default) */
};

/* A core on the fixture's key dir (same sealed key set every time). */
static int core_open(struct fixture *fx, aegis_core **ret)
{
    const char *detail = NULL;
    aegis_err err = aegis_core_new(ret, &fx->cfg, fx->keydir, &detail);
    if (err)
        fprintf(stderr, "bench ingest: core: %s (%s)\n", aegis_strerror(err), detail ? detail : "");
    return err ? -1 : 0;
}

/* A fresh sqlite store (every run appends the same envelopes). */
static int store_open(struct fixture *fx, aegis_store **ret)
{
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/store-%u", fx->root, fx->runs++);
    aegis_store_opts o = { .group_commit_us = fx->cfg.storage_group_commit_us };
    aegis_err err = aegis_store_open(ret, "sqlite", dir, &o);
    if (err)
        fprintf(stderr, "bench ingest: store: %s\n", aegis_strerror(err));
    return err ? -1 : 0;
}

static int fixture_init(struct fixture *fx, size_t n)
{
    memset(fx, 0, sizeof(*fx));
    snprintf(fx->root, sizeof(fx->root), "/tmp/aegis-bench-XXXXXX");
    if (!mkdtemp(fx->root))
        return -1;
    snprintf(fx->keydir, sizeof(fx->keydir), "%s/keys", fx->root);
    if (aegis_config_defaults(&fx->cfg) != AEGIS_OK ||
        aegis_config_set(&fx->cfg, "node", "data_dir", fx->keydir, NULL) != AEGIS_OK)
        return -1;
    /* the public key set, as a wallet gets it */
    aegis_core *core = NULL;
    if (core_open(fx, &core))
        return -1;
    char *kj = NULL;
    json_t *j = NULL;
    int rc = -1;
    if (aegis_core_key_info(core, &kj) == AEGIS_OK && (j = json_loads(kj, 0, NULL)) &&
        aegis_chain_keyset_from_json(j, &fx->pub, NULL, NULL) == AEGIS_OK)
        rc = 0;
    json_decref(j);
    aegis_free(kj);
    aegis_core_free(core);
    if (rc)
        return -1;
    aegis_keyset_pub_envelope(&fx->rcpt, &fx->pub);

    /* n signed transfers from SENDERS wallets, nonces in order per wallet */
    uint8_t (*sk)[32] = malloc(SENDERS * 32);
    fx->env = calloc(n, sizeof(*fx->env));
    fx->env_len = calloc(n, sizeof(*fx->env_len));
    fx->cap = fx->env ? n : 0;
    if (!sk || !fx->env || !fx->env_len || aegis_random_bytes(&sk[0][0], SENDERS * 32) != AEGIS_OK) {
        free(sk);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (aegis_bench_seal_transfer(&fx->rcpt, fx->cfg.chain_id, sk[i % SENDERS], i / SENDERS,
                                      1000000000ull + (i % 97) * 1000000ull, i + 1, 0x5a, &fx->env[i],
                                      &fx->env_len[i]) != 0)
            break;
        fx->n = i + 1;
    }
    aegis_memzero(sk, SENDERS * 32);
    free(sk);
    return fx->n == n ? 0 : -1;
}

static void fixture_clear(struct fixture *fx)
{
    for (size_t i = 0; i < fx->cap; i++)
        free(fx->env[i]);
    free(fx->env);
    free(fx->env_len);
    aegis_config_clear(&fx->cfg);
    if (fx->root[0])
        aegis_bench_rmtree(fx->root);
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- crypto cost alone ---- */

static double last_wall_mean_ns;   /* the latest crypto-only run's wall-clock mean */

static int crypto_only(struct fixture *fx, double *ret_mean_ns)
{
    aegis_tee *tee = NULL;
    aegis_keyset *ks = NULL;
    char path[160];
    snprintf(path, sizeof(path), "%s/keyset.sealed", fx->keydir);
    aegis_tee_option opt = { "data_dir", fx->keydir };
    if (aegis_tee_open("sim", &opt, 1, &tee) != AEGIS_OK || aegis_keyset_load(tee, path, &ks) != AEGIS_OK) {
        aegis_tee_free(tee);
        return -1;
    }
    aegis_tx_config tc;
    aegis_tx_config_default(&tc);
    tc.chain_id = fx->cfg.chain_id;
    tc.allow_extension = true;
    uint64_t *s = malloc(fx->n * sizeof(*s));
    uint8_t pt[4096];
    int rc = s ? 0 : -1;
    double sum = 0;
    uint64_t cpu0 = 0;
    for (size_t i = 0; !rc && i < fx->n; i++) {
        size_t pt_len = 0;
        aegis_tx tx;
        if (i == 0)
            cpu0 = thread_cpu_ns();
        uint64_t t0 = aegis_now_ns();
        if (aegis_keyset_open_envelope(ks, pt, sizeof(pt), &pt_len, fx->env[i], fx->env_len[i]) != AEGIS_OK ||
            aegis_tx_decode(&tc, pt, pt_len, &tx, NULL) != AEGIS_OK)
            rc = -1;
        s[i] = aegis_now_ns() - t0;
        sum += (double)s[i];
    }
    if (!rc) {
        /* thread CPU time: the machine may be shared, wall time is not the cost */
        double cpu_mean = (double)(thread_cpu_ns() - cpu0) / (double)fx->n;
        *ret_mean_ns = cpu_mean;
        last_wall_mean_ns = sum / (double)fx->n;
        printf("  crypto only: envelope open + tx decode/recover = %.0f /s per cpu (cpu %.1f us/tx, wall mean %.1f us)\n",
               1e9 / cpu_mean, cpu_mean / 1e3, sum / (double)fx->n / 1e3);
        aegis_bench_report("open + decode (1 thread)", s, fx->n);
    }
    aegis_memzero(pt, sizeof(pt));
    free(s);
    aegis_keyset_free(ks);
    aegis_tee_free(tee);
    return rc;
}

/* ---- ingest runs, through the daemon's own pipeline (aegis/ingest.h) ---- */

struct run;
struct slot {
    struct run *r;
    size_t i;
};

struct run {
    struct fixture *fx;
    uint64_t *t0;              /* submit time, or scheduled arrival (paced) */
    uint64_t *lat;
    struct slot *slot;         /* callback args, one per envelope */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t window;             /* closed loop: most in flight; 0 = paced */
    atomic_size_t in_flight, completed;
    atomic_int failed;
};

static void on_done(void *arg, const aegis_ingest_result *res)
{
    const struct slot *sl = arg;
    struct run *r = sl->r;
    r->lat[sl->i] = aegis_now_ns() - r->t0[sl->i];   /* its own slot: no lock */
    if (res->err && atomic_exchange(&r->failed, 1) == 0)
        fprintf(stderr, "bench ingest: envelope %zu: %s (%s)\n", sl->i, aegis_strerror(res->err),
                res->detail ? res->detail : "");
    size_t left = atomic_fetch_sub(&r->in_flight, 1) - 1;
    size_t done = atomic_fetch_add(&r->completed, 1) + 1;
    /* wake the submitter only when it has real room (or all are done): a
     * lock and a wake-up per envelope would be the load generator's cost */
    if ((r->window && left == r->window / 2) || done == r->fx->n) {
        pthread_mutex_lock(&r->mu);
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
}

static void sleep_until(uint64_t t_ns)
{
    uint64_t now = aegis_now_ns();
    if (t_ns <= now)
        return;
    uint64_t d = t_ns - now;
    struct timespec ts = { (time_t)(d / 1000000000ull), (long)(d % 1000000000ull) };
    nanosleep(&ts, NULL);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Restrict this thread (and the threads it creates) to ncpu cpus of the
 * allowed set; 0 = leave as is. Returns how many it got. */
static int pin(int ncpu, cpu_set_t *saved)
{
    sched_getaffinity(0, sizeof(*saved), saved);
    if (ncpu <= 0)
        return CPU_COUNT(saved);
    cpu_set_t set;
    CPU_ZERO(&set);
    int got = 0;
    for (int c = 0; c < CPU_SETSIZE && got < ncpu; c++)
        if (CPU_ISSET(c, saved)) {
            CPU_SET(c, &set);
            got++;
        }
    sched_setaffinity(0, sizeof(set), &set);
    return got;
}

/* One run: the fixture's envelopes through an aegis_ingest on ncpu cpus,
 * either closed loop with up to `window` in flight or paced at `rate`/s
 * (open loop: latency counts from the scheduled arrival, so queueing
 * shows). Returns acknowledged envelopes/s, or -1. */
static double run_ingest(struct fixture *fx, const char *label, int ncpu, size_t window, double rate)
{
    struct run r;
    memset(&r, 0, sizeof(r));
    r.fx = fx;
    r.window = rate > 0 ? 0 : window;
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    r.t0 = calloc(fx->n, sizeof(*r.t0));
    r.lat = calloc(fx->n, sizeof(*r.lat));
    r.slot = calloc(fx->n, sizeof(*r.slot));
    double eps = -1;
    aegis_core *core = NULL;
    aegis_store *st = NULL;
    aegis_ingest *ig = NULL;
    cpu_set_t saved;
    int cpus = pin(ncpu, &saved);   /* before the ingest threads exist: they inherit it */
    if (!r.t0 || !r.lat || !r.slot || core_open(fx, &core) || store_open(fx, &st))
        goto out;
    /* envelopes opened on as many threads as the run has cpus, as aegisd does */
    aegis_ingest_opts o = { .max_queue = fx->n, .commit_interval_us = fx->commit_us, .open_threads = (size_t)cpus };
    if (aegis_ingest_new(&ig, core, st, &o) != AEGIS_OK)
        goto out;
    double period = rate > 0 ? 1e9 / rate : 0;
    double c0 = cpu_seconds();
    uint64_t start = aegis_now_ns() + 1000000;   /* first arrival 1 ms from now */
    for (size_t i = 0; i < fx->n; i++) {
        r.slot[i] = (struct slot){ &r, i };
        if (period > 0) {
            r.t0[i] = start + (uint64_t)(period * (double)i);
            sleep_until(r.t0[i]);
        } else {
            if (atomic_load(&r.in_flight) >= window) {
                pthread_mutex_lock(&r.mu);
                while (atomic_load(&r.in_flight) > window / 2)
                    pthread_cond_wait(&r.cv, &r.mu);
                pthread_mutex_unlock(&r.mu);
            }
            r.t0[i] = aegis_now_ns();
            if (i == 0)
                start = r.t0[0];
        }
        uint8_t *copy = aegis_malloc(fx->env_len[i]);
        if (!copy)
            goto out;
        memcpy(copy, fx->env[i], fx->env_len[i]);
        atomic_fetch_add(&r.in_flight, 1);
        aegis_err err = aegis_ingest_submit(ig, copy, fx->env_len[i], on_done, &r.slot[i]);
        if (err) {
            fprintf(stderr, "bench ingest: submit %zu: %s\n", i, aegis_strerror(err));
            goto out;
        }
    }
    pthread_mutex_lock(&r.mu);
    while (atomic_load(&r.completed) < fx->n)
        pthread_cond_wait(&r.cv, &r.mu);
    pthread_mutex_unlock(&r.mu);
    uint64_t end = aegis_now_ns();
    double cpu = cpu_seconds() - c0;
    if (atomic_load(&r.failed))
        goto out;
    aegis_ingest_stats s;
    aegis_ingest_get_stats(ig, &s);
    eps = (double)fx->n / ((double)(end - start) / 1e9);
    printf("  %-44s %7.0f env/s  (%d cpu, %.2f cpu-s: %.0f env per cpu-s, %.0f us cpu/env;"
           " %.1f receipts/signature, %.1f envelopes/commit)\n",
           label, eps, cpus, cpu, (double)fx->n / cpu, cpu * 1e6 / (double)fx->n,
           (double)s.admitted / (double)(s.groups ? s.groups : 1),
           (double)fx->n / (double)(s.appends ? s.appends : 1));
    /* the envelope-log commits behind it: a slow fsync is everyone's tail */
    uint64_t counts[AEGIS_STORE_LAT_BUCKETS], total = 0;
    aegis_store_latency_snapshot(st, counts, NULL, &total);
    printf("  %-44s log commits: %llu;", "", (unsigned long long)total);
    uint64_t seen = 0;
    for (size_t b = 0; b < AEGIS_STORE_LAT_BUCKETS; b++) {
        seen += counts[b];
        if (aegis_store_latency_bounds_us[b] >= 1000 && aegis_store_latency_bounds_us[b] <= 25000)
            printf(" > %.0f ms: %llu;", aegis_store_latency_bounds_us[b] / 1000, (unsigned long long)(total - seen));
    }
    printf("\n");
    char op[96];
    snprintf(op, sizeof(op), "ack latency: %s", label);
    aegis_bench_report(op, r.lat, fx->n);
out:
    aegis_ingest_free(ig);   /* completes anything still in flight */
    sched_setaffinity(0, sizeof(saved), &saved);
    aegis_store_free(st);
    aegis_core_free(core);
    free(r.t0);
    free(r.lat);
    free(r.slot);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv);
    return eps;
}

/* ---- over real HTTP: aegisd + aegis loadgen --preseal ---- */

struct lg_result {
    double ack_per_s, p50_ms, p99_ms, us_per_ack;
    double lg_us_per_ack;      /* the load generator's own CPU per ack (-1: not reported) */
    bool included;             /* loadgen: every one included exactly once */
};

/* The directory of this executable (aegisd sits beside aegis). */
static int exe_dir(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

/* Run argv with stdout and stderr into out_path; returns the pid or -1. */
static pid_t spawn(char *const argv[], const char *out_path)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execv(argv[0], argv);
    _exit(127);
}

static int wait_exit(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int pick_port(void)
{
    for (int tries = 0; tries < 50; tries++) {
        uint16_t r = 0;
        if (aegis_random_bytes((uint8_t *)&r, sizeof(r)) != AEGIS_OK)
            return -1;
        int port = 20000 + r % 40000;
        char url[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
        aegis_http_response resp = { 0 };
        if (aegis_http_get(url, 200, &resp) != AEGIS_OK)
            return port;   /* nobody answers there */
        aegis_http_response_clear(&resp);
    }
    return -1;
}

static bool wait_listening(int port, pid_t pid)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
    for (int i = 0; i < 300; i++) {
        aegis_http_response resp = { 0 };
        if (aegis_http_get(url, 500, &resp) == AEGIS_OK) {
            int st = resp.status;
            aegis_http_response_clear(&resp);
            if (st == 200 || st == 206)
                return true;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return false;
        struct timespec ts = { 0, 50000000L };
        nanosleep(&ts, NULL);
    }
    return false;
}

static double after_num(const char *s, const char *key)
{
    const char *p = s ? strstr(s, key) : NULL;
    return p ? strtod(p + strlen(key), NULL) : -1;
}

/* aegis loadgen --preseal against url; parses its summary. */
static int loadgen(const char *bindir, const char *tmp, const char *url, size_t count, double rate,
                   struct lg_result *r)
{
    char exe[600], out[600], n[32], rt[32];
    snprintf(exe, sizeof(exe), "%s/aegis", bindir);
    snprintf(out, sizeof(out), "%s/loadgen.out", tmp);
    snprintf(n, sizeof(n), "%zu", count);
    snprintf(rt, sizeof(rt), "%.0f", rate);
    char *argv[] = { exe, "loadgen", "--rpc", (char *)url, "--count", n, "--senders", "256", "--concurrency", "96",
                     "--preseal", "--allow-sim", rate > 0 ? "--rate" : NULL, rt, NULL };
    pid_t pid = spawn(argv, out);
    if (pid < 0)
        return -1;
    int rc = wait_exit(pid);
    char *text = NULL;
    size_t len = 0;
    if (aegis_file_read(out, 1u << 20, (uint8_t **)&text, &len) != AEGIS_OK)
        return -1;
    char want[64];
    snprintf(want, sizeof(want), "%zu/%zu included", count, count);
    memset(r, 0, sizeof(*r));
    r->included = rc == 0 && strstr(text, want) != NULL;
    const char *eq = strstr(text, "acknowledged in ");
    r->ack_per_s = eq ? after_num(eq, "s = ") : -1;
    r->p50_ms = after_num(eq, "p50 ");
    r->p99_ms = after_num(eq, "p99 ");
    const char *cpu = eq ? strstr(eq, "node CPU ") : NULL;
    r->us_per_ack = cpu ? after_num(cpu, "s = ") : -1;
    const char *lgc = strstr(text, "load generator CPU ");
    r->lg_us_per_ack = lgc ? after_num(lgc, "s = ") : -1;
    if (!r->included || r->ack_per_s <= 0) {
        fprintf(stderr, "bench ingest: loadgen (exit %d):\n%s\n", rc, text);
        aegis_free(text);
        return -1;
    }
    aegis_free(text);
    return 0;
}

static int http_runs(struct fixture *fx, const char *config, size_t count)
{
    char bindir[512], tmp[600], datadir[700], log[700], exe[600], url[64], listen[64];
    if (access(config, R_OK) != 0) {
        printf("  over HTTP: skipped (no %s; run from the repository root or pass --config)\n", config);
        return 0;
    }
    if (exe_dir(bindir, sizeof(bindir)))
        return -1;
    snprintf(exe, sizeof(exe), "%s/aegisd", bindir);
    if (access(exe, X_OK) != 0) {
        printf("  over HTTP: skipped (no %s)\n", exe);
        return 0;
    }
    snprintf(tmp, sizeof(tmp), "%s/http", fx->root);
    snprintf(datadir, sizeof(datadir), "%s/var", tmp);
    snprintf(log, sizeof(log), "%s/aegisd.log", tmp);
    if (mkdir(tmp, 0700) != 0)
        return -1;
    int port = pick_port();
    if (port < 0)
        return -1;
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    char *argv[] = { exe, "--config", (char *)config, "--data-dir", datadir, "--listen", listen, NULL };
    pid_t d = spawn(argv, log);
    if (d < 0)
        return -1;
    int rc = -1;
    struct lg_result sat, half;
    double ns = 0;
    if (!wait_listening(port, d)) {
        fprintf(stderr, "bench ingest: aegisd did not start (log: %s)\n", log);
        goto out;
    }
    printf("  over HTTP: aegisd on %s (seals, checkpoints, per-batch attestation as configured), "
           "aegis loadgen --preseal, 96 keep-alive connections (under rpc.max_connections_per_address), %zu envelopes\n", config, count);
    if (crypto_only(fx, &ns) || loadgen(bindir, tmp, url, count, 0, &sat))
        goto out;
    double cr = 1e9 / ns, cr_wall = 1e9 / last_wall_mean_ns;
    printf("  %-44s %7.0f ack/s = %.2fx the one-core crypto-only rate just before (%.0f/s); "
           "node CPU %.0f us per ack (load generator %.1f us per ack); ack p50 %.1f ms p99 %.1f ms; "
           "every acknowledged envelope included once\n",
           "HTTP saturated", sat.ack_per_s, sat.ack_per_s / cr, cr, sat.us_per_ack, sat.lg_us_per_ack, sat.p50_ms,
           sat.p99_ms);
    /* on a shared host the crypto loop got only part of a cpu: its wall-clock
     * rate says how much, and the ratio against it compares like with like */
    printf("  %-44s (the crypto-only loop got %.0f%% of a cpu: %.0f/s by the wall clock; against that, %.2fx)\n", "",
           100.0 * ns / last_wall_mean_ns, cr_wall, sat.ack_per_s / cr_wall);
    /* ~12 s: a p99 over a few seconds says mostly whether one SLH-DSA seal
     * or checkpoint (one every ~5 s, ~0.1-0.3 CPU-s) fell in the window;
     * 12 s hold two or three of them, as a steady stream would */
    size_t half_n = (size_t)(sat.ack_per_s / 2 * 12);
    if (half_n < 1000)
        half_n = 1000;
    if (half_n > 60000)
        half_n = 60000;
    if (loadgen(bindir, tmp, url, half_n, sat.ack_per_s / 2, &half))
        goto out;
    char label[96];
    snprintf(label, sizeof(label), "HTTP paced %.0f/s (half the saturated)", sat.ack_per_s / 2);
    printf("  %-44s %7.0f ack/s; node CPU %.0f us per ack (load generator %.1f us per ack); ack p50 %.1f ms "
           "p99 %.1f ms (target p99 <= 10 ms); every acknowledged envelope included once\n",
           label, half.ack_per_s, half.us_per_ack, half.lg_us_per_ack, half.p50_ms, half.p99_ms);
    rc = 0;
out:
    kill(d, SIGTERM);
    int drc = wait_exit(d);
    if (drc != 0)
        fprintf(stderr, "bench ingest: aegisd exited %d (log: %s)\n", drc, log);
    return rc;
}

static int ingest_main(int argc, char **argv)
{
    size_t n = 3000;
    bool quick = false, paced_only = false, http_only = false;
    uint64_t commit_us = 0;
    size_t http_n = 12000;
    const char *config = "config/aegis.toml";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--commit-us") == 0 && i + 1 < argc)
            commit_us = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--paced") == 0)
            paced_only = true;
        else if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "--http") == 0)
            http_only = true;
        else if (strcmp(argv[i], "--http-n") == 0 && i + 1 < argc)
            http_n = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else {
            fprintf(stderr, "usage: aegis bench ingest [-n N] [--quick] [--paced] [--commit-us US]\n"
                            "                          [--http] [--http-n N] [--config FILE]\n");
            return 2;
        }
    }
    if (n < 100 || n > 100000) {
        fprintf(stderr, "bench ingest: -n 100..100000\n");
        return 2;
    }
    struct fixture fx;
    int rc = 1;
    if (fixture_init(&fx, n)) {
        fprintf(stderr, "bench ingest: fixture setup failed\n");
        goto out;
    }
    fx.commit_us = commit_us;
    printf("  fixture: %zu EIP-1559 txs from %d senders, sqlite store (group commit %llu us), default core\n",
           n, SENDERS, (unsigned long long)fx.cfg.storage_group_commit_us);
    if (http_only) {
        rc = http_runs(&fx, config, http_n) ? 1 : 0;
        goto out;
    }
    double crypto_ns = 0;
    if (crypto_only(&fx, &crypto_ns))
        goto out;
    double crypto_rate = 1e9 / crypto_ns;
    double one_core = 0, e;
    struct {
        const char *label;
        int ncpu;
        size_t window;
    } runs[] = {
        { "1 cpu, one at a time", 1, 1 },
        { "1 cpu, up to 64 in flight", 1, 64 },
        { "2 cpus (2 openers), up to 1024 in flight", 2, 1024 },
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(runs) && !quick && !paced_only; i++)
        if (run_ingest(&fx, runs[i].label, runs[i].ncpu, runs[i].window, 0) < 0)
            goto out;
    /* The one-core figure: saturated runs, each right after its own
     * crypto-only measurement, so both see the same machine (a shared host's
     * speed drifts by tens of percent within minutes); the median ratio. */
    double ratio[3] = { 0 };
    int pairs = paced_only ? 0 : quick ? 1 : 3;
    for (int k = 0; k < pairs; k++) {
        double ns = 0;
        if (k > 0 && crypto_only(&fx, &ns))
            goto out;
        double cr = k > 0 ? 1e9 / ns : crypto_rate;
        e = run_ingest(&fx, "1 cpu, up to 1024 in flight", 1, 1024, 0);
        if (e < 0)
            goto out;
        ratio[k] = e / cr;
        if (e > one_core)
            one_core = e;
        printf("  %-44s %.0f%% of the crypto-only rate measured just before (%.0f/s)\n", "", 100.0 * ratio[k], cr);
    }
    if (pairs) {
        /* median of 1 or 3 */
        double m = ratio[0];
        if (pairs == 3) {
            double a = ratio[0], b = ratio[1], c = ratio[2];
            m = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
        }
        printf("  => one cpu sustains %.0f%% of the crypto-only rate (median of %d saturated runs, each against its "
               "own crypto-only run; best %.0f env/s) (target >= 80%%)\n",
               100.0 * m, pairs, one_core);
    } else {
        one_core = 0.8 * crypto_rate;   /* the target rate stands in for the unmeasured one */
    }
    /* half the rate on one cpu, then the same load on both cpus of the
     * machine (the pipeline's threads, the submitter and the checkpointer
     * spread out as they do in aegisd) */
    struct {
        double rate;
        const char *what;
        int ncpu;
    } paced[] = {
        { crypto_rate / 2, "half the crypto rate", 1 },
        { one_core / 2, "half the 1-cpu ingest", 1 },
        { crypto_rate / 2, "half the crypto rate", 2 },
        { one_core / 2, "half the 1-cpu ingest", 2 },
    };
    for (size_t k = 0; k < AEGIS_ARRAY_LEN(paced); k++) {
        if (quick && k != 1)
            continue;
        char label[96];
        snprintf(label, sizeof(label), "paced %.0f/s (%s), %d cpu%s", paced[k].rate, paced[k].what, paced[k].ncpu,
                 paced[k].ncpu > 1 ? "s" : "");
        if (run_ingest(&fx, label, paced[k].ncpu, 0, paced[k].rate) < 0)
            goto out;
    }
    printf("  (paced: latency from each envelope's scheduled arrival; target p99 <= 10 ms)\n");
    if (!quick && !paced_only && http_runs(&fx, config, http_n))
        goto out;
    rc = 0;
out:
    fixture_clear(&fx);
    return rc;
}

const struct aegis_bench aegis_bench_ingest = {
    "ingest", ingest_main,
    "acked envelopes/s with a durable sqlite log (append + core submit + signed receipt) vs crypto cost",
};
