// SPDX-License-Identifier: GPL-2.0
/*
 * esfctl commands that talk to esfd over its control socket: status,
 * peer list/show, establish, rekey.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esf.h"
#include "esfctl.h"

static const char status_usage[] =
	"usage: esfctl status [--brief] [--socket PATH]\n"
	"\n"
	"What esfd is doing: identity, uptime, its MQTT broker connection (state,\n"
	"reconnections, establishments waiting for the broker, retransmissions),\n"
	"primitives in and out, requests refused (by oneM2M status code) and\n"
	"primitives dropped, static group authentication per [gauth] section,\n"
	"peer-to-peer agreement ([p2p]: dynamic peers, agreements, bytes per\n"
	"agreement, refusals by reason, the certificate cache), data at rest\n"
	"([container]: items hosted, stored, retrieved, refused; sealed, opened), and\n"
	"each session pair it owns with the kernel's view of it (driver, hardware\n"
	"or CPU, state, operations).\n"
	"\n"
	"  --brief   the daemon's own lines only: no peers, no pairs, no kernel\n"
	"            queries (a gateway with thousands of peers answers at once)\n";

static const char peer_usage[] =
	"usage: esfctl peer list [--socket PATH]\n"
	"       esfctl peer show PEER [--socket PATH]\n"
	"       esfctl peer session PEER [--class N] [--timeout MS] [--socket PATH]\n"
	"\n"
	"list, show: the peers of esfd's configuration, their counters and\n"
	"session pairs. session: what an application gets from libesf's\n"
	"esf_peer_session(): the current pair for class N (default 1),\n"
	"established on demand; allowed to root and to the owner uid/gid of the\n"
	"peer's policy. PEER is a oneM2M id or the peer's name in esfd.conf.\n";

static long long jint(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static long long jint_at(const json_t *a, size_t i)
{
	return (long long)json_integer_value(json_array_get(a, i));
}

/* The [p2p] lines: dynamic peers, agreements and their bytes, refusals. */
static void print_p2p(const json_t *p)
{
	const json_t *c = json_object_get(p, "cache"), *v;
	const char *k;
	int any = 0;

	if (!json_is_object(p))
		return;
	printf("p2p: dynamic peers %lld of %lld (evicted %lld, dropped on reload %lld); "
	       "agreements %lld (ours: first contact %lld, %lld bytes; cached certificate %lld, "
	       "%lld bytes; certificate sent again %lld); throttled %lld\n", jint(p, "peers"),
	       jint(p, "peers_max"), jint(p, "evicted"), jint(p, "dropped"),
	       jint(p, "established"), jint(p, "first_contact"), jint(p, "bytes_first"),
	       jint(p, "cached"), jint(p, "bytes_cached"), jint(p, "resent"), jint(p, "throttled"));
	printf("p2p: certificate cache %lld of %lld, hits %lld, misses %lld, evictions %lld; "
	       "refused:", jint(c, "entries"), jint(c, "bound"), jint(c, "hits"), jint(c, "misses"),
	       jint(c, "evictions"));
	json_object_foreach((json_t *)json_object_get(p, "refused"), k, v) {
		if (!json_integer_value(v))
			continue;
		printf(" %s %lld", k, (long long)json_integer_value(v));
		any = 1;
	}
	printf("%s\n", any ? "" : " none");
}

static const char establish_usage[] =
	"usage: esfctl establish PEER [--class N] [--timeout MS] [--socket PATH]\n"
	"       esfctl rekey PEER [--class N] [--timeout MS] [--certke] [--socket PATH]\n"
	"\n"
	"establish: make sure esfd has a current ESPrim session pair with PEER for\n"
	"target data class N (default 1), establishing one if needed; rekey:\n"
	"establish a new pair now (the old one keeps opening for a while).\n"
	"With --certke (a peer whose credential is a certificate), the rekey runs\n"
	"ESCertKE first, for a new pairwise key (after a certificate renewal).\n"
	"PEER may also be an id that no [peer] section names, when esfd has a\n"
	"[p2p] section: esfd then meets it by peer-to-peer agreement (its\n"
	"certificate, one round trip, a new key each time); a refusal names its\n"
	"reason (expired, revoked, unknown-ca, wrong-id, bad-signature, ...).\n"
	"Prints the pair: seal and open session ids, kid, ori, rri. Needs root.\n"
	"\n"
	"options:\n"
	"  -c, --class N      target data class, 1..3 (default 1)\n"
	"  -t, --timeout MS   how long esfd waits for the peer (default 5000)\n"
	"  -S, --socket PATH  esfd's control socket (default $ESFD_CONTROL_SOCKET\n"
	"                     or " ESF_CTL_DEFAULT ")\n";

