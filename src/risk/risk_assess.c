/* risk_assess.c - signed risk assessments: canonical encoding, ML-DSA-87
 * signature, strict JSON form. */
#include <stdlib.h>
#include <string.h>

#include "risk_int.h"

/* ---- shared JSON helpers ---- */

bool aegis__risk_valid_id(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* ---- algorithm names ---- */

static const struct { const char *name; uint8_t bit; } alg_names[] = {
    { "ML-DSA-87", AEGIS_ALG_MLDSA87 },
    { "SLH-DSA-256s", AEGIS_ALG_SLHDSA256S },
    { "SLH-DSA-SHA2-256s", AEGIS_ALG_SLHDSA256S },
    { "ECDSA", AEGIS_ALG_ECDSA },
};

static uint8_t alg_bit(const char *name)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(alg_names); i++)
        if (strcmp(alg_names[i].name, name) == 0)
            return alg_names[i].bit;
    return 0;
}

json_t *aegis_risk_algorithms_json(uint8_t mask)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    static const struct { uint8_t bit; const char *name; } order[] = {
        { AEGIS_ALG_MLDSA87, "ML-DSA-87" }, { AEGIS_ALG_SLHDSA256S, "SLH-DSA-256s" },
        { AEGIS_ALG_ECDSA, "ECDSA" },
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(order); i++)
        if ((mask & order[i].bit) && json_array_append_new(a, json_string(order[i].name)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* ---- the struct ---- */

void aegis_risk_assessment_clear(aegis_risk_assessment *a)
{
    aegis_free(a->assets);
    memset(a, 0, sizeof(*a));
}

void aegis_risk_key_id(uint8_t out[static 32], const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES])
{
    aegis_keccak256(out, pk, AEGIS_MLDSA87_PK_BYTES);
}

static int asset_cmp(const void *a, const void *b)
{
    return strcmp(((const struct aegis_risk_asset_score *)a)->id, ((const struct aegis_risk_asset_score *)b)->id);
}

/* Field ranges, and assets strictly ascending (so no duplicates). */
static bool fields_valid(const aegis_risk_assessment *a)
{
    const uint64_t I63 = (uint64_t)INT64_MAX;
    if (!aegis__risk_valid_id(a->source, AEGIS_RISK_SOURCE_MAX) || a->seq > I63 || a->timestamp_ms > I63 ||
        a->score > AEGIS_RISK_SCORE_MAX || (a->algorithms & ~AEGIS_ALG_ALL) ||
        a->n_assets > AEGIS_RISK_MAX_ASSETS || (a->n_assets && !a->assets))
        return false;
    for (size_t i = 0; i < a->n_assets; i++) {
        if (!aegis__risk_valid_id(a->assets[i].id, AEGIS_RISK_ASSET_ID_MAX) ||
            a->assets[i].score > AEGIS_RISK_SCORE_MAX)
            return false;
        if (i > 0 && strcmp(a->assets[i - 1].id, a->assets[i].id) >= 0)
            return false;
    }
    return true;
}

aegis_err aegis_risk_assessment_encode(const aegis_risk_assessment *a, aegis_buf *b)
{
    if (!fields_valid(a))
        return AEGIS_ERR_RISK_MALFORMED;
    uint8_t w[8];
    size_t sl = strlen(a->source);
    aegis_err err = aegis_buf_append(b, "AEGR", 4);
    uint8_t v = AEGIS_RISK_VERSION, l = (uint8_t)sl;
#define APP(p, n) do { if (err == AEGIS_OK) err = aegis_buf_append(b, (p), (n)); } while (0)
    APP(&v, 1);
    APP(a->key_id, 32);
    APP(&l, 1);
    APP(a->source, sl);
    aegis_put_be64(w, a->seq);
    APP(w, 8);
    aegis_put_be64(w, a->timestamp_ms);
    APP(w, 8);
    aegis_put_be16(w, a->score);
    APP(w, 2);
    APP(&a->algorithms, 1);
    aegis_put_be16(w, (uint16_t)a->n_assets);
    APP(w, 2);
    for (size_t i = 0; i < a->n_assets; i++) {
        size_t il = strlen(a->assets[i].id);
        l = (uint8_t)il;
        APP(&l, 1);
        APP(a->assets[i].id, il);
        aegis_put_be16(w, a->assets[i].score);
        APP(w, 2);
    }
#undef APP
    return err;
}

/* Largest canonical encoding: 4+1+32+1+64+8+8+2+1+2 + 256 * (1+64+2). */
#define ENC_MAX (123 + AEGIS_RISK_MAX_ASSETS * 67)

aegis_err aegis_risk_assessment_digest(const aegis_risk_assessment *a, uint8_t out[static 32])
{
    aegis_buf b;
    aegis_buf_init(&b, ENC_MAX);
    aegis_err err = aegis_risk_assessment_encode(a, &b);
    if (err == AEGIS_OK)
        aegis_keccak256(out, b.data, b.len);
    aegis_buf_clear(&b);
    return err;
}

aegis_err aegis_risk_assessment_sign(aegis_risk_assessment *a, const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES],
                                     const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES])
{
    if (a->n_assets > AEGIS_RISK_MAX_ASSETS || (a->n_assets && !a->assets))
        return AEGIS_ERR_RISK_MALFORMED;
    if (a->n_assets > 1)
        qsort(a->assets, a->n_assets, sizeof(a->assets[0]), asset_cmp);
    aegis_risk_key_id(a->key_id, pk);
    aegis_buf b;
    aegis_buf_init(&b, ENC_MAX);
    aegis_err err = aegis_risk_assessment_encode(a, &b);
    if (err == AEGIS_OK)
        err = aegis_mldsa87_sign(a->signature, b.data, b.len, (const uint8_t *)AEGIS_RISK_CTX,
                                 strlen(AEGIS_RISK_CTX), sk, false);
    aegis_buf_clear(&b);
    return err;
}

