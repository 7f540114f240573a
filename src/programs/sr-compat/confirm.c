/*
 * sr-compat - the registry's second opinion (see confirm.h).
 *
 * The registry's endpoint tests against one version at a time under the
 * subject's level, so a _TRANSITIVE level is confirmed by asking about
 * every version the engine compared with: compatible only when each
 * answer is.
 */
#include <stdlib.h>

#include "confirm.h"
#include "util.h"

static void skip(sc_unit_t *unit, char *note) {
  unit->confirm = SC_CONFIRM_SKIPPED;
  unit->confirm_note = note;
}

/* One question: the candidate against version @number. */
static kavro_err_t ask(sc_unit_t *unit, const sc_confirm_args_t *a,
                       const kavro_schema_ref_t *refs, int number,
                       bool *compatiblep, kavro_error_t *error) {
  char **messages = NULL;
  size_t count = 0;
  kavro_err_t err = kavro_registry_test_compatibility(
      a->registry, a->subject, number, a->file->schema, refs,
      a->file->ref_count, compatiblep, &messages, &count, error);
  for (size_t i = 0; err == KAVRO_OK && i < count; i++)
    sc_unit_add_registry_message(unit, messages[i]);
  free(messages);
  return err;
}

void sc_confirm(sc_unit_t *unit, const sc_confirm_args_t *a) {
  if (a->level != a->subject_level) {
    skip(unit, sc_xasprintf("checked under %s (--level), but the registry "
                            "judges subject %s under %s",
                            kavro_compat_level_name(a->level), a->subject,
                            kavro_compat_level_name(a->subject_level)));
    return;
  }
  kavro_error_t error;
  kavro_schema_ref_t *refs = NULL;
  kavro_err_t err = sc_registered_refs(a->registered, a->file, &refs, &error);
  if (err == KAVRO_ERR_NOT_FOUND || err == KAVRO_ERR_INVALID_ARG) {
    skip(unit, sc_xstrdup(error.text));
    return;
  }
  bool compatible = true;
  for (size_t i = 0; err == KAVRO_OK && i < a->versions->count; i++) {
    bool one = false;
    err = ask(unit, a, refs, a->versions->items[i].number, &one, &error);
    compatible = compatible && one;
  }
  free(refs);
  if (err != KAVRO_OK) {
    sc_unit_fail(unit, SC_STATUS_ERROR, &error);
    return;
  }
  unit->registry_compatible = compatible;
  unit->confirm = compatible == (unit->status == SC_STATUS_PASS)
                      ? SC_CONFIRM_AGREE
                      : SC_CONFIRM_DISAGREE;
}
