// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path's front end: an AF_ALG socket type, "esf".
 *
 * bind() names a session, accept() gives an operation socket. A batch of
 * records arrives through one or more sendmsg() calls (MSG_MORE on all but
 * the last); each record is copied once, into a page arena the socket keeps
 * between batches, laid out as ops.c wants it. When the batch closes, its
 * records are submitted in order (so SEAL's sequence numbers follow record
 * order) and run in place; recvmsg() streams the results back, each in a
 * slot whose size depends only on the record, so user space can scatter
 * them straight into its buffers.
 *
 * One batch is in flight per socket: the records may complete out of order
 * on an asynchronous provider, but results go back in record order. A
 * framing error discards the whole batch before anything of it runs.
 */

#include <crypto/if_alg.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

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
 * Records outstanding on off-CPU providers, across every socket. A device
 * queue that fills up is the driver's business (the crypto API backlog
 * exists for it), but not every driver retries a full queue correctly: the
 * virtio-crypto driver in 6.1 and 6.12 overwrites a CBC decryption's IV
 * before it finds its virtqueue full, and the crypto engine's retry then
 * decrypts the first block with the wrong IV, after authenc has already
 * verified the tag. Keeping esf's own load below the device queue depth
 * keeps such drivers on their tested path; the backlog is still used.
 */
static unsigned int max_inflight = 128;
module_param(max_inflight, uint, 0644);
MODULE_PARM_DESC(max_inflight,
		 "Most records outstanding on off-CPU providers at once, all sockets together; 0: no limit (default 128)");

static atomic_t inflight = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(inflight_wq);

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
	struct scatterlist *sg;
};

struct esf_sock {
	struct esf_session *s;
	struct sock *sk;
	enum batch_state state;

	/* Records of the current batch. */
	struct slot *slots;
	unsigned int nrec, slots_cap;
	/*
	 * One kmalloc'ed request per record, kept between batches. Not one
	 * array: drivers DMA into request contexts (virtio-crypto maps its
	 * status byte there), which vmalloc memory, where a large kvmalloc
	 * array would land, cannot take.
	 */
	struct esf_req **reqs;
	unsigned int nreqs, reqs_cap, req_size;
	struct scatterlist *sg;
	unsigned int sg_cap;

	/* The arena: pages kept between batches, filled from offset 0. */
	struct page **pages;
	unsigned int npages, pages_cap;
	u32 used;

	/* Parsing a record that may span sendmsg() calls. */
	struct esf_rec hdr;
	u32 hdr_got;			/* bytes of hdr received */
	u32 body_got;			/* bytes of AAD and data received */
	u32 bytes;			/* framing bytes in this batch */

	/* Completions and results. */
	atomic_t pending;
	bool done;
	unsigned int res_rec;		/* result being read */
	u32 res_pos;			/* bytes of it already read */
};

/* Memory --------------------------------------------------------------- */

/* What the socket holds is charged to it, as AF_ALG charges its buffers. */
static void charge(struct esf_sock *es, long bytes)
{
	atomic_add(bytes, &es->sk->sk_omem_alloc);
}

static void *grow(struct esf_sock *es, void *old, unsigned int old_n,
		  unsigned int new_n, size_t size)
{
	void *p = kvcalloc(new_n, size, GFP_KERNEL_ACCOUNT);

	if (!p)
		return NULL;
	if (old)
		memcpy(p, old, old_n * size);
	kvfree(old);
	charge(es, (long)(new_n - old_n) * size);
	return p;
}

static int arena_fit(struct esf_sock *es, u32 end)
{
	unsigned int need = DIV_ROUND_UP(end, PAGE_SIZE);
	struct page **p;

	if (need > es->pages_cap) {
		p = grow(es, es->pages, es->pages_cap, max(need, 2 * es->pages_cap),
			 sizeof(*p));
		if (!p)
			return -ENOMEM;
		es->pages_cap = max(need, 2 * es->pages_cap);
		es->pages = p;
	}
	while (es->npages < need) {
		/* Lowmem: page_address() must work, and drivers may DMA it. */
		es->pages[es->npages] = alloc_page(GFP_KERNEL_ACCOUNT);
		if (!es->pages[es->npages])
			return -ENOMEM;
		es->npages++;
		charge(es, PAGE_SIZE);
	}
	return 0;
}

