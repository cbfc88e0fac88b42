// SPDX-License-Identifier: GPL-2.0
/*
 * esfd key derivation: HMAC and HKDF against RFC 5869 and the Wycheproof
 * vectors (on every backend the host offers), and the oneM2M derivations
 * against values computed independently of this code, with Python's hmac
 * module (and, where noted, the openssl command line). The script that
 * computed them is reproduced in docs/key-derivation.md, "Test values".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_alg.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "kselftest_harness.h"
#include "../esfd/enc.h"
#include "esfd_testutil.h"
#include "../esfd/hmac.h"
#include "../esfd/kdf.h"

#define HEX_EQ(hex, buf, len) do {					\
	char _h[2 * 256 + 1];						\
	esfd_hex_encode((buf), (len), _h);				\
	EXPECT_STREQ((hex), _h);					\
} while (0)

/* Kpsa and Salt of the hand-computed vectors: 00..1f and a0..af. */
static const uint8_t kpsa[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
static const uint8_t salt[16] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
	0xac, 0xad, 0xae, 0xaf,
};

static const char *jstr(const json_t *t, const char *k)
{
	return json_string_value(json_object_get(t, k));
}

static enum esfd_hash wp_hash(const char *file)
{
	if (strstr(file, "sha384"))
		return ESFD_SHA384;
	if (strstr(file, "sha512"))
		return ESFD_SHA512;
	return ESFD_SHA256;
}

/*
 * Run one Wycheproof HMAC file: valid tags must be produced and verified,
 * invalid ones refused. Returns the number of mismatches; counts cases.
 */
static int wycheproof_hmac(const char *file, size_t *valid, size_t *invalid)
{
	json_t *root = esfd_test_vectors(file), *g, *t;
	enum esfd_hash h = wp_hash(file);
	size_t gi, ti;
	int bad = 0;

	if (!root)
		return -1;
	json_array_foreach(json_object_get(root, "testGroups"), gi, g) {
		size_t tagsize = (size_t)json_integer_value(json_object_get(g, "tagSize")) / 8;

		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			size_t kl, ml, tl;
			uint8_t *key = esfd_test_unhex(jstr(t, "key"), &kl);
			uint8_t *msg = esfd_test_unhex(jstr(t, "msg"), &ml);
			uint8_t *tag = esfd_test_unhex(jstr(t, "tag"), &tl);
			struct esfd_buf in = { msg, ml };
			uint8_t mac[ESFD_HASH_MAX];
			bool ok = !strcmp(jstr(t, "result"), "valid");
			int v = esfd_hmac_verify(h, key, kl, &in, 1, tag, tl);
			bool f = tl != tagsize || esfd_hmac(h, key, kl, &in, 1, mac) ||
				 (ok && (v || memcmp(mac, tag, tl))) ||
				 (!ok && (v != -EBADMSG || !memcmp(mac, tag, tl)));

			if (f) {
				bad++;
				fprintf(stderr, "# %s tcId %lld failed (verify %d)\n",
					file, json_integer_value(json_object_get(t, "tcId")), v);
			}
			*(ok ? valid : invalid) += 1;
			free(key);
			free(msg);
			free(tag);
		}
	}
	json_decref(root);
	return bad;
}

static int wycheproof_hkdf(size_t *valid, size_t *invalid)
{
	json_t *root = esfd_test_vectors("hkdf_sha256_test.json"), *g, *t;
	size_t gi, ti;
	int bad = 0;

	if (!root)
		return -1;
	json_array_foreach(json_object_get(root, "testGroups"), gi, g) {
		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			size_t il, sl, nl, ol, size;
			uint8_t *ikm = esfd_test_unhex(jstr(t, "ikm"), &il);
			uint8_t *s = esfd_test_unhex(jstr(t, "salt"), &sl);
			uint8_t *info = esfd_test_unhex(jstr(t, "info"), &nl);
			uint8_t *okm = esfd_test_unhex(jstr(t, "okm"), &ol);
			bool ok = !strcmp(jstr(t, "result"), "valid");
			uint8_t *out;
			int r;

			size = (size_t)json_integer_value(json_object_get(t, "size"));
			out = malloc(size ? size : 1);
			r = esfd_hkdf(ESFD_SHA256, s, sl, ikm, il, info, nl, out, size);
			if (ok && (r || ol != size || memcmp(out, okm, size)))
				bad++;
			if (!ok && r != -EINVAL)
				bad++;
			*(ok ? valid : invalid) += 1;
			free(out);
			free(ikm);
			free(s);
			free(info);
			free(okm);
		}
	}
	json_decref(root);
	return bad;
}

