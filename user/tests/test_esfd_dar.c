// SPDX-License-Identifier: GPL-2.0
/*
 * Data at rest (esfd/dar.c): the root and item keys of a container and the
 * sealed contentInstance object, against values computed independently by
 * selftests/dar_peer.py (Python's hmac and the cryptography package's
 * AES-GCM, written from docs/esfd.md "Data at rest"):
 *
 *   python3 selftests/dar_peer.py vectors
 *
 * with Kpsa = 00..1f, container "/CSE-MN-01/cnt-temp", nonce 30..3f.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../esfd/dar.h"
#include "../esfd/enc.h"
#include "esfd_testutil.h"

#define HEX_EQ(hex, buf, len) do {					\
	char _h[2 * 256 + 1];						\
	esfd_hex_encode((buf), (len), _h);				\
	EXPECT_STREQ((hex), _h);					\
} while (0)

static const char cid[] = "/CSE-MN-01/cnt-temp";

/* dar_peer.py vectors: "jws" and "jwe" (fixed IV 50..5b), content "21.5 C". */
static const char py_jws[] =
	"eyJhbGciOiJIUzI1NiIsImN0eSI6ImVzZi1kYXIiLCJjbnQiOiIvQ1NFLU1OLTAxL2NudC10ZW1wIiwibm5j"
	"IjoiTURFeU16UTFOamM0T1RvN1BEMC1QdyJ9.MjEuNSBD.SKJn0R9LpxKTSU_icnkxa7SjFZ5slXl6s2CXMc47aRI";
static const char py_jwe[] =
	"eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwiY3R5IjoiZXNmLWRhciIsImNudCI6Ii9DU0UtTU4tMDEv"
	"Y250LXRlbXAiLCJubmMiOiJNREV5TXpRMU5qYzRPVG83UEQwLVB3In0..UFFSU1RVVldYWVpb.O2QPAr53."
	"WXyFK9ucMjLtux-CnvoJWQ";

static void fixture(struct esfd_key_pair *root, uint8_t nonce[ESFD_DAR_NONCE_LEN],
		    uint8_t kpsa[32])
{
	size_t i;

	for (i = 0; i < 32; i++)
		kpsa[i] = (uint8_t)i;
	for (i = 0; i < ESFD_DAR_NONCE_LEN; i++)
		nonce[i] = (uint8_t)(0x30 + i);
	esfd_dar_root(kpsa, 32, cid, root);
}

TEST(root_and_item_keys)
{
	struct esfd_dar_binding b = { ESFD_DAR_BIND_NONCE, NULL, ESFD_DAR_NONCE_LEN, 0 };
	uint8_t kpsa[32], nonce[ESFD_DAR_NONCE_LEN], key[32];
	struct esfd_key_pair root;

	fixture(&root, nonce, kpsa);
	b.nonce = nonce;
	HEX_EQ("8c2f785ac00a879cc9ceaf993c42239263a29d2f4de4f46430864e6f96917b81",
	       root.auth, 32);
	HEX_EQ("4393bda7802ffa7a9e52a1f765860250a5ab9279ca6cf8c5e26d69e2dfae5a6f",
	       root.conf, 32);
	ASSERT_EQ(0, esfd_kdf_dar_item_key(ESFD_SHA256, &root, ESFD_DAR_CONF, cid, &b, key, 32));
	HEX_EQ("cf9f684cd84c68399e500ab85ac2cdf6e5edfb877ee004b7359fc0aa41cc9947", key, 32);
	ASSERT_EQ(0, esfd_kdf_dar_item_key(ESFD_SHA256, &root, ESFD_DAR_AUTH, cid, &b, key, 32));
	HEX_EQ("d65e16d1ba3969d4573698b89b73fee21237445674bc1a0db5adf87300fee493", key, 32);
	/* A container id that is no identifier gives no keys. */
	EXPECT_EQ(-EINVAL, esfd_dar_root(kpsa, 32, "", &root));
	EXPECT_EQ(0, root.len);
	EXPECT_EQ(-EINVAL, esfd_dar_root(kpsa, 32, "/a b", &root));
	esfd_key_pair_wipe(&root);
	esfd_test_leaks();
}

/* The JWS is deterministic: esfd's must be Python's, byte for byte. */
TEST(integrity_only_object)
{
	uint8_t kpsa[32], nonce[ESFD_DAR_NONCE_LEN], pt[64];
	struct esfd_key_pair root;
	struct esfd_dar_hdr h;
	char *obj = NULL;
	size_t n;

	fixture(&root, nonce, kpsa);
	ASSERT_EQ(0, esfd_dar_seal(&root, cid, true, nonce, "21.5 C", 6, &obj));
	EXPECT_STREQ(py_jws, obj);
	ASSERT_EQ(0, esfd_dar_parse(obj, cid, &h));
	EXPECT_TRUE(h.integrity_only);
	EXPECT_STREQ("cin-MDEyMzQ1Njc4OTo7PD0-Pw", h.rn);
	ASSERT_EQ(0, esfd_dar_open(&root, cid, true, obj, pt, sizeof(pt), &n));
	EXPECT_EQ(6, n);
	EXPECT_EQ(0, memcmp(pt, "21.5 C", 6));
	/* A container that wants confidentiality refuses it. */
	EXPECT_EQ(-EMEDIUMTYPE, esfd_dar_open(&root, cid, false, obj, pt, sizeof(pt), &n));
	/* Another payload under the same signature. */
	obj[strlen(obj) - 45] ^= 1;
	EXPECT_EQ(-EBADMSG, esfd_dar_open(&root, cid, true, obj, pt, sizeof(pt), &n));
	EXPECT_EQ(0, n);
	free(obj);
	esfd_key_pair_wipe(&root);
	esfd_test_leaks();
}

