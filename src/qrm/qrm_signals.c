/* qrm_signals.c - strict parser of the QRM Monitor's signals file (TOML;
 * aegis/qrm.h, docs/internals/qrm.md). Only the documented keys, each of
 * the documented type and range; the first problem is named with its line. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aegis/batch.h"
#include "aegis/qrm.h"
#include "aegis/toml.h"
#include "aegis/util.h"

struct ctx {
    char *msg;
    size_t cap;
};

__attribute__((format(printf, 3, 4))) static aegis_err fail(struct ctx *c, const aegis_toml_value *at,
                                                             const char *fmt, ...)
{
    if (c->msg && c->cap) {
        unsigned line = 0, col = 0;
        if (at)
            aegis_toml_pos(at, &line, &col);
        int n = line ? snprintf(c->msg, c->cap, "line %u: ", line) : 0;
        if (n < 0 || (size_t)n >= c->cap)
            n = 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->msg + n, c->cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return AEGIS_ERR_QRM_SIGNALS;
}

static bool int_in(const aegis_toml_value *v, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t x;
    if (aegis_toml_type_of(v) != AEGIS_TOML_INTEGER || !aegis_toml_int(v, &x) || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

/* An integer, a float (finite) or a bool (0 / 1). */
static bool number(const aegis_toml_value *v, double *out)
{
    int64_t i;
    bool b;
    double d;
    switch (aegis_toml_type_of(v)) {
    case AEGIS_TOML_INTEGER:
        if (!aegis_toml_int(v, &i))
            return false;
        *out = (double)i;
        return true;
    case AEGIS_TOML_FLOAT:
        if (!aegis_toml_float(v, &d) || !isfinite(d))
            return false;
        *out = d;
        return true;
    case AEGIS_TOML_BOOL:
        if (!aegis_toml_bool(v, &b))
            return false;
        *out = b ? 1 : 0;
        return true;
    default:
        return false;
    }
}