/* Is AF_ALG hmac(sha256) there? Checked here without the code under test. */
static bool host_has_afalg_hmac(void)
{
	struct sockaddr_alg sa = {
		.salg_family = AF_ALG, .salg_type = "hash", .salg_name = "hmac(sha256)",
	};
	int fd = socket(AF_ALG, SOCK_SEQPACKET, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = !bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return ok;
}

static void run_all_vectors(struct __test_metadata *_metadata,
			    enum esfd_crypto_backend b)
{
	static const char *const files[] = {
		"hmac_sha256_test.json", "hmac_sha384_test.json", "hmac_sha512_test.json",
	};
	size_t valid = 0, invalid = 0, i;

	ASSERT_EQ(0, esfd_crypto_select(b));
	ASSERT_EQ(b, esfd_crypto_backend());
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, wycheproof_hmac(files[i], &valid, &invalid));
	EXPECT_EQ(198, valid);
	EXPECT_EQ(324, invalid);
	valid = invalid = 0;
	EXPECT_EQ(0, wycheproof_hkdf(&valid, &invalid));
	EXPECT_EQ(83, valid);
	EXPECT_EQ(3, invalid);
	TH_LOG("%s: 522 HMAC and 86 HKDF Wycheproof cases",
	       esfd_crypto_backend_name(b));
}

TEST(wycheproof_openssl)
{
	run_all_vectors(_metadata, ESFD_BACKEND_OPENSSL);
	esfd_test_leaks();
}

/*
 * The kernel backend runs the same vectors where AF_ALG serves HMAC; where
 * it does not (this is checked independently), selecting it must fail
 * cleanly and AUTO must fall back to OpenSSL.
 */
TEST(wycheproof_kcapi_or_fallback)
{
	if (host_has_afalg_hmac()) {
		run_all_vectors(_metadata, ESFD_BACKEND_KCAPI);
		ASSERT_EQ(0, esfd_crypto_select(ESFD_BACKEND_AUTO));
		EXPECT_EQ(ESFD_BACKEND_KCAPI, esfd_crypto_backend());
	} else {
		TH_LOG("no AF_ALG hmac(sha256) on this host: checking the fallback");
		EXPECT_EQ(-EAFNOSUPPORT, esfd_crypto_select(ESFD_BACKEND_KCAPI));
		ASSERT_EQ(0, esfd_crypto_select(ESFD_BACKEND_AUTO));
		EXPECT_EQ(ESFD_BACKEND_OPENSSL, esfd_crypto_backend());
	}
	EXPECT_EQ(-EINVAL, esfd_crypto_select((enum esfd_crypto_backend)7));
	esfd_test_leaks();
}

/* RFC 5869 appendix A, test cases 1-3 (SHA-256): PRK and OKM. */
TEST(rfc5869)
{
	static const struct {
		const char *ikm, *salt, *info, *prk, *okm;
	} tc[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		  "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
		  "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
		  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		  "34007208d5b887185865" },
		{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
		  "404142434445464748494a4b4c4d4e4f",
		  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
		  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
		  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
		  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
		  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
		  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
		  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
		  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
		  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
		  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
		  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		  "9d201395faa4b61a96c8" },
	};
	size_t i;

	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		size_t il, sl, nl, pl, ol;
		uint8_t *ikm = esfd_test_unhex(tc[i].ikm, &il);
		uint8_t *s = esfd_test_unhex(tc[i].salt, &sl);
		uint8_t *info = esfd_test_unhex(tc[i].info, &nl);
		uint8_t *prk = esfd_test_unhex(tc[i].prk, &pl);
		uint8_t *okm = esfd_test_unhex(tc[i].okm, &ol);
		uint8_t p[32], o[82];

		ASSERT_EQ(0, esfd_hkdf_extract(ESFD_SHA256, s, sl, ikm, il, p));
		EXPECT_EQ(0, memcmp(prk, p, 32));
		ASSERT_EQ(0, esfd_hkdf_expand(ESFD_SHA256, p, 32, info, nl, o, ol));
		EXPECT_EQ(0, memcmp(okm, o, ol));
		ASSERT_EQ(0, esfd_hkdf(ESFD_SHA256, s, sl, ikm, il, info, nl, o, ol));
		EXPECT_EQ(0, memcmp(okm, o, ol));
		free(ikm);
		free(s);
		free(info);
		free(prk);
		free(okm);
	}
	esfd_test_leaks();
}

