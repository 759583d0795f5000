/*
 * redact.h - keeping secret values out of everything labctl writes
 *
 * A script body is the only place a secret's value goes (template.h), but
 * what a node prints back is not labctl's to control: targetcli echoes a
 * CHAP password it was given, a shell with -x prints its input.  So every
 * text that comes back from a node passes through one scrubber before it
 * reaches a transcript, a message, the terminal, JSON or JUnit.
 */
#ifndef LABCTL_REDACT_H
#define LABCTL_REDACT_H

#include <glib.h>

#define REDACT_MASK "***"

/* The secret values known to a run: an owned, growing set of strings. */
struct redact;

struct redact *redact_new(void);
void redact_free(struct redact *r);
/* for g_autoptr(redact) only; code says struct redact */
typedef struct redact redact;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(redact, redact_free)

/* Adds @value (copied; ignored when empty or known).  Thread safe. */
void redact_add(struct redact *r, const char *value);

/*
 * A copy of @text (@len bytes, NUL bytes included, or up to its NUL when
 * -1) with every occurrence of a known value replaced by REDACT_MASK,
 * longest values first (so that a secret that contains another is masked
 * whole), NUL-terminated, its length in *@out_len when not NULL; NULL for
 * NULL.  @r may be NULL: a plain copy.  Free with g_free().
 */
char *redact_text(const struct redact *r, const char *text, gssize len, gsize *out_len);

#endif
