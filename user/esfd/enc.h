/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: byte encodings shared by the key derivation, rand object, message
 * and configuration code: hex, base64, oneM2M identifiers and oneM2M
 * timestamps. All decoders are strict (one accepted spelling per value) so
 * that a value that is authenticated or hashed has exactly one encoding.
 */
#ifndef ESFD_ENC_H
#define ESFD_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest oneM2M identifier (CSE-ID, AE-ID) esfd accepts, in bytes. */
#define ESFD_ID_MAX		255
/* Length of a oneM2M basic-format timestamp "YYYYMMDDTHHMMSS". */
#define ESFD_TIME_LEN		15

/**
 * esfd_hex_decode() - decode lower- or upper-case hex
 * @hex: input characters (need not be NUL-terminated)
 * @hexlen: number of characters; must be even
 * @out: output buffer
 * @outmax: size of @out
 * @outlen: set to the number of bytes written
 *
 * On failure @out is wiped, because callers decode key material with it.
 *
 * Return: 0, -EINVAL for an odd length or a non-hex character, -ENOSPC when
 * the result does not fit in @outmax bytes.
 */
int esfd_hex_decode(const char *hex, size_t hexlen, uint8_t *out,
		    size_t outmax, size_t *outlen);

/**
 * esfd_hex_encode() - encode bytes as lower-case hex
 * @in: input bytes
 * @len: number of bytes
 * @out: output, at least 2 * @len + 1 bytes; NUL-terminated
 */
void esfd_hex_encode(const uint8_t *in, size_t len, char *out);

/**
 * esfd_b64_len() - length of the base64 encoding of @len bytes
 * @len: input length
 * @url: true for base64url without padding (RFC 4648 section 5), false for
 *	standard base64 with padding (section 4, XML Schema base64Binary)
 *
 * Return: the number of characters, not counting a terminating NUL.
 */
size_t esfd_b64_len(size_t len, bool url);

/**
 * esfd_b64_encode() - base64-encode bytes
 * @in: input bytes
 * @len: number of bytes
 * @url: alphabet and padding, see esfd_b64_len()
 * @out: output buffer, NUL-terminated on success
 * @outsz: size of @out; at least esfd_b64_len(@len, @url) + 1
 *
 * Return: 0, or -ENOSPC when @out is too small.
 */
int esfd_b64_encode(const uint8_t *in, size_t len, bool url, char *out,
		    size_t outsz);

/**
 * esfd_b64_alloc() - base64-encode bytes into a new string
 * @in: input bytes
 * @len: number of bytes
 * @url: alphabet and padding, see esfd_b64_len()
 *
 * Return: the NUL-terminated encoding (free() it), or NULL without memory.
 */
char *esfd_b64_alloc(const uint8_t *in, size_t len, bool url);

/**
 * esfd_b64_decode() - decode canonical base64
 * @in: input characters (need not be NUL-terminated)
 * @inlen: number of characters
 * @url: alphabet and padding, see esfd_b64_len()
 * @out: output buffer
 * @outmax: size of @out
 * @outlen: set to the number of bytes written
 *
 * Only the canonical encoding is accepted: no whitespace, padding exactly
 * where required (standard) or absent (url), and unused trailing bits zero,
 * so that every byte string has exactly one accepted encoding.
 *
 * Return: 0, -EINVAL for a non-canonical or malformed input, -ENOSPC when
 * the result does not fit.
 */
int esfd_b64_decode(const char *in, size_t inlen, bool url, uint8_t *out,
		    size_t outmax, size_t *outlen);

/**
 * esfd_id_check() - check a oneM2M identifier for use in key derivation
 * @id: the identifier (need not be NUL-terminated)
 * @len: its length in bytes
 *
 * oneM2M hashes identifiers as UTF-8 in Unicode Normalization Form KC. esfd
 * accepts printable ASCII only (0x21..0x7e): every ASCII string is already
 * in NFKC and its UTF-8 encoding is the string itself, so an accepted id is
 * hashed exactly as the specification requires. Non-ASCII identifiers are
 * refused rather than hashed unnormalised (see docs/key-derivation.md).
 *
 * Return: 0, -EINVAL for an empty or too long id or one with a space or a
 * control character, -EILSEQ for a byte outside ASCII.
 */
int esfd_id_check(const char *id, size_t len);

/**
 * esfd_time_parse() - parse a oneM2M timestamp
 * @s: "YYYYMMDDTHHMMSS" (ISO 8601 basic format, UTC, seconds), exactly
 *	ESFD_TIME_LEN characters (need not be NUL-terminated)
 * @len: length of @s
 * @t: set to the time in seconds since the Unix epoch
 *
 * Return: 0, or -EINVAL for any other length, syntax or an impossible date
 * or time (month 13, February 30, hour 24, leap seconds).
 */
int esfd_time_parse(const char *s, size_t len, int64_t *t);

/**
 * esfd_time_format() - format a oneM2M timestamp
 * @t: seconds since the Unix epoch, 0 .. 253402300799 (year 9999)
 * @out: output, ESFD_TIME_LEN + 1 bytes, NUL-terminated
 *
 * Return: 0, or -ERANGE when @t is outside the representable years.
 */
int esfd_time_format(int64_t t, char out[ESFD_TIME_LEN + 1]);

/**
 * esfd_ct_equal() - compare two buffers in time independent of the contents
 * @a: first buffer
 * @b: second buffer
 * @len: bytes to compare
 *
 * Return: true when equal.
 */
bool esfd_ct_equal(const void *a, const void *b, size_t len);

/**
 * esfd_put_be16() - store a 16-bit big-endian integer
 * @p: destination, 2 bytes
 * @v: value
 */
void esfd_put_be16(uint8_t *p, uint16_t v);

/**
 * esfd_put_be32() - store a 32-bit big-endian integer
 * @p: destination, 4 bytes
 * @v: value
 */
void esfd_put_be32(uint8_t *p, uint32_t v);

/**
 * esfd_put_be64() - store a 64-bit big-endian integer
 * @p: destination, 8 bytes
 * @v: value
 */
void esfd_put_be64(uint8_t *p, uint64_t v);

/**
 * esfd_get_be16() - load a 16-bit big-endian integer
 * @p: source, 2 bytes
 *
 * Return: the value.
 */
uint16_t esfd_get_be16(const uint8_t *p);

/**
 * esfd_get_be32() - load a 32-bit big-endian integer
 * @p: source, 4 bytes
 *
 * Return: the value.
 */
uint32_t esfd_get_be32(const uint8_t *p);

/**
 * esfd_get_be64() - load a 64-bit big-endian integer
 * @p: source, 8 bytes
 *
 * Return: the value.
 */
uint64_t esfd_get_be64(const uint8_t *p);

/**
 * esfd_write_all() - write all of @len bytes, across short writes and EINTR
 * @fd: the file descriptor (the store files of the facilitator and of data
 *	at rest, written whole before they are synced and renamed)
 * @p: the bytes
 * @len: how many
 *
 * Return: 0, or a negative errno (-EIO for a write that wrote nothing).
 */
int esfd_write_all(int fd, const char *p, size_t len);

#endif /* ESFD_ENC_H */
