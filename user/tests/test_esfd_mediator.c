// SPDX-License-Identifier: GPL-2.0
/*
 * Mediator gateways (docs/esfd.md, "Mediator gateways"): the wrapping key
 * a mediator hands a device the core-side key under, against an
 * independent HMAC; the delegated block in the core's delivery to the
 * mediator (round trip, and each malformed block refused); a device's
 * delivery opening under its own key only; and the configuration of the
 * three sides, good and bad, each error at its line with its reason.
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

static const uint8_t kg[32] = {
	0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b,
	0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
	0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
};

static void sample(struct esfd_gkey *k)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	strcpy(k->grp, "/in-cse/area1");
	strcpy(k->alg, "gcm(aes)");
	k->epoch = 1765000000;
	k->sender = 1;
	k->senders = 64;
	k->tag_len = 16;
	k->key_len = 32;
	for (i = 0; i < k->key_len; i++)
		k->key[i] = (uint8_t)(0xc0 + i);
	memcpy(k->salt, "\x05\x06\x07\x08", 4);
	k->switch_at = 1765000005;
}

TEST(mkek_is_the_documented_hmac)
{
	static const char label[] = "esfd mediated key wrapping";
	const char *local = "Cgw/local", *grp = "/in-cse/area1", *dev = "Cd1";
	uint8_t msg[128], kw[32], want[32], got[32], other[32];
	unsigned int n = 0;
	size_t len;

	memcpy(msg, label, sizeof(label));	/* with its NUL */
	memcpy(msg + sizeof(label), local, strlen(local));
	ASSERT_NE(NULL, HMAC(EVP_sha256(), kg, sizeof(kg), msg, sizeof(label) + strlen(local),
			     kw, &n));
	len = (size_t)snprintf((char *)msg, sizeof(msg), "%s", grp) + 1;	/* and a NUL */
	len += (size_t)snprintf((char *)msg + len, sizeof(msg) - len, "%s", dev);
	ASSERT_NE(NULL, HMAC(EVP_sha256(), kw, 32, msg, len, want, &n));
	ASSERT_EQ(0, esfd_gkey_mkek(kg, sizeof(kg), local, grp, dev, got));
	EXPECT_EQ(0, memcmp(want, got, 32));
	/* The two steps a device takes give the same. */
	ASSERT_EQ(0, esfd_gkey_mkek_kw(kg, sizeof(kg), local, kw));
	ASSERT_EQ(0, esfd_gkey_mkek_dev(kw, grp, dev, other));
	EXPECT_EQ(0, memcmp(want, other, 32));
	/* Another device, another core-side group, another local key. */
	ASSERT_EQ(0, esfd_gkey_mkek(kg, sizeof(kg), local, grp, "Cd2", other));
	EXPECT_NE(0, memcmp(got, other, 32));
	ASSERT_EQ(0, esfd_gkey_mkek(kg, sizeof(kg), local, "/in-cse/area2", dev, other));
	EXPECT_NE(0, memcmp(got, other, 32));
	ASSERT_EQ(0, esfd_gkey_mkek(kg, 16, local, grp, dev, other));
	EXPECT_NE(0, memcmp(got, other, 32));
	EXPECT_EQ(-EINVAL, esfd_gkey_mkek(kg, sizeof(kg), "bad id", grp, dev, other));
	EXPECT_EQ(-EINVAL, esfd_gkey_mkek(kg, sizeof(kg), local, grp, "", other));
}

