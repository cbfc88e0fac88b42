// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's group keys on the wire (gkey.c) and their configuration ([group]
 * in config.c): the wrapping key against an independent HMAC, a key
 * wrapped and unwrapped (pull answer and push), each thing the unwrapping
 * must refuse (another group, another nonce, a nonce where none belongs,
 * another member's key, any flipped bit, a header that disagrees with the
 * sealed content, a stale epoch), the pull's strict reading, and [group]
 * sections good and bad, each error at its line with its reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "kselftest_harness.h"
#include "esfd_testutil.h"
#include "../esfd/config.h"
#include "../esfd/gkey.h"
#include "../esfd/jwe.h"

static const uint8_t k14[32] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

#define NONCE "AAECAwQFBgcICQoLDA0ODw"	/* 00..0f */

static void sample(struct esfd_gkey *k)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	strcpy(k->grp, "/in-cse/grp-sensors");
	strcpy(k->alg, "gcm(aes)");
	k->epoch = 1765000000;
	k->sender = 3;
	k->senders = 64;
	k->tag_len = 16;
	k->key_len = 32;
	for (i = 0; i < k->key_len; i++)
		k->key[i] = (uint8_t)(0xa0 + i);
	memcpy(k->salt, "\x01\x02\x03\x04", 4);
	k->switch_at = 1765000005;
}

TEST(kek_is_the_documented_hmac)
{
	static const char label[] = "esfd group key wrapping";
	const char *grp = "/in-cse/grp-sensors";
	uint8_t msg[128], want[32], got[32], other[32];
	unsigned int n = 0;

	memcpy(msg, label, sizeof(label));	/* with its NUL */
	memcpy(msg + sizeof(label), grp, strlen(grp));
	ASSERT_NE(NULL, HMAC(EVP_sha256(), k14, sizeof(k14), msg, sizeof(label) + strlen(grp),
			     want, &n));
	ASSERT_EQ(0, esfd_gkey_kek(k14, grp, got));
	EXPECT_EQ(0, memcmp(want, got, 32));
	ASSERT_EQ(0, esfd_gkey_kek(k14, "/in-cse/grp-other", other));
	EXPECT_NE(0, memcmp(got, other, 32));
	EXPECT_EQ(-EINVAL, esfd_gkey_kek(k14, "bad id", got));
}

TEST(round_trip)
{
	struct esfd_gkey k, out;
	uint8_t kek[32];
	char *jwe = NULL;
	char hexkey[65];

	sample(&k);
	ASSERT_EQ(0, esfd_gkey_kek(k14, k.grp, kek));
	/* A pull's answer, bound to the nonce. */
	ASSERT_EQ(0, esfd_gkey_wrap(kek, &k, NONCE, &jwe));
	esfd_hex_encode(k.key, k.key_len, hexkey);
	EXPECT_EQ(NULL, strstr(jwe, hexkey));
	ASSERT_EQ(0, esfd_gkey_unwrap(kek, jwe, k.grp, NONCE, 1, &out));
	EXPECT_STREQ(k.grp, out.grp);
	EXPECT_STREQ(k.alg, out.alg);
	EXPECT_EQ(k.epoch, out.epoch);
	EXPECT_EQ(k.sender, out.sender);
	EXPECT_EQ(k.senders, out.senders);
	EXPECT_EQ(k.tag_len, out.tag_len);
	EXPECT_EQ(k.key_len, out.key_len);
	EXPECT_EQ(0, memcmp(k.key, out.key, k.key_len));
	EXPECT_EQ(0, memcmp(k.salt, out.salt, 4));
	EXPECT_EQ(k.switch_at, out.switch_at);
	/* The epoch held may be the one sent (a push crossing a pull). */
	EXPECT_EQ(0, esfd_gkey_unwrap(kek, jwe, k.grp, NONCE, k.epoch, &out));
	free(jwe);
	/* A push: no nonce. */
	strcpy(k.alg, "authenc(hmac(sha256),cbc(aes))");
	k.key_len = 48;
	ASSERT_EQ(0, esfd_gkey_wrap(kek, &k, NULL, &jwe));
	ASSERT_EQ(0, esfd_gkey_unwrap(kek, jwe, k.grp, NULL, 1, &out));
	EXPECT_EQ(48, out.key_len);
	free(jwe);
	/* What the kernel would refuse is not wrapped. */
	k.key_len = 20;
	EXPECT_EQ(-EINVAL, esfd_gkey_wrap(kek, &k, NULL, &jwe));
	sample(&k);
	k.sender = 64;
	EXPECT_EQ(-EINVAL, esfd_gkey_wrap(kek, &k, NULL, &jwe));
	esfd_test_leaks();
}

