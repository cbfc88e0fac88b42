// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ESF envelope element and target data classes 2 and 3: round trips
 * that restore exactly what was sealed, labels (session type, class) that
 * cannot be changed in transit, and malformed inputs refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "esf_env.h"
#include "support.h"

static json_t *parse(const char *s)
{
	return json_loads(s, JSON_REJECT_DUPLICATES, NULL);
}

static bool same_json(const char *a, const char *b)
{
	json_t *x = parse(a), *y = parse(b);
	bool eq = x && y && json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return eq;
}

TEST(envelope_round_trips)
{
	for (int mic = 0; mic < 2; mic++)
		for (int form = ESF_JOSE_COMPACT; form <= ESF_JOSE_JSON_FLAT; form++)
			for (unsigned int st = 1; st <= 3; st++)
				for (unsigned int dc = 1; dc <= 3; dc++) {
					struct esf_session *tx = mic ?
						mic_session(ESF_ALG_HMAC_SHA512, "k") :
						aead_session(16, "k");
					struct esf_session *rx = mic ? tx : aead_peer(16, "k");
					struct esf_envelope_info info;
					char *env = NULL;
					void *pt;
					size_t len;
					json_t *e, *body;

					ASSERT_EQ(0, esf_envelope_seal(tx, form, st, dc, "data", 4, &env));
					e = parse(env);
					body = json_object_get(e, "esf:env");
					EXPECT_EQ(st, json_integer_value(json_object_get(body, "sst")));
					EXPECT_EQ(dc, json_integer_value(json_object_get(body, "tdc")));
					EXPECT_NE(NULL, json_object_get(body, mic ? "jws" : "jwe"));
					EXPECT_EQ(form == ESF_JOSE_COMPACT,
						  json_is_string(json_object_get(body, mic ? "jws" : "jwe")));
					json_decref(e);
					ASSERT_EQ(0, esf_envelope_open(rx, env, strlen(env), st, dc,
								       &pt, &len, &info));
					EXPECT_EQ(4, len);
					EXPECT_EQ(0, memcmp(pt, "data", 4));
					EXPECT_EQ(st, info.session_type);
					EXPECT_EQ(dc, info.data_class);
					EXPECT_EQ(!mic, info.jwe);
					EXPECT_EQ(form, info.form);
					free(pt);
					free(env);
					if (rx != tx)
						esf_session_close(rx);
					esf_session_close(tx);
				}
	leak_check();
}

/* Changing the outer labels breaks the binding to the protected header. */
TEST(envelope_relabel_refused)
{
	struct esf_session *tx = aead_session(16, "k");
	char *env = NULL;

	ASSERT_EQ(0, esf_envelope_seal(tx, ESF_JOSE_COMPACT, ESF_STYPE_S1, 2, "x", 1, &env));
	{
		static const char *const edits[][2] = {
			{ "\"tdc\":2", "\"tdc\":3" }, { "\"tdc\":2", "\"tdc\":1" },
			{ "\"sst\":1", "\"sst\":2" }, { "\"sst\":1", "\"sst\":3" },
		};

		for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
			struct esf_session *rx = aead_peer(16, "k");
			char *bad = strdup(env);
			void *pt = NULL;
			size_t len;

			memcpy(strstr(bad, edits[i][0]), edits[i][1], strlen(edits[i][1]));
			EXPECT_EQ(-ESF_E_CLASS, esf_envelope_open(rx, bad, strlen(bad), 0, 0,
								  &pt, &len, NULL)) {
				TH_LOG("%s", edits[i][1]);
			}
			free(bad);
			esf_session_close(rx);
		}
	}
	free(env);
	esf_session_close(tx);
	leak_check();
}

