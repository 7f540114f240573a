/*
 * sr-compat - the text format, for people.  Finding lines start with
 * "file:line:column:" as compilers print them, so editors and terminals
 * jump to the spot.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

static void print_location(FILE *out, const sc_unit_t *unit,
                           const sc_finding_t *f) {
  if (f->line > 0)
    fprintf(out, "%s:%d:%d: ", unit->file, f->line, f->column);
  else
    fprintf(out, "%s: ", unit->file);
}

/* "v1:a.avsc" or "3 previous versions (v1 ... v3)". */
static void print_previous(FILE *out, const sc_unit_t *unit) {
  if (unit->previous_count == 1) {
    fputs(unit->previous[0], out);
    return;
  }
  fprintf(out, "%zu previous versions (%s ... %s)", unit->previous_count,
          unit->previous[0], unit->previous[unit->previous_count - 1]);
}

static void print_check_finding(FILE *out, const sc_unit_t *unit,
                                const sc_finding_t *f) {
  print_location(out, unit, f);
  fprintf(out, "%s: %s\n    at %s; ", f->kind, f->message,
          *f->pointer ? f->pointer : "/");
  const char *previous = unit->previous[f->previous_index];
  if (f->role == SC_ROLE_CANDIDATE_READS)
    fprintf(out, "the new schema reads data written with %s\n", previous);
  else
    fprintf(out, "%s reads data written with the new schema\n", previous);
}

static void print_lint_finding(FILE *out, const sc_unit_t *unit,
                               const sc_finding_t *f) {
  print_location(out, unit, f);
  fprintf(out, "%s: %s: %s\n    fix: %s (at %s)\n",
          f->severity == SC_SEVERITY_ERROR ? "error" : "warning", f->kind,
          f->message, f->fix, *f->pointer ? f->pointer : "/");
}

static void print_unit_header(FILE *out, const sc_report_t *report,
                              const sc_unit_t *unit) {
  const char *status = sc_status_name(report, unit->status);
  if (!unit->level) {
    fprintf(out, "%s: %s\n", unit->file, status);
    return;
  }
  if (unit->status == SC_STATUS_NEW) {
    fprintf(out, "%s: new, not in %s: nothing to break\n", unit->file,
            unit->against);
    return;
  }
  fprintf(out, "%s: %s under %s with ", unit->file, status, unit->level);
  print_previous(out, unit);
  if (unit->subject)
    fprintf(out, " (subject %s)", unit->subject);
  if (unit->finding_count)
    fprintf(out, ": %zu problem%s", unit->finding_count,
            unit->finding_count == 1 ? "" : "s");
  fputc('\n', out);
}

static void print_unit(FILE *out, const sc_report_t *report,
                       const sc_unit_t *unit) {
  if (unit->status == SC_STATUS_INVALID || unit->status == SC_STATUS_ERROR) {
    char *text = sc_error_text(&unit->error);
    fprintf(out, "%s: %s: %s\n", unit->file,
            unit->status == SC_STATUS_INVALID ? "invalid schema" : "error",
            text);
    free(text);
  } else if (unit->level || unit->finding_count == 0) {
    print_unit_header(out, report, unit);
  }
  for (size_t i = 0; i < unit->finding_count; i++) {
    if (unit->level)
      print_check_finding(out, unit, &unit->findings[i]);
    else
      print_lint_finding(out, unit, &unit->findings[i]);
  }
}

void sc_format_summary(const sc_report_t *report, FILE *out) {
  size_t counts[SC_STATUS_COUNT];
  sc_report_count(report, counts);
  bool lint = strcmp(report->command, "lint") == 0;
  fprintf(out, "sr-compat %s: %zu %s: %zu %s, %zu %s", report->command,
          report->unit_count,
          lint ? (report->unit_count == 1 ? "file" : "files") : "checked",
          counts[SC_STATUS_PASS], sc_status_name(report, SC_STATUS_PASS),
          counts[SC_STATUS_FAIL],
          lint ? "with warnings" : sc_status_name(report, SC_STATUS_FAIL));
  if (!lint)
    fprintf(out, ", %zu new", counts[SC_STATUS_NEW]);
  fprintf(out, ", %zu invalid, %zu error%s\n", counts[SC_STATUS_INVALID],
          counts[SC_STATUS_ERROR], counts[SC_STATUS_ERROR] == 1 ? "" : "s");
}

void sc_format_text(const sc_report_t *report, FILE *out) {
  for (size_t i = 0; i < report->unit_count; i++)
    print_unit(out, report, report->units[i]);
  sc_format_summary(report, out);
}
