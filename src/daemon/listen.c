/* listen.c - parse the rpc.listen "HOST:PORT" value. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

aegis_err aegisd_parse_listen(const char *s, char *host, size_t host_cap, uint16_t *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return AEGIS_ERR_INVAL;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return AEGIS_ERR_INVAL;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= host_cap)
        return AEGIS_ERR_INVAL;
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (end == colon + 1 || *end || p > 65535)
        return AEGIS_ERR_INVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return AEGIS_OK;
}
