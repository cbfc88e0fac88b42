// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for every envelope parser libesf exposes to the
 * network: the first byte picks the parser, the rest is the input. The
 * sessions are software ones (tests/swbackend.c) with the keys the seed
 * corpus was made with, so seeds reach the crypto and the code behind it.
 */
#include <stdlib.h>
#include <string.h>

#include "esf_env.h"
#include "support.h"

#define FUZZ_KID "fuzz-kid"

static struct esf_session *aead, *mic;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	aead = aead_session(16, FUZZ_KID);
	mic = mic_session(ESF_ALG_HMAC_SHA256, FUZZ_KID);
	return aead && mic ? 0 : -1;
}

static void jose(struct esf_session *s, const char *in, size_t len)
{
	struct esf_jose_info info;
	void *out;
	size_t out_len;

	if (!esf_jose_open(s, in, len, &out, &out_len, &info)) {
		free(out);
		esf_jose_info_free(&info);
	}
}

static void esprim(const char *in, size_t len, bool class1)
{
	struct esf_esprim_info info;
	void *out;
	size_t out_len;
	int r;

	if (class1)
		r = esf_class1_unwrap(aead, in, len, NULL, NULL, (char **)&out, &info);
	else
		r = esf_esprim_open(aead, in, len, NULL, NULL, &out, &out_len, &info);
	if (!r) {
		free(out);
		esf_esprim_info_free(&info);
	}
}

static void envelope(struct esf_session *s, const char *in, size_t len)
{
	struct esf_envelope_info info;
	void *out;
	size_t out_len;

	if (!esf_envelope_open(s, in, len, 0, 0, &out, &out_len, &info))
		free(out);
}

static void classn(struct esf_session *s, int n, const char *in, size_t len)
{
	char *out;
	int r = n == 2 ? esf_class2_open(s, in, len, &out) :
			 esf_class3_open(s, in, len, &out);

	if (!r)
		free(out);
}

static void b64(const char *in, size_t len)
{
	void *out;
	size_t out_len;

	if (!esf_b64url_decode(in, len, &out, &out_len))
		free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t len = size - 1;

	if (!size)
		return 0;
	switch (data[0] % 10) {
	case 0: jose(aead, in, len); break;
	case 1: jose(mic, in, len); break;
	case 2: esprim(in, len, false); break;
	case 3: esprim(in, len, true); break;
	case 4: envelope(aead, in, len); break;
	case 5: envelope(mic, in, len); break;
	case 6: classn(aead, 2, in, len); break;
	case 7: classn(aead, 3, in, len); break;
	case 8: classn(mic, 3, in, len); break;
	default: b64(in, len); break;
	}
	return 0;
}
