/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay protection for OPEN, in one of two forms:
 *
 * - a window (nonce policy "esf"): RFC 6479, a ring of bit blocks indexed
 *   by sequence number, so advancing the window clears whole blocks
 *   instead of shifting bits;
 * - a record (nonce policy "any"): the nonces of the last records opened,
 *   as 64-bit keyed fingerprints, for peers that pick their own IVs and
 *   have no sequence numbers to order a window by.
 */
#ifndef _ESF_REPLAY_H
#define _ESF_REPLAY_H

#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct esf_replay {
	spinlock_t lock;	/* serialises check and commit */
	u32 window;		/* sequence numbers, or records remembered; 0: off */
	bool record;		/* a record of nonces, not a window */

	/* Window. */
	u32 nblocks;		/* power of two, covers window + one block */
	bool seen;		/* top is valid */
	u64 top;		/* highest sequence number accepted */
	unsigned long *bits;

	/*
	 * Record: the fingerprints in arrival order (a ring of window
	 * entries, the oldest at head), and the same in an open-addressing
	 * table of twice as many slots for lookups (0 marks a free slot).
	 */
	u32 count;
	u32 head;
	u32 mask;		/* table slots - 1 */
	siphash_key_t fp_key;
	u64 *ring;
	u64 *table;
};

int esf_replay_init(struct esf_replay *r, u32 window, bool record);
void esf_replay_free(struct esf_replay *r);
size_t esf_replay_memory(const struct esf_replay *r);
u32 esf_replay_remembered(const struct esf_replay *r);

int esf_replay_check(struct esf_replay *r, u64 seq);
int esf_replay_commit(struct esf_replay *r, u64 seq);

int esf_replay_check_nonce(struct esf_replay *r, const u8 *nonce, unsigned int len);
int esf_replay_commit_nonce(struct esf_replay *r, const u8 *nonce, unsigned int len,
			    bool *evicted);

#endif /* _ESF_REPLAY_H */
