// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane: the "esf" generic netlink family. Every attribute is
 * checked by policy (exact lengths, ranges); what a policy cannot express
 * (key length per algorithm, tag length per mode) is checked by
 * esf_session_create() with an extended-ack message. No message this file
 * builds carries key material, and the key in a request is wiped as soon
 * as the transform has it, on every path.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crypto.h>
#include <linux/cred.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "bench.h"
#include "compat.h"
#include "netlink.h"
#include "session.h"

static struct genl_family esf_family;

enum esf_mcgrp {
	ESF_MCGRP_EVENTS_ID,
};

static const struct genl_multicast_group esf_mcgrps[] = {
	[ESF_MCGRP_EVENTS_ID] = {
		.name = ESF_MCGRP_EVENTS,
		/* Events name sessions and key ids: administrators only. */
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/* Not const: 6.1's nla_policy points at them through a non-const pointer. */
static struct netlink_range_validation replay_range = {
	.max = ESF_REPLAY_WINDOW_MAX,
};

static struct netlink_range_validation seconds_range = {
	.max = ESF_LIFETIME_SECONDS_MAX,
};

static const struct nla_policy lifetime_policy[ESF_LIFETIME_A_MAX + 1] = {
	[ESF_LIFETIME_A_PAD] = { .type = NLA_REJECT },
	[ESF_LIFETIME_A_MESSAGES] = { .type = NLA_U64 },
	[ESF_LIFETIME_A_BYTES] = { .type = NLA_U64 },
	[ESF_LIFETIME_A_SECONDS] = NLA_POLICY_FULL_RANGE(NLA_U64, &seconds_range),
};

#define OUT_ONLY { .type = NLA_REJECT, .reject_message = "esf: attribute is reported, not set" }

static struct netlink_range_validation bench_size_range = { .max = ESF_MAX_DATA };
static struct netlink_range_validation bench_aad_range = { .max = ESF_MAX_AAD };
static struct netlink_range_validation bench_iter_range = {
	.min = 1,
	.max = ESF_BENCH_ITERATIONS_MAX,
};

static const struct nla_policy bench_policy[ESF_BENCH_A_MAX + 1] = {
	[ESF_BENCH_A_PAD] = OUT_ONLY,
	[ESF_BENCH_A_SIZE] = NLA_POLICY_FULL_RANGE(NLA_U32, &bench_size_range),
	[ESF_BENCH_A_AAD_LEN] = NLA_POLICY_FULL_RANGE(NLA_U32, &bench_aad_range),
	[ESF_BENCH_A_ITERATIONS] = NLA_POLICY_FULL_RANGE(NLA_U32, &bench_iter_range),
	[ESF_BENCH_A_NSEC] = OUT_ONLY,
};

static const struct nla_policy group_policy[ESF_GROUP_A_MAX + 1] = {
	[ESF_GROUP_A_PAD] = OUT_ONLY,
	[ESF_GROUP_A_SENDERS] = NLA_POLICY_RANGE(NLA_U16, 1, ESF_GROUP_SENDERS_MAX),
	[ESF_GROUP_A_SENDER] = NLA_POLICY_MAX(NLA_U16, ESF_GROUP_SENDERS_MAX - 1),
	[ESF_GROUP_A_EPOCH] = { .type = NLA_U32 },
	[ESF_GROUP_A_EPOCH_NEXT] = OUT_ONLY,
	[ESF_GROUP_A_EPOCH_PREV] = OUT_ONLY,
	[ESF_GROUP_A_SALT_NEXT] = OUT_ONLY,
	[ESF_GROUP_A_SALT_PREV] = OUT_ONLY,
	[ESF_GROUP_A_SENDERS_SEEN] = OUT_ONLY,
	[ESF_GROUP_A_SENDER_STATE] = OUT_ONLY,
	[ESF_GROUP_A_SENDER_TOP] = OUT_ONLY,
	[ESF_GROUP_A_SENDER_NEXT] = OUT_ONLY,
};

static const struct nla_policy esf_policy[ESF_A_MAX + 1] = {
	[ESF_A_PAD] = OUT_ONLY,
	[ESF_A_SESSION_ID] = { .type = NLA_U32 },
	[ESF_A_ALG] = { .type = NLA_NUL_STRING, .len = CRYPTO_MAX_ALG_NAME - 1 },
	[ESF_A_DRIVER] = { .type = NLA_NUL_STRING, .len = CRYPTO_MAX_ALG_NAME - 1 },
	[ESF_A_KEY] = NLA_POLICY_RANGE(NLA_BINARY, 16, ESF_KEY_MAX),
	[ESF_A_KEY_LEN] = OUT_ONLY,
	[ESF_A_SALT] = NLA_POLICY_EXACT_LEN(ESF_SALT_LEN),
	[ESF_A_DIRECTION] = NLA_POLICY_RANGE(NLA_U8, ESF_DIR_SEAL, ESF_DIR_BOTH),
	[ESF_A_TAG_LEN] = NLA_POLICY_RANGE(NLA_U8, 4, ESF_TAG_MAX),
	[ESF_A_KEY_ID] = { .type = NLA_BINARY, .len = ESF_KEY_ID_MAX },
	[ESF_A_REPLAY_WINDOW] = NLA_POLICY_FULL_RANGE(NLA_U32, &replay_range),
	[ESF_A_SEQ_START] = { .type = NLA_U64 },
	[ESF_A_LIFETIME_SOFT] = NLA_POLICY_NESTED(lifetime_policy),
	[ESF_A_LIFETIME_HARD] = NLA_POLICY_NESTED(lifetime_policy),
	[ESF_A_SESSION_TYPE] = NLA_POLICY_MAX(NLA_U8, ESF_STYPE_SM),
	[ESF_A_DATA_CLASS] = NLA_POLICY_MAX(NLA_U8, 3),
	[ESF_A_OWNER_UID] = { .type = NLA_U32 },
	[ESF_A_OWNER_GID] = { .type = NLA_U32 },
	[ESF_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, ESF_F_ALL),
	[ESF_A_PROVIDER] = OUT_ONLY,
	[ESF_A_STATE] = OUT_ONLY,
	[ESF_A_AGE] = OUT_ONLY,
	[ESF_A_SEQ_NEXT] = OUT_ONLY,
	[ESF_A_USAGE] = OUT_ONLY,
	[ESF_A_STATS] = OUT_ONLY,
	[ESF_A_EXPIRE_KIND] = OUT_ONLY,
	[ESF_A_EXPIRE_REASON] = OUT_ONLY,
	[ESF_A_FLUSHED] = OUT_ONLY,
	[ESF_A_BENCH] = NLA_POLICY_NESTED(bench_policy),
	[ESF_A_NONCE_POLICY] = NLA_POLICY_RANGE(NLA_U8, ESF_NONCE_ESF, ESF_NONCE_ANY),
	[ESF_A_REPLAY_REMEMBERED] = OUT_ONLY,
	[ESF_A_REPLAY_MEMORY] = OUT_ONLY,
	[ESF_A_CEK_LEN] = NLA_POLICY_RANGE(NLA_U8, 16, 32),
	[ESF_A_FRAMING] = NLA_POLICY_RANGE(NLA_U8, ESF_FRAMING_NONCE, ESF_FRAMING_DTLS12),
	[ESF_A_GROUP] = NLA_POLICY_NESTED(group_policy),
};

/* Building messages ------------------------------------------------------ */

/* Sizes of what put_session() and the events write, so that each message
 * takes the memory it needs rather than a page.
 */
static size_t lifetime_size(void)
{
	return nla_total_size(0) + 3 * nla_total_size_64bit(sizeof(u64));
}

/* ESF_A_GROUP in a session's message: sizes, epochs, salts, senders seen. */
static size_t group_size(const struct esf_session *s)
{
	if (!s->group)
		return 0;
	return nla_total_size(0) + 2 * nla_total_size(sizeof(u16)) +
	       4 * nla_total_size(sizeof(u32)) + 2 * nla_total_size(ESF_SALT_LEN);
}

static size_t session_size(const struct esf_session *s)
{
	/*
	 * u32: id, key length, window, owner uid and gid, flags, provider,
	 * replay record count and memory
	 */
	return nla_total_size(sizeof(u32)) * 9 +
	       /* direction, tag, type, class, state, nonce policy, content key, framing */
	       nla_total_size(sizeof(u8)) * 8 +
	       nla_total_size_64bit(sizeof(u64)) * 3 +	/* seq start, age, seq next */
	       nla_total_size(strlen(s->alg->name) + 1) +
	       nla_total_size(strlen(esf_session_driver(s)) + 1) +
	       nla_total_size(ESF_SALT_LEN) + nla_total_size(s->key_id_len) +
	       3 * lifetime_size() + group_size(s) +
	       nla_total_size(0) + ESF_STAT_NUM * nla_total_size_64bit(sizeof(u64));
}

static size_t expire_size(const struct esf_session *s)
{
	return nla_total_size(sizeof(u32)) + 2 * nla_total_size(sizeof(u8)) +
	       lifetime_size() + nla_total_size(s->key_id_len);
}

static int put_lifetime(struct sk_buff *skb, int type, u64 msgs, u64 bytes, u64 secs)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest ||
	    nla_put_u64_64bit(skb, ESF_LIFETIME_A_MESSAGES, msgs, ESF_LIFETIME_A_PAD) ||
	    nla_put_u64_64bit(skb, ESF_LIFETIME_A_BYTES, bytes, ESF_LIFETIME_A_PAD) ||
	    nla_put_u64_64bit(skb, ESF_LIFETIME_A_SECONDS, secs, ESF_LIFETIME_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static const u8 stat_attr[ESF_STAT_NUM] = {
	[ESF_STAT_SEAL] = ESF_STATS_A_SEAL,
	[ESF_STAT_OPEN] = ESF_STATS_A_OPEN,
	[ESF_STAT_SIGN] = ESF_STATS_A_SIGN,
	[ESF_STAT_VERIFY] = ESF_STATS_A_VERIFY,
	[ESF_STAT_BYTES] = ESF_STATS_A_BYTES,
	[ESF_STAT_AUTH_FAIL] = ESF_STATS_A_AUTH_FAIL,
	[ESF_STAT_REPLAY] = ESF_STATS_A_REPLAY,
	[ESF_STAT_TOO_OLD] = ESF_STATS_A_TOO_OLD,
	[ESF_STAT_EXPIRED] = ESF_STATS_A_EXPIRED,
	[ESF_STAT_REFUSED] = ESF_STATS_A_REFUSED,
	[ESF_STAT_ERRORS] = ESF_STATS_A_ERRORS,
	[ESF_STAT_EXPIRE_EVENTS] = ESF_STATS_A_EXPIRE_EVENTS,
	[ESF_STAT_ASYNC] = ESF_STATS_A_ASYNC,
	[ESF_STAT_BACKLOG] = ESF_STATS_A_BACKLOG,
	[ESF_STAT_ZEROCOPY] = ESF_STATS_A_ZEROCOPY,
	[ESF_STAT_FOREIGN] = ESF_STATS_A_FOREIGN,
	[ESF_STAT_REPLAY_EVICTED] = ESF_STATS_A_REPLAY_EVICTED,
	[ESF_STAT_SOCKET] = ESF_STATS_A_SOCKET,
	[ESF_STAT_DEVICE] = ESF_STATS_A_DEVICE,
	[ESF_STAT_RESEAL] = ESF_STATS_A_RESEAL,
	[ESF_STAT_AGGREGATE] = ESF_STATS_A_AGGREGATE,
};

static int put_stats(struct sk_buff *skb, const struct esf_session *s)
{
	u64 v[ESF_STAT_NUM];
	struct nlattr *nest;
	int i;

	esf_session_stats_sum(s, v);
	nest = nla_nest_start(skb, ESF_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ESF_STAT_NUM; i++)
		if (nla_put_u64_64bit(skb, stat_attr[i], v[i], ESF_STATS_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* An epoch's number and salt, if that slot holds a key. */
static int put_epoch(struct sk_buff *skb, const struct esf_session *s,
		     enum esf_gkey_slot which, int epoch_type, int salt_type)
{
	u8 salt[ESF_SALT_LEN];
	u32 epoch;

	if (!esf_group_epoch(s, which, &epoch, salt))
		return 0;
	if (nla_put_u32(skb, epoch_type, epoch) || nla_put(skb, salt_type, ESF_SALT_LEN, salt))
		return -EMSGSIZE;
	return 0;
}

static int put_group(struct sk_buff *skb, const struct esf_session *s)
{
	struct nlattr *nest;
	u8 salt[ESF_SALT_LEN];
	u32 epoch;

	if (!s->group)
		return 0;
	/* The current salt is the session's ESF_A_SALT, its epoch ours. */
	if (!esf_group_epoch(s, ESF_GKEY_CUR, &epoch, salt) ||
	    nla_put(skb, ESF_A_SALT, ESF_SALT_LEN, salt))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, ESF_A_GROUP);
	if (!nest ||
	    nla_put_u16(skb, ESF_GROUP_A_SENDERS, s->group->senders) ||
	    nla_put_u16(skb, ESF_GROUP_A_SENDER, s->group->sender) ||
	    nla_put_u32(skb, ESF_GROUP_A_EPOCH, epoch) ||
	    nla_put_u32(skb, ESF_GROUP_A_SENDERS_SEEN, esf_group_senders_seen(s)) ||
	    put_epoch(skb, s, ESF_GKEY_NEXT, ESF_GROUP_A_EPOCH_NEXT, ESF_GROUP_A_SALT_NEXT) ||
	    put_epoch(skb, s, ESF_GKEY_PREV, ESF_GROUP_A_EPOCH_PREV, ESF_GROUP_A_SALT_PREV))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* A group session's windows are its senders'. */
static u32 replay_window(const struct esf_session *s)
{
	return s->group ? s->group->window : s->replay.window;
}

static u32 replay_memory(const struct esf_session *s)
{
	return s->group ? esf_group_memory(s) : esf_replay_memory(&s->replay);
}

/* Everything about a session but its key. */
static int put_session(struct sk_buff *skb, const struct esf_session *s,
		       struct user_namespace *ns)
{
	if (nla_put_u32(skb, ESF_A_SESSION_ID, s->id) ||
	    nla_put_string(skb, ESF_A_ALG, s->alg->name) ||
	    nla_put_string(skb, ESF_A_DRIVER, esf_session_driver(s)) ||
	    nla_put_u32(skb, ESF_A_KEY_LEN, s->key_len) ||
	    nla_put_u8(skb, ESF_A_DIRECTION, s->direction) ||
	    nla_put_u8(skb, ESF_A_TAG_LEN, s->tag_len) ||
	    nla_put_u32(skb, ESF_A_REPLAY_WINDOW, replay_window(s)) ||
	    nla_put_u8(skb, ESF_A_NONCE_POLICY, s->nonce_policy) ||
	    nla_put_u8(skb, ESF_A_FRAMING, s->alg->framing ?: ESF_FRAMING_NONCE) ||
	    nla_put_u32(skb, ESF_A_REPLAY_REMEMBERED,
			esf_replay_remembered(&s->replay)) ||
	    nla_put_u32(skb, ESF_A_REPLAY_MEMORY, replay_memory(s)) ||
	    nla_put_u64_64bit(skb, ESF_A_SEQ_START, s->seq_start, ESF_A_PAD) ||
	    nla_put_u8(skb, ESF_A_SESSION_TYPE, s->session_type) ||
	    nla_put_u8(skb, ESF_A_DATA_CLASS, s->data_class) ||
	    nla_put_u32(skb, ESF_A_OWNER_UID, from_kuid_munged(ns, s->owner_uid)) ||
	    nla_put_u32(skb, ESF_A_OWNER_GID, from_kgid_munged(ns, s->owner_gid)) ||
	    nla_put_u32(skb, ESF_A_FLAGS, s->session_flags) ||
	    nla_put_u32(skb, ESF_A_PROVIDER, s->provider) ||
	    nla_put_u8(skb, ESF_A_STATE, esf_session_state(s)) ||
	    nla_put_u64_64bit(skb, ESF_A_AGE, esf_session_age(s), ESF_A_PAD) ||
	    nla_put_u64_64bit(skb, ESF_A_SEQ_NEXT, atomic64_read(&s->seq), ESF_A_PAD))
		return -EMSGSIZE;
	if (s->alg->kind != ESF_KIND_MIC && !s->group &&
	    nla_put(skb, ESF_A_SALT, ESF_SALT_LEN, s->salt))
		return -EMSGSIZE;
	if (put_group(skb, s))
		return -EMSGSIZE;
	if (s->cek_len && nla_put_u8(skb, ESF_A_CEK_LEN, s->cek_len))
		return -EMSGSIZE;
	if (s->key_id_len && nla_put(skb, ESF_A_KEY_ID, s->key_id_len, s->key_id))
		return -EMSGSIZE;
	if (put_lifetime(skb, ESF_A_LIFETIME_SOFT, s->soft.messages, s->soft.bytes,
			 s->soft.seconds) ||
	    put_lifetime(skb, ESF_A_LIFETIME_HARD, s->hard.messages, s->hard.bytes,
			 s->hard.seconds) ||
	    put_lifetime(skb, ESF_A_USAGE, atomic64_read(&s->used_messages),
			 atomic64_read(&s->used_bytes), esf_session_age(s)))
		return -EMSGSIZE;
	return put_stats(skb, s);
}

/*
 * Uids and gids are shown as the reader's user namespace maps them: the
 * requester's for replies and dumps, the session's namespace's for events.
 */
static int fill_session(struct sk_buff *skb, const struct esf_session *s, u8 cmd,
			u32 portid, u32 seq, int flags, struct netlink_callback *cb,
			struct user_namespace *ns)
{
	void *hdr = genlmsg_put(skb, portid, seq, &esf_family, flags, cmd);

	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (put_session(skb, s, ns)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Events ------------------------------------------------------------------ */

/* Building an event costs more than asking whether anyone listens. */
static bool listened(struct net *net)
{
	return genl_has_listeners(&esf_family, net, ESF_MCGRP_EVENTS_ID);
}

static void notify(struct net *net, struct sk_buff *skb)
{
	esf_genl_multicast(&esf_family, net, skb, 0, ESF_MCGRP_EVENTS_ID, GFP_ATOMIC);
}

static void notify_session(struct esf_session *s, u8 cmd)
{
	struct sk_buff *skb;

	if (!listened(s->net))
		return;
	skb = genlmsg_new(session_size(s), GFP_KERNEL);
	if (!skb)
		return;
	if (fill_session(skb, s, cmd, 0, 0, 0, NULL, s->net->user_ns)) {
		nlmsg_free(skb);
		return;
	}
	notify(s->net, skb);
}

/**
 * esf_nl_notify_expire() - multicast ESF_CMD_EXPIRE
 * @s: session, in a table
 * @kind: soft or hard
 * @reason: which limit
 *
 * Any context: called from the fast path and from timers.
 */
void esf_nl_notify_expire(struct esf_session *s, enum esf_expire_kind kind,
			  enum esf_expire_reason reason)
{
	struct sk_buff *skb;
	void *hdr;

	if (!listened(s->net))
		return;
	skb = genlmsg_new(expire_size(s), GFP_ATOMIC);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &esf_family, 0, ESF_CMD_EXPIRE);
	if (!hdr ||
	    nla_put_u32(skb, ESF_A_SESSION_ID, s->id) ||
	    nla_put_u8(skb, ESF_A_EXPIRE_KIND, kind) ||
	    nla_put_u8(skb, ESF_A_EXPIRE_REASON, reason) ||
	    put_lifetime(skb, ESF_A_USAGE, atomic64_read(&s->used_messages),
			 atomic64_read(&s->used_bytes), esf_session_age(s)) ||
	    (s->key_id_len && nla_put(skb, ESF_A_KEY_ID, s->key_id_len, s->key_id))) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	notify(s->net, skb);
}

/* Commands ---------------------------------------------------------------- */

static int get_lifetime(const struct nlattr *attr, struct esf_lifetime *lt,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[ESF_LIFETIME_A_MAX + 1];
	int err;

	if (!attr)
		return 0;
	err = nla_parse_nested(tb, ESF_LIFETIME_A_MAX, attr, lifetime_policy, extack);
	if (err)
		return err;
	if (tb[ESF_LIFETIME_A_MESSAGES])
		lt->messages = nla_get_u64(tb[ESF_LIFETIME_A_MESSAGES]);
	if (tb[ESF_LIFETIME_A_BYTES])
		lt->bytes = nla_get_u64(tb[ESF_LIFETIME_A_BYTES]);
	if (tb[ESF_LIFETIME_A_SECONDS])
		lt->seconds = nla_get_u64(tb[ESF_LIFETIME_A_SECONDS]);
	return 0;
}

static int get_owner(struct genl_info *info, struct esf_session_params *p)
{
	struct nlattr **a = info->attrs;
	struct user_namespace *ns = current_user_ns();

	p->owner_uid = current_fsuid();
	p->owner_gid = current_fsgid();
	if (a[ESF_A_OWNER_UID]) {
		p->owner_uid = make_kuid(ns, nla_get_u32(a[ESF_A_OWNER_UID]));
		if (!uid_valid(p->owner_uid)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[ESF_A_OWNER_UID],
					    "esf: owner uid not mapped in the caller's user namespace");
			return -EINVAL;
		}
	}
	if (a[ESF_A_OWNER_GID]) {
		p->owner_gid = make_kgid(ns, nla_get_u32(a[ESF_A_OWNER_GID]));
		if (!gid_valid(p->owner_gid)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[ESF_A_OWNER_GID],
					    "esf: owner gid not mapped in the caller's user namespace");
			return -EINVAL;
		}
	}
	return 0;
}

/* A missing attribute is named both ways: by type for programs (the
 * extended ack's missing-type) and in words for people. A macro because
 * NL_SET_ERR_MSG() keeps only string literals.
 */
#define REQUIRE_ATTR(info, attr, msg) ({				\
	struct genl_info *__ra_info = (info);			\
	bool __present = !GENL_REQ_ATTR_CHECK(__ra_info, attr);	\
									\
	if (!__present)							\
		NL_SET_ERR_MSG(__ra_info->extack, msg);			\
	__present;							\
})

/* ESF_A_GROUP of SESSION_NEW: the group's size and this member's sender id. */
static int get_group(struct genl_info *info, struct esf_session_params *p,
		     struct esf_group_params *gp)
{
	struct nlattr *tb[ESF_GROUP_A_MAX + 1];
	struct nlattr *attr = info->attrs[ESF_A_GROUP];
	int err;

	if (!attr)
		return 0;
	err = nla_parse_nested(tb, ESF_GROUP_A_MAX, attr, group_policy, info->extack);
	if (err)
		return err;
	if (!tb[ESF_GROUP_A_SENDERS] || !tb[ESF_GROUP_A_SENDER]) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "esf: a group session needs ESF_GROUP_A_SENDERS and ESF_GROUP_A_SENDER");
		return -EINVAL;
	}
	gp->senders = nla_get_u16(tb[ESF_GROUP_A_SENDERS]);
	gp->sender = nla_get_u16(tb[ESF_GROUP_A_SENDER]);
	if (tb[ESF_GROUP_A_EPOCH])
		gp->epoch = nla_get_u32(tb[ESF_GROUP_A_EPOCH]);
	p->group = gp;
	return 0;
}

static int get_params(struct genl_info *info, struct esf_session_params *p,
		      struct esf_group_params *gp)
{
	struct nlattr **a = info->attrs;
	int err;

	if (!REQUIRE_ATTR(info, ESF_A_ALG, "esf: ESF_A_ALG is required") ||
	    !REQUIRE_ATTR(info, ESF_A_KEY, "esf: ESF_A_KEY is required"))
		return -EINVAL;
	p->alg = nla_data(a[ESF_A_ALG]);
	p->key = nla_data(a[ESF_A_KEY]);
	p->key_len = nla_len(a[ESF_A_KEY]);
	p->direction = ESF_DIR_BOTH;
	p->replay_window = ESF_REPLAY_WINDOW_DEFAULT;
	if (a[ESF_A_SESSION_ID])
		p->id = nla_get_u32(a[ESF_A_SESSION_ID]);
	if (a[ESF_A_DRIVER])
		p->driver = nla_data(a[ESF_A_DRIVER]);
	if (a[ESF_A_SALT])
		p->salt = nla_data(a[ESF_A_SALT]);
	if (a[ESF_A_DIRECTION])
		p->direction = nla_get_u8(a[ESF_A_DIRECTION]);
	if (a[ESF_A_TAG_LEN])
		p->tag_len = nla_get_u8(a[ESF_A_TAG_LEN]);
	if (a[ESF_A_KEY_ID]) {
		p->key_id = nla_data(a[ESF_A_KEY_ID]);
		p->key_id_len = nla_len(a[ESF_A_KEY_ID]);
	}
	if (a[ESF_A_REPLAY_WINDOW])
		p->replay_window = nla_get_u32(a[ESF_A_REPLAY_WINDOW]);
	if (a[ESF_A_NONCE_POLICY])
		p->nonce_policy = nla_get_u8(a[ESF_A_NONCE_POLICY]);
	if (a[ESF_A_CEK_LEN])
		p->cek_len = nla_get_u8(a[ESF_A_CEK_LEN]);
	if (a[ESF_A_FRAMING])
		p->framing = nla_get_u8(a[ESF_A_FRAMING]);
	if (a[ESF_A_SEQ_START])
		p->seq_start = nla_get_u64(a[ESF_A_SEQ_START]);
	if (a[ESF_A_SESSION_TYPE])
		p->session_type = nla_get_u8(a[ESF_A_SESSION_TYPE]);
	if (a[ESF_A_DATA_CLASS])
		p->data_class = nla_get_u8(a[ESF_A_DATA_CLASS]);
	if (a[ESF_A_FLAGS])
		p->flags = nla_get_u32(a[ESF_A_FLAGS]);
	err = get_lifetime(a[ESF_A_LIFETIME_SOFT], &p->soft, info->extack);
	if (!err)
		err = get_lifetime(a[ESF_A_LIFETIME_HARD], &p->hard, info->extack);
	if (!err)
		err = get_owner(info, p);
	if (!err)
		err = get_group(info, p, gp);
	return err;
}

/* Reply to the requester with the session as it now is. */
static int reply_session(struct genl_info *info, struct esf_session *s, u8 cmd)
{
	struct sk_buff *skb = genlmsg_new(session_size(s), GFP_KERNEL);
	int err;

	if (!skb)
		return -ENOMEM;
	err = fill_session(skb, s, cmd, info->snd_portid, info->snd_seq, 0, NULL,
			   current_user_ns());
	if (err) {
		nlmsg_free(skb);
		return err;
	}
	return genlmsg_reply(skb, info);
}

static int esf_nl_new(struct sk_buff *skb, struct genl_info *info)
{
	struct esf_session_params p = {};
	struct esf_group_params gp = {};
	struct nlattr *key = info->attrs[ESF_A_KEY];
	struct esf_session *s;
	struct sk_buff *reply;
	int err;

	err = get_params(info, &p, &gp);
	if (err)
		goto out;
	s = esf_session_create(genl_info_net(info), &p, info->extack);
	err = PTR_ERR_OR_ZERO(s);
	if (err)
		goto out;
	/* The reply is allocated before the session goes into the table: a
	 * request that fails must leave no session behind, and one whose
	 * reply could not be allocated would have an id nobody knows.
	 */
	reply = genlmsg_new(session_size(s), GFP_KERNEL);
	if (!reply) {
		esf_session_put(s);
		err = -ENOMEM;
		goto out;
	}
	err = esf_session_insert(s, info->extack);
	if (err) {
		nlmsg_free(reply);
		esf_session_put(s);
		goto out;
	}
	err = fill_session(reply, s, ESF_CMD_SESSION_NEW, info->snd_portid, info->snd_seq, 0,
			   NULL, current_user_ns());
	if (err) {
		/* Sized by session_size(): not expected; undo the insertion. */
		nlmsg_free(reply);
		esf_session_put(esf_session_remove(s->net, s->id));
		esf_session_put(s);
		goto out;
	}
	err = genlmsg_reply(reply, info);
	notify_session(s, ESF_CMD_SESSION_NEW);
	esf_session_put(s);
out:
	/* The transform has the key now; do not leave it in the request, which
	 * an error ack may echo and which is freed without being cleared.
	 */
	if (key)
		memzero_explicit(nla_data(key), nla_len(key));
	return err;
}

static int esf_nl_del(struct sk_buff *skb, struct genl_info *info)
{
	struct esf_session *s;

	if (!REQUIRE_ATTR(info, ESF_A_SESSION_ID, "esf: ESF_A_SESSION_ID is required"))
		return -EINVAL;
	s = esf_session_remove(genl_info_net(info),
			       nla_get_u32(info->attrs[ESF_A_SESSION_ID]));
	if (!s) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ESF_A_SESSION_ID],
				    "esf: no such session");
		return -ENOENT;
	}
	notify_session(s, ESF_CMD_SESSION_DEL);
	esf_session_put(s);
	return 0;
}

