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

#include "aegis/envelope.h"

struct aegis_bench {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Sort samples (nanoseconds) and print "op  n=N  median=..  p99=..". */
void aegis_bench_report(const char *op, uint64_t *samples_ns, size_t n);

/* A signed EIP-1559 transfer (21,000 gas, max fee 30 gwei, the given tip in
 * wei, value, to = 20 bytes of to_byte) sealed to rcpt as an envelope:
 * *ret malloc'ed (free it). 0, or -1 on failure. */
int aegis_bench_seal_transfer(const aegis_envelope_pub *rcpt, uint64_t chain_id, const uint8_t sk[32], uint64_t nonce,
                              uint64_t tip_wei, uint64_t value, uint8_t to_byte, uint8_t **ret, size_t *ret_len);
/* Remove a directory tree a bench made (errors ignored). */
void aegis_bench_rmtree(const char *dir);

#endif
