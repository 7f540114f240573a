/*
 * kavro tests - the field-service schema catalog, avro/catalog.json (its
 * format is described in doc/catalog.md).
 *
 * This is the build-time check of the catalog: every topic's schema and the
 * shared types it references parse without a warning, every reference is
 * used and names the type its file defines, every partition-key template
 * names only top-level fields that always hold a value a key can be made of,
 * subjects follow TopicNameStrategy under the platform's BACKWARD rule, each
 * schema's doc states the topic and key the catalog gives it, and no .avsc
 * under avro/ is left out of the catalog.
 */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kavro.h"
#include "schema_int.h"
#include "testutil.h"

/* The seed catalog's 21 topics and the command service's topic. */
static const char *const expected_topics[] = {
    "projects.project.created",
    "projects.service_order.created",
    "projects.service_order.status_changed",
    "projects.service_order.closed",
    "projects.tv_outcome.recorded",
    "projects.task.created",
    "assignments.offer.created",
    "assignments.assignment.confirmed",
    "assignments.date_negotiation.failed",
    "execution.checkin.completed",
    "execution.checkout.completed",
    "contracts.contract.signed",
    "contracts.wcf.signed",
    "integration.sales.order_received",
    "integration.erp.payment_ready",
    "sales.pyxis.order.created",
    "sales.tempo.service.requested",
    "integration.sales.order.normalized",
    "integration.sales.order.failed",
    "fsm.order.status_updated",
    "fsm.tv.outcome_recorded",
    "command.events",
};
#define EXPECTED_TOPIC_COUNT (sizeof(expected_topics) / sizeof(expected_topics[0]))

/* The platform's compatibility rule for every subject. */
#define PLATFORM_LEVEL KAVRO_COMPAT_BACKWARD

/* More references than any event needs; a bound for fixed arrays. */
#define MAX_REFS 16

/* ---- reading the catalog ---------------------------------------------- */

/* A path under avro/ (catalog paths are relative to the catalog's
 * directory), in a new string. */
static char *avro_path(const char *relative) {
  const char *dir = kt_src_path("avro");
  size_t size = strlen(dir) + strlen(relative) + 2;
  char *path = malloc(size);
  ck_assert_ptr_nonnull(path);
  snprintf(path, size, "%s/%s", dir, relative);
  return path;
}

static json_t *load_catalog(void) {
  char *path = avro_path("catalog.json");
  json_error_t jerr;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  ck_assert_msg(root != NULL, "%s:%d: %s", path, jerr.line, jerr.text);
  ck_assert_msg(json_is_object(json_object_get(root, "topics")),
                "%s: \"topics\" is not an object", path);
  free(path);
  return root;
}

static json_t *catalog_topics(json_t *catalog) {
  return json_object_get(catalog, "topics");
}

/* A reference is a file name, or an object whose "file" names it. */
static const char *reference_file(json_t *ref) {
  return json_is_string(ref) ? json_string_value(ref)
                             : json_string_value(json_object_get(ref, "file"));
}

static size_t reference_count(json_t *entry) {
  return json_array_size(json_object_get(entry, "references"));
}

static json_t *reference_at(json_t *entry, size_t i) {
  return json_array_get(json_object_get(entry, "references"), i);
}

static bool only_members(json_t *obj, const char *const *allowed,
                         const char **unknown) {
  const char *key;
  json_t *value;
  json_object_foreach(obj, key, value) {
    bool known = false;
    for (const char *const *a = allowed; *a && !known; a++)
      known = strcmp(*a, key) == 0;
    if (!known) {
      *unknown = key;
      return false;
    }
  }
  return true;
}

/* ---- parsing a topic's schemas ---------------------------------------- */

