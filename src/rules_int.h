/*
 * kavro - data contract rules as the serializer and deserializer see them:
 * which rules of a schema's rule set apply to a direction, and whether
 * this build can execute them.  It has no executors yet: an applicable
 * rule runs its onFailure action, which only NONE survives.
 */
#ifndef KAVRO_RULES_INT_H
#define KAVRO_RULES_INT_H

#include "kavro/common.h"

/* The direction a rule set is looked at for (Java's RuleMode of
 * AbstractKafkaSchemaSerDe.executeRules()). */
typedef enum kv_rule_dir_e { KV_RULE_WRITE, KV_RULE_READ } kv_rule_dir_t;

/*
 * Judge @rule_set (a ruleSet's JSON text; NULL: none) for @dir as Java's
 * executeRules() does: disabled rules and rules whose mode is not the
 * direction's (WRITE or READ, or WRITEREAD) are skipped; domainRules and
 * encodingRules are looked at (on read in reverse order, encoding rules
 * first); migrationRules apply only to a migration between versions,
 * which kavro does not perform, and are skipped.  An applicable rule has
 * no executor here, so its onFailure action (for WRITEREAD, the part
 * before or after the comma) decides: NONE passes, anything else, unset
 * included, fails.  A rule without mode is WRITEREAD, without kind
 * TRANSFORM (Java's defaults).  KAVRO_ERR_UNSUPPORTED naming the first rule that
 * fails, with @what (a schema's description) as the error's source;
 * KAVRO_ERR_BAD_RESPONSE when the rule set has the wrong shape.
 */
kavro_err_t kv_rules_check(const char *rule_set, kv_rule_dir_t dir,
                           const char *what, kavro_error_t *error);

#endif /* KAVRO_RULES_INT_H */
