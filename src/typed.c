/*
 * kavro - typed records at run time: the arena, the writer and reader
 * behind generated code, its JSON text, and the encode/decode entry points
 * that take a kavro_typed_type_t.
 */
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "common_inline_int.h"
#include "typed_int.h"
#include "common_text_int.h"

/* ---- arena ----------------------------------------------------------------- */

#define ARENA_ALIGN alignof(max_align_t)
#define ARENA_DEFAULT_BLOCK 4096u

typedef struct arena_block_s {
  struct arena_block_s *next;
  size_t size, used;
  alignas(max_align_t) unsigned char data[];
} arena_block_t;

struct kavro_arena_s {
  arena_block_t *head;     /* the block allocations come from */
  arena_block_t *inline_block; /* part of this struct's allocation, or NULL */
  size_t block_size;       /* size of the next new block, at least */
  size_t max_size;         /* bound on the bytes of all blocks */
  size_t total;            /* bytes of all blocks */
  size_t used;             /* bytes handed out since the last reset */
};

static size_t align_up(size_t n) {
  return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

kavro_arena_t *kavro_arena_new(size_t block_size, size_t max_size) {
  kavro_arena_t *a = calloc(1, sizeof(*a));
  if (!a)
    return NULL;
  a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
  a->max_size = max_size ? max_size : KAVRO_BUF_DEFAULT_MAX_SIZE;
  return a;
}

/* An arena whose first block of @block_size bytes comes in the same
 * allocation: what kavro_typed_decode_new() gives a message. */
static kavro_arena_t *arena_new_inline(size_t block_size, size_t max_size) {
  size_t head = align_up(sizeof(kavro_arena_t));
  if (block_size > max_size || block_size > SIZE_MAX - head - sizeof(arena_block_t))
    return NULL;
  unsigned char *mem = malloc(head + sizeof(arena_block_t) + block_size);
  if (!mem)
    return NULL;
  kavro_arena_t *a = (kavro_arena_t *)mem;
  memset(a, 0, sizeof(*a));
  arena_block_t *b = (arena_block_t *)(mem + head);
  b->next = NULL;
  b->size = block_size;
  b->used = 0;
  a->head = a->inline_block = b;
  a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
  a->max_size = max_size;
  a->total = block_size;
  return a;
}

static void free_blocks(kavro_arena_t *a, arena_block_t *keep) {
  arena_block_t *b = a->head;
  while (b) {
    arena_block_t *next = b->next;
    if (b != keep && b != a->inline_block)
      free(b);
    b = next;
  }
}

void kavro_arena_destroy(kavro_arena_t *arena) {
  if (!arena)
    return;
  free_blocks(arena, NULL);
  free(arena);
}

/* Keep one block: the only one when there is one; when a message needed
 * several, one block as large as all of them, so that the next message
 * of that size needs no malloc at all. */
void kavro_arena_reset(kavro_arena_t *arena) {
  if (!arena || !arena->head)
    return;
  arena->used = 0;
  if (!arena->head->next) {
    arena->head->used = 0;
    return;
  }
  size_t total = arena->total;
  free_blocks(arena, arena->inline_block);
  arena->head = arena->inline_block;
  arena->total = arena->head ? arena->head->size : 0;
  if (arena->head) {
    arena->head->next = NULL;
    arena->head->used = 0;
  }
  if (total > arena->block_size)
    arena->block_size = total;
}

/* A new block for at least @need bytes: the configured size, or twice
 * the current block, whichever is more, within the arena's bound. */
static arena_block_t *arena_add_block(kavro_arena_t *a, size_t need) {
  size_t size = a->block_size;
  if (a->head && a->head->size <= SIZE_MAX / 2 && 2 * a->head->size > size)
    size = 2 * a->head->size;
  if (size < need)
    size = need;
  if (size > a->max_size - a->total) {
    if (need > a->max_size - a->total)
      return NULL;
    size = a->max_size - a->total;
  }
  arena_block_t *b = malloc(sizeof(*b) + size);
  if (!b)
    return NULL;
  b->size = size;
  b->used = 0;
  b->next = a->head;
  a->head = b;
  a->total += size;
  return b;
}

/* @size bytes as they are (the caller fills them), or NULL. */
void *kv_arena_take(kavro_arena_t *arena, size_t size) {
  if (!arena || size > arena->max_size)
    return NULL;
  size_t n = align_up(size ? size : 1);
  arena_block_t *b = arena->head;
  if (!b || n > b->size - b->used) {
    if (!(b = arena_add_block(arena, n)))
      return NULL;
  }
  unsigned char *p = b->data + b->used;
  b->used += n;
  arena->used += n;
  return p;
}

void *kavro_arena_alloc(kavro_arena_t *arena, size_t size) {
  void *p = kv_arena_take(arena, size);
  if (p)
    memset(p, 0, size);
  return p;
}

/* Lend the free part of the current block (none when there is none). */
static KV_ALWAYS_INLINE void arena_lend(kavro_arena_t *a, unsigned char **lo,
                                        unsigned char **hi) {
  arena_block_t *b = a ? a->head : NULL;
  *lo = b ? b->data + b->used : NULL;
  *hi = b ? b->data + b->size : NULL;
}

/* Take back what was lent, up to @heap, which the borrower used. */
static KV_ALWAYS_INLINE void arena_settle(kavro_arena_t *a,
                                          unsigned char *heap) {
  arena_block_t *b = a ? a->head : NULL;
  if (!b || !heap || heap < b->data + b->used || heap > b->data + b->size)
    return;
  size_t n = (size_t)(heap - (b->data + b->used));
  b->used += n;
  a->used += n;
}

size_t kavro_arena_used(const kavro_arena_t *arena) {
  return arena ? arena->used : 0;
}

/* ---- writer ---------------------------------------------------------------- */

void kavro_writer_begin(kavro_writer_t *w, kavro_buf_t *buf,
                        kavro_error_t *error) {
  kv_writer_begin(w, buf, error);
}

kavro_err_t kv_writer_over_bound(kavro_writer_t *w) {
  return kv_error_set(w->error, KAVRO_ERR_LIMIT,
                      "the encoding would pass the buffer's bound of %zu bytes",
                      w->buf->max_size);
}

kavro_err_t kavro_writer_end(kavro_writer_t *w, kavro_err_t err) {
  return kv_writer_end(w, err);
}

kavro_err_t kavro_writer_grow(kavro_writer_t *w, size_t n) {
  kavro_buf_t *buf = w->buf;
  if (n == SIZE_MAX)   /* what a run of a bad string or bytes value asks */
    return kv_error_set(w->error, KAVRO_ERR_ENCODE,
                        "a string or bytes value has a length but no data, "
                        "or is too long");
  if (buf->data)
    buf->length = (size_t)(w->p - buf->data);
  kavro_err_t err = kv_buf_grow(buf, n);
  w->p = buf->data ? buf->data + buf->length : NULL;
  w->end = buf->data ? buf->data + buf->capacity : NULL;
  if (err == KAVRO_ERR_LIMIT)
    return kv_error_set(w->error, err,
                        "the encoding would pass the buffer's bound of %zu bytes",
                        buf->max_size);
  if (err)
    return kv_error_set(w->error, err, "out of memory growing the buffer");
  return KAVRO_OK;
}

kavro_err_t kavro_writer_too_deep(kavro_writer_t *w) {
  return kv_error_set(w->error, KAVRO_ERR_LIMIT,
                      "the value nests deeper than %u levels (a loop?)",
                      KAVRO_DECODE_DEFAULT_MAX_DEPTH);
}

kavro_err_t kavro_writer_fail(kavro_writer_t *w, const char *what) {
  return kv_error_set(w->error, KAVRO_ERR_ENCODE, "%s", what);
}

kavro_err_t kavro_w_decimal(kavro_writer_t *w, kavro_decimal_t d,
                            int32_t scale) {
  if (d.scale != scale)
    return kv_error_set(w->error, KAVRO_ERR_ENCODE,
                        "a decimal has scale %d, its schema says %d",
                        (int)d.scale, (int)scale);
  if (!d.unscaled && d.length)
    return kavro_writer_fail(w, "a decimal has a length but no digits");
  return kavro_w_run(w, d.unscaled, d.length);
}

/* ---- JSON text --------------------------------------------------------------
 * The same text as kavro_value_to_json() in the Avro convention, so that a
 * typed value and the generic value of the same datum print alike. */

kavro_err_t kavro_w_json_string(kavro_writer_t *w, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  KAVRO_TRY(kavro_w_raw(w, "\"", 1));
  for (size_t i = 0; i < n;) {
    unsigned char c = u[i];
    size_t len = kv_utf8_sequence(u + i, n - i);
    char esc[8];
    if (len == 0) {
      KAVRO_TRY(kavro_w_raw(w, "\\ufffd", 6));
      i++;
      continue;
    }
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      KAVRO_TRY(kavro_w_raw(w, esc, 2));
    } else if (c < 0x20) {
      snprintf(esc, sizeof(esc), "\\u%04x", c);
      KAVRO_TRY(kavro_w_raw(w, esc, 6));
    } else {
      KAVRO_TRY(kavro_w_raw(w, s + i, len));
    }
    i += len;
  }
  return kavro_w_raw(w, "\"", 1);
}

