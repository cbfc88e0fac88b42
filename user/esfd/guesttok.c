// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: guest tokens, presentations and grants on the wire (guesttok.h,
 * docs/esfd.md "Guest devices"). Everything read here comes from whoever
 * can publish on the broker: strict, bounded, and nothing trusted before
 * guest.c has checked its signature.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ecdh.h"
#include "guesttok.h"
#include "jwe.h"
#include "m2m.h"

#define GCM_IV_LEN	12
#define GCM_TAG_LEN	16
/* The largest JWE of a grant, and the largest grant plaintext. */
#define GRANT_JWE_MAX	4096
#define GRANT_PT_MAX	1024

/* JWS ------------------------------------------------------------------------ */

static json_t *b64_json(const char *s, size_t len)
{
	size_t cap = len / 4 * 3 + 3, n;
	uint8_t *buf = malloc(cap);
	json_t *j = NULL;

	if (buf && !esfd_b64_decode(s, len, true, buf, cap, &n))
		j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static bool x5c_ok(const json_t *x5c)
{
	size_t i, n = json_array_size(x5c);

	if (!json_is_array(x5c) || !n || n > ESFD_GUEST_CHAIN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(x5c, i)))
			return false;
	return true;
}

static bool hdr_ok(const json_t *h, const char *typ)
{
	const json_t *x5c = json_object_get(h, "x5c");

	return json_object_size(h) == 2u + (x5c ? 1u : 0u) &&
	       json_is_string(json_object_get(h, "alg")) &&
	       !strcmp(json_string_value(json_object_get(h, "alg")), "ES256") &&
	       json_is_string(json_object_get(h, "typ")) &&
	       !strcmp(json_string_value(json_object_get(h, "typ")), typ) &&
	       (!x5c || x5c_ok(x5c));
}

int esfd_jws_parse(const char *jws, size_t max, const char *typ, struct esfd_jws *j)
{
	const char *d1, *d2;
	size_t n, len;

	memset(j, 0, sizeof(*j));
	len = jws ? strnlen(jws, max + 1) : max + 1;
	if (len > max)
		return -EPROTO;
	d1 = memchr(jws, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jws)) : NULL;
	if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jws)))
		return -EPROTO;
	j->hdr = b64_json(jws, (size_t)(d1 - jws));
	j->payload = b64_json(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!j->hdr || !j->payload || !hdr_ok(j->hdr, typ))
		return -EPROTO;
	if (esfd_b64_decode(d2 + 1, len - (size_t)(d2 + 1 - jws), true, j->sig, sizeof(j->sig),
			    &n) || n != sizeof(j->sig))
		return -EPROTO;
	j->input = jws;
	j->input_len = (size_t)(d2 - jws);
	return 0;
}

void esfd_jws_free(struct esfd_jws *j)
{
	json_decref(j->hdr);
	json_decref(j->payload);
	j->hdr = j->payload = NULL;
}

static X509 *cert_of(const char *b64)
{
	size_t len = strlen(b64), n;
	uint8_t *der = len <= 8192 ? malloc(len) : NULL;
	const unsigned char *p = der;
	X509 *x = NULL;

	if (der && !esfd_b64_decode(b64, len, false, der, len, &n)) {
		x = d2i_X509(NULL, &p, (long)n);
		if (x && p != der + n) {
			X509_free(x);
			x = NULL;
		}
	}
	free(der);
	return x;
}

int esfd_jws_x5c(const struct esfd_jws *j, X509 **leaf, STACK_OF(X509) **chain)
{
	const json_t *x5c = json_object_get(j->hdr, "x5c");
	size_t i;
	X509 *x;

	*leaf = NULL;
	*chain = NULL;
	if (!x5c)
		return -ENOENT;
	for (i = 0; i < json_array_size(x5c); i++) {
		x = cert_of(json_string_value(json_array_get(x5c, i)));
		if (!x)
			goto bad;
		if (!i) {
			*leaf = x;
			continue;
		}
		if (!*chain)
			*chain = sk_X509_new_null();
		if (!*chain || !sk_X509_push(*chain, x)) {
			X509_free(x);
			goto bad;
		}
	}
	return 0;
bad:
	X509_free(*leaf);
	sk_X509_pop_free(*chain, X509_free);
	*leaf = NULL;
	*chain = NULL;
	return -EPROTO;
}

static char *json_b64(const json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *b = text ? esfd_b64_alloc((const uint8_t *)text, strlen(text), true) : NULL;

	free(text);
	return b;
}

