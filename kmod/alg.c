// SPDX-License-Identifier: GPL-2.0
/*
 * The algorithms a session may use, and what each needs: key and tag
 * lengths, how the key reaches the transform, and where the nonce and the
 * padding go in a record.
 */

#include <crypto/aead.h>
#include <crypto/authenc.h>
#include <crypto/hash.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "session.h"

/* authenc keys: a 32-byte HMAC-SHA256 key, then the AES key. */
#define AUTHENC_AUTHKEY_LEN 32

static bool aes_key_ok(const struct esf_alg *alg, unsigned int len)
{
	return len == 16 || len == 24 || len == 32;
}

static bool authenc_key_ok(const struct esf_alg *alg, unsigned int len)
{
	return len > AUTHENC_AUTHKEY_LEN && aes_key_ok(alg, len - AUTHENC_AUTHKEY_LEN);
}

/* RFC 7518 wants HMAC keys at least as long as the digest. */
static bool hmac_key_ok(const struct esf_alg *alg, unsigned int len)
{
	return len >= alg->digest_len && len <= ESF_KEY_MAX;
}

/* What the kernel's templates accept (crypto_gcm_check_authsize et al.). */
static bool gcm_tag_ok(const struct esf_alg *alg, unsigned int len)
{
	return len == 4 || len == 8 || (len >= 12 && len <= 16);
}

static bool rfc4106_tag_ok(const struct esf_alg *alg, unsigned int len)
{
	return len == 8 || len == 12 || len == 16;
}

static bool ccm_tag_ok(const struct esf_alg *alg, unsigned int len)
{
	return len >= 4 && len <= 16 && !(len & 1);
}

/* Truncated MACs below 128 bits make forgery too cheap to offer. */
static bool mac_tag_ok(const struct esf_alg *alg, unsigned int len)
{
	return len >= 16 && len <= alg->digest_len;
}

/* A DTLS record's only AAD of the caller: SEAL's ContentType byte. */
static bool dtls_aad_ok(unsigned int len)
{
	return len <= 1;
}

/* JWE's AES-GCM tag, the only one a key-wrap record has (and DTLS's). */
static bool jwe_tag_ok(const struct esf_alg *alg, unsigned int len)
{
	return len == 16;
}

static bool any_aad_ok(unsigned int len)
{
	return len <= ESF_MAX_AAD;
}

/* The rfc4106 template only takes the IPsec ESP layout: SPI and sequence
 * number, optionally with the 32-bit high half of an extended one.
 */
static bool rfc4106_aad_ok(unsigned int len)
{
	return len == 8 || len == 12;
}

static bool no_aad_ok(unsigned int len)
{
	return len == 0;
}

static int gcm_key(struct crypto_aead *tfm, const u8 *salt, const u8 *key, unsigned int len)
{
	return crypto_aead_setkey(tfm, key, len);
}

/* rfc4106 takes its 4-byte salt as the key's tail. */
static int rfc4106_key(struct crypto_aead *tfm, const u8 *salt, const u8 *key,
		       unsigned int len)
{
	u8 buf[32 + ESF_SALT_LEN];
	int err;

	memcpy(buf, key, len);
	memcpy(buf + len, salt, ESF_SALT_LEN);
	err = crypto_aead_setkey(tfm, buf, len + ESF_SALT_LEN);
	memzero_explicit(buf, sizeof(buf));
	return err;
}