kavro_err_t kavro_w_json_bytes(kavro_writer_t *w, const void *data, size_t n) {
  const unsigned char *b = data;
  KAVRO_TRY(kavro_w_raw(w, "\"", 1));
  for (size_t i = 0; i < n; i++) {
    if (b[i] < 0x20 || b[i] >= 0x7f || b[i] == '"' || b[i] == '\\') {
      char esc[8];
      snprintf(esc, sizeof(esc), "\\u%04x", b[i]);
      KAVRO_TRY(kavro_w_raw(w, esc, 6));
    } else {
      KAVRO_TRY(kavro_w_raw(w, b + i, 1));
    }
  }
  return kavro_w_raw(w, "\"", 1);
}

kavro_err_t kavro_w_json_long(kavro_writer_t *w, int64_t value) {
  char text[32];
  int n = snprintf(text, sizeof(text), "%lld", (long long)value);
  return kavro_w_raw(w, text, (size_t)n);
}

kavro_err_t kavro_w_json_real(kavro_writer_t *w, double d, bool as_float) {
  if (!isfinite(d))
    return kavro_w_text(w, isnan(d) ? "\"NaN\"" : d > 0 ? "\"Infinity\""
                                                        : "\"-Infinity\"");
  char text[KV_REAL_TEXT_SIZE];
  return kavro_w_raw(w, text, kv_format_real(text, d, as_float));
}

