/*
 * bench_restart.c - `aegis bench restart [-n BATCHES] [--runs R]`: how long
 * aegisd takes from exec to a healthy /healthz on a store holding a long
 * chain (issue 12's target: within 1 s at any length; 100,000 batches by
 * default).
 *
 * Fixture: the trusted core and a sqlite store in a data dir on /dev/shm
 * (building 100,000 batches with an fsync each would take most of an hour;
 * the chain is the same): one EIP-1559 transfer per batch (sender i % 1000,
 * in nonce order), logged, admitted, cut, persisted and committed exactly as
 * the daemon's pipeline does; seal_every 1000 and checkpoint_interval
 * 10000 keep the SLH-DSA work of the build bounded. The data dir is then
 * copied to /tmp (the disk) and aegisd is started on it R times (default
 * 3), each time timed from exec until /healthz answers 200 (polled every
 * 5 ms), then stopped with SIGTERM. The page cache is warm (the copy just
 * read and wrote every file): the figure is CPU and SQLite, not the disk.
 * The build saves the core's restart snapshot as aegisd does (every 1000
 * batches, at a clean stop); --full then removes it and times one more
 * start, which verifies every batch as aegisd did before the snapshot (the
 * peer for the ratio; minutes at 100,000 batches).
 */
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "aegis/bench.h"
#include "aegis/chain.h"
#include "aegis/config.h"
#include "aegis/core.h"
#include "aegis/crypto.h"
#include "aegis/envelope.h"
#include "aegis/http.h"
#include "aegis/keys.h"
#include "aegis/store.h"
#include "aegis/tx.h"

#define SENDERS 1000

/* the store's test hook (synchronous=OFF while building on /dev/shm) */
aegis_err aegis__store_test_exec(aegis_store *st, const char *cmd);

static int make_env(const aegis_envelope_pub *rcpt, uint64_t chain_id, const uint8_t (*sk)[32], size_t i,
                    uint8_t **ret, size_t *ret_len)
{
    return aegis_bench_seal_transfer(rcpt, chain_id, sk[i % SENDERS], i / SENDERS, 1000000000ull, i + 1, 0x77, ret,
                                     ret_len);
}

static const char *TOML = "[batch]\nmax = 1\ninterval_ms = 1000\nseal_every = 1000\ncheckpoint_interval = 10000\n";

