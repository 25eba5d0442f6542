/* test_mempool.c - admission rules: limits, duplicates, replay, replacement,
 * expiry, eviction protection, classification, nonce order in selection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/crypto.h"
#include "aegis/mempool.h"

/* A record: sender s, nonce, fee (both fee fields) and envelope id e. The
 * hashes derive from all four plus a salt, so they are distinct. */
static struct aegis_mempool_tx mk(unsigned s, uint64_t nonce, uint64_t fee, uint64_t e, uint8_t salt)
{
    static const uint8_t raw[4] = { 0xde, 0xad, 0xbe, 0xef };
    struct aegis_mempool_tx t;
    memset(&t, 0, sizeof(t));
    t.sender[0] = 0xaa;
    aegis_put_be32(t.sender + 16, s);
    t.nonce = nonce;
    aegis_put_be64(t.max_fee + 24, fee);
    aegis_put_be64(t.priority_fee + 24, fee);
    t.envelope_id = e;
    t.gas_limit = 21000;
    uint8_t seed[8 + 8 + 8 + 8 + 1];
    aegis_put_be64(seed, s);
    aegis_put_be64(seed + 8, nonce);
    aegis_put_be64(seed + 16, fee);
    aegis_put_be64(seed + 24, e);
    seed[32] = salt;
    aegis_keccak256(t.tx_hash, seed, sizeof(seed));
    seed[32] ^= 0x80;
    aegis_keccak256(t.envelope_hash, seed, sizeof(seed));
    t.raw = raw;
    t.raw_len = sizeof(raw);
    return t;
}

static aegis_mempool *pool(size_t cap, size_t per_sender)
{
    struct aegis_mempool_config cfg;
    aegis_mempool_config_defaults(&cfg);
    cfg.capacity = cap;
    cfg.per_sender = per_sender;
    cfg.expiry_ms = 1000;
    aegis_mempool *mp = NULL;
    assert_int_equal(aegis_mempool_new(&cfg, &mp), AEGIS_OK);
    return mp;
}

static aegis_err add(aegis_mempool *mp, struct aegis_mempool_tx t, struct aegis_mempool_admit *a)
{
    struct aegis_mempool_admit local;
    aegis_err err = aegis_mempool_add(mp, &t, 100, a ? a : &local);
    if (!a && err == AEGIS_OK)
        aegis_mempool_tx_free(local.dropped);
    return err;
}

static void test_limits(void **state)
{
    (void)state;
    aegis_mempool *mp = pool(4, 2);
    assert_int_equal(add(mp, mk(1, 0, 5, 1, 0), NULL), AEGIS_OK);
    assert_int_equal(add(mp, mk(1, 1, 5, 2, 0), NULL), AEGIS_OK);
    assert_int_equal(add(mp, mk(1, 2, 5, 3, 0), NULL), AEGIS_ERR_MEMPOOL_SENDER_LIMIT);
    assert_int_equal(add(mp, mk(2, 0, 5, 4, 0), NULL), AEGIS_OK);
    assert_int_equal(add(mp, mk(3, 0, 5, 5, 0), NULL), AEGIS_OK);
    assert_int_equal(aegis_mempool_count(mp), 4);
    /* Full, and the newcomer is no better than anyone: rejected. */
    assert_int_equal(add(mp, mk(4, 0, 5, 6, 0), NULL), AEGIS_ERR_MEMPOOL_FULL);
    assert_int_equal(aegis_mempool_count(mp), 4);

    struct aegis_mempool_tx big = mk(9, 0, 5, 7, 0);
    uint8_t *buf = aegis_calloc(1, 131073);
    big.raw = buf;
    big.raw_len = 131073;
    assert_int_equal(add(mp, big, NULL), AEGIS_ERR_MEMPOOL_TX_TOO_BIG);
    aegis_free(buf);
    assert_int_equal(add(mp, mk(9, UINT64_MAX, 5, 8, 0), NULL), AEGIS_ERR_MEMPOOL_NONCE_MAX);
    aegis_mempool_free(mp);
}

