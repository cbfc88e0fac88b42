/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw client of the esf fast path for the selftests, on either front
 * end: the AF_ALG socket type "esf", with the record framing of
 * include/uapi/linux/esf.h built by hand, or /dev/esf, with a registered
 * region, its record table and completion ring. Tests check the kernel
 * against the uAPI text, not against libesf.
 *
 * Tests written for the socket run unchanged on the device: a fixture sets
 * esf_fp_front, and every function here takes the same arguments on both.
 * On the device, esf_fp_send() with MSG_MORE gathers records into the
 * table and submits them when the batch closes (without waiting; the end
 * arrives in the completion ring, which esf_fp_recv() reads), esf_fp_run()
 * and esf_fp_direct() submit and wait, and MSG_DONTWAIT is O_NONBLOCK for
 * that submission. The records' bytes are copied into the region here:
 * what the kernel does with them is what is under test.
 */
#ifndef ESF_SELFTEST_FP_H
#define ESF_SELFTEST_FP_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/esf.h>
#include <linux/if_alg.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

struct esf_fp {
	int tfm;	/* bound to the session */
	int op;		/* one operation socket (a device handle) */
	struct esf_session_info info;
};

/* Which front end esf_fp_bind()/esf_fp_accept() give. */
enum { ESF_FP_SOCKET, ESF_FP_DEVICE };
static int esf_fp_front __attribute__((unused)) = ESF_FP_SOCKET;
static const char *const esf_fp_front_name[] __attribute__((unused)) = { "socket", "device" };

/* A device handle's region: table, ring, then records' bytes. */
#define ESF_FP_REGION	(8u << 20)
#define ESF_FP_TABLE	ESF_MAX_BATCH
#define ESF_FP_CQ	64
#define ESF_FP_CQ_OFF	(ESF_FP_TABLE * sizeof(struct esf_dev_rec))
#define ESF_FP_DATA	(64u << 10)

/*
 * The region of the handles set up from now on: ESF_FP_REGION unless a
 * test of many small records on many short-lived handles asks for less.
 * The kernel pins every page of it at ESF_DEV_REGISTER: 8 MiB of fresh
 * memory faulted in, zeroed, pinned and mapped again per handle is most
 * of such a test's time under TCG.
 */
static size_t esf_fp_region_len __attribute__((unused)) = ESF_FP_REGION;

struct esf_fp_dev {
	uint8_t *base;
	size_t len;		/* of the region */
	struct esf_dev_rec *table;
	struct esf_dev_cq *cq;
	uint32_t n;		/* records gathered for the open batch */
	size_t used;		/* region bytes they take */
	uint32_t outs[ESF_FP_TABLE];	/* their output slots' offsets */
	int submitted;		/* a batch is out, its end not yet read */
};

/* Device handles by fd (tests open few, small numbers). */
static struct esf_fp_dev *esf_fp_devs[1024] __attribute__((unused));

static inline struct esf_fp_dev *esf_fp_dev_of(int fd)
{
	return fd >= 0 && fd < 1024 ? esf_fp_devs[fd] : NULL;
}

/* Register a region on device handle @fd; 0 or -errno. */
static inline int esf_fp_dev_setup(int fd)
{
	struct esf_fp_dev *d = calloc(1, sizeof(*d));
	struct esf_dev_region reg = {
		.len = esf_fp_region_len, .sq_off = 0, .sq_entries = ESF_FP_TABLE,
		.cq_off = ESF_FP_CQ_OFF, .cq_entries = ESF_FP_CQ,
	};
	int err;

	if (!d || fd >= 1024)
		return -ENOMEM;
	d->len = esf_fp_region_len;
	d->base = mmap(NULL, d->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->base == MAP_FAILED) {
		free(d);
		return -ENOMEM;
	}
	reg.addr = (uintptr_t)d->base;
	if (ioctl(fd, ESF_DEV_REGISTER, &reg)) {
		err = -errno;
		munmap(d->base, d->len);
		free(d);
		return err;
	}
	d->table = (struct esf_dev_rec *)d->base;
	d->cq = (struct esf_dev_cq *)(d->base + ESF_FP_CQ_OFF);
	esf_fp_devs[fd] = d;
	return 0;
}

