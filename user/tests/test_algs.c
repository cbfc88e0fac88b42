// SPDX-License-Identifier: GPL-2.0
/*
 * The size texts esfctl prints come from user/common/esf_algs.c: each
 * names every accepted size and nothing else. (Whether the table agrees
 * with the module is the VM test esf_algsizes.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "esf_algs.h"

TEST(texts_name_the_accepted_sizes)
{
	static const struct {
		const char *alg, *key, *tag;
	} want[] = {
		{ "gcm(aes)", "16, 24 or 32-byte key", "4, 8 or 12 to 16-byte tag" },
		{ "rfc4106(gcm(aes))", "16, 24 or 32-byte key", "8, 12 or 16-byte tag" },
		{ "ccm(aes)", "16, 24 or 32-byte key", "4, 6, 8, 10, 12, 14 or 16-byte tag" },
		{ "authenc(hmac(sha256),cbc(aes))", "48, 56 or 64-byte key (a 32-byte "
		  "HMAC-SHA256 key, then a 16, 24 or 32-byte AES key)", "16 to 32-byte tag" },
		{ "kw(aes)", "16, 24 or 32-byte key-encryption key", "16-byte tag" },
		{ "hmac(sha256)", "32 to 128-byte key", "16 to 32-byte tag" },
		{ "hmac(sha384)", "48 to 128-byte key", "16 to 48-byte tag" },
		{ "hmac(sha512)", "64 to 128-byte key", "16 to 64-byte tag" },
	};
	char buf[200];

	ASSERT_EQ(sizeof(want) / sizeof(want[0]), esf_algs_count);
	for (size_t i = 0; i < esf_algs_count; i++) {
		const struct esf_alg_desc *a = esf_alg_lookup(want[i].alg);

		ASSERT_NE(NULL, a) TH_LOG("%s", want[i].alg);
		EXPECT_STREQ(want[i].key, esf_alg_key_sizes(a, buf, sizeof(buf)));
		EXPECT_STREQ(want[i].tag, esf_alg_tag_sizes(a, false, buf, sizeof(buf)));
		EXPECT_TRUE(a->key_ok(a, a->probe_key_len));
	}
	EXPECT_EQ(NULL, esf_alg_lookup("gcm(aes"));
	EXPECT_STREQ("16-byte tag", esf_alg_tag_sizes(esf_alg_lookup("gcm(aes)"), true, buf,
						      sizeof(buf)));
}

TEST(names_list_every_algorithm)
{
	char buf[300];

	EXPECT_STREQ("gcm(aes), rfc4106(gcm(aes)), ccm(aes), authenc(hmac(sha256),cbc(aes)), "
		     "kw(aes), hmac(sha256), hmac(sha384), hmac(sha512)",
		     esf_alg_names(buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
