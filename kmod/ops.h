/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One record through a session's transform: SEAL, OPEN, SIGN or VERIFY.
 * Independent of how the record arrived (AF_ALG socket, self-test), so
 * another front end can reuse it.
 */
#ifndef _ESF_OPS_H
#define _ESF_OPS_H

#include <crypto/aead.h>
#include <crypto/hash.h>
#include <linux/scatterlist.h>
#include <uapi/linux/esf.h>

#include "cek.h"

struct esf_gkey;
struct esf_session;
struct esf_req;

/* The longest record prefix: a kw(aes) record's wrapped 256-bit key and IV. */
#define ESF_NONCE_MAX	(ESF_KW_ICV_LEN + 32 + ESF_NONCE_LEN)

typedef void (*esf_req_done_t)(struct esf_req *req);

/*
 * An aggregate (ESF_OP_AGGREGATE): the inputs whose plaintexts one SEAL
 * takes, framed by the front end. The SEAL is the record; each input is
 * an OPEN under its own session, opened in order, one at a time.
 */
struct esf_agg {
	struct esf_req **in;	/* the inputs' OPENs, in order */
	unsigned int n;
	unsigned int next;	/* the next input to open */
	unsigned int spent;	/* inputs whose replay window entry is spent */
};

/*
 * Where a record's pieces go in its work area (a scatterlist the front end
 * owns) and where its output comes from. The front end copies the AAD to
 * aad_off, the input (after the nonce, for OPEN) to text_off, and hands
 * back head_len bytes of req->head followed by body_len bytes of the area
 * from body_off.
 */
struct esf_layout {
	u32 nonce_in;		/* OPEN: leading input bytes that are the nonce */
	u32 aad_off;
	u32 text_off;
	u32 area_len;		/* the area must hold this many bytes */
	u32 slot_len;		/* output slot size (uAPI table) */
};

struct esf_req {
	struct esf_session *s;
	esf_req_done_t done;	/* async completions only, any context */
	void *owner;		/* the front end's */
	struct scatterlist *sg;	/* the work area */
	/*
	 * AEAD only: where the provider writes, when not in place. Same
	 * associated-data part as sg (the front end points both at the same
	 * bytes), then the output text and tag.
	 */
	struct scatterlist *dst;
	u8 op;
	u8 data_class;
	u8 session_type;
	bool may_sleep;
	bool zerocopy;		/* text in the caller's pages (ESF_STAT_ZEROCOPY) */
	u32 aad_len;
	u32 in_len;		/* the record's data_len */
	u32 text_len;		/* bytes the cipher or hash works on */
	int status;
	u64 seq;
	/* Output: head_len bytes of head, then body_len bytes from body_off. */
	const u8 *head;
	u32 head_len;
	u32 body_off;
	u32 body_len;
	/* kw(aes): the record's content transform, held while it runs. */
	struct esf_cek_tfm *cek;
	/* Group sessions: the record's epoch key, held while it runs. */
	struct esf_gkey *gkey;
	/*
	 * Re-seal (ESF_OP_RESEAL): on an OPEN, the SEAL that takes its
	 * plaintext, which the front end points at the OPEN's output; on
	 * that SEAL, the OPEN. The SEAL's status and output are the record's.
	 */
	struct esf_req *next;
	struct esf_req *prev;
	/*
	 * Aggregate: on the SEAL, its inputs; on an input (agg_in), prev is
	 * the SEAL. An input's window entry and lifetime charge wait until
	 * every input has authenticated (ops.c, "Aggregate").
	 */
	struct esf_agg *agg;
	bool agg_in;
	u8 nonce[ESF_NONCE_MAX];
	u8 iv[16];
	u8 digest[64];
	/* The crypto API request and its transform's context follow. */
	u8 crypto[] CRYPTO_MINALIGN_ATTR;
};

unsigned int esf_req_size(const struct esf_session *s);
int esf_req_layout(const struct esf_session *s, u8 op, u32 aad_len, u32 data_len,
		   struct esf_layout *l);
/* A record's request, before its front end fills in the rest; per record, inline. */
static inline void esf_req_init(struct esf_req *req, struct esf_session *s, u8 op,
				u32 aad_len, u32 in_len, struct scatterlist *sg)
{
	req->s = s;
	req->aad_len = aad_len;
	req->in_len = in_len;
	req->sg = sg;
	req->dst = NULL;
	req->cek = NULL;
	req->gkey = NULL;
	req->next = NULL;
	req->prev = NULL;
	req->agg = NULL;
	req->agg_in = false;
	req->zerocopy = false;
	req->status = 0;
	req->seq = 0;
	req->text_len = 0;
	req->head = NULL;
	req->head_len = 0;
	req->body_off = 0;
	req->body_len = 0;
	req->op = op;
}

int esf_req_submit(struct esf_req *req);
void esf_req_refuse(struct esf_req *req, int err);

#endif /* _ESF_OPS_H */