aegis_err aegis_risk_assessment_verify(const aegis_risk_assessment *a, const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES])
{
    uint8_t id[32];
    aegis_risk_key_id(id, pk);
    if (!aegis_ct_eq(id, a->key_id, 32))
        return AEGIS_ERR_RISK_UNKNOWN_KEY;
    aegis_buf b;
    aegis_buf_init(&b, ENC_MAX);
    aegis_err err = aegis_risk_assessment_encode(a, &b);
    if (err == AEGIS_OK)
        err = aegis_mldsa87_verify(a->signature, AEGIS_MLDSA87_SIG_BYTES, b.data, b.len,
                                   (const uint8_t *)AEGIS_RISK_CTX, strlen(AEGIS_RISK_CTX), pk)
                  ? AEGIS_ERR_RISK_BAD_SIGNATURE : AEGIS_OK;
    aegis_buf_clear(&b);
    return err;
}

/* ---- JSON ---- */

json_t *aegis_risk_assessment_to_json(const aegis_risk_assessment *a)
{
    if (!fields_valid(a))
        return NULL;
    json_t *o = json_pack("{s:i, s:s, s:I, s:I, s:i, s:o, s:o}", "version", AEGIS_RISK_VERSION,
                          "source", a->source, "seq", (json_int_t)a->seq, "timestamp_ms",
                          (json_int_t)a->timestamp_ms, "score", (int)a->score, "key",
                          aegis_json_hex(a->key_id, 32), "signature",
                          aegis_json_hex(a->signature, AEGIS_MLDSA87_SIG_BYTES));
    if (!o)
        return NULL;
    if (a->n_assets) {
        json_t *m = json_object();
        if (!m || json_object_set_new(o, "assets", m) != 0)
            goto fail;
        for (size_t i = 0; i < a->n_assets; i++)
            if (json_object_set_new(m, a->assets[i].id, json_integer(a->assets[i].score)) != 0)
                goto fail;
    }
    if (a->algorithms && json_object_set_new(o, "algorithms", aegis_risk_algorithms_json(a->algorithms)) != 0)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

static aegis_err parse_assets(const json_t *m, aegis_risk_assessment *a)
{
    if (!json_is_object(m) || json_object_size(m) == 0 || json_object_size(m) > AEGIS_RISK_MAX_ASSETS)
        return AEGIS_ERR_RISK_MALFORMED;
    a->assets = aegis_calloc(json_object_size(m), sizeof(a->assets[0]));
    if (!a->assets)
        return AEGIS_ERR_NOMEM;
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach((json_t *)m, k, v) {
        uint64_t s;
        if (!aegis__risk_valid_id(k, AEGIS_RISK_ASSET_ID_MAX) || !aegis_json_uint(v, AEGIS_RISK_SCORE_MAX, &s))
            return AEGIS_ERR_RISK_MALFORMED;
        strcpy(a->assets[i].id, k);
        a->assets[i].score = (uint16_t)s;
        i++;
    }
    a->n_assets = i;
    qsort(a->assets, a->n_assets, sizeof(a->assets[0]), asset_cmp);
    for (i = 1; i < a->n_assets; i++)
        if (strcmp(a->assets[i - 1].id, a->assets[i].id) == 0)
            return AEGIS_ERR_RISK_MALFORMED;
    return AEGIS_OK;
}

static aegis_err parse_algorithms(const json_t *arr, uint8_t *mask)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 3)
        return AEGIS_ERR_RISK_MALFORMED;
    *mask = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        uint8_t bit = s && strlen(s) == json_string_length(v) ? alg_bit(s) : 0;
        if (!bit || (*mask & bit))
            return AEGIS_ERR_RISK_MALFORMED;
        *mask |= bit;
    }
    return AEGIS_OK;
}

