/*
 * crashpoint.c - the test-only fault point of crashpoint.h
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "labctl/crashpoint.h"

void crashpoint(const char *kind)
{
	static GMutex lock;
	static unsigned count;
	const char *spec = g_getenv("LABCTL_TEST_CRASH");
	const char *colon;
	unsigned long at;
	bool die;

	if (!spec || !(colon = strchr(spec, ':')) || strncmp(spec, kind, (size_t)(colon - spec)) ||
	    kind[colon - spec])
		return;
	at = strtoul(colon + 1, NULL, 10);
	g_mutex_lock(&lock);
	die = ++count == at;
	g_mutex_unlock(&lock);
	if (die)
		raise(SIGKILL);
}
