/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: guest devices on the wire (docs/esfd.md, "Guest devices"; the
 * contribution on M2M area networks, clause 2.1). An authorization server
 * (AS) delegates to the gateway of a home area network the right to let
 * its devices into other networks; that gateway gives a device a token;
 * the device presents it to the gateway of a foreign network with a proof
 * of possession of the token's key, and is answered with that network's
 * relay group key, encrypted to the token's key. Every piece is a JWS
 * ES256 (RFC 7515 compact) or a JWE ECDH-ES/A256GCM (RFC 7516, 7518 4.6),
 * read strictly here. Pure functions, no daemon state: the unit tests and
 * the fuzzer reach them.
 */
#ifndef ESFD_GUESTTOK_H
#define ESFD_GUESTTOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "enc.h"
#include "sign.h"

#define ESFD_GUEST_VERSION	1
/* The "typ" of the three kinds of JWS. */
#define ESFD_GUEST_TYP_DLG	"esf-delegation+jwt"
#define ESFD_GUEST_TYP_DEV	"esf-guest+jwt"
#define ESFD_GUEST_TYP_RVK	"esf-revocation+jwt"
/* The "cty" of the JWE that carries the relay group key. */
#define ESFD_GUEST_KEY_CTY	"application/vnd.esfd.guest-key+json"
/* Longest token (the device token embeds the delegation), and longest
 * revocation list taken.
 */
#define ESFD_GUEST_TOKEN_MAX	12288
#define ESFD_GUEST_RVK_MAX	65536
/* Networks a delegation may name, and revoked ids a list may hold. */
#define ESFD_GUEST_AUD_MAX	16
#define ESFD_GUEST_RVK_IDS	1024
/* A "jti": 16 random bytes in base64url, 22 characters. */
#define ESFD_GUEST_JTI_LEN	16
#define ESFD_GUEST_JTI_B64	22
/* The presentation's nonce. */
#define ESFD_GUEST_NONCE_LEN	16
/* Certificates in a delegation's or a revocation list's "x5c". */
#define ESFD_GUEST_CHAIN_MAX	4
/* The relay group key: gcm(aes), 16-byte key, 16-byte tag, 4-byte salt. */
#define ESFD_GUEST_GKEY_LEN	16
#define ESFD_GUEST_SALT_LEN	4
#define ESFD_GUEST_ALG		"gcm(aes)"
#define ESFD_GUEST_TAG_LEN	16
/* The proof of possession's signed input, at most. */
#define ESFD_GUEST_POP_MAX	(16 + 3 * (2 + ESFD_ID_MAX) + 8 + ESFD_GUEST_NONCE_LEN + 32)

/**
 * struct esfd_jws - a compact JWS ES256, split and decoded
 * @hdr: the protected header (an object)
 * @payload: the payload (a JSON object)
 * @input: the JWS signing input, "header.payload" (points into the JWS)
 * @input_len: its length
 * @sig: R || S
 */
struct esfd_jws {
	json_t *hdr;
	json_t *payload;
	const char *input;
	size_t input_len;
	uint8_t sig[ESFD_ES256_SIG_LEN];
};

/**
 * esfd_jws_parse() - split a compact JWS and decode its parts
 * @jws: the serialization (must outlive @j)
 * @max: its longest accepted length
 * @typ: the "typ" its header must carry
 * @j: filled in; esfd_jws_free() it whatever the result
 *
 * The header must be exactly "alg" "ES256", "typ" @typ and, optionally,
 * "x5c" (an array of 1..ESFD_GUEST_CHAIN_MAX strings); the payload a JSON
 * object without duplicate members; the signature 64 bytes.
 *
 * Return: 0, -EPROTO.
 */
int esfd_jws_parse(const char *jws, size_t max, const char *typ, struct esfd_jws *j);

/**
 * esfd_jws_free() - release what esfd_jws_parse() took
 * @j: the JWS
 */
void esfd_jws_free(struct esfd_jws *j);

/**
 * esfd_jws_x5c() - the certificates of a JWS header's "x5c"
 * @j: the JWS
 * @leaf: set to the first (X509_free())
 * @chain: set to the others, or NULL when there are none (sk_X509_pop_free())
 *
 * Return: 0, -ENOENT (no "x5c"), -EPROTO (not DER certificates).
 */
