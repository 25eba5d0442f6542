/*
 * store_dir.c - data dir creation, permission policy and the LOCK file.
 *
 * Policy (docs/internals/store.md):
 *  - missing directories on the path are created with mode 0700;
 *  - an existing data dir that group or others may write is refused
 *    (AEGIS_ERR_STORE_DIR_UNSAFE): another user could swap the database or
 *    the lock file under us. Readable-by-others is accepted (the store only
 *    ever holds ciphertext and public data), but new dirs are 0700;
 *  - the dir must be writable (checked with the effective ids);
 *  - <dir>/LOCK is flock()ed without waiting: LOCK_EX for a writer,
 *    LOCK_SH for a read-only opener. flock locks belong to the open file
 *    description, so a second open in the same process conflicts too, and
 *    the kernel drops the lock when the holder dies - no stale lock files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aegis/util.h"
#include "store_dir.h"

void aegis__store_dir_init(struct aegis__store_dir *d)
{
    d->path = NULL;
    d->lock_fd = -1;
}

static aegis_err mkdir_err(int e, aegis_err *detail)
{
    switch (e) {
    case ENOTDIR:
        *detail = AEGIS_ERR_STORE_NOT_DIR;
        return AEGIS_ERR_PERM;
    case EACCES:
    case EPERM:
    case EROFS:
        *detail = AEGIS_ERR_STORE_DIR_UNWRITABLE;
        return AEGIS_ERR_PERM;
    case ENOMEM:
        *detail = AEGIS_ERR_NOMEM;
        return AEGIS_ERR_NOMEM;
    default:
        *detail = AEGIS_ERR_STORE_DIR_UNWRITABLE;
        return AEGIS_ERR_IO;
    }
}

/* mkdir -p with 0700 for every component we create. */
static aegis_err make_dirs(char *p, aegis_err *detail)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (size_t i = 1; i < n; i++) {
        if (p[i] != '/')
            continue;
        p[i] = '\0';
        int rc = mkdir(p, 0700);
        int e = errno;
        p[i] = '/';
        if (rc != 0 && e != EEXIST)
            return mkdir_err(e, detail);
    }
    if (mkdir(p, 0700) != 0 && errno != EEXIST)
        return mkdir_err(errno, detail);
    return AEGIS_OK;
}

aegis_err aegis__store_dir_acquire(struct aegis__store_dir *d, const char *path, bool read_only,
                                   aegis_err *ret_detail)
{
    aegis_err err = AEGIS_OK, detail = AEGIS_OK;
    char *lock_path = NULL;
    int fd = -1;
    struct stat sb;

    d->path = aegis_strdup(path);
    if (!d->path) {
        err = detail = AEGIS_ERR_NOMEM;
        goto out;
    }
    if (!read_only) {
        err = make_dirs(d->path, &detail);
        if (err != AEGIS_OK)
            goto out;
    }
    if (stat(d->path, &sb) != 0) {
        if (errno == ENOENT) {
            err = detail = AEGIS_ERR_NOT_FOUND;
        } else {
            err = mkdir_err(errno, &detail);
        }
        goto out;
    }
    if (!S_ISDIR(sb.st_mode)) {
        err = AEGIS_ERR_PERM;
        detail = AEGIS_ERR_STORE_NOT_DIR;
        goto out;
    }
    if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
        err = AEGIS_ERR_PERM;
        detail = AEGIS_ERR_STORE_DIR_UNSAFE;
        goto out;
    }
    if (!read_only && faccessat(AT_FDCWD, d->path, W_OK | X_OK, AT_EACCESS) != 0) {
        err = AEGIS_ERR_PERM;
        detail = AEGIS_ERR_STORE_DIR_UNWRITABLE;
        goto out;
    }

    size_t n = strlen(d->path) + sizeof("/LOCK");
    lock_path = aegis_malloc(n);
    if (!lock_path) {
        err = detail = AEGIS_ERR_NOMEM;
        goto out;
    }
    snprintf(lock_path, n, "%s/LOCK", d->path);
    fd = open(lock_path, (read_only ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == ENOENT && read_only) {
            err = detail = AEGIS_ERR_NOT_FOUND;
        } else if (errno == ELOOP) {
            err = AEGIS_ERR_PERM;
            detail = AEGIS_ERR_STORE_DIR_UNSAFE;
        } else {
            err = mkdir_err(errno, &detail);
        }
        goto out;
    }
    if (flock(fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            err = AEGIS_ERR_BUSY;
            detail = AEGIS_ERR_STORE_LOCKED;
        } else {
            err = detail = AEGIS_ERR_IO;
        }
        goto out;
    }
    if (!read_only) {
        /* For operators only: who holds it. Failure here is harmless. */
        char pid[32];
        int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0)
            (void)0;
    }
    d->lock_fd = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    aegis_free(lock_path);
    if (err != AEGIS_OK) {
        aegis__store_dir_release(d);
        *ret_detail = detail;
    }
    return err;
}

void aegis__store_dir_release(struct aegis__store_dir *d)
{
    if (d->lock_fd >= 0) {
        close(d->lock_fd);   /* drops the flock */
        d->lock_fd = -1;
    }
    aegis_free(d->path);
    d->path = NULL;
}
