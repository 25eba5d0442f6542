/* nats.c - aegis/cluster.h on libnats (JetStream streams, KV buckets, core
 * request/reply). Host side: carries opaque bytes only. */
#include <ctype.h>
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cluster.h"
#include "aegis/hash.h"
#include "aegis/log.h"

#define MOD "cluster"
#define PUB_WAIT_MS 3000
#define JS_WRONG_LAST_SEQ 10071   /* JSStreamWrongLastSequenceErr */
#define JS_NO_MESSAGE 10037       /* JSNoMessageFoundErr */

struct aegis_cluster {
    natsConnection *nc;
    jsCtx *js;
    kvStore *kv, *live;
    natsSubscription *join_sub;
    aegis_cluster_join_fn join_fn;
    void *join_arg;
    char stream[65], batch_stream[65];
    char p[65], q[65];             /* subject prefixes: the stream names in lower case */
    char worker[129];
    char subj_env[80], subj_cut[80], subj_join[80];
    uint64_t fault_drop;           /* AEGIS_FAULT_DROP_LOG_SEQ (tests): see aegis_cluster_next */
    char fault_batch[40];          /* AEGIS_FAULT_FAIL_BATCH_PUBLISH (tests): "batch-N", failed once */
    bool fault_batch_done;
};

struct aegis_cluster_sub {
    aegis_cluster *c;
    natsSubscription *sub;         /* NULL: read from the stream leader, message by message */
    natsMsg *cur;
    const char *prefix;
    size_t plen;
    bool log;                      /* the log stream (not the publications) */
    uint64_t next;                 /* leader reads: the next sequence */
};

static void lower(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = 0;
}

static aegis_err ensure_stream(aegis_cluster *c, const char *name, const char *subj, int replicas)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    if (js_GetStreamInfo(&si, c->js, name, NULL, &jerr) == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return AEGIS_OK;
    }
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[1] = { subj };
    sc.Name = name;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Replicas = replicas;
    sc.Duplicates = (int64_t)120 * 1000000000LL;   /* a retried submission within 2 min is the same message */
    natsStatus s = js_AddStream(&si, c->js, &sc, NULL, &jerr);
    if (s != NATS_OK) {
        /* another worker may have created it at the same moment */
        if (js_GetStreamInfo(&si, c->js, name, NULL, &jerr) != NATS_OK) {
            AEGIS_LOGE(MOD, "cannot create stream", "stream=%s err=%s jserr=%d detail=\"%s\"", name,
                       natsStatus_GetText(s), (int)jerr, nats_GetLastError(NULL));
            return AEGIS_ERR_CLUSTER_SETUP;
        }
    }
    jsStreamInfo_Destroy(si);
    return AEGIS_OK;
}

static aegis_err ensure_kv(aegis_cluster *c, kvStore **kv, const char *bucket, int replicas, int64_t ttl_ms)
{
    if (js_KeyValue(kv, c->js, bucket) == NATS_OK)
        return AEGIS_OK;
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = bucket;
    kc.History = 1;
    kc.Replicas = replicas;
    kc.TTL = ttl_ms * 1000000;   /* nanoseconds (the stream's MaxAge) */
    kc.StorageType = js_FileStorage;
    natsStatus s = js_CreateKeyValue(kv, c->js, &kc);
    if (s != NATS_OK && js_KeyValue(kv, c->js, bucket) != NATS_OK) {
        AEGIS_LOGE(MOD, "cannot create bucket", "bucket=%s err=%s detail=\"%s\"", bucket, natsStatus_GetText(s),
                   nats_GetLastError(NULL));
        return AEGIS_ERR_CLUSTER_SETUP;
    }
    return AEGIS_OK;
}

