/* cli_risk_watch.c - `aegis risk watch`: the QRM Monitor. Scores a signals
 * file (aegis/qrm.h, docs/internals/qrm.md) and, whenever the score or its
 * level changes, signs an assessment with the oracle's ML-DSA-87 key (as
 * `aegis risk sign` does) and pushes it to aegisd (aegis_submitRiskAssessment)
 * and to QRMSOracle on L1 (submitAssessment, through cli_l1.h).
 *
 * Sequence numbers: seq = max(last seq + 1, now in ms), strictly increasing
 * per source; the state file records the last one (written before the
 * assessment is signed, so a crash never reuses it) and what each
 * destination last accepted, so a restart resumes and re-pushes only what
 * was not accepted. State file: aegis_qrm_state (aegis/qrm.h), written
 * atomically. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aegis/cli.h"
#include "aegis/qrm.h"
#include "aegis/risk.h"
#include "cli_chain.h"
#include "cli_keys.h"
#include "cli_l1.h"
#include "cli_risk_watch.h"
#include "cli_rpc.h"

#define PROG "aegis risk watch"

enum { DEST_AEGISD = AEGIS_QRM_DEST_AEGISD, DEST_L1 = AEGIS_QRM_DEST_L1, N_DEST = AEGIS_QRM_DESTS };

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis risk watch --signals FILE --key ORACLE_KEY --state FILE [options]\n\n"
               "The QRM Monitor: score the signals file (docs/internals/qrm.md) and, whenever the score\n"
               "or its level changes, sign an assessment with the oracle's ML-DSA-87 key and push it to\n"
               "aegisd and (with --l1) to the QRMSOracle contract.\n"
               "  --signals FILE   signals file (TOML; example: config/qrm-signals.example.toml)\n"
               "  --key PATH       oracle's ML-DSA-87 secret key (aegis keygen --type ml-dsa-87)\n"
               "  --pub PATH       its public key (default: PATH with .key replaced by .pub)\n"
               "  --state FILE     sequence numbers and what each destination accepted (created)\n"
               "  --source ID      source id of the assessments (default \"qrm\")\n"
               "  --rpc URL        aegisd (default $AEGIS_RPC or %s)\n"
               "  --no-aegisd      do not push to aegisd\n"
               "  --l1 URL         also push to QRMSOracle on this L1 node ...\n"
               "  --oracle ADDR    ... at this address ...\n"
               "  --l1-key FILE    ... paying with this secp256k1 key\n"
               "  --interval MS    re-read the signals file this often (default 5000)\n"
               "  --once           evaluate once, push if needed, exit\n",
            AEGIS_CLI_RPC_DEFAULT_URL);
}

/* ---- state file ---- */

static int state_load(const char *path, const char *source, aegis_qrm_state *st)
{
    memset(st, 0, sizeof(*st));
    snprintf(st->source, sizeof(st->source), "%s", source);
    uint8_t *buf = NULL;
    size_t n = 0;
    aegis_err err = aegis_file_read(path, 1 << 16, &buf, &n);
    if (err == AEGIS_ERR_NOT_FOUND || (err == AEGIS_ERR_IO && errno == ENOENT))
        return 0; /* first run */
    if (err) {
        fprintf(stderr, "%s: reading the state file %s: %s\n", PROG, path, aegis_strerror(err));
        return -1;
    }
    aegis_qrm_state got;
    err = aegis_qrm_state_parse((const char *)buf, n, &got);
    aegis_free(buf);
    if (err) {
        fprintf(stderr, "%s: the state file %s is not a monitor state (%s)\n", PROG, path, aegis_err_name(err));
        return -1;
    }
    if (strcmp(got.source, source) != 0) {
        fprintf(stderr, "%s: the state file %s is for source \"%s\", not \"%s\" (%s)\n", PROG, path, got.source,
                source, aegis_err_name(AEGIS_ERR_QRM_STATE));
        return -1;
    }
    *st = got;
    return 0;
}

