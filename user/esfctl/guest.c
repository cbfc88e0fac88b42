// SPDX-License-Identifier: GPL-2.0
/*
 * esfctl guest: guest devices through esfd (docs/esfd.md, "Guest
 * devices"). The keys stay in esfd: an authorization server's esfd signs
 * delegations and revocation lists, a home gateway's esfd signs device
 * tokens, a device's esfd presents its token and installs what it is
 * granted. esfctl only carries tokens between files and the control socket.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esf.h"
#include "esfctl.h"

static const char guest_usage[] =
	"usage: esfctl guest status [--socket PATH]\n"
	"       esfctl guest pubkey [--socket PATH]\n"
	"       esfctl guest delegate --sub GATEWAY --aud NET[,NET...] --cert FILE\n"
	"                             --seconds N [--out FILE] [--socket PATH]\n"
	"       esfctl guest issue --sub DEVICE --aud NET --jwk FILE --delegation FILE\n"
	"                          --seconds N [--out FILE] [--socket PATH]\n"
	"       esfctl guest revoke [JTI...] [--out FILE] [--socket PATH]\n"
	"       esfctl guest present GATEWAY --token FILE [--timeout MS] [--socket PATH]\n"
	"\n"
	"Guest devices (docs/esfd.md, \"Guest devices\"):\n"
	"  status     a gateway's admitted guests and refusals by reason; a\n"
	"             device's presentations and its current grant\n"
	"  pubkey     the device's public key ([guest] key-file) as a JWK, for\n"
	"             its home gateway to issue a token to\n"
	"  delegate   an authorization server's esfd signs a delegation for\n"
	"             GATEWAY (whose certificate FILE chains to its roots) to\n"
	"             let its devices into the networks NET\n"
	"  issue      a home gateway's esfd signs a device token for DEVICE\n"
	"             (key: the JWK in FILE) into NET under the delegation\n"
	"  revoke     an authorization server's esfd signs the revocation list\n"
	"             of the token ids JTI (the whole list: it replaces the last)\n"
	"  present    a device's esfd presents the token to GATEWAY and installs\n"
	"             the relay group key it is granted as a kernel group session\n"
	"\n"
	"delegate, issue, revoke print the token (or list) on standard output,\n"
	"or write it to --out FILE and print its id and expiry. All but status\n"
	"and pubkey are for root, esfd's user and [esfd] sign-uid / sign-gid.\n";

struct guest_args {
	const char *socket, *sub, *aud, *cert, *jwk, *dlg, *out, *token;
	long long seconds, timeout;
};

/* A whole small file, final newlines removed. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!f) {
		fprintf(stderr, "esfctl: guest: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (cap - n < 4096) {
			char *nb = cap < (1 << 20) ? realloc(buf, cap + 8192) : NULL;

			if (!nb) {
				free(buf);
				fclose(f);
				fprintf(stderr, "esfctl: guest: %s: too large\n", path);
				return NULL;
			}
			buf = nb;
			cap += 8192;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return buf;
}

static json_t *call(const struct guest_args *a, json_t *req, const char *what)
{
	char *text = json_dumps(req, JSON_COMPACT), *reply = NULL;
	json_t *rep;
	int err;

	json_decref(req);
	if (!text)
		return NULL;
	err = esf_ctl_request(a->socket, text, &reply);
	free(text);
	if (err) {
		fprintf(stderr, "esfctl: guest %s: cannot reach esfd: %s\n", what, strerror(-err));
		return NULL;
	}
	rep = json_loads(reply, 0, NULL);
	free(reply);
	if (!json_is_object(rep)) {
		fprintf(stderr, "esfctl: guest %s: malformed reply from esfd\n", what);
		json_decref(rep);
		return NULL;
	}
	if (json_integer_value(json_object_get(rep, "status"))) {
		const json_t *rsc = json_object_get(rep, "rsc");
		const json_t *cert = json_object_get(rep, "cert");

		fprintf(stderr, "esfctl: guest %s: %s", what,
			json_string_value(json_object_get(rep, "error")) ?: "failed");
		if (json_integer_value(rsc))
			fprintf(stderr, " (oneM2M %lld %s)", (long long)json_integer_value(rsc),
				esf_onem2m_rsc_name((int)json_integer_value(rsc)));
		if (cert)
			fprintf(stderr, " (%s)", json_string_value(cert));
		fputc('\n', stderr);
		json_decref(rep);
		return NULL;
	}
	return rep;
}

static int parse(int argc, char **argv, struct guest_args *a)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "sub", required_argument, NULL, 's' },
		{ "aud", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "jwk", required_argument, NULL, 'j' },
		{ "delegation", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "token", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(a, 0, sizeof(*a));
	a->seconds = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'S': a->socket = optarg; break;
		case 's': a->sub = optarg; break;
		case 'a': a->aud = optarg; break;
		case 'c': a->cert = optarg; break;
		case 'j': a->jwk = optarg; break;
		case 'd': a->dlg = optarg; break;
		case 'o': a->out = optarg; break;
		case 't': a->token = optarg; break;
		case 'n':
		case 'T':
			if (esfctl_parse_u64(optarg, c == 'n' ? 86400 * 365 : 9000, &v) || !v)
				return esfctl_usage_error(guest_usage, c == 'n' ?
					"--seconds: 1 to 31536000, not '%s'" :
					"--timeout: 1 to 9000 ms, not '%s'", optarg);
			if (c == 'n')
				a->seconds = (long long)v;
			else
				a->timeout = (long long)v;
			break;
		case 'h':
			fputs(guest_usage, stdout);
			return -1;
		default:
			fputs(guest_usage, stderr);
			return 2;
		}
	}
	return 0;
}

/* The token or list: on stdout, or into --out with a line about it. */
static int emit(const struct guest_args *a, json_t *rep, const char *key, const char *what)
{
	const char *tok = json_string_value(json_object_get(rep, key));
	FILE *f;

	if (opt_json) {
		esfctl_json_print(rep);
		return 0;
	}
	if (!a->out) {
		printf("%s\n", tok);
		json_decref(rep);
		return 0;
	}
	f = fopen(a->out, "w");
	if (!f || fprintf(f, "%s\n", tok) < 0 || fclose(f)) {
		fprintf(stderr, "esfctl: guest: %s: %s\n", a->out, strerror(errno));
		json_decref(rep);
		return 1;
	}
	if (json_object_get(rep, "jti"))
		printf("%s jti %s expires %lld written to %s\n", what,
		       json_string_value(json_object_get(rep, "jti")),
		       (long long)json_integer_value(json_object_get(rep, "exp")), a->out);
	else
		printf("%s written to %s\n", what, a->out);
	json_decref(rep);
	return 0;
}

