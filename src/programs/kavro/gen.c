/*
 * kavro gen - C types, encoders and decoders from Avro schemas.
 *
 * The schemas are validated by the library first (with their references,
 * as every other subcommand loads them); the generator then walks their
 * JSON into its own model (gen_model.c) and writes one header and one
 * source (gen_header.c, gen_source.c, gen_code.c) for everything asked
 * for in one run, so that a type shared by several schemas is defined
 * once.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "gen.h"
#include "gen_util.h"

static const char usage[] =
    "Usage: kavro gen [OPTIONS] FILE...\n"
    "       kavro gen [OPTIONS] --catalog CATALOG\n"
    "\n"
    "Generate C for the schemas in FILE... (or every topic of CATALOG, with\n"
    "its references, subjects and partition-key templates): OUTDIR/BASE.h\n"
    "and OUTDIR/BASE.c, with per record a struct and NAME_init, NAME_encode,\n"
    "NAME_decode, NAME_decode_new/NAME_free, NAME_equal, NAME_to_json, the\n"
    "schema text and fingerprint, and for a catalog topic\n"
    "NAME_partition_key.  The code needs <kavro/typed_gen.h> and libkavro.\n"
    "\n"
    "C names: a named type's short name in snake case after the prefix\n"
    "(ServiceOrderCreated -> service_order_created_t; when two types share\n"
    "a short name, after the last part of the namespace: projects.TvOutcome\n"
    "-> projects_tv_outcome_t); a root that is not a\n"
    "record is called NAME (--name); an array, map or union type is named\n"
    "after its place (RECORD_FIELD_t, then _items, _values, _bN inside);\n"
    "enum constants are NAME_SYMBOL in upper case; a field named like a C\n"
    "keyword gets a trailing '_'.  Two types with the same C name are an\n"
    "error: generate them in separate runs with different prefixes.\n"
    "\n"
    "Options:\n"
    "  -c, --catalog FILE    the topic catalog (avro/catalog.json format)\n"
    "  -o, --output DIR      where to write the files (default .)\n"
    "  -b, --basename BASE   the files' name (default: catalog, or the first\n"
    "                        FILE's name in snake case)\n"
    "  -n, --name NAME       the C name of a root that is not a record\n"
    "                        (default: BASE)\n"
    "  -p, --prefix P        put P before every C name\n" CLI_COMMON_USAGE "\n"
    "Exit status: 0 written, 1 a schema is invalid or cannot be generated,\n"
    "2 usage or I/O error.\n";

typedef struct gen_options_s {
  const char *catalog, *output, *basename, *name, *prefix;
} gen_options_t;

static int on_option(void *ctx, int opt, const char *arg) {
  gen_options_t *o = ctx;
  switch (opt) {
  case 'c':
    o->catalog = arg;
    break;
  case 'o':
    o->output = arg;
    break;
  case 'b':
    o->basename = arg;
    break;
  case 'n':
    o->name = arg;
    break;
  default:
    o->prefix = arg;
    break;
  }
  return CLI_EXIT_OK;
}

static const struct option options[] = {
    {"catalog", required_argument, NULL, 'c'},
    {"output", required_argument, NULL, 'o'},
    {"basename", required_argument, NULL, 'b'},
    {"name", required_argument, NULL, 'n'},
    {"prefix", required_argument, NULL, 'p'},
    {NULL, 0, NULL, 0},
};

static const cli_spec_t spec = {.name = "gen",
                                .usage = usage,
                                .min_args = 0,
                                .max_args = 0,
                                .options = options,
                                .short_options = "c:o:b:n:p:",
                                .on_option = on_option};

/* ---- what to generate ---------------------------------------------------- */

typedef struct job_s {
  char *path;                    /* the schema file */
  const char *topic, *subject, *key, *file;
} job_t;

typedef struct jobs_s {
  job_t *items;
  size_t count, capacity;
  json_t *catalog;               /* owns the strings the jobs point at */
} jobs_t;

static bool is_identifier(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9'))
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '_'))
      return false;
  return true;
}

