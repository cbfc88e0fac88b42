// SPDX-License-Identifier: GPL-2.0
/*
 * Static group authentication through a gateway agent (TR-0012 7.2.1;
 * docs/esfd.md, "Static group authentication"; messages in gamsg.h).
 *
 * Devices authenticate to their gateway, which holds their requests for a
 * moment and then authenticates once to the server for all of them. The
 * server answers with one Rand, which the gateway relays in its answer to
 * each device. Device x and the server both derive
 * Ks_x = HMAC-SHA-256(Kpsa_xi, "oneM2M Group Secure Connection Key
 * derivation" || id_x || Rand) from the Kpsa they share, which the
 * gateway does not hold, so it never learns Ks_x. Each device confirms
 * Ks_x to the server directly, and both install a pair of kernel sessions
 * keyed from it.
 *
 * One request of each kind is in flight per section, retransmitted by the
 * group request machinery (group.c); the agent's answers to devices are
 * deferred until the server's answer is in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "esfd.h"
#include "keys.h"

static struct esfd_gauth_rt *rt_of(struct esfd *d, const struct esfd_gauth_conf *a)
{
	return &d->gauths[a - d->cfg.gauths];
}

static const struct esfd_peer *peer_at(const struct esfd *d, size_t i)
{
	return &d->cfg.peers[i];
}

/* The member entry of @peer, or -1. */
static int member_of(const struct esfd *d, const struct esfd_gauth_conf *a,
		     const struct esfd_peer *peer)
{
	size_t i;

	for (i = 0; i < a->n_members; i++)
		if (peer_at(d, a->members[i]) == peer)
			return (int)i;
	return -1;
}

