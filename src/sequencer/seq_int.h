/* seq_int.h - the sequencer's host-side state, shared by its files.
 *
 * Host side of the TEE boundary: it holds only envelopes (ciphertext),
 * published batches, receipts and public keys, and talks to the trusted core
 * through aegis/core.h alone. */
#ifndef AEGIS_SEQ_INT_H
#define AEGIS_SEQ_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "aegis/core.h"
#include "aegis/ingest.h"
#include "aegis/config.h"
#include "aegis/rpc.h"
#include "aegis/sequencer.h"
#include "aegis/store.h"
#include "pindex.h"

struct aegis_seq {
    const aegis_config *cfg;
    aegis_store *store;
    aegis_rpc_server *rpc;
    aegis_core *core;

    pthread_mutex_t lock;      /* index, batch hashes, published state */
    pthread_cond_t published;  /* a batch was published (long-poll waiters) */
    pthread_cond_t wake;       /* wakes the cutter early */
    bool stop;
    bool closing;              /* shutting down: long-polls answer now (under lock) */
    pthread_t cutter, sealer;
    bool cutter_started, sealer_started;
    bool started;              /* start completed (restore done) */

    uint64_t last_batch;       /* highest persisted batch number */
    uint8_t (*hashes)[32];     /* batch hashes, index number - 1 */
    size_t cap_hashes;
    aegis_seq_pindex index;       /* tx hash / envelope id -> (batch, position) */
    struct seal_span { uint64_t number, first, count; } *seals;
    size_t n_seals, cap_seals;
    uint64_t n_checkpoints;    /* persisted checkpoints restored or made */
    uint64_t migs_version;     /* migration set version last persisted */
    uint64_t n_handovers;      /* key hand-overs restored*/
    uint64_t n_decisions;      /* risk decisions recorded */
    pthread_mutex_t reg_lock;  /* one writer of audit records + registry blob */
    pthread_mutex_t seal_mu;   /* one SLH-DSA sealer at a time (the sealer thread; a cluster's
                                * applier closing the window before a rotation) */
    struct orphan_span { uint64_t first, last; } *orphans;  /* batches orphaned by rollbacks */
    size_t n_orphans;

    /* the watched risk assessment file ([quantum] risk_file) */
    long long risk_mtime_ns;
    long long risk_size;

    /* submissions: durable append, admission, grouped receipts */
    aegis_ingest *ingest;
    uint64_t interval_ms;
    size_t max_batch;

    /* metrics */
    uint64_t batches, batch_failures;
    uint64_t receipt_groups, receipts_signed;   /* signed outside ingest (a cluster worker), atomic */
    /* the thread that cuts (cutter, or the cluster's applier; tee_health.c):
     * what the TEE health and log last said */
    bool primary_failed_seen, backup_failing;
    uint64_t degraded_seen;
    uint64_t corrupted;        /* envelopes whose bytes do not match their hash */
    bool store_bad;            /* /healthz "store" is not OK (atomic) */
    aegis_err restore_err;     /* why a persisted batch was refused at restore */
    uint64_t restored;         /* batches verified at restore */

    /* the restart snapshot (snapshot.c) */
    aegis_core_snapshot_info snap;  /* applied at start (batch 0: none) */
    uint64_t snap_last;        /* batch of the last snapshot saved or applied */
    bool indexing;             /* the snapshot's batches are being indexed (under lock) */
    pthread_t indexer;
    bool indexer_started;

    /* hostile clients (methods.c, wait.c) */
    aegis_rpc_budget *refused;          /* refused envelope bytes per address per minute */
    struct aegis_seq_waiter *waiters;      /* deferred aegis_waitBatch calls, under lock */
    pthread_t waiter_thread;            /* answers them (wait.c) */
    uint64_t waiter_wake_ns;            /* when it wakes next, under lock */
    bool waiter_started;

    /* cluster mode (cluster.c): the log is the JetStream stream;
     * NULL on a single node */
    struct aegis_seq_cluster *cl;
    /* the log backend (local or jetstream), chosen at start */
    const struct aegis_seq_log *log;
};

