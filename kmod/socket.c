// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path's front end: an AF_ALG socket type, "esf".
 *
 * bind() names a session, accept() gives an operation socket. A batch of
 * records arrives through one or more sendmsg() calls (MSG_MORE on all but
 * the last); each record is copied once, into a page arena the socket keeps
 * between batches, laid out as ops.c wants it. When the batch closes, its
 * records are submitted in order by the engine every front end shares
 * (batch.c: so SEAL's sequence numbers follow record order) and run in
 * place; recvmsg() streams the results back, each in a
 * slot whose size depends only on the record, so user space can scatter
 * them straight into its buffers.
 *
 * One batch is in flight per socket: the records may complete out of order
 * on an asynchronous provider, but results go back in record order. A
 * framing error discards the whole batch before anything of it runs.
 *
 * Several threads may share an operation socket (docs/fast-path.md, "One
 * socket, many threads"). Everything that touches the batch runs under the
 * socket lock, and only recvmsg() sleeps with it released: it then
 * re-checks, by the batch number, that the batch it waited for is still
 * the socket's before it reads anything.
 *
 * A batch closed with an ESF_CMSG_OUTPUT table is delivered by sendmsg()
 * itself, straight into the caller's buffers. Its large AEAD records are
 * not copied at all: the provider reads the text from the caller's pages
 * and writes its output to the caller's pages (zero-copy); only the AAD
 * (and OPEN's nonce) go through the arena. At 16 KiB the two copies cost
 * as much as the cipher, so this is what lets a batch approach the
 * in-kernel loop.
 */

#include <crypto/if_alg.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "arena.h"
#include "batch.h"
#include "compat.h"
#include "ops.h"
#include "session.h"
#include "socket.h"

/* Areas start on a cache line: some providers want aligned buffers. */
#define AREA_ALIGN	64
/*
 * Room before each area where a record's result header and head (nonce or
 * digest) are staged next to its output, so that a result leaves in one
 * copy: sizeof(struct esf_res) + the longest head (a SHA-512 digest).
 */
#define HEADROOM	ALIGN(sizeof(struct esf_res) + 64, 16)

/*
 * Below this size a record is copied even in a batch delivered in place:
 * pinning pages costs more than copying a few hundred bytes (see
 * docs/benchmarks.md). Never below ESF_ZEROCOPY_FLOOR, which libesf relies
 * on.
 */
static unsigned int zerocopy_min = 2048;
module_param(zerocopy_min, uint, 0644);
MODULE_PARM_DESC(zerocopy_min,
		 "Smallest AEAD record whose text stays in the caller's pages when results are delivered in place (ESF_CMSG_OUTPUT); 0: always copy (default 2048, at least 256)");

/* Pages one record's text or output may touch (ESF_MAX_RECORD, unaligned). */
#define ZC_PAGES	(DIV_ROUND_UP(ESF_MAX_RECORD, PAGE_SIZE) + 1)

enum batch_state {
	BATCH_IDLE,	/* nothing sent, or all results read */
	BATCH_OPEN,	/* records arriving (MSG_MORE) */
	BATCH_RUNNING,	/* submitted, completions outstanding */
	BATCH_DONE,	/* results ready */
};

/*
 * A record of the batch. Its request is req_at(es, index), never a saved
 * pointer: the request array moves when a batch outgrows it.
 */
struct slot {
	struct esf_layout l;
	u32 aad_len;
	u32 data_len;
	u32 area_off;
	u32 area_len;
	/*
	 * OPEN: the nonce stays in the area, between the AAD and the text,
	 * so that AAD, nonce and input arrive in one copy; the scatterlist
	 * skips it. The area is the layout's with gap bytes at l.text_off.
	 */
	u32 gap;
	/*
	 * Zero-copy record: its text is in_n pieces of es->in from in_pg,
	 * its output body out_n pieces of es->out from out_pg; the provider
	 * reads sg and writes dst.
	 */
	bool zc;
	u32 in_pg, in_n, out_pg, out_n;
	struct scatterlist *sg;
	struct scatterlist *dst;
};

struct esf_sock {
	struct esf_session *s;
	struct sock *sk;
	enum batch_state state;

	/* Records of the current batch, and their requests. */
	struct slot *slots;
	unsigned int nrec, slots_cap;
	struct esf_batch b;
	struct scatterlist *sg;
	unsigned int sg_cap;

	/* The arena: pages kept between batches, filled from offset 0. */
	struct esf_arena arena;
	u32 used;

	/* Parsing a record that may span sendmsg() calls. */
	struct esf_rec hdr;
	u32 hdr_got;			/* bytes of hdr received */
	u32 body_got;			/* bytes of AAD and data received */
	u32 bytes;			/* framing bytes in this batch */

	/*
	 * Delivery in place (ESF_CMSG_OUTPUT): the caller's table, and the
	 * caller's pages the batch reads (in: page references) and writes
	 * (out: pins), as (page, offset, length) pieces.
	 */
	bool direct;
	u64 outs_user;
	u32 outs_count;
	struct esf_output *outs;
	unsigned int outs_cap;
	struct scatterlist *in, *out;
	unsigned int nin, in_cap, nout, out_cap;

	/* Completions and results. */
	wait_queue_head_t done_wq;	/* sendmsg() waiting to deliver in place */
	/*
	 * Bumped under the socket lock each time a batch ends: all its
	 * results read, delivered in place, or discarded. A reader that slept
	 * with the lock released compares it to tell whether the batch it
	 * waited for is still the socket's.
	 */
	u64 batch;
	unsigned int res_rec;		/* result being read */
	u32 res_pos;			/* bytes of it already read */
};

/* Memory --------------------------------------------------------------- */

/* What the socket holds is charged to it, as AF_ALG charges its buffers. */
static void *grow(struct esf_sock *es, void *old, unsigned int old_n,
		  unsigned int new_n, size_t size)
{
	return esf_grow(old, old_n, new_n, size, &es->sk->sk_omem_alloc);
}

/* The caller's pages (zero-copy) -------------------------------------- */

static int pieces_fit(struct esf_sock *es, struct scatterlist **arr, unsigned int *cap,
		      unsigned int need)
{
	struct scatterlist *p;
	unsigned int n;

	if (need <= *cap)
		return 0;
	n = max(need, 2 * *cap);
	p = grow(es, *arr, *cap, n, sizeof(**arr));
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

/* Let go of the caller's pages; the output pages were written to. */
static void unpin_caller_pages(struct esf_sock *es)
{
	struct page *page;
	unsigned int i;

	for (i = 0; i < es->nin; i++)
		put_page(sg_page(&es->in[i]));
	for (i = 0; i < es->nout; i++) {
		page = sg_page(&es->out[i]);
		unpin_user_pages_dirty_lock(&page, 1, true);
	}
	es->nin = 0;
	es->nout = 0;
}

/*
 * Take len bytes of text from the caller's pages instead of copying them:
 * a reference on each page for as long as the batch runs.
 */
static int pin_input(struct esf_sock *es, struct slot *sl, struct iov_iter *from, u32 len)
{
	struct page *pages[16];
	size_t start;
	ssize_t got;
	int i, err;

	sl->in_pg = es->nin;
	while (len) {
		err = pieces_fit(es, &es->in, &es->in_cap, es->nin + ARRAY_SIZE(pages));
		if (err)
			return err;
		got = iov_iter_get_pages2(from, pages, len, ARRAY_SIZE(pages), &start);
		if (got <= 0)
			return got ?: -EFAULT;
		len -= got;
		for (i = 0; got; i++) {
			u32 n = min_t(size_t, got, PAGE_SIZE - start);

			sg_set_page(&es->in[es->nin++], pages[i], n, start);
			got -= n;
			start = 0;
		}
	}
	sl->in_n = es->nin - sl->in_pg;
	return 0;
}

/* Pin the caller's pages that a record's output body goes to. */
static int pin_output(struct esf_sock *es, struct slot *sl, u64 addr, u32 len)
{
	unsigned long first = addr & PAGE_MASK;
	struct page *pages[ZC_PAGES];
	u32 off = offset_in_page(addr);
	int n = DIV_ROUND_UP(off + len, PAGE_SIZE), got, i, err;

	if (WARN_ON_ONCE(n > ZC_PAGES))
		return -EINVAL;
	err = pieces_fit(es, &es->out, &es->out_cap, es->nout + n);
	if (err)
		return err;
	got = pin_user_pages_fast(first, n, FOLL_WRITE, pages);
	if (got != n) {
		if (got > 0)
			unpin_user_pages(pages, got);
		return got < 0 ? got : -EFAULT;
	}
	sl->out_pg = es->nout;
	for (i = 0; i < n; i++) {
		u32 c = min_t(u32, len, PAGE_SIZE - off);

		sg_set_page(&es->out[es->nout++], pages[i], c, off);
		len -= c;
		off = 0;
	}
	sl->out_n = n;
	return 0;
}

/* Records -------------------------------------------------------------- */

static struct esf_req *req_at(struct esf_sock *es, unsigned int i)
{
	return esf_batch_req(&es->b, i);
}

static int reserve_record(struct esf_sock *es)
{
	unsigned int n = es->nrec + 1;
	void *p;

	if (n > es->slots_cap) {
		p = grow(es, es->slots, es->slots_cap, max(n, 2 * es->slots_cap),
			 sizeof(*es->slots));
		if (!p)
			return -ENOMEM;
		es->slots = p;
		es->slots_cap = max(n, 2 * es->slots_cap);
	}
	return esf_batch_reserve(&es->b, n);
}

/*
 * The batch ends. Never while it runs: every caller either has not
 * submitted it or has seen its last completion, so no completion can set
 * done behind this.
 */
static void reset_batch(struct esf_sock *es)
{
	sock_owned_by_me(es->sk);
	unpin_caller_pages(es);
	es->direct = false;
	es->state = BATCH_IDLE;
	es->nrec = 0;
	es->used = 0;
	es->hdr_got = 0;
	es->body_got = 0;
	es->bytes = 0;
	es->res_rec = 0;
	es->res_pos = 0;
	es->b.done = false;
	WRITE_ONCE(es->batch, es->batch + 1);
}

/* The framing checks the uAPI promises; anything else is per record. */
static int check_header(struct esf_sock *es, const struct esf_rec *h)
{
	if (h->op < ESF_OP_SEAL || h->op > ESF_OP_VERIFY || h->flags || h->reserved ||
	    h->data_class > 3 || h->session_type > ESF_STYPE_SM)
		return -EINVAL;
	/* What SEAL or SIGN can produce, OPEN or VERIFY must take back. */
	if (h->aad_len > ESF_MAX_AAD ||
	    h->data_len > (h->op == ESF_OP_SEAL || h->op == ESF_OP_SIGN ?
			   ESF_MAX_DATA : ESF_MAX_RECORD))
		return -EMSGSIZE;
	if (es->nrec >= ESF_MAX_BATCH)
		return -EMSGSIZE;
	return 0;
}

static u32 batch_limit(struct sock *sk)
{
	return min_t(u32, READ_ONCE(sk->sk_sndbuf), ESF_MAX_BATCH_BYTES);
}

/*
 * Whether a record's text may stay in the caller's pages: delivered in
 * place, large enough, all of it in this call's user memory, and an AEAD
 * layout whose text the provider can take from elsewhere than its AAD (no
 * padding to write, no AAD suffix). OPEN needs text after nonce and tag.
 */
static bool zerocopy(const struct esf_sock *es, const struct esf_rec *h,
		     const struct iov_iter *from)
{
	const struct esf_alg *alg = es->s->alg;
	u32 min = READ_ONCE(zerocopy_min);

	if (!es->direct || !min || h->data_len < max_t(u32, min, ESF_ZEROCOPY_FLOOR) ||
	    !user_backed_iter(from) || iov_iter_count(from) < (size_t)h->aad_len + h->data_len)
		return false;
	if (alg->kind != ESF_KIND_AEAD || alg->pad_block || alg->aad_suffix || alg->framing)
		return false;
	if (h->op == ESF_OP_OPEN)
		return h->data_len > es->s->nonce_len + es->s->tag_len;
	return h->op == ESF_OP_SEAL;
}

/* A whole header has arrived: give the record a request and an area. */
static int start_record(struct esf_sock *es, const struct iov_iter *from)
{
	struct esf_rec *h = &es->hdr;
	struct esf_req *req;
	struct slot *sl;
	int err;

	err = check_header(es, h);
	if (err)
		return err;
	err = reserve_record(es);
	if (err)
		return err;
	sl = &es->slots[es->nrec];
	req = req_at(es, es->nrec);
	sl->aad_len = h->aad_len;
	sl->data_len = h->data_len;
	err = esf_req_layout(es->s, h->op, h->aad_len, h->data_len, &sl->l);
	if (err)
		return err;
	sl->gap = sl->l.text_off == sl->l.aad_off + h->aad_len ? sl->l.nonce_in : 0;
	sl->zc = zerocopy(es, h, from);
	sl->in_n = 0;
	sl->out_n = 0;
	sl->dst = NULL;
	/* A zero-copy record keeps only its AAD (and nonce) in the arena. */
	if (sl->zc)
		sl->l.area_len = sl->l.text_off;
	sl->area_off = ALIGN(es->used + HEADROOM, AREA_ALIGN);
	/*
	 * Even an empty area gets a byte, so its scatterlist is valid; with
	 * a gap, after it (slot_sg() leaves the gap out).
	 */
	sl->area_len = max_t(u32, sl->l.area_len + sl->gap, sl->gap + 1);
	err = esf_arena_fit(&es->arena, sl->area_off + sl->area_len);
	if (err)
		return err;
	es->used = sl->area_off + sl->area_len;
	/*
	 * No memset of the request: esf_req_init() and the operation set
	 * every field a result is made of, and the crypto API request is
	 * set up in full before each use. Zeroing it cost as much per 64-byte
	 * record as the copies do.
	 */
	req->op = h->op;
	req->data_class = h->data_class;
	req->session_type = h->session_type;
	es->body_got = 0;
	return 0;
}

/*
 * Copy up to @len payload bytes of the current record: the AAD to its
 * place, then the input (an OPEN's nonce to the request).
 */
static int take_payload(struct esf_sock *es, struct iov_iter *from, u32 len)
{
	struct slot *sl = &es->slots[es->nrec];
	u32 aad = sl->aad_len, pos = es->body_got, n;
	int err;

	/* Zero-copy: the whole body is here (zerocopy()); copy up to the text. */
	if (sl->zc) {
		n = aad + sl->l.nonce_in;
		err = esf_arena_from_iter(&es->arena, sl->area_off + sl->l.aad_off, n, from);
		if (!err)
			err = pin_input(es, sl, from, len - n);
		if (!err)
			es->body_got = pos + len;
		return err;
	}
	/* AAD, nonce and input adjacent in the area (all but rfc4106): one copy. */
	if (sl->l.text_off == sl->l.aad_off + aad) {
		err = esf_arena_from_iter(&es->arena, sl->area_off + sl->l.aad_off + pos, len,
					  from);
		if (!err)
			es->body_got = pos + len;
		return err;
	}
	if (pos < aad) {
		n = min(len, aad - pos);
		err = esf_arena_from_iter(&es->arena, sl->area_off + sl->l.aad_off + pos, n, from);
		if (err)
			return err;
		pos += n;
		len -= n;
	}
	if (len && pos - aad < sl->l.nonce_in) {
		n = min(len, sl->l.nonce_in - (pos - aad));
		if (copy_from_iter(req_at(es, es->nrec)->nonce + pos - aad, n, from) != n)
			return -EFAULT;
		pos += n;
		len -= n;
	}
	if (len) {
		err = esf_arena_from_iter(&es->arena, sl->area_off + sl->l.text_off +
				      (pos - aad - sl->l.nonce_in), len, from);
		if (err)
			return err;
		pos += len;
	}
	es->body_got = pos;
	return 0;
}

/* Copy what there is of the next record's header. */
static int take_header(struct esf_sock *es, struct iov_iter *from)
{
	size_t n = min_t(size_t, sizeof(es->hdr) - es->hdr_got, iov_iter_count(from));

	/*
	 * A whole header, the usual case, is a constant-size copy, which the
	 * compiler proves in bounds: no run-time object check per record.
	 */
	if (n == sizeof(es->hdr)) {
		if (copy_from_iter(&es->hdr, sizeof(es->hdr), from) != sizeof(es->hdr))
			return -EFAULT;
	} else if (copy_from_iter((u8 *)&es->hdr + es->hdr_got, n, from) != n) {
		return -EFAULT;
	}
	es->hdr_got += n;
	return 0;
}

/* Parse what this sendmsg() brings; records may continue in the next one. */
static int parse(struct esf_sock *es, struct msghdr *msg)
{
	struct iov_iter *from = &msg->msg_iter;
	u32 n, body;
	int err;

	while (iov_iter_count(from)) {
		if (es->hdr_got < sizeof(es->hdr)) {
			err = take_header(es, from);
			if (err)
				return err;
			if (es->hdr_got < sizeof(es->hdr))
				break;
			err = start_record(es, from);
			if (err)
				return err;
			es->bytes += sizeof(es->hdr) + es->hdr.aad_len + es->hdr.data_len;
			if (es->bytes > batch_limit(es->sk))
				return -EMSGSIZE;
		}
		body = es->hdr.aad_len + es->hdr.data_len;
		n = min_t(size_t, body - es->body_got, iov_iter_count(from));
		err = take_payload(es, from, n);
		if (err)
			return err;
		if (es->body_got == body) {
			struct slot *sl = &es->slots[es->nrec];

			if (sl->gap)
				esf_arena_read(&es->arena, sl->area_off + sl->l.text_off,
					       req_at(es, es->nrec)->nonce, sl->gap);
			es->nrec++;
			es->hdr_got = 0;
		}
	}
	return 0;
}

/* Running a batch ------------------------------------------------------ */

static bool batch_done(struct esf_sock *es)
{
	return esf_batch_done(&es->b);
}

/* The last completion of a batch: wake the reader, let the socket go. */
static void batch_finished(struct esf_batch *b)
{
	struct esf_sock *es = b->owner;
	struct sock *sk = es->sk;

	sk->sk_data_ready(sk);
	/*
	 * sk_data_ready() wakes interruptible sleepers only; delivery in
	 * place waits uninterruptibly. Before sock_put(): es may go with it.
	 */
	if (wq_has_sleeper(&es->done_wq))
		wake_up(&es->done_wq);
	sock_put(sk);
}

/*
 * Bytes of the area before the gap, and after it. A zero-copy record's
 * area is all head: its text is in the caller's pages.
 */
static u32 head_part(const struct slot *sl)
{
	return sl->gap || sl->zc ? sl->l.text_off : sl->area_len;
}

static u32 tail_part(const struct slot *sl)
{
	return sl->gap && !sl->zc ? sl->area_len - sl->l.text_off - sl->gap : 0;
}

/*
 * Scatterlist entries of a record's area as the provider sees it, the gap
 * left out. An empty part takes none; start_record() sees to it that one
 * part at least is not empty.
 */
static unsigned int head_sg_count(const struct slot *sl)
{
	u32 head = head_part(sl);

	return head ? esf_sg_count(sl->area_off, head) : 0;
}

static unsigned int slot_sg_count(const struct slot *sl)
{
	u32 tail = tail_part(sl);

	if (sl->zc)
		return 2 * head_sg_count(sl) + sl->in_n + sl->out_n;
	return head_sg_count(sl) +
	       (tail ? esf_sg_count(sl->area_off + head_part(sl) + sl->gap, tail) : 0);
}

/* The AAD part from the arena, then the caller's pieces. */
static void zc_sg(struct esf_sock *es, struct slot *sl, struct scatterlist *sg,
		  struct scatterlist *pieces, unsigned int n)
{
	unsigned int h = head_sg_count(sl);

	sg_init_table(sg, h + n);
	if (h)
		esf_pages_sg(es->arena.pages, sl->area_off, head_part(sl), sg);
	while (n--) {
		sg_set_page(&sg[h++], sg_page(pieces), pieces->length, pieces->offset);
		pieces++;
	}
}

static void slot_sg(struct esf_sock *es, struct slot *sl)
{
	u32 head = head_part(sl), tail = tail_part(sl);
	unsigned int n = 0;

	if (sl->zc) {
		sl->dst = sl->sg + head_sg_count(sl) + sl->in_n;
		zc_sg(es, sl, sl->sg, es->in + sl->in_pg, sl->in_n);
		zc_sg(es, sl, sl->dst, es->out + sl->out_pg, sl->out_n);
		return;
	}
	sg_init_table(sl->sg, slot_sg_count(sl));
	if (head)
		n = esf_pages_sg(es->arena.pages, sl->area_off, head, sl->sg);
	if (tail)
		esf_pages_sg(es->arena.pages, sl->area_off + head + sl->gap, tail, sl->sg + n);
}

static int prepare_sg(struct esf_sock *es)
{
	unsigned int i, total = 0;
	struct scatterlist *sg;

	for (i = 0; i < es->nrec; i++)
		total += slot_sg_count(&es->slots[i]);
	if (total > es->sg_cap) {
		sg = grow(es, NULL, 0, total, sizeof(*sg));
		if (!sg)
			return -ENOMEM;
		atomic_sub((int)(es->sg_cap * sizeof(*sg)), &es->sk->sk_omem_alloc);
		kvfree(es->sg);
		es->sg = sg;
		es->sg_cap = total;
	}
	for (i = 0, total = 0; i < es->nrec; i++) {
		struct slot *sl = &es->slots[i];

		sl->sg = es->sg + total;
		slot_sg(es, sl);
		total += slot_sg_count(sl);
	}
	return 0;
}

/*
 * Submit every record, in order. The batch holds the socket (and so this
 * context) until its last completion.
 */
static void run_batch(struct esf_sock *es, long timeo)
{
	unsigned int i;

	es->state = BATCH_RUNNING;
	for (i = 0; i < es->nrec; i++) {
		struct slot *sl = &es->slots[i];
		struct esf_req *req = req_at(es, i);

		/* Keeps the nonce and binding start_record() put there. */
		esf_req_init(req, es->s, req->op, sl->aad_len, sl->data_len, sl->sg);
		req->dst = sl->dst;
		req->zerocopy = sl->zc;
	}
	sock_hold(es->sk);
	esf_batch_run(&es->b, es->nrec, timeo);
}

/* Results -------------------------------------------------------------- */

static struct esf_res result_of(const struct esf_req *req)
{
	return (struct esf_res){
		.status = req->status,
		.out_len = req->status ? 0 : req->head_len + req->body_len,
		.seq = req->status ? 0 : req->seq,
	};
}

/*
 * Put the result header and the head (nonce or digest) right before the
 * output in the arena: the record's result is then one run of bytes. What
 * they overwrite, AAD or headroom, the provider is done with. Returns the
 * run's offset; its length is sizeof(res) + res->out_len.
 */
static u32 stage_result(struct esf_sock *es, struct slot *sl, struct esf_req *req,
			const struct esf_res *res)
{
	u32 off = sl->area_off - (u32)sizeof(*res);

	if (!res->status) {
		/* The output is text (OPEN, SEAL) or nothing: past the gap. */
		off = sl->area_off + req->body_off + sl->gap - req->head_len -
		      (u32)sizeof(*res);
		esf_arena_write(&es->arena, off + sizeof(*res), req->head, req->head_len);
	}
	esf_arena_write(&es->arena, off, res, sizeof(*res));
	return off;
}

/* Delivery in place ------------------------------------------------------ */

/* An ESF_CMSG_OUTPUT control message, if the call has one. */
static int read_cmsg(struct esf_sock *es, struct msghdr *msg)
{
	struct esf_output_table t;
	struct cmsghdr *c;

	if (!msg->msg_controllen)
		return 0;
	for_each_cmsghdr(c, msg) {
		if (!CMSG_OK(msg, c) || c->cmsg_level != SOL_ALG ||
		    c->cmsg_type != ESF_CMSG_OUTPUT || c->cmsg_len != CMSG_LEN(sizeof(t)) ||
		    es->direct)
			return -EINVAL;
		memcpy(&t, CMSG_DATA(c), sizeof(t));
		if (t.flags || !t.count || t.count > ESF_MAX_BATCH)
			return -EINVAL;
		es->direct = true;
		es->outs_user = t.outputs;
		es->outs_count = t.count;
	}
	/* Control data too short for a header is not nothing. */
	return es->direct ? 0 : -EINVAL;
}

/*
 * Read the caller's table, check that every slot fits where it goes, and
 * pin the pages zero-copy records write to. Still nothing has run: a
 * failure here is a framing error.
 */
static int prepare_outputs(struct esf_sock *es)
{
	unsigned int i;
	void *p;
	int err;

	if (es->outs_count != es->nrec)
		return -EINVAL;
	if (es->nrec > es->outs_cap) {
		p = grow(es, es->outs, es->outs_cap, es->nrec, sizeof(*es->outs));
		if (!p)
			return -ENOMEM;
		es->outs = p;
		es->outs_cap = es->nrec;
	}
	if (copy_from_user(es->outs, u64_to_user_ptr(es->outs_user),
			   es->nrec * sizeof(*es->outs)))
		return -EFAULT;
	for (i = 0; i < es->nrec; i++) {
		struct esf_output *o = &es->outs[i];
		struct slot *sl = &es->slots[i];
		u32 head;

		if (o->reserved)
			return -EINVAL;
		if (o->size < sl->l.slot_len)
			return -ENOBUFS;
		if (!access_ok(u64_to_user_ptr(o->addr), sl->l.slot_len))
			return -EFAULT;
		if (!sl->zc)
			continue;
		/*
		 * SEAL's nonce goes by copy after the run, the body in place:
		 * make sure now that the nonce can be written too.
		 */
		head = req_at(es, i)->op == ESF_OP_SEAL ? es->s->nonce_len : 0;
		if (clear_user(u64_to_user_ptr(o->addr), head))
			return -EFAULT;
		err = pin_output(es, sl, o->addr + head, sl->l.slot_len - head);
		if (err)
			return err;
	}
	/*
	 * The results go back into the table after the run: find out now
	 * whether they can, and clear what the caller left there.
	 */
	for (i = 0; i < es->nrec; i++)
		memset(&es->outs[i].res, 0, sizeof(es->outs[i].res));
	if (copy_to_user(u64_to_user_ptr(es->outs_user), es->outs,
			 es->nrec * sizeof(*es->outs)))
		return -EFAULT;
	return 0;
}

/* One record's slot, as recvmsg() would return it, to where the caller said. */
static int deliver_one(struct esf_sock *es, unsigned int i)
{
	struct esf_output *o = &es->outs[i];
	struct esf_req *req = req_at(es, i);
	struct slot *sl = &es->slots[i];
	void __user *to = u64_to_user_ptr(o->addr);
	u32 valid;

	o->res = result_of(req);
	valid = o->res.out_len;
	/*
	 * The body is in place already; SEAL's nonce is not. A failed
	 * record's body was cleared by deliver(), its head (SEAL's nonce) by
	 * prepare_outputs().
	 */
	if (sl->zc)
		return valid && copy_to_user(to, req->head, req->head_len) ? -EFAULT : 0;
	if (valid && esf_arena_to_user(&es->arena, stage_result(es, sl, req, &o->res) +
				   sizeof(struct esf_res), valid, to))
		return -EFAULT;
	if (sl->l.slot_len > valid && clear_user(to + valid, sl->l.slot_len - valid))
		return -EFAULT;
	return 0;
}

/*
 * A failed zero-copy record's output pages may hold what the provider
 * wrote (an OPEN's plaintext, written before the tag was checked): clear
 * them through the pins, which the caller cannot take away or make
 * read-only, before anything else can fail.
 */
static void clear_failed(struct esf_sock *es)
{
	unsigned int i, k;

	for (i = 0; i < es->nrec; i++) {
		struct slot *sl = &es->slots[i];

		if (!sl->zc || !req_at(es, i)->status)
			continue;
		for (k = sl->out_pg; k < sl->out_pg + sl->out_n; k++)
			memzero_page(sg_page(&es->out[k]), es->out[k].offset, es->out[k].length);
	}
}

/* Results of a finished batch, and then the table, back to the caller. */
static int deliver(struct esf_sock *es)
{
	unsigned int i;
	int err;

	clear_failed(es);
	for (i = 0; i < es->nrec; i++) {
		err = deliver_one(es, i);
		if (err)
			return err;
	}
	if (copy_to_user(u64_to_user_ptr(es->outs_user), es->outs,
			 es->nrec * sizeof(*es->outs)))
		return -EFAULT;
	return 0;
}

/* proto_ops -------------------------------------------------------------- */

static struct esf_sock *esf_sk(struct sock *sk)
{
	return alg_sk(sk)->private;
}

static int esf_sendmsg(struct socket *sock, struct msghdr *msg, size_t size)
{
	struct sock *sk = sock->sk;
	struct esf_sock *es = esf_sk(sk);
	int err;

	if (esf_session_dead(es->s))
		return -ENOKEY;
	lock_sock(sk);
	if (es->state == BATCH_RUNNING || es->state == BATCH_DONE) {
		err = -EBUSY;
		goto out;
	}
	es->state = BATCH_OPEN;
	err = read_cmsg(es, msg);
	/* Delivery in place is decided by the call that closes the batch. */
	if (!err && es->direct && (msg->msg_flags & MSG_MORE))
		err = -EINVAL;
	if (!err)
		err = parse(es, msg);
	if (!err && !(msg->msg_flags & MSG_MORE)) {
		/* A record cut short is a framing error too. */
		if (es->hdr_got || (es->direct && !es->nrec))
			err = -EINVAL;
		else if (!es->nrec)
			es->state = BATCH_IDLE;
		else if (es->direct)
			err = prepare_outputs(es);
		if (!err && es->nrec)
			err = prepare_sg(es);
		if (!err && es->nrec)
			run_batch(es, sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT));
		/*
		 * The provider writes to the caller's pages until the last
		 * completion: wait for it whatever happens, as the crypto
		 * API's own synchronous waits do. The socket lock stays held
		 * through the wait (as through the wait for room in
		 * run_batch()), so no other caller sees this batch at all.
		 */
		if (!err && es->direct) {
			wait_event(es->done_wq, batch_done(es));
			err = deliver(es);
			reset_batch(es);
		}
	}
	if (err)
		reset_batch(es);
out:
	release_sock(sk);
	return err ?: size;
}

/* Whether a reader of batch @batch may stop waiting: results, or none left. */
static bool ready_or_gone(struct esf_sock *es, u64 batch)
{
	return READ_ONCE(es->batch) != batch || batch_done(es);
}

/*
 * Wait for the batch submitted now, with the socket lock released. Other
 * readers may take all of its results meanwhile, and a writer may open
 * the next batch: then there is nothing left for this call (-ENODATA). A
 * reader never takes the next batch for the one it waited for, whatever
 * state that batch is in.
 */
static int wait_for_results(struct sock *sk, struct esf_sock *es, int flags)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long timeout = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	u64 batch = es->batch;
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!ready_or_gone(es, batch)) {
		if (!timeout) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeout);
			break;
		}
		sk_wait_event(sk, &timeout, ready_or_gone(es, batch), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (!err && es->batch != batch)
		err = -ENODATA;
	return err;
}

/* The result of one record as bytes: header, then its fixed-size slot. */
static int emit(struct esf_sock *es, unsigned int i, struct iov_iter *to, size_t *left)
{
	struct slot *sl = &es->slots[i];
	struct esf_req *req = req_at(es, i);
	struct esf_res res = result_of(req);
	u32 total = sizeof(res) + sl->l.slot_len, valid = sizeof(res) + res.out_len;
	u32 pos = es->res_pos, end = min_t(size_t, total, pos + *left), n;
	u32 run = stage_result(es, sl, req, &res);
	int err;

	/* What the record produced, then zeros to the end of its slot. */
	if (pos < valid) {
		n = min(end, valid) - pos;
		err = esf_arena_to_iter(&es->arena, run + pos, n, to);
		if (err)
			return err;
		pos += n;
		*left -= n;
	}
	if (pos < end) {
		n = end - pos;
		if (iov_iter_zero(n, to) != n)
			return -EFAULT;
		pos += n;
		*left -= n;
	}
	es->res_pos = pos;
	if (pos == total) {
		es->res_rec++;
		es->res_pos = 0;
	}
	return 0;
}

static int esf_recvmsg(struct socket *sock, struct msghdr *msg, size_t size, int flags)
{
	struct sock *sk = sock->sk;
	struct esf_sock *es = esf_sk(sk);
	size_t left = size;
	int err = 0;

	if (flags & ~(MSG_DONTWAIT | MSG_WAITALL))
		return -EINVAL;
	lock_sock(sk);
	if (es->state == BATCH_IDLE || es->state == BATCH_OPEN) {
		err = -ENODATA;
		goto out;
	}
	err = wait_for_results(sk, es, flags);
	if (err)
		goto out;
	es->state = BATCH_DONE;
	while (left && es->res_rec < es->nrec && !err)
		err = emit(es, es->res_rec, &msg->msg_iter, &left);
	if (es->res_rec == es->nrec)
		reset_batch(es);
out:
	release_sock(sk);
	if (err && left == size)
		return err;
	return size - left;
}

static __poll_t esf_poll(struct file *file, struct socket *sock, poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct esf_sock *es = esf_sk(sk);
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);
	switch (READ_ONCE(es->state)) {
	case BATCH_IDLE:
	case BATCH_OPEN:
		mask |= EPOLLOUT | EPOLLWRNORM;
		break;
	default:
		if (batch_done(es))
			mask |= EPOLLIN | EPOLLRDNORM;
	}
	return mask;
}

