// SPDX-License-Identifier: GPL-2.0
/*
 * The crypto API's own limit, for esf-bench: the session's transform run in
 * a loop on a kernel buffer, one request after the other, waiting for each
 * (so an asynchronous provider is measured the way the fast path's single
 * records use it). Nothing of the fast path runs, nothing computed leaves
 * the kernel, and no sequence number is taken: with a fixed IV the output
 * would be unsafe to show, so it is never shown. Admin only (netlink.c).
 */

#include <crypto/aead.h>
#include <crypto/hash.h>
#include <linux/ktime.h>
#include <linux/netlink.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "bench.h"
#include "session.h"

/* Check the loop's exit conditions this often. */
#define BENCH_CHECK_EVERY	64

static bool interrupted(u32 i)
{
	if (i % BENCH_CHECK_EVERY)
		return false;
	cond_resched();
	return fatal_signal_pending(current);
}

/* @buf holds @aad_len + @size + tag bytes, then the IV (not on the stack:
 * providers may DMA from it).
 */
static int aead_loop(struct esf_session *s, u8 *buf, u32 size, u32 aad_len,
		     u32 iterations)
{
	struct aead_request *req = aead_request_alloc(s->aead, GFP_KERNEL);
	u32 len = aad_len + size + crypto_aead_authsize(s->aead), i;
	u8 *iv = buf + aad_len + size + ESF_TAG_MAX;
	DECLARE_CRYPTO_WAIT(wait);
	struct scatterlist sg;
	int err = 0;

	if (!req)
		return -ENOMEM;
	/* CCM's first IV byte is its length field size less one. */
	if (s->alg->id == ESF_ALG_CCM_AES)
		iv[0] = 2;
	sg_init_one(&sg, buf, len);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	for (i = 0; i < iterations && !err; i++) {
		if (interrupted(i)) {
			err = -EINTR;
			break;
		}
		/* Each request encrypts the last one's output: contents do not matter. */
		aead_request_set_crypt(req, &sg, &sg, size, iv);
		aead_request_set_ad(req, aad_len);
		err = crypto_wait_req(crypto_aead_encrypt(req), &wait);
	}
	aead_request_free(req);
	return err;
}

static int ahash_loop(struct esf_session *s, u8 *buf, u32 size, u32 iterations)
{
	struct ahash_request *req = ahash_request_alloc(s->ahash, GFP_KERNEL);
	u8 *digest = kmalloc(crypto_ahash_digestsize(s->ahash), GFP_KERNEL);
	DECLARE_CRYPTO_WAIT(wait);
	struct scatterlist sg;
	int err = 0;
	u32 i;

	if (!req || !digest) {
		err = -ENOMEM;
		goto out;
	}
	sg_init_one(&sg, buf, max_t(u32, size, 1));
	ahash_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP,
				   crypto_req_done, &wait);
	for (i = 0; i < iterations && !err; i++) {
		if (interrupted(i)) {
			err = -EINTR;
			break;
		}
		ahash_request_set_crypt(req, &sg, digest, size);
		err = crypto_wait_req(crypto_ahash_digest(req), &wait);
	}
out:
	kfree(digest);
	ahash_request_free(req);
	return err;
}

/**
 * esf_bench_run() - time @iterations requests on the session's transform
 * @s: session (the caller holds a reference)
 * @size: payload bytes per request (authenc rounds it up to the block)
 * @aad_len: AAD bytes per AEAD request
 * @iterations: requests to run
 * @nsec: receives the loop's wall time
 * @extack: for the reason of a refusal
 *
 * Return: 0, -EOPNOTSUPP (rfc4106(gcm(aes)), whose AAD layout is IPsec's;
 * kw(aes), whose transform per record is the fast path's own doing; group
 * sessions, whose keys are per epoch),
 * -EINVAL (AAD for a MIC session), -EINTR (fatal signal), -ENOMEM, or the
 * provider's error.
 */
int esf_bench_run(struct esf_session *s, u32 size, u32 aad_len, u32 iterations,
		  u64 *nsec, struct netlink_ext_ack *extack)
{
	bool aead = s->alg->kind == ESF_KIND_AEAD;
	u64 start;
	u8 *buf;
	int err;

	/* A group session's own transform holds no key: its epochs do. */
	if (s->alg->id == ESF_ALG_RFC4106_GCM_AES || s->alg->kind == ESF_KIND_KW || s->group) {
		NL_SET_ERR_MSG(extack,
			       "esf: bench does not run rfc4106(gcm(aes)), kw(aes) or group sessions");
		return -EOPNOTSUPP;
	}
	if (!aead && aad_len) {
		NL_SET_ERR_MSG(extack, "esf: MIC sessions take no AAD");
		return -EINVAL;
	}
	if (s->alg->pad_block)
		size = round_up(size, s->alg->pad_block);
	/* kmalloc: contiguous and DMA-able, as off-CPU providers need. */
	buf = kzalloc(aad_len + size + ESF_TAG_MAX + 16, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	start = ktime_get_ns();
	if (aead)
		err = aead_loop(s, buf, size, aad_len, iterations);
	else
		err = ahash_loop(s, buf, size, iterations);
	*nsec = ktime_get_ns() - start;
	kfree_sensitive(buf);
	return err;
}
