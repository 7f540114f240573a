/*
 * kavro - the wire frame: encode and decode schema ids in payload prefixes
 * and record headers (see kavro/wire.h for the formats).
 *
 * Everything here runs once per message on the hot path, so nothing
 * allocates and nothing copies a body.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "common_error_int.h"
#include "kavro/wire.h"
#include "common_text_int.h"
#include "wire_int.h"

_Static_assert(KV_GUID_SIZE == KAVRO_WIRE_GUID_SIZE &&
                   KV_GUID_TEXT_SIZE <= KAVRO_SCHEMA_ID_STRING_SIZE,
               "the shared GUID helpers fit the wire's GUIDs");

kavro_schema_id_t kavro_schema_id_int(int32_t id) {
  kavro_schema_id_t sid;
  memset(&sid, 0, sizeof(sid));
  sid.kind = KAVRO_SCHEMA_ID_INT;
  sid.id = id;
  return sid;
}

kavro_schema_id_t kavro_schema_id_guid(const unsigned char *guid) {
  kavro_schema_id_t sid;
  memset(&sid, 0, sizeof(sid));
  sid.kind = KAVRO_SCHEMA_ID_GUID;
  if (guid)
    memcpy(sid.guid, guid, sizeof(sid.guid));
  return sid;
}

bool kavro_schema_id_equal(const kavro_schema_id_t *a,
                           const kavro_schema_id_t *b) {
  if (!a || !b || a->kind != b->kind)
    return false;
  switch (a->kind) {
  case KAVRO_SCHEMA_ID_INT:
    return a->id == b->id;
  case KAVRO_SCHEMA_ID_GUID:
    return memcmp(a->guid, b->guid, sizeof(a->guid)) == 0;
  default:
    return true;
  }
}

char *kavro_schema_id_format(const kavro_schema_id_t *id, char *buf,
                             size_t size) {
  if (!buf || size == 0)
    return buf;
  char text[KAVRO_SCHEMA_ID_STRING_SIZE] = "";
  if (id && id->kind == KAVRO_SCHEMA_ID_INT) {
    snprintf(text, sizeof(text), "%ld", (long)id->id);
  } else if (id && id->kind == KAVRO_SCHEMA_ID_GUID) {
    kv_guid_format(id->guid, text);
  }
  snprintf(buf, size, "%s", text);
  return buf;
}

/* Decimal digits only: no sign, no spaces, no leading '+', at most
 * INT32_MAX (strtoul would accept all of those and wrap negatives). */
static bool parse_id_number(const char *text, int32_t *value) {
  uint64_t v = 0;
  if (!*text)
    return false;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9')
      return false;
    v = v * 10 + (uint64_t)(*p - '0');
    if (v > INT32_MAX)
      return false;
  }
  *value = (int32_t)v;
  return true;
}

kavro_err_t kavro_schema_id_parse(const char *text, kavro_schema_id_t *id,
                                  kavro_error_t *error) {
  kv_error_clear(error);
  if (!text || !id)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no id text given");
  int32_t number;
  unsigned char guid[KAVRO_WIRE_GUID_SIZE];
  if (parse_id_number(text, &number)) {
    *id = kavro_schema_id_int(number);
    return KAVRO_OK;
  }
  if (kv_guid_parse(text, guid)) {
    *id = kavro_schema_id_guid(guid);
    return KAVRO_OK;
  }
  return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                      "\"%.64s\" is neither a schema id (0 to 4294967295) "
                      "nor a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                      text);
}

size_t kavro_wire_id_size(const kavro_schema_id_t *id) {
  if (!id)
    return 0;
  switch (id->kind) {
  case KAVRO_SCHEMA_ID_INT:
    return 1 + KAVRO_WIRE_ID_SIZE;
  case KAVRO_SCHEMA_ID_GUID:
    return 1 + KAVRO_WIRE_GUID_SIZE;
  default:
    return 0;
  }
}

/* Check that @id can be encoded and that @needed bytes fit in @size. */
static kavro_err_t check_room(const kavro_schema_id_t *id, size_t needed,
                              void *buf, size_t size, size_t *length,
                              kavro_error_t *error) {
  if (kavro_wire_id_size(id) == 0)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "schema id has no known kind");
  if (length)
    *length = needed;
  if (!buf || size < needed)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "buffer of %zu bytes is too small: %zu needed", size,
                        needed);
  return KAVRO_OK;
}

static void put_id(const kavro_schema_id_t *id, unsigned char *out) {
  if (id->kind == KAVRO_SCHEMA_ID_INT) {
    out[0] = KAVRO_WIRE_MAGIC_ID;
    uint32_t bits = (uint32_t)id->id; /* two's complement, as read */
    out[1] = (unsigned char)(bits >> 24);
    out[2] = (unsigned char)(bits >> 16);
    out[3] = (unsigned char)(bits >> 8);
    out[4] = (unsigned char)bits;
  } else {
    out[0] = KAVRO_WIRE_MAGIC_GUID;
    memcpy(out + 1, id->guid, KAVRO_WIRE_GUID_SIZE);
  }
}

