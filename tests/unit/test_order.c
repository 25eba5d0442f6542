/* test_order.c - ordering: determinism under permuted arrival, agreement
 * with a brute-force greedy reference, nonce order, each strategy's
 * characteristic order, the hybrid aging bound, policy encoding and hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/crypto.h"
#include "aegis/order.h"

static const char *const strategies[] = { "fifo", "risk", "asset", "migration", "hybrid" };

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Class rides in `to`: to[0] asset level, to[1] migration group, to[2]
 * risk / 100 (see classify below). */
struct spec {
    unsigned sender;
    uint64_t nonce, fee, env;
    uint8_t level, group, risk100;
};

static struct aegis_mempool_tx mk(const struct spec *sp)
{
    struct aegis_mempool_tx t;
    memset(&t, 0, sizeof(t));
    t.sender[0] = 0x5e;
    aegis_put_be32(t.sender + 16, sp->sender);
    t.nonce = sp->nonce;
    aegis_put_be64(t.max_fee + 24, sp->fee);
    aegis_put_be64(t.priority_fee + 24, sp->fee);
    t.envelope_id = sp->env;
    t.flags = AEGIS_MEMPOOL_TX_HAS_TO;
    t.to[0] = sp->level;
    t.to[1] = sp->group;
    t.to[2] = sp->risk100;
    uint8_t seed[24];
    aegis_put_be64(seed, sp->sender);
    aegis_put_be64(seed + 8, sp->nonce);
    aegis_put_be64(seed + 16, sp->env);
    aegis_keccak256(t.tx_hash, seed, sizeof(seed));
    seed[0] ^= 0xff;
    aegis_keccak256(t.envelope_hash, seed, sizeof(seed));
    return t;
}

static aegis_err classify(void *ctx, const struct aegis_mempool_tx *tx, struct aegis_tx_class *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->asset_level = tx->to[0];
    out->migration = tx->to[1] != 0;
    out->migration_group = tx->to[1];
    out->risk_score = (uint16_t)(tx->to[2] * 100u);
    return AEGIS_OK;
}

static aegis_mempool *pool(size_t cap)
{
    struct aegis_mempool_config cfg;
    aegis_mempool_config_defaults(&cfg);
    cfg.capacity = cap;
    cfg.per_sender = 64;
    cfg.classifier.classify = classify;
    aegis_mempool *mp = NULL;
    assert_int_equal(aegis_mempool_new(&cfg, &mp), AEGIS_OK);
    return mp;
}

static void add_spec(aegis_mempool *mp, const struct spec *sp)
{
    struct aegis_mempool_tx t = mk(sp);
    struct aegis_mempool_admit ad;
    assert_int_equal(aegis_mempool_add(mp, &t, 1, &ad), AEGIS_OK);
    assert_null(ad.dropped);
}

/* A set with many ties: senders with 1..8 consecutive nonces each. With
 * same_env every envelope id is equal, so only tx hashes break ties. */
#define NSET 400
static size_t make_set_env(struct spec *v, uint64_t seed, bool same_env)
{
    size_t n = 0;
    uint64_t env = 1000;
    for (unsigned s = 1; n < NSET; s++) {
        unsigned k = 1 + (unsigned)(rng_next(&seed) % 8);
        for (unsigned j = 0; j < k && n < NSET; j++) {
            struct spec *p = &v[n++];
            p->sender = s;
            p->nonce = j;
            p->fee = 1 + rng_next(&seed) % 3;
            p->env = env += 1 + rng_next(&seed) % 3;
            p->level = (uint8_t)(rng_next(&seed) % 4 == 0 ? 1 + rng_next(&seed) % 3 : 0);
            p->group = (uint8_t)(rng_next(&seed) % 5 == 0 ? 1 + rng_next(&seed) % 3 : 0);
            p->risk100 = (uint8_t)((rng_next(&seed) % 3) * 50);
            if (same_env)
                p->env = 7;
        }
    }
    return n;
}

static size_t make_set(struct spec *v, uint64_t seed)
{
    return make_set_env(v, seed, false);
}

/* Take batches of `batch` until empty; record hashes in order. */
static size_t drain(aegis_order *o, aegis_mempool *mp, unsigned level, size_t batch, uint8_t (*out)[32])
{
    size_t total = 0;
    uint64_t b = 0;
    while (aegis_mempool_count(mp) > 0) {
        aegis_mempool_set_next_batch(mp, ++b);
        struct aegis_mempool_txlist l = { 0 };
        assert_int_equal(aegis_order_take(o, mp, level, batch, &l), AEGIS_OK);
        assert_true(l.n > 0);
        for (size_t i = 0; i < l.n; i++)
            memcpy(out[total++], l.v[i]->tx_hash, 32);
        aegis_mempool_txlist_clear(&l);
    }
    return total;
}

