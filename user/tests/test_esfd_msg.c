// SPDX-License-Identifier: GPL-2.0
/*
 * esfd peer transport messages: the exact frame bytes (against a frame built
 * and tagged in Python), round trips of every type, and refusal of every
 * corrupted, truncated, misaddressed, stale or unauthenticated frame, and
 * of malformed payloads inside correctly tagged frames (a peer that holds
 * the key but sends garbage).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "esfd_testutil.h"
#include "../esfd/enc.h"
#include "../esfd/hmac.h"
#include "../esfd/msg.h"

#define NOW	1767225600LL	/* 2026-01-01T00:00:00Z */

static const uint8_t kpsa[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/* The receiver's view of its peers: one peer, one key id. */
struct keyring {
	const char *sender, *kid;
	uint8_t key[ESFD_MSG_KEY_LEN];
	int lookups;
};

static int get_key(void *arg, const char *sender, const char *kid,
		   uint8_t key[ESFD_MSG_KEY_LEN])
{
	struct keyring *k = arg;

	k->lookups++;
	if (strcmp(sender, k->sender) || strcmp(kid, k->kid))
		return -ENOKEY;
	memcpy(key, k->key, ESFD_MSG_KEY_LEN);
	return 0;
}

static struct keyring ring;

static struct esfd_msg_ctx ctx_at(int64_t now)
{
	return (struct esfd_msg_ctx){
		.self_id = "/CSE-IN-01", .now = now, .max_skew = 120,
		.rand_max_lifetime = 0, .get_key = get_key, .arg = &ring,
	};
}

static void setup_ring(void)
{
	ring.sender = "/CSE-MN-01";
	ring.kid = "kpsa-1";
	ring.lookups = 0;
	esfd_msg_key_derive(kpsa, sizeof(kpsa), ring.key);
}

static void base_msg(struct esfd_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->req_id = 0x0102030405060708ULL;
	m->time = NOW;
	strcpy(m->sender, "/CSE-MN-01");
	strcpy(m->receiver, "/CSE-IN-01");
	strcpy(m->kid, "kpsa-1");
}

/*
 * Python (docs/key-derivation.md, "Peer transport"):
 *   prk = hmac(b"oneM2M-ESF peer transport v1", kpsa); mk = expand(prk,
 *   b"message authentication key", 32); frame = header || ids || payload;
 *   tag = hmac(mk, frame)
 */
static const char frame_hex[] =
	"4553465001030000000000780102030405060708000000006955b900000a000a0006"
	"0000000000162f4353452d4d4e2d30312f4353452d494e2d30316b7073612d317b22"
	"7365637572697479496e666f54797065223a337d707073774c6f85afd586fd483531"
	"073c8e0690f0cf75cdaf156b85334c060849";

TEST(exact_frame)
{
	struct esfd_msg m, d;
	struct esfd_msg_ctx ctx;
	uint8_t *f;
	size_t n;
	char hex[2 * 200 + 1];

	setup_ring();
	ctx = ctx_at(NOW);
	/* mk = de7e6ca4... (Python, as above) */
	esfd_hex_encode(ring.key, 32, hex);
	EXPECT_STREQ("de7e6ca44aafe512b619079a043a2bc84a7703df255094de0cb77babf314fb70", hex);
	base_msg(&m, ESFD_MSG_RAND_REQ);
	ASSERT_EQ(0, esfd_msg_encode(&m, ring.key, &f, &n));
	ASSERT_EQ(120, n);
	esfd_hex_encode(f, n, hex);
	EXPECT_STREQ(frame_hex, hex);
	EXPECT_EQ(120, esfd_msg_frame_len(f, n));
	ASSERT_EQ(0, esfd_msg_decode(f, n, &ctx, &d));
	EXPECT_EQ(ESFD_MSG_RAND_REQ, d.type);
	EXPECT_EQ(m.req_id, d.req_id);
	EXPECT_EQ(NOW, d.time);
	EXPECT_STREQ("/CSE-MN-01", d.sender);
	EXPECT_STREQ("/CSE-IN-01", d.receiver);
	EXPECT_STREQ("kpsa-1", d.kid);
	esfd_msg_free(&d);
	free(f);
	esfd_test_leaks();
}

TEST(round_trips)
{
	static const uint8_t kg[] = { 1 }, pr[] = { 12 };
	struct esfd_msg_ctx ctx;
	struct esfd_msg m, d;
	uint8_t hs[300], *f;
	size_t n, i;

	setup_ring();
	ctx = ctx_at(NOW);
	base_msg(&m, ESFD_MSG_RAND_RESP);
	ASSERT_EQ(0, esfd_randobj_new(&m.rand, NOW, 600, kg, 1, pr, 1));
	ASSERT_EQ(0, esfd_msg_encode(&m, ring.key, &f, &n));
	ASSERT_EQ(0, esfd_msg_decode(f, n, &ctx, &d));
	EXPECT_EQ(0, d.status);
	EXPECT_EQ(0, memcmp(&m.rand, &d.rand, sizeof(m.rand)));
	esfd_msg_free(&d);
	free(f);
	/* Refusal carries a oneM2M response status code instead. */
	base_msg(&m, ESFD_MSG_RAND_RESP);
	m.status = 4112;
	ASSERT_EQ(0, esfd_msg_encode(&m, ring.key, &f, &n));
	ASSERT_EQ(0, esfd_msg_decode(f, n, &ctx, &d));
	EXPECT_EQ(4112, d.status);
	EXPECT_EQ(0, d.rand.id[0]);
	esfd_msg_free(&d);
	free(f);
	/* ESCertKE handshake bytes, any content. */
	for (i = 0; i < sizeof(hs); i++)
		hs[i] = (uint8_t)(i * 31);
	base_msg(&m, ESFD_MSG_CERTKE);
	m.certke = hs;
	m.certke_len = sizeof(hs);
	ASSERT_EQ(0, esfd_msg_encode(&m, ring.key, &f, &n));
	ASSERT_EQ(0, esfd_msg_decode(f, n, &ctx, &d));
	ASSERT_EQ(sizeof(hs), d.certke_len);
	EXPECT_EQ(0, memcmp(hs, d.certke, sizeof(hs)));
	esfd_msg_free(&d);
	free(f);
	/* An ESPrim Object travels as its compact text. */
	base_msg(&m, ESFD_MSG_ESPRIM);
	m.esprim = (char *)"eyJhbGciOiJkaXIifQ..AAAA.BBBB.CCCC";
	ASSERT_EQ(0, esfd_msg_encode(&m, ring.key, &f, &n));
	ASSERT_EQ(0, esfd_msg_decode(f, n, &ctx, &d));
	EXPECT_STREQ(m.esprim, d.esprim);
	esfd_msg_free(&d);
	free(f);
	m.esprim = (char *)"not jwe";
	EXPECT_EQ(-EINVAL, esfd_msg_encode(&m, ring.key, &f, &n));
	esfd_test_leaks();
}

TEST(refusals)
{
	struct esfd_msg_ctx ctx;
	struct esfd_msg m, d;
	uint8_t *f;
	size_t n;

	setup_ring();
	base_msg(&m, ESFD_MSG_RAND_REQ);
	ASSERT_EQ(0, esfd_msg_encode(&m, ring.key, &f, &n));
	/* Clock skew at the boundary, both ways. */
	ctx = ctx_at(NOW + 120);
	EXPECT_EQ(0, esfd_msg_decode(f, n, &ctx, &d));
	ctx = ctx_at(NOW - 120);
	EXPECT_EQ(0, esfd_msg_decode(f, n, &ctx, &d));
	ctx = ctx_at(NOW + 121);
	EXPECT_EQ(-ESTALE, esfd_msg_decode(f, n, &ctx, &d));
	ctx = ctx_at(NOW - 121);
	EXPECT_EQ(-ESTALE, esfd_msg_decode(f, n, &ctx, &d));
	/* Addressed to someone else: authenticated, still refused. */
	ctx = ctx_at(NOW);
	ctx.self_id = "/CSE-IN-02";
	EXPECT_EQ(-EXDEV, esfd_msg_decode(f, n, &ctx, &d));
	/* Unknown sender or key id, and the wrong key. */
	ctx = ctx_at(NOW);
	ring.kid = "kpsa-2";
	EXPECT_EQ(-ENOKEY, esfd_msg_decode(f, n, &ctx, &d));
	ring.kid = "kpsa-1";
	ring.sender = "/CSE-MN-02";
	EXPECT_EQ(-ENOKEY, esfd_msg_decode(f, n, &ctx, &d));
	ring.sender = "/CSE-MN-01";
	ring.key[0] ^= 1;
	EXPECT_EQ(-EBADMSG, esfd_msg_decode(f, n, &ctx, &d));
	ring.key[0] ^= 1;
	ctx.get_key = NULL;
	EXPECT_EQ(-ENOKEY, esfd_msg_decode(f, n, &ctx, &d));
	EXPECT_EQ(0, d.sender[0]);
	free(f);
	/* An expired rand object in a well-tagged response. */
	base_msg(&m, ESFD_MSG_RAND_RESP);
	ASSERT_EQ(0, esfd_randobj_new(&m.rand, NOW, 60,
				      (const uint8_t[]){ 1 }, 1,
				      (const uint8_t[]){ 10 }, 1));
	m.time = NOW + 60;
	ASSERT_EQ(0, esfd_msg_encode(&m, ring.key, &f, &n));
	ctx = ctx_at(NOW + 60);
	EXPECT_EQ(-EKEYEXPIRED, esfd_msg_decode(f, n, &ctx, &d));
	free(f);
	esfd_test_leaks();
}

/* Every byte of a valid frame, changed, and every truncation: all refused. */
TEST(corruption)
{
	static const uint8_t kg[] = { 1 }, pr[] = { 12, 10 };
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	struct esfd_msg_ctx ctx;
	struct esfd_msg m, d;
	size_t n, i, k, cases = 0;
	uint8_t *f, *g;

	setup_ring();
	ctx = ctx_at(NOW);
	base_msg(&m, ESFD_MSG_RAND_RESP);
	ASSERT_EQ(0, esfd_randobj_new(&m.rand, NOW, 600, kg, 1, pr, 2));
	ASSERT_EQ(0, esfd_msg_encode(&m, ring.key, &f, &n));
	g = malloc(n + 1);
	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(flips); k++) {
			int r;

			memcpy(g, f, n);
			g[i] ^= flips[k];
			r = esfd_msg_decode(g, n, &ctx, &d);
			EXPECT_NE(0, r) TH_LOG("byte %zu ^ %02x accepted", i, flips[k]);
			EXPECT_EQ(0, d.type | d.sender[0] | d.rand.id[0]);
			cases++;
		}
	}
	for (i = 0; i < n; i++, cases++)
		EXPECT_NE(0, esfd_msg_decode(f, i, &ctx, &d)) TH_LOG("length %zu", i);
	memcpy(g, f, n);
	g[n] = 0;
	EXPECT_EQ(-EPROTO, esfd_msg_decode(g, n + 1, &ctx, &d));
	TH_LOG("%zu corrupted frames refused", cases + 1);
	free(f);
	free(g);
	esfd_test_leaks();
}

