/*
 * kavro bench - the clocks, text builder, measuring loop and line printers
 * every bench program shares (see bench_util.h).
 */
#define _GNU_SOURCE /* program_invocation_short_name */
#include "bench_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <avro.h>

/* ---- clocks ------------------------------------------------------------ */

static double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double kb_now(void) { return clock_seconds(CLOCK_MONOTONIC); }

double kb_thread_now(void) { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }

/* ---- building text ----------------------------------------------------- */

void kb_put(kb_text_t *t, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = t->capacity - t->length;
    int n = vsnprintf(t->data ? t->data + t->length : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
      abort();
    if ((size_t)n < room) {
      t->length += (size_t)n;
      return;
    }
    /* Grow and format again: the first attempt told the size needed. */
    t->capacity = 2 * t->capacity + (size_t)n + 1;
    if (!(t->data = realloc(t->data, t->capacity)))
      abort();
  }
}

/* ---- measuring --------------------------------------------------------- */

double kb_ns_per_op(kb_batch_fn op, void *ctx, size_t batch,
                    double min_seconds) {
  op(ctx, batch);
  size_t done = 0;
  double start = kb_now(), elapsed;
  do {
    op(ctx, batch);
    done += batch;
    elapsed = kb_now() - start;
  } while (elapsed < min_seconds);
  return elapsed * 1e9 / (double)done;
}

/* A single-call operation seen as a batch operation. */
typedef struct call_batch_s {
  kb_call_fn op;
  void *ctx;
} call_batch_t;

static void run_calls(void *opaque, size_t count) {
  call_batch_t *calls = opaque;
  for (size_t i = 0; i < count; i++)
    calls->op(calls->ctx);
}

double kb_best_ns_per_call(kb_call_fn op, void *ctx, int rounds,
                           double min_seconds) {
  call_batch_t calls = {op, ctx};
  double best = 0;
  for (int round = 0; round < rounds; round++) {
    double per = kb_ns_per_op(run_calls, &calls, 1000, min_seconds);
    if (round == 0 || per < best)
      best = per;
  }
  return best;
}

/* ---- interleaved rounds ------------------------------------------------ */

double kb_case_seconds(double fallback) {
  const char *text = getenv("KAVRO_BENCH_SECONDS");
  char *end;
  double seconds = text ? strtod(text, &end) : 0;
  return text && end != text && seconds > 0 ? seconds : fallback;
}

void kb_rounds(kb_case_t *cases, size_t count, void *ctx, int rounds,
               double min_seconds) {
  if (rounds > KB_MAX_ROUNDS)
    rounds = KB_MAX_ROUNDS;
  for (int round = 0; round < rounds; round++)
    for (size_t i = 0; i < count; i++) {
      call_batch_t calls = {cases[i].op, ctx};
      cases[i].ns[round] = kb_ns_per_op(run_calls, &calls, 1000, min_seconds);
    }
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *values, int count) {
  qsort(values, (size_t)count, sizeof(*values), compare_doubles);
  return count % 2 ? values[count / 2]
                   : (values[count / 2 - 1] + values[count / 2]) / 2;
}

double kb_case_median(const kb_case_t *c, int rounds) {
  double values[KB_MAX_ROUNDS];
  memcpy(values, c->ns, sizeof(values));
  return median(values, rounds);
}

double kb_median_ratio(const kb_case_t *a, const kb_case_t *b, int rounds) {
  double ratios[KB_MAX_ROUNDS];
  for (int round = 0; round < rounds; round++)
    ratios[round] = a->ns[round] / b->ns[round];
  return median(ratios, rounds);
}

/* ---- reporting --------------------------------------------------------- */

void kb_figure(const char *name, int decimals, double value, const char *unit) {
  printf("FIGURE %s %.*f %s\n", name, decimals, value, unit);
}

/* "<kind> <name> <measured>[ <goal>]". */
static void goal_line(const char *kind, const char *name, int decimals,
                      double measured, const char *goal) {
  printf("%s %s %.*f%s%s\n", kind, name, decimals, measured, goal ? " " : "",
         goal ? goal : "");
}

void kb_ratio(const char *name, int decimals, double measured,
              const char *goal) {
  goal_line("RATIO", name, decimals, measured, goal);
}

void kb_count(const char *name, double measured, const char *goal) {
  goal_line("COUNT", name, 0, measured, goal);
}

void kb_die(const char *what, const kavro_error_t *error) {
  char line[1024];
  const char *why = avro_strerror();
  if (error)
    why = kavro_error_format(error, line, sizeof(line));
  else if (!why || !*why)
    why = "failed";
  fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, why);
  exit(EXIT_FAILURE);
}
