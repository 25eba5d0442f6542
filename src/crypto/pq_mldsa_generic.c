/* pq_mldsa_generic.c - the portable ML-DSA-87 core (pq_mldsa_core.h) on
 * aegis_pqclean's ML-DSA-87 objects. */
#define MLDSA_OPS aegis__mldsa87_generic
#include "pq_mldsa_core.h"
