// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JWE ("dir" or "A128KW"/"A192KW"/"A256KW", with AES-GCM) and JWS
 * (HMAC-SHA2) over kernel sessions.
 *
 * The kernel's SEAL output is nonce || ciphertext || tag and its nonce is
 * the 12-byte GCM IV, so a "dir" JWE is the protected header, the three
 * slices of one SEAL and nothing else: this file never sees a key and
 * never picks an IV. A key-wrap session's nonce is the wrapped content key
 * and then the IV, so its JWE is four slices: the Encrypted Key too.
 * Opening rebuilds the record from the JWE parts and lets the kernel check
 * nonce, replays, the wrapped key and the tag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esf_env.h"

int esf_session_kid(const struct esf_session *s, char **kid)
{
	const struct esf_session_info *info = &s->info;
	json_t *probe;
	size_t i;

	*kid = NULL;
	if (!info->key_id_len)
		return 0;
	if (info->key_id_len > ESF_KEY_ID_MAX)
		return -ESF_E_KEY_ID;
	/* The key id travels as a JSON string: printable UTF-8 only. */
	for (i = 0; i < info->key_id_len; i++)
		if (info->key_id[i] < 0x20 || info->key_id[i] == 0x7f)
			return -ESF_E_KEY_ID;
	probe = json_stringn((const char *)info->key_id, info->key_id_len);
	if (!probe)
		return -ESF_E_KEY_ID;
	json_decref(probe);
	*kid = strndup((const char *)info->key_id, info->key_id_len);
	return *kid ? 0 : -ENOMEM;
}

static int set_string(json_t *obj, const char *key, const char *val)
{
	json_t *v = json_string(val);

	if (!v)
		return -EINVAL;	/* not UTF-8 */
	return json_object_set_new(obj, key, v) ? -ENOMEM : 0;
}

static const char *jws_alg(const struct esf_session_info *info)
{
	switch (info->alg) {
	case ESF_ALG_HMAC_SHA256:
		return info->tag_len == 32 ? "HS256" : NULL;
	case ESF_ALG_HMAC_SHA384:
		return info->tag_len == 48 ? "HS384" : NULL;
	case ESF_ALG_HMAC_SHA512:
		return info->tag_len == 64 ? "HS512" : NULL;
	default:
		return NULL;
	}
}

/* "alg" and "enc" of the JWEs a session makes; false if it makes none. */
static bool jwe_algs(const struct esf_session_info *info, const char **alg, const char **enc)
{
	if (info->alg == ESF_ALG_KW_AES) {
		*alg = esf_jwe_kw_alg(info->key_len);
		*enc = esf_jwe_gcm_enc(info->cek_len);
	} else if (info->alg == ESF_ALG_GCM_AES || info->alg == ESF_ALG_RFC4106_GCM_AES) {
		*alg = "dir";
		*enc = info->nonce_len == ESF_NONCE_LEN ? esf_jwe_gcm_enc(info->key_len) : NULL;
	} else {
		return false;
	}
	/* JWE A*GCM needs the full 128-bit tag. */
	return *alg && *enc && info->tag_len == 16;
}

/* Member order alg, kid, enc: RFC 7520's examples use it. */
int esf_jose_base_header(const struct esf_session *s, bool with_kid, json_t **out)
{
	bool jwe = esf_session_is_aead(s);
	const char *alg = NULL, *enc = NULL;
	char *kid = NULL;
	json_t *h;
	int err;

	/* HS* needs the full digest. */
	if (jwe ? !jwe_algs(&s->info, &alg, &enc) : !(alg = jws_alg(&s->info)))
		return -ESF_E_ALG_MISMATCH;
	err = with_kid ? esf_session_kid(s, &kid) : 0;
	if (err)
		return err;
	h = json_object();
	err = h ? set_string(h, "alg", alg) : -ENOMEM;
	if (!err && kid)
		err = set_string(h, "kid", kid);
	if (!err && enc)
		err = set_string(h, "enc", enc);
	free(kid);
	if (err) {
		json_decref(h);
		return err;
	}
	*out = h;
	return 0;
}

