// SPDX-License-Identifier: GPL-2.0
/*
 * esf seal-ecdh / open-ecdh: a single message encrypted to a peer's
 * certificate, JWE "ECDH-ES+A128KW" with "A128GCM" (libesf's
 * esf_ecdh_seal() and esf_ecdh_open()): esfd agrees the key, the kernel
 * encrypts, the caller holds no key.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A recipient's certificate file: the leaf and a few intermediates. */
#define CERT_FILE_MAX 16384

const char esf_cli_seal_ecdh_text[] =
"NAME\n"
"  esf seal-ecdh - encrypt stdin to a peer's certificate, in the kernel\n\n"
"SYNOPSIS\n"
"  esf seal-ecdh --to CERT --id ID [--cty TYPE] [--socket PATH]\n"
"                < payload > jwe\n\n"
"DESCRIPTION\n"
"  Writes a JWE in the compact serialization, with a newline, that only\n"
"  the holder of CERT's private key can open: {\"alg\":\"ECDH-ES+A128KW\",\n"
"  \"enc\":\"A128GCM\",\"epk\":...,\"x5t#S256\":...}. esfd checks CERT against\n"
"  its CA roots (and CRL) now and that it names ID, agrees a key with it\n"
"  from a fresh ephemeral key, and installs that key in esf.ko for this\n"
"  one message; the kernel makes the content key and encrypts. No key\n"
"  reaches this process. Who may ask: root, esfd's user, and esfd.conf's\n"
"  sign-uid / sign-gid. The payload is at most 65536 bytes.\n\n"
"OPTIONS\n"
"      --to CERT      the recipient's certificate, PEM (intermediates may\n"
"                     follow it)\n"
"      --id ID        the oneM2M id the certificate must name\n"
"      --cty TYPE     \"cty\" header member\n"
"      --socket PATH  esfd's control socket (default: $ESFD_CONTROL_SOCKET,\n"
"                     else /run/esfd/control.sock)\n"
"  -h, --help         this text\n\n";

const char esf_cli_open_ecdh_text[] =
"NAME\n"
"  esf open-ecdh - open a JWE encrypted to this entity's certificate\n\n"
"SYNOPSIS\n"
"  esf open-ecdh [--info] [--socket PATH] < jwe > payload\n\n"
"DESCRIPTION\n"
"  Reads a JWE (compact or JSON; trailing newlines ignored) with \"alg\"\n"
"  \"ECDH-ES+A128KW\" and \"enc\" \"A128GCM\", made by esf seal-ecdh or any\n"
"  JOSE implementation with the certificate of the local esfd. esfd\n"
"  agrees the key with its private key; the kernel unwraps the content\n"
"  key and decrypts; then the payload is written. Nothing is written\n"
"  unless it opens. A copy of a message opens again: single messages have\n"
"  no replay protection of their own.\n\n"
"OPTIONS\n"
"  -i, --info         print \"cty: TYPE\" to stderr after opening\n"
"      --socket PATH  as for seal-ecdh\n"
"  -h, --help         this text\n\n";

enum { O_TO = 256, O_ID, O_CTY, O_SOCKET };

