/* test_toml.c - TOML 1.0.0 parser: valid documents (the spec's own
 * examples and one case per grammar rule), tree accessors and the push API.
 * Invalid documents are in test_toml_invalid.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/toml.h"
#include "aegis/util.h"

/* A compact dump of a tree: {k=v,...} [v,...] "str" i:1 f:1.5 b:true
 * odt:/ldt:/ld:/lt: + the toml-test datetime text. */
static void dump(aegis_buf *b, const aegis_toml_value *v)
{
    char tmp[64];
    size_t n = aegis_toml_len(v);
    switch (aegis_toml_type_of(v)) {
    case AEGIS_TOML_TABLE:
        assert_int_equal(aegis_buf_append(b, "{", 1), AEGIS_OK);
        for (size_t i = 0; i < n; i++) {
            const char *k;
            size_t kl;
            const aegis_toml_value *c = aegis_toml_table_at(v, i, &k, &kl);
            if (i)
                assert_int_equal(aegis_buf_append(b, ",", 1), AEGIS_OK);
            for (size_t j = 0; j < kl; j++)
                assert_int_equal(aegis_buf_append(b, k[j] ? &k[j] : "\\0", k[j] ? 1 : 2), AEGIS_OK);
            assert_int_equal(aegis_buf_append(b, "=", 1), AEGIS_OK);
            dump(b, c);
        }
        assert_int_equal(aegis_buf_append(b, "}", 1), AEGIS_OK);
        return;
    case AEGIS_TOML_ARRAY:
        assert_int_equal(aegis_buf_append(b, "[", 1), AEGIS_OK);
        for (size_t i = 0; i < n; i++) {
            if (i)
                assert_int_equal(aegis_buf_append(b, ",", 1), AEGIS_OK);
            dump(b, aegis_toml_array_at(v, i));
        }
        assert_int_equal(aegis_buf_append(b, "]", 1), AEGIS_OK);
        return;
    case AEGIS_TOML_STRING: {
        size_t l;
        const char *s = aegis_toml_string(v, &l);
        assert_int_equal(aegis_buf_append(b, "\"", 1), AEGIS_OK);
        for (size_t i = 0; i < l; i++) {
            if (s[i] == '\0')
                assert_int_equal(aegis_buf_append(b, "\\0", 2), AEGIS_OK);
            else
                assert_int_equal(aegis_buf_append(b, &s[i], 1), AEGIS_OK);
        }
        assert_int_equal(aegis_buf_append(b, "\"", 1), AEGIS_OK);
        return;
    }
    case AEGIS_TOML_INTEGER: {
        int64_t i;
        assert_true(aegis_toml_int(v, &i));
        assert_int_equal(aegis_buf_printf(b, "i:%lld", (long long)i), AEGIS_OK);
        return;
    }
    case AEGIS_TOML_FLOAT: {
        double d;
        assert_true(aegis_toml_float(v, &d));
        if (isnan(d))
            snprintf(tmp, sizeof(tmp), "nan");
        else
            snprintf(tmp, sizeof(tmp), "%.17g", d);
        assert_int_equal(aegis_buf_printf(b, "f:%s", tmp), AEGIS_OK);
        return;
    }
    case AEGIS_TOML_BOOL: {
        bool x;
        assert_true(aegis_toml_bool(v, &x));
        assert_int_equal(aegis_buf_printf(b, "b:%s", x ? "true" : "false"), AEGIS_OK);
        return;
    }
    default: {
        static const char *pfx[] = { [AEGIS_TOML_DATETIME] = "odt", [AEGIS_TOML_DATETIME_LOCAL] = "ldt",
                                     [AEGIS_TOML_DATE_LOCAL] = "ld", [AEGIS_TOML_TIME_LOCAL] = "lt" };
        size_t l = aegis_toml_datetime_format(v, tmp, sizeof(tmp));
        assert_true(l > 0);
        assert_int_equal(aegis_buf_printf(b, "%s:%s", pfx[aegis_toml_type_of(v)], tmp), AEGIS_OK);
        return;
    }
    }
}

