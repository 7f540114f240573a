/*
 * kavro tests - a reader for the protobuf text format subset cel-spec's
 * conformance files use: fields with scalar values (numbers, identifiers,
 * quoted strings, adjacent strings joined), messages in braces, extension
 * and Any names in brackets, comments, optional separators.
 */
#ifndef KAVRO_TESTS_CEL_TEXTPROTO_H
#define KAVRO_TESTS_CEL_TEXTPROTO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tp_node_s {
  char *name;
  char *scalar;       /* NULL for a message; decoded text of a string */
  size_t scalar_len;
  bool quoted;        /* the scalar was a quoted string */
  struct tp_node_s **kids;
  size_t nkids;
} tp_node_t;

/* Parse @text; NULL with @err set when it is malformed. */
tp_node_t *tp_parse(const char *text, char *err, size_t err_size);
void tp_free(tp_node_t *node);
/* The first child named @name, NULL when none. */
const tp_node_t *tp_get(const tp_node_t *node, const char *name);

#endif /* KAVRO_TESTS_CEL_TEXTPROTO_H */
