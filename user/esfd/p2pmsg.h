/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: the two messages of peer-to-peer agreement between entities that
 * have never met (docs/esfd.md, "Peer-to-peer agreement"), what each side
 * signs, and the keys both derive. Pure functions: no daemon state, so the
 * unit tests and the fuzzer reach them.
 */
#ifndef ESFD_P2PMSG_H
#define ESFD_P2PMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "ecdh.h"
#include "sign.h"

#define ESFD_P2P_VERSION	1
#define ESFD_P2P_NONCE_LEN	16
#define ESFD_P2P_DIGEST_LEN	32
#define ESFD_P2P_KEY_LEN	32
#define ESFD_P2P_KID_LEN	16
/* Certificates in an "x5c": the leaf and at most three intermediates. */
#define ESFD_P2P_CHAIN_MAX	4
/* Largest certificate taken, DER. */
#define ESFD_P2P_CERT_MAX	4096
/* Longest signed input: label, two ids with their lengths, the fields. */
#define ESFD_P2P_TBS_MAX	(16 + 2 * (2 + 255) + 1 + 8 + ESFD_P2P_NONCE_LEN + \
				 ESFD_ECDH_POINT_LEN + 2 * ESFD_P2P_DIGEST_LEN)

/**
 * enum esfd_p2p_kind - the two messages, by their Content member name
 * @ESFD_P2P_NONE: neither
 * @ESFD_P2P_REQ: "esf:p2q", the initiator's request
 * @ESFD_P2P_RSP: "esf:p2r", the responder's answer (in a 2000 response)
 */
enum esfd_p2p_kind { ESFD_P2P_NONE, ESFD_P2P_REQ, ESFD_P2P_RSP };

/**
 * struct esfd_p2pmsg - one message, decoded
 * @kind: which
 * @cls: REQ: the target data class of the pair asked for (1..3)
 * @t: the sender's clock when it made the message, ms since the epoch
 * @nnc: the sender's fresh nonce
 * @epk: the sender's ephemeral P-256 public key, uncompressed
 * @full: "x5c" was sent (else "x5t#S256")
 * @leaf: @full: the sender's certificate (owned: esfd_p2p_msg_free())
 * @chain: @full: the intermediates after it, or NULL (owned)
 * @digest: SHA-256 of the sender's certificate (DER): computed from "x5c",
 *	or the "x5t#S256" sent
 * @has_pkd: REQ: "pkd" was sent
 * @pkd: REQ: the digest of the responder's certificate the initiator holds
 *	(the responder then sends only its digest)
 * @sig: ES256 over the message's signed input (esfd_p2p_req_tbs(),
 *	esfd_p2p_rsp_tbs())
 */
struct esfd_p2pmsg {
	enum esfd_p2p_kind kind;
	uint8_t cls;
	int64_t t;
	uint8_t nnc[ESFD_P2P_NONCE_LEN];
	uint8_t epk[ESFD_ECDH_POINT_LEN];
	bool full;
	X509 *leaf;
	STACK_OF(X509) *chain;
	uint8_t digest[ESFD_P2P_DIGEST_LEN];
	bool has_pkd;
	uint8_t pkd[ESFD_P2P_DIGEST_LEN];
	uint8_t sig[ESFD_ES256_SIG_LEN];
};

/**
 * esfd_p2p_kind_of() - is this Content one of the two messages?
 * @pc: a request's or response's Content, or NULL
 *
 * Return: its kind: an object whose only member is "esf:p2q" or "esf:p2r".
 */
enum esfd_p2p_kind esfd_p2p_kind_of(const json_t *pc);

/**
 * esfd_p2p_read() - strict reading of a message
 * @pc: the Content
 * @want: the kind expected
 * @m: filled in; esfd_p2p_msg_free() it whatever the result
 *
 * Exactly the members of the kind: "v" 1, "cls" (REQ, 1..3), "t" (a
 * positive integer), "nnc" (base64url, 16 bytes), "epk" (base64url of an
 * uncompressed point, 65 bytes, not checked against the curve here), one
 * of "x5c" (1..ESFD_P2P_CHAIN_MAX certificates in standard base64 DER, each
 * at most ESFD_P2P_CERT_MAX bytes, that OpenSSL parses) and "x5t#S256"
 * (base64url, 32 bytes), "pkd" (REQ, optional, base64url, 32 bytes) and
 * "sig" (base64url, 64 bytes).
 *
 * Return: 0, or -EPROTO.
 */
