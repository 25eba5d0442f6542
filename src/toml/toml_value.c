/* toml_value.c - the document tree: construction, lookup, accessors, free. */
#include <stdio.h>
#include <string.h>

#include "toml_int.h"

aegis_toml_value *aegis__toml_new(aegis_toml_type t, unsigned line, unsigned col)
{
    aegis_toml_value *v = aegis_calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->type = t;
    v->line = line;
    v->col = col;
    return v;
}

/* Values can nest deeply (arrays of arrays); free iteratively along the
 * first child is not needed because depth is capped at AEGIS_TOML_MAX_DEPTH
 * by the parser, so plain recursion is bounded. */
void aegis_toml_free(aegis_toml_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case AEGIS_TOML_STRING:
        aegis_free(v->u.str.s);
        break;
    case AEGIS_TOML_ARRAY:
        for (size_t i = 0; i < v->u.arr.n; i++)
            aegis_toml_free(v->u.arr.v[i]);
        aegis_free(v->u.arr.v);
        break;
    case AEGIS_TOML_TABLE:
        for (size_t i = 0; i < v->u.tab.n; i++) {
            aegis_free(v->u.tab.e[i].key);
            aegis_toml_free(v->u.tab.e[i].val);
        }
        aegis_free(v->u.tab.e);
        aegis_free(v->u.tab.idx);
        break;
    default:
        break;
    }
    aegis_free(v);
}

/* FNV-1a over the key bytes. */
static uint32_t key_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)k[i];
        h *= 16777619u;
    }
    return h;
}

/* Tables past this many keys get a hash index; small ones scan linearly. */
#define INDEX_MIN 8

static aegis_err index_rebuild(aegis_toml_value *t, size_t cap)
{
    uint32_t *idx = aegis_calloc(cap, sizeof(*idx));
    if (!idx)
        return AEGIS_ERR_NOMEM;
    for (size_t i = 0; i < t->u.tab.n; i++) {
        size_t h = key_hash(t->u.tab.e[i].key, t->u.tab.e[i].keylen) & (cap - 1);
        while (idx[h])
            h = (h + 1) & (cap - 1);
        idx[h] = (uint32_t)(i + 1);
    }
    aegis_free(t->u.tab.idx);
    t->u.tab.idx = idx;
    t->u.tab.idxcap = cap;
    return AEGIS_OK;
}

