/*
 * aegis/ingest.h - the submission pipeline: envelope in, signed receipt out.
 *
 * Host code (it sees only ciphertext): what aegis_sendEncryptedTransaction
 * does, as two stages on their own threads so that whole groups share the
 * expensive steps:
 *
 *   writer thread   take every queued envelope (up to max_group), hash
 *                   them, append them to the durable envelope log in ONE
 *                   commit (one fsync), hand the group on;
 *   core thread     open the group's envelopes (aegis_core_open: decrypt,
 *                   decode, recover senders) on open_threads threads
 *                   (or each was opened already on its submitting thread,
 *                   opts.open_on_submit), then aegis_core_admit each in
 *                   log order, then sign the group's receipts with ONE
 *                   ML-DSA-87 signature (aegis_core_sign_receipts), then
 *                   complete every submission;
 *   marker thread   once a commit returns, write its highest id into the
 *                   core's sealed mark (aegis_core_mark_logged), beside the
 *                   core's work on that group, so the receipts find it there.
 *
 * The two overlap: while the core works on group k, group k+1 is being
 * made durable. Under load, groups grow by themselves (everything that
 * arrived during the previous step), so the fsync and the signature are
 * shared by more envelopes exactly when it matters; a lone envelope waits
 * for nobody. Nothing is acknowledged before it is durable; a rejection is
 * recorded in the log (by the writer, off the core thread) and reported.
 *
 * Thread-safety: aegis_ingest_submit may be called from any thread.
 */
#ifndef AEGIS_INGEST_H
#define AEGIS_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/core.h"
#include "aegis/store.h"

typedef struct aegis_ingest aegis_ingest;

/* How one submission ended; valid only during the callback. */
typedef struct aegis_ingest_result {
    aegis_err err;             /* OK: durable, admitted, receipt signed */
    const char *detail;        /* static text when err != OK */
    uint64_t envelope_id;      /* the log id (0 if it never got one) */
    const char *receipt;       /* err == OK: the signed receipt, JSON text */
} aegis_ingest_result;

/* Called once per submission, from an ingest thread. It must not block for
 * long and must not call aegis_ingest_free. */
typedef void (*aegis_ingest_done_fn)(void *arg, const aegis_ingest_result *res);

/* Called after each group, with how many were admitted and rejected (the
 * daemon wakes its cutter, persists registry changes) - by the core thread;
 * and with store_err != OK by the writer thread when the envelope log failed
 * for a group (none of it was acknowledged). */
typedef void (*aegis_ingest_group_fn)(void *arg, size_t admitted, size_t rejected, aegis_err store_err);

#define AEGIS_INGEST_NO_PACING UINT64_MAX
#define AEGIS_INGEST_MAX_OPEN_THREADS 256

typedef struct aegis_ingest_opts {
    size_t max_group;          /* envelopes per append and per receipt signature (0: 256) */
    size_t max_queue;          /* accepted, not yet appended; past it BUSY (0: 8192) */
    uint64_t commit_interval_us;   /* a commit starts at most this long after the
                                    * previous one unless a group is full
                                    * (0: 1000; AEGIS_INGEST_NO_PACING: none;
                                    * at most 1 s) */
    size_t open_threads;       /* threads opening envelopes (decrypt, decode,
                                * recover senders), the core thread included;
                                * admission stays in log order on the core
                                * thread, so results do not depend on it
                                * (0: 1; at most AEGIS_INGEST_MAX_OPEN_THREADS) */
    bool open_on_submit;       /* open each envelope in aegis_ingest_submit, on
                                * the caller's thread, while its group is being
                                * committed (for callers that submit from many
                                * threads, like the RPC server's): the core
                                * thread then only admits and signs. Results
                                * are the same either way */
    aegis_ingest_group_fn on_group;   /* optional */
    void *on_group_arg;
} aegis_ingest_opts;

/* Start the two threads on a core and a store the caller keeps alive until
 * aegis_ingest_free. AEGIS_ERR_NOMEM, AEGIS_ERR_INVAL. */
