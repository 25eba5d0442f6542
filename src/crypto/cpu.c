/*
 * cpu.c - which vector code the post-quantum routines may use, decided once
 * per process.
 *
 * CPUID is read the first time anyone asks and never again: in a VM it traps
 * to the hypervisor, and the SLH-DSA path used to pay that on every sign and
 * verify. The environment variable AEGIS_CPU (portable | avx2 | avx512) caps
 * the level, so the tests run every known-answer file once per code path and
 * a suspect vector routine can be switched off in production without a
 * rebuild. It can only lower the level: asking for avx512 on a CPU without
 * it gives what the CPU has.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pq_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

/* XCR0: the OS saves the YMM (bits 1-2) and ZMM/opmask (bits 5-7) state */
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static void detect(struct aegis__cpu *c)
{
    unsigned int a, b, cx, d;
    if (!__get_cpuid(1, &a, &b, &cx, &d))
        return;
    bool ssse3 = (cx >> 9) & 1, sse41 = (cx >> 19) & 1, osxsave = (cx >> 27) & 1, avx = (cx >> 28) & 1;
    unsigned int b7 = 0;
    if (__get_cpuid_count(7, 0, &a, &b, &cx, &d))
        b7 = b;
    bool sha = (b7 >> 29) & 1;
    c->sha_ni = sha && ssse3 && sse41;
    if (!osxsave || !avx)
        return;
    uint64_t xcr0 = xgetbv0();
    bool ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
    bool avx2 = (b7 >> 5) & 1, bmi2 = (b7 >> 8) & 1;
    bool avx512f = (b7 >> 16) & 1, avx512vl = (b7 >> 31) & 1;
    if (ymm && avx2 && bmi2)
        c->level = AEGIS_CPU_AVX2;
    if (c->level == AEGIS_CPU_AVX2 && zmm && avx512f && avx512vl)
        c->level = AEGIS_CPU_AVX512;
}
#else
static void detect(struct aegis__cpu *c)
{
    (void)c;
}
#endif

static struct aegis__cpu cpu;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

static void cpu_init(void)
{
    detect(&cpu);
    cpu.hw_level = cpu.level;
    const char *cap = getenv("AEGIS_CPU");
    if (!cap)
        return;
    enum aegis__cpu_level want = cpu.level;
    if (strcmp(cap, "portable") == 0)
        want = AEGIS_CPU_PORTABLE;
    else if (strcmp(cap, "avx2") == 0)
        want = AEGIS_CPU_AVX2;
    if (want < cpu.level)
        cpu.level = want;
    if (cpu.level == AEGIS_CPU_PORTABLE)
        cpu.sha_ni = false;
}

const struct aegis__cpu *aegis__cpu(void)
{
    pthread_once(&cpu_once, cpu_init);
    return &cpu;
}

const char *aegis__cpu_level_name(enum aegis__cpu_level l)
{
    switch (l) {
    case AEGIS_CPU_AVX2:
        return "avx2";
    case AEGIS_CPU_AVX512:
        return "avx512";
    default:
        return "portable";
    }
}
