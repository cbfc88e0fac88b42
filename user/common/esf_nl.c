// SPDX-License-Identifier: GPL-2.0
/*
 * Client of the kernel's "esf" generic netlink family (libnl-genl-3).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "esf_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct esf_nl {
	struct nl_sock *sk;
	int family;
	int err;		/* errno from the last error ack */
	bool interrupted;	/* the last dump saw NLM_F_DUMP_INTR */
	char errmsg[256];
};

/* What a receive loop fills in. */
struct recv_ctx {
	struct esf_nl *nl;
	esf_nl_session_cb cb;
	void *arg;
	struct esf_nl_session *one;	/* doit replies */
	uint32_t *flushed;
	uint64_t *bench_nsec;
	esf_nl_sender_cb sender_cb;	/* ESF_CMD_GROUP_SENDERS */
	uint32_t next_sender;		/* UINT32_MAX: the last page */
	int cb_err;
	bool done;	/* the ack, error or end of dump arrived */
};

/* Map libnl's own error codes to errno for the ones that can reach us. */
static int nlerr_to_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_PERM:
		return -EPERM;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}

int esf_nl_open(struct esf_nl **nlp)
{
	struct esf_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, err;

	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	err = genl_connect(nl->sk);
	if (err) {
		err = nlerr_to_errno(err);
		goto fail;
	}
	/* Extended acks carry the kernel's reason; capped acks never echo a
	 * request (which may hold a key) back to us.
	 */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, ESF_GENL_NAME);
	if (nl->family < 0) {
		err = -ENOENT;	/* esf.ko not loaded */
		goto fail;
	}
	*nlp = nl;
	return 0;
fail:
	nl_socket_free(nl->sk);
	free(nl);
	return err;
}

