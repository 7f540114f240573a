/*
 * kavro gen - the code for one value: encode, decode, equality, JSON, and
 * the partition key.  Each emitter writes straight-line C for a C lvalue
 * of the value's type, descending into arrays, maps and unions in place
 * and calling the function of a record; temporaries carry the nesting
 * depth in their names, so nested loops never shadow one another.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "gen_util.h"

static void line(FILE *out, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void line(FILE *out, int level, const char *fmt, ...) {
  va_list ap;
  gen_indent(out, level);
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  fputc('\n', out);
}

static char *upper_name(const gen_type_t *t) { return gen_upper(t->cname); }

/* The number of symbols of enum @t, as the header defines it. */
static char *symbol_count(const gen_type_t *t) {
  char *upper = upper_name(t);
  char *s = gen_strf("%s_SYMBOL_COUNT", upper);
  free(upper);
  return s;
}

static size_t fixed_size(const gen_type_t *t) { return t->size; }

/* The type of field @f's values: the other branch of a null union (then
 * *@nullable), else the field's type. */
static const gen_type_t *field_value_type(const gen_field_t *f,
                                          bool *nullable) {
  size_t vb;
  *nullable = gen_is_nullable(f->type, &vb);
  return *nullable ? f->type->branches[vb] : f->type;
}

/* ---- encode ---------------------------------------------------------------- */

static bool flat_items(const gen_type_t *t, size_t *max, size_t *runs,
                       size_t *symbols);
static void emit_fields_read(FILE *out, const gen_type_t *r, const char *self,
                             int depth, int level);
static bool is_run(const gen_type_t *t);
static void write_flat_collection(FILE *out, const gen_type_t *t,
                                  const char *e, int depth, int level,
                                  size_t max, size_t runs, bool room_loop);

static void write_collection(FILE *out, const gen_type_t *t, const char *e,
                             int depth, int level) {
  bool map = t->type == KAVRO_MAP;
  const char *member = map ? "entries" : "items";
  line(out, level, "if (%s.count) {", e);
  line(out, level + 1, "if (!%s.%s)", e, member);
  line(out, level + 2,
       "return kavro_writer_fail(w, \"%s has a count but no %s\");", t->cname,
       member);
  line(out, level + 1, "KAVRO_TRY(kavro_w_count(w, %s.count));", e);
  line(out, level + 1, "for (size_t i%d = 0; i%d < %s.count; i%d++) {", depth,
       depth, e, depth);
  char *item = gen_strf("%s.%s[i%d]", e, member, depth);
  if (map) {
    line(out, level + 2, "KAVRO_TRY(kavro_w_string(w, %s.key));", item);
    char *value = gen_strf("%s.value", item);
    gen_emit_write(out, t->items, value, depth + 1, level + 2);
    free(value);
  } else {
    gen_emit_write(out, t->items, item, depth + 1, level + 2);
  }
  free(item);
  line(out, level + 1, "}");
  line(out, level, "}");
  line(out, level, "KAVRO_TRY(kavro_w_long(w, 0));");
}

/* A record behind a pointer (a union branch, a nullable field). */
static void write_record_pointer(FILE *out, const gen_type_t *r, const char *p,
                                 int level) {
  line(out, level, "if (!%s)", p);
  line(out, level + 1,
       "return kavro_writer_fail(w, \"a %s branch is selected but NULL\");",
       r->cname);
  line(out, level, "KAVRO_TRY(%s_write(w, %s));", r->cname, p);
}

static void write_union(FILE *out, const gen_type_t *t, const char *e,
                        int depth, int level) {
  line(out, level, "switch (%s.branch) {", e);
  for (size_t i = 0; i < t->branch_count; i++) {
    char tag[256], member[256];
    gen_branch_tag(t, i, tag, sizeof(tag));
    gen_branch_member(t, i, member, sizeof(member));
    const gen_type_t *b = t->branches[i];
    line(out, level, "case %s:", tag);
    line(out, level + 1, "KAVRO_TRY(kavro_w_long(w, %zu));", i);
    char *value = gen_strf("%s.u.%s", e, member);
    if (b->type == KAVRO_RECORD)
      write_record_pointer(out, b, value, level + 1);
    else
      gen_emit_write(out, b, value, depth + 1, level + 1);
    free(value);
    line(out, level + 1, "break;");
  }
  line(out, level, "default:");
  line(out, level + 1,
       "return kavro_writer_fail(w, \"%s has no valid branch selected\");",
       t->cname);
  line(out, level, "}");
}

void gen_emit_write(FILE *out, const gen_type_t *t, const char *e, int depth,
                    int level) {
  static const char *const scalar[] = {
      [KAVRO_BOOLEAN] = "bool", [KAVRO_INT] = "int", [KAVRO_LONG] = "long",
      [KAVRO_FLOAT] = "float", [KAVRO_DOUBLE] = "double",
      [KAVRO_STRING] = "string"};
  switch (t->type) {
  case KAVRO_NULL:
    return;   /* null takes no bytes */
  case KAVRO_BOOLEAN:
  case KAVRO_INT:
  case KAVRO_LONG:
  case KAVRO_FLOAT:
  case KAVRO_DOUBLE:
  case KAVRO_STRING:
    line(out, level, "KAVRO_TRY(kavro_w_%s(w, %s));", scalar[t->type], e);
    return;
  case KAVRO_BYTES:
    if (t->decimal)
      line(out, level, "KAVRO_TRY(kavro_w_decimal(w, %s, %d));", e, t->scale);
    else
      line(out, level, "KAVRO_TRY(kavro_w_bytes(w, %s));", e);
    return;
  case KAVRO_FIXED:
    line(out, level, "KAVRO_TRY(kavro_w_raw(w, %s.bytes, %zu));", e,
         fixed_size(t));
    return;
  case KAVRO_ENUM: {
    char *count = symbol_count(t);
    line(out, level, "if ((uint32_t)%s >= %s)", e, count);
    line(out, level + 1,
         "return kavro_writer_fail(w, \"%s has no such symbol\");", t->cname);
    line(out, level, "KAVRO_TRY(kavro_w_int(w, (int32_t)%s));", e);
    free(count);
    return;
  }
  case KAVRO_RECORD:
    line(out, level, "KAVRO_TRY(%s_write(w, &%s));", t->cname, e);
    return;
  case KAVRO_ARRAY:
  case KAVRO_MAP: {
    size_t max, runs, symbols;
    if (flat_items(t, &max, &runs, &symbols))
      write_flat_collection(out, t, e, depth, level, max, runs,
                            runs || symbols);
    else
      write_collection(out, t, e, depth, level);
    return;
  }
  case KAVRO_UNION:
    write_union(out, t, e, depth, level);
    return;
  }
}

