/*
 * http_conn.c - a keep-alive HTTP/1.1 connection: many requests, one TCP
 * connection (aegis/http.h). The response must be delimited by
 * Content-Length (aegisd's always are; aegis_http_frame decides where it
 * ends, as for loadgen's event loop); a response the server marks
 * "Connection: close" ends the connection after it is read. A request on a
 * connection the server closed while idle may be retried once on a new one
 * (retry = true). A server that processed the request and then closed
 * looks the same to any HTTP/1.1 client, so a caller that must not repeat
 * a request passes retry = false and gets AEGIS_ERR_IO.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_int.h"

struct aegis_http_conn {
    aegis_http_url url;
    char hdr[512];             /* request line and fixed headers up to Content-Length */
    size_t hdr_len;
    int fd;
    bool reused;               /* at least one response read on fd */
    aegis_buf in;              /* bytes read past the previous response */
    aegis_buf out;             /* the request being sent */
};

aegis_err aegis_http_conn_open(aegis_http_conn **ret, const char *url)
{
    aegis_http_conn *c = aegis_calloc(1, sizeof(*c));
    if (!c)
        return AEGIS_ERR_NOMEM;
    aegis_err err = aegis_http_url_parse(url, &c->url);
    if (err) {
        aegis_free(c);
        return err;
    }
    int n = aegis_http_head(&c->url, "POST", "application/json", c->hdr, sizeof(c->hdr));
    if (n < 0) {
        aegis_free(c);
        return AEGIS_ERR_RPC_BAD_URL;
    }
    c->hdr_len = (size_t)n;
    c->fd = -1;
    aegis_buf_init(&c->in, (size_t)AEGIS_HTTP_MAX_RESPONSE + AEGIS_HTTP_FRAME_MAX_HEADER);
    aegis_buf_init(&c->out, SIZE_MAX / 2);
    *ret = c;
    return AEGIS_OK;
}

static void conn_close(aegis_http_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->reused = false;
    c->in.len = 0;
}

void aegis_http_conn_free(aegis_http_conn *c)
{
    if (!c)
        return;
    conn_close(c);
    aegis_buf_clear(&c->in);
    aegis_buf_clear(&c->out);
    aegis_free(c);
}

/* Read until c->in starts with one whole response, framed by
 * aegis_http_frame (Content-Length only; chunked, missing or repeated
 * lengths are AEGIS_ERR_RPC_UNFRAMED); *ret_total: its length, *ret_close:
 * the server ends the connection after it. Bytes after it stay in c->in. */
static aegis_err read_response(aegis_http_conn *c, uint64_t deadline, size_t *ret_total, bool *ret_close)
{
    for (;;) {
        aegis_http_frame_info f;
        aegis_err err = c->in.len ? aegis_http_frame(c->in.data, c->in.len, &f, NULL) : AEGIS_ERR_TRUNCATED;
        if (!err) {
            *ret_total = f.total;
            *ret_close = f.close;
            return AEGIS_OK;
        }
        if (err != AEGIS_ERR_TRUNCATED)
            return err;
        uint8_t chunk[16384];
        ssize_t r = recv(c->fd, chunk, sizeof(chunk), 0);
        if (r > 0) {
            err = aegis_buf_append(&c->in, chunk, (size_t)r);
            if (err)
                return err;
            continue;
        }
        if (r == 0)
            return AEGIS_ERR_IO;   /* closed before a whole response */
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            err = aegis__http_wait_fd(c->fd, POLLIN, deadline);
            if (err)
                return err;
            continue;
        }
        return AEGIS_ERR_IO;
    }
}

static aegis_err post_once(aegis_http_conn *c, const void *body, size_t len, uint64_t deadline,
                           aegis_http_response *ret)
{
    aegis_err err = AEGIS_OK;
    if (c->fd < 0) {
        err = aegis__http_dial(&c->url, deadline, &c->fd);
        if (err)
            return err;
        c->reused = false;
        c->in.len = 0;
    }
    /* one send for the whole request: a request split over several small
     * writes would wait for ACKs (Nagle against delayed ACK: ~40 ms) */
    char cl[48];
    int n = snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", len);
    c->out.len = 0;
    err = aegis_buf_append(&c->out, c->hdr, c->hdr_len);
    if (!err)
        err = aegis_buf_append(&c->out, cl, (size_t)n);
    if (!err)
        err = aegis_buf_append(&c->out, body, len);
    if (!err)
        err = aegis__http_send_all(c->fd, c->out.data, c->out.len, deadline);
    size_t total = 0;
    bool close_after = false;
    if (!err)
        err = read_response(c, deadline, &total, &close_after);
    if (err)
        return err;
    /* parse a copy of exactly this response; keep what follows it */
    aegis_buf one;
    aegis_buf_init(&one, total + 1);
    err = aegis_buf_append(&one, c->in.data, total);
    if (!err)
        err = aegis_buf_cstr(&one);
    if (!err)
        err = aegis__http_parse_response(&one, ret);
    aegis_buf_clear(&one);
    memmove(c->in.data, c->in.data + total, c->in.len - total);
    c->in.len -= total;
    c->reused = true;
    if (close_after)
        conn_close(c);
    return err;
}

aegis_err aegis_http_conn_post_json(aegis_http_conn *c, const void *body, size_t len, int timeout_ms,
                                    bool retry, aegis_http_response *ret)
{
    uint64_t deadline = aegis_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000ull;
    bool was_reused = c->fd >= 0 && c->reused;
    aegis_err err = post_once(c, body, len, deadline, ret);
    if (err && err != AEGIS_ERR_NOMEM)
        conn_close(c);
    if (err == AEGIS_ERR_IO && was_reused && retry)
        err = post_once(c, body, len, deadline, ret);   /* the server closed it while idle */
    if (err && err != AEGIS_ERR_NOMEM)
        conn_close(c);
    return err;
}
