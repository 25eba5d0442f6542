/* core_risk.c - the quantum-risk monitor inside the core.
 *
 * Signed assessments (src/risk/) set the global score; the level (with
 * hysteresis) decides the algorithm set of new batches, the ordering level
 * and the per-transaction risk the classifier hands the mempool. A level
 * change makes a checkpoint due. All of it runs under core->lock. */
#include <jansson.h>
#include <string.h>

#include "core_int.h"

aegis_err aegis__core_risk_init(aegis_core *core, const aegis_config *cfg, const char **detail)
{
    struct aegis_risk_config rc;
    aegis_err err = aegis_risk_config_from(cfg, &rc);
    if (err) {
        *detail = "invalid quantum risk configuration";
        return err;
    }
    /* a cluster's workers start at different times but must checkpoint the
     * same risk state: its "since" starts at 0 (the cluster's beginning) */
    rc.start_ms = cfg->cluster_nats_urls.n > 0 ? 0 : aegis_wall_ms();
    err = aegis_risk_monitor_new(&rc, &core->risk);
    if (err) {
        *detail = "cannot create the risk monitor";
        return err;
    }
    const char *bad = NULL;
    err = aegis_risk_monitor_load_oracles(core->risk, &cfg->oracle_keys, &bad);
    if (err) {
        *detail = "cannot load an oracle public key listed in quantum.oracle_keys";
        return err;
    }
    core->risk_cls.mon = core->risk;
    core->risk_cls.lookup = NULL;   /* the asset registry plugs in here */
    core->risk_cls.lookup_ctx = NULL;
    core->risk_score = aegis_risk_score(core->risk);
    core->risk_level = aegis_risk_level(core->risk);
    return AEGIS_OK;
}

void aegis__core_risk_free(aegis_core *core)
{
    aegis_risk_monitor_free(core->risk);
    core->risk = NULL;
}

/* Apply what the monitor decided: score, level, and a checkpoint at every
 * level change. Caller holds core->lock. */
void aegis__core_risk_events(aegis_core *core, uint64_t now_ms)
{
    struct aegis_risk_level_event ev[16];
    size_t n;
    bool stricter = false;
    while ((n = aegis_risk_events_take(core->risk, ev, AEGIS_ARRAY_LEN(ev))) > 0) {
        core->checkpoint_due = true;
        for (size_t i = 0; i < n; i++) {   /* entering emergency rotates the keys */
            aegis_rotation_on_level(&core->rot, ev[i].old_level, ev[i].new_level);
            stricter |= ev[i].new_level > ev[i].old_level;
        }
    }
    core->risk_score = aegis_risk_score(core->risk);
    core->risk_level = aegis_risk_level(core->risk);
    /* protections whose risk threshold is now reached activate (audited) */
    if (core->reg) {
        aegis_assets_env env;
        size_t changed = 0;
        aegis__core_assets_env(core, &env);
        if (aegis_assets_activate(core->reg, &env, core->audit, now_ms, &changed) == AEGIS_OK && changed) {
            core->checkpoint_due = true;
            stricter = true;
        }
    }
    /* A higher level or a newly active protection applies to what waits in
     * the mempool too, not only to later submissions. */
    if (stricter && core->reg)
        (void)aegis__core_mempool_recheck(core, now_ms);
}

aegis_err aegis_core_submit_risk(aegis_core *core, const char *json, size_t len, uint64_t now_ms,
                                 char **ret_json)
{
    struct aegis_risk_decision d;
    memset(&d, 0, sizeof(d));
    pthread_mutex_lock(&core->lock);
    aegis_err err = aegis_risk_submit(core->risk, json, len, now_ms, &d);
    aegis__core_risk_events(core, now_ms);
    pthread_mutex_unlock(&core->lock);
    if (ret_json) {
        json_t *j = aegis_risk_decision_json(&d);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        *ret_json = s ? aegis_strdup(s) : NULL;
        free(s);
    }
    return err;
}

