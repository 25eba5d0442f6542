/*
 * mempool.c - admission, replacement, eviction, expiry and removal.
 *
 * Indexes: tx hash and envelope hash tables over records, a sender table
 * (sender records persist after their last record leaves: they carry the
 * included-nonce cursor that rejects replays), and three heaps:
 *   ready  - each sender's eligible head, by rank (selection, select.c);
 *   tail   - each sender's highest-nonce record, lowest keep-priority on top
 *            (eviction takes a sender's tail so it never opens a nonce gap);
 *   expiry - every record by (expires_ms, envelope_id, tx hash).
 * The heaps are sized to the capacity up front, so once an admission has
 * passed its checks and allocated its node, the commit cannot fail.
 */
#include <stddef.h>
#include <string.h>

#include "mempool_int.h"

struct aegis_mempool {
    struct aegis_mempool_config cfg;
    struct aegis__htab by_tx, by_env, senders;
    struct aegis__heap ready, tail, expiry;
    size_t count;
    struct aegis__mp_node *oldest, *newest;   /* admission order */
    uint64_t next_seq;
    uint64_t next_batch;
    aegis_mempool_rank_fn rank_fn;
    const void *rank_ctx;
    uint64_t rank_tag;
};

/* ---------------- orders ---------------- */

/* Keep-priority: negative when a should be evicted before b. */
static int keep_cmp(const struct aegis__mp_node *a, const struct aegis__mp_node *b)
{
    const struct aegis_tx_class *x = &a->pub.cls, *y = &b->pub.cls;
    int pa = x->asset_level > 0 || x->migration, pb = y->asset_level > 0 || y->migration;
    if (pa != pb)
        return pa - pb;
    if (x->asset_level != y->asset_level)
        return x->asset_level < y->asset_level ? -1 : 1;
    if (x->migration != y->migration)
        return x->migration ? 1 : -1;
    if (x->risk_score != y->risk_score)
        return x->risk_score < y->risk_score ? -1 : 1;
    int c = memcmp(a->pub.priority_fee, b->pub.priority_fee, AEGIS_U256_BYTES);
    if (c)
        return c;
    c = memcmp(a->pub.max_fee, b->pub.max_fee, AEGIS_U256_BYTES);
    if (c)
        return c;
    /* Equal priority: the newer envelope goes first, then the larger hash. */
    if (a->pub.envelope_id != b->pub.envelope_id)
        return a->pub.envelope_id > b->pub.envelope_id ? -1 : 1;
    return -memcmp(a->pub.tx_hash, b->pub.tx_hash, AEGIS_MEMPOOL_HASH_BYTES);
}

static bool tail_before(const void *a, const void *b)
{
    return keep_cmp(a, b) < 0;
}

static bool expiry_before(const void *a, const void *b)
{
    const struct aegis__mp_node *x = a, *y = b;
    if (x->pub.expires_ms != y->pub.expires_ms)
        return x->pub.expires_ms < y->pub.expires_ms;
    if (x->pub.envelope_id != y->pub.envelope_id)
        return x->pub.envelope_id < y->pub.envelope_id;
    return memcmp(x->pub.tx_hash, y->pub.tx_hash, AEGIS_MEMPOOL_HASH_BYTES) < 0;
}

static void default_rank(const void *ctx, const struct aegis_mempool_tx *tx, struct aegis_mempool_rank *out)
{
    (void)ctx;
    out->k[0] = 0;
    out->k[1] = 0;
    out->k[2] = ~tx->envelope_id;
}

/* ---------------- u256 fee bump ---------------- */

/* a * m as 5 little-endian 64-bit limbs, a big-endian u256. */
static void mul_small(const uint8_t a[32], uint32_t m, uint64_t out[5])
{
    unsigned __int128 carry = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t limb = aegis_get_be64(a + 24 - 8 * i);
        unsigned __int128 t = (unsigned __int128)limb * m + carry;
        out[i] = (uint64_t)t;
        carry = t >> 64;
    }
    out[4] = (uint64_t)carry;
}

