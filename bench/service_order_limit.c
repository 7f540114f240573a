/*
 * kavro bench - the real limit for ServiceOrderCreated (see
 * service_order_limit.h).
 */
#include <string.h>

#include "service_order_limit.h"

/* The longest varint of a 64-bit value. */
#define VARINT_MAX 10

static inline unsigned char *put_varint(unsigned char *p, uint64_t z) {
  while (z > 0x7f) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  return p;
}

static inline unsigned char *put_long(unsigned char *p, int64_t value) {
  return put_varint(p, ((uint64_t)value << 1) ^ (uint64_t)(value >> 63));
}

/* @n bytes of @s to @p: two overlapping moves of one width cover any
 * length from that width to twice it, without a call or a loop. */
static inline void copy_short(unsigned char *p, const char *s, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t head, tail;
    memcpy(&head, s, 8);
    memcpy(&tail, s + n - 8, 8);
    memcpy(p, &head, 8);
    memcpy(p + n - 8, &tail, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t head, tail;
    memcpy(&head, s, 4);
    memcpy(&tail, s + n - 4, 4);
    memcpy(p, &head, 4);
    memcpy(p + n - 4, &tail, 4);
  } else if (n > 16) {
    memcpy(p, s, n);
  } else {
    for (size_t i = 0; i < n; i++)
      p[i] = (unsigned char)s[i];
  }
}

static inline unsigned char *put_str(unsigned char *p, limit_str_t s) {
  if (s.length < 64)
    *p++ = (unsigned char)(s.length << 1); /* one-byte length */
  else
    p = put_long(p, (int64_t)s.length);
  copy_short(p, s.data, s.length);
  return p + s.length;
}

size_t limit_encode(const limit_order_t *v, uint32_t schema_id,
                    unsigned char *out, size_t size) {
  size_t need = 5 + 10 * VARINT_MAX + 2 + v->event_id.length +
                v->service_order_id.length + v->project_id.length +
                v->service_type.length + v->country_code.length +
                v->bu_code.length + v->depends_on_order_id.length;
  if (need > size)
    return 0;
  unsigned char *p = out;
  uint32_t id_be = __builtin_bswap32(schema_id);
  p[0] = 0;
  memcpy(p + 1, &id_be, 4);
  p += 5;
  p = put_str(p, v->event_id);
  p = put_long(p, v->event_timestamp);
  p = put_str(p, v->service_order_id);
  p = put_str(p, v->project_id);
  p = put_str(p, v->service_type);
  p = put_str(p, v->country_code);
  p = put_str(p, v->bu_code);
  p = put_long(p, v->estimated_duration_min);
  *p++ = v->requires_confirmation_tv;
  *p++ = v->has_depends_on_order_id ? 2 : 0;
  if (v->has_depends_on_order_id)
    p = put_str(p, v->depends_on_order_id);
  return (size_t)(p - out);
}

typedef struct in_s {
  const unsigned char *p, *end;
} in_t;

static inline bool get_long(in_t *in, int64_t *out) {
  uint64_t z = 0;
  for (unsigned shift = 0; shift < 64 && in->p < in->end; shift += 7) {
    unsigned char b = *in->p++;
    /* The tenth byte holds the top bit only. */
    if (shift == 63 && b > 1)
      return false;
    z |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      return true;
    }
  }
  return false;
}

static inline bool get_str(in_t *in, limit_str_t *s) {
  int64_t n;
  if (in->p < in->end && *in->p < 0x80) { /* one-byte length */
    n = (int64_t)(*in->p >> 1) ^ -(int64_t)(*in->p & 1);
    in->p++;
  } else if (!get_long(in, &n)) {
    return false;
  }
  if (n < 0 || n > in->end - in->p)
    return false;
  s->data = (const char *)in->p;
  s->length = (size_t)n;
  in->p += n;
  return true;
}

static inline bool get_int(in_t *in, int32_t *out) {
  int64_t l;
  if (!get_long(in, &l) || l < INT32_MIN || l > INT32_MAX)
    return false;
  *out = (int32_t)l;
  return true;
}

bool limit_decode(const unsigned char *data, size_t size, uint32_t schema_id,
                  limit_order_t *v) {
  uint32_t id_be;
  if (size < 5 || data[0] != 0)
    return false;
  memcpy(&id_be, data + 1, 4);
  if (__builtin_bswap32(id_be) != schema_id)
    return false;
  in_t in = {data + 5, data + size};
  if (!get_str(&in, &v->event_id) || !get_long(&in, &v->event_timestamp) ||
      !get_str(&in, &v->service_order_id) || !get_str(&in, &v->project_id) ||
      !get_str(&in, &v->service_type) || !get_str(&in, &v->country_code) ||
      !get_str(&in, &v->bu_code) ||
      !get_int(&in, &v->estimated_duration_min) || in.end - in.p < 2 ||
      in.p[0] > 1 || (in.p[1] != 0 && in.p[1] != 2))
    return false;
  v->requires_confirmation_tv = in.p[0];
  v->has_depends_on_order_id = in.p[1] == 2;
  in.p += 2;
  if (v->has_depends_on_order_id) {
    if (!get_str(&in, &v->depends_on_order_id))
      return false;
  } else {
    v->depends_on_order_id = (limit_str_t){NULL, 0};
  }
  return in.p == in.end;
}
