/* migrate_int.h - internals shared by the src/migrate/ files. */
#ifndef AEGIS_MIGRATE_INT_H
#define AEGIS_MIGRATE_INT_H

#include "aegis/checkpoint.h"

json_t *aegis__mig_hex(const uint8_t *p, size_t n);
/* "0x" + exactly 2n hex digits. */
bool aegis__mig_get_hex(const json_t *v, uint8_t *out, size_t n);
/* "0x" + up to 2*max hex digits (allocated; "0x" alone gives len 0, NULL). */
aegis_err aegis__mig_get_hex_alloc(const json_t *v, size_t max, uint8_t **ret, size_t *ret_len);
bool aegis__mig_get_uint(const json_t *v, uint64_t max, uint64_t *out);
bool aegis__mig_only_keys(const json_t *obj, const char *const *keys);
bool aegis__mig_valid_id(const char *s, size_t max);

#endif
