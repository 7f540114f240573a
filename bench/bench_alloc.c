/*
 * kavro bench - the counting allocator (see bench_alloc.h).
 */
#include "bench_alloc.h"

/* glibc's own entry points, so that the wrappers below can count every
 * allocation of the process, avro-c's and jansson's included: the wrappers
 * are exported (the build hides symbols by default) so that the shared
 * libraries bind to them. */
#define COUNTED __attribute__((visibility("default")))
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

/* The wrappers replace the C library's and so cannot be declared static;
 * they carry their own prototypes for -Wmissing-prototypes. */
COUNTED void *malloc(size_t size);
COUNTED void *calloc(size_t n, size_t size);
COUNTED void *realloc(void *p, size_t size);

static size_t allocations;

COUNTED void *malloc(size_t size) {
  allocations++;
  return __libc_malloc(size);
}

COUNTED void *calloc(size_t n, size_t size) {
  allocations++;
  return __libc_calloc(n, size);
}

COUNTED void *realloc(void *p, size_t size) {
  allocations++;
  return __libc_realloc(p, size);
}

size_t kb_allocations_in_calls(kb_call_fn op, void *ctx, size_t warm,
                               size_t calls) {
  for (size_t i = 0; i < warm; i++)
    op(ctx);
  size_t before = allocations;
  for (size_t i = 0; i < calls; i++)
    op(ctx);
  return allocations - before;
}
