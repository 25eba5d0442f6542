/* fuzz_qrm_state.c - libFuzzer target for the QRM Monitor's state-file
 * parser (aegis/qrm.h): an accepted state formats and parses back to the
 * same state. Never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/qrm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aegis_qrm_state st, back;
    if (aegis_qrm_state_parse((const char *)data, size, &st) != AEGIS_OK)
        return 0;
    char *s = aegis_qrm_state_format(&st);
    if (!s)
        abort();
    if (aegis_qrm_state_parse(s, strlen(s), &back) != AEGIS_OK || memcmp(&st, &back, sizeof(st)) != 0)
        abort();
    free(s);
    return 0;
}
