/*
 * sr-compat - GitLab's Code Quality report (artifacts:reports:codequality):
 * a JSON array of issues, each {description, check_name, fingerprint,
 * severity, location: {path, lines: {begin}}}, that GitLab shows in the
 * merge request widget and beside the changed lines.
 *
 * The path is relative to the top of the repository, as GitLab wants it.
 * The fingerprint identifies an issue across pipelines, so it is made of
 * what stays when the file around the finding changes (path, subject,
 * kind, JSON pointer, message), not of the line; identical issues get a
 * counter so that fingerprints stay unique within the report.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "report.h"
#include "util.h"

typedef struct issue_s {
  const char *check_name;
  const char *severity;   /* info, minor, major, critical, blocker */
  const char *pointer;    /* for the fingerprint; "" when none */
  const char *description;
  int line;
} issue_t;

static json_t *text_value(const char *s) {
  char *redacted = sc_printable(s, KAVRO_TEXT_REDACT_URLS);
  char *clean = sc_utf8_clean(redacted);
  json_t *value = sc_xjson(json_string(clean));
  free(clean);
  free(redacted);
  return value;
}

static void set(json_t *obj, const char *key, json_t *value) {
  if (json_object_set_new(obj, key, value) != 0)
    sc_xjson(NULL);
}

/* Hex SHA-256 of the issue's stable parts, NUL-separated, and its
 * occurrence number among identical ones. */
static char *fingerprint(const char *path, const sc_unit_t *unit,
                         const issue_t *issue, size_t occurrence) {
  char *key = NULL;
  size_t length = 0;
  FILE *f = open_memstream(&key, &length);
  if (!f)
    sc_out_of_memory();
  const char *parts[] = {path, unit->subject ? unit->subject : "",
                         issue->check_name, issue->pointer, issue->description};
  for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
    fputs(parts[i], f);
    fputc('\0', f);
  }
  fprintf(f, "%zu", occurrence);
  if (fclose(f) != 0 || !key)
    sc_out_of_memory();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!EVP_Digest(key, length, digest, &size, EVP_sha256(), NULL))
    sc_out_of_memory();
  free(key);
  char *hex = sc_xmalloc(2 * size + 1);
  for (unsigned int i = 0; i < size; i++)
    sprintf(hex + 2 * i, "%02x", digest[i]);
  return hex;
}

/* How many issues already in @issues have the fingerprint @hex. */
static size_t seen(json_t *issues, const char *prefix_hex) {
  size_t n = 0, i;
  json_t *issue;
  json_array_foreach(issues, i, issue) {
    const char *base = json_string_value(json_object_get(issue, "_key"));
    n += base && strcmp(base, prefix_hex) == 0;
  }
  return n;
}

static void add_issue(json_t *issues, const sc_unit_t *unit,
                      const issue_t *issue) {
  const char *path = unit->annotation_file ? unit->annotation_file : unit->file;
  char *base = fingerprint(path, unit, issue, 0);
  size_t occurrence = seen(issues, base);
  char *print = occurrence ? fingerprint(path, unit, issue, occurrence)
                           : sc_xstrdup(base);
  json_t *obj = sc_xjson(json_object());
  set(obj, "description", text_value(issue->description));
  set(obj, "check_name", text_value(issue->check_name));
  set(obj, "fingerprint", sc_xjson(json_string(print)));
  set(obj, "severity", sc_xjson(json_string(issue->severity)));
  json_t *lines = sc_xjson(json_object());
  set(lines, "begin", sc_xjson(json_integer(issue->line > 0 ? issue->line : 1)));
  json_t *location = sc_xjson(json_object());
  set(location, "path", text_value(path));
  set(location, "lines", lines);
  set(obj, "location", location);
  /* Only for counting duplicates while the report is built. */
  set(obj, "_key", sc_xjson(json_string(base)));
  if (json_array_append_new(issues, obj) != 0)
    sc_xjson(NULL);
  free(print);
  free(base);
}

static void add_finding(json_t *issues, const sc_unit_t *unit,
                        const sc_finding_t *f) {
  char *context = sc_finding_context(unit, f);
  char *description = sc_xasprintf("%s: %s (%s)", f->kind, f->message, context);
  issue_t issue = {f->kind,
                   f->severity == SC_SEVERITY_ERROR ? "major" : "minor",
                   f->pointer ? f->pointer : "", description, f->line};
  add_issue(issues, unit, &issue);
  free(description);
  free(context);
}

static void add_problem(json_t *issues, const sc_unit_t *unit) {
  const kavro_error_t *e = &unit->error;
  bool here = strcmp(e->source, unit->file) == 0;
  char *text = sc_error_text(e);
  issue_t issue = {unit->status == SC_STATUS_INVALID ? "invalid-schema"
                   : unit->status == SC_STATUS_FAIL  ? "incompatible"
                                                     : "error",
                   unit->status == SC_STATUS_FAIL ? "major" : "critical",
                   e->path, text, here ? e->line : 0};
  add_issue(issues, unit, &issue);
  free(text);
}

static void add_disagreement(json_t *issues, const sc_report_t *report,
                             const sc_unit_t *unit) {
  issue_t issue = {"registry-disagrees",
                   report->disagreement_fails ? "major" : "minor", "",
                   unit->registry_compatible
                       ? "the registry says compatible, kavro says incompatible"
                       : "the registry says incompatible, kavro says compatible",
                   0};
  add_issue(issues, unit, &issue);
}

void sc_format_gitlab(const sc_report_t *report, FILE *out) {
  json_t *issues = sc_xjson(json_array());
  for (size_t i = 0; i < report->unit_count; i++) {
    const sc_unit_t *unit = report->units[i];
    if (sc_unit_has_error(unit))
      add_problem(issues, unit);
    for (size_t k = 0; k < unit->finding_count; k++)
      add_finding(issues, unit, &unit->findings[k]);
    if (unit->confirm == SC_CONFIRM_DISAGREE)
      add_disagreement(issues, report, unit);
  }
  size_t i;
  json_t *issue;
  json_array_foreach(issues, i, issue) json_object_del(issue, "_key");
  json_dumpf(issues, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', out);
  json_decref(issues);
}
