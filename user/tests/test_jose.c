// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JWE ("dir" + AES-GCM) and JWS (HMAC-SHA2) through libesf's session
 * interface. The RFC examples are reproduced byte for byte: the software
 * session is given the RFC's IV as salt (first 4 bytes) and counter start
 * (last 8 bytes), so the nonce the "kernel" picks is the RFC's IV.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "esf_env.h"
#include "support.h"

/* ---- RFC 7520 section 5.6: Direct Encryption Using AES-GCM ---- */

/* Figure 130: the AES-128 key; its "kid". */
#define R56_KEY "XctOhJAkA-pD9Lh7ZgW_2A"
#define R56_KID "77c7e2b8-6e13-45cf-8672-617b5b45243a"
/* Figure 131: the Initialization Vector. */
#define R56_IV "refa467QzzKx6QAB"
/* Figure 72: the plaintext (U+2013 EN DASH as UTF-8). */
static const char r56_plaintext[] =
	"You can trust us to stick with you through thick and thin\xe2\x80\x93"
	"to the bitter end. And you can trust us to keep any secret of yours"
	"\xe2\x80\x93" "closer than you keep it yourself. But you cannot trust us "
	"to let you face trouble alone, and go off without a word. We are your "
	"friends, Frodo.";
/* Figure 133: protected header, base64url. */
#define R56_PROT "eyJhbGciOiJkaXIiLCJraWQiOiI3N2M3ZTJiOC02ZTEzLTQ1Y2YtODY3Mi02MTdiNWI0" \
	"NTI0M2EiLCJlbmMiOiJBMTI4R0NNIn0"
/* Figure 134: ciphertext; Figure 135: authentication tag. */
#define R56_CT "JW_i_f52hww_ELQPGaYyeAB6HYGcR559l9TYnSovc23XJoBcW29rHP8yZOZG7Y" \
	"hLpT1bjFuvZPjQS-m0IFtVcXkZXdH_lr_FrdYt9HRUYkshtrMmIUAyGmUnd9zM" \
	"DB2n0cRDIHAzFVeJUDxkUwVAE7_YGRPdcqMyiBoCO-FBdE-Nceb4h3-FtBP-c_" \
	"BIwCPTjb9o0SbdcdREEMJMyZBH8ySWMVi1gPD9yxi-aQpGbSv_F9N4IZAxscj5" \
	"g-NJsUPbjk29-s7LJAGb15wEBtXphVCgyy53CoIKLHHeJHXex45Uz9aKZSRSIn" \
	"ZI-wjsY0yu3cT4_aQ3i1o-tiE-F8Ios61EKgyIQ4CWao8PFMj8TTnp"
#define R56_TAG "vbb32Xvllea2OtmHAdccRQ"
/* Figure 136: compact serialization; Figure 137: JSON serialization. */
static const char r56_compact[] = R56_PROT ".." R56_IV "." R56_CT "." R56_TAG;
static const char r56_json[] = "{\"protected\":\"" R56_PROT "\",\"iv\":\"" R56_IV
	"\",\"ciphertext\":\"" R56_CT "\",\"tag\":\"" R56_TAG "\"}";

/* ---- RFC 7520 section 4.4: HMAC-SHA2 Integrity Protection ---- */

/* Figure 5: the HMAC key and its "kid". */
#define R44_KEY "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"
#define R44_KID "018c0ae5-4d9b-471b-bfd6-eef314bc7037"
/* Figure 7: the payload (U+2019 RIGHT SINGLE QUOTATION MARK as UTF-8). */
static const char r44_payload[] =
	"It\xe2\x80\x99s a dangerous business, Frodo, going out your door. You "
	"step onto the road, and if you don't keep your feet, there\xe2\x80\x99s "
	"no knowing where you might be swept off to.";
/* Figure 31: protected header; Figure 8: payload; Figure 33: signature. */
#define R44_PROT "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LW" \
	"VlZjMxNGJjNzAzNyJ9"
#define R44_PAYLOAD "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH" \
	"lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk" \
	"b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm" \
	"UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4"
#define R44_SIG "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"
/* Figures 34, 35 and 36: compact, general JSON, flattened JSON. */
static const char r44_compact[] = R44_PROT "." R44_PAYLOAD "." R44_SIG;
static const char r44_general[] = "{\"payload\":\"" R44_PAYLOAD "\",\"signatures\":"
	"[{\"protected\":\"" R44_PROT "\",\"signature\":\"" R44_SIG "\"}]}";
static const char r44_flat[] = "{\"payload\":\"" R44_PAYLOAD "\",\"protected\":\""
	R44_PROT "\",\"signature\":\"" R44_SIG "\"}";

/* ---- RFC 7515 appendix A.1: JWS using HMAC SHA-256 ---- */

/* A.1.1: the header and payload octets (CRLF and spaces included) */
static const char a1_header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
static const char a1_payload[] =
	"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
#define A1_KEY "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4" \
	"hcgUuTwjAzZr1Z9CAow"