static int esf_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct esf_session *s;
	int err;

	if (!REQUIRE_ATTR(info, ESF_A_SESSION_ID, "esf: ESF_A_SESSION_ID is required"))
		return -EINVAL;
	s = esf_session_get(genl_info_net(info),
			    nla_get_u32(info->attrs[ESF_A_SESSION_ID]));
	/* Sessions the caller may not use do not exist for it. */
	if (s && !esf_session_may_use(s)) {
		esf_session_put(s);
		s = NULL;
	}
	if (!s) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ESF_A_SESSION_ID],
				    "esf: no such session");
		return -ENOENT;
	}
	err = reply_session(info, s, ESF_CMD_SESSION_GET);
	esf_session_put(s);
	return err;
}

/*
 * Dumps resume from cb->args[0], the next id to look at (cb->args[1] is set
 * once the table has been walked to its end), so a dump that spans many
 * recvmsg calls neither repeats nor skips sessions that stay; cb->seq
 * follows the table's generation so that user space learns
 * (NLM_F_DUMP_INTR) when the table changed under it.
 */
static int esf_nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct esf_net *en = esf_net(sock_net(skb->sk));
	unsigned long id;
	struct esf_session *s;
	int err = 0;

	if (cb->args[1])
		return 0;
	cb->seq = atomic_read(&en->gen);
	rcu_read_lock();
	xa_for_each_start(&en->sessions, id, s, cb->args[0]) {
		if (esf_session_dead(s) || !esf_session_may_use(s))
			continue;
		err = fill_session(skb, s, ESF_CMD_SESSION_GET,
				   NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				   NLM_F_MULTI, cb, current_user_ns());
		if (err)
			break;
		cb->args[0] = id + 1;
	}
	rcu_read_unlock();
	if (!err)
		cb->args[1] = 1;
	/* A full skb goes out and the dump resumes; only an empty one is an error. */
	return err && !skb->len ? err : skb->len;
}

