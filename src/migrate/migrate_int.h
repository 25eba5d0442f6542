/* migrate_int.h - internals shared by the src/migrate/ files. */
#ifndef AEGIS_MIGRATE_INT_H
#define AEGIS_MIGRATE_INT_H

#include "aegis/checkpoint.h"
#include "aegis/json.h"

bool aegis__mig_valid_id(const char *s, size_t max);

#endif
