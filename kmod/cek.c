// SPDX-License-Identifier: GPL-2.0
/*
 * Content keys of key-wrap sessions.
 *
 * A kw(aes) session holds a key-encryption key (KEK) as an AES key
 * schedule of the kernel's AES library, and wraps with it by RFC 3394,
 * done here. The crypto API's "kw(aes)" template is not used: upstream
 * removed it (7.x kernels have none), and a wrap is six rounds over two to
 * four 64-bit halves, one AES block each, which the library does in place
 * on the CPU without a request or a scatterlist. Each SEAL makes a fresh
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
#include <crypto/algapi.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <net/netlink.h>

#include "cek.h"
#include "compat.h"
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

/* RFC 3394 2.2.3.1: the default initial value, A's value on a good unwrap. */
static const u8 kw_iv[ESF_KW_ICV_LEN] = {
	0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6,
};

/**
 * esf_cek_setkek() - set a key-wrap session's key-encryption key
 * @s: a kw(aes) session being created
 * @key: the KEK
 * @len: 16, 24 or 32
 *
 * Return: 0, or -ENOMEM, or -EINVAL for another length.
 */
int esf_cek_setkek(struct esf_session *s, const u8 *key, unsigned int len)
{
	if (!s->kek) {
		s->kek = kzalloc(sizeof(*s->kek), GFP_KERNEL);
		if (!s->kek)
			return -ENOMEM;
	}
	return esf_aes_setkey(s->kek, key, len);
}

/* Any context. The KEK's schedule is wiped with the allocation. */
void esf_cek_freekek(struct esf_session *s)
{
	kfree_sensitive(s->kek);
	s->kek = NULL;
}

/* The step counter t of RFC 3394 2.2.1, XORed into A (big-endian). */
static void xor_step(u8 *a, u64 t)
{
	int i;

	for (i = ESF_KW_ICV_LEN - 1; i >= 0 && t; i--, t >>= 8)
		a[i] ^= t & 0xff;
}

/**
 * esf_cek_wrap() - make a fresh content key and wrap it with the KEK
 * @s: a kw(aes) session
 * @cek: receives s->cek_len random bytes; the caller wipes them
 * @wrapped: receives the JWE encrypted key, ESF_KW_ICV_LEN + s->cek_len
 *	bytes
 *
 * RFC 3394 2.2.1, index-based: the halves are worked on in a stack buffer,
 * so that @wrapped never holds the content key, even for a moment.
 *
 * Return: 0.
 */
int esf_cek_wrap(struct esf_session *s, u8 *cek, u8 *wrapped)
{
	unsigned int n = s->cek_len / 8, i, j;
	u8 r[ESF_KW_ICV_LEN + 32], in[AES_BLOCK_SIZE], out[AES_BLOCK_SIZE];
	u64 t = 0;

	get_random_bytes(cek, s->cek_len);
	memcpy(out, kw_iv, ESF_KW_ICV_LEN);
	memcpy(r + ESF_KW_ICV_LEN, cek, s->cek_len);
	for (j = 0; j < 6; j++) {
		for (i = 1; i <= n; i++) {
			memcpy(in, out, ESF_KW_ICV_LEN);
			memcpy(in + ESF_KW_ICV_LEN, r + 8 * i, 8);
			esf_aes_encrypt(s->kek, out, in);
			xor_step(out, ++t);
			memcpy(r + 8 * i, out + ESF_KW_ICV_LEN, 8);
		}
	}
	memcpy(r, out, ESF_KW_ICV_LEN);
	memcpy(wrapped, r, ESF_KW_ICV_LEN + s->cek_len);
	memzero_explicit(r, sizeof(r));
	memzero_explicit(in, sizeof(in));
	memzero_explicit(out, sizeof(out));
	return 0;
}

/**
 * esf_cek_unwrap() - recover a content key the KEK wrapped
 * @s: a kw(aes) session
 * @wrapped: the JWE encrypted key, ESF_KW_ICV_LEN + s->cek_len bytes
 * @cek: receives the content key; the caller wipes it
 *
 * RFC 3394 2.2.2 and 2.2.3: @cek is written only when the integrity check
 * passes, compared in constant time.
 *
 * Return: 0, or -EBADMSG when the KEK did not wrap it.
 */
int esf_cek_unwrap(struct esf_session *s, const u8 *wrapped, u8 *cek)
{
	unsigned int n = s->cek_len / 8, i, j;
	u8 r[ESF_KW_ICV_LEN + 32], in[AES_BLOCK_SIZE], out[AES_BLOCK_SIZE];
	u64 t = 6 * n;
	int err = 0;

	memcpy(r, wrapped, ESF_KW_ICV_LEN + s->cek_len);
	memcpy(out, r, ESF_KW_ICV_LEN);
	for (j = 6; j > 0; j--) {
		for (i = n; i > 0; i--) {
			memcpy(in, out, ESF_KW_ICV_LEN);
			xor_step(in, t--);
			memcpy(in + ESF_KW_ICV_LEN, r + 8 * i, 8);
			esf_aes_decrypt(s->kek, out, in);
			memcpy(r + 8 * i, out + ESF_KW_ICV_LEN, 8);
		}
	}
	if (crypto_memneq(out, kw_iv, ESF_KW_ICV_LEN))
		err = -EBADMSG;
	else
		memcpy(cek, r + ESF_KW_ICV_LEN, s->cek_len);
	memzero_explicit(r, sizeof(r));
	memzero_explicit(in, sizeof(in));
	memzero_explicit(out, sizeof(out));
	return err;
}
