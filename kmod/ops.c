// SPDX-License-Identifier: GPL-2.0
/*
 * One record through a session's transform.
 *
 * A record's work area is a scatterlist laid out by esf_req_layout():
 *
 *   [nonce prefix][AAD][AAD suffix][text][tag or padding + tag]
 *
 * The prefix (authenc: salt || seq || IV) and suffix (rfc4106: the 8-byte
 * ESP IV its template skips) are written here, so that the crypto API sees
 * exactly its own associated-data layout. Everything is done in place.
 *
 * SEAL and SIGN are charged to the lifetimes before the work (a nonce is
 * spent even if the provider fails); OPEN and VERIFY after they succeed,
 * and OPEN commits the replay window only once the tag has verified.
 *
 * A kw(aes) session's record is an AES-GCM record under a content key of
 * its own: its nonce part is that key, wrapped with the session's key
 * (cek.c), then the IV. The AES-GCM work is the same as a gcm(aes)
 * session's, on the record's own transform.
 */

#include <crypto/algapi.h>
#include <crypto/scatterwalk.h>
#include <linux/random.h>

#include "compat.h"
#include "ops.h"
#include "session.h"

/* ccm(aes) takes a 16-byte block: flags (L - 1), the 12-byte nonce, then a
 * 3-byte counter (L = 3) that the template fills in.
 */
#define CCM_L 3

static struct aead_request *areq(struct esf_req *req)
{
	return (struct aead_request *)req->crypto;
}

static struct ahash_request *hreq(struct esf_req *req)
{
	return (struct ahash_request *)req->crypto;
}

unsigned int esf_req_size(const struct esf_session *s)
{
	return sizeof(struct esf_req) +
	       max(sizeof(struct aead_request), sizeof(struct ahash_request)) +
	       s->reqsize;
}

static u32 padded(const struct esf_alg *alg, u32 len)
{
	return alg->pad_block ? (len / alg->pad_block + 1) * alg->pad_block : len;
}

/**
 * esf_req_layout() - where a record goes in its work area
 * @s: session
 * @op: &enum esf_opcode
 * @aad_len: the record's AAD length
 * @data_len: the record's input length
 * @l: filled in
 *
 * Return: 0, or -EINVAL for an unknown operation.
 */
int esf_req_layout(const struct esf_session *s, u8 op, u32 aad_len, u32 data_len,
		   struct esf_layout *l)
{
	const struct esf_alg *alg = s->alg;
	u32 over = s->nonce_len + s->tag_len;

	memset(l, 0, sizeof(*l));
	l->aad_off = alg->prefix;
	l->text_off = alg->prefix + aad_len + alg->aad_suffix;
	/*
	 * DTLS: the kernel writes the whole 13-byte AAD; SEAL's one byte of
	 * caller AAD, the ContentType, lands at its end, to be read first.
	 */
	if (alg->framing == ESF_FRAMING_DTLS12) {
		l->aad_off = ESF_DTLS_AAD_LEN - min_t(u32, aad_len, 1);
		l->text_off = ESF_DTLS_AAD_LEN;
	}
	switch (op) {
	case ESF_OP_SEAL:
		l->area_len = l->text_off + padded(alg, data_len) + s->tag_len;
		l->slot_len = s->nonce_len + padded(alg, data_len) + s->tag_len;
		return 0;
	case ESF_OP_OPEN:
		l->nonce_in = min_t(u32, s->nonce_len, data_len);
		l->area_len = l->text_off + data_len - l->nonce_in;
		l->slot_len = data_len > over ? data_len - over : 0;
		return 0;
	case ESF_OP_SIGN:
	case ESF_OP_VERIFY:
		l->text_off = l->aad_off + aad_len;
		l->area_len = l->text_off + data_len;
		l->slot_len = op == ESF_OP_SIGN ? s->tag_len : 0;
		return 0;
	}
	return -EINVAL;
}

static u32 text_off(const struct esf_req *req)
{
	const struct esf_alg *alg = req->s->alg;

	if (alg->framing == ESF_FRAMING_DTLS12)
		return ESF_DTLS_AAD_LEN;
	return alg->prefix + req->aad_len + alg->aad_suffix;
}

static u32 assoc_len(const struct esf_req *req)
{
	return text_off(req);
}

/* Checks that need no crypto -------------------------------------------- */

static bool op_is_aead(u8 op)
{
	return op == ESF_OP_SEAL || op == ESF_OP_OPEN;
}

static bool op_produces(u8 op)
{
	return op == ESF_OP_SEAL || op == ESF_OP_SIGN;
}

