/*
 * libFuzzer harness: unframing, on any bytes.
 *
 * The input is used twice: as a whole payload (ids in a prefix), and split
 * into a header value and a payload (ids in a record header; the first
 * byte says how long the header is).  Whatever unframes must frame back to
 * the same bytes, and the body must lie inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>

static void check_prefix(const uint8_t *data, size_t size) {
  kavro_wire_frame_t frame;
  kavro_error_t error;
  kavro_err_t err = kavro_wire_unframe(data, size, &frame, &error);
  if (err != KAVRO_OK) {
    if (err != KAVRO_ERR_WIRE_SHORT && err != KAVRO_ERR_WIRE_MAGIC)
      abort();
    return;
  }
  size_t id_size = kavro_wire_id_size(&frame.id);
  if (frame.body != data + id_size || id_size + frame.body_size != size)
    abort();
  /* Framing the pieces again gives the input back. */
  uint8_t *again = malloc(size);
  size_t length = 0;
  if (!again ||
      kavro_wire_frame(&frame.id, frame.body, frame.body_size, again, size,
                       &length, NULL) != KAVRO_OK ||
      length != size || memcmp(again, data, size) != 0)
    abort();
  free(again);
}

static void check_header(const uint8_t *data, size_t size) {
  if (size == 0)
    return;
  size_t header_size = data[0] % 24;
  if (header_size > size - 1)
    header_size = size - 1;
  const uint8_t *header = data + 1;
  const uint8_t *payload = header + header_size;
  size_t payload_size = size - 1 - header_size;
  kavro_wire_frame_t frame;
  if (kavro_wire_unframe_dual(header, header_size, payload, payload_size,
                              &frame, NULL) != KAVRO_OK)
    return;
  if (frame.format != KAVRO_WIRE_FORMAT_HEADER || frame.body != payload ||
      frame.body_size != payload_size ||
      kavro_wire_id_size(&frame.id) > header_size)
    abort();
  char text[KAVRO_SCHEMA_ID_STRING_SIZE];
  kavro_schema_id_t back;
  kavro_schema_id_format(&frame.id, text, sizeof(text));
  /* A negative id (no registry's) is shown but never read back as one. */
  if (frame.id.kind == KAVRO_SCHEMA_ID_INT && frame.id.id < 0) {
    if (kavro_schema_id_parse(text, &back, NULL) == KAVRO_OK)
      abort();
    return;
  }
  if (kavro_schema_id_parse(text, &back, NULL) != KAVRO_OK ||
      !kavro_schema_id_equal(&back, &frame.id))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_prefix(data, size);
  check_header(data, size);
  return 0;
}