static const char a1_compact[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
	"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* A session whose first SEAL nonce is the RFC 7520 5.6 IV. */
static struct esf_session *r56_session(uint32_t window)
{
	size_t key_len, iv_len;
	uint8_t *key = b64d(R56_KEY, &key_len), *iv = b64d(R56_IV, &iv_len);
	struct sw_params p = {
		.alg = ESF_ALG_GCM_AES, .key = key, .key_len = key_len,
		.key_id = R56_KID, .replay_window = window,
	};
	struct esf_session *s;

	memcpy(p.salt, iv, 4);
	for (int i = 4; i < 12; i++)
		p.seq_start = p.seq_start << 8 | iv[i];
	s = sw_session(&p, 0, 0);
	free(key);
	free(iv);
	return s;
}

static struct esf_session *hmac_session(const char *key_b64, const char *kid)
{
	size_t len;
	uint8_t *key = b64d(key_b64, &len);
	struct sw_params p = {
		.alg = ESF_ALG_HMAC_SHA256, .key = key, .key_len = len, .key_id = kid,
	};
	struct esf_session *s = sw_session(&p, 0, 0);

	free(key);
	return s;
}

static int open_str(struct esf_session *s, const char *in, char **out)
{
	size_t len;
	void *pt = NULL;
	int r = esf_jose_open(s, in, strlen(in), &pt, &len, NULL);

	if (!r && strlen(pt) != len)
		r = -EILSEQ;	/* test payloads have no NUL */
	if (out)
		*out = pt;
	else
		free(pt);
	return r;
}

TEST(rfc7520_5_6_compact)
{
	struct esf_session *tx = r56_session(0), *rx = r56_session(64);
	struct esf_jose_info info;
	char *out = NULL;
	void *pt;
	size_t len;

	ASSERT_NE(NULL, tx);
	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, r56_plaintext,
				   strlen(r56_plaintext), NULL, &out));
	EXPECT_STREQ(r56_compact, out);
	ASSERT_EQ(0, esf_jose_open(rx, r56_compact, strlen(r56_compact), &pt, &len, &info));
	EXPECT_EQ(strlen(r56_plaintext), len);
	EXPECT_EQ(0, memcmp(pt, r56_plaintext, len));
	EXPECT_EQ(1, info.jwe);
	EXPECT_EQ(ESF_JOSE_COMPACT, info.form);
	EXPECT_STREQ("{\"alg\":\"dir\",\"kid\":\"" R56_KID "\",\"enc\":\"A128GCM\"}",
		     info.header);
	esf_jose_info_free(&info);
	free(pt);
	free(out);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

TEST(rfc7520_5_6_json)
{
	struct esf_session *tx = r56_session(0), *rx = r56_session(0);
	char *out = NULL, *pt = NULL;

	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_JSON_FLAT, r56_plaintext,
				   strlen(r56_plaintext), NULL, &out));
	EXPECT_STREQ(r56_json, out);
	free(out);
	ASSERT_EQ(0, open_str(rx, r56_json, &pt));
	EXPECT_STREQ(r56_plaintext, pt);
	free(pt);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

/* The general form adds the one "recipients" entry RFC 7516 7.2.1 requires. */
TEST(rfc7520_5_6_general_json)
{
	static const char want[] = "{\"protected\":\"" R56_PROT "\",\"recipients\":[{}],"
		"\"iv\":\"" R56_IV "\",\"ciphertext\":\"" R56_CT "\",\"tag\":\"" R56_TAG "\"}";
	struct esf_session *tx = r56_session(0), *rx = r56_session(0);
	char *out = NULL, *pt = NULL;

	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_JSON, r56_plaintext,
				   strlen(r56_plaintext), NULL, &out));
	EXPECT_STREQ(want, out);
	ASSERT_EQ(0, open_str(rx, out, &pt));
	EXPECT_STREQ(r56_plaintext, pt);
	free(pt);
	free(out);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

TEST(rfc7520_4_4_all_serializations)
{
	struct esf_session *s = hmac_session(R44_KEY, R44_KID);
	static const int forms[] = { ESF_JOSE_COMPACT, ESF_JOSE_JSON, ESF_JOSE_JSON_FLAT };
	const char *const want[] = { r44_compact, r44_general, r44_flat };

	ASSERT_NE(NULL, s);
	for (int i = 0; i < 3; i++) {
		struct esf_jose_info info;
		char *out = NULL;
		void *pt;
		size_t len;

		ASSERT_EQ(0, esf_jose_seal(s, forms[i], r44_payload, strlen(r44_payload),
					   NULL, &out));
		EXPECT_STREQ(want[i], out);
		ASSERT_EQ(0, esf_jose_open(s, want[i], strlen(want[i]), &pt, &len, &info));
		EXPECT_EQ(strlen(r44_payload), len);
		EXPECT_EQ(0, memcmp(pt, r44_payload, len));
		EXPECT_EQ(0, info.jwe);
		EXPECT_EQ(forms[i], info.form);
		esf_jose_info_free(&info);
		free(pt);
		free(out);
	}
	esf_session_close(s);
	leak_check();
}

/* A.1 needs the caller's exact header bytes (CRLF and all). */
TEST(rfc7515_a1_hs256)
{
	struct esf_session *s = hmac_session(A1_KEY, NULL);
	struct esf_jose_opts opts = { .header = a1_header };
	struct esf_jose_info info;
	char *out = NULL;
	void *pt;
	size_t len;

	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, esf_jose_seal(s, ESF_JOSE_COMPACT, a1_payload, strlen(a1_payload),
				   &opts, &out));
	EXPECT_STREQ(a1_compact, out);
	ASSERT_EQ(0, esf_jose_open(s, a1_compact, strlen(a1_compact), &pt, &len, &info));
	EXPECT_EQ(strlen(a1_payload), len);
	EXPECT_EQ(0, memcmp(pt, a1_payload, len));
	EXPECT_STREQ(a1_header, info.header);
	esf_jose_info_free(&info);
	free(pt);
	free(out);
	esf_session_close(s);
	leak_check();
}

/* Every key size, serialization and a spread of payload sizes. */
TEST(jwe_round_trips)
{
	static const size_t keys[] = { 16, 24, 32 };
	static const char *const encs[] = { "A128GCM", "A192GCM", "A256GCM" };
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 4096, ESF_MAX_DATA - 28 };
	uint8_t *data = malloc(ESF_MAX_DATA);

	ASSERT_NE(NULL, data);
	for (size_t i = 0; i < ESF_MAX_DATA; i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	for (int k = 0; k < 3; k++) {
		struct esf_session *tx = aead_session(keys[k], "kid-1");
		struct esf_session *rx = aead_peer(keys[k], "kid-1");

		for (int form = ESF_JOSE_COMPACT; form <= ESF_JOSE_JSON_FLAT; form++)
			for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
				struct esf_jose_info info;
				char *out = NULL;
				void *pt;
				size_t len;

				ASSERT_EQ(0, esf_jose_seal(tx, form, data, sizes[z], NULL, &out));
				ASSERT_EQ(0, esf_jose_open(rx, out, strlen(out), &pt, &len, &info)) {
					TH_LOG("key %zu form %d size %zu", keys[k], form, sizes[z]);
				}
				ASSERT_EQ(sizes[z], len);
				ASSERT_EQ(0, memcmp(pt, data, len));
				EXPECT_NE(NULL, strstr(info.header, encs[k]));
				EXPECT_EQ(form, info.form);
				esf_jose_info_free(&info);
				free(pt);
				free(out);
			}
		esf_session_close(tx);
		esf_session_close(rx);
	}
	free(data);
	leak_check();
}