static const char groups_usage[] =
	"usage: esfctl group list [--socket PATH]\n"
	"       esfctl group show GROUP [--socket PATH]\n"
	"\n"
	"The groups of esfd's configuration ([group] sections) and where their\n"
	"keys are. On the group's server: the current epoch, the next rotation\n"
	"and each member (peer, sender id, the epoch it was given, the epoch it\n"
	"confirmed, seconds since its last contact, a push pending). On a\n"
	"member: its server, sender id, the epochs its kernel group session\n"
	"holds (current, next until the switch, previous until it retires) and\n"
	"the session id (shown to root and the owner of the group's policy: it\n"
	"is what an application seals and opens with). A mediator gateway's\n"
	"group is \"mediating\" (the key in esfd's memory, no session); show\n"
	"adds the block a server delegates, each device a mediator hands the key\n"
	"to, or the group a device's key comes under. GROUP is the section\n"
	"name or the group id. No key is ever shown.\n";

static const struct option ctl_opts[] = {
	{ "socket", required_argument, NULL, 'S' },
	{ "class", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "certke", no_argument, NULL, 'K' },
	{ "brief", no_argument, NULL, 'B' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct ctl_args {
	const char *socket;
	unsigned int data_class;
	unsigned int timeout;
	const char *peer;
	bool certke;
	bool brief;
};

static int parse(int argc, char **argv, const char *usage, bool want_peer, bool cls_ok,
		 struct ctl_args *a)
{
	uint64_t v;
	int c;

	memset(a, 0, sizeof(*a));
	a->data_class = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, cls_ok ? "S:c:t:h" : "S:h", ctl_opts, NULL)) != -1) {
		switch (c) {
		case 'K':
			if (usage != establish_usage)
				return esfctl_usage_error(usage, "%s", "--certke is for rekey");
			a->certke = true;
			break;
		case 'B':
			if (usage != status_usage)
				return esfctl_usage_error(usage, "%s", "--brief is for status");
			a->brief = true;
			break;
		case 'S':
			a->socket = optarg;
			break;
		case 'c':
			if (esfctl_parse_u64(optarg, 3, &v) || !v)
				return esfctl_usage_error(usage, "bad class '%s'", optarg);
			a->data_class = (unsigned int)v;
			break;
		case 't':
			if (esfctl_parse_u64(optarg, 60000, &v) || !v)
				return esfctl_usage_error(usage, "bad timeout '%s'", optarg);
			a->timeout = (unsigned int)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (want_peer) {
		if (optind >= argc)
			return esfctl_usage_error(usage, "%s", usage == groups_usage ?
						  "missing GROUP" : "missing PEER");
		a->peer = argv[optind++];
	}
	if (optind < argc)
		return esfctl_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Send @req (consumed); the reply when its status is 0, else NULL and the
 * error printed.
 */
static json_t *call(const struct ctl_args *a, json_t *req, const char *what)
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
		fprintf(stderr, "esfctl: %s: cannot reach esfd at %s: %s\n", what,
			a->socket ? a->socket : getenv("ESFD_CONTROL_SOCKET") ?
			getenv("ESFD_CONTROL_SOCKET") : ESF_CTL_DEFAULT, strerror(-err));
		return NULL;
	}
	rep = json_loads(reply, 0, NULL);
	free(reply);
	if (!json_is_object(rep)) {
		fprintf(stderr, "esfctl: %s: malformed reply from esfd\n", what);
		json_decref(rep);
		return NULL;
	}
	if (json_integer_value(json_object_get(rep, "status"))) {
		json_t *rsc = json_object_get(rep, "rsc");

		fprintf(stderr, "esfctl: %s: %s", what,
			json_string_value(json_object_get(rep, "error")) ?: "failed");
		if (rsc && !strstr(json_string_value(json_object_get(rep, "error")) ?: "",
				   "oneM2M"))
			fprintf(stderr, " (peer answered oneM2M %lld %s)",
				(long long)json_integer_value(rsc),
				esf_onem2m_rsc_name((int)json_integer_value(rsc)));
		fputc('\n', stderr);
		json_decref(rep);
		return NULL;
	}
	return rep;
}


