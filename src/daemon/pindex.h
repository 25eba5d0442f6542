/* pindex.h - public index of published batches (host side). Not thread-safe:
 * the pipeline guards it with its lock. */
#ifndef AEGISD_PINDEX_H
#define AEGISD_PINDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "aegis/util.h"

struct aegisd_pindex_ent {
    uint8_t key[32];
    uint64_t batch;
    uint32_t pos;
    bool used;
};

typedef struct aegisd_pindex {
    struct aegisd_pindex_ent *v;
    size_t n, cap;
} aegisd_pindex;

aegis_err aegisd_pindex_put(aegisd_pindex *ix, const uint8_t key[32], uint64_t batch, uint32_t pos);
bool aegisd_pindex_get(const aegisd_pindex *ix, const uint8_t key[32], uint64_t *batch, uint32_t *pos);
void aegisd_pindex_id_key(uint8_t key[32], uint64_t envelope_id);
void aegisd_pindex_clear(aegisd_pindex *ix);

#endif
