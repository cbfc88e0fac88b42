// SPDX-License-Identifier: GPL-2.0
/*
 * esfd HMAC backends.
 *
 * The kernel backend goes through libkcapi's streaming digest calls so that
 * an offloaded hmac(sha256) (CAAM and friends) serves the daemon's
 * derivations too. Many hosts (containers, hardened kernels, CI machines)
 * have no AF_ALG socket family, and libkcapi then logs to stderr and fails;
 * so ESFD_BACKEND_AUTO probes AF_ALG with a plain socket first, silently,
 * and falls back to OpenSSL 3's EVP_MAC. Both compute the same function;
 * the tests check both against the same vectors.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_alg.h>

#include <kcapi.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "enc.h"
#include "hmac.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif

/* The backend in use; ESFD_BACKEND_AUTO until resolved. */
static int selected = ESFD_BACKEND_AUTO;

size_t esfd_hash_len(enum esfd_hash h)
{
	switch (h) {
	case ESFD_SHA256:
		return 32;
	case ESFD_SHA384:
		return 48;
	case ESFD_SHA512:
		return 64;
	}
	return 0;
}

static const char *kcapi_name(enum esfd_hash h)
{
	switch (h) {
	case ESFD_SHA256:
		return "hmac(sha256)";
	case ESFD_SHA384:
		return "hmac(sha384)";
	case ESFD_SHA512:
		return "hmac(sha512)";
	}
	return NULL;
}

static const char *openssl_name(enum esfd_hash h)
{
	switch (h) {
	case ESFD_SHA256:
		return "SHA256";
	case ESFD_SHA384:
		return "SHA384";
	case ESFD_SHA512:
		return "SHA512";
	}
	return NULL;
}

/*
 * Can the kernel's AF_ALG hash type instantiate @name? Probed without
 * libkcapi, which would log the failure.
 */
static bool afalg_has(const char *name)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	bool ok;
	int fd;

	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	strcpy((char *)sa.salg_type, "hash");
	strncpy((char *)sa.salg_name, name, sizeof(sa.salg_name) - 1);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static bool kcapi_usable(void)
{
	return afalg_has("hmac(sha256)") && afalg_has("hmac(sha384)") &&
	       afalg_has("hmac(sha512)");
}

int esfd_crypto_select(enum esfd_crypto_backend b)
{
	switch (b) {
	case ESFD_BACKEND_AUTO:
		b = kcapi_usable() ? ESFD_BACKEND_KCAPI : ESFD_BACKEND_OPENSSL;
		break;
	case ESFD_BACKEND_KCAPI:
		if (!kcapi_usable())
			return -EAFNOSUPPORT;
		break;
	case ESFD_BACKEND_OPENSSL:
		break;
	default:
		return -EINVAL;
	}
	/* Library code does not print: errors come back as return values. */
	if (b == ESFD_BACKEND_KCAPI)
		kcapi_set_verbosity(KCAPI_LOG_NONE);
	__atomic_store_n(&selected, b, __ATOMIC_RELEASE);
	return 0;
}

enum esfd_crypto_backend esfd_crypto_backend(void)
{
	int b = __atomic_load_n(&selected, __ATOMIC_ACQUIRE);

	/* Two threads racing here both probe and store the same answer. */
	if (b == ESFD_BACKEND_AUTO) {
		esfd_crypto_select(ESFD_BACKEND_AUTO);
		b = __atomic_load_n(&selected, __ATOMIC_ACQUIRE);
	}
	return (enum esfd_crypto_backend)b;
}

const char *esfd_crypto_backend_name(enum esfd_crypto_backend b)
{
	switch (b) {
	case ESFD_BACKEND_AUTO:
		return "auto";
	case ESFD_BACKEND_KCAPI:
		return "kcapi";
	case ESFD_BACKEND_OPENSSL:
		return "openssl";
	}
	return "unknown";
}