static __always_inline int check_use(struct esf_req *req)
{
	struct esf_session *s = req->s;
	u8 want = op_produces(req->op) ? ESF_DIR_SEAL : ESF_DIR_OPEN;
	bool aead = s->alg->kind != ESF_KIND_MIC;

	if (op_is_aead(req->op) != aead)
		return -EOPNOTSUPP;
	if (!(s->direction & want))
		return -EPERM;
	if ((s->data_class && req->data_class != s->data_class) ||
	    (s->session_type && req->session_type != s->session_type))
		return -EKEYREJECTED;
	/* Not through the pointer where the bound is known: a retpoline less. */
	if (s->alg->any_aad ? req->aad_len > ESF_MAX_AAD : !s->alg->aad_ok(req->aad_len))
		return -EINVAL;
	if (s->alg->framing == ESF_FRAMING_DTLS12) {
		/* SEAL names the ContentType; OPEN reads it from the header. */
		if (req->aad_len != (u32)(req->op == ESF_OP_SEAL ? 1 : 0))
			return -EINVAL;
		if (req->op == ESF_OP_SEAL && req->in_len > ESF_DTLS_MAX_PLAIN)
			return -EMSGSIZE;
	}
	return 0;
}

/* A record too short to hold what its operation needs cannot be authentic. */
static __always_inline int check_length(struct esf_req *req)
{
	const struct esf_alg *alg = req->s->alg;
	u32 over = req->s->nonce_len + req->s->tag_len;

	if (req->op == ESF_OP_OPEN) {
		if (req->in_len < over)
			return -EBADMSG;
		if (alg->pad_block &&
		    ((req->in_len - over) % alg->pad_block || req->in_len == over))
			return -EBADMSG;
	}
	if (req->op == ESF_OP_VERIFY && req->in_len < req->s->tag_len)
		return -EBADMSG;
	return 0;
}

/*
 * check(), check_use(), check_length(), seal_reserve(), seal_run(),
 * check_nonce() and open() run for every record: they are inlined into
 * esf_req_submit() (the re-seal chain has its own copies), as they were
 * before re-seal gave them a second caller. Out of line, each call and
 * return costs a return thunk on kernels built with retpolines: about 4%
 * of a 16-byte record's time on /dev/esf (make bench, under -icount).
 */
static __always_inline int check(struct esf_req *req)
{
	struct esf_session *s = req->s;
	int err;

	err = esf_session_usable(s);
	if (err) {
		if (err == -EKEYEXPIRED)
			esf_session_stat_add(s, ESF_STAT_EXPIRED, 1);
		return err;
	}
	err = check_use(req);
	if (err) {
		esf_session_stat_add(s, ESF_STAT_REFUSED, 1);
		return err;
	}
	err = check_length(req);
	if (err)
		esf_session_stat_add(s, ESF_STAT_AUTH_FAIL, 1);
	return err;
}

/* Completion --------------------------------------------------------------- */

/*
 * Strip PKCS#7 padding; the tag has verified, so this is no oracle. The
 * plaintext is where the provider wrote it: in place, or in req->dst.
 */
static int unpad(struct esf_req *req)
{
	struct scatterlist *out = req->dst ?: req->sg;
	u32 off = text_off(req);
	u8 pad[16];
	u8 n, i;

	scatterwalk_map_and_copy(&n, out, off + req->text_len - 1, 1, 0);
	if (!n || n > req->s->alg->pad_block || n > req->text_len)
		return -EBADMSG;
	scatterwalk_map_and_copy(pad, out, off + req->text_len - n, n, 0);
	for (i = 0; i < n; i++)
		if (pad[i] != n)
			return -EBADMSG;
	req->text_len -= n;
	return 0;
}

/* A replay (-EALREADY) or a record left of the window (-ESTALE) is counted. */
static int count_replay(struct esf_session *s, int err)
{
	if (err == -EALREADY)
		esf_session_stat_add(s, ESF_STAT_REPLAY, 1);
	else if (err == -ESTALE)
		esf_session_stat_add(s, ESF_STAT_TOO_OLD, 1);
	return err;
}

/* Mark the authenticated record as seen, by sequence number or by nonce. */
static int commit_replay(struct esf_req *req)
{
	struct esf_session *s = req->s;
	bool evicted;
	int err;

	if (s->group)
		return esf_group_replay_commit(s, req->seq);
	if (s->nonce_policy == ESF_NONCE_ESF)
		return esf_replay_commit(&s->replay, req->seq);
	err = esf_replay_commit_nonce(&s->replay, req->nonce, s->nonce_len, &evicted);
	if (evicted)
		esf_session_stat_add(s, ESF_STAT_REPLAY_EVICTED, 1);
	return err;
}

