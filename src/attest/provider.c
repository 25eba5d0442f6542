/*
 * provider.c - where collateral comes from: a file/directory provider, and a
 * cache keyed by (TEE type, FMSPC, CA) in front of any provider. A PCCS
 * fetcher is one more aegis_collateral_provider_ops whose get() does HTTP.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "attest_int.h"

#define PATH_MAX_SETS 256
#define CACHE_MAX_ENTRIES 64

/* ---- path provider ---- */

typedef struct path_ctx {
    aegis_collateral *sets[PATH_MAX_SETS];
    size_t n;
} path_ctx;

static aegis_err path_get(void *vctx, uint32_t tee_type, const uint8_t fmspc[6], const char *ca,
                          aegis_collateral **ret, const char **msg)
{
    path_ctx *ctx = vctx;
    aegis_collateral *best = NULL;
    for (size_t i = 0; i < ctx->n; i++) {
        aegis_collateral *c = ctx->sets[i];
        if (c->tcb.tee_type != tee_type || memcmp(c->tcb.fmspc, fmspc, 6) != 0 || strcmp(c->ca, ca) != 0)
            continue;
        if (!best || c->tcb.eval_number > best->tcb.eval_number ||
            (c->tcb.eval_number == best->tcb.eval_number && c->valid_until > best->valid_until))
            best = c;
    }
    if (!best) {
        *msg = "no collateral set for this TEE type, FMSPC and CA";
        return AEGIS_ERR_COLLATERAL_NOT_FOUND;
    }
    *ret = aegis_collateral_ref(best);
    return AEGIS_OK;
}

static void path_destroy(void *vctx)
{
    path_ctx *ctx = vctx;
    for (size_t i = 0; ctx && i < ctx->n; i++)
        aegis_collateral_unref(ctx->sets[i]);
    aegis_free(ctx);
}

static const struct aegis_collateral_provider_ops path_ops = {
    .name = "path",
    .get = path_get,
    .destroy = path_destroy,
};

