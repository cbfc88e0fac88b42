// SPDX-License-Identifier: GPL-2.0
/*
 * ESPrim rand objects: creation, the exact JSON text, and a strict decoder
 * fed a few hundred malformed objects built by replacing, removing and
 * duplicating each member of a valid one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "esfd_testutil.h"
#include "../esfd/enc.h"
#include "../esfd/randobj.h"

#define NOW	1767225600LL	/* 2026-01-01T00:00:00Z */
#define EXPIRY	1893456000LL	/* 2030-01-01T00:00:00Z */

/* The members of a valid object, as JSON text, in encoder order. */
static const char *const names[5] = {
	"esri", "esrv", "esrx", "esks", "espa",
};
static const char *const good[5] = {
	"\"rcv-01\"", "\"EBESExQVFhcYGRobHB0eHw==\"", "\"20300101T000000\"",
	"[1]", "[12,10]",
};

/*
 * A JSON object of the good members, member @which replaced by @val (NULL:
 * left out), and @extra appended verbatim (may be "").
 */
static char *build(int which, const char *val, const char *extra)
{
	char *buf = malloc(4096);
	size_t n = 0;
	int i;

	n += (size_t)snprintf(buf + n, 4096 - n, "{");
	for (i = 0; i < 5; i++) {
		const char *v = i == which ? val : good[i];

		if (!v)
			continue;
		n += (size_t)snprintf(buf + n, 4096 - n, "%s\"%s\":%s",
				      n > 1 ? "," : "", names[i], v);
	}
	snprintf(buf + n, 4096 - n, "%s}", extra);
	return buf;
}

static int decode(const char *s, struct esfd_randobj *ro)
{
	return esfd_randobj_decode(s, strlen(s), NOW, 0, ro);
}

TEST(exact_json)
{
	struct esfd_randobj ro, back;
	char *s, *expect = build(-1, NULL, "");

	esfd_test_randobj(&ro);
	ASSERT_EQ(0, esfd_randobj_encode(&ro, &s));
	EXPECT_STREQ(expect, s);
	ASSERT_EQ(0, decode(s, &back));
	EXPECT_EQ(0, memcmp(&ro, &back, sizeof(ro)));
	free(s);
	free(expect);
	esfd_test_leaks();
}

