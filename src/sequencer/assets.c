/* assets.c - the asset registry on the host side: admin requests,
 * listings, the audit log, rollback, off-chain asset data.
 *
 *   aegis_adminAssets  [signed request]  -> {op, registry_hash, audit_seq, params[, rollback]}
 *   aegis_listAssets   []                -> {assets, count, registry_hash}
 *   aegis_getAsset     ["id"]            -> entry
 *   aegis_getAuditLog  []                -> {records: [line...], head: {seq, hash}}
 *   aegis_getRollbacks []                -> [signed rollback event...]
 *   aegis_putAssetData ["id", "0x<envelope: signed put request>"] -> {version}
 *   aegis_getAssetData ["id", "0x<envelope: signed get request>"] -> {version, envelope}
 *     (data travels only inside envelopes: to the TEE key, and back to the
 *     requester's one-time reply key)
 *
 * Durability: one store write (the redo record, meta "registry") commits the
 * registry blob with the audit records the core produced, before the admin
 * request is answered; the records are then inserted by seq. At start an
 * interrupted persist is completed from the redo record, then the core
 * verifies the log and checks the blob is the state it ends in. */
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aegis/hash.h"
#include "aegis/json.h"
#include "aegis/log.h"
#include "seq_int.h"

#define MOD "assets"

/* ---- registry persistence: a redo record ----
 * The registry and its audit log are two kinds of rows, and the store has
 * no transaction over several writes. So one write commits both: meta
 * "registry" holds
 *   "AGRW" | u8 1 | u64 seq | u32 blob_len | blob | u32 n |
 *   n x (u64 seq | u32 len | line)
 * the registry blob as of audit record seq, plus every audit record not yet
 * in the "audit" collection. The records are inserted after it (insert-only,
 * EXISTS is fine), and at start the records it carries beyond the
 * collection's last are inserted first: a crash between the writes loses
 * nothing and the log always ends in the blob's state. (A blob without the
 * header is the old format: the blob alone.) */
#define WAL_MAGIC "AGRW"

struct wal_rec {
    uint64_t seq;
    char *line;
    size_t len;
};

struct wal {
    uint64_t seq;
    const uint8_t *blob;       /* into the decoded buffer */
    size_t blob_len;
    struct wal_rec *v;         /* lines into the decoded buffer (not owned) */
    size_t n;
};

static aegis_err wal_decode(const uint8_t *b, size_t len, struct wal *w)
{
    memset(w, 0, sizeof(*w));
    if (len < 21 || memcmp(b, WAL_MAGIC, 4) != 0 || b[4] != 1)
        return AEGIS_ERR_STORE_CORRUPT;
    w->seq = aegis_get_be64(b + 5);
    size_t o = 17;
    w->blob_len = aegis_get_be32(b + 13);
    if (len - o < w->blob_len + 4)
        return AEGIS_ERR_STORE_CORRUPT;
    w->blob = b + o;
    o += w->blob_len;
    size_t n = aegis_get_be32(b + o);
    o += 4;
    if (n > (len - o) / 12)
        return AEGIS_ERR_STORE_CORRUPT;
    w->v = n ? aegis_calloc(n, sizeof(*w->v)) : NULL;
    if (n && !w->v)
        return AEGIS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (len - o < 12)
            goto bad;
        w->v[i].seq = aegis_get_be64(b + o);
        w->v[i].len = aegis_get_be32(b + o + 8);
        o += 12;
        if (len - o < w->v[i].len || w->v[i].seq != w->seq - (n - 1 - i))
            goto bad;
        w->v[i].line = (char *)(uintptr_t)(b + o);
        o += w->v[i].len;
    }
    if (o != len)
        goto bad;
    w->n = n;
    return AEGIS_OK;
bad:
    aegis_free(w->v);
    w->v = NULL;
    return AEGIS_ERR_STORE_CORRUPT;
}

static aegis_err wal_encode(uint64_t seq, const uint8_t *blob, size_t blob_len, const struct wal_rec *v, size_t n,
                            aegis_buf *out)
{
    uint8_t h[17];
    memcpy(h, WAL_MAGIC, 4);
    h[4] = 1;
    aegis_put_be64(h + 5, seq);
    aegis_put_be32(h + 13, (uint32_t)blob_len);
    uint8_t c[4];
    aegis_put_be32(c, (uint32_t)n);
    aegis_err err = aegis_buf_append(out, h, sizeof(h)) || aegis_buf_append(out, blob, blob_len) ||
                            aegis_buf_append(out, c, 4)
                        ? AEGIS_ERR_NOMEM
                        : AEGIS_OK;
    for (size_t i = 0; i < n && !err; i++) {
        uint8_t r[12];
        aegis_put_be64(r, v[i].seq);
        aegis_put_be32(r + 8, (uint32_t)v[i].len);
        if (aegis_buf_append(out, r, 12) || aegis_buf_append(out, v[i].line, v[i].len))
            err = AEGIS_ERR_NOMEM;
    }
    return err;
}

