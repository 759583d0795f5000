/*
 * cmd_common.c - what the verbs share: usage, diagnostics, spec loading
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "labctl/cmd.h"
#include "labctl/engine.h"
#include "labctl/journal.h"
#include "labctl/provider.h"
#include "labctl/teardown.h"
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

char *cmd_state_dir(const struct lab_spec *spec, const char *given)
{
	if (given)
		return g_strdup(given);
	return g_build_filename(spec->dir, ".labctl", spec->name.v, NULL);
}

struct journal *cmd_open_journal(const char *dir, int *status)
{
	g_autoptr(GError) error = NULL;
	struct journal *j = journal_open(dir, &error);

	if (!j) {
		fprintf(stderr, "labctl: %s\n", error->message);
		*status = g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_BUSY) ? EXIT_BUSY
										    : EXIT_FAILED;
	}
	return j;
}

static void on_signal(int sig)
{
	(void)sig;
	engine_stop();
}

void cmd_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

struct reach {
	GPtrArray *access;      /* struct node_access * */
};

static struct lab_ssh *reach_node(const char *node, void *data, GError **error)
{
	struct reach *r = data;

	for (guint i = 0; r->access && i < r->access->len; i++) {
		struct node_access *a = g_ptr_array_index(r->access, i);

		if (!strcmp(a->name, node))
			return lab_ssh_open(&a->ssh, NULL, error);
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		    "node '%s' is not in the spec any more", node);
	return NULL;
}

/* Removes the files of a state directory that labctl put there, then it. */
static void remove_state(const char *dir)
{
	static const char *const files[] = { "known_hosts", NULL };
	g_autofree char *transcripts = g_build_filename(dir, "transcripts", NULL);
	g_autoptr(GDir) d = g_dir_open(transcripts, 0, NULL);
	g_autofree char *parent = g_path_get_dirname(dir);
	const char *f;

	for (const char *const *p = files; *p; p++) {
		g_autofree char *path = g_build_filename(dir, *p, NULL);

		g_unlink(path);
	}
	while (d && (f = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(transcripts, f, NULL);

		g_unlink(path);
	}
	g_rmdir(transcripts);
	g_rmdir(dir);
	/* .labctl itself, when this was its last lab */
	if (g_str_has_suffix(parent, ".labctl"))
		g_rmdir(parent);
}

guint cmd_teardown(const struct lab_spec *spec, struct journal *j, bool force,
		   int verbosity)
{
	const struct provider *prov = provider_for(spec);
	struct provider_ctx ctx = { .spec = spec, .state_dir = journal_dir(j), .journal = j };
	struct reach reach = { 0 };
	struct teardown_opts o = {
		.force = force, .verbosity = verbosity, .out = stdout,
		.connect = reach_node, .connect_data = &reach,
	};
	g_autoptr(GPtrArray) records = NULL;
	g_autoptr(GPtrArray) steps = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_strdup(journal_dir(j));
	gint64 t0 = g_get_monotonic_time();
	guint failed = 0;

	records = journal_records(j, &error);
	if (!records) {
		fprintf(stderr, "labctl: %s\n", error->message);
		return 1;
	}
	steps = teardown_steps(records);
	if (!steps->len) {
		if (verbosity >= 0)
			printf("lab '%s': nothing to undo\n", spec->name.v);
	} else {
		if (prov)
			reach.access = prov->access(&ctx, NULL);
		teardown_run(steps, j, &o, &failed);
		if (reach.access)
			g_ptr_array_unref(reach.access);
	}
	if (failed && !force) {
		printf("lab '%s': %u undo%s failed; the journal in %s keeps what is left "
		       "(labctl down --force goes on past failures)\n",
		       spec->name.v, failed, failed == 1 ? "" : "s", dir);
		return failed;
	}
	/*
	 * --force: what failed was reported above, one line each, and is given
	 * up now; keeping it would make every later down fail the same way.
	 */
	if (!journal_remove(j, &error)) {
		fprintf(stderr, "labctl: %s\n", error->message);
		return 1;
	}
	remove_state(dir);
	if (failed)
		printf("lab '%s' is down, but %u undo%s failed and %s given up (listed above): "
		       "what they would have undone may still be there\n", spec->name.v, failed,
		       failed == 1 ? "" : "s", failed == 1 ? "was" : "were");
	else if (steps->len && verbosity >= 0)
		printf("lab '%s' is down: %u undone in %.1f s\n", spec->name.v, steps->len,
		       (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	return failed;
}
