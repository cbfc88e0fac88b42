// SPDX-License-Identifier: GPL-2.0
/*
 * Group keys, end to end (docs/esfd.md, "Groups"). A group's server makes
 * its key, one epoch after another, and wraps each epoch for each member
 * under that member's own key (gkey.h), so the gateway's broker carries it
 * without reading it. A member pulls the current epoch when it starts;
 * the server pushes every new one (a period, a member revoked or joined, a
 * member that restarted). A member's esfd installs the key as a kernel
 * group session and moves it through the kernel's epochs
 * (make-before-break); its applications only ever see the session id.
 *
 * Nonce safety is the server's: a member restarted with the key it sealed
 * under would seal again from sequence number 0. So a pull saying "I hold
 * nothing" from a member that may hold the current epoch makes the server
 * rotate first, and epoch numbers only grow (max(now, last + 1)).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "esfd.h"
#include "gkey.h"
#include "keys.h"

static struct esfd_group_rt *rt_of(struct esfd *d, const struct esfd_group_conf *g)
{
	return &d->groups[g - d->cfg.groups];
}

static const struct esfd_policy *policy_of(const struct esfd *d,
					   const struct esfd_group_conf *g)
{
	return &d->cfg.policies[g->policy];
}

void esfd_group_nl_new(const struct esfd *d, const struct esfd_group_conf *g,
		       struct esf_nl_new *n)
{
	const struct esfd_policy *pol = policy_of(d, g);

	n->set = ESF_NEW_SALT | ESF_NEW_TAG_LEN | ESF_NEW_REPLAY_WINDOW | ESF_NEW_OWNER_UID |
		 ESF_NEW_OWNER_GID | ESF_NEW_GROUP;
	n->replay_window = pol->replay_window;
	n->owner_uid = pol->owner_uid;
	n->owner_gid = pol->owner_gid;
	if (strlen(g->id) <= sizeof(n->key_id)) {
		n->set |= ESF_NEW_KEY_ID;
		n->key_id_len = strlen(g->id);
		memcpy(n->key_id, g->id, n->key_id_len);
	}
}

int esfd_group_member_index(const struct esfd *d, const struct esfd_group_conf *g,
			    const struct esfd_peer *peer)
{
	size_t i;

	for (i = 0; i < g->n_members; i++)
		if (&d->cfg.peers[g->members[i].peer] == peer)
			return (int)i;
	return -1;
}

/* Requests in flight ------------------------------------------------------- */

void esfd_greq_free(struct esfd *d, struct esfd_greq *q)
{
	struct esfd_greq **pp;

	for (pp = &d->greqs; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	free(q->msg);
	free(q);
}

static struct esfd_greq *greq_find(struct esfd *d, const char *grp, const char *peer_id,
				   bool push)
{
	struct esfd_greq *q;

	/* The peer id first: in a large group it differs in a few characters,
	 * while the group id is the same all along.
	 */
	for (q = d->greqs; q; q = q->next)
		if (!q->ga && !q->fac && q->push == push && !strcmp(q->peer_id, peer_id) &&
		    !strcmp(q->grp, grp))
			return q;
	return NULL;
}

/* Publish @q now if the broker is up; retransmitted as establishments are. */
static void greq_send(struct esfd *d, struct esfd_greq *q)
{
	const struct esfd_peer *peer = esfd_config_peer_by_id(&d->cfg, q->peer_id);
	int max = (int)d->cfg.mqtt.retransmit_ms * ESFD_RETRANSMIT_BACKOFF;

	if (!peer || !esfd_transport_up(d) || esfd_transport_request(d, peer, q->msg, &q->mid))
		return;
	if (q->sends++)
		d->retransmits++;
	else
		q->first_ms = esfd_now_ms(d);
	q->acked = false;
	q->wait_ms = q->interval_ms;
	q->next_send_ms = esfd_now_ms(d) + q->interval_ms;
	q->interval_ms = q->interval_ms * 2 > max ? max : q->interval_ms * 2;
}

/* A request identifier of the group requests' kind ("esfd-g..."). */
void esfd_greq_rqi(char rqi[ESFD_M2M_RQI_MAX + 1])
{
	uint64_t id = 0;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint64_t)(uintptr_t)rqi;	/* unique while in flight */
	snprintf(rqi, ESFD_M2M_RQI_MAX + 1, "esfd-g%016" PRIx64 "-1", id);
}

/* A new request carrying @pc (consumed) to @peer, sent at once; @rqi is
 * its request identifier (from esfd_greq_rqi()), or NULL for a new one.
 */
struct esfd_greq *esfd_greq_new(struct esfd *d, const char *grp, const struct esfd_peer *peer,
				bool push, json_t *pc, const char *rqi)
{
	struct esfd_greq *q = calloc(1, sizeof(*q));
	json_t *req;

	if (!q) {
		json_decref(pc);
		return NULL;
	}
	snprintf(q->grp, sizeof(q->grp), "%s", grp);
	snprintf(q->peer_id, sizeof(q->peer_id), "%s", peer->id);
	if (rqi)
		snprintf(q->rqi, sizeof(q->rqi), "%s", rqi);
	else
		esfd_greq_rqi(q->rqi);
	q->push = push;
	q->deadline_ms = esfd_now_ms(d) + ESFD_GROUP_REQ_MS;
	q->interval_ms = (int)d->cfg.mqtt.retransmit_ms;
	q->acked = true;
	req = esfd_m2m_request(ESFD_M2M_NOTIFY, peer->id, d->cfg.id, q->rqi,
			       esfd_now(d) + ESFD_GROUP_REQ_MS / 1000, pc);
	q->msg = req ? esfd_m2m_dump(req) : NULL;
	json_decref(req);
	if (!q->msg) {
		free(q);
		return NULL;
	}
	q->next = d->greqs;
	d->greqs = q;
	greq_send(d, q);
	return q;
}

