/*
 * eventlog.c - dstack event log: parse, recompute runtime-event digests,
 * replay RTMR0-3 (SHA-384 extend from 48 zero bytes) and compare with a quote.
 *
 * A supplied digest is never trusted for dstack runtime events (type
 * 0x08000001): it is recomputed as SHA-384(le32(type) || ":" || name || ":" ||
 * payload) and must equal the one in the log. Other events (firmware, kernel,
 * ...) carry only digests, which the replay then binds to the quoted RTMRs.
 */
#include <string.h>

#include <jansson.h>

#include "attest_int.h"

#define DSTACK_RUNTIME_EVENT 0x08000001u
#define MAX_NAME 256
#define MAX_PAYLOAD (64u * 1024u)

void aegis_eventlog_clear(aegis_eventlog *log)
{
    if (!log)
        return;
    for (size_t i = 0; i < log->n_events; i++) {
        aegis_free(log->events[i].name);
        aegis_free(log->events[i].payload);
    }
    aegis_free(log->events);
    memset(log, 0, sizeof(*log));
}

static bool sha384_parts(uint8_t out[48], const void *a, size_t na, const void *b, size_t nb,
                         const void *c, size_t nc)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha384(), NULL) == 1 &&
              EVP_DigestUpdate(md, a, na) == 1 && EVP_DigestUpdate(md, b, nb) == 1 &&
              EVP_DigestUpdate(md, c, nc) == 1 && EVP_DigestFinal_ex(md, out, NULL) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static aegis_err runtime_digest(const aegis_eventlog_event *e, uint8_t out[48])
{
    size_t nl = strlen(e->name);
    size_t n = 4 + 1 + nl + 1;
    uint8_t *pre = aegis_malloc(n);
    if (!pre)
        return AEGIS_ERR_NOMEM;
    pre[0] = (uint8_t)e->event_type;
    pre[1] = (uint8_t)(e->event_type >> 8);
    pre[2] = (uint8_t)(e->event_type >> 16);
    pre[3] = (uint8_t)(e->event_type >> 24);
    pre[4] = ':';
    memcpy(pre + 5, e->name, nl);
    pre[5 + nl] = ':';
    bool ok = sha384_parts(out, pre, n, e->payload ? (const void *)e->payload : "", e->payload_len, "", 0);
    aegis_free(pre);
    return ok ? AEGIS_OK : AEGIS_ERR_INTERNAL;
}

static aegis_err parse_event(json_t *o, aegis_eventlog_event *e, const char **msg)
{
    json_t *imr = json_object_get(o, "imr"), *type = json_object_get(o, "event_type");
    json_t *dig = json_object_get(o, "digest"), *name = json_object_get(o, "event");
    json_t *pl = json_object_get(o, "event_payload"), *ver = json_object_get(o, "version");

    *msg = "event lacks imr, event_type or digest, or has a bad value";
    if (!json_is_object(o) || !json_is_integer(imr) || json_integer_value(imr) < 0 ||
        json_integer_value(imr) > 3 || !json_is_integer(type) || json_integer_value(type) < 0 ||
        json_integer_value(type) > 0xffffffffll || !json_is_string(dig) ||
        aegis_hex_decode_exact(json_string_value(dig), e->digest, 48) != AEGIS_OK)
        return AEGIS_ERR_EVENTLOG_MALFORMED;
    if (ver && !(json_is_integer(ver) && json_integer_value(ver) == 1)) {
        *msg = "only version-1 dstack events are supported";
        return AEGIS_ERR_EVENTLOG_MALFORMED;
    }
    e->imr = (uint32_t)json_integer_value(imr);
    e->event_type = (uint32_t)json_integer_value(type);
    const char *nm = json_is_string(name) ? json_string_value(name) : "";
    if (name && !json_is_string(name)) {
        *msg = "event name is not a string";
        return AEGIS_ERR_EVENTLOG_MALFORMED;
    }
    if (strlen(nm) > MAX_NAME || !(e->name = aegis_strdup(nm)))
        return strlen(nm) > MAX_NAME ? AEGIS_ERR_EVENTLOG_MALFORMED : AEGIS_ERR_NOMEM;
    if (pl && (!json_is_string(pl) ||
               aegis_hex_decode_alloc(json_string_value(pl), MAX_PAYLOAD, &e->payload, &e->payload_len) != AEGIS_OK)) {
        *msg = "event payload is not hex";
        return AEGIS_ERR_EVENTLOG_MALFORMED;
    }
    if (e->event_type == DSTACK_RUNTIME_EVENT) {
        uint8_t d[48];
        aegis_err err = runtime_digest(e, d);
        if (err != AEGIS_OK)
            return err;
        if (memcmp(d, e->digest, 48) != 0) {
            *msg = "runtime event digest does not match its name and payload";
            return AEGIS_ERR_EVENTLOG_MALFORMED;
        }
    }
    return AEGIS_OK;
}