/* authenc takes an rtattr giving the cipher key's length, then both keys. */
static int authenc_key(struct crypto_aead *tfm, const u8 *salt, const u8 *key,
		       unsigned int len)
{
	struct crypto_authenc_key_param *param;
	unsigned int blen = RTA_SPACE(sizeof(*param)) + len;
	struct rtattr *rta;
	u8 *buf;
	int err;

	buf = kmalloc(blen, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	rta = (struct rtattr *)buf;
	rta->rta_type = CRYPTO_AUTHENC_KEYA_PARAM;
	rta->rta_len = RTA_LENGTH(sizeof(*param));
	param = RTA_DATA(rta);
	param->enckeylen = cpu_to_be32(len - AUTHENC_AUTHKEY_LEN);
	memcpy(buf + RTA_SPACE(sizeof(*param)), key, len);
	err = crypto_aead_setkey(tfm, buf, blen);
	kfree_sensitive(buf);
	return err;
}

/* The session's own transform; group epochs key theirs with aead_key. */
static int aead_setkey(struct esf_session *s, const u8 *key, unsigned int len)
{
	return s->alg->aead_key(s->aead, s->salt, key, len);
}

/* The key-encryption key; content keys are made per record (cek.c). */
static int kw_setkey(struct esf_session *s, const u8 *key, unsigned int len)
{
	return esf_cek_setkek(s, key, len);
}

static int hmac_setkey(struct esf_session *s, const u8 *key, unsigned int len)
{
	return crypto_ahash_setkey(s->ahash, key, len);
}

static const struct esf_alg esf_algs[] = {
	{
		.name = "gcm(aes)", .id = ESF_ALG_GCM_AES,
		.kind = ESF_KIND_AEAD, .nonce_len = ESF_NONCE_LEN,
		.default_tag = 16, .key_ok = aes_key_ok,
		.tag_ok = gcm_tag_ok, .aad_ok = any_aad_ok, .any_aad = true,
		.setkey = aead_setkey, .aead_key = gcm_key,
	},
	{
		.name = "rfc4106(gcm(aes))", .id = ESF_ALG_RFC4106_GCM_AES,
		.kind = ESF_KIND_AEAD, .nonce_len = ESF_NONCE_LEN,
		.aad_suffix = 8, .default_tag = 16, .key_ok = aes_key_ok,
		.tag_ok = rfc4106_tag_ok, .aad_ok = rfc4106_aad_ok,
		.setkey = aead_setkey, .aead_key = rfc4106_key,
	},
	{
		.name = "ccm(aes)", .id = ESF_ALG_CCM_AES,
		.kind = ESF_KIND_AEAD, .nonce_len = ESF_NONCE_LEN,
		.default_tag = 16, .key_ok = aes_key_ok,
		.tag_ok = ccm_tag_ok, .aad_ok = any_aad_ok, .any_aad = true,
		.setkey = aead_setkey, .aead_key = gcm_key,
	},
	{
		.name = "authenc(hmac(sha256),cbc(aes))",
		.id = ESF_ALG_AUTHENC_HMAC_SHA256_CBC_AES,
		.kind = ESF_KIND_AEAD, .nonce_len = ESF_NONCE_LEN_AUTHENC,
		.prefix = ESF_NONCE_LEN_AUTHENC, .pad_block = 16,
		.default_tag = 16, .digest_len = 32, .key_ok = authenc_key_ok,
		.tag_ok = mac_tag_ok, .aad_ok = any_aad_ok, .any_aad = true,
		.setkey = aead_setkey, .aead_key = authenc_key,
	},
	{
		/*
		 * DTLS 1.2 AEAD records (RFC 6347, RFC 5288): the record's head
		 * is its 13-byte header and 8-byte explicit nonce; the 13-byte
		 * AAD is made in the kernel (ops.c).
		 */
		.name = "gcm(aes)", .id = ESF_ALG_DTLS12_GCM_AES,
		.kind = ESF_KIND_AEAD, .nonce_len = ESF_DTLS_HEAD_LEN,
		.prefix = ESF_DTLS_AAD_LEN, .default_tag = 16,
		.framing = ESF_FRAMING_DTLS12, .key_ok = aes_key_ok,
		.tag_ok = jwe_tag_ok, .aad_ok = dtls_aad_ok,
		.setkey = aead_setkey, .aead_key = gcm_key,
	},
	{
		/* nonce_len: the session's, wrapped key and IV (session.c) */
		.name = "kw(aes)", .id = ESF_ALG_KW_AES,
		.kind = ESF_KIND_KW, .default_tag = 16, .key_ok = aes_key_ok,
		.tag_ok = jwe_tag_ok, .aad_ok = any_aad_ok, .any_aad = true,
		.setkey = kw_setkey,
	},
	{
		.name = "hmac(sha256)", .id = ESF_ALG_HMAC_SHA256,
		.kind = ESF_KIND_MIC, .default_tag = 32, .digest_len = 32,
		.key_ok = hmac_key_ok, .tag_ok = mac_tag_ok,
		.aad_ok = no_aad_ok, .setkey = hmac_setkey,
	},
	{
		.name = "hmac(sha384)", .id = ESF_ALG_HMAC_SHA384,
		.kind = ESF_KIND_MIC, .default_tag = 48, .digest_len = 48,
		.key_ok = hmac_key_ok, .tag_ok = mac_tag_ok,
		.aad_ok = no_aad_ok, .setkey = hmac_setkey,
	},
	{
		.name = "hmac(sha512)", .id = ESF_ALG_HMAC_SHA512,
		.kind = ESF_KIND_MIC, .default_tag = 64, .digest_len = 64,
		.key_ok = hmac_key_ok, .tag_ok = mac_tag_ok,
		.aad_ok = no_aad_ok, .setkey = hmac_setkey,
	},
};

/* The algorithm @name laid out as @framing (0: the usual nonce || text). */
const struct esf_alg *esf_alg_find(const char *name, u8 framing)
{
	int i;

	if (framing == ESF_FRAMING_NONCE)
		framing = 0;
	for (i = 0; i < ARRAY_SIZE(esf_algs); i++)
		if (!strcmp(esf_algs[i].name, name) && esf_algs[i].framing == framing)
			return &esf_algs[i];
	return NULL;
}

const struct esf_alg *esf_alg_by_index(unsigned int i)
{
	return i < ARRAY_SIZE(esf_algs) ? &esf_algs[i] : NULL;
}
