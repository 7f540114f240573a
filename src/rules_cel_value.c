/*
 * kavro - CEL values: the scratch arena evaluations allocate from, lists
 * and maps whatever holds them, equality and ordering as cel-spec defines
 * them, and the binding to avro-c values both ways: Avro values read as
 * CEL values, and CEL results written into a field's value or, through
 * the schema (its fields' defaults too), into a whole message.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "common_json_locate_int.h"
#include "rules_cel_impl_int.h"
#include "schema_int.h"

/* ---- scratch --------------------------------------------------------- */

typedef struct block_s {
  struct block_s *next;
  size_t cap, used;
  _Alignas(16) unsigned char data[];
} block_t;

/* Slots of the scratch's cache of record field indexes. */
#define FIELD_CACHE_SIZE 16

struct kv_cel_scratch_s {
  block_t *first, *cur;
  size_t total, growths;
  pcre2_match_data *md;
  pcre2_match_context *mctx;
  pcre2_general_context *gctx;
  /* Which field a select node (`message.f`) found in records of a
   * schema: the same on every message, so looked up by name once.  Kept
   * across resets; the scratch's thread is its only user.  A cached
   * schema is referenced, so that no other schema can take its address
   * while its index is kept. */
  struct {
    const void *node;
    avro_schema_t schema;
    int index;
  } fields[FIELD_CACHE_SIZE];
};

/* PCRE2's allocator: the scratch, but for the context itself, which
 * must outlive every reset (it is made while s->gctx is still NULL). */
static void *arena_malloc(PCRE2_SIZE size, void *data) {
  kv_cel_scratch_t *s = data;
  return s->gctx ? kv_cel_alloc(s, size) : malloc(size);
}
static void arena_free(void *p, void *data) {
  kv_cel_scratch_t *s = data;
  if (p == (void *)s->gctx)
    free(p);
}

kv_cel_scratch_t *kv_cel_scratch_new(void) {
  kv_cel_scratch_t *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  /* One pair of offsets is all matches() needs; PCRE2 keeps its
   * backtracking frames in the match data, so they are reused too. */
  s->md = pcre2_match_data_create(1, NULL);
  s->gctx = pcre2_general_context_create(arena_malloc, arena_free, s);
  /* PCRE2 backtracks where RE2 would not: a pattern and a subject chosen
   * to explode are cut off (an error, never a verdict). */
  s->mctx = pcre2_match_context_create(NULL);
  if (s->mctx) {
    pcre2_set_match_limit(s->mctx, KV_CEL_MATCH_LIMIT);
    pcre2_set_heap_limit(s->mctx, 8192); /* KiB */
  }
  if (!s->md || !s->gctx || !s->mctx) {
    kv_cel_scratch_destroy(s);
    return NULL;
  }
  return s;
}

void kv_cel_scratch_destroy(kv_cel_scratch_t *s) {
  if (!s)
    return;
  for (block_t *b = s->first, *next; b; b = next) {
    next = b->next;
    free(b);
  }
  pcre2_match_data_free(s->md);
  pcre2_match_context_free(s->mctx);
  pcre2_general_context_free(s->gctx);
  for (size_t i = 0; i < FIELD_CACHE_SIZE; i++)
    if (s->fields[i].schema)
      avro_schema_decref(s->fields[i].schema);
  free(s);
}

size_t kv_cel_scratch_growths(const kv_cel_scratch_t *s) {
  return s->growths;
}

void kv_cel_scratch_reset(kv_cel_scratch_t *s) {
  for (block_t *b = s->first; b; b = b->next)
    b->used = 0;
  s->cur = s->first;
}

pcre2_match_data *kv_cel_scratch_match_data(kv_cel_scratch_t *s) {
  return s->md;
}
pcre2_general_context *kv_cel_scratch_pcre2(kv_cel_scratch_t *s) {
  return s->gctx;
}
pcre2_match_context *kv_cel_scratch_match_context(kv_cel_scratch_t *s) {
  return s->mctx;
}

void *kv_cel_alloc(kv_cel_scratch_t *s, size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (size == 0)
    size = 16;
  for (;;) {
    block_t *b = s->cur;
    if (b && b->cap - b->used >= size) {
      void *p = b->data + b->used;
      b->used += size;
      return p;
    }
    if (b && b->next) { /* blocks of an earlier evaluation, in order */
      s->cur = b->next;
      continue;
    }
    size_t cap = s->total < 65536 ? 65536 : s->total;
    if (cap < size)
      cap = size;
    if (size > KV_CEL_SCRATCH_MAX || s->total + cap > KV_CEL_SCRATCH_MAX)
      return NULL;
    block_t *nb = malloc(sizeof *nb + cap);
    if (!nb)
      return NULL;
    nb->next = NULL;
    nb->cap = cap;
    nb->used = 0;
    s->total += cap;
    s->growths++;
    if (b)
      b->next = nb;
    else
      s->first = nb;
    s->cur = nb;
  }
}

