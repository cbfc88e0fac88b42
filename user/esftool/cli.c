// SPDX-License-Identifier: GPL-2.0
/*
 * esf command-line core: "esf seal" reads a payload on stdin and writes an
 * envelope on stdout; "esf open" does the reverse; "esf reseal" forwards an
 * ESPrim Object or a class 1 primitive to the next hop, opened and sealed
 * again inside esf.ko. Errors name libesf's
 * reason and the oneM2M response status code a CSE would answer with, so
 * that scripts and interop tests can check both.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef ESF_VERSION
#define ESF_VERSION "unknown"
#endif

enum fmt {
	F_JWE_COMPACT = 1, F_JWE_JSON, F_JWE_FLAT,
	F_JWS_COMPACT, F_JWS_JSON, F_JWS_FLAT,
	F_ESPRIM, F_CLASS1, F_ENVELOPE, F_CLASS2, F_CLASS3,
};

static const struct format {
	const char *name;
	enum fmt fmt;
	unsigned int data_class;	/* default for the handle */
} formats[] = {
	{ "jwe-compact", F_JWE_COMPACT, 0 }, { "jwe-json", F_JWE_JSON, 0 },
	{ "jwe-flat", F_JWE_FLAT, 0 }, { "jws-compact", F_JWS_COMPACT, 0 },
	{ "jws-json", F_JWS_JSON, 0 }, { "jws-flat", F_JWS_FLAT, 0 },
	{ "esprim", F_ESPRIM, 1 }, { "class1", F_CLASS1, 1 },
	{ "envelope", F_ENVELOPE, 0 }, { "class2", F_CLASS2, 2 },
	{ "class3", F_CLASS3, 3 },
};

struct opts {
	bool seal;
	bool reseal;		/* seal is false */
	uint32_t session;
	uint32_t to;		/* reseal: the outgoing hop's session */
	const char *in_ori, *in_rri;	/* reseal: what the incoming object must name */
	const struct format *format;
	int jose;
	int data_class;		/* -1: the format's default */
	unsigned int session_type;
	const char *cty, *ori, *rri, *oro, *rro;
	bool info;
	uint32_t signer;	/* --sign / --verify: the inner JWS's session */
};

static const char usage_text[] =
"Usage: esf seal --session ID --format FORMAT [OPTIONS] < payload > envelope\n"
"       esf open --session ID --format FORMAT [OPTIONS] < envelope > payload\n"
"       esf reseal --session ID --to ID --format esprim|class1 --ori ID --rri ID\n"
"                  [OPTIONS] < object > object\n"
"       esf sign-es256 [--cty TYPE] [--socket PATH] < payload > jws\n"
"       esf verify-es256 --ca-file FILE [OPTIONS] < jws > payload\n"
"       esf seal-ecdh --to CERT --id ID [--cty TYPE] < payload > jwe\n"
"       esf open-ecdh [--info] < jwe > payload\n"
"       esf broadcast-seal --session ID --sender N < command > jwe\n"
"       esf broadcast-open --session ID --ca-file FILE --signer ID < jwe > command\n"
"       esf aggregate --session ID --from ID [--from ID]... < inputs > jwe\n"
"       esf aggregate --split < payload > lines\n"
"       esf help [seal|open|reseal|sign-es256|verify-es256|seal-ecdh|open-ecdh|\n"
"                 broadcast-seal|broadcast-open|aggregate]\n"
"       esf --version\n"
"Global options, anywhere before '--': -h/--help, --version.\n";

