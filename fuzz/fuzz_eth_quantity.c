/* fuzz_eth_quantity.c - libFuzzer target for the Ethereum JSON-RPC QUANTITY
 * parser (aegis/tx.h) the L1 client reads node answers with: an accepted
 * string prints back to itself (lower case). Never crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aegis/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t v;
    if (aegis_eth_quantity_parse((const char *)data, size, &v) != AEGIS_OK)
        return 0;
    char back[24];
    int n = snprintf(back, sizeof(back), "0x%llx", (unsigned long long)v);
    if (n < 0 || (size_t)n != size || strncasecmp(back, (const char *)data, size) != 0)
        abort();
    return 0;
}
