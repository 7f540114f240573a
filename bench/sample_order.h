/*
 * kavro benches - the ServiceOrderCreated event the typed and end-to-end
 * benches measure, so that their figures meet.
 */
#ifndef KAVRO_BENCH_SAMPLE_ORDER_H
#define KAVRO_BENCH_SAMPLE_ORDER_H

#include "catalog.h"

/* Fill @v with the sample event; its strings are static. */
void kb_sample_order(service_order_created_t *v);

#endif
