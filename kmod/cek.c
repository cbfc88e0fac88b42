// SPDX-License-Identifier: GPL-2.0
/*
 * Content keys of key-wrap sessions.
 *
 * A kw(aes) session holds a key-encryption key (KEK) in a kw(aes)
 * transform, the crypto API's RFC 3394 key wrap. Each SEAL makes a fresh
 * content-encryption key (CEK) from the kernel's RNG, wraps it with the
 * KEK for the record's header and encrypts the text under it with
 * AES-GCM; OPEN unwraps the CEK, which fails unless the KEK wrapped it,
 * and decrypts. The CEK lives on the stack of the submitting thread
 * between those steps and is wiped at once; it reaches no user buffer, no
 * log and no netlink message. Each record keeps its CEK in a transform of
 * its own (a key is per transform, and records of a batch run at the same
 * time), taken from a per-session pool; the last CEK a pooled transform
 * held stays in its key schedule until the next record replaces it or the
 * session is freed, when crypto_free_aead() wipes it.
 */

#include <crypto/aead.h>
#include <crypto/skcipher.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <net/netlink.h>

#include "cek.h"
#include "session.h"

#define CEK_TAG_LEN	16	/* JWE's AES-GCM tag */

static struct esf_cek_tfm *alloc_tfm(struct esf_cek_pool *pool)
{
	struct esf_cek_tfm *t = kzalloc(sizeof(*t), GFP_KERNEL);
	int err;

	if (!t)
		return ERR_PTR(-ENOMEM);
	t->aead = crypto_alloc_aead(pool->name, 0, 0);
	if (IS_ERR(t->aead)) {
		err = PTR_ERR(t->aead);
		kfree(t);
		return ERR_PTR(err == -EEXIST ? -ENOENT : err);
	}
	err = crypto_aead_setauthsize(t->aead, CEK_TAG_LEN);
	if (err) {
		crypto_free_aead(t->aead);
		kfree(t);
		return ERR_PTR(err);
	}
	return t;
}

/**
 * esf_cek_init() - the KEK's transform and the first content transform
 * @s: a kw(aes) session being created; s->kw allocated and keyed
 * @driver: ESF_A_DRIVER, which for these sessions pins the content
 *	cipher's provider (where the text's work is done), or NULL
 * @extack: for the reason of a failure
 *
 * The first content transform is allocated now, so that a provider that
 * cannot serve the session fails its creation, and so that the session
 * can report which driver does the work (esf_session_driver()).
 *
 * Return: 0 or a negative errno.
 */
int esf_cek_init(struct esf_session *s, const char *driver, struct netlink_ext_ack *extack)
{
	struct esf_cek_pool *pool = &s->cek;
	struct esf_cek_tfm *t;

	spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->idle);
	pool->name = kstrdup(driver ?: "gcm(aes)", GFP_KERNEL);
	if (!pool->name)
		return -ENOMEM;
	t = alloc_tfm(pool);
	if (IS_ERR(t)) {
		if (driver)
			NL_SET_ERR_MSG(extack, "esf: no such AES-GCM driver for the content");
		else
			NL_SET_ERR_MSG(extack, "esf: gcm(aes) not available in this kernel");
		kfree(pool->name);
		pool->name = NULL;
		return PTR_ERR(t);
	}
	if (strcmp(crypto_tfm_alg_name(crypto_aead_tfm(t->aead)), "gcm(aes)")) {
		NL_SET_ERR_MSG(extack, "esf: the content driver does not implement gcm(aes)");
		crypto_free_aead(t->aead);
		kfree(t);
		kfree(pool->name);
		pool->name = NULL;
		return -EINVAL;
	}
	s->cek_first = t->aead;
	list_add(&t->node, &pool->idle);
	pool->count = 1;
	return 0;
}

/* Process context (sessions are freed from a workqueue). */
void esf_cek_free(struct esf_session *s)
{
	struct esf_cek_pool *pool = &s->cek;
	struct esf_cek_tfm *t, *next;

	/* Every record has put its transform back: none holds the session. */
	list_for_each_entry_safe(t, next, &pool->idle, node) {
		crypto_free_aead(t->aead);	/* wipes the last CEK */
		kfree(t);
	}
	INIT_LIST_HEAD(&pool->idle);
	kfree(pool->name);
	pool->name = NULL;
}

