/* test_toml_invalid.c - TOML 1.0.0 parser: documents that must be refused,
 * one or more per rule, with the error code and (where it matters) the
 * line and column reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/toml.h"
#include "aegis/util.h"

struct bad_case {
    const char *toml;
    size_t len;         /* 0: strlen */
    aegis_err code;
    unsigned line, col; /* 0: not checked */
};

static void run_bad(const struct bad_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        aegis_toml_value *doc = NULL;
        aegis_toml_error e = { 0 };
        size_t len = c[i].len ? c[i].len : strlen(c[i].toml);
        aegis_err err = aegis_toml_parse(c[i].toml, len, &doc, &e);
        if (err != c[i].code || (c[i].line && (e.line != c[i].line || e.col != c[i].col)))
            print_error("case %zu: %s\n -> %s (%d) at %u:%u: %s\n", i, c[i].toml, aegis_err_name(err),
                        (int)err, e.line, e.col, e.msg);
        assert_int_equal(err, c[i].code);
        assert_null(doc);
        assert_true(e.msg != NULL && e.msg[0] != '\0');
        assert_true(e.line >= 1);
        if (c[i].line) {
            assert_int_equal(e.line, c[i].line);
            assert_int_equal(e.col, c[i].col);
        }
    }
}

#define SYN AEGIS_ERR_TOML_SYNTAX
#define CTL AEGIS_ERR_TOML_CONTROL
#define ESC AEGIS_ERR_TOML_ESCAPE
#define NUM AEGIS_ERR_TOML_NUMBER
#define RNG AEGIS_ERR_TOML_RANGE
#define DTM AEGIS_ERR_TOML_DATETIME
#define DUP AEGIS_ERR_TOML_DUPLICATE
#define RED AEGIS_ERR_TOML_REDEFINE
#define UTF AEGIS_ERR_TOML_UTF8

static void test_bad_strings(void **state)
{
    (void)state;
    static const struct bad_case c[] = {
        { "a = \"unterminated", 0, SYN, 1, 5 },
        { "a = 'unterminated", 0, SYN, 1, 5 },
        { "a = \"\"\"unterminated\n", 0, SYN, 1, 5 },
        { "a = '''unterminated", 0, SYN, 1, 5 },
        { "a = \"new\nline\"", 0, SYN, 1, 9 },
        { "a = 'new\nline'", 0, SYN, 1, 9 },
        { "a = \"\\q\"", 0, ESC, 1, 6 },
        { "a = \"\\x41\"", 0, ESC, 1, 6 },
        { "a = \"\\ \"", 0, ESC, 1, 6 },
        { "a = \"\\\n\"", 0, ESC, 0, 0 },
        { "a = \"\\u12\"", 0, ESC, 1, 6 },
        { "a = \"\\u12G4\"", 0, ESC, 1, 6 },
        { "a = \"\\U0000123\"", 0, ESC, 0, 0 },
        { "a = \"\\uD800\"", 0, ESC, 1, 6 },
        { "a = \"\\uDFFF\"", 0, ESC, 1, 6 },
        { "a = \"\\U0000D83D\"", 0, ESC, 0, 0 },
        { "a = \"\\U00110000\"", 0, ESC, 1, 6 },
        { "a = \"\\UFFFFFFFF\"", 0, ESC, 0, 0 },
        { "a = \"\\u{41}\"", 0, ESC, 0, 0 },
        { "a = \"\"\"x \\ y\"\"\"", 0, ESC, 1, 10 },
        { "a = \"\"\"x\"\"\"\"\"\"", 0, SYN, 0, 0 },
        { "a = '''x''''''", 0, SYN, 0, 0 },
        { "a = \"\"\"\"\"\"\"\"\"\"", 0, SYN, 0, 0 },
        { "a = \"nul\0\"", 10, CTL, 1, 9 },
        { "a = \"bell\x07\"", 0, CTL, 1, 10 },
        { "a = \"del\x7f\"", 0, CTL, 1, 9 },
        { "a = 'esc\x1b'", 0, CTL, 1, 9 },
        { "a = \"\"\"cr\rx\"\"\"", 0, CTL, 0, 0 },
        { "a = '''ff\fx'''", 0, CTL, 0, 0 },
        { "a = \"cr\r\"", 0, CTL, 1, 8 },
        { "a = \"crlf\r\n\"", 0, SYN, 1, 10 },
        { "a = \"a\" \"b\"", 0, SYN, 1, 9 },
        { "\"\"\"key\"\"\" = 1", 0, SYN, 1, 1 },
        { "'''key''' = 1", 0, SYN, 1, 1 },
        { "\"bad\\q\" = 1", 0, ESC, 0, 0 },
        { "\"a\nb\" = 1", 0, SYN, 0, 0 },
    };
    run_bad(c, AEGIS_ARRAY_LEN(c));
}

