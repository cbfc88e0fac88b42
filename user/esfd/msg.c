// SPDX-License-Identifier: GPL-2.0
/*
 * esfd peer transport codec. Everything here parses bytes from the network:
 * every length is checked against what is left before it is used, the tag
 * is checked before any JSON is parsed, and any failure leaves the output
 * message zeroed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "hmac.h"
#include "kdf.h"
#include "msg.h"

#define STATUS_MIN	4000
#define STATUS_MAX	6999

static const char m_sit[] = "securityInfoType";
static const char m_rand[] = "receiverESPrimRandObject";
static const char m_status[] = "responseStatusCode";
static const char m_certke[] = "escertkeMessage";
static const char m_esprim[] = "esprimObject";

static const char transport_salt[] = "oneM2M-ESF peer transport v1";
static const char transport_info[] = "message authentication key";

/* A frame's fields, pointing into the received buffer. */
struct frame {
	uint8_t type;
	uint64_t req_id;
	int64_t time;
	const char *sender, *receiver, *kid, *payload;
	size_t slen, rlen, klen, plen;
};

int esfd_msg_key_derive(const uint8_t *kpsa, size_t kpsalen,
			uint8_t key[ESFD_MSG_KEY_LEN])
{
	if (!kpsa || kpsalen < 16 || kpsalen > 64) {
		explicit_bzero(key, ESFD_MSG_KEY_LEN);
		return -EINVAL;
	}
	return esfd_hkdf(ESFD_SHA256, (const uint8_t *)transport_salt,
			 sizeof(transport_salt) - 1, kpsa, kpsalen,
			 (const uint8_t *)transport_info,
			 sizeof(transport_info) - 1, key, ESFD_MSG_KEY_LEN);
}

static bool type_known(unsigned int t)
{
	return t == ESFD_MSG_RAND_REQ || t == ESFD_MSG_RAND_RESP ||
	       t == ESFD_MSG_ESPRIM ||
	       t == ESFD_MSG_CERTKE;
}

long esfd_msg_frame_len(const uint8_t *buf, size_t len)
{
	uint32_t flen;

	if (len < ESFD_MSG_PEEK_LEN)
		return -EAGAIN;
	if (memcmp(buf, ESFD_MSG_MAGIC, 4))
		return -EPROTO;
	if (buf[4] != ESFD_MSG_VERSION)
		return -EPROTONOSUPPORT;
	if (esfd_get_be16(buf + 6))
		return -EPROTO;
	flen = esfd_get_be32(buf + 8);
	if (flen > ESFD_MSG_MAX)
		return -EMSGSIZE;
	if (flen < ESFD_MSG_HDR_LEN + 3 + ESFD_MSG_TAG_LEN)
		return -EPROTO;
	return (long)flen;
}

static int kid_check(const char *kid, size_t len)
{
	if (len > ESFD_MSG_KID_MAX)
		return -EPROTO;
	return esfd_id_check(kid, len) ? -EPROTO : 0;
}

/* Split a frame into its fields; check lengths and identifier syntax. */
static int frame_parse(const uint8_t *buf, size_t len, struct frame *f)
{
	long flen = esfd_msg_frame_len(buf, len);
	size_t body;

	if (flen < 0)
		return flen == -EAGAIN ? -EPROTO : (int)flen;
	if ((size_t)flen != len || esfd_get_be16(buf + 34))
		return -EPROTO;
	f->type = buf[5];
	if (!type_known(f->type))
		return -EOPNOTSUPP;
	f->req_id = esfd_get_be64(buf + 12);
	f->time = (int64_t)esfd_get_be64(buf + 20);
	f->slen = esfd_get_be16(buf + 28);
	f->rlen = esfd_get_be16(buf + 30);
	f->klen = esfd_get_be16(buf + 32);
	f->plen = esfd_get_be32(buf + 36);
	/* Each term is bounded by 2^32, so the sum cannot wrap a size_t. */
	body = f->slen + f->rlen + f->klen + f->plen;
	if (body != len - ESFD_MSG_HDR_LEN - ESFD_MSG_TAG_LEN)
		return -EPROTO;
	f->sender = (const char *)buf + ESFD_MSG_HDR_LEN;
	f->receiver = f->sender + f->slen;
	f->kid = f->receiver + f->rlen;
	f->payload = f->kid + f->klen;
	if (esfd_id_check(f->sender, f->slen) ||
	    esfd_id_check(f->receiver, f->rlen) || kid_check(f->kid, f->klen))
		return -EPROTO;
	return 0;
}