/* A frame around @payload, correctly tagged: what a keyed but broken peer sends. */
static uint8_t *tagged_frame(uint8_t type, const char *payload, size_t *len)
{
	const char *s = "/CSE-MN-01", *r = "/CSE-IN-01", *k = "kpsa-1";
	size_t pl = strlen(payload), n = 40 + 10 + 10 + 6 + pl + 32;
	uint8_t *f = calloc(1, n);
	struct esfd_buf in = { f, n - 32 };

	memcpy(f, "ESFP\x01", 5);
	f[5] = type;
	esfd_put_be32(f + 8, (uint32_t)n);
	esfd_put_be64(f + 20, (uint64_t)NOW);
	esfd_put_be16(f + 28, 10);
	esfd_put_be16(f + 30, 10);
	esfd_put_be16(f + 32, 6);
	esfd_put_be32(f + 36, (uint32_t)pl);
	memcpy(f + 40, s, 10);
	memcpy(f + 50, r, 10);
	memcpy(f + 60, k, 6);
	memcpy(f + 66, payload, pl);
	esfd_hmac(ESFD_SHA256, ring.key, 32, &in, 1, f + n - 32);
	*len = n;
	return f;
}

struct payload_case {
	uint8_t type;
	const char *json;
	int err;
};

#define RO "{\"esprimRandID\":\"a\",\"esprimRandValue\":\"EBESExQVFhcYGRobHB0eHw==\"," \
	   "\"esprimRandExpiry\":\"20300101T000000\",\"esprimKeyGenAlgIDs\":[1]," \
	   "\"esprimProtocolAndAlgIDs\":[12]}"

