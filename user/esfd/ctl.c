// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: the local control socket. A unix SOCK_SEQPACKET socket; each
 * request and each reply is one JSON object in one packet. Who may ask
 * what is decided from SO_PEERCRED (docs/esfd.md, "Control protocol"):
 *
 *   status, peers            anyone (no secrets in them)
 *   session                  root, or the owner uid/gid of the peer's policy
 *   establish, rekey         root (or esfd's own uid)
 *   sign, ecdh               root, esfd's uid, or [esfd] sign-uid/sign-gid
 *                            ("ecdh" "release": the session's owner)
 */
#include <errno.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "esfd.h"
#include "sign.h"

/* One request: a "sign" request carries up to ESFD_SIGN_PAYLOAD_MAX bytes
 * in base64url.
 */
#define CTL_MAX 65536

int esfd_ctl_open(struct esfd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	int fd, err;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->cfg.control_socket);
	snprintf(dir, sizeof(dir), "%s", d->cfg.control_socket);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			log_warn("mkdir %s: %s", dir, strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	/* Everyone may connect; each request is checked against the caller's
	 * credentials.
	 */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(sa.sun_path, 0666) ||
	    listen(fd, 16)) {
		err = -errno;
		log_err("control socket %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return err;
	}
	d->ctl = fd;
	return 0;
}

void esfd_ctl_close(struct esfd *d)
{
	size_t i;

	for (i = 0; i < ESFD_MAX_CLIENTS; i++) {
		if (d->clients[i].fd >= 0)
			close(d->clients[i].fd);
		d->clients[i].fd = -1;
	}
	if (d->ctl >= 0) {
		close(d->ctl);
		unlink(d->cfg.control_socket);
	}
	d->ctl = -1;
}

static bool uid_is_admin(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/*
 * May a connection from @uid take a slot? Root and esfd's uid may take any
 * free slot; any other uid at most ESFD_CTL_PER_UID at once, and none of
 * the last ESFD_CTL_ADMIN_SLOTS free ones. NULL, or why not.
 */
static const char *ctl_admit(const struct esfd *d, uid_t uid, size_t *slot)
{
	size_t i, used = 0, mine = 0;

	*slot = ESFD_MAX_CLIENTS;
	for (i = 0; i < ESFD_MAX_CLIENTS; i++) {
		if (d->clients[i].fd < 0) {
			if (*slot == ESFD_MAX_CLIENTS)
				*slot = i;
			continue;
		}
		used++;
		if (d->clients[i].uid == uid)
			mine++;
	}
	if (*slot == ESFD_MAX_CLIENTS)
		return "all connections in use";
	if (uid_is_admin(uid))
		return NULL;
	if (mine >= ESFD_CTL_PER_UID)
		return "too many connections from this uid";
	if (used >= ESFD_MAX_CLIENTS - ESFD_CTL_ADMIN_SLOTS)
		return "the remaining connections are kept for root";
	return NULL;
}

/* A user that opens connections in a loop must not fill the log: one line
 * per 10 s, saying how many refusals it did not log.
 */
static void ctl_refusal_log(struct esfd *d, const struct ucred *cred, const char *why)
{
	int64_t now = esfd_now_ms(d);

	d->ctl_refused++;
	if (d->ctl_refused_logged && now - d->ctl_refused_logged < 10000) {
		d->ctl_refused_unlogged++;
		return;
	}
	log_warn("control socket: refusing uid %u pid %d: %s (%llu more refused unlogged)",
		 (unsigned int)cred->uid, (int)cred->pid, why,
		 (unsigned long long)d->ctl_refused_unlogged);
	d->ctl_refused_logged = now;
	d->ctl_refused_unlogged = 0;
}

void esfd_ctl_accept(struct esfd *d)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	const char *why;
	size_t slot;
	int fd = accept4(d->ctl, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return;
	}
	why = ctl_admit(d, cred.uid, &slot);
	if (why) {
		ctl_refusal_log(d, &cred, why);
		close(fd);
		return;
	}
	d->clients[slot] = (struct esfd_client){ fd, cred.uid, cred.gid, cred.pid,
						 esfd_now_ms(d) };
}

/* Is a control client waiting for an establishment (its reply pending)? */
static bool ctl_waiting(const struct esfd *d, int fd)
{
	const struct esfd_exch *x;
	size_t i;

	if (esfd_dar_waiting(d, fd))
		return true;
	for (x = d->exchs; x; x = x->next)
		for (i = 0; i < ESFD_WAITERS_MAX; i++)
			if (x->waiters[i].fd == fd)
				return true;
	return esfd_guest_waiting(d, fd);
}

static void ctl_drop(struct esfd *d, struct esfd_client *c)
{
	esfd_ctl_forget_fd(d, c->fd);
	close(c->fd);
	c->fd = -1;
}

/* Close the connections that have been idle for ESFD_CTL_IDLE_MS: one that
 * waits for an establishment is not idle (its wait ends by its timeout).
 */
void esfd_ctl_timer(struct esfd *d)
{
	int64_t now = esfd_now_ms(d);
	size_t i;

	for (i = 0; i < ESFD_MAX_CLIENTS; i++) {
		struct esfd_client *c = &d->clients[i];

		if (c->fd < 0)
			continue;
		if (ctl_waiting(d, c->fd)) {
			c->last_ms = now;
		} else if (now - c->last_ms >= ESFD_CTL_IDLE_MS) {
			log_debug("control socket: closing the idle connection of uid %u pid %d",
				  (unsigned int)c->uid, (int)c->pid);
			d->ctl_idle++;
			ctl_drop(d, c);
		}
	}
}

/*
 * One reply, one packet. Replies grow with the configuration (status lists
 * every peer, a group's server every member: about 130 KiB for 1000), past
 * what the default send buffer takes in one packet (EMSGSIZE): the
 * connection's buffer is made large enough for it and it is sent again.
 */
static void send_json(int fd, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	size_t len = text ? strlen(text) : 0;
	int r, want = len + 65536 > INT_MAX / 2 ? INT_MAX / 2 : (int)len + 65536;

	if (text) {
		r = send(fd, text, len, MSG_NOSIGNAL);
		if (r < 0 && (errno == EMSGSIZE || errno == EAGAIN || errno == ENOBUFS) &&
		    (!setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) ||
		     !setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want))))
			r = send(fd, text, len, MSG_NOSIGNAL);
		if (r < 0)
			log_warn("control reply of %zu bytes: %s", len, strerror(errno));
		free(text);
	}
	json_decref(j);
}