long aegis__toml_find(const aegis_toml_value *t, const char *key, size_t keylen)
{
    if (!t || t->type != AEGIS_TOML_TABLE)
        return -1;
    if (t->u.tab.idx) {
        size_t mask = t->u.tab.idxcap - 1;
        size_t h = key_hash(key, keylen) & mask;
        while (t->u.tab.idx[h]) {
            const struct aegis__toml_entry *e = &t->u.tab.e[t->u.tab.idx[h] - 1];
            if (e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
                return (long)(t->u.tab.idx[h] - 1);
            h = (h + 1) & mask;
        }
        return -1;
    }
    for (size_t i = 0; i < t->u.tab.n; i++) {
        const struct aegis__toml_entry *e = &t->u.tab.e[i];
        if (e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
            return (long)i;
    }
    return -1;
}

aegis_err aegis__toml_table_add(aegis_toml_value *t, char *key, size_t keylen,
                                aegis_toml_value *val, unsigned line, unsigned col)
{
    if (t->u.tab.n == t->u.tab.cap) {
        size_t ncap = t->u.tab.cap ? t->u.tab.cap * 2 : 4;
        struct aegis__toml_entry *e = aegis_realloc(t->u.tab.e, ncap * sizeof(*e));
        if (!e)
            return AEGIS_ERR_NOMEM;
        t->u.tab.e = e;
        t->u.tab.cap = ncap;
    }
    size_t i = t->u.tab.n;
    if (i + 1 >= INDEX_MIN && (i + 1) * 2 > t->u.tab.idxcap) {
        aegis_err err = index_rebuild(t, t->u.tab.idxcap ? t->u.tab.idxcap * 2 : 32);
        if (err)
            return err;
    }
    t->u.tab.e[i] = (struct aegis__toml_entry){ key, keylen, val, line, col };
    t->u.tab.n++;
    if (t->u.tab.idx) {
        size_t mask = t->u.tab.idxcap - 1;
        size_t h = key_hash(key, keylen) & mask;
        while (t->u.tab.idx[h])
            h = (h + 1) & mask;
        t->u.tab.idx[h] = (uint32_t)(i + 1);
    }
    return AEGIS_OK;
}

aegis_err aegis__toml_array_add(aegis_toml_value *a, aegis_toml_value *val)
{
    if (a->u.arr.n == a->u.arr.cap) {
        size_t ncap = a->u.arr.cap ? a->u.arr.cap * 2 : 4;
        aegis_toml_value **v = aegis_realloc(a->u.arr.v, ncap * sizeof(*v));
        if (!v)
            return AEGIS_ERR_NOMEM;
        a->u.arr.v = v;
        a->u.arr.cap = ncap;
    }
    a->u.arr.v[a->u.arr.n++] = val;
    return AEGIS_OK;
}

/* ---- public accessors ---- */

aegis_toml_type aegis_toml_type_of(const aegis_toml_value *v)
{
    return v ? v->type : 0;
}

void aegis_toml_pos(const aegis_toml_value *v, unsigned *line, unsigned *col)
{
    if (line)
        *line = v ? v->line : 0;
    if (col)
        *col = v ? v->col : 0;
}

const char *aegis_toml_type_name(aegis_toml_type t)
{
    switch (t) {
    case AEGIS_TOML_STRING: return "string";
    case AEGIS_TOML_INTEGER: return "integer";
    case AEGIS_TOML_FLOAT: return "float";
    case AEGIS_TOML_BOOL: return "bool";
    case AEGIS_TOML_DATETIME: return "datetime";
    case AEGIS_TOML_DATETIME_LOCAL: return "datetime-local";
    case AEGIS_TOML_DATE_LOCAL: return "date-local";
    case AEGIS_TOML_TIME_LOCAL: return "time-local";
    case AEGIS_TOML_ARRAY: return "array";
    case AEGIS_TOML_TABLE: return "table";
    }
    return "?";
}

const char *aegis_toml_string(const aegis_toml_value *v, size_t *len)
{
    if (!v || v->type != AEGIS_TOML_STRING)
        return NULL;
    if (len)
        *len = v->u.str.len;
    return v->u.str.s;
}

bool aegis_toml_int(const aegis_toml_value *v, int64_t *out)
{
    if (!v || v->type != AEGIS_TOML_INTEGER)
        return false;
    *out = v->u.i;
    return true;
}

bool aegis_toml_float(const aegis_toml_value *v, double *out)
{
    if (!v || v->type != AEGIS_TOML_FLOAT)
        return false;
    *out = v->u.f;
    return true;
}

bool aegis_toml_bool(const aegis_toml_value *v, bool *out)
{
    if (!v || v->type != AEGIS_TOML_BOOL)
        return false;
    *out = v->u.b;
    return true;
}

static bool is_dt(const aegis_toml_value *v)
{
    return v && (v->type == AEGIS_TOML_DATETIME || v->type == AEGIS_TOML_DATETIME_LOCAL ||
                 v->type == AEGIS_TOML_DATE_LOCAL || v->type == AEGIS_TOML_TIME_LOCAL);
}

bool aegis_toml_datetime_get(const aegis_toml_value *v, aegis_toml_datetime *out)
{
    if (!is_dt(v))
        return false;
    *out = v->u.dt;
    return true;
}

size_t aegis_toml_datetime_format(const aegis_toml_value *v, char *out, size_t cap)
{
    if (!is_dt(v) || cap < 48)
        return 0;
    const aegis_toml_datetime *d = &v->u.dt;
    size_t n = 0;
    if (v->type != AEGIS_TOML_TIME_LOCAL)
        n += (size_t)snprintf(out + n, cap - n, "%04d-%02d-%02d", d->year, d->month, d->day);
    if (v->type == AEGIS_TOML_DATE_LOCAL)
        return n;
    if (v->type != AEGIS_TOML_TIME_LOCAL)
        out[n++] = 'T';
    n += (size_t)snprintf(out + n, cap - n, "%02d:%02d:%02d", d->hour, d->minute, d->second);
    if (d->frac_digits > 0) {
        char frac[16];
        snprintf(frac, sizeof(frac), "%09u", d->nanosecond);
        n += (size_t)snprintf(out + n, cap - n, ".%.*s", d->frac_digits, frac);
    }
    if (v->type == AEGIS_TOML_DATETIME) {
        if (d->offset_z) {
            n += (size_t)snprintf(out + n, cap - n, "Z");
        } else {
            int off = d->offset_minutes < 0 ? -d->offset_minutes : d->offset_minutes;
            n += (size_t)snprintf(out + n, cap - n, "%c%02d:%02d",
                                  d->offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
        }
    }
    return n;
}

size_t aegis_toml_len(const aegis_toml_value *v)
{
    if (!v)
        return 0;
    if (v->type == AEGIS_TOML_ARRAY)
        return v->u.arr.n;
    if (v->type == AEGIS_TOML_TABLE)
        return v->u.tab.n;
    return 0;
}

const aegis_toml_value *aegis_toml_array_at(const aegis_toml_value *v, size_t i)
{
    if (!v || v->type != AEGIS_TOML_ARRAY || i >= v->u.arr.n)
        return NULL;
    return v->u.arr.v[i];
}

const aegis_toml_value *aegis_toml_table_at(const aegis_toml_value *v, size_t i,
                                            const char **key, size_t *keylen)
{
    if (!v || v->type != AEGIS_TOML_TABLE || i >= v->u.tab.n)
        return NULL;
    if (key)
        *key = v->u.tab.e[i].key;
    if (keylen)
        *keylen = v->u.tab.e[i].keylen;
    return v->u.tab.e[i].val;
}

void aegis_toml_table_key_pos(const aegis_toml_value *v, size_t i, unsigned *line, unsigned *col)
{
    bool ok = v && v->type == AEGIS_TOML_TABLE && i < v->u.tab.n;
    if (line)
        *line = ok ? v->u.tab.e[i].line : 0;
    if (col)
        *col = ok ? v->u.tab.e[i].col : 0;
}

const aegis_toml_value *aegis_toml_table_get(const aegis_toml_value *v, const char *key)
{
    long i = aegis__toml_find(v, key, strlen(key));
    return i < 0 ? NULL : v->u.tab.e[i].val;
}
