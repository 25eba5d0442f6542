/* thread.c - naming threads, so that top -H, perf and gdb tell them apart. */
#include <pthread.h>
#include <string.h>

#include "aegis/util.h"

void aegis_thread_name(const char *name)
{
    /* the kernel keeps 15 bytes: a longer name is cut, never refused */
    char buf[16];
    size_t n = strlen(name);
    if (n > sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    memcpy(buf, name, n);
    buf[n] = '\0';
    (void)pthread_setname_np(pthread_self(), buf);
}