static json_t *error_json(int err, int rsc, const char *msg)
{
	json_t *j = json_pack("{s:i,s:s}", "status", err, "error", msg ? msg : strerror(-err));

	if (j && rsc)
		json_object_set_new(j, "rsc", json_integer(rsc));
	return j;
}

static bool is_admin(const struct esfd_client *c)
{
	return uid_is_admin(c->uid);
}

/*
 * Who may use a policy's sessions: root, or the policy's owner; on a
 * public gateway its owner uid only, each application being its uid.
 */
bool esfd_ctl_may_use(const struct esfd_client *c, const struct esfd_policy *pol)
{
	return is_admin(c) || c->uid == pol->owner_uid ||
	       (!pol->uid_only && c->gid == pol->owner_gid);
}

/*
 * A pair; its kernel session ids only when @ids: they are what binds the
 * sessions, so only those who may use them (the "session" command's rule)
 * or root see them.
 */
static json_t *pair_json(const struct esfd *d, const struct esfd_pair *p, bool ids)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:I,s:I,s:s}",
			      "peer", p->peer_id, "kid", p->kid, "alg", p->alg,
			      "class", p->data_class, "ori", p->ori, "rri", p->rri,
			      "role", p->originator ? "originator" : "receiver",
			      "expires", (json_int_t)p->expires,
			      "expires_in", (json_int_t)(p->expires - esfd_now(d)),
			      "state", p->retire_at ? "retiring" :
				       p->rekeying ? "rekeying" : "current");

	if (j && ids) {
		json_object_set_new(j, "seal", json_integer((json_int_t)p->seal_id));
		json_object_set_new(j, "open", json_integer((json_int_t)p->open_id));
	}
	return j;
}

void esfd_ctl_reply_pair(struct esfd *d, int fd, const struct esfd_pair *p, int err, int rsc)
{
	json_t *j;

	if (err || !p) {
		send_json(fd, error_json(err ? err : -EIO, rsc, NULL));
		return;
	}
	/* Sent only to those the "session" command let through. */
	j = pair_json(d, p, true);
	if (j)
		json_object_set_new(j, "status", json_integer(0));
	send_json(fd, j);
}

bool esfd_ctl_may_use_id(const struct esfd_client *c, uint32_t uid, uint32_t gid)
{
	return is_admin(c) || c->uid == uid || c->gid == gid;
}