/* "a.b" (or just "a" when @b is NULL) into a new buffer. */
static char *join_dot(const char *a, const char *b, size_t *len)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	char *out = malloc(la + lb + 2);

	if (!out)
		return NULL;
	memcpy(out, a, la);
	*len = la;
	if (b) {
		out[la] = '.';
		memcpy(out + la + 1, b, lb);
		*len += lb + 1;
	}
	out[*len] = '\0';
	return out;
}

/* The slices of a SEAL, base64url-encoded (ek: "" for "dir"). */
struct jwe_out {
	char *ek, *iv, *ct, *tag;
};

static void jwe_out_free(struct jwe_out *o)
{
	free(o->ek);
	free(o->iv);
	free(o->ct);
	free(o->tag);
}

static int seal_slices(struct esf_session *s, const char *aad, size_t aad_len,
		       const void *in, size_t in_len, struct jwe_out *o)
{
	size_t over = esf_seal_overhead(s);
	uint8_t *rec;
	ssize_t r;

	if (aad_len > s->info.max_aad || in_len > s->info.max_data)
		return -EMSGSIZE;
	rec = malloc(in_len + over);
	if (!rec)
		return -ENOMEM;
	r = esf_seal(s, aad, aad_len, in, in_len, rec, in_len + over, NULL);
	if (r >= 0 && (size_t)r != in_len + over)
		r = -EIO;
	if (r >= 0) {
		size_t ek = esf_jwe_ek_len(&s->info), ct = ek + ESF_NONCE_LEN;

		o->ek = esf_b64url_encode_alloc(rec, ek);
		o->iv = esf_b64url_encode_alloc(rec + ek, ESF_NONCE_LEN);
		o->ct = esf_b64url_encode_alloc(rec + ct, in_len);
		o->tag = esf_b64url_encode_alloc(rec + ct + in_len, s->info.tag_len);
		if (!o->ek || !o->iv || !o->ct || !o->tag)
			r = -ENOMEM;
	}
	free(rec);
	return r < 0 ? (int)r : 0;
}

static int add_b64(json_t *o, const char *key, const char *b64)
{
	return set_string(o, key, b64);
}

static int jwe_json(int form, const char *prot, const char *aad,
		    const struct jwe_out *o, char **out)
{
	json_t *root = json_object();
	int err = root ? add_b64(root, "protected", prot) : -ENOMEM;

	/* "dir" has no per-recipient data, yet the general form requires
	 * "recipients" (RFC 7516 section 7.2.1): one entry, empty but for
	 * A*KW's Encrypted Key. The flattened form has it at the top. */
	if (!err && form == ESF_JOSE_JSON) {
		json_t *r = *o->ek ? json_pack("[{s:s}]", "encrypted_key", o->ek) :
				     json_pack("[{}]");

		err = !r || json_object_set_new(root, "recipients", r) ? -ENOMEM : 0;
	} else if (!err && *o->ek) {
		err = add_b64(root, "encrypted_key", o->ek);
	}
	if (!err && aad)
		err = add_b64(root, "aad", aad);
	if (!err)
		err = add_b64(root, "iv", o->iv);
	if (!err)
		err = add_b64(root, "ciphertext", o->ct);
	if (!err)
		err = add_b64(root, "tag", o->tag);
	if (!err) {
		*out = esf_json_dump(root);
		err = *out ? 0 : -ENOMEM;
	}
	json_decref(root);
	return err;
}

static int jwe_compact(const char *prot, const struct jwe_out *o, char **out)
{
	size_t n = strlen(prot) + strlen(o->ek) + strlen(o->iv) + strlen(o->ct) +
		   strlen(o->tag) + 5;

	*out = malloc(n);
	if (!*out)
		return -ENOMEM;
	snprintf(*out, n, "%s.%s.%s.%s.%s", prot, o->ek, o->iv, o->ct, o->tag);
	return 0;
}

static int protect_jwe(struct esf_session *s, int form, const char *prot,
		       const void *in, size_t in_len, const void *aad,
		       size_t aad_len, char **out)
{
	struct jwe_out o = { 0 };
	char *aad_b64 = NULL, *full;
	size_t full_len;
	int err;

	if (aad) {
		aad_b64 = esf_b64url_encode_alloc(aad, aad_len);
		if (!aad_b64)
			return -ENOMEM;
	}
	full = join_dot(prot, aad_b64, &full_len);
	err = full ? seal_slices(s, full, full_len, in, in_len, &o) : -ENOMEM;
	if (!err)
		err = form == ESF_JOSE_COMPACT ? jwe_compact(prot, &o, out) :
			jwe_json(form, prot, aad_b64, &o, out);
	jwe_out_free(&o);
	free(full);
	free(aad_b64);
	return err;
}

