/*
 * kavro bench - the compatibility engine.
 *
 * Generates an event of N fields (every kind of type a real event uses:
 * primitives, logical types, nullable unions, enums, fixed, arrays of
 * records, maps, nested records, references by name) and later versions
 * evolved the way teams do: fields added with defaults, ints widened to
 * longs, enum symbols added, fields renamed with an alias.  Measures:
 *
 *   - the new version reading the old (BACKWARD: compatible, every pair
 *     visited) for N = 1,000, and for N = 10,000 to show the cost is linear;
 *   - the old version reading the new (FORWARD: one finding per evolved
 *     field, so the listing of findings is measured too);
 *   - FULL_TRANSITIVE of the new version against five earlier versions.
 *
 * Prints a table for people and machine lines:
 *
 *   FIGURE <name> <value> <unit>
 *   RATIO <name> <value>      (a measured figure over its goal, or over
 *                               another figure; the goal is met below 1)
 *   COUNT <name> <value>
 *
 * The COUNT lines of reader/writer pairs and links the engine visits show
 * that the work is linear in schema size (time per pair grows somewhat with
 * size as the graph outgrows the CPU caches).
 *
 * Built and run by `make bench`, never by `make check`.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>

#include "bench_util.h"

#include "compat_int.h"

/* The goal of issue 4: a pair of 1,000-field schemas in well under 1 ms. */
#define GOAL_SECONDS 1e-3
#define MIN_SECONDS 1.0

/* Field @i of version @version (0 the oldest).  Fields come in groups of
 * ten, one of each kind; each version evolves a fifth more of the groups,
 * in a backward-compatible way, so version 5 has evolved them all. */
static void put_field(kb_text_t *t, size_t i, int version) {
  bool evolved = (int)(i / 10 % 5) < version;
  switch (i % 10) {
  case 0:
    kb_put(t, "{\"name\": \"f%zu\", \"type\": \"%s\"}", i,
           evolved ? "long" : "int");
    break;
  case 1:
    kb_put(t,
           "{\"name\": \"at%zu\", \"type\": {\"type\": \"long\", "
           "\"logicalType\": \"timestamp-millis\"}}",
           i);
    break;
  case 2:
    kb_put(t,
           "{\"name\": \"note%zu\", \"type\": [\"null\", \"string\"], "
           "\"default\": null}",
           i);
    break;
  case 3:
    kb_put(t,
           "{\"name\": \"status%zu\", \"type\": {\"type\": \"enum\", \"name\": "
           "\"Status%zu\", \"symbols\": [\"NEW\", \"OPEN\", \"DONE\"%s]}}",
           i, i, evolved ? ", \"FAILED\"" : "");
    break;
  case 4:
    kb_put(
        t,
        "{\"name\": \"lines%zu\", \"type\": {\"type\": \"array\", \"items\": "
        "{\"type\": \"record\", \"name\": \"Line%zu\", \"fields\": ["
        "{\"name\": \"sku\", \"type\": \"string\"}, {\"name\": \"qty\", "
        "\"type\": \"int\"}%s]}}}",
        i, i,
        evolved ? ", {\"name\": \"unit\", \"type\": \"string\", "
                  "\"default\": \"pcs\"}"
                : "");
    break;
  case 5:
    kb_put(t,
           "{\"name\": \"attrs%zu\", \"type\": {\"type\": \"map\", \"values\": "
           "\"double\"}}",
           i);
    break;
  case 6:
    kb_put(t,
           "{\"name\": \"id%zu\", \"type\": {\"type\": \"fixed\", \"name\": "
           "\"Id%zu\", \"size\": 16}}",
           i, i);
    break;
  case 7:
    if (evolved)
      kb_put(t,
             "{\"name\": \"code%zu_v\", \"aliases\": [\"code%zu\"], "
             "\"type\": \"string\"}",
             i, i);
    else
      kb_put(t, "{\"name\": \"code%zu\", \"type\": \"string\"}", i);
    break;
  case 8:
    kb_put(t,
           "{\"name\": \"ref%zu\", \"type\": [\"null\", \"Line%zu\"], "
           "\"default\": null}",
           i, i - 4);
    break;
  default:
    kb_put(t,
           "{\"name\": \"amount%zu\", \"type\": {\"type\": \"bytes\", "
           "\"logicalType\": \"decimal\", \"precision\": 12, \"scale\": 2}}",
           i);
  }
  if (evolved && i % 10 == 2)
    kb_put(
        t,
        ", {\"name\": \"added%zu\", \"type\": \"string\", \"default\": \"\"}",
        i);
}

