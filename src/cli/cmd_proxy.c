/*
 * cmd_proxy.c - `aegis proxy`: the encrypting JSON-RPC proxy a wallet is
 * pointed at (cli_proxy.c does the work; this file parses options and runs
 * the HTTP server on libmicrohttpd until SIGINT/SIGTERM).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "aegis/cli.h"
#include "aegis/util.h"
#include "cli_chain.h"

#define PROG "aegis proxy"
#define MAX_BODY (1u << 20)

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegis proxy --sequencer URL [--listen HOST:PORT] [--upstream URL] [--allow-sim]\n"
        "                   [--key-max-age MS] [--chain-id N]\n\n"
        "An Ethereum JSON-RPC endpoint for unchanged wallets: eth_sendRawTransaction is\n"
        "checked (chain id, signature), encrypted to the sequencer's attested key on this\n"
        "machine, submitted, and its signed receipt verified; receipts come from the\n"
        "upstream or from Aegis's verified batches; other eth_* calls go to the upstream.\n"
        "  --sequencer URL   aegisd JSON-RPC endpoint (required)\n"
        "  --listen H:P      where wallets connect (default 127.0.0.1:8546)\n"
        "  --upstream URL    execution client for every other eth_* method\n"
        "  --allow-sim       accept a simulated (insecure) TEE attestation - development only\n"
        "  --key-max-age MS  fetch and verify the key again after MS (default 30000)\n"
        "  --chain-id N      expected chain (default: the sequencer's eth_chainId)\n"
        "Runs on the user's side: plaintext transactions never leave this machine unencrypted.\n"
        "Exit: 0 stopped by a signal, 1 cannot start, 2 usage.\n");
}

struct conn {
    aegis_buf body;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    aegis_client_proxy *p = cls;
    (void)version;
    struct conn *cn = *con_cls;
    if (!cn) {
        cn = aegis_calloc(1, sizeof(*cn));
        if (!cn)
            return MHD_NO;
        aegis_buf_init(&cn->body, MAX_BODY);
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_size) {
        if (aegis_buf_append(&cn->body, upload, *upload_size) != AEGIS_OK)
            return MHD_NO;   /* over the limit: drop the connection */
        *upload_size = 0;
        return MHD_YES;
    }
    char *text = NULL;
    unsigned status = 200;
    if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0) {
        text = strdup("{\"status\":\"ok\"}");
    } else if (strcmp(method, "POST") != 0) {
        status = 405;
        text = strdup("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"use POST\"}}");
    } else {
        text = aegis_client_proxy_handle(p, (const char *)cn->body.data, cn->body.len);
    }
    if (!text)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    struct conn *cn = *con_cls;
    if (cn) {
        aegis_buf_clear(&cn->body);
        aegis_free(cn);
    }
    *con_cls = NULL;
}

static int proxy_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    aegis_client_proxy_opts o = { 0 };
    const char *listen = "127.0.0.1:8546";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (strcmp(a, "--allow-sim") == 0) {
            o.allow_sim = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, PROG ": unknown or incomplete option '%s' (try --help)\n", a);
            return 2;
        }
        if (strcmp(a, "--sequencer") == 0)
            o.sequencer = v;
        else if (strcmp(a, "--upstream") == 0)
            o.upstream = v;
        else if (strcmp(a, "--listen") == 0)
            listen = v;
        else if (strcmp(a, "--key-max-age") == 0)
            bad = aegis_cli_parse_u64(v, &o.key_max_age_ms);
        else if (strcmp(a, "--chain-id") == 0)
            bad = aegis_cli_parse_u64(v, &o.chain_id);
        else {
            fprintf(stderr, PROG ": unknown option '%s' (try --help)\n", a);
            return 2;
        }
        if (bad) {
            fprintf(stderr, PROG ": bad value for %s: '%s'\n", a, v);
            return 2;
        }
        i++;
    }
    if (!o.sequencer) {
        fprintf(stderr, PROG ": --sequencer URL is required\n");
        return 2;
    }
    const char *colon = strrchr(listen, ':');
    uint64_t port = 0;
    char host[64];
    if (!colon || (size_t)(colon - listen) >= sizeof(host) || aegis_cli_parse_u64(colon + 1, &port) || port > 65535) {
        fprintf(stderr, PROG ": --listen wants HOST:PORT, got '%s'\n", listen);
        return 2;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, PROG ": --listen host must be an IPv4 address, got '%s'\n", host);
        return 2;
    }

    char why[512];
    aegis_client_proxy *p = aegis_client_proxy_new(&o, why, sizeof(why));
    if (!p) {
        fprintf(stderr, PROG ": %s\n", why);
        return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL,
        on_request, p, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_THREAD_POOL_SIZE, 4u,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, PROG ": cannot listen on %s\n", listen);
        aegis_client_proxy_free(p);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    uint16_t bound = (uint16_t)port;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (di)
        bound = di->port;
    printf("aegis proxy listening on http://%s:%u (sequencer %s%s%s)%s\n", host, bound, o.sequencer,
           o.upstream ? ", upstream " : "", o.upstream ? o.upstream : "",
           o.allow_sim ? " - accepting the INSECURE sim TEE" : "");
    fflush(stdout);
    while (!stop_flag)
        pause();
    MHD_stop_daemon(d);
    aegis_client_proxy_free(p);
    return 0;
}

const struct aegis_cli_cmd aegis_cli_cmd_proxy = {
    "proxy", proxy_main, "encrypting JSON-RPC proxy for unchanged wallets (eth_sendRawTransaction sealed to the attested key)"
};