aegis_err aegis_ingest_new(aegis_ingest **ret, aegis_core *core, aegis_store *store,
                           const aegis_ingest_opts *opts) AEGIS_WUR;

/* Queue one envelope. Takes ownership of env (allocated with aegis_malloc)
 * in every case. First aegis_core_envelope_check: an envelope it refuses is
 * never written, and done() reports the refusal at once, on the calling
 * thread. AEGIS_OK: done() will be called exactly once. Otherwise
 * done() is never called: AEGIS_ERR_INGEST_BUSY (queue full, retry),
 * AEGIS_ERR_INGEST_CLOSED (shutting down), AEGIS_ERR_INVAL. */
aegis_err aegis_ingest_submit(aegis_ingest *ig, uint8_t *env, size_t len, aegis_ingest_done_fn done,
                              void *arg) AEGIS_WUR;

/* Submit and wait for the outcome (for a thread that can block: an RPC
 * handler, a test). On AEGIS_OK *ret_receipt is the signed receipt JSON
 * (aegis_free); otherwise *detail (optional) is static text. Takes
 * ownership of env. */
aegis_err aegis_ingest_submit_wait(aegis_ingest *ig, uint8_t *env, size_t len, uint64_t *ret_envelope_id,
                                   char **ret_receipt, const char **detail) AEGIS_WUR;

typedef struct aegis_ingest_stats {
    uint64_t submitted;        /* accepted by aegis_ingest_submit */
    uint64_t admitted, rejected, duplicates, failed;
    uint64_t refused;          /* failed aegis_core_envelope_check: never written */
    uint64_t unrecorded;       /* rejections the log could not record (replayed
                                * and rejected again after a restart) */
    uint64_t groups;           /* receipt signatures */
    uint64_t appends;          /* log commits */
    size_t queued;             /* now: waiting for the writer + the core */
    size_t in_flight;          /* now: accepted and not yet completed */
} aegis_ingest_stats;
void aegis_ingest_get_stats(aegis_ingest *ig, aegis_ingest_stats *ret);

/* Envelopes opened on several threads for a caller that admits them itself,
 * in log order, with aegis_core_admit (restart replay: ingest_opener.c). The
 * same opening the pipeline does for a group, so the outcomes in log order
 * are exactly aegis_core_submit's whatever the thread count. */
typedef struct aegis_ingest_opener aegis_ingest_opener;
/* threads: the caller included (0 or 1: the caller alone; at most
 * AEGIS_INGEST_MAX_OPEN_THREADS). The core must outlive the opener.
 * AEGIS_ERR_NOMEM. */
aegis_err aegis_ingest_opener_new(aegis_ingest_opener **ret, aegis_core *core, size_t threads) AEGIS_WUR;
/* opened[i] = aegis_core_open(env[i], len[i], now_ms) for every i < n, on
 * the opener's threads; NULL where the core was out of memory. The caller
 * admits (or frees) every handle. One run at a time per opener. */
void aegis_ingest_opener_run(aegis_ingest_opener *o, const uint8_t *const *env, const size_t *len, size_t n,
                             uint64_t now_ms, aegis_core_opened **opened);
/* The same with each envelope's own time, now_ms[i] (a cluster worker opens
 * runs of its log with each record's stream timestamp: the outcome may
 * depend on the time, e.g. the previous key epoch's grace window). */
void aegis_ingest_opener_run_each(aegis_ingest_opener *o, const uint8_t *const *env, const size_t *len,
                                  const uint64_t *now_ms, size_t n, aegis_core_opened **opened);
size_t aegis_ingest_opener_threads(const aegis_ingest_opener *o);
/* Join the threads. NULL is fine. */
void aegis_ingest_opener_free(aegis_ingest_opener *o);

/* Stop taking submissions, finish every one already accepted (each gets its
 * callback), join the threads. NULL is fine. */
void aegis_ingest_free(aegis_ingest *ig);

#endif
