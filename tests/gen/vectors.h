/*
 * The generated types of the conformance vectors' schemas, per vector id
 * (made at build time by gen_vectors.c into the build tree).
 */
#ifndef KT_GEN_VECTORS_H
#define KT_GEN_VECTORS_H

#include <stddef.h>

#include <kavro/typed.h>

typedef struct kt_vector_types_s {
  const char *id;
  /* encoding: the schema's root in writer, reader NULL; resolution: both.
   * NULL where kavro gen refused the schema. */
  const kavro_typed_root_t *writer, *reader;
} kt_vector_types_t;

extern const kt_vector_types_t kt_vector_types[];
extern const size_t kt_vector_type_count;

#endif /* KT_GEN_VECTORS_H */