aegis_err aegis_cluster_open(aegis_cluster **ret, const aegis_cluster_opts *o, const char **detail)
{
    aegis_cluster *c = aegis_calloc(1, sizeof(*c));
    natsOptions *no = NULL;
    aegis_err err = AEGIS_ERR_NOMEM;
    *detail = "out of memory";
    if (!c)
        return err;
    snprintf(c->stream, sizeof(c->stream), "%s", o->stream);
    snprintf(c->batch_stream, sizeof(c->batch_stream), "%s", o->batch_stream);
    snprintf(c->worker, sizeof(c->worker), "%s", o->worker);
    lower(c->p, sizeof(c->p), o->stream);
    lower(c->q, sizeof(c->q), o->batch_stream);
    snprintf(c->subj_env, sizeof(c->subj_env), "%s.env", c->p);
    snprintf(c->subj_cut, sizeof(c->subj_cut), "%s.cut", c->p);
    snprintf(c->subj_join, sizeof(c->subj_join), "%s_join", c->p);   /* outside the stream's subjects */
    const char *fd = getenv("AEGIS_FAULT_DROP_LOG_SEQ");
    c->fault_drop = fd ? strtoull(fd, NULL, 10) : 0;
    if (c->fault_drop)
        AEGIS_LOGW(MOD, "fault injection: this worker's ordered log reader drops one message and renumbers the rest "
                   "(tests only)", "seq=%llu", (unsigned long long)c->fault_drop);
    const char *fb = getenv("AEGIS_FAULT_FAIL_BATCH_PUBLISH");
    if (fb && *fb) {
        snprintf(c->fault_batch, sizeof(c->fault_batch), "batch-%llu", strtoull(fb, NULL, 10));
        AEGIS_LOGW(MOD, "fault injection: this worker's first publication of one batch fails (tests only)",
                   "id=%s", c->fault_batch);
    }

    err = AEGIS_ERR_CLUSTER_CONNECT;
    *detail = "cannot reach any nats-server of cluster.nats_urls";
    if (natsOptions_Create(&no) != NATS_OK ||
        natsOptions_SetServers(no, (const char **)o->urls, (int)o->n_urls) != NATS_OK ||
        natsOptions_SetMaxReconnect(no, -1) != NATS_OK || natsOptions_SetReconnectWait(no, 100) != NATS_OK ||
        natsOptions_SetTimeout(no, 2000) != NATS_OK || natsOptions_SetName(no, o->worker) != NATS_OK ||
        natsOptions_SetRetryOnFailedConnect(no, true, NULL, NULL) != NATS_OK)
        goto fail;
    if (o->user && o->user[0] && natsOptions_SetUserInfo(no, o->user, o->password ? o->password : "") != NATS_OK)
        goto fail;
    if (natsConnection_Connect(&c->nc, no) != NATS_OK)
        goto fail;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = PUB_WAIT_MS;
    if (natsConnection_JetStream(&c->js, c->nc, &jo) != NATS_OK)
        goto fail;
    *detail = "cannot create or open the cluster's streams or buckets (is JetStream up with a quorum?)";
    char subj[80], qsubj[80], live[80];
    snprintf(subj, sizeof(subj), "%s.>", c->p);
    snprintf(qsubj, sizeof(qsubj), "%s.>", c->q);
    snprintf(live, sizeof(live), "%s_live", o->bucket);
    /* servers that just started elect a JetStream leader first: retry ~15 s */
    for (int i = 0; i < 30; i++) {
        err = ensure_stream(c, c->stream, subj, o->replicas);
        if (!err)
            err = ensure_stream(c, c->batch_stream, qsubj, o->replicas);
        if (!err && !c->kv)
            err = ensure_kv(c, &c->kv, o->bucket, o->replicas, 0);
        if (!err && !c->live)
            err = ensure_kv(c, &c->live, live, o->replicas, (int64_t)o->lease_ms);
        if (!err)
            break;
        nats_Sleep(500);
    }
    if (err)
        goto fail;
    natsOptions_Destroy(no);
    *detail = NULL;
    *ret = c;
    return AEGIS_OK;
fail:
    natsOptions_Destroy(no);
    aegis_cluster_free(c);
    return err;
}

