/*
 * kavro - typed records written with another schema.
 *
 * The resolution program of resolve.c decides everything once per
 * (writer, reader) pair: field order, skips, defaults already in binary,
 * enum maps, union choices.  Here it drives a transcoder instead of
 * avro-c values: it reads the writer's bytes and writes the same datum in
 * the reader's (the generated type's own) encoding, which the generated
 * straight-line decoder then reads.  Most of a datum is copied as it is
 * (parts where writer and reader agree), so the extra pass costs little
 * more than a memcpy, and the results are those of kavro_decode_resolved()
 * because the plan is the same.
 *
 * The reader's encoding of an ordinary flat record is put together on the
 * stack, a larger one's and the transcoded bytes in the caller's arena,
 * next to the decoded record, so a warm resolver allocates nothing per
 * message.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "kavro/typed.h"
#include "serde_resolve_int.h"
#include "typed_int.h"

/* ---- the cache -------------------------------------------------------------
 * Lookups take no lock: the table is an immutable snapshot, published
 * with an atomic pointer; adding a writer schema copies it under a mutex.
 * Old snapshots are kept until the resolver is destroyed (one per writer
 * schema ever met, so few), so that a reader never sees freed memory. */

/* Bytes a part's copy may write past its end (see put_part()). */
#define FLAT_SLACK 16

/* A piece of a flat record's reader encoding (see entry_t): the bytes of
 * writer fields @first to @last, which follow each other in the writer's
 * order as in the reader's, or @length bytes of defaults from @offset. */
typedef struct flat_part_s {
  bool from_writer;
  size_t first, last;     /* writer fields */
  size_t offset, length;  /* defaults */
} flat_part_t;

typedef struct entry_s {
  uint64_t writer_rabin;
  const kavro_typed_type_t *type;
  kavro_resolution_t *resolution;   /* holds the writer and reader schemas */
  /* The everyday evolutions, a field added with a default, removed or
   * moved, leave a flat record: the writer's fields read as they are or
   * skipped, the reader's others filled from defaults.  The reader's
   * encoding is then put together from the writer's fields' bytes and
   * the defaults' in reader order, with no transcoding: a copy per run of
   * fields that kept their order.  NULL @parts: not a flat record. */
  flat_part_t *parts;               /* in reader order */
  size_t part_count;
  /* The first part is the writer's whole datum, the second, if any, the
   * defaults (fields added, the commonest evolution): the walk need not
   * note where each field begins. */
  bool whole_first;
  unsigned char *defaults;          /* the defaults' bytes, in reader order */
  size_t defaults_length;
  /* How to walk the writer's fields: @skip_count steps, then those of
   * their unions' branches. */
  struct skip_step_s *skips;
  size_t skip_count;
} entry_t;

typedef struct table_s {
  struct table_s *previous;         /* older snapshot, freed at destroy */
  size_t count;
  entry_t entries[];
} table_t;

struct kavro_typed_resolver_s {
  _Atomic(table_t *) table;
  pthread_mutex_t lock;             /* writers of the table only */
  kavro_decoder_t *decoder;         /* limits only: transcoding stages nothing */
};

kavro_typed_resolver_t *kavro_typed_resolver_new(const kavro_decode_limits_t *limits) {
  kavro_typed_resolver_t *res = calloc(1, sizeof(*res));
  if (!res)
    return NULL;
  atomic_init(&res->table, NULL);
  if (!(res->decoder = kavro_decoder_new(limits))) {
    free(res);
    return NULL;
  }
  if (pthread_mutex_init(&res->lock, NULL) != 0) {
    kavro_decoder_destroy(res->decoder);
    free(res);
    return NULL;
  }
  return res;
}

/* Free @e's flat-record program, leaving none. */
static void entry_free_flat(entry_t *e) {
  free(e->parts);
  free(e->defaults);
  free(e->skips);
  e->parts = NULL;
  e->defaults = NULL;
  e->skips = NULL;
  e->part_count = e->skip_count = e->defaults_length = 0;
}

static void entry_free(entry_t *e) {
  kavro_resolution_destroy(e->resolution);
  entry_free_flat(e);
}

void kavro_typed_resolver_destroy(kavro_typed_resolver_t *res) {
  if (!res)
    return;
  table_t *t = atomic_load(&res->table);
  for (size_t i = 0; t && i < t->count; i++) {
    entry_free(&t->entries[i]);
  }
  while (t) {
    table_t *previous = t->previous;
    free(t);
    t = previous;
  }
  kavro_decoder_destroy(res->decoder);
  pthread_mutex_destroy(&res->lock);
  free(res);
}

static const entry_t *find_entry(const table_t *t, uint64_t rabin,
                                 const kavro_typed_type_t *type) {
  for (size_t i = 0; t && i < t->count; i++)
    if (t->entries[i].writer_rabin == rabin && t->entries[i].type == type)
      return &t->entries[i];
  return NULL;
}