/* Parse avro/@relative with @refs as its references; the error in @err. */
static kavro_err_t parse_avro_file(const char *relative,
                                   kavro_schema_t *const *refs, size_t count,
                                   kavro_schema_t **schema, kavro_error_t *err) {
  char *path = avro_path(relative);
  kavro_parse_options_t opts;
  kavro_parse_options_init(&opts);
  opts.references = refs;
  opts.reference_count = count;
  kavro_err_t rc = kavro_schema_parse_file(path, &opts, schema, err);
  free(path);
  return rc;
}

/* As parse_avro_file(), failing the test on an error or a warning. */
static kavro_schema_t *parse_clean(const char *topic, const char *relative,
                                   kavro_schema_t *const *refs, size_t count) {
  kavro_schema_t *schema = NULL;
  kavro_error_t err;
  ck_assert_msg(parse_avro_file(relative, refs, count, &schema, &err) == KAVRO_OK,
                "%s: %s:%d:%d: %s: %s", topic, relative, err.line, err.column,
                err.path, err.text);
  ck_assert_msg(kavro_schema_warning_count(schema) == 0, "%s: %s: %s", topic,
                relative, kavro_schema_warning(schema, 0));
  return schema;
}

/* A topic's schema and the schemas of its references, in catalog order. */
typedef struct parsed_topic_s {
  kavro_schema_t *refs[MAX_REFS];
  size_t ref_count;
  kavro_schema_t *schema;
} parsed_topic_t;

/* Each reference is parsed on its own: the catalog lists references per
 * topic, not per shared file, so a shared type cannot use another one (the
 * registry would need that reference registered with it, and sr-compat
 * parses it alone too).  The event is parsed with all of them. */
static void parse_topic(const char *topic, json_t *entry, parsed_topic_t *out) {
  size_t count = reference_count(entry);
  ck_assert_msg(count <= MAX_REFS, "%s: %zu references", topic, count);
  out->ref_count = 0;
  for (size_t i = 0; i < count; i++) {
    const char *file = reference_file(reference_at(entry, i));
    ck_assert_msg(file != NULL, "%s: reference %zu names no file", topic, i);
    out->refs[i] = parse_clean(topic, file, NULL, 0);
    out->ref_count++;
  }
  const char *file = json_string_value(json_object_get(entry, "file"));
  ck_assert_msg(file != NULL, "%s: no \"file\"", topic);
  out->schema = parse_clean(topic, file, out->refs, out->ref_count);
}

static void parsed_topic_free(parsed_topic_t *parsed) {
  kavro_schema_destroy(parsed->schema);
  for (size_t i = 0; i < parsed->ref_count; i++)
    kavro_schema_destroy(parsed->refs[i]);
}

/* ---- partition-key templates ------------------------------------------ */

/* Why the field @name of @record cannot be a key part; NULL when it can.
 * A key part must always have a value with one obvious text: a string, an
 * int or a long, or an enum (its symbol).  A nullable field cannot be one:
 * a null would make the key collide with every other null. */
static const char *key_part_problem(const kv_node_t *record, const char *name) {
  const kv_field_t *field = kv_record_field(record, name);
  if (!field)
    return "is not a field of the record";
  switch (field->type->type) {
  case KAVRO_STRING:
  case KAVRO_INT:
  case KAVRO_LONG:
  case KAVRO_ENUM:
    return NULL;
  case KAVRO_UNION:
    return "is a union (nullable): a key part must always have a value";
  default:
    return "has a type that has no text form for a key";
  }
}

/*
 * Check the partition-key template @tmpl ("{country_code}_{order_id}")
 * against the record @schema.  Returns true when every placeholder names a
 * field that can be a key part; else false with the reason in @why.
 */
