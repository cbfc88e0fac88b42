// SPDX-License-Identifier: GPL-2.0
/*
 * Peer-to-peer agreement's messages, signed inputs and keys (esfd/p2pmsg.c)
 * and the [p2p] section (config.c): the signed inputs byte for byte as
 * docs/esfd.md lists them, the key against OpenSSL's own HKDF and ECDH
 * (EVP_KDF "HKDF", EVP_PKEY_derive) rather than esfd's, both ends deriving
 * the same key, a signature that verifies and one that does not, a message
 * built and read back, what the strict reading refuses, and [p2p] sections
 * good and bad.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>

#include "kselftest_harness.h"
#include "esfd_testutil.h"
#include "pki.h"
#include "../esfd/config.h"
#include "../esfd/p2pmsg.h"

static void fill(uint8_t *p, size_t n, uint8_t start)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

/* A request from a fresh key and certificate, as esfd makes one. */
struct side {
	EVP_PKEY *key, *eph;
	X509 *cert;
	struct esfd_p2pmsg m;
};

static void side_make(struct side *s, EVP_PKEY *ca_key, X509 *ca, const char *id,
		      enum esfd_p2p_kind kind, uint8_t seed)
{
	memset(s, 0, sizeof(*s));
	s->key = p256();
	s->cert = mkcert(s->key, ca, ca_key, id, id, -60, 3600, seed);
	s->eph = p256();
	s->m.kind = kind;
	s->m.cls = 2;
	s->m.t = 1796400000000LL + seed;
	fill(s->m.nnc, sizeof(s->m.nnc), seed);
	esfd_ecdh_point(s->eph, s->m.epk);
	s->m.full = true;
	esfd_p2p_cert_digest(s->cert, s->m.digest);
}

static void side_free(struct side *s)
{
	EVP_PKEY_free(s->key);
	EVP_PKEY_free(s->eph);
	X509_free(s->cert);
}

TEST(signed_inputs_are_the_documented_bytes)
{
	struct esfd_p2pmsg m = { .kind = ESFD_P2P_REQ, .cls = 3, .t = 0x0102030405060708LL };
	uint8_t tbs[ESFD_P2P_TBS_MAX], want[ESFD_P2P_TBS_MAX], h[32];
	size_t len, off = 0;

	fill(m.nnc, sizeof(m.nnc), 0x10);
	fill(m.epk, sizeof(m.epk), 0x40);
	fill(m.digest, sizeof(m.digest), 0xa0);
	ASSERT_EQ(0, esfd_p2p_req_tbs("Cveh-01", "/in-cse", &m, tbs, &len));
	memcpy(want, "esf-p2p-v1 req", 14);
	off = 14;
	memcpy(want + off, "\x00\x07" "Cveh-01", 9);
	off += 9;
	memcpy(want + off, "\x00\x07" "/in-cse", 9);
	off += 9;
	want[off++] = 3;
	memcpy(want + off, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	off += 8;
	memcpy(want + off, m.nnc, 16);
	off += 16;
	memcpy(want + off, m.epk, 65);
	off += 65;
	memcpy(want + off, m.digest, 32);
	off += 32;
	ASSERT_EQ(off, len);
	EXPECT_EQ(0, memcmp(want, tbs, len));

	SHA256(tbs, len, h);
	m.kind = ESFD_P2P_RSP;
	ASSERT_EQ(0, esfd_p2p_rsp_tbs(h, "/in-cse", &m, tbs, &len));
	memcpy(want, "esf-p2p-v1 rsp", 14);
	off = 14;
	memcpy(want + off, h, 32);
	off += 32;
	memcpy(want + off, "\x00\x07" "/in-cse", 9);
	off += 9;
	memcpy(want + off, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	off += 8;
	memcpy(want + off, m.nnc, 16);
	off += 16;
	memcpy(want + off, m.epk, 65);
	off += 65;
	memcpy(want + off, m.digest, 32);
	off += 32;
	ASSERT_EQ(off, len);
	EXPECT_EQ(0, memcmp(want, tbs, len));
}

/* OpenSSL's HKDF over the documented salt and info. */
static void doc_keys(const uint8_t z[32], const uint8_t *ni, const uint8_t *nr,
		     const uint8_t *hq, const uint8_t *hr, uint8_t okm[48])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	uint8_t salt[32], info[14 + 64];
	OSSL_PARAM p[5];

	memcpy(salt, ni, 16);
	memcpy(salt + 16, nr, 16);
	memcpy(info, "esf-p2p-v1 key", 14);
	memcpy(info + 14, hq, 32);
	memcpy(info + 46, hr, 32);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, 32);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, sizeof(salt));
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info));
	p[4] = OSSL_PARAM_construct_end();
	EVP_KDF_derive(ctx, okm, 48, p);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

