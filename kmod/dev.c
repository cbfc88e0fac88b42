// SPDX-License-Identifier: GPL-2.0
/*
 * The device front end: /dev/esf.
 *
 * For systems where AF_ALG is off or blocked, and for speed: the caller
 * registers a region of its memory once (pinned, charged to its
 * RLIMIT_MEMLOCK, mapped into the kernel with vmap()); records name
 * offsets in it, and the provider reads the text from it and writes the
 * output to it, in place, with no copy at any size. Only associated data
 * that an algorithm builds around the caller's AAD (authenc's nonce
 * prefix, rfc4106's IV, DTLS's header fields) and authenc's padding go
 * through a small arena per batch.
 *
 * A batch is a run of entries of the record table in the region, read
 * once when submitted. It runs on the engine every front end shares
 * (batch.c), under the same sessions, permissions, nonces, windows,
 * lifetimes and counters as the socket. When its last record completes,
 * in whatever context, each entry's result is written to the table, each
 * output slot completed (SEAL's nonce, SIGN's tag) or zero-filled, and the
 * batch's end is posted: to the caller waiting in ESF_DEV_SUBMIT_WAIT, as
 * an entry of the completion ring in the region, or as an io_uring CQE.
 *
 * Re-seal (ESF_OP_RESEAL, for a handle with a second session): the
 * record's OPEN writes its plaintext into the batch's arena, which the
 * second session's SEAL reads, all in the engine (ops.c); the arena bytes
 * are wiped as the batch ends.
 *
 * Aggregate (ESF_OP_AGGREGATE, for a handle with opening sessions): the
 * entry's inputs are read from their descriptors once, as entries are;
 * each input's OPEN, under its slot's session, writes its plaintext into
 * the batch's arena after its length, where the record's SEAL, under the
 * handle's session, reads them all; the engine (ops.c) chains them; the
 * arena bytes are wiped as the batch ends.
 *
 * A handle lives as long as its file or any batch it runs: closing it with
 * batches in flight lets them finish, and the last one lets the region go,
 * from a workqueue (unpinning and uncharging need process context).
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "arena.h"
#include "batch.h"
#include "compat.h"
#include "dev.h"
#include "ops.h"
#include "session.h"

enum mode {
	MODE_RING,	/* the end goes to esf's completion ring */
	MODE_WAIT,	/* the submitter waits for it */
	MODE_URING,	/* it is an io_uring CQE */
};

/* The registered region. pages is NULL when there is none. */
struct region {
	struct page **pages;
	unsigned int npages;
	u8 *base;			/* vmap() of pages */
	u64 len;
	struct mm_struct *mm;		/* the registrant's; charged for the pins */
	u32 sq_off, sq_entries, cq_off, cq_entries;
	u32 ctl_end;			/* table and ring lie in [sq or cq, ctl_end) */
	u32 ctl_start;
};

/*
 * What a record needs, from submission to completion. A record
 * prepare_fast() took has only what completion reads: op, idx, out_off and
 * l.slot_len.
 */
struct rec {
	struct esf_layout l;
	u32 idx;			/* its table entry */
	u8 op;
	u32 aad_off, aad_len, in_off, in_len, out_off;
	u32 scratch;			/* its arena bytes' offset, or U32_MAX */
	u32 pad;			/* authenc SEAL: padding bytes, in the arena */
	u32 read_off, read_len;		/* the input the provider reads */
	u32 write_off, write_len;	/* and the output it writes */
	u32 read_tag, write_tag;	/* tag bytes at their end, in an entry of their own */
	unsigned int src_n, dst_n;	/* scatterlist entries */
	/* ESF_OP_RESEAL: the SEAL half's AAD and layout, its lists' entries */
	u32 aad2_len;
	struct esf_layout l2;
	unsigned int src2_n, dst2_n;
	/* ESF_OP_AGGREGATE: its inputs, db->ins[first_in ..], and their chain */
	u32 first_in, n_in;
	u32 framed;			/* the plaintext the SEAL takes */
	unsigned int agg_sg;		/* scatterlist entries, inputs' too */
	struct esf_agg agg;
};

/* One input of an aggregate, as its descriptor said when submitted. */
struct agg_in {
	struct esf_layout l;
	u32 desc_off;			/* its descriptor, for its status */
	u16 slot;
	u32 aad_off, aad_len, in_off, in_len;
	u32 plain_off;			/* its plaintext, in the arena */
	unsigned int src_n, dst_n;
	unsigned int req;		/* its request in its slot's pool */
};

struct dev_batch {
	struct esf_batch b;
	struct esf_batch b2;		/* the SEAL halves' requests (re-seal) */
	struct esf_dev *d;
	struct list_head node;		/* on d->idle while not running */
	enum mode mode;
	u32 first, count;
	u64 user_data;
	struct io_uring_cmd *cmd;	/* MODE_URING */
	bool completed;			/* MODE_WAIT: the waiter's to see */
	struct rec *recs;
	unsigned int recs_cap;
	struct scatterlist *sg;
	unsigned int sg_cap;
	struct esf_arena arena;
	u32 used;
	/* Aggregates: their inputs, their OPENs (a pool per slot, by session) */
	struct agg_in *ins;
	unsigned int nins, ins_cap;
	struct esf_req **agg_reqs;
	unsigned int agg_reqs_cap;
	struct esf_batch pools[ESF_AGG_SESSIONS_MAX];
};

struct esf_dev {
	struct mutex lock;		/* bind, register, submit */
	struct esf_session *s;		/* bound, or NULL */
	u8 data_class, session_type;
	struct esf_session *s2;		/* ESF_DEV_BIND_RESEAL's, or NULL */
	u8 data_class2, session_type2;
	/* ESF_DEV_BIND_AGGREGATE's, by slot */
	struct esf_session *agg[ESF_AGG_SESSIONS_MAX];
	u8 agg_class[ESF_AGG_SESSIONS_MAX], agg_type[ESF_AGG_SESSIONS_MAX];
	unsigned int nagg;
	struct region r;
	spinlock_t end_lock;		/* below: completions take it */
	struct list_head idle;
	unsigned int batches;		/* allocated */
	unsigned int running;
	unsigned int ring_promised;	/* ring entries running batches will post */
	u32 cq_tail;			/* the kernel's copy, never read back */
	wait_queue_head_t wq;		/* poll(2), ESF_DEV_SUBMIT_WAIT */
	refcount_t ref;			/* the file, and each running batch */
	atomic_t charged;		/* memory of batches */
	struct work_struct free_work;
};

/*
 * A re-seal's arena bytes: the SEAL's associated data (what its algorithm
 * builds around the caller's second AAD, copied in), the plaintext the
 * OPEN writes and the SEAL reads, the SEAL's padding, a spare byte for an
 * empty list.
 */
static u32 reseal_need(const struct rec *rc)
{
	return rc->l2.text_off + rc->l.slot_len + rc->pad + 1;
}

/*
 * Handles not freed yet. A handle outlives its file while its batches run,
 * and the module with it: its exit waits for the last one.
 */
static atomic_t live = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(gone_wq);
static struct workqueue_struct *dev_wq;

/* The region ---------------------------------------------------------------- */

static void region_release(struct region *r)
{
	if (!r->pages)
		return;
	vunmap(r->base);
	/* The provider wrote to them: dirty. */
	unpin_user_pages_dirty_lock(r->pages, r->npages, true);
	kvfree(r->pages);
	account_locked_vm(r->mm, r->npages, false);
	mmdrop(r->mm);
	memset(r, 0, sizeof(*r));
}

/* The table and the ring inside the region, aligned, not overlapping. */
static int region_check(const struct esf_dev_region *reg)
{
	u64 sq_end = reg->sq_off + (u64)reg->sq_entries * sizeof(struct esf_dev_rec);
	u64 cq_end = reg->cq_off + sizeof(struct esf_dev_cq) +
		     (u64)reg->cq_entries * sizeof(struct esf_dev_cqe);

	if (reg->flags || reg->reserved || !reg->len || !PAGE_ALIGNED(reg->addr) ||
	    !PAGE_ALIGNED(reg->len) || reg->len > ESF_DEV_REGION_MAX)
		return -EINVAL;
	if (!reg->sq_entries || !reg->cq_entries || !is_power_of_2(reg->cq_entries) ||
	    !IS_ALIGNED(reg->sq_off, 8) || !IS_ALIGNED(reg->cq_off, 8))
		return -EINVAL;
	if (sq_end > reg->len || cq_end > reg->len)
		return -ERANGE;
	if (reg->sq_off < cq_end && reg->cq_off < sq_end)
		return -EINVAL;
	return 0;
}

