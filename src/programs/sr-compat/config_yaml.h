/*
 * sr-compat - the configuration file written in YAML (.sr-compat.yaml),
 * read with libyaml into the jansson value the JSON file parses to, so
 * that one set of checks (config_file.c) reads both.
 *
 * The YAML is JSON's data model written another way: mappings with string
 * keys, sequences and scalars.  Plain scalars are typed by YAML 1.2's core
 * schema (true/false, null/~, integers, floats; "no" and "on" stay
 * strings), quoted and block scalars are strings.  What has no JSON
 * equivalent, or hides one value behind another, is refused with its line
 * and column: anchors and aliases, tags, a key that is not a scalar, a
 * duplicate key, a second document.
 */
#ifndef SR_COMPAT_CONFIG_YAML_H
#define SR_COMPAT_CONFIG_YAML_H

#include <stddef.h>

#include <jansson.h>
#include <kavro.h>

/* The value of the YAML document in @text (@length bytes, read from
 * @source, the name errors give), or NULL with @error (the source, line
 * and column of the problem).  @positions receives a new object mapping
 * the JSON pointer of every node to its [line, column] (1-based; a
 * member's are those of its key), for errors found in the value later.
 * Both returned values are new references. */
json_t *sc_yaml_load(const char *source, const char *text, size_t length,
                     json_t **positions, kavro_error_t *error);

#endif /* SR_COMPAT_CONFIG_YAML_H */