static kavro_err_t build_resolution(const kavro_typed_type_t *type,
                                    kavro_schema_t *writer,
                                    kavro_resolution_t **out,
                                    kavro_error_t *error) {
  kavro_schema_t *reader = NULL;
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.source = type->name;
  kavro_err_t err = kavro_schema_parse(type->schema_text,
                                       strlen(type->schema_text), &options,
                                       &reader, error);
  if (err)
    return err;
  err = kavro_resolution_new(writer, reader, out, error);
  kavro_schema_destroy(reader);   /* the plan keeps its own reference */
  return err;
}

/* ---- walking the writer's fields of a flat record --------------------------
 * Before its fields' bytes are handed to the reader's decoder, the
 * writer's datum must be known to end exactly where the body does, and
 * where each field begins.  A program of steps walks the fields, the
 * ones the reader reads as they are and the ones it lacks alike, with
 * the checks the generic resolver makes (an int's range, an enum's
 * symbol, the depth, the limits), so that a bad body fails first where
 * it fails there, with its text. */

/* Each step has a short cut for the encodings nearly every body uses, a
 * one-byte length or index, a number of a few bytes, that takes exactly
 * what the codec would accept there; anything else goes to the codec's
 * own read (kv_skip_node()) from the same byte, which gives the verdict
 * and the text.  The resolver's limits are fixed: the steps have them. */
typedef enum skip_op_e {
  SKIP_SIZED,    /* null, float, double, fixed: @size bytes */
  SKIP_NUMBER,   /* int, long: a varint of at most @size bytes is in range */
  SKIP_SYMBOL,   /* enum: a one-byte index up to @most */
  SKIP_BOOLEAN,  /* a byte 0 or 1 */
  SKIP_RUN,      /* string, bytes: a one-byte length up to @most */
  SKIP_UNION,    /* a one-byte index up to @most, then @branches' step */
  SKIP_NODE      /* no short cut */
} skip_op_t;

typedef struct skip_step_s {
  skip_op_t op;
  unsigned most;                    /* SKIP_SYMBOL, SKIP_RUN, SKIP_UNION */
  size_t size;                      /* SKIP_SIZED, SKIP_NUMBER */
  const kv_node_t *node;            /* the writer's type, for the codec */
  const struct skip_step_s *branches;   /* union, one per branch */
} skip_step_t;

/* The largest value a one-byte varint holds. */
#define SMALL_VARINT_MAX 63u

/* The value of the one-byte zig-zag varint @b, when it is one and not
 * negative; more than SMALL_VARINT_MAX otherwise: the byte rotated right
 * by one, so that a byte of a longer varint (0x80 and up) gives 64 or
 * more and an odd one (a negative value) 128 or more. */
KAVRO_INLINE unsigned small_varint(unsigned char b) {
  return (unsigned char)((b >> 1) | (b << 7));
}

/* The largest value @bound or below a one-byte varint can be. */
static unsigned small_most(size_t bound) {
  return bound < SMALL_VARINT_MAX ? (unsigned)bound : SMALL_VARINT_MAX;
}

/* @n's step under @limits; a union's branches take @branches' room (one
 * per branch). */
static skip_step_t skip_step(const kv_node_t *n,
                             const kavro_decode_limits_t *limits,
                             skip_step_t *branches) {
  skip_step_t s = {SKIP_NODE, 0, 0, n, NULL};
  switch (n->type) {
  case KAVRO_NULL:
  case KAVRO_FLOAT:
  case KAVRO_DOUBLE:
  case KAVRO_FIXED:
    s.op = SKIP_SIZED;
    s.size = n->type == KAVRO_NULL    ? 0
             : n->type == KAVRO_FLOAT ? 4
             : n->type == KAVRO_DOUBLE ? 8
                                       : n->size;
    break;
  case KAVRO_INT:
  case KAVRO_LONG:   /* 28 bits always fit an int, 63 a long */
    s.op = SKIP_NUMBER;
    s.size = n->type == KAVRO_INT ? 4 : 9;
    break;
  case KAVRO_ENUM:
    if (n->symbol_count) {
      s.op = SKIP_SYMBOL;
      s.most = small_most(n->symbol_count - 1);
    }
    break;
  case KAVRO_BOOLEAN:
    s.op = SKIP_BOOLEAN;
    break;
  case KAVRO_STRING:
  case KAVRO_BYTES:
    s.op = SKIP_RUN;
    s.most = small_most(limits->max_length);
    break;
  case KAVRO_UNION:
    /* Without room to enter it or any branch the codec says what fails;
     * a union's branch is never itself a union (no @branches then). */
    if (limits->max_depth < 2 || !n->branch_count || !branches)
      break;
    s.op = SKIP_UNION;
    s.most = small_most(n->branch_count - 1);
    s.branches = branches;
    for (size_t i = 0; i < n->branch_count; i++)
      branches[i] = skip_step(n->branches[i], limits, NULL);
    break;
  default:
    break;
  }
  return s;
}

