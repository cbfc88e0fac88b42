// SPDX-License-Identifier: GPL-2.0
/*
 * The trusted third party (TR-0012's TTP key establishment; the MAF of
 * TS-0003): docs/esfd.md, "Trusted third party (facilitator)"; messages in
 * facmsg.h.
 *
 * The facilitator is an esfd with a [facilitator] section. Its clients are
 * its Kpsa peers. An owner (a constrained device that cannot do ECDSA)
 * makes a random key for one of its own peers, the reader, and registers
 * it; the reader retrieves it if the facilitator's access-control list
 * lets it. Both then use it as the Kpsa of that pair, with its key id as
 * the KpsaId, in the ESPrim establishment of peer.c. The facilitator keeps
 * the keys in a private store file, so that a restart keeps them.
 *
 * The client's requests travel on the group request machinery (group.c):
 * one in flight per peer, retransmitted until answered.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "esfd.h"
#include "keys.h"

static size_t peer_index(const struct esfd *d, const struct esfd_peer *p)
{
	return (size_t)(p - d->cfg.peers);
}

static const char *const refusal_names[FAC_REFUSED__N] = {
	[FAC_REFUSED_ACL] = "acl",
	[FAC_REFUSED_NO_KEY] = "no_key",
	[FAC_REFUSED_UNAUTH] = "unauthenticated",
	[FAC_REFUSED_MALFORMED] = "malformed",
	[FAC_REFUSED_FULL] = "full",
};

/* The key of the messages between the facilitator and @client, over the
 * Kpsa shared with @peer (the other end of the link).
 */
static int link_key(struct esfd *d, const struct esfd_peer *peer, const char *client,
		    uint8_t lk[32])
{
	uint8_t k14[32];
	int err = esfd_peer_k14(d, peer, k14);

	if (!err)
		err = esfd_fac_link_key(k14, client, lk);
	OPENSSL_cleanse(k14, sizeof(k14));
	return err;
}

/* The facilitator ------------------------------------------------------------ */

static int store_path(const struct esfd *d, char *out, size_t n)
{
	const char *store = d->cfg.fac->store ? d->cfg.fac->store : ESFD_FAC_STORE_DEF;
	char dir[4096];

	if (store[0] == '/')
		return snprintf(out, n, "%s", store) >= (int)n ? -ENAMETOOLONG : 0;
	snprintf(dir, sizeof(dir), "%s", d->state_path);
	return snprintf(out, n, "%s/%s", dirname(dir), store) >= (int)n ? -ENAMETOOLONG : 0;
}

static void fac_free(struct esfd *d)
{
	if (!d->fac)
		return;
	OPENSSL_cleanse(d->fac->keys, ESFD_FAC_KEYS_MAX * sizeof(*d->fac->keys));
	free(d->fac->keys);
	free(d->fac);
	d->fac = NULL;
}

int esfd_fac_start(struct esfd *d)
{
	char why[300] = "";
	int err;

	if (!d->cfg.fac) {
		fac_free(d);
		return 0;
	}
	if (d->fac)
		return 0;	/* a reload: the keys held stay, under the new ACL */
	d->fac = calloc(1, sizeof(*d->fac));
	if (d->fac)
		d->fac->keys = calloc(ESFD_FAC_KEYS_MAX, sizeof(*d->fac->keys));
	if (!d->fac || !d->fac->keys) {
		fac_free(d);
		return -ENOMEM;
	}
	err = store_path(d, d->fac->path, sizeof(d->fac->path));
	if (!err)
		err = esfd_fac_store_load(d->fac->path, esfd_now(d), d->fac->keys,
					  ESFD_FAC_KEYS_MAX, &d->fac->n, why, sizeof(why));
	if (err) {
		log_err("facilitator: the key store %s", why[0] ? why : strerror(-err));
		fac_free(d);
		return err;
	}
	log_info("facilitator: %zu keys from %s; the access-control list has %zu owner%s",
		 d->fac->n, d->fac->path, d->cfg.fac->n_allow, d->cfg.fac->n_allow == 1 ? "" : "s");
	return 0;
}

void esfd_fac_shutdown(struct esfd *d)
{
	fac_free(d);
}

