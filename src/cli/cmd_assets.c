/* cmd_assets.c - `aegis assets add|list|show|policy|state|request|put-data|
 * get-data`: the asset registry over JSON-RPC. Changes are admin requests
 * signed here with an ML-DSA-87 admin key (aegis_adminAssets); reads use
 * aegis_listAssets and aegis_getAsset; off-chain data travels sealed
 * (cli_asset_data.c). Formats: docs/internals/assets.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/assets.h"
#include "aegis/cli.h"
#include "aegis/keys.h"
#include "cli_asset_data.h"
#include "cli_keys.h"
#include "cli_rpc.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: aegis assets list [--json]\n"
            "       aegis assets show ID\n"
            "       aegis assets add --admin-key KEY (--json FILE | --id ID --type TYPE LOCATOR [POLICY] [--level N]\n"
            "                        [--threshold N] [--state S])\n"
            "       aegis assets policy ID --admin-key KEY [POLICY] [--level N] [--threshold N]\n"
            "       aegis assets state ID STATE --admin-key KEY\n"
            "       aegis assets request OP PARAMS_JSON --admin-key KEY\n"
            "       aegis assets put-data ID (--file FILE | --data TEXT) --key SECP256K1_KEY [--base N] [--allow-sim]\n"
            "       aegis assets get-data ID --key SECP256K1_KEY [--out FILE] [--allow-sim]\n"
            "Common: --rpc URL (default $AEGIS_RPC or %s), --seq N (default: now in ms),\n"
            "        --admin-pub FILE (default: KEY with .key replaced by .pub)\n"
            "TYPE: token nft contract_data database file data_stream bridge\n"
            "LOCATOR: --chain-id N --contract 0xADDR [--token-id N] | --uri URI\n"
            "POLICY (replaces the whole policy): --ops transfer,approve,call,migrate,read,write\n"
            "        --senders 0xA,0xB --roles r1,r2 --value-limit N --witness\n"
            "STATE: active protected migrating migrated frozen\n"
            "OP (request): add update_policy set_state remove register_pqc_key unregister_pqc_key\n"
            "              grant_role revoke_role rollback\n"
            "DATA: sealed to the node's attested key (--allow-sim accepts a simulated TEE); read back\n"
            "      sealed to a one-time reply key made here; --base: the version replaced (default: current)\n",
            AEGIS_CLI_RPC_DEFAULT_URL);
}

typedef struct opts {
    const char *admin_key, *admin_pub, *json_file, *id, *type, *contract, *token_id, *uri, *state;
    const char *ops, *senders, *roles, *value_limit;
    const char *key, *file, *data, *out;
    long long chain_id, level, threshold, seq, base;
    int witness, any_policy, as_json, allow_sim;
    const char *pos[3];
    int n_pos;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof(*o));
    o->chain_id = o->level = o->threshold = o->seq = o->base = -1;
    const struct { const char *flag; const char **str; long long *num; int policy; } t[] = {
        { "--admin-key", &o->admin_key, NULL, 0 }, { "--admin-pub", &o->admin_pub, NULL, 0 },
        { "--json", &o->json_file, NULL, 0 },      { "--id", &o->id, NULL, 0 },
        { "--type", &o->type, NULL, 0 },           { "--contract", &o->contract, NULL, 0 },
        { "--token-id", &o->token_id, NULL, 0 },   { "--uri", &o->uri, NULL, 0 },
        { "--state", &o->state, NULL, 0 },         { "--ops", &o->ops, NULL, 1 },
        { "--senders", &o->senders, NULL, 1 },     { "--roles", &o->roles, NULL, 1 },
        { "--value-limit", &o->value_limit, NULL, 1 }, { "--chain-id", NULL, &o->chain_id, 0 },
        { "--level", NULL, &o->level, 0 },         { "--threshold", NULL, &o->threshold, 0 },
        { "--seq", NULL, &o->seq, 0 },             { "--key", &o->key, NULL, 0 },
        { "--file", &o->file, NULL, 0 },           { "--data", &o->data, NULL, 0 },
        { "--out", &o->out, NULL, 0 },             { "--base", NULL, &o->base, 0 },
    };
    bool is_list = strcmp(argv[1], "list") == 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--witness") == 0) {
            o->witness = o->any_policy = 1;
            continue;
        }
        if (strcmp(a, "--allow-sim") == 0) {
            o->allow_sim = 1;
            continue;
        }
        if (is_list && strcmp(a, "--json") == 0) {
            o->as_json = 1;
            continue;
        }
        size_t k = 0;
        while (k < AEGIS_ARRAY_LEN(t) && strcmp(a, t[k].flag) != 0)
            k++;
        if (k < AEGIS_ARRAY_LEN(t)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "aegis assets: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (t[k].str) {
                *t[k].str = v;
            } else {
                char *e;
                *t[k].num = strtoll(v, &e, 0);
                if (*e || !*v || *t[k].num < 0) {
                    fprintf(stderr, "aegis assets: bad value for %s\n", a);
                    return 2;
                }
            }
            o->any_policy |= t[k].policy;
            continue;
        }
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "aegis assets: unknown option '%s' (try --help)\n", a);
            return 2;
        }
        if (o->n_pos == 3) {
            fprintf(stderr, "aegis assets: too many arguments\n");
            return 2;
        }
        o->pos[o->n_pos++] = a;
    }
    return 0;
}

/* "a,b,c" -> JSON array of strings */
static json_t *csv(const char *s)
{
    json_t *arr = json_array();
    char *dup = strdup(s), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t && arr; t = strtok_r(NULL, ",", &save))
        json_array_append_new(arr, json_string(t));
    free(dup);
    return arr;
}

