/* file.c - whole-file read and atomic write. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aegis/util.h"

aegis_err aegis_file_read(const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
    aegis_err err = AEGIS_ERR_IO;
    aegis_buf b;
    aegis_buf_init(&b, max);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? AEGIS_ERR_NOT_FOUND : AEGIS_ERR_IO;
    for (;;) {
        uint8_t chunk[8192];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (n == 0)
            break;
        err = aegis_buf_append(&b, chunk, (size_t)n);
        if (err)
            goto fail;
    }
    err = aegis_buf_cstr(&b);   /* callers may treat text files as C strings */
    if (err)
        goto fail;
    close(fd);
    *ret = b.data;
    *ret_len = b.len;
    return AEGIS_OK;
fail:
    close(fd);
    aegis_buf_clear(&b);
    return err ? err : AEGIS_ERR_IO;
}

aegis_err aegis_file_write_atomic(const char *path, const void *p, size_t n, unsigned mode)
{
    char tmp[4096], dir[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return AEGIS_ERR_INVAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return errno == EACCES ? AEGIS_ERR_PERM : AEGIS_ERR_IO;
    const uint8_t *q = p;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, q, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        q += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
        goto fail;
    close(fd);
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return AEGIS_ERR_IO;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return AEGIS_OK;
fail:
    close(fd);
    unlink(tmp);
    return AEGIS_ERR_IO;
}
