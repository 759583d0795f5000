/*
 * system.h - what every test of the system tier starts with.  These tests
 * need root: network namespaces, a private sshd that logs in as root,
 * files that belong to someone else, the labs' runtime directories under
 * /var/lib/labctl.  Without it they fail and say so; they never skip.
 * Included by one test file each; static.
 */
#ifndef LABCTL_TEST_SYSTEM_H
#define LABCTL_TEST_SYSTEM_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Unless running as root, says that @test needs it for @why and exits 1. */
static void system_need_root(const char *test, const char *why)
{
	if (geteuid() == 0)
		return;
	printf("not ok - %s needs root (%s): run the system tier as root ('sudo make system')\n",
	       test, why);
	exit(1);
}

#endif