static const char formats_text[] =
"FORMATS\n"
"  jwe-compact, jwe-json, jwe-flat\n"
"      JWE in the compact, general JSON or flattened JSON serialization:\n"
"      \"alg\":\"dir\" with A128GCM/A192GCM/A256GCM after the key size (AEAD\n"
"      sessions), or A128KW/A192KW/A256KW with a fresh content key per\n"
"      message (kw(aes) sessions). With --sign/--verify: nested, a JWS\n"
"      inside (sign, then encrypt).\n"
"  jws-compact, jws-json, jws-flat\n"
"      JWS HS256/HS384/HS512 after the session's hash. MIC sessions.\n"
"  esprim\n"
"      ESPrim Object (oneM2M TS-0003): JWE compact with \"kid\" the session's\n"
"      key id and \"ori\"/\"rri\". Handle bound to data class 1.\n"
"  class1\n"
"      Target data class 1: stdin is a request or response primitive (JSON,\n"
"      short names); stdout the outer NOTIFY (or response) carrying it as\n"
"      the ESPrim Object of a securityInfo (\"sit\":5).\n"
"  envelope\n"
"      ESF envelope element {\"esf:env\":{\"sst\":..,\"tdc\":..,\"jwe\"|\"jws\":..}}\n"
"      naming the session type (--type) and data class (--class, required).\n"
"      On a session with DTLS framing (esfctl --framing dtls12): an Sm\n"
"      envelope, \"dtls\" holding DTLS 1.2 records in base64url.\n"
"  class2\n"
"      Target data class 2: the primitive's \"pc\" is replaced by an ESF\n"
"      envelope, a request's \"ty\" by the reserved value 65535.\n"
"  class3\n"
"      Target data class 3: a <contentInstance> (bare or \"m2m:cin\"); \"con\",\n"
"      \"cnf\" and \"or\" are protected together; \"cnf\" ends in :1 or :2.\n"
"      With --sign/--verify: nested ESData, signed then encrypted.\n";

static const char exit_text[] =
"EXIT STATUS\n"
"  0  success\n"
"  1  the envelope was refused (stderr names the reason and the oneM2M\n"
"     response status code, e.g. 4115 ESPRIM_BAD_MAC)\n"
"  2  usage error\n"
"  3  the session could not be opened (no such session, not its owner,\n"
"     esf.ko not loaded)\n"
"  4  reading stdin or writing stdout failed\n"
"\n"
"ENVIRONMENT\n"
"  ESF_FRONT  how libesf reaches the kernel: device (/dev/esf), socket\n"
"             (esf's AF_ALG type) or auto (default: the device where it\n"
"             opens and its region fits RLIMIT_MEMLOCK, else the socket)\n";

static const char seal_text[] =
"NAME\n"
"  esf seal - protect stdin as a oneM2M envelope under a kernel session\n\n"
"SYNOPSIS\n"
"  esf seal --session ID --format FORMAT [--class N] [--type s1|s2|sm]\n"
"           [--jose compact|json|flat] [--cty TYPE] [--sign ID]\n"
"           [--ori ID --rri ID [--oro JSON] [--rro JSON]] < payload\n\n"
"DESCRIPTION\n"
"  Reads the payload (at most 65536 bytes) from stdin and writes the\n"
"  envelope and a newline to stdout. The key stays in the kernel, which\n"
"  picks the nonce; the session must allow sealing (AEAD) or signing (MIC).\n\n"
"OPTIONS\n"
"  -s, --session ID   kernel session id (esfctl session list)\n"
"  -f, --format FMT   envelope format, see FORMATS\n"
"  -c, --class N      target data class the handle is opened for (0-3);\n"
"                     default: 1 for esprim/class1, 2 for class2, 3 for\n"
"                     class3, else 0 (unbound). For envelope: the class named\n"
"  -t, --type T       security session type s1, s2 or sm (default: unbound;\n"
"                     an envelope then names s1)\n"
"  -j, --jose FORM    JOSE serialization inside envelope/class2/class3:\n"
"                     compact (default), json or flat; class3 json is \":2\"\n"
"      --cty TYPE     \"cty\" header member (jwe-*, jws-*, esprim)\n"
"      --ori ID       esprim/class1: originator rand object id (required)\n"
"      --rri ID       esprim/class1: receiver rand object id (required)\n"
"      --oro JSON     esprim/class1: originator rand object, in band\n"
"      --rro JSON     esprim/class1: receiver rand object, in band\n"
"      --sign ID      jwe-*/class3: sign first under MIC session ID, then\n"
"                     encrypt the JWS (nested; \"cty\" JOSE or JOSE+JSON)\n"
"  -h, --help         this text\n\n";

