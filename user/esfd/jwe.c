// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's own compact JWEs, dir and A256GCM (jwe.h): one implementation for
 * the establishment's key confirmations and the wrapped group keys.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "enc.h"
#include "jwe.h"

#define GCM_IV_LEN 12
#define GCM_TAG_LEN 16

int esfd_aes256gcm(bool enc, const uint8_t key[32], const uint8_t *iv, const uint8_t *aad,
	       size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok, n = 0, fin = 0;

	if (!c)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) == 1 &&
	     EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, tag) == 1) &&
	     EVP_CipherFinal_ex(c, out + n, &fin) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	if (!ok && !enc)
		OPENSSL_cleanse(out, len);
	return ok ? 0 : enc ? -EIO : -EBADMSG;
}

int esfd_jwe_seal(const uint8_t key[32], const json_t *hdr, const void *pt, size_t len,
		  char **out)
{
	char *htext = json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *hb = NULL, *ivb = NULL, *cb = NULL, *tb = NULL;
	uint8_t iv[GCM_IV_LEN], tag[GCM_TAG_LEN], ct[ESFD_JWE_PT_MAX];
	int err = -ENOMEM;

	if (!len || len > sizeof(ct)) {
		free(htext);
		return -EINVAL;
	}
	hb = htext ? esfd_b64_alloc((const uint8_t *)htext, strlen(htext), true) : NULL;
	if (!hb)
		goto out;
	err = -EIO;
	if (getrandom(iv, sizeof(iv), 0) != sizeof(iv))
		goto out;
	err = esfd_aes256gcm(true, key, iv, (const uint8_t *)hb, strlen(hb), pt, len, ct, tag);
	if (err)
		goto out;
	ivb = esfd_b64_alloc(iv, sizeof(iv), true);
	cb = esfd_b64_alloc(ct, len, true);
	tb = esfd_b64_alloc(tag, sizeof(tag), true);
	err = -ENOMEM;
	if (ivb && cb && tb && asprintf(out, "%s..%s.%s.%s", hb, ivb, cb, tb) > 0)
		err = 0;
out:
	free(htext);
	free(hb);
	free(ivb);
	free(cb);
	free(tb);
	return err;
}

int esfd_jwe_parse(const char *jwe, const char *cty, struct esfd_jwe *p)
{
	uint8_t buf[ESFD_JWE_HDR_MAX];
	const char *s = jwe, *dot;
	size_t i, n;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 5; i++) {
		dot = strchr(s, '.');
		if ((i < 4) != !!dot)
			return -EPROTO;
		p->parts[i] = s;
		p->lens[i] = dot ? (size_t)(dot - s) : strlen(s);
		s = dot ? dot + 1 : s;
	}
	if (p->lens[1] || esfd_b64_decode(p->parts[0], p->lens[0], true, buf, sizeof(buf), &n))
		return -EPROTO;
	p->hdr = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(p->hdr))
		return -EPROTO;
	if (strcmp(esfd_jwe_hdr(p, "alg"), "dir") || strcmp(esfd_jwe_hdr(p, "enc"), "A256GCM") ||
	    strcmp(esfd_jwe_hdr(p, "cty"), cty))
		return -EOPNOTSUPP;
	return 0;
}

const char *esfd_jwe_hdr(const struct esfd_jwe *p, const char *k)
{
	return json_string_value(json_object_get(p->hdr, k)) ?: "";
}

int esfd_jwe_open(const struct esfd_jwe *p, const uint8_t key[32], uint8_t *pt, size_t max,
		  size_t *len)
{
	uint8_t iv[GCM_IV_LEN], tag[GCM_TAG_LEN], ct[ESFD_JWE_PT_MAX];
	size_t ivn, tn, cn;
	int err;

	if (esfd_b64_decode(p->parts[2], p->lens[2], true, iv, sizeof(iv), &ivn) ||
	    ivn != GCM_IV_LEN ||
	    esfd_b64_decode(p->parts[3], p->lens[3], true, ct, sizeof(ct), &cn) || !cn ||
	    cn > max ||
	    esfd_b64_decode(p->parts[4], p->lens[4], true, tag, sizeof(tag), &tn) ||
	    tn != GCM_TAG_LEN)
		return -EPROTO;
	err = esfd_aes256gcm(false, key, iv, (const uint8_t *)p->parts[0], p->lens[0], ct, cn, pt,
			     tag);
	if (!err)
		*len = cn;
	return err;
}

void esfd_jwe_free(struct esfd_jwe *p)
{
	json_decref(p->hdr);
	p->hdr = NULL;
}
