/* toml_parse.c - TOML document structure: keys, tables, arrays, inline
 * tables, and the rules about what may define or extend what.
 *
 * feed() only buffers; finish() validates UTF-8 and then parses the whole
 * input in one recursive-descent pass (depth-capped). See
 * docs/internals/toml.md for the table-flag model behind the redefinition
 * rules.
 */
#include <string.h>

#include "toml_int.h"

/* ---- positions and errors ---- */

void aegis__toml_where(const aegis__toml_p *p, size_t at, unsigned *line, unsigned *col)
{
    size_t ls;
    unsigned ln;
    if (at >= p->line_start) {
        ls = p->line_start;
        ln = p->line;
    } else {
        ls = 0;
        ln = 1;
        for (size_t i = 0; i < at; i++)
            if (p->s[i] == '\n') {
                ln++;
                ls = i + 1;
            }
    }
    unsigned c = 1;
    for (size_t i = ls; i < at && i < p->n; i++) {
        if (p->s[i] == '\n') {
            /* at may lie past the lines consumed so far (UTF-8 check) */
            ln++;
            c = 1;
        } else if ((p->s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = ln;
    *col = c;
}

aegis_err aegis__toml_fail(aegis__toml_p *p, size_t at, aegis_err code, const char *msg)
{
    if (p->err.msg == NULL || p->err.msg[0] == '\0') {
        aegis__toml_where(p, at, &p->err.line, &p->err.col);
        p->err.msg = msg;
    }
    return code;
}

bool aegis__toml_eat_nl(aegis__toml_p *p)
{
    size_t q = p->pos;
    if (q < p->n && p->s[q] == '\r' && q + 1 < p->n && p->s[q + 1] == '\n')
        q++;
    if (q < p->n && p->s[q] == '\n') {
        p->pos = q + 1;
        p->line++;
        p->line_start = p->pos;
        return true;
    }
    return false;
}

static aegis_err nomem(aegis__toml_p *p)
{
    return aegis__toml_fail(p, p->pos, AEGIS_ERR_NOMEM, "out of memory");
}

/* ---- lexical helpers ---- */

static void skip_ws(aegis__toml_p *p)
{
    while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
}

/* A comment from '#' to the end of the line (the newline is not eaten). */
static aegis_err skip_comment(aegis__toml_p *p)
{
    if (p->pos >= p->n || p->s[p->pos] != '#')
        return AEGIS_OK;
    while (p->pos < p->n && p->s[p->pos] != '\n') {
        uint8_t c = p->s[p->pos];
        if (c == '\r' && p->pos + 1 < p->n && p->s[p->pos + 1] == '\n')
            break;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_CONTROL, "control character in a comment");
        p->pos++;
    }
    return AEGIS_OK;
}

/* Whitespace, comments and newlines (inside arrays). */
static aegis_err skip_ws_nl(aegis__toml_p *p)
{
    for (;;) {
        skip_ws(p);
        aegis_err err = skip_comment(p);
        if (err)
            return err;
        if (!aegis__toml_eat_nl(p))
            return AEGIS_OK;
    }
}

/* After a key/value or header: optional whitespace and comment, then a
 * newline or the end. */
static aegis_err end_of_line(aegis__toml_p *p)
{
    skip_ws(p);
    aegis_err err = skip_comment(p);
    if (err)
        return err;
    if (p->pos >= p->n || aegis__toml_eat_nl(p))
        return AEGIS_OK;
    if (p->s[p->pos] == '\r')
        return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_CONTROL, "carriage return without line feed");
    return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX, "expected the end of the line");
}

/* ---- keys ---- */

struct keypart {
    char *s;
    size_t len;
    unsigned line, col;
};

struct keypath {
    struct keypart *v;
    size_t n, cap;
};

static void keypath_clear(struct keypath *k)
{
    for (size_t i = 0; i < k->n; i++)
        aegis_free(k->v[i].s);
    aegis_free(k->v);
    k->v = NULL;
    k->n = k->cap = 0;
}

