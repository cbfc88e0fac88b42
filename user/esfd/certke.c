// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: ESCertKE's TLS 1.2 handshake (certke.h). No TLS is written here:
 * OpenSSL runs the handshake on two memory BIOs, and this file moves
 * whole flights in and out of them, checks the peer's oneM2M id in its
 * certificate, and reads the RFC 5705 exporter.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "certke.h"

SSL_CTX *esfd_certke_ctx(const struct esfd_creds *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	bool ok = ctx;
	int i;

	ok = ok && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) &&
	     SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) &&
	     SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-SHA256") &&
	     SSL_CTX_set1_groups_list(ctx, "P-256") &&
	     SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256") &&
	     SSL_CTX_use_certificate(ctx, c->cert) == 1 &&
	     SSL_CTX_use_PrivateKey(ctx, c->key) == 1 &&
	     SSL_CTX_set1_verify_cert_store(ctx, c->store);
	for (i = 0; ok && i < sk_X509_num(c->chain); i++)
		ok = SSL_CTX_add1_chain_cert(ctx, sk_X509_value(c->chain, i));
	if (ok && c->crl)
		ok = X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK);
	if (!ok) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

int esfd_certke_new(SSL_CTX *ctx, bool client, const char *peer_id, int64_t now,
		    struct esfd_certke **out)
{
	struct esfd_certke *k;
	BIO *r, *w;

	*out = NULL;
	if (!ctx || strlen(peer_id) >= sizeof(k->peer_id))
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->ssl = SSL_new(ctx);
	r = BIO_new(BIO_s_mem());
	w = BIO_new(BIO_s_mem());
	if (!k->ssl || !r || !w) {
		BIO_free(r);
		BIO_free(w);
		esfd_certke_free(k);
		ERR_clear_error();
		return -ENOMEM;
	}
	SSL_set_bio(k->ssl, r, w);
	X509_VERIFY_PARAM_set_time(SSL_get0_param(k->ssl), (time_t)now);
	k->client = client;
	snprintf(k->peer_id, sizeof(k->peer_id), "%s", peer_id);
	if (client)
		SSL_set_connect_state(k->ssl);
	else
		SSL_set_accept_state(k->ssl);
	*out = k;
	return 0;
}

