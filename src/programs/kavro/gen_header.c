/*
 * kavro gen - the header: C types in an order the compiler accepts (every
 * struct after the types it holds by value; pointers need only the
 * forward declarations at the top), then each top type's API.
 */
#include <stdlib.h>
#include <string.h>

#include "kavro/typed_gen.h"
#include "gen.h"
#include "gen_util.h"

/* A comment of @title and @doc, wrapped to fit 78 columns. */
static void doc_comment(FILE *out, int level, const char *title,
                        const char *doc) {
  size_t width = 78 - 2 * (size_t)level, column;
  gen_indent(out, level);
  fprintf(out, "/* %s", title);
  column = 2 * (size_t)level + 3 + strlen(title);
  if (doc && *doc) {
    fputc(':', out);
    column++;
  }
  for (const char *p = doc ? doc : ""; *p;) {
    while (*p == ' ' || *p == '\n')
      p++;
    size_t n = strcspn(p, " \n");
    if (!n)
      break;
    if (column + 1 + n > width) {
      fputc('\n', out);
      gen_indent(out, level);
      fputs(" *", out);
      column = 2 * (size_t)level + 2;
    }
    fputc(' ', out);
    for (size_t i = 0; i < n; i++)   /* never close the comment early */
      fputc(p[i] == '/' && i > 0 && p[i - 1] == '*' ? ' ' : p[i], out);
    column += 1 + n;
    p += n;
  }
  fputs(" */\n", out);
}

static bool is_struct(const gen_type_t *t) {
  return t->type == KAVRO_RECORD || t->type == KAVRO_FIXED ||
         t->type == KAVRO_ARRAY || t->type == KAVRO_MAP ||
         t->type == KAVRO_UNION;
}

/* Every type that gets a C definition of its own, once each. */
static bool has_definition(const gen_type_t *t) {
  return t->cname && (t->fullname || t->type == KAVRO_ARRAY ||
                      t->type == KAVRO_MAP || t->type == KAVRO_UNION);
}

typedef struct header_s {
  FILE *out;
  const gen_type_t **maps;   /* map entry structs, written at the end */
  size_t map_count, map_capacity;
} header_t;

static void define(header_t *h, gen_type_t *t);

/* Define what a member of type @t holds by value. */
static void define_value(header_t *h, gen_type_t *t) {
  if (has_definition(t))
    define(h, t);
}

static void member(FILE *out, const gen_type_t *t, const char *name,
                   const char *comment, int level) {
  char buf[512];
  gen_indent(out, level);
  fprintf(out, "%s %s;", gen_c_type(t, buf, sizeof(buf)), name);
  if (comment)
    fprintf(out, "  /* %s */", comment);
  fputc('\n', out);
}

/* What a logical type's integer or bytes mean, and the kavro/logical.h
 * helper that converts them. */
static const struct {
  const char *logical;
  kavro_type_t type;
  const char *comment;
} logical_comments[] = {
    {"date", KAVRO_INT, "date: days since 1970-01-01; see kavro_date_format()"},
    {"time-millis", KAVRO_INT,
     "time-millis: milliseconds after midnight; see kavro_time_format()"},
    {"time-micros", KAVRO_LONG,
     "time-micros: microseconds after midnight; see kavro_time_format()"},
    {"timestamp-millis", KAVRO_LONG,
     "timestamp-millis: milliseconds since the epoch, UTC; see "
     "kavro_timestamp_format()"},
    {"timestamp-micros", KAVRO_LONG,
     "timestamp-micros: microseconds since the epoch, UTC; see "
     "kavro_timestamp_format()"},
    {"timestamp-nanos", KAVRO_LONG,
     "timestamp-nanos: nanoseconds since the epoch, UTC; see "
     "kavro_timestamp_format()"},
    {"local-timestamp-millis", KAVRO_LONG,
     "local-timestamp-millis: milliseconds since 1970-01-01T00:00, local "
     "time; see kavro_local_timestamp_format()"},
    {"local-timestamp-micros", KAVRO_LONG,
     "local-timestamp-micros: microseconds since 1970-01-01T00:00, local "
     "time; see kavro_local_timestamp_format()"},
    {"local-timestamp-nanos", KAVRO_LONG,
     "local-timestamp-nanos: nanoseconds since 1970-01-01T00:00, local "
     "time; see kavro_local_timestamp_format()"},
    {"big-decimal", KAVRO_BYTES,
     "big-decimal: unscaled value and scale; see kavro_big_decimal_format()"},
    {"uuid", KAVRO_STRING, "uuid: its text; kavro_uuid_parse() checks it"},
};

