/* alloc.c - the allocation wrappers, with a failure hook for tests. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/util.h"

static atomic_long fail_countdown;   /* 0: never fail */

void aegis_alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}

static int should_fail(void)
{
    long v = atomic_load(&fail_countdown);
    while (v > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &v, v - 1))
            return v == 1;
    }
    return 0;
}

void *aegis_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *aegis_calloc(size_t count, size_t n)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, n ? n : 1);
}

void *aegis_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

char *aegis_strdup(const char *s)
{
    return aegis_strndup(s, strlen(s));
}

char *aegis_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = aegis_malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void aegis_free(void *p)
{
    free(p);
}

void aegis_free_secret(void *p, size_t n)
{
    if (!p)
        return;
    aegis_memzero(p, n);
    free(p);
}

void aegis_misuse(const char *what)
{
    fprintf(stderr, "aegis: API misuse: %s\n", what);
    abort();
}