/* The kernel's view of one session of a pair, added to @p as @key. */
static void kernel_view(struct esf_nl *nl, json_t *p, const char *idkey, const char *key)
{
	struct esf_nl_session s;
	uint32_t id = (uint32_t)json_integer_value(json_object_get(p, idkey));

	if (!nl || esf_nl_session_get(nl, id, &s)) {
		json_object_set_new(p, key, json_null());
		return;
	}
	json_object_set_new(p, key, json_pack("{s:s,s:b,s:s,s:I,s:I,s:I}",
		"driver", s.driver, "hardware", !!(s.provider & ESF_PROVIDER_HW),
		"state", esfctl_state_name(s.state),
		"ops", (json_int_t)(s.stats[ESF_STATS_A_SEAL] + s.stats[ESF_STATS_A_OPEN]),
		"auth_fail", (json_int_t)s.stats[ESF_STATS_A_AUTH_FAIL],
		"replay", (json_int_t)s.stats[ESF_STATS_A_REPLAY]));
}

static void print_pair(json_t *p)
{
	json_t *ks = json_object_get(p, "seal_kernel"), *ko = json_object_get(p, "open_kernel");

	char ids[48] = "seal - open -";

	if (json_object_get(p, "seal"))
		snprintf(ids, sizeof(ids), "seal %lld open %lld",
			 (long long)json_integer_value(json_object_get(p, "seal")),
			 (long long)json_integer_value(json_object_get(p, "open")));
	printf("    class %lld  %-8s  %s  %s  kid %s  ori %s  rri %s  %s, "
	       "expires in %llds\n",
	       (long long)json_integer_value(json_object_get(p, "class")),
	       json_string_value(json_object_get(p, "state")), ids,
	       json_string_value(json_object_get(p, "alg")),
	       json_string_value(json_object_get(p, "kid")),
	       json_string_value(json_object_get(p, "ori")),
	       json_string_value(json_object_get(p, "rri")),
	       json_string_value(json_object_get(p, "role")),
	       (long long)json_integer_value(json_object_get(p, "expires_in")));
	if (json_is_object(ks) && json_is_object(ko))
		printf("      kernel: %s (%s), seal %s %lld ops, open %s %lld ops, "
		       "%lld auth failures, %lld replays\n",
		       json_string_value(json_object_get(ks, "driver")),
		       json_is_true(json_object_get(ks, "hardware")) ? "hardware" : "CPU",
		       json_string_value(json_object_get(ks, "state")),
		       (long long)json_integer_value(json_object_get(ks, "ops")),
		       json_string_value(json_object_get(ko, "state")),
		       (long long)json_integer_value(json_object_get(ko, "ops")),
		       (long long)json_integer_value(json_object_get(ko, "auth_fail")),
		       (long long)json_integer_value(json_object_get(ko, "replay")));
	else if (json_object_get(p, "seal_kernel"))
		printf("      kernel: session not visible (esf.ko not loaded, or not ours)\n");
}

