/* test_mempool_recheck.c - the extension bytes a record carries (copied
 * after raw, size-checked with it, wiped with it) and aegis_mempool_recheck:
 * admission order (replacements count from their own admission), drops
 * handed over in that order, survivors untouched and still selectable,
 * nothing else moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/crypto.h"
#include "aegis/mempool.h"

static const uint8_t RAW[4] = { 0xde, 0xad, 0xbe, 0xef };

/* Sender s, nonce, fee (both fields), envelope id e; distinct hashes. */
static struct aegis_mempool_tx mk(unsigned s, uint64_t nonce, uint64_t fee, uint64_t e)
{
    struct aegis_mempool_tx t;
    memset(&t, 0, sizeof(t));
    t.sender[0] = 0xbb;
    aegis_put_be32(t.sender + 16, s);
    t.nonce = nonce;
    aegis_put_be64(t.max_fee + 24, fee);
    aegis_put_be64(t.priority_fee + 24, fee);
    t.envelope_id = e;
    t.gas_limit = 21000;
    uint8_t seed[32];
    aegis_put_be64(seed, s);
    aegis_put_be64(seed + 8, nonce);
    aegis_put_be64(seed + 16, fee);
    aegis_put_be64(seed + 24, e);
    aegis_keccak256(t.tx_hash, seed, sizeof(seed));
    seed[0] ^= 0x80;
    aegis_keccak256(t.envelope_hash, seed, sizeof(seed));
    t.raw = RAW;
    t.raw_len = sizeof(RAW);
    return t;
}

static aegis_mempool *pool(size_t max_raw)
{
    struct aegis_mempool_config cfg;
    aegis_mempool_config_defaults(&cfg);
    cfg.capacity = 64;
    cfg.per_sender = 8;
    if (max_raw)
        cfg.max_raw = max_raw;
    aegis_mempool *mp = NULL;
    assert_int_equal(aegis_mempool_new(&cfg, &mp), AEGIS_OK);
    return mp;
}

static void add(aegis_mempool *mp, struct aegis_mempool_tx t)
{
    struct aegis_mempool_admit a;
    assert_int_equal(aegis_mempool_add(mp, &t, 100, &a), AEGIS_OK);
    aegis_mempool_tx_free(a.dropped);
}

static void test_extension_carried(void **state)
{
    (void)state;
    aegis_mempool *mp = pool(10);
    static const uint8_t ext[6] = { 'A', 'G', 'X', '1', 0x02, 0x01 };
    struct aegis_mempool_tx t = mk(1, 0, 5, 1);
    t.ext = ext;
    t.ext_len = sizeof(ext);
    struct aegis_mempool_admit a;
    assert_int_equal(aegis_mempool_add(mp, &t, 100, &a), AEGIS_OK);
    const struct aegis_mempool_tx *p = aegis_mempool_get(mp, t.tx_hash);
    assert_non_null(p);
    assert_ptr_not_equal(p->raw, RAW);            /* copies */
    assert_ptr_not_equal(p->ext, ext);
    assert_int_equal(p->raw_len, 4);
    assert_int_equal(p->ext_len, 6);
    assert_memory_equal(p->raw, RAW, 4);
    assert_ptr_equal(p->ext, p->raw + 4);          /* the plaintext again: raw || ext */
    assert_memory_equal(p->ext, ext, 6);

    /* raw + ext counts against max_raw (10): 4 + 7 is too big */
    static const uint8_t ext7[7] = { 0 };
    struct aegis_mempool_tx big = mk(2, 0, 5, 2);
    big.ext = ext7;
    big.ext_len = sizeof(ext7);
    assert_int_equal(aegis_mempool_add(mp, &big, 100, &a), AEGIS_ERR_MEMPOOL_TX_TOO_BIG);
    big.ext = NULL;                                  /* a length without bytes */
    assert_int_equal(aegis_mempool_add(mp, &big, 100, &a), AEGIS_ERR_INVAL);
    /* no extension: NULL, 0 */
    struct aegis_mempool_tx plain = mk(3, 0, 5, 3);
    add(mp, plain);
    p = aegis_mempool_get(mp, plain.tx_hash);
    assert_null(p->ext);
    assert_int_equal(p->ext_len, 0);

    /* a removed record keeps both (freed, wiped, by tx_free) */
    struct aegis_mempool_tx *out = NULL;
    assert_int_equal(aegis_mempool_remove(mp, t.tx_hash, &out), AEGIS_OK);
    assert_memory_equal(out->ext, ext, 6);
    aegis_mempool_tx_free(out);
    aegis_mempool_free(mp);   /* frees the plain one */
}

/* A check that refuses the envelope ids listed in ctx and records the
 * order of the calls and of the drops. */
struct rc {
    uint64_t refuse[8];
    size_t n_refuse;
    uint64_t seen[32], dropped[32];
    aegis_err why[32];
    size_t n_seen, n_dropped;
};

static aegis_err check(void *ctx, const struct aegis_mempool_tx *tx)
{
    struct rc *r = ctx;
    r->seen[r->n_seen++] = tx->envelope_id;
    for (size_t i = 0; i < r->n_refuse; i++)
        if (r->refuse[i] == tx->envelope_id)
            return tx->envelope_id == 5 ? AEGIS_ERR_ASSET_FROZEN : AEGIS_ERR_ASSET_WITNESS_REQUIRED;
    return AEGIS_OK;
}