static bool key_template_ok(const kavro_schema_t *schema, const char *tmpl,
                            char *why, size_t why_size) {
  const kv_node_t *record = kv_schema_root(schema);
  if (record->type != KAVRO_RECORD) {
    snprintf(why, why_size, "the schema is not a record");
    return false;
  }
  size_t parts = 0;
  for (const char *c = tmpl; *c; c++) {
    if (*c == '}') {
      snprintf(why, why_size, "'}' without '{' in \"%s\"", tmpl);
      return false;
    }
    if (*c != '{')
      continue;
    const char *start = ++c;
    size_t length = strcspn(start, "{}");
    if (start[length] != '}' || length == 0) {
      snprintf(why, why_size, "unterminated or empty placeholder in \"%s\"", tmpl);
      return false;
    }
    char name[128];
    if (length >= sizeof(name)) {
      snprintf(why, why_size, "placeholder too long in \"%s\"", tmpl);
      return false;
    }
    memcpy(name, start, length);
    name[length] = '\0';
    const char *problem = key_part_problem(record, name);
    if (problem) {
      snprintf(why, why_size, "{%s} %s %s", name, problem, record->fullname);
      return false;
    }
    parts++;
    c = start + length;
  }
  if (parts == 0) {
    /* A constant key would send every event to one partition. */
    snprintf(why, why_size, "\"%s\" names no field", tmpl);
    return false;
  }
  return true;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_catalog_covers_the_seed) {
  json_t *catalog = load_catalog();
  static const char *const root_members[] = {"doc", "level", "topics", NULL};
  const char *unknown = NULL;
  ck_assert_msg(only_members(catalog, root_members, &unknown),
                "catalog: unknown member \"%s\"", unknown);
  json_t *topics = catalog_topics(catalog);
  for (size_t i = 0; i < EXPECTED_TOPIC_COUNT; i++)
    ck_assert_msg(json_object_get(topics, expected_topics[i]) != NULL,
                  "topic %s is missing from the catalog", expected_topics[i]);
  ck_assert_uint_eq(json_object_size(topics), EXPECTED_TOPIC_COUNT);
  json_decref(catalog);
}
END_TEST

START_TEST(test_entries_well_formed) {
  static const char *const members[] = {"file", "subject", "level", "key",
                                        "references", "doc", NULL};
  static const char *const ref_members[] = {"name", "subject", "version",
                                            "file", NULL};
  json_t *catalog = load_catalog();
  const char *topic, *unknown = NULL;
  json_t *entry;
  json_object_foreach(catalog_topics(catalog), topic, entry) {
    ck_assert_msg(json_is_object(entry), "%s: not an object", topic);
    ck_assert_msg(only_members(entry, members, &unknown),
                  "%s: unknown member \"%s\"", topic, unknown);
    for (size_t i = 0; i < reference_count(entry); i++) {
      json_t *ref = reference_at(entry, i);
      ck_assert_msg(json_is_string(ref) || json_is_object(ref),
                    "%s: reference %zu is neither a file nor an object", topic, i);
      ck_assert_msg(!json_is_object(ref) || only_members(ref, ref_members, &unknown),
                    "%s: reference %zu: unknown member \"%s\"", topic, i, unknown);
    }
  }
  json_decref(catalog);
}
END_TEST

START_TEST(test_schemas_parse_without_warnings) {
  json_t *catalog = load_catalog();
  const char *topic;
  json_t *entry;
  json_object_foreach(catalog_topics(catalog), topic, entry) {
    parsed_topic_t parsed;
    parse_topic(topic, entry, &parsed);
    ck_assert_msg(kavro_schema_type(parsed.schema) == KAVRO_RECORD,
                  "%s: the value schema is not a record", topic);
    parsed_topic_free(&parsed);
  }
  json_decref(catalog);
}
END_TEST

/* ---- which references a schema uses ------------------------------------ */

typedef struct node_walk_s {
  const kv_node_t **seen; /* named types already walked (cycles) */
  size_t seen_count, seen_capacity;
  const kavro_schema_t *const *refs;
  bool *used;             /* per reference: one of its types is reached */
  size_t ref_count;
} node_walk_t;

