/*
 * crashpoint.h - test-only fault points: die or pause at a chosen step
 *
 * With LABCTL_TEST_CRASH=KIND:N in the environment, the Nth call of
 * crashpoint(KIND) in this process sends SIGKILL to the process itself, as
 * a power cut or "kill -9" would.  Kinds:
 *   journal  after a record was appended and fsync'ed (journal.c)
 *   ran      after a task's command ran, before its result is journaled
 *            (engine.c)
 * With LABCTL_TEST_STOP=KIND:N the Nth call stops the process with SIGSTOP
 * instead, so that a test can break something (kill a daemon, drop
 * packets, send SIGINT) at a known step and then SIGCONT it.
 * Without the variables crashpoint() does nothing.  docs/testing.md tells
 * how the integration tests use it.
 */
#ifndef LABCTL_CRASHPOINT_H
#define LABCTL_CRASHPOINT_H

void crashpoint(const char *kind);

#endif