static void determinism_case(bool same_env)
{
    static struct spec set[NSET], perm[NSET];
    static uint8_t ref[NSET][32], got[NSET][32];
    size_t n = make_set_env(set, 0x1234567, same_env);
    for (size_t si = 0; si < AEGIS_ARRAY_LEN(strategies); si++) {
        for (unsigned level = 0; level <= 2; level += 2) {
            aegis_order *o = NULL;
            assert_int_equal(aegis_order_new(strategies[si], NULL, &o), AEGIS_OK);
            for (unsigned r = 0; r < 20; r++) {
                memcpy(perm, set, sizeof(set));
                uint64_t seed = 0x9e3779b97f4a7c15ull + r;
                for (size_t i = n - 1; r > 0 && i > 0; i--) {
                    size_t j = rng_next(&seed) % (i + 1);
                    struct spec t = perm[i];
                    perm[i] = perm[j];
                    perm[j] = t;
                }
                aegis_mempool *mp = pool(1000);
                for (size_t i = 0; i < n; i++)
                    add_spec(mp, &perm[i]);
                size_t m = drain(o, mp, level, 50, r == 0 ? ref : got);
                assert_int_equal(m, n);
                if (r > 0)
                    assert_memory_equal(ref, got, n * 32);
                aegis_mempool_free(mp);
            }
            aegis_order_free(o);
        }
    }
}

static void test_determinism_permutations(void **state)
{
    (void)state;
    determinism_case(false);
    determinism_case(true);
}

/* Reference: at each step scan every pooled record and take the best one
 * whose sender has nothing lower pending. O(n^2), obviously greedy. */
static void bruteforce_case(bool same_env)
{
    static struct spec set[NSET];
    static struct aegis_mempool_tx txs[NSET];
    static bool taken[NSET];
    size_t n = make_set_env(set, 0xabcdef, same_env);
    for (size_t si = 0; si < AEGIS_ARRAY_LEN(strategies); si++) {
        aegis_order *o = NULL;
        assert_int_equal(aegis_order_new(strategies[si], NULL, &o), AEGIS_OK);
        aegis_mempool *mp = pool(1000);
        for (size_t i = 0; i < n; i++) {
            add_spec(mp, &set[i]);
            txs[i] = *aegis_mempool_get(mp, mk(&set[i]).tx_hash);
            taken[i] = false;
        }
        const struct aegis_mempool_tx **out = aegis_malloc(n * sizeof(*out));
        size_t got = 0;
        assert_int_equal(aegis_order_cut(o, mp, AEGIS_ORDER_LEVEL_SCHEDULED, n, out, &got), AEGIS_OK);
        assert_int_equal(got, n);
        for (size_t step = 0; step < n; step++) {
            size_t best = SIZE_MAX;
            struct aegis_mempool_rank rb = { { 0 } }, ri;
            for (size_t i = 0; i < n; i++) {
                if (taken[i])
                    continue;
                bool blocked = false;
                for (size_t j = 0; j < n && !blocked; j++)
                    blocked = !taken[j] && j != i && set[j].sender == set[i].sender &&
                              set[j].nonce < set[i].nonce;
                if (blocked)
                    continue;
                aegis_order_rank(o, AEGIS_ORDER_LEVEL_SCHEDULED, &txs[i], &ri);
                bool better = best == SIZE_MAX;
                for (int k = 0; k < 3 && !better; k++) {
                    if (ri.k[k] != rb.k[k]) {
                        better = ri.k[k] > rb.k[k];
                        break;
                    }
                    if (k == 2)
                        better = memcmp(txs[i].tx_hash, txs[best].tx_hash, 32) < 0;
                }
                if (better) {
                    best = i;
                    rb = ri;
                }
            }
            assert_true(best != SIZE_MAX);
            taken[best] = true;
            assert_memory_equal(out[step]->tx_hash, txs[best].tx_hash, 32);
        }
        aegis_free(out);
        aegis_mempool_free(mp);
        aegis_order_free(o);
    }
}

static void test_matches_bruteforce(void **state)
{
    (void)state;
    bruteforce_case(false);
    bruteforce_case(true);
}

