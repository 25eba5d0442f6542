/*
 * structs.c - the mempool's hash table and indexed heap (see mempool_int.h).
 */
#include <string.h>

#include "aegis/crypto.h"
#include "mempool_int.h"

/* ---------------- hash table ---------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint64_t key_hash(const struct aegis__htab *t, const uint8_t *key)
{
    uint64_t h = t->seed;
    size_t i = 0;
    for (; i + 8 <= t->key_len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = mix64(h ^ w);
    }
    if (i < t->key_len) {
        uint64_t w = 0;
        memcpy(&w, key + i, t->key_len - i);
        h = mix64(h ^ w ^ ((uint64_t)(t->key_len - i) << 56));
    }
    return h;
}

static const uint8_t *item_key(const struct aegis__htab *t, const void *item)
{
    return (const uint8_t *)item + t->key_off;
}

aegis_err aegis__htab_init(struct aegis__htab *t, size_t min_items, size_t key_off, size_t key_len)
{
    memset(t, 0, sizeof(*t));
    size_t cap = 16;
    while (cap < min_items * 2)
        cap <<= 1;
    aegis_err err = aegis_random_bytes((uint8_t *)&t->seed, sizeof(t->seed));
    if (err != AEGIS_OK)
        return err;
    t->slots = aegis_calloc(cap, sizeof(void *));
    if (!t->slots)
        return AEGIS_ERR_NOMEM;
    t->cap = cap;
    t->key_off = key_off;
    t->key_len = key_len;
    return AEGIS_OK;
}

void aegis__htab_clear(struct aegis__htab *t)
{
    aegis_free(t->slots);
    memset(t, 0, sizeof(*t));
}

void *aegis__htab_get(const struct aegis__htab *t, const uint8_t *key)
{
    size_t mask = t->cap - 1;
    for (size_t i = key_hash(t, key) & mask;; i = (i + 1) & mask) {
        void *it = t->slots[i];
        if (!it)
            return NULL;
        if (memcmp(item_key(t, it), key, t->key_len) == 0)
            return it;
    }
}

static void raw_put(void **slots, size_t cap, const struct aegis__htab *t, void *item)
{
    size_t mask = cap - 1;
    size_t i = key_hash(t, item_key(t, item)) & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = item;
}

aegis_err aegis__htab_reserve(struct aegis__htab *t)
{
    if ((t->n + 1) * 2 <= t->cap)
        return AEGIS_OK;
    size_t ncap = t->cap * 2;
    void **ns = aegis_calloc(ncap, sizeof(void *));
    if (!ns)
        return AEGIS_ERR_NOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i])
            raw_put(ns, ncap, t, t->slots[i]);
    aegis_free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return AEGIS_OK;
}

void aegis__htab_put(struct aegis__htab *t, void *item)
{
    if ((t->n + 1) * 2 > t->cap)
        aegis_misuse("aegis__htab_put without reserve");
    raw_put(t->slots, t->cap, t, item);
    t->n++;
}

void aegis__htab_del(struct aegis__htab *t, const void *item)
{
    size_t mask = t->cap - 1;
    size_t i = key_hash(t, item_key(t, item)) & mask;
    while (t->slots[i] != item) {
        if (!t->slots[i])
            return;
        i = (i + 1) & mask;
    }
    /* Backward-shift deletion keeps every probe chain unbroken. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t home = key_hash(t, item_key(t, t->slots[j])) & mask;
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole] = NULL;
    t->n--;
}

/* ---------------- indexed heap ---------------- */

static void set_pos(const struct aegis__heap *h, void *item, size_t pos)
{
    memcpy((uint8_t *)item + h->pos_off, &pos, sizeof(pos));
}

static size_t get_pos(const struct aegis__heap *h, const void *item)
{
    size_t pos;
    memcpy(&pos, (const uint8_t *)item + h->pos_off, sizeof(pos));
    return pos;
}

aegis_err aegis__heap_init(struct aegis__heap *h, size_t cap, size_t pos_off,
                           bool (*before)(const void *a, const void *b))
{
    memset(h, 0, sizeof(*h));
    h->v = aegis_calloc(cap ? cap : 1, sizeof(void *));
    if (!h->v)
        return AEGIS_ERR_NOMEM;
    h->cap = cap;
    h->pos_off = pos_off;
    h->before = before;
    return AEGIS_OK;
}

void aegis__heap_clear(struct aegis__heap *h)
{
    aegis_free(h->v);
    memset(h, 0, sizeof(*h));
}

static void place(struct aegis__heap *h, size_t i, void *item)
{
    h->v[i] = item;
    set_pos(h, item, i);
}

static void sift_up(struct aegis__heap *h, size_t i)
{
    void *it = h->v[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!h->before(it, h->v[p]))
            break;
        place(h, i, h->v[p]);
        i = p;
    }
    place(h, i, it);
}

static void sift_down(struct aegis__heap *h, size_t i)
{
    void *it = h->v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->before(h->v[c + 1], h->v[c]))
            c++;
        if (!h->before(h->v[c], it))
            break;
        place(h, i, h->v[c]);
        i = c;
    }
    place(h, i, it);
}

void aegis__heap_push(struct aegis__heap *h, void *item)
{
    if (h->n >= h->cap)
        aegis_misuse("aegis__heap_push past capacity");
    h->v[h->n] = item;
    sift_up(h, h->n++);
}

void aegis__heap_remove(struct aegis__heap *h, void *item)
{
    size_t i = get_pos(h, item);
    if (i >= h->n || h->v[i] != item)
        aegis_misuse("aegis__heap_remove: item not in heap");
    set_pos(h, item, AEGIS__NOPOS);
    h->n--;
    if (i == h->n)
        return;
    void *moved = h->v[h->n];
    place(h, i, moved);
    sift_up(h, i);
    sift_down(h, get_pos(h, moved));
}

bool aegis__mp_rank_before(const void *a, const void *b)
{
    const struct aegis__mp_node *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x->rank.k[i] != y->rank.k[i])
            return x->rank.k[i] > y->rank.k[i];
    return memcmp(x->pub.tx_hash, y->pub.tx_hash, AEGIS_MEMPOOL_HASH_BYTES) < 0;
}
