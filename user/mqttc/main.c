// SPDX-License-Identifier: GPL-2.0
/*
 * esf-mqtt: options and the broker connection shared by its two commands.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqttc.h"

static const char usage_text[] =
"Usage: esf-mqtt request [OPTIONS] RECEIVER < request.json\n"
"       esf-mqtt serve [OPTIONS] --id ID --exec COMMAND\n"
"       esf-mqtt tls-bridge [OPTIONS] --id ID --peer PEER\n"
"                           (--connect HOST:PORT | --listen PORT)\n"
"\n"
"A oneM2M client of the MQTT binding (TS-0010) for applications and tests:\n"
"primitives travel as JSON on /oneM2M/req/<originator>/<receiver>/json and\n"
"/oneM2M/resp/<originator>/<receiver>/json, ids written as topic levels\n"
"(leading '/' left out, other '/' as ':').\n"
"\n"
"request: read one request primitive (a JSON object, e.g. what\n"
"  'esf seal --format class1' prints) from stdin, fill in what it lacks\n"
"  (fr from --id, to from RECEIVER, a fresh rqi, rvi \"3\"), publish it to\n"
"  RECEIVER and print the response primitive that answers it (same rqi).\n"
"  Unanswered, it is published again, the interval doubling, and at once\n"
"  after a reconnection; receivers answer a retransmission as the first\n"
"  copy (esfd and 'esf-mqtt serve' do).\n"
"serve: answer every request addressed to --id. COMMAND (run by /bin/sh)\n"
"  gets the request primitive on stdin and $ESF_MQTT_FR, $ESF_MQTT_RQI; it\n"
"  prints the answer as {\"rsc\":N} or {\"rsc\":N,\"pc\":{...}}; anything else\n"
"  answers 5000. Malformed requests are refused without running it, and a\n"
"  retransmission (same fr and rqi) gets the first answer again.\n"
"tls-bridge: carry one ESCertKE handshake (TLS 1.2 records as securityInfo\n"
"  type 6, \"eckm\") between PEER and a TLS endpoint that is not oneM2M,\n"
"  e.g. 'openssl s_server' (--connect; other requests are answered 5001) or\n"
"  'openssl s_client' (--listen). It runs no TLS and holds no key; -t bounds\n"
"  the whole handshake. Exit 0 when the handshake went through.\n"
"\n"
"Options:\n"
"  -b, --broker HOST:PORT   the broker (default $ESF_MQTT_BROKER or\n"
"                           127.0.0.1:1883)\n"
"  -i, --id ID              this node's oneM2M id (request: the default fr)\n"
"  -u, --username NAME      MQTT user name\n"
"  -P, --password-file FILE MQTT password, one line, in a file only its owner\n"
"                           may read\n"
"      --ca-file FILE       TLS to the broker, checked against these CAs\n"
"  -t, --timeout MS         request: give up after MS (default 10000)\n"
"  -r, --retransmit MS      request: first retransmission after MS (default\n"
"                           2000: the receiving application's own work is\n"
"                           part of the wait)\n"
"  -n, --count N            serve: exit after N requests (default: never)\n"
"  -e, --exec COMMAND       serve: what answers\n"
"  -p, --peer PEER          tls-bridge: the oneM2M peer (an esfd)\n"
"  -c, --connect HOST:PORT  tls-bridge: PEER originates; its securityInfo\n"
"                           type 6 requests go to this TLS server\n"
"  -l, --listen PORT        tls-bridge: a TLS client connects here; its\n"
"                           flights go to PEER as type 6 requests\n"
"  -q, --quiet              serve: no line per request on stderr\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 a success status code (2xxx) or serve done; 1 an error status\n"
"code (printed with its name on stderr); 2 usage or input error; 3 no\n"
"response in time.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "esf-mqtt: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n%s", usage_text);
	return MQTTC_USAGE;
}

int64_t mqttc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_up(void *arg)
{
	((struct mqttc *)arg)->up = true;
}

int mqttc_connect(struct mqttc *c, const char *sub,
		  void (*on_message)(void *arg, const char *topic, const void *payload,
				     size_t len))
{
	char client_id[64];
	struct esfd_mqtt_opts o = {
		.broker = c->broker, .client_id = client_id, .username = c->username,
		.password = c->password, .ca_file = c->ca_file, .keepalive = 30,
		.subs = { sub }, .n_subs = 1, .on_message = on_message, .on_up = on_up,
		.arg = c,
	};

	snprintf(client_id, sizeof(client_id), "esf-mqtt-%d-%lld", (int)getpid(),
		 (long long)mqttc_now_ms());
	return esfd_mqtt_new(&o, mqttc_now_ms(), &c->conn);
}

void mqttc_poll(struct mqttc *c, int ms)
{
	int64_t until = mqttc_now_ms() + ms;
	struct pollfd p;
	int t;

	do {
		esfd_mqtt_pollfd(c->conn, &p);
		t = esfd_mqtt_timeout_ms(c->conn, mqttc_now_ms());
		t = t < ms ? t : ms;
		if (poll(&p, p.fd >= 0, t < 0 ? 0 : t) < 0 && errno != EINTR)
			break;
		esfd_mqtt_service(c->conn, p.fd >= 0 ? p.revents : 0, mqttc_now_ms());
		if (esfd_mqtt_state(c->conn) != ESFD_MQTT_UP)
			c->up = false;
	} while (mqttc_now_ms() < until);
}

static int number(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || *end || !*s || *out < min || *out > max ? -EINVAL : 0;
}

static int credentials(struct mqttc *c, const char *password_file, char *pw)
{
	struct esfd_config_error e = { 0 };

	if (!password_file)
		return 0;
	if (esfd_password_file_read(password_file, NULL, 0, pw, &e)) {
		fprintf(stderr, "esf-mqtt: %s\n", e.msg);
		return MQTTC_USAGE;
	}
	c->password = pw;
	return 0;
}

static int options(int argc, char **argv, struct mqttc *c, const char **password_file)
{
	static const struct option opts[] = {
		{ "broker", required_argument, NULL, 'b' },
		{ "id", required_argument, NULL, 'i' },
		{ "username", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retransmit", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "exec", required_argument, NULL, 'e' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "peer", required_argument, NULL, 'p' },
		{ "connect", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *broker = getenv("ESF_MQTT_BROKER"), *why;
	long v;
	int o;

	while ((o = getopt_long(argc, argv, "b:i:u:P:t:r:n:e:qp:c:l:h", opts, NULL)) != -1) {
		switch (o) {
		case 'b': broker = optarg; break;
		case 'i': c->id = optarg; break;
		case 'u': c->username = optarg; break;
		case 'P': *password_file = optarg; break;
		case 'C': c->ca_file = optarg; break;
		case 'e': c->exec = optarg; break;
		case 'q': c->quiet = true; break;
		case 'p': c->peer = optarg; break;
		case 'c': c->connect_to = optarg; break;
		case 'l':
			if (number(optarg, 1, 65535, &v))
				return usage_error("bad port '%s'", optarg);
			c->listen_port = (int)v;
			break;
		case 't':
		case 'r':
		case 'n':
			if (number(optarg, o == 'n' ? 1 : 10, o == 'n' ? 1000000000 : 3600000, &v))
				return usage_error("bad number '%s'", optarg);
			*(o == 't' ? &c->timeout_ms : &c->retransmit_ms) = (int)v;
			if (o == 'n')
				c->count = (unsigned long)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			fputs(usage_text, stderr);
			return MQTTC_USAGE;
		}
	}
	if (broker && esfd_addr_parse(broker, &c->broker, &why))
		return usage_error("bad broker address: %s", why);
	if (c->id && !esfd_m2m_id_ok(c->id))
		return usage_error("'%s' cannot be a oneM2M id in a topic", c->id);
	return 0;
}

int main(int argc, char **argv)
{
	struct mqttc c = {
		.broker = { .host = "127.0.0.1", .port = 1883 },
		.timeout_ms = 10000, .retransmit_ms = 2000,
	};
	char password[ESFD_MQTT_PASSWORD_MAX + 1] = "";
	const char *password_file = NULL, *cmd;
	int r;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || (strcmp(argv[1], "request") && strcmp(argv[1], "serve") &&
			 strcmp(argv[1], "tls-bridge"))) {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			fputs(usage_text, stdout);
			return 0;
		}
		return usage_error("%s", "say request, serve or tls-bridge");
	}
	cmd = argv[1];
	r = options(argc - 1, argv + 1, &c, &password_file);
	if (r)
		return r < 0 ? 0 : r;
	r = credentials(&c, password_file, password);
	if (r)
		return r;
	if (!strcmp(cmd, "request")) {
		if (optind + 2 != argc)
			return usage_error("%s", "request needs one RECEIVER");
		r = mqttc_request(&c, argv[optind + 1]);
	} else if (!strcmp(cmd, "tls-bridge")) {
		if (optind + 1 != argc || !c.id || !c.peer || !c.connect_to == !c.listen_port)
			return usage_error("%s", "tls-bridge needs --id, --peer, and --connect "
					   "or --listen");
		r = mqttc_tls_bridge(&c, c.peer, c.connect_to, c.listen_port);
	} else {
		if (optind + 1 != argc || !c.id || !c.exec)
			return usage_error("%s", "serve needs --id and --exec, and no argument");
		r = mqttc_serve(&c);
	}
	esfd_mqtt_free(c.conn);
	explicit_bzero(password, sizeof(password));
	return r;
}
