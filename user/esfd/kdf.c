// SPDX-License-Identifier: GPL-2.0
/*
 * esfd key derivation. HKDF is composed here from esfd_hmac() rather than
 * taken from libkcapi's kcapi_hkdf() or OpenSSL's EVP_KDF: TR-0012's
 * expansion changes the info string from one block to the next, which no
 * library HKDF interface expresses, so one expansion step serves both the
 * RFC 5869 and the oneM2M derivations, and the RFC and Wycheproof vectors
 * check the step the oneM2M keys depend on.
 */
#include <errno.h>
#include <string.h>

#include "enc.h"
#include "kdf.h"

#define KPSA_MIN	16
#define KPSA_MAX	64
#define SALT_MAX	255

static const char label_e2e_auth[] = "E2E Message Authentication Key";
static const char label_e2e_conf[] = "E2E Message Confidentiality Key";
static const char label_dar_auth[] = "Data Authenticity and Integrity";
static const char label_dar_conf[] = "Data Confidentiality Key";
static const char label_uc[] =
	"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation";
static const char label_session[] =
	"oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm";
static const char label_group[] = "oneM2M Group Secure Connection Key derivation";
/* Ours (TR-0012 leaves the item key encoding open); ends in a 0x00 separator. */
static const char label_dar_item[] = "oneM2M-ESF data-at-rest item key";

#define STR(s) { (s), sizeof(s) - 1 }

int esfd_hkdf_extract(enum esfd_hash h, const uint8_t *salt, size_t saltlen,
		      const uint8_t *ikm, size_t ikmlen, uint8_t *prk)
{
	static const uint8_t zeros[ESFD_HASH_MAX];
	struct esfd_buf in = { ikm, ikmlen };

	if (!esfd_hash_len(h))
		return -EINVAL;
	if (!salt || !saltlen) {
		salt = zeros;
		saltlen = esfd_hash_len(h);
	}
	return esfd_hmac(h, salt, saltlen, &in, 1, prk);
}

/*
 * One expansion block: T(i) = HMAC(PRK, T(i-1) || info || i). Shared by
 * RFC 5869 (same info every block) and TR-0012 (one info per block).
 */
static int expand_block(enum esfd_hash h, const uint8_t *prk, size_t prklen,
			const uint8_t *prev, size_t prevlen,
			const void *info, size_t infolen, uint8_t counter,
			uint8_t *t)
{
	struct esfd_buf in[3] = {
		{ prev, prevlen }, { info, infolen }, { &counter, 1 },
	};

	return esfd_hmac(h, prk, prklen, in, 3, t);
}

int esfd_hkdf_expand(enum esfd_hash h, const uint8_t *prk, size_t prklen,
		     const uint8_t *info, size_t infolen,
		     uint8_t *okm, size_t okmlen)
{
	size_t hl = esfd_hash_len(h), done = 0, prevlen = 0;
	uint8_t t[ESFD_HASH_MAX];
	unsigned int i;
	int err = 0;

	if (!hl || prklen < hl || !okmlen || okmlen > 255 * hl)
		return -EINVAL;
	for (i = 1; done < okmlen; i++) {
		size_t n = okmlen - done < hl ? okmlen - done : hl;

		/* In place: esfd_hmac() reads all its input before writing. */
		err = expand_block(h, prk, prklen, t, prevlen, info, infolen,
				   (uint8_t)i, t);
		if (err)
			break;
		memcpy(okm + done, t, n);
		done += n;
		prevlen = hl;
	}
	explicit_bzero(t, sizeof(t));
	if (err)
		explicit_bzero(okm, okmlen);
	return err;
}

int esfd_hkdf(enum esfd_hash h, const uint8_t *salt, size_t saltlen,
	      const uint8_t *ikm, size_t ikmlen, const uint8_t *info,
	      size_t infolen, uint8_t *okm, size_t okmlen)
{
	uint8_t prk[ESFD_HASH_MAX];
	size_t hl = esfd_hash_len(h);
	int err;

	if (!hl || !okmlen || okmlen > 255 * hl)
		return -EINVAL;
	err = esfd_hkdf_extract(h, salt, saltlen, ikm, ikmlen, prk);
	if (!err)
		err = esfd_hkdf_expand(h, prk, hl, info, infolen, okm, okmlen);
	else
		explicit_bzero(okm, okmlen);
	explicit_bzero(prk, sizeof(prk));
	return err;
}

void esfd_key_pair_wipe(struct esfd_key_pair *kp)
{
	explicit_bzero(kp, sizeof(*kp));
}

/*
 * TR-0012 pattern: master = HMAC-Hash(Salt, Kpsa), then two RFC 5869
 * expansion blocks, each with its own info string.
 */
static int tr0012_pair(enum esfd_hash h, const uint8_t *salt, size_t saltlen,
		       const uint8_t *kpsa, size_t kpsalen,
		       const char *auth_info, const char *conf_info,
		       struct esfd_key_pair *out)
{
	size_t hl = esfd_hash_len(h);
	uint8_t master[ESFD_HASH_MAX];
	int err;

