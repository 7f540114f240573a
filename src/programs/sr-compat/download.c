/*
 * sr-compat download - copy the registered schemas of subjects into a
 * directory that `check --against-dir DIR` takes as a baseline, and that
 * sr-compat reads the way it reads a checkout: through a catalog.
 *
 * Layout of DIR:
 *   SUBJECT/vN.avsc           the registry's text of version N of SUBJECT
 *                             (characters other than letters, digits, '.',
 *                             '_' and '-' written %XX, and a leading '.')
 *   sr-compat-download.json   a catalog (doc/catalog.md): one entry per
 *                             downloaded subject-version, named after the
 *                             subject for the versions asked for and
 *                             "SUBJECT version N" for those downloaded only
 *                             because a schema references them, each with
 *                             its subject, the level that governs it and
 *                             its references {name, subject, version, file}
 *
 * Every schema a downloaded schema references is downloaded too, at the
 * version the reference names, so the catalog resolves references exactly
 * as the registry does.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "command.h"
#include "source.h"
#include "subcommands.h"
#include "util.h"

static const char download_help[] =
    "Usage: sr-compat download --registry URL --output DIR [OPTIONS] "
    "[SUBJECT...]\n"
    "\n"
    "Write the schemas registered in the Schema Registry at URL (default\n"
    "$SCHEMA_REGISTRY_URL) under each SUBJECT (a name or a glob such as\n"
    "'shop.*'; without SUBJECT every subject) to DIR, created when missing:\n"
    "DIR/SUBJECT/vN.avsc, each schema it references too, and a catalog,\n"
    "DIR/" SC_DOWNLOAD_CATALOG ", mapping the files to their subjects, levels\n"
    "and references.  'sr-compat check --against-dir DIR' then compares each\n"
    "file with the downloaded version of its subject, under the level the\n"
    "registry had for it, as 'check --registry URL' would.\n"
    "\n"
    "Options:\n"
    "  --registry URL     the Schema Registry\n"
    "  --output DIR       where to write (required)\n"
    "  --version V        the version of each subject: a number, or latest\n"
    "                     (the default)\n"
    "  -X KEY=VALUE       a kavro configuration property (time-outs, retries,\n"
    "                     TLS, auth; see doc/CONFIGURATION.md), repeatable.\n"
    "                     Credentials: -X basic.auth.user.info=USER:PASSWORD\n"
    "                     or, kept out of process listings, the environment\n"
    "                     variable SR_COMPAT_BASIC_AUTH=USER:PASSWORD\n"
    "  --format FORMAT    text (default): one line per file written; json:\n"
    "                     {\"registry\", \"output\", \"files\": [{\"subject\",\n"
    "                     \"version\", \"id\", \"file\", \"referenced_only\"}]}\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 downloaded, 2 usage, I/O or registry error (a SUBJECT\n"
    "that matches no subject among them).\n";

/* Bound on the nesting of references followed, as the library's own. */
#define MAX_REFERENCE_DEPTH 32

typedef struct entry_s {
  char *subject;
  int version;
  int32_t id;
  char *file;            /* relative to the output directory */
  kavro_schema_ref_t *refs; /* one block */
  size_t ref_count;
  bool asked;            /* a version asked for, not only referenced */
  char level[KAVRO_REGISTRY_NAME_SIZE];
} entry_t;

typedef struct downloader_s {
  kavro_registry_t *registry;
  const char *output;
  int version;           /* KAVRO_REGISTRY_LATEST or a number */
  entry_t *entries;
  size_t count, capacity;
} downloader_t;

/* @subject as one path component: letters, digits, '.', '_' and '-' kept
 * (a leading '.' escaped, so "." and ".." stay names), the rest %XX. */
static char *subject_component(const char *subject) {
  size_t n = strlen(subject);
  char *out = sc_xmalloc(3 * n + 1), *p = out;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)subject[i];
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                (c == '.' && i > 0);
    if (keep)
      *p++ = (char)c;
    else
      p += sprintf(p, "%%%02X", c);
  }
  *p = '\0';
  return out;
}

static kavro_err_t make_dir(const char *path, kavro_error_t *error) {
  if (mkdir(path, 0777) != 0 && errno != EEXIST)
    return sc_fail(error, KAVRO_ERR_IO, path, "cannot create: %s",
                   strerror(errno));
  return KAVRO_OK;
}

