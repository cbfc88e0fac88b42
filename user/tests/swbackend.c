// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Software backend imitating esf.ko's record semantics with OpenSSL
 * (kw(aes) too: a fresh content key per record, RFC 3394-wrapped):
 * nonce = salt || 64-bit big-endian counter, SEAL output nonce || ct ||
 * tag, OPEN checks salt (-ENOMSG), replay window and tag (window updated only after
 * the tag verified), SIGN/VERIFY are HMAC truncated to the tag length. The
 * errors are the ones the uAPI header documents, so that tests of the
 * envelope code see what they would see against the kernel.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "esf_backend.h"
#include "swbackend.h"

#define WINDOW_BITS 1024
/* A kw(aes) record's prefix: the wrapped 256-bit content key and the IV. */
#define ESF_KW_PREFIX_MAX (8 + 32 + ESF_NONCE_LEN)

struct sw_state {
	uint8_t key[ESF_KEY_MAX];
	size_t key_len;
	uint8_t salt[ESF_SALT_LEN];
	uint64_t next_seq;
	bool exhausted;
	uint32_t window;
	bool seen_any;
	uint64_t highest;
	uint64_t bits[WINDOW_BITS / 64];
	uint8_t bound_class, bound_type;
	/* kw(aes): content key length, and the prefixes of the records opened. */
	uint8_t cek_len;
	uint8_t (*seen)[ESF_KW_PREFIX_MAX];
	size_t nseen;
};

static bool is_aead(const struct esf_session *s)
{
	return !esf_info_is_mic(&s->info);
}

static bool is_kw(const struct esf_session *s)
{
	return s->info.alg == ESF_ALG_KW_AES;
}

static const EVP_CIPHER *gcm(size_t key_len)
{
	switch (key_len) {
	case 16:
		return EVP_aes_128_gcm();
	case 24:
		return EVP_aes_192_gcm();
	case 32:
		return EVP_aes_256_gcm();
	default:
		return NULL;
	}
}

static const EVP_MD *digest(uint8_t alg)
{
	switch (alg) {
	case ESF_ALG_HMAC_SHA256:
		return EVP_sha256();
	case ESF_ALG_HMAC_SHA384:
		return EVP_sha384();
	case ESF_ALG_HMAC_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* One AES-GCM pass under @key; returns 0 or -EBADMSG (decrypt: bad tag). */
static int gcm_key(const uint8_t *key, size_t key_len, bool enc, const uint8_t *nonce,
		   const void *aad, size_t aad_len, const uint8_t *in,
		   size_t len, uint8_t *out, uint8_t *tag, size_t tag_len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t none[1];
	int n, ok;

	if (!out)
		out = none;

	ok = c && EVP_CipherInit_ex(c, gcm(key_len), NULL, NULL, NULL, enc) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, ESF_NONCE_LEN, NULL) &&
	     EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) &&
	     (!aad_len || EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len)) &&
	     (!len || EVP_CipherUpdate(c, out, &n, in, (int)len));
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, (int)tag_len, tag);
	if (ok)
		ok = EVP_CipherFinal_ex(c, out + len, &n);
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, (int)tag_len, tag);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EBADMSG;
}

static int gcm_run(const struct sw_state *st, bool enc, const uint8_t *nonce,
		   const void *aad, size_t aad_len, const uint8_t *in,
		   size_t len, uint8_t *out, uint8_t *tag, size_t tag_len)
{
	return gcm_key(st->key, st->key_len, enc, nonce, aad, aad_len, in, len, out, tag,
		       tag_len);
}

static const EVP_CIPHER *aes_wrap(size_t key_len)
{
	return key_len == 16 ? EVP_aes_128_wrap() : key_len == 24 ? EVP_aes_192_wrap() :
	       EVP_aes_256_wrap();
}

