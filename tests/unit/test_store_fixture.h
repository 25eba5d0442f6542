/* test_store_fixture.h - temp data dirs and envelope helpers shared by the
 * store tests (header only; each test binary includes it once). */
#ifndef AEGIS_TEST_STORE_FIXTURE_H
#define AEGIS_TEST_STORE_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aegis/store.h"

struct fx {
    const char *backend;
    char dir[256];
    aegis_store *st;
};

static void fx_tmpdir(char *out, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, cap, "%s/aegis-store-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(out)) {
        perror("mkdtemp");
        abort();
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static void fx_rmdir(const char *dir)
{
    if (dir && *dir)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Deterministic hash/data for envelope number i (distinct for distinct i). */
static void fx_hash(uint8_t hash[32], uint64_t i)
{
    memset(hash, 0xA5, 32);
    aegis_put_be64(hash, i);
    aegis_put_be64(hash + 24, ~i);
}

static size_t fx_data(uint8_t *buf, size_t cap, uint64_t i)
{
    size_t n = (size_t)(i % 97) + 1;
    if (n > cap)
        n = cap;
    for (size_t k = 0; k < n; k++)
        buf[k] = (uint8_t)(i * 31 + k);
    return n;
}

#endif
