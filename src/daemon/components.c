/* components.c - what aegisd runs, in start order (stopped in reverse).
 * Adding a capability to the daemon is adding a line here. */
#include "daemon.h"

const struct aegisd_component aegisd_components[] = {
    { "node", aegisd_node_start, NULL },
    { "pipeline", aegisd_pipeline_start, aegisd_pipeline_stop },
};
const size_t aegisd_n_components = sizeof(aegisd_components) / sizeof(aegisd_components[0]);
