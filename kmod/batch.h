/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Batches: the records one front end submits together. The engine every
 * front end shares (the AF_ALG socket, /dev/esf): the records' requests,
 * kept between batches; submission in record order, under the in-flight
 * limit for off-CPU providers; and completion, however the provider
 * orders it, with one call to the front end when the last record is done.
 */
#ifndef _ESF_BATCH_H
#define _ESF_BATCH_H

#include <linux/atomic.h>
#include <linux/types.h>

#include "ops.h"

struct esf_batch;

typedef void (*esf_batch_done_t)(struct esf_batch *b);

struct esf_batch {
	struct esf_session *s;
	/*
	 * One kmalloc'ed request per record, kept between batches. Not one
	 * array: drivers DMA into request contexts (virtio-crypto maps its
	 * status byte there), which vmalloc memory, where a large kvmalloc
	 * array would land, cannot take.
	 */
	struct esf_req **reqs;
	unsigned int nreqs, cap, req_size;
	atomic_t *charged;		/* the front end's memory charge */
	u8 front;			/* enum esf_stat: ESF_STAT_SOCKET, ... */
	esf_batch_done_t finished;	/* the last completion, any context */
	void *owner;			/* the front end's */
	atomic_t pending;
	bool done;
};

int esf_batch_init(struct esf_batch *b, struct esf_session *s, u8 front, atomic_t *charged,
		   esf_batch_done_t finished, void *owner);
void esf_batch_free(struct esf_batch *b);
int esf_batch_reserve(struct esf_batch *b, unsigned int n);
void esf_batch_run(struct esf_batch *b, unsigned int n, long timeo);

static inline struct esf_req *esf_batch_req(const struct esf_batch *b, unsigned int i)
{
	return b->reqs[i];
}

/* Whether the batch's last record has completed. */
static inline bool esf_batch_done(const struct esf_batch *b)
{
	/* Pairs with the release at the last completion: results are visible. */
	return smp_load_acquire(&b->done);
}

#endif /* _ESF_BATCH_H */