static bool is_bare(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* key = simple-key *( ws "." ws simple-key ); leaves pos after the last part. */
static aegis_err parse_key(aegis__toml_p *p, struct keypath *k)
{
    for (;;) {
        struct keypart part = { 0 };
        aegis__toml_where(p, p->pos, &part.line, &part.col);
        if (p->pos >= p->n)
            return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX, "expected a key");
        uint8_t c = p->s[p->pos];
        if (c == '"' || c == '\'') {
            aegis_err err = aegis__toml_string(p, true, &part.s, &part.len);
            if (err)
                return err;
        } else if (is_bare(c)) {
            size_t st = p->pos;
            while (p->pos < p->n && is_bare(p->s[p->pos]))
                p->pos++;
            part.len = p->pos - st;
            part.s = aegis_strndup((const char *)p->s + st, part.len);
            if (!part.s)
                return nomem(p);
        } else {
            return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX, "expected a key");
        }
        if (k->n >= AEGIS_TOML_MAX_DEPTH) {
            aegis_free(part.s);
            return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_TOO_DEEP, "key has too many parts");
        }
        if (k->n == k->cap) {
            size_t ncap = k->cap ? k->cap * 2 : 4;
            struct keypart *nv = aegis_realloc(k->v, ncap * sizeof(*nv));
            if (!nv) {
                aegis_free(part.s);
                return nomem(p);
            }
            k->v = nv;
            k->cap = ncap;
        }
        k->v[k->n++] = part;
        size_t save = p->pos;
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == '.') {
            p->pos++;
            skip_ws(p);
            continue;
        }
        p->pos = save;
        return AEGIS_OK;
    }
}

/* ---- values ---- */

static aegis_err parse_value(aegis__toml_p *p, aegis_toml_value **ret);
static aegis_err parse_keyval(aegis__toml_p *p, aegis_toml_value *tab);

static aegis_err parse_array(aegis__toml_p *p, aegis_toml_value *arr)
{
    aegis_err err;
    p->pos++; /* [ */
    for (;;) {
        if ((err = skip_ws_nl(p)) != AEGIS_OK)
            return err;
        if (p->pos < p->n && p->s[p->pos] == ']') {
            p->pos++;
            return AEGIS_OK;
        }
        aegis_toml_value *v = NULL;
        if ((err = parse_value(p, &v)) != AEGIS_OK)
            return err;
        if (aegis__toml_array_add(arr, v) != AEGIS_OK) {
            aegis_toml_free(v);
            return nomem(p);
        }
        if ((err = skip_ws_nl(p)) != AEGIS_OK)
            return err;
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == ']') {
            p->pos++;
            return AEGIS_OK;
        }
        return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX, "expected ',' or ']' in an array");
    }
}

static aegis_err parse_inline_table(aegis__toml_p *p, aegis_toml_value *tab)
{
    aegis_err err;
    p->pos++; /* { */
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == '}') {
        p->pos++;
        tab->flags = AEGIS__TOML_INLINE;
        return AEGIS_OK;
    }
    for (;;) {
        skip_ws(p);
        if ((err = parse_keyval(p, tab)) != AEGIS_OK)
            return err;
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            skip_ws(p);
            if (p->pos < p->n && p->s[p->pos] == '}')
                return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX,
                                        "trailing comma in an inline table");
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == '}') {
            p->pos++;
            /* Sealing the root of the inline table seals everything under
             * it: every path into the subtree passes through it. */
            tab->flags = AEGIS__TOML_INLINE;
            return AEGIS_OK;
        }
        if (p->pos < p->n && (p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
            return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX, "newline in an inline table");
        return aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX, "expected ',' or '}' in an inline table");
    }
}

static bool word_at(const aegis__toml_p *p, const char *w)
{
    size_t l = strlen(w);
    return p->pos + l <= p->n && memcmp(p->s + p->pos, w, l) == 0;
}