	esfd_key_pair_wipe(out);
	if (!hl || !salt || !saltlen || saltlen > SALT_MAX || !kpsa ||
	    kpsalen < KPSA_MIN || kpsalen > KPSA_MAX)
		return -EINVAL;
	err = esfd_hkdf_extract(h, salt, saltlen, kpsa, kpsalen, master);
	if (!err)
		err = expand_block(h, master, hl, NULL, 0, auth_info,
				   strlen(auth_info), 1, out->auth);
	if (!err)
		err = expand_block(h, master, hl, out->auth, hl, conf_info,
				   strlen(conf_info), 2, out->conf);
	explicit_bzero(master, sizeof(master));
	if (err)
		esfd_key_pair_wipe(out);
	else
		out->len = hl;
	return err;
}

int esfd_kdf_e2e_keys(enum esfd_hash h, const uint8_t *salt, size_t saltlen,
		      const uint8_t *kpsa, size_t kpsalen,
		      struct esfd_key_pair *out)
{
	return tr0012_pair(h, salt, saltlen, kpsa, kpsalen, label_e2e_auth,
			   label_e2e_conf, out);
}

int esfd_kdf_dar_keys(enum esfd_hash h, const uint8_t *salt, size_t saltlen,
		      const uint8_t *kpsa, size_t kpsalen,
		      struct esfd_key_pair *out)
{
	return tr0012_pair(h, salt, saltlen, kpsa, kpsalen, label_dar_auth,
			   label_dar_conf, out);
}

/* The binding field of a data-at-rest item key: nonce or u64 time. */
static int dar_binding(const struct esfd_dar_binding *b, uint8_t *buf,
		       const uint8_t **p, size_t *len)
{
	switch (b->kind) {
	case ESFD_DAR_BIND_NONCE:
		if (!b->nonce || b->nonce_len < ESFD_DAR_NONCE_MIN ||
		    b->nonce_len > ESFD_DAR_NONCE_MAX)
			return -EINVAL;
		*p = b->nonce;
		*len = b->nonce_len;
		return 0;
	case ESFD_DAR_BIND_CTIME:
		if (b->ctime < 0)
			return -EINVAL;
		esfd_put_be64(buf, (uint64_t)b->ctime);
		*p = buf;
		*len = 8;
		return 0;
	}
	return -EINVAL;
}

int esfd_kdf_dar_item_key(enum esfd_hash h, const struct esfd_key_pair *root,
			  enum esfd_dar_usage usage, const char *container_id,
			  const struct esfd_dar_binding *bind,
			  uint8_t *out, size_t outlen)
{
	/* label, 0x00, usage, u16 id length, id, kind, u16 binding length, binding */
	uint8_t info[sizeof(label_dar_item) + 1 + 2 + ESFD_ID_MAX + 1 + 2 +
		     ESFD_DAR_NONCE_MAX];
	size_t hl = esfd_hash_len(h), idlen, blen, n;
	const uint8_t *bp, *prk;
	uint8_t tbuf[8];
	int err;

	if (!hl || outlen < 16 || outlen > hl)
		return -EINVAL;
	explicit_bzero(out, outlen);
	if (!root || root->len != hl || !container_id || !bind ||
	    (usage != ESFD_DAR_AUTH && usage != ESFD_DAR_CONF))
		return -EINVAL;
	idlen = strnlen(container_id, ESFD_ID_MAX + 1);
	err = esfd_id_check(container_id, idlen);
	if (!err)
		err = dar_binding(bind, tbuf, &bp, &blen);
	if (err)
		return err;
	memcpy(info, label_dar_item, sizeof(label_dar_item)); /* with its NUL */
	n = sizeof(label_dar_item);
	info[n++] = (uint8_t)usage;
	esfd_put_be16(info + n, (uint16_t)idlen);
	memcpy(info + n + 2, container_id, idlen);
	n += 2 + idlen;
	info[n++] = (uint8_t)bind->kind;
	esfd_put_be16(info + n, (uint16_t)blen);
	memcpy(info + n + 2, bp, blen);
	n += 2 + blen;
	prk = usage == ESFD_DAR_AUTH ? root->auth : root->conf;
	return esfd_hkdf_expand(h, prk, hl, info, n, out, outlen);
}

int esfd_suid_feature(enum esfd_suid suid)
{
	switch (suid) {
	case ESFD_SUID_PSK_ESPRIM:
	case ESFD_SUID_CERT_ESPRIM:
		return ESFD_FEAT_ESPRIM;
	case ESFD_SUID_PSK_ESDATA_ENC:
	case ESFD_SUID_CERT_ESDATA_ENC:
		return ESFD_FEAT_ESDATA_ENC;
	case ESFD_SUID_PSK_ESDATA_SIG:
	case ESFD_SUID_CERT_ESDATA_SIG:
		return ESFD_FEAT_ESDATA_SIG;
	}
	return -EINVAL;
}