static void print_peer(json_t *pe)
{
	json_t *pairs = json_object_get(pe, "pairs"), *p;
	size_t i;

	json_t *ck = json_object_get(pe, "certke");
	const char *kid = json_string_value(json_object_get(ck, "kid")), *gw;

	printf("peer %s  %s (%s)  topic level %s  %s%s  policy %s (AES-%lld)\n",
	       json_string_value(json_object_get(pe, "name")),
	       json_string_value(json_object_get(pe, "id")),
	       json_string_value(json_object_get(pe, "role")),
	       json_string_value(json_object_get(pe, "topic")),
	       ck ? "credential certificate" : json_object_get(pe, "facilitator") ?
	       "credential facilitator, kpsa-id " : "kpsa-id ",
	       ck ? "" : json_string_value(json_object_get(pe, "kpsa_id")),
	       json_string_value(json_object_get(pe, "policy")),
	       (long long)json_integer_value(json_object_get(pe, "key_bits")));
	/* Shown where it is not the default: what the gateway does with the peer. */
	gw = json_string_value(json_object_get(pe, "gateway_role"));
	if (gw && strcmp(gw, "reseal"))
		printf("  gateway-role %s\n", gw);
	if (ck)
		printf("  ESCertKE: %lld handshakes; %s%s%s%s%s\n",
		       (long long)json_integer_value(json_object_get(ck, "established")),
		       kid ? "pairwise key id " : "no pairwise key", kid ? kid : "",
		       kid ? " (key check value " : "",
		       kid ? json_string_value(json_object_get(ck, "kcv")) : "", kid ? ")" : "");
	ck = json_object_get(pe, "facilitator");
	kid = json_string_value(json_object_get(ck, "kid"));
	if (ck) {
		long long last = jint(ck, "last_refusal");

		printf("  facilitator %s: the key is %s by this end; ",
		       json_string_value(json_object_get(ck, "facilitator")),
		       json_string_value(json_object_get(ck, "origin")));
		if (kid)
			printf("key id %s, expires in %llds", kid, jint(ck, "expires_in"));
		else
			printf("no key yet");
		printf("; registered %lld, retrieved %lld, refused %lld", jint(ck, "registered"),
		       jint(ck, "retrieved"), jint(ck, "refused"));
		if (last)
			printf(" (last %lld %s)", last, esf_onem2m_rsc_name((int)last));
		printf("\n");
	}
	printf("  primitives in %lld out %lld, established %lld, refused %lld, pairs %zu\n",
	       (long long)json_integer_value(json_object_get(pe, "rx")),
	       (long long)json_integer_value(json_object_get(pe, "tx")),
	       (long long)json_integer_value(json_object_get(pe, "established")),
	       (long long)json_integer_value(json_object_get(pe, "refused")),
	       json_array_size(pairs));
	json_array_foreach(pairs, i, p)
		print_pair(p);
}

/* The broker connection: where, how it is, what waits for it. */
static void print_mqtt(json_t *m)
{
	const char *err = json_string_value(json_object_get(m, "last_error"));

	printf("MQTT broker %s port %lld: %s for %llds, client id %s, connections %lld "
	       "(reconnects %lld), failures %lld%s%s%s\n",
	       json_string_value(json_object_get(m, "host")), jint(m, "port"),
	       json_string_value(json_object_get(m, "state")), jint(m, "state_for"),
	       json_string_value(json_object_get(m, "client_id")), jint(m, "connects"),
	       jint(m, "reconnects"), jint(m, "failures"), err && *err ? " (last: " : "",
	       err && *err ? err : "", err && *err ? ")" : "");
	printf("  establishments pending %lld, waiting for the broker %lld; requests "
	       "retransmitted %lld, duplicates answered again %lld; published %lld, "
	       "refused %lld, unacknowledged %lld\n",
	       jint(m, "pending"), jint(m, "queued"), jint(m, "retransmits"),
	       jint(m, "duplicates"), jint(m, "published"), jint(m, "publish_refused"),
	       jint(m, "unacked"));
}

