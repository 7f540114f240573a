/*
 * sr-compat - read the catalog (see catalog.h and doc/catalog.md).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog.h"
#include "git.h"
#include "util.h"

#define DEFAULT_CATALOG "avro/catalog.json"

char *sc_catalog_default(const char *cwd) {
  char *top = sc_git_toplevel(cwd, NULL);
  char *path = sc_path_join(top ? top : cwd, DEFAULT_CATALOG);
  free(top);
  if (access(path, F_OK) != 0) {
    free(path);
    return NULL;
  }
  char *shown = sc_path_display(cwd, path);
  free(path);
  return shown;
}

typedef struct loader_s {
  sc_fileset_t *set;
  const char *path;   /* the catalog, as shown */
  char *dir;          /* its directory: catalog paths are relative to it */
  kavro_error_t *error;
} loader_t;

static kavro_err_t bad(const loader_t *l, const char *pointer, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

/* An error in the catalog at JSON pointer @pointer. */
static kavro_err_t bad(const loader_t *l, const char *pointer, const char *fmt,
                       ...) {
  char text[KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  sc_fail(l->error, KAVRO_ERR_INVALID_ARG, l->path, "%s", text);
  if (l->error)
    snprintf(l->error->path, sizeof(l->error->path), "%s", pointer);
  return KAVRO_ERR_INVALID_ARG;
}

static kavro_err_t only_members(const loader_t *l, json_t *obj,
                                const char *pointer,
                                const char *const *allowed) {
  const char *key;
  json_t *value;
  json_object_foreach(obj, key, value) {
    if (!sc_str_in(key, allowed))
      return bad(l, pointer, "unknown member \"%s\"", key);
  }
  return KAVRO_OK;
}

/* Member @key of @obj as a non-empty string; NULL when absent (an error
 * when @required) or not a string (always an error, in *@err).  Does
 * nothing once *@err holds an error. */
static const char *string_member(const loader_t *l, json_t *obj,
                                 const char *key, const char *pointer,
                                 bool required, kavro_err_t *err) {
  if (*err != KAVRO_OK)
    return NULL; /* report the first problem only */
  json_t *value = json_object_get(obj, key);
  if (!value) {
    if (required)
      *err = bad(l, pointer, "\"%s\" is required", key);
    return NULL;
  }
  if (!json_is_string(value) || json_string_length(value) == 0 ||
      strlen(json_string_value(value)) != json_string_length(value)) {
    *err = bad(l, pointer, "\"%s\" must be a non-empty string", key);
    return NULL;
  }
  return json_string_value(value);
}

static kavro_err_t level_member(const loader_t *l, json_t *obj,
                                const char *pointer, bool *has_level,
                                kavro_compat_level_t *level) {
  kavro_err_t err = KAVRO_OK;
  const char *name = string_member(l, obj, "level", pointer, false, &err);
  if (err != KAVRO_OK || !name)
    return err;
  if (kavro_compat_level_parse(name, level) != KAVRO_OK)
    return bad(l, pointer,
               "\"level\": unknown compatibility level \"%s\"", name);
  *has_level = true;
  return KAVRO_OK;
}

/* A partition-key template: text with {field} placeholders, each an Avro
 * name, braces neither nested nor unbalanced. */
static bool valid_key_template(const char *t) {
  for (const char *c = t; *c; c++) {
    if (*c == '}')
      return false;
    if (*c != '{')
      continue;
    const char *name = ++c;
    if (!(*c == '_' || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
      return false;
    while (*c == '_' || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
           (*c >= '0' && *c <= '9'))
      c++;
    if (*c != '}' || c == name)
      return false;
  }
  return true;
}

/* The file at catalog-relative @relative, added to the set. */
static sc_file_t *catalog_file(const loader_t *l, const char *relative,
                               const char *pointer, kavro_err_t *err) {
  if (relative[0] == '/') {
    *err = bad(l, pointer, "\"%s\": paths are relative to the catalog",
               relative);
    return NULL;
  }
  char *path = sc_path_join(l->dir, relative);
  sc_file_t *file = sc_fileset_add(l->set, path, l->path, l->error);
  free(path);
  if (!file) {
    if (l->error)
      snprintf(l->error->path, sizeof(l->error->path), "%s", pointer);
    *err = KAVRO_ERR_IO;
  }
  return file;
}

/* Record what a reference says of its target, @name and @version (either
 * may be absent); the same file referenced twice must be named alike. */
static kavro_err_t note_reference(const loader_t *l, sc_file_t *target,
                                  const char *name, json_t *version,
                                  const char *pointer) {
  if (name && target->type_name && strcmp(name, target->type_name) != 0)
    return bad(l, pointer, "%s is referenced as \"%s\" and as \"%s\"",
               target->path, target->type_name, name);
  if (name && !target->type_name)
    target->type_name = sc_xstrdup(name);
  int pinned = version ? (int)json_integer_value(version) : 0;
  if (pinned && target->ref_version && pinned != target->ref_version)
    return bad(l, pointer, "%s is referenced at version %d and at version %d",
               target->path, target->ref_version, pinned);
  if (pinned)
    target->ref_version = pinned;
  return KAVRO_OK;
}

static kavro_err_t load_reference(const loader_t *l, sc_file_t *file,
                                  json_t *ref, const char *pointer) {
  static const char *const members[] = {"name", "subject", "version", "file",
                                        NULL};
  kavro_err_t err = KAVRO_OK;
  const char *relative = NULL, *subject = NULL, *name = NULL;
  json_t *version = NULL;
  if (json_is_string(ref)) {
    relative = json_string_value(ref);
  } else if (json_is_object(ref)) {
    if ((err = only_members(l, ref, pointer, members)) != KAVRO_OK)
      return err;
    name = string_member(l, ref, "name", pointer, false, &err);
    subject = string_member(l, ref, "subject", pointer, false, &err);
    relative = string_member(l, ref, "file", pointer, true, &err);
    version = json_object_get(ref, "version");
    if (err == KAVRO_OK && version &&
        !(json_is_integer(version) && json_integer_value(version) >= 1 &&
          json_integer_value(version) <= INT32_MAX))
      err = bad(l, pointer, "\"version\" must be an integer from 1 up");
  } else {
    err = bad(l, pointer, "a reference is a file name or an object");
  }
  if (err != KAVRO_OK)
    return err;
  if (!relative || !*relative)
    return bad(l, pointer, "a reference needs a file name");
  sc_file_t *target = catalog_file(l, relative, pointer, &err);
  if (!target)
    return err;
  if (target == file)
    return bad(l, pointer, "%s cannot reference itself", file->path);
  sc_fileset_add_ref(file, target);
  if (subject && !target->subject)
    target->subject = sc_xstrdup(subject);
  return note_reference(l, target, name, version, pointer);
}

static kavro_err_t load_references(const loader_t *l, sc_file_t *file,
                                   json_t *topic, const char *pointer) {
  json_t *refs = json_object_get(topic, "references");
  if (!refs)
    return KAVRO_OK;
  if (!json_is_array(refs))
    return bad(l, pointer, "\"references\" must be an array");
  char *base = sc_pointer_append(pointer, "references");
  kavro_err_t err = KAVRO_OK;
  size_t i;
  json_t *ref;
  json_array_foreach(refs, i, ref) {
    char index[32];
    snprintf(index, sizeof(index), "%zu", i);
    char *at = sc_pointer_append(base, index);
    err = load_reference(l, file, ref, at);
    free(at);
    if (err != KAVRO_OK)
      break;
  }
  free(base);
  return err;
}

static kavro_err_t load_topic(const loader_t *l, const char *name,
                              json_t *entry, const char *pointer) {
  static const char *const members[] = {"file", "subject", "level", "key",
                                        "references", "doc", NULL};
  if (!json_is_object(entry))
    return bad(l, pointer, "a topic entry must be an object");
  kavro_err_t err = only_members(l, entry, pointer, members);
  const char *relative = string_member(l, entry, "file", pointer, true, &err);
  const char *subject = string_member(l, entry, "subject", pointer, false, &err);
  const char *key = string_member(l, entry, "key", pointer, false, &err);
  string_member(l, entry, "doc", pointer, false, &err);
  sc_topic_t topic = {0};
  if (err == KAVRO_OK)
    err = level_member(l, entry, pointer, &topic.has_level, &topic.level);
  if (err == KAVRO_OK && key && !valid_key_template(key))
    err = bad(l, pointer,
              "\"key\": \"%s\" is not a key template such as "
              "\"{country_code}_{order_id}\"", key);
  if (err != KAVRO_OK)
    return err;
  sc_file_t *file = catalog_file(l, relative, pointer, &err);
  if (!file || (err = load_references(l, file, entry, pointer)) != KAVRO_OK)
    return err;
  topic.name = sc_xstrdup(name);
  /* The registry's default TopicNameStrategy names a value schema's
   * subject "<topic>-value". */
  topic.subject = subject ? sc_xstrdup(subject) : sc_xasprintf("%s-value", name);
  topic.key = key ? sc_xstrdup(key) : NULL;
  topic.file = file;
  if (!file->subject)
    file->subject = sc_xstrdup(topic.subject);
  sc_fileset_t *set = l->set;
  SC_GROW(set->topics, set->topic_count, set->topic_capacity);
  set->topics[set->topic_count++] = topic;
  return KAVRO_OK;
}

static kavro_err_t load_catalog(const loader_t *l, json_t *root) {
  static const char *const members[] = {"level", "topics", "doc", NULL};
  if (!json_is_object(root))
    return bad(l, "", "a catalog is a JSON object");
  kavro_err_t err = only_members(l, root, "", members);
  string_member(l, root, "doc", "", false, &err);
  if (err == KAVRO_OK)
    err = level_member(l, root, "", &l->set->has_level, &l->set->level);
  if (err != KAVRO_OK)
    return err;
  json_t *topics = json_object_get(root, "topics");
  if (!json_is_object(topics))
    return bad(l, "", "\"topics\" (an object of topic entries) is required");
  const char *name;
  json_t *entry;
  json_object_foreach(topics, name, entry) {
    char *pointer = sc_pointer_append("/topics", name);
    err = load_topic(l, name, entry, pointer);
    free(pointer);
    if (err != KAVRO_OK)
      return err;
  }
  return KAVRO_OK;
}

kavro_err_t sc_catalog_load(sc_fileset_t *set, const char *path,
                            kavro_error_t *error) {
  char *text;
  size_t length;
  kavro_err_t err = sc_read_file(path, &text, &length, error);
  if (err != KAVRO_OK)
    return err;
  json_error_t jerr;
  json_t *root = json_loadb(text, length, JSON_REJECT_DUPLICATES, &jerr);
  free(text);
  if (!root) {
    sc_fail(error, KAVRO_ERR_JSON, path, "invalid JSON: %s", jerr.text);
    if (error) {
      error->line = jerr.line;
      error->column = jerr.column;
    }
    return KAVRO_ERR_JSON;
  }
  loader_t l = {set, path, sc_path_dirname(path), error};
  free(set->catalog);
  set->catalog = sc_xstrdup(path);
  err = load_catalog(&l, root);
  free(l.dir);
  json_decref(root);
  return err;
}
