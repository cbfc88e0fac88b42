// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's certificate credentials (esfd/certs.c) and ESCertKE's handshake
 * (esfd/certke.c), in one process: a test PKI made here with OpenSSL's
 * API, the checks made when the credentials load, and the four flights
 * between a client and a server esfd_certke, with the refusals that must
 * stop a flight from leaving. The interoperability with openssl s_server
 * and s_client is in selftests/esf_certke.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kselftest_harness.h"
#include "esfd_testutil.h"
#include "pki.h"
#include "../esfd/certke.h"
#include "../esfd/config.h"
#include "../esfd/enc.h"
#include "../esfd/sign.h"

/* The PKI: a root, a foreign root, Cveh-01 and Cveh-02 under the root. */
struct pki {
	char dir[64];
	EVP_PKEY *root_key, *evil_key, *k1, *k2;
	X509 *root, *evil, *c1, *c2;
};

static void pki_make(struct pki *p)
{
	char path[128];

	snprintf(p->dir, sizeof(p->dir), "/tmp/esfd-certke-XXXXXX");
	if (!mkdtemp(p->dir))
		abort();
	p->root_key = p256();
	p->evil_key = p256();
	p->k1 = p256();
	p->k2 = p256();
	p->root = mkcert(p->root_key, NULL, p->root_key, "root", NULL, -60, 86400, 1);
	p->evil = mkcert(p->evil_key, NULL, p->evil_key, "evil", NULL, -60, 86400, 1);
	p->c1 = mkcert(p->k1, p->root, p->root_key, "v1", "Cveh-01", -60, 86400, 2);
	p->c2 = mkcert(p->k2, p->root, p->root_key, "v2", "Cveh-02", -60, 86400, 3);
#define W(name, x) (snprintf(path, sizeof(path), "%s/%s", p->dir, name), write_cert(path, x))
#define K(name, k, m) (snprintf(path, sizeof(path), "%s/%s", p->dir, name), write_key(path, k, m))
	W("root.pem", p->root);
	W("evil.pem", p->evil);
	W("v1.pem", p->c1);
	W("v2.pem", p->c2);
	K("v1.key", p->k1, 0600);
	K("v2.key", p->k2, 0600);
	K("loose.key", p->k1, 0644);
#undef W
#undef K
}

static void pki_free(struct pki *p)
{
	char cmd[128];

	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->evil_key);
	EVP_PKEY_free(p->k1);
	EVP_PKEY_free(p->k2);
	X509_free(p->root);
	X509_free(p->evil);
	X509_free(p->c1);
	X509_free(p->c2);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", p->dir);
}

static const unsigned int lines[4] = { 1, 2, 3, 4 };

static int load(struct pki *p, const char *ca, const char *cert, const char *key,
		const char *id, struct esfd_creds **c, struct esfd_config_error *e)
{
	memset(e, 0, sizeof(*e));
	return esfd_creds_load(ca, cert, key, NULL, id, p->dir, lines, c, e);
}

TEST(credentials)
{
	struct esfd_config_error e;
	struct esfd_creds *c = NULL;
	struct pki p;

	pki_make(&p);
	ASSERT_EQ(0, load(&p, "root.pem", "v1.pem", "v1.key", "Cveh-01", &c, &e))
		TH_LOG("%s", e.msg);
	EXPECT_NE(NULL, c->key);
	EXPECT_EQ(0, sk_X509_num(c->chain));
	EXPECT_FALSE(c->crl);
	esfd_creds_free(c);
	EXPECT_EQ(-EACCES, load(&p, "root.pem", "v1.pem", "loose.key", "Cveh-01", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "mode 0644"));
	EXPECT_EQ(-EINVAL, load(&p, "root.pem", "v1.pem", "v2.key", "Cveh-01", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "not the key of cert-file")) TH_LOG("%s", e.msg);
	EXPECT_EQ(3, e.line);
	EXPECT_EQ(-EINVAL, load(&p, "root.pem", "v1.pem", "v1.key", "Cveh-0", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "does not name this entity's id Cveh-0")) TH_LOG("%s", e.msg);
	EXPECT_EQ(-EINVAL, load(&p, "evil.pem", "v1.pem", "v1.key", "Cveh-01", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "does not verify against ca-file")) TH_LOG("%s", e.msg);
	EXPECT_EQ(-EINVAL, load(&p, "root.pem", "v1.key", "v1.key", "Cveh-01", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "no PEM certificate")) TH_LOG("%s", e.msg);
	EXPECT_EQ(-ENOENT, load(&p, "none.pem", "v1.pem", "v1.key", "Cveh-01", &c, &e));
	EXPECT_EQ(NULL, c);
	/* No message ever quotes the key. */
	EXPECT_EQ(NULL, strstr(e.msg, "PRIVATE"));
	pki_free(&p);
	esfd_test_leaks();
}

