/* cmd_quote.c - `aegis quote verify`: DCAP-verify an SGX/TDX quote offline at
 * an explicit time, then apply an acceptance policy. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "aegis/attest.h"
#include "aegis/cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: aegis quote verify --quote FILE --collateral FILE|DIR --at UNIX_SECONDS\n"
            "                          [--json] [--policy FILE] [--event-log FILE]\n\n"
            "Verifies an Intel SGX/TDX DCAP quote (v3, v4, v5) with the given collateral\n"
            "(dcap-qvl QuoteCollateralV3 JSON; a directory is searched by FMSPC and CA) at\n"
            "the given time, never the wall clock. The default policy accepts UpToDate,\n"
            "SWHardeningNeeded, ConfigurationNeeded and ConfigurationAndSWHardeningNeeded\n"
            "and refuses debug TDs/enclaves and a non-zero MRSERVICETD. --event-log takes a\n"
            "dstack event log (or GetQuote response) and checks its RTMR replay.\n"
            "Exit status: 0 verified and accepted, 1 refused, 2 usage.\n");
}

static json_t *hexj(const uint8_t *p, size_t n)
{
    char buf[2 * 128 + 1];
    aegis_hex_encode(buf, p, n);
    return json_string(buf);
}

static void add_measurements(json_t *o, const aegis_quote *q)
{
    json_t *m = json_object();
    if (q->body_type == AEGIS_QUOTE_BODY_SGX) {
        const aegis_sgx_report *r = &q->sgx;
        json_object_set_new(m, "mr_enclave", hexj(r->mr_enclave, 32));
        json_object_set_new(m, "mr_signer", hexj(r->mr_signer, 32));
        json_object_set_new(m, "isv_prod_id", json_integer(r->isv_prod_id));
        json_object_set_new(m, "isv_svn", json_integer(r->isv_svn));
        json_object_set_new(m, "attributes", hexj(r->attributes, 16));
        json_object_set_new(m, "cpu_svn", hexj(r->cpu_svn, 16));
        json_object_set_new(o, "report_data", hexj(r->report_data, 64));
    } else {
        const aegis_td_report *r = &q->td;
        json_object_set_new(m, "mr_td", hexj(r->mr_td, 48));
        for (int i = 0; i < 4; i++) {
            char k[8];
            snprintf(k, sizeof(k), "rtmr%d", i);
            json_object_set_new(m, k, hexj(r->rtmr[i], 48));
        }
        json_object_set_new(m, "mr_seam", hexj(r->mr_seam, 48));
        json_object_set_new(m, "mr_signer_seam", hexj(r->mr_signer_seam, 48));
        json_object_set_new(m, "mr_config_id", hexj(r->mr_config_id, 48));
        json_object_set_new(m, "mr_owner", hexj(r->mr_owner, 48));
        json_object_set_new(m, "mr_owner_config", hexj(r->mr_owner_config, 48));
        json_object_set_new(m, "td_attributes", hexj(r->td_attributes, 8));
        json_object_set_new(m, "xfam", hexj(r->xfam, 8));
        json_object_set_new(m, "tee_tcb_svn", hexj(r->tee_tcb_svn, 16));
        if (q->body_type == AEGIS_QUOTE_BODY_TD15) {
            json_object_set_new(m, "tee_tcb_svn2", hexj(r->tee_tcb_svn2, 16));
            json_object_set_new(m, "mr_service_td", hexj(r->mr_service_td, 48));
        }
        json_object_set_new(o, "report_data", hexj(r->report_data, 64));
    }
    json_object_set_new(o, "measurements", m);
}

static int verify_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "quote", required_argument, 0, 'q' },   { "collateral", required_argument, 0, 'c' },
        { "at", required_argument, 0, 't' },      { "json", no_argument, 0, 'j' },
        { "policy", required_argument, 0, 'p' },  { "event-log", required_argument, 0, 'e' },
        { "help", no_argument, 0, 'h' },          { 0, 0, 0, 0 },
    };
    const char *quote_path = NULL, *coll_path = NULL, *at_s = NULL, *policy_path = NULL, *log_path = NULL;
    int json_out = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'q': quote_path = optarg; break;
        case 'c': coll_path = optarg; break;
        case 't': at_s = optarg; break;
        case 'j': json_out = 1; break;
        case 'p': policy_path = optarg; break;
        case 'e': log_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!quote_path || !coll_path || !at_s || optind != argc) {
        usage(stderr);
        return 2;
    }
    char *end;
    long long at = strtoll(at_s, &end, 10);
    if (*at_s == 0 || *end != 0 || at < 0) {
        fprintf(stderr, "aegis quote verify: --at must be Unix seconds\n");
        return 2;
    }

    aegis_attest_result res;
    aegis_attest_policy policy;
    aegis_eventlog log = { 0 };
    bool have_log = false;
    aegis_collateral *coll = NULL;
    aegis_collateral_provider prov = { 0 };
    aegis_collateral_cache *cache = NULL;
    uint8_t *quote = NULL, *logbuf = NULL;
    size_t qlen = 0, loglen = 0;
    const char *msg = NULL;
    aegis_err err, perr = AEGIS_OK;
    struct stat st;

    memset(&res, 0, sizeof(res));
    res.tcb_status = AEGIS_TCB_UNKNOWN;
    aegis_attest_policy_init(&policy);
    if ((err = aegis_file_read(quote_path, AEGIS_QUOTE_MAX_BYTES, &quote, &qlen)) != AEGIS_OK) {
        msg = "cannot read the quote file";
        goto report;
    }
    if (policy_path && (err = aegis_attest_policy_load_file(policy_path, &policy, &msg)) != AEGIS_OK)
        goto report;
    if (log_path) {
        if ((err = aegis_file_read(log_path, 4u << 20, &logbuf, &loglen)) != AEGIS_OK) {
            msg = "cannot read the event log file";
            goto report;
        }
        if ((err = aegis_eventlog_parse((const char *)logbuf, loglen, &log, &msg)) != AEGIS_OK)
            goto report;
        have_log = true;
    }
    if (stat(coll_path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if ((err = aegis_collateral_provider_path(coll_path, &prov, &msg)) != AEGIS_OK ||
            (err = aegis_collateral_cache_new(&prov, &cache)) != AEGIS_OK)
            goto report;
        err = aegis_attest_verify_cached(quote, qlen, cache, (int64_t)at, &res);
    } else {
        if ((err = aegis_collateral_load_file(coll_path, &coll, &msg)) != AEGIS_OK)
            goto report;
        err = aegis_attest_verify(quote, qlen, coll, (int64_t)at, &res);
    }
    msg = res.err_msg;
    if (err == AEGIS_OK) {
        if (have_log && res.quote.tee_type != AEGIS_QUOTE_TEE_TDX) {
            perr = AEGIS_ERR_EVENTLOG_MISMATCH;
            msg = "an event log needs a TDX quote";
        } else {
            perr = aegis_attest_policy_check(&policy, &res, have_log ? &log : NULL, &msg);
        }
    }

report:;
    bool ok = err == AEGIS_OK && perr == AEGIS_OK;
    aegis_err shown = err != AEGIS_OK ? err : perr;
    if (json_out) {
        json_t *o = json_object(), *adv = json_array();
        json_object_set_new(o, "verified", json_boolean(ok));
        json_object_set_new(o, "quote_verified", json_boolean(err == AEGIS_OK));
        json_object_set_new(o, "policy", json_string(policy_path ? policy_path : "default"));
        json_object_set_new(o, "tcb_status", json_string(aegis_tcb_status_name(res.tcb_status)));
        json_object_set_new(o, "platform_tcb_status", json_string(aegis_tcb_status_name(res.platform_status)));
        json_object_set_new(o, "qe_tcb_status", json_string(aegis_tcb_status_name(res.qe_status)));
        for (size_t i = 0; i < res.n_advisories; i++)
            json_array_append_new(adv, json_string(res.advisory_ids[i]));
        json_object_set_new(o, "advisory_ids", adv);
        json_object_set_new(o, "verified_at", json_integer(at));
        if (res.quote_parsed) {
            json_object_set_new(o, "tee_type", json_string(aegis_quote_tee_name(&res.quote)));
            json_object_set_new(o, "quote_version", json_integer(res.quote.version));
            if (res.quote.tee_type == AEGIS_QUOTE_TEE_TDX)
                json_object_set_new(o, "module_tcb_status",
                                    json_string(aegis_tcb_status_name(res.module_status)));
            add_measurements(o, &res.quote);
        }
        if (res.pck_parsed) {
            json_object_set_new(o, "fmspc", hexj(res.pck.fmspc, 6));
            json_object_set_new(o, "pck_ca", json_string(res.pck.ca));
        }
        if (res.collateral_until)
            json_object_set_new(o, "collateral_valid_until", json_integer(res.collateral_until));
        if (have_log) {
            const aegis_eventlog_event *app = aegis_eventlog_find(&log, "app-id");
            const aegis_eventlog_event *ch = aegis_eventlog_find(&log, "compose-hash");
            json_t *e = json_object();
            json_object_set_new(e, "events", json_integer((json_int_t)log.n_events));
            if (app)
                json_object_set_new(e, "app_id", hexj(app->payload, app->payload_len > 128 ? 128 : app->payload_len));
            if (ch)
                json_object_set_new(e, "compose_hash", hexj(ch->payload, ch->payload_len > 128 ? 128 : ch->payload_len));
            json_object_set_new(o, "event_log", e);
        }
        if (!ok) {
            const char *name = aegis_err_name(shown);
            json_object_set_new(o, "error", json_string(name ? name : "AEGIS_ERR_UNKNOWN"));
            json_object_set_new(o, "error_code", json_integer(shown));
            json_object_set_new(o, "message", json_string(msg ? msg : aegis_strerror(shown)));
        }
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            puts(s);
        free(s);
        json_decref(o);
    } else if (ok) {
        printf("verified: %s quote v%u, TCB %s", aegis_quote_tee_name(&res.quote), res.quote.version,
               aegis_tcb_status_name(res.tcb_status));
        for (size_t i = 0; i < res.n_advisories; i++)
            printf("%s%s", i ? ", " : " (", res.advisory_ids[i]);
        printf("%s\n", res.n_advisories ? ")" : "");
    } else {
        fprintf(stderr, "aegis quote verify: %s: %s (%s)\n", aegis_err_name(shown) ? aegis_err_name(shown) : "?",
                aegis_strerror(shown), msg ? msg : "-");
    }
    aegis_eventlog_clear(&log);
    aegis_collateral_cache_free(cache);
    aegis_collateral_provider_clear(&prov);
    aegis_collateral_unref(coll);
    aegis_free(quote);
    aegis_free(logbuf);
    return ok ? 0 : 1;
}

static int quote_main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "verify") == 0)
        return verify_main(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}

const struct aegis_cli_cmd aegis_cli_cmd_quote = { "quote", quote_main, "verify SGX/TDX DCAP quotes offline (quote verify)" };
