// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: peer-to-peer agreement's messages, signed inputs and keys
 * (p2pmsg.h; docs/esfd.md, "Peer-to-peer agreement"). Reading is strict:
 * a message has exactly its members, each of its exact length, so that
 * nothing unsigned rides along and the fuzzer has one shape to explore.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "enc.h"
#include "hmac.h"
#include "kdf.h"
#include "p2pmsg.h"

static const char *const names[] = { "", "esf:p2q", "esf:p2r" };

enum esfd_p2p_kind esfd_p2p_kind_of(const json_t *pc)
{
	if (!json_is_object(pc) || json_object_size(pc) != 1)
		return ESFD_P2P_NONE;
	if (json_object_get(pc, names[ESFD_P2P_REQ]))
		return ESFD_P2P_REQ;
	if (json_object_get(pc, names[ESFD_P2P_RSP]))
		return ESFD_P2P_RSP;
	return ESFD_P2P_NONE;
}

static int bytes_field(const json_t *o, const char *name, uint8_t *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, name));
	uint8_t buf[ESFD_ECDH_POINT_LEN + 3];
	size_t n;

	if (!s || esfd_b64_decode(s, strlen(s), true, buf, sizeof(buf), &n) || n != len)
		return -EPROTO;
	memcpy(out, buf, len);
	return 0;
}

static int cert_of(const json_t *v, X509 **out)
{
	const char *s = json_string_value(v);
	uint8_t der[ESFD_P2P_CERT_MAX];
	const unsigned char *p = der;
	size_t n;

	*out = NULL;
	if (!s || strlen(s) > esfd_b64_len(ESFD_P2P_CERT_MAX, false) ||
	    esfd_b64_decode(s, strlen(s), false, der, sizeof(der), &n) || !n)
		return -EPROTO;
	*out = d2i_X509(NULL, &p, (long)n);
	/* Nothing may follow the certificate. */
	if (*out && p != der + n) {
		X509_free(*out);
		*out = NULL;
	}
	return *out ? 0 : -EPROTO;
}

static int x5c_read(const json_t *x5c, struct esfd_p2pmsg *m)
{
	size_t i, n = json_array_size(x5c);
	X509 *x;

	if (!json_is_array(x5c) || !n || n > ESFD_P2P_CHAIN_MAX)
		return -EPROTO;
	if (cert_of(json_array_get(x5c, 0), &m->leaf) ||
	    esfd_p2p_cert_digest(m->leaf, m->digest))
		return -EPROTO;
	for (i = 1; i < n; i++) {
		if (!m->chain && !(m->chain = sk_X509_new_null()))
			return -EPROTO;
		if (cert_of(json_array_get(x5c, i), &x))
			return -EPROTO;
		if (!sk_X509_push(m->chain, x)) {
			X509_free(x);
			return -EPROTO;
		}
	}
	m->full = true;
	return 0;
}

