/*
 * cmd.h - the verbs of labctl and what they share
 *
 * main.c holds the table of verbs; each verb lives in src/cmd_<verb>.c and
 * is the only kind of code besides main() that decides an exit code.  The
 * verbs parse their options, call the lab module (lab.h) and report; what
 * they share is in cli.c (options, spec, signals) and cli_report.c (what
 * they print).
 */
#ifndef LABCTL_CMD_H
#define LABCTL_CMD_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "labctl/lab.h"
#include "labctl/spec.h"

/* Exit codes, documented in labctl(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,        /* the lab or an operation failed */
	EXIT_USAGE = 2,         /* bad command line, spec or playbook */
	EXIT_UNREACHABLE = 3,   /* a node could not be reached */
	EXIT_BUSY = 4,          /* another labctl is working on the lab */
};

/* What cmd_getopt() returns for an option: its letter, or a code above 255. */
enum cmd_opt_code {
	OPT_JOBS = 'j',
	OPT_QUIET = 'q',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_JSON = 256,
	OPT_STATE_DIR,
	OPT_PLAYBOOK_DIR,
	OPT_ACCEPT_NEW,
	OPT_ON_FAILURE,
	OPT_JUNIT,
	OPT_FORCE,
	OPT_FORGET,
	OPT_KEEP_NODES,
	OPT_PROVE,
};

/*
 * One option of a verb.  A verb's table of them is the one place an
 * option is declared: cmd_getopt() parses with it, and "labctl VERB
 * --help" and the usage line are printed from it
 * (tests/cli/t0008-completion.sh checks the man page's synopsis and the
 * bash completion against that).
 */
struct cmd_opt {
	const char *name;       /* the long name, without "--" */
	int code;               /* enum cmd_opt_code; a letter is also a short option */
	const char *arg;        /* the argument as usage names it ("DIR"); NULL: none */
	const char *help;       /* what it does; "\n" starts another line */
};

struct cmd {
	const char *name;
	int (*exec)(const struct cmd *self, int argc, char **argv);
	const char *args;       /* what follows the options: "SPEC", "SPEC NODE [COMMAND...]" */
	const char *summary;    /* one line for "labctl --help" */
	const struct cmd_opt *opts;     /* ends with a NULL name; --help is implied */
	bool in_order;          /* options stop at the first other argument (ssh) */
};

/*
 * getopt_long() over @self's options: the code of the next one (optarg set
 * for an option with an argument), -1 at the end, '?' for one that is not
 * @self's (getopt has said so).  Handles OPT_HELP itself by returning it
 * after printing the usage: the caller returns EXIT_OK.
 */
int cmd_getopt(const struct cmd *self, int argc, char **argv);

int cmd_validate(const struct cmd *self, int argc, char **argv);
int cmd_plan(const struct cmd *self, int argc, char **argv);
int cmd_up(const struct cmd *self, int argc, char **argv);
int cmd_down(const struct cmd *self, int argc, char **argv);
int cmd_status(const struct cmd *self, int argc, char **argv);
int cmd_check(const struct cmd *self, int argc, char **argv);
int cmd_test(const struct cmd *self, int argc, char **argv);
int cmd_ssh_config(const struct cmd *self, int argc, char **argv);
int cmd_inventory(const struct cmd *self, int argc, char **argv);
int cmd_ssh(const struct cmd *self, int argc, char **argv);
int cmd_fault(const struct cmd *self, int argc, char **argv);

/*
 * Where verbs print what a person reads: stdout, or stderr when --json
 * keeps stdout for the JSON document.  main() sets it.
 */
extern FILE *cmd_out;

/* Prints "usage: labctl NAME [OPTIONS] ARGS", the summary and the options to @f. */
void cmd_usage(const struct cmd *self, FILE *f);

/* The usage line's text after "labctl NAME ", wrapped for @indent columns; free it. */
char *cmd_usage_line(const struct cmd *self, guint indent);

