// SPDX-License-Identifier: GPL-2.0
/*
 * Guest devices on the wire (esfd/guesttok.c) and the [guest] section
 * (config.c): tokens built, signed and read back with their claims, what
 * the strict reading refuses, a signature by another key failing, the
 * proof of possession's signed input byte for byte as docs/esfd.md lists
 * it, the grant's content key against a Concat KDF computed here with
 * OpenSSL's SSKDF (not esfd's code), a grant opened by its device only and
 * bound to its gateway and nonce, answers signed and unsigned (the signed
 * input byte for byte), revocation lists, and [guest] sections
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
#include "../esfd/ecdh.h"
#include "../esfd/guesttok.h"

#define NOW 1796400000LL

static void dlg_claims(struct esfd_gtok *t, EVP_PKEY *gw_key)
{
	memset(t, 0, sizeof(*t));
	t->kind = ESFD_GTOK_DLG;
	strcpy(t->iss, "/as.example");
	strcpy(t->sub, "/gw1");
	strcpy(t->aud[0], "net2");
	strcpy(t->aud[1], "net3");
	t->n_aud = 2;
	t->iat = NOW;
	t->exp = NOW + 3600;
	strcpy(t->jti, "AAECAwQFBgcICQoLDA0ODw");
	t->cnf = gw_key;
}

static char *sign_payload(EVP_PKEY *key, const char *typ, json_t *payload)
{
	json_t *hdr = json_pack("{s:s,s:s}", "alg", "ES256", "typ", typ);
	char *jws = NULL;

	if (esfd_jws_sign(key, hdr, payload, &jws))
		jws = NULL;
	json_decref(hdr);
	json_decref(payload);
	return jws;
}

TEST(tokens_build_sign_and_read_back)
{
	EVP_PKEY *as = p256(), *gw = p256(), *dev = p256();
	struct esfd_gtok t, d, back;
	struct esfd_jws j;
	char *dlg, *tok;

	dlg_claims(&t, gw);
	dlg = sign_payload(as, ESFD_GUEST_TYP_DLG, esfd_gtok_payload(&t));
	ASSERT_NE(NULL, dlg);
	ASSERT_EQ(0, esfd_jws_parse(dlg, ESFD_GUEST_TOKEN_MAX, ESFD_GUEST_TYP_DLG, &j));
	EXPECT_EQ(0, esfd_es256_verify(as, j.input, j.input_len, j.sig));
	/* Signed by another key: the signature does not verify. */
	EXPECT_EQ(-EBADMSG, esfd_es256_verify(gw, j.input, j.input_len, j.sig));
	ASSERT_EQ(0, esfd_gtok_read(j.payload, ESFD_GTOK_DLG, &back));
	EXPECT_STREQ("/as.example", back.iss);
	EXPECT_STREQ("/gw1", back.sub);
	EXPECT_EQ(2, back.n_aud);
	EXPECT_STREQ("net3", back.aud[1]);
	EXPECT_EQ(NOW + 3600, back.exp);
	EXPECT_STREQ("AAECAwQFBgcICQoLDA0ODw", back.jti);
	EXPECT_EQ(1, EVP_PKEY_eq(back.cnf, gw));
	/* A delegation is not a device token, nor the other way round. */
	EXPECT_EQ(-EPROTO, esfd_gtok_read(j.payload, ESFD_GTOK_DEV, &d));
	esfd_gtok_free(&d);
	esfd_gtok_free(&back);
	esfd_jws_free(&j);
	EXPECT_EQ(-EPROTO, esfd_jws_parse(dlg, ESFD_GUEST_TOKEN_MAX, ESFD_GUEST_TYP_DEV, &j));
	esfd_jws_free(&j);

	memset(&d, 0, sizeof(d));
	d.kind = ESFD_GTOK_DEV;
	strcpy(d.iss, "/gw1");
	strcpy(d.sub, "dev1");
	strcpy(d.aud[0], "net2");
	d.n_aud = 1;
	d.iat = NOW;
	d.exp = NOW + 600;
	ASSERT_EQ(0, esfd_gtok_jti(d.jti));
	d.cnf = dev;
	d.dlg = dlg;
	tok = sign_payload(gw, ESFD_GUEST_TYP_DEV, esfd_gtok_payload(&d));
	ASSERT_NE(NULL, tok);
	ASSERT_EQ(0, esfd_jws_parse(tok, ESFD_GUEST_TOKEN_MAX, ESFD_GUEST_TYP_DEV, &j));
	ASSERT_EQ(0, esfd_gtok_read(j.payload, ESFD_GTOK_DEV, &back));
	EXPECT_STREQ(dlg, back.dlg);
	EXPECT_STREQ("net2", back.aud[0]);
	EXPECT_STREQ(d.jti, back.jti);
	EXPECT_EQ(1, EVP_PKEY_eq(back.cnf, dev));
	EXPECT_EQ(0, esfd_es256_verify(gw, j.input, j.input_len, j.sig));
	esfd_gtok_free(&back);
	esfd_jws_free(&j);
	free(tok);
	free(dlg);
	EVP_PKEY_free(as);
	EVP_PKEY_free(gw);
	EVP_PKEY_free(dev);
}

