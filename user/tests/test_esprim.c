// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ESPrim Objects and target data class 1: what a oneM2M receiver relies
 * on is that only the holder of the session key can produce an object it
 * accepts, that the rand ids and key id are checked with the right
 * response code, and that the carrier cannot claim another originator.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "esf_env.h"
#include "support.h"

#define KID "pairwise-key-1"
static const char oro[] = "{\"esprimRandID\":\"o-1\",\"esprimRandValue\":\"AAECAwQFBgcICQoLDA0ODw\","
	"\"esprimRandExpiry\":\"20301231T000000\",\"esprimKeyGenAlgID\":1,\"esprimProtocolAndAlgID\":10}";
static const struct esf_esprim_hdr hdr = {
	.ori = "o-1", .rri = "r-7", .oro = oro, .cty = "application/json",
};

static char *seal(struct esf_session *s, const char *data)
{
	char *out = NULL;

	if (esf_esprim_seal(s, &hdr, data, strlen(data), &out))
		return NULL;
	return out;
}

TEST(esprim_round_trip)
{
	struct esf_session *tx = aead_session(16, KID), *rx = aead_peer(16, KID);
	struct esf_esprim_info info;
	char *obj = seal(tx, "inner primitive");
	void *pt;
	size_t len, dots = 0;
	json_t *rand, *want;

	ASSERT_NE(NULL, obj);
	for (char *p = obj; *p; p++)
		dots += *p == '.';
	EXPECT_EQ(4, dots);
	EXPECT_NE(NULL, strstr(obj, ".."));	/* "dir": empty encrypted key */
	ASSERT_EQ(0, esf_esprim_open(rx, obj, strlen(obj), "o-1", "r-7", &pt, &len, &info));
	EXPECT_EQ(15, len);
	EXPECT_STREQ("inner primitive", pt);
	EXPECT_STREQ("o-1", info.ori);
	EXPECT_STREQ("r-7", info.rri);
	EXPECT_EQ(NULL, info.rro);
	EXPECT_STREQ("application/json", info.cty);
	EXPECT_EQ(1, info.seq);
	/* the rand object comes back as the same JSON value */
	rand = json_loads(info.oro, 0, NULL);
	want = json_loads(oro, 0, NULL);
	EXPECT_TRUE(json_equal(rand, want));
	json_decref(rand);
	json_decref(want);
	esf_esprim_info_free(&info);
	free(pt);
	free(obj);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

/* The header is the AAD: "kid", "ori", "rri" are all authenticated. */
TEST(esprim_header_names_key_and_rands)
{
	struct esf_session *tx = aead_session(32, KID), *rx = aead_peer(32, KID);
	char *obj = seal(tx, "x"), *dot, *hdr_text;
	size_t len;
	json_t *h;

	ASSERT_NE(NULL, obj);
	dot = strchr(obj, '.');
	hdr_text = b64d(strndup(obj, (size_t)(dot - obj)), &len);
	h = json_loads(hdr_text, 0, NULL);
	ASSERT_NE(NULL, h);
	EXPECT_STREQ("dir", json_string_value(json_object_get(h, "alg")));
	EXPECT_STREQ("A256GCM", json_string_value(json_object_get(h, "enc")));
	EXPECT_STREQ(KID, json_string_value(json_object_get(h, "kid")));
	EXPECT_STREQ("o-1", json_string_value(json_object_get(h, "ori")));
	EXPECT_STREQ("r-7", json_string_value(json_object_get(h, "rri")));
	EXPECT_TRUE(json_is_object(json_object_get(h, "oro")));
	json_decref(h);
	free(hdr_text);
	free(obj);
	esf_session_close(tx);
	esf_session_close(rx);
}

TEST(esprim_rand_and_key_checks)
{
	struct esf_session *tx = aead_session(16, KID), *rx = aead_peer(16, KID);
	struct esf_session *other = aead_peer(16, "another-key");
	char *obj = seal(tx, "x");
	void *pt = NULL;
	size_t len;

	EXPECT_EQ(-ESF_E_ORIG_RAND, esf_esprim_open(rx, obj, strlen(obj), "o-2", NULL, &pt, &len, NULL));
	EXPECT_EQ(-ESF_E_RECV_RAND, esf_esprim_open(rx, obj, strlen(obj), NULL, "r-8", &pt, &len, NULL));
	EXPECT_EQ(-ESF_E_KEY_ID, esf_esprim_open(other, obj, strlen(obj), NULL, NULL, &pt, &len, NULL));
	EXPECT_EQ(4113, esf_onem2m_rsc(-ESF_E_ORIG_RAND, 1));
	EXPECT_EQ(4114, esf_onem2m_rsc(-ESF_E_RECV_RAND, 1));
	EXPECT_EQ(4112, esf_onem2m_rsc(-ESF_E_KEY_ID, 1));
	EXPECT_EQ(NULL, pt);
	/* refusals above did not spend the object: it still opens */
	ASSERT_EQ(0, esf_esprim_open(rx, obj, strlen(obj), NULL, NULL, &pt, &len, NULL));
	free(pt);
	free(obj);
	esf_session_close(tx);
	esf_session_close(rx);
	esf_session_close(other);
	leak_check();
}

TEST(esprim_seal_refusals)
{
	struct esf_session *nokid = aead_session(16, NULL);
	struct esf_session *mic = mic_session(ESF_ALG_HMAC_SHA256, KID);
	struct esf_session *s = aead_session(16, KID);
	struct esf_esprim_hdr h = hdr;
	char *out = NULL;

	EXPECT_EQ(-ESF_E_KEY_ID, esf_esprim_seal(nokid, &hdr, "x", 1, &out));
	EXPECT_EQ(-ESF_E_ALG_MISMATCH, esf_esprim_seal(mic, &hdr, "x", 1, &out));
	h.ori = NULL;
	EXPECT_EQ(-EINVAL, esf_esprim_seal(s, &h, "x", 1, &out));
	h = hdr;
	h.rro = "[1,2]";
	EXPECT_EQ(-ESF_E_FORMAT, esf_esprim_seal(s, &h, "x", 1, &out));
	h.rro = "{\"a\":1,\"a\":2}";
	EXPECT_EQ(-ESF_E_FORMAT, esf_esprim_seal(s, &h, "x", 1, &out));
	h.rro = NULL;
	h.ori = "bad\xff utf8";
	EXPECT_EQ(-EINVAL, esf_esprim_seal(s, &h, "x", 1, &out));
	EXPECT_EQ(NULL, out);
	esf_session_close(nokid);
	esf_session_close(mic);
	esf_session_close(s);
	leak_check();
}

static char *forge(const char *hdr_json)
{
	char *h = esf_b64url_encode_alloc(hdr_json, strlen(hdr_json)), *out;

	/* The IV carries the test salt: the tag check is what refuses it. */
	if (asprintf(&out, "%s..5fAAAQAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", h) < 0)
		out = NULL;
	free(h);
	return out;
}

#define BASE "\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"" KID "\""

static const struct {
	const char *hdr;
	int want;
} esprim_headers[] = {
	{ "{" BASE "}", -ESF_E_FORMAT },
	{ "{" BASE ",\"ori\":\"o-1\"}", -ESF_E_FORMAT },
	{ "{" BASE ",\"rri\":\"r-7\"}", -ESF_E_FORMAT },
	{ "{" BASE ",\"ori\":1,\"rri\":\"r-7\"}", -ESF_E_FORMAT },
	{ "{" BASE ",\"ori\":\"o-1\",\"rri\":[]}", -ESF_E_FORMAT },
	{ "{" BASE ",\"ori\":\"o-1\",\"rri\":\"r-7\",\"oro\":\"text\"}", -ESF_E_FORMAT },
	{ "{" BASE ",\"ori\":\"o-1\",\"rri\":\"r-7\",\"rro\":[]}", -ESF_E_FORMAT },
	{ "{" BASE ",\"ori\":\"o-1\",\"ori\":\"o-1\",\"rri\":\"r-7\"}", -ESF_E_FORMAT },
	{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"ori\":\"o-1\",\"rri\":\"r-7\"}", -ESF_E_KEY_ID },
	{ "{" BASE ",\"ori\":\"o-9\",\"rri\":\"r-7\"}", -ESF_E_ORIG_RAND },
	{ "{" BASE ",\"ori\":\"o-1\",\"rri\":\"r-9\"}", -ESF_E_RECV_RAND },
	{ "{" BASE ",\"ori\":\"o-1\",\"rri\":\"r-7\",\"zip\":\"DEF\"}", -ESF_E_UNSUPPORTED },
	{ "{" BASE ",\"ori\":\"o-1\",\"rri\":\"r-7\",\"crit\":[\"sst\"],\"sst\":1}", -ESF_E_UNSUPPORTED },
	/* ESPrim's own members are understood when critical */
	{ "{" BASE ",\"ori\":\"o-1\",\"rri\":\"r-7\",\"crit\":[\"ori\",\"rri\"]}", -EBADMSG },
	{ "{" BASE ",\"ori\":\"o-1\",\"rri\":\"r-7\"}", -EBADMSG },
};

TEST(esprim_header_cases)
{
	struct esf_session *rx = aead_peer(16, KID);

	for (size_t i = 0; i < sizeof(esprim_headers) / sizeof(esprim_headers[0]); i++) {
		char *in = forge(esprim_headers[i].hdr);
		void *pt = NULL;
		size_t len;

		EXPECT_EQ(esprim_headers[i].want,
			  esf_esprim_open(rx, in, strlen(in), "o-1", "r-7", &pt, &len, NULL)) {
			TH_LOG("%s", esprim_headers[i].hdr);
		}
		free(in);
	}
	esf_session_close(rx);
	leak_check();
}

/* An ESPrim Object is JWE compact only. */
TEST(esprim_other_serializations_refused)
{
	struct esf_session *tx = aead_session(16, KID), *rx = aead_peer(16, KID);
	char *json = NULL;
	void *pt = NULL;
	size_t len;

	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_JSON_FLAT, "x", 1, NULL, &json));
	EXPECT_EQ(-ESF_E_FORMAT, esf_esprim_open(rx, json, strlen(json), NULL, NULL, &pt, &len, NULL));
	EXPECT_EQ(-ESF_E_FORMAT, esf_esprim_open(rx, "a.b.c", 5, NULL, NULL, &pt, &len, NULL));
	free(json);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