/* cadence.c: when the sealer signs (seals, interval checkpoints) */
struct aegis_seq_cadence {
    uint64_t seal_min_gap_ns;  /* batch.seal_interval_ms */
    uint64_t seal_gap_ns;      /* at most one seal attempt per this (>= the minimum) */
    uint64_t seal_idle_ns;     /* force a partial window after this without a seal */
    uint64_t ckpt_gap_ns;      /* at most one interval checkpoint per this */
    uint64_t last_seal_ns;     /* previous seal (or forced attempt with nothing to seal) */
    uint64_t last_ckpt_ns;     /* previous checkpoint made here */
    bool have_ckpt;            /* one was made by this process */
};
void aegis_seq_cadence_init(struct aegis_seq_cadence *c, const aegis_config *cfg, uint64_t now_ns);
/* Called on the sealer thread: nice AEGIS_SEQ_SEALER_NICE for it and the
 * threads it starts. */
#define AEGIS_SEQ_SEALER_NICE 10
void aegis_seq_cadence_background(void);
/* The gap after a seal is AEGIS_SEQ_SEAL_SPACING times the wall time the
 * seal took (at least batch.seal_interval_ms, at most the idle bound): the
 * sealer signs at most about 1/SPACING of the time (5%: its two signing
 * threads then take at most ~10% of one CPU), so on a machine too busy to
 * sign quickly seals come less often and each covers more. */
#define AEGIS_SEQ_SEAL_SPACING 20
/* A seal attempt ran from start_ns to end_ns (the sealer's clock). */
void aegis_seq_cadence_sealed(struct aegis_seq_cadence *c, uint64_t start_ns, uint64_t end_ns);
/* Ask the core for a seal now? *ret_force: even a partial window. */
bool aegis_seq_cadence_seal(const struct aegis_seq_cadence *c, uint64_t now_ns, bool *ret_force);
/* Make a due checkpoint now? urgent: the core needs it regardless of time. */
bool aegis_seq_cadence_checkpoint(const struct aegis_seq_cadence *c, uint64_t now_ns, bool urgent);

/* sequencer.c */
/* Index a published batch from the core's facts (caller holds p->lock), or
 * from a batch this node persisted (its JSON). */
aegis_err aegis_seq_index_batch(struct aegis_seq *p, const aegis_core_batch *b);
aegis_err aegis_seq_index_stored(struct aegis_seq *p, const char *json, size_t len);
void aegis_seq_add_seal(struct aegis_seq *p, uint64_t number, uint64_t first, uint64_t count);
/* The seal the core committed or restored last, into the seal index. */
void aegis_seq_add_last_seal(struct aegis_seq *p);
/* A cut batch made durable and public: inserted into the store (insert-only;
 * a replicated log's worker may replace its own cached copy of the same
 * header, rebuilt and signed again), indexed before anything can read it,
 * committed, the migration set persisted. On a store error the core aborts
 * the batch and the error is returned: nothing was published. The caller
 * then calls aegis_seq_published (after its own bookkeeping). */
/* Persist a cut batch (insert-only), index it, commit it in the core.
 * include: mark its envelopes included in the same store write (the local
 * log; a cluster worker's store holds no envelope statuses to mark). */
aegis_err aegis_seq_land_batch(struct aegis_seq *p, aegis_core_batch *b, bool include);
/* The batch this node persisted under number has this hash. */
bool aegis_seq_stored_hash_is(struct aegis_seq *p, uint64_t number, const uint8_t hash[32]);
/* A batch's JSON (as stored) names this hash. */
bool aegis_seq_batch_json_hash_is(const uint8_t *json, size_t len, const uint8_t hash[32]);
/* A signed record inserted (insert-only); a replicated log's worker may
 * replace its own cached copy (it rebuilt the record from the log). */
aegis_err aegis_seq_persist_record(struct aegis_seq *p, const char *coll, uint64_t key, const char *json);
/* Count a landed batch and wake the long-polls. */
void aegis_seq_published(struct aegis_seq *p);
/* CLOCK_MONOTONIC deadline ms from now, for pthread_cond_timedwait. */
void aegis_seq_deadline_after(struct timespec *ts, uint64_t ms);

