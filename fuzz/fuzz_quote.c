/*
 * fuzz_quote.c - libFuzzer target for the DCAP quote parser and the parts of
 * verification that read quote bytes without collateral: PEM chain and PCK
 * SGX extension parsing (aegis_quote_pck_info). Must never crash or leak.
 * Seeds: fuzz/corpus/quote/ (real quotes, truncations, bad lengths, v5 bodies).
 */
#include <stdint.h>
#include <string.h>

#include "aegis/attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aegis_quote q;
    aegis_pck_info pck;
    const char *msg = NULL;
    if (aegis_quote_parse(data, size, &q, &msg) != AEGIS_OK)
        return 0;
    /* touch what the parser claims is in bounds */
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < q.signed_len; i++)
        sink ^= q.signed_data[i];
    for (size_t i = 0; i < q.qe_auth_len; i++)
        sink ^= q.qe_auth_data[i];
    for (size_t i = 0; i < q.cert_len; i++)
        sink ^= q.cert_data[i];
    (void)sink;
    if (q.parsed_len > size || q.signed_len > q.parsed_len)
        __builtin_trap();
    if (aegis_quote_pck_info(&q, &pck, &msg) == AEGIS_OK && strcmp(pck.ca, "platform") != 0 &&
        strcmp(pck.ca, "processor") != 0)
        __builtin_trap();
    return 0;
}
