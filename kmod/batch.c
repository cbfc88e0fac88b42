// SPDX-License-Identifier: GPL-2.0
/*
 * Batches: submission and completion, for every front end.
 *
 * A front end fills in its records' requests (esf_req_init(), the work
 * area, where the output goes) and calls esf_batch_run(), which submits
 * them in order, so that SEAL's sequence numbers follow record order.
 * Records may complete out of order on an asynchronous provider; the
 * batch counts them, and the last one calls the front end's finished().
 */

#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "arena.h"
#include "batch.h"
#include "session.h"

/*
 * Records outstanding on off-CPU providers, across every front end. A
 * device queue that fills up is the driver's business (the crypto API
 * backlog exists for it), but not every driver retries a full queue
 * correctly: the virtio-crypto driver in 6.1 and 6.12 overwrites a CBC
 * decryption's IV before it finds its virtqueue full, and the crypto
 * engine's retry then decrypts the first block with the wrong IV, after
 * authenc has already verified the tag. Keeping esf's own load below the
 * device queue depth keeps such drivers on their tested path; the backlog
 * is still used.
 */
static unsigned int max_inflight = 128;
module_param(max_inflight, uint, 0644);
MODULE_PARM_DESC(max_inflight,
		 "Most records outstanding on off-CPU providers at once, all sockets together; 0: no limit (default 128)");

static atomic_t inflight = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(inflight_wq);

int esf_batch_init(struct esf_batch *b, struct esf_session *s, u8 front, atomic_t *charged,
		   esf_batch_done_t finished, void *owner)
{
	memset(b, 0, sizeof(*b));
	b->s = s;
	b->front = front;
	b->charged = charged;
	b->finished = finished;
	b->owner = owner;
	b->req_size = ALIGN(esf_req_size(s), ARCH_KMALLOC_MINALIGN);
	return 0;
}

/* Requests hold nonces, MACs and content keys' transforms: wiped. */
void esf_batch_free(struct esf_batch *b)
{
	unsigned int i;

	for (i = 0; i < b->nreqs; i++)
		kfree_sensitive(b->reqs[i]);
	kvfree(b->reqs);
	b->reqs = NULL;
	b->nreqs = 0;
	b->cap = 0;
}

/* Requests for @n records; kept for later batches. */
int esf_batch_reserve(struct esf_batch *b, unsigned int n)
{
	unsigned int cap;
	void *p;

	if (n > b->cap) {
		cap = max(n, 2 * b->cap);
		p = esf_grow(b->reqs, b->cap, cap, sizeof(*b->reqs), b->charged);
		if (!p)
			return -ENOMEM;
		b->reqs = p;
		b->cap = cap;
	}
	while (b->nreqs < n) {
		b->reqs[b->nreqs] = kmalloc(b->req_size, GFP_KERNEL_ACCOUNT);
		if (!b->reqs[b->nreqs])
			return -ENOMEM;
		b->nreqs++;
		atomic_add(b->req_size, b->charged);
	}
	return 0;
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
static bool throttled(const struct esf_batch *b)
{
	return b->s->provider & ESF_PROVIDER_HW;
}

static void finished(struct esf_batch *b)
{
	/* Publishes every record's result to esf_batch_done(). */
	smp_store_release(&b->done, true);
	b->finished(b);
}

static void record_done(struct esf_req *req)
{
	struct esf_batch *b = req->owner;

	if (throttled(b))
		inflight_put();
	if (atomic_dec_and_test(&b->pending))
		finished(b);
}

/**
 * esf_batch_run() - submit records 0..@n-1 of @b, in order
 * @b: the batch; each request initialised by the front end
 * @n: records
 * @timeo: how long to wait for room under max_inflight (jiffies;
 *	MAX_SCHEDULE_TIMEOUT: no limit, 0: not at all)
 *
 * Process context. Completions free room whatever the caller does. The
 * wait follows @timeo and ends on a signal: then the rest of the batch is
 * not submitted and fails with -EAGAIN or -EINTR (a SEAL not run takes no
 * sequence number). finished() is called once, after the last record,
 * perhaps before this returns; pending starts at one for this function,
 * so that a completion racing the loop cannot finish the batch early.
 */
void esf_batch_run(struct esf_batch *b, unsigned int n, long timeo)
{
	bool throttle = throttled(b);
	unsigned int i, zc = 0, ran = 0;
	long left;

	b->done = false;
	atomic_set(&b->pending, 1);
	for (i = 0; i < n; i++) {
		struct esf_req *req = esf_batch_req(b, i);

		req->owner = b;
		req->done = record_done;
		req->may_sleep = true;
		if (throttle) {
			left = wait_event_interruptible_timeout(inflight_wq, inflight_get(), timeo);
			if (left <= 0) {
				for (; i < n; i++)
					esf_req_refuse(esf_batch_req(b, i),
						       left ? -EINTR : -EAGAIN);
				break;
			}
		}
		zc += req->zerocopy;
		ran++;
		atomic_inc(&b->pending);
		if (esf_req_submit(req) != -EINPROGRESS) {
			atomic_dec(&b->pending);
			if (throttle)
				inflight_put();
		}
	}
	/* Counted once a batch: which front end ran how many records. */
	esf_session_stat_add(b->s, b->front, ran);
	if (zc)
		esf_session_stat_add(b->s, ESF_STAT_ZEROCOPY, zc);
	if (atomic_dec_and_test(&b->pending))
		finished(b);
}
