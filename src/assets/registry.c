/* registry.c - asset entries, roles and PQC account keys, kept in sorted
 * arrays so iteration order (and the canonical serialization) never depends
 * on insertion order. */
#include <string.h>

#include "assets_int.h"

static const char *const type_names[AEGIS_ASSET_TYPE_COUNT] = {
    "token", "nft", "contract_data", "database", "file", "data_stream", "bridge",
};
static const char *const state_names[AEGIS_ASSET_STATE_COUNT] = {
    "active", "protected", "migrating", "migrated", "frozen",
};
static const char *const op_names[] = { "transfer", "approve", "call", "migrate", "read", "write" };

/* allowed[from] = bit mask of destination states */
#define S(x) (1u << AEGIS_ASSET_##x)
static const unsigned transitions[AEGIS_ASSET_STATE_COUNT] = {
    [AEGIS_ASSET_ACTIVE] = S(PROTECTED) | S(MIGRATING) | S(FROZEN),
    [AEGIS_ASSET_PROTECTED] = S(ACTIVE) | S(MIGRATING) | S(FROZEN),
    [AEGIS_ASSET_MIGRATING] = S(MIGRATED) | S(PROTECTED) | S(ACTIVE) | S(FROZEN),
    [AEGIS_ASSET_MIGRATED] = S(FROZEN),
    [AEGIS_ASSET_FROZEN] = S(ACTIVE) | S(PROTECTED) | S(MIGRATING),
};
#undef S

const char *aegis_asset_type_name(aegis_asset_type t)
{
    return (unsigned)t < AEGIS_ASSET_TYPE_COUNT ? type_names[t] : "?";
}

const char *aegis_asset_state_name(aegis_asset_state s)
{
    return (unsigned)s < AEGIS_ASSET_STATE_COUNT ? state_names[s] : "?";
}

const char *aegis_asset_op_name(uint32_t op_bit)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(op_names); i++)
        if (op_bit == (1u << i))
            return op_names[i];
    return "?";
}

aegis_err aegis_asset_type_parse(const char *s, aegis_asset_type *ret)
{
    for (int i = 0; s && i < AEGIS_ASSET_TYPE_COUNT; i++)
        if (strcmp(s, type_names[i]) == 0) {
            *ret = (aegis_asset_type)i;
            return AEGIS_OK;
        }
    return AEGIS_ERR_ASSET_BAD_FIELD;
}

aegis_err aegis_asset_state_parse(const char *s, aegis_asset_state *ret)
{
    for (int i = 0; s && i < AEGIS_ASSET_STATE_COUNT; i++)
        if (strcmp(s, state_names[i]) == 0) {
            *ret = (aegis_asset_state)i;
            return AEGIS_OK;
        }
    return AEGIS_ERR_ASSET_BAD_FIELD;
}

aegis_err aegis_asset_op_parse(const char *s, uint32_t *ret_bit)
{
    for (size_t i = 0; s && i < AEGIS_ARRAY_LEN(op_names); i++)
        if (strcmp(s, op_names[i]) == 0) {
            *ret_bit = 1u << i;
            return AEGIS_OK;
        }
    return AEGIS_ERR_ASSET_BAD_FIELD;
}

bool aegis__name_is_valid(const char *s, size_t max)
{
    size_t n = 0;
    if (!s)
        return false;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= max || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return n > 0;
}

bool aegis_asset_id_is_valid(const char *id)
{
    return aegis__name_is_valid(id, AEGIS_ASSET_ID_MAX);
}

bool aegis_asset_transition_is_allowed(aegis_asset_state from, aegis_asset_state to)
{
    if ((unsigned)from >= AEGIS_ASSET_STATE_COUNT || (unsigned)to >= AEGIS_ASSET_STATE_COUNT)
        return false;
    return (transitions[from] >> to) & 1u;
}

static bool type_is_onchain(aegis_asset_type t)
{
    return t == AEGIS_ASSET_TOKEN || t == AEGIS_ASSET_NFT || t == AEGIS_ASSET_CONTRACT_DATA ||
           t == AEGIS_ASSET_BRIDGE;
}

