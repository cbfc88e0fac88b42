// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's certificate credentials (certs.h): loading and checking what
 * registration gave the entity, and offline verification of a peer's
 * certificate against the roots. The private key file is read into a
 * buffer that is wiped once OpenSSL has parsed it; OpenSSL clears the key
 * itself when it is freed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certs.h"
#include "config.h"

/* Largest PEM file esfd reads for a key. */
#define KEY_FILE_MAX	16384

static void resolve(const char *file, const char *base_dir, char *path, size_t n)
{
	if (file[0] == '/' || !base_dir)
		snprintf(path, n, "%s", file);
	else
		snprintf(path, n, "%s/%s", base_dir, file);
}

static int fail(struct esfd_config_error *e, unsigned int line, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct esfd_config_error *e, unsigned int line, int err, const char *fmt, ...)
{
	va_list ap;

	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return err;
}

/* The one last OpenSSL error, as text (for certificates, never for keys). */
static const char *ossl_why(void)
{
	static char buf[120];
	unsigned long e = ERR_peek_last_error();

	if (!e)
		return "no PEM data";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

static int load_ca(struct esfd_creds *c, const char *path, unsigned int line,
		   struct esfd_config_error *e)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x;
	int n = 0;

	if (!b)
		return fail(e, line, -ENOENT, "ca-file %.120s: cannot be read", path);
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL))) {
		if (!X509_STORE_add_cert(c->store, x)) {
			X509_free(x);
			BIO_free(b);
			return fail(e, line, -EINVAL, "ca-file %.120s: %s", path, ossl_why());
		}
		X509_free(x);
		n++;
	}
	BIO_free(b);
	if (!n)
		return fail(e, line, -EINVAL, "ca-file %.120s: no PEM certificate", path);
	ERR_clear_error();
	return 0;
}

static int load_chain(struct esfd_creds *c, const char *path, unsigned int line,
		      struct esfd_config_error *e)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x;

	if (!b)
		return fail(e, line, -ENOENT, "cert-file %.120s: cannot be read", path);
	c->chain = sk_X509_new_null();
	while (c->chain && (x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL))) {
		if (!c->cert) {
			c->cert = x;
		} else if (!sk_X509_push(c->chain, x)) {
			X509_free(x);
			break;
		}
	}
	BIO_free(b);
	if (!c->chain)
		return -ENOMEM;
	if (!c->cert)
		return fail(e, line, -EINVAL, "cert-file %.120s: no PEM certificate", path);
	ERR_clear_error();
	return 0;
}

static int load_crl(struct esfd_creds *c, const char *path, unsigned int line,
		    struct esfd_config_error *e)
{
	BIO *b = BIO_new_file(path, "r");
	X509_CRL *crl;
	int n = 0;

	if (!b)
		return fail(e, line, -ENOENT, "crl-file %.120s: cannot be read", path);
	while ((crl = PEM_read_bio_X509_CRL(b, NULL, no_passphrase, NULL))) {
		int ok = X509_STORE_add_crl(c->store, crl);

		X509_CRL_free(crl);
		if (!ok) {
			BIO_free(b);
			return fail(e, line, -EINVAL, "crl-file %.120s: %s", path, ossl_why());
		}
		n++;
	}
	BIO_free(b);
	if (!n)
		return fail(e, line, -EINVAL, "crl-file %.120s: no PEM CRL", path);
	ERR_clear_error();
	c->crl = true;
	return X509_STORE_set_flags(c->store, X509_V_FLAG_CRL_CHECK) ? 0 : -ENOMEM;
}

/* The key: a private file, PEM, unencrypted, P-256. Nothing about its
 * content is ever quoted.
 */
static int load_key(struct esfd_creds *c, const char *file, const char *base_dir,
		    unsigned int line, struct esfd_config_error *e)
{
	char path[2 * ESFD_PATH_MAX + 2], group[32];
	char *buf = malloc(KEY_FILE_MAX);
	ssize_t n = 0, r;
	BIO *b = NULL;
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = esfd_config_open_private(file, base_dir, line, path, sizeof(path), e);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	while ((r = read(fd, buf + n, KEY_FILE_MAX - (size_t)n)) > 0 && n + r < KEY_FILE_MAX)
		n += r;
	if (r < 0)
		err = -errno;
	close(fd);
	if (!err && (r > 0 || !n))
		err = fail(e, line, -EINVAL, "key-file %.120s: empty or larger than %d bytes",
			   path, KEY_FILE_MAX);
	if (!err) {
		b = BIO_new_mem_buf(buf, (int)n);
		c->key = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
		BIO_free(b);
		if (!c->key)
			err = fail(e, line, -EINVAL, "key-file %.120s: not an unencrypted PEM "
				   "private key", path);
	}
	explicit_bzero(buf, KEY_FILE_MAX);
	free(buf);
	if (!err && (!EVP_PKEY_is_a(c->key, "EC") ||
		     !EVP_PKEY_get_utf8_string_param(c->key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						     sizeof(group), NULL) ||
		     strcmp(group, "prime256v1")))
		err = fail(e, line, -EINVAL, "key-file %.120s: not an ECDSA P-256 key", path);
	ERR_clear_error();
	return err;
}