TEST(refusals)
{
	struct esfd_gkey k, out;
	uint8_t kek[32], kek2[32];
	char *jwe = NULL, *push = NULL;

	sample(&k);
	ASSERT_EQ(0, esfd_gkey_kek(k14, k.grp, kek));
	memcpy(kek2, kek, 32);
	kek2[0] ^= 1;
	ASSERT_EQ(0, esfd_gkey_wrap(kek, &k, NONCE, &jwe));
	ASSERT_EQ(0, esfd_gkey_wrap(kek, &k, NULL, &push));
	EXPECT_EQ(-EKEYREJECTED, esfd_gkey_unwrap(kek, jwe, "/in-cse/grp-other", NONCE, 1, &out));
	EXPECT_EQ(-EKEYREJECTED, esfd_gkey_unwrap(kek, jwe, k.grp, "AAECAwQFBgcICQoLDA0OEA", 1,
						  &out));
	/* An answer is not a push, a push not an answer. */
	EXPECT_EQ(-EKEYREJECTED, esfd_gkey_unwrap(kek, jwe, k.grp, NULL, 1, &out));
	EXPECT_EQ(-EKEYREJECTED, esfd_gkey_unwrap(kek, push, k.grp, NONCE, 1, &out));
	/* Another member's key. */
	EXPECT_EQ(-EBADMSG, esfd_gkey_unwrap(kek2, jwe, k.grp, NONCE, 1, &out));
	/* Stale. */
	EXPECT_EQ(-ESTALE, esfd_gkey_unwrap(kek, jwe, k.grp, NONCE, k.epoch + 1, &out));
	/* Whatever failed, nothing of the key is left. */
	EXPECT_EQ(0, out.key_len);
	EXPECT_EQ(0, out.epoch);
	EXPECT_EQ(-EPROTO, esfd_gkey_unwrap(kek, "a.b.c", k.grp, NONCE, 1, &out));
	free(jwe);
	free(push);
	esfd_test_leaks();
}

/* Every single-character change of the serialization is refused. */
TEST(tampering)
{
	struct esfd_gkey k, out;
	uint8_t kek[32];
	char *jwe = NULL;
	size_t i, n, refused = 0;

	sample(&k);
	ASSERT_EQ(0, esfd_gkey_kek(k14, k.grp, kek));
	ASSERT_EQ(0, esfd_gkey_wrap(kek, &k, NONCE, &jwe));
	n = strlen(jwe);
	for (i = 0; i < n; i++) {
		char c = jwe[i];

		if (c == '.')
			continue;
		jwe[i] = c == 'A' ? 'B' : 'A';
		refused += esfd_gkey_unwrap(kek, jwe, k.grp, NONCE, 1, &out) != 0;
		jwe[i] = c;
	}
	EXPECT_EQ(n - 4, refused);
	EXPECT_EQ(0, esfd_gkey_unwrap(kek, jwe, k.grp, NONCE, 1, &out));
	free(jwe);
	esfd_test_leaks();
}

