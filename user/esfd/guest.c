// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: guest devices (docs/esfd.md, "Guest devices"). Three roles, any
 * of which one esfd may play:
 *
 *   issuer    with a certificate credential: an authorization server
 *             signs delegations and revocation lists, a home gateway signs
 *             device tokens under a delegation naming its key (control
 *             "guest" ops "delegate", "revoke", "issue");
 *   gateway   [guest] network: verifies presentations offline against
 *             trust-file and revocation-file, admits the guest to its
 *             network's relay group (a kernel group session it owns,
 *             sender 0) and hands it the key, encrypted to the token's key;
 *   device    [guest] key-file: presents its token to a foreign gateway
 *             with a proof of possession of that key (control "guest" op
 *             "present") and installs the key it is given as its own
 *             kernel group session.
 *
 * The wire format is guesttok.c's; this file holds what the daemon keeps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ecdh.h"
#include "esfd.h"
#include "guesttok.h"

/* Presentation nonces remembered against replay, each for two windows. */
#define GUEST_SEEN		1024
/* How long a device waits for a gateway's answer by default, and at most
 * (below the control socket's idle timeout, which would close the caller).
 */
#define GUEST_WAIT_MS		5000
#define GUEST_WAIT_MAX_MS	9000
/* Presentations are verified before anything about their sender is known,
 * each costing four signature checks: a token bucket bounds them, as p2p's
 * strangers (ESFD_P2P_BURST, ESFD_P2P_RATE).
 */
#define GUEST_BURST		100
#define GUEST_RATE		50
/* Longest delegation or device token an issuer signs for, seconds. */
#define GUEST_ISSUE_MAX		(86400 * 365)

static const char *const reason_names[GUEST_R__N] = {
	[GUEST_R_MALFORMED] = "malformed",
	[GUEST_R_FORGED] = "forged",
	[GUEST_R_EXPIRED] = "expired",
	[GUEST_R_REVOKED] = "revoked",
	[GUEST_R_REPLAYED] = "replayed",
	[GUEST_R_STALE] = "stale",
	[GUEST_R_FOREIGN_ISSUER] = "foreign-issuer",
	[GUEST_R_WRONG_AUDIENCE] = "wrong-audience",
};

/* An admitted guest. */
struct guest_in {
	char id[ESFD_ID_MAX + 1];
	char jti[ESFD_GUEST_JTI_B64 + 1];
	char dlg_jti[ESFD_GUEST_JTI_B64 + 1];
	uint16_t sender;
	uint32_t epoch;
	int64_t until;
};

/* A device's presentation waiting for its answer. */
struct guest_pend {
	struct guest_pend *next;
	char gw[ESFD_ID_MAX + 1];
	char net[ESFD_ID_MAX + 1];
	char rqi[ESFD_M2M_RQI_MAX + 1];
	uint8_t nnc[ESFD_GUEST_NONCE_LEN];
	int fd;
	int64_t deadline_ms;
};

struct guest_seen {
	uint8_t nnc[ESFD_GUEST_NONCE_LEN];
	int64_t until_ms;
};

/**
 * struct esfd_guest - what [guest] keeps at run time
 * @trust: gateway: the roots of trust-file
 * @rvk: gateway: the revocation list in force (empty without one)
 * @rvk_iat: its "iat" (0: none loaded)
 * @session: gateway: the relay group's kernel session (0: none)
 * @epoch: its current epoch
 * @key: the current key (wiped when replaced and at exit)
 * @salt: the current salt
 * @next_sender: the sender id the next admission takes in this epoch
 * @in: admitted guests, @senders slots
 * @n_in: in use
 * @seen: presentation nonces accepted, a ring
 * @seen_next: its next slot
 * @admitted: admissions
 * @refused: presentations refused, by reason
 * @dropped_revoked: guests dropped by a new revocation list
 * @dropped_expired: guests whose admission ended
 * @rotations: relay group keys replaced
 * @remake_at: gateway without a session (esf.ko went and came back): when
 *	to try making one again
 * @bucket: the token bucket of presentations
 * @throttled: presentations refused by it, or by a full nonce ring
 * @dev_key: device: the key of key-file
 * @dev_trust: device: the roots of trust-file, when it has one: grants
 *	must then be signed by a gateway certificate chaining to them
 * @pend: device: presentations in flight
 * @dev_session: device: the group session of its last grant (0: none)
 * @dev_grant: that grant, key wiped
 * @presented: device: presentations sent
 * @granted: device: grants installed
 * @denied: device: presentations refused (by the gateway or its answer)
 */
struct esfd_guest {
	X509_STORE *trust;
	struct esfd_grvk rvk;
	int64_t rvk_iat;
	uint32_t session;
	uint32_t epoch;
	uint8_t key[ESFD_GUEST_GKEY_LEN];
	uint8_t salt[ESFD_GUEST_SALT_LEN];
	uint16_t next_sender;
	struct guest_in *in;
	size_t n_in;
	struct guest_seen seen[GUEST_SEEN];
	size_t seen_next;
	uint64_t admitted, refused[GUEST_R__N], dropped_revoked, dropped_expired, rotations;
	int64_t remake_at;
	struct esfd_bucket bucket;
	uint64_t throttled;
	EVP_PKEY *dev_key;
	X509_STORE *dev_trust;
	struct guest_pend *pend;
	uint32_t dev_session;
	struct esfd_ggrant dev_grant;
	char dev_gw[ESFD_ID_MAX + 1];
	uint64_t presented, granted, denied;
};

const char *esfd_guest_reason_name(enum esfd_guest_reason r)
{
	return r < GUEST_R__N ? reason_names[r] : "?";
}

static bool is_gateway(const struct esfd *d)
{
	return d->guest && d->cfg.guest.network[0];
}

/* Files -------------------------------------------------------------------- */

static int trust_load(const char *path, X509_STORE **out)
{
	X509_STORE *s = X509_STORE_new();

	if (!s || X509_STORE_load_file(s, path) != 1) {
		log_err("[guest] trust-file %s: cannot read its certificates (PEM)", path);
		X509_STORE_free(s);
		ERR_clear_error();
		return -EINVAL;
	}
	*out = s;
	return 0;
}

