// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: the keys of an establishment and its key-confirmation ESPrim
 * Objects (keys.h). The confirmations are sealed here with OpenSSL rather
 * than through the kernel: they are esfd's own messages, must never be
 * accepted by an application's OPEN session nor spend its nonces.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "enc.h"
#include "jwe.h"
#include "gkey.h"
#include "keys.h"

int esfd_esprim_prot(unsigned int key_bits)
{
	return key_bits == 128 ? ESFD_PROT_JWE_A128GCM :
	       key_bits == 192 ? ESFD_PROT_JWE_A192GCM : ESFD_PROT_JWE_A256GCM;
}

/* sessionESPrimKey of (peer, R, O): pairwiseESPrimKey is the SUID 13
 * usage-constrained key of the peer's Kpsa, so it can serve nothing but
 * ESPrim.
 */
/* The secret a peer's keys derive from, and the SUIDs it is used under:
 * a Kpsa with 13 (ESPrim), 14 (ESData encryption) and 15 (ESData
 * signature, the MIC pairs of an hmac(sha256) policy), an ESCertKE
 * pairwise key with 43, 44 and 45.
 */
static enum esfd_suid suid_of(enum esfd_feature f, bool cert)
{
	if (f == ESFD_FEAT_ESDATA_SIG)
		return cert ? ESFD_SUID_CERT_ESDATA_SIG : ESFD_SUID_PSK_ESDATA_SIG;
	if (f == ESFD_FEAT_ESDATA_ENC)
		return cert ? ESFD_SUID_CERT_ESDATA_ENC : ESFD_SUID_PSK_ESDATA_ENC;
	return cert ? ESFD_SUID_CERT_ESPRIM : ESFD_SUID_PSK_ESPRIM;
}

static int peer_secret(struct esfd *d, const struct esfd_peer *peer, enum esfd_feature f,
		       const uint8_t **k, size_t *klen, enum esfd_suid *suid)
{
	const struct esfd_certkey *ck = &esfd_peer_rt(d, peer)->ck;

	if (peer->dynamic)
		return -ENOKEY;
	if (!esfd_peer_runtime_key(peer)) {
		*k = peer->kpsa;
		*klen = peer->kpsa_len;
		*suid = suid_of(f, false);
		return 0;
	}
	if (!ck->valid)
		return -ENOKEY;
	*k = ck->key;
	*klen = sizeof(ck->key);
	/* A facilitator's key is a Kpsa the two got from a third party. */
	*suid = suid_of(f, !peer->fac);
	return 0;
}

int esfd_session_key(struct esfd *d, const struct esfd_peer *peer,
			      const struct esfd_randobj *r, const struct esfd_randobj *o,
			      uint8_t skey[ESFD_KEY_LEN])
{
	struct esfd_uc_key pairwise;
	enum esfd_suid suid;
	const uint8_t *k;
	size_t klen;
	int err;

	err = peer_secret(d, peer, ESFD_FEAT_ESPRIM, &k, &klen, &suid);
	if (err)
		return err;
	err = esfd_kdf_uc_key(k, klen, suid, esfd_config_uc_target(&d->cfg, peer), &pairwise);
	if (!err)
		err = esfd_uc_key_check(&pairwise, ESFD_FEAT_ESPRIM);
	if (!err)
		err = esfd_kdf_session_esprim_key(&pairwise, r, o, esfd_now(d), skey);
	esfd_uc_key_wipe(&pairwise);
	return err;
}

/* The kernel sessions of a pair. Class 1 (whole primitives) is ESPrim:
 * sessionESPrimKey under gcm(aes), as TS-0003 has it. Classes 2 and 3
 * (Content, contentInstance) protect data the way TR-0012 7.4.1 keys
 * pre-provisioned end-to-end sessions: master = HMAC(Salt, K), then the
 * message authentication key T(1) and confidentiality key T(2), under the
 * policy's aead and tag length. K is the Kpsa's SUID 14 (pre-provisioned
 * ESData encryption) usage-constrained key, never the Kpsa itself, and
 * the salt is the two fresh rand values, receiver's then originator's, so
 * every establishment gives new keys. authenc takes T(1) as its HMAC key
 * and T(2) as its AES key; the AEADs take T(2). An hmac(sha256) policy
 * makes integrity-only pairs: K is then the SUID 15 (ESData signature)
 * key, so a MIC key never equals an encryption key of the same Kpsa, and
 * the sessions take T(1), the message authentication key.
 */