static aegis_err policy_validate(const aegis_asset_policy *p)
{
    if (p->n_senders > AEGIS_ASSET_MAX_SENDERS || p->n_roles > AEGIS_ASSET_MAX_ROLES ||
        (p->ops & ~AEGIS_ASSET_OP_ALL))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    /* senders strictly increasing: one canonical form per set */
    for (size_t i = 1; i < p->n_senders; i++)
        if (memcmp(p->senders[i - 1], p->senders[i], 20) >= 0)
            return AEGIS_ERR_ASSET_BAD_FIELD;
    for (size_t i = 0; i < p->n_roles; i++) {
        if (!aegis__name_is_valid(p->roles[i], AEGIS_ASSET_ROLE_MAX))
            return AEGIS_ERR_ASSET_BAD_FIELD;
        if (i > 0 && strcmp(p->roles[i - 1], p->roles[i]) >= 0)
            return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    if (!p->has_value_limit && !aegis_u256_is_zero(&p->value_limit))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    return AEGIS_OK;
}

aegis_err aegis_asset_validate(const aegis_asset *a)
{
    if (!aegis_asset_id_is_valid(a->id))
        return AEGIS_ERR_ASSET_BAD_ID;
    if ((unsigned)a->type >= AEGIS_ASSET_TYPE_COUNT || (unsigned)a->state >= AEGIS_ASSET_STATE_COUNT ||
        a->level > AEGIS_ASSET_LEVEL_MAX || a->threshold > AEGIS_ASSET_THRESHOLD_MAX)
        return AEGIS_ERR_ASSET_BAD_FIELD;
    const aegis_asset_locator *l = &a->locator;
    if (l->onchain != type_is_onchain(a->type))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    if (l->onchain) {
        if (l->uri[0] || (!l->has_token_id && !aegis_u256_is_zero(&l->token_id)))
            return AEGIS_ERR_ASSET_BAD_FIELD;
    } else {
        size_t n = strnlen(l->uri, sizeof(l->uri));
        if (n == 0 || n > AEGIS_ASSET_URI_MAX || l->chain_id || l->has_token_id ||
            !aegis_u256_is_zero(&l->token_id))
            return AEGIS_ERR_ASSET_BAD_FIELD;
        static const uint8_t zero[20];
        if (memcmp(l->contract, zero, 20) != 0)
            return AEGIS_ERR_ASSET_BAD_FIELD;
        for (size_t i = 0; i < n; i++)
            if (l->uri[i] <= 0x20 || l->uri[i] >= 0x7f)
                return AEGIS_ERR_ASSET_BAD_FIELD;
    }
    return policy_validate(&a->policy);
}

void aegis_asset_init(aegis_asset *a)
{
    memset(a, 0, sizeof(*a));
    a->type = AEGIS_ASSET_TOKEN;
    a->locator.onchain = true;
    a->locator.chain_id = 1;
    a->level = 1;
    a->threshold = AEGIS_ASSET_THRESHOLD_MAX;
    a->policy.ops = AEGIS_ASSET_OP_ALL;
    a->state = AEGIS_ASSET_ACTIVE;
}

uint64_t aegis_asset_group_id(const char *id)
{
    uint8_t h[32];
    aegis_keccak256(h, id, strlen(id));
    uint64_t g = aegis_get_be64(h);
    return g ? g : 1;
}

/* ---------------- lifecycle ---------------- */

aegis_err aegis_assets_new(const aegis_assets_config *cfg, aegis_assets **ret)
{
    if (!cfg || !ret || (cfg->n_migration_contracts && !cfg->migration_contracts) ||
        cfg->n_migration_contracts > 1024)
        return AEGIS_ERR_INVAL;
    aegis_assets *r = aegis_calloc(1, sizeof(*r));
    if (!r)
        return AEGIS_ERR_NOMEM;
    r->enable_asset_protection = cfg->enable_asset_protection;
    r->enable_migration = cfg->enable_migration;
    if (cfg->n_migration_contracts) {
        r->mig = aegis_malloc(cfg->n_migration_contracts * 20);
        if (!r->mig) {
            aegis_free(r);
            return AEGIS_ERR_NOMEM;
        }
        memcpy(r->mig, cfg->migration_contracts, cfg->n_migration_contracts * 20);
        r->n_mig = cfg->n_migration_contracts;
    }
    *ret = r;
    return AEGIS_OK;
}

void aegis__assets_clear_contents(aegis_assets *reg)
{
    for (size_t i = 0; i < reg->n_roles; i++)
        aegis_free(reg->roles[i].m);
    aegis_free(reg->v);
    aegis_free(reg->roles);
    aegis_free(reg->acc);
    reg->v = NULL;
    reg->roles = NULL;
    reg->acc = NULL;
    reg->n = reg->cap = reg->n_roles = reg->cap_roles = reg->n_acc = reg->cap_acc = 0;
}

void aegis__assets_take(aegis_assets *dst, aegis_assets *src)
{
    aegis__assets_clear_contents(dst);
    dst->v = src->v; dst->n = src->n; dst->cap = src->cap;
    dst->roles = src->roles; dst->n_roles = src->n_roles; dst->cap_roles = src->cap_roles;
    dst->acc = src->acc; dst->n_acc = src->n_acc; dst->cap_acc = src->cap_acc;
    src->v = NULL; src->roles = NULL; src->acc = NULL;
    src->n = src->cap = src->n_roles = src->cap_roles = src->n_acc = src->cap_acc = 0;
}

void aegis_assets_free(aegis_assets *reg)
{
    if (!reg)
        return;
    aegis__assets_clear_contents(reg);
    aegis_free(reg->mig);
    aegis_free(reg);
}

/* Grow an array of elements of size sz to hold one more. */
static aegis_err grow(void **v, size_t *cap, size_t n, size_t sz, size_t max)
{
    if (n >= max)
        return AEGIS_ERR_ASSET_REGISTRY_FULL;
    if (n < *cap)
        return AEGIS_OK;
    size_t nc = *cap ? *cap * 2 : 8;
    if (nc > max)
        nc = max;
    void *p = aegis_realloc(*v, nc * sz);
    if (!p)
        return AEGIS_ERR_NOMEM;
    *v = p;
    *cap = nc;
    return AEGIS_OK;
}

/* Binary search; returns the index of the key or where it would go. */
/* The one sorted-array search of the registry (entries by id, roles by
 * name, members and PQC accounts by address): the position of key, or where
 * it would be inserted. cmp compares an element with the key. */
static size_t lower_bound(const void *base, size_t n, size_t size, const void *key,
                          int (*cmp)(const void *elem, const void *key), bool *found)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp((const char *)base + mid * size, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int cmp_asset_id(const void *e, const void *key) { return strcmp(((const aegis_asset *)e)->id, key); }
static int cmp_role_name(const void *e, const void *key) { return strcmp(((const struct aegis__role *)e)->name, key); }
static int cmp_addr(const void *e, const void *key) { return memcmp(e, key, 20); }
static int cmp_account(const void *e, const void *key) { return memcmp(((const struct aegis__account *)e)->addr, key, 20); }

static size_t find_id(const aegis_assets *reg, const char *id, bool *found)
{
    return lower_bound(reg->v, reg->n, sizeof(reg->v[0]), id, cmp_asset_id, found);
}

aegis_asset *aegis__assets_find(const aegis_assets *reg, const char *id)
{
    bool f;
    size_t i = find_id(reg, id, &f);
    return f ? &reg->v[i] : NULL;
}

/* ---------------- entries ---------------- */

/* Zero the bytes after each string's NUL so stored entries compare equal
 * byte for byte whatever the caller left in its buffers. */
static void zero_tail(char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    memset(s + n, 0, cap - n);
}

static void normalise(aegis_asset *e)
{
    zero_tail(e->id, sizeof(e->id));
    zero_tail(e->locator.uri, sizeof(e->locator.uri));
    for (size_t i = 0; i < AEGIS_ASSET_MAX_ROLES; i++) {
        if (i < e->policy.n_roles)
            zero_tail(e->policy.roles[i], sizeof(e->policy.roles[i]));
        else
            memset(e->policy.roles[i], 0, sizeof(e->policy.roles[i]));
    }
    for (size_t i = e->policy.n_senders; i < AEGIS_ASSET_MAX_SENDERS; i++)
        memset(e->policy.senders[i], 0, 20);
}

aegis_err aegis_assets_add(aegis_assets *reg, const aegis_asset *a)
{
    aegis_err err = aegis_asset_validate(a);
    if (err != AEGIS_OK)
        return err;
    bool f;
    size_t i = find_id(reg, a->id, &f);
    if (f)
        return AEGIS_ERR_ASSET_EXISTS;
    if ((err = grow((void **)&reg->v, &reg->cap, reg->n, sizeof(*reg->v), AEGIS_ASSETS_MAX_ENTRIES)) != AEGIS_OK)
        return err;
    memmove(&reg->v[i + 1], &reg->v[i], (reg->n - i) * sizeof(*reg->v));
    reg->v[i] = *a;
    normalise(&reg->v[i]);
    reg->n++;
    return AEGIS_OK;
}

aegis_err aegis_assets_remove(aegis_assets *reg, const char *id)
{
    bool f;
    size_t i = find_id(reg, id ? id : "", &f);
    if (!f)
        return AEGIS_ERR_ASSET_NOT_FOUND;
    memmove(&reg->v[i], &reg->v[i + 1], (reg->n - i - 1) * sizeof(*reg->v));
    reg->n--;
    return AEGIS_OK;
}

aegis_err aegis_assets_update_policy(aegis_assets *reg, const char *id, const aegis_asset_policy *p,
                                     int level, int threshold)
{
    aegis_asset *e = aegis__assets_find(reg, id ? id : "");
    if (!e)
        return AEGIS_ERR_ASSET_NOT_FOUND;
    aegis_asset tmp = *e;
    if (p)
        tmp.policy = *p;
    if (level >= 0)
        tmp.level = level > 255 ? 255 : (uint8_t)level;
    if (threshold >= 0)
        tmp.threshold = threshold > 65535 ? 65535 : (uint16_t)threshold;
    aegis_err err = aegis_asset_validate(&tmp);
    if (err != AEGIS_OK)
        return err;
    normalise(&tmp);
    *e = tmp;
    return AEGIS_OK;
}

aegis_err aegis_assets_set_state(aegis_assets *reg, const char *id, aegis_asset_state to)
{
    aegis_asset *e = aegis__assets_find(reg, id ? id : "");
    if (!e)
        return AEGIS_ERR_ASSET_NOT_FOUND;
    if (!aegis_asset_transition_is_allowed(e->state, to))
        return AEGIS_ERR_ASSET_BAD_TRANSITION;
    e->state = to;
    return AEGIS_OK;
}

aegis_err aegis_assets_get(const aegis_assets *reg, const char *id, aegis_asset *ret)
{
    const aegis_asset *e = aegis__assets_find(reg, id ? id : "");
    if (!e)
        return AEGIS_ERR_ASSET_NOT_FOUND;
    *ret = *e;
    return AEGIS_OK;
}

size_t aegis_assets_count(const aegis_assets *reg)
{
    return reg->n;
}

aegis_err aegis_assets_at(const aegis_assets *reg, size_t i, aegis_asset *ret)
{
    if (i >= reg->n)
        return AEGIS_ERR_NOT_FOUND;
    *ret = reg->v[i];
    return AEGIS_OK;
}

/* ---------------- roles ---------------- */

static struct aegis__role *role_find(const aegis_assets *reg, const char *name, size_t *pos)
{
    bool found;
    *pos = lower_bound(reg->roles, reg->n_roles, sizeof(reg->roles[0]), name, cmp_role_name, &found);
    return found ? &reg->roles[*pos] : NULL;
}

static size_t member_pos(const struct aegis__role *r, const uint8_t addr[20], bool *found)
{
    return lower_bound(r->m, r->n, sizeof(r->m[0]), addr, cmp_addr, found);
}

aegis_err aegis_assets_role_grant(aegis_assets *reg, const char *role, const uint8_t addr[static 20])
{
    if (!aegis__name_is_valid(role, AEGIS_ASSET_ROLE_MAX))
        return AEGIS_ERR_ASSET_BAD_FIELD;
    size_t pos;
    struct aegis__role *r = role_find(reg, role, &pos);
    aegis_err err;
    if (!r) {
        err = grow((void **)&reg->roles, &reg->cap_roles, reg->n_roles, sizeof(*reg->roles), AEGIS_ASSETS_MAX_ROLES);
        if (err != AEGIS_OK)
            return err;
        memmove(&reg->roles[pos + 1], &reg->roles[pos], (reg->n_roles - pos) * sizeof(*reg->roles));
        r = &reg->roles[pos];
        memset(r, 0, sizeof(*r));
        strcpy(r->name, role);
        reg->n_roles++;
    }
    bool f;
    size_t i = member_pos(r, addr, &f);
    if (f)
        return AEGIS_OK;
    if ((err = grow((void **)&r->m, &r->cap, r->n, 20, AEGIS_ASSETS_MAX_MEMBERS)) != AEGIS_OK) {
        if (r->n == 0) {   /* do not leave an empty role behind */
            aegis_free(r->m);
            memmove(r, r + 1, (reg->n_roles - pos - 1) * sizeof(*reg->roles));
            reg->n_roles--;
        }
        return err;
    }
    memmove(&r->m[i + 1], &r->m[i], (r->n - i) * 20);
    memcpy(r->m[i], addr, 20);
    r->n++;
    return AEGIS_OK;
}

aegis_err aegis_assets_role_revoke(aegis_assets *reg, const char *role, const uint8_t addr[static 20])
{
    size_t pos;
    struct aegis__role *r = role ? role_find(reg, role, &pos) : NULL;
    if (!r)
        return AEGIS_ERR_NOT_FOUND;
    bool f;
    size_t i = member_pos(r, addr, &f);
    if (!f)
        return AEGIS_ERR_NOT_FOUND;
    memmove(&r->m[i], &r->m[i + 1], (r->n - i - 1) * 20);
    r->n--;
    if (r->n == 0) {   /* empty roles do not exist: keeps the serialization canonical */
        aegis_free(r->m);
        memmove(r, r + 1, (reg->n_roles - pos - 1) * sizeof(*reg->roles));
        reg->n_roles--;
    }
    return AEGIS_OK;
}

bool aegis_assets_role_has(const aegis_assets *reg, const char *role, const uint8_t addr[static 20])
{
    size_t pos;
    const struct aegis__role *r = role ? role_find(reg, role, &pos) : NULL;
    bool f = false;
    if (r)
        (void)member_pos(r, addr, &f);
    return f;
}

bool aegis__policy_allows_sender(const aegis_assets *reg, const aegis_asset_policy *p, const uint8_t addr[20])
{
    if (p->n_senders == 0 && p->n_roles == 0)
        return true;
    for (size_t i = 0; i < p->n_senders; i++)
        if (memcmp(p->senders[i], addr, 20) == 0)
            return true;
    for (size_t i = 0; i < p->n_roles; i++)
        if (aegis_assets_role_has(reg, p->roles[i], addr))
            return true;
    return false;
}

bool aegis__is_migration_contract(const aegis_assets *reg, const uint8_t addr[20])
{
    for (size_t i = 0; i < reg->n_mig; i++)
        if (memcmp(reg->mig[i], addr, 20) == 0)
            return true;
    return false;
}

/* ---------------- PQC accounts ---------------- */

static size_t acc_pos(const aegis_assets *reg, const uint8_t addr[20], bool *found)
{
    return lower_bound(reg->acc, reg->n_acc, sizeof(reg->acc[0]), addr, cmp_account, found);
}

aegis_err aegis_assets_pqc_register(aegis_assets *reg, const uint8_t addr[static 20],
                                    const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES], bool replace)
{
    bool f;
    size_t i = acc_pos(reg, addr, &f);
    if (f) {
        if (memcmp(reg->acc[i].pk, pk, AEGIS_MLDSA87_PK_BYTES) == 0)
            return AEGIS_OK;
        if (!replace)
            return AEGIS_ERR_ASSET_PQC_KEY_EXISTS;
        memcpy(reg->acc[i].pk, pk, AEGIS_MLDSA87_PK_BYTES);
        return AEGIS_OK;
    }
    aegis_err err = grow((void **)&reg->acc, &reg->cap_acc, reg->n_acc, sizeof(*reg->acc), AEGIS_ASSETS_MAX_ACCOUNTS);
    if (err != AEGIS_OK)
        return err;
    memmove(&reg->acc[i + 1], &reg->acc[i], (reg->n_acc - i) * sizeof(*reg->acc));
    memcpy(reg->acc[i].addr, addr, 20);
    memcpy(reg->acc[i].pk, pk, AEGIS_MLDSA87_PK_BYTES);
    reg->n_acc++;
    return AEGIS_OK;
}

aegis_err aegis_assets_pqc_unregister(aegis_assets *reg, const uint8_t addr[static 20])
{
    bool f;
    size_t i = acc_pos(reg, addr, &f);
    if (!f)
        return AEGIS_ERR_NOT_FOUND;
    memmove(&reg->acc[i], &reg->acc[i + 1], (reg->n_acc - i - 1) * sizeof(*reg->acc));
    reg->n_acc--;
    return AEGIS_OK;
}

const uint8_t *aegis_assets_pqc_key(const aegis_assets *reg, const uint8_t addr[static 20])
{
    bool f;
    size_t i = acc_pos(reg, addr, &f);
    return f ? reg->acc[i].pk : NULL;
}

aegis_err aegis_assets_pqc_register_tx(aegis_assets *reg, const aegis_tx *tx)
{
    if (!tx->ext.present || !tx->ext.witness_pk)
        return AEGIS_ERR_TX_WITNESS_MISSING;
    /* Trust on first use: the witness proves possession of the new key for
     * this ECDSA-signed tx. A key already registered can only be replaced by
     * an admin request. */
    aegis_err err = aegis_tx_verify_witness(tx, NULL);
    if (err != AEGIS_OK)
        return err;
    return aegis_assets_pqc_register(reg, tx->sender, tx->ext.witness_pk, false);
}
