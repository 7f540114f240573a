/*
 * kavro bench - counting every allocation of the process.
 *
 * Linking bench_alloc.c into a bench program replaces malloc, calloc and
 * realloc with counting wrappers around glibc's own entry points.  Only the
 * single-threaded benches that report allocations link it: the counter is
 * not atomic, and a shared counter would distort multi-threaded timings.
 */
#ifndef KAVRO_BENCH_ALLOC_H
#define KAVRO_BENCH_ALLOC_H

#include <stddef.h>

#include "bench_util.h"

/* Allocations made by @calls calls of @op, after @warm calls that are not
 * counted (so that caches and pools have filled). */
size_t kb_allocations_in_calls(kb_call_fn op, void *ctx, size_t warm,
                               size_t calls);

#endif
