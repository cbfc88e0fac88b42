// SPDX-License-Identifier: GPL-2.0
/*
 * libesf's esf_es256_verify(): JWS ES256 with the signer's chain in "x5c",
 * verified offline against a root. The JWS are made here with OpenSSL's API
 * (not with esfd's signer, which test_esfd_certke checks against OpenSSL),
 * so that both sides are checked against something they do not share. The
 * exchange with an independent JOSE library (python3-jwcrypto) is in
 * selftests/esf_jose_interop.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kselftest_harness.h"
#include "esf.h"
#include "esf_env.h"
#include "pki.h"

struct pki {
	char dir[64];
	char root_pem[96], evil_pem[96], crl_pem[96];
	EVP_PKEY *root_key, *evil_key, *k, *k384;
	X509 *root, *evil, *leaf, *expired, *future, *foreign, *revoked, *other_id, *p384;
};

static char *b64std(const unsigned char *p, int n)
{
	char *s = malloc((size_t)(n + 2) / 3 * 4 + 1);

	EVP_EncodeBlock((unsigned char *)s, p, n);
	return s;
}

/* A CRL of the root listing @x. */
static void write_crl(const char *path, X509 *root, EVP_PKEY *key, X509 *x)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_TIME *t = ASN1_TIME_new();
	FILE *f = fopen(path, "w");

	X509_gmtime_adj(t, -10);
	X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(x));
	X509_REVOKED_set_revocationDate(r, t);
	X509_CRL_add0_revoked(crl, r);
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(root));
	X509_CRL_set1_lastUpdate(crl, t);
	X509_gmtime_adj(t, 86400);
	X509_CRL_set1_nextUpdate(crl, t);
	X509_CRL_sort(crl);
	X509_CRL_sign(crl, key, EVP_sha256());
	PEM_write_X509_CRL(f, crl);
	fclose(f);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
}

static void pki_make(struct pki *p)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/esf-es256-XXXXXX");
	if (!mkdtemp(p->dir))
		abort();
	p->root_key = p256();
	p->evil_key = p256();
	p->k = p256();
	p->k384 = EVP_EC_gen("P-384");
	p->root = mkcert(p->root_key, NULL, p->root_key, "root", NULL, -86400, 86400, 1);
	p->evil = mkcert(p->evil_key, NULL, p->evil_key, "evil", NULL, -60, 86400, 1);
	p->leaf = mkcert(p->k, p->root, p->root_key, "v7", "/veh-07", -60, 86400, 2);
	p->expired = mkcert(p->k, p->root, p->root_key, "v7", "/veh-07", -7200, -3600, 3);
	p->future = mkcert(p->k, p->root, p->root_key, "v7", "/veh-07", 3600, 7200, 4);
	p->foreign = mkcert(p->k, p->evil, p->evil_key, "v7", "/veh-07", -60, 86400, 5);
	p->revoked = mkcert(p->k, p->root, p->root_key, "v7", "/veh-07", -60, 86400, 6);
	p->other_id = mkcert(p->k, p->root, p->root_key, "v8", "/veh-08", -60, 86400, 7);
	p->p384 = mkcert(p->k384, p->root, p->root_key, "v9", "/veh-09", -60, 86400, 8);
	snprintf(p->root_pem, sizeof(p->root_pem), "%s/root.pem", p->dir);
	snprintf(p->evil_pem, sizeof(p->evil_pem), "%s/evil.pem", p->dir);
	snprintf(p->crl_pem, sizeof(p->crl_pem), "%s/crl.pem", p->dir);
	write_cert(p->root_pem, p->root);
	write_cert(p->evil_pem, p->evil);
	write_crl(p->crl_pem, p->root, p->root_key, p->revoked);
}

