// SPDX-License-Identifier: GPL-2.0
/*
 * The algorithms esf.ko offers and the sizes each accepts (see esf_algs.h).
 * The rules follow kmod/alg.c: AES keys of 16, 24 or 32 bytes; authenc's
 * key is a 32-byte HMAC-SHA256 key then the AES key; HMAC keys from the
 * digest size up to ESF_KEY_MAX; tags as the kernel's templates take them,
 * MAC tags no shorter than 16 bytes.
 */
#include <stdio.h>
#include <string.h>
#include <linux/esf.h>

#include "esf_algs.h"

#define AUTHENC_AUTHKEY_LEN 32

static bool aes_key_ok(const struct esf_alg_desc *a, size_t len)
{
	(void)a;
	return len == 16 || len == 24 || len == 32;
}

static bool authenc_key_ok(const struct esf_alg_desc *a, size_t len)
{
	return len > AUTHENC_AUTHKEY_LEN && aes_key_ok(a, len - AUTHENC_AUTHKEY_LEN);
}

static bool hmac_key_ok(const struct esf_alg_desc *a, size_t len)
{
	return len >= a->digest_len && len <= ESF_KEY_MAX;
}

static bool gcm_tag_ok(const struct esf_alg_desc *a, size_t len)
{
	(void)a;
	return len == 4 || len == 8 || (len >= 12 && len <= 16);
}

static bool rfc4106_tag_ok(const struct esf_alg_desc *a, size_t len)
{
	(void)a;
	return len == 8 || len == 12 || len == 16;
}

static bool ccm_tag_ok(const struct esf_alg_desc *a, size_t len)
{
	(void)a;
	return len >= 4 && len <= 16 && !(len & 1);
}

static bool mac_tag_ok(const struct esf_alg_desc *a, size_t len)
{
	return len >= 16 && len <= a->digest_len;
}

static bool tag16_ok(const struct esf_alg_desc *a, size_t len)
{
	(void)a;
	return len == 16;
}

const struct esf_alg_desc esf_algs[] = {
	{ "gcm(aes)", ESF_ALGK_AEAD, 0, aes_key_ok, gcm_tag_ok, 16, "gcm(aes)" },
	{ "rfc4106(gcm(aes))", ESF_ALGK_AEAD, 0, aes_key_ok, rfc4106_tag_ok, 16,
	  "rfc4106(gcm(aes))" },
	{ "ccm(aes)", ESF_ALGK_AEAD, 0, aes_key_ok, ccm_tag_ok, 16, "ccm(aes)" },
	{ "authenc(hmac(sha256),cbc(aes))", ESF_ALGK_AEAD, 32, authenc_key_ok, mac_tag_ok,
	  AUTHENC_AUTHKEY_LEN + 16, "authenc(hmac(sha256),cbc(aes))" },
	{ "kw(aes)", ESF_ALGK_KW, 0, aes_key_ok, tag16_ok, 16, "gcm(aes)" },
	{ "hmac(sha256)", ESF_ALGK_MIC, 32, hmac_key_ok, mac_tag_ok, 32, "hmac(sha256)" },
	{ "hmac(sha384)", ESF_ALGK_MIC, 48, hmac_key_ok, mac_tag_ok, 48, "hmac(sha384)" },
	{ "hmac(sha512)", ESF_ALGK_MIC, 64, hmac_key_ok, mac_tag_ok, 64, "hmac(sha512)" },
};

const size_t esf_algs_count = sizeof(esf_algs) / sizeof(esf_algs[0]);

const struct esf_alg_desc *esf_alg_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < esf_algs_count; i++)
		if (!strcmp(esf_algs[i].name, name))
			return &esf_algs[i];
	return NULL;
}

bool esf_alg_tag_ok(const struct esf_alg_desc *a, size_t len, bool dtls12)
{
	return dtls12 ? len == 16 : a->tag_ok(a, len);
}

/*
 * Lists the sizes 1..@max that @ok accepts, runs of three or more as
 * "A to B": "16, 24 or 32", "4, 8 or 12 to 16", "32 to 128".
 */
static const char *sizes(bool (*ok)(const struct esf_alg_desc *, size_t),
			 const struct esf_alg_desc *a, size_t max, char *buf, size_t len)
{
	size_t lo, hi, pos = 0, runs = 0, nruns = 0;
	int w;

	for (lo = 1; lo <= max; lo++) {
		if (!ok(a, lo))
			continue;
		for (hi = lo; hi + 1 <= max && ok(a, hi + 1); hi++)
			;
		nruns += hi - lo >= 2 ? 1 : hi - lo + 1;
		lo = hi;
	}
	buf[0] = '\0';
	for (lo = 1; lo <= max && pos < len; lo++) {
		if (!ok(a, lo))
			continue;
		for (hi = lo; hi + 1 <= max && ok(a, hi + 1); hi++)
			;
		if (hi - lo < 2)
			hi = lo;	/* a run of one or two: one at a time */
		runs++;
		w = snprintf(buf + pos, len - pos, "%s%zu", runs == 1 ? "" :
			     runs == nruns ? " or " : ", ", lo);
		pos += w > 0 ? (size_t)w : 0;
		if (hi > lo && pos < len) {
			w = snprintf(buf + pos, len - pos, " to %zu", hi);
			pos += w > 0 ? (size_t)w : 0;
		}
		lo = hi;
	}
	return buf;
}

static bool dtls_tag_ok(const struct esf_alg_desc *a, size_t len)
{
	return tag16_ok(a, len);
}

const char *esf_alg_key_sizes(const struct esf_alg_desc *a, char *buf, size_t len)
{
	char s[96];

	sizes(a->key_ok, a, ESF_KEY_MAX, s, sizeof(s));
	if (a->key_ok == authenc_key_ok)
		snprintf(buf, len, "%s-byte key (a %d-byte HMAC-SHA256 key, then a 16, 24 "
			 "or 32-byte AES key)", s, AUTHENC_AUTHKEY_LEN);
	else if (a->kind == ESF_ALGK_KW)
		snprintf(buf, len, "%s-byte key-encryption key", s);
	else
		snprintf(buf, len, "%s-byte key", s);
	return buf;
}

const char *esf_alg_tag_sizes(const struct esf_alg_desc *a, bool dtls12, char *buf,
			      size_t len)
{
	char s[96];

	sizes(dtls12 ? dtls_tag_ok : a->tag_ok, a, ESF_TAG_MAX, s, sizeof(s));
	snprintf(buf, len, "%s-byte tag", s);
	return buf;
}

const char *esf_alg_names(char *buf, size_t len)
{
	size_t i, pos = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < esf_algs_count && pos < len; i++) {
		w = snprintf(buf + pos, len - pos, "%s%s", i ? ", " : "", esf_algs[i].name);
		pos += w > 0 ? (size_t)w : 0;
	}
	return buf;
}