/* Forget device handle @fd's region (the kernel lets it go on close). */
static inline void esf_fp_dev_forget(int fd)
{
	struct esf_fp_dev *d = esf_fp_dev_of(fd);

	if (!d)
		return;
	esf_fp_devs[fd] = NULL;
	munmap(d->base, d->len);
	free(d);
}

static inline int esf_fp_close_fd(int fd)
{
	esf_fp_dev_forget(fd);
	return close(fd);
}

/* One record in, one result out. */
struct esf_fp_rec {
	uint8_t op, data_class, session_type;
	const void *aad;
	uint32_t aad_len;
	const void *data;
	uint32_t data_len;
	/* Result: out may be NULL to discard the slot. */
	void *out;
	int status;
	uint32_t out_len;
	uint64_t seq;
};

/* A device handle bound to session @id, or -errno. */
static inline int esf_fp_dev_bind(uint32_t id)
{
	struct esf_dev_bind b = { .session_id = id };
	int fd = open("/dev/" ESF_DEV_NAME, O_RDWR | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	if (!id || ioctl(fd, ESF_DEV_BIND, &b)) {
		err = id ? -errno : -EINVAL;
		close(fd);
		return err;
	}
	return fd;
}

/* A device handle bound to session @id with its region: the fd, its state in *@d. */
static inline int esf_fp_dev_handle(uint32_t id, struct esf_fp_dev **d)
{
	int fd = esf_fp_dev_bind(id), err;

	*d = NULL;
	if (fd < 0)
		return fd;
	err = esf_fp_dev_setup(fd);
	if (err) {
		close(fd);
		return err;
	}
	*d = esf_fp_dev_of(fd);
	return fd;
}

/* A socket (or device handle) bound to session @id, or -errno. */
static inline int esf_fp_bind(uint32_t id)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int fd, err;

	if (esf_fp_front == ESF_FP_DEVICE)
		return esf_fp_dev_bind(id);

	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "%s", ESF_ALG_TYPE);
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%u", id);
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Another operation socket, or device handle with a region, on @fp's session. */
static inline int esf_fp_accept(const struct esf_fp *fp)
{
	int fd, err;

	if (esf_fp_front == ESF_FP_DEVICE) {
		fd = esf_fp_dev_bind(fp->info.session_id);
		err = fd < 0 ? fd : esf_fp_dev_setup(fd);
		if (err && fd >= 0)
			close(fd);
		return err ? err : fd;
	}
	fd = accept4(fp->tfm, NULL, NULL, SOCK_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static inline int esf_fp_info(int op, struct esf_session_info *info)
{
	socklen_t len = sizeof(*info);

	if (esf_fp_dev_of(op) || esf_fp_front == ESF_FP_DEVICE)
		return ioctl(op, ESF_DEV_INFO, info) ? -errno : 0;
	if (getsockopt(op, SOL_ALG, ESF_SO_SESSION_INFO, info, &len))
		return -errno;
	return len == sizeof(*info) ? 0 : -EPROTO;
}

static inline int esf_fp_open(struct esf_fp *fp, uint32_t id)
{
	int err;

	fp->op = -1;
	fp->tfm = esf_fp_bind(id);
	if (fp->tfm < 0)
		return fp->tfm;
	/* The device's accept needs the session's id. */
	fp->info.session_id = id;
	fp->op = esf_fp_accept(fp);
	if (fp->op < 0) {
		err = fp->op;
		close(fp->tfm);
		return err;
	}
	return esf_fp_info(fp->op, &fp->info);
}

static inline void esf_fp_close(struct esf_fp *fp)
{
	if (fp->op >= 0)
		esf_fp_close_fd(fp->op);
	if (fp->tfm >= 0)
		close(fp->tfm);
	fp->op = fp->tfm = -1;
}

/* The output slot of a record: the table at the top of esf.h. */
static inline uint32_t esf_fp_slot(const struct esf_session_info *i, uint8_t op,
				   uint32_t data_len)
{
	uint32_t over = i->nonce_len + i->tag_len;

	switch (op) {
	case ESF_OP_SEAL:
		if (i->alg == ESF_ALG_AUTHENC_HMAC_SHA256_CBC_AES)
			return over + (data_len / 16 + 1) * 16;
		return over + data_len;
	case ESF_OP_OPEN:
		return data_len > over ? data_len - over : 0;
	case ESF_OP_SIGN:
		return i->tag_len;
	default:
		return 0;
	}
}

/* The device's side --------------------------------------------------------- */

/* Gather @n records into device handle @d's open batch; 0 or -errno. */
static inline int esf_fp_dev_gather(struct esf_fp_dev *d, const struct esf_session_info *info,
				    const struct esf_fp_rec *r, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		uint32_t slot = esf_fp_slot(info, r[k].op, r[k].data_len);
		size_t need = ((size_t)r[k].aad_len + r[k].data_len + slot + 7) & ~(size_t)7;
		size_t off = ESF_FP_DATA + d->used;
		uint8_t *at = d->base + off;

		/* The handle was bound to one class and type for all its records. */
		if (r[k].data_class || r[k].session_type)
			return -EOPNOTSUPP;
		if (d->n == ESF_FP_TABLE || off + need > d->len)
			return -EMSGSIZE;
		if (r[k].aad_len)
			memcpy(at, r[k].aad, r[k].aad_len);
		if (r[k].data_len)
			memcpy(at + r[k].aad_len, r[k].data, r[k].data_len);
		d->table[d->n] = (struct esf_dev_rec){
			.op = r[k].op, .aad_off = (uint32_t)off, .aad_len = r[k].aad_len,
			.in_off = (uint32_t)(off + r[k].aad_len), .in_len = r[k].data_len,
			.out_off = (uint32_t)(off + r[k].aad_len + r[k].data_len),
			.out_size = slot,
		};
		d->outs[d->n++] = (uint32_t)(off + r[k].aad_len + r[k].data_len);
		d->used += need;
	}
	return 0;
}

/* Submit the open batch (@wait: and wait for it); 0 or -errno. */
static inline int esf_fp_dev_submit(int fd, struct esf_fp_dev *d, bool wait, bool nonblock)
{
	struct esf_dev_submit sub = { .count = d->n, .flags = wait ? ESF_DEV_SUBMIT_WAIT : 0 };
	int fl = fcntl(fd, F_GETFL), err;

	if (nonblock)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	err = ioctl(fd, ESF_DEV_SUBMIT, &sub) ? -errno : 0;
	if (nonblock)
		fcntl(fd, F_SETFL, fl);
	if (err) {
		/* As a framing error: the batch is gone, nothing ran. */
		d->n = 0;
		d->used = 0;
	}
	return err;
}

/* The ended batch's results into @r, @n of them; the batch is over. */
static inline void esf_fp_dev_results(struct esf_fp_dev *d, const struct esf_session_info *info,
				      struct esf_fp_rec *r, size_t n)
{
	size_t k;

	for (k = 0; k < n && k < d->n; k++) {
		const struct esf_res *res = &d->table[k].res;

		r[k].status = res->status;
		r[k].out_len = res->out_len;
		r[k].seq = res->seq;
		if (r[k].out)
			memcpy(r[k].out, d->base + d->outs[k],
			       esf_fp_slot(info, r[k].op, r[k].data_len));
	}
	d->n = 0;
	d->used = 0;
	d->submitted = 0;
}

/* Wait for the submitted batch's entry in the ring, and take it. */
static inline int esf_fp_dev_reap(int fd, struct esf_fp_dev *d)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint32_t head = d->cq->head;

	if (!d->submitted)
		return -ENODATA;
	while (__atomic_load_n(&d->cq->tail, __ATOMIC_ACQUIRE) == head)
		if (poll(&p, 1, 30000) <= 0)
			return -ETIMEDOUT;
	__atomic_store_n(&d->cq->head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

/* Send @n records in one sendmsg with @flags and control data; 0 or -errno. */
static inline int esf_fp_sendmsg(int fd, const struct esf_fp_rec *r, size_t n, int flags,
				 void *ctl, size_t ctl_len)
{
	size_t len = 0, off = 0, k;
	unsigned char *buf;
	ssize_t sent;
	int err = 0;
	struct esf_fp_dev *d = esf_fp_dev_of(fd);

	if (d) {
		struct esf_session_info info;

		if (ctl_len)
			return -EINVAL;
		if (d->submitted)
			return -EBUSY;
		err = esf_fp_info(fd, &info);
		if (!err)
			err = esf_fp_dev_gather(d, &info, r, n);
		if (err || (flags & MSG_MORE) || !d->n)
			return err;
		err = esf_fp_dev_submit(fd, d, false, flags & MSG_DONTWAIT);
		d->submitted = !err;
		return err;
	}

	for (k = 0; k < n; k++)
		len += sizeof(struct esf_rec) + r[k].aad_len + r[k].data_len;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		struct esf_rec h = {
			.op = r[k].op,
			.data_class = r[k].data_class,
			.session_type = r[k].session_type,
			.aad_len = r[k].aad_len,
			.data_len = r[k].data_len,
		};

		memcpy(buf + off, &h, sizeof(h));
		off += sizeof(h);
		if (r[k].aad_len)
			memcpy(buf + off, r[k].aad, r[k].aad_len);
		off += r[k].aad_len;
		if (r[k].data_len)
			memcpy(buf + off, r[k].data, r[k].data_len);
		off += r[k].data_len;
	}
	{
		struct iovec iov = { buf, len };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl, .msg_controllen = ctl_len,
		};

		sent = sendmsg(fd, &msg, flags);
	}
	if (sent < 0)
		err = -errno;
	else if ((size_t)sent != len)
		err = -EIO;
	free(buf);
	return err;
}