void aegis_cluster_free(aegis_cluster *c)
{
    if (!c)
        return;
    if (c->join_sub) {
        natsSubscription_Unsubscribe(c->join_sub);
        natsSubscription_Destroy(c->join_sub);
    }
    kvStore_Destroy(c->kv);
    kvStore_Destroy(c->live);
    jsCtx_Destroy(c->js);
    if (c->nc) {
        natsConnection_Close(c->nc);
        natsConnection_Destroy(c->nc);
    }
    aegis_free(c);
}

bool aegis_cluster_connected(aegis_cluster *c)
{
    return natsConnection_Status(c->nc) == NATS_CONN_STATUS_CONNECTED;
}

/* ---- the log ---- */

/* Publish and wait for JetStream's acknowledgement. A message with an id is
 * retried until RETRY_MS has passed (no responders while a stream elects a
 * new leader, a timeout): JetStream de-duplicates by id, so a retry never
 * stores it twice. A fenced append is never retried (its expectation would
 * fail again). */
#define RETRY_MS 12000   /* a stream leader election after a lost server takes seconds on a busy host */
static aegis_err publish(aegis_cluster *c, const char *subj, const void *data, size_t len, const char *msg_id,
                         uint64_t expect_subj_seq, uint64_t *ret_seq, bool *ret_dup)
{
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = PUB_WAIT_MS;
    po.MsgId = msg_id;
    po.ExpectLastSubjectSeq = expect_subj_seq;
    int64_t deadline = nats_Now() + RETRY_MS;
    for (int attempt = 0;; attempt++) {
        jsPubAck *pa = NULL;
        jsErrCode jerr = 0;
        natsStatus s = js_Publish(&pa, c->js, subj, data, (int)len, &po, &jerr);
        if (s == NATS_OK) {
            if (ret_seq)
                *ret_seq = pa->Sequence;
            if (ret_dup)
                *ret_dup = pa->Duplicate;
            jsPubAck_Destroy(pa);
            return AEGIS_OK;
        }
        if (jerr == JS_WRONG_LAST_SEQ)
            return AEGIS_ERR_CLUSTER_FENCED;
        if (!msg_id || nats_Now() + 200 > deadline) {
            AEGIS_LOGW(MOD, "not acknowledged by the log", "subject=%s err=%s jserr=%d attempts=%d", subj,
                       natsStatus_GetText(s), (int)jerr, attempt + 1);
            return AEGIS_ERR_CLUSTER_NO_QUORUM;
        }
        nats_Sleep(s == NATS_NO_RESPONDERS ? 100 : 50);
    }
}

aegis_err aegis_cluster_append(aegis_cluster *c, aegis_cluster_kind kind, const char *ctl, const void *data,
                               size_t len, const char *msg_id, uint64_t *ret_seq, bool *ret_dup)
{
    char subj[160];
    if (kind == AEGIS_CLUSTER_ENV)
        snprintf(subj, sizeof(subj), "%s", c->subj_env);
    else if (kind == AEGIS_CLUSTER_CTL && ctl && *ctl && !strpbrk(ctl, ".*> "))
        snprintf(subj, sizeof(subj), "%s.ctl.%s", c->p, ctl);
    else
        return AEGIS_ERR_INVAL;
    return publish(c, subj, data, len, msg_id, 0, ret_seq, ret_dup);
}

aegis_err aegis_cluster_append_cut(aegis_cluster *c, const void *data, size_t len, uint64_t expect_seq,
                                   uint64_t *ret_seq)
{
    return publish(c, c->subj_cut, data, len, NULL, expect_seq, ret_seq, NULL);
}

