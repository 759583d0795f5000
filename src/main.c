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

static const struct cmd cmd_table[] = {
	{ "validate", cmd_validate, "[--json] [-q] SPEC...",
	  "check specs and report every problem as FILE:LINE:COL: message",
	  "  --json        one JSON document with every file and error (docs/json.md)\n"
	  "  -q, --quiet   print nothing for a valid spec\n", NULL },
	{ "plan", cmd_plan, "[--json] [--playbook-dir DIR] SPEC",
	  "show every task per node, in order, with the exact shell it will run",
	  "  --json               the plan as JSON (docs/json.md)\n"
	  "  --playbook-dir DIR   read playbooks/ and templates/ from DIR instead of\n"
	  "                       the copies built into labctl\n", NULL },
	{ "up", cmd_up, "[-j JOBS] [-q|-v] [--on-failure keep|destroy] [--accept-new-host-keys]\n"
	  "                 [--state-dir DIR] [--playbook-dir DIR] [--junit FILE] [--json] SPEC",
	  "create the nodes, configure target and initiator, and prove it with a mount test",
	  "  -j, --jobs JOBS          nodes worked on at once (default: all)\n"
	  "  -q, --quiet              print only failures and the last line\n"
	  "  -v, --verbose            print every task, also those already done\n"
	  "  --on-failure keep|destroy\n"
	  "                           after a failure, leave the lab for a look or take it\n"
	  "                           apart (default: keep on a terminal unless CI is set)\n"
	  "  --accept-new-host-keys   trust a node's host key seen for the first time and\n"
	  "                           record it in the lab's known_hosts\n"
	  "  --state-dir DIR          the lab's journal and transcripts (default:\n"
	  "                           .labctl/LAB beside the spec)\n"
	  "  --playbook-dir DIR       read playbooks/ and templates/ from DIR\n"
	  "  --junit FILE             write the results as JUnit XML to FILE\n"
	  "  --json                   print the results as JSON (docs/json.md); what a\n"
	  "                           person reads goes to stderr instead\n",
	  "jqvSPAFUJ" },
	{ "check", cmd_check, "[-j JOBS] [-q|-v] [--state-dir DIR] [--playbook-dir DIR]\n"
	  "                 [--junit FILE] [--json] SPEC",
	  "on a lab that is up, run the verification again and report each check",
	  "  -j, --jobs JOBS          nodes worked on at once (default: all)\n"
	  "  -q, --quiet              print only failures and the last line\n"
	  "  -v, --verbose            print every check\n"
	  "  --state-dir DIR          the lab's state directory, as given to up\n"
	  "  --playbook-dir DIR       read playbooks/ and templates/ from DIR\n"
	  "  --junit FILE             write the results as JUnit XML to FILE\n"
	  "  --json                   print the results as JSON (docs/json.md); what a\n"
	  "                           person reads goes to stderr instead\n",
	  "jqvSPUJ" },
	{ "test", cmd_test, "[-j JOBS] [-q|-v] [--on-failure keep|destroy] [--accept-new-host-keys]\n"
	  "                 [--state-dir DIR] [--playbook-dir DIR] [--junit FILE] [--json] SPEC",
	  "up, check and down in one go, for CI: exit 0 only if every check passed",
	  "  -j, --jobs JOBS          nodes worked on at once (default: all)\n"
	  "  -q, --quiet              print only failures and the last lines\n"
	  "  -v, --verbose            print every task\n"
	  "  --on-failure keep|destroy\n"
	  "                           after a failure, leave the lab for a look or take it\n"
	  "                           apart (default: destroy unless on a terminal without CI)\n"
	  "  --accept-new-host-keys   as for up\n"
	  "  --state-dir DIR          as for up\n"
	  "  --playbook-dir DIR       read playbooks/ and templates/ from DIR\n"
	  "  --junit FILE             write the results as JUnit XML to FILE\n"
	  "  --json                   print the results as JSON (docs/json.md); what a\n"
	  "                           person reads goes to stderr instead\n",
	  "jqvSPAFUJ" },
	{ "down", cmd_down, "[--force|--forget] [--keep-nodes] [--json] [-q|-v] [--state-dir DIR] SPEC",
	  "undo everything labctl did to the lab, newest first, from its journal",
	  "  --force           go on past an undo that fails, and report every one; what\n"
	  "                    failed stays in the journal, with what its node needs,\n"
	  "                    for the next down\n"
	  "  --forget          as --force, but give up what fails: it may stay behind\n"
	  "  --keep-nodes      undo the tasks, but keep the nodes (guests, namespaces)\n"
	  "                    for the next up\n"
	  "  --json            print what was undone as JSON (docs/json.md); what a\n"
	  "                    person reads goes to stderr instead\n"
	  "  -q, --quiet       print only failures\n"
	  "  -v, --verbose     print more\n"
	  "  --state-dir DIR   the lab's state directory, as given to up\n", NULL },
	{ "ssh-config", cmd_ssh_config, "[--state-dir DIR] SPEC",
	  "print an ssh_config for the lab's nodes, so that 'ssh -F FILE NODE' works",
	  "  --state-dir DIR   the lab's state directory, as given to up\n", NULL },
	{ "inventory", cmd_inventory, "[--state-dir DIR] SPEC",
	  "print the lab as an Ansible inventory (YAML, groups disk and host)",
	  "  --state-dir DIR   the lab's state directory, as given to up\n", NULL },
	{ "ssh", cmd_ssh, "[--state-dir DIR] SPEC NODE [COMMAND...]",
	  "log in to a node of the lab with ssh(1), or run COMMAND there",
	  "  --state-dir DIR   the lab's state directory, as given to up\n", NULL },
	{ "status", cmd_status, "[--json] [--state-dir DIR] SPEC",
	  "show what the journal says exists and whether the nodes answer",
	  "  --json            as JSON (docs/json.md)\n"
	  "  --state-dir DIR   the lab's state directory, as given to up\n", NULL },
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
