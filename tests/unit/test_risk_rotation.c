/*
 * test_risk_rotation.c - key epochs: the rotation planner (interval,
 * emergency), the envelope grace window, and hand-over records (build,
 * verify, tamper of every field and signature, wrong key sets, JSON round
 * trip, chain links).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/risk.h"

#define T0 1700000000000ull

static void test_planner(void **state)
{
    (void)state;
    struct aegis_rotation_config rc;
    aegis_rotation_config_defaults(&rc);
    rc.interval_batches = 100;
    rc.interval_ms = 3600000;
    rc.grace_ms = 60000;
    aegis_rotation r;
    aegis_rotation_init(&r, &rc, 1, 0, T0);
    assert_int_equal(aegis_rotation_due(&r, 99, T0 + 1000), AEGIS_ROTATE_NONE);
    assert_int_equal(aegis_rotation_due(&r, 100, T0 + 1000), AEGIS_ROTATE_SCHEDULED);
    assert_int_equal(aegis_rotation_due(&r, 5, T0 + 3600000), AEGIS_ROTATE_SCHEDULED);
    /* entering emergency makes a rotation due at once; leaving it does not */
    aegis_rotation_on_level(&r, AEGIS_RISK_NORMAL, AEGIS_RISK_SCHEDULED);
    assert_int_equal(aegis_rotation_due(&r, 5, T0 + 1000), AEGIS_ROTATE_NONE);
    aegis_rotation_on_level(&r, AEGIS_RISK_SCHEDULED, AEGIS_RISK_EMERGENCY);
    assert_int_equal(aegis_rotation_due(&r, 5, T0 + 1000), AEGIS_ROTATE_EMERGENCY);
    aegis_rotation_commit(&r, 6, T0 + 2000);
    assert_int_equal(r.epoch, 2);
    assert_int_equal(r.prev_epoch, 1);
    assert_int_equal(aegis_rotation_due(&r, 7, T0 + 3000), AEGIS_ROTATE_NONE);
    assert_int_equal(aegis_rotation_due(&r, 106, T0 + 3000), AEGIS_ROTATE_SCHEDULED);  /* from the new start */
    aegis_rotation_on_level(&r, AEGIS_RISK_EMERGENCY, AEGIS_RISK_NORMAL);
    assert_int_equal(aegis_rotation_due(&r, 7, T0 + 3000), AEGIS_ROTATE_NONE);
    /* on_emergency off */
    rc.on_emergency = false;
    aegis_rotation_init(&r, &rc, 1, 0, T0);
    aegis_rotation_on_level(&r, AEGIS_RISK_NORMAL, AEGIS_RISK_EMERGENCY);
    assert_int_equal(aegis_rotation_due(&r, 1, T0), AEGIS_ROTATE_NONE);
}

static void test_grace_window(void **state)
{
    (void)state;
    struct aegis_rotation_config rc;
    aegis_rotation_config_defaults(&rc);
    rc.grace_ms = 60000;
    aegis_rotation r;
    aegis_rotation_init(&r, &rc, 3, 0, T0);
    char msg[256];
    assert_int_equal(aegis_rotation_check_epoch(&r, 3, 0, T0, msg, sizeof(msg)), AEGIS_OK);
    assert_int_equal(aegis_rotation_check_epoch(&r, 2, 0, T0, msg, sizeof(msg)), AEGIS_ERR_RISK_EPOCH_UNKNOWN);
    assert_non_null(strstr(msg, "current key epoch is 3"));
    aegis_rotation_commit(&r, 10, T0 + 1000);
    assert_int_equal(aegis_rotation_check_epoch(&r, 4, 10, T0 + 1000, NULL, 0), AEGIS_OK);
    assert_int_equal(aegis_rotation_check_epoch(&r, 3, 10, T0 + 1000, NULL, 0), AEGIS_OK);
    assert_int_equal(aegis_rotation_check_epoch(&r, 3, 50, T0 + 60999, NULL, 0), AEGIS_OK);
    msg[0] = 0;
    assert_int_equal(aegis_rotation_check_epoch(&r, 3, 50, T0 + 61000, msg, sizeof(msg)),
                     AEGIS_ERR_RISK_EPOCH_EXPIRED);
    assert_non_null(strstr(msg, "key epoch 3"));
    assert_non_null(strstr(msg, "current key epoch is 4"));
    assert_int_equal(aegis_rotation_check_epoch(&r, 5, 10, T0 + 1000, NULL, 0), AEGIS_ERR_RISK_EPOCH_UNKNOWN);
    /* a second rotation retires epoch 3 entirely */
    aegis_rotation_commit(&r, 20, T0 + 2000);
    assert_int_equal(aegis_rotation_check_epoch(&r, 3, 20, T0 + 2000, NULL, 0), AEGIS_ERR_RISK_EPOCH_UNKNOWN);
    assert_int_equal(aegis_rotation_check_epoch(&r, 4, 20, T0 + 2000, NULL, 0), AEGIS_OK);
    /* batch-bounded grace */
    rc.grace_batches = 5;
    aegis_rotation_init(&r, &rc, 1, 0, T0);
    aegis_rotation_commit(&r, 10, T0);
    assert_int_equal(aegis_rotation_check_epoch(&r, 1, 14, T0 + 1, NULL, 0), AEGIS_OK);
    assert_int_equal(aegis_rotation_check_epoch(&r, 1, 15, T0 + 1, NULL, 0), AEGIS_ERR_RISK_EPOCH_EXPIRED);
}

