/*
 * kavro bench - ServiceOrderCreated written and read by hand: one bound
 * check for the whole message on the way out, a check per read on the way
 * in (the body is untrusted), strings copied once.
 */
#include <string.h>

#include "service_order_hand.h"

static unsigned char *put_long(unsigned char *p, int64_t value) {
  uint64_t z = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
  while (z > 0x7f) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  return p;
}

static unsigned char *put_str(unsigned char *p, hand_str_t s) {
  p = put_long(p, (int64_t)s.length);
  memcpy(p, s.data, s.length);
  return p + s.length;
}

size_t hand_encode(const hand_order_t *v, uint32_t schema_id,
                   unsigned char *out, size_t size) {
  size_t need = 5 + 8 * 10 + 2 + v->event_id.length +
                v->service_order_id.length + v->project_id.length +
                v->service_type.length + v->country_code.length +
                v->bu_code.length + v->depends_on_order_id.length;
  if (need > size)
    return 0;
  unsigned char *p = out;
  *p++ = 0;
  *p++ = (unsigned char)(schema_id >> 24);
  *p++ = (unsigned char)(schema_id >> 16);
  *p++ = (unsigned char)(schema_id >> 8);
  *p++ = (unsigned char)schema_id;
  p = put_str(p, v->event_id);
  p = put_long(p, v->event_timestamp);
  p = put_str(p, v->service_order_id);
  p = put_str(p, v->project_id);
  p = put_str(p, v->service_type);
  p = put_str(p, v->country_code);
  p = put_str(p, v->bu_code);
  p = put_long(p, v->estimated_duration_min);
  *p++ = v->requires_confirmation_tv ? 1 : 0;
  if (v->has_depends_on_order_id) {
    *p++ = 2;
    p = put_str(p, v->depends_on_order_id);
  } else {
    *p++ = 0;
  }
  return (size_t)(p - out);
}

typedef struct in_s {
  const unsigned char *p, *end;
  char *scratch, *scratch_end;
} in_t;

static bool get_long(in_t *in, int64_t *out) {
  uint64_t z = 0;
  for (unsigned shift = 0; shift < 64 && in->p < in->end; shift += 7) {
    unsigned char b = *in->p++;
    z |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      return true;
    }
  }
  return false;
}

static bool get_str(in_t *in, hand_str_t *s) {
  int64_t n;
  if (!get_long(in, &n) || n < 0 || n > in->end - in->p ||
      n >= in->scratch_end - in->scratch)
    return false;
  memcpy(in->scratch, in->p, (size_t)n);
  in->scratch[n] = 0;
  s->data = in->scratch;
  s->length = (size_t)n;
  in->scratch += n + 1;
  in->p += n;
  return true;
}

bool hand_decode(const unsigned char *data, size_t size, hand_order_t *v,
                 char *scratch, size_t scratch_size) {
  if (size < 5 || data[0] != 0)
    return false;
  in_t in = {data + 5, data + size, scratch, scratch + scratch_size};
  int64_t l;
  if (!get_str(&in, &v->event_id) || !get_long(&in, &v->event_timestamp) ||
      !get_str(&in, &v->service_order_id) || !get_str(&in, &v->project_id) ||
      !get_str(&in, &v->service_type) || !get_str(&in, &v->country_code) ||
      !get_str(&in, &v->bu_code) || !get_long(&in, &l) || l < INT32_MIN ||
      l > INT32_MAX || in.p == in.end || *in.p > 1)
    return false;
  v->estimated_duration_min = (int32_t)l;
  v->requires_confirmation_tv = *in.p++ != 0;
  if (!get_long(&in, &l) || (l != 0 && l != 1))
    return false;
  v->has_depends_on_order_id = l == 1;
  if (v->has_depends_on_order_id && !get_str(&in, &v->depends_on_order_id))
    return false;
  return in.p == in.end;
}
