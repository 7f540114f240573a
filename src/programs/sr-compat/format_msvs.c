/*
 * sr-compat - the Visual Studio error format, as `buf breaking
 * --error-format msvs` prints it, which Visual Studio, MSBuild and most
 * CI log parsers turn into clickable errors:
 *
 *   path(line,col) : error KIND : message
 *
 * The path is the file as the user gave it; an unknown position is line 1
 * (the format has no way to say "no line").  Lint findings are warnings.
 * A summary line follows, as in the other line-oriented formats.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

static void put_line(FILE *out, const char *file, int line, int column,
                     const char *severity, const char *kind,
                     const char *message) {
  sc_print_line(out, "%s(%d,%d) : %s %s : %s", file, line > 0 ? line : 1,
                column > 0 ? column : 1, severity, kind, message);
}

static void put_finding(FILE *out, const sc_unit_t *unit,
                        const sc_finding_t *f) {
  char *context = sc_finding_context(unit, f);
  char *message = sc_xasprintf("%s (%s)", f->message, context);
  put_line(out, unit->file, f->line, f->column, sc_severity_name(f->severity),
           f->kind, message);
  free(message);
  free(context);
}

static void put_problem(FILE *out, const sc_unit_t *unit) {
  const kavro_error_t *e = &unit->error;
  bool here = strcmp(e->source, unit->file) == 0;
  char *text = sc_error_text(e);
  put_line(out, unit->file, here ? e->line : 0, here ? e->column : 0, "error",
           unit->status == SC_STATUS_INVALID ? "invalid-schema"
           : unit->status == SC_STATUS_FAIL  ? "incompatible"
                                             : kavro_err2name(e->code),
           text);
  free(text);
}

void sc_format_msvs(const sc_report_t *report, FILE *out) {
  for (size_t i = 0; i < report->unit_count; i++) {
    const sc_unit_t *unit = report->units[i];
    if (sc_unit_has_error(unit))
      put_problem(out, unit);
    for (size_t k = 0; k < unit->finding_count; k++)
      put_finding(out, unit, &unit->findings[k]);
    if (unit->confirm == SC_CONFIRM_DISAGREE)
      put_line(out, unit->file, 0, 0,
               report->disagreement_fails ? "error" : "warning",
               "registry-disagrees",
               unit->registry_compatible
                   ? "the registry says compatible, kavro says incompatible"
                   : "the registry says incompatible, kavro says compatible");
  }
  sc_format_summary(report, out);
}