/* ---- hand-over ---- */

struct fx {
    aegis_keyset *k1, *k2, *k3, *other2;
    aegis_handover *h12, *h23;
};

static int setup(void **state)
{
    struct fx *f = aegis_calloc(1, sizeof(*f));
    if (aegis_keyset_generate(1, &f->k1) || aegis_keyset_generate(2, &f->k2) ||
        aegis_keyset_generate(3, &f->k3) || aegis_keyset_generate(2, &f->other2))
        return -1;
    f->h12 = aegis_calloc(1, sizeof(*f->h12));
    f->h23 = aegis_calloc(1, sizeof(*f->h23));
    uint64_t t = aegis_now_ns();
    if (aegis_handover_build(f->k1, f->k2, 100, AEGIS_ROTATE_SCHEDULED, T0, f->h12) ||
        aegis_handover_build(f->k2, f->k3, 150, AEGIS_ROTATE_EMERGENCY, T0 + 5000, f->h23))
        return -1;
    fprintf(stderr, "# two hand-overs (4 ML-DSA-87 + 4 SLH-DSA-256s signatures): %.1f ms\n",
            (double)(aegis_now_ns() - t) / 1e6);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    aegis_keyset_free(f->k1);
    aegis_keyset_free(f->k2);
    aegis_keyset_free(f->k3);
    aegis_keyset_free(f->other2);
    aegis_free(f->h12);
    aegis_free(f->h23);
    aegis_free(f);
    return 0;
}

#define PUB(k) aegis_keyset_public(k)

static void test_handover_verify(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->h12->old_epoch, 1);
    assert_int_equal(f->h12->new_epoch, 2);
    assert_int_equal(f->h12->reason, AEGIS_ROTATE_SCHEDULED);
    uint8_t h[32];
    aegis_keyset_pub_hash(h, PUB(f->k2));
    assert_memory_equal(f->h12->new_keyset_hash, h, 32);
    assert_int_equal(aegis_handover_verify(f->h12, PUB(f->k1), PUB(f->k2)), AEGIS_OK);
    assert_int_equal(aegis_handover_verify(f->h23, PUB(f->k2), PUB(f->k3)), AEGIS_OK);
    /* the wrong key sets */
    assert_int_equal(aegis_handover_verify(f->h12, PUB(f->k1), PUB(f->other2)), AEGIS_ERR_HANDOVER_MISMATCH);
    assert_int_equal(aegis_handover_verify(f->h12, PUB(f->k2), PUB(f->k3)), AEGIS_ERR_HANDOVER_MISMATCH);
    /* building needs consecutive epochs and a known reason */
    aegis_handover *x = aegis_calloc(1, sizeof(*x));
    assert_int_equal(aegis_handover_build(f->k1, f->k3, 1, AEGIS_ROTATE_MANUAL, T0, x), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_handover_build(f->k1, f->k2, 1, 9, T0, x), AEGIS_ERR_INVAL);
    aegis_free(x);
}

