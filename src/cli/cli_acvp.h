/* cli_acvp.h - shared by cmd_acvp.c (driver) and cli_acvp_cases.c (handlers). */
#ifndef AEGIS_CLI_ACVP_H
#define AEGIS_CLI_ACVP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum acvp_result { ACVP_PASS, ACVP_FAIL, ACVP_SKIP };

/* One case: its JSON object plus the file-level fields as fallback. */
struct acvp_case {
    json_t *c;
    json_t *file;
    const char *why;      /* set by a handler on FAIL / SKIP */
};

/* Field of the case, else of the file; NULL if absent or JSON null. */
json_t *acvp_field(const struct acvp_case *k, const char *name);
const char *acvp_str(const struct acvp_case *k, const char *name);
bool acvp_bool(const struct acvp_case *k, const char *name, bool dflt);
/* Hex field into a fresh buffer (aegis_free it); false if absent or bad.
 * "" gives a valid 1-byte allocation with *len = 0. */
bool acvp_hex(const struct acvp_case *k, const char *name, uint8_t **out, size_t *len);

typedef enum acvp_result (*acvp_handler)(struct acvp_case *k);
/* Handler for (algorithm, mode, parameterSet), or NULL if unsupported. */
acvp_handler acvp_find_handler(const char *algorithm, const char *mode, const char *param);

#endif