int esfd_creds_load(const char *ca_file, const char *cert_file, const char *key_file,
		    const char *crl_file, const char *self_id, const char *base_dir,
		    const unsigned int lines[4], struct esfd_creds **out,
		    struct esfd_config_error *e)
{
	char path[2 * ESFD_PATH_MAX + 2];
	struct esfd_creds *c = calloc(1, sizeof(*c));
	const char *detail;
	enum esfd_cert_reason r;
	const ASN1_TIME *na;
	struct tm tm;
	int err;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->store = X509_STORE_new();
	err = c->store ? 0 : -ENOMEM;
	if (!err) {
		resolve(ca_file, base_dir, path, sizeof(path));
		err = load_ca(c, path, lines[0], e);
	}
	if (!err) {
		resolve(cert_file, base_dir, path, sizeof(path));
		err = load_chain(c, path, lines[1], e);
	}
	if (!err)
		err = load_key(c, key_file, base_dir, lines[2], e);
	if (!err && crl_file) {
		resolve(crl_file, base_dir, path, sizeof(path));
		err = load_crl(c, path, lines[3], e);
	}
	if (!err && X509_check_private_key(c->cert, c->key) != 1)
		err = fail(e, lines[2], -EINVAL, "key-file: not the key of cert-file's "
			   "certificate");
	if (!err && !esfd_cert_names_id(c->cert, self_id))
		err = fail(e, lines[1], -EINVAL, "cert-file: the certificate does not name "
			   "this entity's id %.100s (subjectAltName URI)", self_id);
	if (!err) {
		/* Structure and roots, not time: the peers check the time. */
		r = esfd_creds_verify(c, c->cert, c->chain, self_id, -1, &detail);
		if (r != ESFD_CERT_OK)
			err = fail(e, lines[1], -EINVAL, "cert-file: the certificate does not "
				   "verify against ca-file%s: %s", c->crl ? " and crl-file" : "",
				   detail ? detail : esfd_cert_reason_name(r));
	}
	if (!err) {
		na = X509_get0_notAfter(c->cert);
		if (!ASN1_TIME_to_tm(na, &tm))
			err = fail(e, lines[1], -EINVAL, "cert-file: bad notAfter");
		else
			c->not_after = (int64_t)timegm(&tm);
	}
	if (err) {
		esfd_creds_free(c);
		return err;
	}
	*out = c;
	return 0;
}

void esfd_creds_free(struct esfd_creds *c)
{
	if (!c)
		return;
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	sk_X509_pop_free(c->chain, X509_free);
	X509_STORE_free(c->store);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

bool esfd_cert_names_id(X509 *x, const char *id)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t idlen = strlen(id);
	bool found = false;
	int i;

	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s;

		if (g->type != GEN_URI)
			continue;
		s = g->d.uniformResourceIdentifier;
		found = (size_t)ASN1_STRING_length(s) == idlen &&
			!memcmp(ASN1_STRING_get0_data(s), id, idlen);
	}
	GENERAL_NAMES_free(gens);
	return found;
}

enum esfd_cert_reason esfd_cert_reason_of(long x509_err)
{
	switch (x509_err) {
	case X509_V_OK:
		return ESFD_CERT_OK;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return ESFD_CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return ESFD_CERT_NOT_YET_VALID;
	case X509_V_ERR_CERT_REVOKED:
		return ESFD_CERT_REVOKED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return ESFD_CERT_UNKNOWN_CA;
	}
	return ESFD_CERT_INVALID;
}

const char *esfd_cert_reason_name(enum esfd_cert_reason r)
{
	static const char *const names[ESFD_CERT__N] = {
		[ESFD_CERT_OK] = "ok",
		[ESFD_CERT_EXPIRED] = "expired",
		[ESFD_CERT_NOT_YET_VALID] = "not-yet-valid",
		[ESFD_CERT_REVOKED] = "revoked",
		[ESFD_CERT_UNKNOWN_CA] = "unknown-ca",
		[ESFD_CERT_WRONG_ID] = "wrong-id",
		[ESFD_CERT_INVALID] = "invalid",
		[ESFD_CERT_HANDSHAKE] = "handshake",
	};

	return (unsigned int)r < ESFD_CERT__N ? names[r] : "?";
}

enum esfd_cert_reason esfd_creds_verify(const struct esfd_creds *c, X509 *leaf,
					STACK_OF(X509) *chain, const char *id, int64_t now,
					const char **detail)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	enum esfd_cert_reason r = ESFD_CERT_INVALID;
	X509_VERIFY_PARAM *vp;
	long verr;

	if (detail)
		*detail = NULL;
	if (!ctx || !X509_STORE_CTX_init(ctx, c->store, leaf, chain)) {
		X509_STORE_CTX_free(ctx);
		ERR_clear_error();
		return ESFD_CERT_INVALID;
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	if (now < 0)
		X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_NO_CHECK_TIME);
	else
		X509_VERIFY_PARAM_set_time(vp, (time_t)now);
	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) == 1) {
		r = esfd_cert_names_id(leaf, id) ? ESFD_CERT_OK : ESFD_CERT_WRONG_ID;
	} else {
		verr = X509_STORE_CTX_get_error(ctx);
		r = esfd_cert_reason_of(verr);
		if (r == ESFD_CERT_OK)
			r = ESFD_CERT_INVALID;
		if (detail)
			*detail = X509_verify_cert_error_string(verr);
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return r;
}
