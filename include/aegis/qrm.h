/*
 * aegis/qrm.h - the QRM Monitor's scoring model (`aegis risk watch`): a
 * signals file (TOML) with named signals, each turned into a risk r in
 * [0, 10000] by a transform and weighted into one score in [0, 10000].
 * docs/internals/qrm.md has the format, the built-in signals and the formula.
 *
 *   r_i     = transform_i(value_i)                     (0..10000)
 *   part_i  = round(weight_i * r_i / 10000)            (0..weight_i)
 *   score   = override if set, else min(10000, sum of part_i)
 *   level   = emergency if score >= emergency, scheduled if >= scheduled, else normal
 *
 * Transforms: "linear" (lo -> 0, hi -> 10000, clamped), "log10" (the same on
 * log10 of the value; lo > 0), "step" (10000 when value >= at, else 0).
 * Pure functions, no I/O, thread-safe.
 */
#ifndef AEGIS_QRM_H
#define AEGIS_QRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/error.h"

#define AEGIS_QRM_VERSION       1
#define AEGIS_QRM_MAX_SIGNALS   32
#define AEGIS_QRM_NAME_MAX      48          /* bytes of a signal name: [a-z0-9_] */
#define AEGIS_QRM_MAX_BYTES     65536       /* largest signals file */
#define AEGIS_QRM_FULL          10000

enum aegis_qrm_transform {
    AEGIS_QRM_LINEAR = 1,
    AEGIS_QRM_LOG10 = 2,
    AEGIS_QRM_STEP = 3,
};
/* "linear" | "log10" | "step" ("?"). */
const char *aegis_qrm_transform_name(uint8_t t);

struct aegis_qrm_signal {
    char name[AEGIS_QRM_NAME_MAX + 1];
    double value;               /* finite; a TOML bool reads as 0 / 1 */
    uint8_t transform;          /* enum aegis_qrm_transform */
    double lo, hi;              /* linear / log10: value mapped to 0 and to 10000 (lo < hi) */
    double at;                  /* step: threshold */
    uint16_t weight;            /* 0..10000: the score this signal adds at full risk */
    bool builtin;               /* one of the named signals of the built-in model */
};

typedef struct aegis_qrm_signals {
    struct aegis_qrm_signal sig[AEGIS_QRM_MAX_SIGNALS];   /* in file order */
    size_t n;
    bool has_override;          /* `override = N`: the score, whatever the signals say */
    uint16_t override;
    uint16_t scheduled, emergency;  /* [levels], default 6000 / 9000 (scheduled < emergency) */
    uint16_t min_change;        /* publish when the score moves this much (default 1) */
    uint8_t algorithms;         /* AEGIS_ALG_* mask put in assessments (0: none) */
} aegis_qrm_signals;

/*
 * Strict parse of a signals file (at most AEGIS_QRM_MAX_BYTES): TOML, only
 * the documented keys, every value in range. *ret is written only on
 * success. On failure AEGIS_ERR_QRM_SIGNALS (or AEGIS_ERR_TOO_BIG /
 * AEGIS_ERR_NOMEM) and, when msg is given, a sentence naming the line and key.
 */
aegis_err aegis_qrm_signals_parse(const char *text, size_t len, aegis_qrm_signals *ret, char *msg,
                                  size_t cap) __attribute__((warn_unused_result));

/* The built-in definition of a named signal (transform, bounds, weight), or
 * false for a name the model does not know. */
bool aegis_qrm_builtin(const char *name, struct aegis_qrm_signal *ret);

/* r = transform(value), 0..10000 (rounded to nearest). */
uint16_t aegis_qrm_risk(const struct aegis_qrm_signal *s);

struct aegis_qrm_result {
    uint16_t score;                             /* 0..10000 */
    uint8_t level;                              /* 0 normal, 1 scheduled, 2 emergency */
    bool overridden;
    uint16_t risk[AEGIS_QRM_MAX_SIGNALS];       /* r_i */
    uint16_t part[AEGIS_QRM_MAX_SIGNALS];       /* part_i */
};
void aegis_qrm_score(const aegis_qrm_signals *s, struct aegis_qrm_result *ret);

/* The level of a score under the file's thresholds. */
uint8_t aegis_qrm_level(const aegis_qrm_signals *s, uint16_t score);

/* ---- the monitor's state file (docs/internals/qrm.md "Publishing") ----
 *   {"version":1,"source":"qrm-1","seq":N,
 *    "aegisd":{"seq":N,"score":S,"level":L,"algorithms":A} | null, "l1": {...} | null} */
#define AEGIS_QRM_DEST_AEGISD   0
#define AEGIS_QRM_DEST_L1       1
#define AEGIS_QRM_DESTS         2
#define AEGIS_QRM_SOURCE_MAX    64      /* = AEGIS_RISK_SOURCE_MAX */

struct aegis_qrm_published {
    bool has;                   /* something was accepted there */
    uint64_t seq;               /* <= the state's seq */
    uint16_t score;
    uint8_t level;              /* 0..2 */
    uint8_t algorithms;         /* AEGIS_ALG_* mask */
};

typedef struct aegis_qrm_state {
    char source[AEGIS_QRM_SOURCE_MAX + 1];  /* 1..64 of [A-Za-z0-9._:/-] */
    uint64_t seq;                           /* last sequence number used, < 2^63 (0: none) */
    struct aegis_qrm_published dest[AEGIS_QRM_DESTS];
} aegis_qrm_state;

/* "aegisd" | "l1". */
const char *aegis_qrm_dest_name(int dest);
/* Strict parse (at most 64 KiB; exactly these keys): AEGIS_ERR_QRM_STATE,
 * AEGIS_ERR_NOMEM. *ret written only on success. */
aegis_err aegis_qrm_state_parse(const char *text, size_t len, aegis_qrm_state *ret)
    __attribute__((warn_unused_result));
/* The JSON text (malloc'd, free()), NULL on NOMEM or a state out of range. */
char *aegis_qrm_state_format(const aegis_qrm_state *st);
/* Whether a result must be published where `p` was last accepted: never
 * published there, the score moved by min_change or more, or the level or
 * the algorithms changed. */
bool aegis_qrm_needs_publish(const struct aegis_qrm_published *p, const struct aegis_qrm_result *r,
                             const aegis_qrm_signals *s);
/* The next sequence number: max(st->seq + 1, now_ms). */
uint64_t aegis_qrm_next_seq(const aegis_qrm_state *st, uint64_t now_ms);

#endif
