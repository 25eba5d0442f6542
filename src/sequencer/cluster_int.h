/* cluster_int.h - a cluster worker's state, shared by its files:
 * cluster.c (watcher, start/stop, submissions, the backend table),
 * cluster_apply.c (the applier),
 * cluster_leader.c (lease, cuts, repair, heartbeats, join service),
 * cluster_status.c (reads, status, metrics), cluster_receipts.c (receipts
 * signed in groups). Host side. */
#ifndef AEGIS_SEQ_CLUSTER_INT_H
#define AEGIS_SEQ_CLUSTER_INT_H

#include "aegis/cluster.h"
#include "seq_int.h"

#define RING 16384
#define SUBMIT_WAIT_MS 10000

struct cl_result {
    uint64_t seq;
    aegis_err err;
    const char *reason;       /* static */
    aegis_core_receipt r;
    char *json;               /* risk decision (aegis_free) */
};

struct cl_batch {             /* per batch number */
    uint8_t own[32], pub[32];
    bool has_own, has_pub, judged;
    bool sending, sent;       /* this worker's publication of it: in flight, acknowledged */
    json_t *coatts;           /* array of co-attestation records */
};

struct aegis_seq_cluster {
    aegis_cluster *c;
    struct aegis_seq *p;
    char worker[129];
    uint64_t quorum;
    uint64_t heartbeat_ms, lease_ms;
    pthread_t applier, leader_thr, watcher, status_thr;
    bool applier_started, leader_started, watcher_started, status_started;

    /* under p->lock */
    pthread_cond_t applied_cv;
    uint64_t applied;          /* last applied log sequence */
    uint64_t last_cut_seq;     /* stream sequence of the last cut record (the fence) */
    uint64_t last_cut_ts;
    uint8_t last_cut_hash[32]; /* sha-256 of that record's bytes (cluster_state.c) */
    uint64_t state_batch;      /* batch of the last sealed worker state saved or restored */
    uint64_t state_seq;        /* ... and its log position */
    uint64_t state_ns;         /* when it was saved (aegis_now_ns) */
    uint64_t my_cut_seq;       /* the cut this leader appended last */
    uint64_t my_cut_number;    /* ... and the batch number it named */
    unsigned cut_failures;     /* applied cuts of ours that produced no batch, in a row */
    uint64_t no_lead_until;    /* aegis_now_ns(): after giving the lease up, leave it to others */
    unsigned fence_streak;     /* cut appends fenced in a row */
    bool read_leader;          /* this process reads the log from the stream leader (after a divergence) */
    bool diverged;             /* this worker's copy of the log disagrees with the stream leader's: rebuilding */
    bool caught_up;            /* the applier reached the log's end as of start */
    bool pub_caught_up;        /* the watcher reached the publications' end as of start */
    struct cl_result *ring;
    struct cl_batch *b;        /* index number - 1 */
    size_t cap_b;
    uint64_t pub_max;          /* highest number published (seen) */
    uint64_t last_final;

    bool leader;
    uint64_t lease_rev;
    uint64_t renewed_ns;       /* aegis_now_ns() of the last successful take or renewal */
    char holder[136];          /* the lease holder now ("" between holders) */
    char last_leader[136];     /* the last holder seen */

    /* receipts signed in groups (cluster_receipts.c), under rcpt_lock */
    pthread_mutex_t rcpt_lock;
    pthread_cond_t rcpt_cv, rcpt_done;
    struct aegis_seq_rcpt_wait *rcpt_head, *rcpt_tail;
    pthread_t rcpt_thread;
    bool rcpt_init, rcpt_started, rcpt_stop;

    /* the NATS part of aegis_status, read by cl-status (cluster_status.c), under p->lock */
    json_t *st_members;        /* members' heartbeats, as last read */
    uint64_t st_last;          /* the log's last sequence, as last read */
    uint64_t st_ns;            /* aegis_now_ns() of that read; 0: none yet */
    bool st_ok;                /* the last read answered */

    /* envelope submissions off the RPC threads (cluster_submit.c), under sub_lock */
    pthread_mutex_t sub_lock;
    pthread_cond_t sub_cv;
    struct cl_job *sub_head, *sub_tail;
    size_t sub_queued;
    pthread_t *sub_threads;
    size_t sub_started;
    bool sub_init, sub_stop;

    /* metrics */
    uint64_t failovers, fenced, dissents, garbage, coattests, refused_joins, grants;
    uint64_t append_n, append_ns, append_max_ns;   /* envelope appends: JetStream's acknowledgement */
    uint64_t apply_wait_ns;                        /* then the wait for this worker's applier */
};

