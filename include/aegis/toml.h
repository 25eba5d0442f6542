/*
 * aegis/toml.h - a TOML 1.0.0 parser (https://toml.io/en/v1.0.0).
 *
 * Push-style: create a parser, feed it bytes in as many pieces as you like,
 * then finish to get the document tree. The whole input is validated
 * (UTF-8, control characters, grammar, every redefinition rule, dates) and
 * any error carries a 1-based line and column (in characters) and a static
 * message.
 *
 *     aegis_toml_parser *p;
 *     aegis_toml_parser_new(&p, 0);
 *     aegis_toml_parser_feed(p, buf, n);         (repeat)
 *     aegis_toml_value *doc;
 *     if (aegis_toml_parser_finish(p, &doc) != AEGIS_OK) {
 *         aegis_toml_error e; aegis_toml_parser_error(p, &e);  ... e.line, e.col, e.msg
 *     }
 *     aegis_toml_parser_free(p);  ...  aegis_toml_free(doc);
 *
 * The tree is read-only once returned. Strings and keys are UTF-8 and carry
 * an explicit length (a "\u0000" escape yields an embedded NUL) but are also
 * NUL-terminated. Tables keep keys in document order.
 *
 * Thread-safety: a parser or a tree is used by one thread at a time;
 * distinct objects are independent. Reading one tree from several threads
 * concurrently is safe.
 */
#ifndef AEGIS_TOML_H
#define AEGIS_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/error.h"

/* Default cap on the bytes one parser accepts (feed fails past it). */
#define AEGIS_TOML_DEFAULT_MAX (16u * 1024u * 1024u)
/* Nesting limit for arrays / inline tables / table headers. */
#define AEGIS_TOML_MAX_DEPTH 256

typedef enum aegis_toml_type {
    AEGIS_TOML_STRING = 1,
    AEGIS_TOML_INTEGER,
    AEGIS_TOML_FLOAT,
    AEGIS_TOML_BOOL,
    AEGIS_TOML_DATETIME,        /* offset date-time: 1979-05-27T07:32:00Z */
    AEGIS_TOML_DATETIME_LOCAL,  /* 1979-05-27T07:32:00 */
    AEGIS_TOML_DATE_LOCAL,      /* 1979-05-27 */
    AEGIS_TOML_TIME_LOCAL,      /* 07:32:00 */
    AEGIS_TOML_ARRAY,
    AEGIS_TOML_TABLE,
} aegis_toml_type;

/* A date, time, or both; which fields mean something follows the type. */
typedef struct aegis_toml_datetime {
    int year, month, day;       /* date types */
    int hour, minute, second;   /* time types */
    uint32_t nanosecond;        /* fraction, truncated to 9 digits */
    int frac_digits;            /* digits written (0..9), for printing */
    int offset_minutes;         /* AEGIS_TOML_DATETIME only: +/- from UTC */
    bool offset_z;              /* written as Z (offset_minutes == 0) */
} aegis_toml_datetime;

typedef struct aegis_toml_value aegis_toml_value;
typedef struct aegis_toml_parser aegis_toml_parser;

typedef struct aegis_toml_error {
    unsigned line;              /* 1-based; 0 when not positional (e.g. NOMEM) */
    unsigned col;               /* 1-based, counted in characters */
    const char *msg;            /* static text */
} aegis_toml_error;

/* ---- parsing ---- */

/* New parser accepting at most max_bytes of input (0: AEGIS_TOML_DEFAULT_MAX).
 * The caller owns *ret and frees it with aegis_toml_parser_free. */
aegis_err aegis_toml_parser_new(aegis_toml_parser **ret, size_t max_bytes)
    __attribute__((warn_unused_result));

/* Append input. AEGIS_ERR_TOO_BIG past the cap, NOMEM. The bytes are
 * copied; any split point is fine (mid-character, mid-CRLF). */
aegis_err aegis_toml_parser_feed(aegis_toml_parser *p, const void *data, size_t len)
    __attribute__((warn_unused_result));

/* Parse everything fed so far. On success *ret_doc is the root table, owned
 * by the caller (aegis_toml_free). On failure returns an AEGIS_ERR_TOML_*
 * code (or NOMEM / TOO_BIG) and aegis_toml_parser_error() tells where.
 * A parser is finished once; later calls return AEGIS_ERR_INVAL. */
aegis_err aegis_toml_parser_finish(aegis_toml_parser *p, aegis_toml_value **ret_doc)
    __attribute__((warn_unused_result));

/* The last error of p (line 0 and msg "" when none). */
void aegis_toml_parser_error(const aegis_toml_parser *p, aegis_toml_error *out);

/* Accepts NULL. */
void aegis_toml_parser_free(aegis_toml_parser *p);

/* One-shot convenience: new + feed + finish + free. err (optional) gets
 * the position and message on failure. */
aegis_err aegis_toml_parse(const void *text, size_t len, aegis_toml_value **ret_doc,
                           aegis_toml_error *err) __attribute__((warn_unused_result));

/* Free a document (any value obtained from a parser's finish). NULL ok. */
void aegis_toml_free(aegis_toml_value *doc);

/* ---- reading the tree (all pointers valid until aegis_toml_free) ---- */

aegis_toml_type aegis_toml_type_of(const aegis_toml_value *v);
/* Position of the value's first character (tables: their header, or the
 * first key that created them). */
void aegis_toml_pos(const aegis_toml_value *v, unsigned *line, unsigned *col);
/* "string", "integer", ... as toml-test spells them; "table", "array". */
const char *aegis_toml_type_name(aegis_toml_type t);

/* Scalars: NULL / false when v has another type. */
const char *aegis_toml_string(const aegis_toml_value *v, size_t *len);
bool aegis_toml_int(const aegis_toml_value *v, int64_t *out);
bool aegis_toml_float(const aegis_toml_value *v, double *out);
bool aegis_toml_bool(const aegis_toml_value *v, bool *out);
/* Any of the four date/time types. */
bool aegis_toml_datetime_get(const aegis_toml_value *v, aegis_toml_datetime *out);
/* Format a date/time value the way toml-test expects (RFC 3339, 'T'
 * separator, fraction as written, 'Z' or +HH:MM). Returns bytes written
 * (excluding NUL), 0 if v is not a date/time or cap is too small (48 is
 * always enough). */
size_t aegis_toml_datetime_format(const aegis_toml_value *v, char *out, size_t cap);

/* Arrays and tables: number of elements / keys (0 for other types). */
size_t aegis_toml_len(const aegis_toml_value *v);
/* Array element i, NULL when out of range or not an array. */
const aegis_toml_value *aegis_toml_array_at(const aegis_toml_value *v, size_t i);
/* Table entry i in document order: its key (NUL-terminated; *keylen may be
 * NULL) and value. NULL when out of range or not a table. */
const aegis_toml_value *aegis_toml_table_at(const aegis_toml_value *v, size_t i,
                                            const char **key, size_t *keylen);
/* Position of the key of entry i (where it was written). */
void aegis_toml_table_key_pos(const aegis_toml_value *v, size_t i, unsigned *line, unsigned *col);
/* Lookup by key (NUL-terminated, exact bytes). NULL when absent. */
const aegis_toml_value *aegis_toml_table_get(const aegis_toml_value *v, const char *key);

#endif