TEST(block_round_trip)
{
	struct esfd_gkey k, out;
	uint8_t kek[32];
	char *jwe = NULL;

	sample(&k);
	k.block_first = 16;
	k.block_last = 31;
	memset(kek, 0x33, sizeof(kek));
	ASSERT_EQ(0, esfd_gkey_wrap(kek, &k, NULL, &jwe));
	ASSERT_EQ(0, esfd_gkey_unwrap(kek, jwe, k.grp, NULL, 1, &out));
	EXPECT_EQ(16, out.block_first);
	EXPECT_EQ(31, out.block_last);
	EXPECT_EQ(1, out.sender);
	free(jwe);
	/* A member's delivery has no block. */
	k.block_first = 0;
	k.block_last = 0;
	ASSERT_EQ(0, esfd_gkey_wrap(kek, &k, NULL, &jwe));
	EXPECT_EQ(NULL, strstr(jwe, "block"));
	ASSERT_EQ(0, esfd_gkey_unwrap(kek, jwe, k.grp, NULL, 1, &out));
	EXPECT_EQ(0, out.block_last);
	free(jwe);
	/* Blocks the group cannot hold are not wrapped. */
	k.block_first = 16;
	k.block_last = 64;
	EXPECT_EQ(-EINVAL, esfd_gkey_wrap(kek, &k, NULL, &jwe));
	k.block_first = 0;
	k.block_last = 3;
	EXPECT_EQ(-EINVAL, esfd_gkey_wrap(kek, &k, NULL, &jwe));
	k.block_first = 9;
	k.block_last = 8;
	EXPECT_EQ(-EINVAL, esfd_gkey_wrap(kek, &k, NULL, &jwe));
	esfd_test_leaks();
}

/* A delivery sealed by hand with the block @block (JSON text). */
static char *seal_block(const uint8_t kek[32], const char *block)
{
	char pt[512];
	json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:i}", "alg", "dir", "enc", "A256GCM", "cty",
			      ESFD_GKEY_CTY, "grp", "/in-cse/area1", "epoch", 1765000000);
	char *out = NULL;

	snprintf(pt, sizeof(pt), "{\"grp\":\"/in-cse/area1\",\"epoch\":1765000000,\"sender\":1,"
		 "\"senders\":64,\"alg\":\"gcm(aes)\",\"tagLength\":16,"
		 "\"key\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\",\"salt\":\"AQIDBA\","
		 "\"switchAt\":1765000005%s%s}", block ? ",\"block\":" : "", block ? block : "");
	if (esfd_jwe_seal(kek, h, pt, strlen(pt), &out))
		out = NULL;
	json_decref(h);
	return out;
}

TEST(block_refusals)
{
	static const char *const bad[] = {
		"[0,3]", "[9,8]", "[16,64]", "[16]", "[16,31,40]", "16", "[\"16\",31]",
		"{\"first\":16}", "[16,31.5]", "null",
	};
	struct esfd_gkey out;
	uint8_t kek[32];
	char *jwe;
	size_t i;

	memset(kek, 0x33, sizeof(kek));
	jwe = seal_block(kek, "[1,63]");
	ASSERT_NE(NULL, jwe);
	EXPECT_EQ(0, esfd_gkey_unwrap(kek, jwe, "/in-cse/area1", NULL, 1, &out));
	EXPECT_EQ(63, out.block_last);
	free(jwe);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jwe = seal_block(kek, bad[i]);
		ASSERT_NE(NULL, jwe);
		EXPECT_EQ(-EPROTO, esfd_gkey_unwrap(kek, jwe, "/in-cse/area1", NULL, 1, &out))
			TH_LOG("block %s", bad[i]);
		EXPECT_EQ(0, out.key_len);
		free(jwe);
	}
	esfd_test_leaks();
}

/* What the mediator wraps for one device opens under that device's key only. */
TEST(device_delivery_bound_to_device)
{
	struct esfd_gkey k, out;
	uint8_t k1[32], k2[32];
	char *jwe = NULL;

	sample(&k);
	k.sender = 17;
	ASSERT_EQ(0, esfd_gkey_mkek(kg, sizeof(kg), "Cgw/local", k.grp, "Cd1", k1));
	ASSERT_EQ(0, esfd_gkey_mkek(kg, sizeof(kg), "Cgw/local", k.grp, "Cd2", k2));
	ASSERT_EQ(0, esfd_gkey_wrap(k1, &k, "AAECAwQFBgcICQoLDA0ODw", &jwe));
	EXPECT_EQ(-EBADMSG, esfd_gkey_unwrap(k2, jwe, k.grp, "AAECAwQFBgcICQoLDA0ODw", 1, &out));
	ASSERT_EQ(0, esfd_gkey_unwrap(k1, jwe, k.grp, "AAECAwQFBgcICQoLDA0ODw", 1, &out));
	EXPECT_EQ(17, out.sender);
	EXPECT_EQ(0, memcmp(k.key, out.key, 32));
	free(jwe);
	esfd_test_leaks();
}

