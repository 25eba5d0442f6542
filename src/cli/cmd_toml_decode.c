/* cmd_toml_decode.c - `aegis toml-decode`: TOML on stdin -> toml-test's
 * tagged JSON on stdout. Every scalar becomes {"type": T, "value": "..."};
 * tables become objects and arrays arrays. Exit 1 on invalid TOML with
 * "line L, column C: message" on stderr. This is the decoder interface the
 * toml-test suite drives (tests/integration/toml_suite.sh). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/toml.h"

static void json_str(FILE *o, const char *s, size_t n)
{
    fputc('"', o);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", o); break;
        case '\\': fputs("\\\\", o); break;
        case '\b': fputs("\\b", o); break;
        case '\f': fputs("\\f", o); break;
        case '\n': fputs("\\n", o); break;
        case '\r': fputs("\\r", o); break;
        case '\t': fputs("\\t", o); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(o, "\\u%04x", c);
            else
                fputc(c, o);
        }
    }
    fputc('"', o);
}

/* Shortest %g form that reads back to the same double. */
static void fmt_float(char *buf, size_t cap, double d)
{
    if (isnan(d)) {
        snprintf(buf, cap, "nan");
        return;
    }
    if (isinf(d)) {
        snprintf(buf, cap, d < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
}

static void emit(FILE *o, const aegis_toml_value *v)
{
    aegis_toml_type t = aegis_toml_type_of(v);
    char buf[64];
    size_t n = aegis_toml_len(v);

    switch (t) {
    case AEGIS_TOML_TABLE:
        fputc('{', o);
        for (size_t i = 0; i < n; i++) {
            const char *key;
            size_t keylen;
            const aegis_toml_value *c = aegis_toml_table_at(v, i, &key, &keylen);
            if (i)
                fputc(',', o);
            json_str(o, key, keylen);
            fputc(':', o);
            emit(o, c);
        }
        fputc('}', o);
        return;
    case AEGIS_TOML_ARRAY:
        fputc('[', o);
        for (size_t i = 0; i < n; i++) {
            if (i)
                fputc(',', o);
            emit(o, aegis_toml_array_at(v, i));
        }
        fputc(']', o);
        return;
    default:
        break;
    }
    fprintf(o, "{\"type\":\"%s\",\"value\":", aegis_toml_type_name(t));
    if (t == AEGIS_TOML_STRING) {
        size_t len;
        const char *s = aegis_toml_string(v, &len);
        json_str(o, s, len);
    } else {
        if (t == AEGIS_TOML_INTEGER) {
            int64_t i = 0;
            aegis_toml_int(v, &i);
            snprintf(buf, sizeof(buf), "%lld", (long long)i);
        } else if (t == AEGIS_TOML_FLOAT) {
            double d = 0;
            aegis_toml_float(v, &d);
            fmt_float(buf, sizeof(buf), d);
        } else if (t == AEGIS_TOML_BOOL) {
            bool b = false;
            aegis_toml_bool(v, &b);
            snprintf(buf, sizeof(buf), "%s", b ? "true" : "false");
        } else {
            aegis_toml_datetime_format(v, buf, sizeof(buf));
        }
        json_str(o, buf, strlen(buf));
    }
    fputc('}', o);
}

static int toml_decode_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        printf("Usage: aegis toml-decode < FILE.toml\n\n"
               "Parse TOML 1.0.0 from stdin and print it as toml-test tagged JSON.\n"
               "Exit status 1 (with line and column on stderr) if the input is invalid.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "aegis toml-decode: takes no arguments (reads stdin)\n");
        return 2;
    }
    aegis_toml_parser *p = NULL;
    aegis_toml_value *doc = NULL;
    aegis_err err = aegis_toml_parser_new(&p, 0);
    if (err) {
        fprintf(stderr, "toml-decode: %s\n", aegis_strerror(err));
        return 1;
    }
    char chunk[65536];
    size_t got;
    while (!err && (got = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
        err = aegis_toml_parser_feed(p, chunk, got);
    if (!err && ferror(stdin))
        err = AEGIS_ERR_IO;
    if (!err)
        err = aegis_toml_parser_finish(p, &doc);
    if (err) {
        aegis_toml_error e;
        aegis_toml_parser_error(p, &e);
        if (e.line)
            fprintf(stderr, "toml-decode: line %u, column %u: %s (%s)\n", e.line, e.col, e.msg,
                    aegis_strerror(err));
        else
            fprintf(stderr, "toml-decode: %s\n", aegis_strerror(err));
        aegis_toml_parser_free(p);
        return 1;
    }
    aegis_toml_parser_free(p);
    emit(stdout, doc);
    fputc('\n', stdout);
    aegis_toml_free(doc);
    return fflush(stdout) == 0 ? 0 : 1;
}

const struct aegis_cli_cmd aegis_cli_cmd_toml_decode = {
    "toml-decode", toml_decode_main, "TOML on stdin -> toml-test tagged JSON on stdout"
};
