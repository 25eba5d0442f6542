/* toml_int.h - private types shared by the TOML parser's files. */
#ifndef AEGIS_TOML_INT_H
#define AEGIS_TOML_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/toml.h"
#include "aegis/util.h"

/* Table / array flags: how a table came to exist decides what may later
 * extend it (the redefinition rules of TOML 1.0, see docs/internals/toml.md). */
enum {
    AEGIS__TOML_HEADER = 1u << 0,   /* defined by a [header] or [[header]] */
    AEGIS__TOML_IMPLICIT = 1u << 1, /* created as a prefix of a header path */
    AEGIS__TOML_DOTTED = 1u << 2,   /* created by a dotted key (a.b = 1) */
    AEGIS__TOML_INLINE = 1u << 3,   /* an inline table: sealed */
    AEGIS__TOML_AOT = 1u << 4,      /* array created by [[header]] */
};

struct aegis__toml_entry {
    char *key;
    size_t keylen;
    aegis_toml_value *val;
    unsigned line, col;
};

struct aegis_toml_value {
    aegis_toml_type type;
    unsigned flags;
    unsigned line, col;
    union {
        struct { char *s; size_t len; } str;
        int64_t i;
        double f;
        bool b;
        aegis_toml_datetime dt;
        struct { aegis_toml_value **v; size_t n, cap; } arr;
        struct {
            struct aegis__toml_entry *e;
            size_t n, cap;
            uint32_t *idx;     /* open-addressing index (entry+1), or NULL */
            size_t idxcap;     /* power of two */
        } tab;
    } u;
};

/* toml_value.c */
aegis_toml_value *aegis__toml_new(aegis_toml_type t, unsigned line, unsigned col);
/* Index of key in table t, or -1. */
long aegis__toml_find(const aegis_toml_value *t, const char *key, size_t keylen);
/* Append (key, val) to table t; takes ownership of key and val on success. */
aegis_err aegis__toml_table_add(aegis_toml_value *t, char *key, size_t keylen,
                                aegis_toml_value *val, unsigned line, unsigned col);
/* Append val to array a; takes ownership on success. */
aegis_err aegis__toml_array_add(aegis_toml_value *a, aegis_toml_value *val);

/* The parser state (toml_parse.c, toml_scalar.c). */
struct aegis_toml_parser {
    aegis_buf in;
    bool finished;
    const uint8_t *s;
    size_t n, pos;
    unsigned line;        /* line of pos */
    size_t line_start;    /* offset where that line begins */
    int depth;
    aegis_toml_value *root, *cur;
    aegis_toml_error err;
};
typedef struct aegis_toml_parser aegis__toml_p;

/* Record an error at byte offset at; returns code. */
aegis_err aegis__toml_fail(aegis__toml_p *p, size_t at, aegis_err code, const char *msg);
/* Line/column of byte offset at. */
void aegis__toml_where(const aegis__toml_p *p, size_t at, unsigned *line, unsigned *col);
/* Consume a newline (LF or CRLF) at pos if there is one. */
bool aegis__toml_eat_nl(aegis__toml_p *p);

/* toml_scalar.c: scalar values starting at p->pos. */
/* Any string form; *ret gets a NUL-terminated copy of its value. Multi-line
 * forms are refused when key is true. */
aegis_err aegis__toml_string(aegis__toml_p *p, bool key, char **ret, size_t *ret_len);
/* Number, bool-free scalar: integer, float, date/time. */
aegis_err aegis__toml_number_or_date(aegis__toml_p *p, aegis_toml_value **ret);

#endif