/* Add the kernel's view to every pair of every peer. */
static void add_kernel_views(json_t *peers)
{
	struct esf_nl *nl = NULL;
	json_t *pe, *p;
	size_t i, j;

	/* Resolving the family of a module that is not loaded would load it
	 * (its genetlink alias): a status query must not undo an rmmod.
	 */
	if (esf_nl_family_present() != 1 || esf_nl_open(&nl))
		nl = NULL;
	json_array_foreach(peers, i, pe) {
		json_array_foreach(json_object_get(pe, "pairs"), j, p) {
			/* esfd shows the ids only to who may use the sessions. */
			if (!json_object_get(p, "seal"))
				continue;
			kernel_view(nl, p, "seal", "seal_kernel");
			kernel_view(nl, p, "open", "open_kernel");
		}
	}
	esf_nl_close(nl);
}

int esfctl_cmd_status(int argc, char **argv)
{
	struct ctl_args a;
	json_t *st, *peers, *drops, *v;
	size_t gi;
	const char *k;
	int r = parse(argc, argv, status_usage, false, false, &a);

	if (r)
		return r < 0 ? 0 : r;
	st = call(&a, json_pack("{s:s}", "cmd", "status"), "status");
	if (!st)
		return 1;
	/* --brief: "peers" stays the daemon's count; no pairs are printed. */
	peers = a.brief ? json_pack("{s:[]}", "peers") :
		call(&a, json_pack("{s:s}", "cmd", "peers"), "status");
	if (!peers) {
		json_decref(st);
		return 1;
	}
	add_kernel_views(json_object_get(peers, "peers"));
	if (opt_json) {
		if (!a.brief)
			json_object_set(st, "peers", json_object_get(peers, "peers"));
		json_decref(peers);
		esfctl_json_print(st);
		return 0;
	}
	printf("esfd %s, pid %lld: %s (%s), up %llds, HMAC by %s\n",
	       json_string_value(json_object_get(st, "version")),
	       (long long)json_integer_value(json_object_get(st, "pid")),
	       json_string_value(json_object_get(st, "id")),
	       json_string_value(json_object_get(st, "role")),
	       (long long)json_integer_value(json_object_get(st, "uptime")),
	       json_string_value(json_object_get(st, "hmac_backend")));
	printf("peers %lld, session pairs %lld, established %lld, rekeys %lld, failures %lld\n",
	       (long long)json_integer_value(json_object_get(st, "peers")),
	       (long long)json_integer_value(json_object_get(st, "pairs")),
	       (long long)json_integer_value(json_object_get(st, "established")),
	       (long long)json_integer_value(json_object_get(st, "rekeys")),
	       (long long)json_integer_value(json_object_get(st, "failures")));
	print_mqtt(json_object_get(st, "mqtt"));
	printf("primitives in %lld out %lld; refused:",
	       (long long)json_integer_value(json_object_get(st, "rx")),
	       (long long)json_integer_value(json_object_get(st, "tx")));
	json_object_foreach(json_object_get(st, "refused"), k, v)
		printf(" %s %s %lld", k, esf_onem2m_rsc_name(atoi(k)),
		       (long long)json_integer_value(v));
	if (!json_object_size(json_object_get(st, "refused")))
		printf(" none");
	printf("; dropped:");
	drops = json_object_get(st, "dropped");
	json_object_foreach(drops, k, v)
		printf(" %s %lld", k, (long long)json_integer_value(v));
	printf("\n");
	v = json_object_get(st, "certke");
	if (json_is_true(json_object_get(v, "credential"))) {
		json_t *r;

		printf("ESCertKE handshakes %lld; refused:",
		       (long long)json_integer_value(json_object_get(v, "established")));
		json_object_foreach(json_object_get(v, "refused"), k, r)
			printf(" %s %lld", k, (long long)json_integer_value(r));
		printf("\n");
		v = json_object_get(st, "sign");
		printf("signed for applications %lld (JWS ES256), refused %lld\n",
		       (long long)json_integer_value(json_object_get(v, "signed")),
		       (long long)json_integer_value(json_object_get(v, "refused")));
		v = json_object_get(st, "ecdh");
		printf("single messages (ECDH-ES+A128KW) keyed to seal %lld, to open %lld, "
		       "refused %lld\n",
		       (long long)json_integer_value(json_object_get(v, "sealing")),
		       (long long)json_integer_value(json_object_get(v, "opening")),
		       (long long)json_integer_value(json_object_get(v, "refused")));
	}
	json_array_foreach(json_object_get(st, "gauth"), gi, v) {
		const char *state = json_string_value(json_object_get(v, "state"));

		printf("group authentication %s (%s) as %s: messages in %lld, out %lld; "
		       "devices %lld; refused %lld; last round %lld ms%s%s\n",
		       json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "id")),
		       json_string_value(json_object_get(v, "role")),
		       (long long)json_integer_value(json_object_get(v, "messages_in")),
		       (long long)json_integer_value(json_object_get(v, "messages_out")),
		       (long long)json_integer_value(json_object_get(v, "devices")),
		       (long long)json_integer_value(json_object_get(v, "refused")),
		       (long long)json_integer_value(json_object_get(v, "last_round_ms")),
		       state ? "; " : "", state ? state : "");
	}
	print_p2p(json_object_get(st, "p2p"));
	esfctl_print_guest(json_object_get(st, "guest"));
	v = json_object_get(st, "facilitator");
	if (json_is_object(v)) {
		json_t *r;

		printf("facilitator: keys held %lld, registered %lld, retrieved %lld; refused:",
		       jint(v, "keys"), jint(v, "registered"), jint(v, "retrieved"));
		json_object_foreach(json_object_get(v, "refused"), k, r)
			printf(" %s %lld", k, (long long)json_integer_value(r));
		printf("; store %s\n", json_string_value(json_object_get(v, "store")));
	}
	v = json_object_get(st, "dar");
	if (json_is_object(v)) {
		json_t *r;

		printf("data at rest: hosted items");
		json_object_foreach(json_object_get(v, "hosted_items"), k, r)
			printf(" %s %lld", k, (long long)json_integer_value(r));
		printf("; stored %lld, retrieved %lld, refused %lld (ACL) %lld (other); sealed "
		       "%lld, opened %lld, did not open %lld\n", jint(v, "stored"),
		       jint(v, "retrieved"), jint(v, "refused_acl"), jint(v, "refused_other"),
		       jint(v, "sealed"), jint(v, "opened"), jint(v, "open_failed"));
	}
	v = json_object_get(st, "control");
	if (json_is_object(v))
		printf("control connections refused %lld (over a cap), closed idle %lld\n",
		       (long long)json_integer_value(json_object_get(v, "refused")),
		       (long long)json_integer_value(json_object_get(v, "idle_closed")));
	{
		json_t *pe;
		size_t i;

		json_array_foreach(json_object_get(peers, "peers"), i, pe)
			print_peer(pe);
	}
	json_decref(st);
	json_decref(peers);
	return 0;
}