static json_t *policy_obj(const opts *o)
{
    json_t *p = json_object();
    if (o->ops)
        json_object_set_new(p, "ops", csv(o->ops));
    if (o->senders)
        json_object_set_new(p, "senders", csv(o->senders));
    if (o->roles)
        json_object_set_new(p, "roles", csv(o->roles));
    if (o->value_limit)
        json_object_set_new(p, "value_limit", json_string(o->value_limit));
    if (o->witness)
        json_object_set_new(p, "witness_required", json_true());
    return p;
}

/* Sign op/params with the admin key and call aegis_adminAssets. */
static int admin_call(const char *url, const opts *o, const char *op, json_t *params)
{
    int rc = 1;
    uint8_t *sk = NULL, *pk = NULL;
    char *ptext = NULL, *req = NULL;
    json_t *reqj = NULL, *res = NULL, *arr = NULL;
    if (!o->admin_key) {
        fprintf(stderr, "aegis assets: --admin-key KEY is required for changes\n");
        return 2;
    }
    const char *failed = NULL;
    aegis_err err = aegis_cli_mldsa_keypair(o->admin_key, o->admin_pub, &sk, &pk, &failed);
    if (err != AEGIS_OK) {
        fprintf(stderr, "aegis assets: admin key %s: %s\n", failed, aegis_strerror(err));
        goto out;
    }
    ptext = json_dumps(params, JSON_COMPACT);
    uint64_t now = aegis_wall_ms();
    err = ptext ? aegis_assets_admin_sign(op, ptext, o->seq >= 0 ? (uint64_t)o->seq : now, now, sk, pk, &req)
                : AEGIS_ERR_NOMEM;
    if (err != AEGIS_OK) {
        fprintf(stderr, "aegis assets: signing the request: %s\n", aegis_strerror(err));
        goto out;
    }
    json_error_t jerr;
    reqj = json_loads(req, 0, &jerr);
    arr = json_array();
    if (!reqj || !arr || json_array_append(arr, reqj))
        goto out;
    if (aegis_cli_rpc_call(url, "aegis_adminAssets", arr, &res, NULL) != 0)
        goto out;
    char *s = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (s)
        puts(s);
    free(s);
    rc = 0;
out:
    if (sk)
        aegis_free_secret(sk, AEGIS_MLDSA87_SK_BYTES);
    aegis_free(pk);
    free(ptext);
    aegis_free(req);
    json_decref(reqj);
    json_decref(arr);
    json_decref(res);
    return rc;
}