static void pki_free(struct pki *p)
{
	char cmd[128];

	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->evil_key);
	EVP_PKEY_free(p->k);
	EVP_PKEY_free(p->k384);
	X509_free(p->root);
	X509_free(p->evil);
	X509_free(p->leaf);
	X509_free(p->expired);
	X509_free(p->future);
	X509_free(p->foreign);
	X509_free(p->revoked);
	X509_free(p->other_id);
	X509_free(p->p384);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", p->dir);
}

/* ECDSA over SHA-256 as R || S, with a curve of @bytes per coordinate. */
static void rs_sign(EVP_PKEY *k, const char *in, unsigned char *sig, int bytes)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[160];
	const unsigned char *q = der;
	size_t n = sizeof(der);
	const BIGNUM *r, *s;
	ECDSA_SIG *es;

	EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k);
	EVP_DigestSign(md, der, &n, (const unsigned char *)in, strlen(in));
	es = d2i_ECDSA_SIG(NULL, &q, (long)n);
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, sig, bytes);
	BN_bn2binpad(s, sig + bytes, bytes);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
}

/*
 * A JWS compact: header {"alg":@alg,"x5c":[@x DER]} (plus @extra members,
 * a JSON object text, or NULL), payload @payload, signed with @k.
 */
static char *jws(EVP_PKEY *k, X509 *x, const char *alg, const char *extra,
		 const char *payload, int sig_bytes)
{
	unsigned char *der = NULL, sig[96];
	int n = i2d_X509(x, &der);
	char *cert = b64std(der, n), *htext, *hb, *pb, *input, *sb, *out;
	json_t *h = json_pack("{s:s,s:[s]}", "alg", alg, "x5c", cert);

	if (extra)
		json_object_update_new(h, json_loads(extra, 0, NULL));
	htext = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
	hb = esf_b64url_encode_alloc(htext, strlen(htext));
	pb = esf_b64url_encode_alloc(payload, strlen(payload));
	if (asprintf(&input, "%s.%s", hb, pb) < 0)
		abort();
	rs_sign(k, input, sig, sig_bytes);
	sb = esf_b64url_encode_alloc(sig, (size_t)sig_bytes * 2);
	if (asprintf(&out, "%s.%s", input, sb) < 0)
		abort();
	OPENSSL_free(der);
	free(cert);
	free(htext);
	free(hb);
	free(pb);
	free(input);
	free(sb);
	json_decref(h);
	return out;
}

static int verify(const char *j, const struct esf_es256_opts *o, char **payload, char **signer)
{
	void *pl = NULL;
	size_t n = 0;
	int err = esf_es256_verify(j, strlen(j), o, &pl, &n, signer);

	if (payload)
		*payload = pl;
	else
		free(pl);
	return err;
}

FIXTURE(es256) {
	struct pki p;
	struct esf_es256_opts o;
};

FIXTURE_SETUP(es256)
{
	pki_make(&self->p);
	self->o = (struct esf_es256_opts){ .ca_file = self->p.root_pem };
}

FIXTURE_TEARDOWN(es256)
{
	pki_free(&self->p);
}

TEST_F(es256, verifies_and_names_the_signer)
{
	char *j = jws(self->p.k, self->p.leaf, "ES256", "{\"cty\":\"text/plain\"}",
		      "door 7: closed", 32);
	char *payload = NULL, *signer = NULL;

	ASSERT_EQ(0, verify(j, &self->o, &payload, &signer));
	EXPECT_STREQ("door 7: closed", payload);
	EXPECT_STREQ("/veh-07", signer);
	free(payload);
	free(signer);
	self->o.signer_id = "/veh-07";
	EXPECT_EQ(0, verify(j, &self->o, NULL, NULL));
	self->o.signer_id = "/veh-08";
	EXPECT_EQ(-ESF_E_CERT_WRONG_ID, verify(j, &self->o, NULL, NULL));
	free(j);
}