TEST(envelope_expectations_and_bindings)
{
	struct esf_session *tx = aead_session(16, "k"), *rx = aead_peer(16, "k");
	struct sw_params p = { .alg = ESF_ALG_GCM_AES, .key = test_key, .key_len = 16,
			       .key_id = "k" };
	struct esf_session *bound3, *bound2rx;
	char *env = NULL;
	void *pt = NULL;
	size_t len;

	memcpy(p.salt, test_salt, 4);
	bound3 = sw_session(&p, 3, ESF_STYPE_SM);
	bound2rx = sw_session(&p, 2, 0);
	/* the handle's binding decides when the caller names nothing */
	EXPECT_EQ(-EINVAL, esf_envelope_seal(tx, ESF_JOSE_COMPACT, 0, 0, "x", 1, &env));
	EXPECT_EQ(-EINVAL, esf_envelope_seal(tx, ESF_JOSE_COMPACT, 4, 1, "x", 1, &env));
	EXPECT_EQ(-EINVAL, esf_envelope_seal(tx, ESF_JOSE_COMPACT, 1, 4, "x", 1, &env));
	EXPECT_EQ(-ESF_E_CLASS, esf_envelope_seal(bound3, ESF_JOSE_COMPACT, 0, 2, "x", 1, &env));
	EXPECT_EQ(-ESF_E_CLASS, esf_envelope_seal(bound3, ESF_JOSE_COMPACT, 1, 0, "x", 1, &env));
	EXPECT_EQ(NULL, env);
	ASSERT_EQ(0, esf_envelope_seal(bound3, ESF_JOSE_COMPACT, 0, 0, "x", 1, &env));
	EXPECT_NE(NULL, strstr(env, "\"sst\":3,\"tdc\":3"));
	EXPECT_EQ(-ESF_E_CLASS, esf_envelope_open(rx, env, strlen(env), 0, 2, &pt, &len, NULL));
	EXPECT_EQ(-ESF_E_CLASS, esf_envelope_open(rx, env, strlen(env), 1, 0, &pt, &len, NULL));
	EXPECT_EQ(-ESF_E_CLASS, esf_envelope_open(bound2rx, env, strlen(env), 0, 0, &pt, &len, NULL));
	EXPECT_EQ(4111, esf_onem2m_rsc(-ESF_E_CLASS, 1));
	ASSERT_EQ(0, esf_envelope_open(rx, env, strlen(env), ESF_STYPE_SM, 3, &pt, &len, NULL));
	free(pt);
	free(env);
	esf_session_close(tx);
	esf_session_close(rx);
	esf_session_close(bound3);
	esf_session_close(bound2rx);
	leak_check();
}

TEST(envelope_malformed)
{
	struct esf_session *tx = aead_session(16, "k"), *rx = aead_peer(16, "k");
	char *jwe = NULL, *plain = NULL;
	const char *J;

	ASSERT_EQ(0, esf_envelope_seal(tx, ESF_JOSE_COMPACT, 1, 1, "x", 1, &jwe));
	J = strstr(jwe, "\"jwe\":\"") + 6;	/* the quoted compact JWE */
	ASSERT_EQ(0, esf_jose_seal(tx, ESF_JOSE_COMPACT, "x", 1, NULL, &plain));
	{
		const struct {
			const char *fmt;
			int want;
		} cases[] = {
			{ "{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":%.*s}}", 0 },
			{ "{\"esf:env\":{\"tdc\":1,\"jwe\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1,\"jwe\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":4,\"tdc\":1,\"jwe\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":0,\"tdc\":1,\"jwe\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1,\"tdc\":0,\"jwe\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":\"1\",\"tdc\":1,\"jwe\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1.0,\"tdc\":1,\"jwe\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jws\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":%.*s,\"jws\":\"a.b.c\"}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":%.*s,\"x\":1}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":%.*s,\"dtls\":\"AA\"}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1,\"tdc\":1,\"sst\":1,\"jwe\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":%.*s},\"more\":1}", -ESF_E_FORMAT },
			{ "{\"esf:envelope\":{\"sst\":1,\"tdc\":1,\"jwe\":%.*s}}", -ESF_E_FORMAT },
			{ "{\"esf:env\":[1,1,%.*s]}", -ESF_E_FORMAT },
			{ "{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":%.*s}} trailing", -ESF_E_FORMAT },
			{ "[{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":%.*s}}]", -ESF_E_FORMAT },
		};
		size_t jl = strcspn(J + 1, "\"") + 2;

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct esf_session *r = aead_peer(16, "k");
			char *in;
			void *pt = NULL;
			size_t len;

			ASSERT_NE(-1, asprintf(&in, cases[i].fmt, (int)jl, J));
			EXPECT_EQ(cases[i].want, esf_envelope_open(r, in, strlen(in), 0, 0,
								   &pt, &len, NULL)) {
				TH_LOG("%s", in);
			}
			free(pt);
			free(in);
			esf_session_close(r);
		}
	}
	{
		/* the JOSE member as a number, a JSON text in a string, or a
		 * plain JWE whose header names no session type or class */
		const char *fmts[] = {
			"{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":5}}",
			"{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":\"{}\"}}",
			"{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":\"\"}}",
		};
		char *in;
		void *pt = NULL;
		size_t len;

		for (size_t i = 0; i < 3; i++) {
			EXPECT_EQ(-ESF_E_FORMAT, esf_envelope_open(rx, fmts[i], strlen(fmts[i]),
								   0, 0, &pt, &len, NULL));
		}
		ASSERT_NE(-1, asprintf(&in, "{\"esf:env\":{\"sst\":1,\"tdc\":1,\"jwe\":\"%s\"}}",
				       plain));
		EXPECT_EQ(-ESF_E_CLASS, esf_envelope_open(rx, in, strlen(in), 0, 0, &pt, &len, NULL));
		free(in);
	}
	free(jwe);
	free(plain);
	esf_session_close(tx);
	esf_session_close(rx);
	leak_check();
}

