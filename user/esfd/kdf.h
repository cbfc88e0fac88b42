/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd key derivation: RFC 5869 HKDF and the oneM2M derivations built on
 * it (TR-0012 7.4.1 end-to-end message keys and 7.3.2 data-at-rest keys,
 * TS-0003 usage-constrained keys and sessionESPrimKey, TR-0012 7.2.1 static
 * group keys). Exact byte layouts: docs/key-derivation.md.
 *
 * Every function wipes its intermediate secrets with explicit_bzero() and,
 * on failure, its outputs too, so a caller never holds half a key.
 */
#ifndef ESFD_KDF_H
#define ESFD_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "hmac.h"
#include "randobj.h"

/* Size of every oneM2M HMAC-SHA-256 derived key. */
#define ESFD_KEY_LEN		32
/* Bounds of the group authentication Rand (not fixed by TR-0012). */
#define ESFD_GROUP_RAND_MIN	16
#define ESFD_GROUP_RAND_MAX	64
/* Bounds of a data-at-rest nonce binding. */
#define ESFD_DAR_NONCE_MIN	8
#define ESFD_DAR_NONCE_MAX	64

/**
 * esfd_hkdf_extract() - RFC 5869 HKDF-Extract
 * @h: the hash
 * @salt: the salt; NULL or empty means HashLen zero bytes (RFC 5869 2.2)
 * @saltlen: its length
 * @ikm: input keying material
 * @ikmlen: its length
 * @prk: output, esfd_hash_len(@h) bytes
 *
 * Return: 0, -EINVAL for an unknown hash, or a backend error.
 */
int esfd_hkdf_extract(enum esfd_hash h, const uint8_t *salt, size_t saltlen,
		      const uint8_t *ikm, size_t ikmlen, uint8_t *prk);

/**
 * esfd_hkdf_expand() - RFC 5869 HKDF-Expand
 * @h: the hash
 * @prk: pseudorandom key, at least esfd_hash_len(@h) bytes
 * @prklen: its length
 * @info: context information (may be NULL when @infolen is 0)
 * @infolen: its length
 * @okm: output keying material
 * @okmlen: 1 .. 255 * esfd_hash_len(@h)
 *
 * Return: 0, -EINVAL for an unknown hash, a short @prk or an @okmlen out of
 * range (then @okm is untouched), or a backend error (@okm wiped).
 */
int esfd_hkdf_expand(enum esfd_hash h, const uint8_t *prk, size_t prklen,
		     const uint8_t *info, size_t infolen,
		     uint8_t *okm, size_t okmlen);

/**
 * esfd_hkdf() - RFC 5869 HKDF: extract, then expand
 * @h: the hash
 * @salt: see esfd_hkdf_extract()
 * @saltlen: its length
 * @ikm: input keying material
 * @ikmlen: its length
 * @info: see esfd_hkdf_expand()
 * @infolen: its length
 * @okm: output keying material
 * @okmlen: see esfd_hkdf_expand()
 *
 * Return: as esfd_hkdf_expand().
 */
int esfd_hkdf(enum esfd_hash h, const uint8_t *salt, size_t saltlen,
	      const uint8_t *ikm, size_t ikmlen, const uint8_t *info,
	      size_t infolen, uint8_t *okm, size_t okmlen);

/**
 * struct esfd_key_pair - an authentication key and a confidentiality key
 * @auth: T(1): message authentication (7.4.1) or data authenticity and
 *	integrity (7.3.2) key
 * @conf: T(2): message or data confidentiality key
 * @len: bytes used in each, the digest size of the hash
 *
 * A cipher needing a shorter key (AES-128) takes the leading bytes.
 */
struct esfd_key_pair {
	uint8_t auth[ESFD_HASH_MAX];
	uint8_t conf[ESFD_HASH_MAX];
	size_t len;
};

/**
 * esfd_key_pair_wipe() - erase a key pair
 * @kp: the pair
 */
void esfd_key_pair_wipe(struct esfd_key_pair *kp);

/**
 * esfd_kdf_e2e_keys() - TR-0012 7.4.1 end-to-end message keys from a Kpsa
 * @h: the hash ("HMAC-Hash")
 * @salt: the salt, 1 .. 255 bytes
 * @saltlen: its length
 * @kpsa: the pre-provisioned symmetric key
 * @kpsalen: its length, 16 .. 64 bytes
 * @out: T(1) with "E2E Message Authentication Key", T(2) with "E2E Message
 *	Confidentiality Key"
 *
 * master = HMAC-Hash(Salt, Kpsa); T(1) = HMAC-Hash(master, info1 || 0x01);
 * T(2) = HMAC-Hash(master, T(1) || info2 || 0x02).
 *
 * Return: 0, -EINVAL for bad lengths or hash, or a backend error; @out is
 * wiped on any failure.
 */
int esfd_kdf_e2e_keys(enum esfd_hash h, const uint8_t *salt, size_t saltlen,
		      const uint8_t *kpsa, size_t kpsalen,
		      struct esfd_key_pair *out);