/* The last accepted assessment of every source the monitor knows: seq,
 * timestamp and digest, so a restart keeps refusing replays (an exact
 * replay as a duplicate, an older one as out of order). Taken from the
 * monitor's own table, not from the decision ring, so a source survives any
 * number of restarts and of later decisions. */
static json_t *sources_json(const aegis_risk_monitor *mon)
{
    json_t *src = json_object();
    struct aegis_risk_source s;
    for (size_t i = 0; src && aegis_risk_monitor_source_at(mon, i, &s); i++) {
        json_t *o = json_pack("{s:I, s:I}", "seq", (json_int_t)s.seq, "timestamp_ms", (json_int_t)s.timestamp_ms);
        if (o && s.has_digest && json_object_set_new(o, "digest", aegis_json_hex(s.digest, 32)) != 0) {
            json_decref(o);
            o = NULL;
        }
        if (!o || json_object_set_new(src, s.name, o) != 0) {
            json_decref(src);
            src = NULL;
        }
    }
    return src;
}

aegis_err aegis_core_risk_state(aegis_core *core, char **ret_json)
{
    pthread_mutex_lock(&core->lock);
    json_t *j = json_pack("{s:i, s:i, s:I, s:o, s:o}", "score", (int)aegis_risk_score(core->risk),
                          "level", (int)aegis_risk_level(core->risk),
                          "since", (json_int_t)aegis_risk_since(core->risk),
                          "algorithms", aegis_risk_algorithms_json(aegis_risk_algorithms(core->risk)),
                          "sources", sources_json(core->risk));
    pthread_mutex_unlock(&core->lock);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s)
        return AEGIS_ERR_NOMEM;
    *ret_json = aegis_strdup(s);
    free(s);
    return *ret_json ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

aegis_err aegis_core_restore_risk(aegis_core *core, const char *json, size_t len)
{
    json_t *j = json_loadb(json, len, 0, NULL);
    json_t *sc = json_object_get(j, "score"), *lv = json_object_get(j, "level"), *si = json_object_get(j, "since");
    aegis_err err = AEGIS_ERR_CHAIN_FORMAT;
    if (json_is_integer(sc) && json_is_integer(lv) && json_is_integer(si) && json_integer_value(sc) >= 0 &&
        json_integer_value(sc) <= 10000 && json_integer_value(lv) >= 0 && json_integer_value(lv) <= 2 &&
        json_integer_value(si) >= 0) {
        pthread_mutex_lock(&core->lock);
        err = aegis_risk_monitor_restore(core->risk, (uint16_t)json_integer_value(sc),
                                         (uint8_t)json_integer_value(lv), (uint64_t)json_integer_value(si));
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(j, "sources"), name, v) {
            /* digest: absent in states persisted before it was kept */
            uint64_t seq = 0, ts = 0;
            uint8_t digest[32];
            const json_t *dg = json_object_get(v, "digest");
            if (err == AEGIS_OK &&
                (!aegis_json_uint(json_object_get(v, "seq"), INT64_MAX, &seq) ||
                 !aegis_json_uint(json_object_get(v, "timestamp_ms"), INT64_MAX, &ts) ||
                 (dg && !aegis_json_hex_exact(dg, digest, 32))))
                err = AEGIS_ERR_CHAIN_FORMAT;
            if (err == AEGIS_OK)
                err = aegis_risk_monitor_restore_source(core->risk, name, seq, ts, dg ? digest : NULL);
        }
        struct aegis_risk_level_event ev[4];
        while (aegis_risk_events_take(core->risk, ev, AEGIS_ARRAY_LEN(ev)) > 0)
            ;   /* restoring is not a level change */
        core->risk_score = aegis_risk_score(core->risk);
        core->risk_level = aegis_risk_level(core->risk);
        pthread_mutex_unlock(&core->lock);
    }
    json_decref(j);
    return err;
}