/* Parse text (must succeed) and compare its dump with want. */
static void check_ok_n(const char *text, size_t len, const char *want)
{
    aegis_toml_value *doc = NULL;
    aegis_toml_error e = { 0 };
    aegis_err err = aegis_toml_parse(text, len, &doc, &e);
    if (err)
        print_error("input %s\n -> %u:%u %s\n", text, e.line, e.col, e.msg);
    assert_int_equal(err, AEGIS_OK);
    aegis_buf b;
    aegis_buf_init(&b, 1 << 20);
    dump(&b, doc);
    assert_int_equal(aegis_buf_cstr(&b), AEGIS_OK);
    if (strcmp((char *)b.data, want) != 0)
        print_error("input %s\n got  %s\n want %s\n", text, (char *)b.data, want);
    assert_string_equal((char *)b.data, want);
    aegis_buf_clear(&b);
    aegis_toml_free(doc);
}

static void check_ok(const char *text, const char *want)
{
    check_ok_n(text, strlen(text), want);
}

struct ok_case {
    const char *toml, *want;
};

static void run_cases(const struct ok_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_ok(c[i].toml, c[i].want);
}

static void test_strings(void **state)
{
    (void)state;
    static const struct ok_case c[] = {
        { "s = \"hello\"", "{s=\"hello\"}" },
        { "s = \"\"", "{s=\"\"}" },
        { "s = \"tab\there\"", "{s=\"tab\there\"}" },
        { "s = \"\\b\\t\\n\\f\\r\\\"\\\\\"", "{s=\"\b\t\n\f\r\"\\\"}" },
        { "s = \"\\u00e9\\u20AC\"", "{s=\"\xc3\xa9\xe2\x82\xac\"}" },
        { "s = \"\\U0001F600\"", "{s=\"\xf0\x9f\x98\x80\"}" },
        { "s = \"\\U0010FFFF\"", "{s=\"\xf4\x8f\xbf\xbf\"}" },
        { "s = \"\\u0000x\"", "{s=\"\\0x\"}" },
        { "s = \"\\uE000\"", "{s=\"\xee\x80\x80\"}" },
        { "s = \"caf\xc3\xa9 \xe2\x9c\x93\"", "{s=\"caf\xc3\xa9 \xe2\x9c\x93\"}" },
        { "s = 'C:\\Users\\nodejs'", "{s=\"C:\\Users\\nodejs\"}" },
        { "s = '<\\i\\c*\\s*>'", "{s=\"<\\i\\c*\\s*>\"}" },
        { "s = ''", "{s=\"\"}" },
        { "s = 'a \"quoted\" word'", "{s=\"a \"quoted\" word\"}" },
        /* multi-line basic */
        { "s = \"\"\"\nRoses are red\nViolets are blue\"\"\"", "{s=\"Roses are red\nViolets are blue\"}" },
        { "s = \"\"\"\r\nline\r\n\"\"\"", "{s=\"line\n\"}" },
        { "s = \"\"\"\n\nx\"\"\"", "{s=\"\nx\"}" },
        { "s = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"",
          "{s=\"The quick brown fox jumps over the lazy dog.\"}" },
        { "s = \"\"\"\\\n       The quick brown \\\n       fox jumps over \\\n       the lazy dog.\\\n       \"\"\"",
          "{s=\"The quick brown fox jumps over the lazy dog.\"}" },
        { "s = \"\"\"a \\   \n  b\"\"\"", "{s=\"a b\"}" },
        { "s = \"\"\"a \\\r\n  b\"\"\"", "{s=\"a b\"}" },
        { "s = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"",
          "{s=\"Here are two quotation marks: \"\". Simple enough.\"}" },
        { "s = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"",
          "{s=\"Here are three quotation marks: \"\"\".\"}" },
        { "s = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"",
          "{s=\"\"This,\" she said, \"is just a pointless statement.\"\"}" },
        { "s = \"\"\"\"\"\"\"", "{s=\"\"\"}" },
        { "s = \"\"\"x\"\"\"\"\"", "{s=\"x\"\"\"}" },
        { "s = \"\"\"\"\"\"", "{s=\"\"}" },
        { "s = \"\"\"\ttab\"\"\"", "{s=\"\ttab\"}" },
        /* multi-line literal */
        { "s = '''I [dw]on't need \\d{2} apples'''", "{s=\"I [dw]on't need \\d{2} apples\"}" },
        { "s = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''",
          "{s=\"The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n\"}" },
        { "s = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''",
          "{s=\"Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"}" },
        { "s = ''''That,' she said, 'is still pointless.''''",
          "{s=\"'That,' she said, 'is still pointless.'\"}" },
        { "s = '''a\\\nb'''", "{s=\"a\\\nb\"}" },
        { "s = '''\r\nx\r\ny'''", "{s=\"x\ny\"}" },
    };
    run_cases(c, AEGIS_ARRAY_LEN(c));
}