static bool bump_ok(const uint8_t old_fee[32], const uint8_t new_fee[32], unsigned pct)
{
    uint64_t lhs[5], rhs[5];
    mul_small(new_fee, 100, lhs);
    mul_small(old_fee, 100u + pct, rhs);
    for (int i = 4; i >= 0; i--)
        if (lhs[i] != rhs[i])
            return lhs[i] > rhs[i];
    return true;
}

/* ---------------- lifecycle ---------------- */

void aegis_mempool_config_defaults(struct aegis_mempool_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->capacity = 10000;
    cfg->per_sender = 64;
    cfg->price_bump_pct = 10;
    cfg->expiry_ms = 3600000;
    cfg->max_raw = 131072;
}

void aegis_mempool_tx_free(struct aegis_mempool_tx *tx)
{
    if (!tx)
        return;
    aegis_free_secret((void *)tx->raw, tx->raw_len + tx->ext_len);
    aegis_free_secret(tx, sizeof(struct aegis__mp_node));
}

void aegis_mempool_txlist_clear(struct aegis_mempool_txlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        aegis_mempool_tx_free(l->v[i]);
    aegis_free(l->v);
    memset(l, 0, sizeof(*l));
}

static aegis_err list_reserve(struct aegis_mempool_txlist *l, size_t more)
{
    if (l->n + more <= l->cap)
        return AEGIS_OK;
    size_t cap = l->cap ? l->cap : 8;
    while (cap < l->n + more)
        cap *= 2;
    void *v = aegis_realloc(l->v, cap * sizeof(*l->v));
    if (!v)
        return AEGIS_ERR_NOMEM;
    l->v = v;
    l->cap = cap;
    return AEGIS_OK;
}

aegis_err aegis_mempool_new(const struct aegis_mempool_config *cfg, aegis_mempool **ret)
{
    if (!cfg || !ret || cfg->capacity == 0 || cfg->per_sender == 0 || cfg->price_bump_pct > 1000000)
        return AEGIS_ERR_INVAL;
    aegis_mempool *mp = aegis_calloc(1, sizeof(*mp));
    if (!mp)
        return AEGIS_ERR_NOMEM;
    mp->cfg = *cfg;
    mp->rank_fn = default_rank;
    aegis_err err;
    if ((err = aegis__htab_init(&mp->by_tx, cfg->capacity + 1,
                                offsetof(struct aegis__mp_node, pub.tx_hash), 32)) != AEGIS_OK ||
        (err = aegis__htab_init(&mp->by_env, cfg->capacity + 1,
                                offsetof(struct aegis__mp_node, pub.envelope_hash), 32)) != AEGIS_OK ||
        (err = aegis__htab_init(&mp->senders, 64, offsetof(struct aegis__mp_sender, addr), 20)) != AEGIS_OK ||
        (err = aegis__heap_init(&mp->ready, cfg->capacity + 1, offsetof(struct aegis__mp_node, head_pos),
                                aegis__mp_rank_before)) != AEGIS_OK ||
        (err = aegis__heap_init(&mp->tail, cfg->capacity + 1, offsetof(struct aegis__mp_node, tail_pos),
                                tail_before)) != AEGIS_OK ||
        (err = aegis__heap_init(&mp->expiry, cfg->capacity + 1, offsetof(struct aegis__mp_node, exp_pos),
                                expiry_before)) != AEGIS_OK) {
        aegis_mempool_free(mp);
        return err;
    }
    *ret = mp;
    return AEGIS_OK;
}