int esfd_jws_x5c(const struct esfd_jws *j, X509 **leaf, STACK_OF(X509) **chain);

/**
 * esfd_jws_sign() - a compact JWS ES256
 * @key: the P-256 private key
 * @hdr: the protected header (serialized compact, in its order)
 * @payload: the payload (likewise)
 * @out: set to the JWS (free() it)
 *
 * Return: 0, -ENOMEM, -ENOKEY, -EIO.
 */
int esfd_jws_sign(EVP_PKEY *key, const json_t *hdr, const json_t *payload, char **out);

/**
 * enum esfd_gtok_kind - which token
 * @ESFD_GTOK_DLG: a delegation, signed by the AS ("aud" an array)
 * @ESFD_GTOK_DEV: a device token, signed by the delegated gateway ("aud" a
 *	string, "dlg" the delegation)
 */
enum esfd_gtok_kind { ESFD_GTOK_DLG, ESFD_GTOK_DEV };

/**
 * struct esfd_gtok - a token's claims
 * @kind: which token
 * @iss: the issuer's id
 * @sub: the subject's id (the gateway for a delegation, the device else)
 * @aud: the networks it names (a device token: one)
 * @n_aud: how many
 * @iat: issued at, seconds since 1970
 * @exp: expires at
 * @jti: its id, base64url of ESFD_GUEST_JTI_LEN bytes
 * @cnf: the subject's public key ("cnf" "jwk"; EVP_PKEY_free())
 * @dlg: ESFD_GTOK_DEV: the delegation, a JWS (points into the payload)
 */
struct esfd_gtok {
	enum esfd_gtok_kind kind;
	char iss[ESFD_ID_MAX + 1];
	char sub[ESFD_ID_MAX + 1];
	char aud[ESFD_GUEST_AUD_MAX][ESFD_ID_MAX + 1];
	size_t n_aud;
	int64_t iat;
	int64_t exp;
	char jti[ESFD_GUEST_JTI_B64 + 1];
	EVP_PKEY *cnf;
	const char *dlg;
};

/**
 * esfd_gtok_read() - strict reading of a token's payload
 * @payload: the JWS payload
 * @kind: which token it must be
 * @t: filled in; esfd_gtok_free() it whatever the result
 *
 * Exactly "iss", "sub" (ids), "aud" (an array of 1..ESFD_GUEST_AUD_MAX
 * ids for a delegation, one id for a device token), "iat", "exp" (0 <
 * iat < exp), "jti" (base64url, 16 bytes), "cnf" ({"jwk": a P-256 public
 * key on the curve}) and, for a device token, "dlg" (a string of at most
 * ESFD_GUEST_TOKEN_MAX characters).
 *
 * Return: 0, -EPROTO.
 */
int esfd_gtok_read(const json_t *payload, enum esfd_gtok_kind kind, struct esfd_gtok *t);

/**
 * esfd_gtok_free() - release a token's key
 * @t: the token
 */
void esfd_gtok_free(struct esfd_gtok *t);

/**
 * esfd_gtok_payload() - a token's payload
 * @t: the claims (@dlg is embedded for a device token)
 *
 * Return: the object, members in the documented order, or NULL.
 */
json_t *esfd_gtok_payload(const struct esfd_gtok *t);

/**
 * esfd_gtok_jti() - a fresh token id
 * @out: receives ESFD_GUEST_JTI_B64 characters and a NUL
 *
 * Return: 0 or -EIO.
 */
int esfd_gtok_jti(char out[ESFD_GUEST_JTI_B64 + 1]);

/**
 * struct esfd_grvk - a revocation list's claims
 * @iss: who signed it
 * @iat: when
 * @jti: the revoked token ids (delegations' and devices' alike), sorted
 * @n: how many
 */
struct esfd_grvk {
	char iss[ESFD_ID_MAX + 1];
	int64_t iat;
	char (*jti)[ESFD_GUEST_JTI_B64 + 1];
	size_t n;
};

/**
 * esfd_grvk_read() - strict reading of a revocation list's payload
 * @payload: the JWS payload
 * @r: filled in; esfd_grvk_free() it whatever the result
 *
 * Exactly "iss" (an id), "iat" (positive) and "jti" (an array of 0 to
 * ESFD_GUEST_RVK_IDS token ids).
 *
 * Return: 0, -EPROTO, -ENOMEM.
 */
