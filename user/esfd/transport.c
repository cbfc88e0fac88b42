// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's peer transport: oneM2M primitives over the MQTT binding (TS-0010).
 * esfd subscribes to
 *
 *   /oneM2M/req/+/<self>/json     requests addressed to it
 *   /oneM2M/resp/<self>/+/json    responses to its own requests
 *
 * publishes its requests to /oneM2M/req/<self>/<peer>/json and answers on
 * /oneM2M/resp/<originator>/<self>/json. Every request gets a response
 * primitive: 2000 with its result, or the status code that says why it was
 * refused. A retransmitted request (same originator, same rqi) gets the
 * very same response again. Anything from the broker is hostile until
 * checked; what cannot be answered (bad topics, responses nobody asked
 * for) is dropped, counted and logged at a bounded rate. docs/esfd.md and
 * docs/primitives.md describe the exchange field by field.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esfd.h"
#include "gkey.h"

/* Log lines about dropped or refused primitives per window: a flood is
 * counted exactly but cannot flood the log.
 */
#define LOG_BURST	20
#define LOG_WINDOW_MS	10000

static const int rsc_kinds[ESFD_RSC_KINDS] = {
	4000, 4001, 4004, 4005, 4008, 4103, 4111, 4112,
	4113, 4114, 4115, 4116, 5000, 5001, 5207, 5210, 5211,
};

int esfd_rsc_index(int rsc)
{
	int i;

	for (i = 0; i < ESFD_RSC_KINDS; i++)
		if (rsc_kinds[i] == rsc)
			return i;
	return -1;
}

int esfd_rsc_at(int index)
{
	return index >= 0 && index < ESFD_RSC_KINDS ? rsc_kinds[index] : 0;
}