/* OpenSSL's own HKDF, an independent implementation, for cross-checking. */
static int openssl_hkdf(const char *md, const uint8_t *s, size_t sl,
			const uint8_t *ikm, size_t il, const uint8_t *info,
			size_t nl, uint8_t *out, size_t ol)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[5], *q = p;
	int ok;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, il);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)s, sl);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, nl);
	*q = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, ol, p);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok == 1 ? 0 : -1;
}

/* SHA-384/512 and edge lengths, which the vectors above do not cover. */
TEST(hkdf_against_openssl)
{
	static const struct {
		enum esfd_hash h;
		const char *md;
	} hs[] = { { ESFD_SHA256, "SHA256" }, { ESFD_SHA384, "SHA384" },
		   { ESFD_SHA512, "SHA512" } };
	uint8_t ikm[100], s[70], info[90], a[255 * 64], b[255 * 64];
	size_t i, k;

	for (i = 0; i < sizeof(ikm); i++)
		ikm[i] = (uint8_t)(i * 7 + 1);
	memcpy(s, ikm + 3, sizeof(s));
	memcpy(info, ikm + 5, sizeof(info));
	for (i = 0; i < 3; i++) {
		size_t hl = esfd_hash_len(hs[i].h);
		size_t lens[] = { 1, hl - 1, hl, hl + 1, 3 * hl, 255 * hl };

		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			ASSERT_EQ(0, esfd_hkdf(hs[i].h, s, k * 10, ikm, 10 + k * 15,
					       info, k * 15, a, lens[k]));
			ASSERT_EQ(0, openssl_hkdf(hs[i].md, s, k * 10, ikm, 10 + k * 15,
						  info, k * 15, b, lens[k]));
			EXPECT_EQ(0, memcmp(a, b, lens[k]));
		}
		EXPECT_EQ(-EINVAL, esfd_hkdf(hs[i].h, s, 16, ikm, 16, NULL, 0, a,
					     255 * hl + 1));
		EXPECT_EQ(-EINVAL, esfd_hkdf(hs[i].h, s, 16, ikm, 16, NULL, 0, a, 0));
		/* A PRK shorter than HashLen is not a PRK (RFC 5869 2.3). */
		EXPECT_EQ(-EINVAL, esfd_hkdf_expand(hs[i].h, ikm, hl - 1, NULL, 0, a, 16));
	}
	EXPECT_EQ(-EINVAL, esfd_hkdf((enum esfd_hash)0, s, 16, ikm, 16, NULL, 0, a, 16));
	esfd_test_leaks();
}

TEST(hmac_edges)
{
	struct esfd_buf piece[3] = { { "ab", 2 }, { NULL, 0 }, { "c", 1 } };
	struct esfd_buf whole = { "abc", 3 };
	uint8_t a[64], b[64], zero[1] = { 0 };

	/* Pieces hash as their concatenation, empty pieces included. */
	ASSERT_EQ(0, esfd_hmac(ESFD_SHA512, kpsa, 32, piece, 3, a));
	ASSERT_EQ(0, esfd_hmac(ESFD_SHA512, kpsa, 32, &whole, 1, b));
	EXPECT_EQ(0, memcmp(a, b, 64));
	/* RFC 2104 pads the key with zeros: "" and "\0" are the same key. */
	ASSERT_EQ(0, esfd_hmac(ESFD_SHA256, NULL, 0, &whole, 1, a));
	ASSERT_EQ(0, esfd_hmac(ESFD_SHA256, zero, 1, &whole, 1, b));
	EXPECT_EQ(0, memcmp(a, b, 32));
	/* Python: hmac.new(b"", b"abc", "sha256").hexdigest() */
	HEX_EQ("fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351", a, 32);
	/* Tags shorter than 16 bytes or longer than the digest are refused. */
	EXPECT_EQ(-EINVAL, esfd_hmac_verify(ESFD_SHA256, kpsa, 32, &whole, 1, a, 15));
	EXPECT_EQ(-EINVAL, esfd_hmac_verify(ESFD_SHA256, kpsa, 32, &whole, 1, a, 33));
	EXPECT_EQ(-EINVAL, esfd_hmac((enum esfd_hash)9, kpsa, 32, &whole, 1, a));
	EXPECT_EQ(0, esfd_hash_len((enum esfd_hash)9));
	esfd_test_leaks();
}

