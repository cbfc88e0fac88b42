/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw generic netlink client for the esf selftests. Raw, not libnl, so
 * that tests can send malformed attributes and look at every byte the
 * kernel sends back (keys must never be among them). Header-only.
 */
#ifndef ESF_SELFTEST_NL_H
#define ESF_SELFTEST_NL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/esf.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define ESF_NL_BUF (1 << 16)

struct esf_nl {
	int fd;
	uint16_t family;
	uint32_t mcgrp;
	uint32_t seq;
	char errmsg[256];
	/* Every byte received, when tap is on, for leak checks. */
	bool tap;
	unsigned char *tapped;
	size_t tapped_len;
};

struct esf_msg {
	union {
		struct nlmsghdr nlh;
		unsigned char buf[8192];
	};
};

static inline struct nlattr *esf_msg_tail(struct esf_msg *m)
{
	return (struct nlattr *)(m->buf + NLMSG_ALIGN(m->nlh.nlmsg_len));
}

static inline void esf_msg_init(struct esf_msg *m, uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	g = NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = ESF_GENL_VERSION;
}

/* Any length, so that tests can send attributes of the wrong size. */
static inline void esf_put(struct esf_msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = esf_msg_tail(m);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((unsigned char *)a + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static inline void esf_put_u8(struct esf_msg *m, uint16_t type, uint8_t v)
{
	esf_put(m, type, &v, sizeof(v));
}

static inline void esf_put_u32(struct esf_msg *m, uint16_t type, uint32_t v)
{
	esf_put(m, type, &v, sizeof(v));
}

static inline void esf_put_u64(struct esf_msg *m, uint16_t type, uint64_t v)
{
	esf_put(m, type, &v, sizeof(v));
}

static inline void esf_put_str(struct esf_msg *m, uint16_t type, const char *s)
{
	esf_put(m, type, s, strlen(s) + 1);
}

static inline struct nlattr *esf_nest_start(struct esf_msg *m, uint16_t type)
{
	struct nlattr *a = esf_msg_tail(m);

	esf_put(m, type | NLA_F_NESTED, NULL, 0);
	return a;
}

static inline void esf_nest_end(struct esf_msg *m, struct nlattr *a)
{
	a->nla_len = (uint16_t)((unsigned char *)esf_msg_tail(m) - (unsigned char *)a);
}

/* Attributes of a genetlink message, by type (the last wins). */
static inline void esf_parse(const struct nlmsghdr *nlh, const struct nlattr **tb, int max)
{
	const unsigned char *p = (const unsigned char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	const unsigned char *end = (const unsigned char *)nlh + nlh->nlmsg_len;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		int type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if (type <= max)
			tb[type] = a;
		p += NLA_ALIGN(a->nla_len);
	}
}

static inline void esf_parse_nested(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	const unsigned char *p = (const unsigned char *)nest + NLA_HDRLEN;
	const unsigned char *end = (const unsigned char *)nest + nest->nla_len;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		int type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if (type <= max)
			tb[type] = a;
		p += NLA_ALIGN(a->nla_len);
	}
}

static inline const void *esf_attr_data(const struct nlattr *a)
{
	return (const unsigned char *)a + NLA_HDRLEN;
}

static inline size_t esf_attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline uint8_t esf_get_u8(const struct nlattr *a)
{
	return *(const uint8_t *)esf_attr_data(a);
}

static inline uint32_t esf_get_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, esf_attr_data(a), sizeof(v));
	return v;
}

static inline uint64_t esf_get_u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, esf_attr_data(a), sizeof(v));
	return v;
}

static inline ssize_t esf_nl_recv(struct esf_nl *nl, void *buf, size_t len)
{
	ssize_t n = recv(nl->fd, buf, len, 0);

	if (n > 0 && nl->tap) {
		unsigned char *p = realloc(nl->tapped, nl->tapped_len + (size_t)n);

		if (p) {
			memcpy(p + nl->tapped_len, buf, (size_t)n);
			nl->tapped = p;
			nl->tapped_len += (size_t)n;
		}
	}
	return n;
}