kavro_err_t kavro_wire_write_id(const kavro_schema_id_t *id, void *buf,
                                size_t size, size_t *length,
                                kavro_error_t *error) {
  kv_error_clear(error);
  kavro_err_t err =
      check_room(id, kavro_wire_id_size(id), buf, size, length, error);
  if (err == KAVRO_OK)
    put_id(id, buf);
  return err;
}

kavro_err_t kavro_wire_frame(const kavro_schema_id_t *id, const void *body,
                             size_t body_size, void *buf, size_t size,
                             size_t *length, kavro_error_t *error) {
  kv_error_clear(error);
  size_t id_size = kavro_wire_id_size(id);
  if (!body && body_size > 0)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no body given");
  if (body_size > SIZE_MAX - id_size)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "body too large");
  kavro_err_t err =
      check_room(id, id_size + body_size, buf, size, length, error);
  if (err != KAVRO_OK)
    return err;
  /* memmove: a producer may have encoded the body into @buf already, a
   * little further on. */
  if (body_size > 0)
    memmove((unsigned char *)buf + id_size, body, body_size);
  put_id(id, buf);
  return KAVRO_OK;
}

/* Record where in the input a fault lies; the caller then sets the code. */
static kavro_error_t *at_offset(kavro_error_t *error, size_t offset) {
  if (error)
    error->position = (long)offset;
  return error;
}

kavro_err_t kavro_wire_read_id(const void *data, size_t size,
                               kavro_schema_id_t *id, size_t *consumed,
                               kavro_error_t *error) {
  kv_error_clear(error);
  const unsigned char *p = data;
  if (!id || (!data && size > 0))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no data or id given");
  if (size == 0)
    return kv_error_set(at_offset(error, 0), KAVRO_ERR_WIRE_SHORT,
                        "empty frame: no magic byte");
  size_t need;
  if (p[0] == KAVRO_WIRE_MAGIC_ID)
    need = 1 + KAVRO_WIRE_ID_SIZE;
  else if (p[0] == KAVRO_WIRE_MAGIC_GUID)
    need = 1 + KAVRO_WIRE_GUID_SIZE;
  else
    return kv_error_set(at_offset(error, 0), KAVRO_ERR_WIRE_MAGIC,
                        "unknown magic byte 0x%02x (expected 0x00 or 0x01)",
                        (unsigned)p[0]);
  if (size < need)
    return kv_error_set(at_offset(error, size), KAVRO_ERR_WIRE_SHORT,
                        "frame of %zu bytes ends inside its %zu-byte schema id",
                        size, need);
  if (p[0] == KAVRO_WIRE_MAGIC_ID)
    *id = kavro_schema_id_int(kv_wire_id_from_bytes(p + 1));
  else
    *id = kavro_schema_id_guid(p + 1);
  if (consumed)
    *consumed = need;
  return KAVRO_OK;
}

kavro_err_t kavro_wire_unframe(const void *payload, size_t size,
                               kavro_wire_frame_t *frame,
                               kavro_error_t *error) {
  kv_error_clear(error);
  if (!frame)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no frame given");
  if (kv_wire_unframe_int_prefix(payload, size, frame))
    return KAVRO_OK;
  memset(frame, 0, sizeof(*frame));
  size_t used = 0;
  kavro_err_t err = kavro_wire_read_id(payload, size, &frame->id, &used, error);
  if (err != KAVRO_OK)
    return err;
  frame->format = KAVRO_WIRE_FORMAT_PREFIX;
  frame->body = (const unsigned char *)payload + used;
  frame->body_size = size - used;
  return KAVRO_OK;
}

kavro_err_t kavro_wire_unframe_dual(const void *header_value,
                                    size_t header_size, const void *payload,
                                    size_t size, kavro_wire_frame_t *frame,
                                    kavro_error_t *error) {
  if (!header_value)
    return kavro_wire_unframe(payload, size, frame, error);
  kv_error_clear(error);
  if (!frame)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no frame given");
  memset(frame, 0, sizeof(*frame));
  if (!payload && size > 0)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no payload given");
  kavro_err_t err =
      kavro_wire_read_id(header_value, header_size, &frame->id, NULL, error);
  if (err != KAVRO_OK) {
    kv_error_set_source(error, "header");
    return err;
  }
  frame->format = KAVRO_WIRE_FORMAT_HEADER;
  frame->body = payload;
  frame->body_size = size;
  return KAVRO_OK;
}

const char *kavro_wire_header_name(bool is_key) {
  return is_key ? KAVRO_WIRE_KEY_HEADER : KAVRO_WIRE_VALUE_HEADER;
}
