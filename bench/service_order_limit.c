/*
 * kavro bench - the real limit for ServiceOrderCreated (see
 * service_order_limit.h).
 */
#include "service_order_limit.h"

size_t limit_encode(const limit_order_t *v, uint32_t schema_id,
                    unsigned char *out, size_t size) {
  /* Eight varints (seven lengths, the timestamp, the int: at most ten
   * bytes each), the boolean and the branch, the strings. */
  size_t need = LIMIT_HEADER_SIZE + 10 * LIMIT_VARINT_MAX + 2 +
                v->event_id.length + v->service_order_id.length +
                v->project_id.length + v->service_type.length +
                v->country_code.length + v->bu_code.length +
                v->depends_on_order_id.length;
  if (need > size)
    return 0;
  unsigned char *p = limit_put_header(out, schema_id);
  p = limit_put_str(p, v->event_id);
  p = limit_put_long(p, v->event_timestamp);
  p = limit_put_str(p, v->service_order_id);
  p = limit_put_str(p, v->project_id);
  p = limit_put_str(p, v->service_type);
  p = limit_put_str(p, v->country_code);
  p = limit_put_str(p, v->bu_code);
  p = limit_put_long(p, v->estimated_duration_min);
  *p++ = v->requires_confirmation_tv;
  *p++ = v->has_depends_on_order_id ? 2 : 0;
  if (v->has_depends_on_order_id)
    p = limit_put_str(p, v->depends_on_order_id);
  return (size_t)(p - out);
}

bool limit_decode(const unsigned char *data, size_t size, uint32_t schema_id,
                  limit_order_t *v) {
  limit_in_t in;
  if (!limit_get_header(data, size, schema_id, &in) ||
      !limit_get_str(&in, &v->event_id) ||
      !limit_get_long(&in, &v->event_timestamp) ||
      !limit_get_str(&in, &v->service_order_id) ||
      !limit_get_str(&in, &v->project_id) ||
      !limit_get_str(&in, &v->service_type) ||
      !limit_get_str(&in, &v->country_code) ||
      !limit_get_str(&in, &v->bu_code) ||
      !limit_get_int(&in, &v->estimated_duration_min))
    return false;
  /* The boolean (0 or 1) and the union's branch (0 or 1, zigzagged) in
   * one check. */
  if (in.end - in.p < 2 || in.p[0] > 1 || (in.p[1] != 0 && in.p[1] != 2))
    return false;
  v->requires_confirmation_tv = in.p[0];
  v->has_depends_on_order_id = in.p[1] == 2;
  in.p += 2;
  if (v->has_depends_on_order_id) {
    if (!limit_get_str(&in, &v->depends_on_order_id))
      return false;
  } else {
    v->depends_on_order_id = (limit_str_t){NULL, 0};
  }
  return in.p == in.end;
}