void aegis_mempool_free(aegis_mempool *mp)
{
    if (!mp)
        return;
    for (size_t i = 0; i < mp->by_tx.cap; i++)
        if (mp->by_tx.slots && mp->by_tx.slots[i])
            aegis_mempool_tx_free(mp->by_tx.slots[i]);
    for (size_t i = 0; i < mp->senders.cap; i++) {
        struct aegis__mp_sender *s = mp->senders.slots ? mp->senders.slots[i] : NULL;
        if (s) {
            aegis_free(s->txs);
            aegis_free_secret(s, sizeof(*s));
        }
    }
    aegis__htab_clear(&mp->by_tx);
    aegis__htab_clear(&mp->by_env);
    aegis__htab_clear(&mp->senders);
    aegis__heap_clear(&mp->ready);
    aegis__heap_clear(&mp->tail);
    aegis__heap_clear(&mp->expiry);
    aegis_free(mp);
}

size_t aegis_mempool_count(const aegis_mempool *mp) { return mp->count; }
void aegis_mempool_set_next_batch(aegis_mempool *mp, uint64_t n) { mp->next_batch = n; }
uint64_t aegis_mempool_next_batch(const aegis_mempool *mp) { return mp->next_batch; }
uint64_t aegis_mempool_ranker_tag(const aegis_mempool *mp) { return mp->rank_tag; }
bool aegis_mempool_ranker_is(const aegis_mempool *mp, aegis_mempool_rank_fn fn, const void *ctx, uint64_t tag)
{
    return mp->rank_fn == fn && mp->rank_ctx == ctx && mp->rank_tag == tag;
}

/* ---------------- per-sender bookkeeping ---------------- */

/* Index of the first record with nonce >= nonce. */
static size_t sender_lower_bound(const struct aegis__mp_sender *s, uint64_t nonce)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->txs[mid]->pub.nonce < nonce)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct aegis__mp_node *sender_find(const struct aegis__mp_sender *s, uint64_t nonce)
{
    size_t i = sender_lower_bound(s, nonce);
    return i < s->n && s->txs[i]->pub.nonce == nonce ? s->txs[i] : NULL;
}

/* Put the sender's eligible head in the ready heap and its tail in the
 * eviction heap, replacing whatever was there. */
static void sender_refresh(aegis_mempool *mp, struct aegis__mp_sender *s)
{
    struct aegis__mp_node *head = NULL, *tail = NULL;
    if (s->n > 0) {
        if (!s->nonce_known || s->txs[0]->pub.nonce == s->next_nonce)
            head = s->txs[0];
        tail = s->txs[s->n - 1];
    }
    if (s->head != head) {
        if (s->head)
            aegis__heap_remove(&mp->ready, s->head);
        if (head)
            aegis__heap_push(&mp->ready, head);
        s->head = head;
    }
    if (s->tail != tail) {
        if (s->tail)
            aegis__heap_remove(&mp->tail, s->tail);
        if (tail)
            aegis__heap_push(&mp->tail, tail);
        s->tail = tail;
    }
}

static aegis_err sender_get_or_add(aegis_mempool *mp, const uint8_t addr[20], struct aegis__mp_sender **ret)
{
    struct aegis__mp_sender *s = aegis__htab_get(&mp->senders, addr);
    if (!s) {
        if (aegis__htab_reserve(&mp->senders) != AEGIS_OK)
            return AEGIS_ERR_NOMEM;
        s = aegis_calloc(1, sizeof(*s));
        if (!s)
            return AEGIS_ERR_NOMEM;
        memcpy(s->addr, addr, 20);
        aegis__htab_put(&mp->senders, s);
    }
    *ret = s;
    return AEGIS_OK;
}

/* Room for one more record in the sender's queue (at most per_sender). */
static aegis_err sender_reserve(aegis_mempool *mp, struct aegis__mp_sender *s)
{
    if (s->n < s->cap)
        return AEGIS_OK;
    size_t ncap = s->cap ? s->cap * 2 : 4;
    if (ncap > mp->cfg.per_sender)
        ncap = mp->cfg.per_sender;
    void *v = ncap > s->n ? aegis_realloc(s->txs, ncap * sizeof(*s->txs)) : NULL;
    if (!v)
        return AEGIS_ERR_NOMEM;
    s->txs = v;
    s->cap = ncap;
    return AEGIS_OK;
}