static aegis_err parse_value(aegis__toml_p *p, aegis_toml_value **ret)
{
    size_t at = p->pos;
    unsigned line, col;
    aegis_err err;

    if (at >= p->n)
        return aegis__toml_fail(p, at, AEGIS_ERR_TOML_SYNTAX, "expected a value");
    aegis__toml_where(p, at, &line, &col);
    uint8_t c = p->s[at];
    if (c == '"' || c == '\'') {
        char *s = NULL;
        size_t len = 0;
        if ((err = aegis__toml_string(p, false, &s, &len)) != AEGIS_OK)
            return err;
        aegis_toml_value *v = aegis__toml_new(AEGIS_TOML_STRING, line, col);
        if (!v) {
            aegis_free(s);
            return nomem(p);
        }
        v->u.str.s = s;
        v->u.str.len = len;
        *ret = v;
        return AEGIS_OK;
    }
    if (word_at(p, "true") || word_at(p, "false")) {
        aegis_toml_value *v = aegis__toml_new(AEGIS_TOML_BOOL, line, col);
        if (!v)
            return nomem(p);
        v->u.b = c == 't';
        p->pos += c == 't' ? 4 : 5;
        *ret = v;
        return AEGIS_OK;
    }
    if (c == '[' || c == '{') {
        if (p->depth >= AEGIS_TOML_MAX_DEPTH)
            return aegis__toml_fail(p, at, AEGIS_ERR_TOML_TOO_DEEP, "nesting too deep");
        aegis_toml_value *v = aegis__toml_new(c == '[' ? AEGIS_TOML_ARRAY : AEGIS_TOML_TABLE, line, col);
        if (!v)
            return nomem(p);
        p->depth++;
        err = c == '[' ? parse_array(p, v) : parse_inline_table(p, v);
        p->depth--;
        if (err) {
            aegis_toml_free(v);
            return err;
        }
        *ret = v;
        return AEGIS_OK;
    }
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'i' || c == 'n')
        return aegis__toml_number_or_date(p, ret);
    return aegis__toml_fail(p, at, AEGIS_ERR_TOML_SYNTAX, "expected a value");
}

/* ---- tables ---- */

static aegis_toml_value *entry_val(aegis_toml_value *t, long i)
{
    return t->u.tab.e[i].val;
}

/* Child table named by part in t, created with flags when absent. */
static aegis_err child_table(aegis__toml_p *p, aegis_toml_value *t, struct keypart *part,
                             unsigned flags, aegis_toml_value **ret)
{
    aegis_toml_value *nt = aegis__toml_new(AEGIS_TOML_TABLE, part->line, part->col);
    if (!nt)
        return nomem(p);
    nt->flags = flags;
    if (aegis__toml_table_add(t, part->s, part->len, nt, part->line, part->col) != AEGIS_OK) {
        aegis_toml_free(nt);
        return nomem(p);
    }
    part->s = NULL; /* the table owns the key now */
    *ret = nt;
    return AEGIS_OK;
}

static aegis_err fail_part(aegis__toml_p *p, const struct keypart *part, aegis_err code, const char *msg)
{
    if (p->err.msg == NULL || p->err.msg[0] == '\0') {
        p->err.line = part->line;
        p->err.col = part->col;
        p->err.msg = msg;
    }
    return code;
}

static aegis_err parse_keyval(aegis__toml_p *p, aegis_toml_value *tab)
{
    struct keypath k = { 0 };
    aegis_toml_value *v = NULL;
    aegis_err err;

    if ((err = parse_key(p, &k)) != AEGIS_OK)
        goto out;
    skip_ws(p);
    if (p->pos >= p->n || p->s[p->pos] != '=') {
        err = aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX, "expected '=' after a key");
        goto out;
    }
    p->pos++;
    skip_ws(p);
    if ((err = parse_value(p, &v)) != AEGIS_OK)
        goto out;

    aegis_toml_value *t = tab;
    for (size_t i = 0; i + 1 < k.n; i++) {
        long e = aegis__toml_find(t, k.v[i].s, k.v[i].len);
        if (e < 0) {
            if ((err = child_table(p, t, &k.v[i], AEGIS__TOML_DOTTED, &t)) != AEGIS_OK)
                goto out;
            continue;
        }
        aegis_toml_value *c = entry_val(t, e);
        if (c->type != AEGIS_TOML_TABLE) {
            err = fail_part(p, &k.v[i], AEGIS_ERR_TOML_DUPLICATE, "dotted key goes through a value that is not a table");
            goto out;
        }
        if (c->flags & (AEGIS__TOML_INLINE | AEGIS__TOML_HEADER)) {
            err = fail_part(p, &k.v[i], AEGIS_ERR_TOML_REDEFINE,
                            c->flags & AEGIS__TOML_INLINE ? "an inline table cannot be extended"
                                                          : "a [table] cannot be extended with dotted keys");
            goto out;
        }
        c->flags = AEGIS__TOML_DOTTED;
        t = c;
    }
    struct keypart *last = &k.v[k.n - 1];
    if (aegis__toml_find(t, last->s, last->len) >= 0) {
        err = fail_part(p, last, AEGIS_ERR_TOML_DUPLICATE, "key defined twice");
        goto out;
    }
    if (aegis__toml_table_add(t, last->s, last->len, v, last->line, last->col) != AEGIS_OK) {
        err = nomem(p);
        goto out;
    }
    last->s = NULL;
    v = NULL;
