/*
 * kavro gen - what the generator's files share: the model of the types to
 * generate (built from the schemas' JSON after the library has validated
 * them), and the emitters' entry points.
 *
 * Naming rules (`kavro gen --help` says the same for users):
 *  - a named type's C name is its short name in snake case
 *    ("ServiceOrderCreated" -> "service_order_created"), after the prefix;
 *    when two types share a short name, the last part of the namespace
 *    comes first ("projects.TvOutcome" -> "projects_tv_outcome");
 *    its type is NAME_t, its functions NAME_encode() and so on;
 *  - a root schema that is not a record is named by --name;
 *  - an array, map or union that needs a type of its own is named after
 *    where it stands: RECORD_FIELD_t, then _items, _values, _bN inside;
 *  - enum constants are the upper-case C name, '_', the symbol upper-cased
 *    (kept as written when upper-casing would make two alike);
 *  - a field whose name is a C keyword gets a trailing '_'.
 *  Two types whose C names collide are an error (use --prefix and
 *  separate runs).
 */
#ifndef KAVRO_GEN_H
#define KAVRO_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <kavro.h>
#include <kavro/typed.h>

typedef struct gen_type_s gen_type_t;

typedef struct gen_field_s {
  char *name;           /* Avro name */
  char *cname;          /* C member name */
  gen_type_t *type;
  char *doc;
} gen_field_t;

struct gen_type_s {
  kavro_type_t type;
  bool decimal;         /* bytes with a valid decimal logical type */
  int scale;
  const char *logical;  /* logicalType as written, NULL none (comments) */
  char *fullname;       /* named types */
  char *space;          /* its namespace, NULL for the null one */
  char *doc;
  json_t *def;          /* named types: the definition as written;
                           an unnamed root: the whole schema */
  gen_field_t *fields;
  size_t field_count;
  char **symbols;
  size_t symbol_count;
  char **symbol_cnames; /* enum constants */
  size_t size;          /* fixed */
  gen_type_t *items;    /* array items, map values */
  gen_type_t **branches;
  size_t branch_count;

  char *cname;          /* named types: prefix + snake name; arrays,
                           maps, unions: their helper type's base */
  bool emitted;         /* header: its definition is written */
};

/* A type with the full API: every record, and every root. */
typedef struct gen_top_s {
  char *cname;          /* NAME of NAME_t, NAME_encode() ... */
  gen_type_t *type;
  bool alias;           /* a root that is not a record: NAME_t is a typedef */
  char *schema_text;    /* the type as a self-contained schema */
  uint64_t rabin;
} gen_top_t;

typedef struct gen_root_s {
  gen_type_t *type;
  char *name;           /* --name, for a root that is not a record */
  char *topic, *subject, *key, *file;  /* catalog entries; may be NULL */
  size_t top;           /* its index in tops */
} gen_root_t;

typedef struct gen_s {
  char *prefix;         /* "" or "acme_" */
  char *upper_prefix;
  gen_type_t **types;   /* every node, owned */
  size_t type_count, type_capacity;
  gen_type_t **named;   /* named types in definition order */
  size_t named_count, named_capacity;
  gen_root_t *roots;
  size_t root_count, root_capacity;
  gen_top_t *tops;
  size_t top_count;
  char **sources;       /* texts already walked (their source names) */
  size_t source_count, source_capacity;
} gen_t;

/* A model with C names starting with @prefix.  NULL when out of memory. */
gen_t *gen_new(const char *prefix);
void gen_free(gen_t *g);

/* Walk the schema @text (already valid for the library) and add its named
 * types; @source names it and makes a second walk of it a no-op.  Stores
 * its root in @root (may be NULL).  Returns false with a message on
 * stderr. */
bool gen_add_schema(gen_t *g, const char *text, const char *source,
                    gen_type_t **root);

/* Make @type a root: it gets the full API; a non-record is named
 * @name.  @topic, @subject, @key, @file are copied (each may be NULL). */
bool gen_add_root(gen_t *g, gen_type_t *type, const char *name,
                  const char *topic, const char *subject, const char *key,
                  const char *file);

/* Name everything, give every top type its self-contained schema text and
 * fingerprint, check names and key templates.  false with a message. */
bool gen_finish(gen_t *g);

/* The self-contained schema text of @type (a new string). */
char *gen_schema_text(gen_t *g, gen_type_t *type);

/* ---- emitters ------------------------------------------------------------ */

/* Helpers shared by the emitters (gen_emit.c). */
void gen_indent(FILE *out, int level);
/* @s as a C string literal. */
void gen_c_string(FILE *out, const char *s);
/* "unsigned int" and friends: the C type of a member of type @t. */
const char *gen_c_type(const gen_type_t *t, char *buf, size_t size);
/* A union of two branches, one of them null; stores the other's index. */
bool gen_is_nullable(const gen_type_t *t, size_t *value_branch);
/* Does a nullable field of this union keep its value behind a pointer? */
bool gen_nullable_is_pointer(const gen_type_t *t);
/* The member name of union branch @i and its tag constant. */
void gen_branch_member(const gen_type_t *u, size_t i, char *buf, size_t size);
void gen_branch_tag(const gen_type_t *u, size_t i, char *buf, size_t size);
/* The type as JSON names it in a union: full name or type name. */
const char *gen_branch_label(const gen_type_t *t);
/* Can record @record hold itself (a value of it may nest without end)? */
bool gen_is_recursive(const gen_type_t *record);
/* Can a datum of @t take zero bytes? */
bool gen_may_be_empty(const gen_type_t *t);

/* Write NAME.h and NAME.c (gen_header.c, gen_source.c). */
bool gen_write_header(gen_t *g, FILE *out, const char *base);
bool gen_write_source(gen_t *g, FILE *out, const char *base);

/* Code for one value (gen_code.c): @e (and @e2) are C lvalues of @t's
 * C type; @depth keeps temporaries unique; @level is the indentation. */
void gen_emit_write(FILE *out, const gen_type_t *t, const char *e, int depth,
                    int level);
void gen_emit_read(FILE *out, const gen_type_t *t, const char *e, int depth,
                   int level);
void gen_emit_equal(FILE *out, const gen_type_t *t, const char *a,
                    const char *b, int depth, int level);
void gen_emit_json(FILE *out, const gen_type_t *t, const char *e, int depth,
                   int level);
/* The bodies of a record's functions: v (a, b) point at the record. */
void gen_emit_record_write(FILE *out, const gen_type_t *t);
void gen_emit_record_read(FILE *out, const gen_type_t *t);
void gen_emit_record_equal(FILE *out, const gen_type_t *t);
void gen_emit_record_json(FILE *out, const gen_type_t *t);
/* Check @root's key template against its record (gen_code.c). */
bool gen_check_key(const gen_root_t *root);
/* The partition-key function body for root @root. */
bool gen_emit_key(FILE *out, const gen_root_t *root, int level);

#endif /* KAVRO_GEN_H */
