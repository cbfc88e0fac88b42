// SPDX-License-Identifier: GPL-2.0
/*
 * esf-mqtt tls-bridge: carry an ESCertKE handshake (TS-0003 8.7) between
 * a oneM2M peer on the broker and a TLS 1.2 endpoint on TCP that knows
 * nothing of oneM2M, such as "openssl s_server" or "openssl s_client".
 * Each flight of TLS records read from TCP becomes the escertkeMessage of
 * a securityInfo type 6 ("eckm", standard base64), and each one from the
 * peer is written to TCP byte for byte. The bridge holds no key and runs
 * no TLS: it only finds where a flight ends (a ClientHello, a
 * ServerHelloDone, or the record after a ChangeCipherSpec) by reading
 * record and handshake headers.
 *
 *   --connect HOST:PORT  the peer originates (TLS client), the bridge
 *                        answers its sit 6 requests from a TLS server
 *   --listen PORT        a TLS client connects, the bridge sends its
 *                        flights to --peer as sit 6 NOTIFY requests
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esf.h"
#include "mqttc.h"
#include "../esfd/prim.h"

#define FLIGHT_MAX	ESFD_PRIM_CERTKE_MAX
#define TCP_WAIT_MS	10000

struct flight {
	uint8_t buf[FLIGHT_MAX];
	size_t len;
};

/* Has the flight in @f ended? */
static bool flight_complete(const struct flight *f)
{
	static uint8_t hs[FLIGHT_MAX];
	size_t pos = 0, hslen = 0, off;
	bool ccs = false;

	while (f->len - pos >= 5) {
		size_t rlen = (size_t)f->buf[pos + 3] << 8 | f->buf[pos + 4];
		uint8_t type = f->buf[pos];

		if (f->len - pos - 5 < rlen)
			return false;
		if (type == 21 || (type == 22 && ccs))
			return true;	/* an alert, or the Finished after CCS */
		if (type == 20)
			ccs = true;
		if (type == 22) {
			memcpy(hs + hslen, f->buf + pos + 5, rlen);
			hslen += rlen;
			for (off = 0; hslen - off >= 4;) {
				size_t mlen = (size_t)hs[off + 1] << 16 | (size_t)hs[off + 2] << 8 |
					      hs[off + 3];

				if (hslen - off - 4 < mlen)
					break;
				if (hs[off] == 1 || hs[off] == 14)
					return true;	/* ClientHello, ServerHelloDone */
				off += 4 + mlen;
			}
		}
		pos += 5 + rlen;
	}
	return false;
}

/* One flight from TCP. Return: 0, -EPIPE (closed first), -ETIMEDOUT. */
static int read_flight(int fd, struct flight *f)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	f->len = 0;
	while (!flight_complete(f)) {
		if (f->len == sizeof(f->buf))
			return -EMSGSIZE;
		if (poll(&p, 1, TCP_WAIT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(fd, f->buf + f->len, sizeof(f->buf) - f->len);
		if (n <= 0)
			return -EPIPE;
		f->len += (size_t)n;
	}
	return 0;
}

static int write_all(int fd, const uint8_t *b, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, b, n);
		if (w <= 0)
			return -EPIPE;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static json_t *certke_pc(const struct flight *f)
{
	struct esfd_seci s = { .sit = ESFD_SIT_CERTKE };
	json_t *pc = NULL;

	s.certke = (uint8_t *)f->buf;
	s.certke_len = f->len;
	return esfd_seci_content(&s, &pc) ? NULL : pc;
}

struct bridge {
	const char *peer;
	char level[ESFD_ID_MAX + 1];
	char peer_level[ESFD_ID_MAX + 1];
	struct esfd_addr to;	/* --connect */
	int port;		/* --listen */
	int tcp;
	bool tls_done;
	bool other_answered;
	/* the last answer, for a retransmitted request */
	char last_rqi[ESFD_M2M_RQI_MAX + 1];
	char *last_text;
	/* --listen: the response to our request */
	const char *rqi;
	char *answer;
	struct flight f;
};

static int tcp_connect(const struct esfd_addr *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char port[8];
	int fd;

	snprintf(port, sizeof(port), "%u", a->port);
	if (getaddrinfo(a->host, port, &hints, &ai))
		return -EHOSTUNREACH;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		close(fd);
		fd = -ECONNREFUSED;
	}
	freeaddrinfo(ai);
	return fd;
}

