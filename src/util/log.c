/* log.c - logfmt / JSON log lines, one write(2) each. */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "aegis/log.h"

/* The log sink: the one process-wide mutable state STYLE.md allows. */
static struct {
    pthread_mutex_t lock;
    int level;
    int fd;
    int json;
    char path[1024];
} sink = { PTHREAD_MUTEX_INITIALIZER, AEGIS_LOG_INFO, 2, 0, "" };

static const char *level_names[] = { "debug", "info", "warn", "error" };

void aegis_log_set_level(aegis_log_level lvl)
{
    sink.level = (int)lvl;
}

int aegis_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void aegis_log_set_json(int json)
{
    sink.json = json;
}

int aegis_log_set_file(const char *path)
{
    pthread_mutex_lock(&sink.lock);
    if (!path || !*path) {
        sink.path[0] = '\0';
    } else {
        snprintf(sink.path, sizeof(sink.path), "%s", path);
    }
    pthread_mutex_unlock(&sink.lock);
    return aegis_log_reopen();
}

int aegis_log_reopen(void)
{
    int rc = 0;
    pthread_mutex_lock(&sink.lock);
    if (sink.path[0]) {
        int fd = open(sink.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) {
            rc = -1;
        } else {
            if (sink.fd > 2)
                close(sink.fd);
            sink.fd = fd;
        }
    } else {
        if (sink.fd > 2)
            close(sink.fd);
        sink.fd = 2;
    }
    pthread_mutex_unlock(&sink.lock);
    return rc;
}

/* Escape a message for a quoted logfmt/JSON value. */
static size_t put_quoted(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 3 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return o;
}

void aegis_log(aegis_log_level lvl, const char *mod, const char *msg, const char *fields, ...)
{
    if ((int)lvl < sink.level)
        return;
    char line[4096], qmsg[1024], extra[2048] = "";
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    char ts[64];
    snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
    put_quoted(qmsg, sizeof(qmsg), msg);
    if (fields) {
        va_list ap;
        va_start(ap, fields);
        vsnprintf(extra, sizeof(extra), fields, ap);
        va_end(ap);
        for (char *p = extra; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
    int n;
    if (sink.json) {
        char qextra[2048];
        put_quoted(qextra, sizeof(qextra), extra);
        n = snprintf(line, sizeof(line),
                     "{\"ts\":\"%s\",\"level\":\"%s\",\"mod\":\"%s\",\"msg\":\"%s\",\"fields\":\"%s\"}\n",
                     ts, level_names[lvl], mod, qmsg, qextra);
    } else {
        n = snprintf(line, sizeof(line), "ts=%s level=%s mod=%s msg=\"%s\"%s%s\n", ts,
                     level_names[lvl], mod, qmsg, extra[0] ? " " : "", extra);
    }
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        n = sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    pthread_mutex_lock(&sink.lock);
    ssize_t w = write(sink.fd, line, (size_t)n);
    (void)w;
    pthread_mutex_unlock(&sink.lock);
}