/* cluster.c */
/* The per-number slot, grown on demand (caller holds p->lock); NULL for 0 or no memory. */
struct cl_batch *aegis_seq_cl_slot(struct aegis_seq_cluster *k, uint64_t n);
/* Compare this worker's batch n with the published one: co-attest or dissent (takes p->lock). */
void aegis_seq_cl_judge(struct aegis_seq_cluster *k, uint64_t n);
/* Publish this worker's stored batch n (message id batch-n). */
void aegis_seq_cl_publish_own(struct aegis_seq_cluster *k, uint64_t n);
bool aegis_seq_cl_stopping(struct aegis_seq *p);

/* cluster_apply.c */
void *aegis_seq_cl_applier_main(void *arg);
/* A stream reader that went quiet while its stream moved on (checked on idle
 * reads, at most every 2 s): true when it should subscribe again from
 * have + 1. */
struct stall_check {
    uint64_t next_ns, have;
};
bool aegis_seq_cl_stalled(struct aegis_seq_cluster *k, bool publications, uint64_t have, struct stall_check *s);

/* cluster_state.c: the sealed worker state. Save (the applier, after a
 * record) when due or now; restore at start before the threads run. */
void aegis_seq_cl_state_save(struct aegis_seq_cluster *k, bool now);
/* The stream leader's copy of the log holds, at seq, the cut record whose
 * bytes hash to `hash` (the copy the fence is checked against): AEGIS_OK,
 * AEGIS_ERR_CLUSTER_GENESIS (another message there, or none), or
 * AEGIS_ERR_CLUSTER_NO_QUORUM when no stream leader answered `tries` asks
 * 200 ms apart (0: asked until the worker stops). */
aegis_err aegis_seq_cl_leader_holds(struct aegis_seq_cluster *k, uint64_t seq, const uint8_t hash[32], unsigned tries);
/* A divergence (cluster_apply.c): the sealed state is set aside
 * (state.sealed.diverged), the next start reads the log from the stream
 * leader (marker file cluster-read-leader), and the daemon is asked to
 * restart in place (SIGUSR2: the same process image, executed again). */
void aegis_seq_cl_rebuild(struct aegis_seq_cluster *k);
/* At start: true when the last process left the marker (consumed). */
bool aegis_seq_cl_read_leader_marker(struct aegis_seq *p);
aegis_err aegis_seq_cl_state_restore(struct aegis_seq_cluster *k, const char **detail);

/* cluster_status.c: the backend's optional entries; cl-status refreshes
 * what aegis_status shows of NATS (members, log position), so no RPC
 * thread waits on NATS for it */
void *aegis_seq_cl_status_main(void *arg);
void aegis_seq_cluster_batch_extras(struct aegis_seq *p, uint64_t number, json_t *batch);
void aegis_seq_cluster_status(struct aegis_seq *p, json_t *out);
void aegis_seq_cluster_metrics(struct aegis_seq *p, aegis_buf *out);

/* cluster_receipts.c: receipts signed in groups */
aegis_err aegis_seq_cl_receipts_start(struct aegis_seq_cluster *k);
void aegis_seq_cl_receipts_stop(struct aegis_seq_cluster *k);
/* This worker's signed receipt for r (JSON text, aegis_free), signed with
 * the others queued at the same time. */
aegis_err aegis_seq_cl_receipt(struct aegis_seq_cluster *k, const aegis_core_receipt *r, char **ret_json);

/* cluster.c: an envelope that passed aegis_core_envelope_check, appended,
 * applied and answered with its receipt (blocks; takes env) */
aegis_err aegis_seq_cl_submit_now(struct aegis_seq_cluster *k, uint8_t *env, size_t len, json_t **ret,
                                  const char **detail);

/* cluster_submit.c: submissions answered by submitter threads */
aegis_err aegis_seq_cl_submitters_start(struct aegis_seq_cluster *k);
/* Each thread finishes the call it holds; the queued ones are refused
 * (never appended); then the threads are joined (idempotent). */
void aegis_seq_cl_submitters_stop(struct aegis_seq_cluster *k);
/* Queue env (taken) for dr; peer (may be NULL) is charged the envelope's
 * size when its content is refused. AEGIS_ERR_INGEST_BUSY when the queue
 * is full, AEGIS_ERR_INGEST_CLOSED once stopping (env freed, *detail set):
 * the caller finishes dr with it. */
aegis_err aegis_seq_cl_submit_queue(struct aegis_seq_cluster *k, aegis_rpc_deferred *dr, uint8_t *env, size_t len,
                                    const char *peer, const char **detail);

/* cluster_leader.c */
void *aegis_seq_cl_leader_main(void *arg);
char *aegis_seq_cl_on_join(void *arg, const char *req, size_t len);

#endif
