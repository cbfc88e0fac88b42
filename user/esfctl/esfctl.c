// SPDX-License-Identifier: GPL-2.0
/*
 * esfctl: operator's tool for the esf kernel module.
 *
 * Keys are read from a file or standard input, never from the command line
 * (where ps(1) and shell history would see them), and wiped after use.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esf_nl.h"
#include "esfctl.h"

bool opt_json;

static const char usage_text[] =
	"usage: esfctl [--json] <command> [<args>]\n"
	"\n"
	"Operator's tool for esf, the oneM2M end-to-end security fast path.\n"
	"\n"
	"commands:\n"
	"  session add      create a session (key read from a file or stdin)\n"
	"  session del      delete a session\n"
	"  session show     show one session: provider, lifetimes, counters\n"
	"  session list     list every session of this network namespace\n"
	"  session flush    delete every session of this network namespace\n"
	"  group            group sessions: key epochs, per-sender replay state\n"
	"  monitor          print session events (new, deleted, expiring)\n"
	"  doctor           what this machine offloads: module, providers per\n"
	"                   algorithm, AF_ALG, /dev/esf, Secure Boot, esfd\n"
	"  version          print the tool's and the loaded module's version\n"
	"\n"
	"commands answered by esfd (its control socket):\n"
	"  status           esfd, its session pairs, the driver serving each\n"
	"  peer list|show   esfd's peers, their counters and session pairs\n"
	"  establish        make sure a session pair with a peer exists\n"
	"  rekey            establish a new session pair with a peer now\n"
	"  dar put|get      contentInstances stored encrypted at the gateway\n"
	"  guest            guest devices: delegations, device tokens, revocation\n"
	"                   lists, presenting a token to a foreign gateway\n"
	"\n"
	"global options (before or after the command, anywhere but after '--'):\n"
	"  --json           machine-readable output (one JSON document)\n"
	"  --version        print the versions, as 'esfctl version'\n"
	"  -h, --help       this text; 'esfctl <command> --help' for a command\n"
	"An option value that is itself '--json' or '--version' is given with '=',\n"
	"as in --key-id=--json.\n"
	"\n"
	"Changing sessions needs CAP_NET_ADMIN. Exit status: 0 success, 1 the\n"
	"operation failed (the kernel's reason is printed), 2 usage error.\n";

/* Helpers shared by the commands ---------------------------------------- */

int esfctl_fail(struct esf_nl *nl, const char *what, int err)
{
	const char *msg = nl ? esf_nl_errmsg(nl) : "";

	if (err == -ENOENT && !nl)
		fprintf(stderr, "esfctl: %s: esf.ko is not loaded (modprobe esf)\n", what);
	else if (*msg)
		fprintf(stderr, "esfctl: %s: %s: %s\n", what, strerror(-err), msg);
	else
		fprintf(stderr, "esfctl: %s: %s\n", what, strerror(-err));
	return 1;
}

int esfctl_open(struct esf_nl **nl, const char *what)
{
	int err = esf_nl_open(nl);

	if (err) {
		*nl = NULL;
		return esfctl_fail(NULL, what, err);
	}
	return 0;
}

bool esfctl_is_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

int esfctl_usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "esfctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n%s", usage);
	return 2;
}

int esfctl_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

void esfctl_json_print(json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (text) {
		puts(text);
		free(text);
	}
	json_decref(doc);
}

/* version ---------------------------------------------------------------- */

static int read_module_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/esf/version", "r");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return err;
}

static int cmd_version(int argc, char **argv)
{
	char mod[64];
	int err;

	if (esfctl_is_help(argc, argv)) {
		puts("usage: esfctl version\n\nPrint esfctl's version and the version of the loaded esf.ko.");
		return 0;
	}
	err = read_module_version(mod, sizeof(mod));
	if (opt_json) {
		json_t *doc = json_pack("{s:s}", "esfctl", ESF_VERSION);

		json_object_set_new(doc, "module", err ? json_null() : json_string(mod));
		esfctl_json_print(doc);
		return 0;
	}
	printf("esfctl %s\n", ESF_VERSION);
	if (err == -ENOENT)
		printf("esf.ko not loaded\n");
	else if (err)
		printf("esf.ko version unknown: %s\n", strerror(-err));
	else
		printf("esf.ko %s\n", mod);
	return 0;
}

/* dispatch --------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "session", esfctl_cmd_session },
	{ "group", esfctl_cmd_group },
	{ "monitor", esfctl_cmd_monitor },
	{ "doctor", esfctl_cmd_doctor },
	{ "version", cmd_version },
	{ "status", esfctl_cmd_status },
	{ "peer", esfctl_cmd_peer },
	{ "establish", esfctl_cmd_establish },
	{ "rekey", esfctl_cmd_rekey },
	{ "dar", esfctl_cmd_dar },
	{ "guest", esfctl_cmd_guest },
};

/*
 * Global options are taken wherever they are, as "ip -j" and most tools
 * take their output flags: "esfctl session list --json" is "esfctl --json
 * session list". They are removed from argv before the command parses it;
 * "--" ends the search.
 */
static bool take_global_options(int *argc, char **argv)
{
	bool version = false;
	int i, j;

	for (i = j = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--json"))
			opt_json = true;
		else if (!strcmp(argv[i], "--version"))
			version = true;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return version;
}

int main(int argc, char **argv)
{
	size_t i;

	if (take_global_options(&argc, argv))
		return cmd_version(1, argv);
	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			return esfctl_usage_error(usage_text, "unknown option '%s'", argv[1]);
		}
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return esfctl_usage_error(usage_text, "unknown command '%s'", argv[1]);
}
