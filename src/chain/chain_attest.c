/*
 * chain_attest.c - offline verification of one published attestation (the
 * primary or the backup of a batch or of the key set). aegis_chain_verify_batch
 * calls it for each attestation present and then cross-validates the pair
 * (both bind the same report_data); docs/internals/attestation-batches.md.
 *
 * An attestation passes when:
 *   - its report_data field is the expected tag || value, AND the quote
 *     itself binds that value (the field alone proves nothing);
 *   - sim: allowed (opts->allow_sim), its signature verifies, and its
 *     measurement is in the policy's MRTD list when that list is non-empty;
 *   - tdx / dstack: a TDX DCAP quote that verifies against the collateral
 *     (opts->collateral_cache or opts->collateral_dir) at opts->verify_at,
 *     and passes the policy (opts->policy, opts->policy_file or the
 *     defaults; opts->tdx_policy / opts->dstack_policy for records of that
 *     backend: each platform its own policy): TCB status accepted,
 *     measurements (MRTD, RTMR0-3, OS image) in the allow-lists, no debug
 *     TD, no unexpected MRSERVICETD;
 *   - an event log carried by the record (record format 1.1; tdx/dstack
 *     only) parses, replays to exactly the quote's RTMR0-3, and its RTMR3
 *     runtime events satisfy the policy's app_id / compose_hash lists
 *     (AEGIS_ERR_EVENTLOG_MALFORMED, AEGIS_ERR_EVENTLOG_MISMATCH,
 *     AEGIS_ERR_POLICY_APP). Without a log, a policy naming app ids or
 *     compose hashes refuses the record (AEGIS_ERR_POLICY_APP): stripping
 *     the log must not skip the check.
 * Errors: AEGIS_ERR_CHAIN_ATTEST (binding, unknown backend, missing
 * collateral), AEGIS_ERR_CHAIN_SIM_REFUSED, or the DCAP / policy code of the
 * failed check (err/tee.def: AEGIS_ERR_ATTEST_EXPIRED, AEGIS_ERR_POLICY_*, ...).
 * *why always gets static text.
 */
#include <string.h>
#include <time.h>

#include "aegis/attest.h"
#include "aegis/chain.h"
#include "aegis/tee.h"

static bool in_list(const aegis_policy_list *l, const uint8_t *v, size_t n)
{
    if (l->n == 0)
        return true;
    for (size_t i = 0; i < l->n; i++)
        if (memcmp(l->v[i], v, n) == 0)
            return true;
    return false;
}

/* The policy to apply to a record of this backend: the platform's own when
 * the verifier gave one, else the common one (preloaded, from a file), else
 * the defaults. */
static aegis_err load_policy(const aegis_chain_verify_opts *opts, const char *backend, aegis_attest_policy *pol,
                             const char **why)
{
    const aegis_attest_policy *own = strcmp(backend, "tdx") == 0      ? opts->tdx_policy
                                     : strcmp(backend, "dstack") == 0 ? opts->dstack_policy
                                                                      : NULL;
    if (own) {
        *pol = *own;
        return AEGIS_OK;
    }
    if (opts->policy) {
        *pol = *opts->policy;
        return AEGIS_OK;
    }
    if (opts->policy_file) {
        const char *msg = NULL;
        aegis_err err = aegis_attest_policy_load_file(opts->policy_file, pol, &msg);
        if (err)
            *why = msg ? msg : "cannot load the attestation policy file";
        return err;
    }
    aegis_attest_policy_init(pol);
    return AEGIS_OK;
}