int esfd_p2p_read(const json_t *pc, enum esfd_p2p_kind want, struct esfd_p2pmsg *m)
{
	const json_t *o = json_object_get(pc, names[want == ESFD_P2P_RSP ? 2 : 1]);
	const json_t *v, *t, *cls, *x5c;
	size_t n = 6;

	memset(m, 0, sizeof(*m));
	if (want == ESFD_P2P_NONE || esfd_p2p_kind_of(pc) != want || !json_is_object(o))
		return -EPROTO;
	m->kind = want;
	v = json_object_get(o, "v");
	t = json_object_get(o, "t");
	if (!json_is_integer(v) || json_integer_value(v) != ESFD_P2P_VERSION ||
	    !json_is_integer(t) || json_integer_value(t) <= 0)
		return -EPROTO;
	m->t = json_integer_value(t);
	if (want == ESFD_P2P_REQ) {
		cls = json_object_get(o, "cls");
		if (!json_is_integer(cls) || json_integer_value(cls) < 1 ||
		    json_integer_value(cls) > 3)
			return -EPROTO;
		m->cls = (uint8_t)json_integer_value(cls);
		n++;
		if (json_object_get(o, "pkd")) {
			if (bytes_field(o, "pkd", m->pkd, sizeof(m->pkd)))
				return -EPROTO;
			m->has_pkd = true;
			n++;
		}
	}
	if (bytes_field(o, "nnc", m->nnc, sizeof(m->nnc)) ||
	    bytes_field(o, "epk", m->epk, sizeof(m->epk)) || m->epk[0] != 4 ||
	    bytes_field(o, "sig", m->sig, sizeof(m->sig)))
		return -EPROTO;
	x5c = json_object_get(o, "x5c");
	if (x5c && json_object_get(o, "x5t#S256"))
		return -EPROTO;
	if (x5c ? x5c_read(x5c, m) : bytes_field(o, "x5t#S256", m->digest, sizeof(m->digest)))
		return -EPROTO;
	/* v, t, nnc, epk, sig, x5c or x5t#S256, and the kind's own. */
	return json_object_size(o) == n ? 0 : -EPROTO;
}

void esfd_p2p_msg_free(struct esfd_p2pmsg *m)
{
	X509_free(m->leaf);
	sk_X509_pop_free(m->chain, X509_free);
	m->leaf = NULL;
	m->chain = NULL;
}

static int set_b64(json_t *o, const char *name, const uint8_t *p, size_t len)
{
	char s[128];

	if (esfd_b64_encode(p, len, true, s, sizeof(s)))
		return -ENOSPC;
	return json_object_set_new(o, name, json_string(s)) ? -ENOMEM : 0;
}

int esfd_p2p_build(const struct esfd_p2pmsg *m, X509 *cert, STACK_OF(X509) *chain,
		   json_t **out)
{
	json_t *o = json_object(), *x5c = NULL;
	int err = o ? 0 : -ENOMEM;

	*out = NULL;
	if (m->kind != ESFD_P2P_REQ && m->kind != ESFD_P2P_RSP)
		err = -EINVAL;
	if (!err && (json_object_set_new(o, "v", json_integer(ESFD_P2P_VERSION)) ||
		     json_object_set_new(o, "t", json_integer(m->t))))
		err = -ENOMEM;
	if (!err && m->kind == ESFD_P2P_REQ &&
	    json_object_set_new(o, "cls", json_integer(m->cls)))
		err = -ENOMEM;
	if (!err)
		err = set_b64(o, "nnc", m->nnc, sizeof(m->nnc));
	if (!err)
		err = set_b64(o, "epk", m->epk, sizeof(m->epk));
	if (!err && m->full) {
		err = cert ? esfd_x5c_array(cert, chain, &x5c) : -EINVAL;
		if (!err && json_object_set_new(o, "x5c", x5c))
			err = -ENOMEM;
	} else if (!err) {
		err = set_b64(o, "x5t#S256", m->digest, sizeof(m->digest));
	}
	if (!err && m->kind == ESFD_P2P_REQ && m->has_pkd)
		err = set_b64(o, "pkd", m->pkd, sizeof(m->pkd));
	if (!err)
		err = set_b64(o, "sig", m->sig, sizeof(m->sig));
	if (!err) {
		*out = json_pack("{s:o}", names[m->kind], o);
		return *out ? 0 : -ENOMEM;
	}
	json_decref(o);
	return err;
}

/* Signed inputs ------------------------------------------------------------ */

struct tbs {
	uint8_t *p;
	size_t n;
};

static void put(struct tbs *b, const void *v, size_t len)
{
	memcpy(b->p + b->n, v, len);
	b->n += len;
}

