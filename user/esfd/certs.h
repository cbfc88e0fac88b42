/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: the certificate credentials an entity gets at registration (CA
 * roots, its own chain and ECDSA P-256 private key, optionally a CRL), as
 * named by [esfd] ca-file, cert-file, key-file and crl-file
 * (docs/esfd.conf.md), and the checks made on a peer's certificate:
 * offline verification against the roots (and the CRL), and the oneM2M id
 * it must name. Part of esfd's core (host unit tests): OpenSSL's libcrypto
 * only, no TLS here (certke.c).
 */
#ifndef ESFD_CERTS_H
#define ESFD_CERTS_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct esfd_config_error;

/**
 * enum esfd_cert_reason - why a peer's certificate is refused
 * @ESFD_CERT_OK: it is not
 * @ESFD_CERT_EXPIRED: past its notAfter (or an issuer's)
 * @ESFD_CERT_NOT_YET_VALID: before its notBefore
 * @ESFD_CERT_REVOKED: listed in the CRL
 * @ESFD_CERT_UNKNOWN_CA: does not chain to one of our roots (a foreign CA,
 *	a self-signed certificate, a bad issuer signature)
 * @ESFD_CERT_WRONG_ID: valid, but does not name the peer's oneM2M id
 * @ESFD_CERT_INVALID: any other verification error (a CRL missing or
 *	expired, a bad extension, the wrong key type)
 * @ESFD_CERT_HANDSHAKE: not a certificate problem: the TLS handshake
 *	failed otherwise (no common suite, a bad Finished, a malformed or
 *	truncated message)
 * @ESFD_CERT__N: number of reasons
 */
enum esfd_cert_reason {
	ESFD_CERT_OK,
	ESFD_CERT_EXPIRED,
	ESFD_CERT_NOT_YET_VALID,
	ESFD_CERT_REVOKED,
	ESFD_CERT_UNKNOWN_CA,
	ESFD_CERT_WRONG_ID,
	ESFD_CERT_INVALID,
	ESFD_CERT_HANDSHAKE,
	ESFD_CERT__N
};

/**
 * struct esfd_creds - the loaded credentials
 * @store: the CA roots, and the CRL when one is configured (the CRL is
 *	then checked for the leaf)
 * @cert: our own (leaf) certificate
 * @chain: the intermediates that follow it in cert-file (may be empty)
 * @key: our private key, ECDSA P-256; never leaves esfd, freed (and with
 *	it wiped by OpenSSL) by esfd_creds_free()
 * @crl: a CRL was loaded
 * @not_after: our certificate's notAfter, seconds since the epoch
 */
struct esfd_creds {
	X509_STORE *store;
	X509 *cert;
	STACK_OF(X509) *chain;
	EVP_PKEY *key;
	bool crl;
	int64_t not_after;
};

/**
 * esfd_creds_load() - read and check the credentials of a configuration
 * @ca_file: CA roots, PEM (one or more certificates)
 * @cert_file: our certificate first, then its intermediates, PEM
 * @key_file: our private key, PEM, unencrypted, ECDSA P-256; a private
 *	file (root's or ours, no access for group or others)
 * @crl_file: a CRL, PEM, or NULL
 * @self_id: our oneM2M id: the certificate must name it
 *	(esfd_cert_names_id())
 * @base_dir: directory relative names are taken from (or NULL)
 * @lines: the configuration lines of the four keys, for @e
 * @out: set to the credentials (esfd_creds_free())
 * @e: set on failure; never quotes the key
 *
 * Refused: a key that is not P-256 or does not match the certificate, a
 * certificate that does not name @self_id or does not chain to @ca_file
 * (time is not checked here: a peer checks it at every handshake), and
 * the permission problems of a key file.
 *
 * Return: 0, -EINVAL, -EACCES, -ENOMEM, or the error of open(2).
 */
int esfd_creds_load(const char *ca_file, const char *cert_file, const char *key_file,
		    const char *crl_file, const char *self_id, const char *base_dir,
		    const unsigned int lines[4], struct esfd_creds **out,
		    struct esfd_config_error *e);

/**
 * esfd_creds_free() - release credentials (the private key is wiped)
 * @c: the credentials, or NULL
 */
void esfd_creds_free(struct esfd_creds *c);

/**
 * esfd_cert_names_id() - does a certificate name this oneM2M id?
 * @x: the certificate
 * @id: the id (a CSE-ID or AE-ID, ASCII)
 *
 * The id must be, byte for byte, one of the certificate's
 * subjectAltName uniformResourceIdentifier entries (TS-0003 puts the
 * CSE-ID or AE-ID there). The subject's common name is not looked at.
 *
 * Return: true or false.
 */
bool esfd_cert_names_id(X509 *x, const char *id);

/**
 * esfd_cert_reason_of() - the reason for an X.509 verification error
 * @x509_err: X509_V_ERR_* (X509_V_OK gives ESFD_CERT_OK)
 *
 * Return: the &enum esfd_cert_reason.
 */
enum esfd_cert_reason esfd_cert_reason_of(long x509_err);

/**
 * esfd_cert_reason_name() - short name of a reason, for counters and logs
 * @r: the reason
 *
 * Return: "ok", "expired", "not-yet-valid", "revoked", "unknown-ca",
 * "wrong-id", "invalid", "handshake", or "?".
 */
const char *esfd_cert_reason_name(enum esfd_cert_reason r);

/**
 * esfd_creds_verify() - verify a peer's certificate offline
 * @c: our credentials (roots, CRL)
 * @leaf: the peer's certificate
 * @chain: the intermediates it sent, or NULL
 * @id: the oneM2M id it must name
 * @now: the time to verify at, seconds since the epoch
 * @detail: set to OpenSSL's text for the error, or NULL
 *
 * Return: ESFD_CERT_OK or why it is refused.
 */
enum esfd_cert_reason esfd_creds_verify(const struct esfd_creds *c, X509 *leaf,
					STACK_OF(X509) *chain, const char *id, int64_t now,
					const char **detail);

#endif /* ESFD_CERTS_H */
