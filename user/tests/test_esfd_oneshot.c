// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's "ecdh" control command (esfd/oneshot.c) against a kernel made of
 * a table in this file: the kw(aes) session it installs for one message
 * (direction, lifetime, owner, and a key-encryption key that the other
 * side derives too), the recipient certificates it refuses and why, who
 * may ask, the cap per caller, release and expiry. The real kernel and a
 * JOSE library esf did not write are in selftests/esf_es256.sh.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "kselftest_harness.h"
#include "esfd_clock.h"
#include "pki.h"
#include "../esfd/ecdh.h"
#include "../esfd/esfd.h"

/* The fake kernel ------------------------------------------------------------ */

#define FAKE_MAX 200

struct fake {
	uint32_t id;
	char alg[32];
	uint8_t key[32];
	size_t key_len;
	struct esf_nl_new req;
};

static struct fake fake[FAKE_MAX];
static size_t n_fake;
static uint32_t next_id = 1;

int esf_nl_session_new(struct esf_nl *nl, const struct esf_nl_new *req,
		       struct esf_nl_session *out)
{
	struct fake *f = &fake[n_fake];

	(void)nl;
	if (n_fake == FAKE_MAX || req->key_len > sizeof(f->key))
		return -ENOSPC;
	memset(f, 0, sizeof(*f));
	f->id = next_id++;
	snprintf(f->alg, sizeof(f->alg), "%s", req->alg);
	memcpy(f->key, req->key, req->key_len);
	f->key_len = req->key_len;
	f->req = *req;
	f->req.alg = NULL;
	f->req.key = NULL;
	memset(out, 0, sizeof(*out));
	out->id = f->id;
	n_fake++;
	return 0;
}

int esf_nl_session_del(struct esf_nl *nl, uint32_t id)
{
	size_t i;

	(void)nl;
	for (i = 0; i < n_fake; i++) {
		if (fake[i].id == id) {
			fake[i] = fake[--n_fake];
			return 0;
		}
	}
	return -ENOENT;
}

const char *esf_nl_errmsg(const struct esf_nl *nl)
{
	(void)nl;
	return "";
}

static struct fake *fake_find(uint32_t id)
{
	size_t i;

	for (i = 0; i < n_fake; i++)
		if (fake[i].id == id)
			return &fake[i];
	return NULL;
}

/* What oneshot.c takes from the rest of esfd ----------------------------------- */

json_t *esfd_ctl_error(int err, const char *msg)
{
	return json_pack("{s:i,s:s}", "status", err, "error", msg ? msg : strerror(-err));
}

/* ctl.c's rule, with esfd running as root. */
bool esfd_ctl_may_use_key(const struct esfd *d, const struct esfd_client *c)
{
	return c->uid == 0 || c->uid == d->cfg.sign_uid || c->gid == d->cfg.sign_gid;
}

/* The PKI and the daemon --------------------------------------------------------- */

#define SIGN_UID 1000

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s = NULL;
	long n;

	if (b && PEM_write_bio_X509(b, x)) {
		n = BIO_get_mem_data(b, &data);
		s = strndup(data, (size_t)n);
	}
	BIO_free(b);
	return s;
}

FIXTURE(oneshot) {
	struct esfd d;
	struct esfd_creds creds;
	EVP_PKEY *ca_key, *veh_key, *peer_key, *evil_key;
	X509 *ca, *veh, *peer, *old, *evil, *foreign;
	char *peer_pem, *old_pem, *foreign_pem;
	struct esfd_client c;
};