static inline int esf_nl_send(struct esf_nl *nl, struct esf_msg *m)
{
	m->nlh.nlmsg_seq = ++nl->seq;
	if (send(nl->fd, m->buf, m->nlh.nlmsg_len, 0) < 0)
		return -errno;
	return 0;
}

/* The extended-ack message of an error ack, if any. */
static inline void esf_nl_errmsg(struct esf_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	const unsigned char *p, *end = (const unsigned char *)nlh + nlh->nlmsg_len;

	nl->errmsg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	for (p = (const unsigned char *)nlh + off; p + NLA_HDRLEN <= end;) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			return;
		if (a->nla_type == NLMSGERR_ATTR_MSG) {
			snprintf(nl->errmsg, sizeof(nl->errmsg), "%.*s",
				 (int)esf_attr_len(a), (const char *)esf_attr_data(a));
			return;
		}
		p += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Send a doit request (NLM_F_ACK is added) and wait for its ack. A reply
 * message, if any, is copied to @reply. Returns 0 or the negative errno of
 * the ack.
 */
static inline int esf_nl_do(struct esf_nl *nl, struct esf_msg *m, struct esf_msg *reply)
{
	static unsigned char buf[ESF_NL_BUF];
	int err;

	m->nlh.nlmsg_flags |= NLM_F_ACK;
	err = esf_nl_send(nl, m);
	if (err)
		return err;
	for (;;) {
		ssize_t n = esf_nl_recv(nl, buf, sizeof(buf));
		struct nlmsghdr *nlh;

		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != nl->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				esf_nl_errmsg(nl, nlh);
				return e->error;
			}
			if (reply && nlh->nlmsg_len <= sizeof(reply->buf))
				memcpy(reply->buf, nlh, nlh->nlmsg_len);
		}
	}
}

/*
 * Dump: @cb sees each message; returns 0, -EINTR when a message carried
 * NLM_F_DUMP_INTR (the walk is still completed), or a negative errno.
 */
/* Send a SESSION_NEW request @m; on success *@id (if given) is the new id. */
static inline int esf_nl_new_session(struct esf_nl *nl, struct esf_msg *m, uint32_t *id)
{
	const struct nlattr *tb[ESF_A_MAX + 1];
	struct esf_msg reply;
	int err;

	err = esf_nl_do(nl, m, &reply);
	if (err)
		return err;
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	if (!tb[ESF_A_SESSION_ID])
		return -EPROTO;
	if (id)
		*id = esf_get_u32(tb[ESF_A_SESSION_ID]);
	return 0;
}

