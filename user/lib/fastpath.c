// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libesf fast path: session handles on the kernel's "esf" AF_ALG type.
 *
 * A batch goes out as one sendmsg() (more only when it needs more than
 * IOV_MAX iovecs) whose ESF_CMSG_OUTPUT table names each record's output
 * buffer: the kernel delivers the results there before sendmsg() returns,
 * and large records are not copied at all. When outputs overlap inputs
 * (which the kernel leaves undefined) or the module predates delivery in
 * place, results come back through recvmsg() instead, scattered straight
 * into the caller's buffers: each result's slot size is fixed by the
 * record, so the receive iovecs can be laid out before the kernel answers.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_alg.h>

#include "esf_backend.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

static int span_cmp(const void *a, const void *b)
{
	const struct esf_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Whether the smallest range holding all inputs meets the one holding all outputs. */
static int hulls_meet(const struct esf_span *sp, size_t k)
{
	uintptr_t lo[2] = { UINTPTR_MAX, UINTPTR_MAX }, hi[2] = { 0, 0 };
	size_t i;

	for (i = 0; i < k; i++) {
		if (sp[i].start < lo[sp[i].out])
			lo[sp[i].out] = sp[i].start;
		if (sp[i].end > hi[sp[i].out])
			hi[sp[i].out] = sp[i].end;
	}
	return lo[0] < hi[1] && lo[1] < hi[0];
}

/*
 * Whether an output buffer overlaps an input buffer of the batch, among
 * the records the kernel may run without copying (the others' inputs are
 * copied before anything runs, and their outputs written after). Sorted
 * by start, two spans overlap when one starts before an earlier one of the
 * other kind ends.
 */
int esf_outputs_overlap(struct esf_span *sp, const struct esf_op *ops, size_t n,
			const size_t *slots)
{
	uintptr_t end[2] = { 0, 0 };
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const struct esf_op *op = &ops[i];

		/* The kernel judges the record's whole data, in and in2. */
		if (op->status != 1 || op->in_len + op->in2_len < ESF_ZEROCOPY_FLOOR)
			continue;
		if (op->in_len)
			sp[k++] = (struct esf_span){ (uintptr_t)op->in,
						 (uintptr_t)op->in + op->in_len, 0 };
		if (op->in2_len)
			sp[k++] = (struct esf_span){ (uintptr_t)op->in2,
						 (uintptr_t)op->in2 + op->in2_len, 0 };
		if (slots[i])
			sp[k++] = (struct esf_span){ (uintptr_t)ops[i].out,
						 (uintptr_t)ops[i].out + slots[i], 1 };
	}
	if (k < 2)
		return 0;
	/* Usually inputs and outputs live apart: then no sort is needed. */
	if (!hulls_meet(sp, k))
		return 0;
	qsort(sp, k, sizeof(*sp), span_cmp);
	for (i = 0; i < k; i++) {
		if (sp[i].start < end[!sp[i].out])
			return 1;
		if (sp[i].end > end[sp[i].out])
			end[sp[i].out] = sp[i].end;
	}
	return 0;
}

/* Output slot of a record (see the table in <linux/esf.h>). */
size_t esf_slot_size(const struct esf_session_info *info, const struct esf_op *op)
{
	return slot_size(info, op);
}

/*
 * Framing for @n records, kept between calls so a batch allocates nothing:
 * up to 4 send and 2 receive iovecs per record, then the record and
 * result headers, the output table, and three spans (in, in2, out) and a
 * slot size per record for the overlap check.
 */
static int reserve_hdrs(struct esf_session *s, size_t n)
{
	size_t need = n * (6 * sizeof(struct iovec) + sizeof(struct esf_rec) +
			   sizeof(struct esf_res) + sizeof(struct esf_output) +
			   3 * sizeof(struct esf_span) + sizeof(size_t));
	void *p;

	if (need <= s->hdrs_size)
		return 0;
	p = realloc(s->hdrs, need);
	if (!p)
		return -ENOMEM;
	s->hdrs = p;
	s->hdrs_size = need;
	return 0;
}

/*
 * Send @n iovecs, IOV_MAX at a time, MSG_MORE on all but the last piece,
 * which carries @table when there is one.
 */