kv_cel_val_t kv_cel_errf(kv_cel_scratch_t *s, const char *fmt, ...) {
  char *buf = kv_cel_alloc(s, 256);
  if (!buf)
    return kv_cel_err("out of scratch memory");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, 256, fmt, ap);
  va_end(ap);
  return kv_cel_err(buf);
}

/* A NUL-terminated copy of @n bytes at @p in the scratch. */
static char *scratch_cstr(kv_cel_scratch_t *s, const char *p, size_t n) {
  char *c = kv_cel_alloc(s, n + 1);
  if (c) {
    memcpy(c, p, n);
    c[n] = '\0';
  }
  return c;
}

/* ---- avro-c values as CEL values ------------------------------------- */

kv_cel_val_t kv_cel_from_avro(kv_cel_scratch_t *s, const avro_value_t *av) {
  kv_cel_val_t v = {.kind = KV_CEL_NULL};
  const char *p;
  const void *bp;
  size_t n;
  int32_t i32;
  int64_t i64;
  float f;
  double d;
  int b;
  avro_value_t branch;
  switch (avro_value_get_type(av)) {
  case AVRO_NULL:
    return v;
  case AVRO_BOOLEAN:
    avro_value_get_boolean(av, &b);
    return kv_cel_bool(b != 0);
  case AVRO_INT32:
    avro_value_get_int(av, &i32);
    return kv_cel_int(i32);
  case AVRO_INT64:
    avro_value_get_long(av, &i64);
    return kv_cel_int(i64);
  case AVRO_FLOAT:
    avro_value_get_float(av, &f);
    return kv_cel_double(f);
  case AVRO_DOUBLE:
    avro_value_get_double(av, &d);
    return kv_cel_double(d);
  case AVRO_STRING:
    if (avro_value_get_string(av, &p, &n) != 0 || !p)
      p = "", n = 1;
    n = n ? n - 1 : 0; /* avro-c counts the terminating NUL */
    if (!kv_cel_utf8_valid(p, n))
      return kv_cel_err("string is not valid UTF-8");
    return kv_cel_str(KV_CEL_STRING, p, n);
  case AVRO_BYTES:
    if (avro_value_get_bytes(av, &bp, &n) != 0 || !bp)
      bp = "", n = 0;
    return kv_cel_str(KV_CEL_BYTES, bp, n);
  case AVRO_FIXED:
    if (avro_value_get_fixed(av, &bp, &n) != 0 || !bp)
      bp = "", n = 0;
    return kv_cel_str(KV_CEL_BYTES, bp, n);
  case AVRO_ENUM: {
    int idx = 0;
    avro_value_get_enum(av, &idx);
    p = avro_schema_enum_get(avro_value_get_schema(av), idx);
    return p ? kv_cel_str(KV_CEL_STRING, p, strlen(p))
             : kv_cel_err("enum value out of its symbols");
  }
  case AVRO_ARRAY:
    v.kind = KV_CEL_LIST;
    v.rep = KV_CEL_REP_AVRO;
    v.u.avro = *av;
    return v;
  case AVRO_MAP:
  case AVRO_RECORD:
    v.kind = KV_CEL_MAP;
    v.rep = avro_value_get_type(av) == AVRO_MAP ? KV_CEL_REP_AVRO
                                                : KV_CEL_REP_RECORD;
    v.u.avro = *av;
    return v;
  case AVRO_UNION:
    if (avro_value_get_current_branch(av, &branch) != 0)
      return kv_cel_err("union without a branch");
    return kv_cel_from_avro(s, &branch);
  default:
    return kv_cel_err("unsupported Avro type");
  }
}

bool kv_cel_record_field(kv_cel_scratch_t *s, const void *node,
                         const avro_value_t *record, const char *name,
                         kv_cel_val_t *out) {
  avro_schema_t schema = avro_value_get_schema(record);
  size_t slot = ((uintptr_t)node >> 4) % FIELD_CACHE_SIZE;
  if (s->fields[slot].node != node || s->fields[slot].schema != schema) {
    int index = avro_schema_record_field_get_index(schema, name);
    if (index < 0)
      return false;
    if (s->fields[slot].schema)
      avro_schema_decref(s->fields[slot].schema);
    s->fields[slot].node = node;
    s->fields[slot].schema = avro_schema_incref(schema);
    s->fields[slot].index = index;
  }
  avro_value_t child;
  if (avro_value_get_by_index(record, (size_t)s->fields[slot].index, &child,
                              NULL) != 0)
    return false;
  *out = kv_cel_from_avro(s, &child);
  return true;
}

/* ---- lists and maps -------------------------------------------------- */

