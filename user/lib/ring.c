// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libesf on /dev/esf: a session handle on the kernel's device front end.
 *
 * The handle registers one region with the kernel when it opens:
 *
 *   [ record table: ESF_MAX_BATCH entries, a one-entry completion ring ]
 *   [ staging ][ buffer pool ]
 *
 * A batch names its records by offsets in the region and is submitted with
 * one ioctl that returns when the batch is done; the kernel reads and
 * writes the text in place. Records whose AAD, input or output already lie
 * in the region (buffers from esf_buf_alloc()) are named where they are,
 * so nothing is copied at all; the others are copied into the staging area
 * and their results out of it, one memcpy each way in user space. A batch
 * larger than the staging area goes out in several submissions, in order,
 * so sequence numbers still follow the records' order.
 *
 * The pool is handed out by esf_buf_alloc() in whole pages, first fit over
 * a bitmap: applications allocate their I/O buffers once and reuse them.
 *
 * A handle with a second session (esf_session_reseal_to()) also takes
 * ESF_OP_RESEAL records: their two AADs, @aad then @in2, go to the kernel
 * as one span; their input is @in alone.
 *
 * A handle with opening sessions (esf_session_aggregate_from()) takes
 * aggregates (esf_aggregate()): one table entry, its inputs' descriptors,
 * their AADs and records and the output slot all staged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "esf_backend.h"

#define PAGE		4096u
#define TABLE_BYTES	((size_t)ESF_MAX_BATCH * sizeof(struct esf_dev_rec))
/* The kernel asks for a completion ring; waiting submissions leave it empty. */
#define CQ_BYTES	(sizeof(struct esf_dev_cq) + sizeof(struct esf_dev_cqe))
#define TABLE_PAGES	((TABLE_BYTES + CQ_BYTES + PAGE - 1) / PAGE)

/* Default sizes; ESF_RING_STAGING and ESF_RING_POOL (bytes) override. */
#define STAGING_DEFAULT	(2u << 20)
#define POOL_DEFAULT	(2u << 20)

/* Where a record's parts go: named in place, or staged (copied). */
struct plan {
	uint32_t aad_off, in_off, out_off;
	uint8_t stage_aad, stage_in, stage_out;
	size_t slot;
};

struct ring {
	uint8_t *base;
	size_t len;
	struct esf_dev_rec *table;
	size_t staging_off, staging_len;
	size_t pool_off, pool_pages;
	uint64_t *pool_used;	/* a bit per pool page */
	uint32_t *pool_runs;	/* pages of the run that starts at a page */
	/*
	 * The submission being gathered: each entry's record, and for the
	 * entries whose output is staged (a bit each), their plan.
	 */
	struct esf_op *opp[ESF_MAX_BATCH];
	uint64_t staged_out[ESF_MAX_BATCH / 64];
	struct plan plans[ESF_MAX_BATCH];
	/* esf_session_reseal_to()'s session, once there is one. */
	int reseal;
	struct esf_session_info info2;
	/* esf_session_aggregate_from()'s sessions, by slot. */
	struct esf_session_info agg_info[ESF_AGG_SESSIONS_MAX];
	unsigned int nagg;
};

static size_t env_size(const char *name, size_t dflt, size_t min)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (!v || !*v)
		return dflt;
	x = strtoull(v, &end, 0);
	if (*end || x < min || x > ESF_DEV_REGION_MAX / 2)
		return dflt;
	return ((size_t)x + PAGE - 1) / PAGE * PAGE;
}

/* Whether [p, p + len) lies in the region; its offset then goes in @off. */
static int in_region(const struct ring *r, const void *p, size_t len, uint32_t *off)
{
	/* Below the base (NULL included) wraps to beyond the region's length. */
	uintptr_t at = (uintptr_t)p - (uintptr_t)r->base;

	if (at > r->len || len > r->len - at)
		return 0;
	*off = (uint32_t)at;
	return 1;
}

