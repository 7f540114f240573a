/*
 * kavro benches - the sample ServiceOrderCreated events (see
 * sample_order.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sample_order.h"

void kb_sample_order(service_order_created_t *v) {
  service_order_created_init(v);
  v->event_id = kavro_str("6f1c2d3e-0000-4000-8000-000000000002");
  v->event_timestamp = 1710408413589;
  v->service_order_id = kavro_str("SO-2001");
  v->project_id = kavro_str("PRJ-1001");
  v->service_type = kavro_str("INSTALLATION");
  v->country_code = kavro_str("FR");
  v->bu_code = kavro_str("LM-FR");
  v->estimated_duration_min = 240;
  v->requires_confirmation_tv = true;
  v->has_depends_on_order_id = true;
  v->depends_on_order_id = kavro_str("SO-1999");
}

/* What a C user of avro-c writes today: every field set by hand. */
int kb_avro_order(avro_value_t *r, const service_order_created_t *v) {
  avro_value_t f, branch;
  avro_value_reset(r);
#define SET_STR(i, s)                                                          \
  (avro_value_get_by_index(r, i, &f, NULL) ||                                  \
   avro_value_set_string_len(&f, (s).data, (s).length + 1))
  return SET_STR(0, v->event_id) || avro_value_get_by_index(r, 1, &f, NULL) ||
         avro_value_set_long(&f, v->event_timestamp) ||
         SET_STR(2, v->service_order_id) || SET_STR(3, v->project_id) ||
         SET_STR(4, v->service_type) || SET_STR(5, v->country_code) ||
         SET_STR(6, v->bu_code) || avro_value_get_by_index(r, 7, &f, NULL) ||
         avro_value_set_int(&f, v->estimated_duration_min) ||
         avro_value_get_by_index(r, 8, &f, NULL) ||
         avro_value_set_boolean(&f, v->requires_confirmation_tv) ||
         avro_value_get_by_index(r, 9, &f, NULL) ||
         (v->has_depends_on_order_id
              ? avro_value_set_branch(&f, 1, &branch) ||
                    avro_value_set_string_len(&branch,
                                              v->depends_on_order_id.data,
                                              v->depends_on_order_id.length + 1)
              : avro_value_set_branch(&f, 0, &branch) ||
                    avro_value_set_null(&branch));
#undef SET_STR
}

static limit_str_t limit_str(kavro_str_t s) {
  return (limit_str_t){s.data, s.length};
}

void kb_limit_order(limit_order_t *h, const service_order_created_t *v) {
  h->event_id = limit_str(v->event_id);
  h->event_timestamp = v->event_timestamp;
  h->service_order_id = limit_str(v->service_order_id);
  h->project_id = limit_str(v->project_id);
  h->service_type = limit_str(v->service_type);
  h->country_code = limit_str(v->country_code);
  h->bu_code = limit_str(v->bu_code);
  h->estimated_duration_min = v->estimated_duration_min;
  h->requires_confirmation_tv = v->requires_confirmation_tv;
  h->has_depends_on_order_id = v->has_depends_on_order_id;
  h->depends_on_order_id = limit_str(v->depends_on_order_id);
}

/* ---- the pool ------------------------------------------------------------ */

uint64_t kb_splitmix64(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* The strings of one event: sized for the longest each field gets. */
typedef struct pool_text_s {
  char event_id[KB_UUID_SIZE], service_order_id[16], project_id[16],
      bu_code[8], depends_on_order_id[16];
} pool_text_t;

static pool_text_t pool_text[KB_POOL_SIZE];

kavro_str_t kb_pool_printf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= size)
    abort(); /* a pool text sized too small: a bench bug */
  return (kavro_str_t){buf, (size_t)n};
}

kavro_str_t kb_pool_uuid(char buf[KB_UUID_SIZE], uint64_t *state) {
  uint64_t a = kb_splitmix64(state), b = kb_splitmix64(state);
  return kb_pool_printf(buf, KB_UUID_SIZE, "%08x-%04x-4%03x-8%03x-%012llx",
                        (unsigned)a, (unsigned)(a >> 32) & 0xffff,
                        (unsigned)(a >> 48) & 0xfff, (unsigned)b & 0xfff,
                        (unsigned long long)(b >> 16));
}

unsigned long kb_varied_number(uint64_t r) {
  static const unsigned long limits[] = {10, 100, 1000, 10000, 100000,
                                         1000000, 10000000};
  return (r >> 8) % limits[r % 7];
}

/* Format into the buffer @field of @t. */
#define POOL_TEXT(t, field, ...)                                               \
  kb_pool_printf((t)->field, sizeof((t)->field), __VA_ARGS__)

static void pool_event(service_order_created_t *v, pool_text_t *t,
                       uint64_t *state) {
  static const char *const types[] = {"INSTALLATION", "MEASUREMENT", "REPAIR",
                                      "DELIVERY", "TECHNICAL_VISIT"};
  static const char *const countries[] = {"FR", "ES", "IT", "PL", "PT", "BR"};
  service_order_created_init(v);
  v->event_id = kb_pool_uuid(t->event_id, state);
  uint64_t r = kb_splitmix64(state);
  v->event_timestamp = 1700000000000 + (int64_t)(r % 100000000000);
  r = kb_splitmix64(state);
  v->service_order_id = POOL_TEXT(t, service_order_id, "SO-%lu",
                                  kb_varied_number(r));
  r = kb_splitmix64(state);
  v->project_id = POOL_TEXT(t, project_id, "PRJ-%lu", kb_varied_number(r));
  r = kb_splitmix64(state);
  v->service_type = kavro_str(types[r % 5]);
  const char *country = countries[(r >> 8) % 6];
  v->country_code = kavro_str(country);
  v->bu_code = POOL_TEXT(t, bu_code, "%s-%s", (r >> 16) % 2 ? "LM" : "BR",
                         country);
  v->estimated_duration_min = 15 + (int32_t)((r >> 24) % 466);
  v->requires_confirmation_tv = (r >> 40) & 1;
  v->has_depends_on_order_id = (r >> 41) & 1;
  if (v->has_depends_on_order_id)
    v->depends_on_order_id =
        POOL_TEXT(t, depends_on_order_id, "SO-%lu",
                  kb_varied_number(kb_splitmix64(state)));
}

void kb_order_pool(service_order_created_t pool[KB_POOL_SIZE]) {
  uint64_t state = KB_POOL_SEED;
  for (size_t i = 0; i < KB_POOL_SIZE; i++)
    pool_event(&pool[i], &pool_text[i], &state);
}
