/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ESF_NETLINK_H
#define _ESF_NETLINK_H

#include <uapi/linux/esf.h>

struct esf_session;

int esf_netlink_init(void);
void esf_netlink_exit(void);
void esf_nl_notify_expire(struct esf_session *s, enum esf_expire_kind kind,
			  enum esf_expire_reason reason);

#endif /* _ESF_NETLINK_H */