/* Through the library call applications use. */
static int peer_session(int argc, char **argv)
{
	struct esf_peer_session ps;
	struct ctl_args a;
	int r = parse(argc, argv, peer_usage, true, true, &a);

	if (r)
		return r < 0 ? 0 : r;
	r = esf_peer_session(a.socket, a.peer, a.data_class, a.timeout, &ps);
	if (r) {
		fprintf(stderr, "esfctl: peer session: %s\n", strerror(-r));
		return 1;
	}
	if (opt_json) {
		esfctl_json_print(json_pack("{s:I,s:I,s:i,s:s,s:s,s:s,s:I}",
					    "seal", (json_int_t)ps.seal_id,
					    "open", (json_int_t)ps.open_id,
					    "class", (int)ps.data_class, "kid", ps.kid,
					    "ori", ps.ori, "rri", ps.rri,
					    "expires", (json_int_t)ps.expires));
		return 0;
	}
	printf("peer %s class %u: seal %u open %u kid %s ori %s rri %s expires %lld\n",
	       a.peer, ps.data_class, ps.seal_id, ps.open_id, ps.kid, ps.ori, ps.rri,
	       (long long)ps.expires);
	return 0;
}

/*
 * "list" or "show NAME" (argv[0]) of a control command @cmd naming the one
 * to show in @member: the reply, or NULL with the exit status in @rc.
 */