static inline int esf_fp_send(int fd, const struct esf_fp_rec *r, size_t n, int flags)
{
	return esf_fp_sendmsg(fd, r, n, flags, NULL, 0);
}

/*
 * Deliver in place (ESF_CMSG_OUTPUT): send @n records with @flags and a
 * table of @count entries at @tab, which the caller filled in (addr, size)
 * or, when @fill, is filled here from each r[k].out and its slot size.
 * Then the results are copied from the table into @r. 0 or -errno.
 */
static inline int esf_fp_direct(int fd, const struct esf_session_info *info,
				struct esf_fp_rec *r, size_t n, int flags,
				struct esf_output *tab, uint32_t count, int fill)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct esf_output_table))];
		struct cmsghdr align;
	} ctl;
	struct esf_output_table t = { .outputs = (uintptr_t)tab, .count = count };
	struct msghdr msg = { .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct esf_fp_dev *d = esf_fp_dev_of(fd);
	struct cmsghdr *c;
	size_t k;
	int err;

	if (d) {
		for (k = 0; k < n; k++)
			if (fill)
				tab[k] = (struct esf_output){
					.addr = (uintptr_t)r[k].out,
					.size = esf_fp_slot(info, r[k].op, r[k].data_len),
				};
		if (count != n || (flags & MSG_MORE))
			return -EINVAL;
		for (k = 0; k < n; k++)
			if (tab[k].size < esf_fp_slot(info, r[k].op, r[k].data_len))
				return -ENOBUFS;
		if (d->submitted || d->n)
			return -EBUSY;
		err = esf_fp_dev_gather(d, info, r, n);
		if (!err)
			err = esf_fp_dev_submit(fd, d, true, flags & MSG_DONTWAIT);
		for (k = 0; !err && k < n; k++) {
			r[k].out = (void *)(uintptr_t)tab[k].addr;
			memcpy(&tab[k].res, &d->table[k].res, sizeof(tab[k].res));
		}
		if (!err)
			esf_fp_dev_results(d, info, r, n);
		return err;
	}

	for (k = 0; fill && k < n; k++)
		tab[k] = (struct esf_output){
			.addr = (uintptr_t)r[k].out,
			.size = esf_fp_slot(info, r[k].op, r[k].data_len),
		};
	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ESF_CMSG_OUTPUT;
	c->cmsg_len = CMSG_LEN(sizeof(t));
	memcpy(CMSG_DATA(c), &t, sizeof(t));
	err = esf_fp_sendmsg(fd, r, n, flags, ctl.buf, sizeof(ctl.buf));
	for (k = 0; !err && k < n; k++) {
		r[k].status = tab[k].res.status;
		r[k].out_len = tab[k].res.out_len;
		r[k].seq = tab[k].res.seq;
	}
	return err;
}

