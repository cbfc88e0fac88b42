// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: single messages encrypted to a certificate, ECDH-ES+A128KW with
 * A128GCM (the control socket's "ecdh" command; docs/esfd.md, "Encrypting
 * to a certificate"). esfd agrees the key-encryption key (ecdh.c) and
 * installs it as a one-shot kw(aes) session owned by the caller: one
 * message, SEAL or OPEN, within ONESHOT_SECONDS. The kernel makes and
 * wraps the content key and does the AES-GCM; libesf builds the JWE. So
 * the application never holds the private key, the KEK or the content
 * key, and the content encryption lands on the kernel's provider as every
 * other record does.
 *
 * Each session is esfd's until released ("op":"release"), used up (the
 * kernel refuses a second message), or ONESHOT_SECONDS old, when esfd
 * deletes it. A caller holds at most ONESHOT_PER_UID at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "esfd.h"
#include "ecdh.h"
#include "enc.h"

#define ONESHOT_SECONDS	60
#define ONESHOT_PER_UID	64
#define ONESHOT_MAX	1024
/* A PEM certificate chain in a request: the leaf and a few intermediates. */
#define CERT_PEM_MAX	16384

struct esfd_oneshot {
	uint32_t id;
	uid_t uid;
	int64_t expires;
	struct esfd_oneshot *next;
};

static size_t count_uid(const struct esfd *d, uid_t uid, size_t *all)
{
	const struct esfd_oneshot *o;
	size_t n = 0;

	*all = 0;
	for (o = d->oneshots; o; o = o->next, (*all)++)
		n += o->uid == uid;
	return n;
}

static void forget(struct esfd *d, struct esfd_oneshot **link, bool del)
{
	struct esfd_oneshot *o = *link;

	/* -ENOENT: used up and already gone, or the module was reloaded. */
	if (del && d->nl && !d->kernel_down)
		esf_nl_session_del(d->nl, o->id);
	*link = o->next;
	free(o);
}

void esfd_oneshot_timer(struct esfd *d)
{
	struct esfd_oneshot **link = &d->oneshots;
	int64_t now = esfd_now(d);

	while (*link) {
		if ((*link)->expires <= now)
			forget(d, link, true);
		else
			link = &(*link)->next;
	}
}

void esfd_oneshot_flush(struct esfd *d, bool del)
{
	while (d->oneshots)
		forget(d, &d->oneshots, del);
}

static json_t *refused(struct esfd *d, int err, const char *msg)
{
	d->ecdh_refused++;
	return esfd_ctl_error(err, msg);
}

/* Install the KEK as a one-shot kw(aes) session for the caller. */
static int install(struct esfd *d, const struct esfd_client *c, const uint8_t *kek,
		   uint8_t direction, uint32_t *id)
{
	struct esfd_oneshot *o = calloc(1, sizeof(*o));
	struct esf_nl_session s;
	struct esf_nl_new r;
	int err;

	if (!o)
		return -ENOMEM;
	memset(&r, 0, sizeof(r));
	r.alg = "kw(aes)";
	r.key = kek;
	r.key_len = ESFD_ECDH_KEK_LEN;
	r.direction = direction;
	r.tag_len = 16;
	r.cek_len = 16;
	/* One message, one minute: the replay record of an OPEN session
	 * then needs one entry.
	 */
	r.replay_window = 1;
	r.hard.messages = 1;
	r.hard.seconds = ONESHOT_SECONDS;
	r.owner_uid = c->uid;
	r.set = ESF_NEW_DIRECTION | ESF_NEW_TAG_LEN | ESF_NEW_CEK_LEN | ESF_NEW_REPLAY_WINDOW |
		ESF_NEW_HARD | ESF_NEW_OWNER_UID;
	if (direction == ESF_DIR_SEAL) {
		r.set |= ESF_NEW_SALT;
		if (RAND_bytes(r.salt, sizeof(r.salt)) != 1) {
			free(o);
			return -EIO;
		}
	}
	err = esf_nl_session_new(d->nl, &r, &s);
	if (err) {
		log_err("ecdh: creating a kw(aes) session: %s%s%s", strerror(-err),
			*esf_nl_errmsg(d->nl) ? ": " : "", esf_nl_errmsg(d->nl));
		free(o);
		return err;
	}
	o->id = s.id;
	o->uid = c->uid;
	o->expires = esfd_now(d) + ONESHOT_SECONDS;
	o->next = d->oneshots;
	d->oneshots = o;
	*id = s.id;
	return 0;
}