static json_t *list_or_show(int argc, char **argv, const char *usage, const char *cmd,
			    const char *member, int *rc)
{
	bool show = !strcmp(argv[0], "show");
	char what[32];
	struct ctl_args a;
	json_t *req, *rep;
	int r = parse(argc, argv, usage, show, false, &a);

	if (r) {
		*rc = r < 0 ? 0 : r;
		return NULL;
	}
	req = json_pack("{s:s}", "cmd", cmd);
	if (show)
		json_object_set_new(req, member, json_string(a.peer));
	snprintf(what, sizeof(what), "%s %s", member, argv[0]);
	rep = call(&a, req, what);
	*rc = 1;
	return rep;
}

int esfctl_cmd_peer(int argc, char **argv)
{
	json_t *rep, *pe;
	size_t i;
	bool show;
	int r;

	if (argc >= 2 && !strcmp(argv[1], "session"))
		return peer_session(argc - 1, argv + 1);
	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "show"))) {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			fputs(peer_usage, stdout);
			return 0;
		}
		return esfctl_usage_error(peer_usage, "%s", "peer: say list or show");
	}
	show = !strcmp(argv[1], "show");
	rep = list_or_show(argc - 1, argv + 1, peer_usage, "peers", "peer", &r);
	if (!rep)
		return r;
	add_kernel_views(json_object_get(rep, "peers"));
	if (opt_json) {
		json_incref(json_object_get(rep, "peers"));
		esfctl_json_print(json_object_get(rep, "peers"));
		json_decref(rep);
		return 0;
	}
	json_array_foreach(json_object_get(rep, "peers"), i, pe) {
		if (show) {
			print_peer(pe);
		} else {
			printf("%-16s %-24s %-8s %-24s pairs %zu\n",
			       json_string_value(json_object_get(pe, "name")),
			       json_string_value(json_object_get(pe, "id")),
			       json_string_value(json_object_get(pe, "role")),
			       json_string_value(json_object_get(pe, "topic")),
			       json_array_size(json_object_get(pe, "pairs")));
		}
	}
	json_decref(rep);
	return 0;
}

static int establish(int argc, char **argv, const char *cmd)
{
	struct ctl_args a;
	json_t *req, *rep;
	int r = parse(argc, argv, establish_usage, true, true, &a);

	if (r)
		return r < 0 ? 0 : r;
	req = json_pack("{s:s,s:s,s:i}", "cmd", cmd, "peer", a.peer, "class",
			(int)a.data_class);
	if (a.timeout)
		json_object_set_new(req, "timeout", json_integer(a.timeout));
	if (a.certke)
		json_object_set_new(req, "certke", json_true());
	rep = call(&a, req, cmd);
	if (!rep)
		return 1;
	if (opt_json) {
		esfctl_json_print(rep);
		return 0;
	}
	printf("peer %s class %lld: seal %lld open %lld alg %s kid %s ori %s rri %s "
	       "expires in %llds\n",
	       json_string_value(json_object_get(rep, "peer")),
	       (long long)json_integer_value(json_object_get(rep, "class")),
	       (long long)json_integer_value(json_object_get(rep, "seal")),
	       (long long)json_integer_value(json_object_get(rep, "open")),
	       json_string_value(json_object_get(rep, "alg")),
	       json_string_value(json_object_get(rep, "kid")),
	       json_string_value(json_object_get(rep, "ori")),
	       json_string_value(json_object_get(rep, "rri")),
	       (long long)json_integer_value(json_object_get(rep, "expires_in")));
	json_decref(rep);
	return 0;
}

int esfctl_cmd_establish(int argc, char **argv)
{
	return establish(argc, argv, "establish");
}

int esfctl_cmd_rekey(int argc, char **argv)
{
	return establish(argc, argv, "rekey");
}