static const char create_req[] = "{\"op\":1,\"to\":\"//sp/mn-cse/cnt-1\",\"fr\":\"Cae-1\","
	"\"rqi\":\"q1\",\"rvi\":\"3\",\"ty\":4,\"pc\":{\"m2m:cin\":{\"con\":\"21.5\","
	"\"cnf\":\"text/plain:0\",\"lbl\":[\"temp\"]}}}";
static const char update_req[] = "{\"op\":3,\"to\":\"//sp/mn-cse/ae-1\",\"fr\":\"Cae-1\","
	"\"rqi\":\"q2\",\"pc\":{\"m2m:ae\":{\"lbl\":[\"x\"]}}}";
static const char notify_rsp[] = "{\"rsc\":2000,\"rqi\":\"q3\",\"pc\":{\"m2m:dbg\":\"ok\"}}";

/* DTLS records: only for a DTLS session, and a string of records. */
TEST(envelope_dtls_refusals)
{
	struct esf_session *r = aead_peer(16, "k");
	static const char *const in[] = {
		"{\"esf:env\":{\"sst\":3,\"tdc\":1,\"dtls\":\"FwAAAA\"}}",
		"{\"esf:env\":{\"sst\":3,\"tdc\":1,\"dtls\":5}}",
	};
	static const int want[] = { -ESF_E_ALG_MISMATCH, -ESF_E_FORMAT };
	void *pt = NULL;
	size_t len;

	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(want[i], esf_envelope_open(r, in[i], strlen(in[i]), 0, 0, &pt, &len,
						     NULL)) TH_LOG("%s", in[i]);
	}
	esf_session_close(r);
	leak_check();
}

