/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esf-mqtt: a small oneM2M MQTT client (TS-0010) for applications and the
 * demo. "request" sends one request primitive and prints its response;
 * "serve" answers the requests addressed to an id by running a command.
 * It shares esfd's primitive and broker code (esfd/m2m.c, esfd/mqtt.c).
 */
#ifndef ESF_MQTTC_H
#define ESF_MQTTC_H

#include <stdbool.h>
#include <stdint.h>

#include "../esfd/config.h"
#include "../esfd/m2m.h"
#include "../esfd/mqtt.h"

/* Exit statuses. */
enum {
	MQTTC_OK = 0,		/* success status code, or served */
	MQTTC_REFUSED = 1,	/* the response carried an error status code */
	MQTTC_USAGE = 2,	/* bad options or input */
	MQTTC_TIMEOUT = 3,	/* no response in time */
};

/**
 * struct mqttc - options and the connection
 * @broker: the broker's address
 * @id: this node's oneM2M id
 * @username: MQTT user, or NULL
 * @password: its password, or NULL
 * @ca_file: CA file for TLS, or NULL
 * @timeout_ms: request: how long to wait for the response
 * @retransmit_ms: request: first retransmission interval
 * @count: serve: stop after this many requests (0: never)
 * @quiet: no log lines on stderr
 * @exec: serve: the command that answers
 * @conn: the broker connection
 * @up: the connection is up and subscribed
 * @ctx: the command's own state
 * @peer: tls-bridge: the oneM2M peer
 * @connect_to: tls-bridge: the TLS server's address, or NULL
 * @listen_port: tls-bridge: the port a TLS client connects to, or 0
 */
struct mqttc {
	struct esfd_addr broker;
	const char *id;
	const char *username;
	const char *password;
	const char *ca_file;
	int timeout_ms;
	int retransmit_ms;
	unsigned long count;
	bool quiet;
	const char *exec;
	struct esfd_mqtt *conn;
	bool up;
	void *ctx;
	const char *peer;
	const char *connect_to;
	int listen_port;
};

/**
 * mqttc_now_ms() - CLOCK_MONOTONIC in milliseconds
 *
 * Return: the time.
 */
int64_t mqttc_now_ms(void);

/**
 * mqttc_connect() - start the connection with one subscription
 * @c: options; @c->conn is set
 * @sub: the topic filter (must outlive the connection)
 * @on_message: called for each message, with @c as its first argument
 *
 * Return: 0 or a negative errno.
 */
int mqttc_connect(struct mqttc *c, const char *sub,
		  void (*on_message)(void *arg, const char *topic, const void *payload,
				     size_t len));

/**
 * mqttc_poll() - run the connection for at most @ms milliseconds
 * @c: the client
 * @ms: how long
 */
void mqttc_poll(struct mqttc *c, int ms);

/**
 * mqttc_request() - "esf-mqtt request": send stdin's primitive to @receiver
 * @c: the client
 * @receiver: the receiver's id (the topic's receiver level)
 *
 * Return: an exit status.
 */
int mqttc_request(struct mqttc *c, const char *receiver);

/**
 * mqttc_serve() - "esf-mqtt serve": answer requests addressed to @c->id
 * @c: the client
 *
 * Return: an exit status.
 */
int mqttc_serve(struct mqttc *c);

/**
 * mqttc_tls_bridge() - "esf-mqtt tls-bridge": ESCertKE between @peer on
 *	the broker and a TLS endpoint on TCP
 * @c: the client (@c->id is the bridge's oneM2M id)
 * @peer: the oneM2M peer (esfd)
 * @connect_to: "host:port" of a TLS server (the peer originates), or NULL
 * @listen_port: with @connect_to NULL, the TCP port a TLS client connects
 *	to (the bridge originates towards @peer)
 *
 * Return: an exit status.
 */
int mqttc_tls_bridge(struct mqttc *c, const char *peer, const char *connect_to,
		     int listen_port);

#endif /* ESF_MQTTC_H */