static bool walk_seen(node_walk_t *w, const kv_node_t *node) {
  for (size_t i = 0; i < w->seen_count; i++)
    if (w->seen[i] == node)
      return true;
  if (w->seen_count == w->seen_capacity) {
    w->seen_capacity = w->seen_capacity ? 2 * w->seen_capacity : 32;
    w->seen = realloc(w->seen, w->seen_capacity * sizeof(*w->seen));
    ck_assert_ptr_nonnull(w->seen);
  }
  w->seen[w->seen_count++] = node;
  return false;
}

/* Mark the references that own a named type reachable from @node. */
static void walk_node(node_walk_t *w, const kv_node_t *node) {
  if (kv_type_is_named(node->type)) {
    if (walk_seen(w, node))
      return;
    for (size_t i = 0; i < w->ref_count; i++)
      if (node->owner == w->refs[i])
        w->used[i] = true;
  }
  switch (node->type) {
  case KAVRO_RECORD:
    for (size_t i = 0; i < node->field_count; i++)
      walk_node(w, node->fields[i].type);
    break;
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    walk_node(w, node->items);
    break;
  case KAVRO_UNION:
    for (size_t i = 0; i < node->branch_count; i++)
      walk_node(w, node->branches[i]);
    break;
  default:
    break;
  }
}

/* Each reference names the type its file defines, appears once, and is
 * used: some type the event reaches is defined in it. */
START_TEST(test_references_used) {
  json_t *catalog = load_catalog();
  const char *topic;
  json_t *entry;
  size_t checked = 0;
  json_object_foreach(catalog_topics(catalog), topic, entry) {
    parsed_topic_t parsed;
    parse_topic(topic, entry, &parsed);
    bool used[MAX_REFS] = {false};
    node_walk_t walk = {.refs = (const kavro_schema_t *const *)parsed.refs,
                        .used = used,
                        .ref_count = parsed.ref_count};
    walk_node(&walk, kv_schema_root(parsed.schema));
    free(walk.seen);
    for (size_t i = 0; i < parsed.ref_count; i++) {
      json_t *ref = reference_at(entry, i);
      const char *file = reference_file(ref);
      const char *name = json_string_value(json_object_get(ref, "name"));
      if (name)
        ck_assert_msg(strcmp(name, kavro_schema_name(parsed.refs[i])) == 0,
                      "%s: reference \"%s\" but %s defines %s", topic, name, file,
                      kavro_schema_name(parsed.refs[i]));
      for (size_t j = 0; j < i; j++)
        ck_assert_msg(strcmp(file, reference_file(reference_at(entry, j))) != 0,
                      "%s: %s is referenced twice", topic, file);
      ck_assert_msg(used[i], "%s: no type of the reference %s is used", topic, file);
      checked++;
    }
    parsed_topic_free(&parsed);
  }
  ck_assert_uint_gt(checked, 0);
  json_decref(catalog);
}
END_TEST

START_TEST(test_key_templates_name_fields) {
  json_t *catalog = load_catalog();
  const char *topic;
  json_t *entry;
  json_object_foreach(catalog_topics(catalog), topic, entry) {
    const char *key = json_string_value(json_object_get(entry, "key"));
    ck_assert_msg(key != NULL, "%s: no partition-key template", topic);
    parsed_topic_t parsed;
    parse_topic(topic, entry, &parsed);
    char why[256];
    ck_assert_msg(key_template_ok(parsed.schema, key, why, sizeof(why)),
                  "%s: key %s", topic, why);
    parsed_topic_free(&parsed);
  }
  json_decref(catalog);
}
END_TEST

/* The key check itself: what it must refuse, including the seed's own
 * mistake of a key on country_code for an event without that field. */
