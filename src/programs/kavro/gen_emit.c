/*
 * kavro gen - what the emitters share: C types of members, union
 * branches, string literals.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "gen_util.h"

void gen_indent(FILE *out, int level) {
  for (int i = 0; i < level; i++)
    fputs("  ", out);
}

void gen_c_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", out);
    else if (*p < 0x20 || *p >= 0x7f || *p == '?')
      /* octal, which, unlike \x, cannot swallow the digits after it */
      fprintf(out, "\\%03o", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

const char *gen_c_type(const gen_type_t *t, char *buf, size_t size) {
  switch (t->type) {
  case KAVRO_NULL:
    return "uint8_t";
  case KAVRO_BOOLEAN:
    return "bool";
  case KAVRO_INT:
    return "int32_t";
  case KAVRO_LONG:
    return "int64_t";
  case KAVRO_FLOAT:
    return "float";
  case KAVRO_DOUBLE:
    return "double";
  case KAVRO_BYTES:
    return t->decimal ? "kavro_decimal_t" : "kavro_bytes_t";
  case KAVRO_STRING:
    return "kavro_str_t";
  default:
    snprintf(buf, size, "%s_t", t->cname);
    return buf;
  }
}

bool gen_is_nullable(const gen_type_t *t, size_t *value_branch) {
  if (t->type != KAVRO_UNION || t->branch_count != 2)
    return false;
  for (size_t i = 0; i < 2; i++)
    if (t->branches[i]->type == KAVRO_NULL &&
        t->branches[1 - i]->type != KAVRO_NULL) {
      *value_branch = 1 - i;
      return true;
    }
  return false;
}

bool gen_nullable_is_pointer(const gen_type_t *t) {
  size_t v;
  return gen_is_nullable(t, &v) && t->branches[v]->type == KAVRO_RECORD;
}

static const char *short_name(const gen_type_t *t) {
  const char *dot = strrchr(t->fullname, '.');
  return dot ? dot + 1 : t->fullname;
}

void gen_branch_member(const gen_type_t *u, size_t i, char *buf, size_t size) {
  const gen_type_t *b = u->branches[i];
  if (b->fullname) {
    char *snake = gen_snake(short_name(b));
    snprintf(buf, size, "%s", snake);
    free(snake);
  } else {
    snprintf(buf, size, "%s_value", kavro_type_name(b->type));
  }
}

void gen_branch_tag(const gen_type_t *u, size_t i, char *buf, size_t size) {
  const gen_type_t *b = u->branches[i];
  char *label = b->fullname ? gen_snake(short_name(b))
                            : gen_xstrdup(kavro_type_name(b->type));
  char *upper = gen_upper(label);
  char *base = gen_upper(u->cname);
  snprintf(buf, size, "%s_%s", base, upper);
  free(base);
  free(upper);
  free(label);
}

const char *gen_branch_label(const gen_type_t *t) {
  return t->fullname ? t->fullname : kavro_type_name(t->type);
}

bool gen_may_be_empty(const gen_type_t *t) {
  switch (t->type) {
  case KAVRO_NULL:
    return true;
  case KAVRO_FIXED:
    return t->size == 0;
  case KAVRO_RECORD:
    for (size_t i = 0; i < t->field_count; i++)
      if (!gen_may_be_empty(t->fields[i].type))
        return false;
    return true;
  default:
    return false;
  }
}

/* Can @t reach @target through the types it holds?  @seen holds the
 * records already searched (@count of them, room for @capacity). */
static bool reaches(const gen_type_t *t, const gen_type_t *target,
                    const gen_type_t **seen, size_t *count, size_t capacity) {
  switch (t->type) {
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    return reaches(t->items, target, seen, count, capacity);
  case KAVRO_UNION:
    for (size_t i = 0; i < t->branch_count; i++)
      if (reaches(t->branches[i], target, seen, count, capacity))
        return true;
    return false;
  case KAVRO_RECORD:
    if (t == target)
      return true;
    for (size_t i = 0; i < *count; i++)
      if (seen[i] == t)
        return false;
    if (*count == capacity)
      return true;   /* too many to search: assume it may nest */
    seen[(*count)++] = t;
    for (size_t i = 0; i < t->field_count; i++)
      if (reaches(t->fields[i].type, target, seen, count, capacity))
        return true;
    return false;
  default:
    return false;
  }
}

bool gen_is_recursive(const gen_type_t *record) {
  const gen_type_t *seen[256];
  size_t count = 0;
  for (size_t i = 0; i < record->field_count; i++)
    if (reaches(record->fields[i].type, record, seen, &count, 256))
      return true;
  return false;
}