static int read_cert(const char *pem, X509 **leaf, STACK_OF(X509) **chain)
{
	BIO *b = BIO_new_mem_buf(pem, (int)strlen(pem));
	X509 *x;

	*leaf = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	*chain = sk_X509_new_null();
	while (*leaf && *chain && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (!sk_X509_push(*chain, x))
			X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	return *leaf && *chain ? 0 : -EINVAL;
}

static const char *const cert_errors[ESFD_CERT__N] = {
	[ESFD_CERT_EXPIRED] = "the recipient's certificate has expired",
	[ESFD_CERT_NOT_YET_VALID] = "the recipient's certificate is not valid yet",
	[ESFD_CERT_REVOKED] = "the recipient's certificate is revoked",
	[ESFD_CERT_UNKNOWN_CA] = "the recipient's certificate does not chain to esfd's CA",
	[ESFD_CERT_WRONG_ID] = "the recipient's certificate does not name that id",
	[ESFD_CERT_INVALID] = "the recipient's certificate is not valid",
};

/* The recipient's verified public key, or a refusal (*@j). */
static EVP_PKEY *recipient(struct esfd *d, json_t *req, char x5t[ESFD_X5T_LEN + 1],
			   json_t **j)
{
	const char *pem = json_string_value(json_object_get(req, "cert"));
	const char *id = json_string_value(json_object_get(req, "id"));
	STACK_OF(X509) *chain = NULL;
	enum esfd_cert_reason r;
	EVP_PKEY *pub = NULL;
	X509 *leaf = NULL;

	if (!pem || !id || strlen(pem) > CERT_PEM_MAX || json_object_size(req) != 4) {
		*j = refused(d, -EINVAL, "ecdh seal takes \"cert\" (PEM, the recipient's "
			     "certificate first) and \"id\" (the id it must name)");
		return NULL;
	}
	if (read_cert(pem, &leaf, &chain)) {
		*j = refused(d, -EINVAL, "\"cert\" holds no PEM certificate");
		goto out;
	}
	r = esfd_creds_verify(d->cfg.certs.creds, leaf, chain, id, esfd_now(d), NULL);
	if (r != ESFD_CERT_OK) {
		*j = refused(d, -EKEYREJECTED, cert_errors[r]);
		json_object_set_new(*j, "cert", json_string(esfd_cert_reason_name(r)));
		goto out;
	}
	pub = X509_get_pubkey(leaf);
	if (!pub || esfd_x5t_s256(leaf, x5t)) {
		EVP_PKEY_free(pub);
		pub = NULL;
		*j = refused(d, -EKEYREJECTED, "the recipient's key is not usable");
	}
out:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return pub;
}

/* {"op":"seal","cert":PEM,"id":ID} -> {"session","epk","x5t#S256"} */
static json_t *seal(struct esfd *d, const struct esfd_client *c, json_t *req)
{
	char x5t[ESFD_X5T_LEN + 1];
	EVP_PKEY *pub, *eph = NULL;
	uint8_t kek[ESFD_ECDH_KEK_LEN];
	json_t *j = NULL, *epk = NULL;
	uint32_t id;
	int err;

	pub = recipient(d, req, x5t, &j);
	if (!pub)
		return j;
	err = esfd_ecdh_ephemeral(&eph);
	if (!err)
		err = esfd_ecdh_epk_json(eph, &epk);
	if (!err)
		err = esfd_ecdh_kek(ESFD_ECDH_ALG, eph, pub, NULL, 0, NULL, 0, kek);
	/* The ephemeral private key goes now: one message, forward secrecy. */
	EVP_PKEY_free(eph);
	EVP_PKEY_free(pub);
	if (!err)
		err = install(d, c, kek, ESF_DIR_SEAL, &id);
	OPENSSL_cleanse(kek, sizeof(kek));
	if (err) {
		json_decref(epk);
		return refused(d, err, NULL);
	}
	d->ecdh_sealed++;
	log_debug("control: ecdh seal session %u for uid %u (pid %d)", id,
		  (unsigned int)c->uid, (int)c->pid);
	return json_pack("{s:i,s:I,s:o,s:s}", "status", 0, "session", (json_int_t)id, "epk",
			 epk, "x5t#S256", x5t);
}

static int party(json_t *req, const char *name, uint8_t *v, size_t *len)
{
	const char *s = json_string_value(json_object_get(req, name));

	*len = 0;
	if (!json_object_get(req, name))
		return 0;
	if (!s || esfd_b64_decode(s, strlen(s), true, v, ESFD_ECDH_PARTY_MAX, len))
		return -EINVAL;
	return 0;
}

/* {"op":"open","epk":JWK,"apu"?,"apv"?,"x5t#S256"?} -> {"session"} */
static json_t *open_(struct esfd *d, const struct esfd_client *c, json_t *req)
{
	uint8_t apu[ESFD_ECDH_PARTY_MAX], apv[ESFD_ECDH_PARTY_MAX], kek[ESFD_ECDH_KEK_LEN];
	const char *want = json_string_value(json_object_get(req, "x5t#S256"));
	char x5t[ESFD_X5T_LEN + 1];
	size_t apu_len, apv_len, members = 3;
	EVP_PKEY *epk = NULL;
	uint32_t id;
	int err;

	members += !!json_object_get(req, "apu") + !!json_object_get(req, "apv") +
		   !!json_object_get(req, "x5t#S256");
	if (party(req, "apu", apu, &apu_len) || party(req, "apv", apv, &apv_len) ||
	    (json_object_get(req, "x5t#S256") && !want) || json_object_size(req) != members ||
	    esfd_ecdh_epk_parse(json_object_get(req, "epk"), &epk))
		return refused(d, -EINVAL, "ecdh open takes \"epk\" (a P-256 public JWK on the "
			       "curve), and \"apu\", \"apv\" (base64url, at most 256 bytes) "
			       "and \"x5t#S256\" when the JWE has them");
	/* A message for another certificate would only fail its tag later. */
	if (want && (esfd_x5t_s256(d->cfg.certs.creds->cert, x5t) || strcmp(want, x5t))) {
		EVP_PKEY_free(epk);
		return refused(d, -ENOKEY, "the JWE is encrypted to another certificate "
			       "(\"x5t#S256\")");
	}
	err = esfd_ecdh_kek(ESFD_ECDH_ALG, d->cfg.certs.creds->key, epk, apu, apu_len, apv,
			    apv_len, kek);
	EVP_PKEY_free(epk);
	if (!err)
		err = install(d, c, kek, ESF_DIR_OPEN, &id);
	OPENSSL_cleanse(kek, sizeof(kek));
	if (err)
		return refused(d, err, NULL);
	d->ecdh_opened++;
	log_debug("control: ecdh open session %u for uid %u (pid %d)", id,
		  (unsigned int)c->uid, (int)c->pid);
	return json_pack("{s:i,s:I}", "status", 0, "session", (json_int_t)id);
}

/* {"op":"release","session":N}: the caller's own one-shot session only. */
static json_t *release(struct esfd *d, const struct esfd_client *c, json_t *req)
{
	json_t *sid = json_object_get(req, "session");
	struct esfd_oneshot **link;

	for (link = &d->oneshots; sid && *link; link = &(*link)->next) {
		if ((json_int_t)(*link)->id != json_integer_value(sid))
			continue;
		if ((*link)->uid != c->uid)
			break;
		forget(d, link, true);
		return json_pack("{s:i}", "status", 0);
	}
	return esfd_ctl_error(-ENOENT, "no such single-message session of yours");
}

json_t *esfd_oneshot_ctl(struct esfd *d, const struct esfd_client *c, json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	size_t all;

	if (op && !strcmp(op, "release"))
		return release(d, c, req);
	if (!esfd_ctl_may_use_key(d, c)) {
		log_warn("control: uid %u (pid %d) may not have esfd use its certificate "
			 "(sign-uid, sign-gid)", (unsigned int)c->uid, (int)c->pid);
		return refused(d, -EACCES, "not allowed to use esfd's certificate: root, "
			       "esfd's user, or [esfd] sign-uid / sign-gid");
	}
	if (!d->cfg.certs.creds)
		return refused(d, -ENOKEY, "no certificate credential ([esfd] ca-file, "
			       "cert-file, key-file)");
	if (d->kernel_down)
		return refused(d, -ENODEV, "esf.ko is not loaded");
	if (count_uid(d, c->uid, &all) >= ONESHOT_PER_UID || all >= ONESHOT_MAX)
		return refused(d, -EBUSY, "too many single-message sessions held: release "
			       "them (or wait a minute)");
	if (op && !strcmp(op, "seal"))
		return seal(d, c, req);
	if (op && !strcmp(op, "open"))
		return open_(d, c, req);
	return refused(d, -EINVAL, "ecdh \"op\" is \"seal\", \"open\" or \"release\"");
}