FIXTURE_SETUP(oneshot)
{
	self->ca_key = p256();
	self->veh_key = p256();
	self->peer_key = p256();
	self->evil_key = p256();
	self->ca = mkcert(self->ca_key, NULL, self->ca_key, "esf test root", NULL, -60, 86400, 1);
	self->evil = mkcert(self->evil_key, NULL, self->evil_key, "a foreign root", NULL, -60, 86400, 1);
	self->veh = mkcert(self->veh_key, self->ca, self->ca_key, "veh", "/veh-07", -60, 86400,
			   2);
	self->peer = mkcert(self->peer_key, self->ca, self->ca_key, "peer", "/veh-08", -60,
			    86400, 3);
	self->old = mkcert(self->peer_key, self->ca, self->ca_key, "old", "/veh-08", -7200,
			   -3600, 4);
	self->foreign = mkcert(self->peer_key, self->evil, self->evil_key, "foreign", "/veh-08",
			       -60, 86400, 5);
	ASSERT_NE(NULL, self->foreign);
	self->peer_pem = pem_of(self->peer);
	self->old_pem = pem_of(self->old);
	self->foreign_pem = pem_of(self->foreign);
	ASSERT_NE(NULL, self->foreign_pem);
	self->creds.store = X509_STORE_new();
	ASSERT_EQ(1, X509_STORE_add_cert(self->creds.store, self->ca));
	self->creds.cert = self->veh;
	self->creds.key = self->veh_key;
	memset(&self->d, 0, sizeof(self->d));
	self->d.cfg.certs.creds = &self->creds;
	self->d.cfg.sign_uid = SIGN_UID;
	self->d.cfg.sign_gid = 4242;
	/* Only compared with NULL: the fake kernel needs no handle. */
	self->d.nl = (struct esf_nl *)&self->d;
	self->c = (struct esfd_client){ .fd = -1, .uid = SIGN_UID, .gid = 100, .pid = 7 };
	n_fake = 0;
	esfd_test_clock_ahead = 0;
}

FIXTURE_TEARDOWN(oneshot)
{
	esfd_oneshot_flush(&self->d, false);
	X509_STORE_free(self->creds.store);
	X509_free(self->ca);
	X509_free(self->evil);
	X509_free(self->veh);
	X509_free(self->peer);
	X509_free(self->old);
	X509_free(self->foreign);
	EVP_PKEY_free(self->ca_key);
	EVP_PKEY_free(self->veh_key);
	EVP_PKEY_free(self->peer_key);
	EVP_PKEY_free(self->evil_key);
	free(self->peer_pem);
	free(self->old_pem);
	free(self->foreign_pem);
}

/* One request as @c; the reply's status, the reply in *@rep. */
static int ask(struct esfd *d, const struct esfd_client *c, json_t *req, json_t **rep)
{
	*rep = esfd_oneshot_ctl(d, c, req);
	json_decref(req);
	return (int)json_integer_value(json_object_get(*rep, "status"));
}

static json_t *seal_req(const char *pem, const char *id)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "cmd", "ecdh", "op", "seal", "cert", pem, "id", id);
}

static uint32_t session_of(const json_t *rep)
{
	return (uint32_t)json_integer_value(json_object_get(rep, "session"));
}

TEST_F(oneshot, seal_installs_a_one_message_kw_session_the_recipient_can_key)
{
	uint8_t kek[ESFD_ECDH_KEK_LEN];
	char x5t[ESFD_X5T_LEN + 1];
	EVP_PKEY *epk = NULL;
	struct fake *f;
	json_t *rep;

	ASSERT_EQ(0, ask(&self->d, &self->c, seal_req(self->peer_pem, "/veh-08"), &rep));
	f = fake_find(session_of(rep));
	ASSERT_NE(NULL, f);
	EXPECT_STREQ("kw(aes)", f->alg);
	EXPECT_EQ(ESFD_ECDH_KEK_LEN, f->key_len);
	EXPECT_EQ(ESF_DIR_SEAL, f->req.direction);
	EXPECT_EQ(16, f->req.cek_len);
	EXPECT_EQ(16, f->req.tag_len);
	EXPECT_EQ(1, f->req.hard.messages);
	EXPECT_EQ(60, f->req.hard.seconds);
	EXPECT_EQ(SIGN_UID, f->req.owner_uid);
	EXPECT_TRUE(f->req.set & ESF_NEW_SALT);
	EXPECT_TRUE(f->req.set & ESF_NEW_OWNER_UID);
	/* The recipient derives the same KEK from the epk and its own key. */
	ASSERT_EQ(0, esfd_ecdh_epk_parse(json_object_get(rep, "epk"), &epk));
	ASSERT_EQ(0, esfd_ecdh_kek(ESFD_ECDH_ALG, self->peer_key, epk, NULL, 0, NULL, 0, kek));
	EXPECT_EQ(0, memcmp(kek, f->key, sizeof(kek)));
	ASSERT_EQ(0, esfd_x5t_s256(self->peer, x5t));
	EXPECT_STREQ(x5t, json_string_value(json_object_get(rep, "x5t#S256")));
	EXPECT_EQ(1, self->d.ecdh_sealed);
	/* A second message gets another ephemeral key, so another KEK. */
	json_decref(rep);
	ASSERT_EQ(0, ask(&self->d, &self->c, seal_req(self->peer_pem, "/veh-08"), &rep));
	EXPECT_NE(0, memcmp(kek, fake_find(session_of(rep))->key, sizeof(kek)));
	EVP_PKEY_free(epk);
	json_decref(rep);
}