static void test_duplicates(void **state)
{
    (void)state;
    aegis_mempool *mp = pool(100, 8);
    struct aegis_mempool_tx a = mk(1, 0, 5, 1, 0);
    struct aegis_mempool_admit ad;
    assert_int_equal(add(mp, a, &ad), AEGIS_OK);
    assert_ptr_not_equal(ad.tx->raw, a.raw);           /* an owned copy */
    assert_memory_equal(ad.tx->raw, a.raw, a.raw_len);
    assert_int_equal(add(mp, a, NULL), AEGIS_ERR_MEMPOOL_DUP_ENVELOPE);
    struct aegis_mempool_tx b = a;
    b.envelope_hash[0] ^= 1;                             /* same tx, new envelope */
    assert_int_equal(add(mp, b, NULL), AEGIS_ERR_MEMPOOL_DUP_TX);
    struct aegis_mempool_tx c = a;
    c.tx_hash[0] ^= 1;                                   /* new tx, same envelope */
    assert_int_equal(add(mp, c, NULL), AEGIS_ERR_MEMPOOL_DUP_ENVELOPE);
    assert_non_null(aegis_mempool_get(mp, a.tx_hash));
    assert_non_null(aegis_mempool_get_envelope(mp, a.envelope_hash));
    assert_null(aegis_mempool_get(mp, c.tx_hash));
    assert_int_equal(aegis_mempool_count(mp), 1);
    aegis_mempool_free(mp);
}

