/*
 * cmd_validate.c - labctl validate: check specs, report every problem
 */
#include <stdio.h>

#include "labctl/cmd.h"
#include "labctl/validate.h"

static void add_file_json(JsonBuilder *jb, const char *file, GPtrArray *diags)
{
	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "file");
	json_builder_add_string_value(jb, file);
	json_builder_set_member_name(jb, "valid");
	json_builder_add_boolean_value(jb, diags->len == 0);
	json_builder_set_member_name(jb, "errors");
	json_builder_begin_array(jb);
	for (guint i = 0; i < diags->len; i++) {
		const struct diag *d = g_ptr_array_index(diags, i);

		json_builder_begin_object(jb);
		json_builder_set_member_name(jb, "file");
		json_builder_add_string_value(jb, d->file);
		json_builder_set_member_name(jb, "line");
		json_builder_add_int_value(jb, d->loc.line);
		json_builder_set_member_name(jb, "column");
		json_builder_add_int_value(jb, d->loc.col);
		json_builder_set_member_name(jb, "message");
		json_builder_add_string_value(jb, d->msg);
		json_builder_end_object(jb);
	}
	json_builder_end_array(jb);
	json_builder_end_object(jb);
}

int cmd_validate(const struct cmd *self, int argc, char **argv)
{
	g_autoptr(JsonBuilder) jb = NULL;
	bool json = false, quiet = false;
	int status = EXIT_OK;
	int c;

	while ((c = cmd_getopt(self, argc, argv)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_HELP:
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cmd_usage_error(self, "no spec given");

	if (json) {
		jb = json_builder_new();
		json_builder_begin_object(jb);
		json_builder_set_member_name(jb, "format");
		json_builder_add_string_value(jb, "labctl-validate/1");
		json_builder_set_member_name(jb, "files");
		json_builder_begin_array(jb);
	}
	for (int i = optind; i < argc; i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		struct lab_spec *spec = spec_load(argv[i], diags);

		if (spec)
			validate_spec(spec, diags);
		diags_sort(diags);
		if (diags->len)
			status = EXIT_USAGE;
		if (json) {
			add_file_json(jb, argv[i], diags);
		} else if (diags->len) {
			cmd_print_diags(diags);
		} else if (!quiet) {
			printf("%s: valid (lab '%s', %u nodes)\n", argv[i], spec->name.v,
			       spec->nodes->len);
		}
		spec_free(spec);
	}
	if (json) {
		g_autoptr(JsonNode) root = NULL;

		json_builder_end_array(jb);
		json_builder_end_object(jb);
		root = json_builder_get_root(jb);
		cmd_print_json(root);
	}
	return status;
}