size_t kv_cel_list_size(const kv_cel_val_t *list) {
  size_t n = 0;
  switch (list->rep) {
  case KV_CEL_REP_ARENA:
    return list->u.list.n;
  case KV_CEL_REP_CSTRS:
    return list->u.strs.n;
  default:
    avro_value_get_size(&list->u.avro, &n);
    return n;
  }
}

kv_cel_val_t kv_cel_list_get(kv_cel_scratch_t *s, const kv_cel_val_t *list,
                             size_t i) {
  avro_value_t child;
  switch (list->rep) {
  case KV_CEL_REP_ARENA:
    return list->u.list.v[i];
  case KV_CEL_REP_CSTRS: {
    const char *p = list->u.strs.v[i];
    if (!kv_cel_utf8_valid(p, strlen(p)))
      return kv_cel_err("string is not valid UTF-8");
    return kv_cel_str(KV_CEL_STRING, p, strlen(p));
  }
  default:
    if (avro_value_get_by_index(&list->u.avro, i, &child, NULL) != 0)
      return kv_cel_err("index out of range");
    return kv_cel_from_avro(s, &child);
  }
}

size_t kv_cel_map_size(const kv_cel_val_t *map) {
  size_t n = 0;
  if (map->rep == KV_CEL_REP_ARENA)
    return map->u.map.n;
  avro_value_get_size(&map->u.avro, &n);
  return n;
}

kv_cel_val_t kv_cel_map_key(kv_cel_scratch_t *s, const kv_cel_val_t *map,
                            size_t i) {
  avro_value_t child;
  const char *name = NULL;
  if (map->rep == KV_CEL_REP_ARENA)
    return map->u.map.kv[2 * i];
  if (map->rep == KV_CEL_REP_RECORD)
    name = avro_schema_record_field_name(avro_value_get_schema(&map->u.avro),
                                         (int)i);
  else if (avro_value_get_by_index(&map->u.avro, i, &child, &name) != 0)
    name = NULL;
  (void)s;
  if (!name)
    return kv_cel_err("index out of range");
  return kv_cel_str(KV_CEL_STRING, name, strlen(name));
}

bool kv_cel_map_find(kv_cel_scratch_t *s, const kv_cel_val_t *map,
                     const kv_cel_val_t *key, kv_cel_val_t *out) {
  if (!kv_cel_key_kind(key) && key->kind != KV_CEL_DOUBLE)
    return false;
  if (map->rep == KV_CEL_REP_ARENA) {
    for (size_t i = 0; i < map->u.map.n; i++)
      if (kv_cel_equal(s, &map->u.map.kv[2 * i], key)) {
        *out = map->u.map.kv[2 * i + 1];
        return true;
      }
    return false;
  }
  if (key->kind != KV_CEL_STRING || memchr(key->u.s.p, 0, key->u.s.n))
    return false;
  char small[128];
  const char *name = small;
  if (key->u.s.n < sizeof small) {
    memcpy(small, key->u.s.p, key->u.s.n);
    small[key->u.s.n] = '\0';
  } else if (!(name = scratch_cstr(s, key->u.s.p, key->u.s.n))) {
    *out = kv_cel_err("out of scratch memory");
    return true;
  }
  avro_value_t child;
  if (avro_value_get_by_name(&map->u.avro, name, &child, NULL) != 0)
    return false;
  *out = kv_cel_from_avro(s, &child);
  return true;
}

bool kv_cel_key_kind(const kv_cel_val_t *v) {
  return v->kind == KV_CEL_INT || v->kind == KV_CEL_UINT ||
         v->kind == KV_CEL_BOOL || v->kind == KV_CEL_STRING;
}

/* ---- equality and ordering ------------------------------------------- */

static bool is_number(const kv_cel_val_t *v) {
  return v->kind == KV_CEL_INT || v->kind == KV_CEL_UINT ||
         v->kind == KV_CEL_DOUBLE;
}

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

/* An int or uint against a double: the integer is converted to double,
 * as cel-go does and cel-spec's conformance cases expect
 * (dyn(9223372036854775807) < 9223372036854775808.0 is false). */
static int cmp_int_double(int64_t i, double d) {
  return isnan(d) ? 2 : CMP((double)i, d);
}

static int cmp_uint_double(uint64_t u, double d) {
  return isnan(d) ? 2 : CMP((double)u, d);
}