/* Test-only fault points (docs/internals/assets.md):
 *   AEGISD_FAULT=registry-redo        aegisd kills itself right after the
 *                                     redo record is durable, before the
 *                                     audit rows are inserted;
 *   AEGISD_FAULT=registry-io:<path>   while <path> exists, the redo write
 *                                     fails as a full disk would
 *                                     (AEGIS_ERR_STORE_FULL). */
static void fault_point(const char *name)
{
    const char *f = getenv("AEGISD_FAULT");
    if (f && strcmp(f, name) == 0)
        raise(SIGKILL);
}

static bool fault_io(void)
{
    const char *f = getenv("AEGISD_FAULT");
    return f && strncmp(f, "registry-io:", 12) == 0 && access(f + 12, F_OK) == 0;
}

/* The /healthz component "registry": degraded while audit records the core
 * produced are not durable yet. */
static void registry_health(struct aegis_seq *p, uint64_t behind, uint64_t last, aegis_err err)
{
    char detail[160];
    if (!behind) {
        snprintf(detail, sizeof(detail), "registry and audit log persisted (audit seq %llu)", (unsigned long long)last);
        (void)aegis_rpc_health_set(p->rpc, "registry", AEGIS_HEALTH_OK, detail);
        return;
    }
    snprintf(detail, sizeof(detail), "%llu audit record(s) not persisted (%s); retried on the next change",
             (unsigned long long)behind, aegis_err_name(err));
    (void)aegis_rpc_health_set(p->rpc, "registry", AEGIS_HEALTH_DEGRADED, detail);
}

/* Persist every audit record the core has not seen confirmed, and the
 * registry blob they end in: one redo write, then the audit rows, then the
 * confirmation. A failed write confirms nothing, so the next call (the next
 * change, submission or risk decision) writes the same records again with
 * whatever came after them: the store's log never has a gap. */
aegis_err aegis_seq_persist_registry(struct aegis_seq *p, uint64_t *ret_seq)
{
    aegis_core_audit_rec *v = NULL;
    size_t n = 0, blob_len = 0;
    uint8_t *blob = NULL;
    uint64_t have = 0, behind = 0;
    aegis_buf out;
    aegis_buf_init(&out, AEGIS_STORE_MAX_VALUE);
    pthread_mutex_lock(&p->reg_lock);
    aegis_err err = aegis_core_audit_snapshot(p->core, 0, &v, &n, &blob, &blob_len, &behind);
    if (err || n == 0)
        goto out;
    uint64_t last = v[n - 1].seq;
    /* rows an earlier, partly failed persist already inserted need not be
     * carried again (inserting them again is harmless) */
    if (aegis_store_last(p->store, "audit", &have) != AEGIS_OK)
        have = 0;
    size_t k = 0;
    while (k < n && v[k].seq <= have)
        k++;
    /* the redo record carries every record from the store's last row on */
    struct wal_rec *recs = n - k ? aegis_calloc(n - k, sizeof(*recs)) : NULL;
    if (n - k && !recs) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    for (size_t i = k; i < n; i++)
        recs[i - k] = (struct wal_rec){ v[i].seq, v[i].line, v[i].len };
    err = wal_encode(last, blob, blob_len, recs, n - k, &out);
    aegis_free(recs);
    if (!err)
        err = fault_io() ? AEGIS_ERR_STORE_FULL : aegis_store_meta_put(p->store, "registry", out.data, out.len);
    if (!err)
        fault_point("registry-redo");
    for (size_t i = k; i < n && !err; i++) {
        err = aegis_store_insert(p->store, "audit", v[i].seq, (const uint8_t *)v[i].line, v[i].len);
        if (err == AEGIS_ERR_EXISTS)
            err = AEGIS_OK;
    }
    if (err) {
        AEGIS_LOGW(MOD, "registry change not persisted (kept, retried on the next change)", "records=%llu..%llu err=%s",
                   (unsigned long long)v[0].seq, (unsigned long long)last, aegis_err_name(err));
        registry_health(p, behind, last, err);
        goto out;
    }
    aegis_core_audit_persisted(p->core, last);
    if (n > 1)   /* several at once: caught up after a failure, or concurrent changes */
        AEGIS_LOGI(MOD, "registry persisted", "records=%llu..%llu", (unsigned long long)v[0].seq,
                   (unsigned long long)last);
    registry_health(p, 0, last, AEGIS_OK);
    if (ret_seq)
        *ret_seq = last;
out:
    pthread_mutex_unlock(&p->reg_lock);
    aegis_core_audit_recs_free(v, n);
    aegis_free(blob);
    aegis_buf_clear(&out);
    return err;
}

