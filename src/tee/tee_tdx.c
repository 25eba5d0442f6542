/*
 * tee_tdx.c - the "tdx" backend: Intel TDX quotes through Linux configfs-tsm
 * (<root>/<entry>/{inblob,outblob,provider,generation}; Linux >= 6.7 with
 * CONFIG_TSM_REPORTS and the tdx_guest driver).
 *
 * One quote: mkdir a unique entry, check provider == "tdx_guest", read
 * generation g1, write exactly 64 bytes to inblob (flock'ed for
 * cross-process exclusion), read outblob, read generation again: it must be
 * g1 + 1, else another writer raced us and the attempt is retried (at most
 * TDX_ATTEMPTS times, then AEGIS_ERR_BUSY); rmdir the entry.
 *
 * Options: "configfs_root" (default /sys/kernel/config/tsm/report),
 * "socket" (dstack guest agent used by derive_key, see below; "" = none),
 * "data_dir" (accepted and ignored).
 *
 * derive_key: TDX has no sealing key reachable through configfs (the TDX
 * module offers none to the guest). With a dstack agent on "socket" the key
 * comes from its KMS-backed GetKey (bound to the app identity); without one
 * derive_key fails with AEGIS_ERR_UNSUPPORTED rather than invent a key the
 * host could read. random: OpenSSL RAND (seeded from RDRAND/RDSEED in a TD).
 * measurement: MRTD of a quote over a fixed tag (cached).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "aegis/attest.h"
#include "tee_http_unix.h"
#include "tee_int.h"

#define TDX_DEFAULT_ROOT  "/sys/kernel/config/tsm/report"
#define TDX_PROVIDER      "tdx_guest"
#define TDX_ATTEMPTS      5
#define TDX_IO_RETRIES    50          /* EBUSY / EINTR / ETIMEDOUT */
#define TDX_MIN_QUOTE     1021        /* Intel rejects <= 1020 bytes */
#define TDX_MEASURE_TAG   "AEGIS-MEASUREMENT-V1"

struct tdx_ctx {
    char root[4096];
    char sock[108];              /* dstack agent for derive_key, "" = none */
    struct aegis__tee_mrtd mrtd; /* measurement cache */
    bool lock_ok;
    unsigned long seq;           /* entry name counter (atomic) */
};

static const char *const tdx_known_opts[] = { "configfs_root", "socket", "data_dir", NULL };

static aegis_err tdx_init(void *vctx, const aegis_tee_option *opts, size_t n)
{
    struct tdx_ctx *c = vctx;
    if (!aegis__tee_options_known(opts, n, tdx_known_opts))
        return AEGIS_ERR_INVAL;
    if (pthread_mutex_init(&c->mrtd.lock, NULL) != 0)
        return AEGIS_ERR_NOMEM;
    c->lock_ok = true;
    const char *r = aegis__tee_option(opts, n, "configfs_root");
    if (!r || !*r)
        r = TDX_DEFAULT_ROOT;
    const char *s = aegis__tee_option(opts, n, "socket");
    if (!s)
        s = "";
    if (strlen(r) + 64 >= sizeof(c->root) || strlen(s) >= sizeof(c->sock))
        return AEGIS_ERR_INVAL;
    snprintf(c->root, sizeof(c->root), "%s", r);
    snprintf(c->sock, sizeof(c->sock), "%s", s);
    return AEGIS_OK;
}

static void tdx_free(void *vctx)
{
    struct tdx_ctx *c = vctx;
    if (c->lock_ok)
        pthread_mutex_destroy(&c->mrtd.lock);
}

