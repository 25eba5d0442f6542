/* secret.c - wiping and constant-time comparison. */
#include <string.h>

#include "aegis/util.h"

void aegis_memzero(void *p, size_t n)
{
    if (n == 0)
        return;
    /* explicit_bzero is glibc's non-elidable memset. */
    explicit_bzero(p, n);
}

bool aegis_ct_eq(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a;
    const volatile uint8_t *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}