aegis_err aegis_cluster_publish(aegis_cluster *c, aegis_cluster_kind kind, const void *data, size_t len,
                                const char *msg_id)
{
    const char *what = kind == AEGIS_CLUSTER_BATCH ? "batch" : kind == AEGIS_CLUSTER_COATTEST ? "coattest"
                     : kind == AEGIS_CLUSTER_DISSENT ? "dissent" : NULL;
    if (!what)
        return AEGIS_ERR_INVAL;
    char subj[220];
    snprintf(subj, sizeof(subj), "%s.%s.%s", c->q, what, c->worker);
    /* fault injection (tests): the publications stream without a leader
     * for longer than the retries, once, for this batch */
    if (c->fault_batch[0] && msg_id && strcmp(msg_id, c->fault_batch) == 0 &&
        !__atomic_exchange_n(&c->fault_batch_done, true, __ATOMIC_ACQ_REL))
        return AEGIS_ERR_CLUSTER_NO_QUORUM;
    return publish(c, subj, data, len, msg_id, 0, NULL, NULL);
}

aegis_err aegis_cluster_last_seq(aegis_cluster *c, bool publications, uint64_t *ret_seq)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    if (js_GetStreamInfo(&si, c->js, publications ? c->batch_stream : c->stream, NULL, &jerr) != NATS_OK)
        return AEGIS_ERR_CLUSTER_NO_QUORUM;
    *ret_seq = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return AEGIS_OK;
}

/* ---- ordered reading ---- */

aegis_err aegis_cluster_sub_new(aegis_cluster_sub **ret, aegis_cluster *c, bool publications, uint64_t from)
{
    aegis_cluster_sub *s = aegis_calloc(1, sizeof(*s));
    if (!s)
        return AEGIS_ERR_NOMEM;
    s->c = c;
    s->log = !publications;
    s->prefix = publications ? c->q : c->p;
    s->plen = strlen(s->prefix);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = publications ? c->batch_stream : c->stream;
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = from ? from : 1;
    char subj[80];
    snprintf(subj, sizeof(subj), "%s.>", s->prefix);
    jsErrCode jerr = 0;
    natsStatus st = js_SubscribeSync(&s->sub, c->js, subj, NULL, &so, &jerr);
    if (st != NATS_OK) {
        AEGIS_LOGE(MOD, "cannot read the stream", "stream=%s err=%s jserr=%d", so.Stream, natsStatus_GetText(st),
                   (int)jerr);
        aegis_free(s);
        return AEGIS_ERR_CLUSTER_NO_QUORUM;
    }
    natsSubscription_SetPendingLimits(s->sub, -1, -1);
    *ret = s;
    return AEGIS_OK;
}

aegis_err aegis_cluster_sub_new_leader(aegis_cluster_sub **ret, aegis_cluster *c, uint64_t from)
{
    aegis_cluster_sub *s = aegis_calloc(1, sizeof(*s));
    if (!s)
        return AEGIS_ERR_NOMEM;
    s->c = c;
    s->log = true;
    s->prefix = c->p;
    s->plen = strlen(s->prefix);
    s->next = from ? from : 1;
    *ret = s;
    return AEGIS_OK;
}

/* One message of the log from the stream leader: AEGIS_OK (*ret owned by
 * the caller), AEGIS_ERR_NOT_FOUND, AEGIS_ERR_CLUSTER_NO_QUORUM. */
static aegis_err leader_get(aegis_cluster *c, uint64_t seq, natsMsg **ret)
{
    jsErrCode jerr = 0;
    natsStatus st = js_GetMsg(ret, c->js, c->stream, seq, NULL, &jerr);
    if (st == NATS_OK)
        return AEGIS_OK;
    *ret = NULL;
    return st == NATS_NOT_FOUND || jerr == JS_NO_MESSAGE ? AEGIS_ERR_NOT_FOUND : AEGIS_ERR_CLUSTER_NO_QUORUM;
}

static aegis_cluster_kind kind_of(const char *prefix, size_t plen, const char *subj, char *tail, size_t cap);

