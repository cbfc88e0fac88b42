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

struct esfd_creds;

/* Largest payload esfd signs: the request and the JWS both fit a 64 KiB
 * control message.
 */
#define ESFD_SIGN_PAYLOAD_MAX	32768
/* Longest "cty" a caller may set. */
#define ESFD_SIGN_CTY_MAX	127

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