static inline int esf_nl_dump(struct esf_nl *nl, struct esf_msg *m,
			      void (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg)
{
	static unsigned char buf[ESF_NL_BUF];
	bool intr = false;
	int err;

	m->nlh.nlmsg_flags |= NLM_F_DUMP;
	err = esf_nl_send(nl, m);
	if (err)
		return err;
	for (;;) {
		ssize_t n = esf_nl_recv(nl, buf, sizeof(buf));
		struct nlmsghdr *nlh;

		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return intr ? -EINTR : 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				esf_nl_errmsg(nl, nlh);
				return ((const struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			}
			cb(nlh, arg);
		}
	}
}

/* Resolve the family (and its events group) through the genl controller. */
static inline int esf_nl_resolve(struct esf_nl *nl)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct esf_msg m, reply;
	const unsigned char *p, *end;
	int err;

	esf_msg_init(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	esf_put_str(&m, CTRL_ATTR_FAMILY_NAME, ESF_GENL_NAME);
	err = esf_nl_do(nl, &m, &reply);
	if (err)
		return err;
	esf_parse(&reply.nlh, tb, CTRL_ATTR_MAX);
	if (!tb[CTRL_ATTR_FAMILY_ID])
		return -ENOENT;
	nl->family = *(const uint16_t *)esf_attr_data(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	p = (const unsigned char *)tb[CTRL_ATTR_MCAST_GROUPS] + NLA_HDRLEN;
	end = (const unsigned char *)tb[CTRL_ATTR_MCAST_GROUPS] + tb[CTRL_ATTR_MCAST_GROUPS]->nla_len;
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *grp = (const struct nlattr *)p, *g[CTRL_ATTR_MCAST_GRP_MAX + 1];

		esf_parse_nested(grp, g, CTRL_ATTR_MCAST_GRP_MAX);
		if (g[CTRL_ATTR_MCAST_GRP_NAME] && g[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(esf_attr_data(g[CTRL_ATTR_MCAST_GRP_NAME]), ESF_MCGRP_EVENTS))
			nl->mcgrp = esf_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
		p += NLA_ALIGN(grp->nla_len);
	}
	return 0;
}

static inline int esf_nl_open(struct esf_nl *nl)
{
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	err = esf_nl_resolve(nl);
	if (err) {
		close(nl->fd);
		nl->fd = -1;
	}
	return err;
}

static inline void esf_nl_close(struct esf_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	free(nl->tapped);
	nl->tapped = NULL;
	nl->fd = -1;
}

static inline int esf_nl_subscribe(struct esf_nl *nl)
{
	if (!nl->mcgrp)
		return -ENOENT;
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &nl->mcgrp,
		       sizeof(nl->mcgrp)) < 0)
		return -errno;
	return 0;
}

/* One event from a subscribed socket. */
struct esf_event {
	uint8_t cmd, kind, reason;
	uint32_t id;
	uint64_t messages, bytes, seconds;
};

/* Wait up to @timeout_s for the next event; -EAGAIN when none came. */
static inline int esf_nl_next_event(struct esf_nl *ev, struct esf_event *e, int timeout_s)
{
	static unsigned char buf[ESF_NL_BUF];
	struct timeval tv = { .tv_sec = timeout_s };
	const struct nlattr *tb[ESF_A_MAX + 1], *lt[ESF_LIFETIME_A_MAX + 1];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	ssize_t n;

	setsockopt(ev->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(ev->fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return -errno;
	memset(e, 0, sizeof(*e));
	e->cmd = ((struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
	esf_parse(nlh, tb, ESF_A_MAX);
	if (tb[ESF_A_SESSION_ID])
		e->id = esf_get_u32(tb[ESF_A_SESSION_ID]);
	if (tb[ESF_A_EXPIRE_KIND])
		e->kind = esf_get_u8(tb[ESF_A_EXPIRE_KIND]);
	if (tb[ESF_A_EXPIRE_REASON])
		e->reason = esf_get_u8(tb[ESF_A_EXPIRE_REASON]);
	if (tb[ESF_A_USAGE]) {
		esf_parse_nested(tb[ESF_A_USAGE], lt, ESF_LIFETIME_A_MAX);
		if (lt[ESF_LIFETIME_A_MESSAGES])
			e->messages = esf_get_u64(lt[ESF_LIFETIME_A_MESSAGES]);
		if (lt[ESF_LIFETIME_A_BYTES])
			e->bytes = esf_get_u64(lt[ESF_LIFETIME_A_BYTES]);
		if (lt[ESF_LIFETIME_A_SECONDS])
			e->seconds = esf_get_u64(lt[ESF_LIFETIME_A_SECONDS]);
	}
	return 0;
}

/* Whether @needle (of at least 8 bytes) appears anywhere in what was tapped. */
static inline bool esf_nl_tapped_has(const struct esf_nl *nl, const void *needle, size_t len)
{
	return len && nl->tapped_len >= len && memmem(nl->tapped, nl->tapped_len, needle, len);
}

#endif /* ESF_SELFTEST_NL_H */
