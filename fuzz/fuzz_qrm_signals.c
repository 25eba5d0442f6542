/* fuzz_qrm_signals.c - libFuzzer target for the QRM Monitor's signals-file
 * parser (aegis/qrm.h): any input is parsed; an accepted file is scored and
 * the score must stay in range and be reproducible. Never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "aegis/qrm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static aegis_qrm_signals s;
    char msg[256];
    if (aegis_qrm_signals_parse((const char *)data, size, &s, msg, sizeof(msg)) != AEGIS_OK)
        return 0;
    struct aegis_qrm_result a, b;
    aegis_qrm_score(&s, &a);
    aegis_qrm_score(&s, &b);
    if (a.score > AEGIS_QRM_FULL || a.level > 2 || a.score != b.score || a.level != aegis_qrm_level(&s, a.score))
        abort();
    for (size_t i = 0; i < s.n; i++)
        if (a.risk[i] > AEGIS_QRM_FULL || a.part[i] > s.sig[i].weight)
            abort();
    return 0;
}