/*
 * TR-0012 7.4.1 with Kpsa = 00..1f, Salt = a0..af. Python:
 *   m  = hmac.new(salt, kpsa, sha256).digest()
 *   t1 = hmac.new(m, b"E2E Message Authentication Key" + b"\x01", sha256)
 *   t2 = hmac.new(m, t1 + b"E2E Message Confidentiality Key" + b"\x02", sha256)
 */
TEST(tr0012_e2e_keys)
{
	struct esfd_key_pair kp;

	ASSERT_EQ(0, esfd_kdf_e2e_keys(ESFD_SHA256, salt, 16, kpsa, 32, &kp));
	EXPECT_EQ(32, kp.len);
	HEX_EQ("6213ffcc9fd22d3ed33319f10f5cd1db78d964f559dac063d49f510c60934de1",
	       kp.auth, 32);
	HEX_EQ("d2c60595f7ef10cc16696bd2d2e188f9a8e8cd45ff7e1566b99397f72df6f72e",
	       kp.conf, 32);
	/* The same with sha384 throughout. */
	ASSERT_EQ(0, esfd_kdf_e2e_keys(ESFD_SHA384, salt, 16, kpsa, 32, &kp));
	EXPECT_EQ(48, kp.len);
	HEX_EQ("d334fdd9f2c0c8613f3d50d72c00a2201bca4ad6525c9fb685dee9befbe30524"
	       "6fd66c670680c6a79bcd6a431aa15178", kp.auth, 48);
	HEX_EQ("a409984439fd5e8dbef8217490bacc2d9bf7d2ebb4864c17dd94cc5906de3957"
	       "3d0e48866971f9a2388ddc52fc1a7d86", kp.conf, 48);
	/* Bad inputs leave no key behind. */
	EXPECT_EQ(-EINVAL, esfd_kdf_e2e_keys(ESFD_SHA256, salt, 0, kpsa, 32, &kp));
	EXPECT_EQ(0, kp.len);
	EXPECT_EQ(0, kp.auth[0] | kp.conf[0] | kp.auth[31] | kp.conf[31]);
	EXPECT_EQ(-EINVAL, esfd_kdf_e2e_keys(ESFD_SHA256, salt, 16, kpsa, 15, &kp));
	EXPECT_EQ(-EINVAL, esfd_kdf_e2e_keys(ESFD_SHA256, salt, 256, kpsa, 32, &kp));
	esfd_key_pair_wipe(&kp);
	esfd_test_leaks();
}

/*
 * TR-0012 7.3.2 with the same Kpsa and Salt; item keys with our info
 * encoding (docs/key-derivation.md). Python:
 *   d1, d2 as above with "Data Authenticity and Integrity" and
 *   "Data Confidentiality Key"
 *   info = b"oneM2M-ESF data-at-rest item key\0" + bytes([usage]) +
 *          pack(">H", len(cid)) + cid + bytes([kind]) + pack(">H", len(b)) + b
 *   HKDF-Expand(d2 or d1, info, L)
 */