/* Reports a bad option or argument and returns EXIT_USAGE. */
int cmd_usage_error(const struct cmd *self, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Prints every diagnostic to stderr as FILE:LINE:COL: message. */
void cmd_print_diags(GPtrArray *diags);

/*
 * After a verb's options: there must be exactly one argument left, the
 * spec, which is loaded and validated into *@spec.  Returns EXIT_OK, or
 * EXIT_USAGE after saying what is wrong.
 */
int cmd_spec_arg(const struct cmd *self, int argc, char **argv, struct lab_spec **spec);

/*
 * Loads and validates @file.  Returns the resolved spec, or NULL after
 * printing every problem.
 */
struct lab_spec *cmd_load_spec(const char *file);

/* Prints @node as pretty JSON with a final newline to stdout. */
void cmd_print_json(JsonNode *node);

/* Lets SIGINT and SIGTERM cancel @cancel: the lab stops at a task boundary. */
void cmd_catch_signals(GCancellable *cancel);

/* The exit code for an error of the lab module (LAB_ERROR): EXIT_OK for none. */
int cmd_exit_code(const GError *error);

/* Prints @error ("labctl: ...", or a plan's diagnostics) and returns its exit code. */
int cmd_print_lab_error(const GError *error);

/* What the command line of up, check and test says. */
struct run_cli {
	struct lab_opts lab;    /* out, tty and a cancellable are set */
	const char *spec_path;
	const char *state_dir;
	const char *junit;      /* --junit FILE, or NULL */
	bool json;              /* --json: the results as JSON on stdout */
	int on_failure;         /* 0 keep, 1 destroy (default: keep on a terminal
				 * unless CI is set) */
};

/*
 * Parses the options of up, check and test (those in @self's table).
 * Returns EXIT_OK, EXIT_USAGE after printing why, or -1 after --help.
 * Free what it made with run_cli_clear().
 */
int cmd_parse_run_opts(const struct cmd *self, int argc, char **argv, struct run_cli *o);
void run_cli_clear(struct run_cli *o);

/*
 * Loads and validates the spec and opens its lab (secrets checked, journal
 * locked).  Returns an exit code after saying what is wrong; on success
 * *@spec and *@lab are set.
 */
int cmd_open_lab(const struct run_cli *o, struct lab_spec **spec, struct lab **lab);

/*
 * After lab_up() or lab_check() of the lab @lab: the reconnections, the
 * summary table, the failed tasks and the verb's last line ("is up", "N
 * checks passed"), or @error when nothing ran.  Returns the exit code.
 */
int cmd_report_run(const struct run_cli *o, const char *lab, const char *verb,
		   const struct lab_run *run, const GError *error);

/*
 * lab_down() and what it comes to, in a line: down, partly down, kept.
 * Returns the number of undos that failed (1 when the journal could not be
 * read or removed).
 */
guint cmd_teardown(const struct lab_spec *spec, struct lab *lab, enum teardown_mode mode,
		   bool keep_nodes, const struct lab_opts *o, JsonArray *record);

/*
 * For ssh-config, inventory and ssh: parses [--state-dir DIR] SPEC (and,
 * with @rest, NODE [CMD...], *@rest being the index of NODE), loads the spec
 * and asks its provider how to reach the nodes, changing nothing; with
 * @state_dir, also the lab's state directory.  Returns an exit code, or -1
 * after --help.
 */
/*
 * The options of the verbs that act on a lab that is there (down, status,
 * fault), parsed alike: --json, --state-dir, -q and -v, as far as the
 * verb's table has them.  @extra (may be NULL) takes the verb's own
 * options: it returns EXIT_OK, or EXIT_USAGE after printing why.
 * Returns EXIT_OK to go on, CMD_HELP_SHOWN after --help (the verb exits
 * 0), or EXIT_USAGE.
 */
#define CMD_HELP_SHOWN (-1)
struct cmd_lab_opts {
	bool json;
	const char *state_dir;
	int verbosity;          /* -1 quiet, 0 normal, 1 verbose */
};
int cmd_parse_lab_opts(const struct cmd *self, int argc, char **argv, struct cmd_lab_opts *o,
		       int (*extra)(int opt, void *data), void *data);

int cmd_lab_access(const struct cmd *self, int argc, char **argv, struct lab_spec **spec,
		   GPtrArray **access, int *rest, char **state_dir);

/*
 * Writes --junit FILE and prints --json for a verb's @results (NULL when it
 * failed before any task ran: a single failed test case says so).  Returns
 * @status, or EXIT_FAILED when the JUnit file could not be written.
 */
int cmd_report(const struct run_cli *o, const char *lab, const char *verb,
	       GPtrArray *results, int status, double seconds);

/* Names every failed task of @results on stderr, one line each. */
void cmd_print_failures(GPtrArray *results);

#endif