TEST(class2_round_trips)
{
	const char *const prims[] = { create_req, update_req, notify_rsp };

	for (int mic = 0; mic < 2; mic++)
		for (int form = ESF_JOSE_COMPACT; form <= ESF_JOSE_JSON_FLAT; form++)
			for (int i = 0; i < 3; i++) {
				struct esf_session *tx = mic ?
					mic_session(ESF_ALG_HMAC_SHA256, "k2") : aead_session(32, "k2");
				struct esf_session *rx = mic ? tx : aead_peer(32, "k2");
				char *sealed = NULL, *opened = NULL;
				json_t *p, *env;
				bool request = i < 2;

				ASSERT_EQ(0, esf_class2_seal(tx, form, prims[i], strlen(prims[i]), &sealed));
				p = parse(sealed);
				env = json_object_get(json_object_get(p, "pc"), "esf:env");
				EXPECT_EQ(2, json_integer_value(json_object_get(env, "tdc")));
				if (request) {
					EXPECT_EQ(ESF_CLASS2_RESOURCE_TYPE,
						  json_integer_value(json_object_get(p, "ty")));
				} else {
					EXPECT_EQ(NULL, json_object_get(p, "ty"));
				}
				/* the control part stays readable for routing */
				EXPECT_STREQ(i == 0 ? "q1" : i == 1 ? "q2" : "q3",
					     json_string_value(json_object_get(p, "rqi")));
				if (!mic) {
					EXPECT_EQ(NULL, strstr(sealed, "m2m:"));
				}
				json_decref(p);
				ASSERT_EQ(0, esf_class2_open(rx, sealed, strlen(sealed), &opened));
				EXPECT_TRUE(same_json(prims[i], opened)) {
					TH_LOG("%s", opened);
				}
				free(sealed);
				free(opened);
				if (rx != tx)
					esf_session_close(rx);
				esf_session_close(tx);
			}
	leak_check();
}

TEST(class2_refusals)
{
	struct esf_session *tx = aead_session(16, "k"), *rx = aead_peer(16, "k");
	struct sw_params p = { .alg = ESF_ALG_GCM_AES, .key = test_key, .key_len = 16,
			       .key_id = "k" };
	struct esf_session *bound3;
	char *out = NULL, *env = NULL, *fake;

	memcpy(p.salt, test_salt, 4);
	bound3 = sw_session(&p, 3, 0);
	EXPECT_EQ(-ESF_E_FORMAT, esf_class2_seal(tx, 1, "{\"op\":1,\"to\":\"x\"}", 18, &out));
	EXPECT_EQ(-ESF_E_FORMAT, esf_class2_seal(tx, 1, "{\"pc\":{}}", 9, &out));
	EXPECT_EQ(-ESF_E_FORMAT, esf_class2_seal(tx, 1, "{\"op\":1,\"ty\":65535,\"pc\":{}}", 27, &out));
	EXPECT_EQ(-ESF_E_FORMAT, esf_class2_seal(tx, 1, "{\"op\":1,\"ty\":\"4\",\"pc\":{}}", 25, &out));
	EXPECT_EQ(-ESF_E_FORMAT, esf_class2_seal(tx, 1, "{\"rsc\":2000,\"ty\":4,\"pc\":{}}", 26, &out));
	EXPECT_EQ(-ESF_E_CLASS, esf_class2_seal(bound3, 1, create_req, strlen(create_req), &out));
	EXPECT_EQ(-EINVAL, esf_class2_seal(tx, 9, create_req, strlen(create_req), &out));
	EXPECT_EQ(NULL, out);
	/* a class 1 envelope in a class 2 position */
	ASSERT_EQ(0, esf_envelope_seal(tx, 1, 1, 1, "{\"pc\":{}}", 9, &env));
	ASSERT_NE(-1, asprintf(&fake, "{\"op\":1,\"ty\":65535,\"pc\":%s}", env));
	EXPECT_EQ(-ESF_E_CLASS, esf_class2_open(rx, fake, strlen(fake), &out));
	free(fake);
	free(env);
	/* a sealed request whose reserved type was removed or changed */
	ASSERT_EQ(0, esf_class2_seal(tx, 1, create_req, strlen(create_req), &env));
	fake = strdup(env);
	memcpy(strstr(fake, "65535"), "00004", 5);
	EXPECT_EQ(-ESF_E_FORMAT, esf_class2_open(rx, fake, strlen(fake), &out));
	free(fake);
	EXPECT_EQ(-ESF_E_FORMAT, esf_class2_open(rx, update_req, strlen(update_req), &out));
	EXPECT_EQ(-ESF_E_FORMAT, esf_class2_open(rx, notify_rsp, strlen(notify_rsp), &out));
	EXPECT_EQ(-ESF_E_CLASS, esf_class2_open(bound3, env, strlen(env), &out));
	EXPECT_EQ(NULL, out);
	free(env);
	esf_session_close(tx);
	esf_session_close(rx);
	esf_session_close(bound3);
	leak_check();
}

