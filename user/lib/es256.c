// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libesf: JWS ES256 with the signer's certificate chain in "x5c", verified
 * offline against CA roots (esf_es256_verify()). The signing half is esfd's:
 * the application asks it over the control socket (esf_es256_sign(), in
 * peer.c), because the private key never leaves esfd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "esf.h"
#include "esf_env.h"

/* Certificates in "x5c" at most: a leaf and a few intermediates. */
#define X5C_MAX		8

/* Standard base64 with padding (RFC 7515 4.1.6), strictly, into DER. */
static X509 *x5c_cert(const char *b64)
{
	size_t n = strlen(b64), pad = 0, i;
	const unsigned char *p;
	unsigned char *der;
	X509 *x = NULL;
	int len;

	if (!n || n % 4 || n > 64 * 1024)
		return NULL;
	for (i = 0; i < n; i++) {
		char ch = b64[i];

		if (ch == '=') {
			if (i < n - 2)
				return NULL;
			pad++;
		} else if (pad || !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
				    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/')) {
			return NULL;
		}
	}
	der = malloc(n / 4 * 3);
	if (!der)
		return NULL;
	len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
	if (len >= (int)pad) {
		p = der;
		len -= (int)pad;
		x = d2i_X509(NULL, &p, len);
		if (x && p != der + len) {
			X509_free(x);
			x = NULL;
		}
	}
	free(der);
	return x;
}

/* The protected header's "x5c": leaf, then the rest as untrusted. */
static int x5c_read(const json_t *prot, X509 **leaf, STACK_OF(X509) **rest)
{
	const json_t *arr = json_object_get(prot, "x5c");
	size_t i, n = json_array_size(arr);

	if (!json_is_array(arr) || !n || n > X5C_MAX)
		return -ESF_E_FORMAT;
	*rest = sk_X509_new_null();
	if (!*rest)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		X509 *x = s ? x5c_cert(s) : NULL;

		if (!x)
			return -ESF_E_FORMAT;
		if (!i)
			*leaf = x;
		else if (!sk_X509_push(*rest, x)) {
			X509_free(x);
			return -ENOMEM;
		}
	}
	return 0;
}

static int verify_error(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return -ESF_E_CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return -ESF_E_CERT_NOT_YET_VALID;
	case X509_V_ERR_CERT_REVOKED:
		return -ESF_E_CERT_REVOKED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return -ESF_E_CERT_UNKNOWN_CA;
	}
	return -ESF_E_CERT_INVALID;
}

/* The roots, and the CRL checked for the leaf. */
static int store_load(const struct esf_es256_opts *o, X509_STORE **st)
{
	X509_CRL *crl = NULL;
	FILE *f;

	*st = X509_STORE_new();
	if (!*st)
		return -ENOMEM;
	f = fopen(o->ca_file, "re");
	if (!f)
		return -errno;
	fclose(f);
	if (X509_STORE_load_file(*st, o->ca_file) != 1)
		return -ESF_E_CERT_INVALID;
	if (!o->crl_file)
		return 0;
	f = fopen(o->crl_file, "re");
	if (!f)
		return -errno;
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (!crl || X509_STORE_add_crl(*st, crl) != 1) {
		X509_CRL_free(crl);
		return -ESF_E_CERT_INVALID;
	}
	X509_CRL_free(crl);
	X509_STORE_set_flags(*st, X509_V_FLAG_CRL_CHECK);
	return 0;
}

static int chain_verify(const struct esf_es256_opts *o, X509 *leaf, STACK_OF(X509) *rest)
{
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *st = NULL;
	int err = store_load(o, &st);

	if (!err) {
		ctx = X509_STORE_CTX_new();
		err = ctx && X509_STORE_CTX_init(ctx, st, leaf, rest) == 1 ? 0 : -ENOMEM;
	}
	if (!err) {
		if (o->at)
			X509_STORE_CTX_set_time(ctx, 0, (time_t)o->at);
		if (X509_verify_cert(ctx) != 1)
			err = verify_error(X509_STORE_CTX_get_error(ctx));
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return err;
}

/* The first subjectAltName URI: the signer's oneM2M id (TS-0003). */
static char *leaf_id(X509 *leaf, const char *want, bool *match)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	char *first = NULL;
	int i;

	*match = false;
	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int n;

		if (g->type != GEN_URI)
			continue;
		d = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		n = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (n <= 0 || memchr(d, '\0', (size_t)n))
			continue;
		if (want && strlen(want) == (size_t)n && !memcmp(want, d, (size_t)n))
			*match = true;
		if (!first)
			first = strndup((const char *)d, (size_t)n);
	}
	GENERAL_NAMES_free(gens);
	return first;
}