/**
 * esfd_kdf_dar_keys() - TR-0012 7.3.2 data-at-rest root keys from a Kpsa
 * @h: the hash
 * @salt: the salt, 1 .. 255 bytes
 * @saltlen: its length
 * @kpsa: the pre-provisioned symmetric key, 16 .. 64 bytes
 * @kpsalen: its length
 * @out: T(1) with "Data Authenticity and Integrity", T(2) with "Data
 *	Confidentiality Key"
 *
 * The same construction as esfd_kdf_e2e_keys() with the data-at-rest info
 * strings.
 *
 * Return: as esfd_kdf_e2e_keys().
 */
int esfd_kdf_dar_keys(enum esfd_hash h, const uint8_t *salt, size_t saltlen,
		      const uint8_t *kpsa, size_t kpsalen,
		      struct esfd_key_pair *out);

/**
 * enum esfd_dar_usage - which data-at-rest root key an item key comes from
 * @ESFD_DAR_AUTH: the "Data Authenticity and Integrity" key
 * @ESFD_DAR_CONF: the "Data Confidentiality Key"
 */
enum esfd_dar_usage {
	ESFD_DAR_AUTH = 1,
	ESFD_DAR_CONF = 2,
};

/**
 * enum esfd_dar_bind - what makes a data-at-rest item key unique
 * @ESFD_DAR_BIND_NONCE: a random nonce stored with the item
 * @ESFD_DAR_BIND_CTIME: the item's creation time
 */
enum esfd_dar_bind {
	ESFD_DAR_BIND_NONCE = 1,
	ESFD_DAR_BIND_CTIME = 2,
};

/**
 * struct esfd_dar_binding - the binding of a data-at-rest item key
 * @kind: &enum esfd_dar_bind
 * @nonce: ESFD_DAR_BIND_NONCE: the nonce
 * @nonce_len: its length, ESFD_DAR_NONCE_MIN .. ESFD_DAR_NONCE_MAX
 * @ctime: ESFD_DAR_BIND_CTIME: seconds since the epoch, >= 0
 */
struct esfd_dar_binding {
	enum esfd_dar_bind kind;
	const uint8_t *nonce;
	size_t nonce_len;
	int64_t ctime;
};

/**
 * esfd_kdf_dar_item_key() - per-container or per-contentInstance key
 * @h: the hash the root keys were derived with
 * @root: the data-at-rest root keys (esfd_kdf_dar_keys())
 * @usage: which root key to derive from
 * @container_id: the container's resource id (a oneM2M id, see
 *	esfd_id_check())
 * @bind: the nonce or creation time
 * @out: the item key
 * @outlen: 16 .. esfd_hash_len(@h)
 *
 * HKDF-Expand(root key, info, @outlen) with info = "oneM2M-ESF data-at-rest
 * item key" || 0x00 || usage || u16 id length || id || kind || u16 binding
 * length || binding (docs/key-derivation.md).
 *
 * Return: 0; -EINVAL for bad arguments; -EILSEQ for a non-ASCII id; a
 * backend error. @out is wiped on failure when @outlen is in range.
 */
int esfd_kdf_dar_item_key(enum esfd_hash h, const struct esfd_key_pair *root,
			  enum esfd_dar_usage usage, const char *container_id,
			  const struct esfd_dar_binding *bind,
			  uint8_t *out, size_t outlen);

/**
 * enum esfd_suid - oneM2M Security Usage Identifiers (TS-0003, TS-0004
 * m2m:suid) of the features esfd derives keys for
 * @ESFD_SUID_PSK_ESPRIM: ESPrim, pre-provisioned symmetric credential
 * @ESFD_SUID_PSK_ESDATA_ENC: ESData encryption, pre-provisioned credential
 * @ESFD_SUID_PSK_ESDATA_SIG: ESData signature, pre-provisioned credential
 * @ESFD_SUID_CERT_ESPRIM: ESPrim, certificate-based credential (ESCertKE)
 * @ESFD_SUID_CERT_ESDATA_ENC: ESData encryption, certificate-based
 * @ESFD_SUID_CERT_ESDATA_SIG: ESData signature, certificate-based
 */
enum esfd_suid {
	ESFD_SUID_PSK_ESPRIM = 13,
	ESFD_SUID_PSK_ESDATA_ENC = 14,
	ESFD_SUID_PSK_ESDATA_SIG = 15,
	ESFD_SUID_CERT_ESPRIM = 43,
	ESFD_SUID_CERT_ESDATA_ENC = 44,
	ESFD_SUID_CERT_ESDATA_SIG = 45,
};

/**
 * enum esfd_feature - what a usage-constrained key may be used for
 * @ESFD_FEAT_ESPRIM: ESPrim (pairwiseESPrimKey)
 * @ESFD_FEAT_ESDATA_ENC: ESData encryption
 * @ESFD_FEAT_ESDATA_SIG: ESData signature
 */
