/* serial.c - canonical binary serialization of the registry: the state blob
 * of checkpoints and the input of the registry hash. Layout in
 * docs/internals/assets.md. Restore accepts only the canonical form (sorted,
 * no duplicates, no empty roles, valid entries), so a blob and its hash are
 * in one-to-one correspondence with a registry state. */
#include <string.h>

#include "assets_int.h"

#define BLOB_MAGIC "AGAR"
#define BLOB_VERSION 1
#define BLOB_MAX (64u * 1024u * 1024u)

static aegis_err put_u8(aegis_buf *b, uint8_t v) { return aegis_buf_append(b, &v, 1); }
static aegis_err put_u16(aegis_buf *b, uint16_t v) { uint8_t x[2]; aegis_put_be16(x, v); return aegis_buf_append(b, x, 2); }
static aegis_err put_u32(aegis_buf *b, uint32_t v) { uint8_t x[4]; aegis_put_be32(x, v); return aegis_buf_append(b, x, 4); }
static aegis_err put_u64(aegis_buf *b, uint64_t v) { uint8_t x[8]; aegis_put_be64(x, v); return aegis_buf_append(b, x, 8); }
static aegis_err put_u256(aegis_buf *b, const aegis_u256 *v) { uint8_t x[32]; aegis_u256_to_be(x, v); return aegis_buf_append(b, x, 32); }
static aegis_err put_str8(aegis_buf *b, const char *s)
{
    size_t n = strlen(s);
    aegis_err e = put_u8(b, (uint8_t)n);
    return e ? e : aegis_buf_append(b, s, n);
}

#define TRY(x) do { if ((err = (x)) != AEGIS_OK) return err; } while (0)

static aegis_err put_entry(aegis_buf *b, const aegis_asset *a)
{
    aegis_err err;
    const aegis_asset_locator *l = &a->locator;
    const aegis_asset_policy *p = &a->policy;
    TRY(put_str8(b, a->id));
    TRY(put_u8(b, (uint8_t)a->type));
    TRY(put_u8(b, (uint8_t)a->state));
    TRY(put_u8(b, a->level));
    TRY(put_u16(b, a->threshold));
    TRY(put_u64(b, a->data_version));
    TRY(put_u8(b, l->onchain));
    if (l->onchain) {
        TRY(put_u64(b, l->chain_id));
        TRY(aegis_buf_append(b, l->contract, 20));
        TRY(put_u8(b, l->has_token_id));
        if (l->has_token_id)
            TRY(put_u256(b, &l->token_id));
    } else {
        size_t n = strlen(l->uri);
        TRY(put_u16(b, (uint16_t)n));
        TRY(aegis_buf_append(b, l->uri, n));
    }
    TRY(put_u32(b, p->ops));
    TRY(put_u8(b, p->witness_required));
    TRY(put_u8(b, p->has_value_limit));
    if (p->has_value_limit)
        TRY(put_u256(b, &p->value_limit));
    TRY(put_u8(b, (uint8_t)p->n_senders));
    for (size_t i = 0; i < p->n_senders; i++)
        TRY(aegis_buf_append(b, p->senders[i], 20));
    TRY(put_u8(b, (uint8_t)p->n_roles));
    for (size_t i = 0; i < p->n_roles; i++)
        TRY(put_str8(b, p->roles[i]));
    return AEGIS_OK;
}

static aegis_err serialize_into(const aegis_assets *reg, aegis_buf *b)
{
    aegis_err err;
    TRY(aegis_buf_append(b, BLOB_MAGIC, 4));
    TRY(put_u8(b, BLOB_VERSION));
    TRY(put_u32(b, (uint32_t)reg->n));
    for (size_t i = 0; i < reg->n; i++)
        TRY(put_entry(b, &reg->v[i]));
    TRY(put_u32(b, (uint32_t)reg->n_roles));
    for (size_t i = 0; i < reg->n_roles; i++) {
        TRY(put_str8(b, reg->roles[i].name));
        TRY(put_u16(b, (uint16_t)reg->roles[i].n));
        TRY(aegis_buf_append(b, reg->roles[i].m, reg->roles[i].n * 20));
    }
    TRY(put_u32(b, (uint32_t)reg->n_acc));
    for (size_t i = 0; i < reg->n_acc; i++) {
        TRY(aegis_buf_append(b, reg->acc[i].addr, 20));
        TRY(aegis_buf_append(b, reg->acc[i].pk, AEGIS_MLDSA87_PK_BYTES));
    }
    return AEGIS_OK;
}