TEST_F(oneshot, open_keys_the_session_from_the_epk_with_our_certificate)
{
	uint8_t kek[ESFD_ECDH_KEK_LEN];
	char mine[ESFD_X5T_LEN + 1], theirs[ESFD_X5T_LEN + 1];
	EVP_PKEY *eph = NULL, *me = X509_get_pubkey(self->veh);
	json_t *epk = NULL, *rep, *req;
	struct fake *f;

	ASSERT_EQ(0, esfd_ecdh_ephemeral(&eph));
	ASSERT_EQ(0, esfd_ecdh_epk_json(eph, &epk));
	ASSERT_EQ(0, esfd_ecdh_kek(ESFD_ECDH_ALG, eph, me, (const uint8_t *)"veh-08", 6, NULL, 0,
				   kek));
	ASSERT_EQ(0, esfd_x5t_s256(self->veh, mine));
	ASSERT_EQ(0, esfd_x5t_s256(self->peer, theirs));
	req = json_pack("{s:s,s:s,s:O,s:s,s:s}", "cmd", "ecdh", "op", "open", "epk", epk,
			"apu", "dmVoLTA4", "x5t#S256", mine);
	ASSERT_EQ(0, ask(&self->d, &self->c, req, &rep));
	f = fake_find(session_of(rep));
	ASSERT_NE(NULL, f);
	EXPECT_EQ(ESF_DIR_OPEN, f->req.direction);
	EXPECT_EQ(1, f->req.hard.messages);
	EXPECT_EQ(1, f->req.replay_window);
	EXPECT_EQ(0, memcmp(kek, f->key, sizeof(kek)));
	json_decref(rep);
	/* Encrypted to another certificate: refused, nothing installed. */
	req = json_pack("{s:s,s:s,s:O,s:s}", "cmd", "ecdh", "op", "open", "epk", epk,
			"x5t#S256", theirs);
	EXPECT_EQ(-ENOKEY, ask(&self->d, &self->c, req, &rep));
	json_decref(rep);
	/* A member esfd does not know, or an epk that is not a point. */
	req = json_pack("{s:s,s:s,s:O,s:s}", "cmd", "ecdh", "op", "open", "epk", epk, "kid",
			"x");
	EXPECT_EQ(-EINVAL, ask(&self->d, &self->c, req, &rep));
	json_decref(rep);
	json_object_set_new(epk, "y", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	req = json_pack("{s:s,s:s,s:O}", "cmd", "ecdh", "op", "open", "epk", epk);
	EXPECT_EQ(-EINVAL, ask(&self->d, &self->c, req, &rep));
	json_decref(rep);
	EXPECT_EQ(1, n_fake);
	EXPECT_EQ(1, self->d.ecdh_opened);
	EXPECT_EQ(3, self->d.ecdh_refused);
	json_decref(epk);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(me);
}

static void refused_cert(struct __test_metadata *_metadata, struct esfd *d,
			 const struct esfd_client *c, const char *pem, const char *id,
			 const char *why)
{
	json_t *rep;

	EXPECT_EQ(-EKEYREJECTED, ask(d, c, seal_req(pem, id), &rep));
	EXPECT_STREQ(why, json_string_value(json_object_get(rep, "cert")));
	json_decref(rep);
}

TEST_F(oneshot, recipient_certificates_refused_each_for_its_reason)
{
	refused_cert(_metadata, &self->d, &self->c, self->peer_pem, "/veh-09", "wrong-id");
	refused_cert(_metadata, &self->d, &self->c, self->old_pem, "/veh-08", "expired");
	refused_cert(_metadata, &self->d, &self->c, self->foreign_pem, "/veh-08", "unknown-ca");
	EXPECT_EQ(0, n_fake);
	EXPECT_EQ(3, self->d.ecdh_refused);
	EXPECT_EQ(0, self->d.ecdh_sealed);
}

TEST_F(oneshot, who_may_ask)
{
	struct esfd_client other = { .fd = -1, .uid = 1001, .gid = 100 };
	struct esfd_client group = { .fd = -1, .uid = 1002, .gid = 4242 };
	json_t *rep;

	EXPECT_EQ(-EACCES, ask(&self->d, &other, seal_req(self->peer_pem, "/veh-08"), &rep));
	json_decref(rep);
	EXPECT_EQ(0, ask(&self->d, &group, seal_req(self->peer_pem, "/veh-08"), &rep));
	json_decref(rep);
	self->d.kernel_down = true;
	EXPECT_EQ(-ENODEV, ask(&self->d, &self->c, seal_req(self->peer_pem, "/veh-08"), &rep));
	json_decref(rep);
	self->d.kernel_down = false;
	self->d.cfg.certs.creds = NULL;
	EXPECT_EQ(-ENOKEY, ask(&self->d, &self->c, seal_req(self->peer_pem, "/veh-08"), &rep));
	json_decref(rep);
	EXPECT_EQ(1, n_fake);
}

TEST_F(oneshot, cap_release_and_expiry)
{
	struct esfd_client other = { .fd = -1, .uid = 0, .gid = 0 };
	uint32_t first = 0;
	json_t *rep;
	int i;

	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, ask(&self->d, &self->c, seal_req(self->peer_pem, "/veh-08"), &rep));
		if (!first)
			first = session_of(rep);
		json_decref(rep);
	}
	EXPECT_EQ(-EBUSY, ask(&self->d, &self->c, seal_req(self->peer_pem, "/veh-08"), &rep));
	json_decref(rep);
	/* The cap is per caller. */
	EXPECT_EQ(0, ask(&self->d, &other, seal_req(self->peer_pem, "/veh-08"), &rep));
	json_decref(rep);
	EXPECT_EQ(65, n_fake);
	/* Only the owner releases its session; then one more fits. */
	EXPECT_EQ(-ENOENT, ask(&self->d, &other, json_pack("{s:s,s:s,s:I}", "cmd", "ecdh",
							   "op", "release", "session",
							   (json_int_t)first), &rep));
	json_decref(rep);
	EXPECT_EQ(0, ask(&self->d, &self->c, json_pack("{s:s,s:s,s:I}", "cmd", "ecdh", "op",
						       "release", "session",
						       (json_int_t)first), &rep));
	json_decref(rep);
	EXPECT_EQ(NULL, fake_find(first));
	EXPECT_EQ(0, ask(&self->d, &self->c, seal_req(self->peer_pem, "/veh-08"), &rep));
	json_decref(rep);
	/* A minute later esfd deletes every one left. */
	esfd_oneshot_timer(&self->d);
	EXPECT_EQ(65, n_fake);
	esfd_test_clock_ahead = 61;
	esfd_oneshot_timer(&self->d);
	EXPECT_EQ(0, n_fake);
	EXPECT_EQ(NULL, self->d.oneshots);
}

TEST_HARNESS_MAIN