static void drop(void *ctx, struct aegis_mempool_tx *tx, aegis_err why)
{
    struct rc *r = ctx;
    r->why[r->n_dropped] = why;
    r->dropped[r->n_dropped++] = tx->envelope_id;
    aegis_mempool_tx_free(tx);
}

static void test_recheck_order_and_drops(void **state)
{
    (void)state;
    aegis_mempool *mp = pool(0);
    /* admission order: envelope ids 7, 3, 5, 1, 9 (not sorted by anything
     * else); sender 4's nonce 0 (id 1) is then replaced by id 8, which
     * counts from its own admission, the last one */
    add(mp, mk(1, 0, 5, 7));
    add(mp, mk(2, 0, 5, 3));
    add(mp, mk(3, 0, 5, 5));
    add(mp, mk(4, 0, 5, 1));
    add(mp, mk(1, 1, 5, 9));
    struct aegis_mempool_tx repl = mk(4, 0, 50, 8);
    struct aegis_mempool_admit a;
    assert_int_equal(aegis_mempool_add(mp, &repl, 100, &a), AEGIS_OK);
    assert_int_equal(a.drop, AEGIS_MEMPOOL_DROP_REPLACED);
    aegis_mempool_tx_free(a.dropped);
    const struct aegis_mempool_tx *before = aegis_mempool_get(mp, mk(2, 0, 5, 3).tx_hash);
    uint64_t seq3 = before->seq, ab3 = before->admitted_batch, ms3 = before->admitted_ms;

    /* nothing refused: every record seen in admission order, nothing moves */
    struct rc r = { .n_refuse = 0 };
    assert_int_equal(aegis_mempool_recheck(mp, check, drop, &r), 0);
    static const uint64_t order[] = { 7, 3, 5, 9, 8 };
    assert_int_equal(r.n_seen, 5);
    assert_memory_equal(r.seen, order, sizeof(order));
    assert_int_equal(aegis_mempool_count(mp), 5);

    /* refuse 5 and 7 (sender 1's nonce 0: its nonce 1 stays, waiting) */
    memset(&r, 0, sizeof(r));
    r.refuse[0] = 7;
    r.refuse[1] = 5;
    r.n_refuse = 2;
    assert_int_equal(aegis_mempool_recheck(mp, check, drop, &r), 2);
    assert_int_equal(r.n_seen, 5);
    assert_memory_equal(r.seen, order, sizeof(order));
    assert_int_equal(r.n_dropped, 2);
    assert_int_equal(r.dropped[0], 7);               /* drops in admission order */
    assert_int_equal(r.dropped[1], 5);
    assert_int_equal(r.why[0], AEGIS_ERR_ASSET_WITNESS_REQUIRED);
    assert_int_equal(r.why[1], AEGIS_ERR_ASSET_FROZEN);
    assert_int_equal(aegis_mempool_count(mp), 3);
    assert_null(aegis_mempool_get(mp, mk(1, 0, 5, 7).tx_hash));
    assert_null(aegis_mempool_get_envelope(mp, mk(3, 0, 5, 5).envelope_hash));
    /* a survivor is the same record: seq, admission time and batch */
    const struct aegis_mempool_tx *after = aegis_mempool_get(mp, mk(2, 0, 5, 3).tx_hash);
    assert_ptr_equal(after, before);
    assert_int_equal(after->seq, seq3);
    assert_int_equal(after->admitted_batch, ab3);
    assert_int_equal(after->admitted_ms, ms3);

    /* the next walk sees the survivors, still in admission order */
    memset(&r, 0, sizeof(r));
    assert_int_equal(aegis_mempool_recheck(mp, check, drop, &r), 0);
    static const uint64_t left[] = { 3, 9, 8 };
    assert_int_equal(r.n_seen, 3);
    assert_memory_equal(r.seen, left, sizeof(left));

    /* selection (default ranker: envelope id ascending): sender 1's nonce 1
     * waits for its dropped nonce 0 (no cursor known: its lowest pending
     * nonce is eligible, so it is selectable); the others as ranked */
    const struct aegis_mempool_tx *sel[8];
    size_t n = 0;
    assert_int_equal(aegis_mempool_select(mp, 8, sel, &n), AEGIS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(sel[0]->envelope_id, 3);
    assert_int_equal(sel[1]->envelope_id, 8);
    assert_int_equal(sel[2]->envelope_id, 9);

    /* expiry and removal still see a consistent pool; a new admission goes
     * last in admission order; drop NULL frees */
    add(mp, mk(6, 0, 5, 2));
    memset(&r, 0, sizeof(r));
    r.refuse[0] = 3;
    r.refuse[1] = 2;
    r.n_refuse = 2;
    assert_int_equal(aegis_mempool_recheck(mp, check, NULL, &r), 2);
    static const uint64_t last[] = { 3, 9, 8, 2 };
    assert_memory_equal(r.seen, last, sizeof(last));
    assert_int_equal(r.n_dropped, 0);
    assert_int_equal(aegis_mempool_count(mp), 2);
    struct aegis_mempool_txlist ex = { 0 };
    assert_int_equal(aegis_mempool_expire(mp, UINT64_MAX - 1, &ex), AEGIS_OK);
    assert_int_equal(ex.n, 2);
    aegis_mempool_txlist_clear(&ex);
    assert_int_equal(aegis_mempool_count(mp), 0);
    memset(&r, 0, sizeof(r));
    assert_int_equal(aegis_mempool_recheck(mp, check, drop, &r), 0);
    assert_int_equal(r.n_seen, 0);
    aegis_mempool_free(mp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extension_carried),
        cmocka_unit_test(test_recheck_order_and_drops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
