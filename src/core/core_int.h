/* core_int.h - the trusted core's private state (never crosses core.h). */
#ifndef AEGIS_CORE_INT_H
#define AEGIS_CORE_INT_H

#include <pthread.h>

#include "aegis/assets.h"
#include "aegis/attest.h"
#include "aegis/batch.h"
#include "aegis/json.h"
#include "aegis/checkpoint.h"
#include "aegis/risk.h"
#include "aegis/chain.h"
#include "aegis/core.h"
#include "aegis/keys.h"
#include "aegis/mempool.h"
#include "aegis/order.h"
#include "aegis/tee.h"
#include "aegis/tx.h"

/* The batch cut but not yet committed by the host. */
struct core_pending {
    bool active;
    uint64_t number;
    uint8_t hash[32];
    uint64_t timestamp_ms;
    size_t n;
    uint8_t (*senders)[20];
    uint64_t *nonces;
    uint8_t (*tx_hashes)[32];
    uint64_t *mig_groups;         /* migration group of each tx, 0 if none */
    /* The signed batch itself, kept until commit: a failed persist offers
     * the same batch again (a number is never signed with two contents). */
    char *json;
    size_t json_len;
    uint64_t *envelope_ids;
    bool offered;                 /* handed to the host, awaiting commit/abort */
    bool marked;                  /* recorded in the sealed high-water mark */
};

/* The sealed high-water mark (core_mark.c): what this core has released,
 * kept in data_dir/hwm.sealed under a TEE-derived key, rewritten (atomic
 * replace, fsync'd) before each batch and each receipt group leaves. */
struct core_mark {
    pthread_mutex_t lock;         /* one writer of the file; guards the fields */
    char *path, *path_b;          /* the two files that take turns; NULL: nothing kept */
    int fd[2];                    /* opened at the first write (-1 until then) */
    off_t size[2];                /* each file's size as last written (-1: unknown) */
    uint64_t seq;                 /* sequence of the newest record written or read */
    bool found;                   /* a mark was read at start or written since */
    uint64_t batch;               /* last batch number signed and released */
    uint8_t hash[32];             /* its hash */
    uint64_t acked_env;           /* highest envelope id acknowledged by a receipt */
    char *batch_json;             /* batch `batch` while not known persisted, else NULL */
    size_t batch_json_len;
};

struct aegis_core {
    pthread_mutex_t lock;        /* admission, cutting, chain state */
    pthread_mutex_t seal_lock;   /* SLH-DSA sealing (off the hot path) */
    aegis_mldsa87_racer *racer;  /* a second core for the batch signature; NULL: sign alone */

    /* configuration (copied) */
    uint64_t chain_id;
    size_t max_batch;
    bool hybrid_ecdsa;
    bool slh_every;              /* SLH-DSA on every batch, else epoch seals */
    uint64_t seal_every;
    bool attest_per_batch;       /* else key-binding */
    uint64_t risk_scheduled, risk_emergency;

    aegis_tee *tee;
    aegis_keyset *ks;
    aegis_keyset_pub pub;
    uint8_t keyset_hash[32];
    aegis_chain_attest keyset_att;  /* attestation binding the key set hash */
    aegis_chain_attest keyset_backup_att; /* the backup TEE's, same value, or empty */
    aegis_tee *backup;           /* redundant TEE (dstack), or NULL (core_attest.c) */
    bool require_backup;         /* a failing backup fails the cut instead of degrading */
    uint64_t degraded_batches;   /* batches produced without the backup attestation */
    bool failover;               /* tee.on_primary_failure = "backup" */
    bool primary_failed;         /* the primary's last attestation failed (atomic) */
    uint64_t failover_batches;   /* batches the backup attested alone (atomic) */

    aegis_tx_config txcfg;
    aegis_mempool *mp;
    aegis_order *order;
    aegis_list_classifier *cls;
    struct aegis_class_lists lists;

    /* chain state */
    uint64_t next_number;        /* number of the next batch */
    uint8_t parent_hash[32];
    uint64_t last_timestamp_ms;
    uint16_t risk_score;
    uint8_t risk_level;
    struct core_pending pending;
    struct core_mark mark;
    pthread_mutex_t snap_lock;   /* one writer of restore.sealed (core_snapshot.c) */
    uint8_t *snap;               /* an opened restart snapshot, until applied */
    size_t snap_len;
    uint8_t *state;              /* an opened cluster worker state (core_state.c), until applied */
    size_t state_len;

    /* SLH-DSA epoch seals: hashes of committed, unsealed batches */
    uint64_t seal_first;         /* batch number of unsealed[0] */
    uint8_t (*unsealed)[32];
    size_t n_unsealed, cap_unsealed;
    uint64_t next_seal;
    uint64_t last_seal_first, last_seal_count;   /* the last seal applied (aegis_core_last_seal) */

    /* envelopes dropped (evicted, replaced, expired) for the host */
    uint64_t *dropped;
    size_t n_dropped, cap_dropped;

    uint64_t admitted_total, rejected_total, batches_total;

    /* quantum risk (core_risk.c): the monitor decides score, level, algorithms */
    aegis_risk_monitor *risk;
    aegis_risk_classifier risk_cls;

