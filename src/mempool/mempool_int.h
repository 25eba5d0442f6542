/*
 * mempool_int.h - internals shared by the mempool's files: the pooled node,
 * the per-sender queue, an open-addressing hash table and an indexed binary
 * heap. None of these structures' iteration orders ever reaches an output
 * that must be deterministic; selection order comes from ranks alone.
 */
#ifndef AEGIS_MEMPOOL_INT_H
#define AEGIS_MEMPOOL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "aegis/mempool.h"

#define AEGIS__NOPOS ((size_t)-1)

struct aegis__mp_sender;

/* A pooled record: the public struct first, so a record pointer handed to
 * the caller is also the node pointer. */
struct aegis__mp_node {
    struct aegis_mempool_tx pub;
    struct aegis__mp_sender *sender;
    struct aegis_mempool_rank rank;
    size_t head_pos;    /* index in the ready heap (or NOPOS) */
    size_t tail_pos;    /* index in the eviction heap (or NOPOS) */
    size_t exp_pos;     /* index in the expiry heap */
    /* admission order (seq ascending): a list, so re-checks walk it
     * without allocating */
    struct aegis__mp_node *older, *newer;
};

/* Per sender: pending records sorted by nonce, the nonce cursor, and which
 * of its records currently sit in the ready / eviction heaps. */
struct aegis__mp_sender {
    uint8_t addr[AEGIS_MEMPOOL_ADDR_BYTES];
    bool nonce_known;
    uint64_t next_nonce;
    struct aegis__mp_node **txs;
    size_t n, cap;
    struct aegis__mp_node *head;   /* in the ready heap */
    struct aegis__mp_node *tail;   /* in the eviction heap */
};

/* ---- open addressing, linear probing, backward-shift deletion ----
 * Items are pointers; the key is key_len bytes at key_off inside the item.
 * The hash is keyed with a random per-table seed (hash flooding). */
struct aegis__htab {
    void **slots;
    size_t cap;          /* power of two */
    size_t n;
    size_t key_off, key_len;
    uint64_t seed;
};
aegis_err aegis__htab_init(struct aegis__htab *t, size_t min_items, size_t key_off, size_t key_len);
void aegis__htab_clear(struct aegis__htab *t);
void *aegis__htab_get(const struct aegis__htab *t, const uint8_t *key);
/* Make room for one more insert (may grow): the following put cannot fail. */
aegis_err aegis__htab_reserve(struct aegis__htab *t);
void aegis__htab_put(struct aegis__htab *t, void *item);   /* key must be absent */
void aegis__htab_del(struct aegis__htab *t, const void *item);

/* ---- indexed binary heap: before(a, b) puts a nearer the top ---- */
struct aegis__heap {
    void **v;
    size_t n, cap;
    size_t pos_off;      /* offset of a size_t position inside each item */
    bool (*before)(const void *a, const void *b);
};
aegis_err aegis__heap_init(struct aegis__heap *h, size_t cap, size_t pos_off,
                           bool (*before)(const void *a, const void *b));
void aegis__heap_clear(struct aegis__heap *h);
void aegis__heap_push(struct aegis__heap *h, void *item);   /* n < cap */
void aegis__heap_remove(struct aegis__heap *h, void *item);
static inline void *aegis__heap_top(const struct aegis__heap *h) { return h->n ? h->v[0] : NULL; }

/* Ready-heap order: rank descending, then tx hash ascending. */
bool aegis__mp_rank_before(const void *a, const void *b);

/* The ready heap of a pool (select.c). */
const struct aegis__heap *aegis__mempool_ready(const aegis_mempool *mp);

#endif