static void test_replay(void **state)
{
    (void)state;
    aegis_mempool *mp = pool(100, 8);
    struct aegis_mempool_tx t5 = mk(1, 5, 5, 1, 0);
    assert_int_equal(add(mp, t5, NULL), AEGIS_OK);
    assert_int_equal(add(mp, mk(1, 6, 5, 2, 0), NULL), AEGIS_OK);
    struct aegis_mempool_txlist l = { 0 };
    assert_int_equal(aegis_mempool_mark_included(mp, t5.sender, 5, &l), AEGIS_OK);
    assert_int_equal(l.n, 1);
    assert_memory_equal(l.v[0]->tx_hash, t5.tx_hash, 32);
    aegis_mempool_txlist_clear(&l);
    assert_int_equal(aegis_mempool_count(mp), 1);
    /* The included tx again (new envelope), and an older nonce: replays. */
    struct aegis_mempool_tx again = t5;
    again.envelope_hash[1] ^= 1;
    assert_int_equal(add(mp, again, NULL), AEGIS_ERR_MEMPOOL_NONCE_USED);
    assert_int_equal(add(mp, mk(1, 3, 9, 3, 0), NULL), AEGIS_ERR_MEMPOOL_NONCE_USED);
    assert_int_equal(add(mp, mk(1, 7, 5, 4, 0), NULL), AEGIS_OK);
    /* The cursor never moves back. */
    assert_int_equal(aegis_mempool_mark_included(mp, t5.sender, 2, &l), AEGIS_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(add(mp, mk(1, 5, 50, 5, 1), NULL), AEGIS_ERR_MEMPOOL_NONCE_USED);
    aegis_mempool_free(mp);
}

static void test_replacement(void **state)
{
    (void)state;
    aegis_mempool *mp = pool(100, 8);
    struct aegis_mempool_tx old = mk(1, 0, 1000, 1, 0);
    assert_int_equal(add(mp, old, NULL), AEGIS_OK);
    /* +9.9%: too little. */
    assert_int_equal(add(mp, mk(1, 0, 1099, 2, 0), NULL), AEGIS_ERR_MEMPOOL_UNDERPRICED);
    /* Only one fee field bumped. */
    struct aegis_mempool_tx half = mk(1, 0, 2000, 3, 0);
    aegis_put_be64(half.priority_fee + 24, 1000);
    assert_int_equal(add(mp, half, NULL), AEGIS_ERR_MEMPOOL_UNDERPRICED);
    /* Exactly +10%: replaces, count unchanged, the old record comes back. */
    struct aegis_mempool_tx nw = mk(1, 0, 1100, 4, 0);
    struct aegis_mempool_admit ad;
    assert_int_equal(add(mp, nw, &ad), AEGIS_OK);
    assert_int_equal(ad.drop, AEGIS_MEMPOOL_DROP_REPLACED);
    assert_non_null(ad.dropped);
    assert_memory_equal(ad.dropped->tx_hash, old.tx_hash, 32);
    aegis_mempool_tx_free(ad.dropped);
    assert_int_equal(aegis_mempool_count(mp), 1);
    assert_null(aegis_mempool_get(mp, old.tx_hash));
    assert_null(aegis_mempool_get_envelope(mp, old.envelope_hash));
    assert_non_null(aegis_mempool_get(mp, nw.tx_hash));

    /* 256-bit fees: old = 2^255, bump arithmetic must not overflow. */
    struct aegis_mempool_tx h1 = mk(2, 0, 0, 10, 0);
    h1.max_fee[0] = h1.priority_fee[0] = 0x80;
    assert_int_equal(add(mp, h1, NULL), AEGIS_OK);
    struct aegis_mempool_tx h2 = mk(2, 0, 0, 11, 0);
    memset(h2.max_fee, 0xff, 32);
    memset(h2.priority_fee, 0xff, 32);   /* ~ +100%: fine */
    assert_int_equal(add(mp, h2, &ad), AEGIS_OK);
    assert_int_equal(ad.drop, AEGIS_MEMPOOL_DROP_REPLACED);
    aegis_mempool_tx_free(ad.dropped);
    struct aegis_mempool_tx h3 = mk(2, 0, 0, 12, 0);
    memset(h3.max_fee, 0xff, 32);
    memset(h3.priority_fee, 0xff, 32);
    h3.tx_hash[5] ^= 1;                  /* equal fees, different tx */
    assert_int_equal(add(mp, h3, NULL), AEGIS_ERR_MEMPOOL_UNDERPRICED);
    aegis_mempool_free(mp);
}

static void test_expiry(void **state)
{
    (void)state;
    aegis_mempool *mp = pool(100, 8);
    struct aegis_mempool_admit ad;
    struct aegis_mempool_tx a = mk(1, 0, 5, 1, 0), b = mk(2, 0, 5, 2, 0), c = mk(3, 0, 5, 3, 0);
    assert_int_equal(aegis_mempool_add(mp, &b, 200, &ad), AEGIS_OK);   /* expires 1200 */
    assert_int_equal(aegis_mempool_add(mp, &a, 100, &ad), AEGIS_OK);   /* expires 1100 */
    c.expires_ms = 5000;
    assert_int_equal(aegis_mempool_add(mp, &c, 100, &ad), AEGIS_OK);
    struct aegis_mempool_tx d = mk(4, 0, 5, 4, 0);
    d.expires_ms = 100;
    assert_int_equal(aegis_mempool_add(mp, &d, 100, &ad), AEGIS_ERR_MEMPOOL_EXPIRED);

    struct aegis_mempool_txlist l = { 0 };
    assert_int_equal(aegis_mempool_expire(mp, 1099, &l), AEGIS_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(aegis_mempool_expire(mp, 1200, &l), AEGIS_OK);
    assert_int_equal(l.n, 2);
    assert_memory_equal(l.v[0]->tx_hash, a.tx_hash, 32);   /* earliest expiry first */
    assert_memory_equal(l.v[1]->tx_hash, b.tx_hash, 32);
    aegis_mempool_txlist_clear(&l);
    assert_int_equal(aegis_mempool_count(mp), 1);
    assert_null(aegis_mempool_get(mp, a.tx_hash));
    /* Expired records are gone from every index: the same tx is admissible. */
    assert_int_equal(aegis_mempool_add(mp, &a, 2000, &ad), AEGIS_OK);
    aegis_mempool_free(mp);
}

/* Test classifier, driven by `to`: to[0] asset level, to[1] migration group,
 * to[2] risk score / 100; to[3] 0xee answers an out-of-range score, 0xdd an
 * error. */
static aegis_err test_classify(void *ctx, const struct aegis_mempool_tx *tx, struct aegis_tx_class *out)
{
    (void)ctx;
    if (tx->to[3] == 0xdd)
        return AEGIS_ERR_PERM;
    memset(out, 0, sizeof(*out));
    out->asset_level = tx->to[0];
    out->migration = tx->to[1] != 0;
    out->migration_group = tx->to[1];
    out->risk_score = (uint16_t)(tx->to[2] * 100u);
    if (tx->to[3] == 0xee)
        out->risk_score = 10001;
    return AEGIS_OK;
}

static aegis_mempool *class_pool(size_t cap)
{
    struct aegis_mempool_config cfg;
    aegis_mempool_config_defaults(&cfg);
    cfg.capacity = cap;
    cfg.classifier.classify = test_classify;
    aegis_mempool *mp = NULL;
    assert_int_equal(aegis_mempool_new(&cfg, &mp), AEGIS_OK);
    return mp;
}

static struct aegis_mempool_tx mkc(unsigned s, uint64_t nonce, uint64_t fee, uint64_t e, uint8_t level,
                                   uint8_t group)
{
    struct aegis_mempool_tx t = mk(s, nonce, fee, e, (uint8_t)(level * 16 + group));
    t.flags |= AEGIS_MEMPOOL_TX_HAS_TO;
    t.to[0] = level;
    t.to[1] = group;
    return t;
}

static void test_eviction(void **state)
{
    (void)state;
    aegis_mempool *mp = class_pool(3);
    struct aegis_mempool_admit ad;
    struct aegis_mempool_tx a = mkc(1, 0, 10, 1, 0, 0), b = mkc(1, 1, 10, 2, 0, 0);
    struct aegis_mempool_tx c = mkc(2, 0, 10, 3, 0, 0);
    assert_int_equal(add(mp, a, NULL), AEGIS_OK);
    assert_int_equal(add(mp, b, NULL), AEGIS_OK);
    assert_int_equal(add(mp, c, NULL), AEGIS_OK);
    /* Better fee: evicts the lowest tail. b (sender 1's tail, envelope 2) and
     * c (envelope 3) tie on fee; the newer envelope goes: c. a, the head of
     * sender 1, is not a candidate while b stands behind it. */
    struct aegis_mempool_tx d = mkc(3, 0, 20, 4, 0, 0);
    assert_int_equal(add(mp, d, &ad), AEGIS_OK);
    assert_int_equal(ad.drop, AEGIS_MEMPOOL_DROP_EVICTED);
    assert_memory_equal(ad.dropped->tx_hash, c.tx_hash, 32);
    aegis_mempool_tx_free(ad.dropped);
    /* Next: b goes (tail of sender 1), never a. */
    assert_int_equal(add(mp, mkc(4, 0, 30, 5, 0, 0), &ad), AEGIS_OK);
    assert_memory_equal(ad.dropped->tx_hash, b.tx_hash, 32);
    aegis_mempool_tx_free(ad.dropped);
    assert_non_null(aegis_mempool_get(mp, a.tx_hash));
    aegis_mempool_free(mp);

    /* A pool full of protected / migration records. */
    mp = class_pool(3);
    assert_int_equal(add(mp, mkc(1, 0, 1, 1, 1, 0), NULL), AEGIS_OK);   /* level 1 */
    assert_int_equal(add(mp, mkc(2, 0, 1, 2, 0, 7), NULL), AEGIS_OK);   /* migration */
    assert_int_equal(add(mp, mkc(3, 0, 1, 3, 2, 0), NULL), AEGIS_OK);   /* level 2 */
    /* An unprotected tx never evicts them, whatever its fee. */
    struct aegis_mempool_tx rich = mkc(4, 0, 0, 4, 0, 0);
    memset(rich.max_fee, 0xff, 32);
    memset(rich.priority_fee, 0xff, 32);
    assert_int_equal(add(mp, rich, NULL), AEGIS_ERR_MEMPOOL_FULL);
    /* Nor does one equal to the lowest (migration, same fee, newer). */
    assert_int_equal(add(mp, mkc(5, 0, 1, 5, 0, 9), NULL), AEGIS_ERR_MEMPOOL_FULL);
    /* A higher protected one does: the migration record (level 0) goes first. */
    assert_int_equal(add(mp, mkc(6, 0, 1, 6, 3, 0), &ad), AEGIS_OK);
    assert_int_equal(ad.drop, AEGIS_MEMPOOL_DROP_EVICTED);
    assert_true(ad.dropped->cls.migration);
    aegis_mempool_tx_free(ad.dropped);
    assert_int_equal(aegis_mempool_count(mp), 3);
    aegis_mempool_free(mp);
}

static void test_classification(void **state)
{
    (void)state;
    aegis_mempool *mp = class_pool(10);
    struct aegis_mempool_tx t = mkc(1, 0, 1, 1, 0, 0);
    t.to[3] = 0xee;
    assert_int_equal(add(mp, t, NULL), AEGIS_ERR_MEMPOOL_BAD_CLASS);
    t.to[3] = 0xdd;
    assert_int_equal(add(mp, t, NULL), AEGIS_ERR_PERM);
    t = mkc(1, 0, 1, 1, 4, 0);
    assert_int_equal(add(mp, t, NULL), AEGIS_ERR_MEMPOOL_BAD_CLASS);
    assert_int_equal(aegis_mempool_count(mp), 0);
    aegis_mempool_free(mp);

    /* The list classifier. */
    struct aegis_class_protected prot[2] = { { { 0x10 }, 2 }, { { 0x11 }, 3 } };
    struct aegis_class_migration mig[1] = { { { 0x20 }, 77 } };
    struct aegis_class_sender risky[1] = { { { 0 }, 9000 } };
    struct aegis_mempool_tx x = mk(5, 0, 1, 1, 0);
    memcpy(risky[0].addr, x.sender, 20);
    struct aegis_class_lists lists = {
        .protected_contracts = prot, .n_protected = 2, .migration_contracts = mig, .n_migration = 1,
        .risky_senders = risky, .n_risky = 1, .default_risk = 100, .protected_risk = 5000,
    };
    aegis_list_classifier *lc = NULL;
    assert_int_equal(aegis_list_classifier_new(&lists, &lc), AEGIS_OK);
    struct aegis_classifier ci = aegis_list_classifier_iface(lc);
    struct aegis_tx_class cls;

    assert_int_equal(ci.classify(ci.ctx, &x, &cls), AEGIS_OK);       /* risky sender, no to */
    assert_int_equal(cls.risk_score, 9000);
    assert_int_equal(cls.asset_level, 0);
    assert_false(cls.migration);

    struct aegis_mempool_tx y = mk(6, 0, 1, 2, 0);
    y.flags = AEGIS_MEMPOOL_TX_HAS_TO;
    y.to[0] = 0x11;
    assert_int_equal(ci.classify(ci.ctx, &y, &cls), AEGIS_OK);
    assert_int_equal(cls.asset_level, 3);
    assert_int_equal(cls.risk_score, 5000);                           /* raised to protected_risk */
    y.to[0] = 0x20;
    assert_int_equal(ci.classify(ci.ctx, &y, &cls), AEGIS_OK);
    assert_true(cls.migration);
    assert_int_equal(cls.migration_group, 77);
    assert_int_equal(cls.risk_score, 100);
    y.to[0] = 0x30;
    y.flags |= AEGIS_MEMPOOL_TX_DECLARED_MIGRATION;
    y.declared_group = 12;
    assert_int_equal(ci.classify(ci.ctx, &y, &cls), AEGIS_OK);
    assert_true(cls.migration);
    assert_int_equal(cls.migration_group, 12);
    aegis_list_classifier_free(lc);

    /* Invalid lists. */
    prot[1].level = 0;
    assert_int_equal(aegis_list_classifier_new(&lists, &lc), AEGIS_ERR_INVAL);
    prot[1].level = 1;
    memcpy(prot[1].addr, prot[0].addr, 20);
    assert_int_equal(aegis_list_classifier_new(&lists, &lc), AEGIS_ERR_INVAL);
}

static bool has(const struct aegis_mempool_tx **v, size_t n, const struct aegis_mempool_tx *t)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(v[i]->tx_hash, t->tx_hash, 32) == 0)
            return true;
    return false;
}