/* ECDSA P-256 over SHA-256 of @in; @sig is R || S (RFC 7518 3.4). */
static int sig_verify(X509 *leaf, const char *in, size_t len, const uint8_t *sig)
{
	EVP_PKEY *key = X509_get0_pubkey(leaf);
	unsigned char *der = NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
	EVP_MD_CTX *md = NULL;
	char group[32];
	int n = 0, err = -ENOMEM;

	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), NULL) != 1 ||
	    strcmp(group, "prime256v1")) {
		err = -ESF_E_CERT_INVALID;
		goto out;
	}
	if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	n = i2d_ECDSA_SIG(es, &der);
	md = EVP_MD_CTX_new();
	if (n <= 0 || !md)
		goto out;
	err = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	      EVP_DigestVerify(md, der, (size_t)n, (const unsigned char *)in, len) == 1 ?
	      0 : -EBADMSG;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	return err;
}

/* Only what this function understands: "alg" ES256 and "x5c" protected. */
static int header_check(const struct jose_parts *p)
{
	const char *alg = json_string_value(json_object_get(p->prot, "alg"));

	if (p->jwe || !p->prot)
		return -ESF_E_FORMAT;
	if (!alg || json_object_get(p->joint, "alg") != json_object_get(p->prot, "alg"))
		return -ESF_E_FORMAT;
	if (strcmp(alg, "ES256"))
		return -ESF_E_UNSUPPORTED;
	if (json_object_get(p->joint, "crit") || json_object_get(p->joint, "b64"))
		return -ESF_E_UNSUPPORTED;
	if (json_object_get(p->joint, "x5c") != json_object_get(p->prot, "x5c"))
		return -ESF_E_FORMAT;
	if (p->sig_len != 64)
		return -ESF_E_FORMAT;
	return 0;
}

int esf_es256_verify(const char *jws, size_t len, const struct esf_es256_opts *opts,
		     void **payload, size_t *payload_len, char **signer)
{
	STACK_OF(X509) *rest = NULL;
	struct jose_parts p;
	X509 *leaf = NULL;
	char *input = NULL, *id = NULL;
	void *out = NULL;
	size_t out_len = 0;
	bool match;
	int err;

	if (!jws || !opts || !opts->ca_file || !payload || !payload_len)
		return -EINVAL;
	err = esf_jose_split(jws, len, &p);
	if (err)
		return err;
	err = header_check(&p);
	if (!err)
		err = x5c_read(p.prot, &leaf, &rest);
	if (!err)
		err = chain_verify(opts, leaf, rest);
	if (!err) {
		id = leaf_id(leaf, opts->signer_id, &match);
		if (opts->signer_id ? !match : !id)
			err = -ESF_E_CERT_WRONG_ID;
	}
	if (!err && asprintf(&input, "%s.%s", p.prot_b64, p.payload_b64) < 0) {
		input = NULL;
		err = -ENOMEM;
	}
	if (!err)
		err = sig_verify(leaf, input, strlen(input), p.sig);
	if (!err)
		err = esf_b64url_decode(p.payload_b64, strlen(p.payload_b64), &out, &out_len);
	if (!err) {
		*payload = out;
		*payload_len = out_len;
		if (signer) {
			*signer = id;
			id = NULL;
		}
	}
	free(input);
	free(id);
	X509_free(leaf);
	sk_X509_pop_free(rest, X509_free);
	esf_jose_parts_free(&p);
	return err;
}
