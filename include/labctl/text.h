/*
 * text.h - small helpers for text that GLib does not have
 *
 * Depends on GLib only.
 */
#ifndef LABCTL_TEXT_H
#define LABCTL_TEXT_H

#include <glib.h>

/*
 * Finds the last @n lines of the @len bytes at @text (@len -1: up to its
 * NUL; @text may be NULL when @len is 0 or -1).  Every '\n' ends a line; the
 * empty lines at the end of the text do not count, so that the last line of
 * "a\nb\n\n" is "b".  Returns the offset at which the first of those lines
 * starts, and sets *@end (may be NULL) to the offset just after the last
 * one, its newline not included.  With @n 0, or a text of no line but
 * empty ones, both are the offset at which those trailing newlines start.
 * A line holding only "\r" is not empty.  Allocates nothing.
 */
gsize text_last_lines(const char *text, gssize len, guint n, gsize *end);

#endif