static kavro_schema_t *make_version(size_t fields, int version) {
  kb_text_t t = {NULL, 0, 0};
  kb_put(&t, "{\"type\": \"record\", \"name\": \"Event\", \"namespace\": "
             "\"com.bench\", \"fields\": [\n");
  for (size_t i = 0; i < fields; i++) {
    put_field(&t, i, version);
    kb_put(&t, i + 1 < fields ? ",\n" : "\n");
  }
  kb_put(&t, "]}\n");
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  if (kavro_schema_parse(t.data, t.length, NULL, &schema, &error) != KAVRO_OK)
    kb_die("schema", &error);
  free(t.data);
  return schema;
}

/* The reader/writer pairs and part-of links a check of @reader against
 * @writer visits (the engine's unit of work). */
static void count_work(const kavro_schema_t *reader,
                       const kavro_schema_t *writer, size_t *pairs,
                       size_t *edges) {
  kv_compat_graph_t g;
  kv_compat_graph_init(&g);
  uint32_t root;
  if (kv_compat_settle(&g, kv_schema_root(reader), kv_schema_root(writer),
                       &root, NULL) != KAVRO_OK)
    abort();
  *pairs = g.pair_count;
  *edges = g.edge_count;
  kv_compat_graph_free(&g);
}

/* One measured check: a level of @candidate against @previous. */
typedef struct check_s {
  const char *name;
  kavro_compat_level_t level;
  const kavro_schema_t *candidate;
  kavro_schema_t *const *previous;
  size_t count;
  double seconds;  /* per check, filled in */
  size_t findings; /* filled in */
} check_t;

static void run_once(check_t *c) {
  kavro_compat_result_t *res;
  kavro_error_t error;
  if (kavro_compat_check_level(c->level, c->candidate, c->previous, c->count,
                               &res, &error) != KAVRO_OK)
    kb_die(c->name, &error);
  c->findings = kavro_compat_result_count(res);
  kavro_compat_result_destroy(res);
}

static void run_checks(void *ctx, size_t count) {
  for (size_t i = 0; i < count; i++)
    run_once(ctx);
}

static void measure(check_t *c) {
  c->seconds = kb_ns_per_op(run_checks, c, 16, MIN_SECONDS) / 1e9;
}

int main(void) {
  enum { SMALL = 1000, LARGE = 10000, HISTORY = 6 };
  kavro_schema_t *small[HISTORY], *large[2];
  for (int v = 0; v < HISTORY; v++)
    small[v] = make_version(SMALL, v);
  large[0] = make_version(LARGE, 0);
  large[1] = make_version(LARGE, 1);

  check_t checks[] = {
      {"compat_backward_1000_fields", KAVRO_COMPAT_BACKWARD, small[1], small,
       1, 0, 0},
      {"compat_backward_10000_fields", KAVRO_COMPAT_BACKWARD, large[1], large,
       1, 0, 0},
      {"compat_forward_1000_fields_with_findings", KAVRO_COMPAT_FORWARD,
       small[1], small, 1, 0, 0},
      {"compat_full_transitive_1000_fields_5_versions",
       KAVRO_COMPAT_FULL_TRANSITIVE, small[HISTORY - 1], small, HISTORY - 1, 0,
       0},
  };
  size_t n = sizeof(checks) / sizeof(checks[0]);
  for (size_t i = 0; i < n; i++)
    measure(&checks[i]);

  printf("kavro %s compat bench: events of %d and %d fields, each version "
         "evolving every tenth field\n\n",
         kavro_version_str(), SMALL, LARGE);
  printf("%-48s %12s %10s\n", "check", "time", "findings");
  for (size_t i = 0; i < n; i++)
    printf("%-48s %9.1f us %10zu\n", checks[i].name, checks[i].seconds * 1e6,
           checks[i].findings);
  printf("\n");
  for (size_t i = 0; i < n; i++)
    kb_figure(checks[i].name, 3, checks[i].seconds * 1e6, "us");
  kb_ratio("compat_backward_1000_fields_vs_1ms_goal", 4,
           checks[0].seconds / GOAL_SECONDS, NULL);
  kb_ratio("compat_10000_vs_1000_fields", 2,
           checks[1].seconds / checks[0].seconds, NULL);
  size_t pairs, edges;
  count_work(small[1], small[0], &pairs, &edges);
  kb_count("compat_pairs_1000_fields", pairs, NULL);
  kb_count("compat_links_1000_fields", edges, NULL);
  count_work(large[1], large[0], &pairs, &edges);
  kb_count("compat_pairs_10000_fields", pairs, NULL);
  kb_count("compat_links_10000_fields", edges, NULL);
  kb_count("compat_forward_1000_fields_findings", checks[2].findings, NULL);
  kb_count("compat_backward_1000_fields_findings", checks[0].findings, NULL);

  for (int v = 0; v < HISTORY; v++)
    kavro_schema_destroy(small[v]);
  kavro_schema_destroy(large[0]);
  kavro_schema_destroy(large[1]);
  return EXIT_SUCCESS;
}