TEST(both_ends_derive_the_documented_key)
{
	EVP_PKEY *ca_key = p256();
	X509 *ca = mkcert(ca_key, NULL, NULL, "root", NULL, -60, 3600, 1);
	struct side i, r;
	uint8_t zi[32], zr[32], zo[32], hq[32], hr[32], okm[48];
	uint8_t ki[32], kr[32], idi[16], idr[16];
	EVP_PKEY *pub_r = NULL, *pub_i = NULL;
	EVP_PKEY_CTX *dc;
	size_t zlen = 32;

	side_make(&i, ca_key, ca, "Cveh-01", ESFD_P2P_REQ, 0x20);
	side_make(&r, ca_key, ca, "Cveh-02", ESFD_P2P_RSP, 0x60);
	fill(hq, 32, 1);
	fill(hr, 32, 2);
	ASSERT_EQ(0, esfd_ecdh_point_key(r.m.epk, &pub_r));
	ASSERT_EQ(0, esfd_ecdh_point_key(i.m.epk, &pub_i));
	ASSERT_EQ(0, esfd_ecdh_z(i.eph, pub_r, zi));
	ASSERT_EQ(0, esfd_ecdh_z(r.eph, pub_i, zr));
	EXPECT_EQ(0, memcmp(zi, zr, 32));
	/* Z as OpenSSL's own derive gives it. */
	dc = EVP_PKEY_CTX_new(i.eph, NULL);
	ASSERT_EQ(1, EVP_PKEY_derive_init(dc));
	ASSERT_EQ(1, EVP_PKEY_derive_set_peer(dc, pub_r));
	ASSERT_EQ(1, EVP_PKEY_derive(dc, zo, &zlen));
	EVP_PKEY_CTX_free(dc);
	EXPECT_EQ(0, memcmp(zo, zi, 32));
	ASSERT_EQ(0, esfd_p2p_keys(zi, i.m.nnc, r.m.nnc, hq, hr, ki, idi));
	ASSERT_EQ(0, esfd_p2p_keys(zr, i.m.nnc, r.m.nnc, hq, hr, kr, idr));
	EXPECT_EQ(0, memcmp(ki, kr, 32));
	EXPECT_EQ(0, memcmp(idi, idr, 16));
	doc_keys(zo, i.m.nnc, r.m.nnc, hq, hr, okm);
	EXPECT_EQ(0, memcmp(okm, ki, 32));
	EXPECT_EQ(0, memcmp(okm + 32, idi, 16));
	/* Another transcript, another key. */
	hr[0] ^= 1;
	ASSERT_EQ(0, esfd_p2p_keys(zi, i.m.nnc, r.m.nnc, hq, hr, kr, idr));
	EXPECT_NE(0, memcmp(ki, kr, 32));
	EVP_PKEY_free(pub_r);
	EVP_PKEY_free(pub_i);
	side_free(&i);
	side_free(&r);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
}