void esf_nl_close(struct esf_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

int esf_nl_family_id(const struct esf_nl *nl)
{
	return nl->family;
}

/*
 * A dump of the controller's families, unlike a lookup by name, never makes
 * the kernel load the family's module: how to ask "is esf.ko loaded?"
 * without loading it, and without depending on /sys/module (absent in some
 * containers, hidden by some sysfs mounts).
 */
int esf_nl_family_present(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct genl_family *fam;
	int err, present;

	if (!sk)
		return -ENOMEM;
	err = genl_connect(sk);
	if (!err)
		err = genl_ctrl_alloc_cache(sk, &cache);
	if (err) {
		nl_socket_free(sk);
		return nlerr_to_errno(err);
	}
	fam = genl_ctrl_search_by_name(cache, ESF_GENL_NAME);
	present = fam != NULL;
	if (fam)
		genl_family_put(fam);
	nl_cache_free(cache);
	nl_socket_free(sk);
	return present;
}

const char *esf_nl_errmsg(const struct esf_nl *nl)
{
	return nl->errmsg;
}

/* Parsing ----------------------------------------------------------------- */

static void get_lifetime(struct nlattr *attr, struct esf_nl_lifetime *lt)
{
	struct nlattr *tb[ESF_LIFETIME_A_MAX + 1];

	memset(lt, 0, sizeof(*lt));
	if (!attr || nla_parse_nested(tb, ESF_LIFETIME_A_MAX, attr, NULL))
		return;
	if (tb[ESF_LIFETIME_A_MESSAGES])
		lt->messages = nla_get_u64(tb[ESF_LIFETIME_A_MESSAGES]);
	if (tb[ESF_LIFETIME_A_BYTES])
		lt->bytes = nla_get_u64(tb[ESF_LIFETIME_A_BYTES]);
	if (tb[ESF_LIFETIME_A_SECONDS])
		lt->seconds = nla_get_u64(tb[ESF_LIFETIME_A_SECONDS]);
}

static void get_stats(struct nlattr *attr, uint64_t *stats)
{
	struct nlattr *tb[ESF_STATS_A_MAX + 1];
	int i;

	if (!attr || nla_parse_nested(tb, ESF_STATS_A_MAX, attr, NULL))
		return;
	for (i = 0; i <= ESF_STATS_A_MAX; i++)
		if (tb[i] && i != ESF_STATS_A_PAD)
			stats[i] = nla_get_u64(tb[i]);
}

static void get_bytes(struct nlattr *attr, void *dst, size_t max, uint8_t *len)
{
	size_t n = (size_t)nla_len(attr);

	if (n > max)
		n = max;
	memcpy(dst, nla_data(attr), n);
	if (len)
		*len = (uint8_t)n;
}

#define U8(a, f) do { if (tb[a]) f = nla_get_u8(tb[a]); } while (0)
#define U32(a, f) do { if (tb[a]) f = nla_get_u32(tb[a]); } while (0)
#define U64(a, f) do { if (tb[a]) f = nla_get_u64(tb[a]); } while (0)

static void parse_group(struct nlattr *attr, struct esf_nl_group *g)
{
	struct nlattr *tb[ESF_GROUP_A_MAX + 1];

	if (!attr || nla_parse_nested(tb, ESF_GROUP_A_MAX, attr, NULL))
		return;
	g->is_group = true;
	if (tb[ESF_GROUP_A_SENDERS])
		g->senders = nla_get_u16(tb[ESF_GROUP_A_SENDERS]);
	if (tb[ESF_GROUP_A_SENDER])
		g->sender = nla_get_u16(tb[ESF_GROUP_A_SENDER]);
	U32(ESF_GROUP_A_EPOCH, g->epoch);
	U32(ESF_GROUP_A_SENDERS_SEEN, g->senders_seen);
	g->has_next = tb[ESF_GROUP_A_EPOCH_NEXT] && tb[ESF_GROUP_A_SALT_NEXT];
	if (g->has_next) {
		g->epoch_next = nla_get_u32(tb[ESF_GROUP_A_EPOCH_NEXT]);
		get_bytes(tb[ESF_GROUP_A_SALT_NEXT], g->salt_next, ESF_SALT_LEN, NULL);
	}
	g->has_prev = tb[ESF_GROUP_A_EPOCH_PREV] && tb[ESF_GROUP_A_SALT_PREV];
	if (g->has_prev) {
		g->epoch_prev = nla_get_u32(tb[ESF_GROUP_A_EPOCH_PREV]);
		get_bytes(tb[ESF_GROUP_A_SALT_PREV], g->salt_prev, ESF_SALT_LEN, NULL);
	}
}

static void parse_session(struct nlattr **tb, struct esf_nl_session *s)
{
	memset(s, 0, sizeof(*s));
	U32(ESF_A_SESSION_ID, s->id);
	if (tb[ESF_A_ALG])
		nla_strlcpy(s->alg, tb[ESF_A_ALG], sizeof(s->alg));
	if (tb[ESF_A_DRIVER])
		nla_strlcpy(s->driver, tb[ESF_A_DRIVER], sizeof(s->driver));
	U32(ESF_A_KEY_LEN, s->key_len);
	if (tb[ESF_A_SALT] && nla_len(tb[ESF_A_SALT]) == ESF_SALT_LEN) {
		memcpy(s->salt, nla_data(tb[ESF_A_SALT]), ESF_SALT_LEN);
		s->has_salt = true;
	}
	U8(ESF_A_DIRECTION, s->direction);
	U8(ESF_A_TAG_LEN, s->tag_len);
	U8(ESF_A_SESSION_TYPE, s->session_type);
	U8(ESF_A_DATA_CLASS, s->data_class);
	U8(ESF_A_STATE, s->state);
	if (tb[ESF_A_KEY_ID])
		get_bytes(tb[ESF_A_KEY_ID], s->key_id, sizeof(s->key_id), &s->key_id_len);
	U32(ESF_A_REPLAY_WINDOW, s->replay_window);
	U8(ESF_A_NONCE_POLICY, s->nonce_policy);
	U32(ESF_A_REPLAY_REMEMBERED, s->replay_remembered);
	U32(ESF_A_REPLAY_MEMORY, s->replay_memory);
	U8(ESF_A_CEK_LEN, s->cek_len);
	U8(ESF_A_FRAMING, s->framing);
	U64(ESF_A_SEQ_START, s->seq_start);
	U64(ESF_A_SEQ_NEXT, s->seq_next);
	U64(ESF_A_AGE, s->age);
	get_lifetime(tb[ESF_A_LIFETIME_SOFT], &s->soft);
	get_lifetime(tb[ESF_A_LIFETIME_HARD], &s->hard);
	get_lifetime(tb[ESF_A_USAGE], &s->usage);
	U32(ESF_A_OWNER_UID, s->owner_uid);
	U32(ESF_A_OWNER_GID, s->owner_gid);
	U32(ESF_A_FLAGS, s->flags);
	U32(ESF_A_PROVIDER, s->provider);
	get_stats(tb[ESF_A_STATS], s->stats);
	parse_group(tb[ESF_A_GROUP], &s->group);
}

/* One page of ESF_CMD_GROUP_SENDERS: each sender to the callback. */
static int parse_senders(struct recv_ctx *ctx, struct nlattr *group)
{
	struct nlattr *a, *one[ESF_GROUP_A_MAX + 1];
	int rem, err;

	ctx->next_sender = UINT32_MAX;
	nla_for_each_nested(a, group, rem) {
		if (nla_type(a) == ESF_GROUP_A_SENDER_NEXT) {
			ctx->next_sender = nla_get_u32(a);
			continue;
		}
		if (nla_type(a) != ESF_GROUP_A_SENDER_STATE ||
		    nla_parse_nested(one, ESF_GROUP_A_MAX, a, NULL) ||
		    !one[ESF_GROUP_A_SENDER] || !one[ESF_GROUP_A_SENDER_TOP])
			continue;
		err = ctx->sender_cb(nla_get_u16(one[ESF_GROUP_A_SENDER]),
				     nla_get_u64(one[ESF_GROUP_A_SENDER_TOP]), ctx->arg);
		if (err)
			return err;
	}
	return 0;
}

static int parse_attrs(struct nl_msg *msg, struct nlattr **tb)
{
	return genlmsg_parse(nlmsg_hdr(msg), 0, tb, ESF_A_MAX, NULL);
}

/* Receiving ------------------------------------------------------------- */

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct recv_ctx *ctx = arg;
	struct nlattr *tb[ESF_A_MAX + 1];
	struct esf_nl_session s;

	if (nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP_INTR)
		ctx->nl->interrupted = true;
	if (parse_attrs(msg, tb))
		return NL_SKIP;
	if (ctx->flushed && tb[ESF_A_FLUSHED])
		*ctx->flushed = nla_get_u32(tb[ESF_A_FLUSHED]);
	if (ctx->bench_nsec && tb[ESF_A_BENCH]) {
		struct nlattr *b[ESF_BENCH_A_MAX + 1];

		if (!nla_parse_nested(b, ESF_BENCH_A_MAX, tb[ESF_A_BENCH], NULL) &&
		    b[ESF_BENCH_A_NSEC])
			*ctx->bench_nsec = nla_get_u64(b[ESF_BENCH_A_NSEC]);
		return NL_OK;
	}
	if (ctx->sender_cb) {
		if (tb[ESF_A_GROUP])
			ctx->cb_err = parse_senders(ctx, tb[ESF_A_GROUP]);
		return ctx->cb_err ? NL_STOP : NL_OK;
	}
	if (!tb[ESF_A_SESSION_ID])
		return NL_OK;
	if (ctx->one) {
		parse_session(tb, ctx->one);
		return NL_OK;
	}
	if (ctx->cb) {
		parse_session(tb, &s);
		ctx->cb_err = ctx->cb(&s, ctx->arg);
		if (ctx->cb_err)
			return NL_STOP;
	}
	return NL_OK;
}

