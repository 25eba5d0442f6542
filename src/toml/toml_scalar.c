/* toml_scalar.c - TOML strings, integers, floats and dates/times.
 *
 * Each function starts at p->pos, leaves p->pos just past what it read and
 * reports errors at the offending byte. The input was UTF-8-validated
 * before parsing, so bytes >= 0x80 are ordinary characters here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "toml_int.h"

static bool is_ctrl(uint8_t c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static int hex_val(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t utf8_put(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Escape after a backslash at p->pos - 1 inside a basic string. */
static aegis_err escape(aegis__toml_p *p, bool ml, aegis_buf *out)
{
    size_t at = p->pos - 1;
    if (p->pos >= p->n)
        return aegis__toml_fail(p, at, AEGIS_ERR_TOML_SYNTAX, "unterminated string");
    uint8_t e = p->s[p->pos];
    const char *simple = NULL;
    switch (e) {
    case 'b': simple = "\b"; break;
    case 't': simple = "\t"; break;
    case 'n': simple = "\n"; break;
    case 'f': simple = "\f"; break;
    case 'r': simple = "\r"; break;
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    default: break;
    }
    if (simple) {
        p->pos++;
        return aegis_buf_append(out, simple, 1);
    }
    if (e == 'u' || e == 'U') {
        size_t nd = e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        p->pos++;
        for (size_t i = 0; i < nd; i++) {
            int h = p->pos + i < p->n ? hex_val(p->s[p->pos + i]) : -1;
            if (h < 0)
                return aegis__toml_fail(p, at, AEGIS_ERR_TOML_ESCAPE,
                                        e == 'u' ? "\\u needs 4 hex digits" : "\\U needs 8 hex digits");
            if (cp > 0x10FFFFu)
                break;
            cp = cp * 16 + (uint32_t)h;
        }
        if (cp > 0x10FFFFu || (cp >= 0xD800 && cp <= 0xDFFF))
            return aegis__toml_fail(p, at, AEGIS_ERR_TOML_ESCAPE,
                                    "escape is not a Unicode scalar value");
        p->pos += nd;
        uint8_t u[4];
        return aegis_buf_append(out, u, utf8_put(u, cp));
    }
    if (ml && (e == ' ' || e == '\t' || e == '\n' || e == '\r')) {
        /* Line-ending backslash: only whitespace may sit before the newline;
         * then all whitespace and newlines are trimmed. */
        size_t q = p->pos;
        while (q < p->n && (p->s[q] == ' ' || p->s[q] == '\t'))
            q++;
        p->pos = q;
        if (!aegis__toml_eat_nl(p))
            return aegis__toml_fail(p, at, AEGIS_ERR_TOML_ESCAPE,
                                    "backslash must end the line in a multi-line string");
        for (;;) {
            while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
                p->pos++;
            if (!aegis__toml_eat_nl(p))
                break;
        }
        return AEGIS_OK;
    }
    return aegis__toml_fail(p, at, AEGIS_ERR_TOML_ESCAPE, "unknown escape sequence");
}

