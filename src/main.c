/*
 * main.c - labctl: stand up iSCSI labs from one YAML spec
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "labctl/cmd.h"
#include "labctl/ssh.h"

/* Options that several verbs share, with the same words everywhere. */
#define O_JOBS { "jobs", OPT_JOBS, "JOBS", "nodes worked on at once (default: all)" }
#define O_STATE_DIR { "state-dir", OPT_STATE_DIR, "DIR", "the lab's state directory, as given to up" }
#define O_PLAYBOOK_DIR { "playbook-dir", OPT_PLAYBOOK_DIR, "DIR", \
	"read playbooks/ and templates/ from DIR instead of\nthe copies built into labctl" }
#define O_JUNIT { "junit", OPT_JUNIT, "FILE", "write the results as JUnit XML to FILE" }
#define O_JSON_RUN { "json", OPT_JSON, NULL, \
	"print the results as JSON (docs/json.md); what a\nperson reads goes to stderr instead" }
#define O_ACCEPT_NEW { "accept-new-host-keys", OPT_ACCEPT_NEW, NULL, \
	"trust a node's host key seen for the first time and\nrecord it in labctl's known_hosts" }
#define O_END { NULL, 0, NULL, NULL }

static const struct cmd_opt validate_opts[] = {
	{ "json", OPT_JSON, NULL, "one JSON document with every file and error (docs/json.md)" },
	{ "quiet", OPT_QUIET, NULL, "print nothing for a valid spec" },
	O_END,
};

static const struct cmd_opt plan_opts[] = {
	{ "json", OPT_JSON, NULL, "the plan as JSON (docs/json.md)" },
	O_PLAYBOOK_DIR,
	O_END,
};

static const struct cmd_opt up_opts[] = {
	O_JOBS,
	{ "quiet", OPT_QUIET, NULL, "print only failures and the last line" },
	{ "verbose", OPT_VERBOSE, NULL, "print every task, also those already done" },
	{ "on-failure", OPT_ON_FAILURE, "keep|destroy",
	  "after a failure, leave the lab for a look or take it\napart (default: keep on a terminal unless CI is set)" },
	O_ACCEPT_NEW,
	{ "prove", OPT_PROVE, NULL,
	  "run the heavy proofs (remount, fio, conformance) even\nwhen nothing changed since the lab was last proven" },
	{ "state-dir", OPT_STATE_DIR, "DIR", "the lab's journal and transcripts (default:\n.labctl/LAB beside the spec)" },
	O_PLAYBOOK_DIR,
	O_JUNIT,
	O_JSON_RUN,
	O_END,
};

static const struct cmd_opt check_opts[] = {
	O_JOBS,
	{ "quiet", OPT_QUIET, NULL, "print only failures and the last line" },
	{ "verbose", OPT_VERBOSE, NULL, "print every check" },
	O_STATE_DIR,
	O_PLAYBOOK_DIR,
	O_JUNIT,
	O_JSON_RUN,
	O_END,
};

static const struct cmd_opt test_opts[] = {
	O_JOBS,
	{ "quiet", OPT_QUIET, NULL, "print only failures and the last lines" },
	{ "verbose", OPT_VERBOSE, NULL, "print every task" },
	{ "on-failure", OPT_ON_FAILURE, "keep|destroy",
	  "after a failure, leave the lab for a look or take it\napart (default: destroy unless on a terminal without CI)" },
	O_ACCEPT_NEW,
	O_STATE_DIR,
	O_PLAYBOOK_DIR,
	O_JUNIT,
	O_JSON_RUN,
	O_END,
};

static const struct cmd_opt down_opts[] = {
	{ "force", OPT_FORCE, NULL,
	  "go on past an undo that fails, and report every one;\nwhat failed stays in the journal, with what its node\nneeds, for the next down" },
	{ "forget", OPT_FORGET, NULL, "as --force, but give up what fails: it may stay behind" },
	{ "keep-nodes", OPT_KEEP_NODES, NULL,
	  "undo the tasks, but keep the nodes (guests,\nnamespaces) for the next up" },
	{ "json", OPT_JSON, NULL,
	  "print what was undone as JSON (docs/json.md); what a\nperson reads goes to stderr instead" },
	{ "quiet", OPT_QUIET, NULL, "print only failures" },
	{ "verbose", OPT_VERBOSE, NULL, "print more" },
	O_STATE_DIR,
	O_END,
};