static char *file_read(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(max + 1);
	size_t n = 0;

	if (f && buf) {
		n = fread(buf, 1, max + 1, f);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
			n--;
	}
	if (f)
		fclose(f);
	if (!f || !buf || n > max || !n) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* A certificate chain in a JWS header against trust-file, for @id. */
static enum esfd_guest_reason chain_check(struct esfd *d, const struct esfd_jws *j,
					  const char *id, X509 **leaf_out, const char **detail)
{
	struct esfd_creds roots = { .store = d->guest->trust };
	STACK_OF(X509) *chain = NULL;
	enum esfd_cert_reason r;
	X509 *leaf = NULL;

	*detail = "no x5c";
	if (esfd_jws_x5c(j, &leaf, &chain))
		return GUEST_R_MALFORMED;
	r = esfd_creds_verify(&roots, leaf, chain, id, esfd_now(d), detail);
	sk_X509_pop_free(chain, X509_free);
	if (r != ESFD_CERT_OK) {
		X509_free(leaf);
		if (r == ESFD_CERT_WRONG_ID)
			*detail = "the signer's certificate does not name the issuer";
		return r == ESFD_CERT_UNKNOWN_CA ? GUEST_R_FOREIGN_ISSUER :
		       r == ESFD_CERT_EXPIRED || r == ESFD_CERT_NOT_YET_VALID ? GUEST_R_EXPIRED :
		       GUEST_R_FORGED;
	}
	*leaf_out = leaf;
	return GUEST_R__N;
}

static bool jws_verify(const struct esfd_jws *j, EVP_PKEY *key)
{
	return !esfd_es256_verify(key, j->input, j->input_len, j->sig);
}

/*
 * The revocation list of revocation-file: a JWS signed by a certificate
 * chaining to trust-file. -ENOENT: no file configured.
 */
static int rvk_load(struct esfd *d, const char *path, struct esfd_grvk *out, const char **why)
{
	char *text = NULL;
	struct esfd_jws j;
	X509 *leaf = NULL;
	int err = -EINVAL;

	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	*why = "cannot be read, or empty, or larger than 64 KiB";
	text = file_read(path, ESFD_GUEST_RVK_MAX);
	if (!text)
		goto out;
	*why = "not a revocation list (a JWS ES256, typ " ESFD_GUEST_TYP_RVK ", with x5c)";
	if (esfd_jws_parse(text, ESFD_GUEST_RVK_MAX, ESFD_GUEST_TYP_RVK, &j) ||
	    esfd_grvk_read(j.payload, out))
		goto out;
	if (chain_check(d, &j, out->iss, &leaf, why) != GUEST_R__N)
		goto out;
	*why = "its signature does not verify";
	if (!jws_verify(&j, X509_get0_pubkey(leaf)))
		goto out;
	err = 0;
out:
	if (err)
		esfd_grvk_free(out);
	X509_free(leaf);
	esfd_jws_free(&j);
	free(text);
	return err;
}

static EVP_PKEY *key_load(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	uint8_t pt[ESFD_ECDH_POINT_LEN];

	if (f)
		fclose(f);
	ERR_clear_error();
	if (k && esfd_ecdh_point(k, pt)) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

/* The relay group (gateway) ------------------------------------------------- */

static int new_key(struct esfd_guest *g)
{
	uint8_t old[ESFD_GUEST_SALT_LEN];

	memcpy(old, g->salt, sizeof(old));
	do {
		if (RAND_bytes(g->key, sizeof(g->key)) != 1 ||
		    RAND_bytes(g->salt, sizeof(g->salt)) != 1)
			return -EIO;
	} while (!memcmp(old, g->salt, sizeof(old)));
	return 0;
}

static uint32_t next_epoch(const struct esfd *d, uint32_t last)
{
	int64_t now = esfd_now(d);

	return now > (int64_t)last && now < (int64_t)UINT32_MAX ? (uint32_t)now : last + 1;
}

static int group_create(struct esfd *d)
{
	struct esfd_guest *g = d->guest;
	const char *net = d->cfg.guest.network;
	struct esf_nl_new n = { 0 };
	struct esf_nl_session s;
	int err;

	g->epoch = next_epoch(d, 0);
	err = new_key(g);
	if (err)
		return err;
	n.alg = ESFD_GUEST_ALG;
	n.key = g->key;
	n.key_len = sizeof(g->key);
	n.set = ESF_NEW_SALT | ESF_NEW_TAG_LEN | ESF_NEW_GROUP;
	memcpy(n.salt, g->salt, sizeof(n.salt));
	n.tag_len = ESFD_GUEST_TAG_LEN;
	n.group_senders = (uint16_t)d->cfg.guest.senders;
	n.group_sender = 0;
	n.group_epoch = g->epoch;
	if (strlen(net) <= sizeof(n.key_id)) {
		n.set |= ESF_NEW_KEY_ID;
		n.key_id_len = strlen(net);
		memcpy(n.key_id, net, n.key_id_len);
	}
	err = esf_nl_session_new(d->nl, &n, &s);
	if (err) {
		log_err("[guest] network %s: creating the relay group session: %s%s%s", net,
			strerror(-err), *esf_nl_errmsg(d->nl) ? ": " : "", esf_nl_errmsg(d->nl));
		return err;
	}
	g->session = s.id;
	g->next_sender = 1;
	log_info("[guest] network %s: relay group session %u (epoch %u, %u senders, by %s)",
		 net, s.id, g->epoch, d->cfg.guest.senders, s.driver);
	return 0;
}

/*
 * A new key at once, the old one retired at once: whoever held it (a
 * revoked or expired guest) can neither seal records the gateway opens nor
 * open what it seals. Every admission ends with it: the guests still
 * entitled present again (docs/esfd.md).
 */
static void rotate(struct esfd *d, const char *why)
{
	struct esfd_guest *g = d->guest;
	uint32_t epoch = next_epoch(d, g->epoch);
	int err;

	if (!g->session)
		return;
	err = new_key(g);
	if (!err)
		err = esf_nl_group_epoch_new(d->nl, g->session, epoch, g->key, sizeof(g->key),
					     g->salt, NULL);
	if (!err)
		err = esf_nl_group_epoch_switch(d->nl, g->session, &epoch, NULL);
	if (!err)
		err = esf_nl_group_epoch_retire(d->nl, g->session, NULL);
	if (err) {
		/* A session that cannot rotate must not go on: delete it. */
		log_err("[guest] rotating the relay group key (%s): %s%s%s: the session goes",
			why, strerror(-err), *esf_nl_errmsg(d->nl) ? ": " : "",
			esf_nl_errmsg(d->nl));
		esf_nl_session_del(d->nl, g->session);
		g->session = 0;
	} else {
		g->epoch = epoch;
		log_info("[guest] relay group key rotated to epoch %u (%s); %zu guests must "
			 "present again", epoch, why, g->n_in);
	}
	g->rotations++;
	g->n_in = 0;
	g->next_sender = 1;
}

/* Gateway: presentations ----------------------------------------------------- */

static bool seen_before(const struct esfd *d, const uint8_t *nnc)
{
	const struct esfd_guest *g = d->guest;
	int64_t now = esfd_now_ms(d);
	size_t i;

	for (i = 0; i < GUEST_SEEN; i++)
		if (g->seen[i].until_ms > now && !memcmp(g->seen[i].nnc, nnc, ESFD_GUEST_NONCE_LEN))
			return true;
	return false;
}

struct verdict {
	enum esfd_guest_reason r;
	char why[200];
};

static int refuse(struct esfd *d, struct verdict *v, enum esfd_guest_reason r,
		  const char *detail)
{
	d->guest->refused[r]++;
	v->r = r;
	snprintf(v->why, sizeof(v->why), "guest %s: %s", reason_names[r], detail);
	return r == GUEST_R_MALFORMED ? ESFD_RSC_BAD_REQUEST : ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
}

static bool aud_has(const struct esfd_gtok *t, const char *net)
{
	size_t i;

	for (i = 0; i < t->n_aud; i++)
		if (!strcmp(t->aud[i], net))
			return true;
	return false;
}

/* The delegation inside a device token: the AS's chain, signature, expiry,
 * audience. Fills @dt.
 */
static int check_delegation(struct esfd *d, const char *dlg, struct esfd_gtok *dt,
			    struct verdict *v)
{
	const char *net = d->cfg.guest.network, *detail;
	enum esfd_guest_reason r;
	struct esfd_jws j;
	X509 *leaf = NULL;
	int rsc = 0;

	if (esfd_jws_parse(dlg, ESFD_GUEST_TOKEN_MAX, ESFD_GUEST_TYP_DLG, &j) ||
	    esfd_gtok_read(j.payload, ESFD_GTOK_DLG, dt)) {
		rsc = refuse(d, v, GUEST_R_MALFORMED, "the delegation is not well-formed");
		goto out;
	}
	r = chain_check(d, &j, dt->iss, &leaf, &detail);
	if (r != GUEST_R__N) {
		char msg[160];

		snprintf(msg, sizeof(msg), "the delegation's signer: %s", detail ?: "refused");
		rsc = refuse(d, v, r, msg);
	} else if (!jws_verify(&j, X509_get0_pubkey(leaf))) {
		rsc = refuse(d, v, GUEST_R_FORGED, "the delegation's signature does not verify");
	} else if (dt->exp <= esfd_now(d)) {
		rsc = refuse(d, v, GUEST_R_EXPIRED, "the delegation has expired");
	} else if (!aud_has(dt, net)) {
		rsc = refuse(d, v, GUEST_R_WRONG_AUDIENCE, "the delegation does not name this "
			     "network");
	}
out:
	X509_free(leaf);
	esfd_jws_free(&j);
	return rsc;
}

/* The device token and the proof of possession. */
static int check_token(struct esfd *d, const struct esfd_m2m_req *req, const struct esfd_gpres *p,
		       struct esfd_gtok *dt, struct esfd_gtok *tt, struct verdict *v)
{
	const char *net = d->cfg.guest.network;
	uint8_t tbs[ESFD_GUEST_POP_MAX];
	struct esfd_jws j;
	size_t len;
	int rsc;

	if (esfd_jws_parse(p->tok, ESFD_GUEST_TOKEN_MAX, ESFD_GUEST_TYP_DEV, &j) ||
	    json_object_get(j.hdr, "x5c") || esfd_gtok_read(j.payload, ESFD_GTOK_DEV, tt)) {
		rsc = refuse(d, v, GUEST_R_MALFORMED, "the device token is not well-formed");
		goto out;
	}
	rsc = check_delegation(d, tt->dlg, dt, v);
	if (rsc)
		goto out;
	if (strcmp(tt->iss, dt->sub) || !jws_verify(&j, dt->cnf))
		rsc = refuse(d, v, GUEST_R_FORGED, "the device token is not signed by the "
			     "delegated gateway's key");
	else if (strcmp(tt->sub, req->fr))
		rsc = refuse(d, v, GUEST_R_FORGED, "the token names another device than fr");
	else if (esfd_gpres_tbs(req->fr, d->cfg.id, net, p, tbs, &len) ||
		 esfd_es256_verify(tt->cnf, tbs, len, p->sig))
		rsc = refuse(d, v, GUEST_R_FORGED, "the proof of possession does not verify "
			     "under the token's key");
	else if (tt->exp <= esfd_now(d))
		rsc = refuse(d, v, GUEST_R_EXPIRED, "the device token has expired");
	else if (strcmp(tt->aud[0], net) || !aud_has(dt, tt->aud[0]))
		rsc = refuse(d, v, GUEST_R_WRONG_AUDIENCE, "the device token is for another "
			     "network");
	else if (esfd_grvk_has(&d->guest->rvk, tt->jti) || esfd_grvk_has(&d->guest->rvk, dt->jti))
		rsc = refuse(d, v, GUEST_R_REVOKED, esfd_grvk_has(&d->guest->rvk, tt->jti) ?
			     "the device token is revoked" : "the delegation is revoked");
out:
	esfd_jws_free(&j);
	return rsc;
}

/*
 * The answer, signed with the certificate credential when there is one,
 * so that a device holding its roots knows the grant is this gateway's.
 */
static json_t *answer_build(struct esfd *d, const char *dev,
			    const uint8_t nnc[ESFD_GUEST_NONCE_LEN], const char *jwe)
{
	const struct esfd_creds *c = d->cfg.certs.creds;
	uint8_t tbs[ESFD_GUEST_POP_MAX], sig[ESFD_ES256_SIG_LEN];
	json_t *x5c = NULL;
	size_t len;

	if (!c)
		return esfd_gsa_build(jwe, NULL, NULL);
	if (esfd_gans_tbs(d->cfg.id, dev, nnc, jwe, tbs, &len) ||
	    esfd_es256_raw(c->key, tbs, len, sig) || esfd_x5c_array(c->cert, c->chain, &x5c))
		return NULL;
	return esfd_gsa_build(jwe, x5c, sig);
}

/* Admit: a slot, a sender id of this epoch, the grant sealed to the key. */
static int admit(struct esfd *d, const struct esfd_m2m_req *req, const struct esfd_gpres *p,
		 const struct esfd_gtok *dt, const struct esfd_gtok *tt, json_t **pc,
		 struct verdict *v)
{
	struct esfd_guest *g = d->guest;
	struct esfd_ggrant gr = { 0 };
	struct guest_in *in = NULL;
	int64_t until = esfd_now(d) + d->cfg.guest.max_seconds;
	char *jwe = NULL;
	size_t i;

	if (g->next_sender >= d->cfg.guest.senders)
		rotate(d, "the epoch's sender ids are spent");
	if (!g->session) {
		snprintf(v->why, sizeof(v->why), "guest: this gateway has no relay group session");
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	for (i = 0; i < g->n_in; i++)
		if (!strcmp(g->in[i].id, req->fr))
			in = &g->in[i];	/* presenting again: a new sender id */
	if (!in)
		in = &g->in[g->n_in++];
	if (until > tt->exp)
		until = tt->exp;
	if (until > dt->exp)
		until = dt->exp;
	snprintf(gr.net, sizeof(gr.net), "%s", d->cfg.guest.network);
	snprintf(gr.grp, sizeof(gr.grp), "%s", d->cfg.guest.network);
	gr.epoch = g->epoch;
	gr.sender = g->next_sender++;
	gr.senders = (uint16_t)d->cfg.guest.senders;
	memcpy(gr.key, g->key, sizeof(gr.key));
	memcpy(gr.salt, g->salt, sizeof(gr.salt));
	gr.exp = until;
	i = (size_t)esfd_ggrant_seal(tt->cnf, d->cfg.id, p->nnc, &gr, &jwe);
	esfd_ggrant_wipe(&gr);
	if (i) {
		g->n_in--;
		snprintf(v->why, sizeof(v->why), "guest: cannot seal the grant");
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	*in = (struct guest_in){ .sender = (uint16_t)(g->next_sender - 1), .epoch = g->epoch,
				 .until = until };
	snprintf(in->id, sizeof(in->id), "%s", req->fr);
	snprintf(in->jti, sizeof(in->jti), "%s", tt->jti);
	snprintf(in->dlg_jti, sizeof(in->dlg_jti), "%s", dt->jti);
	*pc = answer_build(d, req->fr, p->nnc, jwe);
	free(jwe);
	g->admitted++;
	log_info("[guest] admitted %s (token %s from %s, delegated by %s) as sender %u of "
		 "epoch %u for %llds", req->fr, tt->jti, tt->iss, dt->iss, in->sender, in->epoch,
		 (long long)(until - esfd_now(d)));
	return *pc ? ESFD_RSC_OK : ESFD_RSC_INTERNAL_SERVER_ERROR;
}

int esfd_guest_request(struct esfd *d, const struct esfd_m2m_req *req, json_t **pc,
		       const char **why)
{
	static struct verdict v;
	struct esfd_gtok dt, tt;
	struct esfd_gpres p;
	int64_t win = (int64_t)d->cfg.guest.window * 1000, now = esfd_wall_ms(d);
	int rsc;

	memset(&dt, 0, sizeof(dt));
	memset(&tt, 0, sizeof(tt));
	*why = v.why;
	if (!is_gateway(d)) {
		snprintf(v.why, sizeof(v.why), "guest: this esfd admits no guests "
			 "([guest] network)");
		return ESFD_RSC_NOT_FOUND;
	}
	if (esfd_gsp_read(req->pc, &p))
		return refuse(d, &v, GUEST_R_MALFORMED, "not a presentation: exactly v, tok, t, "
			      "nnc, sig");
	if (p.t < now - win || p.t > now + win)
		return refuse(d, &v, GUEST_R_STALE, "its time is outside the freshness window");
	if (seen_before(d, p.nnc))
		return refuse(d, &v, GUEST_R_REPLAYED, "a presentation nonce seen before");
	/* No nonce still remembered may be overwritten (it could be replayed). */
	if (d->guest->seen[d->guest->seen_next % GUEST_SEEN].until_ms > esfd_now_ms(d) ||
	    !esfd_bucket_take(&d->guest->bucket, esfd_now_ms(d), GUEST_BURST, GUEST_RATE)) {
		d->guest->throttled++;
		snprintf(v.why, sizeof(v.why), "guest: too many presentations, ask again later");
		return ESFD_RSC_THROTTLED;
	}
	rsc = check_token(d, req, &p, &dt, &tt, &v);
	if (!rsc) {	/* 0: nothing refused it */
		struct guest_seen *s = &d->guest->seen[d->guest->seen_next++ % GUEST_SEEN];

		memcpy(s->nnc, p.nnc, sizeof(s->nnc));
		s->until_ms = esfd_now_ms(d) + 2 * win;
		rsc = admit(d, req, &p, &dt, &tt, pc, &v);
	} else {
		log_info("[guest] refused %s: %s", req->fr, v.why);
	}
	esfd_gtok_free(&dt);
	esfd_gtok_free(&tt);
	return rsc;
}

/* Device: presenting ------------------------------------------------------------ */

static void pend_free(struct esfd *d, struct guest_pend *q)
{
	struct guest_pend **pp;

	for (pp = &d->guest->pend; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	OPENSSL_cleanse(q, sizeof(*q));
	free(q);
}

static void dev_session_drop(struct esfd *d)
{
	struct esfd_guest *g = d->guest;

	if (g->dev_session && !d->kernel_down)
		esf_nl_session_del(d->nl, g->dev_session);
	g->dev_session = 0;
}

static int dev_install(struct esfd *d, const struct esfd_ggrant *gr, uint32_t *id)
{
	struct esf_nl_new n = { 0 };
	struct esf_nl_session s;
	int64_t left = gr->exp - esfd_now(d);
	int err;

	if (left <= 0)
		return -EKEYEXPIRED;
	n.alg = ESFD_GUEST_ALG;
	n.key = gr->key;
	n.key_len = sizeof(gr->key);
	n.set = ESF_NEW_SALT | ESF_NEW_TAG_LEN | ESF_NEW_GROUP | ESF_NEW_HARD;
	memcpy(n.salt, gr->salt, sizeof(n.salt));
	n.tag_len = ESFD_GUEST_TAG_LEN;
	n.group_senders = gr->senders;
	n.group_sender = gr->sender;
	n.group_epoch = gr->epoch;
	n.hard.seconds = (uint64_t)left;
	if (strlen(gr->grp) <= sizeof(n.key_id)) {
		n.set |= ESF_NEW_KEY_ID;
		n.key_id_len = strlen(gr->grp);
		memcpy(n.key_id, gr->grp, n.key_id_len);
	}
	err = esf_nl_session_new(d->nl, &n, &s);
	if (err)
		log_err("[guest] the relay group session of %s: %s%s%s", gr->net, strerror(-err),
			*esf_nl_errmsg(d->nl) ? ": " : "", esf_nl_errmsg(d->nl));
	else
		*id = s.id;
	return err;
}

static void pend_finish(struct esfd *d, struct guest_pend *q, json_t *reply)
{
	if (q->fd >= 0)
		esfd_ctl_reply_json(d, q->fd, reply);
	else
		json_decref(reply);
	pend_free(d, q);
}

static void denied(struct esfd *d, struct guest_pend *q, int err, int rsc, const char *msg)
{
	struct esfd_guest *g = d->guest;

	g->denied++;
	log_info("[guest] %s refused our presentation: %s", q->gw, msg);
	/* Refused by the gateway whose key we hold (revoked, say): that grant
	 * is over too; the gateway has rotated past it or will not take us.
	 */
	if (rsc && g->dev_session && !strcmp(g->dev_gw, q->gw)) {
		log_info("[guest] our admission into %s ends with it", g->dev_grant.net);
		dev_session_drop(d);
	}
	pend_finish(d, q, json_pack("{s:i,s:s,s:i}", "status", err, "error", msg, "rsc", rsc));
}

static void granted(struct esfd *d, struct guest_pend *q, const char *jwe)
{
	struct esfd_guest *g = d->guest;
	struct esfd_ggrant gr;
	uint32_t id = 0;
	int err;

	err = esfd_ggrant_open(g->dev_key, jwe, q->gw, q->nnc, &gr);
	if (!err && strcmp(gr.net, q->net))
		err = -EKEYREJECTED;
	if (err) {
		denied(d, q, -EBADMSG, 0, "the gateway's answer is not a grant for this "
		       "presentation and key");
		return;
	}
	err = dev_install(d, &gr, &id);
	if (err) {
		esfd_ggrant_wipe(&gr);
		denied(d, q, err, 0, "the kernel refused the relay group session");
		return;
	}
	dev_session_drop(d);
	g->dev_session = id;
	g->granted++;
	memcpy(&g->dev_grant, &gr, sizeof(gr));
	OPENSSL_cleanse(g->dev_grant.key, sizeof(g->dev_grant.key));
	esfd_ggrant_wipe(&gr);
	snprintf(g->dev_gw, sizeof(g->dev_gw), "%s", q->gw);
	log_info("[guest] admitted into %s by %s: session %u, sender %u of %u, epoch %u, for "
		 "%llds", g->dev_grant.net, q->gw, id, g->dev_grant.sender, g->dev_grant.senders,
		 g->dev_grant.epoch, (long long)(g->dev_grant.exp - esfd_now(d)));
	pend_finish(d, q, json_pack("{s:i,s:I,s:s,s:s,s:I,s:i,s:i,s:I}", "status", 0, "session",
				    (json_int_t)id, "network", g->dev_grant.net, "gateway", q->gw,
				    "epoch", (json_int_t)g->dev_grant.epoch, "sender",
				    (int)g->dev_grant.sender, "senders",
				    (int)g->dev_grant.senders, "expires",
				    (json_int_t)g->dev_grant.exp));
}

/* A device with trust-file takes signed grants only, from the gateway it
 * asked: why one is refused, or NULL.
 */
static const char *answer_refused(struct esfd *d, const struct guest_pend *q,
				  const struct esfd_gans *a)
{
	struct esfd_creds roots = { .store = d->guest->dev_trust };
	uint8_t tbs[ESFD_GUEST_POP_MAX];
	enum esfd_cert_reason r;
	size_t len;

	if (!a->signed_)
		return "the gateway's answer is not signed (trust-file asks for signed grants)";
	r = esfd_creds_verify(&roots, a->leaf, a->chain, q->gw, esfd_now(d), NULL);
	if (r != ESFD_CERT_OK) {
		log_info("[guest] %s's certificate: %s", q->gw, esfd_cert_reason_name(r));
		return "the gateway's certificate is refused (trust-file, its id)";
	}
	if (esfd_gans_tbs(q->gw, d->cfg.id, q->nnc, a->jwe, tbs, &len) ||
	    esfd_es256_verify(X509_get0_pubkey(a->leaf), tbs, len, a->sig))
		return "the gateway's signature over the grant does not verify";
	return NULL;
}

bool esfd_guest_response(struct esfd *d, const char *level, const struct esfd_m2m_rsp *rsp)
{
	struct guest_pend *q;
	struct esfd_gans a;
	const char *dbg;
	char topic[ESFD_ID_MAX + 1];

	if (!d->guest || !rsp->rqi)
		return false;
	for (q = d->guest->pend; q; q = q->next)
		if (!strcmp(q->rqi, rsp->rqi))
			break;
	if (!q)
		return false;
	if (esfd_m2m_topic_id(q->gw, topic, sizeof(topic)) || strcmp(topic, level) ||
	    (rsp->fr && strcmp(rsp->fr, q->gw)))
		return false;	/* not from the gateway we asked */
	if (rsp->rsc != ESFD_RSC_OK) {
		dbg = json_string_value(json_object_get(rsp->pc, "m2m:dbg"));
		denied(d, q, -EKEYREJECTED, rsp->rsc, dbg ?: "refused");
		return true;
	}
	if (esfd_gsa_read(rsp->pc, &a))
		denied(d, q, -EPROTO, 0, "the gateway's answer is not esf:gsa");
	else if (d->guest->dev_trust && (dbg = answer_refused(d, q, &a)))
		denied(d, q, -EKEYREJECTED, 0, dbg);
	else
		granted(d, q, a.jwe);
	esfd_gans_free(&a);
	return true;
}

/* The token's "aud": the network the device asks to enter. */
static int token_net(const char *tok, char net[ESFD_ID_MAX + 1], EVP_PKEY *key)
{
	struct esfd_gtok t = { 0 };
	struct esfd_jws j;
	int err = -EINVAL;

	if (!esfd_jws_parse(tok, ESFD_GUEST_TOKEN_MAX, ESFD_GUEST_TYP_DEV, &j) &&
	    !esfd_gtok_read(j.payload, ESFD_GTOK_DEV, &t)) {
		snprintf(net, ESFD_ID_MAX + 1, "%s", t.aud[0]);
		err = EVP_PKEY_eq(t.cnf, key) == 1 ? 0 : -EKEYREJECTED;
	}
	esfd_gtok_free(&t);
	esfd_jws_free(&j);
	return err;
}

static json_t *present(struct esfd *d, const struct esfd_client *c, const json_t *req)
{
	const char *gw = json_string_value(json_object_get(req, "gateway"));
	const char *tok = json_string_value(json_object_get(req, "token"));
	const json_t *to = json_object_get(req, "timeout");
	struct esfd_gpres p = { .tok = tok };
	uint8_t tbs[ESFD_GUEST_POP_MAX];
	struct guest_pend *q;
	json_t *m, *pc;
	char *msg;
	size_t len;
	int err;

	if (!d->guest || !d->guest->dev_key)
		return esfd_ctl_error(-ENOKEY, "no [guest] key-file: this esfd has no guest key");
	if (!gw || esfd_id_check(gw, strlen(gw)) || !tok ||
	    strlen(tok) > ESFD_GUEST_TOKEN_MAX || (to && (!json_is_integer(to) ||
	    json_integer_value(to) < 1 || json_integer_value(to) > GUEST_WAIT_MAX_MS)))
		return esfd_ctl_error(-EINVAL, "present takes \"gateway\" (an id), \"token\" "
				      "and an optional \"timeout\" (1..9000 ms)");
	q = calloc(1, sizeof(*q));
	if (!q)
		return esfd_ctl_error(-ENOMEM, NULL);
	err = token_net(tok, q->net, d->guest->dev_key);
	if (err) {
		free(q);
		return esfd_ctl_error(err, err == -EKEYREJECTED ? "the token names another key "
				      "than [guest] key-file's" : "not a device token");
	}
	snprintf(q->gw, sizeof(q->gw), "%s", gw);
	p.t = esfd_wall_ms(d);
	if (RAND_bytes(p.nnc, sizeof(p.nnc)) != 1 ||
	    esfd_gpres_tbs(d->cfg.id, gw, q->net, &p, tbs, &len) ||
	    esfd_es256_raw(d->guest->dev_key, tbs, len, p.sig)) {
		free(q);
		return esfd_ctl_error(-EIO, "cannot sign the presentation");
	}
	memcpy(q->nnc, p.nnc, sizeof(q->nnc));
	esfd_greq_rqi(q->rqi);
	pc = esfd_gsp_build(&p);
	m = pc ? esfd_m2m_request(ESFD_M2M_NOTIFY, gw, d->cfg.id, q->rqi, 0, pc) : NULL;
	msg = m ? esfd_m2m_dump(m) : NULL;
	json_decref(m);
	err = msg ? esfd_transport_request_to(d, gw, msg, NULL) : -ENOMEM;
	free(msg);
	if (err) {
		free(q);
		return esfd_ctl_error(err, "cannot publish the presentation (is the broker up?)");
	}
	q->fd = c->fd;
	q->deadline_ms = esfd_now_ms(d) + (to ? json_integer_value(to) : GUEST_WAIT_MS);
	q->next = d->guest->pend;
	d->guest->pend = q;
	d->guest->presented++;
	return NULL;	/* answered when the gateway answers */
}

/* Issuers ------------------------------------------------------------------------ */

static int seconds_of(const json_t *req, int64_t *out)
{
	const json_t *s = json_object_get(req, "seconds");

	if (!json_is_integer(s) || json_integer_value(s) < 1 ||
	    json_integer_value(s) > GUEST_ISSUE_MAX)
		return -EINVAL;
	*out = json_integer_value(s);
	return 0;
}

static json_t *signed_reply(EVP_PKEY *key, json_t *hdr, const struct esfd_gtok *t,
			    const char *what)
{
	json_t *payload = esfd_gtok_payload(t), *j;
	char *jws = NULL;
	int err = payload && hdr ? esfd_jws_sign(key, hdr, payload, &jws) : -ENOMEM;

	json_decref(payload);
	json_decref(hdr);
	if (err)
		return esfd_ctl_error(err, NULL);
	log_info("[guest] issued %s %s for %s (%s), expires %lld", what, t->jti, t->sub,
		 t->aud[0], (long long)t->exp);
	j = json_pack("{s:i,s:s,s:s,s:I}", "status", 0, "token", jws, "jti", t->jti, "exp",
		      (json_int_t)t->exp);
	free(jws);
	return j;
}

static json_t *x5c_hdr(const struct esfd_creds *c, const char *typ)
{
	json_t *x5c = NULL;

	if (esfd_x5c_array(c->cert, c->chain, &x5c))
		return NULL;
	return json_pack("{s:s,s:s,s:o}", "alg", "ES256", "typ", typ, "x5c", x5c);
}

static X509 *cert_pem(const char *pem)
{
	BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	ERR_clear_error();
	return x;
}

/* AS: a delegation for a gateway, whose certificate names it and chains to
 * our roots; "cnf" is its certificate's key.
 */
static json_t *delegate(struct esfd *d, const json_t *req)
{
	const struct esfd_creds *c = d->cfg.certs.creds;
	const json_t *aud = json_object_get(req, "aud");
	const char *sub = json_string_value(json_object_get(req, "sub"));
	struct esfd_gtok t = { .kind = ESFD_GTOK_DLG };
	const char *detail = NULL;
	enum esfd_cert_reason r;
	X509 *gw = NULL;
	json_t *j;
	int64_t secs;
	size_t i;

	if (!sub || esfd_id_check(sub, strlen(sub)) || !json_is_array(aud) ||
	    !json_array_size(aud) || json_array_size(aud) > ESFD_GUEST_AUD_MAX ||
	    seconds_of(req, &secs))
		return esfd_ctl_error(-EINVAL, "delegate takes \"sub\" (the gateway's id), "
				      "\"aud\" (1..16 network ids), \"seconds\" and \"cert\" "
				      "(the gateway's certificate, PEM)");
	for (i = 0; i < json_array_size(aud); i++) {
		const char *a = json_string_value(json_array_get(aud, i));

		if (!a || esfd_id_check(a, strlen(a)))
			return esfd_ctl_error(-EINVAL, "aud: a network id is not an id");
		snprintf(t.aud[i], sizeof(t.aud[i]), "%s", a);
	}
	t.n_aud = i;
	gw = cert_pem(json_string_value(json_object_get(req, "cert")));
	if (!gw)
		return esfd_ctl_error(-EINVAL, "cert: not a PEM certificate");
	r = esfd_creds_verify(c, gw, NULL, sub, esfd_now(d), &detail);
	if (r != ESFD_CERT_OK) {
		X509_free(gw);
		return json_pack("{s:i,s:s,s:s}", "status", -EKEYREJECTED, "error",
				 "the gateway's certificate is refused", "cert",
				 esfd_cert_reason_name(r));
	}
	t.cnf = X509_get_pubkey(gw);
	X509_free(gw);
	snprintf(t.iss, sizeof(t.iss), "%s", d->cfg.id);
	snprintf(t.sub, sizeof(t.sub), "%s", sub);
	t.iat = esfd_now(d);
	t.exp = t.iat + secs;
	if (!t.cnf || esfd_gtok_jti(t.jti)) {
		esfd_gtok_free(&t);
		return esfd_ctl_error(-EIO, NULL);
	}
	j = signed_reply(c->key, x5c_hdr(c, ESFD_GUEST_TYP_DLG), &t, "delegation");
	esfd_gtok_free(&t);
	return j;
}

/* Home gateway: a device token under a delegation that names our own key. */
static json_t *issue(struct esfd *d, const json_t *req)
{
	const struct esfd_creds *c = d->cfg.certs.creds;
	const char *sub = json_string_value(json_object_get(req, "sub"));
	const char *aud = json_string_value(json_object_get(req, "aud"));
	const char *dlg = json_string_value(json_object_get(req, "delegation"));
	struct esfd_gtok t = { .kind = ESFD_GTOK_DEV }, dt;
	struct esfd_jws j;
	json_t *r = NULL;
	int64_t secs;

	memset(&dt, 0, sizeof(dt));
	memset(&j, 0, sizeof(j));
	if (!sub || esfd_id_check(sub, strlen(sub)) || !aud || esfd_id_check(aud, strlen(aud)) ||
	    !dlg || seconds_of(req, &secs) ||
	    esfd_ecdh_epk_parse(json_object_get(req, "jwk"), &t.cnf))
		return esfd_ctl_error(-EINVAL, "issue takes \"sub\" (the device's id), \"aud\" "
				      "(a network), \"seconds\", \"jwk\" (the device's P-256 "
				      "public key) and \"delegation\"");
	if (esfd_jws_parse(dlg, ESFD_GUEST_TOKEN_MAX, ESFD_GUEST_TYP_DLG, &j) ||
	    esfd_gtok_read(j.payload, ESFD_GTOK_DLG, &dt))
		r = esfd_ctl_error(-EINVAL, "delegation: not a delegation token");
	else if (strcmp(dt.sub, d->cfg.id) || EVP_PKEY_eq(dt.cnf, c->key) != 1)
		r = esfd_ctl_error(-EKEYREJECTED, "delegation: not for this gateway and its "
				   "certificate's key");
	else if (!aud_has(&dt, aud))
		r = esfd_ctl_error(-EPERM, "delegation: does not name that network");
	else if (dt.exp <= esfd_now(d))
		r = esfd_ctl_error(-EKEYEXPIRED, "delegation: expired");
	if (r)
		goto out;
	snprintf(t.iss, sizeof(t.iss), "%s", d->cfg.id);
	snprintf(t.sub, sizeof(t.sub), "%s", sub);
	snprintf(t.aud[0], sizeof(t.aud[0]), "%s", aud);
	t.n_aud = 1;
	t.iat = esfd_now(d);
	t.exp = t.iat + secs < dt.exp ? t.iat + secs : dt.exp;
	t.dlg = dlg;
	if (esfd_gtok_jti(t.jti))
		r = esfd_ctl_error(-EIO, NULL);
	else
		r = signed_reply(c->key, json_pack("{s:s,s:s}", "alg", "ES256", "typ",
						   ESFD_GUEST_TYP_DEV), &t, "device token");
out:
	esfd_gtok_free(&t);
	esfd_gtok_free(&dt);
	esfd_jws_free(&j);
	return r;
}

/* AS: a revocation list of the token ids given (the whole list: it replaces
 * the one before at the gateways).
 */
static json_t *revoke(struct esfd *d, const json_t *req)
{
	const struct esfd_creds *c = d->cfg.certs.creds;
	const json_t *ids = json_object_get(req, "jti");
	json_t *payload, *hdr, *j;
	struct esfd_grvk chk;
	char *jws = NULL;
	int err;

	payload = json_pack("{s:s,s:I,s:O}", "iss", d->cfg.id, "iat", (json_int_t)esfd_now(d),
			    "jti", ids ? ids : json_null());
	if (!payload || esfd_grvk_read(payload, &chk)) {
		json_decref(payload);
		esfd_grvk_free(&chk);
		return esfd_ctl_error(-EINVAL, "revoke takes \"jti\": an array of at most 1024 "
				      "token ids (base64url of 16 bytes)");
	}
	esfd_grvk_free(&chk);
	hdr = x5c_hdr(c, ESFD_GUEST_TYP_RVK);
	err = hdr ? esfd_jws_sign(c->key, hdr, payload, &jws) : -ENOMEM;
	json_decref(hdr);
	json_decref(payload);
	if (err)
		return esfd_ctl_error(err, NULL);
	log_info("[guest] signed a revocation list of %zu token ids", json_array_size(ids));
	j = json_pack("{s:i,s:s}", "status", 0, "list", jws);
	free(jws);
	return j;
}

/* Status -------------------------------------------------------------------------- */

static json_t *gateway_json(struct esfd *d, bool admin)
{
	struct esfd_guest *g = d->guest;
	json_t *refused = json_object(), *guests = json_array(), *j;
	size_t i;

	for (i = 0; i < GUEST_R__N; i++)
		json_object_set_new(refused, reason_names[i],
				    json_integer((json_int_t)g->refused[i]));
	for (i = 0; i < g->n_in; i++)
		json_array_append_new(guests, json_pack("{s:s,s:s,s:i,s:I,s:I}", "id", g->in[i].id,
			"jti", g->in[i].jti, "sender", (int)g->in[i].sender, "epoch",
			(json_int_t)g->in[i].epoch, "expires_in",
			(json_int_t)(g->in[i].until - esfd_now(d))));
	j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "network",
		      d->cfg.guest.network, "epoch", (json_int_t)g->epoch, "admitted",
		      (json_int_t)g->admitted, "throttled", (json_int_t)g->throttled,
		      "dropped_revoked", (json_int_t)g->dropped_revoked, "dropped_expired",
		      (json_int_t)g->dropped_expired, "rotations", (json_int_t)g->rotations,
		      "revoked_ids", (json_int_t)g->rvk.n, "refused", refused, "guests", guests);
	if (j && admin)
		json_object_set_new(j, "session", json_integer(g->session));
	return j;
}

static json_t *device_json(struct esfd *d, bool admin)
{
	struct esfd_guest *g = d->guest;
	json_t *j = json_pack("{s:I,s:I,s:I}", "presented", (json_int_t)g->presented, "granted",
			      (json_int_t)g->granted, "denied", (json_int_t)g->denied);

	if (j && g->dev_session)
		json_object_set_new(j, "grant", json_pack("{s:s,s:s,s:I,s:i,s:I}", "network",
			g->dev_grant.net, "gateway", g->dev_gw, "epoch",
			(json_int_t)g->dev_grant.epoch, "sender", (int)g->dev_grant.sender,
			"expires_in", (json_int_t)(g->dev_grant.exp - esfd_now(d))));
	if (j && g->dev_session && admin)
		json_object_set_new(json_object_get(j, "grant"), "session",
				    json_integer(g->dev_session));
	return j;
}

json_t *esfd_guest_status(struct esfd *d, bool admin)
{
	json_t *j = json_object();

	if (!d->guest)
		return j;
	if (is_gateway(d))
		json_object_set_new(j, "gateway", gateway_json(d, admin));
	if (d->guest->dev_key)
		json_object_set_new(j, "device", device_json(d, admin));
	return j;
}

static json_t *pubkey(struct esfd *d)
{
	json_t *jwk = NULL;

	if (!d->guest || !d->guest->dev_key)
		return esfd_ctl_error(-ENOKEY, "no [guest] key-file: this esfd has no guest key");
	if (esfd_ecdh_epk_json(d->guest->dev_key, &jwk))
		return esfd_ctl_error(-EIO, NULL);
	return json_pack("{s:i,s:o}", "status", 0, "jwk", jwk);
}

json_t *esfd_guest_ctl(struct esfd *d, const struct esfd_client *c, const json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "op"));

	if (!op)
		return esfd_ctl_error(-EINVAL, "guest takes \"op\": status, pubkey, delegate, "
				      "issue, revoke, present");
	if (!strcmp(op, "status"))
		return json_pack("{s:i,s:o}", "status", 0, "guest",
				 esfd_guest_status(d, esfd_ctl_may_use_key(d, c)));
	if (!strcmp(op, "pubkey"))
		return pubkey(d);
	if (!esfd_ctl_may_use_key(d, c)) {
		log_warn("control: uid %u (pid %d) may not use esfd's keys for guest %s",
			 (unsigned int)c->uid, (int)c->pid, op);
		return esfd_ctl_error(-EACCES, "not allowed: root, esfd's user, or [esfd] "
				      "sign-uid / sign-gid");
	}
	if (!strcmp(op, "present"))
		return present(d, c, req);
	if (strcmp(op, "delegate") && strcmp(op, "issue") && strcmp(op, "revoke"))
		return esfd_ctl_error(-EOPNOTSUPP, "unknown guest op");
	if (!d->cfg.certs.creds)
		return esfd_ctl_error(-ENOKEY, "no certificate credential ([esfd] ca-file, "
				      "cert-file, key-file): nothing to sign with");
	if (!strcmp(op, "delegate"))
		return delegate(d, req);
	if (!strcmp(op, "issue"))
		return issue(d, req);
	return revoke(d, req);
}

/* Life cycle ----------------------------------------------------------------------- */

/* Gateway: the guests a new list revokes go, and the key rotates. */
static void recheck(struct esfd *d)
{
	struct esfd_guest *g = d->guest;
	size_t i, n = 0;

	for (i = 0; i < g->n_in; i++) {
		if (!esfd_grvk_has(&g->rvk, g->in[i].jti) &&
		    !esfd_grvk_has(&g->rvk, g->in[i].dlg_jti))
			continue;
		log_info("[guest] %s: its token %s is revoked: dropped", g->in[i].id,
			 g->in[i].jti);
		g->dropped_revoked++;
		n++;
	}
	if (n)
		rotate(d, "a guest was revoked");
}

static int gateway_files(struct esfd *d, const struct esfd_config *cfg)
{
	struct esfd_guest *g = d->guest;
	struct esfd_grvk r;
	X509_STORE *s = NULL;
	const char *why;
	int err;

	err = trust_load(cfg->guest.trust_file, &s);
	if (err)
		return err;
	X509_STORE_free(g->trust);
	g->trust = s;
	if (!cfg->guest.revocation_file)
		return 0;
	err = rvk_load(d, cfg->guest.revocation_file, &r, &why);
	if (err) {
		log_err("[guest] revocation-file %s: %s", cfg->guest.revocation_file, why);
		return err;
	}
	if (g->rvk_iat && r.iat < g->rvk_iat) {
		log_err("[guest] revocation-file %s: older than the list in force (iat %lld < "
			"%lld): kept the list in force", cfg->guest.revocation_file,
			(long long)r.iat, (long long)g->rvk_iat);
		esfd_grvk_free(&r);
		return -ESTALE;
	}
	esfd_grvk_free(&g->rvk);
	g->rvk = r;
	g->rvk_iat = r.iat;
	log_info("[guest] revocation list of %s (iat %lld): %zu token ids", r.iss,
		 (long long)r.iat, r.n);
	return 0;
}

int esfd_guest_start(struct esfd *d)
{
	const struct esfd_guest_conf *gc = &d->cfg.guest;
	struct esfd_guest *g;
	int err;

	if (!gc->line)
		return 0;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	d->guest = g;
	if (gc->key_file) {
		g->dev_key = key_load(gc->key_file);
		if (!g->dev_key) {
			log_err("[guest] key-file %s: not a P-256 private key (PEM)", gc->key_file);
			return -EINVAL;
		}
		if (gc->trust_file && trust_load(gc->trust_file, &g->dev_trust))
			return -EINVAL;
	}
	if (!gc->network[0])
		return 0;
	g->in = calloc(gc->senders, sizeof(*g->in));
	if (!g->in)
		return -ENOMEM;
	err = gateway_files(d, &d->cfg);
	if (!err && !d->kernel_down)
		err = group_create(d);
	return err;
}

void esfd_guest_stop(struct esfd *d)
{
	struct esfd_guest *g = d->guest;

	if (!g)
		return;
	while (g->pend)
		pend_finish(d, g->pend, esfd_ctl_error(-ECANCELED, "esfd stops"));
	/* Neither session is in the state file: they go with esfd (as groups'). */
	if (g->session && !d->kernel_down)
		esf_nl_session_del(d->nl, g->session);
	dev_session_drop(d);
	X509_STORE_free(g->trust);
	X509_STORE_free(g->dev_trust);
	esfd_grvk_free(&g->rvk);
	EVP_PKEY_free(g->dev_key);
	free(g->in);
	OPENSSL_cleanse(g, sizeof(*g));
	free(g);
	d->guest = NULL;
}

static bool conf_same(const struct esfd_guest_conf *a, const struct esfd_guest_conf *b)
{
	return !strcmp(a->network, b->network) && a->senders == b->senders &&
	       !a->key_file == !b->key_file && (!a->key_file || !strcmp(a->key_file, b->key_file));
}

/*
 * SIGHUP, with the new configuration in place (@old: the one before): the
 * files are read again (a new revocation list drops the guests it names);
 * a changed network, group size or key starts [guest] anew.
 */
void esfd_guest_reload(struct esfd *d, const struct esfd_guest_conf *old)
{
	if (d->guest && (!d->cfg.guest.line || !conf_same(old, &d->cfg.guest)))
		esfd_guest_stop(d);
	if (!d->guest) {
		if (esfd_guest_start(d))
			log_err("reload: [guest] cannot start: no guest service until it can");
		return;
	}
	if (d->guest->dev_key) {
		X509_STORE *t = NULL;

		if (!d->cfg.guest.trust_file || !trust_load(d->cfg.guest.trust_file, &t)) {
			X509_STORE_free(d->guest->dev_trust);
			d->guest->dev_trust = t;
		}
	}
	if (is_gateway(d) && !gateway_files(d, &d->cfg))
		recheck(d);
}

/*
 * esf.ko went away (kernel.c, "Module unload and reload"): the sessions
 * went with it, and their ids may name other sessions once it is back.
 * The gateway's guests held the lost group's key: they present again to
 * the new one, made once the module is back.
 */
static void sessions_lost(struct esfd *d)
{
	struct esfd_guest *g = d->guest;

	if (!g->session && !g->dev_session)
		return;
	log_warn("[guest] sessions %u (relay group) and %u (grant) went with esf.ko",
		 g->session, g->dev_session);
	g->session = g->dev_session = 0;
	g->n_in = 0;
	g->next_sender = 1;
}

void esfd_guest_timer(struct esfd *d)
{
	struct esfd_guest *g = d->guest;
	struct guest_pend *q, *nx;
	int64_t now = esfd_now(d);
	size_t i, n = 0;

	if (!g)
		return;
	for (q = g->pend; q; q = nx) {
		nx = q->next;
		if (q->deadline_ms <= esfd_now_ms(d)) {
			g->denied++;
			pend_finish(d, q, esfd_ctl_error(-ETIMEDOUT, "no answer from the gateway"));
		}
	}
	if (d->kernel_down) {
		sessions_lost(d);
		return;
	}
	if (is_gateway(d) && !g->session && now >= g->remake_at) {
		g->remake_at = now + 5;
		group_create(d);
	}
	for (i = 0; i < g->n_in; i++)
		if (g->in[i].until <= now)
			n++;
	if (n) {
		g->dropped_expired += n;
		rotate(d, "a guest's admission ended");
	}
	if (g->dev_session && g->dev_grant.exp <= now) {
		log_info("[guest] our admission into %s ended", g->dev_grant.net);
		dev_session_drop(d);
	}
}

void esfd_guest_forget_fd(struct esfd *d, int fd)
{
	struct guest_pend *q;

	for (q = d->guest ? d->guest->pend : NULL; q; q = q->next)
		if (q->fd == fd)
			q->fd = -1;
}

bool esfd_guest_waiting(const struct esfd *d, int fd)
{
	const struct guest_pend *q;

	for (q = d->guest ? d->guest->pend : NULL; q; q = q->next)
		if (q->fd == fd)
			return true;
	return false;
}