void esfd_ctl_reply_error(struct esfd *d, int fd, int err, int rsc, const char *msg)
{
	(void)d;
	send_json(fd, error_json(err, rsc, msg));
}

void esfd_ctl_forget_fd(struct esfd *d, int fd)
{
	struct esfd_exch *x;
	size_t i;

	esfd_dar_forget_fd(d, fd);
	for (x = d->exchs; x; x = x->next)
		for (i = 0; i < ESFD_WAITERS_MAX; i++)
			if (x->waiters[i].fd == fd)
				x->waiters[i].fd = -1;
	esfd_guest_forget_fd(d, fd);
}


/* The key check value of an ESCertKE key: the first 8 bytes of
 * HMAC-SHA256(key, "esfd ESCertKE key check value"), in hex. It shows that
 * two ends (or esfd and another TLS stack's exporter) hold the same key
 * without showing the key.
 */
static void certke_kcv(const struct esfd_certkey *ck, char out[17])
{
	static const char label[] = "esfd ESCertKE key check value";
	struct esfd_buf in = { label, sizeof(label) - 1 };
	uint8_t mac[32];

	if (esfd_hmac(ESFD_SHA256, ck->key, sizeof(ck->key), &in, 1, mac))
		snprintf(out, 17, "-");
	else
		esfd_hex_encode(mac, 8, out);
	explicit_bzero(mac, sizeof(mac));
}

/* ESCertKE handshakes: completed, and refused by reason. */
static json_t *certke_json(struct esfd *d)
{
	json_t *r = json_object();
	int i;

	for (i = ESFD_CERT_OK + 1; i < ESFD_CERT__N; i++)
		json_object_set_new(r, esfd_cert_reason_name((enum esfd_cert_reason)i),
				    json_integer((json_int_t)d->certke_refused[i]));
	return json_pack("{s:b,s:I,s:o}", "credential", d->cfg.certs.creds != NULL,
			 "established", (json_int_t)d->certke_ok, "refused", r);
}

static json_t *counters_json(struct esfd *d)
{
	json_t *drops = json_object(), *refused = json_object();
	char code[8];
	int i;

	for (i = 0; i < DROP__N; i++)
		json_object_set_new(drops, esfd_drop_name((enum esfd_drop)i),
				    json_integer((json_int_t)d->drops[i]));
	for (i = 0; i < ESFD_RSC_KINDS; i++) {
		if (!d->refused[i])
			continue;
		snprintf(code, sizeof(code), "%d", esfd_rsc_at(i));
		json_object_set_new(refused, code, json_integer((json_int_t)d->refused[i]));
	}
	return json_pack("{s:o,s:o,s:o,s:{s:I,s:I},s:{s:I,s:I},s:{s:I,s:I,s:I}}", "dropped",
			 drops, "refused", refused, "certke", certke_json(d), "control",
			 "refused", (json_int_t)d->ctl_refused,
			 "idle_closed", (json_int_t)d->ctl_idle, "sign",
			 "signed", (json_int_t)d->signed_ok,
			 "refused", (json_int_t)d->sign_refused, "ecdh",
			 "sealing", (json_int_t)d->ecdh_sealed,
			 "opening", (json_int_t)d->ecdh_opened,
			 "refused", (json_int_t)d->ecdh_refused);
}

static json_t *status_json(struct esfd *d)
{
	struct esfd_pair *p;
	size_t pairs = 0;
	json_t *j;

	for (p = d->pairs; p; p = p->next)
		pairs++;
	j = json_pack("{s:i,s:s,s:s,s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:o}",
		      "status", 0, "id", d->cfg.id, "role", esfd_role_name(d->cfg.role),
		      "version", ESF_VERSION, "pid", (int)getpid(),
		      "uptime", (json_int_t)(esfd_now(d) - d->started),
		      "peers", (json_int_t)d->cfg.n_peers, "pairs", (json_int_t)pairs,
		      "rx", (json_int_t)d->rx, "tx", (json_int_t)d->tx,
		      "established", (json_int_t)d->established,
		      "rekeys", (json_int_t)d->rekeys, "failures", (json_int_t)d->failures,
		      "hmac_backend", esfd_crypto_backend_name(esfd_crypto_backend()),
		      "mqtt", esfd_transport_status(d));
	if (j)
		json_object_update_new(j, counters_json(d));
	if (j)
		json_object_set_new(j, "gauth", esfd_gauth_ctl(d));
	if (j)
		json_object_set_new(j, "p2p", esfd_p2p_status(d));
	if (j)
		json_object_set_new(j, "facilitator", esfd_fac_ctl(d));
	if (j && d->dar)
		json_object_set_new(j, "dar", esfd_dar_status(d));
	if (j)
		json_object_set_new(j, "guest", esfd_guest_status(d, false));
	if (j)
		json_object_set_new(j, "kernel", json_pack("{s:b,s:I,s:I,s:I}",
			"loaded", !d->kernel_down, "unloads", (json_int_t)d->kmod_unloads,
			"loads", (json_int_t)d->kmod_loads, "restoring", (json_int_t)d->n_restore));
	return j;
}

