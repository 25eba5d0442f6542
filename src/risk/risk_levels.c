/* risk_levels.c - levels with hysteresis and the algorithm set per level. */
#include <string.h>

#include "risk_int.h"

const char *aegis_risk_level_name(uint8_t level)
{
    switch (level) {
    case AEGIS_RISK_NORMAL: return "normal";
    case AEGIS_RISK_SCHEDULED: return "scheduled";
    case AEGIS_RISK_EMERGENCY: return "emergency";
    default: return "?";
    }
}

uint8_t aegis_risk_level_raw(const struct aegis_risk_levels *lv, uint16_t score)
{
    if (score >= lv->emergency)
        return AEGIS_RISK_EMERGENCY;
    if (score >= lv->scheduled)
        return AEGIS_RISK_SCHEDULED;
    return AEGIS_RISK_NORMAL;
}

uint8_t aegis_risk_level_next(const struct aegis_risk_levels *lv, uint8_t cur, uint16_t score)
{
    uint8_t up = aegis_risk_level_raw(lv, score);
    if (up >= cur)
        return up;
    /* Falling: the level the score would have were it `hysteresis` higher,
     * never above the current one. A score within the margin below a
     * threshold therefore keeps the level: no flapping around it. */
    uint32_t lifted = (uint32_t)score + lv->hysteresis;
    uint8_t held = aegis_risk_level_raw(lv, lifted > 0xffff ? 0xffff : (uint16_t)lifted);
    return held < cur ? held : cur;
}

aegis_err aegis_risk_alg_policy_from_config(const struct aegis_config *cfg, struct aegis_risk_alg_policy *ret)
{
    struct aegis_risk_alg_policy p = { AEGIS_ALG_MLDSA87, cfg->hybrid_ecdsa };
    for (size_t i = 0; i < cfg->signature_algorithms.n; i++) {
        const char *s = cfg->signature_algorithms.items[i];
        if (strcmp(s, "ML-DSA-87") == 0)
            p.pqc |= AEGIS_ALG_MLDSA87;
        else if (strcmp(s, "SLH-DSA-256s") == 0 || strcmp(s, "SLH-DSA-SHA2-256s") == 0)
            p.pqc |= AEGIS_ALG_SLHDSA256S;
        else
            return AEGIS_ERR_RISK_BAD_CONFIG;
    }
    *ret = p;
    return AEGIS_OK;
}

uint8_t aegis_risk_algorithms_for(const struct aegis_risk_alg_policy *p, uint8_t level)
{
    /* Batches always carry ML-DSA-87; ECDSA only below emergency. */
    uint8_t set = (uint8_t)((p->pqc & (AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S)) | AEGIS_ALG_MLDSA87);
    if (p->hybrid_ecdsa && level < AEGIS_RISK_EMERGENCY)
        set |= AEGIS_ALG_ECDSA;
    return set;
}

void aegis_risk_config_defaults(struct aegis_risk_config *rc)
{
    memset(rc, 0, sizeof(*rc));
    rc->levels.scheduled = 6000;
    rc->levels.emergency = 9000;
    rc->levels.hysteresis = 500;
    rc->algs.pqc = AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S;
    rc->algs.hybrid_ecdsa = true;
    rc->max_age_ms = 600000;
    rc->max_skew_ms = 30000;
    rc->history = 256;
    rc->max_events = 64;
}

aegis_err aegis_risk_config_from(const struct aegis_config *cfg, struct aegis_risk_config *rc)
{
    struct aegis_risk_config c;
    aegis_risk_config_defaults(&c);
    if (cfg->risk_scheduled > AEGIS_RISK_SCORE_MAX || cfg->risk_emergency > AEGIS_RISK_SCORE_MAX ||
        cfg->risk_emergency <= cfg->risk_scheduled)
        return AEGIS_ERR_RISK_BAD_CONFIG;
    c.levels.scheduled = (uint16_t)cfg->risk_scheduled;
    c.levels.emergency = (uint16_t)cfg->risk_emergency;
    if (c.levels.hysteresis > c.levels.scheduled)
        c.levels.hysteresis = c.levels.scheduled;
    aegis_err err = aegis_risk_alg_policy_from_config(cfg, &c.algs);
    if (err != AEGIS_OK)
        return err;
    *rc = c;
    return AEGIS_OK;
}