aegis_err aegis__toml_string(aegis__toml_p *p, bool key, char **ret, size_t *ret_len)
{
    size_t start = p->pos;
    uint8_t q = p->s[start];
    bool basic = q == '"';
    bool ml = start + 2 < p->n && p->s[start + 1] == q && p->s[start + 2] == q;
    aegis_buf out;
    aegis_err err = AEGIS_OK;

    aegis_buf_init(&out, p->n + 8);
    if (ml && key)
        return aegis__toml_fail(p, start, AEGIS_ERR_TOML_SYNTAX, "a key cannot be a multi-line string");
    if (ml) {
        p->pos += 3;
        aegis__toml_eat_nl(p); /* a newline right after the opening is trimmed */
    } else {
        p->pos++;
    }
    for (;;) {
        if (p->pos >= p->n) {
            err = aegis__toml_fail(p, start, AEGIS_ERR_TOML_SYNTAX, "unterminated string");
            goto out;
        }
        size_t run = p->pos;
        while (run < p->n && p->s[run] != q && !(basic && p->s[run] == '\\') && !is_ctrl(p->s[run]))
            run++;
        if (run > p->pos) {
            if ((err = aegis_buf_append(&out, p->s + p->pos, run - p->pos)) != AEGIS_OK)
                goto out;
            p->pos = run;
            continue;
        }
        uint8_t c = p->s[p->pos];
        if (c == q) {
            if (!ml) {
                p->pos++;
                break;
            }
            size_t k = 0;
            while (p->pos + k < p->n && p->s[p->pos + k] == q)
                k++;
            if (k >= 3) {
                if (k > 5) {
                    err = aegis__toml_fail(p, p->pos + 5, AEGIS_ERR_TOML_SYNTAX,
                                           "too many quotes at the end of a multi-line string");
                    goto out;
                }
                if ((err = aegis_buf_append(&out, p->s + p->pos, k - 3)) != AEGIS_OK)
                    goto out;
                p->pos += k;
                break;
            }
            if ((err = aegis_buf_append(&out, p->s + p->pos, k)) != AEGIS_OK)
                goto out;
            p->pos += k;
            continue;
        }
        if (c == '\\') {
            p->pos++;
            if ((err = escape(p, ml, &out)) != AEGIS_OK)
                goto out;
            continue;
        }
        /* a control character: only newlines, and only in multi-line forms */
        if (ml && aegis__toml_eat_nl(p)) {
            if ((err = aegis_buf_append(&out, "\n", 1)) != AEGIS_OK)
                goto out;
            continue;
        }
        bool nl = c == '\n' || (c == '\r' && p->pos + 1 < p->n && p->s[p->pos + 1] == '\n');
        if (nl)
            err = aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX, "newline in a single-line string");
        else
            err = aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_CONTROL,
                                   c == '\r' ? "carriage return without line feed"
                                             : "control character in a string");
        goto out;
    }
    if ((err = aegis_buf_cstr(&out)) != AEGIS_OK)
        goto out;
    *ret_len = out.len;
    *ret = (char *)out.data;
    return AEGIS_OK;
out:
    aegis_buf_clear(&out);
    if (err == AEGIS_ERR_NOMEM || err == AEGIS_ERR_TOO_BIG)
        err = aegis__toml_fail(p, start, err, "out of memory");
    return err;
}

/* ---- dates and times ---- */

static bool fixed_digits(aegis__toml_p *p, size_t nd, int *out)
{
    int v = 0;
    for (size_t i = 0; i < nd; i++) {
        if (p->pos + i >= p->n || !is_digit(p->s[p->pos + i]))
            return false;
        v = v * 10 + (p->s[p->pos + i] - '0');
    }
    p->pos += nd;
    *out = v;
    return true;
}

static bool lit(aegis__toml_p *p, uint8_t c)
{
    if (p->pos < p->n && p->s[p->pos] == c) {
        p->pos++;
        return true;
    }
    return false;
}

static int days_in(int year, int month)
{
    static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return d[month - 1];
}

/* HH:MM:SS[.frac] */
static aegis_err parse_time(aegis__toml_p *p, aegis_toml_datetime *dt)
{
    size_t at = p->pos;
    if (!fixed_digits(p, 2, &dt->hour) || !lit(p, ':') || !fixed_digits(p, 2, &dt->minute) ||
        !lit(p, ':') || !fixed_digits(p, 2, &dt->second))
        return aegis__toml_fail(p, at, AEGIS_ERR_TOML_DATETIME, "time must be HH:MM:SS");
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
        return aegis__toml_fail(p, at, AEGIS_ERR_TOML_DATETIME, "hour, minute or second out of range");
    if (lit(p, '.')) {
        size_t fs = p->pos;
        uint32_t ns = 0;
        while (p->pos < p->n && is_digit(p->s[p->pos])) {
            if (p->pos - fs < 9) /* extra precision is truncated, as the spec asks */
                ns = ns * 10 + (uint32_t)(p->s[p->pos] - '0');
            p->pos++;
        }
        size_t nd = p->pos - fs;
        if (nd == 0)
            return aegis__toml_fail(p, fs, AEGIS_ERR_TOML_DATETIME, "fraction needs digits");
        dt->frac_digits = nd > 9 ? 9 : (int)nd;
        for (size_t i = nd; i < 9; i++)
            ns *= 10;
        dt->nanosecond = ns;
    }
    return AEGIS_OK;
}

