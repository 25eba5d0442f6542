/* fuzz_rlp.c - canonical RLP decoder: never crash, and anything accepted
 * re-encodes to exactly the same bytes (canonical means unique). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/rlp.h"

/* Re-encode item into e; depth is bounded by aegis_rlp_validate. */
static void reencode(aegis_rlp_enc *e, const aegis_rlp_item *it)
{
    if (!it->is_list) {
        aegis_rlp_enc_bytes(e, it->payload, it->len);
        return;
    }
    aegis_rlp_enc_list_begin(e);
    aegis_rlp_iter iter;
    aegis_rlp_iter_init(&iter, it);
    while (aegis_rlp_iter_more(&iter)) {
        aegis_rlp_item child;
        if (aegis_rlp_iter_next(&iter, &child) != AEGIS_OK)
            abort();    /* validate accepted it: children must decode */
        reencode(e, &child);
    }
    aegis_rlp_enc_list_end(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aegis_rlp_item it;
    size_t used = 0;
    if (aegis_rlp_decode_prefix(data, size, &it, &used) == AEGIS_OK) {
        if (used > size || it.raw_len != used || it.payload + it.len != data + used)
            abort();
        size_t count = 0;
        uint64_t u = 0;
        uint8_t be[32];
        if (it.is_list && aegis_rlp_count(&it, &count) == AEGIS_OK && count > it.len)
            abort();    /* every child takes at least one byte */
        if (aegis_rlp_get_uint(&it, &u) == AEGIS_OK && it.len > 8)
            abort();
        if (aegis_rlp_get_be(&it, be, sizeof(be)) == AEGIS_OK && it.len > 32)
            abort();
    }
    if (aegis_rlp_validate(data, size, 0) != AEGIS_OK)
        return 0;
    if (aegis_rlp_decode(data, size, &it) != AEGIS_OK)
        abort();
    /* validate() bounds nesting at 16, the encoder's limit too. */
    aegis_rlp_enc e;
    uint8_t *out = NULL;
    size_t n = 0;
    aegis_rlp_enc_init(&e, size + 16);
    reencode(&e, &it);
    if (aegis_rlp_enc_finish(&e, &out, &n) != AEGIS_OK)
        abort();
    if (n != size || memcmp(out, data, n) != 0)
        abort();
    aegis_free(out);
    return 0;
}