static struct sk_buff *flush_msg_alloc(void)
{
	return genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
}

/* Fill what flush_msg_alloc() sized (so it does not fail). */
static int flush_msg_fill(struct sk_buff *msg, unsigned int n, u32 portid, u32 seq)
{
	void *hdr = genlmsg_put(msg, portid, seq, &esf_family, 0, ESF_CMD_SESSION_FLUSH);

	if (!hdr || nla_put_u32(msg, ESF_A_FLUSHED, n)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

static int esf_nl_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct sk_buff *reply, *event = NULL;
	bool events = listened(net);
	unsigned int n;

	/* Both messages exist before anything is removed: a flush that
	 * fails removes nothing, and listeners learn of every one that
	 * succeeds.
	 */
	reply = flush_msg_alloc();
	if (reply && events)
		event = flush_msg_alloc();
	if (!reply || (events && !event)) {
		nlmsg_free(reply);
		nlmsg_free(event);
		return -ENOMEM;
	}
	n = esf_session_flush(net);
	if (event && !flush_msg_fill(event, n, 0, 0))
		notify(net, event);
	if (flush_msg_fill(reply, n, info->snd_portid, info->snd_seq))
		return -EMSGSIZE;
	return genlmsg_reply(reply, info);
}

static size_t bench_size(void)
{
	return nla_total_size(sizeof(u32)) + nla_total_size(0) +
	       3 * nla_total_size(sizeof(u32)) + nla_total_size_64bit(sizeof(u64));
}

static struct sk_buff *bench_msg(struct genl_info *info, u32 id, u32 size, u32 aad_len,
				 u32 iterations, u64 nsec)
{
	struct sk_buff *msg = genlmsg_new(bench_size(), GFP_KERNEL);
	struct nlattr *nest;
	void *hdr;

	if (!msg)
		return NULL;
	hdr = genlmsg_put_reply(msg, info, &esf_family, 0, ESF_CMD_SESSION_BENCH);
	if (!hdr || nla_put_u32(msg, ESF_A_SESSION_ID, id))
		goto fail;
	nest = nla_nest_start(msg, ESF_A_BENCH);
	if (!nest || nla_put_u32(msg, ESF_BENCH_A_SIZE, size) ||
	    nla_put_u32(msg, ESF_BENCH_A_AAD_LEN, aad_len) ||
	    nla_put_u32(msg, ESF_BENCH_A_ITERATIONS, iterations) ||
	    nla_put_u64_64bit(msg, ESF_BENCH_A_NSEC, nsec, ESF_BENCH_A_PAD))
		goto fail;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

/* Admin only (GENL_ADMIN_PERM): it spends CPU or accelerator time on demand. */
static int esf_nl_bench(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[ESF_BENCH_A_MAX + 1];
	u32 id, size, aad_len = 0, iterations;
	struct esf_session *s;
	struct sk_buff *msg;
	u64 nsec = 0;
	int err;

	if (!REQUIRE_ATTR(info, ESF_A_SESSION_ID, "esf: ESF_A_SESSION_ID is required") ||
	    !REQUIRE_ATTR(info, ESF_A_BENCH, "esf: ESF_A_BENCH is required"))
		return -EINVAL;
	err = nla_parse_nested(tb, ESF_BENCH_A_MAX, info->attrs[ESF_A_BENCH], bench_policy,
			       info->extack);
	if (err)
		return err;
	if (!tb[ESF_BENCH_A_SIZE] || !tb[ESF_BENCH_A_ITERATIONS]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ESF_A_BENCH],
				    "esf: bench needs a size and an iteration count");
		return -EINVAL;
	}
	size = nla_get_u32(tb[ESF_BENCH_A_SIZE]);
	iterations = nla_get_u32(tb[ESF_BENCH_A_ITERATIONS]);
	if (tb[ESF_BENCH_A_AAD_LEN])
		aad_len = nla_get_u32(tb[ESF_BENCH_A_AAD_LEN]);
	id = nla_get_u32(info->attrs[ESF_A_SESSION_ID]);
	s = esf_session_get(genl_info_net(info), id);
	if (!s || esf_session_dead(s)) {
		if (s)
			esf_session_put(s);
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ESF_A_SESSION_ID],
				    "esf: no such session");
		return -ENOENT;
	}
	err = esf_bench_run(s, size, aad_len, iterations, &nsec, info->extack);
	esf_session_put(s);
	if (err)
		return err;
	msg = bench_msg(info, id, size, aad_len, iterations, nsec);
	if (!msg)
		return -ENOMEM;
	return genlmsg_reply(msg, info);
}

