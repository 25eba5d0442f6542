/* risk_monitor.c - the risk monitor: oracle keys, assessment admission,
 * the decision record (a ring), the level state and its events. */
#include <string.h>

#include "risk_int.h"

struct oracle {
    uint8_t id[32];
    uint8_t pk[AEGIS_MLDSA87_PK_BYTES];
};

struct source {
    char name[AEGIS_RISK_SOURCE_MAX + 1];
    uint64_t seq, timestamp_ms;
    uint8_t digest[32];
    bool has_digest;     /* false: restored from a state persisted without it */
};

struct aegis_risk_monitor {
    struct aegis_risk_config cfg;
    struct oracle *oracles;
    size_t n_oracles;
    struct source sources[AEGIS_RISK_MAX_SOURCES];
    size_t n_sources;

    uint16_t score;
    uint8_t level;
    uint64_t since_ms;
    uint8_t recommended;
    struct aegis_risk_asset_score *assets;   /* the latest accepted overrides */
    size_t n_assets;

    struct aegis_risk_decision *ring;        /* cfg.history entries */
    uint64_t n_decisions;                    /* total ever; ring[i % history] */

    struct aegis_risk_level_event *events;   /* cfg.max_events, FIFO */
    size_t ev_head, ev_count;
    uint64_t ev_dropped;
};

aegis_err aegis_risk_monitor_new(const struct aegis_risk_config *rc, aegis_risk_monitor **ret)
{
    const struct aegis_risk_levels *lv = &rc->levels;
    if (lv->emergency > AEGIS_RISK_SCORE_MAX || lv->scheduled >= lv->emergency ||
        lv->hysteresis > lv->scheduled || rc->history == 0 || rc->history > 65536 ||
        rc->max_events == 0 || rc->max_events > 4096 || rc->initial_score > AEGIS_RISK_SCORE_MAX ||
        rc->max_age_ms == 0 || (rc->algs.pqc & ~(AEGIS_ALG_MLDSA87 | AEGIS_ALG_SLHDSA256S)))
        return AEGIS_ERR_RISK_BAD_CONFIG;
    aegis_risk_monitor *m = aegis_calloc(1, sizeof(*m));
    if (!m)
        return AEGIS_ERR_NOMEM;
    m->cfg = *rc;
    m->ring = aegis_calloc(rc->history, sizeof(m->ring[0]));
    m->events = aegis_calloc(rc->max_events, sizeof(m->events[0]));
    if (!m->ring || !m->events) {
        aegis_risk_monitor_free(m);
        return AEGIS_ERR_NOMEM;
    }
    m->score = rc->initial_score;
    m->level = aegis_risk_level_raw(lv, rc->initial_score);
    m->since_ms = rc->start_ms;
    *ret = m;
    return AEGIS_OK;
}

void aegis_risk_monitor_free(aegis_risk_monitor *m)
{
    if (!m)
        return;
    aegis_free(m->oracles);
    aegis_free(m->assets);
    aegis_free(m->ring);
    aegis_free(m->events);
    aegis_free(m);
}

/* ---- oracles ---- */

aegis_err aegis_risk_monitor_add_oracle(aegis_risk_monitor *m, const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES])
{
    uint8_t id[32];
    aegis_risk_key_id(id, pk);
    for (size_t i = 0; i < m->n_oracles; i++)
        if (memcmp(m->oracles[i].id, id, 32) == 0)
            return AEGIS_ERR_EXISTS;
    if (m->n_oracles >= AEGIS_RISK_MAX_ORACLES)
        return AEGIS_ERR_TOO_BIG;
    struct oracle *o = aegis_realloc(m->oracles, (m->n_oracles + 1) * sizeof(*o));
    if (!o)
        return AEGIS_ERR_NOMEM;
    m->oracles = o;
    memcpy(o[m->n_oracles].id, id, 32);
    memcpy(o[m->n_oracles].pk, pk, AEGIS_MLDSA87_PK_BYTES);
    m->n_oracles++;
    return AEGIS_OK;
}