static json_t *peer_json(struct esfd *d, const struct esfd_client *c,
			 const struct esfd_peer *pe)
{
	const struct esfd_policy *pol = &d->cfg.policies[pe->policy];
	const struct esfd_peer_rt *rt = esfd_peer_rt(d, pe);
	json_t *pairs = json_array(), *j;
	struct esfd_pair *p;
	char topic[ESFD_ID_MAX + 1], kcv[17];

	for (p = d->pairs; p; p = p->next)
		if (!strcmp(p->peer_id, pe->id))
			json_array_append_new(pairs, pair_json(d, p, esfd_ctl_may_use(c, pol)));
	if (esfd_m2m_topic_id(pe->id, topic, sizeof(topic)))
		snprintf(topic, sizeof(topic), "-");
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:I,s:I,s:I,s:o}",
		      "name", pe->name, "id", pe->id, "role", esfd_role_name(pe->role),
		      "topic", topic, "kpsa_id", pe->kpsa_id, "policy", pol->name,
		      "key_bits", (int)pol->key_bits,
		      "rx", (json_int_t)rt->rx, "tx", (json_int_t)rt->tx,
		      "established", (json_int_t)rt->established,
		      "refused", (json_int_t)rt->refused, "pairs", pairs);
	if (j && pe->cert && rt->ck.valid)
		certke_kcv(&rt->ck, kcv);
	if (j) {
		json_object_set_new(j, "gateway_role", json_string(esfd_gw_role_name(pe->gw_role)));
		json_object_set_new(j, "credential", json_string(pe->dynamic ? "p2p" :
								  pe->cert ? "certificate" :
								  pe->fac ? "facilitator" : "kpsa"));
		if (pe->fac) {
			json_object_set_new(j, "kpsa_id", json_string(rt->ck.valid ? rt->ck.kid :
								       ""));
			json_object_set_new(j, "facilitator", esfd_fac_peer_ctl(d, pe));
		}
		json_object_set_new(j, "throttled", json_integer((json_int_t)rt->kdf_throttled));
		if (pe->cert)
			json_object_set_new(j, "certke", json_pack("{s:s?,s:s?,s:I,s:I}",
				"kid", rt->ck.valid ? rt->ck.kid : NULL,
				"kcv", rt->ck.valid ? kcv : NULL,
				"age", (json_int_t)(rt->ck.valid ? esfd_now(d) - rt->ck.time : 0),
				"established", (json_int_t)rt->certke_ok));
	}
	return j;
}

json_t *esfd_ctl_error(int err, const char *msg)
{
	return error_json(err, 0, msg);
}

/* A deferred reply (a guest's presentation, guest.c); consumes @j. */
void esfd_ctl_reply_json(struct esfd *d, int fd, json_t *j)
{
	(void)d;
	send_json(fd, j);
}

/*
 * Who may have esfd use its certificate's key (sign, ecdh): root, esfd's
 * uid, [esfd] sign-uid or sign-gid.
 */
bool esfd_ctl_may_use_key(const struct esfd *d, const struct esfd_client *c)
{
	return is_admin(c) || c->uid == d->cfg.sign_uid || c->gid == d->cfg.sign_gid;
}

static json_t *sign_refused(struct esfd *d, int err, const char *msg)
{
	d->sign_refused++;
	return error_json(err, 0, msg);
}

/*
 * "sign": {"payload": base64url, "cty": optional} -> {"jws": compact}. The
 * caller chooses the payload and cty only; esfd makes the rest (sign.h).
 */