/* Read the results of @n records; 0 or -errno. */
static inline int esf_fp_recv(int fd, const struct esf_session_info *info,
			      struct esf_fp_rec *r, size_t n)
{
	size_t len = 0, got = 0, off = 0, k;
	unsigned char *buf;
	ssize_t m;

	if (esf_fp_dev_of(fd)) {
		int err = esf_fp_dev_reap(fd, esf_fp_dev_of(fd));

		if (!err)
			esf_fp_dev_results(esf_fp_dev_of(fd), info, r, n);
		return err;
	}
	for (k = 0; k < n; k++)
		len += sizeof(struct esf_res) + esf_fp_slot(info, r[k].op, r[k].data_len);
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	while (got < len) {
		m = read(fd, buf + got, len - got);
		if (m <= 0) {
			free(buf);
			return m < 0 ? -errno : -EPIPE;
		}
		got += (size_t)m;
	}
	for (k = 0; k < n; k++) {
		struct esf_res res;
		uint32_t slot = esf_fp_slot(info, r[k].op, r[k].data_len);

		memcpy(&res, buf + off, sizeof(res));
		off += sizeof(res);
		r[k].status = res.status;
		r[k].out_len = res.out_len;
		r[k].seq = res.seq;
		if (r[k].out)
			memcpy(r[k].out, buf + off, slot);
		off += slot;
	}
	free(buf);
	return 0;
}