TEST(new_objects)
{
	static const uint8_t kg[] = { 1 }, pr[] = { 12, 11, 10 }, bad[] = { 13 };
	struct esfd_randobj a, b, back;
	char *s;
	size_t i;

	ASSERT_EQ(0, esfd_randobj_new(&a, NOW, 3600, kg, 1, pr, 3));
	ASSERT_EQ(0, esfd_randobj_new(&b, NOW, 3600, kg, 1, pr, 3));
	EXPECT_EQ(22, strlen(a.id));
	for (i = 0; i < 22; i++)
		EXPECT_NE(NULL, strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_", a.id[i]));
	EXPECT_STRNE(a.id, b.id);
	EXPECT_NE(0, memcmp(a.value, b.value, 16));
	EXPECT_EQ(NOW + 3600, a.expiry);
	EXPECT_FALSE(esfd_randobj_expired(&a, NOW + 3599));
	EXPECT_TRUE(esfd_randobj_expired(&a, NOW + 3600));
	ASSERT_EQ(0, esfd_randobj_encode(&a, &s));
	ASSERT_EQ(0, decode(s, &back));
	EXPECT_EQ(0, memcmp(&a, &back, sizeof(a)));
	free(s);
	/* Nothing this side cannot run is offered; lifetimes are bounded. */
	EXPECT_EQ(-EINVAL, esfd_randobj_new(&a, NOW, 3600, kg, 1, bad, 1));
	EXPECT_EQ(-EINVAL, esfd_randobj_new(&a, NOW, 0, kg, 1, pr, 3));
	EXPECT_EQ(-EINVAL, esfd_randobj_new(&a, NOW, 31 * 86400, kg, 1, pr, 3));
	EXPECT_EQ(-EINVAL, esfd_randobj_new(&a, NOW, 3600, kg, 0, pr, 3));
	EXPECT_EQ(-EINVAL, esfd_randobj_new(&a, NOW, 3600, kg, 1, pr, 9));
	EXPECT_EQ(-EINVAL, esfd_randobj_new(&a, NOW, 3600, kg, 1,
					    (const uint8_t[]){ 12, 12 }, 2));
	esfd_test_leaks();
}

/* Replacement values and the error each gives, per member. */
struct bad_value {
	int member;
	const char *val;
	int err;
};

static const struct bad_value bad_values[] = {
	{ 0, "\"\"", -EPROTO },
	{ 0, "\"rcv 01\"", -EPROTO },
	{ 0, "\"rcv/01\"", -EPROTO },
	{ 0, "\"r\\u00e9v\"", -EPROTO },
	{ 0, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", -EPROTO },
	{ 1, "\"EBESExQVFhcYGRobHB0eHw\"", -EPROTO },
	{ 1, "\"EBESExQVFhcYGRobHB0eHx==\"", -EPROTO },
	{ 1, "\"EBESExQVFhcYGRobHB0e\"", -EPROTO },
	{ 1, "\"EBESExQVFhcYGRobHB0eHx8f\"", -EPROTO },
	{ 1, "\"EBESExQVFhcYGRobHB0eHw==EBES\"", -EPROTO },
	{ 1, "\"EBESExQVFhcYGRob HB0eHw==\"", -EPROTO },
	{ 1, "\"EBESExQVFhcYGRobHB0eHw=\"", -EPROTO },
	{ 1, "\"EBESExQVFhcYGRobHB0eHw-_\"", -EPROTO },
	{ 1, "\"\"", -EPROTO },
	{ 2, "\"2030-01-01T00:00:00\"", -EPROTO },
	{ 2, "\"20300101T000000Z\"", -EPROTO },
	{ 2, "\"20300101T000000,5\"", -EPROTO },
	{ 2, "\"20300230T000000\"", -EPROTO },
	{ 2, "\"20301301T000000\"", -EPROTO },
	{ 2, "\"20300101T250000\"", -EPROTO },
	{ 2, "\"20300101t000000\"", -EPROTO },
	{ 2, "\"\"", -EPROTO },
	{ 2, "1893456000", -EPROTO },
	{ 2, "\"20251231T235959\"", -EKEYEXPIRED },
	{ 2, "\"20260101T000000\"", -EKEYEXPIRED },
	{ 2, "\"19700101T000000\"", -EKEYEXPIRED },
	{ 3, "[]", -EPROTO },
	{ 3, "[0]", -EPROTO },
	{ 3, "[256]", -EPROTO },
	{ 3, "[-1]", -EPROTO },
	{ 3, "[1,1]", -EPROTO },
	{ 3, "[1.0]", -EPROTO },
	{ 3, "[\"1\"]", -EPROTO },
	{ 3, "[1,2,3,4,5,6,7,8,9]", -EPROTO },
	{ 3, "[[1]]", -EPROTO },
	{ 3, "[2]", -EOPNOTSUPP },
	{ 3, "[2,3,255]", -EOPNOTSUPP },
	{ 3, "1", -EPROTO },
	{ 3, "[99999999999999999999]", -EPROTO },
	{ 4, "[]", -EPROTO },
	{ 4, "[0]", -EPROTO },
	{ 4, "[12,12]", -EPROTO },
	{ 4, "[1]", -EOPNOTSUPP },
	{ 4, "[9,13]", -EOPNOTSUPP },
	{ 4, "[12,null]", -EPROTO },
	{ 4, "[true]", -EPROTO },
	{ 4, "{\"a\":12}", -EPROTO },
	{ 4, "[10,11,12,13,14,15,16,17,18]", -EPROTO },
};

/* Values of the wrong JSON type for every member. */
static const char *const wrong_types[] = {
	"null", "true", "false", "0", "12", "-1", "1.5", "1e3", "\"x\"", "[]",
	"{}", "[1,2]", "\"\\u0000\"",
};

/* A few of the "wrong" values are right for some members. */
static int wrong_type_err(int member, const char *val)
{
	if (member == 0 && !strcmp(val, "\"x\""))
		return 0;	/* a valid id */
	if (member == 3 && !strcmp(val, "[1,2]"))
		return 0;	/* offers HMAC-SHA256 */
	if (member == 4 && !strcmp(val, "[1,2]"))
		return -EOPNOTSUPP;	/* well-formed, nothing known */
	return -EPROTO;
}

TEST(malformed_members)
{
	struct esfd_randobj ro;
	size_t i, cases = 0;
	int m;

	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		char *s = build(bad_values[i].member, bad_values[i].val, "");
		int r = decode(s, &ro);

		if (r != bad_values[i].err)
			TH_LOG("%s: got %d", s, r);
		EXPECT_EQ(bad_values[i].err, r);
		EXPECT_EQ(0, ro.id[0] | ro.value[0] | ro.n_prot);
		free(s);
		cases++;
	}
	for (m = 0; m < 5; m++) {
		for (i = 0; i < sizeof(wrong_types) / sizeof(wrong_types[0]); i++) {
			char *s = build(m, wrong_types[i], "");
			int r = decode(s, &ro);

			EXPECT_EQ(wrong_type_err(m, wrong_types[i]), r) TH_LOG("%s", s);
			free(s);
			cases++;
		}
		/* Missing member. */
		{
			char *s = build(m, NULL, "");

			EXPECT_EQ(-EPROTO, decode(s, &ro)) TH_LOG("%s", s);
			free(s);
			cases++;
		}
		/* Duplicate member, same or other value. */
		{
			char extra[128];
			char *s;

			snprintf(extra, sizeof(extra), ",\"%s\":%s", names[m], good[m]);
			s = build(-1, NULL, extra);
			EXPECT_EQ(-EPROTO, decode(s, &ro)) TH_LOG("%s", s);
			free(s);
			cases++;
		}
	}
	TH_LOG("%zu malformed objects refused", cases);
	esfd_test_leaks();
}

TEST(malformed_text)
{
	static const char *const extras[] = {
		",\"esprimRandID\":\"x\"", ",\"x\":1", ",\"\":null",
		",\"esri \":\"x\"", ",\"ESRI\":\"x\"",
	};
	static const char *const texts[] = {
		"", " ", "null", "[]", "\"x\"", "1", "{", "}", "{}", "{,}",
		"{\"esri\":\"rcv-01\"}",
	};
	struct esfd_randobj ro;
	char *base = build(-1, NULL, "");
	size_t i, n = strlen(base), cases = 0;

	for (i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
		char *s = build(-1, NULL, extras[i]);

		EXPECT_EQ(-EPROTO, decode(s, &ro)) TH_LOG("%s", s);
		free(s);
		cases++;
	}
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++, cases++)
		EXPECT_EQ(-EPROTO, decode(texts[i], &ro)) TH_LOG("%s", texts[i]);
	/* Every truncation of a valid object, and trailing data. */
	for (i = 0; i < n; i++, cases++)
		EXPECT_EQ(-EPROTO, esfd_randobj_decode(base, i, NOW, 0, &ro));
	{
		char s[512];

		snprintf(s, sizeof(s), "%s{}", base);
		EXPECT_EQ(-EPROTO, decode(s, &ro));
		snprintf(s, sizeof(s), "%s x", base);
		EXPECT_EQ(-EPROTO, decode(s, &ro));
		snprintf(s, sizeof(s), " %s\n", base);
		EXPECT_EQ(0, decode(s, &ro));
		cases += 3;
	}
	TH_LOG("%zu malformed texts refused", cases);
	free(base);
	esfd_test_leaks();
}

