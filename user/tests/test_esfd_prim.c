// SPDX-License-Identifier: GPL-2.0
/*
 * oneM2M primitives and MQTT topics (esfd/m2m.c) and esfd's securityInfo
 * (esfd/prim.c): the exact bytes esfd sends, topic naming as TS-0010 has
 * it, and the status code each malformed request is refused with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "esfd_testutil.h"
#include "../esfd/m2m.h"
#include "../esfd/prim.h"

#define NOW	1767225600LL	/* 2026-01-01T00:00:00Z */
#define EXPIRY	1893456000LL	/* 2030-01-01T00:00:00Z */

static char *dump(json_t *j)
{
	char *s = esfd_m2m_dump(j);

	json_decref(j);
	return s;
}

/* The request and response primitives, byte for byte (docs/primitives.md). */
TEST(exact_primitives)
{
	struct esfd_seci s = { .sit = ESFD_SIT_RAND_REQ };
	json_t *pc;
	char *t;

	ASSERT_EQ(0, esfd_seci_content(&s, &pc));
	t = dump(esfd_m2m_request(ESFD_M2M_NOTIFY, "/in-cse", "Cdevice-07", "esfd-1-1",
				  EXPIRY, pc));
	EXPECT_STREQ("{\"op\":5,\"to\":\"/in-cse\",\"fr\":\"Cdevice-07\",\"rqi\":\"esfd-1-1\","
		     "\"rvi\":\"3\",\"rqet\":\"20300101T000000\",\"pc\":{\"m2m:seci\":"
		     "{\"sit\":3}}}", t);
	free(t);
	s.sit = ESFD_SIT_RAND_RESP;
	esfd_test_randobj(&s.rand);
	ASSERT_EQ(0, esfd_seci_content(&s, &pc));
	t = dump(esfd_m2m_response(2000, "esfd-1-1", "Cdevice-07", "/in-cse", "3", pc));
	EXPECT_STREQ("{\"rsc\":2000,\"rqi\":\"esfd-1-1\",\"to\":\"Cdevice-07\",\"fr\":\"/in-cse\","
		     "\"rvi\":\"3\",\"pc\":{\"m2m:seci\":{\"sit\":4,\"ero\":{\"esri\":\"rcv-01\","
		     "\"esrv\":\"EBESExQVFhcYGRobHB0eHw==\",\"esrx\":\"20300101T000000\","
		     "\"esks\":[1],\"espa\":[12,10]}}}}", t);
	free(t);
	t = dump(esfd_m2m_response(4115, "esfd-1-2", "Cdevice-07", "/in-cse", NULL,
				   esfd_m2m_debug("bad MAC")));
	EXPECT_STREQ("{\"rsc\":4115,\"rqi\":\"esfd-1-2\",\"to\":\"Cdevice-07\",\"fr\":\"/in-cse\","
		     "\"rvi\":\"3\",\"pc\":{\"m2m:dbg\":\"bad MAC\"}}", t);
	free(t);
	/* A request nobody could read: no rqi to give back. */
	t = dump(esfd_m2m_response(4000, NULL, NULL, "/in-cse", NULL, NULL));
	EXPECT_STREQ("{\"rsc\":4000,\"fr\":\"/in-cse\",\"rvi\":\"3\"}", t);
	free(t);
	esfd_test_leaks();
}