/* ---- reader ---------------------------------------------------------------- */

/* kavro_reader_init(), for the entry points here without a call through
 * the exported symbol. */
static KV_ALWAYS_INLINE void
reader_setup(kavro_reader_t *r, const void *data, size_t size,
             kavro_arena_t *arena, const kavro_decode_limits_t *limits,
             kavro_error_t *error) {
  kv_cursor_setup(&r->c, data, size, limits, error);
  r->arena = arena;
  arena_lend(arena, &r->heap, &r->heap_end);
  r->body_copy = NULL;
}

void kavro_reader_init(kavro_reader_t *r, const void *data, size_t size,
                       kavro_arena_t *arena, const kavro_decode_limits_t *limits,
                       kavro_error_t *error) {
  reader_setup(r, data, size, arena, limits, error);
}

static kavro_err_t reader_nomem(kavro_reader_t *r) {
  return kv_error_set(r->c.error, KAVRO_ERR_NOMEM,
                      "at byte %zu: out of memory (or past the arena's bound)",
                      (size_t)(r->c.p - r->c.start));
}

void kavro_reader_finish(kavro_reader_t *r) {
  arena_settle(r->arena, r->heap);
  r->heap = r->heap_end = r->body_copy = NULL;
}

/* @n bytes (a multiple of the alignment) from the lent memory, or, when
 * it is short, from a new block of the arena, whose rest is lent next. */
static KV_ALWAYS_INLINE unsigned char *reader_take(kavro_reader_t *r,
                                                   size_t n) {
  if (n <= (size_t)(r->heap_end - r->heap)) {
    unsigned char *p = r->heap;
    r->heap += n;
    return p;
  }
  arena_settle(r->arena, r->heap);
  unsigned char *p = kv_arena_take(r->arena, n);
  arena_lend(r->arena, &r->heap, &r->heap_end);
  return p;
}