    /* checkpoints (core_checkpoint.c) */
    uint64_t checkpoint_interval;
    bool checkpoint_due;          /* a level changed since the last checkpoint */
    bool have_checkpoint;
    uint64_t ckpt_number;         /* latest persisted checkpoint */
    uint8_t ckpt_hash[32];
    uint64_t ckpt_batch;          /* batch number it covers */
    bool ckpt_pending;            /* built, awaiting persistence */

    /* asset registry (core_assets.c) */
    aegis_assets *reg;
    aegis_assets_admin *admin;
    aegis_audit *audit;
    uint8_t (*migration_contracts)[20];
    size_t n_migration_contracts;
    size_t audit_persisted;       /* audit records the host has made durable */
    uint64_t rollbacks;           /* rollback events so far */

    /* key epochs (core_rotate.c). ks/pub/keyset_hash/keyset_att above are the
     * current epoch. Signing or opening with ks or prev_ks outside core->lock
     * holds ks_lock for reading; the switch to a new epoch holds it for
     * writing (and core->lock). */
    pthread_rwlock_t ks_lock;

    /* cluster (core_cluster.c): who may receive the key set; cluster: this
     * core is a worker replaying a replicated log (core_mark.c) */
    bool cluster;
    /* members admitted to the key set, in log order (ctl.join records,
     * aegis_core_cluster_admit), at most max_members; under lock */
    char (*members)[129];
    size_t n_members, max_members;
    aegis_attest_policy cluster_pol;
    bool cluster_allow_sim;
    char *cluster_collateral;     /* cluster.collateral, or NULL (hardware joins refused) */
    aegis_keyset *prev_ks;        /* previous epoch, for envelopes in its grace window */
    struct core_epoch {
        aegis_keyset_pub pub;
        aegis_chain_attest att;   /* key-binding attestation of that key set */
    } *epochs;                    /* epochs[i] is epoch i + 1 */
    size_t n_epochs;
    aegis_rotation rot;
    bool rotating;                /* a hand-over is being built: no cut meanwhile */
    aegis_keyset *next_ks;        /* the next epoch, until its hand-over is persisted */
    uint64_t rotate_batch;        /* first batch of the next epoch */
    uint8_t rotate_reason;
    uint64_t rotate_ts;           /* when the rotation began (its grace window starts there) */
    bool derive_keys;             /* cluster: the next epoch is derived, the same on every worker */
    char *data_dir;

    /* per-asset migrations (core_migrate.c) */
    struct aegis_migration *migs;
    size_t n_migs;
    uint64_t migs_version;        /* bumped on every change (the host persists on change) */
};

/* core.c */
uint8_t aegis__core_algorithm_set(const aegis_core *core);
void aegis__core_push_dropped(aegis_core *core, uint64_t env_id);
void aegis__core_drop_list(aegis_core *core, struct aegis_mempool_txlist *l);

aegis_err aegis__core_cluster_init(aegis_core *core, const aegis_config *cfg) AEGIS_WUR;
size_t aegis__core_tee_options(const char *name, const aegis_config *cfg, const char *data_dir,
                               aegis_tee_option *opts);

/* core_risk.c: under core->lock */
aegis_err aegis__core_risk_init(aegis_core *core, const aegis_config *cfg, const char **detail);
void aegis__core_risk_free(aegis_core *core);
void aegis__core_risk_events(aegis_core *core, uint64_t now_ms);   /* now_ms: the assessment's time */

/* core_assets.c: under core->lock unless noted */
aegis_err aegis__core_assets_init(aegis_core *core, const aegis_config *cfg, const char **detail);
void aegis__core_assets_free(aegis_core *core);
void aegis__core_assets_env(const aegis_core *core, aegis_assets_env *env);
aegis_err aegis__core_assets_lookup(void *ctx, const struct aegis_mempool_tx *tx, struct aegis_risk_tx_facts *out);
/* Registry state for checkpoints: blob (aegis_free), registry hash, audit head. */
aegis_err aegis__core_assets_state(aegis_core *core, uint8_t **blob, size_t *len, uint8_t reg_hash[32],
                                   uint8_t audit_head[32]);

/* core_rotate.c */
aegis_err aegis__core_rotate_init(aegis_core *core, const aegis_config *cfg, const char *data_dir);
void aegis__core_rotate_free(aegis_core *core);
/* The key set that opens an envelope of env_epoch now (current, or the
 * previous one inside its grace window). Caller holds ks_lock (read). */
aegis_err aegis__core_keys_for_epoch(aegis_core *core, uint64_t env_epoch, uint64_t now_ms,
                                     const aegis_keyset **ret, const char **why);
const aegis_keyset_pub *aegis__core_pub_of(const aegis_core *core, uint64_t epoch);

/* core_checkpoint.c: rollback steps */
aegis_err aegis__core_rollback_check(aegis_core *core, const char *ckpt_json, size_t len,
                                     const uint8_t *pinned_state_hash, aegis_checkpoint *c, const char **detail);
