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

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static const char *skip_prefix(const char *s)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return s + 2;
    return s;
}

static aegis_err decode_into(const char *h, size_t hlen, uint8_t *out)
{
    for (size_t i = 0; i < hlen / 2; i++) {
        int hi = nibble(h[2 * i]), lo = nibble(h[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return AEGIS_ERR_BAD_HEX;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return AEGIS_OK;
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