enum esfd_feature {
	ESFD_FEAT_ESPRIM = 1,
	ESFD_FEAT_ESDATA_ENC = 2,
	ESFD_FEAT_ESDATA_SIG = 3,
};

/**
 * struct esfd_uc_key - a key that carries the usage it was derived for
 * @suid: the SUID it was derived (or imported) with
 * @key: the key
 *
 * Functions that consume a key check @suid (esfd_uc_key_check()), so an
 * ESPrim key handed to an ESData derivation is refused, not used.
 */
struct esfd_uc_key {
	enum esfd_suid suid;
	uint8_t key[ESFD_KEY_LEN];
};

/**
 * esfd_suid_feature() - the feature a SUID is for
 * @suid: the SUID
 *
 * Return: the &enum esfd_feature, or -EINVAL for a SUID esfd does not know.
 */
int esfd_suid_feature(enum esfd_suid suid);

/**
 * esfd_kdf_uc_key() - TS-0003 usage-constrained symmetric key
 * @k: the enrolment (or pre-provisioned) key
 * @klen: its length, 16 .. 64 bytes
 * @suid: the usage
 * @target_id: the target's oneM2M id (see esfd_id_check()), NUL-terminated
 * @out: the key, tagged with @suid
 *
 * HMAC-SHA-256(K, "oneM2M Enrolment Key to Usage-Constrained Symmetric Key
 * derivation" || SUID || target id), SUID as one octet.
 *
 * Return: 0; -EINVAL for an unknown SUID, bad lengths or id; -EILSEQ for a
 * non-ASCII id; a backend error. @out is wiped on failure.
 */
int esfd_kdf_uc_key(const uint8_t *k, size_t klen, enum esfd_suid suid,
		    const char *target_id, struct esfd_uc_key *out);

/**
 * esfd_uc_key_import() - tag a key established otherwise with its SUID
 * @key: the key (for example the 32 least significant bytes of the
 *	ESCertKE exporter output)
 * @len: must be ESFD_KEY_LEN
 * @suid: its usage
 * @out: the tagged key
 *
 * Return: 0, or -EINVAL (then @out is wiped).
 */
int esfd_uc_key_import(const uint8_t *key, size_t len, enum esfd_suid suid,
		       struct esfd_uc_key *out);

/**
 * esfd_uc_key_check() - may this key be used for this feature?
 * @k: the key
 * @f: the feature
 *
 * Return: 0, or -EKEYREJECTED when @k was derived for another feature.
 */
int esfd_uc_key_check(const struct esfd_uc_key *k, enum esfd_feature f);

/**
 * esfd_uc_key_wipe() - erase a usage-constrained key
 * @k: the key
 */
void esfd_uc_key_wipe(struct esfd_uc_key *k);

/**
 * esfd_kdf_session_esprim_key() - TS-0003 sessionESPrimKey
 * @pairwise: the pairwiseESPrimKey; its SUID must be an ESPrim one
 * @receiver: receiverESPrimRandObject
 * @originator: originatorESPrimRandObject
 * @now: current time; both objects must be unexpired
 * @out: ESFD_KEY_LEN bytes
 *
 * HMAC-SHA256(pairwiseESPrimKey, receiverRandObject || originatorRandObject
 * || "oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm"), each rand
 * object in the binary form of esfd_randobj_kdf_bytes().
 *
 * Return: 0; -EKEYREJECTED for a non-ESPrim key; -EKEYEXPIRED when a rand
 * object has expired; -EOPNOTSUPP when one of them does not offer
 * HMAC-SHA256 key generation; -EINVAL for invalid rand objects; a backend
 * error. @out is wiped on failure.
 */
int esfd_kdf_session_esprim_key(const struct esfd_uc_key *pairwise,
				const struct esfd_randobj *receiver,
				const struct esfd_randobj *originator,
				int64_t now, uint8_t out[ESFD_KEY_LEN]);

/**
 * esfd_kdf_group_key() - TR-0012 7.2.1 static group key Ks_x
 * @kpsa: Kpsa_xi, the key device x shares with the server
 * @kpsalen: its length, 16 .. 64 bytes
 * @id_x: device x's oneM2M id, NUL-terminated
 * @rand: the server's Rand
 * @randlen: ESFD_GROUP_RAND_MIN .. ESFD_GROUP_RAND_MAX
 * @out: ESFD_KEY_LEN bytes
 *
 * HMAC-SHA-256(Kpsa_xi, "oneM2M Group Secure Connection Key derivation" ||
 * id_x || Rand).
 *
 * Return: 0; -EINVAL for bad lengths or id; -EILSEQ for a non-ASCII id; a
 * backend error. @out is wiped on failure.
 */
int esfd_kdf_group_key(const uint8_t *kpsa, size_t kpsalen, const char *id_x,
		       const uint8_t *rand, size_t randlen,
		       uint8_t out[ESFD_KEY_LEN]);

#endif /* ESFD_KDF_H */