int esfd_pair_keys(struct esfd *d, const struct esfd_peer *peer, uint8_t cls,
		     const uint8_t skey[ESFD_KEY_LEN], const struct esfd_randobj *r,
		     const struct esfd_randobj *o, struct esfd_pair_keys *k)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	enum esfd_feature f = pol->aead == ESFD_AEAD_HMAC ? ESFD_FEAT_ESDATA_SIG :
			      ESFD_FEAT_ESDATA_ENC;
	size_t aes = pol->key_bits / 8;
	uint8_t salt[2 * ESFD_RAND_VALUE_LEN];
	struct esfd_uc_key uc;
	struct esfd_key_pair kp;
	enum esfd_suid suid;
	const uint8_t *sec;
	size_t seclen;
	int err;

	memset(k, 0, sizeof(*k));
	if (cls == 1) {
		k->alg = "gcm(aes)";
		k->tag_len = 16;
		k->key_len = aes;
		memcpy(k->key, skey, aes);
		memcpy(k->salt_base, skey, ESFD_KEY_LEN);
		return 0;
	}
	memcpy(salt, r->value, ESFD_RAND_VALUE_LEN);
	memcpy(salt + ESFD_RAND_VALUE_LEN, o->value, ESFD_RAND_VALUE_LEN);
	err = peer_secret(d, peer, f, &sec, &seclen, &suid);
	if (err)
		return err;
	err = esfd_kdf_uc_key(sec, seclen, suid, esfd_config_uc_target(&d->cfg, peer), &uc);
	if (!err)
		err = esfd_uc_key_check(&uc, f);
	if (!err)
		err = esfd_kdf_e2e_keys(ESFD_SHA256, salt, sizeof(salt), uc.key, sizeof(uc.key),
					&kp);
	esfd_uc_key_wipe(&uc);
	if (err)
		return err;
	esfd_pair_keys_of(pol, &kp, k);
	return 0;
}

void esfd_pair_keys_of(const struct esfd_policy *pol, struct esfd_key_pair *kp,
		       struct esfd_pair_keys *k)
{
	size_t aes = pol->key_bits / 8;

	k->alg = esfd_aead_name(pol->aead);
	k->tag_len = (uint8_t)pol->tag_len;
	if (pol->aead == ESFD_AEAD_HMAC) {
		/* kernel.c binds it to a direction (MIC sessions take no salt). */
		memcpy(k->key, kp->auth, 32);
		k->key_len = 32;
	} else if (pol->aead == ESFD_AEAD_AUTHENC) {
		memcpy(k->key, kp->auth, 32);
		memcpy(k->key + 32, kp->conf, aes);
		k->key_len = 32 + aes;
	} else {
		memcpy(k->key, kp->conf, aes);
		k->key_len = aes;
	}
	memcpy(k->salt_base, kp->conf, ESFD_KEY_LEN);
	esfd_key_pair_wipe(kp);
}

/* The key that seals the establishment's ESPrim Objects, one per
 * direction, so that neither can be reflected back as the other.
 */
int esfd_confirm_key(const uint8_t skey[ESFD_KEY_LEN], bool from_originator,
		       uint8_t kc[32])
{
	static const char label[] = "esfd ESPrim key confirmation";
	uint8_t dir = from_originator ? 1 : 2;
	struct esfd_buf in[2] = { { label, sizeof(label) - 1 }, { &dir, 1 } };

	return esfd_hmac(ESFD_SHA256, skey, ESFD_KEY_LEN, in, 2, kc);
}

/* Seal {"dataClass":N,"alg":A,"tagLength":T} (what the pair will be) with
 * the header fields of an ESPrim Object.
 */
