// SPDX-License-Identifier: LGPL-2.1-or-later
/* Helpers shared by the host-side unit tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/lsan_interface.h>

#include "esf_env.h"
#include "support.h"

const uint8_t test_key[64] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
	0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b,
	0x3c, 0x3d, 0x3e, 0x3f,
};
const uint8_t test_salt[4] = { 0xe5, 0xf0, 0x00, 0x01 };

static struct esf_session *aead(size_t key_len, const char *kid, uint32_t window)
{
	struct sw_params p = {
		.alg = ESF_ALG_GCM_AES, .key = test_key, .key_len = key_len,
		.seq_start = 1, .key_id = kid, .replay_window = window,
	};

	memcpy(p.salt, test_salt, sizeof(p.salt));
	return sw_session(&p, 0, 0);
}

struct esf_session *aead_session(size_t key_len, const char *kid)
{
	return aead(key_len, kid, 0);
}

struct esf_session *aead_peer(size_t key_len, const char *kid)
{
	return aead(key_len, kid, 64);
}

struct esf_session *kw_session(size_t kek_len, size_t cek_len, const char *kid)
{
	struct sw_params p = {
		.alg = ESF_ALG_KW_AES, .key = test_key, .key_len = kek_len,
		.cek_len = (uint8_t)cek_len, .key_id = kid, .replay_window = 64,
	};

	memcpy(p.salt, test_salt, sizeof(p.salt));
	return sw_session(&p, 0, 0);
}

struct esf_session *mic_session(uint8_t alg, const char *kid)
{
	size_t key_len = alg == ESF_ALG_HMAC_SHA256 ? 32 : 64;
	struct sw_params p = {
		.alg = alg, .key = test_key, .key_len = key_len, .key_id = kid,
	};

	return sw_session(&p, 0, 0);
}

void *b64d(const char *s, size_t *len)
{
	void *out;

	if (esf_b64url_decode(s, strlen(s), &out, len)) {
		fprintf(stderr, "bad test vector: %s\n", s);
		abort();
	}
	return out;
}

void leak_check(void)
{
	__lsan_do_leak_check();
}