static aegis_err verify_sim(const aegis_chain_attest *a, const uint8_t expect_rd[static 64],
                            const aegis_chain_verify_opts *opts, const char **why)
{
    if (!opts->allow_sim) {
        *why = "sim attestation (insecure, no hardware) refused; pass --allow-sim for development";
        return AEGIS_ERR_CHAIN_SIM_REFUSED;
    }
    uint8_t meas[AEGIS_TEE_MEASUREMENT_BYTES], rd[AEGIS_TEE_REPORT_DATA_BYTES], pk[65];
    if (aegis_tee_sim_verify_quote(a->quote, a->quote_len, meas, rd, pk) != AEGIS_OK ||
        !aegis_ct_eq(rd, expect_rd, 64)) {
        *why = "sim quote signature or report_data invalid";
        return AEGIS_ERR_CHAIN_ATTEST;
    }
    aegis_attest_policy pol;
    aegis_err err = load_policy(opts, a->backend, &pol, why);
    if (err)
        return err;
    if (!in_list(&pol.mrtd, meas, sizeof(meas))) {
        *why = "sim measurement not in the policy's mrtd allow-list";
        return AEGIS_ERR_POLICY_MEASUREMENT;
    }
    return AEGIS_OK;
}

static aegis_err verify_dcap(const aegis_chain_attest *a, const uint8_t expect_rd[static 64],
                             const aegis_chain_verify_opts *opts, const char **why)
{
    aegis_err err;
    aegis_collateral_provider prov = { 0 };
    aegis_collateral_cache *cache = opts->collateral_cache, *own = NULL;
    if (!cache) {
        if (!opts->collateral_dir) {
            *why = "hardware attestation needs collateral (a file or directory: --collateral)";
            return AEGIS_ERR_CHAIN_ATTEST;
        }
        const char *msg = NULL;
        if ((err = aegis_collateral_provider_path(opts->collateral_dir, &prov, &msg)) != AEGIS_OK) {
            *why = msg ? msg : "cannot load the collateral";
            return err;
        }
        if ((err = aegis_collateral_cache_new(&prov, &own)) != AEGIS_OK) {
            aegis_collateral_provider_clear(&prov);
            *why = "out of memory";
            return err;
        }
        cache = own;
    }
    int64_t now = opts->verify_at ? opts->verify_at : (int64_t)time(NULL);
    aegis_eventlog log;
    bool have_log = false;
    aegis_attest_result res;
    err = aegis_attest_verify_cached(a->quote, a->quote_len, cache, now, &res);
    if (err || !res.verified) {
        *why = res.err_msg ? res.err_msg : "DCAP quote verification failed";
        if (!err)
            err = AEGIS_ERR_CHAIN_ATTEST;
        goto out;
    }
    if (res.quote.tee_type != AEGIS_QUOTE_TEE_TDX) {
        *why = "tdx/dstack attestation carries a non-TDX quote";
        err = AEGIS_ERR_CHAIN_ATTEST;
        goto out;
    }
    aegis_attest_policy pol;
    if ((err = load_policy(opts, a->backend, &pol, why)) != AEGIS_OK)
        goto out;
    pol.check_report_data = true;   /* the quote itself must bind the value */
    memcpy(pol.report_data, expect_rd, 64);
    const char *msg = NULL;
    if (a->event_log) {
        if ((err = aegis_eventlog_parse(a->event_log, a->event_log_len, &log, &msg)) != AEGIS_OK) {
            *why = msg ? msg : "attestation event log malformed";
            goto out;
        }
        have_log = true;
    }
    /* With a log, the check replays it against the quote's RTMRs first. */
    if ((err = aegis_attest_policy_check(&pol, &res, have_log ? &log : NULL, &msg)) != AEGIS_OK)
        *why = msg ? msg : "quote refused by the attestation policy";
out:
    if (have_log)
        aegis_eventlog_clear(&log);
    aegis_collateral_cache_free(own);
    aegis_collateral_provider_clear(&prov);
    return err;
}

aegis_err aegis_chain_verify_attest(const aegis_chain_attest *a, const uint8_t expect_rd[static 64],
                                    const aegis_chain_verify_opts *opts, const char **why)
{
    if (!aegis_ct_eq(a->report_data, expect_rd, 64)) {
        *why = "attestation report_data does not bind the expected value";
        return AEGIS_ERR_CHAIN_ATTEST;
    }
    if (!a->quote || a->quote_len == 0) {
        *why = "attestation carries no quote";
        return AEGIS_ERR_CHAIN_ATTEST;
    }
    if (strcmp(a->backend, "sim") == 0) {
        if (a->event_log) {
            *why = "a sim attestation cannot carry an event log";
            return AEGIS_ERR_CHAIN_ATTEST;
        }
        return verify_sim(a, expect_rd, opts, why);
    }
    if (strcmp(a->backend, "tdx") == 0 || strcmp(a->backend, "dstack") == 0)
        return verify_dcap(a, expect_rd, opts, why);
    *why = "attestation backend not verifiable offline by this build";
    return AEGIS_ERR_CHAIN_ATTEST;
}

