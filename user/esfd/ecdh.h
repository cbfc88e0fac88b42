/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: JWE key agreement with certificates, "ECDH-ES+A128KW" (RFC 7518
 * 4.6), for single messages sent without a session (docs/esfd.md,
 * "Encrypting to a certificate"). esfd does the elliptic-curve part and
 * derives the key-encryption key (KEK); the kernel does the rest in a
 * kw(aes) session: a fresh content key per message, wrapped with the KEK
 * (the JWE Encrypted Key), and AES-128-GCM under it. The application sees
 * neither key, nor esfd's private key. Part of esfd's core (host unit
 * tests): libcrypto only.
 */
#ifndef ESFD_ECDH_H
#define ESFD_ECDH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* The one algorithm pair: the KEK and the content key are both 16 bytes. */
#define ESFD_ECDH_ALG		"ECDH-ES+A128KW"
#define ESFD_ECDH_ENC		"A128GCM"
#define ESFD_ECDH_KEK_LEN	16
/* Longest "apu" / "apv" esfd takes, decoded; and the longest AlgorithmID. */
#define ESFD_ECDH_PARTY_MAX	256
#define ESFD_ECDH_ALG_ID_MAX	32
/* A P-256 public key as an uncompressed point (0x04 || x || y), and the
 * shared secret Z (the x coordinate).
 */
#define ESFD_ECDH_POINT_LEN	65
#define ESFD_ECDH_Z_LEN		32
/* "x5t#S256": base64url of a SHA-256, 43 characters. */
#define ESFD_X5T_LEN		43

/**
 * esfd_ecdh_kek() - the KEK of ECDH-ES+A128KW
 * @alg_id: the Concat KDF's AlgorithmID: ESFD_ECDH_ALG (RFC 7518 4.6.2:
 *	the "alg" value when the result wraps a key; the tests also use the
 *	"enc" value of Direct Key Agreement, RFC 7518 appendix C)
 * @priv: our side's P-256 private key (ephemeral when sending, the
 *	certificate's when receiving)
 * @pub: the other side's P-256 public key
 * @apu: the decoded "apu" header parameter, or NULL
 * @apu_len: bytes at @apu (at most ESFD_ECDH_PARTY_MAX)
 * @apv: likewise "apv"
 * @apv_len: bytes at @apv
 * @kek: receives ESFD_ECDH_KEK_LEN bytes
 *
 * Z is the x coordinate of the ECDH shared point; the KEK is the first 16
 * bytes of SHA-256(00000001 || Z || OtherInfo), the Concat KDF of NIST SP
 * 800-56A as RFC 7518 4.6.2 fixes it: OtherInfo = AlgorithmID ||
 * PartyUInfo || PartyVInfo || SuppPubInfo, the first three each a 32-bit
 * big-endian length and the bytes (@alg_id, apu, apv), the last
 * the KEK's length in bits (128) as 32 bits big-endian. OpenSSL's SSKDF
 * computes it. Z is wiped.
 *
 * Return: 0, -EINVAL (a key that is not P-256, a party value or @alg_id
 * too long), -EIO (OpenSSL failed: a point at infinity, say).
 */
int esfd_ecdh_kek(const char *alg_id, EVP_PKEY *priv, EVP_PKEY *pub, const uint8_t *apu, size_t apu_len,
		  const uint8_t *apv, size_t apv_len, uint8_t kek[ESFD_ECDH_KEK_LEN]);

/**
 * esfd_ecdh_z() - the ECDH shared secret of two P-256 keys
 * @priv: our private key
 * @pub: the other side's public key
 * @z: receives Z, the x coordinate of the shared point (wiped on failure)
 *
 * Return: 0, -EINVAL (a key that is not P-256), -EIO.
 */
int esfd_ecdh_z(EVP_PKEY *priv, EVP_PKEY *pub, uint8_t z[ESFD_ECDH_Z_LEN]);

/**
 * esfd_ecdh_point() - the public half of a P-256 key as an uncompressed point
 * @key: the key
 * @pt: receives 0x04 || x || y
 *
 * Return: 0 or -EINVAL (not a P-256 key).
 */
int esfd_ecdh_point(EVP_PKEY *key, uint8_t pt[ESFD_ECDH_POINT_LEN]);

/**
 * esfd_ecdh_point_key() - a P-256 public key from an uncompressed point
 * @pt: 0x04 || x || y
 * @out: set to the key (EVP_PKEY_free())
 *
 * OpenSSL's full public key check is made: the point must be on the curve
 * (a point off it would leak the private key a little with each message).
 *
 * Return: 0 or -EINVAL.
 */
int esfd_ecdh_point_key(const uint8_t pt[ESFD_ECDH_POINT_LEN], EVP_PKEY **out);

/**
 * esfd_ecdh_ephemeral() - a fresh P-256 key pair
 * @out: set to the key (EVP_PKEY_free(), which wipes it)
 *
 * Return: 0 or -EIO.
 */
int esfd_ecdh_ephemeral(EVP_PKEY **out);

/**
 * esfd_ecdh_epk_json() - the public half of a P-256 key as a JWK
 * @key: the key
 * @out: set to {"kty":"EC","crv":"P-256","x":...,"y":...}, coordinates in
 *	base64url, 32 bytes each (RFC 7518 6.2.1)
 *
 * Return: 0, -EINVAL (not a P-256 key), -ENOMEM.
 */
int esfd_ecdh_epk_json(EVP_PKEY *key, json_t **out);

/**
 * esfd_ecdh_epk_parse() - a P-256 public key from an "epk" JWK
 * @jwk: the object
 * @out: set to the key (EVP_PKEY_free())
 *
 * Exactly "kty" "EC", "crv" "P-256" and "x", "y" of 32 bytes each are
 * taken (other members are ignored, as RFC 7517 asks); the point must be
 * on the curve, which OpenSSL checks: a point off the curve would leak the
 * private key a little with each message (the invalid-curve attack).
 *
 * Return: 0, -EINVAL (anything else), -ENOMEM.
 */
int esfd_ecdh_epk_parse(const json_t *jwk, EVP_PKEY **out);

/**
 * esfd_x5t_s256() - a certificate's "x5t#S256" (RFC 7515 4.1.8)
 * @x: the certificate
 * @out: receives base64url(SHA-256(DER)), NUL-terminated
 *
 * Return: 0 or -EIO.
 */
int esfd_x5t_s256(X509 *x, char out[ESFD_X5T_LEN + 1]);

#endif /* ESFD_ECDH_H */
