/*
 * text.c - small helpers for text that GLib does not have
 */
#include <string.h>

#include "labctl/text.h"

gsize text_last_lines(const char *text, gssize len, guint n, gsize *end)
{
	gsize stop, i;
	guint seen = 0;

	if (!text)
		len = 0;
	else if (len < 0)
		len = (gssize)strlen(text);
	stop = (gsize)len;
	while (stop && text[stop - 1] == '\n')
		stop--;
	if (end)
		*end = stop;
	if (!n)
		return stop;
	/* back from the end to the newline before the n-th line */
	for (i = stop; i > 0; i--)
		if (text[i - 1] == '\n' && ++seen == n)
			break;
	return i;
}