static int fac_save(struct esfd *d)
{
	int err = esfd_fac_store_save(d->fac->path, d->fac->keys, d->fac->n);

	if (err)
		log_err("facilitator: writing the key store %s: %s", d->fac->path,
			strerror(-err));
	return err;
}

static void key_remove(struct esfd *d, size_t i)
{
	struct esfd_fac_rt *f = d->fac;

	OPENSSL_cleanse(&f->keys[i], sizeof(f->keys[i]));
	memmove(&f->keys[i], &f->keys[i + 1], (f->n - i - 1) * sizeof(f->keys[0]));
	f->n--;
	OPENSSL_cleanse(&f->keys[f->n], sizeof(f->keys[0]));
}

/* Drop the expired keys; Return: whether any went. */
static bool fac_expire(struct esfd *d)
{
	bool any = false;
	size_t i;

	for (i = 0; d->fac && i < d->fac->n;) {
		if (d->fac->keys[i].expires > esfd_now(d)) {
			i++;
			continue;
		}
		log_info("facilitator: key %s of %s for %s expired", d->fac->keys[i].kid,
			 d->fac->keys[i].own, d->fac->keys[i].rdr);
		key_remove(d, i);
		any = true;
	}
	return any;
}

static int refuse(struct esfd *d, enum esfd_fac_refusal r, int rsc, const char **why,
		  const char *text)
{
	d->fac->refused[r]++;
	*why = text;
	return rsc;
}

static int serve_register(struct esfd *d, const struct esfd_peer *owner,
			  struct esfd_facmsg *m, const char **why)
{
	const struct esfd_peer *rdr = esfd_config_peer_by_id(&d->cfg, m->who);
	struct esfd_fac_rt *f = d->fac;
	int64_t lft = d->cfg.fac->key_lifetime, now = esfd_now(d);
	size_t i, same = 0, oldest = SIZE_MAX;
	struct esfd_fac_key *k;

	if (!rdr || !esfd_fac_allowed(&d->cfg, peer_index(d, owner), peer_index(d, rdr)))
		return refuse(d, FAC_REFUSED_ACL, ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, why,
			      "outside the access-control list: no reader of this owner's keys "
			      "has that id");
	for (i = 0; i < f->n; i++) {
		k = &f->keys[i];
		if (strcmp(k->own, owner->id))
			continue;
		if (!strcmp(k->kid, m->kid)) {
			/* The same registration again (a lost answer): keep it. */
			if (!strcmp(k->rdr, m->who) && esfd_ct_equal(k->key, m->key, sizeof(k->key)))
				return 0;
			return refuse(d, FAC_REFUSED_MALFORMED, ESFD_RSC_BAD_REQUEST, why,
				      "the owner already registered another key under this key id");
		}
		if (!strcmp(k->rdr, m->who)) {
			same++;
			if (oldest == SIZE_MAX || k->registered < f->keys[oldest].registered)
				oldest = i;
		}
	}
	/* The newest and the one before it: pairs keyed from it may rekey. */
	if (same >= ESFD_FAC_PER_PAIR)
		key_remove(d, oldest);
	if (f->n >= ESFD_FAC_KEYS_MAX)
		return refuse(d, FAC_REFUSED_FULL, 5207, why, "the facilitator holds as many "
			      "keys as it can");
	if (m->lft && m->lft < lft)
		lft = m->lft;
	k = &f->keys[f->n++];
	snprintf(k->own, sizeof(k->own), "%s", owner->id);
	snprintf(k->rdr, sizeof(k->rdr), "%s", m->who);
	memcpy(k->kid, m->kid, sizeof(k->kid));
	memcpy(k->key, m->key, sizeof(k->key));
	k->registered = now;
	k->expires = now + lft;
	if (fac_save(d)) {
		key_remove(d, f->n - 1);
		return refuse(d, FAC_REFUSED_FULL, 5207, why, "the facilitator cannot write "
			      "its key store");
	}
	f->registered++;
	log_info("facilitator: %s registered key %s for %s, kept %llds", owner->id, k->kid,
		 k->rdr, (long long)lft);
	return 0;
}