static u8 *arena_ptr(struct esf_sock *es, u32 off)
{
	return page_address(es->pages[off / PAGE_SIZE]) + off % PAGE_SIZE;
}

static u32 chunk(u32 off, u32 len)
{
	return min_t(u32, len, PAGE_SIZE - off % PAGE_SIZE);
}

static int arena_from_iter(struct esf_sock *es, u32 off, u32 len, struct iov_iter *from)
{
	while (len) {
		u32 n = chunk(off, len);

		if (copy_from_iter(arena_ptr(es, off), n, from) != n)
			return -EFAULT;
		off += n;
		len -= n;
	}
	return 0;
}

static void arena_write(struct esf_sock *es, u32 off, const void *buf, u32 len)
{
	while (len) {
		u32 n = chunk(off, len);

		memcpy(arena_ptr(es, off), buf, n);
		buf += n;
		off += n;
		len -= n;
	}
}

static int arena_to_iter(struct esf_sock *es, u32 off, u32 len, struct iov_iter *to)
{
	while (len) {
		u32 n = chunk(off, len);

		if (copy_to_iter(arena_ptr(es, off), n, to) != n)
			return -EFAULT;
		off += n;
		len -= n;
	}
	return 0;
}

static unsigned int sg_count(u32 off, u32 len)
{
	return DIV_ROUND_UP(off % PAGE_SIZE + len, PAGE_SIZE);
}

static void arena_sg(struct esf_sock *es, u32 off, u32 len, struct scatterlist *sg)
{
	unsigned int i = 0, n = sg_count(off, len);

	sg_init_table(sg, n);
	while (i < n) {
		u32 c = chunk(off, len);

		sg_set_page(&sg[i++], es->pages[off / PAGE_SIZE], c, off % PAGE_SIZE);
		off += c;
		len -= c;
	}
}

/* Records -------------------------------------------------------------- */

static struct esf_req *req_at(struct esf_sock *es, unsigned int i)
{
	return es->reqs[i];
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
	if (n > es->reqs_cap) {
		p = grow(es, es->reqs, es->reqs_cap, max(n, 2 * es->reqs_cap),
			 sizeof(*es->reqs));
		if (!p)
			return -ENOMEM;
		es->reqs = p;
		es->reqs_cap = max(n, 2 * es->reqs_cap);
	}
	if (n > es->nreqs) {
		es->reqs[es->nreqs] = kmalloc(es->req_size, GFP_KERNEL_ACCOUNT);
		if (!es->reqs[es->nreqs])
			return -ENOMEM;
		es->nreqs++;
		charge(es, es->req_size);
	}
	return 0;
}

static void reset_batch(struct esf_sock *es)
{
	es->state = BATCH_IDLE;
	es->nrec = 0;
	es->used = 0;
	es->hdr_got = 0;
	es->body_got = 0;
	es->bytes = 0;
	es->res_rec = 0;
	es->res_pos = 0;
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

/* A whole header has arrived: give the record a request and an area. */
static int start_record(struct esf_sock *es)
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
	sl->area_off = ALIGN(es->used + HEADROOM, AREA_ALIGN);
	/* Even an empty area gets a byte, so its scatterlist is valid. */
	sl->area_len = max_t(u32, sl->l.area_len, 1);
	err = arena_fit(es, sl->area_off + sl->area_len);
	if (err)
		return err;
	es->used = sl->area_off + sl->area_len;
	/* Unwritten parts (tag space, padding) must not leak old data. */
	memset(req, 0, sizeof(*req));
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

	/* AAD and input adjacent in the area (GCM, CCM, MIC): one copy. */
	if (!sl->l.nonce_in && sl->l.text_off == sl->l.aad_off + aad) {
		err = arena_from_iter(es, sl->area_off + sl->l.aad_off + pos, len, from);
		if (!err)
			es->body_got = pos + len;
		return err;
	}
	if (pos < aad) {
		n = min(len, aad - pos);
		err = arena_from_iter(es, sl->area_off + sl->l.aad_off + pos, n, from);
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
		err = arena_from_iter(es, sl->area_off + sl->l.text_off +
				      (pos - aad - sl->l.nonce_in), len, from);
		if (err)
			return err;
		pos += len;
	}
	es->body_got = pos;
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
			n = min_t(size_t, sizeof(es->hdr) - es->hdr_got, iov_iter_count(from));
			if (copy_from_iter((u8 *)&es->hdr + es->hdr_got, n, from) != n)
				return -EFAULT;
			es->hdr_got += n;
			if (es->hdr_got < sizeof(es->hdr))
				break;
			err = start_record(es);
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
			es->nrec++;
			es->hdr_got = 0;
		}
	}
	return 0;
}

