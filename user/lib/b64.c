// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * base64url without padding (RFC 7515 section 2 and appendix C).
 *
 * Decoding is strict so that every byte string has exactly one accepted
 * text: no padding, no whitespace, no characters of the standard alphabet,
 * no length of 1 mod 4, and the unused low bits of the last character must
 * be zero. A lenient decoder would let an attacker make many texts of one
 * envelope, which defeats replay caches keyed on the text and makes the
 * signing input of a JWS ambiguous.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esf_env.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t esf_b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

void esf_b64url_encode(const void *in, size_t n, char *out)
{
	const uint8_t *p = in;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*out++ = alphabet[v >> 18];
		*out++ = alphabet[(v >> 12) & 63];
		*out++ = alphabet[(v >> 6) & 63];
		*out++ = alphabet[v & 63];
	}
	if (n - i == 1) {
		*out++ = alphabet[p[i] >> 2];
		*out++ = alphabet[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		*out++ = alphabet[v >> 10];
		*out++ = alphabet[(v >> 4) & 63];
		*out++ = alphabet[(v & 15) << 2];
	}
	*out = '\0';
}

char *esf_b64url_encode_alloc(const void *in, size_t n)
{
	char *out = malloc(esf_b64url_len(n) + 1);

	if (out)
		esf_b64url_encode(in, n, out);
	return out;
}

static int value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decode @n characters (n % 4 != 1) into @out; -1 on a bad character. */
static int decode_into(const char *in, size_t n, uint8_t *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int v = value((unsigned char)in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*out++ = (uint8_t)(acc >> bits);
		}
		acc &= (1U << bits) - 1;
	}
	/* Left-over bits must be zero for the encoding to be canonical. */
	return acc ? -1 : 0;
}

int esf_b64url_decode(const char *in, size_t n, void **out, size_t *out_len)
{
	size_t len = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	uint8_t *buf;

	if (n % 4 == 1)
		return -ESF_E_FORMAT;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	if (decode_into(in, n, buf)) {
		free(buf);
		return -ESF_E_FORMAT;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}