static const char *logical_comment(const gen_type_t *t, char *buf, size_t size) {
  if (t->decimal) {
    snprintf(buf, size, "decimal, scale %d; see kavro_decimal_format()",
             t->scale);
    return buf;
  }
  if (!t->logical)
    return t->type == KAVRO_NULL ? "null: carries nothing" : NULL;
  if (t->type == KAVRO_FIXED) {
    if (!strcmp(t->logical, "decimal")) {
      snprintf(buf, size,
               "decimal on fixed, scale %d; see kavro_decimal_format()",
               t->scale);
      return buf;
    }
    if (!strcmp(t->logical, "uuid") && t->size == 16)
      return "uuid: 16 bytes; see kavro_uuid_format()";
    if (!strcmp(t->logical, "duration") && t->size == 12)
      return "duration: months, days, milliseconds; see "
             "kavro_duration_decode()";
    return NULL;  /* an ignored logicalType says nothing */
  }
  for (size_t i = 0; i < sizeof(logical_comments) / sizeof(logical_comments[0]);
       i++)
    if (logical_comments[i].type == t->type &&
        !strcmp(logical_comments[i].logical, t->logical))
      return logical_comments[i].comment;
  snprintf(buf, size, "%s", t->logical);
  return buf;
}

static void record_members(header_t *h, const gen_type_t *t) {
  FILE *out = h->out;
  for (size_t i = 0; i < t->field_count; i++) {
    const gen_field_t *f = &t->fields[i];
    size_t vb;
    char note[256];
    if (f->doc)
      doc_comment(out, 1, f->name, f->doc);
    if (!gen_is_nullable(f->type, &vb)) {
      member(out, f->type, f->cname, logical_comment(f->type, note, sizeof(note)),
             1);
      continue;
    }
    const gen_type_t *value = f->type->branches[vb];
    if (value->type == KAVRO_RECORD) {
      gen_indent(out, 1);
      fprintf(out, "%s_t *%s;  /* NULL: null */\n", value->cname, f->cname);
      continue;
    }
    gen_indent(out, 1);
    fprintf(out, "bool has_%s;  /* false: %s is null */\n", f->cname, f->cname);
    member(out, value, f->cname, logical_comment(value, note, sizeof(note)), 1);
  }
  if (t->field_count == 0) {
    gen_indent(out, 1);
    fputs("uint8_t empty_;  /* no fields: C has no empty structs */\n", out);
  }
}

static void define_record(header_t *h, gen_type_t *t) {
  for (size_t i = 0; i < t->field_count; i++) {
    gen_type_t *ft = t->fields[i].type;
    size_t vb;
    if (gen_is_nullable(ft, &vb))
      ft = ft->branches[vb]->type == KAVRO_RECORD ? NULL : ft->branches[vb];
    if (ft)
      define_value(h, ft);
  }
  fputc('\n', h->out);
  doc_comment(h->out, 0, t->fullname, t->doc);
  fprintf(h->out, "struct %s_s {\n", t->cname);
  record_members(h, t);
  fputs("};\n", h->out);
}

static void define_enum(header_t *h, const gen_type_t *t) {
  FILE *out = h->out;
  char *upper = gen_upper(t->cname);
  fputc('\n', out);
  doc_comment(out, 0, t->fullname, t->doc);
  fprintf(out, "typedef enum %s_e {\n", t->cname);
  for (size_t i = 0; i < t->symbol_count; i++)
    fprintf(out, "  %s = %zu,\n", t->symbol_cnames[i], i);
  fprintf(out, "} %s_t;\n", t->cname);
  fprintf(out, "#define %s_SYMBOL_COUNT %zuu\n", upper, t->symbol_count);
  fprintf(out, "/* The symbols' names, by value. */\n");
  fprintf(out, "extern const char *const %s_symbols[%s_SYMBOL_COUNT];\n",
          t->cname, upper);
  free(upper);
}