TEST(tr0012_data_at_rest)
{
	uint8_t nonce[16], key[32];
	struct esfd_dar_binding bn = { ESFD_DAR_BIND_NONCE, nonce, 16, 0 };
	struct esfd_dar_binding bt = { ESFD_DAR_BIND_CTIME, NULL, 0, 1767225600 };
	struct esfd_key_pair kp;
	size_t i;

	for (i = 0; i < 16; i++)
		nonce[i] = (uint8_t)(i + 1);
	ASSERT_EQ(0, esfd_kdf_dar_keys(ESFD_SHA256, salt, 16, kpsa, 32, &kp));
	HEX_EQ("267ad7b104a6c5d03e31524edfd55eea1746cd3dd6105fdf4b035fcf7b26acf2",
	       kp.auth, 32);
	HEX_EQ("6d9d12042ff886dbdc437462f982a48db18f042ccaab575d68a60e34056dc0a5",
	       kp.conf, 32);
	ASSERT_EQ(0, esfd_kdf_dar_item_key(ESFD_SHA256, &kp, ESFD_DAR_CONF,
					   "/in-cse/cnt-temp", &bn, key, 16));
	HEX_EQ("2283d9601fbbc213066f0aefb2721903", key, 16);
	/* 2026-01-01T00:00:00Z */
	ASSERT_EQ(0, esfd_kdf_dar_item_key(ESFD_SHA256, &kp, ESFD_DAR_AUTH,
					   "/in-cse/cnt-temp", &bt, key, 32));
	HEX_EQ("ae165755eacbdb62551f90e5296a70e9bb36072d8fd8f77645cf71709dce71ea",
	       key, 32);
	/* Refusals wipe the output. */
	bn.nonce_len = 7;
	EXPECT_EQ(-EINVAL, esfd_kdf_dar_item_key(ESFD_SHA256, &kp, ESFD_DAR_CONF,
						 "/in-cse/cnt-temp", &bn, key, 32));
	EXPECT_EQ(0, key[0] | key[31]);
	EXPECT_EQ(-EILSEQ, esfd_kdf_dar_item_key(ESFD_SHA256, &kp, ESFD_DAR_CONF,
						 "/in-cse/cnt-\xc3\xa9t\xc3\xa9", &bt,
						 key, 32));
	EXPECT_EQ(-EINVAL, esfd_kdf_dar_item_key(ESFD_SHA256, &kp, 3,
						 "/in-cse/cnt", &bt, key, 32));
	EXPECT_EQ(-EINVAL, esfd_kdf_dar_item_key(ESFD_SHA256, &kp, ESFD_DAR_AUTH,
						 "/in-cse/cnt", &bt, key, 15));
	bt.ctime = -1;
	EXPECT_EQ(-EINVAL, esfd_kdf_dar_item_key(ESFD_SHA256, &kp, ESFD_DAR_AUTH,
						 "/in-cse/cnt", &bt, key, 32));
	esfd_key_pair_wipe(&kp);
	esfd_test_leaks();
}

/*
 * TS-0003 usage-constrained keys, K = 00..1f, target "/CSE-IN-01". Python
 * and `openssl dgst -sha256 -mac HMAC -macopt hexkey:0001...1f` agree:
 *   HMAC-SHA256(K, "oneM2M Enrolment Key to Usage-Constrained Symmetric Key
 *   derivation" || bytes([SUID]) || b"/CSE-IN-01")
 */
TEST(ts0003_usage_constrained)
{
	static const enum esfd_suid all[] = {
		ESFD_SUID_PSK_ESPRIM, ESFD_SUID_PSK_ESDATA_ENC, ESFD_SUID_PSK_ESDATA_SIG,
		ESFD_SUID_CERT_ESPRIM, ESFD_SUID_CERT_ESDATA_ENC, ESFD_SUID_CERT_ESDATA_SIG,
	};
	struct esfd_uc_key k[6], x;
	size_t i, j;

	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, esfd_kdf_uc_key(kpsa, 32, all[i], "/CSE-IN-01", &k[i]));
	HEX_EQ("179fe36785a5641fb5c64dc2223806c73ead253f28d564f5c239f8e6561a6b62",
	       k[0].key, 32);
	HEX_EQ("c7d291207bb124b92013d88f274b0c6bb3a9eb2565a5d5e6cbba3797f36c3d0b",
	       k[1].key, 32);
	/* Each SUID gives its own key and is usable for its feature only. */
	for (i = 0; i < 6; i++) {
		for (j = 0; j < i; j++)
			EXPECT_NE(0, memcmp(k[i].key, k[j].key, 32));
		EXPECT_EQ(all[i], k[i].suid);
	}
	EXPECT_EQ(0, esfd_uc_key_check(&k[0], ESFD_FEAT_ESPRIM));
	EXPECT_EQ(0, esfd_uc_key_check(&k[3], ESFD_FEAT_ESPRIM));
	EXPECT_EQ(-EKEYREJECTED, esfd_uc_key_check(&k[0], ESFD_FEAT_ESDATA_ENC));
	EXPECT_EQ(-EKEYREJECTED, esfd_uc_key_check(&k[1], ESFD_FEAT_ESPRIM));
	EXPECT_EQ(0, esfd_uc_key_check(&k[1], ESFD_FEAT_ESDATA_ENC));
	EXPECT_EQ(0, esfd_uc_key_check(&k[5], ESFD_FEAT_ESDATA_SIG));
	EXPECT_EQ(-EKEYREJECTED, esfd_uc_key_check(&k[5], ESFD_FEAT_ESDATA_ENC));
	/* Unknown SUIDs, bad ids and key lengths are refused, output wiped. */
	EXPECT_EQ(-EINVAL, esfd_kdf_uc_key(kpsa, 32, 12, "/CSE-IN-01", &x));
	EXPECT_EQ(0, x.suid);
	EXPECT_EQ(-EILSEQ, esfd_kdf_uc_key(kpsa, 32, 13, "/CSE-\xef\xbc\xa9N", &x));
	EXPECT_EQ(-EINVAL, esfd_kdf_uc_key(kpsa, 32, 13, "/CSE IN", &x));
	EXPECT_EQ(-EINVAL, esfd_kdf_uc_key(kpsa, 32, 13, "", &x));
	EXPECT_EQ(-EINVAL, esfd_kdf_uc_key(kpsa, 15, 13, "/CSE-IN-01", &x));
	EXPECT_EQ(0, x.key[0] | x.key[31]);
	/* Imported keys (ESCertKE) carry their SUID the same way. */
	ASSERT_EQ(0, esfd_uc_key_import(kpsa, 32, ESFD_SUID_CERT_ESPRIM, &x));
	EXPECT_EQ(0, esfd_uc_key_check(&x, ESFD_FEAT_ESPRIM));
	EXPECT_EQ(-EINVAL, esfd_uc_key_import(kpsa, 16, ESFD_SUID_CERT_ESPRIM, &x));
	for (i = 0; i < 6; i++)
		esfd_uc_key_wipe(&k[i]);
	esfd_test_leaks();
}

