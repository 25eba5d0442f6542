/* test_qrm_state.c - the QRM Monitor's state file (aegis/qrm.h): round trip,
 * strict refusals, when to publish, the next sequence number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/batch.h"
#include "aegis/qrm.h"

static aegis_err parse(const char *t, aegis_qrm_state *st)
{
    return aegis_qrm_state_parse(t, strlen(t), st);
}

static void test_round_trip(void **state)
{
    (void)state;
    aegis_qrm_state st;
    memset(&st, 0, sizeof(st));
    strcpy(st.source, "qrm-1");
    st.seq = 1796640886867ull;
    st.dest[AEGIS_QRM_DEST_AEGISD] = (struct aegis_qrm_published){ true, 1796640886867ull, 9500, 2, 3 };
    char *s = aegis_qrm_state_format(&st);
    assert_non_null(s);
    assert_string_equal(s, "{\"version\":1,\"source\":\"qrm-1\",\"seq\":1796640886867,\"aegisd\":{\"seq\":1796640886867,"
                           "\"score\":9500,\"level\":2,\"algorithms\":3},\"l1\":null}");
    aegis_qrm_state back;
    assert_int_equal(aegis_qrm_state_parse(s, strlen(s), &back), AEGIS_OK);
    free(s);
    assert_memory_equal(&back, &st, sizeof(st));
    assert_string_equal(aegis_qrm_dest_name(AEGIS_QRM_DEST_L1), "l1");
    /* out of range: not written */
    st.dest[AEGIS_QRM_DEST_L1] = (struct aegis_qrm_published){ true, st.seq + 1, 1, 0, 0 };
    assert_null(aegis_qrm_state_format(&st));
    st.dest[AEGIS_QRM_DEST_L1].has = false;
    strcpy(st.source, "bad source");
    assert_null(aegis_qrm_state_format(&st));
}

static void test_refusals(void **state)
{
    (void)state;
    aegis_qrm_state st;
    const char *bad[] = {
        "",
        "[]",
        "{\"version\":1,\"source\":\"q\",\"seq\":1,\"aegisd\":null}",                          /* l1 missing */
        "{\"version\":2,\"source\":\"q\",\"seq\":1,\"aegisd\":null,\"l1\":null}",
        "{\"version\":1,\"source\":\"\",\"seq\":1,\"aegisd\":null,\"l1\":null}",
        "{\"version\":1,\"source\":\"a b\",\"seq\":1,\"aegisd\":null,\"l1\":null}",
        "{\"version\":1,\"source\":\"a\\u0000b\",\"seq\":1,\"aegisd\":null,\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":-1,\"aegisd\":null,\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":1.5,\"aegisd\":null,\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":1,\"aegisd\":null,\"l1\":null,\"x\":1}",
        "{\"version\":1,\"source\":\"q\",\"seq\":1,\"seq\":2,\"aegisd\":null,\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":5,\"aegisd\":{\"seq\":6,\"score\":1,\"level\":0,\"algorithms\":0},\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":5,\"aegisd\":{\"seq\":5,\"score\":10001,\"level\":0,\"algorithms\":0},\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":5,\"aegisd\":{\"seq\":5,\"score\":1,\"level\":3,\"algorithms\":0},\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":5,\"aegisd\":{\"seq\":5,\"score\":1,\"level\":0,\"algorithms\":8},\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":5,\"aegisd\":{\"seq\":5,\"score\":1,\"level\":0},\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":5,\"aegisd\":true,\"l1\":null}",
        "{\"version\":1,\"source\":\"q\",\"seq\":5,\"aegisd\":null,\"l1\":null} x",
        "{\"version\":1,\"source\":\"q\",\"seq\":9223372036854775808,\"aegisd\":null,\"l1\":null}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], &st) != AEGIS_ERR_QRM_STATE)
            fail_msg("accepted: %s", bad[i]);
    }
    assert_int_equal(parse("{\"l1\":null,\"aegisd\":null,\"seq\":9223372036854775807,\"source\":\"a.b:c/d-e_\","
                           "\"version\":1}",
                           &st),
                     AEGIS_OK);
    assert_int_equal(st.seq, 9223372036854775807ull);
    assert_false(st.dest[0].has);
}

static void test_publish_rules(void **state)
{
    (void)state;
    aegis_qrm_signals s;
    memset(&s, 0, sizeof(s));
    s.scheduled = 6000;
    s.emergency = 9000;
    s.min_change = 100;
    struct aegis_qrm_result r;
    memset(&r, 0, sizeof(r));
    struct aegis_qrm_published p = { false, 0, 0, 0, 0 };
    r.score = 5000;
    assert_true(aegis_qrm_needs_publish(&p, &r, &s)); /* never published */
    p = (struct aegis_qrm_published){ true, 7, 5000, 0, 0 };
    assert_false(aegis_qrm_needs_publish(&p, &r, &s));
    r.score = 5099;
    assert_false(aegis_qrm_needs_publish(&p, &r, &s)); /* under min_change */
    r.score = 4900;
    assert_true(aegis_qrm_needs_publish(&p, &r, &s));
    r.score = 5050;
    r.level = 1; /* a level change publishes whatever the distance */
    assert_true(aegis_qrm_needs_publish(&p, &r, &s));
    r.level = 0;
    s.algorithms = AEGIS_ALG_MLDSA87;
    assert_true(aegis_qrm_needs_publish(&p, &r, &s));

    aegis_qrm_state st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(aegis_qrm_next_seq(&st, 1000), 1000);
    st.seq = 1000;
    assert_int_equal(aegis_qrm_next_seq(&st, 1000), 1001); /* same millisecond */
    assert_int_equal(aegis_qrm_next_seq(&st, 900), 1001);  /* clock went back */
    assert_int_equal(aegis_qrm_next_seq(&st, 5000), 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_publish_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
