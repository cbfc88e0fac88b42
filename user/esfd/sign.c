// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: JWS ES256 with the entity's certificate key (sign.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certs.h"
#include "enc.h"
#include "sign.h"

/* One certificate as x5c wants it: DER in standard base64. */
static int x5c_add(json_t *arr, X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	char *s;
	int err;

	if (n <= 0)
		return -EIO;
	s = esfd_b64_alloc(der, (size_t)n, false);
	OPENSSL_free(der);
	if (!s)
		return -ENOMEM;
	err = json_array_append_new(arr, json_string(s)) ? -ENOMEM : 0;
	free(s);
	return err;
}

static bool cty_ok(const char *cty)
{
	size_t i, n = strlen(cty);

	if (!n || n > ESFD_SIGN_CTY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (cty[i] < 0x20 || cty[i] > 0x7e || cty[i] == '"' || cty[i] == '\\')
			return false;
	return true;
}

/* The protected header, base64url of its compact JSON. */
int esfd_x5c_array(X509 *leaf, STACK_OF(X509) *chain, json_t **out)
{
	json_t *x5c = json_array();
	int err = x5c ? x5c_add(x5c, leaf) : -ENOMEM;
	int i;

	for (i = 0; !err && chain && i < sk_X509_num(chain); i++)
		err = x5c_add(x5c, sk_X509_value(chain, i));
	if (err) {
		json_decref(x5c);
		x5c = NULL;
	}
	*out = x5c;
	return err;
}

static int header(const struct esfd_creds *c, const char *cty, char **out)
{
	json_t *h = json_object(), *x5c = NULL;
	char *text = NULL;
	int err = -ENOMEM;

	if (!h || json_object_set_new(h, "alg", json_string("ES256")))
		goto out;
	if (cty && json_object_set_new(h, "cty", json_string(cty)))
		goto out;
	err = esfd_x5c_array(c->cert, c->chain, &x5c);
	if (err)
		goto out;
	err = json_object_set(h, "x5c", x5c) ? -ENOMEM : 0;
	text = err ? NULL : json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
	*out = text ? esfd_b64_alloc((const uint8_t *)text, strlen(text), true) : NULL;
	err = *out ? 0 : -ENOMEM;
out:
	free(text);
	json_decref(x5c);
	json_decref(h);
	return err;
}

int esfd_es256_raw(EVP_PKEY *key, const void *in, size_t len, uint8_t sig[ESFD_ES256_SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80];
	const unsigned char *p = der;
	size_t dlen = sizeof(der);
	const BIGNUM *r, *s;
	ECDSA_SIG *es = NULL;
	int ok;

	if (!key)
		return -ENOKEY;
	ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestSign(md, der, &dlen, (const unsigned char *)in, len) == 1 &&
	     (es = d2i_ECDSA_SIG(NULL, &p, (long)dlen));
	if (ok) {
		ECDSA_SIG_get0(es, &r, &s);
		ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
	}
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -EIO;
}

int esfd_es256_verify(EVP_PKEY *pub, const void *in, size_t len,
		      const uint8_t sig[ESFD_ES256_SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char *der = NULL;
	int dlen = -1, ok = 0;

	if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL;	/* es owns them */
		dlen = i2d_ECDSA_SIG(es, &der);
	}
	if (md && dlen > 0 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1)
		ok = EVP_DigestVerify(md, der, (size_t)dlen, in, len) == 1;
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok ? 0 : -EBADMSG;
}

int esfd_sign_es256(const struct esfd_creds *c, const void *payload, size_t len,
		    const char *cty, char **out)
{
	char *hb = NULL, *pb = NULL;
	int err;

	*out = NULL;
	if (!c || !c->key || !c->cert)
		return -ENOKEY;
	if (len > ESFD_SIGN_PAYLOAD_MAX)
		return -EMSGSIZE;
	if ((!payload && len) || (cty && !cty_ok(cty)))
		return -EINVAL;
	err = header(c, cty, &hb);
	if (err)
		return err;
	pb = esfd_b64_alloc(payload ? payload : (const uint8_t *)"", len, true);
	err = pb ? esfd_jws_es256_compact(c->key, hb, pb, out) : -ENOMEM;
	free(hb);
	free(pb);
	return err;
}

int esfd_jws_es256_compact(EVP_PKEY *key, const char *hb, const char *pb, char **out)
{
	char *input = NULL, *sb = NULL;
	uint8_t sig[ESFD_ES256_SIG_LEN];
	int err = -ENOMEM;

	*out = NULL;
	if (asprintf(&input, "%s.%s", hb, pb) < 0)
		return -ENOMEM;
	err = esfd_es256_raw(key, input, strlen(input), sig);
	if (!err) {
		sb = esfd_b64_alloc(sig, sizeof(sig), true);
		err = -ENOMEM;
		if (sb && asprintf(out, "%s.%s", input, sb) > 0)
			err = 0;
		else
			*out = NULL;
	}
	free(input);
	free(sb);
	return err;
}
