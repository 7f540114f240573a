/*
 * kavro tests - a countdown allocator that makes one chosen allocation
 * fail, for torture tests in the manner of curl's `runtests.pl -t`.
 *
 * alloc_fail.c defines malloc, calloc, realloc, free and the aligned
 * allocators, forwarding to glibc's own entry points.  Definitions in the
 * executable interpose on every shared library's calls too (jansson,
 * avro-c, libcurl, glibc's own strdup), so one countdown covers the whole
 * process.  Only the thread that armed the countdown is counted and made
 * to fail, so that a helper thread never takes the failure meant for the
 * operation under test.
 *
 * A program gets the allocator by listing alloc_fail.c among its own
 * sources: it is not part of tests/libtestutil.la, where an archive member
 * defining malloc would be linked into every test program.
 *
 * Sanitizers and valgrind own malloc: under AddressSanitizer,
 * ThreadSanitizer or MemorySanitizer the allocator is not compiled in, and
 * under valgrind it is left unused; kt_alloc_fail_unavailable() says why.
 */
#ifndef KAVRO_TESTS_ALLOC_FAIL_H
#define KAVRO_TESTS_ALLOC_FAIL_H

#include <stdbool.h>
#include <stddef.h>

/* NULL when failures can be injected in this process, else the reason
 * they cannot (a static string). */
const char *kt_alloc_fail_unavailable(void);

/* From now on, the calling thread's @nth allocation (1 = the next one)
 * returns NULL; later ones succeed again.  Allocations of other threads
 * are neither counted nor failed. */
void kt_alloc_fail_arm(unsigned long nth);

/* Stop counting.  Returns true when the failure was injected since
 * kt_alloc_fail_arm(). */
bool kt_alloc_fail_disarm(void);

/* For code that cannot survive a failure, in a library kavro uses: from
 * now until kt_alloc_fail_spare_end(), count only the calling thread's
 * next @counted allocations (which may fail as usual) and let the rest
 * succeed uncounted. */
void kt_alloc_fail_spare_after(unsigned long counted);
void kt_alloc_fail_spare_end(void);

/* Allocations the calling thread asked for since kt_alloc_fail_arm()
 * (the failed one included, spared ones not). */
unsigned long kt_alloc_fail_count(void);

/* Blocks allocated and not yet freed, by every thread, since the program
 * started: compare two readings to find a leak. */
long kt_alloc_live(void);

#endif /* KAVRO_TESTS_ALLOC_FAIL_H */
