/* buf.c - a growable byte buffer with a hard size cap. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aegis/util.h"

void aegis_buf_init(aegis_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

/* Grow the allocation to hold at least need bytes (the cap may exceed
 * max by one, for a terminating NUL). */
static aegis_err buf_grow(aegis_buf *b, size_t need)
{
    if (need <= b->cap)
        return AEGIS_OK;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (ncap > b->max + 1)
        ncap = need;
    uint8_t *n = aegis_realloc(b->data, ncap);
    if (!n)
        return AEGIS_ERR_NOMEM;
    b->data = n;
    b->cap = ncap;
    return AEGIS_OK;
}

static aegis_err buf_reserve(aegis_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return AEGIS_ERR_TOO_BIG;
    return buf_grow(b, b->len + extra);
}

aegis_err aegis_buf_append(aegis_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return AEGIS_OK;
    aegis_err err = buf_reserve(b, n);
    if (err)
        return err;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return AEGIS_OK;
}

aegis_err aegis_buf_printf(aegis_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return AEGIS_ERR_INVAL;
    aegis_err err = buf_reserve(b, (size_t)n);
    if (!err)
        err = buf_grow(b, b->len + (size_t)n + 1);
    if (err)
        return err;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return AEGIS_OK;
}

aegis_err aegis_buf_cstr(aegis_buf *b)
{
    aegis_err err = buf_grow(b, b->len + 1);
    if (err)
        return err;
    b->data[b->len] = '\0';
    return AEGIS_OK;
}

void aegis_buf_reset(aegis_buf *b)
{
    b->len = 0;
}

void aegis_buf_clear(aegis_buf *b)
{
    if (b->data)
        aegis_memzero(b->data, b->cap);
    aegis_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