/* RFC 3394 with the KEK: @in is cek_len bytes, @out 8 more (wrap). */
static int kw_run(const struct sw_state *st, bool wrap, const uint8_t *in, size_t len,
		  uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	if (c)
		EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	ok = c && EVP_CipherInit_ex(c, aes_wrap(st->key_len), NULL, st->key, NULL, wrap) &&
	     EVP_CipherUpdate(c, out, &n, in, (int)len) &&
	     (size_t)n == (wrap ? len + 8 : len - 8);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EBADMSG;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Input of a record: in || in2 as one buffer (caller frees). */
static uint8_t *gather(const struct esf_op *op, size_t *len)
{
	uint8_t *b = malloc(op->in_len + op->in2_len + 1);

	if (!b)
		return NULL;
	if (op->in_len)
		memcpy(b, op->in, op->in_len);
	if (op->in2_len)
		memcpy(b + op->in_len, op->in2, op->in2_len);
	*len = op->in_len + op->in2_len;
	return b;
}

static int do_seal(struct esf_session *s, struct sw_state *st, struct esf_op *op)
{
	uint8_t *out = op->out;
	size_t len;
	uint8_t *in = gather(op, &len);
	int err;

	if (!in)
		return -ENOMEM;
	if (st->exhausted) {
		free(in);
		return -EKEYEXPIRED;
	}
	if (is_kw(s)) {
		uint8_t cek[32];

		/* A fresh content key, wrapped ahead of the IV. */
		RAND_bytes(cek, st->cek_len);
		err = kw_run(st, true, cek, st->cek_len, out);
		out += 8 + st->cek_len;
		memcpy(out, st->salt, ESF_SALT_LEN);
		put_be64(out + ESF_SALT_LEN, st->next_seq);
		if (!err)
			err = gcm_key(cek, st->cek_len, true, out, op->aad, op->aad_len, in, len,
				      out + ESF_NONCE_LEN, out + ESF_NONCE_LEN + len,
				      s->info.tag_len);
		OPENSSL_cleanse(cek, sizeof(cek));
	} else {
		memcpy(out, st->salt, ESF_SALT_LEN);
		put_be64(out + ESF_SALT_LEN, st->next_seq);
		err = gcm_run(st, true, out, op->aad, op->aad_len, in, len,
			      out + ESF_NONCE_LEN, out + ESF_NONCE_LEN + len, s->info.tag_len);
	}
	free(in);
	if (err)
		return -EIO;
	op->seq = st->next_seq;
	/* The counter never wraps: the last value is spent for good. */
	if (st->next_seq == UINT64_MAX)
		st->exhausted = true;
	else
		st->next_seq++;
	op->out_len = len + s->info.nonce_len + s->info.tag_len;
	return 0;
}

static bool bit(const struct sw_state *st, uint64_t seq)
{
	return st->bits[(seq % WINDOW_BITS) / 64] >> (seq % 64) & 1;
}

static void set_bit(struct sw_state *st, uint64_t seq, bool on)
{
	uint64_t m = 1ULL << (seq % 64);

	if (on)
		st->bits[(seq % WINDOW_BITS) / 64] |= m;
	else
		st->bits[(seq % WINDOW_BITS) / 64] &= ~m;
}

static int replay_check(const struct sw_state *st, uint64_t seq)
{
	if (!st->window || !st->seen_any || seq > st->highest)
		return 0;
	if (st->highest - seq >= st->window)
		return -ESTALE;
	return bit(st, seq) ? -EALREADY : 0;
}

static void replay_commit(struct sw_state *st, uint64_t seq)
{
	if (!st->window)
		return;
	if (!st->seen_any || seq > st->highest) {
		uint64_t from = st->seen_any ? st->highest + 1 : seq;

		if (seq - from >= WINDOW_BITS)
			memset(st->bits, 0, sizeof(st->bits));
		else
			for (uint64_t q = from; q < seq; q++)
				set_bit(st, q, false);
		st->highest = seq;
		st->seen_any = true;
	}
	set_bit(st, seq, true);
}

/*
 * kw(aes): any IV; a replay is a prefix (wrapped key and IV) seen before,
 * remembered once the record opened, the oldest forgotten beyond the
 * window, as the kernel's replay record does.
 */
static bool kw_seen(const struct sw_state *st, const uint8_t *prefix, size_t n)
{
	for (size_t i = 0; i < st->nseen; i++)
		if (!memcmp(st->seen[i], prefix, n))
			return true;
	return false;
}

static void kw_remember(struct sw_state *st, const uint8_t *prefix, size_t n)
{
	if (!st->window)
		return;
	if (st->nseen == st->window) {
		memmove(st->seen, st->seen + 1, (st->nseen - 1) * sizeof(*st->seen));
		st->nseen--;
	}
	memcpy(st->seen[st->nseen++], prefix, n);
}

static int kw_open(struct esf_session *s, struct sw_state *st, struct esf_op *op)
{
	size_t pre = s->info.nonce_len, over = pre + s->info.tag_len, len, pt_len;
	uint8_t *in = gather(op, &len), cek[32];
	int err;

	if (!in)
		return -ENOMEM;
	err = len < over ? -EBADMSG : kw_seen(st, in, pre) ? -EALREADY : 0;
	pt_len = len < over ? 0 : len - over;
	if (!err)
		err = kw_run(st, false, in, 8 + st->cek_len, cek);
	if (!err)
		err = gcm_key(cek, st->cek_len, false, in + pre - ESF_NONCE_LEN, op->aad,
			      op->aad_len, in + pre, pt_len, op->out,
			      in + len - s->info.tag_len, s->info.tag_len);
	OPENSSL_cleanse(cek, sizeof(cek));
	if (!err)
		kw_remember(st, in, pre);
	free(in);
	if (err) {
		if (pt_len)
			memset(op->out, 0, pt_len);
		return err;
	}
	op->out_len = pt_len;
	return 0;
}

static int do_open(struct esf_session *s, struct sw_state *st, struct esf_op *op)
{
	size_t over = ESF_NONCE_LEN + s->info.tag_len, len, pt_len;
	uint8_t *in = gather(op, &len);
	uint64_t seq;
	int err;

	if (is_kw(s)) {
		free(in);
		return kw_open(s, st, op);
	}
	if (!in)
		return -ENOMEM;
	/* As the kernel: too short is a bad record, another salt a foreign one. */
	err = len < over ? -EBADMSG : memcmp(in, st->salt, ESF_SALT_LEN) ? -ENOMSG : 0;
	pt_len = len < over ? 0 : len - over;
	seq = err ? 0 : get_be64(in + ESF_SALT_LEN);
	if (!err)
		err = replay_check(st, seq);
	if (!err)
		err = gcm_run(st, false, in, op->aad, op->aad_len, in + ESF_NONCE_LEN,
			      pt_len, op->out, in + len - s->info.tag_len,
			      s->info.tag_len);
	free(in);
	if (err) {
		if (pt_len)
			memset(op->out, 0, pt_len);
		return err;
	}
	replay_commit(st, seq);
	op->seq = seq;
	op->out_len = pt_len;
	return 0;
}

static int hmac(const struct esf_session *s, const struct sw_state *st,
		const uint8_t *in, size_t len, uint8_t *md)
{
	unsigned int md_len = 0;

	if (!HMAC(digest(s->info.alg), st->key, (int)st->key_len, in, len, md, &md_len))
		return -EIO;
	return 0;
}

static int do_sign(struct esf_session *s, struct sw_state *st, struct esf_op *op)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t len;
	uint8_t *in = gather(op, &len);
	int err = in ? hmac(s, st, in, len, md) : -ENOMEM;

	free(in);
	if (err)
		return err;
	memcpy(op->out, md, s->info.tag_len);
	op->out_len = s->info.tag_len;
	return 0;
}

