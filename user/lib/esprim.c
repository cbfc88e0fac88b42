// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ESPrim Objects (oneM2M TS-0003, end-to-end security of primitives) and
 * target data class 1: the whole primitive travels as the ESPrim Object
 * of a securityInfo inside an outer NOTIFY (or its response).
 *
 * An ESPrim Object is a JWE compact serialization with "alg":"dir", "enc"
 * after the key size, "kid" the pairwiseESPrimKeyID (the session's key id)
 * and the oneM2M members "ori"/"rri" (rand object ids) and optionally
 * "oro"/"rro" (the rand objects themselves).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esf_env.h"

/* The oneM2M header members: understood if a sender lists them in "crit". */
static const char *const esprim_names[] = { "ori", "rri", "oro", "rro", NULL };
static const struct jose_ext esprim_ext = { .names = esprim_names };

static int set_new(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -EINVAL;
	return json_object_set_new(obj, key, v) ? -ENOMEM : 0;
}

static int set_rand_object(json_t *h, const char *key, const char *text)
{
	json_t *v;
	int err;

	if (!text)
		return 0;
	err = esf_json_parse_object(text, strlen(text), &v);
	if (err)
		return err == -EMSGSIZE ? -EINVAL : err;
	return set_new(h, key, v);
}

static int esprim_header(const struct esf_session *s,
			 const struct esf_esprim_hdr *e, char **out)
{
	json_t *h;
	int err;

	if (!s->info.key_id_len)
		return -ESF_E_KEY_ID;
	err = esf_jose_base_header(s, true, &h);
	if (err)
		return err;
	if (e->cty)
		err = set_new(h, "cty", json_string(e->cty));
	if (!err)
		err = set_new(h, "ori", json_string(e->ori));
	if (!err)
		err = set_new(h, "rri", json_string(e->rri));
	if (!err)
		err = set_rand_object(h, "oro", e->oro);
	if (!err)
		err = set_rand_object(h, "rro", e->rro);
	if (!err) {
		*out = esf_json_dump(h);
		err = *out ? 0 : -ENOMEM;
	}
	json_decref(h);
	return err;
}

/* ESPrim Objects are "dir" JWEs (TS-0003): never a key-wrap session's. */
static bool esprim_session(const struct esf_session *s)
{
	return esf_session_is_aead(s) && s->info.alg != ESF_ALG_KW_AES;
}

int esf_esprim_seal(struct esf_session *s, const struct esf_esprim_hdr *h,
		    const void *in, size_t in_len, char **out)
{
	char *header = NULL;
	int err;

	if (!s || !h || !h->ori || !h->rri || !out || (!in && in_len))
		return -EINVAL;
	if (!esprim_session(s))
		return -ESF_E_ALG_MISMATCH;
	err = esprim_header(s, h, &header);
	if (!err)
		err = esf_jose_protect(s, ESF_JOSE_COMPACT, header, strlen(header),
				       in, in_len, NULL, 0, out);
	free(header);
	return err;
}

/* What the receiver must find in the header before decrypting. */
static int check_esprim_header(const json_t *h, const char *want_ori,
			       const char *want_rri)
{
	const char *ori, *rri;
	json_t *oro = json_object_get(h, "oro"), *rro = json_object_get(h, "rro");
	int err;

	if (!json_object_get(h, "kid"))
		return -ESF_E_KEY_ID;
	err = esf_json_opt_string(h, "ori", &ori);
	if (!err)
		err = esf_json_opt_string(h, "rri", &rri);
	if (!err && (!ori || !rri))
		err = -ESF_E_FORMAT;
	if (!err && ((oro && !json_is_object(oro)) || (rro && !json_is_object(rro))))
		err = -ESF_E_FORMAT;
	if (!err && want_ori && strcmp(ori, want_ori))
		err = -ESF_E_ORIG_RAND;
	if (!err && want_rri && strcmp(rri, want_rri))
		err = -ESF_E_RECV_RAND;
	return err;
}

static char *dup_member(const json_t *h, const char *key, int *err)
{
	json_t *v = json_object_get(h, key);
	char *d;

	if (!v)
		return NULL;
	d = json_is_string(v) ? strdup(json_string_value(v)) : esf_json_dump(v);
	if (!d)
		*err = -ENOMEM;
	return d;
}

static int fill_info(const json_t *h, uint64_t seq, struct esf_esprim_info *info)
{
	int err = 0;

	memset(info, 0, sizeof(*info));
	info->seq = seq;
	info->ori = dup_member(h, "ori", &err);
	info->rri = dup_member(h, "rri", &err);
	info->oro = dup_member(h, "oro", &err);
	info->rro = dup_member(h, "rro", &err);
	info->cty = dup_member(h, "cty", &err);
	if (err)
		esf_esprim_info_free(info);
	return err;
}

/*
 * An incoming ESPrim Object split into @p and checked before the kernel
 * sees it; on an error @p is released.
 */
static int esprim_parse(const struct esf_session *s, const char *in, size_t in_len,
			const char *want_ori, const char *want_rri, struct jose_parts *p)
{
	int err = esf_jose_split(in, in_len, p);

	if (err)
		return err;
	if (p->form != ESF_JOSE_COMPACT || !p->jwe)
		err = -ESF_E_FORMAT;
	if (!err && !esprim_session(s))
		err = -ESF_E_ALG_MISMATCH;
	if (!err)
		err = esf_jose_check(s, p, &esprim_ext);
	if (!err)
		err = check_esprim_header(p->joint, want_ori, want_rri);
	if (err)
		esf_jose_parts_free(p);
	return err;
}

int esf_esprim_open(struct esf_session *s, const char *in, size_t in_len,
		    const char *want_ori, const char *want_rri,
		    void **out, size_t *out_len, struct esf_esprim_info *info)
{
	struct jose_parts p;
	void *pt = NULL;
	size_t pt_len;
	uint64_t seq;
	int err;

	if (!s || !in || !out || !out_len)
		return -EINVAL;
	err = esprim_parse(s, in, in_len, want_ori, want_rri, &p);
	if (err)
		return err;
	err = esf_jose_unprotect(s, &p, &pt, &pt_len, &seq);
	if (!err && info)
		err = fill_info(p.joint, seq, info);
	esf_jose_parts_free(&p);
	if (err) {
		free(pt);
		return err;
	}
	*out = pt;
	*out_len = pt_len;
	return 0;
}

/*
 * The second session's ESPrim header. esprim_header() reads a handle's
 * info only (algorithm, key size, key id): a handle-shaped copy of the
 * second session's info serves.
 */
static int reseal_header(const struct esf_session *s, const struct esf_esprim_hdr *h,
			 char **out)
{
	const struct esf_session_info *info2 = esf_reseal_info(s);
	struct esf_session tmp = { 0 };

	if (!info2)
		return -EINVAL;
	tmp.info = *info2;
	if (!esprim_session(&tmp))
		return -ESF_E_ALG_MISMATCH;
	return esprim_header(&tmp, h, out);
}

/* nonce || ciphertext || tag of a "dir" JWE's parts. */
static uint8_t *jwe_record(const struct jose_parts *p, size_t *len)
{
	uint8_t *rec;

	*len = p->iv_len + p->ct_len + p->tag_len;
	rec = malloc(*len ? *len : 1);
	if (!rec)
		return NULL;
	memcpy(rec, p->iv, p->iv_len);
	memcpy(rec + p->iv_len, p->ct, p->ct_len);
	memcpy(rec + p->iv_len + p->ct_len, p->tag, p->tag_len);
	return rec;
}

/* The second session's record as a compact JWE under header @prot2_b64. */
static int reseal_compact(const char *prot2_b64, const uint8_t *rec, size_t rec_len,
			  char **out)
{
	size_t ct = rec_len - ESF_NONCE_LEN - 16;
	char *iv = esf_b64url_encode_alloc(rec, ESF_NONCE_LEN);
	char *c = esf_b64url_encode_alloc(rec + ESF_NONCE_LEN, ct);
	char *tag = esf_b64url_encode_alloc(rec + ESF_NONCE_LEN + ct, 16);
	size_t n;
	int err = -ENOMEM;

	if (iv && c && tag) {
		n = strlen(prot2_b64) + strlen(iv) + strlen(c) + strlen(tag) + 5;
		*out = malloc(n);
		if (*out) {
			snprintf(*out, n, "%s..%s.%s.%s", prot2_b64, iv, c, tag);
			err = 0;
		}
	}
	free(iv);
	free(c);
	free(tag);
	return err;
}

int esf_esprim_reseal(struct esf_session *s, const char *in, size_t in_len,
		      const char *want_ori, const char *want_rri,
		      const struct esf_esprim_hdr *h, char **out)
{
	char *header = NULL, *prot2 = NULL;
	uint8_t *rec = NULL, *rec2 = NULL;
	size_t rec_len = 0, rec2_size;
	struct jose_parts p;
	ssize_t r;
	int err;

	if (!s || !in || !h || !h->ori || !h->rri || !out)
		return -EINVAL;
	err = esprim_parse(s, in, in_len, want_ori, want_rri, &p);
	if (err)
		return err;
	err = reseal_header(s, h, &header);
	if (!err) {
		prot2 = esf_b64url_encode_alloc(header, strlen(header));
		rec = jwe_record(&p, &rec_len);
		if (!prot2 || !rec)
			err = -ENOMEM;
	}
	if (!err) {
		/* The compact form's AAD is its encoded protected header. */
		rec2_size = esf_reseal_size(s, rec_len);
		rec2 = malloc(rec2_size);
		r = !rec2 ? -ENOMEM :
		    esf_reseal(s, p.prot_b64, strlen(p.prot_b64), prot2, strlen(prot2),
			       rec, rec_len, rec2, rec2_size, NULL);
		if (r >= 0 && (size_t)r != rec2_size)
			r = -EIO;
		err = r < 0 ? (int)r : reseal_compact(prot2, rec2, rec2_size, out);
	}
	esf_jose_parts_free(&p);
	free(header);
	free(prot2);
	free(rec);
	free(rec2);
	return err;
}

void esf_esprim_info_free(struct esf_esprim_info *info)
{
	if (!info)
		return;
	free(info->ori);
	free(info->rri);
	free(info->oro);
	free(info->rro);
	free(info->cty);
	memset(info, 0, sizeof(*info));
}

/* ---- target data class 1 ---- */

/* Parameters copied from the inner primitive to the outer one. */
static const char *const req_copy[] = { "to", "fr", "rqi", "rvi", NULL };
static const char *const rsp_copy[] = { "rqi", "to", "fr", "rvi", NULL };

/* 1 request, 0 response, or -ESF_E_FORMAT. */
int esf_primitive_kind(const json_t *p)
{
	bool op = json_object_get(p, "op") != NULL;
	bool rsc = json_object_get(p, "rsc") != NULL;

	if (op == rsc)
		return -ESF_E_FORMAT;
	if (op && !json_is_integer(json_object_get(p, "op")))
		return -ESF_E_FORMAT;
	if (rsc && !json_is_integer(json_object_get(p, "rsc")))
		return -ESF_E_FORMAT;
	return op;
}

static int copy_params(json_t *outer, const json_t *inner, const char *const *keys)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(inner, *keys);

		if (v && json_object_set(outer, *keys, v))
			return -ENOMEM;
	}
	return 0;
}