static const struct payload_case payloads[] = {
	{ 3, "{\"securityInfoType\":3}", 0 },
	{ 3, "{\"securityInfoType\":4}", -EPROTO },
	{ 3, "{\"securityInfoType\":\"3\"}", -EPROTO },
	{ 3, "{\"securityInfoType\":3.0}", -EPROTO },
	{ 3, "{\"securityInfoType\":3,\"x\":1}", -EPROTO },
	{ 3, "{\"securityInfoType\":3,\"securityInfoType\":3}", -EPROTO },
	{ 3, "{\"securityinfotype\":3}", -EPROTO },
	{ 3, "{}", -EPROTO },
	{ 3, "[]", -EPROTO },
	{ 3, "null", -EPROTO },
	{ 3, "", -EPROTO },
	{ 3, "{\"securityInfoType\":3}{}", -EPROTO },
	{ 3, "{\"securityInfoType\":3", -EPROTO },
	{ 3, "{\"securityInfoType\":3,\"receiverESPrimRandObject\":" RO "}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"receiverESPrimRandObject\":" RO "}", 0 },
	{ 4, "{\"securityInfoType\":4}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"receiverESPrimRandObject\":null}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"receiverESPrimRandObject\":{}}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"receiverESPrimRandObject\":[" RO "]}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"receiverESPrimRandObject\":" RO
	     ",\"responseStatusCode\":4111}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"receiverESPrimRandObject\":" RO
	     ",\"receiverESPrimRandObject\":" RO "}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"responseStatusCode\":4111}", 0 },
	{ 4, "{\"securityInfoType\":4,\"responseStatusCode\":6999}", 0 },
	{ 4, "{\"securityInfoType\":4,\"responseStatusCode\":3999}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"responseStatusCode\":7000}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"responseStatusCode\":0}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"responseStatusCode\":-4111}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"responseStatusCode\":\"4111\"}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"responseStatusCode\":4111.0}", -EPROTO },
	{ 4, "{\"securityInfoType\":4,\"responseStatusCode\":99999999999999999999}", -EPROTO },
	{ 4, "{\"securityInfoType\":3,\"responseStatusCode\":4111}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"FgMDAA==\"}", 0 },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"\"}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"FgMDAA\"}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"FgMDAB==\"}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"Fg-DAA==\"}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"====\"}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"A===\"}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":[\"FgMDAA==\"]}", -EPROTO },
	{ 6, "{\"securityInfoType\":6}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"FgMDAA==\",\"x\":0}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"\\u0000AAA\"}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"FgMD\\u0041A==\"}", 0 },
	{ 5, "{\"securityInfoType\":5,\"esprimObject\":\"eyJh.e30.AA.Bb-_.x\"}", 0 },
	{ 5, "{\"securityInfoType\":5,\"esprimObject\":\"\"}", -EPROTO },
	{ 5, "{\"securityInfoType\":5,\"esprimObject\":\"a b\"}", -EPROTO },
	{ 5, "{\"securityInfoType\":5,\"esprimObject\":\"a=\"}", -EPROTO },
	{ 5, "{\"securityInfoType\":5,\"esprimObject\":7}", -EPROTO },
	{ 5, "{\"securityInfoType\":5}", -EPROTO },
	{ 5, "{\"securityInfoType\":5,\"esprimObject\":\"a\",\"x\":1}", -EPROTO },
	{ 5, "{\"securityInfoType\":3,\"esprimObject\":\"a\"}", -EPROTO },
	{ 6, "\xff\xfe{}", -EPROTO },
	{ 6, "{\"securityInfoType\":6,\"escertkeMessage\":\"\xc3\x28\"}", -EPROTO },
};