int esfd_jws_sign(EVP_PKEY *key, const json_t *hdr, const json_t *payload, char **out)
{
	char *hb = json_b64(hdr), *pb = json_b64(payload);
	int err = -ENOMEM;

	*out = NULL;
	if (hb && pb)
		err = esfd_jws_es256_compact(key, hb, pb, out);
	free(hb);
	free(pb);
	return err;
}

/* Token claims --------------------------------------------------------------- */

static int id_copy(const json_t *v, char out[ESFD_ID_MAX + 1])
{
	const char *s = json_string_value(v);

	if (!s || esfd_id_check(s, strlen(s)))
		return -EPROTO;
	strcpy(out, s);
	return 0;
}

static int time_of(const json_t *v, int64_t *t)
{
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return -EPROTO;
	*t = json_integer_value(v);
	return 0;
}

static int jti_copy(const json_t *v, char out[ESFD_GUEST_JTI_B64 + 1])
{
	const char *s = json_string_value(v);
	uint8_t raw[ESFD_GUEST_JTI_LEN + 2];
	size_t n;

	if (!s || strlen(s) != ESFD_GUEST_JTI_B64 ||
	    esfd_b64_decode(s, ESFD_GUEST_JTI_B64, true, raw, sizeof(raw), &n) ||
	    n != ESFD_GUEST_JTI_LEN)
		return -EPROTO;
	strcpy(out, s);
	return 0;
}

static int aud_read(const json_t *v, struct esfd_gtok *t)
{
	size_t i;

	if (t->kind == ESFD_GTOK_DEV) {
		t->n_aud = 1;
		return id_copy(v, t->aud[0]);
	}
	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > ESFD_GUEST_AUD_MAX)
		return -EPROTO;
	for (i = 0; i < json_array_size(v); i++)
		if (id_copy(json_array_get(v, i), t->aud[i]))
			return -EPROTO;
	t->n_aud = i;
	return 0;
}

static int cnf_read(const json_t *v, EVP_PKEY **out)
{
	const json_t *jwk = json_object_get(v, "jwk");

	if (!json_is_object(v) || json_object_size(v) != 1 || !json_is_object(jwk))
		return -EPROTO;
	return esfd_ecdh_epk_parse(jwk, out) ? -EPROTO : 0;
}

int esfd_gtok_read(const json_t *payload, enum esfd_gtok_kind kind, struct esfd_gtok *t)
{
	const json_t *dlg = json_object_get(payload, "dlg");

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	if (!json_is_object(payload) ||
	    json_object_size(payload) != (kind == ESFD_GTOK_DEV ? 8u : 7u))
		return -EPROTO;
	if (id_copy(json_object_get(payload, "iss"), t->iss) ||
	    id_copy(json_object_get(payload, "sub"), t->sub) ||
	    aud_read(json_object_get(payload, "aud"), t) ||
	    time_of(json_object_get(payload, "iat"), &t->iat) ||
	    time_of(json_object_get(payload, "exp"), &t->exp) || t->exp <= t->iat ||
	    jti_copy(json_object_get(payload, "jti"), t->jti) ||
	    cnf_read(json_object_get(payload, "cnf"), &t->cnf))
		return -EPROTO;
	if (kind == ESFD_GTOK_DEV) {
		if (!json_is_string(dlg) || !json_string_length(dlg) ||
		    json_string_length(dlg) > ESFD_GUEST_TOKEN_MAX)
			return -EPROTO;
		t->dlg = json_string_value(dlg);
	}
	return 0;
}

void esfd_gtok_free(struct esfd_gtok *t)
{
	EVP_PKEY_free(t->cnf);
	t->cnf = NULL;
}

json_t *esfd_gtok_payload(const struct esfd_gtok *t)
{
	json_t *o = json_object(), *aud, *jwk = NULL;
	size_t i;

	if (!o || esfd_ecdh_epk_json(t->cnf, &jwk))
		goto bad;
	if (t->kind == ESFD_GTOK_DLG) {
		aud = json_array();
		for (i = 0; aud && i < t->n_aud; i++)
			json_array_append_new(aud, json_string(t->aud[i]));
	} else {
		aud = json_string(t->aud[0]);
	}
	if (json_object_set_new(o, "iss", json_string(t->iss)) ||
	    json_object_set_new(o, "sub", json_string(t->sub)) ||
	    json_object_set_new(o, "aud", aud) ||
	    json_object_set_new(o, "iat", json_integer(t->iat)) ||
	    json_object_set_new(o, "exp", json_integer(t->exp)) ||
	    json_object_set_new(o, "jti", json_string(t->jti)) ||
	    json_object_set_new(o, "cnf", json_pack("{s:o}", "jwk", jwk)))
		goto bad_jwk_taken;
	jwk = NULL;
	if (t->kind == ESFD_GTOK_DEV && json_object_set_new(o, "dlg", json_string(t->dlg)))
		goto bad;
	return o;
bad_jwk_taken:
	jwk = NULL;
bad:
	json_decref(jwk);
	json_decref(o);
	return NULL;
}