static int send_iov(int fd, struct iovec *iov, size_t n, const struct esf_output_table *table)
{
	union {
		char buf[CMSG_SPACE(sizeof(*table))];
		struct cmsghdr align;
	} ctl;

	while (n) {
		size_t chunk = n > IOV_MAX ? IOV_MAX : n;
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = chunk };
		ssize_t r;

		if (table && chunk == n) {
			struct cmsghdr *c;

			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_ALG;
			c->cmsg_type = ESF_CMSG_OUTPUT;
			c->cmsg_len = CMSG_LEN(sizeof(*table));
			memcpy(CMSG_DATA(c), table, sizeof(*table));
		}

		r = sendmsg(fd, &msg, chunk < n ? MSG_MORE : 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		iov += chunk;
		n -= chunk;
	}
	return 0;
}

/*
 * Receive into @n iovecs. The kernel returns a stream, so a short read just
 * continues where it stopped.
 */
static int recv_iov(int fd, struct iovec *iov, size_t n)
{
	while (n) {
		size_t chunk = n > IOV_MAX ? IOV_MAX : n;
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = chunk };
		ssize_t r = recvmsg(fd, &msg, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EPIPE;
		while (n && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n && r) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return 0;
}

/* Deliver in place: one sendmsg(), results in @outs and the callers' buffers. */
static int send_direct(struct esf_session *s, struct iovec *siov, size_t ns,
		       struct esf_output *outs, size_t sent)
{
	struct esf_output_table table = {
		.outputs = (uintptr_t)outs,
		.count = (uint32_t)sent,
	};

	return send_iov(s->fd, siov, ns, &table);
}

static int kernel_batch(struct esf_session *s, struct esf_op *ops, size_t n)
{
	struct esf_rec *recs;
	struct esf_res *res;
	struct esf_output *outs;
	struct iovec *siov, *riov;
	struct esf_span *spans;
	size_t *slots;
	size_t i, ns = 0, nr = 0, sent = 0;
	int err = 0, direct;

	if (n > ESF_MAX_BATCH)
		return -EMSGSIZE;
	err = reserve_hdrs(s, n);
	if (err)
		return err;
	siov = s->hdrs;
	riov = siov + 4 * n;
	recs = (struct esf_rec *)(riov + 2 * n);
	res = (struct esf_res *)(recs + n);
	outs = (struct esf_output *)(res + n);
	spans = (struct esf_span *)(outs + n);
	slots = (size_t *)(spans + 3 * n);

	for (i = 0; i < n; i++) {
		struct esf_op *op = &ops[i];
		size_t slot = esf_slot_size(&s->info, op);

		slots[i] = slot;
		op->out_len = 0;
		op->seq = 0;
		/* A record whose result cannot land in place is not sent. */
		if (slot > op->out_size || (slot && !op->out) ||
		    op->aad_len > UINT32_MAX ||
		    op->in_len + op->in2_len > UINT32_MAX) {
			op->status = slot > op->out_size ? -ENOSPC : -EINVAL;
			continue;
		}
		/* Re-seal is /dev/esf's alone. */
		if (op->op == ESF_OP_RESEAL) {
			op->status = -EOPNOTSUPP;
			continue;
		}
		op->status = 1;	/* sent, result pending */
		recs[sent] = (struct esf_rec){
			.op = op->op,
			.data_class = s->data_class,
			.session_type = s->session_type,
			.aad_len = (uint32_t)op->aad_len,
			.data_len = (uint32_t)(op->in_len + op->in2_len),
		};
		siov[ns++] = (struct iovec){ &recs[sent], sizeof(recs[sent]) };
		if (op->aad_len)
			siov[ns++] = (struct iovec){ (void *)op->aad, op->aad_len };
		if (op->in_len)
			siov[ns++] = (struct iovec){ (void *)op->in, op->in_len };
		if (op->in2_len)
			siov[ns++] = (struct iovec){ (void *)op->in2, op->in2_len };
		riov[nr++] = (struct iovec){ &res[sent], sizeof(res[sent]) };
		if (slot)
			riov[nr++] = (struct iovec){ op->out, slot };
		outs[sent] = (struct esf_output){ .addr = (uintptr_t)op->out,
						  .size = (uint32_t)slot };
		sent++;
	}

	direct = sent && !s->no_direct && !esf_outputs_overlap(spans, ops, n, slots);
	if (direct) {
		err = send_direct(s, siov, ns, outs, sent);
		for (i = 0; !err && i < sent; i++)
			res[i] = outs[i].res;
		/*
		 * -EINVAL: a framing error (nothing ran) or an esf.ko that
		 * predates ESF_CMSG_OUTPUT. The plain path tells which.
		 */
		if (err == -EINVAL) {
			direct = 0;
			s->no_direct = 1;
		}
	}
	if (sent && !direct) {
		err = send_iov(s->fd, siov, ns, NULL);
		if (!err)
			err = recv_iov(s->fd, riov, nr);
		if (err == -EINVAL)
			s->no_direct = 0;
	}
	if (err) {
		for (i = 0; i < n; i++)
			if (ops[i].status == 1)
				ops[i].status = err;
		return err;
	}
	for (i = 0, sent = 0; i < n; i++) {
		if (ops[i].status != 1)
			continue;
		ops[i].status = res[sent].status;
		ops[i].out_len = res[sent].out_len;
		ops[i].seq = res[sent].seq;
		sent++;
	}
	return 0;
}

static void kernel_close(struct esf_session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->hdrs);
}