static void test_bad_numbers(void **state)
{
    (void)state;
    static const struct bad_case c[] = {
        { "a = 01", 0, NUM, 1, 5 },
        { "a = 00", 0, NUM, 0, 0 },
        { "a = -01", 0, NUM, 0, 0 },
        { "a = 0_1", 0, NUM, 0, 0 },
        { "a = 1__000", 0, NUM, 0, 0 },
        { "a = _1", 0, SYN, 0, 0 },
        { "a = 1_", 0, NUM, 0, 0 },
        { "a = 1_000_", 0, NUM, 0, 0 },
        { "a = +0x10", 0, NUM, 0, 0 },
        { "a = -0b1", 0, NUM, 0, 0 },
        { "a = 0x", 0, NUM, 0, 0 },
        { "a = 0xG", 0, NUM, 0, 0 },
        { "a = 0o8", 0, NUM, 0, 0 },
        { "a = 0b2", 0, NUM, 0, 0 },
        { "a = 0x_1", 0, NUM, 0, 0 },
        { "a = 0x1_", 0, NUM, 0, 0 },
        { "a = 0X10", 0, NUM, 0, 0 },
        { "a = 0B1", 0, NUM, 0, 0 },
        { "a = 1.", 0, NUM, 0, 0 },
        { "a = .1", 0, SYN, 0, 0 },
        { "a = 1.e5", 0, NUM, 0, 0 },
        { "a = 1e", 0, NUM, 0, 0 },
        { "a = 1e+", 0, NUM, 0, 0 },
        { "a = 1e_5", 0, NUM, 0, 0 },
        { "a = 1_e5", 0, NUM, 0, 0 },
        { "a = 1.5_", 0, NUM, 0, 0 },
        { "a = 1._5", 0, NUM, 0, 0 },
        { "a = 01.5", 0, NUM, 0, 0 },
        { "a = 1.5.5", 0, NUM, 0, 0 },
        { "a = 1e5.5", 0, NUM, 0, 0 },
        { "a = ++1", 0, NUM, 0, 0 },
        { "a = +", 0, NUM, 0, 0 },
        { "a = -", 0, NUM, 0, 0 },
        { "a = Inf", 0, SYN, 0, 0 },
        { "a = NaN", 0, SYN, 0, 0 },
        { "a = infinity", 0, NUM, 0, 0 },
        { "a = inf_", 0, NUM, 0, 0 },
        { "a = nan1", 0, NUM, 0, 0 },
        { "a = 1 2", 0, SYN, 1, 7 },
        { "a = 1a", 0, NUM, 0, 0 },
        { "a = 9223372036854775808", 0, RNG, 1, 5 },
        { "a = -9223372036854775809", 0, RNG, 0, 0 },
        { "a = 99999999999999999999999", 0, RNG, 0, 0 },
        { "a = 0x8000000000000000", 0, RNG, 0, 0 },
        { "a = 0xFFFFFFFFFFFFFFFFFF", 0, RNG, 0, 0 },
        { "a = 0o1000000000000000000000", 0, RNG, 0, 0 },
        { "a = 0b1000000000000000000000000000000000000000000000000000000000000000", 0, RNG, 0, 0 },
        { "a = tru", 0, SYN, 0, 0 },
        { "a = True", 0, SYN, 0, 0 },
        { "a = truee", 0, SYN, 0, 0 },
        { "a = FALSE", 0, SYN, 0, 0 },
    };
    run_bad(c, AEGIS_ARRAY_LEN(c));
}

