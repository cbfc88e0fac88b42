/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The esf tool's command-line core, apart from main() so that the host
 * tests can run it on a software session and capture its output.
 */
#ifndef ESF_CLI_H
#define ESF_CLI_H

#include <getopt.h>
#include <stdbool.h>
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

/* ecdh.c: "esf seal-ecdh" and "esf open-ecdh" (one-shot sessions of esfd). */
int esf_cli_ecdh(int argc, char **argv, const struct esf_cli_env *env);
extern const char esf_cli_seal_ecdh_text[];
extern const char esf_cli_open_ecdh_text[];

/* broadcast.c: "esf broadcast-seal" and "esf broadcast-open". */
int esf_cli_broadcast(int argc, char **argv, const struct esf_cli_env *env);
extern const char esf_cli_bseal_text[];
extern const char esf_cli_bopen_text[];

/* aggregate.c: "esf aggregate" (in-kernel aggregates on /dev/esf). */
int esf_cli_aggregate(int argc, char **argv, const struct esf_cli_env *env);
extern const char esf_cli_aggregate_text[];

/* Read all of @in, failing with -EMSGSIZE once more than @max bytes arrived. */
int esf_cli_read_all(FILE *in, size_t max, char **buf, size_t *len);
/* The same from env->in, its failure said on env->err; an exit code. */
int esf_cli_read_stdin(const struct esf_cli_env *env, size_t max, char **in, size_t *len);
/* Write @n bytes (and a newline if @nl) to env->out; an exit code. */
int esf_cli_write(const struct esf_cli_env *env, const void *p, size_t n, bool nl);
/* One option of a sub-command: @c as getopt_long() returns it, @arg its
 * argument; 0, -1 after --help, or an exit code.
 */
typedef int (*esf_cli_take_fn)(int c, const char *arg, void *opts,
			       const struct esf_cli_env *env);
/* getopt_long() over @argv (argv[0] the sub-command @cmd), each option to
 * @take with @opts; an argument left over is a usage error. Returns 0, -1
 * after --help, or an exit code.
 */
int esf_cli_sub_options(int argc, char **argv, const char *shortopts,
			const struct option *longopts, esf_cli_take_fn take, void *opts,
			const char *cmd, const struct esf_cli_env *env);
/* "esf: MSG[: ARG]" and "Try 'esf help CMD'." on stderr; ESF_EXIT_USAGE. */
int esf_cli_sub_usage(const struct esf_cli_env *env, const char *cmd, const char *msg,
		      const char *arg);

#endif /* ESF_CLI_H */