/* Take a node out of every index; the caller owns it afterwards. */
static void unlink_node(aegis_mempool *mp, struct aegis__mp_node *node)
{
    struct aegis__mp_sender *s = node->sender;
    size_t i = sender_lower_bound(s, node->pub.nonce);
    memmove(&s->txs[i], &s->txs[i + 1], (s->n - i - 1) * sizeof(*s->txs));
    s->n--;
    sender_refresh(mp, s);
    aegis__htab_del(&mp->by_tx, node);
    aegis__htab_del(&mp->by_env, node);
    aegis__heap_remove(&mp->expiry, node);
    if (node->older)
        node->older->newer = node->newer;
    else
        mp->oldest = node->newer;
    if (node->newer)
        node->newer->older = node->older;
    else
        mp->newest = node->older;
    node->older = node->newer = NULL;
    node->sender = NULL;
    mp->count--;
}

/* Put a node (seq assigned, room reserved in s->txs) into every index as
 * the newest in admission order; cannot fail (the tables and heaps hold
 * capacity records). */
static void link_node(aegis_mempool *mp, struct aegis__mp_node *node, struct aegis__mp_sender *s)
{
    node->sender = s;
    mp->rank_fn(mp->rank_ctx, &node->pub, &node->rank);
    size_t i = sender_lower_bound(s, node->pub.nonce);
    memmove(&s->txs[i + 1], &s->txs[i], (s->n - i) * sizeof(*s->txs));
    s->txs[i] = node;
    s->n++;
    aegis__htab_put(&mp->by_tx, node);
    aegis__htab_put(&mp->by_env, node);
    aegis__heap_push(&mp->expiry, node);
    node->older = mp->newest;
    if (mp->newest)
        mp->newest->newer = node;
    else
        mp->oldest = node;
    mp->newest = node;
    mp->count++;
    sender_refresh(mp, s);
}

/* A new node holding a copy of *in, raw and extension bytes in one buffer
 * (raw[0 .. raw_len + ext_len)); in no index yet. NULL: no memory. */
static struct aegis__mp_node *node_copy(const struct aegis_mempool_tx *in)
{
    size_t raw_total = in->raw_len + in->ext_len;
    struct aegis__mp_node *node = aegis_calloc(1, sizeof(*node));
    uint8_t *raw = raw_total ? aegis_malloc(raw_total) : NULL;
    if (!node || (raw_total && !raw)) {
        aegis_free(node);
        aegis_free(raw);
        return NULL;
    }
    node->pub = *in;
    if (in->raw_len)
        memcpy(raw, in->raw, in->raw_len);
    if (in->ext_len)
        memcpy(raw + in->raw_len, in->ext, in->ext_len);
    node->pub.raw = raw;
    node->pub.ext = in->ext_len ? raw + in->raw_len : NULL;
    node->head_pos = node->tail_pos = node->exp_pos = AEGIS__NOPOS;
    return node;
}

/* ---------------- admission ---------------- */

aegis_err aegis_mempool_add(aegis_mempool *mp, const struct aegis_mempool_tx *in, uint64_t now_ms,
                            struct aegis_mempool_admit *ret)
{
    if (!mp || !in || !ret || (in->raw_len && !in->raw) || (in->ext_len && !in->ext))
        return AEGIS_ERR_INVAL;
    if (in->raw_len > mp->cfg.max_raw || in->ext_len > mp->cfg.max_raw - in->raw_len)
        return AEGIS_ERR_MEMPOOL_TX_TOO_BIG;
    size_t raw_total = in->raw_len + in->ext_len;

