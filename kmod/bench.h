/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ESF_BENCH_H
#define _ESF_BENCH_H

#include <linux/types.h>

struct esf_session;
struct netlink_ext_ack;

int esf_bench_run(struct esf_session *s, u32 size, u32 aad_len, u32 iterations,
		  u64 *nsec, struct netlink_ext_ack *extack);

#endif /* _ESF_BENCH_H */
