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
 * to (void *data, int). Completion callbacks take an esf_cb_arg_t and get
 * their request with esf_cb_data(), so one function fits both.
 */
#ifdef ESF_HAVE_COMPLETION_DATA
typedef void *esf_cb_arg_t;

static inline void *esf_cb_data(esf_cb_arg_t arg)
{
	return arg;
}
#else
typedef struct crypto_async_request *esf_cb_arg_t;

static inline void *esf_cb_data(esf_cb_arg_t arg)
{
	return arg->data;
}
#endif

#endif /* _ESF_COMPAT_H */
