/*
 * kavro bench - a hand-written, straight-line encoder and decoder for
 * ServiceOrderCreated (avro/projects/ServiceOrderCreated.avsc): the
 * practical limit the generated code is measured against.
 */
#ifndef KAVRO_BENCH_SERVICE_ORDER_HAND_H
#define KAVRO_BENCH_SERVICE_ORDER_HAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hand_str_s {
  const char *data;
  size_t length;
} hand_str_t;

typedef struct hand_order_s {
  hand_str_t event_id;
  int64_t event_timestamp;
  hand_str_t service_order_id, project_id, service_type, country_code, bu_code;
  int32_t estimated_duration_min;
  bool requires_confirmation_tv;
  bool has_depends_on_order_id;
  hand_str_t depends_on_order_id;
} hand_order_t;

/* Frame (magic byte, schema id) and body into @out; returns the bytes
 * written, 0 when @size is too small. */
size_t hand_encode(const hand_order_t *v, uint32_t schema_id,
                   unsigned char *out, size_t size);

/* Read a framed message of @size bytes; strings are copied, NUL-terminated,
 * into @scratch (@scratch_size bytes).  Returns false on a bad message. */
bool hand_decode(const unsigned char *data, size_t size, hand_order_t *v,
                 char *scratch, size_t scratch_size);

#endif