aegis_err aegis_risk_monitor_load_oracles(aegis_risk_monitor *m, const aegis_strlist *paths, const char **ret_bad)
{
    for (size_t i = 0; i < paths->n; i++) {
        const char *type = NULL;
        uint8_t *pk = NULL;
        size_t n = 0;
        aegis_err err = aegis_keyfile_read(paths->items[i], false, &type, &pk, &n);
        if (err == AEGIS_OK && (strcmp(type, "ml-dsa-87") != 0 || n != AEGIS_MLDSA87_PK_BYTES))
            err = AEGIS_ERR_RISK_BAD_ORACLE_KEY;
        if (err == AEGIS_OK)
            err = aegis_risk_monitor_add_oracle(m, pk);
        aegis_free(pk);
        if (err != AEGIS_OK) {
            if (ret_bad)
                *ret_bad = paths->items[i];
            return err;
        }
    }
    return AEGIS_OK;
}

size_t aegis_risk_monitor_oracle_count(const aegis_risk_monitor *m)
{
    return m->n_oracles;
}

static const struct oracle *find_oracle(const aegis_risk_monitor *m, const uint8_t id[32])
{
    for (size_t i = 0; i < m->n_oracles; i++)
        if (memcmp(m->oracles[i].id, id, 32) == 0)
            return &m->oracles[i];
    return NULL;
}

static struct source *find_source(aegis_risk_monitor *m, const char *name)
{
    for (size_t i = 0; i < m->n_sources; i++)
        if (strcmp(m->sources[i].name, name) == 0)
            return &m->sources[i];
    return NULL;
}

/* ---- record and events ---- */

static void record(aegis_risk_monitor *m, struct aegis_risk_decision *d, struct aegis_risk_decision *ret)
{
    d->index = m->n_decisions;
    m->ring[m->n_decisions % m->cfg.history] = *d;
    m->n_decisions++;
    if (ret)
        *ret = *d;
}

static void push_event(aegis_risk_monitor *m, const struct aegis_risk_level_event *ev)
{
    if (m->ev_count == m->cfg.max_events) {      /* drop the oldest */
        m->ev_head = (m->ev_head + 1) % m->cfg.max_events;
        m->ev_count--;
        m->ev_dropped++;
    }
    m->events[(m->ev_head + m->ev_count) % m->cfg.max_events] = *ev;
    m->ev_count++;
}

/* ---- admission ---- */

/* The per-source and clock rules, after the signature has been checked. */
static aegis_err check_fresh(aegis_risk_monitor *m, const aegis_risk_assessment *a, const uint8_t digest[32],
                             uint64_t now_ms, struct source **ret_src)
{
    if (a->timestamp_ms > now_ms && a->timestamp_ms - now_ms > m->cfg.max_skew_ms)
        return AEGIS_ERR_RISK_FUTURE;
    if (now_ms > a->timestamp_ms && now_ms - a->timestamp_ms > m->cfg.max_age_ms)
        return AEGIS_ERR_RISK_STALE;
    struct source *s = find_source(m, a->source);
    if (s) {
        if (s->has_digest && a->seq == s->seq && memcmp(digest, s->digest, 32) == 0)
            return AEGIS_ERR_RISK_DUPLICATE;
        if (a->seq <= s->seq || a->timestamp_ms < s->timestamp_ms)
            return AEGIS_ERR_RISK_OUT_OF_ORDER;
    } else if (m->n_sources >= AEGIS_RISK_MAX_SOURCES) {
        return AEGIS_ERR_RISK_TOO_MANY_SOURCES;
    }
    *ret_src = s;
    return AEGIS_OK;
}

/* Take ownership of a's overrides and move the level. Cannot fail. */
static void apply(aegis_risk_monitor *m, aegis_risk_assessment *a, uint64_t now_ms, uint64_t index)
{
    aegis_free(m->assets);
    m->assets = a->assets;
    m->n_assets = a->n_assets;
    a->assets = NULL;
    a->n_assets = 0;
    m->score = a->score;
    m->recommended = a->algorithms;
    uint8_t old = m->level, nl = aegis_risk_level_next(&m->cfg.levels, old, a->score);
    if (nl == old)
        return;
    struct aegis_risk_level_event ev = {
        .at_ms = now_ms, .old_level = old, .new_level = nl,
        .old_algorithms = aegis_risk_algorithms_for(&m->cfg.algs, old),
        .new_algorithms = aegis_risk_algorithms_for(&m->cfg.algs, nl),
        .score = a->score, .decision_index = index,
    };
    m->level = nl;
    m->since_ms = now_ms;
    push_event(m, &ev);
    if (m->cfg.on_level)
        m->cfg.on_level(m->cfg.on_level_ctx, &ev);
}