static json_t *seci_content(const char *epo)
{
	return json_pack("{s:{s:i,s:s}}", "m2m:seci", "sit", ESF_SIT_ESPRIM,
			 "epo", epo);
}

static int build_outer(const json_t *inner, int request, const char *epo,
		       char **out)
{
	json_t *o = request ? json_pack("{s:i}", "op", 5) :
			      json_pack("{s:i}", "rsc", 2000);
	int err = o ? copy_params(o, inner, request ? req_copy : rsp_copy) : -ENOMEM;

	if (!err)
		err = set_new(o, "pc", seci_content(epo));
	if (!err) {
		*out = esf_json_dump(o);
		err = *out ? 0 : -ENOMEM;
	}
	json_decref(o);
	return err == -EINVAL ? -ENOMEM : err;
}

int esf_class1_wrap(struct esf_session *s, const struct esf_esprim_hdr *h,
		    const char *prim, size_t prim_len, char **out)
{
	json_t *inner;
	char *epo = NULL;
	int kind, err;

	if (!s || !h || !prim || !out)
		return -EINVAL;
	err = esf_json_parse_object(prim, prim_len, &inner);
	if (err)
		return err;
	kind = esf_primitive_kind(inner);
	err = kind < 0 ? kind : esf_esprim_seal(s, h, prim, prim_len, &epo);
	if (!err)
		err = build_outer(inner, kind, epo, out);
	free(epo);
	json_decref(inner);
	return err;
}

