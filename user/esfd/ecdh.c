// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: ECDH-ES+A128KW key agreement (ecdh.h).
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "ecdh.h"
#include "enc.h"

#define COORD 32
/* 0x04 || x || y */
#define POINT (1 + 2 * COORD)

static bool is_p256(EVP_PKEY *k)
{
	char group[32];

	return k && EVP_PKEY_is_a(k, "EC") &&
	       EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
					      sizeof(group), NULL) == 1 &&
	       !strcmp(group, "prime256v1");
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *put_field(uint8_t *p, const void *v, size_t len)
{
	p = put32(p, (uint32_t)len);
	if (len)
		memcpy(p, v, len);
	return p + len;
}

/* Concat KDF over SHA-256, one round: 16 bytes need no second block. */
static int concat_kdf(const uint8_t *z, size_t z_len, const uint8_t *info, size_t info_len,
		      uint8_t kek[ESFD_ECDH_KEK_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[4];
	int ok;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, z_len);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	p[3] = OSSL_PARAM_construct_end();
	ok = ctx && EVP_KDF_derive(ctx, kek, ESFD_ECDH_KEK_LEN, p) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -EIO;
}

int esfd_ecdh_z(EVP_PKEY *priv, EVP_PKEY *pub, uint8_t z[ESFD_ECDH_Z_LEN])
{
	EVP_PKEY_CTX *ctx;
	size_t z_len = ESFD_ECDH_Z_LEN;
	int err = -EIO;

	if (!is_p256(priv) || !is_p256(pub))
		return -EINVAL;
	ctx = EVP_PKEY_CTX_new(priv, NULL);
	if (ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, pub) == 1 &&
	    EVP_PKEY_derive(ctx, z, &z_len) == 1 && z_len == ESFD_ECDH_Z_LEN)
		err = 0;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (err)
		OPENSSL_cleanse(z, ESFD_ECDH_Z_LEN);
	return err;
}

int esfd_ecdh_kek(const char *alg_id, EVP_PKEY *priv, EVP_PKEY *pub, const uint8_t *apu,
		  size_t apu_len, const uint8_t *apv, size_t apv_len,
		  uint8_t kek[ESFD_ECDH_KEK_LEN])
{
	uint8_t z[COORD], info[3 * 4 + ESFD_ECDH_ALG_ID_MAX + 2 * ESFD_ECDH_PARTY_MAX + 4];
	uint8_t *at;
	int err;

	if (strlen(alg_id) > ESFD_ECDH_ALG_ID_MAX || apu_len > ESFD_ECDH_PARTY_MAX ||
	    apv_len > ESFD_ECDH_PARTY_MAX)
		return -EINVAL;
	err = esfd_ecdh_z(priv, pub, z);
	if (err)
		return err == -EINVAL ? err : -EIO;
	at = put_field(info, alg_id, strlen(alg_id));
	at = put_field(at, apu, apu_len);
	at = put_field(at, apv, apv_len);
	at = put32(at, ESFD_ECDH_KEK_LEN * 8);
	err = concat_kdf(z, COORD, info, (size_t)(at - info), kek);
	OPENSSL_cleanse(z, sizeof(z));
	return err;
}

int esfd_ecdh_ephemeral(EVP_PKEY **out)
{
	*out = EVP_EC_gen("P-256");
	ERR_clear_error();
	return *out ? 0 : -EIO;
}

static int set_coord(json_t *o, const char *name, const uint8_t *v)
{
	char b64[64];

	if (esfd_b64_encode(v, COORD, true, b64, sizeof(b64)))
		return -ENOMEM;
	return json_object_set_new(o, name, json_string(b64)) ? -ENOMEM : 0;
}

int esfd_ecdh_point(EVP_PKEY *key, uint8_t pt[ESFD_ECDH_POINT_LEN])
{
	size_t len = 0;

	if (!is_p256(key) ||
	    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, POINT,
					    &len) != 1 || len != POINT || pt[0] != 4) {
		ERR_clear_error();
		return -EINVAL;
	}
	return 0;
}

int esfd_ecdh_epk_json(EVP_PKEY *key, json_t **out)
{
	uint8_t pt[POINT];
	json_t *o;
	int err;

	*out = NULL;
	if (esfd_ecdh_point(key, pt))
		return -EINVAL;
	o = json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-256");
	err = o ? set_coord(o, "x", pt + 1) : -ENOMEM;
	if (!err)
		err = set_coord(o, "y", pt + 1 + COORD);
	if (err)
		json_decref(o);
	else
		*out = o;
	return err;
}

static int coord(const json_t *jwk, const char *name, uint8_t *v)
{
	const char *s = json_string_value(json_object_get(jwk, name));
	size_t n = 0;

	if (!s || esfd_b64_decode(s, strlen(s), true, v, COORD, &n) || n != COORD)
		return -EINVAL;
	return 0;
}

int esfd_ecdh_point_key(const uint8_t pt[ESFD_ECDH_POINT_LEN], EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL), *chk = NULL;
	OSSL_PARAM p[3];
	EVP_PKEY *k = NULL;
	int err = -EINVAL;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						(char *)"prime256v1", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, POINT);
	p[2] = OSSL_PARAM_construct_end();
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p) == 1) {
		chk = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
		if (chk && EVP_PKEY_public_check(chk) == 1)
			err = 0;
	}
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (err)
		EVP_PKEY_free(k);
	else
		*out = k;
	return err;
}

int esfd_ecdh_epk_parse(const json_t *jwk, EVP_PKEY **out)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	uint8_t pt[POINT];

	*out = NULL;
	if (!json_is_object(jwk) || !kty || !crv || strcmp(kty, "EC") || strcmp(crv, "P-256"))
		return -EINVAL;
	/* A private key has no business in a header: refuse rather than ignore. */
	if (json_object_get(jwk, "d"))
		return -EINVAL;
	pt[0] = 4;
	if (coord(jwk, "x", pt + 1) || coord(jwk, "y", pt + 1 + COORD))
		return -EINVAL;
	return esfd_ecdh_point_key(pt, out);
}

int esfd_x5t_s256(X509 *x, char out[ESFD_X5T_LEN + 1])
{
	unsigned char *der = NULL;
	uint8_t md[SHA256_DIGEST_LENGTH];
	int n = i2d_X509(x, &der);

	if (n <= 0)
		return -EIO;
	SHA256(der, (size_t)n, md);
	OPENSSL_free(der);
	return esfd_b64_encode(md, sizeof(md), true, out, ESFD_X5T_LEN + 1) ? -EIO : 0;
}