/* The newest key of @own for @rdr (with id @kid, when given); or NULL. */
static const struct esfd_fac_key *key_find(struct esfd *d, const char *own, const char *rdr,
					   const char *kid)
{
	const struct esfd_fac_key *best = NULL, *k;
	size_t i;

	for (i = 0; i < d->fac->n; i++) {
		k = &d->fac->keys[i];
		if (strcmp(k->own, own) || strcmp(k->rdr, rdr) || (kid[0] && strcmp(k->kid, kid)) ||
		    k->expires <= esfd_now(d))
			continue;
		if (!best || k->registered >= best->registered)
			best = k;
	}
	return best;
}

static int serve_retrieve(struct esfd *d, const struct esfd_peer *rdr, struct esfd_facmsg *m,
			  const char **why)
{
	const struct esfd_peer *own = esfd_config_peer_by_id(&d->cfg, m->who);
	const struct esfd_fac_key *k;

	if (!own || !esfd_fac_allowed(&d->cfg, peer_index(d, own), peer_index(d, rdr)))
		return refuse(d, FAC_REFUSED_ACL, ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, why,
			      "outside the access-control list: this reader may not retrieve "
			      "that owner's keys");
	k = key_find(d, own->id, rdr->id, m->kid);
	if (!k)
		return refuse(d, FAC_REFUSED_NO_KEY, ESFD_RSC_NOT_FOUND, why,
			      m->kid[0] ? "no such key: the owner registered no key of that id "
			      "for this reader, or it expired" : "no such key: the owner has "
			      "registered no key for this reader");
	memcpy(m->kid, k->kid, sizeof(m->kid));
	memcpy(m->key, k->key, sizeof(m->key));
	m->exp = k->expires;
	d->fac->retrieved++;
	log_info("facilitator: %s retrieved key %s of %s", rdr->id, k->kid, own->id);
	return 0;
}

