/*
 * aegis/sequencer.h - the sequencer, host side (src/sequencer/): restore
 * after a restart, submissions, batch cuts, seals, checkpoints, and the
 * JSON-RPC methods that read them, over one of two logs:
 *   - local: the SQLite envelope log in the store (a single node), the
 *     cutter deciding when to cut;
 *   - jetstream: the replicated NATS JetStream stream ([cluster] nats_urls),
 *     every worker applying it in order and the leader's cut records in it
 *     deciding when (docs/internals/cluster.md).
 * It talks to the trusted core through aegis/core.h only: it holds
 * envelopes (ciphertext), published batches, receipts and public keys.
 */
#ifndef AEGIS_SEQUENCER_H
#define AEGIS_SEQUENCER_H

#include <jansson.h>

#include "aegis/config.h"
#include "aegis/error.h"
#include "aegis/rpc.h"
#include "aegis/store.h"

typedef struct aegis_seq aegis_seq;

/* Open the core, restore (or join and apply the replicated log), register
 * the sequencer's methods, metrics and health entries on rpc (not yet
 * listening), and start its threads. cfg, store and rpc outlive it. On
 * failure *detail points at static text and nothing is left running. */
aegis_err aegis_seq_start(const aegis_config *cfg, aegis_store *store, aegis_rpc_server *rpc, aegis_seq **ret,
                          const char **detail);
/* Shutdown has begun: long-polls (aegis_waitBatch) answer at once, so the
 * RPC server's drain does not wait out their timeouts. NULL-safe. */
void aegis_seq_closing(aegis_seq *s);
/* After the RPC server stopped (no handler runs): answer every accepted
 * submission, stop the threads, persist, free. NULL-safe. */
void aegis_seq_stop(aegis_seq *s);
/* Add "core", "last_batch" (and a cluster worker's "cluster") to an
 * aegis_status result. */
void aegis_seq_status(aegis_seq *s, json_t *out);

#endif