static int esf_getsockopt(struct socket *sock, int level, int optname,
			  char __user *optval, int __user *optlen)
{
	struct esf_session_info info;
	int len;

	if (level != SOL_ALG || optname != ESF_SO_SESSION_INFO)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	esf_session_fill_info(esf_sk(sock->sk)->s, &info);
	len = min_t(int, len, sizeof(info));
	if (copy_to_user(optval, &info, len) || put_user(len, optlen))
		return -EFAULT;
	return 0;
}

/*
 * af_alg_release() drops the socket without orphaning it. A batch still
 * running holds the sock, and its last completion wakes sk->sk_wq, which
 * lives in the struct socket being freed: detach it first.
 */
static int esf_sock_release(struct socket *sock)
{
	if (sock->sk)
		sock_orphan(sock->sk);
	return af_alg_release(sock);
}

/* af_alg_register_type() sets .owner to af_alg (the parent socket holds esf,
 * through the type), so these cannot be const.
 */
static struct proto_ops esf_ops = {	/* not const: see above */
	.family = PF_ALG,
	.connect = sock_no_connect,
	.socketpair = sock_no_socketpair,
	.getname = sock_no_getname,
	.ioctl = sock_no_ioctl,
	.listen = sock_no_listen,
	.shutdown = sock_no_shutdown,
	.mmap = sock_no_mmap,
	.bind = sock_no_bind,
	.accept = sock_no_accept,
	.release = esf_sock_release,
	.sendmsg = esf_sendmsg,
	.recvmsg = esf_recvmsg,
	.poll = esf_poll,
	.getsockopt = esf_getsockopt,
};

