/*
 * kavro - schema contexts as the Confluent Schema Registry names them,
 * shared by the registry client, the mock registry and the serializers.
 *
 * A qualified subject ":.ctx:name" lives in context ".ctx"; ":.:name" and
 * an unqualified "name" live in the default context ".".  A subject that
 * is only a context, ":.ctx:", stands for the context itself (its
 * configuration and mode).
 */
#ifndef KAVRO_CONTEXT_INT_H
#define KAVRO_CONTEXT_INT_H

#include <stdbool.h>
#include <stddef.h>

/* The default context. */
#define KV_DEFAULT_CONTEXT "."

/* A subject taken apart: the context (".ctx", or "." for the default
 * one; not NUL-terminated, @context_length bytes) and the subject within
 * it (a suffix of the text given). */
typedef struct kv_subject_parts_s {
  const char *context;
  size_t context_length;
  const char *name;
} kv_subject_parts_t;

/* Split @subject (not NULL) as the registry's QualifiedSubject does. */
void kv_subject_split(const char *subject, kv_subject_parts_t *parts);

/* Whether @subject names a context other than the default one. */
bool kv_subject_in_context(const char *subject);

/* The subject prefix of the context @context as Confluent's clients
 * normalise it: "ctx", ".ctx", ":.ctx" and ":.ctx:" all give ":.ctx:",
 * "." and "" give "" (the default context).  Writes into @out (@size
 * bytes); false when @context holds a ':' inside its name or does not
 * fit. */
bool kv_context_prefix(const char *context, char *out, size_t size);

#endif /* KAVRO_CONTEXT_INT_H */