static int open_done(struct esf_req *req, int err)
{
	struct esf_session *s = req->s;

	if (err == -EBADMSG) {
		esf_session_stat_add(s, ESF_STAT_AUTH_FAIL, 1);
		return err;
	}
	if (err)
		return err;
	/* An aggregate's input is committed with the others (agg_commit()). */
	if (!req->agg_in) {
		err = count_replay(s, commit_replay(req));
		if (err)
			return err;
	}
	if (s->alg->pad_block) {
		err = unpad(req);
		if (err) {
			esf_session_stat_add(s, ESF_STAT_AUTH_FAIL, 1);
			return err;
		}
	}
	if (!req->agg_in)
		esf_session_charge(s, req->in_len, false);
	req->body_off = text_off(req);
	req->body_len = req->text_len;
	return 0;
}

static int verify_done(struct esf_req *req, int err)
{
	struct esf_session *s = req->s;
	u8 tag[ESF_TAG_MAX];

	if (err)
		return err;
	scatterwalk_map_and_copy(tag, req->sg, text_off(req) + req->text_len, s->tag_len, 0);
	if (crypto_memneq(tag, req->digest, s->tag_len)) {
		esf_session_stat_add(s, ESF_STAT_AUTH_FAIL, 1);
		return -EBADMSG;
	}
	esf_session_charge(s, req->in_len, false);
	return 0;
}

/*
 * A record's end: its output, its status, and, when it succeeded, its
 * operation's counter and its bytes, counted together.
 */
static __always_inline void finish(struct esf_req *req, int err)
{
	struct esf_session *s = req->s;
	enum esf_stat stat;

	switch (req->op) {
	case ESF_OP_SEAL:
		stat = ESF_STAT_SEAL;
		if (!err) {
			req->head = req->nonce;
			req->head_len = s->nonce_len;
			req->body_off = text_off(req);
			req->body_len = req->text_len + s->tag_len;
		}
		break;
	case ESF_OP_OPEN:
		stat = ESF_STAT_OPEN;
		err = open_done(req, err);
		break;
	case ESF_OP_SIGN:
		stat = ESF_STAT_SIGN;
		if (!err) {
			req->head = req->digest;
			req->head_len = s->tag_len;
		}
		break;
	default:
		stat = ESF_STAT_VERIFY;
		err = verify_done(req, err);
		break;
	}
	if (err) {
		req->head_len = 0;
		req->body_len = 0;
	} else if (!req->agg_in) {
		esf_session_stat_record(s, stat, req->in_len);
	}
	req->status = err;
	if (req->cek) {
		esf_cek_put(s, req->cek);
		req->cek = NULL;
	}
	if (req->gkey) {
		esf_gkey_put(req->gkey);
		req->gkey = NULL;
	}
}

/* What the provider returned: a bad tag is the record's fault, anything
 * else the provider's.
 */
static __always_inline void provider_done(struct esf_req *req, int err)
{
	if (err && !(err == -EBADMSG && req->op == ESF_OP_OPEN))
		esf_session_stat_add(req->s, ESF_STAT_ERRORS, 1);
	finish(req, err);
}

static int chain(struct esf_req *req, bool may_sleep);
static void agg_resume(struct esf_req *in);
static void agg_counted(struct esf_req *req);

static void crypto_done(ESF_CB_ARG, int err)
{
	struct esf_req *req = esf_cb_data(arg);

	/* Left the backlog; the final completion follows. */
	if (err == -EINPROGRESS)
		return;
	provider_done(req, err);
	/* A re-seal's OPEN: its SEAL's completion ends the record. */
	if (req->next && chain(req, false) == -EINPROGRESS)
		return;
	/* An aggregate's input: the next input, or the SEAL, carries on. */
	if (req->agg_in) {
		agg_resume(req);
		return;
	}
	if (req->agg)
		agg_counted(req);
	req->done(req);
}

/* Returns 0 when the work finished here, -EINPROGRESS when it will finish
 * in crypto_done().
 */
static __always_inline int started(struct esf_req *req, int ret)
{
	if (ret == -EBUSY)
		esf_session_stat_add(req->s, ESF_STAT_BACKLOG, 1);
	if (ret == -EINPROGRESS || ret == -EBUSY) {
		esf_session_stat_add(req->s, ESF_STAT_ASYNC, 1);
		return -EINPROGRESS;
	}
	provider_done(req, ret);
	return 0;
}

