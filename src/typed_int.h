/*
 * kavro - internals of the typed part: the writer's start and end, inline
 * for the library's own entry points (the exported kavro_writer_begin()
 * and kavro_writer_end() are these, for generated code and users).
 */
#ifndef KAVRO_TYPED_INT_H
#define KAVRO_TYPED_INT_H

#include "codec_int.h"
#include "common_inline_int.h"
#include "kavro/typed_gen.h"

struct kavro_deserializer_s;
struct kavro_typed_deserializer_s;

/* The deserializer @td reads through (kavro_typed_deserializer_new()'s):
 * the Kafka part hands it the record of each message. */
struct kavro_deserializer_s *
kv_typed_deserializer_base(const struct kavro_typed_deserializer_s *td);

/* Past the buffer's bound: KAVRO_ERR_LIMIT with a message. */
kavro_err_t kv_writer_over_bound(kavro_writer_t *w);

static inline void kv_writer_begin(kavro_writer_t *w, kavro_buf_t *buf,
                                   kavro_error_t *error) {
  w->buf = buf;
  w->start = buf->length;
  w->depth = 0;
  w->error = error;
  w->p = buf->data ? buf->data + buf->length : NULL;
  w->end = buf->data ? buf->data + buf->capacity : NULL;
}

/* Commit (@err == KAVRO_OK) or drop what was written.  The room may pass
 * the bound (a first allocation is never smaller than the buffer's
 * minimum); the bytes may not. */
static inline kavro_err_t kv_writer_end(kavro_writer_t *w, kavro_err_t err) {
  kavro_buf_t *buf = w->buf;
  if (!err && buf->data && (size_t)(w->p - buf->data) > buf->max_size)
    err = kv_writer_over_bound(w);
  buf->length = err || !buf->data ? w->start : (size_t)(w->p - buf->data);
  return err;
}

/* kavro_typed_decode() under limits already complete (a decoder's, or
 * NULL for the defaults), which the reader points at as they are. */
kavro_err_t kv_typed_decode_under(const kavro_typed_type_t *type,
                                  const void *data, size_t size,
                                  kavro_arena_t *arena,
                                  const kavro_decode_limits_t *complete,
                                  void *value, kavro_error_t *error);

/* kavro_arena_alloc() without the zeroing: for memory the caller fills at
 * once (a resolved body), where clearing it first is wasted work. */
void *kv_arena_take(kavro_arena_t *arena, size_t size);

#endif /* KAVRO_TYPED_INT_H */
