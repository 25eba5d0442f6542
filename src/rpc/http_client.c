/*
 * http_client.c - a blocking HTTP/1.1 client over plain TCP sockets.
 *
 * One request per connection (Connection: close). The response body is
 * delimited by Content-Length, by chunked encoding, or by the server
 * closing the connection. One deadline covers connect, send and receive.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aegis/http.h"
#include "http_int.h"

aegis_err aegis_http_url_parse(const char *url, aegis_http_url *u)
{
    const char *p = url;
    if (!url)
        return AEGIS_ERR_RPC_BAD_URL;
    if (strncmp(p, "http://", 7) == 0)
        p += 7;
    else if (strstr(p, "://"))
        return AEGIS_ERR_RPC_BAD_URL; /* https and friends: not supported */
    const char *host_start, *host_end, *port_start = NULL;
    if (*p == '[') {
        host_start = p + 1;
        host_end = strchr(host_start, ']');
        if (!host_end)
            return AEGIS_ERR_RPC_BAD_URL;
        p = host_end + 1;
        if (*p == ':')
            port_start = ++p;
    } else {
        host_start = p;
        while (*p && *p != ':' && *p != '/')
            p++;
        host_end = p;
        if (*p == ':')
            port_start = ++p;
    }
    size_t hlen = (size_t)(host_end - host_start);
    if (hlen == 0 || hlen >= sizeof(u->host))
        return AEGIS_ERR_RPC_BAD_URL;
    aegis_http_url out;
    memcpy(out.host, host_start, hlen);
    out.host[hlen] = '\0';
    if (port_start) {
        size_t plen = strspn(port_start, "0123456789");
        if (plen == 0 || plen >= sizeof(out.port) || atol(port_start) > 65535)
            return AEGIS_ERR_RPC_BAD_URL;
        memcpy(out.port, port_start, plen);
        out.port[plen] = '\0';
        p = port_start + plen;
    } else {
        snprintf(out.port, sizeof(out.port), "80");
    }
    if (*p && *p != '/')
        return AEGIS_ERR_RPC_BAD_URL;
    if (!*p)
        p = "/";
    if (strlen(p) >= sizeof(out.path) || strpbrk(p, " \r\n"))
        return AEGIS_ERR_RPC_BAD_URL;
    snprintf(out.path, sizeof(out.path), "%s", p);
    *u = out;
    return AEGIS_OK;
}

void aegis_http_response_clear(aegis_http_response *r)
{
    if (!r)
        return;
    aegis_free(r->body);
    r->body = NULL;
    r->len = 0;
}

static int ms_left(uint64_t deadline_ns)
{
    uint64_t now = aegis_now_ns();
    if (now >= deadline_ns)
        return 0;
    uint64_t ms = (deadline_ns - now) / 1000000ull + 1;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

aegis_err aegis__http_wait_fd(int fd, short ev, uint64_t deadline_ns)
{
    for (;;) {
        int left = ms_left(deadline_ns);
        if (left == 0)
            return AEGIS_ERR_TIMEOUT;
        struct pollfd pfd = { fd, ev, 0 };
        int n = poll(&pfd, 1, left);
        if (n > 0)
            return AEGIS_OK;
        if (n == 0)
            return AEGIS_ERR_TIMEOUT;
        if (errno != EINTR)
            return AEGIS_ERR_IO;
    }
}

aegis_err aegis__http_dial(const aegis_http_url *u, uint64_t deadline_ns, int *ret_fd)
{
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
        return AEGIS_ERR_RPC_CONNECT;
    aegis_err err = AEGIS_ERR_RPC_CONNECT;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        /* requests go out whole: no Nagle delay waiting for the server's
         * (delayed, up to 40 ms) ACK of the headers before the body */
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            *ret_fd = fd;
            err = AEGIS_OK;
            break;
        }
        if (errno == EINPROGRESS) {
            aegis_err w = aegis__http_wait_fd(fd, POLLOUT, deadline_ns);
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            if (w == AEGIS_OK && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
                *ret_fd = fd;
                err = AEGIS_OK;
                break;
            }
            if (w == AEGIS_ERR_TIMEOUT)
                err = AEGIS_ERR_TIMEOUT;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return err;
}

aegis_err aegis__http_send_all(int fd, const void *p, size_t n, uint64_t deadline_ns)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w > 0) {
            b += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            aegis_err err = aegis__http_wait_fd(fd, POLLOUT, deadline_ns);
            if (err)
                return err;
            continue;
        }
        return AEGIS_ERR_IO;
    }
    return AEGIS_OK;
}

/* Read until EOF (or the buffer cap). A reset after some bytes counts as
 * EOF: the server may close right after replying to an oversize body. */
static aegis_err recv_all(int fd, aegis_buf *b, uint64_t deadline_ns)
{
    uint8_t chunk[16384];
    for (;;) {
        ssize_t r = recv(fd, chunk, sizeof(chunk), 0);
        if (r > 0) {
            aegis_err err = aegis_buf_append(b, chunk, (size_t)r);
            if (err)
                return err;
            continue;
        }
        if (r == 0)
            return AEGIS_OK;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            aegis_err err = aegis__http_wait_fd(fd, POLLIN, deadline_ns);
            if (err)
                return err;
            continue;
        }
        if (errno == ECONNRESET && b->len > 0)
            return AEGIS_OK;
        return AEGIS_ERR_IO;
    }
}