aegis_err aegis_cluster_log_at(aegis_cluster *c, uint64_t seq, uint8_t hash[static 32], aegis_cluster_kind *kind)
{
    natsMsg *msg = NULL;
    aegis_err err = leader_get(c, seq, &msg);
    if (err)
        return err;
    char tail[136];
    *kind = kind_of(c->p, strlen(c->p), natsMsg_GetSubject(msg), tail, sizeof(tail));
    aegis_sha256(hash, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
    return AEGIS_OK;
}

static aegis_cluster_kind classify(const char *rest, char *tail, size_t cap)
{
    static const struct { const char *pfx; aegis_cluster_kind k; } map[] = {
        { "ctl.", AEGIS_CLUSTER_CTL }, { "batch.", AEGIS_CLUSTER_BATCH },
        { "coattest.", AEGIS_CLUSTER_COATTEST }, { "dissent.", AEGIS_CLUSTER_DISSENT },
    };
    tail[0] = 0;
    if (strcmp(rest, "env") == 0)
        return AEGIS_CLUSTER_ENV;
    if (strcmp(rest, "cut") == 0)
        return AEGIS_CLUSTER_CUT;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        size_t n = strlen(map[i].pfx);
        if (strncmp(rest, map[i].pfx, n) == 0 && rest[n] && strlen(rest + n) < cap && !strchr(rest + n, '.')) {
            snprintf(tail, cap, "%s", rest + n);
            return map[i].k;
        }
    }
    return AEGIS_CLUSTER_OTHER;
}

static aegis_cluster_kind kind_of(const char *prefix, size_t plen, const char *subj, char *tail, size_t cap)
{
    tail[0] = 0;
    if (subj && strncmp(subj, prefix, plen) == 0 && subj[plen] == '.')
        return classify(subj + plen + 1, tail, cap);
    return AEGIS_CLUSTER_OTHER;
}

static void fill(aegis_cluster_sub *s, natsMsg *msg, uint64_t seq, uint64_t ts_ms, aegis_cluster_msg *m)
{
    s->cur = msg;
    memset(m, 0, sizeof(*m));
    m->seq = seq;
    m->ts_ms = ts_ms;
    m->kind = kind_of(s->prefix, s->plen, natsMsg_GetSubject(msg), m->tail, sizeof(m->tail));
    m->data = (const uint8_t *)natsMsg_GetData(msg);
    m->len = (size_t)natsMsg_GetDataLength(msg);
}

/* Leader reads: one get per message; past the end, poll (every 50 ms) until timeout_ms. */
static aegis_err next_from_leader(aegis_cluster_sub *s, int64_t timeout_ms, aegis_cluster_msg *m)
{
    int64_t deadline = nats_Now() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        natsMsg *msg = NULL;
        aegis_err err = leader_get(s->c, s->next, &msg);
        /* past the end, or a message removed from the stream (nothing to
         * apply): only a get made after the stream was seen to hold the
         * sequence tells them apart (the one above may have raced an append) */
        uint64_t last = 0;
        if (err == AEGIS_ERR_NOT_FOUND && aegis_cluster_last_seq(s->c, false, &last) == AEGIS_OK && last >= s->next) {
            err = leader_get(s->c, s->next, &msg);
            if (err == AEGIS_ERR_NOT_FOUND) {
                s->next++;
                continue;
            }
        }
        if (!err) {
            int64_t t = natsMsg_GetTime(msg);   /* nanoseconds since the epoch */
            fill(s, msg, s->next++, t > 0 ? (uint64_t)t / 1000000u : 0, m);
            return AEGIS_OK;
        }
        if (err != AEGIS_ERR_NOT_FOUND)
            return err;
        int64_t left = deadline - nats_Now();
        if (left <= 0)
            return AEGIS_ERR_TIMEOUT;
        nats_Sleep(left < 50 ? left : 50);
    }
}