TEST(signature_binds_the_transcript)
{
	EVP_PKEY *ca_key = p256();
	X509 *ca = mkcert(ca_key, NULL, NULL, "root", NULL, -60, 3600, 1);
	uint8_t tbs[ESFD_P2P_TBS_MAX], sig[64];
	struct side s, other;
	size_t len;

	side_make(&s, ca_key, ca, "Cveh-01", ESFD_P2P_REQ, 0x20);
	side_make(&other, ca_key, ca, "Cveh-03", ESFD_P2P_REQ, 0x70);
	ASSERT_EQ(0, esfd_p2p_req_tbs("Cveh-01", "Cveh-02", &s.m, tbs, &len));
	ASSERT_EQ(0, esfd_es256_raw(s.key, tbs, len, sig));
	EXPECT_EQ(0, esfd_es256_verify(X509_get0_pubkey(s.cert), tbs, len, sig));
	/* Another responder, a swapped ephemeral key, another key's signature. */
	ASSERT_EQ(0, esfd_p2p_req_tbs("Cveh-01", "Cveh-03", &s.m, tbs, &len));
	EXPECT_EQ(-EBADMSG, esfd_es256_verify(X509_get0_pubkey(s.cert), tbs, len, sig));
	memcpy(s.m.epk, other.m.epk, sizeof(s.m.epk));
	ASSERT_EQ(0, esfd_p2p_req_tbs("Cveh-01", "Cveh-02", &s.m, tbs, &len));
	EXPECT_EQ(-EBADMSG, esfd_es256_verify(X509_get0_pubkey(s.cert), tbs, len, sig));
	EXPECT_EQ(-EBADMSG, esfd_es256_verify(X509_get0_pubkey(other.cert), tbs, len, sig));
	side_free(&s);
	side_free(&other);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
}

TEST(messages_read_back_and_strictly)
{
	EVP_PKEY *ca_key = p256();
	X509 *ca = mkcert(ca_key, NULL, NULL, "root", NULL, -60, 3600, 1);
	struct esfd_p2pmsg got;
	json_t *pc, *o, *bad;
	struct side s;
	char *text;

	side_make(&s, ca_key, ca, "Cveh-01", ESFD_P2P_REQ, 0x20);
	s.m.has_pkd = true;
	fill(s.m.pkd, 32, 0x90);
	fill(s.m.sig, 64, 0x30);
	ASSERT_EQ(0, esfd_p2p_build(&s.m, s.cert, NULL, &pc));
	EXPECT_EQ(ESFD_P2P_REQ, esfd_p2p_kind_of(pc));
	ASSERT_EQ(0, esfd_p2p_read(pc, ESFD_P2P_REQ, &got));
	EXPECT_TRUE(got.full);
	EXPECT_EQ(2, got.cls);
	EXPECT_EQ(s.m.t, got.t);
	EXPECT_EQ(0, memcmp(got.digest, s.m.digest, 32));
	EXPECT_EQ(0, memcmp(got.epk, s.m.epk, 65));
	EXPECT_EQ(0, memcmp(got.sig, s.m.sig, 64));
	EXPECT_TRUE(got.has_pkd);
	EXPECT_EQ(0, X509_cmp(got.leaf, s.cert));
	esfd_p2p_msg_free(&got);
	EXPECT_EQ(-EPROTO, esfd_p2p_read(pc, ESFD_P2P_RSP, &got));
	esfd_p2p_msg_free(&got);

	/* Each change below is refused. */
	o = json_object_get(pc, "esf:p2q");
#define REFUSED(edit) do {						\
		bad = json_deep_copy(pc);				\
		o = json_object_get(bad, "esf:p2q");			\
		edit;							\
		EXPECT_EQ(-EPROTO, esfd_p2p_read(bad, ESFD_P2P_REQ, &got)) \
			TH_LOG("%s", #edit);				\
		esfd_p2p_msg_free(&got);				\
		json_decref(bad);					\
	} while (0)
	REFUSED(json_object_set_new(o, "extra", json_true()));
	REFUSED(json_object_del(o, "nnc"));
	REFUSED(json_object_set_new(o, "v", json_integer(2)));
	REFUSED(json_object_set_new(o, "cls", json_integer(4)));
	REFUSED(json_object_set_new(o, "t", json_integer(0)));
	REFUSED(json_object_set_new(o, "nnc", json_string("AAECAwQFBgcICQoLDA0O")));
	REFUSED(json_object_set_new(o, "sig", json_string("AAAA")));
	REFUSED(json_object_set_new(o, "x5t#S256", json_string("AAAA")));
	REFUSED(json_object_del(o, "x5c"));
	REFUSED(json_array_append(json_object_get(o, "x5c"), json_array_get(json_object_get(o, "x5c"), 0));
		json_array_append(json_object_get(o, "x5c"), json_array_get(json_object_get(o, "x5c"), 0));
		json_array_append(json_object_get(o, "x5c"), json_array_get(json_object_get(o, "x5c"), 0));
		json_array_append(json_object_get(o, "x5c"), json_array_get(json_object_get(o, "x5c"), 0)));
	REFUSED(json_array_set_new(json_object_get(o, "x5c"), 0, json_string("MIIB")));
	REFUSED(json_object_set_new(bad, "m2m:dbg", json_string("x")));
#undef REFUSED
	/* The digest form: no certificate, the digest read back. */
	s.m.full = false;
	json_decref(pc);
	ASSERT_EQ(0, esfd_p2p_build(&s.m, NULL, NULL, &pc));
	text = json_dumps(pc, JSON_COMPACT);
	EXPECT_EQ(NULL, strstr(text, "x5c"));
	free(text);
	ASSERT_EQ(0, esfd_p2p_read(pc, ESFD_P2P_REQ, &got));
	EXPECT_FALSE(got.full);
	EXPECT_EQ(NULL, got.leaf);
	EXPECT_EQ(0, memcmp(got.digest, s.m.digest, 32));
	esfd_p2p_msg_free(&got);
	json_decref(pc);
	side_free(&s);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
}

