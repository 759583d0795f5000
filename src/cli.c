/*
 * cli.c - the command line the verbs share: options and usage, the spec
 * argument, opening a lab, signals
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "labctl/cmd.h"
#include "labctl/lab.h"
#include "labctl/validate.h"

FILE *cmd_out;

#define HELP_COLUMN 27
#define USAGE_WIDTH 80

static bool has_short(const struct cmd_opt *o)
{
	return o->code < 256;
}

char *cmd_usage_line(const struct cmd *self, guint indent)
{
	GString *s = g_string_new(NULL);
	guint col = indent;

	for (const struct cmd_opt *o = self->opts; o && o->name; o++) {
		g_autofree char *word = NULL;

		if (has_short(o))
			word = g_strdup_printf("[-%c%s%s]", o->code, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			word = g_strdup_printf("[--%s%s%s]", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		if (col > indent && col + 1 + strlen(word) > USAGE_WIDTH) {
			g_string_append_printf(s, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			g_string_append_c(s, ' ');
			col++;
		}
		g_string_append(s, word);
		col += (guint)strlen(word);
	}
	if (col > indent)
		g_string_append_c(s, ' ');
	g_string_append(s, self->args);
	return g_string_free(s, FALSE);
}

void cmd_usage(const struct cmd *self, FILE *f)
{
	g_autofree char *head = g_strdup_printf("usage: labctl %s ", self->name);
	g_autofree char *line = cmd_usage_line(self, (guint)strlen(head));

	fprintf(f, "%s%s\n\n%s.\n", head, line, self->summary);
	if (!self->opts || !self->opts->name)
		return;
	fprintf(f, "\n");
	for (const struct cmd_opt *o = self->opts; o->name; o++) {
		g_autofree char *left = has_short(o)
			? g_strdup_printf("  -%c, --%s%s%s", o->code, o->name, o->arg ? " " : "", o->arg ? o->arg : "")
			: g_strdup_printf("  --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		g_auto(GStrv) lines = g_strsplit(o->help, "\n", -1);

		if (strlen(left) + 1 < HELP_COLUMN)
			fprintf(f, "%-*s%s\n", HELP_COLUMN, left, lines[0]);
		else
			fprintf(f, "%s\n%*s%s\n", left, HELP_COLUMN, "", lines[0]);
		for (guint i = 1; lines[i]; i++)
			fprintf(f, "%*s%s\n", HELP_COLUMN, "", lines[i]);
	}
}

int cmd_getopt(const struct cmd *self, int argc, char **argv)
{
	/* one verb runs per process: its tables are built once */
	static const struct cmd *built;
	static struct option longopts[32];
	static char shortopts[64];
	int c;

	if (built != self) {
		guint n = 0, k = 0;

		shortopts[k++] = self->in_order ? '+' : ':';
		if (self->in_order)
			shortopts[k++] = ':';
		for (const struct cmd_opt *o = self->opts; o && o->name; o++) {
			g_assert(n + 2 < G_N_ELEMENTS(longopts) && k + 3 < sizeof(shortopts));
			longopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
							 NULL, o->code };
			if (has_short(o)) {
				shortopts[k++] = (char)o->code;
				if (o->arg)
					shortopts[k++] = ':';
			}
		}
		longopts[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
		longopts[n] = (struct option){ NULL, 0, NULL, 0 };
		shortopts[k++] = 'h';
		shortopts[k] = '\0';
		built = self;
	}
	/* ':' first: getopt says nothing, cmd_usage_error below says it all */
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == OPT_HELP)
		cmd_usage(self, stdout);
	if (c == '?' || c == ':') {
		cmd_usage_error(self, c == ':' ? "option '%s' needs an argument" : "unknown option '%s'",
				argv[optind - 1]);
		return '?';
	}
	return c;
}

int cmd_usage_error(const struct cmd *self, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "labctl %s: ", self->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	{
		g_autofree char *head = g_strdup_printf("usage: labctl %s ", self->name);
		g_autofree char *line = cmd_usage_line(self, (guint)strlen(head));

		fprintf(stderr, "\n%s%s\n", head, line);
	}
	return EXIT_USAGE;
}

int cmd_spec_arg(const struct cmd *self, int argc, char **argv, struct lab_spec **spec)
{
	*spec = NULL;
	if (optind != argc - 1)
		return cmd_usage_error(self, optind >= argc ? "no spec given" : "one spec at a time");
	*spec = cmd_load_spec(argv[optind]);
	return *spec ? EXIT_OK : EXIT_USAGE;
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

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	char c = (char)sig;

	/* all a handler may do: the watcher below cancels */
	if (write(sig_pipe[1], &c, 1) < 0)
		return;
}