static int cmd_add(const char *url, const opts *o)
{
    json_t *asset;
    if (o->json_file) {
        json_error_t jerr;
        asset = strcmp(o->json_file, "-") == 0 ? json_loadf(stdin, 0, &jerr) : json_load_file(o->json_file, 0, &jerr);
        if (!asset) {
            fprintf(stderr, "aegis assets: %s: %s (line %d)\n", o->json_file, jerr.text, jerr.line);
            return 1;
        }
    } else {
        if (!o->id || !o->type || (!o->uri && (!o->contract || o->chain_id < 0))) {
            fprintf(stderr, "aegis assets add: needs --id, --type and a locator (try --help)\n");
            return 2;
        }
        asset = json_object();
        json_t *l = json_object();
        json_object_set_new(asset, "id", json_string(o->id));
        json_object_set_new(asset, "type", json_string(o->type));
        if (o->uri) {
            json_object_set_new(l, "uri", json_string(o->uri));
        } else {
            json_object_set_new(l, "chain_id", json_integer(o->chain_id));
            json_object_set_new(l, "contract", json_string(o->contract));
            if (o->token_id)
                json_object_set_new(l, "token_id", json_string(o->token_id));
        }
        json_object_set_new(asset, "locator", l);
        if (o->level >= 0)
            json_object_set_new(asset, "level", json_integer(o->level));
        if (o->threshold >= 0)
            json_object_set_new(asset, "threshold", json_integer(o->threshold));
        if (o->state)
            json_object_set_new(asset, "state", json_string(o->state));
        if (o->any_policy)
            json_object_set_new(asset, "policy", policy_obj(o));
    }
    /* validate locally first: a clear message beats a remote error code */
    char *text = json_dumps(asset, JSON_COMPACT);
    aegis_asset a;
    aegis_err err = text ? aegis_asset_from_json(text, strlen(text), &a) : AEGIS_ERR_NOMEM;
    free(text);
    if (err != AEGIS_OK) {
        fprintf(stderr, "aegis assets add: invalid asset: %s\n", aegis_strerror(err));
        json_decref(asset);
        return 1;
    }
    json_t *params = json_object();
    json_object_set_new(params, "asset", asset);
    int rc = admin_call(url, o, "add", params);
    json_decref(params);
    return rc;
}

static int cmd_put_data(const char *url, const opts *o)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (o->n_pos != 1 || !o->file == !o->data) {
        fprintf(stderr, "aegis assets put-data: needs ID and one of --file FILE / --data TEXT (try --help)\n");
        return 2;
    }
    if (o->file) {
        aegis_err err = aegis_file_read(o->file, AEGIS_ASSET_DATA_MAX, &buf, &len);
        if (err != AEGIS_OK) {
            fprintf(stderr, "aegis assets put-data: %s: %s\n", o->file, aegis_strerror(err));
            return 1;
        }
    }
    int rc = aegis_cli_asset_put_data(url, o->pos[0], o->key, buf ? buf : (const uint8_t *)o->data,
                                      buf ? len : strlen(o->data), o->base, o->allow_sim);
    if (buf)
        aegis_free_secret(buf, len);
    return rc;
}

static void print_asset(json_t *a)
{
    json_t *l = json_object_get(a, "locator"), *p = json_object_get(a, "policy");
    printf("%-24s %-13s %-9s level %lld  threshold %5lld  ", json_string_value(json_object_get(a, "id")),
           json_string_value(json_object_get(a, "type")), json_string_value(json_object_get(a, "state")),
           (long long)json_integer_value(json_object_get(a, "level")),
           (long long)json_integer_value(json_object_get(a, "threshold")));
    if (json_object_get(l, "uri"))
        printf("%s", json_string_value(json_object_get(l, "uri")));
    else
        printf("%lld:%s%s%s", (long long)json_integer_value(json_object_get(l, "chain_id")),
               json_string_value(json_object_get(l, "contract")), json_object_get(l, "token_id") ? "#" : "",
               json_object_get(l, "token_id") ? json_string_value(json_object_get(l, "token_id")) : "");
    printf("%s\n", json_is_true(json_object_get(p, "witness_required")) ? "  [witness]" : "");
}