static aegis_err submit_parsed(aegis_risk_monitor *m, aegis_err perr, aegis_risk_assessment *a,
                               const void *raw, size_t raw_len, uint64_t now_ms, struct aegis_risk_decision *ret)
{
    struct aegis_risk_decision d;
    memset(&d, 0, sizeof(d));
    d.at_ms = now_ms;
    d.level_before = d.level_after = m->level;
    aegis_err err = perr;
    if (err == AEGIS_ERR_NOMEM)
        return err;
    if (err != AEGIS_OK) {
        aegis_keccak256(d.digest, raw, raw_len);
        goto done;
    }
    d.parsed = true;
    memcpy(d.source, a->source, sizeof(d.source));
    d.seq = a->seq;
    d.timestamp_ms = a->timestamp_ms;
    d.score = a->score;
    memcpy(d.key_id, a->key_id, 32);
    if ((err = aegis_risk_assessment_digest(a, d.digest)) != AEGIS_OK)
        goto done;
    const struct oracle *o = find_oracle(m, a->key_id);
    if (!o) {
        err = AEGIS_ERR_RISK_UNKNOWN_KEY;
        goto done;
    }
    if ((err = aegis_risk_assessment_verify(a, o->pk)) != AEGIS_OK)
        goto done;
    struct source *s = NULL;
    if ((err = check_fresh(m, a, d.digest, now_ms, &s)) != AEGIS_OK)
        goto done;
    if (!s) {
        s = &m->sources[m->n_sources++];
        memcpy(s->name, a->source, sizeof(s->name));
    }
    s->seq = a->seq;
    s->timestamp_ms = a->timestamp_ms;
    memcpy(s->digest, d.digest, 32);
    s->has_digest = true;
    apply(m, a, now_ms, m->n_decisions);
    d.level_after = m->level;
done:
    d.result = err;
    record(m, &d, ret);
    return err;
}

aegis_err aegis_risk_submit(aegis_risk_monitor *m, const char *json, size_t len, uint64_t now_ms,
                            struct aegis_risk_decision *ret)
{
    aegis_risk_assessment a;
    memset(&a, 0, sizeof(a));
    aegis_err perr = aegis_risk_assessment_parse(json, len, &a);
    aegis_err err = submit_parsed(m, perr, &a, json, len, now_ms, ret);
    aegis_risk_assessment_clear(&a);
    return err;
}

aegis_err aegis_risk_submit_json(aegis_risk_monitor *m, const json_t *obj, uint64_t now_ms,
                                 struct aegis_risk_decision *ret)
{
    aegis_risk_assessment a;
    memset(&a, 0, sizeof(a));
    aegis_err perr = aegis_risk_assessment_from_json(obj, &a);
    char *raw = NULL;
    if (perr != AEGIS_OK && perr != AEGIS_ERR_NOMEM) {
        raw = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (!raw)
            perr = AEGIS_ERR_NOMEM;
    }
    aegis_err err = submit_parsed(m, perr, &a, raw ? raw : "", raw ? strlen(raw) : 0, now_ms, ret);
    free(raw);
    aegis_risk_assessment_clear(&a);
    return err;
}

/* ---- state ---- */

uint16_t aegis_risk_score(const aegis_risk_monitor *m) { return m->score; }
uint8_t aegis_risk_level(const aegis_risk_monitor *m) { return m->level; }
uint64_t aegis_risk_since(const aegis_risk_monitor *m) { return m->since_ms; }
uint8_t aegis_risk_recommended(const aegis_risk_monitor *m) { return m->recommended; }

uint8_t aegis_risk_algorithms(const aegis_risk_monitor *m)
{
    return aegis_risk_algorithms_for(&m->cfg.algs, m->level);
}

bool aegis_risk_asset_score(const aegis_risk_monitor *m, const char *id, uint16_t *ret)
{
    size_t lo = 0, hi = m->n_assets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->assets[mid].id, id);
        if (c == 0) {
            *ret = m->assets[mid].score;
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *ret = m->score;
    return false;
}