TEST_F(es256, forgeries_fail)
{
	char *j = jws(self->p.k, self->p.leaf, "ES256", NULL, "open the barrier", 32);
	char *dot = strrchr(j, '.');

	/* A payload byte changed, then a signature byte. */
	dot[-2] ^= 1;
	EXPECT_EQ(-EBADMSG, verify(j, &self->o, NULL, NULL));
	dot[-2] ^= 1;
	ASSERT_EQ(0, verify(j, &self->o, NULL, NULL));
	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	EXPECT_EQ(-EBADMSG, verify(j, &self->o, NULL, NULL));
	free(j);
	/* Another vehicle's certificate on this vehicle's signature. */
	j = jws(self->p.k384, self->p.leaf, "ES256", NULL, "x", 32);
	EXPECT_EQ(-EBADMSG, verify(j, &self->o, NULL, NULL));
	free(j);
}

TEST_F(es256, certificates_refused_each_for_its_reason)
{
	char *j;

	j = jws(self->p.k, self->p.expired, "ES256", NULL, "x", 32);
	EXPECT_EQ(-ESF_E_CERT_EXPIRED, verify(j, &self->o, NULL, NULL));
	/* Verified at a time it was valid, it passes. */
	self->o.at = time(NULL) - 5000;
	EXPECT_EQ(0, verify(j, &self->o, NULL, NULL));
	self->o.at = 0;
	free(j);
	j = jws(self->p.k, self->p.future, "ES256", NULL, "x", 32);
	EXPECT_EQ(-ESF_E_CERT_NOT_YET_VALID, verify(j, &self->o, NULL, NULL));
	free(j);
	j = jws(self->p.k, self->p.foreign, "ES256", NULL, "x", 32);
	EXPECT_EQ(-ESF_E_CERT_UNKNOWN_CA, verify(j, &self->o, NULL, NULL));
	self->o.ca_file = self->p.evil_pem;
	EXPECT_EQ(0, verify(j, &self->o, NULL, NULL));
	self->o.ca_file = self->p.root_pem;
	free(j);
	j = jws(self->p.k, self->p.revoked, "ES256", NULL, "x", 32);
	EXPECT_EQ(0, verify(j, &self->o, NULL, NULL));
	self->o.crl_file = self->p.crl_pem;
	EXPECT_EQ(-ESF_E_CERT_REVOKED, verify(j, &self->o, NULL, NULL));
	free(j);
	j = jws(self->p.k, self->p.leaf, "ES256", NULL, "x", 32);
	EXPECT_EQ(0, verify(j, &self->o, NULL, NULL));
	free(j);
	j = jws(self->p.k384, self->p.p384, "ES256", NULL, "x", 48);
	EXPECT_EQ(-ESF_E_FORMAT, verify(j, &self->o, NULL, NULL));
	free(j);
	j = jws(self->p.k384, self->p.p384, "ES256", NULL, "x", 32);
	EXPECT_EQ(-ESF_E_CERT_INVALID, verify(j, &self->o, NULL, NULL));
	free(j);
	self->o.ca_file = "/nonexistent/root.pem";
	j = jws(self->p.k, self->p.leaf, "ES256", NULL, "x", 32);
	EXPECT_EQ(-ENOENT, verify(j, &self->o, NULL, NULL));
	free(j);
}

