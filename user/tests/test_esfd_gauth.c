// SPDX-License-Identifier: GPL-2.0
/*
 * Static group authentication's messages (esfd/gamsg.c) and its [gauth]
 * sections (config.c): each MAC and key against an HMAC computed here over
 * the bytes docs/esfd.md lists, the answer's binding to its request's
 * nonce, a message built and read back, what the strict reading refuses,
 * and [gauth] sections good and bad, each error at its line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "kselftest_harness.h"
#include "esfd_testutil.h"
#include "../esfd/config.h"
#include "../esfd/gamsg.h"

static const uint8_t key[32] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

#define GRP "/in-cse/ga-field"
#define NNC_B64 "AAECAwQFBgcICQoLDA0ODw"	/* 00..0f */
#define RND_B64 "ECAwQFBgcICQoLDA0ODwAA"	/* 10 20 30 ... f0 00 */

/* HMAC-SHA-256 over fields, each followed by a zero byte. */
static void doc_mac(const uint8_t *k, const char *const *f, size_t n, uint8_t out[32])
{
	uint8_t msg[4096];
	unsigned int len = 0;
	size_t i, off = 0;

	for (i = 0; i < n; i++) {
		memcpy(msg + off, f[i], strlen(f[i]) + 1);
		off += strlen(f[i]) + 1;
	}
	HMAC(EVP_sha256(), k, 32, msg, off, out, &len);
}

static json_t *read_pc(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	return j;
}

TEST(keys_are_the_documented_hmacs)
{
	uint8_t want[32], got[32];
	unsigned int n = 0;
	uint8_t msg[128];
	static const char l1[] = "esfd group authentication";
	static const char l2[] = "esfd group authentication confirmation";

	memcpy(msg, l1, sizeof(l1));
	memcpy(msg + sizeof(l1), GRP, strlen(GRP));
	HMAC(EVP_sha256(), key, 32, msg, sizeof(l1) + strlen(GRP), want, &n);
	ASSERT_EQ(0, esfd_ga_link_key(key, GRP, got));
	EXPECT_EQ(0, memcmp(want, got, 32));
	memcpy(msg, l2, sizeof(l2));
	memcpy(msg + sizeof(l2), GRP, strlen(GRP));
	HMAC(EVP_sha256(), key, 32, msg, sizeof(l2) + strlen(GRP), want, &n);
	ASSERT_EQ(0, esfd_ga_confirm_key(key, GRP, got));
	EXPECT_EQ(0, memcmp(want, got, 32));
	EXPECT_EQ(-EINVAL, esfd_ga_link_key(key, "bad id", got));
}

