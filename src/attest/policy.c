/*
 * policy.c - the caller's acceptance rules on top of a verified quote:
 * accepted TCB statuses, measurement allow-lists (TDX MRTD/RTMR0-3, SGX
 * MRENCLAVE/MRSIGNER/ISVPRODID/min ISVSVN), debug and MRSERVICETD refusal,
 * expected report_data, dstack app id / compose hash via the event log, and
 * OS images as (MRTD, RTMR0-2) tuples.
 */
#include <string.h>

#include <jansson.h>

#include "attest_int.h"

#define POLICY_MAX_BYTES (256u * 1024u)

void aegis_attest_policy_init(aegis_attest_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->accept_status[AEGIS_TCB_UP_TO_DATE] = true;
    p->accept_status[AEGIS_TCB_SW_HARDENING_NEEDED] = true;
    p->accept_status[AEGIS_TCB_CONFIGURATION_NEEDED] = true;
    p->accept_status[AEGIS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = true;
}

static bool load_list(json_t *v, size_t width, aegis_policy_list *l)
{
    size_t i;
    json_t *s;
    if (!json_is_array(v) || json_array_size(v) > AEGIS_POLICY_MAX_VALUES)
        return false;
    json_array_foreach(v, i, s) {
        if (!json_is_string(s) || aegis_hex_decode_exact(json_string_value(s), l->v[i], width) != AEGIS_OK)
            return false;
    }
    l->n = json_array_size(v);
    return true;
}

/* "os_image": [{"mrtd", "rtmr0", "rtmr1", "rtmr2"}, ...], every key required. */
static bool load_os_images(json_t *v, aegis_attest_policy *p)
{
    size_t i;
    json_t *o;
    if (!json_is_array(v) || json_array_size(v) > AEGIS_POLICY_MAX_IMAGES)
        return false;
    json_array_foreach(v, i, o) {
        static const char *const keys[4] = { "mrtd", "rtmr0", "rtmr1", "rtmr2" };
        struct aegis_policy_os_image *img = &p->os_image[i];
        if (!json_is_object(o) || json_object_size(o) != 4)
            return false;
        for (int k = 0; k < 4; k++) {
            json_t *s = json_object_get(o, keys[k]);
            uint8_t *dst = k == 0 ? img->mrtd : img->rtmr[k - 1];
            if (!json_is_string(s) || aegis_hex_decode_exact(json_string_value(s), dst, 48) != AEGIS_OK)
                return false;
        }
    }
    p->n_os_image = json_array_size(v);
    return true;
}

aegis_err aegis_attest_policy_load_json(const char *json, size_t len, aegis_attest_policy *ret,
                                        const char **reterr_msg)
{
    aegis_attest_policy p;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr), *v;
    const char *key;
    aegis_err err = AEGIS_ERR_POLICY_MALFORMED;

    aegis_attest_policy_init(&p);
    if (!json_is_object(root))
        goto out;
    json_object_foreach(root, key, v) {
        bool ok;
        if (strcmp(key, "accept_tcb_status") == 0) {
            size_t i;
            json_t *s;
            ok = json_is_array(v);
            memset(p.accept_status, 0, sizeof(p.accept_status));
            json_array_foreach(v, i, s) {
                aegis_tcb_status st;
                if (!json_is_string(s) || aegis_tcb_status_parse(json_string_value(s), &st) != AEGIS_OK ||
                    st > AEGIS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED)
                    ok = false; /* Revoked/unsupported can never be accepted */
                else
                    p.accept_status[st] = true;
            }
        } else if (strcmp(key, "allow_debug") == 0) {
            ok = json_is_boolean(v);
            p.allow_debug = json_is_true(v);
        } else if (strcmp(key, "allow_service_td") == 0) {
            ok = json_is_boolean(v);
            p.allow_service_td = json_is_true(v);
        } else if (strcmp(key, "mrtd") == 0) {
            ok = load_list(v, 48, &p.mrtd);
        } else if (strncmp(key, "rtmr", 4) == 0 && key[4] >= '0' && key[4] <= '3' && key[5] == 0) {
            ok = load_list(v, 48, &p.rtmr[key[4] - '0']);
        } else if (strcmp(key, "mrenclave") == 0) {
            ok = load_list(v, 32, &p.mrenclave);
        } else if (strcmp(key, "mrsigner") == 0) {
            ok = load_list(v, 32, &p.mrsigner);
        } else if (strcmp(key, "isv_prod_id") == 0) {
            ok = json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 65535;
            p.check_isv_prod_id = true;
            p.isv_prod_id = (uint16_t)json_integer_value(v);
        } else if (strcmp(key, "min_isv_svn") == 0) {
            ok = json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 65535;
            p.min_isv_svn = (uint16_t)json_integer_value(v);
        } else if (strcmp(key, "report_data") == 0) {
            ok = json_is_string(v) && aegis_hex_decode_exact(json_string_value(v), p.report_data, 64) == AEGIS_OK;
            p.check_report_data = true;
        } else if (strcmp(key, "app_id") == 0) {
            ok = load_list(v, 20, &p.app_id);
        } else if (strcmp(key, "compose_hash") == 0) {
            ok = load_list(v, 32, &p.compose_hash);
        } else if (strcmp(key, "os_image") == 0) {
            ok = load_os_images(v, &p);
        } else {
            ok = false; /* unknown key: a typo must not silently widen the policy */
        }
        if (!ok)
            goto out;
    }
    *ret = p;
    err = AEGIS_OK;
out:
    if (reterr_msg)
        *reterr_msg = err == AEGIS_OK      ? NULL
                      : json_is_object(root) ? "policy key has a bad value or is unknown"
                                             : "policy is not a JSON object";
    json_decref(root);
    return err;
}