static void test_handover_tamper(void **state)
{
    struct fx *f = *state;
    aegis_handover *t = aegis_malloc(sizeof(*t));
    /* each signed field */
    for (int field = 0; field < 4; field++) {
        memcpy(t, f->h12, sizeof(*t));
        switch (field) {
        case 0: t->batch_number++; break;
        case 1: t->timestamp_ms ^= 1; break;
        case 2: t->reason = AEGIS_ROTATE_EMERGENCY; break;
        case 3: t->old_keyset_hash[5] ^= 1; break;
        }
        aegis_err want = field == 3 ? AEGIS_ERR_HANDOVER_MISMATCH : AEGIS_ERR_HANDOVER_BAD_SIG;
        assert_int_equal(aegis_handover_verify(t, PUB(f->k1), PUB(f->k2)), want);
    }
    /* each of the four signatures */
    uint8_t *sigs[4] = { t->old_mldsa, t->new_mldsa, t->old_slhdsa, t->new_slhdsa };
    for (int i = 0; i < 4; i++) {
        memcpy(t, f->h12, sizeof(*t));
        sigs[i][100] ^= 0x10;
        assert_int_equal(aegis_handover_verify(t, PUB(f->k1), PUB(f->k2)), AEGIS_ERR_HANDOVER_BAD_SIG);
    }
    /* the new key set's signatures swapped in from another hand-over */
    memcpy(t, f->h12, sizeof(*t));
    memcpy(t->new_mldsa, f->h23->old_mldsa, sizeof(t->new_mldsa));
    assert_int_equal(aegis_handover_verify(t, PUB(f->k1), PUB(f->k2)), AEGIS_ERR_HANDOVER_BAD_SIG);
    aegis_free(t);
}

static void test_handover_json_and_chain(void **state)
{
    struct fx *f = *state;
    json_t *j = aegis_handover_to_json(f->h12);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "scheduled");
    aegis_handover *p = aegis_malloc(sizeof(*p));
    assert_int_equal(aegis_handover_from_json(j, p), AEGIS_OK);
    assert_memory_equal(p, f->h12, sizeof(*p));
    assert_int_equal(aegis_handover_verify(p, PUB(f->k1), PUB(f->k2)), AEGIS_OK);
    /* strictness */
    json_t *c = json_deep_copy(j);
    json_object_set_new(c, "extra", json_true());
    assert_int_equal(aegis_handover_from_json(c, p), AEGIS_ERR_HANDOVER_MALFORMED);
    json_decref(c);
    c = json_deep_copy(j);
    json_object_set_new(c, "new_epoch", json_integer(5));
    assert_int_equal(aegis_handover_from_json(c, p), AEGIS_ERR_HANDOVER_MALFORMED);
    json_decref(c);
    c = json_deep_copy(j);
    json_object_set_new(c, "reason", json_string("whim"));
    assert_int_equal(aegis_handover_from_json(c, p), AEGIS_ERR_HANDOVER_MALFORMED);
    json_decref(c);
    c = json_deep_copy(j);
    json_object_del(json_object_get(json_object_get(c, "signatures"), "new"), "slh-dsa-sha2-256s");
    assert_int_equal(aegis_handover_from_json(c, p), AEGIS_ERR_HANDOVER_MALFORMED);
    json_decref(c);
    json_decref(j);
    /* chain: 1->2 then 2->3 links; reversed or skipping does not */
    assert_int_equal(aegis_handover_link(f->h12, f->h23), AEGIS_OK);
    assert_int_equal(aegis_handover_link(f->h23, f->h12), AEGIS_ERR_HANDOVER_CHAIN);
    memcpy(p, f->h23, sizeof(*p));
    p->old_keyset_hash[0] ^= 1;
    assert_int_equal(aegis_handover_link(f->h12, p), AEGIS_ERR_HANDOVER_CHAIN);
    memcpy(p, f->h23, sizeof(*p));
    p->batch_number = 99;
    assert_int_equal(aegis_handover_link(f->h12, p), AEGIS_ERR_HANDOVER_CHAIN);
    aegis_free(p);
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_planner),
        cmocka_unit_test(test_grace_window),
    };
    const struct CMUnitTest signed_[] = {
        cmocka_unit_test(test_handover_verify),
        cmocka_unit_test(test_handover_tamper),
        cmocka_unit_test(test_handover_json_and_chain),
    };
    int rc = cmocka_run_group_tests(plain, NULL, NULL);
    return rc | cmocka_run_group_tests(signed_, setup, teardown);
}
