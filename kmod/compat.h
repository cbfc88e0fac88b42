/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels esf builds for. Each ESF_HAVE_* comes from
 * kmod/compat-probe.sh, which looks for the declaration in the headers of
 * the kernel being built against; nothing here tests version numbers.
 */
#ifndef _ESF_COMPAT_H
#define _ESF_COMPAT_H

#include <linux/timer.h>

#ifndef ESF_HAVE_TIMER_SHUTDOWN
/* Before timer_shutdown_sync(), deleting was all there was. */
static inline int timer_shutdown_sync(struct timer_list *timer)
{
	return del_timer_sync(timer);
}
#endif

#endif /* _ESF_COMPAT_H */