/* The MAC of @m on the link with @peer (device-agent or agent-server). */
static int link_mac(struct esfd *d, const struct esfd_peer *peer, const struct esfd_gamsg *m,
		    const char *from, const char *to, const uint8_t *nnc, uint8_t mac[32])
{
	uint8_t k14[32], key[32];
	int err = esfd_peer_k14(d, peer, k14);

	if (!err)
		err = esfd_ga_link_key(k14, m->grp, key);
	if (!err)
		err = esfd_ga_mac(key, m, from, to, nnc, NULL, mac);
	OPENSSL_cleanse(k14, sizeof(k14));
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

static bool link_mac_ok(struct esfd *d, const struct esfd_peer *peer,
			const struct esfd_gamsg *m, const uint8_t *nnc)
{
	uint8_t mac[32];
	bool ok = !link_mac(d, peer, m, peer->id, d->cfg.id, nnc, mac) &&
		  esfd_ct_equal(mac, m->mac, sizeof(mac));

	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

/*
 * Ks_x of device @dev_id under @rnd, from the Kpsa of @peer (at a device,
 * the server; at the server, the device), and the confirmation key.
 */
static int ks_of(const struct esfd_peer *peer, const char *dev_id, const char *grp,
		 const uint8_t rnd[ESFD_GA_RAND_LEN], uint8_t ks[32], uint8_t kc[32])
{
	int err = esfd_kdf_group_key(peer->kpsa, peer->kpsa_len, dev_id, rnd,
				     ESFD_GA_RAND_LEN, ks);

	if (!err)
		err = esfd_ga_confirm_key(ks, grp, kc);
	return err;
}

static int confirm_mac(const uint8_t kc[32], const struct esfd_gamsg *m, const char *from,
		       const char *to, const uint8_t *rnd, uint8_t mac[32])
{
	return esfd_ga_mac(kc, m, from, to, NULL, rnd, mac);
}

/*
 * The pair of kernel sessions keyed from Ks_x: TR-0012 7.4.1's end-to-end
 * keys with Ks_x as the key and the Rand as the salt, under the peer's
 * policy, as a pair from an establishment is (kernel.c).
 */
static int install(struct esfd *d, const struct esfd_gauth_conf *a,
		   const struct esfd_peer *peer, const uint8_t ks[32],
		   const uint8_t rnd[ESFD_GA_RAND_LEN], bool originator)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	struct esfd_randobj ro = { 0 };
	struct esfd_pair_keys k = { 0 };
	struct esfd_key_pair kp;
	struct esfd_pair *pair;
	char b64[32];
	int err;

	err = esfd_kdf_e2e_keys(ESFD_SHA256, rnd, ESFD_GA_RAND_LEN, ks, 32, &kp);
	if (err)
		return err;
	esfd_pair_keys_of(pol, &kp, &k);
	/* The pair's ids and life: the Rand stands for both rand objects. */
	esfd_b64_encode(rnd, ESFD_GA_RAND_LEN, true, b64, sizeof(b64));
	snprintf(ro.id, sizeof(ro.id), "ga-%s", b64);
	memcpy(ro.value, rnd, ESFD_GA_RAND_LEN);
	ro.expiry = esfd_now(d) + ESFD_GA_PAIR_SECONDS;
	err = esfd_pair_install(d, peer, a->data_class, &k, &ro, &ro, originator, &pair);
	OPENSSL_cleanse(&k, sizeof(k));
	if (!err)
		esfd_pair_promote(d, pair);
	return err;
}

/* Device ------------------------------------------------------------------------ */

/* Asking again after 5 s, then twice as long each time up to 5 minutes:
 * a device the server does not take must not keep its gateway busy.
 */
static void device_fail(struct esfd *d, const struct esfd_gauth_conf *a, const char *what)
{
	struct esfd_gauth_rt *r = rt_of(d, a);

	r->retry_ms = !r->retry_ms ? ESFD_GROUP_RETRY_MS :
		      r->retry_ms >= ESFD_GA_RETRY_MAX_MS / 2 ? ESFD_GA_RETRY_MAX_MS :
		      r->retry_ms * 2;
	log_err("gauth %s: %s; asking again in %llds", a->name, what,
		(long long)r->retry_ms / 1000);
	r->refused++;
	r->state = ESFD_GA_IDLE;
	r->retry_at_ms = esfd_now_ms(d) + r->retry_ms;
}

static struct esfd_greq *send_req(struct esfd *d, const struct esfd_gauth_conf *a,
				  const struct esfd_peer *to, struct esfd_gamsg *m)
{
	json_t *pc = esfd_ga_build(m);
	struct esfd_greq *q = pc ? esfd_greq_new(d, a->id, to, false, pc, NULL) : NULL;

	if (q) {
		q->ga = m->kind;
		rt_of(d, a)->msgs_out++;
	}
	return q;
}

static void device_ask(struct esfd *d, const struct esfd_gauth_conf *a)
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	const struct esfd_peer *agent = peer_at(d, a->agent);
	struct esfd_gamsg m = { .kind = ESFD_GA_DEV_REQ, .grp = a->id };

	if (getrandom(m.nnc, sizeof(m.nnc), 0) != sizeof(m.nnc) ||
	    link_mac(d, agent, &m, d->cfg.id, agent->id, NULL, m.mac) ||
	    !send_req(d, a, agent, &m)) {
		device_fail(d, a, "cannot make the request to the agent");
		return;
	}
	memcpy(r->nnc, m.nnc, sizeof(r->nnc));
	r->state = ESFD_GA_ASKING;
	log_info("gauth %s: asked %s to authenticate us to %s", a->name, agent->id,
		 peer_at(d, a->server)->id);
}

/* The agent relayed the server's Rand: derive Ks_x, confirm it to the server. */
static void device_rand(struct esfd *d, const struct esfd_gauth_conf *a,
			const struct esfd_m2m_rsp *rsp)
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	const struct esfd_peer *agent = peer_at(d, a->agent);
	const struct esfd_peer *server = peer_at(d, a->server);
	struct esfd_gamsg in, m = { .kind = ESFD_GA_CONF_REQ, .grp = a->id };
	uint8_t ks[32], kc[32];
	int err;

	if (rsp->rsc != ESFD_RSC_OK) {
		char why[96];

		snprintf(why, sizeof(why), "the agent refused (oneM2M %d)", rsp->rsc);
		device_fail(d, a, why);
		return;
	}
	if (esfd_ga_read(rsp->pc, ESFD_GA_DEV_ANS, &in) || strcmp(in.grp, a->id) ||
	    !link_mac_ok(d, agent, &in, r->nnc)) {
		device_fail(d, a, "the agent's answer is not one of ours (malformed or bad MAC)");
		return;
	}
	memcpy(m.rnd, in.rnd, sizeof(m.rnd));
	err = ks_of(server, d->cfg.id, a->id, in.rnd, ks, kc);
	if (!err)
		err = confirm_mac(kc, &m, d->cfg.id, server->id, NULL, m.mac);
	OPENSSL_cleanse(ks, sizeof(ks));
	OPENSSL_cleanse(kc, sizeof(kc));
	if (err || !send_req(d, a, server, &m)) {
		device_fail(d, a, "cannot make the key confirmation");
		return;
	}
	memcpy(r->rnd, in.rnd, sizeof(r->rnd));
	r->state = ESFD_GA_CONFIRMING;
}