TEST(topics)
{
	struct esfd_m2m_topic_parts p;
	char t[ESFD_M2M_TOPIC_MAX + 1], l[ESFD_ID_MAX + 1];

	ASSERT_EQ(0, esfd_m2m_topic(t, sizeof(t), false, "Cdevice-07", "/in-cse"));
	EXPECT_STREQ("/oneM2M/req/Cdevice-07/in-cse/json", t);
	ASSERT_EQ(0, esfd_m2m_topic(t, sizeof(t), true, "/mn-cse", "//sp.example/in-cse"));
	EXPECT_STREQ("/oneM2M/resp/mn-cse/sp.example:in-cse/json", t);
	ASSERT_EQ(0, esfd_m2m_topic_id("/in-cse/Cae-1", l, sizeof(l)));
	EXPECT_STREQ("in-cse:Cae-1", l);
	/* The same comparison in place: an id against its level, two ids. */
	EXPECT_TRUE(esfd_m2m_same_level("/in-cse/Cae-1", l));
	EXPECT_TRUE(esfd_m2m_same_level("/in-cse", "in-cse"));
	EXPECT_TRUE(esfd_m2m_same_level("//sp.example/in-cse", "sp.example/in-cse"));
	EXPECT_FALSE(esfd_m2m_same_level("/in-cse", "in-cse2"));
	EXPECT_FALSE(esfd_m2m_same_level("/in-cse/Cae", "in-cse:Cae-1"));
	EXPECT_FALSE(esfd_m2m_same_level("//", "/"));
	EXPECT_FALSE(esfd_m2m_same_level("", ""));
	/* Ids that cannot be a topic level, or would read back as another. */
	EXPECT_EQ(-EINVAL, esfd_m2m_topic_id("a+b", l, sizeof(l)));
	EXPECT_EQ(-EINVAL, esfd_m2m_topic_id("a#", l, sizeof(l)));
	EXPECT_EQ(-EINVAL, esfd_m2m_topic_id("in:cse", l, sizeof(l)));
	EXPECT_EQ(-EINVAL, esfd_m2m_topic_id("//", l, sizeof(l)));
	EXPECT_EQ(-EINVAL, esfd_m2m_topic_id("a b", l, sizeof(l)));
	EXPECT_EQ(-EINVAL, esfd_m2m_topic_id("", l, sizeof(l)));
	EXPECT_EQ(-EINVAL, esfd_m2m_topic(t, 20, false, "Cdevice-07", "/in-cse"));

	ASSERT_EQ(0, esfd_m2m_topic_parse("/oneM2M/req/Cdevice-07/in-cse/json", &p));
	EXPECT_FALSE(p.response);
	EXPECT_STREQ("Cdevice-07", p.originator);
	EXPECT_STREQ("in-cse", p.receiver);
	ASSERT_EQ(0, esfd_m2m_topic_parse("/oneM2M/resp/mn-cse/sp.example:in-cse/json", &p));
	EXPECT_TRUE(p.response);
	EXPECT_STREQ("sp.example:in-cse", p.receiver);
	{
		static const char *const bad[] = {
			"", "/oneM2M/req/a/b", "/oneM2M/req/a/b/xml", "/oneM2M/req/a/b/json/",
			"/oneM2M/req//b/json", "/oneM2M/req/a//json", "oneM2M/req/a/b/json",
			"/oneM2M/reg_req/a/b/json", "/oneM2M/req/a b/c/json",
			"/oneM2M/req/a/b/c/json", "/onem2m/req/a/b/json",
			"/oneM2M/req/\xc3\xa9/b/json",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			EXPECT_EQ(-EPROTO, esfd_m2m_topic_parse(bad[i], &p)) TH_LOG("%s", bad[i]);
	}
}

static int req_rsc(const char *text, const char **why)
{
	struct esfd_m2m_req r;
	json_t *j;
	int rsc;

	if (esfd_m2m_parse(text, strlen(text), &j))
		return -1;
	rsc = esfd_m2m_req_read(j, &r, why);
	json_decref(j);
	return rsc;
}

#define REQ(extra) "{\"op\":5,\"to\":\"/in-cse\",\"fr\":\"Cdevice-07\",\"rqi\":\"r1\"," \
		   "\"rvi\":\"3\"" extra "}"

/* Each malformed request and the status code that refuses it. */
TEST(request_refusals)
{
	static const struct {
		const char *text;
		int rsc;
	} cases[] = {
		{ REQ(""), 0 },
		{ REQ(",\"pc\":{},\"ot\":\"20260101T000000\",\"rqet\":\"20300101T000000,123\""), 0 },
		{ "{\"op\":5,\"to\":\"/in-cse\",\"fr\":\"C\",\"rqi\":\"r1\"}", 4000 },
		{ "{\"to\":\"/in-cse\",\"fr\":\"C\",\"rqi\":\"r1\",\"rvi\":\"3\"}", 4000 },
		{ "{\"op\":5,\"fr\":\"C\",\"rqi\":\"r1\",\"rvi\":\"3\"}", 4000 },
		{ "{\"op\":5,\"to\":\"/in-cse\",\"rqi\":\"r1\",\"rvi\":\"3\"}", 4000 },
		{ "{\"op\":5,\"to\":\"/in-cse\",\"fr\":\"C\",\"rvi\":\"3\"}", 4000 },
		{ REQ(",\"op\":6"), -1 },	/* duplicate member: not JSON we accept */
		{ "{\"op\":6,\"to\":\"/in-cse\",\"fr\":\"C\",\"rqi\":\"r1\",\"rvi\":\"3\"}", 4000 },
		{ "{\"op\":\"5\",\"to\":\"/in-cse\",\"fr\":\"C\",\"rqi\":\"r1\",\"rvi\":\"3\"}", 4000 },
		{ "{\"op\":5,\"to\":\"/in cse\",\"fr\":\"C\",\"rqi\":\"r1\",\"rvi\":\"3\"}", 4000 },
		{ "{\"op\":5,\"to\":\"/in-cse\",\"fr\":\"C+1\",\"rqi\":\"r1\",\"rvi\":\"3\"}", 4000 },
		{ "{\"op\":5,\"to\":\"/in-cse\",\"fr\":\"C\",\"rqi\":7,\"rvi\":\"3\"}", 4000 },
		{ "{\"op\":5,\"to\":\"/in-cse\",\"fr\":\"C\",\"rqi\":\"r1\",\"rvi\":\"1\"}", 4001 },
		{ "{\"op\":5,\"to\":\"/in-cse\",\"fr\":\"C\",\"rqi\":\"r1\",\"rvi\":3}", 4000 },
		{ REQ(",\"pc\":[]"), 4000 },
		{ REQ(",\"rqet\":\"20301301T000000\""), 4000 },
		{ REQ(",\"rqet\":1893456000"), 4000 },
		{ REQ(",\"rset\":\"20300101T000000\""), 5001 },
		{ REQ(",\"rt\":{\"rtv\":1}"), 5001 },
		{ REQ(",\"ec\":2"), 5001 },
		{ REQ(",\"xyz\":1"), 4000 },
		{ REQ(",\"ty\":70000"), 4000 },
	};
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(cases[i].rsc, req_rsc(cases[i].text, &why)) TH_LOG("%s", cases[i].text);
		if (cases[i].rsc > 0)
			EXPECT_NE(0, strlen(why));
	}
	esfd_test_leaks();
}

