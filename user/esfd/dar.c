// SPDX-License-Identifier: GPL-2.0
/*
 * Data at rest: the sealed contentInstance object (dar.h). Sealed with
 * OpenSSL in esfd, not through the kernel: an item key serves one item,
 * once, and a kernel session per item would cost two netlink round trips
 * to protect a few hundred bytes.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "dar.h"
#include "enc.h"
#include "jwe.h"

#define IV_LEN		12
#define TAG_LEN		16
#define MAC_LEN		32
#define HDR_MAX		1024

int esfd_dar_root(const uint8_t *kpsa, size_t kpsalen, const char *cid,
		  struct esfd_key_pair *root)
{
	size_t n = cid ? strnlen(cid, ESFD_ID_MAX + 1) : 0;

	if (!n || esfd_id_check(cid, n)) {
		esfd_key_pair_wipe(root);
		return -EINVAL;
	}
	/* The container id is the salt: one Kpsa may serve several containers. */
	return esfd_kdf_dar_keys(ESFD_SHA256, (const uint8_t *)cid, n, kpsa, kpsalen, root);
}

static int item_key(const struct esfd_key_pair *root, const char *cid, bool mic,
		    const uint8_t nonce[ESFD_DAR_NONCE_LEN], uint8_t key[32])
{
	struct esfd_dar_binding b = {
		.kind = ESFD_DAR_BIND_NONCE, .nonce = nonce, .nonce_len = ESFD_DAR_NONCE_LEN,
	};

	return esfd_kdf_dar_item_key(ESFD_SHA256, root, mic ? ESFD_DAR_AUTH : ESFD_DAR_CONF,
				     cid, &b, key, 32);
}

/* The protected header's text, exactly; the caller frees it. */
static char *header_text(const char *cid, bool mic, const uint8_t nonce[ESFD_DAR_NONCE_LEN])
{
	char nb[32];
	json_t *h;
	char *t;

	esfd_b64_encode(nonce, ESFD_DAR_NONCE_LEN, true, nb, sizeof(nb));
	h = mic ? json_pack("{s:s,s:s,s:s,s:s}", "alg", "HS256", "cty", ESFD_DAR_CTY,
			    "cnt", cid, "nnc", nb) :
		  json_pack("{s:s,s:s,s:s,s:s,s:s}", "alg", "dir", "enc", "A256GCM",
			    "cty", ESFD_DAR_CTY, "cnt", cid, "nnc", nb);
	t = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(h);
	return t;
}

static int seal_jwe(const uint8_t key[32], const char *hb, const void *pt, size_t len,
		    char **out)
{
	uint8_t iv[IV_LEN], tag[TAG_LEN], *ct = malloc(len);
	char *ivb = NULL, *cb = NULL, *tb = NULL;
	int err = -ENOMEM;

	if (!ct)
		return -ENOMEM;
	err = getrandom(iv, sizeof(iv), 0) == sizeof(iv) ? 0 : -EIO;
	if (!err)
		err = esfd_aes256gcm(true, key, iv, (const uint8_t *)hb, strlen(hb), pt, len, ct,
				     tag);
	if (!err) {
		ivb = esfd_b64_alloc(iv, sizeof(iv), true);
		cb = esfd_b64_alloc(ct, len, true);
		tb = esfd_b64_alloc(tag, sizeof(tag), true);
		err = ivb && cb && tb && asprintf(out, "%s..%s.%s.%s", hb, ivb, cb, tb) > 0 ?
		      0 : -ENOMEM;
	}
	free(ivb);
	free(cb);
	free(tb);
	free(ct);
	return err;
}

