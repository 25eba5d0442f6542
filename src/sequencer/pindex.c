/* pindex.c - the host's public index of published batches: tx hash and
 * envelope id -> (batch number, position). Built from published batches
 * only (public data), so it lives on the host side. Open addressing,
 * linear probing, grows at 50% load. */
#include <string.h>

#include "pindex.h"

static uint64_t slot_of(const uint8_t key[32], size_t cap)
{
    uint64_t h;
    memcpy(&h, key, 8);   /* keys are hashes or are mixed below */
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h & (cap - 1);
}

static aegis_err grow(aegis_seq_pindex *ix)
{
    size_t ncap = ix->cap ? ix->cap * 2 : 1024;
    struct aegis_seq_pindex_ent *n = aegis_calloc(ncap, sizeof(*n));
    if (!n)
        return AEGIS_ERR_NOMEM;
    for (size_t i = 0; i < ix->cap; i++) {
        if (!ix->v[i].used)
            continue;
        uint64_t s = slot_of(ix->v[i].key, ncap);
        while (n[s].used)
            s = (s + 1) & (ncap - 1);
        n[s] = ix->v[i];
    }
    aegis_free(ix->v);
    ix->v = n;
    ix->cap = ncap;
    return AEGIS_OK;
}

aegis_err aegis_seq_pindex_put(aegis_seq_pindex *ix, const uint8_t key[32], uint64_t batch, uint32_t pos)
{
    if ((ix->n + 1) * 2 > ix->cap) {
        aegis_err err = grow(ix);
        if (err)
            return err;
    }
    uint64_t s = slot_of(key, ix->cap);
    while (ix->v[s].used && memcmp(ix->v[s].key, key, 32) != 0)
        s = (s + 1) & (ix->cap - 1);
    if (!ix->v[s].used)
        ix->n++;
    ix->v[s].used = true;
    memcpy(ix->v[s].key, key, 32);
    ix->v[s].batch = batch;
    ix->v[s].pos = pos;
    return AEGIS_OK;
}

bool aegis_seq_pindex_get(const aegis_seq_pindex *ix, const uint8_t key[32], uint64_t *batch, uint32_t *pos)
{
    if (!ix->cap)
        return false;
    uint64_t s = slot_of(key, ix->cap);
    while (ix->v[s].used) {
        if (memcmp(ix->v[s].key, key, 32) == 0) {
            *batch = ix->v[s].batch;
            *pos = ix->v[s].pos;
            return true;
        }
        s = (s + 1) & (ix->cap - 1);
    }
    return false;
}

void aegis_seq_pindex_id_key(uint8_t key[32], uint64_t envelope_id)
{
    /* A 32-byte key that can never equal a keccak hash in practice: a tag,
     * then the id mixed so the slot function spreads it. */
    memset(key, 0, 32);
    uint64_t m = envelope_id * 0x9e3779b97f4a7c15ull;
    memcpy(key, &m, 8);
    memcpy(key + 8, &envelope_id, 8);
    memcpy(key + 16, "ENVELOPE-ID-KEY!", 16);
}

void aegis_seq_pindex_clear(aegis_seq_pindex *ix)
{
    aegis_free(ix->v);
    memset(ix, 0, sizeof(*ix));
}