static bool transient(int e)
{
    return e == EBUSY || e == EINTR || e == EAGAIN || e == ETIMEDOUT;
}

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Read a whole attribute (up to cap bytes) into buf; returns the length. */
static aegis_err read_attr(const char *path, uint8_t *buf, size_t cap, size_t *ret_len)
{
    int fd = -1;
    for (int tries = 0; fd < 0; tries++) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && (!transient(errno) || tries >= TDX_IO_RETRIES))
            return errno == ENOENT ? AEGIS_ERR_NOT_FOUND : AEGIS_ERR_IO;
        if (fd < 0)
            pause_ms(20);
    }
    size_t n = 0;
    aegis_err err = AEGIS_OK;
    for (int tries = 0;;) {
        if (n == cap) {
            err = AEGIS_ERR_TOO_BIG;
            break;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r > 0) {
            n += (size_t)r;
        } else if (r == 0) {
            break;
        } else if (transient(errno) && ++tries < TDX_IO_RETRIES) {
            pause_ms(20);
        } else {
            err = AEGIS_ERR_IO;
            break;
        }
    }
    close(fd);
    if (!err)
        *ret_len = n;
    return err;
}

static aegis_err read_u64_attr(const char *path, unsigned long long *ret)
{
    uint8_t b[32];
    size_t n = 0;
    aegis_err err = read_attr(path, b, sizeof(b) - 1, &n);
    if (err)
        return err;
    b[n] = 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull((char *)b, &end, 10);
    if (end == (char *)b || errno || (*end && *end != '\n'))
        return AEGIS_ERR_IO;
    *ret = v;
    return AEGIS_OK;
}

static aegis_err write_inblob(const char *path, const uint8_t rd[static AEGIS_TEE_REPORT_DATA_BYTES], int *ret_fd)
{
    int fd = -1;
    for (int tries = 0; fd < 0; tries++) {
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 && (!transient(errno) || tries >= TDX_IO_RETRIES))
            return AEGIS_ERR_IO;
        if (fd < 0)
            pause_ms(20);
    }
    /* Intel's libtdx_attest and dstack serialise writers this way. */
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR) {
    }
    for (int tries = 0;; tries++) {
        ssize_t w = write(fd, rd, AEGIS_TEE_REPORT_DATA_BYTES);
        if (w == AEGIS_TEE_REPORT_DATA_BYTES)
            break;
        if (w >= 0 || !transient(errno) || tries >= TDX_IO_RETRIES) {
            close(fd);
            return AEGIS_ERR_IO;
        }
        pause_ms(20);
    }
    *ret_fd = fd;   /* kept open (locked) until outblob is read */
    return AEGIS_OK;
}