/* The server confirmed Ks_x too: install the pair. */
static void device_done(struct esfd *d, const struct esfd_gauth_conf *a,
			const struct esfd_m2m_rsp *rsp)
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	const struct esfd_peer *server = peer_at(d, a->server);
	struct esfd_gamsg in;
	uint8_t ks[32], kc[32], mac[32];
	bool ok;
	int err;

	if (rsp->rsc != ESFD_RSC_OK) {
		char why[96];

		snprintf(why, sizeof(why), "the server refused our key confirmation (oneM2M %d)",
			 rsp->rsc);
		device_fail(d, a, why);
		return;
	}
	err = ks_of(server, d->cfg.id, a->id, r->rnd, ks, kc);
	ok = !err && !esfd_ga_read(rsp->pc, ESFD_GA_CONF_ANS, &in) && !strcmp(in.grp, a->id) &&
	     !confirm_mac(kc, &in, server->id, d->cfg.id, r->rnd, mac) &&
	     esfd_ct_equal(mac, in.mac, sizeof(mac));
	if (ok)
		err = install(d, a, server, ks, r->rnd, true);
	OPENSSL_cleanse(ks, sizeof(ks));
	OPENSSL_cleanse(kc, sizeof(kc));
	if (!ok || err) {
		device_fail(d, a, !ok ? "the server's confirmation does not hold (malformed or "
			    "bad MAC: it derived another Ks_x)" : "installing the kernel sessions "
			    "failed");
		return;
	}
	r->state = ESFD_GA_DONE;
	r->retry_ms = 0;
	r->devices++;
	log_info("gauth %s: authenticated to %s through %s; class %u sessions keyed from Ks_x",
		 a->name, server->id, peer_at(d, a->agent)->id, a->data_class);
}

/* Agent ------------------------------------------------------------------------- */

static void wait_drop(struct esfd_gauth_rt *r, size_t i)
{
	r->waits[i] = r->waits[--r->n_waits];
}

static void wait_answer(struct esfd *d, const struct esfd_gauth_conf *a, size_t i, int rsc,
			json_t *pc, const char *why)
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	struct esfd_ga_wait *w = &r->waits[i];

	esfd_transport_answer(d, peer_at(d, w->peer), w->rqi, w->rvi, rsc, pc, why);
	r->msgs_out++;
	if (rsc != ESFD_RSC_OK)
		r->refused++;
	wait_drop(r, i);
}

