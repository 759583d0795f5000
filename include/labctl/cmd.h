/*
 * cmd.h - the verbs of labctl and what they share
 *
 * main.c holds the table of verbs; each verb lives in src/cmd_<verb>.c and
 * is the only kind of code besides main() that decides an exit code.
 */
#ifndef LABCTL_CMD_H
#define LABCTL_CMD_H

#include <stdbool.h>
#include <glib.h>

#include <stdio.h>
#include <json-glib/json-glib.h>

#include "labctl/journal.h"
#include "labctl/spec.h"

/* Exit codes, documented in labctl(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,        /* the lab or an operation failed */
	EXIT_USAGE = 2,         /* bad command line, spec or playbook */
	EXIT_UNREACHABLE = 3,   /* a node could not be reached */
	EXIT_BUSY = 4,          /* another labctl is working on the lab */
};

struct cmd {
	const char *name;
	int (*exec)(const struct cmd *self, int argc, char **argv);
	const char *usage;      /* after "labctl NAME " */
	const char *summary;    /* one line for "labctl --help" */
	const char *options;    /* the option lines of "labctl NAME --help" */
};

int cmd_validate(const struct cmd *self, int argc, char **argv);
int cmd_plan(const struct cmd *self, int argc, char **argv);
int cmd_up(const struct cmd *self, int argc, char **argv);
int cmd_down(const struct cmd *self, int argc, char **argv);
int cmd_status(const struct cmd *self, int argc, char **argv);

/* Prints "usage: labctl NAME USAGE" and the options to @f. */
void cmd_usage(const struct cmd *self, FILE *f);

/* Reports a bad option or argument and returns EXIT_USAGE. */
int cmd_usage_error(const struct cmd *self, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Prints every diagnostic to stderr as FILE:LINE:COL: message. */
void cmd_print_diags(GPtrArray *diags);

/*
 * Loads and validates @file.  Returns the resolved spec, or NULL after
 * printing every problem.
 */
struct lab_spec *cmd_load_spec(const char *file);

/* Prints @node as pretty JSON with a final newline to stdout. */
void cmd_print_json(JsonNode *node);

/* The lab's state directory: @given, or .labctl/LAB beside the spec. */
char *cmd_state_dir(const struct lab_spec *spec, const char *given);

/*
 * Opens the lab's journal, printing why not; *@status is then the exit code
 * (EXIT_BUSY when another labctl holds it).
 */
struct journal *cmd_open_journal(const char *dir, int *status);

/* Lets SIGINT and SIGTERM stop the engine at a task boundary. */
void cmd_catch_signals(void);

/*
 * Undoes everything the journal of @j records, newest first, reaching
 * nodes through the provider of @spec.  On success removes the journal and
 * the state directory's own files.  Prints progress and failures; returns
 * the number of undos that failed.
 */
guint cmd_teardown(const struct lab_spec *spec, struct journal *j, bool force,
		   int verbosity);

#endif