static int jws_json(int form, const char *prot, const char *payload,
		    const char *sig, char **out)
{
	json_t *root;
	int err;

	if (form == ESF_JOSE_JSON)
		root = json_pack("{s:s,s:[{s:s,s:s}]}", "payload", payload,
				 "signatures", "protected", prot, "signature", sig);
	else
		root = json_pack("{s:s,s:s,s:s}", "payload", payload,
				 "protected", prot, "signature", sig);
	if (!root)
		return -ENOMEM;
	*out = esf_json_dump(root);
	err = *out ? 0 : -ENOMEM;
	json_decref(root);
	return err;
}

static int protect_jws(struct esf_session *s, int form, const char *prot,
		       const void *in, size_t in_len, char **out)
{
	uint8_t tag[ESF_TAG_MAX];
	char *payload, *input = NULL, *sig = NULL;
	size_t len;
	ssize_t r;
	int err;

	payload = esf_b64url_encode_alloc(in, in_len);
	if (payload)
		input = join_dot(prot, payload, &len);
	if (!input) {
		free(payload);
		return -ENOMEM;
	}
	r = len > s->info.max_data ? -EMSGSIZE :
		esf_sign(s, input, len, tag, sizeof(tag));
	if (r >= 0 && (size_t)r != s->info.tag_len)
		r = -EIO;
	if (r >= 0)
		sig = esf_b64url_encode_alloc(tag, (size_t)r);
	err = r < 0 ? (int)r : sig ? 0 : -ENOMEM;
	if (!err && form == ESF_JOSE_COMPACT) {
		*out = join_dot(input, sig, &len);
		err = *out ? 0 : -ENOMEM;
	} else if (!err) {
		err = jws_json(form, prot, payload, sig, out);
	}
	free(sig);
	free(input);
	free(payload);
	return err;
}

int esf_jose_protect(struct esf_session *s, int form, const char *header,
		     size_t header_len, const void *in, size_t in_len,
		     const void *aad, size_t aad_len, char **out)
{
	char *prot;
	int err;

	if (esf_b64url_len(header_len) > ESF_MAX_AAD)
		return -EMSGSIZE;
	prot = esf_b64url_encode_alloc(header, header_len);
	if (!prot)
		return -ENOMEM;
	if (esf_session_is_aead(s))
		err = protect_jwe(s, form, prot, in, in_len, aad, aad_len, out);
	else
		err = protect_jws(s, form, prot, in, in_len, out);
	free(prot);
	return err;
}

/* A caller-supplied header must pass the checks esf_jose_open() makes. */
static int check_given_header(const struct esf_session *s, const char *text,
			      size_t len)
{
	json_t *h;
	int err;

	if (esf_b64url_len(len) > ESF_MAX_AAD)
		return -EMSGSIZE;
	err = esf_json_parse_object(text, len, &h);
	if (err)
		return err;
	/* A header with "enc" asks for a JWE, one without for a JWS. */
	err = esf_jose_check_header(s, h, h, json_object_get(h, "enc") != NULL, NULL);
	json_decref(h);
	return err;
}

static int build_header(const struct esf_session *s,
			const struct esf_jose_opts *o, char **out)
{
	json_t *h;
	int err = esf_jose_base_header(s, !o || !o->no_kid, &h);

	if (err)
		return err;
	if (o && o->cty)
		err = set_string(h, "cty", o->cty);
	if (!err && o && o->typ)
		err = set_string(h, "typ", o->typ);
	if (!err) {
		*out = esf_json_dump(h);
		err = *out ? 0 : -ENOMEM;
	}
	json_decref(h);
	return err;
}

static bool valid_form(int form)
{
	return form == ESF_JOSE_COMPACT || form == ESF_JOSE_JSON ||
	       form == ESF_JOSE_JSON_FLAT;
}

