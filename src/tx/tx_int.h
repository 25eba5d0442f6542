/* tx_int.h - internals shared by the src/tx/ files. */
#ifndef AEGIS_TX_INT_H
#define AEGIS_TX_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "aegis/tx.h"

/* secp256k1 group order n and n/2 (big-endian). */
extern const uint8_t aegis__secp256k1_n[32];
extern const uint8_t aegis__secp256k1_half_n[32];

/* r/s range rules shared by decoder and tests: AEGIS_ERR_TX_SIG_RANGE when
 * r or s is 0 or >= n, AEGIS_ERR_TX_SIG_HIGH_S when s > n/2. */
aegis_err aegis__tx_check_rs(const uint8_t r[static 32], const uint8_t s[static 32]);

#endif