TEST(macs_cover_the_documented_fields)
{
	const char *req[] = { "esf:gas", GRP, "/mn-gw", "/in-cse", NNC_B64, "Cd1", "Cd2" };
	const char *ans[] = { "esf:gar", GRP, "/mn-gw", "Cd1", NNC_B64, RND_B64 };
	const char *conf[] = { "esf:gcr", GRP, "/in-cse", "Cd1", RND_B64 };
	json_t *pc = read_pc("{\"esf:gas\":{\"grp\":\"" GRP "\",\"nnc\":\"" NNC_B64
			     "\",\"ids\":[\"Cd1\",\"Cd2\"],\"mac\":\""
			     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}");
	struct esfd_gamsg m;
	uint8_t want[32], got[32], nnc[16], rnd[16];
	size_t i;

	for (i = 0; i < 16; i++) {
		nnc[i] = (uint8_t)i;
		rnd[i] = (uint8_t)(0x10 * (i + 1));
	}
	ASSERT_EQ(0, esfd_ga_read(pc, ESFD_GA_GRP_REQ, &m));
	EXPECT_EQ(0, memcmp(nnc, m.nnc, 16));
	doc_mac(key, req, 7, want);
	ASSERT_EQ(0, esfd_ga_mac(key, &m, "/mn-gw", "/in-cse", NULL, NULL, got));
	EXPECT_EQ(0, memcmp(want, got, 32));
	/* Another order of the ids is another MAC. */
	json_array_remove(json_object_get(json_object_get(pc, "esf:gas"), "ids"), 0);
	json_array_append_new(json_object_get(json_object_get(pc, "esf:gas"), "ids"),
			      json_string("Cd1"));
	ASSERT_EQ(0, esfd_ga_read(pc, ESFD_GA_GRP_REQ, &m));
	ASSERT_EQ(0, esfd_ga_mac(key, &m, "/mn-gw", "/in-cse", NULL, NULL, got));
	EXPECT_NE(0, memcmp(want, got, 32));
	json_decref(pc);

	/* An answer is bound to its request's nonce. */
	memset(&m, 0, sizeof(m));
	m.kind = ESFD_GA_DEV_ANS;
	m.grp = GRP;
	memcpy(m.rnd, rnd, 16);
	doc_mac(key, ans, 6, want);
	ASSERT_EQ(0, esfd_ga_mac(key, &m, "/mn-gw", "Cd1", nnc, NULL, got));
	EXPECT_EQ(0, memcmp(want, got, 32));
	nnc[0] ^= 1;
	ASSERT_EQ(0, esfd_ga_mac(key, &m, "/mn-gw", "Cd1", nnc, NULL, got));
	EXPECT_NE(0, memcmp(want, got, 32));
	/* Its direction matters: from and to swapped is another MAC. */
	nnc[0] ^= 1;
	ASSERT_EQ(0, esfd_ga_mac(key, &m, "Cd1", "/mn-gw", nnc, NULL, got));
	EXPECT_NE(0, memcmp(want, got, 32));

	/* The server's confirmation is bound to the Rand. */
	memset(&m, 0, sizeof(m));
	m.kind = ESFD_GA_CONF_ANS;
	m.grp = GRP;
	doc_mac(key, conf, 5, want);
	ASSERT_EQ(0, esfd_ga_mac(key, &m, "/in-cse", "Cd1", NULL, rnd, got));
	EXPECT_EQ(0, memcmp(want, got, 32));
}

TEST(built_messages_read_back)
{
	struct esfd_gamsg m = { .kind = ESFD_GA_GRP_ANS, .grp = GRP }, r;
	json_t *ids = json_pack("[s,s]", "Cd1", "Cd2"), *pc;
	char *text;

	memset(m.rnd, 0x42, sizeof(m.rnd));
	memset(m.mac, 0x17, sizeof(m.mac));
	m.ids = ids;
	pc = esfd_ga_build(&m);
	ASSERT_NE(NULL, pc);
	text = json_dumps(pc, JSON_COMPACT | JSON_SORT_KEYS);
	EXPECT_EQ(ESFD_GA_GRP_ANS, esfd_ga_kind_of(pc));
	ASSERT_EQ(0, esfd_ga_read(pc, ESFD_GA_GRP_ANS, &r)) TH_LOG("%s", text);
	EXPECT_STREQ(GRP, r.grp);
	EXPECT_EQ(0, memcmp(m.rnd, r.rnd, 16));
	EXPECT_EQ(0, memcmp(m.mac, r.mac, 32));
	EXPECT_EQ(2, json_array_size(r.ids));
	/* Read as another kind, it is refused. */
	EXPECT_EQ(-EPROTO, esfd_ga_read(pc, ESFD_GA_GRP_REQ, &r));
	free(text);
	json_decref(pc);
	json_decref(ids);
	EXPECT_STREQ("esf:gcr", esfd_ga_name(ESFD_GA_CONF_ANS));
	EXPECT_STREQ("?", esfd_ga_name(ESFD_GA__N));
}