static const char cin_bare[] = "{\"rn\":\"reading-1\",\"lbl\":[\"t\"],\"cnf\":\"text/plain:0\","
	"\"or\":\"http://ontology.example/temp\",\"con\":\"21.5\"}";
static const char cin_wrapped[] = "{\"m2m:cin\":{\"con\":\"{\\\"v\\\":3}\",\"cnf\":\"application/json:0\"}}";
static const char cin_min[] = "{\"con\":\"x\"}";

TEST(class3_round_trips)
{
	const char *const cins[] = { cin_bare, cin_wrapped, cin_min };

	for (int mic = 0; mic < 2; mic++)
		for (int form = ESF_JOSE_COMPACT; form <= ESF_JOSE_JSON_FLAT; form++)
			for (int i = 0; i < 3; i++) {
				struct esf_session *tx = mic ?
					mic_session(ESF_ALG_HMAC_SHA384, "k3") : aead_session(24, "k3");
				struct esf_session *rx = mic ? tx : aead_peer(24, "k3");
				char *sealed = NULL, *opened = NULL;
				json_t *p, *a;
				const char *con, *cnf;

				ASSERT_EQ(0, esf_class3_seal(tx, form, cins[i], strlen(cins[i]), &sealed));
				p = parse(sealed);
				a = i == 1 ? json_object_get(p, "m2m:cin") : p;
				con = json_string_value(json_object_get(a, "con"));
				cnf = json_string_value(json_object_get(a, "cnf"));
				ASSERT_NE(NULL, con);
				EXPECT_STREQ(form == ESF_JOSE_COMPACT ? "application/jose:0:1" :
					     "application/jose+json:0:2", cnf);
				EXPECT_EQ(form == ESF_JOSE_COMPACT, con[0] != '{');
				EXPECT_EQ(NULL, json_object_get(a, "or"));
				if (i == 0) {
					EXPECT_STREQ("reading-1",
						     json_string_value(json_object_get(a, "rn")));
				}
				if (i == 0 && !mic) {
					EXPECT_EQ(NULL, strstr(sealed, "ontology"));
				}
				json_decref(p);
				ASSERT_EQ(0, esf_class3_open(rx, sealed, strlen(sealed), &opened));
				EXPECT_TRUE(same_json(cins[i], opened)) {
					TH_LOG("%s", opened);
				}
				free(sealed);
				free(opened);
				if (rx != tx)
					esf_session_close(rx);
				esf_session_close(tx);
			}
	leak_check();
}