/*
 * HMAC pads its key with zeros to the block size, so the empty key and a
 * single zero byte give the same MAC. Both backends are handed the latter:
 * neither AF_ALG's ALG_SET_KEY nor EVP_MAC_init() is dependable with a
 * zero-length key.
 */
static const uint8_t zero_key[1];

static int hmac_kcapi(enum esfd_hash h, const uint8_t *key, size_t keylen,
		      const struct esfd_buf *msg, size_t nmsg, uint8_t *out)
{
	struct kcapi_handle *hd;
	size_t i, dlen = esfd_hash_len(h);
	ssize_t r;
	int err;

	if (keylen > UINT32_MAX)
		return -EINVAL;
	err = kcapi_md_init(&hd, kcapi_name(h), 0);
	if (err)
		return err < 0 ? err : -EIO;
	err = kcapi_md_setkey(hd, key, (uint32_t)keylen);
	for (i = 0; !err && i < nmsg; i++) {
		if (!msg[i].len)
			continue;
		r = kcapi_md_update(hd, msg[i].p, msg[i].len);
		if (r < 0)
			err = (int)r;
	}
	if (!err) {
		r = kcapi_md_final(hd, out, dlen);
		if (r != (ssize_t)dlen)
			err = r < 0 ? (int)r : -EIO;
	}
	/* The kernel wipes the transform's key when the socket closes. */
	kcapi_md_destroy(hd);
	return err;
}

static int hmac_openssl(enum esfd_hash h, const uint8_t *key, size_t keylen,
			const struct esfd_buf *msg, size_t nmsg, uint8_t *out)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	size_t i, olen = 0, dlen = esfd_hash_len(h);
	int err = -EIO;

	mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!mac)
		return -ENOSYS;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx) {
		err = -ENOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)openssl_name(h), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, keylen, params))
		goto out;
	for (i = 0; i < nmsg; i++)
		if (msg[i].len && !EVP_MAC_update(ctx, msg[i].p, msg[i].len))
			goto out;
	if (EVP_MAC_final(ctx, out, &olen, dlen) && olen == dlen)
		err = 0;
out:
	/* EVP_MAC_CTX_free() cleanses the key schedule it holds. */
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return err;
}

int esfd_hmac(enum esfd_hash h, const uint8_t *key, size_t keylen,
	      const struct esfd_buf *msg, size_t nmsg, uint8_t *out)
{
	size_t dlen = esfd_hash_len(h);
	int err;

	if (!dlen)
		return -EINVAL;
	if (!keylen) {
		key = zero_key;
		keylen = sizeof(zero_key);
	}
	if (esfd_crypto_backend() == ESFD_BACKEND_KCAPI)
		err = hmac_kcapi(h, key, keylen, msg, nmsg, out);
	else
		err = hmac_openssl(h, key, keylen, msg, nmsg, out);
	if (err)
		explicit_bzero(out, dlen);
	return err;
}

int esfd_hmac_verify(enum esfd_hash h, const uint8_t *key, size_t keylen,
		     const struct esfd_buf *msg, size_t nmsg,
		     const uint8_t *tag, size_t taglen)
{
	uint8_t mac[ESFD_HASH_MAX];
	size_t dlen = esfd_hash_len(h);
	int err;

	if (!dlen)
		return -EINVAL;
	if (taglen < ESFD_TAG_MIN || taglen > dlen)
		return -EINVAL;
	err = esfd_hmac(h, key, keylen, msg, nmsg, mac);
	if (!err && !esfd_ct_equal(mac, tag, taglen))
		err = -EBADMSG;
	/* A correct MAC for a forged message is as good as a key to a forger. */
	explicit_bzero(mac, sizeof(mac));
	return err;
}

int esfd_hmac_label(const uint8_t key[32], const char *label, const char *id,
		    uint8_t out[32])
{
	/* The label's NUL separates it from the id. */
	struct esfd_buf in[2] = { { label, strlen(label) + 1 }, { id, strlen(id) } };

	if (esfd_id_check(id, strlen(id)))
		return -EINVAL;
	return esfd_hmac(ESFD_SHA256, key, 32, in, 2, out);
}