TEST(strict_reading)
{
	static const char *const bad[] = {
		/* an extra member */
		"{\"esf:gaq\":{\"grp\":\"" GRP "\",\"nnc\":\"" NNC_B64 "\",\"x\":1,\"mac\":"
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
		/* a nonce one byte short */
		"{\"esf:gaq\":{\"grp\":\"" GRP "\",\"nnc\":\"AAECAwQFBgcICQoLDA0O\",\"mac\":"
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
		/* a MAC one byte short */
		"{\"esf:gaq\":{\"grp\":\"" GRP "\",\"nnc\":\"" NNC_B64 "\",\"mac\":"
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
		/* no nonce */
		"{\"esf:gaq\":{\"grp\":\"" GRP "\",\"mac\":"
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
		/* a group id with a space */
		"{\"esf:gaq\":{\"grp\":\"a b\",\"nnc\":\"" NNC_B64 "\",\"mac\":"
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
		/* two members in the Content */
		"{\"esf:gaq\":{},\"esf:gac\":{}}",
		/* not an object */
		"{\"esf:gaq\":[]}",
	};
	static const char *const bad_ids[] = {
		"[]", "[\"Cd1\",\"Cd1\"]", "[1]", "[\"a b\"]", "\"Cd1\"",
	};
	struct esfd_gamsg m;
	json_t *pc, *ids;
	size_t i;
	char text[512];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pc = read_pc(bad[i]);
		ASSERT_NE(NULL, pc) TH_LOG("%s", bad[i]);
		EXPECT_EQ(-EPROTO, esfd_ga_read(pc, ESFD_GA_DEV_REQ, &m)) TH_LOG("%s", bad[i]);
		json_decref(pc);
	}
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		snprintf(text, sizeof(text), "{\"esf:gas\":{\"grp\":\"" GRP "\",\"nnc\":\"" NNC_B64
			 "\",\"ids\":%s,\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
			 bad_ids[i]);
		pc = read_pc(text);
		ASSERT_NE(NULL, pc) TH_LOG("%s", text);
		EXPECT_EQ(-EPROTO, esfd_ga_read(pc, ESFD_GA_GRP_REQ, &m)) TH_LOG("%s", text);
		json_decref(pc);
	}
	/* The server may take none of the devices named; the agent names one at least. */
	pc = read_pc("{\"esf:gsr\":{\"grp\":\"" GRP "\",\"rnd\":\"" RND_B64 "\",\"ids\":[],"
		     "\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}");
	EXPECT_EQ(0, esfd_ga_read(pc, ESFD_GA_GRP_ANS, &m));
	json_decref(pc);
	/* At most ESFD_GA_IDS_MAX ids. */
	pc = read_pc("{\"esf:gas\":{\"grp\":\"" GRP "\",\"nnc\":\"" NNC_B64 "\",\"ids\":[],"
		     "\"mac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}");
	ids = json_object_get(json_object_get(pc, "esf:gas"), "ids");
	for (i = 0; i < ESFD_GA_IDS_MAX; i++) {
		snprintf(text, sizeof(text), "Cs%04zu", i);
		json_array_append_new(ids, json_string(text));
	}
	EXPECT_EQ(0, esfd_ga_read(pc, ESFD_GA_GRP_REQ, &m));
	json_array_append_new(ids, json_string("Cs-one-more"));
	EXPECT_EQ(-EPROTO, esfd_ga_read(pc, ESFD_GA_GRP_REQ, &m));
	json_decref(pc);
	EXPECT_EQ(ESFD_GA_NONE, esfd_ga_kind_of(NULL));
	pc = read_pc("{\"esf:gkp\":{}}");
	EXPECT_EQ(ESFD_GA_NONE, esfd_ga_kind_of(pc));
	json_decref(pc);
}

#define HEAD "[esfd]\nid = %s\nrole = %s\n\n"
#define PEER(n, id, role) "[peer " n "]\nid = " id "\nrole = " role "\nkpsa-id = k" n \
	"\nkpsa = 000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f\n\n"

static int parse(const char *text, struct esfd_config *c, struct esfd_config_error *e)
{
	return esfd_config_parse(text, strlen(text), c, e);
}