int esfd_gtok_jti(char out[ESFD_GUEST_JTI_B64 + 1])
{
	uint8_t r[ESFD_GUEST_JTI_LEN];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -EIO;
	return esfd_b64_encode(r, sizeof(r), true, out, ESFD_GUEST_JTI_B64 + 1) ? -EIO : 0;
}

/* Revocation lists ------------------------------------------------------------ */

static int jti_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int esfd_grvk_read(const json_t *payload, struct esfd_grvk *r)
{
	const json_t *arr = json_object_get(payload, "jti");
	size_t i, n = json_array_size(arr);

	memset(r, 0, sizeof(*r));
	if (!json_is_object(payload) || json_object_size(payload) != 3 || !json_is_array(arr) ||
	    n > ESFD_GUEST_RVK_IDS || id_copy(json_object_get(payload, "iss"), r->iss) ||
	    time_of(json_object_get(payload, "iat"), &r->iat))
		return -EPROTO;
	r->jti = calloc(n ? n : 1, sizeof(*r->jti));
	if (!r->jti)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (jti_copy(json_array_get(arr, i), r->jti[i]))
			return -EPROTO;
	r->n = n;
	qsort(r->jti, n, sizeof(*r->jti), jti_cmp);
	return 0;
}

bool esfd_grvk_has(const struct esfd_grvk *r, const char *jti)
{
	return r->n && bsearch(jti, r->jti, r->n, sizeof(*r->jti), jti_cmp);
}

void esfd_grvk_free(struct esfd_grvk *r)
{
	free(r->jti);
	r->jti = NULL;
	r->n = 0;
}

/* Presentations --------------------------------------------------------------- */

bool esfd_gsp_is(const json_t *pc)
{
	return json_is_object(pc) && json_object_size(pc) == 1 &&
	       json_object_get(pc, "esf:gsp");
}

static bool v_ok(const json_t *o)
{
	const json_t *v = json_object_get(o, "v");

	return json_is_integer(v) && json_integer_value(v) == ESFD_GUEST_VERSION;
}

int esfd_gsp_read(const json_t *pc, struct esfd_gpres *p)
{
	const json_t *o = json_object_get(pc, "esf:gsp");
	const json_t *tok = json_object_get(o, "tok");

	memset(p, 0, sizeof(*p));
	if (!esfd_gsp_is(pc) || !json_is_object(o) || json_object_size(o) != 5 || !v_ok(o) ||
	    !json_is_string(tok) || !json_string_length(tok) ||
	    json_string_length(tok) > ESFD_GUEST_TOKEN_MAX ||
	    time_of(json_object_get(o, "t"), &p->t) ||
	    esfd_m2m_get_b64(o, "nnc", p->nnc, sizeof(p->nnc)) ||
	    esfd_m2m_get_b64(o, "sig", p->sig, sizeof(p->sig)))
		return -EPROTO;
	p->tok = json_string_value(tok);
	return 0;
}

json_t *esfd_gsp_build(const struct esfd_gpres *p)
{
	json_t *o = json_pack("{s:i,s:s,s:I}", "v", ESFD_GUEST_VERSION, "tok", p->tok, "t",
			      (json_int_t)p->t);

	if (!o || esfd_m2m_set_b64(o, "nnc", p->nnc, sizeof(p->nnc)) ||
	    esfd_m2m_set_b64(o, "sig", p->sig, sizeof(p->sig))) {
		json_decref(o);
		return NULL;
	}
	return json_pack("{s:o}", "esf:gsp", o);
}

static uint8_t *put_l(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	esfd_put_be16(p, (uint16_t)n);
	memcpy(p + 2, s, n);
	return p + 2 + n;
}

