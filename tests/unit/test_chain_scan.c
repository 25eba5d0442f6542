/* test_chain_scan.c - aegis_chain_scan_reply: a batch reply's txs without a
 * JSON tree. A reply in the node's form (aegis_chain_batch_to_json, dumped
 * compact) gives the same txs as jansson; null and error replies; and what
 * it must decline (escapes, duplicates, reals, other shapes, truncation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "aegis/chain.h"
#include "aegis/chain_scan.h"

/* A batch of n txs in the published format, as an aegis_waitBatch reply. */
static char *batch_reply(size_t n)
{
    aegis_chain_batch b;
    memset(&b, 0, sizeof(b));
    b.h.version = 1;
    b.h.chain_id = 1;
    b.h.number = 7;
    b.h.tx_count = (uint16_t)n;
    b.h.algorithm_set = AEGIS_ALG_ALL;
    b.n_txs = n;
    b.txs = calloc(n, sizeof(*b.txs));
    assert_non_null(b.txs);
    static uint8_t raw[3][40];
    for (size_t i = 0; i < n; i++) {
        memset(raw[i % 3], (int)(0x10 + i), sizeof(raw[0]));
        b.txs[i].raw = raw[i % 3];
        b.txs[i].raw_len = sizeof(raw[0]);
        memset(b.txs[i].hash, (int)(0xa0 + i), 32);
        memset(b.txs[i].sender, (int)(0x30 + i), 20);
        b.txs[i].nonce = 1000 * i + 3;
        b.txs[i].envelope_id = 50 + i;
    }
    json_t *r = json_pack("{s:s, s:i, s:o}", "jsonrpc", "2.0", "id", 1, "result", aegis_chain_batch_to_json(&b));
    char *s = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    free(b.txs);
    assert_non_null(s);
    return s;
}

static void test_batch(void **state)
{
    (void)state;
    char *s = batch_reply(3);
    aegis_chain_scan sc;
    assert_int_equal(aegis_chain_scan_reply(s, strlen(s), &sc), AEGIS_OK);
    assert_int_equal(sc.result, AEGIS_CHAIN_SCAN_BATCH);
    assert_false(sc.has_error);
    assert_int_equal(sc.n_txs, 3);
    /* the same as jansson reads */
    json_t *j = json_loads(s, 0, NULL);
    json_t *txs = json_object_get(json_object_get(j, "result"), "txs");
    for (size_t i = 0; i < 3; i++) {
        uint8_t h[32], snd[20];
        assert_int_equal(aegis_chain_get_hex(json_array_get(txs, i), "hash", h, 32), AEGIS_OK);
        assert_int_equal(aegis_chain_get_hex(json_array_get(txs, i), "sender", snd, 20), AEGIS_OK);
        assert_memory_equal(sc.txs[i].hash, h, 32);
        assert_memory_equal(sc.txs[i].sender, snd, 20);
        assert_int_equal(sc.txs[i].nonce, json_integer_value(json_object_get(json_array_get(txs, i), "nonce")));
        assert_int_equal(sc.txs[i].nonce, 1000 * i + 3);
    }
    json_decref(j);
    aegis_chain_scan_clear(&sc);
    /* truncated anywhere: declined, never a partial batch */
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i += 7)
        assert_int_equal(aegis_chain_scan_reply(s, i, &sc), AEGIS_ERR_UNSUPPORTED);
    free(s);
    /* an empty batch */
    s = batch_reply(0);
    assert_int_equal(aegis_chain_scan_reply(s, strlen(s), &sc), AEGIS_OK);
    assert_int_equal(sc.result, AEGIS_CHAIN_SCAN_BATCH);
    assert_int_equal(sc.n_txs, 0);
    aegis_chain_scan_clear(&sc);
    free(s);
}

static aegis_err scan(const char *s, aegis_chain_scan *sc)
{
    aegis_err err = aegis_chain_scan_reply(s, strlen(s), sc);
    return err;
}