static void test_nonce_order_kept(void **state)
{
    (void)state;
    static struct spec set[NSET];
    size_t n = make_set(set, 0x777);
    for (size_t si = 0; si < AEGIS_ARRAY_LEN(strategies); si++) {
        aegis_order *o = NULL;
        assert_int_equal(aegis_order_new(strategies[si], NULL, &o), AEGIS_OK);
        aegis_mempool *mp = pool(1000);
        for (size_t i = n; i-- > 0;)      /* reverse arrival: highest nonce first */
            add_spec(mp, &set[i]);
        uint64_t next[NSET + 1] = { 0 };
        uint64_t b = 0;
        while (aegis_mempool_count(mp) > 0) {
            aegis_mempool_set_next_batch(mp, ++b);
            struct aegis_mempool_txlist l = { 0 };
            assert_int_equal(aegis_order_take(o, mp, AEGIS_ORDER_LEVEL_EMERGENCY, 17, &l), AEGIS_OK);
            for (size_t i = 0; i < l.n; i++) {
                unsigned s = (unsigned)aegis_get_be32(l.v[i]->sender + 16);
                assert_int_equal(l.v[i]->nonce, next[s]);
                next[s]++;
            }
            aegis_mempool_txlist_clear(&l);
        }
        aegis_mempool_free(mp);
        aegis_order_free(o);
    }
}

/* Cut one batch of everything from one-tx senders. */
static size_t cut_all(const char *name, unsigned level, const struct spec *v, size_t n,
                      const struct aegis_mempool_tx **out, aegis_mempool **ret_mp, aegis_order **ret_o)
{
    aegis_order *o = NULL;
    assert_int_equal(aegis_order_new(name, NULL, &o), AEGIS_OK);
    aegis_mempool *mp = pool(100);
    for (size_t i = 0; i < n; i++)
        add_spec(mp, &v[i]);
    size_t got = 0;
    assert_int_equal(aegis_order_cut(o, mp, level, n, out, &got), AEGIS_OK);
    assert_int_equal(got, n);
    *ret_mp = mp;
    *ret_o = o;
    return got;
}

static void test_characteristic_orders(void **state)
{
    (void)state;
    /* sender, nonce, fee, env, level, group, risk100 */
    static const struct spec v[] = {
        { 1, 0, 5, 50, 0, 0, 10 },   /* A: plain, early */
        { 2, 0, 9, 10, 0, 0, 90 },   /* B: high risk, earliest */
        { 3, 0, 1, 40, 3, 0, 20 },   /* C: level 3 */
        { 4, 0, 1, 30, 1, 0, 95 },   /* D: level 1, highest risk */
        { 5, 0, 1, 70, 0, 2, 0 },    /* E: migration group 2 */
        { 6, 0, 1, 20, 0, 1, 0 },    /* F: migration group 1 */
        { 7, 0, 1, 60, 0, 2, 0 },    /* G: migration group 2, before E */
    };
    const size_t n = AEGIS_ARRAY_LEN(v);
    const struct aegis_mempool_tx *out[8];
    aegis_mempool *mp;
    aegis_order *o;
#define SENDER(i) aegis_get_be32(out[i]->sender + 16)
#define EXPECT(...)                                                              \
    do {                                                                         \
        const unsigned want[] = { __VA_ARGS__ };                                 \
        for (size_t i_ = 0; i_ < n; i_++)                                        \
            assert_int_equal(SENDER(i_), want[i_]);                              \
        aegis_mempool_free(mp);                                                  \
        aegis_order_free(o);                                                     \
    } while (0)

    cut_all("fifo", 0, v, n, out, &mp, &o);        /* envelope order */
    EXPECT(2, 6, 4, 3, 1, 7, 5);
    cut_all("risk", 0, v, n, out, &mp, &o);        /* risk desc, then fee, then envelope */
    EXPECT(4, 2, 3, 1, 6, 7, 5);
    cut_all("asset", 0, v, n, out, &mp, &o);       /* level desc, then risk */
    EXPECT(3, 4, 2, 1, 6, 7, 5);
    cut_all("migration", AEGIS_ORDER_LEVEL_NORMAL, v, n, out, &mp, &o);   /* fifo */
    EXPECT(2, 6, 4, 3, 1, 7, 5);
    cut_all("migration", AEGIS_ORDER_LEVEL_SCHEDULED, v, n, out, &mp, &o); /* groups 1, 2 first */
    EXPECT(6, 7, 5, 2, 4, 3, 1);
    /* hybrid (3 risk + 4 asset + 2 migration + fee weights):
     * C 6000+40000+..., D 28500+13332, B 27000, F/G/E 20000, A 3000. */
    cut_all("hybrid", 0, v, n, out, &mp, &o);
    EXPECT(3, 4, 2, 6, 7, 5, 1);
#undef EXPECT
#undef SENDER
}

