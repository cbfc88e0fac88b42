// SPDX-License-Identifier: GPL-2.0
/*
 * The facilitator's messages (esfd/facmsg.c), its store, and the
 * [facilitator] section and credential = facilitator peers (config.c): the
 * link key and each message's AES-256-GCM against OpenSSL computed here
 * over the bytes docs/esfd.md lists, an answer's binding to its request,
 * messages built and read back, what the strict reading refuses, the store
 * written and read (and refused when not private), and sections good and
 * bad, each error at its line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kselftest_harness.h"
#include "esfd_testutil.h"
#include "../esfd/config.h"
#include "../esfd/enc.h"
#include "../esfd/facmsg.h"

static const uint8_t lk[32] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

#define KID "AAECAwQFBgcICQoLDA0ODw"	/* 00..0f */
#define NNC "ICEiIyQlJicoKSorLC0uLw"	/* 20..2f */
#define IV "MDEyMzQ1Njc4OTo7"		/* 30..3b */

/* The AAD as docs/esfd.md lists it: fields, each followed by a zero byte. */
static size_t doc_aad(const char *const *f, size_t n, uint8_t *out)
{
	size_t i, off = 0;

	for (i = 0; i < n; i++) {
		memcpy(out + off, f[i], strlen(f[i]) + 1);
		off += strlen(f[i]) + 1;
	}
	return off;
}

/* AES-256-GCM by OpenSSL directly: ciphertext of @pt (@len bytes), tag. */
static void doc_gcm(const uint8_t *aad, size_t aadlen, const uint8_t *iv, const uint8_t *pt,
		    size_t len, uint8_t *ct, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, lk, iv);
	EVP_EncryptUpdate(c, NULL, &n, aad, (int)aadlen);
	if (len)
		EVP_EncryptUpdate(c, ct, &n, pt, (int)len);
	EVP_EncryptFinal_ex(c, ct, &n);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(c);
}