/* Build n batches in dir (one tx each). */
static int build_chain(const char *dir, size_t n)
{
    int rc = -1;
    aegis_config cfg;
    aegis_core *core = NULL;
    aegis_store *st = NULL;
    char *kj = NULL;
    json_t *j = NULL;
    const char *detail = NULL;
    char *msg = NULL;
    aegis_keyset_pub pub;
    aegis_envelope_pub rcpt;
    uint8_t (*sk)[32] = malloc(SENDERS * 32);
    memset(&cfg, 0, sizeof(cfg));
    if (!sk || aegis_random_bytes(&sk[0][0], SENDERS * 32) != AEGIS_OK ||
        aegis_config_load_buffer(&cfg, "bench", TOML, strlen(TOML), &msg) != AEGIS_OK ||
        aegis_config_set(&cfg, "node", "data_dir", dir, NULL) != AEGIS_OK)
        goto out;
    if (aegis_core_new(&core, &cfg, dir, &detail) != AEGIS_OK) {
        fprintf(stderr, "bench restart: core: %s\n", detail ? detail : "?");
        goto out;
    }
    if (aegis_store_open(&st, "sqlite", dir, NULL) != AEGIS_OK ||
        aegis__store_test_exec(st, "PRAGMA synchronous=OFF") != AEGIS_OK || aegis_core_key_info(core, &kj) != AEGIS_OK ||
        !(j = json_loads(kj, 0, NULL)) || aegis_chain_keyset_from_json(j, &pub, NULL, NULL) != AEGIS_OK)
        goto out;
    aegis_keyset_pub_envelope(&rcpt, &pub);
    uint64_t t0 = aegis_now_ns();
    for (size_t i = 0; i < n; i++) {
        uint8_t *env = NULL, h[32];
        size_t len = 0;
        if (make_env(&rcpt, cfg.chain_id, (const uint8_t (*)[32])sk, i, &env, &len) != 0)
            goto out;
        aegis_core_envelope_hash(env, len, h);
        uint64_t id = 0;
        aegis_core_receipt r;
        const char *why = NULL;
        aegis_err err = aegis_store_env_append(st, env, len, h, &id);
        if (!err)
            err = aegis_core_submit(core, env, len, id, aegis_wall_ms(), false, &r, &why);
        free(env);
        aegis_core_batch *b = NULL;
        if (!err)
            err = aegis_core_cut_batch(core, aegis_wall_ms(), true, &b);
        if (!err && !b)
            err = AEGIS_ERR_INTERNAL;
        if (!err)
            err = aegis_store_insert(st, "batch", b->number, (const uint8_t *)b->json, b->json_len);
        if (!err)
            err = aegis_core_commit_batch(core, b);
        if (!err)
            err = aegis_store_env_set_status(st, b->envelope_ids, b->n, AEGIS_ENV_INCLUDED, NULL);
        aegis_core_batch_free(b);
        char *sj = NULL;
        uint64_t sn = 0;
        if (!err)
            err = aegis_core_seal_pending(core, false, &sn, &sj);
        if (!err && sj) {
            err = aegis_store_insert(st, "seal", sn, (const uint8_t *)sj, strlen(sj));
            if (!err)
                err = aegis_core_seal_commit(core, sj, strlen(sj));
        }
        aegis_free(sj);
        if (!err && aegis_core_checkpoint_due(core)) {
            char *cj = NULL;
            uint64_t cn = 0;
            err = aegis_core_checkpoint_make(core, aegis_wall_ms(), &cn, &cj);
            if (!err && cj) {
                err = aegis_store_insert(st, "checkpoint", cn + 1, (const uint8_t *)cj, strlen(cj));
                if (!err)
                    err = aegis_core_checkpoint_commit(core, cj, strlen(cj));
            }
            aegis_free(cj);
        }
        if (err) {
            fprintf(stderr, "bench restart: batch %zu: %s (%s)\n", i + 1, aegis_strerror(err), why ? why : "");
            goto out;
        }
        if ((i + 1) % 10000 == 0 || i + 1 == n) {
            /* as aegisd does every 1000 batches and at a clean stop */
            err = aegis_core_snapshot_save(core, NULL);
            if (err) {
                fprintf(stderr, "bench restart: snapshot: %s\n", aegis_strerror(err));
                goto out;
            }
        }
        if ((i + 1) % 10000 == 0)
            fprintf(stderr, "  built %zu batches (%.0f s)\n", i + 1, (double)(aegis_now_ns() - t0) / 1e9);
    }
    rc = 0;
out:
    aegis_free(msg);
    json_decref(j);
    aegis_free(kj);
    aegis_store_free(st);
    aegis_core_free(core);
    aegis_config_clear(&cfg);
    free(sk);
    return rc;
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

/* exec aegisd on dir; ns until /healthz says 200 (0 on failure) */
static uint64_t time_to_healthy(const char *aegisd, const char *conf, const char *dir)
{
    char listen[64], url[96];
    int port = free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
    fflush(stdout);
    fflush(stderr);
    uint64_t t0 = aegis_now_ns(), took = 0;
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        execl(aegisd, "aegisd", "--config", conf, "--data-dir", dir, "--listen", listen, (char *)NULL);
        _exit(127);
    }
    if (pid < 0)
        return 0;
    uint64_t limit = 1800ull * 1000000000ull;   /* half an hour */
    while (aegis_now_ns() - t0 < limit) {
        aegis_http_response hr = { 0 };
        if (aegis_http_get(url, 1000, &hr) == AEGIS_OK && hr.status == 200) {
            took = aegis_now_ns() - t0;
            aegis_http_response_clear(&hr);
            break;
        }
        aegis_http_response_clear(&hr);
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "bench restart: aegisd exited before it was healthy\n");
            return 0;
        }
        struct timespec ts = { 0, 5000000 };
        nanosleep(&ts, NULL);
    }
    if (!took)
        fprintf(stderr, "bench restart: aegisd not healthy within %llu s\n", (unsigned long long)(limit / 1000000000ull));
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return took;
}