/* Server: making and sending keys -------------------------------------------- */

static const char *alg_of(const struct esfd_policy *pol)
{
	return esfd_aead_name(pol->aead);
}

/* This epoch for member @m, wrapped under that member's key. */
static int wrap_for(struct esfd *d, const struct esfd_group_conf *g, size_t m,
		    const char *nnc, char **jwe)
{
	const struct esfd_peer *peer = &d->cfg.peers[g->members[m].peer];
	struct esfd_group_rt *r = rt_of(d, g);
	const struct esfd_policy *pol = policy_of(d, g);
	struct esfd_gkey k = { 0 };
	uint8_t kek[32];
	int err;

	snprintf(k.grp, sizeof(k.grp), "%s", g->id);
	snprintf(k.alg, sizeof(k.alg), "%s", alg_of(pol));
	k.epoch = r->epoch;
	k.sender = g->members[m].sender;
	k.senders = g->senders;
	k.tag_len = (uint8_t)pol->tag_len;
	memcpy(k.key, r->key, r->key_len);
	k.key_len = r->key_len;
	memcpy(k.salt, r->salt, sizeof(k.salt));
	k.switch_at = r->switch_at;
	/* The mediator learns its block with the key ("Mediator gateways"). */
	if (g->block_last && g->members[m].peer == g->delegate) {
		k.block_first = g->block_first;
		k.block_last = g->block_last;
	}
	err = esfd_group_kek(d, peer, g->id, kek);
	if (!err)
		err = esfd_gkey_wrap(kek, &k, nnc, jwe);
	OPENSSL_cleanse(kek, sizeof(kek));
	esfd_gkey_wipe(&k);
	return err;
}

/* Push the current epoch to member @m; @find: a push to it may be in
 * flight (rotate() drops them all first, in one pass over the list).
 */
static void push(struct esfd *d, const struct esfd_group_conf *g, size_t m, bool find)
{
	const struct esfd_peer *peer = &d->cfg.peers[g->members[m].peer];
	struct esfd_group_rt *r = rt_of(d, g);
	struct esfd_greq *q = find ? greq_find(d, g->id, peer->id, true) : NULL;
	char *jwe = NULL;
	int err;

	if (q)
		esfd_greq_free(d, q);	/* superseded: the newer epoch is what counts */
	err = wrap_for(d, g, m, NULL, &jwe);
	q = err ? NULL : esfd_greq_new(d, g->id, peer, true, esfd_gky_content(jwe), NULL);
	free(jwe);
	if (!q) {
		log_err("group %s: cannot push epoch %u to %s: %s", g->name, r->epoch, peer->id,
			strerror(err ? -err : ENOMEM));
		return;
	}
	q->epoch = r->epoch;
	q->held_before = r->members[m].held;
	/* It may hold the key from now on, unless it says it refused it. */
	r->members[m].held = r->epoch;
}

/* A salt no member holds with another epoch: unlike the last two. */
static int new_salt(struct esfd_group_rt *r, uint8_t salt[4])
{
	do {
		if (getrandom(salt, 4, 0) != 4)
			return -EIO;
	} while ((r->epoch && !memcmp(salt, r->salt, 4)) || !memcmp(salt, r->old_salt, 4));
	return 0;
}

/*
 * A new epoch, pushed to every member but @except (-1: none), which gets
 * it in the answer to its pull. Epoch numbers are seconds since 1970 or
 * the last plus one, so they grow across a restart of the server too.
 */
static int rotate(struct esfd *d, const struct esfd_group_conf *g, int except, const char *why)
{
	struct esfd_group_rt *r = rt_of(d, g);
	int64_t now = esfd_now(d);
	uint32_t epoch = (int64_t)r->epoch + 1 > now ? r->epoch + 1 : (uint32_t)now;
	struct esfd_greq *q, *nx;
	uint8_t salt[4];
	size_t i, len = esfd_policy_key_len(policy_of(d, g));

	if (new_salt(r, salt) || getrandom(r->key, len, 0) != (ssize_t)len) {
		log_err("group %s: no randomness for a new key", g->name);
		return -EIO;
	}
	memcpy(r->old_salt, r->salt, 4);
	memcpy(r->salt, salt, 4);
	r->key_len = len;
	r->epoch = epoch;
	r->switch_at = now + g->switch_delay;
	r->next_rotate = now + g->rotate;
	r->rotations++;
	r->dirty = false;
	log_info("group %s: epoch %u (%s); members switch to it in %us", g->name, epoch, why,
		 g->switch_delay);
	/* The pushes of earlier epochs are superseded. Dropped here in one
	 * pass: looked up member by member, a rekey of n members would walk
	 * the list of n pushes n times.
	 */
	for (q = d->greqs; q; q = nx) {
		nx = q->next;
		if (!q->ga && q->push && !strcmp(q->grp, g->id))
			esfd_greq_free(d, q);
	}
	for (i = 0; i < g->n_members; i++)
		if ((int)i != except)
			push(d, g, i, false);
	if (g->block_last)
		esfd_med_core_epoch(d, g);	/* the core opens its area network */
	return 0;
}