/* --connect: answer the peer's sit 6 requests from the TLS server. */
static int server_answer(struct mqttc *c, struct bridge *b, const struct esfd_seci *s,
			 json_t **pc, const char **why)
{
	int err;

	if (s->sit != ESFD_SIT_CERTKE) {
		b->other_answered = true;
		*why = "this bridge carries ESCertKE (securityInfoType 6) only";
		return ESFD_RSC_NOT_IMPLEMENTED;
	}
	if (b->tcp < 0)
		b->tcp = tcp_connect(&b->to);
	if (b->tcp < 0) {
		*why = "the TLS server cannot be reached";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	err = write_all(b->tcp, s->certke, s->certke_len);
	if (!err)
		err = read_flight(b->tcp, &b->f);
	if (err) {
		*why = "the TLS server closed the connection or sent no flight";
		return ESFD_RSC_BAD_REQUEST;
	}
	*pc = certke_pc(&b->f);
	if (!*pc) {
		*why = "the TLS server's flight does not fit";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	if (!c->quiet)
		fprintf(stderr, "esf-mqtt: bridged %zu bytes to the TLS server, %zu back\n",
			s->certke_len, b->f.len);
	/* The server's last flight holds its ChangeCipherSpec. */
	for (size_t pos = 0; pos + 5 <= b->f.len;
	     pos += 5 + ((size_t)b->f.buf[pos + 3] << 8 | b->f.buf[pos + 4]))
		if (b->f.buf[pos] == 20)
			b->tls_done = true;
	return ESFD_RSC_OK;
}

static void on_request(void *arg, const char *topic, const void *payload, size_t len)
{
	struct mqttc *c = arg;
	struct bridge *b = c->ctx;
	struct esfd_m2m_topic_parts t;
	struct esfd_m2m_req r = { 0 };
	struct esfd_seci s = { 0 };
	const char *why = "not a request primitive";
	json_t *j = NULL, *pc = NULL, *rsp;
	char rtopic[ESFD_M2M_TOPIC_MAX + 1], *text = NULL;
	int rsc;

	if (esfd_m2m_topic_parse(topic, &t) || t.response || strcmp(t.receiver, b->level))
		return;
	snprintf(rtopic, sizeof(rtopic), "/oneM2M/resp/%s/%s/json", t.originator, b->level);
	rsc = esfd_m2m_parse(payload, len, &j) ? ESFD_RSC_BAD_REQUEST :
	      esfd_m2m_req_read(j, &r, &why);
	if (!rsc && b->last_text && !strcmp(r.rqi, b->last_rqi)) {
		esfd_mqtt_publish(c->conn, rtopic, b->last_text, strlen(b->last_text), NULL);
		json_decref(j);
		return;
	}
	if (!rsc && esfd_seci_read(r.pc, false, 0, 0, &s)) {
		rsc = ESFD_RSC_BAD_REQUEST;
		why = "not a securityInfo";
	}
	if (!rsc)
		rsc = server_answer(c, b, &s, &pc, &why);
	if (rsc != ESFD_RSC_OK)
		pc = esfd_m2m_debug(why);
	rsp = esfd_m2m_response(rsc, r.rqi, r.fr, c->id, r.rvi, pc);
	text = rsp ? esfd_m2m_dump(rsp) : NULL;
	if (text) {
		esfd_mqtt_publish(c->conn, rtopic, text, strlen(text), NULL);
		if (r.rqi) {
			snprintf(b->last_rqi, sizeof(b->last_rqi), "%s", r.rqi);
			free(b->last_text);
			b->last_text = strdup(text);
		}
	}
	if (!c->quiet)
		fprintf(stderr, "esf-mqtt: %s rqi %s sit %u: %d %s\n", r.fr ? r.fr : "?",
			r.rqi ? r.rqi : "-", s.sit, rsc, esf_onem2m_rsc_name(rsc));
	free(text);
	json_decref(rsp);
	esfd_seci_free(&s);
	json_decref(j);
}

/* --listen: the response to the request in flight. */
static void on_response(void *arg, const char *topic, const void *payload, size_t len)
{
	struct mqttc *c = arg;
	struct bridge *b = c->ctx;
	struct esfd_m2m_rsp r;
	json_t *j = NULL;

	(void)topic;
	if (!b->answer && b->rqi && !esfd_m2m_parse(payload, len, &j) &&
	    !esfd_m2m_rsp_read(j, &r) && r.rqi && !strcmp(r.rqi, b->rqi))
		b->answer = strndup(payload, len);
	json_decref(j);
}

/* Send one flight to the peer; its flight back in @b->f. */
static int client_exchange(struct mqttc *c, struct bridge *b, unsigned int step)
{
	char topic[ESFD_M2M_TOPIC_MAX + 1], rqi[48];
	int64_t deadline = mqttc_now_ms() + c->timeout_ms, next = 0;
	struct esfd_m2m_rsp r;
	struct esfd_seci s;
	json_t *req, *j = NULL, *dbg;
	char *msg;
	uint64_t id;
	int ret = MQTTC_REFUSED;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return MQTTC_USAGE;
	snprintf(rqi, sizeof(rqi), "esf-mqtt-%016" PRIx64 "-%u", id, step);
	req = esfd_m2m_request(ESFD_M2M_NOTIFY, b->peer, c->id, rqi, 0, certke_pc(&b->f));
	msg = req ? esfd_m2m_dump(req) : NULL;
	json_decref(req);
	if (!msg || esfd_m2m_topic(topic, sizeof(topic), false, c->id, b->peer)) {
		free(msg);
		return MQTTC_USAGE;
	}
	b->rqi = rqi;
	while (!b->answer && mqttc_now_ms() < deadline) {
		if (c->up && mqttc_now_ms() >= next &&
		    !esfd_mqtt_publish(c->conn, topic, msg, strlen(msg), NULL))
			next = mqttc_now_ms() + c->retransmit_ms;
		mqttc_poll(c, 20);
	}
	free(msg);
	b->rqi = NULL;
	if (!b->answer) {
		fprintf(stderr, "esf-mqtt: no answer from %s\n", b->peer);
		return MQTTC_TIMEOUT;
	}
	if (!esfd_m2m_parse(b->answer, strlen(b->answer), &j) && !esfd_m2m_rsp_read(j, &r)) {
		if (r.rsc != ESFD_RSC_OK) {
			dbg = json_object_get(r.pc, "m2m:dbg");
			fprintf(stderr, "esf-mqtt: %s refused the flight: %d %s: %s\n", b->peer,
				r.rsc, esf_onem2m_rsc_name(r.rsc),
				json_is_string(dbg) ? json_string_value(dbg) : "");
		} else if (!esfd_seci_read(r.pc, true, 0, 0, &s) && s.sit == ESFD_SIT_CERTKE) {
			memcpy(b->f.buf, s.certke, s.certke_len);
			b->f.len = s.certke_len;
			esfd_seci_free(&s);
			ret = MQTTC_OK;
		} else {
			fprintf(stderr, "esf-mqtt: %s answered without an ESCertKE message\n",
				b->peer);
		}
	}
	json_decref(j);
	free(b->answer);
	b->answer = NULL;
	return ret;
}

static int run_listen(struct mqttc *c, struct bridge *b)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)b->port) };
	static char sub[ESFD_M2M_TOPIC_MAX + 1];	/* outlives the connection */
	struct pollfd p;
	int ls, one = 1, ret, step;

	if (esfd_m2m_topic(sub, sizeof(sub), true, c->id, b->peer) ||
	    mqttc_connect(c, sub, on_response))
		return MQTTC_USAGE;
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
		fprintf(stderr, "esf-mqtt: cannot listen on port %d: %s\n", b->port,
			strerror(errno));
		return MQTTC_USAGE;
	}
	if (!c->quiet)
		fprintf(stderr, "esf-mqtt: listening on port %d for a TLS client\n", b->port);
	p = (struct pollfd){ .fd = ls, .events = POLLIN };
	while (!poll(&p, 1, 0) || !(p.revents & POLLIN)) {
		mqttc_poll(c, 50);
		p.revents = 0;
	}
	b->tcp = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	close(ls);
	if (b->tcp < 0)
		return MQTTC_USAGE;
	for (step = 1; step <= 2; step++) {
		if (read_flight(b->tcp, &b->f)) {
			fprintf(stderr, "esf-mqtt: the TLS client sent no flight %d\n", step);
			return MQTTC_REFUSED;
		}
		ret = client_exchange(c, b, (unsigned int)step);
		if (ret)
			return ret;
		if (!c->quiet)
			fprintf(stderr, "esf-mqtt: flight %d: %zu bytes back from %s\n", step,
				b->f.len, b->peer);
		if (write_all(b->tcp, b->f.buf, b->f.len))
			return MQTTC_REFUSED;
	}
	/* Until the client is done (it closes). */
	p = (struct pollfd){ .fd = b->tcp, .events = POLLIN };
	while (poll(&p, 1, TCP_WAIT_MS) > 0 && read(b->tcp, b->f.buf, sizeof(b->f.buf)) > 0)
		;
	return MQTTC_OK;
}