/* The AF_ALG type ------------------------------------------------------ */

/* bind(): the session of the caller's namespace, if the caller may use it. */
static void *esf_bind(ESF_ALG_BIND_ARGS)
{
	struct esf_session *s;
	u32 id;

	if (kstrtou32(name, 10, &id) || !id)
		return ERR_PTR(-EINVAL);
	s = esf_session_get(current->nsproxy->net_ns, id);
	if (!s)
		return ERR_PTR(-ENOENT);
	if (!esf_session_may_use(s)) {
		esf_session_put(s);
		return ERR_PTR(-EACCES);
	}
	return s;
}

static void esf_release(void *private)
{
	esf_session_put(private);
}

static void free_sock(struct esf_sock *es)
{
	/* The arena's pages are cleared: plaintext must not outlive the socket. */
	esf_arena_free(&es->arena);
	kvfree(es->slots);
	esf_batch_free(&es->b);
	kvfree(es->sg);
	kvfree(es->outs);
	kvfree(es->in);
	kvfree(es->out);
	esf_session_put(es->s);
	kfree(es);
}

static void esf_sock_destruct(struct sock *sk)
{
	struct esf_sock *es = esf_sk(sk);

	atomic_set(&sk->sk_omem_alloc, 0);
	free_sock(es);
	af_alg_release_parent(sk);
}

static int esf_accept(void *private, struct sock *sk)
{
	struct esf_session *s = private;
	struct esf_sock *es = kzalloc(sizeof(*es), GFP_KERNEL);

	if (!es)
		return -ENOMEM;
	refcount_inc(&s->ref);
	es->s = s;
	es->sk = sk;
	es->arena.charged = &sk->sk_omem_alloc;
	esf_batch_init(&es->b, s, ESF_STAT_SOCKET, &sk->sk_omem_alloc, batch_finished, es);
	init_waitqueue_head(&es->done_wq);
	alg_sk(sk)->private = es;
	sk->sk_destruct = esf_sock_destruct;
	return 0;
}

static const struct af_alg_type esf_type = {
	.bind = esf_bind,
	.release = esf_release,
	.accept = esf_accept,
	.ops = &esf_ops,
	.name = ESF_ALG_TYPE,
	.owner = THIS_MODULE,
};

int __init esf_socket_init(void)
{
	return af_alg_register_type(&esf_type);
}

void esf_socket_exit(void)
{
	af_alg_unregister_type(&esf_type);
}

MODULE_ALIAS("algif-" ESF_ALG_TYPE);