out:
    aegis_toml_free(v);
    keypath_clear(&k);
    return err;
}

/* [a.b.c] or [[a.b.c]]: walk to the parent, then define the last part. */
static aegis_err parse_header(aegis__toml_p *p)
{
    struct keypath k = { 0 };
    aegis_err err;
    size_t at = p->pos;
    bool aot = p->pos + 1 < p->n && p->s[p->pos + 1] == '[';

    p->pos += aot ? 2 : 1;
    skip_ws(p);
    if ((err = parse_key(p, &k)) != AEGIS_OK)
        goto out;
    skip_ws(p);
    if (p->pos >= p->n || p->s[p->pos] != ']' ||
        (aot && (p->pos + 1 >= p->n || p->s[p->pos + 1] != ']'))) {
        err = aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_SYNTAX, aot ? "expected ']]'" : "expected ']'");
        goto out;
    }
    p->pos += aot ? 2 : 1;

    aegis_toml_value *t = p->root;
    for (size_t i = 0; i + 1 < k.n; i++) {
        long e = aegis__toml_find(t, k.v[i].s, k.v[i].len);
        if (e < 0) {
            if ((err = child_table(p, t, &k.v[i], AEGIS__TOML_IMPLICIT, &t)) != AEGIS_OK)
                goto out;
            continue;
        }
        aegis_toml_value *c = entry_val(t, e);
        if (c->type == AEGIS_TOML_ARRAY && (c->flags & AEGIS__TOML_AOT)) {
            t = c->u.arr.v[c->u.arr.n - 1];
            continue;
        }
        if (c->type != AEGIS_TOML_TABLE) {
            err = fail_part(p, &k.v[i], AEGIS_ERR_TOML_REDEFINE,
                            c->type == AEGIS_TOML_ARRAY ? "a static array cannot be extended"
                                                        : "key is already a value, not a table");
            goto out;
        }
        if (c->flags & AEGIS__TOML_INLINE) {
            err = fail_part(p, &k.v[i], AEGIS_ERR_TOML_REDEFINE, "an inline table cannot be extended");
            goto out;
        }
        t = c;
    }
    struct keypart *last = &k.v[k.n - 1];
    long e = aegis__toml_find(t, last->s, last->len);
    aegis_toml_value *c = e >= 0 ? entry_val(t, e) : NULL;
    if (!aot) {
        if (!c) {
            if ((err = child_table(p, t, last, AEGIS__TOML_HEADER, &t)) != AEGIS_OK)
                goto out;
        } else if (c->type == AEGIS_TOML_TABLE && c->flags == AEGIS__TOML_IMPLICIT) {
            c->flags = AEGIS__TOML_HEADER;
            aegis__toml_where(p, at, &c->line, &c->col);
            t = c;
        } else {
            err = fail_part(p, last, AEGIS_ERR_TOML_DUPLICATE,
                            c->type == AEGIS_TOML_TABLE ? "table defined twice"
                                                        : "key is already defined as a value");
            goto out;
        }
    } else {
        if (c && !(c->type == AEGIS_TOML_ARRAY && (c->flags & AEGIS__TOML_AOT))) {
            err = fail_part(p, last, AEGIS_ERR_TOML_REDEFINE,
                            c->type == AEGIS_TOML_ARRAY ? "cannot append to a static array"
                                                        : "key is already defined and is not an array of tables");
            goto out;
        }
        if (!c) {
            c = aegis__toml_new(AEGIS_TOML_ARRAY, last->line, last->col);
            if (!c) {
                err = nomem(p);
                goto out;
            }
            c->flags = AEGIS__TOML_AOT;
            if (aegis__toml_table_add(t, last->s, last->len, c, last->line, last->col) != AEGIS_OK) {
                aegis_toml_free(c);
                err = nomem(p);
                goto out;
            }
            last->s = NULL;
        }
        unsigned line, col;
        aegis__toml_where(p, at, &line, &col);
        aegis_toml_value *nt = aegis__toml_new(AEGIS_TOML_TABLE, line, col);
        if (!nt) {
            err = nomem(p);
            goto out;
        }
        nt->flags = AEGIS__TOML_HEADER;
        if (aegis__toml_array_add(c, nt) != AEGIS_OK) {
            aegis_toml_free(nt);
            err = nomem(p);
            goto out;
        }
        t = nt;
    }
    p->cur = t;