/* "service_order_created" from "dir/ServiceOrderCreated.avsc". */
static char *base_of(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  const char *dot = strrchr(name, '.');
  char *stem = gen_strndup(name, dot ? (size_t)(dot - name) : strlen(name));
  char *snake = gen_snake(stem);
  for (char *p = snake; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
      *p = '_';
  free(stem);
  return snake;
}

static char *catalog_dir(const char *catalog) {
  char *copy = gen_xstrdup(catalog);
  char *dir = gen_xstrdup(dirname(copy));
  free(copy);
  return dir;
}

static int add_reference(cli_refs_t *refs, const char *dir, const json_t *ref) {
  const char *file = json_is_string(ref)
                         ? json_string_value(ref)
                         : json_string_value(json_object_get(ref, "file"));
  if (!file) {
    fprintf(stderr, "kavro gen: a catalog reference has no file\n");
    return CLI_EXIT_INVALID;
  }
  char *path = gen_strf("%s/%s", dir, file);
  int status = CLI_EXIT_OK;
  bool seen = false;
  for (size_t i = 0; i < refs->path_count && !seen; i++)
    seen = strcmp(refs->paths[i], path) == 0;
  if (!seen)
    status = cli_refs_option(refs, "gen", CLI_OPT_SCHEMA, path);
  free(path);
  return status;
}

/* Every topic of the catalog as a job, its references into @refs. */
static int read_catalog(const char *catalog, jobs_t *jobs, cli_refs_t *refs) {
  json_error_t jerr;
  if (!(jobs->catalog = json_load_file(catalog, 0, &jerr))) {
    fprintf(stderr, "kavro gen: %s:%d: %s\n", catalog, jerr.line, jerr.text);
    return CLI_EXIT_USAGE;
  }
  json_t *topics = json_object_get(jobs->catalog, "topics");
  if (!json_is_object(topics)) {
    fprintf(stderr, "kavro gen: %s has no \"topics\" object\n", catalog);
    return CLI_EXIT_INVALID;
  }
  char *dir = catalog_dir(catalog);
  int status = CLI_EXIT_OK;
  const char *topic;
  json_t *entry;
  json_object_foreach(topics, topic, entry) {
    const char *file = json_string_value(json_object_get(entry, "file"));
    if (!file) {
      fprintf(stderr, "kavro gen: topic %s has no \"file\"\n", topic);
      status = CLI_EXIT_INVALID;
      break;
    }
    job_t job = {gen_strf("%s/%s", dir, file), topic,
                 json_string_value(json_object_get(entry, "subject")),
                 json_string_value(json_object_get(entry, "key")), file};
    GEN_PUSH(jobs->items, jobs->count, jobs->capacity, job);
    json_t *ref;
    size_t i;
    json_array_foreach(json_object_get(entry, "references"), i, ref) {
      if ((status = add_reference(refs, dir, ref)) != CLI_EXIT_OK)
        break;
    }
    if (status != CLI_EXIT_OK)
      break;
  }
  free(dir);
  return status;
}

static void jobs_free(jobs_t *jobs) {
  for (size_t i = 0; i < jobs->count; i++)
    free(jobs->items[i].path);
  free(jobs->items);
  json_decref(jobs->catalog);
}

/* ---- running --------------------------------------------------------------- */

/* Validate every job's schema with the library, then walk the references
 * (in the order they load) and the jobs into the model. */
static int build_model(gen_t *g, cli_refs_t *refs, const jobs_t *jobs,
                       const char *name) {
  char **targets = gen_xcalloc(jobs->count + 1, sizeof(char *));
  for (size_t i = 0; i < jobs->count; i++)
    targets[i] = jobs->items[i].path;
  int status = cli_refs_load(refs, targets, jobs->count);
  free(targets);
  if (status != CLI_EXIT_OK)
    return status;
  for (size_t i = 0; i < refs->schema_count; i++)
    if (!gen_add_schema(g, kavro_schema_text(refs->schemas[i]), NULL, NULL))
      return CLI_EXIT_INVALID;
  for (size_t i = 0; i < jobs->count && status == CLI_EXIT_OK; i++) {
    const job_t *job = &jobs->items[i];
    kavro_schema_t *schema = NULL;
    gen_type_t *root = NULL;
    status = cli_parse_schema(refs, job->path, &schema);
    if (status == CLI_EXIT_OK &&
        (!gen_add_schema(g, kavro_schema_text(schema), job->path, &root) ||
         (root && !gen_add_root(g, root, name, job->topic, job->subject,
                                job->key, job->file))))
      status = CLI_EXIT_INVALID;
    kavro_schema_destroy(schema);
  }
  return status;
}

/* Create @dir and its missing parents, as `mkdir -p` does: a build that
 * generates into a fresh directory need not make it first. */
static int make_dirs(const char *dir) {
  char *path = gen_xstrdup(dir);
  int status = CLI_EXIT_OK;
  for (char *p = path + (*path ? 1 : 0); status == CLI_EXIT_OK; p++) {
    bool end = *p == '\0';
    if (!end && *p != '/')
      continue;
    *p = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
      cli_print_line("kavro gen: %s: %s", path, strerror(errno));
      status = CLI_EXIT_USAGE;
    }
    if (end)
      break;
    *p = '/';
  }
  free(path);
  return status;
}