TEST(class3_refusals)
{
	struct esf_session *tx = aead_session(16, "k");
	struct esf_session *mic = mic_session(ESF_ALG_HMAC_SHA256, "k");
	char *sealed = NULL, *out = NULL, *bad;
	static const char *const bad_cins[] = {
		"{\"cnf\":\"text/plain:0\"}", "{\"con\":\"x\",\"cnf\":5}", "{\"con\":\"x\",\"or\":[]}",
		"{\"m2m:cin\":5}", "{\"m2m:cin\":{\"cnf\":\"a\"}}", "[\"con\"]",
		"{\"con\":\"x\",\"con\":\"y\"}",
	};

	for (size_t i = 0; i < sizeof(bad_cins) / sizeof(bad_cins[0]); i++) {
		EXPECT_EQ(-ESF_E_FORMAT, esf_class3_seal(tx, 1, bad_cins[i], strlen(bad_cins[i]), &out)) {
			TH_LOG("%s", bad_cins[i]);
		}
	}
	EXPECT_EQ(-EINVAL, esf_class3_seal(tx, 0, cin_min, strlen(cin_min), &out));
	EXPECT_EQ(NULL, out);
	ASSERT_EQ(0, esf_class3_seal(tx, ESF_JOSE_COMPACT, cin_bare, strlen(cin_bare), &sealed));
	{
		static const char *const edits[][2] = {
			{ "application/jose:0:1", "application/jose:0:2" },
			{ "application/jose:0:1", "application/jose:0:3" },
			{ "application/jose:0:1", "application/jose:0  " },
			{ "\"cnf\"", "\"cnx\"" },
		};

		for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
			struct esf_session *rx = aead_peer(16, "k");

			bad = strdup(sealed);
			memcpy(strstr(bad, edits[i][0]), edits[i][1], strlen(edits[i][1]));
			EXPECT_EQ(-ESF_E_FORMAT, esf_class3_open(rx, bad, strlen(bad), &out)) {
				TH_LOG("%s", edits[i][1]);
			}
			free(bad);
			esf_session_close(rx);
		}
	}
	/* a JWE on a MIC session, and a class 2 envelope's JOSE as "con" */
	EXPECT_EQ(-ESF_E_ALG_MISMATCH, esf_class3_open(mic, sealed, strlen(sealed), &out));
	free(sealed);
	{
		struct esf_session *rx = aead_peer(16, "k");
		char *env = NULL, *jwe;
		json_t *e;

		ASSERT_EQ(0, esf_envelope_seal(tx, 1, 1, 2, "{\"con\":\"x\"}", 11, &env));
		e = parse(env);
		jwe = (char *)json_string_value(json_object_get(json_object_get(e, "esf:env"), "jwe"));
		ASSERT_NE(-1, asprintf(&bad, "{\"con\":\"%s\",\"cnf\":\"application/jose:0:1\"}", jwe));
		EXPECT_EQ(-ESF_E_CLASS, esf_class3_open(rx, bad, strlen(bad), &out));
		free(bad);
		json_decref(e);
		free(env);
		esf_session_close(rx);
	}
	EXPECT_EQ(NULL, out);
	esf_session_close(tx);
	esf_session_close(mic);
	leak_check();
}

/*
 * The examples in docs/envelopes.md, byte for byte: one session (AES-128
 * key 00 01 .. 0f, salt e5 f0 00 01, first sequence number 1, key id
 * "pairwise-1"; its HMAC twin has key 00 .. 1f), envelopes made in this
 * order. If this test changes, the document must change with it.
 */
/*
 * Nested ESData, signed then encrypted, under "dir" and A128KW, in each
 * form: the resource comes back whole; the outer header says "cty"; a
 * signature under another MIC key, the plain opener and a missing "cty"
 * are refused.
 */