static u32 req_flags(const struct esf_req *req)
{
	/* Backlog: hardware queues fill up, and a full queue must not lose
	 * a record. With it, -EBUSY means "queued", never "dropped".
	 */
	return CRYPTO_TFM_REQ_MAY_BACKLOG | (req->may_sleep ? CRYPTO_TFM_REQ_MAY_SLEEP : 0);
}

/* AEAD ------------------------------------------------------------------- */

/*
 * Where the salt || sequence part of a record's nonce is: at its start, or
 * in a kw(aes) record after the wrapped content key, as the IV.
 */
static u8 *seq_nonce(struct esf_req *req)
{
	return req->s->alg->kind == ESF_KIND_KW ?
	       req->nonce + ESF_KW_ICV_LEN + req->s->cek_len : req->nonce;
}

/* The IV the mode wants, built from the nonce into req->iv (drivers may
 * write to their IV buffer; the nonce must survive for the output).
 */
static void build_iv(struct esf_req *req)
{
	switch (req->s->alg->id) {
	case ESF_ALG_GCM_AES:
		memcpy(req->iv, req->nonce, ESF_NONCE_LEN);
		break;
	case ESF_ALG_RFC4106_GCM_AES:
		memcpy(req->iv, req->nonce + ESF_SALT_LEN, 8);
		break;
	case ESF_ALG_CCM_AES:
		req->iv[0] = CCM_L - 1;
		memcpy(req->iv + 1, req->nonce, ESF_NONCE_LEN);
		memset(req->iv + 1 + ESF_NONCE_LEN, 0, CCM_L);
		break;
	case ESF_ALG_AUTHENC_HMAC_SHA256_CBC_AES:
		memcpy(req->iv, req->nonce + ESF_NONCE_LEN, 16);
		break;
	case ESF_ALG_KW_AES:
		memcpy(req->iv, seq_nonce(req), ESF_NONCE_LEN);
		break;
	case ESF_ALG_DTLS12_GCM_AES:
		/* RFC 5288: the implicit salt, then the explicit nonce. */
		memcpy(req->iv, req->s->salt, ESF_SALT_LEN);
		memcpy(req->iv + ESF_SALT_LEN, req->nonce + ESF_DTLS_HEADER_LEN,
		       ESF_DTLS_NONCE_LEN);
		break;
	}
}

/*
 * DTLS's AAD from the record's header: seq_num (epoch and sequence
 * number), type, version, and the length of the plaintext (not of the
 * record: RFC 5246 6.2.3.3).
 */
static void place_dtls_aad(struct esf_req *req)
{
	const u8 *h = req->nonce;
	u8 aad[ESF_DTLS_AAD_LEN];

	memcpy(aad, h + 3, 8);
	aad[8] = h[0];
	memcpy(aad + 9, h + 1, 2);
	put_unaligned_be16(req->op == ESF_OP_SEAL ? req->in_len : req->text_len, aad + 11);
	scatterwalk_map_and_copy(aad, req->sg, 0, sizeof(aad), 1);
}

/* Write the parts of the associated data that come from the nonce. */
static void place_nonce(struct esf_req *req)
{
	const struct esf_alg *alg = req->s->alg;

	if (alg->framing == ESF_FRAMING_DTLS12) {
		place_dtls_aad(req);
		return;
	}
	if (alg->prefix)
		scatterwalk_map_and_copy(req->nonce, req->sg, 0, alg->prefix, 1);
	if (alg->aad_suffix)
		scatterwalk_map_and_copy(req->nonce + ESF_SALT_LEN, req->sg,
					 alg->prefix + req->aad_len, alg->aad_suffix, 1);
}

static void pad(struct esf_req *req)
{
	u32 n = req->text_len - req->in_len;
	u8 bytes[16];

	memset(bytes, n, n);
	scatterwalk_map_and_copy(bytes, req->sg, text_off(req) + req->in_len, n, 1);
}