/* The JWE Encrypted Key of a compact serialization, decoded. */
static void *compact_ek(const char *jwe, size_t *len)
{
	const char *a = strchr(jwe, '.'), *b = a ? strchr(a + 1, '.') : NULL;
	char *part;
	void *out;

	if (!b)
		return NULL;
	part = strndup(a + 1, (size_t)(b - a - 1));
	out = b64d(part, len);
	free(part);
	return out;
}

/*
 * A128KW/A192KW/A256KW with every content key size, in every form: the
 * header names both, the Encrypted Key is the wrapped key (fresh for each
 * message), the receiver opens once, and a replay, a wrapped key of
 * another KEK or a "dir" session are refused.
 */
TEST(jwe_key_wrap)
{
	static const char *const algs[] = { "A128KW", "A192KW", "A256KW" };
	static const char *const encs[] = { "A128GCM", "A192GCM", "A256GCM" };
	static const char msg[] = "a content instance";

	for (int k = 0; k < 3; k++)
		for (int c = 0; c < 3; c++) {
			size_t kek = 16 + 8 * (size_t)k, cek = 16 + 8 * (size_t)c, ek_len;
			struct esf_session *tx = kw_session(kek, cek, "kw-1");
			struct esf_session *rx = kw_session(kek, cek, "kw-1");
			struct esf_session *dir = aead_peer(kek, "kw-1");
			char *a = NULL, *b = NULL, want[64];
			struct esf_jose_info info;
			uint8_t *ek1, *ek2;
			void *pt;
			size_t len;

			ASSERT_NE(NULL, tx);
			ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, msg, sizeof(msg) - 1, NULL, &a));
			ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, msg, sizeof(msg) - 1, NULL, &b));
			ek1 = compact_ek(a, &ek_len);
			EXPECT_EQ(8 + cek, ek_len);
			ek2 = compact_ek(b, &ek_len);
			EXPECT_NE(0, memcmp(ek1, ek2, ek_len));
			ASSERT_EQ(0, esf_jose_open(rx, a, strlen(a), &pt, &len, &info));
			EXPECT_EQ(sizeof(msg) - 1, len);
			EXPECT_EQ(0, memcmp(pt, msg, len));
			snprintf(want, sizeof(want), "{\"alg\":\"%s\",\"kid\":\"kw-1\",\"enc\":\"%s\"}",
				 algs[k], encs[c]);
			EXPECT_STREQ(want, info.header);
			esf_jose_info_free(&info);
			free(pt);
			EXPECT_EQ(-EALREADY, open_str(rx, a, NULL));
			EXPECT_EQ(-ESF_E_ALG_MISMATCH, open_str(dir, b, NULL));
			for (int form = ESF_JOSE_JSON; form <= ESF_JOSE_JSON_FLAT; form++) {
				free(b);
				b = NULL;
				ASSERT_EQ(0, esf_jose_seal(tx, form, msg, sizeof(msg) - 1, NULL, &b));
				EXPECT_NE(NULL, strstr(b, "\"encrypted_key\":"));
				EXPECT_EQ(0, open_str(rx, b, NULL)) TH_LOG("form %d: %s", form, b);
			}
			free(ek1);
			free(ek2);
			free(a);
			free(b);
			esf_session_close(tx);
			esf_session_close(rx);
			esf_session_close(dir);
		}
	leak_check();
}

/* A wrapped key the receiver's KEK did not wrap fails the unwrap. */
TEST(jwe_key_wrap_other_kek)
{
	struct esf_session *tx = kw_session(16, 16, "kw");
	struct sw_params p = { .alg = ESF_ALG_KW_AES, .key = test_key + 1, .key_len = 16,
			       .key_id = "kw", .replay_window = 8 };
	struct esf_session *rx = sw_session(&p, 0, 0);
	char *a = NULL, *dot;

	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, "x", 1, NULL, &a));
	EXPECT_EQ(-EBADMSG, open_str(rx, a, NULL));
	/* An Encrypted Key missing, or of a "dir" length, is malformed. */
	dot = strchr(a, '.');
	memmove(dot + 1, strchr(dot + 1, '.'), strlen(strchr(dot + 1, '.')) + 1);
	EXPECT_EQ(-ESF_E_FORMAT, open_str(rx, a, NULL));
	free(a);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

TEST(jws_round_trips)
{
	static const uint8_t algs[] = { ESF_ALG_HMAC_SHA256, ESF_ALG_HMAC_SHA384,
					ESF_ALG_HMAC_SHA512 };
	static const char *const names[] = { "HS256", "HS384", "HS512" };

	for (int a = 0; a < 3; a++) {
		struct esf_session *s = mic_session(algs[a], "mic-kid");

		for (int form = ESF_JOSE_COMPACT; form <= ESF_JOSE_JSON_FLAT; form++) {
			struct esf_jose_info info;
			char *out = NULL;
			void *pt;
			size_t len;

			ASSERT_EQ(0, esf_jose_seal(s, form, "payload", 7, NULL, &out));
			ASSERT_EQ(0, esf_jose_open(s, out, strlen(out), &pt, &len, &info));
			EXPECT_EQ(7, len);
			EXPECT_EQ(0, memcmp(pt, "payload", 7));
			EXPECT_NE(NULL, strstr(info.header, names[a]));
			esf_jose_info_free(&info);
			free(pt);
			free(out);
		}
		esf_session_close(s);
	}
	leak_check();
}

