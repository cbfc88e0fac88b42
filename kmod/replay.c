// SPDX-License-Identifier: GPL-2.0
/*
 * Replay protection. OPEN checks before decrypting, to drop replays
 * cheaply, and commits only once the tag has verified: a forged record
 * never moves the window nor enters the record. Commit checks again under
 * the lock, so when two CPUs open the same record at once exactly one
 * wins.
 *
 * The window (nonce policy "esf") orders records by the sequence number
 * the sender's kernel put in the nonce. The record (nonce policy "any")
 * serves peers that choose random IVs: nothing orders their records, so it
 * remembers the nonces themselves, as many as its size, and forgets the
 * oldest when full. What that guarantees is in docs/fast-path.md, "Nonce
 * policies".
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "replay.h"

#define BLOCK_BITS BITS_PER_LONG

static int window_init(struct esf_replay *r)
{
	/* One spare block: the block holding top is only partly in the window. */
	r->nblocks = roundup_pow_of_two(DIV_ROUND_UP(r->window, BLOCK_BITS) + 1);
	r->bits = kcalloc(r->nblocks, sizeof(*r->bits), GFP_KERNEL);
	return r->bits ? 0 : -ENOMEM;
}

/* Twice as many table slots as entries: linear probes stay short. */
static int record_init(struct esf_replay *r)
{
	u32 slots = roundup_pow_of_two(2 * r->window);

	r->mask = slots - 1;
	get_random_bytes(&r->fp_key, sizeof(r->fp_key));
	r->ring = kvmalloc_array(r->window, sizeof(*r->ring), GFP_KERNEL);
	r->table = kvcalloc(slots, sizeof(*r->table), GFP_KERNEL);
	if (r->ring && r->table)
		return 0;
	esf_replay_free(r);
	return -ENOMEM;
}

/**
 * esf_replay_init() - set up a session's replay protection
 * @r: the session's
 * @window: a window of this many sequence numbers, or a record of this
 *	many nonces; 0 for none
 * @record: a record of nonces (nonce policy "any") rather than a window
 *
 * Return: 0 or -ENOMEM.
 */
int esf_replay_init(struct esf_replay *r, u32 window, bool record)
{
	memset(r, 0, sizeof(*r));
	spin_lock_init(&r->lock);
	r->window = window;
	r->record = record;
	if (!window)
		return 0;
	return record ? record_init(r) : window_init(r);
}

void esf_replay_free(struct esf_replay *r)
{
	kfree(r->bits);
	r->bits = NULL;
	kvfree(r->ring);
	r->ring = NULL;
	kvfree(r->table);
	r->table = NULL;
}

/**
 * esf_replay_memory() - bytes the replay state holds (besides @r itself)
 * @r: the session's
 *
 * Return: what esf_replay_init() allocated.
 */
size_t esf_replay_memory(const struct esf_replay *r)
{
	if (!r->window)
		return 0;
	if (r->record)
		return (size_t)r->window * sizeof(*r->ring) +
		       ((size_t)r->mask + 1) * sizeof(*r->table);
	return (size_t)r->nblocks * sizeof(*r->bits);
}

/**
 * esf_replay_remembered() - how many nonces the record holds now
 * @r: the session's
 *
 * Return: that number; 0 for a window.
 */
u32 esf_replay_remembered(const struct esf_replay *r)
{
	/* A snapshot for reports: changes under the lock are WRITE_ONCE. */
	return r->record ? READ_ONCE(r->count) : 0;
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

/* Record ----------------------------------------------------------------- */

/* Keyed, so that which nonces share a slot cannot be arranged from outside. */
static u64 fingerprint(const struct esf_replay *r, const u8 *nonce, unsigned int len)
{
	u64 fp = siphash(nonce, len, &r->fp_key);

	return fp ?: 1;		/* 0 marks a free slot */
}

/* The slot holding @fp, or the free slot where it would go. */
static u32 slot_of(const struct esf_replay *r, u64 fp)
{
	u32 i = (u32)fp & r->mask;

	while (r->table[i] && r->table[i] != fp)
		i = (i + 1) & r->mask;
	return i;
}

/*
 * Free slot @i and close the gap behind it (linear probing's backward
 * shift): an entry moves back to @i unless its home slot lies cyclically
 * in (i, j], where a lookup starting at home would still reach it.
 */
static void table_remove(struct esf_replay *r, u32 i)
{
	u32 j = i, home;

	r->table[i] = 0;
	for (;;) {
		j = (j + 1) & r->mask;
		if (!r->table[j])
			return;
		home = (u32)r->table[j] & r->mask;
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		r->table[i] = r->table[j];
		r->table[j] = 0;
		i = j;
	}
}

/* Forget the oldest nonce to make room for one more. */
static void evict_oldest(struct esf_replay *r)
{
	table_remove(r, slot_of(r, r->ring[r->head]));
	r->head = r->head + 1 == r->window ? 0 : r->head + 1;
	WRITE_ONCE(r->count, r->count - 1);
}

/**
 * esf_replay_check_nonce() - may a record with this nonce be opened?
 * @r: the session's record
 * @nonce: the record's nonce (IV)
 * @len: its length
 *
 * Changes nothing.
 *
 * Return: 0, or -EALREADY when the record holds the nonce.
 */
int esf_replay_check_nonce(struct esf_replay *r, const u8 *nonce, unsigned int len)
{
	u64 fp;
	unsigned long flags;
	int err;

	if (!r->window)
		return 0;
	fp = fingerprint(r, nonce, len);
	spin_lock_irqsave(&r->lock, flags);
	err = r->table[slot_of(r, fp)] ? -EALREADY : 0;
	spin_unlock_irqrestore(&r->lock, flags);
	return err;
}

/**
 * esf_replay_commit_nonce() - remember a nonce after authentication
 * @r: the session's record
 * @nonce: the authenticated record's nonce
 * @len: its length
 * @evicted: set to true when the oldest nonce had to be forgotten for it
 *
 * Return: 0, or -EALREADY when another CPU committed the same nonce since
 * esf_replay_check_nonce().
 */
int esf_replay_commit_nonce(struct esf_replay *r, const u8 *nonce, unsigned int len,
			    bool *evicted)
{
	unsigned long flags;
	u64 fp;
	u32 i;

	*evicted = false;
	if (!r->window)
		return 0;
	fp = fingerprint(r, nonce, len);
	spin_lock_irqsave(&r->lock, flags);
	i = slot_of(r, fp);
	if (r->table[i]) {
		spin_unlock_irqrestore(&r->lock, flags);
		return -EALREADY;
	}
	if (r->count == r->window) {
		evict_oldest(r);
		*evicted = true;
		/* The removal may have moved entries: find the free slot again. */
		i = slot_of(r, fp);
	}
	r->table[i] = fp;
	r->ring[(r->head + r->count) % r->window] = fp;
	WRITE_ONCE(r->count, r->count + 1);
	spin_unlock_irqrestore(&r->lock, flags);
	return 0;
}
