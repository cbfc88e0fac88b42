/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: ESCertKE (TS-0003 8.7), the certificate-based establishment of a
 * pairwise key: a TLS 1.2 handshake, ECDHE-ECDSA with
 * TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, run by OpenSSL's own TLS
 * through memory BIOs, its flights carried in securityInfo type 6 across
 * two NOTIFY request/response pairs (peer.c), and the RFC 5705 exporter
 * with the label "EXPORTER-oneM2M-ESCertKE": 48 bytes, the 16 most
 * significant (the first) the key id, the 32 least significant (the last)
 * the pairwise key. docs/esfd.md, "ESCertKE".
 */
#ifndef ESFD_CERTKE_H
#define ESFD_CERTKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "certs.h"

#define ESFD_CERTKE_LABEL	"EXPORTER-oneM2M-ESCertKE"
#define ESFD_CERTKE_EXPORT_LEN	48
#define ESFD_CERTKE_KID_LEN	16
#define ESFD_CERTKE_KEY_LEN	32
/* The key id as a JWE "kid": base64url of its 16 bytes. */
#define ESFD_CERTKE_KID_B64	22
/* Largest flight (TLS records) esfd sends or accepts in one eckm. */
#define ESFD_CERTKE_MSG_MAX	16384

/**
 * struct esfd_certke - one ESCertKE handshake in progress
 * @ssl: OpenSSL's TLS 1.2 state, on two memory BIOs
 * @client: we are the TLS client (the ESCertKE originator)
 * @peer_id: the oneM2M id the peer's certificate must name
 * @flights: flights received so far
 * @done: the handshake is complete and the peer verified
 * @reason: why it failed (ESFD_CERT_OK while it has not)
 * @why: the failure in words (no key material)
 */
struct esfd_certke {
	SSL *ssl;
	bool client;
	char peer_id[256];
	unsigned int flights;
	bool done;
	enum esfd_cert_reason reason;
	char why[200];
};

/**
 * esfd_certke_ctx() - the TLS context of a set of credentials
 * @c: our credentials
 *
 * TLS 1.2 only; the one suite ECDHE-ECDSA-AES128-SHA256 (the mandatory
 * TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256); group P-256; signature
 * ECDSA+SHA256; the peer must present a certificate, verified against
 * @c's roots (and CRL); no session tickets, cache, renegotiation or
 * compression: every ESCertKE is a full handshake.
 *
 * Return: the context (SSL_CTX_free()), or NULL.
 */
SSL_CTX *esfd_certke_ctx(const struct esfd_creds *c);

/**
 * esfd_certke_new() - start a handshake
 * @ctx: esfd_certke_ctx()
 * @client: TLS client (originator) or server (receiver)
 * @peer_id: the peer's oneM2M id
 * @now: the time certificates are verified at (esfd's clock)
 * @out: set to the handshake (esfd_certke_free())
 *
 * Return: 0, -ENOMEM, -EINVAL.
 */
int esfd_certke_new(SSL_CTX *ctx, bool client, const char *peer_id, int64_t now,
		    struct esfd_certke **out);

/**
 * esfd_certke_step() - take the peer's flight, give ours
 * @k: the handshake
 * @in: the peer's TLS records (NULL for the client's first flight)
 * @inlen: their length
 * @out: set to our next flight (free() it), NULL when there is none
 * @outlen: its length
 *
 * The client's flights are ClientHello, then Certificate,
 * ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished; the
 * server's ServerHello, Certificate, ServerKeyExchange,
 * CertificateRequest, ServerHelloDone, then ChangeCipherSpec, Finished.
 * The peer's certificate must verify and name @k->peer_id before our next
 * flight leaves: the client checks it before sending its second flight,
 * the server before its last.
 *
 * Return: 0 (@k->done once complete), -EKEYREJECTED (a certificate
 * refused: @k->reason), -EPROTO (any other handshake failure, or input
 * after the end), -ENOMEM.
 */
int esfd_certke_step(struct esfd_certke *k, const uint8_t *in, size_t inlen, uint8_t **out,
		     size_t *outlen);

/**
 * esfd_certke_export() - the pairwise key and its key id
 * @k: a completed handshake
 * @key: the 32 least significant bytes of the exporter output
 * @kid: the 16 most significant bytes
 *
 * Return: 0, -EINVAL (not complete), -EIO.
 */
int esfd_certke_export(struct esfd_certke *k, uint8_t key[ESFD_CERTKE_KEY_LEN],
		       uint8_t kid[ESFD_CERTKE_KID_LEN]);

/**
 * esfd_certke_free() - end a handshake
 * @k: the handshake, or NULL
 */
void esfd_certke_free(struct esfd_certke *k);

#endif /* ESFD_CERTKE_H */
