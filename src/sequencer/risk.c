/* risk.c - the risk feed on the host side: signed assessments
 * arrive over aegis_submitRiskAssessment or from a watched file
 * ([quantum] risk_file) and go through the log as control records
 * (control.c); the core decides; every decision (accepted or rejected, with
 * its reason code) is recorded in the store ("risk"), and the accepted state
 * is persisted ("risk_state") so a restart keeps the level and keeps
 * refusing replays. */
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "aegis/log.h"
#include "seq_int.h"

#define MOD "risk"

aegis_err aegis_seq_apply_risk(struct aegis_seq *p, const char *json, size_t len, uint64_t now_ms,
                               json_t **ret_decision, const char **detail)
{
    char *dec = NULL, *state = NULL;
    aegis_err result = aegis_core_submit_risk(p->core, json, len, now_ms, &dec);
    if (dec) {
        pthread_mutex_lock(&p->lock);
        uint64_t key = ++p->n_decisions;
        pthread_mutex_unlock(&p->lock);
        if (aegis_store_put(p->store, "risk", key, (const uint8_t *)dec, strlen(dec)) != AEGIS_OK)
            AEGIS_LOGW(MOD, "cannot record a risk decision", "n=%llu", (unsigned long long)key);
    }
    if (result == AEGIS_OK && aegis_seq_persist_registry(p, NULL) != AEGIS_OK)
        AEGIS_LOGE(MOD, "registry changes (activated protections) not persisted", NULL);
    if (result == AEGIS_OK && aegis_core_risk_state(p->core, &state) == AEGIS_OK) {
        if (aegis_store_meta_put(p->store, "risk_state", (const uint8_t *)state, strlen(state)) != AEGIS_OK)
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

void aegis_seq_poll_risk_file(struct aegis_seq *p)
{
    const char *path = p->cfg->risk_file;
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
    /* through the log: a cluster's workers all watch the same file, and
     * their appends of one assessment are one record (de-duplicated) */
    const char *detail = NULL;
    aegis_err err = p->log->submit_control(p, "risk", (const char *)buf, len, NULL, &detail);
    if (err && !(err >= 900 && err < 1000))   /* the core's decisions are logged where they are made */
        AEGIS_LOGW(MOD, "risk file assessment not applied", "err=%s detail=\"%s\"", aegis_err_name(err),
                   detail ? detail : "");
    aegis_free(buf);
}

aegis_err aegis_seq_restore_decisions(struct aegis_seq *p)
{
    uint64_t last = 0;
    if (aegis_store_last(p->store, "risk", &last) == AEGIS_OK)
        p->n_decisions = last;
    return AEGIS_OK;
}
