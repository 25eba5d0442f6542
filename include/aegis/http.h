/*
 * aegis/http.h - a small blocking HTTP/1.1 client (plain TCP, no TLS).
 *
 * Enough to talk to aegisd: one request per connection ("Connection:
 * close"), Content-Length or read-until-close bodies, and an overall
 * timeout. Used by the CLI and the integration tests; no libcurl.
 *
 * Thread-safety: every function is reentrant; there is no shared state.
 */
#ifndef AEGIS_HTTP_H
#define AEGIS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "aegis/util.h"

#define AEGIS_HTTP_MAX_RESPONSE (64u * 1024 * 1024)

typedef struct aegis_http_response {
    int status;               /* e.g. 200 */
    char content_type[128];   /* "" when absent */
    char *body;               /* aegis_malloc'd, NUL-terminated (may contain NULs) */
    size_t len;
} aegis_http_response;

/* Parsed "http://HOST:PORT[/path]" (port defaults to 80, path to "/"). */
typedef struct aegis_http_url {
    char host[256];
    char port[8];
    char path[1024];
} aegis_http_url;

/* Parse a URL; a bare "HOST:PORT" is accepted as http://HOST:PORT/.
 * Errors: AEGIS_ERR_RPC_BAD_URL. */
aegis_err aegis_http_url_parse(const char *url, aegis_http_url *ret) AEGIS_WUR;

/* The start of a request to u: "METHOD path HTTP/1.1", then Host (an IPv6
 * literal in brackets), User-Agent, Accept and, unless content_type is
 * NULL, Content-Type lines, each CRLF-ended, into out (NUL-terminated).
 * Its length, or -1 when it does not fit in cap. */
int aegis_http_head(const aegis_http_url *u, const char *method, const char *content_type, char *out, size_t cap);

/* Send one request and read the whole response within timeout_ms.
 * method is "GET" or "POST"; content_type may be NULL (no header);
 * body may be NULL when len is 0. On success *ret is filled (free with
 * aegis_http_response_clear) whatever the HTTP status.
 * Errors: RPC_BAD_URL, RPC_CONNECT, TIMEOUT, IO, RPC_BAD_RESPONSE, TOO_BIG
 * (response larger than AEGIS_HTTP_MAX_RESPONSE), NOMEM. */
aegis_err aegis_http_request(const char *url, const char *method, const char *content_type,
                             const void *body, size_t len, int timeout_ms,
                             aegis_http_response *ret) AEGIS_WUR;

/* Shorthands. */
aegis_err aegis_http_post_json(const char *url, const char *json, size_t len, int timeout_ms,
                               aegis_http_response *ret) AEGIS_WUR;
aegis_err aegis_http_get(const char *url, int timeout_ms, aegis_http_response *ret) AEGIS_WUR;

/* A keep-alive connection for many POSTs of JSON to one URL (http_conn.c):
 * dialled on first use, kept open between requests, reopened after an
 * error. Responses must carry Content-Length. Not thread-safe: one thread
 * per connection. retry: a request that fails on a connection the server
 * may have closed while idle is sent once more on a new one (only for
 * requests that may be repeated). Errors: as aegis_http_request. */
typedef struct aegis_http_conn aegis_http_conn;
aegis_err aegis_http_conn_open(aegis_http_conn **ret, const char *url) AEGIS_WUR;
aegis_err aegis_http_conn_post_json(aegis_http_conn *c, const void *body, size_t len, int timeout_ms,
                                    bool retry, aegis_http_response *ret) AEGIS_WUR;
void aegis_http_conn_free(aegis_http_conn *c);

/* Where one HTTP/1.1 response ends (http_frame.c), for a client that
 * reads a keep-alive connection into its own buffer and reads the body in
 * place: buf[0, len) holds the bytes received so far. AEGIS_OK: a whole
 * response is at buf[0, ret->total) (its body at buf + header_len); any
 * bytes after it are not part of it. AEGIS_ERR_TRUNCATED: not all of it
 * has arrived yet. Only Content-Length framing is accepted:
 * AEGIS_ERR_RPC_UNFRAMED for chunked, missing or repeated lengths;
 * RPC_BAD_RESPONSE for anything malformed (including 1xx responses);
 * TOO_BIG for a body over AEGIS_HTTP_MAX_RESPONSE. *ret_why (may be NULL)
 * gets static text saying why. */
#define AEGIS_HTTP_FRAME_MAX_HEADER (16u * 1024)
typedef struct aegis_http_frame_info {
    int status;
    size_t header_len;        /* status line + headers + blank line */
    size_t body_len;          /* Content-Length */
    size_t total;             /* header_len + body_len */
    bool close;               /* "Connection: close" (or HTTP/1.0): the server ends the connection */
} aegis_http_frame_info;
aegis_err aegis_http_frame(const void *buf, size_t len, aegis_http_frame_info *ret, const char **ret_why) AEGIS_WUR;

/* Free the body; accepts a zeroed struct. */
void aegis_http_response_clear(aegis_http_response *r);

#endif