static const char open_text[] =
"NAME\n"
"  esf open - check and open a oneM2M envelope under a kernel session\n\n"
"SYNOPSIS\n"
"  esf open --session ID --format FORMAT [--class N] [--type s1|s2|sm]\n"
"           [--ori ID] [--rri ID] [--verify ID] [--info] < envelope\n\n"
"DESCRIPTION\n"
"  Reads an envelope from stdin (at most 262144 bytes; trailing newlines\n"
"  are ignored), authenticates it in the kernel (tag, salt, replay window)\n"
"  and writes the payload, byte for byte, to stdout. Nothing is written\n"
"  unless the envelope is accepted.\n\n"
"OPTIONS\n"
"  -s, --session ID   kernel session id\n"
"  -f, --format FMT   expected envelope format, see FORMATS; a JOSE object\n"
"                     of another kind or serialization is refused\n"
"  -c, --class N      data class the handle is opened for (see esf seal);\n"
"                     for envelope: the class the envelope must name\n"
"  -t, --type T       session type the handle is opened for (s1, s2, sm)\n"
"      --ori ID       esprim/class1: required originator rand object id\n"
"      --rri ID       esprim/class1: required receiver rand object id\n"
"      --verify ID    jwe-*/class3: the envelope is nested; after decrypting,\n"
"                     verify the inner JWS under MIC session ID\n"
"  -i, --info         print header fields and the sequence number on stderr\n"
"  -h, --help         this text\n\n";

static const char reseal_text[] =
"NAME\n"
"  esf reseal - forward an ESPrim Object to the next hop without seeing it\n\n"
"SYNOPSIS\n"
"  esf reseal --session ID --to ID --format esprim|class1 --ori ID --rri ID\n"
"             [--in-ori ID] [--in-rri ID] [--oro JSON] [--rro JSON] [--cty TYPE]\n"
"             [--class N] [--type s1|s2|sm] < object\n\n"
"DESCRIPTION\n"
"  Reads an ESPrim Object, or a class 1 primitive carrying one, sealed under\n"
"  the incoming hop's session; writes it sealed again under the outgoing\n"
"  hop's session, with a new header, and a newline. esf.ko opens and seals\n"
"  again in one operation on /dev/esf (ESF_OP_RESEAL): the payload never\n"
"  reaches this process. A class 1 carrier keeps its parameters. The caller\n"
"  must be allowed on both sessions; the first must open, the second seal.\n\n"
"OPTIONS\n"
"  -s, --session ID   the incoming hop's session (opens)\n"
"      --to ID        the outgoing hop's session (seals)\n"
"  -f, --format FMT   esprim or class1\n"
"      --ori ID       outgoing header: originator rand object id (required)\n"
"      --rri ID       outgoing header: receiver rand object id (required)\n"
"      --oro JSON     outgoing header: originator rand object, in band\n"
"      --rro JSON     outgoing header: receiver rand object, in band\n"
"      --cty TYPE     outgoing header: \"cty\" (esprim)\n"
"      --in-ori ID    the incoming object's required \"ori\"\n"
"      --in-rri ID    the incoming object's required \"rri\"\n"
"  -c, --class N      data class both handles are opened for (default 1)\n"
"  -t, --type T       session type (s1, s2, sm)\n"
"  -h, --help         this text\n\n";

static const char examples_text[] =
"EXAMPLES\n"
"  echo -n hello | esf seal -s 7 -f jwe-compact > msg.jwe\n"
"  esf open -s 8 -f jwe-compact < msg.jwe\n"
"  esf seal -s 9 -f class1 --ori o-rand-1 --rri r-rand-1 < request.json\n"
"  esf seal -s 5 -f class3 -j json < cin.json\n"
"  esf seal -s 5 -f class3 --sign 6 < cin.json   (esf open ... --verify 6)\n"
"  esf reseal -s 10 --to 11 -f class1 --ori o-rand-2 --rri r-rand-2 < in.json\n"
"  esf sign-es256 --cty application/json < reading.json > reading.jws\n"
"  esf verify-es256 --ca-file root.pem --signer /veh-07 < reading.jws\n"
"  esf seal-ecdh --to veh-08.pem --id /veh-08 < offer.json > offer.jwe\n"
"  esf open-ecdh < offer.jwe   (on /veh-08)\n"
"  esf broadcast-seal -s 40 --sender 1 < close-doors.json > cmd.jwe\n"
"  esf broadcast-open -s 41 --ca-file root.pem --signer /gw-01 < cmd.jwe\n";

/* The help text of each command, for 'esf help CMD'; NULL: no such command. */
static const char *help_topic(const char *cmd)
{
	static const struct { const char *cmd, *text; } topics[] = {
		{ "seal", seal_text }, { "open", open_text }, { "reseal", reseal_text },
		{ "sign-es256", esf_cli_sign_text }, { "verify-es256", esf_cli_verify_text },
		{ "seal-ecdh", esf_cli_seal_ecdh_text }, { "open-ecdh", esf_cli_open_ecdh_text },
		{ "broadcast-seal", esf_cli_bseal_text },
		{ "broadcast-open", esf_cli_bopen_text },
		{ "aggregate", esf_cli_aggregate_text },
	};
	size_t i;

	for (i = 0; cmd && i < sizeof(topics) / sizeof(topics[0]); i++)
		if (!strcmp(cmd, topics[i].cmd))
			return topics[i].text;
	return NULL;
}