aegis_err aegis_cluster_next(aegis_cluster_sub *s, int64_t timeout_ms, aegis_cluster_msg *m)
{
    natsMsg_Destroy(s->cur);
    s->cur = NULL;
    if (!s->sub)
        return next_from_leader(s, timeout_ms, m);
    natsMsg *msg = NULL;
    natsStatus st = natsSubscription_NextMsg(&msg, s->sub, timeout_ms);
    if (st == NATS_TIMEOUT)
        return AEGIS_ERR_TIMEOUT;
    if (st != NATS_OK)
        return AEGIS_ERR_CLUSTER_NO_QUORUM;
    jsMsgMetaData *meta = NULL;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
        natsMsg_Destroy(msg);
        return AEGIS_ERR_TIMEOUT;   /* a control message: nothing for the caller */
    }
    uint64_t seq = meta->Sequence.Stream;
    uint64_t ts_ms = meta->Timestamp > 0 ? (uint64_t)meta->Timestamp / 1000000u : 0;
    jsMsgMetaData_Destroy(meta);
    /* fault injection (tests): what a nats-server replica that lost one
     * message serves - the message missing, every later one numbered one
     * lower (seen with nats-server 2.9 after a quorum loss) */
    uint64_t drop = s->log ? s->c->fault_drop : 0;
    if (drop && seq == drop) {
        natsMsg_Destroy(msg);
        return AEGIS_ERR_TIMEOUT;
    }
    if (drop && seq > drop)
        seq--;
    fill(s, msg, seq, ts_ms, m);
    return AEGIS_OK;
}

void aegis_cluster_sub_free(aegis_cluster_sub *s)
{
    if (!s)
        return;
    natsMsg_Destroy(s->cur);
    if (s->sub) {
        natsSubscription_Unsubscribe(s->sub);
        natsSubscription_Destroy(s->sub);
    }
    aegis_free(s);
}

/* ---- lease and heartbeats ---- */

aegis_err aegis_cluster_lease_take(aegis_cluster *c, uint64_t *ret_rev)
{
    return kvStore_CreateString(ret_rev, c->live, "leader", c->worker) == NATS_OK ? AEGIS_OK : AEGIS_ERR_EXISTS;
}

aegis_err aegis_cluster_lease_renew(aegis_cluster *c, uint64_t *rev)
{
    uint64_t nrev = 0;
    if (kvStore_UpdateString(&nrev, c->live, "leader", c->worker, *rev) != NATS_OK)
        return AEGIS_ERR_CLUSTER_FENCED;
    *rev = nrev;
    return AEGIS_OK;
}

void aegis_cluster_lease_release(aegis_cluster *c, uint64_t rev)
{
    /* only our own revision: a delete would drop another holder's lease */
    kvEntry *e = NULL;
    if (kvStore_Get(&e, c->live, "leader") == NATS_OK) {
        if (kvEntry_Revision(e) == rev)
            (void)kvStore_Delete(c->live, "leader");
        kvEntry_Destroy(e);
    }
}

aegis_err aegis_cluster_lease_holder(aegis_cluster *c, char *out, size_t cap)
{
    kvEntry *e = NULL;
    out[0] = 0;
    natsStatus s = kvStore_Get(&e, c->live, "leader");
    if (s == NATS_NOT_FOUND)
        return AEGIS_OK;
    if (s != NATS_OK)
        return AEGIS_ERR_CLUSTER_NO_QUORUM;
    if (kvEntry_Operation(e) == kvOp_Put) {
        const char *v = kvEntry_ValueString(e);
        snprintf(out, cap, "%s", v ? v : "");
    }
    kvEntry_Destroy(e);
    return AEGIS_OK;
}

aegis_err aegis_cluster_heartbeat(aegis_cluster *c, const char *json)
{
    char key[160];
    uint64_t rev = 0;
    snprintf(key, sizeof(key), "member.%s", c->worker);
    return kvStore_PutString(&rev, c->live, key, json) == NATS_OK ? AEGIS_OK : AEGIS_ERR_CLUSTER_NO_QUORUM;
}

