/*
 * tcbinfo.c - parse Intel TCB info (SGX v2/v3, TDX v3) and QE identity
 * (v2) JSON into plain structs for matching. The signatures are checked on
 * the raw bytes elsewhere (collateral.c) before this runs; this never
 * re-serializes anything.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "attest_int.h"

#define MAX_LEVELS 256
#define MAX_MODULES 16

static const char *const status_names[AEGIS_TCB__COUNT] = {
    [AEGIS_TCB_UP_TO_DATE] = "UpToDate",
    [AEGIS_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [AEGIS_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [AEGIS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [AEGIS_TCB_OUT_OF_DATE] = "OutOfDate",
    [AEGIS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [AEGIS_TCB_REVOKED] = "Revoked",
    [AEGIS_TCB_NOT_SUPPORTED] = "TCBNotSupported",
    [AEGIS_TCB_UNKNOWN] = "Unknown",
};

const char *aegis_tcb_status_name(aegis_tcb_status s)
{
    return (unsigned)s < AEGIS_TCB__COUNT ? status_names[s] : "Unknown";
}

aegis_err aegis_tcb_status_parse(const char *name, aegis_tcb_status *ret)
{
    for (int i = 0; name && i < AEGIS_TCB__COUNT; i++)
        if (strcmp(name, status_names[i]) == 0) {
            *ret = (aegis_tcb_status)i;
            return AEGIS_OK;
        }
    return AEGIS_ERR_INVAL;
}

aegis_err aegis__advisories_union(aegis__advisories *dst, const aegis__advisories *src)
{
    for (size_t i = 0; i < src->n; i++) {
        bool dup = false;
        for (size_t j = 0; j < dst->n && !dup; j++)
            dup = strcmp(dst->id[j], src->id[i]) == 0;
        if (dup)
            continue;
        if (dst->n >= AEGIS_ATTEST_MAX_ADVISORIES)
            return AEGIS_ERR_TOO_BIG;
        memcpy(dst->id[dst->n++], src->id[i], AEGIS_ATTEST_ADVISORY_LEN);
    }
    return AEGIS_OK;
}

/* ---- small typed getters; all return false on a missing or wrong field ---- */

static bool get_int(json_t *o, const char *k, long long min, long long max, long long *v)
{
    json_t *j = json_object_get(o, k);
    if (!json_is_integer(j) || json_integer_value(j) < min || json_integer_value(j) > max)
        return false;
    *v = json_integer_value(j);
    return true;
}

static bool get_hex(json_t *o, const char *k, uint8_t *out, size_t n)
{
    json_t *j = json_object_get(o, k);
    return json_is_string(j) && strlen(json_string_value(j)) == 2 * n &&
           aegis_hex_decode_exact(json_string_value(j), out, n) == AEGIS_OK;
}

static bool get_time(json_t *o, const char *k, int64_t *t)
{
    json_t *j = json_object_get(o, k);
    return json_is_string(j) && aegis__iso8601(json_string_value(j), t);
}

static bool get_status(json_t *o, aegis_tcb_status *s)
{
    json_t *j = json_object_get(o, "tcbStatus");
    return json_is_string(j) && aegis_tcb_status_parse(json_string_value(j), s) == AEGIS_OK &&
           *s <= AEGIS_TCB_REVOKED;
}

static bool get_advisories(json_t *o, aegis__advisories *a)
{
    json_t *arr = json_object_get(o, "advisoryIDs"), *v;
    size_t i;
    a->n = 0;
    if (!arr)
        return true;
    if (!json_is_array(arr) || json_array_size(arr) > AEGIS_ATTEST_MAX_ADVISORIES)
        return false;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || strlen(json_string_value(v)) >= AEGIS_ATTEST_ADVISORY_LEN)
            return false;
        strcpy(a->id[a->n++], json_string_value(v));
    }
    return true;
}

static bool get_components(json_t *tcb, const char *k, uint8_t out[16])
{
    json_t *arr = json_object_get(tcb, k), *v;
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) != 16)
        return false;
    json_array_foreach(arr, i, v) {
        long long svn;
        if (!json_is_object(v) || !get_int(v, "svn", 0, 255, &svn))
            return false;
        out[i] = (uint8_t)svn;
    }
    return true;
}

static int cmp_isv_desc(const void *a, const void *b)
{
    const aegis__isv_level *x = a, *y = b;
    return (int)y->isvsvn - (int)x->isvsvn;
}