/* A refused request still names itself, whatever the member order. */
TEST(refusal_keeps_rqi)
{
	struct esfd_m2m_req r;
	const char *why;
	json_t *j;
	const char *t = "{\"rset\":\"x\",\"op\":5,\"to\":\"/in-cse\",\"fr\":\"Cd\",\"rqi\":\"r9\","
			"\"rvi\":\"3\"}";

	ASSERT_EQ(0, esfd_m2m_parse(t, strlen(t), &j));
	EXPECT_EQ(5001, esfd_m2m_req_read(j, &r, &why));
	EXPECT_STREQ("r9", r.rqi);
	EXPECT_STREQ("Cd", r.fr);
	json_decref(j);
	esfd_test_leaks();
}

TEST(strict_json)
{
	static const char *const bad[] = {
		"", "[]", "\"x\"", "1", "{", "{\"a\":1,\"a\":2}", "{} {}", "{\"a\":\"\\u0000\"}",
		"{\"a\":\"\xff\"}", "null",
	};
	char *big;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EPROTO, esfd_m2m_parse(bad[i], strlen(bad[i]), &j)) TH_LOG("case %zu", i);
	big = calloc(1, ESFD_M2M_MSG_MAX + 2);
	ASSERT_NE(NULL, big);
	memset(big, ' ', ESFD_M2M_MSG_MAX + 1);
	big[0] = '{';
	big[ESFD_M2M_MSG_MAX] = '}';
	EXPECT_EQ(-EMSGSIZE, esfd_m2m_parse(big, ESFD_M2M_MSG_MAX + 1, &j));
	/* The largest accepted: exactly ESFD_M2M_MSG_MAX bytes. */
	big[ESFD_M2M_MSG_MAX - 1] = '}';
	ASSERT_EQ(0, esfd_m2m_parse(big, ESFD_M2M_MSG_MAX, &j));
	json_decref(j);
	free(big);
	esfd_test_leaks();
}

