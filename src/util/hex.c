/* hex.c - hex encoding and strict decoding. */
#include <string.h>

#include "aegis/util.h"

void aegis_hex_encode(char *out, const uint8_t *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Digit value + 1, 0 for a non-digit: a 7 KB envelope is decoded on every
 * submission, so one load per character instead of three compares. */
static const uint8_t nibble1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static const char *skip_prefix(const char *s)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return s + 2;
    return s;
}

static aegis_err decode_into(const char *h, size_t hlen, uint8_t *out)
{
    uint8_t bad = 0;
    for (size_t i = 0; i < hlen / 2; i++) {
        uint8_t hi = (uint8_t)(nibble1[(uint8_t)h[2 * i]] - 1), lo = (uint8_t)(nibble1[(uint8_t)h[2 * i + 1]] - 1);
        bad |= hi | lo;   /* a non-digit gives 0xff */
        out[i] = (uint8_t)(hi << 4 | (lo & 15));
    }
    return bad & 0xf0 ? AEGIS_ERR_BAD_HEX : AEGIS_OK;
}

aegis_err aegis_hex_decode_alloc(const char *s, size_t max, uint8_t **ret, size_t *ret_len)
{
    return aegis_hex_decode_allocn(s, strlen(s), max, ret, ret_len);
}

aegis_err aegis_hex_decode_allocn(const char *s, size_t slen, size_t max, uint8_t **ret, size_t *ret_len)
{
    const char *h = slen >= 2 ? skip_prefix(s) : s;
    size_t hlen = slen - (size_t)(h - s);
    if (hlen % 2)
        return AEGIS_ERR_BAD_HEX;
    if (hlen / 2 > max)
        return AEGIS_ERR_TOO_BIG;
    uint8_t *out = aegis_malloc(hlen / 2);
    if (!out)
        return AEGIS_ERR_NOMEM;
    aegis_err err = decode_into(h, hlen, out);
    if (err) {
        aegis_free(out);
        return err;
    }
    *ret = out;
    *ret_len = hlen / 2;
    return AEGIS_OK;
}

aegis_err aegis_hex_decode_exact(const char *s, uint8_t *out, size_t n)
{
    const char *h = skip_prefix(s);
    if (strlen(h) != 2 * n)
        return AEGIS_ERR_BAD_HEX;
    return decode_into(h, 2 * n, out);
}
