/*
 * aegis/cluster.h - the replicated log, the leader lease and the cluster's
 * records on NATS JetStream (host side; docs/internals/cluster.md).
 *
 * Untrusted transport: everything that crosses it is a ciphertext envelope,
 * a published batch, a signed or attested record, or a key set wrapped to an
 * attested worker's transport key. Three parts:
 *
 *   the log       stream <stream>, subjects <p>.env (envelopes, message id =
 *                 envelope hash: JetStream drops retried duplicates),
 *                 <p>.ctl.<kind> (risk assessments, admin requests) and
 *                 <p>.cut (cut records, appended with an expected last
 *                 subject sequence: the fence). Every worker applies it in
 *                 stream order.
 *   publications  stream <batch_stream>, subjects <q>.batch.<worker>,
 *                 <q>.coattest.<worker>, <q>.dissent.<worker>.
 *   the bucket    KV <bucket> (genesis key set hash, no expiry) and
 *                 <bucket>_live (leader lease and member heartbeats, expiring
 *                 after lease_ms unless renewed).
 * <p> and <q> are the stream names in lower case.
 *
 * Thread-safety: every call may be made from any thread (libnats is).
 */
#ifndef AEGIS_CLUSTER_H
#define AEGIS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/util.h"

typedef struct aegis_cluster aegis_cluster;

typedef struct aegis_cluster_opts {
    const char *const *urls;
    size_t n_urls;
    const char *user, *password;   /* NULL/"" = none */
    const char *stream, *batch_stream, *bucket;
    int replicas;
    uint64_t lease_ms;
    const char *worker;            /* this worker's id (lease value, subjects) */
} aegis_cluster_opts;

/* Connect (reconnecting forever afterwards) and create or open the streams
 * and buckets. AEGIS_ERR_CLUSTER_CONNECT, AEGIS_ERR_CLUSTER_SETUP; *detail:
 * static text. */
aegis_err aegis_cluster_open(aegis_cluster **ret, const aegis_cluster_opts *o, const char **detail) AEGIS_WUR;
void aegis_cluster_free(aegis_cluster *c);

/* ---- the log ---- */
typedef enum aegis_cluster_kind {
    AEGIS_CLUSTER_ENV = 1,   /* envelope */
    AEGIS_CLUSTER_CTL,       /* control record (subject tail in msg->ctl) */
    AEGIS_CLUSTER_CUT,       /* cut record */
    AEGIS_CLUSTER_BATCH,     /* publications: batch, coattest, dissent (tail = worker) */
    AEGIS_CLUSTER_COATTEST,
    AEGIS_CLUSTER_DISSENT,
    AEGIS_CLUSTER_OTHER      /* anything else on our subjects: skipped, counted */
} aegis_cluster_kind;

/* Append to the log and wait for JetStream's acknowledgement (the stream's
 * quorum has it). kind ENV (msg_id: hex envelope hash) or CTL (ctl: the
 * subject tail, e.g. "risk"). *ret_seq: the stream sequence (the original's
 * for a duplicate, *ret_dup then true). AEGIS_ERR_CLUSTER_NO_QUORUM when no
 * acknowledgement came (not accepted). */
aegis_err aegis_cluster_append(aegis_cluster *c, aegis_cluster_kind kind, const char *ctl, const void *data,
                               size_t len, const char *msg_id, uint64_t *ret_seq, bool *ret_dup) AEGIS_WUR;
/* Append a cut record only if the last cut record in the stream is still
 * the one at expect_seq (0: none yet). AEGIS_ERR_CLUSTER_FENCED otherwise. */
aegis_err aegis_cluster_append_cut(aegis_cluster *c, const void *data, size_t len, uint64_t expect_seq,
                                   uint64_t *ret_seq) AEGIS_WUR;
/* Publish to the publications stream (BATCH, COATTEST, DISSENT) under this
 * worker's subject; msg_id optional (de-duplication). */
aegis_err aegis_cluster_publish(aegis_cluster *c, aegis_cluster_kind kind, const void *data, size_t len,
                                const char *msg_id) AEGIS_WUR;
/* Last sequence of the log stream, or of the publications stream (0 when empty). */
aegis_err aegis_cluster_last_seq(aegis_cluster *c, bool publications, uint64_t *ret_seq) AEGIS_WUR;

/* ---- reading a stream in order ---- */
typedef struct aegis_cluster_sub aegis_cluster_sub;
typedef struct aegis_cluster_msg {
    aegis_cluster_kind kind;
    char tail[136];          /* CTL: the kind ("risk"); publications: the worker id */
    const uint8_t *data;     /* valid until the next aegis_cluster_next / _sub_free */
    size_t len;
    uint64_t seq;            /* stream sequence */
    uint64_t ts_ms;          /* the stream's timestamp: the same on every worker */
} aegis_cluster_msg;
/* Ordered consumer on the log (publications = false) or the publications
 * stream, from stream sequence from (>= 1). */
aegis_err aegis_cluster_sub_new(aegis_cluster_sub **ret, aegis_cluster *c, bool publications,
                                uint64_t from) AEGIS_WUR;
/* The log read message by message from the stream's leader (JetStream's
 * message get, which only the stream leader answers): the copy the cut
 * fence is checked against, whatever replica an ordered consumer would be
 * placed on. One request per message: for a worker whose replica's copy
 * diverged (docs/internals/cluster.md "Divergence"). */