/* A record field: a nullable union is a presence flag or a pointer. */
static void emit_field_write(FILE *out, const gen_field_t *f, int level) {
  size_t vb;
  char *e = gen_strf("v->%s", f->cname);
  if (!gen_is_nullable(f->type, &vb)) {
    gen_emit_write(out, f->type, e, 1, level);
    free(e);
    return;
  }
  const gen_type_t *value = f->type->branches[vb];
  if (value->type == KAVRO_RECORD)
    line(out, level, "if (%s) {", e);
  else
    line(out, level, "if (v->has_%s) {", f->cname);
  line(out, level + 1, "KAVRO_TRY(kavro_w_long(w, %zu));", vb);
  if (value->type == KAVRO_RECORD)
    line(out, level + 1, "KAVRO_TRY(%s_write(w, %s));", value->cname, e);
  else
    gen_emit_write(out, value, e, 1, level + 1);
  line(out, level, "} else {");
  line(out, level + 1, "KAVRO_TRY(kavro_w_long(w, %zu));", 1 - vb);
  line(out, level, "}");
  free(e);
}

/* ---- decode ---------------------------------------------------------------- */

static void read_collection(FILE *out, const gen_type_t *t, const char *e,
                            int depth, int level) {
  bool map = t->type == KAVRO_MAP;
  const char *member = map ? "entries" : "items";
  bool empty = !map && gen_may_be_empty(t->items);
  size_t max, runs, symbols;
  bool inline_items = !map && t->items->type == KAVRO_RECORD &&
                      flat_items(t, &max, &runs, &symbols);
  line(out, level, "KAVRO_TRY(kavro_r_enter(r));");
  line(out, level, "size_t seen%d = 0;", depth);
  line(out, level, "for (;;) {");
  line(out, level + 1, "size_t n%d = 0;", depth);
  line(out, level + 1, "KAVRO_TRY(kavro_r_block(r, &seen%d, &n%d, %s));",
       depth, depth, empty ? "true" : "false");
  line(out, level + 1, "if (n%d == 0)", depth);
  line(out, level + 2, "break;");
  line(out, level + 1, "void *p%d = %s.%s;", depth, e, member);
  line(out, level + 1,
       "KAVRO_TRY(kavro_r_items(r, &p%d, %s.count, n%d, sizeof(*%s.%s)));",
       depth, e, depth, e, member);
  line(out, level + 1, "%s.%s = p%d;", e, member, depth);
  /* Records of bounded fields are read in the loop, entered once a block:
   * every item of a block is as deep, so the one test of the depth gives
   * the verdict each item's own would. */
  if (inline_items)
    line(out, level + 1, "KAVRO_TRY(kavro_r_enter(r));");
  line(out, level + 1, "for (size_t i%d = %s.count; i%d < %s.count + n%d; i%d++) {",
       depth, e, depth, e, depth, depth);
  char *item = gen_strf("%s.%s[i%d]", e, member, depth);
  if (map) {
    line(out, level + 2, "KAVRO_TRY(kavro_r_string(r, &%s.key));", item);
    char *value = gen_strf("%s.value", item);
    gen_emit_read(out, t->items, value, depth + 1, level + 2);
    free(value);
  } else if (inline_items) {
    char *self = gen_strf("%s.", item);
    emit_fields_read(out, t->items, self, depth + 1, level + 2);
    free(self);
  } else {
    gen_emit_read(out, t->items, item, depth + 1, level + 2);
  }
  free(item);
  line(out, level + 1, "}");
  if (inline_items)
    line(out, level + 1, "kavro_r_leave(r);");
  line(out, level + 1, "%s.count += n%d;", e, depth);
  line(out, level, "}");
  line(out, level, "kavro_r_leave(r);");
}

static void read_record_pointer(FILE *out, const gen_type_t *r, const char *p,
                                int depth, int level) {
  line(out, level, "void *p%d;", depth);
  line(out, level, "KAVRO_TRY(kavro_r_alloc(r, &p%d, sizeof(%s_t)));", depth,
       r->cname);
  line(out, level, "%s = p%d;", p, depth);
  line(out, level, "KAVRO_TRY(%s_read(r, %s));", r->cname, p);
}

static void read_union(FILE *out, const gen_type_t *t, const char *e, int depth,
                       int level) {
  line(out, level, "uint32_t b%d = 0;", depth);
  line(out, level, "KAVRO_TRY(kavro_r_enter(r));");
  line(out, level, "KAVRO_TRY(kavro_r_branch(r, &b%d, %zu));", depth,
       t->branch_count);
  line(out, level, "%s.branch = (%s_branch_t)b%d;", e, t->cname, depth);
  line(out, level, "switch (%s.branch) {", e);
  for (size_t i = 0; i < t->branch_count; i++) {
    char tag[256], member[256];
    gen_branch_tag(t, i, tag, sizeof(tag));
    gen_branch_member(t, i, member, sizeof(member));
    const gen_type_t *b = t->branches[i];
    line(out, level, "case %s: {", tag);
    char *value = gen_strf("%s.u.%s", e, member);
    if (b->type == KAVRO_RECORD)
      read_record_pointer(out, b, value, depth + 1, level + 1);
    else
      gen_emit_read(out, b, value, depth + 1, level + 1);
    free(value);
    line(out, level + 1, "break;");
    line(out, level, "}");
  }
  line(out, level, "}");
  line(out, level, "kavro_r_leave(r);");
}