/* guard.c */
/* Before the core opens: refuse to make new keys over a used store. */
aegis_err aegis_seq_check_keys(struct aegis_seq *p, const char **detail);
/* After restore: the sealed high-water mark against the store. */
aegis_err aegis_seq_finish_restore(struct aegis_seq *p, const char **detail);
/* An envelope read back matches its hash (else: logged, counted, false). */
bool aegis_seq_envelope_intact(struct aegis_seq *p, const aegis_store_env *env);

/* Restart replay of pending envelopes (replay.c): add them in log order;
 * they are opened in parallel runs and admitted in log order (a rejection is
 * recorded in the log). finish() admits the last run and adds the counts. */
struct aegis_seq_replay;
aegis_err aegis_seq_replay_new(struct aegis_seq *p, size_t threads, struct aegis_seq_replay **ret);
aegis_err aegis_seq_replay_add(struct aegis_seq_replay *r, const aegis_store_env *env);
void aegis_seq_replay_finish(struct aegis_seq_replay *r, uint64_t *replayed, uint64_t *rejected);
void aegis_seq_replay_free(struct aegis_seq_replay *r);
/* /healthz "store" after a write with outcome err. */
void aegis_seq_store_written(struct aegis_seq *p, aegis_err err);
/* A small write tells whether the store takes writes (always, or only
 * while it is reported unhealthy). */
void aegis_seq_store_probe(struct aegis_seq *p, bool always);

/* snapshot.c */
/* Apply the core's restart snapshot if it matches the store; *ret_from:
 * the first batch still to restore (1 without a snapshot). */
aegis_err aegis_seq_snapshot_restore(struct aegis_seq *p, uint64_t *ret_from);
/* Index the snapshot's batches (and their seal spans) in the background. */
aegis_err aegis_seq_index_start(struct aegis_seq *p);
void aegis_seq_index_join(struct aegis_seq *p);
/* Save a snapshot when due (or now); only from the cutter or at stop. */
void aegis_seq_snapshot_save(struct aegis_seq *p, bool now);

/* risk.c */
void aegis_seq_poll_risk_file(struct aegis_seq *p);
aegis_err aegis_seq_restore_decisions(struct aegis_seq *p);
aegis_err aegis_seq_apply_risk(struct aegis_seq *p, const char *json, size_t len, uint64_t now_ms,
                                      json_t **ret_decision, const char **detail);

/* control.c: control records, applied in log order (kind: "risk", "admin") */
bool aegis_seq_control_known(const char *kind);
/* Apply one at now_ms (a single node's clock, a cluster record's
 * timestamp); an unknown kind is AEGIS_ERR_CLUSTER_RECORD. ret, detail may
 * be NULL; *detail static text. */
aegis_err aegis_seq_apply_control(struct aegis_seq *p, const char *kind, const char *json, size_t len,
                                  uint64_t now_ms, json_t **ret, const char **detail);

/* cluster_leader.c: a join record (kind "join"; a cluster's only) */
aegis_err aegis_seq_apply_join(struct aegis_seq *p, const char *json, size_t len, uint64_t now_ms, json_t **ret,
                               const char **detail);

/* assets.c */
aegis_err aegis_seq_apply_admin(struct aegis_seq *p, const char *req, size_t len, uint64_t now_ms, json_t **ret,
                                const char **detail);
aegis_err aegis_seq_persist_registry(struct aegis_seq *p, uint64_t *ret_seq);
aegis_err aegis_seq_restore_registry(struct aegis_seq *p, const char **detail);
/* The orphan spans of rollback events 1..count (a cluster worker's sealed state). */
aegis_err aegis_seq_restore_orphans(struct aegis_seq *p, uint64_t count);
bool aegis_seq_is_orphaned(struct aegis_seq *p, uint64_t number);
aegis_err aegis_seq_register_assets(struct aegis_seq *p);

/* tee_health.c: /healthz "tee" and "tee_backup" (and their log lines)
 * after a cut attempt; cut: a batch was produced */
