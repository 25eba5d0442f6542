/* config_int.h - the schema table shared by src/config/ files. */
#ifndef AEGIS_CONFIG_INT_H
#define AEGIS_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "aegis/config.h"

enum aegis__cfg_type {
    AEGIS__CFG_STR,   /* char *; min/max bound the length in bytes */
    AEGIS__CFG_U64,   /* uint64_t; min/max bound the value */
    AEGIS__CFG_BOOL,  /* bool */
    AEGIS__CFG_LIST,  /* aegis_strlist of strings; min/max bound the count */
};

/* One configuration key: the single source for parsing, validation,
 * printing and docs/config.md. */
struct aegis__cfg_key {
    const char *section;
    const char *key;
    enum aegis__cfg_type type;
    const char *def;      /* default as text; lists are comma-separated */
    uint64_t min, max;
    const char *choices;  /* "a|b|c": allowed strings (each list item), or NULL */
    const char *doc;
    size_t off;           /* offsetof(aegis_config, field) */
    /* Optional extra check of a string value; returns static text on error. */
    const char *(*check)(const char *value);
};

extern const struct aegis__cfg_key aegis__cfg_schema[];
extern const size_t aegis__cfg_schema_len;
/* Section names in print order, and a one-line doc for each. */
extern const char *const aegis__cfg_sections[][2];
extern const size_t aegis__cfg_sections_len;
/* Cross-field rules in words, for docs/config.md. */
extern const char *const aegis__cfg_rules[];

const struct aegis__cfg_key *aegis__cfg_find(const char *section, const char *key);

#endif