static bool name_ok(const char *k, size_t len)
{
    if (len == 0 || len > AEGIS_QRM_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = k[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}

static aegis_err parse_signal(struct ctx *c, const char *name, const aegis_toml_value *t, struct aegis_qrm_signal *s)
{
    memset(s, 0, sizeof(*s));
    bool builtin = aegis_qrm_builtin(name, s);
    memcpy(s->name, name, strlen(name) + 1);
    s->builtin = builtin;
    if (aegis_toml_type_of(t) != AEGIS_TOML_TABLE)
        return fail(c, t, "signals.%s: must be a table with at least `value`", name);
    bool has_value = false, has_weight = false, has_tf = false, has_lo = false, has_hi = false, has_at = false;
    for (size_t i = 0; i < aegis_toml_len(t); i++) {
        const char *k;
        size_t kl;
        const aegis_toml_value *v = aegis_toml_table_at(t, i, &k, &kl);
        int64_t x;
        if (strcmp(k, "value") == 0) {
            if (!number(v, &s->value))
                return fail(c, v, "signals.%s.value: must be a number or a boolean", name);
            has_value = true;
        } else if (strcmp(k, "weight") == 0) {
            if (!int_in(v, 0, AEGIS_QRM_FULL, &x))
                return fail(c, v, "signals.%s.weight: must be an integer 0..10000", name);
            s->weight = (uint16_t)x;
            has_weight = true;
        } else if (strcmp(k, "transform") == 0) {
            const char *tf = aegis_toml_type_of(v) == AEGIS_TOML_STRING ? aegis_toml_string(v, NULL) : "";
            s->transform = strcmp(tf, "linear") == 0 ? AEGIS_QRM_LINEAR
                         : strcmp(tf, "log10") == 0  ? AEGIS_QRM_LOG10
                         : strcmp(tf, "step") == 0   ? AEGIS_QRM_STEP
                                                     : 0;
            if (!s->transform)
                return fail(c, v, "signals.%s.transform: must be \"linear\", \"log10\" or \"step\"", name);
            has_tf = true;
        } else if (strcmp(k, "lo") == 0 || strcmp(k, "hi") == 0 || strcmp(k, "at") == 0) {
            double d;
            if (!number(v, &d) || aegis_toml_type_of(v) == AEGIS_TOML_BOOL)
                return fail(c, v, "signals.%s.%s: must be a finite number", name, k);
            if (k[0] == 'l') {
                s->lo = d;
                has_lo = true;
            } else if (k[0] == 'h') {
                s->hi = d;
                has_hi = true;
            } else {
                s->at = d;
                has_at = true;
            }
        } else if (strcmp(k, "note") == 0) {
            if (aegis_toml_type_of(v) != AEGIS_TOML_STRING)
                return fail(c, v, "signals.%s.note: must be a string", name);
        } else {
            return fail(c, v, "signals.%s: unknown key `%s` (value, weight, transform, lo, hi, at, note)", name, k);
        }
    }
    if (!has_value)
        return fail(c, t, "signals.%s: `value` is missing", name);
    if (!builtin && (!has_tf || !has_weight))
        return fail(c, t, "signals.%s: not a built-in signal, so `transform` and `weight` are required", name);
    /* the built-in bounds stand unless the file picks another transform:
     * then (as for a signal of its own) it gives the bounds itself */
    struct aegis_qrm_signal d;
    bool own_bounds = !builtin || (aegis_qrm_builtin(name, &d) && d.transform != s->transform);
    if (s->transform == AEGIS_QRM_STEP) {
        if (has_lo || has_hi)
            return fail(c, t, "signals.%s: a step transform takes `at`, not `lo` / `hi`", name);
        if (own_bounds && !has_at)
            return fail(c, t, "signals.%s: a step transform needs `at`", name);
    } else {
        if (has_at)
            return fail(c, t, "signals.%s: `at` is for the step transform (this one takes `lo` and `hi`)", name);
        if (own_bounds && (!has_lo || !has_hi))
            return fail(c, t, "signals.%s: a %s transform needs `lo` and `hi`", name,
                        aegis_qrm_transform_name(s->transform));
        if (!(s->hi > s->lo))
            return fail(c, t, "signals.%s: needs lo < hi", name);
        if (s->transform == AEGIS_QRM_LOG10 && !(s->lo > 0))
            return fail(c, t, "signals.%s: a log10 transform needs lo > 0", name);
    }
    return AEGIS_OK;
}

static aegis_err parse_doc(struct ctx *c, const aegis_toml_value *doc, aegis_qrm_signals *s)
{
    bool has_version = false;
    for (size_t i = 0; i < aegis_toml_len(doc); i++) {
        const char *k;
        size_t kl;
        const aegis_toml_value *v = aegis_toml_table_at(doc, i, &k, &kl);
        int64_t x;
        if (strcmp(k, "version") == 0) {
            if (!int_in(v, AEGIS_QRM_VERSION, AEGIS_QRM_VERSION, &x))
                return fail(c, v, "version: must be 1");
            has_version = true;
        } else if (strcmp(k, "override") == 0) {
            if (!int_in(v, 0, AEGIS_QRM_FULL, &x))
                return fail(c, v, "override: must be an integer 0..10000 (remove the key for no override)");
            s->has_override = true;
            s->override = (uint16_t)x;
        } else if (strcmp(k, "min_change") == 0) {
            if (!int_in(v, 1, AEGIS_QRM_FULL, &x))
                return fail(c, v, "min_change: must be an integer 1..10000");
            s->min_change = (uint16_t)x;
        } else if (strcmp(k, "algorithms") == 0) {
            if (aegis_toml_type_of(v) != AEGIS_TOML_ARRAY)
                return fail(c, v, "algorithms: must be an array of names");
            for (size_t j = 0; j < aegis_toml_len(v); j++) {
                const aegis_toml_value *e = aegis_toml_array_at(v, j);
                const char *a = aegis_toml_type_of(e) == AEGIS_TOML_STRING ? aegis_toml_string(e, NULL) : "";
                uint8_t bit = strcmp(a, "ML-DSA-87") == 0                                          ? AEGIS_ALG_MLDSA87
                            : strcmp(a, "SLH-DSA-256s") == 0 || strcmp(a, "SLH-DSA-SHA2-256s") == 0 ? AEGIS_ALG_SLHDSA256S
                            : strcmp(a, "ECDSA") == 0                                              ? AEGIS_ALG_ECDSA
                                                                                                   : 0;
                if (!bit)
                    return fail(c, e, "algorithms: \"ML-DSA-87\", \"SLH-DSA-256s\" or \"ECDSA\"");
                s->algorithms |= bit;
            }
        } else if (strcmp(k, "levels") == 0) {
            if (aegis_toml_type_of(v) != AEGIS_TOML_TABLE)
                return fail(c, v, "levels: must be a table");
            for (size_t j = 0; j < aegis_toml_len(v); j++) {
                const char *lk;
                const aegis_toml_value *lv = aegis_toml_table_at(v, j, &lk, NULL);
                bool sch = strcmp(lk, "scheduled") == 0;
                if (!sch && strcmp(lk, "emergency") != 0)
                    return fail(c, lv, "levels: unknown key `%s` (scheduled, emergency)", lk);
                if (!int_in(lv, 1, AEGIS_QRM_FULL, &x))
                    return fail(c, lv, "levels.%s: must be an integer 1..10000", lk);
                *(sch ? &s->scheduled : &s->emergency) = (uint16_t)x;
            }
            if (s->scheduled >= s->emergency)
                return fail(c, v, "levels: scheduled (%u) must be below emergency (%u)", s->scheduled, s->emergency);
        } else if (strcmp(k, "signals") == 0) {
            if (aegis_toml_type_of(v) != AEGIS_TOML_TABLE)
                return fail(c, v, "signals: must be a table of signal tables");
            for (size_t j = 0; j < aegis_toml_len(v); j++) {
                const char *name;
                size_t nl;
                const aegis_toml_value *sv = aegis_toml_table_at(v, j, &name, &nl);
                if (!name_ok(name, nl))
                    return fail(c, sv, "signals: a signal name is 1..%d of a-z, 0-9 and _", AEGIS_QRM_NAME_MAX);
                if (s->n >= AEGIS_QRM_MAX_SIGNALS)
                    return fail(c, sv, "signals: more than %d signals", AEGIS_QRM_MAX_SIGNALS);
                aegis_err err = parse_signal(c, name, sv, &s->sig[s->n]);
                if (err)
                    return err;
                s->n++;
            }
        } else {
            return fail(c, v, "unknown key `%s` (version, override, min_change, algorithms, levels, signals)", k);
        }
    }
    if (!has_version)
        return fail(c, NULL, "version = 1 is missing");
    if (s->n == 0 && !s->has_override)
        return fail(c, NULL, "no signals and no override: nothing to score");
    return AEGIS_OK;
}

aegis_err aegis_qrm_signals_parse(const char *text, size_t len, aegis_qrm_signals *ret, char *msg, size_t cap)
{
    struct ctx c = { msg, cap };
    if (msg && cap)
        msg[0] = 0;
    if (len > AEGIS_QRM_MAX_BYTES) {
        fail(&c, NULL, "the signals file is larger than %d bytes", AEGIS_QRM_MAX_BYTES);
        return AEGIS_ERR_TOO_BIG;
    }
    aegis_toml_value *doc = NULL;
    aegis_toml_error te;
    aegis_err err = aegis_toml_parse(text, len, &doc, &te);
    if (err) {
        if (err == AEGIS_ERR_NOMEM)
            return err;
        if (msg && cap)
            snprintf(msg, cap, "line %u, column %u: %s", te.line, te.col, te.msg ? te.msg : "TOML syntax");
        return AEGIS_ERR_QRM_SIGNALS;
    }
    aegis_qrm_signals *s = aegis_calloc(1, sizeof(*s));
    if (!s) {
        aegis_toml_free(doc);
        return AEGIS_ERR_NOMEM;
    }
    s->scheduled = 6000;
    s->emergency = 9000;
    s->min_change = 1;
    err = parse_doc(&c, doc, s);
    if (!err)
        *ret = *s;
    aegis_free(s);
    aegis_toml_free(doc);
    return err;
}
