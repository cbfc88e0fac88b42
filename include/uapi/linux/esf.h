/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * esf: user-space API of the oneM2M End-to-End Security Framework fast path.
 *
 * The one header shared by esf.ko and everything in user space (libesf,
 * esfd, esfctl, the selftests).
 */
#ifndef _UAPI_LINUX_ESF_H
#define _UAPI_LINUX_ESF_H

/* Module name, as seen in /sys/module and by modprobe. */
#define ESF_MODULE_NAME "esf"

#endif /* _UAPI_LINUX_ESF_H */
