/* pipeline_int.h - the sequencer pipeline's host-side state.
 *
 * Host side of the TEE boundary: it holds only envelopes (ciphertext),
 * published batches, receipts and public keys, and talks to the trusted core
 * through aegis/core.h alone. */
#ifndef AEGISD_PIPELINE_INT_H
#define AEGISD_PIPELINE_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "aegis/core.h"
#include "aegis/ingest.h"
#include "daemon.h"
#include "pindex.h"

struct aegisd_pipeline {
    struct aegisd *d;
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
    aegisd_pindex index;       /* tx hash / envelope id -> (batch, position) */
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
    uint64_t corrupted;        /* envelopes whose bytes do not match their hash */
    bool store_bad;            /* /healthz "store" is not OK (atomic) */
    aegis_err restore_err;     /* why a persisted batch was refused at restore */
    uint64_t restored;         /* batches verified at restore */

    /* the restart snapshot (pipeline_snapshot.c) */
    aegis_core_snapshot_info snap;  /* applied at start (batch 0: none) */
    uint64_t snap_last;        /* batch of the last snapshot saved or applied */
    bool snapshot_blocked;     /* a status write failed: save no snapshot until restart */
    bool indexing;             /* the snapshot's batches are being indexed (under lock) */
    pthread_t indexer;
    bool indexer_started;

    /* hostile clients (pipeline_rpc.c, pipeline_wait.c) */
    aegis_rpc_budget *refused;          /* refused envelope bytes per address per minute */
    struct aegisd_waiter *waiters;      /* deferred aegis_waitBatch calls, under lock */
    pthread_t waiter_thread;            /* answers them (pipeline_wait.c) */
    uint64_t waiter_wake_ns;            /* when it wakes next, under lock */
    bool waiter_started;

    /* cluster mode (pipeline_cluster.c): the log is the JetStream stream;
     * NULL on a single node */
    struct aegisd_cluster *cl;
};

/* pipeline_cadence.c: when the sealer signs (seals, interval checkpoints) */
struct aegisd_cadence {
    uint64_t seal_gap_ns;      /* at most one seal attempt per this */
    uint64_t seal_idle_ns;     /* force a partial window after this without a seal */
    uint64_t ckpt_gap_ns;      /* at most one interval checkpoint per this */
    uint64_t last_seal_ns;     /* previous seal (or forced attempt with nothing to seal) */
    uint64_t last_ckpt_ns;     /* previous checkpoint made here */
    bool have_ckpt;            /* one was made by this process */
};
void aegisd_cadence_init(struct aegisd_cadence *c, const aegis_config *cfg, uint64_t now_ns);
/* Called on the sealer thread: nice AEGISD_SEALER_NICE for it and the
 * threads it starts. */
#define AEGISD_SEALER_NICE 10
void aegisd_cadence_background(void);
/* Ask the core for a seal now? *ret_force: even a partial window. */
bool aegisd_cadence_seal(const struct aegisd_cadence *c, uint64_t now_ns, bool *ret_force);
/* Make a due checkpoint now? urgent: the core needs it regardless of time. */
bool aegisd_cadence_checkpoint(const struct aegisd_cadence *c, uint64_t now_ns, bool urgent);

/* pipeline.c */
aegis_err aegisd_pipeline_index_batch(struct aegisd_pipeline *p, const char *json, size_t len);
void aegisd_pipeline_add_seal(struct aegisd_pipeline *p, uint64_t number, uint64_t first, uint64_t count);

/* pipeline_guard.c */
/* Before the core opens: refuse to make new keys over a used store. */
aegis_err aegisd_pipeline_check_keys(struct aegisd *d, const char **detail);
/* After restore: the sealed high-water mark against the store. */
aegis_err aegisd_pipeline_finish_restore(struct aegisd_pipeline *p, const char **detail);
/* An envelope read back matches its hash (else: logged, counted, false). */
bool aegisd_pipeline_envelope_intact(struct aegisd_pipeline *p, const aegis_store_env *env);
/* /healthz "store" after a write with outcome err. */
void aegisd_pipeline_store_written(struct aegisd_pipeline *p, aegis_err err);
/* A small write tells whether the store takes writes (always, or only
 * while it is reported unhealthy). */
