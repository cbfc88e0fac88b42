// SPDX-License-Identifier: GPL-2.0
/*
 * esf-mqtt request: one request primitive out, its response back. The
 * request is published again until its response arrives (the interval
 * doubling up to eight times the first), and at once on every new
 * connection, so a broker that restarts in between loses nothing; the
 * receiver answers a retransmission with its first answer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "esf.h"
#include "mqttc.h"

struct req_state {
	const char *rqi;
	char *answer;		/* the response primitive's text */
	int rsc;
	char dbg[256];
};

static void on_message(void *arg, const char *topic, const void *payload, size_t len)
{
	struct mqttc *c = arg;
	struct req_state *st = c->ctx;
	struct esfd_m2m_rsp r;
	json_t *j = NULL, *dbg;

	(void)topic;
	if (st->answer || esfd_m2m_parse(payload, len, &j) || esfd_m2m_rsp_read(j, &r) ||
	    !r.rqi || strcmp(r.rqi, st->rqi)) {
		json_decref(j);
		return;
	}
	st->rsc = r.rsc;
	dbg = json_object_get(r.pc, "m2m:dbg");
	if (json_is_string(dbg))
		snprintf(st->dbg, sizeof(st->dbg), ": %s", json_string_value(dbg));
	st->answer = strndup(payload, len);
	json_decref(j);
}

/* stdin, one JSON object. */
static json_t *read_request(void)
{
	static char buf[ESFD_M2M_MSG_MAX + 1];
	size_t n = fread(buf, 1, sizeof(buf), stdin);
	json_t *j;

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (esfd_m2m_parse(buf, n, &j))
		return NULL;
	return j;
}

static int set_default(json_t *j, const char *k, const char *v)
{
	if (json_object_get(j, k))
		return 0;
	return json_object_set_new(j, k, json_string(v)) ? -ENOMEM : 0;
}

/* Fill in what the request lacks, then read it as esfd would. */
static int complete(struct mqttc *c, json_t *j, const char *receiver, struct esfd_m2m_req *r)
{
	char rqi[32];
	uint64_t id;
	const char *why;
	int rsc;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return -EIO;
	snprintf(rqi, sizeof(rqi), "esf-mqtt-%016" PRIx64, id);
	if ((c->id && set_default(j, "fr", c->id)) || set_default(j, "to", receiver) ||
	    set_default(j, "rqi", rqi) || set_default(j, "rvi", ESFD_M2M_RVI))
		return -ENOMEM;
	rsc = esfd_m2m_req_read(j, r, &why);
	if (rsc) {
		fprintf(stderr, "esf-mqtt: not a request primitive esf would send: %s "
			"(it would be refused %d %s)\n", why, rsc, esf_onem2m_rsc_name(rsc));
		return -EINVAL;
	}
	return 0;
}

/* Publish until answered or out of time. */
static void exchange(struct mqttc *c, struct req_state *st, const char *topic, const char *msg)
{
	int64_t deadline = mqttc_now_ms() + c->timeout_ms, next = 0;
	int interval = c->retransmit_ms, max = c->retransmit_ms * 8;
	uint64_t sent_on = 0;

	while (!st->answer && mqttc_now_ms() < deadline) {
		const struct esfd_mqtt_stats *s = esfd_mqtt_stats(c->conn);

		if (c->up && (mqttc_now_ms() >= next || s->connects != sent_on) &&
		    !esfd_mqtt_publish(c->conn, topic, msg, strlen(msg), NULL)) {
			next = mqttc_now_ms() + interval;
			interval = interval * 2 > max ? max : interval * 2;
			sent_on = s->connects;
		}
		mqttc_poll(c, 20);
	}
}

int mqttc_request(struct mqttc *c, const char *receiver)
{
	char topic[ESFD_M2M_TOPIC_MAX + 1], sub[ESFD_M2M_TOPIC_MAX + 1];
	struct req_state st = { 0 };
	struct esfd_m2m_req r;
	json_t *j = read_request();
	char *msg = NULL;
	int ret = MQTTC_USAGE;

	if (!j) {
		fprintf(stderr, "esf-mqtt: stdin is not one JSON object (strict: UTF-8, no "
			"duplicate members, at most 64 KiB)\n");
		return MQTTC_USAGE;
	}
	if (complete(c, j, receiver, &r) || !(msg = esfd_m2m_dump(j)) ||
	    esfd_m2m_topic(topic, sizeof(topic), false, r.fr, receiver) ||
	    esfd_m2m_topic(sub, sizeof(sub), true, r.fr, receiver)) {
		if (msg)
			fprintf(stderr, "esf-mqtt: '%s' cannot name a topic level\n", receiver);
		goto out;
	}
	st.rqi = r.rqi;
	c->ctx = &st;
	if (mqttc_connect(c, sub, on_message)) {
		fprintf(stderr, "esf-mqtt: cannot set up the MQTT client\n");
		goto out;
	}
	exchange(c, &st, topic, msg);
	if (!st.answer) {
		fprintf(stderr, "esf-mqtt: no response from %s within %d ms (broker %s port %u "
			"%s%s%s)\n", receiver, c->timeout_ms, c->broker.host, c->broker.port,
			esfd_mqtt_state_name(esfd_mqtt_state(c->conn)),
			*esfd_mqtt_stats(c->conn)->last_error ? ": " : "",
			esfd_mqtt_stats(c->conn)->last_error);
		ret = MQTTC_TIMEOUT;
		goto out;
	}
	printf("%s\n", st.answer);
	ret = st.rsc >= 2000 && st.rsc < 3000 ? MQTTC_OK : MQTTC_REFUSED;
	if (ret)
		fprintf(stderr, "esf-mqtt: %s answered %d %s%s\n", receiver, st.rsc,
			esf_onem2m_rsc_name(st.rsc), st.dbg);
out:
	free(st.answer);
	free(msg);
	json_decref(j);
	return ret;
}