/* Running a batch ------------------------------------------------------ */

/* The last completion of a batch: wake the reader, let the socket go. */
static void batch_finished(struct esf_sock *es)
{
	struct sock *sk = es->sk;

	/* Publishes every record's result to batch_done(). */
	smp_store_release(&es->done, true);
	sk->sk_data_ready(sk);
	sock_put(sk);
}

static bool inflight_get(void)
{
	unsigned int cap = READ_ONCE(max_inflight);
	int n = atomic_read(&inflight);

	do {
		if (cap && n >= cap)
			return false;
	} while (!atomic_try_cmpxchg(&inflight, &n, n + 1));
	return true;
}

static void inflight_put(void)
{
	atomic_dec(&inflight);
	/* Pairs with the barrier in wait_event()'s prepare_to_wait(). */
	if (wq_has_sleeper(&inflight_wq))
		wake_up(&inflight_wq);
}

/* Whether the session's records count against max_inflight. */
static bool throttled(const struct esf_sock *es)
{
	return es->s->provider & ESF_PROVIDER_HW;
}

static void record_done(struct esf_req *req)
{
	struct esf_sock *es = req->owner;

	if (throttled(es))
		inflight_put();

	if (atomic_dec_and_test(&es->pending))
		batch_finished(es);
}

static int prepare_sg(struct esf_sock *es)
{
	unsigned int i, total = 0;
	struct scatterlist *sg;

	for (i = 0; i < es->nrec; i++)
		total += sg_count(es->slots[i].area_off, es->slots[i].area_len);
	if (total > es->sg_cap) {
		sg = grow(es, NULL, 0, total, sizeof(*sg));
		if (!sg)
			return -ENOMEM;
		charge(es, -(long)es->sg_cap * sizeof(*sg));
		kvfree(es->sg);
		es->sg = sg;
		es->sg_cap = total;
	}
	for (i = 0, total = 0; i < es->nrec; i++) {
		struct slot *sl = &es->slots[i];

		sl->sg = es->sg + total;
		arena_sg(es, sl->area_off, sl->area_len, sl->sg);
		total += sg_count(sl->area_off, sl->area_len);
	}
	return 0;
}

/*
 * Submit every record, in order. The batch holds the socket (and so this
 * context) until its last completion; pending starts at one for this
 * function, so a completion racing the loop cannot finish the batch early.
 */
static void run_batch(struct esf_sock *es, long timeo)
{
	bool throttle = throttled(es);
	unsigned int i;
	long left;

	es->done = false;
	es->state = BATCH_RUNNING;
	atomic_set(&es->pending, 1);
	sock_hold(es->sk);
	for (i = 0; i < es->nrec; i++) {
		struct slot *sl = &es->slots[i];
		struct esf_req *req = req_at(es, i);

		/* Keeps the nonce and binding start_record() put there. */
		esf_req_init(req, es->s, req->op, sl->aad_len, sl->data_len, sl->sg);
		req->may_sleep = true;
		req->owner = es;
		req->done = record_done;
		/*
		 * Completions free slots whatever the caller does. Waiting for
		 * one follows the socket's send timeout (none under
		 * MSG_DONTWAIT or O_NONBLOCK) and ends on a signal: then the
		 * rest of the batch is not submitted and fails with -EAGAIN or
		 * -EINTR (a SEAL not run takes no sequence number).
		 */
		if (throttle) {
			left = wait_event_interruptible_timeout(inflight_wq, inflight_get(), timeo);
			if (left <= 0) {
				for (; i < es->nrec; i++)
					esf_req_refuse(req_at(es, i), left ? -EINTR : -EAGAIN);
				break;
			}
		}
		atomic_inc(&es->pending);
		if (esf_req_submit(req) != -EINPROGRESS) {
			atomic_dec(&es->pending);
			if (throttle)
				inflight_put();
		}
	}
	if (atomic_dec_and_test(&es->pending))
		batch_finished(es);
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

	if (msg->msg_controllen)
		return -EINVAL;
	if (esf_session_dead(es->s))
		return -ENOKEY;
	lock_sock(sk);
	if (es->state == BATCH_RUNNING || es->state == BATCH_DONE) {
		err = -EBUSY;
		goto out;
	}
	es->state = BATCH_OPEN;
	err = parse(es, msg);
	if (!err && !(msg->msg_flags & MSG_MORE)) {
		/* A record cut short is a framing error too. */
		if (es->hdr_got)
			err = -EINVAL;
		else if (!es->nrec)
			es->state = BATCH_IDLE;
		else
			err = prepare_sg(es);
		if (!err && es->nrec)
			run_batch(es, sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT));
	}
	if (err)
		reset_batch(es);
