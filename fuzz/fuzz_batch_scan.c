/* fuzz_batch_scan.c - aegis_chain_scan_reply (src/chain/chain_scan.c), the
 * tree-less read of an aegis_waitBatch reply, against jansson,
 * differentially: whenever the scanner accepts an input, jansson parses it
 * too, and to the same answer as aegis loadgen's jansson path reads it -
 * the "error" member's presence, the result's kind (absent, null, batch
 * object), and for a batch every tx's hash, sender and nonce in order
 * (aegis_chain_get_hex, a non-negative integer nonce). Seeds:
 * fuzz/corpus/batch_scan/ (a real reply, null and error replies, and
 * inputs the scanner must decline). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/chain.h"
#include "aegis/chain_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aegis_chain_scan sc;
    aegis_err err = aegis_chain_scan_reply((const char *)data, size, &sc);
    if (err == AEGIS_ERR_UNSUPPORTED || err == AEGIS_ERR_TOO_BIG)
        return 0;
    if (err)
        abort();
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (!j)
        abort();   /* accepted what jansson refuses */
    if (sc.has_error != (json_object_get(j, "error") != NULL))
        abort();
    json_t *res = json_object_get(j, "result");
    int kind = !res ? AEGIS_CHAIN_SCAN_NO_RESULT : json_is_null(res) ? AEGIS_CHAIN_SCAN_NULL
               : json_is_object(res)                 ? AEGIS_CHAIN_SCAN_BATCH
                                                     : -1;
    if (kind != sc.result)
        abort();
    if (kind == AEGIS_CHAIN_SCAN_BATCH) {
        json_t *txs = json_object_get(res, "txs");
        if (json_array_size(txs) != sc.n_txs || (txs && !json_is_array(txs)))
            abort();
        for (size_t i = 0; i < sc.n_txs; i++) {
            json_t *t = json_array_get(txs, i);
            uint8_t h[32], s[20];
            json_t *n = json_object_get(t, "nonce");
            if (aegis_chain_get_hex(t, "hash", h, 32) || aegis_chain_get_hex(t, "sender", s, 20) ||
                !json_is_integer(n) || json_integer_value(n) < 0 ||
                (uint64_t)json_integer_value(n) != sc.txs[i].nonce || memcmp(h, sc.txs[i].hash, 32) != 0 ||
                memcmp(s, sc.txs[i].sender, 20) != 0)
                abort();
        }
    } else if (sc.n_txs) {
        abort();
    }
    json_decref(j);
    aegis_chain_scan_clear(&sc);
    return 0;
}
