// SPDX-License-Identifier: GPL-2.0
/*
 * esf: seal stdin into a oneM2M envelope, or open one to stdout, under a
 * kernel session. "esf --help" and "esf help <command>" document it.
 */
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv)
{
	const struct esf_cli_env env = {
		.open_session = esf_session_open,
		.in = stdin,
		.out = stdout,
		.err = stderr,
	};

	return esf_cli_main(argc, argv, &env);
}
