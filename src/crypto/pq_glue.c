/*
 * pq_glue.c - what PQClean expects from its environment: randombytes(), and
 * our stack scrubber for the buffers PQClean leaves behind.
 *
 * Randomness policy: our wrappers draw every random input themselves with
 * aegis_random_bytes() (so a failing source is an error return, never an
 * abort) and call PQClean's deterministic entry points (_derand, our own
 * FIPS 204/205 top levels). randombytes() below exists only because
 * PQClean's kem.c also defines the randomised wrappers that reference it; no
 * Aegis code path calls them. Should one ever run, it still draws from the
 * one Aegis source, and a source failure is a programmer-visible abort
 * (PQClean's callers ignore the return value, so returning would be unsafe).
 */
#include "pq_int.h"
#include "randombytes.h"

int randombytes(uint8_t *output, size_t n)
{
    if (aegis_random_bytes(output, n) != AEGIS_OK)
        aegis_misuse("PQClean randombytes(): random source failed");
    return 0;
}

__attribute__((noinline)) void aegis__pq_scrub_stack(void)
{
    uint8_t area[AEGIS_PQ_SCRUB_BYTES];
    aegis_memzero(area, sizeof(area));
    /* Keep the frame (and the wipe) from being optimised away. */
    __asm__ __volatile__("" : : "r"(area) : "memory");
}

__attribute__((noinline)) void aegis__pq_scrub_stack_small(void)
{
    uint8_t area[AEGIS_PQ_SCRUB_SMALL_BYTES];
    aegis_memzero(area, sizeof(area));
    __asm__ __volatile__("" : : "r"(area) : "memory");
}