TEST(strict_reading_refuses)
{
	EVP_PKEY *gw = p256();
	struct esfd_gtok t, back;
	json_t *p;
	struct esfd_jws j;
	static const char *const bad_jws[] = {
		"", "a.b", "a.b.c.d", "..", "e30.e30.AAAA",
		/* {"alg":"none","typ":"esf-delegation+jwt"} . {} . 64 zero bytes */
		"eyJhbGciOiJub25lIiwidHlwIjoiZXNmLWRlbGVnYXRpb24rand0In0.e30."
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	size_t i;

	for (i = 0; i < sizeof(bad_jws) / sizeof(bad_jws[0]); i++) {
		EXPECT_EQ(-EPROTO, esfd_jws_parse(bad_jws[i], ESFD_GUEST_TOKEN_MAX,
						  ESFD_GUEST_TYP_DLG, &j));
		esfd_jws_free(&j);
	}
	dlg_claims(&t, gw);
	/* Each member changed or missing, or one too many. */
	p = esfd_gtok_payload(&t);
	json_object_set_new(p, "extra", json_true());
	EXPECT_EQ(-EPROTO, esfd_gtok_read(p, ESFD_GTOK_DLG, &back));
	esfd_gtok_free(&back);
	json_decref(p);
	p = esfd_gtok_payload(&t);
	json_object_del(p, "jti");
	EXPECT_EQ(-EPROTO, esfd_gtok_read(p, ESFD_GTOK_DLG, &back));
	esfd_gtok_free(&back);
	json_decref(p);
	p = esfd_gtok_payload(&t);
	json_object_set_new(p, "exp", json_integer(NOW));	/* not after iat */
	EXPECT_EQ(-EPROTO, esfd_gtok_read(p, ESFD_GTOK_DLG, &back));
	esfd_gtok_free(&back);
	json_decref(p);
	p = esfd_gtok_payload(&t);
	json_object_set_new(p, "jti", json_string("short"));
	EXPECT_EQ(-EPROTO, esfd_gtok_read(p, ESFD_GTOK_DLG, &back));
	esfd_gtok_free(&back);
	json_decref(p);
	p = esfd_gtok_payload(&t);
	json_object_set_new(p, "aud", json_string("net2"));	/* a delegation's is an array */
	EXPECT_EQ(-EPROTO, esfd_gtok_read(p, ESFD_GTOK_DLG, &back));
	esfd_gtok_free(&back);
	json_decref(p);
	p = esfd_gtok_payload(&t);
	json_object_set_new(json_object_get(json_object_get(p, "cnf"), "jwk"), "x",
			    json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	EXPECT_EQ(-EPROTO, esfd_gtok_read(p, ESFD_GTOK_DLG, &back));	/* off the curve */
	esfd_gtok_free(&back);
	json_decref(p);
	EVP_PKEY_free(gw);
}

TEST(proof_of_possession_signed_input_is_the_documented_bytes)
{
	struct esfd_gpres p = { .tok = "a.b.c", .t = 0x0102030405060708LL };
	uint8_t tbs[ESFD_GUEST_POP_MAX], want[ESFD_GUEST_POP_MAX];
	size_t len, off, i;

	for (i = 0; i < sizeof(p.nnc); i++)
		p.nnc[i] = (uint8_t)(0x10 + i);
	ASSERT_EQ(0, esfd_gpres_tbs("dev1", "/gw2", "net2", &p, tbs, &len));
	memcpy(want, "esf-guest-v1 pop", 16);
	off = 16;
	memcpy(want + off, "\x00\x04" "dev1" "\x00\x04" "/gw2" "\x00\x04" "net2", 18);
	off += 18;
	memcpy(want + off, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	off += 8;
	memcpy(want + off, p.nnc, 16);
	off += 16;
	SHA256((const unsigned char *)"a.b.c", 5, want + off);
	off += 32;
	ASSERT_EQ(off, len);
	EXPECT_EQ(0, memcmp(want, tbs, len));
}

TEST(presentation_builds_and_reads_back)
{
	struct esfd_gpres p = { .tok = "x.y.z", .t = 1796400000123LL }, back;
	json_t *pc;

	memset(p.nnc, 7, sizeof(p.nnc));
	memset(p.sig, 9, sizeof(p.sig));
	pc = esfd_gsp_build(&p);
	ASSERT_NE(NULL, pc);
	EXPECT_TRUE(esfd_gsp_is(pc));
	ASSERT_EQ(0, esfd_gsp_read(pc, &back));
	EXPECT_STREQ("x.y.z", back.tok);
	EXPECT_EQ(p.t, back.t);
	EXPECT_EQ(0, memcmp(p.nnc, back.nnc, sizeof(p.nnc)));
	EXPECT_EQ(0, memcmp(p.sig, back.sig, sizeof(p.sig)));
	json_object_set_new(json_object_get(pc, "esf:gsp"), "v", json_integer(2));
	EXPECT_EQ(-EPROTO, esfd_gsp_read(pc, &back));
	json_decref(pc);
}

/* The Concat KDF of RFC 7518 4.6.2 by OpenSSL's SSKDF, for A256GCM. */
static void concat_ref(EVP_PKEY *priv, EVP_PKEY *pub, const char *apu, const uint8_t *apv,
		       size_t apv_len, uint8_t out[32])
{
	uint8_t z[32], info[512], *q = info;
	size_t zl = sizeof(z);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(priv, NULL);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
	EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[4];

	EVP_PKEY_derive_init(c);
	EVP_PKEY_derive_set_peer(c, pub);
	EVP_PKEY_derive(c, z, &zl);
	EVP_PKEY_CTX_free(c);
	memcpy(q, "\x00\x00\x00\x07" "A256GCM", 11);
	q += 11;
	q[0] = q[1] = q[2] = 0;
	q[3] = (uint8_t)strlen(apu);
	memcpy(q + 4, apu, strlen(apu));
	q += 4 + strlen(apu);
	q[0] = q[1] = q[2] = 0;
	q[3] = (uint8_t)apv_len;
	memcpy(q + 4, apv, apv_len);
	q += 4 + apv_len;
	memcpy(q, "\x00\x00\x01\x00", 4);
	q += 4;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, sizeof(z));
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, (size_t)(q - info));
	p[3] = OSSL_PARAM_construct_end();
	EVP_KDF_derive(k, out, 32, p);
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
}

/* AES-256-GCM decryption by OpenSSL's EVP, not esfd's jwe.c. */
static int gcm_open_ref(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t aadlen,
			const uint8_t *ct, size_t len, uint8_t *pt, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
	     EVP_DecryptUpdate(c, NULL, &n, aad, (int)aadlen) == 1 &&
	     EVP_DecryptUpdate(c, pt, &n, ct, (int)len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
	     EVP_DecryptFinal_ex(c, pt + n, &n) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static struct esfd_ggrant sample_grant(void)
{
	struct esfd_ggrant g = { .epoch = 1796400000, .sender = 3, .senders = 16, .exp = NOW };

	strcpy(g.net, "net2");
	strcpy(g.grp, "net2");
	memset(g.key, 0xab, sizeof(g.key));
	memcpy(g.salt, "\x01\x02\x03\x04", 4);
	return g;
}

TEST(grant_opens_for_its_device_only)
{
	EVP_PKEY *dev = p256(), *other = p256(), *eph = NULL;
	struct esfd_ggrant g = sample_grant(), back;
	uint8_t nnc[ESFD_GUEST_NONCE_LEN], nnc2[ESFD_GUEST_NONCE_LEN], cek[32], want[32];
	char *jwe = NULL, *hdr_text;
	json_t *hdr, *epk;
	size_t n;
	uint8_t hbuf[2048];

	memset(nnc, 5, sizeof(nnc));
	memset(nnc2, 6, sizeof(nnc2));
	ASSERT_EQ(0, esfd_ggrant_seal(dev, "/gw2", nnc, &g, &jwe));
	ASSERT_EQ(0, esfd_ggrant_open(dev, jwe, "/gw2", nnc, &back));
	EXPECT_EQ(0, memcmp(&g, &back, sizeof(g)));
	EXPECT_EQ(-EBADMSG, esfd_ggrant_open(other, jwe, "/gw2", nnc, &back));
	EXPECT_EQ(-EKEYREJECTED, esfd_ggrant_open(dev, jwe, "/gw3", nnc, &back));
	EXPECT_EQ(-EKEYREJECTED, esfd_ggrant_open(dev, jwe, "/gw2", nnc2, &back));

	/* The header as documented, and the content key by SSKDF with the
	 * ephemeral key's public half against the device's private key.
	 */
	ASSERT_EQ(0, esfd_b64_decode(jwe, strchr(jwe, '.') - jwe, true, hbuf, sizeof(hbuf), &n));
	hdr = json_loadb((const char *)hbuf, n, 0, NULL);
	ASSERT_NE(NULL, hdr);
	hdr_text = json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER);
	EXPECT_EQ(0, strncmp(hdr_text, "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"cty\":"
			     "\"application/vnd.esfd.guest-key+json\",\"epk\":", 82));
	EXPECT_STREQ("L2d3Mg", json_string_value(json_object_get(hdr, "apu")));
	epk = json_object_get(hdr, "epk");
	ASSERT_EQ(0, esfd_ecdh_epk_parse(epk, &eph));
	concat_ref(dev, eph, "/gw2", nnc, sizeof(nnc), want);
	{
		struct esfd_ggrant again;
		/* Sealing with a fresh key pair gives another JWE each time. */
		char *jwe2 = NULL;

		ASSERT_EQ(0, esfd_ggrant_seal(dev, "/gw2", nnc, &g, &jwe2));
		EXPECT_NE(0, strcmp(jwe, jwe2));
		EXPECT_EQ(0, esfd_ggrant_open(dev, jwe2, "/gw2", nnc, &again));
		free(jwe2);
	}
	/* Decrypt with the reference key: the same plaintext. */
	{
		const char *parts[5], *s = jwe;
		uint8_t iv[12], ct[1024], tag[16], pt[1024];
		size_t ivn, cn, tn, i;

		for (i = 0; i < 5; i++) {
			parts[i] = s;
			s = strchr(s, '.') ? strchr(s, '.') + 1 : s + strlen(s);
		}
		ASSERT_EQ(0, esfd_b64_decode(parts[2], parts[3] - parts[2] - 1, true, iv, 12, &ivn));
		ASSERT_EQ(0, esfd_b64_decode(parts[3], parts[4] - parts[3] - 1, true, ct,
					     sizeof(ct), &cn));
		ASSERT_EQ(0, esfd_b64_decode(parts[4], strlen(parts[4]), true, tag, 16, &tn));
		memcpy(cek, want, 32);
		ASSERT_EQ(0, gcm_open_ref(cek, iv, (const uint8_t *)jwe, parts[1] - parts[0] - 1,
					  ct, cn, pt, tag));
		EXPECT_EQ(0, memcmp(pt, "{\"net\":\"net2\",\"grp\":\"net2\",\"epoch\":1796400000,"
				    "\"sender\":3,\"senders\":16,\"alg\":\"gcm(aes)\",\"tagLength\":16,"
				    "\"key\":\"q6urq6urq6urq6urq6urqw\",\"salt\":\"AQIDBA\",\"exp\":"
				    "1796400000}", cn));
	}
	free(hdr_text);
	json_decref(hdr);
	free(jwe);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(dev);
	EVP_PKEY_free(other);
}

TEST(answers_signed_and_unsigned)
{
	EVP_PKEY *k = p256();
	X509 *x = mkcert(k, NULL, k, "gw2", "/gw2", -60, 3600, 7);
	uint8_t nnc[ESFD_GUEST_NONCE_LEN], tbs[ESFD_GUEST_POP_MAX], want[ESFD_GUEST_POP_MAX];
	uint8_t sig[ESFD_ES256_SIG_LEN];
	struct esfd_gans a;
	json_t *pc, *x5c = NULL;
	size_t len, off;

	memset(nnc, 3, sizeof(nnc));
	ASSERT_EQ(0, esfd_gans_tbs("/gw2", "dev1", nnc, "j.w.e", tbs, &len));
	memcpy(want, "esf-guest-v1 grant" "\x00\x04" "/gw2" "\x00\x04" "dev1", 30);
	off = 30;
	memcpy(want + off, nnc, 16);
	off += 16;
	SHA256((const unsigned char *)"j.w.e", 5, want + off);
	off += 32;
	ASSERT_EQ(off, len);
	EXPECT_EQ(0, memcmp(want, tbs, len));

	pc = esfd_gsa_build("j.w.e", NULL, NULL);
	ASSERT_EQ(0, esfd_gsa_read(pc, &a));
	EXPECT_STREQ("j.w.e", a.jwe);
	EXPECT_FALSE(a.signed_);
	esfd_gans_free(&a);
	json_decref(pc);

	ASSERT_EQ(0, esfd_es256_raw(k, tbs, len, sig));
	ASSERT_EQ(0, esfd_x5c_array(x, NULL, &x5c));
	pc = esfd_gsa_build("j.w.e", x5c, sig);
	ASSERT_EQ(0, esfd_gsa_read(pc, &a));
	EXPECT_TRUE(a.signed_);
	EXPECT_EQ(0, X509_cmp(a.leaf, x));
	EXPECT_EQ(0, esfd_es256_verify(X509_get0_pubkey(a.leaf), tbs, len, a.sig));
	esfd_gans_free(&a);
	/* "x5c" without "sig" (or the other way round) is malformed. */
	json_object_del(json_object_get(pc, "esf:gsa"), "sig");
	EXPECT_EQ(-EPROTO, esfd_gsa_read(pc, &a));
	esfd_gans_free(&a);
	json_decref(pc);
	X509_free(x);
	EVP_PKEY_free(k);
}

TEST(revocation_lists)
{
	json_t *p = json_pack("{s:s,s:I,s:[s,s]}", "iss", "/as.example", "iat",
			      (json_int_t)NOW, "jti", "AAECAwQFBgcICQoLDA0ODw",
			      "_____________________w");
	struct esfd_grvk r;

	ASSERT_EQ(0, esfd_grvk_read(p, &r));
	EXPECT_EQ(2, r.n);
	EXPECT_TRUE(esfd_grvk_has(&r, "_____________________w"));
	EXPECT_TRUE(esfd_grvk_has(&r, "AAECAwQFBgcICQoLDA0ODw"));
	EXPECT_FALSE(esfd_grvk_has(&r, "AAECAwQFBgcICQoLDA0ODx"));
	esfd_grvk_free(&r);
	json_array_append_new(json_object_get(p, "jti"), json_string("not-a-jti"));
	EXPECT_EQ(-EPROTO, esfd_grvk_read(p, &r));
	esfd_grvk_free(&r);
	json_decref(p);
}

static int parse(const char *text, struct esfd_config *c, struct esfd_config_error *e)
{
	return esfd_config_parse(text, strlen(text), c, e);
}

#define HEAD "[esfd]\nid = /gw2\nrole = gateway\n\n"

TEST(guest_sections)
{
	static const char good[] = HEAD "[guest]\nnetwork = net2\ntrust-file = as-root.pem\n"
		"revocation-file = revoked.jws\nsenders = 8\nmax-seconds = 10m\nwindow = 20\n";
	static const char dev[] = HEAD "[guest]\nkey-file = guest.key\n";
	static const char *const bad[] = {
		HEAD "[guest]\n",
		HEAD "[guest]\nnetwork = net2\n",
		HEAD "[guest]\nkey-file = k\nsenders = 1\n",
		HEAD "[guest]\nkey-file = k\nwindow = 0\n",
		HEAD "[guest]\nkey-file = k\nmax-seconds = 5\n",
		HEAD "[guest]\nkey-file = k\nnetwork = a b\n",
		HEAD "[guest]\nkey-file = k\n[guest]\nkey-file = k\n",
		HEAD "[guest x]\nkey-file = k\n",
		HEAD "[guest]\nkey-file = k\nbogus = 1\n",
	};
	struct esfd_config c;
	struct esfd_config_error e;
	size_t i;

	ASSERT_EQ(0, parse(good, &c, &e)) TH_LOG("%s", e.msg);
	EXPECT_STREQ("net2", c.guest.network);
	EXPECT_STREQ("as-root.pem", c.guest.trust_file);
	EXPECT_STREQ("revoked.jws", c.guest.revocation_file);
	EXPECT_EQ(8, c.guest.senders);
	EXPECT_EQ(600, c.guest.max_seconds);
	EXPECT_EQ(20, c.guest.window);
	esfd_config_free(&c);
	ASSERT_EQ(0, parse(dev, &c, &e)) TH_LOG("%s", e.msg);
	EXPECT_STREQ("guest.key", c.guest.key_file);
	EXPECT_EQ(ESFD_GUEST_SENDERS_DEF, c.guest.senders);
	EXPECT_EQ(ESFD_GUEST_SECONDS_DEF, c.guest.max_seconds);
	EXPECT_EQ(ESFD_GUEST_WINDOW_DEF, c.guest.window);
	esfd_config_free(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_NE(0, parse(bad[i], &c, &e)) TH_LOG("accepted: %s", bad[i]);
		esfd_config_free(&c);
	}
}

TEST_HARNESS_MAIN
