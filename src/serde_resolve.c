/*
 * kavro - schema resolution (Avro 1.11, "Schema Resolution"): building the
 * plan that reads a writer's data into a reader's value, and running it.
 *
 * Choices where the specification leaves room, each the answer that keeps
 * kavro's decoder in line with its compatibility checker:
 *  - named types match on their unqualified names, and a reader alias
 *    matches the writer's name the same way;
 *  - a writer union branch with no match in the reader is not refused when
 *    the plan is built, only when a datum uses it ("if they do not match,
 *    an error is signalled" is per datum); a writer union none of whose
 *    branches can be read is refused at once;
 *  - a reader union takes the first branch of the writer's own type, and
 *    only when there is none the first one the writer's type promotes to;
 *  - bytes read as a string become UTF-8, each byte that cannot be read as
 *    UTF-8 turning into U+FFFD, as Java does;
 *  - an enum symbol the reader lacks becomes the reader enum's default
 *    (1.9 and later), and is an error for the datum when there is none;
 *  - a default a lenient parse kept though it does not fit its type is
 *    never used: a plan that needs a field's default refuses to build, an
 *    enum symbol that needs the enum's default fails its datum.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common_error_int.h"
#include "serde_resolve_int.h"

/* ---- building ----------------------------------------------------------------- */

typedef struct builder_s {
  kavro_resolution_t *res;
  kavro_error_t *error;
  char path[KAVRO_ERROR_PATH_LENGTH];   /* JSON pointer into the reader */
  size_t path_length;
} builder_t;

static const kv_plan_t *build(builder_t *b, const kv_node_t *w,
                              const kv_node_t *r);

static size_t path_push(builder_t *b, const char *fmt, size_t index) {
  size_t mark = b->path_length;
  int n = snprintf(b->path + mark, sizeof(b->path) - mark, fmt, index);
  if (n > 0)
    b->path_length = mark + (size_t)n < sizeof(b->path) ? mark + (size_t)n
                                                        : sizeof(b->path) - 1;
  return mark;
}

static void path_pop(builder_t *b, size_t mark) {
  b->path_length = mark;
  b->path[mark] = '\0';
}

static const char *type_label(const kv_node_t *n) {
  return kv_type_is_named(n->type) ? n->fullname : kavro_type_name(n->type);
}

