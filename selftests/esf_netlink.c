// SPDX-License-Identifier: GPL-2.0
/*
 * The esf control plane: the "esf" generic netlink family.
 *
 * Sessions are created, read, dumped, deleted and flushed; every attribute
 * is refused when out of range or of the wrong length, leaving the table as
 * it was; callers without CAP_NET_ADMIN are refused; keys never come back
 * in any byte the kernel sends; time lifetimes raise events; the module
 * unloads with sessions present; a virtio-crypto session reports itself as
 * hardware.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "esf_nl.h"
#include "esf_util.h"

static const uint8_t salt[ESF_SALT_LEN] = { 0x5a, 0x17, 0x5a, 0x17 };

/* Start a SESSION_NEW with the attributes every test needs. */
static void new_msg(struct esf_nl *nl, struct esf_msg *m, const char *alg,
		    const uint8_t *key, size_t key_len)
{
	esf_msg_init(m, nl->family, 0, ESF_CMD_SESSION_NEW);
	esf_put_str(m, ESF_A_ALG, alg);
	esf_put(m, ESF_A_KEY, key, key_len);
	if (strncmp(alg, "hmac(", 5))
		esf_put(m, ESF_A_SALT, salt, sizeof(salt));
}

static int add_session(struct esf_nl *nl, const char *alg, const uint8_t *key,
		       size_t key_len, uint32_t *id)
{
	struct esf_msg m;

	new_msg(nl, &m, alg, key, key_len);
	return esf_nl_new_session(nl, &m, id);
}

static int get_session(struct esf_nl *nl, uint32_t id, struct esf_msg *reply)
{
	struct esf_msg m;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_GET);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	return esf_nl_do(nl, &m, reply);
}

static int del_session(struct esf_nl *nl, uint32_t id)
{
	struct esf_msg m;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_DEL);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	return esf_nl_do(nl, &m, NULL);
}

static int flush(struct esf_nl *nl, uint32_t *flushed)
{
	const struct nlattr *tb[ESF_A_MAX + 1];
	struct esf_msg m, reply;
	int err;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_FLUSH);
	err = esf_nl_do(nl, &m, &reply);
	if (!err && flushed) {
		esf_parse(&reply.nlh, tb, ESF_A_MAX);
		*flushed = tb[ESF_A_FLUSHED] ? esf_get_u32(tb[ESF_A_FLUSHED]) : UINT32_MAX;
	}
	return err;
}

struct count {
	unsigned long n;
	uint32_t max_id;
	unsigned char *seen;	/* optional: one byte per id, up to max_id */
	unsigned long dups;
};

static void count_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[ESF_A_MAX + 1];
	struct count *c = arg;
	uint32_t id;

	esf_parse(nlh, tb, ESF_A_MAX);
	if (!tb[ESF_A_SESSION_ID])
		return;
	id = esf_get_u32(tb[ESF_A_SESSION_ID]);
	c->n++;
	if (c->seen && id <= c->max_id && c->seen[id]++)
		c->dups++;
}

static long count_sessions(struct esf_nl *nl)
{
	struct count c = { 0 };
	struct esf_msg m;
	int err;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_GET);
	err = esf_nl_dump(nl, &m, count_one, &c);
	return err ? err : (long)c.n;
}

static void key_fill(uint8_t *key, size_t len)
{
	if (getrandom(key, len, 0) != (ssize_t)len)
		memset(key, 0xa5, len);
}

FIXTURE(nl) {
	struct esf_nl nl;
	uint8_t key[32];
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, esf_module_ensure_loaded()) TH_LOG("load esf.ko: %s", strerror(errno));
	ASSERT_EQ(0, esf_nl_open(&self->nl));
	ASSERT_EQ(0, flush(&self->nl, NULL));
	key_fill(self->key, sizeof(self->key));
}

FIXTURE_TEARDOWN(nl)
{
	flush(&self->nl, NULL);
	esf_nl_close(&self->nl);
}