out:
    keypath_clear(&k);
    return err;
}

/* ---- UTF-8 ---- */

/* Offset of the first invalid UTF-8 sequence, or n when all is valid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_check(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2; cp = c & 0x1F; min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3; cp = c & 0x0F; min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4; cp = c & 0x07; min = 0x10000;
        } else {
            return i;
        }
        if (i + len > n)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

static aegis_err parse_document(aegis__toml_p *p)
{
    aegis_err err;
    if (p->n >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0)
        p->pos = p->line_start = 3; /* a byte-order mark is not content */
    size_t bad = utf8_check(p->s, p->n);
    if (bad < p->n)
        return aegis__toml_fail(p, bad, AEGIS_ERR_TOML_UTF8, "invalid UTF-8");
    while (p->pos < p->n) {
        skip_ws(p);
        if ((err = skip_comment(p)) != AEGIS_OK)
            return err;
        if (p->pos >= p->n)
            break;
        if (aegis__toml_eat_nl(p))
            continue;
        uint8_t c = p->s[p->pos];
        if (c == '[')
            err = parse_header(p);
        else if (c == '\r')
            err = aegis__toml_fail(p, p->pos, AEGIS_ERR_TOML_CONTROL, "carriage return without line feed");
        else
            err = parse_keyval(p, p->cur);
        if (err)
            return err;
        if ((err = end_of_line(p)) != AEGIS_OK)
            return err;
    }
    return AEGIS_OK;
}

/* ---- public API ---- */

aegis_err aegis_toml_parser_new(aegis_toml_parser **ret, size_t max_bytes)
{
    aegis_toml_parser *p = aegis_calloc(1, sizeof(*p));
    if (!p)
        return AEGIS_ERR_NOMEM;
    aegis_buf_init(&p->in, max_bytes ? max_bytes : AEGIS_TOML_DEFAULT_MAX);
    p->err.msg = "";
    *ret = p;
    return AEGIS_OK;
}

aegis_err aegis_toml_parser_feed(aegis_toml_parser *p, const void *data, size_t len)
{
    if (p->finished)
        return AEGIS_ERR_INVAL;
    aegis_err err = aegis_buf_append(&p->in, data, len);
    if (err == AEGIS_ERR_TOO_BIG)
        p->err.msg = "input larger than the parser's limit";
    return err;
}

aegis_err aegis_toml_parser_finish(aegis_toml_parser *p, aegis_toml_value **ret_doc)
{
    if (p->finished)
        return AEGIS_ERR_INVAL;
    p->finished = true;
    p->s = p->in.data ? p->in.data : (const uint8_t *)"";
    p->n = p->in.len;
    p->pos = 0;
    p->line = 1;
    p->line_start = 0;
    p->root = aegis__toml_new(AEGIS_TOML_TABLE, 1, 1);
    if (!p->root)
        return AEGIS_ERR_NOMEM;
    p->root->flags = AEGIS__TOML_HEADER;
    p->cur = p->root;
    aegis_err err = parse_document(p);
    if (err) {
        aegis_toml_free(p->root);
        p->root = NULL;
        return err;
    }
    *ret_doc = p->root;
    p->root = NULL;
    return AEGIS_OK;
}

void aegis_toml_parser_error(const aegis_toml_parser *p, aegis_toml_error *out)
{
    *out = p->err;
    if (!out->msg)
        out->msg = "";
}

void aegis_toml_parser_free(aegis_toml_parser *p)
{
    if (!p)
        return;
    aegis_buf_clear(&p->in);
    aegis_toml_free(p->root);
    aegis_free(p);
}

aegis_err aegis_toml_parse(const void *text, size_t len, aegis_toml_value **ret_doc,
                           aegis_toml_error *err_out)
{
    aegis_toml_parser *p = NULL;
    aegis_err err = aegis_toml_parser_new(&p, len + 1);
    if (err)
        return err;
    err = aegis_toml_parser_feed(p, text, len);
    if (!err)
        err = aegis_toml_parser_finish(p, ret_doc);
    if (err_out)
        aegis_toml_parser_error(p, err_out);
    aegis_toml_parser_free(p);
    return err;
}
