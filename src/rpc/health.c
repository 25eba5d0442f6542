/*
 * health.c - named components (store, tee, rpc, ...) and their states,
 * rendered by GET /healthz. The node is as healthy as its worst component;
 * with no component registered yet it is "not ready" (503).
 */
#include <stdio.h>
#include <string.h>

#include "rpc_int.h"

const char *aegis_health_state_name(aegis_health_state s)
{
    switch (s) {
    case AEGIS_HEALTH_OK: return "ok";
    case AEGIS_HEALTH_DEGRADED: return "degraded";
    case AEGIS_HEALTH_DOWN: return "down";
    }
    return "unknown";
}

aegis_err aegis_rpc_health_set(aegis_rpc_server *srv, const char *name, aegis_health_state state,
                               const char *detail)
{
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&srv->health_lock);
    struct aegis__health *h = NULL;
    for (size_t i = 0; i < srv->n_health; i++)
        if (strncmp(srv->health[i].name, name, sizeof(h->name) - 1) == 0)
            h = &srv->health[i];
    if (!h) {
        if (srv->n_health == AEGIS_RPC_MAX_HEALTH) {
            err = AEGIS_ERR_TOO_BIG;
            goto out;
        }
        h = &srv->health[srv->n_health++];
        snprintf(h->name, sizeof(h->name), "%s", name);
    }
    h->state = state;
    snprintf(h->detail, sizeof(h->detail), "%s", detail ? detail : "");
out:
    pthread_mutex_unlock(&srv->health_lock);
    return err;
}

unsigned aegis__health_render(aegis_rpc_server *srv, char **ret, size_t *ret_len)
{
    aegis_health_state worst = AEGIS_HEALTH_OK;
    json_t *comps = json_object();

    pthread_mutex_lock(&srv->health_lock);
    size_t n = srv->n_health;
    for (size_t i = 0; i < n; i++) {
        struct aegis__health *h = &srv->health[i];
        if (h->state > worst)
            worst = h->state;
        if (comps)
            json_object_set_new(comps, h->name,
                                json_pack("{s:s, s:s}", "state", aegis_health_state_name(h->state),
                                          "detail", h->detail));
    }
    pthread_mutex_unlock(&srv->health_lock);

    unsigned status;
    const char *overall;
    if (n == 0 || worst == AEGIS_HEALTH_DOWN) {
        status = 503;
        overall = n == 0 ? "starting" : "down";
    } else if (worst == AEGIS_HEALTH_DEGRADED) {
        status = 206;
        overall = "degraded";
    } else {
        status = 200;
        overall = "healthy";
    }
    json_t *doc = json_pack("{s:s, s:o?}", "status", overall, "components", comps);
    *ret = NULL;
    *ret_len = 0;
    if (!doc || aegis__rpc_dump(doc, ret, ret_len) != AEGIS_OK)
        status = 503;
    json_decref(doc);
    return status;
}
