/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host tests: a test PKI made with OpenSSL's API (ECDSA P-256 keys,
 * certificates naming a oneM2M id in a subjectAltName URI), for the tests
 * of esfd's credentials and of libesf's ES256 verification.
 */
#ifndef ESF_TEST_PKI_H
#define ESF_TEST_PKI_H

#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A fresh ECDSA P-256 key. */
EVP_PKEY *p256(void);

/*
 * A certificate for @key, signed by @ca_key (self-signed, a CA, when @ca is
 * NULL), naming @uri (none when NULL), valid from now + @from to now + @to
 * seconds.
 */
X509 *mkcert(EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key, const char *cn, const char *uri,
	     long from, long to, long serial);

/* PEM files, mode 0644 for a certificate, @mode for a key. */
void write_cert(const char *path, X509 *x);
void write_key(const char *path, EVP_PKEY *k, mode_t mode);

#endif /* ESF_TEST_PKI_H */
