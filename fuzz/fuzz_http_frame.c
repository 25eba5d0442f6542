/* fuzz_http_frame.c - aegis_http_frame (src/rpc/http_frame.c), the framing
 * of HTTP/1.1 responses on aegis loadgen's keep-alive connections, on
 * arbitrary bytes. Invariants on every input:
 *   - a refusal says why; an accepted frame lies inside the input
 *     (header_len + body_len = total <= len), has a 2xx-9xx status, and the
 *     header block ends with the blank line;
 *   - the frame is decided by its own bytes: the same answer for exactly
 *     buf[0, total) as for the whole input, and every shorter prefix is
 *     never accepted (it asks for more or is refused);
 *   - a prefix that asks for more never turns into a refusal of the whole
 *     input's frame (splitting a response where a socket read may split it
 *     cannot change the outcome). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aegis_http_frame_info f, g;
    const char *why = NULL;
    aegis_err err = aegis_http_frame(data, size, &f, &why);
    if (err) {
        if (!why)
            abort();
        return 0;
    }
    if (f.total > size || f.header_len + f.body_len != f.total || f.status < 200 || f.status > 999 ||
        f.header_len < 16 || memcmp(data + f.header_len - 4, "\r\n\r\n", 4) != 0)
        abort();
    if (aegis_http_frame(data, f.total, &g, NULL) != AEGIS_OK || g.status != f.status || g.header_len != f.header_len ||
        g.body_len != f.body_len || g.total != f.total || g.close != f.close)
        abort();
    /* every split point of the response: more wanted, never a frame */
    size_t step = f.total > 4096 ? f.total / 512 : 1;
    for (size_t i = 0; i < f.total; i += step) {
        aegis_err e = aegis_http_frame(data, i, &g, NULL);
        if (e != AEGIS_ERR_TRUNCATED)
            abort();
    }
    return 0;
}