static int assets_main(int argc, char **argv)
{
    if (argc < 2 || aegis_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *url = aegis_cli_rpc_url(&argc, argv);
    if (argc < 2) {   /* only --rpc was given */
        usage(stderr);
        return 2;
    }
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    const char *sub = argv[1];
    json_t *params = NULL, *res = NULL;
    if (strcmp(sub, "list") == 0) {
        if (aegis_cli_rpc_call(url, "aegis_listAssets", NULL, &res, NULL) != 0)
            return 1;
        if (o.as_json) {
            char *s = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
            if (s)
                puts(s);
            free(s);
        } else {
            json_t *arr = json_object_get(res, "assets");
            for (size_t i = 0; i < json_array_size(arr); i++)
                print_asset(json_array_get(arr, i));
            printf("%zu assets, registry hash %s\n", json_array_size(arr),
                   json_string_value(json_object_get(res, "registry_hash")));
        }
        json_decref(res);
        return 0;
    }
    if (strcmp(sub, "show") == 0) {
        if (o.n_pos != 1) {
            fprintf(stderr, "aegis assets show: needs ID\n");
            return 2;
        }
        params = json_pack("[s]", o.pos[0]);
        rc = aegis_cli_rpc_call(url, "aegis_getAsset", params, &res, NULL);
        if (rc == 0) {
            char *s = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
            if (s)
                puts(s);
            free(s);
        }
        json_decref(params);
        json_decref(res);
        return rc;
    }
    if (strcmp(sub, "add") == 0)
        return cmd_add(url, &o);
    if (strcmp(sub, "put-data") == 0)
        return cmd_put_data(url, &o);
    if (strcmp(sub, "get-data") == 0) {
        if (o.n_pos != 1) {
            fprintf(stderr, "aegis assets get-data: needs ID (try --help)\n");
            return 2;
        }
        return aegis_cli_asset_get_data(url, o.pos[0], o.key, o.out, o.allow_sim);
    }
    if (strcmp(sub, "policy") == 0) {
        if (o.n_pos != 1 || (!o.any_policy && o.level < 0 && o.threshold < 0)) {
            fprintf(stderr, "aegis assets policy: needs ID and at least one change (try --help)\n");
            return 2;
        }
        params = json_pack("{s:s}", "id", o.pos[0]);
        if (o.any_policy)
            json_object_set_new(params, "policy", policy_obj(&o));
        if (o.level >= 0)
            json_object_set_new(params, "level", json_integer(o.level));
        if (o.threshold >= 0)
            json_object_set_new(params, "threshold", json_integer(o.threshold));
        rc = admin_call(url, &o, "update_policy", params);
    } else if (strcmp(sub, "state") == 0) {
        if (o.n_pos != 2) {
            fprintf(stderr, "aegis assets state: needs ID STATE\n");
            return 2;
        }
        params = json_pack("{s:s,s:s}", "id", o.pos[0], "state", o.pos[1]);
        rc = admin_call(url, &o, "set_state", params);
    } else if (strcmp(sub, "request") == 0) {
        json_error_t jerr;
        if (o.n_pos != 2 || !(params = json_loads(o.pos[1], 0, &jerr)) || !json_is_object(params)) {
            fprintf(stderr, "aegis assets request: needs OP and a JSON object of params\n");
            json_decref(params);
            return 2;
        }
        rc = admin_call(url, &o, o.pos[0], params);
    } else {
        fprintf(stderr, "aegis assets: unknown subcommand '%s' (try --help)\n", sub);
        return 2;
    }
    json_decref(params);
    return rc;
}

const struct aegis_cli_cmd aegis_cli_cmd_assets = { "assets", assets_main,
                                                    "asset registry: add|list|show|policy|state|put-data|get-data (--rpc URL)" };
