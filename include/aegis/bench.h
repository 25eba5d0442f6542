/*
 * aegis/bench.h - benchmark table for `aegis bench <name>` / `make bench`.
 *
 * Each bench/bench_<name>.c defines exactly one
 *     const struct aegis_bench aegis_bench_<name> = { "name", fn, "summary" };
 * and the build generates the table (like the CLI). Report with
 * aegis_bench_report(): median and p99 of the samples, one line each.
 */
#ifndef AEGIS_BENCH_H
#define AEGIS_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct aegis_bench {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Sort samples (nanoseconds) and print "op  n=N  median=..  p99=..". */
void aegis_bench_report(const char *op, uint64_t *samples_ns, size_t n);

#endif
