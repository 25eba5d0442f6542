/* qrm_state.c - the QRM Monitor's state file (aegis/qrm.h): strict JSON
 * parse and format, and the two rules that use it (when to publish, the
 * next sequence number). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aegis/qrm.h"
#include "aegis/util.h"

#define STATE_MAX_BYTES 65536
#define SEQ_MAX ((uint64_t)INT64_MAX)

static const char *const dest_names[AEGIS_QRM_DESTS] = { "aegisd", "l1" };

const char *aegis_qrm_dest_name(int dest)
{
    return dest >= 0 && dest < AEGIS_QRM_DESTS ? dest_names[dest] : "?";
}

static bool source_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= AEGIS_QRM_SOURCE_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/-") == n;
}

/* A JSON integer in [0, max]. */
static bool uint_in(json_t *v, uint64_t max, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static bool only_keys(json_t *o, const char *const *keys, size_t n)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(k, keys[i]) == 0;
        if (!found)
            return false;
    }
    return json_object_size(o) == n;
}

static bool parse_published(json_t *o, uint64_t last_seq, struct aegis_qrm_published *p)
{
    static const char *const keys[] = { "seq", "score", "level", "algorithms" };
    uint64_t seq, score, level, algs;
    memset(p, 0, sizeof(*p));
    if (json_is_null(o))
        return true;
    if (!json_is_object(o) || !only_keys(o, keys, 4) || !uint_in(json_object_get(o, "seq"), last_seq, &seq) ||
        !uint_in(json_object_get(o, "score"), AEGIS_QRM_FULL, &score) ||
        !uint_in(json_object_get(o, "level"), 2, &level) || !uint_in(json_object_get(o, "algorithms"), 7, &algs))
        return false;
    *p = (struct aegis_qrm_published){ true, seq, (uint16_t)score, (uint8_t)level, (uint8_t)algs };
    return true;
}

aegis_err aegis_qrm_state_parse(const char *text, size_t len, aegis_qrm_state *ret)
{
    static const char *const keys[] = { "version", "source", "seq", "aegisd", "l1" };
    if (len > STATE_MAX_BYTES)
        return AEGIS_ERR_QRM_STATE;
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    aegis_qrm_state st;
    memset(&st, 0, sizeof(st));
    uint64_t version = 0;
    const char *src = json_string_value(json_object_get(j, "source"));
    bool ok = json_is_object(j) && only_keys(j, keys, 5) && uint_in(json_object_get(j, "version"), 1, &version) &&
              version == 1 && src && strlen(src) == json_string_length(json_object_get(j, "source")) &&
              source_ok(src) && uint_in(json_object_get(j, "seq"), SEQ_MAX, &st.seq);
    if (ok) {
        memcpy(st.source, src, strlen(src) + 1);
        for (int d = 0; d < AEGIS_QRM_DESTS && ok; d++)
            ok = parse_published(json_object_get(j, dest_names[d]), st.seq, &st.dest[d]);
    }
    json_decref(j);
    if (!ok)
        return AEGIS_ERR_QRM_STATE;
    *ret = st;
    return AEGIS_OK;
}

char *aegis_qrm_state_format(const aegis_qrm_state *st)
{
    if (!source_ok(st->source) || st->seq > SEQ_MAX)
        return NULL;
    json_t *j = json_pack("{s:i, s:s, s:I}", "version", 1, "source", st->source, "seq", (json_int_t)st->seq);
    for (int d = 0; j && d < AEGIS_QRM_DESTS; d++) {
        const struct aegis_qrm_published *p = &st->dest[d];
        if (p->has && (p->seq > st->seq || p->score > AEGIS_QRM_FULL || p->level > 2 || p->algorithms > 7)) {
            json_decref(j);
            return NULL;
        }
        json_t *v = p->has ? json_pack("{s:I, s:i, s:i, s:i}", "seq", (json_int_t)p->seq, "score", p->score, "level",
                                       p->level, "algorithms", p->algorithms)
                           : json_null();
        if (!v || json_object_set_new(j, dest_names[d], v) != 0) {
            json_decref(j);
            return NULL;
        }
    }
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    return s;
}

bool aegis_qrm_needs_publish(const struct aegis_qrm_published *p, const struct aegis_qrm_result *r,
                             const aegis_qrm_signals *s)
{
    if (!p->has)
        return true;
    unsigned delta = p->score > r->score ? p->score - r->score : r->score - p->score;
    return delta >= s->min_change || p->level != r->level || p->algorithms != s->algorithms;
}

uint64_t aegis_qrm_next_seq(const aegis_qrm_state *st, uint64_t now_ms)
{
    return st->seq + 1 > now_ms ? st->seq + 1 : now_ms;
}
