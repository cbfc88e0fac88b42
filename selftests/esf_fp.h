/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw client of the esf fast path (AF_ALG type "esf") for the selftests:
 * the record framing of include/uapi/linux/esf.h built by hand, so the
 * tests check the kernel against the uAPI text, not against libesf.
 */
#ifndef ESF_SELFTEST_FP_H
#define ESF_SELFTEST_FP_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	int op;		/* one operation socket */
	struct esf_session_info info;
};

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

/* A socket bound to session @id, or -errno. */
static inline int esf_fp_bind(uint32_t id)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int fd, err;

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

static inline int esf_fp_accept(const struct esf_fp *fp)
{
	int fd = accept4(fp->tfm, NULL, NULL, SOCK_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int esf_fp_info(int op, struct esf_session_info *info)
{
	socklen_t len = sizeof(*info);

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
		close(fp->op);
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

/* Send @n records in one sendmsg with @flags and control data; 0 or -errno. */
static inline int esf_fp_sendmsg(int fd, const struct esf_fp_rec *r, size_t n, int flags,
				 void *ctl, size_t ctl_len)
{
	size_t len = 0, off = 0, k;
	unsigned char *buf;
	ssize_t sent;
	int err = 0;

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
	struct cmsghdr *c;
	size_t k;
	int err;

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
	int err = esf_fp_send(fd, r, n, 0);

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