void gen_emit_read(FILE *out, const gen_type_t *t, const char *e, int depth,
                   int level) {
  static const char *const scalar[] = {
      [KAVRO_BOOLEAN] = "bool", [KAVRO_INT] = "int", [KAVRO_LONG] = "long",
      [KAVRO_FLOAT] = "float", [KAVRO_DOUBLE] = "double",
      [KAVRO_STRING] = "string"};
  switch (t->type) {
  case KAVRO_NULL:
    return;
  case KAVRO_BOOLEAN:
  case KAVRO_INT:
  case KAVRO_LONG:
  case KAVRO_FLOAT:
  case KAVRO_DOUBLE:
  case KAVRO_STRING:
    line(out, level, "KAVRO_TRY(kavro_r_%s(r, &%s));", scalar[t->type], e);
    return;
  case KAVRO_BYTES:
    if (t->decimal)
      line(out, level, "KAVRO_TRY(kavro_r_decimal(r, &%s, %d));", e, t->scale);
    else
      line(out, level, "KAVRO_TRY(kavro_r_bytes(r, &%s));", e);
    return;
  case KAVRO_FIXED:
    line(out, level, "KAVRO_TRY(kavro_r_fixed(r, %s.bytes, %zu, \"%s\"));",
         e, fixed_size(t), t->fullname);
    return;
  case KAVRO_ENUM: {
    char *count = symbol_count(t);
    line(out, level, "{");
    line(out, level + 1, "uint32_t s%d = 0;", depth);
    line(out, level + 1, "KAVRO_TRY(kavro_r_symbol(r, &s%d, %s, \"%s\"));",
         depth, count, t->fullname);
    line(out, level + 1, "%s = (%s_t)s%d;", e, t->cname, depth);
    line(out, level, "}");
    free(count);
    return;
  }
  case KAVRO_RECORD:
    line(out, level, "KAVRO_TRY(%s_read(r, &%s));", t->cname, e);
    return;
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    line(out, level, "{");
    read_collection(out, t, e, depth, level + 1);
    line(out, level, "}");
    return;
  case KAVRO_UNION:
    line(out, level, "{");
    read_union(out, t, e, depth, level + 1);
    line(out, level, "}");
    return;
  }
}

/* Field @f of the record @self points into ("v->", or an item and a
 * dot); temporaries are numbered from @depth. */
static void emit_field_read(FILE *out, const gen_field_t *f, const char *self,
                            int depth, int level) {
  size_t vb;
  char *e = gen_strf("%s%s", self, f->cname);
  if (!gen_is_nullable(f->type, &vb)) {
    gen_emit_read(out, f->type, e, depth, level);
    free(e);
    return;
  }
  const gen_type_t *value = f->type->branches[vb];
  line(out, level, "{");
  line(out, level + 1, "uint32_t b%d = 0;", depth);
  line(out, level + 1, "KAVRO_TRY(kavro_r_enter(r));");
  line(out, level + 1, "KAVRO_TRY(kavro_r_branch(r, &b%d, 2));", depth);
  line(out, level + 1, "if (b%d == %zu) {", depth, vb);
  if (value->type == KAVRO_RECORD) {
    read_record_pointer(out, value, e, depth + 1, level + 2);
  } else {
    line(out, level + 2, "%shas_%s = true;", self, f->cname);
    gen_emit_read(out, value, e, depth + 1, level + 2);
  }
  line(out, level + 1, "}");
  line(out, level + 1, "kavro_r_leave(r);");
  line(out, level, "}");
  free(e);
}

/* ---- scans: runs of fields read in locals ---------------------------------
 * Consecutive fields of kinds a scan reads (kavro/typed_gen.h) are read
 * first with the position in a local; where the scan stops, the same
 * fields are read again with the reader's calls, which give the body its
 * verdict. */

/* The type a scan reads field @f as (the value of a null union, then
 * *@nullable), or NULL when a scan does not read it. */
static const gen_type_t *scanned_field(const gen_field_t *f, bool *nullable) {
  const gen_type_t *t = field_value_type(f, nullable);
  switch (t->type) {
  case KAVRO_RECORD:
  case KAVRO_ARRAY:
  case KAVRO_MAP:
  case KAVRO_UNION:
  case KAVRO_NULL:
    return NULL;
  default:
    return t;
  }
}

/* The scan of a value of @t (scanned_field()) into @e. */
static void scan_value(FILE *out, const gen_type_t *t, const char *e,
                       int depth, int level) {
  static const char *const kind[] = {
      [KAVRO_BOOLEAN] = "bool",   [KAVRO_INT] = "int",
      [KAVRO_LONG] = "long",      [KAVRO_FLOAT] = "float",
      [KAVRO_DOUBLE] = "double",  [KAVRO_BYTES] = "bytes",
      [KAVRO_STRING] = "string"};
  if (t->type == KAVRO_FIXED) {
    line(out, level,
         "scanned = scanned && kavro_scan_fixed(&scan, %s.bytes, %zu);", e,
         fixed_size(t));
    return;
  }
  if (t->decimal) {
    line(out, level,
         "scanned = scanned && kavro_scan_decimal(&scan, &%s, %d);", e,
         t->scale);
    return;
  }
  if (t->type != KAVRO_ENUM) {
    line(out, level, "scanned = scanned && kavro_scan_%s(&scan, &%s);",
         kind[t->type], e);
    return;
  }
  char *count = symbol_count(t);
  line(out, level, "uint32_t s%d = 0;", depth);
  line(out, level,
       "scanned = scanned && kavro_scan_index(&scan, &s%d, %s);", depth,
       count);
  line(out, level, "%s = (%s_t)s%d;", e, t->cname, depth);
  free(count);
}

/* The scan of field @f of @self. */
static void scan_field(FILE *out, const gen_field_t *f, const char *self,
                       int depth, int level) {
  bool nullable;
  const gen_type_t *t = scanned_field(f, &nullable);
  char *e = gen_strf("%s%s", self, f->cname);
  if (!nullable && t->type != KAVRO_ENUM) {
    scan_value(out, t, e, depth, level);
    free(e);
    return;
  }
  line(out, level, "{");
  if (nullable) {
    size_t vb;
    gen_is_nullable(f->type, &vb);
    line(out, level + 1, "uint32_t b%d = 0;", depth);
    line(out, level + 1,
         "scanned = scanned && kavro_scan_index(&scan, &b%d, 2);", depth);
    line(out, level + 1, "if (scanned && b%d == %zu) {", depth, vb);
    line(out, level + 2, "%shas_%s = true;", self, f->cname);
    scan_value(out, t, e, depth + 1, level + 2);
    line(out, level + 1, "}");
  } else {
    scan_value(out, t, e, depth, level + 1);
  }
  line(out, level, "}");
  free(e);
}

