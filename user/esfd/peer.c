// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: ESPrim establishment over oneM2M primitives (transport.c):
 *
 *   originator                                      receiver
 *   NOTIFY, m2m:seci sit 3 (rand object request) ->
 *                                                <- 2000, sit 4: rand object R
 *   (makes its rand object O, derives sessionESPrimKey from R and O)
 *   NOTIFY, sit 5: ESPrim Object, "oro" = O      -> (derives the key, opens
 *                                                    the object, installs its
 *                                                    pair)
 *                                                <- 2000, sit 5: ESPrim Object
 *   (opens it, installs its pair)
 *
 * A refusal is a response with a oneM2M status code (4111..4116, 5000,
 * 5210, 5211, ...). The rand object request (sit 3) and its response are
 * not authenticated (TS-0003 defines no protection for them): the receiver
 * keeps a bounded number of unused rand objects per configured peer, each
 * usable once and for ESFD_ISSUED_TTL seconds, and the originator learns
 * nothing it trusts until an ESPrim Object sealed with the key opens.
 * The originator retransmits its request until it has an answer, doubling
 * the interval, and at once after the broker comes back; the receiver
 * answers a retransmission with its first answer (transport.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "esfd.h"
#include "keys.h"

void esfd_peer_rt_free(struct esfd_peer_rt *rt, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < ESFD_REPLAY_SLOTS; j++)
			free(rt[i].seen[j].resp);
		esfd_certkey_drop(&rt[i].ck);
		esfd_certke_free(rt[i].ck_srv);
		explicit_bzero(&rt[i], sizeof(rt[i]));
	}
}

void esfd_certkey_drop(struct esfd_certkey *ck)
{
	X509_free(ck->cert);
	sk_X509_pop_free(ck->chain, X509_free);
	explicit_bzero(ck, sizeof(*ck));
}

const char *esfd_peer_kid(const struct esfd *d, const struct esfd_peer *peer)
{
	if (!esfd_peer_runtime_key(peer))
		return peer->kpsa_id;
	return esfd_peer_rt(d, peer)->ck.valid ? esfd_peer_rt(d, peer)->ck.kid : "";
}

bool esfd_bucket_take(struct esfd_bucket *b, int64_t now_ms, int64_t burst, int64_t rate)
{
	const int64_t cap = burst * 1000;

	if (!b->last_ms)
		b->tokens = cap;
	else
		b->tokens += (now_ms - b->last_ms) * rate;
	if (b->tokens > cap)
		b->tokens = cap;
	b->last_ms = now_ms;
	if (b->tokens < 1000)
		return false;
	b->tokens -= 1000;
	return true;
}

/*
 * May unauthenticated input from this peer cost a key derivation (or a
 * handshake step) now? Anyone on the broker can send requests in a
 * configured peer's name, each of which esfd can only judge after the
 * derivation: the token bucket bounds that cost per peer (ESFD_KDF_BURST,
 * ESFD_KDF_RATE per second) so that a flood costs a bounded CPU share and
 * leaves the other peers' establishments alone.
 */
static bool kdf_allowed(struct esfd *d, struct esfd_peer_rt *rt)
{
	if (esfd_bucket_take(&rt->kdf, esfd_now_ms(d), ESFD_KDF_BURST, ESFD_KDF_RATE))
		return true;
	rt->kdf_throttled++;
	return false;
}

static const char kdf_why[] = "too many unauthenticated requests that cost a key "
			      "derivation from this peer; try again later";

/* ESCertKE: both ends ------------------------------------------------------- */

/* Keep the key of a completed handshake, with the peer's certificate. */
static int certkey_keep(struct esfd *d, const struct esfd_peer *peer, struct esfd_certke *k)
{
	struct esfd_certkey *ck = &esfd_peer_rt(d, peer)->ck;
	uint8_t kid[ESFD_CERTKE_KID_LEN];
	STACK_OF(X509) *chain;
	int err;

	esfd_certkey_drop(ck);
	err = esfd_certke_export(k, ck->key, kid);
	if (!err)
		err = esfd_b64_encode(kid, sizeof(kid), true, ck->kid, sizeof(ck->kid));
	if (err) {
		esfd_certkey_drop(ck);
		return err;
	}
	ck->cert = SSL_get1_peer_certificate(k->ssl);
	chain = SSL_get_peer_cert_chain(k->ssl);
	ck->chain = chain ? X509_chain_up_ref(chain) : NULL;
	ck->time = esfd_now(d);
	ck->valid = true;
	esfd_peer_rt(d, peer)->certke_ok++;
	d->certke_ok++;
	log_info("peer %s: ESCertKE complete as the %s (TLS 1.2 %s): pairwise key id %s",
		 peer->id, k->client ? "originator (TLS client)" : "receiver (TLS server)",
		 SSL_get_cipher_name(k->ssl), ck->kid);
	return 0;
}

static void certke_refused(struct esfd *d, const struct esfd_peer *peer,
			   const struct esfd_certke *k)
{
	enum esfd_cert_reason r = k->reason == ESFD_CERT_OK ? ESFD_CERT_HANDSHAKE : k->reason;

	d->certke_refused[r]++;
	log_warn("peer %s: ESCertKE refused (%s): %s", peer->id, esfd_cert_reason_name(r),
		 k->why[0] ? k->why : "failed");
}

