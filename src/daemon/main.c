/*
 * main.c - aegisd: load the config, open the store, serve JSON-RPC.
 *
 * Signals are blocked before any thread starts, so every thread inherits
 * the mask and only the main thread receives them, synchronously, through
 * sigwaitinfo(): no handler, no global flag. SIGTERM/SIGINT drain and exit
 * 0; SIGHUP reopens the log file; SIGUSR2 drains, then executes the same
 * program again in this process (the cluster's rebuild after its copy of
 * the log diverged: docs/internals/cluster.md "Divergence").
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

#include "aegis/log.h"
#include "daemon.h"

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegisd [options]\n\n"
        "Aegis sequencer daemon: JSON-RPC 2.0 over HTTP (POST /), GET /healthz, GET /metrics.\n\n"
        "Options:\n"
        "  --config FILE            load FILE (TOML); without it, built-in defaults\n"
        "  --listen HOST:PORT       override rpc.listen\n"
        "  --data-dir DIR           override node.data_dir\n"
        "  --oracle-key FILE        also trust this risk oracle public key (repeatable;\n"
        "                           `make run` passes its development oracle)\n"
        "  --check-config FILE      validate FILE, print the effective config, exit 0/1\n"
        "  --print-default-config   print the defaults as TOML and exit\n"
        "  -h, --help               this text\n"
        "  --version                print the version\n\n"
        "Signals: SIGTERM/SIGINT finish in-flight requests and exit 0; SIGHUP reopens logs;\n"
        "SIGUSR2 finishes in-flight requests and starts again in the same process.\n");
}

struct args {
    const char *config;
    const char *listen;
    const char *data_dir;
    const char *oracle_keys[8];
    size_t n_oracle_keys;
    bool check;
    bool print_default;
};

/* 0 ok, 1 exit 0 (help/version), 2 usage error. */
static int parse_args(int argc, char **argv, struct args *a)
{
    enum { O_CONFIG = 256, O_LISTEN, O_DATA, O_CHECK, O_DEFAULT, O_VERSION, O_ORACLE };
    static const struct option opts[] = {
        { "config", required_argument, NULL, O_CONFIG },
        { "listen", required_argument, NULL, O_LISTEN },
        { "data-dir", required_argument, NULL, O_DATA },
        { "oracle-key", required_argument, NULL, O_ORACLE },
        { "check-config", required_argument, NULL, O_CHECK },
        { "print-default-config", no_argument, NULL, O_DEFAULT },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, O_VERSION },
        { NULL, 0, NULL, 0 },
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_CONFIG: a->config = optarg; break;
        case O_LISTEN: a->listen = optarg; break;
        case O_DATA: a->data_dir = optarg; break;
        case O_ORACLE:
            if (a->n_oracle_keys == AEGIS_ARRAY_LEN(a->oracle_keys)) {
                fprintf(stderr, "aegisd: at most %zu --oracle-key options\n", AEGIS_ARRAY_LEN(a->oracle_keys));
                return 2;
            }
            a->oracle_keys[a->n_oracle_keys++] = optarg;
            break;
        case O_CHECK: a->config = optarg; a->check = true; break;
        case O_DEFAULT: a->print_default = true; break;
        case 'h': usage(stdout); return 1;
        case O_VERSION: printf("aegisd %s\n", AEGIS_VERSION); return 1;
        default:
            fprintf(stderr, "aegisd: unknown or incomplete option '%s'\n\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "aegisd: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return 0;
}

/* Load (or default) the config and apply the command-line overrides. */
static int load_config(const struct args *a, aegis_config *cfg)
{
    char *msg = NULL;
    aegis_err err = a->config ? aegis_config_load_file(cfg, a->config, &msg)
                              : aegis_config_defaults(cfg);
    if (!err && a->listen)
        err = aegis_config_set(cfg, "rpc", "listen", a->listen, &msg);
    if (!err && a->data_dir)
        err = aegis_config_set(cfg, "node", "data_dir", a->data_dir, &msg);
    for (size_t i = 0; !err && i < a->n_oracle_keys; i++) {
        if (cfg->oracle_keys.n == AEGIS_CONFIG_MAX_LIST) {
            err = AEGIS_ERR_CONFIG_RANGE;
            msg = aegis_strdup("quantum.oracle_keys: too many keys with --oracle-key");
        } else if (!(cfg->oracle_keys.items[cfg->oracle_keys.n] = aegis_strdup(a->oracle_keys[i]))) {
            err = AEGIS_ERR_NOMEM;
        } else {
            cfg->oracle_keys.n++;
        }
    }
    if (!err)
        err = aegis_config_validate(cfg, &msg);
    if (err) {
        fprintf(stderr, "aegisd: bad config: %s\n", msg ? msg : aegis_strerror(err));
        aegis_free(msg);
        aegis_config_clear(cfg); /* idempotent: a failed load already cleared it */
        return 1;
    }
    return 0;
}

static void setup_logging(const aegis_config *cfg)
{
    int lvl = cfg->log_level ? aegis_log_level_parse(cfg->log_level) : -1;
    if (lvl >= 0)
        aegis_log_set_level((aegis_log_level)lvl);
    aegis_log_set_json(cfg->log_format && strcmp(cfg->log_format, "json") == 0);
    if (cfg->log_file && *cfg->log_file && aegis_log_set_file(cfg->log_file) != 0)
        fprintf(stderr, "aegisd: cannot open log file %s, logging to stderr\n", cfg->log_file);
}

/* Each connection is a descriptor: make room for max_connections. */
static void raise_nofile(uint64_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        AEGIS_LOGW("daemon", "file descriptor limit below rpc.max_connections",
                   "nofile=%llu want=%llu", (unsigned long long)rl.rlim_cur, (unsigned long long)want);
}

static int open_store(struct aegisd *d)
{
    const aegis_config *c = &d->cfg;
    aegis_store_opts so = { .group_commit_us = c->storage_group_commit_us, .read_only = false };
    bool memory = c->storage_backend && strcmp(c->storage_backend, "memory") == 0;
    aegis_err detail = AEGIS_OK;
    aegis_err err = aegis_store_open_ex(&d->store, c->storage_backend, memory ? NULL : c->data_dir,
                                        &so, &detail);
    if (err == AEGIS_OK)
        return 0;
    if (err == AEGIS_ERR_BUSY || detail == AEGIS_ERR_STORE_LOCKED)
        fprintf(stderr, "aegisd: data dir %s is held by another aegisd (lock file %s/LOCK); refusing to start\n",
                c->data_dir, c->data_dir);
    else
        fprintf(stderr, "aegisd: cannot use data dir %s: %s (%s)\n", c->data_dir,
                aegis_strerror(detail ? detail : err), aegis_err_name(detail ? detail : err));
    AEGIS_LOGE("daemon", "store open failed", "dir=%s err=%s", c->data_dir,
               aegis_err_name(detail ? detail : err));
    return 1;
}

static int start_rpc(struct aegisd *d, size_t *n_started)
{
    const aegis_config *c = &d->cfg;
    const char *detail = NULL;
    aegis_rpc_opts o;
    aegis_rpc_opts_default(&o);
    if (aegisd_parse_listen(c->rpc_listen, d->host, sizeof(d->host), &d->port) != AEGIS_OK) {
        fprintf(stderr, "aegisd: bad rpc.listen '%s' (expected HOST:PORT)\n", c->rpc_listen);
        return 1;
    }
    o.host = d->host;
    o.port = d->port;
    o.max_body = c->rpc_max_body;
    o.max_connections = (unsigned)c->rpc_max_connections;
    o.timeout_ms = (unsigned)c->rpc_timeout_ms;
    o.read_timeout_ms = (unsigned)c->rpc_read_timeout_ms;
    o.max_per_address = (unsigned)c->rpc_max_per_address;
    o.reserved_connections = (unsigned)c->rpc_reserved_connections;
    o.threads = (unsigned)c->rpc_threads;
    o.max_batch = (unsigned)c->rpc_max_batch;
    if (aegis_rpc_server_new(&d->rpc, &o) != AEGIS_OK) {
        fprintf(stderr, "aegisd: cannot create the RPC server (check [rpc] limits)\n");
        return 1;
    }
    for (*n_started = 0; *n_started < aegisd_n_components; (*n_started)++) {
        const struct aegisd_component *comp = &aegisd_components[*n_started];
        aegis_err err = comp->start(d, &detail);
        if (err) {
            fprintf(stderr, "aegisd: component %s failed: %s: %s\n", comp->name,
                    detail ? detail : "", aegis_strerror(err));
            return 1;
        }
    }
    aegis_err err = aegis_rpc_server_start(d->rpc, &detail);
    if (err) {
        fprintf(stderr, "aegisd: cannot listen on %s: %s\n", c->rpc_listen, detail ? detail : aegis_strerror(err));
        return 1;
    }
    d->port = aegis_rpc_server_port(d->rpc);
    (void)aegis_rpc_health_set(d->rpc, "rpc", AEGIS_HEALTH_OK, "listening");
    bool v6 = strchr(d->host, ':') != NULL;
    AEGIS_LOGI("rpc", "listening", "addr=%s port=%u max_connections=%u threads=%u", d->host,
               (unsigned)d->port, o.max_connections, o.threads);
    printf("aegisd listening on http://%s%s%s:%u\n", v6 ? "[" : "", d->host, v6 ? "]" : "",
           (unsigned)d->port);
    fflush(stdout);
    return 0;
}

static int wait_for_signals(const sigset_t *set)
{
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(set, &si);
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (sig == SIGUSR2) {
            /* the sequencer asks for a restart in place (a cluster worker
             * rebuilding after its copy of the log diverged) */
            AEGIS_LOGW("daemon", "restarting in place", "signal=USR2");
            return 3;
        }
        if (sig == SIGHUP) {
            int rc = aegis_log_reopen();
            AEGIS_LOGI("daemon", "logs reopened", "ok=%d", rc == 0);
            continue;
        }
        AEGIS_LOGI("daemon", "shutting down", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
        return 0;
    }
}

int main(int argc, char **argv)
{
    struct args a = { 0 };
    struct aegisd d;
    size_t n_started = 0;
    int rc = 1;
    memset(&d, 0, sizeof(d));

    int pr = parse_args(argc, argv, &a);
    if (pr)
        return pr == 1 ? 0 : 2;
    if (a.print_default) {
        if (aegis_config_defaults(&d.cfg) != AEGIS_OK)
            return 1;
        aegis_config_print(&d.cfg, stdout);
        aegis_config_clear(&d.cfg);
        return 0;
    }
    /* nothing aegisd writes is for anyone else: aegis.db, its WAL, the
     * sealed keys, logs (docs/internals/daemon.md promises 0700 / 0600) */
    umask(077);
    if (load_config(&a, &d.cfg) != 0)
        return 1;
    if (!aegisd_check_files(&d.cfg, stderr)) {
        fprintf(stderr, "aegisd: %s: config names files that cannot be used (above)\n",
                a.config ? a.config : "built-in defaults");
        aegis_config_clear(&d.cfg);
        return 1;
    }
    if (a.check) {
        aegis_config_print(&d.cfg, stdout);
        aegisd_config_warnings(&d.cfg, true);
        fprintf(stderr, "aegisd: %s: config OK\n", a.config);
        aegis_config_clear(&d.cfg);
        return 0;
    }
    setup_logging(&d.cfg);
    d.start_ns = aegis_now_ns();

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    raise_nofile(d.cfg.rpc_max_connections + 256);

    AEGIS_LOGI("daemon", "starting", "version=%s node_id=%s data_dir=%s store=%s tee=%s%s%s%s", AEGIS_VERSION,
               d.cfg.node_id, d.cfg.data_dir, d.cfg.storage_backend, d.cfg.tee_primary,
               d.cfg.tee_primary && strcmp(d.cfg.tee_primary, "sim") == 0 ? " insecure=true" : "",
               d.cfg.phala_enabled ? " phala_network=" : "", d.cfg.phala_enabled ? d.cfg.phala_network : "");
    aegisd_config_warnings(&d.cfg, false);
    if (open_store(&d) != 0)
        goto out;
    AEGIS_LOGI("store", "opened", "backend=%s schema=%d", aegis_store_backend_name(d.store),
               aegis_store_schema_version(d.store));
    if (start_rpc(&d, &n_started) != 0)
        goto out;
    rc = wait_for_signals(&set);

out:
    /* Order matters: no handler may run once components and the store go.
     * Long-polls are released first so the drain does not wait them out. */
    aegis_seq_closing(d.seq);
    aegis_rpc_server_stop(d.rpc);
    while (n_started > 0) {
        n_started--;
        if (aegisd_components[n_started].stop)
            aegisd_components[n_started].stop(&d);
    }
    aegis_rpc_server_free(d.rpc);
    aegis_store_free(d.store);
    if (rc == 3) {
        /* the same program, arguments and environment, executed again in
         * this process: every descriptor but stdio closed first (the
         * listening socket, the store's, NATS's) */
        AEGIS_LOGW("daemon", "stopped: executing again", NULL);
        aegis_config_clear(&d.cfg);
        fflush(NULL);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        close_range(3, ~0u, 0);
        execv("/proc/self/exe", argv);
        AEGIS_LOGE("daemon", "cannot execute again: exiting", "errno=%d", errno);
        return 1;
    }
    AEGIS_LOGI("daemon", "stopped", "exit=%d", rc);
    aegis_config_clear(&d.cfg);
    return rc;
}