static int failed(struct esfd_certke *k, enum esfd_cert_reason r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failed(struct esfd_certke *k, enum esfd_cert_reason r, const char *fmt, ...)
{
	va_list ap;

	k->reason = r;
	va_start(ap, fmt);
	vsnprintf(k->why, sizeof(k->why), fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return r == ESFD_CERT_HANDSHAKE ? -EPROTO : -EKEYREJECTED;
}

/* Does the peer's certificate name its id? Once it is there. */
static int check_peer(struct esfd_certke *k)
{
	X509 *x = SSL_get0_peer_certificate(k->ssl);

	if (!x)
		return 0;
	if (SSL_get_verify_result(k->ssl) != X509_V_OK)
		return failed(k, esfd_cert_reason_of(SSL_get_verify_result(k->ssl)),
			      "the peer's certificate: %s",
			      X509_verify_cert_error_string(SSL_get_verify_result(k->ssl)));
	if (!esfd_cert_names_id(x, k->peer_id))
		return failed(k, ESFD_CERT_WRONG_ID, "the peer's certificate does not name "
			      "%.100s", k->peer_id);
	return 0;
}

/* What OpenSSL wrote: our next flight. */
static int take_output(struct esfd_certke *k, uint8_t **out, size_t *outlen)
{
	BIO *w = SSL_get_wbio(k->ssl);
	size_t n = (size_t)BIO_ctrl_pending(w);

	*out = NULL;
	*outlen = 0;
	if (!n)
		return 0;
	if (n > ESFD_CERTKE_MSG_MAX)
		return failed(k, ESFD_CERT_HANDSHAKE, "our flight is larger than %d bytes "
			      "(a certificate chain too long?)", ESFD_CERTKE_MSG_MAX);
	*out = malloc(n);
	if (!*out)
		return -ENOMEM;
	if (BIO_read(w, *out, (int)n) != (int)n) {
		free(*out);
		*out = NULL;
		return failed(k, ESFD_CERT_HANDSHAKE, "memory BIO read failed");
	}
	*outlen = n;
	return 0;
}

int esfd_certke_step(struct esfd_certke *k, const uint8_t *in, size_t inlen, uint8_t **out,
		     size_t *outlen)
{
	long verr;
	int rc, err;

	*out = NULL;
	*outlen = 0;
	if (k->done || k->reason != ESFD_CERT_OK)
		return failed(k, ESFD_CERT_HANDSHAKE, "a message after the end of the handshake");
	if (in) {
		if (!inlen || inlen > ESFD_CERTKE_MSG_MAX)
			return failed(k, ESFD_CERT_HANDSHAKE, "a flight of %zu bytes", inlen);
		if (BIO_write(SSL_get_rbio(k->ssl), in, (int)inlen) != (int)inlen)
			return -ENOMEM;
		k->flights++;
	} else if (!k->client || k->flights) {
		return failed(k, ESFD_CERT_HANDSHAKE, "no flight from the peer");
	}
	rc = SSL_do_handshake(k->ssl);
	if (rc == 1) {
		err = check_peer(k);
		if (err)
			return err;
		if (BIO_ctrl_pending(SSL_get_rbio(k->ssl)))
			return failed(k, ESFD_CERT_HANDSHAKE, "data after the peer's Finished");
		k->done = true;
		/* The server's last flight (ChangeCipherSpec, Finished). */
		return take_output(k, out, outlen);
	}
	switch (SSL_get_error(k->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		/* The peer's flight is used up, ours is written: the client
		 * has just read the server's certificate, which must be the
		 * peer's before the client's certificate and key exchange go.
		 */
		if (BIO_ctrl_pending(SSL_get_rbio(k->ssl)))
			return failed(k, ESFD_CERT_HANDSHAKE, "a truncated flight");
		err = check_peer(k);
		if (err)
			return err;
		err = take_output(k, out, outlen);
		if (!err && !*out)
			return failed(k, ESFD_CERT_HANDSHAKE, "a truncated flight from the peer");
		return err;
	default:
		/* The peer's certificate may be gone by now (OpenSSL does not
		 * keep one that failed); the verification result stays.
		 */
		verr = SSL_get_verify_result(k->ssl);
		if (verr != X509_V_OK)
			return failed(k, esfd_cert_reason_of(verr), "the peer's certificate: %s",
				      X509_verify_cert_error_string(verr));
		return failed(k, ESFD_CERT_HANDSHAKE, "TLS handshake: %s",
			      ERR_peek_last_error() ?
			      ERR_reason_error_string(ERR_peek_last_error()) : "failed");
	}
}

int esfd_certke_export(struct esfd_certke *k, uint8_t key[ESFD_CERTKE_KEY_LEN],
		       uint8_t kid[ESFD_CERTKE_KID_LEN])
{
	static const char label[] = ESFD_CERTKE_LABEL;
	uint8_t ekm[ESFD_CERTKE_EXPORT_LEN];

	if (!k->done)
		return -EINVAL;
	if (SSL_export_keying_material(k->ssl, ekm, sizeof(ekm), label, sizeof(label) - 1,
				       NULL, 0, 0) != 1) {
		ERR_clear_error();
		explicit_bzero(ekm, sizeof(ekm));
		return -EIO;
	}
	/* Read as one 384-bit big-endian number: the most significant bytes
	 * come first.
	 */
	memcpy(kid, ekm, ESFD_CERTKE_KID_LEN);
	memcpy(key, ekm + ESFD_CERTKE_KID_LEN, ESFD_CERTKE_KEY_LEN);
	explicit_bzero(ekm, sizeof(ekm));
	return 0;
}

void esfd_certke_free(struct esfd_certke *k)
{
	if (!k)
		return;
	SSL_free(k->ssl);
	explicit_bzero(k, sizeof(*k));
	free(k);
}