static void fill(uint8_t *p, size_t n, uint8_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

TEST(link_key_is_the_documented_hmac)
{
	static const char label[] = "esfd facilitator";
	uint8_t msg[64], want[32], got[32];
	unsigned int n = 0;

	memcpy(msg, label, sizeof(label));
	memcpy(msg + sizeof(label), "Cdev", 4);
	HMAC(EVP_sha256(), lk, 32, msg, sizeof(label) + 4, want, &n);
	ASSERT_EQ(0, esfd_fac_link_key(lk, "Cdev", got));
	EXPECT_EQ(0, memcmp(want, got, 32));
	EXPECT_EQ(-EINVAL, esfd_fac_link_key(lk, "bad id", got));
}

TEST(register_request_is_the_documented_gcm)
{
	const char *f[] = { "esf:fkr", "Cdev", "/fac-cse", "esfd-g01-1", "/in-cse", KID, "3600",
			    NNC };
	struct esfd_facmsg m = { .kind = ESFD_FAC_REG_REQ, .who = "/in-cse", .kid = KID,
				 .lft = 3600 };
	uint8_t aad[512], key[32], ct[32], tag[16];
	size_t alen = doc_aad(f, 8, aad);
	json_t *pc;
	char *text;
	struct esfd_facmsg r;

	fill(key, 32, 0x40);
	fill(m.nnc, 16, 0x20);
	fill(m.iv, 12, 0x30);
	memcpy(m.key, key, 32);
	doc_gcm(aad, alen, m.iv, key, 32, ct, tag);
	ASSERT_EQ(0, esfd_fac_seal(lk, &m, "Cdev", "/fac-cse", "esfd-g01-1", NULL));
	EXPECT_EQ(0, memcmp(ct, m.key, 32));
	EXPECT_EQ(0, memcmp(tag, m.tag, 16));

	/* Built, read back, opened: the key again. */
	pc = esfd_fac_build(&m);
	ASSERT_NE(NULL, pc);
	text = json_dumps(pc, JSON_COMPACT | JSON_SORT_KEYS);
	EXPECT_EQ(ESFD_FAC_REG_REQ, esfd_fac_kind_of(pc));
	ASSERT_EQ(0, esfd_fac_read(pc, ESFD_FAC_REG_REQ, &r)) TH_LOG("%s", text);
	EXPECT_STREQ("/in-cse", r.who);
	EXPECT_STREQ(KID, r.kid);
	EXPECT_EQ(3600, r.lft);
	ASSERT_EQ(0, esfd_fac_open(lk, &r, "Cdev", "/fac-cse", "esfd-g01-1", NULL));
	EXPECT_EQ(0, memcmp(key, r.key, 32));
	/* The key's plaintext is nowhere in the Content. */
	EXPECT_EQ(NULL, strstr(text, "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8"));

	/* Another rqi, sender, receiver or lifetime: the tag does not verify. */
	ASSERT_EQ(0, esfd_fac_read(pc, ESFD_FAC_REG_REQ, &r));
	EXPECT_EQ(-EBADMSG, esfd_fac_open(lk, &r, "Cdev", "/fac-cse", "esfd-g02-1", NULL));
	ASSERT_EQ(0, esfd_fac_read(pc, ESFD_FAC_REG_REQ, &r));
	EXPECT_EQ(-EBADMSG, esfd_fac_open(lk, &r, "/fac-cse", "Cdev", "esfd-g01-1", NULL));
	ASSERT_EQ(0, esfd_fac_read(pc, ESFD_FAC_REG_REQ, &r));
	r.lft = 3601;
	EXPECT_EQ(-EBADMSG, esfd_fac_open(lk, &r, "Cdev", "/fac-cse", "esfd-g01-1", NULL));
	EXPECT_EQ(0, r.key[0] | r.key[31]);	/* wiped */
	free(text);
	json_decref(pc);
}

TEST(answers_bind_the_request_nonce)
{
	const char *f[] = { "esf:fkg", "/fac-cse", "/in-cse", "esfd-g03-1", "Cdev", KID,
			    "1900000000", NNC };
	struct esfd_facmsg m = { .kind = ESFD_FAC_GET_ANS, .who = "Cdev", .kid = KID,
				 .exp = 1900000000 };
	uint8_t aad[512], key[32], ct[32], tag[16], nnc[16], other[16];
	size_t alen = doc_aad(f, 8, aad);
	struct esfd_facmsg r;
	json_t *pc;

	fill(key, 32, 0x40);
	fill(nnc, 16, 0x20);
	fill(other, 16, 0x21);
	fill(m.iv, 12, 0x30);
	memcpy(m.key, key, 32);
	doc_gcm(aad, alen, m.iv, key, 32, ct, tag);
	ASSERT_EQ(0, esfd_fac_seal(lk, &m, "/fac-cse", "/in-cse", "esfd-g03-1", nnc));
	EXPECT_EQ(0, memcmp(ct, m.key, 32));
	EXPECT_EQ(0, memcmp(tag, m.tag, 16));
	pc = esfd_fac_build(&m);
	ASSERT_NE(NULL, pc);
	ASSERT_EQ(0, esfd_fac_read(pc, ESFD_FAC_GET_ANS, &r));
	EXPECT_EQ(1900000000, r.exp);
	EXPECT_EQ(-EBADMSG, esfd_fac_open(lk, &r, "/fac-cse", "/in-cse", "esfd-g03-1", other));
	ASSERT_EQ(0, esfd_fac_read(pc, ESFD_FAC_GET_ANS, &r));
	ASSERT_EQ(0, esfd_fac_open(lk, &r, "/fac-cse", "/in-cse", "esfd-g03-1", nnc));
	EXPECT_EQ(0, memcmp(key, r.key, 32));
	/* Not a request of another kind. */
	EXPECT_EQ(-EPROTO, esfd_fac_read(pc, ESFD_FAC_REG_ANS, &r));
	json_decref(pc);
}

TEST(keyless_messages_are_a_tag_over_the_aad)
{
	/* A retrieval of the newest key: "kid" left out, "" in the AAD. */
	const char *f[] = { "esf:fkq", "/in-cse", "/fac-cse", "esfd-g04-1", "Cdev", "", "",
			    NNC };
	struct esfd_facmsg m = { .kind = ESFD_FAC_GET_REQ, .who = "Cdev" };
	uint8_t aad[512], tag[16];
	size_t alen = doc_aad(f, 8, aad);
	struct esfd_facmsg r;
	json_t *pc;

	fill(m.nnc, 16, 0x20);
	fill(m.iv, 12, 0x30);
	doc_gcm(aad, alen, m.iv, NULL, 0, NULL, tag);
	ASSERT_EQ(0, esfd_fac_seal(lk, &m, "/in-cse", "/fac-cse", "esfd-g04-1", NULL));
	EXPECT_EQ(0, memcmp(tag, m.tag, 16));
	pc = esfd_fac_build(&m);
	ASSERT_NE(NULL, pc);
	EXPECT_EQ(NULL, json_object_get(json_object_get(pc, "esf:fkq"), "kid"));
	EXPECT_EQ(NULL, json_object_get(json_object_get(pc, "esf:fkq"), "ck"));
	ASSERT_EQ(0, esfd_fac_read(pc, ESFD_FAC_GET_REQ, &r));
	EXPECT_STREQ("", r.kid);
	EXPECT_EQ(0, esfd_fac_open(lk, &r, "/in-cse", "/fac-cse", "esfd-g04-1", NULL));
	json_decref(pc);
	EXPECT_STREQ("esf:fka", esfd_fac_name(ESFD_FAC_REG_ANS));
	EXPECT_STREQ("?", esfd_fac_name(ESFD_FAC__N));
	EXPECT_EQ(ESFD_FAC_NONE, esfd_fac_kind_of(NULL));
}

TEST(strict_reading)
{
	static const char *const bad[] = {
		/* a member too many, one missing */
		"{\"esf:fkq\":{\"own\":\"Cdev\",\"nnc\":\"" NNC "\",\"iv\":\"" IV "\","
		"\"tag\":\"" NNC "\",\"x\":1}}",
		"{\"esf:fkq\":{\"own\":\"Cdev\",\"iv\":\"" IV "\",\"tag\":\"" NNC "\"}}",
		/* lengths, padding, alphabet */
		"{\"esf:fkq\":{\"own\":\"Cdev\",\"nnc\":\"" NNC "AA\",\"iv\":\"" IV "\","
		"\"tag\":\"" NNC "\"}}",
		"{\"esf:fkq\":{\"own\":\"Cdev\",\"nnc\":\"" NNC "==\",\"iv\":\"" IV "\","
		"\"tag\":\"" NNC "\"}}",
		"{\"esf:fkq\":{\"own\":\"Cdev\",\"nnc\":\"" NNC "\",\"iv\":\"" IV "\","
		"\"tag\":\"ICEiIyQlJicoKSorLC0uL+\"}}",
		"{\"esf:fkq\":{\"own\":\"Cdev\",\"kid\":\"AAECAwQFBgcICQoLDA0O\",\"nnc\":\"" NNC
		"\",\"iv\":\"" IV "\",\"tag\":\"" NNC "\"}}",
		/* ids */
		"{\"esf:fkq\":{\"own\":\"C dev\",\"nnc\":\"" NNC "\",\"iv\":\"" IV "\","
		"\"tag\":\"" NNC "\"}}",
		"{\"esf:fkq\":{\"own\":7,\"nnc\":\"" NNC "\",\"iv\":\"" IV "\",\"tag\":\"" NNC "\"}}",
		/* two kinds in one Content, a kind that is not an object */
		"{\"esf:fkq\":{},\"esf:fkr\":{}}",
		"{\"esf:fkq\":[]}",
	};
	static const char *const bad_reg[] = {
		"{\"esf:fkr\":{\"rdr\":\"/in-cse\",\"kid\":\"" KID "\",\"lft\":-1,\"nnc\":\"" NNC
		"\",\"iv\":\"" IV "\",\"ck\":\"" KID KID "\",\"tag\":\"" NNC "\"}}",
		"{\"esf:fkr\":{\"rdr\":\"/in-cse\",\"kid\":\"" KID "\",\"lft\":\"60\",\"nnc\":\""
		NNC "\",\"iv\":\"" IV "\",\"ck\":\"" KID KID "\",\"tag\":\"" NNC "\"}}",
		"{\"esf:fkr\":{\"rdr\":\"/in-cse\",\"kid\":\"" KID "\",\"lft\":31622401,\"nnc\":\""
		NNC "\",\"iv\":\"" IV "\",\"ck\":\"" KID KID "\",\"tag\":\"" NNC "\"}}",
		/* no kid: a registration names its key */
		"{\"esf:fkr\":{\"rdr\":\"/in-cse\",\"lft\":60,\"nnc\":\"" NNC "\",\"iv\":\"" IV
		"\",\"ck\":\"" KID KID "\",\"tag\":\"" NNC "\"}}",
	};
	const char *good = "{\"esf:fkq\":{\"own\":\"Cdev\",\"nnc\":\"" NNC "\",\"iv\":\"" IV
			   "\",\"tag\":\"" NNC "\"}}";
	struct esfd_facmsg m;
	json_t *pc;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pc = json_loads(bad[i], 0, NULL);
		ASSERT_NE(NULL, pc) TH_LOG("%s", bad[i]);
		EXPECT_EQ(-EPROTO, esfd_fac_read(pc, ESFD_FAC_GET_REQ, &m)) TH_LOG("%s", bad[i]);
		json_decref(pc);
	}
	for (i = 0; i < sizeof(bad_reg) / sizeof(bad_reg[0]); i++) {
		pc = json_loads(bad_reg[i], 0, NULL);
		ASSERT_NE(NULL, pc) TH_LOG("%s", bad_reg[i]);
		EXPECT_EQ(-EPROTO, esfd_fac_read(pc, ESFD_FAC_REG_REQ, &m)) TH_LOG("%s", bad_reg[i]);
		json_decref(pc);
	}
	pc = json_loads(good, 0, NULL);
	EXPECT_EQ(0, esfd_fac_read(pc, ESFD_FAC_GET_REQ, &m));
	EXPECT_EQ(-EPROTO, esfd_fac_read(pc, ESFD_FAC_GET_ANS, &m));
	json_decref(pc);
}

