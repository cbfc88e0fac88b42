/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd's own JWEs (RFC 7516 compact serialization, "alg":"dir",
 * "enc":"A256GCM"): the key-confirmation ESPrim Objects of an
 * establishment (keys.c) and the wrapped group keys (gkey.c). They are
 * sealed here with OpenSSL, never through the kernel: they are esfd's
 * messages, which no application session may open nor spend nonces on.
 * The AAD is the protected header's base64url text, as RFC 7516 5.1 has it.
 */
#ifndef ESFD_JWE_H
#define ESFD_JWE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Largest plaintext and header esfd seals or opens in one of its JWEs. */
#define ESFD_JWE_PT_MAX		1024
#define ESFD_JWE_HDR_MAX	4096

/**
 * esfd_jwe_seal() - seal a plaintext under a 256-bit key
 * @key: the content encryption key (dir)
 * @hdr: the protected header; must hold "alg":"dir" and "enc":"A256GCM"
 *	(not checked: the caller builds it), serialized compact, in order
 * @pt: the plaintext
 * @len: its length, 1..ESFD_JWE_PT_MAX
 * @out: set to the compact serialization (free() it)
 *
 * The IV is 12 fresh random bytes.
 *
 * Return: 0, -EINVAL (length), -ENOMEM, -EIO (no randomness, cipher error).
 */
int esfd_jwe_seal(const uint8_t key[32], const json_t *hdr, const void *pt, size_t len,
		  char **out);

/**
 * struct esfd_jwe - a compact JWE split into its parts
 * @hdr: the protected header (not authenticated until esfd_jwe_open())
 * @parts: the five parts, pointing into the serialization
 * @lens: their lengths
 */
struct esfd_jwe {
	json_t *hdr;
	const char *parts[5];
	size_t lens[5];
};

/**
 * esfd_jwe_parse() - split a compact JWE and read its header
 * @jwe: the serialization, NUL-terminated (must outlive @p)
 * @cty: the "cty" the header must carry
 * @p: filled in; esfd_jwe_free() it, also after a failure
 *
 * Return: 0, -EPROTO (not a compact JWE with an empty encrypted key and a
 * JSON object header without duplicates), -EOPNOTSUPP (not "alg" dir,
 * "enc" A256GCM and @cty).
 */
int esfd_jwe_parse(const char *jwe, const char *cty, struct esfd_jwe *p);

/**
 * esfd_jwe_hdr() - a string member of the header
 * @p: a parsed JWE
 * @k: the member
 *
 * Return: its value, or "" when missing or not a string.
 */
const char *esfd_jwe_hdr(const struct esfd_jwe *p, const char *k);

/**
 * esfd_jwe_open() - check the tag and decrypt
 * @p: a parsed JWE
 * @key: the key
 * @pt: receives the plaintext (wiped on failure)
 * @max: its size
 * @len: set to the plaintext's length
 *
 * Return: 0, -EPROTO (malformed parts, an empty or too long ciphertext),
 * -EBADMSG (the tag does not verify under @key).
 */
int esfd_jwe_open(const struct esfd_jwe *p, const uint8_t key[32], uint8_t *pt, size_t max,
		  size_t *len);

/**
 * esfd_aes256gcm() - AES-256-GCM with a 12-byte IV and a 16-byte tag
 * @enc: encrypt (else decrypt)
 * @key: the key
 * @iv: the IV
 * @aad: the additional authenticated data
 * @aadlen: its length
 * @in: the input
 * @len: its length (0 for a tag over @aad alone)
 * @out: @len bytes of output (may be @in); wiped when decryption fails
 * @tag: encrypt: receives the tag; decrypt: the tag to verify
 *
 * Return: 0, -ENOMEM, -EIO (encryption), -EBADMSG (the tag does not verify).
 */
int esfd_aes256gcm(bool enc, const uint8_t key[32], const uint8_t *iv, const uint8_t *aad,
		   size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag);

/**
 * esfd_jwe_free() - release the parsed header
 * @p: a parsed JWE
 */
void esfd_jwe_free(struct esfd_jwe *p);

#endif /* ESFD_JWE_H */