/* Group sessions --------------------------------------------------------- */

/*
 * The group session a request names, held; epoch changes are the
 * administrator's (GENL_ADMIN_PERM), reading its senders is anyone's who
 * may use it.
 */
static struct esf_session *get_group_session(struct genl_info *info)
{
	struct esf_session *s;

	if (!REQUIRE_ATTR(info, ESF_A_SESSION_ID, "esf: ESF_A_SESSION_ID is required"))
		return ERR_PTR(-EINVAL);
	s = esf_session_get(genl_info_net(info), nla_get_u32(info->attrs[ESF_A_SESSION_ID]));
	if (s && !esf_session_may_use(s)) {
		esf_session_put(s);
		s = NULL;
	}
	if (!s) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ESF_A_SESSION_ID],
				    "esf: no such session");
		return ERR_PTR(-ENOENT);
	}
	if (!s->group) {
		esf_session_put(s);
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ESF_A_SESSION_ID],
				    "esf: not a group session");
		return ERR_PTR(-EINVAL);
	}
	return s;
}

/* ESF_A_GROUP's attributes, for the commands that take some. */
static int parse_group(struct genl_info *info, struct nlattr **tb)
{
	memset(tb, 0, sizeof(*tb) * (ESF_GROUP_A_MAX + 1));
	if (!info->attrs[ESF_A_GROUP])
		return 0;
	return nla_parse_nested(tb, ESF_GROUP_A_MAX, info->attrs[ESF_A_GROUP], group_policy,
				info->extack);
}