TEST(store_round_trip_and_refusals)
{
	char dir[] = "/tmp/test_esfd_fac.XXXXXX", path[128], why[300];
	struct esfd_fac_key keys[3] = { 0 }, back[4];
	struct stat st;
	size_t n = 9;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store", dir);
	EXPECT_EQ(0, esfd_fac_store_load(path, 1000, back, 4, &n, why, sizeof(why)));
	EXPECT_EQ(0, n);	/* none yet */
	strcpy(keys[0].own, "Cdev");
	strcpy(keys[0].rdr, "/in-cse");
	strcpy(keys[0].kid, KID);
	fill(keys[0].key, 32, 0x40);
	keys[0].registered = 900;
	keys[0].expires = 2000;
	keys[1] = keys[0];
	strcpy(keys[1].rdr, "/mn-r2");
	keys[1].expires = 1000;	/* expired at load */
	keys[2] = keys[0];
	keys[2].key[0] = 0xff;
	ASSERT_EQ(0, esfd_fac_store_save(path, keys, 3));
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	ASSERT_EQ(0, esfd_fac_store_load(path, 1000, back, 4, &n, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(2, n);
	EXPECT_STREQ("/in-cse", back[0].rdr);
	EXPECT_EQ(0, memcmp(keys[0].key, back[0].key, 32));
	EXPECT_EQ(0xff, back[1].key[0]);
	EXPECT_EQ(2000, back[1].expires);
	EXPECT_EQ(-EFBIG, esfd_fac_store_load(path, 0, back, 2, &n, why, sizeof(why)));
	/* Readable by others: refused, and nothing read. */
	chmod(path, 0644);
	EXPECT_EQ(-EACCES, esfd_fac_store_load(path, 1000, back, 4, &n, why, sizeof(why)));
	EXPECT_EQ(0, n);
	EXPECT_NE(NULL, strstr(why, "0644"));
	/* A line that is not a key: refused at its line. */
	f = fopen(path, "a");
	ASSERT_NE(NULL, f);
	fputs("Cdev /in-cse " KID " 1 2 zz\n", f);
	fclose(f);
	chmod(path, 0600);
	EXPECT_EQ(-EINVAL, esfd_fac_store_load(path, 0, back, 4, &n, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "line 5")) TH_LOG("%s", why);
	unlink(path);
	rmdir(dir);
}

static int parse(const char *text, struct esfd_config *c, struct esfd_config_error *e)
{
	return esfd_config_parse(text, strlen(text), c, e);
}

#define HEAD "[esfd]\nid = /fac-cse\nrole = server\n"
#define KP(name, id) "[peer " name "]\nid = " id "\nrole = device\nkpsa-id = k\n" \
	"kpsa = 000102030405060708090a0b0c0d0e0f\n"

TEST(facilitator_sections)
{
	static const char good[] = HEAD KP("dev", "Cdev") KP("srv", "/in-cse") KP("r2", "/mn-r2")
		"[facilitator]\nallow = dev srv, r2\nallow = srv dev\nkey-lifetime = 2h\n"
		"store = /var/lib/esfd/keys\n";
	static const char client[] = "[esfd]\nid = Cdev\nrole = device\n"
		KP("fac", "/fac-cse")
		"[peer srv]\nid = /in-cse\nrole = server\ncredential = facilitator\n"
		"facilitator = fac\nfacilitator-role = register\n";
	struct esfd_config c;
	struct esfd_config_error e;

	ASSERT_EQ(0, parse(good, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	ASSERT_NE(NULL, c.fac);
	EXPECT_EQ(2, c.fac->n_allow);
	EXPECT_EQ(7200, c.fac->key_lifetime);
	EXPECT_STREQ("/var/lib/esfd/keys", c.fac->store);
	EXPECT_TRUE(esfd_fac_allowed(&c, 0, 1));
	EXPECT_TRUE(esfd_fac_allowed(&c, 0, 2));
	EXPECT_TRUE(esfd_fac_allowed(&c, 1, 0));
	EXPECT_FALSE(esfd_fac_allowed(&c, 1, 2));
	EXPECT_FALSE(esfd_fac_allowed(&c, 2, 0));
	esfd_config_free(&c);
	ASSERT_EQ(0, parse(client, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_EQ(NULL, c.fac);
	EXPECT_TRUE(c.peers[1].fac);
	EXPECT_TRUE(c.peers[1].fac_register);
	EXPECT_EQ(0, c.peers[1].fac_peer);
	EXPECT_EQ(0, c.peers[1].kpsa_len);
	EXPECT_TRUE(esfd_peer_runtime_key(&c.peers[1]));
	EXPECT_FALSE(esfd_peer_runtime_key(&c.peers[0]));
	esfd_config_free(&c);
}

TEST(facilitator_errors_name_the_line)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *msg;
	} bad[] = {
		{ HEAD KP("dev", "Cdev") "[facilitator]\nallow = dev nobody\n", 10,
		  "no [peer nobody]" },
		{ HEAD KP("dev", "Cdev") KP("srv", "/in-cse")
		  "[facilitator]\nallow = dev srv\nallow = dev srv\n", 16, "already has its readers" },
		{ HEAD KP("dev", "Cdev") KP("srv", "/in-cse")
		  "[facilitator]\nallow = dev srv srv\n", 15, "listed twice" },
		{ HEAD KP("dev", "Cdev") "[facilitator]\nallow = dev dev\n", 10, "the owner" },
		{ HEAD KP("dev", "Cdev") "[facilitator]\nallow = dev\n", 10, "no reader" },
		{ HEAD KP("dev", "Cdev") "[facilitator]\nkey-lifetime = 1d\n", 9,
		  "needs at least one" },
		{ HEAD KP("dev", "Cdev") "[facilitator]\nallow = dev x\nkey-lifetime = 30s\n", 11,
		  "out of range" },
		{ HEAD "[facilitator]\nallow = a b\n[facilitator]\n", 6, "already defined" },
		{ HEAD "[facilitator name]\n", 4, "takes no name" },
		{ HEAD KP("fac", "/f") "[peer srv]\nid = /in-cse\nrole = server\n"
		  "credential = facilitator\nfacilitator = nope\nfacilitator-role = retrieve\n", 13, "no [peer nope]" },
		{ HEAD "[peer srv]\nid = /in-cse\nrole = server\ncredential = facilitator\n"
		  "facilitator = srv\nfacilitator-role = retrieve\n", 8, "credential = kpsa peer" },
		{ HEAD KP("fac", "/f") "[peer srv]\nid = /in-cse\nrole = server\n"
		  "credential = facilitator\nfacilitator = fac\n", 9, "facilitator-role" },
		{ HEAD KP("fac", "/f") "[peer srv]\nid = /in-cse\nrole = server\n"
		  "credential = facilitator\nfacilitator = fac\nfacilitator-role = send\n", 14,
		  "register or retrieve" },
		{ HEAD KP("fac", "/f") "[peer srv]\nid = /in-cse\nrole = server\n"
		  "credential = facilitator\nfacilitator = fac\nfacilitator-role = register\n"
		  "kpsa-id = k\n", 15, "is for credential = kpsa" },
		{ HEAD "[peer fac]\nid = /f\nrole = server\nkpsa-id = k\nfacilitator = x\n"
		  "kpsa = 000102030405060708090a0b0c0d0e0f\n", 8, "is for credential = facilitator" },
		{ HEAD "[peer fac]\nid = /f\nrole = server\ncredential = third-party\n", 7,
		  "kpsa, certificate or facilitator" },
	};
	struct esfd_config c;
	struct esfd_config_error e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, parse(bad[i].text, &c, &e)) TH_LOG("%zu", i);
		EXPECT_EQ(bad[i].line, e.line) TH_LOG("%zu: %u: %s", i, e.line, e.msg);
		EXPECT_NE(NULL, strstr(e.msg, bad[i].msg)) TH_LOG("%zu: %s", i, e.msg);
		esfd_config_free(&c);
	}
}

TEST_HARNESS_MAIN