int esfd_fac_request(struct esfd *d, const struct esfd_peer *peer,
		     const struct esfd_m2m_req *req, json_t **pc, const char **why)
{
	enum esfd_fac_kind kind = esfd_fac_kind_of(req->pc);
	struct esfd_facmsg m;
	uint8_t lk[32], nnc[ESFD_FAC_NONCE_LEN];
	int rsc = 0;

	if (!d->fac) {
		*why = "this entity is no facilitator";
		return ESFD_RSC_OPERATION_NOT_ALLOWED;
	}
	/* Clients share a Kpsa with the facilitator; a peer whose own key
	 * comes from elsewhere is none.
	 */
	if (esfd_peer_runtime_key(peer))
		return refuse(d, FAC_REFUSED_ACL, ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, why,
			      "outside the access-control list: not a credential = kpsa peer "
			      "of the facilitator");
	fac_expire(d);
	if ((kind != ESFD_FAC_REG_REQ && kind != ESFD_FAC_GET_REQ) ||
	    esfd_fac_read(req->pc, kind, &m))
		return refuse(d, FAC_REFUSED_MALFORMED, ESFD_RSC_BAD_REQUEST, why,
			      "not a facilitator request (esf:fkr, esf:fkq) with exactly its "
			      "members");
	if (link_key(d, peer, peer->id, lk)) {
		OPENSSL_cleanse(&m, sizeof(m));
		*why = "no key shared with this peer";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	if (esfd_fac_open(lk, &m, req->fr, req->to, req->rqi, NULL))
		rsc = refuse(d, FAC_REFUSED_UNAUTH, ESFD_RSC_BAD_REQUEST, why,
			     "does not open under the key shared with the facilitator");
	if (!rsc)
		rsc = kind == ESFD_FAC_REG_REQ ? serve_register(d, peer, &m, why) :
		      serve_retrieve(d, peer, &m, why);
	if (!rsc) {
		/* The answer binds the request's rqi and nonce. */
		memcpy(nnc, m.nnc, sizeof(nnc));
		m.kind = kind == ESFD_FAC_REG_REQ ? ESFD_FAC_REG_ANS : ESFD_FAC_GET_ANS;
		if (m.kind == ESFD_FAC_REG_ANS) {
			const struct esfd_fac_key *k = key_find(d, peer->id, m.who, m.kid);

			m.exp = k ? k->expires : esfd_now(d);
		}
		if (getrandom(m.iv, sizeof(m.iv), 0) != sizeof(m.iv) ||
		    esfd_fac_seal(lk, &m, d->cfg.id, req->fr, req->rqi, nnc) ||
		    !(*pc = esfd_fac_build(&m))) {
			*why = "sealing the answer failed";
			rsc = ESFD_RSC_INTERNAL_SERVER_ERROR;
		}
	}
	OPENSSL_cleanse(lk, sizeof(lk));
	OPENSSL_cleanse(&m, sizeof(m));
	return rsc ? rsc : ESFD_RSC_OK;
}

json_t *esfd_fac_ctl(struct esfd *d)
{
	json_t *r;
	int i;

	if (!d->fac)
		return json_null();
	r = json_object();
	for (i = 0; r && i < FAC_REFUSED__N; i++)
		json_object_set_new(r, refusal_names[i], json_integer((json_int_t)d->fac->refused[i]));
	return json_pack("{s:I,s:I,s:I,s:o*,s:s,s:I}", "keys", (json_int_t)d->fac->n,
			 "registered", (json_int_t)d->fac->registered,
			 "retrieved", (json_int_t)d->fac->retrieved, "refused", r,
			 "store", d->fac->path, "key_lifetime",
			 (json_int_t)d->cfg.fac->key_lifetime);
}

/* The clients ---------------------------------------------------------------- */

static struct esfd_greq *fac_req_find(struct esfd *d, const struct esfd_peer *peer)
{
	struct esfd_greq *q;

	for (q = d->greqs; q; q = q->next)
		if (q->fac && !strcmp(q->grp, peer->id))
			return q;
	return NULL;
}

/* Send @m (REG_REQ or GET_REQ) about @peer to its facilitator. */
static int fac_send(struct esfd *d, const struct esfd_peer *peer, struct esfd_facmsg *m)
{
	const struct esfd_peer *fp = &d->cfg.peers[peer->fac_peer];
	char rqi[ESFD_M2M_RQI_MAX + 1];
	struct esfd_greq *q;
	uint8_t lk[32];
	json_t *pc = NULL;
	int err;

	esfd_greq_rqi(rqi);
	err = getrandom(m->nnc, sizeof(m->nnc), 0) == sizeof(m->nnc) &&
	      getrandom(m->iv, sizeof(m->iv), 0) == sizeof(m->iv) ? 0 : -EIO;
	if (!err)
		err = link_key(d, fp, d->cfg.id, lk);
	if (!err)
		err = esfd_fac_seal(lk, m, d->cfg.id, fp->id, rqi, NULL);
	OPENSSL_cleanse(lk, sizeof(lk));
	if (!err)
		pc = esfd_fac_build(m);
	q = pc ? esfd_greq_new(d, peer->id, fp, false, pc, rqi) : NULL;
	if (!q)
		return err ? err : -ENOMEM;
	q->fac = m->kind;
	esfd_b64_encode(m->nnc, sizeof(m->nnc), true, q->nnc, sizeof(q->nnc));
	return 0;
}

static int fac_register(struct esfd *d, const struct esfd_peer *peer)
{
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	struct esfd_facmsg m = { .kind = ESFD_FAC_REG_REQ, .who = peer->id };
	uint8_t kid[ESFD_FAC_KID_LEN];
	int err;

	err = getrandom(rt->fac_key, sizeof(rt->fac_key), 0) == sizeof(rt->fac_key) &&
	      getrandom(kid, sizeof(kid), 0) == sizeof(kid) ? 0 : -EIO;
	if (!err)
		err = esfd_b64_encode(kid, sizeof(kid), true, rt->fac_kid, sizeof(rt->fac_kid));
	if (!err) {
		memcpy(m.kid, rt->fac_kid, sizeof(m.kid));
		memcpy(m.key, rt->fac_key, sizeof(m.key));
		err = fac_send(d, peer, &m);
	}
	OPENSSL_cleanse(&m, sizeof(m));
	if (err) {
		OPENSSL_cleanse(rt->fac_key, sizeof(rt->fac_key));
		return err;
	}
	log_info("peer %s: registering key %s with the facilitator %s", peer->id, rt->fac_kid,
		 d->cfg.peers[peer->fac_peer].id);
	return 0;
}

static int fac_retrieve(struct esfd *d, const struct esfd_peer *peer, const char *kid)
{
	struct esfd_facmsg m = { .kind = ESFD_FAC_GET_REQ, .who = peer->id };

	if (kid && strlen(kid) == ESFD_FAC_KID_B64)
		memcpy(m.kid, kid, sizeof(m.kid));
	log_info("peer %s: retrieving its key%s%s from the facilitator %s", peer->id,
		 m.kid[0] ? " " : "", m.kid, d->cfg.peers[peer->fac_peer].id);
	return fac_send(d, peer, &m);
}

int esfd_fac_need(struct esfd *d, const struct esfd_peer *peer, const char *kid)
{
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	int err;

	if (!peer->fac || fac_req_find(d, peer) || (kid && peer->fac_register))
		return 0;
	/* A request that refers to a key we do not hold: not more often than this. */
	if (kid && esfd_now_ms(d) < rt->fac_next_ms)
		return 0;
	rt->fac_next_ms = esfd_now_ms(d) + ESFD_FAC_RETRY_MS;
	err = peer->fac_register ? fac_register(d, peer) : fac_retrieve(d, peer, kid);
	if (err)
		log_warn("peer %s: asking the facilitator: %s", peer->id, strerror(-err));
	return err;
}

/* The facilitator's answer, checked: the key is now this peer's. */
static int fac_answer(struct esfd *d, const struct esfd_peer *peer, const struct esfd_greq *q,
		      const struct esfd_m2m_rsp *rsp)
{
	const struct esfd_peer *fp = &d->cfg.peers[peer->fac_peer];
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	enum esfd_fac_kind want = q->fac == ESFD_FAC_REG_REQ ? ESFD_FAC_REG_ANS : ESFD_FAC_GET_ANS;
	struct esfd_certkey *ck = &rt->ck;
	uint8_t lk[32], nnc[ESFD_FAC_NONCE_LEN];
	struct esfd_facmsg m;
	size_t n;
	int err;

	err = esfd_fac_read(rsp->pc, want, &m);
	if (!err)
		err = esfd_b64_decode(q->nnc, strlen(q->nnc), true, nnc, sizeof(nnc), &n) ||
		      n != sizeof(nnc) ? -EPROTO : 0;
	if (!err)
		err = link_key(d, fp, d->cfg.id, lk);
	if (!err)
		err = esfd_fac_open(lk, &m, fp->id, d->cfg.id, q->rqi, nnc);
	OPENSSL_cleanse(lk, sizeof(lk));
	/* What it answers about is what we asked about. */
	if (!err && (strcmp(m.who, peer->id) || m.exp <= esfd_now(d) ||
		     (want == ESFD_FAC_REG_ANS && strcmp(m.kid, rt->fac_kid))))
		err = -EPROTO;
	if (err) {
		OPENSSL_cleanse(&m, sizeof(m));
		return err;
	}
	esfd_certkey_drop(ck);
	memcpy(ck->key, want == ESFD_FAC_REG_ANS ? rt->fac_key : m.key, sizeof(ck->key));
	snprintf(ck->kid, sizeof(ck->kid), "%s", m.kid);
	ck->time = esfd_now(d);
	ck->expires = m.exp;
	ck->valid = true;
	if (want == ESFD_FAC_REG_ANS)
		rt->fac_registered++;
	else
		rt->fac_retrieved++;
	rt->fac_last_rsc = 0;
	OPENSSL_cleanse(rt->fac_key, sizeof(rt->fac_key));
	OPENSSL_cleanse(&m, sizeof(m));
	log_info("peer %s: key %s %s the facilitator %s, valid for %llds", peer->id, ck->kid,
		 want == ESFD_FAC_REG_ANS ? "registered with" : "retrieved from", fp->id,
		 (long long)(ck->expires - esfd_now(d)));
	return 0;
}

void esfd_fac_response(struct esfd *d, const struct esfd_peer *fpeer, struct esfd_greq *q,
		       const struct esfd_m2m_rsp *rsp)
{
	const struct esfd_peer *peer = esfd_config_peer_by_id(&d->cfg, q->grp);
	char msg[200];
	int err;

	if (!peer || !peer->fac || &d->cfg.peers[peer->fac_peer] != fpeer) {
		esfd_greq_free(d, q);
		return;
	}
	if (rsp->rsc != ESFD_RSC_OK) {
		struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);

		rt->fac_refused++;
		rt->fac_last_rsc = rsp->rsc;
		/* Refused: not again for a minute (an owner outside the ACL
		 * would otherwise register every few seconds for ever).
		 */
		rt->fac_next_ms = esfd_now_ms(d) + ESFD_FAC_REFUSED_MS;
		OPENSSL_cleanse(rt->fac_key, sizeof(rt->fac_key));
		snprintf(msg, sizeof(msg), "the facilitator refused to %s the key: oneM2M %d %s",
			 q->fac == ESFD_FAC_REG_REQ ? "register" : "give", rsp->rsc,
			 esf_onem2m_rsc_name(rsp->rsc));
		log_warn("peer %s: %s", peer->id, msg);
		esfd_greq_free(d, q);
		esfd_peer_fac_ready(d, peer, -ECONNREFUSED, rsp->rsc, msg);
		return;
	}
	err = fac_answer(d, peer, q, rsp);
	esfd_greq_free(d, q);
	if (err) {
		esfd_drop(d, DROP_UNAUTH, fpeer->id, "a facilitator answer that does not open "
			  "or does not answer the request");
		esfd_peer_fac_ready(d, peer, -EBADMSG, 0, "the facilitator's answer does not "
				    "open under the key shared with it");
		return;
	}
	esfd_peer_fac_ready(d, peer, 0, 0, NULL);
}

