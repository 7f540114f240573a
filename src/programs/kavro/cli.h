/*
 * kavro (the program) - what main.c and the subcommands share: the
 * command table entry, exit codes, and loading schemas that use named
 * types from other files.
 *
 * The program uses the library's public API only.
 */
#ifndef KAVRO_CLI_H
#define KAVRO_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <kavro.h>

/* Exit codes, the same for every subcommand. */
enum {
  CLI_EXIT_OK = 0,      /* done; every schema valid */
  CLI_EXIT_INVALID = 1, /* some input is not a valid schema */
  CLI_EXIT_USAGE = 2    /* bad command line, unreadable file, no memory */
};

/*
 * One subcommand.  Adding a subcommand is one file that defines such a
 * struct and one row in main.c's table.  run() gets the arguments after
 * "kavro": argv[0] is the subcommand's name, so getopt_long() works as in
 * any main().
 */
typedef struct cli_command_s {
  const char *name;
  const char *summary; /* one line for `kavro --help` */
  int (*run)(int argc, char **argv);
} cli_command_t;

extern const cli_command_t cli_validate;
extern const cli_command_t cli_canonical;
extern const cli_command_t cli_fingerprint;
extern const cli_command_t cli_mock_registry;
extern const cli_command_t cli_gen;
extern const cli_command_t cli_encode;
extern const cli_command_t cli_decode;
extern const cli_command_t cli_produce;
extern const cli_command_t cli_consume;
extern const cli_command_t cli_mock_cluster;
extern const cli_command_t cli_dlq;

/* ---- command-line helpers -------------------------------------------- */

/* Options every schema-reading subcommand takes. */
#define CLI_OPT_REFERENCES 'r'
#define CLI_OPT_SCHEMA 's'
#define CLI_OPT_HELP 'h'
/* Their lines for a subcommand's --help text. */
#define CLI_COMMON_USAGE                                                       \
  "  -r, --references DIR  named types may come from every .avsc in DIR\n"     \
  "                        (repeatable; files may use each other's types)\n"   \
  "  -s, --schema FILE     named types may come from FILE (repeatable)\n"      \
  "  -h, --help            show this help\n"

struct cli_refs_s;

/* How a subcommand reads its command line. */
typedef struct cli_spec_s {
  const char *name;  /* the subcommand, for messages */
  const char *usage; /* the whole --help text */
  size_t min_args;   /* operands (files) it needs ... */
  size_t max_args;   /* ... and takes at most; 0 = no limit */
  /* Options of its own besides the common ones (NULL-terminated table,
   * may be NULL), their short letters, and the handler that gets each one
   * with its argument and returns a CLI_EXIT_* code. */
  const struct option *options;
  const char *short_options;
  int (*on_option)(void *ctx, int opt, const char *arg);
} cli_spec_t;

/*
 * Read the options of @argv as @spec describes, collecting --references and
 * --schema into @refs.  Returns -1 when the caller should go on with its
 * operands, argv[*first_arg] to argv[argc - 1]; otherwise the exit status
 * to return at once (after --help, or a usage error already reported).
 */
int cli_parse_args(const cli_spec_t *spec, void *ctx, int argc, char **argv,
                   struct cli_refs_s *refs, int *first_arg);

/* Print one line on stderr, formatted as printf() does and then made
 * printable: URLs without user info, control characters escaped.  For
 * every message that quotes what the program did not write itself (error
 * texts, file names, settings, registry replies), which could otherwise
 * leak a password or drive the terminal. */
void cli_print_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Every message of the program starts "kavro CMD: " (CMD the subcommand),
 * so that a script's log tells which step failed.  main() names the
 * subcommand it runs here; cli_error() prints "kavro CMD: " and the
 * message formatted as printf() does, made printable as by
 * cli_print_line(), for messages whose code is not told the subcommand. */
void cli_set_command(const char *name);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The "s" a count's noun takes: "%lu record%s" with cli_plural_s(n)
 * reads "1 record", "2 records". */
static inline const char *cli_plural_s(unsigned long count) {
  return count == 1 ? "" : "s";
}

/* Report a command-line mistake of subcommand @cmd on stderr (as
 * cli_print_line() does), with a hint to --help, and return
 * CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Flush stdout and report a failed write (a full disk, a closed pipe);
 * returns @status or CLI_EXIT_USAGE. */
