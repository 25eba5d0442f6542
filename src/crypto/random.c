/* random.c - the one randomness hook (see aegis/crypto.h). */
#include <openssl/rand.h>
#include <pthread.h>
#include <string.h>

#include "aegis/crypto.h"

static struct {
    pthread_rwlock_t lock;
    aegis_random_fn fn;
    void *ctx;
} source = { PTHREAD_RWLOCK_INITIALIZER, NULL, NULL };

/* Per-thread fixed bytes for known-answer tests. */
static _Thread_local const uint8_t *fixed_bytes;
static _Thread_local size_t fixed_left;
static _Thread_local bool fixed_on;

void aegis_random_set_source(aegis_random_fn fn, void *ctx)
{
    pthread_rwlock_wrlock(&source.lock);
    source.fn = fn;
    source.ctx = ctx;
    pthread_rwlock_unlock(&source.lock);
}

void aegis_random_set_fixed_thread(const uint8_t *bytes, size_t n)
{
    fixed_bytes = bytes;
    fixed_left = bytes ? n : 0;
    fixed_on = bytes != NULL;
}

aegis_err aegis_random_bytes(uint8_t *out, size_t n)
{
    if (fixed_on) {
        if (n > fixed_left)
            return AEGIS_ERR_INTERNAL;
        memcpy(out, fixed_bytes, n);
        fixed_bytes += n;
        fixed_left -= n;
        return AEGIS_OK;
    }
    aegis_err err = AEGIS_OK;
    pthread_rwlock_rdlock(&source.lock);
    if (source.fn) {
        err = source.fn(source.ctx, out, n);
    } else {
        while (n > 0 && err == AEGIS_OK) {
            int chunk = n > 1u << 20 ? 1 << 20 : (int)n;
            if (RAND_bytes(out, chunk) != 1)
                err = AEGIS_ERR_CRYPTO_RANDOM;
            out += chunk;
            n -= (size_t)chunk;
        }
    }
    pthread_rwlock_unlock(&source.lock);
    return err;
}
