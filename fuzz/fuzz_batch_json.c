/* fuzz_batch_json.c - the published batch format: aegis_chain_batch_from_json
 * (and the seal / key-set records that share its helpers) on arbitrary JSON,
 * and aegis_batch_header_decode on raw bytes and on the header_abi field.
 *
 * Invariants checked on every accepted input:
 *   - the parsed batch is internally consistent (tx count bound, raw bytes
 *     inside the batch's own storage, header_abi = encoding of the header);
 *   - export -> parse -> export is a fixed point (the format round-trips);
 *   - verification never accepts it under an all-zero key set (no input
 *     forges an ML-DSA-87 signature), and never crashes;
 *   - a header that decodes re-encodes to exactly the same bytes (strict).
 * Seeds: fuzz/corpus/batch_json/ (real core batches + corruptions). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/batch.h"
#include "aegis/chain.h"

static void check_header_bytes(const uint8_t *in, size_t n)
{
    struct aegis_batch_header h;
    if (aegis_batch_header_decode(in, n, &h) != AEGIS_OK)
        return;
    uint8_t enc[AEGIS_BATCH_HEADER_BYTES];
    if (n != AEGIS_BATCH_HEADER_BYTES || aegis_batch_header_encode(&h, enc) != AEGIS_OK ||
        memcmp(enc, in, n) != 0)
        abort();
}

static char *dump(const aegis_chain_batch *b)
{
    json_t *j = aegis_chain_batch_to_json(b);
    if (!j)
        abort();
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        abort();
    return s;
}

static void check_batch(const aegis_chain_batch *b)
{
    if (b->n_txs > AEGIS_CHAIN_MAX_TXS || (b->n_txs && !b->txs))
        abort();
    for (size_t i = 0; i < b->n_txs; i++)
        if (b->txs[i].raw_len == 0 || !b->txs[i].raw)
            abort();
    uint8_t enc[AEGIS_BATCH_HEADER_BYTES];
    if (aegis_batch_header_encode(&b->h, enc) != AEGIS_OK)
        abort();
    check_header_bytes(enc, sizeof(enc));

    /* round trip */
    char *s1 = dump(b);
    json_t *j = json_loads(s1, 0, NULL);
    aegis_chain_batch b2;
    if (!j || aegis_chain_batch_from_json(j, &b2, NULL) != AEGIS_OK)
        abort();
    json_decref(j);
    char *s2 = dump(&b2);
    if (strcmp(s1, s2) != 0)
        abort();
    free(s1);
    free(s2);
    aegis_chain_batch_clear(&b2);

    /* never accepted under a key set that signed nothing */
    static aegis_keyset_pub zero;
    aegis_keyset_pub pub = zero;
    pub.epoch = b->h.key_epoch;
    aegis_chain_verify_opts opts = { .allow_sim = true };
    const char *why = NULL;
    if (aegis_chain_verify_batch(b, &pub, NULL, NULL, NULL, &opts, &why) == AEGIS_OK)
        abort();
    if (!why)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_header_bytes(data, size);
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, size, 0, &jerr);
    if (!j)
        return 0;
    aegis_chain_batch b;
    const char *why = NULL;
    if (aegis_chain_batch_from_json(j, &b, &why) == AEGIS_OK) {
        check_batch(&b);
        aegis_chain_batch_clear(&b);
    } else if (!why) {
        abort();
    }
    /* the header_abi field on its own */
    uint8_t *abi = NULL;
    size_t abi_len = 0;
    if (aegis_chain_get_hex_alloc(j, "header_abi", 4096, &abi, &abi_len) == AEGIS_OK) {
        check_header_bytes(abi, abi_len);
        aegis_free(abi);
    }
    /* the sibling records share the field helpers */
    aegis_chain_seal s;
    if (aegis_chain_seal_from_json(j, &s, NULL) == AEGIS_OK) {
        json_t *sj = aegis_chain_seal_to_json(&s);
        aegis_chain_seal s2;
        if (!sj || aegis_chain_seal_from_json(sj, &s2, NULL) != AEGIS_OK || memcmp(&s, &s2, sizeof(s)) != 0)
            abort();
        json_decref(sj);
    }
    aegis_keyset_pub pub;
    aegis_chain_attest att;
    if (aegis_chain_keyset_from_json(j, &pub, &att, NULL) == AEGIS_OK)
        aegis_free(att.quote);
    json_decref(j);
    return 0;
}