TEST(confidential_object)
{
	uint8_t kpsa[32], nonce[ESFD_DAR_NONCE_LEN], nonce2[ESFD_DAR_NONCE_LEN], pt[64];
	struct esfd_key_pair root, other;
	struct esfd_dar_hdr h;
	char *obj = NULL, *obj2 = NULL, *p;
	size_t n;

	fixture(&root, nonce, kpsa);
	/* Python's JWE opens. */
	ASSERT_EQ(0, esfd_dar_open(&root, cid, false, py_jwe, pt, sizeof(pt), &n));
	EXPECT_EQ(6, n);
	EXPECT_EQ(0, memcmp(pt, "21.5 C", 6));
	ASSERT_EQ(0, esfd_dar_seal(&root, cid, false, nonce, "21.5 C", 6, &obj));
	/* No plaintext, no key in the object. */
	EXPECT_EQ(NULL, strstr(obj, "21.5"));
	EXPECT_EQ(NULL, strstr(obj, "MjEuNSBD"));
	ASSERT_EQ(0, esfd_dar_parse(obj, cid, &h));
	EXPECT_FALSE(h.integrity_only);
	ASSERT_EQ(0, esfd_dar_open(&root, cid, false, obj, pt, sizeof(pt), &n));
	EXPECT_EQ(6, n);
	/* Another container's object, another key, a flipped bit. */
	EXPECT_EQ(-EXDEV, esfd_dar_parse(obj, "/CSE-MN-01/cnt-other", &h));
	EXPECT_EQ(-EXDEV, esfd_dar_open(&root, "/CSE-MN-01/cnt-other", false, obj, pt,
					sizeof(pt), &n));
	kpsa[0] ^= 1;
	ASSERT_EQ(0, esfd_dar_root(kpsa, 32, cid, &other));
	memset(pt, 0x55, sizeof(pt));
	EXPECT_EQ(-EBADMSG, esfd_dar_open(&other, cid, false, obj, pt, sizeof(pt), &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(0, pt[0] | pt[5]);	/* no partial plaintext */
	p = strrchr(obj, '.') - 2;
	*p = *p == 'A' ? 'Q' : 'A';
	EXPECT_EQ(-EBADMSG, esfd_dar_open(&root, cid, false, obj, pt, sizeof(pt), &n));
	/* Two items of one container: two keys, two names. */
	memcpy(nonce2, nonce, sizeof(nonce2));
	nonce2[15] ^= 1;
	ASSERT_EQ(0, esfd_dar_seal(&root, cid, false, nonce2, "21.5 C", 6, &obj2));
	ASSERT_EQ(0, esfd_dar_parse(obj2, cid, &h));
	EXPECT_STRNE("cin-MDEyMzQ1Njc4OTo7PD0-Pw", h.rn);
	free(obj);
	free(obj2);
	esfd_key_pair_wipe(&root);
	esfd_key_pair_wipe(&other);
	esfd_test_leaks();
}

/* What the gateway refuses without a key: anything not exactly an object. */
TEST(malformed)
{
	static const char *const bad[] = {
		"", ".", "a.b", "a.b.c.d", "a.b.c.d.e.f",
		/* header with a member more, in JSON esfd never writes */
		"eyJhbGciOiJIUzI1NiJ9.MjEuNSBD.SKJn0R9LpxKTSU_icnkxa7SjFZ5slXl6s2CXMc47aRI",
	};
	uint8_t kpsa[32], nonce[ESFD_DAR_NONCE_LEN], pt[64];
	struct esfd_key_pair root;
	struct esfd_dar_hdr h;
	char buf[sizeof(py_jwe) + 8], *o = NULL;
	size_t i, n;

	fixture(&root, nonce, kpsa);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EPROTO, esfd_dar_parse(bad[i], cid, &h)) TH_LOG("%s", bad[i]);
	/* A JWS header on a JWE's five parts, padding, an IV too short. */
	snprintf(buf, sizeof(buf), "%s", py_jws);
	strcat(buf, "..");
	EXPECT_EQ(-EPROTO, esfd_dar_parse(buf, cid, &h));
	snprintf(buf, sizeof(buf), "%s=", py_jwe);
	EXPECT_EQ(-EPROTO, esfd_dar_parse(buf, cid, &h));
	snprintf(buf, sizeof(buf), "%s", py_jwe);
	memmove(strstr(buf, "..") + 2, strstr(buf, "..") + 4, strlen(strstr(buf, "..") + 4) + 1);
	EXPECT_EQ(-EPROTO, esfd_dar_open(&root, cid, false, buf, pt, sizeof(pt), &n));
	/* Too small an output: refused, nothing written. */
	EXPECT_EQ(-ENOSPC, esfd_dar_open(&root, cid, false, py_jwe, pt, 3, &n));
	EXPECT_EQ(-EINVAL, esfd_dar_seal(&root, cid, false, nonce, "", 0, &o));
	EXPECT_EQ(NULL, o);
	esfd_key_pair_wipe(&root);
	esfd_test_leaks();
}

TEST_HARNESS_MAIN
