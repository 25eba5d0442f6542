/* tee_measure.c - a TD's measurement for the tdx and dstack backends: the
 * MRTD of a quote over a fixed tag, learned once and cached. */
#include <string.h>

#include "aegis/attest.h"
#include "tee_int.h"

aegis_err aegis__tee_mrtd_cached(struct aegis__tee_mrtd *m, aegis__tee_quote_fn quote, void *ctx, const char *tag,
                                 uint8_t out[static AEGIS_TEE_MEASUREMENT_BYTES])
{
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&m->lock);
    if (!m->have) {
        uint8_t rd[AEGIS_TEE_REPORT_DATA_BYTES] = { 0 }, *q = NULL;
        size_t qlen = 0;
        memcpy(rd, tag, strlen(tag));
        aegis_quote pq;
        err = quote(ctx, rd, &q, &qlen);
        if (!err && (err = aegis_quote_parse(q, qlen, &pq, NULL)) == AEGIS_OK) {
            memcpy(m->meas, pq.td.mr_td, sizeof(m->meas));
            m->have = true;
        }
        aegis_free(q);
    }
    if (!err)
        memcpy(out, m->meas, AEGIS_TEE_MEASUREMENT_BYTES);
    pthread_mutex_unlock(&m->lock);
    return err;
}
