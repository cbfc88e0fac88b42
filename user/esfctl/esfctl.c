// SPDX-License-Identifier: GPL-2.0
/*
 * esfctl: operator's tool for the esf kernel module and daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: esfctl [--help] [--version] <command> [<args>]\n"
	"\n"
	"commands:\n"
	"  version     print the tool's version and the loaded module's version\n"
	"  help        print this text\n";

/* The module publishes MODULE_VERSION here once loaded. */
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

static int cmd_version(void)
{
	char mod[64];
	int err;

	printf("esfctl %s\n", ESF_VERSION);
	err = read_module_version(mod, sizeof(mod));
	if (err == -ENOENT)
		printf("esf.ko not loaded\n");
	else if (err)
		printf("esf.ko version unknown: %s\n", strerror(-err));
	else
		printf("esf.ko %s\n", mod);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version"))
		return cmd_version();
	fprintf(stderr, "esfctl: unknown command '%s'\n\n%s", cmd, usage_text);
	return 2;
}
