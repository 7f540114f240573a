/*
 * sr-compat - the text format, for people.  Finding lines start with
 * "file:line:column:" as compilers print them, so editors and terminals
 * jump to the spot.  Every line is printed through sc_print_line(): the
 * text quotes file names, schemas and registry replies.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

/* "file:line:column" of a finding, or the file alone. */
static char *location(const sc_unit_t *unit, const sc_finding_t *f) {
  if (f->line > 0)
    return sc_xasprintf("%s:%d:%d", unit->file, f->line, f->column);
  return sc_xstrdup(unit->file);
}

/* "v1:a.avsc" or "3 previous versions (v1 ... v3)". */
static char *previous_text(const sc_unit_t *unit) {
  if (unit->previous_count == 1)
    return sc_xstrdup(unit->previous[0]);
  return sc_xasprintf("%zu previous versions (%s ... %s)",
                      unit->previous_count, unit->previous[0],
                      unit->previous[unit->previous_count - 1]);
}

static void print_check_finding(FILE *out, const sc_unit_t *unit,
                                const sc_finding_t *f) {
  char *where = location(unit, f);
  sc_print_line(out, "%s: %s: %s", where, f->kind, f->message);
  const char *pointer = *f->pointer ? f->pointer : "/";
  const char *previous = unit->previous[f->previous_index];
  if (f->role == SC_ROLE_CANDIDATE_READS)
    sc_print_line(out, "    at %s; the new schema reads data written with %s",
                  pointer, previous);
  else
    sc_print_line(out, "    at %s; %s reads data written with the new schema",
                  pointer, previous);
  free(where);
}

static void print_lint_finding(FILE *out, const sc_unit_t *unit,
                               const sc_finding_t *f) {
  char *where = location(unit, f);
  sc_print_line(out, "%s: %s: %s: %s", where,
                f->severity == SC_SEVERITY_ERROR ? "error" : "warning", f->kind,
                f->message);
  sc_print_line(out, "    fix: %s (at %s)", f->fix,
                *f->pointer ? f->pointer : "/");
  free(where);
}

static void print_unit_header(FILE *out, const sc_report_t *report,
                              const sc_unit_t *unit) {
  const char *status = sc_status_name(report, unit->status);
  if (!unit->level) {
    sc_print_line(out, "%s: %s", unit->file, status);
    return;
  }
  if (unit->status == SC_STATUS_NEW) {
    sc_print_line(out, "%s: new, not in %s: nothing to break", unit->file,
                  unit->against);
    return;
  }
  char *previous = previous_text(unit);
  char *subject = unit->subject ? sc_xasprintf(" (subject %s)", unit->subject)
                                : sc_xstrdup("");
  char *problems = unit->finding_count
                       ? sc_xasprintf(": %zu problem%s", unit->finding_count,
                                      unit->finding_count == 1 ? "" : "s")
                       : sc_xstrdup("");
  sc_print_line(out, "%s: %s under %s with %s%s%s", unit->file, status,
                unit->level, previous, subject, problems);
  free(problems);
  free(subject);
  free(previous);
}

/* register: where the file's schema is now. */
static void print_registered(FILE *out, const sc_report_t *report,
                             const sc_unit_t *unit) {
  sc_print_line(out, "%s: %s: subject %s version %d id %d", unit->file,
                sc_status_name(report, unit->status), unit->subject,
                unit->version, unit->id);
}

/* register --dry-run: what registering would do. */
static void print_dry_run(FILE *out, const sc_unit_t *unit) {
  if (unit->status == SC_STATUS_PASS)
    sc_print_line(out, "%s: unchanged: subject %s version %d", unit->file,
                  unit->subject, unit->version);
  else
    sc_print_line(out, "%s: would register: subject %s, a new version",
                  unit->file, unit->subject);
}

/* check --confirm: what the registry's own test said. */
static void print_confirmation(FILE *out, const sc_unit_t *unit) {
  if (unit->confirm == SC_CONFIRM_SKIPPED) {
    sc_print_line(out, "    registry not asked: %s", unit->confirm_note);
    return;
  }
  sc_print_line(out, "    registry %s: %s", sc_confirm_name(unit->confirm),
                unit->registry_compatible ? "compatible" : "incompatible");
  for (size_t i = 0; i < unit->registry_message_count; i++)
    sc_print_line(out, "    registry: %s", unit->registry_messages[i]);
}

