/* rlp.c - strict canonical RLP decoder (zero-copy) and encoder. */
#include <string.h>

#include "aegis/rlp.h"

/* Read a big-endian length of nb (1..8) bytes; canonical: no leading zero. */
static aegis_err read_len(const uint8_t *p, size_t nb, size_t *ret)
{
    if (p[0] == 0)
        return AEGIS_ERR_RLP_LEADING_ZEROS;
    if (nb > sizeof(size_t))
        return AEGIS_ERR_RLP_TOO_LONG;
    size_t v = 0;
    for (size_t i = 0; i < nb; i++)
        v = (v << 8) | p[i];
    *ret = v;
    return AEGIS_OK;
}

aegis_err aegis_rlp_decode_prefix(const uint8_t *in, size_t n, aegis_rlp_item *ret,
                                  size_t *consumed)
{
    if (n == 0)
        return AEGIS_ERR_RLP_EMPTY;
    uint8_t b = in[0];
    size_t hdr, len;
    bool list = false;
    if (b < 0x80) {                     /* the byte is its own encoding */
        hdr = 0;
        len = 1;
    } else if (b <= 0xb7) {             /* short string */
        hdr = 1;
        len = (size_t)b - 0x80;
        if (len == 1) {
            if (n < 2)
                return AEGIS_ERR_RLP_TRUNCATED;
            if (in[1] < 0x80)
                return AEGIS_ERR_RLP_NONCANONICAL;
        }
    } else if (b <= 0xbf || (b >= 0xf8)) {  /* long string / long list */
        list = b >= 0xf8;
        size_t nb = (size_t)b - (list ? 0xf7 : 0xb7);
        if (n < 1 + nb)
            return AEGIS_ERR_RLP_TRUNCATED;
        aegis_err err = read_len(in + 1, nb, &len);
        if (err)
            return err;
        if (len < 56)
            return AEGIS_ERR_RLP_NONCANONICAL;
        hdr = 1 + nb;
    } else {                            /* short list 0xc0..0xf7 */
        list = true;
        hdr = 1;
        len = (size_t)b - 0xc0;
    }
    if (len > n - hdr)
        return AEGIS_ERR_RLP_TRUNCATED;
    ret->raw = in;
    ret->raw_len = hdr + len;
    ret->payload = in + hdr;
    ret->len = len;
    ret->is_list = list;
    *consumed = hdr + len;
    return AEGIS_OK;
}

aegis_err aegis_rlp_decode(const uint8_t *in, size_t n, aegis_rlp_item *ret)
{
    aegis_rlp_item it;
    size_t used = 0;
    aegis_err err = aegis_rlp_decode_prefix(in, n, &it, &used);
    if (err)
        return err;
    if (used != n)
        return AEGIS_ERR_RLP_TRAILING;
    *ret = it;
    return AEGIS_OK;
}

void aegis_rlp_iter_init(aegis_rlp_iter *it, const aegis_rlp_item *list)
{
    if (!list->is_list)
        aegis_misuse("aegis_rlp_iter_init: not a list");
    it->p = list->payload;
    it->left = list->len;
}

bool aegis_rlp_iter_more(const aegis_rlp_iter *it)
{
    return it->left > 0;
}

aegis_err aegis_rlp_iter_next(aegis_rlp_iter *it, aegis_rlp_item *ret)
{
    size_t used = 0;
    aegis_err err = aegis_rlp_decode_prefix(it->p, it->left, ret, &used);
    if (err)
        return err;
    it->p += used;
    it->left -= used;
    return AEGIS_OK;
}

aegis_err aegis_rlp_split(const aegis_rlp_item *list, aegis_rlp_item *items, size_t count)
{
    if (!list->is_list)
        return AEGIS_ERR_RLP_EXPECTED_LIST;
    aegis_rlp_iter it;
    aegis_rlp_iter_init(&it, list);
    for (size_t i = 0; i < count; i++) {
        if (!aegis_rlp_iter_more(&it))
            return AEGIS_ERR_RLP_FIELD_COUNT;
        aegis_err err = aegis_rlp_iter_next(&it, &items[i]);
        if (err)
            return err;
    }
    return aegis_rlp_iter_more(&it) ? AEGIS_ERR_RLP_FIELD_COUNT : AEGIS_OK;
}

