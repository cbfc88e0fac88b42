// SPDX-License-Identifier: GPL-2.0
/*
 * Replay window. OPEN calls esf_replay_check() before decrypting, to drop
 * replays cheaply, and esf_replay_commit() only once the tag has verified:
 * a forged record never moves the window. Commit checks again under the
 * lock, so when two CPUs open the same record at once exactly one wins.
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/slab.h>

#include "replay.h"

#define BLOCK_BITS BITS_PER_LONG

int esf_replay_init(struct esf_replay *r, u32 window)
{
	spin_lock_init(&r->lock);
	r->window = window;
	r->seen = false;
	r->top = 0;
	r->bits = NULL;
	r->nblocks = 0;
	if (!window)
		return 0;
	/* One spare block: the block holding top is only partly in the window. */
	r->nblocks = roundup_pow_of_two(DIV_ROUND_UP(window, BLOCK_BITS) + 1);
	r->bits = kcalloc(r->nblocks, sizeof(*r->bits), GFP_KERNEL);
	return r->bits ? 0 : -ENOMEM;
}

void esf_replay_free(struct esf_replay *r)
{
	kfree(r->bits);
	r->bits = NULL;
}

static unsigned long *block_of(struct esf_replay *r, u64 seq)
{
	return &r->bits[(seq / BLOCK_BITS) & (r->nblocks - 1)];
}

static unsigned long bit_of(u64 seq)
{
	return BIT(seq % BLOCK_BITS);
}

/* Caller holds r->lock. */
static int check_locked(struct esf_replay *r, u64 seq)
{
	if (!r->seen || seq > r->top)
		return 0;
	if (r->top - seq >= r->window)
		return -ESTALE;
	if (*block_of(r, seq) & bit_of(seq))
		return -EALREADY;
	return 0;
}

/**
 * esf_replay_check() - may a record with this sequence number be opened?
 * @r: the session's window
 * @seq: the record's sequence number
 *
 * Changes nothing.
 *
 * Return: 0, -EALREADY (seen before) or -ESTALE (left of the window).
 */
int esf_replay_check(struct esf_replay *r, u64 seq)
{
	unsigned long flags;
	int err;

	if (!r->window)
		return 0;
	spin_lock_irqsave(&r->lock, flags);
	err = check_locked(r, seq);
	spin_unlock_irqrestore(&r->lock, flags);
	return err;
}

/**
 * esf_replay_commit() - mark a sequence number seen after authentication
 * @r: the session's window
 * @seq: the authenticated record's sequence number
 *
 * Return: 0, or -EALREADY/-ESTALE when another CPU committed the same
 * number (or moved the window past it) since esf_replay_check().
 */
int esf_replay_commit(struct esf_replay *r, u64 seq)
{
	unsigned long flags;
	u64 from, to;
	int err;

	if (!r->window)
		return 0;
	spin_lock_irqsave(&r->lock, flags);
	err = check_locked(r, seq);
	if (err)
		goto out;
	if (!r->seen || seq > r->top) {
		/* Clear the blocks the window slides onto, at most all of them. */
		from = r->seen ? r->top / BLOCK_BITS + 1 : seq / BLOCK_BITS;
		to = seq / BLOCK_BITS;
		/* from > to: seq is in top's block, nothing to clear. */
		if (from <= to && to - from >= r->nblocks)
			from = to - r->nblocks + 1;
		for (; from <= to; from++)
			r->bits[from & (r->nblocks - 1)] = 0;
		r->top = seq;
		r->seen = true;
	}
	*block_of(r, seq) |= bit_of(seq);
out:
	spin_unlock_irqrestore(&r->lock, flags);
	return err;
}
