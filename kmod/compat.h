/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels esf builds for. Each ESF_HAVE_* comes from
 * kmod/compat-probe.sh, which looks for the declaration in the headers of
 * the kernel being built against; nothing here tests version numbers.
 */
#ifndef _ESF_COMPAT_H
#define _ESF_COMPAT_H

#include <linux/capability.h>
#include <linux/crypto.h>
#include <linux/highmem.h>
#include <linux/net.h>
#include <linux/timer.h>
#include <linux/uio.h>
#include <net/genetlink.h>
#include <net/sock.h>

/*
 * The AES library's key schedule: 7.x's struct aes_key, prepared by
 * aes_preparekey(), replaced struct crypto_aes_ctx for aes_encrypt() and
 * aes_decrypt(), whose names stayed.
 */
#include <crypto/aes.h>
struct esf_aes_key {
#ifdef ESF_HAVE_AES_PREPAREKEY
	struct aes_key k;
#else
	struct crypto_aes_ctx k;
#endif
};

static inline int esf_aes_setkey(struct esf_aes_key *a, const u8 *key, unsigned int len)
{
#ifdef ESF_HAVE_AES_PREPAREKEY
	return aes_preparekey(&a->k, key, len);
#else
	return aes_expandkey(&a->k, key, len);
#endif
}

static inline void esf_aes_encrypt(const struct esf_aes_key *a, u8 *out, const u8 *in)
{
	aes_encrypt(&a->k, out, in);
}

static inline void esf_aes_decrypt(const struct esf_aes_key *a, u8 *out, const u8 *in)
{
	aes_decrypt(&a->k, out, in);
}

#ifdef ESF_HAVE_LINUX_HEX
#include <linux/hex.h>
#endif

#ifdef ESF_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#ifndef ESF_HAVE_TIMER_SHUTDOWN
/* Before timer_shutdown_sync(), deleting was all there was. */
static inline int timer_shutdown_sync(struct timer_list *timer)
{
	return del_timer_sync(timer);
}
#endif

/*
 * 6.3 changed crypto_completion_t from (struct crypto_async_request *, int)
 * to (void *data, int). Completion callbacks are declared with ESF_CB_ARG as
 * their first parameter and get their request with esf_cb_data(arg), so one
 * function fits both.
 */
#ifdef ESF_HAVE_COMPLETION_DATA
#define ESF_CB_ARG void *arg

static inline void *esf_cb_data(void *arg)
{
	return arg;
}
#else
#define ESF_CB_ARG struct crypto_async_request *arg

static inline void *esf_cb_data(struct crypto_async_request *arg)
{
	return arg->data;
}
#endif

#ifndef ESF_HAVE_TIMER_CONTAINER_OF
/* Its name before 6.16. */
#define timer_container_of(var, callback_timer, timer_fieldname) \
	from_timer(var, callback_timer, timer_fieldname)
#endif

/*
 * 7.2 dropped the type and mask from an AF_ALG type's bind(); esf's type
 * never used them. esf_bind() is declared with ESF_ALG_BIND_ARGS.
 */
#ifdef ESF_HAVE_ALG_BIND_NAME
#define ESF_ALG_BIND_ARGS const char *name
#else
#define ESF_ALG_BIND_ARGS const char *name, u32 type, u32 mask
#endif

#ifndef ESF_HAVE_IOV_ITER_GET_PAGES2
/* Before 6.0, getting an iterator's pages did not advance it. */
static inline ssize_t iov_iter_get_pages2(struct iov_iter *i, struct page **pages,
					  size_t maxsize, unsigned int maxpages,
					  size_t *start)
{
	ssize_t got = iov_iter_get_pages(i, pages, maxsize, maxpages, start);

	if (got > 0)
		iov_iter_advance(i, got);
	return got;
}
#endif

#ifndef ESF_HAVE_USER_BACKED_ITER
/* Before 6.0 (and ITER_UBUF) only an iovec iterator held user memory. */
static inline bool user_backed_iter(const struct iov_iter *i)
{
	return iter_is_iovec(i);
}
#endif

#ifndef ESF_HAVE_MEMZERO_PAGE
static inline void memzero_page(struct page *page, size_t offset, size_t len)
{
	zero_user(page, offset, len);
}
#endif

#ifndef ESF_HAVE_GENL_REQ_ATTR_CHECK
/*
 * Before 6.1 the extended ack cannot name the type of a missing attribute;
 * esf's message that goes with it still does, in words.
 */
#define GENL_REQ_ATTR_CHECK(info, attr) (!(info)->attrs[attr])
#endif

/*
 * The "esf" family's reserved header bytes must be zero in every command.
 * 6.1 checks that for a family from its resv_start_op on; before, esf checks
 * it itself, before each doit and as each dump starts. The family sets
 * ESF_GENL_RESV_START_OP(first command) and the dumping ops
 * ESF_GENL_DUMP_START.
 */
