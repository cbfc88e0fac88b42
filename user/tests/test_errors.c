// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error reporting: every libesf code has its own message, and each maps
 * to the oneM2M response status code a CSE must answer with (TS-0004:
 * 4111-4116 for ESPrim conditions, 5210/5211 for decryption/encryption).
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "support.h"

static const int codes[] = {
	ESF_E_FORMAT, ESF_E_UNSUPPORTED, ESF_E_ALG_MISMATCH, ESF_E_KEY_ID,
	ESF_E_ORIG_RAND, ESF_E_RECV_RAND, ESF_E_IMPERSONATION, ESF_E_CLASS,
};

TEST(own_codes_have_distinct_messages)
{
	size_t n = sizeof(codes) / sizeof(codes[0]);

	for (size_t i = 0; i < n; i++) {
		const char *m = esf_strerror(-codes[i]);

		/* beyond errno's range, so never confused with one */
		EXPECT_GT(codes[i], 4095);
		EXPECT_EQ(NULL, strstr(m, "Unknown error"));
		for (size_t j = 0; j < i; j++)
			EXPECT_STRNE(esf_strerror(-codes[j]), m);
	}
	EXPECT_STREQ("unknown key id", esf_strerror(-ESF_E_KEY_ID));
}

struct map {
	int err;
	int open_rsc;
	int seal_rsc;
	const char *name;	/* of open_rsc */
};

static const struct map maps[] = {
	{ 0, 2000, 2000, "OK" },
	{ -ESF_E_UNSUPPORTED, 4111, 4111, "ESPRIM_UNSUPPORTED_OPTION" },
	{ -ESF_E_ALG_MISMATCH, 4111, 4111, "ESPRIM_UNSUPPORTED_OPTION" },
	{ -ESF_E_CLASS, 4111, 4111, "ESPRIM_UNSUPPORTED_OPTION" },
	{ -ESF_E_KEY_ID, 4112, 4112, "ESPRIM_UNKNOWN_KEY_ID" },
	{ -ENOKEY, 4112, 5211, "ESPRIM_UNKNOWN_KEY_ID" },
	{ -ESF_E_ORIG_RAND, 4113, 4113, "ESPRIM_UNKNOWN_ORIG_RAND_ID" },
	{ -ESF_E_RECV_RAND, 4114, 4114, "ESPRIM_UNKNOWN_RECV_RAND_ID" },
	{ -EBADMSG, 4115, 5211, "ESPRIM_BAD_MAC" },
	{ -ESF_E_IMPERSONATION, 4116, 4116, "ESPRIM_IMPERSONATION_ERROR" },
	{ -ESF_E_FORMAT, 5210, 5211, "ESPRIM_DECRYPTION_ERROR" },
	{ -EALREADY, 5210, 5211, "ESPRIM_DECRYPTION_ERROR" },
	{ -ESTALE, 5210, 5211, "ESPRIM_DECRYPTION_ERROR" },
	{ -EKEYEXPIRED, 5210, 5211, "ESPRIM_DECRYPTION_ERROR" },
	{ -EMSGSIZE, 5210, 5211, "ESPRIM_DECRYPTION_ERROR" },
	{ -ENOMEM, 5000, 5000, "INTERNAL_SERVER_ERROR" },
};

TEST(onem2m_response_codes)
{
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		EXPECT_EQ(maps[i].open_rsc, esf_onem2m_rsc(maps[i].err, 1)) {
			TH_LOG("%s", esf_strerror(maps[i].err));
		}
		EXPECT_EQ(maps[i].seal_rsc, esf_onem2m_rsc(maps[i].err, 0)) {
			TH_LOG("%s", esf_strerror(maps[i].err));
		}
		EXPECT_STREQ(maps[i].name, esf_onem2m_rsc_name(maps[i].open_rsc));
	}
	EXPECT_STREQ("ESPRIM_ENCRYPTION_ERROR", esf_onem2m_rsc_name(5211));
	EXPECT_STREQ("BAD_REQUEST", esf_onem2m_rsc_name(4000));
	EXPECT_STREQ("ORIGINATOR_HAS_NO_PRIVILEGE", esf_onem2m_rsc_name(4103));
	EXPECT_STREQ("NOT_IMPLEMENTED", esf_onem2m_rsc_name(5001));
	EXPECT_STREQ("UNKNOWN", esf_onem2m_rsc_name(4002));
}

TEST_HARNESS_MAIN