TEST(expiry_bounds)
{
	struct esfd_randobj ro;
	char *s = build(-1, NULL, "");

	EXPECT_EQ(0, esfd_randobj_decode(s, strlen(s), EXPIRY - 1, 0, &ro));
	EXPECT_EQ(-EKEYEXPIRED, esfd_randobj_decode(s, strlen(s), EXPIRY, 0, &ro));
	EXPECT_EQ(-EKEYEXPIRED, esfd_randobj_decode(s, strlen(s), EXPIRY + 1, 0, &ro));
	/* Expiring too far ahead is as unacceptable as having expired. */
	EXPECT_EQ(0, esfd_randobj_decode(s, strlen(s), EXPIRY - 3600, 3600, &ro));
	EXPECT_EQ(-EKEYEXPIRED, esfd_randobj_decode(s, strlen(s), EXPIRY - 3601,
						    3600, &ro));
	free(s);
	esfd_test_leaks();
}

TEST(kdf_bytes_and_choice)
{
	struct esfd_randobj r, o;
	uint8_t b[ESFD_RAND_KDF_MAX];
	size_t n;

	esfd_test_randobj(&r);
	esfd_test_randobj(&o);
	ASSERT_EQ(0, esfd_randobj_kdf_bytes(&r, b, sizeof(b), &n));
	EXPECT_EQ(2 + 6 + 16 + 8 + 2 + 3, n);
	EXPECT_EQ(-ENOSPC, esfd_randobj_kdf_bytes(&r, b, n - 1, &n));
	/* Receiver's preference order wins among common, known ids. */
	o.n_prot = 3;
	o.prot[0] = 10;
	o.prot[1] = 200;
	o.prot[2] = 12;
	EXPECT_EQ(12, esfd_randobj_choose_prot(&r, &o));
	o.n_prot = 1;
	o.prot[0] = 11;
	EXPECT_EQ(-EOPNOTSUPP, esfd_randobj_choose_prot(&r, &o));
	/* Invalid objects have no binary form and no JSON. */
	r.id[0] = '\0';
	EXPECT_EQ(-EINVAL, esfd_randobj_kdf_bytes(&r, b, sizeof(b), &n));
	{
		char *s = (char *)1;

		EXPECT_EQ(-EINVAL, esfd_randobj_encode(&r, &s));
		EXPECT_EQ(NULL, s);
	}
	esfd_test_leaks();
}

TEST_HARNESS_MAIN