static int group_epoch_new(struct genl_info *info, struct esf_session *s)
{
	struct nlattr *tb[ESF_GROUP_A_MAX + 1];
	struct nlattr **a = info->attrs;
	int err;

	if (!REQUIRE_ATTR(info, ESF_A_KEY, "esf: ESF_A_KEY is required") ||
	    !REQUIRE_ATTR(info, ESF_A_SALT, "esf: ESF_A_SALT is required") ||
	    !REQUIRE_ATTR(info, ESF_A_GROUP, "esf: ESF_A_GROUP with the epoch is required"))
		return -EINVAL;
	err = parse_group(info, tb);
	if (err)
		return err;
	if (!tb[ESF_GROUP_A_EPOCH]) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[ESF_A_GROUP],
				    "esf: ESF_GROUP_A_EPOCH is required");
		return -EINVAL;
	}
	return esf_group_epoch_new(s, nla_get_u32(tb[ESF_GROUP_A_EPOCH]), nla_data(a[ESF_A_KEY]),
				   nla_len(a[ESF_A_KEY]), nla_data(a[ESF_A_SALT]), info->extack);
}

static int esf_nl_epoch_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *key = info->attrs[ESF_A_KEY];
	struct esf_session *s = get_group_session(info);
	int err = PTR_ERR_OR_ZERO(s);

	if (!err) {
		err = group_epoch_new(info, s);
		if (!err)
			err = reply_session(info, s, ESF_CMD_GROUP_EPOCH_NEW);
		esf_session_put(s);
	}
	/* As in SESSION_NEW: the transform has the key, the request must not. */
	if (key)
		memzero_explicit(nla_data(key), nla_len(key));
	return err;
}