static json_t *aud_array(const char *s)
{
	json_t *arr = json_array();
	char *copy = strdup(s), *tok, *save = NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(tok));
	free(copy);
	return arr;
}

static int delegate(const struct guest_args *a)
{
	char *pem;
	json_t *rep;

	if (!a->sub || !a->aud || !a->cert || a->seconds < 0)
		return esfctl_usage_error(guest_usage, "guest delegate needs --sub, --aud, --cert "
					  "and --seconds%s", "");
	pem = slurp(a->cert);
	if (!pem)
		return 1;
	rep = call(a, json_pack("{s:s,s:s,s:s,s:o,s:s,s:I}", "cmd", "guest", "op", "delegate",
				"sub", a->sub, "aud", aud_array(a->aud), "cert", pem, "seconds",
				(json_int_t)a->seconds), "delegate");
	free(pem);
	return rep ? emit(a, rep, "token", "delegation") : 1;
}

static int issue(const struct guest_args *a)
{
	char *jwk_text, *dlg;
	json_t *jwk, *rep;

	if (!a->sub || !a->aud || !a->jwk || !a->dlg || a->seconds < 0)
		return esfctl_usage_error(guest_usage, "guest issue needs --sub, --aud, --jwk, "
					  "--delegation and --seconds%s", "");
	jwk_text = slurp(a->jwk);
	dlg = slurp(a->dlg);
	jwk = jwk_text ? json_loads(jwk_text, 0, NULL) : NULL;
	free(jwk_text);
	if (!jwk || !dlg) {
		if (!jwk && dlg)
			fprintf(stderr, "esfctl: guest issue: %s: not a JSON JWK\n", a->jwk);
		json_decref(jwk);
		free(dlg);
		return 1;
	}
	rep = call(a, json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:I}", "cmd", "guest", "op", "issue",
				"sub", a->sub, "aud", a->aud, "jwk", jwk, "delegation", dlg,
				"seconds", (json_int_t)a->seconds), "issue");
	free(dlg);
	return rep ? emit(a, rep, "token", "device token") : 1;
}

static int revoke(const struct guest_args *a, int argc, char **argv)
{
	json_t *ids = json_array(), *rep;
	int i;

	for (i = optind; i < argc; i++)
		json_array_append_new(ids, json_string(argv[i]));
	rep = call(a, json_pack("{s:s,s:s,s:o}", "cmd", "guest", "op", "revoke", "jti", ids),
		   "revoke");
	return rep ? emit(a, rep, "list", "revocation list") : 1;
}

