// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * base64url (RFC 7515 section 2 and appendix C): the encoding of every
 * JOSE part. Decoding must accept exactly one text per byte string.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "esf_env.h"
#include "support.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int decode_str(const char *s, void **out, size_t *len)
{
	return esf_b64url_decode(s, strlen(s), out, len);
}

/* RFC 4648 section 10 vectors, in the URL alphabet without padding. */
TEST(rfc4648_vectors)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char buf[16];
		void *dec;
		size_t len;

		esf_b64url_encode(in[i], strlen(in[i]), buf);
		EXPECT_STREQ(enc[i], buf);
		EXPECT_EQ(strlen(enc[i]), esf_b64url_len(strlen(in[i])));
		ASSERT_EQ(0, decode_str(enc[i], &dec, &len));
		EXPECT_EQ(strlen(in[i]), len);
		EXPECT_EQ(0, memcmp(dec, in[i], len));
		EXPECT_EQ('\0', ((char *)dec)[len]);
		free(dec);
	}
	leak_check();
}

/* RFC 7515 appendix C: [3, 236, 255, 224, 193] is "A-z_4ME". */
TEST(rfc7515_appendix_c)
{
	static const uint8_t octets[] = { 3, 236, 255, 224, 193 };
	char buf[16];
	void *dec;
	size_t len;

	esf_b64url_encode(octets, sizeof(octets), buf);
	EXPECT_STREQ("A-z_4ME", buf);
	ASSERT_EQ(0, decode_str("A-z_4ME", &dec, &len));
	ASSERT_EQ(sizeof(octets), len);
	EXPECT_EQ(0, memcmp(dec, octets, len));
	free(dec);
	leak_check();
}

TEST(round_trip_every_length)
{
	uint8_t data[300];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(data); n++) {
		char *enc = esf_b64url_encode_alloc(data, n);
		void *dec;
		size_t len;

		ASSERT_NE(NULL, enc);
		ASSERT_EQ(esf_b64url_len(n), strlen(enc));
		ASSERT_EQ(0, decode_str(enc, &dec, &len));
		ASSERT_EQ(n, len);
		ASSERT_EQ(0, memcmp(dec, data, n));
		free(dec);
		free(enc);
	}
	leak_check();
}

TEST(rejects_padding_whitespace_and_standard_alphabet)
{
	static const char *const bad[] = {
		"Zg==", "Zm8=", "Zg=", "Zm9v====", "=", "Zm9v=", "Zm 9v", " Zm9v",
		"Zm9v ", "Zm9v\n", "Zm9v\r\n", "Zm9\tv", "Zm+v", "Zm/v", "Zm9v.",
		"Zm9v%3D", "Zm9v\\", "Z", "Zm9vY", "AAAAA", "Zm9vYmFyY",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *dec = NULL;
		size_t len;

		EXPECT_EQ(-ESF_E_FORMAT, decode_str(bad[i], &dec, &len)) {
			TH_LOG("accepted \"%s\"", bad[i]);
		}
		EXPECT_EQ(NULL, dec);
	}
	leak_check();
}

/* Every byte outside the alphabet, in every position of a quantum. */
TEST(rejects_every_foreign_byte)
{
	for (int c = 0; c < 256; c++) {
		if (c && strchr(alphabet, c))
			continue;
		for (int pos = 0; pos < 4; pos++) {
			char s[5] = "QUJD";
			void *dec = NULL;
			size_t len;

			s[pos] = (char)c;
			EXPECT_EQ(-ESF_E_FORMAT, esf_b64url_decode(s, 4, &dec, &len)) {
				TH_LOG("byte 0x%02x at %d accepted", c, pos);
			}
			free(dec);
		}
	}
	leak_check();
}

/*
 * All 2- and 3-character texts: accepted exactly when the unused low bits
 * are zero, and then the decoded bytes encode back to the same text.
 */
TEST(canonical_trailing_bits)
{
	char s[4] = "";
	unsigned int accepted = 0;

	for (int a = 0; a < 64; a++)
		for (int b = 0; b < 64; b++)
			for (int c = -1; c < 64; c++) {
				size_t n = c < 0 ? 2 : 3;
				int last = c < 0 ? b : c;
				bool canonical = c < 0 ? !(last & 15) : !(last & 3);
				char back[8];
				void *dec = NULL;
				size_t len;
				int r;

				s[0] = alphabet[a];
				s[1] = alphabet[b];
				s[2] = c < 0 ? '\0' : alphabet[c];
				r = esf_b64url_decode(s, n, &dec, &len);
				ASSERT_EQ(canonical ? 0 : -ESF_E_FORMAT, r) {
					TH_LOG("\"%s\"", s);
				}
				if (r)
					continue;
				accepted++;
				esf_b64url_encode(dec, len, back);
				ASSERT_STREQ(s, back);
				free(dec);
			}
	/* 64*4 two-character and 64*64*16 three-character canonical texts */
	EXPECT_EQ(64U * 4 + 64U * 64 * 16, accepted);
	leak_check();
}

TEST(length_one_mod_four_rejected)
{
	for (size_t n = 1; n < 64; n += 4) {
		char s[80];
		void *dec = NULL;
		size_t len;

		memset(s, 'A', n);
		s[n] = '\0';
		EXPECT_EQ(-ESF_E_FORMAT, esf_b64url_decode(s, n, &dec, &len));
		EXPECT_EQ(NULL, dec);
	}
	leak_check();
}

TEST_HARNESS_MAIN