aegis_err aegis_attest_policy_load_file(const char *path, aegis_attest_policy *ret, const char **reterr_msg)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    aegis_err err = aegis_file_read(path, POLICY_MAX_BYTES, &buf, &n);
    if (err != AEGIS_OK) {
        if (reterr_msg)
            *reterr_msg = "cannot read the policy file";
        return err;
    }
    err = aegis_attest_policy_load_json((const char *)buf, n, ret, reterr_msg);
    aegis_free(buf);
    return err;
}

static bool in_list(const aegis_policy_list *l, const uint8_t *v, size_t width)
{
    if (l->n == 0)
        return true;
    for (size_t i = 0; i < l->n; i++)
        if (memcmp(l->v[i], v, width) == 0)
            return true;
    return false;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static bool os_image_allowed(const aegis_attest_policy *p, const aegis_td_report *r)
{
    for (size_t i = 0; i < p->n_os_image; i++) {
        const struct aegis_policy_os_image *img = &p->os_image[i];
        if (memcmp(img->mrtd, r->mr_td, 48) == 0 && memcmp(img->rtmr[0], r->rtmr[0], 48) == 0 &&
            memcmp(img->rtmr[1], r->rtmr[1], 48) == 0 && memcmp(img->rtmr[2], r->rtmr[2], 48) == 0)
            return true;
    }
    return false;
}

#define REJECT(code, text)      \
    do {                        \
        if (reterr_msg)         \
            *reterr_msg = text; \
        return code;            \
    } while (0)

aegis_err aegis_attest_policy_check(const aegis_attest_policy *p, const aegis_attest_result *res,
                                    const aegis_eventlog *log, const char **reterr_msg)
{
    if (!p || !res)
        REJECT(AEGIS_ERR_INVAL, "NULL policy or result");
    if (!res->verified)
        REJECT(res->err ? res->err : AEGIS_ERR_INVAL, "quote did not verify");
    if ((unsigned)res->tcb_status >= AEGIS_TCB__COUNT || !p->accept_status[res->tcb_status])
        REJECT(AEGIS_ERR_POLICY_TCB_STATUS, "TCB status not in accept_tcb_status");

    const aegis_quote *q = &res->quote;
    const uint8_t *report_data;
    if (q->body_type == AEGIS_QUOTE_BODY_SGX) {
        const aegis_sgx_report *r = &q->sgx;
        if ((r->attributes[0] & 0x02) && !p->allow_debug)
            REJECT(AEGIS_ERR_POLICY_DEBUG, "debug enclave");
        if (!in_list(&p->mrenclave, r->mr_enclave, 32))
            REJECT(AEGIS_ERR_POLICY_MEASUREMENT, "MRENCLAVE not allowed");
        if (!in_list(&p->mrsigner, r->mr_signer, 32))
            REJECT(AEGIS_ERR_POLICY_MEASUREMENT, "MRSIGNER not allowed");
        if (p->check_isv_prod_id && r->isv_prod_id != p->isv_prod_id)
            REJECT(AEGIS_ERR_POLICY_MEASUREMENT, "ISVPRODID differs");
        if (r->isv_svn < p->min_isv_svn)
            REJECT(AEGIS_ERR_POLICY_MEASUREMENT, "ISVSVN below min_isv_svn");
        if (p->app_id.n || p->compose_hash.n)
            REJECT(AEGIS_ERR_POLICY_APP, "app_id/compose_hash need a TDX quote and event log");
        if (p->n_os_image)
            REJECT(AEGIS_ERR_POLICY_MEASUREMENT, "os_image needs a TDX quote");
        report_data = r->report_data;
    } else {
        const aegis_td_report *r = &q->td;
        if ((r->td_attributes[0] & 0x01) && !p->allow_debug)
            REJECT(AEGIS_ERR_POLICY_DEBUG, "debug TD");
        if (!all_zero(r->mr_service_td, 48) && !p->allow_service_td)
            REJECT(AEGIS_ERR_POLICY_SERVICE_TD, "MRSERVICETD is not zero");
        if (!in_list(&p->mrtd, r->mr_td, 48))
            REJECT(AEGIS_ERR_POLICY_MEASUREMENT, "MRTD not allowed");
        for (int i = 0; i < 4; i++)
            if (!in_list(&p->rtmr[i], r->rtmr[i], 48))
                REJECT(AEGIS_ERR_POLICY_MEASUREMENT, "RTMR not allowed");
        if (p->n_os_image && !os_image_allowed(p, r))
            REJECT(AEGIS_ERR_POLICY_MEASUREMENT, "OS image (MRTD, RTMR0-2) not in the policy's os_image list");
        if (log) {
            aegis_err err = aegis_eventlog_check(log, r, reterr_msg);
            if (err != AEGIS_OK)
                return err;
        }
        if (p->app_id.n || p->compose_hash.n) {
            const aegis_eventlog_event *app = aegis_eventlog_find(log, "app-id");
            const aegis_eventlog_event *ch = aegis_eventlog_find(log, "compose-hash");
            if (!log)
                REJECT(AEGIS_ERR_POLICY_APP, "app_id/compose_hash need the event log");
            if (p->app_id.n && (!app || app->payload_len != 20 || !in_list(&p->app_id, app->payload, 20)))
                REJECT(AEGIS_ERR_POLICY_APP, "app id not allowed");
            if (p->compose_hash.n &&
                (!ch || ch->payload_len != 32 || !in_list(&p->compose_hash, ch->payload, 32)))
                REJECT(AEGIS_ERR_POLICY_APP, "compose hash not allowed");
        }
        report_data = r->report_data;
    }
    if (p->check_report_data && !aegis_ct_eq(report_data, p->report_data, 64))
        REJECT(AEGIS_ERR_POLICY_REPORT_DATA, "report_data differs from the expected value");
    if (reterr_msg)
        *reterr_msg = NULL;
    return AEGIS_OK;
}