aegis_err aegis_cluster_sub_new_leader(aegis_cluster_sub **ret, aegis_cluster *c, uint64_t from) AEGIS_WUR;
/* The log's message at seq as the stream leader holds it: the SHA-256 of its
 * bytes and its kind. AEGIS_ERR_NOT_FOUND when it holds none there,
 * AEGIS_ERR_CLUSTER_NO_QUORUM when no leader answers. */
aegis_err aegis_cluster_log_at(aegis_cluster *c, uint64_t seq, uint8_t hash[static 32],
                               aegis_cluster_kind *kind) AEGIS_WUR;
/* Next message; AEGIS_ERR_TIMEOUT after timeout_ms with none. */
aegis_err aegis_cluster_next(aegis_cluster_sub *s, int64_t timeout_ms, aegis_cluster_msg *m) AEGIS_WUR;
void aegis_cluster_sub_free(aegis_cluster_sub *s);

/* ---- the lease and heartbeats (bucket <bucket>_live) ---- */
/* Take the lease if nobody holds it (create-if-absent). *ret_rev: its
 * revision. AEGIS_ERR_EXISTS when held. */
aegis_err aegis_cluster_lease_take(aegis_cluster *c, uint64_t *ret_rev) AEGIS_WUR;
/* Renew by revision; AEGIS_ERR_CLUSTER_FENCED when it changed (lost). */
aegis_err aegis_cluster_lease_renew(aegis_cluster *c, uint64_t *rev) AEGIS_WUR;
/* Give it up (graceful stop): the next worker takes it at once. */
void aegis_cluster_lease_release(aegis_cluster *c, uint64_t rev);
/* The holder (worker id) or "" when none. */
aegis_err aegis_cluster_lease_holder(aegis_cluster *c, char *out, size_t cap) AEGIS_WUR;
/* This worker's heartbeat (a short JSON object of its own). */
aegis_err aegis_cluster_heartbeat(aegis_cluster *c, const char *json) AEGIS_WUR;
/* Every live member's heartbeat: cb(worker, json) per member. */
aegis_err aegis_cluster_members(aegis_cluster *c, void (*cb)(void *arg, const char *worker, const char *json),
                                void *arg) AEGIS_WUR;

/* ---- the genesis key set hash (bucket <bucket>) ---- */
/* Create if absent: AEGIS_OK when this call set it, AEGIS_ERR_EXISTS when it
 * was there (then *current gets it). */
aegis_err aegis_cluster_genesis_set(aegis_cluster *c, const uint8_t hash[static 32], uint8_t current[static 32]) AEGIS_WUR;
/* AEGIS_ERR_NOT_FOUND when no genesis yet. */
aegis_err aegis_cluster_genesis_get(aegis_cluster *c, uint8_t out[static 32]) AEGIS_WUR;

/* ---- join (core NATS request/reply on <p>.join) ---- */
/* Ask: the first member's reply (aegis_free). AEGIS_ERR_TIMEOUT when none. */
aegis_err aegis_cluster_join_request(aegis_cluster *c, const char *req, size_t len, int64_t timeout_ms,
                                     char **ret_reply, size_t *ret_len) AEGIS_WUR;
/* Serve join requests: cb answers (reply aegis_free'd by the cluster) or
 * returns NULL to stay silent. One member of the queue group answers. */
typedef char *(*aegis_cluster_join_fn)(void *arg, const char *req, size_t len);
aegis_err aegis_cluster_join_serve(aegis_cluster *c, aegis_cluster_join_fn fn, void *arg) AEGIS_WUR;

/* ---- the records (records.c; docs/internals/cluster.md) ----
 * Strict parsers of what other workers (or anyone who reaches NATS) put on
 * our subjects: a malformed message is skipped and counted, never applied. */
typedef struct aegis_cluster_cut {
    uint64_t number;         /* 0: the genesis marker */
    uint64_t ts_ms;          /* the batch timestamp every worker uses */
    uint64_t after;          /* the stream sequence of the cut record before it: the
                              * fence its append passed (the stream leader's numbering) */
    char leader[129];
} aegis_cluster_cut;
#define AEGIS_CLUSTER_CUT_MAX 300
/* {"type":"cut","number":N,"ts":T,"leader":"w1","after":S}; returns the length written
 * (0 when it does not fit). */
size_t aegis_cluster_cut_encode(char *out, size_t cap, const aegis_cluster_cut *c);
aegis_err aegis_cluster_cut_parse(const uint8_t *d, size_t n, aegis_cluster_cut *ret) AEGIS_WUR;
/* A co-attestation's routing fields (the attestation itself is verified by
 * aegis verify --quorum); worker must equal the subject's worker. */
typedef struct aegis_cluster_coatt {
    uint64_t number;
    uint8_t hash[32];
    char worker[129];
} aegis_cluster_coatt;
aegis_err aegis_cluster_coattest_parse(const uint8_t *d, size_t n, const char *subject_worker,
                                       aegis_cluster_coatt *ret) AEGIS_WUR;
/* A dissent {"type":"dissent","worker","number","mine","published"}; worker
 * must equal the subject's worker. */
aegis_err aegis_cluster_dissent_parse(const uint8_t *d, size_t n, const char *subject_worker,
                                      uint64_t *ret_number) AEGIS_WUR;
/* A published batch's number and hash (the batch JSON, docs/internals/verify.md). */
aegis_err aegis_cluster_batch_parse(const uint8_t *d, size_t n, uint64_t *ret_number, uint8_t ret_hash[static 32]) AEGIS_WUR;

/* Connection state for health: true when connected. */
bool aegis_cluster_connected(aegis_cluster *c);

#endif
