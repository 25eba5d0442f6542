/* fuzz_assessment.c - libFuzzer target for the signed risk assessment
 * format (aegis/risk.h).
 *
 * Parses the input strictly; on success checks the round trip (to_json ->
 * parse gives the same canonical digest) and then submits the text to a
 * monitor that trusts one fixed oracle key, so the key lookup, signature,
 * freshness and per-source paths run as well. Must never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/risk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aegis_risk_assessment a, b;
    if (aegis_risk_assessment_parse((const char *)data, size, &a) == AEGIS_OK) {
        uint8_t d1[32], d2[32];
        if (aegis_risk_assessment_digest(&a, d1) != AEGIS_OK)
            abort();
        json_t *j = aegis_risk_assessment_to_json(&a);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (!s || aegis_risk_assessment_parse(s, strlen(s), &b) != AEGIS_OK)
            abort();
        if (aegis_risk_assessment_digest(&b, d2) != AEGIS_OK || memcmp(d1, d2, 32) != 0)
            abort();
        aegis_risk_assessment_clear(&b);
        free(s);
        json_decref(j);
        aegis_risk_assessment_clear(&a);
    }
    /* The oracle of the seed corpus: ML-DSA-87 from the seed 32 x 0x01. */
    static uint8_t pk[AEGIS_MLDSA87_PK_BYTES], sk[AEGIS_MLDSA87_SK_BYTES];
    static int have_key;
    if (!have_key) {
        uint8_t seed[32];
        memset(seed, 1, sizeof(seed));
        if (aegis_mldsa87_keygen_seed(pk, sk, seed) != AEGIS_OK)
            abort();
        have_key = 1;
    }
    struct aegis_risk_config rc;
    aegis_risk_config_defaults(&rc);
    rc.history = 4;
    aegis_risk_monitor *m = NULL;
    if (aegis_risk_monitor_new(&rc, &m) != AEGIS_OK || aegis_risk_monitor_add_oracle(m, pk) != AEGIS_OK)
        abort();
    struct aegis_risk_decision d;
    /* twice: the second submission exercises the duplicate path */
    aegis_err e1 = aegis_risk_submit(m, (const char *)data, size, 1700000000000ull, &d);
    aegis_err e2 = aegis_risk_submit(m, (const char *)data, size, 1700000000000ull, NULL);
    if (e1 == AEGIS_OK && e2 != AEGIS_ERR_RISK_DUPLICATE)
        abort();
    if (d.result != e1 || aegis_risk_decision_count(m) != 2)
        abort();
    json_t *st = aegis_risk_status_json(m);
    json_t *dj = aegis_risk_decision_json(&d);
    json_decref(st);
    json_decref(dj);
    aegis_risk_monitor_free(m);
    return 0;
}