static int audit_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    aegis_buf *b = arg;
    return aegis_buf_append(b, val, len) || aegis_buf_append(b, "\n", 1);
}

static int rollback_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    struct aegis_seq *p = arg;
    json_t *j = json_loadb((const char *)val, len, 0, NULL);
    json_t *f = json_object_get(j, "orphan_first"), *l = json_object_get(j, "orphan_last");
    if (json_is_integer(f) && json_is_integer(l)) {
        struct orphan_span *n = aegis_realloc(p->orphans, (p->n_orphans + 1) * sizeof(*n));
        if (n) {
            p->orphans = n;
            p->orphans[p->n_orphans++] = (struct orphan_span){ (uint64_t)json_integer_value(f),
                                                               (uint64_t)json_integer_value(l) };
        }
    }
    json_decref(j);
    return 0;
}

aegis_err aegis_seq_restore_orphans(struct aegis_seq *p, uint64_t count)
{
    return count ? aegis_store_range(p->store, "rollback", 1, count, rollback_cb, p) : AEGIS_OK;
}

aegis_err aegis_seq_restore_registry(struct aegis_seq *p, const char **detail)
{
    aegis_buf log;
    aegis_buf_init(&log, (size_t)1 << 30);
    uint8_t *meta = NULL;
    const uint8_t *blob = NULL;
    size_t meta_len = 0, blob_len = 0;
    struct wal w = { 0 };
    uint64_t have = 0;
    aegis_err err = aegis_store_meta_get(p->store, "registry", &meta, &meta_len);
    if (err == AEGIS_ERR_NOT_FOUND) {
        err = AEGIS_OK;
    } else if (err) {
        *detail = "cannot read the registry";
        goto out;
    } else if (meta_len >= 4 && memcmp(meta, WAL_MAGIC, 4) == 0) {
        if ((err = wal_decode(meta, meta_len, &w)) != AEGIS_OK) {
            *detail = "the persisted registry record is malformed";
            goto out;
        }
        blob = w.blob;
        blob_len = w.blob_len;
        /* finish an interrupted persist: the records it carries go in first */
        if (aegis_store_last(p->store, "audit", &have) != AEGIS_OK)
            have = 0;
        size_t redone = 0;
        for (size_t i = 0; i < w.n && !err; i++) {
            if (w.v[i].seq <= have)
                continue;
            if (w.v[i].seq != have + 1) {
                *detail = "audit records are missing before the persisted registry record";
                err = AEGIS_ERR_CORE_RESTORE;
                goto out;
            }
            err = aegis_store_insert(p->store, "audit", w.v[i].seq, (const uint8_t *)w.v[i].line, w.v[i].len);
            have = w.v[i].seq;
            redone++;
        }
        if (err) {
            *detail = "cannot complete the interrupted registry persist";
            goto out;
        }
        if (redone)
            AEGIS_LOGW(MOD, "completed an interrupted registry persist", "records=%zu last=%llu", redone,
                       (unsigned long long)have);
    } else {
        blob = meta;   /* the old format: the blob alone */
        blob_len = meta_len;
    }
    err = aegis_store_range(p->store, "audit", 1, UINT64_MAX, audit_cb, &log);
    if (err) {
        *detail = "cannot read the audit log";
        goto out;
    }
    if (log.len == 0)
        goto rollbacks;
    if (!blob) {
        *detail = "the audit log has records but the registry blob is missing";
        err = AEGIS_ERR_NOT_FOUND;
        goto out;
    }
    err = aegis_core_restore_registry(p->core, (const char *)log.data, log.len, blob, blob_len, detail);
    if (err)
        goto out;
rollbacks:
    if (aegis_store_last(p->store, "audit", &have) != AEGIS_OK)
        have = 0;
    registry_health(p, 0, have, AEGIS_OK);
    err = aegis_store_range(p->store, "rollback", 1, UINT64_MAX, rollback_cb, p);
    if (!err)
        aegis_core_restore_rollbacks(p->core, p->n_orphans);
out:
    aegis_buf_clear(&log);
    aegis_free(w.v);
    aegis_free(meta);
    return err;
}

