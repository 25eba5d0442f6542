/* components.c - what aegisd runs, in start order (stopped in reverse).
 * Adding a capability to the daemon is adding a line here. */
#include "daemon.h"

aegis_err aegisd_seq_start(struct aegisd *d, const char **detail)
{
    return aegis_seq_start(&d->cfg, d->store, d->rpc, &d->seq, detail);
}

void aegisd_seq_stop(struct aegisd *d)
{
    aegis_seq_stop(d->seq);
    d->seq = NULL;
}

const struct aegisd_component aegisd_components[] = {
    { "node", aegisd_node_start, NULL },
    { "sequencer", aegisd_seq_start, aegisd_seq_stop },
};
const size_t aegisd_n_components = sizeof(aegisd_components) / sizeof(aegisd_components[0]);