/* mkdir -p @path. */
static kavro_err_t make_dirs(const char *path, kavro_error_t *error) {
  char *copy = sc_xstrdup(path);
  kavro_err_t err = KAVRO_OK;
  for (char *p = copy + 1; err == KAVRO_OK && *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    err = make_dir(copy, error);
    *p = '/';
  }
  if (err == KAVRO_OK)
    err = make_dir(copy, error);
  free(copy);
  return err;
}

static kavro_err_t write_text(const char *path, const char *text,
                              kavro_error_t *error) {
  FILE *f = fopen(path, "w");
  if (!f)
    return sc_fail(error, KAVRO_ERR_IO, path, "cannot write: %s",
                   strerror(errno));
  size_t n = strlen(text);
  bool ok = fwrite(text, 1, n, f) == n && (n == 0 || text[n - 1] == '\n' ||
                                           fputc('\n', f) != EOF);
  if (fclose(f) != 0)
    ok = false;
  return ok ? KAVRO_OK
            : sc_fail(error, KAVRO_ERR_IO, path, "cannot write: %s",
                      strerror(errno));
}

static entry_t *find_entry(downloader_t *d, const char *subject, int version) {
  for (size_t i = 0; i < d->count; i++)
    if (d->entries[i].version == version &&
        strcmp(d->entries[i].subject, subject) == 0)
      return &d->entries[i];
  return NULL;
}

/* Write @schema as version @version of @subject; records the file. */
static kavro_err_t write_schema(downloader_t *d, entry_t *e,
                                const kavro_schema_t *schema,
                                kavro_error_t *error) {
  char *component = subject_component(e->subject);
  char *dir = sc_path_join(d->output, component);
  e->file = sc_xasprintf("%s/v%d.avsc", component, e->version);
  char *path = sc_path_join(d->output, e->file);
  kavro_err_t err = make_dir(dir, error);
  if (err == KAVRO_OK)
    err = write_text(path, kavro_schema_text(schema), error);
  free(path);
  free(dir);
  free(component);
  return err;
}

static kavro_err_t fetch(downloader_t *d, const char *subject, int version,
                         bool asked, int depth, kavro_error_t *error);

/* The schemas @d->entries[@index] references, each at its version. */
static kavro_err_t fetch_refs(downloader_t *d, size_t index, int depth,
                              kavro_error_t *error) {
  for (size_t i = 0; i < d->entries[index].ref_count; i++) {
    /* Entries move as the array grows: index again each time. */
    const kavro_schema_ref_t *r = &d->entries[index].refs[i];
    if (depth >= MAX_REFERENCE_DEPTH)
      return sc_fail(error, KAVRO_ERR_LIMIT, r->subject,
                     "schema references nest deeper than %d",
                     MAX_REFERENCE_DEPTH);
    kavro_err_t err = fetch(d, r->subject, r->version, false, depth + 1, error);
    if (err != KAVRO_OK)
      return err;
  }
  return KAVRO_OK;
}

/* Download version @version of @subject (KAVRO_REGISTRY_LATEST allowed)
 * and what it references, each once. */
static kavro_err_t fetch(downloader_t *d, const char *subject, int version,
                         bool asked, int depth, kavro_error_t *error) {
  entry_t *known = version != KAVRO_REGISTRY_LATEST
                       ? find_entry(d, subject, version) : NULL;
  if (known) {
    known->asked = known->asked || asked;
    return KAVRO_OK;
  }
  kavro_schema_t *schema = NULL;
  entry_t e = {.asked = asked};
  kavro_err_t err = kavro_registry_get_version(d->registry, subject, version,
                                               &schema, &e.id, &e.version,
                                               error);
  if (err == KAVRO_OK && (known = find_entry(d, subject, e.version))) {
    known->asked = known->asked || asked; /* latest, already referenced */
    kavro_schema_destroy(schema);
    return KAVRO_OK;
  }
  if (err == KAVRO_OK)
    err = kavro_registry_version_refs(d->registry, subject, e.version, &e.refs,
                                      &e.ref_count, NULL, error);
  e.subject = sc_xstrdup(subject);
  if (err == KAVRO_OK)
    err = write_schema(d, &e, schema, error);
  kavro_schema_destroy(schema);
  SC_GROW(d->entries, d->count, d->capacity);
  d->entries[d->count++] = e;
  return err == KAVRO_OK ? fetch_refs(d, d->count - 1, depth, error) : err;
}

