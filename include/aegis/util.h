/*
 * aegis/util.h - allocation, wiping, constant-time compare, hex and a capped
 * growable buffer: the few primitives every module shares.
 *
 * Thread-safety: all functions are thread-safe; the allocation-failure hook
 * is process-wide and meant for tests only.
 */
#ifndef AEGIS_UTIL_H
#define AEGIS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/error.h"

#define AEGIS_API __attribute__((visibility("default")))
#define AEGIS_WUR __attribute__((warn_unused_result))
#define AEGIS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation: every long-lived allocation goes through these ---- */
void *aegis_malloc(size_t n);
void *aegis_calloc(size_t count, size_t n);
void *aegis_realloc(void *p, size_t n);
char *aegis_strdup(const char *s);
char *aegis_strndup(const char *s, size_t n);
void aegis_free(void *p);
/* Wipe n bytes, then free. Accepts NULL. */
void aegis_free_secret(void *p, size_t n);

/* Tests: make the nth allocation from now fail (0 disables). */
void aegis_alloc_fail_after(long n);

/* Programmer error (never bad input): print and abort. */
__attribute__((noreturn)) void aegis_misuse(const char *what);

/* ---- secrets ---- */
/* Wipe memory in a way the compiler cannot elide. Accepts NULL when n == 0. */
void aegis_memzero(void *p, size_t n);
/* Constant-time equality of two n-byte buffers. */
bool aegis_ct_eq(const void *a, const void *b, size_t n);

/* ---- hex ---- */
/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void aegis_hex_encode(char *out, const uint8_t *in, size_t n);
/* Decode hex (optional 0x prefix, either case) into a freshly allocated
 * buffer; *ret_len gets its length. AEGIS_ERR_BAD_HEX on odd length or a
 * non-hex digit, AEGIS_ERR_TOO_BIG past max bytes. */
aegis_err aegis_hex_decode_alloc(const char *s, size_t max, uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* The same for slen bytes at s (no NUL needed). */
aegis_err aegis_hex_decode_allocn(const char *s, size_t slen, size_t max, uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* Decode exactly n bytes of hex into out (optional 0x prefix). */
aegis_err aegis_hex_decode_exact(const char *s, uint8_t *out, size_t n) AEGIS_WUR;

/* ---- a growable byte buffer with a hard cap (curl dynbuf) ---- */
typedef struct aegis_buf {
    uint8_t *data;
    size_t len;
    size_t cap;   /* allocated */
    size_t max;   /* hard limit; appends past it fail with AEGIS_ERR_TOO_BIG */
} aegis_buf;

void aegis_buf_init(aegis_buf *b, size_t max);
aegis_err aegis_buf_append(aegis_buf *b, const void *p, size_t n) AEGIS_WUR;
aegis_err aegis_buf_printf(aegis_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) AEGIS_WUR;
/* NUL-terminate without counting the NUL in len. */
aegis_err aegis_buf_cstr(aegis_buf *b) AEGIS_WUR;
void aegis_buf_reset(aegis_buf *b);
/* Wipe and free the storage (safe for secrets); the buffer can be reused. */
void aegis_buf_clear(aegis_buf *b);

/* ---- big-endian helpers ---- */
static inline void aegis_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) { p[i] = (uint8_t)v; v >>= 8; }
}
static inline uint64_t aegis_get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}
static inline void aegis_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint32_t aegis_get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void aegis_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v;
}
static inline uint16_t aegis_get_be16(const uint8_t *p)
{
    return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

/* ---- time ---- */
/* Monotonic nanoseconds (for latency), and wall-clock milliseconds. */
uint64_t aegis_now_ns(void);
uint64_t aegis_wall_ms(void);

/* ---- machine ---- */
/* CPUs online (at least 1). */
long aegis_online_cpus(void);
/* Name the calling thread (top -H, perf, gdb, /proc/PID/task/TID/comm); cut
 * to the kernel's 15 bytes. Best effort. */
void aegis_thread_name(const char *name);

/* ---- files ---- */
/* Read a whole file (at most max bytes) into a fresh buffer. */
aegis_err aegis_file_read(const char *path, size_t max, uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* Write a file atomically (tmp + fsync + rename + dir fsync) with the given mode. */
aegis_err aegis_file_write_atomic(const char *path, const void *p, size_t n, unsigned mode) AEGIS_WUR;

#endif