/* The end of the varint at @p, before @end, when it takes at most @most
 * bytes; NULL otherwise. */
KAVRO_INLINE const unsigned char *short_varint(const unsigned char *p,
                                               const unsigned char *end,
                                               size_t most) {
  size_t left = (size_t)(end - p), n;
  uint64_t z;
  if (left >= KAVRO_MAX_VARINT) {   /* most of a body: one load */
    n = kavro_varint_scan(p, &z);
    return n && n <= most ? p + n : NULL;
  }
  for (n = 0; n < most && n < left; n++)
    if (p[n] < 0x80)
      return p + n + 1;
  return NULL;
}

/* The end of the string or bytes (step @s) at @p, before @end, when its
 * length takes one byte; NULL otherwise. */
KAVRO_INLINE const unsigned char *short_run(const skip_step_t *s,
                                            const unsigned char *p,
                                            const unsigned char *end) {
  unsigned n;
  if (p == end || (n = small_varint(p[0])) > s->most ||
      n >= (size_t)(end - p))
    return NULL;
  return p + 1 + n;
}

/* skip_short() of a step that is not a union. */
KAVRO_INLINE const unsigned char *short_plain(const skip_step_t *s,
                                              const unsigned char *p,
                                              const unsigned char *end) {
  switch (s->op) {
  case SKIP_SIZED:
    return (size_t)(end - p) >= s->size ? p + s->size : NULL;
  case SKIP_NUMBER:
    return short_varint(p, end, s->size);
  case SKIP_SYMBOL:
    return p == end || small_varint(p[0]) > s->most ? NULL : p + 1;
  case SKIP_BOOLEAN:
    return p == end || p[0] > 1 ? NULL : p + 1;
  case SKIP_RUN:
    return short_run(s, p, end);
  default:
    return NULL;
  }
}

/* Where step @s's datum at @p, before @end, ends when it is one of the
 * short cut's encodings (see skip_op_t); NULL for any other, valid or
 * not.  Strings first: most fields are. */
KAVRO_INLINE const unsigned char *skip_short(const skip_step_t *s,
                                             const unsigned char *p,
                                             const unsigned char *end) {
  unsigned n;
  if (s->op == SKIP_RUN)
    return short_run(s, p, end);
  if (s->op != SKIP_UNION)
    return short_plain(s, p, end);
  if (p == end || (n = small_varint(p[0])) > s->most)
    return NULL;
  return short_plain(&s->branches[n], p + 1, end);
}

/* One walk over a body.  The short cuts need only its end; the codec's
 * reads a reader, set up at the first. */
typedef struct walk_s {
  const unsigned char *start, *end;
  kavro_decoder_t *decoder;
  kavro_error_t *error;
  bool reading;                     /* @r is set up */
  kv_reader_t r;
} walk_t;

static void walk_init(walk_t *w, kavro_typed_resolver_t *res, const void *data,
                      size_t size, kavro_error_t *error) {
  w->start = data;
  w->end = size ? w->start + size : w->start;   /* no offset on NULL */
  w->decoder = res->decoder;
  w->error = error;
  w->reading = false;
}

/* @w's reader, at @p. */
static kv_reader_t *walk_reader(walk_t *w, const unsigned char *p) {
  if (!w->reading) {
    kv_reader_init(&w->r, w->decoder, w->start, (size_t)(w->end - w->start),
                   w->error);
    /* The fields one level down, as the generic resolver, which has
     * entered the record, reads them. */
    w->r.c.depth = 1;
    w->reading = true;
  }
  w->r.c.p = p;
  return &w->r;
}

/* Step @s from @p: the short cut, else the codec's read from @p.  The
 * datum's end, or NULL with the codec's failure in @err. */
KAVRO_INLINE const unsigned char *skip_one(walk_t *w, const skip_step_t *s,
                                           const unsigned char *p,
                                           const unsigned char *end,
                                           kavro_err_t *err) {
  const unsigned char *next = skip_short(s, p, end);
  if (next)
    return next;
  kv_reader_t *r = walk_reader(w, p);
  *err = kv_skip_node(r, s->node);
  return *err ? NULL : r->c.p;
}

/* The writer's datum must end where the body does. */
static kavro_err_t walk_end(walk_t *w, const unsigned char *p) {
  if (p != w->end)
    return kavro_cursor_trailing(&walk_reader(w, p)->c);
  return KAVRO_OK;
}

/* Walk the writer's fields over the body, so that it gets the verdicts
 * and texts the generic resolver gives it. */
static kavro_err_t walk_fields(const entry_t *e, walk_t *w) {
  const unsigned char *p = w->start, *end = w->end;
  kavro_err_t err = KAVRO_OK;
  for (const skip_step_t *s = e->skips, *last = s + e->skip_count; s < last;
       s++)
    if (!(p = skip_one(w, s, p, end, &err)))
      return err;
  return walk_end(w, p);
}