static void ratelimited(struct esfd *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ratelimited(struct esfd *d, const char *fmt, ...)
{
	static int64_t window_start;
	static unsigned int logged;
	static uint64_t quiet;
	int64_t now = esfd_now_ms(d);
	char line[512];
	va_list ap;

	if (now - window_start >= LOG_WINDOW_MS) {
		if (quiet)
			log_warn("%llu more dropped or refused primitives were not logged",
				 (unsigned long long)quiet);
		window_start = now;
		logged = 0;
		quiet = 0;
	}
	if (logged >= LOG_BURST) {
		quiet++;
		return;
	}
	logged++;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warn("%s", line);
}

const char *esfd_drop_name(enum esfd_drop r)
{
	static const char *const names[DROP__N] = {
		[DROP_MALFORMED] = "malformed",
		[DROP_UNKNOWN] = "unknown",
		[DROP_UNAUTH] = "unauthenticated",
		[DROP_UNMATCHED] = "unmatched",
		[DROP_OTHER] = "other",
	};

	return (unsigned int)r < DROP__N ? names[r] : "?";
}

void esfd_drop(struct esfd *d, enum esfd_drop why, const char *who, const char *detail)
{
	d->drops[why]++;
	ratelimited(d, "dropped a %s primitive from %s: %s (%llu so far)", esfd_drop_name(why),
		    who, detail, (unsigned long long)d->drops[why]);
}

/* The configured or dynamic peer a topic level names, or NULL. */
static const struct esfd_peer *peer_by_level(const struct esfd *d, const char *level)
{
	size_t i;

	for (i = 0; i < d->cfg.n_peers; i++)
		if (esfd_m2m_same_level(d->cfg.peers[i].id, level) &&
		    esfd_m2m_id_ok(d->cfg.peers[i].id))
			return &d->cfg.peers[i];
	for (i = 0; d->p2p && i < d->p2p->n; i++)
		if (esfd_m2m_same_level(d->p2p->peers[i].id, level))
			return &d->p2p->peers[i];
	return NULL;
}

/* Answers kept for retransmissions ------------------------------------------ */

static struct esfd_seen *seen_find(struct esfd *d, struct esfd_peer_rt *rt, const char *rqi)
{
	size_t i;

	for (i = 0; i < ESFD_REPLAY_SLOTS; i++) {
		struct esfd_seen *s = &rt->seen[i];

		if (s->resp && !strcmp(s->rqi, rqi) &&
		    esfd_now(d) - s->time <= 2 * (int64_t)d->cfg.clock_skew + 60)
			return s;
	}
	return NULL;
}

static void seen_add(struct esfd *d, struct esfd_peer_rt *rt, const char *rqi,
		     const char *resp)
{
	struct esfd_seen *s = &rt->seen[rt->seen_next++ % ESFD_REPLAY_SLOTS];

	free(s->resp);
	snprintf(s->rqi, sizeof(s->rqi), "%s", rqi);
	s->time = esfd_now(d);
	s->resp = strdup(resp);
}

/* Publishing ------------------------------------------------------------------ */

static int publish(struct esfd *d, const char *topic, const char *msg, int *mid)
{
	int err = esfd_mqtt_publish(d->mqtt, topic, msg, strlen(msg), mid);

	if (err)
		log_debug("publish %s: %s", topic, strerror(-err));
	else
		d->tx++;
	log_debug("-> %s %s", topic, msg);
	return err;
}

int esfd_transport_request(struct esfd *d, const struct esfd_peer *peer, const char *msg,
			   int *mid)
{
	char topic[ESFD_M2M_TOPIC_MAX + 1];
	int err = esfd_m2m_topic(topic, sizeof(topic), false, d->cfg.id, peer->id);

	if (!err)
		err = publish(d, topic, msg, mid);
	if (!err)
		esfd_peer_rt(d, peer)->tx++;
	return err;
}

int esfd_transport_request_to(struct esfd *d, const char *id, const char *msg, int *mid)
{
	char topic[ESFD_M2M_TOPIC_MAX + 1];
	int err = esfd_m2m_topic(topic, sizeof(topic), false, d->cfg.id, id);

	return err ? err : publish(d, topic, msg, mid);
}

bool esfd_transport_up(const struct esfd *d)
{
	return d->mqtt && esfd_mqtt_state(d->mqtt) == ESFD_MQTT_UP;
}

/*
 * Answer a request that came on /oneM2M/req/<@level>/<self>/json: a 2000
 * with @pc, or @rsc with {"m2m:dbg": @why}. @req may be partly read (its
 * rqi and fr are used when known). The answer to a configured peer's
 * request is kept for its retransmissions.
 */
static void respond(struct esfd *d, const char *level, const struct esfd_m2m_req *req,
		    const struct esfd_peer *peer, int rsc, json_t *pc, const char *why)
{
	char topic[ESFD_M2M_TOPIC_MAX + 1];
	const char *rvi = rsc == ESFD_RSC_RELEASE_VERSION_NOT_SUPPORTED ? NULL : req->rvi;
	json_t *rsp;
	char *text = NULL;
	int i;

	if (rsc != ESFD_RSC_OK && rsc != ESFD_RSC_CREATED) {
		json_decref(pc);
		pc = esfd_m2m_debug(why);
		i = esfd_rsc_index(rsc);
		if (i >= 0)
			d->refused[i]++;
		if (peer)
			esfd_peer_rt(d, peer)->refused++;
		ratelimited(d, "refused request %s from %s: %s (oneM2M %d)",
			    req->rqi ? req->rqi : "-", level, why, rsc);
	}
	rsp = esfd_m2m_response(rsc, req->rqi, req->fr, d->cfg.id, rvi, pc);
	if (rsp)
		text = esfd_m2m_dump(rsp);
	json_decref(rsp);
	if (!text || snprintf(topic, sizeof(topic), "/oneM2M/resp/%s/%s/json", level,
			      d->topic_id) >= (int)sizeof(topic)) {
		log_err("request %s from %s: cannot build the response", req->rqi ?: "-", level);
		free(text);
		return;
	}
	if (peer && req->rqi)
		seen_add(d, esfd_peer_rt(d, peer), req->rqi, text);
	if (!publish(d, topic, text, NULL) && peer)
		esfd_peer_rt(d, peer)->tx++;
	free(text);
}

int esfd_transport_answer(struct esfd *d, const struct esfd_peer *peer, const char *rqi,
			  const char *rvi, int rsc, json_t *pc, const char *why)
{
	struct esfd_m2m_req req = { .fr = peer->id, .rqi = rqi, .rvi = rvi };
	char level[ESFD_ID_MAX + 1];

	if (esfd_m2m_topic_id(peer->id, level, sizeof(level))) {
		json_decref(pc);
		return -EINVAL;
	}
	respond(d, level, &req, peer, rsc, pc, why);
	return 0;
}

/* Requests -------------------------------------------------------------------- */

/* Is the request for us, from whom its topic says, and one esfd serves? */
static int check_request(struct esfd *d, const struct esfd_m2m_topic_parts *t,
			 const struct esfd_peer *peer, const struct esfd_m2m_req *req,
			 const char **why)
{
	char fr[ESFD_ID_MAX + 1];

	if (esfd_m2m_topic_id(req->fr, fr, sizeof(fr)) || strcmp(fr, t->originator)) {
		*why = "fr is not the originator the topic names";
		return ESFD_RSC_BAD_REQUEST;
	}
	/* Whom esfd has never met may ask for peer-to-peer agreement. */
	if (!peer && !(d->p2p && esfd_p2p_kind_of(req->pc) == ESFD_P2P_REQ) &&
	    !(d->guest && esfd_gsp_is(req->pc))) {
		*why = "not a peer of this esfd (no pre-provisioned credential)";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	if (strcmp(req->to, d->cfg.id)) {
		*why = "to is not this entity";
		return ESFD_RSC_NOT_FOUND;
	}
	if (req->op != ESFD_M2M_NOTIFY) {
		*why = "esfd takes securityInfo in NOTIFY requests only";
		return ESFD_RSC_OPERATION_NOT_ALLOWED;
	}
	if (req->rqet && req->rqet + (int64_t)d->cfg.clock_skew < esfd_now(d)) {
		*why = "the request expired (rqet) before it arrived";
		return ESFD_RSC_REQUEST_TIMEOUT;
	}
	return 0;
}

static int seci_rsc(int err, const char **why)
{
	switch (err) {
	case 0:
		return 0;
	case -ENOSYS:
		*why = "Dynamic Authorization is not implemented";
		return ESFD_RSC_NOT_IMPLEMENTED;
	case -EMSGSIZE:
		*why = "escertkeMessage longer than 16384 bytes";
		return ESFD_RSC_BAD_REQUEST;
	case -ENOMEM:
		*why = "out of memory";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	*why = "pc must be {\"m2m:seci\":{...}} with sit 3, 5 or 6 and exactly its members";
	return ESFD_RSC_BAD_REQUEST;
}

/* A request after its primitive was read: answered from the cache when it
 * is a retransmission, else checked and handed to peer.c.
 */
static void request_read(struct esfd *d, const struct esfd_m2m_topic_parts *t,
			 struct esfd_m2m_req *req)
{
	const struct esfd_peer *peer = peer_by_level(d, t->originator);
	struct esfd_seci s = { 0 };
	struct esfd_seen *seen;
	const char *why = "";
	json_t *pc = NULL;
	int rsc;

	/* A container this esfd hosts (darstore.c): its writers and readers
	 * need not be peers; the container's access-control list decides.
	 */
	if (esfd_dar_hosts(d, req->to)) {
		rsc = esfd_dar_request(d, t->originator, req, &pc, &why);
		respond(d, t->originator, req, NULL, rsc, pc, why);
		return;
	}
	rsc = check_request(d, t, peer, req, &why);
	if (!rsc && peer && (seen = seen_find(d, esfd_peer_rt(d, peer), req->rqi))) {
		char topic[ESFD_M2M_TOPIC_MAX + 1];

		d->duplicates++;
		log_debug("request %s from %s again: the same answer", req->rqi, peer->id);
		snprintf(topic, sizeof(topic), "/oneM2M/resp/%s/%s/json", t->originator,
			 d->topic_id);
		publish(d, topic, seen->resp, NULL);
		return;
	}
	if (peer)
		esfd_peer_rt(d, peer)->rx++;
	/* Peer-to-peer agreement (p2p.c): the peer is known once verified. */
	if (!rsc && esfd_p2p_kind_of(req->pc) == ESFD_P2P_REQ) {
		rsc = esfd_p2p_request(d, req, &peer, &pc, &why);
		respond(d, t->originator, req, peer, rsc, pc, why);
		return;
	}
	/* A guest device's presentation (guest.c): whoever presents is no peer. */
	if (!rsc && esfd_gsp_is(req->pc)) {
		rsc = esfd_guest_request(d, req, &pc, &why);
		respond(d, t->originator, req, NULL, rsc, pc, why);
		return;
	}
	/* Group keys (group.c) travel in esfd's own Content, not a securityInfo. */
	if (!rsc && esfd_gmsg_kind(req->pc) != ESFD_GMSG_NONE) {
		rsc = esfd_group_request(d, peer, req, &pc, &why);
		respond(d, t->originator, req, peer, rsc, pc, why);
		return;
	}
	/* Static group authentication (gauth.c): an agent answers a device's
	 * request once the server's Rand is in.
	 */
	if (!rsc && esfd_ga_kind_of(req->pc) != ESFD_GA_NONE) {
		rsc = esfd_gauth_request(d, peer, req, &pc, &why);
		if (rsc != ESFD_RSC_DEFERRED)
			respond(d, t->originator, req, peer, rsc, pc, why);
		return;
	}
	/* The facilitator (fac.c): keys registered and retrieved. */
	if (!rsc && esfd_fac_kind_of(req->pc) != ESFD_FAC_NONE) {
		rsc = esfd_fac_request(d, peer, req, &pc, &why);
		respond(d, t->originator, req, peer, rsc, pc, why);
		return;
	}
	if (!rsc)
		rsc = seci_rsc(esfd_seci_read(req->pc, false, esfd_now(d),
					      30 * 86400 + d->cfg.clock_skew, &s), &why);
	if (!rsc)
		rsc = esfd_peer_request(d, peer, req, &s, &pc, &why);
	respond(d, t->originator, req, peer, rsc, pc, why);
	esfd_seci_free(&s);
}

static void request_input(struct esfd *d, const struct esfd_m2m_topic_parts *t,
			  const void *payload, size_t len)
{
	struct esfd_m2m_req req = { 0 };
	const char *why = "";
	json_t *j = NULL;
	int err, rsc;

	d->rx++;
	err = esfd_m2m_parse(payload, len, &j);
	if (err) {
		respond(d, t->originator, &req, NULL, ESFD_RSC_BAD_REQUEST, NULL,
			err == -EMSGSIZE ? "larger than 64 KiB" :
			"not a JSON object (strict: UTF-8, no duplicate members)");
		return;
	}
	rsc = esfd_m2m_req_read(j, &req, &why);
	if (rsc)
		respond(d, t->originator, &req, NULL, rsc, NULL, why);
	else
		request_read(d, t, &req);
	json_decref(j);
}

/* Responses ------------------------------------------------------------------- */

static void response_input(struct esfd *d, const struct esfd_m2m_topic_parts *t,
			   const void *payload, size_t len)
{
	const struct esfd_peer *peer = peer_by_level(d, t->receiver);
	struct esfd_m2m_rsp rsp;
	json_t *j = NULL;
	int err = esfd_m2m_parse(payload, len, &j);

	if (!err)
		err = esfd_m2m_rsp_read(j, &rsp);
	rsp.bytes = len;
	/* The node's applications may share esfd's id, hence its response
	 * topic: what answers requests esfd never makes ("rqi" not esfd's)
	 * is theirs, neither esfd's business nor noise in its counters.
	 */
	if (!err && rsp.rqi && strncmp(rsp.rqi, "esfd-", 5)) {
		json_decref(j);
		return;
	}
	d->rx++;
	/* A container's gateway answering a writer or reader (darstore.c). */
	if (!err && esfd_dar_response(d, t->receiver, &rsp)) {
		json_decref(j);
		return;
	}
	if (!err && esfd_guest_response(d, t->receiver, &rsp)) {
		json_decref(j);
		return;
	}
	if (!peer) {
		esfd_drop(d, DROP_UNKNOWN, t->receiver, "a response from an entity that is "
			  "not a peer");
	} else if (err) {
		esfd_drop(d, DROP_MALFORMED, peer->id, "not a response primitive");
	} else if ((rsp.fr && strcmp(rsp.fr, peer->id)) ||
		   (rsp.to && strcmp(rsp.to, d->cfg.id))) {
		esfd_drop(d, DROP_MALFORMED, peer->id, "fr or to does not match the topic");
	} else {
		esfd_peer_rt(d, peer)->rx++;
		if (!esfd_group_response(d, peer, &rsp))
			esfd_peer_response(d, peer, &rsp);
	}
	json_decref(j);
}

static void on_message(void *arg, const char *topic, const void *payload, size_t len)
{
	struct esfd *d = arg;
	struct esfd_m2m_topic_parts t;

	log_debug("<- %s %.*s", topic, len > 2048 ? 2048 : (int)len, (const char *)payload);
	if (esfd_m2m_topic_parse(topic, &t) ||
	    strcmp(t.response ? t.originator : t.receiver, d->topic_id)) {
		d->rx++;
		esfd_drop(d, DROP_MALFORMED, "?", "not a oneM2M request or response topic "
			  "of this entity");
		return;
	}
	if (t.response)
		response_input(d, &t, payload, len);
	else
		request_input(d, &t, payload, len);
}

/* The connection ---------------------------------------------------------------- */

static void on_up(void *arg)
{
	struct esfd *d = arg;
	const struct esfd_mqtt_stats *st = esfd_mqtt_stats(d->mqtt);

	log_info("MQTT broker %s port %u: connected as %s (connection %llu), subscribed to "
		 "%s and %s", d->cfg.mqtt.broker.host, d->cfg.mqtt.broker.port, d->client_id,
		 (unsigned long long)st->connects, d->sub_req, d->sub_resp);
	esfd_peer_broker_up(d);
	esfd_group_broker_up(d);
}

static void on_published(void *arg, int mid)
{
	esfd_peer_published(arg, mid);
	esfd_group_published(arg, mid);
}

int esfd_transport_open(struct esfd *d)
{
	struct esfd_mqtt_opts o = {
		.broker = d->cfg.mqtt.broker,
		.client_id = d->client_id,
		.username = d->cfg.mqtt.username,
		.password = d->cfg.mqtt.password_file ? d->cfg.mqtt.password : NULL,
		.ca_file = d->cfg.mqtt.ca_file,
		.keepalive = d->cfg.mqtt.keepalive,
		.subs = { d->sub_req, d->sub_resp },
		.n_subs = 2,
		.on_message = on_message,
		.on_up = on_up,
		.on_published = on_published,
		.arg = d,
	};
	int err;

	if (esfd_m2m_topic_id(d->cfg.id, d->topic_id, sizeof(d->topic_id)))
		return -EINVAL;
	snprintf(d->sub_req, sizeof(d->sub_req), "/oneM2M/req/+/%s/json", d->topic_id);
	snprintf(d->sub_resp, sizeof(d->sub_resp), "/oneM2M/resp/%s/+/json", d->topic_id);
	if (d->cfg.mqtt.client_id[0])
		snprintf(d->client_id, sizeof(d->client_id), "%s", d->cfg.mqtt.client_id);
	else
		snprintf(d->client_id, sizeof(d->client_id), "esfd-%.100s-%d", d->topic_id,
			 (int)getpid());
	err = esfd_mqtt_new(&o, esfd_now_ms(d), &d->mqtt);
	if (err)
		log_err("MQTT client: %s (mqtt-ca-file or credentials?)", strerror(-err));
	else if (esfd_mqtt_state(d->mqtt) == ESFD_MQTT_DOWN)
		log_warn("MQTT broker %s port %u: %s; retrying", d->cfg.mqtt.broker.host,
			 d->cfg.mqtt.broker.port, esfd_mqtt_stats(d->mqtt)->last_error);
	return err;
}

void esfd_transport_close(struct esfd *d)
{
	esfd_mqtt_free(d->mqtt);
	d->mqtt = NULL;
}

void esfd_transport_pollfd(struct esfd *d, struct pollfd *p)
{
	esfd_mqtt_pollfd(d->mqtt, p);
}

void esfd_transport_service(struct esfd *d, short revents)
{
	enum esfd_mqtt_state was = esfd_mqtt_state(d->mqtt);
	const struct esfd_mqtt_stats *st;

	esfd_mqtt_service(d->mqtt, revents, esfd_now_ms(d));
	st = esfd_mqtt_stats(d->mqtt);
	if (was != ESFD_MQTT_DOWN && esfd_mqtt_state(d->mqtt) == ESFD_MQTT_DOWN)
		log_warn("MQTT broker %s port %u: %s; reconnecting", d->cfg.mqtt.broker.host,
			 d->cfg.mqtt.broker.port, st->last_error);
}

/* How many establishments wait for the broker: their current request has
 * not been acknowledged by it.
 */
static json_int_t queued(const struct esfd *d)
{
	const struct esfd_exch *x;
	json_int_t n = 0;

	for (x = d->exchs; x; x = x->next)
		n += !x->sends || !x->acked;
	return n;
}

json_t *esfd_transport_status(struct esfd *d)
{
	const struct esfd_mqtt_stats *st = esfd_mqtt_stats(d->mqtt);
	const struct esfd_exch *x;
	json_int_t pending = 0;

	for (x = d->exchs; x; x = x->next)
		pending++;
	return json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I,s:s,s:I,s:I,s:I,s:i,s:I,s:I,s:I,s:I}",
			 "host", d->cfg.mqtt.broker.host, "port", (int)d->cfg.mqtt.broker.port,
			 "client_id", d->client_id,
			 "state", esfd_mqtt_state_name(esfd_mqtt_state(d->mqtt)),
			 "state_for", (json_int_t)((esfd_now_ms(d) - st->state_since_ms) / 1000),
			 "connects", (json_int_t)st->connects,
			 "reconnects", (json_int_t)(st->connects ? st->connects - 1 : 0),
			 "last_error", st->last_error,
			 "failures", (json_int_t)st->failures,
			 "published", (json_int_t)st->published,
			 "publish_refused", (json_int_t)st->publish_refused,
			 "unacked", (int)st->unacked,
			 "pending", pending, "queued", queued(d),
			 "retransmits", (json_int_t)d->retransmits,
			 "duplicates", (json_int_t)d->duplicates);
}