static int esf_nl_epoch_switch(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[ESF_GROUP_A_MAX + 1];
	struct esf_session *s = get_group_session(info);
	u32 epoch;
	int err;

	if (IS_ERR(s))
		return PTR_ERR(s);
	err = parse_group(info, tb);
	if (!err) {
		if (tb[ESF_GROUP_A_EPOCH])
			epoch = nla_get_u32(tb[ESF_GROUP_A_EPOCH]);
		err = esf_group_epoch_switch(s, tb[ESF_GROUP_A_EPOCH] ? &epoch : NULL,
					     info->extack);
	}
	if (!err)
		err = reply_session(info, s, ESF_CMD_GROUP_EPOCH_SWITCH);
	esf_session_put(s);
	return err;
}

static int esf_nl_epoch_retire(struct sk_buff *skb, struct genl_info *info)
{
	struct esf_session *s = get_group_session(info);
	int err;

	if (IS_ERR(s))
		return PTR_ERR(s);
	err = esf_group_epoch_retire(s, info->extack);
	if (!err)
		err = reply_session(info, s, ESF_CMD_GROUP_EPOCH_RETIRE);
	esf_session_put(s);
	return err;
}

static size_t senders_size(unsigned int n)
{
	return nla_total_size(sizeof(u32)) + 2 * nla_total_size(0) + nla_total_size(sizeof(u32)) +
	       n * (nla_total_size(0) + nla_total_size(sizeof(u16)) +
		    nla_total_size_64bit(sizeof(u64)));
}