aegis_err aegis_rlp_count(const aegis_rlp_item *list, size_t *ret_count)
{
    if (!list->is_list)
        return AEGIS_ERR_RLP_EXPECTED_LIST;
    aegis_rlp_iter it;
    aegis_rlp_iter_init(&it, list);
    size_t c = 0;
    while (aegis_rlp_iter_more(&it)) {
        aegis_rlp_item x;
        aegis_err err = aegis_rlp_iter_next(&it, &x);
        if (err)
            return err;
        c++;
    }
    *ret_count = c;
    return AEGIS_OK;
}

/*
 * Whole-tree check without recursion on the C stack: an explicit stack of
 * "bytes left in each open list", bounded by max_depth. Each child is
 * decoded inside its parent's remaining bytes, so overruns are caught at
 * the level where they happen. A list's children end exactly where the
 * list ends, so p never needs rewinding when a list is done.
 */
aegis_err aegis_rlp_validate(const uint8_t *in, size_t n, unsigned max_depth)
{
    if (max_depth == 0)
        max_depth = AEGIS_RLP_DEFAULT_DEPTH;
    if (max_depth > AEGIS_RLP_MAX_DEPTH)
        max_depth = AEGIS_RLP_MAX_DEPTH;
    size_t left[AEGIS_RLP_MAX_DEPTH + 1];
    unsigned depth = 0;
    aegis_rlp_item top;
    aegis_err err = aegis_rlp_decode(in, n, &top);
    if (err)
        return err;
    if (!top.is_list)
        return AEGIS_OK;
    const uint8_t *p = top.payload;
    left[depth++] = top.len;
    while (depth > 0) {
        if (left[depth - 1] == 0) {
            depth--;
            continue;
        }
        aegis_rlp_item it;
        size_t used = 0;
        err = aegis_rlp_decode_prefix(p, left[depth - 1], &it, &used);
        if (err)
            return err;
        left[depth - 1] -= used;
        if (it.is_list) {
            if (depth >= max_depth)
                return AEGIS_ERR_RLP_TOO_DEEP;
            p = it.payload;
            left[depth++] = it.len;
        } else {
            p += used;
        }
    }
    return AEGIS_OK;
}

static aegis_err int_bytes(const aegis_rlp_item *it, const uint8_t **p, size_t *n)
{
    if (it->is_list)
        return AEGIS_ERR_RLP_EXPECTED_STRING;
    if (it->len > 0 && it->payload[0] == 0)
        return AEGIS_ERR_RLP_INT_LEADING_ZERO;
    *p = it->payload;
    *n = it->len;
    return AEGIS_OK;
}

aegis_err aegis_rlp_get_uint(const aegis_rlp_item *it, uint64_t *ret)
{
    const uint8_t *p;
    size_t n;
    aegis_err err = int_bytes(it, &p, &n);
    if (err)
        return err;
    if (n > 8)
        return AEGIS_ERR_RLP_INT_TOO_BIG;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    *ret = v;
    return AEGIS_OK;
}

aegis_err aegis_rlp_get_be(const aegis_rlp_item *it, uint8_t *out, size_t width)
{
    const uint8_t *p;
    size_t n;
    aegis_err err = int_bytes(it, &p, &n);
    if (err)
        return err;
    if (n > width)
        return AEGIS_ERR_RLP_INT_TOO_BIG;
    memset(out, 0, width - n);
    if (n)
        memcpy(out + (width - n), p, n);
    return AEGIS_OK;
}

/* ---------------- encoder ---------------- */