static const kv_plan_t *incompatible(builder_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const kv_plan_t *incompatible(builder_t *b, const char *fmt, ...) {
  char text[KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  kv_error_set(b->error, KAVRO_ERR_INCOMPATIBLE, "%s", text);
  kv_error_set_path(b->error, b->path_length ? b->path : "/");
  return NULL;
}

static const kv_plan_t *out_of_memory(builder_t *b) {
  kv_error_set(b->error, KAVRO_ERR_NOMEM, "out of memory building a resolution");
  return NULL;
}

static kv_plan_t *new_plan(builder_t *b, kv_op_t op, const kv_node_t *w,
                           const kv_node_t *r) {
  kavro_resolution_t *res = b->res;
  if (res->plan_count == res->plan_capacity) {
    size_t cap = res->plan_capacity ? res->plan_capacity * 2 : 16;
    kv_plan_t **p = realloc(res->plans, cap * sizeof(*p));
    if (!p)
      return NULL;
    res->plans = p;
    res->plan_capacity = cap;
  }
  kv_plan_t *plan = calloc(1, sizeof(*plan));
  if (!plan)
    return NULL;
  plan->op = op;
  plan->writer = w;
  plan->reader = r;
  res->plans[res->plan_count++] = plan;
  return plan;
}

/* The plan already made for (w, r): a recursive schema meets its pair
 * again while the plan is still being built, and links to it. */
static kv_plan_t *find_plan(builder_t *b, const kv_node_t *w,
                            const kv_node_t *r) {
  for (size_t i = 0; i < b->res->plan_count; i++) {
    kv_plan_t *p = b->res->plans[i];
    if (p->writer == w && p->reader == r)
      return p;
  }
  return NULL;
}

static const char *unqualified(const char *fullname) {
  const char *dot = strrchr(fullname, '.');
  return dot ? dot + 1 : fullname;
}

static bool names_match(const kv_node_t *w, const kv_node_t *r) {
  if (strcmp(w->name, r->name) == 0)
    return true;
  for (size_t i = 0; i < r->alias_count; i++)
    if (strcmp(unqualified(r->aliases[i]), w->name) == 0)
      return true;
  return false;
}

/* Same type, and for a named type the same name (and size for a fixed). */
static bool same_kind(const kv_node_t *w, const kv_node_t *r) {
  if (w->type != r->type)
    return false;
  if (!kv_type_is_named(w->type))
    return true;
  return names_match(w, r) && (w->type != KAVRO_FIXED || w->size == r->size);
}

static bool promotes(kavro_type_t w, kavro_type_t r) {
  switch (w) {
  case KAVRO_INT:
    return r == KAVRO_LONG || r == KAVRO_FLOAT || r == KAVRO_DOUBLE;
  case KAVRO_LONG:
    return r == KAVRO_FLOAT || r == KAVRO_DOUBLE;
  case KAVRO_FLOAT:
    return r == KAVRO_DOUBLE;
  case KAVRO_STRING:
    return r == KAVRO_BYTES;
  case KAVRO_BYTES:
    return r == KAVRO_STRING;
  default:
    return false;
  }
}

/* The reader union branch for a writer of type @w, or -1. */
static long pick_branch(const kv_node_t *w, const kv_node_t *u) {
  for (size_t i = 0; i < u->branch_count; i++)
    if (same_kind(w, u->branches[i]))
      return (long)i;
  for (size_t i = 0; i < u->branch_count; i++)
    if (promotes(w->type, u->branches[i]->type))
      return (long)i;
  return -1;
}

/* Does each of the writer union's branches read as the reader union's
 * branch of the same index, directly?  Then the writer's union decodes as
 * it is: its bytes are the reader's. */
static bool union_is_direct(const kv_plan_t *plan) {
  const kv_node_t *w = plan->writer, *r = plan->reader;
  if (r->type != KAVRO_UNION || r->branch_count != w->branch_count)
    return false;
  for (size_t i = 0; i < w->branch_count; i++) {
    const kv_plan_t *branch = plan->branches[i];
    if (!branch || branch->op != KV_OP_READER_UNION ||
        branch->reader_branch != i || branch->inner->op != KV_OP_DIRECT)
      return false;
  }
  return true;
}

static const kv_plan_t *build_writer_union(builder_t *b, const kv_node_t *w,
                                           const kv_node_t *r) {
  kv_plan_t *plan = new_plan(b, KV_OP_WRITER_UNION, w, r);
  if (!plan || !(plan->branches = calloc(w->branch_count ? w->branch_count : 1,
                                         sizeof(*plan->branches))))
    return out_of_memory(b);
  /* Branches that cannot be read fail per datum; keep the first reason in
   * case none can be read. */
  kavro_error_t *caller = b->error, first, attempt;
  size_t usable = 0, failures = 0;
  b->error = &attempt;
  for (size_t i = 0; i < w->branch_count; i++) {
    kv_error_clear(&attempt);
    if ((plan->branches[i] = build(b, w->branches[i], r))) {
      usable++;
    } else if (attempt.code == KAVRO_ERR_NOMEM) {
      b->error = caller;
      return out_of_memory(b);
    } else if (failures++ == 0) {
      first = attempt;
    }
  }
  b->error = caller;
  if (usable > 0 && union_is_direct(plan))
    plan->op = KV_OP_DIRECT;
  if (usable > 0)
    return plan;
  plan->failed = true;
  if (failures == 0)
    return incompatible(b, "the writer's union has no branches");
  *caller = first;
  return NULL;
}

static const kv_plan_t *build_reader_union(builder_t *b, const kv_node_t *w,
                                           const kv_node_t *r) {
  long i = pick_branch(w, r);
  if (i < 0)
    return incompatible(b, "no branch of the reader's union can hold the "
                           "writer's %s", type_label(w));
  kv_plan_t *plan = new_plan(b, KV_OP_READER_UNION, w, r);
  if (!plan)
    return out_of_memory(b);
  size_t mark = path_push(b, "/%zu", (size_t)i);
  plan->reader_branch = (size_t)i;
  plan->inner = build(b, w, r->branches[i]);
  path_pop(b, mark);
  return plan->inner ? plan : (plan->failed = true, NULL);
}

/* The writer field a reader field reads: by name, else by one of the
 * reader field's aliases; a writer field already taken is not taken
 * twice. */
static const kv_field_t *match_field(const kv_node_t *w, const kv_field_t *rf,
                                     const bool *taken) {
  const kv_field_t *wf = kv_record_field(w, rf->name);
  if (wf && !taken[wf->index])
    return wf;
  for (size_t i = 0; i < rf->alias_count; i++) {
    wf = kv_record_field(w, rf->aliases[i]);
    if (wf && !taken[wf->index])
      return wf;
  }
  return NULL;
}

static bool add_fill(builder_t *b, kv_plan_t *plan, const kv_field_t *rf) {
  kavro_buf_t bytes = {NULL, 0, 0, KAVRO_BUF_DEFAULT_MAX_SIZE, false};
  kv_fill_t *fill = &plan->fills[plan->fill_count];
  size_t mark = path_push(b, "/fields/%zu", rf->index);
  bool ok = false;
  if (!rf->default_value)
    incompatible(b, "reader field \"%s\" is not in the writer's record and "
                    "has no default", rf->name);
  else if (rf->default_defect) {
    /* Kept by a lenient parse, never used: a made-up value would be
     * silent data corruption. */
    kv_error_set(b->error, KAVRO_ERR_SCHEMA_INVALID,
                 "reader field \"%s\" is not in the writer's record and its "
                 "default cannot be used: %s", rf->name, rf->default_defect);
    kv_error_set_path(b->error, b->path);
  } else if (kv_json_encode(rf->type, rf->default_value, KV_JSON_DEFAULT, &bytes,
                          b->error) == KAVRO_OK)
    ok = true;
  else if (b->error->code != KAVRO_ERR_NOMEM) {
    /* The parser has checked every default: this is the model and the
     * default encoder disagreeing, reported against the schema. */
    kv_error_set(b->error, KAVRO_ERR_SCHEMA_INVALID,
                 "the default of reader field \"%s\" does not fit its type",
                 rf->name);
    kv_error_set_path(b->error, b->path);
  }
  path_pop(b, mark);
  if (!ok) {
    free(bytes.data);
    return false;
  }
  fill->reader_index = rf->index;
  fill->reader_type = rf->type;
  fill->bytes = bytes.data;
  fill->length = bytes.length;
  plan->fill_count++;
  return true;
}

/* Every step reads its own field in place and nothing is filled: the
 * writer's record decodes directly. */
static bool record_is_direct(const kv_plan_t *plan) {
  if (plan->fill_count || plan->step_count != plan->reader->field_count)
    return false;
  for (size_t i = 0; i < plan->step_count; i++) {
    const kv_step_t *s = &plan->steps[i];
    if (!s->plan || s->plan->op != KV_OP_DIRECT || s->reader_index != i)
      return false;
  }
  return true;
}

static bool build_steps(builder_t *b, kv_plan_t *plan, const kv_node_t *w,
                        const kv_node_t *r, bool *taken) {
  for (size_t j = 0; j < r->field_count; j++) {
    const kv_field_t *rf = &r->fields[j];
    const kv_field_t *wf = match_field(w, rf, taken);
    if (!wf) {
      if (!add_fill(b, plan, rf))
        return false;
      continue;
    }
    taken[wf->index] = true;
    kv_step_t *step = &plan->steps[wf->index];
    size_t mark = path_push(b, "/fields/%zu/type", j);
    step->plan = build(b, wf->type, rf->type);
    path_pop(b, mark);
    if (!step->plan)
      return false;
    step->reader_index = j;
  }
  return true;
}

static const kv_plan_t *build_record(builder_t *b, const kv_node_t *w,
                                     const kv_node_t *r) {
  kv_plan_t *plan = new_plan(b, KV_OP_RECORD, w, r);
  bool *taken = calloc(w->field_count + 1, sizeof(*taken));
  if (!plan || !taken ||
      !(plan->steps = calloc(w->field_count + 1, sizeof(*plan->steps))) ||
      !(plan->fills = calloc(r->field_count + 1, sizeof(*plan->fills)))) {
    free(taken);
    return out_of_memory(b);
  }
  plan->step_count = w->field_count;
  for (size_t i = 0; i < w->field_count; i++)
    plan->steps[i].writer_type = w->fields[i].type;
  bool ok = build_steps(b, plan, w, r, taken);
  free(taken);
  if (!ok) {
    plan->failed = true;
    return NULL;
  }
  if (record_is_direct(plan))
    plan->op = KV_OP_DIRECT;
  return plan;
}

static const kv_plan_t *build_enum(builder_t *b, const kv_node_t *w,
                                   const kv_node_t *r) {
  bool identical = w->symbol_count == r->symbol_count;
  for (size_t i = 0; identical && i < w->symbol_count; i++)
    identical = strcmp(w->symbols[i], r->symbols[i]) == 0;
  kv_plan_t *plan = new_plan(b, identical ? KV_OP_DIRECT : KV_OP_ENUM, w, r);
  if (!plan)
    return out_of_memory(b);
  if (identical)
    return plan;
  if (!(plan->symbol_map = malloc((w->symbol_count + 1) * sizeof(long))))
    return out_of_memory(b);
  /* One index probe per writer symbol: linear in the symbols. */
  for (size_t i = 0; i < w->symbol_count; i++) {
    long j = kv_enum_symbol(r, w->symbols[i]);
    plan->symbol_map[i] = j >= 0 ? j : r->enum_default;
  }
  return plan;
}

static const kv_plan_t *build_collection(builder_t *b, const kv_node_t *w,
                                         const kv_node_t *r) {
  kv_plan_t *plan = new_plan(b, KV_OP_COLLECTION, w, r);
  if (!plan)
    return out_of_memory(b);
  size_t mark = path_push(b, r->type == KAVRO_ARRAY ? "/items" : "/values", 0);
  plan->items = build(b, w->items, r->items);
  path_pop(b, mark);
  if (!plan->items) {
    plan->failed = true;
    return NULL;
  }
  if (plan->items->op == KV_OP_DIRECT)
    plan->op = KV_OP_DIRECT;
  return plan;
}

static const kv_plan_t *build_matched(builder_t *b, const kv_node_t *w,
                                      const kv_node_t *r) {
  switch (r->type) {
  case KAVRO_RECORD:
    return build_record(b, w, r);
  case KAVRO_ENUM:
    return build_enum(b, w, r);
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    return build_collection(b, w, r);
  default: {
    kv_plan_t *plan = new_plan(b, KV_OP_DIRECT, w, r);
    return plan ? plan : out_of_memory(b);
  }
  }
}

static const kv_plan_t *build(builder_t *b, const kv_node_t *w,
                              const kv_node_t *r) {
  kv_plan_t *known = find_plan(b, w, r);
  if (known) {
    if (!known->failed)
      return known;
    return incompatible(b, "the writer's %s cannot be read as the reader's %s",
                        type_label(w), type_label(r));
  }
  if (w == r) {
    kv_plan_t *plan = new_plan(b, KV_OP_DIRECT, w, r);
    return plan ? plan : out_of_memory(b);
  }
  if (w->type == KAVRO_UNION)
    return build_writer_union(b, w, r);
  if (r->type == KAVRO_UNION)
    return build_reader_union(b, w, r);
  if (same_kind(w, r))
    return build_matched(b, w, r);
  if (promotes(w->type, r->type)) {
    kv_plan_t *plan = new_plan(b, KV_OP_PROMOTE, w, r);
    return plan ? plan : out_of_memory(b);
  }
  if (w->type == r->type)
    return incompatible(b, w->type == KAVRO_FIXED && names_match(w, r)
                               ? "the writer's fixed %s and the reader's %s "
                                 "differ in size"
                               : "the writer's %s and the reader's %s have "
                                 "different names",
                        type_label(w), type_label(r));
  return incompatible(b, "the writer's %s cannot be read as the reader's %s",
                      type_label(w), type_label(r));
}

void kavro_resolution_destroy(kavro_resolution_t *res) {
  if (!res)
    return;
  for (size_t i = 0; i < res->plan_count; i++) {
    kv_plan_t *p = res->plans[i];
    for (size_t j = 0; j < p->fill_count; j++)
      free(p->fills[j].bytes);
    free(p->fills);
    free(p->steps);
    free(p->symbol_map);
    free(p->branches);
    free(p);
  }
  free(res->plans);
  kavro_schema_destroy(res->writer);
  kavro_schema_destroy(res->reader);
  free(res);
}

kavro_err_t kavro_resolution_new(kavro_schema_t *writer, kavro_schema_t *reader,
                                 kavro_resolution_t **out,
                                 kavro_error_t *error) {
  kv_error_clear(error);
  if (out)
    *out = NULL;
  if (!writer || !reader || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "writer, reader and out are required");
  kavro_resolution_t *res = calloc(1, sizeof(*res));
  if (!res)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  res->writer = kavro_schema_dup(writer);
  res->reader = kavro_schema_dup(reader);
  kavro_error_t local;
  kv_error_clear(&local);
  builder_t b = {res, error ? error : &local, "", 0};
  res->root = build(&b, writer->root, reader->root);
  if (!res->root) {
    kavro_err_t code = b.error->code;
    kavro_resolution_destroy(res);
    return code;
  }
  *out = res;
  return KAVRO_OK;
}

/* ---- running ------------------------------------------------------------------ */

static kavro_err_t set_status(kv_reader_t *r, int rc, const char *what) {
  return kv_value_status(r->c.error, rc, what);
}

static kavro_err_t set_double(kv_reader_t *r, avro_value_t *v, double d,
                              kavro_type_t type) {
  int rc = type == KAVRO_FLOAT ? avro_value_set_float(v, (float)d)
                               : avro_value_set_double(v, d);
  return set_status(r, rc, "a promoted number");
}

/* Copy @n bytes into the scratch as UTF-8, NUL-terminated, each byte that
 * does not start a valid sequence replaced by U+FFFD. */
static kavro_err_t stage_utf8(kv_reader_t *r, const unsigned char *s, size_t n,
                              const char **out, size_t *out_length) {
  kavro_buf_t *sc = &r->decoder->scratch;
  sc->length = 0;
  /* At most three bytes out per byte in, plus the NUL. */
  if (n > (SIZE_MAX - 1) / 3 || kv_buf_reserve(sc, 3 * n + 1) != KAVRO_OK)
    return kv_error_set(r->c.error, KAVRO_ERR_NOMEM, "out of memory staging a string");
  for (size_t i = 0; i < n;) {
    size_t len = kv_utf8_sequence(s + i, n - i);
    if (len) {
      kv_put_bytes(sc, s + i, len);
      i += len;
    } else {
      kv_put_bytes(sc, "\xef\xbf\xbd", 3);
      i++;
    }
  }
  sc->data[sc->length] = '\0';
  *out = (const char *)sc->data;
  *out_length = sc->length;
  return KAVRO_OK;
}

static kavro_err_t run_promote(kv_reader_t *r, const kv_plan_t *plan,
                               avro_value_t *v) {
  kavro_type_t to = plan->reader->type;
  kavro_err_t err;
  const unsigned char *data = NULL;
  size_t length = 0;
  switch (plan->writer->type) {
  case KAVRO_INT: {
    int32_t i = 0;
    if ((err = kavro_cursor_int(&r->c, &i)))
      return err;
    return to == KAVRO_LONG ? set_status(r, avro_value_set_long(v, i), "a long")
                            : set_double(r, v, (double)i, to);
  }
  case KAVRO_LONG: {
    int64_t l = 0;
    if ((err = kavro_cursor_long(&r->c, &l)))
      return err;
    /* Straight to float, not through double: one rounding, as Java. */
    return to == KAVRO_FLOAT ? set_status(r, avro_value_set_float(v, (float)l), "a float")
                             : set_double(r, v, (double)l, to);
  }
  case KAVRO_FLOAT: {
    float f = 0;
    return (err = kavro_cursor_float(&r->c, &f)) ? err : set_double(r, v, f, to);
  }
  case KAVRO_STRING:
    if ((err = kavro_cursor_run(&r->c, &data, &length)))
      return err;
    return set_status(r, avro_value_set_bytes(v, (void *)data, length), "bytes");
  default: { /* bytes to string */
    const char *s;
    if ((err = kavro_cursor_run(&r->c, &data, &length)) ||
        (err = stage_utf8(r, data, length, &s, &length)))
      return err;
    return set_status(r, avro_value_set_string_len(v, s, length + 1), "a string");
  }
  }
}

static kavro_err_t run_fill(kv_reader_t *r, const kv_fill_t *fill,
                            avro_value_t *field) {
  kv_reader_t fr;
  kv_reader_init(&fr, r->decoder, fill->bytes, fill->length, r->c.error);
  fr.c.depth = r->c.depth;
  return kv_decode_node(&fr, fill->reader_type, field);
}

static kavro_err_t run_record(kv_reader_t *r, const kv_plan_t *plan,
                              avro_value_t *v) {
  kavro_err_t err = kv_check_record(plan->reader, v, r->c.error);
  avro_value_t field;
  for (size_t i = 0; i < plan->step_count && !err; i++) {
    const kv_step_t *s = &plan->steps[i];
    if (!s->plan) {
      err = kv_skip_node(r, s->writer_type);
      continue;
    }
    int rc = avro_value_get_by_index(v, s->reader_index, &field, NULL);
    err = rc ? set_status(r, rc, "a record field") : kv_plan_run(r, s->plan, &field);
  }
  for (size_t i = 0; i < plan->fill_count && !err; i++) {
    int rc = avro_value_get_by_index(v, plan->fills[i].reader_index, &field, NULL);
    err = rc ? set_status(r, rc, "a record field") : run_fill(r, &plan->fills[i], &field);
  }
  return err;
}

static kavro_err_t run_enum(kv_reader_t *r, const kv_plan_t *plan,
                            avro_value_t *v) {
  const kv_node_t *w = plan->writer;
  uint32_t i = 0;
  kavro_err_t err = kavro_cursor_symbol(&r->c, &i, (uint32_t)w->symbol_count,
                                        w->fullname);
  if (err)
    return err;
  long j = plan->symbol_map[i];
  if (j < 0)
    return kavro_cursor_fail(&r->c, "symbol %s is not in the reader's enum %s, "
                             "%s%s", w->symbols[i], plan->reader->fullname,
                             kv_enum_default_state(plan->reader),
                             kv_enum_default_defect(plan->reader));
  return set_status(r, avro_value_set_enum(v, (int)j), "an enum");
}

static kavro_err_t run_item(kv_reader_t *r, const void *plan, avro_value_t *v) {
  return kv_plan_run(r, plan, v);
}

static kavro_err_t run_writer_union(kv_reader_t *r, const kv_plan_t *plan,
                                    avro_value_t *v) {
  size_t d = 0;
  kavro_err_t err = kv_read_branch(r, plan->writer, &d);
  if (err)
    return err;
  if (!plan->branches[d])
    return kavro_cursor_fail(&r->c, "the writer's union branch %zu (%s) "
                             "cannot be read as the reader's %s", d,
                        type_label(plan->writer->branches[d]),
                        type_label(plan->reader));
  return kv_plan_run(r, plan->branches[d], v);
}

static kavro_err_t run_nested(kv_reader_t *r, const kv_plan_t *plan,
                              avro_value_t *v) {
  avro_value_t branch;
  int rc;
  switch (plan->op) {
  case KV_OP_RECORD:
    return run_record(r, plan, v);
  case KV_OP_COLLECTION:
    return kv_decode_collection(r, plan->writer, run_item, plan->items, v);
  case KV_OP_WRITER_UNION:
    return run_writer_union(r, plan, v);
  default: /* reader union */
    if ((rc = avro_value_set_branch(v, (int)plan->reader_branch, &branch)))
      return set_status(r, rc, "a union branch");
    return kv_plan_run(r, plan->inner, &branch);
  }
}

kavro_err_t kv_plan_run(kv_reader_t *r, const kv_plan_t *plan,
                        avro_value_t *value) {
  switch (plan->op) {
  case KV_OP_DIRECT:
    return kv_decode_node(r, plan->writer, value);
  case KV_OP_PROMOTE:
    return run_promote(r, plan, value);
  case KV_OP_ENUM:
    return run_enum(r, plan, value);
  default: {
    kavro_err_t err = kavro_cursor_enter(&r->c);
    if (err)
      return err;
    err = run_nested(r, plan, value);
    kavro_cursor_leave(&r->c);
    return err;
  }
  }
}

static kavro_err_t resolved_pass(kv_reader_t *r, const void *plan,
                                 avro_value_t *value) {
  return kv_plan_run(r, plan, value);
}

kavro_err_t kavro_decode_resolved(kavro_decoder_t *decoder,
                                  const kavro_resolution_t *resolution,
                                  const void *data, size_t size,
                                  struct avro_value *value, size_t *consumed,
                                  kavro_error_t *error) {
  kv_error_clear(error);
  if (!resolution)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "resolution is required");
  return kv_decode_pass(decoder, resolved_pass, resolution->root, data, size,
                        value, consumed, error);
}