static int dev_register(struct esf_dev *d, const struct esf_dev_region *reg)
{
	struct region *r = &d->r;
	unsigned long npages = reg->len >> PAGE_SHIFT;
	struct page **pages;
	long pinned;
	int err;

	err = region_check(reg);
	if (err)
		return err;
	if (r->pages)
		return -EBUSY;
	err = account_locked_vm(current->mm, npages, true);
	if (err)
		return err;
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages) {
		err = -ENOMEM;
		goto err_account;
	}
	pinned = pin_user_pages_fast(reg->addr, npages, FOLL_WRITE | FOLL_LONGTERM, pages);
	if (pinned != npages) {
		if (pinned > 0)
			unpin_user_pages(pages, pinned);
		err = pinned < 0 ? pinned : -EFAULT;
		goto err_pages;
	}
	r->base = vmap(pages, npages, VM_MAP, PAGE_KERNEL);
	if (!r->base) {
		unpin_user_pages(pages, npages);
		err = -ENOMEM;
		goto err_pages;
	}
	r->pages = pages;
	r->npages = npages;
	r->len = reg->len;
	r->sq_off = reg->sq_off;
	r->sq_entries = reg->sq_entries;
	r->cq_off = reg->cq_off;
	r->cq_entries = reg->cq_entries;
	r->ctl_start = min(reg->sq_off, reg->cq_off);
	r->ctl_end = max_t(u64, reg->sq_off + (u64)reg->sq_entries * sizeof(struct esf_dev_rec),
			   reg->cq_off + sizeof(struct esf_dev_cq) +
			   (u64)reg->cq_entries * sizeof(struct esf_dev_cqe));
	mmgrab(current->mm);
	r->mm = current->mm;
	d->cq_tail = 0;
	WRITE_ONCE(((struct esf_dev_cq *)(r->base + r->cq_off))->tail, 0);
	return 0;

err_pages:
	kvfree(pages);
err_account:
	account_locked_vm(current->mm, npages, false);
	return err;
}

static struct esf_dev_rec *table_entry(const struct region *r, u32 idx)
{
	return (struct esf_dev_rec *)(r->base + r->sq_off) + idx;
}

static struct esf_dev_cq *ring(const struct region *r)
{
	return (struct esf_dev_cq *)(r->base + r->cq_off);
}

/* A span of the region that is neither outside it nor over table or ring. */
static bool span_ok(const struct region *r, u32 off, u32 len)
{
	u64 end = (u64)off + len;

	if (end > r->len)
		return false;
	/* Past the table and ring first: where libesf's buffers are. */
	return off >= r->ctl_end || !len || end <= r->ctl_start;
}

/* Batches ------------------------------------------------------------------- */

static void batch_free(struct dev_batch *db)
{
	unsigned int k;

	for (k = 0; k < ESF_AGG_SESSIONS_MAX; k++)
		esf_batch_free(&db->pools[k]);
	kvfree(db->ins);
	kvfree(db->agg_reqs);
	esf_batch_free(&db->b);
	esf_batch_free(&db->b2);
	esf_arena_free(&db->arena);
	kvfree(db->recs);
	kvfree(db->sg);
	kfree(db);
}

static void dev_free_work(struct work_struct *work)
{
	struct esf_dev *d = container_of(work, struct esf_dev, free_work);
	struct dev_batch *db, *next;
	unsigned int k;

	list_for_each_entry_safe(db, next, &d->idle, node)
		batch_free(db);
	region_release(&d->r);
	esf_session_put(d->s);
	esf_session_put(d->s2);
	for (k = 0; k < d->nagg; k++)
		esf_session_put(d->agg[k]);
	kfree(d);
	if (atomic_dec_and_test(&live))
		wake_up(&gone_wq);
}

static void handle_put(struct esf_dev *d)
{
	if (refcount_dec_and_test(&d->ref))
		queue_work(dev_wq, &d->free_work);
}

static void batch_finished(struct esf_batch *b);

/* An idle batch, or a new one; NULL past ESF_DEV_MAX_BATCHES. */
static struct dev_batch *batch_get(struct esf_dev *d)
{
	struct dev_batch *db;

	spin_lock_irq(&d->end_lock);
	db = list_first_entry_or_null(&d->idle, struct dev_batch, node);
	if (db)
		list_del(&db->node);
	spin_unlock_irq(&d->end_lock);
	if (db || d->batches >= ESF_DEV_MAX_BATCHES)
		return db;
	db = kzalloc(sizeof(*db), GFP_KERNEL_ACCOUNT);
	if (!db)
		return NULL;
	db->d = d;
	db->arena.charged = &d->charged;
	esf_batch_init(&db->b, d->s, ESF_STAT_DEVICE, &d->charged, batch_finished, db);
	d->batches++;
	return db;
}

static void batch_idle(struct esf_dev *d, struct dev_batch *db)
{
	unsigned long flags;

	spin_lock_irqsave(&d->end_lock, flags);
	list_add(&db->node, &d->idle);
	spin_unlock_irqrestore(&d->end_lock, flags);
}

/* Completion ------------------------------------------------------------------ */

/*
 * A nonce or a tag: mostly 12 or 16 bytes, copied inline then, rather than
 * by memcpy()'s byte loop (rep movsb).
 */
static __always_inline void copy_head(u8 *to, const u8 *from, u32 len)
{
	if (len == 12)
		memcpy(to, from, 12);
	else if (len == 16)
		memcpy(to, from, 16);
	else
		memcpy(to, from, len);
}

/*
 * An aggregate's arena bytes: the SEAL's associated data, the framed
 * plaintexts (rc->in_len), the SEAL's padding, a spare byte for an
 * empty list.
 */
static u32 agg_need(const struct rec *rc)
{
	return rc->l.text_off + rc->framed + rc->pad + 1;
}

/* Each input's status into its descriptor; the plaintexts go. */
static void write_inputs(struct dev_batch *db, const struct rec *rc)
{
	u8 *base = db->d->r.base;
	unsigned int j;

	for (j = 0; j < rc->n_in; j++) {
		const struct agg_in *ai = &db->ins[rc->first_in + j];
		s32 status = rc->agg.in[j]->status;

		memcpy(base + ai->desc_off + offsetof(struct esf_dev_agg_in, status), &status,
		       sizeof(status));
	}
	esf_arena_wipe(&db->arena, rc->scratch, agg_need(rc));
}

/*
 * One record's result into its table entry, and its output slot made
 * whole: SEAL's nonce or SIGN's tag ahead of what the provider wrote, or,
 * for a record that failed, zeros over anything it may have written (an
 * OPEN's plaintext, written before its tag was checked).
 */
static void write_result(struct dev_batch *db, unsigned int i)
{
	const struct region *r = &db->d->r;
	struct esf_req *req = esf_batch_req(&db->b, i);
	struct rec *rc = &db->recs[i];
	u8 *out = r->base + rc->out_off;
	u32 slot_len = rc->l.slot_len, out_len;
	struct esf_res *res;
	s32 status;
	u64 seq;

	/* A re-seal's result is its SEAL's; its plaintext goes. */
	if (rc->op == ESF_OP_RESEAL) {
		req = req->next;
		slot_len = rc->l2.slot_len;
		esf_arena_wipe(&db->arena, rc->scratch, reseal_need(rc));
	}
	if (rc->op == ESF_OP_AGGREGATE)
		write_inputs(db, rc);
	/* In locals before the slot's byte stores, which may alias them. */
	status = req->status;
	out_len = status ? 0 : req->head_len + req->body_len;
	seq = status ? 0 : req->seq;
	if (!status && req->head_len)
		copy_head(out, req->head, req->head_len);
	if (slot_len > out_len)
		memset(out + out_len, 0, slot_len - out_len);
	res = &table_entry(r, rc->idx)->res;
	res->status = status;
	res->out_len = out_len;
	res->seq = seq;
}

