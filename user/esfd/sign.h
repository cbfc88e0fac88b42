/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: JWS ES256 signatures made with the entity's certificate key, for
 * applications that must never hold that key (the control socket's "sign"
 * command, docs/esfd.md "Signing for applications"). esfd builds the whole
 * protected header itself and signs only JWS signing inputs, so the key
 * cannot be made to sign anything else (ESCertKE's TLS handshakes sign
 * with the same key).
 */
#ifndef ESFD_SIGN_H
#define ESFD_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

struct esfd_creds;

/* Largest payload esfd signs: the request and the JWS both fit a 64 KiB
 * control message.
 */
#define ESFD_SIGN_PAYLOAD_MAX	32768
/* Longest "cty" a caller may set. */
#define ESFD_SIGN_CTY_MAX	127

/* An ES256 signature: R || S, 32 bytes each (RFC 7518 3.4). */
#define ESFD_ES256_SIG_LEN	64

/**
 * esfd_es256_raw() - ECDSA P-256 over SHA-256 of some bytes
 * @key: the private key
 * @in: the bytes
 * @len: how many
 * @sig: receives R || S
 *
 * Return: 0, -ENOKEY (no key), -EIO.
 */
int esfd_es256_raw(EVP_PKEY *key, const void *in, size_t len, uint8_t sig[ESFD_ES256_SIG_LEN]);

/**
 * esfd_jws_es256_compact() - sign an encoded header and payload: a JWS
 * @key: the private key (P-256)
 * @hb: the protected header, base64url
 * @pb: the payload, base64url
 * @out: receives "hb.pb.signature" (free()); NULL on failure
 *
 * Return: 0, -ENOMEM, or esfd_es256_raw()'s error.
 */
int esfd_jws_es256_compact(EVP_PKEY *key, const char *hb, const char *pb, char **out);

/**
 * esfd_x5c_array() - a JOSE "x5c": certificates in standard base64 DER
 * @leaf: the first certificate
 * @chain: the ones after it, or NULL
 * @out: set to the array
 *
 * Return: 0, -ENOMEM, -EIO.
 */
int esfd_x5c_array(X509 *leaf, STACK_OF(X509) *chain, json_t **out);

/**
 * esfd_es256_verify() - check an ES256 signature
 * @pub: a key holding the P-256 public key (a certificate's)
 * @in: the signed bytes
 * @len: how many
 * @sig: R || S
 *
 * Return: 0, or -EBADMSG when it does not verify.
 */
int esfd_es256_verify(EVP_PKEY *pub, const void *in, size_t len,
		      const uint8_t sig[ESFD_ES256_SIG_LEN]);

/**
 * esfd_sign_es256() - a JWS compact serialization, ES256, with "x5c"
 * @c: the credentials (private key, leaf and chain)
 * @payload: the bytes to sign
 * @len: their number, at most ESFD_SIGN_PAYLOAD_MAX
 * @cty: the "cty" header parameter, or NULL; printable ASCII, no '"' or
 *	'\\', 1 to ESFD_SIGN_CTY_MAX characters
 * @out: set to the JWS (free() it)
 *
 * The protected header is {"alg":"ES256","x5c":[leaf, intermediates...]}
 * (DER, standard base64, RFC 7515 4.1.6) with "cty" after "alg" when
 * given. The signature is R || S, 32 bytes each (RFC 7518 3.4).
 *
 * Return: 0, -EINVAL (bad @cty or an empty @payload pointer with a length),
 * -EMSGSIZE (payload too large), -ENOKEY (no private key), -ENOMEM, -EIO
 * (OpenSSL failed).
 */
int esfd_sign_es256(const struct esfd_creds *c, const void *payload, size_t len,
		    const char *cty, char **out);

#endif /* ESFD_SIGN_H */