static int parse(const char *text, struct esfd_config *c, struct esfd_config_error *e)
{
	return esfd_config_parse(text, strlen(text), c, e);
}

#define HEAD "[esfd]\nid = Cveh-01\nrole = peer\nca-file = r.pem\ncert-file = c.pem\n" \
	"key-file = k.pem\n\n[policy car]\naead = gcm(aes)\n\n"

TEST(p2p_sections)
{
	static const char good[] = HEAD "[p2p]\npolicy = car\npeers = 8\ncert-cache = 2\n"
		"window = 2m\n";
	static const char dflt[] = HEAD "[p2p]\npolicy = car\n";
	static const struct { const char *text; unsigned int line; const char *why; } bad[] = {
		{ HEAD "[p2p]\npeers = 8\n", 11, "needs 'policy'" },
		{ HEAD "[p2p]\npolicy = nope\n", 12, "no [policy nope]" },
		{ HEAD "[p2p]\npolicy = car\npeers = 0\n", 13, "out of range" },
		{ HEAD "[p2p]\npolicy = car\ncert-cache = 5000\n", 13, "out of range" },
		{ HEAD "[p2p]\npolicy = car\nwindow = 2h\n", 13, "out of range" },
		{ HEAD "[p2p x]\npolicy = car\n", 11, "takes no name" },
		{ HEAD "[p2p]\npolicy = car\n[p2p]\npolicy = car\n", 13, "already defined" },
		{ "[esfd]\nid = Cveh-01\nrole = peer\n[p2p]\npolicy = default\n", 4,
		  "needs [esfd] ca-file" },
	};
	struct esfd_config c;
	struct esfd_config_error e;
	size_t i;

	ASSERT_EQ(0, parse(good, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_EQ(11, c.p2p.line);
	EXPECT_EQ(1, c.p2p.policy);
	EXPECT_EQ(8, c.p2p.peers);
	EXPECT_EQ(2, c.p2p.cert_cache);
	EXPECT_EQ(120, c.p2p.window);
	esfd_config_free(&c);
	ASSERT_EQ(0, parse(dflt, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_EQ(ESFD_P2P_PEERS_DEF, c.p2p.peers);
	EXPECT_EQ(ESFD_P2P_CACHE_DEF, c.p2p.cert_cache);
	EXPECT_EQ(ESFD_P2P_WINDOW_DEF, c.p2p.window);
	esfd_config_free(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, parse(bad[i].text, &c, &e)) TH_LOG("case %zu", i);
		EXPECT_EQ(bad[i].line, e.line) TH_LOG("case %zu: %s", i, e.msg);
		EXPECT_NE(NULL, strstr(e.msg, bad[i].why)) TH_LOG("case %zu: %s", i, e.msg);
		esfd_config_free(&c);
	}
}

TEST_HARNESS_MAIN
