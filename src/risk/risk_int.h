/* risk_int.h - internals shared by the src/risk/ files. */
#ifndef AEGIS_RISK_INT_H
#define AEGIS_RISK_INT_H

#include "aegis/risk.h"

/* 1..max bytes of [A-Za-z0-9._:/-]. */
bool aegis__risk_valid_id(const char *s, size_t max);
/* "0x" + hex of n bytes (new ref) / exact decode of such a string. */
json_t *aegis__risk_hex(const uint8_t *p, size_t n);
bool aegis__risk_get_hex(const json_t *v, uint8_t *out, size_t n);
/* A JSON integer in [0, max] (max <= INT64_MAX). */
bool aegis__risk_get_uint(const json_t *v, uint64_t max, uint64_t *out);
/* Every key of obj is in the NULL-terminated list. */
bool aegis__risk_only_keys(const json_t *obj, const char *const *keys);

#endif