static void test_integers(void **state)
{
    (void)state;
    static const struct ok_case c[] = {
        { "a = +99\nb = 42\nc = 0\nd = -17", "{a=i:99,b=i:42,c=i:0,d=i:-17}" },
        { "a = 1_000\nb = 5_349_221\nc = 53_49_221\nd = 1_2_3_4_5", "{a=i:1000,b=i:5349221,c=i:5349221,d=i:12345}" },
        { "a = +0\nb = -0", "{a=i:0,b=i:0}" },
        { "a = 0xDEADBEEF\nb = 0xdeadbeef\nc = 0xdead_beef", "{a=i:3735928559,b=i:3735928559,c=i:3735928559}" },
        { "a = 0o01234567\nb = 0o755", "{a=i:342391,b=i:493}" },
        { "a = 0b11010110\nb = 0b0_1", "{a=i:214,b=i:1}" },
        { "a = 0x00\nb = 0x0000_0001", "{a=i:0,b=i:1}" },
        { "max = 9223372036854775807\nmin = -9223372036854775808", "{max=i:9223372036854775807,min=i:-9223372036854775808}" },
        { "a = 0x7FFFFFFFFFFFFFFF", "{a=i:9223372036854775807}" },
        { "a = 0o777777777777777777777", "{a=i:9223372036854775807}" },
        { "a = 0b111111111111111111111111111111111111111111111111111111111111111", "{a=i:9223372036854775807}" },
    };
    run_cases(c, AEGIS_ARRAY_LEN(c));
}

static void test_floats(void **state)
{
    (void)state;
    static const struct ok_case c[] = {
        { "a = +1.0\nb = 3.1415\nc = -0.01", "{a=f:1,b=f:3.1415000000000002,c=f:-0.01}" },
        { "a = 5e+22\nb = 1e06\nc = -2E-2", "{a=f:4.9999999999999996e+22,b=f:1000000,c=f:-0.02}" },
        { "a = 6.626e-34", "{a=f:6.6259999999999998e-34}" },
        { "a = 224_617.445_991_228", "{a=f:224617.44599122801}" },
        { "a = 1e1_0\nb = 0e0\nc = 0.0\nd = -0.0\ne = +0.0", "{a=f:10000000000,b=f:0,c=f:0,d=f:-0,e=f:0}" },
        { "a = 1E+0_1", "{a=f:10}" },
        { "a = inf\nb = +inf\nc = -inf", "{a=f:inf,b=f:inf,c=f:-inf}" },
        { "a = nan\nb = +nan\nc = -nan", "{a=f:nan,b=f:nan,c=f:nan}" },
        { "a = 0.1e-2", "{a=f:0.001}" },
        { "a = [inf, -inf, nan]", "{a=[f:inf,f:-inf,f:nan]}" },
    };
    run_cases(c, AEGIS_ARRAY_LEN(c));
}

