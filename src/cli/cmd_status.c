/* cmd_status.c - `aegis status [--rpc URL] [--json]`: the node's status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cli.h"
#include "cli_rpc.h"

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : "-";
}

static long long num(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void print_human(json_t *r)
{
    json_t *tee = json_object_get(r, "tee"), *st = json_object_get(r, "store");
    json_t *cfg = json_object_get(r, "config");
    long long up = num(r, "uptime_s");
    printf("node        %s (aegisd %s)\n", str(r, "node_id"), str(r, "version"));
    printf("uptime      %lldd %02lld:%02lld:%02lld\n", up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
    printf("chain id    %s\n", str(r, "chain_id"));
    printf("tee         %s%s%s%s\n", str(tee, "backend"),
           json_is_true(json_object_get(tee, "insecure")) ? "  ** INSECURE: software simulation **" : "",
           json_string_value(json_object_get(tee, "backup")) && *json_string_value(json_object_get(tee, "backup"))
               ? ", backup " : "",
           json_string_value(json_object_get(tee, "backup")) ? json_string_value(json_object_get(tee, "backup")) : "");
    printf("store       %s (schema %lld), %lld envelopes, %s\n", str(st, "backend"),
           num(st, "schema_version"), num(st, "envelopes"), str(st, "data_dir"));
    printf("rpc         %s\n", str(cfg, "listen"));
    printf("ordering    %s, batch max %lld every %lld ms\n", str(cfg, "mode"), num(cfg, "batch_max"),
           num(cfg, "batch_interval_ms"));
    printf("quantum     risk scheduled %lld, emergency %lld, hybrid ECDSA %s\n",
           num(cfg, "risk_scheduled"), num(cfg, "risk_emergency"),
           json_is_true(json_object_get(cfg, "hybrid_ecdsa")) ? "on" : "off");
    json_t *algs = json_object_get(cfg, "signature_algorithms");
    printf("signatures ");
    for (size_t i = 0; i < json_array_size(algs); i++)
        printf(" %s", json_string_value(json_array_get(algs, i)));
    printf("\nworkers     %lld..%lld (%s)\n", num(cfg, "min_workers"), num(cfg, "max_workers"),
           str(cfg, "enclave_type"));
    json_t *cl = json_object_get(r, "cluster");
    if (json_is_object(cl)) {   /* a cluster worker (docs/internals/cluster.md) */
        json_t *members = json_object_get(cl, "members");
        printf("cluster     worker %s, leader %s%s, %zu live member%s, quorum %lld\n", str(cl, "worker"),
               str(cl, "leader")[0] ? str(cl, "leader") : "(none)",
               json_is_true(json_object_get(cl, "leading")) ? " (this worker)" : "", json_array_size(members),
               json_array_size(members) == 1 ? "" : "s", num(cl, "attest_quorum"));
        size_t i;
        json_t *m;
        json_array_foreach(members, i, m)
            printf("  member    %s: applied %lld, last batch %lld, heartbeat %lld ms ago%s\n", str(m, "worker"),
                   num(m, "applied"), num(m, "last_batch"), num(m, "heartbeat_age_ms"),
                   json_is_true(json_object_get(m, "leader")) ? ", leader" : "");
        printf("log         applied %lld of %lld (lag %lld)%s, last final batch %lld\n", num(cl, "log_applied"),
               num(cl, "log_last"), num(cl, "lag"), json_is_true(json_object_get(cl, "caught_up")) ? "" : " catching up",
               num(cl, "last_final"));
        printf("events      %lld failovers, %lld fenced appends, %lld dissents, %lld skipped messages, "
               "%lld refused joins\n", num(cl, "failovers"), num(cl, "fenced_appends"), num(cl, "dissents"),
               num(cl, "skipped_messages"), num(cl, "refused_joins"));
    }
    json_t *core = json_object_get(r, "core");
    if (core) {   /* the sequencer's live state */
        json_t *risk = json_object_get(core, "risk"), *ck = json_object_get(core, "checkpoint");
        printf("risk        %lld (%s)\n", num(risk, "score"), str(risk, "level"));
        printf("signing     ");
        json_t *live = json_object_get(core, "algorithms");
        for (size_t i = 0; i < json_array_size(live); i++)
            printf("%s%s", i ? " + " : "", json_string_value(json_array_get(live, i)));
        printf("  (key epoch %lld)\n", num(core, "key_epoch"));
        printf("batches     last %lld, mempool %lld", num(r, "last_batch"), num(core, "mempool"));
        if (json_is_object(ck))
            printf(", checkpoint %lld at batch %lld", num(ck, "number"), num(ck, "batch"));
        printf("\n");
        if (num(core, "degraded_batches") > 0)
            printf("degraded    %lld batches without the backup TEE's attestation\n", num(core, "degraded_batches"));
    }
}

static int status_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        printf("Usage: aegis status [--rpc URL] [--json]\n\n"
               "Print the status of a running aegisd (JSON-RPC aegis_status).\n"
               "  --rpc URL   node endpoint (default $AEGIS_RPC or %s)\n"
               "  --json      print the raw JSON result\n", AEGIS_CLI_RPC_DEFAULT_URL);
        return 0;
    }
    const char *url = aegis_cli_rpc_url(&argc, argv);
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            fprintf(stderr, "aegis status: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    json_t *res = NULL;
    if (aegis_cli_rpc_call(url, "aegis_status", NULL, &res, NULL) != 0)
        return 1;
    if (json) {
        char *s = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (s)
            puts(s);
        free(s);
    } else {
        print_human(res);
    }
    json_decref(res);
    return 0;
}

const struct aegis_cli_cmd aegis_cli_cmd_status = { "status", status_main,
                                                    "print a running node's status (--rpc URL)" };