/* Fields [@from, @to) of record @r, every one scanned_field(): scanned,
 * and where the scan stops, read. */
static void emit_scan(FILE *out, const gen_type_t *r, size_t from, size_t to,
                      const char *self, int depth, int level) {
  bool runs = false, unions = false;
  for (size_t i = from; i < to; i++) {
    bool nullable;
    const gen_type_t *t = scanned_field(&r->fields[i], &nullable);
    runs |= is_run(t);
    unions |= nullable;
  }
  line(out, level, "{");
  line(out, level + 1, "kavro_scan_t scan;");
  line(out, level + 1, "bool scanned = kavro_scan_begin(r, &scan, %s, %s);",
       runs ? "true" : "false", unions ? "true" : "false");
  for (size_t i = from; i < to; i++)
    scan_field(out, &r->fields[i], self, depth, level + 1);
  line(out, level + 1, "if (scanned) {");
  line(out, level + 2, "kavro_scan_end(r, &scan);");
  line(out, level + 1, "} else {");
  for (size_t i = from; i < to; i++)
    emit_field_read(out, &r->fields[i], self, depth, level + 2);
  line(out, level + 1, "}");
  line(out, level, "}");
}

/* The fields of record @r as members of @self: two or more in a row that
 * a scan reads are scanned, the others read. */
static void emit_fields_read(FILE *out, const gen_type_t *r, const char *self,
                             int depth, int level) {
  size_t i = 0;
  while (i < r->field_count) {
    bool nullable;
    size_t end = i;
    while (end < r->field_count && scanned_field(&r->fields[end], &nullable))
      end++;
    if (end - i >= 2) {
      emit_scan(out, r, i, end, self, depth, level);
      i = end;
    } else {
      emit_field_read(out, &r->fields[i], self, depth, level);
      i++;
    }
  }
}

/* ---- equality -------------------------------------------------------------- */

static void equal_record_pointers(FILE *out, const gen_type_t *r, const char *a,
                                  const char *b, int level) {
  line(out, level, "if ((%s == NULL) != (%s == NULL) ||", a, b);
  line(out, level + 2, "(%s && !%s_equal(%s, %s)))", a, r->cname, a, b);
  line(out, level + 1, "return false;");
}

static void equal_collection(FILE *out, const gen_type_t *t, const char *a,
                             const char *b, int depth, int level) {
  bool map = t->type == KAVRO_MAP;
  const char *member = map ? "entries" : "items";
  line(out, level, "if (%s.count != %s.count)", a, b);
  line(out, level + 1, "return false;");
  line(out, level, "for (size_t i%d = 0; i%d < %s.count; i%d++) {", depth,
       depth, a, depth);
  char *ia = gen_strf("%s.%s[i%d]%s", a, member, depth, map ? ".value" : "");
  char *ib = gen_strf("%s.%s[i%d]%s", b, member, depth, map ? ".value" : "");
  if (map) {
    line(out, level + 1, "if (!kavro_eq_str(%s.%s[i%d].key, %s.%s[i%d].key))",
         a, member, depth, b, member, depth);
    line(out, level + 2, "return false;");
  }
  gen_emit_equal(out, t->items, ia, ib, depth + 1, level + 1);
  free(ia);
  free(ib);
  line(out, level, "}");
}

static void equal_union(FILE *out, const gen_type_t *t, const char *a,
                        const char *b, int depth, int level) {
  line(out, level, "if (%s.branch != %s.branch)", a, b);
  line(out, level + 1, "return false;");
  line(out, level, "switch (%s.branch) {", a);
  for (size_t i = 0; i < t->branch_count; i++) {
    char tag[256], member[256];
    gen_branch_tag(t, i, tag, sizeof(tag));
    gen_branch_member(t, i, member, sizeof(member));
    const gen_type_t *br = t->branches[i];
    line(out, level, "case %s:", tag);
    char *va = gen_strf("%s.u.%s", a, member);
    char *vb = gen_strf("%s.u.%s", b, member);
    if (br->type == KAVRO_RECORD)
      equal_record_pointers(out, br, va, vb, level + 1);
    else
      gen_emit_equal(out, br, va, vb, depth + 1, level + 1);
    free(va);
    free(vb);
    line(out, level + 1, "break;");
  }
  line(out, level, "}");
}

void gen_emit_equal(FILE *out, const gen_type_t *t, const char *a,
                    const char *b, int depth, int level) {
  const char *fn = NULL;
  switch (t->type) {
  case KAVRO_NULL:
    return;
  case KAVRO_BOOLEAN:
  case KAVRO_INT:
  case KAVRO_LONG:
  case KAVRO_ENUM:
    line(out, level, "if (%s != %s)", a, b);
    line(out, level + 1, "return false;");
    return;
  case KAVRO_FLOAT:
    fn = "kavro_eq_float";
    break;
  case KAVRO_DOUBLE:
    fn = "kavro_eq_double";
    break;
  case KAVRO_STRING:
    fn = "kavro_eq_str";
    break;
  case KAVRO_BYTES:
    fn = t->decimal ? "kavro_eq_decimal" : "kavro_eq_bytes";
    break;
  case KAVRO_FIXED:
    line(out, level, "if (memcmp(%s.bytes, %s.bytes, %zu) != 0)", a, b,
         fixed_size(t));
    line(out, level + 1, "return false;");
    return;
  case KAVRO_RECORD:
    line(out, level, "if (!%s_equal(&%s, &%s))", t->cname, a, b);
    line(out, level + 1, "return false;");
    return;
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    equal_collection(out, t, a, b, depth, level);
    return;
  case KAVRO_UNION:
    equal_union(out, t, a, b, depth, level);
    return;
  }
  line(out, level, "if (!%s(%s, %s))", fn, a, b);
  line(out, level + 1, "return false;");
}

