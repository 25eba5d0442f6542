/*
 * cli_loadgen.h - `aegis loadgen`'s shared state: cmd_loadgen.c (options,
 * sealing, the inclusion follower, the summary) and cli_loadgen_loop.c
 * (the --preseal event loop that sends the requests).
 */
#ifndef AEGIS_CLI_LOADGEN_H
#define AEGIS_CLI_LOADGEN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "aegis/client.h"

enum { AEGIS_LG_JOB_NEW, AEGIS_LG_JOB_SENT, AEGIS_LG_JOB_ACKED, AEGIS_LG_JOB_INCLUDED, AEGIS_LG_JOB_FAILED };

typedef struct aegis_lg_sender {
    uint8_t sk[32];
    uint8_t addr[20];
} aegis_lg_sender;

typedef struct aegis_lg_addr {
    uint8_t addr[20];
    uint32_t idx;
} aegis_lg_addr;

typedef struct aegis_lg_job {
    uint8_t hash[32];
    uint8_t state;
    char *req;                /* --preseal: the whole HTTP request (headers and body), sealed ahead */
    size_t req_len;
} aegis_lg_job;

typedef struct aegis_lg {
    const char *url;
    uint64_t count, senders, conc, timeout_s, loops;
    double rate;              /* 0: as fast as possible */
    bool allow_sim, preseal;
    uint64_t last_ack_ns;     /* when the latest acknowledgement arrived */
    aegis_client_keyset ks;
    uint64_t chain_id;
    aegis_lg_sender *snd;
    aegis_lg_addr *by_addr;   /* sender addresses, sorted */
    aegis_lg_job *jobs;
    uint32_t *lat_us;         /* ack latencies, n_lat of them */
    size_t n_lat;
    pthread_mutex_t lock;
    uint64_t sent, acked, included, failed, retries, batches;
    uint64_t twice;           /* a tx of ours seen in a second batch: must stay 0 */
    uint64_t ticket, t0;
    uint64_t follow_after;    /* the node's last batch before anything was sent */
    int stop;
    char first_err[256];
    /* --preseal: the CPU the load generator used over the timed phase
     * (from t0 until its last request is answered) */
    int loops_running;
    double cpu_end_s;         /* getrusage(RUSAGE_SELF) when the last loop ended */
    uint64_t loop_cpu_ns;     /* the loop threads' own CPU (CLOCK_THREAD_CPUTIME_ID), summed */
} aegis_lg;

/* The job failed (first failure's text kept for the summary). */
void aegis_lg_job_failed(aegis_lg *g, uint64_t j, const char *why);

/* The job was acknowledged after lat_ns. */
void aegis_lg_job_acked(aegis_lg *g, uint64_t j, uint64_t lat_ns);

/* The ticket pacing --rate: when ticket t may be sent. */
uint64_t aegis_lg_due_ns(const aegis_lg *g, uint64_t t);

/* This process's user + system CPU seconds (getrusage RUSAGE_SELF). */
double aegis_lg_cpu_seconds(void);

/* --preseal: start g->loops event-loop threads sending every job over
 * g->conc keep-alive connections (connection c owns the senders s with
 * s % conc == c, so one sender's envelopes go one after another); the
 * last loop to finish records g->cpu_end_s. Join and free them with
 * aegis_lg_loops_join (accepts NULL). Errors: RPC_BAD_URL, RPC_CONNECT (the
 * node's name does not resolve), NOMEM, IO, INTERNAL (no thread). */
typedef struct aegis_lg_loops aegis_lg_loops;
aegis_err aegis_lg_loops_start(aegis_lg *g, aegis_lg_loops **ret);
void aegis_lg_loops_join(aegis_lg_loops *l);

#endif
