/* harness.c - process control for the integration tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* What a failed test may leave behind (see harness_reap_all). */
#define MAX_LIVE 64
static pid_t live_pids[MAX_LIVE];
static char live_dirs[MAX_LIVE][256];

static void track_pid(pid_t pid, bool add)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (add && live_pids[i] == 0) {
            live_pids[i] = pid;
            return;
        }
        if (!add && live_pids[i] == pid) {
            live_pids[i] = 0;
            return;
        }
    }
}

static void track_dir(const char *dir, bool add)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (add && live_dirs[i][0] == '\0') {
            snprintf(live_dirs[i], sizeof(live_dirs[i]), "%s", dir);
            return;
        }
        if (!add && strcmp(live_dirs[i], dir) == 0) {
            live_dirs[i][0] = '\0';
            return;
        }
    }
}

static void rm_rf(const char *path);

int harness_reap_all(void **state)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (live_pids[i] > 0) {
            kill(live_pids[i], SIGKILL);
            waitpid(live_pids[i], NULL, 0);
            live_pids[i] = 0;
        }
    }
    for (int i = 0; i < MAX_LIVE; i++) {
        if (live_dirs[i][0]) {
            char mnt[300];
            snprintf(mnt, sizeof(mnt), "%.250s/small", live_dirs[i]);
            umount2(mnt, MNT_DETACH); /* usually not mounted: ignore errors */
            rm_rf(live_dirs[i]);
            live_dirs[i][0] = '\0';
        }
    }
    return 0;
}

static void die(const char *what)
{
    fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
    abort();
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

const char *harness_bin(const char *name, char *buf, size_t cap)
{
    const char *dir = getenv("AEGIS_BIN");
    snprintf(buf, cap, "%s/%s", dir && *dir ? dir : "./bin", name);
    return buf;
}

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof(sa);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
        die("free_port");
    close(fd);
    return ntohs(sa.sin_port);
}

void daemon_init(struct daemon *d, const char *toml)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->dir, sizeof(d->dir), "/tmp/aegis-it-XXXXXX");
    if (!mkdtemp(d->dir))
        die("mkdtemp");
    track_dir(d->dir, true);
    snprintf(d->data_dir, sizeof(d->data_dir), "%s/data", d->dir);
    snprintf(d->out, sizeof(d->out), "%s/stdout", d->dir);
    snprintf(d->err, sizeof(d->err), "%s/stderr", d->dir);
    if (toml) {
        snprintf(d->config, sizeof(d->config), "%s/aegis.toml", d->dir);
        FILE *f = fopen(d->config, "w");
        if (!f || fputs(toml, f) < 0 || fclose(f) != 0)
            die("write config");
    }
    d->port = free_port();
    snprintf(d->url, sizeof(d->url), "http://127.0.0.1:%d", d->port);
    d->pid = -1;
}

static pid_t spawn(const struct daemon *d, const char *bin, const char *const *args)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = bin;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int o = open(d->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(d->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0)
            _exit(127);
        dup2(o, 1);
        dup2(e, 2);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* waitpid with a deadline; returns the decoded status or -1 on timeout. */
static int wait_exit(pid_t pid, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0 && errno != EINTR)
            return -1;
        sleep_ms(10);
    }
    return -1;
}

bool daemon_start(struct daemon *d)
{
    return daemon_start_min(d, 200);
}

bool daemon_start_min(struct daemon *d, int worst)
{
    char bin[512], port[64];
    snprintf(port, sizeof(port), "127.0.0.1:%d", d->port);
    const char *args[8] = { "--listen", port, "--data-dir", d->data_dir, NULL, NULL, NULL };
    if (d->config[0]) {
        args[4] = "--config";
        args[5] = d->config;
    }
    d->pid = spawn(d, harness_bin("aegisd", bin, sizeof(bin)), args);
    track_pid(d->pid, true);
    char url[128];
    snprintf(url, sizeof(url), "%s/healthz", d->url);
    for (int i = 0; i < 1500; i++) {
        int st;
        if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
            fprintf(stderr, "harness: aegisd exited early; stderr:\n%s\n", slurp(d->err));
            track_pid(d->pid, false);
            d->pid = -1;
            return false;
        }
        aegis_http_response r = { 0 };
        if (aegis_http_get(url, 1000, &r) == AEGIS_OK) {
            int status = r.status;
            aegis_http_response_clear(&r);
            if (status >= 200 && status <= worst)
                return true;
        }
        sleep_ms(10);
    }
    fprintf(stderr, "harness: aegisd never became healthy; stderr:\n%s\n", slurp(d->err));
    return false;
}

int daemon_stop(struct daemon *d, int sig)
{
    if (d->pid <= 0)
        return -1;
    kill(d->pid, sig);
    int rc = wait_exit(d->pid, 20000);
    if (rc < 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
    }
    track_pid(d->pid, false);
    d->pid = -1;
    return rc;
}

static int run(struct daemon *d, const char *name, const char *const *args)
{
    char bin[512];
    pid_t pid = spawn(d, harness_bin(name, bin, sizeof(bin)), args);
    int rc = wait_exit(pid, 20000);
    if (rc < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return rc;
}

int run_aegisd(struct daemon *d, const char *const *args)
{
    return run(d, "aegisd", args);
}

int run_aegis(struct daemon *d, const char *const *args)
{
    return run(d, "aegis", args);
}

static void rm_rf(const char *path)
{
    char cmd[8300];
    /* Test scratch dirs only: the path always comes from mkdtemp above. */
    if (strncmp(path, "/tmp/aegis-it-", 14) != 0 || strlen(path) > 4000)
        return;
    if (snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path) >= (int)sizeof(cmd))
        return;
    if (system(cmd) != 0)
        fprintf(stderr, "harness: could not remove %s\n", path);
}

void daemon_cleanup(struct daemon *d)
{
    if (d->pid > 0)
        daemon_stop(d, SIGKILL);
    if (d->dir[0]) {
        rm_rf(d->dir);
        track_dir(d->dir, false);
    }
    d->dir[0] = '\0';
}

const char *slurp(const char *path)
{
    static char buf[65536];
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return buf;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int rpc_post(const struct daemon *d, const char *ct, const char *body, size_t len, json_t **ret_body)
{
    aegis_http_response r = { 0 };
    *ret_body = NULL;
    if (aegis_http_request(d->url, "POST", ct, body, len, 10000, &r) != AEGIS_OK)
        return -1;
    int status = r.status;
    if (r.len)
        *ret_body = json_loadb(r.body, r.len, 0, NULL);
    aegis_http_response_clear(&r);
    return status;
}

json_t *rpc_call(const struct daemon *d, const char *method, const char *params_json)
{
    char *body = NULL;
    if (asprintf(&body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method,
                 params_json ? params_json : "[]") < 0)
        die("asprintf");
    json_t *reply = NULL;
    int status = rpc_post(d, "application/json", body, strlen(body), &reply);
    free(body);
    if (status != 200) {
        json_decref(reply);
        return NULL;
    }
    return reply;
}

int healthz_get(const struct daemon *d, char *buf, size_t cap)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/healthz", d->url);
    aegis_http_response r = { 0 };
    if (aegis_http_get(url, 5000, &r) != AEGIS_OK)
        return -1;
    int status = r.status;
    if (cap) {
        size_t n = r.len < cap - 1 ? r.len : cap - 1;
        memcpy(buf, r.body, n);
        buf[n] = 0;
    }
    aegis_http_response_clear(&r);
    return status;
}

void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}
