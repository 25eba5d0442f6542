/*
 * config_warn.c - the configuration warnings aegisd logs at start (and
 * `--check-config` prints), the simulated TEE first.
 */
#include <stdio.h>
#include <string.h>

#include "aegis/log.h"
#include "daemon.h"

static void warn(const char *mod, const char *text, bool to_stderr)
{
    if (to_stderr)
        fprintf(stderr, "aegisd: warning: %s\n", text);
    else
        AEGIS_LOGW(mod, text, NULL);
}

void aegisd_config_warnings(const aegis_config *cfg, bool to_stderr)
{
    const char *w[16];
    if (cfg->tee_primary && strcmp(cfg->tee_primary, "sim") == 0)
        warn("tee", "SIMULATED TEE: no hardware protection, keys and plaintext are NOT protected; "
                    "attestations are marked insecure and refused by verifiers without --allow-sim", to_stderr);
    size_t n = aegis_config_warnings(cfg, w, AEGIS_ARRAY_LEN(w));
    for (size_t i = 0; i < n && i < AEGIS_ARRAY_LEN(w); i++)
        warn("config", w[i], to_stderr);
}