size_t aegis_rlp_header_len(size_t n)
{
    if (n < 56)
        return 1;
    size_t nb = 0;
    for (size_t v = n; v; v >>= 8)
        nb++;
    return 1 + nb;
}

size_t aegis_rlp_put_header(uint8_t *out, size_t n, bool is_list)
{
    uint8_t shortb = is_list ? 0xc0 : 0x80, longb = is_list ? 0xf7 : 0xb7;
    if (n < 56) {
        out[0] = (uint8_t)(shortb + n);
        return 1;
    }
    size_t nb = aegis_rlp_header_len(n) - 1;
    out[0] = (uint8_t)(longb + nb);
    for (size_t i = 0; i < nb; i++)
        out[nb - i] = (uint8_t)(n >> (8 * i));
    return 1 + nb;
}

void aegis_rlp_enc_init(aegis_rlp_enc *e, size_t max)
{
    aegis_buf_init(&e->buf, max);
    e->depth = 0;
    e->err = AEGIS_OK;
}

static void enc_append(aegis_rlp_enc *e, const void *p, size_t n)
{
    if (e->err)
        return;
    e->err = aegis_buf_append(&e->buf, p, n);
}

void aegis_rlp_enc_raw(aegis_rlp_enc *e, const void *p, size_t n)
{
    enc_append(e, p, n);
}

void aegis_rlp_enc_bytes(aegis_rlp_enc *e, const void *p, size_t n)
{
    const uint8_t *b = p;
    if (n == 1 && b[0] < 0x80) {
        enc_append(e, b, 1);
        return;
    }
    uint8_t hdr[9];
    enc_append(e, hdr, aegis_rlp_put_header(hdr, n, false));
    enc_append(e, p, n);
}

void aegis_rlp_enc_be(aegis_rlp_enc *e, const uint8_t *be, size_t n)
{
    while (n > 0 && be[0] == 0) {
        be++;
        n--;
    }
    aegis_rlp_enc_bytes(e, be, n);
}

void aegis_rlp_enc_uint(aegis_rlp_enc *e, uint64_t v)
{
    uint8_t b[8];
    aegis_put_be64(b, v);
    aegis_rlp_enc_be(e, b, 8);
}

void aegis_rlp_enc_list_begin(aegis_rlp_enc *e)
{
    if (e->err)
        return;
    if (e->depth >= AEGIS_RLP_ENC_MAX_NEST) {
        e->err = AEGIS_ERR_RLP_TOO_DEEP;
        return;
    }
    e->open[e->depth++] = e->buf.len;
}

void aegis_rlp_enc_list_end(aegis_rlp_enc *e)
{
    if (e->err)
        return;
    if (e->depth == 0) {
        e->err = AEGIS_ERR_INVAL;
        return;
    }
    size_t start = e->open[--e->depth];
    size_t plen = e->buf.len - start;
    uint8_t hdr[9];
    size_t h = aegis_rlp_put_header(hdr, plen, true);
    /* Grow by h bytes, then slide the payload right to make room. */
    enc_append(e, hdr, h);
    if (e->err)
        return;
    memmove(e->buf.data + start + h, e->buf.data + start, plen);
    memcpy(e->buf.data + start, hdr, h);
}

aegis_err aegis_rlp_enc_finish(aegis_rlp_enc *e, uint8_t **ret, size_t *ret_len)
{
    aegis_err err = e->err;
    if (!err && e->depth != 0)
        err = AEGIS_ERR_INVAL;
    if (!err && e->buf.len == 0)
        err = AEGIS_ERR_INVAL;
    if (err) {
        aegis_rlp_enc_clear(e);
        return err;
    }
    *ret = e->buf.data;
    *ret_len = e->buf.len;
    aegis_buf_init(&e->buf, e->buf.max);
    e->depth = 0;
    return AEGIS_OK;
}

void aegis_rlp_enc_clear(aegis_rlp_enc *e)
{
    aegis_buf_clear(&e->buf);
    e->depth = 0;
    e->err = AEGIS_OK;
}