static json_t *ctl_sign(struct esfd *d, const struct esfd_client *c, json_t *req)
{
	const char *pb = json_string_value(json_object_get(req, "payload"));
	json_t *cty = json_object_get(req, "cty"), *j;
	static uint8_t buf[ESFD_SIGN_PAYLOAD_MAX];
	char *jws = NULL;
	size_t n = 0;
	int err;

	if (!esfd_ctl_may_use_key(d, c)) {
		log_warn("control: uid %u (pid %d) may not have esfd sign (sign-uid, sign-gid)",
			 (unsigned int)c->uid, (int)c->pid);
		return sign_refused(d, -EACCES, "not allowed to sign: root, esfd's user, or "
				    "[esfd] sign-uid / sign-gid");
	}
	if (!d->cfg.certs.creds)
		return sign_refused(d, -ENOKEY, "no certificate credential ([esfd] ca-file, "
				    "cert-file, key-file)");
	if (!pb || (cty && !json_is_string(cty)) ||
	    json_object_size(req) != 2u + (cty ? 1u : 0u))
		return sign_refused(d, -EINVAL, "sign takes \"payload\" (base64url) and an "
				    "optional \"cty\" string");
	err = esfd_b64_decode(pb, strlen(pb), true, buf, sizeof(buf), &n);
	if (err)
		return sign_refused(d, err == -ENOSPC ? -EMSGSIZE : -EINVAL, err == -ENOSPC ?
				    "payload larger than 32768 bytes" :
				    "payload is not base64url (no padding)");
	err = esfd_sign_es256(d->cfg.certs.creds, buf, n, cty ? json_string_value(cty) : NULL,
			      &jws);
	explicit_bzero(buf, n);
	if (err)
		return sign_refused(d, err, err == -EINVAL ? "cty must be 1..127 printable "
				    "ASCII characters without '\"' or '\\'" : NULL);
	d->signed_ok++;
	log_debug("control: signed %zu bytes for uid %u (pid %d)", n, (unsigned int)c->uid,
		  (int)c->pid);
	j = json_pack("{s:i,s:s}", "status", 0, "jws", jws);
	free(jws);
	return j;
}

