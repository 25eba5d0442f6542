/* qrm_model.c - the built-in signals, the transforms and the score
 * (aegis/qrm.h, docs/internals/qrm.md). */
#include <math.h>
#include <string.h>

#include "aegis/qrm.h"

/* The named signals of the built-in model. Bounds and weights are the
 * documented defaults; a signals file may override any of them. */
static const struct aegis_qrm_signal builtins[] = {
    /* largest published gate-model device, physical qubits: 1,000 -> 0,
     * 1,000,000 (order of the published estimates for breaking RSA-2048 /
     * 256-bit ECC with surface codes) -> full */
    { "physical_qubits", 0, AEGIS_QRM_LOG10, 1e3, 1e6, 0, 2500, true },
    /* largest demonstrated error-corrected logical qubits: 10 -> 0, 2,330
     * (Roetteler et al. 2017: logical qubits for a 256-bit ECDLP) -> full */
    { "logical_qubits", 0, AEGIS_QRM_LOG10, 10, 2330, 0, 4500, true },
    /* a published practical break of secp256k1 / ECDSA (classical or
     * quantum), 0 or 1 (true): alone it reaches emergency */
    { "algorithm_break", 0, AEGIS_QRM_STEP, 0, 0, 1, 10000, true },
    /* strongest NIST / national-agency advisory on ECDSA in force: 0 none,
     * 1 plan migration, 2 migrate now (deprecated), 3 disallowed */
    { "advisory", 0, AEGIS_QRM_LINEAR, 0, 3, 0, 9000, true },
    /* expert estimate, percent, of a cryptographically relevant quantum
     * computer within 10 years (e.g. a published expert survey) */
    { "crqc_10y_percent", 0, AEGIS_QRM_LINEAR, 0, 100, 0, 3000, true },
};

const char *aegis_qrm_transform_name(uint8_t t)
{
    switch (t) {
    case AEGIS_QRM_LINEAR:
        return "linear";
    case AEGIS_QRM_LOG10:
        return "log10";
    case AEGIS_QRM_STEP:
        return "step";
    default:
        return "?";
    }
}

bool aegis_qrm_builtin(const char *name, struct aegis_qrm_signal *ret)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        if (strcmp(builtins[i].name, name) == 0) {
            if (ret)
                *ret = builtins[i];
            return true;
        }
    }
    return false;
}

static uint16_t scale(double x)   /* x in any range -> round(10000 * clamp(x, 0, 1)) */
{
    if (!(x > 0))   /* also NaN */
        return 0;
    if (x >= 1)
        return AEGIS_QRM_FULL;
    return (uint16_t)lround(x * AEGIS_QRM_FULL);
}

uint16_t aegis_qrm_risk(const struct aegis_qrm_signal *s)
{
    switch (s->transform) {
    case AEGIS_QRM_LINEAR:
        return s->hi > s->lo ? scale((s->value - s->lo) / (s->hi - s->lo)) : 0;
    case AEGIS_QRM_LOG10:
        if (!(s->lo > 0) || !(s->hi > s->lo) || !(s->value > 0))
            return 0;
        return scale((log10(s->value) - log10(s->lo)) / (log10(s->hi) - log10(s->lo)));
    case AEGIS_QRM_STEP:
        return s->value >= s->at ? AEGIS_QRM_FULL : 0;
    default:
        return 0;
    }
}

uint8_t aegis_qrm_level(const aegis_qrm_signals *s, uint16_t score)
{
    return score >= s->emergency ? 2 : score >= s->scheduled ? 1 : 0;
}

void aegis_qrm_score(const aegis_qrm_signals *s, struct aegis_qrm_result *ret)
{
    memset(ret, 0, sizeof(*ret));
    uint32_t sum = 0;
    for (size_t i = 0; i < s->n && i < AEGIS_QRM_MAX_SIGNALS; i++) {
        ret->risk[i] = aegis_qrm_risk(&s->sig[i]);
        uint16_t w = s->sig[i].weight > AEGIS_QRM_FULL ? AEGIS_QRM_FULL : s->sig[i].weight;
        ret->part[i] = (uint16_t)(((uint32_t)w * ret->risk[i] + AEGIS_QRM_FULL / 2) / AEGIS_QRM_FULL);
        sum += ret->part[i];
    }
    ret->score = (uint16_t)(sum > AEGIS_QRM_FULL ? AEGIS_QRM_FULL : sum);
    if (s->has_override) {
        ret->score = s->override > AEGIS_QRM_FULL ? AEGIS_QRM_FULL : s->override;
        ret->overridden = true;
    }
    ret->level = aegis_qrm_level(s, ret->score);
}
