/*
 * classify.c - the default classifier: sorted configuration lists searched
 * with bsearch, so the answer is a pure function of the lists and the record.
 * The risk and asset registry replaces it through struct aegis_classifier.
 */
#include <stdlib.h>
#include <string.h>

#include "aegis/mempool.h"

struct aegis_list_classifier {
    struct aegis_class_protected *prot;
    size_t n_prot;
    struct aegis_class_migration *mig;
    size_t n_mig;
    struct aegis_class_sender *risky;
    size_t n_risky;
    uint16_t default_risk, protected_risk;
};

/* Every list element starts with its 20-byte address. */
static int addr_cmp(const void *a, const void *b)
{
    return memcmp(a, b, AEGIS_MEMPOOL_ADDR_BYTES);
}

static aegis_err copy_sorted(const void *src, size_t n, size_t elem, void **ret)
{
    *ret = NULL;
    if (n == 0)
        return AEGIS_OK;
    if (!src)
        return AEGIS_ERR_INVAL;
    uint8_t *v = aegis_malloc(n * elem);
    if (!v)
        return AEGIS_ERR_NOMEM;
    memcpy(v, src, n * elem);
    qsort(v, n, elem, addr_cmp);
    for (size_t i = 1; i < n; i++)
        if (addr_cmp(v + (i - 1) * elem, v + i * elem) == 0) {
            aegis_free(v);
            return AEGIS_ERR_INVAL;
        }
    *ret = v;
    return AEGIS_OK;
}

aegis_err aegis_list_classifier_new(const struct aegis_class_lists *l, aegis_list_classifier **ret)
{
    if (!l || !ret || l->default_risk > AEGIS_RISK_SCORE_MAX || l->protected_risk > AEGIS_RISK_SCORE_MAX)
        return AEGIS_ERR_INVAL;
    for (size_t i = 0; i < l->n_protected; i++)
        if (l->protected_contracts[i].level == 0 || l->protected_contracts[i].level > AEGIS_ASSET_LEVEL_MAX)
            return AEGIS_ERR_INVAL;
    for (size_t i = 0; i < l->n_migration; i++)
        if (l->migration_contracts[i].group == 0)
            return AEGIS_ERR_INVAL;
    for (size_t i = 0; i < l->n_risky; i++)
        if (l->risky_senders[i].risk_score > AEGIS_RISK_SCORE_MAX)
            return AEGIS_ERR_INVAL;

    aegis_list_classifier *c = aegis_calloc(1, sizeof(*c));
    if (!c)
        return AEGIS_ERR_NOMEM;
    aegis_err err;
    void *p = NULL, *m = NULL, *r = NULL;
    if ((err = copy_sorted(l->protected_contracts, l->n_protected, sizeof(*c->prot), &p)) != AEGIS_OK)
        goto fail;
    c->prot = p;
    if ((err = copy_sorted(l->migration_contracts, l->n_migration, sizeof(*c->mig), &m)) != AEGIS_OK)
        goto fail;
    c->mig = m;
    if ((err = copy_sorted(l->risky_senders, l->n_risky, sizeof(*c->risky), &r)) != AEGIS_OK)
        goto fail;
    c->risky = r;
    c->n_prot = l->n_protected;
    c->n_mig = l->n_migration;
    c->n_risky = l->n_risky;
    c->default_risk = l->default_risk;
    c->protected_risk = l->protected_risk;
    *ret = c;
    return AEGIS_OK;
fail:
    aegis_list_classifier_free(c);
    return err;
}

void aegis_list_classifier_free(aegis_list_classifier *c)
{
    if (!c)
        return;
    aegis_free(c->prot);
    aegis_free(c->mig);
    aegis_free(c->risky);
    aegis_free(c);
}

static aegis_err list_classify(void *ctx, const struct aegis_mempool_tx *tx, struct aegis_tx_class *out)
{
    const aegis_list_classifier *c = ctx;
    struct aegis_tx_class cls = { .risk_score = c->default_risk };
    const struct aegis_class_sender *rs =
        c->n_risky ? bsearch(tx->sender, c->risky, c->n_risky, sizeof(*c->risky), addr_cmp) : NULL;
    if (rs)
        cls.risk_score = rs->risk_score;
    if (tx->flags & AEGIS_MEMPOOL_TX_HAS_TO) {
        const struct aegis_class_protected *p =
            c->n_prot ? bsearch(tx->to, c->prot, c->n_prot, sizeof(*c->prot), addr_cmp) : NULL;
        if (p) {
            cls.asset_level = p->level;
            if (cls.risk_score < c->protected_risk)
                cls.risk_score = c->protected_risk;
        }
        const struct aegis_class_migration *m =
            c->n_mig ? bsearch(tx->to, c->mig, c->n_mig, sizeof(*c->mig), addr_cmp) : NULL;
        if (m) {
            cls.migration = true;
            cls.migration_group = m->group;
        }
    }
    if (!cls.migration && (tx->flags & AEGIS_MEMPOOL_TX_DECLARED_MIGRATION)) {
        cls.migration = true;
        cls.migration_group = tx->declared_group;
    }
    *out = cls;
    return AEGIS_OK;
}

struct aegis_classifier aegis_list_classifier_iface(aegis_list_classifier *c)
{
    return (struct aegis_classifier){ .ctx = c, .classify = list_classify };
}
