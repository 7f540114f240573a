/*
 * kavro benches - the ServiceOrderCreated events the typed and end-to-end
 * benches measure, so that their figures meet.
 */
#ifndef KAVRO_BENCH_SAMPLE_ORDER_H
#define KAVRO_BENCH_SAMPLE_ORDER_H

#include "catalog.h"
#include "service_order_limit.h"

/* @v as the hand-written limit's struct (service_order_limit.h), its
 * strings borrowed from @v. */
void kb_limit_order(limit_order_t *h, const service_order_created_t *v);

/* Fill @v with the sample event; its strings are static. */
void kb_sample_order(service_order_created_t *v);

/* Events a measured case cycles through, so that branches (string lengths,
 * the boolean, the optional field) are not all predicted. */
#define KB_POOL_SIZE 256

/* Fill @pool with KB_POOL_SIZE deterministic, varied events (splitmix64
 * from a fixed seed: every run measures the same values).  Their strings
 * live in static storage; not thread-safe. */
void kb_order_pool(service_order_created_t pool[KB_POOL_SIZE]);

#endif