TEST(gauth_sections)
{
	static const char server[] = "[esfd]\nid = /in-cse\nrole = server\n\n"
		PEER("gw", "/mn-gw", "gateway") PEER("d1", "Cd1", "device")
		PEER("d2", "Cd2", "device")
		"[gauth f]\nid = /in-cse/ga\nagent = gw\nmembers = d1\nmembers = d2\n";
	static const char agent[] = "[esfd]\nid = /mn-gw\nrole = gateway\n\n"
		PEER("in", "/in-cse", "server") PEER("d1", "Cd1", "device")
		"[gauth f]\nid = /in-cse/ga\nserver = in\nmembers = d1\ncollect-ms = 250\n";
	static const char device[] = "[esfd]\nid = Cd1\nrole = device\n\n"
		PEER("in", "/in-cse", "server") PEER("gw", "/mn-gw", "gateway")
		"[gauth f]\nid = /in-cse/ga\nagent = gw\nserver = in\nclass = 3\n";
	struct esfd_config c;
	struct esfd_config_error e;

	ASSERT_EQ(0, parse(server, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	ASSERT_EQ(1, c.n_gauths);
	EXPECT_EQ(ESFD_GAUTH_SERVER, c.gauths[0].role);
	EXPECT_EQ(2, c.gauths[0].n_members);	/* two members lines add up */
	EXPECT_EQ(0, c.gauths[0].agent);
	EXPECT_EQ(2, c.gauths[0].data_class);
	EXPECT_EQ(&c.gauths[0], esfd_config_gauth_by_id(&c, "/in-cse/ga"));
	EXPECT_EQ(NULL, esfd_config_gauth_by_id(&c, "/in-cse/other"));
	esfd_config_free(&c);
	ASSERT_EQ(0, parse(agent, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_EQ(ESFD_GAUTH_AGENT, c.gauths[0].role);
	EXPECT_EQ(250, c.gauths[0].collect_ms);
	esfd_config_free(&c);
	ASSERT_EQ(0, parse(device, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_EQ(ESFD_GAUTH_DEVICE, c.gauths[0].role);
	EXPECT_EQ(3, c.gauths[0].data_class);
	EXPECT_EQ(1000, c.gauths[0].collect_ms);
	esfd_config_free(&c);
}

TEST(gauth_sections_refused)
{
	static const struct { const char *tail; unsigned int line; const char *why; } bad[] = {
		{ "[gauth f]\nid = /g\nagent = gw\n", 23, "needs exactly two of agent" },
		{ "[gauth f]\nid = /g\nagent = gw\nserver = in\nmembers = d1\n", 23,
		  "needs exactly two" },
		{ "[gauth f]\nagent = gw\nserver = in\n", 23, "needs 'id'" },
		{ "[gauth f]\nid = /g\nserver = in\nmembers = d1\nclass = 2\n", 27,
		  "class is for the server" },
		{ "[gauth f]\nid = /g\nagent = gw\nserver = in\ncollect-ms = 5\n", 27,
		  "collect-ms is the gateway agent's" },
		{ "[gauth f]\nid = /g\nagent = gw\nmembers = d1 nobody\n", 26, "no [peer nobody]" },
		{ "[gauth f]\nid = /g\nagent = gw\nmembers = d1, d1\n", 26, "d1 is listed twice" },
		{ "[gauth f]\nid = /g\nagent = gw\nmembers = gw\n", 26, "is a member and the agent" },
		{ "[gauth f]\nid = /g\nagent = in\nserver = in\n", 26, "agent and server are one peer" },
		{ "[gauth f]\nid = /g\nagent = gw\nserver = in\nclass = 1\n", 27, "out of range" },
		{ "[gauth f]\nid = /g\nagent = gw\nserver = in\n[gauth h]\nid = /g\nagent = gw\n"
		  "server = in\n", 27, "has the id of [gauth f]" },
		{ "[gauth f]\nid = /g\nagent = gw\nserver = in\nid = /h\n", 27, "already set" },
	};
	static const char head[] = "[esfd]\nid = Cd9\nrole = device\n\n"
		PEER("in", "/in-cse", "server") PEER("gw", "/mn-gw", "gateway")
		PEER("d1", "Cd1", "device");
	char text[2048];
	struct esfd_config c;
	struct esfd_config_error e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, bad[i].tail);
		EXPECT_EQ(-EINVAL, parse(text, &c, &e)) TH_LOG("%s", bad[i].tail);
		EXPECT_NE(NULL, strstr(e.msg, bad[i].why)) TH_LOG("%zu: %s", i, e.msg);
		EXPECT_EQ(bad[i].line, e.line) TH_LOG("%zu: %u %s", i, e.line, e.msg);
	}
}

TEST_HARNESS_MAIN
