/*
 * sr-compat - the YAML configuration file (see config_yaml.h).
 *
 * libyaml's event API, read by recursive descent: each node becomes the
 * jansson value the same text written as JSON would parse to.  libyaml's
 * own document API would first build a second tree, anchors and tags
 * resolved, only for this walk to refuse them.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config_yaml.h"
#include "util.h"

/* The configuration needs three levels; the bound keeps the descent's
 * stack small whatever the file holds. */
#define MAX_DEPTH 64

/* YAML 1.2's core schema for plain scalars that are numbers (10.3.2).
 * YAML 1.1's wider rules (yes, no, on, off, 1_000, 60:00) are left out on
 * purpose: a reason or a subject spelled "no" or "1_000" stays text. */
enum { NUM_DECIMAL, NUM_OCTAL, NUM_HEX, NUM_FLOAT, NUM_NOT_FINITE, NUM_COUNT };
static const char *const number_patterns[NUM_COUNT] = {
    [NUM_DECIMAL] = "^[-+]?[0-9]+$",
    [NUM_OCTAL] = "^0o[0-7]+$",
    [NUM_HEX] = "^0x[0-9a-fA-F]+$",
    [NUM_FLOAT] = "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$",
    [NUM_NOT_FINITE] = "^([-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
};

typedef struct reader_s {
  yaml_parser_t parser;
  const char *text;     /* the whole file, for positions of reader errors */
  const char *source;   /* the file, as errors name it */
  kavro_error_t *error;
  json_t *positions;    /* JSON pointer -> [line, column] */
  regex_t numbers[NUM_COUNT];
} reader_t;

/* An error at @line and @column (1-based; 0: unknown).  Returns NULL,
 * what the readers below return on failure. */
