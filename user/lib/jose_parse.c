// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JOSE input side: split a compact or JSON serialization into its parts and
 * check its header against the session, before anything reaches the
 * kernel. Only what this library can honour is accepted; everything else
 * gets a specific error so that a oneM2M receiver can answer with the
 * right response status code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esf_env.h"

/* Longest decoded protected header: its base64url must fit ESF_MAX_AAD. */
#define HEADER_MAX	(ESF_MAX_AAD / 4 * 3)

void esf_jose_parts_free(struct jose_parts *p)
{
	free(p->buf);
	json_decref(p->root);
	json_decref(p->prot);
	json_decref(p->joint);
	free(p->prot_text);
	free(p->aad);
	free(p->ek);
	free(p->iv);
	free(p->ct);
	free(p->tag);
	free(p->sig);
	memset(p, 0, sizeof(*p));
}

static int decode(const char *b64, void **out, size_t *len)
{
	return esf_b64url_decode(b64, strlen(b64), out, len);
}

/* Decode and parse the protected header; "" means there is none. */
static int parse_protected(struct jose_parts *p)
{
	size_t len;
	int err;

	if (!*p->prot_b64)
		return 0;
	if (strlen(p->prot_b64) > ESF_MAX_AAD)
		return -EMSGSIZE;
	err = decode(p->prot_b64, (void **)&p->prot_text, &len);
	if (err)
		return err;
	if (len > HEADER_MAX)
		return -EMSGSIZE;
	if (memchr(p->prot_text, '\0', len))
		return -ESF_E_FORMAT;
	return esf_json_parse_object(p->prot_text, len, &p->prot);
}

/* Add @from's members to @joint; the header parts must be disjoint. */
static int join(json_t *joint, const json_t *from)
{
	const char *key;
	json_t *v;

	if (!from)
		return 0;
	json_object_foreach((json_t *)from, key, v) {
		if (json_object_get(joint, key))
			return -ESF_E_FORMAT;
		if (json_object_set(joint, key, v))
			return -ENOMEM;
	}
	return 0;
}

static int make_joint(struct jose_parts *p, const json_t *unprot,
		      const json_t *rec)
{
	int err;

	p->joint = json_object();
	if (!p->joint)
		return -ENOMEM;
	err = join(p->joint, p->prot);
	if (!err)
		err = join(p->joint, unprot);
	if (!err)
		err = join(p->joint, rec);
	return err;
}

/* Split @buf at '.' into at most 5 parts; returns the number of parts. */
static int split_dots(char *buf, char **part)
{
	int n = 1;

	part[0] = buf;
	for (; *buf; buf++) {
		if (*buf != '.')
			continue;
		if (n == 5)
			return 6;
		*buf = '\0';
		part[n++] = buf + 1;
	}
	return n;
}

static int split_compact(const char *in, size_t len, struct jose_parts *p)
{
	char *part[5];
	int n, err;

	if (memchr(in, '\0', len))
		return -ESF_E_FORMAT;
	p->buf = strndup(in, len);
	if (!p->buf)
		return -ENOMEM;
	p->form = ESF_JOSE_COMPACT;
	n = split_dots(p->buf, part);
	if (n != 3 && n != 5)
		return -ESF_E_FORMAT;
	p->jwe = n == 5;
	p->prot_b64 = part[0];
	if (!*p->prot_b64)
		return -ESF_E_FORMAT;
	if (p->jwe) {
		/* Empty for "dir"; whether that fits "alg" is checked later. */
		err = *part[1] ? decode(part[1], &p->ek, &p->ek_len) : 0;
		if (!err)
			err = decode(part[2], &p->iv, &p->iv_len);
		if (!err)
			err = decode(part[3], &p->ct, &p->ct_len);
		if (!err)
			err = decode(part[4], &p->tag, &p->tag_len);
	} else {
		p->payload_b64 = part[1];
		err = decode(part[2], &p->sig, &p->sig_len);
	}
	if (!err)
		err = parse_protected(p);
	if (!err)
		err = make_joint(p, NULL, NULL);
	return err;
}