static const struct esf_session_ops kernel_ops = {
	.batch = kernel_batch,
	.close = kernel_close,
};

struct esf_session *esf_session_new_backend(const struct esf_session_ops *ops,
					    const struct esf_session_info *info,
					    unsigned int data_class,
					    unsigned int session_type,
					    void *priv)
{
	struct esf_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = ops;
	s->info = *info;
	s->data_class = (uint8_t)data_class;
	s->session_type = (uint8_t)session_type;
	s->fd = -1;
	s->priv = priv;
	return s;
}

static int socket_open(uint32_t session_id, unsigned int data_class,
		       unsigned int session_type, struct esf_session **sp)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	struct esf_session_info info;
	socklen_t len = sizeof(info);
	struct esf_session *s;
	int tfm, op, err;

	strcpy((char *)sa.salg_type, ESF_ALG_TYPE);
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%u", session_id);

	tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0)
		return -errno;
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(tfm);
		return err;
	}
	/* The operation socket keeps its parent alive; the fd can go. */
	op = accept4(tfm, NULL, NULL, SOCK_CLOEXEC);
	err = op < 0 ? -errno : 0;
	close(tfm);
	if (err)
		return err;
	if (getsockopt(op, SOL_ALG, ESF_SO_SESSION_INFO, &info, &len) < 0) {
		err = -errno;
		close(op);
		return err;
	}
	s = esf_session_new_backend(&kernel_ops, &info, data_class, session_type, NULL);
	if (!s) {
		close(op);
		return -ENOMEM;
	}
	s->fd = op;
	*sp = s;
	return 0;
}

/*
 * The front end: ESF_FRONT=device or socket forces one; otherwise (auto)
 * /dev/esf where it opens and its region registers, AF_ALG where not (no
 * device node, an esf.ko before it, a locked-memory limit too small for
 * the region). A session the caller may not use is refused by either.
 */
int esf_session_open_on(uint32_t session_id, unsigned int data_class,
			unsigned int session_type, const char *front, size_t pool,
			struct esf_session **sp)
{
	int err, missing = 0;

	if (!session_id || data_class > 3 || session_type > ESF_STYPE_SM)
		return -EINVAL;
	if (!front)
		front = getenv("ESF_FRONT");
	if (front && !strcmp(front, "socket"))
		return socket_open(session_id, data_class, session_type, sp);
	if (front && *front && strcmp(front, "device") && strcmp(front, "auto"))
		return -EINVAL;
	err = esf_session_open_device(session_id, data_class, session_type, pool, sp,
				      &missing);
	if (!err || !missing || (front && !strcmp(front, "device")))
		return err;
	return socket_open(session_id, data_class, session_type, sp);
}