static void emit_field_equal(FILE *out, const gen_field_t *f, int level) {
  size_t vb;
  char *a = gen_strf("a->%s", f->cname), *b = gen_strf("b->%s", f->cname);
  if (!gen_is_nullable(f->type, &vb)) {
    gen_emit_equal(out, f->type, a, b, 1, level);
  } else if (f->type->branches[vb]->type == KAVRO_RECORD) {
    equal_record_pointers(out, f->type->branches[vb], a, b, level);
  } else {
    line(out, level, "if (a->has_%s != b->has_%s)", f->cname, f->cname);
    line(out, level + 1, "return false;");
    line(out, level, "if (a->has_%s) {", f->cname);
    gen_emit_equal(out, f->type->branches[vb], a, b, 2, level + 1);
    line(out, level, "}");
  }
  free(a);
  free(b);
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_text(FILE *out, int level, const char *text) {
  gen_indent(out, level);
  fputs("KAVRO_TRY(kavro_w_text(w, ", out);
  gen_c_string(out, text);
  fputs("));\n", out);
}

static void json_collection(FILE *out, const gen_type_t *t, const char *e,
                            int depth, int level) {
  bool map = t->type == KAVRO_MAP;
  json_text(out, level, map ? "{" : "[");
  line(out, level, "for (size_t i%d = 0; i%d < %s.count; i%d++) {", depth,
       depth, e, depth);
  line(out, level + 1, "if (i%d)", depth);
  json_text(out, level + 2, ", ");
  char *item = gen_strf("%s.%s[i%d]", e, map ? "entries" : "items", depth);
  if (map) {
    line(out, level + 1,
         "KAVRO_TRY(kavro_w_json_string(w, %s.key.data, %s.key.length));",
         item, item);
    json_text(out, level + 1, ": ");
    char *value = gen_strf("%s.value", item);
    gen_emit_json(out, t->items, value, depth + 1, level + 1);
    free(value);
  } else {
    gen_emit_json(out, t->items, item, depth + 1, level + 1);
  }
  free(item);
  line(out, level, "}");
  json_text(out, level, map ? "}" : "]");
}

/* A union value that is not null: {"label": value}. */
static void json_branch(FILE *out, const gen_type_t *b, const char *value,
                        bool pointer, int depth, int level) {
  char *open = gen_strf("{\"%s\": ", gen_branch_label(b));
  json_text(out, level, open);
  free(open);
  if (pointer)
    line(out, level, "KAVRO_TRY(%s_json(w, %s));", b->cname, value);
  else
    gen_emit_json(out, b, value, depth, level);
  json_text(out, level, "}");
}

static void json_union(FILE *out, const gen_type_t *t, const char *e, int depth,
                       int level) {
  line(out, level, "switch (%s.branch) {", e);
  for (size_t i = 0; i < t->branch_count; i++) {
    char tag[256], member[256];
    gen_branch_tag(t, i, tag, sizeof(tag));
    gen_branch_member(t, i, member, sizeof(member));
    const gen_type_t *b = t->branches[i];
    line(out, level, "case %s:", tag);
    if (b->type == KAVRO_NULL) {
      json_text(out, level + 1, "null");
    } else {
      char *value = gen_strf("%s.u.%s", e, member);
      if (b->type == KAVRO_RECORD) {
        line(out, level + 1, "if (!%s)", value);
        line(out, level + 2,
             "return kavro_writer_fail(w, \"a %s branch is selected but "
             "NULL\");",
             b->cname);
      }
      json_branch(out, b, value, b->type == KAVRO_RECORD, depth + 1, level + 1);
      free(value);
    }
    line(out, level + 1, "break;");
  }
  line(out, level, "default:");
  line(out, level + 1,
       "return kavro_writer_fail(w, \"%s has no valid branch selected\");",
       t->cname);
  line(out, level, "}");
}

void gen_emit_json(FILE *out, const gen_type_t *t, const char *e, int depth,
                   int level) {
  switch (t->type) {
  case KAVRO_NULL:
    json_text(out, level, "null");
    return;
  case KAVRO_BOOLEAN:
    line(out, level, "KAVRO_TRY(kavro_w_text(w, %s ? \"true\" : \"false\"));", e);
    return;
  case KAVRO_INT:
  case KAVRO_LONG:
    line(out, level, "KAVRO_TRY(kavro_w_json_long(w, %s));", e);
    return;
  case KAVRO_FLOAT:
  case KAVRO_DOUBLE:
    line(out, level, "KAVRO_TRY(kavro_w_json_real(w, %s, %s));", e,
         t->type == KAVRO_FLOAT ? "true" : "false");
    return;
  case KAVRO_STRING:
    line(out, level, "KAVRO_TRY(kavro_w_json_string(w, %s.data, %s.length));",
         e, e);
    return;
  case KAVRO_BYTES:
    line(out, level, "KAVRO_TRY(kavro_w_json_bytes(w, %s.%s, %s.length));", e,
         t->decimal ? "unscaled" : "data", e);
    return;
  case KAVRO_FIXED:
    line(out, level, "KAVRO_TRY(kavro_w_json_bytes(w, %s.bytes, %zu));", e,
         fixed_size(t));
    return;
  case KAVRO_ENUM: {
    char *count = symbol_count(t);
    line(out, level, "if ((uint32_t)%s >= %s)", e, count);
    line(out, level + 1,
         "return kavro_writer_fail(w, \"%s has no such symbol\");", t->cname);
    line(out, level,
         "KAVRO_TRY(kavro_w_json_string(w, %s_symbols[%s], "
         "strlen(%s_symbols[%s])));",
         t->cname, e, t->cname, e);
    free(count);
    return;
  }
  case KAVRO_RECORD:
    line(out, level, "KAVRO_TRY(%s_json(w, &%s));", t->cname, e);
    return;
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    json_collection(out, t, e, depth, level);
    return;
  case KAVRO_UNION:
    json_union(out, t, e, depth, level);
    return;
  }
}

static void emit_field_json(FILE *out, const gen_field_t *f, size_t index,
                            int level) {
  char *key = gen_strf("%s\"%s\": ", index ? ", " : "", f->name);
  json_text(out, level, key);
  free(key);
  size_t vb;
  char *e = gen_strf("v->%s", f->cname);
  if (!gen_is_nullable(f->type, &vb)) {
    gen_emit_json(out, f->type, e, 1, level);
    free(e);
    return;
  }
  const gen_type_t *value = f->type->branches[vb];
  bool pointer = value->type == KAVRO_RECORD;
  if (pointer)
    line(out, level, "if (%s) {", e);
  else
    line(out, level, "if (v->has_%s) {", f->cname);
  json_branch(out, value, e, pointer, 2, level + 1);
  line(out, level, "} else {");
  json_text(out, level + 1, "null");
  line(out, level, "}");
  free(e);
}

/* ---- record bodies --------------------------------------------------------- */

/* ---- runs of bounded fields --------------------------------------------------
 * Consecutive fields whose encoding has a bound known up front (numbers,
 * booleans, enums, fixed, strings and bytes by their length, nullable
 * ones of those) are written as a run: the room is added up, reserved
 * once, and the fields put with a local cursor. */

/* The most bytes a value of @t takes besides a run's length, or false
 * when @t cannot be part of a run. */
static bool bounded(const gen_type_t *t, size_t *max) {
  static const size_t size[] = {
      [KAVRO_NULL] = 0,  [KAVRO_BOOLEAN] = 1, [KAVRO_INT] = 5,
      [KAVRO_LONG] = 10, [KAVRO_FLOAT] = 4,   [KAVRO_DOUBLE] = 8,
      [KAVRO_BYTES] = 10, [KAVRO_STRING] = 10, [KAVRO_ENUM] = 5};
  if (t->type == KAVRO_FIXED) {
    *max = t->size;
    return true;
  }
  if ((t->type > KAVRO_STRING && t->type != KAVRO_ENUM) || t->decimal)
    return false;
  *max = size[t->type];
  return true;
}

/* A field of a run: a bounded type, or a nullable one held with a flag. */
static const gen_type_t *bounded_field(const gen_field_t *f, bool *nullable,
                                       size_t *max) {
  const gen_type_t *t = field_value_type(f, nullable);
  if ((*nullable && t->type == KAVRO_RECORD) || !bounded(t, max))
    return NULL;
  if (*nullable)
    *max += 1;   /* the branch index, 0 or 1 */
  return t;
}

static void put_value(FILE *out, const gen_type_t *t, const char *e,
                      int level) {
  switch (t->type) {
  case KAVRO_NULL:
    return;
  case KAVRO_BOOLEAN:
    line(out, level, "p = kavro_put_bool(p, %s);", e);
    return;
  case KAVRO_FLOAT:
    line(out, level, "p = kavro_put_float(p, %s);", e);
    return;
  case KAVRO_DOUBLE:
    line(out, level, "p = kavro_put_double(p, %s);", e);
    return;
  case KAVRO_STRING:
  case KAVRO_BYTES:
    line(out, level, "p = kavro_put_run(p, %s.data, %s.length, &check);", e,
         e);
    return;
  case KAVRO_FIXED:
    line(out, level, "p = kavro_put_raw(p, %s.bytes, %zu);", e, t->size);
    return;
  default:   /* int, long, enum */
    line(out, level, "p = kavro_put_varint(p, %s);", e);
    return;
  }
}

/* Whether @t is a string or bytes value: a run's length to account. */
static bool is_run(const gen_type_t *t) {
  return t->type == KAVRO_STRING || t->type == KAVRO_BYTES;
}

/* The refusal of an enum value @e of @t with no such symbol; @present, a
 * condition the value is tested under ("" for none). */
static void symbol_check(FILE *out, const gen_type_t *t, const char *present,
                         const char *e, int level) {
  if (t->type != KAVRO_ENUM)
    return;
  char *count = symbol_count(t);
  line(out, level, "if (%s(uint32_t)%s >= %s)", present, e, count);
  line(out, level + 1, "return kavro_writer_fail(w, \"%s has no such symbol\");",
       t->cname);
  free(count);
}

/* The fields [@from, @to) of record @r, every one bounded (bounded_field()),
 * as members of @self ("v->", or an item of an array and a dot): what
 * each step of writing them as a run emits.  Strings and bytes among
 * them: */
static size_t fields_runs(const gen_type_t *r, size_t from, size_t to) {
  size_t runs = 0;
  for (size_t i = from; i < to; i++) {
    bool nullable;
    size_t m;
    runs += is_run(bounded_field(&r->fields[i], &nullable, &m));
  }
  return runs;
}

/* Their enums' symbol checks. */
static void fields_symbol_checks(FILE *out, const gen_type_t *r, size_t from,
                                 size_t to, const char *self, int level) {
  for (size_t i = from; i < to; i++) {
    bool nullable;
    size_t m;
    const gen_type_t *t = bounded_field(&r->fields[i], &nullable, &m);
    const char *f = r->fields[i].cname;
    char *present = nullable ? gen_strf("%shas_%s && ", self, f)
                             : gen_xstrdup("");
    char *e = gen_strf("%s%s", self, f);
    symbol_check(out, t, present, e, level);
    free(e);
    free(present);
  }
}

/* Their strings' and bytes' lengths, added to `room` and accounted in
 * `check`. */
static void fields_lengths(FILE *out, const gen_type_t *r, size_t from,
                           size_t to, const char *self, int level) {
  for (size_t i = from; i < to; i++) {
    bool nullable;
    size_t m;
    const gen_type_t *t = bounded_field(&r->fields[i], &nullable, &m);
    const char *f = r->fields[i].cname;
    if (!is_run(t))
      continue;
    if (nullable)
      line(out, level, "if (%shas_%s)", self, f);
    line(out, nullable ? level + 1 : level,
         "room += kavro_run_length(&check, %s%s.length);", self, f);
  }
}

/* Their encodings, put at `p`. */
static void fields_puts(FILE *out, const gen_type_t *r, size_t from, size_t to,
                        const char *self, int level) {
  for (size_t i = from; i < to; i++) {
    bool nullable;
    size_t m, vb = 0;
    const gen_field_t *field = &r->fields[i];
    const gen_type_t *t = bounded_field(field, &nullable, &m);
    char *e = gen_strf("%s%s", self, field->cname);
    if (!nullable) {
      put_value(out, t, e, level);
    } else {
      gen_is_nullable(field->type, &vb);
      line(out, level, "if (%shas_%s) {", self, field->cname);
      line(out, level + 1, "p = kavro_put_varint(p, %zu);", vb);
      put_value(out, t, e, level + 1);
      line(out, level, "} else {");
      line(out, level + 1, "p = kavro_put_varint(p, %zu);", 1 - vb);
      line(out, level, "}");
    }
    free(e);
  }
}

/* Reserve @room for a run of @runs strings and bytes (both expressions;
 * @runs NULL: none), then take the cursor. */
static void run_reserve(FILE *out, const char *room, const char *runs,
                        int level) {
  if (runs)
    line(out, level, "KAVRO_TRY(kavro_w_reserve_run(w, %s, &check, %s));",
         room, runs);
  else
    line(out, level, "KAVRO_TRY(kavro_w_reserve(w, %s));", room);
  line(out, level, "unsigned char *p = w->p;");
}

/* Commit the run written up to `p`. */
static void run_end(FILE *out, bool runs, int level) {
  if (runs)
    line(out, level, "KAVRO_TRY(kavro_w_end_run(w, p, &check));");
  else
    line(out, level, "w->p = p;");
}

static void emit_run(FILE *out, const gen_type_t *r, size_t from, size_t to,
                     size_t max) {
  size_t runs = fields_runs(r, from, to);
  char *names = to - from == 1
                    ? gen_xstrdup(r->fields[from].name)
                    : gen_strf("%s to %s", r->fields[from].name,
                               r->fields[to - 1].name);
  line(out, 1, "{");
  line(out, 2, "/* %s: at most %zu bytes%s */", names, max,
       runs ? " and the strings' lengths" : "");
  free(names);
  fields_symbol_checks(out, r, from, to, "v->", 2);
  char *room = runs ? gen_xstrdup("room") : gen_strf("%zu", max);
  char *count = runs ? gen_strf("%zu", runs) : NULL;
  if (runs) {
    line(out, 2, "size_t room = %zu;", max);
    line(out, 2, "kavro_run_check_t check = {0, 0};");
  }
  fields_lengths(out, r, from, to, "v->", 2);
  run_reserve(out, room, count, 2);
  free(room);
  free(count);
  fields_puts(out, r, from, to, "v->", 2);
  run_end(out, runs, 2);
  line(out, 1, "}");
}

/* ---- collections in one run -------------------------------------------------
 * An array or map whose items are bounded values, or records of bounded
 * fields, is written as one run too: a loop adds up the room and checks
 * the items, one reservation covers the count, every item and the end,
 * and a second loop puts them. */

/* Whether the items of collection @t (a map's: key and value) are all
 * bounded; @max, the bytes one takes at most besides its strings'
 * lengths, @runs, its strings and bytes, and @symbols, its enums (which
 * the first loop checks). */
static bool flat_items(const gen_type_t *t, size_t *max, size_t *runs,
                       size_t *symbols) {
  const gen_type_t *items = t->items;
  bool map = t->type == KAVRO_MAP;
  *max = map ? KAVRO_MAX_VARINT : 0;   /* a key is a string */
  *runs = map;
  *symbols = 0;
  bool record = items->type == KAVRO_RECORD;
  if (record && gen_is_recursive(items))
    return false;
  for (size_t i = 0; i < (record ? items->field_count : 1); i++) {
    bool nullable = false;
    size_t m;
    const gen_type_t *f =
        record ? bounded_field(&items->fields[i], &nullable, &m)
               : bounded(items, &m) ? items : NULL;
    if (!f)
      return false;
    *max += m;
    *runs += is_run(f);
    *symbols += f->type == KAVRO_ENUM;
  }
  return true;
}

/* An item's part in the first loop: its checks, its lengths. */
static void item_room(FILE *out, const gen_type_t *items, const char *value,
                      int level) {
  if (items->type == KAVRO_RECORD) {
    char *self = gen_strf("%s.", value);
    fields_symbol_checks(out, items, 0, items->field_count, self, level);
    fields_lengths(out, items, 0, items->field_count, self, level);
    free(self);
    return;
  }
  symbol_check(out, items, "", value, level);
  if (is_run(items))
    line(out, level, "room += kavro_run_length(&check, %s.length);", value);
}

static void item_puts(FILE *out, const gen_type_t *items, const char *value,
                      int level) {
  if (items->type == KAVRO_RECORD) {
    char *self = gen_strf("%s.", value);
    fields_puts(out, items, 0, items->field_count, self, level);
    free(self);
    return;
  }
  put_value(out, items, value, level);
}

/* @room_loop: whether items have lengths to add or symbols to check. */
static void write_flat_collection(FILE *out, const gen_type_t *t,
                                  const char *e, int depth, int level,
                                  size_t max, size_t runs, bool room_loop) {
  bool map = t->type == KAVRO_MAP;
  const char *member = map ? "entries" : "items";
  char *item = gen_strf("%s.%s[i%d]", e, member, depth);
  char *value = map ? gen_strf("%s.value", item) : gen_xstrdup(item);
  line(out, level, "if (%s.count) {", e);
  line(out, level + 1, "if (!%s.%s)", e, member);
  line(out, level + 2,
       "return kavro_writer_fail(w, \"%s has a count but no %s\");", t->cname,
       member);
  line(out, level + 1, "/* the count, each %s (at most %zu bytes%s), the end */",
       map ? "entry" : "item", max, runs ? " and its strings" : "");
  /* The room's fixed part stays under a quarter of SIZE_MAX, the count of
   * runs under a fortieth (a run's fixed part is 10 bytes): with the
   * lengths' sum under half (kavro_w_reserve_run()), nothing wraps. */
  line(out, level + 1, "if (%s.count > SIZE_MAX / 4 / %zu)", e,
       max ? max : 1);
  line(out, level + 2,
       "return kavro_writer_fail(w, \"a collection is too large\");");
  line(out, level + 1, "size_t room = %d + %s.count * %zu;",
       KAVRO_MAX_VARINT + 1, e, max);
  if (runs)
    line(out, level + 1, "kavro_run_check_t check = {0, 0};");
  if (room_loop) {
    line(out, level + 1, "for (size_t i%d = 0; i%d < %s.count; i%d++) {",
         depth, depth, e, depth);
    if (map)
      line(out, level + 2, "room += kavro_run_length(&check, %s.key.length);",
           item);
    item_room(out, t->items, value, level + 2);
    line(out, level + 1, "}");
  }
  char *run_count = runs == 1 ? gen_strf("%s.count", e)
                   : runs    ? gen_strf("%s.count * %zu", e, runs)
                             : NULL;
  run_reserve(out, "room", run_count, level + 1);
  free(run_count);
  line(out, level + 1, "p = kavro_put_varint(p, (int64_t)%s.count);", e);
  line(out, level + 1, "for (size_t i%d = 0; i%d < %s.count; i%d++) {", depth,
       depth, e, depth);
  if (map)
    line(out, level + 2, "p = kavro_put_run(p, %s.key.data, %s.key.length, "
                         "&check);",
         item, item);
  item_puts(out, t->items, value, level + 2);
  line(out, level + 1, "}");
  line(out, level + 1, "p = kavro_put_varint(p, 0);");
  run_end(out, runs, level + 1);
  line(out, level, "} else {");
  line(out, level + 1, "KAVRO_TRY(kavro_w_long(w, 0));");
  line(out, level, "}");
  free(value);
  free(item);
}

void gen_emit_record_write(FILE *out, const gen_type_t *t) {
  bool recursive = gen_is_recursive(t);
  if (recursive)   /* a value built by hand may nest without end */
    line(out, 1, "KAVRO_TRY(kavro_w_enter(w));");
  for (size_t i = 0; i < t->field_count;) {
    size_t j = i, max = 0, m;
    bool nullable;
    while (j < t->field_count && bounded_field(&t->fields[j], &nullable, &m)) {
      max += m;
      j++;
    }
    if (j > i) {
      emit_run(out, t, i, j, max);
      i = j;
    } else {
      emit_field_write(out, &t->fields[i], 1);
      i++;
    }
  }
  if (recursive)
    line(out, 1, "kavro_w_leave(w);");
}

void gen_emit_record_read(FILE *out, const gen_type_t *t) {
  line(out, 1, "KAVRO_TRY(kavro_r_enter(r));");
  emit_fields_read(out, t, "v->", 1, 1);
  line(out, 1, "kavro_r_leave(r);");
}

void gen_emit_record_equal(FILE *out, const gen_type_t *t) {
  for (size_t i = 0; i < t->field_count; i++)
    emit_field_equal(out, &t->fields[i], 1);
}

void gen_emit_record_json(FILE *out, const gen_type_t *t) {
  bool recursive = gen_is_recursive(t);
  if (recursive)
    line(out, 1, "KAVRO_TRY(kavro_w_enter(w));");
  json_text(out, 1, "{");
  for (size_t i = 0; i < t->field_count; i++)
    emit_field_json(out, &t->fields[i], i, 1);
  json_text(out, 1, "}");
  if (recursive)
    line(out, 1, "kavro_w_leave(w);");
}

/* ---- partition key ----------------------------------------------------------
 * A template is text with {field} placeholders; each field must be a
 * string, int, long or enum (or a nullable one: null adds nothing). */

static const gen_field_t *key_field(const gen_type_t *record, const char *name,
                                    size_t n) {
  for (size_t i = 0; i < record->field_count; i++)
    if (strlen(record->fields[i].name) == n &&
        strncmp(record->fields[i].name, name, n) == 0)
      return &record->fields[i];
  return NULL;
}

static const gen_type_t *key_value_type(const gen_field_t *f, bool *nullable) {
  const gen_type_t *t = field_value_type(f, nullable);
  switch (t->type) {
  case KAVRO_STRING:
  case KAVRO_INT:
  case KAVRO_LONG:
  case KAVRO_ENUM:
    return t;
  default:
    return NULL;
  }
}

/* Walk @root's template: literal runs and fields, each checked; with
 * @out, write the statements that put them into the key. */
static bool walk_key(FILE *out, const gen_root_t *root, int level) {
  const char *p = root->key;
  const gen_type_t *record = root->type;
  while (*p) {
    const char *open = strchr(p, '{');
    size_t lit = open ? (size_t)(open - p) : strlen(p);
    if (lit && out) {
      char *text = gen_strndup(p, lit);
      gen_indent(out, level);
      fputs("kavro_key_put(buf, size, &at, ", out);
      gen_c_string(out, text);
      fprintf(out, ", %zu);\n", lit);
      free(text);
    }
    if (!open)
      break;
    const char *close = strchr(open, '}');
    const gen_field_t *f = close && record->type == KAVRO_RECORD
                               ? key_field(record, open + 1,
                                           (size_t)(close - open - 1))
                               : NULL;
    bool nullable = false;
    const gen_type_t *t = f ? key_value_type(f, &nullable) : NULL;
    if (!t) {
      fprintf(stderr, "kavro gen: the key template '%s' of %s names no "
                      "string, int, long or enum field of %s\n",
              root->key, root->topic ? root->topic : "the schema",
              record->fullname ? record->fullname : "it");
      return false;
    }
    if (out) {
      int at = level;
      if (nullable) {
        line(out, level, "if (v->has_%s)", f->cname);
        at++;
      }
      if (t->type == KAVRO_STRING)
        line(out, at, "kavro_key_put(buf, size, &at, v->%s.data, v->%s.length);",
             f->cname, f->cname);
      else if (t->type == KAVRO_ENUM)
        line(out, at, "kavro_key_symbol(buf, size, &at, %s_symbols, %zu, "
                      "(uint32_t)v->%s);",
             t->cname, t->symbol_count, f->cname);
      else
        line(out, at, "kavro_key_long(buf, size, &at, v->%s);", f->cname);
    }
    p = close + 1;
  }
  return true;
}

bool gen_check_key(const gen_root_t *root) {
  return !root->key || walk_key(NULL, root, 0);
}

bool gen_emit_key(FILE *out, const gen_root_t *root, int level) {
  line(out, level, "size_t at = 0;");
  if (!walk_key(out, root, level))
    return false;
  line(out, level, "kavro_key_end(buf, size, at);");
  line(out, level, "return at;");
  return true;
}