static __always_inline int aead_start(struct esf_req *req, u32 cryptlen, bool encrypt)
{
	struct aead_request *a = areq(req);

	/* gcm(aes): the nonce is the IV, and no part of it is associated data. */
	if (likely(req->s->alg->id == ESF_ALG_GCM_AES)) {
		memcpy(req->iv, req->nonce, ESF_NONCE_LEN);
	} else {
		build_iv(req);
		place_nonce(req);
	}
	aead_request_set_tfm(a, req->cek ? req->cek->aead :
			     req->gkey ? req->gkey->aead : req->s->aead);
	aead_request_set_callback(a, req_flags(req), crypto_done, req);
	aead_request_set_crypt(a, req->sg, req->dst ?: req->sg, cryptlen, req->iv);
	aead_request_set_ad(a, assoc_len(req));
	return started(req, encrypt ? crypto_aead_encrypt(a) : crypto_aead_decrypt(a));
}

/*
 * A fresh content key for a kw(aes) SEAL: wrapped into the head of the
 * record's nonce, set on the record's own transform, wiped from here.
 */
static int kw_seal_key(struct esf_req *req)
{
	u8 cek[32];
	int err;

	err = esf_cek_wrap(req->s, cek, req->nonce);
	if (!err) {
		req->cek = esf_cek_get(req->s, cek);
		err = PTR_ERR_OR_ZERO(req->cek);
		if (err)
			req->cek = NULL;
	}
	memzero_explicit(cek, sizeof(cek));
	if (err)
		esf_session_stat_add(req->s, ESF_STAT_ERRORS, 1);
	return err;
}

/*
 * A kw(aes) OPEN's content key: unwrapped from the record, which fails
 * with -EBADMSG unless the session's key wrapped it (finish() counts it as
 * an authentication failure, like a bad tag), then set on the record's
 * own transform.
 */
static int kw_open_key(struct esf_req *req)
{
	u8 cek[32];
	int err;

	err = esf_cek_unwrap(req->s, req->nonce, cek);
	if (err == -EBADMSG)
		return err;
	if (!err) {
		req->cek = esf_cek_get(req->s, cek);
		err = PTR_ERR_OR_ZERO(req->cek);
		if (err)
			req->cek = NULL;
	}
	memzero_explicit(cek, sizeof(cek));
	if (err)
		esf_session_stat_add(req->s, ESF_STAT_ERRORS, 1);
	return err;
}

/*
 * A DTLS SEAL's head: the DTLSCiphertext header (type from the caller's
 * AAD byte, version 1.2, the epoch and sequence number that are the
 * session's counter, the record's length) and the explicit nonce, which
 * is the same 64-bit sequence number, as RFC 5288 recommends.
 */
static void dtls_header(struct esf_req *req)
{
	u8 *h = req->nonce;

	scatterwalk_map_and_copy(h, req->sg, ESF_DTLS_AAD_LEN - 1, 1, 0);
	h[1] = 0xfe;
	h[2] = 0xfd;
	put_unaligned_be64(req->seq, h + 3);
	put_unaligned_be16(ESF_DTLS_NONCE_LEN + req->in_len + req->s->tag_len, h + 11);
	put_unaligned_be64(req->seq, h + ESF_DTLS_HEADER_LEN);
}

/*
 * What a SEAL takes before it runs: its lifetime charge, its sequence
 * number, its content or epoch key. On failure, finish() gives back the
 * keys it holds.
 */
static __always_inline int seal_reserve(struct esf_req *req)
{
	struct esf_session *s = req->s;
	int err;

	err = esf_session_charge(s, req->in_len, true);
	if (!err)
		err = esf_session_reserve_seq(s, &req->seq);
	if (err) {
		esf_session_stat_add(s, ESF_STAT_EXPIRED, 1);
		return err;
	}
	if (s->alg->kind == ESF_KIND_KW) {
		err = kw_seal_key(req);
		if (err)
			return err;
	}
	if (s->group) {
		req->gkey = esf_group_seal_key(s);
		if (!req->gkey)
			return -ENOKEY;
	}
	return 0;
}

/* A reserved SEAL: its nonce, its padding, then the provider. Any context. */
static __always_inline int seal_run(struct esf_req *req)
{
	struct esf_session *s = req->s;
	/* In locals: the nonce's byte stores would reload them. */
	const struct esf_alg *alg = s->alg;
	u32 in_len = req->in_len;

	if (alg->framing == ESF_FRAMING_DTLS12) {
		dtls_header(req);
	} else {
		u8 *nonce = seq_nonce(req);

		/* A group record carries its epoch's salt (group.c). */
		memcpy(nonce, req->gkey ? req->gkey->salt : s->salt, ESF_SALT_LEN);
		put_unaligned_be64(req->seq, nonce + ESF_SALT_LEN);
	}
	req->text_len = padded(alg, in_len);
	if (alg->pad_block) {
		/* CBC wants an unpredictable IV: a counter would not do. */
		get_random_bytes(req->nonce + ESF_NONCE_LEN, 16);
		pad(req);
	}
	return aead_start(req, req->text_len, true);
}