/* The ESPrim Object of an outer primitive, strictly where it belongs. */
static int find_epo(const json_t *outer, int *kind, const char **epo)
{
	json_t *pc = json_object_get(outer, "pc"), *seci;
	json_t *sit;

	*kind = esf_primitive_kind(outer);
	if (*kind < 0)
		return *kind;
	if (*kind && json_integer_value(json_object_get(outer, "op")) != 5)
		return -ESF_E_FORMAT;
	if (!json_is_object(pc) || json_object_size(pc) != 1)
		return -ESF_E_FORMAT;
	seci = json_object_get(pc, "m2m:seci");
	if (!json_is_object(seci))
		return -ESF_E_FORMAT;
	sit = json_object_get(seci, "sit");
	if (!json_is_integer(sit) || json_integer_value(sit) != ESF_SIT_ESPRIM)
		return -ESF_E_FORMAT;
	if (esf_json_opt_string(seci, "epo", epo) || !*epo)
		return -ESF_E_FORMAT;
	return 0;
}

static bool same_param(const json_t *a, const json_t *b, const char *key)
{
	json_t *x = json_object_get(a, key), *y = json_object_get(b, key);

	return (!x && !y) || (x && y && json_equal(x, y));
}

/* The carrier must not claim another originator or request. */
static int check_inner(const json_t *outer, int kind, const char *pt, size_t len)
{
	json_t *inner;
	int err = esf_json_parse_object(pt, len, &inner);

	if (err)
		return err == -ENOMEM ? err : -ESF_E_FORMAT;
	if (esf_primitive_kind(inner) != kind)
		err = -ESF_E_FORMAT;
	else if (!same_param(outer, inner, "rqi") ||
		 (kind && !same_param(outer, inner, "fr")))
		err = -ESF_E_IMPERSONATION;
	json_decref(inner);
	return err;
}