kavro_err_t kavro_r_copy_slow(kavro_reader_t *r, const unsigned char *src,
                              size_t n, const unsigned char **data) {
  unsigned char *copy = reader_take(r, align_up(n + 1));
  if (!copy)
    return reader_nomem(r);
  memcpy(copy, src, n);
  copy[n] = 0;
  *data = copy;
  return KAVRO_OK;
}

/* The body is copied only into memory already lent: a body larger than
 * the arena's block would otherwise take a block of its own, and the
 * arena's bound, for a record of a few short strings.  The arena's block
 * grows to what a message needed (kavro_arena_reset()), so from the next
 * message of that size on, the copy fits. */
unsigned char *kavro_r_body_copy(kavro_reader_t *r) {
  if (r->body_copy)
    return r->body_copy;
  size_t size = (size_t)(r->c.end - r->c.start);
  if (align_up(size + 1) > (size_t)(r->heap_end - r->heap))
    return NULL;
  r->body_copy = reader_take(r, align_up(size + 1));
  if (size)
    memcpy(r->body_copy, r->c.start, size);
  return r->body_copy;
}

kavro_err_t kavro_r_run_first(kavro_reader_t *r, const unsigned char *src,
                              size_t n, const unsigned char **data) {
  if (!kavro_r_body_copy(r))
    return kavro_r_copy_slow(r, src, n, data);
  unsigned char *copy = r->body_copy + (src - r->c.start);
  copy[n] = 0;
  *data = copy;
  return KAVRO_OK;
}

/* The item capacity of an array block holding @count items: the next power
 * of two.  Deriving it from the count means it never has to be stored, and
 * growing by doubling keeps the arena used by an array read in many small
 * blocks linear in its size (copying at every block made it quadratic). */
static size_t items_capacity(size_t count) {
  size_t cap = 1;
  while (cap < count)
    cap *= 2;
  return count ? cap : 0;
}

kavro_err_t kavro_r_items(kavro_reader_t *r, void **items, size_t have,
                          size_t add, size_t item_size) {
  if (item_size && add > (SIZE_MAX / 4 / item_size) - have)
    return reader_nomem(r);
  size_t old = have * item_size, size = (have + add) * item_size;
  unsigned char *p = *items;
  if (!p || have + add > items_capacity(have)) {
    size_t room = align_up(items_capacity(have + add) * item_size);
    /* The latest allocation, the one that ends where the lent memory
     * starts, grows in place while that memory lasts. */
    if (p && p + align_up(items_capacity(have) * item_size) == r->heap &&
        room <= (size_t)(r->heap_end - p)) {
      r->heap = p + room;
    } else {
      if (!(p = reader_take(r, room ? room : KAVRO_ARENA_ALIGN)))
        return reader_nomem(r);
      if (old)
        memcpy(p, *items, old);
    }
  }
  memset(p + old, 0, size - old);
  *items = p;
  return KAVRO_OK;
}

kavro_err_t kavro_r_alloc(kavro_reader_t *r, void **out, size_t size) {
  unsigned char *p = size <= SIZE_MAX - KAVRO_ARENA_ALIGN
                         ? reader_take(r, align_up(size ? size : 1))
                         : NULL;
  if (!p)
    return reader_nomem(r);
  memset(p, 0, size);
  *out = p;
  return KAVRO_OK;
}

/* ---- partition keys -------------------------------------------------------- */

void kavro_key_put(char *buf, size_t size, size_t *at, const void *data,
                   size_t n) {
  if (*at < size && n) {
    size_t room = size - *at - 1 < n ? size - *at - 1 : n;
    if (room)
      memcpy(buf + *at, data, room);
  }
  *at += n;
}

void kavro_key_long(char *buf, size_t size, size_t *at, int64_t value) {
  char text[32];
  int n = snprintf(text, sizeof(text), "%lld", (long long)value);
  kavro_key_put(buf, size, at, text, (size_t)n);
}

void kavro_key_symbol(char *buf, size_t size, size_t *at,
                      const char *const *symbols, size_t count,
                      uint32_t index) {
  if (index < count)
    kavro_key_put(buf, size, at, symbols[index], strlen(symbols[index]));
}