aegis_err aegis_assets_serialize(const aegis_assets *reg, uint8_t **ret, size_t *ret_len)
{
    aegis_buf b;
    aegis_buf_init(&b, BLOB_MAX);
    aegis_err err = serialize_into(reg, &b);
    if (err == AEGIS_OK && b.len == 0)
        err = AEGIS_ERR_INTERNAL;
    if (err != AEGIS_OK) {
        aegis_buf_clear(&b);
        return err;
    }
    *ret = b.data;
    *ret_len = b.len;
    return AEGIS_OK;
}

aegis_err aegis_assets_hash(const aegis_assets *reg, uint8_t out[static 32])
{
    uint8_t *blob;
    size_t n;
    aegis_err err = aegis_assets_serialize(reg, &blob, &n);
    if (err != AEGIS_OK)
        return err;
    aegis_keccak256(out, blob, n);
    aegis_free(blob);
    return AEGIS_OK;
}

/* ---------------- restore ---------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, off;
} rd;

static bool take(rd *r, void *out, size_t n)
{
    if (r->n - r->off < n)
        return false;
    if (out)
        memcpy(out, r->p + r->off, n);
    r->off += n;
    return true;
}
static bool get_u8(rd *r, uint8_t *v) { return take(r, v, 1); }
static bool get_u16(rd *r, uint16_t *v) { uint8_t x[2]; if (!take(r, x, 2)) return false; *v = aegis_get_be16(x); return true; }
static bool get_u32(rd *r, uint32_t *v) { uint8_t x[4]; if (!take(r, x, 4)) return false; *v = aegis_get_be32(x); return true; }
static bool get_u64(rd *r, uint64_t *v) { uint8_t x[8]; if (!take(r, x, 8)) return false; *v = aegis_get_be64(x); return true; }
static bool get_u256(rd *r, aegis_u256 *v) { uint8_t x[32]; if (!take(r, x, 32)) return false; aegis_u256_from_be(v, x, 32); return true; }
static bool get_bool(rd *r, bool *v) { uint8_t x; if (!get_u8(r, &x) || x > 1) return false; *v = x; return true; }
static bool get_str8(rd *r, char *out, size_t max)
{
    uint8_t n;
    if (!get_u8(r, &n) || n > max || !take(r, out, n))
        return false;
    out[n] = 0;
    return memchr(out, 0, n) == NULL;
}

static bool get_entry(rd *r, aegis_asset *a)
{
    uint8_t t, s;
    memset(a, 0, sizeof(*a));
    aegis_asset_locator *l = &a->locator;
    aegis_asset_policy *p = &a->policy;
    if (!get_str8(r, a->id, AEGIS_ASSET_ID_MAX) || !get_u8(r, &t) || !get_u8(r, &s) ||
        !get_u8(r, &a->level) || !get_u16(r, &a->threshold) || !get_u64(r, &a->data_version) ||
        !get_bool(r, &l->onchain))
        return false;
    a->type = (aegis_asset_type)t;
    a->state = (aegis_asset_state)s;
    if (l->onchain) {
        if (!get_u64(r, &l->chain_id) || !take(r, l->contract, 20) || !get_bool(r, &l->has_token_id))
            return false;
        if (l->has_token_id && !get_u256(r, &l->token_id))
            return false;
    } else {
        uint16_t n;
        if (!get_u16(r, &n) || n > AEGIS_ASSET_URI_MAX || !take(r, l->uri, n))
            return false;
        l->uri[n] = 0;
        if (memchr(l->uri, 0, n))
            return false;
    }
    uint8_t ns, nr;
    if (!get_u32(r, &p->ops) || !get_bool(r, &p->witness_required) || !get_bool(r, &p->has_value_limit))
        return false;
    if (p->has_value_limit && !get_u256(r, &p->value_limit))
        return false;
    if (!get_u8(r, &ns) || ns > AEGIS_ASSET_MAX_SENDERS)
        return false;
    p->n_senders = ns;
    for (size_t i = 0; i < ns; i++)
        if (!take(r, p->senders[i], 20))
            return false;
    if (!get_u8(r, &nr) || nr > AEGIS_ASSET_MAX_ROLES)
        return false;
    p->n_roles = nr;
    for (size_t i = 0; i < nr; i++)
        if (!get_str8(r, p->roles[i], AEGIS_ASSET_ROLE_MAX))
            return false;
    return aegis_asset_validate(a) == AEGIS_OK;
}

static aegis_err restore_into(aegis_assets *tmp, rd *r)
{
    uint8_t magic[4], ver;
    uint32_t n;
    aegis_asset *a = aegis_malloc(sizeof(*a));
    aegis_err err = AEGIS_ERR_ASSET_BAD_STATE_BLOB;
    if (!a)
        return AEGIS_ERR_NOMEM;
    if (!take(r, magic, 4) || memcmp(magic, BLOB_MAGIC, 4) != 0 || !get_u8(r, &ver) || ver != BLOB_VERSION)
        goto out;
    if (!get_u32(r, &n) || n > AEGIS_ASSETS_MAX_ENTRIES)
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        if (!get_entry(r, a))
            goto out;
        if (tmp->n && strcmp(tmp->v[tmp->n - 1].id, a->id) >= 0)
            goto out;
        if ((err = aegis_assets_add(tmp, a)) != AEGIS_OK)
            goto out_map;
        err = AEGIS_ERR_ASSET_BAD_STATE_BLOB;
    }
    if (!get_u32(r, &n) || n > AEGIS_ASSETS_MAX_ROLES)
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        char name[AEGIS_ASSET_ROLE_MAX + 1];
        uint16_t m;
        if (!get_str8(r, name, AEGIS_ASSET_ROLE_MAX) || !get_u16(r, &m) || m == 0 || m > AEGIS_ASSETS_MAX_MEMBERS)
            goto out;
        if (tmp->n_roles && strcmp(tmp->roles[tmp->n_roles - 1].name, name) >= 0)
            goto out;
        for (uint16_t j = 0; j < m; j++) {
            uint8_t addr[20];
            if (!take(r, addr, 20))
                goto out;
            if (j > 0 && memcmp(tmp->roles[tmp->n_roles - 1].m[j - 1], addr, 20) >= 0)
                goto out;
            if ((err = aegis_assets_role_grant(tmp, name, addr)) != AEGIS_OK)
                goto out_map;
            err = AEGIS_ERR_ASSET_BAD_STATE_BLOB;
        }
    }
    if (!get_u32(r, &n) || n > AEGIS_ASSETS_MAX_ACCOUNTS)
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t addr[20];
        const uint8_t *pk = r->p + r->off + 20;
        if (!take(r, addr, 20) || !take(r, NULL, AEGIS_MLDSA87_PK_BYTES))
            goto out;
        if (tmp->n_acc && memcmp(tmp->acc[tmp->n_acc - 1].addr, addr, 20) >= 0)
            goto out;
        if ((err = aegis_assets_pqc_register(tmp, addr, pk, false)) != AEGIS_OK)
            goto out_map;
        err = AEGIS_ERR_ASSET_BAD_STATE_BLOB;
    }
    err = r->off == r->n ? AEGIS_OK : AEGIS_ERR_ASSET_BAD_STATE_BLOB;
    goto out;
out_map:
    /* a validation error inside the blob is a bad blob; NOMEM stays NOMEM */
    if (err != AEGIS_ERR_NOMEM)
        err = AEGIS_ERR_ASSET_BAD_STATE_BLOB;
out:
    aegis_free(a);
    return err;
}

aegis_err aegis_assets_restore(aegis_assets *reg, const uint8_t *blob, size_t len)
{
    if (!blob || len > BLOB_MAX)
        return AEGIS_ERR_ASSET_BAD_STATE_BLOB;
    aegis_assets_config cfg = { 0 };
    aegis_assets *tmp;
    aegis_err err = aegis_assets_new(&cfg, &tmp);
    if (err != AEGIS_OK)
        return err;
    rd r = { blob, len, 0 };
    err = restore_into(tmp, &r);
    if (err == AEGIS_OK)
        aegis__assets_take(reg, tmp);
    aegis_assets_free(tmp);
    return err;
}