static void post_ring(struct esf_dev *d, struct dev_batch *db)
{
	struct esf_dev_cq *cq = ring(&d->r);
	struct esf_dev_cqe *cqe = &cq->cqes[d->cq_tail & (d->r.cq_entries - 1)];

	cqe->user_data = db->user_data;
	cqe->first = db->first;
	cqe->count = db->count;
	cqe->status = 0;
	cqe->reserved = 0;
	d->cq_tail++;
	/* The entry before the tail that says it is there. */
	smp_store_release(&cq->tail, d->cq_tail);
	d->ring_promised--;
}

#ifdef ESF_URING
/* In the submitter's task: the CQE says how many records the batch had. */
static void uring_done_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	esf_uring_done(cmd, *(int *)cmd->pdu, issue_flags);
}

ESF_URING_TASK_WORK(uring_done)
#endif

/* The batch's last record is done: any context. */
static void batch_finished(struct esf_batch *b)
{
	struct dev_batch *db = b->owner;
	struct esf_dev *d = db->d;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < db->count; i++)
		write_result(db, i);
	spin_lock_irqsave(&d->end_lock, flags);
	d->running--;
	if (db->mode == MODE_RING)
		post_ring(d, db);
	spin_unlock_irqrestore(&d->end_lock, flags);
#ifdef ESF_URING
	if (db->mode == MODE_URING) {
		*(int *)db->cmd->pdu = db->count;
		io_uring_cmd_complete_in_task(db->cmd, uring_done);
	}
#endif
	if (db->mode == MODE_WAIT)
		/* The waiter reads the results after this, then idles db. */
		smp_store_release(&db->completed, true);
	else
		batch_idle(d, db);
	wake_up_all(&d->wq);
	handle_put(d);
}

/* Submission ------------------------------------------------------------------ */

/* Associated data the kernel builds around the caller's (ops.c writes it). */
static bool built_assoc(const struct esf_alg *alg)
{
	return alg->prefix || alg->aad_suffix || alg->framing;
}

/* Re-seal ------------------------------------------------------------------- */

/*
 * A re-seal entry: the OPEN's layout under the first session, then the
 * SEAL's under the second for the plaintext that OPEN makes, whose slot
 * the output must hold.
 */
static int take_reseal(struct esf_dev *d, struct rec *rc, const struct esf_dev_rec *e)
{
	const struct esf_alg *alg2 = d->s2->alg;
	u32 plain;
	int err;

	err = esf_req_layout(d->s, ESF_OP_OPEN, e->aad_len, e->in_len, &rc->l);
	if (err)
		return err;
	plain = rc->l.slot_len;
	if (plain > ESF_MAX_DATA)
		return -EMSGSIZE;
	err = esf_req_layout(d->s2, ESF_OP_SEAL, e->aad2_len, plain, &rc->l2);
	if (err)
		return err;
	if (e->out_size < rc->l2.slot_len)
		return -ENOBUFS;
	if (!span_ok(&d->r, e->aad_off, e->aad_len + e->aad2_len) ||
	    !span_ok(&d->r, e->in_off, e->in_len) || !span_ok(&d->r, e->out_off, rc->l2.slot_len))
		return -ERANGE;
	rc->aad2_len = e->aad2_len;
	if (alg2->pad_block)
		rc->pad = (plain / alg2->pad_block + 1) * alg2->pad_block - plain;
	return 0;
}

/* Aggregate ----------------------------------------------------------------- */

static int grow_ins(struct dev_batch *db, unsigned int n)
{
	void *p;

	if (n <= db->ins_cap)
		return 0;
	n = max(n, 2 * db->ins_cap);
	p = esf_grow(db->ins, db->ins_cap, n, sizeof(*db->ins), &db->d->charged);
	if (!p)
		return -ENOMEM;
	db->ins = p;
	db->ins_cap = n;
	return 0;
}

/* One input's descriptor, read once: its record lies in the region. */
static int take_input(struct esf_dev *d, struct agg_in *ai, u32 desc_off)
{
	const struct region *r = &d->r;
	struct esf_dev_agg_in in;
	int err;

	memcpy(&in, r->base + desc_off, sizeof(in));
	if (in.flags || in.slot >= d->nagg)
		return -EINVAL;
	if (in.aad_len > ESF_MAX_AAD || in.in_len > ESF_MAX_RECORD)
		return -EMSGSIZE;
	if (!span_ok(r, in.aad_off, in.aad_len) || !span_ok(r, in.in_off, in.in_len))
		return -ERANGE;
	err = esf_req_layout(d->agg[in.slot], ESF_OP_OPEN, in.aad_len, in.in_len, &ai->l);
	if (err)
		return err;
	ai->desc_off = desc_off;
	ai->slot = in.slot;
	ai->aad_off = in.aad_off;
	ai->aad_len = in.aad_len;
	ai->in_off = in.in_off;
	ai->in_len = in.in_len;
	return 0;
}

/*
 * An aggregate entry: its inputs, each an OPEN under its slot's session,
 * then the SEAL under the handle's session of their framed plaintexts,
 * whose slot the output must hold.
 */
static int take_aggregate(struct esf_dev *d, struct dev_batch *db, struct rec *rc,
			  const struct esf_dev_rec *e)
{
	const struct esf_alg *alg = d->s->alg;
	u32 n = e->in_len / sizeof(struct esf_dev_agg_in), j, framed = 0;
	int err;

	if (!n || n > ESF_AGG_MAX || e->in_len != n * sizeof(struct esf_dev_agg_in))
		return -EINVAL;
	if (!span_ok(&d->r, e->in_off, e->in_len))
		return -ERANGE;
	err = grow_ins(db, db->nins + n);
	if (err)
		return err;
	for (j = 0; j < n; j++) {
		struct agg_in *ai = &db->ins[db->nins + j];

		err = take_input(d, ai, e->in_off + j * sizeof(struct esf_dev_agg_in));
		if (err)
			return err;
		framed += sizeof(__be32) + ai->l.slot_len;
	}
	if (framed > ESF_MAX_DATA)
		return -EMSGSIZE;
	err = esf_req_layout(d->s, ESF_OP_SEAL, e->aad_len, framed, &rc->l);
	if (err)
		return err;
	if (e->out_size < rc->l.slot_len)
		return -ENOBUFS;
	if (!span_ok(&d->r, e->aad_off, e->aad_len) || !span_ok(&d->r, e->out_off, rc->l.slot_len))
		return -ERANGE;
	if (alg->pad_block)
		rc->pad = (framed / alg->pad_block + 1) * alg->pad_block - framed;
	rc->first_in = db->nins;
	rc->n_in = n;
	rc->framed = framed;
	db->nins += n;
	return 0;
}

/*
 * Read and check table entry @idx as record @i: everything a record needs
 * is in the region, and its output slot holds what the record makes.
 */
static int take_entry(struct esf_dev *d, struct dev_batch *db, unsigned int i, u32 idx)
{
	const struct region *r = &d->r;
	struct rec *rc = &db->recs[i];
	const struct esf_alg *alg = d->s->alg;
	struct esf_dev_rec e;
	int err;

	memcpy(&e, table_entry(r, idx), sizeof(e));
	if (e.op < ESF_OP_SEAL || e.op > ESF_OP_AGGREGATE || e.flags || e.reserved ||
	    (e.aad2_len && e.op != ESF_OP_RESEAL) || (e.op == ESF_OP_RESEAL && !d->s2) ||
	    (e.op == ESF_OP_AGGREGATE && !d->nagg))
		return -EINVAL;
	if (e.aad_len > ESF_MAX_AAD || e.aad2_len > ESF_MAX_AAD ||
	    e.in_len > (e.op == ESF_OP_SEAL || e.op == ESF_OP_SIGN ? ESF_MAX_DATA :
			ESF_MAX_RECORD))
		return -EMSGSIZE;
	rc->pad = 0;
	rc->aad2_len = 0;
	if (e.op == ESF_OP_RESEAL) {
		err = take_reseal(d, rc, &e);
		if (err)
			return err;
	} else if (e.op == ESF_OP_AGGREGATE) {
		err = take_aggregate(d, db, rc, &e);
		if (err)
			return err;
	} else if (i && rc[-1].op == e.op && rc[-1].aad_len == e.aad_len &&
		   rc[-1].in_len == e.in_len) {
		/* The shape of the record before: the same layout, looked up once. */
		rc->l = rc[-1].l;
		if (e.out_size < rc->l.slot_len)
			return -ENOBUFS;
		if (!span_ok(r, e.aad_off, e.aad_len) || !span_ok(r, e.in_off, e.in_len) ||
		    !span_ok(r, e.out_off, rc->l.slot_len))
			return -ERANGE;
		rc->pad = rc[-1].pad;
	} else {
		err = esf_req_layout(d->s, e.op, e.aad_len, e.in_len, &rc->l);
		if (err)
			return err;
		if (e.out_size < rc->l.slot_len)
			return -ENOBUFS;
		if (!span_ok(r, e.aad_off, e.aad_len) || !span_ok(r, e.in_off, e.in_len) ||
		    !span_ok(r, e.out_off, rc->l.slot_len))
			return -ERANGE;
		if (e.op == ESF_OP_SEAL && alg->pad_block)
			rc->pad = (e.in_len / alg->pad_block + 1) * alg->pad_block - e.in_len;
	}
	rc->idx = idx;
	rc->op = e.op;
	rc->aad_off = e.aad_off;
	rc->aad_len = e.aad_len;
	rc->in_off = e.in_off;
	rc->in_len = e.in_len;
	rc->out_off = e.out_off;
	rc->scratch = U32_MAX;
	return 0;
}

