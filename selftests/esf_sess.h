/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sessions for the fast-path selftests: SESSION_NEW with the options a
 * test wants, DEL, FLUSH and one counter of GET, over the raw client of
 * esf_nl.h; and the small helpers the tests share. Header-only.
 */
#ifndef ESF_SELFTEST_SESS_H
#define ESF_SELFTEST_SESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

#include "esf_nl.h"

static const uint8_t salt[ESF_SALT_LEN] __attribute__((unused)) = { 0xe5, 0xf0, 0x00, 0x01 };

/* sess.salt that sends no ESF_A_SALT at all. */
static const uint8_t no_salt[ESF_SALT_LEN] __attribute__((unused));

struct sess {
	const char *alg;
	const char *driver;
	const uint8_t *key;
	size_t key_len;
	const uint8_t *salt;		/* default: salt above */
	uint8_t tag_len;		/* 0: the algorithm's default */
	uint8_t direction;		/* 0: both */
	uint8_t data_class;
	bool has_seq;
	uint64_t seq_start;
	bool has_window;
	uint32_t window;
	uint64_t soft_msgs, soft_bytes, hard_msgs, hard_bytes;
	bool has_uid;
	uint32_t uid;
	uint8_t nonce_policy;		/* 0: not sent (the kernel's default) */
};

static inline bool is_mic(const char *alg)
{
	return !strncmp(alg, "hmac(", 5);
}

static inline void put_lifetime(struct esf_msg *m, uint16_t type, uint64_t msgs, uint64_t bytes)
{
	struct nlattr *n;

	if (!msgs && !bytes)
		return;
	n = esf_nest_start(m, type);
	if (msgs)
		esf_put_u64(m, ESF_LIFETIME_A_MESSAGES, msgs);
	if (bytes)
		esf_put_u64(m, ESF_LIFETIME_A_BYTES, bytes);
	esf_nest_end(m, n);
}

/* SESSION_NEW; 0 and the id, or -errno. */
static inline int sess_add(struct esf_nl *nl, const struct sess *o, uint32_t *id)
{
	struct esf_msg m;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_NEW);
	esf_put_str(&m, ESF_A_ALG, o->alg);
	if (o->driver)
		esf_put_str(&m, ESF_A_DRIVER, o->driver);
	esf_put(&m, ESF_A_KEY, o->key, o->key_len);
	if (!is_mic(o->alg) && o->salt != no_salt)
		esf_put(&m, ESF_A_SALT, o->salt ? o->salt : salt, ESF_SALT_LEN);
	if (o->tag_len)
		esf_put_u8(&m, ESF_A_TAG_LEN, o->tag_len);
	if (o->direction)
		esf_put_u8(&m, ESF_A_DIRECTION, o->direction);
	if (o->data_class)
		esf_put_u8(&m, ESF_A_DATA_CLASS, o->data_class);
	if (o->has_seq)
		esf_put_u64(&m, ESF_A_SEQ_START, o->seq_start);
	if (o->has_window)
		esf_put_u32(&m, ESF_A_REPLAY_WINDOW, o->window);
	if (o->has_uid)
		esf_put_u32(&m, ESF_A_OWNER_UID, o->uid);
	if (o->nonce_policy)
		esf_put_u8(&m, ESF_A_NONCE_POLICY, o->nonce_policy);
	put_lifetime(&m, ESF_A_LIFETIME_SOFT, o->soft_msgs, o->soft_bytes);
	put_lifetime(&m, ESF_A_LIFETIME_HARD, o->hard_msgs, o->hard_bytes);
	return esf_nl_new_session(nl, &m, id);
}

static inline int sess_del(struct esf_nl *nl, uint32_t id)
{
	struct esf_msg m, reply;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_DEL);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	return esf_nl_do(nl, &m, &reply);
}

static inline void sess_flush(struct esf_nl *nl)
{
	struct esf_msg m, reply;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_FLUSH);
	esf_nl_do(nl, &m, &reply);
}

/* One u32 attribute of SESSION_GET, or UINT32_MAX. */
static inline uint32_t sess_u32(struct esf_nl *nl, uint32_t id, int attr)
{
	const struct nlattr *tb[ESF_A_MAX + 1];
	struct esf_msg m, reply;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_GET);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	if (esf_nl_do(nl, &m, &reply))
		return UINT32_MAX;
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	return tb[attr] ? esf_get_u32(tb[attr]) : UINT32_MAX;
}

/* One counter of ESF_A_STATS. */
static inline uint64_t sess_stat(struct esf_nl *nl, uint32_t id, int which)
{
	const struct nlattr *tb[ESF_A_MAX + 1], *st[ESF_STATS_A_MAX + 1];
	struct esf_msg m, reply;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_GET);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	if (esf_nl_do(nl, &m, &reply))
		return UINT64_MAX;
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	if (!tb[ESF_A_STATS])
		return UINT64_MAX;
	esf_parse_nested(tb[ESF_A_STATS], st, ESF_STATS_A_MAX);
	return st[which] ? esf_get_u64(st[which]) : UINT64_MAX;
}

static inline void rnd(void *p, size_t n)
{
	unsigned char *c = p;
	ssize_t r;

	while (n) {
		r = getrandom(c, n, 0);
		if (r <= 0)
			abort();
		c += r;
		n -= (size_t)r;
	}
}

static inline uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

#endif /* ESF_SELFTEST_SESS_H */
