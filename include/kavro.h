/*
 * kavro - Avro over Kafka with the Confluent Schema Registry, for C.
 *
 * The umbrella header: include this one.  Each part has its own header
 * under kavro/, grouped as DESIGN.md lays the parts out.
 */
#ifndef KAVRO_H
#define KAVRO_H

#include <kavro/version.h>
#include <kavro/common.h>
#include <kavro/schema.h>
#include <kavro/logical.h>
#include <kavro/wire.h>
#include <kavro/codec.h>
#include <kavro/compat.h>
#include <kavro/conf.h>
#include <kavro/metrics.h>
#include <kavro/registry.h>
#include <kavro/serde.h>
#include <kavro/serializer.h>
#include <kavro/typed.h>
#include <kavro/rules.h>

#endif /* KAVRO_H */