int esfd_grvk_read(const json_t *payload, struct esfd_grvk *r);

/**
 * esfd_grvk_has() - is a token id in the list?
 * @r: the list
 * @jti: the id
 *
 * Return: true or false.
 */
bool esfd_grvk_has(const struct esfd_grvk *r, const char *jti);

/**
 * esfd_grvk_free() - release a list
 * @r: the list
 */
void esfd_grvk_free(struct esfd_grvk *r);

/**
 * struct esfd_gpres - a presentation ("esf:gsp")
 * @tok: the device token, a JWS (points into the Content)
 * @t: the device's clock, ms since 1970
 * @nnc: its fresh nonce
 * @sig: ES256 by the token's "cnf" key over esfd_gpres_tbs()
 */
struct esfd_gpres {
	const char *tok;
	int64_t t;
	uint8_t nnc[ESFD_GUEST_NONCE_LEN];
	uint8_t sig[ESFD_ES256_SIG_LEN];
};

/**
 * esfd_gsp_is() - is this Content a presentation?
 * @pc: a request's Content, or NULL
 *
 * Return: true for an object whose only member is "esf:gsp".
 */
bool esfd_gsp_is(const json_t *pc);

/**
 * esfd_gsp_read() - strict reading of a presentation
 * @pc: the Content
 * @p: filled in
 *
 * Exactly "v" 1, "tok" (1..ESFD_GUEST_TOKEN_MAX characters), "t"
 * (positive), "nnc" (base64url, 16 bytes) and "sig" (base64url, 64 bytes).
 *
 * Return: 0 or -EPROTO.
 */
int esfd_gsp_read(const json_t *pc, struct esfd_gpres *p);

/**
 * esfd_gsp_build() - a presentation's Content
 * @p: the presentation
 *
 * Return: {"esf:gsp":{...}}, or NULL without memory.
 */
json_t *esfd_gsp_build(const struct esfd_gpres *p);

/**
 * esfd_gpres_tbs() - what the device signs to prove it holds the key
 * @dev: the device's id (the request's "fr")
 * @gw: the gateway's id (the request's "to")
 * @net: the network it asks to enter (the token's "aud")
 * @p: the presentation (@tok, @t, @nnc)
 * @out: receives the bytes
 * @len: set to their number
 *
 * "esf-guest-v1 pop" || L(@dev) || L(@gw) || L(@net) || t (8 bytes,
 * big-endian) || nnc || SHA-256(tok), L(x) being x's length in two bytes
 * big-endian, then x.
 *
 * Return: 0 or -EINVAL (an id longer than ESFD_ID_MAX).
 */
int esfd_gpres_tbs(const char *dev, const char *gw, const char *net, const struct esfd_gpres *p,
		   uint8_t out[ESFD_GUEST_POP_MAX], size_t *len);

/**
 * struct esfd_ggrant - what a guest is given: the relay group's key
 * @net: the network
 * @grp: the relay group's id
 * @epoch: the key's epoch
 * @sender: the guest's sender id
 * @senders: the group's size
 * @key: the key (gcm(aes), ESFD_GUEST_GKEY_LEN bytes)
 * @salt: the epoch's nonce salt
 * @exp: when the admission ends, seconds since 1970
 */
struct esfd_ggrant {
	char net[ESFD_ID_MAX + 1];
	char grp[ESFD_ID_MAX + 1];
	uint32_t epoch;
	uint16_t sender;
	uint16_t senders;
	uint8_t key[ESFD_GUEST_GKEY_LEN];
	uint8_t salt[ESFD_GUEST_SALT_LEN];
	int64_t exp;
};

/**
 * esfd_ggrant_seal() - the grant as a JWE only the device can open
 * @to: the device's public key (the token's "cnf")
 * @gw: the gateway's id ("apu")
 * @nnc: the presentation's nonce ("apv")
 * @g: the grant
 * @out: set to the compact JWE (free() it)
 *
 * "alg" "ECDH-ES" (direct key agreement with a fresh ephemeral key),
 * "enc" "A256GCM": the content key is the Concat KDF of RFC 7518 4.6.2
 * over Z with AlgorithmID "A256GCM", apu, apv and 256 bits.
 *
 * Return: 0, -EINVAL, -ENOMEM, -EIO.
 */