/* Entries of a span of @len > @tag bytes whose last @tag take their own. */
static unsigned int split_n(u32 off, u32 len, u32 tag)
{
	return esf_sg_count(off, len - tag) + (tag ? esf_sg_count(off + len - tag, tag) : 0);
}

/* Arena bytes a record takes: built associated data, padding, or a byte. */
static u32 arena_need(const struct esf_alg *alg, const struct rec *rc)
{
	u32 n = built_assoc(alg) ? rc->l.text_off : 0;

	return n + rc->pad + 1;
}

/*
 * Where the record's text and output lie, and how many scatterlist
 * entries they take: the text after OPEN's nonce; the output after SEAL's
 * nonce, all of OPEN's slot.
 */
static void count_sg(const struct esf_session *s, bool built, struct rec *rc)
{
	u32 assoc = rc->l.text_off, skip;
	unsigned int a = assoc ? (built ? esf_sg_count(rc->scratch, assoc) :
				  esf_sg_count(rc->aad_off, assoc)) : 0;

	skip = rc->op == ESF_OP_OPEN ? rc->l.nonce_in : 0;
	rc->read_off = rc->in_off + skip;
	rc->read_len = rc->in_len - skip;
	/*
	 * OPEN's tag, which the provider reads apart from the text, and
	 * SEAL's, which it writes apart, as entries of their own: the crypto
	 * API finds them by fast-forwarding the list (scatterwalk_ffwd()),
	 * which builds a two-entry list of its own when the tag starts inside
	 * an entry, and returns the entry itself when the tag starts one.
	 */
	rc->read_tag = rc->op == ESF_OP_OPEN && rc->read_len > s->tag_len ? s->tag_len : 0;
	/* An empty list still takes one entry (build_sg()). */
	rc->src_n = max(a + (rc->read_len ? split_n(rc->read_off, rc->read_len, rc->read_tag) : 0) +
			(rc->pad ? 2 : 0), 1u);
	rc->dst_n = 0;
	rc->write_tag = 0;
	if (rc->op == ESF_OP_SEAL || rc->op == ESF_OP_OPEN) {
		skip = rc->op == ESF_OP_SEAL ? s->nonce_len : 0;
		rc->write_off = rc->out_off + skip;
		rc->write_len = rc->l.slot_len - skip;
		if (rc->op == ESF_OP_SEAL && rc->write_len > s->tag_len)
			rc->write_tag = s->tag_len;
		rc->dst_n = max(a + split_n(rc->write_off, rc->write_len, rc->write_tag), 1u);
	}
}

/*
 * @len bytes of the region, or of the arena, as scatterlist entries. The
 * batch's entries were initialised once, when allocated (prepare()), and
 * are reused: an entry may still end a list of an earlier batch.
 */
static __always_inline unsigned int put_sg(struct page **pages, u32 off, u32 len,
					   struct scatterlist *sg)
{
	unsigned int i, n;

	if (!len)
		return 0;
	if (offset_in_page(off) + len <= PAGE_SIZE) {
		/*
		 * sg_set_page() and sg_unmark_end() in three stores: the
		 * batch's entries are never chain links, and the end mark goes.
		 */
		sg->page_link = (unsigned long)pages[off / PAGE_SIZE];
		sg->offset = offset_in_page(off);
		sg->length = len;
		return 1;
	}
	n = esf_sg_count(off, len);
	for (i = 0; i < n; i++)
		sg_unmark_end(&sg[i]);
	return esf_pages_sg(pages, off, len, sg);
}

/*
 * A record's work area as the provider sees it: the associated data (the
 * caller's AAD in place, or what the kernel builds around it in the arena),
 * the text in place, authenc's padding; and where the output goes. An
 * empty list gets one byte of the arena, so that it is valid. The entries
 * are initialised when the batch's array is allocated (prepare()), not per
 * batch: put_sg() rewrites each entry a record uses, and the end marks.
 */
static void build_sg(struct esf_dev *d, struct dev_batch *db, bool built, struct rec *rc,
		     struct scatterlist *src, struct scatterlist *dst)
{
	struct page **rp = d->r.pages, **ap = db->arena.pages;
	u32 assoc = rc->l.text_off;
	unsigned int n = 0, m = 0;

	if (built)
		n = put_sg(ap, rc->scratch, assoc, src);
	else
		n = put_sg(rp, rc->aad_off, assoc, src);
	n += put_sg(rp, rc->read_off, rc->read_len - rc->read_tag, src + n);
	n += put_sg(rp, rc->read_off + rc->read_len - rc->read_tag, rc->read_tag, src + n);
	if (rc->pad)
		n += put_sg(ap, rc->scratch + (built ? assoc : 0), rc->pad, src + n);
	if (!n)
		n = put_sg(ap, rc->scratch + arena_need(d->s->alg, rc) - 1, 1, src);
	sg_mark_end(&src[n - 1]);
	if (!rc->dst_n)
		return;
	if (built)
		m = put_sg(ap, rc->scratch, assoc, dst);
	else
		m = put_sg(rp, rc->aad_off, assoc, dst);
	m += put_sg(rp, rc->write_off, rc->write_len - rc->write_tag, dst + m);
	m += put_sg(rp, rc->write_off + rc->write_len - rc->write_tag, rc->write_tag, dst + m);
	if (!m)
		m = put_sg(ap, rc->scratch + arena_need(d->s->alg, rc) - 1, 1, dst);
	sg_mark_end(&dst[m - 1]);
}

/* The caller's AAD, and OPEN's nonce, where the kernel works with them. */
static void take_bytes(struct esf_dev *d, struct dev_batch *db, bool built, struct rec *rc,
		       struct esf_req *req)
{
	const u8 *base = d->r.base;

	if (built && rc->aad_len)
		esf_arena_write(&db->arena, rc->scratch + rc->l.aad_off, base + rc->aad_off,
				rc->aad_len);
	if (rc->op == ESF_OP_OPEN && rc->l.nonce_in)
		copy_head(req->nonce, base + rc->in_off, rc->l.nonce_in);
}

/* Entries of a list @len bytes from @off take, none for no bytes. */
static unsigned int sg_n(u32 off, u32 len)
{
	return len ? esf_sg_count(off, len) : 0;
}

/*
 * A re-seal's four lists (the first session's AAD and input in place; the
 * plaintext, and the SEAL's associated data and padding, in the arena):
 *
 *   OPEN  src [AAD][input after the nonce]   dst [AAD][plaintext]
 *   SEAL  src [assoc | plaintext | padding]  dst [assoc][slot after nonce]
 */
