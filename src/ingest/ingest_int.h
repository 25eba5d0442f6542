/* ingest_int.h - private parts of the ingest module. */
#ifndef AEGIS_INGEST_INT_H
#define AEGIS_INGEST_INT_H

#include <stddef.h>

#include "aegis/core.h"
#include "aegis/error.h"

/* A fixed set of helper threads that run one loop body over [0, n) together
 * with the calling thread (ingest_pfor.c). Indices are handed out one at a
 * time from an atomic counter, so uneven items balance by themselves; the
 * order in which indices run is unspecified, the body must write only its
 * own slot. One caller at a time. */
typedef struct aegis__pfor aegis__pfor;
typedef void (*aegis__pfor_fn)(void *arg, size_t i);

/* threads: total, the caller included (1: no helper, run() is a plain loop).
 * AEGIS_ERR_NOMEM. */
aegis_err aegis__pfor_new(aegis__pfor **ret, size_t threads);
/* Run fn(arg, i) for every i < n; returns once all have returned. */
void aegis__pfor_run(aegis__pfor *p, size_t n, aegis__pfor_fn fn, void *arg);
size_t aegis__pfor_threads(const aegis__pfor *p);
/* Join the helpers. NULL is fine. Not while run() is in progress. */
void aegis__pfor_free(aegis__pfor *p);

/* Writes the core's sealed mark for committed envelope ids on its own
 * thread, beside the core thread's work on the same group (ingest_mark.c).
 * aegis__marker_logged: the log's commit of every id up to env_id returned
 * (call only then); returns at once. AEGIS_ERR_NOMEM. NULL is fine for
 * logged and free; free writes whatever was handed over first. */
typedef struct aegis__marker aegis__marker;
aegis_err aegis__marker_new(aegis__marker **ret, aegis_core *core);
void aegis__marker_logged(aegis__marker *m, uint64_t env_id);
void aegis__marker_free(aegis__marker *m);

#endif
