/*
 * records.h - journal records for the teardown tests (unit and system
 * tiers), written as text.  Included by one test file.
 */
#ifndef LABCTL_TEST_RECORDS_H
#define LABCTL_TEST_RECORDS_H

#include <json-glib/json-glib.h>

/* Records from a compact text: one JSON object per line. */
static GPtrArray *records_from(const char *text)
{
	GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l; l++) {
		g_autoptr(JsonNode) n = NULL;

		if (!**l)
			continue;
		n = json_from_string(*l, NULL);
		assert_non_null(n);
		g_ptr_array_add(a, json_node_dup_object(n));
	}
	return a;
}

#endif