static int state_save(const char *path, const aegis_qrm_state *st)
{
    char *s = aegis_qrm_state_format(st);
    aegis_err err = s ? aegis_file_write_atomic(path, s, strlen(s), 0600) : AEGIS_ERR_NOMEM;
    free(s);
    if (err) {
        fprintf(stderr, "%s: writing the state file %s: %s (%s)\n", PROG, path, aegis_strerror(err),
                aegis_err_name(AEGIS_ERR_QRM_STATE));
        return -1;
    }
    return 0;
}

/* ---- one evaluation ---- */

struct watch {
    const char *signals, *state_path, *rpc_url, *oracle;
    bool to_aegisd, to_l1, once;
    aegis_cli_l1 l1;
    uint8_t *sk, *pk;
    aegis_qrm_state st;
    char last_error[512];
};

static void explain(const aegis_qrm_signals *s, const struct aegis_qrm_result *r)
{
    for (size_t i = 0; i < s->n; i++)
        fprintf(stderr, "  %-24s value %-12g %-6s risk %5u x weight %5u -> %5u\n", s->sig[i].name, s->sig[i].value,
                aegis_qrm_transform_name(s->sig[i].transform), r->risk[i], s->sig[i].weight, r->part[i]);
    if (r->overridden)
        fprintf(stderr, "  override                 -> %u\n", r->score);
}

static int push_aegisd(struct watch *w, const aegis_risk_assessment *a)
{
    json_t *j = aegis_risk_assessment_to_json(a), *res = NULL;
    json_t *params = j ? json_pack("[o]", j) : NULL;
    int rc = params ? aegis_cli_rpc_call(w->rpc_url, "aegis_submitRiskAssessment", params, &res, NULL) : -1;
    json_decref(params);
    json_decref(res);
    return rc == 0 ? 0 : -1;
}

static int push_l1(struct watch *w, const aegis_risk_assessment *a, char txh[67], uint64_t *gas)
{
    aegis_buf enc;
    aegis_buf_init(&enc, 1 << 16);
    int rc = -1;
    uint8_t *data = NULL;
    size_t dl = 0;
    if (aegis_risk_assessment_encode(a, &enc) != AEGIS_OK)
        goto out;
    struct aegis_cli_abi_arg args[2];
    aegis_cli_abi_bytes(&args[0], enc.data, enc.len);
    aegis_cli_abi_bytes(&args[1], a->signature, sizeof(a->signature));
    if (!(data = aegis_cli_abi_encode("submitAssessment(bytes,bytes)", args, 2, &dl)))
        goto out;
    rc = aegis_cli_l1_send(&w->l1, w->oracle, data, dl, gas, txh);
out:
    aegis_free(data);
    aegis_buf_clear(&enc);
    return rc;
}

/* 0: nothing to do or all pushed; -1: a push (or the state file) failed;
 * -2: the signals file is unreadable or invalid. */