static bool take_payload(const aegis_eventlog *log, const char *name, uint8_t *out, size_t n)
{
    const aegis_eventlog_event *e = aegis_eventlog_find(log, name);
    if (!e || e->payload_len != n)
        return false;
    memcpy(out, e->payload, n);
    return true;
}

aegis_err aegis_chain_attest_app(const aegis_chain_attest *a, aegis_chain_app_info *ret)
{
    aegis_chain_app_info info = { 0 };
    if (a->event_log) {
        aegis_eventlog log;
        aegis_err err = aegis_eventlog_parse(a->event_log, a->event_log_len, &log, NULL);
        if (err)
            return err;
        info.has_event_log = true;
        info.has_app_id = take_payload(&log, "app-id", info.app_id, sizeof(info.app_id));
        info.has_compose_hash = take_payload(&log, "compose-hash", info.compose_hash, sizeof(info.compose_hash));
        info.has_instance_id = take_payload(&log, "instance-id", info.instance_id, sizeof(info.instance_id));
        aegis_eventlog_clear(&log);
    }
    *ret = info;
    return AEGIS_OK;
}

void aegis_chain_coattest_value(uint8_t out[static 32], const char *worker, uint64_t number,
                                const uint8_t hash[static 32])
{
    size_t wl = strlen(worker);
    uint8_t buf[256 + 1 + 8 + 32];
    if (wl > 256)
        wl = 256;   /* worker ids are at most 128 bytes (config) */
    memcpy(buf, worker, wl);
    buf[wl] = 0;
    aegis_put_be64(buf + wl + 1, number);
    memcpy(buf + wl + 9, hash, 32);
    aegis_sha256(out, buf, wl + 41);
}

size_t aegis_chain_count_coattests(const json_t *arr, uint64_t number, const uint8_t hash[static 32],
                                   const aegis_chain_verify_opts *opts, const char **ret_why)
{
    const char *first_why = NULL;
    const char *seen[64];
    size_t n_seen = 0, i;
    json_t *c;
    if (!json_is_array(arr))
        return 0;
    json_array_foreach(arr, i, c) {
        const char *worker = json_string_value(json_object_get(c, "worker"));
        json_int_t num = json_integer_value(json_object_get(c, "number"));
        uint8_t h[32], value[32], rd[64];
        const char *why = NULL;
        aegis_chain_attest a;
        memset(&a, 0, sizeof(a));
        if (!worker || !worker[0] || strlen(worker) > 128 || num <= 0 || (uint64_t)num != number ||
            aegis_chain_get_hex(c, "hash", h, 32) != AEGIS_OK || !aegis_ct_eq(h, hash, 32)) {
            why = "co-attestation names another batch or is malformed";
        } else if (aegis_chain_attest_from_json(json_object_get(c, "attestation"), &a) != AEGIS_OK) {
            why = "co-attestation's attestation record malformed";
        } else {
            aegis_chain_coattest_value(value, worker, number, hash);
            aegis_chain_report_data(rd, AEGIS_CHAIN_TAG_COATTEST, value);
            if (aegis_chain_verify_attest(&a, rd, opts, &why) != AEGIS_OK && !why)
                why = "co-attestation does not verify";
        }
        aegis_chain_attest_clear(&a);
        if (why) {
            if (!first_why)
                first_why = why;
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < n_seen; k++)
            dup = dup || strcmp(seen[k], worker) == 0;
        if (!dup && n_seen < sizeof(seen) / sizeof(seen[0]))
            seen[n_seen++] = worker;
    }
    if (ret_why)
        *ret_why = first_why;
    return n_seen;
}
