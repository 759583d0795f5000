/*
 * lv_helpers.h - what the libvirt provider's two test files share: the
 * test driver's URI, specs from text, keys, files and substrings.
 * Included by one test file each; static.
 */
#ifndef LABCTL_TEST_LV_HELPERS_H
#define LABCTL_TEST_LV_HELPERS_H

#include <stdbool.h>
#include <string.h>
#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "labctl/spec.h"
#include "labctl/validate.h"

#define TEST_URI "test:///default"

static void quiet(void *data, virErrorPtr err)
{
	(void)data;
	(void)err;
}

static void need_tool(const char *tool, const char *package)
{
	g_autofree char *path = g_find_program_in_path(tool);

	if (!path)
		fail_msg("this test needs '%s': install Debian package %s (scripts/install-deps)",
			 tool, package);
}

static struct lab_spec *load(const char *text)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec = spec_load_data("lv.yaml", text, strlen(text), diags);

	assert_non_null(spec);
	if (!validate_spec(spec, diags)) {
		for (guint i = 0; i < diags->len; i++)
			print_message("%s\n", (const char *)g_ptr_array_index(diags, i));
		fail_msg("spec does not validate");
	}
	return spec;
}

static char *hash_of(const char *state)
{
	g_autofree char *abs = g_canonicalize_filename(state, NULL);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, abs, -1);

	return g_strndup(sum, 8);
}

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static char *slurp(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		fail_msg("cannot read %s", path);
	return text;
}

#endif