START_TEST(test_key_template_check_refuses) {
  static const char text[] =
      "{\"type\":\"record\",\"name\":\"Event\",\"namespace\":\"test\",\"fields\":["
      "{\"name\":\"order_id\",\"type\":\"string\"},"
      "{\"name\":\"rounds\",\"type\":\"int\"},"
      "{\"name\":\"sequence\",\"type\":\"long\"},"
      "{\"name\":\"source\",\"type\":{\"type\":\"enum\",\"name\":\"Source\","
      "\"symbols\":[\"A\",\"B\"]}},"
      "{\"name\":\"assigned_to\",\"type\":[\"null\",\"string\"],\"default\":null},"
      "{\"name\":\"ids\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
      "{\"name\":\"gps\",\"type\":{\"type\":\"record\",\"name\":\"Gps\",\"fields\":"
      "[{\"name\":\"lat\",\"type\":\"double\"}]}},"
      "{\"name\":\"done\",\"type\":\"boolean\"}]}";
  static const struct {
    const char *tmpl;
    bool ok;
  } cases[] = {
      {"{order_id}", true},
      {"{source}_{order_id}", true},
      {"{order_id}-{rounds}-{sequence}", true},
      {"{country_code}_{order_id}", false}, /* no such field */
      {"{assigned_to}", false},             /* nullable */
      {"{ids}", false},                     /* array */
      {"{gps}", false},                     /* record */
      {"{done}", false},                    /* boolean */
      {"{lat}", false},                     /* not top-level */
      {"{order_id", false},
      {"order_id}", false},
      {"{{order_id}}", false},
      {"{}", false},
      {"orders", false},                    /* constant */
  };
  kavro_schema_t *schema = NULL;
  ck_assert_int_eq(kavro_schema_parse(text, strlen(text), NULL, &schema, NULL),
                   KAVRO_OK);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char why[256] = "";
    ck_assert_msg(key_template_ok(schema, cases[i].tmpl, why, sizeof(why)) ==
                      cases[i].ok,
                  "\"%s\": expected %s (%s)", cases[i].tmpl,
                  cases[i].ok ? "accepted" : "refused", why);
    ck_assert_msg(cases[i].ok || why[0] != '\0', "\"%s\": refused without a reason",
                  cases[i].tmpl);
  }
  kavro_schema_destroy(schema);
}
END_TEST

/* TopicNameStrategy: the value subject of topic T is "T-value"; a topic
 * without "subject" gets that name.  Every subject is under the platform's
 * level, given per topic or catalog-wide. */
START_TEST(test_subjects_and_levels) {
  json_t *catalog = load_catalog();
  const char *catalog_level = json_string_value(json_object_get(catalog, "level"));
  const char *topic;
  json_t *entry;
  json_object_foreach(catalog_topics(catalog), topic, entry) {
    const char *subject = json_string_value(json_object_get(entry, "subject"));
    if (subject) {
      size_t n = strlen(topic);
      ck_assert_msg(strncmp(subject, topic, n) == 0 &&
                        strcmp(subject + n, "-value") == 0,
                    "%s: subject %s does not follow TopicNameStrategy (%s-value)",
                    topic, subject, topic);
    }
    const char *level = json_string_value(json_object_get(entry, "level"));
    if (!level)
      level = catalog_level;
    ck_assert_msg(level != NULL, "%s: no compatibility level", topic);
    kavro_compat_level_t parsed;
    ck_assert_msg(kavro_compat_level_parse(level, &parsed) == KAVRO_OK &&
                      parsed == PLATFORM_LEVEL,
                  "%s: level %s, the platform's rule is %s", topic, level,
                  kavro_compat_level_name(PLATFORM_LEVEL));
  }
  json_decref(catalog);
}
END_TEST

/* The schema's doc tells a reader of the .avsc what the catalog says:
 * "Topic <topic>, partition key <key>". */
START_TEST(test_docs_state_topic_and_key) {
  json_t *catalog = load_catalog();
  const char *topic;
  json_t *entry;
  json_object_foreach(catalog_topics(catalog), topic, entry) {
    parsed_topic_t parsed;
    parse_topic(topic, entry, &parsed);
    const char *doc = kv_schema_root(parsed.schema)->doc;
    char expected[512];
    snprintf(expected, sizeof(expected), "Topic %s, partition key %s", topic,
             json_string_value(json_object_get(entry, "key")));
    ck_assert_msg(doc && strstr(doc, expected), "%s: the doc does not say \"%s\"",
                  topic, expected);
    parsed_topic_free(&parsed);
  }
  json_decref(catalog);
}
END_TEST