/* Optional member of a given JSON type; present with another: error. */
static int opt_member(const json_t *o, const char *key, json_type type,
		      json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = v;
	if (v && json_typeof(v) != type)
		return -ESF_E_FORMAT;
	return 0;
}

static int req_string(const json_t *o, const char *key, const char **out)
{
	int err = esf_json_opt_string(o, key, out);

	if (!err && !*out)
		err = -ESF_E_FORMAT;
	return err;
}

/* The one entry of "recipients" or "signatures" (general serialization). */
static int only_entry(const json_t *arr, json_t **entry)
{
	if (!json_array_size(arr))
		return -ESF_E_FORMAT;
	/* One session is one key: several recipients or signatures cannot be
	 * served by one handle. */
	if (json_array_size(arr) > 1)
		return -ESF_E_UNSUPPORTED;
	*entry = json_array_get(arr, 0);
	return json_is_object(*entry) ? 0 : -ESF_E_FORMAT;
}

/* The members that carry the header, in @holder (root or one entry). */
static int entry_headers(const json_t *holder, const char **prot,
			 json_t **hdr)
{
	int err = esf_json_opt_string(holder, "protected", prot);

	if (!err && *prot && !**prot)
		err = -ESF_E_FORMAT;
	if (!err)
		err = opt_member(holder, "header", JSON_OBJECT, hdr);
	return err;
}

static int split_json_jwe(struct jose_parts *p)
{
	json_t *rec = NULL, *rhdr = NULL, *unprot, *recips;
	const char *prot, *ek, *iv, *ct, *tag;
	int err;

	err = opt_member(p->root, "recipients", JSON_ARRAY, &recips);
	if (!err && recips) {
		if (json_object_get(p->root, "header") ||
		    json_object_get(p->root, "encrypted_key"))
			return -ESF_E_FORMAT;
		p->form = ESF_JOSE_JSON;
		err = only_entry(recips, &rec);
	} else if (!err) {
		p->form = ESF_JOSE_JSON_FLAT;
		rec = p->root;
	}
	if (!err)
		err = opt_member(rec, "header", JSON_OBJECT, &rhdr);
	if (!err)
		err = esf_json_opt_string(rec, "encrypted_key", &ek);
	if (!err && ek && *ek)
		err = decode(ek, &p->ek, &p->ek_len);
	if (!err)
		err = esf_json_opt_string(p->root, "protected", &prot);
	if (!err && prot && !*prot)
		return -ESF_E_FORMAT;
	if (!err)
		err = opt_member(p->root, "unprotected", JSON_OBJECT, &unprot);
	if (!err)
		err = esf_json_opt_string(p->root, "aad", &p->aad_b64);
	if (!err)
		err = req_string(p->root, "iv", &iv);
	if (!err)
		err = req_string(p->root, "ciphertext", &ct);
	if (!err)
		err = req_string(p->root, "tag", &tag);
	if (err)
		return err;
	p->prot_b64 = prot ? prot : "";
	err = decode(iv, &p->iv, &p->iv_len);
	if (!err)
		err = decode(ct, &p->ct, &p->ct_len);
	if (!err)
		err = decode(tag, &p->tag, &p->tag_len);
	if (!err && p->aad_b64)
		err = decode(p->aad_b64, &p->aad, &p->aad_len);
	if (!err)
		err = parse_protected(p);
	if (!err)
		err = make_joint(p, unprot, rhdr);
	return err;
}

static int split_json_jws(struct jose_parts *p)
{
	json_t *sigs, *entry = p->root, *hdr;
	const char *prot, *sig;
	int err;

	err = req_string(p->root, "payload", &p->payload_b64);
	if (!err)
		err = opt_member(p->root, "signatures", JSON_ARRAY, &sigs);
	if (!err && sigs) {
		if (json_object_get(p->root, "protected") ||
		    json_object_get(p->root, "header") ||
		    json_object_get(p->root, "signature"))
			return -ESF_E_FORMAT;
		p->form = ESF_JOSE_JSON;
		err = only_entry(sigs, &entry);
	} else if (!err) {
		p->form = ESF_JOSE_JSON_FLAT;
	}
	if (!err)
		err = entry_headers(entry, &prot, &hdr);
	if (!err)
		err = req_string(entry, "signature", &sig);
	if (!err && !prot && !hdr)
		err = -ESF_E_FORMAT;
	if (err)
		return err;
	p->prot_b64 = prot ? prot : "";
	err = decode(sig, &p->sig, &p->sig_len);
	if (!err)
		err = parse_protected(p);
	if (!err)
		err = make_joint(p, hdr, NULL);
	return err;
}

