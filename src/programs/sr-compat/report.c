/*
 * sr-compat - the report model (see report.h).
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

sc_report_t *sc_report_new(const char *command) {
  sc_report_t *report = sc_xcalloc(1, sizeof(*report));
  report->command = command;
  return report;
}

static void finding_free(sc_finding_t *f) {
  free(f->kind);
  free(f->message);
  free(f->fix);
  free(f->pointer);
  free(f->reader_location);
  free(f->writer_location);
  free(f->ignore_reason);
  free(f->ignore_rule);
}

static void unit_free(sc_unit_t *unit) {
  for (size_t i = 0; i < unit->finding_count; i++)
    finding_free(&unit->findings[i]);
  for (size_t i = 0; i < unit->ignored_count; i++)
    finding_free(&unit->ignored[i]);
  free(unit->ignored);
  free(unit->real);
  for (size_t i = 0; i < unit->previous_count; i++)
    free(unit->previous[i]);
  free(unit->previous);
  free(unit->findings);
  free(unit->file);
  free(unit->annotation_file);
  free(unit->topic);
  free(unit->subject);
  free(unit->against);
  for (size_t i = 0; i < unit->registry_message_count; i++)
    free(unit->registry_messages[i]);
  free(unit->registry_messages);
  free(unit->confirm_note);
  free(unit);
}

void sc_report_destroy(sc_report_t *report) {
  if (!report)
    return;
  for (size_t i = 0; i < report->unit_count; i++)
    unit_free(report->units[i]);
  free(report->units);
  free(report);
}

sc_unit_t *sc_report_add_unit(sc_report_t *report, const char *file) {
  sc_unit_t *unit = sc_xcalloc(1, sizeof(*unit));
  unit->file = sc_xstrdup(file);
  unit->status = SC_STATUS_PASS;
  SC_GROW(report->units, report->unit_count, report->unit_capacity);
  report->units[report->unit_count++] = unit;
  return unit;
}

sc_finding_t *sc_unit_add_finding(sc_unit_t *unit) {
  SC_GROW(unit->findings, unit->finding_count, unit->finding_capacity);
  sc_finding_t *f = &unit->findings[unit->finding_count++];
  memset(f, 0, sizeof(*f));
  return f;
}

void sc_unit_ignore_finding(sc_unit_t *unit, size_t index, const char *reason,
                            const char *rule) {
  sc_finding_t f = unit->findings[index];
  memmove(&unit->findings[index], &unit->findings[index + 1],
          (unit->finding_count - index - 1) * sizeof(f));
  unit->finding_count--;
  f.ignore_reason = reason ? sc_xstrdup(reason) : NULL;
  f.ignore_rule = sc_xstrdup(rule);
  SC_GROW(unit->ignored, unit->ignored_count, unit->ignored_capacity);
  unit->ignored[unit->ignored_count++] = f;
}

char *sc_finding_context(const sc_unit_t *unit, const sc_finding_t *f) {
  if (f->role == SC_ROLE_NONE)
    return sc_xasprintf("fix: %s", f->fix ? f->fix : "");
  const char *previous = unit->previous[f->previous_index];
  if (f->role == SC_ROLE_CANDIDATE_READS)
    return sc_xasprintf("the new schema reads data written with %s", previous);
  return sc_xasprintf("%s reads data written with the new schema", previous);
}

const char *sc_severity_name(sc_severity_t severity) {
  return severity == SC_SEVERITY_ERROR ? "error" : "warning";
}

void sc_unit_fail(sc_unit_t *unit, sc_status_t status,
                  const kavro_error_t *error) {
  unit->status = status;
  unit->error = *error;
}

bool sc_unit_has_error(const sc_unit_t *unit) {
  return unit->status == SC_STATUS_INVALID || unit->status == SC_STATUS_ERROR ||
         (unit->status == SC_STATUS_FAIL && unit->error.code != KAVRO_OK);
}

void sc_unit_add_registry_message(sc_unit_t *unit, const char *message) {
  size_t n = unit->registry_message_count;
  unit->registry_messages = sc_xrealloc(unit->registry_messages,
                                        (n + 1) * sizeof(char *));
  unit->registry_messages[n] = sc_xstrdup(message);
  unit->registry_message_count = n + 1;
}

const char *sc_confirm_name(sc_confirm_t confirm) {
  switch (confirm) {
  case SC_CONFIRM_AGREE:
    return "agrees";
  case SC_CONFIRM_DISAGREE:
    return "disagrees";
  case SC_CONFIRM_SKIPPED:
    return "skipped";
  default:
    return NULL;
  }
}

size_t sc_report_disagreements(const sc_report_t *report) {
  size_t n = 0;
  for (size_t i = 0; i < report->unit_count; i++)
    n += report->units[i]->confirm == SC_CONFIRM_DISAGREE;
  return n;
}

const char *sc_status_name(const sc_report_t *report, sc_status_t status) {
  static const char *const check[] = {"compatible", "new", "incompatible",
                                      "invalid", "error"};
  static const char *const lint[] = {"clean", "new", "warnings", "invalid",
                                     "error"};
  static const char *const reg[] = {"unchanged", "registered", "incompatible",
                                    "invalid", "error"};
  if (strcmp(report->command, "lint") == 0)
    return lint[status];
  return (strcmp(report->command, "register") == 0 ? reg : check)[status];
}

const char *sc_role_name(sc_role_t role) {
  switch (role) {
  case SC_ROLE_CANDIDATE_READS:
    return "candidate_reads";
  case SC_ROLE_PREVIOUS_READS:
    return "previous_reads";
  default:
    return NULL;
  }
}

void sc_report_count(const sc_report_t *report, size_t counts[SC_STATUS_COUNT]) {
  memset(counts, 0, SC_STATUS_COUNT * sizeof(*counts));
  for (size_t i = 0; i < report->unit_count; i++)
    counts[report->units[i]->status]++;
}

int sc_report_exit_code(const sc_report_t *report) {
  size_t counts[SC_STATUS_COUNT];
  sc_report_count(report, counts);
  if (counts[SC_STATUS_ERROR] ||
      (report->disagreement_fails && sc_report_disagreements(report)))
    return SC_EXIT_ERROR;
  if (counts[SC_STATUS_FAIL] || counts[SC_STATUS_INVALID])
    return SC_EXIT_FINDINGS;
  return SC_EXIT_OK;
}

static const struct {
  const char *name;
  sc_format_fn fn;
} formats[] = {{"text", sc_format_text},         {"json", sc_format_json},
               {"junit", sc_format_junit},       {"github", sc_format_github},
               {"gitlab", sc_format_gitlab},     {"markdown", sc_format_markdown},
               {"msvs", sc_format_msvs}};

const char sc_format_names[] = "text, json, junit, github, gitlab, markdown, msvs";

sc_format_fn sc_format_find(const char *name) {
  for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
    if (strcmp(name, formats[i].name) == 0)
      return formats[i].fn;
  return NULL;
}

bool sc_format_wants_repo_paths(sc_format_fn format) {
  return format == sc_format_github || format == sc_format_gitlab;
}

char *sc_format_to_string(sc_format_fn format_fn, const sc_report_t *report) {
  char *text = NULL;
  size_t length = 0;
  FILE *out = open_memstream(&text, &length);
  if (!out)
    sc_out_of_memory();
  format_fn(report, out);
  if (fclose(out) != 0 || !text)
    sc_out_of_memory();
  return text;
}

/* Length of the valid UTF-8 sequence at @s (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned min;
  unsigned cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

char *sc_utf8_clean(const char *s) {
  char *out = sc_xstrdup(s);
  unsigned char *p = (unsigned char *)out;
  while (*p) {
    size_t n = utf8_sequence(p);
    if (n == 0) {
      *p++ = '?';
      continue;
    }
    p += n;
  }
  return out;
}