static void test_randobj(struct esfd_randobj *ro, const char *id, uint8_t v0,
			 const uint8_t *prot, size_t n_prot)
{
	size_t i;

	memset(ro, 0, sizeof(*ro));
	strcpy(ro->id, id);
	for (i = 0; i < 16; i++)
		ro->value[i] = (uint8_t)(v0 + i);
	ro->expiry = 1893456000; /* 2030-01-01T00:00:00Z */
	ro->n_keygen = 1;
	ro->keygen[0] = ESFD_KEYGEN_HMAC_SHA256;
	ro->n_prot = (uint8_t)n_prot;
	memcpy(ro->prot, prot, n_prot);
}

/*
 * sessionESPrimKey with pairwiseESPrimKey = the SUID 13 key above. Rand
 * objects in our binary form (docs/key-derivation.md). Python:
 *   ro = pack(">H", len(id)) + id + value + pack(">Q", expiry) +
 *        bytes([len(kg)]) + bytes(kg) + bytes([len(pr)]) + bytes(pr)
 *   r = ro(b"rcv-01", 10..1f, 1893456000, [1], [12, 10])
 *   o = ro(b"org-01", 20..2f, 1893456000, [1], [12])
 *   hmac.new(uc13, r + o + b"oneM2M HMAC-SHA256 sessionESPrimKey derivation
 *            algorithm", sha256)
 */
