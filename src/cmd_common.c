/*
 * cmd_common.c - what the verbs share: usage, diagnostics, spec loading
 */
#include <stdarg.h>
#include <stdio.h>

#include "labctl/cmd.h"
#include "labctl/validate.h"

void cmd_usage(const struct cmd *self, FILE *f)
{
	fprintf(f, "usage: labctl %s %s\n\n%s.\n", self->name, self->usage, self->summary);
	if (self->options && *self->options)
		fprintf(f, "\n%s", self->options);
}

int cmd_usage_error(const struct cmd *self, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "labctl %s: ", self->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: labctl %s %s\n", self->name, self->usage);
	return EXIT_USAGE;
}

void cmd_print_diags(GPtrArray *diags)
{
	diags_sort(diags);
	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *line = diag_format(g_ptr_array_index(diags, i));

		fprintf(stderr, "%s\n", line);
	}
}

struct lab_spec *cmd_load_spec(const char *file)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec;

	spec = spec_load(file, diags);
	if (spec)
		validate_spec(spec, diags);
	if (diags->len) {
		cmd_print_diags(diags);
		spec_free(spec);
		return NULL;
	}
	return spec;
}

void cmd_print_json(JsonNode *node)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree char *text = NULL;

	json_generator_set_root(gen, node);
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
}
