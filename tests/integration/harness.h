/*
 * harness.h - start the real aegisd binary ($AEGIS_BIN/aegisd) on
 * 127.0.0.1 with a free port and a mkdtemp data dir, and talk to it.
 */
#ifndef AEGIS_TEST_HARNESS_H
#define AEGIS_TEST_HARNESS_H

#include <stdbool.h>
#include <signal.h>
#include <sys/types.h>

#include <jansson.h>

#include "aegis/http.h"

struct daemon {
    char dir[256];       /* mkdtemp scratch dir (removed by daemon_cleanup) */
    char data_dir[320];  /* <dir>/data unless overridden */
    char config[320];    /* <dir>/aegis.toml if written, else "" */
    char out[320];       /* stdout capture */
    char err[320];       /* stderr capture */
    char url[64];
    int port;
    pid_t pid;
};

/* Path of a binary in $AEGIS_BIN ("aegisd", "aegis"). */
const char *harness_bin(const char *name, char *buf, size_t cap);

/* New scratch dir, free port, default paths. Writes toml (if not NULL) to
 * <dir>/aegis.toml and uses it as --config. */
void daemon_init(struct daemon *d, const char *toml);
/* Spawn aegisd with --listen/--data-dir/--config, plus extra args (NULL
 * terminated list). Returns true when /healthz answered 200 within 15 s;
 * false if the process exited or never became healthy. */
bool daemon_start(struct daemon *d);
/* Same, accepting any /healthz status from 200 up to worst (206: a node
 * that starts degraded). */
bool daemon_start_min(struct daemon *d, int worst);
/* GET /healthz: the HTTP status, the body into buf (may be truncated). */
int healthz_get(const struct daemon *d, char *buf, size_t cap);
/* Send sig and wait (up to 20 s) for the exit; returns the exit status
 * (0-255), 128+signal if killed, -1 on timeout (then SIGKILLed). */
int daemon_stop(struct daemon *d, int sig);
/* Run aegisd with exactly these args (NULL terminated) to completion
 * (stdout/stderr to d->out/d->err); returns its exit status, -1 on timeout. */
int run_aegisd(struct daemon *d, const char *const *args);
/* Run the aegis CLI likewise. */
int run_aegis(struct daemon *d, const char *const *args);
/* Remove the scratch dir (kills a still-running daemon). */
void daemon_cleanup(struct daemon *d);

/* Kill every daemon still running and remove every scratch dir (and a
 * tmpfs mounted at <dir>/small): a cmocka teardown, since a failed assertion
 * longjmps past the test's own cleanup. Returns 0. */
int harness_reap_all(void **state);

/* Contents of a captured file (static buffer, overwritten by the next call). */
const char *slurp(const char *path);

/* POST body (application/json); returns the HTTP status, fills *ret_body
 * (parsed JSON or NULL when the body is empty / not JSON). */
int rpc_post(const struct daemon *d, const char *ct, const char *body, size_t len, json_t **ret_body);
/* One JSON-RPC call; returns the reply object (new reference). */
json_t *rpc_call(const struct daemon *d, const char *method, const char *params_json);

/* A free TCP port on 127.0.0.1 (bind to 0, read it back, close). */
int free_port(void);

/* Run a shell command (printf-style); the test fails unless it exits 0. */
void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