static int run_connect(struct mqttc *c, struct bridge *b)
{
	static char sub[ESFD_M2M_TOPIC_MAX + 1];	/* outlives the connection */
	int64_t deadline = mqttc_now_ms() + c->timeout_ms, done_at = 0;

	snprintf(sub, sizeof(sub), "/oneM2M/req/+/%s/json", b->level);
	if (mqttc_connect(c, sub, on_request))
		return MQTTC_USAGE;
	/* After the handshake, a little longer for what the peer sends next. */
	while (mqttc_now_ms() < deadline) {
		mqttc_poll(c, 50);
		if (b->tls_done && !done_at)
			done_at = mqttc_now_ms();
		if (done_at && (b->other_answered || mqttc_now_ms() - done_at > 3000))
			break;
	}
	return b->tls_done ? MQTTC_OK : MQTTC_TIMEOUT;
}

int mqttc_tls_bridge(struct mqttc *c, const char *peer, const char *connect_to, int listen_port)
{
	struct bridge *b = calloc(1, sizeof(*b));
	const char *why;
	int ret;

	if (!b)
		return MQTTC_USAGE;
	b->tcp = -1;
	b->peer = peer;
	b->port = listen_port;
	if (esfd_m2m_topic_id(c->id, b->level, sizeof(b->level)) ||
	    esfd_m2m_topic_id(peer, b->peer_level, sizeof(b->peer_level)) ||
	    (connect_to && esfd_addr_parse(connect_to, &b->to, &why))) {
		free(b);
		fprintf(stderr, "esf-mqtt: bad --id, --peer or --connect\n");
		return MQTTC_USAGE;
	}
	c->ctx = b;
	ret = connect_to ? run_connect(c, b) : run_listen(c, b);
	/* Let the last answers reach the broker. */
	for (int i = 0; i < 50 && c->conn && esfd_mqtt_stats(c->conn)->unacked; i++)
		mqttc_poll(c, 20);
	if (b->tcp >= 0)
		close(b->tcp);
	free(b->last_text);
	free(b->answer);
	free(b);
	return ret;
}