aegis_err aegis__core_rollback_restore_locked(aegis_core *core, const aegis_checkpoint *c, uint64_t now_ms,
                                              uint64_t *ret_first, uint64_t *ret_last, const char **detail);
aegis_err aegis__core_rollback_event(aegis_core *core, const aegis_checkpoint *c, uint64_t now_ms, uint64_t first,
                                     uint64_t last, const uint8_t *admin_sig, size_t admin_sig_len,
                                     char **ret_json);

/* core_checkpoint.c: re-run the state-dependent admission rules (asset
 * registry policies at the current risk, witness registration) over every
 * pooled transaction in admission order; the refused ones leave the pool
 * and are queued as dropped. Returns how many left. Under core->lock. */
size_t aegis__core_mempool_recheck(aegis_core *core, uint64_t now_ms);

/* core_migrate.c: under core->lock */
void aegis__core_migrations_commit(aegis_core *core, const uint64_t *groups, size_t n, uint64_t batch);
json_t *aegis__core_migrations_json(const aegis_core *core);
aegis_err aegis__core_migrations_restore(aegis_core *core, const json_t *arr);

/* core_mark.c */
aegis_err aegis__core_mark_open(aegis_core *core, const aegis_config *cfg, const char *data_dir,
                                const char **detail);
void aegis__core_mark_free(aegis_core *core);
/* Record the signed batch (number, hash, its JSON) before it leaves the core. */
aegis_err aegis__core_mark_batch(aegis_core *core, uint64_t number, const uint8_t hash[32], const char *json,
                                 size_t len);
/* Batch number is persisted by the host: the mark may drop its JSON. */
void aegis__core_mark_persisted(aegis_core *core, uint64_t number);
/* Never sign a number at or below the mark (caller holds core->lock). */
aegis_err aegis__core_mark_check_next(aegis_core *core, uint64_t number);
/* A restored batch under the mark's number must be the one it records. */
aegis_err aegis__core_mark_check_restored(aegis_core *core, uint64_t number, const uint8_t hash[32]);
/* Record the highest envelope id of a receipt group before it leaves. */
aegis_err aegis__core_mark_receipts(aegis_core *core, const aegis_core_receipt *r, size_t n);

/* core_codec.c: payloads of the sealed files (restore.sealed, state.sealed) */
struct aegis__wr {            /* a growing big-endian writer; oom sticks */
    uint8_t *p;
    size_t n, cap;
    bool oom;
};
void aegis__wr_put(struct aegis__wr *b, const void *v, size_t n);
void aegis__wr_u64(struct aegis__wr *b, uint64_t v);
void aegis__wr_bytes(struct aegis__wr *b, const void *v, size_t n);   /* u64 length, bytes */
void aegis__wr_free(struct aegis__wr *b);                             /* wiped */
struct aegis__rd {            /* a bounded reader; bad sticks */
    const uint8_t *p;
    size_t n, off;
    bool bad;
};
const uint8_t *aegis__rd_take(struct aegis__rd *r, size_t n);
uint64_t aegis__rd_u64(struct aegis__rd *r);
const uint8_t *aegis__rd_bytes(struct aegis__rd *r, size_t *ret_len);
/* Seal pt into path (atomic replace) under aegis_tee_derive_key(label). */
aegis_err aegis__core_file_seal(aegis_core *core, const char *path, const char magic[4], uint8_t version,
                                const char *label, const uint8_t *pt, size_t n);
/* Open it: AEGIS_ERR_NOT_FOUND when absent, AEGIS_ERR_CORE_MARK when it
 * does not unseal (another TEE, edited, another version); *ret:
 * aegis_free_secret(*ret, *ret_len ? *ret_len : 1). */
aegis_err aegis__core_file_open(aegis_core *core, const char *path, const char magic[4], uint8_t version,
                                const char *label, size_t max, uint8_t **ret, size_t *ret_len);

/* core_snapshot.c: the chain state both sealed files carry (tip, seal
 * window, checkpoint, senders' next nonces). put: caller holds core->lock
 * (takes seal_lock). */
void aegis__core_chain_put(aegis_core *core, struct aegis__wr *b);
struct core_chain {
    uint64_t batch;              /* S */
    const uint8_t *hash;
    uint64_t last_ts, total, seal_first, next_seal, n_unsealed;
    const uint8_t *unsealed;
    bool have_ckpt;
    uint64_t ckpt_number, ckpt_batch;
    const uint8_t *ckpt_hash;
    uint64_t n_senders;
    const uint8_t *senders;      /* n_senders x (sender 20, next 8) */
};
/* Read it (pointers into r); false when malformed. */
bool aegis__core_chain_take(struct aegis__rd *r, struct core_chain *c);
/* Apply it to a core that has cut nothing yet (caller holds core->lock). */
aegis_err aegis__core_chain_apply(aegis_core *core, const struct core_chain *c);
/* The batch JSON the host holds is batch `number` with this hash. */
bool aegis__core_batch_json_is(const char *json, size_t len, uint64_t number, const uint8_t hash[32]);

/* core_attest.c */
aegis_err aegis__core_attest(aegis_core *core, const char *tag, const uint8_t value[static 32],
                             aegis_chain_attest *out);

#endif