/* Keep the errno and the extended-ack message of an error ack. */
static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct recv_ctx *ctx = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	(void)who;
	ctx->done = true;
	ctx->nl->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || nlh->nlmsg_len <= off)
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nlh->nlmsg_len <= off ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		      (int)(nlh->nlmsg_len - off), NULL))
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(ctx->nl->errmsg, tb[NLMSGERR_ATTR_MSG], sizeof(ctx->nl->errmsg));
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct recv_ctx *ctx = arg;

	(void)msg;
	ctx->done = true;
	return NL_STOP;
}

/* The key went into the message buffer: wipe it before the buffer is freed. */
static void wipe_key(struct nl_msg *msg)
{
	struct nlattr *key = nlmsg_find_attr(nlmsg_hdr(msg), GENL_HDRLEN, ESF_A_KEY);

	if (key)
		explicit_bzero(nla_data(key), (size_t)nla_len(key));
}

/* Send @msg (consumed, any key in it wiped) and process replies until the
 * ack or the dump's end.
 */
static int transact(struct esf_nl *nl, struct nl_msg *msg, struct recv_ctx *ctx)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	nl->err = 0;
	nl->errmsg[0] = '\0';
	nl->interrupted = false;
	if (!cb) {
		wipe_key(msg);
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ctx->nl = nl;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, ctx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_ack, ctx);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, ctx);
	err = nl_send_auto(nl->sk, msg);
	wipe_key(msg);
	nlmsg_free(msg);
	/* A doit reply and its ack are two datagrams, and nl_recvmsgs()
	 * returns after a datagram without NLM_F_MULTI: read on until the ack
	 * (or error, or end of dump), or the ack is left for the next request
	 * of a long-lived socket, which would then take it for its own.
	 */
	while (err >= 0 && !ctx->done && !ctx->cb_err)
		err = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (nl->err)
		return nl->err;
	if (err < 0)
		return nlerr_to_errno(err);
	if (ctx->cb_err)
		return ctx->cb_err;
	return nl->interrupted ? -EAGAIN : 0;
}