/* The level that governs each subject asked for, by the gate's rule (as
 * `check --registry` applies it). */
static kavro_err_t record_levels(downloader_t *d, kavro_error_t *error) {
  for (size_t i = 0; i < d->count; i++) {
    entry_t *e = &d->entries[i];
    kavro_compat_level_t level;
    if (!e->asked)
      continue;
    kavro_err_t err = kavro_subject_level(d->registry, e->subject, &level,
                                          error);
    if (err != KAVRO_OK)
      return err;
    snprintf(e->level, sizeof(e->level), "%s", kavro_compat_level_name(level));
  }
  return KAVRO_OK;
}

/* The catalog entry name of @e: its subject for a version asked for. */
static char *entry_name(const entry_t *e) {
  return e->asked ? sc_xstrdup(e->subject)
                  : sc_xasprintf("%s version %d", e->subject, e->version);
}

static json_t *catalog_entry(downloader_t *d, const entry_t *e) {
  json_t *entry = sc_xjson(json_pack("{s:s, s:s}", "file", e->file, "subject",
                                     e->subject));
  if (e->asked)
    json_object_set_new(entry, "level", sc_xjson(json_string(e->level)));
  if (!e->ref_count)
    return entry;
  json_t *refs = sc_xjson(json_array());
  for (size_t i = 0; i < e->ref_count; i++) {
    const kavro_schema_ref_t *r = &e->refs[i];
    const entry_t *target = find_entry(d, r->subject, r->version);
    json_array_append_new(refs, sc_xjson(json_pack(
                                    "{s:s, s:s, s:i, s:s}", "name", r->name,
                                    "subject", r->subject, "version",
                                    r->version, "file", target->file)));
  }
  json_object_set_new(entry, "references", refs);
  return entry;
}

/* DIR/sr-compat-download.json: every entry, the ones asked for first. */
static kavro_err_t write_catalog(downloader_t *d, const char *shown,
                                 kavro_error_t *error) {
  json_t *topics = sc_xjson(json_object());
  for (int asked = 1; asked >= 0; asked--)
    for (size_t i = 0; i < d->count; i++) {
      if (d->entries[i].asked != (asked == 1))
        continue;
      char *name = entry_name(&d->entries[i]);
      json_object_set_new(topics, name, catalog_entry(d, &d->entries[i]));
      free(name);
    }
  char *doc = sc_xasprintf("Written by sr-compat download from %s.", shown);
  json_t *root = sc_xjson(json_pack("{s:s, s:o}", "doc", doc, "topics",
                                    topics));
  free(doc);
  char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(root);
  if (!text)
    sc_out_of_memory();
  char *path = sc_path_join(d->output, SC_DOWNLOAD_CATALOG);
  kavro_err_t err = write_text(path, text, error);
  free(path);
  free(text);
  return err;
}

/* The registry's subjects that the @count @patterns select (all when
 * none), in the registry's order; each pattern must select one. */
static kavro_err_t select_subjects(kavro_registry_t *registry,
                                   char *const *patterns, int count,
                                   char ***subjectsp, size_t *countp,
                                   kavro_error_t *error) {
  char **all = NULL;
  size_t n = 0;
  kavro_err_t err = kavro_registry_subjects(registry, false, &all, &n, error);
  if (err != KAVRO_OK)
    return err;
  char **chosen = sc_xcalloc(n + 1, sizeof(*chosen));
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    bool match = count == 0;
    for (int p = 0; p < count && !match; p++)
      match = fnmatch(patterns[p], all[i], 0) == 0;
    if (match)
      chosen[k++] = sc_xstrdup(all[i]);
  }
  for (int p = 0; p < count && err == KAVRO_OK; p++) {
    bool used = false;
    for (size_t i = 0; i < n && !used; i++)
      used = fnmatch(patterns[p], all[i], 0) == 0;
    if (!used)
      err = sc_fail(error, KAVRO_ERR_SUBJECT_NOT_FOUND, NULL,
                    "no subject of the registry matches \"%s\"", patterns[p]);
  }
  free(all);
  *subjectsp = chosen;
  *countp = k;
  return err;
}