int esfd_gpres_tbs(const char *dev, const char *gw, const char *net, const struct esfd_gpres *p,
		   uint8_t out[ESFD_GUEST_POP_MAX], size_t *len)
{
	static const char label[] = "esf-guest-v1 pop";
	uint8_t *q = out;

	if (strlen(dev) > ESFD_ID_MAX || strlen(gw) > ESFD_ID_MAX || strlen(net) > ESFD_ID_MAX)
		return -EINVAL;
	memcpy(q, label, sizeof(label) - 1);
	q += sizeof(label) - 1;
	q = put_l(q, dev);
	q = put_l(q, gw);
	q = put_l(q, net);
	esfd_put_be64(q, (uint64_t)p->t);
	q += 8;
	memcpy(q, p->nnc, sizeof(p->nnc));
	q += sizeof(p->nnc);
	SHA256((const unsigned char *)p->tok, strlen(p->tok), q);
	q += SHA256_DIGEST_LENGTH;
	*len = (size_t)(q - out);
	return 0;
}

/* Grants ---------------------------------------------------------------------- */

static uint8_t *put32(uint8_t *p, const void *v, size_t len)
{
	esfd_put_be32(p, (uint32_t)len);
	memcpy(p + 4, v, len);
	return p + 4 + len;
}

/*
 * The content key of ECDH-ES with A256GCM (RFC 7518 4.6.2): one round of
 * the Concat KDF, SHA-256(00000001 || Z || OtherInfo), is the 32 bytes.
 */
