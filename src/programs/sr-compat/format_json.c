/*
 * sr-compat - the JSON format, for machines.  The fields are a stable
 * interface, documented in doc/sr-compat.md; "format_version" changes when
 * a field changes meaning or goes away (adding fields does not change it).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "util.h"

#define FORMAT_VERSION 1

static json_t *string_or_null(const char *s) {
  if (!s)
    return json_null();
  /* JSON escapes control characters itself; URLs it cannot help. */
  char *redacted = sc_printable(s, KAVRO_TEXT_REDACT_URLS);
  char *clean = sc_utf8_clean(redacted);
  json_t *value = sc_xjson(json_string(clean));
  free(clean);
  free(redacted);
  return value;
}

/* A 1-based position, or null when unknown. */
static json_t *position(int value) {
  return value > 0 ? sc_xjson(json_integer(value)) : json_null();
}

static void set(json_t *obj, const char *key, json_t *value) {
  if (json_object_set_new(obj, key, value) != 0)
    sc_xjson(NULL);
}

static json_t *error_object(const sc_unit_t *unit) {
  if (!sc_unit_has_error(unit))
    return json_null();
  const kavro_error_t *e = &unit->error;
  json_t *obj = sc_xjson(json_object());
  set(obj, "code", string_or_null(kavro_err2name(e->code)));
  set(obj, "source", string_or_null(e->source[0] ? e->source : unit->file));
  set(obj, "line", position(e->line));
  set(obj, "column", position(e->column));
  set(obj, "pointer", string_or_null(e->path[0] ? e->path : NULL));
  set(obj, "message", string_or_null(e->text));
  return obj;
}

static json_t *finding_object(const sc_unit_t *unit, const sc_finding_t *f) {
  json_t *obj = sc_xjson(json_object());
  set(obj, "kind", string_or_null(f->kind));
  set(obj, "severity", string_or_null(f->severity == SC_SEVERITY_ERROR
                                          ? "error" : "warning"));
  set(obj, "message", string_or_null(f->message));
  set(obj, "pointer", string_or_null(f->pointer));
  set(obj, "line", position(f->line));
  set(obj, "column", position(f->column));
  if (f->role == SC_ROLE_NONE) {
    set(obj, "fix", string_or_null(f->fix));
    return obj;
  }
  set(obj, "role", string_or_null(sc_role_name(f->role)));
  set(obj, "reader_location", string_or_null(f->reader_location));
  set(obj, "writer_location", string_or_null(f->writer_location));
  set(obj, "previous_index", sc_xjson(json_integer((json_int_t)f->previous_index)));
  set(obj, "previous", string_or_null(unit->previous[f->previous_index]));
  return obj;
}

/* A finding the configuration ignores: the finding, and which rule
 * ignored it for what reason. */
static json_t *ignored_object(const sc_unit_t *unit, const sc_finding_t *f) {
  json_t *obj = finding_object(unit, f);
  set(obj, "rule", string_or_null(f->ignore_rule));
  set(obj, "reason", string_or_null(f->ignore_reason));
  return obj;
}

/* check --confirm: the registry's verdict beside the local one. */
static json_t *confirmation_object(const sc_unit_t *unit) {
  if (unit->confirm == SC_CONFIRM_NONE)
    return json_null();
  json_t *obj = sc_xjson(json_object());
  set(obj, "verdict", string_or_null(sc_confirm_name(unit->confirm)));
  set(obj, "compatible", unit->confirm == SC_CONFIRM_SKIPPED
                             ? json_null()
                             : json_boolean(unit->registry_compatible));
  json_t *messages = sc_xjson(json_array());
  for (size_t i = 0; i < unit->registry_message_count; i++)
    if (json_array_append_new(messages,
                              string_or_null(unit->registry_messages[i])))
      sc_xjson(NULL);
  set(obj, "messages", messages);
  set(obj, "note", string_or_null(unit->confirm_note));
  return obj;
}

/* register: the subject, version and id the schema has. */
static void registered_members(json_t *obj, const sc_unit_t *unit) {
  set(obj, "topic", string_or_null(unit->topic));
  set(obj, "subject", string_or_null(unit->subject));
  set(obj, "version", unit->version > 0 ? sc_xjson(json_integer(unit->version))
                                        : json_null());
  set(obj, "id", unit->id > 0 ? sc_xjson(json_integer(unit->id)) : json_null());
}

static json_t *unit_object(const sc_report_t *report, const sc_unit_t *unit) {
  json_t *obj = sc_xjson(json_object());
  set(obj, "file", string_or_null(unit->file));
  set(obj, "status", string_or_null(sc_status_name(report, unit->status)));
  if (unit->level) {
    set(obj, "topic", string_or_null(unit->topic));
    set(obj, "subject", string_or_null(unit->subject));
    set(obj, "level", string_or_null(unit->level));
    set(obj, "against", string_or_null(unit->against));
    json_t *previous = sc_xjson(json_array());
    for (size_t i = 0; i < unit->previous_count; i++)
      if (json_array_append_new(previous, string_or_null(unit->previous[i])))
        sc_xjson(NULL);
    set(obj, "previous", previous);
    if (report->registry)
      set(obj, "registry", confirmation_object(unit));
  }
  if (strcmp(report->command, "register") == 0)
    registered_members(obj, unit);
  set(obj, "error", error_object(unit));
  json_t *findings = sc_xjson(json_array());
  for (size_t i = 0; i < unit->finding_count; i++)
    if (json_array_append_new(findings, finding_object(unit, &unit->findings[i])))
      sc_xjson(NULL);
  set(obj, "findings", findings);
  json_t *ignored = sc_xjson(json_array());
  for (size_t i = 0; i < unit->ignored_count; i++)
    if (json_array_append_new(ignored, ignored_object(unit, &unit->ignored[i])))
      sc_xjson(NULL);
  set(obj, "ignored", ignored);
  return obj;
}

static json_t *summary_object(const sc_report_t *report) {
  size_t counts[SC_STATUS_COUNT];
  sc_report_count(report, counts);
  bool lint = strcmp(report->command, "lint") == 0;
  json_t *obj = sc_xjson(json_object());
  set(obj, "total", sc_xjson(json_integer((json_int_t)report->unit_count)));
  for (int s = 0; s < SC_STATUS_COUNT; s++)
    if (!(lint && s == SC_STATUS_NEW))
      set(obj, sc_status_name(report, (sc_status_t)s),
          sc_xjson(json_integer((json_int_t)counts[s])));
  if (report->registry && strcmp(report->command, "check") == 0)
    set(obj, "disagreements",
        sc_xjson(json_integer((json_int_t)sc_report_disagreements(report))));
  return obj;
}

void sc_format_json(const sc_report_t *report, FILE *out) {
  json_t *root = sc_xjson(json_object());
  set(root, "tool", string_or_null("sr-compat"));
  set(root, "format_version", sc_xjson(json_integer(FORMAT_VERSION)));
  set(root, "command", string_or_null(report->command));
  set(root, "exit_code", sc_xjson(json_integer(sc_report_exit_code(report))));
  if (report->registry)
    set(root, "registry", string_or_null(report->registry));
  set(root, "config", string_or_null(report->config));
  if (strcmp(report->command, "register") == 0)
    set(root, "dry_run", json_boolean(report->dry_run));
  set(root, "summary", summary_object(report));
  json_t *results = sc_xjson(json_array());
  for (size_t i = 0; i < report->unit_count; i++)
    if (json_array_append_new(results, unit_object(report, report->units[i])))
      sc_xjson(NULL);
  set(root, "results", results);
  json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', out);
  json_decref(root);
}