/* Every attribute given comes back; the key and only the key does not. */
TEST_F(nl, create_reports_everything_but_the_key)
{
	const struct nlattr *tb[ESF_A_MAX + 1], *lt[ESF_LIFETIME_A_MAX + 1];
	const struct nlattr *st[ESF_STATS_A_MAX + 1];
	struct esf_msg m, reply, got;
	struct nlattr *n;
	int pass;

	new_msg(&self->nl, &m, "gcm(aes)", self->key, 16);
	esf_put_u32(&m, ESF_A_SESSION_ID, 77);
	esf_put_u8(&m, ESF_A_DIRECTION, ESF_DIR_OPEN);
	esf_put_u8(&m, ESF_A_TAG_LEN, 12);
	esf_put(&m, ESF_A_KEY_ID, "kid-77", 6);
	esf_put_u32(&m, ESF_A_REPLAY_WINDOW, 4096);
	esf_put_u64(&m, ESF_A_SEQ_START, 1000);
	n = esf_nest_start(&m, ESF_A_LIFETIME_SOFT);
	esf_put_u64(&m, ESF_LIFETIME_A_MESSAGES, 10);
	esf_put_u64(&m, ESF_LIFETIME_A_SECONDS, 100);
	esf_nest_end(&m, n);
	n = esf_nest_start(&m, ESF_A_LIFETIME_HARD);
	esf_put_u64(&m, ESF_LIFETIME_A_BYTES, 1 << 20);
	esf_nest_end(&m, n);
	esf_put_u8(&m, ESF_A_SESSION_TYPE, ESF_STYPE_S2);
	esf_put_u8(&m, ESF_A_DATA_CLASS, 1);
	esf_put_u32(&m, ESF_A_OWNER_UID, 1234);
	esf_put_u32(&m, ESF_A_OWNER_GID, 5678);
	ASSERT_EQ(0, esf_nl_do(&self->nl, &m, &reply)) TH_LOG("%s", self->nl.errmsg);
	ASSERT_EQ(0, get_session(&self->nl, 77, &got));

	for (pass = 0; pass < 2; pass++) {
		esf_parse(pass ? &got.nlh : &reply.nlh, tb, ESF_A_MAX);
		EXPECT_EQ(NULL, tb[ESF_A_KEY]);
		ASSERT_NE(NULL, tb[ESF_A_SESSION_ID]);
		EXPECT_EQ(77, esf_get_u32(tb[ESF_A_SESSION_ID]));
		EXPECT_STREQ("gcm(aes)", esf_attr_data(tb[ESF_A_ALG]));
		ASSERT_NE(NULL, tb[ESF_A_DRIVER]);
		EXPECT_LT(1, esf_attr_len(tb[ESF_A_DRIVER]));
		EXPECT_EQ(16, esf_get_u32(tb[ESF_A_KEY_LEN]));
		EXPECT_EQ(0, memcmp(salt, esf_attr_data(tb[ESF_A_SALT]), sizeof(salt)));
		EXPECT_EQ(ESF_DIR_OPEN, esf_get_u8(tb[ESF_A_DIRECTION]));
		EXPECT_EQ(12, esf_get_u8(tb[ESF_A_TAG_LEN]));
		EXPECT_EQ(6, esf_attr_len(tb[ESF_A_KEY_ID]));
		EXPECT_EQ(0, memcmp("kid-77", esf_attr_data(tb[ESF_A_KEY_ID]), 6));
		EXPECT_EQ(4096, esf_get_u32(tb[ESF_A_REPLAY_WINDOW]));
		EXPECT_EQ(1000, esf_get_u64(tb[ESF_A_SEQ_START]));
		EXPECT_EQ(1000, esf_get_u64(tb[ESF_A_SEQ_NEXT]));
		EXPECT_EQ(ESF_STYPE_S2, esf_get_u8(tb[ESF_A_SESSION_TYPE]));
		EXPECT_EQ(1, esf_get_u8(tb[ESF_A_DATA_CLASS]));
		EXPECT_EQ(1234, esf_get_u32(tb[ESF_A_OWNER_UID]));
		EXPECT_EQ(5678, esf_get_u32(tb[ESF_A_OWNER_GID]));
		EXPECT_EQ(0, esf_get_u32(tb[ESF_A_FLAGS]));
		EXPECT_EQ(0, esf_get_u32(tb[ESF_A_PROVIDER]) & ESF_PROVIDER_PINNED);
		EXPECT_EQ(ESF_STATE_ACTIVE, esf_get_u8(tb[ESF_A_STATE]));
		ASSERT_NE(NULL, tb[ESF_A_LIFETIME_SOFT]);
		esf_parse_nested(tb[ESF_A_LIFETIME_SOFT], lt, ESF_LIFETIME_A_MAX);
		EXPECT_EQ(10, esf_get_u64(lt[ESF_LIFETIME_A_MESSAGES]));
		EXPECT_EQ(0, esf_get_u64(lt[ESF_LIFETIME_A_BYTES]));
		EXPECT_EQ(100, esf_get_u64(lt[ESF_LIFETIME_A_SECONDS]));
		esf_parse_nested(tb[ESF_A_LIFETIME_HARD], lt, ESF_LIFETIME_A_MAX);
		EXPECT_EQ(1 << 20, esf_get_u64(lt[ESF_LIFETIME_A_BYTES]));
		ASSERT_NE(NULL, tb[ESF_A_USAGE]);
		ASSERT_NE(NULL, tb[ESF_A_STATS]);
		esf_parse_nested(tb[ESF_A_STATS], st, ESF_STATS_A_MAX);
		EXPECT_NE(NULL, st[ESF_STATS_A_SEAL]);
		EXPECT_EQ(0, esf_get_u64(st[ESF_STATS_A_SEAL]));
		EXPECT_NE(NULL, st[ESF_STATS_A_EXPIRE_EVENTS]);
	}
}

TEST_F(nl, kernel_assigns_distinct_ids)
{
	uint32_t a = 0, b = 0, c = 0;

	ASSERT_EQ(0, add_session(&self->nl, "gcm(aes)", self->key, 16, &a));
	ASSERT_EQ(0, add_session(&self->nl, "ccm(aes)", self->key, 16, &b));
	ASSERT_EQ(0, add_session(&self->nl, "hmac(sha256)", self->key, 32, &c));
	EXPECT_NE(0, a);
	EXPECT_NE(a, b);
	EXPECT_NE(b, c);
	EXPECT_NE(a, c);
	EXPECT_EQ(3, count_sessions(&self->nl));
}

TEST_F(nl, duplicate_id_is_refused)
{
	struct esf_msg m;

	new_msg(&self->nl, &m, "gcm(aes)", self->key, 16);
	esf_put_u32(&m, ESF_A_SESSION_ID, 9);
	ASSERT_EQ(0, esf_nl_do(&self->nl, &m, NULL));
	new_msg(&self->nl, &m, "gcm(aes)", self->key, 16);
	esf_put_u32(&m, ESF_A_SESSION_ID, 9);
	EXPECT_EQ(-EEXIST, esf_nl_do(&self->nl, &m, NULL));
	EXPECT_STREQ("esf: session id in use", self->nl.errmsg);
	EXPECT_EQ(1, count_sessions(&self->nl));
}

TEST_F(nl, delete_and_get)
{
	struct esf_msg reply;
	uint32_t id;

	ASSERT_EQ(0, add_session(&self->nl, "gcm(aes)", self->key, 32, &id));
	ASSERT_EQ(0, get_session(&self->nl, id, &reply));
	ASSERT_EQ(0, del_session(&self->nl, id));
	EXPECT_EQ(-ENOENT, get_session(&self->nl, id, &reply));
	EXPECT_STREQ("esf: no such session", self->nl.errmsg);
	EXPECT_EQ(-ENOENT, del_session(&self->nl, id));
	EXPECT_EQ(0, count_sessions(&self->nl));
}

TEST_F(nl, flush_reports_count)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, add_session(&self->nl, "gcm(aes)", self->key, 16, NULL));
	ASSERT_EQ(0, flush(&self->nl, &n));
	EXPECT_EQ(5, n);
	EXPECT_EQ(0, count_sessions(&self->nl));
	ASSERT_EQ(0, flush(&self->nl, &n));
	EXPECT_EQ(0, n);
}

/* Bad input ------------------------------------------------------------- */

/* Each variant spoils one thing in an otherwise valid SESSION_NEW. */
FIXTURE(bad) {
	struct esf_nl nl;
	uint8_t key[200];
};

FIXTURE_VARIANT(bad) {
	const char *alg;	/* NULL: gcm(aes) */
	size_t key_len;		/* 0: 16 bytes */
	bool no_key;
	bool no_salt;
	bool no_alg;
	void (*spoil)(struct esf_msg *m);
	int err;
	const char *msg;	/* expected extended-ack message, if not NULL */
};