static int split_json(const char *in, size_t len, struct jose_parts *p)
{
	bool jwe, jws;
	int err;

	err = esf_json_parse_object(in, len, &p->root);
	if (err)
		return err;
	jwe = json_object_get(p->root, "ciphertext") != NULL;
	jws = json_object_get(p->root, "payload") != NULL;
	if (jwe == jws)
		return -ESF_E_FORMAT;
	p->jwe = jwe;
	return jwe ? split_json_jwe(p) : split_json_jws(p);
}

int esf_jose_split(const char *in, size_t len, struct jose_parts *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	if (len > ESF_ENVELOPE_MAX)
		return -EMSGSIZE;
	if (!len)
		return -ESF_E_FORMAT;
	err = in[0] == '{' ? split_json(in, len, p) : split_compact(in, len, p);
	if (err)
		esf_jose_parts_free(p);
	return err;
}

/* Header parameter names RFC 7515/7516/7518 define: never in "crit". */
static const char *const registered[] = {
	"alg", "enc", "zip", "jku", "jwk", "kid", "x5u", "x5c", "x5t",
	"x5t#S256", "typ", "cty", "crit", "epk", "apu", "apv", "iv", "tag",
	"p2s", "p2c", NULL
};

static bool in_list(const char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

/* RFC 7515 section 4.1.11, read strictly: first the form, then meaning. */
static int check_crit(const json_t *prot, const json_t *joint,
		      const struct jose_ext *ext)
{
	json_t *crit = json_object_get(joint, "crit");
	size_t i, j, n;

	if (!crit)
		return 0;
	if (json_object_get(prot, "crit") != crit || !json_is_array(crit) ||
	    !json_array_size(crit))
		return -ESF_E_FORMAT;
	n = json_array_size(crit);
	for (i = 0; i < n; i++) {
		const char *name = json_string_value(json_array_get(crit, i));

		if (!name || in_list(registered, name) || !json_object_get(prot, name))
			return -ESF_E_FORMAT;
		for (j = 0; j < i; j++)
			if (!strcmp(name, json_string_value(json_array_get(crit, j))))
				return -ESF_E_FORMAT;
	}
	for (i = 0; i < n; i++)
		if (!in_list(ext ? ext->names : NULL,
			     json_string_value(json_array_get(crit, i))))
			return -ESF_E_UNSUPPORTED;
	return 0;
}

static int check_types(const json_t *joint)
{
	static const char *const strings[] = { "alg", "enc", "kid", "cty", "typ", NULL };
	const char *const *k;

	for (k = strings; *k; k++) {
		json_t *v = json_object_get(joint, *k);

		if (v && !json_is_string(v))
			return -ESF_E_FORMAT;
	}
	if (!json_object_get(joint, "alg"))
		return -ESF_E_FORMAT;
	return 0;
}

static bool is_gcm(const struct esf_session_info *info)
{
	return info->alg == ESF_ALG_GCM_AES || info->alg == ESF_ALG_RFC4106_GCM_AES;
}

static int check_jwe(const struct esf_session_info *info, const json_t *joint,
		     const struct jose_ext *ext)
{
	const char *alg = json_string_value(json_object_get(joint, "alg"));
	const char *enc = json_string_value(json_object_get(joint, "enc"));
	bool kw = info->alg == ESF_ALG_KW_AES, ecdh = ext && ext->ecdh;
	const char *want_alg = kw ? esf_jwe_kw_alg(info->key_len) : "dir";
	const char *want_enc = esf_jwe_gcm_enc(kw ? info->cek_len : info->key_len);

	if (!enc)
		return -ESF_E_FORMAT;
	/* Key agreement needs esfd's private key: esf_ecdh_open() only. */
	if (ecdh) {
		if (!json_is_object(json_object_get(joint, "epk")))
			return -ESF_E_FORMAT;
		if (strcmp(alg, ESF_JWE_ECDH_ALG))
			return -ESF_E_UNSUPPORTED;
		want_alg = kw && info->key_len == 16 ? ESF_JWE_ECDH_ALG : NULL;
	} else if (strcmp(alg, "dir") && strcmp(alg, "A128KW") && strcmp(alg, "A192KW") &&
		   strcmp(alg, "A256KW")) {
		return -ESF_E_UNSUPPORTED;
	}
	if (strcmp(enc, "A128GCM") && strcmp(enc, "A192GCM") && strcmp(enc, "A256GCM"))
		return -ESF_E_UNSUPPORTED;
	if (!(kw || is_gcm(info)) || !want_alg || !want_enc || strcmp(alg, want_alg) ||
	    strcmp(enc, want_enc) || info->tag_len != 16)
		return -ESF_E_ALG_MISMATCH;
	if (!kw && info->nonce_len != ESF_NONCE_LEN)
		return -ESF_E_ALG_MISMATCH;
	return 0;
}

static const char *hs_alg(const struct esf_session_info *info)
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

static int check_jws(const struct esf_session_info *info, const json_t *joint)
{
	const char *alg = json_string_value(json_object_get(joint, "alg"));
	const char *want = hs_alg(info);

	if (strcmp(alg, "HS256") && strcmp(alg, "HS384") && strcmp(alg, "HS512"))
		return -ESF_E_UNSUPPORTED;
	if (!want || strcmp(alg, want))
		return -ESF_E_ALG_MISMATCH;
	return 0;
}

static int check_kid(const struct esf_session_info *info, const json_t *joint)
{
	const char *kid = json_string_value(json_object_get(joint, "kid"));

	if (!kid)
		return 0;
	if (strlen(kid) != info->key_id_len ||
	    memcmp(kid, info->key_id, info->key_id_len))
		return -ESF_E_KEY_ID;
	return 0;
}

int esf_jose_check_header(const struct esf_session *s, const json_t *prot,
			  const json_t *joint, bool jwe,
			  const struct jose_ext *ext)
{
	int err = check_types(joint);

	if (!err)
		err = check_crit(prot, joint, ext);
	if (!err && json_object_get(joint, "zip"))
		err = -ESF_E_UNSUPPORTED;
	if (!err && jwe != esf_session_is_aead(s))
		err = -ESF_E_ALG_MISMATCH;
	if (!err)
		err = jwe ? check_jwe(&s->info, joint, ext) : check_jws(&s->info, joint);
	if (!err)
		err = check_kid(&s->info, joint);
	return err;
}

int esf_jose_check(const struct esf_session *s, const struct jose_parts *p,
		   const struct jose_ext *ext)
{
	int err = esf_jose_check_header(s, p->prot, p->joint, p->jwe, ext);

	if (err)
		return err;
	if (p->jwe && (p->iv_len != ESF_NONCE_LEN || p->tag_len != 16))
		return -ESF_E_FORMAT;
	/* "dir" has no Encrypted Key; A*KW's is the content key, wrapped. */
	if (p->jwe && p->ek_len != esf_jwe_ek_len(&s->info))
		return -ESF_E_FORMAT;
	/* A MAC of the wrong length is simply a wrong MAC. */
	if (!p->jwe && p->sig_len != s->info.tag_len)
		return -EBADMSG;
	return 0;
}

bool esf_session_is_aead(const struct esf_session *s)
{
	return !esf_info_is_mic(&s->info);
}

const char *esf_jwe_gcm_enc(unsigned int key_len)
{
	switch (key_len) {
	case 16:
		return "A128GCM";
	case 24:
		return "A192GCM";
	case 32:
		return "A256GCM";
	default:
		return NULL;
	}
}

const char *esf_jwe_kw_alg(unsigned int kek_len)
{
	switch (kek_len) {
	case 16:
		return "A128KW";
	case 24:
		return "A192KW";
	case 32:
		return "A256KW";
	default:
		return NULL;
	}
}

size_t esf_jwe_ek_len(const struct esf_session_info *info)
{
	return info->alg == ESF_ALG_KW_AES ? ESF_JWE_KW_ICV + info->cek_len : 0;
}