static struct nl_msg *new_msg(struct esf_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, ESF_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Requests -------------------------------------------------------------- */

static int put_lifetime(struct nl_msg *msg, int type, const struct esf_nl_lifetime *lt)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest ||
	    (lt->messages && nla_put_u64(msg, ESF_LIFETIME_A_MESSAGES, lt->messages)) ||
	    (lt->bytes && nla_put_u64(msg, ESF_LIFETIME_A_BYTES, lt->bytes)) ||
	    (lt->seconds && nla_put_u64(msg, ESF_LIFETIME_A_SECONDS, lt->seconds)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

#define PUT_IF(bit, expr) do { if ((r->set & (bit)) && (expr)) return -EMSGSIZE; } while (0)

static int put_new(struct nl_msg *msg, const struct esf_nl_new *r)
{
	if (nla_put_string(msg, ESF_A_ALG, r->alg) ||
	    nla_put(msg, ESF_A_KEY, (int)r->key_len, r->key))
		return -EMSGSIZE;
	PUT_IF(ESF_NEW_ID, nla_put_u32(msg, ESF_A_SESSION_ID, r->id));
	PUT_IF(ESF_NEW_DRIVER, nla_put_string(msg, ESF_A_DRIVER, r->driver));
	PUT_IF(ESF_NEW_SALT, nla_put(msg, ESF_A_SALT, ESF_SALT_LEN, r->salt));
	PUT_IF(ESF_NEW_DIRECTION, nla_put_u8(msg, ESF_A_DIRECTION, r->direction));
	PUT_IF(ESF_NEW_TAG_LEN, nla_put_u8(msg, ESF_A_TAG_LEN, r->tag_len));
	PUT_IF(ESF_NEW_KEY_ID, nla_put(msg, ESF_A_KEY_ID, (int)r->key_id_len, r->key_id));
	PUT_IF(ESF_NEW_REPLAY_WINDOW, nla_put_u32(msg, ESF_A_REPLAY_WINDOW, r->replay_window));
	PUT_IF(ESF_NEW_SEQ_START, nla_put_u64(msg, ESF_A_SEQ_START, r->seq_start));
	PUT_IF(ESF_NEW_SOFT, put_lifetime(msg, ESF_A_LIFETIME_SOFT, &r->soft));
	PUT_IF(ESF_NEW_HARD, put_lifetime(msg, ESF_A_LIFETIME_HARD, &r->hard));
	PUT_IF(ESF_NEW_SESSION_TYPE, nla_put_u8(msg, ESF_A_SESSION_TYPE, r->session_type));
	PUT_IF(ESF_NEW_DATA_CLASS, nla_put_u8(msg, ESF_A_DATA_CLASS, r->data_class));
	PUT_IF(ESF_NEW_OWNER_UID, nla_put_u32(msg, ESF_A_OWNER_UID, r->owner_uid));
	PUT_IF(ESF_NEW_OWNER_GID, nla_put_u32(msg, ESF_A_OWNER_GID, r->owner_gid));
	PUT_IF(ESF_NEW_FLAGS, nla_put_u32(msg, ESF_A_FLAGS, r->flags));
	PUT_IF(ESF_NEW_NONCE_POLICY, nla_put_u8(msg, ESF_A_NONCE_POLICY, r->nonce_policy));
	PUT_IF(ESF_NEW_CEK_LEN, nla_put_u8(msg, ESF_A_CEK_LEN, r->cek_len));
	PUT_IF(ESF_NEW_FRAMING, nla_put_u8(msg, ESF_A_FRAMING, r->framing));
	if (r->set & ESF_NEW_GROUP) {
		struct nlattr *nest = nla_nest_start(msg, ESF_A_GROUP);

		if (!nest || nla_put_u16(msg, ESF_GROUP_A_SENDERS, r->group_senders) ||
		    nla_put_u16(msg, ESF_GROUP_A_SENDER, r->group_sender) ||
		    nla_put_u32(msg, ESF_GROUP_A_EPOCH, r->group_epoch))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	return 0;
}

int esf_nl_session_new(struct esf_nl *nl, const struct esf_nl_new *req,
		       struct esf_nl_session *out)
{
	struct esf_nl_session tmp;
	struct recv_ctx ctx = { .one = out ? out : &tmp };
	struct nl_msg *msg = new_msg(nl, ESF_CMD_SESSION_NEW, NLM_F_ACK);
	int err;

	if (!msg)
		return -ENOMEM;
	err = put_new(msg, req);
	if (err) {
		wipe_key(msg);
		nlmsg_free(msg);
		return err;
	}
	return transact(nl, msg, &ctx);
}

int esf_nl_session_del(struct esf_nl *nl, uint32_t id)
{
	struct recv_ctx ctx = { 0 };
	struct nl_msg *msg = new_msg(nl, ESF_CMD_SESSION_DEL, NLM_F_ACK);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, ESF_A_SESSION_ID, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(nl, msg, &ctx);
}

int esf_nl_session_get(struct esf_nl *nl, uint32_t id, struct esf_nl_session *out)
{
	struct recv_ctx ctx = { .one = out };
	struct nl_msg *msg = new_msg(nl, ESF_CMD_SESSION_GET, NLM_F_ACK);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, ESF_A_SESSION_ID, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(nl, msg, &ctx);
}

int esf_nl_session_bench(struct esf_nl *nl, uint32_t id, uint32_t size, uint32_t aad_len,
			 uint32_t iterations, uint64_t *nsec)
{
	struct recv_ctx ctx = { .bench_nsec = nsec };
	struct nl_msg *msg = new_msg(nl, ESF_CMD_SESSION_BENCH, NLM_F_ACK);
	struct nlattr *nest = NULL;

	if (!msg)
		return -ENOMEM;
	*nsec = 0;
	if (nla_put_u32(msg, ESF_A_SESSION_ID, id) ||
	    !(nest = nla_nest_start(msg, ESF_A_BENCH)) ||
	    nla_put_u32(msg, ESF_BENCH_A_SIZE, size) ||
	    nla_put_u32(msg, ESF_BENCH_A_AAD_LEN, aad_len) ||
	    nla_put_u32(msg, ESF_BENCH_A_ITERATIONS, iterations)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return transact(nl, msg, &ctx);
}

int esf_nl_session_dump(struct esf_nl *nl, esf_nl_session_cb cb, void *arg)
{
	struct recv_ctx ctx = { .cb = cb, .arg = arg };
	struct nl_msg *msg = new_msg(nl, ESF_CMD_SESSION_GET, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	return transact(nl, msg, &ctx);
}

int esf_nl_session_flush(struct esf_nl *nl, uint32_t *flushed)
{
	uint32_t n = 0;
	struct recv_ctx ctx = { .flushed = &n };
	struct nl_msg *msg = new_msg(nl, ESF_CMD_SESSION_FLUSH, NLM_F_ACK);
	int err;

	if (!msg)
		return -ENOMEM;
	err = transact(nl, msg, &ctx);
	if (!err && flushed)
		*flushed = n;
	return err;
}

/* Group sessions -------------------------------------------------------- */

/* A group request naming session @id, with ESF_A_GROUP holding @epoch if given. */
static struct nl_msg *group_msg(struct esf_nl *nl, uint8_t cmd, uint32_t id,
				const uint32_t *epoch)
{
	struct nl_msg *msg = new_msg(nl, cmd, NLM_F_ACK);
	struct nlattr *nest;

	if (!msg)
		return NULL;
	if (nla_put_u32(msg, ESF_A_SESSION_ID, id))
		goto fail;
	if (epoch) {
		nest = nla_nest_start(msg, ESF_A_GROUP);
		if (!nest || nla_put_u32(msg, ESF_GROUP_A_EPOCH, *epoch))
			goto fail;
		nla_nest_end(msg, nest);
	}
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

int esf_nl_group_epoch_new(struct esf_nl *nl, uint32_t id, uint32_t epoch, const uint8_t *key,
			   size_t key_len, const uint8_t *salt, struct esf_nl_session *out)
{
	struct esf_nl_session tmp;
	struct recv_ctx ctx = { .one = out ? out : &tmp };
	struct nl_msg *msg = group_msg(nl, ESF_CMD_GROUP_EPOCH_NEW, id, &epoch);

	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, ESF_A_KEY, (int)key_len, key) ||
	    nla_put(msg, ESF_A_SALT, ESF_SALT_LEN, salt)) {
		wipe_key(msg);
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(nl, msg, &ctx);
}

int esf_nl_group_epoch_switch(struct esf_nl *nl, uint32_t id, const uint32_t *epoch,
			      struct esf_nl_session *out)
{
	struct esf_nl_session tmp;
	struct recv_ctx ctx = { .one = out ? out : &tmp };
	struct nl_msg *msg = group_msg(nl, ESF_CMD_GROUP_EPOCH_SWITCH, id, epoch);

	return msg ? transact(nl, msg, &ctx) : -ENOMEM;
}

int esf_nl_group_epoch_retire(struct esf_nl *nl, uint32_t id, struct esf_nl_session *out)
{
	struct esf_nl_session tmp;
	struct recv_ctx ctx = { .one = out ? out : &tmp };
	struct nl_msg *msg = group_msg(nl, ESF_CMD_GROUP_EPOCH_RETIRE, id, NULL);

	return msg ? transact(nl, msg, &ctx) : -ENOMEM;
}

int esf_nl_group_senders(struct esf_nl *nl, uint32_t id, esf_nl_sender_cb cb, void *arg)
{
	uint32_t first = 0;
	int err;

	do {
		struct recv_ctx ctx = { .sender_cb = cb, .arg = arg, .next_sender = UINT32_MAX };
		struct nl_msg *msg = group_msg(nl, ESF_CMD_GROUP_SENDERS, id, NULL);
		struct nlattr *nest;

		if (!msg)
			return -ENOMEM;
		nest = nla_nest_start(msg, ESF_A_GROUP);
		if (!nest || nla_put_u16(msg, ESF_GROUP_A_SENDER, (uint16_t)first)) {
			nlmsg_free(msg);
			return -EMSGSIZE;
		}
		nla_nest_end(msg, nest);
		err = transact(nl, msg, &ctx);
		first = ctx.next_sender;
	} while (!err && first != UINT32_MAX);
	return err;
}

/* Events ---------------------------------------------------------------- */

int esf_nl_events_subscribe(struct esf_nl *nl)
{
	int grp = genl_ctrl_resolve_grp(nl->sk, ESF_GENL_NAME, ESF_MCGRP_EVENTS);
	int err;

	if (grp < 0)
		return -ENOENT;
	err = nl_socket_add_membership(nl->sk, grp);
	if (err)
		return err == -NLE_PERM ? -EPERM : nlerr_to_errno(err);
	return 0;
}

/*
 * The genetlink controller's "notify" group announces every family that is
 * registered or unregistered, in every namespace for a family such as
 * esf's that works in any: how a daemon learns that esf.ko was unloaded
 * (its sessions are gone, its family id and events group with them) and
 * loaded again (a new family id to resolve, the events group to join).
 */
int esf_nl_family_watch(struct esf_nl *nl)
{
	int grp = genl_ctrl_resolve_grp(nl->sk, "nlctrl", "notify");
	int err;

	if (grp < 0)
		return -ENOENT;
	err = nl_socket_add_membership(nl->sk, grp);
	return err ? nlerr_to_errno(err) : 0;
}

int esf_nl_fd(const struct esf_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

struct event_ctx {
	esf_nl_event_cb cb;
	void *arg;
};

/* Events are not replies: they carry no sequence number to check. */
static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct event_ctx *ctx = arg;
	struct nlattr *tb[ESF_A_MAX + 1];
	struct esf_nl_event ev;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	memset(&ev, 0, sizeof(ev));
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		/* esf_nl_family_watch(): only esf's own family matters. */
		struct nlattr *ct[CTRL_ATTR_MAX + 1];
		uint8_t cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;

		if (genlmsg_parse(nlh, 0, ct, CTRL_ATTR_MAX, NULL) ||
		    !ct[CTRL_ATTR_FAMILY_NAME] ||
		    strcmp(nla_get_string(ct[CTRL_ATTR_FAMILY_NAME]), ESF_GENL_NAME) ||
		    (cmd != CTRL_CMD_NEWFAMILY && cmd != CTRL_CMD_DELFAMILY))
			return NL_SKIP;
		ev.family_event = cmd == CTRL_CMD_NEWFAMILY ? ESF_NL_FAMILY_NEW :
							      ESF_NL_FAMILY_DEL;
		if (ct[CTRL_ATTR_FAMILY_ID])
			ev.family_id = nla_get_u16(ct[CTRL_ATTR_FAMILY_ID]);
		ctx->cb(&ev, ctx->arg);
		return NL_OK;
	}
	if (parse_attrs(msg, tb))
		return NL_SKIP;
	ev.cmd = ((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(msg)))->cmd;
	if (ev.cmd == ESF_CMD_SESSION_NEW || ev.cmd == ESF_CMD_SESSION_DEL)
		parse_session(tb, &ev.session);
	if (tb[ESF_A_SESSION_ID])
		ev.session_id = nla_get_u32(tb[ESF_A_SESSION_ID]);
	if (tb[ESF_A_EXPIRE_KIND])
		ev.expire_kind = nla_get_u8(tb[ESF_A_EXPIRE_KIND]);
	if (tb[ESF_A_EXPIRE_REASON])
		ev.expire_reason = nla_get_u8(tb[ESF_A_EXPIRE_REASON]);
	get_lifetime(tb[ESF_A_USAGE], &ev.usage);
	if (tb[ESF_A_KEY_ID])
		get_bytes(tb[ESF_A_KEY_ID], ev.key_id, sizeof(ev.key_id), &ev.key_id_len);
	if (tb[ESF_A_FLUSHED])
		ev.flushed = nla_get_u32(tb[ESF_A_FLUSHED]);
	ctx->cb(&ev, ctx->arg);
	return NL_OK;
}

int esf_nl_events_read(struct esf_nl *nl, esf_nl_event_cb cb, void *arg)
{
	struct event_ctx ctx = { .cb = cb, .arg = arg };
	struct nl_cb *ncb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	if (!ncb)
		return -ENOMEM;
	nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &ctx);
	nl_cb_set(ncb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	err = nl_recvmsgs(nl->sk, ncb);
	nl_cb_put(ncb);
	return err < 0 ? nlerr_to_errno(err) : 0;
}