/* A handshake the receiver answers lives as long as an establishment. */
static bool certke_srv_stale(const struct esfd *d, const struct esfd_peer_rt *rt)
{
	return esfd_now(d) - rt->ck_srv_started > ESFD_EXCH_LIFETIME_MS / 1000;
}

/* The receiver: a sit 6 request carries the client's flight. A
 * ClientHello starts a new handshake (replacing one under way); anything
 * else continues the one under way.
 */
static int certke_req(struct esfd *d, const struct esfd_peer *peer, const struct esfd_seci *in,
		      json_t **pc, const char **why)
{
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	struct esfd_seci s = { .sit = ESFD_SIT_CERTKE };
	bool hello = in->certke_len > 5 && in->certke[0] == 22 && in->certke[5] == 1;
	static char msg[200];
	int err;

	if (!peer->cert) {
		*why = "this peer's credential is a pre-provisioned key (kpsa), not a certificate";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	if (!d->tls) {
		*why = "no certificate credential";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	/* The handshake's public-key work is paid for once, by its
	 * ClientHello; a later flight only continues a handshake paid for.
	 */
	if (hello && !kdf_allowed(d, rt)) {
		*why = kdf_why;
		return ESFD_RSC_THROTTLED;
	}
	if (hello) {
		esfd_certke_free(rt->ck_srv);
		rt->ck_srv = NULL;
		err = esfd_certke_new(d->tls, false, peer->id, esfd_now(d), &rt->ck_srv);
		if (err) {
			*why = "cannot start a TLS handshake";
			return ESFD_RSC_INTERNAL_SERVER_ERROR;
		}
		rt->ck_srv_started = esfd_now(d);
	} else if (!rt->ck_srv || certke_srv_stale(d, rt)) {
		esfd_certke_free(rt->ck_srv);
		rt->ck_srv = NULL;
		d->certke_refused[ESFD_CERT_HANDSHAKE]++;
		*why = "no ESCertKE handshake in progress with this peer (a ClientHello first)";
		return ESFD_RSC_BAD_REQUEST;
	}
	err = esfd_certke_step(rt->ck_srv, in->certke, in->certke_len, &s.certke, &s.certke_len);
	if (!err && rt->ck_srv->done)
		err = certkey_keep(d, peer, rt->ck_srv);
	if (!err && s.certke)
		err = esfd_seci_content(&s, pc);
	else if (!err)
		err = -EPROTO;
	free(s.certke);
	if (err) {
		certke_refused(d, peer, rt->ck_srv);
		snprintf(msg, sizeof(msg), "ESCertKE refused (%s): %.160s",
			 esfd_cert_reason_name(rt->ck_srv->reason),
			 rt->ck_srv->why[0] ? rt->ck_srv->why : strerror(-err));
		*why = msg;
		err = rt->ck_srv->reason == ESFD_CERT_HANDSHAKE || rt->ck_srv->reason == ESFD_CERT_OK ?
		      ESFD_RSC_BAD_REQUEST : ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
		esfd_certke_free(rt->ck_srv);
		rt->ck_srv = NULL;
		return err;
	}
	if (rt->ck_srv->done) {
		esfd_certke_free(rt->ck_srv);
		rt->ck_srv = NULL;
	}
	return ESFD_RSC_OK;
}

/* SIGHUP with new roots or a new CRL: a key whose peer's certificate no
 * longer verifies goes, with the pairs made with it.
 */
void esfd_certke_recheck(struct esfd *d)
{
	const struct esfd_creds *c = d->cfg.certs.creds;
	struct esfd_pair *p, *nx;
	enum esfd_cert_reason r;
	const char *detail;
	size_t i;

	for (i = 0; i < d->cfg.n_peers; i++) {
		const struct esfd_peer *peer = &d->cfg.peers[i];
		struct esfd_certkey *ck = &d->rt[i].ck;

		if (!peer->cert || !ck->valid)
			continue;
		r = c ? esfd_creds_verify(c, ck->cert, ck->chain, peer->id, esfd_now(d), &detail) :
			ESFD_CERT_INVALID;
		if (r == ESFD_CERT_OK)
			continue;
		log_warn("peer %s: its certificate is refused now (%s): its ESCertKE key and "
			 "pairs go", peer->id, esfd_cert_reason_name(r));
		for (p = d->pairs; p; p = nx) {
			nx = p->next;
			if (!strcmp(p->peer_id, peer->id))
				esfd_pair_remove(d, p, "certificate refused after reload");
		}
		esfd_certkey_drop(ck);
	}
}

static int64_t rand_max_lifetime(const struct esfd *d)
{
	return 30 * 86400 + d->cfg.clock_skew;
}

/* Receiver side ------------------------------------------------------------- */

static int rand_req(struct esfd *d, const struct esfd_peer *peer,
		    const struct esfd_m2m_req *req, json_t **pc, const char **why)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	uint8_t kg = ESFD_KEYGEN_HMAC_SHA256, pr = (uint8_t)esfd_esprim_prot(pol->key_bits);
	/* The ring evicts the oldest unused object: what an unauthenticated
	 * flood of requests can make esfd keep is bounded per peer.
	 */
	struct esfd_issued *is = &rt->issued[rt->issued_next++ % ESFD_ISSUED_MAX];
	struct esfd_seci s = { .sit = ESFD_SIT_RAND_RESP };
	int err;

	explicit_bzero(is, sizeof(*is));
	err = esfd_randobj_new(&is->ro, esfd_now(d), pol->rand_lifetime, &kg, 1, &pr, 1);
	if (!err) {
		is->issued = esfd_now(d);
		s.rand = is->ro;
		err = esfd_seci_content(&s, pc);
	}
	explicit_bzero(&s, sizeof(s));
	if (err) {
		*why = "cannot make a rand object";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	/* Debug, not info: anyone on the broker can ask, as often as it likes. */
	log_debug("peer %s: issued receiver rand object %s (request %s)", peer->id, is->ro.id,
		  req->rqi);
	return ESFD_RSC_OK;
}

static struct esfd_issued *issued_find(struct esfd_peer_rt *rt, const char *id)
{
	size_t i;

	for (i = 0; i < ESFD_ISSUED_MAX; i++)
		if (rt->issued[i].ro.id[0] && !strcmp(rt->issued[i].ro.id, id))
			return &rt->issued[i];
	return NULL;
}

/* What the receiver derives and checks, for esprim_req() and its helpers. */
struct esprim_in {
	struct esfd_confirm p;
	struct esfd_issued *is;
	struct esfd_randobj ro_o;
	uint8_t skey[ESFD_KEY_LEN];
	uint8_t kc[32];
	struct esfd_pair_keys pk;
	uint8_t cls;
};

/* The header: whose key, which rand objects. */
static int esprim_header(struct esfd *d, const struct esfd_peer *peer, struct esprim_in *in,
			 const char **why)
{
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	const char *kid = esfd_confirm_hdr(&in->p, "kid");
	const struct esfd_peer *owner;
	int err;

	if (!kid[0] || strcmp(kid, esfd_peer_kid(d, peer))) {
		owner = NULL;
		for (size_t i = 0; i < d->cfg.n_peers && !owner && kid[0]; i++)
			if (!strcmp(esfd_peer_kid(d, &d->cfg.peers[i]), kid))
				owner = &d->cfg.peers[i];
		*why = owner ? "the kid is another peer's credential" : "unknown key id";
		/* A reader of a facilitator's key: the owner has a new one. */
		if (!owner && kid[0])
			esfd_fac_need(d, peer, kid);
		return owner ? 4116 : 4112;
	}
	in->is = issued_find(rt, esfd_confirm_hdr(&in->p, "rri"));
	if (!in->is || in->is->used) {
		*why = "unknown or used receiver rand id";
		return 4114;
	}
	if (esfd_randobj_expired(&in->is->ro, esfd_now(d)) ||
	    esfd_now(d) - in->is->issued > ESFD_ISSUED_TTL) {
		*why = "our receiver rand object has expired";
		return 4114;
	}
	err = esfd_randobj_from_json(json_object_get(in->p.j.hdr, "oro"), esfd_now(d),
				     rand_max_lifetime(d), &in->ro_o);
	if (err) {
		*why = err == -EKEYEXPIRED ? "originator rand object expired" :
		       err == -EOPNOTSUPP ? "originator offers no supported algorithm" :
					    "originator rand object malformed or missing";
		return err == -EOPNOTSUPP ? 4111 : 4113;
	}
	if (strcmp(in->ro_o.id, esfd_confirm_hdr(&in->p, "ori"))) {
		*why = "\"ori\" is not the id of \"oro\"";
		return 4113;
	}
	return 0;
}

/* The keys: derive, open the object, agree on the pair. */
static int esprim_keys(struct esfd *d, const struct esfd_peer *peer, struct esprim_in *in,
		       const char **why)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	int err;

	if (esfd_randobj_choose_prot(&in->is->ro, &in->ro_o) != esfd_esprim_prot(pol->key_bits)) {
		*why = "no common ESPrim protocol and algorithm";
		return 4111;
	}
	err = esfd_session_key(d, peer, &in->is->ro, &in->ro_o, in->skey);
	if (err) {
		*why = strerror(-err);
		return err == -EKEYEXPIRED ? 4113 : 5000;
	}
	if (esfd_confirm_key(in->skey, true, in->kc) ||
	    esfd_confirm_open(&in->p, in->kc, &in->cls)) {
		*why = "the ESPrim Object does not open (another key)";
		return 4115;
	}
	/* The policy refuses it too (config.c); said as what it is. */
	if (esfd_peer_funnel_refuses(peer, in->cls)) {
		*why = "gateway-role = funnel: no end-to-end key held for this peer";
		return 4111;
	}
	if (!(pol->data_classes & (1u << in->cls))) {
		*why = "data class not allowed by the policy";
		return 4111;
	}
	err = esfd_pair_keys(d, peer, in->cls, in->skey, &in->is->ro, &in->ro_o, &in->pk);
	if (err) {
		*why = strerror(-err);
		return 5000;
	}
	if (!esfd_confirm_same_pair(&in->p, &in->pk)) {
		static char text[160];
		const char *alg = json_string_value(json_object_get(in->p.body, "alg"));

		/* Name both: an integrity-only (hmac) end facing an AEAD one is
		 * the likely mistake, and the operator fixes one of two files.
		 */
		snprintf(text, sizeof(text), "the two policies disagree on class %u: the "
			 "originator's is %.40s tag %lld, ours %s tag %u", in->cls,
			 alg ? alg : "?", (long long)json_integer_value(
				 json_object_get(in->p.body, "tagLength")),
			 in->pk.alg, in->pk.tag_len);
		log_warn("peer %s: %s", peer->id, text);
		*why = text;
		return 4111;
	}
	return 0;
}

/* Install the pair and seal the answer. */
static int esprim_accept(struct esfd *d, const struct esfd_peer *peer, struct esprim_in *in,
			 json_t **pc, const char **why)
{
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	struct esfd_seci s = { .sit = ESFD_SIT_ESPRIM };
	struct esfd_pair *pair;
	int err;

	err = esfd_pair_install(d, peer, in->cls, &in->pk, &in->is->ro, &in->ro_o, false, &pair);
	if (err) {
		*why = "installing the kernel sessions failed";
		return 5000;
	}
	in->is->used = true;
	esfd_pair_promote(d, pair);
	rt->established++;
	d->established++;
	err = esfd_confirm_key(in->skey, false, in->kc);
	if (!err)
		err = esfd_confirm_seal(in->kc, esfd_peer_kid(d, peer), in->ro_o.id, in->is->ro.id, NULL,
					&in->pk, in->cls, &s.esprim);
	if (!err)
		err = esfd_seci_content(&s, pc);
	free(s.esprim);
	if (err) {
		*why = "sealing the answer failed";
		return 5211;
	}
	return ESFD_RSC_OK;
}

static int esprim_req(struct esfd *d, const struct esfd_peer *peer, const char *epo,
		      json_t **pc, const char **why)
{
	struct esprim_in in;
	int rsc, err;

	memset(&in, 0, sizeof(in));
	err = esfd_confirm_parse(epo, &in.p);
	if (err) {
		*why = err == -EOPNOTSUPP ? "not an esfd key confirmation (alg dir, enc A256GCM, "
		       "cty " ESFD_CONFIRM_CTY ")" : "not a JWE compact serialization";
		rsc = err == -EOPNOTSUPP ? 4111 : 5210;
	} else {
		rsc = esprim_header(d, peer, &in, why);
	}
	/* Only the header's cheap checks come before the derivation. */
	if (!rsc && !kdf_allowed(d, esfd_peer_rt(d, peer))) {
		*why = kdf_why;
		rsc = ESFD_RSC_THROTTLED;
	}
	if (!rsc)
		rsc = esprim_keys(d, peer, &in, why);
	if (!rsc)
		rsc = esprim_accept(d, peer, &in, pc, why);
	json_decref(in.p.j.hdr);
	json_decref(in.p.body);
	explicit_bzero(&in, sizeof(in));
	return rsc;
}

int esfd_peer_request(struct esfd *d, const struct esfd_peer *peer,
		      const struct esfd_m2m_req *req, const struct esfd_seci *s,
		      json_t **pc, const char **why)
{
	/* A dynamic peer has no pairwise key to run ESPrim or ESCertKE on. */
	if (peer->dynamic) {
		*why = "a peer met by peer-to-peer agreement: esf:p2q only";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	if (s->sit == ESFD_SIT_RAND_REQ)
		return rand_req(d, peer, req, pc, why);
	if (s->sit == ESFD_SIT_ESPRIM)
		return esprim_req(d, peer, s->esprim, pc, why);
	if (s->sit == ESFD_SIT_CERTKE)
		return certke_req(d, peer, s, pc, why);
	*why = "securityInfoType not accepted in a request";
	return ESFD_RSC_BAD_REQUEST;
}

/* Originator side ------------------------------------------------------------ */

static struct esfd_exch *exch_by_rqi(struct esfd *d, const char *peer_id, const char *rqi)
{
	struct esfd_exch *x;

	for (x = d->exchs; x; x = x->next)
		if (!strcmp(x->rqi, rqi) && !strcmp(x->peer_id, peer_id))
			return x;
	return NULL;
}

static void waiter_reply(struct esfd *d, struct esfd_waiter *w, const struct esfd_pair *pair,
			 int err, int rsc, const char *msg)
{
	if (w->fd < 0)
		return;
	if (msg && err)
		esfd_ctl_reply_error(d, w->fd, err, rsc, msg);
	else
		esfd_ctl_reply_pair(d, w->fd, pair, err, rsc);
	w->fd = -1;
}

void esfd_exch_finish(struct esfd *d, struct esfd_exch *x, const struct esfd_pair *pair,
		      int err, int rsc, const char *msg)
{
	char p2p_id[ESFD_ID_MAX + 1] = "";
	struct esfd_exch **pp;
	struct esfd_pair *old;
	size_t i;

	for (i = 0; i < ESFD_WAITERS_MAX; i++)
		waiter_reply(d, &x->waiters[i], pair, err, rsc, msg);
	if (err) {
		d->failures++;
		log_warn("peer %s class %u: establishment failed: %s%s%s", x->peer_id,
			 x->data_class, msg ? msg : strerror(-err),
			 rsc ? ", oneM2M " : "", rsc ? esf_onem2m_rsc_name(rsc) : "");
		/* Let a later soft EXPIRE or request try again. */
		for (old = d->pairs; old; old = old->next) {
			if (old->seal_id == x->rekey_of) {
				old->rekeying = false;
				old->rekey_after = esfd_now(d) + 5;
			}
		}
	}
	for (pp = &d->exchs; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	free(x->msg);
	esfd_certke_free(x->ck);
	if (err && esfd_p2p_find(d, x->peer_id))
		snprintf(p2p_id, sizeof(p2p_id), "%s", x->peer_id);
	esfd_p2p_x_free(x->p2p);
	explicit_bzero(x, sizeof(*x));
	free(x);
	/* A dynamic peer whose first agreement failed leaves no trace. */
	if (p2p_id[0])
		esfd_p2p_forget_unused(d, p2p_id);
}

void esfd_exch_free(struct esfd *d, struct esfd_exch *x, int err, int rsc)
{
	esfd_exch_finish(d, x, NULL, err, rsc, NULL);
}

void esfd_exch_cancel(struct esfd *d, struct esfd_exch *x, const char *why)
{
	esfd_exch_finish(d, x, NULL, -ECANCELED, 0, why);
}

/* Publish the current request; when the broker is down it goes out as soon
 * as it is up again (esfd_peer_broker_up()).
 */
static void exch_send(struct esfd *d, struct esfd_exch *x)
{
	const struct esfd_peer *peer = esfd_peer_by_id(d, x->peer_id);
	int64_t now = esfd_now_ms(d);
	int max = (int)d->cfg.mqtt.retransmit_ms * ESFD_RETRANSMIT_BACKOFF;

	if (!x->msg || !peer || !esfd_transport_up(d) ||
	    esfd_transport_request(d, peer, x->msg, &x->mid))
		return;
	if (x->sends++)
		d->retransmits++;
	x->acked = false;
	x->next_send_ms = now + x->interval_ms;
	x->interval_ms = x->interval_ms * 2 > max ? max : x->interval_ms * 2;
}

int esfd_exch_request_pc(struct esfd *d, struct esfd_exch *x, json_t *pc)
{
	int64_t left = (x->deadline_ms - esfd_now_ms(d)) / 1000 + 1;
	json_t *req;

	snprintf(x->rqi, sizeof(x->rqi), "esfd-%016" PRIx64 "-%u", x->id, ++x->step);
	req = esfd_m2m_request(ESFD_M2M_NOTIFY, x->peer_id, d->cfg.id, x->rqi,
			       esfd_now(d) + left, pc);
	free(x->msg);
	x->msg = req ? esfd_m2m_dump(req) : NULL;
	json_decref(req);
	if (!x->msg)
		return -ENOMEM;
	x->sends = 0;
	x->acked = true;
	x->interval_ms = (int)d->cfg.mqtt.retransmit_ms;
	x->next_send_ms = 0;
	exch_send(d, x);
	return 0;
}

/* Make the NOTIFY carrying @s, with a fresh rqi, the request in flight. */
static int exch_request(struct esfd *d, struct esfd_exch *x, const struct esfd_seci *s)
{
	json_t *pc = NULL;
	int err = esfd_seci_content(s, &pc);

	return err ? err : esfd_exch_request_pc(d, x, pc);
}

/* A certificate peer with no pairwise key yet: ESCertKE first, our
 * ClientHello in the first sit 6 request.
 */
static int exch_certke_start(struct esfd *d, const struct esfd_peer *peer,
			     struct esfd_exch *x)
{
	struct esfd_seci s = { .sit = ESFD_SIT_CERTKE };
	int err;

	if (!d->tls)
		return -ENOKEY;
	esfd_certke_free(x->ck);
	x->ck = NULL;
	err = esfd_certke_new(d->tls, true, peer->id, esfd_now(d), &x->ck);
	if (!err)
		err = esfd_certke_step(x->ck, NULL, 0, &s.certke, &s.certke_len);
	if (!err) {
		x->state = EXCH_WAIT_CERTKE1;
		err = exch_request(d, x, &s);
	}
	free(s.certke);
	return err;
}

/* A facilitator peer without its key: ask the facilitator, and wait for
 * esfd_peer_fac_ready(); nothing to send to the peer meanwhile.
 */
static int exch_fac_wait(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x)
{
	x->state = EXCH_WAIT_FAC;
	free(x->msg);
	x->msg = NULL;
	x->acked = false;
	x->next_send_ms = INT64_MAX;
	return esfd_fac_need(d, peer, NULL);
}

static int exch_rand_request(struct esfd *d, struct esfd_exch *x)
{
	struct esfd_seci s = { .sit = ESFD_SIT_RAND_REQ };

	x->state = EXCH_WAIT_RAND;
	explicit_bzero(x->skey, sizeof(x->skey));
	return exch_request(d, x, &s);
}

/* Join an establishment already under way for this peer and class. */
static int exch_join(struct esfd_exch *x, int waiter_fd, int timeout_ms, int64_t now)
{
	size_t i;

	if (waiter_fd < 0)
		return -EALREADY;
	for (i = 0; i < ESFD_WAITERS_MAX; i++) {
		if (x->waiters[i].fd < 0) {
			x->waiters[i] = (struct esfd_waiter){ waiter_fd, now + timeout_ms };
			return -EINPROGRESS;
		}
	}
	return -EBUSY;
}

int esfd_establish(struct esfd *d, const struct esfd_peer *peer, uint8_t data_class,
		   int waiter_fd, int timeout_ms, uint32_t rekey_of)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	int64_t now = esfd_now_ms(d);
	struct esfd_exch *x;
	size_t i;
	int err;

	if (data_class < 1 || data_class > 3 || !(pol->data_classes & (1u << data_class)) ||
	    esfd_peer_funnel_refuses(peer, data_class))
		return -EPERM;
	if (timeout_ms <= 0)
		timeout_ms = ESFD_TIMEOUT_MS;
	for (x = d->exchs; x; x = x->next)
		if (x->data_class == data_class && !strcmp(x->peer_id, peer->id))
			return exch_join(x, waiter_fd, timeout_ms, now);
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	for (i = 0; i < ESFD_WAITERS_MAX; i++)
		x->waiters[i].fd = -1;
	x->waiters[0] = (struct esfd_waiter){ waiter_fd, now + timeout_ms };
	snprintf(x->peer_id, sizeof(x->peer_id), "%s", peer->id);
	x->data_class = data_class;
	x->rekey_of = rekey_of;
	x->deadline_ms = now + (timeout_ms > ESFD_EXCH_LIFETIME_MS ? timeout_ms :
				ESFD_EXCH_LIFETIME_MS);
	if (getrandom(&x->id, sizeof(x->id), 0) != sizeof(x->id)) {
		free(x);
		return -EIO;
	}
	x->next = d->exchs;
	d->exchs = x;
	if (peer->dynamic)
		err = esfd_p2p_initiate(d, peer, x);
	else if (peer->cert && !esfd_peer_rt(d, peer)->ck.valid)
		err = exch_certke_start(d, peer, x);
	else if (peer->fac && !esfd_peer_rt(d, peer)->ck.valid)
		err = exch_fac_wait(d, peer, x);
	else
		err = exch_rand_request(d, x);
	if (err) {
		x->waiters[0].fd = -1;
		esfd_exch_finish(d, x, NULL, err, 0, NULL);
		return err;
	}
	log_info("peer %s class %u: %s (request %s)%s", peer->id, data_class,
		 x->state == EXCH_WAIT_CERTKE1 ? "ESCertKE first, sent our ClientHello" :
		 x->state == EXCH_WAIT_P2P ? "peer-to-peer agreement, sent our request" :
		 x->state == EXCH_WAIT_FAC ? "the pairwise key from the facilitator first" :
		 "asking for a receiver rand object", x->rqi[0] ? x->rqi : "none yet",
		 esfd_transport_up(d) ? "" : "; the MQTT broker is down: sent when it is back");
	return -EINPROGRESS;
}

static void on_rand_resp(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x,
			 const struct esfd_randobj *ro_r)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	uint8_t kg = ESFD_KEYGEN_HMAC_SHA256, pr = (uint8_t)esfd_esprim_prot(pol->key_bits);
	struct esfd_seci s = { .sit = ESFD_SIT_ESPRIM };
	struct esfd_pair_keys pk;
	uint8_t kc[32];
	int err;

	memset(&pk, 0, sizeof(pk));
	x->ro_r = *ro_r;
	err = esfd_randobj_new(&x->ro_o, esfd_now(d), pol->rand_lifetime, &kg, 1, &pr, 1);
	if (!err && esfd_randobj_choose_prot(&x->ro_r, &x->ro_o) != pr)
		err = -EOPNOTSUPP;
	if (!err)
		err = esfd_session_key(d, peer, &x->ro_r, &x->ro_o, x->skey);
	if (!err)
		err = esfd_confirm_key(x->skey, true, kc);
	if (!err)
		err = esfd_pair_keys(d, peer, x->data_class, x->skey, &x->ro_r, &x->ro_o, &pk);
	if (!err)
		err = esfd_confirm_seal(kc, esfd_peer_kid(d, peer), x->ro_o.id, x->ro_r.id, &x->ro_o, &pk,
					x->data_class, &s.esprim);
	explicit_bzero(kc, sizeof(kc));
	explicit_bzero(&pk, sizeof(pk));
	if (!err) {
		x->state = EXCH_WAIT_CONFIRM;
		err = exch_request(d, x, &s);
	}
	free(s.esprim);
	if (err) {
		log_warn("peer %s: receiver rand object %s: %s", peer->id, x->ro_r.id,
			 strerror(-err));
		esfd_exch_finish(d, x, NULL, err, err == -EOPNOTSUPP ? 4111 : 0, NULL);
		return;
	}
	log_debug("peer %s: got receiver rand object %s; sent ESPrim Object with oro %s (%s)",
		  peer->id, x->ro_r.id, x->ro_o.id, x->rqi);
}

static void on_esprim_resp(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x,
			   const char *epo)
{
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	struct esfd_pair_keys pk;
	struct esfd_confirm p;
	struct esfd_pair *pair;
	uint8_t kc[32], cls = 0;
	int err;

	err = esfd_confirm_parse(epo, &p);
	if (!err && (strcmp(esfd_confirm_hdr(&p, "kid"), esfd_peer_kid(d, peer)) ||
		     strcmp(esfd_confirm_hdr(&p, "ori"), x->ro_o.id) ||
		     strcmp(esfd_confirm_hdr(&p, "rri"), x->ro_r.id) ||
		     json_object_get(p.j.hdr, "oro")))
		err = -EPROTO;
	if (!err)
		err = esfd_confirm_key(x->skey, false, kc);
	if (!err)
		err = esfd_confirm_open(&p, kc, &cls);
	explicit_bzero(kc, sizeof(kc));
	json_decref(p.j.hdr);
	if (!err && cls != x->data_class)
		err = -EPROTO;
	if (err) {
		/* Not from the holder of the key: ignore it and keep waiting. */
		json_decref(p.body);
		esfd_drop(d, DROP_UNAUTH, peer->id, "an ESPrim Object that does not open "
			  "under the key of the pending establishment");
		return;
	}
	err = esfd_pair_keys(d, peer, cls, x->skey, &x->ro_r, &x->ro_o, &pk);
	/* The receiver checked the same; a mismatch here is a bug or a race
	 * with a reload.
	 */
	if (!err && !esfd_confirm_same_pair(&p, &pk))
		err = -EPROTO;
	json_decref(p.body);
	if (!err)
		err = esfd_pair_install(d, peer, cls, &pk, &x->ro_r, &x->ro_o, true, &pair);
	explicit_bzero(&pk, sizeof(pk));
	if (err) {
		esfd_exch_finish(d, x, NULL, err, 0, NULL);
		return;
	}
	if (x->rekey_of)
		d->rekeys++;
	esfd_pair_promote(d, pair);
	rt->established++;
	d->established++;
	esfd_exch_finish(d, x, pair, 0, 0, NULL);
}

/* The server's flight: our next one, or, after its Finished, the key and
 * on to the ESPrim establishment.
 */
static void on_certke_resp(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x,
			   const struct esfd_seci *in)
{
	struct esfd_seci s = { .sit = ESFD_SIT_CERTKE };
	char msg[240];
	int err;

	err = esfd_certke_step(x->ck, in->certke, in->certke_len, &s.certke, &s.certke_len);
	if (!err && x->state == EXCH_WAIT_CERTKE1 && (x->ck->done || !s.certke))
		err = -EPROTO;
	if (!err && x->state == EXCH_WAIT_CERTKE2 && (!x->ck->done || s.certke))
		err = -EPROTO;
	if (err) {
		free(s.certke);
		if (x->ck->reason == ESFD_CERT_OK)
			snprintf(x->ck->why, sizeof(x->ck->why), "the server's flight does not "
				 "end the handshake where it should");
		certke_refused(d, peer, x->ck);
		snprintf(msg, sizeof(msg), "ESCertKE: %.200s (%s)", x->ck->why,
			 esfd_cert_reason_name(x->ck->reason == ESFD_CERT_OK ?
					       ESFD_CERT_HANDSHAKE : x->ck->reason));
		esfd_exch_finish(d, x, NULL, err == -EKEYREJECTED ? -EKEYREJECTED : -EPROTO, 0, msg);
		return;
	}
	if (x->state == EXCH_WAIT_CERTKE1) {
		x->state = EXCH_WAIT_CERTKE2;
		err = exch_request(d, x, &s);
		free(s.certke);
		if (err)
			esfd_exch_finish(d, x, NULL, err, 0, NULL);
		return;
	}
	err = certkey_keep(d, peer, x->ck);
	esfd_certke_free(x->ck);
	x->ck = NULL;
	if (!err)
		err = exch_rand_request(d, x);
	if (err)
		esfd_exch_finish(d, x, NULL, err, 0, NULL);
}

/* A refusal: the end, or a new start when the receiver lost our rand
 * objects (4113, 4114: it restarted, or the answer came too late), or,
 * for a certificate peer, our ESCertKE key (4112: it restarted).
 */
static void on_refusal(struct esfd *d, struct esfd_exch *x, int rsc)
{
	const struct esfd_peer *peer = esfd_peer_by_id(d, x->peer_id);
	char msg[160];

	if (peer && peer->cert && x->state == EXCH_WAIT_CONFIRM && rsc == 4112 &&
	    x->restarts < ESFD_EXCH_RESTARTS) {
		x->restarts++;
		log_warn("peer %s class %u: the receiver does not know our ESCertKE key id "
			 "(4112); ESCertKE again", x->peer_id, x->data_class);
		esfd_certkey_drop(&esfd_peer_rt(d, peer)->ck);
		if (!exch_certke_start(d, peer, x))
			return;
	}

	/* A reader of a facilitator's key: the owner registered a new one. */
	if (peer && peer->fac && !peer->fac_register && x->state == EXCH_WAIT_CONFIRM &&
	    rsc == 4112 && x->restarts < ESFD_EXCH_RESTARTS) {
		x->restarts++;
		log_warn("peer %s class %u: the peer does not know our key id (4112); "
			 "retrieving its key again", x->peer_id, x->data_class);
		esfd_certkey_drop(&esfd_peer_rt(d, peer)->ck);
		if (!exch_fac_wait(d, peer, x))
			return;
	}

	if (x->state == EXCH_WAIT_CONFIRM && (rsc == 4113 || rsc == 4114) &&
	    x->restarts < ESFD_EXCH_RESTARTS) {
		x->restarts++;
		log_warn("peer %s class %u: the receiver refused the ESPrim Object (%d %s); "
			 "starting again", x->peer_id, x->data_class, rsc,
			 esf_onem2m_rsc_name(rsc));
		if (!exch_rand_request(d, x))
			return;
	}
	snprintf(msg, sizeof(msg), "refused by the peer: oneM2M %d %s", rsc,
		 esf_onem2m_rsc_name(rsc));
	esfd_exch_finish(d, x, NULL, -ECONNREFUSED, rsc, msg);
}

void esfd_peer_response(struct esfd *d, const struct esfd_peer *peer,
			const struct esfd_m2m_rsp *rsp)
{
	struct esfd_exch *x = rsp->rqi ? exch_by_rqi(d, peer->id, rsp->rqi) : NULL;
	struct esfd_seci s;
	int err;

	if (!x || x->state == EXCH_WAIT_FAC) {
		esfd_drop(d, DROP_UNMATCHED, peer->id, "a response to no pending request "
			  "(a late duplicate?)");
		return;
	}
	if (x->state == EXCH_WAIT_P2P) {
		esfd_p2p_response(d, peer, x, rsp);
		return;
	}
	if (rsp->rsc != ESFD_RSC_OK) {
		on_refusal(d, x, rsp->rsc);
		return;
	}
	err = esfd_seci_read(rsp->pc, true, esfd_now(d), rand_max_lifetime(d), &s);
	if (!err && s.sit != (x->state == EXCH_WAIT_RAND ? ESFD_SIT_RAND_RESP :
			      x->state == EXCH_WAIT_CONFIRM ? ESFD_SIT_ESPRIM : ESFD_SIT_CERTKE))
		err = -EPROTO;
	if (err == -EKEYEXPIRED || err == -EOPNOTSUPP) {
		esfd_exch_finish(d, x, NULL, err, err == -EOPNOTSUPP ? 4111 : 0,
			    err == -EKEYEXPIRED ? "the receiver rand object has expired "
			    "(clocks apart?)" : "the receiver offers no supported algorithm");
	} else if (err) {
		esfd_drop(d, DROP_MALFORMED, peer->id, "a response whose securityInfo does not "
			  "answer the request");
	} else if (x->state == EXCH_WAIT_CERTKE1 || x->state == EXCH_WAIT_CERTKE2) {
		on_certke_resp(d, peer, x, &s);
	} else if (x->state == EXCH_WAIT_RAND) {
		on_rand_resp(d, peer, x, &s.rand);
	} else {
		on_esprim_resp(d, peer, x, s.esprim);
	}
	esfd_seci_free(&s);
}

void esfd_peer_fac_ready(struct esfd *d, const struct esfd_peer *peer, int err, int rsc,
			 const char *msg)
{
	struct esfd_exch *x;
	int e;

again:
	for (x = d->exchs; x; x = x->next) {
		if (x->state != EXCH_WAIT_FAC || strcmp(x->peer_id, peer->id))
			continue;
		e = err ? err : exch_rand_request(d, x);
		if (e) {
			esfd_exch_finish(d, x, NULL, e, rsc, err ? msg : NULL);
			goto again;	/* the list changed */
		}
	}
}

/* Broker and timers ---------------------------------------------------------- */

void esfd_peer_broker_up(struct esfd *d)
{
	struct esfd_exch *x;

	/* Whatever the last connection carried may be lost: send again now. */
	for (x = d->exchs; x; x = x->next) {
		x->acked = true;
		x->next_send_ms = 0;
		x->interval_ms = (int)d->cfg.mqtt.retransmit_ms;
	}
}

void esfd_peer_published(struct esfd *d, int mid)
{
	struct esfd_exch *x;

	for (x = d->exchs; x; x = x->next)
		if (x->sends && x->mid == mid)
			x->acked = true;
}

/* Why a waiter timed out, in words an operator can act on. */
static void timeout_reason(struct esfd *d, const struct esfd_exch *x, char *msg, size_t n)
{
	const struct esfd_mqtt_stats *st = esfd_mqtt_stats(d->mqtt);
	int64_t left = (x->deadline_ms - esfd_now_ms(d)) / 1000;

	if (!esfd_transport_up(d))
		snprintf(msg, n, "timed out: the MQTT broker %.100s port %u is %s (%.120s); esfd keeps "
			 "trying for %llds", d->cfg.mqtt.broker.host, d->cfg.mqtt.broker.port,
			 esfd_mqtt_state_name(esfd_mqtt_state(d->mqtt)),
			 st->last_error[0] ? st->last_error : "no error yet", (long long)left);
	else
		snprintf(msg, n, "timed out: no answer from %.100s through the broker (%u requests "
			 "sent); esfd keeps trying for %llds", x->peer_id, x->sends,
			 (long long)left);
}

static void exch_tick(struct esfd *d, struct esfd_exch *x, int64_t now)
{
	char msg[384];
	size_t i;

	for (i = 0; i < ESFD_WAITERS_MAX; i++) {
		if (x->waiters[i].fd >= 0 && now >= x->waiters[i].deadline_ms) {
			timeout_reason(d, x, msg, sizeof(msg));
			waiter_reply(d, &x->waiters[i], NULL, -ETIMEDOUT, 0, msg);
		}
	}
	if (now >= x->deadline_ms) {
		timeout_reason(d, x, msg, sizeof(msg));
		esfd_exch_finish(d, x, NULL, -ETIMEDOUT, 0, msg);
	} else if (now >= x->next_send_ms && x->acked) {
		/* A copy the broker has not acknowledged yet is not repeated: a
		 * slow broker gets one copy at a time.
		 */
		exch_send(d, x);
	}
}

void esfd_exch_timer(struct esfd *d)
{
	struct esfd_exch *x, *nx;
	int64_t now = esfd_now_ms(d);

	for (x = d->exchs; x; x = nx) {
		nx = x->next;
		exch_tick(d, x, now);
	}
}