/* Under a constant stream of max_batch higher-priority transactions per
 * batch, a lowest-priority transaction is included within max_wait batches;
 * with a much weaker aging (max_wait 1000) it is not, within 40. */
static uint64_t aging_wait(uint32_t max_wait, uint64_t limit)
{
    struct aegis_order_params p;
    aegis_order_params_defaults(&p);
    p.max_wait = max_wait;
    aegis_order *o = NULL;
    assert_int_equal(aegis_order_new("hybrid", &p, &o), AEGIS_OK);
    aegis_mempool *mp = pool(10000);
    const size_t max_batch = 4;
    struct spec low = { 1, 0, 0, 1, 0, 0, 0 };
    aegis_mempool_set_next_batch(mp, 100);
    add_spec(mp, &low);
    uint8_t low_hash[32];
    memcpy(low_hash, mk(&low).tx_hash, 32);
    uint64_t env = 2;
    uint64_t waited = UINT64_MAX;
    for (uint64_t b = 100; b < 100 + limit && waited == UINT64_MAX; b++) {
        aegis_mempool_set_next_batch(mp, b);
        for (size_t i = 0; i < max_batch; i++) {
            struct spec hi = { (unsigned)(1000 + env), 0, 5000000000000ull, env, 3, 1, 100 };
            env++;
            add_spec(mp, &hi);
        }
        struct aegis_mempool_txlist l = { 0 };
        assert_int_equal(aegis_order_take(o, mp, 0, max_batch, &l), AEGIS_OK);
        assert_int_equal(l.n, max_batch);
        for (size_t i = 0; i < l.n; i++)
            if (memcmp(l.v[i]->tx_hash, low_hash, 32) == 0)
                waited = b - 100;
        aegis_mempool_txlist_clear(&l);
    }
    aegis_mempool_free(mp);
    aegis_order_free(o);
    return waited;
}

static void test_aging_bound(void **state)
{
    (void)state;
    for (uint32_t m = 1; m <= 12; m++) {
        uint64_t w = aging_wait(m, 3 * m + 5);
        assert_true(w <= m);
        assert_true(w >= 1 || m == 1);  /* the stream does delay it */
    }
    assert_int_equal(aging_wait(1000, 40), UINT64_MAX);
}

