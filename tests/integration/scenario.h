/*
 * scenario.h - shared state and helpers of test_scenario (issue 6 end to end
 * on the real aegisd): scenario_util.c has the helpers, test_scenario.c the
 * risk and checkpoint tests, scenario_assets.c the registry, rollback and
 * restart tests. The tests run in order against one node.
 */
#ifndef AEGIS_TEST_SCENARIO_H
#define AEGIS_TEST_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cli_chain.h"
#include "harness.h"

#define CHAIN_ID 31337
#define SOURCE   "qrm-1"

extern struct daemon D;         /* the node */
extern struct daemon C;         /* CLI runs: same node, own stdout/stderr files */
extern char oracle_key[512], rogue_key[512], admin_key[512], keyset_file[400], audit_file[400];
extern uint64_t next_nonce;     /* the test sender's next nonce */
extern uint64_t next_seq;       /* the oracle source's next sequence */
extern json_t *last_accepted;   /* the last accepted assessment (replay tests) */

struct step {
    unsigned score;
    const char *level;
    int level_num;
    int algs;
};

int group_setup(void **state);
int group_teardown(void **state);

void sleep_ms(int ms);
int cli(const char *first, ...);             /* `aegis` with a NULL-terminated list */
void show_cli(void);
json_t *call_ok(const char *method, json_t *params);
json_t *status_core(void);
json_t *list_checkpoints(void);
size_t checkpoint_count(void);
json_t *decisions(void);
json_t *fetch_record(uint64_t n);
json_t *get_batch(uint64_t n);
unsigned count_str(const char *s, const char *needle);
bool has_ecdsa(json_t *algs);
void expect_code(const char *what, int got, const aegis_client_rpc_err *e, int want);

/* Submit n txs and wait until included; distinct batch numbers -> batches. */
size_t submit_and_include(size_t n, uint64_t *batches, size_t cap);
/* Batches cut now carry s's risk and algorithm set and reference a persisted
 * checkpoint (>= min_ckpt when expect_ckpt). */
void check_batches_after(const struct step *s, uint64_t min_ckpt, bool expect_ckpt);

json_t *sign_assessment(const char *key, const char *score, const char *seq, const char *at);
int submit_assessment(json_t *a, aegis_client_rpc_err *e, json_t **ret);
void accept_score(unsigned score);

json_t *get_asset(const char *id);
const char *asset_state(const char *id);
char *registry_hash(void);
json_t *admin_request(const char *key_path, const char *op, const char *params);
int admin_send(json_t *req, aegis_client_rpc_err *e);
size_t dump_audit(json_t **ret_records);
void write_lines(json_t *recs, size_t skip, const char *from, const char *to);

#endif
