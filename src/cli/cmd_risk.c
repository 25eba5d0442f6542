/* cmd_risk.c - `aegis risk sign|submit`: build a signed risk assessment
 * (aegis/risk.h, docs/internals/risk.md) with an oracle's ML-DSA-87 key and
 * print it, or submit it to aegisd (JSON-RPC aegis_submitRiskAssessment). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/risk.h"
#include "cli_keys.h"
#include "cli_risk_watch.h"
#include "cli_rpc.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis risk sign   --key ORACLE_KEY --score N [options]\n"
               "       aegis risk submit [--rpc URL] --key ORACLE_KEY --score N [options]\n"
               "       aegis risk watch  --signals FILE --key ORACLE_KEY --state FILE [options]  (the QRM Monitor;\n"
               "                         aegis risk watch --help)\n\n"
               "Sign a quantum-risk assessment with an oracle's ML-DSA-87 key (context \"%s\");\n"
               "sign prints the assessment JSON, submit sends it to aegisd (aegis_submitRiskAssessment).\n"
               "  --key PATH       ML-DSA-87 secret key from `aegis keygen --type ml-dsa-87`\n"
               "  --pub PATH       its public key (default: PATH with .key replaced by .pub)\n"
               "  --score N        0..10000\n"
               "  --seq N          sequence number, increasing per source (default: --at)\n"
               "  --source ID      source id (default \"cli\")\n"
               "  --at MS          timestamp in ms since the epoch (default: now)\n"
               "  --asset ID=N     per-asset override (repeatable)\n"
               "  --alg NAME       recommended algorithm: ML-DSA-87 | SLH-DSA-256s | ECDSA (repeatable)\n"
               "  --rpc URL        node endpoint for submit (default $AEGIS_RPC or %s)\n",
            AEGIS_RISK_CTX, AEGIS_CLI_RPC_DEFAULT_URL);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int risk_main(int argc, char **argv)
{
    if (argc < 2 || aegis_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "watch") == 0)
        return aegis_cli_risk_watch(argc - 1, argv + 1);
    bool submit = strcmp(verb, "submit") == 0;
    if (!submit && strcmp(verb, "sign") != 0) {
        usage(stderr);
        return 2;
    }
    const char *url = aegis_cli_rpc_url(&argc, argv);
    const char *key = NULL, *pub = NULL, *source = "cli";
    uint64_t score = UINT64_MAX, seq = UINT64_MAX, at = aegis_wall_ms(), v;
    const uint64_t I63 = (uint64_t)INT64_MAX;
    aegis_risk_assessment a;
    memset(&a, 0, sizeof(a));
    int rc = 2;
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val)
            goto bad;
        i++;
        if (strcmp(o, "--key") == 0) {
            key = val;
        } else if (strcmp(o, "--pub") == 0) {
            pub = val;
        } else if (strcmp(o, "--source") == 0) {
            source = val;
        } else if (strcmp(o, "--score") == 0) {
            if (parse_u64(val, AEGIS_RISK_SCORE_MAX, &score))
                goto bad;
        } else if (strcmp(o, "--seq") == 0) {
            if (parse_u64(val, I63, &seq))
                goto bad;
        } else if (strcmp(o, "--at") == 0) {
            if (parse_u64(val, I63, &at))
                goto bad;
        } else if (strcmp(o, "--asset") == 0) {
            const char *eq = strrchr(val, '=');
            if (!eq || eq == val || (size_t)(eq - val) > AEGIS_RISK_ASSET_ID_MAX ||
                parse_u64(eq + 1, AEGIS_RISK_SCORE_MAX, &v) || a.n_assets >= AEGIS_RISK_MAX_ASSETS)
                goto bad;
            struct aegis_risk_asset_score *na = aegis_realloc(a.assets, (a.n_assets + 1) * sizeof(*na));
            if (!na)
                goto bad;
            a.assets = na;
            memset(&na[a.n_assets], 0, sizeof(*na));
            memcpy(na[a.n_assets].id, val, (size_t)(eq - val));
            na[a.n_assets++].score = (uint16_t)v;
        } else if (strcmp(o, "--alg") == 0) {
            uint8_t bit = strcmp(val, "ML-DSA-87") == 0 ? AEGIS_ALG_MLDSA87
                        : strcmp(val, "SLH-DSA-256s") == 0 || strcmp(val, "SLH-DSA-SHA2-256s") == 0
                              ? AEGIS_ALG_SLHDSA256S
                        : strcmp(val, "ECDSA") == 0 ? AEGIS_ALG_ECDSA : 0;
            if (!bit)
                goto bad;
            a.algorithms |= bit;
        } else {
            goto bad;
        }
    }
    if (!key || score == UINT64_MAX || strlen(source) > AEGIS_RISK_SOURCE_MAX)
        goto bad;
    strcpy(a.source, source);
    a.score = (uint16_t)score;
    a.timestamp_ms = at;
    a.seq = seq == UINT64_MAX ? at : seq;

    char pubpath[4096];
    if (!pub) {
        size_t kl = strlen(key);
        if (kl < 4 || kl >= sizeof(pubpath) || strcmp(key + kl - 4, ".key") != 0) {
            fprintf(stderr, "aegis risk: give --pub (the key file does not end in .key)\n");
            goto bad;
        }
        memcpy(pubpath, key, kl - 4);
        strcpy(pubpath + kl - 4, ".pub");
        pub = pubpath;
    }
    rc = 1;
    uint8_t *sk = NULL, *pk = NULL;
    aegis_err err = aegis_cli_mldsa_keypair(key, pub, &sk, &pk, NULL);
    if (err == AEGIS_OK)
        err = aegis_risk_assessment_sign(&a, sk, pk);
    if (err == AEGIS_OK && aegis_risk_assessment_verify(&a, pk) != AEGIS_OK)
        err = AEGIS_ERR_KEYS_INCONSISTENT;   /* the .pub is not this key's */
    aegis_free_secret(sk, AEGIS_MLDSA87_SK_BYTES);
    aegis_free(pk);
    if (err != AEGIS_OK) {
        fprintf(stderr, "aegis risk %s: %s (%s)\n", verb, aegis_strerror(err), aegis_err_name(err));
        goto out;
    }
    json_t *j = aegis_risk_assessment_to_json(&a);
    if (!j) {
        fprintf(stderr, "aegis risk %s: invalid assessment fields\n", verb);
        goto out;
    }
    if (!submit) {
        char *s = json_dumps(j, JSON_COMPACT);
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
        rc = s ? 0 : 1;
        goto out;
    }
    json_t *params = json_pack("[o]", j), *res = NULL;
    if (params && aegis_cli_rpc_call(url, "aegis_submitRiskAssessment", params, &res, NULL) == 0) {
        char *s = json_dumps(res, JSON_COMPACT | JSON_ENCODE_ANY);
        printf("%s\n", s ? s : "");
        free(s);
        json_decref(res);
        rc = 0;
    }
    json_decref(params);
    goto out;
bad:
    usage(stderr);
out:
    aegis_risk_assessment_clear(&a);
    return rc;
}

const struct aegis_cli_cmd aegis_cli_cmd_risk = { "risk", risk_main,
                                                  "sign, submit or watch quantum-risk assessments (oracle, QRM Monitor)" };