static int do_verify(struct esf_session *s, struct sw_state *st, struct esf_op *op)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t len, t = s->info.tag_len;
	uint8_t *in = gather(op, &len);
	int err;

	if (!in)
		return -ENOMEM;
	err = len < t ? -EBADMSG : hmac(s, st, in, len - t, md);
	if (!err && CRYPTO_memcmp(md, in + len - t, t))
		err = -EBADMSG;
	free(in);
	return err;
}

/* The per-record refusals the kernel reports in esf_res.status. */
static int refusal(const struct esf_session *s, const struct sw_state *st,
		   const struct esf_op *op)
{
	bool sending = op->op == ESF_OP_SEAL || op->op == ESF_OP_SIGN;
	bool aead_op = op->op == ESF_OP_SEAL || op->op == ESF_OP_OPEN;

	if (aead_op != is_aead(s))
		return -EOPNOTSUPP;
	if (!(s->info.direction & (sending ? ESF_DIR_SEAL : ESF_DIR_OPEN)))
		return -EPERM;
	if ((st->bound_class && s->data_class != st->bound_class) ||
	    (st->bound_type && s->session_type != st->bound_type))
		return -EKEYREJECTED;
	return 0;
}

static size_t slot(const struct esf_session *s, const struct esf_op *op)
{
	size_t over = (size_t)s->info.nonce_len + s->info.tag_len, in = op->in_len + op->in2_len;

	switch (op->op) {
	case ESF_OP_SEAL:
		return in + over;
	case ESF_OP_OPEN:
		return in > over ? in - over : 0;
	case ESF_OP_SIGN:
		return s->info.tag_len;
	default:
		return 0;
	}
}

/* sendmsg(2)'s refusals: the whole batch fails and nothing is consumed. */
static int framing(const struct esf_session *s, const struct esf_op *ops, size_t n)
{
	if (n > ESF_MAX_BATCH)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++) {
		if (ops[i].op < ESF_OP_SEAL || ops[i].op > ESF_OP_VERIFY)
			return -EINVAL;
		if (ops[i].aad_len && ops[i].op >= ESF_OP_SIGN)
			return -EINVAL;
		/* The kernel's rule: payloads up to max_data, records up to
		 * ESF_MAX_RECORD.
		 */
		if (ops[i].aad_len > s->info.max_aad ||
		    ops[i].in_len + ops[i].in2_len >
		    (ops[i].op == ESF_OP_SEAL || ops[i].op == ESF_OP_SIGN ?
		     s->info.max_data : ESF_MAX_RECORD))
			return -EMSGSIZE;
	}
	return 0;
}

