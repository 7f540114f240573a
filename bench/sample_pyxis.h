/*
 * kavro benches - the PyxisOrderCreated events bench_typed measures as its
 * big record: 20 products a message, varied like the ServiceOrderCreated
 * pool (sample_order.h) and from the same generator.
 */
#ifndef KAVRO_BENCH_SAMPLE_PYXIS_H
#define KAVRO_BENCH_SAMPLE_PYXIS_H

#include "catalog.h"
#include "pyxis_order_limit.h"
#include "sample_order.h"

/* Products in every event of the pool. */
#define KB_PYXIS_PRODUCTS 20

/* Fill @pool with KB_POOL_SIZE deterministic, varied events (string
 * lengths, sales channels, store_id null or not; KB_PYXIS_PRODUCTS
 * products each).  Their strings and products live in static storage; not
 * thread-safe. */
void kb_pyxis_pool(pyxis_order_created_t pool[KB_POOL_SIZE]);

/* @v as the hand-written limit's struct (pyxis_order_limit.h), its strings
 * borrowed from @v and its products written to @products, which must have
 * room for @v's. */
void kb_limit_pyxis(limit_pyxis_t *h, limit_product_t *products,
                    const pyxis_order_created_t *v);

#endif
