/*
 * kavro benches - the ServiceOrderCreated events the typed and end-to-end
 * benches measure, so that their figures meet.
 */
#ifndef KAVRO_BENCH_SAMPLE_ORDER_H
#define KAVRO_BENCH_SAMPLE_ORDER_H

#include <stdint.h>

#include <avro.h>

#include "catalog.h"
#include "service_order_limit.h"

/* @v as the hand-written limit's struct (service_order_limit.h), its
 * strings borrowed from @v. */
void kb_limit_order(limit_order_t *h, const service_order_created_t *v);

/* Set every field of @r, an avro-c generic value of the event's schema,
 * from @v, as a C user of avro-c does by hand (strings copied).  Nonzero
 * when avro-c fails. */
int kb_avro_order(avro_value_t *r, const service_order_created_t *v);

/* Fill @v with the sample event; its strings are static. */
void kb_sample_order(service_order_created_t *v);

/* Events a measured case cycles through, so that branches (string lengths,
 * the boolean, the optional field) are not all predicted. */
#define KB_POOL_SIZE 256

/* Fill @pool with KB_POOL_SIZE deterministic, varied events (splitmix64
 * from a fixed seed: every run measures the same values).  Their strings
 * live in static storage; not thread-safe. */
void kb_order_pool(service_order_created_t pool[KB_POOL_SIZE]);

/* What every pool is made of, for the pools of other records
 * (sample_pyxis.h). */

/* The seed every pool starts from: the same values every run. */
#define KB_POOL_SEED UINT64_C(0x6b6176726f)

/* The next number of the splitmix64 sequence at @state (Steele, Lea, Flood
 * 2014: small, fast, and every seed gives a full period). */
uint64_t kb_splitmix64(uint64_t *state);

/* A number of 1 to 7 digits from @r, the lengths spread evenly. */
unsigned long kb_varied_number(uint64_t r);

/* printf into @buf of @size bytes, as a string over it; aborts when the
 * text does not fit (the pool's buffers are sized for their texts). */
kavro_str_t kb_pool_printf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A random version-4 UUID from @state into @buf, which holds its 36
 * characters and a NUL. */
#define KB_UUID_SIZE 37
kavro_str_t kb_pool_uuid(char buf[KB_UUID_SIZE], uint64_t *state);

#endif