static const char request[] = "{\"op\":2,\"to\":\"//sp/in-cse/cnt-1\",\"fr\":\"Cae-1\","
	"\"rqi\":\"req-42\",\"rvi\":\"3\",\"rcn\":1}";
static const char response[] = "{\"rsc\":2000,\"rqi\":\"req-42\",\"rvi\":\"3\","
	"\"pc\":{\"m2m:cin\":{\"con\":\"21.5\",\"cnf\":\"text/plain:0\"}}}";

static json_t *parse(const char *s)
{
	return json_loads(s, JSON_REJECT_DUPLICATES, NULL);
}

TEST(class1_request)
{
	struct esf_session *tx = aead_session(16, KID), *rx = aead_peer(16, KID);
	struct esf_esprim_info info;
	char *outer = NULL, *inner = NULL;
	json_t *o, *seci;

	ASSERT_EQ(0, esf_class1_wrap(tx, &hdr, request, strlen(request), &outer));
	o = parse(outer);
	ASSERT_NE(NULL, o);
	EXPECT_EQ(5, json_integer_value(json_object_get(o, "op")));
	EXPECT_STREQ("//sp/in-cse/cnt-1", json_string_value(json_object_get(o, "to")));
	EXPECT_STREQ("Cae-1", json_string_value(json_object_get(o, "fr")));
	EXPECT_STREQ("req-42", json_string_value(json_object_get(o, "rqi")));
	EXPECT_STREQ("3", json_string_value(json_object_get(o, "rvi")));
	EXPECT_EQ(NULL, json_object_get(o, "rcn"));	/* only inside */
	seci = json_object_get(json_object_get(o, "pc"), "m2m:seci");
	EXPECT_EQ(ESF_SIT_ESPRIM, json_integer_value(json_object_get(seci, "sit")));
	EXPECT_TRUE(json_is_string(json_object_get(seci, "epo")));
	EXPECT_EQ(NULL, strstr(outer, "rcn"));		/* nothing of it in clear */
	json_decref(o);
	ASSERT_EQ(0, esf_class1_unwrap(rx, outer, strlen(outer), "o-1", "r-7", &inner, &info));
	EXPECT_STREQ(request, inner);			/* byte for byte */
	EXPECT_STREQ("o-1", info.ori);
	esf_esprim_info_free(&info);
	free(inner);
	free(outer);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

TEST(class1_response)
{
	struct esf_session *tx = aead_session(24, KID), *rx = aead_peer(24, KID);
	char *outer = NULL, *inner = NULL;
	json_t *o;

	ASSERT_EQ(0, esf_class1_wrap(tx, &hdr, response, strlen(response), &outer));
	o = parse(outer);
	EXPECT_EQ(2000, json_integer_value(json_object_get(o, "rsc")));
	EXPECT_EQ(NULL, json_object_get(o, "op"));
	EXPECT_STREQ("req-42", json_string_value(json_object_get(o, "rqi")));
	EXPECT_EQ(NULL, strstr(outer, "21.5"));
	json_decref(o);
	ASSERT_EQ(0, esf_class1_unwrap(rx, outer, strlen(outer), NULL, NULL, &inner, NULL));
	EXPECT_STREQ(response, inner);
	free(inner);
	free(outer);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

/* Re-serialize @outer with @key set to @val (a JSON value). */
static char *with(const char *outer, const char *key, const char *val)
{
	json_t *o = parse(outer);
	char *out;

	if (val)
		json_object_set_new(o, key, json_loads(val, JSON_DECODE_ANY, NULL));
	else
		json_object_del(o, key);
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

/*
 * A valid ESPrim Object carried by a primitive that claims someone else.
 * The object is authentic, so the kernel marks its sequence number as
 * seen; each case therefore uses a receiver of its own.
 */
TEST(class1_impersonation)
{
	static const char *const cases[][2] = {
		{ "fr", "\"Cae-evil\"" }, { "rqi", "\"req-43\"" }, { "fr", NULL },
		{ "rqi", "42" },
	};
	struct esf_session *tx = aead_session(16, KID);
	char *outer = NULL, *inner = NULL;

	ASSERT_EQ(0, esf_class1_wrap(tx, &hdr, request, strlen(request), &outer));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct esf_session *rx = aead_peer(16, KID);
		char *bad = with(outer, cases[i][0], cases[i][1]);

		EXPECT_EQ(-ESF_E_IMPERSONATION,
			  esf_class1_unwrap(rx, bad, strlen(bad), NULL, NULL, &inner, NULL)) {
			TH_LOG("%s=%s", cases[i][0], cases[i][1]);
		}
		free(bad);
		esf_session_close(rx);
	}
	EXPECT_EQ(4116, esf_onem2m_rsc(-ESF_E_IMPERSONATION, 1));
	EXPECT_EQ(NULL, inner);
	free(outer);
	esf_session_close(tx);
	leak_check();
}

TEST(class1_malformed_outer)
{
	struct esf_session *tx = aead_session(16, KID), *rx = aead_peer(16, KID);
	char *outer = NULL, *epo_json, *inner = NULL;
	json_t *o;
	const char *epo;

	ASSERT_EQ(0, esf_class1_wrap(tx, &hdr, request, strlen(request), &outer));
	o = parse(outer);
	epo = json_string_value(json_object_get(json_object_get(json_object_get(o, "pc"),
								 "m2m:seci"), "epo"));
	ASSERT_NE(NULL, epo);
	ASSERT_NE(-1, asprintf(&epo_json, "\"%s\"", epo));
	{
		char *pcs[] = {
			"{\"m2m:seci\":{\"sit\":3,\"epo\":E}}",
			"{\"m2m:seci\":{\"sit\":\"5\",\"epo\":E}}",
			"{\"m2m:seci\":{\"epo\":E}}",
			"{\"m2m:seci\":{\"sit\":5}}",
			"{\"m2m:seci\":{\"sit\":5,\"epo\":5}}",
			"{\"m2m:seci\":{\"sit\":5,\"epo\":\"\"}}",
			"{\"m2m:seci\":{\"sit\":5,\"epo\":E},\"m2m:cin\":{}}",
			"{\"m2m:sec\":{\"sit\":5,\"epo\":E}}",
			"{\"m2m:seci\":[5,E]}",
			"[]",
			"\"E\"",
		};

		for (size_t i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
			char *pc = NULL, *bad, *at = strchr(pcs[i], 'E');

			if (at && pcs[i][0] != '"')
				ASSERT_NE(-1, asprintf(&pc, "%.*s%s%s", (int)(at - pcs[i]), pcs[i],
						       epo_json, at + 1));
			bad = with(outer, "pc", pc ? pc : pcs[i]);
			EXPECT_EQ(-ESF_E_FORMAT, esf_class1_unwrap(rx, bad, strlen(bad), NULL,
								   NULL, &inner, NULL)) {
				TH_LOG("pc %s", pcs[i]);
			}
			free(bad);
			free(pc);
		}
	}
	{
		static const char *const ops[][2] = {
			{ "op", "1" }, { "op", "\"5\"" }, { "rsc", "2000" }, { "op", NULL },
		};

		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			char *bad = with(outer, ops[i][0], ops[i][1]);

			EXPECT_EQ(-ESF_E_FORMAT, esf_class1_unwrap(rx, bad, strlen(bad), NULL,
								   NULL, &inner, NULL)) {
				TH_LOG("%s=%s", ops[i][0], ops[i][1]);
			}
			free(bad);
		}
	}
	EXPECT_EQ(-ESF_E_FORMAT, esf_class1_unwrap(rx, "not json", 8, NULL, NULL, &inner, NULL));
	EXPECT_EQ(-ESF_E_FORMAT, esf_class1_wrap(tx, &hdr, "{\"x\":1}", 7, &inner));
	EXPECT_EQ(-ESF_E_FORMAT, esf_class1_wrap(tx, &hdr, "{\"op\":\"1\"}", 10, &inner));
	EXPECT_EQ(-ESF_E_FORMAT, esf_class1_wrap(tx, &hdr, "{\"op\":1,\"rsc\":2000}", 19, &inner));
	EXPECT_EQ(NULL, inner);
	json_decref(o);
	free(epo_json);
	free(outer);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

/* Any change inside the ESPrim Object of a class 1 primitive is refused. */
TEST(class1_tampered_object)
{
	struct esf_session *tx = aead_session(16, KID), *rx = aead_peer(16, KID);
	char *outer = NULL, *inner = NULL;
	char *epo;
	size_t n;

	ASSERT_EQ(0, esf_class1_wrap(tx, &hdr, request, strlen(request), &outer));
	epo = strstr(outer, "\"epo\":\"") + 7;
	n = strcspn(epo, "\"");
	for (size_t i = 0; i < n; i++) {
		char keep = epo[i];
		int r;

		epo[i] = keep == 'A' ? 'Q' : 'A';
		r = esf_class1_unwrap(rx, outer, strlen(outer), NULL, NULL, &inner, NULL);
		ASSERT_NE(0, r) {
			TH_LOG("change at %zu accepted", i);
		}
		epo[i] = keep;
	}
	ASSERT_EQ(0, esf_class1_unwrap(rx, outer, strlen(outer), NULL, NULL, &inner, NULL));
	free(inner);
	free(outer);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

TEST_HARNESS_MAIN