/* walk_fields(), noting in @starts where each field begins (the one
 * after the last: where the datum ends). */
static kavro_err_t walk_fields_noting(const entry_t *e, walk_t *w,
                                      const unsigned char **starts) {
  const unsigned char *p = w->start, *end = w->end;
  kavro_err_t err = KAVRO_OK;
  for (const skip_step_t *s = e->skips, *last = s + e->skip_count; s < last;
       s++) {
    *starts++ = p;
    if (!(p = skip_one(w, s, p, end, &err)))
      return err;
  }
  *starts = p;
  return walk_end(w, p);
}

/* Is @plan a flat record (see entry_t)? */
static bool is_flat(const kv_plan_t *plan) {
  if (plan->op != KV_OP_RECORD)
    return false;
  for (size_t i = 0; i < plan->step_count; i++)
    if (plan->steps[i].plan && plan->steps[i].plan->op != KV_OP_DIRECT)
      return false;
  return true;
}

/* Append to @e's parts the writer's field @w, or @length bytes of
 * defaults at @offset, joined to the last part when they follow it. */
static void flat_add(entry_t *e, bool from_writer, size_t w, size_t offset,
                     size_t length) {
  flat_part_t *last = e->part_count ? &e->parts[e->part_count - 1] : NULL;
  if (last && last->from_writer && from_writer && last->last + 1 == w) {
    last->last = w;
    return;
  }
  if (last && !last->from_writer && !from_writer &&
      last->offset + last->length == offset) {
    last->length += length;
    return;
  }
  e->parts[e->part_count++] = (flat_part_t){from_writer, w, w, offset, length};
}

/* The writer field each reader field is read from (SIZE_MAX: a default),
 * in @from. */
static void flat_sources(const kv_plan_t *plan, size_t *from) {
  for (size_t r = 0; r < plan->reader->field_count; r++)
    from[r] = SIZE_MAX;
  for (size_t i = 0; i < plan->step_count; i++)
    if (plan->steps[i].plan)
      from[plan->steps[i].reader_index] = i;
}

/* When @plan is a flat record, store in @e how to put the reader's
 * encoding together; false otherwise, or out of memory (then the
 * transcoder does it). */
static bool find_flat(const kv_plan_t *plan,
                      const kavro_decode_limits_t *limits, entry_t *e) {
  if (!is_flat(plan))
    return false;
  size_t count = plan->reader->field_count, length = 0;
  for (size_t i = 0; i < plan->fill_count; i++)
    length += plan->fills[i].length;
  size_t steps = plan->step_count;   /* and the unions' branches after */
  for (size_t i = 0; i < plan->step_count; i++)
    if (plan->steps[i].writer_type->type == KAVRO_UNION)
      steps += plan->steps[i].writer_type->branch_count;
  size_t *from = malloc((count ? count : 1) * sizeof(*from));
  e->parts = malloc((count ? count : 1) * sizeof(*e->parts));
  /* Room to copy FLAT_SLACK bytes from any default's start. */
  e->defaults = calloc(1, length + FLAT_SLACK);
  e->skips = malloc((steps ? steps : 1) * sizeof(*e->skips));
  if (!from || !e->parts || !e->defaults || !e->skips) {
    free(from);
    entry_free_flat(e);
    return false;
  }
  skip_step_t *branches = e->skips + plan->step_count;
  for (size_t i = 0; i < plan->step_count; i++) {
    e->skips[i] = skip_step(plan->steps[i].writer_type, limits, branches);
    if (e->skips[i].op == SKIP_UNION)
      branches += plan->steps[i].writer_type->branch_count;
  }
  e->skip_count = plan->step_count;
  e->defaults_length = length;
  flat_sources(plan, from);
  size_t offset = 0;   /* the defaults' bytes go in reader order */
  for (size_t r = 0; r < count; r++) {
    if (from[r] != SIZE_MAX) {
      flat_add(e, true, from[r], 0, 0);
      continue;
    }
    for (size_t i = 0; i < plan->fill_count; i++) {
      const kv_fill_t *f = &plan->fills[i];
      if (f->reader_index != r)
        continue;
      memcpy(e->defaults + offset, f->bytes, f->length);
      flat_add(e, false, 0, offset, f->length);
      offset += f->length;
    }
  }
  free(from);
  e->whole_first = e->part_count && e->parts[0].from_writer &&
                   e->parts[0].first == 0 &&
                   e->parts[0].last + 1 == e->skip_count;
  return true;
}