static int grant_cek(EVP_PKEY *priv, EVP_PKEY *pub, const char *gw,
		     const uint8_t nnc[ESFD_GUEST_NONCE_LEN], uint8_t cek[32])
{
	static const char alg[] = "A256GCM";
	uint8_t buf[4 + ESFD_ECDH_Z_LEN + 4 + 7 + 4 + ESFD_ID_MAX + 4 + ESFD_GUEST_NONCE_LEN + 4];
	uint8_t *p = buf;
	int err;

	if (strlen(gw) > ESFD_ID_MAX)
		return -EINVAL;
	esfd_put_be32(p, 1);
	err = esfd_ecdh_z(priv, pub, p + 4);
	if (err)
		return err;
	p += 4 + ESFD_ECDH_Z_LEN;
	p = put32(p, alg, sizeof(alg) - 1);
	p = put32(p, gw, strlen(gw));
	p = put32(p, nnc, ESFD_GUEST_NONCE_LEN);
	esfd_put_be32(p, 256);
	p += 4;
	err = EVP_Digest(buf, (size_t)(p - buf), cek, NULL, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
	OPENSSL_cleanse(buf, sizeof(buf));
	return err;
}

static json_t *grant_json(const struct esfd_ggrant *g)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:i,s:i,s:s,s:i}", "net", g->net, "grp", g->grp,
			      "epoch", (json_int_t)g->epoch, "sender", (int)g->sender,
			      "senders", (int)g->senders, "alg", ESFD_GUEST_ALG, "tagLength",
			      ESFD_GUEST_TAG_LEN);

	if (!o || esfd_m2m_set_b64(o, "key", g->key, sizeof(g->key)) ||
	    esfd_m2m_set_b64(o, "salt", g->salt, sizeof(g->salt)) ||
	    json_object_set_new(o, "exp", json_integer(g->exp))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int grant_hdr(EVP_PKEY *eph, const char *gw, const uint8_t nnc[ESFD_GUEST_NONCE_LEN],
		     json_t **out)
{
	json_t *h = json_pack("{s:s,s:s,s:s}", "alg", "ECDH-ES", "enc", "A256GCM", "cty",
			      ESFD_GUEST_KEY_CTY), *epk = NULL;
	char *apu = esfd_b64_alloc((const uint8_t *)gw, strlen(gw), true);
	int err = h && apu ? esfd_ecdh_epk_json(eph, &epk) : -ENOMEM;

	if (!err && (json_object_set_new(h, "epk", epk) ||
		     json_object_set_new(h, "apu", json_string(apu)) ||
		     esfd_m2m_set_b64(h, "apv", nnc, ESFD_GUEST_NONCE_LEN)))
		err = -ENOMEM;
	free(apu);
	if (err) {
		json_decref(h);
		h = NULL;
	}
	*out = h;
	return err;
}

int esfd_ggrant_seal(EVP_PKEY *to, const char *gw, const uint8_t nnc[ESFD_GUEST_NONCE_LEN],
		     const struct esfd_ggrant *g, char **out)
{
	EVP_PKEY *eph = NULL;
	json_t *hdr = NULL, *pt = grant_json(g);
	char *text = pt ? json_dumps(pt, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	uint8_t cek[32];
	int err;

	*out = NULL;
	err = text ? esfd_ecdh_ephemeral(&eph) : -ENOMEM;
	if (!err)
		err = grant_hdr(eph, gw, nnc, &hdr);
	if (!err)
		err = grant_cek(eph, to, gw, nnc, cek);
	if (!err)
		err = esfd_jwe_seal(cek, hdr, text, strlen(text), out);
	OPENSSL_cleanse(cek, sizeof(cek));
	if (text)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
	json_decref(pt);	/* holds the key: jansson frees it, the text was wiped */
	json_decref(hdr);
	EVP_PKEY_free(eph);
	return err;
}

/* The five parts of a compact JWE, as jwe.c opens them. */
static int jwe_split(const char *jwe, struct esfd_jwe *p)
{
	const char *s = jwe, *dot;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (strnlen(jwe, GRANT_JWE_MAX + 1) > GRANT_JWE_MAX)
		return -EPROTO;
	for (i = 0; i < 5; i++) {
		dot = strchr(s, '.');
		if ((i < 4) != !!dot)
			return -EPROTO;
		p->parts[i] = s;
		p->lens[i] = dot ? (size_t)(dot - s) : strlen(s);
		s = dot ? dot + 1 : s;
	}
	if (p->lens[1])
		return -EPROTO;
	p->hdr = b64_json(p->parts[0], p->lens[0]);
	return p->hdr ? 0 : -EPROTO;
}

static const char *hstr(const json_t *h, const char *k)
{
	return json_string_value(json_object_get(h, k)) ?: "";
}

static int grant_read(const json_t *o, struct esfd_ggrant *g)
{
	const json_t *e = json_object_get(o, "epoch"), *s = json_object_get(o, "sender");
	const json_t *n = json_object_get(o, "senders"), *t = json_object_get(o, "tagLength");

	if (!json_is_object(o) || json_object_size(o) != 10 ||
	    id_copy(json_object_get(o, "net"), g->net) ||
	    id_copy(json_object_get(o, "grp"), g->grp) || !json_is_integer(e) ||
	    json_integer_value(e) < 1 || json_integer_value(e) > UINT32_MAX ||
	    !json_is_integer(n) || json_integer_value(n) < 2 ||
	    json_integer_value(n) > UINT16_MAX || !json_is_integer(s) ||
	    json_integer_value(s) < 1 || json_integer_value(s) >= json_integer_value(n) ||
	    strcmp(hstr(o, "alg"), ESFD_GUEST_ALG) || !json_is_integer(t) ||
	    json_integer_value(t) != ESFD_GUEST_TAG_LEN ||
	    esfd_m2m_get_b64(o, "key", g->key, sizeof(g->key)) ||
	    esfd_m2m_get_b64(o, "salt", g->salt, sizeof(g->salt)) ||
	    time_of(json_object_get(o, "exp"), &g->exp))
		return -EPROTO;
	g->epoch = (uint32_t)json_integer_value(e);
	g->sender = (uint16_t)json_integer_value(s);
	g->senders = (uint16_t)json_integer_value(n);
	return 0;
}

static int grant_bound(const json_t *h, const char *gw, const uint8_t nnc[ESFD_GUEST_NONCE_LEN])
{
	char *apu = esfd_b64_alloc((const uint8_t *)gw, strlen(gw), true);
	uint8_t apv[ESFD_GUEST_NONCE_LEN];
	int err;

	if (!apu)
		return -ENOMEM;
	err = strcmp(hstr(h, "apu"), apu) ||
	      esfd_m2m_get_b64(h, "apv", apv, sizeof(apv)) ||
	      !esfd_ct_equal(apv, nnc, sizeof(apv)) ? -EKEYREJECTED : 0;
	free(apu);
	return err;
}

int esfd_ggrant_open(EVP_PKEY *key, const char *jwe, const char *gw,
		     const uint8_t nnc[ESFD_GUEST_NONCE_LEN], struct esfd_ggrant *g)
{
	uint8_t cek[32], pt[GRANT_PT_MAX];
	EVP_PKEY *epk = NULL;
	struct esfd_jwe p;
	json_t *o = NULL;
	size_t n = 0;
	int err;

	memset(g, 0, sizeof(*g));
	err = jwe_split(jwe, &p);
	if (!err && (strcmp(hstr(p.hdr, "alg"), "ECDH-ES") ||
		     strcmp(hstr(p.hdr, "enc"), "A256GCM") ||
		     strcmp(hstr(p.hdr, "cty"), ESFD_GUEST_KEY_CTY)))
		err = -EOPNOTSUPP;
	if (!err)
		err = grant_bound(p.hdr, gw, nnc);
	if (!err && esfd_ecdh_epk_parse(json_object_get(p.hdr, "epk"), &epk))
		err = -EPROTO;
	if (!err)
		err = grant_cek(key, epk, gw, nnc, cek);
	if (!err)
		err = esfd_jwe_open(&p, cek, pt, sizeof(pt), &n);
	if (!err) {
		o = json_loadb((const char *)pt, n, JSON_REJECT_DUPLICATES, NULL);
		err = grant_read(o, g);
	}
	OPENSSL_cleanse(cek, sizeof(cek));
	OPENSSL_cleanse(pt, sizeof(pt));
	json_decref(o);
	EVP_PKEY_free(epk);
	esfd_jwe_free(&p);
	if (err)
		esfd_ggrant_wipe(g);
	return err;
}

bool esfd_gsa_is(const json_t *pc)
{
	return json_is_object(pc) && json_object_size(pc) == 1 &&
	       json_object_get(pc, "esf:gsa");
}

int esfd_gsa_read(const json_t *pc, struct esfd_gans *a)
{
	const json_t *o = json_object_get(pc, "esf:gsa"), *k = json_object_get(o, "key");
	const json_t *x5c = json_object_get(o, "x5c"), *sig = json_object_get(o, "sig");
	struct esfd_jws j = { 0 };
	int err;

	memset(a, 0, sizeof(*a));
	if (!esfd_gsa_is(pc) || !json_is_object(o) || !v_ok(o) || !x5c != !sig ||
	    json_object_size(o) != (x5c ? 4u : 2u) || !json_is_string(k) ||
	    !json_string_length(k) || json_string_length(k) > GRANT_JWE_MAX)
		return -EPROTO;
	a->jwe = json_string_value(k);
	if (!x5c)
		return 0;
	if (!x5c_ok(x5c) || esfd_m2m_get_b64(o, "sig", a->sig, sizeof(a->sig)))
		return -EPROTO;
	/* esfd_jws_x5c() reads a header's "x5c": lend it this one. */
	j.hdr = json_pack("{s:O}", "x5c", x5c);
	err = j.hdr ? esfd_jws_x5c(&j, &a->leaf, &a->chain) : -ENOMEM;
	json_decref(j.hdr);
	if (err)
		return -EPROTO;
	a->signed_ = true;
	return 0;
}

void esfd_gans_free(struct esfd_gans *a)
{
	X509_free(a->leaf);
	sk_X509_pop_free(a->chain, X509_free);
	a->leaf = NULL;
	a->chain = NULL;
}

int esfd_gans_tbs(const char *gw, const char *dev, const uint8_t nnc[ESFD_GUEST_NONCE_LEN],
		  const char *jwe, uint8_t out[ESFD_GUEST_POP_MAX], size_t *len)
{
	static const char label[] = "esf-guest-v1 grant";
	uint8_t *q = out;

	if (strlen(gw) > ESFD_ID_MAX || strlen(dev) > ESFD_ID_MAX)
		return -EINVAL;
	memcpy(q, label, sizeof(label) - 1);
	q += sizeof(label) - 1;
	q = put_l(q, gw);
	q = put_l(q, dev);
	memcpy(q, nnc, ESFD_GUEST_NONCE_LEN);
	q += ESFD_GUEST_NONCE_LEN;
	SHA256((const unsigned char *)jwe, strlen(jwe), q);
	q += SHA256_DIGEST_LENGTH;
	*len = (size_t)(q - out);
	return 0;
}

json_t *esfd_gsa_build(const char *jwe, json_t *x5c, const uint8_t *sig)
{
	json_t *o = json_pack("{s:i,s:s}", "v", ESFD_GUEST_VERSION, "key", jwe);

	if (o && x5c && (json_object_set_new(o, "x5c", x5c) ||
			 esfd_m2m_set_b64(o, "sig", sig, ESFD_ES256_SIG_LEN))) {
		json_decref(o);
		return NULL;
	}
	if (!o)
		json_decref(x5c);
	return o ? json_pack("{s:o}", "esf:gsa", o) : NULL;
}

void esfd_ggrant_wipe(struct esfd_ggrant *g)
{
	OPENSSL_cleanse(g, sizeof(*g));
}