static void count_reseal(const struct esf_session *s2, struct rec *rc)
{
	u32 assoc2 = rc->l2.text_off, plain = rc->l.slot_len;
	unsigned int a = sg_n(rc->aad_off, rc->aad_len);

	rc->read_off = rc->in_off + rc->l.nonce_in;
	rc->read_len = rc->in_len - rc->l.nonce_in;
	rc->write_off = rc->out_off + s2->nonce_len;
	rc->write_len = rc->l2.slot_len - s2->nonce_len;
	rc->src_n = max(a + sg_n(rc->read_off, rc->read_len), 1u);
	rc->dst_n = max(a + sg_n(rc->scratch + assoc2, plain), 1u);
	rc->src2_n = max(sg_n(rc->scratch, assoc2 + plain + rc->pad), 1u);
	rc->dst2_n = max(sg_n(rc->scratch, assoc2) + sg_n(rc->write_off, rc->write_len), 1u);
}

/* End a list of @n entries; an empty one gets the record's spare byte. */
static void end_list(struct dev_batch *db, const struct rec *rc, struct scatterlist *sg,
		     unsigned int n)
{
	if (!n)
		n = put_sg(db->arena.pages, rc->scratch + reseal_need(rc) - 1, 1, sg);
	sg_mark_end(&sg[n - 1]);
}

static void build_reseal(struct esf_dev *d, struct dev_batch *db, const struct rec *rc,
			 struct scatterlist *sg)
{
	struct page **rp = d->r.pages, **ap = db->arena.pages;
	u32 assoc2 = rc->l2.text_off, plain = rc->l.slot_len;
	struct scatterlist *dst = sg + rc->src_n, *src2 = dst + rc->dst_n;
	struct scatterlist *dst2 = src2 + rc->src2_n;
	unsigned int n;

	n = put_sg(rp, rc->aad_off, rc->aad_len, sg);
	n += put_sg(rp, rc->read_off, rc->read_len, sg + n);
	end_list(db, rc, sg, n);
	n = put_sg(rp, rc->aad_off, rc->aad_len, dst);
	n += put_sg(ap, rc->scratch + assoc2, plain, dst + n);
	end_list(db, rc, dst, n);
	n = put_sg(ap, rc->scratch, assoc2 + plain + rc->pad, src2);
	end_list(db, rc, src2, n);
	n = put_sg(ap, rc->scratch, assoc2, dst2);
	n += put_sg(rp, rc->write_off, rc->write_len, dst2 + n);
	end_list(db, rc, dst2, n);
}

/*
 * The record's two requests: the OPEN under the handle's session, the
 * SEAL under its second, chained (ops.c); the OPEN's nonce, and the
 * SEAL's AAD, where the kernel works with them.
 */
static void prepare_reseal(struct esf_dev *d, struct dev_batch *db, unsigned int i,
			   struct scatterlist *sg)
{
	struct esf_req *req = esf_batch_req(&db->b, i), *next = esf_batch_req(&db->b2, i);
	const struct rec *rc = &db->recs[i];
	const u8 *base = d->r.base;

	build_reseal(d, db, rc, sg);
	esf_req_init(req, d->s, ESF_OP_OPEN, rc->aad_len, rc->in_len, sg);
	req->data_class = d->data_class;
	req->session_type = d->session_type;
	req->dst = sg + rc->src_n;
	req->zerocopy = true;
	copy_head(req->nonce, base + rc->in_off, rc->l.nonce_in);
	sg += rc->src_n + rc->dst_n;
	esf_req_init(next, d->s2, ESF_OP_SEAL, rc->aad2_len, rc->l.slot_len, sg);
	next->data_class = d->data_class2;
	next->session_type = d->session_type2;
	next->dst = sg + rc->src2_n;
	req->next = next;
	esf_arena_write(&db->arena, rc->scratch + rc->l2.aad_off, base + rc->aad_off + rc->aad_len,
			rc->aad2_len);
}

/*
 * An aggregate's lists: the SEAL's in the arena (its associated data, the
 * framed plaintexts, its padding) and to the output slot; each input's as
 * a re-seal's OPEN, its plaintext written after its length in the arena:
 *
 *   SEAL   src [assoc | len_0 plain_0 | len_1 plain_1 ... | padding]
 *          dst [assoc][slot after nonce]
 *   OPEN j src [AAD_j][input_j after the nonce]   dst [AAD_j][plain_j]
 *
 * Return: the entries they all take.
 */
static unsigned int count_aggregate(const struct esf_dev *d, struct dev_batch *db,
				    struct rec *rc)
{
	u32 assoc = rc->l.text_off, at = rc->scratch + assoc;
	unsigned int j, a, total;

	rc->write_off = rc->out_off + d->s->nonce_len;
	rc->write_len = rc->l.slot_len - d->s->nonce_len;
	rc->src_n = max(sg_n(rc->scratch, assoc + rc->framed + rc->pad), 1u);
	rc->dst_n = max(sg_n(rc->scratch, assoc) + sg_n(rc->write_off, rc->write_len), 1u);
	total = rc->src_n + rc->dst_n;
	for (j = 0; j < rc->n_in; j++) {
		struct agg_in *ai = &db->ins[rc->first_in + j];

		a = sg_n(ai->aad_off, ai->aad_len);
		ai->plain_off = at + sizeof(__be32);
		at = ai->plain_off + ai->l.slot_len;
		ai->src_n = max(a + sg_n(ai->in_off + ai->l.nonce_in,
					 ai->in_len - ai->l.nonce_in), 1u);
		ai->dst_n = max(a + sg_n(ai->plain_off, ai->l.slot_len), 1u);
		total += ai->src_n + ai->dst_n;
	}
	rc->agg_sg = total;
	return total;
}

/* End a list of @n entries; an empty one gets the aggregate's spare byte. */
static void agg_end(struct dev_batch *db, const struct rec *rc, struct scatterlist *sg,
		    unsigned int n)
{
	if (!n)
		n = put_sg(db->arena.pages, rc->scratch + agg_need(rc) - 1, 1, sg);
	sg_mark_end(&sg[n - 1]);
}

/* Input @ai's OPEN, under its slot's session, from @sg on; its length framed. */
static struct esf_req *prepare_input(struct esf_dev *d, struct dev_batch *db,
				     const struct rec *rc, const struct agg_in *ai,
				     struct scatterlist *sg)
{
	struct esf_req *in = esf_batch_req(&db->pools[ai->slot], ai->req);
	struct page **rp = d->r.pages, **ap = db->arena.pages;
	struct scatterlist *dst = sg + ai->src_n;
	__be32 len = cpu_to_be32(ai->l.slot_len);
	unsigned int n;

	esf_arena_write(&db->arena, ai->plain_off - sizeof(len), &len, sizeof(len));
	n = put_sg(rp, ai->aad_off, ai->aad_len, sg);
	n += put_sg(rp, ai->in_off + ai->l.nonce_in, ai->in_len - ai->l.nonce_in, sg + n);
	agg_end(db, rc, sg, n);
	n = put_sg(rp, ai->aad_off, ai->aad_len, dst);
	n += put_sg(ap, ai->plain_off, ai->l.slot_len, dst + n);
	agg_end(db, rc, dst, n);
	esf_req_init(in, d->agg[ai->slot], ESF_OP_OPEN, ai->aad_len, ai->in_len, sg);
	in->dst = dst;
	in->data_class = d->agg_class[ai->slot];
	in->session_type = d->agg_type[ai->slot];
	copy_head(in->nonce, d->r.base + ai->in_off, ai->l.nonce_in);
	return in;
}

/* The record's SEAL, under the handle's session, and its inputs' OPENs. */
static void prepare_aggregate(struct esf_dev *d, struct dev_batch *db, unsigned int i,
			      struct scatterlist *sg)
{
	struct esf_req *req = esf_batch_req(&db->b, i);
	struct rec *rc = &db->recs[i];
	struct page **ap = db->arena.pages;
	struct scatterlist *dst = sg + rc->src_n;
	u32 assoc = rc->l.text_off;
	unsigned int j, n;