/* ---- every .avsc is in the catalog ------------------------------------ */

typedef struct path_set_s {
  char **paths; /* canonical absolute paths */
  size_t count, capacity;
} path_set_t;

static void path_set_add(path_set_t *set, const char *path) {
  for (size_t i = 0; i < set->count; i++)
    if (strcmp(set->paths[i], path) == 0)
      return;
  if (set->count == set->capacity) {
    set->capacity = set->capacity ? 2 * set->capacity : 32;
    set->paths = realloc(set->paths, set->capacity * sizeof(*set->paths));
    ck_assert_ptr_nonnull(set->paths);
  }
  set->paths[set->count] = strdup(path);
  ck_assert_ptr_nonnull(set->paths[set->count]);
  set->count++;
}

static bool path_set_has(const path_set_t *set, const char *path) {
  for (size_t i = 0; i < set->count; i++)
    if (strcmp(set->paths[i], path) == 0)
      return true;
  return false;
}

static void path_set_free(path_set_t *set) {
  for (size_t i = 0; i < set->count; i++)
    free(set->paths[i]);
  free(set->paths);
}

/* Add the canonical path of catalog-relative @relative; it must exist. */
static void add_catalog_file(path_set_t *set, const char *topic,
                             const char *relative) {
  char *path = avro_path(relative);
  char real[PATH_MAX];
  ck_assert_msg(realpath(path, real) != NULL, "%s: %s does not exist", topic,
                relative);
  path_set_add(set, real);
  free(path);
}

static void collect_avsc(const char *dir, path_set_t *found) {
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "cannot open %s", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    size_t n = strlen(e->d_name);
    if (S_ISDIR(st.st_mode)) {
      collect_avsc(path, found);
    } else if (n > 5 && strcmp(e->d_name + n - 5, ".avsc") == 0) {
      char real[PATH_MAX];
      ck_assert_ptr_nonnull(realpath(path, real));
      path_set_add(found, real);
    }
  }
  closedir(d);
}

START_TEST(test_every_schema_file_listed) {
  json_t *catalog = load_catalog();
  path_set_t listed = {0}, found = {0};
  const char *topic;
  json_t *entry;
  json_object_foreach(catalog_topics(catalog), topic, entry) {
    add_catalog_file(&listed, topic, json_string_value(json_object_get(entry, "file")));
    for (size_t i = 0; i < reference_count(entry); i++)
      add_catalog_file(&listed, topic, reference_file(reference_at(entry, i)));
  }
  char *dir = avro_path(".");
  collect_avsc(dir, &found);
  free(dir);
  for (size_t i = 0; i < found.count; i++)
    ck_assert_msg(path_set_has(&listed, found.paths[i]),
                  "%s is in no topic of avro/catalog.json", found.paths[i]);
  ck_assert_uint_eq(found.count, listed.count);
  path_set_free(&listed);
  path_set_free(&found);
  json_decref(catalog);
}
END_TEST

static Suite *catalog_suite(void) {
  Suite *s = suite_create("catalog");
  TCase *tc = tcase_create("catalog");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_catalog_covers_the_seed);
  tcase_add_test(tc, test_entries_well_formed);
  tcase_add_test(tc, test_schemas_parse_without_warnings);
  tcase_add_test(tc, test_references_used);
  tcase_add_test(tc, test_key_templates_name_fields);
  tcase_add_test(tc, test_key_template_check_refuses);
  tcase_add_test(tc, test_subjects_and_levels);
  tcase_add_test(tc, test_docs_state_topic_and_key);
  tcase_add_test(tc, test_every_schema_file_listed);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(catalog_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
