/*
 * kavro bench - the real limit for ServiceOrderCreated
 * (avro/projects/ServiceOrderCreated.avsc): straight-line code for exactly
 * this record, of the kind the fastest hand-written C uses.  Generated code
 * is measured against it.
 *
 * Encoding: one capacity check per message from the string lengths, the
 * 5-byte header written in place, short strings copied inline with two
 * overlapping fixed-size moves, the union index as one byte, no strlen.
 * Decoding: every bound checked (magic byte and id, varint overflow,
 * lengths against what is left, int range, boolean 0/1, union index, no
 * trailing bytes); strings point into the frame.  The pieces are
 * limit_codec.h's.
 */
#ifndef KAVRO_BENCH_SERVICE_ORDER_LIMIT_H
#define KAVRO_BENCH_SERVICE_ORDER_LIMIT_H

#include "limit_codec.h"

typedef struct limit_order_s {
  limit_str_t event_id;
  int64_t event_timestamp;
  limit_str_t service_order_id, project_id, service_type, country_code,
      bu_code;
  int32_t estimated_duration_min;
  bool requires_confirmation_tv;
  bool has_depends_on_order_id;
  limit_str_t depends_on_order_id;
} limit_order_t;

/* Frame (magic byte, @schema_id) and body into @out; returns the bytes
 * written, 0 when @size is too small. */
size_t limit_encode(const limit_order_t *v, uint32_t schema_id,
                    unsigned char *out, size_t size);

/* Read a frame of @size bytes carrying @schema_id into @v, whose strings
 * then point into @data.  Returns false on a bad frame. */
bool limit_decode(const unsigned char *data, size_t size, uint32_t schema_id,
                  limit_order_t *v);

#endif
