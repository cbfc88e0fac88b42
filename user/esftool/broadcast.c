// SPDX-License-Identifier: GPL-2.0
/*
 * esf broadcast-seal / broadcast-open: a command for a group, signed by
 * its issuer's esfd and sealed under the issuer's group session; opened
 * and checked by members (libesf's esf_broadcast_seal() and
 * esf_broadcast_open()).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char esf_cli_bseal_text[] =
"NAME\n"
"  esf broadcast-seal - a group command, signed by esfd, sealed by esf.ko\n\n"
"SYNOPSIS\n"
"  esf broadcast-seal --session ID --sender N [--socket PATH]\n"
"                     < command > jwe\n\n"
"DESCRIPTION\n"
"  esfd signs {\"grp\":GROUP,\"snd\":N,\"cmd\":...} (JWS ES256 with its\n"
"  certificate chain) and the kernel seals it under the group session ID\n"
"  (JWE \"dir\", \"cty\" \"JOSE\"); the JWE is written with a newline. Every\n"
"  member of the group can read it; none can forge one, though all hold\n"
"  the group key. N is this member's sender id in the group (esfctl group\n"
"  show). The command is at most 16384 bytes. Who may have esfd sign:\n"
"  root, esfd's user, and esfd.conf's sign-uid / sign-gid.\n\n"
"OPTIONS\n"
"  -s, --session ID   the group session (esfctl group list)\n"
"      --sender N     this member's sender id\n"
"      --socket PATH  esfd's control socket (default: $ESFD_CONTROL_SOCKET,\n"
"                     else /run/esfd/control.sock)\n"
"  -h, --help         this text\n\n";

const char esf_cli_bopen_text[] =
"NAME\n"
"  esf broadcast-open - open a group command and check who issued it\n\n"
"SYNOPSIS\n"
"  esf broadcast-open --session ID --ca-file FILE --signer ID\n"
"                     [--crl-file FILE] [--info] < jwe > command\n\n"
"DESCRIPTION\n"
"  The kernel opens the record under the group session; the signature is\n"
"  verified against the CA root, the signer's certificate must name the\n"
"  issuer's id, and the signed statement must name this group and the\n"
"  sender id the record was sealed with (a member that seals a broadcast\n"
"  it opened again is refused). Then the command is written. Nothing is\n"
"  written unless all of it holds.\n\n"
"OPTIONS\n"
"  -s, --session ID     the group session\n"
"      --ca-file FILE   trusted CA roots, PEM (required)\n"
"      --signer ID      the issuer's id, as its certificate names it\n"
"                       (required)\n"
"      --crl-file FILE  a CRL, PEM\n"
"  -i, --info           print \"signer: ID\" to stderr after opening\n"
"  -h, --help           this text\n\n";

enum { O_SENDER = 256, O_SOCKET, O_CA, O_CRL, O_SIGNER };

static const struct option longopts[] = {
	{ "session", required_argument, NULL, 's' },
	{ "sender", required_argument, NULL, O_SENDER },
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "ca-file", required_argument, NULL, O_CA },
	{ "crl-file", required_argument, NULL, O_CRL },
	{ "signer", required_argument, NULL, O_SIGNER },
	{ "info", no_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct bc_opts {
	bool seal, info;
	long session, sender;
	const char *socket;
	struct esf_es256_opts v;
};

static int bc_usage(const struct esf_cli_env *env, bool seal, const char *msg,
		    const char *arg)
{
	return esf_cli_sub_usage(env, seal ? "broadcast-seal" : "broadcast-open", msg, arg);
}

static long number(const char *arg, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	return errno || *end || end == arg || v < 0 || v > max ? -1 : v;
}

static int take(int c, const char *arg, void *opts, const struct esf_cli_env *env)
{
	struct bc_opts *o = opts;
	bool seal_only = c == O_SENDER || c == O_SOCKET;
	bool open_only = c == O_CA || c == O_CRL || c == O_SIGNER || c == 'i';

	if (c == 'h') {
		fputs(o->seal ? esf_cli_bseal_text : esf_cli_bopen_text, env->out);
		return -1;
	}
	if (c == '?' || (seal_only && !o->seal) || (open_only && o->seal))
		return bc_usage(env, o->seal, c == '?' ? "unknown option" :
				"not an option of this command", NULL);
	switch (c) {
	case 's':
		o->session = number(arg, UINT32_MAX);
		if (o->session <= 0)
			return bc_usage(env, o->seal, "bad session id", arg);
		break;
	case O_SENDER:
		o->sender = number(arg, ESF_GROUP_SENDERS_MAX - 1);
		if (o->sender < 0)
			return bc_usage(env, true, "bad sender id (0 to 4095)", arg);
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
	case 'i':
		o->info = true;
		break;
	}
	return 0;
}

static int parse(int argc, char **argv, struct bc_opts *o, const struct esf_cli_env *env)
{
	int r;

	memset(o, 0, sizeof(*o));
	o->seal = !strcmp(argv[0], "broadcast-seal");
	o->sender = -1;
	r = esf_cli_sub_options(argc, argv, "+s:ih", longopts, take, o, argv[0], env);
	if (r)
		return r;
	if (!o->session)
		return bc_usage(env, o->seal, "--session is required", NULL);
	if (o->seal && o->sender < 0)
		return bc_usage(env, true, "--sender is required", NULL);
	if (!o->seal && (!o->v.ca_file || !o->v.signer_id))
		return bc_usage(env, false, "--ca-file and --signer are required", NULL);
	return 0;
}

static int run(const struct bc_opts *o, struct esf_session *s, char *in, size_t len,
	       const struct esf_cli_env *env)
{
	char *jwe = NULL, *signer = NULL;
	void *cmd = NULL;
	size_t cmd_len = 0;
	int err, r;

	if (o->seal) {
		err = esf_broadcast_seal(o->socket, s, (unsigned int)o->sender, in, len, &jwe);
		if (err) {
			fprintf(env->err, "esf: broadcast-seal: %s\n", err == -EACCES ?
				"esfd refused to sign: root, esfd's user, sign-uid / sign-gid" :
				err == -ENOKEY ? "esfd has no certificate credential" :
				esf_strerror(err));
			return ESF_EXIT_REJECTED;
		}
		r = esf_cli_write(env, jwe, strlen(jwe), true);
		free(jwe);
		return r;
	}
	while (len && (in[len - 1] == '\n' || in[len - 1] == '\r'))
		in[--len] = '\0';
	err = esf_broadcast_open(s, in, len, &o->v, &cmd, &cmd_len, &signer);
	if (err) {
		fprintf(env->err, "esf: broadcast-open: %s\n", err == -ESF_E_IMPERSONATION ?
			"signed for another group or another sender than the one that sealed it" :
			err == -EBADMSG ? "it does not open, or its signature does not verify" :
			esf_strerror(err));
		return ESF_EXIT_REJECTED;
	}
	if (o->info)
		fprintf(env->err, "signer: %s\n", signer);
	r = esf_cli_write(env, cmd, cmd_len, false);
	free(cmd);
	free(signer);
	return r;
}

int esf_cli_broadcast(int argc, char **argv, const struct esf_cli_env *env)
{
	struct esf_session *s = NULL;
	struct bc_opts o;
	size_t len;
	char *in = NULL;
	int r = parse(argc, argv, &o, env);

	if (r)
		return r < 0 ? ESF_EXIT_OK : r;
	r = esf_cli_read_stdin(env, o.seal ? ESF_BROADCAST_MAX : ESF_ENVELOPE_MAX, &in, &len);
	if (r)
		return r;
	r = env->open_session((uint32_t)o.session, 0, 0, &s);
	if (r) {
		fprintf(env->err, "esf: session %ld: %s\n", o.session, esf_strerror(r));
		free(in);
		return ESF_EXIT_SESSION;
	}
	r = run(&o, s, in, len, env);
	esf_session_close(s);
	free(in);
	return r;
}