	n = put_sg(ap, rc->scratch, assoc + rc->framed + rc->pad, sg);
	agg_end(db, rc, sg, n);
	n = put_sg(ap, rc->scratch, assoc, dst);
	n += put_sg(d->r.pages, rc->write_off, rc->write_len, dst + n);
	agg_end(db, rc, dst, n);
	esf_req_init(req, d->s, ESF_OP_SEAL, rc->aad_len, rc->framed, sg);
	req->dst = dst;
	req->data_class = d->data_class;
	req->session_type = d->session_type;
	esf_arena_write(&db->arena, rc->scratch + rc->l.aad_off, d->r.base + rc->aad_off,
			rc->aad_len);
	rc->agg.in = db->agg_reqs + rc->first_in;
	rc->agg.n = rc->n_in;
	req->agg = &rc->agg;
	sg = dst + rc->dst_n;
	for (j = 0; j < rc->n_in; j++) {
		const struct agg_in *ai = &db->ins[rc->first_in + j];

		rc->agg.in[j] = prepare_input(d, db, rc, ai, sg);
		sg += ai->src_n + ai->dst_n;
	}
}

/* Requests for the batch's inputs: a pool per slot, sized for its session. */
static int reserve_inputs(struct esf_dev *d, struct dev_batch *db)
{
	unsigned int per[ESF_AGG_SESSIONS_MAX] = { 0 };
	unsigned int j, k;
	void *p;
	int err;

	for (j = 0; j < db->nins; j++)
		db->ins[j].req = per[db->ins[j].slot]++;
	for (k = 0; k < d->nagg; k++) {
		if (!per[k])
			continue;
		if (!db->pools[k].s)
			esf_batch_init(&db->pools[k], d->agg[k], ESF_STAT_DEVICE, &d->charged,
				       NULL, db);
		err = esf_batch_reserve(&db->pools[k], per[k]);
		if (err)
			return err;
	}
	if (db->nins > db->agg_reqs_cap) {
		p = esf_grow(db->agg_reqs, db->agg_reqs_cap, db->nins, sizeof(*db->agg_reqs),
			     &d->charged);
		if (!p)
			return -ENOMEM;
		db->agg_reqs = p;
		db->agg_reqs_cap = db->nins;
	}
	return 0;
}

static int grow_batch(struct dev_batch *db, u32 n)
{
	void *p;
	int err;

	if (n > db->recs_cap) {
		p = esf_grow(db->recs, db->recs_cap, n, sizeof(*db->recs), &db->d->charged);
		if (!p)
			return -ENOMEM;
		db->recs = p;
		db->recs_cap = n;
	}
	err = esf_batch_reserve(&db->b, n);
	if (err || !db->d->s2)
		return err;
	/* The SEAL halves of re-seal records, under the second session. */
	if (!db->b2.s)
		esf_batch_init(&db->b2, db->d->s2, ESF_STAT_DEVICE, &db->d->charged, NULL, db);
	return esf_batch_reserve(&db->b2, n);
}

/* Scatterlist entries for @total, kept for later batches. */
static int grow_sg(struct esf_dev *d, struct dev_batch *db, unsigned int total)
{
	struct scatterlist *sg;

	if (total <= db->sg_cap)
		return 0;
	sg = esf_grow(NULL, 0, total, sizeof(*sg), &d->charged);
	if (!sg)
		return -ENOMEM;
	atomic_sub((int)(db->sg_cap * sizeof(*sg)), &d->charged);
	kvfree(db->sg);
	/* Once per array: put_sg() keeps the entries valid from here. */
	sg_init_table(sg, total);
	db->sg = sg;
	db->sg_cap = total;
	return 0;
}

/*
 * The common batch in one pass: SEAL and OPEN records on an AEAD session
 * whose associated data is the caller's AAD as it is (no nonce prefix or
 * suffix, no DTLS header, no padding), with AAD and input of at most a page.
 * Each record is read, checked, laid out and made a request in one go: 214
 * guest instructions where the general path's two passes took 441, of the
 * 2,611 a 64-byte SEAL took (scripts/profile). The lists and requests are
 * the ones the general path builds for the same records.
 *
 * A record whose parts each lie in one page takes at most FAST_SG entries
 * (SEAL: [AAD][text] -> [AAD][text][tag]; OPEN: [AAD][text][tag] ->
 * [AAD][text]); the array is sized for that and FAST_SPARE more per record,
 * which records that cross a page boundary draw on.
 */
#define FAST_SG		5
#define FAST_SPARE	1

static bool fast_session(const struct esf_session *s)
{
	const struct esf_alg *alg = s->alg;

	return alg->kind == ESF_KIND_AEAD && !built_assoc(alg) && !alg->pad_block;
}

/* @len bytes from @off, in the page @off is in. */
static bool one_page(u32 off, u32 len)
{
	return len <= PAGE_SIZE - offset_in_page(off);
}

/* What every record of a prepare_fast() batch shares. */
struct fast_batch {
	struct page **pages;
	const u8 *base;
	const struct region *r;
	u32 nonce, tag;
	unsigned int spare;		/* entries over FAST_SG per record left */
};

/* sg_set_page() and sg_unmark_end() in three stores, as put_sg() does. */
static __always_inline void set_one(struct scatterlist *sg, struct page **pages, u32 off,
				    u32 len)
{
	sg->page_link = (unsigned long)pages[off / PAGE_SIZE];
	sg->offset = offset_in_page(off);
	sg->length = len;
}

/*
 * The lists of a common record one of whose parts crosses a page boundary,
 * if the batch's spare entries hold them; out of line, to keep the loop's
 * registers. Returns the entries taken, 0 when there is no room.
 */
static noinline unsigned int cross_lists(struct fast_batch *fb, const struct esf_dev_rec *e,
					 u32 in_text, u32 out_text, u32 text, bool seal,
					 struct scatterlist *sg, struct scatterlist **dstp)
{
	u32 in_tag = seal ? 0 : fb->tag, out_tag = seal ? fb->tag : 0;
	unsigned int n, m, need;
	struct scatterlist *dst;

	need = 2 * sg_n(e->aad_off, e->aad_len) + esf_sg_count(in_text, text) +
	       esf_sg_count(out_text, text) + sg_n(in_text + text, in_tag) +
	       sg_n(out_text + text, out_tag);
	if (need > FAST_SG + fb->spare)
		return 0;
	fb->spare -= need > FAST_SG ? need - FAST_SG : 0;
	n = put_sg(fb->pages, e->aad_off, e->aad_len, sg);
	n += put_sg(fb->pages, in_text, text, sg + n);
	n += put_sg(fb->pages, in_text + text, in_tag, sg + n);
	sg_mark_end(&sg[n - 1]);
	dst = sg + n;
	m = put_sg(fb->pages, e->aad_off, e->aad_len, dst);
	m += put_sg(fb->pages, out_text, text, dst + m);
	m += put_sg(fb->pages, out_text + text, out_tag, dst + m);
	sg_mark_end(&dst[m - 1]);
	*dstp = dst;
	return n + m;
}

/*
 * A common record's lists and request; @seal is a constant in each of the
 * two copies. Returns the entries taken, or 0 for a record the general
 * path must take.
 */
static __always_inline unsigned int fast_one(struct fast_batch *fb, const struct esf_dev_rec *e,
					     struct esf_req *req, struct scatterlist *sg,
					     bool seal, u32 *slotp)
{
	struct page **pages = fb->pages;
	u32 nonce = fb->nonce, tag = fb->tag, slot, text, in_text, out_text;
	struct scatterlist *dst;
	unsigned int n;

	if (seal) {
		if (!e->in_len)
			return 0;
		text = e->in_len;
		slot = nonce + text + tag;
		in_text = e->in_off;
		out_text = e->out_off + nonce;
	} else {
		if (e->in_len <= nonce + tag)
			return 0;
		text = e->in_len - nonce - tag;
		slot = text;
		in_text = e->in_off + nonce;
		out_text = e->out_off;
	}
	if (e->out_size < slot || !span_ok(fb->r, e->aad_off, e->aad_len) ||
	    !span_ok(fb->r, e->in_off, e->in_len) || !span_ok(fb->r, e->out_off, slot))
		return 0;
	if (!one_page(e->aad_off, e->aad_len) || !one_page(e->in_off, e->in_len) ||
	    !one_page(e->out_off, slot)) {
		n = cross_lists(fb, e, in_text, out_text, text, seal, sg, &dst);
		if (!n)
			return 0;
	} else {
		n = 0;
		if (e->aad_len)
			set_one(&sg[n++], pages, e->aad_off, e->aad_len);
		set_one(&sg[n++], pages, in_text, text);
		if (!seal)
			set_one(&sg[n++], pages, in_text + text, tag);
		sg_mark_end(&sg[n - 1]);
		dst = sg + n;
		if (e->aad_len)
			set_one(&sg[n++], pages, e->aad_off, e->aad_len);
		set_one(&sg[n++], pages, out_text, text);
		if (seal)
			set_one(&sg[n++], pages, out_text + text, tag);
		sg_mark_end(&sg[n - 1]);
	}
	req->dst = dst;
	if (!seal)
		copy_head(req->nonce, fb->base + e->in_off, nonce);
	*slotp = slot;
	return n;
}

