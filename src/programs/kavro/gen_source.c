/*
 * kavro gen - the source: enum name tables, each top type's schema text,
 * its functions and its kavro_typed_type_t, and the table of roots.
 */
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "gen_util.h"

/* A schema's text as a C string literal, one line of the (indented) JSON
 * per line of C, so that a reviewer reads the schema as JSON. */
static void long_string(FILE *out, const char *s) {
  if (!*s) {
    fputs("    \"\"", out);
    return;
  }
  for (const char *p = s; *p;) {
    size_t n = strcspn(p, "\n");
    char *piece = gen_strndup(p, n + (p[n] == '\n'));
    fputs(p == s ? "    " : "\n    ", out);
    gen_c_string(out, piece);
    free(piece);
    p += n + (p[n] == '\n');
  }
}

static void symbol_table(FILE *out, const gen_type_t *t) {
  char *upper = gen_upper(t->cname);
  fprintf(out, "\nconst char *const %s_symbols[%s_SYMBOL_COUNT] = {", t->cname,
          upper);
  for (size_t i = 0; i < t->symbol_count; i++) {
    fputs(i ? ", " : "", out);
    gen_c_string(out, t->symbols[i]);
  }
  fputs("};\n", out);
  free(upper);
}

/* Silence "unused" for a body that reads nothing (no fields with data). */
static void unused(FILE *out, const char *a, const char *b) {
  fprintf(out, "  (void)%s;\n  (void)%s;\n", a, b);
}

static bool record_has_data(const gen_type_t *t) {
  for (size_t i = 0; i < t->field_count; i++)
    if (t->fields[i].type->type != KAVRO_NULL)
      return true;
  return false;
}

/* Zero, then what zero is not: a decimal's scale, nested records' own. */
static void init_function(FILE *out, const gen_top_t *top) {
  const char *n = top->cname;
  const gen_type_t *t = top->type;
  fprintf(out, "\nvoid %s_init(%s_t *v) {\n  memset(v, 0, sizeof(*v));\n", n, n);
  if (top->alias && t->decimal)
    fprintf(out, "  v->scale = %d;\n", t->scale);
  for (size_t i = 0; !top->alias && i < t->field_count; i++) {
    const gen_field_t *f = &t->fields[i];
    const gen_type_t *ft = f->type;
    size_t vb;
    if (gen_is_nullable(ft, &vb) && ft->branches[vb]->decimal)
      ft = ft->branches[vb];
    if (ft->decimal)
      fprintf(out, "  v->%s.scale = %d;\n", f->cname, ft->scale);
    else if (ft->type == KAVRO_RECORD)
      fprintf(out, "  %s_init(&v->%s);\n", ft->cname, f->cname);
  }
  fputs("}\n", out);
}

static void functions(FILE *out, const gen_top_t *top) {
  const char *n = top->cname;
  const gen_type_t *t = top->type;
  bool record = !top->alias;
  bool data = record ? record_has_data(t) : t->type != KAVRO_NULL;

  init_function(out, top);

  fprintf(out, "\nkavro_err_t %s_write(kavro_writer_t *w, const %s_t *v) {\n",
          n, n);
  if (!data)
    unused(out, "w", "v");
  if (record)
    gen_emit_record_write(out, t);
  else
    gen_emit_write(out, t, "(*v)", 1, 1);
  fputs("  return KAVRO_OK;\n}\n", out);

  fprintf(out, "\nkavro_err_t %s_read(kavro_reader_t *r, %s_t *v) {\n", n, n);
  if (!data && !record)
    unused(out, "r", "v");
  else if (!data)
    fputs("  (void)v;\n", out);
  if (record)
    gen_emit_record_read(out, t);
  else
    gen_emit_read(out, t, "(*v)", 1, 1);
  fputs("  return KAVRO_OK;\n}\n", out);

  fprintf(out, "\nbool %s_equal(const %s_t *a, const %s_t *b) {\n", n, n, n);
  if (!data)
    unused(out, "a", "b");
  if (record)
    gen_emit_record_equal(out, t);
  else
    gen_emit_equal(out, t, "(*a)", "(*b)", 1, 1);
  fputs("  return true;\n}\n", out);

  fprintf(out, "\nkavro_err_t %s_json(kavro_writer_t *w, const %s_t *v) {\n",
          n, n);
  if (!data)
    fputs("  (void)v;\n", out);
  if (record)
    gen_emit_record_json(out, t);
  else
    gen_emit_json(out, t, "(*v)", 1, 1);
  fputs("  return KAVRO_OK;\n}\n", out);
}