int cli_finish_output(int status);

/* ---- schemas with references ----------------------------------------- */

/* The named types a schema may use from other files, and those files. */
typedef struct cli_refs_s {
  char **paths; /* files to load, in the order they were named */
  size_t path_count;
  size_t path_capacity;
  kavro_schema_t **schemas; /* parsed, each after those it uses */
  size_t schema_count;
  bool lenient; /* read every file as a registry reads the schemas it
                   holds (kavro_parse_options_t.lenient) */
} cli_refs_t;

#define CLI_REFS_INIT                                                          \
  { NULL, 0, 0, NULL, 0, false }

/* Handle option @opt (CLI_OPT_REFERENCES or CLI_OPT_SCHEMA) with its
 * argument: collect the file, or every .avsc of the directory (sorted by
 * name).  Returns CLI_EXIT_OK or, with a message, CLI_EXIT_USAGE. */
int cli_refs_option(cli_refs_t *refs, const char *cmd, int opt,
                    const char *arg);

/*
 * Parse every collected file, each after the files whose types it uses,
 * leaving out files that are among @targets (a schema is not its own
 * reference).  Errors are printed.  Returns CLI_EXIT_OK, CLI_EXIT_INVALID
 * when some file is not a valid schema (the rest are still loaded), or
 * CLI_EXIT_USAGE when a file cannot be read.
 */
int cli_refs_load(cli_refs_t *refs, char *const *targets, size_t target_count);

/* Writes what a subcommand shows about one schema to stdout. */
typedef void (*cli_print_fn)(const kavro_schema_t *schema, void *ctx);

/*
 * The whole run of a subcommand that reads one schema FILE (with its
 * references) and prints something about it: reads the command line as
 * @spec says (@ctx goes to its option handler), loads the schema and calls
 * @print with it and @ctx.  Returns the exit status.  The schema is read
 * leniently, as a registry reads the schemas it holds: these subcommands
 * (canonical, fingerprint) describe any schema a registry may hold, and
 * the canonical form has no defaults.
 */
int cli_run_on_schema(const cli_spec_t *spec, void *ctx, int argc, char **argv,
                      cli_print_fn print);

/*
 * Parse @path with the loaded references.  On success stores the schema in
 * @schemap (destroy it), prints any warnings and returns CLI_EXIT_OK;
 * otherwise prints the error and returns CLI_EXIT_INVALID or
 * CLI_EXIT_USAGE.
 */
int cli_parse_schema(const cli_refs_t *refs, const char *path,
                     kavro_schema_t **schemap);

/*
 * After a strict parse of @path failed: when a lenient one
 * (kavro_parse_options_t.lenient) succeeds, say so on stderr, one line per
 * rule it relaxes ("a registry would accept this with a warning: ..."),
 * so that a person knows the schema is one registries hold though it may
 * not be registered anew.  Prints nothing otherwise.
 */
void cli_note_lenient(const cli_refs_t *refs, const char *path);

void cli_refs_free(cli_refs_t *refs);

/* ---- message input and output (encode, decode: serde_io.c) ---------- */

/* The subject callback of --subject (kavro_subject_name_cb_t): @opaque,
 * the subject as given, for every topic. */
kavro_err_t cli_fixed_subject(void *opaque, const char *topic, bool is_key,
                              const kavro_schema_t *schema, char *subject,
                              size_t size, kavro_error_t *error);

/* The context callback of --context (kavro_context_name_cb_t): @opaque,
 * the context as given, for every topic. */
kavro_err_t cli_fixed_context(void *opaque, const char *topic, char *context,
                              size_t size, kavro_error_t *error);

/* Bounds on what the message subcommands read: one line, a whole input. */
#define CLI_MAX_LINE (64u * 1024u * 1024u)
#define CLI_MAX_INPUT (256u * 1024u * 1024u)

/* Open @path for reading (NULL or "-": stdin); on failure a message and
 * CLI_EXIT_USAGE. */
int cli_open_input(const char *cmd, const char *path, FILE **inp);
void cli_close_input(FILE *in);

