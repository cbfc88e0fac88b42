// SPDX-License-Identifier: GPL-2.0
/*
 * esf aggregate: a gateway's aggregator. Many devices' compact JWEs in,
 * one compact JWE under the gateway's own session out, made by esf.ko
 * (ESF_OP_AGGREGATE through libesf's esf_jwe_aggregate()): the devices'
 * plaintexts never reach this process. "esf aggregate --split" takes the
 * opened payload apart again on the receiving side.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char esf_cli_aggregate_text[] =
"NAME\n"
"  esf aggregate - many devices' records as one upstream record, in the kernel\n\n"
"SYNOPSIS\n"
"  esf aggregate --session ID --from ID [--from ID]... [--class N]\n"
"                [--type T] < inputs > jwe\n"
"  esf aggregate --split < payload > lines\n\n"
"DESCRIPTION\n"
"  Each line of the input is a session id given with --from and a compact\n"
"  JWE sealed under that session's peer (\"dir\", or A*KW for a kw(aes)\n"
"  session), separated by a space; at most 64 lines. esf.ko opens every\n"
"  record under its session and seals their plaintexts, each preceded by\n"
"  its length as a 32-bit big-endian number, as one record under --session\n"
"  (gcm(aes)), on /dev/esf (ESF_OP_AGGREGATE): the plaintexts never reach\n"
"  this process, and the sessions' \"aggregate\" counters (esfctl session\n"
"  show) count the records. The result, a compact JWE with \"cty\"\n"
"  \"esf-aggregate\", is written with a newline. All or nothing: if one\n"
"  record does not open (bad tag, replay), nothing is written, no record's\n"
"  replay window entry is spent, and stderr names the record and why.\n"
"  The caller must be allowed on every session.\n\n"
"  --split reads an aggregate's payload (what 'esf open' gives for the\n"
"  JWE) and writes each plaintext on a line of its own; a plaintext\n"
"  holding a newline is refused.\n\n"
"OPTIONS\n"
"  -s, --session ID   the session the aggregate is sealed under\n"
"      --from ID      a session the inputs are opened under (up to 16)\n"
"  -c, --class N      the target data class every session is bound to\n"
"                     (1..3; esfd's pairs are bound to theirs)\n"
"  -t, --type T       the session type likewise: none, s1, s2 or sm\n"
"      --split        take an opened aggregate apart\n"
"  -h, --help         this text\n\n"
"EXAMPLE\n"
"  (echo \"21 $(cat s1.jwe)\"; echo \"22 $(cat s2.jwe)\") |\n"
"      esf aggregate -s 30 --from 21 --from 22 > up.jwe\n"
"  esf open -s 31 -f jwe-compact < up.jwe | esf aggregate --split\n\n";

enum { O_FROM = 256, O_SPLIT };

static const struct option longopts[] = {
	{ "session", required_argument, NULL, 's' },
	{ "from", required_argument, NULL, O_FROM },
	{ "split", no_argument, NULL, O_SPLIT },
	{ "class", required_argument, NULL, 'c' },
	{ "type", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct agg_opts {
	long session;
	long from[ESF_AGG_SESSIONS_MAX];
	unsigned int n_from;
	bool split;
	unsigned int data_class, session_type;
};

static const char *const type_names[] = { "none", "s1", "s2", "sm" };

static int agg_usage(const struct esf_cli_env *env, const char *msg, const char *arg)
{
	return esf_cli_sub_usage(env, "aggregate", msg, arg);
}

static long number(const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	return errno || *end || end == arg || v <= 0 || v > (long)UINT32_MAX ? -1 : v;
}

static int take(int c, const char *arg, void *opts, const struct esf_cli_env *env)
{
	struct agg_opts *o = opts;

	switch (c) {
	case 'h':
		fputs(esf_cli_aggregate_text, env->out);
		return -1;
	case 's':
		o->session = number(arg);
		if (o->session < 0)
			return agg_usage(env, "bad session id", arg);
		return 0;
	case O_FROM:
		if (o->n_from == ESF_AGG_SESSIONS_MAX)
			return agg_usage(env, "more than 16 --from sessions", arg);
		o->from[o->n_from] = number(arg);
		if (o->from[o->n_from++] < 0)
			return agg_usage(env, "bad session id", arg);
		return 0;
	case O_SPLIT:
		o->split = true;
		return 0;
	case 'c':
		if (strlen(arg) != 1 || arg[0] < '1' || arg[0] > '3')
			return agg_usage(env, "--class is 1, 2 or 3", arg);
		o->data_class = (unsigned int)(arg[0] - '0');
		return 0;
	case 't':
		for (o->session_type = 0; o->session_type < 4; o->session_type++)
			if (!strcmp(arg, type_names[o->session_type]))
				return 0;
		return agg_usage(env, "--type is none, s1, s2 or sm", arg);
	default:
		return agg_usage(env, "unknown option", NULL);
	}
}

/* An opened aggregate's plaintexts, a line each. */
static int split(const struct esf_cli_env *env, const char *in, size_t len)
{
	size_t off[ESF_AGG_MAX], lens[ESF_AGG_MAX];
	int n = esf_aggregate_split(in, len, off, lens, ESF_AGG_MAX), i, r = 0;

	if (n < 0) {
		fprintf(env->err, "esf: aggregate --split: not an aggregate's payload: %s\n",
			esf_strerror(n));
		return ESF_EXIT_REJECTED;
	}
	for (i = 0; i < n; i++) {
		if (memchr(in + off[i], '\n', lens[i])) {
			fprintf(env->err, "esf: aggregate --split: plaintext %d holds a newline\n",
				i);
			return ESF_EXIT_REJECTED;
		}
	}
	for (i = 0; !r && i < n; i++)
		r = esf_cli_write(env, in + off[i], lens[i], true);
	return r;
}

