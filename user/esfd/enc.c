// SPDX-License-Identifier: GPL-2.0
/*
 * esfd byte encodings. Decoders accept exactly one spelling per value:
 * what is authenticated or fed to a KDF must not have aliases an attacker
 * could pick between.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enc.h"

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int esfd_hex_decode(const char *hex, size_t hexlen, uint8_t *out,
		    size_t outmax, size_t *outlen)
{
	size_t i;

	*outlen = 0;
	if (hexlen % 2)
		return -EINVAL;
	if (hexlen / 2 > outmax)
		return -ENOSPC;
	for (i = 0; i < hexlen / 2; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			/* The caller may be decoding a key: leave no half of it. */
			explicit_bzero(out, outmax);
			return -EINVAL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = hexlen / 2;
	return 0;
}

void esfd_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t esfd_b64_len(size_t len, bool url)
{
	if (url)
		return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
	return (len + 2) / 3 * 4;
}

int esfd_b64_encode(const uint8_t *in, size_t len, bool url, char *out,
		    size_t outsz)
{
	const char *alpha = url ? b64_url : b64_std;
	size_t need = esfd_b64_len(len, url), i, o = 0;

	if (outsz < need + 1)
		return -ENOSPC;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (len - i) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (len - i == 2)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[v >> 12 & 63];
		if (len - i == 2)
			out[o++] = alpha[v >> 6 & 63];
		else if (!url)
			out[o++] = '=';
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

char *esfd_b64_alloc(const uint8_t *in, size_t len, bool url)
{
	size_t sz = esfd_b64_len(len, url) + 1;
	char *s = malloc(sz);

	if (s && esfd_b64_encode(in, len, url, s, sz)) {
		free(s);
		s = NULL;
	}
	return s;
}

static int b64_value(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Strip the padding of standard base64; return the data characters. */
static int b64_data_len(const char *in, size_t inlen, bool url, size_t *n)
{
	size_t pad = 0;

	if (url) {
		if (inlen % 4 == 1)
			return -EINVAL;
		*n = inlen;
		return 0;
	}
	if (inlen % 4)
		return -EINVAL;
	while (pad < 2 && pad < inlen && in[inlen - 1 - pad] == '=')
		pad++;
	*n = inlen - pad;
	return 0;
}

int esfd_b64_decode(const char *in, size_t inlen, bool url, uint8_t *out,
		    size_t outmax, size_t *outlen)
{
	size_t n, i, o = 0, bits = 0;
	uint32_t acc = 0;
	int err;

	*outlen = 0;
	err = b64_data_len(in, inlen, url, &n);
	if (err)
		return err;
	if (n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) > outmax)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		int v = b64_value(in[i], url);

		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Canonical: the bits left over after the last full byte are zero. */
	if (acc)
		return -EINVAL;
	*outlen = o;
	return 0;
}

int esfd_id_check(const char *id, size_t len)
{
	size_t i;

	if (!len || len > ESFD_ID_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];

		if (c >= 0x80)
			return -EILSEQ;
		if (c <= 0x20 || c == 0x7f)
			return -EINVAL;
	}
	return 0;
}

static int digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Split "YYYYMMDDTHHMMSS" into a struct tm, fields unchecked. */
static int time_fields(const char *s, struct tm *tm)
{
	int y, mo, d, h, mi, se;

	if (s[8] != 'T' || digits(s, 4, &y) || digits(s + 4, 2, &mo) ||
	    digits(s + 6, 2, &d) || digits(s + 9, 2, &h) ||
	    digits(s + 11, 2, &mi) || digits(s + 13, 2, &se))
		return -EINVAL;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = se;
	return 0;
}

int esfd_time_parse(const char *s, size_t len, int64_t *t)
{
	struct tm tm, back;
	time_t v;

	if (len != ESFD_TIME_LEN || time_fields(s, &tm))
		return -EINVAL;
	if (tm.tm_year < 70)
		return -EINVAL;
	back = tm;
	v = timegm(&back);
	/*
	 * timegm() normalises out-of-range fields (February 30 becomes
	 * March 2): a date is valid only if it survives the round trip.
	 */
	if (!gmtime_r(&v, &back) || back.tm_year != tm.tm_year ||
	    back.tm_mon != tm.tm_mon || back.tm_mday != tm.tm_mday ||
	    back.tm_hour != tm.tm_hour || back.tm_min != tm.tm_min ||
	    back.tm_sec != tm.tm_sec)
		return -EINVAL;
	*t = (int64_t)v;
	return 0;
}

int esfd_time_format(int64_t t, char out[ESFD_TIME_LEN + 1])
{
	time_t v = (time_t)t;
	struct tm tm;

	if (t < 0 || t > 253402300799LL || !gmtime_r(&v, &tm))
		return -ERANGE;
	if (strftime(out, ESFD_TIME_LEN + 1, "%Y%m%dT%H%M%S", &tm) != ESFD_TIME_LEN)
		return -ERANGE;
	return 0;
}

bool esfd_ct_equal(const void *a, const void *b, size_t len)
{
	/* volatile: the compiler may not turn this into an early-exit memcmp. */
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

void esfd_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void esfd_put_be32(uint8_t *p, uint32_t v)
{
	esfd_put_be16(p, (uint16_t)(v >> 16));
	esfd_put_be16(p + 2, (uint16_t)v);
}

void esfd_put_be64(uint8_t *p, uint64_t v)
{
	esfd_put_be32(p, (uint32_t)(v >> 32));
	esfd_put_be32(p + 4, (uint32_t)v);
}

uint16_t esfd_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t esfd_get_be32(const uint8_t *p)
{
	return (uint32_t)esfd_get_be16(p) << 16 | esfd_get_be16(p + 2);
}

uint64_t esfd_get_be64(const uint8_t *p)
{
	return (uint64_t)esfd_get_be32(p) << 32 | esfd_get_be32(p + 4);
}

int esfd_write_all(int fd, const char *p, size_t len)
{
	ssize_t r;

	while (len) {
		r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}