TEST(ts0003_session_esprim_key)
{
	static const uint8_t rp[] = { 12, 10 }, op[] = { 12 };
	struct esfd_randobj r, o;
	struct esfd_uc_key pw, data;
	uint8_t key[32], kb[ESFD_RAND_KDF_MAX];
	size_t kl;
	int64_t now = 1767225600;

	test_randobj(&r, "rcv-01", 0x10, rp, 2);
	test_randobj(&o, "org-01", 0x20, op, 1);
	ASSERT_EQ(0, esfd_randobj_kdf_bytes(&r, kb, sizeof(kb), &kl));
	ASSERT_EQ(37, kl);
	HEX_EQ("00067263762d3031101112131415161718191a1b1c1d1e1f0000000070dbd880"
	       "0101020c0a", kb, kl);
	ASSERT_EQ(0, esfd_kdf_uc_key(kpsa, 32, ESFD_SUID_PSK_ESPRIM, "/CSE-IN-01", &pw));
	ASSERT_EQ(0, esfd_kdf_session_esprim_key(&pw, &r, &o, now, key));
	HEX_EQ("501bad2b015199eceacc09d00447aff7f3a3e1f32262862fd29fa4970db71a22",
	       key, 32);
	/* Receiver first: swapping the objects gives another key. */
	ASSERT_EQ(0, esfd_kdf_session_esprim_key(&pw, &o, &r, now, key));
	EXPECT_NE(0, memcmp(key, "\x50\x1b\xad\x2b", 4));
	/* An ESData key cannot make an ESPrim session key. */
	ASSERT_EQ(0, esfd_kdf_uc_key(kpsa, 32, ESFD_SUID_PSK_ESDATA_ENC, "/CSE-IN-01", &data));
	EXPECT_EQ(-EKEYREJECTED, esfd_kdf_session_esprim_key(&data, &r, &o, now, key));
	EXPECT_EQ(0, key[0] | key[31]);
	/* Expired rand objects, or no HMAC-SHA256 key generation, are refused. */
	EXPECT_EQ(-EKEYEXPIRED, esfd_kdf_session_esprim_key(&pw, &r, &o, 1893456000, key));
	o.keygen[0] = 2;
	EXPECT_EQ(-EOPNOTSUPP, esfd_kdf_session_esprim_key(&pw, &r, &o, now, key));
	esfd_uc_key_wipe(&pw);
	esfd_uc_key_wipe(&data);
	esfd_test_leaks();
}

/*
 * TR-0012 7.2.1 Ks_x, Kpsa_xi = 40..5f, id_x "Cdevice-07", Rand = 60..6f.
 * Python and `openssl dgst -sha256 -mac HMAC` over the file
 * "oneM2M Group Secure Connection Key derivation" "Cdevice-07" 60..6f agree.
 */
TEST(tr0012_group_key)
{
	uint8_t k[32], r[16], key[32];
	size_t i;

	for (i = 0; i < 32; i++)
		k[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < 16; i++)
		r[i] = (uint8_t)(0x60 + i);
	ASSERT_EQ(0, esfd_kdf_group_key(k, 32, "Cdevice-07", r, 16, key));
	HEX_EQ("92bdfa40e9b8018c19aa1736ac3aa95dd36446ec2825563844fb96c41d892ddb",
	       key, 32);
	EXPECT_EQ(-EINVAL, esfd_kdf_group_key(k, 32, "Cdevice-07", r, 15, key));
	EXPECT_EQ(0, key[0] | key[31]);
	EXPECT_EQ(-EILSEQ, esfd_kdf_group_key(k, 32, "Cd\xc3\xa9vice", r, 16, key));
	EXPECT_EQ(-EINVAL, esfd_kdf_group_key(k, 32, NULL, r, 16, key));
	esfd_test_leaks();
}

/* NFKC policy: printable ASCII is accepted as is, the rest refused. */
TEST(identifiers)
{
	char longid[ESFD_ID_MAX + 2];

	EXPECT_EQ(0, esfd_id_check("/CSE-IN-01", 10));
	EXPECT_EQ(0, esfd_id_check("//sp.example.com/cse/Cae-01", 27));
	EXPECT_EQ(0, esfd_id_check("~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}", 32));
	EXPECT_EQ(-EINVAL, esfd_id_check("", 0));
	EXPECT_EQ(-EINVAL, esfd_id_check("a b", 3));
	EXPECT_EQ(-EINVAL, esfd_id_check("a\tb", 3));
	EXPECT_EQ(-EINVAL, esfd_id_check("a\x7f", 2));
	EXPECT_EQ(-EINVAL, esfd_id_check("a\0b", 3));
	/* U+FB01 (fi ligature): NFKC would map it to "fi"; we refuse it. */
	EXPECT_EQ(-EILSEQ, esfd_id_check("\xef\xac\x81le", 5));
	EXPECT_EQ(-EILSEQ, esfd_id_check("caf\xc3\xa9", 5));
	memset(longid, 'a', sizeof(longid));
	EXPECT_EQ(0, esfd_id_check(longid, ESFD_ID_MAX));
	EXPECT_EQ(-EINVAL, esfd_id_check(longid, ESFD_ID_MAX + 1));
}

