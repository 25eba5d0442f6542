/* pipeline_risk.c - the risk feed on the host side: signed assessments
 * arrive over aegis_submitRiskAssessment or from a watched file
 * ([quantum] risk_file); the core decides; every decision (accepted or
 * rejected, with its reason code) is recorded in the store ("risk"), and the
 * accepted state is persisted ("risk_state") so a restart keeps the level
 * and keeps refusing replays. */
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "aegis/log.h"
#include "pipeline_int.h"

#define MOD "risk"

aegis_err aegisd_pipeline_submit_risk(struct aegisd_pipeline *p, const char *json, size_t len,
                                      json_t **ret_decision, const char **detail)
{
    char *dec = NULL, *state = NULL;
    aegis_err result = aegis_core_submit_risk(p->core, json, len, aegis_wall_ms(), &dec);
    if (dec) {
        pthread_mutex_lock(&p->lock);
        uint64_t key = ++p->n_decisions;
        pthread_mutex_unlock(&p->lock);
        if (aegis_store_put(p->d->store, "risk", key, (const uint8_t *)dec, strlen(dec)) != AEGIS_OK)
            AEGIS_LOGW(MOD, "cannot record a risk decision", "n=%llu", (unsigned long long)key);
    }
    if (result == AEGIS_OK && aegisd_pipeline_persist_registry(p, NULL) != AEGIS_OK)
        AEGIS_LOGE(MOD, "registry changes (activated protections) not persisted", NULL);
    if (result == AEGIS_OK && aegis_core_risk_state(p->core, &state) == AEGIS_OK) {
        if (aegis_store_meta_put(p->d->store, "risk_state", (const uint8_t *)state, strlen(state)) != AEGIS_OK)
            AEGIS_LOGE(MOD, "risk state not persisted", NULL);
        AEGIS_LOGI(MOD, "assessment accepted", "state=%s", state);
    } else if (result) {
        AEGIS_LOGW(MOD, "assessment rejected", "err=%s", aegis_err_name(result));
    }
    if (ret_decision)
        *ret_decision = dec ? json_loads(dec, 0, NULL) : NULL;
    if (result && detail)
        *detail = aegis_strerror(result);
    aegis_free(dec);
    aegis_free(state);
    return result;
}

void aegisd_pipeline_poll_risk_file(struct aegisd_pipeline *p)
{
    const char *path = p->d->cfg.risk_file;
    struct stat st;
    if (!path || !path[0] || stat(path, &st) != 0)
        return;
    long long mt = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    if (mt == p->risk_mtime_ns && (long long)st.st_size == p->risk_size)
        return;
    p->risk_mtime_ns = mt;
    p->risk_size = (long long)st.st_size;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (aegis_file_read(path, 65536, &buf, &len) != AEGIS_OK) {
        AEGIS_LOGW(MOD, "cannot read the risk file", "path=%s", path);
        return;
    }
    (void)aegisd_pipeline_submit_risk(p, (const char *)buf, len, NULL, NULL);
    aegis_free(buf);
}

aegis_err aegisd_pipeline_restore_decisions(struct aegisd_pipeline *p)
{
    uint64_t last = 0;
    if (aegis_store_last(p->d->store, "risk", &last) == AEGIS_OK)
        p->n_decisions = last;
    return AEGIS_OK;
}
