/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: HMAC over the kernel crypto API (AF_ALG, through libkcapi) or,
 * where the kernel offers no AF_ALG hash interface, OpenSSL 3. Every key
 * derivation of the daemon is built on esfd_hmac(), so the backend choice
 * is made here once (see docs/key-derivation.md).
 */
#ifndef ESFD_HMAC_H
#define ESFD_HMAC_H

#include <stddef.h>
#include <stdint.h>

/* Largest digest of the supported hashes (SHA-512). */
#define ESFD_HASH_MAX		64
/* Shortest HMAC tag esfd_hmac_verify() accepts (as the kernel's MIC does). */
#define ESFD_TAG_MIN		16

/**
 * enum esfd_hash - hash functions for HMAC and HKDF
 * @ESFD_SHA256: SHA-256
 * @ESFD_SHA384: SHA-384
 * @ESFD_SHA512: SHA-512
 */
enum esfd_hash {
	ESFD_SHA256 = 1,
	ESFD_SHA384 = 2,
	ESFD_SHA512 = 3,
};

/**
 * enum esfd_crypto_backend - who computes HMAC
 * @ESFD_BACKEND_AUTO: the kernel if its AF_ALG hash interface serves
 *	hmac(sha256), hmac(sha384) and hmac(sha512), else OpenSSL
 * @ESFD_BACKEND_KCAPI: the kernel crypto API through libkcapi
 * @ESFD_BACKEND_OPENSSL: OpenSSL 3 EVP_MAC
 */
enum esfd_crypto_backend {
	ESFD_BACKEND_AUTO = 0,
	ESFD_BACKEND_KCAPI = 1,
	ESFD_BACKEND_OPENSSL = 2,
};

/**
 * struct esfd_buf - one piece of an HMAC input
 * @p: bytes (may be NULL when @len is 0)
 * @len: number of bytes
 *
 * Inputs are passed as a list of pieces so that derivations never copy
 * secret material (an HKDF block, a key) into a temporary buffer.
 */
struct esfd_buf {
	const void *p;
	size_t len;
};

/**
 * esfd_hash_len() - digest size of a hash
 * @h: the hash
 *
 * Return: the size in bytes, or 0 for an unknown @h.
 */
size_t esfd_hash_len(enum esfd_hash h);

/**
 * esfd_crypto_select() - choose the HMAC backend for the whole process
 * @b: the backend; ESFD_BACKEND_AUTO probes the kernel
 *
 * May be called again to switch. Without a call, the first HMAC selects
 * ESFD_BACKEND_AUTO.
 *
 * Return: 0, -EAFNOSUPPORT when @b is ESFD_BACKEND_KCAPI and the kernel's
 * AF_ALG hash interface cannot serve all three HMACs (the selection is then
 * left unchanged), -EINVAL for an unknown @b.
 */
int esfd_crypto_select(enum esfd_crypto_backend b);

/**
 * esfd_crypto_backend() - the backend in use
 *
 * Resolves ESFD_BACKEND_AUTO if nothing was selected yet.
 *
 * Return: ESFD_BACKEND_KCAPI or ESFD_BACKEND_OPENSSL.
 */
enum esfd_crypto_backend esfd_crypto_backend(void);

/**
 * esfd_crypto_backend_name() - printable name of a backend
 * @b: the backend
 *
 * Return: "auto", "kcapi", "openssl" or "unknown".
 */
const char *esfd_crypto_backend_name(enum esfd_crypto_backend b);

/**
 * esfd_hmac() - HMAC over a list of pieces
 * @h: the hash
 * @key: the HMAC key (may be NULL when @keylen is 0)
 * @keylen: its length; any length, as RFC 2104 allows
 * @msg: the pieces of the message, hashed in order
 * @nmsg: number of pieces
 * @out: the full digest, esfd_hash_len(@h) bytes
 *
 * Return: 0; -EINVAL for an unknown hash; a negative errno from the backend
 * (then @out is zero-filled).
 */
int esfd_hmac(enum esfd_hash h, const uint8_t *key, size_t keylen,
	      const struct esfd_buf *msg, size_t nmsg, uint8_t *out);

/**
 * esfd_hmac_verify() - check a possibly truncated HMAC tag in constant time
 * @h: the hash
 * @key: the HMAC key
 * @keylen: its length
 * @msg: the pieces of the message
 * @nmsg: number of pieces
 * @tag: the tag to check: the leftmost @taglen bytes of the HMAC
 * @taglen: ESFD_TAG_MIN .. esfd_hash_len(@h)
 *
 * Return: 0 when the tag matches, -EBADMSG when it does not, -EINVAL for a
 * tag length out of range, or the error of esfd_hmac().
 */
int esfd_hmac_verify(enum esfd_hash h, const uint8_t *key, size_t keylen,
		     const struct esfd_buf *msg, size_t nmsg,
		     const uint8_t *tag, size_t taglen);

/**
 * esfd_hmac_label() - a key bound to one purpose and one id
 * @key: the key derived from, 32 bytes
 * @label: the purpose, a NUL-terminated string
 * @id: the id bound, NUL-terminated, a well-formed id (esfd_id_check())
 * @out: HMAC-SHA-256(@key, @label || 0x00 || @id)
 *
 * Return: 0; -EINVAL for an ill-formed @id; or the error of esfd_hmac().
 */
int esfd_hmac_label(const uint8_t key[32], const char *label, const char *id,
		    uint8_t out[32]);

#endif /* ESFD_HMAC_H */