TEST(responses)
{
	static const struct {
		const char *text;
		int ok;
	} cases[] = {
		{ "{\"rsc\":2000,\"rqi\":\"r1\"}", 1 },
		{ "{\"rsc\":4000}", 1 },
		{ "{\"rsc\":4115}", 0 },
		{ "{\"rsc\":2000,\"rqi\":\"r1\",\"to\":\"C\",\"fr\":\"/in\",\"rvi\":\"3\","
		  "\"ot\":\"x\",\"pc\":1}", 1 },
		{ "{\"rsc\":999,\"rqi\":\"r1\"}", 0 },
		{ "{\"rsc\":\"2000\",\"rqi\":\"r1\"}", 0 },
		{ "{\"rsc\":2000,\"rqi\":\"r1\",\"op\":5}", 0 },
		{ "{\"rqi\":\"r1\"}", 0 },
		{ "{\"rsc\":2000,\"rqi\":\"r1\",\"fr\":\"a#\"}", 0 },
	};
	struct esfd_m2m_rsp r;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, esfd_m2m_parse(cases[i].text, strlen(cases[i].text), &j));
		EXPECT_EQ(cases[i].ok ? 0 : -EPROTO, esfd_m2m_rsp_read(j, &r))
			TH_LOG("%s", cases[i].text);
		json_decref(j);
	}
	esfd_test_leaks();
}

static int seci(const char *pc, bool response, struct esfd_seci *s)
{
	json_t *j = json_loads(pc, JSON_REJECT_DUPLICATES, NULL);
	int err = esfd_seci_read(j, response, NOW, 0, s);

	json_decref(j);
	return err;
}

#define RAND "{\"esri\":\"rcv-01\",\"esrv\":\"EBESExQVFhcYGRobHB0eHw==\"," \
	     "\"esrx\":\"20300101T000000\",\"esks\":[1],\"espa\":[12]}"

TEST(security_info)
{
	static const struct {
		const char *pc;
		bool response;
		int err;
	} cases[] = {
		{ "{\"m2m:seci\":{\"sit\":3}}", false, 0 },
		{ "{\"m2m:seci\":{\"sit\":3}}", true, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":4,\"ero\":" RAND "}}", true, 0 },
		{ "{\"m2m:seci\":{\"sit\":4,\"ero\":" RAND "}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":5,\"epo\":\"a.b.c.d.e\"}}", false, 0 },
		{ "{\"m2m:seci\":{\"sit\":5,\"epo\":\"a.b.c.d.e\"}}", true, 0 },
		{ "{\"m2m:seci\":{\"sit\":5,\"epo\":\"a b\"}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":5,\"epo\":\"\"}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":5}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":5,\"epo\":\"a\",\"x\":1}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":6,\"eckm\":\"FgMDAAE=\"}}", false, 0 },
		{ "{\"m2m:seci\":{\"sit\":6,\"eckm\":\"FgMDAAE=\"}}", true, 0 },
		{ "{\"m2m:seci\":{\"sit\":6,\"eckm\":\"FgMDAAE\"}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":6,\"eckm\":\"FgMD AAE=\"}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":6,\"eckm\":\"\"}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":6,\"eckm\":5}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":6}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":6,\"eckm\":\"FgMDAAE=\",\"x\":1}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":1}}", false, -ENOSYS },
		{ "{\"m2m:seci\":{\"sit\":7}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":\"3\"}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":3,\"ero\":{}}}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":3},\"x\":1}", false, -EPROTO },
		{ "{\"m2m:seci\":3}", false, -EPROTO },
		{ "{}", false, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":4,\"ero\":{\"esri\":\"r\"}}}", true, -EPROTO },
		{ "{\"m2m:seci\":{\"sit\":4,\"ero\":" RAND ",\"ero\":1}}", true, -EPROTO },
	};
	struct esfd_seci s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = seci(cases[i].pc, cases[i].response, &s);

		EXPECT_EQ(cases[i].err, err) TH_LOG("%s", cases[i].pc);
		esfd_seci_free(&s);
	}
	EXPECT_EQ(-EPROTO, esfd_seci_read(NULL, false, NOW, 0, &s));
	/* An expired rand object in a response: the originator's to report. */
	{
		json_t *pc = json_loads("{\"m2m:seci\":{\"sit\":4,\"ero\":" RAND "}}", 0, NULL);

		EXPECT_EQ(-EKEYEXPIRED, esfd_seci_read(pc, true, EXPIRY, 0, &s));
		json_decref(pc);
	}
	esfd_test_leaks();
}