static int seal(struct esf_req *req)
{
	int err = seal_reserve(req);

	if (err) {
		finish(req, err);
		return 0;
	}
	return seal_run(req);
}

/*
 * A DTLS record's header: version 1.2, the length the record has, the
 * session's epoch (another epoch's keys are another session's: -ENOMSG),
 * and a sequence number the window has not seen. The explicit nonce is
 * the sender's to choose.
 */
static int check_dtls_header(struct esf_req *req)
{
	struct esf_session *s = req->s;
	const u8 *h = req->nonce;

	if (h[1] != 0xfe || h[2] != 0xfd ||
	    get_unaligned_be16(h + 11) != req->in_len - ESF_DTLS_HEADER_LEN)
		return -EBADMSG;
	req->seq = get_unaligned_be64(h + 3);
	if ((req->seq >> 48) != (s->seq_start >> 48)) {
		esf_session_stat_add(s, ESF_STAT_FOREIGN, 1);
		return -ENOMSG;
	}
	return count_replay(s, esf_replay_check(&s->replay, req->seq));
}

/* Not sealed by this session's peers: its own errno, never a forgery's. */
static int foreign(struct esf_session *s)
{
	esf_session_stat_add(s, ESF_STAT_FOREIGN, 1);
	return -ENOMSG;
}

/*
 * A group record: the salt names the epoch's key, the sequence number's
 * top 16 bits the sender, whose own window checks the rest.
 */
static int check_group_nonce(struct esf_req *req)
{
	struct esf_session *s = req->s;

	req->gkey = esf_group_open_key(s, req->nonce);
	if (!req->gkey)
		return foreign(s);
	req->seq = get_unaligned_be64(req->nonce + ESF_SALT_LEN);
	if (esf_group_sender_ok(s, req->seq))
		return foreign(s);
	return count_replay(s, esf_group_replay_check(s, req->seq));
}

/*
 * Before any crypto: is the record's nonce one this session may open, and
 * not a replay? Under the policy "esf" the nonce is our salt and the
 * sender's sequence number; under "any" it is whatever the sender chose.
 */
static __always_inline int check_nonce(struct esf_req *req)
{
	struct esf_session *s = req->s;

	int err;

	if (s->group)
		return check_group_nonce(req);

	if (s->nonce_policy == ESF_NONCE_ANY) {
		req->seq = 0;
		err = esf_replay_check_nonce(&s->replay, req->nonce, s->nonce_len);
		return count_replay(s, err);
	}
	if (s->alg->framing == ESF_FRAMING_DTLS12)
		return check_dtls_header(req);
	/*
	 * Not sealed under our salt: another session's record, or one from
	 * an implementation that picks its own IVs. Its own errno, so that it
	 * never reads as a forgery.
	 */
	if (memcmp(req->nonce, s->salt, ESF_SALT_LEN))
		return foreign(s);
	req->seq = get_unaligned_be64(req->nonce + ESF_SALT_LEN);
	return count_replay(s, esf_replay_check(&s->replay, req->seq));
}

/* The frontend has put the record's nonce in req->nonce. */
static __always_inline int open(struct esf_req *req)
{
	struct esf_session *s = req->s;
	int err;

	err = check_nonce(req);
	if (!err && s->alg->kind == ESF_KIND_KW)
		err = kw_open_key(req);
	if (err) {
		finish(req, err);
		return 0;
	}
	req->text_len = req->in_len - s->nonce_len - s->tag_len;
	return aead_start(req, req->text_len + s->tag_len, false);
}

/* MIC -------------------------------------------------------------------- */

/* MIC records have no AAD (check_use), so their data starts the area. */
static int mic_start(struct esf_req *req)
{
	struct ahash_request *h = hreq(req);

	ahash_request_set_tfm(h, req->s->ahash);
	ahash_request_set_callback(h, req_flags(req), crypto_done, req);
	ahash_request_set_crypt(h, req->sg, req->digest, req->text_len);
	return started(req, crypto_ahash_digest(h));
}

static int sign(struct esf_req *req)
{
	int err = esf_session_charge(req->s, req->in_len, true);

	if (err) {
		esf_session_stat_add(req->s, ESF_STAT_EXPIRED, 1);
		finish(req, err);
		return 0;
	}
	req->text_len = req->in_len;
	return mic_start(req);
}

static int verify(struct esf_req *req)
{
	req->text_len = req->in_len - req->s->tag_len;
	return mic_start(req);
}

