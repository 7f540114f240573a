/*
 * sr-compat - the configuration file, sr-compat.json or .sr-compat.yaml:
 * which findings a repository has decided to live with.  Each ignore rule
 * names a finding kind (an incompatibility kind as the compat part names
 * it, or a lint rule id), a path glob and/or a subject glob, with an
 * optional reason shown wherever the ignored finding is reported.
 *
 *   {"ignore": [{"kind": "TYPE_MISMATCH", "path": "avro/legacy",
 *                "subject": "legacy-*", "reason": "replayed from S3 only"}]}
 *
 * or in YAML (read into the same value, config_yaml.h):
 *
 *   ignore:
 *     - {kind: TYPE_MISMATCH, path: avro/legacy, subject: legacy-*,
 *        reason: replayed from S3 only}
 *
 * Found at the top of the git work tree that holds the current directory
 * (else in the current directory), or given with --config.
 */
#ifndef SR_COMPAT_CONFIG_FILE_H
#define SR_COMPAT_CONFIG_FILE_H

#include <stddef.h>

#include <kavro.h>

#include "report.h"

typedef struct sc_ignore_rule_s {
  char *kind;     /* exact kind or rule id, NULL: any */
  char *path;     /* fnmatch(3) glob on the path relative to the
                     configuration's directory, NULL: any */
  char *subject;  /* fnmatch(3) glob on the subject, NULL: any */
  char *reason;   /* NULL when none given */
} sc_ignore_rule_t;

typedef struct sc_config_s {
  char *path;              /* as shown */
  char *base;              /* canonical directory holding it */
  sc_ignore_rule_t *rules;
  size_t rule_count;
} sc_config_t;

/* The default configuration of a run from @cwd (canonical) into @path:
 * sr-compat.json, .sr-compat.yaml or .sr-compat.yml at the top of the work
 * tree, or in @cwd outside one, as shown from @cwd; NULL when there is
 * none.  More than one of them is an error naming each.  Free @path. */
kavro_err_t sc_config_default(const char *cwd, char **path,
                              kavro_error_t *error);

/* Read and check the configuration at @path: YAML when its name ends in
 * .yaml or .yml, else JSON.  Unknown members, wrong types, a rule that
 * matches everything and an unknown kind are errors that name the file
 * and the JSON pointer (and, in YAML, the line and column).  NULL (with
 * @error) on failure. */
sc_config_t *sc_config_load(const char *path, kavro_error_t *error);

void sc_config_destroy(sc_config_t *config);

/* Move every finding of @report that a rule of @config matches to its
 * unit's ignored findings; a unit that failed only on ignored findings
 * passes. */
void sc_config_apply(const sc_config_t *config, sc_report_t *report);

#endif /* SR_COMPAT_CONFIG_FILE_H */
