/*
 * kavro bench - the real limit for PyxisOrderCreated (see
 * pyxis_order_limit.h).
 */
#include "pyxis_order_limit.h"

/* Varints of the record around the products: fourteen string lengths, the
 * timestamp, the array's count and its end; the enum and the branch are a
 * byte each. */
#define RECORD_VARINTS 17
/* A product's: two string lengths and the quantity. */
#define PRODUCT_VARINTS 3

/* Bytes the frame of @v may take at most. */
static size_t frame_bound(const limit_pyxis_t *v) {
  size_t strings = v->event_id.length + v->pyxis_order_id.length +
                   v->country_code.length + v->bu_code.length +
                   v->store_id.length + v->customer_id.length +
                   v->customer_name.length + v->customer_email.length +
                   v->customer_phone.length + v->street.length +
                   v->city.length + v->postal_code.length +
                   v->country.length + v->raw_payload.length;
  for (size_t i = 0; i < v->product_count; i++)
    strings += v->products[i].product_id.length +
               v->products[i].service_type.length;
  return LIMIT_HEADER_SIZE + 2 +
         (RECORD_VARINTS + PRODUCT_VARINTS * v->product_count) *
             LIMIT_VARINT_MAX +
         strings;
}

size_t limit_pyxis_encode(const limit_pyxis_t *v, uint32_t schema_id,
                          unsigned char *out, size_t size) {
  if (frame_bound(v) > size)
    return 0;
  unsigned char *p = limit_put_header(out, schema_id);
  p = limit_put_str(p, v->event_id);
  p = limit_put_long(p, v->event_timestamp);
  p = limit_put_str(p, v->pyxis_order_id);
  p = limit_put_small(p, v->sales_channel);
  p = limit_put_str(p, v->country_code);
  p = limit_put_str(p, v->bu_code);
  p = limit_put_small(p, v->has_store_id);
  if (v->has_store_id)
    p = limit_put_str(p, v->store_id);
  p = limit_put_str(p, v->customer_id);
  p = limit_put_str(p, v->customer_name);
  p = limit_put_str(p, v->customer_email);
  p = limit_put_str(p, v->customer_phone);
  if (v->product_count) {
    p = limit_put_long(p, (int64_t)v->product_count);
    for (size_t i = 0; i < v->product_count; i++) {
      p = limit_put_str(p, v->products[i].product_id);
      p = limit_put_long(p, v->products[i].quantity);
      p = limit_put_str(p, v->products[i].service_type);
    }
  }
  *p++ = 0; /* the array's end */
  p = limit_put_str(p, v->street);
  p = limit_put_str(p, v->city);
  p = limit_put_str(p, v->postal_code);
  p = limit_put_str(p, v->country);
  p = limit_put_str(p, v->raw_payload);
  return (size_t)(p - out);
}

/* The products' blocks into @products (room for @capacity); their number
 * to @count. */
static bool get_products(limit_in_t *in, limit_product_t *products,
                         size_t capacity, size_t *count) {
  size_t n = 0;
  for (;;) {
    uint64_t block;
    if (!limit_get_block(in, &block))
      return false;
    if (block == 0)
      break;
    if (block > capacity - n)
      return false;
    for (uint64_t i = 0; i < block; i++, n++)
      if (!limit_get_str(in, &products[n].product_id) ||
          !limit_get_int(in, &products[n].quantity) ||
          !limit_get_str(in, &products[n].service_type))
        return false;
  }
  *count = n;
  return true;
}

bool limit_pyxis_decode(const unsigned char *data, size_t size,
                        uint32_t schema_id, limit_pyxis_t *v,
                        limit_product_t *products, size_t capacity) {
  limit_in_t in;
  unsigned branch;
  if (!limit_get_header(data, size, schema_id, &in) ||
      !limit_get_str(&in, &v->event_id) ||
      !limit_get_long(&in, &v->event_timestamp) ||
      !limit_get_str(&in, &v->pyxis_order_id) ||
      !limit_get_small(&in, LIMIT_SALES_CHANNELS, &v->sales_channel) ||
      !limit_get_str(&in, &v->country_code) ||
      !limit_get_str(&in, &v->bu_code) || !limit_get_small(&in, 2, &branch))
    return false;
  v->has_store_id = branch == 1;
  if (!v->has_store_id)
    v->store_id = (limit_str_t){NULL, 0};
  else if (!limit_get_str(&in, &v->store_id))
    return false;
  v->products = products;
  return limit_get_str(&in, &v->customer_id) &&
         limit_get_str(&in, &v->customer_name) &&
         limit_get_str(&in, &v->customer_email) &&
         limit_get_str(&in, &v->customer_phone) &&
         get_products(&in, products, capacity, &v->product_count) &&
         limit_get_str(&in, &v->street) && limit_get_str(&in, &v->city) &&
         limit_get_str(&in, &v->postal_code) &&
         limit_get_str(&in, &v->country) &&
         limit_get_str(&in, &v->raw_payload) && in.p == in.end;
}