/* Re-seal ------------------------------------------------------------------ */

/*
 * ESF_OP_RESEAL: an OPEN under one session whose plaintext a SEAL under
 * another takes, both in the kernel; the front end lays the plaintext in
 * its own memory and wipes it. The SEAL is checked and reserved before the
 * OPEN runs, so that a record that authenticates, and so spends its
 * replay window entry, is always sealed again; a record that does not
 * spends the sequence number it took, as a SEAL whose provider fails does.
 */

static void reseal_counted(struct esf_req *req)
{
	if (req->next->status)
		return;
	esf_session_stat_add(req->s, ESF_STAT_RESEAL, 1);
	esf_session_stat_add(req->next->s, ESF_STAT_RESEAL, 1);
}

/* The SEAL half finished in its provider's completion: the record's end. */
static void reseal_done(struct esf_req *next)
{
	struct esf_req *req = next->prev;

	reseal_counted(req);
	req->done(req);
}

static int reseal_reserve(struct esf_req *req)
{
	struct esf_req *next = req->next;
	int err;

	if (req->op != ESF_OP_OPEN || next->op != ESF_OP_SEAL)
		return -EINVAL;
	next->prev = req;
	next->done = reseal_done;
	next->may_sleep = req->may_sleep;
	err = check(next);
	if (!err) {
		err = seal_reserve(next);
		if (err)
			finish(next, err);
	}
	return err;
}

/*
 * The OPEN half has finished: run the SEAL on its plaintext, or end the
 * SEAL with the OPEN's error. From the OPEN's submission, or from its
 * provider's completion, in any context.
 *
 * Return: 0 when the record is finished, -EINPROGRESS when the SEAL's
 * provider will finish it.
 */
static int chain(struct esf_req *req, bool may_sleep)
{
	struct esf_req *next = req->next;
	int err = req->status;

	/* The front end sized the SEAL for the plaintext the OPEN makes. */
	if (!err && req->body_len != next->in_len)
		err = -EINVAL;
	if (err) {
		finish(next, err);
		return 0;
	}
	next->may_sleep = may_sleep;
	if (seal_run(next) == -EINPROGRESS)
		return -EINPROGRESS;
	reseal_counted(req);
	return 0;
}

static int reseal(struct esf_req *req)
{
	if (open(req) == -EINPROGRESS)
		return -EINPROGRESS;
	return chain(req, req->may_sleep);
}

/* Aggregate ---------------------------------------------------------------- */

/*
 * ESF_OP_AGGREGATE: N OPENs, each under its own session, whose plaintexts
 * one SEAL under the record's session takes, framed by the front end in
 * its own memory, which it wipes. As for re-seal, the SEAL is checked and
 * reserved first (its lifetime charge, its sequence number): a record
 * refused there opens nothing. The inputs are then opened in order, one
 * at a time (so that a record holds one slot of max_inflight, as any
 * other), each checked against its window but not yet committed. Only
 * when all have authenticated are their window entries spent and their
 * lifetimes charged, all together, and the SEAL runs: an input that fails
 * leaves every input's window as it was, and spends only the SEAL's
 * sequence number. Inputs not spent report -ECANCELED, except the one
 * that failed, which reports its own error.
 */

/* The inputs whose window entries were not spent: nothing of them is used. */
static void agg_cancel(struct esf_agg *agg)
{
	unsigned int i;

	for (i = agg->spent; i < agg->n; i++) {
		struct esf_req *in = agg->in[i];

		if (!in->status)
			in->status = -ECANCELED;
		in->head_len = 0;
		in->body_len = 0;
	}
}

static int agg_fail(struct esf_req *req, int err)
{
	agg_cancel(req->agg);
	finish(req, err);
	return 0;
}

/* Both sessions' counters, once the SEAL of all the inputs succeeded. */
static void agg_counted(struct esf_req *req)
{
	struct esf_agg *agg = req->agg;
	unsigned int i;

	if (req->status)
		return;
	esf_session_stat_add(req->s, ESF_STAT_AGGREGATE, 1);
	for (i = 0; i < agg->n; i++)
		esf_session_stat_add(agg->in[i]->s, ESF_STAT_AGGREGATE, 1);
}

/*
 * The same record twice: no window has seen it yet, so compare the nonces;
 * unless the session keeps no window (ESF_A_REPLAY_WINDOW 0), where a
 * replay is no error.
 */