static gpointer watch_signals(gpointer data)
{
	GCancellable *cancel = data;
	char c;

	while (read(sig_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	g_cancellable_cancel(cancel);
	g_object_unref(cancel);
	return NULL;
}

void cmd_catch_signals(GCancellable *cancel)
{
	struct sigaction sa = { .sa_handler = on_signal };

	if (sig_pipe[0] >= 0 || pipe2(sig_pipe, O_CLOEXEC) < 0)
		return;
	g_thread_unref(g_thread_new("signals", watch_signals, g_object_ref(cancel)));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cmd_open_lab(const struct run_cli *o, struct lab_spec **spec, struct lab **lab)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;

	*lab = NULL;
	*spec = cmd_load_spec(o->spec_path);
	if (!*spec)
		return EXIT_USAGE;
	state = lab_state_dir(*spec, o->state_dir);
	*lab = lab_open(*spec, state, LAB_OPEN_SECRETS, &error);
	if (!*lab) {
		g_clear_pointer(spec, spec_free);
		return cmd_print_lab_error(error);
	}
	return EXIT_OK;
}

/* ---- the options up, check and test share ---- */

int cmd_parse_run_opts(const struct cmd *self, int argc, char **argv, struct run_cli *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->on_failure = -1;
	/* each verb takes only the options of its own table */
	while ((c = cmd_getopt(self, argc, argv)) != -1) {
		char *end;

		switch (c) {
		case OPT_JOBS:
			o->lab.jobs = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || !o->lab.jobs)
				return cmd_usage_error(self, "--jobs takes a number of at least 1, not '%s'", optarg);
			break;
		case OPT_QUIET:
			o->lab.verbosity = -1;
			break;
		case OPT_VERBOSE:
			o->lab.verbosity = 1;
			break;
		case OPT_STATE_DIR:
			o->state_dir = optarg;
			break;
		case OPT_PLAYBOOK_DIR:
			o->lab.playbook_dir = optarg;
			break;
		case OPT_ACCEPT_NEW:
			o->lab.accept_new_host_keys = true;
			break;
		case OPT_PROVE:
			o->lab.prove = true;
			break;
		case OPT_ON_FAILURE:
			if (!strcmp(optarg, "keep"))
				o->on_failure = 0;
			else if (!strcmp(optarg, "destroy"))
				o->on_failure = 1;
			else
				return cmd_usage_error(self, "--on-failure is keep or destroy, not '%s'", optarg);
			break;
		case OPT_JUNIT:
			o->junit = optarg;
			break;
		case OPT_JSON:
			/* stdout is for the JSON document alone */
			o->json = true;
			cmd_out = stderr;
			break;
		case OPT_HELP:
			return -1;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error(self, optind >= argc ? "no spec given" : "one spec at a time");
	o->spec_path = argv[optind];
	/* keep a failed lab for a look on a terminal; clean up after scripts and CI */
	if (o->on_failure < 0)
		o->on_failure = isatty(STDOUT_FILENO) && !g_getenv("CI") ? 0 : 1;
	o->lab.out = cmd_out;
	o->lab.tty = isatty(STDOUT_FILENO);
	o->lab.cancel = g_cancellable_new();
	return EXIT_OK;
}

void run_cli_clear(struct run_cli *o)
{
	g_clear_object(&o->lab.cancel);
}

int cmd_parse_lab_opts(const struct cmd *self, int argc, char **argv, struct cmd_lab_opts *o,
		       int (*extra)(int opt, void *data), void *data)
{
	int c, r;

	memset(o, 0, sizeof(*o));
	/* each verb takes only the options of its own table */
	while ((c = cmd_getopt(self, argc, argv)) != -1) {
		switch (c) {
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_STATE_DIR:
			o->state_dir = optarg;
			break;
		case OPT_QUIET:
			o->verbosity = -1;
			break;
		case OPT_VERBOSE:
			o->verbosity = 1;
			break;
		case OPT_HELP:
			return CMD_HELP_SHOWN;
		case '?':
			return EXIT_USAGE;
		default:
			r = extra ? extra(c, data) : EXIT_USAGE;
			if (r != EXIT_OK)
				return r;
			break;
		}
	}
	return EXIT_OK;
}

int cmd_lab_access(const struct cmd *self, int argc, char **argv, struct lab_spec **spec,
		   GPtrArray **access, int *rest, char **state_dir)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;
	const char *state_opt = NULL;
	int c, want = rest ? 2 : 1;

	/* for ssh (in_order), what follows the node is the remote command's */
	while ((c = cmd_getopt(self, argc, argv)) != -1) {
		switch (c) {
		case OPT_STATE_DIR:
			state_opt = optarg;
			break;
		case OPT_HELP:
			return -1;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind < want || (!rest && argc - optind > want))
		return cmd_usage_error(self, argc - optind < want ? "missing arguments"
								   : "too many arguments");
	*spec = cmd_load_spec(argv[optind]);
	if (!*spec)
		return EXIT_USAGE;
	state = lab_state_dir(*spec, state_opt);
	*access = lab_access(*spec, state, &error);
	if (!*access) {
		g_clear_pointer(spec, spec_free);
		return cmd_print_lab_error(error);
	}
	if (rest)
		*rest = optind + 1;
	if (state_dir)
		*state_dir = g_steal_pointer(&state);
	return EXIT_OK;
}