    struct aegis_tx_class cls = { 0 };
    if (mp->cfg.classifier.classify) {
        aegis_err cerr = mp->cfg.classifier.classify(mp->cfg.classifier.ctx, in, &cls);
        if (cerr != AEGIS_OK)
            return cerr;
        if (cls.risk_score > AEGIS_RISK_SCORE_MAX || cls.asset_level > AEGIS_ASSET_LEVEL_MAX)
            return AEGIS_ERR_MEMPOOL_BAD_CLASS;
    }
    uint64_t expires = in->expires_ms;
    if (!expires)
        expires = now_ms + mp->cfg.expiry_ms < now_ms ? UINT64_MAX : now_ms + mp->cfg.expiry_ms;
    if (expires <= now_ms)
        return AEGIS_ERR_MEMPOOL_EXPIRED;
    if (in->nonce == UINT64_MAX)
        return AEGIS_ERR_MEMPOOL_NONCE_MAX;

    struct aegis__mp_sender *s = aegis__htab_get(&mp->senders, in->sender);
    if (s && s->nonce_known && in->nonce < s->next_nonce)
        return AEGIS_ERR_MEMPOOL_NONCE_USED;
    if (aegis__htab_get(&mp->by_env, in->envelope_hash))
        return AEGIS_ERR_MEMPOOL_DUP_ENVELOPE;
    if (aegis__htab_get(&mp->by_tx, in->tx_hash))
        return AEGIS_ERR_MEMPOOL_DUP_TX;

    /* Build the node first: ranks and keep-priority compare nodes. */
    struct aegis__mp_node *node = node_copy(in);
    if (!node)
        return AEGIS_ERR_NOMEM;
    uint8_t *raw = (uint8_t *)node->pub.raw;
    node->pub.expires_ms = expires;
    node->pub.admitted_ms = now_ms;
    node->pub.admitted_batch = mp->next_batch;
    node->pub.cls = cls;

    aegis_err err = AEGIS_OK;
    struct aegis__mp_node *old = s ? sender_find(s, in->nonce) : NULL, *victim = NULL;
    if (old) {
        if (!bump_ok(old->pub.max_fee, in->max_fee, mp->cfg.price_bump_pct) ||
            !bump_ok(old->pub.priority_fee, in->priority_fee, mp->cfg.price_bump_pct)) {
            err = AEGIS_ERR_MEMPOOL_UNDERPRICED;
            goto fail;
        }
    } else {
        if (s && s->n >= mp->cfg.per_sender) {
            err = AEGIS_ERR_MEMPOOL_SENDER_LIMIT;
            goto fail;
        }
        if (mp->count >= mp->cfg.capacity) {
            victim = aegis__heap_top(&mp->tail);
            /* Only a strictly lower record goes, and never the new record's
             * own sender (dropping its tail could strand the new nonce). */
            if (!victim || victim->sender == s || keep_cmp(node, victim) <= 0) {
                err = AEGIS_ERR_MEMPOOL_FULL;
                goto fail;
            }
        }
    }
    if (!s && (err = sender_get_or_add(mp, in->sender, &s)) != AEGIS_OK)
        goto fail;
    if (!old && (err = sender_reserve(mp, s)) != AEGIS_OK)
        goto fail;

    /* Commit: nothing below can fail. */
    memset(ret, 0, sizeof(*ret));
    if (old) {
        unlink_node(mp, old);
        ret->dropped = &old->pub;
        ret->drop = AEGIS_MEMPOOL_DROP_REPLACED;
    } else if (victim) {
        unlink_node(mp, victim);
        ret->dropped = &victim->pub;
        ret->drop = AEGIS_MEMPOOL_DROP_EVICTED;
    }
    node->pub.seq = mp->next_seq++;
    link_node(mp, node, s);
    ret->seq = node->pub.seq;
    ret->tx = &node->pub;
    return AEGIS_OK;

fail:
    aegis_free_secret(raw, raw_total);
    aegis_free_secret(node, sizeof(*node));
    return err;
}

/* ---------------- lookup and removal ---------------- */