static int cmp_numbers(const kv_cel_val_t *a, const kv_cel_val_t *b) {
  switch (a->kind * 16 + b->kind) {
  case KV_CEL_INT * 16 + KV_CEL_INT:
    return CMP(a->u.i, b->u.i);
  case KV_CEL_UINT * 16 + KV_CEL_UINT:
    return CMP(a->u.u, b->u.u);
  case KV_CEL_DOUBLE * 16 + KV_CEL_DOUBLE:
    if (isnan(a->u.d) || isnan(b->u.d))
      return 2;
    return CMP(a->u.d, b->u.d);
  case KV_CEL_INT * 16 + KV_CEL_UINT:
    return a->u.i < 0 ? -1 : CMP((uint64_t)a->u.i, b->u.u);
  case KV_CEL_UINT * 16 + KV_CEL_INT:
    return b->u.i < 0 ? 1 : CMP(a->u.u, (uint64_t)b->u.i);
  case KV_CEL_INT * 16 + KV_CEL_DOUBLE:
    return cmp_int_double(a->u.i, b->u.d);
  case KV_CEL_UINT * 16 + KV_CEL_DOUBLE:
    return cmp_uint_double(a->u.u, b->u.d);
  case KV_CEL_DOUBLE * 16 + KV_CEL_INT: {
    int c = cmp_int_double(b->u.i, a->u.d);
    return c == 2 ? 2 : -c;
  }
  default: { /* double, uint */
    int c = cmp_uint_double(b->u.u, a->u.d);
    return c == 2 ? 2 : -c;
  }
  }
}

static int cmp_bytes(const kv_cel_val_t *a, const kv_cel_val_t *b) {
  size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
  int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
  return c ? (c < 0 ? -1 : 1) : CMP(a->u.s.n, b->u.s.n);
}

int kv_cel_compare(const kv_cel_val_t *a, const kv_cel_val_t *b) {
  if (is_number(a) && is_number(b))
    return cmp_numbers(a, b);
  if (a->kind != b->kind)
    return 3;
  switch (a->kind) {
  case KV_CEL_BOOL:
    return CMP(a->u.b, b->u.b);
  case KV_CEL_STRING: /* UTF-8 byte order is code point order */
  case KV_CEL_BYTES:
    return cmp_bytes(a, b);
  case KV_CEL_TIMESTAMP:
  case KV_CEL_DURATION:
    return a->u.t.sec != b->u.t.sec ? CMP(a->u.t.sec, b->u.t.sec)
                                    : CMP(a->u.t.nsec, b->u.t.nsec);
  default:
    return 3;
  }
}

bool kv_cel_equal(kv_cel_scratch_t *s, const kv_cel_val_t *a,
                  const kv_cel_val_t *b) {
  if (is_number(a) && is_number(b))
    return cmp_numbers(a, b) == 0;
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case KV_CEL_NULL:
    return true;
  case KV_CEL_TYPE:
    return a->u.type == b->u.type;
  case KV_CEL_LIST: {
    size_t n = kv_cel_list_size(a);
    if (n != kv_cel_list_size(b))
      return false;
    for (size_t i = 0; i < n; i++) {
      kv_cel_val_t x = kv_cel_list_get(s, a, i), y = kv_cel_list_get(s, b, i);
      if (!kv_cel_equal(s, &x, &y))
        return false;
    }
    return true;
  }
  case KV_CEL_MAP: {
    size_t n = kv_cel_map_size(a);
    if (n != kv_cel_map_size(b))
      return false;
    for (size_t i = 0; i < n; i++) {
      kv_cel_val_t k = kv_cel_map_key(s, a, i), x, y;
      if (!kv_cel_map_find(s, a, &k, &x) || !kv_cel_map_find(s, b, &k, &y) ||
          !kv_cel_equal(s, &x, &y))
        return false;
    }
    return true;
  }
  case KV_CEL_ERROR:
    return false;
  default:
    return kv_cel_compare(a, b) == 0;
  }
}

const char *kv_cel_type_name(int type) {
  static const char *const names[] = {
      [KV_CEL_NULL] = "null_type",
      [KV_CEL_BOOL] = "bool",
      [KV_CEL_INT] = "int",
      [KV_CEL_UINT] = "uint",
      [KV_CEL_DOUBLE] = "double",
      [KV_CEL_STRING] = "string",
      [KV_CEL_BYTES] = "bytes",
      [KV_CEL_LIST] = "list",
      [KV_CEL_MAP] = "map",
      [KV_CEL_TIMESTAMP] = "google.protobuf.Timestamp",
      [KV_CEL_DURATION] = "google.protobuf.Duration",
      [KV_CEL_TYPE] = "type",
      [KV_CEL_ERROR] = "error"};
  return type >= 0 && type <= KV_CEL_ERROR ? names[type] : "?";
}

/* ---- CEL results into avro-c values ---------------------------------- */

/* Deepest value a result may nest (a recursive schema has no depth of its
 * own). */
#define WRITE_MAX_DEPTH 256

/* One result being written: the scratch, where a failure goes, and the
 * JSON pointer of the value being written (for the failure's path). */
typedef struct out_s {
  kv_cel_scratch_t *s;
  kavro_error_t *error;
  char path[KAVRO_ERROR_PATH_LENGTH];
  size_t length;
  unsigned depth;
} out_t;

/* Step into member @name (@n bytes) of the value at o->path; the path is
 * cut when it grows too long.  Returns the length to pop back to. */