int esf_session_open(uint32_t session_id, unsigned int data_class,
		     unsigned int session_type, struct esf_session **sp)
{
	return esf_session_open_on(session_id, data_class, session_type, NULL, 0, sp);
}

const char *esf_session_front(const struct esf_session *s)
{
	if (s->ops == &kernel_ops)
		return "socket";
	return esf_session_is_device(s) ? "device" : "none";
}

void *esf_buf_alloc(struct esf_session *s, size_t size)
{
	void *p = NULL;

	if (esf_session_is_device(s))
		return esf_ring_buf_alloc(s, size);
	if (posix_memalign(&p, 4096, size ? size : 1))
		return NULL;
	return p;
}

void esf_buf_free(struct esf_session *s, void *buf)
{
	if (!buf)
		return;
	if (esf_session_is_device(s) && !esf_ring_buf_free(s, buf))
		return;
	free(buf);
}

void esf_session_close(struct esf_session *s)
{
	if (!s)
		return;
	if (s->ops->close)
		s->ops->close(s);
	free(s);
}

const struct esf_session_info *esf_session_info(const struct esf_session *s)
{
	return &s->info;
}

size_t esf_seal_overhead(const struct esf_session *s)
{
	size_t over = (size_t)s->info.nonce_len + s->info.tag_len;

	if (esf_info_is_mic(&s->info))
		return 0;
	/* authenc pads by 1 to 16 bytes: count the most. */
	if (s->info.alg == ESF_ALG_AUTHENC_HMAC_SHA256_CBC_AES)
		over += 16;
	return over;
}

int esf_batch(struct esf_session *s, struct esf_op *ops, size_t n)
{
	return s->ops->batch(s, ops, n);
}

/* Run one record; its status becomes the return value. */
static ssize_t one(struct esf_session *s, struct esf_op *op)
{
	int err = s->ops->batch(s, op, 1);

	if (err)
		return err;
	if (op->status)
		return op->status;
	return (ssize_t)op->out_len;
}

ssize_t esf_seal(struct esf_session *s, const void *aad, size_t aad_len,
		 const void *in, size_t in_len, void *out, size_t out_size,
		 uint64_t *seq)
{
	struct esf_op op = { .op = ESF_OP_SEAL, .aad = aad, .aad_len = aad_len,
			     .in = in, .in_len = in_len, .out = out,
			     .out_size = out_size };
	ssize_t r = one(s, &op);

	if (r >= 0 && seq)
		*seq = op.seq;
	return r;
}

ssize_t esf_open(struct esf_session *s, const void *aad, size_t aad_len,
		 const void *in, size_t in_len, void *out, size_t out_size,
		 uint64_t *seq)
{
	struct esf_op op = { .op = ESF_OP_OPEN, .aad = aad, .aad_len = aad_len,
			     .in = in, .in_len = in_len, .out = out,
			     .out_size = out_size };
	ssize_t r = one(s, &op);

	if (r >= 0 && seq)
		*seq = op.seq;
	return r;
}

ssize_t esf_reseal(struct esf_session *s, const void *aad, size_t aad_len,
		   const void *aad2, size_t aad2_len, const void *in, size_t in_len,
		   void *out, size_t out_size, uint64_t *seq)
{
	struct esf_op op = { .op = ESF_OP_RESEAL, .aad = aad, .aad_len = aad_len,
			     .in = in, .in_len = in_len, .in2 = aad2, .in2_len = aad2_len,
			     .out = out, .out_size = out_size };
	ssize_t r = one(s, &op);

	if (r >= 0 && seq)
		*seq = op.seq;
	return r;
}

ssize_t esf_sign(struct esf_session *s, const void *in, size_t in_len,
		 void *tag, size_t tag_size)
{
	struct esf_op op = { .op = ESF_OP_SIGN, .in = in, .in_len = in_len,
			     .out = tag, .out_size = tag_size };

	return one(s, &op);
}

int esf_verify(struct esf_session *s, const void *in, size_t in_len,
	       const void *tag, size_t tag_len)
{
	struct esf_op op = { .op = ESF_OP_VERIFY, .in = in, .in_len = in_len,
			     .in2 = tag, .in2_len = tag_len };

	return (int)one(s, &op);
}