aegis_err aegis_risk_assessment_from_json(const json_t *o, aegis_risk_assessment *ret)
{
    static const char *const keys[] = { "version", "source", "seq", "timestamp_ms", "score", "assets",
                                        "algorithms", "key", "signature", NULL };
    const uint64_t I63 = (uint64_t)INT64_MAX;
    aegis_risk_assessment a;
    memset(&a, 0, sizeof(a));
    aegis_err err = AEGIS_ERR_RISK_MALFORMED;
    uint64_t v;
    if (!json_is_object(o) || !aegis_json_only_keys(o, keys))
        goto out;
    if (!aegis_json_uint(json_object_get(o, "version"), 255, &v) || v != AEGIS_RISK_VERSION)
        goto out;
    const json_t *src = json_object_get(o, "source");
    const char *s = json_string_value(src);
    if (!s || json_string_length(src) != strlen(s) || !aegis__risk_valid_id(s, AEGIS_RISK_SOURCE_MAX))
        goto out;
    strcpy(a.source, s);
    if (!aegis_json_uint(json_object_get(o, "seq"), I63, &a.seq) ||
        !aegis_json_uint(json_object_get(o, "timestamp_ms"), I63, &a.timestamp_ms) ||
        !aegis_json_uint(json_object_get(o, "score"), AEGIS_RISK_SCORE_MAX, &v))
        goto out;
    a.score = (uint16_t)v;
    if (!aegis_json_hex_exact(json_object_get(o, "key"), a.key_id, 32) ||
        !aegis_json_hex_exact(json_object_get(o, "signature"), a.signature, AEGIS_MLDSA87_SIG_BYTES))
        goto out;
    const json_t *m = json_object_get(o, "assets");
    if (m && (err = parse_assets(m, &a)) != AEGIS_OK)
        goto out;
    const json_t *al = json_object_get(o, "algorithms");
    if (al && (err = parse_algorithms(al, &a.algorithms)) != AEGIS_OK)
        goto out;
    err = fields_valid(&a) ? AEGIS_OK : AEGIS_ERR_RISK_MALFORMED;
out:
    if (err != AEGIS_OK) {
        aegis_risk_assessment_clear(&a);
        return err;
    }
    *ret = a;
    return AEGIS_OK;
}

aegis_err aegis_risk_assessment_parse(const char *json, size_t len, aegis_risk_assessment *ret)
{
    json_t *o = NULL;
    aegis_err err = aegis_json_load_object(json, len, AEGIS_RISK_MAX_JSON, &o);
    if (err)
        return err == AEGIS_ERR_BAD_JSON ? AEGIS_ERR_RISK_MALFORMED : err;
    err = aegis_risk_assessment_from_json(o, ret);
    json_decref(o);
    return err;
}
