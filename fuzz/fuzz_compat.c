/*
 * libFuzzer harness: the compatibility engine, on two schemas made from any
 * bytes.
 *
 * The input is split at its first NUL byte into a reader text and a writer
 * text; without a NUL, the whole input is both.  Whatever parses is checked
 * in both directions, and under FULL_TRANSITIVE.  Besides "no crash, no
 * leak, no undefined behaviour", these must hold, and a violation aborts:
 *   - a schema always reads itself;
 *   - the result lists something exactly when the verdict is incompatible;
 *   - every finding has a message and JSON-pointer locations;
 *   - FULL_TRANSITIVE against one previous schema finds what the two plain
 *     checks find together.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>

#include "compat_int.h"

static void fail(const char *what) {
  fprintf(stderr, "fuzz_compat: %s\n", what);
  abort();
}

/* The engine's verdict, settled apart from the listing of findings. */
static bool verdict_compatible(const kavro_schema_t *reader,
                               const kavro_schema_t *writer, bool *limited) {
  kv_compat_graph_t g;
  kv_compat_graph_init(&g);
  uint32_t root;
  kavro_err_t err = kv_compat_settle(&g, kv_schema_root(reader),
                                     kv_schema_root(writer), &root, NULL);
  bool compatible = !err && !g.pairs[root].failed;
  *limited = err != KAVRO_OK;
  kv_compat_graph_free(&g);
  return compatible;
}

static void check_findings(const kavro_compat_result_t *res,
                           const kavro_schema_t *reader,
                           const kavro_schema_t *writer) {
  for (size_t i = 0; i < kavro_compat_result_count(res); i++) {
    const kavro_incompat_t *x = kavro_compat_result_get(res, i);
    if (!x || !x->message[0] || x->reader_location[0] != '/' ||
        x->writer_location[0] != '/')
      fail("a finding without message or locations");
    (void)kavro_incompat_kind_name(x->kind);
    int line, column;
    kavro_schema_locate(reader, x->reader_location, &line, &column);
    kavro_schema_locate(writer, x->writer_location, &line, &column);
  }
}

/* Check @reader against @writer; the number of findings, or -1 when the
 * check hit its bounds. */
static long check_pair(const kavro_schema_t *reader,
                       const kavro_schema_t *writer) {
  bool limited;
  bool compatible = verdict_compatible(reader, writer, &limited);
  kavro_compat_result_t *res = NULL;
  kavro_err_t err = kavro_compat_check(reader, writer, &res, NULL);
  if (err != KAVRO_OK) {
    if (res || (err != KAVRO_ERR_LIMIT && err != KAVRO_ERR_NOMEM))
      fail("a failed check must leave no result and be a bound or memory");
    return -1;
  }
  if (limited)
    fail("the verdict hit a bound that the full check did not");
  if (compatible != kavro_compat_result_is_compatible(res))
    fail("the findings disagree with the verdict");
  check_findings(res, reader, writer);
  long count = (long)kavro_compat_result_count(res);
  kavro_compat_result_destroy(res);
  return count;
}

static void check_both(kavro_schema_t *a, kavro_schema_t *b) {
  if (check_pair(a, a) > 0 || check_pair(b, b) > 0)
    fail("a schema does not read itself");
  long ab = check_pair(a, b), ba = check_pair(b, a);
  if (ab < 0 || ba < 0)
    return;
  kavro_schema_t *previous[] = {a};
  kavro_compat_result_t *res = NULL;
  if (kavro_compat_check_level(KAVRO_COMPAT_FULL_TRANSITIVE, b, previous, 1,
                               &res, NULL) != KAVRO_OK)
    return;
  if ((long)kavro_compat_result_count(res) != ab + ba)
    fail("FULL_TRANSITIVE differs from the two plain checks");
  kavro_compat_result_destroy(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  const char *text = (const char *)data;
  const char *nul = memchr(text, '\0', size);
  size_t first = nul ? (size_t)(nul - text) : size;
  const char *second = nul ? nul + 1 : text;
  size_t second_size = nul ? size - first - 1 : size;
  kavro_schema_t *a = NULL, *b = NULL;
  if (kavro_schema_parse(text, first, NULL, &a, NULL) == KAVRO_OK &&
      kavro_schema_parse(second, second_size, NULL, &b, NULL) == KAVRO_OK)
    check_both(a, b);
  kavro_schema_destroy(a);
  kavro_schema_destroy(b);
  return 0;
}
