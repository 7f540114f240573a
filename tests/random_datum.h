/*
 * kavro tests - a random datum of any schema, written in the canonical
 * binary encoding, to feed typed and generic codecs the same input.
 */
#ifndef KAVRO_RANDOM_DATUM_H
#define KAVRO_RANDOM_DATUM_H

#include <stdint.h>

#include "kavro.h"

/* Append to @out a datum of @schema drawn from the generator state
 * @state (advanced; the same state gives the same datum).  Collections
 * hold 0-3 items and unions of recursive types take their null branch
 * past a few levels, so that every datum is small.  Aborts the test when
 * @out cannot grow. */
void kt_random_datum(const kavro_schema_t *schema, kavro_buf_t *out,
                     uint32_t *state);

#endif /* KAVRO_RANDOM_DATUM_H */