/* Whatever is read builds back to the same Content. */
TEST(round_trip)
{
	struct esfd_seci s, back;
	json_t *pc;

	memset(&s, 0, sizeof(s));
	s.sit = ESFD_SIT_RAND_RESP;
	esfd_test_randobj(&s.rand);
	ASSERT_EQ(0, esfd_seci_content(&s, &pc));
	ASSERT_EQ(0, esfd_seci_read(pc, true, NOW, 0, &back));
	EXPECT_EQ(0, memcmp(&s.rand, &back.rand, sizeof(s.rand)));
	json_decref(pc);
	esfd_seci_free(&back);
	s.sit = ESFD_SIT_ESPRIM;
	s.esprim = "eyJhbGciOiJkaXIifQ..AAAA.BBBB.CCCC";
	ASSERT_EQ(0, esfd_seci_content(&s, &pc));
	ASSERT_EQ(0, esfd_seci_read(pc, false, NOW, 0, &back));
	EXPECT_STREQ(s.esprim, back.esprim);
	json_decref(pc);
	esfd_seci_free(&back);
	s.esprim = "not base64url!";
	EXPECT_EQ(-EINVAL, esfd_seci_content(&s, &pc));
	s.sit = ESFD_SIT_CERTKE;
	EXPECT_EQ(-EINVAL, esfd_seci_content(&s, &pc));
	{
		static uint8_t big[ESFD_PRIM_CERTKE_MAX + 1];
		static const uint8_t hello[] = { 0x16, 0x03, 0x03, 0x00, 0x01, 0x01 };

		s.certke = (uint8_t *)hello;
		s.certke_len = sizeof(hello);
		ASSERT_EQ(0, esfd_seci_content(&s, &pc));
		ASSERT_EQ(0, esfd_seci_read(pc, true, NOW, 0, &back));
		ASSERT_EQ(sizeof(hello), back.certke_len);
		EXPECT_EQ(0, memcmp(hello, back.certke, sizeof(hello)));
		json_decref(pc);
		esfd_seci_free(&back);
		/* The largest flight passes, one byte more does not. */
		s.certke = big;
		s.certke_len = ESFD_PRIM_CERTKE_MAX;
		ASSERT_EQ(0, esfd_seci_content(&s, &pc));
		ASSERT_EQ(0, esfd_seci_read(pc, false, NOW, 0, &back));
		EXPECT_EQ((size_t)ESFD_PRIM_CERTKE_MAX, back.certke_len);
		json_decref(pc);
		esfd_seci_free(&back);
		s.certke_len = ESFD_PRIM_CERTKE_MAX + 1;
		EXPECT_EQ(-EINVAL, esfd_seci_content(&s, &pc));
		/* 21852 characters: past the 21848 of 16384 bytes. */
		{
			char *t = calloc(1, 21853);

			ASSERT_NE(NULL, t);
			memset(t, 'A', 21852);
			pc = json_pack("{s:{s:i,s:s}}", "m2m:seci", "sit", 6, "eckm", t);
			free(t);
			EXPECT_EQ(-EMSGSIZE, esfd_seci_read(pc, false, NOW, 0, &back));
			esfd_seci_free(&back);
			json_decref(pc);
		}
	}
	esfd_test_leaks();
}

TEST_HARNESS_MAIN
