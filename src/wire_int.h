/*
 * kavro - the wire frame's commonest shape, taken apart inline: the
 * deserializer meets it on every message of its warm path, where a call
 * through kavro_wire_unframe_dual() costs more than the work.
 */
#ifndef KAVRO_WIRE_INT_H
#define KAVRO_WIRE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kavro/wire.h"

/* Four big-endian bytes as a two's complement int32_t, without relying
 * on how the compiler converts an unsigned value out of range. */
static inline int32_t kv_wire_id_from_bytes(const unsigned char *p) {
  uint32_t u = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | (uint32_t)p[3];
  return u <= INT32_MAX ? (int32_t)u : (int32_t)((int64_t)u - 4294967296LL);
}

/* @payload (@size bytes) into @frame as kavro_wire_unframe() takes it
 * apart, when it starts with the magic byte 0 and a whole 4-byte id.
 * False, with @frame untouched, for anything else: kavro_wire_unframe()
 * then says what is wrong with it, or reads a GUID. */
static inline bool kv_wire_unframe_int_prefix(const void *payload,
                                              size_t size,
                                              kavro_wire_frame_t *frame) {
  const unsigned char *p = payload;
  if (!p || size < 1 + KAVRO_WIRE_ID_SIZE || p[0] != KAVRO_WIRE_MAGIC_ID)
    return false;
  memset(frame, 0, sizeof(*frame));
  frame->format = KAVRO_WIRE_FORMAT_PREFIX;
  frame->id.kind = KAVRO_SCHEMA_ID_INT;
  frame->id.id = kv_wire_id_from_bytes(p + 1);
  frame->body = p + 1 + KAVRO_WIRE_ID_SIZE;
  frame->body_size = size - (1 + KAVRO_WIRE_ID_SIZE);
  return true;
}

#endif /* KAVRO_WIRE_INT_H */