static void define_union(header_t *h, gen_type_t *t) {
  FILE *out = h->out;
  for (size_t i = 0; i < t->branch_count; i++)
    if (t->branches[i]->type != KAVRO_RECORD)
      define_value(h, t->branches[i]);
  fputc('\n', out);
  fprintf(out, "/* A union: branch says which member of u holds the value. */\n");
  fprintf(out, "typedef enum %s_branch_e {\n", t->cname);
  for (size_t i = 0; i < t->branch_count; i++) {
    char tag[256];
    gen_branch_tag(t, i, tag, sizeof(tag));
    fprintf(out, "  %s = %zu,\n", tag, i);
  }
  fprintf(out, "} %s_branch_t;\n", t->cname);
  fprintf(out, "struct %s_s {\n  %s_branch_t branch;\n  union {\n", t->cname,
          t->cname);
  bool any = false;
  for (size_t i = 0; i < t->branch_count; i++) {
    const gen_type_t *b = t->branches[i];
    char name[256], note[256];
    if (b->type == KAVRO_NULL)
      continue;
    any = true;
    gen_branch_member(t, i, name, sizeof(name));
    if (b->type == KAVRO_RECORD) {
      gen_indent(out, 2);
      fprintf(out, "%s_t *%s;\n", b->cname, name);
    } else {
      member(out, b, name, logical_comment(b, note, sizeof(note)), 2);
    }
  }
  if (!any)
    fputs("    uint8_t none_;  /* only null: no value */\n", out);
  fputs("  } u;\n};\n", out);
}

static void define(header_t *h, gen_type_t *t) {
  if (t->emitted)
    return;
  t->emitted = true;
  FILE *out = h->out;
  switch (t->type) {
  case KAVRO_RECORD:
    define_record(h, t);
    return;
  case KAVRO_ENUM:
    define_enum(h, t);
    return;
  case KAVRO_FIXED:
    fputc('\n', out);
    doc_comment(out, 0, t->fullname, t->doc);
    /* A zero-size fixed still needs a member. */
    fprintf(out, "struct %s_s {\n  uint8_t bytes[%zu];\n};\n", t->cname,
            t->size ? t->size : 1);
    return;
  case KAVRO_ARRAY: {
    char buf[512];
    fprintf(out, "\n/* An array: count items at items. */\n");
    fprintf(out, "struct %s_s {\n  size_t count;\n  %s *items;\n};\n",
            t->cname, gen_c_type(t->items, buf, sizeof(buf)));
    define_value(h, t->items);
    return;
  }
  case KAVRO_MAP:
    fprintf(out, "\n/* A map: its entries in the order they were read. */\n");
    fprintf(out, "struct %s_s {\n  size_t count;\n  struct %s_entry_s *entries;\n};\n",
            t->cname, t->cname);
    GEN_PUSH(h->maps, h->map_count, h->map_capacity, t);
    define_value(h, t->items);
    return;
  case KAVRO_UNION:
    define_union(h, t);
    return;
  default:
    return;
  }
}

static void map_entry(header_t *h, const gen_type_t *t) {
  char buf[512];
  fprintf(h->out, "\nstruct %s_entry_s {\n  kavro_str_t key;\n  %s value;\n};\n",
          t->cname, gen_c_type(t->items, buf, sizeof(buf)));
}

/* typedef struct NAME_s NAME_t, for every struct type. */
static void forward_declarations(gen_t *g, FILE *out) {
  fputs("\n/* ---- types ---- */\n\n", out);
  for (size_t i = 0; i < g->type_count; i++) {
    const gen_type_t *t = g->types[i];
    if (has_definition(t) && is_struct(t))
      fprintf(out, "typedef struct %s_s %s_t;\n", t->cname, t->cname);
  }
  for (size_t i = 0; i < g->type_count; i++) {
    const gen_type_t *t = g->types[i];
    if (has_definition(t) && t->type == KAVRO_MAP)
      fprintf(out, "typedef struct %s_entry_s %s_entry_t;\n", t->cname,
              t->cname);
  }
}

static void alias(FILE *out, const gen_top_t *top) {
  char buf[512];
  if (!top->alias || strcmp(top->cname, top->type->cname ? top->type->cname
                                                         : "") == 0)
    return;
  fprintf(out, "\ntypedef %s %s_t;\n", gen_c_type(top->type, buf, sizeof(buf)),
          top->cname);
}