FIXTURE_SETUP(bad)
{
	ASSERT_EQ(0, esf_module_ensure_loaded());
	ASSERT_EQ(0, esf_nl_open(&self->nl));
	ASSERT_EQ(0, flush(&self->nl, NULL));
	key_fill(self->key, sizeof(self->key));
	/* One session that must survive every refused request. */
	ASSERT_EQ(0, add_session(&self->nl, "gcm(aes)", self->key, 16, NULL));
}

FIXTURE_TEARDOWN(bad)
{
	flush(&self->nl, NULL);
	esf_nl_close(&self->nl);
}

static void salt_3(struct esf_msg *m) { esf_put(m, ESF_A_SALT, "abc", 3); }
static void salt_5(struct esf_msg *m) { esf_put(m, ESF_A_SALT, "abcde", 5); }
static void salt_4(struct esf_msg *m) { esf_put(m, ESF_A_SALT, "abcd", 4); }
static void alg_no_nul(struct esf_msg *m) { esf_put(m, ESF_A_ALG, "gcm(aes)", 8); }
static void alg_too_long(struct esf_msg *m)
{
	char s[200];

	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	esf_put(m, ESF_A_ALG, s, sizeof(s));
}
static void driver_none(struct esf_msg *m) { esf_put_str(m, ESF_A_DRIVER, "no-such-driver"); }
static void driver_wrong(struct esf_msg *m) { esf_put_str(m, ESF_A_DRIVER, "ccm(aes)"); }
static void driver_mixed(struct esf_msg *m)
{
	char name[64];

	snprintf(name, sizeof(name), "gcm_base(ctr(aes),%s)", esf_sw_ghash());
	esf_put_str(m, ESF_A_DRIVER, name);
}
static void dir_0(struct esf_msg *m) { esf_put_u8(m, ESF_A_DIRECTION, 0); }
static void dir_4(struct esf_msg *m) { esf_put_u8(m, ESF_A_DIRECTION, 4); }
static void dir_u32(struct esf_msg *m) { esf_put_u32(m, ESF_A_DIRECTION, ESF_DIR_BOTH); }
static void tag_3(struct esf_msg *m) { esf_put_u8(m, ESF_A_TAG_LEN, 3); }
static void tag_65(struct esf_msg *m) { esf_put_u8(m, ESF_A_TAG_LEN, 65); }
static void tag_10(struct esf_msg *m) { esf_put_u8(m, ESF_A_TAG_LEN, 10); }
static void kid_65(struct esf_msg *m)
{
	char kid[65];

	memset(kid, 'k', sizeof(kid));
	esf_put(m, ESF_A_KEY_ID, kid, sizeof(kid));
}
static void window_big(struct esf_msg *m) { esf_put_u32(m, ESF_A_REPLAY_WINDOW, 65537); }
static void seq_u32(struct esf_msg *m) { esf_put_u32(m, ESF_A_SEQ_START, 1); }
static void life_seconds(struct esf_msg *m)
{
	struct nlattr *n = esf_nest_start(m, ESF_A_LIFETIME_HARD);

	esf_put_u64(m, ESF_LIFETIME_A_SECONDS, ESF_LIFETIME_SECONDS_MAX + 1ULL);
	esf_nest_end(m, n);
}
static void life_garbage(struct esf_msg *m) { esf_put(m, ESF_A_LIFETIME_SOFT, "xyz", 3); }
static void life_bad_member(struct esf_msg *m)
{
	struct nlattr *n = esf_nest_start(m, ESF_A_LIFETIME_SOFT);

	esf_put_u32(m, ESF_LIFETIME_A_MESSAGES, 5);
	esf_nest_end(m, n);
}
static void stype_4(struct esf_msg *m) { esf_put_u8(m, ESF_A_SESSION_TYPE, 4); }
static void class_4(struct esf_msg *m) { esf_put_u8(m, ESF_A_DATA_CLASS, 4); }
static void flags_unknown(struct esf_msg *m) { esf_put_u32(m, ESF_A_FLAGS, 1U << 7); }
static void uid_unmapped(struct esf_msg *m) { esf_put_u32(m, ESF_A_OWNER_UID, UINT32_MAX); }
static void gid_unmapped(struct esf_msg *m) { esf_put_u32(m, ESF_A_OWNER_GID, UINT32_MAX); }
static void out_stats(struct esf_msg *m) { esf_put(m, ESF_A_STATS, NULL, 0); }
static void out_provider(struct esf_msg *m) { esf_put_u32(m, ESF_A_PROVIDER, ESF_PROVIDER_HW); }
static void out_state(struct esf_msg *m) { esf_put_u8(m, ESF_A_STATE, ESF_STATE_ACTIVE); }
static void out_key_len(struct esf_msg *m) { esf_put_u32(m, ESF_A_KEY_LEN, 16); }
static void unknown_attr(struct esf_msg *m) { esf_put_u32(m, ESF_A_MAX + 1, 0); }
static void require_hw(struct esf_msg *m) { esf_put_u32(m, ESF_A_FLAGS, ESF_F_REQUIRE_HW); }
static void reserved_byte(struct esf_msg *m)
{
	((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->reserved = 1;
}
static void id_u8(struct esf_msg *m) { esf_put_u8(m, ESF_A_SESSION_ID, 3); }

#define BAD(name, ...) FIXTURE_VARIANT_ADD(bad, name) { __VA_ARGS__ }

BAD(salt_short, .spoil = salt_3, .err = -ERANGE);
BAD(salt_long, .spoil = salt_5, .err = -ERANGE);
BAD(aead_without_salt, .no_salt = true, .err = -EINVAL, .msg = "esf: AEAD sessions need ESF_A_SALT");
BAD(mic_with_salt, .alg = "hmac(sha256)", .key_len = 32, .spoil = salt_3, .err = -ERANGE);
BAD(mic_with_good_salt, .alg = "hmac(sha256)", .key_len = 32, .spoil = salt_4, .err = -EINVAL,
    .msg = "esf: MIC sessions take no salt");
BAD(key_missing, .no_key = true, .err = -EINVAL, .msg = "esf: ESF_A_KEY is required");
BAD(key_15, .key_len = 15, .err = -ERANGE);
BAD(key_17, .key_len = 17, .err = -EINVAL, .msg = "esf: key length does not fit the algorithm");
BAD(key_129, .key_len = 129, .err = -ERANGE);
BAD(key_authenc_40, .alg = "authenc(hmac(sha256),cbc(aes))", .key_len = 40, .err = -EINVAL,
    .msg = "esf: key length does not fit the algorithm");
BAD(key_hmac_short, .alg = "hmac(sha512)", .key_len = 32, .err = -EINVAL,
    .msg = "esf: key length does not fit the algorithm");
BAD(alg_missing, .no_alg = true, .err = -EINVAL, .msg = "esf: ESF_A_ALG is required");
BAD(alg_unknown, .alg = "gcm(des)", .err = -ENOENT, .msg = "esf: unsupported algorithm");
BAD(alg_not_terminated, .no_alg = true, .spoil = alg_no_nul, .err = -EINVAL);
BAD(alg_too_long, .no_alg = true, .spoil = alg_too_long, .err = -EINVAL);
BAD(driver_unknown, .spoil = driver_none, .err = -ENOENT,
    .msg = "esf: no such driver for this kind of algorithm");
BAD(driver_mixed_names, .spoil = driver_mixed, .err = -ENOENT,
    .msg = "esf: no such driver (name inner drivers too)");
BAD(driver_other_alg, .spoil = driver_wrong, .err = -EINVAL,
    .msg = "esf: driver does not implement the session's algorithm");
BAD(direction_0, .spoil = dir_0, .err = -ERANGE);
BAD(direction_4, .spoil = dir_4, .err = -ERANGE);
BAD(direction_wrong_size, .spoil = dir_u32, .err = -EINVAL);
BAD(tag_3, .spoil = tag_3, .err = -ERANGE);
BAD(tag_65, .spoil = tag_65, .err = -ERANGE);
BAD(tag_10_for_gcm, .spoil = tag_10, .err = -EINVAL,
    .msg = "esf: tag length not supported by the algorithm");
BAD(key_id_65, .spoil = kid_65, .err = -ERANGE);
BAD(replay_window_65537, .spoil = window_big, .err = -ERANGE);
BAD(seq_start_wrong_size, .spoil = seq_u32, .err = -EINVAL);
BAD(lifetime_seconds_too_long, .spoil = life_seconds, .err = -ERANGE);
BAD(lifetime_not_nested, .spoil = life_garbage, .err = -EINVAL);
BAD(lifetime_member_wrong_size, .spoil = life_bad_member, .err = -EINVAL);
BAD(session_type_4, .spoil = stype_4, .err = -ERANGE);
BAD(data_class_4, .spoil = class_4, .err = -ERANGE);
BAD(flags_unknown_bit, .spoil = flags_unknown, .err = -EINVAL);
BAD(owner_uid_unmapped, .spoil = uid_unmapped, .err = -EINVAL,
    .msg = "esf: owner uid not mapped in the caller's user namespace");
BAD(owner_gid_unmapped, .spoil = gid_unmapped, .err = -EINVAL,
    .msg = "esf: owner gid not mapped in the caller's user namespace");
BAD(output_only_stats, .spoil = out_stats, .err = -EINVAL,
    .msg = "esf: attribute is reported, not set");
BAD(output_only_provider, .spoil = out_provider, .err = -EINVAL,
    .msg = "esf: attribute is reported, not set");
BAD(output_only_state, .spoil = out_state, .err = -EINVAL,
    .msg = "esf: attribute is reported, not set");
BAD(output_only_key_len, .spoil = out_key_len, .err = -EINVAL,
    .msg = "esf: attribute is reported, not set");
BAD(unknown_attribute, .spoil = unknown_attr, .err = -EINVAL);
BAD(require_hw_on_cpu, .spoil = require_hw, .err = -ENODEV,
    .msg = "esf: required hardware, but the provider runs on the CPU");
BAD(reserved_header_byte, .spoil = reserved_byte, .err = -EINVAL);
BAD(session_id_wrong_size, .spoil = id_u8, .err = -EINVAL);

TEST_F(bad, refused_and_table_unchanged)
{
	struct esf_msg m;
	const char *alg = variant->alg ?: "gcm(aes)";
	size_t key_len = variant->no_key ? 0 : variant->key_len ?: 16;

	esf_msg_init(&m, self->nl.family, 0, ESF_CMD_SESSION_NEW);
	if (!variant->no_alg)
		esf_put_str(&m, ESF_A_ALG, alg);
	if (key_len)
		esf_put(&m, ESF_A_KEY, self->key, key_len);
	if (!variant->no_salt && strncmp(alg, "hmac(", 5))
		esf_put(&m, ESF_A_SALT, salt, sizeof(salt));
	if (variant->spoil)
		variant->spoil(&m);

	self->nl.tap = true;
	EXPECT_EQ(variant->err, esf_nl_do(&self->nl, &m, NULL)) TH_LOG("ext-ack: %s",
									self->nl.errmsg);
	/* Every refusal says why. */
	EXPECT_NE('\0', self->nl.errmsg[0]);
	if (variant->msg)
		EXPECT_STREQ(variant->msg, self->nl.errmsg);
	/* The error ack does not carry the key back. */
	if (key_len >= 8)
		EXPECT_FALSE(esf_nl_tapped_has(&self->nl, self->key, 8));
	self->nl.tap = false;
	EXPECT_EQ(1, count_sessions(&self->nl));
}

static void ignore_msg(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
}

/*
 * Dumps are as strict about the reserved header bytes as requests. (The
 * refusal carries a message where genetlink makes the check itself; 5.10's
 * gives a dump's start no extended ack to write it to.)
 */
TEST_F(nl, dump_with_reserved_header_byte_refused)
{
	struct esf_msg m;

	ASSERT_EQ(0, add_session(&self->nl, "gcm(aes)", self->key, 16, NULL));
	esf_msg_init(&m, self->nl.family, 0, ESF_CMD_SESSION_GET);
	reserved_byte(&m);
	EXPECT_EQ(-EINVAL, esf_nl_dump(&self->nl, &m, ignore_msg, NULL));
	EXPECT_EQ(1, count_sessions(&self->nl));
}

/* Privileges -------------------------------------------------------------- */

/* Start @fn in a child process as uid/gid nobody, without capabilities. */
static pid_t as_nobody_start(int (*fn)(void *arg), void *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(fn(arg));
	}
	return pid;
}

/* Its exit status. */
static int as_nobody_wait(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Run @fn as nobody; its exit status. */
static int as_nobody(int (*fn)(void *arg), void *arg)
{
	return as_nobody_wait(as_nobody_start(fn, arg));
}

struct unpriv {
	uint32_t root_id;
	uint32_t nobody_id;
};

/* Returns 0 if every check holds, else the number of the failed check. */
static int unpriv_checks(void *arg)
{
	struct unpriv *u = arg;
	struct esf_msg m, reply;
	struct esf_nl nl;
	uint8_t key[16] = { 1 };

	if (esf_nl_open(&nl))
		return 1;
	new_msg(&nl, &m, "gcm(aes)", key, sizeof(key));
	if (esf_nl_do(&nl, &m, NULL) != -EPERM)
		return 2;
	if (del_session(&nl, u->root_id) != -EPERM)
		return 3;
	esf_msg_init(&m, nl.family, 0, ESF_CMD_SESSION_FLUSH);
	if (esf_nl_do(&nl, &m, NULL) != -EPERM)
		return 4;
	/* Sessions it may not use do not exist for it... */
	if (get_session(&nl, u->root_id, &reply) != -ENOENT)
		return 5;
	/* ...its own do, in GET and in dumps. */
	if (get_session(&nl, u->nobody_id, &reply))
		return 6;
	if (count_sessions(&nl) != 1)
		return 7;
	esf_nl_close(&nl);
	return 0;
}

TEST_F(nl, unprivileged_callers_refused)
{
	struct unpriv u;
	struct esf_msg m, reply;
	const struct nlattr *tb[ESF_A_MAX + 1];

	ASSERT_EQ(0, add_session(&self->nl, "gcm(aes)", self->key, 16, &u.root_id));
	new_msg(&self->nl, &m, "gcm(aes)", self->key, 16);
	esf_put_u32(&m, ESF_A_OWNER_UID, 65534);
	ASSERT_EQ(0, esf_nl_do(&self->nl, &m, &reply));
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	u.nobody_id = esf_get_u32(tb[ESF_A_SESSION_ID]);
	EXPECT_EQ(0, as_nobody(unpriv_checks, &u));
	EXPECT_EQ(2, count_sessions(&self->nl));
}

/*
 * Events name sessions and key ids: administrators only. Where the kernel
 * has GENL_MCAST_CAP_NET_ADMIN it refuses the group to anyone else; where
 * it lets anyone join (5.10), esf must deliver them nothing. An event that
 * reached the administrator's socket has been queued to every listener
 * already (netlink_broadcast() delivers in the sender's context), so the
 * other listener's queue is read once the administrator has it.
 */
struct unpriv_listener {
	int ready[2], sent[2];
};

static int unpriv_listen(void *arg)
{
	struct unpriv_listener *l = arg;
	unsigned char buf[ESF_NL_BUF];
	struct esf_nl nl;
	char c = 'r';
	ssize_t n;
	int err;

	if (esf_nl_open(&nl))
		return 1;
	err = esf_nl_subscribe(&nl);
	if (err == -EPERM)
		c = 'p';
	else if (err)
		return 2;
	if (write(l->ready[1], &c, 1) != 1)
		return 3;
	if (c == 'p')
		return 0;
	if (read(l->sent[0], &c, 1) != 1)
		return 4;
	n = recv(nl.fd, buf, sizeof(buf), MSG_DONTWAIT);
	esf_nl_close(&nl);
	return n < 0 && errno == EAGAIN ? 0 : 5;
}

TEST_F(nl, events_reach_administrators_only)
{
	struct unpriv_listener l;
	struct esf_event e;
	struct esf_nl ev;
	uint32_t id;
	char c = 0;
	pid_t pid;
	int rc;

	ASSERT_EQ(0, pipe(l.ready));
	ASSERT_EQ(0, pipe(l.sent));
	ASSERT_EQ(0, esf_nl_open(&ev));
	ASSERT_EQ(0, esf_nl_subscribe(&ev));
	pid = as_nobody_start(unpriv_listen, &l);
	ASSERT_LT(0, pid);
	/* Ends of the pipes the child holds: its death reads as EOF. */
	close(l.ready[1]);
	close(l.sent[0]);
	ASSERT_EQ(1, read(l.ready[0], &c, 1)) TH_LOG("listener exited %d", as_nobody_wait(pid));
	if (c == 'r') {
		ASSERT_EQ(0, add_session(&self->nl, "gcm(aes)", self->key, 16, &id));
		ASSERT_EQ(0, esf_nl_next_event(&ev, &e, 5));
		EXPECT_EQ(ESF_CMD_SESSION_NEW, e.cmd);
		EXPECT_EQ(id, e.id);
		ASSERT_EQ(1, write(l.sent[1], "s", 1));
	}
	rc = as_nobody_wait(pid);
	EXPECT_EQ(0, rc) TH_LOG("check %d of the unprivileged listener failed", rc);
	if (!rc)
		ksft_print_msg("an unprivileged listener %s\n", c == 'p' ?
			       "may not join the events group" :
			       "may join the events group (no GENL_MCAST_CAP_NET_ADMIN) and gets no event");
	fflush(stdout);
	esf_nl_close(&ev);
	close(l.ready[0]);
	close(l.sent[1]);
}

/* The in-kernel bench loop ------------------------------------------------- */

/* ESF_CMD_SESSION_BENCH on @id; 0 and *nsec, or -errno (nl->errmsg). */
static int bench(struct esf_nl *nl, uint32_t id, int size, int aad, int iter, uint64_t *nsec)
{
	const struct nlattr *tb[ESF_A_MAX + 1], *b[ESF_BENCH_A_MAX + 1];
	struct esf_msg m, reply;
	struct nlattr *nest;
	int err;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_BENCH);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	nest = esf_nest_start(&m, ESF_A_BENCH);
	if (size >= 0)
		esf_put_u32(&m, ESF_BENCH_A_SIZE, (uint32_t)size);
	if (aad >= 0)
		esf_put_u32(&m, ESF_BENCH_A_AAD_LEN, (uint32_t)aad);
	if (iter >= 0)
		esf_put_u32(&m, ESF_BENCH_A_ITERATIONS, (uint32_t)iter);
	esf_nest_end(&m, nest);
	err = esf_nl_do(nl, &m, &reply);
	if (err)
		return err;
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	if (!tb[ESF_A_BENCH] || !tb[ESF_A_SESSION_ID] || esf_get_u32(tb[ESF_A_SESSION_ID]) != id)
		return -EPROTO;
	esf_parse_nested(tb[ESF_A_BENCH], b, ESF_BENCH_A_MAX);
	if (!b[ESF_BENCH_A_NSEC] || !b[ESF_BENCH_A_ITERATIONS] ||
	    esf_get_u32(b[ESF_BENCH_A_ITERATIONS]) != (uint32_t)iter)
		return -EPROTO;
	*nsec = esf_get_u64(b[ESF_BENCH_A_NSEC]);
	return 0;
}

static int bench_as_nobody(void *arg)
{
	struct esf_nl nl;
	uint64_t nsec;
	int err;

	if (esf_nl_open(&nl))
		return 1;
	err = bench(&nl, *(uint32_t *)arg, 64, 0, 1, &nsec);
	esf_nl_close(&nl);
	return err == -EPERM ? 0 : 2;
}

TEST_F(nl, bench_loop_refusals_and_reply)
{
	uint32_t gcm, ccm, mic, rfc;
	uint64_t nsec = 0, seq_before, seq_after;
	struct esf_msg reply;
	const struct nlattr *tb[ESF_A_MAX + 1];

	ASSERT_EQ(0, add_session(&self->nl, "gcm(aes)", self->key, 16, &gcm));
	ASSERT_EQ(0, add_session(&self->nl, "ccm(aes)", self->key, 16, &ccm));
	ASSERT_EQ(0, add_session(&self->nl, "hmac(sha256)", self->key, 32, &mic));
	ASSERT_EQ(0, add_session(&self->nl, "rfc4106(gcm(aes))", self->key, 16, &rfc));
	ASSERT_EQ(0, get_session(&self->nl, gcm, &reply));
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	seq_before = esf_get_u64(tb[ESF_A_SEQ_NEXT]);

	EXPECT_EQ(0, bench(&self->nl, gcm, 1024, 16, 100, &nsec));
	EXPECT_LT(0, nsec);
	EXPECT_EQ(0, bench(&self->nl, ccm, 0, 0, 10, &nsec));
	EXPECT_EQ(0, bench(&self->nl, mic, ESF_MAX_DATA, 0, 3, &nsec));
	/* It takes no sequence number and counts nowhere. */
	ASSERT_EQ(0, get_session(&self->nl, gcm, &reply));
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	seq_after = esf_get_u64(tb[ESF_A_SEQ_NEXT]);
	EXPECT_EQ(seq_before, seq_after);

	EXPECT_EQ(-EINVAL, bench(&self->nl, gcm, -1, 0, 1, &nsec));
	EXPECT_STREQ("esf: bench needs a size and an iteration count", self->nl.errmsg);
	EXPECT_EQ(-EINVAL, bench(&self->nl, gcm, 64, 0, -1, &nsec));
	/* Out of the policy's ranges: -ERANGE, as for every range in the family. */
	EXPECT_EQ(-ERANGE, bench(&self->nl, gcm, 64, 0, 0, &nsec));
	EXPECT_EQ(-ERANGE, bench(&self->nl, gcm, ESF_MAX_DATA + 1, 0, 1, &nsec));
	EXPECT_EQ(-ERANGE, bench(&self->nl, gcm, 64, ESF_MAX_AAD + 1, 1, &nsec));
	EXPECT_EQ(-ERANGE, bench(&self->nl, gcm, 64, 0, ESF_BENCH_ITERATIONS_MAX + 1, &nsec));
	EXPECT_EQ(-EINVAL, bench(&self->nl, mic, 64, 16, 1, &nsec));
	EXPECT_STREQ("esf: MIC sessions take no AAD", self->nl.errmsg);
	EXPECT_EQ(-EOPNOTSUPP, bench(&self->nl, rfc, 64, 0, 1, &nsec));
	EXPECT_EQ(-ENOENT, bench(&self->nl, 999999, 64, 0, 1, &nsec));
	/* Administrators only: it spends CPU or accelerator time on request. */
	EXPECT_EQ(0, as_nobody(bench_as_nobody, &gcm));
}

/* Keys never come back ---------------------------------------------------- */

TEST_F_TIMEOUT(nl, keys_absent_from_every_reply_and_event, 120)
{
	static const struct {
		const char *alg;
		size_t len;
	} algs[] = {
		{ "gcm(aes)", 32 }, { "rfc4106(gcm(aes))", 16 }, { "ccm(aes)", 24 },
		{ "authenc(hmac(sha256),cbc(aes))", 64 }, { "hmac(sha256)", 64 },
		{ "hmac(sha384)", 48 }, { "hmac(sha512)", 128 },
	};
	uint8_t keys[7][128];
	struct esf_nl ev;
	struct esf_msg m, reply;
	unsigned char buf[ESF_NL_BUF];
	uint32_t ids[7];
	size_t i, off;
	int kmsg;

	ASSERT_EQ(0, esf_nl_open(&ev));
	ASSERT_EQ(0, esf_nl_subscribe(&ev));
	ev.tap = true;
	kmsg = esf_kmsg_open();
	self->nl.tap = true;
	for (i = 0; i < 7; i++) {
		key_fill(keys[i], sizeof(keys[i]));
		ASSERT_EQ(0, add_session(&self->nl, algs[i].alg, keys[i], algs[i].len, &ids[i]))
			TH_LOG("%s: %s", algs[i].alg, self->nl.errmsg);
		ASSERT_EQ(0, get_session(&self->nl, ids[i], &reply));
		/* A refused request carrying the key: its error ack must not. */
		new_msg(&self->nl, &m, algs[i].alg, keys[i], algs[i].len);
		esf_put_u8(&m, ESF_A_TAG_LEN, 5);
		EXPECT_GT(0, esf_nl_do(&self->nl, &m, NULL));
	}
	EXPECT_EQ(7, count_sessions(&self->nl));
	for (i = 0; i < 7; i++)
		ASSERT_EQ(0, del_session(&self->nl, ids[i]));
	/* The events, 7 new and 7 deleted, join the bytes checked below. */
	while (esf_nl_recv(&ev, buf, sizeof(buf)) > 0 && ev.tapped_len < 14 * NLMSG_HDRLEN)
		;
	EXPECT_LT(0, self->nl.tapped_len);
	EXPECT_LT(0, ev.tapped_len);
	for (i = 0; i < 7; i++)
		for (off = 0; off + 8 <= algs[i].len; off += 8) {
			EXPECT_FALSE(esf_nl_tapped_has(&self->nl, keys[i] + off, 8))
				TH_LOG("%s key bytes %zu.. in a reply", algs[i].alg, off);
			EXPECT_FALSE(esf_nl_tapped_has(&ev, keys[i] + off, 8))
				TH_LOG("%s key bytes %zu.. in an event", algs[i].alg, off);
		}
	if (kmsg >= 0) {
		char hex[17];

		for (i = 0; i < 7; i++) {
			for (off = 0; off < 8; off++)
				sprintf(hex + 2 * off, "%02x", keys[i][off]);
			EXPECT_FALSE(esf_kmsg_find(kmsg, hex));
		}
		close(kmsg);
	}
	esf_nl_close(&ev);
}

/* Events: every event's bytes, checked for keys as they arrive. */
TEST_F(nl, events_carry_no_key)
{
	unsigned char buf[ESF_NL_BUF];
	struct esf_nl ev;
	uint32_t id;
	ssize_t n;
	int got = 0;

	ASSERT_EQ(0, esf_nl_open(&ev));
	ASSERT_EQ(0, esf_nl_subscribe(&ev));
	ASSERT_EQ(0, add_session(&self->nl, "gcm(aes)", self->key, 32, &id));
	ASSERT_EQ(0, del_session(&self->nl, id));
	while (got < 2 && (n = recv(ev.fd, buf, sizeof(buf), 0)) > 0) {
		EXPECT_EQ(NULL, memmem(buf, (size_t)n, self->key, 8));
		EXPECT_EQ(NULL, memmem(buf, (size_t)n, self->key + 16, 8));
		got++;
	}
	EXPECT_EQ(2, got);
	esf_nl_close(&ev);
}

/* Lifetimes --------------------------------------------------------------- */

TEST_F_TIMEOUT(nl, time_lifetimes_raise_soft_then_hard_expiry, 60)
{
	const struct nlattr *tb[ESF_A_MAX + 1], *st[ESF_STATS_A_MAX + 1];
	struct esf_msg m, reply;
	struct esf_nl ev;
	struct esf_event e;
	struct nlattr *n;
	uint32_t id;

	ASSERT_EQ(0, esf_nl_open(&ev));
	ASSERT_EQ(0, esf_nl_subscribe(&ev));
	new_msg(&self->nl, &m, "gcm(aes)", self->key, 16);
	esf_put(&m, ESF_A_KEY_ID, "lifetime", 8);
	n = esf_nest_start(&m, ESF_A_LIFETIME_SOFT);
	esf_put_u64(&m, ESF_LIFETIME_A_SECONDS, 1);
	esf_nest_end(&m, n);
	n = esf_nest_start(&m, ESF_A_LIFETIME_HARD);
	esf_put_u64(&m, ESF_LIFETIME_A_SECONDS, 2);
	esf_nest_end(&m, n);
	ASSERT_EQ(0, esf_nl_do(&self->nl, &m, &reply));
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	id = esf_get_u32(tb[ESF_A_SESSION_ID]);

	ASSERT_EQ(0, esf_nl_next_event(&ev, &e, 5));
	EXPECT_EQ(ESF_CMD_SESSION_NEW, e.cmd);
	ASSERT_EQ(0, esf_nl_next_event(&ev, &e, 5));
	EXPECT_EQ(ESF_CMD_EXPIRE, e.cmd);
	EXPECT_EQ(id, e.id);
	EXPECT_EQ(ESF_EXPIRE_SOFT, e.kind);
	EXPECT_EQ(ESF_EXPIRE_SECONDS, e.reason);
	EXPECT_LE(1, e.seconds);
	ASSERT_EQ(0, esf_nl_next_event(&ev, &e, 5));
	EXPECT_EQ(ESF_CMD_EXPIRE, e.cmd);
	EXPECT_EQ(ESF_EXPIRE_HARD, e.kind);
	EXPECT_EQ(ESF_EXPIRE_SECONDS, e.reason);
	EXPECT_LE(2, e.seconds);

	/* Past its hard limit a session stays, reported expired. */
	ASSERT_EQ(0, get_session(&self->nl, id, &reply));
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	EXPECT_EQ(ESF_STATE_EXPIRED, esf_get_u8(tb[ESF_A_STATE]));
	esf_parse_nested(tb[ESF_A_STATS], st, ESF_STATS_A_MAX);
	EXPECT_EQ(2, esf_get_u64(st[ESF_STATS_A_EXPIRE_EVENTS]));
	/* And no more events come for it. */
	EXPECT_EQ(-EAGAIN, esf_nl_next_event(&ev, &e, 2));
	esf_nl_close(&ev);
}

/* Scale ------------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long mem_used_kb(void)
{
	char line[128];
	long total = 0, avail = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MemTotal: %ld kB", &total);
		sscanf(line, "MemAvailable: %ld kB", &avail);
	}
	fclose(f);
	return total - avail;
}

/* Create @n sessions, keeping a window of requests in flight. */
static int add_many(struct esf_nl *nl, const uint8_t *key, unsigned int n)
{
	static unsigned char buf[ESF_NL_BUF];
	unsigned int sent = 0, acked = 0, window = 32;
	int rcvbuf = 1 << 20;
	struct esf_msg m;

	/* Replies must not overflow the socket while requests are in flight. */
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	while (acked < n) {
		while (sent < n && sent - acked < window) {
			new_msg(nl, &m, "gcm(aes)", key, 16);
			m.nlh.nlmsg_flags |= NLM_F_ACK;
			if (esf_nl_send(nl, &m))
				return -errno;
			sent++;
		}
		ssize_t len = recv(nl->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh;

		if (len < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (((struct nlmsgerr *)NLMSG_DATA(nlh))->error)
				return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			acked++;
		}
	}
	return 0;
}

/* ESF_MANY overrides the count, for measuring on other machines. */
static unsigned int many(void)
{
	const char *env = getenv("ESF_MANY");

	return env && atoi(env) > 0 ? (unsigned int)atoi(env) : 100000;
}

TEST_F_TIMEOUT(nl, hundred_thousand_sessions_create_dump_flush, 900)
{
	unsigned int MANY = many();
	struct count c = { .max_id = MANY + 1 };
	double t0, t_create, t_dump, t_flush;
	long mem0, mem1;
	struct esf_msg m;
	uint32_t n = 0;

	c.seen = calloc(c.max_id + 1, 1);
	ASSERT_NE(NULL, c.seen);
	mem0 = mem_used_kb();
	t0 = now();
	ASSERT_EQ(0, add_many(&self->nl, self->key, MANY)) TH_LOG("%s", self->nl.errmsg);
	t_create = now() - t0;
	mem1 = mem_used_kb();

	t0 = now();
	esf_msg_init(&m, self->nl.family, 0, ESF_CMD_SESSION_GET);
	ASSERT_EQ(0, esf_nl_dump(&self->nl, &m, count_one, &c));
	t_dump = now() - t0;
	EXPECT_EQ(MANY, c.n);
	EXPECT_EQ(0, c.dups);

	t0 = now();
	ASSERT_EQ(0, flush(&self->nl, &n));
	t_flush = now() - t0;
	EXPECT_EQ(MANY, n);
	EXPECT_EQ(0, count_sessions(&self->nl));

	ksft_print_msg("%u gcm(aes) sessions: create %.1f s (%.0f/s), dump %.2f s, flush %.2f s, %.0f bytes/session\n",
		       MANY, t_create, MANY / t_create, t_dump, t_flush,
		       (mem1 - mem0) * 1024.0 / MANY);
	/* The harness ends each test with _exit(): flush what it would lose. */
	fflush(stdout);
	/* A session is a transform, counters and a 1024-bit window: a few KiB. */
	EXPECT_GT(16384, (mem1 - mem0) * 1024 / MANY);
	free(c.seen);
}

/* A dump that spans changes to the table says so. */
TEST_F_TIMEOUT(nl, dump_flags_concurrent_changes, 300)
{
	static unsigned char buf[ESF_NL_BUF];
	struct esf_nl other;
	struct esf_msg m;
	bool intr = false, done = false;
	unsigned long msgs = 0;
	int rounds = 0;

	ASSERT_EQ(0, add_many(&self->nl, self->key, 2000));
	ASSERT_EQ(0, esf_nl_open(&other));
	esf_msg_init(&m, self->nl.family, NLM_F_DUMP, ESF_CMD_SESSION_GET);
	ASSERT_EQ(0, esf_nl_send(&self->nl, &m));
	while (!done) {
		ssize_t len = recv(self->nl.fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh;

		ASSERT_LT(0, len);
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_DONE)
				done = true;
			else
				msgs++;
		}
		/* Change the table between two parts of the dump. */
		if (rounds++ == 0)
			ASSERT_EQ(0, add_session(&other, "gcm(aes)", self->key, 16, NULL));
	}
	EXPECT_LT(1, rounds);
	EXPECT_TRUE(intr);
	EXPECT_LE(2000, msgs);
	esf_nl_close(&other);
}

/* Unload with sessions present -------------------------------------------- */

TEST_F_TIMEOUT(nl, module_unloads_with_sessions_present, 300)
{
	struct esf_nl ev;

	ASSERT_EQ(0, add_many(&self->nl, self->key, 500));
	ASSERT_EQ(0, esf_nl_open(&ev));
	ASSERT_EQ(0, esf_nl_subscribe(&ev));
	esf_nl_close(&self->nl);
	ASSERT_EQ(0, esf_module_unload()) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(-1, access("/sys/module/esf", F_OK));
	esf_nl_close(&ev);
	ASSERT_EQ(0, esf_module_load());
	ASSERT_EQ(0, esf_nl_open(&self->nl));
	EXPECT_EQ(0, count_sessions(&self->nl));
}

/* Providers --------------------------------------------------------------- */

TEST_F_TIMEOUT(nl, virtio_session_is_async_hardware, 120)
{
	const struct nlattr *tb[ESF_A_MAX + 1];
	struct esf_msg m, reply;
	uint8_t key[48];
	uint32_t prov;

	if (!esf_have_driver("virtio_crypto_aes_cbc"))
		SKIP(return, "no virtio-crypto device (scripts/vm-run --virtio-crypto)");
	key_fill(key, sizeof(key));
	new_msg(&self->nl, &m, "authenc(hmac(sha256),cbc(aes))", key, sizeof(key));
	esf_put_str(&m, ESF_A_DRIVER, esf_authenc_virtio());
	esf_put_u32(&m, ESF_A_FLAGS, ESF_F_REQUIRE_HW);
	ASSERT_EQ(0, esf_nl_do(&self->nl, &m, &reply)) TH_LOG("%s", self->nl.errmsg);
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	prov = esf_get_u32(tb[ESF_A_PROVIDER]);
	EXPECT_TRUE(prov & ESF_PROVIDER_ASYNC);
	EXPECT_TRUE(prov & ESF_PROVIDER_HW);
	EXPECT_TRUE(prov & ESF_PROVIDER_PINNED);
	EXPECT_NE(NULL, strstr(esf_attr_data(tb[ESF_A_DRIVER]), "virtio_crypto_aes_cbc"));
}

/*
 * CPU providers, asynchronous SIMD ones included (gcm(aes) over aesni or
 * ghash-clmulni goes through cryptd): neither hardware nor allowed to
 * require it.
 */
TEST_F(nl, cpu_sessions_are_not_hardware)
{
	static const struct {
		const char *alg;
		const char *(*driver)(void);
		size_t key_len;
	} cpu[] = {
		{ "gcm(aes)", NULL, 16 },
		{ "ccm(aes)", NULL, 16 },
		{ "hmac(sha256)", NULL, 32 },
		{ "authenc(hmac(sha256),cbc(aes))", esf_authenc_cpu, 48 },
	};
	const struct nlattr *tb[ESF_A_MAX + 1];
	struct esf_msg m, reply;
	uint8_t key[48];
	size_t i;

	key_fill(key, sizeof(key));
	for (i = 0; i < sizeof(cpu) / sizeof(cpu[0]); i++) {
		new_msg(&self->nl, &m, cpu[i].alg, key, cpu[i].key_len);
		if (cpu[i].driver)
			esf_put_str(&m, ESF_A_DRIVER, cpu[i].driver());
		ASSERT_EQ(0, esf_nl_do(&self->nl, &m, &reply))
			TH_LOG("%s: %s", cpu[i].alg, self->nl.errmsg);
		esf_parse(&reply.nlh, tb, ESF_A_MAX);
		EXPECT_FALSE(esf_get_u32(tb[ESF_A_PROVIDER]) & ESF_PROVIDER_HW)
			TH_LOG("%s on %s", cpu[i].alg, (const char *)esf_attr_data(tb[ESF_A_DRIVER]));
		new_msg(&self->nl, &m, cpu[i].alg, key, cpu[i].key_len);
		if (cpu[i].driver)
			esf_put_str(&m, ESF_A_DRIVER, cpu[i].driver());
		esf_put_u32(&m, ESF_A_FLAGS, ESF_F_REQUIRE_HW);
		EXPECT_EQ(-ENODEV, esf_nl_do(&self->nl, &m, NULL)) TH_LOG("%s", cpu[i].alg);
	}
}

TEST_HARNESS_MAIN
