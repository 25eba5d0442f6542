/*
 * daemon.h - aegisd's private state and its component table.
 *
 * aegisd is a thin program: main.c parses arguments and the config, opens
 * the store, creates the RPC server, starts every component of the table
 * in components.c (each registers its RPC methods, metrics sources and
 * health entries), then listens and waits for signals. A later core
 * (mempool, batcher, ...) plugs in by adding one component entry.
 */
#ifndef AEGISD_DAEMON_H
#define AEGISD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aegis/config.h"
#include "aegis/rpc.h"
#include "aegis/store.h"

#include <jansson.h>

struct aegisd_pipeline;

struct aegisd {
    aegis_config cfg;
    aegis_store *store;
    aegis_rpc_server *rpc;
    uint64_t start_ns;       /* aegis_now_ns() at start, for uptime */
    char host[256];          /* from cfg.rpc_listen */
    uint16_t port;           /* configured; 0 = any free port */
    struct aegisd_pipeline *pipe; /* the sequencer pipeline (pipeline.c), or NULL */
};

struct aegisd_component {
    const char *name;
    /* Register methods / metrics / health on d->rpc (not yet listening).
     * On failure point *detail at static text. */
    aegis_err (*start)(struct aegisd *d, const char **detail);
    /* After the RPC server stopped (no handler runs), before the store closes. Optional. */
    void (*stop)(struct aegisd *d);
};

extern const struct aegisd_component aegisd_components[];
extern const size_t aegisd_n_components;

/* node.c: aegis_status, eth_chainId, aegis_getEnvelope. */
aegis_err aegisd_node_start(struct aegisd *d, const char **detail);

/* pipeline.c: the sequencer: encrypted submission, batches, receipts. */
aegis_err aegisd_pipeline_start(struct aegisd *d, const char **detail);
void aegisd_pipeline_stop(struct aegisd *d);
/* Shutdown has begun: long-polls (aegis_waitBatch) answer at once, so the
 * RPC server's drain does not wait out their timeouts. NULL-safe. */
void aegisd_pipeline_closing(struct aegisd *d);
/* Add "core" and "last_batch" to an aegis_status result. */
void aegisd_pipeline_status(struct aegisd *d, json_t *out);

/* proc.c: CPUs online (at least 1). */
long aegisd_online_cpus(void);
/* check_files.c: read every file the config names (key files as keys,
 * folders of files to be created, TEE devices of the selected backends);
 * each failure is printed to err with its config key and path. */
bool aegisd_check_files(const aegis_config *c, FILE *err);

/* listen.c: split "HOST:PORT" / "[V6]:PORT". */
aegis_err aegisd_parse_listen(const char *s, char *host, size_t host_cap, uint16_t *port);

#endif