static int put_id(struct tbs *b, const char *id)
{
	size_t len = strlen(id);
	uint8_t l[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	if (len > 255)
		return -EINVAL;
	put(b, l, 2);
	put(b, id, len);
	return 0;
}

static void put_time(struct tbs *b, int64_t t)
{
	uint8_t v[8];
	int i;

	for (i = 0; i < 8; i++)
		v[i] = (uint8_t)((uint64_t)t >> (56 - 8 * i));
	put(b, v, 8);
}

static void put_fields(struct tbs *b, const struct esfd_p2pmsg *m)
{
	put_time(b, m->t);
	put(b, m->nnc, sizeof(m->nnc));
	put(b, m->epk, sizeof(m->epk));
	put(b, m->digest, sizeof(m->digest));
}

int esfd_p2p_req_tbs(const char *from, const char *to, const struct esfd_p2pmsg *m,
		     uint8_t out[ESFD_P2P_TBS_MAX], size_t *len)
{
	static const char label[] = "esf-p2p-v1 req";
	struct tbs b = { out, 0 };

	put(&b, label, sizeof(label) - 1);
	if (put_id(&b, from) || put_id(&b, to))
		return -EINVAL;
	put(&b, &m->cls, 1);
	put_fields(&b, m);
	*len = b.n;
	return 0;
}

int esfd_p2p_rsp_tbs(const uint8_t req_hash[ESFD_P2P_DIGEST_LEN], const char *from,
		     const struct esfd_p2pmsg *m, uint8_t out[ESFD_P2P_TBS_MAX], size_t *len)
{
	static const char label[] = "esf-p2p-v1 rsp";
	struct tbs b = { out, 0 };

	put(&b, label, sizeof(label) - 1);
	put(&b, req_hash, ESFD_P2P_DIGEST_LEN);
	if (put_id(&b, from))
		return -EINVAL;
	put_fields(&b, m);
	*len = b.n;
	return 0;
}

int esfd_p2p_keys(const uint8_t z[ESFD_ECDH_Z_LEN], const uint8_t nnc_i[ESFD_P2P_NONCE_LEN],
		  const uint8_t nnc_r[ESFD_P2P_NONCE_LEN],
		  const uint8_t req_hash[ESFD_P2P_DIGEST_LEN],
		  const uint8_t rsp_hash[ESFD_P2P_DIGEST_LEN], uint8_t key[ESFD_P2P_KEY_LEN],
		  uint8_t kid[ESFD_P2P_KID_LEN])
{
	static const char label[] = "esf-p2p-v1 key";
	uint8_t salt[2 * ESFD_P2P_NONCE_LEN], info[sizeof(label) - 1 + 2 * ESFD_P2P_DIGEST_LEN];
	uint8_t okm[ESFD_P2P_KEY_LEN + ESFD_P2P_KID_LEN];
	int err;

	memcpy(salt, nnc_i, ESFD_P2P_NONCE_LEN);
	memcpy(salt + ESFD_P2P_NONCE_LEN, nnc_r, ESFD_P2P_NONCE_LEN);
	memcpy(info, label, sizeof(label) - 1);
	memcpy(info + sizeof(label) - 1, req_hash, ESFD_P2P_DIGEST_LEN);
	memcpy(info + sizeof(label) - 1 + ESFD_P2P_DIGEST_LEN, rsp_hash, ESFD_P2P_DIGEST_LEN);
	err = esfd_hkdf(ESFD_SHA256, salt, sizeof(salt), z, ESFD_ECDH_Z_LEN, info, sizeof(info),
			okm, sizeof(okm));
	if (!err) {
		memcpy(key, okm, ESFD_P2P_KEY_LEN);
		memcpy(kid, okm + ESFD_P2P_KEY_LEN, ESFD_P2P_KID_LEN);
	}
	OPENSSL_cleanse(okm, sizeof(okm));
	return err;
}

int esfd_p2p_cert_digest(X509 *x, uint8_t out[ESFD_P2P_DIGEST_LEN])
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	if (n <= 0)
		return -EIO;
	SHA256(der, (size_t)n, out);
	OPENSSL_free(der);
	return 0;
}