int esfd_ggrant_seal(EVP_PKEY *to, const char *gw, const uint8_t nnc[ESFD_GUEST_NONCE_LEN],
		     const struct esfd_ggrant *g, char **out);

/**
 * esfd_ggrant_open() - open a grant with the device's private key
 * @key: the device's key
 * @jwe: the JWE
 * @gw: the gateway it must come from ("apu")
 * @nnc: the nonce of our presentation ("apv")
 * @g: filled in; wiped on failure
 *
 * Return: 0; -EPROTO malformed; -EOPNOTSUPP not ECDH-ES/A256GCM with its
 * cty; -EKEYREJECTED another gateway or nonce; -EBADMSG does not open.
 */
int esfd_ggrant_open(EVP_PKEY *key, const char *jwe, const char *gw,
		     const uint8_t nnc[ESFD_GUEST_NONCE_LEN], struct esfd_ggrant *g);

/**
 * esfd_gsa_is() - is this Content an answer to a presentation?
 * @pc: a response's Content, or NULL
 *
 * Return: true for an object whose only member is "esf:gsa".
 */
bool esfd_gsa_is(const json_t *pc);

/**
 * struct esfd_gans - an answer to a presentation ("esf:gsa")
 * @jwe: the grant (points into the Content)
 * @signed_: the gateway signed it ("x5c" and "sig" present)
 * @leaf: @signed_: the gateway's certificate (X509_free())
 * @chain: @signed_: the intermediates after it, or NULL (sk_X509_pop_free())
 * @sig: @signed_: ES256 by the gateway's certificate key over
 *	esfd_gans_tbs()
 */
struct esfd_gans {
	const char *jwe;
	bool signed_;
	X509 *leaf;
	STACK_OF(X509) *chain;
	uint8_t sig[ESFD_ES256_SIG_LEN];
};

/**
 * esfd_gsa_read() - strict reading of an answer
 * @pc: the Content
 * @a: filled in; esfd_gans_free() it whatever the result
 *
 * Exactly "v" 1 and "key" (a string of 1..4096 characters), and either
 * both or neither of "x5c" (1..ESFD_GUEST_CHAIN_MAX certificates, DER in
 * standard base64) and "sig" (base64url, 64 bytes).
 *
 * Return: 0 or -EPROTO.
 */
int esfd_gsa_read(const json_t *pc, struct esfd_gans *a);

/**
 * esfd_gans_free() - release what esfd_gsa_read() took
 * @a: the answer
 */
void esfd_gans_free(struct esfd_gans *a);

/**
 * esfd_gans_tbs() - what a gateway signs in its answer
 * @gw: the gateway's id (the response's "fr")
 * @dev: the device's id
 * @nnc: the presentation's nonce
 * @jwe: the grant
 * @out: receives the bytes
 * @len: set to their number
 *
 * "esf-guest-v1 grant" || L(@gw) || L(@dev) || nnc || SHA-256(@jwe).
 *
 * Return: 0 or -EINVAL (an id longer than ESFD_ID_MAX).
 */
int esfd_gans_tbs(const char *gw, const char *dev, const uint8_t nnc[ESFD_GUEST_NONCE_LEN],
		  const char *jwe, uint8_t out[ESFD_GUEST_POP_MAX], size_t *len);

/**
 * esfd_gsa_build() - an answer's Content
 * @jwe: the grant (esfd_ggrant_seal())
 * @x5c: the gateway's chain (esfd_x5c_array(), consumed), or NULL: unsigned
 * @sig: with @x5c, the signature over esfd_gans_tbs()
 *
 * Return: {"esf:gsa":{"v":1,"key":JWE[,"x5c":[...],"sig":SIG]}}, or NULL.
 */
json_t *esfd_gsa_build(const char *jwe, json_t *x5c, const uint8_t *sig);

/**
 * esfd_ggrant_wipe() - erase a grant
 * @g: the grant
 */
void esfd_ggrant_wipe(struct esfd_ggrant *g);

#endif /* ESFD_GUESTTOK_H */
