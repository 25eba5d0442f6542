/*
 * core_codec.c - the payloads of the core's sealed files (restore.sealed,
 * state.sealed): a growing writer and a bounded reader of big-endian
 * fields, and the file's seal under a TEE-derived key.
 *
 * File: magic (4) | version (1) | nonce (12) | AEAD(payload) | tag (16),
 * the first 17 bytes authenticated as associated data, the key
 * aegis_tee_derive_key(label): only this TEE's core opens it, and the host
 * can neither forge nor edit it (it can withhold it or put back an older
 * one).
 */
#include <string.h>
#include <sys/stat.h>

#include "core_int.h"

#define FILE_HDR (4 + 1 + AEGIS_AEAD_NONCE_BYTES)

void aegis__wr_put(struct aegis__wr *b, const void *v, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (b->n + n > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        while (ncap < b->n + n)
            ncap *= 2;
        /* not realloc: the payload holds plaintext transactions, and the
         * block realloc would leave behind must be wiped */
        uint8_t *np = aegis_malloc(ncap);
        if (!np) {
            b->oom = true;
            return;
        }
        if (b->n)
            memcpy(np, b->p, b->n);
        aegis_free_secret(b->p, b->cap);
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}

void aegis__wr_u64(struct aegis__wr *b, uint64_t v)
{
    uint8_t x[8];
    aegis_put_be64(x, v);
    aegis__wr_put(b, x, 8);
}

void aegis__wr_bytes(struct aegis__wr *b, const void *v, size_t n)
{
    aegis__wr_u64(b, n);
    aegis__wr_put(b, v, n);
}

void aegis__wr_free(struct aegis__wr *b)
{
    aegis_free_secret(b->p, b->cap);
    memset(b, 0, sizeof(*b));
}

const uint8_t *aegis__rd_take(struct aegis__rd *r, size_t n)
{
    if (r->bad || n > r->n - r->off) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

uint64_t aegis__rd_u64(struct aegis__rd *r)
{
    const uint8_t *p = aegis__rd_take(r, 8);
    return p ? aegis_get_be64(p) : 0;
}

const uint8_t *aegis__rd_bytes(struct aegis__rd *r, size_t *ret_len)
{
    uint64_t n = aegis__rd_u64(r);
    *ret_len = 0;
    if (r->bad || n > r->n - r->off) {
        r->bad = true;
        return NULL;
    }
    *ret_len = (size_t)n;
    return aegis__rd_take(r, (size_t)n);
}

aegis_err aegis__core_file_seal(aegis_core *core, const char *path, const char magic[4], uint8_t version,
                                const char *label, const uint8_t *pt, size_t n)
{
    size_t total = FILE_HDR + n + AEGIS_AEAD_TAG_BYTES;
    uint8_t *out = aegis_malloc(total), key[32];
    if (!out)
        return AEGIS_ERR_NOMEM;
    memcpy(out, magic, 4);
    out[4] = version;
    aegis_err err = aegis_tee_derive_key(core->tee, label, key);
    if (!err)
        err = aegis_tee_random(core->tee, out + 5, AEGIS_AEAD_NONCE_BYTES);
    if (!err)
        err = aegis_aead_seal(out + FILE_HDR, out + FILE_HDR + n, key, out + 5, out, FILE_HDR, pt, n);
    aegis_memzero(key, sizeof(key));
    if (!err) {
        pthread_mutex_lock(&core->snap_lock);
        err = aegis_file_write_atomic(path, out, total, 0600);
        pthread_mutex_unlock(&core->snap_lock);
    }
    aegis_free(out);
    return err;
}

aegis_err aegis__core_file_open(aegis_core *core, const char *path, const char magic[4], uint8_t version,
                                const char *label, size_t max, uint8_t **ret, size_t *ret_len)
{
    *ret = NULL;
    *ret_len = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return AEGIS_ERR_NOT_FOUND;
    uint8_t *buf = NULL, key[32];
    size_t n = 0;
    aegis_err err = aegis_file_read(path, max, &buf, &n);
    if (err)
        return err == AEGIS_ERR_NOMEM ? err : AEGIS_ERR_CORE_MARK;
    if (n < FILE_HDR + AEGIS_AEAD_TAG_BYTES || memcmp(buf, magic, 4) != 0 || buf[4] != version) {
        aegis_free(buf);
        return AEGIS_ERR_CORE_MARK;
    }
    size_t plen = n - FILE_HDR - AEGIS_AEAD_TAG_BYTES;
    uint8_t *pt = aegis_malloc(plen ? plen : 1);
    err = pt ? aegis_tee_derive_key(core->tee, label, key) : AEGIS_ERR_NOMEM;
    if (!err)
        err = aegis_aead_open(pt, key, buf + 5, buf, FILE_HDR, buf + FILE_HDR, plen, buf + FILE_HDR + plen);
    aegis_memzero(key, sizeof(key));
    aegis_free(buf);
    if (err) {
        aegis_free_secret(pt, plen ? plen : 1);
        return err == AEGIS_ERR_NOMEM ? err : AEGIS_ERR_CORE_MARK;
    }
    *ret = pt;
    *ret_len = plen;
    return AEGIS_OK;
}