bool aegis_seq_is_orphaned(struct aegis_seq *p, uint64_t number)
{
    bool o = false;
    pthread_mutex_lock(&p->reg_lock);
    for (size_t i = 0; i < p->n_orphans && !o; i++)
        o = number >= p->orphans[i].first && number <= p->orphans[i].last;
    pthread_mutex_unlock(&p->reg_lock);
    return o;
}

static aegis_err bad(const char **detail, const char *what)
{
    *detail = what;
    return AEGIS_ERR_RPC_INVALID_PARAMS;
}

static aegis_err parse_out(char *s, json_t **ret)
{
    *ret = s ? json_loads(s, 0, NULL) : NULL;
    aegis_free(s);
    return *ret ? AEGIS_OK : AEGIS_ERR_INTERNAL;
}

/* The checkpoint record a rollback request names, or an error before the
 * request touches anything. *ret = NULL for other ops. */
static aegis_err rollback_checkpoint(struct aegis_seq *p, const json_t *req, uint8_t **ret, size_t *ret_len,
                                     const char **detail)
{
    *ret = NULL;
    if (!json_is_string(json_object_get(req, "op")) || strcmp(json_string_value(json_object_get(req, "op")), "rollback"))
        return AEGIS_OK;
    json_t *n = json_object_get(json_object_get(req, "params"), "checkpoint");
    if (!json_is_integer(n) || json_integer_value(n) < 0) {
        *detail = "rollback takes {checkpoint: N} with N a checkpoint number";
        return AEGIS_ERR_RPC_INVALID_PARAMS;
    }
    aegis_err err = aegis_store_get(p->store, "checkpoint", (uint64_t)json_integer_value(n) + 1, ret, ret_len);
    if (err)
        *detail = "no such checkpoint";
    return err;
}

/* A signed admin request (registry change or rollback) applied at now_ms:
 * on a single node at once, on a cluster's every worker at its position in
 * the log (control.c). The result, the rollback event when one was made and
 * the audit sequence are durable before *ret is set. */
aegis_err aegis_seq_apply_admin(struct aegis_seq *p, const char *req, size_t len, uint64_t now_ms, json_t **ret,
                                const char **detail)
{
    *ret = NULL;
    json_t *a = json_loadb(req, len, 0, NULL);
    if (!json_is_object(a)) {
        json_decref(a);
        return bad(detail, "the admin request must be a JSON object (aegis assets ...)");
    }
    uint8_t *ckpt = NULL;
    size_t ckpt_len = 0;
    aegis_err err = rollback_checkpoint(p, a, &ckpt, &ckpt_len, detail);
    json_decref(a);
    if (err)
        return err;
    char *out = NULL, *event = NULL;
    uint64_t seq = 0, first = 0, last = 0;
    err = aegis_core_admin(p->core, req, len, now_ms, (const char *)ckpt, ckpt_len, &out, &event, &first, &last,
                           detail);
    aegis_free(ckpt);
    if (!err)
        err = parse_out(out, ret);
    else
        aegis_free(out);
    if (!err && event) {
        /* the signed event under its number + 1 (a cluster worker that
         * rebuilds from the log makes it again, in place), then the orphan
         * marks; the restored risk state */
        json_t *ev = json_loads(event, 0, NULL);
        uint64_t number = 0;
        err = aegis_json_u64(json_object_get(ev, "number"), UINT64_MAX - 1, &number)
                  ? aegis_seq_persist_record(p, "rollback", number + 1, event)
                  : AEGIS_ERR_INTERNAL;
        json_decref(ev);
        char *state = NULL;
        if (!err && aegis_core_risk_state(p->core, &state) == AEGIS_OK) {
            err = aegis_store_meta_put(p->store, "risk_state", (const uint8_t *)state, strlen(state));
            aegis_free(state);
        }
        if (!err) {
            pthread_mutex_lock(&p->reg_lock);
            struct orphan_span *n = aegis_realloc(p->orphans, (p->n_orphans + 1) * sizeof(*n));
            if (n) {
                p->orphans = n;
                p->orphans[p->n_orphans++] = (struct orphan_span){ first, last };
            }
            pthread_mutex_unlock(&p->reg_lock);
            json_object_set_new(*ret, "rollback", json_loads(event, 0, NULL));
            AEGIS_LOGW(MOD, "rolled back", "orphaned=%llu..%llu", (unsigned long long)first, (unsigned long long)last);
        } else {
            *detail = "rollback event not persisted";
        }
    }
    aegis_free(event);
    /* durable before the reply */
    aegis_err perr = aegis_seq_persist_registry(p, &seq);
    if (!err && perr) {
        *detail = "registry change not persisted";
        err = perr;
    }
    if (err) {
        if (*ret)
            json_decref(*ret);
        *ret = NULL;
        return err;
    }
    json_object_set_new(*ret, "audit_seq", json_integer((json_int_t)seq));
    return AEGIS_OK;
}