static void print_help(FILE *f, const char *cmd)
{
	const char *text = help_topic(cmd);

	fputs(text ? text : usage_text, f);
	fputs(formats_text, f);
	fputc('\n', f);
	fputs(exit_text, f);
	fputc('\n', f);
	fputs(examples_text, f);
}

static int usage(const struct esf_cli_env *env, const char *msg, const char *arg)
{
	fprintf(env->err, "esf: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	fputs(usage_text, env->err);
	fputs("Try 'esf help seal', 'esf help open', 'esf help reseal' or 'esf help "
	      "sign-es256'.\n", env->err);
	return ESF_EXIT_USAGE;
}

static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static const struct format *find_format(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(formats[i].name, name))
			return &formats[i];
	return NULL;
}

static bool parse_type(const char *s, unsigned int *out)
{
	static const char *const names[] = { "none", "s1", "s2", "sm" };

	for (unsigned int i = 0; i < 4; i++)
		if (!strcasecmp(s, names[i])) {
			*out = i;
			return true;
		}
	return false;
}

static bool parse_jose(const char *s, int *out)
{
	if (!strcmp(s, "compact"))
		*out = ESF_JOSE_COMPACT;
	else if (!strcmp(s, "json"))
		*out = ESF_JOSE_JSON;
	else if (!strcmp(s, "flat"))
		*out = ESF_JOSE_JSON_FLAT;
	else
		return false;
	return true;
}

enum { O_CTY = 256, O_ORI, O_RRI, O_ORO, O_RRO, O_SIGN, O_VERIFY, O_TO, O_IN_ORI, O_IN_RRI };