static void test_bad_dates(void **state)
{
    (void)state;
    static const struct bad_case c[] = {
        { "a = 1979-13-01", 0, DTM, 1, 5 },
        { "a = 1979-00-01", 0, DTM, 0, 0 },
        { "a = 1979-01-00", 0, DTM, 0, 0 },
        { "a = 1979-01-32", 0, DTM, 0, 0 },
        { "a = 1979-04-31", 0, DTM, 0, 0 },
        { "a = 2001-02-29", 0, DTM, 0, 0 },
        { "a = 1900-02-29", 0, DTM, 0, 0 },
        { "a = 1979-5-27", 0, DTM, 0, 0 },
        { "a = 1979-05-7", 0, DTM, 0, 0 },
        { "a = 24:00:00", 0, DTM, 0, 0 },
        { "a = 23:60:00", 0, DTM, 0, 0 },
        { "a = 23:59:61", 0, DTM, 0, 0 },
        { "a = 07:32", 0, DTM, 0, 0 },
        { "a = 7:32:00", 0, SYN, 1, 6 },
        { "a = 07:32:00.", 0, DTM, 0, 0 },
        { "a = 07:32:00Z", 0, SYN, 0, 0 },
        { "a = 1979-05-27T07:32", 0, DTM, 0, 0 },
        { "a = 1979-05-27T", 0, DTM, 0, 0 },
        { "a = 1979-05-27T25:00:00", 0, DTM, 0, 0 },
        { "a = 1979-05-27T07:32:00+8:00", 0, DTM, 0, 0 },
        { "a = 1979-05-27T07:32:00+08", 0, DTM, 0, 0 },
        { "a = 1979-05-27T07:32:00+24:00", 0, DTM, 0, 0 },
        { "a = 1979-05-27T07:32:00+08:60", 0, DTM, 0, 0 },
        { "a = 1979-05-27T07:32:00ZZ", 0, SYN, 0, 0 },
        { "a = 1979-05-27T07:32:00.Z", 0, DTM, 0, 0 },
        { "a = 1979-05-27X07:32:00", 0, SYN, 0, 0 },
        { "a = 1979-05-27 07:32", 0, DTM, 0, 0 },
        { "a = 1979/05/27", 0, SYN, 1, 9 },
        { "a = 19790-05-27", 0, NUM, 0, 0 },
    };
    run_bad(c, AEGIS_ARRAY_LEN(c));
}

static void test_bad_keys_syntax(void **state)
{
    (void)state;
    static const struct bad_case c[] = {
        { "= 1", 0, SYN, 1, 1 },
        { "a =", 0, SYN, 1, 4 },
        { "a = # nothing", 0, SYN, 0, 0 },
        { "a", 0, SYN, 1, 2 },
        { "a b = 1", 0, SYN, 1, 3 },
        { "a.b", 0, SYN, 0, 0 },
        { "a. = 1", 0, SYN, 1, 4 },
        { ".a = 1", 0, SYN, 1, 1 },
        { "a..b = 1", 0, SYN, 0, 0 },
        { "a = 1 = 2", 0, SYN, 0, 0 },
        { "a:b = 1", 0, SYN, 0, 0 },
        { "a = 1 b = 2", 0, SYN, 1, 7 },
        { "a = 1\n\nb = ,", 0, SYN, 3, 5 },
        { "\xc3\xa9 = 1", 0, SYN, 1, 1 },
        { "a = 1\r", 0, CTL, 1, 6 },
        { "a = 1\rb = 2", 0, CTL, 0, 0 },
        { "\r", 0, CTL, 0, 0 },
        { "a = @", 0, SYN, 0, 0 },
        { "[a]b = 1", 0, SYN, 0, 0 },
        { "[]", 0, SYN, 1, 2 },
        { "[a", 0, SYN, 0, 0 },
        { "[a.]", 0, SYN, 0, 0 },
        { "[a b]", 0, SYN, 0, 0 },
        { "[[a]", 0, SYN, 0, 0 },
        { "[[a] ]", 0, SYN, 0, 0 },
        { "[ [a]]", 0, SYN, 0, 0 },
        { "[a]]", 0, SYN, 0, 0 },
        { "[\"\"\"a\"\"\"]", 0, SYN, 0, 0 },
        { "[a] = 1", 0, SYN, 0, 0 },
        { "a = [1, 2", 0, SYN, 0, 0 },
        { "a = [1 2]", 0, SYN, 0, 0 },
        { "a = [,]", 0, SYN, 0, 0 },
        { "a = [1,,2]", 0, SYN, 0, 0 },
        { "a = [1, 2,,]", 0, SYN, 0, 0 },
        { "a = {", 0, SYN, 0, 0 },
        { "a = {b = 1", 0, SYN, 0, 0 },
        { "a = {b = 1,}", 0, SYN, 1, 12 },
        { "a = {,}", 0, SYN, 0, 0 },
        { "a = {b = 1 c = 2}", 0, SYN, 0, 0 },
        { "a = {\nb = 1}", 0, SYN, 0, 0 },
        { "a = {b = 1\n}", 0, SYN, 1, 11 },
        { "a = {b = 1, # c\n}", 0, SYN, 0, 0 },
        { "a = {b}", 0, SYN, 0, 0 },
    };
    run_bad(c, AEGIS_ARRAY_LEN(c));
}