void esfd_fac_expired(struct esfd *d, struct esfd_greq *q)
{
	const struct esfd_peer *peer = esfd_config_peer_by_id(&d->cfg, q->grp);

	esfd_greq_free(d, q);
	if (peer && peer->fac)
		esfd_peer_fac_ready(d, peer, -ETIMEDOUT, 0, "the facilitator did not answer");
}

void esfd_fac_timer(struct esfd *d)
{
	int64_t now = esfd_now(d);
	size_t i;

	if (d->fac && fac_expire(d))
		fac_save(d);
	for (i = 0; i < d->cfg.n_peers; i++) {
		const struct esfd_peer *peer = &d->cfg.peers[i];
		struct esfd_certkey *ck = &d->rt[i].ck;

		if (!peer->fac)
			continue;
		if (ck->valid && now >= ck->expires) {
			log_info("peer %s: key %s from the facilitator expired", peer->id, ck->kid);
			esfd_certkey_drop(ck);
		}
		if (!peer->fac_register || fac_req_find(d, peer) ||
		    esfd_now_ms(d) < d->rt[i].fac_next_ms)
			continue;
		/* The owner registers at once, and again within the last tenth
		 * of the key's life, so that the reader finds the next key
		 * before the last one goes.
		 */
		if (!ck->valid || now >= ck->expires - (ck->expires - ck->time) / 10)
			esfd_fac_need(d, peer, NULL);
	}
}

json_t *esfd_fac_peer_ctl(struct esfd *d, const struct esfd_peer *peer)
{
	const struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	const struct esfd_certkey *ck = &rt->ck;

	return json_pack("{s:s,s:s,s:s?,s:I,s:I,s:I,s:I,s:i}", "facilitator",
			 d->cfg.peers[peer->fac_peer].id, "origin",
			 peer->fac_register ? "registered" : "retrieved",
			 "kid", ck->valid ? ck->kid : NULL,
			 "expires_in", (json_int_t)(ck->valid ? ck->expires - esfd_now(d) : 0),
			 "registered", (json_int_t)rt->fac_registered,
			 "retrieved", (json_int_t)rt->fac_retrieved,
			 "refused", (json_int_t)rt->fac_refused, "last_refusal", rt->fac_last_rsc);
}