out:
	release_sock(sk);
	return err ?: size;
}

static bool batch_done(struct esf_sock *es)
{
	/* Pairs with batch_finished(): the results are visible once done is. */
	return smp_load_acquire(&es->done);
}

static int wait_for_results(struct sock *sk, struct esf_sock *es, int flags)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long timeout = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!batch_done(es)) {
		if (!timeout) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeout);
			break;
		}
		sk_wait_event(sk, &timeout, batch_done(es), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
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
		off = sl->area_off + req->body_off - req->head_len - (u32)sizeof(*res);
		arena_write(es, off + sizeof(*res), req->head, req->head_len);
	}
	arena_write(es, off, res, sizeof(*res));
	return off;
}

/* The result of one record as bytes: header, then its fixed-size slot. */
static int emit(struct esf_sock *es, unsigned int i, struct iov_iter *to, size_t *left)
{
	struct slot *sl = &es->slots[i];
	struct esf_req *req = req_at(es, i);
	struct esf_res res = {
		.status = req->status,
		.out_len = req->status ? 0 : req->head_len + req->body_len,
		.seq = req->status ? 0 : req->seq,
	};
	u32 total = sizeof(res) + sl->l.slot_len, valid = sizeof(res) + res.out_len;
	u32 pos = es->res_pos, end = min_t(size_t, total, pos + *left), n;
	u32 run = stage_result(es, sl, req, &res);
	int err;

	/* What the record produced, then zeros to the end of its slot. */
	if (pos < valid) {
		n = min(end, valid) - pos;
		err = arena_to_iter(es, run + pos, n, to);
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

static void fill_info(const struct esf_session *s, struct esf_session_info *info)
{
	memset(info, 0, sizeof(*info));
	info->session_id = s->id;
	info->alg = s->alg->id;
	info->direction = s->direction;
	info->session_type = s->session_type;
	info->data_class = s->data_class;
	info->tag_len = s->tag_len;
	info->nonce_len = s->alg->nonce_len;
	info->key_id_len = s->key_id_len;
	info->key_len = s->key_len;
	info->provider = s->provider;
	info->max_aad = s->alg->id == ESF_ALG_RFC4106_GCM_AES ? 12 :
			s->alg->kind == ESF_KIND_MIC ? 0 : ESF_MAX_AAD;
	info->max_data = ESF_MAX_DATA;
	memcpy(info->key_id, s->key_id, s->key_id_len);
	strscpy(info->driver, esf_session_driver(s), sizeof(info->driver));
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
	fill_info(esf_sk(sock->sk)->s, &info);
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
static void *esf_bind(const char *name, u32 type, u32 mask)
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
	unsigned int i;

	for (i = 0; i < es->npages; i++)
		__free_page(es->pages[i]);
	kvfree(es->pages);
	kvfree(es->slots);
	/* Requests hold nonces and MACs; the arena plaintext went with the pages. */
	for (i = 0; i < es->nreqs; i++)
		kfree_sensitive(es->reqs[i]);
	kvfree(es->reqs);
	kvfree(es->sg);
	esf_session_put(es->s);
	kfree(es);
}

static void esf_sock_destruct(struct sock *sk)
{
	struct esf_sock *es = esf_sk(sk);
	unsigned int i;

	/* Plaintext must not outlive the socket in free pages. */
	for (i = 0; i < es->npages; i++)
		clear_page(page_address(es->pages[i]));
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
	es->req_size = ALIGN(esf_req_size(s), ARCH_KMALLOC_MINALIGN);
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