static aegis_err parse_date_time(aegis__toml_p *p, bool time_only, aegis_toml_value **ret,
                                 unsigned line, unsigned col)
{
    aegis_toml_datetime dt = { 0 };
    aegis_toml_type type;
    size_t at = p->pos;
    aegis_err err;

    if (time_only) {
        if ((err = parse_time(p, &dt)) != AEGIS_OK)
            return err;
        type = AEGIS_TOML_TIME_LOCAL;
    } else {
        if (!fixed_digits(p, 4, &dt.year) || !lit(p, '-') || !fixed_digits(p, 2, &dt.month) ||
            !lit(p, '-') || !fixed_digits(p, 2, &dt.day))
            return aegis__toml_fail(p, at, AEGIS_ERR_TOML_DATETIME, "date must be YYYY-MM-DD");
        if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > days_in(dt.year, dt.month))
            return aegis__toml_fail(p, at, AEGIS_ERR_TOML_DATETIME, "no such date");
        type = AEGIS_TOML_DATE_LOCAL;
        if (p->pos < p->n &&
            (p->s[p->pos] == 'T' || p->s[p->pos] == 't' ||
             (p->s[p->pos] == ' ' && p->pos + 1 < p->n && is_digit(p->s[p->pos + 1])))) {
            p->pos++;
            if ((err = parse_time(p, &dt)) != AEGIS_OK)
                return err;
            type = AEGIS_TOML_DATETIME_LOCAL;
            if (p->pos < p->n && (p->s[p->pos] == 'Z' || p->s[p->pos] == 'z')) {
                p->pos++;
                dt.offset_z = true;
                type = AEGIS_TOML_DATETIME;
            } else if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) {
                size_t oat = p->pos;
                int sign = p->s[p->pos] == '-' ? -1 : 1, oh, om;
                p->pos++;
                if (!fixed_digits(p, 2, &oh) || !lit(p, ':') || !fixed_digits(p, 2, &om))
                    return aegis__toml_fail(p, oat, AEGIS_ERR_TOML_DATETIME, "offset must be +HH:MM");
                if (oh > 23 || om > 59)
                    return aegis__toml_fail(p, oat, AEGIS_ERR_TOML_DATETIME, "offset out of range");
                dt.offset_minutes = sign * (oh * 60 + om);
                type = AEGIS_TOML_DATETIME;
            }
        }
    }
    aegis_toml_value *v = aegis__toml_new(type, line, col);
    if (!v)
        return aegis__toml_fail(p, at, AEGIS_ERR_NOMEM, "out of memory");
    v->u.dt = dt;
    *ret = v;
    return AEGIS_OK;
}

/* ---- numbers ---- */

static bool base_digit(uint8_t c, int base)
{
    switch (base) {
    case 2: return c == '0' || c == '1';
    case 8: return c >= '0' && c <= '7';
    case 16: return hex_val(c) >= 0;
    default: return is_digit(c);
    }
}

/* Digits of base from t[*j] with '_' allowed only between two digits.
 * Returns the digit count, or -1 for a misplaced underscore. */
static long scan_digits(const uint8_t *t, size_t len, size_t *j, int base)
{
    size_t k = *j;
    long nd = 0;
    bool prev = false;
    while (k < len) {
        if (base_digit(t[k], base)) {
            nd++;
            prev = true;
        } else if (t[k] == '_') {
            if (!prev || k + 1 >= len || !base_digit(t[k + 1], base))
                return -1;
            prev = false;
        } else {
            break;
        }
        k++;
    }
    *j = k;
    return nd;
}

static bool is_num_char(uint8_t c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '.' || c == '+' || c == '-';
}

