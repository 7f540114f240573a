/*
 * kavro benches - the sample ServiceOrderCreated events (see
 * sample_order.h).
 */
#include <stdio.h>

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

/* splitmix64 (Steele, Lea, Flood 2014): small, fast, and every seed gives
 * a full-period sequence. */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* The strings of one event: sized for the longest each field gets. */
typedef struct pool_text_s {
  char event_id[37], service_order_id[16], project_id[16], bu_code[8],
      depends_on_order_id[16];
} pool_text_t;

static pool_text_t pool_text[KB_POOL_SIZE];

static kavro_str_t str_of(const char *text, int length) {
  return (kavro_str_t){text, (size_t)length};
}

/* A number of 1 to 7 digits, lengths spread evenly. */
static unsigned long varied_number(uint64_t r) {
  static const unsigned long limits[] = {10, 100, 1000, 10000, 100000,
                                         1000000, 10000000};
  return (r >> 8) % limits[r % 7];
}

static void pool_event(service_order_created_t *v, pool_text_t *t,
                       uint64_t *state) {
  static const char *const types[] = {"INSTALLATION", "MEASUREMENT", "REPAIR",
                                      "DELIVERY", "TECHNICAL_VISIT"};
  static const char *const countries[] = {"FR", "ES", "IT", "PL", "PT", "BR"};
  service_order_created_init(v);
  uint64_t a = splitmix64(state), b = splitmix64(state);
  v->event_id = str_of(t->event_id,
                       snprintf(t->event_id, sizeof(t->event_id),
                                "%08x-%04x-4%03x-8%03x-%012llx",
                                (unsigned)a, (unsigned)(a >> 32) & 0xffff,
                                (unsigned)(a >> 48) & 0xfff,
                                (unsigned)b & 0xfff,
                                (unsigned long long)(b >> 16)));
  uint64_t r = splitmix64(state);
  v->event_timestamp = 1700000000000 + (int64_t)(r % 100000000000);
  r = splitmix64(state);
  v->service_order_id =
      str_of(t->service_order_id,
             snprintf(t->service_order_id, sizeof(t->service_order_id),
                      "SO-%lu", varied_number(r)));
  r = splitmix64(state);
  v->project_id = str_of(t->project_id,
                         snprintf(t->project_id, sizeof(t->project_id),
                                  "PRJ-%lu", varied_number(r)));
  r = splitmix64(state);
  v->service_type = kavro_str(types[r % 5]);
  const char *country = countries[(r >> 8) % 6];
  v->country_code = kavro_str(country);
  v->bu_code = str_of(t->bu_code, snprintf(t->bu_code, sizeof(t->bu_code),
                                           "%s-%s", (r >> 16) % 2 ? "LM" : "BR",
                                           country));
  v->estimated_duration_min = 15 + (int32_t)((r >> 24) % 466);
  v->requires_confirmation_tv = (r >> 40) & 1;
  v->has_depends_on_order_id = (r >> 41) & 1;
  if (v->has_depends_on_order_id)
    v->depends_on_order_id = str_of(
        t->depends_on_order_id,
        snprintf(t->depends_on_order_id, sizeof(t->depends_on_order_id),
                 "SO-%lu", varied_number(splitmix64(state))));
}

void kb_order_pool(service_order_created_t pool[KB_POOL_SIZE]) {
  uint64_t state = UINT64_C(0x6b6176726f); /* fixed: the same every run */
  for (size_t i = 0; i < KB_POOL_SIZE; i++)
    pool_event(&pool[i], &pool_text[i], &state);
}