/*
 * Returns -EAGAIN at the first record that is not one of the common kind,
 * or that the general path refuses (it then says why): nothing done here
 * is kept, and the general path starts the batch again.
 */
static noinline int prepare_fast(struct esf_dev *d, struct dev_batch *db)
{
	struct esf_session *s = d->s;
	struct fast_batch fb = {
		.pages = d->r.pages, .base = d->r.base, .r = &d->r,
		.nonce = s->nonce_len, .tag = s->tag_len, .spare = db->count * FAST_SPARE,
	};
	/* In locals: the byte stores of each record would reload them. */
	const struct esf_dev_rec *table = table_entry(&d->r, db->first);
	u8 data_class = d->data_class, session_type = d->session_type;
	struct esf_req **reqs = db->b.reqs;
	struct rec *rc = db->recs;
	unsigned int i, n;
	struct scatterlist *sg;
	int err;

	err = grow_sg(d, db, db->count * (FAST_SG + FAST_SPARE));
	if (err)
		return err;
	sg = db->sg;
	for (i = 0; i < db->count; i++, rc++) {
		struct esf_req *req = reqs[i];
		struct esf_dev_rec e;
		u32 slot;

		memcpy(&e, &table[i], sizeof(e));
		/* Within every length limit, too. */
		if (e.flags || e.reserved || e.aad2_len || e.aad_len > PAGE_SIZE ||
		    e.in_len > PAGE_SIZE)
			return -EAGAIN;
		esf_req_init(req, s, e.op, e.aad_len, e.in_len, sg);
		if (e.op == ESF_OP_SEAL)
			n = fast_one(&fb, &e, req, sg, true, &slot);
		else if (e.op == ESF_OP_OPEN)
			n = fast_one(&fb, &e, req, sg, false, &slot);
		else
			n = 0;
		if (!n)
			return -EAGAIN;
		req->data_class = data_class;
		req->session_type = session_type;
		req->zerocopy = true;
		sg += n;
		/* What completion reads (write_result()). */
		rc->op = e.op;
		rc->idx = db->first + i;
		rc->out_off = e.out_off;
		rc->l.slot_len = slot;
	}
	db->used = 0;
	db->nins = 0;
	return 0;
}

/* Everything for the batch's records, before any of them runs. */
static int prepare(struct esf_dev *d, struct dev_batch *db)
{
	bool built = built_assoc(d->s->alg);
	/* In locals: the byte stores of each record would reload them. */
	u8 data_class = d->data_class, session_type = d->session_type;
	struct esf_session *s = d->s;
	unsigned int i, total = 0;
	int err;

	err = grow_batch(db, db->count);
	if (err)
		return err;
	if (fast_session(s)) {
		err = prepare_fast(d, db);
		if (err != -EAGAIN)
			return err;
	}
	db->used = 0;
	db->nins = 0;
	for (i = 0; i < db->count; i++) {
		struct rec *rc = &db->recs[i];

		err = take_entry(d, db, i, db->first + i);
		if (err)
			return err;
		rc->scratch = db->used;
		if (rc->op == ESF_OP_AGGREGATE) {
			db->used += agg_need(rc);
			total += count_aggregate(d, db, rc);
			continue;
		}
		if (rc->op == ESF_OP_RESEAL) {
			db->used += reseal_need(rc);
			count_reseal(d->s2, rc);
			total += rc->src_n + rc->dst_n + rc->src2_n + rc->dst2_n;
			continue;
		}
		db->used += arena_need(s->alg, rc);
		count_sg(s, built, rc);
		total += rc->src_n + rc->dst_n;
	}
	err = reserve_inputs(d, db);
	if (err)
		return err;
	err = esf_arena_fit(&db->arena, db->used);
	if (err)
		return err;
	err = grow_sg(d, db, total);
	if (err)
		return err;
	for (i = 0, total = 0; i < db->count; i++) {
		struct rec *rc = &db->recs[i];
		struct esf_req *req = esf_batch_req(&db->b, i);
		struct scatterlist *src = db->sg + total, *dst = src + rc->src_n;

		if (rc->op == ESF_OP_AGGREGATE) {
			total += rc->agg_sg;
			prepare_aggregate(d, db, i, src);
			continue;
		}
		total += rc->src_n + rc->dst_n;
		if (rc->op == ESF_OP_RESEAL) {
			total += rc->src2_n + rc->dst2_n;
			prepare_reseal(d, db, i, src);
			continue;
		}
		build_sg(d, db, built, rc, src, dst);
		esf_req_init(req, s, rc->op, rc->aad_len, rc->in_len, src);
		req->dst = rc->dst_n ? dst : NULL;
		req->data_class = data_class;
		req->session_type = session_type;
		req->zerocopy = true;
		take_bytes(d, db, built, rc, req);
	}
	return 0;
}

/* Room in esf's ring for one more batch's end. */
static bool ring_room(struct esf_dev *d)
{
	u32 used = d->cq_tail - READ_ONCE(ring(&d->r)->head);

	/* A head user space wrote beyond the tail reads as full. */
	return used <= d->r.cq_entries &&
	       used + d->ring_promised < d->r.cq_entries;
}

static int check_submit(struct esf_dev *d, const struct esf_dev_submit *sub)
{
	if (!d->s || !d->r.pages)
		return -EBADFD;
	if (current->mm != d->r.mm)
		return -EACCES;
	if (esf_session_dead(d->s))
		return -ENOKEY;
	if (sub->reserved || !sub->count || sub->count > ESF_MAX_BATCH)
		return -EINVAL;
	if ((u64)sub->first + sub->count > d->r.sq_entries)
		return -ERANGE;
	return 0;
}

static int submit(struct esf_dev *d, const struct esf_dev_submit *sub, enum mode mode,
		  struct io_uring_cmd *cmd, long timeo)
{
	struct dev_batch *db;
	int err;

	mutex_lock(&d->lock);
	err = check_submit(d, sub);
	if (err)
		goto out;
	db = batch_get(d);
	if (!db) {
		err = -EBUSY;
		goto out;
	}
	db->mode = mode;
	db->cmd = cmd;
	db->first = sub->first;
	db->count = sub->count;
	db->user_data = sub->user_data;
	db->completed = false;
	err = prepare(d, db);
	spin_lock_irq(&d->end_lock);
	if (!err && mode == MODE_RING && !ring_room(d))
		err = -EBUSY;
	if (!err) {
		d->running++;
		d->ring_promised += mode == MODE_RING;
	}
	spin_unlock_irq(&d->end_lock);
	if (err) {
		batch_idle(d, db);
		goto out;
	}
	refcount_inc(&d->ref);
	esf_batch_run(&db->b, db->count, timeo);
	mutex_unlock(&d->lock);
	if (mode != MODE_WAIT)
		return 0;
	/*
	 * Uninterruptible, as the crypto API's own waits: the results are
	 * what the caller waits for, and they come.
	 */
	wait_event(d->wq, smp_load_acquire(&db->completed));
	batch_idle(d, db);
	return 0;
out:
	mutex_unlock(&d->lock);
	return err;
}

/* File operations ------------------------------------------------------------- */

/* The session ESF_DEV_BIND or ESF_DEV_BIND_RESEAL names, if the caller may use it. */
static struct esf_session *bind_get(const struct esf_dev_bind *bind)
{
	struct esf_session *s;

	if (bind->reserved || bind->data_class > 3 || bind->session_type > ESF_STYPE_SM ||
	    !bind->session_id)
		return ERR_PTR(-EINVAL);
	s = esf_session_get(current->nsproxy->net_ns, bind->session_id);
	if (!s)
		return ERR_PTR(-ENOENT);
	if (!esf_session_may_use(s)) {
		esf_session_put(s);
		return ERR_PTR(-EACCES);
	}
	return s;
}