/* tcbLevels of a QE identity or a TDX module identity */
static bool parse_isv_levels(json_t *arr, aegis__isv_level **ret, size_t *ret_n)
{
    json_t *v;
    size_t i, n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0 || n > MAX_LEVELS)
        return false;
    aegis__isv_level *lv = aegis_calloc(n, sizeof(*lv));
    if (!lv)
        return false;
    json_array_foreach(arr, i, v) {
        long long svn;
        json_t *tcb = json_object_get(v, "tcb");
        if (!json_is_object(tcb) || !get_int(tcb, "isvsvn", 0, 65535, &svn) ||
            !get_status(v, &lv[i].status) || !get_advisories(v, &lv[i].adv)) {
            aegis_free(lv);
            return false;
        }
        lv[i].isvsvn = (uint16_t)svn;
    }
    qsort(lv, n, sizeof(*lv), cmp_isv_desc);
    *ret = lv;
    *ret_n = n;
    return true;
}

static bool parse_module(json_t *m, bool with_levels, aegis__module_identity *mi)
{
    memset(mi, 0, sizeof(*mi));
    if (!json_is_object(m) || !get_hex(m, "mrsigner", mi->mrsigner, 48) ||
        !get_hex(m, "attributes", mi->attributes, 8) ||
        !get_hex(m, "attributesMask", mi->attributes_mask, 8))
        return false;
    if (!with_levels)
        return true;
    json_t *id = json_object_get(m, "id");
    if (!json_is_string(id) || strlen(json_string_value(id)) >= sizeof(mi->id))
        return false;
    strcpy(mi->id, json_string_value(id));
    return parse_isv_levels(json_object_get(m, "tcbLevels"), &mi->levels, &mi->n_levels);
}

static int cmp_tcb_desc(const void *a, const void *b)
{
    const aegis__tcb_level *x = a, *y = b;
    int c = memcmp(y->sgx_svn, x->sgx_svn, 16);
    if (c)
        return c;
    if (x->pcesvn != y->pcesvn)
        return (int)y->pcesvn - (int)x->pcesvn;
    return memcmp(y->tdx_svn, x->tdx_svn, 16);
}

static bool parse_tcb_level(json_t *v, const aegis__tcb_info *t, aegis__tcb_level *l)
{
    long long pcesvn;
    json_t *tcb = json_object_get(v, "tcb");
    if (!json_is_object(tcb) || !get_int(tcb, "pcesvn", 0, 65535, &pcesvn) ||
        !get_status(v, &l->status) || !get_advisories(v, &l->adv))
        return false;
    l->pcesvn = (uint16_t)pcesvn;
    if (t->version >= 3) {
        if (!get_components(tcb, "sgxtcbcomponents", l->sgx_svn))
            return false;
        if (t->tee_type == AEGIS_QUOTE_TEE_TDX && !get_components(tcb, "tdxtcbcomponents", l->tdx_svn))
            return false;
    } else {
        for (int i = 0; i < 16; i++) {
            char key[24];
            long long svn;
            snprintf(key, sizeof(key), "sgxtcbcomp%02dsvn", i + 1);
            if (!get_int(tcb, key, 0, 255, &svn))
                return false;
            l->sgx_svn[i] = (uint8_t)svn;
        }
    }
    return true;
}

void aegis__tcb_info_clear(aegis__tcb_info *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_modules; i++)
        aegis_free(t->modules[i].levels);
    aegis_free(t->modules);
    aegis_free(t->levels);
    memset(t, 0, sizeof(*t));
}