static void print_result(const sc_admin_t *admin, const downloader_t *d,
                         const char *shown) {
  if (!admin->json) {
    for (size_t i = 0; i < d->count; i++) {
      const entry_t *e = &d->entries[i];
      char *path = sc_path_join(d->output, e->file);
      sc_print_line(stdout, "%s: subject %s version %d id %d%s", path,
                    e->subject, e->version, (int)e->id,
                    e->asked ? "" : " (referenced)");
      free(path);
    }
    sc_print_line(stdout, "%zu file%s written to %s", d->count,
                  d->count == 1 ? "" : "s", d->output);
    return;
  }
  json_t *files = sc_xjson(json_array());
  for (size_t i = 0; i < d->count; i++) {
    const entry_t *e = &d->entries[i];
    char *path = sc_path_join(d->output, e->file);
    json_array_append_new(files, sc_xjson(json_pack(
        "{s:s, s:i, s:i, s:s, s:b}", "subject", e->subject, "version",
        e->version, "id", (int)e->id, "file", path, "referenced_only",
        !e->asked)));
    free(path);
  }
  json_t *root = sc_xjson(json_pack("{s:s, s:s, s:o}", "registry", shown,
                                    "output", d->output, "files", files));
  json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', stdout);
  json_decref(root);
}

static kavro_err_t download(downloader_t *d, const char *shown,
                            char *const *patterns, int count,
                            kavro_error_t *error) {
  char **subjects = NULL;
  size_t n = 0;
  kavro_err_t err = select_subjects(d->registry, patterns, count, &subjects,
                                    &n, error);
  if (err == KAVRO_OK)
    err = make_dirs(d->output, error);
  for (size_t i = 0; err == KAVRO_OK && i < n; i++)
    err = fetch(d, subjects[i], d->version, true, 0, error);
  if (err == KAVRO_OK)
    err = record_levels(d, error);
  if (err == KAVRO_OK)
    err = write_catalog(d, shown, error);
  for (size_t i = 0; subjects && subjects[i]; i++)
    free(subjects[i]);
  free(subjects);
  return err;
}

enum { OPT_OUTPUT = SC_ADMIN_OPT_FIRST, OPT_VERSION };

typedef struct download_args_s {
  const char *output;
  int version;
} download_args_t;

static int download_option(void *context, int opt, const char *arg) {
  download_args_t *a = context;
  if (opt == OPT_OUTPUT) {
    a->output = arg;
    return SC_EXIT_OK;
  }
  if (strcmp(arg, "latest") == 0) {
    a->version = KAVRO_REGISTRY_LATEST;
    return SC_EXIT_OK;
  }
  char *end;
  errno = 0;
  long v = strtol(arg, &end, 10);
  if (errno || end == arg || *end || v < 1 || v > INT32_MAX)
    return sc_usage_error("download", "--version takes a number from 1 up "
                                      "or latest, not \"%s\"", arg);
  a->version = (int)v;
  return SC_EXIT_OK;
}

static void downloader_clear(downloader_t *d) {
  for (size_t i = 0; i < d->count; i++) {
    free(d->entries[i].subject);
    free(d->entries[i].file);
    free(d->entries[i].refs);
  }
  free(d->entries);
}

int sc_cmd_download(int argc, char **argv) {
  static const struct option options[] = {
      {"output", required_argument, NULL, OPT_OUTPUT},
      {"version", required_argument, NULL, OPT_VERSION},
      {NULL, 0, NULL, 0}};
  download_args_t a = {NULL, KAVRO_REGISTRY_LATEST};
  sc_admin_t admin = {.command = "download", .help = download_help,
                      .options = options, .option = download_option,
                      .context = &a};
  int status = sc_admin_parse(&admin, argc, argv, 0, -1);
  if (status < 0 && !a.output)
    status = sc_usage_error("download", "say where to write: --output DIR");
  if (status >= 0) {
    sc_admin_clear(&admin);
    return status;
  }
  char *shown = NULL;
  downloader_t d = {.output = a.output, .version = a.version};
  d.registry = sc_admin_open(&admin, &shown);
  status = SC_EXIT_ERROR;
  if (d.registry) {
    kavro_error_t error;
    if (download(&d, shown, argv + optind, argc - optind, &error) == KAVRO_OK) {
      print_result(&admin, &d, shown);
      status = SC_EXIT_OK;
    } else {
      status = sc_report_error(&error);
    }
  }
  downloader_clear(&d);
  kavro_registry_destroy(d.registry);
  free(shown);
  sc_admin_clear(&admin);
  return status;
}
