// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests: a test PKI (pki.h).
 */
#include <stdio.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki.h"

EVP_PKEY *p256(void)
{
	return EVP_EC_gen("P-256");
}

X509 *mkcert(EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key, const char *cn, const char *uri,
	     long from, long to, long serial)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char san[300];

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : X509_get_subject_name(x));
	X509V3_set_ctx(&ctx, ca ? ca : x, x, NULL, NULL, 0);
	if (!ca) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (uri) {
		snprintf(san, sizeof(san), "URI:%s", uri);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, ca_key, EVP_sha256());
	return x;
}

void write_cert(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	PEM_write_X509(f, x);
	fclose(f);
	chmod(path, 0644);
}

void write_key(const char *path, EVP_PKEY *k, mode_t mode)
{
	FILE *f = fopen(path, "w");

	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	chmod(path, mode);
}