static void test_bools_dates(void **state)
{
    (void)state;
    static const struct ok_case c[] = {
        { "t = true\nf = false", "{t=b:true,f=b:false}" },
        { "a = 1979-05-27T07:32:00Z", "{a=odt:1979-05-27T07:32:00Z}" },
        { "a = 1979-05-27T00:32:00-07:00", "{a=odt:1979-05-27T00:32:00-07:00}" },
        { "a = 1979-05-27T00:32:00.999999-07:00", "{a=odt:1979-05-27T00:32:00.999999-07:00}" },
        { "a = 1979-05-27 07:32:00Z", "{a=odt:1979-05-27T07:32:00Z}" },
        { "a = 1979-05-27t07:32:00z", "{a=odt:1979-05-27T07:32:00Z}" },
        { "a = 1979-05-27T07:32:00+14:00", "{a=odt:1979-05-27T07:32:00+14:00}" },
        { "a = 1979-05-27T07:32:00", "{a=ldt:1979-05-27T07:32:00}" },
        { "a = 1979-05-27T00:32:00.999999", "{a=ldt:1979-05-27T00:32:00.999999}" },
        { "a = 1979-05-27 07:32:00", "{a=ldt:1979-05-27T07:32:00}" },
        { "a = 1979-05-27", "{a=ld:1979-05-27}" },
        { "a = 07:32:00", "{a=lt:07:32:00}" },
        { "a = 00:32:00.999999", "{a=lt:00:32:00.999999}" },
        { "a = 00:00:00.1234567891234", "{a=lt:00:00:00.123456789}" },
        { "a = 2000-02-29\nb = 2024-02-29\nc = 1900-02-28", "{a=ld:2000-02-29,b=ld:2024-02-29,c=ld:1900-02-28}" },
        { "a = 1999-12-31T23:59:60Z", "{a=odt:1999-12-31T23:59:60Z}" },
        { "a = 0001-01-01\nb = 9999-12-31", "{a=ld:0001-01-01,b=ld:9999-12-31}" },
        { "a = 1979-05-27 # date then comment", "{a=ld:1979-05-27}" },
        { "a = [1979-05-27, 07:32:00]", "{a=[ld:1979-05-27,lt:07:32:00]}" },
        { "a = {d = 1979-05-27T07:32:00Z}", "{a={d=odt:1979-05-27T07:32:00Z}}" },
    };
    run_cases(c, AEGIS_ARRAY_LEN(c));

    /* the datetime struct itself */
    aegis_toml_value *doc = NULL;
    aegis_toml_datetime dt;
    assert_int_equal(aegis_toml_parse("a = 2024-02-29T23:58:59.5-01:30", 31, &doc, NULL), AEGIS_OK);
    assert_true(aegis_toml_datetime_get(aegis_toml_table_get(doc, "a"), &dt));
    assert_int_equal(dt.year, 2024);
    assert_int_equal(dt.month, 2);
    assert_int_equal(dt.day, 29);
    assert_int_equal(dt.hour, 23);
    assert_int_equal(dt.minute, 58);
    assert_int_equal(dt.second, 59);
    assert_int_equal(dt.nanosecond, 500000000);
    assert_int_equal(dt.offset_minutes, -90);
    assert_false(dt.offset_z);
    aegis_toml_free(doc);
}

static void test_keys(void **state)
{
    (void)state;
    static const struct ok_case c[] = {
        { "key = 1\nbare_key = 2\nbare-key = 3\n1234 = 4", "{key=i:1,bare_key=i:2,bare-key=i:3,1234=i:4}" },
        { "\"127.0.0.1\" = 1\n\"character encoding\" = 2\n\"\xca\x8e\xc7\x9d\xca\x9e\" = 3\n'key2' = 4\n'quoted \"value\"' = 5",
          "{127.0.0.1=i:1,character encoding=i:2,\xca\x8e\xc7\x9d\xca\x9e=i:3,key2=i:4,quoted \"value\"=i:5}" },
        { "\"\" = \"blank\"", "{=\"blank\"}" },
        { "'' = 'blank'", "{=\"blank\"}" },
        { "name = \"Orange\"\nphysical.color = \"orange\"\nphysical.shape = \"round\"\nsite.\"google.com\" = true",
          "{name=\"Orange\",physical={color=\"orange\",shape=\"round\"},site={google.com=b:true}}" },
        { "fruit.name = \"banana\"\nfruit. color = \"yellow\"\nfruit . flavor = \"banana\"",
          "{fruit={name=\"banana\",color=\"yellow\",flavor=\"banana\"}}" },
        { "apple.type = \"fruit\"\norange.type = \"fruit\"\napple.skin = \"thin\"\norange.skin = \"thick\"",
          "{apple={type=\"fruit\",skin=\"thin\"},orange={type=\"fruit\",skin=\"thick\"}}" },
        { "3.14159 = \"pi\"", "{3={14159=\"pi\"}}" },
        { "a.\"b.c\".'d' = 1", "{a={b.c={d=i:1}}}" },
        { "\"a\\u0000b\" = 1", "{a\\0b=i:1}" },
        { "true = 1\nfalse = 2\ninf = 3\nnan = 4", "{true=i:1,false=i:2,inf=i:3,nan=i:4}" },
        { "a=1\nA=2", "{a=i:1,A=i:2}" },
        { "\"a\" = 1\n'b' = 2\n\"\\u0063\" = 3", "{a=i:1,b=i:2,c=i:3}" },
        { "a\t=\t1", "{a=i:1}" },
        { "fruit.apple.smooth = true\nfruit.orange = 2", "{fruit={apple={smooth=b:true},orange=i:2}}" },
    };
    run_cases(c, AEGIS_ARRAY_LEN(c));
}

