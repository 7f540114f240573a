/*
 * kavro tests - a random datum of a schema (random_datum.h): a walk of
 * the internal schema model writing each value with the generic codec's
 * primitives.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "serde_value_int.h"
#include "random_datum.h"

static uint32_t next_random(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

static void put_long(kavro_buf_t *out, int64_t v) {
  ck_assert_int_eq(kv_write_long(out, v), KAVRO_OK);
}

static void put_run(kavro_buf_t *out, uint32_t *rnd, size_t n, bool text) {
  unsigned char bytes[32];
  for (size_t i = 0; i < n; i++)
    bytes[i] = text ? (unsigned char)('a' + next_random(rnd) % 26)
                    : (unsigned char)next_random(rnd);
  ck_assert_int_eq(kv_write_bytes(out, bytes, n), KAVRO_OK);
}

static void random_datum(const kv_node_t *n, kavro_buf_t *out, uint32_t *rnd,
                         int depth);

static void random_items(const kv_node_t *n, kavro_buf_t *out, uint32_t *rnd,
                         int depth) {
  size_t count = depth > 3 ? 0 : next_random(rnd) % 4;
  if (count) {
    put_long(out, (int64_t)count);
    for (size_t i = 0; i < count; i++) {
      if (n->type == KAVRO_MAP) {
        char key[32];
        snprintf(key, sizeof(key), "k%zu", i);
        ck_assert_int_eq(kv_write_bytes(out, key, strlen(key)), KAVRO_OK);
      }
      random_datum(n->items, out, rnd, depth + 1);
    }
  }
  put_long(out, 0);
}

static void random_datum(const kv_node_t *n, kavro_buf_t *out, uint32_t *rnd,
                         int depth) {
  unsigned char raw[8];
  switch (n->type) {
  case KAVRO_NULL:
    return;
  case KAVRO_BOOLEAN:
    raw[0] = (unsigned char)(next_random(rnd) & 1);
    ck_assert_int_eq(kv_buf_reserve(out, 1), KAVRO_OK);
    kv_put_bytes(out, raw, 1);
    return;
  case KAVRO_INT:
    put_long(out, (int32_t)next_random(rnd) - 4000000);
    return;
  case KAVRO_LONG:
    put_long(out, ((int64_t)next_random(rnd) << 20) - 123456789);
    return;
  case KAVRO_FLOAT:
  case KAVRO_DOUBLE: {
    double d = (double)next_random(rnd) / 64.0 - 1000.0;
    float f = (float)d;
    size_t size = n->type == KAVRO_FLOAT ? 4 : 8;
    memcpy(raw, n->type == KAVRO_FLOAT ? (void *)&f : (void *)&d, size);
    ck_assert_int_eq(kv_buf_reserve(out, size), KAVRO_OK);
    kv_put_bytes(out, raw, size);
    return;
  }
  case KAVRO_BYTES:
  case KAVRO_STRING:
    put_run(out, rnd, next_random(rnd) % 12, n->type == KAVRO_STRING);
    return;
  case KAVRO_FIXED:
    for (size_t i = 0; i < n->size; i++) {
      raw[0] = (unsigned char)next_random(rnd);
      ck_assert_int_eq(kv_buf_reserve(out, 1), KAVRO_OK);
      kv_put_bytes(out, raw, 1);
    }
    return;
  case KAVRO_ENUM:
    put_long(out, (int64_t)(next_random(rnd) % n->symbol_count));
    return;
  case KAVRO_RECORD:
    for (size_t i = 0; i < n->field_count; i++)
      random_datum(n->fields[i].type, out, rnd, depth + 1);
    return;
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    random_items(n, out, rnd, depth);
    return;
  case KAVRO_UNION: {
    size_t b = next_random(rnd) % n->branch_count;
    for (size_t i = 0; depth > 3 && i < n->branch_count; i++)
      if (n->branches[i]->type == KAVRO_NULL)
        b = i;   /* deep enough: stop recursive types */
    put_long(out, (int64_t)b);
    random_datum(n->branches[b], out, rnd, depth + 1);
    return;
  }
  }
}

void kt_random_datum(const kavro_schema_t *schema, kavro_buf_t *out,
                     uint32_t *state) {
  random_datum(kv_schema_root(schema), out, state, 0);
}