static aegis_err parse_number(aegis__toml_p *p, size_t at, const uint8_t *t, size_t len,
                              aegis_toml_value *v)
{
    bool neg = false, sign = false;
    size_t i = 0;
    if (len > 0 && (t[0] == '+' || t[0] == '-')) {
        sign = true;
        neg = t[0] == '-';
        i = 1;
    }
    const uint8_t *r = t + i;
    size_t rl = len - i;
    if (rl == 3 && (memcmp(r, "inf", 3) == 0 || memcmp(r, "nan", 3) == 0)) {
        v->type = AEGIS_TOML_FLOAT;
        if (r[0] == 'i')
            v->u.f = neg ? -INFINITY : INFINITY;
        else
            v->u.f = neg ? -NAN : NAN;
        return AEGIS_OK;
    }
    if (rl >= 2 && r[0] == '0' && (r[1] == 'x' || r[1] == 'o' || r[1] == 'b')) {
        int base = r[1] == 'x' ? 16 : r[1] == 'o' ? 8 : 2;
        if (sign)
            return aegis__toml_fail(p, at, AEGIS_ERR_TOML_NUMBER,
                                    "hex, octal and binary integers take no sign");
        size_t j = 2;
        long nd = scan_digits(r, rl, &j, base);
        if (nd <= 0 || j != rl)
            return aegis__toml_fail(p, at, AEGIS_ERR_TOML_NUMBER, "malformed integer");
        uint64_t acc = 0;
        for (size_t k = 2; k < rl; k++) {
            if (r[k] == '_')
                continue;
            uint64_t d = (uint64_t)hex_val(r[k]);
            if (acc > ((uint64_t)INT64_MAX - d) / (uint64_t)base)
                return aegis__toml_fail(p, at, AEGIS_ERR_TOML_RANGE, "integer does not fit in 64 bits");
            acc = acc * (uint64_t)base + d;
        }
        v->type = AEGIS_TOML_INTEGER;
        v->u.i = (int64_t)acc;
        return AEGIS_OK;
    }
    size_t j = 0;
    long nd = scan_digits(r, rl, &j, 10);
    if (nd <= 0)
        return aegis__toml_fail(p, at, AEGIS_ERR_TOML_NUMBER, "malformed number");
    if (r[0] == '0' && j > 1)
        return aegis__toml_fail(p, at, AEGIS_ERR_TOML_NUMBER, "leading zeros are not allowed");
    bool is_float = false;
    if (j < rl && r[j] == '.') {
        j++;
        if (scan_digits(r, rl, &j, 10) <= 0)
            return aegis__toml_fail(p, at, AEGIS_ERR_TOML_NUMBER, "a decimal point needs digits on both sides");
        is_float = true;
    }
    if (j < rl && (r[j] == 'e' || r[j] == 'E')) {
        j++;
        if (j < rl && (r[j] == '+' || r[j] == '-'))
            j++;
        if (scan_digits(r, rl, &j, 10) <= 0)
            return aegis__toml_fail(p, at, AEGIS_ERR_TOML_NUMBER, "malformed exponent");
        is_float = true;
    }
    if (j != rl)
        return aegis__toml_fail(p, at, AEGIS_ERR_TOML_NUMBER, "malformed number");
    if (!is_float) {
        uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
        for (size_t k = 0; k < rl; k++) {
            if (r[k] == '_')
                continue;
            uint64_t d = (uint64_t)(r[k] - '0');
            if (acc > (limit - d) / 10)
                return aegis__toml_fail(p, at, AEGIS_ERR_TOML_RANGE, "integer does not fit in 64 bits");
            acc = acc * 10 + d;
        }
        v->type = AEGIS_TOML_INTEGER;
        v->u.i = neg ? (int64_t)(0 - acc) : (int64_t)acc;
        return AEGIS_OK;
    }
    char *clean = aegis_malloc(len + 1);
    if (!clean)
        return aegis__toml_fail(p, at, AEGIS_ERR_NOMEM, "out of memory");
    size_t cn = 0;
    for (size_t k = 0; k < len; k++)
        if (t[k] != '_')
            clean[cn++] = (char)t[k];
    clean[cn] = '\0';
    v->type = AEGIS_TOML_FLOAT;
    v->u.f = strtod(clean, NULL);
    aegis_free(clean);
    return AEGIS_OK;
}

aegis_err aegis__toml_number_or_date(aegis__toml_p *p, aegis_toml_value **ret)
{
    size_t at = p->pos;
    unsigned line, col;
    aegis__toml_where(p, at, &line, &col);
    const uint8_t *s = p->s;
    size_t n = p->n;

    if (at + 4 < n && is_digit(s[at]) && is_digit(s[at + 1]) && is_digit(s[at + 2]) &&
        is_digit(s[at + 3]) && s[at + 4] == '-')
        return parse_date_time(p, false, ret, line, col);
    if (at + 2 < n && is_digit(s[at]) && is_digit(s[at + 1]) && s[at + 2] == ':')
        return parse_date_time(p, true, ret, line, col);

    size_t end = at;
    while (end < n && is_num_char(s[end]))
        end++;
    if (end == at)
        return aegis__toml_fail(p, at, AEGIS_ERR_TOML_SYNTAX, "expected a value");
    aegis_toml_value *v = aegis__toml_new(AEGIS_TOML_INTEGER, line, col);
    if (!v)
        return aegis__toml_fail(p, at, AEGIS_ERR_NOMEM, "out of memory");
    aegis_err err = parse_number(p, at, s + at, end - at, v);
    if (err) {
        aegis_toml_free(v);
        return err;
    }
    p->pos = end;
    *ret = v;
    return AEGIS_OK;
}