/* Sealed under the right key, but the header says another epoch or group. */
TEST(header_must_match_content)
{
	static const char body[] =
		"{\"grp\":\"/in-cse/grp-sensors\",\"epoch\":7,\"sender\":1,\"senders\":4,"
		"\"alg\":\"gcm(aes)\",\"tagLength\":16,\"key\":\"AAECAwQFBgcICQoLDA0ODw\","
		"\"salt\":\"AQIDBA\",\"switchAt\":0}";
	struct esfd_gkey out;
	uint8_t kek[32];
	char *jwe = NULL;
	json_t *h;

	ASSERT_EQ(0, esfd_gkey_kek(k14, "/in-cse/grp-sensors", kek));
	h = json_pack("{s:s,s:s,s:s,s:s,s:i}", "alg", "dir", "enc", "A256GCM", "cty",
		      ESFD_GKEY_CTY, "grp", "/in-cse/grp-sensors", "epoch", 7);
	ASSERT_EQ(0, esfd_jwe_seal(kek, h, body, strlen(body), &jwe));
	EXPECT_EQ(0, esfd_gkey_unwrap(kek, jwe, "/in-cse/grp-sensors", NULL, 1, &out));
	EXPECT_EQ(16, out.key_len);
	free(jwe);
	json_object_set_new(h, "epoch", json_integer(8));
	ASSERT_EQ(0, esfd_jwe_seal(kek, h, body, strlen(body), &jwe));
	EXPECT_EQ(-EKEYREJECTED, esfd_gkey_unwrap(kek, jwe, "/in-cse/grp-sensors", NULL, 1,
						  &out));
	free(jwe);
	json_object_set_new(h, "epoch", json_integer(7));
	json_object_set_new(h, "cty", json_string("application/vnd.esfd.establish+json"));
	ASSERT_EQ(0, esfd_jwe_seal(kek, h, body, strlen(body), &jwe));
	EXPECT_EQ(-EOPNOTSUPP, esfd_gkey_unwrap(kek, jwe, "/in-cse/grp-sensors", NULL, 1,
						&out));
	free(jwe);
	json_decref(h);
	esfd_test_leaks();
}

TEST(pull_content)
{
	static const char *const bad[] = {
		"{\"esf:gkp\":{\"grp\":\"/g\",\"nnc\":\"" NONCE "\"}}",
		"{\"esf:gkp\":{\"grp\":\"/g\",\"nnc\":\"AAEC\",\"have\":0}}",
		"{\"esf:gkp\":{\"grp\":\"/g\",\"nnc\":\"" NONCE "\",\"have\":-1}}",
		"{\"esf:gkp\":{\"grp\":\"/g\",\"nnc\":\"" NONCE "\",\"have\":4294967296}}",
		"{\"esf:gkp\":{\"grp\":\"a b\",\"nnc\":\"" NONCE "\",\"have\":0}}",
		"{\"esf:gkp\":{\"grp\":\"/g\",\"nnc\":\"" NONCE "\",\"have\":0,\"x\":1}}",
		"{\"esf:gkp\":{\"grp\":\"/g\",\"nnc\":\"" NONCE "\",\"have\":0},\"m2m:seci\":{}}",
	};
	const char *grp, *nnc;
	uint32_t have;
	json_t *pc = esfd_gkp_content("/in-cse/g", NONCE, 42);
	size_t i;

	ASSERT_EQ(ESFD_GMSG_PULL, esfd_gmsg_kind(pc));
	ASSERT_EQ(0, esfd_gkp_read(pc, &grp, &nnc, &have));
	EXPECT_STREQ("/in-cse/g", grp);
	EXPECT_STREQ(NONCE, nnc);
	EXPECT_EQ(42, have);
	json_decref(pc);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pc = json_loads(bad[i], 0, NULL);
		ASSERT_NE(NULL, pc);
		EXPECT_EQ(-EPROTO, esfd_gkp_read(pc, &grp, &nnc, &have)) TH_LOG("%s", bad[i]);
		json_decref(pc);
	}
	pc = esfd_gky_content("x.y");
	EXPECT_EQ(ESFD_GMSG_KEY, esfd_gmsg_kind(pc));
	json_decref(pc);
	pc = json_loads("{\"m2m:seci\":{\"sit\":3}}", 0, NULL);
	EXPECT_EQ(ESFD_GMSG_NONE, esfd_gmsg_kind(pc));
	json_decref(pc);
	esfd_test_leaks();
}

/* 18 lines: the first [group] of a case is on line 19. */
#define BASE "[esfd]\nid = /in-cse\nrole = server\n" \
	"[peer a]\nid = Ca\nrole = device\nkpsa-id = ka\nkpsa = " \
	"000102030405060708090a0b0c0d0e0f\n" \
	"[peer b]\nid = Cb\nrole = device\nkpsa-id = kb\nkpsa = " \
	"000102030405060708090a0b0c0d0e0f\n" \
	"[policy ccm]\naead = ccm(aes)\nkey-size = 128\n" \
	"[policy r]\naead = rfc4106(gcm(aes))\n"

