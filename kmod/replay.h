/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay window for OPEN (RFC 6479): a ring of bit blocks indexed by
 * sequence number, so advancing the window clears whole blocks instead of
 * shifting bits.
 */
#ifndef _ESF_REPLAY_H
#define _ESF_REPLAY_H

#include <linux/spinlock.h>
#include <linux/types.h>

struct esf_replay {
	spinlock_t lock;	/* serialises check and commit */
	u32 window;		/* 0: no replay check */
	u32 nblocks;		/* power of two, covers window + one block */
	bool seen;		/* top is valid */
	u64 top;		/* highest sequence number accepted */
	unsigned long *bits;
};

int esf_replay_init(struct esf_replay *r, u32 window);
void esf_replay_free(struct esf_replay *r);
int esf_replay_check(struct esf_replay *r, u64 seq);
int esf_replay_commit(struct esf_replay *r, u64 seq);

#endif /* _ESF_REPLAY_H */
