/* core_migrate.c - per-asset migration state, driven by included migration
 * transactions (calls to [assets] migration_contracts or a declared
 * migration intent; the mempool classifies them and the migration strategy
 * groups them).
 *
 * A migration is keyed by the asset its transactions migrate: the registry
 * entry whose group id (aegis_asset_group_id) is the transactions' migration
 * group, else "group:<hex>". State machine (src/migrate/migration.c):
 * the first included tx declares it and starts it (pending -> in_progress),
 * later ones count; once the registry marks the asset "migrated" (admin) it
 * completes. Checkpoints carry the set (its hash and its state) and a
 * rollback restores it. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core_int.h"

static void asset_name_of(const aegis_core *core, uint64_t group, char out[65], aegis_asset_state *state)
{
    aegis_asset a;
    *state = AEGIS_ASSET_ACTIVE;
    for (size_t i = 0; i < aegis_assets_count(core->reg); i++) {
        if (aegis_assets_at(core->reg, i, &a) == AEGIS_OK && aegis_asset_group_id(a.id) == group) {
            snprintf(out, 65, "%s", a.id);
            *state = a.state;
            return;
        }
    }
    for (size_t i = 0; i < core->n_migration_contracts; i++) {
        char name[64] = "contract:0x";
        aegis_hex_encode(name + strlen(name), core->migration_contracts[i], 20);
        if (aegis_asset_group_id(name) == group) {
            snprintf(out, 65, "%s", name);
            return;
        }
    }
    snprintf(out, 65, "group:%016llx", (unsigned long long)group);
}

static struct aegis_migration *find_or_add(aegis_core *core, const char *id)
{
    for (size_t i = 0; i < core->n_migs; i++)
        if (strcmp(core->migs[i].asset_id, id) == 0)
            return &core->migs[i];
    struct aegis_migration *n = aegis_realloc(core->migs, (core->n_migs + 1) * sizeof(*n));
    if (!n)
        return NULL;
    core->migs = n;
    memset(&n[core->n_migs], 0, sizeof(n[0]));
    snprintf(n[core->n_migs].asset_id, sizeof(n[0].asset_id), "%s", id);
    return &n[core->n_migs++];
}

/* A batch with these migration groups (0: not a migration tx) was
 * committed. Caller holds core->lock. */
void aegis__core_migrations_commit(aegis_core *core, const uint64_t *groups, size_t n, uint64_t batch)
{
    for (size_t i = 0; i < n; i++) {
        if (!groups[i])
            continue;
        char id[65];
        aegis_asset_state st;
        asset_name_of(core, groups[i], id, &st);
        struct aegis_migration *m = find_or_add(core, id);
        if (!m)
            continue;   /* out of memory: the count of this one is lost, never the batch */
        if (m->state == AEGIS_MIG_NONE || m->state == AEGIS_MIG_FAILED || m->state == AEGIS_MIG_ROLLED_BACK)
            (void)(aegis_migration_apply(m, m->state == AEGIS_MIG_NONE ? AEGIS_MIG_EV_DECLARE : AEGIS_MIG_EV_RETRY,
                                         batch) == AEGIS_OK);
        (void)(aegis_migration_apply(m, AEGIS_MIG_EV_TX, batch) == AEGIS_OK);
        core->migs_version++;
    }
    /* completion: the registry says the asset is migrated */
    for (size_t i = 0; i < core->n_migs; i++) {
        aegis_asset a;
        struct aegis_migration *m = &core->migs[i];
        if (m->state == AEGIS_MIG_IN_PROGRESS && aegis_assets_get(core->reg, m->asset_id, &a) == AEGIS_OK &&
            a.state == AEGIS_ASSET_MIGRATED && aegis_migration_apply(m, AEGIS_MIG_EV_FINISH, batch) == AEGIS_OK)
            core->migs_version++;
    }
}

json_t *aegis__core_migrations_json(const aegis_core *core)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < core->n_migs; i++) {
        const struct aegis_migration *m = &core->migs[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:I}", "asset", m->asset_id,
                                             "state", aegis_migration_state_name(m->state),
                                             "tx_count", (json_int_t)m->tx_count,
                                             "started_batch", (json_int_t)m->started_batch,
                                             "updated_batch", (json_int_t)m->updated_batch));
    }
    return arr;
}

/* Replace the set from its JSON form (restart, rollback). Caller holds core->lock. */
aegis_err aegis__core_migrations_restore(aegis_core *core, const json_t *arr)
{
    if (!json_is_array(arr))
        return AEGIS_ERR_CHAIN_FORMAT;
    size_t n = json_array_size(arr);
    struct aegis_migration *v = n ? aegis_calloc(n, sizeof(*v)) : NULL;
    if (n && !v)
        return AEGIS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(e, "asset"));
        const char *st = json_string_value(json_object_get(e, "state"));
        uint8_t s = 0;
        while (st && s <= AEGIS_MIG_ROLLED_BACK && strcmp(aegis_migration_state_name(s), st) != 0)
            s++;
        if (!id || strlen(id) >= sizeof(v[i].asset_id) || !st || s > AEGIS_MIG_ROLLED_BACK ||
            !aegis_json_uint(json_object_get(e, "tx_count"), UINT64_MAX, &v[i].tx_count) ||
            !aegis_json_uint(json_object_get(e, "started_batch"), UINT64_MAX, &v[i].started_batch) ||
            !aegis_json_uint(json_object_get(e, "updated_batch"), UINT64_MAX, &v[i].updated_batch)) {
            aegis_free(v);
            return AEGIS_ERR_CHAIN_FORMAT;
        }
        snprintf(v[i].asset_id, sizeof(v[i].asset_id), "%s", id);
        v[i].state = s;
    }
    aegis_free(core->migs);
    core->migs = v;
    core->n_migs = n;
    core->migs_version++;
    return AEGIS_OK;
}

aegis_err aegis_core_migration_state(aegis_core *core, uint64_t *ret_version, char **ret_json)
{
    pthread_mutex_lock(&core->lock);
    json_t *j = aegis__core_migrations_json(core);
    *ret_version = core->migs_version;
    pthread_mutex_unlock(&core->lock);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    *ret_json = s ? aegis_strdup(s) : NULL;
    free(s);
    return *ret_json ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

aegis_err aegis_core_restore_migrations(aegis_core *core, const char *json, size_t len)
{
    json_t *j = json_loadb(json, len, 0, NULL);
    pthread_mutex_lock(&core->lock);
    aegis_err err = aegis__core_migrations_restore(core, j);
    pthread_mutex_unlock(&core->lock);
    json_decref(j);
    return err;
}
