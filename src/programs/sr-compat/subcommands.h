/*
 * sr-compat - the subcommands, each in its own file.  Each takes the
 * arguments after the program name (argv[0] is the subcommand's name) and
 * returns the exit status.
 */
#ifndef SR_COMPAT_SUBCOMMANDS_H
#define SR_COMPAT_SUBCOMMANDS_H

int sc_cmd_check(int argc, char **argv);
int sc_cmd_lint(int argc, char **argv);
int sc_cmd_register(int argc, char **argv);
int sc_cmd_download(int argc, char **argv);
int sc_cmd_get_compatibility(int argc, char **argv);
int sc_cmd_set_compatibility(int argc, char **argv);

#endif /* SR_COMPAT_SUBCOMMANDS_H */