static void test_arrays_inline(void **state)
{
    (void)state;
    static const struct ok_case c[] = {
        { "integers = [ 1, 2, 3 ]", "{integers=[i:1,i:2,i:3]}" },
        { "colors = [ \"red\", \"yellow\", \"green\" ]", "{colors=[\"red\",\"yellow\",\"green\"]}" },
        { "nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]", "{nested_arrays_of_ints=[[i:1,i:2],[i:3,i:4,i:5]]}" },
        { "nested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]", "{nested_mixed_array=[[i:1,i:2],[\"a\",\"b\",\"c\"]]}" },
        { "string_array = [ \"all\", 'strings', \"\"\"are the same\"\"\", '''type''' ]",
          "{string_array=[\"all\",\"strings\",\"are the same\",\"type\"]}" },
        { "numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]", "{numbers=[f:0.10000000000000001,f:0.20000000000000001,f:0.5,i:1,i:2,i:5]}" },
        { "contributors = [\n  \"Foo Bar <foo@example.com>\",\n  { name = \"Baz Qux\", email = \"bazqux@example.com\", url = \"https://example.com/bazqux\" }\n]",
          "{contributors=[\"Foo Bar <foo@example.com>\",{name=\"Baz Qux\",email=\"bazqux@example.com\",url=\"https://example.com/bazqux\"}]}" },
        { "integers2 = [\n  1, 2, 3\n]\nintegers3 = [\n  1,\n  2, # this is ok\n]", "{integers2=[i:1,i:2,i:3],integers3=[i:1,i:2]}" },
        { "a = []\nb = [ ]\nc = [\n]\nd = [[]]", "{a=[],b=[],c=[],d=[[]]}" },
        { "a = [ # c\n 1 # c\n , # c\n 2 # c\n ] # c", "{a=[i:1,i:2]}" },
        { "a = [\r\n1,\r\n2\r\n]", "{a=[i:1,i:2]}" },
        { "a = [1,2,]", "{a=[i:1,i:2]}" },
        { "name = { first = \"Tom\", last = \"Preston-Werner\" }\npoint = { x = 1, y = 2 }\nanimal = { type.name = \"pug\" }",
          "{name={first=\"Tom\",last=\"Preston-Werner\"},point={x=i:1,y=i:2},animal={type={name=\"pug\"}}}" },
        { "a = {}\nb = { }\nc = {d = {}}", "{a={},b={},c={d={}}}" },
        { "a = {b = [1, {c = 2}], d = \"x\"}", "{a={b=[i:1,{c=i:2}],d=\"x\"}}" },
        { "a = {b = [\n1,\n2]}", "{a={b=[i:1,i:2]}}" },
        { "a = { x.y = 1, x.z = 2, w = 3 }", "{a={x={y=i:1,z=i:2},w=i:3}}" },
        { "points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n           { x = 2, y = 4, z = 8 } ]",
          "{points=[{x=i:1,y=i:2,z=i:3},{x=i:7,y=i:8,z=i:9},{x=i:2,y=i:4,z=i:8}]}" },
    };
    run_cases(c, AEGIS_ARRAY_LEN(c));
}