static int restart_run(int argc, char **argv)
{
    size_t n = 100000, runs = 3;
    bool full = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--full") == 0)
            full = true;
        else {
            fprintf(stderr, "usage: aegis bench restart [-n BATCHES] [--runs R] [--full]\n");
            return 2;
        }
    }
    if (n < 1 || n > 10000000 || runs < 1 || runs > 100) {
        fprintf(stderr, "bench restart: -n 1..10000000, --runs 1..100\n");
        return 2;
    }
    char self[PATH_MAX], aegisd[PATH_MAX + 16];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (sl <= 0)
        return 1;
    self[sl] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(aegisd, sizeof(aegisd), "%s/aegisd", self);
    char shm[64] = "/dev/shm/aegis-bench-XXXXXX", disk[64] = "/tmp/aegis-bench-XXXXXX";
    char sdir[96], ddir[96], conf[96], cmd[512];
    if (!mkdtemp(shm) || !mkdtemp(disk))
        return 1;
    snprintf(sdir, sizeof(sdir), "%s/data", shm);
    snprintf(ddir, sizeof(ddir), "%s/data", disk);
    snprintf(conf, sizeof(conf), "%s/aegis.toml", disk);
    int rc = 1;
    uint64_t *samples = calloc(runs, sizeof(*samples));
    FILE *f = fopen(conf, "w");
    if (!samples || !f || fputs(TOML, f) < 0 || fclose(f) != 0)
        goto out;
    printf("  building %zu batches (1 tx each) on /dev/shm ...\n", n);
    fflush(stdout);
    uint64_t b0 = aegis_now_ns();
    if (build_chain(sdir, n) != 0)
        goto out;
    printf("  built in %.1f s; copying to %s\n", (double)(aegis_now_ns() - b0) / 1e9, disk);
    snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s' && du -sh '%s'", sdir, ddir, ddir);
    fflush(stdout);
    if (system(cmd) != 0)
        goto out;
    for (size_t r = 0; r < runs; r++) {
        samples[r] = time_to_healthy(aegisd, conf, ddir);
        if (!samples[r])
            goto out;
        printf("  run %zu (restart snapshot): healthy after %.3f s\n", r + 1, (double)samples[r] / 1e9);
    }
    char op[128];
    snprintf(op, sizeof(op), "aegisd exec -> /healthz 200 at %zu batches, restart snapshot", n);
    aegis_bench_report(op, samples, runs);
    if (full) {
        /* the peer: the same store without the snapshot (every batch verified, as before) */
        snprintf(cmd, sizeof(cmd), "%s/restore.sealed", ddir);
        if (unlink(cmd) != 0)
            goto out;
        uint64_t t = time_to_healthy(aegisd, conf, ddir);
        if (!t)
            goto out;
        printf("  without the snapshot (every batch verified): healthy after %.3f s (%.0fx the snapshot's median)\n",
               (double)t / 1e9, (double)t / (double)samples[runs / 2]);
    }
    rc = 0;
out:
    free(samples);
    aegis_bench_rmtree(shm);
    aegis_bench_rmtree(disk);
    return rc;
}

const struct aegis_bench aegis_bench_restart = {
    "restart", restart_run, "aegisd exec to healthy /healthz on a long chain (-n 100000)"
};