/* One attempt in a fresh entry. AEGIS_ERR_BUSY: a concurrent writer. */
static aegis_err tdx_attempt(struct tdx_ctx *c, const uint8_t rd[static AEGIS_TEE_REPORT_DATA_BYTES],
                             uint8_t *buf, size_t cap, size_t *ret_len)
{
    char dir[4200], path[4300];
    uint8_t nonce[8];
    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        return AEGIS_ERR_CRYPTO_RANDOM;
    unsigned long seq = __atomic_add_fetch(&c->seq, 1, __ATOMIC_RELAXED);
    char nhex[17];
    aegis_hex_encode(nhex, nonce, sizeof(nonce));
    snprintf(dir, sizeof(dir), "%s/aegis-%ld-%lu-%s", c->root, (long)getpid(), seq, nhex);
    if (mkdir(dir, 0700) != 0)
        return errno == ENOENT ? AEGIS_ERR_NOT_FOUND : AEGIS_ERR_IO;

    aegis_err err;
    int in_fd = -1;
    unsigned long long g1 = 0, g2 = 0;
    uint8_t prov[64];
    size_t plen = 0;
    snprintf(path, sizeof(path), "%s/provider", dir);
    if ((err = read_attr(path, prov, sizeof(prov), &plen)) != AEGIS_OK)
        goto out;
    while (plen && (prov[plen - 1] == '\n' || prov[plen - 1] == 0))
        plen--;
    if (plen != strlen(TDX_PROVIDER) || memcmp(prov, TDX_PROVIDER, plen) != 0) {
        err = AEGIS_ERR_UNSUPPORTED;   /* another TSM (e.g. sev_guest) */
        goto out;
    }
    snprintf(path, sizeof(path), "%s/generation", dir);
    if ((err = read_u64_attr(path, &g1)) != AEGIS_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/inblob", dir);
    if ((err = write_inblob(path, rd, &in_fd)) != AEGIS_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/outblob", dir);
    if ((err = read_attr(path, buf, cap, ret_len)) != AEGIS_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/generation", dir);
    if ((err = read_u64_attr(path, &g2)) != AEGIS_OK)
        goto out;
    if (g2 != g1 + 1)
        err = AEGIS_ERR_BUSY;
out:
    if (in_fd >= 0)
        close(in_fd);   /* releases the flock */
    rmdir(dir);
    return err;
}

static aegis_err tdx_quote(void *vctx, const uint8_t rd[static AEGIS_TEE_REPORT_DATA_BYTES],
                           uint8_t **ret, size_t *ret_len)
{
    struct tdx_ctx *c = vctx;
    size_t cap = AEGIS_QUOTE_MAX_BYTES, n = 0;
    uint8_t *buf = aegis_malloc(cap);
    if (!buf)
        return AEGIS_ERR_NOMEM;
    aegis_err err = AEGIS_ERR_BUSY;
    for (int i = 0; i < TDX_ATTEMPTS && err == AEGIS_ERR_BUSY; i++) {
        if (i)
            pause_ms(10L << i);
        err = tdx_attempt(c, rd, buf, cap, &n);
    }
    aegis_quote q;
    if (!err && n < TDX_MIN_QUOTE)
        err = AEGIS_ERR_QUOTE_MALFORMED;
    if (!err)
        err = aegis_quote_parse(buf, n, &q, NULL);
    if (!err && q.tee_type != AEGIS_QUOTE_TEE_TDX)
        err = AEGIS_ERR_QUOTE_UNSUPPORTED;
    if (!err && !aegis_ct_eq(q.td.report_data, rd, AEGIS_TEE_REPORT_DATA_BYTES))
        err = AEGIS_ERR_POLICY_REPORT_DATA;
    if (err) {
        aegis_free(buf);
        return err;
    }
    /* Drop the kernel buffer's zero padding. */
    uint8_t *out = aegis_realloc(buf, q.parsed_len);
    if (!out)
        out = buf;
    *ret = out;
    *ret_len = q.parsed_len;
    return AEGIS_OK;
}

static aegis_err tdx_measurement(void *vctx, uint8_t out[static AEGIS_TEE_MEASUREMENT_BYTES])
{
    struct tdx_ctx *c = vctx;
    return aegis__tee_mrtd_cached(&c->mrtd, tdx_quote, c, TDX_MEASURE_TAG, out);
}

static aegis_err tdx_derive_key(void *vctx, const char *label, uint8_t out[static AEGIS_TEE_KEY_BYTES])
{
    struct tdx_ctx *c = vctx;
    struct stat st;
    if (!c->sock[0] || stat(c->sock, &st) != 0 || !S_ISSOCK(st.st_mode))
        return AEGIS_ERR_UNSUPPORTED;   /* no sealing key without a dstack agent */
    bool legacy = strlen(c->sock) >= 10 && strcmp(c->sock + strlen(c->sock) - 10, "tappd.sock") == 0;
    return aegis__dstack_derive_key(c->sock, legacy, "aegis/tdx/", "AEGIS-TDX-TEE-V1", label, out);
}

static void tdx_info(void *vctx, aegis_tee_info_fn fn, void *arg)
{
    struct tdx_ctx *c = vctx;
    fn(arg, "configfs_root", c->root);
    struct stat st;
    bool key = c->sock[0] && stat(c->sock, &st) == 0 && S_ISSOCK(st.st_mode);
    fn(arg, "derive_key", key ? "dstack GetKey" : "unavailable (no dstack agent socket)");
    if (key)
        fn(arg, "socket", c->sock);
}

const struct aegis_tee_ops aegis_tee_tdx_ops = {
    .name = "tdx",
    .flags = 0,
    .ctx_size = sizeof(struct tdx_ctx),
    .init = tdx_init,
    .derive_key = tdx_derive_key,
    .quote = tdx_quote,
    .measurement = tdx_measurement,
    .info = tdx_info,
    .free = tdx_free,
};
