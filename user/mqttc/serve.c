// SPDX-License-Identifier: GPL-2.0
/*
 * esf-mqtt serve: answer the requests addressed to one id by running a
 * command for each. What arrives is checked as esfd checks it (a malformed
 * request is refused with its status code and the command never sees it),
 * and a retransmitted request (same originator and rqi) gets the answer
 * already given, so that the originator can retransmit without the
 * command running twice: an ESPrim Object opened twice would be a replay.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esf.h"
#include "mqttc.h"

#define ANSWERS_KEPT	64
#define OUTPUT_MAX	ESFD_M2M_MSG_MAX

struct answer {
	char fr[ESFD_ID_MAX + 1];
	char rqi[ESFD_M2M_RQI_MAX + 1];
	char *text;
};

struct serve_state {
	char level[ESFD_ID_MAX + 1];	/* our id as a topic level */
	struct answer kept[ANSWERS_KEPT];
	size_t next;
	unsigned long served;
};

static const struct answer *kept_find(const struct serve_state *s, const char *fr,
				      const char *rqi)
{
	size_t i;

	for (i = 0; i < ANSWERS_KEPT; i++)
		if (s->kept[i].text && !strcmp(s->kept[i].fr, fr) &&
		    !strcmp(s->kept[i].rqi, rqi))
			return &s->kept[i];
	return NULL;
}

static void kept_add(struct serve_state *s, const char *fr, const char *rqi, const char *text)
{
	struct answer *a = &s->kept[s->next++ % ANSWERS_KEPT];

	free(a->text);
	snprintf(a->fr, sizeof(a->fr), "%s", fr);
	snprintf(a->rqi, sizeof(a->rqi), "%s", rqi);
	a->text = strdup(text);
}

/* Run the command with @in on its stdin; its stdout, at most OUTPUT_MAX. */
static char *run(const char *cmd, const char *in, const struct esfd_m2m_req *r)
{
	int fd = memfd_create("esf-mqtt-request", MFD_CLOEXEC), out[2];
	char *buf = calloc(1, OUTPUT_MAX + 1);
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (fd < 0 || !buf || write(fd, in, strlen(in)) != (ssize_t)strlen(in) ||
	    lseek(fd, 0, SEEK_SET) || pipe2(out, O_CLOEXEC)) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	pid = fork();
	if (!pid) {
		dup2(fd, 0);
		dup2(out[1], 1);
		setenv("ESF_MQTT_FR", r->fr, 1);
		setenv("ESF_MQTT_RQI", r->rqi, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fd);
	close(out[1]);
	while (pid > 0 && (n = read(out[0], buf + got, OUTPUT_MAX - got)) > 0)
		got += (size_t)n;
	close(out[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return buf;
}

/* The command's answer: {"rsc":N[,"pc":...]}; else 5000. */
static int command_answer(const char *out, json_t **pc)
{
	json_t *j = NULL, *rsc;
	size_t n = strlen(out);
	int code = ESFD_RSC_INTERNAL_SERVER_ERROR;

	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	*pc = NULL;
	if (!esfd_m2m_parse(out, n, &j)) {
		rsc = json_object_get(j, "rsc");
		if (json_is_integer(rsc) && json_integer_value(rsc) >= 1000 &&
		    json_integer_value(rsc) <= 6999) {
			code = (int)json_integer_value(rsc);
			*pc = json_incref(json_object_get(j, "pc"));
		}
	}
	json_decref(j);
	if (code == ESFD_RSC_INTERNAL_SERVER_ERROR && !*pc)
		*pc = esfd_m2m_debug("the application gave no answer");
	return code;
}

static void publish_answer(struct mqttc *c, const char *orig_level, const char *text)
{
	struct serve_state *s = c->ctx;
	char topic[ESFD_M2M_TOPIC_MAX + 1];

	snprintf(topic, sizeof(topic), "/oneM2M/resp/%s/%s/json", orig_level, s->level);
	esfd_mqtt_publish(c->conn, topic, text, strlen(text), NULL);
}

/* Answer @r (@rsc 0: by running the command) and keep the answer. */
static void answer(struct mqttc *c, const char *orig_level, const struct esfd_m2m_req *r,
		   const char *in, int rsc, const char *why)
{
	struct serve_state *s = c->ctx;
	json_t *pc = NULL, *rsp;
	char *out = NULL, *text;

	if (!rsc) {
		out = run(c->exec, in, r);
		rsc = out ? command_answer(out, &pc) : ESFD_RSC_INTERNAL_SERVER_ERROR;
	} else {
		pc = esfd_m2m_debug(why);
	}
	rsp = esfd_m2m_response(rsc, r->rqi, r->fr, c->id, r->rvi, pc);
	text = rsp ? esfd_m2m_dump(rsp) : NULL;
	json_decref(rsp);
	if (text) {
		publish_answer(c, orig_level, text);
		if (r->fr && r->rqi)
			kept_add(s, r->fr, r->rqi, text);
	}
	if (!c->quiet)
		fprintf(stderr, "esf-mqtt: %s -> %s rqi %s: %d %s\n", r->fr ? r->fr : orig_level,
			c->id, r->rqi ? r->rqi : "-", rsc, esf_onem2m_rsc_name(rsc));
	free(text);
	free(out);
	s->served++;
}

static void on_message(void *arg, const char *topic, const void *payload, size_t len)
{
	struct mqttc *c = arg;
	struct serve_state *s = c->ctx;
	struct esfd_m2m_topic_parts t;
	struct esfd_m2m_req r = { 0 };
	const struct answer *a;
	char fr[ESFD_ID_MAX + 1], *in;
	const char *why = "not a JSON object";
	json_t *j = NULL;
	int rsc;

	if (esfd_m2m_topic_parse(topic, &t) || t.response || strcmp(t.receiver, s->level))
		return;
	rsc = esfd_m2m_parse(payload, len, &j) ? ESFD_RSC_BAD_REQUEST :
	      esfd_m2m_req_read(j, &r, &why);
	if (!rsc && (esfd_m2m_topic_id(r.fr, fr, sizeof(fr)) || strcmp(fr, t.originator))) {
		rsc = ESFD_RSC_BAD_REQUEST;
		why = "fr is not the originator the topic names";
	}
	if (!rsc && (a = kept_find(s, r.fr, r.rqi))) {
		publish_answer(c, t.originator, a->text);
	} else {
		in = strndup(payload, len);
		answer(c, t.originator, &r, in ? in : "", rsc, why);
		free(in);
	}
	json_decref(j);
}

int mqttc_serve(struct mqttc *c)
{
	char sub[ESFD_M2M_TOPIC_MAX + 1];
	struct serve_state *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s || esfd_m2m_topic_id(c->id, s->level, sizeof(s->level))) {
		free(s);
		return MQTTC_USAGE;
	}
	snprintf(sub, sizeof(sub), "/oneM2M/req/+/%s/json", s->level);
	c->ctx = s;
	if (mqttc_connect(c, sub, on_message)) {
		free(s);
		fprintf(stderr, "esf-mqtt: cannot set up the MQTT client\n");
		return MQTTC_USAGE;
	}
	while (!c->count || s->served < c->count)
		mqttc_poll(c, 1000);
	/* Let the last answers reach the broker. */
	for (i = 0; i < 50 && esfd_mqtt_stats(c->conn)->unacked; i++)
		mqttc_poll(c, 20);
	for (i = 0; i < ANSWERS_KEPT; i++)
		free(s->kept[i].text);
	free(s);
	return MQTTC_OK;
}