/* The kavro_typed_type_t: adapters from void pointers, then the object. */
static void descriptor(FILE *out, const gen_top_t *top) {
  const char *n = top->cname;
  fprintf(out,
          "\nstatic void %s_init_any(void *v) { %s_init(v); }\n"
          "static kavro_err_t %s_write_any(kavro_writer_t *w, const void *v) {\n"
          "  return %s_write(w, v);\n}\n"
          "static kavro_err_t %s_read_any(kavro_reader_t *r, void *v) {\n"
          "  return %s_read(r, v);\n}\n"
          "static bool %s_equal_any(const void *a, const void *b) {\n"
          "  return %s_equal(a, b);\n}\n"
          "static kavro_err_t %s_json_any(kavro_writer_t *w, const void *v) {\n"
          "  return %s_json(w, v);\n}\n",
          n, n, n, n, n, n, n, n, n, n);
  fprintf(out, "\nconst char %s_schema[] =\n", n);
  long_string(out, top->schema_text);
  fputs(";\n", out);
  char *upper = gen_upper(n);
  fprintf(out, "\nconst kavro_typed_type_t %s_type = {\n", n);
  fputs("    .name = ", out);
  gen_c_string(out, top->type->fullname ? top->type->fullname : n);
  fprintf(out, ",\n    .schema_text = %s_schema,\n    .rabin = %s_RABIN,\n"
               "    .size = sizeof(%s_t),\n    .init = %s_init_any,\n"
               "    .write = %s_write_any,\n    .read = %s_read_any,\n"
               "    .equal = %s_equal_any,\n    .json = %s_json_any};\n",
          n, upper, n, n, n, n, n, n);
  free(upper);
}

static bool key_function(FILE *out, const gen_root_t *root, const char *n) {
  fprintf(out, "\nsize_t %s_partition_key(const %s_t *v, char *buf, "
               "size_t size) {\n", n, n);
  if (!gen_emit_key(out, root, 1))
    return false;
  fprintf(out, "}\n\nstatic size_t %s_partition_key_any(const void *v, "
               "char *buf, size_t size) {\n"
               "  return %s_partition_key(v, buf, size);\n}\n", n, n);
  return true;
}

static void optional_string(FILE *out, const char *s) {
  if (s)
    gen_c_string(out, s);
  else
    fputs("NULL", out);
}

static void roots_table(FILE *out, const gen_t *g, const char *base) {
  char *upper = gen_upper(base);
  fprintf(out, "\nconst kavro_typed_root_t %s_roots[%s_ROOT_COUNT] = {\n", base,
          upper);
  for (size_t i = 0; i < g->root_count; i++) {
    const gen_root_t *r = &g->roots[i];
    const char *n = g->tops[r->top].cname;
    fputs("    {", out);
    optional_string(out, r->topic);
    fputs(", ", out);
    optional_string(out, r->subject);
    fputs(", ", out);
    optional_string(out, r->file);
    fprintf(out, ", &%s_type, ", n);
    if (r->key)
      fprintf(out, "%s_partition_key_any},\n", n);
    else
      fputs("NULL},\n", out);
  }
  fputs("};\n", out);
  free(upper);
}

bool gen_write_source(gen_t *g, FILE *out, const char *base) {
  fprintf(out, "/* Generated by kavro gen: do not edit, regenerate. */\n");
  fprintf(out, "#include <string.h>\n\n#include \"%s.h\"\n", base);
  for (size_t i = 0; i < g->named_count; i++)
    if (g->named[i]->type == KAVRO_ENUM)
      symbol_table(out, g->named[i]);
  for (size_t i = 0; i < g->top_count; i++) {
    fprintf(out, "\n/* ---- %s ---- */\n", g->tops[i].type->fullname
                                               ? g->tops[i].type->fullname
                                               : g->tops[i].cname);
    functions(out, &g->tops[i]);
    descriptor(out, &g->tops[i]);
  }
  for (size_t i = 0; i < g->top_count; i++) {
    /* One key function per type: the first root of it with a template. */
    for (size_t k = 0; k < g->root_count; k++) {
      if (g->roots[k].top != i || !g->roots[k].key)
        continue;
      if (!key_function(out, &g->roots[k], g->tops[i].cname))
        return false;
      break;
    }
  }
  roots_table(out, g, base);
  return !ferror(out);
}