/* A device's request: checked, then held for the next request to the server. */
static int agent_take(struct esfd *d, const struct esfd_gauth_conf *a,
		      const struct esfd_peer *peer, const struct esfd_m2m_req *req,
		      const struct esfd_gamsg *m, const char **why)
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	struct esfd_ga_wait *w = NULL;
	size_t i;

	if (member_of(d, a, peer) < 0) {
		*why = "the originator is not a member of this authentication group";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	if (!link_mac_ok(d, peer, m, NULL)) {
		*why = "esf:gaq's mac does not hold";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	for (i = 0; i < r->n_waits; i++)
		if (peer_at(d, r->waits[i].peer) == peer)
			w = &r->waits[i];
	/* A retransmission: its answer comes with the others'. */
	if (w && !strcmp(w->rqi, req->rqi)) {
		r->msgs_in--;	/* counted once, as the answer is */
		return ESFD_RSC_DEFERRED;
	}
	if (!w) {
		w = &r->waits[r->n_waits++];
		w->batched = false;
	}
	/* A newer request replaces the one held; a Rand asked for the device
	 * serves it as well, so it keeps its place in the request in flight.
	 */
	w->peer = (size_t)(peer - d->cfg.peers);
	snprintf(w->rqi, sizeof(w->rqi), "%s", req->rqi);
	snprintf(w->rvi, sizeof(w->rvi), "%s", req->rvi ? req->rvi : ESFD_M2M_RVI);
	memcpy(w->nnc, m->nnc, sizeof(w->nnc));
	w->since_ms = esfd_now_ms(d);
	if (!r->flush_at_ms) {
		r->flush_at_ms = w->since_ms + a->collect_ms;
		if (!r->in_flight && !r->round_start_ms)
			r->round_start_ms = w->since_ms;
	}
	return ESFD_RSC_DEFERRED;
}

/* The held requests (at most ESFD_GA_IDS_MAX) go to the server in one. */
static void agent_flush(struct esfd *d, const struct esfd_gauth_conf *a)
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	const struct esfd_peer *server = peer_at(d, a->server);
	struct esfd_gamsg m = { .kind = ESFD_GA_GRP_REQ, .grp = a->id };
	json_t *ids = json_array();
	bool oom = !ids;
	size_t i, n = 0;

	for (n = 0; !oom && n < r->n_waits && n < ESFD_GA_IDS_MAX; n++)
		oom = json_array_append_new(ids, json_string(peer_at(d, r->waits[n].peer)->id));
	m.ids = ids;
	if (oom || getrandom(m.nnc, sizeof(m.nnc), 0) != sizeof(m.nnc) ||
	    link_mac(d, server, &m, d->cfg.id, server->id, NULL, m.mac) ||
	    !send_req(d, a, server, &m)) {
		log_err("gauth %s: cannot make the request to the server", a->name);
		json_decref(ids);
		r->flush_at_ms = esfd_now_ms(d) + ESFD_GROUP_RETRY_MS;
		return;
	}
	json_decref(ids);
	for (i = 0; i < n; i++)
		r->waits[i].batched = true;
	memcpy(r->nnc, m.nnc, sizeof(r->nnc));
	r->in_flight = true;
	r->flush_at_ms = n < r->n_waits ? esfd_now_ms(d) : 0;
	log_info("gauth %s: authenticating %zu device%s to %s in one request", a->name, n,
		 n == 1 ? "" : "s", server->id);
}

static bool id_in(const json_t *ids, const char *id)
{
	size_t i;

	for (i = 0; i < json_array_size(ids); i++)
		if (!strcmp(json_string_value(json_array_get(ids, i)), id))
			return true;
	return false;
}

/* Every device of the request in flight gets its answer: the Rand or why not. */
static void agent_relay(struct esfd *d, const struct esfd_gauth_conf *a,
			const struct esfd_m2m_rsp *rsp)
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	const struct esfd_peer *server = peer_at(d, a->server);
	struct esfd_gamsg in;
	bool ok = rsp && rsp->rsc == ESFD_RSC_OK &&
		  !esfd_ga_read(rsp->pc, ESFD_GA_GRP_ANS, &in) && !strcmp(in.grp, a->id) &&
		  link_mac_ok(d, server, &in, r->nnc);
	const char *why = !rsp ? "the server did not answer" :
			  rsp->rsc != ESFD_RSC_OK ? "the server refused the group's authentication" :
			  "the server's answer does not hold (malformed or bad MAC)";
	size_t i = 0, given = 0;

	if (!ok)
		log_err("gauth %s: %s", a->name, why);
	while (i < r->n_waits) {
		struct esfd_ga_wait *w = &r->waits[i];
		const struct esfd_peer *dev = peer_at(d, w->peer);
		struct esfd_gamsg m = { .kind = ESFD_GA_DEV_ANS, .grp = a->id };

		if (!w->batched) {
			i++;
			continue;
		}
		if (!ok) {
			wait_answer(d, a, i, rsp ? ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE :
				    ESFD_RSC_REQUEST_TIMEOUT, NULL, why);
		} else if (!id_in(in.ids, dev->id)) {
			wait_answer(d, a, i, ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, NULL,
				    "the server does not take this device in the group");
		} else {
			memcpy(m.rnd, in.rnd, sizeof(m.rnd));
			if (link_mac(d, dev, &m, d->cfg.id, dev->id, w->nnc, m.mac))
				wait_answer(d, a, i, ESFD_RSC_INTERNAL_SERVER_ERROR, NULL,
					    "cannot make the answer");
			else
				wait_answer(d, a, i, ESFD_RSC_OK, esfd_ga_build(&m), "");
			given++;
		}
	}
	r->devices += given;
	r->in_flight = false;
	if (!r->n_waits) {
		r->last_ms = esfd_now_ms(d) - r->round_start_ms;
		r->round_start_ms = 0;
	}
	if (ok)
		log_info("gauth %s: relayed %s's Rand to %zu device%s", a->name, server->id,
			 given, given == 1 ? "" : "s");
}