TEST(config_groups)
{
	static const char text[] = BASE
		"[group g1]\nid = /in-cse/g1\nmembers = a:1, b:7\nsenders = 8\nrotate = 2h\n"
		"switch-delay = 90s\npolicy = ccm\n"
		"[group g2]\nid = /mn/g2\nserver = a\n";
	struct esfd_config c;
	struct esfd_config_error e;
	const struct esfd_group_conf *g;

	ASSERT_EQ(0, esfd_config_parse(text, strlen(text), &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	ASSERT_EQ(2, c.n_groups);
	g = &c.groups[0];
	EXPECT_STREQ("g1", g->name);
	EXPECT_STREQ("/in-cse/g1", g->id);
	EXPECT_TRUE(g->serve);
	ASSERT_EQ(2, g->n_members);
	EXPECT_STREQ("a", c.peers[g->members[0].peer].name);
	EXPECT_EQ(1, g->members[0].sender);
	EXPECT_STREQ("b", c.peers[g->members[1].peer].name);
	EXPECT_EQ(7, g->members[1].sender);
	EXPECT_EQ(8, g->senders);
	EXPECT_EQ(7200, g->rotate);
	EXPECT_EQ(90, g->switch_delay);
	EXPECT_STREQ("ccm", c.policies[g->policy].name);
	g = esfd_config_group_by_id(&c, "/mn/g2");
	ASSERT_NE(NULL, g);
	EXPECT_FALSE(g->serve);
	EXPECT_STREQ("a", c.peers[g->server].name);
	EXPECT_EQ(0, g->policy);
	/* The defaults. */
	EXPECT_EQ(ESFD_GROUP_SENDERS_DEF, g->senders);
	EXPECT_EQ(86400, g->rotate);
	EXPECT_EQ(5, g->switch_delay);
	EXPECT_EQ(NULL, esfd_config_group_by_id(&c, "/nope"));
	esfd_config_free(&c);
	esfd_test_leaks();
}

static const struct {
	const char *text;
	unsigned int line;
	const char *msg;
} bad[] = {
	{ "[group g]\nmembers = a:1", 19, "needs 'id'" },
	{ "[group g]\nid = /g", 19, "needs members" },
	{ "[group g]\nid = /g\nmembers = a:1\nserver = b", 22, "has both members" },
	{ "[group g]\nid = /g\nmembers = z:1", 21, "no [peer z]" },
	{ "[group g]\nid = /g\nmembers = a", 21, "not PEER:SENDER" },
	{ "[group g]\nid = /g\nmembers = a:0", 21, "outside 1..63" },
	{ "[group g]\nid = /g\nmembers = a:4\nsenders = 4", 21, "outside 1..3" },
	{ "[group g]\nid = /g\nmembers = a:2 b:2", 21, "sender id 2 is both a's and b's" },
	{ "[group g]\nid = /g\nmembers = a:2 a:3", 21, "listed twice" },
	{ "[group g]\nid = /g\nmembers = a:1 b:2\nsenders = 2", 21, "more members than" },
	{ "[group g]\nid = /g\nserver = a\nrotate = 1h", 22, "is the server's to set" },
	{ "[group g]\nid = /g\nmembers = a:1\nrotate = 10s\nswitch-delay = 10s", 23,
	  "must be shorter than rotate" },
	{ "[group g]\nid = /g\nmembers = a:1\nrotate = 10x", 22, "not a number" },
	{ "[group g]\nid = /g\nmembers = a:1\nsenders = 5000", 22, "out of range" },
	{ "[group g]\nid = /g\nmembers = a:1\npolicy = r", 22, "rfc4106" },
	{ "[group g]\nid = /g\nmembers = a:1\npolicy = nope", 22, "no [policy nope]" },
	{ "[group g]\nid = /g\nserver = y", 21, "no [peer y]" },
	{ "[group g]\nid = /g\nserver = a\n[group h]\nid = /g\nserver = b", 22,
	  "has the id of [group g]" },
	{ "[group g]\nid = /g\nserver = a\n[group g]\nid = /h\nserver = b", 22,
	  "already defined" },
	{ "[group g]\nid = /g\nserver = a\nfoo = 1", 22, "unknown key" },
	{ "[group]\nid = /g", 19, "needs a name" },
	/* members on several lines: the line to blame is the token's. */
	{ "[group g]\nid = /g\nmembers = a:1\nmembers = a:2", 22, "listed twice" },
	{ "[group g]\nid = /g\nmembers = a:1\nsenders = 8\nmembers = b:9", 23,
	  "outside 1..7" },
};

TEST(config_group_errors)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct esfd_config c;
		struct esfd_config_error e;
		char text[2048];
		int r;

		snprintf(text, sizeof(text), BASE "%s\n", bad[i].text);
		r = esfd_config_parse(text, strlen(text), &c, &e);
		EXPECT_EQ(-EINVAL, r) TH_LOG("case %zu parsed: %s", i, bad[i].text);
		EXPECT_EQ(bad[i].line, e.line) TH_LOG("case %zu: %s", i, e.msg);
		EXPECT_NE(NULL, strstr(e.msg, bad[i].msg))
			TH_LOG("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].msg);
		esfd_config_free(&c);
	}
	esfd_test_leaks();
}

/*
 * A group of 1000 members: its members list is longer than a line may be
 * (ESFD_CONFIG_LINE_MAX), so it takes several "members" lines, which add up.
 */
TEST(config_group_1000_members)
{
	size_t cap = 1u << 20, n = 0, i;
	char *text = malloc(cap);
	struct esfd_config c;
	struct esfd_config_error e;
	const struct esfd_group_conf *g;

	ASSERT_NE(NULL, text);
	n += snprintf(text + n, cap - n, "[esfd]\nid = /in-cse\nrole = server\n");
	for (i = 1; i <= 1000; i++)
		n += snprintf(text + n, cap - n, "[peer p%zu]\nid = Cs%04zu\nrole = device\n"
			      "kpsa-id = k%zu\nkpsa = %032zx\n", i, i, i, i);
	n += snprintf(text + n, cap - n, "[group big]\nid = /in-cse/big\nsenders = 1024\n");
	for (i = 1; i <= 1000; i++)
		n += snprintf(text + n, cap - n, "%sp%zu:%zu%s", i % 100 == 1 ? "members = " : "",
			      i, i, i % 100 ? " " : "\n");
	ASSERT_LT(n, cap);
	ASSERT_EQ(0, esfd_config_parse(text, n, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	ASSERT_EQ(1, c.n_groups);
	g = &c.groups[0];
	EXPECT_TRUE(g->serve);
	ASSERT_EQ(1000, g->n_members);
	for (i = 0; i < 1000; i++) {
		EXPECT_EQ(i + 1, g->members[i].sender);
		EXPECT_EQ(i, g->members[i].peer);
	}
	esfd_config_free(&c);
	/* One line of them all is too long. */
	n = snprintf(text, cap, "[esfd]\nid = /in-cse\nrole = server\n[group big]\n"
		     "id = /g\nsenders = 1024\nmembers =");
	for (i = 1; i <= 1000; i++)
		n += snprintf(text + n, cap - n, " p%zu:%zu", i, i);
	EXPECT_EQ(-EINVAL, esfd_config_parse(text, n, &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "line longer than"));
	esfd_config_free(&c);
	free(text);
	esfd_test_leaks();
}

/* A certificate peer cannot be a member: its keys are not a Kpsa's. */
TEST(config_group_certificate_member)
{
	static const char text[] =
		"[esfd]\nid = /in-cse\nrole = server\nca-file = r.pem\ncert-file = c.pem\n"
		"key-file = k.pem\n[peer c]\nid = Cc\nrole = device\ncredential = certificate\n"
		"[group g]\nid = /g\nmembers = c:1\n";
	struct esfd_config c;
	struct esfd_config_error e;

	EXPECT_EQ(-EINVAL, esfd_config_parse(text, strlen(text), &c, &e));
	EXPECT_EQ(13, e.line);
	EXPECT_NE(NULL, strstr(e.msg, "credential = certificate")) TH_LOG("%s", e.msg);
	esfd_config_free(&c);
	esfd_test_leaks();
}

TEST_HARNESS_MAIN
