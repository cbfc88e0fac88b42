// SPDX-License-Identifier: GPL-2.0
/*
 * A libmosquitto connection driven by the caller's poll() loop. libmosquitto
 * offers a thread of its own (mosquitto_loop_start()); esfd does not use it
 * because every callback would then race esfd's own state (pending
 * establishments, the kernel sessions) and need locks, while esfd already
 * has one loop for the kernel's events, the control socket and its timers.
 * So the connection hands its socket to that loop and does its reading,
 * writing and keepalives in esfd_mqtt_service(), and callbacks run there.
 */
#include <errno.h>
#include <mosquitto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt.h"

/* A connection attempt that has not come up after this long is abandoned
 * and tried again (a broker that accepts TCP but does not answer).
 */
#define CONNECT_TIMEOUT_MS	10000

struct esfd_mqtt {
	struct mosquitto *mosq;
	struct esfd_mqtt_opts o;
	enum esfd_mqtt_state state;
	int64_t next_attempt_ms;
	int64_t deadline_ms;
	int backoff_ms;
	size_t subacks_due;
	int sub_mids[ESFD_MQTT_SUBS_MAX];
	struct esfd_mqtt_stats st;
	int64_t now_ms;
};

static void set_state(struct esfd_mqtt *m, enum esfd_mqtt_state s)
{
	m->state = s;
	m->st.state_since_ms = m->now_ms;
}

static void fail(struct esfd_mqtt *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The attempt or the connection failed: try again after the backoff. */
static void fail(struct esfd_mqtt *m, const char *fmt, ...)
{
	va_list ap;

	if (m->state == ESFD_MQTT_DOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(m->st.last_error, sizeof(m->st.last_error), fmt, ap);
	va_end(ap);
	m->st.failures++;
	set_state(m, ESFD_MQTT_DOWN);
	m->next_attempt_ms = m->now_ms + m->backoff_ms;
	m->backoff_ms = m->backoff_ms * 2 > ESFD_MQTT_BACKOFF_MAX_MS ?
			ESFD_MQTT_BACKOFF_MAX_MS : m->backoff_ms * 2;
}

static void attempt(struct esfd_mqtt *m)
{
	int rc;

	set_state(m, ESFD_MQTT_CONNECTING);
	m->deadline_ms = m->now_ms + CONNECT_TIMEOUT_MS;
	m->subacks_due = m->o.n_subs;
	/* Each attempt starts from the configured address again (a new DNS
	 * answer, a new socket); a socket of the last attempt is closed.
	 */
	rc = mosquitto_connect_async(m->mosq, m->o.broker.host, m->o.broker.port,
				     (int)m->o.keepalive);
	if (rc != MOSQ_ERR_SUCCESS)
		fail(m, "connect: %s", rc == MOSQ_ERR_ERRNO ? strerror(errno) :
		     mosquitto_strerror(rc));
}

/* Connected and subscribed. */
static void came_up(struct esfd_mqtt *m)
{
	set_state(m, ESFD_MQTT_UP);
	m->st.connects++;
	m->backoff_ms = ESFD_MQTT_BACKOFF_MIN_MS;
	m->st.last_error[0] = '\0';
	if (m->o.on_up)
		m->o.on_up(m->o.arg);
}

static void on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	struct esfd_mqtt *m = arg;
	size_t i;

	if (rc) {
		fail(m, "broker refused the connection: %s", mosquitto_connack_string(rc));
		mosquitto_disconnect(mosq);
		return;
	}
	m->st.unacked = 0;
	for (i = 0; i < m->o.n_subs; i++) {
		if (mosquitto_subscribe(mosq, &m->sub_mids[i], m->o.subs[i], 1)) {
			fail(m, "subscribing to %s failed", m->o.subs[i]);
			mosquitto_disconnect(mosq);
			return;
		}
	}
	if (!m->o.n_subs)
		came_up(m);
}

static void on_subscribe(struct mosquitto *mosq, void *arg, int mid, int n, const int *qos)
{
	struct esfd_mqtt *m = arg;
	size_t i;

	(void)mosq;
	/* 0x80 in a SUBACK: the broker refused the subscription (its ACL). */
	if (n != 1 || qos[0] > 2) {
		fail(m, "the broker refused a subscription (ACL?)");
		mosquitto_disconnect(mosq);
		return;
	}
	for (i = 0; i < m->o.n_subs; i++) {
		if (m->sub_mids[i] == mid && m->subacks_due) {
			m->sub_mids[i] = -1;
			if (!--m->subacks_due && m->state == ESFD_MQTT_CONNECTING)
				came_up(m);
		}
	}
}

static void on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
	struct esfd_mqtt *m = arg;

	(void)mosq;
	fail(m, "connection lost: %s", rc == MOSQ_ERR_ERRNO ? strerror(errno) :
	     rc ? mosquitto_strerror(rc) : "disconnected");
}

static void on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *msg)
{
	struct esfd_mqtt *m = arg;

	(void)mosq;
	m->st.received++;
	if (m->o.on_message && msg->payloadlen >= 0)
		m->o.on_message(m->o.arg, msg->topic, msg->payload, (size_t)msg->payloadlen);
}

static void on_publish(struct mosquitto *mosq, void *arg, int mid)
{
	struct esfd_mqtt *m = arg;

	(void)mosq;
	if (m->st.unacked)
		m->st.unacked--;
	if (m->o.on_published)
		m->o.on_published(m->o.arg, mid);
}