aegis_err aegis__tcb_info_parse(const char *json, size_t len, aegis__tcb_info *ret, const char **msg)
{
    aegis__tcb_info t;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr), *v;
    long long x;
    size_t i;

    memset(&t, 0, sizeof(t));
    *msg = "TCB info malformed";
    if (!json_is_object(root))
        goto fail;
    json_t *id = json_object_get(root, "id");
    if (!get_int(root, "version", 2, 3, &x))
        goto fail;
    t.version = (int)x;
    if (t.version == 2 && !id)
        t.tee_type = AEGIS_QUOTE_TEE_SGX; /* v2 has no id: SGX only */
    else if (json_is_string(id) && strcmp(json_string_value(id), "SGX") == 0)
        t.tee_type = AEGIS_QUOTE_TEE_SGX;
    else if (json_is_string(id) && strcmp(json_string_value(id), "TDX") == 0 && t.version >= 3)
        t.tee_type = AEGIS_QUOTE_TEE_TDX;
    else {
        *msg = "TCB info id is not SGX or TDX";
        goto fail;
    }
    if (!get_time(root, "issueDate", &t.issue_date) || !get_time(root, "nextUpdate", &t.next_update) ||
        !get_hex(root, "fmspc", t.fmspc, 6) || !get_hex(root, "pceId", t.pceid, 2) ||
        !get_int(root, "tcbEvaluationDataNumber", 0, 1 << 30, &x))
        goto fail;
    t.eval_number = (int)x;

    if (t.tee_type == AEGIS_QUOTE_TEE_TDX) {
        json_t *mod = json_object_get(root, "tdxModule");
        if (mod) {
            if (!parse_module(mod, false, &t.tdx_module))
                goto fail;
            t.has_tdx_module = true;
        }
        json_t *mods = json_object_get(root, "tdxModuleIdentities");
        if (mods) {
            size_t n = json_array_size(mods);
            if (!json_is_array(mods) || n > MAX_MODULES)
                goto fail;
            t.modules = aegis_calloc(n ? n : 1, sizeof(*t.modules));
            if (!t.modules)
                goto fail;
            json_array_foreach(mods, i, v) {
                if (!parse_module(v, true, &t.modules[i]))
                    goto fail;
                t.n_modules = i + 1;
            }
        }
    }

    json_t *levels = json_object_get(root, "tcbLevels");
    size_t n = json_array_size(levels);
    if (!json_is_array(levels) || n == 0 || n > MAX_LEVELS)
        goto fail;
    t.levels = aegis_calloc(n, sizeof(*t.levels));
    if (!t.levels)
        goto fail;
    json_array_foreach(levels, i, v) {
        if (!json_is_object(v) || !parse_tcb_level(v, &t, &t.levels[i]))
            goto fail;
    }
    t.n_levels = n;
    qsort(t.levels, n, sizeof(*t.levels), cmp_tcb_desc);

    json_decref(root);
    *ret = t;
    *msg = NULL;
    return AEGIS_OK;
fail:
    json_decref(root);
    aegis__tcb_info_clear(&t);
    return AEGIS_ERR_TCB_INFO_MALFORMED;
}

void aegis__qe_identity_clear(aegis__qe_identity *q)
{
    if (!q)
        return;
    aegis_free(q->levels);
    memset(q, 0, sizeof(*q));
}

aegis_err aegis__qe_identity_parse(const char *json, size_t len, aegis__qe_identity *ret,
                                   const char **msg)
{
    aegis__qe_identity q;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    long long x;
    uint8_t b4[4];

    memset(&q, 0, sizeof(q));
    *msg = "QE identity malformed";
    if (!json_is_object(root))
        goto fail;
    json_t *id = json_object_get(root, "id");
    if (json_is_string(id) && strcmp(json_string_value(id), "QE") == 0)
        q.tee_type = AEGIS_QUOTE_TEE_SGX;
    else if (json_is_string(id) && strcmp(json_string_value(id), "TD_QE") == 0)
        q.tee_type = AEGIS_QUOTE_TEE_TDX;
    else {
        *msg = "QE identity id is not QE or TD_QE";
        goto fail;
    }
    if (!get_int(root, "version", 2, 3, &x))
        goto fail;
    q.version = (int)x;
    if (!get_time(root, "issueDate", &q.issue_date) || !get_time(root, "nextUpdate", &q.next_update) ||
        !get_int(root, "tcbEvaluationDataNumber", 0, 1 << 30, &x))
        goto fail;
    q.eval_number = (int)x;
    /* hex of the bytes as they sit in the report: little-endian */
    if (!get_hex(root, "miscselect", b4, 4))
        goto fail;
    q.miscselect = aegis__le32(b4);
    if (!get_hex(root, "miscselectMask", b4, 4))
        goto fail;
    q.miscselect_mask = aegis__le32(b4);
    if (!get_hex(root, "attributes", q.attributes, 16) ||
        !get_hex(root, "attributesMask", q.attributes_mask, 16) ||
        !get_hex(root, "mrsigner", q.mrsigner, 32) || !get_int(root, "isvprodid", 0, 65535, &x))
        goto fail;
    q.isvprodid = (uint16_t)x;
    if (!parse_isv_levels(json_object_get(root, "tcbLevels"), &q.levels, &q.n_levels))
        goto fail;

    json_decref(root);
    *ret = q;
    *msg = NULL;
    return AEGIS_OK;
fail:
    json_decref(root);
    aegis__qe_identity_clear(&q);
    return AEGIS_ERR_QE_IDENTITY_MALFORMED;
}