TEST(names_and_reasons)
{
	EVP_PKEY *k = p256();
	X509 *x = mkcert(k, NULL, k, "x", "/in-cse", 0, 60, 1);
	X509 *none = mkcert(k, NULL, k, "/in-cse", NULL, 0, 60, 2);

	EXPECT_TRUE(esfd_cert_names_id(x, "/in-cse"));
	EXPECT_FALSE(esfd_cert_names_id(x, "/in-cs"));
	EXPECT_FALSE(esfd_cert_names_id(x, "/in-cse/"));
	EXPECT_FALSE(esfd_cert_names_id(x, "in-cse"));
	/* The common name does not count. */
	EXPECT_FALSE(esfd_cert_names_id(none, "/in-cse"));
	EXPECT_EQ(ESFD_CERT_EXPIRED, esfd_cert_reason_of(X509_V_ERR_CERT_HAS_EXPIRED));
	EXPECT_EQ(ESFD_CERT_NOT_YET_VALID, esfd_cert_reason_of(X509_V_ERR_CERT_NOT_YET_VALID));
	EXPECT_EQ(ESFD_CERT_REVOKED, esfd_cert_reason_of(X509_V_ERR_CERT_REVOKED));
	EXPECT_EQ(ESFD_CERT_UNKNOWN_CA,
		  esfd_cert_reason_of(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
	EXPECT_EQ(ESFD_CERT_INVALID, esfd_cert_reason_of(X509_V_ERR_INVALID_CA));
	EXPECT_STREQ("wrong-id", esfd_cert_reason_name(ESFD_CERT_WRONG_ID));
	X509_free(x);
	X509_free(none);
	EVP_PKEY_free(k);
}

/* Two ends: Cveh-01 the client, Cveh-02 the server. */
struct ends {
	struct pki p;
	struct esfd_creds *c1, *c2;
	SSL_CTX *x1, *x2;
	struct esfd_certke *cl, *sv;
};

static void ends_make(struct ends *e, const char *client_expects, int64_t server_now)
{
	struct esfd_config_error err;

	pki_make(&e->p);
	if (load(&e->p, "root.pem", "v1.pem", "v1.key", "Cveh-01", &e->c1, &err) ||
	    load(&e->p, "root.pem", "v2.pem", "v2.key", "Cveh-02", &e->c2, &err))
		abort();
	e->x1 = esfd_certke_ctx(e->c1);
	e->x2 = esfd_certke_ctx(e->c2);
	if (!e->x1 || !e->x2 ||
	    esfd_certke_new(e->x1, true, client_expects, time(NULL), &e->cl) ||
	    esfd_certke_new(e->x2, false, "Cveh-01", server_now, &e->sv))
		abort();
}

static void ends_free(struct ends *e)
{
	esfd_certke_free(e->cl);
	esfd_certke_free(e->sv);
	SSL_CTX_free(e->x1);
	SSL_CTX_free(e->x2);
	esfd_creds_free(e->c1);
	esfd_creds_free(e->c2);
	pki_free(&e->p);
}

struct flight {
	uint8_t *b;
	size_t n;
};

TEST(handshake)
{
	struct flight f[4] = { { 0 } };
	uint8_t k1[32], k2[32], id1[16], id2[16];
	struct ends e;

	ends_make(&e, "Cveh-02", time(NULL));
	ASSERT_EQ(0, esfd_certke_step(e.cl, NULL, 0, &f[0].b, &f[0].n));
	/* A ClientHello record. */
	ASSERT_LT(6, f[0].n);
	EXPECT_EQ(22, f[0].b[0]);
	EXPECT_EQ(1, f[0].b[5]);
	ASSERT_EQ(0, esfd_certke_step(e.sv, f[0].b, f[0].n, &f[1].b, &f[1].n));
	ASSERT_EQ(0, esfd_certke_step(e.cl, f[1].b, f[1].n, &f[2].b, &f[2].n));
	EXPECT_FALSE(e.cl->done);
	EXPECT_EQ(-EINVAL, esfd_certke_export(e.sv, k2, id2));
	ASSERT_EQ(0, esfd_certke_step(e.sv, f[2].b, f[2].n, &f[3].b, &f[3].n));
	EXPECT_TRUE(e.sv->done);
	EXPECT_NE(NULL, f[3].b);
	/* ChangeCipherSpec first in the server's last flight. */
	EXPECT_EQ(20, f[3].b[0]);
	free(f[0].b);
	ASSERT_EQ(0, esfd_certke_step(e.cl, f[3].b, f[3].n, &f[0].b, &f[0].n));
	EXPECT_TRUE(e.cl->done);
	EXPECT_EQ(NULL, f[0].b);
	EXPECT_STREQ("ECDHE-ECDSA-AES128-SHA256", SSL_get_cipher_name(e.cl->ssl));
	EXPECT_EQ(TLS1_2_VERSION, SSL_version(e.sv->ssl));
	ASSERT_EQ(0, esfd_certke_export(e.cl, k1, id1));
	ASSERT_EQ(0, esfd_certke_export(e.sv, k2, id2));
	EXPECT_EQ(0, memcmp(k1, k2, sizeof(k1)));
	EXPECT_EQ(0, memcmp(id1, id2, sizeof(id1)));
	EXPECT_NE(0, memcmp(k1, id1, sizeof(id1)));
	/* The split: the first 16 exporter bytes are the id, the last 32 the key. */
	{
		uint8_t ekm[48];

		ASSERT_EQ(1, SSL_export_keying_material(e.cl->ssl, ekm, 48, ESFD_CERTKE_LABEL,
							strlen(ESFD_CERTKE_LABEL), NULL, 0, 0));
		EXPECT_EQ(0, memcmp(ekm, id1, 16));
		EXPECT_EQ(0, memcmp(ekm + 16, k1, 32));
	}
	/* Nothing after the end. */
	EXPECT_EQ(-EPROTO, esfd_certke_step(e.sv, f[2].b, f[2].n, &f[0].b, &f[0].n));
	for (int i = 0; i < 4; i++)
		free(f[i].b);
	ends_free(&e);
	esfd_test_leaks();
}

/* The client expects another id: its second flight must not leave. */
TEST(wrong_server_id)
{
	struct flight f[3] = { { 0 } };
	struct ends e;

	ends_make(&e, "Cveh-03", time(NULL));
	ASSERT_EQ(0, esfd_certke_step(e.cl, NULL, 0, &f[0].b, &f[0].n));
	ASSERT_EQ(0, esfd_certke_step(e.sv, f[0].b, f[0].n, &f[1].b, &f[1].n));
	EXPECT_EQ(-EKEYREJECTED, esfd_certke_step(e.cl, f[1].b, f[1].n, &f[2].b, &f[2].n));
	EXPECT_EQ(NULL, f[2].b);
	EXPECT_EQ(ESFD_CERT_WRONG_ID, e.cl->reason);
	EXPECT_NE(NULL, strstr(e.cl->why, "does not name Cveh-03"));
	for (int i = 0; i < 3; i++)
		free(f[i].b);
	ends_free(&e);
}

/* The server's clock two days on: the client's certificate has expired,
 * and the server's last flight does not leave.
 */
TEST(expired_client)
{
	struct flight f[4] = { { 0 } };
	struct ends e;

	ends_make(&e, "Cveh-02", time(NULL) + 2 * 86400);
	ASSERT_EQ(0, esfd_certke_step(e.cl, NULL, 0, &f[0].b, &f[0].n));
	ASSERT_EQ(0, esfd_certke_step(e.sv, f[0].b, f[0].n, &f[1].b, &f[1].n));
	ASSERT_EQ(0, esfd_certke_step(e.cl, f[1].b, f[1].n, &f[2].b, &f[2].n));
	EXPECT_EQ(-EKEYREJECTED, esfd_certke_step(e.sv, f[2].b, f[2].n, &f[3].b, &f[3].n));
	EXPECT_EQ(NULL, f[3].b);
	EXPECT_EQ(ESFD_CERT_EXPIRED, e.sv->reason);
	EXPECT_FALSE(e.sv->done);
	for (int i = 0; i < 4; i++)
		free(f[i].b);
	ends_free(&e);
}

/* Truncated, tampered, garbage and empty flights: handshake failures. */
TEST(bad_flights)
{
	struct flight f[4] = { { 0 } };
	uint8_t junk[64];
	struct ends e;

	ends_make(&e, "Cveh-02", time(NULL));
	ASSERT_EQ(0, esfd_certke_step(e.cl, NULL, 0, &f[0].b, &f[0].n));
	/* No second "first flight" from the client. */
	EXPECT_EQ(-EPROTO, esfd_certke_step(e.cl, NULL, 0, &f[1].b, &f[1].n));
	EXPECT_EQ(-EPROTO, esfd_certke_step(e.sv, f[0].b, f[0].n - 10, &f[1].b, &f[1].n));
	EXPECT_EQ(ESFD_CERT_HANDSHAKE, e.sv->reason);
	EXPECT_EQ(NULL, f[1].b);
	esfd_certke_free(e.sv);
	memset(junk, 'A', sizeof(junk));
	ASSERT_EQ(0, esfd_certke_new(e.x2, false, "Cveh-01", time(NULL), &e.sv));
	EXPECT_EQ(-EPROTO, esfd_certke_step(e.sv, junk, sizeof(junk), &f[1].b, &f[1].n));
	esfd_certke_free(e.sv);
	ASSERT_EQ(0, esfd_certke_new(e.x2, false, "Cveh-01", time(NULL), &e.sv));
	EXPECT_EQ(-EPROTO, esfd_certke_step(e.sv, junk, 0, &f[1].b, &f[1].n));
	esfd_certke_free(e.sv);
	/* A byte of the client's Finished changed (a new client: this one
	 * has failed above, and stays failed).
	 */
	EXPECT_EQ(-EPROTO, esfd_certke_step(e.cl, f[0].b, f[0].n, &f[1].b, &f[1].n));
	esfd_certke_free(e.cl);
	free(f[0].b);
	ASSERT_EQ(0, esfd_certke_new(e.x1, true, "Cveh-02", time(NULL), &e.cl));
	ASSERT_EQ(0, esfd_certke_step(e.cl, NULL, 0, &f[0].b, &f[0].n));
	ASSERT_EQ(0, esfd_certke_new(e.x2, false, "Cveh-01", time(NULL), &e.sv));
	ASSERT_EQ(0, esfd_certke_step(e.sv, f[0].b, f[0].n, &f[1].b, &f[1].n));
	ASSERT_EQ(0, esfd_certke_step(e.cl, f[1].b, f[1].n, &f[2].b, &f[2].n));
	f[2].b[f[2].n - 3] ^= 1;
	EXPECT_EQ(-EPROTO, esfd_certke_step(e.sv, f[2].b, f[2].n, &f[3].b, &f[3].n));
	EXPECT_EQ(ESFD_CERT_HANDSHAKE, e.sv->reason);
	EXPECT_FALSE(e.sv->done);
	EXPECT_EQ(NULL, f[3].b);
	for (int i = 0; i < 4; i++)
		free(f[i].b);
	ends_free(&e);
	esfd_test_leaks();
}

/* esfd's JWS ES256 checked with OpenSSL directly: R || S over the input. */
static int es256_ok(EVP_PKEY *pub, const char *jws)
{
	const char *dot = strrchr(jws, '.');
	uint8_t sig[64];
	size_t n = 0;
	unsigned char *der = NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int len, ok;

	if (!dot || esfd_b64_decode(dot + 1, strlen(dot + 1), true, sig, sizeof(sig), &n) ||
	    n != 64)
		return -1;
	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
	len = i2d_ECDSA_SIG(es, &der);
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
	     EVP_DigestVerify(md, der, (size_t)len, (const unsigned char *)jws,
			      (size_t)(dot - jws)) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -EBADMSG;
}

/* The protected header of a JWS, parsed. */
static json_t *jws_header(const char *jws)
{
	uint8_t buf[4096];
	size_t n = 0;

	if (esfd_b64_decode(jws, (size_t)(strchr(jws, '.') - jws), true, buf, sizeof(buf), &n))
		return NULL;
	return json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
}

TEST(sign_es256)
{
	static char big[ESFD_SIGN_PAYLOAD_MAX + 1];
	struct esfd_config_error e;
	struct esfd_creds *c = NULL;
	unsigned char *der = NULL;
	uint8_t x5c0[2048];
	size_t n = 0;
	struct pki p;
	json_t *h;
	char *jws = NULL;
	int len;

	pki_make(&p);
	ASSERT_EQ(0, load(&p, "root.pem", "v1.pem", "v1.key", "Cveh-01", &c, &e));
	ASSERT_EQ(0, esfd_sign_es256(c, "door 7: closed", 14, "text/plain", &jws));
	EXPECT_EQ(0, es256_ok(p.k1, jws));
	EXPECT_EQ(-EBADMSG, es256_ok(p.k2, jws));
	/* The header esfd makes, and only that. */
	h = jws_header(jws);
	ASSERT_NE(NULL, h);
	EXPECT_EQ(3, json_object_size(h));
	EXPECT_STREQ("ES256", json_string_value(json_object_get(h, "alg")));
	EXPECT_STREQ("text/plain", json_string_value(json_object_get(h, "cty")));
	ASSERT_EQ(1, json_array_size(json_object_get(h, "x5c")));
	const char *x = json_string_value(json_array_get(json_object_get(h, "x5c"), 0));

	ASSERT_EQ(0, esfd_b64_decode(x, strlen(x), false, x5c0, sizeof(x5c0), &n));
	len = i2d_X509(p.c1, &der);
	EXPECT_EQ((size_t)len, n);
	EXPECT_EQ(0, memcmp(der, x5c0, n));
	OPENSSL_free(der);
	json_decref(h);
	/* The payload is base64url of the bytes given. */
	EXPECT_NE(NULL, strstr(jws, ".ZG9vciA3OiBjbG9zZWQ."));
	/* A changed payload no longer verifies. */
	strstr(jws, ".ZG9vciA3")[3] = 'X';
	EXPECT_EQ(-EBADMSG, es256_ok(p.k1, jws));
	free(jws);
	ASSERT_EQ(0, esfd_sign_es256(c, NULL, 0, NULL, &jws));
	EXPECT_EQ(0, es256_ok(p.k1, jws));
	h = jws_header(jws);
	EXPECT_EQ(2, json_object_size(h));
	json_decref(h);
	free(jws);
	EXPECT_EQ(0, esfd_sign_es256(c, big, sizeof(big) - 1, NULL, &jws));
	free(jws);
	EXPECT_EQ(-EMSGSIZE, esfd_sign_es256(c, big, sizeof(big), NULL, &jws));
	EXPECT_EQ(-EINVAL, esfd_sign_es256(c, "x", 1, "a\"b", &jws));
	EXPECT_EQ(-EINVAL, esfd_sign_es256(c, "x", 1, "", &jws));
	EXPECT_EQ(-ENOKEY, esfd_sign_es256(NULL, "x", 1, NULL, &jws));
	esfd_creds_free(c);
	pki_free(&p);
	esfd_test_leaks();
}

TEST_HARNESS_MAIN
