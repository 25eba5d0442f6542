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
#include "aegis/sequencer.h"
#include "aegis/store.h"

#include <jansson.h>

struct aegisd {
    aegis_config cfg;
    aegis_store *store;
    aegis_rpc_server *rpc;
    uint64_t start_ns;       /* aegis_now_ns() at start, for uptime */
    char host[256];          /* from cfg.rpc_listen */
    uint16_t port;           /* configured; 0 = any free port */
    aegis_seq *seq;          /* the sequencer (src/sequencer/), or NULL */
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

/* components.c: the sequencer (aegis/sequencer.h) as a component. */
aegis_err aegisd_seq_start(struct aegisd *d, const char **detail);
void aegisd_seq_stop(struct aegisd *d);

/* config_warn.c: the config warnings aegisd logs at start; to_stderr prints
 * them instead ("aegisd: warning: ...", for --check-config). */
void aegisd_config_warnings(const aegis_config *cfg, bool to_stderr);
/* check_files.c: read every file the config names (key files as keys,
 * folders of files to be created, TEE devices of the selected backends);
 * each failure is printed to err with its config key and path. */
bool aegisd_check_files(const aegis_config *c, FILE *err);

/* listen.c: split "HOST:PORT" / "[V6]:PORT". */
aegis_err aegisd_parse_listen(const char *s, char *host, size_t host_cap, uint16_t *port);

#endif