json_t *aegis_risk_status_json(const aegis_risk_monitor *m)
{
    json_t *o = json_pack("{s:i, s:s, s:I, s:o}", "score", (int)m->score, "level",
                          aegis_risk_level_name(m->level), "since", (json_int_t)m->since_ms,
                          "algorithms", aegis_risk_algorithms_json(aegis_risk_algorithms(m)));
    if (o && m->recommended &&
        json_object_set_new(o, "recommended", aegis_risk_algorithms_json(m->recommended)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

uint64_t aegis_risk_decision_count(const aegis_risk_monitor *m)
{
    return m->n_decisions;
}

size_t aegis_risk_decisions(const aegis_risk_monitor *m, uint64_t from, struct aegis_risk_decision *out, size_t max)
{
    uint64_t first = m->n_decisions > m->cfg.history ? m->n_decisions - m->cfg.history : 0;
    if (from < first)
        from = first;
    size_t n = 0;
    for (uint64_t i = from; i < m->n_decisions && n < max; i++)
        out[n++] = m->ring[i % m->cfg.history];
    return n;
}

json_t *aegis_risk_decision_json(const struct aegis_risk_decision *d)
{
    json_t *o = json_pack("{s:I, s:I, s:b, s:s, s:i, s:o, s:s, s:s}", "index", (json_int_t)d->index,
                          "at_ms", (json_int_t)d->at_ms, "accepted", d->result == AEGIS_OK,
                          "result", d->result == AEGIS_OK ? "accepted" : aegis_err_name(d->result),
                          "code", (int)d->result, "digest", aegis_json_hex(d->digest, 32),
                          "level_before", aegis_risk_level_name(d->level_before),
                          "level_after", aegis_risk_level_name(d->level_after));
    if (o && d->parsed) {
        json_t *p = json_pack("{s:s, s:I, s:I, s:i, s:o}", "source", d->source, "seq", (json_int_t)d->seq,
                              "timestamp_ms", (json_int_t)d->timestamp_ms, "score", (int)d->score,
                              "key", aegis_json_hex(d->key_id, 32));
        if (!p || json_object_update(o, p) != 0) {
            json_decref(p);
            json_decref(o);
            return NULL;
        }
        json_decref(p);
    }
    return o;
}

size_t aegis_risk_events_take(aegis_risk_monitor *m, struct aegis_risk_level_event *out, size_t max)
{
    size_t n = 0;
    while (n < max && m->ev_count > 0) {
        out[n++] = m->events[m->ev_head];
        m->ev_head = (m->ev_head + 1) % m->cfg.max_events;
        m->ev_count--;
    }
    return n;
}

uint64_t aegis_risk_events_dropped(const aegis_risk_monitor *m)
{
    return m->ev_dropped;
}

aegis_err aegis_risk_monitor_restore(aegis_risk_monitor *m, uint16_t score, uint8_t level, uint64_t since_ms)
{
    if (score > AEGIS_RISK_SCORE_MAX || level > AEGIS_RISK_EMERGENCY)
        return AEGIS_ERR_INVAL;
    m->score = score;
    m->level = level;
    m->since_ms = since_ms;
    return AEGIS_OK;
}

aegis_err aegis_risk_monitor_restore_source(aegis_risk_monitor *m, const char *name, uint64_t seq,
                                            uint64_t timestamp_ms, const uint8_t *digest)
{
    if (!aegis__risk_valid_id(name, AEGIS_RISK_SOURCE_MAX))
        return AEGIS_ERR_INVAL;
    struct source *s = find_source(m, name);
    if (!s) {
        if (m->n_sources >= AEGIS_RISK_MAX_SOURCES)
            return AEGIS_ERR_RISK_TOO_MANY_SOURCES;
        s = &m->sources[m->n_sources++];
        memset(s, 0, sizeof(*s));
        memcpy(s->name, name, strlen(name) + 1);
    }
    s->seq = seq;
    s->timestamp_ms = timestamp_ms;
    /* The digest makes an exact replay a duplicate after a restart too;
     * without it the replay is still refused, as out of order. */
    s->has_digest = digest != NULL;
    if (digest)
        memcpy(s->digest, digest, 32);
    else
        memset(s->digest, 0, 32);
    return AEGIS_OK;
}

size_t aegis_risk_monitor_source_count(const aegis_risk_monitor *m)
{
    return m->n_sources;
}

bool aegis_risk_monitor_source_at(const aegis_risk_monitor *m, size_t i, struct aegis_risk_source *ret)
{
    if (i >= m->n_sources)
        return false;
    const struct source *s = &m->sources[i];
    memset(ret, 0, sizeof(*ret));
    memcpy(ret->name, s->name, sizeof(ret->name));
    ret->seq = s->seq;
    ret->timestamp_ms = s->timestamp_ms;
    memcpy(ret->digest, s->digest, 32);
    ret->has_digest = s->has_digest;
    return true;
}
