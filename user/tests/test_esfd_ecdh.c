// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's ECDH-ES key agreement (esfd/ecdh.c): the Concat KDF against the
 * worked example of RFC 7518 appendix C (its keys and derived key are
 * copied below; code components of RFCs are under the Simplified BSD
 * License, see the RFC's copyright notice), agreement from both sides, the
 * "epk" JWK both ways, and the refusal of every public key that is not a
 * P-256 point (the invalid-curve attack).
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "kselftest_harness.h"
#include "../esfd/ecdh.h"
#include "../esfd/enc.h"

/* RFC 7518 appendix C: Alice's ephemeral key and Bob's static key. */
static const char alice_x[] = "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0";
static const char alice_y[] = "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps";
static const char alice_d[] = "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo";
static const char bob_x[] = "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ";
static const char bob_y[] = "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck";
static const char bob_d[] = "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw";
/* ... "alg":"ECDH-ES", "enc":"A128GCM", "apu":"Alice", "apv":"Bob". */
static const char rfc_key[] = "VqqN6vgjbSBcIijNcacQGg";

static json_t *jwk(const char *x, const char *y)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "x", x, "y", y);
}

static EVP_PKEY *private_key(const char *x, const char *y, const char *d)
{
	uint8_t pt[65], priv[32];
	size_t n;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	BIGNUM *bn = NULL;
	OSSL_PARAM *p = NULL;
	EVP_PKEY *k = NULL;

	pt[0] = 4;
	if (esfd_b64_decode(x, strlen(x), true, pt + 1, 32, &n) ||
	    esfd_b64_decode(y, strlen(y), true, pt + 33, 32, &n) ||
	    esfd_b64_decode(d, strlen(d), true, priv, 32, &n))
		goto out;
	bn = BN_bin2bn(priv, 32, NULL);
	if (b && bn &&
	    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, bn))
		p = OSSL_PARAM_BLD_to_param(b);
	if (p && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, p);
out:
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static EVP_PKEY *public_key(const char *x, const char *y)
{
	json_t *j = jwk(x, y);
	EVP_PKEY *k = NULL;

	if (esfd_ecdh_epk_parse(j, &k))
		k = NULL;
	json_decref(j);
	return k;
}

static void b64(const uint8_t *v, size_t n, char *out)
{
	esfd_b64_encode(v, n, true, out, 64);
}

TEST(rfc7518_appendix_c)
{
	EVP_PKEY *alice = private_key(alice_x, alice_y, alice_d);
	EVP_PKEY *bob_pub = public_key(bob_x, bob_y);
	uint8_t kek[ESFD_ECDH_KEK_LEN];
	char got[64];

	ASSERT_NE(NULL, alice);
	ASSERT_NE(NULL, bob_pub);
	/* Direct Key Agreement: AlgorithmID is the "enc" value. */
	ASSERT_EQ(0, esfd_ecdh_kek("A128GCM", alice, bob_pub, (const uint8_t *)"Alice", 5,
				   (const uint8_t *)"Bob", 3, kek));
	b64(kek, sizeof(kek), got);
	EXPECT_STREQ(rfc_key, got);
	/* Another AlgorithmID, another key: the algorithm is bound. */
	ASSERT_EQ(0, esfd_ecdh_kek(ESFD_ECDH_ALG, alice, bob_pub, (const uint8_t *)"Alice", 5,
				   (const uint8_t *)"Bob", 3, kek));
	b64(kek, sizeof(kek), got);
	EXPECT_STRNE(rfc_key, got);
	EVP_PKEY_free(alice);
	EVP_PKEY_free(bob_pub);
}

