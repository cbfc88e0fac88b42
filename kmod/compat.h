/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels esf builds for. Each ESF_HAVE_* comes from
 * kmod/compat-probe.sh, which looks for the declaration in the headers of
 * the kernel being built against; nothing here tests version numbers.
 */
#ifndef _ESF_COMPAT_H
#define _ESF_COMPAT_H

#include <linux/crypto.h>
#include <linux/timer.h>

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