static int frame_authenticate(const uint8_t *buf, size_t len,
			      const struct esfd_msg_ctx *ctx,
			      const struct esfd_msg *m)
{
	struct esfd_buf in = { buf, len - ESFD_MSG_TAG_LEN };
	uint8_t key[ESFD_MSG_KEY_LEN];
	int err;

	if (!ctx->get_key)
		return -ENOKEY;
	err = ctx->get_key(ctx->arg, m->sender, m->kid, key);
	if (err)
		err = err < 0 ? err : -ENOKEY;
	else
		err = esfd_hmac_verify(ESFD_SHA256, key, sizeof(key), &in, 1,
				       buf + len - ESFD_MSG_TAG_LEN,
				       ESFD_MSG_TAG_LEN);
	explicit_bzero(key, sizeof(key));
	return err;
}

static int frame_fresh(const struct frame *f, const struct esfd_msg_ctx *ctx)
{
	int64_t d;

	/* Unsigned-looking times above 2^63 arrive negative: stale too. */
	if (f->time < 0)
		return -ESTALE;
	d = f->time > ctx->now ? f->time - ctx->now : ctx->now - f->time;
	return d > (int64_t)ctx->max_skew ? -ESTALE : 0;
}

int esfd_msg_decode(const uint8_t *buf, size_t len,
		    const struct esfd_msg_ctx *ctx, struct esfd_msg *m)
{
	struct frame f = { 0 };
	int err;

	memset(m, 0, sizeof(*m));
	if (len > ESFD_MSG_MAX)
		return -EMSGSIZE;
	err = frame_parse(buf, len, &f);
	if (err)
		return err;
	m->type = f.type;
	m->req_id = f.req_id;
	m->time = f.time;
	memcpy(m->sender, f.sender, f.slen);
	memcpy(m->receiver, f.receiver, f.rlen);
	memcpy(m->kid, f.kid, f.klen);
	err = frame_authenticate(buf, len, ctx, m);
	if (!err && (!ctx->self_id || strcmp(ctx->self_id, m->receiver)))
		err = -EXDEV;
	if (!err)
		err = frame_fresh(&f, ctx);
	if (!err)
		err = esfd_msg_payload_decode(f.type, f.payload, f.plen, ctx, m);
	if (err)
		esfd_msg_free(m);
	return err;
}

/* Every member of @j is one of @names (NULL-terminated) and @n are there. */
static int members_exactly(const json_t *j, const char *const *names, size_t n)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)j, key, v) {
		for (i = 0; names[i]; i++)
			if (!strcmp(key, names[i]))
				break;
		if (!names[i])
			return -EPROTO;
	}
	return json_object_size(j) == n ? 0 : -EPROTO;
}

static int payload_rand_resp(const json_t *j, const struct esfd_msg_ctx *ctx,
			     struct esfd_msg *m)
{
	static const char *const with_rand[] = { m_sit, m_rand, NULL };
	static const char *const with_status[] = { m_sit, m_status, NULL };
	json_t *st = json_object_get(j, m_status);
	json_int_t v;

	if (!st) {
		if (members_exactly(j, with_rand, 2))
			return -EPROTO;
		return esfd_randobj_from_json(json_object_get(j, m_rand), ctx->now,
					      ctx->rand_max_lifetime, &m->rand);
	}
	if (members_exactly(j, with_status, 2) || !json_is_integer(st))
		return -EPROTO;
	v = json_integer_value(st);
	if (v < STATUS_MIN || v > STATUS_MAX)
		return -EPROTO;
	m->status = (int)v;
	return 0;
}

static int payload_certke(const json_t *j, struct esfd_msg *m)
{
	static const char *const names[] = { m_sit, m_certke, NULL };
	json_t *v = json_object_get(j, m_certke);
	size_t slen, n;

	if (members_exactly(j, names, 2) || !json_is_string(v))
		return -EPROTO;
	slen = json_string_length(v);
	if (!slen || slen % 4 || slen > esfd_b64_len(ESFD_MSG_CERTKE_MAX, false))
		return -EPROTO;
	m->certke = malloc(slen / 4 * 3);
	if (!m->certke)
		return -ENOMEM;
	if (esfd_b64_decode(json_string_value(v), slen, false, m->certke,
			    slen / 4 * 3, &n) || !n || n > ESFD_MSG_CERTKE_MAX)
		return -EPROTO;
	m->certke_len = n;
	return 0;
}