static void test_bad_control_utf8(void **state)
{
    (void)state;
    static const struct bad_case c[] = {
        { "# bell \x07 in a comment", 0, CTL, 1, 8 },
        { "a = 1 # del \x7f", 0, CTL, 1, 13 },
        { "# nul \0 here", 12, CTL, 1, 7 },
        { "# cr \r in a comment\n", 0, CTL, 0, 0 },
        { "a = 1 \x0c", 0, SYN, 0, 0 },
        { "\x0b a = 1", 0, SYN, 0, 0 },
        { "a = \"\xff\"", 0, UTF, 1, 6 },
        { "a = \"\xc3\"", 0, UTF, 0, 0 },
        { "a = \"\xc0\x80\"", 0, UTF, 0, 0 },           /* overlong NUL */
        { "a = \"\xe0\x80\xaf\"", 0, UTF, 0, 0 },       /* overlong '/' */
        { "a = \"\xed\xa0\x80\"", 0, UTF, 0, 0 },       /* encoded surrogate */
        { "a = \"\xf4\x90\x80\x80\"", 0, UTF, 0, 0 },   /* past U+10FFFF */
        { "a = \"\xf8\x88\x80\x80\x80\"", 0, UTF, 0, 0 },
        { "# \x80 stray continuation", 0, UTF, 1, 3 },
        { "a = 1\nb = 2\n# ok\n\xfe", 0, UTF, 4, 1 },
    };
    run_bad(c, AEGIS_ARRAY_LEN(c));
}