aegis_err aegis_cluster_members(aegis_cluster *c, void (*cb)(void *arg, const char *worker, const char *json),
                                void *arg)
{
    kvKeysList keys = { 0 };
    kvWatchOptions wo;
    kvWatchOptions_Init(&wo);
    wo.Timeout = 1000;
    natsStatus s = kvStore_Keys(&keys, c->live, &wo);
    if (s == NATS_NOT_FOUND)
        return AEGIS_OK;
    if (s != NATS_OK)
        return AEGIS_ERR_CLUSTER_NO_QUORUM;
    for (int i = 0; i < keys.Count; i++) {
        if (strncmp(keys.Keys[i], "member.", 7) != 0)
            continue;
        kvEntry *e = NULL;
        if (kvStore_Get(&e, c->live, keys.Keys[i]) == NATS_OK) {
            if (kvEntry_Operation(e) == kvOp_Put)
                cb(arg, keys.Keys[i] + 7, kvEntry_ValueString(e));
            kvEntry_Destroy(e);
        }
    }
    kvKeysList_Destroy(&keys);
    return AEGIS_OK;
}

/* ---- genesis ---- */

aegis_err aegis_cluster_genesis_get(aegis_cluster *c, uint8_t out[static 32])
{
    kvEntry *e = NULL;
    natsStatus s = kvStore_Get(&e, c->kv, "genesis");
    if (s == NATS_NOT_FOUND)
        return AEGIS_ERR_NOT_FOUND;
    if (s != NATS_OK)
        return AEGIS_ERR_CLUSTER_NO_QUORUM;
    aegis_err err = AEGIS_ERR_CLUSTER_RECORD;
    const char *v = kvEntry_ValueString(e);
    if (kvEntry_Operation(e) == kvOp_Put && v && aegis_hex_decode_exact(v, out, 32) == AEGIS_OK)
        err = AEGIS_OK;
    kvEntry_Destroy(e);
    return err;
}

aegis_err aegis_cluster_genesis_set(aegis_cluster *c, const uint8_t hash[static 32], uint8_t current[static 32])
{
    char hex[65];
    uint64_t rev = 0;
    aegis_hex_encode(hex, hash, 32);
    if (kvStore_CreateString(&rev, c->kv, "genesis", hex) == NATS_OK) {
        memcpy(current, hash, 32);
        return AEGIS_OK;
    }
    aegis_err err = aegis_cluster_genesis_get(c, current);
    return err ? err : AEGIS_ERR_EXISTS;
}

/* ---- join ---- */

aegis_err aegis_cluster_join_request(aegis_cluster *c, const char *req, size_t len, int64_t timeout_ms,
                                     char **ret_reply, size_t *ret_len)
{
    natsMsg *reply = NULL;
    natsStatus s = natsConnection_Request(&reply, c->nc, c->subj_join, req, (int)len, timeout_ms);
    if (s != NATS_OK)
        return AEGIS_ERR_TIMEOUT;
    int n = natsMsg_GetDataLength(reply);
    *ret_reply = aegis_strndup(natsMsg_GetData(reply), (size_t)n);
    *ret_len = (size_t)n;
    natsMsg_Destroy(reply);
    return *ret_reply ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

static void on_join(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    aegis_cluster *c = closure;
    const char *reply_to = natsMsg_GetReply(msg);
    if (reply_to) {
        char *ans = c->join_fn(c->join_arg, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
        if (ans) {
            (void)natsConnection_Publish(nc, reply_to, ans, (int)strlen(ans));
            aegis_free(ans);
        }
    }
    natsMsg_Destroy(msg);
}

aegis_err aegis_cluster_join_serve(aegis_cluster *c, aegis_cluster_join_fn fn, void *arg)
{
    c->join_fn = fn;
    c->join_arg = arg;
    return natsConnection_QueueSubscribe(&c->join_sub, c->nc, c->subj_join, "grant", on_join, c) == NATS_OK
               ? AEGIS_OK
               : AEGIS_ERR_CLUSTER_CONNECT;
}