/* Server ------------------------------------------------------------------------- */

static int server_group(struct esfd *d, const struct esfd_gauth_conf *a,
			const struct esfd_peer *peer, const struct esfd_gamsg *m, json_t **pc,
			const char **why)
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	struct esfd_ga_run *run = &r->runs[r->next_run];
	struct esfd_gamsg out = { .kind = ESFD_GA_GRP_ANS, .grp = a->id };
	json_t *taken = json_array();
	size_t i;

	if (peer_at(d, a->agent) != peer) {
		*why = "the originator is not this authentication group's agent";
		json_decref(taken);
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	if (!link_mac_ok(d, peer, m, NULL)) {
		*why = "esf:gas's mac does not hold";
		json_decref(taken);
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	if (!taken || getrandom(run->rnd, sizeof(run->rnd), 0) != sizeof(run->rnd)) {
		*why = "out of memory or randomness";
		json_decref(taken);
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	memset(run->state, 0, a->n_members);
	for (i = 0; i < json_array_size(m->ids); i++) {
		const char *id = json_string_value(json_array_get(m->ids, i));
		const struct esfd_peer *dev = esfd_config_peer_by_id(&d->cfg, id);
		int k = dev ? member_of(d, a, dev) : -1;

		if (k < 0 || json_array_append_new(taken, json_string(id)))
			continue;
		run->state[k] = 1;
	}
	run->expires = esfd_now(d) + ESFD_GA_RUN_SECONDS;
	r->next_run = (r->next_run + 1) % ESFD_GA_RUNS;
	r->round_start_ms = esfd_now_ms(d);
	memcpy(out.rnd, run->rnd, sizeof(out.rnd));
	out.ids = taken;
	if (link_mac(d, peer, &out, d->cfg.id, peer->id, m->nnc, out.mac)) {
		*why = "cannot make the answer";
		json_decref(taken);
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	*pc = esfd_ga_build(&out);
	log_info("gauth %s: one Rand for %zu of the %zu devices %s named", a->name,
		 json_array_size(taken), json_array_size(m->ids), peer->id);
	json_decref(taken);
	return *pc ? ESFD_RSC_OK : ESFD_RSC_INTERNAL_SERVER_ERROR;
}

static struct esfd_ga_run *run_of(struct esfd *d, const struct esfd_gauth_conf *a,
				  const uint8_t rnd[ESFD_GA_RAND_LEN])
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	size_t i;

	for (i = 0; i < ESFD_GA_RUNS; i++)
		if (r->runs[i].expires > esfd_now(d) &&
		    esfd_ct_equal(r->runs[i].rnd, rnd, ESFD_GA_RAND_LEN))
			return &r->runs[i];
	return NULL;
}

static int server_confirm(struct esfd *d, const struct esfd_gauth_conf *a,
			  const struct esfd_peer *peer, const struct esfd_gamsg *m, json_t **pc,
			  const char **why)
{
	struct esfd_gauth_rt *r = rt_of(d, a);
	struct esfd_gamsg out = { .kind = ESFD_GA_CONF_ANS, .grp = a->id };
	int k = member_of(d, a, peer);
	struct esfd_ga_run *run = k < 0 ? NULL : run_of(d, a, m->rnd);
	uint8_t ks[32], kc[32], mac[32];
	int rsc = ESFD_RSC_OK, err;

	if (!run || run->state[k] != 1) {
		*why = k < 0 ? "the originator is not a member of this authentication group" :
		       !run ? "no such Rand (unknown or expired)" :
		       run->state[k] ? "this Rand was confirmed already" :
		       "the agent did not authenticate the originator under this Rand";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	err = ks_of(peer, peer->id, a->id, m->rnd, ks, kc);
	if (!err)
		err = confirm_mac(kc, m, peer->id, d->cfg.id, NULL, mac);
	if (err || !esfd_ct_equal(mac, m->mac, sizeof(mac))) {
		*why = "esf:gac's mac does not hold: not Ks_x";
		rsc = ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	} else if (confirm_mac(kc, &out, d->cfg.id, peer->id, m->rnd, out.mac) ||
		   install(d, a, peer, ks, m->rnd, false)) {
		*why = "installing the kernel sessions failed";
		rsc = ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	OPENSSL_cleanse(ks, sizeof(ks));
	OPENSSL_cleanse(kc, sizeof(kc));
	OPENSSL_cleanse(mac, sizeof(mac));
	if (rsc != ESFD_RSC_OK)
		return rsc;
	run->state[k] = 2;
	r->devices++;
	r->last_ms = esfd_now_ms(d) - r->round_start_ms;
	*pc = esfd_ga_build(&out);
	log_info("gauth %s: %s confirmed Ks_x; class %u sessions installed", a->name, peer->id,
		 a->data_class);
	return *pc ? ESFD_RSC_OK : ESFD_RSC_INTERNAL_SERVER_ERROR;
}

/* Hooks ----------------------------------------------------------------------------- */

int esfd_gauth_request(struct esfd *d, const struct esfd_peer *peer,
		       const struct esfd_m2m_req *req, json_t **pc, const char **why)
{
	enum esfd_ga_kind k = esfd_ga_kind_of(req->pc);
	const struct esfd_gauth_conf *a;
	struct esfd_gamsg m;
	int rsc;

	if (k != ESFD_GA_DEV_REQ && k != ESFD_GA_GRP_REQ && k != ESFD_GA_CONF_REQ) {
		*why = "an answer of static group authentication sent as a request";
		return ESFD_RSC_BAD_REQUEST;
	}
	if (esfd_ga_read(req->pc, k, &m)) {
		*why = "malformed static group authentication request";
		return ESFD_RSC_BAD_REQUEST;
	}
	a = esfd_config_gauth_by_id(&d->cfg, m.grp);
	if (!a || a->role != (k == ESFD_GA_DEV_REQ ? ESFD_GAUTH_AGENT : ESFD_GAUTH_SERVER)) {
		*why = k == ESFD_GA_DEV_REQ ? "this entity is the agent of no such group" :
		       "this entity is the server of no such group";
		return ESFD_RSC_NOT_FOUND;
	}
	rt_of(d, a)->msgs_in++;
	rsc = k == ESFD_GA_DEV_REQ ? agent_take(d, a, peer, req, &m, why) :
	      k == ESFD_GA_GRP_REQ ? server_group(d, a, peer, &m, pc, why) :
	      server_confirm(d, a, peer, &m, pc, why);
	if (rsc != ESFD_RSC_DEFERRED)
		rt_of(d, a)->msgs_out++;
	if (rsc != ESFD_RSC_OK && rsc != ESFD_RSC_DEFERRED)
		rt_of(d, a)->refused++;
	return rsc;
}

void esfd_gauth_response(struct esfd *d, const struct esfd_peer *peer, struct esfd_greq *q,
			 const struct esfd_m2m_rsp *rsp)
{
	const struct esfd_gauth_conf *a = esfd_config_gauth_by_id(&d->cfg, q->grp);
	enum esfd_ga_kind k = q->ga;

	esfd_greq_free(d, q);
	if (!a)
		return;
	rt_of(d, a)->msgs_in++;
	if (k == ESFD_GA_GRP_REQ && a->role == ESFD_GAUTH_AGENT && peer_at(d, a->server) == peer)
		agent_relay(d, a, rsp);
	else if (k == ESFD_GA_DEV_REQ && a->role == ESFD_GAUTH_DEVICE)
		device_rand(d, a, rsp);
	else if (k == ESFD_GA_CONF_REQ && a->role == ESFD_GAUTH_DEVICE)
		device_done(d, a, rsp);
}

void esfd_gauth_expired(struct esfd *d, struct esfd_greq *q)
{
	const struct esfd_gauth_conf *a = esfd_config_gauth_by_id(&d->cfg, q->grp);
	enum esfd_ga_kind k = q->ga;
	char who[ESFD_ID_MAX + 1];

	snprintf(who, sizeof(who), "%s", q->peer_id);
	esfd_greq_free(d, q);
	if (!a)
		return;
	if (k == ESFD_GA_GRP_REQ) {
		agent_relay(d, a, NULL);
	} else {
		char why[ESFD_ID_MAX + 32];

		snprintf(why, sizeof(why), "%s did not answer", who);
		device_fail(d, a, why);
	}
}

bool esfd_gauth_keeps(const struct esfd *d, const struct esfd_greq *q)
{
	const struct esfd_gauth_conf *a = esfd_config_gauth_by_id(&d->cfg, q->grp);
	const struct esfd_peer *p = esfd_config_peer_by_id(&d->cfg, q->peer_id);

	return a && p && (p == peer_at(d, a->server) ||
			  (a->role == ESFD_GAUTH_DEVICE && p == peer_at(d, a->agent)));
}

void esfd_gauth_timer(struct esfd *d)
{
	int64_t now = esfd_now_ms(d);
	size_t i, k;

	if (d->kernel_down)
		return;
	for (i = 0; i < d->cfg.n_gauths; i++) {
		const struct esfd_gauth_conf *a = &d->cfg.gauths[i];
		struct esfd_gauth_rt *r = &d->gauths[i];

		if (a->role == ESFD_GAUTH_DEVICE && r->state == ESFD_GA_IDLE &&
		    now >= r->retry_at_ms && esfd_transport_up(d))
			device_ask(d, a);
		if (a->role != ESFD_GAUTH_AGENT)
			continue;
		for (k = 0; k < r->n_waits;) {
			if (!r->waits[k].batched && now - r->waits[k].since_ms > ESFD_GA_WAIT_MS)
				wait_answer(d, a, k, ESFD_RSC_REQUEST_TIMEOUT, NULL,
					    "the server could not be reached in time");
			else
				k++;
		}
		if (r->n_waits && !r->in_flight && r->flush_at_ms && now >= r->flush_at_ms &&
		    esfd_transport_up(d))
			agent_flush(d, a);
	}
}

/* Start, reload, stop --------------------------------------------------------------- */

static void rt_release(struct esfd_gauth_rt *r)
{
	size_t i;

	free(r->waits);
	for (i = 0; i < ESFD_GA_RUNS; i++)
		free(r->runs[i].state);
	OPENSSL_cleanse(r, sizeof(*r));
}

int esfd_gauth_start(struct esfd *d)
{
	size_t i, k;

	if (d->gauths)
		return 0;
	d->gauths = calloc(d->cfg.n_gauths + 1, sizeof(*d->gauths));
	if (!d->gauths)
		return -ENOMEM;
	for (i = 0; i < d->cfg.n_gauths; i++) {
		const struct esfd_gauth_conf *a = &d->cfg.gauths[i];
		struct esfd_gauth_rt *r = &d->gauths[i];

		r->waits = calloc(a->n_members + 1, sizeof(*r->waits));
		for (k = 0; r->waits && k < ESFD_GA_RUNS; k++) {
			r->runs[k].state = calloc(a->n_members + 1, 1);
			if (!r->runs[k].state)
				break;
		}
		if (!r->waits || k < ESFD_GA_RUNS)
			return -ENOMEM;
	}
	return 0;
}

/*
 * A reload starts static group authentication over: what a section held
 * was tied to its members' places. Devices held at the agent are answered
 * so that they ask again; pairs already installed stay.
 */
void esfd_gauth_shutdown(struct esfd *d)
{
	struct esfd_greq *q, *nx;
	size_t i;

	for (q = d->greqs; q; q = nx) {
		nx = q->next;
		if (q->ga)
			esfd_greq_free(d, q);
	}
	for (i = 0; d->gauths && i < d->cfg.n_gauths; i++) {
		const struct esfd_gauth_conf *a = &d->cfg.gauths[i];

		while (d->gauths[i].n_waits)
			wait_answer(d, a, 0, ESFD_RSC_INTERNAL_SERVER_ERROR, NULL,
				    "the agent stopped or reloaded; ask again");
		rt_release(&d->gauths[i]);
	}
	free(d->gauths);
	d->gauths = NULL;
}

static const char *const roles[] = { "server", "agent", "device" };
static const char *const states[] = { "idle", "asking", "confirming", "authenticated" };

json_t *esfd_gauth_ctl(struct esfd *d)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && d->gauths && i < d->cfg.n_gauths; i++) {
		const struct esfd_gauth_conf *a = &d->cfg.gauths[i];
		const struct esfd_gauth_rt *r = &d->gauths[i];
		json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "name", a->name,
				      "id", a->id, "role", roles[a->role], "messages_in",
				      (json_int_t)r->msgs_in, "messages_out",
				      (json_int_t)r->msgs_out, "devices", (json_int_t)r->devices,
				      "refused", (json_int_t)r->refused, "last_round_ms",
				      (json_int_t)r->last_ms);

		if (o && a->role == ESFD_GAUTH_DEVICE)
			json_object_set_new(o, "state", json_string(states[r->state]));
		if (o && a->role == ESFD_GAUTH_AGENT)
			json_object_set_new(o, "held", json_integer((json_int_t)r->n_waits));
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}
