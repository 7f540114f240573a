/*
 * kavro - the reusable output buffer (kavro_buf_t) and the writes of Avro
 * binary primitives into it.
 */
#include <stdlib.h>
#include <string.h>

#include "codec_int.h"

kavro_buf_t *kavro_buf_new(size_t capacity, size_t max_size) {
  kavro_buf_t *buf = calloc(1, sizeof(*buf));
  if (!buf)
    return NULL;
  buf->max_size = max_size ? max_size : KAVRO_BUF_DEFAULT_MAX_SIZE;
  if (capacity > buf->max_size)
    capacity = buf->max_size;
  if (capacity && !(buf->data = malloc(capacity))) {
    free(buf);
    return NULL;
  }
  buf->capacity = capacity;
  return buf;
}

void kavro_buf_destroy(kavro_buf_t *buf) {
  if (!buf)
    return;
  if (!buf->fixed)
    free(buf->data);
  free(buf);
}

void kavro_buf_reset(kavro_buf_t *buf) {
  if (buf)
    buf->length = 0;
}

const unsigned char *kavro_buf_data(const kavro_buf_t *buf) {
  return buf ? buf->data : NULL;
}

size_t kavro_buf_length(const kavro_buf_t *buf) {
  return buf ? buf->length : 0;
}

kavro_err_t kv_buf_grow(kavro_buf_t *buf, size_t extra) {
  if (extra <= buf->capacity - buf->length)
    return KAVRO_OK;
  if (buf->fixed || extra > buf->max_size - buf->length)
    return KAVRO_ERR_LIMIT;
  size_t need = buf->length + extra;
  /* Capacity never passes max_size, so the fast path above, which only
   * compares with capacity, also keeps the bound. */
  size_t cap = buf->capacity ? buf->capacity : 256;
  if (cap > buf->max_size)
    cap = buf->max_size;
  while (cap < need)
    cap = cap > buf->max_size / 2 ? buf->max_size : cap * 2;
  unsigned char *p = realloc(buf->data, cap);
  if (!p)
    return KAVRO_ERR_NOMEM;
  buf->data = p;
  buf->capacity = cap;
  return KAVRO_OK;
}

/* The common case reserves the longest varint without measuring; only a
 * nearly full buffer measures, so that a caller's buffer fills exactly. */
kavro_err_t kv_write_long(kavro_buf_t *buf, int64_t value) {
  if (buf->capacity - buf->length < KAVRO_MAX_VARINT) {
    kavro_err_t err = kv_buf_grow(buf, kavro_varint_size(value));
    if (err)
      return err;
  }
  kv_put_long(buf, value);
  return KAVRO_OK;
}

kavro_err_t kv_write_bytes(kavro_buf_t *buf, const void *data, size_t length) {
  if (length > INT64_MAX || length > SIZE_MAX - KAVRO_MAX_VARINT)
    return KAVRO_ERR_LIMIT;
  kavro_err_t err = kv_buf_reserve(buf, kavro_varint_size((int64_t)length) + length);
  if (err)
    return err;
  kv_put_long(buf, (int64_t)length);
  kv_put_bytes(buf, data, length);
  return KAVRO_OK;
}