TEST(header_options_cty_typ_no_kid)
{
	struct esf_session *tx = aead_session(16, "k"), *rx = aead_peer(16, "k");
	struct esf_jose_opts o = { .cty = "application/json", .typ = "JOSE", .no_kid = 1 };
	struct esf_jose_info info;
	char *out = NULL;
	void *pt;
	size_t len;

	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, "x", 1, &o, &out));
	ASSERT_EQ(0, esf_jose_open(rx, out, strlen(out), &pt, &len, &info));
	EXPECT_STREQ("{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"cty\":\"application/json\","
		     "\"typ\":\"JOSE\"}", info.header);
	EXPECT_STREQ("application/json", info.cty);
	EXPECT_EQ(1, info.seq);
	esf_jose_info_free(&info);
	free(pt);
	free(out);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

/* The JSON "aad" member is authenticated with the header. */
TEST(jwe_json_aad)
{
	struct esf_session *tx = aead_session(32, "k"), *rx = aead_peer(32, "k");
	struct esf_jose_opts o = { .aad = "extra", .aad_len = 5 };
	struct esf_jose_info info;
	char *out = NULL, *bad;
	void *pt;
	size_t len;

	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_JSON, "secret", 6, &o, &out));
	ASSERT_NE(NULL, strstr(out, "\"aad\":\"ZXh0cmE\""));
	/* another aad: the tag no longer matches */
	bad = strdup(out);
	memcpy(strstr(bad, "ZXh0cmE"), "ZXh0cmI", 7);
	EXPECT_EQ(-EBADMSG, open_str(rx, bad, NULL));
	free(bad);
	ASSERT_EQ(0, esf_jose_open(rx, out, strlen(out), &pt, &len, &info));
	EXPECT_EQ(5, info.aad_len);
	EXPECT_EQ(0, memcmp(info.aad, "extra", 5));
	esf_jose_info_free(&info);
	free(pt);
	free(out);
	EXPECT_EQ(-EINVAL, esf_jose_seal(tx, ESF_JOSE_COMPACT, "s", 1, &o, &out));
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

TEST(replay_rejected)
{
	struct esf_session *tx = aead_session(16, "k"), *rx = aead_peer(16, "k");
	char *out = NULL;

	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, "once", 4, NULL, &out));
	EXPECT_EQ(0, open_str(rx, out, NULL));
	EXPECT_EQ(-EALREADY, open_str(rx, out, NULL));
	EXPECT_EQ(5210, esf_onem2m_rsc(-EALREADY, 1));
	free(out);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

/*
 * esf_jose_peek() reads kind, serialization and "kid" without a session,
 * and leaves a JWE's sequence number to the esf_jose_open() that follows.
 */
TEST(peek)
{
	static const int forms[] = { ESF_JOSE_COMPACT, ESF_JOSE_JSON, ESF_JOSE_JSON_FLAT };
	struct esf_session *tx = aead_session(24, "peek-kid"), *rx = aead_peer(24, "peek-kid");
	struct esf_session *m = mic_session(ESF_ALG_HMAC_SHA384, "mic-kid");
	struct esf_jose_opts jo = { .cty = "text/plain" };
	struct esf_jose_info info;
	char *out = NULL;

	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, esf_jose_seal(tx, forms[i], "peek", 4, &jo, &out));
		ASSERT_EQ(0, esf_jose_peek(out, strlen(out), &info));
		EXPECT_EQ(1, info.jwe);
		EXPECT_EQ(forms[i], info.form);
		EXPECT_STREQ("peek-kid", info.kid);
		EXPECT_STREQ("text/plain", info.cty);
		EXPECT_STREQ("{\"alg\":\"dir\",\"kid\":\"peek-kid\",\"enc\":\"A192GCM\","
			     "\"cty\":\"text/plain\"}", info.header);
		EXPECT_EQ(0, info.seq);
		esf_jose_info_free(&info);
		/* peeking used nothing up: the object opens once */
		EXPECT_EQ(0, open_str(rx, out, NULL));
		EXPECT_EQ(-EALREADY, open_str(rx, out, NULL));
		free(out);
		ASSERT_EQ(0, esf_jose_seal(m, forms[i], "peek", 4, NULL, &out));
		ASSERT_EQ(0, esf_jose_peek(out, strlen(out), &info));
		EXPECT_EQ(0, info.jwe);
		EXPECT_EQ(forms[i], info.form);
		EXPECT_STREQ("mic-kid", info.kid);
		EXPECT_EQ(NULL, info.cty);
		esf_jose_info_free(&info);
		free(out);
	}
	/* no kid; "kid" of another type; malformed */
	EXPECT_EQ(0, esf_jose_peek("eyJhbGciOiJIUzI1NiJ9.eA.AA", 26, &info));
	EXPECT_EQ(NULL, info.kid);
	esf_jose_info_free(&info);
	/* {"alg":"HS256","kid":1} */
	EXPECT_EQ(-ESF_E_FORMAT, esf_jose_peek("eyJhbGciOiJIUzI1NiIsImtpZCI6MX0.eA.AA", 37, &info));
	EXPECT_EQ(-ESF_E_FORMAT, esf_jose_peek("a.b", 3, &info));
	EXPECT_EQ(-ESF_E_FORMAT, esf_jose_peek("{", 1, &info));
	EXPECT_EQ(-ESF_E_FORMAT, esf_jose_peek("", 0, &info));
	EXPECT_EQ(-EINVAL, esf_jose_peek(NULL, 0, &info));
	esf_session_close(tx);
	esf_session_close(rx);
	esf_session_close(m);
	leak_check();
}

/* A different key or salt on the receiving side: authentication fails. */
TEST(foreign_session_rejected)
{
	struct esf_session *tx = aead_session(16, "k");
	struct sw_params p = { .alg = ESF_ALG_GCM_AES, .key = test_key + 1, .key_len = 16,
			       .key_id = "k" };
	struct esf_session *other_key, *other_salt;
	char *out = NULL;

	memcpy(p.salt, test_salt, 4);
	other_key = sw_session(&p, 0, 0);
	p.key = test_key;
	p.salt[0] ^= 1;
	other_salt = sw_session(&p, 0, 0);
	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, "data", 4, NULL, &out));
	EXPECT_EQ(-EBADMSG, open_str(other_key, out, NULL));
	/* Another salt is not a forgery: a record of another session. */
	EXPECT_EQ(-ENOMSG, open_str(other_salt, out, NULL));
	free(out);
	esf_session_close(tx);
	esf_session_close(other_key);
	esf_session_close(other_salt);
	leak_check();
}