/**
 * esf_cek_get() - a content transform keyed with @cek
 * @s: the session
 * @cek: the content key, s->cek_len bytes; the caller wipes it
 *
 * Process context: a new transform may have to be allocated.
 *
 * Return: the transform, or an ERR_PTR.
 */
struct esf_cek_tfm *esf_cek_get(struct esf_session *s, const u8 *cek)
{
	struct esf_cek_pool *pool = &s->cek;
	struct esf_cek_tfm *t;
	unsigned long flags;
	int err;

	spin_lock_irqsave(&pool->lock, flags);
	t = list_first_entry_or_null(&pool->idle, struct esf_cek_tfm, node);
	if (t)
		list_del(&t->node);
	spin_unlock_irqrestore(&pool->lock, flags);
	if (!t) {
		t = alloc_tfm(pool);
		if (IS_ERR(t))
			return t;
		spin_lock_irqsave(&pool->lock, flags);
		pool->count++;
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	err = crypto_aead_setkey(t->aead, cek, s->cek_len);
	if (err) {
		esf_cek_put(s, t);
		return ERR_PTR(err);
	}
	return t;
}

/**
 * esf_cek_put() - give a content transform back
 * @s: the session
 * @t: from esf_cek_get()
 *
 * Any context: completions call it.
 */
void esf_cek_put(struct esf_session *s, struct esf_cek_tfm *t)
{
	unsigned long flags;

	spin_lock_irqsave(&s->cek.lock, flags);
	list_add(&t->node, &s->cek.idle);
	spin_unlock_irqrestore(&s->cek.lock, flags);
}

/* RFC 3394 through the crypto API: @iv is the integrity check value A. */
static int kw_run(struct esf_session *s, bool wrap, u8 *iv, const u8 *in, u8 *out)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(req, s->kw);
	struct scatterlist src, dst;
	int err;

	sg_init_one(&src, in, s->cek_len);
	sg_init_one(&dst, out, s->cek_len);
	skcipher_request_set_sync_tfm(req, s->kw);
	skcipher_request_set_callback(req, 0, NULL, NULL);
	skcipher_request_set_crypt(req, &src, &dst, s->cek_len, iv);
	err = wrap ? crypto_skcipher_encrypt(req) : crypto_skcipher_decrypt(req);
	skcipher_request_zero(req);
	return err;
}

/**
 * esf_cek_wrap() - make a fresh content key and wrap it with the KEK
 * @s: a kw(aes) session
 * @cek: receives s->cek_len random bytes; the caller wipes them
 * @wrapped: receives the JWE encrypted key, ESF_KW_ICV_LEN + s->cek_len
 *	bytes
 *
 * Return: 0 or a negative errno.
 */
int esf_cek_wrap(struct esf_session *s, u8 *cek, u8 *wrapped)
{
	get_random_bytes(cek, s->cek_len);
	return kw_run(s, true, wrapped, cek, wrapped + ESF_KW_ICV_LEN);
}

/**
 * esf_cek_unwrap() - recover a content key the KEK wrapped
 * @s: a kw(aes) session
 * @wrapped: the JWE encrypted key, ESF_KW_ICV_LEN + s->cek_len bytes
 * @cek: receives the content key; the caller wipes it
 *
 * Return: 0, or -EBADMSG when the KEK did not wrap it (RFC 3394's
 * integrity check), or another negative errno.
 */
int esf_cek_unwrap(struct esf_session *s, const u8 *wrapped, u8 *cek)
{
	u8 icv[ESF_KW_ICV_LEN];
	int err;

	memcpy(icv, wrapped, sizeof(icv));
	err = kw_run(s, false, icv, wrapped + ESF_KW_ICV_LEN, cek);
	memzero_explicit(icv, sizeof(icv));
	if (err)
		memzero_explicit(cek, s->cek_len);
	return err;
}