void aegis_seq_tee_health(struct aegis_seq *p, bool cut);
/* ... and the metrics aegis_batches_failover_total, aegis_tee_primary_failed */
aegis_err aegis_seq_tee_register(struct aegis_seq *p);
/* sequencer.c: seal what is pending (force: also a partial window) and
 * persist it; true when a seal was made. Takes seal_mu. */
bool aegis_seq_seal(struct aegis_seq *p, bool force);
/* persist and commit a due key rotation at now_ms (a cluster: the applied
 * record's time). */
void aegis_seq_rotate_at(struct aegis_seq *p, uint64_t now_ms);
/* make, persist and commit a due checkpoint stamped now_ms */
void aegis_seq_checkpoint_at(struct aegis_seq *p, uint64_t now_ms);

/* The sequencer's log, a backend: where submissions become durable and what
 * decides a cut. log_local.c: the store's SQLite envelope log and the cutter
 * thread (a single node). cluster.c: the JetStream stream every worker
 * applies in order, the leader's cut records deciding (docs/internals/
 * cluster.md). */
struct aegis_seq_log {
    const char *name;
    /* State is rebuilt from a replicated log: records made from it
     * (batches, seals, checkpoints, hand-overs) are made again and may
     * replace this worker's own cached copies; risk decisions, rotations
     * and checkpoints happen at log positions, never by this clock. */
    bool replicated;
    /* Before the core opens (a single node: refuse new keys over a used
     * store; a cluster worker: join and receive the key set). */
    aegis_err (*prepare)(struct aegis_seq *p, const char **detail);
    /* After: rebuild the state (restore from the store, or apply the log)
     * and start taking submissions and cutting. */
    aegis_err (*start)(struct aegis_seq *p, const char **detail);
    /* Take no more submissions; answer every one already accepted. */
    void (*drain)(struct aegis_seq *p);
    /* After p->stop is set and the sealer joined: stop the backend's threads
     * (tolerates a start that failed half-way). */
    void (*stop)(struct aegis_seq *p);
    /* An envelope (env owned from here) made durable in the log, admitted,
     * answered with its signed receipt in *ret, or deferred through call
     * (AEGIS_OK, *ret untouched, the answer given later). */
    aegis_err (*submit)(struct aegis_seq *p, const aegis_rpc_call *call, uint8_t *env, size_t len, json_t **ret,
                        const char **detail);
    /* A control record (control.c: "risk", "admin") applied through the
     * log: its result in *ret (ret may be NULL). */
    aegis_err (*submit_control)(struct aegis_seq *p, const char *kind, const char *json, size_t len, json_t **ret,
                                const char **detail);
    /* Optional: aegis_status, /metrics, and what a read batch carries
     * beyond its record (a cluster: co-attestations, finality). */
    void (*status)(struct aegis_seq *p, json_t *out);
    void (*metrics)(struct aegis_seq *p, aegis_buf *out);
    void (*batch_extras)(struct aegis_seq *p, uint64_t number, json_t *batch);
};
extern const struct aegis_seq_log aegis_seq_log_local;
extern const struct aegis_seq_log aegis_seq_log_jetstream;

/* methods.c */
/* A submission's failure that is the envelope's own fault (it costs its
 * sender refused bytes), not the node's (busy, closing, store, memory). */
bool aegis_seq_refused_by_content(aegis_err err);
/* The refusal budget's clock: monotonic milliseconds. */
uint64_t aegis_seq_mono_ms(void);
aegis_err aegis_seq_register(struct aegis_seq *p);
/* A persisted batch as JSON, with its seal membership when sealed. */
aegis_err aegis_seq_load_batch(struct aegis_seq *p, uint64_t number, json_t **ret);

/* metrics.c: risk, key epoch, refusals on /metrics */
aegis_err aegis_seq_metrics_register(struct aegis_seq *p);

/* wait.c: aegis_waitBatch, deferred (no server thread waits) */
aegis_err aegis_seq_m_wait_batch(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail);
aegis_err aegis_seq_wait_start(struct aegis_seq *p);
/* After p->stop is set and published broadcast: join the thread (it
 * answered every waiter with null) and free the refusal budget. */
void aegis_seq_wait_stop(struct aegis_seq *p);

#endif