void kavro_key_end(char *buf, size_t size, size_t at) {
  if (size)
    buf[at < size ? at : size - 1] = 0;
}

/* ---- entry points ---------------------------------------------------------- */

/* The entry points write @error only on failure: clearing a whole
 * kavro_error_t costs more than encoding a small record. */
kavro_err_t kavro_typed_encode(const kavro_typed_type_t *type,
                               const void *value, kavro_buf_t *out,
                               kavro_error_t *error) {
  if (!type || !value || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "type, value and buffer are required");
  kavro_writer_t w;
  kv_writer_begin(&w, out, error);
  return kv_writer_end(&w, type->write(&w, value));
}

/* A decode with complete limits (NULL: the defaults), inlined into
 * kavro_typed_decode(), the warm path, where a call more is a tenth of a
 * small record's cost. */
static KV_ALWAYS_INLINE kavro_err_t
typed_decode(const kavro_typed_type_t *type, const void *data, size_t size,
             kavro_arena_t *arena, const kavro_decode_limits_t *complete,
             void *value, kavro_error_t *error) {
  kavro_reader_t r;
  reader_setup(&r, data, size, arena, complete, error);
  type->init(value);
  kavro_err_t err = type->read(&r, value);
  arena_settle(r.arena, r.heap);
  if (!err && r.c.p != r.c.end)
    err = kavro_cursor_trailing(&r.c);
  return err;
}

kavro_err_t kavro_typed_decode(const kavro_typed_type_t *type,
                               const void *data, size_t size,
                               kavro_arena_t *arena,
                               const kavro_decode_limits_t *limits, void *value,
                               kavro_error_t *error) {
  if (!type || !value || !arena || (!data && size))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "type, value, arena and data are required");
  if (!limits)
    return typed_decode(type, data, size, arena, NULL, value, error);
  kavro_decode_limits_t complete;
  kv_limits_complete(limits, &complete);
  return typed_decode(type, data, size, arena, &complete, value, error);
}

kavro_err_t kv_typed_decode_under(const kavro_typed_type_t *type,
                                  const void *data, size_t size,
                                  kavro_arena_t *arena,
                                  const kavro_decode_limits_t *complete,
                                  void *value, kavro_error_t *error) {
  return typed_decode(type, data, size, arena, complete, value, error);
}

/* The value of kavro_typed_decode_new() is the arena's first allocation,
 * after a header that points back at the arena. */
typedef struct owned_header_s {
  kavro_arena_t *arena;
  alignas(max_align_t) unsigned char value[];
} owned_header_t;

void *kavro_typed_decode_new(const kavro_typed_type_t *type, const void *data,
                             size_t size, const kavro_decode_limits_t *limits,
                             kavro_error_t *error) {
  kv_error_clear(error);
  if (!type || (!data && size)) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "type and data are required");
    return NULL;
  }
  /* Strings and bytes point into one copy of the body; collections take
   * usually a few times their bytes. */
  size_t guess = size < KAVRO_BUF_DEFAULT_MAX_SIZE / 4 ? 4 * size : size;
  size_t block = sizeof(owned_header_t) + align_up(type->size) + guess + 512;
  kavro_arena_t *arena = arena_new_inline(block, KAVRO_BUF_DEFAULT_MAX_SIZE);
  owned_header_t *h = arena ? kavro_arena_alloc(arena, sizeof(*h) + type->size)
                            : NULL;
  if (!h) {
    kavro_arena_destroy(arena);
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  h->arena = arena;
  if (kavro_typed_decode(type, data, size, arena, limits, h->value, error)) {
    kavro_arena_destroy(arena);
    return NULL;
  }
  return h->value;
}

void kavro_typed_free(void *value) {
  if (!value)
    return;
  owned_header_t *h =
      (owned_header_t *)((unsigned char *)value - offsetof(owned_header_t, value));
  kavro_arena_destroy(h->arena);
}

kavro_err_t kavro_typed_to_json(const kavro_typed_type_t *type,
                                const void *value, kavro_buf_t *out,
                                kavro_error_t *error) {
  kv_error_clear(error);
  if (!type || !value || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "type, value and buffer are required");
  kavro_writer_t w;
  kv_writer_begin(&w, out, error);
  return kv_writer_end(&w, type->json(&w, value));
}
