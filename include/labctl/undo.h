/*
 * undo.h - one thing to undo, as teardown reads it from the journal
 *
 * Apart from teardown.h so that providers (whose revive() looks at the
 * steps still to undo) need not import the teardown.
 */
#ifndef LABCTL_UNDO_H
#define LABCTL_UNDO_H

#include <stdbool.h>
#include <json-glib/json-glib.h>

struct undo_step {
	char *key;
	bool remote;            /* a task's undo command, run on @node */
	char *node;             /* remote: the node */
	char *what;             /* for messages */
	char *command;          /* remote: the undo command */
	JsonObject *local;      /* !remote: the undo operation */
	char *of_node;          /* !remote: the node the object is part of, or NULL */
	unsigned timeout;       /* seconds */
};

#endif