static void test_tables(void **state)
{
    (void)state;
    static const struct ok_case c[] = {
        { "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another string\"\nkey2 = 456",
          "{table-1={key1=\"some string\",key2=i:123},table-2={key1=\"another string\",key2=i:456}}" },
        { "[dog.\"tater.man\"]\ntype.name = \"pug\"", "{dog={tater.man={type={name=\"pug\"}}}}" },
        { "[a.b.c]            # this is best practice\n[ d.e.f ]          # same as [d.e.f]\n[ g .  h  . i ]    # same as [g.h.i]\n[ j . \"\xca\x9e\" . 'l' ]  # same as [j.\"\xca\x9e\".'l']",
          "{a={b={c={}}},d={e={f={}}},g={h={i={}}},j={\xca\x9e={l={}}}}" },
        { "[x.y.z.w]\n[x]", "{x={y={z={w={}}}}}" },
        { "[fruit]\napple = \"red\"\n[animal]\n[fruit.orange]", "{fruit={apple=\"red\",orange={}},animal={}}" },
        { "name = \"Fido\"\nbreed = \"pug\"\n[owner]\nname = \"Regina Dogman\"\nmember_since = 1999-08-04",
          "{name=\"Fido\",breed=\"pug\",owner={name=\"Regina Dogman\",member_since=ld:1999-08-04}}" },
        { "fruit.apple.color = \"red\"\nfruit.apple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true",
          "{fruit={apple={color=\"red\",taste={sweet=b:true},texture={smooth=b:true}}}}" },
        { "[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n[[products]]  # empty table within the array\n\n[[products]]\nname = \"Nail\"\nsku = 284758393\n\ncolor = \"gray\"",
          "{products=[{name=\"Hammer\",sku=i:738594937},{},{name=\"Nail\",sku=i:284758393,color=\"gray\"}]}" },
        { "[[fruits]]\nname = \"apple\"\n[fruits.physical]  # subtable\ncolor = \"red\"\nshape = \"round\"\n"
          "[[fruits.varieties]]  # nested array of tables\nname = \"red delicious\"\n[[fruits.varieties]]\nname = \"granny smith\"\n"
          "[[fruits]]\nname = \"banana\"\n[[fruits.varieties]]\nname = \"plantain\"",
          "{fruits=[{name=\"apple\",physical={color=\"red\",shape=\"round\"},varieties=[{name=\"red delicious\"},{name=\"granny smith\"}]},"
          "{name=\"banana\",varieties=[{name=\"plantain\"}]}]}" },
        { "[a.b.c]\nz = 9\n[a]\nb.d = 1", "{a={b={c={z=i:9},d=i:1}}}" },
        { "[[a.b]]\nx = 1\n[a]\ny = 2", "{a={b=[{x=i:1}],y=i:2}}" },
        { "[a]\n[a.b]\n[a.b.c]\n[a.d]", "{a={b={c={}},d={}}}" },
        { "[\"a\"]\n[\"a\".b]\n['a'.c]", "{a={b={},c={}}}" },
        { "[[ aot ]]\n[[aot]]", "{aot=[{},{}]}" },
        { "[ a ]\nb.c = 1\n[a.b.d]\ne = 2", "{a={b={c=i:1,d={e=i:2}}}}" },
    };
    run_cases(c, AEGIS_ARRAY_LEN(c));
}

static void test_whitespace_comments(void **state)
{
    (void)state;
    static const struct ok_case c[] = {
        { "", "{}" },
        { "\n\n\n", "{}" },
        { "# only a comment", "{}" },
        { "# This is a full-line comment\nkey = \"value\"  # This is a comment at the end of a line\nanother = \"# This is not a comment\"",
          "{key=\"value\",another=\"# This is not a comment\"}" },
        { "a = 1\r\nb = 2\r\n", "{a=i:1,b=i:2}" },
        { "  \t a = 1 \t \n", "{a=i:1}" },
        { "a = 1 #\xe2\x9c\x93 \t comment with unicode", "{a=i:1}" },
        { "\xef\xbb\xbf" "a = 1", "{a=i:1}" },
        { "a = 1\n[t] # c\n  b = 2 # c\n", "{a=i:1,t={b=i:2}}" },
        { "a=1#c", "{a=i:1}" },
        { "a='x'#c", "{a=\"x\"}" },
        { "a = \"# not a comment\" # but this is", "{a=\"# not a comment\"}" },
    };
    run_cases(c, AEGIS_ARRAY_LEN(c));
}

/* The full example document from the front page of toml.io. */
static void test_spec_example(void **state)
{
    (void)state;
    const char *doc =
        "# This is a TOML document\n\n"
        "title = \"TOML Example\"\n\n"
        "[owner]\nname = \"Tom Preston-Werner\"\ndob = 1979-05-27T07:32:00-08:00\n\n"
        "[database]\nenabled = true\nports = [ 8000, 8001, 8002 ]\n"
        "data = [ [\"delta\", \"phi\"], [3.14] ]\ntemp_targets = { cpu = 79.5, case = 72.0 }\n\n"
        "[servers]\n\n[servers.alpha]\nip = \"10.0.0.1\"\nrole = \"frontend\"\n\n"
        "[servers.beta]\nip = \"10.0.0.2\"\nrole = \"backend\"\n";
    check_ok(doc, "{title=\"TOML Example\",owner={name=\"Tom Preston-Werner\",dob=odt:1979-05-27T07:32:00-08:00},"
                  "database={enabled=b:true,ports=[i:8000,i:8001,i:8002],data=[[\"delta\",\"phi\"],[f:3.1400000000000001]],"
                  "temp_targets={cpu=f:79.5,case=f:72}},"
                  "servers={alpha={ip=\"10.0.0.1\",role=\"frontend\"},beta={ip=\"10.0.0.2\",role=\"backend\"}}}");
}