static int write_file(gen_t *g, const char *dir, const char *base,
                      const char *ext,
                      bool (*write)(gen_t *, FILE *, const char *)) {
  char *path = gen_strf("%s/%s.%s", dir, base, ext);
  FILE *out = fopen(path, "w");
  int status = CLI_EXIT_OK;
  if (!out) {
    cli_print_line("kavro gen: %s: %s", path, strerror(errno));
    status = CLI_EXIT_USAGE;
  } else {
    bool ok = write(g, out, base);
    if (fclose(out) != 0 || !ok) {
      fprintf(stderr, "kavro gen: writing %s failed\n", path);
      status = ok ? CLI_EXIT_USAGE : CLI_EXIT_INVALID;
    }
  }
  free(path);
  return status;
}

static int generate(const gen_options_t *o, cli_refs_t *refs, jobs_t *jobs) {
  char *base = o->basename ? gen_xstrdup(o->basename)
               : o->catalog ? gen_xstrdup("catalog")
                            : base_of(jobs->items[0].path);
  const char *name = o->name ? o->name : base;
  if (!is_identifier(base) || !is_identifier(name)) {
    free(base);
    return cli_usage_error("gen", "the base name and --name must be C "
                                  "identifiers");
  }
  gen_t *g = gen_new(o->prefix);
  int status = build_model(g, refs, jobs, name);
  if (status == CLI_EXIT_OK && !gen_finish(g))
    status = CLI_EXIT_INVALID;
  char *full_base = gen_strf("%s%s", g->prefix, base);
  const char *dir = o->output ? o->output : ".";
  if (status == CLI_EXIT_OK)
    status = make_dirs(dir);
  if (status == CLI_EXIT_OK)
    status = write_file(g, dir, full_base, "h", gen_write_header);
  if (status == CLI_EXIT_OK)
    status = write_file(g, dir, full_base, "c", gen_write_source);
  free(full_base);
  free(base);
  gen_free(g);
  return status;
}

static int run(int argc, char **argv) {
  gen_options_t o = {0};
  cli_refs_t refs = CLI_REFS_INIT;
  jobs_t jobs = {0};
  int first;
  int status = cli_parse_args(&spec, &o, argc, argv, &refs, &first);
  if (status >= 0) {
    cli_refs_free(&refs);
    return status;
  }
  if (o.prefix && *o.prefix && !is_identifier(o.prefix)) {
    cli_refs_free(&refs);
    return cli_usage_error("gen", "the prefix must be a C identifier");
  }
  status = o.catalog ? read_catalog(o.catalog, &jobs, &refs) : CLI_EXIT_OK;
  for (int i = first; i < argc && status == CLI_EXIT_OK; i++) {
    /* Only the base name goes into the generated code: where the schema
     * happened to lie must not change it (a fresh checkout elsewhere would
     * otherwise generate different code). */
    const char *slash = strrchr(argv[i], '/');
    job_t job = {gen_xstrdup(argv[i]), NULL, NULL, NULL, slash ? slash + 1 : argv[i]};
    GEN_PUSH(jobs.items, jobs.count, jobs.capacity, job);
  }
  if (status == CLI_EXIT_OK && jobs.count == 0)
    status = cli_usage_error("gen", "give schema files or --catalog");
  if (status == CLI_EXIT_OK)
    status = generate(&o, &refs, &jobs);
  jobs_free(&jobs);
  cli_refs_free(&refs);
  return status;
}

const cli_command_t cli_gen = {"gen", "generate C types and codecs from "
                                      "schemas",
                               run};
