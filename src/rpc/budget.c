/*
 * budget.c - per-address budgets (aegis/rpc.h): what one client address
 * may cost per window, in a table of bounded size.
 *
 * The table is open-addressed: an address hashes to a home slot and may sit
 * in any of the PROBE slots after it. A new address takes a free or expired
 * slot there, else the one whose window started longest ago - so an
 * attacker with many addresses can push others out of the table (they start
 * a fresh window), but can never make it grow.
 *
 * IPv6 clients are keyed by their /64: one host usually holds a whole /64
 * and could otherwise take a fresh budget per address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "rpc_int.h"

#define PROBE 8

struct entry {
    char addr[64];             /* "" = free */
    uint64_t window_ms;        /* start of its window */
    uint64_t used;
};

struct aegis_rpc_budget {
    pthread_mutex_t lock;
    uint64_t limit, window;
    size_t n;
    struct entry *e;
};

void aegis__rpc_peer_key(const struct sockaddr *sa, char out[64])
{
    out[0] = '\0';
    if (!sa)
        return;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 64);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], out, 64);
            return;
        }
        struct in6_addr p = in6->sin6_addr;
        memset(&p.s6_addr[8], 0, 8);
        char buf[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, &p, buf, sizeof(buf)))
            snprintf(out, 64, "%s/64", buf);
    }
}

aegis_err aegis_rpc_budget_new(aegis_rpc_budget **ret, uint64_t limit, uint64_t window_ms, size_t max_addrs)
{
    if (!ret || window_ms == 0 || max_addrs < PROBE)
        return AEGIS_ERR_INVAL;
    aegis_rpc_budget *b = aegis_calloc(1, sizeof(*b));
    if (!b)
        return AEGIS_ERR_NOMEM;
    b->e = aegis_calloc(max_addrs, sizeof(*b->e));
    if (!b->e) {
        aegis_free(b);
        return AEGIS_ERR_NOMEM;
    }
    pthread_mutex_init(&b->lock, NULL);
    b->limit = limit;
    b->window = window_ms;
    b->n = max_addrs;
    *ret = b;
    return AEGIS_OK;
}

void aegis_rpc_budget_free(aegis_rpc_budget *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lock);
    aegis_free(b->e);
    aegis_free(b);
}

static size_t home(const aegis_rpc_budget *b, const char *addr)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = addr; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    return (size_t)(h % b->n);
}

/* The entry of addr (under lock): found, or a slot taken over for it
 * (create), or NULL. Its window is current on return. */
static struct entry *find(aegis_rpc_budget *b, const char *addr, uint64_t now, bool create)
{
    size_t h = home(b, addr);
    struct entry *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        struct entry *e = &b->e[(h + i) % b->n];
        if (e->addr[0] && strcmp(e->addr, addr) == 0) {
            if (now - e->window_ms >= b->window) {
                e->window_ms = now;
                e->used = 0;
            }
            return e;
        }
        bool reusable = !e->addr[0] || now - e->window_ms >= b->window;
        if (!victim || (reusable && victim->addr[0]) ||
            (!reusable && victim->addr[0] && e->window_ms < victim->window_ms))
            victim = e;
    }
    if (!create)
        return NULL;
    snprintf(victim->addr, sizeof(victim->addr), "%s", addr);
    victim->window_ms = now;
    victim->used = 0;
    return victim;
}

bool aegis_rpc_budget_allows(aegis_rpc_budget *b, const char *addr, uint64_t now_ms, uint64_t *ret_retry_ms)
{
    if (!b || !addr || !b->limit)
        return true;
    pthread_mutex_lock(&b->lock);
    struct entry *e = find(b, addr, now_ms, false);
    bool ok = !e || e->used < b->limit;
    if (!ok && ret_retry_ms)
        *ret_retry_ms = e->window_ms + b->window - now_ms;
    pthread_mutex_unlock(&b->lock);
    return ok;
}

void aegis_rpc_budget_charge(aegis_rpc_budget *b, const char *addr, uint64_t amount, uint64_t now_ms)
{
    if (!b || !addr || !b->limit)
        return;
    pthread_mutex_lock(&b->lock);
    struct entry *e = find(b, addr, now_ms, true);
    e->used = e->used + amount < e->used ? UINT64_MAX : e->used + amount;
    pthread_mutex_unlock(&b->lock);
}
