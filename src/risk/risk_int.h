/* risk_int.h - internals shared by the src/risk/ files. */
#ifndef AEGIS_RISK_INT_H
#define AEGIS_RISK_INT_H

#include "aegis/json.h"
#include "aegis/risk.h"

/* 1..max bytes of [A-Za-z0-9._:/-]. */
bool aegis__risk_valid_id(const char *s, size_t max);

#endif