static int seal_jws(const uint8_t key[32], const char *hb, const void *pt, size_t len,
		    char **out)
{
	char *pb = esfd_b64_alloc(pt, len, true), *input = NULL, *sb = NULL;
	uint8_t mac[MAC_LEN];
	struct esfd_buf in;
	int err = -ENOMEM;

	if (pb && asprintf(&input, "%s.%s", hb, pb) > 0) {
		in = (struct esfd_buf){ input, strlen(input) };
		err = esfd_hmac(ESFD_SHA256, key, 32, &in, 1, mac);
		sb = err ? NULL : esfd_b64_alloc(mac, sizeof(mac), true);
		if (!err)
			err = sb && asprintf(out, "%s.%s", input, sb) > 0 ? 0 : -ENOMEM;
	}
	free(pb);
	free(input);
	free(sb);
	return err;
}

int esfd_dar_seal(const struct esfd_key_pair *root, const char *cid, bool integrity_only,
		  const uint8_t nonce[ESFD_DAR_NONCE_LEN], const void *pt, size_t len,
		  char **out)
{
	char *ht, *hb = NULL;
	uint8_t key[32];
	int err;

	*out = NULL;
	if (!pt || !len || len > ESFD_DAR_PT_MAX)
		return -EINVAL;
	err = item_key(root, cid, integrity_only, nonce, key);
	if (err)
		return err;
	ht = header_text(cid, integrity_only, nonce);
	hb = ht ? esfd_b64_alloc((const uint8_t *)ht, strlen(ht), true) : NULL;
	err = -ENOMEM;
	if (hb)
		err = integrity_only ? seal_jws(key, hb, pt, len, out) :
				       seal_jwe(key, hb, pt, len, out);
	OPENSSL_cleanse(key, sizeof(key));
	free(ht);
	free(hb);
	return err;
}

/* The parts of a compact serialization: 5 for a JWE, 3 for a JWS. */
static int split(const char *obj, const char *parts[5], size_t lens[5])
{
	const char *s = obj, *dot;
	size_t n = 0;

	for (;;) {
		if (n == 5)
			return -EPROTO;
		dot = strchr(s, '.');
		parts[n] = s;
		lens[n] = dot ? (size_t)(dot - s) : strlen(s);
		n++;
		if (!dot)
			break;
		s = dot + 1;
	}
	return n == 5 || n == 3 ? (int)n : -EPROTO;
}

/* The header, checked to be byte for byte what esfd_dar_seal() writes. */
static int read_header(const char *hb, size_t hblen, size_t nparts, const char *cid,
		       struct esfd_dar_hdr *h)
{
	char text[HDR_MAX + 1], *want = NULL;
	const char *alg, *c, *nn;
	json_t *j;
	size_t n;
	int err = -EPROTO;

	if (esfd_b64_decode(hb, hblen, true, (uint8_t *)text, HDR_MAX, &n))
		return -EPROTO;
	text[n] = '\0';
	j = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
	alg = json_string_value(json_object_get(j, "alg"));
	c = json_string_value(json_object_get(j, "cnt"));
	nn = json_string_value(json_object_get(j, "nnc"));
	memset(h, 0, sizeof(*h));
	if (alg && c && nn && strlen(nn) == 22 &&
	    !esfd_b64_decode(nn, 22, true, h->nonce, sizeof(h->nonce), &n) &&
	    n == ESFD_DAR_NONCE_LEN) {
		h->integrity_only = !strcmp(alg, "HS256");
		want = header_text(c, h->integrity_only, h->nonce);
	}
	if (want && !strcmp(want, text) && (h->integrity_only ? 3u : 5u) == nparts) {
		err = strcmp(c, cid) ? -EXDEV : 0;
		snprintf(h->rn, sizeof(h->rn), "cin-%s", nn);
	}
	free(want);
	json_decref(j);
	return err;
}