/* "ID JWE" lines into JWEs and slots; the text is split in place. */
static int take_lines(const struct agg_opts *o, const struct esf_cli_env *env, char *in,
		      const char **jwes, unsigned int *slots, size_t *n)
{
	char *line, *save = NULL, *sp;
	unsigned int k;
	long id;

	*n = 0;
	for (line = strtok_r(in, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		sp = strchr(line, ' ');
		if (!sp)
			return agg_usage(env, "an input line is 'SESSION JWE'", line);
		*sp = '\0';
		id = number(line);
		for (k = 0; k < o->n_from && o->from[k] != id; k++)
			;
		if (k == o->n_from)
			return agg_usage(env, "an input's session is not a --from session", line);
		if (*n == ESF_AGG_MAX)
			return agg_usage(env, "more than 64 inputs", NULL);
		jwes[*n] = sp + 1;
		slots[(*n)++] = k;
	}
	return *n ? 0 : agg_usage(env, "no input", NULL);
}

static int aggregate(const struct agg_opts *o, struct esf_session *s, char *in,
		     const struct esf_cli_env *env)
{
	const char *jwes[ESF_AGG_MAX];
	unsigned int slots[ESF_AGG_MAX], k;
	int status[ESF_AGG_MAX], err, r;
	char *out = NULL;
	size_t n, i;

	r = take_lines(o, env, in, jwes, slots, &n);
	if (r)
		return r;
	for (k = 0; k < o->n_from; k++) {
		err = esf_session_aggregate_from(s, (uint32_t)o->from[k], o->data_class,
						 o->session_type);
		if (err < 0) {
			fprintf(env->err, "esf: aggregate: session %ld: %s\n", o->from[k],
				err == -EOPNOTSUPP ? "aggregates need /dev/esf and gcm(aes), "
				"ccm(aes) or kw(aes) inputs" : esf_strerror(err));
			return ESF_EXIT_SESSION;
		}
	}
	err = esf_jwe_aggregate(s, jwes, slots, n, status, &out);
	if (err) {
		for (i = 0; i < n; i++)
			if (status[i] && status[i] != -ECANCELED)
				fprintf(env->err, "esf: aggregate: input %zu (session %ld): %s\n",
					i + 1, o->from[slots[i]], esf_strerror(status[i]));
		fprintf(env->err, "esf: aggregate: nothing sealed: %s\n", esf_strerror(err));
		return ESF_EXIT_REJECTED;
	}
	r = esf_cli_write(env, out, strlen(out), true);
	free(out);
	return r;
}

int esf_cli_aggregate(int argc, char **argv, const struct esf_cli_env *env)
{
	struct esf_session *s = NULL;
	struct agg_opts o = { 0 };
	size_t len;
	char *in = NULL;
	int r = esf_cli_sub_options(argc, argv, "+s:c:t:h", longopts, take, &o, "aggregate", env);

	if (r)
		return r < 0 ? ESF_EXIT_OK : r;
	if (o.split && (o.session || o.n_from))
		return agg_usage(env, "--split takes no session", NULL);
	if (!o.split && (!o.session || !o.n_from))
		return agg_usage(env, "--session and --from are required", NULL);
	r = esf_cli_read_stdin(env, o.split ? ESF_MAX_DATA : ESF_AGG_MAX * ESF_ENVELOPE_MAX,
			       &in, &len);
	if (r)
		return r;
	if (o.split) {
		r = split(env, in, len);
		free(in);
		return r;
	}
	r = env->open_session((uint32_t)o.session, o.data_class, o.session_type, &s);
	if (r) {
		fprintf(env->err, "esf: session %ld: %s\n", o.session, esf_strerror(r));
		free(in);
		return ESF_EXIT_SESSION;
	}
	r = aggregate(&o, s, in, env);
	esf_session_close(s);
	free(in);
	return r;
}