static int dev_bind(struct esf_dev *d, const struct esf_dev_bind *bind)
{
	struct esf_session *s;

	if (d->s)
		return -EBUSY;
	s = bind_get(bind);
	if (IS_ERR(s))
		return PTR_ERR(s);
	d->s = s;
	d->data_class = bind->data_class;
	d->session_type = bind->session_type;
	return 0;
}

/*
 * Whether @open's records can be sealed again under @seal in the kernel:
 * the OPEN's plaintext length must follow from the record's (no padding,
 * no associated data the kernel builds), which the SEAL is sized for
 * before the OPEN runs.
 */
static int reseal_pair_ok(const struct esf_session *open, const struct esf_session *seal)
{
	if (!(open->direction & ESF_DIR_OPEN) || !(seal->direction & ESF_DIR_SEAL))
		return -EPERM;
	if (open->alg->kind == ESF_KIND_MIC || built_assoc(open->alg) || open->alg->pad_block)
		return -EOPNOTSUPP;
	if (seal->alg->kind != ESF_KIND_AEAD || seal->alg->framing)
		return -EOPNOTSUPP;
	return 0;
}

static int dev_bind_reseal(struct esf_dev *d, const struct esf_dev_bind *bind)
{
	struct esf_session *s;
	int err;

	if (!d->s)
		return -EBADFD;
	if (d->s2)
		return -EBUSY;
	s = bind_get(bind);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = reseal_pair_ok(d->s, s);
	if (err) {
		esf_session_put(s);
		return err;
	}
	d->s2 = s;
	d->data_class2 = bind->data_class;
	d->session_type2 = bind->session_type;
	return 0;
}

/* One more opening session for aggregates, paired with the handle's as re-seal's. */
static int dev_bind_aggregate(struct esf_dev *d, const struct esf_dev_bind *bind)
{
	struct esf_session *s;
	int err;

	if (!d->s)
		return -EBADFD;
	if (d->nagg >= ESF_AGG_SESSIONS_MAX)
		return -ENOSPC;
	s = bind_get(bind);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = reseal_pair_ok(s, d->s);
	if (err) {
		esf_session_put(s);
		return err;
	}
	d->agg_class[d->nagg] = bind->data_class;
	d->agg_type[d->nagg] = bind->session_type;
	d->agg[d->nagg++] = s;
	return 0;
}

static int dev_unregister(struct esf_dev *d)
{
	int err = 0;

	spin_lock_irq(&d->end_lock);
	if (d->running)
		err = -EBUSY;
	spin_unlock_irq(&d->end_lock);
	if (!err && !d->r.pages)
		err = -EBADFD;
	if (!err)
		region_release(&d->r);
	return err;
}

static long esf_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct esf_dev *d = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct esf_session_info info;
	struct esf_dev_region reg;
	struct esf_dev_submit sub;
	struct esf_dev_bind bind;
	long timeo;
	int err;

	switch (cmd) {
	case ESF_DEV_SUBMIT:
		if (copy_from_user(&sub, uarg, sizeof(sub)))
			return -EFAULT;
		if (sub.flags & ~ESF_DEV_SUBMIT_WAIT)
			return -EINVAL;
		timeo = file->f_flags & O_NONBLOCK ? 0 : MAX_SCHEDULE_TIMEOUT;
		return submit(d, &sub, sub.flags & ESF_DEV_SUBMIT_WAIT ? MODE_WAIT : MODE_RING,
			      NULL, timeo);
	case ESF_DEV_BIND:
	case ESF_DEV_BIND_RESEAL:
	case ESF_DEV_BIND_AGGREGATE:
		if (copy_from_user(&bind, uarg, sizeof(bind)))
			return -EFAULT;
		mutex_lock(&d->lock);
		if (cmd == ESF_DEV_BIND)
			err = dev_bind(d, &bind);
		else if (cmd == ESF_DEV_BIND_RESEAL)
			err = dev_bind_reseal(d, &bind);
		else
			err = dev_bind_aggregate(d, &bind);
		mutex_unlock(&d->lock);
		return err;
	case ESF_DEV_REGISTER:
		if (copy_from_user(&reg, uarg, sizeof(reg)))
			return -EFAULT;
		mutex_lock(&d->lock);
		err = dev_register(d, &reg);
		mutex_unlock(&d->lock);
		return err;
	case ESF_DEV_UNREGISTER:
		mutex_lock(&d->lock);
		err = dev_unregister(d);
		mutex_unlock(&d->lock);
		return err;
	case ESF_DEV_INFO:
		mutex_lock(&d->lock);
		err = d->s ? 0 : -EBADFD;
		if (!err)
			esf_session_fill_info(d->s, &info);
		mutex_unlock(&d->lock);
		if (!err && copy_to_user(uarg, &info, sizeof(info)))
			err = -EFAULT;
		return err;
	default:
		return -ENOTTY;
	}
}

#ifdef ESF_URING
/*
 * IORING_OP_URING_CMD: a submission as ESF_DEV_SUBMIT's, its end an
 * io_uring CQE. It may wait for the handle's lock, memory and room on the
 * provider, so io_uring's non-blocking first attempt is sent to its
 * workers.
 */
static int esf_dev_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct esf_dev *d = cmd->file->private_data;
	struct esf_dev_submit sub = { 0 };
	int err;

	if (cmd->cmd_op != ESF_DEV_URING_SUBMIT)
		return -ENOTTY;
	if (issue_flags & IO_URING_F_NONBLOCK)
		return -EAGAIN;
	memcpy(&sub, esf_uring_cmd_bytes(cmd), ESF_URING_CMD_LEN);
	if (sub.flags)
		return -EINVAL;
	err = submit(d, &sub, MODE_URING, cmd, MAX_SCHEDULE_TIMEOUT);
	return err ?: -EIOCBQUEUED;
}
#endif

static __poll_t esf_dev_poll(struct file *file, poll_table *wait)
{
	struct esf_dev *d = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &d->wq, wait);
	spin_lock_irq(&d->end_lock);
	if (d->r.pages && d->cq_tail != READ_ONCE(ring(&d->r)->head))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (d->running < ESF_DEV_MAX_BATCHES)
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock_irq(&d->end_lock);
	return mask;
}

static int esf_dev_open(struct inode *inode, struct file *file)
{
	struct esf_dev *d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);

	if (!d)
		return -ENOMEM;
	mutex_init(&d->lock);
	spin_lock_init(&d->end_lock);
	INIT_LIST_HEAD(&d->idle);
	init_waitqueue_head(&d->wq);
	refcount_set(&d->ref, 1);
	INIT_WORK(&d->free_work, dev_free_work);
	atomic_inc(&live);
	file->private_data = d;
	return nonseekable_open(inode, file);
}

/*
 * Batches still running keep the handle; the last one frees it, from the
 * workqueue (it may complete in interrupt context). With none running the
 * handle goes here, so that its pages are unpinned and its locked-memory
 * charge returned when close(2) returns.
 */
static int esf_dev_release(struct inode *inode, struct file *file)
{
	struct esf_dev *d = file->private_data;

	if (refcount_dec_and_test(&d->ref))
		dev_free_work(&d->free_work);
	return 0;
}

static const struct file_operations esf_dev_fops = {
	.owner = THIS_MODULE,
	.open = esf_dev_open,
	.release = esf_dev_release,
	.unlocked_ioctl = esf_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = esf_dev_poll,
#ifdef ESF_URING
	.uring_cmd = esf_dev_uring_cmd,
#endif
};

/* Anyone may open it: what a handle may use is checked at ESF_DEV_BIND. */
static struct miscdevice esf_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = ESF_DEV_NAME,
	.fops = &esf_dev_fops,
	.mode = 0666,
};

int __init esf_dev_init(void)
{
	int err;

	dev_wq = alloc_workqueue("esf_dev", WQ_UNBOUND, 0);
	if (!dev_wq)
		return -ENOMEM;
	err = misc_register(&esf_miscdev);
	if (err)
		destroy_workqueue(dev_wq);
	return err;
}

void esf_dev_exit(void)
{
	misc_deregister(&esf_miscdev);
	/* Files are closed (each held the module); their batches may run on. */
	wait_event(gone_wq, !atomic_read(&live));
	destroy_workqueue(dev_wq);
}