/* A class 1 carrier parsed, and its ESPrim Object found; @outer is the caller's. */
static int parse_carrier(const char *prim, size_t prim_len, json_t **outer, int *kind,
			 const char **epo)
{
	int err = esf_json_parse_object(prim, prim_len, outer);

	if (err)
		return err;
	err = find_epo(*outer, kind, epo);
	if (err)
		json_decref(*outer);
	return err;
}

int esf_class1_reseal(struct esf_session *s, const char *prim, size_t prim_len,
		      const char *want_ori, const char *want_rri,
		      const struct esf_esprim_hdr *h, char **out)
{
	json_t *outer, *seci;
	const char *epo;
	char *epo2 = NULL;
	int kind, err;

	if (!s || !prim || !out)
		return -EINVAL;
	err = parse_carrier(prim, prim_len, &outer, &kind, &epo);
	if (err)
		return err;
	err = esf_esprim_reseal(s, epo, strlen(epo), want_ori, want_rri, h, &epo2);
	if (!err) {
		/* The carrier as it came, with the new ESPrim Object. */
		seci = json_object_get(json_object_get(outer, "pc"), "m2m:seci");
		err = set_new(seci, "epo", json_string(epo2));
	}
	if (!err) {
		*out = esf_json_dump(outer);
		err = *out ? 0 : -ENOMEM;
	}
	free(epo2);
	json_decref(outer);
	return err;
}

int esf_class1_unwrap(struct esf_session *s, const char *prim, size_t prim_len,
		      const char *want_ori, const char *want_rri, char **out,
		      struct esf_esprim_info *info)
{
	struct esf_esprim_info tmp = { 0 };
	json_t *outer;
	const char *epo;
	void *pt = NULL;
	size_t len;
	int kind, err;

	if (!s || !prim || !out)
		return -EINVAL;
	err = parse_carrier(prim, prim_len, &outer, &kind, &epo);
	if (err)
		return err;
	err = esf_esprim_open(s, epo, strlen(epo), want_ori, want_rri, &pt, &len, &tmp);
	if (!err)
		err = check_inner(outer, kind, pt, len);
	json_decref(outer);
	if (err) {
		free(pt);
		esf_esprim_info_free(&tmp);
		return err;
	}
	*out = pt;
	if (info)
		*info = tmp;
	else
		esf_esprim_info_free(&tmp);
	return 0;
}