static void test_select_nonce_order(void **state)
{
    (void)state;
    aegis_mempool *mp = pool(100, 16);
    /* Sender 1's nonces arrive backwards, with later envelope ids on lower
     * nonces: fifo by envelope must still emit 0, 1, 2. */
    struct aegis_mempool_tx t2 = mk(1, 2, 5, 1, 0), t1 = mk(1, 1, 5, 2, 0), t0 = mk(1, 0, 5, 3, 0);
    assert_int_equal(add(mp, t2, NULL), AEGIS_OK);
    assert_int_equal(add(mp, t1, NULL), AEGIS_OK);
    assert_int_equal(add(mp, t0, NULL), AEGIS_OK);
    /* Sender 2 has a gap: 0 and 2. */
    struct aegis_mempool_tx g0 = mk(2, 0, 5, 4, 0), g2 = mk(2, 2, 5, 5, 0);
    assert_int_equal(add(mp, g0, NULL), AEGIS_OK);
    assert_int_equal(add(mp, g2, NULL), AEGIS_OK);
    const struct aegis_mempool_tx *out[10];
    size_t n = 0;
    assert_int_equal(aegis_mempool_select(mp, 10, out, &n), AEGIS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(out[0]->nonce, 0);    /* t0: only eligible of sender 1 */
    assert_memory_equal(out[0]->tx_hash, t0.tx_hash, 32);
    assert_memory_equal(out[1]->tx_hash, t1.tx_hash, 32);
    assert_memory_equal(out[2]->tx_hash, t2.tx_hash, 32);
    assert_memory_equal(out[3]->tx_hash, g0.tx_hash, 32);
    assert_false(has(out, n, &g2));

    /* take() removes them and advances the cursors; g2 stays stalled. */
    struct aegis_mempool_txlist l = { 0 };
    assert_int_equal(aegis_mempool_take(mp, 10, &l), AEGIS_OK);
    assert_int_equal(l.n, 4);
    aegis_mempool_txlist_clear(&l);
    assert_int_equal(aegis_mempool_count(mp), 1);
    assert_int_equal(aegis_mempool_select(mp, 10, out, &n), AEGIS_OK);
    assert_int_equal(n, 0);
    /* The gap filled: both go. */
    struct aegis_mempool_tx g1 = mk(2, 1, 5, 6, 0);
    assert_int_equal(add(mp, g1, NULL), AEGIS_OK);
    assert_int_equal(aegis_mempool_select(mp, 10, out, &n), AEGIS_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(out[0]->tx_hash, g1.tx_hash, 32);
    assert_memory_equal(out[1]->tx_hash, g2.tx_hash, 32);
    /* A chain-state nonce for a fresh sender stalls it until it matches. */
    struct aegis_mempool_tx f = mk(3, 7, 5, 7, 0);
    assert_int_equal(aegis_mempool_set_sender_nonce(mp, f.sender, 6, &l), AEGIS_OK);
    assert_int_equal(add(mp, f, NULL), AEGIS_OK);
    assert_int_equal(aegis_mempool_select(mp, 10, out, &n), AEGIS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(add(mp, mk(3, 5, 5, 8, 0), NULL), AEGIS_ERR_MEMPOOL_NONCE_USED);
    assert_int_equal(add(mp, mk(3, 6, 5, 9, 0), NULL), AEGIS_OK);
    assert_int_equal(aegis_mempool_select(mp, 10, out, &n), AEGIS_OK);
    assert_int_equal(n, 4);
    aegis_mempool_txlist_clear(&l);
    aegis_mempool_free(mp);
}

static void test_nomem_leaves_pool_unchanged(void **state)
{
    (void)state;
    aegis_mempool *mp = pool(2, 4);
    assert_int_equal(add(mp, mk(1, 0, 5, 1, 0), NULL), AEGIS_OK);
    assert_int_equal(add(mp, mk(2, 0, 5, 2, 0), NULL), AEGIS_OK);
    long k;
    for (k = 1; k <= 20; k++) {
        aegis_alloc_fail_after(k);
        aegis_err err = add(mp, mk(3, 0, 50, 3, 0), NULL);
        aegis_alloc_fail_after(0);
        if (err == AEGIS_OK)
            break;
        assert_int_equal(err, AEGIS_ERR_NOMEM);
        assert_int_equal(aegis_mempool_count(mp), 2);
        assert_non_null(aegis_mempool_get(mp, mk(1, 0, 5, 1, 0).tx_hash));
        assert_non_null(aegis_mempool_get(mp, mk(2, 0, 5, 2, 0).tx_hash));
    }
    assert_true(k > 2 && k <= 20);   /* some allocations did fail first */
    assert_int_equal(aegis_mempool_count(mp), 2);
    assert_non_null(aegis_mempool_get(mp, mk(3, 0, 50, 3, 0).tx_hash));
    aegis_mempool_free(mp);
}

/* A pool put back from aegis_mempool_each's records (after its senders'
 * nonces) behaves as the original: same selection, same next eviction,
 * same expiry, same admission sequence; bad records are refused. */
struct copy_ctx {
    aegis_mempool *to;
    aegis_err err;
};

static void copy_nonce(void *ctx, const uint8_t sender[20], uint64_t next)
{
    struct copy_ctx *c = ctx;
    struct aegis_mempool_txlist l = { 0 };
    if (!c->err)
        c->err = aegis_mempool_set_sender_nonce(c->to, sender, next, &l);
    assert_int_equal(l.n, 0);
    aegis_mempool_txlist_clear(&l);
}

static void copy_tx(void *ctx, const struct aegis_mempool_tx *tx)
{
    struct copy_ctx *c = ctx;
    if (!c->err)
        c->err = aegis_mempool_restore(c->to, tx);
}

static void same_selection(aegis_mempool *a, aegis_mempool *b)
{
    const struct aegis_mempool_tx *x[16], *y[16];
    size_t nx = 0, ny = 0;
    assert_int_equal(aegis_mempool_select(a, 16, x, &nx), AEGIS_OK);
    assert_int_equal(aegis_mempool_select(b, 16, y, &ny), AEGIS_OK);
    assert_int_equal(nx, ny);
    for (size_t i = 0; i < nx; i++) {
        assert_memory_equal(x[i]->tx_hash, y[i]->tx_hash, 32);
        assert_int_equal(x[i]->seq, y[i]->seq);
        assert_int_equal(x[i]->admitted_ms, y[i]->admitted_ms);
        assert_int_equal(x[i]->expires_ms, y[i]->expires_ms);
        assert_ptr_not_equal(x[i]->raw, y[i]->raw);
        assert_memory_equal(x[i]->raw, y[i]->raw, x[i]->raw_len);
    }
}

static void test_restore(void **state)
{
    (void)state;
    aegis_mempool *a = pool(5, 4), *b = pool(5, 4);
    struct aegis_mempool_tx t0 = mk(1, 0, 5, 1, 0);
    assert_int_equal(add(a, t0, NULL), AEGIS_OK);
    assert_int_equal(add(a, mk(1, 1, 5, 2, 0), NULL), AEGIS_OK);
    assert_int_equal(add(a, mk(1, 3, 7, 3, 0), NULL), AEGIS_OK);           /* behind a gap */
    assert_int_equal(add(a, mk(2, 0, 9, 4, 0), NULL), AEGIS_OK);
    assert_int_equal(add(a, mk(2, 0, 20, 5, 1), NULL), AEGIS_OK);          /* replaces it */
    struct aegis_mempool_tx late = mk(3, 0, 3, 6, 0);
    struct aegis_mempool_admit ad;
    assert_int_equal(aegis_mempool_add(a, &late, 600, &ad), AEGIS_OK);   /* admitted later */
    struct aegis_mempool_txlist l = { 0 };
    assert_int_equal(aegis_mempool_mark_included(a, t0.sender, 0, &l), AEGIS_OK);   /* nonce 0 included */
    aegis_mempool_txlist_clear(&l);

    struct copy_ctx c = { .to = b };
    aegis_mempool_each_sender_nonce(a, copy_nonce, &c);
    assert_int_equal(aegis_mempool_each(a, copy_tx, &c), aegis_mempool_count(a));
    assert_int_equal(c.err, AEGIS_OK);
    aegis_mempool_set_next_seq(b, aegis_mempool_next_seq(a));
    assert_int_equal(aegis_mempool_count(b), aegis_mempool_count(a));
    assert_int_equal(aegis_mempool_next_seq(b), aegis_mempool_next_seq(a));
    same_selection(a, b);

    /* the same newcomer gets the same seq and evicts the same record */
    struct aegis_mempool_admit da, db;
    struct aegis_mempool_tx n1 = mk(4, 0, 50, 7, 0), n2 = mk(5, 0, 50, 8, 0);
    assert_int_equal(aegis_mempool_add(a, &n1, 700, &da), AEGIS_OK);
    assert_int_equal(aegis_mempool_add(b, &n1, 700, &db), AEGIS_OK);
    assert_int_equal(da.seq, db.seq);
    assert_int_equal(aegis_mempool_add(a, &n2, 700, &da), AEGIS_OK);
    assert_int_equal(aegis_mempool_add(b, &n2, 700, &db), AEGIS_OK);
    assert_int_equal(da.drop, AEGIS_MEMPOOL_DROP_EVICTED);
    assert_int_equal(db.drop, AEGIS_MEMPOOL_DROP_EVICTED);
    assert_memory_equal(da.dropped->tx_hash, db.dropped->tx_hash, 32);
    aegis_mempool_tx_free(da.dropped);
    aegis_mempool_tx_free(db.dropped);
    same_selection(a, b);

    /* and the same records expire at the same time */
    struct aegis_mempool_txlist ea = { 0 }, eb = { 0 };
    assert_int_equal(aegis_mempool_expire(a, 1100, &ea), AEGIS_OK);
    assert_int_equal(aegis_mempool_expire(b, 1100, &eb), AEGIS_OK);
    assert_true(ea.n > 0);
    assert_int_equal(ea.n, eb.n);
    for (size_t i = 0; i < ea.n; i++)
        assert_memory_equal(ea.v[i]->tx_hash, eb.v[i]->tx_hash, 32);
    aegis_mempool_txlist_clear(&ea);
    aegis_mempool_txlist_clear(&eb);
    same_selection(a, b);

    /* refused: a record already there, a seq not above the newest, a used nonce */
    const struct aegis_mempool_tx *any[1];
    size_t n = 0;
    assert_int_equal(aegis_mempool_select(b, 1, any, &n), AEGIS_OK);
    assert_int_equal(n, 1);
    struct aegis_mempool_tx again = *any[0];
    again.seq = aegis_mempool_next_seq(b);
    assert_int_equal(aegis_mempool_restore(b, &again), AEGIS_ERR_INVAL);
    struct aegis_mempool_tx old_seq = mk(9, 0, 5, 99, 0);
    old_seq.seq = 0;
    assert_int_equal(aegis_mempool_restore(b, &old_seq), AEGIS_ERR_INVAL);
    struct aegis_mempool_tx used = mk(1, 0, 5, 98, 3);
    used.seq = aegis_mempool_next_seq(b);
    assert_int_equal(aegis_mempool_restore(b, &used), AEGIS_ERR_INVAL);
    aegis_mempool_free(a);
    aegis_mempool_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_replacement),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_select_nonce_order),
        cmocka_unit_test(test_nomem_leaves_pool_unchanged),
        cmocka_unit_test(test_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