TEST_F(es256, headers_it_does_not_take)
{
	char *j, *flat, *prot, *rest;

	j = jws(self->p.k, self->p.leaf, "HS256", NULL, "x", 32);
	EXPECT_EQ(-ESF_E_UNSUPPORTED, verify(j, &self->o, NULL, NULL));
	free(j);
	j = jws(self->p.k, self->p.leaf, "ES256", "{\"crit\":[\"exp\"],\"exp\":1}", "x", 32);
	EXPECT_EQ(-ESF_E_UNSUPPORTED, verify(j, &self->o, NULL, NULL));
	free(j);
	j = jws(self->p.k, self->p.leaf, "ES256", "{\"x5c\":[]}", "x", 32);
	EXPECT_EQ(-ESF_E_FORMAT, verify(j, &self->o, NULL, NULL));
	free(j);
	j = jws(self->p.k, self->p.leaf, "ES256", "{\"x5c\":[\"not base64!\"]}", "x", 32);
	EXPECT_EQ(-ESF_E_FORMAT, verify(j, &self->o, NULL, NULL));
	free(j);
	EXPECT_EQ(-ESF_E_FORMAT, verify("a.b", &self->o, NULL, NULL));
	EXPECT_EQ(-EINVAL, esf_es256_verify("a.b.c", 5, NULL, NULL, NULL, NULL));

	/* Flattened JSON: taken; with "x5c" moved out of the protection: not. */
	j = jws(self->p.k, self->p.leaf, "ES256", NULL, "flat", 32);
	prot = j;
	rest = strchr(j, '.');
	*rest++ = '\0';
	*strchr(rest, '.') = '\0';
	if (asprintf(&flat, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
		     prot, rest, rest + strlen(rest) + 1) < 0)
		abort();
	EXPECT_EQ(0, verify(flat, &self->o, NULL, NULL));
	free(flat);
	if (asprintf(&flat, "{\"protected\":\"%s\",\"header\":{\"x5c\":[\"AA==\"]},"
		     "\"payload\":\"%s\",\"signature\":\"%s\"}",
		     prot, rest, rest + strlen(rest) + 1) < 0)
		abort();
	EXPECT_NE(0, verify(flat, &self->o, NULL, NULL));
	free(flat);
	free(j);
}

/*
 * esf_ecdh_open() refuses what is not its JWE before asking esfd (here
 * there is none: a request would fail -ENOENT); the round trip with esfd,
 * the kernel and jwcrypto is selftests/esf_es256.sh.
 */
static int ecdh_open(const char *hdr)
{
	char *b = esf_b64url_encode_alloc(hdr, strlen(hdr)), jwe[512];
	void *out = NULL;
	size_t len = 0;
	int err;

	snprintf(jwe, sizeof(jwe), "%s.%s.%s.%s.%s", b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		 "AAAAAAAAAAAAAAAA", "AAAA", "AAAAAAAAAAAAAAAAAAAAAA");
	free(b);
	err = esf_ecdh_open("/nonexistent/esfd.sock", jwe, strlen(jwe), &out, &len, NULL);
	free(out);
	return err;
}

TEST(ecdh_refuses_before_asking_esfd)
{
	char *jwe = NULL;

	EXPECT_EQ(-ESF_E_UNSUPPORTED, ecdh_open("{\"alg\":\"A128KW\",\"enc\":\"A128GCM\"}"));
	EXPECT_EQ(-ESF_E_UNSUPPORTED,
		  ecdh_open("{\"alg\":\"ECDH-ES+A128KW\",\"enc\":\"A256GCM\",\"epk\":{}}"));
	EXPECT_EQ(-ESF_E_FORMAT, ecdh_open("{\"alg\":\"ECDH-ES+A128KW\",\"enc\":\"A128GCM\"}"));
	EXPECT_EQ(-ESF_E_FORMAT,
		  ecdh_open("{\"alg\":\"ECDH-ES+A128KW\",\"enc\":\"A128GCM\",\"epk\":\"x\"}"));
	/* Well formed: then esfd is asked, and there is none. */
	EXPECT_EQ(-ENOENT,
		  ecdh_open("{\"alg\":\"ECDH-ES+A128KW\",\"enc\":\"A128GCM\",\"epk\":{}}"));
	EXPECT_EQ(-EINVAL, esf_ecdh_seal(NULL, "pem", NULL, "x", 1, NULL, &jwe));
	EXPECT_EQ(-EMSGSIZE, esf_ecdh_seal(NULL, "pem", "/veh-08", "x", ESF_ECDH_PAYLOAD_MAX + 1,
					   NULL, &jwe));
	EXPECT_EQ(NULL, jwe);
}

TEST_HARNESS_MAIN