static int present(const struct guest_args *a, int argc, char **argv)
{
	json_t *req, *rep;
	char *tok;

	if (optind != argc - 1 || !a->token)
		return esfctl_usage_error(guest_usage, "guest present needs GATEWAY and "
					  "--token FILE%s", "");
	tok = slurp(a->token);
	if (!tok)
		return 1;
	req = json_pack("{s:s,s:s,s:s,s:s}", "cmd", "guest", "op", "present", "gateway",
			argv[optind], "token", tok);
	free(tok);
	if (a->timeout)
		json_object_set_new(req, "timeout", json_integer(a->timeout));
	rep = call(a, req, "present");
	if (!rep)
		return 1;
	if (opt_json) {
		esfctl_json_print(rep);
		return 0;
	}
	printf("admitted into %s by %s: session %lld sender %lld of %lld epoch %lld expires %lld\n",
	       json_string_value(json_object_get(rep, "network")),
	       json_string_value(json_object_get(rep, "gateway")),
	       (long long)json_integer_value(json_object_get(rep, "session")),
	       (long long)json_integer_value(json_object_get(rep, "sender")),
	       (long long)json_integer_value(json_object_get(rep, "senders")),
	       (long long)json_integer_value(json_object_get(rep, "epoch")),
	       (long long)json_integer_value(json_object_get(rep, "expires")));
	json_decref(rep);
	return 0;
}

static long long jint(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

void esfctl_print_guest(const json_t *g)
{
	const json_t *gw = json_object_get(g, "gateway"), *dev = json_object_get(g, "device");
	const json_t *v, *gr;
	const char *k;
	size_t i;

	if (json_is_object(gw)) {
		printf("guest gateway of %s: epoch %lld, admitted %lld, guests %zu, "
		       "throttled %lld; rotations %lld (dropped revoked %lld, expired %lld); "
		       "revoked ids %lld; refused:", json_string_value(json_object_get(gw, "network")),
		       jint(gw, "epoch"), jint(gw, "admitted"),
		       json_array_size(json_object_get(gw, "guests")), jint(gw, "throttled"),
		       jint(gw, "rotations"), jint(gw, "dropped_revoked"),
		       jint(gw, "dropped_expired"), jint(gw, "revoked_ids"));
		json_object_foreach((json_t *)json_object_get(gw, "refused"), k, v)
			printf(" %s %lld", k, (long long)json_integer_value(v));
		printf("\n");
		json_array_foreach(json_object_get(gw, "guests"), i, v)
			printf("  guest %s jti %s sender %lld epoch %lld expires in %llds\n",
			       json_string_value(json_object_get(v, "id")),
			       json_string_value(json_object_get(v, "jti")), jint(v, "sender"),
			       jint(v, "epoch"), jint(v, "expires_in"));
	}
	if (json_is_object(dev)) {
		printf("guest device: presented %lld, granted %lld, denied %lld",
		       jint(dev, "presented"), jint(dev, "granted"), jint(dev, "denied"));
		gr = json_object_get(dev, "grant");
		if (json_is_object(gr))
			printf("; admitted into %s by %s, sender %lld, epoch %lld, "
			       "expires in %llds", json_string_value(json_object_get(gr, "network")),
			       json_string_value(json_object_get(gr, "gateway")),
			       jint(gr, "sender"), jint(gr, "epoch"), jint(gr, "expires_in"));
		if (json_object_get(gr, "session"))
			printf(", session %lld", jint(gr, "session"));
		printf("\n");
	}
}

int esfctl_cmd_guest(int argc, char **argv)
{
	struct guest_args a;
	const char *sub = argc > 1 ? argv[1] : "";
	json_t *rep;
	int r;

	if (argc < 2 || !strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(guest_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	r = parse(argc - 1, argv + 1, &a);
	if (r)
		return r < 0 ? 0 : r;
	argc--;
	argv++;
	if (!strcmp(sub, "status") || !strcmp(sub, "pubkey")) {
		if (optind != argc)
			return esfctl_usage_error(guest_usage, "unexpected argument '%s'",
						  argv[optind]);
		rep = call(&a, json_pack("{s:s,s:s}", "cmd", "guest", "op", sub), sub);
		if (!rep)
			return 1;
		if (opt_json) {
			esfctl_json_print(rep);
			return 0;
		}
		if (!strcmp(sub, "pubkey")) {
			char *t = json_dumps(json_object_get(rep, "jwk"), JSON_COMPACT |
					     JSON_PRESERVE_ORDER);

			printf("%s\n", t ? t : "");
			free(t);
		} else {
			esfctl_print_guest(json_object_get(rep, "guest"));
		}
		json_decref(rep);
		return 0;
	}
	if (!strcmp(sub, "delegate"))
		return delegate(&a);
	if (!strcmp(sub, "issue"))
		return issue(&a);
	if (!strcmp(sub, "revoke"))
		return revoke(&a, argc, argv);
	if (!strcmp(sub, "present"))
		return present(&a, argc, argv);
	return esfctl_usage_error(guest_usage, "unknown guest command '%s'", sub);
}