/* Read one line (without its "\n" or "\r\n") into @*line, grown as
 * needed up to CLI_MAX_LINE.  Returns 1 for a line, 0 at the end, -1 when
 * reading fails or the line is too long. */
int cli_read_line(FILE *in, char **line, size_t *capacity, size_t *length);

/* True when the @length bytes of @line are all white space.  A NUL byte
 * is not: such a line is input to report, never to skip. */
bool cli_blank_line(const char *line, size_t length);

/* Read all of @in (at most CLI_MAX_INPUT bytes) into a new @*datap. */
int cli_read_all(const char *cmd, FILE *in, unsigned char **datap,
                 size_t *lengthp);

/* Hex (either case, surrounding blanks ignored) to bytes; @out has room
 * for @length / 2 bytes.  False when the text is not hex. */
bool cli_hex_decode(const char *hex, size_t length, unsigned char *out,
                    size_t *out_length);

/* @data as lowercase hex, on stdout: cli_put_hex() alone, cli_print_hex()
 * with a newline. */
void cli_put_hex(const unsigned char *data, size_t length);
void cli_print_hex(const unsigned char *data, size_t length);

/* What a -X argument without '=' gets: nothing of it is echoed, since a
 * mistyped "basic.auth.user.info:USER:PASSWORD" holds a secret. */
#define CLI_SETTING_MALFORMED                                                  \
  "-X wants KEY=VALUE (the argument is not shown: it may hold a secret)"

/* What cli_conf_setting() returns for a key kavro does not know. */
#define CLI_SETTING_UNKNOWN (-1)

/*
 * Apply one -X argument, @arg ("KEY=VALUE"), to @conf: the one way every
 * subcommand reads -X.  Returns CLI_EXIT_OK, or CLI_EXIT_USAGE after
 * reporting a malformed argument or a value kavro refuses (naming the key,
 * never a secret's value).  A key kavro does not know gives
 * CLI_SETTING_UNKNOWN, unreported, with the key in @key (@key_size bytes)
 * and kavro's message in @error, for a caller that offers the key to
 * another library; others report it with cli_setting_unknown().
 */
int cli_conf_setting(const char *cmd, kavro_conf_t *conf, const char *arg,
                     char *key, size_t key_size, kavro_error_t *error);

/* Report the unknown key of a CLI_SETTING_UNKNOWN; returns CLI_EXIT_USAGE. */
int cli_setting_unknown(const char *cmd, const kavro_error_t *error);

/* A registry client for @url with the settings of @*confp (-X), which it
 * takes (sets to NULL) when the client is made. */
int cli_registry_new(const char *cmd, const char *url, kavro_conf_t **confp,
                     kavro_registry_t **regp);

/* For each mock://SCOPE URL in @urls (a schema.registry.url list), an
 * in-process mock registry of that scope (kavro/mock.h), made once per
 * scope and living until cli_mocks_destroy(), which main() calls when the
 * command is done: in a program of its own, a mock:// URL names a registry
 * of that very process.  Other URLs are left alone.  Returns CLI_EXIT_OK,
 * or CLI_EXIT_USAGE after a message.  Not thread-safe: call it from the
 * main thread before the registry client is made. */
int cli_mocks_for_urls(const char *cmd, const char *urls);
void cli_mocks_destroy(void);

/* "kavro CMD: [WHERE: ]ERROR" on stderr. */
void cli_print_kavro_error(const char *cmd, const char *where,
                           const kavro_error_t *error);

/* The exit status of a failed datum or message, one rule for every
 * command: 1 when the input is at fault (kavro_error_classify() says
 * PERMANENT: a datum that does not fit, a body that cannot be decoded, an
 * id the registry confirms it does not know, a schema the gate refuses),
 * 2 for the rest: memory, configuration, credentials, and any failure to
 * get an answer from the registry, the brokers or the network. */
static inline int cli_exit_status_of(const kavro_error_t *error) {
  return kavro_error_classify(error) == KAVRO_ERROR_CLASS_PERMANENT
             ? CLI_EXIT_INVALID
             : CLI_EXIT_USAGE;
}

/* The worse of two exit codes. */
static inline int cli_worse(int a, int b) { return a > b ? a : b; }

#endif /* KAVRO_CLI_H */