static inline int esf_fp_run(int fd, const struct esf_session_info *info,
			     struct esf_fp_rec *r, size_t n)
{
	struct esf_fp_dev *d = esf_fp_dev_of(fd);
	int err;

	if (d) {
		if (d->submitted || d->n)
			return -EBUSY;
		err = esf_fp_dev_gather(d, info, r, n);
		if (!err)
			err = esf_fp_dev_submit(fd, d, true, false);
		if (!err)
			esf_fp_dev_results(d, info, r, n);
		return err;
	}
	err = esf_fp_send(fd, r, n, 0);

	return err ? err : esf_fp_recv(fd, info, r, n);
}

/* One record on @fd: the syscall's -errno, else the record's status. */
static inline int esf_fp_one(int fd, const struct esf_session_info *info, uint8_t op,
			     const void *aad, uint32_t aad_len, const void *in,
			     uint32_t in_len, void *out, uint32_t *out_len, uint64_t *seq)
{
	struct esf_fp_rec r = {
		.op = op, .aad = aad, .aad_len = aad_len,
		.data = in, .data_len = in_len, .out = out,
	};
	int err = esf_fp_run(fd, info, &r, 1);

	if (err)
		return err;
	if (out_len)
		*out_len = r.out_len;
	if (seq)
		*seq = r.seq;
	return r.status;
}

#endif /* ESF_SELFTEST_FP_H */
