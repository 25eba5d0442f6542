/*
 * tee_http_unix.c - a minimal HTTP/1.1 client over a unix socket, enough for
 * the dstack guest agent (pRPC: POST /<Method> with a JSON body, JSON reply).
 * One request per connection (Connection: close); responses with
 * Content-Length, chunked transfer encoding, or delimited by EOF.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tee_http_unix.h"

static aegis_err wait_fd(int fd, short ev, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = ev };
    for (;;) {
        int r = poll(&p, 1, timeout_ms);
        if (r > 0)
            return AEGIS_OK;
        if (r == 0)
            return AEGIS_ERR_TIMEOUT;
        if (errno != EINTR)
            return AEGIS_ERR_IO;
    }
}

static aegis_err send_all(int fd, const char *p, size_t n, int timeout_ms)
{
    while (n > 0) {
        aegis_err err = wait_fd(fd, POLLOUT, timeout_ms);
        if (err)
            return err;
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return AEGIS_ERR_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return AEGIS_OK;
}

/* Read until EOF (the server closes: we sent Connection: close). */
static aegis_err recv_all(int fd, aegis_buf *b, int timeout_ms)
{
    char tmp[16384];
    for (;;) {
        aegis_err err = wait_fd(fd, POLLIN, timeout_ms);
        if (err)
            return err;
        ssize_t r = recv(fd, tmp, sizeof(tmp), 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return AEGIS_ERR_IO;
        }
        if (r == 0)
            return AEGIS_OK;
        if ((err = aegis_buf_append(b, tmp, (size_t)r)) != AEGIS_OK)
            return err;
    }
}

/* Decode a chunked body in place; returns the decoded length or -1. */
static long dechunk(char *p, size_t n)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *end = NULL;
        if (in >= n)
            return -1;
        errno = 0;
        unsigned long sz = strtoul(p + in, &end, 16);
        if (end == p + in || errno)
            return -1;
        char *eol = memmem(end, n - (size_t)(end - p), "\r\n", 2);
        if (!eol)
            return -1;
        in = (size_t)(eol - p) + 2;
        if (sz == 0)
            return (long)out;
        if (sz > n - in || n - in - sz < 2 || memcmp(p + in + sz, "\r\n", 2) != 0)
            return -1;
        memmove(p + out, p + in, sz);
        out += sz;
        in += sz + 2;
    }
}

/* Split the raw response into status and body (moved to the buffer start). */
static aegis_err parse_response(aegis_buf *b, int *status, size_t *body_len)
{
    char *p = (char *)b->data;
    char *hdr_end = memmem(p, b->len, "\r\n\r\n", 4);
    int minor = 0, code = 0;
    if (!hdr_end || sscanf(p, "HTTP/1.%d %d", &minor, &code) != 2 || code < 100 || code > 599)
        return AEGIS_ERR_IO;
    size_t hlen = (size_t)(hdr_end - p) + 4;
    bool chunked = false;
    long clen = -1;
    /* Header lines between the status line and the blank line. */
    for (char *line = memmem(p, hlen, "\r\n", 2) + 2; line < hdr_end;) {
        char *eol = memmem(line, (size_t)(hdr_end + 2 - line), "\r\n", 2);
        size_t ll = (size_t)(eol - line);
        if (ll > 15 && strncasecmp(line, "Content-Length:", 15) == 0) {
            char *e = NULL;
            clen = strtol(line + 15, &e, 10);
            if (clen < 0)
                return AEGIS_ERR_IO;
        } else if (ll > 18 && strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
            for (size_t i = 18; i + 7 <= ll; i++)
                if (strncasecmp(line + i, "chunked", 7) == 0)
                    chunked = true;
        }
        line = eol + 2;
    }
    size_t blen = b->len - hlen;
    memmove(p, p + hlen, blen);
    if (chunked) {
        long d = dechunk(p, blen);
        if (d < 0)
            return AEGIS_ERR_IO;
        blen = (size_t)d;
    } else if (clen >= 0) {
        if ((size_t)clen > blen)
            return AEGIS_ERR_IO;   /* truncated */
        blen = (size_t)clen;
    }
    b->len = blen;
    *status = code;
    *body_len = blen;
    return AEGIS_OK;
}

aegis_err aegis__http_unix_post(const char *sock_path, const char *path, const char *body,
                                int timeout_ms, int *ret_status, char **ret_body, size_t *ret_len)
{
    aegis_err err = AEGIS_ERR_IO;
    int fd = -1;
    aegis_buf req, resp;
    aegis_buf_init(&req, 1u << 20);
    aegis_buf_init(&resp, AEGIS__HTTP_MAX_RESPONSE + 64 * 1024);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (!sock_path || strlen(sock_path) >= sizeof(sa.sun_path))
        goto out;
    memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        goto out;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (errno != EINPROGRESS && errno != EAGAIN)
            goto out;
        if ((err = wait_fd(fd, POLLOUT, timeout_ms)) != AEGIS_OK)
            goto out;
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        err = AEGIS_ERR_IO;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0)
            goto out;
    }
    size_t blen = body ? strlen(body) : 0;
    if ((err = aegis_buf_printf(&req,
                                "POST %s HTTP/1.1\r\nHost: dstack\r\nContent-Type: application/json\r\n"
                                "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                                path, blen)) != AEGIS_OK ||
        (blen && (err = aegis_buf_append(&req, body, blen)) != AEGIS_OK))
        goto out;
    if ((err = send_all(fd, (const char *)req.data, req.len, timeout_ms)) != AEGIS_OK)
        goto out;
    shutdown(fd, SHUT_WR);
    if ((err = recv_all(fd, &resp, timeout_ms)) != AEGIS_OK ||
        (err = aegis_buf_cstr(&resp)) != AEGIS_OK)   /* parse_response uses string functions */
        goto out;
    int status = 0;
    size_t n = 0;
    if ((err = parse_response(&resp, &status, &n)) != AEGIS_OK)
        goto out;
    if (n > AEGIS__HTTP_MAX_RESPONSE) {
        err = AEGIS_ERR_TOO_BIG;
        goto out;
    }
    if ((err = aegis_buf_cstr(&resp)) != AEGIS_OK)
        goto out;
    *ret_status = status;
    *ret_body = (char *)resp.data;
    *ret_len = n;
    resp.data = NULL;
    err = AEGIS_OK;
out:
    if (fd >= 0)
        close(fd);
    aegis_buf_clear(&req);
    aegis_buf_clear(&resp);
    return err;
}