static bool allowed(int r, const int *set)
{
	for (; *set; set++)
		if (r == *set)
			return true;
	return false;
}

/*
 * Every single-character change of a sealed compact JWE or JWS is refused:
 * in the header as malformed or unauthentic, in IV, ciphertext or tag as
 * unauthentic (an IV whose salt changed as foreign, -ENOMSG), or malformed
 * where the base64url stops being canonical.
 */
static void mutate_all(struct __test_metadata *_metadata, struct esf_session *rx,
		       const char *good)
{
	static const int errs[] = { -EBADMSG, -ENOMSG, -ESF_E_FORMAT, -ESF_E_UNSUPPORTED,
				    -ESF_E_ALG_MISMATCH, -ESF_E_KEY_ID, -EMSGSIZE, 0 };
	size_t n = strlen(good);
	char *bad = strdup(good);

	for (size_t i = 0; i < n; i++) {
		static const char subst[] = "A_.=+ {\"";

		for (const char *c = subst; *c; c++) {
			int r;

			if (good[i] == *c)
				continue;
			bad[i] = *c;
			r = open_str(rx, bad, NULL);
			ASSERT_TRUE(allowed(r, errs)) {
				TH_LOG("position %zu '%c': %d", i, *c, r);
			}
		}
		bad[i] = good[i];
	}
	free(bad);
}

TEST(every_character_changed)
{
	struct esf_session *tx = aead_session(16, "kid-m"), *rx = aead_peer(16, "kid-m");
	struct esf_session *mic = mic_session(ESF_ALG_HMAC_SHA256, "kid-m");
	char *jwe = NULL, *jws = NULL;

	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, "mutation payload", 16, NULL, &jwe));
	ASSERT_EQ(0, esf_jose_seal(mic, ESF_JOSE_COMPACT, "mutation payload", 16, NULL, &jws));
	mutate_all(_metadata, rx, jwe);
	mutate_all(_metadata, mic, jws);
	/* the unchanged objects still open: nothing above was a false pass */
	EXPECT_EQ(0, open_str(rx, jwe, NULL));
	EXPECT_EQ(0, open_str(mic, jws, NULL));
	free(jwe);
	free(jws);
	esf_session_close(tx);
	esf_session_close(rx);
	esf_session_close(mic);
	leak_check();
}

/* Every proper prefix of every serialization is refused. */
TEST(every_truncation)
{
	struct esf_session *tx = aead_session(16, "k"), *rx = aead_peer(16, "k");
	struct esf_session *mic = mic_session(ESF_ALG_HMAC_SHA384, "k");

	for (int form = ESF_JOSE_COMPACT; form <= ESF_JOSE_JSON_FLAT; form++) {
		char *jwe = NULL, *jws = NULL;

		ASSERT_EQ(0, esf_jose_seal(tx, form, "truncate me", 11, NULL, &jwe));
		ASSERT_EQ(0, esf_jose_seal(mic, form, "truncate me", 11, NULL, &jws));
		for (size_t n = 0; n < strlen(jwe); n++) {
			void *pt = NULL;
			size_t len;
			int r = esf_jose_open(rx, jwe, n, &pt, &len, NULL);

			/* a JWE cut after its second dot has a JWS's shape */
			ASSERT_TRUE(r == -ESF_E_FORMAT || r == -EBADMSG ||
				    r == -ESF_E_ALG_MISMATCH) {
				TH_LOG("JWE form %d cut at %zu: %d", form, n, r);
			}
			ASSERT_EQ(NULL, pt);
		}
		for (size_t n = 0; n < strlen(jws); n++) {
			void *pt = NULL;
			size_t len;
			int r = esf_jose_open(mic, jws, n, &pt, &len, NULL);

			ASSERT_TRUE(r == -ESF_E_FORMAT || r == -EBADMSG) {
				TH_LOG("JWS form %d cut at %zu: %d", form, n, r);
			}
		}
		free(jwe);
		free(jws);
	}
	esf_session_close(tx);
	esf_session_close(rx);
	esf_session_close(mic);
	leak_check();
}

/*
 * A compact JWE with header @hdr and well-formed but meaningless parts; its
 * IV carries the test sessions' salt (e5f00001), so that it reaches the tag
 * check rather than being refused as a foreign nonce (-ENOMSG).
 */
static char *forge_jwe(const char *hdr)
{
	char *h = esf_b64url_encode_alloc(hdr, strlen(hdr));
	char *out;

	if (asprintf(&out, "%s..5fAAAQAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", h) < 0)
		out = NULL;
	free(h);
	return out;
}

static char *forge_jws(const char *hdr, const char *sig)
{
	char *h = esf_b64url_encode_alloc(hdr, strlen(hdr));
	char *out;

	if (asprintf(&out, "%s.cGF5bG9hZA.%s", h, sig) < 0)
		out = NULL;
	free(h);
	return out;
}

struct hdr_case {
	const char *hdr;
	int want;
};

