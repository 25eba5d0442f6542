/* u256.c - the small 256-bit unsigned type the tx checks need. */
#include <string.h>

#include "aegis/tx.h"

void aegis_u256_from_u64(aegis_u256 *r, uint64_t v)
{
    r->w[0] = v;
    r->w[1] = r->w[2] = r->w[3] = 0;
}

void aegis_u256_from_be(aegis_u256 *r, const uint8_t *be, size_t n)
{
    if (n > 32)
        aegis_misuse("aegis_u256_from_be: more than 32 bytes");
    uint8_t b[32] = { 0 };
    if (n)
        memcpy(b + 32 - n, be, n);
    for (int i = 0; i < 4; i++)
        r->w[i] = aegis_get_be64(b + 8 * (3 - i));
}

void aegis_u256_to_be(uint8_t out[static 32], const aegis_u256 *a)
{
    for (int i = 0; i < 4; i++)
        aegis_put_be64(out + 8 * (3 - i), a->w[i]);
}

int aegis_u256_cmp(const aegis_u256 *a, const aegis_u256 *b)
{
    for (int i = 3; i >= 0; i--) {
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    }
    return 0;
}

bool aegis_u256_is_zero(const aegis_u256 *a)
{
    return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

bool aegis_u256_add(aegis_u256 *r, const aegis_u256 *a, const aegis_u256 *b)
{
    unsigned __int128 c = 0;
    aegis_u256 t;
    for (int i = 0; i < 4; i++) {
        c += (unsigned __int128)a->w[i] + b->w[i];
        t.w[i] = (uint64_t)c;
        c >>= 64;
    }
    *r = t;
    return c != 0;
}

bool aegis_u256_sub(aegis_u256 *r, const aegis_u256 *a, const aegis_u256 *b)
{
    uint64_t borrow = 0;
    aegis_u256 t;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a->w[i], y = b->w[i];
        uint64_t d = x - y - borrow;
        borrow = (x < y) || (x - y < borrow);
        t.w[i] = d;
    }
    *r = t;
    return borrow != 0;
}

/* Schoolbook 4x4 limbs; any partial product landing at limb >= 4 (or a
 * carry out of limb 3) means the true product needs more than 256 bits. */
bool aegis_u256_mul(aegis_u256 *r, const aegis_u256 *a, const aegis_u256 *b)
{
    uint64_t t[8] = { 0 };
    for (int i = 0; i < 4; i++) {
        unsigned __int128 carry = 0;
        for (int j = 0; j < 4; j++) {
            unsigned __int128 p = (unsigned __int128)a->w[i] * b->w[j] + t[i + j] + carry;
            t[i + j] = (uint64_t)p;
            carry = p >> 64;
        }
        t[i + 4] = (uint64_t)carry;
    }
    bool over = (t[4] | t[5] | t[6] | t[7]) != 0;
    for (int i = 0; i < 4; i++)
        r->w[i] = t[i];
    return over;
}

/* Divide by 10 in place, returning the remainder. */
static unsigned div10(aegis_u256 *a)
{
    unsigned __int128 rem = 0;
    for (int i = 3; i >= 0; i--) {
        unsigned __int128 cur = (rem << 64) | a->w[i];
        a->w[i] = (uint64_t)(cur / 10);
        rem = cur % 10;
    }
    return (unsigned)rem;
}

void aegis_u256_to_dec(char out[static 80], const aegis_u256 *a)
{
    char tmp[80];
    size_t n = 0;
    aegis_u256 x = *a;
    do {
        tmp[n++] = (char)('0' + div10(&x));
    } while (!aegis_u256_is_zero(&x));
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

aegis_err aegis_u256_parse(aegis_u256 *r, const char *s)
{
    aegis_u256 acc, base, digit;
    aegis_u256_from_u64(&acc, 0);
    unsigned radix = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        radix = 16;
        s += 2;
    }
    if (*s == '\0')
        return AEGIS_ERR_INVAL;
    aegis_u256_from_u64(&base, radix);
    for (; *s; s++) {
        unsigned d;
        char c = *s;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (radix == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (radix == 16 && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return AEGIS_ERR_INVAL;
        aegis_u256_from_u64(&digit, d);
        if (aegis_u256_mul(&acc, &acc, &base) || aegis_u256_add(&acc, &acc, &digit))
            return AEGIS_ERR_TOO_BIG;
    }
    *r = acc;
    return AEGIS_OK;
}