static bool agg_same(const struct esf_req *a, const struct esf_req *b)
{
	return a->s == b->s && (a->s->group || a->s->replay.window) &&
	       !memcmp(a->nonce, b->nonce, a->s->nonce_len);
}

/*
 * Every input authenticated: spend their window entries and charge their
 * lifetimes. A record named twice fails the aggregate before anything is
 * spent. Only a record in two aggregates in flight at once can be found
 * a replay here, by the later: the inputs before it then stay spent.
 */
static int agg_commit(struct esf_req *req)
{
	struct esf_agg *agg = req->agg;
	struct esf_req *in;
	unsigned int i, j;
	int err;

	for (j = 1; j < agg->n; j++) {
		for (i = 0; i < j; i++) {
			if (agg_same(agg->in[i], agg->in[j])) {
				esf_session_stat_add(agg->in[j]->s, ESF_STAT_REPLAY, 1);
				agg->in[j]->status = -EALREADY;
				return -EALREADY;
			}
		}
	}
	for (i = 0; i < agg->n; i++) {
		in = agg->in[i];
		err = count_replay(in->s, commit_replay(in));
		if (err) {
			in->status = err;
			return err;
		}
		agg->spent = i + 1;
		esf_session_charge(in->s, in->in_len, false);
		esf_session_stat_record(in->s, ESF_STAT_OPEN, in->in_len);
	}
	return 0;
}

/*
 * Open the inputs from agg->next on, then commit them and run the SEAL.
 * From the submission, or from an input's provider completion.
 *
 * Return: 0 when the record is finished, -EINPROGRESS when a provider
 * will carry it on.
 */
static int agg_run(struct esf_req *req, bool may_sleep)
{
	struct esf_agg *agg = req->agg;
	struct esf_req *in;
	int err;

	while (agg->next < agg->n) {
		in = agg->in[agg->next++];
		in->may_sleep = may_sleep;
		err = check(in);
		if (err) {
			in->status = err;
			return agg_fail(req, err);
		}
		if (open(in) == -EINPROGRESS)
			return -EINPROGRESS;
		if (in->status)
			return agg_fail(req, in->status);
	}
	err = agg_commit(req);
	if (err)
		return agg_fail(req, err);
	req->may_sleep = may_sleep;
	if (seal_run(req) == -EINPROGRESS)
		return -EINPROGRESS;
	agg_counted(req);
	return 0;
}

/* An input finished in its provider's completion: carry the record on. */
static void agg_resume(struct esf_req *in)
{
	struct esf_req *req = in->prev;

	if (in->status)
		agg_fail(req, in->status);
	else if (agg_run(req, false) == -EINPROGRESS)
		return;
	req->done(req);
}

static int agg_reserve(struct esf_req *req)
{
	struct esf_agg *agg = req->agg;
	unsigned int i;
	int err;

	if (req->op != ESF_OP_SEAL || !agg->n)
		return -EINVAL;
	agg->next = 0;
	agg->spent = 0;
	for (i = 0; i < agg->n; i++) {
		agg->in[i]->agg_in = true;
		agg->in[i]->prev = req;
	}
	err = seal_reserve(req);
	if (err)
		finish(req, err);
	return err;
}

/**
 * esf_req_refuse() - end a record without running it
 * @req: the record
 * @err: its result, a negative errno
 *
 * The record produces nothing (its output slot stays zero-filled) and
 * takes no sequence number; a re-seal's SEAL half, whose result is the
 * record's, is refused with it.
 */
void esf_req_refuse(struct esf_req *req, int err)
{
	if (req->agg)
		agg_cancel(req->agg);
	for (; req; req = req->next) {
		req->status = err;
		req->head_len = 0;
		req->body_len = 0;
	}
}

/**
 * esf_req_submit() - run one record
 * @req: initialised with esf_req_init(), its work area filled in
 *
 * Return: 0 when the record is finished (req->status says how), or
 * -EINPROGRESS when an asynchronous provider will finish it and call
 * req->done.
 */
int esf_req_submit(struct esf_req *req)
{
	int err = check(req);

	if (!err && req->next)
		err = reseal_reserve(req);
	if (!err && req->agg)
		err = agg_reserve(req);
	if (err) {
		esf_req_refuse(req, err);
		return 0;
	}
	switch (req->op) {
	case ESF_OP_SEAL:
		return req->agg ? agg_run(req, req->may_sleep) : seal(req);
	case ESF_OP_OPEN:
		return req->next ? reseal(req) : open(req);
	case ESF_OP_SIGN:
		return sign(req);
	default:
		return verify(req);
	}
}