/* --verbose: a finding the configuration ignores, and why. */
static void print_ignored(FILE *out, const sc_report_t *report,
                          const sc_unit_t *unit, const sc_finding_t *f) {
  char *where = location(unit, f);
  sc_print_line(out, "%s: %s: %s", where, f->kind, f->message);
  sc_print_line(out, "    ignored by %s %s: %s", report->config, f->ignore_rule,
                f->ignore_reason ? f->ignore_reason : "no reason given");
  free(where);
}

static const char *problem_name(const sc_unit_t *unit) {
  switch (unit->status) {
  case SC_STATUS_INVALID:
    return "invalid schema";
  case SC_STATUS_FAIL:
    return "incompatible";
  default:
    return "error";
  }
}

static void print_unit(FILE *out, const sc_report_t *report,
                       const sc_unit_t *unit) {
  if (sc_unit_has_error(unit)) {
    char *text = sc_error_text(&unit->error);
    sc_print_line(out, "%s: %s: %s", unit->file, problem_name(unit), text);
    free(text);
  } else if (report->dry_run) {
    print_dry_run(out, unit);
  } else if (unit->version > 0) {
    print_registered(out, report, unit);
  } else if (unit->level || unit->finding_count == 0) {
    print_unit_header(out, report, unit);
  }
  for (size_t i = 0; i < unit->finding_count; i++) {
    if (unit->level)
      print_check_finding(out, unit, &unit->findings[i]);
    else
      print_lint_finding(out, unit, &unit->findings[i]);
  }
  if (unit->confirm != SC_CONFIRM_NONE)
    print_confirmation(out, unit);
  if (report->verbose)
    for (size_t i = 0; i < unit->ignored_count; i++)
      print_ignored(out, report, unit, &unit->ignored[i]);
}

/* register's summary: "3 schemas: 1 registered, 2 unchanged, ...". */
static void print_register_summary(FILE *out, const sc_report_t *report,
                                   const size_t counts[SC_STATUS_COUNT]) {
  fprintf(out, "sr-compat register%s: %zu %s: %zu %s, %zu unchanged, "
               "%zu incompatible, %zu invalid, %zu error%s\n",
          report->dry_run ? " --dry-run" : "", report->unit_count,
          report->unit_count == 1 ? "schema" : "schemas", counts[SC_STATUS_NEW],
          report->dry_run ? "would register" : "registered",
          counts[SC_STATUS_PASS], counts[SC_STATUS_FAIL],
          counts[SC_STATUS_INVALID], counts[SC_STATUS_ERROR],
          counts[SC_STATUS_ERROR] == 1 ? "" : "s");
}

/* Units whose verdict the registry was asked to confirm. */
static size_t confirmed_units(const sc_report_t *report) {
  size_t n = 0;
  for (size_t i = 0; i < report->unit_count; i++)
    n += report->units[i]->confirm != SC_CONFIRM_NONE;
  return n;
}

void sc_format_summary(const sc_report_t *report, FILE *out) {
  size_t counts[SC_STATUS_COUNT];
  sc_report_count(report, counts);
  if (strcmp(report->command, "register") == 0) {
    print_register_summary(out, report, counts);
    return;
  }
  bool lint = strcmp(report->command, "lint") == 0;
  fprintf(out, "sr-compat %s: %zu %s: %zu %s, %zu %s", report->command,
          report->unit_count,
          lint ? (report->unit_count == 1 ? "file" : "files") : "checked",
          counts[SC_STATUS_PASS], sc_status_name(report, SC_STATUS_PASS),
          counts[SC_STATUS_FAIL],
          lint ? "with warnings" : sc_status_name(report, SC_STATUS_FAIL));
  if (!lint)
    fprintf(out, ", %zu new", counts[SC_STATUS_NEW]);
  fprintf(out, ", %zu invalid, %zu error%s", counts[SC_STATUS_INVALID],
          counts[SC_STATUS_ERROR], counts[SC_STATUS_ERROR] == 1 ? "" : "s");
  if (confirmed_units(report)) {
    size_t d = sc_report_disagreements(report);
    fprintf(out, ", %zu disagreement%s with the registry", d, d == 1 ? "" : "s");
  }
  fputc('\n', out);
}

void sc_format_text(const sc_report_t *report, FILE *out) {
  for (size_t i = 0; i < report->unit_count; i++)
    print_unit(out, report, report->units[i]);
  sc_format_summary(report, out);
}
