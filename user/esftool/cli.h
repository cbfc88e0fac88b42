/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The esf tool's command-line core, apart from main() so that the host
 * tests can run it on a software session and capture its output.
 */
#ifndef ESF_CLI_H
#define ESF_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "esf.h"

/* Exit codes (documented in "esf --help"). */
enum {
	ESF_EXIT_OK = 0,
	ESF_EXIT_REJECTED = 1,	/* sealing or opening failed */
	ESF_EXIT_USAGE = 2,	/* bad command line */
	ESF_EXIT_SESSION = 3,	/* the session could not be opened */
	ESF_EXIT_IO = 4,	/* reading stdin or writing stdout failed */
};

/**
 * struct esf_cli_env - where the tool gets sessions and does I/O
 * @open_session: opens a handle, as esf_session_open() does
 * @in: input stream
 * @out: output stream
 * @err: diagnostics
 */
struct esf_cli_env {
	int (*open_session)(uint32_t id, unsigned int data_class,
			    unsigned int session_type, struct esf_session **sp);
	FILE *in;
	FILE *out;
	FILE *err;
};

int esf_cli_main(int argc, char **argv, const struct esf_cli_env *env);

/* es256.c: "esf sign-es256" and "esf verify-es256" (no kernel session). */
int esf_cli_es256(int argc, char **argv, const struct esf_cli_env *env);
extern const char esf_cli_sign_text[];
extern const char esf_cli_verify_text[];

/* Read all of @in, failing with -EMSGSIZE once more than @max bytes arrived. */
int esf_cli_read_all(FILE *in, size_t max, char **buf, size_t *len);

#endif /* ESF_CLI_H */