/* Add @e to a new snapshot of the table; false when out of memory. */
static bool publish(kavro_typed_resolver_t *res, const entry_t *e) {
  table_t *old = atomic_load(&res->table);
  size_t count = old ? old->count : 0;
  table_t *t = malloc(sizeof(*t) + (count + 1) * sizeof(entry_t));
  if (!t)
    return false;
  t->previous = old;
  t->count = count + 1;
  if (count)
    memcpy(t->entries, old->entries, count * sizeof(entry_t));
  t->entries[count] = *e;
  atomic_store_explicit(&res->table, t, memory_order_release);
  return true;
}

/* The entry for (@writer, @type): from the cache, else built and added. */
static kavro_err_t lookup(kavro_typed_resolver_t *res,
                          const kavro_typed_type_t *type,
                          kavro_schema_t *writer, uint64_t rabin,
                          const entry_t **out, kavro_error_t *error) {
  *out = find_entry(atomic_load_explicit(&res->table, memory_order_acquire),
                    rabin, type);
  if (*out)
    return KAVRO_OK;
  entry_t e = {.writer_rabin = rabin, .type = type};
  KAVRO_TRY(build_resolution(type, writer, &e.resolution, error));
  find_flat(e.resolution->root, &res->decoder->limits, &e);
  pthread_mutex_lock(&res->lock);
  /* Another thread may have added it meanwhile: keep the first. */
  if ((*out = find_entry(atomic_load(&res->table), rabin, type))) {
    pthread_mutex_unlock(&res->lock);
    entry_free(&e);
    return KAVRO_OK;
  }
  bool ok = publish(res, &e);
  if (ok)
    *out = find_entry(atomic_load(&res->table), rabin, type);
  pthread_mutex_unlock(&res->lock);
  if (!ok) {
    entry_free(&e);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  return KAVRO_OK;
}

/* ---- the transcoder ---------------------------------------------------------
 * Output goes to a buffer over arena memory of a guessed size; when the
 * guess is short, the buffer reports KAVRO_ERR_LIMIT without a message and
 * the whole datum is transcoded again into twice the room. */

typedef struct tx_s {
  kv_reader_t r;
  kavro_buf_t out;
  kavro_arena_t *arena;
  bool short_room;   /* the output ran out of room (not an error of the body) */
} tx_t;

static kavro_err_t tx_plan(tx_t *t, const kv_plan_t *plan);

static kavro_err_t tx_room(tx_t *t, size_t n) {
  if (kv_buf_reserve(&t->out, n) == KAVRO_OK)
    return KAVRO_OK;
  t->short_room = true;
  return KAVRO_ERR_LIMIT;
}

static kavro_err_t tx_long(tx_t *t, int64_t v) {
  KAVRO_TRY(tx_room(t, KAVRO_MAX_VARINT));
  kv_put_long(&t->out, v);
  return KAVRO_OK;
}

static kavro_err_t tx_copy(tx_t *t, const unsigned char *from) {
  size_t n = (size_t)(t->r.c.p - from);
  KAVRO_TRY(tx_room(t, n));
  kv_put_bytes(&t->out, from, n);
  return KAVRO_OK;
}

static kavro_err_t tx_real(tx_t *t, double d, kavro_type_t to) {
  unsigned char le[8];
  unsigned n = to == KAVRO_FLOAT ? 4 : 8;
  uint64_t bits;
  if (to == KAVRO_FLOAT) {
    float f = (float)d;
    uint32_t b32 = 0;
    memcpy(&b32, &f, sizeof(b32));
    bits = b32;
  } else {
    memcpy(&bits, &d, sizeof(bits));
  }
  for (unsigned i = 0; i < n; i++)
    le[i] = (unsigned char)(bits >> (8 * i));
  KAVRO_TRY(tx_room(t, n));
  kv_put_bytes(&t->out, le, n);
  return KAVRO_OK;
}

/* Bytes read as a string: valid UTF-8, each byte that does not start a
 * valid sequence replaced by U+FFFD, as resolve.c does. */
static kavro_err_t tx_utf8(tx_t *t, const unsigned char *s, size_t n) {
  size_t out = 0;
  for (size_t i = 0; i < n;) {
    size_t len = kv_utf8_sequence(s + i, n - i);
    out += len ? len : 3;
    i += len ? len : 1;
  }
  KAVRO_TRY(tx_long(t, (int64_t)out));
  KAVRO_TRY(tx_room(t, out));
  for (size_t i = 0; i < n;) {
    size_t len = kv_utf8_sequence(s + i, n - i);
    kv_put_bytes(&t->out, len ? (const void *)(s + i) : "\xef\xbf\xbd",
                 len ? len : 3);
    i += len ? len : 1;
  }
  return KAVRO_OK;
}

/* Widening: int and long to long, float or double; float to double; string
 * and bytes to each other (the same bytes). */
static kavro_err_t tx_promote(tx_t *t, const kv_plan_t *plan) {
  kavro_type_t to = plan->reader->type;
  const unsigned char *from = t->r.c.p;
  const unsigned char *data = NULL;
  size_t length = 0;
  switch (plan->writer->type) {
  case KAVRO_INT: {
    int32_t i = 0;
    KAVRO_TRY(kavro_cursor_int(&t->r.c, &i));
    return to == KAVRO_LONG ? tx_copy(t, from) : tx_real(t, (double)i, to);
  }
  case KAVRO_LONG: {
    int64_t l = 0;
    KAVRO_TRY(kavro_cursor_long(&t->r.c, &l));
    /* Straight to float, not through double: one rounding, as resolve.c. */
    if (to == KAVRO_FLOAT) {
      float f = (float)l;
      return tx_real(t, f, to);
    }
    return tx_real(t, (double)l, to);
  }
  case KAVRO_FLOAT: {
    float f = 0;
    KAVRO_TRY(kavro_cursor_float(&t->r.c, &f));
    return tx_real(t, f, to);
  }
  case KAVRO_STRING: /* to bytes: the same bytes */
    KAVRO_TRY(kavro_cursor_run(&t->r.c, &data, &length));
    return tx_copy(t, from);
  default: /* bytes to string */
    KAVRO_TRY(kavro_cursor_run(&t->r.c, &data, &length));
    return tx_utf8(t, data, length);
  }
}

static kavro_err_t tx_enum(tx_t *t, const kv_plan_t *plan) {
  const kv_node_t *w = plan->writer;
  uint32_t i = 0;
  KAVRO_TRY(kavro_cursor_symbol(&t->r.c, &i, (uint32_t)w->symbol_count,
                                w->fullname));
  long j = plan->symbol_map[i];
  if (j < 0)
    return kavro_cursor_fail(&t->r.c, "symbol %s is not in the reader's enum %s, "
                               "%s%s", w->symbols[i], plan->reader->fullname,
                             kv_enum_default_state(plan->reader),
                             kv_enum_default_defect(plan->reader));
  return tx_long(t, j);
}

typedef struct segment_s {
  size_t start, length;
} segment_t;

/* Put the fields written in writer order, at @segs, back in reader order. */
static kavro_err_t tx_reorder(tx_t *t, size_t record_start,
                              const segment_t *segs, size_t count) {
  bool ordered = true;
  for (size_t i = 1; i < count && ordered; i++)
    ordered = segs[i].start >= segs[i - 1].start + segs[i - 1].length;
  if (ordered)
    return KAVRO_OK;
  size_t n = t->out.length - record_start;
  unsigned char *copy = kavro_arena_alloc(t->arena, n);
  if (!copy)
    return kv_error_set(t->r.c.error, KAVRO_ERR_NOMEM, "out of memory");
  memcpy(copy, t->out.data + record_start, n);
  t->out.length = record_start;
  for (size_t i = 0; i < count; i++)
    kv_put_bytes(&t->out, copy + (segs[i].start - record_start), segs[i].length);
  return KAVRO_OK;
}

static kavro_err_t tx_record(tx_t *t, const kv_plan_t *plan) {
  size_t count = plan->reader->field_count;
  segment_t *segs = count ? kavro_arena_alloc(t->arena, count * sizeof(*segs))
                          : NULL;
  if (count && !segs)
    return kv_error_set(t->r.c.error, KAVRO_ERR_NOMEM, "out of memory");
  size_t record_start = t->out.length;
  for (size_t i = 0; i < plan->step_count; i++) {
    const kv_step_t *s = &plan->steps[i];
    if (!s->plan) {
      KAVRO_TRY(kv_skip_node(&t->r, s->writer_type));
      continue;
    }
    size_t start = t->out.length;
    KAVRO_TRY(tx_plan(t, s->plan));
    segs[s->reader_index] = (segment_t){start, t->out.length - start};
  }
  for (size_t i = 0; i < plan->fill_count; i++) {
    const kv_fill_t *f = &plan->fills[i];
    KAVRO_TRY(tx_room(t, f->length));
    segs[f->reader_index] = (segment_t){t->out.length, f->length};
    kv_put_bytes(&t->out, f->bytes, f->length);
  }
  return tx_reorder(t, record_start, segs, count);
}

/* Blocks are written back with plain counts (no byte sizes). */
static kavro_err_t tx_collection(tx_t *t, const kv_plan_t *plan) {
  size_t seen = 0;
  for (;;) {
    size_t n = 0;
    KAVRO_TRY(kv_read_block(&t->r, plan->writer->items, &seen, &n));
    KAVRO_TRY(tx_long(t, (int64_t)n));
    if (n == 0)
      return KAVRO_OK;
    for (size_t i = 0; i < n; i++) {
      if (plan->writer->type == KAVRO_MAP) {
        const unsigned char *key = t->r.c.p, *data;
        size_t length = 0;
        KAVRO_TRY(kavro_cursor_run(&t->r.c, &data, &length));
        KAVRO_TRY(tx_copy(t, key));
      }
      KAVRO_TRY(tx_plan(t, plan->items));
    }
  }
}

static const char *type_label(const kv_node_t *node) {
  return node->fullname ? node->fullname : kavro_type_name(node->type);
}

static kavro_err_t tx_nested(tx_t *t, const kv_plan_t *plan) {
  size_t d = 0;
  switch (plan->op) {
  case KV_OP_RECORD:
    return tx_record(t, plan);
  case KV_OP_COLLECTION:
    return tx_collection(t, plan);
  case KV_OP_WRITER_UNION:
    KAVRO_TRY(kv_read_branch(&t->r, plan->writer, &d));
    if (!plan->branches[d])
      return kavro_cursor_fail(&t->r.c, "the writer's union branch %zu (%s) cannot be "
                                 "read as the reader's %s",
                          d, type_label(plan->writer->branches[d]),
                          type_label(plan->reader));
    return tx_plan(t, plan->branches[d]);
  default: /* reader union */
    KAVRO_TRY(tx_long(t, (int64_t)plan->reader_branch));
    return tx_plan(t, plan->inner);
  }
}

static kavro_err_t tx_plan(tx_t *t, const kv_plan_t *plan) {
  const unsigned char *from = t->r.c.p;
  switch (plan->op) {
  case KV_OP_DIRECT:
    KAVRO_TRY(kv_skip_node(&t->r, plan->writer));
    return tx_copy(t, from);
  case KV_OP_PROMOTE:
    return tx_promote(t, plan);
  case KV_OP_ENUM:
    return tx_enum(t, plan);
  default: {
    KAVRO_TRY(kavro_cursor_enter(&t->r.c));
    kavro_err_t err = tx_nested(t, plan);
    kavro_cursor_leave(&t->r.c);
    return err;
  }
  }
}

/* The arena could not give the reader's encoding its room. */
static kavro_err_t arena_nomem(kavro_error_t *error) {
  return kv_error_set(error, KAVRO_ERR_NOMEM,
                      "out of memory (or past the arena's bound)");
}

/* The reader's encoding of a writer's datum of @size bytes may not reach
 * past SIZE_MAX with the defaults' bytes and @slack more. */
static kavro_err_t flat_too_large(const entry_t *e, size_t size, size_t slack,
                                  kavro_error_t *error) {
  if (size > SIZE_MAX - e->defaults_length - slack)
    return kv_error_set(error, KAVRO_ERR_LIMIT, "the datum is too large");
  return KAVRO_OK;
}

/* Transcode the datum at @data into arena memory: @out, @out_size. */
static kavro_err_t transcode(kavro_typed_resolver_t *res,
                             const kavro_resolution_t *resolution,
                             const void *data, size_t size,
                             kavro_arena_t *arena, const unsigned char **out,
                             size_t *out_size, kavro_error_t *error) {
  size_t room = size < SIZE_MAX / 4 ? 2 * size + 64 : size;
  for (;;) {
    tx_t t = {.arena = arena};
    unsigned char *mem = kv_arena_take(arena, room);
    if (!mem)
      return arena_nomem(error);
    kv_reader_init(&t.r, res->decoder, data, size, error);
    t.out = kv_buf_over(mem, room);
    kavro_err_t err = tx_plan(&t, resolution->root);
    if (!err && t.r.c.p != t.r.c.end)
      return kavro_cursor_trailing(&t.r.c);
    if (!t.short_room) {
      *out = mem;
      *out_size = t.out.length;
      return err;
    }
    if (room > SIZE_MAX / 2)
      return kv_error_set(error, KAVRO_ERR_LIMIT, "the datum is too large");
    room *= 2;
  }
}

/* Writer fields whose places a flat record's walk keeps on the stack;
 * a record with more takes them from the arena. */
#define FLAT_STACK_FIELDS 64

/* Copy the @n bytes at @from to @to, which has room for FLAT_SLACK more,
 * when @readable bytes may be read there; returns the end of the copy.
 * Most parts are a field or two, short: one move of FLAT_SLACK bytes,
 * whose tail the next part overwrites, when there are that many to read. */
static inline unsigned char *put_part(unsigned char *to,
                                      const unsigned char *from, size_t n,
                                      size_t readable) {
  if (n <= FLAT_SLACK && readable >= FLAT_SLACK)
    memcpy(to, from, FLAT_SLACK);
  else
    kavro_copy(to, from, n);
  return to + n;
}

/* Where the reader's encoding is put together.  A decoded record never
 * points into the bytes it was read from (the generated reads copy what
 * it keeps into the arena), so the encoding of an ordinary datum, needed
 * only while the generated decoder reads it, takes the caller's stack;
 * a larger one, the arena. */
#define OWN_ROOM 1024

typedef struct own_s {
  unsigned char *room;              /* OWN_ROOM bytes */
  kavro_arena_t *arena;
  const unsigned char *data;        /* the encoding */
  size_t size;
} own_t;

/* @n bytes for the encoding, NULL when out of memory. */
static unsigned char *own_take(own_t *own, size_t n) {
  return n <= OWN_ROOM ? own->room : kv_arena_take(own->arena, n);
}

/* The reader's encoding of the flat record at @data (see entry_t), in
 * @own.  The writer's datum is walked first, so that a body that ends
 * early or goes on too long is refused as the generic resolver refuses
 * it, never read into the defaults. */
static kavro_err_t flat_record(kavro_typed_resolver_t *res, const entry_t *e,
                               const void *data, size_t size, own_t *own,
                               kavro_error_t *error) {
  const unsigned char *stack[FLAT_STACK_FIELDS + 1];
  const unsigned char **starts =
      e->skip_count <= FLAT_STACK_FIELDS
          ? stack
          : kavro_arena_alloc(own->arena,
                              (e->skip_count + 1) * sizeof(*starts));
  if (!starts)
    return arena_nomem(error);
  walk_t w;
  walk_init(&w, res, data, size, error);
  KAVRO_TRY(walk_fields_noting(e, &w, starts));
  /* Each writer field is used once at most: the body's size and the
   * defaults' bound the reader's encoding. */
  KAVRO_TRY(flat_too_large(e, size, FLAT_SLACK, error));
  unsigned char *mem = own_take(own, size + e->defaults_length + FLAT_SLACK);
  if (!mem)
    return arena_nomem(error);
  const unsigned char *end = w.end;
  const unsigned char *defaults = e->defaults;
  unsigned char *p = mem;
  for (const flat_part_t *part = e->parts, *stop = part + e->part_count;
       part < stop; part++) {
    if (part->from_writer) {
      const unsigned char *from = starts[part->first];
      p = put_part(p, from, (size_t)(starts[part->last + 1] - from),
                   (size_t)(end - from));
    } else {
      p = put_part(p, defaults + part->offset, part->length,
                   part->length + FLAT_SLACK);
    }
  }
  own->data = mem;
  own->size = (size_t)(p - mem);
  return KAVRO_OK;
}

/* flat_record() for the commonest shape (entry_t's whole_first): the
 * body, then the defaults, each one copy. */
static kavro_err_t whole_then_defaults(kavro_typed_resolver_t *res,
                                       const entry_t *e, const void *data,
                                       size_t size, own_t *own,
                                       kavro_error_t *error) {
  walk_t w;
  walk_init(&w, res, data, size, error);
  KAVRO_TRY(walk_fields(e, &w));
  KAVRO_TRY(flat_too_large(e, size, 0, error));
  size_t tail = e->defaults_length;
  unsigned char *mem = own_take(own, size + tail ? size + tail : 1);
  if (!mem)
    return arena_nomem(error);
  if (size)
    memcpy(mem, data, size);
  kavro_copy(mem + size, e->defaults, tail);   /* most often a byte or two */
  own->data = mem;
  own->size = size + tail;
  return KAVRO_OK;
}

/* The reader's encoding of the datum at @data by @e's program, in @own;
 * on failure @value of @type is initialised, as though read. */
static kavro_err_t own_encoding(kavro_typed_resolver_t *res, const entry_t *e,
                                const kavro_typed_type_t *type,
                                const void *data, size_t size, void *value,
                                own_t *own, kavro_error_t *error) {
  kavro_err_t err;
  if (e->parts && e->whole_first)
    err = whole_then_defaults(res, e, data, size, own, error);
  else if (e->parts)
    err = flat_record(res, e, data, size, own, error);
  else
    err = transcode(res, e->resolution, data, size, own->arena, &own->data,
                    &own->size, error);
  if (err)
    type->init(value);
  return err;
}

kavro_err_t kavro_typed_decode_from(kavro_typed_resolver_t *res,
                                    const kavro_typed_type_t *type,
                                    kavro_schema_t *writer, const void *data,
                                    size_t size, kavro_arena_t *arena,
                                    void *value, kavro_error_t *error) {
  if (!res || !type || !writer || !arena || !value || (!data && size))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "resolver, type, writer, arena, value and data are "
                        "required");
  const kavro_decode_limits_t *limits = &res->decoder->limits;
  uint64_t rabin = kavro_schema_rabin(writer);
  if (rabin == type->rabin)
    return kv_typed_decode_under(type, data, size, arena, limits, value, error);
  const entry_t *e;
  KAVRO_TRY(lookup(res, type, writer, rabin, &e, error));
  unsigned char room[OWN_ROOM];
  own_t own = {room, arena, NULL, 0};
  /* The generated decoder initialises @value; a failure before it, here. */
  KAVRO_TRY(own_encoding(res, e, type, data, size, value, &own, error));
  return kv_typed_decode_under(type, own.data, own.size, arena, limits, value,
                               error);
}