static const struct cmd_opt status_opts[] = {
	{ "json", OPT_JSON, NULL, "as JSON (docs/json.md)" },
	O_STATE_DIR,
	O_END,
};

static const struct cmd_opt fault_opts[] = {
	{ "json", OPT_JSON, NULL, "what it did as JSON (docs/json.md); what a person\nreads goes to stderr instead" },
	O_STATE_DIR,
	O_END,
};

static const struct cmd_opt access_opts[] = {
	O_STATE_DIR,
	O_END,
};

static const struct cmd cmd_table[] = {
	{ "validate", cmd_validate, "SPEC...",
	  "check specs and report every problem as FILE:LINE:COL: message", validate_opts, false },
	{ "plan", cmd_plan, "SPEC",
	  "show every task per node, in order, with the exact shell it will run", plan_opts, false },
	{ "up", cmd_up, "SPEC",
	  "create the nodes, configure target and initiator, and prove it with a mount test",
	  up_opts, false },
	{ "check", cmd_check, "SPEC",
	  "on a lab that is up, run the verification again and report each check", check_opts, false },
	{ "test", cmd_test, "SPEC",
	  "up, check and down in one go, for CI: exit 0 only if every check passed", test_opts, false },
	{ "down", cmd_down, "SPEC",
	  "undo everything labctl did to the lab, newest first, from its journal", down_opts, false },
	{ "ssh-config", cmd_ssh_config, "SPEC",
	  "print an ssh_config for the lab's nodes, so that 'ssh -F FILE NODE' works", access_opts,
	  false },
	{ "inventory", cmd_inventory, "SPEC",
	  "print the lab as an Ansible inventory (YAML, groups disk and host)", access_opts, false },
	{ "ssh", cmd_ssh, "SPEC NODE [COMMAND...]",
	  "log in to a node of the lab with ssh(1), or run COMMAND there", access_opts, true },
	{ "status", cmd_status, "SPEC",
	  "show what the journal says exists and whether the nodes answer", status_opts, false },
	{ "fault", cmd_fault, "SPEC cut|restore|stop-target|start-target|list [DISK[:PORTAL]]",
	  "on a lab that is up, cut a portal or stop the target of a disk node, mend it, or list the faults",
	  fault_opts, false },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(cmd_table); i++)
		if (!strcmp(cmd_table[i].name, name))
			return &cmd_table[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: labctl [--version] [--help] VERB [ARGS]\n\n"
		   "Stand up iSCSI labs from one YAML spec.\n\nverbs:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(cmd_table); i++)
		fprintf(f, "  %-10s %s\n", cmd_table[i].name, cmd_table[i].summary);
	fprintf(f, "\n'labctl VERB --help' tells more; see also labctl(1).\n");
}

int main(int argc, char **argv)
{
	const struct cmd *cmd;
	int status;

	setlocale(LC_ALL, "");
	cmd_out = stdout;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && (cmd = find_cmd(argv[2]))) {
			cmd_usage(cmd, stdout);
			return EXIT_OK;
		}
		if (argc > 2) {
			fprintf(stderr, "labctl: unknown verb '%s'\n", argv[2]);
			return EXIT_USAGE;
		}
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("labctl %s\n", LABCTL_VERSION);
		return EXIT_OK;
	}
	cmd = find_cmd(argv[1]);
	if (!cmd) {
		fprintf(stderr, "labctl: unknown verb '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	/* the verb parses its own options, with argv[0] being the verb */
	optind = 1;
	opterr = 1;
	status = cmd->exec(cmd, argc - 1, argv + 1);
	lab_ssh_finalize();
	/* a plan cut short by a full disk must not exit 0 */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "labctl: cannot write to standard output: %s\n",
			g_strerror(errno));
		if (status == EXIT_OK)
			status = EXIT_FAILED;
	}
	return status;
}
