// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: peer-to-peer agreement with entities met for the first time, each
 * holding only its own certificate credential and the root (docs/esfd.md,
 * "Peer-to-peer agreement"):
 *
 *   initiator                                        responder
 *   NOTIFY {"esf:p2q": cls, t, nnc, epk, x5c | x5t#S256, [pkd], sig} ->
 *                              (verifies, installs its pair, then answers)
 *                <- 2000 {"esf:p2r": t, nnc, epk, x5c | x5t#S256, sig}
 *   (verifies, installs its pair)
 *
 * One round trip; each side signs a transcript that binds both ids, its
 * ephemeral key and nonce and certificate, and (the responder) the whole
 * request, so a swapped key, a reflected or spliced message fails the
 * signature. Freshness: the request's time must be within the window and
 * its nonce new (a ring of the nonces accepted). The pair's key comes from
 * the ephemeral keys only (forward secrecy).
 *
 * Whom esfd meets becomes a dynamic peer: a struct esfd_peer in a table of
 * its own (cfg.peers is the file's), with the [p2p] policy, evicted least
 * recently used when the table is full. Certificates are remembered by
 * digest in a bounded cache, so that after a first contact each side
 * sends only its certificate's digest; a responder that lost it answers
 * 4004 and the initiator sends the certificate again. A remembered
 * certificate is verified again at every use: a new CRL or its expiry
 * take effect at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "certs.h"
#include "esfd.h"
#include "kdf.h"
#include "keys.h"

/* An initiator's agreement under way (esfd_exch.p2p). */
struct esfd_p2p_x {
	EVP_PKEY *eph;
	struct esfd_p2pmsg req;
	uint8_t req_hash[ESFD_P2P_DIGEST_LEN];
	/* The responder's certificate we named in "pkd", held in case the
	 * cache evicts it before the answer comes.
	 */
	X509 *pkd_leaf;
	STACK_OF(X509) *pkd_chain;
	size_t req_bytes;
};

static const char *const reason_names[P2P_R__N] = {
	"expired", "not-yet-valid", "revoked", "unknown-ca", "wrong-id", "invalid",
	"bad-signature", "stale", "replay", "unknown-digest", "malformed",
};

const char *esfd_p2p_reason_name(enum esfd_p2p_reason r)
{
	return r < P2P_R__N ? reason_names[r] : "?";
}

static enum esfd_p2p_reason of_cert(enum esfd_cert_reason r)
{
	switch (r) {
	case ESFD_CERT_EXPIRED:
		return P2P_R_EXPIRED;
	case ESFD_CERT_NOT_YET_VALID:
		return P2P_R_NOT_YET_VALID;
	case ESFD_CERT_REVOKED:
		return P2P_R_REVOKED;
	case ESFD_CERT_UNKNOWN_CA:
		return P2P_R_UNKNOWN_CA;
	case ESFD_CERT_WRONG_ID:
		return P2P_R_WRONG_ID;
	default:
		return P2P_R_INVALID;
	}
}

void esfd_p2p_x_free(struct esfd_p2p_x *x)
{
	if (!x)
		return;
	EVP_PKEY_free(x->eph);
	esfd_p2p_msg_free(&x->req);
	X509_free(x->pkd_leaf);
	sk_X509_pop_free(x->pkd_chain, X509_free);
	explicit_bzero(x, sizeof(*x));
	free(x);
}

/* Dynamic peers --------------------------------------------------------------- */

static void peer_rt_reset(struct esfd_peer_rt *rt)
{
	esfd_peer_rt_free(rt, 1);
	memset(rt, 0, sizeof(*rt));
}

const struct esfd_peer *esfd_p2p_find(const struct esfd *d, const char *id)
{
	size_t i;

	for (i = 0; d->p2p && i < d->p2p->n; i++)
		if (!strcmp(d->p2p->peers[i].id, id))
			return &d->p2p->peers[i];
	return NULL;
}

/* Its pairs and establishments go with it. */
static void peer_forget(struct esfd *d, size_t i, const char *why)
{
	struct esfd_p2p *p = d->p2p;
	struct esfd_peer *peer = &p->peers[i];
	struct esfd_pair *pair, *np;
	struct esfd_exch *x, *nx;

	/* Cancelling its establishments must not forget it a second time. */
	p->forgetting = true;
	for (pair = d->pairs; pair; pair = np) {
		np = pair->next;
		if (!strcmp(pair->peer_id, peer->id))
			esfd_pair_remove(d, pair, why);
	}
	for (x = d->exchs; x; x = nx) {
		nx = x->next;
		if (!strcmp(x->peer_id, peer->id))
			esfd_exch_cancel(d, x, why);
	}
	p->forgetting = false;
	peer_rt_reset(&p->rt[i]);
	/* The last one moves into the slot: ids, not pointers, name peers
	 * between passes of the event loop.
	 */
	if (i != p->n - 1) {
		p->peers[i] = p->peers[p->n - 1];
		p->rt[i] = p->rt[p->n - 1];
	}
	p->n--;
	explicit_bzero(&p->peers[p->n], sizeof(p->peers[p->n]));
	memset(&p->rt[p->n], 0, sizeof(p->rt[p->n]));
}

/*
 * After an agreement of ours failed: a dynamic peer with no pair and no
 * establishment left is forgotten, so that a refused meeting takes no
 * slot of the table (nor keeps a stranger's id around).
 */
void esfd_p2p_forget_unused(struct esfd *d, const char *id)
{
	struct esfd_p2p *p = d->p2p;
	struct esfd_pair *pair;
	struct esfd_exch *x;
	size_t i;

	if (!p || p->forgetting)
		return;
	for (i = 0; i < p->n && strcmp(p->peers[i].id, id); i++)
		;
	if (i == p->n)
		return;
	for (pair = d->pairs; pair; pair = pair->next)
		if (!strcmp(pair->peer_id, id))
			return;
	for (x = d->exchs; x; x = x->next)
		if (!strcmp(x->peer_id, id))
			return;
	log_debug("p2p: %s forgotten (no pair, no agreement under way)", id);
	peer_forget(d, i, "no pair");
}

/* The least recently used peer with no establishment under way. */
static int evict_one(struct esfd *d)
{
	struct esfd_p2p *p = d->p2p;
	size_t i, best = p->n;
	struct esfd_exch *x;

	for (i = 0; i < p->n; i++) {
		for (x = d->exchs; x; x = x->next)
			if (!strcmp(x->peer_id, p->peers[i].id))
				break;
		if (!x && (best == p->n || p->rt[i].p2p_used_ms < p->rt[best].p2p_used_ms))
			best = i;
	}
	if (best == p->n)
		return -EBUSY;
	log_info("p2p: %s evicted (least recently used of %zu dynamic peers)",
		 p->peers[best].id, p->cap);
	peer_forget(d, best, "dynamic peer evicted");
	p->evicted++;
	return 0;
}

const struct esfd_peer *esfd_p2p_peer(struct esfd *d, const char *id, bool create)
{
	const struct esfd_peer *found = esfd_p2p_find(d, id);
	struct esfd_p2p *p = d->p2p;
	struct esfd_peer *peer;

	if (found || !create || !p)
		return found;
	if (esfd_id_check(id, strlen(id)) || !esfd_m2m_id_ok(id) ||
	    esfd_m2m_same_level(id, d->cfg.id) || esfd_config_peer_by_id(&d->cfg, id))
		return NULL;
	if (p->n == p->cap && evict_one(d))
		return NULL;
	peer = &p->peers[p->n];
	memset(peer, 0, sizeof(*peer));
	snprintf(peer->name, sizeof(peer->name), "p2p");
	snprintf(peer->id, sizeof(peer->id), "%s", id);
	peer->role = ESFD_ROLE_PEER;
	peer->dynamic = true;
	peer->policy = d->cfg.p2p.policy;
	memset(&p->rt[p->n], 0, sizeof(p->rt[p->n]));
	p->rt[p->n].p2p_used_ms = esfd_now_ms(d);
	p->n++;
	return peer;
}

/* The certificate cache -------------------------------------------------------- */

static struct esfd_p2p_cert *cache_by_digest(struct esfd_p2p *p, const uint8_t *digest)
{
	size_t i;

	for (i = 0; i < p->n_cache; i++)
		if (!memcmp(p->cache[i].digest, digest, ESFD_P2P_DIGEST_LEN))
			return &p->cache[i];
	return NULL;
}

static struct esfd_p2p_cert *cache_by_id(struct esfd_p2p *p, const char *id)
{
	struct esfd_p2p_cert *best = NULL;
	size_t i;

	for (i = 0; i < p->n_cache; i++)
		if (!strcmp(p->cache[i].id, id) && (!best || p->cache[i].used_ms > best->used_ms))
			best = &p->cache[i];
	return best;
}

static void cache_entry_free(struct esfd_p2p_cert *c)
{
	X509_free(c->leaf);
	sk_X509_pop_free(c->chain, X509_free);
	memset(c, 0, sizeof(*c));
}

/* Remember a verified certificate; the least recently used goes first. */
static void cache_put(struct esfd *d, const char *id, const struct esfd_p2pmsg *m)
{
	struct esfd_p2p *p = d->p2p;
	struct esfd_p2p_cert *c = cache_by_digest(p, m->digest);
	size_t i, old = 0;

	if (!c && p->n_cache < p->cache_cap) {
		c = &p->cache[p->n_cache++];
	} else if (!c) {
		for (i = 1; i < p->n_cache; i++)
			if (p->cache[i].used_ms < p->cache[old].used_ms)
				old = i;
		c = &p->cache[old];
		log_debug("p2p: certificate of %s leaves the cache (%zu entries)", c->id,
			  p->cache_cap);
		p->evictions++;
	}
	cache_entry_free(c);
	memcpy(c->digest, m->digest, sizeof(c->digest));
	snprintf(c->id, sizeof(c->id), "%s", id);
	X509_up_ref(m->leaf);
	c->leaf = m->leaf;
	c->chain = m->chain ? X509_chain_up_ref(m->chain) : NULL;
	c->used_ms = esfd_now_ms(d);
}

/* Checks shared by both sides ------------------------------------------------ */

struct verdict {
	enum esfd_p2p_reason reason;
	char why[200];
};

static int refuse(struct esfd *d, struct verdict *v, enum esfd_p2p_reason r, const char *fmt,
		  const char *detail)
{
	v->reason = r;
	snprintf(v->why, sizeof(v->why), "p2p %s: %s%s%s", esfd_p2p_reason_name(r), fmt,
		 detail ? ": " : "", detail ? detail : "");
	d->p2p->refused[r]++;
	return -EKEYREJECTED;
}

static bool fresh(const struct esfd *d, int64_t t)
{
	int64_t skew = esfd_wall_ms(d) - t;

	return skew <= (int64_t)d->cfg.p2p.window * 1000 &&
	       skew >= -(int64_t)d->cfg.p2p.window * 1000;
}

/*
 * The sender's certificate: the one it sent, or the one its digest names
 * (@held: what we named in "pkd", when we are the initiator). Verified
 * offline against our roots and CRL, now, for the sender's id.
 */
static int check_cert(struct esfd *d, const char *id, struct esfd_p2pmsg *m, X509 *held,
		      STACK_OF(X509) *held_chain, struct verdict *v)
{
	struct esfd_p2p_cert *c = NULL;
	enum esfd_cert_reason r;
	const char *detail = NULL;

	if (!m->full) {
		c = cache_by_digest(d->p2p, m->digest);
		if (held && !c) {
			uint8_t dg[ESFD_P2P_DIGEST_LEN];

			if (!esfd_p2p_cert_digest(held, dg) &&
			    !memcmp(dg, m->digest, sizeof(dg))) {
				X509_up_ref(held);
				m->leaf = held;
				m->chain = held_chain ? X509_chain_up_ref(held_chain) : NULL;
			}
		} else if (c) {
			X509_up_ref(c->leaf);
			m->leaf = c->leaf;
			m->chain = c->chain ? X509_chain_up_ref(c->chain) : NULL;
			c->used_ms = esfd_now_ms(d);
		}
		if (!m->leaf) {
			d->p2p->misses++;
			return refuse(d, v, P2P_R_UNKNOWN_DIGEST, "no certificate of that digest "
				      "here: send the certificate", NULL);
		}
		d->p2p->hits++;
	}
	r = esfd_creds_verify(d->cfg.certs.creds, m->leaf, m->chain, id, esfd_now(d), &detail);
	if (r != ESFD_CERT_OK)
		return refuse(d, v, of_cert(r), "the certificate is refused", detail);
	if (m->full)
		cache_put(d, id, m);
	return 0;
}

static int check_sig(struct esfd *d, const uint8_t *tbs, size_t len, struct esfd_p2pmsg *m,
		     struct verdict *v)
{
	if (esfd_es256_verify(X509_get0_pubkey(m->leaf), tbs, len, m->sig))
		return refuse(d, v, P2P_R_BAD_SIGNATURE, "the signature over the transcript does "
			      "not verify", NULL);
	return 0;
}

/* Our half of a message: time, nonce, ephemeral key, certificate or digest. */
static int our_half(struct esfd *d, struct esfd_p2pmsg *m, EVP_PKEY **eph, bool full)
{
	const struct esfd_creds *c = d->cfg.certs.creds;
	int err;

	m->t = esfd_wall_ms(d);
	m->full = full;
	if (getrandom(m->nnc, sizeof(m->nnc), 0) != sizeof(m->nnc))
		return -EIO;
	err = esfd_ecdh_ephemeral(eph);
	if (!err)
		err = esfd_ecdh_point(*eph, m->epk);
	if (!err)
		err = esfd_p2p_cert_digest(c->cert, m->digest);
	return err;
}

static void digest_of_tbs(const uint8_t *tbs, size_t len, uint8_t out[ESFD_P2P_DIGEST_LEN])
{
	SHA256(tbs, len, out);
}

/*
 * The pair of kernel sessions keyed from the agreement, under the [p2p]
 * policy, as a pair from an establishment is (kernel.c); the key id names
 * it in both directions and in "esfctl status".
 */
static int install(struct esfd *d, const struct esfd_peer *peer, uint8_t cls,
		   EVP_PKEY *eph, const struct esfd_p2pmsg *req, const struct esfd_p2pmsg *rsp,
		   const uint8_t req_hash[32], const uint8_t rsp_hash[32], bool originator,
		   struct esfd_pair **out)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	const struct esfd_p2pmsg *other = originator ? rsp : req;
	uint8_t z[ESFD_ECDH_Z_LEN], kp[ESFD_P2P_KEY_LEN], kid[ESFD_P2P_KID_LEN];
	uint8_t salt[2 * ESFD_P2P_NONCE_LEN];
	struct esfd_randobj ro = { 0 };
	struct esfd_pair_keys k = { 0 };
	struct esfd_key_pair sk;
	EVP_PKEY *pub = NULL;
	int err;

	err = esfd_ecdh_point_key(other->epk, &pub);
	if (!err)
		err = esfd_ecdh_z(eph, pub, z);
	EVP_PKEY_free(pub);
	if (!err)
		err = esfd_p2p_keys(z, req->nnc, rsp->nnc, req_hash, rsp_hash, kp, kid);
	OPENSSL_cleanse(z, sizeof(z));
	memcpy(salt, req->nnc, ESFD_P2P_NONCE_LEN);
	memcpy(salt + ESFD_P2P_NONCE_LEN, rsp->nnc, ESFD_P2P_NONCE_LEN);
	if (!err)
		err = esfd_kdf_e2e_keys(ESFD_SHA256, salt, sizeof(salt), kp, sizeof(kp), &sk);
	OPENSSL_cleanse(kp, sizeof(kp));
	if (err)
		return err;
	esfd_pair_keys_of(pol, &sk, &k);
	/* The key id names the pair; the peer's kid is its latest. */
	esfd_b64_encode(kid, sizeof(kid), true, ((struct esfd_peer *)peer)->kpsa_id,
			sizeof(peer->kpsa_id));
	snprintf(ro.id, sizeof(ro.id), "p2p-%.22s", peer->kpsa_id);
	ro.expiry = esfd_now(d) + (pol->hard.seconds ? (int64_t)pol->hard.seconds : 86400);
	err = esfd_pair_install(d, peer, cls, &k, &ro, &ro, originator, out);
	OPENSSL_cleanse(&k, sizeof(k));
	if (!err)
		esfd_pair_promote(d, *out);
	return err;
}

/* The certificate a dynamic peer agreed with, verified again on reload. */
static void keep_cert(struct esfd *d, const struct esfd_peer *peer, const struct esfd_p2pmsg *m)
{
	struct esfd_certkey *ck = &esfd_peer_rt(d, peer)->ck;

	X509_free(ck->cert);
	sk_X509_pop_free(ck->chain, X509_free);
	X509_up_ref(m->leaf);
	ck->cert = m->leaf;
	ck->chain = m->chain ? X509_chain_up_ref(m->chain) : NULL;
}

/* Initiator ------------------------------------------------------------------------ */

static int request_build(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x,
			 bool full)
{
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	const struct esfd_creds *c = d->cfg.certs.creds;
	struct esfd_p2p_x *px;
	struct esfd_p2p_cert *held;
	uint8_t tbs[ESFD_P2P_TBS_MAX];
	json_t *pc = NULL;
	size_t len;
	int err;

	esfd_p2p_x_free(x->p2p);
	px = x->p2p = calloc(1, sizeof(*px));
	if (!px)
		return -ENOMEM;
	px->req.kind = ESFD_P2P_REQ;
	px->req.cls = x->data_class;
	err = our_half(d, &px->req, &px->eph, full);
	/* Once it has verified this certificate, the digest says it all. */
	if (!err && !full && !(rt->p2p_knows && !memcmp(rt->p2p_known, px->req.digest, 32)))
		px->req.full = true;
	held = cache_by_id(d->p2p, peer->id);
	if (!err && held) {
		px->req.has_pkd = true;
		memcpy(px->req.pkd, held->digest, sizeof(px->req.pkd));
		X509_up_ref(held->leaf);
		px->pkd_leaf = held->leaf;
		px->pkd_chain = held->chain ? X509_chain_up_ref(held->chain) : NULL;
		held->used_ms = esfd_now_ms(d);
	}
	if (!err)
		err = esfd_p2p_req_tbs(d->cfg.id, peer->id, &px->req, tbs, &len);
	if (!err)
		err = esfd_es256_raw(c->key, tbs, len, px->req.sig);
	if (!err) {
		digest_of_tbs(tbs, len, px->req_hash);
		err = esfd_p2p_build(&px->req, c->cert, c->chain, &pc);
	}
	if (!err) {
		x->state = EXCH_WAIT_P2P;
		err = esfd_exch_request_pc(d, x, pc);
	}
	if (!err)
		px->req_bytes = strlen(x->msg);
	return err;
}

int esfd_p2p_initiate(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x)
{
	if (!d->p2p || !d->cfg.certs.creds)
		return -ENOKEY;
	esfd_peer_rt(d, peer)->p2p_used_ms = esfd_now_ms(d);
	return request_build(d, peer, x, false);
}

/* The text of a refusal's m2m:dbg, or "". */
static const char *dbg_of(const json_t *pc)
{
	const char *s = json_string_value(json_object_get(pc, "m2m:dbg"));

	return s ? s : "";
}

static void refused_by_peer(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x,
			    const struct esfd_m2m_rsp *rsp)
{
	char msg[300];

	/* It lost our certificate (a restart, its cache full): send it. */
	if (rsp->rsc == ESFD_RSC_NOT_FOUND && !x->p2p->req.full &&
	    strstr(dbg_of(rsp->pc), "unknown-digest") && x->restarts < ESFD_EXCH_RESTARTS) {
		x->restarts++;
		d->p2p->resent++;
		esfd_peer_rt(d, peer)->p2p_knows = false;
		log_info("p2p: %s does not hold our certificate any more: sending it", peer->id);
		if (!request_build(d, peer, x, true))
			return;
	}
	snprintf(msg, sizeof(msg), "refused by the peer: oneM2M %d %s: %.200s", rsp->rsc,
		 esf_onem2m_rsc_name(rsp->rsc), dbg_of(rsp->pc));
	esfd_exch_finish(d, x, NULL, -ECONNREFUSED, rsp->rsc, msg);
}

void esfd_p2p_response(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x,
		       const struct esfd_m2m_rsp *rsp)
{
	struct esfd_p2p_x *px = x->p2p;
	struct esfd_peer_rt *rt = esfd_peer_rt(d, peer);
	uint8_t tbs[ESFD_P2P_TBS_MAX], rsp_hash[ESFD_P2P_DIGEST_LEN];
	struct verdict v = { 0 };
	struct esfd_p2pmsg m;
	struct esfd_pair *pair = NULL;
	size_t len;
	int err;

	if (rsp->rsc != ESFD_RSC_OK) {
		refused_by_peer(d, peer, x, rsp);
		return;
	}
	err = esfd_p2p_read(rsp->pc, ESFD_P2P_RSP, &m);
	if (err)
		err = refuse(d, &v, P2P_R_MALFORMED, "the answer is not a well-formed esf:p2r",
			     NULL);
	else if (!fresh(d, m.t))
		err = refuse(d, &v, P2P_R_STALE, "the answer's time is outside the window", NULL);
	if (!err)
		err = check_cert(d, peer->id, &m, px->pkd_leaf, px->pkd_chain, &v);
	if (!err && esfd_p2p_rsp_tbs(px->req_hash, peer->id, &m, tbs, &len))
		err = refuse(d, &v, P2P_R_MALFORMED, "an id too long", NULL);
	if (!err)
		err = check_sig(d, tbs, len, &m, &v);
	if (!err) {
		digest_of_tbs(tbs, len, rsp_hash);
		err = install(d, peer, x->data_class, px->eph, &px->req, &m, px->req_hash,
			      rsp_hash, true, &pair);
		if (err == -EINVAL)
			err = refuse(d, &v, P2P_R_MALFORMED, "a bad ephemeral key", NULL);
		else if (err)
			snprintf(v.why, sizeof(v.why), "installing the pair: %s", strerror(-err));
	}
	if (err) {
		esfd_p2p_msg_free(&m);
		log_warn("p2p: %s: %s", peer->id, v.why);
		esfd_exch_finish(d, x, NULL, err, 0, v.why);
		return;
	}
	keep_cert(d, peer, &m);
	esfd_p2p_msg_free(&m);
	rt->p2p_knows = true;
	memcpy(rt->p2p_known, px->req.digest, sizeof(rt->p2p_known));
	rt->established++;
	d->established++;
	d->p2p->established++;
	if (x->rekey_of)
		d->rekeys++;
	if (px->req.full) {
		d->p2p->first_contact++;
		d->p2p->bytes_first = px->req_bytes + rsp->bytes;
	} else {
		d->p2p->cached++;
		d->p2p->bytes_cached = px->req_bytes + rsp->bytes;
	}
	log_info("p2p: agreed with %s (%s, %zu + %zu bytes), key id %s", peer->id,
		 px->req.full ? "our certificate sent" : "our certificate's digest sent",
		 px->req_bytes, rsp->bytes, peer->kpsa_id);
	esfd_exch_finish(d, x, pair, 0, 0, NULL);
}

/* Responder ------------------------------------------------------------------------ */


static bool seen_before(const struct esfd *d, const uint8_t nnc[ESFD_P2P_NONCE_LEN])
{
	int64_t now = esfd_now_ms(d);
	size_t i;

	for (i = 0; i < ESFD_P2P_SEEN; i++)
		if (d->p2p->seen[i].until_ms > now &&
		    !memcmp(d->p2p->seen[i].nnc, nnc, ESFD_P2P_NONCE_LEN))
			return true;
	return false;
}

/* The ring's next slot, unless it still guards a nonce within the window. */
static struct esfd_p2p_seen *seen_slot(struct esfd *d)
{
	struct esfd_p2p_seen *s = &d->p2p->seen[d->p2p->seen_next];

	return s->until_ms > esfd_now_ms(d) ? NULL : s;
}

/* Verify a request: its freshness, the sender's certificate, the signature. */
static int request_check(struct esfd *d, const struct esfd_m2m_req *req, struct esfd_p2pmsg *m,
			 uint8_t req_hash[32], struct verdict *v, int *rsc)
{
	uint8_t tbs[ESFD_P2P_TBS_MAX];
	size_t len;
	int err;

	*rsc = ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	if (esfd_p2p_read(req->pc, ESFD_P2P_REQ, m)) {
		*rsc = ESFD_RSC_BAD_REQUEST;
		return refuse(d, v, P2P_R_MALFORMED, "not a well-formed esf:p2q", NULL);
	}
	if (!fresh(d, m->t))
		return refuse(d, v, P2P_R_STALE, "the request's time is outside the window "
			      "(clocks apart, or an old request)", NULL);
	if (seen_before(d, m->nnc))
		return refuse(d, v, P2P_R_REPLAY, "a request seen before", NULL);
	/* Public-key work from here: bounded for whoever asks. */
	if (!esfd_bucket_take(&d->p2p->bucket, esfd_now_ms(d), ESFD_P2P_BURST, ESFD_P2P_RATE) ||
	    !seen_slot(d)) {
		d->p2p->throttled++;
		*rsc = ESFD_RSC_THROTTLED;
		snprintf(v->why, sizeof(v->why), "p2p: too many agreements asked for; try again "
			 "later");
		return -EBUSY;
	}
	err = check_cert(d, req->fr, m, NULL, NULL, v);
	if (err) {
		if (v->reason == P2P_R_UNKNOWN_DIGEST)
			*rsc = ESFD_RSC_NOT_FOUND;
		return err;
	}
	if (esfd_p2p_req_tbs(req->fr, d->cfg.id, m, tbs, &len)) {
		*rsc = ESFD_RSC_BAD_REQUEST;
		return refuse(d, v, P2P_R_MALFORMED, "an id too long", NULL);
	}
	err = check_sig(d, tbs, len, m, v);
	if (!err)
		digest_of_tbs(tbs, len, req_hash);
	return err;
}

static int answer(struct esfd *d, const struct esfd_peer *peer, const struct esfd_p2pmsg *req,
		  const uint8_t req_hash[32], json_t **pc, struct verdict *v)
{
	const struct esfd_creds *c = d->cfg.certs.creds;
	uint8_t tbs[ESFD_P2P_TBS_MAX], rsp_hash[ESFD_P2P_DIGEST_LEN];
	struct esfd_p2pmsg m = { .kind = ESFD_P2P_RSP };
	struct esfd_pair *pair;
	EVP_PKEY *eph = NULL;
	size_t len;
	int err;

	err = our_half(d, &m, &eph, true);
	/* It named our certificate: the digest is enough. */
	if (!err && req->has_pkd && !memcmp(req->pkd, m.digest, sizeof(m.digest)))
		m.full = false;
	if (!err)
		err = esfd_p2p_rsp_tbs(req_hash, d->cfg.id, &m, tbs, &len);
	if (!err)
		err = esfd_es256_raw(c->key, tbs, len, m.sig);
	if (!err) {
		digest_of_tbs(tbs, len, rsp_hash);
		err = install(d, peer, req->cls, eph, req, &m, req_hash, rsp_hash, false, &pair);
		if (err == -EINVAL)
			err = refuse(d, v, P2P_R_MALFORMED, "a bad ephemeral key", NULL);
	}
	EVP_PKEY_free(eph);
	if (!err)
		err = esfd_p2p_build(&m, c->cert, c->chain, pc);
	/* It will hold our certificate (or already did): our own requests to
	 * it carry the digest (a 4004 would have us send it again).
	 */
	if (!err) {
		esfd_peer_rt(d, peer)->p2p_knows = true;
		memcpy(esfd_peer_rt(d, peer)->p2p_known, m.digest, sizeof(m.digest));
	}
	if (err && !v->why[0])
		snprintf(v->why, sizeof(v->why), "p2p: answering failed: %s", strerror(-err));
	return err;
}

int esfd_p2p_request(struct esfd *d, const struct esfd_m2m_req *req,
		     const struct esfd_peer **peer, json_t **pc, const char **why)
{
	static struct verdict v;
	const struct esfd_peer *p;
	const struct esfd_policy *pol = &d->cfg.policies[d->cfg.p2p.policy];
	uint8_t req_hash[ESFD_P2P_DIGEST_LEN];
	struct esfd_p2pmsg m;
	int err, rsc;

	memset(&v, 0, sizeof(v));
	*why = v.why;
	if (*peer && !(*peer)->dynamic) {
		*why = "p2p: a configured peer: esfd establishes with it by its configured "
		       "credential";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	if (!d->p2p || !d->cfg.certs.creds) {
		*why = "p2p: this esfd takes no peer-to-peer agreement (no [p2p] section)";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	if (esfd_m2m_same_level(req->fr, d->cfg.id)) {
		*why = "p2p: a request in this entity's own name";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	err = request_check(d, req, &m, req_hash, &v, &rsc);
	if (!err && !(pol->data_classes & (1u << m.cls))) {
		snprintf(v.why, sizeof(v.why), "p2p: data class %u is not allowed by the [p2p] "
			 "policy", m.cls);
		err = -EPERM;
	}
	if (!err) {
		p = esfd_p2p_peer(d, req->fr, true);
		if (!p) {
			snprintf(v.why, sizeof(v.why), "p2p: no room for another dynamic peer (all "
				 "have establishments under way)");
			rsc = ESFD_RSC_THROTTLED;
			err = -EBUSY;
		} else {
			*peer = p;
			esfd_peer_rt(d, p)->p2p_used_ms = esfd_now_ms(d);
			err = answer(d, p, &m, req_hash, pc, &v);
			rsc = err ? ESFD_RSC_INTERNAL_SERVER_ERROR : ESFD_RSC_OK;
		}
	}
	if (!err) {
		struct esfd_p2p_seen *s = seen_slot(d);

		keep_cert(d, p, &m);
		memcpy(s->nnc, m.nnc, sizeof(s->nnc));
		s->until_ms = esfd_now_ms(d) + 2000 * (int64_t)d->cfg.p2p.window;
		d->p2p->seen_next = (d->p2p->seen_next + 1) % ESFD_P2P_SEEN;
		d->p2p->established++;
		esfd_peer_rt(d, p)->established++;
		d->established++;
		log_info("p2p: agreed with %s as the responder (%s), key id %s", p->id,
			 m.full ? "its certificate verified" : "its cached certificate verified",
			 p->kpsa_id);
	} else {
		log_warn("p2p: refused %s: %s", req->fr, v.why);
	}
	esfd_p2p_msg_free(&m);
	return err ? rsc : ESFD_RSC_OK;
}

/* Life cycle and status ------------------------------------------------------------ */

int esfd_p2p_start(struct esfd *d)
{
	struct esfd_p2p *p;

	if (!d->cfg.p2p.line)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cap = d->cfg.p2p.peers;
	p->cache_cap = d->cfg.p2p.cert_cache;
	p->peers = calloc(p->cap, sizeof(*p->peers));
	p->rt = calloc(p->cap, sizeof(*p->rt));
	p->cache = calloc(p->cache_cap, sizeof(*p->cache));
	d->p2p = p;
	if (!p->peers || !p->rt || !p->cache) {
		esfd_p2p_free(d);
		return -ENOMEM;
	}
	return 0;
}

void esfd_p2p_free(struct esfd *d)
{
	struct esfd_p2p *p = d->p2p;
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		peer_rt_reset(&p->rt[i]);
	for (i = 0; i < p->n_cache; i++)
		cache_entry_free(&p->cache[i]);
	if (p->peers)
		explicit_bzero(p->peers, p->cap * sizeof(*p->peers));
	free(p->peers);
	free(p->rt);
	free(p->cache);
	free(p);
	d->p2p = NULL;
}

static bool policy_same(const struct esfd_policy *a, const struct esfd_policy *b)
{
	return a->aead == b->aead && a->key_bits == b->key_bits && a->tag_len == b->tag_len &&
	       !memcmp(&a->hard, &b->hard, sizeof(a->hard)) &&
	       a->replay_window == b->replay_window && a->owner_uid == b->owner_uid &&
	       a->owner_gid == b->owner_gid && a->data_classes == b->data_classes &&
	       a->nonce_policy == b->nonce_policy && !strcmp(a->driver, b->driver);
}

/*
 * SIGHUP, before @n replaces the running configuration: the dynamic peers
 * stay when [p2p] keeps its bounds and its policy; otherwise they go with
 * their pairs (the next meeting agrees again), and so does a dynamic peer
 * that @n now configures. The certificate cache stays: every use verifies
 * again, against the new roots and CRL.
 */
void esfd_p2p_reload(struct esfd *d, const struct esfd_config *n)
{
	struct esfd_p2p *p = d->p2p;
	size_t i;

	if (!p)
		return;
	if (!n->p2p.line || n->p2p.peers != p->cap || n->p2p.cert_cache != p->cache_cap ||
	    !policy_same(&d->cfg.policies[d->cfg.p2p.policy], &n->policies[n->p2p.policy])) {
		while (p->n)
			peer_forget(d, p->n - 1, "[p2p] changed by reload");
		esfd_p2p_free(d);
		return;
	}
	for (i = p->n; i-- > 0;)
		if (esfd_config_peer_by_id(n, p->peers[i].id))
			peer_forget(d, i, "now a configured peer");
	for (i = 0; i < p->n; i++)
		p->peers[i].policy = n->p2p.policy;
}

/*
 * After a reload: a dynamic peer whose certificate the new roots or CRL
 * refuse (revoked, say) goes now, with its pairs, not at its next
 * agreement.
 */
void esfd_p2p_recheck(struct esfd *d)
{
	struct esfd_p2p *p = d->p2p;
	const char *detail = NULL;
	enum esfd_cert_reason r;
	char why[120];
	size_t i;

	for (i = p ? p->n : 0; i-- > 0;) {
		const struct esfd_certkey *ck = &p->rt[i].ck;

		if (!ck->cert)
			continue;
		r = esfd_creds_verify(d->cfg.certs.creds, ck->cert, ck->chain, p->peers[i].id,
				      esfd_now(d), &detail);
		if (r == ESFD_CERT_OK)
			continue;
		snprintf(why, sizeof(why), "its certificate is refused now (%s)",
			 esfd_cert_reason_name(r));
		log_warn("p2p: %s: %s: it goes, with its pairs", p->peers[i].id, why);
		p->dropped++;
		peer_forget(d, i, why);
	}
}

json_t *esfd_p2p_status(const struct esfd *d)
{
	const struct esfd_p2p *p = d->p2p;
	json_t *j, *r;
	int i;

	if (!p)
		return json_null();
	r = json_object();
	for (i = 0; r && i < P2P_R__N; i++) {
		char key[32];
		size_t k;

		snprintf(key, sizeof(key), "%s", reason_names[i]);
		for (k = 0; key[k]; k++)
			if (key[k] == '-')
				key[k] = '_';
		json_object_set_new(r, key, json_integer((json_int_t)p->refused[i]));
	}
	j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:{s:I,s:I,s:I,s:I,s:I}}",
		      "peers", (json_int_t)p->n, "peers_max", (json_int_t)p->cap,
		      "dropped", (json_int_t)p->dropped,
		      "established", (json_int_t)p->established,
		      "first_contact", (json_int_t)p->first_contact,
		      "cached", (json_int_t)p->cached, "resent", (json_int_t)p->resent,
		      "evicted", (json_int_t)p->evicted, "throttled", (json_int_t)p->throttled,
		      "bytes_first", (json_int_t)p->bytes_first,
		      "bytes_cached", (json_int_t)p->bytes_cached, "refused", r,
		      "cache", "entries", (json_int_t)p->n_cache, "bound", (json_int_t)p->cache_cap,
		      "hits", (json_int_t)p->hits, "misses", (json_int_t)p->misses,
		      "evictions", (json_int_t)p->evictions);
	return j ? j : json_null();
}