static const struct option longopts[] = {
	{ "to", required_argument, NULL, O_TO },
	{ "id", required_argument, NULL, O_ID },
	{ "cty", required_argument, NULL, O_CTY },
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "info", no_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct ecdh_opts {
	bool seal;
	const char *to, *id, *cty, *socket;
	bool info;
};

static int ecdh_usage(const struct esf_cli_env *env, bool seal, const char *msg,
		      const char *arg)
{
	return esf_cli_sub_usage(env, seal ? "seal-ecdh" : "open-ecdh", msg, arg);
}

static int take(int c, const char *arg, void *opts, const struct esf_cli_env *env)
{
	struct ecdh_opts *o = opts;

	if (c == 'h') {
		fputs(o->seal ? esf_cli_seal_ecdh_text : esf_cli_open_ecdh_text, env->out);
		return -1;
	}
	if (c == '?' || ((c == O_TO || c == O_ID || c == O_CTY) && !o->seal) ||
	    (c == 'i' && o->seal))
		return ecdh_usage(env, o->seal, c == '?' ? "unknown option" :
				  o->seal ? "not an option of seal-ecdh" :
				  "not an option of open-ecdh", NULL);
	switch (c) {
	case O_TO:
		o->to = arg;
		break;
	case O_ID:
		o->id = arg;
		break;
	case O_CTY:
		o->cty = arg;
		break;
	case O_SOCKET:
		o->socket = arg;
		break;
	case 'i':
		o->info = true;
		break;
	}
	return 0;
}

static int parse(int argc, char **argv, struct ecdh_opts *o, const struct esf_cli_env *env)
{
	int r;

	memset(o, 0, sizeof(*o));
	o->seal = !strcmp(argv[0], "seal-ecdh");
	r = esf_cli_sub_options(argc, argv, "+ih", longopts, take, o, argv[0], env);
	if (r)
		return r;
	if (o->seal && (!o->to || !o->id))
		return ecdh_usage(env, true, "--to and --id are required", NULL);
	return 0;
}

static int read_cert(const char *path, char **pem, const struct esf_cli_env *env)
{
	FILE *f = fopen(path, "r");
	size_t len;
	int r;

	if (!f) {
		fprintf(env->err, "esf: %s: %s\n", path, strerror(errno));
		return ESF_EXIT_IO;
	}
	r = esf_cli_read_all(f, CERT_FILE_MAX, pem, &len);
	fclose(f);
	if (r) {
		fprintf(env->err, "esf: %s: %s\n", path, r == -EMSGSIZE ?
			"larger than a certificate chain (16384 bytes)" : esf_strerror(r));
		return r == -EMSGSIZE ? ESF_EXIT_REJECTED : ESF_EXIT_IO;
	}
	return 0;
}

/* esfd's refusals in its terms; esf_strerror() speaks of sessions. */
static const char *why(int err)
{
	switch (err) {
	case -EACCES:
		return "esfd refused: only root, esfd's user and esfd.conf's sign-uid / "
		       "sign-gid may have it use its certificate";
	case -ENOKEY:
		return "not encrypted to this entity's certificate (\"x5t#S256\"), or esfd "
		       "has no certificate credential";
	case -EBUSY:
		return "esfd refused: this user holds 64 single-message sessions not yet "
		       "used (they go after a minute)";
	case -ENODEV:
		return "esf.ko is not loaded";
	case -EBADMSG:
		return "it does not open: forged, changed on the way, or for another key";
	default:
		return esf_strerror(err);
	}
}

static int exit_of(int err)
{
	return err == -ECONNREFUSED || err == -ENOENT ? ESF_EXIT_SESSION : ESF_EXIT_REJECTED;
}

static int seal(const struct ecdh_opts *o, const char *in, size_t len,
		const struct esf_cli_env *env)
{
	char *pem = NULL, *jwe = NULL;
	int r = read_cert(o->to, &pem, env), err;

	if (r)
		return r;
	err = esf_ecdh_seal(o->socket, pem, o->id, in, len, o->cty, &jwe);
	free(pem);
	if (err) {
		fprintf(env->err, "esf: seal-ecdh: %s\n", why(err));
		return exit_of(err);
	}
	r = esf_cli_write(env, jwe, strlen(jwe), true);
	free(jwe);
	return r;
}

static int open_(const struct ecdh_opts *o, char *in, size_t len,
		 const struct esf_cli_env *env)
{
	struct esf_jose_info info;
	void *payload = NULL;
	size_t plen = 0;
	int err, r;

	while (len && (in[len - 1] == '\n' || in[len - 1] == '\r'))
		in[--len] = '\0';
	err = esf_ecdh_open(o->socket, in, len, &payload, &plen, &info);
	if (err) {
		fprintf(env->err, "esf: open-ecdh: %s\n", why(err));
		return exit_of(err);
	}
	if (o->info)
		fprintf(env->err, "cty: %s\n", info.cty ? info.cty : "(none)");
	esf_jose_info_free(&info);
	r = esf_cli_write(env, payload, plen, false);
	free(payload);
	return r;
}

int esf_cli_ecdh(int argc, char **argv, const struct esf_cli_env *env)
{
	struct ecdh_opts o;
	size_t len, max;
	char *in = NULL;
	int r = parse(argc, argv, &o, env);

	if (r)
		return r < 0 ? ESF_EXIT_OK : r;
	max = o.seal ? ESF_ECDH_PAYLOAD_MAX : ESF_ENVELOPE_MAX;
	r = esf_cli_read_stdin(env, max, &in, &len);
	if (r)
		return r;
	r = o.seal ? seal(&o, in, len, env) : open_(&o, in, len, env);
	free(in);
	return r;
}
