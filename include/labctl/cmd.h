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

#include "labctl/spec.h"

/* Exit codes, documented in labctl(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,        /* the lab or an operation failed */
	EXIT_USAGE = 2,         /* bad command line, spec or playbook */
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

#endif