TEST(both_sides_agree_and_parties_are_bound)
{
	EVP_PKEY *bob = private_key(bob_x, bob_y, bob_d), *eph = NULL, *eph_pub = NULL;
	EVP_PKEY *bob_pub = public_key(bob_x, bob_y);
	uint8_t send[ESFD_ECDH_KEK_LEN], recv[ESFD_ECDH_KEK_LEN], other[ESFD_ECDH_KEK_LEN];
	json_t *epk = NULL;

	ASSERT_NE(NULL, bob);
	ASSERT_EQ(0, esfd_ecdh_ephemeral(&eph));
	ASSERT_EQ(0, esfd_ecdh_epk_json(eph, &epk));
	EXPECT_STREQ("EC", json_string_value(json_object_get(epk, "kty")));
	EXPECT_STREQ("P-256", json_string_value(json_object_get(epk, "crv")));
	EXPECT_EQ(NULL, json_object_get(epk, "d"));
	EXPECT_EQ(43, strlen(json_string_value(json_object_get(epk, "x"))));
	ASSERT_EQ(0, esfd_ecdh_epk_parse(epk, &eph_pub));
	/* The sender: ephemeral private, recipient public; the recipient:
	 * its private key and the epk from the header.
	 */
	ASSERT_EQ(0, esfd_ecdh_kek(ESFD_ECDH_ALG, eph, bob_pub, NULL, 0, NULL, 0, send));
	ASSERT_EQ(0, esfd_ecdh_kek(ESFD_ECDH_ALG, bob, eph_pub, NULL, 0, NULL, 0, recv));
	EXPECT_EQ(0, memcmp(send, recv, sizeof(send)));
	ASSERT_EQ(0, esfd_ecdh_kek(ESFD_ECDH_ALG, bob, eph_pub, (const uint8_t *)"x", 1, NULL,
				   0, other));
	EXPECT_NE(0, memcmp(send, other, sizeof(send)));
	ASSERT_EQ(0, esfd_ecdh_kek(ESFD_ECDH_ALG, bob, eph_pub, NULL, 0, (const uint8_t *)"x",
				   1, other));
	EXPECT_NE(0, memcmp(send, other, sizeof(send)));
	json_decref(epk);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(eph_pub);
	EVP_PKEY_free(bob);
	EVP_PKEY_free(bob_pub);
}

static int parse(json_t *j)
{
	EVP_PKEY *k = NULL;
	int err = esfd_ecdh_epk_parse(j, &k);

	EVP_PKEY_free(k);
	json_decref(j);
	return err;
}

TEST(epk_that_is_not_a_p256_point_refused)
{
	/* Bob's x with y + 1 in its last byte: off the curve. */
	char y[64];
	size_t n = strlen(bob_y);

	memcpy(y, bob_y, n + 1);
	y[n - 1] = y[n - 1] == 'k' ? 'l' : 'k';
	EXPECT_EQ(-EINVAL, parse(jwk(bob_x, y)));
	EXPECT_EQ(0, parse(jwk(bob_x, bob_y)));
	EXPECT_EQ(-EINVAL, parse(json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-384",
					   "x", bob_x, "y", bob_y)));
	EXPECT_EQ(-EINVAL, parse(json_pack("{s:s,s:s,s:s,s:s}", "kty", "OKP", "crv", "P-256",
					   "x", bob_x, "y", bob_y)));
	EXPECT_EQ(-EINVAL, parse(json_pack("{s:s,s:s,s:s}", "kty", "EC", "crv", "P-256",
					   "x", bob_x)));
	/* 31 bytes, and padded base64url */
	EXPECT_EQ(-EINVAL, parse(jwk("weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_Px", bob_y)));
	EXPECT_EQ(-EINVAL, parse(jwk(bob_x, "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck=")));
	/* A private key in a header is refused, not ignored. */
	EXPECT_EQ(-EINVAL, parse(json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv",
					   "P-256", "x", bob_x, "y", bob_y, "d", bob_d)));
	EXPECT_EQ(-EINVAL, parse(json_string("EC")));
}

TEST(kek_refuses_other_curves)
{
	EVP_PKEY *bob = private_key(bob_x, bob_y, bob_d), *p384 = EVP_EC_gen("P-384");
	uint8_t kek[ESFD_ECDH_KEK_LEN];

	ASSERT_NE(NULL, bob);
	ASSERT_NE(NULL, p384);
	EXPECT_EQ(-EINVAL, esfd_ecdh_kek(ESFD_ECDH_ALG, bob, p384, NULL, 0, NULL, 0, kek));
	EXPECT_EQ(-EINVAL, esfd_ecdh_kek(ESFD_ECDH_ALG, p384, bob, NULL, 0, NULL, 0, kek));
	EVP_PKEY_free(bob);
	EVP_PKEY_free(p384);
}

TEST_HARNESS_MAIN
