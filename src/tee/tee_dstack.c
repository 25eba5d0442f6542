/*
 * tee_dstack.c - the "dstack" backend: Phala's dstack guest agent over its
 * unix socket (pRPC over HTTP/1.1: POST /GetQuote, /GetKey, /Info; the legacy
 * tappd API POST /prpc/Tappd.TdxQuote, .DeriveKey, .Info).
 * docs/internals/attestation-batches.md describes the choices.
 *
 * Options: "socket" (path; "" or the default /var/run/dstack.sock probes the
 * usual locations and falls back to the legacy /var/run/tappd.sock),
 * "timeout_ms" (per socket wait, default 30000), "data_dir" and
 * "configfs_root" (accepted and ignored, so one option list serves every
 * backend). Opening never contacts the agent: every call connects afresh.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aegis/attest.h"
#include "aegis/crypto.h"
#include "tee_http_unix.h"
#include "tee_int.h"

#define DSTACK_DEFAULT_SOCKET "/var/run/dstack.sock"
#define DSTACK_LEGACY_SOCKET  "/var/run/tappd.sock"
#define DSTACK_MEASURE_TAG    "AEGIS-MEASUREMENT-V1"

struct dstack_ctx {
    char sock[108];
    bool legacy;                 /* tappd API */
    int timeout_ms;
    pthread_mutex_t lock;        /* guards the Info cache */
    bool lock_ok;
    struct aegis__tee_mrtd mrtd; /* measurement cache */
    json_t *info;                /* cached Info response (NULL until fetched) */
};

static const char *const dstack_known_opts[] = { "socket", "timeout_ms", "data_dir", "configfs_root", NULL };

static bool is_socket(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static aegis_err dstack_init(void *vctx, const aegis_tee_option *opts, size_t n)
{
    struct dstack_ctx *c = vctx;
    if (!aegis__tee_options_known(opts, n, dstack_known_opts))
        return AEGIS_ERR_INVAL;
    if (pthread_mutex_init(&c->lock, NULL) != 0)
        return AEGIS_ERR_NOMEM;
    if (pthread_mutex_init(&c->mrtd.lock, NULL) != 0) {
        pthread_mutex_destroy(&c->lock);
        return AEGIS_ERR_NOMEM;
    }
    c->lock_ok = true;
    c->timeout_ms = 30000;
    const char *t = aegis__tee_option(opts, n, "timeout_ms");
    if (t) {
        char *end = NULL;
        long v = strtol(t, &end, 10);
        if (!*t || *end || v < 1 || v > 600000)
            return AEGIS_ERR_INVAL;
        c->timeout_ms = (int)v;
    }
    const char *s = aegis__tee_option(opts, n, "socket");
    if (!s || !*s || (strcmp(s, DSTACK_DEFAULT_SOCKET) == 0 && !is_socket(s))) {
        static const char *const probe[] = { DSTACK_DEFAULT_SOCKET, "/run/dstack.sock",
                                             "/var/run/dstack/dstack.sock", "/run/dstack/dstack.sock",
                                             DSTACK_LEGACY_SOCKET, NULL };
        s = DSTACK_DEFAULT_SOCKET;   /* if nothing exists yet: fail per call */
        for (size_t i = 0; probe[i]; i++)
            if (is_socket(probe[i])) {
                s = probe[i];
                break;
            }
    }
    if (strlen(s) >= sizeof(c->sock))
        return AEGIS_ERR_INVAL;
    snprintf(c->sock, sizeof(c->sock), "%s", s);
    c->legacy = ends_with(c->sock, "/tappd.sock") || strcmp(c->sock, "tappd.sock") == 0;
    return AEGIS_OK;
}

static void dstack_free(void *vctx)
{
    struct dstack_ctx *c = vctx;
    json_decref(c->info);
    c->info = NULL;
    if (c->lock_ok) {
        pthread_mutex_destroy(&c->lock);
        pthread_mutex_destroy(&c->mrtd.lock);
    }
}

/* POST a JSON object; parse a 200 reply as a JSON object. Takes req. */
static aegis_err call_json(const char *sock, int timeout_ms, const char *path, json_t *req, json_t **ret)
{
    if (!req)
        return AEGIS_ERR_NOMEM;
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body)
        return AEGIS_ERR_NOMEM;
    int status = 0;
    char *resp = NULL;
    size_t len = 0;
    aegis_err err = aegis__http_unix_post(sock, path, body, timeout_ms, &status, &resp, &len);
    aegis_memzero(body, strlen(body));
    free(body);
    if (err)
        return err;
    if (status != 200) {
        aegis_free_secret(resp, len + 1);
        return AEGIS_ERR_UNSUPPORTED;
    }
    json_error_t jerr;
    json_t *j = json_loadb(resp, len, 0, &jerr);
    aegis_free_secret(resp, len + 1);
    if (!json_is_object(j)) {
        json_decref(j);
        return AEGIS_ERR_BAD_JSON;
    }
    *ret = j;
    return AEGIS_OK;
}