int esf_jose_seal(struct esf_session *s, enum esf_jose_form form,
		  const void *in, size_t in_len,
		  const struct esf_jose_opts *opts, char **out)
{
	const void *aad = opts ? opts->aad : NULL;
	char *header = NULL;
	size_t header_len;
	int err;

	if (!s || !out || (!in && in_len) || !valid_form(form))
		return -EINVAL;
	if (aad && (form == ESF_JOSE_COMPACT || !esf_session_is_aead(s)))
		return -EINVAL;
	if (opts && opts->header) {
		header_len = strlen(opts->header);
		err = check_given_header(s, opts->header, header_len);
		if (err)
			return err;
		return esf_jose_protect(s, form, opts->header, header_len, in,
					in_len, aad, opts->aad_len, out);
	}
	err = build_header(s, opts, &header);
	if (!err)
		err = esf_jose_protect(s, form, header, strlen(header), in,
				       in_len, aad, aad ? opts->aad_len : 0, out);
	free(header);
	return err;
}

static int open_jwe(struct esf_session *s, const struct jose_parts *p,
		    void **out, size_t *out_len, uint64_t *seq)
{
	size_t rec_len = p->ek_len + p->iv_len + p->ct_len + p->tag_len, aad_len;
	char *aad = join_dot(p->prot_b64, p->aad_b64, &aad_len);
	uint8_t *rec = NULL, *pt = NULL;
	ssize_t r = -ENOMEM;

	if (aad && (aad_len > s->info.max_aad ||
		    rec_len > s->info.max_data + esf_seal_overhead(s)))
		r = -EMSGSIZE;
	else if (aad && (rec = malloc(rec_len)) && (pt = malloc(p->ct_len + 1))) {
		uint8_t *at = rec;

		if (p->ek_len)
			memcpy(at, p->ek, p->ek_len);
		at += p->ek_len;
		memcpy(at, p->iv, p->iv_len);
		at += p->iv_len;
		memcpy(at, p->ct, p->ct_len);
		memcpy(at + p->ct_len, p->tag, p->tag_len);
		r = esf_open(s, aad, aad_len, rec, rec_len, pt, p->ct_len, seq);
	}
	if (r >= 0 && (size_t)r != p->ct_len)
		r = -EIO;
	free(rec);
	free(aad);
	if (r < 0) {
		free(pt);
		return (int)r;
	}
	pt[p->ct_len] = '\0';
	*out = pt;
	*out_len = p->ct_len;
	return 0;
}