/* Every part base64url, and the sizes a sealed object has. */
static int parts_ok(const char *parts[5], const size_t lens[5], size_t n)
{
	uint8_t buf[64];
	size_t i, got;

	for (i = 1; i < n; i++)
		if (lens[i] > ESFD_DAR_OBJ_MAX || strspn(parts[i],
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") <
			lens[i])
			return -EPROTO;
	if (n == 3)
		return lens[1] && !esfd_b64_decode(parts[2], lens[2], true, buf, sizeof(buf),
						   &got) && got == MAC_LEN ? 0 : -EPROTO;
	return !lens[1] && lens[3] &&
	       !esfd_b64_decode(parts[2], lens[2], true, buf, sizeof(buf), &got) &&
	       got == IV_LEN &&
	       !esfd_b64_decode(parts[4], lens[4], true, buf, sizeof(buf), &got) &&
	       got == TAG_LEN ? 0 : -EPROTO;
}

int esfd_dar_parse(const char *obj, const char *cid, struct esfd_dar_hdr *h)
{
	const char *parts[5];
	size_t lens[5];
	int n;

	memset(h, 0, sizeof(*h));
	if (!obj || strnlen(obj, ESFD_DAR_OBJ_MAX + 1) > ESFD_DAR_OBJ_MAX)
		return -EPROTO;
	n = split(obj, parts, lens);
	if (n < 0 || parts_ok(parts, lens, (size_t)n))
		return -EPROTO;
	return read_header(parts[0], lens[0], (size_t)n, cid, h);
}

static int open_jws(const uint8_t key[32], const char *parts[5], const size_t lens[5],
		    uint8_t *pt, size_t max, size_t *len)
{
	struct esfd_buf in = { parts[0], lens[0] + 1 + lens[1] };
	uint8_t mac[MAC_LEN];
	size_t n;
	int err;

	err = esfd_b64_decode(parts[2], lens[2], true, mac, sizeof(mac), &n);
	if (err || n != MAC_LEN)
		return -EPROTO;
	err = esfd_hmac_verify(ESFD_SHA256, key, 32, &in, 1, mac, MAC_LEN);
	if (err)
		return err == -EINVAL ? -EINVAL : -EBADMSG;
	err = esfd_b64_decode(parts[1], lens[1], true, pt, max, len);
	return err == -ENOSPC ? -ENOSPC : err ? -EPROTO : 0;
}

static int open_jwe(const uint8_t key[32], const char *parts[5], const size_t lens[5],
		    uint8_t *pt, size_t max, size_t *len)
{
	uint8_t iv[IV_LEN], tag[TAG_LEN];
	size_t n;
	int err;

	if (esfd_b64_decode(parts[2], lens[2], true, iv, sizeof(iv), &n) || n != IV_LEN ||
	    esfd_b64_decode(parts[4], lens[4], true, tag, sizeof(tag), &n) || n != TAG_LEN)
		return -EPROTO;
	err = esfd_b64_decode(parts[3], lens[3], true, pt, max, len);
	if (err)
		return err == -ENOSPC ? -ENOSPC : -EPROTO;
	return esfd_aes256gcm(false, key, iv, (const uint8_t *)parts[0], lens[0], pt, *len, pt,
			      tag);
}

int esfd_dar_open(const struct esfd_key_pair *root, const char *cid, bool integrity_only,
		  const char *obj, uint8_t *pt, size_t max, size_t *len)
{
	struct esfd_dar_hdr h;
	const char *parts[5];
	size_t lens[5];
	uint8_t key[32];
	int err;

	*len = 0;
	err = esfd_dar_parse(obj, cid, &h);
	if (err)
		return err;
	if (h.integrity_only != integrity_only)
		return -EMEDIUMTYPE;
	split(obj, parts, lens);
	err = item_key(root, cid, integrity_only, h.nonce, key);
	if (!err)
		err = integrity_only ? open_jws(key, parts, lens, pt, max, len) :
				       open_jwe(key, parts, lens, pt, max, len);
	OPENSSL_cleanse(key, sizeof(key));
	if (err) {
		OPENSSL_cleanse(pt, max);
		*len = 0;
	}
	return err;
}
