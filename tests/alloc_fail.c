/*
 * kavro tests - the countdown allocator (see alloc_fail.h).
 */
#include "alloc_fail.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define KT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KT_SANITIZED 1
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

#ifdef KT_SANITIZED

const char *kt_alloc_fail_unavailable(void) {
  return "built with a sanitizer, which owns malloc";
}

void kt_alloc_fail_arm(unsigned long nth) { (void)nth; }

bool kt_alloc_fail_disarm(void) { return false; }

void kt_alloc_fail_spare_after(unsigned long budget) { (void)budget; }

void kt_alloc_fail_spare_end(void) {}

unsigned long kt_alloc_fail_count(void) { return 0; }

long kt_alloc_live(void) { return 0; }

#else

/* valgrind puts its own allocator under the process to track every
 * block, and thousands of failing runs would take far too long there: the
 * suite is skipped under it.  Without valgrind.h, a test script that runs
 * valgrind says so in KAVRO_UNDER_VALGRIND. */
static bool under_valgrind(void) {
#ifdef RUNNING_ON_VALGRIND
  if (RUNNING_ON_VALGRIND)
    return true;
#endif
  const char *flag = getenv("KAVRO_UNDER_VALGRIND");
  return flag && *flag && *flag != '0';
}

/* glibc's allocator under its other names. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t alignment, size_t size);

/* The replacements cannot be static, and the build hides symbols by
 * default: exported, the shared libraries bind to them. */
#define KT_INTERPOSED __attribute__((visibility("default")))
KT_INTERPOSED void *malloc(size_t size);
KT_INTERPOSED void *calloc(size_t count, size_t size);
KT_INTERPOSED void *realloc(void *ptr, size_t size);
KT_INTERPOSED void free(void *ptr);
KT_INTERPOSED void *memalign(size_t alignment, size_t size);
KT_INTERPOSED void *aligned_alloc(size_t alignment, size_t size);
KT_INTERPOSED int posix_memalign(void **out, size_t alignment, size_t size);

/* Per thread: whether armed, allocations counted so far, which one fails
 * and whether it has.  Thread-local storage of the executable is static,
 * so reading it never allocates. */
static _Thread_local bool armed;
static _Thread_local unsigned long counted;
static _Thread_local unsigned long fail_at;
static _Thread_local bool failed;
static _Thread_local bool sparing;
static _Thread_local unsigned long spare_budget;

static atomic_long live_blocks;

/* True when the allocation being made is the one to fail. */
static bool take_failure(void) {
  if (!armed)
    return false;
  if (sparing) {
    if (spare_budget == 0)
      return false;
    spare_budget--;
  }
  counted++;
  if (counted != fail_at)
    return false;
  failed = true;
  return true;
}

static void *counted_block(void *block) {
  if (block)
    atomic_fetch_add(&live_blocks, 1);
  return block;
}

void *malloc(size_t size) {
  if (take_failure()) {
    errno = ENOMEM;
    return NULL;
  }
  return counted_block(__libc_malloc(size));
}

void *calloc(size_t count, size_t size) {
  if (take_failure()) {
    errno = ENOMEM;
    return NULL;
  }
  return counted_block(__libc_calloc(count, size));
}

/* realloc(p, 0) frees p (glibc), and is no allocation to fail; a failed
 * realloc leaves p allocated, as the real one does. */
void *realloc(void *ptr, size_t size) {
  if (!ptr)
    return malloc(size);
  if (size == 0) {
    atomic_fetch_sub(&live_blocks, 1);
    return __libc_realloc(ptr, 0);
  }
  if (take_failure()) {
    errno = ENOMEM;
    return NULL;
  }
  return __libc_realloc(ptr, size);
}

void free(void *ptr) {
  if (ptr)
    atomic_fetch_sub(&live_blocks, 1);
  __libc_free(ptr);
}

/* The aligned allocators are replaced too, so that a block they make and
 * free() releases keeps the count of live blocks right. */
void *memalign(size_t alignment, size_t size) {
  if (take_failure()) {
    errno = ENOMEM;
    return NULL;
  }
  return counted_block(__libc_memalign(alignment, size));
}

void *aligned_alloc(size_t alignment, size_t size) {
  return memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  void *block = memalign(alignment, size);
  if (!block)
    return ENOMEM;
  *out = block;
  return 0;
}

const char *kt_alloc_fail_unavailable(void) {
  if (under_valgrind())
    return "running under valgrind, which replaces malloc";
  return NULL;
}

void kt_alloc_fail_arm(unsigned long nth) {
  counted = 0;
  sparing = false;
  fail_at = nth;
  failed = false;
  armed = true;
}

bool kt_alloc_fail_disarm(void) {
  armed = false;
  return failed;
}

void kt_alloc_fail_spare_after(unsigned long budget) {
  spare_budget = budget;
  sparing = true;
}

void kt_alloc_fail_spare_end(void) { sparing = false; }

unsigned long kt_alloc_fail_count(void) { return counted; }

long kt_alloc_live(void) { return atomic_load(&live_blocks); }

#endif /* KT_SANITIZED */