int esfd_confirm_seal(const uint8_t kc[32], const char *kid, const char *ori,
		       const char *rri, const struct esfd_randobj *oro,
		       const struct esfd_pair_keys *pk, uint8_t cls, char **out)
{
	json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "alg", "dir", "enc", "A256GCM",
			      "kid", kid, "ori", ori, "rri", rri, "cty", ESFD_CONFIRM_CTY);
	json_t *o = NULL;
	char pt[128];
	int err = -ENOMEM, n;

	if (!h)
		return -ENOMEM;
	if (oro) {
		err = esfd_randobj_to_json(oro, &o);
		if (err || json_object_set_new(h, "oro", o))
			goto out;
	}
	n = snprintf(pt, sizeof(pt), "{\"dataClass\":%u,\"alg\":\"%s\",\"tagLength\":%u}",
		     cls, pk->alg, pk->tag_len);
	err = esfd_jwe_seal(kc, h, pt, (size_t)n, out);
out:
	json_decref(h);
	return err;
}

int esfd_confirm_parse(const char *jwe, struct esfd_confirm *p)
{
	p->body = NULL;
	return esfd_jwe_parse(jwe, ESFD_CONFIRM_CTY, &p->j);
}

const char *esfd_confirm_hdr(const struct esfd_confirm *p, const char *k)
{
	return esfd_jwe_hdr(&p->j, k);
}

/* Check the tag, return the data class inside and check that the pair the
 * other end makes is @pk's (the ends' policies agree).
 */
int esfd_confirm_open(struct esfd_confirm *p, const uint8_t kc[32], uint8_t *cls)
{
	uint8_t pt[128];
	size_t cn;
	json_t *j, *v;
	int err;

	err = esfd_jwe_open(&p->j, kc, pt, sizeof(pt), &cn);
	if (err)
		return err;
	j = json_loadb((const char *)pt, cn, JSON_REJECT_DUPLICATES, NULL);
	v = json_object_get(j, "dataClass");
	err = json_is_integer(v) && json_object_size(j) == 3 &&
	      json_is_string(json_object_get(j, "alg")) &&
	      json_is_integer(json_object_get(j, "tagLength")) &&
	      json_integer_value(v) >= 1 && json_integer_value(v) <= 3 ? 0 : -EPROTO;
	if (!err)
		*cls = (uint8_t)json_integer_value(v);
	p->body = err ? NULL : j;
	if (err)
		json_decref(j);
	return err;
}

/* Does the other end's pair (from the opened object) match ours? */
bool esfd_confirm_same_pair(const struct esfd_confirm *p, const struct esfd_pair_keys *pk)
{
	const char *alg = json_string_value(json_object_get(p->body, "alg"));

	return alg && !strcmp(alg, pk->alg) &&
	       json_integer_value(json_object_get(p->body, "tagLength")) == pk->tag_len;
}

/* A peer's end-to-end key: the SUID 14 usage-constrained key of its Kpsa
 * (the K that classes 2 and 3 start from). Group keys are wrapped, and
 * static group authentication's messages authenticated, under keys bound
 * to one group that derive from it.
 */
int esfd_peer_k14(struct esfd *d, const struct esfd_peer *peer, uint8_t k14[32])
{
	struct esfd_uc_key uc;
	enum esfd_suid suid;
	const uint8_t *sec;
	size_t seclen;
	int err;

	err = peer_secret(d, peer, ESFD_FEAT_ESDATA_ENC, &sec, &seclen, &suid);
	if (!err)
		err = esfd_kdf_uc_key(sec, seclen, suid, esfd_config_uc_target(&d->cfg, peer),
				      &uc);
	if (!err)
		err = esfd_uc_key_check(&uc, ESFD_FEAT_ESDATA_ENC);
	if (!err)
		memcpy(k14, uc.key, 32);
	esfd_uc_key_wipe(&uc);
	return err;
}

int esfd_group_kek(struct esfd *d, const struct esfd_peer *peer, const char *grp,
		   uint8_t kek[32])
{
	uint8_t k14[32];
	int err = esfd_peer_k14(d, peer, k14);

	if (!err)
		err = esfd_gkey_kek(k14, grp, kek);
	OPENSSL_cleanse(k14, sizeof(k14));
	return err;
}