static const struct option longopts[] = {
	{ "session", required_argument, NULL, 's' },
	{ "format", required_argument, NULL, 'f' },
	{ "class", required_argument, NULL, 'c' },
	{ "type", required_argument, NULL, 't' },
	{ "jose", required_argument, NULL, 'j' },
	{ "cty", required_argument, NULL, O_CTY },
	{ "ori", required_argument, NULL, O_ORI },
	{ "rri", required_argument, NULL, O_RRI },
	{ "oro", required_argument, NULL, O_ORO },
	{ "rro", required_argument, NULL, O_RRO },
	{ "sign", required_argument, NULL, O_SIGN },
	{ "verify", required_argument, NULL, O_VERIFY },
	{ "to", required_argument, NULL, O_TO },
	{ "in-ori", required_argument, NULL, O_IN_ORI },
	{ "in-rri", required_argument, NULL, O_IN_RRI },
	{ "info", no_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One option; returns 0, or an exit code (help printed: -1). */
static int take_option(int c, const char *arg, struct opts *o,
		       const struct esf_cli_env *env)
{
	uint32_t v;

	switch (c) {
	case 's':
		if (!parse_u32(arg, 1, UINT32_MAX, &o->session))
			return usage(env, "bad session id", arg);
		return 0;
	case 'f':
		o->format = find_format(arg);
		return o->format ? 0 : usage(env, "unknown format", arg);
	case 'c':
		if (!parse_u32(arg, 0, 3, &v))
			return usage(env, "bad data class (0-3)", arg);
		o->data_class = (int)v;
		return 0;
	case 't':
		return parse_type(arg, &o->session_type) ? 0 :
			usage(env, "bad session type (s1, s2, sm)", arg);
	case 'j':
		return parse_jose(arg, &o->jose) ? 0 :
			usage(env, "bad JOSE serialization (compact, json, flat)", arg);
	case O_CTY: o->cty = arg; return 0;
	case O_ORI: o->ori = arg; return 0;
	case O_RRI: o->rri = arg; return 0;
	case O_ORO: o->oro = arg; return 0;
	case O_RRO: o->rro = arg; return 0;
	case O_TO:
	case O_IN_ORI:
	case O_IN_RRI:
		if (!o->reseal)
			return usage(env, "--to, --in-ori and --in-rri are for reseal", NULL);
		if (c == O_IN_ORI)
			o->in_ori = arg;
		else if (c == O_IN_RRI)
			o->in_rri = arg;
		else if (!parse_u32(arg, 1, UINT32_MAX, &o->to))
			return usage(env, "bad session id", arg);
		return 0;
	case O_SIGN:
	case O_VERIFY:
		if (o->reseal)
			return usage(env, "--sign and --verify are not for reseal", NULL);
		if ((c == O_SIGN) != o->seal)
			return usage(env, o->seal ? "--verify is for opening" : "--sign is for sealing",
				     NULL);
		if (!parse_u32(arg, 1, UINT32_MAX, &o->signer))
			return usage(env, "bad session id", arg);
		return 0;
	case 'i': o->info = true; return 0;
	case 'h':
		print_help(env->out, o->reseal ? "reseal" : o->seal ? "seal" : "open");
		return -1;
	default:
		return usage(env, "unknown option", NULL);
	}
}

static bool is_esprim(const struct opts *o)
{
	return o->format->fmt == F_ESPRIM || o->format->fmt == F_CLASS1;
}

/* Options that make no sense for the format are refused, not ignored. */
static int check_opts(const struct opts *o, const struct esf_cli_env *env)
{
	enum fmt f;

	if (!o->session)
		return usage(env, "--session is required", NULL);
	if (!o->format)
		return usage(env, "--format is required", NULL);
	f = o->format->fmt;
	if (o->reseal && !is_esprim(o))
		return usage(env, "reseal takes format esprim or class1", o->format->name);
	if (o->reseal && !o->to)
		return usage(env, "--to is required", NULL);
	if (o->reseal && (!o->ori || !o->rri))
		return usage(env, "--ori and --rri are required to reseal", NULL);
	if (o->reseal && o->info)
		return usage(env, "--info is for open", NULL);
	if ((o->ori || o->rri || o->oro || o->rro) && !is_esprim(o))
		return usage(env, "--ori/--rri/--oro/--rro need format esprim or class1", NULL);
	if (o->seal && is_esprim(o) && (!o->ori || !o->rri))
		return usage(env, "--ori and --rri are required to seal", o->format->name);
	if (!o->seal && !o->reseal && (o->oro || o->rro || o->cty))
		return usage(env, "--oro, --rro and --cty are for sealing", NULL);
	if (o->cty && (f == F_CLASS1 || f >= F_ENVELOPE))
		return usage(env, "--cty is for jwe-*, jws-* and esprim", NULL);
	if (o->jose && f < F_ENVELOPE)
		return usage(env, "--jose is for envelope, class2 and class3", NULL);
	if (f == F_ENVELOPE && o->data_class <= 0)
		return usage(env, "--class is required for envelope", NULL);
	if (o->signer && f != F_CLASS3 && f > F_JWE_FLAT)
		return usage(env, "--sign/--verify are for jwe-* and class3", NULL);
	if (o->signer && o->cty)
		return usage(env, "--cty and --sign: the nested JWE's \"cty\" is JOSE", NULL);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o,
		      const struct esf_cli_env *env)
{
	int c, r;

	memset(o, 0, sizeof(*o));
	o->seal = !strcmp(argv[0], "seal");
	o->reseal = !strcmp(argv[0], "reseal");
	o->data_class = -1;
	optind = 0;	/* reinitialize: the tests call in one process */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+s:f:c:t:j:ih", longopts, NULL)) != -1) {
		r = take_option(c, optarg, o, env);
		if (r)
			return r;
	}
	if (optind < argc)
		return usage(env, "unexpected argument", argv[optind]);
	return check_opts(o, env);
}

/* Read all of @in, failing once more than @max bytes arrived. */
int esf_cli_read_all(FILE *in, size_t max, char **buf, size_t *len)
{
	size_t cap = 0, n = 0, r;
	char *b = NULL;

	do {
		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : 4096;
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		r = fread(b + n, 1, cap - n, in);
		n += r;
		if (n > max) {
			free(b);
			return -EMSGSIZE;
		}
	} while (r);
	if (ferror(in)) {
		free(b);
		return -EIO;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int esf_cli_write(const struct esf_cli_env *env, const void *p, size_t n, bool nl)
{
	if (fwrite(p, 1, n, env->out) != n || (nl && fputc('\n', env->out) == EOF) ||
	    fflush(env->out)) {
		fprintf(env->err, "esf: writing the output failed\n");
		return ESF_EXIT_IO;
	}
	return ESF_EXIT_OK;
}

int esf_cli_read_stdin(const struct esf_cli_env *env, size_t max, char **in, size_t *len)
{
	int r = esf_cli_read_all(env->in, max, in, len);

	if (!r)
		return ESF_EXIT_OK;
	if (r == -EMSGSIZE)
		fprintf(env->err, "esf: reading stdin: input too large: at most %zu bytes\n", max);
	else
		fprintf(env->err, "esf: reading stdin: %s\n", esf_strerror(r));
	return r == -EMSGSIZE ? ESF_EXIT_REJECTED : ESF_EXIT_IO;
}

static int refused(const struct esf_cli_env *env, const struct opts *o, int err)
{
	int rsc = esf_onem2m_rsc(err, !o->seal);

	fprintf(env->err, "esf: %s: %s (oneM2M %d %s)\n",
		o->reseal ? "reseal" : o->seal ? "seal" : "open",
		esf_strerror(err), rsc, esf_onem2m_rsc_name(rsc));
	return ESF_EXIT_REJECTED;
}

static int seal_jose(struct esf_session *s, struct esf_session *sign, const struct opts *o,
		     const char *in, size_t len, char **out)
{
	static const int form[] = {
		[F_JWE_COMPACT] = ESF_JOSE_COMPACT, [F_JWE_JSON] = ESF_JOSE_JSON,
		[F_JWE_FLAT] = ESF_JOSE_JSON_FLAT, [F_JWS_COMPACT] = ESF_JOSE_COMPACT,
		[F_JWS_JSON] = ESF_JOSE_JSON, [F_JWS_FLAT] = ESF_JOSE_JSON_FLAT,
	};
	struct esf_jose_opts jo = { .cty = o->cty };
	bool jwe = o->format->fmt <= F_JWE_FLAT;
	bool aead = !esf_info_is_mic(esf_session_info(s));

	if (jwe != aead)
		return -ESF_E_ALG_MISMATCH;
	if (sign)
		return esf_nested_seal(sign, s, form[o->format->fmt], in, len, out);
	return esf_jose_seal(s, form[o->format->fmt], in, len, &jo, out);
}

static int do_seal(struct esf_session *s, struct esf_session *sign, const struct opts *o,
		   const char *in, size_t len, char **out)
{
	const struct esf_esprim_hdr h = {
		.ori = o->ori, .rri = o->rri, .oro = o->oro, .rro = o->rro,
		.cty = o->cty,
	};
	int jose = o->jose ? o->jose : ESF_JOSE_COMPACT;

	switch (o->format->fmt) {
	case F_ESPRIM:
		return esf_esprim_seal(s, &h, in, len, out);
	case F_CLASS1:
		return esf_class1_wrap(s, &h, in, len, out);
	case F_ENVELOPE:
		return esf_envelope_seal(s, jose, o->session_type,
					 (unsigned int)o->data_class, in, len, out);
	case F_CLASS2:
		return esf_class2_seal(s, jose, in, len, out);
	case F_CLASS3:
		if (sign)
			return esf_class3_seal_nested(sign, s, jose, in, len, out);
		return esf_class3_seal(s, jose, in, len, out);
	default:
		return seal_jose(s, sign, o, in, len, out);
	}
}

static void print_info(FILE *f, const char *key, const char *val)
{
	if (val)
		fprintf(f, "%s: %s\n", key, val);
}

static int open_jose(struct esf_session *s, struct esf_session *verify, const struct opts *o,
		     bool info, const char *in, size_t len, void **out, size_t *out_len,
		     FILE *err)
{
	static const int form[] = { 0, 1, 2, 3, 1, 2, 3 };
	struct esf_jose_info ji;
	bool jwe = o->format->fmt <= F_JWE_FLAT;
	int r;

	/* The kind is checked before the kernel sees the object: opening a
	 * JWE consumes its sequence number, and a copy refused for being in
	 * another serialization must not use up the real one's. */
	r = esf_jose_peek(in, len, &ji);
	if (r)
		return r;
	r = ji.jwe != jwe || ji.form != form[o->format->fmt] ? -ESF_E_FORMAT : 0;
	esf_jose_info_free(&ji);
	if (r)
		return r;
	r = verify ? esf_nested_open(verify, s, in, len, out, out_len, &ji) :
		     esf_jose_open(s, in, len, out, out_len, &ji);
	if (r)
		return r;
	if (info) {
		print_info(err, "header", ji.header);
		fprintf(err, "seq: %llu\n", (unsigned long long)ji.seq);
	}
	esf_jose_info_free(&ji);
	return r;
}

static int open_esprim(struct esf_session *s, const struct opts *o, bool info,
		       const char *in, size_t len, void **out, size_t *out_len,
		       FILE *err)
{
	struct esf_esprim_info ei;
	int r;

	if (o->format->fmt == F_ESPRIM) {
		r = esf_esprim_open(s, in, len, o->ori, o->rri, out, out_len, &ei);
	} else {
		r = esf_class1_unwrap(s, in, len, o->ori, o->rri, (char **)out, &ei);
		if (!r)
			*out_len = strlen(*out);
	}
	if (!r && info) {
		print_info(err, "ori", ei.ori);
		print_info(err, "rri", ei.rri);
		print_info(err, "oro", ei.oro);
		print_info(err, "rro", ei.rro);
		print_info(err, "cty", ei.cty);
		fprintf(err, "seq: %llu\n", (unsigned long long)ei.seq);
	}
	if (!r)
		esf_esprim_info_free(&ei);
	return r;
}

static int do_open(struct esf_session *s, struct esf_session *verify, const struct opts *o,
		   const char *in, size_t len, void **out, size_t *out_len,
		   FILE *err)
{
	struct esf_envelope_info ei;
	int r;

	switch (o->format->fmt) {
	case F_ESPRIM:
	case F_CLASS1:
		return open_esprim(s, o, o->info, in, len, out, out_len, err);
	case F_ENVELOPE:
		r = esf_envelope_open(s, in, len, o->session_type,
				      (unsigned int)o->data_class, out, out_len, &ei);
		if (!r && o->info)
			fprintf(err, "sst: %u\ntdc: %u\nseq: %llu\n", ei.session_type,
				ei.data_class, (unsigned long long)ei.seq);
		return r;
	case F_CLASS2:
		r = esf_class2_open(s, in, len, (char **)out);
		break;
	case F_CLASS3:
		r = verify ? esf_class3_open_nested(verify, s, in, len, (char **)out) :
			     esf_class3_open(s, in, len, (char **)out);
		break;
	default:
		return open_jose(s, verify, o, o->info, in, len, out, out_len, err);
	}
	if (!r)
		*out_len = strlen(*out);
	return r;
}

static int do_reseal(struct esf_session *s, const struct opts *o, const char *in, size_t len,
		     char **out)
{
	const struct esf_esprim_hdr h = {
		.ori = o->ori, .rri = o->rri, .oro = o->oro, .rro = o->rro,
		.cty = o->cty,
	};

	if (o->format->fmt == F_ESPRIM)
		return esf_esprim_reseal(s, in, len, o->in_ori, o->in_rri, &h, out);
	return esf_class1_reseal(s, in, len, o->in_ori, o->in_rri, &h, out);
}

static int run(struct esf_session *s, struct esf_session *signer, const struct opts *o,
	       char *in, size_t len, const struct esf_cli_env *env)
{
	void *out = NULL;
	size_t out_len = 0;
	int r;

	if (o->reseal) {
		while (len && (in[len - 1] == '\n' || in[len - 1] == '\r'))
			in[--len] = '\0';
		r = do_reseal(s, o, in, len, (char **)&out);
		out_len = r ? 0 : strlen(out);
	} else if (o->seal) {
		r = do_seal(s, signer, o, in, len, (char **)&out);
		out_len = r ? 0 : strlen(out);
	} else {
		while (len && (in[len - 1] == '\n' || in[len - 1] == '\r'))
			in[--len] = '\0';
		r = do_open(s, signer, o, in, len, &out, &out_len, env->err);
	}
	if (r)
		return refused(env, o, r);
	r = fwrite(out, 1, out_len, env->out) == out_len ? 0 : -EIO;
	if (!r && (o->seal || o->reseal) && fputc('\n', env->out) == EOF)
		r = -EIO;
	if (!r && fflush(env->out))
		r = -EIO;
	free(out);
	if (r)
		fprintf(env->err, "esf: writing the output failed\n");
	return r ? ESF_EXIT_IO : ESF_EXIT_OK;
}

static int command(int argc, char **argv, const struct esf_cli_env *env)
{
	struct esf_session *s, *signer = NULL;
	struct opts o;
	char *in;
	size_t len;
	int r = parse_args(argc, argv, &o, env);

	if (r)
		return r < 0 ? ESF_EXIT_OK : r;
	r = esf_cli_read_all(env->in, o.seal ? ESF_MAX_DATA : ESF_ENVELOPE_MAX, &in, &len);
	if (r) {
		if (r == -EMSGSIZE)
			fprintf(env->err, "esf: reading stdin: input too large: %s takes %s of "
				"at most %d bytes\n", o.reseal ? "reseal" : o.seal ? "seal" : "open",
				o.seal ? "a payload" : "an envelope",
				o.seal ? ESF_MAX_DATA : ESF_ENVELOPE_MAX);
		else
			fprintf(env->err, "esf: reading stdin: %s\n", esf_strerror(r));
		return r == -EMSGSIZE ? ESF_EXIT_REJECTED : ESF_EXIT_IO;
	}
	r = env->open_session(o.session, o.data_class < 0 ? o.format->data_class :
			      (unsigned int)o.data_class, o.session_type, &s);
	/* Re-seal: the handle on /dev/esf, given the outgoing hop's session. */
	if (!r && o.reseal) {
		r = strcmp(esf_session_front(s), "device") ? -EOPNOTSUPP :
		    esf_session_reseal_to(s, o.to, o.data_class < 0 ? o.format->data_class :
					  (unsigned int)o.data_class, o.session_type);
		if (r) {
			fprintf(env->err, "esf: reseal into session %u: %s%s\n", o.to,
				esf_strerror(r), r == -EOPNOTSUPP ?
				" (it needs /dev/esf: ESF_FRONT=device, and both sessions AEAD)" : "");
			esf_session_close(s);
			free(in);
			return ESF_EXIT_SESSION;
		}
	}
	if (!r && o.signer) {
		r = env->open_session(o.signer, o.data_class < 0 ? o.format->data_class :
				      (unsigned int)o.data_class, o.session_type, &signer);
		if (r) {
			esf_session_close(s);
			o.session = o.signer;
		}
	}
	if (r) {
		fprintf(env->err, "esf: session %u: %s\n", o.session, esf_strerror(r));
		free(in);
		return ESF_EXIT_SESSION;
	}
	r = run(s, signer, &o, in, len, env);
	esf_session_close(signer);
	esf_session_close(s);
	free(in);
	return r;
}

/* The global options, --version and -h/--help, count wherever they are
 * (before "--"): "esf seal --version" prints the version, "esf --help open"
 * the help of open, as "esf open --help" does.
 */
static bool wants_version(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--version"))
			return true;
	return false;
}

int esf_cli_main(int argc, char **argv, const struct esf_cli_env *env)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (wants_version(argc, argv)) {
		fprintf(env->out, "esf %s\n", ESF_VERSION);
		return ESF_EXIT_OK;
	}

	if (!cmd)
		return usage(env, "no command", NULL);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		if (argc > 3 || (argc == 3 && !help_topic(argv[2])))
			return usage(env, "help: unknown topic", argc > 2 ? argv[2] : NULL);
		print_help(env->out, argc == 3 ? argv[2] : NULL);
		return ESF_EXIT_OK;
	}
	if (!strcmp(cmd, "sign-es256") || !strcmp(cmd, "verify-es256"))
		return esf_cli_es256(argc - 1, argv + 1, env);
	if (!strcmp(cmd, "seal-ecdh") || !strcmp(cmd, "open-ecdh"))
		return esf_cli_ecdh(argc - 1, argv + 1, env);
	if (!strcmp(cmd, "broadcast-seal") || !strcmp(cmd, "broadcast-open"))
		return esf_cli_broadcast(argc - 1, argv + 1, env);
	if (!strcmp(cmd, "aggregate"))
		return esf_cli_aggregate(argc - 1, argv + 1, env);
	if (strcmp(cmd, "seal") && strcmp(cmd, "open") && strcmp(cmd, "reseal"))
		return usage(env, "unknown command", cmd);
	return command(argc - 1, argv + 1, env);
}

int esf_cli_sub_usage(const struct esf_cli_env *env, const char *cmd, const char *msg,
		      const char *arg)
{
	fprintf(env->err, "esf: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	fprintf(env->err, "Try 'esf help %s'.\n", cmd);
	return ESF_EXIT_USAGE;
}

int esf_cli_sub_options(int argc, char **argv, const char *shortopts,
			const struct option *longopts, esf_cli_take_fn take, void *opts,
			const char *cmd, const struct esf_cli_env *env)
{
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		r = take(c, optarg, opts, env);
		if (r)
			return r;
	}
	if (optind < argc)
		return esf_cli_sub_usage(env, cmd, "unexpected argument", argv[optind]);
	return 0;
}