static bool is_regular(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Load one candidate; files that are not collateral sets are skipped. */
static aegis_err path_add(path_ctx *ctx, const char *file)
{
    aegis_collateral *c = NULL;
    const char *msg;
    if (!is_regular(file))
        return AEGIS_OK;
    aegis_err err = aegis_collateral_load_file(file, &c, &msg);
    if (err == AEGIS_ERR_NOMEM)
        return err;
    if (err != AEGIS_OK)
        return AEGIS_OK;
    if (ctx->n >= PATH_MAX_SETS) {
        aegis_collateral_unref(c);
        return AEGIS_ERR_TOO_BIG;
    }
    ctx->sets[ctx->n++] = c;
    return AEGIS_OK;
}

aegis_err aegis_collateral_provider_path(const char *path, aegis_collateral_provider *ret,
                                         const char **reterr_msg)
{
    aegis_err err = AEGIS_OK;
    const char *msg = NULL;
    struct stat st;
    DIR *d = NULL;
    path_ctx *ctx = aegis_calloc(1, sizeof(*ctx));

    if (!ctx)
        return AEGIS_ERR_NOMEM;
    if (!path || stat(path, &st) != 0) {
        err = AEGIS_ERR_IO;
        msg = "cannot stat the collateral path";
        goto out;
    }
    if (S_ISREG(st.st_mode)) {
        aegis_collateral *c;
        if ((err = aegis_collateral_load_file(path, &c, &msg)) != AEGIS_OK)
            goto out;
        ctx->sets[ctx->n++] = c;
    } else if (S_ISDIR(st.st_mode)) {
        if (!(d = opendir(path))) {
            err = AEGIS_ERR_IO;
            msg = "cannot open the collateral directory";
            goto out;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
            char p[4096];
            size_t nl = strlen(de->d_name);
            if (de->d_name[0] == '.')
                continue;
            if (nl > 5 && strcmp(de->d_name + nl - 5, ".json") == 0)
                snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
            else
                snprintf(p, sizeof(p), "%s/%s/collateral.json", path, de->d_name);
            if ((err = path_add(ctx, p)) != AEGIS_OK) {
                msg = "collateral directory too large";
                goto out;
            }
        }
        if (ctx->n == 0) {
            err = AEGIS_ERR_COLLATERAL_NOT_FOUND;
            msg = "no loadable collateral set in the directory";
            goto out;
        }
    } else {
        err = AEGIS_ERR_IO;
        msg = "collateral path is neither a file nor a directory";
        goto out;
    }
    ret->ops = &path_ops;
    ret->ctx = ctx;
    ctx = NULL;
out:
    if (d)
        closedir(d);
    path_destroy(ctx);
    if (reterr_msg)
        *reterr_msg = msg;
    return err;
}

void aegis_collateral_provider_clear(aegis_collateral_provider *p)
{
    if (p && p->ops && p->ops->destroy)
        p->ops->destroy(p->ctx);
    if (p)
        memset(p, 0, sizeof(*p));
}

/* ---- cache ---- */

typedef struct cache_entry {
    uint32_t tee_type;
    uint8_t fmspc[6];
    char ca[16];
    aegis_collateral *c;
} cache_entry;

struct aegis_collateral_cache {
    pthread_mutex_t mu;
    const aegis_collateral_provider *p;
    cache_entry e[CACHE_MAX_ENTRIES];
    size_t n;
};

aegis_err aegis_collateral_cache_new(const aegis_collateral_provider *p, aegis_collateral_cache **ret)
{
    if (!p || !p->ops || !p->ops->get)
        return AEGIS_ERR_INVAL;
    aegis_collateral_cache *c = aegis_calloc(1, sizeof(*c));
    if (!c)
        return AEGIS_ERR_NOMEM;
    pthread_mutex_init(&c->mu, NULL);
    c->p = p;
    *ret = c;
    return AEGIS_OK;
}

void aegis_collateral_cache_free(aegis_collateral_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        aegis_collateral_unref(c->e[i].c);
    pthread_mutex_destroy(&c->mu);
    aegis_free(c);
}

aegis_err aegis_collateral_cache_get(aegis_collateral_cache *c, uint32_t tee_type,
                                     const uint8_t fmspc[6], const char *ca, int64_t now,
                                     aegis_collateral **ret, const char **reterr_msg)
{
    aegis_err err = AEGIS_OK;
    const char *msg = NULL;
    cache_entry *hit = NULL;

    if (!c || !fmspc || !ca || strlen(ca) >= sizeof(hit->ca) || !ret)
        return AEGIS_ERR_INVAL;
    /* One lock around the provider call: concurrent misses for a key fetch
     * once (single flight); the file provider answers from memory. */
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n && !hit; i++)
        if (c->e[i].tee_type == tee_type && memcmp(c->e[i].fmspc, fmspc, 6) == 0 &&
            strcmp(c->e[i].ca, ca) == 0)
            hit = &c->e[i];
    if (hit && now >= hit->c->valid_from && now < hit->c->valid_until) {
        *ret = aegis_collateral_ref(hit->c);
        goto out;
    }
    aegis_collateral *fresh = NULL;
    err = c->p->ops->get(c->p->ctx, tee_type, fmspc, ca, &fresh, &msg);
    if (err != AEGIS_OK) {
        if (hit && err != AEGIS_ERR_NOMEM) { /* keep the stale set; verify reports why */
            *ret = aegis_collateral_ref(hit->c);
            err = AEGIS_OK;
        }
        goto out;
    }
    if (!hit) {
        if (c->n == CACHE_MAX_ENTRIES) { /* full: drop the oldest entry */
            aegis_collateral_unref(c->e[0].c);
            memmove(&c->e[0], &c->e[1], (CACHE_MAX_ENTRIES - 1) * sizeof(c->e[0]));
            c->n--;
        }
        hit = &c->e[c->n++];
        hit->tee_type = tee_type;
        memcpy(hit->fmspc, fmspc, 6);
        strcpy(hit->ca, ca);
    } else {
        aegis_collateral_unref(hit->c);
    }
    hit->c = fresh;
    *ret = aegis_collateral_ref(fresh);
out:
    pthread_mutex_unlock(&c->mu);
    if (reterr_msg)
        *reterr_msg = msg;
    return err;
}