/* A member's pull: answer with the current epoch, bound to its nonce. */
static int serve_pull(struct esfd *d, const struct esfd_group_conf *g,
		      const struct esfd_peer *peer, const json_t *in, json_t **pc,
		      const char **why)
{
	struct esfd_group_rt *r = rt_of(d, g);
	const char *grp, *nnc;
	uint32_t have;
	char *jwe = NULL;
	int m = esfd_group_member_index(d, g, peer);

	if (esfd_gkp_read(in, &grp, &nnc, &have)) {
		*why = "esf:gkp must hold exactly grp, nnc (16 bytes, base64url) and have";
		return ESFD_RSC_BAD_REQUEST;
	}
	if (m < 0) {
		*why = "not a member of this group";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	/* Restarted (it holds nothing) while it may hold the current key:
	 * given that key again it would seal from sequence number 0 under
	 * it. The others get the new epoch too: they must open its records.
	 */
	if (!have && r->members[m].held == r->epoch && rotate(d, g, m,
				  "a member asked afresh while it may hold the current one")) {
		*why = "no new key could be made";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	if (wrap_for(d, g, (size_t)m, nnc, &jwe)) {
		*why = "the key could not be wrapped";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	*pc = esfd_gky_content(jwe);
	free(jwe);
	r->members[m].held = r->epoch;
	r->members[m].last_contact = esfd_now(d);
	log_info("group %s: epoch %u to %s (sender %u), pulled (it held %u)", g->name, r->epoch,
		 peer->id, g->members[m].sender, have);
	return *pc ? ESFD_RSC_OK : ESFD_RSC_INTERNAL_SERVER_ERROR;
}

static void push_answered(struct esfd *d, const struct esfd_group_conf *g,
			  const struct esfd_peer *peer, struct esfd_greq *q,
			  const struct esfd_m2m_rsp *rsp)
{
	struct esfd_group_rt *r = rt_of(d, g);
	int m = esfd_group_member_index(d, g, peer);

	if (m < 0)
		return;
	r->members[m].last_contact = esfd_now(d);
	if (rsp->rsc == ESFD_RSC_OK) {
		if (q->epoch > r->members[m].acked)
			r->members[m].acked = q->epoch;
		log_debug("group %s: %s took epoch %u", g->name, peer->id, q->epoch);
		return;
	}
	/* Refused: it did not install it, so it cannot have sealed under it. */
	if (r->members[m].held == q->epoch)
		r->members[m].held = q->held_before;
	log_info("group %s: %s refused epoch %u (oneM2M %d): it pulls when it is ready",
		 g->name, peer->id, q->epoch, rsp->rsc);
}

/* Member: the kernel group session ------------------------------------------- */

static int install_first(struct esfd *d, const struct esfd_group_conf *g,
			 const struct esfd_gkey *k)
{
	struct esfd_group_rt *r = rt_of(d, g);
	struct esf_nl_session s;
	struct esf_nl_new n = { 0 };
	int err;

	esfd_group_nl_new(d, g, &n);
	n.alg = k->alg;
	n.key = k->key;
	n.key_len = k->key_len;
	memcpy(n.salt, k->salt, sizeof(n.salt));
	n.tag_len = k->tag_len;
	n.group_senders = k->senders;
	n.group_sender = k->sender;
	n.group_epoch = k->epoch;
	err = esf_nl_session_new(d->nl, &n, &s);
	if (err) {
		log_err("group %s: creating the group session: %s%s%s", g->name, strerror(-err),
			*esf_nl_errmsg(d->nl) ? ": " : "", esf_nl_errmsg(d->nl));
		return err;
	}
	r->session = s.id;
	r->epoch = k->epoch;
	r->sender = k->sender;
	r->senders = k->senders;
	log_info("group %s: session %u installed (%s, sender %u of %u, epoch %u, by %s)",
		 g->name, s.id, k->alg, k->sender, k->senders, k->epoch, s.driver);
	return 0;
}

static void do_switch(struct esfd *d, const struct esfd_group_conf *g)
{
	struct esfd_group_rt *r = rt_of(d, g);
	int err;

	/* The kernel holds three keys at most: the previous one goes first. */
	if (r->prev && !esf_nl_group_epoch_retire(d->nl, r->session, NULL))
		r->prev = 0;
	err = esf_nl_group_epoch_switch(d->nl, r->session, &r->next, NULL);
	if (err) {
		log_err("group %s: switching session %u to epoch %u: %s%s%s", g->name, r->session,
			r->next, strerror(-err), *esf_nl_errmsg(d->nl) ? ": " : "",
			esf_nl_errmsg(d->nl));
		return;
	}
	log_info("group %s: session %u seals under epoch %u; epoch %u opens for %ds more",
		 g->name, r->session, r->next, r->epoch, ESFD_GROUP_RETIRE);
	r->prev = r->epoch;
	r->epoch = r->next;
	r->next = 0;
	r->switch_at = 0;
	r->retire_at = esfd_now(d) + ESFD_GROUP_RETIRE;
}

/* A later epoch: beside the current key now, switched to at its time. */
static int install_next(struct esfd *d, const struct esfd_group_conf *g,
			const struct esfd_gkey *k)
{
	struct esfd_group_rt *r = rt_of(d, g);
	int err;

	if (r->next)
		do_switch(d, g);	/* one newer still came: the pending one now */
	if (r->next)
		return -EBUSY;
	err = esf_nl_group_epoch_new(d->nl, r->session, k->epoch, k->key, k->key_len, k->salt,
				     NULL);
	if (err) {
		log_err("group %s: epoch %u into session %u: %s%s%s", g->name, k->epoch,
			r->session, strerror(-err), *esf_nl_errmsg(d->nl) ? ": " : "",
			esf_nl_errmsg(d->nl));
		return err;
	}
	r->next = k->epoch;
	r->switch_at = k->switch_at;
	log_info("group %s: epoch %u installed in session %u; switch in %llds", g->name,
		 k->epoch, r->session, (long long)(k->switch_at - esfd_now(d)));
	if (k->switch_at <= esfd_now(d))
		do_switch(d, g);
	return 0;
}

static uint32_t held_max(const struct esfd_group_rt *r)
{
	return r->next > r->epoch ? r->next : r->epoch;
}

/* Open a wrapped key from our server and install it. */
static int take_key(struct esfd *d, const struct esfd_group_conf *g, const char *jwe,
		    const char *nnc, const char **why, bool *local)
{
	const struct esfd_peer *server = &d->cfg.peers[g->server];
	struct esfd_group_rt *r = rt_of(d, g);
	struct esfd_gkey k;
	uint8_t kek[32];
	int err;

	if (g->via_set) {
		err = esfd_med_unwrap(d, g, jwe, nnc, held_max(r), &k);
	} else {
		err = esfd_group_kek(d, server, g->id, kek);
		if (!err)
			err = esfd_gkey_unwrap(kek, jwe, g->id, nnc, held_max(r), &k);
		OPENSSL_cleanse(kek, sizeof(kek));
	}
	if (err) {
		*why = err == -ESTALE ? "an epoch older than the one held" :
		       err == -EBADMSG ? "the key does not open under this member's key" :
		       "not a group key for this group and request";
		return err;
	}
	*why = "the kernel refused the group session";
	*local = true;
	if (g->mediates)
		err = esfd_med_take(d, g, &k, why);	/* held, not installed */
	else if (k.epoch == held_max(r))
		err = 0;	/* already held (a push that crossed our pull) */
	else if (!r->session)
		err = install_first(d, g, &k);
	else if (k.sender != r->sender || k.senders != r->senders) {
		err = -EINVAL;
		*why = "the server changed this member's sender id or the group size";
		*local = false;
	} else
		err = install_next(d, g, &k);
	if (!err)
		r->keys++;
	if (!err && !g->mediates)
		esfd_med_local_key(d, g, &k);	/* a device keeps what opens Ka */
	esfd_gkey_wipe(&k);
	return err;
}

/* Member: pulls --------------------------------------------------------------- */

static void pull_have(struct esfd *d, const struct esfd_group_conf *g, uint32_t have)
{
	const struct esfd_peer *server = &d->cfg.peers[g->server];
	struct esfd_greq *q = greq_find(d, g->id, server->id, false);
	char nnc[ESFD_GKEY_NONCE_B64 + 1];

	if (q)
		esfd_greq_free(d, q);
	if (esfd_gkey_nonce(nnc))
		return;
	q = esfd_greq_new(d, g->id, server, false, esfd_gkp_content(g->id, nnc, have), NULL);
	if (q)
		snprintf(q->nnc, sizeof(q->nnc), "%s", nnc);
}

static void pull(struct esfd *d, const struct esfd_group_conf *g)
{
	const struct esfd_group_rt *r = rt_of(d, g);

	/* A mediator that asked for a new epoch goes on asking for one. */
	pull_have(d, g, r->med && r->med->asked_above ? 0 : held_max(r));
}

/* A mediator asks its server for a new epoch ("Mediator gateways"). */
void esfd_group_pull_afresh(struct esfd *d, const struct esfd_group_conf *g)
{
	pull_have(d, g, 0);
}

static void pull_answered(struct esfd *d, const struct esfd_group_conf *g,
			  struct esfd_greq *q, const struct esfd_m2m_rsp *rsp)
{
	struct esfd_group_rt *r = rt_of(d, g);
	const char *jwe, *why = "";
	bool local = false;
	int err;

	if (rsp->rsc != ESFD_RSC_OK || esfd_gky_read(rsp->pc, &jwe)) {
		log_warn("group %s: the server refused the pull (oneM2M %d%s); again in %ds",
			 g->name, rsp->rsc, rsp->rsc == ESFD_RSC_OK ? ", no esf:gky" : "",
			 ESFD_GROUP_RETRY_MS / 1000);
		/* A fresh request later: this rqi's answer is in the server's cache. */
		q->deadline_ms = esfd_now_ms(d) + ESFD_GROUP_RETRY_MS;
		q->next_send_ms = INT64_MAX;
		return;
	}
	err = take_key(d, g, jwe, q->nnc, &why, &local);
	/* A push overtook the answer: we hold a newer epoch already. */
	if (err == -ESTALE && r->session)
		err = 0;
	if (err) {
		log_err("group %s: the answer to our pull: %s (%s)", g->name, why, strerror(-err));
		q->deadline_ms = esfd_now_ms(d) + ESFD_GROUP_RETRY_MS;
		q->next_send_ms = INT64_MAX;
		return;
	}
	r->pulled = true;
	esfd_greq_free(d, q);
}

/* Member: a push from our server. */
static int take_push(struct esfd *d, const struct esfd_peer *peer, const json_t *in,
		     const char **why)
{
	const char *jwe;
	struct esfd_jwe p;
	const struct esfd_group_conf *g;
	bool local = false;
	int err;

	if (esfd_gky_read(in, &jwe) || esfd_jwe_parse(jwe, ESFD_GKEY_CTY, &p)) {
		*why = "esf:gky must be esfd's group key JWE";
		esfd_jwe_free(&p);
		return ESFD_RSC_BAD_REQUEST;
	}
	g = esfd_config_group_by_id(&d->cfg, esfd_jwe_hdr(&p, "grp"));
	esfd_jwe_free(&p);
	if (!g || g->serve || &d->cfg.peers[g->server] != peer) {
		*why = "not a group whose server is the originator";
		return ESFD_RSC_NOT_FOUND;
	}
	if (!rt_of(d, g)->pulled) {
		*why = "no key pulled yet in this run: pushes are taken after the first pull";
		return ESFD_RSC_BAD_REQUEST;
	}
	err = take_key(d, g, jwe, NULL, why, &local);
	if (!err)
		return ESFD_RSC_OK;
	return local ? ESFD_RSC_INTERNAL_SERVER_ERROR : ESFD_RSC_BAD_REQUEST;
}

/* Transport hooks ------------------------------------------------------------- */

int esfd_group_request(struct esfd *d, const struct esfd_peer *peer,
		       const struct esfd_m2m_req *req, json_t **pc, const char **why)
{
	const struct esfd_group_conf *g;
	const char *grp, *nnc;
	uint32_t have;

	if (esfd_gmsg_kind(req->pc) == ESFD_GMSG_KEY) {
		int rsc = take_push(d, peer, req->pc, why);

		*pc = rsc == ESFD_RSC_OK ? json_object() : NULL;
		return rsc;
	}
	if (esfd_gkp_read(req->pc, &grp, &nnc, &have)) {
		*why = "esf:gkp must hold exactly grp, nnc (16 bytes, base64url) and have";
		return ESFD_RSC_BAD_REQUEST;
	}
	g = esfd_config_group_by_id(&d->cfg, grp);
	if (g && g->mediates)
		return esfd_med_pull(d, g, peer, req->pc, pc, why);
	if (!g || !g->serve || !rt_of(d, g)->epoch) {
		*why = "this entity serves no such group";
		return ESFD_RSC_NOT_FOUND;
	}
	return serve_pull(d, g, peer, req->pc, pc, why);
}

bool esfd_group_response(struct esfd *d, const struct esfd_peer *peer,
			 const struct esfd_m2m_rsp *rsp)
{
	const struct esfd_group_conf *g;
	struct esfd_greq *q;

	if (!rsp->rqi || strncmp(rsp->rqi, "esfd-g", 6))
		return false;
	for (q = d->greqs; q; q = q->next)
		if (!strcmp(q->rqi, rsp->rqi) && !strcmp(q->peer_id, peer->id))
			break;
	if (!q || q->next_send_ms == INT64_MAX) {
		esfd_drop(d, DROP_UNMATCHED, peer->id, "a group response to no request in flight");
		return true;
	}
	d->greq_answer_ms = esfd_now_ms(d);
	/* How long answers take, from requests answered on their first copy
	 * only (an answer to a retransmitted one could be to either copy).
	 */
	if (q->sends == 1) {
		int64_t rtt = d->greq_answer_ms - q->first_ms;

		d->greq_srtt_ms = d->greq_srtt_ms ? (7 * d->greq_srtt_ms + rtt) / 8 : rtt;
	}
	if (q->ga) {
		esfd_gauth_response(d, peer, q, rsp);
		return true;
	}
	if (q->fac) {
		esfd_fac_response(d, peer, q, rsp);
		return true;
	}
	g = esfd_config_group_by_id(&d->cfg, q->grp);
	if (!g) {
		esfd_greq_free(d, q);
	} else if (q->push && g->mediates) {
		esfd_med_answered(d, g, peer, q, rsp);
		esfd_greq_free(d, q);
	} else if (q->push) {
		push_answered(d, g, peer, q, rsp);
		esfd_greq_free(d, q);
	} else {
		pull_answered(d, g, q, rsp);
	}
	return true;
}

void esfd_group_broker_up(struct esfd *d)
{
	struct esfd_greq *q;
	size_t i;

	for (q = d->greqs; q; q = q->next) {
		if (q->next_send_ms == INT64_MAX)
			continue;
		q->acked = true;
		q->next_send_ms = 0;
		q->interval_ms = (int)d->cfg.mqtt.retransmit_ms;
	}
	/* Pushes may have been lost while we were away: ask what is current. */
	for (i = 0; i < d->cfg.n_groups; i++) {
		const struct esfd_group_conf *g = &d->cfg.groups[i];

		if (!g->serve && d->groups[i].pulled &&
		    !greq_find(d, g->id, d->cfg.peers[g->server].id, false))
			pull(d, g);
	}
}

void esfd_group_published(struct esfd *d, int mid)
{
	struct esfd_greq *q;

	/* The interval runs from when the broker took the copy: a rekey of a
	 * large group publishes every push at once, and libmosquitto lets a
	 * few through at a time, so a push may leave seconds after it was
	 * published.
	 */
	for (q = d->greqs; q; q = q->next) {
		if (q->sends && q->mid == mid && !q->acked) {
			q->acked = true;
			q->next_send_ms = esfd_now_ms(d) + q->wait_ms;
		}
	}
}

/* Timers ------------------------------------------------------------------------ */

static void greqs_timer(struct esfd *d)
{
	int64_t now = esfd_now_ms(d);
	int64_t longest = (int64_t)d->cfg.mqtt.retransmit_ms * ESFD_RETRANSMIT_BACKOFF;
	struct esfd_greq *q, *nx;
	const struct esfd_group_conf *g;

	if (2 * d->greq_srtt_ms > longest)
		longest = 2 * d->greq_srtt_ms;
	/* Half a request's life at most: a lost one still goes again. */
	if (longest > ESFD_GROUP_REQ_MS / 2)
		longest = ESFD_GROUP_REQ_MS / 2;
	for (q = d->greqs; q; q = nx) {
		nx = q->next;
		if (now >= q->deadline_ms && q->ga) {
			esfd_gauth_expired(d, q);
			nx = d->greqs;	/* it may have made another */
			continue;
		}
		if (now >= q->deadline_ms && q->fac) {
			esfd_fac_expired(d, q);
			nx = d->greqs;
			continue;
		}
		if (now >= q->deadline_ms) {
			bool was_pull = !q->push;

			g = esfd_config_group_by_id(&d->cfg, q->grp);
			if (q->push)
				log_warn("group %s: %s did not answer the push of epoch %u", q->grp,
					 q->peer_id, q->epoch);
			esfd_greq_free(d, q);
			/* A member keeps asking: it needs its key. */
			if (g && !g->serve && was_pull) {
				pull(d, g);
				nx = d->greqs;	/* the list changed under us */
			}
			continue;
		}
		if (!q->acked || now < q->next_send_ms)
			continue;
		/* While answers keep coming, this one's may be among those
		 * still on their way or not read yet: a rekey of a large group
		 * sends a push to every member at once, and the answers take
		 * longer than a retransmission interval to come back and be
		 * read, so retransmitting each on its timer would send most
		 * pushes twice or three times. Retransmit once answers stop
		 * coming for an interval, or once this request has waited as
		 * long as the longest interval, or twice as long as answers
		 * have been taking if that is longer (a loaded server or
		 * network: 999 answers may take longer than 8 s to come).
		 */
		if (q->sends && now - d->greq_answer_ms < (int64_t)d->cfg.mqtt.retransmit_ms &&
		    now - q->first_ms < longest)
			q->next_send_ms = d->greq_answer_ms + d->cfg.mqtt.retransmit_ms;
		else
			greq_send(d, q);
	}
}

static void group_timer(struct esfd *d, const struct esfd_group_conf *g)
{
	struct esfd_group_rt *r = rt_of(d, g);
	int64_t now = esfd_now(d);

	if (g->serve) {
		if (r->epoch && now >= r->next_rotate)
			rotate(d, g, -1, "periodic");
		if (g->block_last && esfd_med_core_timer(d, g))
			rotate(d, g, -1, "the core's own session went with esf.ko");
		return;
	}
	if (!r->session)
		return;
	if (r->next && now >= r->switch_at)
		do_switch(d, g);
	if (r->prev && now >= r->retire_at) {
		if (esf_nl_group_epoch_retire(d->nl, r->session, NULL))
			log_warn("group %s: retiring epoch %u of session %u failed", g->name,
				 r->prev, r->session);
		else
			log_info("group %s: epoch %u retired", g->name, r->prev);
		r->prev = 0;
	}
}

/*
 * esf.ko went away (kernel.c, "Module unload and reload"): the members'
 * sessions are gone with it, and their ids may name other sessions once
 * it is back. Forget them; a member with no session and no pull asks
 * again, from nothing held, so the server gives it a new epoch.
 */
static void sessions_lost(struct esfd *d)
{
	size_t i;

	for (i = 0; i < d->cfg.n_groups; i++) {
		const struct esfd_group_conf *g = &d->cfg.groups[i];
		struct esfd_group_rt *r = &d->groups[i];
		struct esfd_greq *q;

		if (g->serve && g->block_last)
			esfd_med_core_timer(d, g);	/* forgets the core's session */
		if (g->serve || !r->session)
			continue;
		log_warn("group %s: session %u went with esf.ko", g->name, r->session);
		/* A pull in flight says what the lost session held: its answer
		 * could be that very epoch, to seal under again from 0.
		 */
		q = greq_find(d, g->id, d->cfg.peers[g->server].id, false);
		if (q)
			esfd_greq_free(d, q);
		r->session = 0;
		r->epoch = r->next = r->prev = 0;
		r->pulled = false;
	}
}

/* A member with no key yet: a mediator holds it in memory, not in a
 * session; a device of a mediator first needs the local key it comes under.
 */
static bool wants_key(struct esfd *d, const struct esfd_group_conf *g)
{
	const struct esfd_group_rt *r = rt_of(d, g);

	if (g->serve || r->session || (g->mediates && r->epoch))
		return false;
	return !g->via_set || d->groups[g->via].session;
}

void esfd_group_timer(struct esfd *d)
{
	size_t i;

	if (d->kernel_down) {
		sessions_lost(d);
		return;
	}
	greqs_timer(d);
	for (i = 0; i < d->cfg.n_groups; i++) {
		const struct esfd_group_conf *g = &d->cfg.groups[i];

		if (wants_key(d, g) && !greq_find(d, g->id, d->cfg.peers[g->server].id, false))
			pull(d, g);
		group_timer(d, g);
	}
}

/* Start, reload, stop ------------------------------------------------------------ */

/* Requests for groups or members that the configuration no longer has. */
static void greqs_prune(struct esfd *d)
{
	struct esfd_greq *q, *nx;

	for (q = d->greqs; q; q = nx) {
		const struct esfd_group_conf *g = esfd_config_group_by_id(&d->cfg, q->grp);
		const struct esfd_peer *p = esfd_config_peer_by_id(&d->cfg, q->peer_id);

		nx = q->next;
		if (q->ga) {
			if (!esfd_gauth_keeps(d, q))
				esfd_greq_free(d, q);
			continue;
		}
		/* The facilitator's requests go on while it is a peer. */
		if (q->fac) {
			if (!p)
				esfd_greq_free(d, q);
			continue;
		}
		/* A mediator's pushes go on to the local group's members. */
		if (g && p && q->push && g->mediates) {
			if (!esfd_med_keeps(d, g, p))
				esfd_greq_free(d, q);
			continue;
		}
		if (!g || !p || g->serve != q->push ||
		    (g->serve && esfd_group_member_index(d, g, p) < 0) ||
		    (!g->serve && &d->cfg.peers[g->server] != p))
			esfd_greq_free(d, q);
	}
}

int esfd_group_start(struct esfd *d)
{
	size_t i;

	if (!d->groups) {
		d->groups = calloc(d->cfg.n_groups ? d->cfg.n_groups : 1, sizeof(*d->groups));
		if (!d->groups)
			return -ENOMEM;
		for (i = 0; i < d->cfg.n_groups; i++) {
			d->groups[i].members = calloc(d->cfg.groups[i].n_members + 1,
						      sizeof(*d->groups[i].members));
			if (!d->groups[i].members)
				return -ENOMEM;
		}
	}
	greqs_prune(d);
	for (i = 0; i < d->cfg.n_groups; i++) {
		const struct esfd_group_conf *g = &d->cfg.groups[i];
		struct esfd_group_rt *r = &d->groups[i];

		if (g->serve && r->epoch && r->dirty) {
			rotate(d, g, -1, "membership or policy changed");
			esfd_med_local_changed(d, g);	/* a mediated key follows */
		} else if (g->serve && !r->epoch) {
			rotate(d, g, -1, "esfd started");
		} else if (wants_key(d, g) &&
			   !greq_find(d, g->id, d->cfg.peers[g->server].id, false)) {
			pull(d, g);
		}
	}
	return 0;
}

static void rt_free(struct esfd_group_rt *r)
{
	free(r->members);
	OPENSSL_cleanse(r, sizeof(*r));
}

static void session_drop(struct esfd *d, const char *name, struct esfd_group_rt *r)
{
	if (!r->session)
		return;
	if (esf_nl_session_del(d->nl, r->session) && !d->kernel_down)
		log_warn("group %s: deleting session %u failed", name, r->session);
	else
		log_info("group %s: session %u deleted", name, r->session);
	r->session = 0;
}

/* Did anything a member's session or key depends on change? */
static bool member_changed(const struct esfd_config *a, const struct esfd_group_conf *ga,
			   const struct esfd_config *b, const struct esfd_group_conf *gb)
{
	const struct esfd_peer *sa = &a->peers[ga->server], *sb = &b->peers[gb->server];
	const struct esfd_policy *x = &a->policies[ga->policy], *y = &b->policies[gb->policy];

	if (ga->mediates != gb->mediates || ga->via_set != gb->via_set ||
	    ga->block_first != gb->block_first || ga->block_last != gb->block_last ||
	    (ga->mediates && strcmp(a->groups[ga->local].id, b->groups[gb->local].id)) ||
	    (ga->via_set && strcmp(a->groups[ga->via].id, b->groups[gb->via].id)))
		return true;
	return strcmp(sa->id, sb->id) || sa->kpsa_len != sb->kpsa_len ||
	       !esfd_ct_equal(sa->kpsa, sb->kpsa, sa->kpsa_len) || x->aead != y->aead ||
	       x->key_bits != y->key_bits || x->tag_len != y->tag_len ||
	       x->replay_window != y->replay_window || x->owner_uid != y->owner_uid ||
	       x->owner_gid != y->owner_gid || strcmp(a->id, b->id);
}

/* The server's member state under @b, carried over by peer id; @dirty set
 * when a member left (revoked), came (joined) or changed its sender id or
 * key, or when the key's policy changed.
 */
static int server_carry(const struct esfd_config *a, const struct esfd_group_conf *ga,
			const struct esfd_group_rt *ra, const struct esfd_config *b,
			const struct esfd_group_conf *gb, struct esfd_group_rt *rb)
{
	const struct esfd_policy *x = &a->policies[ga->policy], *y = &b->policies[gb->policy];
	size_t i, j, kept = 0;

	*rb = *ra;
	rb->members = calloc(gb->n_members + 1, sizeof(*rb->members));
	if (!rb->members)
		return -ENOMEM;
	for (i = 0; i < gb->n_members; i++) {
		const struct esfd_peer *pb = &b->peers[gb->members[i].peer];

		for (j = 0; j < ga->n_members; j++) {
			const struct esfd_peer *pa = &a->peers[ga->members[j].peer];

			if (strcmp(pa->id, pb->id) || ga->members[j].sender != gb->members[i].sender ||
			    pa->kpsa_len != pb->kpsa_len ||
			    !esfd_ct_equal(pa->kpsa, pb->kpsa, pa->kpsa_len))
				continue;
			rb->members[i] = ra->members[j];
			kept++;
		}
	}
	rb->dirty = ra->dirty || kept != ga->n_members || kept != gb->n_members ||
		    ga->senders != gb->senders || x->aead != y->aead ||
		    x->key_bits != y->key_bits || x->tag_len != y->tag_len || strcmp(a->id, b->id);
	if (ga->rotate != gb->rotate)
		rb->next_rotate = rb->next_rotate - ga->rotate + gb->rotate;
	return 0;
}

/* The old group carried over into new group @gb, or NULL. */
static const struct esfd_group_conf *old_of(const struct esfd *d,
					    const struct esfd_group_conf *gb)
{
	size_t j;

	for (j = 0; j < d->cfg.n_groups; j++)
		if (!strcmp(d->cfg.groups[j].id, gb->id) && d->cfg.groups[j].serve == gb->serve)
			return &d->cfg.groups[j];
	return NULL;
}

int esfd_group_reload(struct esfd *d, const struct esfd_config *n, struct esfd_group_rt **out)
{
	struct esfd_group_rt *rt = calloc(n->n_groups ? n->n_groups : 1, sizeof(*rt));
	bool *moved = calloc(d->cfg.n_groups + 1, sizeof(*moved));
	size_t i, j;
	int err = rt && moved ? 0 : -ENOMEM;

	for (i = 0; !err && i < n->n_groups; i++) {
		const struct esfd_group_conf *gb = &n->groups[i];
		const struct esfd_group_conf *ga = old_of(d, gb);

		j = ga ? (size_t)(ga - d->cfg.groups) : 0;
		if (ga && gb->serve) {
			err = server_carry(&d->cfg, ga, &d->groups[j], n, gb, &rt[i]);
		} else if (ga && !member_changed(&d->cfg, ga, n, gb)) {
			rt[i] = d->groups[j];
			moved[j] = true;
		} else {
			rt[i].members = calloc(gb->n_members + 1, sizeof(*rt[i].members));
			err = rt[i].members ? 0 : -ENOMEM;
		}
	}
	if (err) {
		for (j = 0; rt && j < n->n_groups; j++)
			if (!old_of(d, &n->groups[j]) || n->groups[j].serve ||
			    member_changed(&d->cfg, old_of(d, &n->groups[j]), n, &n->groups[j]))
				free(rt[j].members);
		if (rt)
			OPENSSL_cleanse(rt, n->n_groups * sizeof(*rt));
		free(rt);
		free(moved);
		return err;
	}
	/* A server's mediation state (its own session) goes with its key
	 * while the delegated block stays; server_carry() copied it.
	 */
	for (i = 0; i < n->n_groups; i++) {
		const struct esfd_group_conf *gb = &n->groups[i];
		const struct esfd_group_conf *ga = old_of(d, gb);

		if (!ga || !gb->serve)
			continue;
		if (ga->block_first == gb->block_first && ga->block_last == gb->block_last)
			d->groups[ga - d->cfg.groups].med = NULL;
		else
			rt[i].med = NULL;
	}
	/* What was not moved over goes: a member's session, a server's key. */
	for (j = 0; j < d->cfg.n_groups; j++) {
		if (moved[j])
			continue;
		if (!d->cfg.groups[j].serve)
			session_drop(d, d->cfg.groups[j].name, &d->groups[j]);
		esfd_med_drop(d, &d->groups[j]);
		rt_free(&d->groups[j]);
	}
	free(moved);
	free(d->groups);
	*out = rt;
	return 0;
}

void esfd_group_shutdown(struct esfd *d)
{
	size_t i;

	while (d->greqs)
		esfd_greq_free(d, d->greqs);
	for (i = 0; d->groups && i < d->cfg.n_groups; i++) {
		/* Never adopted by the next esfd: it pulls a new epoch anyway. */
		if (!d->cfg.groups[i].serve && !d->kernel_down)
			session_drop(d, d->cfg.groups[i].name, &d->groups[i]);
		esfd_med_drop(d, &d->groups[i]);
		rt_free(&d->groups[i]);
	}
	free(d->groups);
	d->groups = NULL;
}

/* Control: esfctl group list / show ------------------------------------------------ */

static json_t *member_json(struct esfd *d, const struct esfd_group_conf *g, size_t i)
{
	const struct esfd_peer *p = &d->cfg.peers[g->members[i].peer];
	const struct esfd_gmember *m = &rt_of(d, g)->members[i];

	return json_pack("{s:s,s:s,s:i,s:I,s:I,s:I,s:b}", "peer", p->name, "id", p->id,
			 "sender", (int)g->members[i].sender, "epoch", (json_int_t)m->held,
			 "acked", (json_int_t)m->acked,
			 "last_contact", (json_int_t)(m->last_contact ?
						      esfd_now(d) - m->last_contact : -1),
			 "push_pending", !!greq_find(d, g->id, p->id, true));
}

static json_t *server_json(struct esfd *d, const struct esfd_group_conf *g, json_t *j)
{
	struct esfd_group_rt *r = rt_of(d, g);
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < g->n_members; i++)
		json_array_append_new(arr, member_json(d, g, i));
	json_object_set_new(j, "senders", json_integer(g->senders));
	json_object_set_new(j, "rotate", json_integer(g->rotate));
	json_object_set_new(j, "switch_delay", json_integer(g->switch_delay));
	json_object_set_new(j, "rotations", json_integer((json_int_t)r->rotations));
	json_object_set_new(j, "next_rotation_in",
			    json_integer((json_int_t)(r->next_rotate - esfd_now(d))));
	json_object_set_new(j, "members", arr);
	return j;
}

static json_t *member_side_json(struct esfd *d, const struct esfd_client *c,
				const struct esfd_group_conf *g, json_t *j)
{
	struct esfd_group_rt *r = rt_of(d, g);

	json_object_set_new(j, "server", json_string(d->cfg.peers[g->server].name));
	json_object_set_new(j, "server_id", json_string(d->cfg.peers[g->server].id));
	json_object_set_new(j, "state", json_string(g->mediates ? (r->epoch ? "mediating" :
								     "waiting") :
						     !r->session ? "waiting" :
						     r->next ? "switching" : "current"));
	json_object_set_new(j, "sender", json_integer(r->sender));
	json_object_set_new(j, "senders", json_integer(r->senders));
	json_object_set_new(j, "next", json_integer(r->next));
	json_object_set_new(j, "previous", json_integer(r->prev));
	json_object_set_new(j, "switch_in", json_integer(r->next ? (json_int_t)(r->switch_at -
									      esfd_now(d)) : 0));
	json_object_set_new(j, "keys", json_integer((json_int_t)r->keys));
	/* The session id is what binds the session: for those who may use it. */
	if (esfd_ctl_may_use(c, policy_of(d, g)) && r->session)
		json_object_set_new(j, "session", json_integer(r->session));
	return j;
}

static json_t *group_json(struct esfd *d, const struct esfd_client *c,
			  const struct esfd_group_conf *g)
{
	const struct esfd_policy *pol = policy_of(d, g);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "name", g->name, "id", g->id,
			      "role", g->serve ? "server" : "member", "policy", pol->name,
			      "alg", alg_of(pol), "epoch", (json_int_t)rt_of(d, g)->epoch);

	if (!j)
		return NULL;
	if (g->block_last || g->via_set)
		json_object_set_new(j, "mediation", esfd_med_json(d, c, g));
	return g->serve ? server_json(d, g, j) : member_side_json(d, c, g, j);
}

json_t *esfd_group_ctl(struct esfd *d, const struct esfd_client *c, const json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "group"));
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < d->cfg.n_groups; i++) {
		const struct esfd_group_conf *g = &d->cfg.groups[i];

		if (!name || !strcmp(name, g->name) || !strcmp(name, g->id))
			json_array_append_new(arr, group_json(d, c, g));
	}
	if (name && !json_array_size(arr)) {
		json_decref(arr);
		return json_pack("{s:i,s:s}", "status", -ENOENT, "error", "no such group");
	}
	return json_pack("{s:i,s:o}", "status", 0, "groups", arr);
}