void aegisd_pipeline_store_probe(struct aegisd_pipeline *p, bool always);

/* pipeline_snapshot.c */
/* Apply the core's restart snapshot if it matches the store; *ret_from:
 * the first batch still to restore (1 without a snapshot). */
aegis_err aegisd_pipeline_snapshot_restore(struct aegisd_pipeline *p, uint64_t *ret_from);
/* Index the snapshot's batches (and their seal spans) in the background. */
aegis_err aegisd_pipeline_index_start(struct aegisd_pipeline *p);
void aegisd_pipeline_index_join(struct aegisd_pipeline *p);
/* Save a snapshot when due (or now); only from the cutter or at stop. */
void aegisd_pipeline_snapshot_save(struct aegisd_pipeline *p, bool now);

/* pipeline_risk.c */
void aegisd_pipeline_poll_risk_file(struct aegisd_pipeline *p);
aegis_err aegisd_pipeline_restore_decisions(struct aegisd_pipeline *p);
aegis_err aegisd_pipeline_submit_risk(struct aegisd_pipeline *p, const char *json, size_t len,
                                      json_t **ret_decision, const char **detail);

/* pipeline_assets.c */
aegis_err aegisd_pipeline_persist_registry(struct aegisd_pipeline *p, uint64_t *ret_seq);
aegis_err aegisd_pipeline_restore_registry(struct aegisd_pipeline *p, const char **detail);
bool aegisd_pipeline_is_orphaned(struct aegisd_pipeline *p, uint64_t number);
aegis_err aegisd_pipeline_register_assets(struct aegisd_pipeline *p);

/* pipeline.c: seal what is pending (force: also a partial window) and
 * persist it; true when a seal was made. Takes seal_mu. */
bool aegisd_pipeline_seal(struct aegisd_pipeline *p, bool force);
/* persist and commit a due key rotation at now_ms (a cluster: the applied
 * record's time). */
void aegisd_pipeline_rotate_at(struct aegisd_pipeline *p, uint64_t now_ms);
/* make, persist and commit a due checkpoint stamped now_ms */
void aegisd_pipeline_checkpoint_at(struct aegisd_pipeline *p, uint64_t now_ms);

/* pipeline_cluster.c: the same sequencer on the replicated log */
aegis_err aegisd_cluster_prepare(struct aegisd_pipeline *p, const char **detail);   /* before the core: join */
aegis_err aegisd_cluster_start(struct aegisd_pipeline *p, const char **detail);
void aegisd_cluster_stop(struct aegisd_pipeline *p);
aegis_err aegisd_cluster_submit(struct aegisd_pipeline *p, uint8_t *env, size_t len, json_t **ret,
                                const char **detail);
aegis_err aegisd_cluster_submit_risk(struct aegisd_pipeline *p, const char *json, size_t len, json_t **ret,
                                     const char **detail);
void aegisd_cluster_batch_extras(struct aegisd_pipeline *p, uint64_t number, json_t *batch);
void aegisd_cluster_status(struct aegisd_pipeline *p, json_t *out);
void aegisd_cluster_metrics(struct aegisd_pipeline *p, aegis_buf *out);

/* pipeline_rpc.c */
aegis_err aegisd_pipeline_register(struct aegisd_pipeline *p);
/* A persisted batch as JSON, with its seal membership when sealed. */
aegis_err aegisd_pipeline_load_batch(struct aegisd_pipeline *p, uint64_t number, json_t **ret);

/* pipeline_metrics.c: risk, key epoch, refusals on /metrics */
aegis_err aegisd_pipeline_metrics_register(struct aegisd_pipeline *p);

/* pipeline_wait.c: aegis_waitBatch, deferred (no server thread waits) */
aegis_err aegisd_m_wait_batch(const aegis_rpc_call *call, json_t *params, json_t **ret, const char **detail);
aegis_err aegisd_pipeline_wait_start(struct aegisd_pipeline *p);
/* After p->stop is set and published broadcast: join the thread (it
 * answered every waiter with null) and free the refusal budget. */
void aegisd_pipeline_wait_stop(struct aegisd_pipeline *p);

#endif