/* Decode a chunked body in place; returns the decoded length or -1. */
static long dechunk(char *p, size_t n)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *end;
        if (in >= n)
            return -1;
        unsigned long sz = strtoul(p + in, &end, 16);
        char *nl = memchr(p + in, '\n', n - in);
        if (!nl || end == p + in)
            return -1;
        in = (size_t)(nl - p) + 1;
        if (sz == 0)
            return (long)out;
        if (sz > n - in)
            return -1;
        memmove(p + out, p + in, sz);
        out += sz;
        in += sz;
        if (in < n && p[in] == '\r')
            in++;
        if (in < n && p[in] == '\n')
            in++;
    }
}

aegis_err aegis__http_parse_response(aegis_buf *raw, aegis_http_response *ret)
{
    char *s = (char *)raw->data;
    char *hdr_end = s ? strstr(s, "\r\n\r\n") : NULL;
    if (!hdr_end || strncmp(s, "HTTP/1.", 7) != 0 || raw->len < 12)
        return AEGIS_ERR_RPC_BAD_RESPONSE;
    int status = atoi(s + 9);
    if (status < 100 || status > 999)
        return AEGIS_ERR_RPC_BAD_RESPONSE;
    *hdr_end = '\0';
    char *body = hdr_end + 4;
    size_t avail = raw->len - (size_t)(body - s);
    long clen = -1;
    bool chunked = false;
    aegis_http_response r = { .status = status };
    for (char *line = strstr(s, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            clen = atol(line + 15);
        else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 && strstr(line, "chunked"))
            chunked = true;
        else if (strncasecmp(line, "Content-Type:", 13) == 0) {
            const char *v = line + 13;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r\n");
            if (vl >= sizeof(r.content_type))
                vl = sizeof(r.content_type) - 1;
            memcpy(r.content_type, v, vl);
            r.content_type[vl] = '\0';
        }
    }
    size_t blen = avail;
    if (chunked) {
        long d = dechunk(body, avail);
        if (d < 0)
            return AEGIS_ERR_RPC_BAD_RESPONSE;
        blen = (size_t)d;
    } else if (clen >= 0) {
        if ((size_t)clen > avail)
            return AEGIS_ERR_TRUNCATED;
        blen = (size_t)clen;
    }
    r.body = aegis_malloc(blen + 1);
    if (!r.body)
        return AEGIS_ERR_NOMEM;
    memcpy(r.body, body, blen);
    r.body[blen] = '\0';
    r.len = blen;
    *ret = r;
    return AEGIS_OK;
}

int aegis_http_head(const aegis_http_url *u, const char *method, const char *content_type, char *out, size_t cap)
{
    bool v6 = strchr(u->host, ':') != NULL;
    int n = snprintf(out, cap, "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: aegis/%s\r\nAccept: */*\r\n%s%s%s",
                     method, u->path, v6 ? "[" : "", u->host, v6 ? "]" : "", u->port, AEGIS_VERSION,
                     content_type ? "Content-Type: " : "", content_type ? content_type : "", content_type ? "\r\n" : "");
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

aegis_err aegis_http_request(const char *url, const char *method, const char *content_type,
                             const void *body, size_t len, int timeout_ms,
                             aegis_http_response *ret)
{
    aegis_http_url u;
    aegis_buf req, raw;
    int fd = -1;
    uint64_t deadline = aegis_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000ull;
    aegis_buf_init(&req, 16 * 1024);
    aegis_buf_init(&raw, AEGIS_HTTP_MAX_RESPONSE);

    aegis_err err = aegis_http_url_parse(url, &u);
    if (err)
        goto out;
    char head[1536];
    int hn = aegis_http_head(&u, method, content_type, head, sizeof(head));
    err = hn < 0 ? AEGIS_ERR_RPC_BAD_URL : aegis_buf_append(&req, head, (size_t)hn);
    if (!err)
        err = aegis_buf_printf(&req, "Connection: close\r\n");
    if (!err && (len > 0 || strcmp(method, "POST") == 0))
        err = aegis_buf_printf(&req, "Content-Length: %zu\r\n", len);
    if (!err)
        err = aegis_buf_append(&req, "\r\n", 2);
    if (err)
        goto out;
    err = aegis__http_dial(&u, deadline, &fd);
    if (err)
        goto out;
    err = aegis__http_send_all(fd, req.data, req.len, deadline);
    /* The server may answer (413, 415) and close before reading the body:
     * a failed body send is fine as long as a response arrives. */
    if (!err && len > 0)
        (void)aegis__http_send_all(fd, body, len, deadline);
    if (err)
        goto out;
    err = recv_all(fd, &raw, deadline);
    if (!err)
        err = aegis_buf_cstr(&raw);
    if (!err)
        err = aegis__http_parse_response(&raw, ret);
out:
    if (fd >= 0)
        close(fd);
    aegis_buf_clear(&req);
    aegis_buf_clear(&raw);
    return err;
}

aegis_err aegis_http_post_json(const char *url, const char *json, size_t len, int timeout_ms,
                               aegis_http_response *ret)
{
    return aegis_http_request(url, "POST", "application/json", json, len, timeout_ms, ret);
}

aegis_err aegis_http_get(const char *url, int timeout_ms, aegis_http_response *ret)
{
    return aegis_http_request(url, "GET", NULL, NULL, 0, timeout_ms, ret);
}