TEST(authenticated_garbage)
{
	struct esfd_msg_ctx ctx;
	struct esfd_msg d;
	size_t i, n;

	setup_ring();
	ctx = ctx_at(NOW);
	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		uint8_t *f = tagged_frame(payloads[i].type, payloads[i].json, &n);
		int r = esfd_msg_decode(f, n, &ctx, &d);

		if (r != payloads[i].err)
			TH_LOG("case %zu (%s): got %d", i, payloads[i].json, r);
		EXPECT_EQ(payloads[i].err, r);
		esfd_msg_free(&d);
		free(f);
	}
	esfd_test_leaks();
}

/* Header fields the frame checks before it looks for a key. */
TEST(framing)
{
	struct esfd_msg_ctx ctx;
	struct esfd_msg d;
	uint8_t *f, hdr[12];
	size_t n;

	setup_ring();
	ctx = ctx_at(NOW);
	f = tagged_frame(3, "{\"securityInfoType\":3}", &n);
	EXPECT_EQ(-EAGAIN, esfd_msg_frame_len(f, 11));
	EXPECT_EQ((long)n, esfd_msg_frame_len(f, 12));
	memcpy(hdr, f, 12);
	hdr[4] = 2;
	EXPECT_EQ(-EPROTONOSUPPORT, esfd_msg_frame_len(hdr, 12));
	hdr[4] = 1;
	hdr[7] = 1;
	EXPECT_EQ(-EPROTO, esfd_msg_frame_len(hdr, 12));
	hdr[7] = 0;
	esfd_put_be32(hdr + 8, ESFD_MSG_MAX + 1);
	EXPECT_EQ(-EMSGSIZE, esfd_msg_frame_len(hdr, 12));
	esfd_put_be32(hdr + 8, 74);
	EXPECT_EQ(-EPROTO, esfd_msg_frame_len(hdr, 12));
	/* Unknown types are refused before any key lookup. */
	ring.lookups = 0;
	f[5] = 7;
	EXPECT_EQ(-EOPNOTSUPP, esfd_msg_decode(f, n, &ctx, &d));
	f[5] = 3;
	/* Lengths that do not add up; an id too long; a space in an id. */
	esfd_put_be16(f + 28, 11);
	EXPECT_EQ(-EPROTO, esfd_msg_decode(f, n, &ctx, &d));
	esfd_put_be16(f + 28, 10);
	f[45] = ' ';
	EXPECT_EQ(-EPROTO, esfd_msg_decode(f, n, &ctx, &d));
	EXPECT_EQ(0, ring.lookups);
	free(f);
	esfd_test_leaks();
}

