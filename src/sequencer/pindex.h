/* pindex.h - public index of published batches (host side). Not thread-safe:
 * the pipeline guards it with its lock. */
#ifndef AEGIS_SEQ_PINDEX_H
#define AEGIS_SEQ_PINDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "aegis/util.h"

struct aegis_seq_pindex_ent {
    uint8_t key[32];
    uint64_t batch;
    uint32_t pos;
    bool used;
};

typedef struct aegis_seq_pindex {
    struct aegis_seq_pindex_ent *v;
    size_t n, cap;
} aegis_seq_pindex;

aegis_err aegis_seq_pindex_put(aegis_seq_pindex *ix, const uint8_t key[32], uint64_t batch, uint32_t pos);
bool aegis_seq_pindex_get(const aegis_seq_pindex *ix, const uint8_t key[32], uint64_t *batch, uint32_t *pos);
void aegis_seq_pindex_id_key(uint8_t key[32], uint64_t envelope_id);
void aegis_seq_pindex_clear(aegis_seq_pindex *ix);

#endif
