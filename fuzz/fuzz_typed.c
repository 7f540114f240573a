/*
 * libFuzzer harness: every generated decoder.
 *
 * The first byte of the input picks a generated type (every root of the
 * catalog, the tests' fixture, the evolution pair read through the typed
 * resolver, a recursive list); the rest is a body.  It is decoded under tight limits.
 * Nothing may crash or leak; a refusal must be KAVRO_ERR_DECODE,
 * KAVRO_ERR_LIMIT or (the arena's bound) KAVRO_ERR_NOMEM; and whatever
 * decodes must encode, decode from its own encoding to an equal value,
 * encode to the same bytes again, and print as JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>
#include <kavro/typed.h>

#include "catalog.h"
#include "evo1_visit.h"
#include "evo2_visit.h"
#include "node.h"
#include "work_order.h"

static void check_refusal(kavro_err_t err) {
  if (err != KAVRO_ERR_DECODE && err != KAVRO_ERR_LIMIT &&
      err != KAVRO_ERR_NOMEM && err != KAVRO_ERR_INCOMPATIBLE)
    abort();
}

/* Encode @value, decode that, compare, encode again: same bytes. */
static void round_trip(const kavro_typed_type_t *type, const void *value,
                       kavro_arena_t *arena) {
  kavro_buf_t *first = kavro_buf_new(0, 0), *second = kavro_buf_new(0, 0);
  void *copy = calloc(1, type->size);
  if (!first || !second || !copy)
    abort();
  if (kavro_typed_encode(type, value, first, NULL) != KAVRO_OK ||
      kavro_typed_decode(type, kavro_buf_data(first), kavro_buf_length(first),
                         arena, NULL, copy, NULL) != KAVRO_OK ||
      !type->equal(value, copy) ||
      kavro_typed_encode(type, copy, second, NULL) != KAVRO_OK ||
      kavro_buf_length(first) != kavro_buf_length(second) ||
      memcmp(kavro_buf_data(first), kavro_buf_data(second),
             kavro_buf_length(first)) != 0)
    abort();
  kavro_buf_reset(first);
  if (kavro_typed_to_json(type, value, first, NULL) != KAVRO_OK)
    abort();
  free(copy);
  kavro_buf_destroy(first);
  kavro_buf_destroy(second);
}

static kavro_typed_resolver_t *resolver;
static kavro_schema_t *evo1_schema;

static void setup(void) {
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  limits.max_depth = 32;
  limits.max_collection = 4096;
  limits.max_elements = 65536;
  resolver = kavro_typed_resolver_new(&limits);
  if (!resolver ||
      kavro_schema_parse(evo1_visit_schema, strlen(evo1_visit_schema), NULL,
                         &evo1_schema, NULL) != KAVRO_OK)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!resolver)
    setup();
  if (size < 1)
    return 0;
  size_t pick = data[0] % (CATALOG_ROOT_COUNT + 3);
  const kavro_typed_type_t *type =
      pick < CATALOG_ROOT_COUNT       ? catalog_roots[pick].type
      : pick == CATALOG_ROOT_COUNT     ? &work_order_type
      : pick == CATALOG_ROOT_COUNT + 1 ? &evo2_visit_type
                                       : &node_type;
  kavro_arena_t *arena = kavro_arena_new(0, 1u << 20);
  void *value = calloc(1, type->size);
  if (!arena || !value)
    abort();
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  limits.max_depth = 32;
  limits.max_collection = 4096;
  limits.max_elements = 65536;
  kavro_err_t err =
      type == &evo2_visit_type
          ? kavro_typed_decode_from(resolver, type, evo1_schema, data + 1,
                                    size - 1, arena, value, NULL)
          : kavro_typed_decode(type, data + 1, size - 1, arena, &limits, value,
                               NULL);
  if (err == KAVRO_OK)
    round_trip(type, value, arena);
  else
    check_refusal(err);
  free(value);
  kavro_arena_destroy(arena);
  return 0;
}
