/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libesf internals: how a session handle reaches its crypto.
 *
 * Every fast-path call (esf_seal(), esf_open(), ..., esf_batch()) funnels
 * into ops->batch(). The kernel backend (fastpath.c) sends the batch to an
 * esf operation socket. The host-side unit tests install a software backend
 * that imitates the kernel's record semantics, so the envelope code can be
 * tested without a VM. Not part of the public API (not exported by
 * libesf.map).
 */
#ifndef ESF_BACKEND_H
#define ESF_BACKEND_H

#include <stdint.h>
#include "esf.h"

struct esf_session_ops {
	/* Run @n records; same contract as esf_batch(). */
	int (*batch)(struct esf_session *s, struct esf_op *ops, size_t n);
	/* Release the backend's state (not the handle itself). */
	void (*close)(struct esf_session *s);
};

struct esf_session {
	const struct esf_session_ops *ops;
	struct esf_session_info info;
	uint8_t data_class;
	uint8_t session_type;
	int fd;		/* kernel backends: the operation socket, the device handle */
	void *priv;	/* other backends */
	/* Kernel backend: reusable framing buffers for esf_batch(). */
	void *hdrs;
	size_t hdrs_size;
	/* The module refused ESF_CMSG_OUTPUT (older esf.ko): use recvmsg(). */
	int no_direct;
};

/* The output slot a record needs (the table in <linux/esf.h>). */
size_t esf_slot_size(const struct esf_session_info *info, const struct esf_op *op);

/*
 * The slot of a record of operation @op over @in input bytes (@in_len plus
 * @in2_len); for a loop that has the record's fields in locals already.
 */
static inline size_t slot_bytes(const struct esf_session_info *info, unsigned int op, size_t in)
{
	size_t over = (size_t)info->nonce_len + info->tag_len;

	/* Tested in turn, the commonest first, rather than a switch's tree. */
	if (op == ESF_OP_SEAL) {
		/* authenc pads to the AES block, always by at least one byte. */
		if (info->alg == ESF_ALG_AUTHENC_HMAC_SHA256_CBC_AES)
			return (in / 16 + 1) * 16 + over;
		return in + over;
	}
	if (op == ESF_OP_OPEN)
		return in > over ? in - over : 0;
	if (op == ESF_OP_SIGN)
		return info->tag_len;
	return 0;
}

/* esf_slot_size(), inline for the backends' per-record loops. */
static inline size_t slot_size(const struct esf_session_info *info, const struct esf_op *op)
{
	return slot_bytes(info, op->op, op->in_len + op->in2_len);
}

/*
 * /dev/esf (ring.c). esf_session_open_device() sets *@missing when it
 * failed because the device front end is not there or cannot take the
 * handle's region (so AF_ALG may be tried), not because of the session.
 */
int esf_session_open_device(uint32_t session_id, unsigned int data_class,
			    unsigned int session_type, size_t pool,
			    struct esf_session **sp, int *missing);
int esf_session_is_device(const struct esf_session *s);
void *esf_ring_buf_alloc(struct esf_session *s, size_t size);
/* The second session of a re-seal handle (esf_session_reseal_to()), or NULL. */
const struct esf_session_info *esf_reseal_info(const struct esf_session *s);
int esf_ring_buf_free(struct esf_session *s, void *buf);

/* A buffer of a batch, for esf_outputs_overlap(). */
struct esf_span {
	uintptr_t start, end;
	int out;
};

/*
 * Whether an output slot of @ops (slot sizes in @slots) overlaps an input
 * of a record the kernel may take without copying; @sp has room for three
 * spans per record. Internal to libesf (not exported), tested on the host.
 */
int esf_outputs_overlap(struct esf_span *sp, const struct esf_op *ops, size_t n,
			const size_t *slots);

/*
 * Make a handle on another backend. @info is copied. Returns NULL on
 * allocation failure.
 */
struct esf_session *esf_session_new_backend(const struct esf_session_ops *ops,
					    const struct esf_session_info *info,
					    unsigned int data_class,
					    unsigned int session_type,
					    void *priv);

#endif /* ESF_BACKEND_H */