static void *fail_at(reader_t *r, size_t line, size_t column, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
static void *fail_at(reader_t *r, size_t line, size_t column, const char *fmt,
                     ...) {
  char text[KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  sc_fail(r->error, KAVRO_ERR_INVALID_ARG, r->source, "%s", text);
  r->error->line = (int)line;
  r->error->column = (int)column;
  return NULL;
}

/* An error at libyaml's @mark (0-based). */
#define FAIL_AT_MARK(r, mark, ...)                                            \
  fail_at((r), (mark).line + 1, (mark).column + 1, __VA_ARGS__)

/* libyaml's own error: a malformed stream.  Reader errors (bad encoding)
 * carry a byte offset rather than a mark: counted into a line here. */
static void *syntax_error(reader_t *r) {
  const yaml_parser_t *p = &r->parser;
  if (p->error == YAML_MEMORY_ERROR)
    sc_out_of_memory();
  if (p->error == YAML_READER_ERROR) {
    size_t line = 1, start = 0;
    for (size_t i = 0; i < p->problem_offset && r->text[i]; i++)
      if (r->text[i] == '\n') {
        line++;
        start = i + 1;
      }
    return fail_at(r, line, p->problem_offset - start + 1,
                   "invalid YAML: %s", p->problem);
  }
  if (p->context)
    return FAIL_AT_MARK(r, p->problem_mark, "invalid YAML: %s (%s at %zu:%zu)",
                        p->problem, p->context, p->context_mark.line + 1,
                        p->context_mark.column + 1);
  return FAIL_AT_MARK(r, p->problem_mark, "invalid YAML: %s",
                      p->problem ? p->problem : "cannot parse");
}

static bool next_event(reader_t *r, yaml_event_t *event) {
  if (yaml_parser_parse(&r->parser, event))
    return true;
  syntax_error(r);
  return false;
}

static void note_position(reader_t *r, const char *pointer, yaml_mark_t mark) {
  json_object_set_new(r->positions, pointer,
                      sc_xjson(json_pack("[II]", (json_int_t)mark.line + 1,
                                         (json_int_t)mark.column + 1)));
}

/* Is @event's node free of what the JSON file cannot say?  Anchors and
 * aliases make one value stand for another (and let a small file expand
 * without bound); tags retype a value behind the reader's back. */
static bool plain_node(reader_t *r, const yaml_event_t *event) {
  const yaml_char_t *anchor = NULL;
  const yaml_char_t *tag = NULL;
  switch (event->type) {
  case YAML_ALIAS_EVENT:
    FAIL_AT_MARK(r, event->start_mark,
                 "an alias (*%s): anchors and aliases are not supported, "
                 "write the value out", (const char *)event->data.alias.anchor);
    return false;
  case YAML_SCALAR_EVENT:
    anchor = event->data.scalar.anchor;
    tag = event->data.scalar.tag;
    break;
  case YAML_SEQUENCE_START_EVENT:
    anchor = event->data.sequence_start.anchor;
    tag = event->data.sequence_start.tag;
    break;
  case YAML_MAPPING_START_EVENT:
    anchor = event->data.mapping_start.anchor;
    tag = event->data.mapping_start.tag;
    break;
  default:
    break;
  }
  if (anchor) {
    FAIL_AT_MARK(r, event->start_mark,
                 "an anchor (&%s): anchors and aliases are not supported, "
                 "write the value out", (const char *)anchor);
    return false;
  }
  if (tag) {
    FAIL_AT_MARK(r, event->start_mark,
                 "a tag (%s): tags are not supported, a scalar's type is "
                 "how it is written (quote a string)", (const char *)tag);
    return false;
  }
  return true;
}

static bool matches(const reader_t *r, int pattern, const char *text) {
  return regexec(&r->numbers[pattern], text, 0, NULL, 0) == 0;
}

/* A plain scalar that reads as an integer: decimal, 0o octal or 0x hex. */
static json_t *integer(reader_t *r, const yaml_event_t *event,
                       const char *digits, int base) {
  errno = 0;
  long long value = strtoll(digits, NULL, base);
  if (errno == ERANGE)
    return FAIL_AT_MARK(r, event->start_mark,
                        "integer %s out of range (64 bits)",
                        (const char *)event->data.scalar.value);
  return sc_xjson(json_integer((json_int_t)value));
}

/* A plain scalar: typed by the core schema, else a string. */
static json_t *plain_scalar(reader_t *r, const yaml_event_t *event,
                            const char *text) {
  static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
  static const char *const trues[] = {"true", "True", "TRUE", NULL};
  static const char *const falses[] = {"false", "False", "FALSE", NULL};
  if (sc_str_in(text, nulls))
    return json_null();
  if (sc_str_in(text, trues))
    return json_true();
  if (sc_str_in(text, falses))
    return json_false();
  if (matches(r, NUM_DECIMAL, text))
    return integer(r, event, text, 10);
  if (matches(r, NUM_OCTAL, text))
    return integer(r, event, text + 2, 8);
  if (matches(r, NUM_HEX, text))
    return integer(r, event, text + 2, 16);
  bool finite_form = matches(r, NUM_FLOAT, text);
  if (!finite_form && !matches(r, NUM_NOT_FINITE, text))
    return NULL; /* a string */
  /* strtod() reads the point as the C locale does, which sr-compat keeps. */
  double value = finite_form ? strtod(text, NULL) : NAN;
  if (isfinite(value))
    return sc_xjson(json_real(value));
  return FAIL_AT_MARK(r, event->start_mark,
                      "%s is not a finite number, which JSON cannot hold",
                      text);
}

/* The text of scalar @event, refused when it holds a NUL (which no C
 * string, and no JSON file sr-compat reads, can carry).  Borrowed. */
static const char *scalar_text(reader_t *r, const yaml_event_t *event) {
  const char *text = (const char *)event->data.scalar.value;
  if (memchr(text, '\0', event->data.scalar.length))
    return FAIL_AT_MARK(r, event->start_mark,
                        "a string with a NUL character (\\0)");
  return text;
}

static json_t *scalar(reader_t *r, const yaml_event_t *event) {
  const char *text = scalar_text(r, event);
  if (!text)
    return NULL;
  if (event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
    json_t *typed = plain_scalar(r, event, text);
    if (typed || r->error->code != KAVRO_OK)
      return typed;
  }
  /* libyaml checks the encoding and refuses escapes of surrogates, so the
   * text is UTF-8; jansson checks again. */
  json_t *string = json_stringn(text, event->data.scalar.length);
  if (!string)
    return FAIL_AT_MARK(r, event->start_mark, "a string that is not UTF-8");
  return string;
}

static json_t *read_node(reader_t *r, const yaml_event_t *start,
                         const char *pointer, int depth);

/* The node the next event starts, at @pointer; its position noted there
 * as the event's, or as @mark when given (a member's key). */
static json_t *read_child(reader_t *r, const char *pointer, int depth,
                          const yaml_mark_t *mark) {
  yaml_event_t event;
  if (!next_event(r, &event))
    return NULL;
  note_position(r, pointer, mark ? *mark : event.start_mark);
  json_t *value = read_node(r, &event, pointer, depth);
  yaml_event_delete(&event);
  return value;
}

static json_t *read_sequence(reader_t *r, const char *pointer, int depth) {
  json_t *array = sc_xjson(json_array());
  for (size_t i = 0;; i++) {
    yaml_event_t event;
    if (!next_event(r, &event))
      break;
    if (event.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&event);
      return array;
    }
    char index[32];
    snprintf(index, sizeof(index), "%zu", i);
    char *child = sc_pointer_append(pointer, index);
    note_position(r, child, event.start_mark);
    json_t *value = read_node(r, &event, child, depth);
    free(child);
    yaml_event_delete(&event);
    if (!value)
      break;
    if (json_array_append_new(array, value) != 0)
      sc_out_of_memory();
  }
  json_decref(array);
  return NULL;
}

/* The key of a member of @object that @event holds, a new string, or NULL
 * with an error: keys are plain strings, each once. */
static char *mapping_key(reader_t *r, const yaml_event_t *event,
                         const json_t *object) {
  if (!plain_node(r, event))
    return NULL;
  if (event->type != YAML_SCALAR_EVENT)
    return FAIL_AT_MARK(r, event->start_mark,
                        "a key that is a %s: keys are strings",
                        event->type == YAML_MAPPING_START_EVENT ? "mapping"
                                                                : "sequence");
  const char *text = scalar_text(r, event);
  if (!text)
    return NULL;
  if (json_object_get(object, text))
    return FAIL_AT_MARK(r, event->start_mark, "duplicate key \"%s\"", text);
  return sc_xstrdup(text);
}

static json_t *read_mapping(reader_t *r, const char *pointer, int depth) {
  json_t *object = sc_xjson(json_object());
  for (;;) {
    yaml_event_t event;
    if (!next_event(r, &event))
      break;
    if (event.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&event);
      return object;
    }
    char *key = mapping_key(r, &event, object);
    yaml_mark_t at = event.start_mark;
    yaml_event_delete(&event);
    if (!key)
      break;
    /* A member's position is its key's: where a reader looks for it. */
    char *child = sc_pointer_append(pointer, key);
    json_t *value = read_child(r, child, depth, &at);
    free(child);
    if (value && json_object_set_new(object, key, value) != 0)
      value = FAIL_AT_MARK(r, at, "a key that is not UTF-8");
    free(key);
    if (!value)
      break;
  }
  json_decref(object);
  return NULL;
}