/* JWE compact: base64url parts separated by dots, nothing else. */
static bool esprim_text_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len > ESFD_MSG_ESPRIM_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int payload_esprim(const json_t *j, struct esfd_msg *m)
{
	static const char *const names[] = { m_sit, m_esprim, NULL };
	json_t *v = json_object_get(j, m_esprim);

	if (members_exactly(j, names, 2) || !json_is_string(v) ||
	    !esprim_text_ok(json_string_value(v), json_string_length(v)))
		return -EPROTO;
	m->esprim = strdup(json_string_value(v));
	return m->esprim ? 0 : -ENOMEM;
}

static int payload_dispatch(uint8_t type, const json_t *j,
			    const struct esfd_msg_ctx *ctx, struct esfd_msg *m)
{
	static const char *const req[] = { m_sit, NULL };
	json_t *sit = json_object_get(j, m_sit);

	if (!json_is_integer(sit) || json_integer_value(sit) != type)
		return -EPROTO;
	switch (type) {
	case ESFD_MSG_RAND_REQ:
		return members_exactly(j, req, 1);
	case ESFD_MSG_RAND_RESP:
		return payload_rand_resp(j, ctx, m);
	case ESFD_MSG_ESPRIM:
		return payload_esprim(j, m);
	case ESFD_MSG_CERTKE:
		return payload_certke(j, m);
	}
	return -EOPNOTSUPP;
}

int esfd_msg_payload_decode(uint8_t type, const char *json, size_t len,
			    const struct esfd_msg_ctx *ctx, struct esfd_msg *m)
{
	json_error_t jerr;
	json_t *j;
	int err;

	if (!type_known(type))
		return -EOPNOTSUPP;
	if (len > ESFD_MSG_MAX)
		return -EMSGSIZE;
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return -EPROTO;
	err = json_is_object(j) ? payload_dispatch(type, j, ctx, m) : -EPROTO;
	json_decref(j);
	return err;
}

void esfd_msg_free(struct esfd_msg *m)
{
	free(m->certke);
	free(m->esprim);
	memset(m, 0, sizeof(*m));
}

/* The securityInfo object of @m. */
static int payload_build(const struct esfd_msg *m, json_t **out)
{
	json_t *o = json_pack("{s:i}", m_sit, (int)m->type), *v = NULL;
	char *b64;
	size_t n;
	int err = 0;

	if (!o)
		return -ENOMEM;
	if (m->type == ESFD_MSG_RAND_RESP && m->status) {
		/* json_object_set_new() consumes v even when it fails. */
		err = json_object_set_new(o, m_status, json_integer(m->status)) ?
		      -ENOMEM : 0;
	} else if (m->type == ESFD_MSG_RAND_RESP) {
		err = esfd_randobj_to_json(&m->rand, &v);
		if (!err)
			err = json_object_set_new(o, m_rand, v) ? -ENOMEM : 0;
	} else if (m->type == ESFD_MSG_ESPRIM) {
		err = json_object_set_new(o, m_esprim, json_string(m->esprim)) ?
		      -ENOMEM : 0;
	} else if (m->type == ESFD_MSG_CERTKE) {
		n = esfd_b64_len(m->certke_len, false) + 1;
		b64 = malloc(n);
		err = b64 ? esfd_b64_encode(m->certke, m->certke_len, false, b64, n)
			  : -ENOMEM;
		if (!err)
			err = json_object_set_new(o, m_certke, json_string(b64)) ?
			      -ENOMEM : 0;
		free(b64);
	}
	if (err) {
		json_decref(o);
		return err;
	}
	*out = o;
	return 0;
}

