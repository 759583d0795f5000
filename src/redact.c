/*
 * redact.c - masking secret values in text that comes back from nodes
 */
#include <string.h>

#include "labctl/redact.h"

struct redact {
	GMutex lock;
	GPtrArray *values;      /* char *, longest first */
};

struct redact *redact_new(void)
{
	struct redact *r = g_new0(struct redact, 1);

	g_mutex_init(&r->lock);
	r->values = g_ptr_array_new_with_free_func(g_free);
	return r;
}

static void wipe(gpointer p)
{
	char *s = p;

	memset(s, 0, strlen(s));
	g_free(s);
}

void redact_free(struct redact *r)
{
	if (!r)
		return;
	g_ptr_array_set_free_func(r->values, wipe);
	g_ptr_array_unref(r->values);
	g_mutex_clear(&r->lock);
	g_free(r);
}

static gint longest_first(gconstpointer a, gconstpointer b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

void redact_add(struct redact *r, const char *value)
{
	if (!r || !value || !*value)
		return;
	g_mutex_lock(&r->lock);
	for (guint i = 0; i < r->values->len; i++) {
		if (!strcmp(g_ptr_array_index(r->values, i), value)) {
			g_mutex_unlock(&r->lock);
			return;
		}
	}
	g_ptr_array_add(r->values, g_strdup(value));
	g_ptr_array_sort(r->values, longest_first);
	g_mutex_unlock(&r->lock);
}

/* Replaces every @value in @s, NUL bytes and all (memmem, not strstr). */
static void replace_all(GString *s, const char *value)
{
	size_t vlen = strlen(value);
	gsize at = 0;

	for (;;) {
		const char *hit = memmem(s->str + at, s->len - at, value, vlen);

		if (!hit)
			return;
		at = (gsize)(hit - s->str);
		g_string_erase(s, (gssize)at, (gssize)vlen);
		g_string_insert_len(s, (gssize)at, REDACT_MASK, strlen(REDACT_MASK));
		at += strlen(REDACT_MASK);
	}
}

char *redact_text(const struct redact *r, const char *text, gssize len, gsize *out_len)
{
	GString *s;

	if (!text)
		return NULL;
	s = len < 0 ? g_string_new(text) : g_string_new_len(text, len);
	if (r) {
		g_mutex_lock((GMutex *)&r->lock);
		for (guint i = 0; i < r->values->len; i++)
			replace_all(s, g_ptr_array_index(r->values, i));
		g_mutex_unlock((GMutex *)&r->lock);
	}
	if (out_len)
		*out_len = s->len;
	return g_string_free(s, FALSE);
}