static int evaluate(struct watch *w)
{
    uint8_t *text = NULL;
    size_t n = 0;
    char detail[256] = "", msg[sizeof(w->last_error)];
    aegis_qrm_signals *s = aegis_calloc(1, sizeof(*s));
    aegis_err err = !s ? AEGIS_ERR_NOMEM : aegis_file_read(w->signals, AEGIS_QRM_MAX_BYTES + 1, &text, &n);
    if (err)
        snprintf(detail, sizeof(detail), "%s", aegis_strerror(err));
    else
        err = aegis_qrm_signals_parse((const char *)text, n, s, detail, sizeof(detail));
    snprintf(msg, sizeof(msg), "%.200s: %s", w->signals, detail);
    aegis_free(text);
    if (err) {
        if (strcmp(msg, w->last_error) != 0) /* say it once per new problem */
            fprintf(stderr, "%s: %s (%s); keeping the last published assessment\n", PROG, msg, aegis_err_name(err));
        snprintf(w->last_error, sizeof(w->last_error), "%s", msg);
        aegis_free(s);
        return -2;
    }
    w->last_error[0] = 0;
    struct aegis_qrm_result r;
    aegis_qrm_score(s, &r);
    bool want[N_DEST] = { w->to_aegisd && aegis_qrm_needs_publish(&w->st.dest[DEST_AEGISD], &r, s),
                          w->to_l1 && aegis_qrm_needs_publish(&w->st.dest[DEST_L1], &r, s) };
    if (!want[DEST_AEGISD] && !want[DEST_L1]) {
        if (w->once)
            printf("score %u (%s): unchanged since seq %" PRIu64 "\n", r.score, aegis_risk_level_name(r.level),
                   w->st.seq);
        aegis_free(s);
        return 0;
    }
    /* reserve the sequence number before anything is signed with it */
    uint64_t now = aegis_wall_ms();
    uint64_t seq = aegis_qrm_next_seq(&w->st, now);
    w->st.seq = seq;
    int rc = -1;
    aegis_risk_assessment a;
    memset(&a, 0, sizeof(a));
    if (state_save(w->state_path, &w->st) != 0)
        goto out;
    snprintf(a.source, sizeof(a.source), "%s", w->st.source);
    a.seq = seq;
    a.timestamp_ms = now;
    a.score = r.score;
    a.algorithms = s->algorithms;
    if ((err = aegis_risk_assessment_sign(&a, w->sk, w->pk))) {
        fprintf(stderr, "%s: signing: %s (%s)\n", PROG, aegis_strerror(err), aegis_err_name(err));
        goto out;
    }
    fprintf(stderr, "%s: score %u (%s), seq %" PRIu64 ":\n", PROG, r.score, aegis_risk_level_name(r.level), seq);
    explain(s, &r);
    printf("assessment %s seq %" PRIu64 ": score %u (%s)", a.source, seq, r.score, aegis_risk_level_name(r.level));
    rc = 0;
    for (int d = 0; d < N_DEST; d++) {
        if (!want[d])
            continue;
        char txh[67] = "";
        uint64_t gas = 0;
        int prc = d == DEST_AEGISD ? push_aegisd(w, &a) : push_l1(w, &a, txh, &gas);
        if (prc != 0) {
            printf("; %s: not accepted", d == DEST_AEGISD ? "aegisd" : "QRMSOracle");
            rc = -1;
            continue;
        }
        if (d == DEST_AEGISD)
            printf("; aegisd: accepted");
        else
            printf("; QRMSOracle: accepted, %" PRIu64 " gas, tx %s", gas, txh);
        w->st.dest[d] = (struct aegis_qrm_published){ true, seq, r.score, r.level, s->algorithms };
    }
    printf("\n");
    fflush(stdout);
    if (state_save(w->state_path, &w->st) != 0)
        rc = -1;
out:
    aegis_risk_assessment_clear(&a);
    aegis_free(s);
    return rc;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* QRMSOracle's last seq of the source: the next one must be above it even
 * when the state file was lost or another process published for the source. */
static int chain_seq(struct watch *w)
{
    struct aegis_cli_abi_arg a;
    aegis_cli_abi_bytes(&a, (const uint8_t *)w->st.source, strlen(w->st.source));
    size_t dl = 0;
    uint8_t *data = aegis_cli_abi_encode("lastSeq(string)", &a, 1, &dl), out[64];
    int rc = data ? aegis_cli_l1_view(&w->l1, w->oracle, data, dl, out, 2) : -1;
    aegis_free(data);
    if (rc != 0)
        return -1;
    uint64_t last = aegis_cli_l1_word_u64(out + 32);
    if (out[31] == 1 && last > w->st.seq) {
        fprintf(stderr, "%s: QRMSOracle has seq %" PRIu64 " for source \"%s\", above the state file's %" PRIu64
                        "; continuing above it\n", PROG, last, w->st.source, w->st.seq);
        w->st.seq = last;
    }
    return 0;
}

int aegis_cli_risk_watch(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    struct watch *w = aegis_calloc(1, sizeof(*w));
    if (!w)
        return 1;
    w->rpc_url = aegis_cli_rpc_url(&argc, argv);
    const char *key = NULL, *pub = NULL, *source = "qrm", *l1url = NULL, *l1key = NULL, *interval_s = NULL;
    bool once = false, no_aegisd = false;
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--once") == 0) {
            once = true;
            continue;
        }
        if (strcmp(o, "--no-aegisd") == 0) {
            no_aegisd = true;
            continue;
        }
        const char **dst = strcmp(o, "--signals") == 0    ? &w->signals
                         : strcmp(o, "--key") == 0        ? &key
                         : strcmp(o, "--pub") == 0        ? &pub
                         : strcmp(o, "--state") == 0      ? &w->state_path
                         : strcmp(o, "--source") == 0     ? &source
                         : strcmp(o, "--l1") == 0         ? &l1url
                         : strcmp(o, "--oracle") == 0     ? &w->oracle
                         : strcmp(o, "--l1-key") == 0     ? &l1key
                         : strcmp(o, "--interval") == 0   ? &interval_s
                                                           : NULL;
        if (!dst || !v)
            goto bad;
        *dst = v;
        i++;
    }
    uint64_t interval = 5000;
    uint8_t addr[20];
    size_t sl = strlen(source);
    bool src_ok = sl >= 1 && sl <= AEGIS_RISK_SOURCE_MAX && strspn(source, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/-") == sl;
    if (!w->signals || !key || !w->state_path || !src_ok ||
        (interval_s && (aegis_cli_parse_u64(interval_s, &interval) || interval < 10 || interval > 86400000)) ||
        (!!l1url != !!w->oracle || !!l1url != !!l1key) || (w->oracle && aegis_cli_l1_address(w->oracle, addr)) ||
        (no_aegisd && !l1url))
        goto bad;
    w->to_aegisd = !no_aegisd;
    w->to_l1 = l1url != NULL;

    char pubpath[4096];
    if (!pub) {
        size_t kl = strlen(key);
        if (kl < 4 || kl >= sizeof(pubpath) || strcmp(key + kl - 4, ".key") != 0) {
            fprintf(stderr, "%s: give --pub (the key file does not end in .key)\n", PROG);
            goto bad;
        }
        memcpy(pubpath, key, kl - 4);
        strcpy(pubpath + kl - 4, ".pub");
        pub = pubpath;
    }
    rc = 1;
    aegis_err err = aegis_cli_mldsa_keypair(key, pub, &w->sk, &w->pk, NULL);
    if (err) {
        fprintf(stderr, "%s: oracle key: %s (%s)\n", PROG, aegis_strerror(err), aegis_err_name(err));
        goto out;
    }
    if (state_load(w->state_path, source, &w->st) != 0)
        goto out;
    if (w->to_l1 && aegis_cli_l1_open(&w->l1, PROG, l1url, l1key) != 0) {
        w->to_l1 = false;
        goto out;
    }
    if (w->to_l1 && chain_seq(w) != 0)
        goto out;
    w->once = once;
    if (once) {
        rc = evaluate(w) == 0 ? 0 : 1;
        goto out;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fprintf(stderr, "%s: watching %s every %" PRIu64 " ms (source \"%s\", last seq %" PRIu64 ")\n", PROG,
            w->signals, interval, w->st.source, w->st.seq);
    unsigned fails = 0;
    while (!stop_flag) {
        /* a failed push is retried, backing off to at most 5 minutes; a bad file is
         * re-read at the interval (it is reported once) */
        int erc = evaluate(w);
        fails = erc != -1 ? 0 : fails < 16 ? fails + 1 : fails;
        uint64_t wait = fails ? interval << (fails < 8 ? fails : 8) : interval;
        if (fails && wait > 300000)
            wait = interval > 300000 ? interval : 300000;
        for (uint64_t t = 0; t < wait && !stop_flag; t += 50)
            sleep_ms(wait - t < 50 ? wait - t : 50);
    }
    rc = 0;
    goto out;
bad:
    usage(stderr);
out:
    if (w->to_l1)
        aegis_cli_l1_close(&w->l1);
    if (w->sk)
        aegis_free_secret(w->sk, AEGIS_MLDSA87_SK_BYTES);
    aegis_free(w->pk);
    aegis_free(w);
    return rc;
}