/* The three sides, each with the other two as peers: 17 lines each. */
#define P_CORE "[peer core]\nid = /in-cse\nrole = server\nkpsa-id = kc\nkpsa = " \
	"000102030405060708090a0b0c0d0e0f\n"
#define P_GW "[peer gw]\nid = Cgw\nrole = gateway\nkpsa-id = kgw\nkpsa = " \
	"000102030405060708090a0b0c0d0e0f\n"
#define P_D1 "[peer d1]\nid = Cd1\nrole = device\nkpsa-id = k1\nkpsa = " \
	"000102030405060708090a0b0c0d0e0f\n"
#define POLS "[policy weak]\nkey-size = 128\n[policy short]\ntag-length = 12\n"
#define CORE "[esfd]\nid = /in-cse\nrole = server\n" P_GW P_D1 POLS
#define GW "[esfd]\nid = Cgw\nrole = gateway\n" P_CORE P_D1 POLS
#define DEV "[esfd]\nid = Cd1\nrole = device\n" P_CORE P_GW POLS
#define LOCAL "[group local]\nid = Cgw/local\nmembers = d1:2\nsenders = 8\n"

TEST(config_three_sides)
{
	static const char core[] = CORE
		"[group area]\nid = /in-cse/area1\nmembers = gw:1\ndelegate = gw:16-31\n";
	static const char gw[] = GW LOCAL
		"[group area]\nid = /in-cse/area1\nserver = core\nmediate = local\nblock = 16-31\n";
	static const char dev[] = DEV
		"[group local]\nid = Cgw/local\nserver = gw\n"
		"[group area]\nid = /in-cse/area1\nserver = gw\nvia = local\n";
	struct esfd_config c;
	struct esfd_config_error e;
	const struct esfd_group_conf *g;

	ASSERT_EQ(0, esfd_config_parse(core, strlen(core), &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	g = &c.groups[0];
	EXPECT_STREQ("gw", c.peers[g->delegate].name);
	EXPECT_EQ(16, g->block_first);
	EXPECT_EQ(31, g->block_last);
	EXPECT_FALSE(g->mediates);
	esfd_config_free(&c);
	ASSERT_EQ(0, esfd_config_parse(gw, strlen(gw), &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	g = esfd_config_group_by_id(&c, "/in-cse/area1");
	ASSERT_NE(NULL, g);
	EXPECT_TRUE(g->mediates);
	EXPECT_STREQ("local", c.groups[g->local].name);
	EXPECT_EQ(16, g->block_first);
	EXPECT_EQ(31, g->block_last);
	esfd_config_free(&c);
	ASSERT_EQ(0, esfd_config_parse(dev, strlen(dev), &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	g = esfd_config_group_by_id(&c, "/in-cse/area1");
	ASSERT_NE(NULL, g);
	EXPECT_TRUE(g->via_set);
	EXPECT_STREQ("local", c.groups[g->via].name);
	esfd_config_free(&c);
	esfd_test_leaks();
}

static const struct {
	const char *base;
	const char *text;
	unsigned int line;
	const char *msg;
} bad[] = {
	/* The core. */
	{ CORE, "[group a]\nid = /a\nmembers = gw:1\ndelegate = gw:1-3", 21, "inside the block" },
	{ CORE, "[group a]\nid = /a\nmembers = gw:1\ndelegate = gw:16-80", 21,
	  "beyond the group's sender ids 1..63" },
	{ CORE, "[group a]\nid = /a\nmembers = gw:1\ndelegate = d1:16-31", 21,
	  "d1 is not among members" },
	{ CORE, "[group a]\nid = /a\nmembers = gw:1\ndelegate = gw:16", 21,
	  "not a block of sender ids" },
	{ CORE, "[group a]\nid = /a\nmembers = gw:1\ndelegate = 16-31", 21, "not PEER:FIRST-LAST" },
	{ CORE, "[group a]\nid = /a\nmembers = gw:1\ndelegate = gw:0-3", 21,
	  "not a block of sender ids" },
	{ CORE, "[group a]\nid = /a\nmembers = gw:1\nmediate = a\nblock = 2-3", 21,
	  "mediate is a member's" },
	/* The gateway. */
	{ GW LOCAL, "[group a]\nid = /a\nserver = core\nmediate = local", 25,
	  "needs both mediate" },
	{ GW LOCAL, "[group a]\nid = /a\nserver = core\nblock = 16-31", 25, "needs both mediate" },
	{ GW LOCAL, "[group a]\nid = /a\nserver = core\nmediate = local\nblock = 16-16", 26,
	  "core-side sender 17, beyond the delegated block 16-16" },
	{ GW LOCAL, "[group a]\nid = /a\nserver = core\nmediate = nope\nblock = 16-31", 25,
	  "no [group nope]" },
	{ GW LOCAL, "[group a]\nid = /a\nserver = core\nmediate = a\nblock = 16-31", 25,
	  "not its server" },
	{ GW "[group local]\nid = /l\nmembers = d1:2\npolicy = weak\n",
	  "[group a]\nid = /a\nserver = core\nmediate = local\nblock = 16-31", 25,
	  "is weaker than [policy default]" },
	{ GW "[group local]\nid = /l\nmembers = d1:2\npolicy = short\n",
	  "[group a]\nid = /a\nserver = core\nmediate = local\nblock = 16-31", 25,
	  "12-byte tag) is weaker" },
	{ GW LOCAL,
	  "[group a]\nid = /a\nserver = core\nmediate = local\nblock = 16-31\nvia = local", 27,
	  "mediate and via" },
	{ GW LOCAL, "[group a]\nid = /a\nmembers = d1:1\ndelegate = gw:16-31\nvia = local", 26,
	  "via is a member's" },
	/* A device. */
	{ DEV "[group local]\nid = /l\nmembers = gw:2\n",
	  "[group a]\nid = /a\nserver = gw\nmediate = local\nblock = 16-31", 24,
	  "only a gateway mediates" },
	{ DEV "[group local]\nid = /l\nserver = gw\n",
	  "[group a]\nid = /a\nserver = core\nvia = local", 24, "served by the same peer" },
	{ DEV "[group local]\nid = /l\nserver = gw\n",
	  "[group a]\nid = /a\nserver = gw\nvia = a", 24, "must be another group" },
	{ DEV "[group local]\nid = /l\nserver = gw\n",
	  "[group a]\nid = /a\nserver = gw\nvia = nope", 24, "no [group nope]" },
};

TEST(config_errors)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct esfd_config c;
		struct esfd_config_error e;
		char text[2048];
		int r;

		snprintf(text, sizeof(text), "%s%s\n", bad[i].base, bad[i].text);
		r = esfd_config_parse(text, strlen(text), &c, &e);
		EXPECT_EQ(-EINVAL, r) TH_LOG("case %zu parsed: %s", i, bad[i].text);
		EXPECT_EQ(bad[i].line, e.line) TH_LOG("case %zu: %s", i, e.msg);
		EXPECT_NE(NULL, strstr(e.msg, bad[i].msg))
			TH_LOG("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].msg);
		esfd_config_free(&c);
	}
	esfd_test_leaks();
}

TEST_HARNESS_MAIN