static const struct hdr_case jwe_headers[] = {
	{ "{\"alg\":\"dir\"}", -ESF_E_FORMAT },
	{ "{\"enc\":\"A128GCM\"}", -ESF_E_FORMAT },
	{ "{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\"}", -ESF_E_UNSUPPORTED },
	/* A key-wrap JWE, which a "dir" session cannot open. */
	{ "{\"alg\":\"A128KW\",\"enc\":\"A128GCM\"}", -ESF_E_ALG_MISMATCH },
	{ "{\"alg\":\"A128GCMKW\",\"enc\":\"A128GCM\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A128GCM\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"dir\",\"enc\":\"A128CBC-HS256\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"dir\",\"enc\":\"a128gcm\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"dir\",\"enc\":\"A256GCM\"}", -ESF_E_ALG_MISMATCH },
	{ "{\"alg\":\"dir\",\"enc\":\"A192GCM\"}", -ESF_E_ALG_MISMATCH },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"zip\":\"DEF\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":[\"exp\"],\"exp\":1}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":[\"exp\"]}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":[]}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":\"exp\",\"exp\":1}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":[\"alg\"]}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":[\"enc\"]}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":[1]}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":[\"x\",\"x\"],\"x\":1}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":[\"b64\"],\"b64\":false}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"crit\":[\"ori\"],\"ori\":\"x\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"dir\",\"alg\":\"dir\",\"enc\":\"A128GCM\"}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"enc\":\"A128GCM\"}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"other\"}", -ESF_E_KEY_ID },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"kid\"}", -ESF_E_KEY_ID },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"kid-11\"}", -ESF_E_KEY_ID },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":5}", -ESF_E_FORMAT },
	{ "{\"alg\":1,\"enc\":\"A128GCM\"}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":null}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":[\"A128GCM\"]}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"cty\":[]}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"typ\":{}}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\"} x", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\"}{}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\"", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",}", -ESF_E_FORMAT },
	{ "{'alg':'dir','enc':'A128GCM'}", -ESF_E_FORMAT },
	{ "{\"alg\":\"d\\u0000ir\",\"enc\":\"A128GCM\"}", -ESF_E_FORMAT },
	{ "[\"alg\",\"dir\"]", -ESF_E_FORMAT },
	{ "null", -ESF_E_FORMAT },
	{ "\"alg\"", -ESF_E_FORMAT },
	{ "abc", -ESF_E_FORMAT },
	{ "", -ESF_E_FORMAT },
	{ "{}", -ESF_E_FORMAT },
	{ "{\"alg\":\"HS256\"}", -ESF_E_FORMAT },
	/* well-formed and matching: only the (forged) tag fails */
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\"}", -EBADMSG },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"kid-1\"}", -EBADMSG },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"unknown\":{\"a\":[1,2]}}", -EBADMSG },
};

TEST(jwe_header_cases)
{
	struct esf_session *rx = aead_peer(16, "kid-1");

	for (size_t i = 0; i < sizeof(jwe_headers) / sizeof(jwe_headers[0]); i++) {
		char *in = forge_jwe(jwe_headers[i].hdr);

		ASSERT_NE(NULL, in);
		EXPECT_EQ(jwe_headers[i].want, open_str(rx, in, NULL)) {
			TH_LOG("header %s", jwe_headers[i].hdr);
		}
		free(in);
	}
	esf_session_close(rx);
	leak_check();
}

static const struct hdr_case jws_headers[] = {
	{ "{\"alg\":\"none\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"RS256\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"ES256\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"hs256\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"HS384\"}", -ESF_E_ALG_MISMATCH },
	{ "{\"alg\":\"HS512\"}", -ESF_E_ALG_MISMATCH },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"HS256\",\"zip\":\"DEF\"}", -ESF_E_UNSUPPORTED },
	{ "{\"alg\":\"HS256\",\"kid\":\"nope\"}", -ESF_E_KEY_ID },
	{ "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", -ESF_E_FORMAT },
	{ "{\"alg\":[\"HS256\"]}", -ESF_E_FORMAT },
	{ "{\"typ\":\"JWT\"}", -ESF_E_FORMAT },
	{ "{\"alg\":\"HS256\"}", -EBADMSG },
};

TEST(jws_header_cases)
{
	struct esf_session *s = mic_session(ESF_ALG_HMAC_SHA256, "kid-1");
	/* 32 zero bytes: right length, wrong MAC */
	const char *sig = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

	for (size_t i = 0; i < sizeof(jws_headers) / sizeof(jws_headers[0]); i++) {
		char *in = forge_jws(jws_headers[i].hdr, sig);

		EXPECT_EQ(jws_headers[i].want, open_str(s, in, NULL)) {
			TH_LOG("header %s", jws_headers[i].hdr);
		}
		free(in);
	}
	esf_session_close(s);
	leak_check();
}

struct input_case {
	const char *in;
	int want;
};

#define HDR "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0"	/* {"alg":"dir","enc":"A128GCM"} */
#define IV "5fAAAQAAAAAAAAAA"	/* the test salt, sequence number 0 */
#define TAG "AAAAAAAAAAAAAAAAAAAAAA"

