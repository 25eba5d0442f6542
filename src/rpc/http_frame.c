/*
 * http_frame.c - where one HTTP/1.1 response ends in a byte stream
 * (aegis_http_frame, aegis/http.h), for clients that read a keep-alive
 * connection into their own buffer and look at the body in place.
 *
 * Strict on purpose: a status line "HTTP/1.0 NNN" or "HTTP/1.1 NNN" (then
 * a space or the line end), header lines "Name: value" ended by CRLF, and
 * a body of exactly Content-Length bytes. A response without
 * Content-Length, or with Transfer-Encoding (chunked), or with two
 * Content-Length headers, cannot be framed here and is refused
 * (AEGIS_ERR_RPC_UNFRAMED): a keep-alive client must not guess where it
 * ends. 1xx interim responses are refused too (we never send Expect).
 * The header block is bounded (AEGIS_HTTP_FRAME_MAX_HEADER) and so is the
 * body (AEGIS_HTTP_MAX_RESPONSE).
 */
#include <string.h>
#include <strings.h>

#include "aegis/http.h"

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool name_is(const char *p, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/* Does the comma-separated value v[0, n) list the token tok? */
static bool lists_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok), i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
            return true;
    }
    return false;
}

static aegis_err bad(const char **ret_why, const char *why, aegis_err err)
{
    if (ret_why)
        *ret_why = why;
    return err;
}

aegis_err aegis_http_frame(const void *buf, size_t len, aegis_http_frame_info *ret, const char **ret_why)
{
    const char *s = buf;
    /* the status line, checked as soon as it is there, so garbage is
     * refused at once instead of waiting for a blank line */
    size_t lead = len < 12 ? len : 12, k = lead < 9 ? lead : 9;
    if (memcmp(s, "HTTP/1.1 ", k) != 0 && memcmp(s, "HTTP/1.0 ", k) != 0)
        return bad(ret_why, "not an HTTP/1.x status line", AEGIS_ERR_RPC_BAD_RESPONSE);
    for (size_t i = 9; i < lead; i++)
        if (s[i] < '0' || s[i] > '9')
            return bad(ret_why, "the status is not three digits", AEGIS_ERR_RPC_BAD_RESPONSE);
    const char *lf = memchr(s, '\n', len);
    if (lf && (lf == s || lf[-1] != '\r'))
        return bad(ret_why, "a bare LF ends the status line", AEGIS_ERR_RPC_BAD_RESPONSE);
    const char *end = len >= 4 ? memmem(s, len, "\r\n\r\n", 4) : NULL;
    if (!end) {
        if (len >= AEGIS_HTTP_FRAME_MAX_HEADER)
            return bad(ret_why, "the header block is too long", AEGIS_ERR_RPC_BAD_RESPONSE);
        return bad(ret_why, "incomplete header", AEGIS_ERR_TRUNCATED);
    }
    size_t hlen = (size_t)(end - s) + 4;
    if (hlen > AEGIS_HTTP_FRAME_MAX_HEADER)
        return bad(ret_why, "the header block is too long", AEGIS_ERR_RPC_BAD_RESPONSE);
    if (hlen < 16 || (s[12] != ' ' && s[12] != '\r'))
        return bad(ret_why, "malformed status line", AEGIS_ERR_RPC_BAD_RESPONSE);
    int status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (status < 200)
        return bad(ret_why, "an interim (1xx) or invalid status", AEGIS_ERR_RPC_BAD_RESPONSE);
    const char *line = memchr(s, '\r', hlen);   /* end of the status line */
    if (line[1] != '\n')
        return bad(ret_why, "a bare CR in the status line", AEGIS_ERR_RPC_BAD_RESPONSE);
    for (const char *c = s + 12; c < line; c++)
        if ((unsigned char)*c < 0x20 && *c != '\t')
            return bad(ret_why, "a control character in the status line", AEGIS_ERR_RPC_BAD_RESPONSE);
    line += 2;
    const char *hend = s + hlen - 2;   /* the blank line's CRLF */
    bool have_len = false, close_after = false;
    uint64_t clen = 0;
    while (line < hend) {
        const char *eol = memchr(line, '\r', (size_t)(hend - line + 1));
        if (!eol || eol[1] != '\n')
            return bad(ret_why, "a header line not ended by CRLF", AEGIS_ERR_RPC_BAD_RESPONSE);
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (!colon || colon == line)
            return bad(ret_why, "a header line without a name", AEGIS_ERR_RPC_BAD_RESPONSE);
        for (const char *c = line; c < colon; c++)
            if (!is_tchar((unsigned char)*c))
                return bad(ret_why, "a bad character in a header name", AEGIS_ERR_RPC_BAD_RESPONSE);
        const char *v = colon + 1, *ve = eol;
        for (const char *c = v; c < ve; c++)
            if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
                return bad(ret_why, "a control character in a header value", AEGIS_ERR_RPC_BAD_RESPONSE);
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        size_t nl = (size_t)(colon - line);
        if (name_is(line, nl, "Content-Length")) {
            if (have_len)
                return bad(ret_why, "two Content-Length headers", AEGIS_ERR_RPC_UNFRAMED);
            if (v == ve || ve - v > 10)
                return bad(ret_why, "Content-Length is not a number", AEGIS_ERR_RPC_BAD_RESPONSE);
            for (const char *c = v; c < ve; c++) {
                if (*c < '0' || *c > '9')
                    return bad(ret_why, "Content-Length is not a number", AEGIS_ERR_RPC_BAD_RESPONSE);
                clen = clen * 10 + (uint64_t)(*c - '0');
            }
            if (clen > AEGIS_HTTP_MAX_RESPONSE)
                return bad(ret_why, "the body is larger than AEGIS_HTTP_MAX_RESPONSE", AEGIS_ERR_TOO_BIG);
            have_len = true;
        } else if (name_is(line, nl, "Transfer-Encoding")) {
            return bad(ret_why, "a Transfer-Encoding (chunked) response: only Content-Length is accepted",
                       AEGIS_ERR_RPC_UNFRAMED);
        } else if (name_is(line, nl, "Connection")) {
            close_after = close_after || lists_token(v, (size_t)(ve - v), "close");
        }
        line = eol + 2;
    }
    if (!have_len)
        return bad(ret_why, "a response without Content-Length", AEGIS_ERR_RPC_UNFRAMED);
    aegis_http_frame_info f = {
        .status = status,
        .header_len = hlen,
        .body_len = (size_t)clen,
        .total = hlen + (size_t)clen,
        .close = close_after || memcmp(s, "HTTP/1.0", 8) == 0,
    };
    if (len < f.total)
        return bad(ret_why, "incomplete body", AEGIS_ERR_TRUNCATED);
    *ret = f;
    return AEGIS_OK;
}