TEST(class3_nested)
{
	static const char cin[] =
		"{\"m2m:cin\":{\"cnf\":\"text/plain:0\",\"con\":\"21.5\",\"or\":\"/s/t\",\"rn\":\"c1\"}}";
	struct esf_session *mic = mic_session(ESF_ALG_HMAC_SHA256, "sig");
	struct esf_session *other = mic_session(ESF_ALG_HMAC_SHA384, "sig");
	struct esf_session *enc[2] = { aead_session(16, "k"), kw_session(16, 16, "k") };
	struct esf_session *dec[2] = { aead_peer(16, "k"), kw_session(16, 16, "k") };

	for (int e = 0; e < 2; e++)
		for (int form = ESF_JOSE_COMPACT; form <= ESF_JOSE_JSON; form++) {
			char *sealed = NULL, *back = NULL;
			struct esf_jose_info info;
			json_t *root;
			const char *con;

			ASSERT_EQ(0, esf_class3_seal_nested(mic, enc[e], form, cin, strlen(cin),
							    &sealed));
			ASSERT_EQ(0, esf_json_parse_object(sealed, strlen(sealed), &root));
			con = json_string_value(json_object_get(json_object_get(root, "m2m:cin"),
								"con"));
			ASSERT_NE(NULL, con);
			ASSERT_EQ(0, esf_jose_peek(con, strlen(con), &info));
			EXPECT_STREQ(form == ESF_JOSE_COMPACT ? "JOSE" : "JOSE+JSON", info.cty);
			EXPECT_EQ(1, info.jwe);
			esf_jose_info_free(&info);
			json_decref(root);
			EXPECT_EQ(-ESF_E_UNSUPPORTED, esf_class3_open(dec[e], sealed, strlen(sealed),
								      &back));
			EXPECT_EQ(-ESF_E_ALG_MISMATCH,
				  esf_class3_open_nested(other, dec[e], sealed, strlen(sealed), &back));
			/* That refusal was the inner check: the record is spent. */
			free(sealed);
			ASSERT_EQ(0, esf_class3_seal_nested(mic, enc[e], form, cin, strlen(cin),
							    &sealed));
			ASSERT_EQ(0, esf_class3_open_nested(mic, dec[e], sealed, strlen(sealed),
							    &back));
			EXPECT_NE(NULL, strstr(back, "\"con\":\"21.5\""));
			EXPECT_NE(NULL, strstr(back, "\"or\":\"/s/t\""));
			free(back);
			free(sealed);
		}
	/* A JWE whose payload is a JWS but which does not say so is refused. */
	{
		char *jws = NULL, *jwe = NULL;
		void *pt = NULL;
		size_t len;

		ASSERT_EQ(0, esf_jose_seal(mic, ESF_JOSE_COMPACT, "x", 1, NULL, &jws));
		ASSERT_EQ(0, esf_jose_seal(enc[0], ESF_JOSE_COMPACT, jws, strlen(jws), NULL, &jwe));
		EXPECT_EQ(-ESF_E_FORMAT, esf_nested_open(mic, dec[0], jwe, strlen(jwe), &pt, &len,
							 NULL));
		free(jws);
		free(jwe);
	}
	for (int e = 0; e < 2; e++) {
		esf_session_close(enc[e]);
		esf_session_close(dec[e]);
	}
	esf_session_close(mic);
	esf_session_close(other);
	leak_check();
}