static int open_jws(struct esf_session *s, const struct jose_parts *p,
		    void **out, size_t *out_len)
{
	size_t len;
	char *input;
	int err;

	/* A payload that is not canonical base64url is malformed, whatever
	 * its MAC says. */
	err = esf_b64url_decode(p->payload_b64, strlen(p->payload_b64), out, out_len);
	if (err)
		return err;
	input = join_dot(p->prot_b64, p->payload_b64, &len);
	if (!input)
		err = -ENOMEM;
	else if (len > s->info.max_data)
		err = -EMSGSIZE;
	else
		err = esf_verify(s, input, len, p->sig, p->sig_len);
	free(input);
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

int esf_jose_unprotect(struct esf_session *s, const struct jose_parts *p,
		       void **out, size_t *out_len, uint64_t *seq)
{
	*seq = 0;
	return p->jwe ? open_jwe(s, p, out, out_len, seq) : open_jws(s, p, out, out_len);
}

static char *dup_opt(const char *v, int *err)
{
	char *d;

	if (!v)
		return NULL;
	d = strdup(v);
	if (!d)
		*err = -ENOMEM;
	return d;
}

static int fill_info(const struct jose_parts *p, uint64_t seq,
		     struct esf_jose_info *info)
{
	int err = 0;

	memset(info, 0, sizeof(*info));
	info->jwe = p->jwe;
	info->form = p->form;
	info->seq = seq;
	info->header = dup_opt(p->prot_text, &err);
	info->cty = dup_opt(json_string_value(json_object_get(p->joint, "cty")), &err);
	info->kid = dup_opt(json_string_value(json_object_get(p->joint, "kid")), &err);
	if (p->aad) {
		info->aad = malloc(p->aad_len + 1);
		if (info->aad) {
			memcpy(info->aad, p->aad, p->aad_len + 1);
			info->aad_len = p->aad_len;
		} else {
			err = -ENOMEM;
		}
	}
	if (err)
		esf_jose_info_free(info);
	return err;
}

int esf_jose_open(struct esf_session *s, const char *in, size_t in_len,
		  void **out, size_t *out_len, struct esf_jose_info *info)
{
	struct jose_parts p;
	uint64_t seq;
	void *pt;
	size_t pt_len;
	int err;

	if (!s || !in || !out || !out_len)
		return -EINVAL;
	err = esf_jose_split(in, in_len, &p);
	if (err)
		return err;
	err = esf_jose_check(s, &p, NULL);
	if (!err)
		err = esf_jose_unprotect(s, &p, &pt, &pt_len, &seq);
	if (!err && info) {
		err = fill_info(&p, seq, info);
		if (err)
			free(pt);
	}
	esf_jose_parts_free(&p);
	if (err)
		return err;
	*out = pt;
	*out_len = pt_len;
	return 0;
}

/* Nested (sign, then encrypt) -------------------------------------------- */

/* The "cty" of a JWE whose payload is a JWS of @form (RFC 7515 4.1.10). */
static const char *nested_cty(int form)
{
	return form == ESF_JOSE_COMPACT ? "JOSE" : "JOSE+JSON";
}

int esf_nested_seal(struct esf_session *sign, struct esf_session *enc,
		    enum esf_jose_form form, const void *in, size_t in_len, char **out)
{
	struct esf_jose_opts o = { .cty = nested_cty(form) };
	char *jws = NULL;
	int err;

	if (!sign || !enc || !out || (!in && in_len) || !valid_form(form))
		return -EINVAL;
	if (esf_session_is_aead(sign) || !esf_session_is_aead(enc))
		return -ESF_E_ALG_MISMATCH;
	err = esf_jose_seal(sign, form, in, in_len, NULL, &jws);
	if (!err)
		err = esf_jose_seal(enc, form, jws, strlen(jws), &o, out);
	free(jws);
	return err;
}

/*
 * Whether "cty" says the payload is a JOSE object: RFC 7515's "JOSE" and
 * "JOSE+JSON", or "JWT" (RFC 7519 5.2), which nested JWTs carry and which
 * other libraries write for any nested JWS.
 */
bool esf_jose_cty_nested(const char *cty)
{
	return cty && (!strcasecmp(cty, "JOSE") || !strcasecmp(cty, "JOSE+JSON") ||
		       !strcasecmp(cty, "JWT") || !strcasecmp(cty, "application/jose") ||
		       !strcasecmp(cty, "application/jose+json"));
}

int esf_nested_open(struct esf_session *verify, struct esf_session *dec, const char *in,
		    size_t in_len, void **out, size_t *out_len, struct esf_jose_info *info)
{
	struct esf_jose_info outer = { 0 }, inner = { 0 };
	void *jws = NULL;
	size_t jws_len;
	int err;

	if (!verify || !dec || !in || !out || !out_len)
		return -EINVAL;
	if (esf_session_is_aead(verify) || !esf_session_is_aead(dec))
		return -ESF_E_ALG_MISMATCH;
	err = esf_jose_open(dec, in, in_len, &jws, &jws_len, &outer);
	if (!err && !esf_jose_cty_nested(outer.cty))
		err = -ESF_E_FORMAT;
	/* The signature covers the payload; the encryption hides both. */
	if (!err)
		err = esf_jose_open(verify, jws, jws_len, out, out_len, info ? &inner : NULL);
	if (!err && info) {
		*info = outer;
		memset(&outer, 0, sizeof(outer));
		esf_jose_info_free(&inner);
	}
	esf_jose_info_free(&outer);
	free(jws);
	return err;
}

int esf_jose_peek(const char *in, size_t in_len, struct esf_jose_info *info)
{
	struct jose_parts p;
	json_t *kid;
	int err;

	if (!in || !info)
		return -EINVAL;
	err = esf_jose_split(in, in_len, &p);
	if (err)
		return err;
	/* esf_jose_open() would refuse a "kid" of another type as well. */
	kid = json_object_get(p.joint, "kid");
	err = kid && !json_is_string(kid) ? -ESF_E_FORMAT : fill_info(&p, 0, info);
	esf_jose_parts_free(&p);
	return err;
}

void esf_jose_info_free(struct esf_jose_info *info)
{
	if (!info)
		return;
	free(info->header);
	free(info->cty);
	free(info->kid);
	free(info->aad);
	memset(info, 0, sizeof(*info));
}