const struct aegis_mempool_tx *aegis_mempool_get(const aegis_mempool *mp, const uint8_t tx_hash[32])
{
    struct aegis__mp_node *n = aegis__htab_get(&mp->by_tx, tx_hash);
    return n ? &n->pub : NULL;
}

const struct aegis_mempool_tx *aegis_mempool_get_envelope(const aegis_mempool *mp, const uint8_t env_hash[32])
{
    struct aegis__mp_node *n = aegis__htab_get(&mp->by_env, env_hash);
    return n ? &n->pub : NULL;
}

aegis_err aegis_mempool_remove(aegis_mempool *mp, const uint8_t tx_hash[32], struct aegis_mempool_tx **ret)
{
    struct aegis__mp_node *n = aegis__htab_get(&mp->by_tx, tx_hash);
    if (!n)
        return AEGIS_ERR_NOT_FOUND;
    unlink_node(mp, n);
    *ret = &n->pub;
    return AEGIS_OK;
}

aegis_err aegis_mempool_set_sender_nonce(aegis_mempool *mp, const uint8_t sender[20], uint64_t next,
                                         struct aegis_mempool_txlist *out)
{
    struct aegis__mp_sender *s = NULL;
    aegis_err err = sender_get_or_add(mp, sender, &s);
    if (err != AEGIS_OK)
        return err;
    size_t drop = sender_lower_bound(s, next);
    if ((err = list_reserve(out, drop)) != AEGIS_OK)
        return err;
    if (!s->nonce_known || next > s->next_nonce) {
        s->nonce_known = true;
        s->next_nonce = next;
    }
    while (s->n > 0 && s->txs[0]->pub.nonce < s->next_nonce) {
        struct aegis__mp_node *n = s->txs[0];
        unlink_node(mp, n);
        out->v[out->n++] = &n->pub;
    }
    sender_refresh(mp, s);
    return AEGIS_OK;
}

size_t aegis_mempool_each_sender_nonce(const aegis_mempool *mp, aegis_mempool_nonce_fn fn, void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; mp->senders.slots && i < mp->senders.cap; i++) {
        const struct aegis__mp_sender *s = mp->senders.slots[i];
        if (s && s->nonce_known) {
            fn(ctx, s->addr, s->next_nonce);
            n++;
        }
    }
    return n;
}

aegis_err aegis_mempool_mark_included(aegis_mempool *mp, const uint8_t sender[20], uint64_t nonce,
                                      struct aegis_mempool_txlist *out)
{
    if (nonce == UINT64_MAX)
        return AEGIS_ERR_MEMPOOL_NONCE_MAX;
    return aegis_mempool_set_sender_nonce(mp, sender, nonce + 1, out);
}

aegis_err aegis_mempool_expire(aegis_mempool *mp, uint64_t now_ms, struct aegis_mempool_txlist *out)
{
    size_t k = 0;
    /* Count first so the list can be sized before anything moves. */
    struct aegis__mp_node *top;
    for (size_t i = 0; i < mp->expiry.n; i++)
        if (((struct aegis__mp_node *)mp->expiry.v[i])->pub.expires_ms <= now_ms)
            k++;
    aegis_err err = list_reserve(out, k);
    if (err != AEGIS_OK)
        return err;
    while ((top = aegis__heap_top(&mp->expiry)) && top->pub.expires_ms <= now_ms) {
        unlink_node(mp, top);
        out->v[out->n++] = &top->pub;
    }
    return AEGIS_OK;
}

size_t aegis_mempool_recheck(aegis_mempool *mp, aegis_mempool_check_fn check, aegis_mempool_drop_fn drop,
                             void *ctx)
{
    size_t removed = 0;
    struct aegis__mp_node *n = mp->oldest;
    while (n) {
        struct aegis__mp_node *next = n->newer;   /* n may leave below */
        aegis_err why = check(ctx, &n->pub);
        if (why != AEGIS_OK) {
            unlink_node(mp, n);
            removed++;
            if (drop)
                drop(ctx, &n->pub, why);
            else
                aegis_mempool_tx_free(&n->pub);
        }
        n = next;
    }
    return removed;
}

