/*
 * crashpoint.c - the test-only fault points of crashpoint.h
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "labctl/crashpoint.h"

/* Whether this call of @kind is the Nth that the variable @var asks for. */
static bool reached(const char *var, const char *kind, unsigned *count)
{
	static GMutex lock;
	const char *spec = g_getenv(var);
	const char *colon;
	unsigned long at;
	bool hit;

	if (!spec || !(colon = strchr(spec, ':')) || strncmp(spec, kind, (size_t)(colon - spec)) ||
	    kind[colon - spec])
		return false;
	at = strtoul(colon + 1, NULL, 10);
	g_mutex_lock(&lock);
	hit = ++*count == at;
	g_mutex_unlock(&lock);
	return hit;
}

void crashpoint(const char *kind)
{
	static unsigned crash_count, stop_count;

	if (reached("LABCTL_TEST_CRASH", kind, &crash_count))
		raise(SIGKILL);
	if (reached("LABCTL_TEST_STOP", kind, &stop_count))
		raise(SIGSTOP);
}
