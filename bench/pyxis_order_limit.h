/*
 * kavro bench - the real limit for PyxisOrderCreated
 * (avro/sales/PyxisOrderCreated.avsc, with the common SalesChannel,
 * CustomerInfo and DeliveryAddress): straight-line code for exactly this
 * record, the big one the benches measure (thirteen strings, an enum, an
 * optional string and an array of products, 20 to a message).  Generated
 * code is measured against it.
 *
 * The rules are service_order_limit.h's, with limit_codec.h's pieces.
 * Encoding: one capacity check per message from the string lengths
 * (products included), the 5-byte header written in place, short strings
 * copied inline, the enum symbol and the union index as one byte each, the
 * products as one block.  Decoding: every bound checked (magic byte and id,
 * varint overflow, lengths against what is left, int range, enum symbol,
 * union index, block counts against the room given, no trailing bytes);
 * strings point into the frame, products go to an array of the caller's.
 */
#ifndef KAVRO_BENCH_PYXIS_ORDER_LIMIT_H
#define KAVRO_BENCH_PYXIS_ORDER_LIMIT_H

#include "limit_codec.h"

/* SalesChannel's symbols. */
#define LIMIT_SALES_CHANNELS 6u

typedef struct limit_product_s {
  limit_str_t product_id;
  int32_t quantity;
  limit_str_t service_type;
} limit_product_t;

typedef struct limit_pyxis_s {
  limit_str_t event_id;
  int64_t event_timestamp;
  limit_str_t pyxis_order_id;
  unsigned sales_channel; /* the symbol's index */
  limit_str_t country_code, bu_code;
  bool has_store_id;
  limit_str_t store_id;
  limit_str_t customer_id, customer_name, customer_email, customer_phone;
  size_t product_count;
  const limit_product_t *products;
  limit_str_t street, city, postal_code, country;
  limit_str_t raw_payload;
} limit_pyxis_t;

/* Frame (magic byte, @schema_id) and body into @out; returns the bytes
 * written, 0 when @size is too small. */
size_t limit_pyxis_encode(const limit_pyxis_t *v, uint32_t schema_id,
                          unsigned char *out, size_t size);

/* Read a frame of @size bytes carrying @schema_id into @v, whose strings
 * then point into @data and whose products are stored in @products (room
 * for @capacity).  Returns false on a bad frame or more products than
 * that. */
bool limit_pyxis_decode(const unsigned char *data, size_t size,
                        uint32_t schema_id, limit_pyxis_t *v,
                        limit_product_t *products, size_t capacity);

#endif
