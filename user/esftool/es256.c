// SPDX-License-Identifier: GPL-2.0
/*
 * esf sign-es256 / verify-es256: a JWS ES256 signed by esfd with the
 * entity's certificate key (the caller never holds it), and its offline
 * verification against a CA root (libesf's esf_es256_sign() and
 * esf_es256_verify()). A single signed message without a session.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char esf_cli_sign_text[] =
"NAME\n"
"  esf sign-es256 - have esfd sign stdin as a JWS ES256 with its chain\n\n"
"SYNOPSIS\n"
"  esf sign-es256 [--cty TYPE] [--socket PATH] < payload > jws\n\n"
"DESCRIPTION\n"
"  Sends the payload (at most 32768 bytes) to esfd, which signs it with\n"
"  the private key of its certificate credential and returns a JWS in the\n"
"  compact serialization, {\"alg\":\"ES256\",\"x5c\":[...]} in its protected\n"
"  header; it is written with a newline. The key never leaves esfd. Who\n"
"  may ask: root, esfd's user, and esfd.conf's sign-uid / sign-gid.\n\n"
"OPTIONS\n"
"      --cty TYPE     \"cty\" header member\n"
"      --socket PATH  esfd's control socket (default: $ESFD_CONTROL_SOCKET,\n"
"                     else /run/esfd/control.sock)\n"
"  -h, --help         this text\n\n";

const char esf_cli_verify_text[] =
"NAME\n"
"  esf verify-es256 - verify a JWS ES256 offline against a CA root\n\n"
"SYNOPSIS\n"
"  esf verify-es256 --ca-file FILE [--crl-file FILE] [--signer ID]\n"
"                   [--at SECONDS] [--info] < jws > payload\n\n"
"DESCRIPTION\n"
"  Reads a JWS (compact or flattened JSON; at most 262144 bytes, trailing\n"
"  newlines ignored) whose protected header carries the signer's chain in\n"
"  \"x5c\", verifies the chain against the roots (and the CRL), that the\n"
"  signer's certificate names the expected oneM2M id (a subjectAltName\n"
"  URI), and the ECDSA P-256 signature; then writes the payload. Nothing\n"
"  is written unless all of it holds.\n\n"
"OPTIONS\n"
"      --ca-file FILE   trusted CA roots, PEM (required)\n"
"      --crl-file FILE  a CRL, PEM: a revoked signer is refused\n"
"      --signer ID      the id the signer's certificate must name\n"
"      --at SECONDS     verify at this time (seconds since the epoch)\n"
"  -i, --info         print \"signer: ID\" to stderr after verifying\n"
"  -h, --help         this text\n\n";

enum { O_CTY = 256, O_SOCKET, O_CA, O_CRL, O_SIGNER, O_AT };

static const struct option longopts[] = {
	{ "cty", required_argument, NULL, O_CTY },
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "ca-file", required_argument, NULL, O_CA },
	{ "crl-file", required_argument, NULL, O_CRL },
	{ "signer", required_argument, NULL, O_SIGNER },
	{ "at", required_argument, NULL, O_AT },
	{ "info", no_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct es256_opts {
	bool sign;
	const char *cty, *socket;
	struct esf_es256_opts v;
	bool info;
};

static int es256_usage(const struct esf_cli_env *env, bool sign, const char *msg,
		       const char *arg)
{
	return esf_cli_sub_usage(env, sign ? "sign-es256" : "verify-es256", msg, arg);
}

static int take(int c, const char *arg, void *opts, const struct esf_cli_env *env)
{
	struct es256_opts *o = opts;
	char *end;

	if (c == 'h') {
		fputs(o->sign ? esf_cli_sign_text : esf_cli_verify_text, env->out);
		return -1;
	}
	if ((c == O_CTY || c == O_SOCKET) != o->sign || c == '?')
		return es256_usage(env, o->sign, c == '?' ? "unknown option" :
				   o->sign ? "not an option of sign-es256" :
				   "not an option of verify-es256", NULL);
	switch (c) {
	case O_CTY:
		o->cty = arg;
		break;
	case O_SOCKET:
		o->socket = arg;
		break;
	case O_CA:
		o->v.ca_file = arg;
		break;
	case O_CRL:
		o->v.crl_file = arg;
		break;
	case O_SIGNER:
		o->v.signer_id = arg;
		break;
	case O_AT:
		errno = 0;
		o->v.at = strtoll(arg, &end, 10);
		if (errno || *end || end == arg || o->v.at <= 0)
			return es256_usage(env, false, "bad time (seconds since the epoch)", arg);
		break;
	case 'i':
		o->info = true;
		break;
	}
	return 0;
}

static int parse(int argc, char **argv, struct es256_opts *o, const struct esf_cli_env *env)
{
	int r;

	memset(o, 0, sizeof(*o));
	o->sign = !strcmp(argv[0], "sign-es256");
	r = esf_cli_sub_options(argc, argv, "+ih", longopts, take, o, argv[0], env);
	if (r)
		return r;
	if (!o->sign && !o->v.ca_file)
		return es256_usage(env, false, "--ca-file is required", NULL);
	return 0;
}

static int run(const struct es256_opts *o, char *in, size_t len, const struct esf_cli_env *env)
{
	char *jws = NULL, *signer = NULL;
	void *payload = NULL;
	size_t plen = 0;
	int err, r;

	if (o->sign) {
		err = esf_es256_sign(o->socket, in, len, o->cty, &jws);
		if (err) {
			fprintf(env->err, "esf: sign-es256: %s\n", esf_strerror(err));
			return err == -ECONNREFUSED || err == -ENOENT ? ESF_EXIT_SESSION :
			       ESF_EXIT_REJECTED;
		}
		r = esf_cli_write(env, jws, strlen(jws), true);
		free(jws);
		return r;
	}
	while (len && (in[len - 1] == '\n' || in[len - 1] == '\r'))
		in[--len] = '\0';
	err = esf_es256_verify(in, len, &o->v, &payload, &plen, &signer);
	if (err) {
		fprintf(env->err, "esf: verify-es256: %s\n", err == -EBADMSG ?
			"the signature does not verify: forged, or changed on the way" :
			esf_strerror(err));
		return ESF_EXIT_REJECTED;
	}
	if (o->info)
		fprintf(env->err, "signer: %s\n", signer);
	r = esf_cli_write(env, payload, plen, false);
	free(payload);
	free(signer);
	return r;
}

int esf_cli_es256(int argc, char **argv, const struct esf_cli_env *env)
{
	struct es256_opts o;
	size_t len, max;
	char *in = NULL;
	int r = parse(argc, argv, &o, env);

	if (r)
		return r < 0 ? ESF_EXIT_OK : r;
	max = o.sign ? ESF_ES256_PAYLOAD_MAX : ESF_ENVELOPE_MAX;
	r = esf_cli_read_stdin(env, max, &in, &len);
	if (r)
		return r;
	r = run(&o, in, len, env);
	free(in);
	return r;
}