static int spans_meet(uintptr_t a, size_t alen, uintptr_t b, size_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* The kernel's AAD span and input span: a re-seal's @in2 is its second AAD. */
static size_t aad_bytes(const struct esf_op *op)
{
	return op->aad_len + (op->op == ESF_OP_RESEAL ? op->in2_len : 0);
}

static size_t in_bytes(const struct esf_op *op)
{
	return op->in_len + (op->op == ESF_OP_RESEAL ? 0 : op->in2_len);
}

/* Bytes of staging a record needs for what is not in the region already. */
static size_t stage_need(const struct plan *p, const struct esf_op *op)
{
	size_t n = 0;

	if (p->stage_aad)
		n += (aad_bytes(op) + 7) & ~(size_t)7;
	if (p->stage_in)
		n += (in_bytes(op) + 7) & ~(size_t)7;
	if (p->stage_out)
		n += (p->slot + 7) & ~(size_t)7;
	return n;
}

/*
 * Worked out in locals and stored once: the plan's flags are bytes, and a
 * byte store may alias anything, so stores made along the way would make
 * the compiler load the region and the record again after each.
 */
static void plan_record(const struct ring *r, const struct esf_op *op, size_t slot,
			struct plan *p)
{
	uintptr_t out = (uintptr_t)op->out;
	uint32_t aad_off = 0, in_off = 0, out_off = 0;
	int stage_aad, stage_in, stage_out;

	if (op->op == ESF_OP_RESEAL) {
		/* The two AADs are one span: adjacent, or staged. */
		stage_aad = aad_bytes(op) &&
			    (!in_region(r, op->aad_len ? op->aad : op->in2, aad_bytes(op),
					&aad_off) ||
			     (op->aad_len && op->in2_len &&
			      (const uint8_t *)op->aad + op->aad_len != op->in2));
		stage_in = op->in_len && !in_region(r, op->in, op->in_len, &in_off);
	} else {
		stage_aad = op->aad_len && !in_region(r, op->aad, op->aad_len, &aad_off);
		/* The kernel reads in and in2 as one input: they must be adjacent. */
		stage_in = (op->in_len || op->in2_len) &&
			   (!in_region(r, op->in_len ? op->in : op->in2,
				       op->in_len + op->in2_len, &in_off) ||
			    (op->in_len && op->in2_len &&
			     (const uint8_t *)op->in + op->in_len != op->in2));
	}
	/* In place, the output must not share bytes with what is read. */
	stage_out = slot && (!in_region(r, op->out, slot, &out_off) ||
			     spans_meet(out, slot, (uintptr_t)op->aad, op->aad_len) ||
			     spans_meet(out, slot, (uintptr_t)op->in, op->in_len) ||
			     spans_meet(out, slot, (uintptr_t)op->in2, op->in2_len));
	*p = (struct plan){
		.aad_off = aad_off, .in_off = in_off, .out_off = out_off,
		.stage_aad = (uint8_t)stage_aad, .stage_in = (uint8_t)stage_in,
		.stage_out = (uint8_t)stage_out, .slot = slot,
	};
}

/* Copy the staged parts in; @at is the staging cursor. */
static void stage_in(struct ring *r, const struct esf_op *op, struct plan *p, size_t *at)
{
	int reseal = op->op == ESF_OP_RESEAL;

	if (p->stage_aad) {
		p->aad_off = (uint32_t)*at;
		if (op->aad_len)
			memcpy(r->base + *at, op->aad, op->aad_len);
		if (reseal && op->in2_len)
			memcpy(r->base + *at + op->aad_len, op->in2, op->in2_len);
		*at += (aad_bytes(op) + 7) & ~(size_t)7;
	}
	if (p->stage_in) {
		p->in_off = (uint32_t)*at;
		if (op->in_len)
			memcpy(r->base + *at, op->in, op->in_len);
		if (!reseal && op->in2_len)
			memcpy(r->base + *at + op->in_len, op->in2, op->in2_len);
		*at += (in_bytes(op) + 7) & ~(size_t)7;
	}
	if (p->stage_out) {
		p->out_off = (uint32_t)*at;
		*at += (p->slot + 7) & ~(size_t)7;
	}
}

/* Submit table entries 0..k-1 and wait for them. */
static int submit(struct esf_session *s, uint32_t k)
{
	struct esf_dev_submit sub = { .first = 0, .count = k, .flags = ESF_DEV_SUBMIT_WAIT };

	while (ioctl(s->fd, ESF_DEV_SUBMIT, &sub) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * Results of table entries 0..k-1 back into their records; @staged: some
 * entries' outputs are in the staging area (bits in r->staged_out), to be
 * copied out and the bits cleared.
 */
static void collect(struct ring *r, uint32_t k, int staged)
{
	const struct esf_dev_rec *e = r->table;
	struct esf_op *const *opp = r->opp;
	uint32_t j;

	for (j = 0; j < k; j++) {
		struct esf_op *op = opp[j];
		struct esf_res res = e[j].res;

		op->status = res.status;
		op->out_len = res.out_len;
		op->seq = res.seq;
	}
	if (!staged)
		return;
	for (j = 0; j < k; j++) {
		/* A failed record's slot is zeros in the region: copy them too. */
		if (r->staged_out[j / 64] & (1ULL << (j % 64)))
			memcpy(opp[j]->out, r->base + r->plans[j].out_off, r->plans[j].slot);
	}
	memset(r->staged_out, 0, sizeof(r->staged_out));
}

static int fail_pending(struct esf_op *ops, size_t n, int err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ops[i].status == 1)
			ops[i].status = err;
	return err;
}

/* Run table entries 0..k-1 and hand their results back. */
static int flush(struct esf_session *s, uint32_t k, int staged)
{
	struct ring *r = s->priv;
	int err = submit(s, k);

	if (!err)
		collect(r, k, staged);
	else if (staged)
		memset(r->staged_out, 0, sizeof(r->staged_out));
	return err;
}

/*
 * A batch's staging cursor, the staging area's end, and whether an entry
 * of the submission being gathered has its output staged.
 */
struct gather {
	size_t at, end;
	int staged;
};

/*
 * A record that is not in place as a whole, or is a re-seal, as table
 * entry @k: planned by plan_record(), its staged parts copied in. The @k
 * entries gathered before it run first when the staging area has no room
 * left for it. The number of entries gathered after it (@k when it was
 * refused, its status set), or an error of a submission. Out of line: the
 * batch loop keeps its registers for the common record.
 */
static __attribute__((noinline)) int
plan_slow(struct esf_session *s, struct esf_op *op, size_t slot, uint32_t k, struct gather *g)
{
	struct ring *r = s->priv;
	int reseal = op->op == ESF_OP_RESEAL;
	struct plan *pl = &r->plans[k];
	uint32_t aad_len, in_len, aad2_len;
	struct esf_dev_rec *e;
	size_t need;
	int err;

	plan_record(r, op, slot, pl);
	if (pl->stage_aad | pl->stage_in | pl->stage_out) {
		need = stage_need(pl, op);
		/* No room left in the staging area: run what is gathered first. */
		if (need > g->end - g->at && k) {
			struct plan keep = *pl;

			err = flush(s, k, g->staged);
			if (err)
				return err;
			k = 0;
			g->staged = 0;
			g->at = r->staging_off;
			pl = &r->plans[0];
			*pl = keep;
		}
		if (need > g->end - g->at) {
			op->status = -EMSGSIZE;
			return (int)k;
		}
		stage_in(r, op, pl, &g->at);
		if (pl->stage_out) {
			r->staged_out[k / 64] |= 1ULL << (k % 64);
			g->staged = 1;
		}
	}
	e = &r->table[k];
	/* Everything read first: the byte stores below may alias it. */
	aad_len = (uint32_t)op->aad_len;
	in_len = (uint32_t)in_bytes(op);
	aad2_len = reseal ? (uint32_t)op->in2_len : 0;
	e->aad_off = pl->aad_off;
	e->aad_len = aad_len;
	e->in_off = pl->in_off;
	e->in_len = in_len;
	e->out_off = pl->out_off;
	e->out_size = (uint32_t)pl->slot;
	e->aad2_len = aad2_len;
	e->op = op->op;
	e->flags = 0;
	e->reserved = 0;
	r->opp[k] = op;
	return (int)k + 1;
}

/*
 * The common record goes without a plan: an operation other than re-seal
 * whose AAD, input and output all lie in the region, its input in one
 * piece, its output clear of what it reads, is named in place, each of
 * its fields read once, with the region's bounds and the session's sizes
 * read once a batch. Any other record takes plan_slow(), which decides
 * part by part. The record's own results are stored last: stores may
 * alias the fields still to be read, the table's byte stores anything.
 *
 * The test works on offsets in the region, an empty span at 0: it meets
 * nothing and lies in the region, as plan_record() has it. An offset at
 * most ESF_DEV_REGION_MAX (the kernel registers no larger region) plus a
 * length below 4 GiB (checked above; a slot is a few bytes more) cannot
 * wrap a 64-bit size_t, so each span is then one compare of its end; a
 * larger offset is outside the region, or at worst planned the long way.
 * A 32-bit size_t needs the lengths bounded likewise: IF_SIZE32().
 */
#define IF_SIZE32(x) (SIZE_MAX > UINT32_MAX ? 0 : (x))

static int ring_batch(struct esf_session *s, struct esf_op *ops, size_t n)
{
	struct ring *r = s->priv;
	const struct esf_session_info info = s->info;
	const uintptr_t base = (uintptr_t)r->base;
	const size_t rlen = r->len;
	const int can_reseal = r->reseal;
	struct gather g = { .at = r->staging_off, .end = r->staging_off + r->staging_len };
	/* The table is at the region's start. */
	struct esf_dev_rec *const table = (struct esf_dev_rec *)base, *e = table;
	struct esf_op **o = r->opp;
	struct esf_op *op, *last;
	int err;

	if (n > ESF_MAX_BATCH)
		return -EMSGSIZE;
	for (op = ops, last = ops + n; op < last; op++) {
		const unsigned int code = op->op;
		const size_t aad_len = op->aad_len, in_len = op->in_len, in2_len = op->in2_len;
		const size_t ilen = in_len + in2_len;
		size_t slot, aad_at, in_at, out_at, aad_end, in_end, out_end;
		uint32_t k;

		slot = code == ESF_OP_RESEAL ? esf_reseal_size(s, in_len) :
					       slot_bytes(&info, code, ilen);
		/* A record whose result cannot land in place is not sent. */
		if (slot > op->out_size || (slot && !op->out) ||
		    (aad_len | in2_len | ilen) > UINT32_MAX ||
		    (code == ESF_OP_RESEAL && !can_reseal)) {
			op->out_len = 0;
			op->seq = 0;
			op->status = slot > op->out_size ? -ENOSPC : -EINVAL;
			continue;
		}
		if (code == ESF_OP_RESEAL)
			goto plan;
		aad_at = aad_len ? (uintptr_t)op->aad - base : 0;
		/* The kernel reads in and in2 as one input. */
		in_at = in_len ? (uintptr_t)op->in - base :
			in2_len ? (uintptr_t)op->in2 - base : 0;
		out_at = slot ? (uintptr_t)op->out - base : 0;
		aad_end = aad_at + aad_len;
		in_end = in_at + ilen;
		out_end = out_at + slot;
		if ((aad_at | in_at | out_at | IF_SIZE32(aad_len | ilen | slot)) >
			ESF_DEV_REGION_MAX ||
		    aad_end > rlen || in_end > rlen || out_end > rlen ||
		    (in2_len && in_len && (uintptr_t)op->in + in_len != (uintptr_t)op->in2) ||
		    /* In place, the output must not share bytes with what is read. */
		    (out_at < aad_end && aad_at < out_end) ||
		    (out_at < in_end && in_at < out_end))
			goto plan;
		e->aad_off = (uint32_t)aad_at;
		e->aad_len = (uint32_t)aad_len;
		e->in_off = (uint32_t)in_at;
		e->in_len = (uint32_t)ilen;
		e->out_off = (uint32_t)out_at;
		e->out_size = (uint32_t)slot;
		e->aad2_len = 0;
		e->op = (uint8_t)code;
		e->flags = 0;
		e->reserved = 0;
		e++;
		*o++ = op;
		op->status = 1;	/* sent, result pending */
		op->out_len = 0;
		op->seq = 0;
		continue;
plan:
		op->status = 1;
		op->out_len = 0;
		op->seq = 0;
		k = (uint32_t)(e - table);
		err = plan_slow(s, op, slot, k, &g);
		if (err < 0)
			return fail_pending(ops, n, err);
		e = table + err;
		o = r->opp + err;
	}
	if (e != table) {
		err = flush(s, (uint32_t)(e - table), g.staged);
		if (err)
			return fail_pending(ops, n, err);
	}
	return 0;
}

static void ring_close(struct esf_session *s)
{
	struct ring *r = s->priv;

	if (s->fd >= 0)
		close(s->fd);
	if (r) {
		munmap(r->base, r->len);
		free(r->pool_used);
		free(r->pool_runs);
		free(r);
	}
}

static const struct esf_session_ops ring_ops = {
	.batch = ring_batch,
	.close = ring_close,
};

int esf_session_is_device(const struct esf_session *s)
{
	return s->ops == &ring_ops;
}

static int ring_setup(int fd, size_t pool, struct ring **rp)
{
	struct ring *r = calloc(1, sizeof(*r));
	struct esf_dev_region reg = { 0 };
	size_t words;

	if (!r)
		return -ENOMEM;
	r->staging_off = TABLE_PAGES * PAGE;
	r->staging_len = env_size("ESF_RING_STAGING", STAGING_DEFAULT, PAGE);
	r->pool_off = r->staging_off + r->staging_len;
	r->pool_pages = (pool ? (pool + PAGE - 1) / PAGE * PAGE :
			 env_size("ESF_RING_POOL", POOL_DEFAULT, 0)) / PAGE;
	r->len = r->pool_off + r->pool_pages * PAGE;
	words = (r->pool_pages + 63) / 64;
	r->pool_used = calloc(words ? words : 1, sizeof(uint64_t));
	r->pool_runs = calloc(r->pool_pages ? r->pool_pages : 1, sizeof(uint32_t));
	r->base = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (!r->pool_used || !r->pool_runs || r->base == MAP_FAILED) {
		if (r->base != MAP_FAILED)
			munmap(r->base, r->len);
		free(r->pool_used);
		free(r->pool_runs);
		free(r);
		return -ENOMEM;
	}
	r->table = (struct esf_dev_rec *)r->base;
	/* Every submission waits for its batch: the ring stays empty. */
	reg = (struct esf_dev_region){
		.addr = (uintptr_t)r->base, .len = r->len,
		.sq_off = 0, .sq_entries = ESF_MAX_BATCH,
		.cq_off = TABLE_BYTES, .cq_entries = 1,
	};
	if (ioctl(fd, ESF_DEV_REGISTER, &reg) < 0) {
		int err = -errno;

		munmap(r->base, r->len);
		free(r->pool_used);
		free(r->pool_runs);
		free(r);
		return err;
	}
	*rp = r;
	return 0;
}

int esf_session_open_device(uint32_t session_id, unsigned int data_class,
			    unsigned int session_type, size_t pool,
			    struct esf_session **sp, int *missing)
{
	struct esf_dev_bind b = { .session_id = session_id, .data_class = (uint8_t)data_class,
				  .session_type = (uint8_t)session_type };
	struct esf_session_info info;
	struct esf_session *s;
	struct ring *r = NULL;
	int fd, err;

	*missing = 0;
	fd = open("/dev/" ESF_DEV_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*missing = 1;
		return -errno;
	}
	if (ioctl(fd, ESF_DEV_BIND, &b) < 0 || ioctl(fd, ESF_DEV_INFO, &info) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	err = pool > ESF_DEV_REGION_MAX / 2 ? -EINVAL : ring_setup(fd, pool, &r);
	if (err) {
		/* RLIMIT_MEMLOCK below the region: the socket needs none. */
		*missing = err == -ENOMEM || err == -EPERM || err == -EAGAIN;
		close(fd);
		return err;
	}
	s = esf_session_new_backend(&ring_ops, &info, data_class, session_type, r);
	if (!s) {
		s = &(struct esf_session){ .fd = fd, .priv = r };
		ring_close(s);
		return -ENOMEM;
	}
	s->fd = fd;
	*sp = s;
	return 0;
}

/* ---- re-seal ---- */

/*
 * Give @s's handle another session with @req (ESF_DEV_BIND_RESEAL,
 * ESF_DEV_BIND_AGGREGATE), after reading that session's sizes into @info
 * through a handle of its own, first: the kernel checks the caller on it
 * there as on any bind.
 */
static int bind_second(struct esf_session *s, const struct esf_dev_bind *b,
		       struct esf_session_info *info, unsigned long req)
{
	int fd, err = 0;

	fd = open("/dev/" ESF_DEV_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, ESF_DEV_BIND, b) < 0 || ioctl(fd, ESF_DEV_INFO, info) < 0)
		err = -errno;
	close(fd);
	if (!err && ioctl(s->fd, req, b) < 0)
		err = -errno;
	return err;
}

int esf_session_reseal_to(struct esf_session *s, uint32_t session_id,
			  unsigned int data_class, unsigned int session_type)
{
	struct esf_dev_bind b = { .session_id = session_id, .data_class = (uint8_t)data_class,
				  .session_type = (uint8_t)session_type };
	struct ring *r;
	int err;

	if (!esf_session_is_device(s))
		return -EOPNOTSUPP;
	if (data_class > 255 || session_type > 255)
		return -EINVAL;
	r = s->priv;
	if (r->reseal)
		return -EBUSY;
	/* The sealing session's sizes, for the records' output slots. */
	err = bind_second(s, &b, &r->info2, ESF_DEV_BIND_RESEAL);
	if (!err)
		r->reseal = 1;
	return err;
}

const struct esf_session_info *esf_reseal_info(const struct esf_session *s)
{
	const struct ring *r = s->priv;

	return esf_session_is_device(s) && r->reseal ? &r->info2 : NULL;
}

size_t esf_reseal_size(const struct esf_session *s, size_t in_len)
{
	const struct ring *r = s->priv;
	size_t over = (size_t)s->info.nonce_len + s->info.tag_len;
	struct esf_op seal = { .op = ESF_OP_SEAL };

	if (!esf_session_is_device(s) || !r->reseal)
		return 0;
	seal.in_len = in_len > over ? in_len - over : 0;
	return esf_slot_size(&r->info2, &seal);
}

/* ---- aggregate ---- */

int esf_session_aggregate_from(struct esf_session *s, uint32_t session_id,
			       unsigned int data_class, unsigned int session_type)
{
	struct esf_dev_bind b = { .session_id = session_id, .data_class = (uint8_t)data_class,
				  .session_type = (uint8_t)session_type };
	struct ring *r;
	int err;

	if (!esf_session_is_device(s))
		return -EOPNOTSUPP;
	if (data_class > 255 || session_type > 255)
		return -EINVAL;
	r = s->priv;
	if (r->nagg >= ESF_AGG_SESSIONS_MAX)
		return -ENOSPC;
	/* The opening session's sizes, for the plaintexts' lengths. */
	err = bind_second(s, &b, &r->agg_info[r->nagg], ESF_DEV_BIND_AGGREGATE);
	return err ? err : (int)r->nagg++;
}

/* The framed plaintext's length, or -EINVAL for an input no slot takes. */
static ssize_t framed_len(const struct ring *r, const struct esf_agg_input *in, size_t n)
{
	size_t i, over, len = 0;

	if (!n || n > ESF_AGG_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (in[i].slot >= r->nagg)
			return -EINVAL;
		over = (size_t)r->agg_info[in[i].slot].nonce_len + r->agg_info[in[i].slot].tag_len;
		len += 4 + (in[i].in_len > over ? in[i].in_len - over : 0);
	}
	return len > ESF_MAX_DATA ? -EMSGSIZE : (ssize_t)len;
}

size_t esf_aggregate_size(const struct esf_session *s, const struct esf_agg_input *in, size_t n)
{
	struct esf_op seal = { .op = ESF_OP_SEAL };
	ssize_t len;

	if (!esf_session_is_device(s))
		return 0;
	len = framed_len(s->priv, in, n);
	if (len < 0)
		return 0;
	seal.in_len = (size_t)len;
	return esf_slot_size(&s->info, &seal);
}

/* @len bytes at the staging cursor @at, 8-byte aligned; its offset. */
static uint32_t stage(struct ring *r, size_t *at, const void *p, size_t len)
{
	uint32_t off = (uint32_t)*at;

	if (len)
		memcpy(r->base + *at, p, len);
	*at += (len + 7) & ~(size_t)7;
	return off;
}

/* Whether the aggregate's parts fit the staging area. */
static int stage_fits(const struct ring *r, const struct esf_agg_input *in, size_t n,
		      size_t aad_len, size_t slot)
{
	size_t i, need = n * sizeof(struct esf_dev_agg_in) + aad_len + slot + 16;

	for (i = 0; i < n; i++)
		need += in[i].aad_len + in[i].in_len + 16;
	return need <= r->staging_len ? 0 : -EMSGSIZE;
}

ssize_t esf_aggregate(struct esf_session *s, const void *aad, size_t aad_len,
		      struct esf_agg_input *in, size_t n, void *out, size_t out_size,
		      uint64_t *seq)
{
	struct esf_dev_agg_in *desc;
	struct esf_dev_rec *e;
	size_t slot, i, at;
	struct ring *r;
	int err;

	if (!esf_session_is_device(s) || !in)
		return -EINVAL;
	r = s->priv;
	slot = esf_aggregate_size(s, in, n);
	if (!slot || aad_len > ESF_MAX_AAD)
		return framed_len(r, in, n) < 0 ? framed_len(r, in, n) : -EINVAL;
	if (out_size < slot)
		return -ENOSPC;
	err = stage_fits(r, in, n, aad_len, slot);
	if (err)
		return err;
	at = r->staging_off;
	desc = (struct esf_dev_agg_in *)(r->base + at);
	e = &r->table[0];
	*e = (struct esf_dev_rec){ .op = ESF_OP_AGGREGATE, .in_off = (uint32_t)at,
				   .in_len = (uint32_t)(n * sizeof(*desc)) };
	at += (n * sizeof(*desc) + 7) & ~(size_t)7;
	for (i = 0; i < n; i++) {
		desc[i] = (struct esf_dev_agg_in){ .slot = (uint16_t)in[i].slot,
						   .aad_len = (uint32_t)in[i].aad_len,
						   .in_len = (uint32_t)in[i].in_len };
		desc[i].aad_off = stage(r, &at, in[i].aad, in[i].aad_len);
		desc[i].in_off = stage(r, &at, in[i].in, in[i].in_len);
	}
	e->aad_off = stage(r, &at, aad, aad_len);
	e->aad_len = (uint32_t)aad_len;
	e->out_off = (uint32_t)at;
	e->out_size = (uint32_t)slot;
	err = submit(s, 1);
	for (i = 0; i < n; i++)
		in[i].status = err ? err : desc[i].status;
	if (!err)
		err = e->res.status;
	if (!err) {
		memcpy(out, r->base + e->out_off, e->res.out_len);
		if (seq)
			*seq = e->res.seq;
	}
	/* The staging area held the inputs' records: not left for others. */
	explicit_bzero(r->base + r->staging_off, at - r->staging_off);
	return err ? err : (ssize_t)e->res.out_len;
}

/* ---- the buffer pool ---- */

static int page_used(const struct ring *r, size_t p)
{
	return (r->pool_used[p / 64] >> (p % 64)) & 1;
}

static void mark(struct ring *r, size_t p, size_t n, int used)
{
	for (; n--; p++) {
		if (used)
			r->pool_used[p / 64] |= 1ULL << (p % 64);
		else
			r->pool_used[p / 64] &= ~(1ULL << (p % 64));
	}
}

void *esf_ring_buf_alloc(struct esf_session *s, size_t size)
{
	struct ring *r = s->priv;
	size_t need = (size + PAGE - 1) / PAGE, p, run = 0;

	if (!need)
		need = 1;
	for (p = 0; p < r->pool_pages; p++) {
		run = page_used(r, p) ? 0 : run + 1;
		if (run == need) {
			size_t first = p + 1 - need;

			mark(r, first, need, 1);
			r->pool_runs[first] = (uint32_t)need;
			return r->base + r->pool_off + first * PAGE;
		}
	}
	return NULL;
}

int esf_ring_buf_free(struct esf_session *s, void *buf)
{
	struct ring *r = s->priv;
	uint32_t off;
	size_t first;

	if (!in_region(r, buf, 1, &off) || off < r->pool_off || (off - r->pool_off) % PAGE)
		return -EINVAL;
	first = (off - r->pool_off) / PAGE;
	if (!r->pool_runs[first])
		return -EINVAL;
	mark(r, first, r->pool_runs[first], 0);
	r->pool_runs[first] = 0;
	return 0;
}
