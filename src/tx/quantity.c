/* quantity.c - Ethereum JSON-RPC QUANTITY strings (aegis/tx.h): what an L1
 * node answers for nonces, gas, chain id and status. */
#include "aegis/tx.h"

aegis_err aegis_eth_quantity_parse(const char *s, size_t len, uint64_t *ret)
{
    if (!s || len < 3 || len > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return AEGIS_ERR_INVAL;
    if (s[2] == '0' && len > 3)
        return AEGIS_ERR_INVAL; /* leading zero */
    uint64_t v = 0;
    for (size_t i = 2; i < len; i++) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                          : 16u;
        if (d > 15)
            return AEGIS_ERR_INVAL;
        v = v << 4 | d;
    }
    *ret = v;
    return AEGIS_OK;
}
