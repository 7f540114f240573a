/*
 * sr-compat - check --confirm: ask the registry's own compatibility test
 * about a candidate kavro's engine has judged, and record whether the two
 * verdicts agree.
 */
#ifndef SR_COMPAT_CONFIRM_H
#define SR_COMPAT_CONFIRM_H

#include <kavro.h>

#include "fileset.h"
#include "registered.h"
#include "report.h"
#include "source.h"

typedef struct sc_confirm_args_s {
  kavro_registry_t *registry;
  sc_registered_t *registered; /* for the candidate's references */
  const sc_file_t *file;       /* the candidate */
  const char *subject;
  kavro_compat_level_t level;          /* the level the engine applied */
  kavro_compat_level_t subject_level;  /* the level the registry applies */
  const sc_versions_t *versions;       /* the versions the engine compared
                                          with (registry numbers) */
} sc_confirm_args_t;

/*
 * Ask the registry, for each version the engine compared @a->file with,
 * whether the candidate is compatible (POST /compatibility/subjects/S/
 * versions/N?verbose=true), and fill @unit's confirmation: AGREE or
 * DISAGREE with the registry's messages, or SKIPPED with the reason when
 * the question would not be the same (another level through --level, a
 * referenced file whose current text is not registered).  @unit's status
 * is the engine's verdict (PASS or FAIL) on entry; a registry failure sets
 * it to ERROR.
 */
void sc_confirm(sc_unit_t *unit, const sc_confirm_args_t *a);

#endif /* SR_COMPAT_CONFIRM_H */