static void test_null_and_error(void **state)
{
    (void)state;
    aegis_chain_scan sc;
    assert_int_equal(scan(" {\"jsonrpc\":\"2.0\", \"id\":1, \"result\": null }\n", &sc), AEGIS_OK);
    assert_int_equal(sc.result, AEGIS_CHAIN_SCAN_NULL);
    assert_false(sc.has_error);
    assert_int_equal(scan("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,\"message\":\"busy\","
                          "\"data\":{\"aegis_code\":807,\"name\":\"AEGIS_ERR_X\"}}}", &sc), AEGIS_OK);
    assert_int_equal(sc.result, AEGIS_CHAIN_SCAN_NO_RESULT);
    assert_true(sc.has_error);
}

#define H64 "0x1111111111111111111111111111111111111111111111111111111111111111"
#define A40 "0x2222222222222222222222222222222222222222"
#define TX(extra) "{\"hash\":\"" H64 "\",\"sender\":\"" A40 "\",\"nonce\":5" extra "}"

static void test_declined(void **state)
{
    (void)state;
    aegis_chain_scan sc;
    assert_int_equal(scan("{\"result\":{\"txs\":[" TX("") "]}}", &sc), AEGIS_OK);
    assert_int_equal(sc.n_txs, 1);
    assert_int_equal(sc.txs[0].nonce, 5);
    aegis_chain_scan_clear(&sc);
    const char *no[] = {
        "{\"result\":{\"txs\":[" TX(",\"x\":\"a\\\"b\"") "]}}",           /* an escape */
        "{\"result\":{\"txs\":[" TX(",\"hash\":\"" H64 "\"") "]}}",          /* a repeated hash */
        "{\"result\":{\"txs\":[" TX(",\"nonce\":6") "]}}",                    /* a repeated nonce */
        "{\"result\":{\"txs\":[],\"txs\":[" TX("") "]}}",                     /* a repeated txs */
        "{\"result\":null,\"result\":{\"txs\":[]}}",                          /* a repeated result */
        "{\"result\":{\"txs\":[" TX(",\"fee\":1.5") "]}}",                    /* a real */
        "{\"result\":{\"txs\":[" TX(",\"big\":1234567890123456789") "]}}",    /* 19 digits */
        "{\"result\":{\"txs\":[" TX(",\"z\":01") "]}}",                       /* a leading zero */
        "{\"result\":{\"txs\":[{\"hash\":\"" H64 "\",\"sender\":\"" A40 "\"}]}}",   /* no nonce */
        "{\"result\":{\"txs\":[{\"hash\":\"" H64 "\",\"sender\":\"" A40 "\",\"nonce\":-1}]}}",
        "{\"result\":{\"txs\":[{\"hash\":\"" H64 "\",\"sender\":\"" A40 "\",\"nonce\":\"5\"}]}}",
        "{\"result\":{\"txs\":[{\"hash\":\"0xAB" "11111111111111111111111111111111111111111111111111111111111111\","
        "\"sender\":\"" A40 "\",\"nonce\":1}]}}",                                /* upper-case hex */
        "{\"result\":{\"txs\":[{\"hash\":\"" A40 "\",\"sender\":\"" A40 "\",\"nonce\":1}]}}",   /* short hash */
        "{\"result\":{\"txs\":{}}}",                                          /* txs not an array */
        "{\"result\":{\"txs\":[7]}}",                                         /* a tx not an object */
        "{\"result\":[]}",                                                    /* result neither batch nor null */
        "{\"result\":null} x",                                                /* trailing bytes */
        "{\"result\":nul}",
        "[{\"result\":null}]",
        "{\"result\":null,}",
        "{\"k\":\"\xc3\xa9\",\"result\":null}",                               /* non-ASCII */
        "",
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (scan(no[i], &sc) != AEGIS_ERR_UNSUPPORTED)
            fail_msg("accepted #%zu: %s", i, no[i]);
    }
    /* deeper than 32 levels */
    char deep[200] = "{\"result\":null,\"d\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    for (int i = 0; i < 40; i++)
        strcat(deep, "]");
    strcat(deep, "}");
    assert_int_equal(scan(deep, &sc), AEGIS_ERR_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_null_and_error),
        cmocka_unit_test(test_declined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