static int run_one(struct esf_session *s, struct sw_state *st, struct esf_op *op)
{
	size_t need = slot(s, op);
	int err = refusal(s, st, op);

	if (err)
		return err;
	if (need > op->out_size || (need && !op->out))
		return -ENOSPC;
	switch (op->op) {
	case ESF_OP_SEAL:
		return do_seal(s, st, op);
	case ESF_OP_OPEN:
		return do_open(s, st, op);
	case ESF_OP_SIGN:
		return do_sign(s, st, op);
	default:
		return do_verify(s, st, op);
	}
}

static int sw_batch(struct esf_session *s, struct esf_op *ops, size_t n)
{
	int err = framing(s, ops, n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		ops[i].out_len = 0;
		ops[i].seq = 0;
		ops[i].status = run_one(s, s->priv, &ops[i]);
		if (ops[i].status)
			ops[i].out_len = 0;
	}
	return 0;
}

static void sw_close(struct esf_session *s)
{
	struct sw_state *st = s->priv;

	if (st) {
		free(st->seen);
		OPENSSL_cleanse(st, sizeof(*st));
	}
	free(st);
}

static const struct esf_session_ops sw_ops = {
	.batch = sw_batch,
	.close = sw_close,
};

static void fill_info(const struct sw_params *p, struct esf_session_info *info)
{
	bool aead = p->alg < ESF_ALG_HMAC_SHA256 || p->alg == ESF_ALG_KW_AES;
	uint8_t cek = p->cek_len ? p->cek_len : (uint8_t)p->key_len;

	memset(info, 0, sizeof(*info));
	info->session_id = 1;
	info->alg = p->alg;
	info->direction = p->direction ? p->direction : ESF_DIR_BOTH;
	info->session_type = p->bound_type;
	info->data_class = p->bound_class;
	info->tag_len = p->tag_len ? p->tag_len :
		aead ? 16 : (uint8_t)EVP_MD_get_size(digest(p->alg));
	info->nonce_len = p->alg == ESF_ALG_KW_AES ? 8 + cek + ESF_NONCE_LEN :
			  aead ? ESF_NONCE_LEN : 0;
	info->cek_len = p->alg == ESF_ALG_KW_AES ? cek : 0;
	info->key_len = (uint32_t)p->key_len;
	info->max_aad = p->alg == ESF_ALG_RFC4106_GCM_AES ? 12 : ESF_MAX_AAD;
	info->max_data = ESF_MAX_DATA;
	if (p->key_id) {
		info->key_id_len = (uint8_t)strlen(p->key_id);
		memcpy(info->key_id, p->key_id, info->key_id_len);
	}
	strcpy(info->driver, "sw-openssl");
}

struct esf_session *sw_session(const struct sw_params *p,
			       unsigned int data_class,
			       unsigned int session_type)
{
	struct esf_session_info info;
	struct sw_state *st;
	struct esf_session *s;

	if (p->key_len > ESF_KEY_MAX || (p->key_id && strlen(p->key_id) > ESF_KEY_ID_MAX) ||
	    (p->alg == ESF_ALG_KW_AES ? !gcm(p->key_len) || (p->cek_len && !gcm(p->cek_len)) :
	     p->alg < ESF_ALG_HMAC_SHA256 ? !gcm(p->key_len) : !digest(p->alg)))
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	memcpy(st->key, p->key, p->key_len);
	st->key_len = p->key_len;
	memcpy(st->salt, p->salt, ESF_SALT_LEN);
	st->next_seq = p->seq_start;
	st->window = p->replay_window > WINDOW_BITS ? WINDOW_BITS : p->replay_window;
	st->bound_class = p->bound_class;
	st->bound_type = p->bound_type;
	if (p->alg == ESF_ALG_KW_AES) {
		st->cek_len = p->cek_len ? p->cek_len : (uint8_t)p->key_len;
		st->seen = calloc(st->window ? st->window : 1, sizeof(*st->seen));
		if (!st->seen) {
			free(st);
			return NULL;
		}
	}
	fill_info(p, &info);
	s = esf_session_new_backend(&sw_ops, &info, data_class, session_type, st);
	if (!s) {
		free(st->seen);
		free(st);
	}
	return s;
}