aegis_err aegis__dstack_derive_key(const char *sock, bool legacy, const char *path_prefix,
                                   const char *salt, const char *label,
                                   uint8_t out[static AEGIS_TEE_KEY_BYTES])
{
    char path[512];
    uint8_t *ikm = NULL;
    size_t ikm_len = 0;
    json_t *resp = NULL;
    aegis_err err = AEGIS_ERR_INVAL;
    if (snprintf(path, sizeof(path), "%s%s", path_prefix, label) >= (int)sizeof(path))
        goto out;
    if (legacy)
        err = call_json(sock, 30000, "/prpc/Tappd.DeriveKey",
                        json_pack("{s:s, s:s, s:[]}", "path", path, "subject", "aegis", "alt_names"), &resp);
    else
        err = call_json(sock, 30000, "/GetKey",
                        json_pack("{s:s, s:s, s:s}", "path", path, "purpose", "aegis-seal",
                                  "algorithm", "secp256k1"), &resp);
    if (err)
        goto out;
    const char *k = json_string_value(json_object_get(resp, "key"));
    err = AEGIS_ERR_BAD_JSON;
    if (!k || !*k)
        goto out;
    if (legacy) {   /* a PEM private key: its bytes are the secret */
        ikm_len = strlen(k);
        ikm = aegis_malloc(ikm_len);
        if (!ikm) {
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
        memcpy(ikm, k, ikm_len);
    } else if (aegis_hex_decode_alloc(k, 64, &ikm, &ikm_len) != AEGIS_OK || ikm_len < 16) {
        goto out;
    }
    err = aegis_hkdf_sha256(out, AEGIS_TEE_KEY_BYTES, ikm, ikm_len, (const uint8_t *)salt, strlen(salt),
                            (const uint8_t *)label, strlen(label));
out:
    if (resp) {   /* wipe the key string held by jansson */
        json_t *kj = json_object_get(resp, "key");
        const char *ks = json_string_value(kj);
        if (ks)
            aegis_memzero((char *)ks, strlen(ks));
        json_decref(resp);
    }
    if (ikm)
        aegis_free_secret(ikm, ikm_len);
    if (err)
        aegis_memzero(out, AEGIS_TEE_KEY_BYTES);
    return err;
}

/* GetQuote, then check the reply before handing the quote out: a TDX quote
 * binding exactly report_data, whose event log (when given) replays to its
 * RTMRs. The returned quote has its zero padding trimmed. ret_log (optional)
 * gets the event log string verbatim (NULL when the agent sent none). */
static aegis_err dstack_get_quote(struct dstack_ctx *c, const uint8_t rd[static AEGIS_TEE_REPORT_DATA_BYTES],
                                  uint8_t **ret, size_t *ret_len, char **ret_log, size_t *ret_log_len)
{
    char *log_copy = NULL;
    char hex[2 * AEGIS_TEE_REPORT_DATA_BYTES + 1];
    aegis_hex_encode(hex, rd, AEGIS_TEE_REPORT_DATA_BYTES);
    json_t *resp = NULL;
    uint8_t *q = NULL;
    size_t qlen = 0;
    aegis_eventlog log;
    bool have_log = false;
    aegis_err err;
    if (c->legacy)
        err = call_json(c->sock, c->timeout_ms, "/prpc/Tappd.TdxQuote",
                        json_pack("{s:s, s:s}", "report_data", hex, "hash_algorithm", "raw"), &resp);
    else
        err = call_json(c->sock, c->timeout_ms, "/GetQuote", json_pack("{s:s}", "report_data", hex), &resp);
    if (err)
        goto out;
    err = AEGIS_ERR_BAD_JSON;
    const char *qhex = json_string_value(json_object_get(resp, "quote"));
    if (!qhex || aegis_hex_decode_alloc(qhex, AEGIS_QUOTE_MAX_BYTES, &q, &qlen) != AEGIS_OK)
        goto out;
    aegis_quote pq;
    if ((err = aegis_quote_parse(q, qlen, &pq, NULL)) != AEGIS_OK)
        goto out;
    if (pq.tee_type != AEGIS_QUOTE_TEE_TDX) {
        err = AEGIS_ERR_QUOTE_UNSUPPORTED;
        goto out;
    }
    if (!aegis_ct_eq(pq.td.report_data, rd, AEGIS_TEE_REPORT_DATA_BYTES)) {
        err = AEGIS_ERR_POLICY_REPORT_DATA;
        goto out;
    }
    const char *ev = json_string_value(json_object_get(resp, "event_log"));
    if (ev && *ev) {
        if ((err = aegis_eventlog_parse(ev, strlen(ev), &log, NULL)) != AEGIS_OK)
            goto out;
        have_log = true;
        if ((err = aegis_eventlog_check(&log, &pq.td, NULL)) != AEGIS_OK)
            goto out;
        if (ret_log && !(log_copy = aegis_strndup(ev, strlen(ev)))) {
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
    }
    qlen = pq.parsed_len;
    *ret = q;
    *ret_len = qlen;
    q = NULL;
    if (ret_log) {
        *ret_log = log_copy;
        *ret_log_len = log_copy ? strlen(log_copy) : 0;
        log_copy = NULL;
    }
    err = AEGIS_OK;
out:
    aegis_free(log_copy);
    if (have_log)
        aegis_eventlog_clear(&log);
    aegis_free(q);
    json_decref(resp);
    return err;
}

static aegis_err dstack_quote(void *vctx, const uint8_t rd[static AEGIS_TEE_REPORT_DATA_BYTES],
                              uint8_t **ret, size_t *ret_len)
{
    return dstack_get_quote(vctx, rd, ret, ret_len, NULL, NULL);
}

static aegis_err dstack_quote_eventlog(void *vctx, const uint8_t rd[static AEGIS_TEE_REPORT_DATA_BYTES],
                                       uint8_t **ret, size_t *ret_len, char **ret_log, size_t *ret_log_len)
{
    return dstack_get_quote(vctx, rd, ret, ret_len, ret_log, ret_log_len);
}

/* MRTD of a quote over a fixed tag, cached. */
static aegis_err dstack_measurement(void *vctx, uint8_t out[static AEGIS_TEE_MEASUREMENT_BYTES])
{
    struct dstack_ctx *c = vctx;
    return aegis__tee_mrtd_cached(&c->mrtd, dstack_quote, c, DSTACK_MEASURE_TAG, out);
}

static aegis_err dstack_derive_key(void *vctx, const char *label, uint8_t out[static AEGIS_TEE_KEY_BYTES])
{
    struct dstack_ctx *c = vctx;
    return aegis__dstack_derive_key(c->sock, c->legacy, "aegis/dstack/", "AEGIS-DSTACK-TEE-V1", label, out);
}

static void dstack_info(void *vctx, aegis_tee_info_fn fn, void *arg)
{
    struct dstack_ctx *c = vctx;
    fn(arg, "socket", c->sock);
    fn(arg, "api", c->legacy ? "tappd (legacy)" : "dstack");
    pthread_mutex_lock(&c->lock);
    if (!c->info) {
        json_t *j = NULL;
        int to = c->timeout_ms < 5000 ? c->timeout_ms : 5000;
        if (call_json(c->sock, to, c->legacy ? "/prpc/Tappd.Info" : "/Info", json_object(), &j) == AEGIS_OK)
            c->info = j;
    }
    if (c->info) {
        static const char *const keys[] = { "app_id", "instance_id", "app_name", "compose_hash",
                                            "os_image_hash", "device_id", "mr_aggregated", NULL };
        for (size_t i = 0; keys[i]; i++) {
            const char *v = json_string_value(json_object_get(c->info, keys[i]));
            if (v)
                fn(arg, keys[i], v);
        }
    } else {
        fn(arg, "agent", "unreachable");
    }
    pthread_mutex_unlock(&c->lock);
}

const struct aegis_tee_ops aegis_tee_dstack_ops = {
    .name = "dstack",
    .flags = 0,
    .ctx_size = sizeof(struct dstack_ctx),
    .init = dstack_init,
    .derive_key = dstack_derive_key,
    .quote = dstack_quote,
    .measurement = dstack_measurement,
    .info = dstack_info,
    .free = dstack_free,
    .quote_eventlog = dstack_quote_eventlog,
};