/* The rules against defining anything twice or extending what is closed. */
static void test_bad_redefinition(void **state)
{
    (void)state;
    static const struct bad_case c[] = {
        /* key twice */
        { "name = \"Tom\"\nname = \"Pradyun\"", 0, DUP, 2, 1 },
        { "spelling = \"favorite\"\n\"spelling\" = \"favourite\"", 0, DUP, 2, 1 },
        { "a = 1\n'a' = 2", 0, DUP, 0, 0 },
        { "a.b = 1\na.b = 2", 0, DUP, 2, 3 },
        { "[t]\na = 1\na = 2", 0, DUP, 3, 1 },
        /* a value is not a table */
        { "fruit.apple = 1\nfruit.apple.smooth = true", 0, DUP, 2, 7 },
        { "a = 1\na.b = 2", 0, DUP, 0, 0 },
        { "a = 1\n[a]", 0, DUP, 2, 2 },
        { "a = 1\n[a.b]", 0, RED, 2, 2 },
        { "a = [1]\n[a.b]", 0, RED, 0, 0 },
        { "a = \"x\"\n[[a]]", 0, RED, 0, 0 },
        /* table twice */
        { "[fruit]\napple = \"red\"\n[fruit]\norange = \"orange\"", 0, DUP, 3, 2 },
        { "[fruit]\napple = \"red\"\n[fruit.apple]\ntexture = \"smooth\"", 0, DUP, 3, 8 },
        { "[a]\n[a]", 0, DUP, 0, 0 },
        { "[a.b]\n[a]\n[a]", 0, DUP, 3, 2 },
        { "[a.b]\n[a.b]", 0, DUP, 0, 0 },
        { "[a]\n['a']", 0, DUP, 0, 0 },
        { "[a]\nb = 1\n[a.b]", 0, DUP, 0, 0 },
        /* dotted-key tables cannot be re-opened with [table] */
        { "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple]", 0, DUP, 4, 8 },
        { "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.taste]", 0, DUP, 0, 0 },
        { "a.b = 1\n[a]", 0, DUP, 2, 2 },
        { "a.b.c = 1\n[a.b]", 0, DUP, 0, 0 },
        { "[x]\ny.z = 1\n[x.y]", 0, DUP, 0, 0 },
        /* [table] cannot be extended with dotted keys from elsewhere */
        { "[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 0, RED, 4, 3 },
        { "[a.b.c.d]\nz = 9\n[a]\nb.c.d.k.t = 1", 0, RED, 0, 0 },
        { "[a]\nx = 1\n[b]\n[b.c]\n[b]", 0, DUP, 0, 0 },
        /* inline tables are closed */
        { "a = {b = 1}\na.c = 2", 0, RED, 2, 1 },
        { "a = {b = 1}\n[a]", 0, DUP, 0, 0 },
        { "a = {b = 1}\n[a.c]", 0, RED, 2, 2 },
        { "a = {b = {c = 1}}\n[a.b]", 0, RED, 0, 0 },
        { "a = {b = {c = 1}}\na.b.d = 2", 0, RED, 0, 0 },
        { "[product]\ntype = { name = \"Nail\" }\ntype.edible = false", 0, RED, 3, 1 },
        { "[product]\ntype.name = \"Nail\"\ntype = { edible = false }", 0, DUP, 3, 1 },
        { "a = {b = 1, b = 2}", 0, DUP, 1, 13 },
        { "a = {b.c = 1, b = 2}", 0, DUP, 0, 0 },
        { "a = {b = {c = 1}, b.d = 2}", 0, RED, 0, 0 },
        { "a = {b = 1, b.c = 2}", 0, DUP, 0, 0 },
        { "a = [{b = 1}]\n[a.c]", 0, RED, 0, 0 },
        { "a = {}\n[[a]]", 0, RED, 0, 0 },
        /* arrays of tables vs static arrays and tables */
        { "fruits = []\n[[fruits]]", 0, RED, 2, 3 },
        { "a = [{b = 1}]\n[[a]]", 0, RED, 0, 0 },
        { "[fruit.physical]\ncolor = \"red\"\n[[fruit]]", 0, RED, 3, 3 },
        { "[[fruits]]\nname = \"apple\"\n[[fruits.varieties]]\nname = \"red delicious\"\n[fruits.varieties]\nname = \"granny smith\"", 0, DUP, 5, 9 },
        { "[[fruits]]\n[fruits.physical]\ncolor = \"red\"\n[fruits.physical]", 0, DUP, 0, 0 },
        { "[[a]]\n[a]", 0, DUP, 0, 0 },
        { "[a]\n[[a]]", 0, RED, 2, 3 },
        { "[[a]]\nb.c = 1\n[a.b]", 0, DUP, 3, 4 },
        { "a.b = 1\n[[a]]", 0, RED, 0, 0 },
        { "[[a.b]]\n[a.b.c]\nd = 1\n[a.b.c]", 0, DUP, 0, 0 },
    };
    run_bad(c, AEGIS_ARRAY_LEN(c));
}

/* Errors are sticky and the first one is reported. */
static void test_error_api(void **state)
{
    (void)state;
    aegis_toml_parser *p = NULL;
    aegis_toml_value *doc = NULL;
    aegis_toml_error e;
    assert_int_equal(aegis_toml_parser_new(&p, 0), AEGIS_OK);
    aegis_toml_parser_error(p, &e);
    assert_int_equal(e.line, 0);
    assert_string_equal(e.msg, "");
    assert_int_equal(aegis_toml_parser_feed(p, "ok = 1\n", 7), AEGIS_OK);
    assert_int_equal(aegis_toml_parser_feed(p, "[t]\nx = 01\n", 11), AEGIS_OK);
    assert_int_equal(aegis_toml_parser_finish(p, &doc), AEGIS_ERR_TOML_NUMBER);
    assert_null(doc);
    aegis_toml_parser_error(p, &e);
    assert_int_equal(e.line, 3);
    assert_int_equal(e.col, 5);
    assert_string_equal(e.msg, "leading zeros are not allowed");
    aegis_toml_parser_free(p);
    aegis_toml_parser_free(NULL);
    aegis_toml_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_dates),
        cmocka_unit_test(test_bad_keys_syntax),
        cmocka_unit_test(test_bad_control_utf8),
        cmocka_unit_test(test_bad_redefinition),
        cmocka_unit_test(test_error_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
