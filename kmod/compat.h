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

#endif /* _ESF_COMPAT_H */