TEST(docs_examples)
{
	static const char req[] = "{\"op\":2,\"to\":\"//sp/in-cse/cnt-1\",\"fr\":\"Cae-1\","
		"\"rqi\":\"req-1\",\"rvi\":\"3\"}";
	static const char creq[] = "{\"op\":1,\"to\":\"//sp/mn-cse/cnt-1\",\"fr\":\"Cae-1\","
		"\"rqi\":\"req-2\",\"rvi\":\"3\",\"ty\":4,\"pc\":{\"m2m:cin\":{\"con\":\"21.5\"}}}";
	static const char cin[] = "{\"m2m:cin\":{\"rn\":\"t-1\",\"cnf\":\"text/plain:0\","
		"\"or\":\"http://example.org/temp\",\"con\":\"21.5\"}}";
	static const char *const want[] = {
		"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEy"
		"OEdDTSJ9..5fAAAQAAAAAAAAAB.RE9wBx4.RlAQlULNnK-yS95XrJgO5"
		"Q",
		"{\"protected\":\"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIi"
		"wiZW5jIjoiQTEyOEdDTSJ9\",\"recipients\":[{}],\"iv\":\"5fAAAQAA"
		"AAAAAAAC\",\"ciphertext\":\"yPR0mnk\",\"tag\":\"ul4BFsVX0Ugmir-q"
		"n0p-Qg\"}",
		"eyJhbGciOiJIUzI1NiIsImtpZCI6InBhaXJ3aXNlLTEifQ.aGVsbG8.R"
		"GYrP7dXEBzOtmvzTNSshxCGXbPEqPxd586MSDX5vWU",
		"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEy"
		"OEdDTSIsIm9yaSI6Im8tcmFuZC0xIiwicnJpIjoici1yYW5kLTEifQ.."
		"5fAAAQAAAAAAAAAD.21Q8R5M.TdkLfJcexSBJdKUHuOfPKA",
		"{\"op\":5,\"to\":\"//sp/in-cse/cnt-1\",\"fr\":\"Cae-1\",\"rqi\":\"req"
		"-1\",\"rvi\":\"3\",\"pc\":{\"m2m:seci\":{\"sit\":5,\"epo\":\"eyJhbGciO"
		"iJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEyOEdDTSIsI"
		"m9yaSI6Im8tcmFuZC0xIiwicnJpIjoici1yYW5kLTEifQ..5fAAAQAAA"
		"AAAAAAE.kiDAljJe-LFAtmXIincMfIuSFVp0FKjaRJcH3MwwIZJspjZc"
		"_AIQBpLyJoncYX-f9ChE-2iFOhU17pAcdZ5CwDZQavvq6Q.Rc5yVH3WF"
		"-6LOFdNQGZetg\"}}}",
		"{\"esf:env\":{\"sst\":1,\"tdc\":2,\"jwe\":\"eyJhbGciOiJkaXIiLCJra"
		"WQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEyOEdDTSIsInNzdCI6MSwid"
		"GRjIjoyfQ..5fAAAQAAAAAAAAAF.QFEndH0.MO4bOnNFl-EB-QsX-CpH"
		"JQ\"}}",
		"{\"op\":1,\"to\":\"//sp/mn-cse/cnt-1\",\"fr\":\"Cae-1\",\"rqi\":\"req"
		"-2\",\"rvi\":\"3\",\"ty\":65535,\"pc\":{\"esf:env\":{\"sst\":1,\"tdc\":"
		"2,\"jwe\":\"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5"
		"jIjoiQTEyOEdDTSIsInNzdCI6MSwidGRjIjoyfQ..5fAAAQAAAAAAAAA"
		"G.iYbaXRf53h5fbs-Zz9PEN9Cgvl4g0G1tAAYfCgPL-DKD8x6G8UWCEQ"
		".uX9B1MnQNw4UdA0tUQ4s-Q\"}}}",
		"{\"m2m:cin\":{\"rn\":\"t-1\",\"cnf\":\"application/jose:0:1\",\"con"
		"\":\"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQ"
		"TEyOEdDTSJ9..5fAAAQAAAAAAAAAH.E-B_8vwl37SKTBkTdouukIjxVG"
		"tY3OGSmeYAGI6xmiVZ08rSSDqRLWhPAoTQ5ml-Slo_7TSxQHuCUlat-7"
		"3avnWI.pKhzRw2hRP0ILS-QTQaNVQ\"}}",
	};
	struct esf_session *a = aead_session(16, "pairwise-1");
	struct esf_session *m = mic_session(ESF_ALG_HMAC_SHA256, "pairwise-1");
	struct esf_esprim_hdr h = { .ori = "o-rand-1", .rri = "r-rand-1" };
	char *o[8] = { NULL };

	ASSERT_EQ(0, esf_jose_seal(a, ESF_JOSE_COMPACT, "hello", 5, NULL, &o[0]));
	ASSERT_EQ(0, esf_jose_seal(a, ESF_JOSE_JSON, "hello", 5, NULL, &o[1]));
	ASSERT_EQ(0, esf_jose_seal(m, ESF_JOSE_COMPACT, "hello", 5, NULL, &o[2]));
	ASSERT_EQ(0, esf_esprim_seal(a, &h, "hello", 5, &o[3]));
	ASSERT_EQ(0, esf_class1_wrap(a, &h, req, strlen(req), &o[4]));
	ASSERT_EQ(0, esf_envelope_seal(a, ESF_JOSE_COMPACT, 1, 2, "hello", 5, &o[5]));
	ASSERT_EQ(0, esf_class2_seal(a, ESF_JOSE_COMPACT, creq, strlen(creq), &o[6]));
	ASSERT_EQ(0, esf_class3_seal(a, ESF_JOSE_COMPACT, cin, strlen(cin), &o[7]));
	for (int i = 0; i < 8; i++) {
		EXPECT_STREQ(want[i], o[i]);
		free(o[i]);
	}
	esf_session_close(a);
	esf_session_close(m);
	leak_check();
}

TEST_HARNESS_MAIN