static void top_api(FILE *out, const gen_t *g, const gen_top_t *top) {
  const char *n = top->cname;
  char *upper = gen_upper(n);
  fprintf(out, "\n/* ---- %s ---- */\n\n", top->type->fullname
                                               ? top->type->fullname
                                               : n);
  fprintf(out, "/* CRC-64-AVRO fingerprint of the schema's canonical form. */\n");
  fprintf(out, "#define %s_RABIN UINT64_C(0x%016llx)\n", upper,
          (unsigned long long)top->rabin);
  fprintf(out, "/* The schema, self-contained (references written in full). */\n");
  fprintf(out, "extern const char %s_schema[];\n", n);
  fprintf(out, "extern const kavro_typed_type_t %s_type;\n\n", n);
  fprintf(out, "/* Zero every member (nulls absent, first symbols, empty "
               "collections),\n * decimals at their schema's scale. */\n");
  fprintf(out, "void %s_init(%s_t *v);\n", n, n);
  fprintf(out, "/* Building blocks: the body only, through a writer/reader. */\n");
  fprintf(out, "kavro_err_t %s_write(kavro_writer_t *w, const %s_t *v);\n", n, n);
  fprintf(out, "kavro_err_t %s_read(kavro_reader_t *r, %s_t *v);\n", n, n);
  fprintf(out, "kavro_err_t %s_json(kavro_writer_t *w, const %s_t *v);\n", n, n);
  fprintf(out, "/* Deep equality; floats bit for bit, maps in order (no loops). */\n");
  fprintf(out, "bool %s_equal(const %s_t *a, const %s_t *b);\n", n, n, n);
  for (size_t i = 0; i < g->root_count; i++)
    if (g->roots[i].key && &g->tops[g->roots[i].top] == top) {
      fprintf(out, "/* The partition key \"%s\" into buf (NUL-terminated, "
                   "truncated to size); returns its full length. */\n",
              g->roots[i].key);
      fprintf(out, "size_t %s_partition_key(const %s_t *v, char *buf, "
                   "size_t size);\n", n, n);
      break;
    }
  fprintf(out,
          "\n/* Append the binary encoding to out; on failure out is "
          "unchanged. */\n"
          "static inline kavro_err_t %s_encode(const %s_t *v, kavro_buf_t "
          "*out,\n    kavro_error_t *error) {\n"
          "  return kavro_typed_encode(&%s_type, v, out, error);\n}\n",
          n, n, n);
  fprintf(out,
          "/* Decode a whole body; memory from arena (reset it to free). */\n"
          "static inline kavro_err_t %s_decode(const void *data, size_t size,\n"
          "    kavro_arena_t *arena, %s_t *v, kavro_error_t *error) {\n"
          "  return kavro_typed_decode(&%s_type, data, size, arena, NULL, v, "
          "error);\n}\n",
          n, n, n);
  fprintf(out,
          "/* Decode a whole body into a new value; free it with %s_free(). */\n"
          "static inline %s_t *%s_decode_new(const void *data, size_t size,\n"
          "    kavro_error_t *error) {\n"
          "  return (%s_t *)kavro_typed_decode_new(&%s_type, data, size, NULL, "
          "error);\n}\n"
          "static inline void %s_free(%s_t *v) { kavro_typed_free(v); }\n",
          n, n, n, n, n, n, n);
  fprintf(out,
          "/* Append the Avro JSON encoding to out. */\n"
          "static inline kavro_err_t %s_to_json(const %s_t *v, kavro_buf_t "
          "*out,\n    kavro_error_t *error) {\n"
          "  return kavro_typed_to_json(&%s_type, v, out, error);\n}\n",
          n, n, n);
  free(upper);
}

bool gen_write_header(gen_t *g, FILE *out, const char *base) {
  char *guard = gen_upper(base);
  for (char *p = guard; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
      *p = '_';
  fprintf(out, "/* Generated by kavro gen: do not edit, regenerate. */\n");
  fprintf(out, "#ifndef %s_H\n#define %s_H\n\n", guard, guard);
  fputs("#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n"
        "#include <kavro/typed_gen.h>\n\n"
        "/* Made for this version of the generated-code ABI. */\n",
        out);
  fprintf(out, "#if KAVRO_TYPED_ABI_VERSION != %d\n", KAVRO_TYPED_ABI_VERSION);
  fputs("#error \"generated for another kavro: run kavro gen again\"\n"
        "#endif\n\n"
        "#ifdef __cplusplus\nextern \"C\" {\n#endif\n",
        out);
  forward_declarations(g, out);
  header_t h = {out, NULL, 0, 0};
  for (size_t i = 0; i < g->named_count; i++)
    define(&h, g->named[i]);
  for (size_t i = 0; i < g->top_count; i++)
    define_value(&h, g->tops[i].type);
  for (size_t i = 0; i < h.map_count; i++)
    map_entry(&h, h.maps[i]);
  free(h.maps);
  for (size_t i = 0; i < g->top_count; i++)
    alias(out, &g->tops[i]);
  for (size_t i = 0; i < g->top_count; i++)
    top_api(out, g, &g->tops[i]);
  fprintf(out, "\n/* The schemas this file was generated for. */\n");
  fprintf(out, "#define %s_ROOT_COUNT %zuu\n", guard, g->root_count);
  fprintf(out, "extern const kavro_typed_root_t %s_roots[%s_ROOT_COUNT];\n",
          base, guard);
  fprintf(out, "\n#ifdef __cplusplus\n}\n#endif\n#endif /* %s_H */\n", guard);
  free(guard);
  return !ferror(out);
}
