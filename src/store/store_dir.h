/*
 * store_dir.h - the data dir of a store: created 0700, checked, and held
 * with an exclusive flock on <dir>/LOCK for the life of the store.
 */
#ifndef AEGIS_STORE_DIR_H
#define AEGIS_STORE_DIR_H

#include <stdbool.h>

#include "aegis/error.h"

struct aegis__store_dir {
    char *path;     /* aegis_malloc'd copy, NULL when not held */
    int lock_fd;    /* -1 when not held */
};

void aegis__store_dir_init(struct aegis__store_dir *d);
/* Create (unless read_only) and check the dir, then take the lock: LOCK_EX
 * for a writer, LOCK_SH for a read-only opener, never waiting. Returns the
 * generic class (AEGIS_ERR_BUSY, AEGIS_ERR_PERM, AEGIS_ERR_NOT_FOUND,
 * AEGIS_ERR_IO, AEGIS_ERR_NOMEM) and the store-specific code in *ret_detail. */
aegis_err aegis__store_dir_acquire(struct aegis__store_dir *d, const char *path, bool read_only,
                                   aegis_err *ret_detail);
/* Drop the lock and free the path. Idempotent. */
void aegis__store_dir_release(struct aegis__store_dir *d);

#endif
