/*
 * kavro bench - what every bench program shares: the clocks, a growable
 * printf-appending text, the measuring loop, the machine-line printers and
 * the way a bench gives up.
 *
 * Machine lines, one per figure, read by people and by scripts:
 *
 *   FIGURE <name> <value> <unit>
 *   RATIO <name> <measured> [<goal>]   (measured must not exceed goal)
 *   COUNT <name> <measured> [<goal>]
 *
 * Single-threaded except kb_thread_now(); nothing here is meant for a
 * library build.
 */
#ifndef KAVRO_BENCH_UTIL_H
#define KAVRO_BENCH_UTIL_H

#include <stddef.h>

#include <kavro.h>

/* ---- clocks ------------------------------------------------------------ */

/* Wall-clock seconds on the monotonic clock. */
double kb_now(void);

/* CPU seconds of the calling thread: time spent waiting for a core on a
 * shared machine is left out. */
double kb_thread_now(void);

/* ---- building text ----------------------------------------------------- */

/* A growable string; start it as {NULL, 0, 0}, free data when done. */
typedef struct kb_text_s {
  char *data;
  size_t length, capacity;
} kb_text_t;

/* Append printf-formatted text to @t; aborts when memory runs out (a bench
 * has nothing better to do). */
void kb_put(kb_text_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- measuring --------------------------------------------------------- */

/* Does the measured operation @count times on @ctx. */
typedef void (*kb_batch_fn)(void *ctx, size_t count);

/* Does the measured operation once on @ctx. */
typedef void (*kb_call_fn)(void *ctx);

/* Nanoseconds per operation: runs @op in batches of @batch (one batch first
 * to warm caches and the allocator) until @min_seconds have passed. */
double kb_ns_per_op(kb_batch_fn op, void *ctx, size_t batch,
                    double min_seconds);

/* Nanoseconds per call of @op, the best of @rounds runs of kb_ns_per_op in
 * batches of 1000 calls (on a shared machine the best run is the one least
 * disturbed). */
double kb_best_ns_per_call(kb_call_fn op, void *ctx, int rounds,
                           double min_seconds);

/* ---- interleaved rounds ------------------------------------------------ */

#define KB_MAX_ROUNDS 9

/* One measured case: @op's nanoseconds per call in each round. */
typedef struct kb_case_s {
  const char *name;
  kb_call_fn op;
  double ns[KB_MAX_ROUNDS];
} kb_case_t;

/* Seconds each case runs per round: $KAVRO_BENCH_SECONDS when set (a
 * quick look), else @fallback. */
double kb_case_seconds(double fallback);

/* Measure the @count @cases on @ctx in @rounds rounds (at most
 * KB_MAX_ROUNDS), every case for @min_seconds per round.  The rounds
 * interleave the cases, so that a busy minute of a shared machine slows
 * all of them alike and the ratios taken within a round stay fair. */
void kb_rounds(kb_case_t *cases, size_t count, void *ctx, int rounds,
               double min_seconds);

/* The median of @c's nanoseconds per call over @rounds rounds. */
double kb_case_median(const kb_case_t *c, int rounds);

/* The median over @rounds rounds of @a's time over @b's in the same
 * round. */
double kb_median_ratio(const kb_case_t *a, const kb_case_t *b, int rounds);

/* ---- reporting --------------------------------------------------------- */

/* "FIGURE <name> <value> <unit>", the value with @decimals decimals. */
void kb_figure(const char *name, int decimals, double value, const char *unit);

/* "RATIO <name> <measured> <goal>"; without the goal when @goal is NULL. */
void kb_ratio(const char *name, int decimals, double measured,
              const char *goal);

/* "COUNT <name> <measured> <goal>", measured as a whole number; without the
 * goal when @goal is NULL. */
void kb_count(const char *name, double measured, const char *goal);

/* Print "<program>: <what>: <why>" to stderr and exit with failure.  The
 * why is @error's text, else avro-c's last error, else "failed". */
_Noreturn void kb_die(const char *what, const kavro_error_t *error);

#endif