TEST(encoder_refuses)
{
	struct esfd_msg m;
	uint8_t *f = (uint8_t *)1, hs[1] = { 0 };
	size_t n = 1;

	setup_ring();
	base_msg(&m, 5);
	EXPECT_EQ(-EINVAL, esfd_msg_encode(&m, ring.key, &f, &n));
	EXPECT_EQ(NULL, f);
	EXPECT_EQ(0, n);
	base_msg(&m, ESFD_MSG_RAND_REQ);
	strcpy(m.sender, "/CSE MN");
	EXPECT_EQ(-EINVAL, esfd_msg_encode(&m, ring.key, &f, &n));
	base_msg(&m, ESFD_MSG_RAND_REQ);
	m.kid[0] = '\0';
	EXPECT_EQ(-EINVAL, esfd_msg_encode(&m, ring.key, &f, &n));
	base_msg(&m, ESFD_MSG_RAND_REQ);
	m.time = -1;
	EXPECT_EQ(-EINVAL, esfd_msg_encode(&m, ring.key, &f, &n));
	base_msg(&m, ESFD_MSG_RAND_RESP);	/* no rand object, no status */
	EXPECT_EQ(-EINVAL, esfd_msg_encode(&m, ring.key, &f, &n));
	m.status = 2000;
	EXPECT_EQ(-EINVAL, esfd_msg_encode(&m, ring.key, &f, &n));
	base_msg(&m, ESFD_MSG_CERTKE);
	EXPECT_EQ(-EINVAL, esfd_msg_encode(&m, ring.key, &f, &n));
	m.certke = hs;
	m.certke_len = ESFD_MSG_CERTKE_MAX + 1;
	EXPECT_EQ(-EINVAL, esfd_msg_encode(&m, ring.key, &f, &n));
	EXPECT_EQ(-EINVAL, esfd_msg_key_derive(kpsa, 15, ring.key));
	EXPECT_STREQ("authentication failed: bad tag", esfd_msg_strerror(-EBADMSG));
	esfd_test_leaks();
}

TEST_HARNESS_MAIN