TEST(encodings)
{
	static const struct {
		const char *bin, *std, *url;
	} v[] = {
		{ "", "", "" }, { "f", "Zg==", "Zg" }, { "fo", "Zm8=", "Zm8" },
		{ "foo", "Zm9v", "Zm9v" }, { "foob", "Zm9vYg==", "Zm9vYg" },
		{ "\xfb\xff", "+/8=", "-_8" },
	};
	static const char *const bad_std[] = {
		"Zg", "Zg=", "Zh==", "Zm9=", "Z===", "Zm9v=", "Zm 9v", "Zm9v\n",
		"-_8=", "=Zm8", "Zg==Zg==", "Zm=8",
	};
	char out[32];
	uint8_t bin[32];
	size_t i, n;
	int64_t t;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t l = strlen(v[i].bin);

		ASSERT_EQ(0, esfd_b64_encode((const uint8_t *)v[i].bin, l, false, out, 32));
		EXPECT_STREQ(v[i].std, out);
		ASSERT_EQ(0, esfd_b64_encode((const uint8_t *)v[i].bin, l, true, out, 32));
		EXPECT_STREQ(v[i].url, out);
		ASSERT_EQ(0, esfd_b64_decode(v[i].std, strlen(v[i].std), false, bin, 32, &n));
		EXPECT_EQ(l, n);
		EXPECT_EQ(0, memcmp(bin, v[i].bin, l));
		ASSERT_EQ(0, esfd_b64_decode(v[i].url, strlen(v[i].url), true, bin, 32, &n));
		EXPECT_EQ(l, n);
	}
	for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
		int r = esfd_b64_decode(bad_std[i], strlen(bad_std[i]), false,
					bin, 32, &n);

		if (r != -EINVAL)
			TH_LOG("accepted '%s'", bad_std[i]);
		EXPECT_EQ(-EINVAL, r);
	}
	EXPECT_EQ(-EINVAL, esfd_b64_decode("Zh", 2, true, bin, 32, &n));
	EXPECT_EQ(-EINVAL, esfd_b64_decode("Zg==", 4, true, bin, 32, &n));
	EXPECT_EQ(-EINVAL, esfd_b64_decode("Z", 1, true, bin, 32, &n));
	EXPECT_EQ(-ENOSPC, esfd_b64_decode("Zm9v", 4, false, bin, 2, &n));
	EXPECT_EQ(-ENOSPC, esfd_b64_encode(bin, 3, false, out, 4));
	/* Hex: even length, hex digits only. */
	EXPECT_EQ(0, esfd_hex_decode("0aFf", 4, bin, 2, &n));
	EXPECT_EQ(0x0a, bin[0]);
	EXPECT_EQ(0xff, bin[1]);
	EXPECT_EQ(-EINVAL, esfd_hex_decode("0aF", 3, bin, 2, &n));
	EXPECT_EQ(-EINVAL, esfd_hex_decode("0g", 2, bin, 2, &n));
	EXPECT_EQ(-ENOSPC, esfd_hex_decode("000000", 6, bin, 2, &n));
	/* oneM2M timestamps: date(1) -u -d @1767225600 +%Y%m%dT%H%M%S */
	ASSERT_EQ(0, esfd_time_parse("20260101T000000", 15, &t));
	EXPECT_EQ(1767225600, t);
	ASSERT_EQ(0, esfd_time_format(1893456000, out));
	EXPECT_STREQ("20300101T000000", out);
	ASSERT_EQ(0, esfd_time_parse("20240229T235959", 15, &t));
	EXPECT_EQ(1709251199, t);
	EXPECT_EQ(-EINVAL, esfd_time_parse("20230229T000000", 15, &t));
	EXPECT_EQ(-EINVAL, esfd_time_parse("20261301T000000", 15, &t));
	EXPECT_EQ(-EINVAL, esfd_time_parse("20260101T240000", 15, &t));
	EXPECT_EQ(-EINVAL, esfd_time_parse("20260101T235960", 15, &t));
	EXPECT_EQ(-EINVAL, esfd_time_parse("20260101 000000", 15, &t));
	EXPECT_EQ(-EINVAL, esfd_time_parse("2026-01-01T0000", 15, &t));
	EXPECT_EQ(-EINVAL, esfd_time_parse("20260101T000000Z", 16, &t));
	EXPECT_EQ(-EINVAL, esfd_time_parse("19691231T235959", 15, &t));
	EXPECT_EQ(-EINVAL, esfd_time_parse("20260100T000000", 15, &t));
	EXPECT_EQ(-ERANGE, esfd_time_format(-1, out));
}

TEST_HARNESS_MAIN
