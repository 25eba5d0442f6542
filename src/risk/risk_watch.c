/* risk_watch.c - poll a file and submit its content when it changes. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "risk_int.h"

aegis_err aegis_risk_watch_init(aegis_risk_watch *w, const char *path)
{
    memset(w, 0, sizeof(*w));
    w->path = aegis_strdup(path);
    return w->path ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

void aegis_risk_watch_clear(aegis_risk_watch *w)
{
    aegis_free(w->path);
    memset(w, 0, sizeof(*w));
}

aegis_err aegis_risk_watch_poll(aegis_risk_monitor *mon, aegis_risk_watch *w, uint64_t now_ms,
                                bool *ret_changed, struct aegis_risk_decision *ret)
{
    struct stat st;
    if (ret_changed)
        *ret_changed = false;
    if (stat(w->path, &st) != 0)
        return errno == ENOENT ? AEGIS_ERR_NOT_FOUND : AEGIS_ERR_IO;
    if (w->seen && w->dev == st.st_dev && w->ino == st.st_ino && w->size == st.st_size &&
        w->mtime_sec == (int64_t)st.st_mtim.tv_sec && w->mtime_nsec == (int64_t)st.st_mtim.tv_nsec)
        return AEGIS_OK;
    uint8_t *buf = NULL;
    size_t n = 0;
    /* One byte over the limit so an oversized file is recorded as TOO_BIG. */
    aegis_err err = aegis_file_read(w->path, AEGIS_RISK_MAX_JSON + 1, &buf, &n);
    if (err == AEGIS_ERR_TOO_BIG) {
        n = AEGIS_RISK_MAX_JSON + 1;
        buf = aegis_calloc(1, n);
        err = buf ? AEGIS_OK : AEGIS_ERR_NOMEM;
    }
    if (err != AEGIS_OK)
        return err == AEGIS_ERR_NOMEM ? err : AEGIS_ERR_IO;
    /* Remember this version before submitting: a rejected file is not
     * resubmitted until it changes again. */
    w->seen = true;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    w->size = st.st_size;
    w->mtime_sec = (int64_t)st.st_mtim.tv_sec;
    w->mtime_nsec = (int64_t)st.st_mtim.tv_nsec;
    if (ret_changed)
        *ret_changed = true;
    err = aegis_risk_submit(mon, (const char *)buf, n, now_ms, ret);
    aegis_free(buf);
    return err;
}