/* A group's part in mediation (docs/esfd.md, "Mediator gateways"). */
static void print_mediation(const json_t *md)
{
	const json_t *b = json_object_get(md, "block"), *v;
	size_t i;

	if (json_object_get(md, "delegate")) {
		printf("  delegates sender ids %lld-%lld to %s", jint_at(b, 0), jint_at(b, 1),
		       json_string_value(json_object_get(md, "delegate")));
		if (json_object_get(md, "session"))
			printf(" (its own session %lld opens them)", jint(md, "session"));
		putchar('\n');
	} else if (json_object_get(md, "local")) {
		printf("  mediates to %s: sender ids %lld-%lld, epoch %lld, deliveries %lld%s\n",
		       json_string_value(json_object_get(md, "local")), jint_at(b, 0),
		       jint_at(b, 1), jint(md, "epoch"), jint(md, "delivered"),
		       json_is_true(json_object_get(md, "asked")) ? ", a new epoch asked" : "");
		json_array_foreach(json_object_get(md, "devices"), i, v)
			printf("  device %-16s %-24s sender %-4lld epoch %lld acked %lld\n",
			       json_string_value(json_object_get(v, "peer")),
			       json_string_value(json_object_get(v, "id")), jint(v, "sender"),
			       jint(v, "epoch"), jint(v, "acked"));
	} else if (json_object_get(md, "via")) {
		printf("  comes from the mediator wrapped under %s's key\n",
		       json_string_value(json_object_get(md, "via")));
	}
}

static void print_group(json_t *g, bool show)
{
	bool server = !strcmp(json_string_value(json_object_get(g, "role")) ?: "", "server");
	json_t *m;
	size_t i;

	printf("%-16s %-24s %-6s epoch %lld", json_string_value(json_object_get(g, "name")),
	       json_string_value(json_object_get(g, "id")), server ? "server" : "member",
	       jint(g, "epoch"));
	if (server) {
		printf(" members %zu rotations %lld next rotation in %llds\n",
		       json_array_size(json_object_get(g, "members")), jint(g, "rotations"),
		       jint(g, "next_rotation_in"));
	} else {
		printf(" %s sender %lld of %lld server %s", json_string_value(json_object_get(g, "state")),
		       jint(g, "sender"), jint(g, "senders"),
		       json_string_value(json_object_get(g, "server")));
		if (json_object_get(g, "session"))
			printf(" session %lld", jint(g, "session"));
		else
			printf(" session -");
		putchar('\n');
	}
	if (!show)
		return;
	printf("  alg %s policy %s\n", json_string_value(json_object_get(g, "alg")),
	       json_string_value(json_object_get(g, "policy")));
	if (json_object_get(g, "mediation"))
		print_mediation(json_object_get(g, "mediation"));
	if (!server) {
		printf("  next %lld (switch in %llds) previous %lld keys %lld\n", jint(g, "next"),
		       jint(g, "switch_in"), jint(g, "previous"), jint(g, "keys"));
		return;
	}
	printf("  senders %lld rotate %llds switch-delay %llds\n", jint(g, "senders"),
	       jint(g, "rotate"), jint(g, "switch_delay"));
	json_array_foreach(json_object_get(g, "members"), i, m) {
		long long lc = jint(m, "last_contact");

		printf("  member %-16s %-24s sender %-4lld epoch %lld acked %lld",
		       json_string_value(json_object_get(m, "peer")),
		       json_string_value(json_object_get(m, "id")), jint(m, "sender"),
		       jint(m, "epoch"), jint(m, "acked"));
		if (lc >= 0)
			printf(" seen %llds ago", lc);
		else
			printf(" never seen");
		printf("%s\n", json_is_true(json_object_get(m, "push_pending")) ? " push pending" : "");
	}
}

/* esfctl group list|show: esfd's groups (the kernel's own group commands
 * are in group.c).
 */
int esfctl_cmd_groups(int argc, char **argv)
{
	bool show = !strcmp(argv[0], "show");
	json_t *rep, *g;
	size_t i;
	int r;

	rep = list_or_show(argc, argv, groups_usage, "groups", "group", &r);
	if (!rep)
		return r;
	if (opt_json) {
		esfctl_json_print(json_incref(json_object_get(rep, "groups")));
		json_decref(rep);
		return 0;
	}
	json_array_foreach(json_object_get(rep, "groups"), i, g)
		print_group(g, show);
	json_decref(rep);
	return 0;
}