static void handle(struct esfd *d, struct esfd_client *c, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const char *pname = json_string_value(json_object_get(req, "peer"));
	json_t *cls = json_object_get(req, "class"), *to = json_object_get(req, "timeout"), *ck;
	const struct esfd_peer *peer;
	const struct esfd_policy *pol;
	struct esfd_pair *p;
	json_t *arr;
	bool force;
	size_t i;
	int err;

	if (!cmd) {
		send_json(c->fd, error_json(-EINVAL, 0, "no \"cmd\""));
		return;
	}
	if (!strcmp(cmd, "status")) {
		send_json(c->fd, status_json(d));
		return;
	}
	if (!strcmp(cmd, "sign")) {
		send_json(c->fd, ctl_sign(d, c, req));
		return;
	}
	if (!strcmp(cmd, "ecdh")) {
		send_json(c->fd, esfd_oneshot_ctl(d, c, req));
		return;
	}
	if (!strcmp(cmd, "groups")) {
		send_json(c->fd, esfd_group_ctl(d, c, req));
		return;
	}
	/* Data at rest: the reply comes once the gateway answers. */
	if (!strcmp(cmd, "dar-put") || !strcmp(cmd, "dar-get")) {
		json_t *r = esfd_dar_ctl(d, c, req);

		if (r)
			send_json(c->fd, r);
		return;
	}
	if (!strcmp(cmd, "guest")) {
		arr = esfd_guest_ctl(d, c, req);
		if (arr)	/* NULL: answered later (a presentation) */
			send_json(c->fd, arr);
		return;
	}
	if (!strcmp(cmd, "peers")) {
		arr = json_array();
		for (i = 0; i < d->cfg.n_peers; i++)
			if (!pname || !strcmp(pname, d->cfg.peers[i].id) ||
			    !strcmp(pname, d->cfg.peers[i].name))
				json_array_append_new(arr, peer_json(d, c, &d->cfg.peers[i]));
		for (i = 0; d->p2p && i < d->p2p->n; i++)
			if (!pname || !strcmp(pname, d->p2p->peers[i].id))
				json_array_append_new(arr, peer_json(d, c, &d->p2p->peers[i]));
		if (pname && !json_array_size(arr)) {
			json_decref(arr);
			send_json(c->fd, error_json(-ENOENT, 0, "no such peer"));
			return;
		}
		send_json(c->fd, json_pack("{s:i,s:o}", "status", 0, "peers", arr));
		return;
	}
	if (strcmp(cmd, "session") && strcmp(cmd, "establish") && strcmp(cmd, "rekey")) {
		send_json(c->fd, error_json(-EOPNOTSUPP, 0, "unknown command"));
		return;
	}
	peer = pname ? esfd_peer_find(d, pname, NULL) : NULL;
	/* An id in no [peer] section: a dynamic peer, met by peer-to-peer
	 * agreement (p2p.c), if root asks and [p2p] allows.
	 */
	if (!peer && pname && d->p2p && strcmp(cmd, "session") && is_admin(c))
		peer = esfd_p2p_peer(d, pname, true);
	if (!peer) {
		send_json(c->fd, error_json(-ENOENT, 0, d->p2p && strcmp(cmd, "session") ?
					    "no such peer, and not an id peer-to-peer "
					    "agreement can meet (root only)" : "no such peer"));
		return;
	}
	if (cls && (!json_is_integer(cls) || json_integer_value(cls) < 1 ||
		    json_integer_value(cls) > 3)) {
		send_json(c->fd, error_json(-EINVAL, 0, "class must be 1, 2 or 3"));
		return;
	}
	if (to && (!json_is_integer(to) || json_integer_value(to) < 1 ||
		   json_integer_value(to) > 60000)) {
		send_json(c->fd, error_json(-EINVAL, 0, "timeout must be 1..60000 ms"));
		return;
	}
	pol = &d->cfg.policies[peer->policy];
	if (esfd_peer_funnel_refuses(peer, cls ? (unsigned int)json_integer_value(cls) : 1)) {
		log_warn("control: %s class %d with %s refused: gateway-role = funnel", cmd,
			 (int)json_integer_value(cls), peer->id);
		send_json(c->fd, error_json(-EPERM, 0, "gateway-role = funnel: this gateway holds "
					    "no end-to-end (class 2 or 3) key for the peer; its "
					    "end-to-end records pass through sealed"));
		return;
	}
	if (!strcmp(cmd, "session")) {
		if (!esfd_ctl_may_use(c, pol)) {
			log_warn("control: uid %u (pid %d) may not use the sessions of peer %s",
				 (unsigned int)c->uid, (int)c->pid, peer->id);
			send_json(c->fd, error_json(-EACCES, 0, "not the owner of this peer's "
						    "sessions"));
			return;
		}
	} else if (!is_admin(c)) {
		log_warn("control: uid %u (pid %d) may not %s", (unsigned int)c->uid,
			 (int)c->pid, cmd);
		send_json(c->fd, error_json(-EPERM, 0, "only root may establish or rekey"));
		return;
	}
	force = !strcmp(cmd, "rekey");
	ck = json_object_get(req, "certke");
	if (ck && (!force || !json_is_boolean(ck) || (json_is_true(ck) && !peer->cert))) {
		send_json(c->fd, error_json(-EINVAL, 0, "certke: true is for rekey, with a "
					    "peer whose credential is a certificate"));
		return;
	}
	if (d->kernel_down) {
		send_json(c->fd, error_json(-ENODEV, 0, "esf.ko is not loaded: esfd establishes "
					    "its pairs again when it is back"));
		return;
	}
	/* A new pairwise key first: the next establishment runs ESCertKE. */
	if (json_is_true(ck))
		esfd_certkey_drop(&esfd_peer_rt(d, peer)->ck);
	p = esfd_pair_current(d, peer->id, cls ? (uint8_t)json_integer_value(cls) : 1);
	if (p && !force && p->expires > esfd_now(d)) {
		esfd_ctl_reply_pair(d, c->fd, p, 0, 0);
		return;
	}
	if (p && force)
		p->rekeying = true;
	err = esfd_establish(d, peer, cls ? (uint8_t)json_integer_value(cls) : 1, c->fd,
			     to ? (int)json_integer_value(to) : ESFD_TIMEOUT_MS,
			     p && force ? p->seal_id : 0);
	if (err != -EINPROGRESS) {
		if (p && force)
			p->rekeying = false;
		send_json(c->fd, error_json(err, 0, err == -EPERM ?
					    "data class not allowed by the peer's policy" :
					    NULL));
	}
}

void esfd_ctl_input(struct esfd *d, struct esfd_client *c)
{
	static char buf[CTL_MAX];
	json_t *req;
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		ctl_drop(d, c);
		return;
	}
	c->last_ms = esfd_now_ms(d);
	req = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(req))
		send_json(c->fd, error_json(-EINVAL, 0, "a request is one JSON object"));
	else
		handle(d, c, req);
	json_decref(req);
}