static int msg_check(const struct esfd_msg *m)
{
	size_t sl = strnlen(m->sender, sizeof(m->sender));
	size_t rl = strnlen(m->receiver, sizeof(m->receiver));
	size_t kl = strnlen(m->kid, sizeof(m->kid));

	if (!type_known(m->type) || m->time < 0 || esfd_id_check(m->sender, sl) ||
	    esfd_id_check(m->receiver, rl) || kid_check(m->kid, kl))
		return -EINVAL;
	if (m->type == ESFD_MSG_RAND_RESP && m->status &&
	    (m->status < STATUS_MIN || m->status > STATUS_MAX))
		return -EINVAL;
	if (m->type == ESFD_MSG_ESPRIM &&
	    (!m->esprim || !esprim_text_ok(m->esprim, strlen(m->esprim))))
		return -EINVAL;
	if (m->type == ESFD_MSG_CERTKE &&
	    (!m->certke || !m->certke_len || m->certke_len > ESFD_MSG_CERTKE_MAX))
		return -EINVAL;
	return 0;
}

static void header_write(uint8_t *p, const struct esfd_msg *m, size_t flen,
			 size_t sl, size_t rl, size_t kl, size_t pl)
{
	memcpy(p, ESFD_MSG_MAGIC, 4);
	p[4] = ESFD_MSG_VERSION;
	p[5] = m->type;
	esfd_put_be16(p + 6, 0);
	esfd_put_be32(p + 8, (uint32_t)flen);
	esfd_put_be64(p + 12, m->req_id);
	esfd_put_be64(p + 20, (uint64_t)m->time);
	esfd_put_be16(p + 28, (uint16_t)sl);
	esfd_put_be16(p + 30, (uint16_t)rl);
	esfd_put_be16(p + 32, (uint16_t)kl);
	esfd_put_be16(p + 34, 0);
	esfd_put_be32(p + 36, (uint32_t)pl);
	memcpy(p + ESFD_MSG_HDR_LEN, m->sender, sl);
	memcpy(p + ESFD_MSG_HDR_LEN + sl, m->receiver, rl);
	memcpy(p + ESFD_MSG_HDR_LEN + sl + rl, m->kid, kl);
}

static int frame_build(const struct esfd_msg *m, const char *payload,
		       const uint8_t *key, uint8_t **out, size_t *outlen)
{
	size_t sl = strlen(m->sender), rl = strlen(m->receiver);
	size_t kl = strlen(m->kid), pl = strlen(payload);
	size_t flen = ESFD_MSG_HDR_LEN + sl + rl + kl + pl + ESFD_MSG_TAG_LEN;
	struct esfd_buf in;
	uint8_t *p;
	int err;

	if (flen > ESFD_MSG_MAX)
		return -EMSGSIZE;
	p = malloc(flen);
	if (!p)
		return -ENOMEM;
	header_write(p, m, flen, sl, rl, kl, pl);
	memcpy(p + flen - ESFD_MSG_TAG_LEN - pl, payload, pl);
	in = (struct esfd_buf){ p, flen - ESFD_MSG_TAG_LEN };
	err = esfd_hmac(ESFD_SHA256, key, ESFD_MSG_KEY_LEN, &in, 1,
			p + flen - ESFD_MSG_TAG_LEN);
	if (err) {
		free(p);
		return err;
	}
	*out = p;
	*outlen = flen;
	return 0;
}

int esfd_msg_encode(const struct esfd_msg *m,
		    const uint8_t key[ESFD_MSG_KEY_LEN],
		    uint8_t **out, size_t *outlen)
{
	json_t *j;
	char *payload;
	int err;

	*out = NULL;
	*outlen = 0;
	err = msg_check(m);
	if (!err)
		err = payload_build(m, &j);
	if (err)
		return err == -ENOMEM ? err : -EINVAL;
	payload = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!payload)
		return -ENOMEM;
	err = frame_build(m, payload, key, out, outlen);
	free(payload);
	return err;
}

const char *esfd_msg_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EPROTO:
		return "malformed message";
	case -EPROTONOSUPPORT:
		return "unsupported message version";
	case -EMSGSIZE:
		return "message too large";
	case -ENOKEY:
		return "unknown sender or key id";
	case -EBADMSG:
		return "authentication failed: bad tag";
	case -EXDEV:
		return "message addressed to another entity";
	case -ESTALE:
		return "message time outside the accepted clock skew";
	case -EOPNOTSUPP:
		return "unsupported message type or algorithms";
	case -EKEYEXPIRED:
		return "rand object expired or expires too late";
	case -ENOMEM:
		return "out of memory";
	}
	return "error";
}