/* A NUL-terminated oneM2M id, checked; its length in *len. */
static int id_arg(const char *id, size_t *len)
{
	if (!id)
		return -EINVAL;
	*len = strnlen(id, ESFD_ID_MAX + 1);
	return esfd_id_check(id, *len);
}

int esfd_kdf_uc_key(const uint8_t *k, size_t klen, enum esfd_suid suid,
		    const char *target_id, struct esfd_uc_key *out)
{
	uint8_t suid_octet = (uint8_t)suid;
	size_t idlen = 0;
	int err;

	esfd_uc_key_wipe(out);
	if (!k || klen < KPSA_MIN || klen > KPSA_MAX || esfd_suid_feature(suid) < 0)
		return -EINVAL;
	err = id_arg(target_id, &idlen);
	if (!err) {
		struct esfd_buf in[3] = {
			STR(label_uc), { &suid_octet, 1 }, { target_id, idlen },
		};

		err = esfd_hmac(ESFD_SHA256, k, klen, in, 3, out->key);
	}
	if (err)
		esfd_uc_key_wipe(out);
	else
		out->suid = suid;
	return err;
}

int esfd_uc_key_import(const uint8_t *key, size_t len, enum esfd_suid suid,
		       struct esfd_uc_key *out)
{
	esfd_uc_key_wipe(out);
	if (!key || len != ESFD_KEY_LEN || esfd_suid_feature(suid) < 0)
		return -EINVAL;
	memcpy(out->key, key, ESFD_KEY_LEN);
	out->suid = suid;
	return 0;
}

int esfd_uc_key_check(const struct esfd_uc_key *k, enum esfd_feature f)
{
	return esfd_suid_feature(k->suid) == (int)f ? 0 : -EKEYREJECTED;
}

void esfd_uc_key_wipe(struct esfd_uc_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

/* Both rand objects must be live and offer HMAC-SHA256 key generation. */
static int session_inputs_ok(const struct esfd_randobj *r,
			     const struct esfd_randobj *o, int64_t now)
{
	const struct esfd_randobj *ro[2] = { r, o };
	size_t i, k;

	for (i = 0; i < 2; i++) {
		if (esfd_randobj_expired(ro[i], now))
			return -EKEYEXPIRED;
		for (k = 0; k < ro[i]->n_keygen; k++)
			if (ro[i]->keygen[k] == ESFD_KEYGEN_HMAC_SHA256)
				break;
		if (k == ro[i]->n_keygen)
			return -EOPNOTSUPP;
	}
	return 0;
}

int esfd_kdf_session_esprim_key(const struct esfd_uc_key *pairwise,
				const struct esfd_randobj *receiver,
				const struct esfd_randobj *originator,
				int64_t now, uint8_t out[ESFD_KEY_LEN])
{
	uint8_t rb[ESFD_RAND_KDF_MAX], ob[ESFD_RAND_KDF_MAX];
	size_t rlen, olen;
	int err;

	explicit_bzero(out, ESFD_KEY_LEN);
	err = esfd_uc_key_check(pairwise, ESFD_FEAT_ESPRIM);
	if (!err)
		err = session_inputs_ok(receiver, originator, now);
	if (!err)
		err = esfd_randobj_kdf_bytes(receiver, rb, sizeof(rb), &rlen);
	if (!err)
		err = esfd_randobj_kdf_bytes(originator, ob, sizeof(ob), &olen);
	if (!err) {
		struct esfd_buf in[3] = {
			{ rb, rlen }, { ob, olen }, STR(label_session),
		};

		err = esfd_hmac(ESFD_SHA256, pairwise->key, ESFD_KEY_LEN, in, 3, out);
	}
	if (err)
		explicit_bzero(out, ESFD_KEY_LEN);
	return err;
}

int esfd_kdf_group_key(const uint8_t *kpsa, size_t kpsalen, const char *id_x,
		       const uint8_t *rand, size_t randlen,
		       uint8_t out[ESFD_KEY_LEN])
{
	size_t idlen = 0;
	int err;

	explicit_bzero(out, ESFD_KEY_LEN);
	if (!kpsa || kpsalen < KPSA_MIN || kpsalen > KPSA_MAX || !rand ||
	    randlen < ESFD_GROUP_RAND_MIN || randlen > ESFD_GROUP_RAND_MAX)
		return -EINVAL;
	err = id_arg(id_x, &idlen);
	if (err)
		return err;
	{
		struct esfd_buf in[3] = {
			STR(label_group), { id_x, idlen }, { rand, randlen },
		};

		err = esfd_hmac(ESFD_SHA256, kpsa, kpsalen, in, 3, out);
	}
	if (err)
		explicit_bzero(out, ESFD_KEY_LEN);
	return err;
}