static size_t push(out_t *o, const char *name, size_t n) {
  size_t mark = o->length;
  o->length = kv_json_pointer_push(o->path, sizeof o->path, o->length, name, n);
  return mark;
}

static void pop(out_t *o, size_t mark) {
  o->length = mark;
  o->path[mark] = '\0';
}

static kavro_err_t out_fail(out_t *o, kavro_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static kavro_err_t out_fail(out_t *o, kavro_err_t code, const char *fmt, ...) {
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (*o->path) {
    kv_error_set(o->error, code, "CEL: %s at %.200s", text, o->path);
    kv_error_set_path(o->error, o->path);
  } else {
    kv_error_set(o->error, code, "CEL: %s", text);
  }
  return code;
}

/* The message's avro-c schema and the rule set's part ways. */
static kavro_err_t not_the_schema(out_t *o) {
  return out_fail(o, KAVRO_ERR_INVALID_ARG,
                  "the message is no value of the rule set's schema");
}

static kavro_err_t out_avro(out_t *o, int rc) {
  return rc == 0 ? KAVRO_OK
                 : out_fail(o, KAVRO_ERR_AVRO_C, "avro-c: %s", avro_strerror());
}

/* @schema, or the definition it links to: a named type used again is a
 * link in avro-c. */
static avro_schema_t unlinked(avro_schema_t schema) {
  while (is_avro_link(schema))
    schema = avro_schema_link_target(schema);
  return schema;
}

/* Whether @v can go into a value of @schema, as write_value() writes:
 * for a field, as Java's CelFieldExecutor converts (a uint goes into an
 * int or long); for a @whole message, as Java's AvroResultWriter does
 * (arrays, maps and records too; an int or long takes no uint, which
 * cel-java holds as an UnsignedLong).  A union takes the first branch
 * that fits (a map fits any record: the first record branch wins). */
static bool fits(const kv_cel_val_t *v, avro_schema_t schema, bool whole) {
  schema = unlinked(schema);
  switch (avro_typeof(schema)) {
  case AVRO_NULL: return v->kind == KV_CEL_NULL;
  case AVRO_BOOLEAN: return v->kind == KV_CEL_BOOL;
  case AVRO_INT32:
    return (v->kind == KV_CEL_INT && v->u.i >= INT32_MIN &&
            v->u.i <= INT32_MAX) ||
           (!whole && v->kind == KV_CEL_UINT && v->u.u <= INT32_MAX);
  case AVRO_INT64:
    return v->kind == KV_CEL_INT ||
           (!whole && v->kind == KV_CEL_UINT && v->u.u <= INT64_MAX);
  case AVRO_FLOAT:
  case AVRO_DOUBLE: return is_number(v);
  case AVRO_STRING: return v->kind == KV_CEL_STRING;
  case AVRO_BYTES: return v->kind == KV_CEL_BYTES;
  case AVRO_FIXED:
    return v->kind == KV_CEL_BYTES &&
           (int64_t)v->u.s.n == avro_schema_fixed_size(schema);
  case AVRO_ENUM: {
    char sym[256];
    if (v->kind != KV_CEL_STRING || v->u.s.n >= sizeof sym)
      return false;
    memcpy(sym, v->u.s.p, v->u.s.n);
    sym[v->u.s.n] = '\0';
    return avro_schema_enum_get_by_name(schema, sym) >= 0;
  }
  case AVRO_ARRAY: return whole && v->kind == KV_CEL_LIST;
  case AVRO_MAP:
  case AVRO_RECORD: return whole && v->kind == KV_CEL_MAP;
  default: return false;
  }
}

static double as_double(const kv_cel_val_t *v) {
  return v->kind == KV_CEL_INT    ? (double)v->u.i
         : v->kind == KV_CEL_UINT ? (double)v->u.u
                                  : v->u.d;
}

/* A primitive or an enum @v, which fits @dst, a value of @schema. */
static kavro_err_t write_scalar(out_t *o, const kv_cel_val_t *v,
                                avro_schema_t schema, avro_value_t *dst) {
  char *copy = NULL;
  if (v->kind == KV_CEL_STRING || v->kind == KV_CEL_BYTES) {
    /* A copy first: the result may point into @dst itself. */
    copy = scratch_cstr(o->s, v->u.s.p, v->u.s.n);
    if (!copy)
      return out_fail(o, KAVRO_ERR_LIMIT, "out of scratch memory");
  }
  switch (avro_typeof(schema)) {
  case AVRO_NULL: return out_avro(o, avro_value_set_null(dst));
  case AVRO_BOOLEAN: return out_avro(o, avro_value_set_boolean(dst, v->u.b));
  case AVRO_INT32:
    return out_avro(o, avro_value_set_int(dst, v->kind == KV_CEL_INT
                                                   ? (int32_t)v->u.i
                                                   : (int32_t)v->u.u));
  case AVRO_INT64:
    return out_avro(o, avro_value_set_long(dst, v->kind == KV_CEL_INT
                                                    ? v->u.i
                                                    : (int64_t)v->u.u));
  case AVRO_FLOAT:
    return out_avro(o, avro_value_set_float(dst, (float)as_double(v)));
  case AVRO_DOUBLE:
    return out_avro(o, avro_value_set_double(dst, as_double(v)));
  case AVRO_STRING:
    return out_avro(o, avro_value_set_string_len(dst, copy, v->u.s.n + 1));
  case AVRO_BYTES:
    return out_avro(o, avro_value_set_bytes(dst, copy, v->u.s.n));
  case AVRO_FIXED:
    return out_avro(o, avro_value_set_fixed(dst, copy, v->u.s.n));
  default: /* enum */
    return out_avro(o, avro_value_set_enum(
                           dst, avro_schema_enum_get_by_name(schema, copy)));
  }
}

static kavro_err_t write_value(out_t *o, const kv_cel_val_t *v,
                               const kv_node_t *node, avro_value_t *dst);

static kavro_err_t write_list(out_t *o, const kv_cel_val_t *v,
                              const kv_node_t *items, avro_value_t *dst) {
  size_t n = kv_cel_list_size(v);
  for (size_t i = 0; i < n; i++) {
    char index[24];
    size_t mark =
        push(o, index, (size_t)snprintf(index, sizeof index, "%zu", i));
    kv_cel_val_t item = kv_cel_list_get(o->s, v, i);
    avro_value_t child;
    kavro_err_t err = out_avro(o, avro_value_append(dst, &child, NULL));
    if (err == KAVRO_OK)
      err = write_value(o, &item, items, &child);
    if (err != KAVRO_OK)
      return err;
    pop(o, mark);
  }
  return KAVRO_OK;
}

/* Entry @i of map @v: its key and its value, in one step whatever holds
 * the map. */
static void map_entry(kv_cel_scratch_t *s, const kv_cel_val_t *v, size_t i,
                      kv_cel_val_t *key, kv_cel_val_t *value) {
  if (v->rep == KV_CEL_REP_ARENA) {
    *key = v->u.map.kv[2 * i];
    *value = v->u.map.kv[2 * i + 1];
    return;
  }
  avro_value_t child;
  *key = kv_cel_map_key(s, v, i);
  *value = avro_value_get_by_index(&v->u.avro, i, &child, NULL) == 0
               ? kv_cel_from_avro(s, &child)
               : kv_cel_err("index out of range");
}

/* An Avro map key: a CEL key's text (Java's String.valueOf of the key),
 * NUL-terminated in the scratch; NULL when out of memory. */
static const char *key_text(kv_cel_scratch_t *s, const kv_cel_val_t *key) {
  char number[24];
  switch (key->kind) {
  case KV_CEL_STRING: return scratch_cstr(s, key->u.s.p, key->u.s.n);
  case KV_CEL_BOOL: return key->u.b ? "true" : "false";
  case KV_CEL_INT:
    return scratch_cstr(
        s, number,
        (size_t)snprintf(number, sizeof number, "%lld", (long long)key->u.i));
  default: /* uint */
    return scratch_cstr(s, number,
                        (size_t)snprintf(number, sizeof number, "%llu",
                                         (unsigned long long)key->u.u));
  }
}

static kavro_err_t write_map(out_t *o, const kv_cel_val_t *v,
                             const kv_node_t *values, avro_value_t *dst) {
  size_t n = kv_cel_map_size(v);
  for (size_t i = 0; i < n; i++) {
    kv_cel_val_t key, value;
    map_entry(o->s, v, i, &key, &value);
    const char *name = key_text(o->s, &key);
    if (!name)
      return out_fail(o, KAVRO_ERR_LIMIT, "out of scratch memory");
    if (key.kind == KV_CEL_STRING && memchr(key.u.s.p, 0, key.u.s.n))
      return out_fail(o, KAVRO_ERR_ENCODE, "a map key holds a NUL byte");
    size_t mark = push(o, name, strlen(name));
    avro_value_t child;
    kavro_err_t err =
        out_avro(o, avro_value_add(dst, name, &child, NULL, NULL));
    if (err == KAVRO_OK)
      err = write_value(o, &value, values, &child);
    if (err != KAVRO_OK)
      return err;
    pop(o, mark);
  }
  return KAVRO_OK;
}

static kavro_err_t write_default(out_t *o, const json_t *json,
                                 const kv_node_t *node, avro_value_t *dst);

/* Field @f of a record, from the result's key of its name, else from its
 * default (Java's GenericRecordBuilder), else a failure. */
static kavro_err_t write_field(out_t *o, const kv_cel_val_t *v,
                               const kv_field_t *f, avro_value_t *dst) {
  kv_cel_val_t key = kv_cel_str(KV_CEL_STRING, f->name, strlen(f->name));
  kv_cel_val_t value;
  if (kv_cel_map_find(o->s, v, &key, &value))
    return write_value(o, &value, f->type, dst);
  if (!f->default_value || f->default_defect)
    return out_fail(o, KAVRO_ERR_ENCODE,
                    "the result has no field \"%.100s\", which has no "
                    "default",
                    f->name);
  return write_default(o, f->default_value, f->type, dst);
}

/* Record @node from map @v: its fields by name; other keys are ignored,
 * as Java ignores them. */
static kavro_err_t write_record(out_t *o, const kv_cel_val_t *v,
                                const kv_node_t *node, avro_value_t *dst) {
  size_t count = 0;
  if (node->type != KAVRO_RECORD || avro_value_get_size(dst, &count) != 0 ||
      count != node->field_count)
    return not_the_schema(o);
  for (size_t i = 0; i < node->field_count; i++) {
    const kv_field_t *f = &node->fields[i];
    size_t mark = push(o, f->name, strlen(f->name));
    avro_value_t child;
    kavro_err_t err =
        out_avro(o, avro_value_get_by_index(dst, i, &child, NULL));
    if (err == KAVRO_OK)
      err = write_field(o, v, f, &child);
    if (err != KAVRO_OK)
      return err;
    pop(o, mark);
  }
  return KAVRO_OK;
}

/* @v into @dst, a value of @node's type (NULL: a field's primitive value,
 * where arrays, maps and records do not fit). */
static kavro_err_t write_value(out_t *o, const kv_cel_val_t *v,
                               const kv_node_t *node, avro_value_t *dst) {
  avro_schema_t schema = unlinked(avro_value_get_schema(dst));
  if (v->kind == KV_CEL_ERROR) /* read from an Avro value in place */
    return out_fail(o, KAVRO_ERR_INVALID_ARG, "%s", v->u.err);
  if (o->depth >= WRITE_MAX_DEPTH)
    return out_fail(o, KAVRO_ERR_LIMIT, "the result nests deeper than %u",
                    WRITE_MAX_DEPTH);
  if (avro_typeof(schema) == AVRO_UNION) {
    size_t n = avro_schema_union_size(schema);
    if (node && (node->type != KAVRO_UNION || node->branch_count != n))
      return not_the_schema(o);
    for (size_t i = 0; i < n; i++)
      if (fits(v, avro_schema_union_branch(schema, (int)i), node != NULL)) {
        avro_value_t branch;
        kavro_err_t err =
            out_avro(o, avro_value_set_branch(dst, (int)i, &branch));
        o->depth++;
        if (err == KAVRO_OK)
          err = write_value(o, v, node ? node->branches[i] : NULL, &branch);
        o->depth--;
        return err;
      }
  }
  if (!fits(v, schema, node != NULL))
    return out_fail(o, KAVRO_ERR_ENCODE,
                    "a result of type %s does not fit the Avro type %s",
                    kv_cel_type_name(v->kind), avro_schema_type_name(schema));
  avro_type_t type = avro_typeof(schema);
  if ((type == AVRO_ARRAY && node->type != KAVRO_ARRAY) ||
      (type == AVRO_MAP && node->type != KAVRO_MAP))
    return not_the_schema(o);
  kavro_err_t err;
  o->depth++;
  switch (type) {
  case AVRO_ARRAY: err = write_list(o, v, node->items, dst); break;
  case AVRO_MAP: err = write_map(o, v, node->items, dst); break;
  case AVRO_RECORD: err = write_record(o, v, node, dst); break;
  default: err = write_scalar(o, v, schema, dst); break;
  }
  o->depth--;
  return err;
}

kavro_err_t kv_cel_to_avro(kv_cel_scratch_t *s, const kv_cel_val_t *v,
                           avro_value_t *dst, kavro_error_t *error) {
  out_t o = {.s = s, .error = error};
  return write_value(&o, v, NULL, dst);
}

kavro_err_t kv_cel_to_message(kv_cel_scratch_t *s, const kv_cel_val_t *v,
                              const kv_node_t *node, avro_value_t *dst,
                              kavro_error_t *error) {
  out_t o = {.s = s, .error = error};
  return write_value(&o, v, node, dst);
}

/* ---- defaults --------------------------------------------------------- */

/* The bytes a bytes or fixed default's string stands for (Avro: each code
 * point 0 to 255 one byte), in the scratch; *@n their count. */
static const char *default_bytes(out_t *o, const json_t *json, size_t *n) {
  const unsigned char *p = (const unsigned char *)json_string_value(json);
  size_t length = json_string_length(json);
  char *bytes = kv_cel_alloc(o->s, length + 1);
  if (!p || !bytes)
    return NULL;
  *n = 0;
  for (size_t i = 0; i < length; i++) {
    if (p[i] < 0x80) {
      bytes[(*n)++] = (char)p[i];
    } else if ((p[i] == 0xC2 || p[i] == 0xC3) && i + 1 < length) {
      bytes[(*n)++] = (char)(((p[i] & 0x1F) << 6) | (p[i + 1] & 0x3F));
      i++;
    } else {
      return NULL;
    }
  }
  return bytes;
}

static kavro_err_t default_items(out_t *o, const json_t *json,
                                 const kv_node_t *node, avro_value_t *dst) {
  avro_value_t child;
  if (node->type == KAVRO_ARRAY) {
    size_t i;
    const json_t *item;
    json_array_foreach(json, i, item) {
      kavro_err_t err = out_avro(o, avro_value_append(dst, &child, NULL));
      if (err == KAVRO_OK)
        err = write_default(o, item, node->items, &child);
      if (err != KAVRO_OK)
        return err;
    }
    return KAVRO_OK;
  }
  const char *key;
  json_t *item;
  json_object_foreach((json_t *)json, key, item) {
    kavro_err_t err = out_avro(o, avro_value_add(dst, key, &child, NULL, NULL));
    if (err == KAVRO_OK)
      err = write_default(o, item, node->items, &child);
    if (err != KAVRO_OK)
      return err;
  }
  return KAVRO_OK;
}

static kavro_err_t default_record(out_t *o, const json_t *json,
                                  const kv_node_t *node, avro_value_t *dst) {
  for (size_t i = 0; i < node->field_count; i++) {
    const kv_field_t *f = &node->fields[i];
    const json_t *value = json_object_get(json, f->name);
    if (!value)
      value = f->default_value;
    avro_value_t child;
    kavro_err_t err =
        value ? out_avro(o, avro_value_get_by_index(dst, i, &child, NULL))
              : out_fail(o, KAVRO_ERR_ENCODE,
                         "the default lacks field \"%.100s\"", f->name);
    if (err == KAVRO_OK)
      err = write_default(o, value, f->type, &child);
    if (err != KAVRO_OK)
      return err;
  }
  return KAVRO_OK;
}

/* Default @json (validated against @node when the schema was parsed) into
 * @dst, as Avro reads a default: a union's is its first branch's. */
static kavro_err_t write_default(out_t *o, const json_t *json,
                                 const kv_node_t *node, avro_value_t *dst) {
  if (o->depth >= WRITE_MAX_DEPTH)
    return out_fail(o, KAVRO_ERR_LIMIT, "the default nests deeper than %u",
                    WRITE_MAX_DEPTH);
  const char *bytes;
  size_t n = 0;
  avro_value_t branch;
  kavro_err_t err = KAVRO_OK;
  o->depth++;
  switch (node->type) {
  case KAVRO_NULL: err = out_avro(o, avro_value_set_null(dst)); break;
  case KAVRO_BOOLEAN:
    err = out_avro(o, avro_value_set_boolean(dst, json_is_true(json)));
    break;
  case KAVRO_INT:
    err =
        out_avro(o, avro_value_set_int(dst, (int32_t)json_integer_value(json)));
    break;
  case KAVRO_LONG:
    err = out_avro(o, avro_value_set_long(dst, json_integer_value(json)));
    break;
  case KAVRO_FLOAT:
    err =
        out_avro(o, avro_value_set_float(dst, (float)json_number_value(json)));
    break;
  case KAVRO_DOUBLE:
    err = out_avro(o, avro_value_set_double(dst, json_number_value(json)));
    break;
  case KAVRO_STRING:
    err = out_avro(o, avro_value_set_string_len(dst, json_string_value(json),
                                                json_string_length(json) + 1));
    break;
  case KAVRO_BYTES:
  case KAVRO_FIXED:
    if (!(bytes = default_bytes(o, json, &n)))
      err =
          out_fail(o, KAVRO_ERR_ENCODE, "a bytes default that cannot be read");
    else if (node->type == KAVRO_BYTES)
      err = out_avro(o, avro_value_set_bytes(dst, (void *)bytes, n));
    else
      err = out_avro(o, avro_value_set_fixed(dst, (void *)bytes, n));
    break;
  case KAVRO_ENUM:
    err = out_avro(
        o, avro_value_set_enum(dst, avro_schema_enum_get_by_name(
                                        unlinked(avro_value_get_schema(dst)),
                                        json_string_value(json))));
    break;
  case KAVRO_ARRAY:
  case KAVRO_MAP: err = default_items(o, json, node, dst); break;
  case KAVRO_RECORD: err = default_record(o, json, node, dst); break;
  case KAVRO_UNION:
    err = node->branch_count == 0
              ? not_the_schema(o)
              : out_avro(o, avro_value_set_branch(dst, 0, &branch));
    if (err == KAVRO_OK)
      err = write_default(o, json, node->branches[0], &branch);
    break;
  }
  o->depth--;
  return err;
}
