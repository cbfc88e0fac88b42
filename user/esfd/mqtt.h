/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A connection to an MQTT broker (libmosquitto, MQTT 3.1.1, QoS 1) driven by
 * the caller's poll() loop: esfd and esf-mqtt each have one loop for all
 * their descriptors and timers, so the connection exposes its socket, the
 * events it waits for and its next deadline instead of running a thread of
 * its own (no locking between libmosquitto's callbacks and the caller's
 * state). It reconnects by itself after a failure, with backoff, and
 * subscribes again to its topics on every connection.
 */
#ifndef ESFD_MQTT_H
#define ESFD_MQTT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* First reconnection delay, doubled after each failure up to the maximum. */
#define ESFD_MQTT_BACKOFF_MIN_MS	250
#define ESFD_MQTT_BACKOFF_MAX_MS	4000
/* Publications not yet acknowledged by the broker (PUBACK) beyond which
 * esfd_mqtt_publish() refuses more: a stalled broker cannot make the
 * client queue without bound.
 */
#define ESFD_MQTT_UNACKED_MAX		1024
#define ESFD_MQTT_SUBS_MAX		4

/**
 * enum esfd_mqtt_state - where the connection is
 * @ESFD_MQTT_DOWN: no connection; a reconnection is scheduled
 * @ESFD_MQTT_CONNECTING: TCP (and TLS) connection or CONNECT sent, waiting
 *	for CONNACK and the subscriptions' SUBACKs
 * @ESFD_MQTT_UP: connected and subscribed
 */
enum esfd_mqtt_state {
	ESFD_MQTT_DOWN,
	ESFD_MQTT_CONNECTING,
	ESFD_MQTT_UP,
};

/**
 * struct esfd_mqtt_opts - how to connect
 * @broker: host and port
 * @client_id: MQTT client identifier
 * @username: NULL or empty for none
 * @password: NULL for none
 * @ca_file: NULL or empty for plain TCP; else TLS, the broker's certificate
 *	checked against this CA file and its name against @broker's host
 * @keepalive: seconds between PINGREQs when idle
 * @subs: topic filters subscribed at every connection (QoS 1)
 * @n_subs: how many, at most ESFD_MQTT_SUBS_MAX
 * @on_message: a message arrived (the payload is not NUL-terminated)
 * @on_up: the connection is up and every subscription acknowledged
 * @on_published: the broker acknowledged the publication @mid
 * @arg: passed to the callbacks
 */
struct esfd_mqtt_opts {
	struct esfd_addr broker;
	const char *client_id;
	const char *username;
	const char *password;
	const char *ca_file;
	unsigned int keepalive;
	const char *subs[ESFD_MQTT_SUBS_MAX];
	size_t n_subs;
	void (*on_message)(void *arg, const char *topic, const void *payload, size_t len);
	void (*on_up)(void *arg);
	void (*on_published)(void *arg, int mid);
	void *arg;
};

/**
 * struct esfd_mqtt_stats - counters of a connection
 * @connects: connections that came up
 * @failures: connection attempts that failed and connections lost
 * @published: messages handed to the broker
 * @publish_refused: publications refused (not connected, too many unacked)
 * @received: messages received
 * @unacked: publications waiting for their PUBACK
 * @state_since_ms: when the current state began (CLOCK_MONOTONIC, ms)
 * @last_error: why the last attempt or connection failed ("" if none)
 */
struct esfd_mqtt_stats {
	uint64_t connects;
	uint64_t failures;
	uint64_t published;
	uint64_t publish_refused;
	uint64_t received;
	unsigned int unacked;
	int64_t state_since_ms;
	char last_error[128];
};

struct esfd_mqtt;

/**
 * esfd_mqtt_new() - a connection; the first attempt starts at once
 * @o: options; the strings are copied, except the topic filters in
 *	@o->subs, which must outlive the connection
 * @now_ms: current CLOCK_MONOTONIC time in milliseconds
 * @out: set to the connection
 *
 * A broker that cannot be reached now is not an error: the connection
 * stays ESFD_MQTT_DOWN and tries again after the backoff.
 *
 * Return: 0, -EINVAL for bad options, -ENOMEM.
 */
int esfd_mqtt_new(const struct esfd_mqtt_opts *o, int64_t now_ms, struct esfd_mqtt **out);

/**
 * esfd_mqtt_free() - disconnect and release
 * @m: the connection, or NULL
 */
void esfd_mqtt_free(struct esfd_mqtt *m);

/**
 * esfd_mqtt_pollfd() - what to poll for
 * @m: the connection
 * @p: set to the socket and events; fd -1 while there is no socket
 */
void esfd_mqtt_pollfd(struct esfd_mqtt *m, struct pollfd *p);

/**
 * esfd_mqtt_timeout_ms() - how long the caller may sleep at most
 * @m: the connection
 * @now_ms: current time
 *
 * Return: milliseconds until the next reconnection or keepalive duty.
 */
int esfd_mqtt_timeout_ms(const struct esfd_mqtt *m, int64_t now_ms);

/**
 * esfd_mqtt_service() - do the connection's work after poll()
 * @m: the connection
 * @revents: the socket's revents (0 when only the time passed)
 * @now_ms: current time
 *
 * Reads and writes what is ready (callbacks run from here), sends
 * keepalives and reconnects when the backoff has passed.
 */
void esfd_mqtt_service(struct esfd_mqtt *m, short revents, int64_t now_ms);

/**
 * esfd_mqtt_publish() - publish at QoS 1, not retained
 * @m: the connection
 * @topic: the topic
 * @payload: the message
 * @len: its length
 * @mid: set to the message id (for on_published), may be NULL
 *
 * Return: 0; -ENOTCONN when the connection is not up; -ENOBUFS when
 * ESFD_MQTT_UNACKED_MAX publications wait for the broker; -EMSGSIZE;
 * -EIO for another libmosquitto error.
 */
int esfd_mqtt_publish(struct esfd_mqtt *m, const char *topic, const void *payload,
		      size_t len, int *mid);

/**
 * esfd_mqtt_state() - the connection's state
 * @m: the connection
 *
 * Return: &enum esfd_mqtt_state.
 */
enum esfd_mqtt_state esfd_mqtt_state(const struct esfd_mqtt *m);

/**
 * esfd_mqtt_state_name() - "down", "connecting" or "up"
 * @s: a state
 *
 * Return: a static string.
 */
const char *esfd_mqtt_state_name(enum esfd_mqtt_state s);

/**
 * esfd_mqtt_stats() - the connection's counters
 * @m: the connection
 *
 * Return: a pointer valid until the next call into @m.
 */
const struct esfd_mqtt_stats *esfd_mqtt_stats(const struct esfd_mqtt *m);

#endif /* ESFD_MQTT_H */