static aegis_err m_admin(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *a = json_array_get(params, 0);
    *ret = NULL;
    if (!json_is_array(params) || json_array_size(params) != 1 || !json_is_object(a))
        return bad(detail, "params must be [signed admin request object] (aegis assets ...)");
    char *req = json_dumps(a, JSON_COMPACT);
    if (!req)
        return AEGIS_ERR_NOMEM;
    /* through the log: applied where it is, in order, on every worker */
    aegis_err err = p->log->submit_control(p, "admin", req, strlen(req), ret, detail);
    free(req);
    return err;
}

static aegis_err m_list(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    char *s = NULL;
    aegis_err err = aegis_core_assets_list(p->core, &s);
    return err ? err : parse_out(s, ret);
}

static aegis_err m_get(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    const char *id = json_string_value(json_array_get(params, 0));
    if (!json_is_array(params) || json_array_size(params) != 1 || !id)
        return bad(detail, "params must be [\"<asset id>\"]");
    char *s = NULL;
    aegis_err err = aegis_core_asset_get(p->core, id, &s);
    return err ? err : parse_out(s, ret);
}

static int audit_lines_cb(void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    json_array_append_new(arg, json_stringn((const char *)val, len));
    return 0;
}

static aegis_err m_audit(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *recs = json_array();
    aegis_err err = recs ? aegis_store_range(p->store, "audit", 1, UINT64_MAX, audit_lines_cb, recs)
                         : AEGIS_ERR_NOMEM;
    if (err) {
        json_decref(recs);
        return err;
    }
    /* head: the last record's own hash */
    json_t *head = json_pack("{s:I, s:n}", "seq", (json_int_t)json_array_size(recs), "hash");
    size_t n = json_array_size(recs);
    if (n) {
        json_t *last = json_loads(json_string_value(json_array_get(recs, n - 1)), 0, NULL);
        const char *h = json_string_value(json_object_get(last, "hash"));
        if (h) {
            char buf[80];
            snprintf(buf, sizeof(buf), "0x%s", h);
            json_object_set_new(head, "hash", json_string(buf));
        }
        json_decref(last);
    }
    *ret = json_pack("{s:o, s:o}", "records", recs, "head", head);
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static aegis_err m_rollbacks(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    json_t *arr = json_array();
    aegis_err err = AEGIS_OK;
    uint64_t last = 0;
    if (aegis_store_last(p->store, "rollback", &last) == AEGIS_OK) {
        for (uint64_t k = 1; arr && k <= last && !err; k++) {
            uint8_t *v = NULL;
            size_t n = 0;
            err = aegis_store_get(p->store, "rollback", k, &v, &n);
            if (!err)
                json_array_append_new(arr, json_loadb((const char *)v, n, 0, NULL));
            aegis_free(v);
        }
    }
    if (err || !arr) {
        json_decref(arr);
        return err ? err : AEGIS_ERR_NOMEM;
    }
    *ret = arr;
    return AEGIS_OK;
}

/* Store key of version v of an asset's data blob: 62 bits of SHA-256(id)
 * and the version's parity. Two slots per asset: a put writes the slot the
 * current version does not use, so a crash before the registry records the
 * new version leaves the current blob readable. */
static uint64_t asset_key(const char *id, uint64_t version)
{
    uint8_t h[32];
    aegis_sha256(h, id, strlen(id));
    uint64_t k = aegis_get_be64(h) & ((uint64_t)INT64_MAX - 1);
    return (k ? k : 2) | (version & 1);
}

/* ["id", "0x<envelope>"]: the envelope bytes (aegis_free). */
/* max: the largest envelope the format allows */
static aegis_err data_params(json_t *params, size_t max, const char **id, uint8_t **env, size_t *env_len,
                             const char **detail)
{
    const char *hex = json_string_value(json_array_get(params, 1));
    *id = json_string_value(json_array_get(params, 0));
    if (!json_is_array(params) || json_array_size(params) != 2 || !*id || !hex ||
        aegis_hex_decode_alloc(hex, max, env, env_len) != AEGIS_OK)
        return bad(detail, "params must be [\"<asset id>\", \"0x<envelope>\"]: a signed request sealed to "
                           "aegis_getEncryptionKey (aegis assets put-data / get-data)");
    return AEGIS_OK;
}

/* The host sees the asset id, the envelope and the sealed blob: never the
 * data (docs/internals/assets.md). */
static aegis_err m_put_data(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    const char *id = NULL;
    uint8_t *env = NULL, *blob = NULL;
    size_t env_len = 0, blob_len = 0;
    uint64_t version = 0;
    aegis_err err = data_params(params, aegis_core_envelope_max(), &id, &env, &env_len, detail);
    if (err)
        return err;
    err = aegis_core_asset_data_put(p->core, id, env, env_len, aegis_wall_ms(), &blob, &blob_len, &version, detail);
    aegis_free(env);
    /* the blob first (the other slot), then the registry that names it */
    if (!err) {
        err = aegis_store_put(p->store, "asset_data", asset_key(id, version), blob, blob_len);
        if (err)
            *detail = "sealed data not persisted";
    }
    aegis_free(blob);
    if (!err && (err = aegis_seq_persist_registry(p, NULL)) != AEGIS_OK)
        *detail = "data version not persisted";
    if (err)
        return err;
    *ret = json_pack("{s:I}", "version", (json_int_t)version);
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static aegis_err m_get_data(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail)
{
    struct aegis_seq *p = call->ctx;
    const char *id = NULL;
    uint8_t *env = NULL, *blob = NULL, *reply = NULL;
    size_t env_len = 0, blob_len = 0, reply_len = 0;
    uint64_t version = 0;
    aegis_err err = data_params(params, aegis_core_envelope_max(), &id, &env, &env_len, detail);
    if (err)
        return err;
    err = aegis_core_asset_data_version(p->core, id, &version);
    if (!err && version) {
        err = aegis_store_get(p->store, "asset_data", asset_key(id, version), &blob, &blob_len);
        if (err == AEGIS_ERR_NOT_FOUND)
            err = AEGIS_OK;   /* the core says what is missing, after authenticating */
    }
    if (!err)
        err = aegis_core_asset_data_get(p->core, id, env, env_len, blob, blob_len, aegis_wall_ms(), &reply,
                                        &reply_len, &version, detail);
    aegis_free(env);
    aegis_free(blob);
    if (err)
        return err;
    *ret = json_pack("{s:I, s:o}", "version", (json_int_t)version, "envelope", aegis_json_hex(reply, reply_len));
    aegis_free(reply);
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static const aegis_rpc_method methods[] = {
    { "aegis_adminAssets", m_admin, "[signed admin request]", AEGIS_RPC_PUBLIC | AEGIS_RPC_WRITE,
      "change the asset registry (add, policy, state, PQC keys, roles, rollback); ML-DSA-87 admin signature" },
    { "aegis_listAssets", m_list, "[]", AEGIS_RPC_PUBLIC, "every registry entry and the registry hash" },
    { "aegis_getAsset", m_get, "[\"id\"]", AEGIS_RPC_PUBLIC, "one registry entry" },
    { "aegis_getAuditLog", m_audit, "[]", AEGIS_RPC_PUBLIC, "the hash-chained audit log of registry changes" },
    { "aegis_getRollbacks", m_rollbacks, "[]", AEGIS_RPC_PUBLIC, "signed rollback events (orphaned batch ranges)" },
    { "aegis_putAssetData", m_put_data, "[\"id\", \"0x<envelope>\"]", AEGIS_RPC_PUBLIC | AEGIS_RPC_WRITE,
      "store off-chain asset data: a signed put request sealed to the TEE key; writer checked against the asset policy" },
    { "aegis_getAssetData", m_get_data, "[\"id\", \"0x<envelope>\"]", AEGIS_RPC_PUBLIC,
      "read off-chain asset data: a signed get request sealed to the TEE key; the data comes back sealed to the "
      "requester's reply key" },
};

aegis_err aegis_seq_register_assets(struct aegis_seq *p)
{
    return aegis_rpc_add_methods(p->rpc, methods, AEGIS_ARRAY_LEN(methods), p);
}