#ifdef ESF_HAVE_GENL_RESV_START_OP
#define ESF_GENL_RESV_START_OP(cmd) .resv_start_op = (cmd)
#define ESF_GENL_DUMP_START .start = NULL
#else
static inline int esf_genl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
				    struct genl_info *info)
{
	if (!info->genlhdr->reserved)
		return 0;
	NL_SET_ERR_MSG(info->extack, "esf: reserved header bytes must be zero");
	return -EINVAL;
}

static inline int esf_genl_dump_start(struct netlink_callback *cb)
{
	const struct genlmsghdr *hdr = nlmsg_data(cb->nlh);

	if (!hdr->reserved)
		return 0;
	NL_SET_ERR_MSG(cb->extack, "esf: reserved header bytes must be zero");
	return -EINVAL;
}

#define ESF_GENL_RESV_START_OP(cmd) .pre_doit = esf_genl_pre_doit
#define ESF_GENL_DUMP_START .start = esf_genl_dump_start
#endif

/*
 * Events name sessions and key ids: administrators only. Since
 * GENL_MCAST_CAP_NET_ADMIN (6.6, and 6.1.y) the kernel refuses the group to
 * anyone else. Before, anyone may join a generic netlink group, so esf
 * delivers each event only to listeners whose socket was opened with
 * CAP_NET_ADMIN over the namespace's user namespace. Events go out through
 * esf_genl_multicast().
 */
#ifdef ESF_HAVE_GENL_MCAST_CAP
#define esf_genl_multicast genlmsg_multicast_netns
#else
#ifndef ESF_HAVE_NETLINK_BROADCAST_FILTERED
#error "esf: this kernel can neither restrict nor filter a multicast group's listeners"
#endif
#define GENL_MCAST_CAP_NET_ADMIN 0

static inline int esf_genl_not_admin(struct sock *dsk, struct sk_buff *skb, void *data)
{
	struct socket *sock = READ_ONCE(dsk->sk_socket);
	struct net *net = data;

	return !sock || !sock->file ||
	       !file_ns_capable(sock->file, net->user_ns, CAP_NET_ADMIN);
}

static inline int esf_genl_multicast(const struct genl_family *family, struct net *net,
				     struct sk_buff *skb, u32 portid, unsigned int group,
				     gfp_t flags)
{
	int err;

	group += family->mcgrp_offset;
	NETLINK_CB(skb).dst_group = group;
	err = netlink_broadcast_filtered(net->genl_sock, skb, portid, group, flags,
					 esf_genl_not_admin, net);
	return err > 0 ? 0 : err;
}
#endif

/*
 * io_uring commands on /dev/esf (dev.c): where files take them and
 * completions can be deferred to the submitter's task with the issue flags
 * at hand; ESF_URING is then defined. esf_uring_cmd_bytes() gives the
 * SQE's command bytes, esf_uring_done() posts the CQE, and
 * ESF_URING_TASK_WORK(fn) defines fn, a task-work callback that calls
 * fn##_cmd(cmd, issue_flags) whichever form the kernel's callbacks take
 * (a command and flags up to 6.x; a task-work request and token from 7.x).
 */
#if defined(ESF_HAVE_URING_CMD) && \
	(defined(ESF_HAVE_URING_CMD_FLAGS) || defined(ESF_HAVE_URING_TW_REQ))
#define ESF_URING
#ifdef ESF_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

struct esf_uring_sqe_cmd {
	u8 bytes[16];
};

static inline const void *esf_uring_cmd_bytes(struct io_uring_cmd *cmd)
{
#if defined(ESF_HAVE_IO_URING_SQE_CMD_TYPED)
	return io_uring_sqe_cmd(cmd->sqe, struct esf_uring_sqe_cmd);
#elif defined(ESF_HAVE_IO_URING_SQE_CMD)
	return io_uring_sqe_cmd(cmd->sqe);
#else
	return cmd->cmd;
#endif
}

static inline void esf_uring_done(struct io_uring_cmd *cmd, int ret,
				  unsigned int issue_flags)
{
#ifdef ESF_HAVE_URING_DONE32
	io_uring_cmd_done(cmd, ret, issue_flags);
#else
	io_uring_cmd_done(cmd, ret, 0, issue_flags);
#endif
}

#ifdef ESF_HAVE_URING_TW_REQ
#define ESF_URING_TASK_WORK(fn)						\
static void fn(struct io_tw_req tw_req, io_tw_token_t tw)		\
{									\
	fn##_cmd(io_uring_cmd_from_tw(tw_req),				\
		 IO_URING_CMD_TASK_WORK_ISSUE_FLAGS);			\
}
#else
#define ESF_URING_TASK_WORK(fn)						\
static void fn(struct io_uring_cmd *cmd, unsigned int issue_flags)	\
{									\
	fn##_cmd(cmd, issue_flags);					\
}
#endif
#endif

/* The command bytes of a plain 64-byte SQE. */
#define ESF_URING_CMD_LEN	16

#endif /* _ESF_COMPAT_H */