static void test_accessors(void **state)
{
    (void)state;
    const char *t = "a = 1\n[t]\n  k = \"v\"\n  arr = [true, 2.5]\n";
    aegis_toml_value *doc = NULL;
    assert_int_equal(aegis_toml_parse(t, strlen(t), &doc, NULL), AEGIS_OK);
    assert_int_equal(aegis_toml_type_of(doc), AEGIS_TOML_TABLE);
    assert_int_equal(aegis_toml_len(doc), 2);
    const aegis_toml_value *tt = aegis_toml_table_get(doc, "t");
    assert_non_null(tt);
    assert_null(aegis_toml_table_get(doc, "missing"));
    unsigned line, col;
    aegis_toml_table_key_pos(tt, 1, &line, &col);
    assert_int_equal(line, 4);
    assert_int_equal(col, 3);
    const aegis_toml_value *arr = aegis_toml_table_get(tt, "arr");
    aegis_toml_pos(arr, &line, &col);
    assert_int_equal(line, 4);
    assert_int_equal(col, 9);
    aegis_toml_pos(aegis_toml_array_at(arr, 1), &line, &col);
    assert_int_equal(col, 16);
    assert_null(aegis_toml_array_at(arr, 2));
    assert_string_equal(aegis_toml_type_name(aegis_toml_type_of(arr)), "array");
    /* wrong-type accessors fail cleanly */
    int64_t i;
    double d;
    bool b;
    assert_false(aegis_toml_int(aegis_toml_table_get(tt, "k"), &i));
    assert_false(aegis_toml_float(aegis_toml_table_get(doc, "a"), &d));
    assert_false(aegis_toml_bool(NULL, &b));
    assert_null(aegis_toml_string(aegis_toml_table_get(doc, "a"), NULL));
    assert_null(aegis_toml_table_at(arr, 0, NULL, NULL));
    assert_int_equal(aegis_toml_len(aegis_toml_table_get(doc, "a")), 0);
    char buf[64];
    assert_int_equal(aegis_toml_datetime_format(aegis_toml_table_get(doc, "a"), buf, sizeof(buf)), 0);
    aegis_toml_free(doc);
}

/* Column counts characters, not bytes. */
static void test_error_position_utf8(void **state)
{
    (void)state;
    const char *t = "\xc3\xa9\xc3\xa9 = 1\n\"\xe2\x9c\x93\" = ?";
    aegis_toml_value *doc = NULL;
    aegis_toml_error e;
    assert_int_equal(aegis_toml_parse(t, strlen(t), &doc, &e), AEGIS_ERR_TOML_SYNTAX);
    assert_int_equal(e.line, 1);
    assert_int_equal(e.col, 1);
    const char *t2 = "k = 1\n\"\xe2\x9c\x93\" = ?";
    assert_int_equal(aegis_toml_parse(t2, strlen(t2), &doc, &e), AEGIS_ERR_TOML_SYNTAX);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.col, 7);
    assert_null(doc);
}

/* Feeding in pieces of every size gives the same tree as one feed. */
static void test_feed_chunks(void **state)
{
    (void)state;
    const char *t = "a = \"\"\"x\r\ny\"\"\"\r\n[b]\r\nc = [1, 2]\r\nd = 1979-05-27T07:32:00Z\n[[e]]\nf = '\xe2\x9c\x93'\n";
    size_t n = strlen(t);
    for (size_t chunk = 1; chunk <= n; chunk++) {
        aegis_toml_parser *p = NULL;
        aegis_toml_value *doc = NULL;
        assert_int_equal(aegis_toml_parser_new(&p, 0), AEGIS_OK);
        for (size_t off = 0; off < n; off += chunk)
            assert_int_equal(aegis_toml_parser_feed(p, t + off, off + chunk > n ? n - off : chunk), AEGIS_OK);
        assert_int_equal(aegis_toml_parser_finish(p, &doc), AEGIS_OK);
        assert_int_equal(aegis_toml_parser_finish(p, &doc), AEGIS_ERR_INVAL);
        assert_int_equal(aegis_toml_parser_feed(p, "x", 1), AEGIS_ERR_INVAL);
        aegis_toml_parser_free(p);
        aegis_buf b;
        aegis_buf_init(&b, 4096);
        dump(&b, doc);
        assert_int_equal(aegis_buf_cstr(&b), AEGIS_OK);
        assert_string_equal((char *)b.data,
                            "{a=\"x\ny\",b={c=[i:1,i:2],d=odt:1979-05-27T07:32:00Z},e=[{f=\"\xe2\x9c\x93\"}]}");
        aegis_buf_clear(&b);
        aegis_toml_free(doc);
    }
}

