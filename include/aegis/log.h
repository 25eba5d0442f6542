/*
 * aegis/log.h - structured log lines (logfmt) on stderr.
 *
 *   aegis_log(AEGIS_LOG_INFO, "rpc", "listening", "addr=%s port=%d", host, port);
 * prints
 *   ts=2026-11-24T10:00:00.123Z level=info mod=rpc msg="listening" addr=127.0.0.1 port=8545
 *
 * Never pass key material or plaintext transactions. Thread-safe (one
 * write(2) per line). The log sink is the one process-wide global allowed.
 */
#ifndef AEGIS_LOG_H
#define AEGIS_LOG_H

typedef enum aegis_log_level {
    AEGIS_LOG_DEBUG = 0,
    AEGIS_LOG_INFO,
    AEGIS_LOG_WARN,
    AEGIS_LOG_ERROR,
} aegis_log_level;

void aegis_log_set_level(aegis_log_level lvl);
/* "debug", "info", "warn", "error"; returns -1 on an unknown name. */
int aegis_log_level_parse(const char *name);
/* Log to a file instead of stderr (NULL: stderr). Reopened by aegis_log_reopen(). */
int aegis_log_set_file(const char *path);
/* Reopen the log file (SIGHUP); async-signal-unsafe: call from the main loop. */
int aegis_log_reopen(void);
/* json = 1 prints one JSON object per line instead of logfmt. */
void aegis_log_set_json(int json);

/* fields: a printf format of extra "key=value" pairs, may be NULL. */
void aegis_log(aegis_log_level lvl, const char *mod, const char *msg, const char *fields, ...)
    __attribute__((format(printf, 4, 5)));

#define AEGIS_LOGI(mod, msg, ...) aegis_log(AEGIS_LOG_INFO, mod, msg, __VA_ARGS__)
#define AEGIS_LOGW(mod, msg, ...) aegis_log(AEGIS_LOG_WARN, mod, msg, __VA_ARGS__)
#define AEGIS_LOGE(mod, msg, ...) aegis_log(AEGIS_LOG_ERROR, mod, msg, __VA_ARGS__)
#define AEGIS_LOGD(mod, msg, ...) aegis_log(AEGIS_LOG_DEBUG, mod, msg, __VA_ARGS__)

#endif