static int put_senders(struct sk_buff *msg, const struct esf_session *s,
		       const struct esf_group_sender *st, unsigned int n, u32 next)
{
	struct nlattr *nest, *one;
	unsigned int i;

	if (nla_put_u32(msg, ESF_A_SESSION_ID, s->id))
		return -EMSGSIZE;
	nest = nla_nest_start(msg, ESF_A_GROUP);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		one = nla_nest_start(msg, ESF_GROUP_A_SENDER_STATE);
		if (!one || nla_put_u16(msg, ESF_GROUP_A_SENDER, st[i].sender) ||
		    nla_put_u64_64bit(msg, ESF_GROUP_A_SENDER_TOP, st[i].top, ESF_GROUP_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(msg, one);
	}
	if (next != U32_MAX && nla_put_u32(msg, ESF_GROUP_A_SENDER_NEXT, next))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int reply_senders(struct genl_info *info, const struct esf_session *s, u32 first)
{
	struct esf_group_sender *st;
	struct sk_buff *msg = NULL;
	unsigned int n;
	void *hdr;
	u32 next;
	int err = -ENOMEM;

	st = kmalloc_array(ESF_GROUP_SENDERS_PER_MSG, sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	n = esf_group_senders_state(s, first, st, ESF_GROUP_SENDERS_PER_MSG, &next);
	msg = genlmsg_new(senders_size(n), GFP_KERNEL);
	if (!msg)
		goto out;
	err = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &esf_family, 0, ESF_CMD_GROUP_SENDERS);
	if (!hdr || put_senders(msg, s, st, n, next))
		goto out;
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
	msg = NULL;
out:
	nlmsg_free(msg);
	kfree(st);
	return err;
}

static int esf_nl_senders(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[ESF_GROUP_A_MAX + 1];
	struct esf_session *s = get_group_session(info);
	u32 first = 0;
	int err;

	if (IS_ERR(s))
		return PTR_ERR(s);
	err = parse_group(info, tb);
	if (!err) {
		if (tb[ESF_GROUP_A_SENDER])
			first = nla_get_u16(tb[ESF_GROUP_A_SENDER]);
		err = reply_senders(info, s, first);
	}
	esf_session_put(s);
	return err;
}

static const struct genl_ops esf_ops[] = {
	{
		.cmd = ESF_CMD_SESSION_NEW,
		.doit = esf_nl_new,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ESF_CMD_SESSION_DEL,
		.doit = esf_nl_del,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ESF_CMD_SESSION_GET,
		.doit = esf_nl_get,
		.dumpit = esf_nl_dump,
		ESF_GENL_DUMP_START,
	},
	{
		.cmd = ESF_CMD_SESSION_FLUSH,
		.doit = esf_nl_flush,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ESF_CMD_SESSION_BENCH,
		.doit = esf_nl_bench,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ESF_CMD_GROUP_EPOCH_NEW,
		.doit = esf_nl_epoch_new,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ESF_CMD_GROUP_EPOCH_SWITCH,
		.doit = esf_nl_epoch_switch,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ESF_CMD_GROUP_EPOCH_RETIRE,
		.doit = esf_nl_epoch_retire,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ESF_CMD_GROUP_SENDERS,
		.doit = esf_nl_senders,
	},
};

static struct genl_family esf_family __ro_after_init = {
	.name = ESF_GENL_NAME,
	.version = ESF_GENL_VERSION,
	.maxattr = ESF_A_MAX,
	.policy = esf_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = esf_ops,
	.n_ops = ARRAY_SIZE(esf_ops),
	/* A new family: every command is strict, reserved header bytes too. */
	ESF_GENL_RESV_START_OP(ESF_CMD_SESSION_NEW),
	.mcgrps = esf_mcgrps,
	.n_mcgrps = ARRAY_SIZE(esf_mcgrps),
};

int __init esf_netlink_init(void)
{
	return genl_register_family(&esf_family);
}

void esf_netlink_exit(void)
{
	genl_unregister_family(&esf_family);
}