static void test_policy(void **state)
{
    (void)state;
    uint8_t enc[AEGIS_ORDER_POLICY_MAX_BYTES], h[32], h2[32], k[32];
    aegis_order *o = NULL, *o2 = NULL;
    assert_int_equal(aegis_order_new("nonsense", NULL, &o), AEGIS_ERR_ORDER_UNKNOWN_STRATEGY);

    assert_int_equal(aegis_order_new("fifo", NULL, &o), AEGIS_OK);
    assert_int_equal(aegis_order_strategy_id(o), AEGIS_ORDER_FIFO);
    assert_int_equal(aegis_order_policy_encode(o, enc, sizeof(enc)), 64);
    assert_int_equal(enc[31], AEGIS_ORDER_FIFO);
    assert_int_equal(enc[63], 0);
    aegis_order_policy_hash(o, h);
    aegis_keccak256(k, enc, 64);
    assert_memory_equal(h, k, 32);
    aegis_order_free(o);

    struct aegis_order_params p;
    aegis_order_params_defaults(&p);
    assert_int_equal(aegis_order_new("hybrid", &p, &o), AEGIS_OK);
    size_t len = aegis_order_policy_encode(o, enc, sizeof(enc));
    assert_int_equal(len, 32 * 8);
    assert_int_equal(enc[31], AEGIS_ORDER_HYBRID);
    assert_int_equal(enc[63], 6);
    assert_int_equal(aegis_get_be64(enc + 64 + 24), 3);              /* w_risk */
    assert_int_equal(aegis_get_be64(enc + 6 * 32 + 24), 100000000);  /* fee unit */
    assert_int_equal(aegis_get_be64(enc + 7 * 32 + 24), 10);         /* max_wait */
    assert_int_equal(aegis_order_policy_encode(o, enc, len - 1), 0);
    /* S_max = 10000 * 10; w = S_max / 10 + 1. */
    assert_int_equal(aegis_order_age_weight(o), 10001);
    aegis_order_policy_hash(o, h);
    assert_int_equal(aegis_order_policy_decode(enc, len, &o2), AEGIS_OK);
    aegis_order_policy_hash(o2, h2);
    assert_memory_equal(h, h2, 32);
    assert_string_equal(aegis_order_name(o2), "hybrid");
    aegis_order_free(o2);

    /* Every parameter is committed. */
    p.max_wait = 11;
    assert_int_equal(aegis_order_new("hybrid", &p, &o2), AEGIS_OK);
    aegis_order_policy_hash(o2, h2);
    assert_memory_not_equal(h, h2, 32);
    aegis_order_free(o2);

    /* Strict decoding. */
    uint8_t bad[AEGIS_ORDER_POLICY_MAX_BYTES];
    memcpy(bad, enc, len);
    bad[64] = 1;                                  /* padding */
    assert_int_equal(aegis_order_policy_decode(bad, len, &o2), AEGIS_ERR_ORDER_BAD_POLICY);
    assert_int_equal(aegis_order_policy_decode(enc, len - 32, &o2), AEGIS_ERR_ORDER_BAD_POLICY);
    assert_int_equal(aegis_order_policy_decode(enc, len - 1, &o2), AEGIS_ERR_ORDER_BAD_POLICY);
    memcpy(bad, enc, len);
    bad[31] = 9;                                  /* unknown id */
    assert_int_equal(aegis_order_policy_decode(bad, len, &o2), AEGIS_ERR_ORDER_BAD_POLICY);
    memcpy(bad, enc, len);
    bad[63] = 5;                                  /* wrong count */
    assert_int_equal(aegis_order_policy_decode(bad, len, &o2), AEGIS_ERR_ORDER_BAD_POLICY);
    memcpy(bad, enc, len);
    memset(bad + 7 * 32, 0, 32);                  /* max_wait 0 */
    assert_int_equal(aegis_order_policy_decode(bad, len, &o2), AEGIS_ERR_ORDER_BAD_PARAMS);
    aegis_order_free(o);

    p.max_wait = 0;
    assert_int_equal(aegis_order_new("hybrid", &p, &o), AEGIS_ERR_ORDER_BAD_PARAMS);
    aegis_order_params_defaults(&p);
    p.w_risk = p.w_asset = p.w_migration = p.w_fee = 0;
    assert_int_equal(aegis_order_new("hybrid", &p, &o), AEGIS_ERR_ORDER_BAD_PARAMS);

    /* Strategy ids are distinct and so are their policy hashes. */
    uint8_t hs[5][32];
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(aegis_order_new(strategies[i], NULL, &o), AEGIS_OK);
        assert_int_equal(aegis_order_strategy_id(o), i + 1);
        aegis_order_policy_hash(o, hs[i]);
        for (size_t j = 0; j < i; j++)
            assert_memory_not_equal(hs[i], hs[j], 32);
        aegis_order_free(o);
    }
}

/* Switching strategy or level re-ranks the pool already admitted. */
static void test_reattach(void **state)
{
    (void)state;
    static const struct spec v[] = {
        { 1, 0, 1, 1, 0, 0, 0 }, { 2, 0, 1, 2, 0, 3, 0 }, { 3, 0, 1, 3, 2, 0, 0 },
    };
    aegis_mempool *mp = pool(10);
    for (size_t i = 0; i < 3; i++)
        add_spec(mp, &v[i]);
    aegis_order *mig = NULL, *asset = NULL;
    assert_int_equal(aegis_order_new("migration", NULL, &mig), AEGIS_OK);
    assert_int_equal(aegis_order_new("asset", NULL, &asset), AEGIS_OK);
    const struct aegis_mempool_tx *out[3];
    size_t n;
    assert_int_equal(aegis_order_cut(mig, mp, 0, 1, out, &n), AEGIS_OK);
    assert_int_equal(aegis_get_be32(out[0]->sender + 16), 1);
    assert_int_equal(aegis_order_cut(mig, mp, 1, 1, out, &n), AEGIS_OK);
    assert_int_equal(aegis_get_be32(out[0]->sender + 16), 2);
    assert_int_equal(aegis_order_cut(asset, mp, 1, 1, out, &n), AEGIS_OK);
    assert_int_equal(aegis_get_be32(out[0]->sender + 16), 3);
    assert_int_equal(aegis_order_cut(mig, mp, 3, 1, out, &n), AEGIS_ERR_INVAL);
    aegis_mempool_free(mp);
    aegis_order_free(mig);
    aegis_order_free(asset);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism_permutations),
        cmocka_unit_test(test_matches_bruteforce),
        cmocka_unit_test(test_nonce_order_kept),
        cmocka_unit_test(test_characteristic_orders),
        cmocka_unit_test(test_aging_bound),
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_reattach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