/* ---------------- state: what a restart puts back ---------------- */

size_t aegis_mempool_each(const aegis_mempool *mp, aegis_mempool_tx_fn fn, void *ctx)
{
    size_t n = 0;
    for (const struct aegis__mp_node *x = mp->oldest; x; x = x->newer, n++)
        fn(ctx, &x->pub);
    return n;
}

uint64_t aegis_mempool_next_seq(const aegis_mempool *mp) { return mp->next_seq; }

void aegis_mempool_set_next_seq(aegis_mempool *mp, uint64_t next_seq)
{
    if (next_seq > mp->next_seq)
        mp->next_seq = next_seq;
}

aegis_err aegis_mempool_restore(aegis_mempool *mp, const struct aegis_mempool_tx *rec)
{
    if (!mp || !rec || (rec->raw_len && !rec->raw) || (rec->ext_len && !rec->ext) || rec->seq == UINT64_MAX ||
        (mp->newest && rec->seq <= mp->newest->pub.seq) || rec->raw_len > mp->cfg.max_raw ||
        rec->ext_len > mp->cfg.max_raw - rec->raw_len || rec->cls.risk_score > AEGIS_RISK_SCORE_MAX ||
        rec->cls.asset_level > AEGIS_ASSET_LEVEL_MAX || aegis__htab_get(&mp->by_env, rec->envelope_hash) ||
        aegis__htab_get(&mp->by_tx, rec->tx_hash))
        return AEGIS_ERR_INVAL;
    if (mp->count >= mp->cfg.capacity)
        return AEGIS_ERR_MEMPOOL_FULL;
    struct aegis__mp_sender *s = aegis__htab_get(&mp->senders, rec->sender);
    if (s && ((s->nonce_known && rec->nonce < s->next_nonce) || sender_find(s, rec->nonce)))
        return AEGIS_ERR_INVAL;
    if (s && s->n >= mp->cfg.per_sender)
        return AEGIS_ERR_MEMPOOL_SENDER_LIMIT;
    struct aegis__mp_node *node = node_copy(rec);
    aegis_err err = node ? AEGIS_OK : AEGIS_ERR_NOMEM;
    if (!err && !s)
        err = sender_get_or_add(mp, rec->sender, &s);
    if (!err)
        err = sender_reserve(mp, s);
    if (err) {
        aegis_mempool_tx_free(node ? &node->pub : NULL);
        return err;
    }
    link_node(mp, node, s);
    if (rec->seq >= mp->next_seq)
        mp->next_seq = rec->seq + 1;
    return AEGIS_OK;
}

/* ---------------- ranking ---------------- */

void aegis_mempool_set_ranker(aegis_mempool *mp, aegis_mempool_rank_fn fn, const void *ctx, uint64_t tag)
{
    mp->rank_fn = fn ? fn : default_rank;
    mp->rank_ctx = fn ? ctx : NULL;
    mp->rank_tag = fn ? tag : 0;
    for (size_t i = 0; i < mp->by_tx.cap; i++) {
        struct aegis__mp_node *n = mp->by_tx.slots[i];
        if (n)
            mp->rank_fn(mp->rank_ctx, &n->pub, &n->rank);
    }
    /* Rebuild the ready heap under the new order. */
    for (size_t i = 0; i < mp->ready.n; i++)
        ((struct aegis__mp_node *)mp->ready.v[i])->head_pos = AEGIS__NOPOS;
    mp->ready.n = 0;
    for (size_t i = 0; i < mp->senders.cap; i++) {
        struct aegis__mp_sender *s = mp->senders.slots[i];
        if (s && s->head)
            aegis__heap_push(&mp->ready, s->head);
    }
}

const struct aegis__heap *aegis__mempool_ready(const aegis_mempool *mp) { return &mp->ready; }