/* The node that @start begins, at @pointer, @depth collections down. */
static json_t *read_node(reader_t *r, const yaml_event_t *start,
                         const char *pointer, int depth) {
  if (!plain_node(r, start))
    return NULL;
  if (start->type == YAML_SCALAR_EVENT)
    return scalar(r, start);
  if (depth >= MAX_DEPTH)
    return FAIL_AT_MARK(r, start->start_mark, "nested deeper than %d levels",
                        MAX_DEPTH);
  if (start->type == YAML_SEQUENCE_START_EVENT)
    return read_sequence(r, pointer, depth + 1);
  return read_mapping(r, pointer, depth + 1);
}

/* Events of @type next, else an error that says what came instead. */
static bool expect(reader_t *r, yaml_event_type_t type, yaml_event_t *event) {
  if (!next_event(r, event))
    return false;
  if (event->type == type)
    return true;
  if (event->type == YAML_DOCUMENT_START_EVENT)
    FAIL_AT_MARK(r, event->start_mark, "a second document: the configuration "
                 "is one document (no --- after the first)");
  else if (event->type == YAML_STREAM_END_EVENT)
    FAIL_AT_MARK(r, event->start_mark, "no document: the configuration is a "
                 "mapping, such as \"ignore: []\"");
  else
    FAIL_AT_MARK(r, event->start_mark, "unexpected YAML event %d", event->type);
  yaml_event_delete(event);
  return false;
}

/* The stream: exactly one document, without %TAG directives. */
static json_t *read_stream(reader_t *r) {
  yaml_event_t event;
  if (!expect(r, YAML_STREAM_START_EVENT, &event))
    return NULL;
  yaml_event_delete(&event);
  if (!expect(r, YAML_DOCUMENT_START_EVENT, &event))
    return NULL;
  bool tags = event.data.document_start.tag_directives.start !=
              event.data.document_start.tag_directives.end;
  if (tags)
    FAIL_AT_MARK(r, event.start_mark, "a %%TAG directive: tags are not "
                 "supported");
  yaml_event_delete(&event);
  json_t *root = tags ? NULL : read_child(r, "", 0, NULL);
  if (!root)
    return NULL;
  if (expect(r, YAML_DOCUMENT_END_EVENT, &event)) {
    yaml_event_delete(&event);
    if (expect(r, YAML_STREAM_END_EVENT, &event)) {
      yaml_event_delete(&event);
      return root;
    }
  }
  json_decref(root);
  return NULL;
}

json_t *sc_yaml_load(const char *source, const char *text, size_t length,
                     json_t **positions, kavro_error_t *error) {
  kavro_error_t local;
  reader_t r = {.text = text, .source = source, .error = error ? error : &local};
  memset(r.error, 0, sizeof(*r.error));
  if (!yaml_parser_initialize(&r.parser))
    sc_out_of_memory();
  yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, length);
  /* Constant patterns: compiling fails only when memory runs out. */
  for (int i = 0; i < NUM_COUNT; i++)
    if (regcomp(&r.numbers[i], number_patterns[i], REG_EXTENDED | REG_NOSUB))
      sc_out_of_memory();
  r.positions = sc_xjson(json_object());
  json_t *root = read_stream(&r);
  for (int i = 0; i < NUM_COUNT; i++)
    regfree(&r.numbers[i]);
  yaml_parser_delete(&r.parser);
  if (!root) {
    json_decref(r.positions);
    r.positions = NULL;
  }
  *positions = r.positions;
  return root;
}