static const struct input_case jwe_inputs[] = {
	{ "", -ESF_E_FORMAT },
	{ ".", -ESF_E_FORMAT },
	{ "....", -ESF_E_FORMAT },
	{ HDR "..." IV ".AAAA", -ESF_E_FORMAT },
	{ HDR ".." IV ".AAAA." TAG ".", -ESF_E_FORMAT },
	{ HDR ".." IV ".AAAA." TAG ".x", -ESF_E_FORMAT },
	{ HDR ".AAAA." IV ".AAAA." TAG, -ESF_E_FORMAT },	/* encrypted key with dir */
	{ HDR "..AAAAAAAAAAA.AAAA." TAG, -ESF_E_FORMAT },	/* IV 8 bytes */
	{ HDR ".." IV ".AAAA.AAAAAAAAAAAAAAAA", -ESF_E_FORMAT },	/* tag 12 bytes */
	{ HDR ".." IV ".AAAA.", -ESF_E_FORMAT },
	{ HDR ".." IV ".AAA=." TAG, -ESF_E_FORMAT },
	{ HDR ".." IV ".AA+A." TAG, -ESF_E_FORMAT },
	{ HDR ".." IV ".AA A." TAG, -ESF_E_FORMAT },
	{ HDR ".." IV ".AAAA." TAG "\n", -ESF_E_FORMAT },
	{ " " HDR ".." IV ".AAAA." TAG, -ESF_E_FORMAT },
	{ HDR "=.." IV ".AAAA." TAG, -ESF_E_FORMAT },
	{ ".." IV ".AAAA." TAG, -ESF_E_FORMAT },
	{ HDR ".." IV ".AB." TAG, -ESF_E_FORMAT },		/* non-canonical */
	{ HDR ".." IV "." TAG, -ESF_E_FORMAT },
	{ HDR ".." IV ".." TAG, -EBADMSG },			/* empty ciphertext */
	{ HDR "." IV, -ESF_E_FORMAT },
	{ HDR ".cGF5bG9hZA.AAAA", -ESF_E_ALG_MISMATCH },	/* a JWS shape */
	/* JSON serializations */
	{ "{}", -ESF_E_FORMAT },
	{ "[]", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"iv\":\"" IV "\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"iv\":\"" IV "\",\"ciphertext\":\"AAAA\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"iv\":1,\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"iv\":\"" IV "\",\"ciphertext\":[],\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":{},\"iv\":\"" IV "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"\",\"iv\":\"" IV "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"iv\":\"" IV "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"unprotected\":{\"alg\":\"dir\",\"enc\":\"A128GCM\"},\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -EBADMSG },
	{ "{\"protected\":\"" HDR "\",\"unprotected\":{\"alg\":\"dir\"},\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },	/* not disjoint */
	{ "{\"protected\":\"" HDR "\",\"unprotected\":[],\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"unprotected\":{\"zip\":\"DEF\"},\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_UNSUPPORTED },
	{ "{\"protected\":\"" HDR "\",\"unprotected\":{\"crit\":[\"x\"],\"x\":1},\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"recipients\":[],\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"recipients\":[{},{}],\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_UNSUPPORTED },
	{ "{\"protected\":\"" HDR "\",\"recipients\":[1],\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"recipients\":{},\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"recipients\":[{\"encrypted_key\":\"AAAA\"}],\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"recipients\":[{\"header\":{\"kid\":\"zz\"}}],\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_KEY_ID },
	{ "{\"protected\":\"" HDR "\",\"recipients\":[{}],\"header\":{},\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"encrypted_key\":\"AAAA\",\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"encrypted_key\":\"\",\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -EBADMSG },
	{ "{\"protected\":\"" HDR "\",\"aad\":\"A\",\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"aad\":5,\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"protected\":\"" HDR "\",\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\"} {}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\",\"payload\":\"AA\"}", -ESF_E_FORMAT },
	{ "{\"protected\":\"" HDR "\",\"iv\":\"" IV
	  "\",\"ciphertext\":\"AAAA\",\"tag\":\"" TAG "\",\"x-extra\":1}", -EBADMSG },
};

TEST(jwe_input_cases)
{
	struct esf_session *rx = aead_peer(16, "kid-1");

	for (size_t i = 0; i < sizeof(jwe_inputs) / sizeof(jwe_inputs[0]); i++) {
		EXPECT_EQ(jwe_inputs[i].want, open_str(rx, jwe_inputs[i].in, NULL)) {
			TH_LOG("input %s", jwe_inputs[i].in);
		}
	}
	esf_session_close(rx);
	leak_check();
}

#define JH "eyJhbGciOiJIUzI1NiJ9"	/* {"alg":"HS256"} */
#define SIG "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const struct input_case jws_inputs[] = {
	{ JH ".cGF5bG9hZA", -ESF_E_FORMAT },
	{ JH ".cGF5bG9hZA." SIG ".", -ESF_E_FORMAT },
	{ JH ".cGF5bG9hZA=." SIG, -ESF_E_FORMAT },
	{ JH ".cGF5bG9hZ A." SIG, -ESF_E_FORMAT },
	{ JH ".cGF5bG9hZA.AAAA", -EBADMSG },			/* short MAC */
	{ JH ".cGF5bG9hZA." SIG "AAAA", -EBADMSG },		/* long MAC */
	{ JH ".cGF5bG9hZA.", -EBADMSG },
	{ ".cGF5bG9hZA." SIG, -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\"}", -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"signatures\":[]}", -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"signatures\":[{\"protected\":\"" JH "\",\"signature\":\""
	  SIG "\"},{\"protected\":\"" JH "\",\"signature\":\"" SIG "\"}]}", -ESF_E_UNSUPPORTED },
	{ "{\"payload\":\"cGF5bG9hZA\",\"signatures\":[{\"protected\":\"" JH "\"}]}", -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"signatures\":[{\"protected\":\"" JH "\",\"signature\":\""
	  SIG "\"}],\"signature\":\"" SIG "\"}", -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"signature\":\"" SIG "\"}", -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"protected\":\"" JH "\",\"signature\":5}", -ESF_E_FORMAT },
	{ "{\"payload\":7,\"protected\":\"" JH "\",\"signature\":\"" SIG "\"}", -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"protected\":\"" JH "\",\"header\":{\"alg\":\"HS256\"},"
	  "\"signature\":\"" SIG "\"}", -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"header\":{\"alg\":\"HS256\"},\"signature\":\"" SIG "\"}",
	  -EBADMSG },
	{ "{\"payload\":\"cGF5bG9hZA\",\"header\":\"HS256\",\"signature\":\"" SIG "\"}", -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"protected\":\"" JH "\",\"signature\":\"" SIG "\"}",
	  -EBADMSG },
	{ "{\"payload\":\"cGF5bG9hZA=\",\"protected\":\"" JH "\",\"signature\":\"" SIG "\"}",
	  -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"payload\":\"cGF5bG9hZA\",\"protected\":\"" JH
	  "\",\"signature\":\"" SIG "\"}", -ESF_E_FORMAT },
	{ "{\"payload\":\"cGF5bG9hZA\",\"protected\":\"" JH "\",\"signature\":\"" SIG "\"}x",
	  -ESF_E_FORMAT },
	{ HDR ".." IV ".AAAA." TAG, -ESF_E_ALG_MISMATCH },	/* a JWE on a MIC session */
};

TEST(jws_input_cases)
{
	struct esf_session *s = mic_session(ESF_ALG_HMAC_SHA256, "kid-1");

	for (size_t i = 0; i < sizeof(jws_inputs) / sizeof(jws_inputs[0]); i++) {
		EXPECT_EQ(jws_inputs[i].want, open_str(s, jws_inputs[i].in, NULL)) {
			TH_LOG("input %s", jws_inputs[i].in);
		}
	}
	esf_session_close(s);
	leak_check();
}

TEST(oversize_inputs)
{
	struct esf_session *tx = aead_session(16, "k"), *rx = aead_peer(16, "k");
	struct esf_session *mic = mic_session(ESF_ALG_HMAC_SHA256, "k");
	size_t big = ESF_ENVELOPE_MAX + 1;
	char *in = malloc(big + 1), *out = NULL, *hdr;
	void *pt = NULL;
	size_t len;

	ASSERT_NE(NULL, in);
	memset(in, 'A', big);
	in[big] = '\0';
	EXPECT_EQ(-EMSGSIZE, esf_jose_open(rx, in, big, &pt, &len, NULL));
	/* the largest payload seals, and the receiver opens it back */
	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, in, ESF_MAX_DATA, NULL, &out));
	ASSERT_EQ(0, esf_jose_open(rx, out, strlen(out), &pt, &len, NULL));
	EXPECT_EQ(ESF_MAX_DATA, len);
	EXPECT_EQ(0, memcmp(pt, in, len));
	free(out);
	free(pt);
	out = NULL;
	pt = NULL;
	/* one byte more is refused when sealing */
	EXPECT_EQ(-EMSGSIZE, esf_jose_seal(tx, ESF_JOSE_COMPACT, in, ESF_MAX_DATA + 1,
					   NULL, &out));
	EXPECT_EQ(-EMSGSIZE, esf_jose_seal(mic, ESF_JOSE_COMPACT, in, ESF_MAX_DATA,
					   NULL, &out));
	/* a protected header whose base64url exceeds the AAD limit */
	hdr = malloc(ESF_MAX_AAD + 64);
	snprintf(hdr, ESF_MAX_AAD + 64, "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"x\":\"%0*d\"}",
		 ESF_MAX_AAD, 0);
	EXPECT_EQ(-EMSGSIZE, esf_jose_seal(tx, ESF_JOSE_COMPACT, "x", 1,
					   &(struct esf_jose_opts){ .header = hdr }, &out));
	free(hdr);
	hdr = forge_jwe(in + big - 7000);	/* 7000 bytes: over the header limit */
	EXPECT_EQ(-EMSGSIZE, esf_jose_open(rx, hdr, strlen(hdr), &pt, &len, NULL));
	EXPECT_EQ(NULL, out);
	EXPECT_EQ(NULL, pt);
	free(hdr);
	free(in);
	esf_session_close(tx);
	esf_session_close(rx);
	esf_session_close(mic);
	leak_check();
}

static struct esf_session *session_with(uint8_t alg, size_t key_len, uint8_t tag_len,
					const char *kid, uint8_t direction)
{
	struct sw_params p = { .alg = alg, .key = test_key, .key_len = key_len,
			       .tag_len = tag_len, .key_id = kid, .direction = direction };

	memcpy(p.salt, test_salt, 4);
	return sw_session(&p, 0, 0);
}

/* Sessions whose key cannot make the JOSE object asked for. */
TEST(session_mismatches)
{
	struct esf_session *trunc_gcm = session_with(ESF_ALG_GCM_AES, 16, 12, "k", 0);
	struct esf_session *trunc_mac = session_with(ESF_ALG_HMAC_SHA256, 32, 16, "k", 0);
	struct esf_session *ccm = session_with(ESF_ALG_CCM_AES, 16, 16, "k", 0);
	struct esf_session *rfc4106 = session_with(ESF_ALG_RFC4106_GCM_AES, 16, 16, "k", 0);
	struct esf_session *open_only = session_with(ESF_ALG_GCM_AES, 16, 16, "k", ESF_DIR_OPEN);
	struct esf_session *bad_kid = session_with(ESF_ALG_GCM_AES, 16, 16, "k\x01", 0);
	struct esf_session *good = aead_session(16, "k");
	struct esf_jose_opts hs = { .header = "{\"alg\":\"HS256\"}" };
	struct esf_jose_opts kid = { .header = "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"j\"}" };
	char *out = NULL;

	EXPECT_EQ(-ESF_E_ALG_MISMATCH, esf_jose_seal(trunc_gcm, 1, "x", 1, NULL, &out));
	EXPECT_EQ(-ESF_E_ALG_MISMATCH, esf_jose_seal(trunc_mac, 1, "x", 1, NULL, &out));
	EXPECT_EQ(-ESF_E_ALG_MISMATCH, esf_jose_seal(ccm, 1, "x", 1, NULL, &out));
	/* rfc4106 takes 8 or 12 bytes of AAD: no JWE header fits */
	EXPECT_EQ(-EMSGSIZE, esf_jose_seal(rfc4106, 1, "x", 1, NULL, &out));
	/* the kernel's refusal comes through unchanged */
	EXPECT_EQ(-EPERM, esf_jose_seal(open_only, 1, "x", 1, NULL, &out));
	EXPECT_EQ(5211, esf_onem2m_rsc(-EPERM, 0));
	EXPECT_EQ(-ESF_E_KEY_ID, esf_jose_seal(bad_kid, 1, "x", 1, NULL, &out));
	EXPECT_EQ(-ESF_E_ALG_MISMATCH, esf_jose_seal(good, 1, "x", 1, &hs, &out));
	EXPECT_EQ(-ESF_E_KEY_ID, esf_jose_seal(good, 1, "x", 1, &kid, &out));
	EXPECT_EQ(-EINVAL, esf_jose_seal(good, 0, "x", 1, NULL, &out));
	EXPECT_EQ(-EINVAL, esf_jose_seal(good, 4, "x", 1, NULL, &out));
	EXPECT_EQ(-EINVAL, esf_jose_seal(good, 1, NULL, 1, NULL, &out));
	EXPECT_EQ(NULL, out);
	/* the truncated-tag sessions cannot open a full-tag object either */
	ASSERT_EQ(0, esf_jose_seal(good, 1, "x", 1, NULL, &out));
	EXPECT_EQ(-ESF_E_ALG_MISMATCH, open_str(trunc_gcm, out, NULL));
	free(out);
	esf_session_close(trunc_gcm);
	esf_session_close(trunc_mac);
	esf_session_close(ccm);
	esf_session_close(rfc4106);
	esf_session_close(open_only);
	esf_session_close(bad_kid);
	esf_session_close(good);
	leak_check();
}

TEST_HARNESS_MAIN