int esfd_p2p_read(const json_t *pc, enum esfd_p2p_kind want, struct esfd_p2pmsg *m);

/**
 * esfd_p2p_msg_free() - release what esfd_p2p_read() took
 * @m: the message
 */
void esfd_p2p_msg_free(struct esfd_p2pmsg *m);

/**
 * esfd_p2p_build() - a message's Content
 * @m: the message: @kind, @cls, @t, @nnc, @epk, @full, @digest, @has_pkd,
 *	@pkd and @sig are read
 * @cert: @m->full: the sender's certificate
 * @chain: @m->full: its intermediates, or NULL
 * @out: set to {"esf:p2q": {...}} or {"esf:p2r": {...}}
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
int esfd_p2p_build(const struct esfd_p2pmsg *m, X509 *cert, STACK_OF(X509) *chain,
		   json_t **out);

/**
 * esfd_p2p_req_tbs() - what the initiator signs
 * @from: the initiator's id
 * @to: the responder's id
 * @m: the request (@cls, @t, @nnc, @epk, @digest)
 * @out: receives the bytes, at most ESFD_P2P_TBS_MAX
 * @len: set to their number
 *
 * "esf-p2p-v1 req" || L(@from) || L(@to) || cls (1 byte) || t (8 bytes,
 * big-endian) || nnc || epk || digest, where L(x) is x's length in two
 * bytes, big-endian, then x.
 *
 * Return: 0 or -EINVAL (an id longer than 255 bytes).
 */
int esfd_p2p_req_tbs(const char *from, const char *to, const struct esfd_p2pmsg *m,
		     uint8_t out[ESFD_P2P_TBS_MAX], size_t *len);

/**
 * esfd_p2p_rsp_tbs() - what the responder signs
 * @req_hash: SHA-256 of the request's signed input (esfd_p2p_req_tbs())
 * @from: the responder's id
 * @m: the response (@t, @nnc, @epk, @digest)
 * @out: receives the bytes
 * @len: set to their number
 *
 * "esf-p2p-v1 rsp" || req_hash || L(@from) || t || nnc || epk || digest.
 *
 * Return: 0 or -EINVAL.
 */
int esfd_p2p_rsp_tbs(const uint8_t req_hash[ESFD_P2P_DIGEST_LEN], const char *from,
		     const struct esfd_p2pmsg *m, uint8_t out[ESFD_P2P_TBS_MAX], size_t *len);

/**
 * esfd_p2p_keys() - the pairwise key and its id, both sides alike
 * @z: the ECDH shared secret of the two ephemeral keys (esfd_ecdh_z())
 * @nnc_i: the request's nonce
 * @nnc_r: the response's nonce
 * @req_hash: SHA-256 of the request's signed input
 * @rsp_hash: SHA-256 of the response's signed input
 * @key: receives the pairwise key
 * @kid: receives its key id
 *
 * OKM = HKDF-SHA-256(salt = nnc_i || nnc_r, IKM = Z, info = "esf-p2p-v1
 * key" || req_hash || rsp_hash, L = 48); @key is its first 32 bytes,
 * @kid the last 16.
 *
 * Return: 0 or a negative errno.
 */
int esfd_p2p_keys(const uint8_t z[ESFD_ECDH_Z_LEN], const uint8_t nnc_i[ESFD_P2P_NONCE_LEN],
		  const uint8_t nnc_r[ESFD_P2P_NONCE_LEN],
		  const uint8_t req_hash[ESFD_P2P_DIGEST_LEN],
		  const uint8_t rsp_hash[ESFD_P2P_DIGEST_LEN], uint8_t key[ESFD_P2P_KEY_LEN],
		  uint8_t kid[ESFD_P2P_KID_LEN]);

/**
 * esfd_p2p_cert_digest() - SHA-256 of a certificate's DER
 * @x: the certificate
 * @out: receives the digest
 *
 * Return: 0 or -EIO.
 */
int esfd_p2p_cert_digest(X509 *x, uint8_t out[ESFD_P2P_DIGEST_LEN]);

#endif /* ESFD_P2PMSG_H */