aegis_err aegis_eventlog_parse(const char *json, size_t len, aegis_eventlog *ret, const char **reterr_msg)
{
    aegis_err err = AEGIS_ERR_EVENTLOG_MALFORMED;
    const char *msg = "event log is not a JSON array (or an object with event_log)";
    json_error_t jerr;
    json_t *root = NULL, *inner = NULL, *arr;
    aegis_eventlog log;
    size_t i;
    json_t *v;

    memset(&log, 0, sizeof(log));
    if (!json || !ret)
        return AEGIS_ERR_INVAL;
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    arr = root;
    if (json_is_object(root)) {
        json_t *el = json_object_get(root, "event_log");
        if (json_is_string(el))
            arr = inner = json_loadb(json_string_value(el), json_string_length(el), JSON_REJECT_DUPLICATES, &jerr);
        else
            arr = el;
    }
    if (!json_is_array(arr))
        goto out;
    if (json_array_size(arr) > AEGIS_EVENTLOG_MAX_EVENTS) {
        msg = "too many events";
        goto out;
    }
    log.events = aegis_calloc(json_array_size(arr) + 1, sizeof(*log.events));
    if (!log.events) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    json_array_foreach(arr, i, v) {
        log.n_events = i + 1;
        if ((err = parse_event(v, &log.events[i], &msg)) != AEGIS_OK)
            goto out;
        uint8_t *r = log.rtmr[log.events[i].imr];
        if (!sha384_parts(r, r, 48, log.events[i].digest, 48, "", 0)) {
            err = AEGIS_ERR_INTERNAL;
            goto out;
        }
    }
    *ret = log;
    memset(&log, 0, sizeof(log));
    err = AEGIS_OK;
    msg = NULL;
out:
    aegis_eventlog_clear(&log);
    json_decref(inner);
    json_decref(root);
    if (reterr_msg)
        *reterr_msg = msg;
    return err;
}

aegis_err aegis_eventlog_check(const aegis_eventlog *log, const aegis_td_report *td, const char **reterr_msg)
{
    static const char *const names[4] = { "RTMR0 differs from the event log replay",
                                          "RTMR1 differs from the event log replay",
                                          "RTMR2 differs from the event log replay",
                                          "RTMR3 differs from the event log replay" };
    for (int i = 0; i < 4; i++)
        if (memcmp(log->rtmr[i], td->rtmr[i], 48) != 0) {
            if (reterr_msg)
                *reterr_msg = names[i];
            return AEGIS_ERR_EVENTLOG_MISMATCH;
        }
    return AEGIS_OK;
}

const aegis_eventlog_event *aegis_eventlog_find(const aegis_eventlog *log, const char *name)
{
    const aegis_eventlog_event *hit = NULL;
    for (size_t i = 0; log && i < log->n_events; i++)
        if (log->events[i].event_type == DSTACK_RUNTIME_EVENT && strcmp(log->events[i].name, name) == 0)
            hit = &log->events[i];
    return hit;
}