static int setup(struct esfd_mqtt *m)
{
	struct mosquitto *mosq = m->mosq;

	mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_connect_callback_set(mosq, on_connect);
	mosquitto_subscribe_callback_set(mosq, on_subscribe);
	mosquitto_disconnect_callback_set(mosq, on_disconnect);
	mosquitto_message_callback_set(mosq, on_message);
	mosquitto_publish_callback_set(mosq, on_publish);
	if (m->o.username && *m->o.username &&
	    mosquitto_username_pw_set(mosq, m->o.username, m->o.password))
		return -EINVAL;
	if (m->o.ca_file && *m->o.ca_file &&
	    mosquitto_tls_set(mosq, m->o.ca_file, NULL, NULL, NULL, NULL))
		return -EINVAL;
	return 0;
}

int esfd_mqtt_new(const struct esfd_mqtt_opts *o, int64_t now_ms, struct esfd_mqtt **out)
{
	struct esfd_mqtt *m;
	int err;

	*out = NULL;
	if (!o->client_id || !*o->client_id || o->n_subs > ESFD_MQTT_SUBS_MAX ||
	    !o->keepalive || o->keepalive > 65535)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->o = *o;
	m->now_ms = now_ms;
	m->backoff_ms = ESFD_MQTT_BACKOFF_MIN_MS;
	mosquitto_lib_init();
	m->mosq = mosquitto_new(o->client_id, true, m);
	err = m->mosq ? setup(m) : -ENOMEM;
	if (err) {
		esfd_mqtt_free(m);
		return err;
	}
	/* libmosquitto keeps its own copies; the caller's may go. */
	m->o.username = m->o.password = m->o.ca_file = m->o.client_id = NULL;
	m->state = ESFD_MQTT_CONNECTING;	/* so that a failure counts */
	attempt(m);
	*out = m;
	return 0;
}

void esfd_mqtt_free(struct esfd_mqtt *m)
{
	if (!m)
		return;
	if (m->mosq) {
		if (m->state == ESFD_MQTT_UP) {
			mosquitto_disconnect(m->mosq);
			mosquitto_loop_write(m->mosq, 1);
		}
		mosquitto_destroy(m->mosq);
	}
	mosquitto_lib_cleanup();
	free(m);
}

void esfd_mqtt_pollfd(struct esfd_mqtt *m, struct pollfd *p)
{
	p->fd = m->state == ESFD_MQTT_DOWN ? -1 : mosquitto_socket(m->mosq);
	p->events = POLLIN | (mosquitto_want_write(m->mosq) ? POLLOUT : 0);
	p->revents = 0;
}

int esfd_mqtt_timeout_ms(const struct esfd_mqtt *m, int64_t now_ms)
{
	int64_t until = m->state == ESFD_MQTT_DOWN ? m->next_attempt_ms :
			m->state == ESFD_MQTT_CONNECTING ? m->deadline_ms : now_ms + 1000;

	if (until <= now_ms)
		return 0;
	return until - now_ms > 1000 ? 1000 : (int)(until - now_ms);
}

static void io_error(struct esfd_mqtt *m, int rc)
{
	if (rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN)
		return;
	fail(m, "%s", rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
}

void esfd_mqtt_service(struct esfd_mqtt *m, short revents, int64_t now_ms)
{
	m->now_ms = now_ms;
	if (m->state != ESFD_MQTT_DOWN && (revents & (POLLIN | POLLERR | POLLHUP)))
		io_error(m, mosquitto_loop_read(m->mosq, 1));
	if (m->state != ESFD_MQTT_DOWN && (revents & POLLOUT))
		io_error(m, mosquitto_loop_write(m->mosq, 1));
	if (m->state != ESFD_MQTT_DOWN)
		io_error(m, mosquitto_loop_misc(m->mosq));
	if (m->state == ESFD_MQTT_CONNECTING && now_ms >= m->deadline_ms)
		fail(m, "no answer from the broker within %d s", CONNECT_TIMEOUT_MS / 1000);
	if (m->state == ESFD_MQTT_DOWN && now_ms >= m->next_attempt_ms)
		attempt(m);
}

int esfd_mqtt_publish(struct esfd_mqtt *m, const char *topic, const void *payload,
		      size_t len, int *mid)
{
	int rc;

	if (m->state != ESFD_MQTT_UP || m->st.unacked >= ESFD_MQTT_UNACKED_MAX) {
		m->st.publish_refused++;
		return m->state != ESFD_MQTT_UP ? -ENOTCONN : -ENOBUFS;
	}
	if (len > 256 * 1024 * 1024)
		return -EMSGSIZE;
	rc = mosquitto_publish(m->mosq, mid, topic, (int)len, payload, 1, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		m->st.publish_refused++;
		return rc == MOSQ_ERR_NO_CONN ? -ENOTCONN :
		       rc == MOSQ_ERR_PAYLOAD_SIZE ? -EMSGSIZE : -EIO;
	}
	m->st.published++;
	m->st.unacked++;
	return 0;
}

enum esfd_mqtt_state esfd_mqtt_state(const struct esfd_mqtt *m)
{
	return m->state;
}

const char *esfd_mqtt_state_name(enum esfd_mqtt_state s)
{
	switch (s) {
	case ESFD_MQTT_DOWN:
		return "down";
	case ESFD_MQTT_CONNECTING:
		return "connecting";
	case ESFD_MQTT_UP:
		return "up";
	}
	return "?";
}

const struct esfd_mqtt_stats *esfd_mqtt_stats(const struct esfd_mqtt *m)
{
	return &m->st;
}