static void test_limits(void **state)
{
    (void)state;
    aegis_toml_parser *p = NULL;
    assert_int_equal(aegis_toml_parser_new(&p, 8), AEGIS_OK);
    assert_int_equal(aegis_toml_parser_feed(p, "a = 1\n", 6), AEGIS_OK);
    assert_int_equal(aegis_toml_parser_feed(p, "b = 2\n", 6), AEGIS_ERR_TOO_BIG);
    aegis_toml_error e;
    aegis_toml_parser_error(p, &e);
    assert_true(strlen(e.msg) > 0);
    aegis_toml_parser_free(p);

    /* nesting deeper than AEGIS_TOML_MAX_DEPTH is refused, not a crash */
    aegis_buf b;
    aegis_buf_init(&b, 1 << 20);
    assert_int_equal(aegis_buf_append(&b, "a = ", 4), AEGIS_OK);
    for (int i = 0; i < AEGIS_TOML_MAX_DEPTH + 5; i++)
        assert_int_equal(aegis_buf_append(&b, "[", 1), AEGIS_OK);
    aegis_toml_value *doc = NULL;
    assert_int_equal(aegis_toml_parse(b.data, b.len, &doc, &e), AEGIS_ERR_TOML_TOO_DEEP);
    aegis_buf_reset(&b);
    assert_int_equal(aegis_buf_append(&b, "a = ", 4), AEGIS_OK);
    for (int i = 0; i < 100; i++)
        assert_int_equal(aegis_buf_append(&b, "[", 1), AEGIS_OK);
    for (int i = 0; i < 100; i++)
        assert_int_equal(aegis_buf_append(&b, "]", 1), AEGIS_OK);
    assert_int_equal(aegis_toml_parse(b.data, b.len, &doc, &e), AEGIS_OK);
    aegis_toml_free(doc);
    aegis_buf_clear(&b);

    /* many keys in one table: the hash index keeps lookups right */
    aegis_buf_init(&b, 1 << 22);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(aegis_buf_printf(&b, "k%d = %d\n", i, i), AEGIS_OK);
    assert_int_equal(aegis_toml_parse(b.data, b.len, &doc, &e), AEGIS_OK);
    assert_int_equal(aegis_toml_len(doc), 5000);
    int64_t v = 0;
    assert_true(aegis_toml_int(aegis_toml_table_get(doc, "k4321"), &v));
    assert_int_equal(v, 4321);
    aegis_toml_free(doc);
    assert_int_equal(aegis_buf_printf(&b, "k17 = 0\n"), AEGIS_OK);
    assert_int_equal(aegis_toml_parse(b.data, b.len, &doc, &e), AEGIS_ERR_TOML_DUPLICATE);
    assert_int_equal(e.line, 5001);
    aegis_buf_clear(&b);
}

/* Every allocation failure on the way is reported as NOMEM, no leak. */
static void test_alloc_failure(void **state)
{
    (void)state;
    const char *t = "a = \"s\"\n[b.c]\nd = [1, {e = 2}]\n[[f]]\ng.h = 1979-05-27\n";
    int failures = 0;
    for (long n = 1; n < 200; n++) {
        aegis_toml_value *doc = NULL;
        aegis_alloc_fail_after(n);
        aegis_err err = aegis_toml_parse(t, strlen(t), &doc, NULL);
        aegis_alloc_fail_after(0);
        if (err == AEGIS_OK) {
            aegis_toml_free(doc);
            break;
        }
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        failures++;
    }
    assert_true(failures > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_bools_dates),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_arrays_inline),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_whitespace_comments),
        cmocka_unit_test(test_spec_example),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_error_position_utf8),
        cmocka_unit_test(test_feed_chunks),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
